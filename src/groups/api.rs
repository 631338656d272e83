//! Group sessions: request and response types.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::accounts::api::message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Present,
    AbsentWithNotice,
    Absent,
}

fn place_or_link(s: &CreateSession) -> Result<(), ValidationError> {
    if s.place.as_deref().is_none_or(|p| p.trim().is_empty()) && s.video_link.is_none() {
        return Err(message("place", "Vul een plek in of een link voor een videogesprek."));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "place_or_link"))]
pub struct CreateSession {
    /// A project leader names the facilitating coach; a coach facilitates their own session.
    pub facilitator_id: Option<String>,
    /// Wall-clock time at the organisation (`time_zone`, Europe/Amsterdam by default), e.g. "2026-12-01T10:00:00".
    #[schema(value_type = String, example = "2026-12-01T10:00:00")]
    #[serde(deserialize_with = "crate::http::dates::near")]
    pub starts_at: NaiveDateTime,
    /// Where the group meets. No medical details.
    #[validate(length(max = 300, message = "Gebruik hoogstens 300 tekens."))]
    pub place: Option<String>,
    #[validate(
        url(message = "Vul een geldige link in (https://...)."),
        length(max = 500, message = "Deze link is te lang.")
    )]
    pub video_link: Option<String>,
    /// Often a course slug; otherwise a short subject. No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 200, message = "Vul een onderwerp in van hoogstens 200 tekens.")
    )]
    pub topic: String,
    /// Employees of the organisation to invite (an email invitation goes to each).
    #[serde(default)]
    pub invite: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// Wall-clock time at the organisation (`time_zone`, Europe/Amsterdam by default), e.g. "2026-12-01T10:00:00".
    #[schema(value_type = String, example = "2026-12-01T10:00:00")]
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub starts_at: Option<NaiveDateTime>,
    /// No medical details. A new place, not an empty one: a session keeps a place or a link.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(max = 300, message = "Gebruik hoogstens 300 tekens.")
    )]
    pub place: Option<String>,
    #[validate(
        url(message = "Vul een geldige link in (https://...)."),
        length(max = 500, message = "Deze link is te lang.")
    )]
    pub video_link: Option<String>,
    /// No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 200, message = "Vul een onderwerp in van hoogstens 200 tekens.")
    )]
    pub topic: Option<String>,
    /// Short facilitator notes. No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub notes: Option<String>,
    pub cancelled: Option<bool>,
    /// More employees to invite.
    #[serde(default)]
    pub invite: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceIn {
    /// Employee id -> attendance.
    pub attendance: BTreeMap<String, Attendance>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Invitee {
    pub employee_id: String,
    pub first_name: String,
    pub attendance: Option<Attendance>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionOut {
    pub id: String,
    pub organization_id: String,
    pub facilitator_id: String,
    pub facilitator_first_name: String,
    /// Wall-clock time at the organisation (`time_zone`, Europe/Amsterdam by default), e.g. "2026-12-01T10:00:00".
    #[schema(value_type = String, example = "2026-12-01T10:00:00")]
    pub starts_at: NaiveDateTime,
    pub place: Option<String>,
    pub video_link: Option<String>,
    pub topic: String,
    /// For the facilitator and project leaders only.
    pub notes: Option<String>,
    pub cancelled: bool,
    /// For the facilitator and project leaders: who is invited and who came. Employees see only
    /// their own invitation.
    pub invitees: Vec<Invitee>,
    pub invited_count: usize,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InterestQuery {
    /// A course slug.
    pub topic: String,
    /// Items per page (1-200, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Interested {
    pub employee_id: String,
    pub first_name: String,
    pub trajectory_id: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub reflected_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InterestList {
    pub topic: String,
    /// Employees with an open trajectory who chose "group session" in this course's reflection,
    /// in the order they chose it.
    pub items: Vec<Interested>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
