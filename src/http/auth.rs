//! The authentication extractor: a handler that takes a `Caller` argument only runs for a request
//! with a valid access token. Handlers without it are public, which stands out in review and in the
//! access-matrix test.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::error::AppError;
use crate::policy::Caller;
use crate::AppState;

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Caller, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_from_request(req))
    }
}

fn caller_from_request(req: &HttpRequest) -> Result<Caller, AppError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::internal("application state missing"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(|| AppError::Unauthorized("Je bent niet ingelogd. Log in en probeer het opnieuw.".into()))?;
    state.tokens.verify_access(token.trim())
}
