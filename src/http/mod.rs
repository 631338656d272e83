//! Shared HTTP pieces: the auth extractor, JSON input with validation, pagination, middleware,
//! health and the OpenAPI document.

pub mod auth;
pub mod client_address;
pub mod dates;
pub mod health;
pub mod json;
pub mod json_writer;
pub mod memory;
pub mod methods;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod query;
pub mod routes;
pub mod time;
