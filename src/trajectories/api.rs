//! Request and response types of trajectories, the inclusion guide and consent.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Proposed,
    Active,
    Returned,
    Aftercare,
    Closed,
    Stopped,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Proposed, Status::Active, Status::Returned, Status::Aftercare, Status::Closed, Status::Stopped];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Active => "active",
            Status::Returned => "returned",
            Status::Aftercare => "aftercare",
            Status::Closed => "closed",
            Status::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The word a coach or an employee knows the status by.
    pub fn in_dutch(self) -> &'static str {
        match self {
            Status::Proposed => "voorgesteld",
            Status::Active => "gestart",
            Status::Returned => "weer aan het werk",
            Status::Aftercare => "nazorg",
            Status::Closed => "afgesloten",
            Status::Stopped => "gestopt",
        }
    }

    /// Whether `to` is the way back after a relapse: absent again after the return to work, the
    /// employee is guided as before.
    pub fn relapses_to(self, to: Status) -> bool {
        to == Status::Active && matches!(self, Status::Returned | Status::Aftercare)
    }

    /// The one step forward from each status; `stopped` is reachable from every open status.
    pub fn next(self) -> Option<Status> {
        match self {
            Status::Proposed => Some(Status::Active),
            Status::Active => Some(Status::Returned),
            Status::Returned => Some(Status::Aftercare),
            Status::Aftercare => Some(Status::Closed),
            Status::Closed | Status::Stopped => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Medical,
    /// Too difficult, or the language level did not fit.
    TooDifficult,
    NotBehaviourRelated,
    PrivacyResearch,
    Other,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Medical => "medical",
            StopReason::TooDifficult => "too_difficult",
            StopReason::NotBehaviourRelated => "not_behaviour_related",
            StopReason::PrivacyResearch => "privacy_research",
            StopReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<StopReason> {
        [Self::Medical, Self::TooDifficult, Self::NotBehaviourRelated, Self::PrivacyResearch, Self::Other]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The inclusion guide (DOMAIN.md). It advises; a coach may include anyway with a reason.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionAnswers {
    /// Absent for more than 4 weeks now.
    pub absent_over_4_weeks: bool,
    /// Frequent absence: 4 or more absences in the last 12 months.
    pub frequent_absence: bool,
    /// Absence is expected to last more than 2 months.
    pub expected_absence_over_2_months: bool,
    /// (Partial) return is expected within 2 to 12 months.
    pub expected_return_within_2_to_12_months: bool,
    /// ... and at most 24 months after the sick report.
    pub return_within_24_months_of_sick_report: bool,
    /// A computer or tablet at home.
    pub device_at_home: bool,
    /// Reading and digital skills are enough for the online courses.
    pub reading_and_digital_skills_sufficient: bool,
    /// The employee chose the paper route (the map) instead.
    pub paper_route_chosen: bool,
}

impl InclusionAnswers {
    /// Criteria not met, in plain Dutch (empty: the guide advises to include).
    pub fn unmet(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(self.absent_over_4_weeks || self.frequent_absence) {
            out.push("Niet langer dan 4 weken afwezig en geen frequent verzuim.".to_string());
        }
        if !self.expected_absence_over_2_months {
            out.push("Het verzuim duurt naar verwachting niet langer dan 2 maanden.".into());
        }
        if !self.expected_return_within_2_to_12_months {
            out.push("Terugkeer wordt niet binnen 2 tot 12 maanden verwacht.".into());
        }
        if !self.return_within_24_months_of_sick_report {
            out.push("Terugkeer ligt later dan 24 maanden na de ziekmelding.".into());
        }
        if !self.device_at_home {
            out.push("Geen computer of tablet thuis.".into());
        }
        if !(self.reading_and_digital_skills_sufficient || self.paper_route_chosen) {
            out.push("Lees- en computervaardigheden zijn niet genoeg en de papieren route is niet gekozen.".into());
        }
        out
    }
}

/// The inclusion guide as a proposal answers it. The two absence questions may be left out:
/// Wilkan then answers them from the employee's absence records, when the caller may read those
/// (a project leader; a coach who already coaches the employee) and there are any. The fields are
/// [`InclusionAnswers`]' own (a proposal names no other), two of them optional.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionIn {
    /// Absent for more than 4 weeks now. Left out: from the absence records.
    pub absent_over_4_weeks: Option<bool>,
    /// Frequent absence: 4 or more absences in the last 12 months. Left out: from the absence records.
    pub frequent_absence: Option<bool>,
    pub expected_absence_over_2_months: bool,
    pub expected_return_within_2_to_12_months: bool,
    pub return_within_24_months_of_sick_report: bool,
    pub device_at_home: bool,
    pub reading_and_digital_skills_sufficient: bool,
    pub paper_route_chosen: bool,
}

impl InclusionIn {
    /// The answers, the two absence questions given (by the coach, or from the records).
    pub fn answers(&self, absent_over_4_weeks: bool, frequent_absence: bool) -> InclusionAnswers {
        InclusionAnswers {
            absent_over_4_weeks,
            frequent_absence,
            expected_absence_over_2_months: self.expected_absence_over_2_months,
            expected_return_within_2_to_12_months: self.expected_return_within_2_to_12_months,
            return_within_24_months_of_sick_report: self.return_within_24_months_of_sick_report,
            device_at_home: self.device_at_home,
            reading_and_digital_skills_sufficient: self.reading_and_digital_skills_sufficient,
            paper_route_chosen: self.paper_route_chosen,
        }
    }
}

/// What the absence records say about the guide's two absence questions on the day the
/// trajectory was proposed (the organisation's date), read from the records as they are now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AbsenceRecords {
    pub as_of: NaiveDate,
    /// An absence ran that day. Without, the records say nothing about the first question (the
    /// absence may not have been recorded), and it is not compared.
    pub absence_running: bool,
    /// Absences in the 12 months up to that day (episodes that follow on count once). With none,
    /// the records say nothing about the second question, and it is not compared.
    pub absences_last_12_months: i64,
    /// The absence that ran that day had lasted more than 4 weeks.
    pub absent_over_4_weeks: bool,
    /// 4 or more absences in the 12 months up to that day.
    pub frequent_absence: bool,
    /// Where the guide's answers differ from what the records say, in plain Dutch.
    pub differences: Vec<String>,
}

impl AbsenceRecords {
    pub fn new(as_of: NaiveDate, records: crate::absences::inclusion::Criteria, answers: &InclusionAnswers) -> Self {
        // Per question: whether the records say something about it, the answer, what they say,
        // and the words for what they say (no, yes).
        let compared = [
            (
                records.absence_running,
                answers.absent_over_4_weeks,
                records.absent_over_4_weeks,
                ["bij het voorstel niet langer dan 4 weken afwezig", "bij het voorstel al langer dan 4 weken afwezig"],
            ),
            (
                records.absences_last_12_months > 0,
                answers.frequent_absence,
                records.frequent_absence,
                [
                    "in de 12 maanden voor het voorstel minder dan 4 keer ziek",
                    "in de 12 maanden voor het voorstel 4 keer of vaker ziek",
                ],
            ),
        ];
        let differences = compared
            .into_iter()
            .filter(|(said, answer, recorded, _)| *said && answer != recorded)
            .map(|(_, _, recorded, says)| {
                format!("Volgens het vastgelegde verzuim was de medewerker {}.", says[usize::from(recorded)])
            })
            .collect();
        AbsenceRecords {
            as_of,
            absence_running: records.absence_running,
            absences_last_12_months: records.absences_last_12_months as i64,
            absent_over_4_weeks: records.absent_over_4_weeks,
            frequent_absence: records.frequent_absence,
            differences,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    Include,
    Exclude,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionOut {
    pub answers: InclusionAnswers,
    pub advice: Advice,
    /// The guide's criteria that were not met (Dutch).
    pub unmet_criteria: Vec<String>,
    /// Why the coach included the employee against the advice.
    pub override_reason: Option<String>,
    /// The absence records beside the answers: only on single-trajectory answers, and only for
    /// whoever may read the employee's absences now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absence_records: Option<AbsenceRecords>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrajectory {
    pub employee_id: String,
    /// A project leader names the coach; a coach proposing a trajectory is its coach.
    pub coach_id: Option<String>,
    pub cohort_id: String,
    #[validate(nested)]
    pub inclusion: InclusionIn,
    /// Required when the guide advises against inclusion. Work matters only: no medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 1000, message = "Geef een reden van hoogstens 1.000 tekens.")
    )]
    pub inclusion_override_reason: Option<String>,
    /// Minutes spent on recruiting this employee so far: approaching them, the inclusion guide,
    /// the invitation talk. Counted as time invested in the process evaluation.
    #[validate(range(min = 0, max = 6000, message = "Vul de tijd voor werving in minuten in, van 0 tot 6.000."))]
    pub recruitment_minutes: Option<i32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrajectory {
    /// The next status, `stopped` (with a reason) from any open status, or `active` again from
    /// `returned` or `aftercare` after a relapse.
    pub status: Option<Status>,
    /// `true` takes back a relapse recorded by mistake: the trajectory goes back to the status it
    /// left, while nothing followed the relapse (no return). Not together with `status`.
    pub take_back_relapse: Option<bool>,
    pub stop_reason: Option<StopReason>,
    /// Short note on the stop. No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub stop_note: Option<String>,
    /// A project leader may hand the trajectory to another coach of the organisation.
    pub coach_id: Option<String>,
    pub cohort_id: Option<String>,
    /// Minutes spent on recruiting this employee so far: approaching them, the inclusion guide,
    /// the invitation talk. Counted as time invested in the process evaluation.
    #[validate(range(min = 0, max = 6000, message = "Vul de tijd voor werving in minuten in, van 0 tot 6.000."))]
    pub recruitment_minutes: Option<i32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub first_name: String,
    pub last_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: Option<StopReason>,
    pub note: Option<String>,
    pub actor_id: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentState {
    pub method: bool,
    pub research: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrajectoryOut {
    pub id: String,
    pub organization_id: String,
    pub cohort_id: String,
    pub employee: PersonRef,
    pub coach: PersonRef,
    pub status: Status,
    pub stop_reason: Option<StopReason>,
    pub stop_note: Option<String>,
    pub inclusion: InclusionOut,
    /// Minutes spent on recruiting the employee; `null` while not recorded.
    pub recruitment_minutes: Option<i32>,
    pub consent: ConsentState,
    /// Every status change, oldest first (only on single-trajectory answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventOut>>,
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
pub struct TrajectoryFilter {
    pub cohort: Option<String>,
    pub status: Option<Status>,
    pub coach: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// Taking part in the method.
    Method,
    /// Taking part in the evaluation research (exports).
    Research,
}

impl ConsentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentKind::Method => "method",
            ConsentKind::Research => "research",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    pub kind: ConsentKind,
    /// true: given; false: withdrawn (always possible, effective at once).
    pub given: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentOut {
    pub id: String,
    pub kind: ConsentKind,
    pub given: bool,
    pub recorded_by: String,
    /// Recorded by the coach on the employee's behalf (e.g. on a paper form).
    pub on_behalf_of_employee: bool,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentsOut {
    pub current: ConsentState,
    /// Oldest first.
    pub history: Vec<ConsentOut>,
}
