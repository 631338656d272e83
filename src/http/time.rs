//! Timestamps in the API are RFC 3339 in UTC ("2026-11-24T07:06:24.965037Z"), as API.md says;
//! the database stores them as naive UTC. Use `#[serde(with = "crate::http::time::utc")]`.

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat, Timelike};
use serde::{Deserialize, Deserializer, Serializer};

fn parse(s: &str) -> Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.naive_utc())
        .or_else(|_| s.parse::<NaiveDateTime>())
        .map_err(|e| e.to_string())
}

/// What `to_rfc3339_opts(SecondsFormat::Micros, true)` writes, digit by digit into a fixed
/// buffer: chrono's version goes through its general formatter into a new `String`, twice per row
/// of a staff list. `None` for what the fixed layout cannot hold (a year outside 0-9999, a leap
/// second); chrono writes those.
fn rfc3339_micros(t: &NaiveDateTime) -> Option<[u8; 27]> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    if t.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let fields = [
        (0..4, year),
        (5..7, t.month()),
        (8..10, t.day()),
        (11..13, t.hour()),
        (14..16, t.minute()),
        (17..19, t.second()),
        (20..26, t.nanosecond() / 1000),
    ];
    for (range, mut value) in fields {
        for digit in out[range].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    Some(out)
}

pub mod utc {
    use super::*;

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        match rfc3339_micros(t) {
            // Only ASCII digits and separators: never an error.
            Some(text) => s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?),
            None => s.serialize_str(&t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map_err(serde::de::Error::custom)
    }
}

pub mod utc_option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::utc::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| parse(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fixed layout writes what chrono writes, wherever it applies.
        #[test]
        fn fixed_layout_matches_chrono(secs in -62_167_219_200i64..253_402_300_800i64, nanos in 0u32..2_000_000_000) {
            if let Some(t) = DateTime::from_timestamp(secs, nanos).map(|d| d.naive_utc()) {
                let chrono = t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true);
                match rfc3339_micros(&t) {
                    Some(fixed) => prop_assert_eq!(std::str::from_utf8(&fixed).unwrap(), chrono),
                    None => prop_assert!(t.year() > 9999 || t.year() < 0 || t.nanosecond() >= 1_000_000_000),
                }
            }
        }
    }

    #[test]
    fn serialises_as_the_api_shows_it() {
        let t = NaiveDateTime::parse_from_str("2026-11-24 07:06:24.965037", "%Y-%m-%d %H:%M:%S%.f").unwrap();
        let mut out = Vec::new();
        utc::serialize(&t, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(out, b"\"2026-11-24T07:06:24.965037Z\"");
        let leap = t.date().and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        assert!(rfc3339_micros(&leap).is_none());
    }
}
