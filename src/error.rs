//! The one error type of Wilkan, answered as `application/problem+json` (RFC 9457) with a Dutch
//! `detail` a user can act on. Handlers return `Result<_, AppError>`; nothing else reaches a client.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The path exists, with other methods (listed in `Allow`).
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body did not arrive within `request_timeout_seconds`.
    #[error("request timeout")]
    RequestTimeout,
    #[error("validation failed: {errors:?}")]
    Validation { detail: String, errors: FieldErrors },
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem+json body. `errors` is present for 422 only.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// URI naming the kind of problem.
    #[schema(example = "https://wilkan.nl/problems/validation")]
    pub r#type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What happened and what the user can do, in plain Dutch.
    pub detail: String,
    /// For 422: field name -> messages (Dutch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

impl AppError {
    pub fn internal(msg: impl Into<String>) -> Self {
        AppError::Internal(msg.into())
    }

    /// A 422 about one field.
    pub fn field(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_string(), vec![message.to_string()]);
        AppError::Validation { detail: "Niet alle gegevens kloppen. Kijk de velden hieronder na.".into(), errors }
    }

    fn parts(&self) -> (&'static str, &'static str, String) {
        match self {
            AppError::BadRequest(d) => ("bad-request", "Bad request", d.clone()),
            AppError::Unauthorized(d) => ("unauthorized", "Unauthorized", d.clone()),
            AppError::Forbidden => ("forbidden", "Forbidden", "Je hebt geen toestemming voor deze actie.".into()),
            AppError::NotFound => (
                "not-found",
                "Not found",
                "Dit bestaat niet, of je mag het niet zien. Kijk of de link of het adres klopt.".into(),
            ),
            AppError::Conflict(d) => ("conflict", "Conflict", d.clone()),
            AppError::Gone(d) => ("gone", "Gone", d.clone()),
            AppError::MethodNotAllowed { allow } => (
                "method-not-allowed",
                "Method not allowed",
                format!("Dit adres bestaat, maar niet voor deze handeling. Het kan wel met: {allow}."),
            ),
            AppError::RequestTimeout => (
                "request-timeout",
                "Request timeout",
                "Het versturen duurde te lang. Controleer je verbinding en probeer het opnieuw.".into(),
            ),
            AppError::PayloadTooLarge => (
                "payload-too-large",
                "Payload too large",
                "Wat je stuurt is te groot. Maak de tekst korter en probeer het opnieuw.".into(),
            ),
            AppError::Validation { detail, .. } => ("validation", "Validation failed", detail.clone()),
            AppError::TooManyRequests { retry_after_seconds } => (
                "too-many-requests",
                "Too many requests",
                match retry_after_seconds.div_ceil(60) {
                    0 | 1 => "Te veel pogingen. Wacht 1 minuut en probeer het dan opnieuw.".to_string(),
                    minutes => format!("Te veel pogingen. Wacht {minutes} minuten en probeer het dan opnieuw."),
                },
            ),
            AppError::Unavailable => (
                "unavailable",
                "Service unavailable",
                "Wilkan kan de gegevens nu niet bereiken. Probeer het over een paar minuten opnieuw.".into(),
            ),
            AppError::Internal(_) => (
                "internal",
                "Internal server error",
                "Er ging bij ons iets mis. Probeer het later opnieuw; blijft het misgaan, meld het dan.".into(),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title, detail) = self.parts();
        Problem {
            r#type: format!("https://wilkan.nl/problems/{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors: match self {
                AppError::Validation { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(msg) = self {
            tracing::error!(error = %msg, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            AppError::TooManyRequests { retry_after_seconds } => {
                res.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            AppError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            AppError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(format!("i/o: {e}"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => AppError::NotFound,
            // A duplicate the handler did not foresee: a name taken, or the same save twice at
            // once (a double click). A taken email address has its own message (`duplicate_email`).
            E::DatabaseError(K::UniqueViolation, _) => AppError::Conflict(
                "Dit bestaat al, of is net tegelijk opgeslagen. Vernieuw de gegevens en kijk of het er al staat."
                    .into(),
            ),
            // Handlers check what a request names before writing; a reference that still fails is
            // to something removed meanwhile (e.g. a person erased while this request ran).
            E::DatabaseError(K::ForeignKeyViolation, _) => AppError::Conflict(
                "Iets waar dit naar verwijst, is net verwijderd. Vernieuw de gegevens en probeer het opnieuw.".into(),
            ),
            // Two transactions that waited for each other (PostgreSQL ends one): nothing was
            // written, and the same request a moment later goes through.
            E::DatabaseError(K::SerializationFailure, _) => AppError::Conflict(SIMULTANEOUS.into()),
            E::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                AppError::Conflict(SIMULTANEOUS.into())
            }
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _) | E::BrokenTransactionManager => {
                AppError::Unavailable
            }
            E::DatabaseError(_, info) if is_unavailable_message(info.message()) => AppError::Unavailable,
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

const SIMULTANEOUS: &str =
    "Iemand anders veranderde dit op hetzelfde moment. Er is niets opgeslagen: probeer het nog eens.";

/// Messages of errors that mean "the database is not there right now", not "your input is wrong".
fn is_unavailable_message(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    [
        "database is locked",
        "terminating connection",
        "server closed the connection",
        "connection refused",
        "no connection to the server",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

impl Problem {
    /// One line for a terminal: the detail and any field messages.
    pub fn detail_with_fields(&self) -> String {
        let mut out = self.detail.clone();
        for (field, messages) in self.errors.iter().flatten() {
            out.push_str(&format!(" {field}: {}", messages.join(" ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that points at a row removed meanwhile is a 409 the user can act on, not a 500.
    #[test]
    fn a_reference_to_something_just_removed_is_a_conflict() {
        use diesel::result::{DatabaseErrorKind, Error};
        let info = Box::new(String::from("violates foreign key constraint"));
        let AppError::Conflict(detail) =
            AppError::from(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info))
        else {
            panic!("not a conflict");
        };
        assert!(detail.contains("verwijderd"), "{detail}");
    }

    /// Two transactions that waited for each other: PostgreSQL ends one; its request may simply
    /// be sent again (409), it is not a fault of the server (500).
    #[test]
    fn a_deadlock_or_serialization_failure_is_a_conflict_to_retry() {
        use diesel::result::{DatabaseErrorKind, Error};
        for (kind, message) in [
            (DatabaseErrorKind::Unknown, "deadlock detected"),
            (DatabaseErrorKind::SerializationFailure, "could not serialize access due to concurrent update"),
        ] {
            let AppError::Conflict(detail) = AppError::from(Error::DatabaseError(kind, Box::new(message.to_string())))
            else {
                panic!("{message}: not a conflict");
            };
            assert!(detail.contains("nog eens"), "{detail}");
        }
    }
}
