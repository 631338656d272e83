//! Database rows of trajectories, their status history and consents.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{consents, trajectories, trajectory_events};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trajectories)]
pub struct Trajectory {
    pub id: String,
    pub organization_id: String,
    pub cohort_id: String,
    pub employee_id: String,
    pub coach_id: String,
    pub status: String,
    pub stop_reason: Option<String>,
    pub stop_note: Option<String>,
    pub inclusion_answers: String,
    pub inclusion_advice: String,
    pub inclusion_override_reason: Option<String>,
    pub created_by: String,
    // Read by position on SQLite: every staff list and export reads these two per trajectory.
    #[diesel(deserialize_as = crate::db::moment::Moment)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::moment::Moment)]
    pub updated_at: NaiveDateTime,
    pub recruitment_minutes: Option<i32>,
    /// Whether consent stands: the latest record of each kind decides (kept by `insert_consent`).
    pub method_consent: bool,
    pub research_consent: bool,
}

/// The statuses of a trajectory that has ended; every other status is open. The migrations'
/// `trajectories_one_open` index names the same two.
pub const ENDED: [&str; 2] = ["closed", "stopped"];

impl Trajectory {
    pub fn is_open(&self) -> bool {
        !ENDED.contains(&self.status.as_str())
    }

    /// New records about the employee (intake, plan, work values, logbook entries, visits, card
    /// links, a return) are kept only while the trajectory runs and the employee agrees to the
    /// method: before the consent, and after a stop or the close, there is no ground to record
    /// more. Corrections of existing entries stay possible.
    pub fn accepts_records(&self) -> Result<(), AppError> {
        self.accepts_change(false)
    }

    /// As [`Self::accepts_records`], for a record written whole again (the intake, the plan):
    /// one that `exists` may be corrected after the end as well, so that a detail that should
    /// not have been written (a medical one) can be taken out.
    pub fn accepts_change(&self, exists: bool) -> Result<(), AppError> {
        if exists && !self.is_open() {
            return Ok(());
        }
        if !self.is_open() {
            return Err(AppError::Conflict(
                "Dit traject is gestopt of afgesloten: er kan niets nieuws meer bij.".into(),
            ));
        }
        if !self.method_consent {
            return Err(AppError::Conflict(
                // Read by the employee as well as the coach (work values, a visit): to neither in
                // the third person.
                "Er is nog geen toestemming voor de methode. Zodra die er is, kun je dit opslaan.".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trajectory_events)]
pub struct TrajectoryEvent {
    pub id: String,
    pub trajectory_id: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub actor_id: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub id: String,
    pub trajectory_id: String,
    pub kind: String,
    pub given: bool,
    pub recorded_by: String,
    pub on_behalf_of_employee: bool,
    pub recorded_at: NaiveDateTime,
}
