//! Enums are stored as their snake_case API text (check constraints in the migrations); JSON
//! documents as text. One spelling for the API and the database, through serde.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::AppError;

/// `LedBy::Together` -> "together".
pub fn to_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// "together" -> `LedBy::Together`; a stored value the code no longer knows is an internal error.
pub fn from_text<T: DeserializeOwned>(s: &str) -> Result<T, AppError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| AppError::internal(format!("stored value '{s}': {e}")))
}

pub fn to_json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::internal(e.to_string()))
}

pub fn from_json<T: DeserializeOwned>(s: &str) -> Result<T, AppError> {
    serde_json::from_str(s).map_err(|e| AppError::internal(format!("stored json: {e}")))
}
