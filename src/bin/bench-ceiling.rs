//! The benchmark ceiling: actix-web returning a fixed JSON body, with the same worker count as
//! Wilkan and nothing else. Wilkan's routes are measured as a ratio of this (see `bench/run`).
//!
//! With `BENCH_CEILING_BODY` set to a file, `/ceiling` returns that file's bytes instead: `bench/run`
//! gives it a real `GET /me/courses` answer, to separate what the size of an answer costs (HTTP and
//! the kernel) from what Wilkan's work for it costs.

use std::sync::OnceLock;

use actix_web::{get, App, HttpResponse, HttpServer};

// A static rather than app data: an extractor would add work that the ceiling must not have.
static BODY: OnceLock<&'static [u8]> = OnceLock::new();

#[get("/ceiling")]
async fn ceiling() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(*BODY.get_or_init(|| br#"{"status":"ok"}"#))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("WILKAN_BIND").unwrap_or_else(|_| "127.0.0.1:18090".into());
    if let Some(path) = std::env::var_os("BENCH_CEILING_BODY") {
        let _ = BODY.set(Vec::leak(std::fs::read(path)?));
    }
    HttpServer::new(|| App::new().service(ceiling)).bind(bind)?.run().await
}
