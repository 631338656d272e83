//! `column` starts with a given text, the same on both backends.
//!
//! `LIKE 'text%'` is not that: `_` and `%` in the text match any character, and SQLite's `LIKE`
//! ignores the case of ASCII letters where PostgreSQL's does not. Comparing the first characters
//! is exact and case-sensitive on both.

use diesel::expression::AsExpression;
use diesel::sql_types::{Integer, Text};

diesel::define_sql_function! {
    /// The `length` characters of `s` from position `start` (1-based); the same on both backends.
    fn substr(s: Text, start: Integer, length: Integer) -> Text;
}

/// `column` begins with `prefix`, compared character by character.
pub fn starts_with<C>(column: C, prefix: &str) -> diesel::dsl::Eq<substr<C, i32, i32>, String>
where
    C: diesel::Expression<SqlType = Text> + AsExpression<Text>,
{
    use diesel::ExpressionMethods;
    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    substr(column, 1, length).eq(prefix.to_string())
}
