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
    let mut caller = state.tokens.verify_access(token.trim())?;
    if state.revocations.is_ended(&caller.session_id) {
        return Err(AppError::Unauthorized("Je bent uitgelogd. Log opnieuw in.".into()));
    }
    let (action, request_id) = request_context(req);
    caller.action = action;
    caller.request_id = request_id;
    Ok(caller)
}

/// "<METHOD> <route pattern>" and the request id, for audit entries.
pub fn request_context(req: &HttpRequest) -> (String, String) {
    use actix_web::HttpMessage;
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_string());
    let id = req.extensions().get::<crate::http::middleware::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    (format!("{} {route}", req.method()), id)
}

/// An audit entry for a request without a logged-in caller (login, card links).
pub fn anonymous_audit(req: &HttpRequest, action: &str) -> crate::privacy::audit::AuditEntry {
    let (route, id) = request_context(req);
    crate::privacy::audit::AuditEntry::anonymous(action, route.split_once(' ').map_or(&route, |(_, r)| r), &id)
}
