//! Derived absence figures: the summary flags and the Wet verbetering poortwachter timeline.
//! Computed from the episodes every time; nothing here is stored.

use chrono::{Duration, NaiveDate};
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    /// Stable key, e.g. `probleemanalyse`, `evaluation_3`.
    pub key: String,
    /// Dutch name as coaches know it.
    pub label: String,
    pub week: i64,
    pub date: NaiveDate,
    pub past: bool,
}

/// The poortwachter milestones counted from the first sick day.
pub fn poortwachter(first_day: NaiveDate, today: NaiveDate) -> Vec<Milestone> {
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
        ("wia_aanvraag".into(), "Uiterste datum WIA-aanvraag".into(), 91),
        ("einde_loondoorbetaling".into(), "Einde loondoorbetaling (104 weken)".into(), 104),
    ]);
    points.sort_by_key(|p| p.2);
    points
        .into_iter()
        .map(|(key, label, week)| {
            let date = first_day + Duration::weeks(week);
            Milestone { key, label, week, date, past: date < today }
        })
        .collect()
}

/// Days of `e` that fall within [from, to], both inclusive.
fn overlap_days(e: &Episode, from: NaiveDate, to: NaiveDate) -> i64 {
    let start = e.start.max(from);
    let end = e.end.unwrap_or(to).min(to);
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

pub fn figures(episodes: &[Episode], today: NaiveDate) -> Figures {
    let from = today - Duration::days(364);
    let in_window: Vec<&Episode> = episodes.iter().filter(|e| overlap_days(e, from, today) > 0).collect();
    let current = episodes.iter().filter(|e| e.end.is_none() && e.start <= today).max_by_key(|e| e.start);
    let current_days = current.map(|e| (today - e.start).num_days() + 1);
    Figures {
        episodes_last_12_months: in_window.len(),
        current_days,
        long_term: current_days.is_some_and(|d| d > LONG_TERM_DAYS),
        frequent: in_window.len() >= FREQUENT_EPISODES,
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
    fn the_timeline_starts_at_the_first_sick_day() {
        let first = d("2026-01-05");
        let t = poortwachter(first, d("2026-03-01"));
        let get = |k: &str| t.iter().find(|m| m.key == k).unwrap();
        assert_eq!(get("probleemanalyse").date, d("2026-02-16"));
        assert!(get("probleemanalyse").past);
        assert_eq!(get("plan_van_aanpak").date, d("2026-03-02"));
        assert!(!get("plan_van_aanpak").past);
        assert_eq!(get("ziekmelding_uwv").week, 42);
        assert_eq!(get("einde_loondoorbetaling").date, first + Duration::weeks(104));
        assert!(t.windows(2).all(|w| w[0].week <= w[1].week));
    }
}
