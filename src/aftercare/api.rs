//! Request and response types of return to work and aftercare.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Extent {
    Partial,
    Full,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    #[serde(deserialize_with = "crate::http::dates::near")]
    pub date: NaiveDate,
    pub extent: Extent,
    #[validate(range(
        min = 1.0,
        max = 60.0,
        message = "Vul 1 tot 60 uur per week in: wie weer werkt, werkt ten minste een uur."
    ))]
    pub hours_per_week: f64,
    /// Back in their own work (true) or in other work (false).
    pub own_work: bool,
    /// The `id` of a record in the history that this one replaces, because its date or hours were
    /// wrong. Left out, the record is a new step. A correction of the earliest date of the current
    /// round (the returns since the last relapse, or all) moves its check-ins still due.
    #[serde(default)]
    pub corrects: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnRecord {
    pub id: String,
    pub date: NaiveDate,
    pub extent: Extent,
    pub hours_per_week: f64,
    pub own_work: bool,
    pub recorded_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: NaiveDateTime,
    /// Who corrected the record last, and when; the record holds the corrected values.
    pub corrected_by: Option<String>,
    #[serde(with = "crate::http::time::utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub corrected_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckinStatus {
    Due,
    Done,
    Skipped,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckinOut {
    pub id: String,
    pub trajectory_id: String,
    /// Weeks after the return: a check-in still due is planned from the earliest date in the
    /// history; one done or skipped keeps the date it had then.
    pub week: i32,
    pub due_on: NaiveDate,
    pub status: CheckinStatus,
    pub overdue: bool,
    /// The employee reads the note and the skip reason only once the coach shares them: to the
    /// employee both are left out (null) until then.
    pub note: Option<String>,
    /// Shown to the employee as the note is. A check-in skipped because the trajectory ended
    /// says so to the employee too.
    pub skip_reason: Option<String>,
    pub shared_with_employee: bool,
    #[serde(with = "crate::http::time::utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnOut {
    pub trajectory_id: String,
    /// The record with the latest date: the hours worked now. After a relapse with no return since,
    /// still the return before it: the trajectory's status (`active`) says the employee is absent
    /// again.
    pub current: Option<ReturnRecord>,
    /// Every step, earliest date first: hours built up over time.
    pub history: Vec<ReturnRecord>,
    pub aftercare: Vec<CheckinOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DueItem {
    #[serde(flatten)]
    pub checkin: CheckinOut,
    pub employee_first_name: String,
    pub days_overdue: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinUpdate {
    /// `done` or `skipped` (with a reason).
    pub status: CheckinStatus,
    /// How it went. No medical details. Left out, the note stays as it was; an empty text clears it.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub note: Option<String>,
    /// Why the check-in was skipped. No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub skip_reason: Option<String>,
    /// The employee may read the note and the skip reason. Left out, it stays as it was (at first
    /// not shared).
    pub shared_with_employee: Option<bool>,
}
