//! Query strings, parsed like JSON bodies: a wrong value is named by its parameter, with a
//! Dutch message that says what is expected (actix's own `Query` names neither).

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Query))
    }
}

pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    // A NUL character arrives only as %00.
    if query.contains("%00") {
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((key, _)) = pairs.into_iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(AppError::field(&key.replace('\0', ""), super::json::NUL_MESSAGE));
        }
    }
    let parts = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(parts).map_err(|e| {
        let path = e.path().to_string();
        let (field, message) = super::json::describe_serde_error(&path, &e.into_inner().to_string(), "query");
        AppError::field(&field, &message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    enum Level {
        #[serde(rename = "high")]
        High,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Filter {
        limit: Option<i64>,
        level: Option<Level>,
        from: Option<chrono::NaiveDate>,
        key: String,
    }

    fn field_of(query: &str) -> (String, String) {
        match parse::<Filter>(query) {
            Err(AppError::Validation { errors, .. }) => {
                let (field, messages) = errors.into_iter().next().unwrap();
                (field, messages[0].clone())
            }
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_parameter_not_its_value() {
        assert!(parse::<Filter>("key=k&limit=5&level=high&from=2026-01-31").is_ok());
        assert_eq!(field_of("key=k&limit=vijf").0, "limit");
        let (field, message) = field_of("key=k&level=hoog");
        assert_eq!(field, "level");
        assert!(message.contains("high"), "{message}");
        let (field, message) = field_of("key=k&from=31-01-2026");
        assert_eq!(field, "from");
        assert!(message.contains("JJJJ-MM-DD"), "{message}");
        let (field, message) = field_of("limit=5");
        assert_eq!(field, "key");
        assert_eq!(message, "Dit veld is verplicht.");
    }
}
