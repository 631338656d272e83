//! Request and response types of courses and learning progress.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use validator::Validate;

use super::content::{Course, PageKind};
use super::progress::{CourseSeen, PageSeen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    NotStarted,
    InProgress,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompletedVia {
    Online,
    Paper,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseSummary {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub content_hash: String,
    pub page_count: usize,
    pub exercise_count: usize,
    /// Only when an employee asks: their own status in this course.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CourseStatus>,
}

impl CourseSummary {
    pub fn new(c: &Course, status: Option<CourseStatus>) -> Self {
        CourseSummary {
            slug: c.slug.clone(),
            number: c.number,
            title: c.title.clone(),
            summary: c.summary.clone(),
            minutes: c.minutes,
            content_hash: c.content_hash.clone(),
            page_count: c.pages.len(),
            exercise_count: c.exercises().count(),
            status,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    pub items: Vec<CourseSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReflectionChoice {
    /// Talk about it with my coach.
    CoachTalk,
    /// Talk about it in a group session.
    GroupSession,
    /// Both: with my coach and in a group session.
    Both,
    /// Not now.
    None,
}

impl ReflectionChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            ReflectionChoice::CoachTalk => "coach_talk",
            ReflectionChoice::GroupSession => "group_session",
            ReflectionChoice::Both => "both",
            ReflectionChoice::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::CoachTalk, Self::GroupSession, Self::Both, Self::None].into_iter().find(|c| c.as_str() == s)
    }
}

// Names and ids in these views are borrowed from the loaded course content: copying them was about
// 100 of the 274 allocations of a `GET /me/courses`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageState<'a> {
    pub page_id: &'a str,
    pub kind: PageKind,
    pub visited: bool,
    pub done: bool,
    /// The page changed after it was done: show it as new.
    pub changed_since_done: bool,
    /// Saved answers: {"answers": {question_id: value}, "exercises": {number: text}}.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Box<RawValue>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReflectionOut {
    /// What the employee wrote; `null` when the course was done in the paper map (the coach
    /// records only the choice ticked there).
    pub text: Option<String>,
    pub choice: ReflectionChoice,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub saved_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyCourse<'a> {
    pub slug: &'a str,
    pub number: u32,
    pub title: &'a str,
    pub minutes: u32,
    pub content_hash: &'a str,
    pub status: CourseStatus,
    #[serde(with = "crate::http::time::utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
    pub completed_via: Option<CompletedVia>,
    /// Where to continue: the last page visited, or the first page.
    pub resume_page_id: &'a str,
    /// Pages that are new or changed since the employee did them.
    pub new_page_ids: Vec<&'a str>,
    pub celebration: Option<String>,
    pub reflection: Option<ReflectionOut>,
    pub pages: Vec<PageState<'a>>,
}

impl<'a> MyCourse<'a> {
    /// Derives the employee's view of a course from their rows (nothing derived is stored). The
    /// rows are consumed: saved texts and answers move into the answer instead of being copied.
    pub fn derive(course: &'a Course, row: Option<CourseSeen>, mut pages: Vec<PageSeen>) -> Self {
        let completed = row.as_ref().is_some_and(|r| r.completed_at.is_some());
        let started = row.is_some() || !pages.is_empty();
        let states: Vec<PageState> = course
            .pages
            .iter()
            .map(|p| {
                let saved = pages.iter().position(|s| s.page_id == p.id).map(|i| pages.swap_remove(i));
                let done = saved.as_ref().is_some_and(|s| s.done);
                PageState {
                    page_id: &p.id,
                    kind: p.kind,
                    visited: saved.is_some(),
                    done,
                    changed_since_done: done && saved.as_ref().is_some_and(|s| !p.is_current(&s.page_hash)),
                    // Passed on as stored (we wrote it as JSON): no parse into a tree and back.
                    answers: saved.and_then(|s| s.answers).and_then(|a| RawValue::from_string(a).ok()),
                }
            })
            .collect();
        // Pages added since a course was completed online are new to the employee until opened:
        // those the version it was completed on did not have. A page that version had and the
        // employee did not open was skipped, not added. A course done on paper was not read here.
        let paper = row.as_ref().is_some_and(|r| r.completed_via.as_deref() == Some("paper"));
        let completed_at = row.as_ref().and_then(|r| r.completed_at).filter(|_| !paper);
        let added = completed_at.map_or(&[][..], |at| course.pages_added_since(at));
        let is_added = |s: &PageState| !s.visited && added.iter().any(|id| id == s.page_id);
        let new_page_ids = states.iter().filter(|s| s.changed_since_done || is_added(s)).map(|s| s.page_id).collect();
        let status = if completed {
            CourseStatus::Completed
        } else if started {
            CourseStatus::InProgress
        } else {
            CourseStatus::NotStarted
        };
        let row = row.unwrap_or_default();
        let resume_page_id = row
            .last_page_id
            .and_then(|id| course.page(&id))
            .or_else(|| course.pages.first())
            .map_or("", |p| p.id.as_str());
        let reflection = match (row.reflection, row.reflection_choice, row.reflected_at) {
            (text, Some(choice), Some(saved_at)) => {
                ReflectionChoice::parse(&choice).map(|choice| ReflectionOut { text, choice, saved_at })
            }
            _ => None,
        };
        MyCourse {
            slug: &course.slug,
            number: course.number,
            title: &course.title,
            minutes: course.minutes,
            content_hash: &course.content_hash,
            status,
            completed_at: row.completed_at,
            completed_via: row
                .completed_via
                .map(|v| if v == "paper" { CompletedVia::Paper } else { CompletedVia::Online }),
            resume_page_id,
            new_page_ids,
            celebration: row.celebration,
            reflection,
            pages: states,
        }
    }
}

/// Whose order a course list follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CourseOrder {
    /// The order of the employee's plan van aanpak (the paper map of their trajectory has the same).
    Plan,
    /// No plan yet: the advised order of the catalogue.
    Advised,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyCourses<'a> {
    pub order: CourseOrder,
    /// Courses the plan puts the emphasis on (slugs).
    pub focus_courses: Vec<String>,
    /// Courses the plan has the employee do in the paper map (slugs).
    pub paper_courses: Vec<String>,
    pub items: Vec<MyCourse<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    Visited,
    Done,
}

/// Progress on one page. Answers are merged with earlier ones, so a page can be saved in parts.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageProgressIn {
    pub status: PageStatus,
    /// The page's `content_hash` as the employee saw it. When the page has changed since, the
    /// answer is 409 and nothing is saved: reload the course (earlier answers are kept).
    pub page_hash: Option<String>,
    /// Question id -> the index of the chosen option (choice, situation) or a short text (open question).
    #[schema(value_type = Option<Object>)]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    /// Exercise number -> the employee's online answer.
    pub exercises: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CelebrationIn {
    /// What went well since last time (no medical details).
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 5000, message = "Schrijf iets op (hoogstens 5.000 tekens).")
    )]
    pub text: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReflectionIn {
    /// What I take with me from this course (no medical details).
    #[validate(length(max = 5000, message = "Je terugblik is te lang: hoogstens 5.000 tekens."))]
    pub text: String,
    /// Would I like to talk about this with my coach, in a group, or not now.
    pub choice: ReflectionChoice,
}
