//! Intake (the IGM scan of willen and kunnen), the plan van aanpak and the work-values card.

pub mod api;
pub mod routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::get_intake)
        .service(routes::put_intake)
        .service(routes::get_plan)
        .service(routes::put_plan)
        .service(routes::get_work_values)
        .service(routes::put_work_values);
}
