//! Logbook entries and weighings.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Intake,
    CoachingTalk,
    Phone,
    /// App or text message.
    Message,
    HomeVisit,
    GroupFollowUp,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedBy {
    Employee,
    Coach,
    Together,
}

/// Known pitfalls per phase: beeldvorming (stereotyping .. forgetting_information_lead),
/// oordeelsvorming (recency .. halo_horn), besluitvorming (plan_as_goal .. goal_not_shared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pitfall {
    Stereotyping,
    ConfirmationBias,
    Haste,
    ForgettingInformationLead,
    Recency,
    Anchoring,
    Projection,
    HaloHorn,
    PlanAsGoal,
    QuickFix,
    SafetyChallengeImbalance,
    GoalNotShared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorCluster {
    Professional,
    EmployerRelated,
    Organisational,
    LegalPolicy,
    ClientRelated,
    ProfessionalsIndividual,
}

/// The steps of the weighing model, each a short text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeighingSteps {
    /// Vooraf: context and information beforehand. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub beforehand: Option<String>,
    /// Waarnemingen. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub observations: Option<String>,
    /// Interpreteren: is the information complete, clear, reliable? No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub interpreting: Option<String>,
    /// Opties. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub options: Option<String>,
    /// Prioriteren. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub prioritising: Option<String>,
    /// Reactie: the chosen response. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub response: Option<String>,
}

/// Triple feedback loop.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackLoop {
    /// Did I take the right decision? No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub right_decision: Option<String>,
    /// Did I take the right steps to reach it? No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub right_steps: Option<String>,
    /// Does it contribute to the intended result? No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub contributes_to_result: Option<String>,
}

/// A coach's reflection on one decision. Private to the coach: project leaders see counts only,
/// employees never see it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weighing {
    /// The decision unpicked. No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 1000, message = "Beschrijf de beslissing in hoogstens 1.000 tekens.")
    )]
    pub decision: String,
    #[validate(nested)]
    pub steps: WeighingSteps,
    #[serde(default)]
    pub pitfalls_checked: Vec<Pitfall>,
    #[serde(default)]
    pub factor_clusters: Vec<FactorCluster>,
    pub explained_to_employee: bool,
    /// How the decision was explained: clients want to hear why, not only what. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub explanation: Option<String>,
    #[validate(nested)]
    pub feedback_loop: FeedbackLoop,
}

impl Weighing {
    /// The weighing with `mark` for every text written in it.
    pub fn redacted(self, mark: &str) -> Weighing {
        let out = |t: Option<String>| t.map(|_| mark.to_string());
        let WeighingSteps { beforehand, observations, interpreting, options, prioritising, response } = self.steps;
        let FeedbackLoop { right_decision, right_steps, contributes_to_result } = self.feedback_loop;
        Weighing {
            decision: mark.to_string(),
            steps: WeighingSteps {
                beforehand: out(beforehand),
                observations: out(observations),
                interpreting: out(interpreting),
                options: out(options),
                prioritising: out(prioritising),
                response: out(response),
            },
            explanation: out(self.explanation),
            feedback_loop: FeedbackLoop {
                right_decision: out(right_decision),
                right_steps: out(right_steps),
                contributes_to_result: out(contributes_to_result),
            },
            ..self
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "appointment_after_talk"))]
pub struct EntryIn {
    #[serde(deserialize_with = "crate::http::dates::near")]
    pub date: NaiveDate,
    pub kind: EntryKind,
    #[validate(range(min = 0, max = 600, message = "Vul een duur van 0 tot 600 minuten in."))]
    pub duration_minutes: i32,
    #[validate(range(min = 0, max = 600, message = "Vul een voorbereidingstijd van 0 tot 600 minuten in."))]
    pub preparation_minutes: i32,
    pub led_by: LedBy,
    /// Impression of the employee. Work matters only: no medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub impression: Option<String>,
    /// Agreements made. No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub agreements: Option<String>,
    /// Developments seen. No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub developments: Option<String>,
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub next_appointment: Option<NaiveDate>,
    /// The employee may read this entry (never its weighing).
    #[serde(default)]
    pub shared_with_employee: bool,
    #[validate(nested)]
    pub weighing: Option<Weighing>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryUpdate {
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub date: Option<NaiveDate>,
    pub kind: Option<EntryKind>,
    #[validate(range(min = 0, max = 600, message = "Vul een duur van 0 tot 600 minuten in."))]
    pub duration_minutes: Option<i32>,
    #[validate(range(min = 0, max = 600, message = "Vul een voorbereidingstijd van 0 tot 600 minuten in."))]
    pub preparation_minutes: Option<i32>,
    pub led_by: Option<LedBy>,
    /// No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub impression: Option<String>,
    /// No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub agreements: Option<String>,
    /// No medical details.
    #[validate(length(max = 4000, message = "Gebruik hoogstens 4.000 tekens."))]
    pub developments: Option<String>,
    /// Left out: unchanged. `null`: no next appointment any more.
    #[serde(default, deserialize_with = "crate::http::dates::near_or_null")]
    #[schema(value_type = Option<NaiveDate>)]
    pub next_appointment: Option<Option<NaiveDate>>,
    pub shared_with_employee: Option<bool>,
    #[validate(nested)]
    pub weighing: Option<Weighing>,
}

/// A text of the entry that can be taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    Impression,
    Agreements,
    Developments,
    /// Every text of the weighing; which pitfalls and factors it names stays (it counts).
    Weighing,
}

impl TextField {
    pub fn as_str(self) -> &'static str {
        match self {
            TextField::Impression => "impression",
            TextField::Agreements => "agreements",
            TextField::Developments => "developments",
            TextField::Weighing => "weighing",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactIn {
    /// The texts to take out, now and in every earlier version.
    #[validate(length(min = 1, message = "Kies welke tekst eruit moet."))]
    pub fields: Vec<TextField>,
    /// Why (kept in the audit log; the text itself is not). No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 3, max = 500, message = "Geef een reden (3 tot 500 tekens).")
    )]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionOut {
    /// The entry as it was before this correction.
    #[schema(value_type = Object)]
    pub previous: serde_json::Value,
    pub revised_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub revised_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EntryOut {
    pub id: String,
    pub trajectory_id: String,
    pub author_id: String,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub duration_minutes: i32,
    pub preparation_minutes: i32,
    pub led_by: LedBy,
    pub impression: Option<String>,
    pub agreements: Option<String>,
    pub developments: Option<String>,
    pub next_appointment: Option<NaiveDate>,
    pub shared_with_employee: bool,
    pub has_weighing: bool,
    /// Only for the entry's author.
    pub weighing: Option<Weighing>,
    /// Corrections made more than 7 days after writing keep the earlier version here.
    pub revisions: Vec<RevisionOut>,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WeighingItem {
    pub entry_id: String,
    pub trajectory_id: String,
    pub date: NaiveDate,
    pub weighing: Weighing,
}

/// Counts for a project leader: how weighings are used, without their content.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WeighingSummary {
    pub organization_id: String,
    pub entries: i64,
    pub entries_with_weighing: i64,
    pub explained_to_employee: i64,
    pub pitfalls_checked: BTreeMap<String, i64>,
    pub factor_clusters: BTreeMap<String, i64>,
}

/// The next appointment comes after the talk it was made in.
fn appointment_after_talk(e: &EntryIn) -> Result<(), validator::ValidationError> {
    match e.next_appointment {
        Some(next) if next < e.date => Err(crate::accounts::api::message(
            "next_appointment",
            "De volgende afspraak ligt voor de datum van dit gesprek. Kies een latere dag.",
        )),
        _ => Ok(()),
    }
}
