//! Registering the routes: one list of them ([`all`]), registered with their OpenAPI description
//! (the spec) or without it (each HTTP worker of the server).
//!
//! Through utoipa-actix-web every registration also builds the route's part of the spec. Each
//! worker did that at start-up and threw the spec away: megabytes of heap per worker, left
//! fragmented in its allocator arena, and the spec's code paged in beside the server's.

use actix_web::dev::HttpServiceFactory;
use utoipa_actix_web::OpenApiFactory;

/// Where routes are registered.
pub enum Routes<'a, 's> {
    /// With each route's part of the spec (`openapi::document`).
    Described(&'a mut utoipa_actix_web::service_config::ServiceConfig<'s>),
    /// The routes alone (the server's workers).
    Bare(&'a mut actix_web::web::ServiceConfig),
}

impl Routes<'_, '_> {
    pub fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static,
    {
        match self {
            Routes::Described(cfg) => {
                cfg.service(factory);
            }
            Routes::Bare(cfg) => {
                cfg.service(factory);
            }
        }
        self
    }

    /// The routes that `f` registers, under `path`.
    pub fn scope(&mut self, path: &str, f: fn(&mut Routes)) -> &mut Self {
        match self {
            Routes::Described(cfg) => {
                cfg.service(utoipa_actix_web::scope(path).configure(|c| f(&mut Routes::Described(c))));
            }
            Routes::Bare(cfg) => {
                cfg.service(actix_web::web::scope(path).configure(|c| f(&mut Routes::Bare(c))));
            }
        }
        self
    }
}

/// Every operation of the service: the server and the spec both register this list.
pub fn all(routes: &mut Routes) {
    routes.service(super::health::health).service(super::health::ready).scope("/api/v1", crate::api_routes);
}
