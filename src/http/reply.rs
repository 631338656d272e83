//! JSON answers of a known, large size.

use actix_web::http::header::ContentType;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::AppError;

/// 200 with `value` as JSON, written into a buffer of about `expected` bytes. `HttpResponse::json`
/// starts at 128 bytes and doubles, copying what it has written so far each time: seven times for
/// the 13 KB of an employee's courses.
pub fn json_sized<T: Serialize>(value: &T, expected: usize) -> Result<HttpResponse, AppError> {
    let mut body = Vec::with_capacity(expected);
    serde_json::to_writer(&mut body, value).map_err(|e| AppError::internal(format!("serialising: {e}")))?;
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(body))
}
