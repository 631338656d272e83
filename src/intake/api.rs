//! Intake (willen and kunnen), the plan van aanpak, and the work-values card.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// One factor of the intake: a score from 1 (laag) to 5 (hoog) and a short note.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    #[validate(range(min = 1, max = 5, message = "Kies een score van 1 (laag) tot 5 (hoog)."))]
    pub score: u8,
    /// Work matters only: no medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub note: Option<String>,
}

/// The seven factors: willen (attitude, self-efficacy, social pressure) and kunnen (knowledge and
/// skills, capacity, context, self-regulation).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Factors {
    /// Houding.
    #[validate(nested)]
    pub attitude: Factor,
    /// Geloof in eigen kunnen.
    #[validate(nested)]
    pub self_efficacy: Factor,
    /// Sociale druk.
    #[validate(nested)]
    pub social_pressure: Factor,
    /// Kennis en vaardigheden.
    #[validate(nested)]
    pub knowledge_and_skills: Factor,
    /// Belastbaarheid.
    #[validate(nested)]
    pub capacity: Factor,
    /// Context.
    #[validate(nested)]
    pub context: Factor,
    /// Zelfregulering.
    #[validate(nested)]
    pub self_regulation: Factor,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Goals {
    /// Goals important to the employee. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub employee: Option<String>,
    /// Goals important to the professional. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub professional: Option<String>,
    /// Goals important to the organisation. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub organization: Option<String>,
}

/// Basic needs under pressure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicNeeds {
    pub autonomy: bool,
    pub inclusion: bool,
    pub competence: bool,
    pub affection: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// What the employee expects. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub of_employee: Option<String>,
    /// What the coach expects. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub of_coach: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeIn {
    #[validate(nested)]
    pub factors: Factors,
    #[validate(nested)]
    pub goals: Goals,
    pub basic_needs_under_pressure: BasicNeeds,
    #[validate(nested)]
    pub expectations: Expectations,
    /// The employee may read the intake.
    pub shared_with_employee: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IntakeOut {
    pub trajectory_id: String,
    pub factors: Factors,
    pub goals: Goals,
    pub basic_needs_under_pressure: BasicNeeds,
    pub expectations: Expectations,
    pub shared_with_employee: bool,
    pub updated_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Online,
    Paper,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanIn {
    /// All seven course slugs, each once, in the order the employee follows them.
    pub course_order: Vec<String>,
    /// Required when the order does not start with course 1 (Uitgangspunten en misverstanden).
    /// No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub first_course_reason: Option<String>,
    /// Courses to put the emphasis on.
    pub focus_courses: Vec<String>,
    /// Per course: online or on paper (missing: online).
    pub course_modes: BTreeMap<String, Mode>,
    /// Start with a digital-skills pre-track.
    pub digital_skills_pretrack: bool,
    pub group_sessions_interest: bool,
    pub buddy_interest: bool,
    /// Help the employee needs. No medical details.
    #[validate(length(max = 2000, message = "Gebruik hoogstens 2.000 tekens."))]
    pub help_needed: Option<String>,
    pub shared_with_employee: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanOut {
    pub trajectory_id: String,
    pub course_order: Vec<String>,
    pub first_course_reason: Option<String>,
    pub focus_courses: Vec<String>,
    pub course_modes: BTreeMap<String, Mode>,
    pub digital_skills_pretrack: bool,
    pub group_sessions_interest: bool,
    pub buddy_interest: bool,
    pub help_needed: Option<String>,
    pub shared_with_employee: bool,
    pub updated_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Circle {
    /// Dit gaat al goed.
    GoingWell,
    /// Dit kan beter.
    CanImprove,
    /// Dit komt later.
    Later,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkValue {
    pub important: bool,
    pub circle: Option<Circle>,
    /// No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub note: Option<String>,
}

/// The seven capability work values.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkValuesCard {
    /// Kennis en vaardigheden gebruiken.
    #[validate(nested)]
    pub using_knowledge_and_skills: WorkValue,
    /// Kennis en vaardigheden ontwikkelen.
    #[validate(nested)]
    pub developing_knowledge_and_skills: WorkValue,
    /// Betrokken zijn bij belangrijke beslissingen.
    #[validate(nested)]
    pub involved_in_important_decisions: WorkValue,
    /// Betekenisvolle werkcontacten.
    #[validate(nested)]
    pub meaningful_work_contacts: WorkValue,
    /// Eigen doelen stellen.
    #[validate(nested)]
    pub setting_own_goals: WorkValue,
    /// Een goed inkomen.
    #[validate(nested)]
    pub fair_income: WorkValue,
    /// Bijdragen aan iets waardevols.
    #[validate(nested)]
    pub contributing_to_something_valuable: WorkValue,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkValuesSnapshot {
    pub card: WorkValuesCard,
    pub recorded_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkValuesOut {
    pub trajectory_id: String,
    /// The latest card, if any.
    pub current: Option<WorkValuesSnapshot>,
    /// Every saved card, oldest first, so change over time can be shown.
    pub history: Vec<WorkValuesSnapshot>,
}
