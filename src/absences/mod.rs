//! Absences (sick-leave episodes), the summary flags and the poortwachter timeline.

pub mod api;
pub mod routes;
pub mod timeline;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list).service(routes::create).service(routes::update).service(routes::summary);
}
