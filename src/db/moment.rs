//! Timestamps read from SQLite by position rather than through chrono's format parser.
//!
//! SQLite keeps a timestamp as text, and diesel reads it by trying a list of chrono formats, each
//! parsed from its format string again for every value: for a coach's list of ten trajectories,
//! two timestamps each, 7.6% of the instructions per request (callgrind; 0.94x with `Moment`).
//! [`Moment`] reads the one layout diesel writes ("2026-11-24 07:06:24.965037") digit by digit, and leaves
//! any other text, a number or a leap second to diesel. PostgreSQL sends timestamps as binary, and
//! diesel's own reading stays.
//!
//! Use it on a `NaiveDateTime` field of a `Queryable` row that is read often:
//! `#[diesel(deserialize_as = crate::db::moment::Moment)]`, or as `Option<Moment>` in a tuple row
//! for a nullable column (diesel's `Option` reading calls this one for a value that is not NULL).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

use super::MultiBackend;

#[derive(Debug, diesel::deserialize::FromSqlRow)]
pub struct Moment(pub NaiveDateTime);

impl From<Moment> for NaiveDateTime {
    fn from(m: Moment) -> Self {
        m.0
    }
}

impl FromSql<Timestamp, Sqlite> for Moment {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text) {
            if let Some(t) = parse(value.read_text()) {
                return Ok(Moment(t));
            }
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Moment)
    }
}

impl FromSql<Timestamp, Pg> for Moment {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Moment)
    }
}

impl FromSql<Timestamp, MultiBackend> for Moment {
    fn from_sql(value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Moment, Timestamp>()
    }
}

/// "YYYY-MM-DD HH:MM:SS" with an optional fraction of 1 to 9 digits, as chrono's `%F %T%.f`
/// writes it for years 0 to 9999; `None` for anything else.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let (whole, fraction) = b.split_at_checked(19)?;
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| whole[i] != c) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits(&whole[range]);
    let nanos = match fraction {
        [] => 0,
        [b'.', digits_after @ ..] if (1..=9).contains(&digits_after.len()) => {
            digits(digits_after)? * 10u32.pow(9 - digits_after.len() as u32)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?.and_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    proptest! {
        /// Whatever diesel writes is read back as the same moment.
        #[test]
        fn reads_what_diesel_writes(secs in -62_167_219_200i64..253_402_300_800i64, nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap().naive_utc();
            let written = t.format("%F %T%.f").to_string();
            prop_assert_eq!(parse(&written), Some(t));
        }

        /// Any other text either reads as chrono reads it with diesel's first format, or is left to
        /// diesel.
        #[test]
        fn agrees_with_chrono_or_declines(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?Z?") {
            if let Some(t) = parse(&text) {
                prop_assert_eq!(Some(t), NaiveDateTime::parse_from_str(&text, "%F %T%.f").ok());
            }
        }
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for text in
            ["2026-11-24T07:06:24", "2026-11-24 07:06", "2026-02-30 07:06:24", "2026-11-24 23:59:60", "1.5e3", ""]
        {
            assert_eq!(parse(text), None, "{text}");
        }
        assert_eq!(
            parse("2026-11-24 07:06:24.5"),
            NaiveDateTime::parse_from_str("2026-11-24 07:06:24.5", "%F %T%.f").ok()
        );
    }
}
