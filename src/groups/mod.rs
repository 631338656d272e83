//! Group sessions (groepsgesprekken): peer meetings with a facilitator, invitations and attendance.

pub mod api;
pub mod routes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    // `/group-sessions/interest` before `/group-sessions/{id}`.
    cfg.service(routes::interest)
        .service(routes::list)
        .service(routes::create)
        .service(routes::get_one)
        .service(routes::update)
        .service(routes::attendance);
}
