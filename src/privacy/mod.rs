//! Privacy: the audit log, inzage (everything about me), erasure, and retention.

pub mod audit;
