//! The benchmark ceiling: actix-web returning a fixed JSON body, with the same worker count as
//! Wilkan and nothing else. Wilkan's routes are measured as a ratio of this (see `bench/run`).

use actix_web::{get, App, HttpResponse, HttpServer};

#[get("/ceiling")]
async fn ceiling() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("WILKAN_BIND").unwrap_or_else(|_| "127.0.0.1:18090".into());
    HttpServer::new(|| App::new().service(ceiling)).bind(bind)?.run().await
}
