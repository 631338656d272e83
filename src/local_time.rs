//! Wall-clock time at the organisations (`time_zone`, Europe/Amsterdam by default). Wilkan keeps
//! moments in UTC; a group session is planned in wall-clock time, so that a meeting at ten stays at
//! ten across the change to summer time.

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The wall-clock time at the organisations now.
pub fn now(zone: Tz) -> NaiveDateTime {
    chrono::Utc::now().with_timezone(&zone).naive_local()
}

/// The organisations' date today: a talk at 00:30 is on the day their calendar shows.
pub fn today(zone: Tz) -> chrono::NaiveDate {
    now(zone).date()
}

/// The organisations' date of a moment kept in UTC.
pub fn date_of(zone: Tz, utc: NaiveDateTime) -> chrono::NaiveDate {
    zone.from_utc_datetime(&utc).date_naive()
}

/// The UTC moment of a wall-clock time. A time that occurs twice (the hour the clocks go back)
/// counts from its first occurrence; a time that does not occur (the hour they skip) is read with
/// the offset from before the jump, as a clock not yet put forward shows it (02:30 becomes 03:30).
pub fn to_utc(zone: Tz, local: NaiveDateTime) -> NaiveDateTime {
    if let Some(t) = zone.from_local_datetime(&local).earliest() {
        return t.naive_utc();
    }
    let before = zone.offset_from_utc_datetime(&(local - chrono::TimeDelta::hours(3))).fix();
    local - chrono::TimeDelta::seconds(before.local_minus_utc().into())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use chrono_tz::Europe::Amsterdam;

    use super::to_utc;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn winter_and_summer_time() {
        assert_eq!(to_utc(Amsterdam, at(2026, 12, 1, 10, 0)), at(2026, 12, 1, 9, 0));
        assert_eq!(to_utc(Amsterdam, at(2026, 7, 1, 10, 0)), at(2026, 7, 1, 8, 0));
    }

    #[test]
    fn the_hour_the_clocks_change() {
        // 25 October 2026: 03:00 summer time becomes 02:00 winter time; 02:30 happens twice.
        assert_eq!(to_utc(Amsterdam, at(2026, 10, 25, 2, 30)), at(2026, 10, 25, 0, 30));
        // 29 March 2026: 02:00 winter time becomes 03:00 summer time; 02:30 does not happen.
        assert_eq!(to_utc(Amsterdam, at(2026, 3, 29, 2, 30)), at(2026, 3, 29, 1, 30));
        assert_eq!(to_utc(Amsterdam, at(2026, 3, 29, 3, 0)), at(2026, 3, 29, 1, 0));
    }
}
