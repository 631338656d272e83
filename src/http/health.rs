//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, Problem};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// The process is up (no database check).
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// The database is reachable and every migration has run.
#[utoipa::path(tag = "health", responses(
    (status = 200, body = Health),
    (status = 503, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let current = crate::db::read(&state.pool, crate::db::migrations_current).await?;
    if !current {
        return Err(AppError::Unavailable);
    }
    Ok(HttpResponse::Ok().json(Health { status: "ready".into() }))
}
