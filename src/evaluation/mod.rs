//! Evaluation: questionnaires, the Kirkpatrick and process exports, and the report
//! (EVALUATION.md is the specification).

pub mod answers;
pub mod dataset;
pub mod disclosure;
pub mod engine;
pub mod export;
pub mod instruments;
pub mod kirkpatrick;
pub mod mean_disclosure;
pub mod nested;
pub mod output;
pub(crate) mod periods;
pub mod process;
pub mod pseudonym;
pub mod report;
pub mod responses;
mod routes;
pub mod table;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(responses::list)
        .service(responses::one)
        .service(responses::answer)
        .service(responses::responses)
        .service(routes::kirkpatrick)
        .service(routes::process)
        .service(routes::report);
}
