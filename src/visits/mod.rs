//! 'Op de koffie': planned and done workplace visits that keep the link with work.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::reuse;
use crate::db::schema::workplace_visits;
use crate::db::text::{from_text, to_text};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::http::routes::Routes;
use crate::policy::{Caller, Role};
use crate::trajectories::queries as trajectories;
use crate::AppState;

pub fn routes(cfg: &mut Routes) {
    cfg.service(list).service(create).service(update);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    Coffee,
    Lunch,
    Meeting,
    /// Joining the work for a while.
    JoiningWork,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Planned,
    Done,
    Cancelled,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitIn {
    #[serde(deserialize_with = "crate::http::dates::near")]
    pub date: NaiveDate,
    pub kind: VisitKind,
    /// With whom (e.g. "de ploeg van de inpakafdeling"). No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 200, message = "Vul in met wie (hoogstens 200 tekens).")
    )]
    pub with_whom: String,
    pub status: VisitStatus,
    /// How it went, in a few words. No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub how_it_went: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitUpdate {
    #[serde(default, deserialize_with = "crate::http::dates::near")]
    pub date: Option<NaiveDate>,
    pub status: Option<VisitStatus>,
    /// No medical details.
    #[validate(length(max = 1000, message = "Gebruik hoogstens 1.000 tekens."))]
    pub how_it_went: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitOut {
    pub id: String,
    pub trajectory_id: String,
    pub date: NaiveDate,
    pub kind: VisitKind,
    pub with_whom: String,
    pub status: VisitStatus,
    pub how_it_went: Option<String>,
    pub recorded_by: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = workplace_visits)]
struct VisitRow {
    id: String,
    trajectory_id: String,
    visit_date: NaiveDate,
    kind: String,
    with_whom: String,
    status: String,
    how_it_went: Option<String>,
    recorded_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl VisitRow {
    fn out(self) -> Result<VisitOut, AppError> {
        Ok(VisitOut {
            kind: from_text(&self.kind)?,
            status: from_text(&self.status)?,
            id: self.id,
            trajectory_id: self.trajectory_id,
            date: self.visit_date,
            with_whom: self.with_whom,
            how_it_went: self.how_it_went,
            recorded_by: self.recorded_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Visits of a trajectory by date (also for inzage).
pub fn visits_of(c: &mut crate::db::DbConnection, trajectory_id: &str) -> Result<Vec<VisitOut>, AppError> {
    let rows: Vec<VisitRow> = workplace_visits::table
        .filter(workplace_visits::trajectory_id.eq(trajectory_id))
        .order((workplace_visits::visit_date, workplace_visits::id))
        .select(VisitRow::as_select())
        .load(c)?;
    rows.into_iter().map(VisitRow::out).collect()
}

/// Visits of a trajectory, by date. Its employee, coach and project leaders.
#[utoipa::path(tag = "visits", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<VisitOut>)), security(("bearer" = [])))]
#[get("/trajectories/{id}/visits")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        let q = workplace_visits::table
            .filter(workplace_visits::trajectory_id.eq(&t.id))
            .order((workplace_visits::visit_date, workplace_visits::id))
            .limit(limit + 1)
            .select(VisitRow::as_select())
            .into_boxed();
        let q = after_key!(q, (workplace_visits::visit_date, workplace_visits::id) > after);
        let rows = Page::from_rows(q.load::<VisitRow>(c)?, limit, |v| key_cursor(&v.visit_date.to_string(), &v.id));
        Ok(Page {
            items: rows.items.into_iter().map(VisitRow::out).collect::<Result<_, _>>()?,
            next_cursor: rows.next_cursor,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A visit that took place has a date that has come (the organisations' date).
fn done_is_past(status: VisitStatus, date: chrono::NaiveDate, zone: chrono_tz::Tz) -> Result<(), AppError> {
    if status == VisitStatus::Done && date > crate::local_time::today(zone) {
        return Err(AppError::field(
            "date",
            "Een bezoek dat gedaan is, ligt niet in de toekomst. Kies de dag van het bezoek.",
        ));
    }
    Ok(())
}

/// A visit planned is still to come: one planned for a day that has passed would stay planned for
/// good (a stop cancels only what is still to come).
fn planned_is_ahead(date: chrono::NaiveDate, zone: chrono_tz::Tz) -> Result<(), AppError> {
    if date < crate::local_time::today(zone) {
        return Err(AppError::field(
            "date",
            "Deze dag is al voorbij. Plan het bezoek op vandaag of later. Was het bezoek al? Kies dan 'gedaan'.",
        ));
    }
    Ok(())
}

/// Plan or record a visit. The employee and their coach. 409 once the trajectory has ended, or before method consent.
#[utoipa::path(tag = "visits", params(("id" = String, Path)), request_body = VisitIn, responses((status = 201, body = VisitOut)), security(("bearer" = [])))]
#[post("/trajectories/{id}/visits")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<VisitIn>,
) -> Result<HttpResponse, AppError> {
    let v = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // Held to the insert (PostgreSQL): a stop committing meanwhile is waited for, and then
        // refuses the visit here instead of leaving it planned past its wind-down.
        let t = trajectories::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Employee, Role::Coach])?;
        t.accepts_records()?;
        done_is_past(v.status, v.date, zone)?;
        if v.status == VisitStatus::Planned {
            planned_is_ahead(v.date, zone)?;
        }
        let ts = now();
        let row = VisitRow {
            id: new_id(),
            trajectory_id: t.id,
            visit_date: v.date,
            kind: to_text(&v.kind),
            with_whom: v.with_whom,
            status: to_text(&v.status),
            how_it_went: v.how_it_went,
            recorded_by: caller.user_id.clone(),
            created_at: ts,
            updated_at: ts,
        };
        diesel::insert_into(workplace_visits::table).values(&row).execute(c)?;
        row.out()
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Mark a planned visit as done (with how it went) or cancelled. The employee and their coach.
#[utoipa::path(tag = "visits", params(("id" = String, Path)), request_body = VisitUpdate, responses((status = 200, body = VisitOut)), security(("bearer" = [])))]
#[patch("/visits/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<VisitUpdate>,
) -> Result<HttpResponse, AppError> {
    let u = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // The trajectory first, locked (PostgreSQL), as a stop takes it before its wind-down
        // cancels planned visits; then the visit as it is now, also locked. Two changes of the
        // visit, or a change and a stop, take turns: none writes back what it read before the
        // other committed (a cancelled visit planned again, a change lost).
        let trajectory_id: String = workplace_visits::table
            .find(id.as_str())
            .select(workplace_visits::trajectory_id)
            .first(c)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let t = trajectories::load_for_change(c, &caller, &trajectory_id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Employee, Role::Coach])?;
        let one = workplace_visits::table.find(id.as_str());
        let row: Option<VisitRow> = match c {
            DbConnection::Pg(pg) => one.select(VisitRow::as_select()).for_update().first(pg).optional()?,
            _ => one.select(VisitRow::as_select()).first(c).optional()?,
        };
        let row = row.ok_or(AppError::NotFound)?;
        let status = u.status.map(|s| to_text(&s)).unwrap_or(row.status.clone());
        if status == "done" {
            done_is_past(VisitStatus::Done, u.date.unwrap_or(row.visit_date), zone)?;
        }
        // Planned anew, or moved: planning it again, to a day still to come (left as it was, a
        // planned visit may lie in the past: it is then for the coach to say whether it took
        // place). A new record: not once the trajectory has ended (its stop cancelled what was
        // still planned, and left what had passed).
        if status == "planned" && (row.status != "planned" || u.date.is_some_and(|d| d != row.visit_date)) {
            planned_is_ahead(u.date.unwrap_or(row.visit_date), zone)?;
            t.accepts_records()?;
        }
        reuse::update(
            workplace_visits::table,
            (
                workplace_visits::visit_date.eq(u.date.unwrap_or(row.visit_date)),
                workplace_visits::status.eq(status),
                workplace_visits::how_it_went.eq(u.how_it_went.or(row.how_it_went.clone())),
                workplace_visits::updated_at.eq(now()),
            ),
            workplace_visits::id.eq(&row.id),
        )
        .execute(c)?;
        workplace_visits::table.find(&row.id).select(VisitRow::as_select()).first(c)?.out()
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
