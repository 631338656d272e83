//! Questionnaire definitions and answers: who may answer which instrument about whom, partial
//! saves that are finished later, and paper forms entered by the coach.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::instruments::{Audience, Instrument, ItemType};
use crate::db::reuse::update;
use crate::db::schema::{cohorts, questionnaire_responses, trajectories, users};
use crate::db::text::{from_json, to_json};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{check_id_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::queries as trajectory_queries;
use crate::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuestionnaireSummary {
    pub key: String,
    pub version: i32,
    pub title: String,
    pub audience: Audience,
    pub moment: super::instruments::Moment,
    pub item_count: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuestionnaireList {
    pub items: Vec<QuestionnaireSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    /// Saved, not finished: can be completed later.
    Draft,
    /// Finished; counts in the evaluation and cannot be changed.
    Submitted,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseIn {
    /// For employee questionnaires: the trajectory the answers belong to.
    pub trajectory_id: Option<String>,
    /// For coach questionnaires: the cohort (recruitment round) the answers are about.
    pub cohort_id: Option<String>,
    /// Item key -> answer: a whole number (scale, mark, number), true/false (yes/no), an option
    /// key (choice) or text (open; no medical details). `null` clears an answer in a draft.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// Finish the questionnaire: every required item must be answered. Without it the answers
    /// are saved as a draft.
    #[serde(default)]
    pub submit: bool,
    /// The coach types in a paper form the employee filled in (coaches only; recorded as such).
    #[serde(default)]
    pub on_paper: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResponseOut {
    pub id: String,
    pub questionnaire_key: String,
    /// The instrument version these answers belong to.
    pub version: i32,
    pub respondent_id: String,
    pub trajectory_id: Option<String>,
    pub cohort_id: Option<String>,
    pub status: ResponseStatus,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// True when the answers to open questions are left out of `answers`: a project leader reading
    /// someone else's response. Like reflections, a person's own words reach a project leader only
    /// through the own-organisation export with `free_text=true`, which is audited with that filter.
    pub open_answers_left_out: bool,
    /// Required items not answered yet.
    pub missing: Vec<String>,
    pub on_paper: bool,
    pub entered_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResponseQuery {
    /// Only the answers about this trajectory.
    pub trajectory: Option<String>,
    /// Responses per page (1-200, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = questionnaire_responses)]
pub struct ResponseRow {
    pub id: String,
    pub questionnaire_key: String,
    pub version: i32,
    pub respondent_id: String,
    pub organization_id: String,
    pub trajectory_id: Option<String>,
    pub cohort_id: Option<String>,
    pub subject_key: String,
    pub answers: String,
    pub open_answers: String,
    pub status: String,
    pub entered_by: String,
    pub on_paper: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

type Answers = BTreeMap<String, serde_json::Value>;

impl ResponseRow {
    /// Coded and open answers together.
    pub fn all_answers(&self) -> Result<Answers, AppError> {
        let mut a: Answers = from_json(&self.answers)?;
        a.extend(from_json::<Answers>(&self.open_answers)?);
        Ok(a)
    }

    fn out(self, state: &AppState) -> Result<ResponseOut, AppError> {
        self.out_for(state, false)
    }

    /// The response as the reader may see it; `without_open`: only the closed answers.
    fn out_for(self, state: &AppState, without_open: bool) -> Result<ResponseOut, AppError> {
        let mut answers = self.all_answers()?;
        let missing = state
            .instruments
            .version(&self.questionnaire_key, self.version)
            .map(|i| {
                i.items
                    .iter()
                    .filter(|it| it.required && !answers.contains_key(&it.key))
                    .map(|it| it.key.clone())
                    .collect()
            })
            .unwrap_or_default();
        if without_open {
            answers = from_json(&self.answers)?;
        }
        Ok(ResponseOut {
            open_answers_left_out: without_open,
            status: if self.status == "submitted" { ResponseStatus::Submitted } else { ResponseStatus::Draft },
            id: self.id,
            questionnaire_key: self.questionnaire_key,
            version: self.version,
            respondent_id: self.respondent_id,
            trajectory_id: self.trajectory_id,
            cohort_id: self.cohort_id,
            answers,
            missing,
            on_paper: self.on_paper,
            entered_by: self.entered_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            submitted_at: self.submitted_at,
        })
    }
}

fn instrument<'a>(state: &'a AppState, key: &str) -> Result<&'a Instrument, AppError> {
    state.instruments.latest(key).ok_or(AppError::NotFound)
}

/// The questionnaires (newest version of each). Everyone signed in.
#[utoipa::path(tag = "questionnaires", responses((status = 200, body = QuestionnaireList)), security(("bearer" = [])))]
#[get("/questionnaires")]
pub async fn list(state: web::Data<AppState>, _caller: Caller) -> Result<HttpResponse, AppError> {
    let items = state
        .instruments
        .current()
        .into_iter()
        .map(|i| QuestionnaireSummary {
            key: i.key.clone(),
            version: i.version,
            title: i.title.clone(),
            audience: i.audience,
            moment: i.moment,
            item_count: i.items.len(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(QuestionnaireList { items }))
}

/// One questionnaire with its items (newest version). Everyone signed in.
#[utoipa::path(tag = "questionnaires", params(("key" = String, Path)), responses((status = 200, body = Instrument)), security(("bearer" = [])))]
#[get("/questionnaires/{key}")]
pub async fn one(
    state: web::Data<AppState>,
    _caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(instrument(&state, &key)?))
}

/// Who answers, about what: (respondent, organisation, trajectory, cohort, subject key).
struct Subject {
    respondent_id: String,
    organization_id: String,
    trajectory_id: Option<String>,
    cohort_id: Option<String>,
    subject_key: String,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::field(field, message)
}

fn subject_of(
    c: &mut DbConnection,
    caller: &Caller,
    inst: &Instrument,
    input: &ResponseIn,
) -> Result<Subject, AppError> {
    match inst.audience {
        Audience::Employee => {
            caller.require(&[Role::Employee, Role::Coach])?;
            let Some(tid) = &input.trajectory_id else {
                return Err(invalid("trajectory_id", "Kies het traject waar deze antwoorden bij horen."));
            };
            // For change when a coach enters a paper form (PostgreSQL): a withdrawal of consent
            // committing meanwhile is waited for, and then refuses it.
            let t = if caller.is(Role::Coach) {
                // The person held first, as an erasure and a withdrawal take them.
                let employee = trajectory_queries::load_in_scope(c, caller, tid)?.employee_id;
                crate::accounts::queries::hold_user(c, &employee)?;
                trajectory_queries::load_for_change(c, caller, tid)?
            } else {
                trajectory_queries::load_in_scope(c, caller, tid)?
            };
            if caller.is(Role::Coach) {
                caller.require_coach_of(&t.coach_id)?;
                // Answers from paper are new records about the person: only with their consent to
                // the method (a paper form that comes back after the close is still entered).
                if !t.method_consent {
                    return Err(AppError::Conflict(
                        "De medewerker heeft (nog) geen toestemming voor de methode gegeven, of heeft die ingetrokken. \
                         Zonder die toestemming voer je geen antwoorden in."
                            .into(),
                    ));
                }
                if !input.on_paper {
                    return Err(invalid(
                        "on_paper",
                        "Je vult antwoorden in voor de medewerker: zet on_paper op true, dan weten we dat ze van papier komen.",
                    ));
                }
            } else if input.on_paper {
                return Err(invalid("on_paper", "Alleen een coach voert antwoorden van papier in."));
            }
            Ok(Subject {
                respondent_id: t.employee_id,
                organization_id: t.organization_id,
                subject_key: t.id.clone(),
                trajectory_id: Some(t.id),
                cohort_id: Some(t.cohort_id),
            })
        }
        Audience::Coach => {
            caller.require(&[Role::Coach])?;
            if input.trajectory_id.is_some() {
                return Err(invalid("trajectory_id", "Deze vragenlijst gaat over jouw werk, niet over één traject."));
            }
            if input.on_paper {
                return Err(invalid("on_paper", "Deze vragenlijst vul je zelf in."));
            }
            let org = caller.organization_id.clone().ok_or(AppError::Forbidden)?;
            if let Some(cohort) = &input.cohort_id {
                let found: i64 = cohorts::table
                    .filter(cohorts::id.eq(cohort))
                    .filter(cohorts::organization_id.eq(&org))
                    .count()
                    .get_result(c)?;
                if found == 0 {
                    return Err(invalid("cohort_id", "Deze ronde bestaat niet in jouw organisatie."));
                }
            }
            Ok(Subject {
                respondent_id: caller.user_id.clone(),
                subject_key: input.cohort_id.clone().unwrap_or_else(|| org.clone()),
                organization_id: org,
                trajectory_id: None,
                cohort_id: input.cohort_id.clone(),
            })
        }
    }
}

/// Splits answers into coded values and free text (kept apart: see the migration).
fn split(inst: &Instrument, answers: Answers) -> (Answers, Answers) {
    answers
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .partition(|(k, _)| inst.item(k).is_none_or(|i| i.item_type != ItemType::Open))
}

/// Save answers, as a draft or finished (`submit`). An employee answers their own questionnaires;
/// their coach may type in a paper form (`on_paper`) while the employee agrees to the method (409
/// otherwise); a coach answers the coach questionnaire. Saving again adds to the draft; a finished
/// questionnaire cannot be changed (409).
#[utoipa::path(tag = "questionnaires", params(("key" = String, Path)), request_body = ResponseIn,
    responses((status = 201, body = ResponseOut), (status = 200, body = ResponseOut)), security(("bearer" = [])))]
#[post("/questionnaires/{key}/responses")]
pub async fn answer(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    body: ValidJson<ResponseIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let latest = instrument(&state, &key)?.clone();
    let st = state.clone();
    let (row, created) = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let subject = subject_of(c, &caller, &latest, &input)?;
        audit.about(&subject.respondent_id);
        audit.in_org(&subject.organization_id);
        let this_one = questionnaire_responses::table
            .filter(questionnaire_responses::questionnaire_key.eq(&latest.key))
            .filter(questionnaire_responses::respondent_id.eq(&subject.respondent_id))
            .filter(questionnaire_responses::subject_key.eq(&subject.subject_key));
        // Saves of one response take turns (PostgreSQL: its row locked), so one does not write
        // over answers another just added, nor turn a submitted response back into a draft.
        let existing: Option<ResponseRow> = match c {
            DbConnection::Pg(pg) => this_one.select(ResponseRow::as_select()).for_update().first(pg).optional()?,
            _ => this_one.select(ResponseRow::as_select()).first(c).optional()?,
        };
        if existing.as_ref().is_some_and(|r| r.status == "submitted") {
            return Err(already_submitted());
        }
        // A draft keeps the version it was started on.
        let inst = match &existing {
            Some(r) => st.instruments.version(&r.questionnaire_key, r.version).unwrap_or(&latest).clone(),
            None => latest,
        };
        let errors = inst.check_answers(&input.answers, false);
        if !errors.is_empty() {
            return Err(AppError::Validation { detail: "Niet alle antwoorden kloppen. Kijk bij de vragen hieronder.".into(), errors });
        }
        let mut answers = match &existing {
            Some(r) => r.all_answers()?,
            None => Answers::new(),
        };
        for (k, v) in input.answers {
            if v.is_null() {
                answers.remove(&k);
            } else {
                answers.insert(k, v);
            }
        }
        if input.submit {
            let errors = inst.check_answers(&answers, true);
            if !errors.is_empty() {
                return Err(AppError::Validation {
                    detail: "Nog niet alle vragen zijn beantwoord. Je antwoorden zijn niet opgeslagen. Vul de vragen in die nog leeg zijn en verstuur opnieuw. Of sla op zonder te versturen.".into(),
                    errors,
                });
            }
        }
        let (coded, open) = split(&inst, answers);
        let t = now();
        let row = ResponseRow {
            id: existing.as_ref().map_or_else(new_id, |r| r.id.clone()),
            questionnaire_key: inst.key.clone(),
            version: inst.version,
            respondent_id: subject.respondent_id,
            organization_id: subject.organization_id,
            trajectory_id: subject.trajectory_id,
            cohort_id: subject.cohort_id,
            subject_key: subject.subject_key,
            answers: to_json(&coded)?,
            open_answers: to_json(&open)?,
            status: if input.submit { "submitted".into() } else { "draft".into() },
            entered_by: caller.user_id.clone(),
            on_paper: input.on_paper || existing.as_ref().is_some_and(|r| r.on_paper),
            created_at: existing.as_ref().map_or(t, |r| r.created_at),
            updated_at: t,
            submitted_at: input.submit.then_some(t),
        };
        if existing.is_some() {
            let still_a_draft = questionnaire_responses::id.eq(&row.id).and(questionnaire_responses::status.eq("draft"));
            if update(questionnaire_responses::table, &row, still_a_draft).execute(c)? == 0 {
                return Err(already_submitted());
            }
        } else {
            diesel::insert_into(questionnaire_responses::table).values(&row).execute(c)?;
        }
        Ok((row, existing.is_none()))
    })
    .await?;
    let out = row.out(&state)?;
    Ok(if created { HttpResponse::Created().json(out) } else { HttpResponse::Ok().json(out) })
}

fn already_submitted() -> AppError {
    AppError::Conflict("Deze vragenlijst is al ingevuld en verstuurd. Je kunt hem niet meer veranderen.".into())
}

/// Answers to a questionnaire that the caller may see: an employee their own, a coach their own
/// and their employees', a project leader their organisation's without the open answers
/// (`open_answers_left_out`), and of a coaches' questionnaire only their own (403 for the
/// others': the coaches of one taskforce are few, and the exports show their answers only as
/// totals over five or more). Researchers use the exports.
/// Oldest first, in pages (an organisation's answers grow with every cohort).
#[utoipa::path(tag = "questionnaires", params(("key" = String, Path), ResponseQuery), responses((status = 200, body = Page<ResponseOut>)), security(("bearer" = [])))]
#[get("/questionnaires/{key}/responses")]
pub async fn responses(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    query: Query<ResponseQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Employee, Role::Coach, Role::ProjectLeader])?;
    let found = instrument(&state, &key)?;
    if caller.is(Role::ProjectLeader) && found.audience == Audience::Coach {
        return Err(AppError::Forbidden);
    }
    let inst = found.key.clone();
    let limit = PageQuery { limit: query.limit, cursor: None }.limit()?;
    check_id_cursor(query.cursor.as_deref())?;
    let reader = caller.clone();
    let rows = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let trajectory = match &query.trajectory {
            Some(t) => {
                let t = trajectory_queries::load_in_scope(c, &caller, t)?;
                audit.about_trajectory(&t.employee_id, &t.organization_id);
                Some(t.id)
            }
            None => None,
        };
        let base = || {
            let erased = users::table.filter(users::erased_at.is_not_null()).select(users::id);
            let mut q = questionnaire_responses::table
                .filter(questionnaire_responses::questionnaire_key.eq(inst.clone()))
                // An erased person's answers stay for the counts only: in no list, as their records.
                .filter(questionnaire_responses::respondent_id.ne_all(erased))
                .select(ResponseRow::as_select())
                .order(questionnaire_responses::id)
                .limit(limit + 1)
                .into_boxed();
            // Ids are time-ordered, so the last id of a page is where the next one starts.
            if let Some(after) = &query.cursor {
                q = q.filter(questionnaire_responses::id.gt(after.clone()));
            }
            if let Some(t) = &trajectory {
                q = q.filter(questionnaire_responses::trajectory_id.eq(t.clone()));
            }
            q
        };
        let rows: Vec<ResponseRow> = match caller.role {
            Role::Employee => {
                base().filter(questionnaire_responses::respondent_id.eq(caller.user_id.clone())).load(c)?
            }
            // Two statements merged in id order, not one with `respondent = me OR trajectory in
            // mine`: for that SQLite read every answer to the questionnaire in the database
            // (10-16 ms a page at 10,000 trajectories); each branch has an index of its own.
            Role::Coach => {
                let mine = trajectories::table
                    .filter(trajectories::coach_id.eq(caller.user_id.clone()))
                    .select(trajectories::id);
                let mut rows =
                    base().filter(questionnaire_responses::respondent_id.eq(caller.user_id.clone())).load(c)?;
                rows.extend(
                    base()
                        .filter(questionnaire_responses::trajectory_id.eq_any(mine.nullable()))
                        .filter(questionnaire_responses::respondent_id.ne(caller.user_id.clone()))
                        .load::<ResponseRow>(c)?,
                );
                // Ids are lowercase UUIDs of one layout: their byte order is each database's order.
                rows.sort_by(|a, b| a.id.cmp(&b.id));
                rows.truncate(limit as usize + 1);
                rows
            }
            _ => base()
                .filter(questionnaire_responses::organization_id.eq(caller.organization_id.clone().unwrap_or_default()))
                .load(c)?,
        };
        let page = Page::from_rows(rows, limit, |r| r.id.clone());
        page.items.iter().for_each(|r| audit.shows(&r.respondent_id));
        Ok(page)
    })
    .await?;
    let items = rows
        .items
        .into_iter()
        .map(|r| {
            let others_words = reader.role == Role::ProjectLeader && r.respondent_id != reader.user_id;
            r.out_for(&state, others_words)
        })
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: rows.next_cursor }))
}

/// The person's own responses (for inzage).
pub fn responses_of(c: &mut DbConnection, respondent_id: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let rows: Vec<ResponseRow> = questionnaire_responses::table
        .filter(questionnaire_responses::respondent_id.eq(respondent_id))
        .order(questionnaire_responses::id)
        .select(ResponseRow::as_select())
        .load(c)?;
    rows.into_iter()
        .map(|r| {
            Ok(serde_json::json!({
                "questionnaire": r.questionnaire_key, "version": r.version, "trajectory_id": r.trajectory_id,
                "status": r.status, "answers": r.all_answers()?, "on_paper": r.on_paper, "updated_at": r.updated_at,
            }))
        })
        .collect()
}
