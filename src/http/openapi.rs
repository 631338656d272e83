//! The OpenAPI document, assembled (through utoipa-actix-web) from the same list of routes that the
//! server registers ([`super::routes::all`]), so the spec cannot drift from the router.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi;

use super::methods::Allowed;
use super::routes::Routes;

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wilkan API",
        description = "Backend of the Wilkan blended-learning programme for verzuimbegeleiding at sociaal \
                       werkbedrijven. Errors are application/problem+json with a Dutch `detail`.",
    ),
    components(schemas(Problem)),
    modifiers(&Finish),
)]
pub struct ApiDoc;

/// Problem answers every operation may give; documented once here instead of on every handler.
const PROBLEMS: &[(&str, &str)] = &[
    ("400", "The body is not JSON."),
    ("401", "No valid access token."),
    ("403", "The caller's role may not do this."),
    ("404", "Not found, or outside the caller's scope."),
    ("409", "Conflict with existing data."),
    ("410", "A one-time link that is spent or expired."),
    ("413", "The body is larger than the limit."),
    ("422", "Validation failed; `errors` names the fields."),
    ("429", "Too many attempts; see Retry-After."),
    ("503", "The database is unavailable; try again."),
];

struct Finish;

impl utoipa::Modify for Finish {
    fn modify(&self, api: &mut Document) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

fn add_problem_responses(api: &mut Document) {
    for item in api.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            for (status, description) in PROBLEMS {
                op.responses.responses.entry(status.to_string()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(*description)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                            )
                            .build(),
                    )
                });
            }
        }
    }
}

pub fn finish(mut api: Document) -> Document {
    add_problem_responses(&mut api);
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    api
}

/// The spec as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> Document {
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(|cfg| super::routes::all(&mut Routes::Described(cfg)))
        .split_for_parts();
    finish(api)
}

/// What the running server takes from the spec: its serialised copy and the methods of each path.
///
/// Built on first use (a request for the spec, or one that no route answers), not at start-up:
/// the spec as a utoipa value is about 7 MB of heap, and building it pages in code that an idle
/// server never runs again.
#[derive(Default)]
pub struct Served {
    built: OnceLock<(actix_web::web::Bytes, Allowed)>,
}

impl Served {
    fn built(&self) -> &(actix_web::web::Bytes, Allowed) {
        self.built.get_or_init(|| {
            let api = document();
            let built = (api.to_json().unwrap_or_default().into(), Allowed::of(&api));
            drop(api);
            // The spec's megabytes were freed into this worker's allocator arena.
            super::memory::release_free();
            built
        })
    }

    /// The spec as JSON, one copy shared by every worker.
    pub fn json(&self) -> actix_web::web::Bytes {
        self.built().0.clone()
    }

    /// The methods each operation's path takes.
    pub fn allowed(&self) -> &Allowed {
        &self.built().1
    }
}

/// The spec and the Swagger UI, shared by every worker.
#[derive(Clone)]
pub struct Docs {
    spec: actix_web::web::Data<Served>,
    ui: std::sync::Arc<utoipa_swagger_ui::Config<'static>>,
}

impl Docs {
    pub fn new(spec: actix_web::web::Data<Served>) -> Docs {
        Docs { spec, ui: std::sync::Arc::new(utoipa_swagger_ui::Config::from("/openapi.json")) }
    }

    /// `GET /openapi.json` and `GET /docs/...` (public, outside the API).
    pub fn register(&self, cfg: &mut actix_web::web::ServiceConfig) {
        use actix_web::{web, HttpResponse};
        let spec = self.spec.clone();
        let ui = self.ui.clone();
        cfg.route(
            "/openapi.json",
            web::get().to(move || {
                let spec = spec.json();
                async move { HttpResponse::Ok().content_type("application/json").body(spec) }
            }),
        )
        // The page's files are relative to `/docs/`: the bare path is sent there.
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect().insert_header((actix_web::http::header::LOCATION, "/docs/")).finish()
            }),
        )
        .route(
            "/docs/{tail:.*}",
            web::get().to(move |tail: web::Path<String>| {
                let ui = ui.clone();
                async move { swagger_file(&tail, ui) }
            }),
        );
    }
}

fn swagger_file(tail: &str, ui: std::sync::Arc<utoipa_swagger_ui::Config<'static>>) -> actix_web::HttpResponse {
    use actix_web::http::header::{ContentEncoding, CONTENT_ENCODING};
    use actix_web::HttpResponse;
    match utoipa_swagger_ui::serve(tail, ui) {
        Ok(Some(file)) => {
            let mut res = HttpResponse::Ok();
            if file.gzpipped {
                res.insert_header((CONTENT_ENCODING, ContentEncoding::Gzip));
            }
            res.content_type(file.content_type).body(file.bytes.into_owned())
        }
        // Errors here are problems like everywhere else.
        Ok(None) => actix_web::ResponseError::error_response(&crate::error::AppError::NotFound),
        Err(e) => {
            actix_web::ResponseError::error_response(&crate::error::AppError::internal(format!("swagger ui: {e}")))
        }
    }
}

pub fn to_json(api: &Document) -> String {
    let mut text = api.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
