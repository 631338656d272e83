//! What the recorded absences say about the inclusion guide's two absence questions (DOMAIN.md):
//! absent for more than 4 weeks, or frequently (4 or more absences in 12 months). Computed from
//! the episodes every time, as the summary is: a correction of the records corrects the answer.

use chrono::NaiveDate;

use super::routes::{episodes_of, Absence};
use super::timeline::{self, Episode};
use crate::db::DbConnection;
use crate::error::AppError;

/// "More than 4 weeks": the 29th sick day onwards.
pub const OVER_FOUR_WEEKS_DAYS: i64 = 28;

/// The records as they stood on a day. Each answer says something only where the records do: the
/// first while an absence ran that day, the second with an absence in the 12 months up to it
/// (without, `false` is for want of records, not by them: often the absence is not recorded yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criteria {
    /// An absence ran that day.
    pub absence_running: bool,
    /// Absences in the 12 months up to that day (episodes that follow on count once).
    pub absences_last_12_months: usize,
    pub absent_over_4_weeks: bool,
    pub frequent_absence: bool,
}

/// The criteria on `day`: an episode begun later is left out, and one that ended later was still
/// running that day.
pub fn on(episodes: &[Episode], day: NaiveDate) -> Criteria {
    let then: Vec<Episode> = episodes
        .iter()
        .filter(|e| e.start <= day)
        .map(|e| Episode { end: e.end.filter(|end| *end < day), ..*e })
        .collect();
    let figures = timeline::figures(&then, day);
    Criteria {
        absence_running: figures.current_days.is_some(),
        absences_last_12_months: figures.episodes_last_12_months,
        absent_over_4_weeks: figures.current_days.is_some_and(|d| d > OVER_FOUR_WEEKS_DAYS),
        frequent_absence: figures.frequent,
    }
}

/// The employee's records on `day`. The caller decides first whether these may be read.
pub fn of_employee(conn: &mut DbConnection, employee_id: &str, day: NaiveDate) -> Result<Criteria, AppError> {
    let episodes: Vec<Episode> = episodes_of(conn, employee_id)?.iter().map(Absence::episode).collect();
    Ok(on(&episodes, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ep(start: &str, end: Option<&str>) -> Episode {
        Episode { start: d(start), end: end.map(d), percentage: 100 }
    }

    #[test]
    fn more_than_four_weeks_is_the_twenty_ninth_sick_day_of_the_absence_then() {
        let running = [ep("2026-11-01", None)];
        assert!(!on(&running, d("2026-11-28")).absent_over_4_weeks, "day 28");
        assert!(on(&running, d("2026-11-29")).absent_over_4_weeks, "day 29");
        // Ended since: on the day it still ran, and counted from its first day across a partial
        // return recorded as a new episode.
        let ended = [ep("2026-10-01", Some("2026-10-20")), ep("2026-10-21", Some("2026-12-01"))];
        assert!(on(&ended, d("2026-11-15")).absent_over_4_weeks);
        assert_eq!(on(&ended, d("2026-11-15")).absences_last_12_months, 1);
        let later = on(&ended, d("2026-12-02"));
        assert!(!later.absent_over_4_weeks && !later.absence_running, "better again by then");
        assert_eq!(later.absences_last_12_months, 1);
        // On its last sick day it still runs.
        assert!(on(&ended, d("2026-12-01")).absent_over_4_weeks);
    }

    #[test]
    fn what_began_later_is_not_counted() {
        let eps = [
            ep("2026-01-05", Some("2026-01-06")),
            ep("2026-03-02", Some("2026-03-03")),
            ep("2026-06-01", Some("2026-06-02")),
            ep("2026-09-01", Some("2026-09-02")),
        ];
        let before_the_fourth = on(&eps, d("2026-08-31"));
        assert_eq!((before_the_fourth.absences_last_12_months, before_the_fourth.frequent_absence), (3, false));
        let after = on(&eps, d("2026-09-01"));
        assert_eq!((after.absences_last_12_months, after.frequent_absence, after.absence_running), (4, true, true));
        assert!(!after.absent_over_4_weeks);
        // A year on, the first has left the 12 months.
        assert_eq!(on(&eps, d("2027-01-05")).absences_last_12_months, 4, "its last day is in them");
        assert_eq!(on(&eps, d("2027-01-06")).absences_last_12_months, 3);
        let nothing = Criteria {
            absence_running: false,
            absences_last_12_months: 0,
            absent_over_4_weeks: false,
            frequent_absence: false,
        };
        assert_eq!(on(&[], d("2026-09-01")), nothing);
    }
}
