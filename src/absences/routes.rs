//! Absence episodes of an employee, and the derived summary with the poortwachter timeline.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;

use super::api::{AbsenceIn, AbsenceOut, AbsenceSummary, AbsenceUpdate, Category, CurrentEpisode};
use super::timeline::{self, Episode};
use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::reuse;
use crate::db::schema::absences;
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::queries as trajectories;
use crate::AppState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = absences)]
pub struct Absence {
    pub id: String,
    pub employee_id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub percentage: i32,
    pub category: Option<String>,
    pub recorded_by: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl Absence {
    pub fn episode(&self) -> Episode {
        Episode { start: self.start_date, end: self.end_date, percentage: self.percentage }
    }

    /// `today` is the organisations' date: a running absence counts the days their calendar shows.
    pub fn out(self, today: NaiveDate) -> AbsenceOut {
        let days = (self.end_date.unwrap_or(today).max(self.start_date) - self.start_date).num_days() + 1;
        AbsenceOut {
            days,
            category: self.category.as_deref().and_then(Category::parse),
            id: self.id,
            employee_id: self.employee_id,
            start_date: self.start_date,
            end_date: self.end_date,
            percentage: self.percentage,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The employee if the caller may see their records (404 otherwise).
pub fn employee_in_scope(conn: &mut DbConnection, caller: &Caller, employee_id: &str) -> Result<User, AppError> {
    let user = accounts::find_user(conn, employee_id)?;
    // An erased person's records count in exports only (see `trajectories::queries::in_scope`).
    if user.role() != Role::Employee || user.erased_at.is_some() {
        return Err(AppError::NotFound);
    }
    let coaches = caller.is(Role::Coach) && trajectories::coaches(conn, &caller.user_id, employee_id)?;
    if caller.sees_employee(&user.id, user.organization_id.as_deref(), coaches) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether the caller may read the employee's absence records ([`employee_in_scope`]).
pub fn may_read(conn: &mut DbConnection, caller: &Caller, employee_id: &str) -> Result<bool, AppError> {
    match employee_in_scope(conn, caller, employee_id) {
        Ok(_) => Ok(true),
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn episodes_of(conn: &mut DbConnection, employee_id: &str) -> Result<Vec<Absence>, AppError> {
    Ok(absences::table
        .filter(absences::employee_id.eq(employee_id))
        .order((absences::start_date, absences::id))
        .select(Absence::as_select())
        .load(conn)?)
}

/// Withdrawn research consent: the categories go too, as they were only allowed with it
/// (DOMAIN.md). Returns how many episodes had one.
pub fn forget_categories(conn: &mut DbConnection, employee_id: &str) -> Result<usize, AppError> {
    let with_category = absences::employee_id.eq(employee_id).and(absences::category.is_not_null());
    let none = (absences::category.eq(None::<String>), absences::updated_at.eq(now()));
    Ok(reuse::update(absences::table, none, with_category).execute(conn)?)
}

/// A category only with research consent (DOMAIN.md).
fn check_category(conn: &mut DbConnection, employee_id: &str, category: Option<Category>) -> Result<(), AppError> {
    if category.is_none() {
        return Ok(());
    }
    if trajectories::person_research_consent(conn, employee_id)? {
        Ok(())
    } else {
        Err(AppError::field(
            "category",
            "Een categorie mag alleen als de medewerker toestemming voor onderzoek heeft gegeven. Laat dit veld leeg.",
        ))
    }
}

/// An episode has begun by the organisations' date, and ends today at the latest: one dated ahead
/// (`near` lets through two years) would, left open, overlap every episode recorded after it.
fn check_not_ahead(start: Option<NaiveDate>, end: Option<NaiveDate>, today: NaiveDate) -> Result<(), AppError> {
    if start.is_some_and(|day| day > today) {
        return Err(AppError::field(
            "start_date",
            "Een ziekteperiode kan niet in de toekomst beginnen. Vul de eerste ziektedag in.",
        ));
    }
    if end.is_some_and(|day| day > today) {
        return Err(AppError::field(
            "end_date",
            "Een ziekteperiode kan niet in de toekomst eindigen. Vul de laatste ziektedag in als de medewerker beter is.",
        ));
    }
    Ok(())
}

fn check_overlap(others: &[Absence], start: NaiveDate, end: Option<NaiveDate>) -> Result<(), AppError> {
    let far = NaiveDate::MAX;
    let clash = others.iter().any(|o| start <= o.end_date.unwrap_or(far) && o.start_date <= end.unwrap_or(far));
    if clash {
        return Err(AppError::field(
            "start_date",
            "Deze periode overlapt met een andere ziekteperiode. Pas die periode aan.",
        ));
    }
    if end.is_some_and(|e| e < start) {
        return Err(AppError::field("end_date", "De laatste ziektedag ligt voor de eerste."));
    }
    Ok(())
}

/// The employee's absence episodes, newest last. The employee, their coach, project leaders of the organisation.
#[utoipa::path(tag = "absences", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<AbsenceOut>)), security(("bearer" = [])))]
#[get("/employees/{id}/absences")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::local_time::today(state.config.time_zone);
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let user = employee_in_scope(c, &caller, &id)?;
        audit.about(&user.id);
        let q = absences::table
            .filter(absences::employee_id.eq(&user.id))
            .order((absences::start_date, absences::id))
            .limit(limit + 1)
            .select(Absence::as_select())
            .into_boxed();
        let q = after_key!(q, (absences::start_date, absences::id) > after);
        let rows = Page::from_rows(q.load::<Absence>(c)?, limit, |a| key_cursor(&a.start_date.to_string(), &a.id));
        Ok(Page { items: rows.items.into_iter().map(|a| a.out(today)).collect(), next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Record an absence episode. The employee's coach and project leaders of the organisation.
#[utoipa::path(tag = "absences", params(("id" = String, Path)), request_body = AbsenceIn, responses((status = 201, body = AbsenceOut)), security(("bearer" = [])))]
#[post("/employees/{id}/absences")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<AbsenceIn>,
) -> Result<HttpResponse, AppError> {
    let today = crate::local_time::today(state.config.time_zone);
    let input = body.0;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // The checks below (consent for a category, no overlap) hold until the insert.
        accounts::lock_user(c, &id)?;
        let user = employee_in_scope(c, &caller, &id)?;
        audit.about(&user.id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        check_category(c, &user.id, input.category)?;
        check_not_ahead(Some(input.start_date), input.end_date, today)?;
        check_overlap(&episodes_of(c, &user.id)?, input.start_date, input.end_date)?;
        let t = now();
        let row = Absence {
            id: new_id(),
            employee_id: user.id,
            start_date: input.start_date,
            end_date: input.end_date,
            percentage: input.percentage.unwrap_or(100),
            category: input.category.map(|c| c.as_str().into()),
            recorded_by: caller.user_id.clone(),
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(absences::table).values(&row).execute(c)?;
        Ok(row.out(today))
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Correct an episode or close it (end date). The employee's coach and project leaders.
#[utoipa::path(tag = "absences", params(("id" = String, Path)), request_body = AbsenceUpdate, responses((status = 200, body = AbsenceOut)), security(("bearer" = [])))]
#[patch("/absences/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<AbsenceUpdate>,
) -> Result<HttpResponse, AppError> {
    let today = crate::local_time::today(state.config.time_zone);
    let input = body.0;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let row: Absence = absences::table.find(id.as_str()).select(Absence::as_select()).first(c)?;
        // As when recording one: the checks hold until the update, on the row as it is now.
        accounts::lock_user(c, &row.employee_id)?;
        let row: Absence = absences::table.find(id.as_str()).select(Absence::as_select()).first(c)?;
        employee_in_scope(c, &caller, &row.employee_id)?;
        audit.about(&row.employee_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        check_category(c, &row.employee_id, input.category.flatten())?;
        check_not_ahead(input.start_date, input.end_date.flatten(), today)?;
        let start = input.start_date.unwrap_or(row.start_date);
        // Left out: as it was; `null`: open again, if no other episode is in the way.
        let end = input.end_date.unwrap_or(row.end_date);
        let others: Vec<Absence> = episodes_of(c, &row.employee_id)?.into_iter().filter(|a| a.id != row.id).collect();
        check_overlap(&others, start, end)?;
        reuse::update(
            absences::table,
            (
                absences::start_date.eq(start),
                absences::end_date.eq(end),
                absences::percentage.eq(input.percentage.unwrap_or(row.percentage)),
                absences::category.eq(match input.category {
                    Some(category) => category.map(|c| c.as_str().to_string()),
                    None => row.category.clone(),
                }),
                absences::updated_at.eq(now()),
            ),
            absences::id.eq(&row.id),
        )
        .execute(c)?;
        Ok(absences::table.find(&row.id).select(Absence::as_select()).first(c)?.out(today))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Remove an episode recorded by mistake (for the wrong employee, say), which a correction could
/// only shrink: it would go on counting towards the flags and the poortwachter dates. The
/// employee's coach and project leaders; the audit entry names the episode only (its dates are
/// absence data, which the admins who read the log may not see).
#[utoipa::path(tag = "absences", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
#[delete("/absences/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    db::tx(&state.pool, caller.audit(), move |c, audit| {
        let row: Absence = absences::table.find(id.as_str()).select(Absence::as_select()).first(c)?;
        accounts::lock_user(c, &row.employee_id)?;
        employee_in_scope(c, &caller, &row.employee_id)?;
        audit.about(&row.employee_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        audit.detail(serde_json::json!({"removed_absence": row.id}));
        diesel::delete(absences::table.find(&row.id)).execute(c)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Absences in 12 months (episodes that follow on count once), the current one's length,
/// long-term and frequent flags, days absent, and the poortwachter timeline of the current
/// absence. Same callers as the episode list.
#[utoipa::path(tag = "absences", params(("id" = String, Path)), responses((status = 200, body = AbsenceSummary)), security(("bearer" = [])))]
#[get("/employees/{id}/absence-summary")]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // The organisations' date: an absence's running days and the poortwachter dates count in it.
    let today = crate::local_time::today(state.config.time_zone);
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let user = employee_in_scope(c, &caller, &id)?;
        audit.about(&user.id);
        Ok(summarise(&user.id, &episodes_of(c, &user.id)?, today))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

pub fn summarise(employee_id: &str, rows: &[Absence], today: NaiveDate) -> AbsenceSummary {
    let episodes: Vec<Episode> = rows.iter().map(Absence::episode).collect();
    let f = timeline::figures(&episodes, today);
    let current = rows.iter().filter(|a| a.end_date.is_none() && a.start_date <= today).max_by_key(|a| a.start_date);
    let began = timeline::current(&episodes, today).map(|s| s.start);
    AbsenceSummary {
        employee_id: employee_id.to_string(),
        as_of: today,
        episodes_last_12_months: f.episodes_last_12_months,
        current_episode: current.map(|a| {
            let absence_start_date = began.unwrap_or(a.start_date).min(a.start_date);
            CurrentEpisode {
                absence_id: a.id.clone(),
                start_date: a.start_date,
                absence_start_date,
                days: (today - absence_start_date).num_days() + 1,
                percentage: a.percentage,
            }
        }),
        long_term: f.long_term,
        frequent: f.frequent,
        total_days_last_12_months: f.total_days_last_12_months,
        weighted_days_last_12_months: f.weighted_days_last_12_months,
        poortwachter: timeline::poortwachter_of(&episodes, today),
    }
}
