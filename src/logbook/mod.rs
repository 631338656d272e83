//! Coaching logbook: entries kept by coaches, their correction history, and weighings.

pub mod api;
pub mod routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    // `/weighings/summary` before any pattern that could match it.
    cfg.service(routes::summary)
        .service(routes::my_weighings)
        .service(routes::list)
        .service(routes::create)
        .service(routes::get_one)
        .service(routes::update)
        .service(routes::redact);
}
