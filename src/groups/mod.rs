//! Group sessions (groepsgesprekken): peer meetings with a facilitator, invitations and attendance.

pub mod api;
pub mod routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    // `/group-sessions/interest` before `/group-sessions/{id}`.
    cfg.service(routes::interest)
        .service(routes::list)
        .service(routes::create)
        .service(routes::get_one)
        .service(routes::update)
        .service(routes::attendance);
}
