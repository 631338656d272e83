//! Trajectories: one employee's run through the method with one coach, its status history,
//! the inclusion guide and consent.

pub mod api;
mod latest_consent;
mod list_json;
pub mod model;
pub mod queries;
mod routes;
mod stored_answers;
pub mod timeline;
mod wind_down;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::list)
        .service(routes::create)
        .service(routes::get_one)
        .service(routes::update)
        .service(routes::consents)
        .service(routes::record_consent)
        .service(timeline::timeline);
}
