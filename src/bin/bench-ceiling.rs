//! The benchmark ceiling: actix-web returning a fixed JSON body, with the same worker count as
//! Wilkan and nothing else. Wilkan's routes are measured as a ratio of this (see `bench/run`).
//!
//! With `BENCH_CEILING_BODY` set to a file, `/ceiling` returns that file's bytes instead: `bench/run`
//! gives it a real `GET /me/courses` answer, to separate what the size of an answer costs (HTTP and
//! the kernel) from what Wilkan's work for it costs.
//!
//! With `DATABASE_URL` set, `/ceiling` first runs `SELECT 1` through Wilkan's own pool, the way
//! `GET /me/courses` runs its one statement (`db::read_statement_by_key`, pool of the same size):
//! the floor that one database round trip sets for any authenticated read on this machine.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::{get, App, HttpResponse, HttpServer};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use wilkan::db::{self, DbConnection, DbPool, DbTarget};
use wilkan::error::AppError;

// Statics rather than app data: an extractor would add work that the ceiling must not have.
static BODY: OnceLock<&'static [u8]> = OnceLock::new();
static POOL: OnceLock<DbPool> = OnceLock::new();

#[get("/ceiling")]
async fn ceiling() -> Result<HttpResponse, AppError> {
    if let Some(pool) = POOL.get() {
        let one = db::read_statement_by_key(pool, select_one).await?;
        debug_assert_eq!(one, 1);
    }
    Ok(HttpResponse::Ok().content_type("application/json").body(*BODY.get_or_init(|| br#"{"status":"ok"}"#)))
}

/// On the backend's own connection, as Wilkan's hot reads do, so the statement is prepared once.
fn select_one(conn: &mut DbConnection) -> Result<i32, AppError> {
    let query = diesel::select(1.into_sql::<Integer>());
    Ok(db::on_backend!(conn, c => query.get_result(c))?)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("WILKAN_BIND").unwrap_or_else(|_| "127.0.0.1:18090".into());
    if let Some(path) = std::env::var_os("BENCH_CEILING_BODY") {
        let _ = BODY.set(Vec::leak(std::fs::read(path)?));
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let target = DbTarget::parse(&url).map_err(std::io::Error::other)?;
        let _ = POOL.set(db::build_pool(&target, db::default_pool_size(), Duration::from_secs(5)));
    }
    HttpServer::new(|| App::new().service(ceiling)).bind(bind)?.run().await
}
