//! Cursor pagination: `?limit=&cursor=`, answered with `next_cursor`. IDs are UUID v7, so ordering
//! by id is ordering by creation and the last id of a page is the cursor of the next.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppError;
use crate::http::dates::{Dated, FIRST_YEAR, LAST_YEAR};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page (1-200, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size and the parsed [`key_cursor`] of a list sorted by a key and then id.
    pub fn keyset<K: std::str::FromStr + Dated>(&self) -> Result<(i64, Option<(K, String)>), AppError> {
        Ok((self.limit()?, parse_key_cursor(self.cursor.as_deref())?))
    }

    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::field("limit", "Kies een aantal van 1 tot en met 200.")),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// For lists sorted by a date or a moment and then by id (both ascending, or both descending): the
/// cursor is `<sort key>~<id>` of a page's last item, and the next page holds what sorts after it.
/// The id breaks ties, so pages have no gaps and no repeats when two items share a key.
pub fn key_cursor(key: &str, id: &str) -> String {
    format!("{key}~{id}")
}

/// Checks the cursor of a list sorted by id (its `next_cursor` is the last item's id): anything but
/// a whole id gets a 422, as a bad [`key_cursor`] does. A cut-off id would bring back rows of
/// pages before, a made-up one an empty page that reads as the end of the list.
pub fn check_id_cursor(cursor: Option<&str>) -> Result<(), AppError> {
    match cursor {
        Some(c) if uuid::Uuid::try_parse(c).map_or(true, |id| id.to_string() != c) => {
            Err(AppError::field("cursor", "Deze cursor kennen we niet. Vraag de lijst opnieuw op, zonder cursor."))
        }
        _ => Ok(()),
    }
}

/// A moment as a cursor key: to the microsecond (as stored), readable back by `NaiveDateTime`'s `FromStr`.
pub fn moment_key(at: &chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// The sort key and id of a [`key_cursor`]; a cursor that is not one gets a 422, and so does a
/// key with a year no list holds (a made-up cursor: PostgreSQL refuses years before 4713 BC).
pub fn parse_key_cursor<K: std::str::FromStr + Dated>(cursor: Option<&str>) -> Result<Option<(K, String)>, AppError> {
    cursor
        .map(|c| {
            c.split_once('~')
                .and_then(|(key, id)| Some((key.parse::<K>().ok()?, id.to_string())))
                .filter(|(key, _)| key.year_of().is_none_or(|y| (FIRST_YEAR..=LAST_YEAR).contains(&y)))
                .ok_or_else(|| {
                    AppError::field("cursor", "Deze cursor kennen we niet. Vraag de lijst opnieuw op, zonder cursor.")
                })
        })
        .transpose()
}

/// Narrows a boxed query, sorted by `(key, id)`, to the rows after a parsed [`key_cursor`]:
/// `after_key!(q, (key, id) > cursor)` for a list in ascending order, `<` for descending.
/// A macro because the columns differ in type from list to list.
macro_rules! after_key {
    ($query:expr, ($key:expr, $id:expr) > $cursor:expr) => {
        match $cursor {
            Some((k, i)) => $query.filter($key.gt(k.clone()).or($key.eq(k).and($id.gt(i)))),
            None => $query,
        }
    };
    ($query:expr, ($key:expr, $id:expr) < $cursor:expr) => {
        match $cursor {
            Some((k, i)) => $query.filter($key.lt(k.clone()).or($key.eq(k).and($id.lt(i)))),
            None => $query,
        }
    };
}
pub(crate) use after_key;

impl<T> Page<T> {
    /// `rows` was fetched with `limit + 1` to learn whether another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&id) } else { None };
        Page { items: rows, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};

    use super::*;

    #[test]
    fn a_cursor_is_read_back_and_a_made_up_one_is_refused() {
        let at = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_micro_opt(10, 0, 0, 5).unwrap();
        let cursor = key_cursor(&moment_key(&at), "id-1");
        assert_eq!(parse_key_cursor::<NaiveDateTime>(Some(&cursor)).unwrap(), Some((at, "id-1".to_string())));
        assert_eq!(parse_key_cursor::<NaiveDate>(Some("2026-12-01~x")).unwrap().unwrap().1, "x");
        assert_eq!(parse_key_cursor::<NaiveDate>(None).unwrap(), None);
        for forged in ["-5000-01-01~x", "+10000-01-01~x", "2026-12-01", "morgen~x"] {
            assert!(parse_key_cursor::<NaiveDate>(Some(forged)).is_err(), "{forged}");
        }
    }
}
