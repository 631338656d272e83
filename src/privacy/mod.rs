//! Privacy: the audit log, inzage (everything about me), erasure, and retention.

pub mod audit;
pub mod audit_batch;
pub mod erase;
pub mod inzage;
pub mod routes;
pub mod subject_sets;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::audit_log_list).service(routes::my_data).service(routes::erase_user);
}
