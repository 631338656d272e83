//! Wilkan: the backend of a blended-learning programme for verzuimbegeleiding.
//!
//! `lib.rs` builds the service from a `Config`; `main.rs` (the CLI) and the integration tests
//! both start it through [`prepare`] and [`start`].

pub mod absences;
pub mod accounts;
pub mod aftercare;
pub mod buddies;
pub mod cards;
pub mod config;
pub mod courses;
pub mod db;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod groups;
pub mod http;
pub mod intake;
pub mod local_time;
pub mod log_lines;
pub mod logbook;
pub mod mail;
pub mod policy;
pub mod privacy;
pub mod trajectories;
pub mod visits;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpResponse, HttpServer};
use http::routes::Routes;

use crate::accounts::tokens::TokenService;
use crate::config::Config;
use crate::db::DbPool;
use crate::error::AppError;

/// Shared by every request.
pub struct AppState {
    pub pool: DbPool,
    pub config: Config,
    pub tokens: TokenService,
    /// Sessions ended before their access tokens expire.
    pub revocations: Arc<accounts::revocations::Revocations>,
    /// The courses, loaded and checked at start-up.
    pub content: Arc<courses::content::Catalogue>,
    pub templates: Arc<mail::templates::Templates>,
    /// Every version of every questionnaire.
    pub instruments: Arc<evaluation::instruments::Instruments>,
}

/// Every route under `/api/v1`, one line per feature.
///
/// actix tries the routes in this order and runs a regex for each route with a `{parameter}` it
/// passes: the most frequent requests (an employee's courses, a coach's list) come first.
pub fn api_routes(cfg: &mut Routes) {
    courses::routes(cfg);
    trajectories::routes(cfg);
    accounts::routes(cfg);
    absences::routes(cfg);
    intake::routes(cfg);
    logbook::routes(cfg);
    aftercare::routes(cfg);
    groups::routes(cfg);
    buddies::routes(cfg);
    visits::routes(cfg);
    cards::routes(cfg);
    privacy::routes(cfg);
    evaluation::routes(cfg);
}

/// Loads and checks the course content; every problem is named with file and line.
pub fn load_content(config: &Config) -> Result<courses::content::Catalogue, String> {
    let options = courses::loader::LoadOptions {
        video_base_url: config.video_base_url.clone(),
        image_base_path: "/api/v1/courses".into(),
    };
    courses::loader::load(&config.content_dir, &options).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  {}/{e}", config.content_dir.display())).collect();
        format!("course content has {} problem(s):\n{}", errors.len(), list.join("\n"))
    })
}

/// Loads and checks the questionnaires (items may name courses of `catalogue`).
pub fn load_instruments(
    content_dir: &std::path::Path,
    catalogue: &courses::content::Catalogue,
) -> Result<evaluation::instruments::Instruments, String> {
    let slugs: Vec<String> = catalogue.courses.iter().map(|c| c.slug.clone()).collect();
    evaluation::instruments::load(content_dir, &slugs).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  {}/{e}", content_dir.display())).collect();
        format!("questionnaires have {} problem(s):\n{}", errors.len(), list.join("\n"))
    })
}

/// Resolves secrets, waits for the database, migrates it and builds the pool.
pub fn prepare(mut config: Config) -> Result<AppState, String> {
    config.resolve_secrets()?;
    let mut content = load_content(&config)?;
    let instruments = load_instruments(&config.content_dir, &content)?;
    let templates = mail::templates::Templates::load(&config.content_dir)?;
    let started = Instant::now();
    let wait = Duration::from_secs(config.db_startup_wait_seconds);
    loop {
        match db::migrate(&config.database) {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(migrations = n, "database migrated");
                }
                break;
            }
            Err(e) if started.elapsed() < wait && e.contains("connect") => {
                tracing::warn!(error = %e, "database not reachable yet; waiting");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => return Err(format!("database {}: {e}", db::redact_url(&config.database.location))),
        }
    }
    let pool_size = match config.db_pool_size {
        0 => db::default_pool_size(),
        n => n,
    };
    let pool = db::build_pool(&config.database, pool_size, Duration::from_secs(config.db_timeout_seconds));
    let tokens = TokenService::new(&config.jwt_secret, config.access_token_minutes, config.refresh_token_days);
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    courses::progress::record_versions(&mut conn, &content).map_err(|e| format!("recording course versions: {e}"))?;
    courses::progress::load_page_history(&mut conn, &mut content)
        .map_err(|e| format!("reading course versions: {e}"))?;
    // Sessions ended shortly before a restart stay refused.
    let revocations = Arc::new(accounts::revocations::Revocations::new(config.access_token_minutes));
    revocations.sync(&mut conn).map_err(|e| format!("reading ended sessions: {e}"))?;
    drop(conn);
    Ok(AppState {
        pool,
        config,
        tokens,
        revocations,
        content: Arc::new(content),
        templates: Arc::new(templates),
        instruments: Arc::new(instruments),
    })
}

/// No route answered: 405 where the path takes other methods, 404 where it does not exist.
async fn not_found(
    req: actix_web::HttpRequest,
    spec: web::Data<http::openapi::Served>,
) -> Result<HttpResponse, AppError> {
    match spec.allowed().methods(req.path()) {
        Some(methods) if !methods.contains(&req.method().as_str()) => {
            Err(AppError::MethodNotAllowed { allow: methods.join(", ") })
        }
        _ => Err(AppError::NotFound),
    }
}

/// The running service: the HTTP server and the background worker (mail, reminders).
pub struct Service {
    server: Server,
    worker: mail::worker::Worker,
}

impl Service {
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT or the handle); then stops the worker.
    pub async fn run(mut self) -> std::io::Result<()> {
        let result = (&mut self.server).await;
        self.worker.stop();
        result
    }
}

/// Starts serving on `listener`. SIGTERM/SIGINT stop it gracefully: in-flight requests finish.
pub fn start(state: AppState, listener: TcpListener) -> std::io::Result<Service> {
    let workers = match state.config.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let worker = mail::worker::Worker::spawn(mail::worker::Context {
        pool: state.pool.clone(),
        revocations: state.revocations.clone(),
        templates: state.templates.clone(),
        config: state.config.clone(),
    })
    .map_err(std::io::Error::other)?;
    let timeout = Duration::from_secs(state.config.request_timeout_seconds.max(1));
    let origins = state.config.cors_origins.clone();
    let state = web::Data::new(state);
    http::memory::map_large_blocks();
    let blocking_threads = (state.pool.max_size() as usize).max(2);
    let spec = web::Data::new(http::openapi::Served::default());
    let docs = http::openapi::Docs::new(spec.clone());
    let server = HttpServer::new(move || {
        // Browsers may call the API only from configured origins; none by default.
        let cors = origins.iter().fold(
            actix_cors::Cors::default()
                .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
                .allowed_headers([actix_web::http::header::AUTHORIZATION, actix_web::http::header::CONTENT_TYPE])
                .expose_headers(["x-request-id"])
                .max_age(3600),
            |cors, origin| cors.allowed_origin(origin),
        );
        // The routes without their spec: that is built once, on first use (`openapi::Served`).
        App::new()
            .configure(|cfg| http::routes::all(&mut Routes::Bare(cfg)))
            .app_data(state.clone())
            .app_data(spec.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .configure(|cfg| docs.register(cfg))
            .default_service(web::to(not_found))
            // Without configured origins there is no CORS header at all: browsers then refuse
            // cross-origin reads, and same-origin requests are untouched.
            .wrap(actix_web::middleware::Condition::new(!origins.is_empty(), cors))
            .wrap(from_fn(http::middleware::request_context))
    })
    .client_request_timeout(timeout)
    .client_disconnect_timeout(Duration::from_secs(5))
    .keep_alive(Duration::from_secs(75))
    .workers(workers)
    // A blocking thread without a database connection only waits for one (every blocking task
    // here is a database task, or CPU work that more threads than cores cannot speed up). Left
    // at actix's default of 512 per worker, load spawned a hundred threads, each with its own
    // stack and allocator arena.
    .worker_max_blocking_threads(blocking_threads)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(Service { server, worker })
}
