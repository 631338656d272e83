//! Dates and times a client sends: only years 1900 to 2199. chrono reads years up to ±262,143
//! ("+262143-12-31"), which PostgreSQL cannot store, SQLite's text order puts in the wrong place,
//! and date arithmetic (aftercare weeks after a return, the day after an audit filter's `to`)
//! overflows on with a panic. Use `#[serde(deserialize_with = "crate::http::dates::plausible")]`,
//! with `default` beside it on an `Option` field.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{de::Error, Deserialize, Deserializer};

pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// The serde message of a date outside the years above; `http::json` gives it in Dutch.
pub(crate) const OUT_OF_RANGE: &str = "date outside the years 1900-2199";

/// How far from today the date of something that happens (an absence, a talk, a visit, a return,
/// a group session) may lie: a typo in the year ("2199", "1926") would otherwise be kept, and
/// block or upset what follows (an open absence overlapping everything after 2199, aftercare
/// check-ins long overdue at once).
pub const YEARS_BACK: i32 = 10;
pub const YEARS_AHEAD: i32 = 2;

/// The serde message of such a date too far away; `http::json` gives it in Dutch.
pub(crate) const NOT_NEAR: &str = "date too far from today";

/// The first and last day [`near`] accepts today. A body is read before anything knows the
/// organisation's time zone, so "today" is taken as wide as the world's clocks go (UTC-12 to
/// UTC+14): a check of plausibility may let through a day more, but must never refuse the last
/// day where the user is (in Amsterdam, UTC's date is a day behind for an hour or two each night).
pub fn near_window() -> (NaiveDate, NaiveDate) {
    let now = chrono::Utc::now().naive_utc();
    let earliest = (now - chrono::TimeDelta::hours(12)).date();
    let latest = (now + chrono::TimeDelta::hours(14)).date();
    (shift(earliest, -YEARS_BACK), shift(latest, YEARS_AHEAD))
}

/// `day` moved by whole years; 29 February falls back to the 28th in a year without it.
fn shift(day: NaiveDate, years: i32) -> NaiveDate {
    let year = day.year() + years;
    day.with_year(year).or_else(|| (day - chrono::Days::new(1)).with_year(year)).unwrap_or(day)
}

/// What a field holds that has a year (absent: nothing to check).
pub trait Dated {
    fn year_of(&self) -> Option<i32>;
    fn day_of(&self) -> Option<NaiveDate>;
}

impl Dated for NaiveDate {
    fn year_of(&self) -> Option<i32> {
        Some(self.year())
    }

    fn day_of(&self) -> Option<NaiveDate> {
        Some(*self)
    }
}

impl Dated for NaiveDateTime {
    fn year_of(&self) -> Option<i32> {
        Some(self.year())
    }

    fn day_of(&self) -> Option<NaiveDate> {
        Some(self.date())
    }
}

impl<T: Dated> Dated for Option<T> {
    fn year_of(&self) -> Option<i32> {
        self.as_ref().and_then(Dated::year_of)
    }

    fn day_of(&self) -> Option<NaiveDate> {
        self.as_ref().and_then(Dated::day_of)
    }
}

/// Reads the field as its type does, then refuses a year outside 1900-2199.
pub fn plausible<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Dated,
{
    let value = T::deserialize(d)?;
    match value.year_of() {
        Some(y) if !(FIRST_YEAR..=LAST_YEAR).contains(&y) => Err(D::Error::custom(OUT_OF_RANGE)),
        _ => Ok(value),
    }
}

/// Reads the field as its type does, then refuses a day more than [`YEARS_BACK`] years before or
/// [`YEARS_AHEAD`] years after today.
pub fn near<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Dated,
{
    let value = T::deserialize(d)?;
    let (first, last) = near_window();
    match value.day_of() {
        Some(day) if day < first || day > last => Err(D::Error::custom(NOT_NEAR)),
        _ => Ok(value),
    }
}

/// [`near`] for a `PATCH` field that can be emptied (as `http::json::present`): left out is
/// `None` (keep the value), `null` is `Some(None)` (empty it), a day is checked as `near` does.
pub fn near_or_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Dated,
{
    near::<D, Option<T>>(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct In {
        #[serde(deserialize_with = "super::plausible")]
        day: chrono::NaiveDate,
        #[serde(default, deserialize_with = "super::plausible")]
        at: Option<chrono::NaiveDateTime>,
    }

    fn read(json: &str) -> Result<In, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn years_from_1900_to_2199_pass_and_others_are_refused() {
        assert!(read(r#"{"day": "1900-01-01"}"#).is_ok_and(|i| i.day.to_string() == "1900-01-01" && i.at.is_none()));
        assert!(read(r#"{"day": "2199-12-31", "at": "2026-12-01T10:00:00"}"#).is_ok());
        assert!(read(r#"{"day": "2026-12-01", "at": null}"#).is_ok_and(|i| i.at.is_none()));
        for bad in [
            r#"{"day": "+262142-12-31"}"#,
            r#"{"day": "-0001-01-01"}"#,
            r#"{"day": "1899-12-31"}"#,
            r#"{"day": "2200-01-01"}"#,
            r#"{"day": "2026-01-01", "at": "+10000-01-01T00:00:00"}"#,
        ] {
            let e = read(bad).unwrap_err();
            assert!(e.starts_with(super::OUT_OF_RANGE), "{bad}: {e}");
        }
        // Not a date at all stays serde's own error.
        assert!(!read(r#"{"day": "morgen"}"#).unwrap_err().starts_with(super::OUT_OF_RANGE));
    }

    #[derive(Debug, Deserialize)]
    struct Event {
        #[serde(deserialize_with = "super::near")]
        day: chrono::NaiveDate,
        #[serde(default, deserialize_with = "super::near")]
        at: Option<chrono::NaiveDateTime>,
    }

    #[derive(Debug, Deserialize)]
    struct Change {
        #[serde(default, deserialize_with = "super::near_or_null")]
        day: Option<Option<chrono::NaiveDate>>,
    }

    #[test]
    fn a_change_leaves_a_day_out_empties_it_or_sets_a_near_one() {
        let read = |json: &str| serde_json::from_str::<Change>(json).map(|c| c.day).map_err(|e| e.to_string());
        assert_eq!(read("{}"), Ok(None));
        assert_eq!(read(r#"{"day": null}"#), Ok(Some(None)));
        let today = chrono::Utc::now().date_naive();
        assert_eq!(read(&format!(r#"{{"day": "{today}"}}"#)), Ok(Some(Some(today))));
        assert!(read(r#"{"day": "2199-01-01"}"#).unwrap_err().starts_with(super::NOT_NEAR));
    }

    #[test]
    fn an_event_lies_within_ten_years_back_and_two_ahead() {
        let (first, last) = super::near_window();
        let today = chrono::Utc::now().date_naive();
        assert_eq!((today - first).num_days() / 365, 10);
        assert_eq!((last - today).num_days() / 365, 2);
        // Today anywhere on earth is inside, with its whole window.
        for hours in [-12, 0, 14] {
            let there = (chrono::Utc::now() + chrono::TimeDelta::hours(hours)).date_naive();
            assert!(first <= super::shift(there, -10) && super::shift(there, 2) <= last, "UTC{hours:+}");
        }
        let read = |day: chrono::NaiveDate, at: Option<chrono::NaiveDate>| {
            let at = at.map(|a| format!(r#", "at": "{a}T09:30:00""#)).unwrap_or_default();
            serde_json::from_str::<Event>(&format!(r#"{{"day": "{day}"{at}}}"#)).map_err(|e| e.to_string())
        };
        for ok in [first, today, last] {
            assert!(read(ok, Some(ok)).is_ok_and(|e| e.day == ok && e.at.is_some_and(|a| a.date() == ok)), "{ok}");
        }
        let day = chrono::Days::new(1);
        for (d, at) in [(first - day, None), (last + day, None), (today, Some(last + day))] {
            assert!(read(d, at).unwrap_err().starts_with(super::NOT_NEAR), "{d} {at:?}");
        }
    }
}
