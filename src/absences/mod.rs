//! Absences (sick-leave episodes), the summary flags and the poortwachter timeline.

pub mod api;
pub mod inclusion;
pub mod routes;
pub mod timeline;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::list)
        .service(routes::create)
        .service(routes::update)
        .service(routes::delete)
        .service(routes::summary);
}
