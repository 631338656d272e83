//! Middleware on every response: a request id (also in every log line of the request) and
//! security headers; HEAD answered as GET.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Accept a caller's id only when it is short and plain, so logs cannot be forged.
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %loggable_path(&req));
    let started = std::time::Instant::now();
    // Every GET route answers HEAD too (monitors, link checkers). The routes only know GET; the
    // HTTP/1 codec remembers the request was HEAD and sends the headers without the body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    // A NUL character (`%00`) in the path names no record, and PostgreSQL would refuse it as a
    // text parameter (a 500 for an id that simply does not exist).
    let mut res = if req.path().contains("%00") {
        req.error_response(crate::error::AppError::NotFound).map_into_right_body()
    } else {
        next.call(req).instrument(span.clone()).await?.map_into_left_body()
    };
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(status, elapsed_ms = started.elapsed().as_millis() as u64, "request finished");
    });
    let is_docs = res.request().path().starts_with("/docs");
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-request-id"), v);
    }
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")]
    {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    let is_html = headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !is_docs {
        // Our own HTML pages (map, report) need no scripts and load nothing from elsewhere.
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        );
    }
    Ok(res)
}

/// The path as logged: a colleague's card link carries its secret in the path, and whoever reads
/// the logs must not be able to write a card with it.
fn loggable_path(req: &ServiceRequest) -> &str {
    const CARD_LINK: &str = "/api/v1/cards/";
    match req.path() {
        // A card's own id (PATCH by the coach) is no secret; a link's token is, read or used.
        p if req.method() != Method::PATCH && p.starts_with(CARD_LINK) => "/api/v1/cards/{token}",
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;
    use actix_web::test::TestRequest;

    /// A card link's token never reaches the log, opened or used; a card's own id may.
    #[test]
    fn a_card_link_token_stays_out_of_the_log() {
        let path = |method: Method, uri: &str| {
            super::loggable_path(&TestRequest::with_uri(uri).method(method).to_srv_request()).to_string()
        };
        for method in [Method::GET, Method::HEAD, Method::POST] {
            assert_eq!(path(method, "/api/v1/cards/geheim-token"), "/api/v1/cards/{token}");
        }
        assert_eq!(path(Method::PATCH, "/api/v1/cards/0193-kaart"), "/api/v1/cards/0193-kaart");
        assert_eq!(path(Method::GET, "/api/v1/me/cards"), "/api/v1/me/cards");
    }
}
