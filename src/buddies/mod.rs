//! Buddy pairs: two employees in the method who support each other. A pair is proposed, becomes
//! active when both say yes, and either can end it. A buddy sees only the other's first name and
//! the way of contact the other chose to share.

pub mod routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::summary)
        .service(routes::list)
        .service(routes::create)
        .service(routes::confirm)
        .service(routes::end)
        .service(routes::mine);
}
