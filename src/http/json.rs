//! JSON input: read with a size limit, parse, and validate, with answers a user can act on.
//!
//! - a body that is not JSON at all: 400;
//! - JSON with a missing, wrongly typed or unknown field: 422 naming the field;
//! - a struct that breaks a `validator` rule: 422 with the rule's Dutch message per field;
//! - a body over the configured limit: 413.

use std::borrow::Cow;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::{future::LocalBoxFuture, StreamExt};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{AppError, FieldErrors};
use crate::AppState;

pub struct ValidJson<T>(pub T);

const DEFAULT_LIMIT: usize = 256 * 1024;

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map_or(DEFAULT_LIMIT, |s| s.config.body_limit_bytes);
        // actix times the headers only: a body sent a byte a minute would hold the connection
        // and its buffer for ever.
        let within = std::time::Duration::from_secs(state.map_or(30, |s| s.config.request_timeout_seconds).max(1));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge);
            }
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| {
                        AppError::BadRequest("De gegevens kwamen niet goed aan. Probeer het opnieuw.".into())
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            let body = actix_web::rt::time::timeout(within, read).await.map_err(|_| AppError::RequestTimeout)??;
            parse(&body).map(ValidJson)
        })
    }
}

/// For a `PATCH` field that can be emptied: absent stays `None` (keep the value), `null` becomes
/// `Some(None)` (empty it). Use with `#[serde(default, deserialize_with = "...")]`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Parses and validates a JSON document (also used for query-less inputs in the CLI).
pub fn parse<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        // 1e400 is JSON all the same, only too large for a number we can hold.
        if e.to_string().starts_with("number out of range") {
            return AppError::field(&out_of_range_field(body), TOO_LARGE_NUMBER);
        }
        AppError::BadRequest(
            "Wat je stuurde is geen geldige JSON. Controleer de gegevens en probeer het opnieuw.".into(),
        )
    })?;
    // JSON can carry a NUL character only as the escape \u0000: look for the field only then.
    if body.windows(6).any(|w| w == br"\u0000") {
        if let Some(field) = nul_field(&value) {
            return Err(AppError::field(if field.is_empty() { "body" } else { &field }, NUL_MESSAGE));
        }
    }
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = describe_serde_error(&path, &e.into_inner().to_string(), "body");
        AppError::field(&field, &message)
    })?;
    parsed.validate().map_err(validation_error)?;
    Ok(parsed)
}

/// The field whose number is out of range (`body` for a bare number): read again, noting the
/// path, only for such a document.
fn out_of_range_field(body: &[u8]) -> String {
    let mut document = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, serde_json::Value>(&mut document) {
        Err(e) if e.path().to_string() != "." => e.path().to_string(),
        _ => "body".into(),
    }
}

const TOO_LARGE_NUMBER: &str = "Dit getal is te groot of te klein. Controleer het getal.";

/// A NUL character cannot be stored (PostgreSQL refuses it in text) and has no place in what a
/// person types: refused for every field, in bodies and query strings alike.
pub(crate) const NUL_MESSAGE: &str =
    "Hierin staat een onzichtbaar teken (een nul-teken) dat we niet kunnen bewaren. Typ de tekst opnieuw.";

/// The path (as serde names fields: `a.b`, `a[0]`) of the first text or key holding a NUL.
fn nul_field(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let join = |head: String, rest: String| match rest.as_str() {
        "" => head,
        r if r.starts_with('[') => format!("{head}{r}"),
        r => format!("{head}.{r}"),
    };
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_field(v).map(|rest| join(format!("[{i}]"), rest)))
        }
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(k.replace('\0', ""));
            }
            nul_field(v).map(|rest| join(k.clone(), rest))
        }),
        _ => None,
    }
}

fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

fn join_path(path: &str, name: &str) -> String {
    if path == name || path.ends_with(&format!(".{name}")) {
        path.to_string()
    } else if path == "." || path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Turns a serde message into (field, Dutch message); `root` names the whole input.
pub(crate) fn describe_serde_error(path: &str, msg: &str, root: &str) -> (String, String) {
    let names = backticked(msg);
    if msg.starts_with("missing field") {
        let field = join_path(path, names.first().copied().unwrap_or("?"));
        return (field, "Dit veld is verplicht.".into());
    }
    if msg.starts_with("unknown field") {
        let field = join_path(path, names.first().copied().unwrap_or("?"));
        return (field, "Dit veld kennen we niet. Haal het weg of controleer de spelling.".into());
    }
    let field = if path == "." { root.to_string() } else { path.to_string() };
    if msg.starts_with("unknown variant") {
        let allowed: Vec<&str> = names.iter().skip(1).copied().collect();
        return (field, format!("Deze waarde kennen we niet. Kies uit: {}.", allowed.join(", ")));
    }
    if msg.starts_with(super::dates::OUT_OF_RANGE) {
        let (first, last) = (super::dates::FIRST_YEAR, super::dates::LAST_YEAR);
        return (field, format!("Kies een datum in de jaren {first} tot en met {last}. Controleer het jaartal."));
    }
    if msg.starts_with(super::dates::NOT_NEAR) {
        let (first, last) = super::dates::near_window();
        return (field, format!("Kies een datum van {first} tot en met {last} (JJJJ-MM-DD). Controleer het jaartal."));
    }
    if msg.contains("premature end of input")
        || msg.contains("input contains invalid characters")
        || msg.contains("input is out of range")
        || msg.contains("trailing input")
    {
        return (
            field,
            "Dit is geen geldige datum of tijd. Gebruik JJJJ-MM-DD, of voor een tijdstip JJJJ-MM-DDTUU:MM:SS.".into(),
        );
    }
    // A number, but not one the field can hold (300 for a score, 3 billion minutes).
    if msg.starts_with("invalid value: integer") || msg.starts_with("invalid value: floating point") {
        return (field, TOO_LARGE_NUMBER.into());
    }
    (field, "Dit veld heeft niet de juiste vorm (bijvoorbeeld tekst waar een getal hoort).".into())
}

/// Flattens validator errors to field -> Dutch messages.
pub fn validation_error(errors: ValidationErrors) -> AppError {
    let mut out = FieldErrors::new();
    collect(&errors, "", &mut out);
    AppError::Validation { detail: "Niet alle gegevens kloppen. Kijk de velden hieronder na.".into(), errors: out }
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let name =
            if field == "__all__" { prefix.trim_end_matches('.').to_string() } else { format!("{prefix}{field}") };
        let name = if name.is_empty() { "body".to_string() } else { name };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e.message.clone().unwrap_or_else(|| Cow::Owned(default_message(&e.code)));
                    // A check of the whole input (`validate(schema)`) names in its code the field
                    // to correct, so the client can show the message beside it.
                    let name = if field == "__all__" && !e.code.is_empty() {
                        format!("{prefix}{}", e.code)
                    } else {
                        name.clone()
                    };
                    out.entry(name).or_default().push(message.into_owned());
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &format!("{name}."), out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{name}[{i}]."), out);
                }
            }
        }
    }
}

fn default_message(code: &str) -> String {
    match code {
        "email" => "Vul een geldig e-mailadres in.".into(),
        "length" => "De lengte klopt niet.".into(),
        "range" => "Deze waarde valt buiten wat kan.".into(),
        "url" => "Vul een geldig webadres in.".into(),
        _ => "Deze waarde klopt niet.".into(),
    }
}
