//! Derived absence figures: the summary flags and the Wet verbetering poortwachter timeline.
//! Computed from the episodes every time; nothing here is stored.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Long-term absence: more than 42 days (6 weeks).
pub const LONG_TERM_DAYS: i64 = 42;
/// Frequent absence: 4 or more episodes in 12 months.
pub const FREQUENT_EPISODES: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct Episode {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub percentage: i32,
}

#[derive(Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    /// Stable key, e.g. `probleemanalyse`, `evaluation_3`.
    pub key: String,
    /// Dutch name as coaches know it.
    pub label: String,
    pub week: i64,
    /// The last day of that week, counted from the first sick day (day 1 of week 1): the date by
    /// which the step is due.
    pub date: NaiveDate,
    pub past: bool,
}

/// Periods of absence less than four weeks apart add up for the poortwachter dates (the
/// *samentelling* of the Wet verbetering poortwachter): the 104 weeks go on where they were.
pub const ADD_UP_WITHIN_DAYS: i64 = 28;

/// One absence: episodes that follow on without a day between (a change of percentage, as at a
/// partial return, is recorded as a new episode from that day) are one sick report, counted once
/// and counted from its first day. `end` is `None` while it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spell {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// The episodes as absences, by first day.
pub fn spells(episodes: &[Episode]) -> Vec<Spell> {
    let mut sorted: Vec<&Episode> = episodes.iter().collect();
    sorted.sort_by_key(|e| e.start);
    let mut out: Vec<Spell> = Vec::new();
    for e in sorted {
        match out.last_mut() {
            Some(last) if last.end.is_none_or(|end| e.start <= end + Duration::days(1)) => {
                last.end = match (last.end, e.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(Spell { start: e.start, end: e.end }),
        }
    }
    out
}

/// The absence that runs today (begun by today, not ended), if any.
pub fn current(episodes: &[Episode], today: NaiveDate) -> Option<Spell> {
    spells(episodes).into_iter().filter(|s| s.end.is_none() && s.start <= today).max_by_key(|s| s.start)
}

/// The poortwachter milestones of the absence that runs today (none when none runs). A milestone
/// of week `w` falls on the last day of `w` weeks of sick days: counted from the first sick day,
/// over the absences before it that followed less than four weeks apart, without the days between.
pub fn poortwachter_of(episodes: &[Episode], today: NaiveDate) -> Vec<Milestone> {
    let all = spells(episodes);
    let Some(last) = all.iter().rposition(|s| s.end.is_none() && s.start <= today) else { return Vec::new() };
    let mut first = last;
    while first > 0 {
        match all[first - 1].end {
            Some(end) if (all[first].start - end).num_days() - 1 < ADD_UP_WITHIN_DAYS => first -= 1,
            _ => break,
        }
    }
    let chain = &all[first..=last];
    milestones(today, |days| after_sick_days(chain, days))
}

/// The day after `days` sick days of `chain` (the last of which runs).
fn after_sick_days(chain: &[Spell], days: i64) -> NaiveDate {
    let mut left = days;
    for s in chain {
        match s.end.map(|end| (end - s.start).num_days() + 1) {
            Some(len) if left >= len => left -= len,
            _ => return s.start + Duration::days(left),
        }
    }
    // Not reached: the last absence of a chain runs.
    chain.last().map_or(NaiveDate::MIN, |s| s.start + Duration::days(left))
}

/// The poortwachter milestones counted from the first sick day, for one absence by itself.
#[cfg(test)]
fn poortwachter(first_day: NaiveDate, today: NaiveDate) -> Vec<Milestone> {
    milestones(today, |days| first_day + Duration::days(days))
}

fn milestones(today: NaiveDate, on: impl Fn(i64) -> NaiveDate) -> Vec<Milestone> {
    let mut points: Vec<(String, String, i64)> = vec![
        ("probleemanalyse".into(), "Probleemanalyse".into(), 6),
        ("plan_van_aanpak".into(), "Plan van aanpak".into(), 8),
    ];
    // The plan is evaluated at least every 6 weeks until wage payment ends.
    for (i, week) in (14..104).step_by(6).enumerate() {
        points.push((format!("evaluation_{}", i + 1), format!("Evaluatie plan van aanpak {}", i + 1), week));
    }
    points.extend([
        ("ziekmelding_uwv".into(), "Ziekmelding bij UWV (42e week)".into(), 42),
        ("eerstejaarsevaluatie".into(), "Eerstejaarsevaluatie".into(), 52),
        ("wia_aanvraag".into(), "Uiterste datum WIA-aanvraag (93e week)".into(), 93),
        ("einde_loondoorbetaling".into(), "Einde loondoorbetaling (104 weken)".into(), 104),
    ]);
    points.sort_by_key(|p| p.2);
    points
        .into_iter()
        .map(|(key, label, week)| {
            // "In week 6" is due by its last day, the 42nd sick day: the first sick day is day 1.
            let date = on(week * 7 - 1);
            Milestone { key, label, week, date, past: date < today }
        })
        .collect()
}

/// Days of `e` that fall within [from, to], both inclusive.
fn overlap_days(e: &Episode, from: NaiveDate, to: NaiveDate) -> i64 {
    days_within(e.start, e.end, from, to)
}

/// Days from `start` to `end` (or on) that fall within [from, to], both inclusive.
fn days_within(start: NaiveDate, end: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> i64 {
    let start = start.max(from);
    let end = end.unwrap_or(to).min(to);
    if end < start {
        0
    } else {
        (end - start).num_days() + 1
    }
}

#[derive(Debug, PartialEq)]
pub struct Figures {
    pub episodes_last_12_months: usize,
    pub current_days: Option<i64>,
    pub long_term: bool,
    pub frequent: bool,
    pub total_days_last_12_months: i64,
    /// Days weighted by the percentage absent (a day at 50% counts half).
    pub weighted_days_last_12_months: f64,
}

/// The first day of the 12 months that end with `day`: 365 days, 366 over a 29 February.
pub fn year_ending(day: NaiveDate) -> NaiveDate {
    day.checked_sub_months(chrono::Months::new(12)).map_or(day - Duration::days(364), |d| d + Duration::days(1))
}

/// The last day of the 12 months that begin with `day`.
pub fn year_from(day: NaiveDate) -> NaiveDate {
    let later = day.checked_add_months(chrono::Months::new(12)).unwrap_or(day + Duration::days(365));
    // From 29 February a year on is 28 February (chrono's answer), the end of the year's last day.
    if (day.month(), day.day()) == (2, 29) {
        later
    } else {
        later - Duration::days(1)
    }
}

/// Episodes and their days in the 12 months up to `today`; an episode is an absence ([`Spell`]):
/// a partial return recorded as a new episode neither makes an absence frequent nor starts its
/// days anew.
pub fn figures(episodes: &[Episode], today: NaiveDate) -> Figures {
    let from = year_ending(today);
    let in_window: Vec<&Episode> = episodes.iter().filter(|e| overlap_days(e, from, today) > 0).collect();
    let absences = spells(episodes).into_iter().filter(|s| days_within(s.start, s.end, from, today) > 0).count();
    let current_days = current(episodes, today).map(|s| (today - s.start).num_days() + 1);
    Figures {
        episodes_last_12_months: absences,
        current_days,
        long_term: current_days.is_some_and(|d| d > LONG_TERM_DAYS),
        frequent: absences >= FREQUENT_EPISODES,
        total_days_last_12_months: in_window.iter().map(|e| overlap_days(e, from, today)).sum(),
        weighted_days_last_12_months: in_window
            .iter()
            .map(|e| overlap_days(e, from, today) as f64 * e.percentage as f64 / 100.0)
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn twelve_months_are_a_calendar_year_also_over_a_leap_day() {
        assert_eq!(year_ending(d("2026-12-07")), d("2025-12-08"));
        assert_eq!(year_ending(d("2028-03-01")), d("2027-03-02"), "366 days over 29 February");
        assert_eq!(year_ending(d("2028-02-29")), d("2027-03-01"));
        assert_eq!(year_from(d("2027-03-02")), d("2028-03-01"));
        assert_eq!(year_from(d("2028-02-29")), d("2029-02-28"));
        assert_eq!(year_from(d("2026-12-07")), d("2027-12-06"));
        assert_eq!(year_from(d("2027-03-01")), d("2028-02-29"));
        assert_eq!(year_ending(d("2028-02-29")), d("2027-03-01"), "the same year, seen from its end");
        assert_eq!(year_ending(d("2029-02-28")), d("2028-02-29"), "the same year, seen from its end");
        // Four one-day absences, the first on the first day of the window: frequent.
        let one = |day: &str| Episode { start: d(day), end: Some(d(day)), percentage: 100 };
        let eps = [one("2027-03-02"), one("2027-06-01"), one("2027-09-01"), one("2028-01-10")];
        assert!(figures(&eps, d("2028-03-01")).frequent);
    }

    #[test]
    fn counts_episodes_days_and_flags() {
        let today = d("2026-11-24");
        let eps = [
            Episode { start: d("2025-10-01"), end: Some(d("2025-12-10")), percentage: 100 }, // 16 days in window (from 2025-11-25)
            Episode { start: d("2026-02-01"), end: Some(d("2026-02-03")), percentage: 100 },
            Episode { start: d("2026-05-01"), end: Some(d("2026-05-02")), percentage: 50 },
            Episode { start: d("2026-10-01"), end: None, percentage: 100 },
        ];
        let f = figures(&eps, today);
        assert_eq!(f.episodes_last_12_months, 4);
        assert!(f.frequent);
        assert_eq!(f.current_days, Some(55));
        assert!(f.long_term);
        assert_eq!(f.total_days_last_12_months, 16 + 3 + 2 + 55);
        assert!((f.weighted_days_last_12_months - (16.0 + 3.0 + 1.0 + 55.0)).abs() < 1e-9);
    }

    #[test]
    fn episodes_that_follow_on_are_one_absence() {
        let today = d("2026-11-24");
        // 100% from 1 October, 50% from 1 November (a partial return): one absence of 55 days.
        let eps = [
            Episode { start: d("2026-11-01"), end: None, percentage: 50 },
            Episode { start: d("2026-10-01"), end: Some(d("2026-10-31")), percentage: 100 },
            Episode { start: d("2026-03-01"), end: Some(d("2026-03-02")), percentage: 100 },
            Episode { start: d("2026-03-03"), end: Some(d("2026-03-04")), percentage: 50 },
            Episode { start: d("2026-05-01"), end: Some(d("2026-05-02")), percentage: 100 },
            Episode { start: d("2026-06-01"), end: Some(d("2026-06-02")), percentage: 100 },
        ];
        let f = figures(&eps, today);
        assert_eq!((f.episodes_last_12_months, f.frequent), (4, true));
        assert_eq!((f.current_days, f.long_term), (Some(55), true));
        assert_eq!(f.total_days_last_12_months, 55 + 4 + 2 + 2);
        assert!((f.weighted_days_last_12_months - (31.0 + 12.0 + 2.0 + 1.0 + 2.0 + 2.0)).abs() < 1e-9);
        assert_eq!(current(&eps, today), Some(Spell { start: d("2026-10-01"), end: None }));
        // Without the one of June it is three: not frequent.
        let f = figures(&eps[..5], today);
        assert_eq!((f.episodes_last_12_months, f.frequent), (3, false));
        // The poortwachter dates as from 1 October.
        assert_eq!(poortwachter_of(&eps, today)[0].date, d("2026-11-11"));
    }

    #[test]
    fn absences_less_than_four_weeks_apart_add_up_for_the_poortwachter_dates() {
        let today = d("2026-11-24");
        // Sick 14 days (5 to 18 January), better 27 days, sick again from 15 February.
        let eps = [
            Episode { start: d("2026-01-05"), end: Some(d("2026-01-18")), percentage: 100 },
            Episode { start: d("2026-02-15"), end: None, percentage: 100 },
        ];
        let t = poortwachter_of(&eps, today);
        let get = |k: &str| t.iter().find(|m| m.key == k).unwrap().date;
        // The 42nd sick day: 14 in January, then the 28th from 15 February.
        assert_eq!(get("probleemanalyse"), d("2026-03-14"));
        assert_eq!(get("einde_loondoorbetaling"), d("2026-02-15") + Duration::days(104 * 7 - 14 - 1));
        // Four weeks or more between: counted anew from 15 February.
        let apart = [Episode { start: d("2026-01-05"), end: Some(d("2026-01-17")), percentage: 100 }, eps[1]];
        assert_eq!(poortwachter_of(&apart, today), poortwachter(d("2026-02-15"), today));
        // Nothing runs: no dates.
        assert!(poortwachter_of(&eps[..1], today).is_empty());
    }

    #[test]
    fn the_timeline_starts_at_the_first_sick_day() {
        let first = d("2026-01-05");
        let t = poortwachter(first, d("2026-03-01"));
        let get = |k: &str| t.iter().find(|m| m.key == k).unwrap();
        // Monday 5 January is day 1: week 6 ends on Sunday 15 February, week 8 on 1 March.
        assert_eq!(get("probleemanalyse").date, d("2026-02-15"));
        assert!(get("probleemanalyse").past);
        assert_eq!(get("plan_van_aanpak").date, d("2026-03-01"));
        assert!(!get("plan_van_aanpak").past, "due today is not past");
        assert_eq!(get("ziekmelding_uwv").week, 42);
        assert_eq!(get("einde_loondoorbetaling").date, first + Duration::weeks(104) - Duration::days(1));
        assert_eq!(get("wia_aanvraag").date, first + Duration::days(93 * 7 - 1), "the last day of week 93");
        assert!(t.windows(2).all(|w| w[0].week <= w[1].week));
    }
}
