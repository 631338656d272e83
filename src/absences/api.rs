//! Request and response types of absences. Never a diagnosis: at most a coarse category.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::timeline::Milestone;
use crate::accounts::api::message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Physical,
    Psychological,
    Both,
    Unknown,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Physical => "physical",
            Category::Psychological => "psychological",
            Category::Both => "both",
            Category::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Physical, Self::Psychological, Self::Both, Self::Unknown].into_iter().find(|c| c.as_str() == s)
    }
}

/// A sick-leave episode. There is no free-text field: Wilkan never stores medical details.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "dates_in_order"))]
pub struct AbsenceIn {
    /// First sick day.
    #[serde(deserialize_with = "crate::http::dates::near")]
    pub start_date: NaiveDate,
    /// Last sick day; absent while the employee is still sick.
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub end_date: Option<NaiveDate>,
    /// Percentage absent (partial absence); default 100.
    #[validate(range(min = 1, max = 100, message = "Kies een percentage van 1 tot en met 100."))]
    pub percentage: Option<i32>,
    /// Optional coarse category, only with research consent. Never a diagnosis.
    pub category: Option<Category>,
}

fn dates_in_order(a: &AbsenceIn) -> Result<(), ValidationError> {
    match a.end_date {
        Some(end) if end < a.start_date => Err(message("end_date", "De laatste ziektedag ligt voor de eerste.")),
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceUpdate {
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub start_date: Option<NaiveDate>,
    /// Set when the employee is better (recovered). Left out: unchanged. `null`: open again (an
    /// episode closed by mistake).
    #[serde(default, deserialize_with = "crate::http::dates::near_or_null")]
    #[schema(value_type = Option<NaiveDate>)]
    pub end_date: Option<Option<NaiveDate>>,
    #[validate(range(min = 1, max = 100, message = "Kies een percentage van 1 tot en met 100."))]
    pub percentage: Option<i32>,
    /// Left out: unchanged. `null`: no category any more.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<Category>)]
    pub category: Option<Option<Category>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AbsenceOut {
    pub id: String,
    pub employee_id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub percentage: i32,
    pub category: Option<Category>,
    /// Calendar days so far (until today while open).
    pub days: i64,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CurrentEpisode {
    pub absence_id: String,
    /// The first day of this episode.
    pub start_date: NaiveDate,
    /// The first day of the absence it is part of: episodes that follow on without a day between
    /// (a partial return is recorded as a new episode from that day) are one absence.
    pub absence_start_date: NaiveDate,
    /// Days absent so far, from `absence_start_date`.
    pub days: i64,
    pub percentage: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AbsenceSummary {
    pub employee_id: String,
    pub as_of: NaiveDate,
    /// Absences in the last 12 months: episodes that follow on without a day between count once.
    pub episodes_last_12_months: usize,
    pub current_episode: Option<CurrentEpisode>,
    /// The current absence longer than 42 days (from `absence_start_date`).
    pub long_term: bool,
    /// 4 or more absences in the last 12 months.
    pub frequent: bool,
    pub total_days_last_12_months: i64,
    /// Days weighted by the percentage absent.
    pub weighted_days_last_12_months: f64,
    /// The poortwachter milestones of the current absence, from its first sick day; absences
    /// less than four weeks apart add up (without the days between), as the 104 weeks do. Wilkan
    /// does not replace the absence administration; this shows where the employee stands.
    pub poortwachter: Vec<Milestone>,
}
