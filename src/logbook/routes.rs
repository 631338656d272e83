//! Coaching logbook: entries, corrections with history, and weighings.

use std::collections::BTreeMap;

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;

use super::api::{
    EntryIn, EntryOut, EntryUpdate, RedactIn, RevisionOut, TextField, Weighing, WeighingItem, WeighingSummary,
};
use crate::db::one_of::one_of;
use crate::db::reuse;
use crate::db::schema::{logbook_entries, logbook_revisions, trajectories};
use crate::db::text::{from_text, to_text};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::model::Trajectory;
use crate::trajectories::queries as trajectory_queries;
use crate::AppState;

/// What a text taken out (`redact`) reads afterwards.
pub const REDACTED: &str = "[verwijderd]";

/// Corrections within this period change the entry in place; later ones keep the original.
const CORRECTION_WINDOW: TimeDelta = TimeDelta::days(7);

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = logbook_entries)]
pub struct EntryRow {
    pub id: String,
    pub trajectory_id: String,
    pub author_id: String,
    pub entry_date: NaiveDate,
    pub kind: String,
    pub duration_minutes: i32,
    pub preparation_minutes: i32,
    pub led_by: String,
    pub impression: Option<String>,
    pub agreements: Option<String>,
    pub developments: Option<String>,
    pub next_appointment: Option<NaiveDate>,
    pub shared_with_employee: bool,
    pub weighing: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = logbook_revisions)]
struct RevisionRow {
    entry_id: String,
    previous: String,
    revised_by: String,
    revised_at: NaiveDateTime,
}

pub(crate) fn parse_weighing(s: Option<&str>) -> Result<Option<Weighing>, AppError> {
    s.map(|w| serde_json::from_str(w).map_err(|e| AppError::internal(e.to_string()))).transpose()
}

pub(crate) fn weighing_text(w: &Weighing) -> Result<String, AppError> {
    serde_json::to_string(w).map_err(|e| AppError::internal(e.to_string()))
}

/// `revisions` are those the reader is shown: see [`render_all`] and [`for_inzage`].
fn render(row: EntryRow, revisions: Vec<RevisionOut>, caller: &Caller) -> Result<EntryOut, AppError> {
    // The weighing is the author's private reflection.
    let weighing = if caller.user_id == row.author_id { parse_weighing(row.weighing.as_deref())? } else { None };
    Ok(EntryOut {
        has_weighing: row.weighing.is_some(),
        weighing,
        kind: from_text(&row.kind)?,
        led_by: from_text(&row.led_by)?,
        revisions,
        id: row.id,
        trajectory_id: row.trajectory_id,
        author_id: row.author_id,
        date: row.entry_date,
        duration_minutes: row.duration_minutes,
        preparation_minutes: row.preparation_minutes,
        impression: row.impression,
        agreements: row.agreements,
        developments: row.developments,
        next_appointment: row.next_appointment,
        shared_with_employee: row.shared_with_employee,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn revisions_of(c: &mut DbConnection, ids: &[String]) -> Result<Vec<RevisionRow>, AppError> {
    Ok(logbook_revisions::table
        .filter(one_of(logbook_revisions::entry_id, ids))
        .order((logbook_revisions::revised_at, logbook_revisions::id))
        .select(RevisionRow::as_select())
        .load(c)?)
}

/// A saved earlier version of an entry. It holds the weighing as it was then: like the entry's
/// own weighing, only its author sees it (`weighing` becomes null for everyone else).
fn earlier_version(previous: &str, author: bool) -> serde_json::Value {
    let mut version: serde_json::Value = serde_json::from_str(previous).unwrap_or_default();
    if let (false, Some(fields)) = (author, version.as_object_mut()) {
        if let Some(weighing) = fields.get_mut("weighing") {
            *weighing = serde_json::Value::Null;
        }
    }
    version
}

/// Entries as the caller sees them in the app: staff with their earlier versions, an employee
/// the entries as they are now.
pub fn render_all(c: &mut DbConnection, rows: Vec<EntryRow>, caller: &Caller) -> Result<Vec<EntryOut>, AppError> {
    render_rows(c, rows, caller, !caller.is(Role::Employee))
}

/// Every entry about the caller, with its earlier versions: the right of access covers what was
/// stored before a correction too. Weighings stay out (the author's own reflection).
pub fn for_inzage(c: &mut DbConnection, rows: Vec<EntryRow>, caller: &Caller) -> Result<Vec<EntryOut>, AppError> {
    render_rows(c, rows, caller, true)
}

fn render_rows(
    c: &mut DbConnection,
    rows: Vec<EntryRow>,
    caller: &Caller,
    with_revisions: bool,
) -> Result<Vec<EntryOut>, AppError> {
    let revisions = if with_revisions {
        revisions_of(c, &rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())?
    } else {
        Vec::new()
    };
    rows.into_iter()
        .map(|row| {
            let author = caller.user_id == row.author_id;
            let mine = revisions
                .iter()
                .filter(|r| r.entry_id == row.id)
                .map(|r| RevisionOut {
                    previous: earlier_version(&r.previous, author),
                    revised_by: r.revised_by.clone(),
                    revised_at: r.revised_at,
                })
                .collect();
            render(row, mine, caller)
        })
        .collect()
}

/// Entry and trajectory if the caller may see the entry (employees: shared entries only).
fn entry_in_scope(c: &mut DbConnection, caller: &Caller, id: &str) -> Result<(EntryRow, Trajectory), AppError> {
    let row: EntryRow =
        logbook_entries::table.find(id).select(EntryRow::as_select()).first(c).optional()?.ok_or(AppError::NotFound)?;
    let t = trajectory_queries::load_in_scope(c, caller, &row.trajectory_id)?;
    if caller.is(Role::Employee) && !row.shared_with_employee {
        return Err(AppError::NotFound);
    }
    Ok((row, t))
}

/// [`entry_in_scope`] for a change: on PostgreSQL the entry is locked first, so that two changes
/// at once (corrections, a redaction) take turns and the later one sees what the earlier wrote.
fn entry_for_change(c: &mut DbConnection, caller: &Caller, id: &str) -> Result<(EntryRow, Trajectory), AppError> {
    if let DbConnection::Pg(pg) = c {
        logbook_entries::table.find(id).select(logbook_entries::id).for_update().first::<String>(pg).optional()?;
    }
    entry_in_scope(c, caller, id)
}

/// The logbook of a trajectory, oldest first: its coach and project leaders (without weighing
/// content); the employee sees entries shared with them.
#[utoipa::path(tag = "logbook", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<EntryOut>)), security(("bearer" = [])))]
#[get("/trajectories/{id}/logbook")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectory_queries::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        let mut q = logbook_entries::table
            .filter(logbook_entries::trajectory_id.eq(&t.id))
            .order((logbook_entries::entry_date, logbook_entries::id))
            .limit(limit + 1)
            .select(EntryRow::as_select())
            .into_boxed();
        q = after_key!(q, (logbook_entries::entry_date, logbook_entries::id) > after);
        if caller.is(Role::Employee) {
            q = q.filter(logbook_entries::shared_with_employee.eq(true));
        }
        let rows = Page::from_rows(q.load::<EntryRow>(c)?, limit, |r| key_cursor(&r.entry_date.to_string(), &r.id));
        Ok(Page { items: render_all(c, rows.items, &caller)?, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A logbook entry is about a contact that took place: one dated ahead would count its minutes in
/// the process figures before it happened (the next appointment has a field of its own).
fn not_to_come(date: NaiveDate, zone: chrono_tz::Tz) -> Result<(), AppError> {
    if date > crate::local_time::today(zone) {
        return Err(AppError::field(
            "date",
            "Deze datum ligt in de toekomst. Schrijf het contact op als het geweest is; een volgende afspraak zet je bij 'volgende afspraak'.",
        ));
    }
    Ok(())
}

/// Write a logbook entry (with an optional weighing). Only the trajectory's own coach.
/// 409 once the trajectory has ended, or before method consent; 422 for a date still to come (the
/// next appointment has a field of its own). Corrections of an entry stay possible.
#[utoipa::path(tag = "logbook", params(("id" = String, Path)), request_body = EntryIn, responses((status = 201, body = EntryOut)), security(("bearer" = [])))]
#[post("/trajectories/{id}/logbook")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<EntryIn>,
) -> Result<HttpResponse, AppError> {
    let e = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // For change: a stop or a withdrawal of consent committing meanwhile is waited for.
        let t = trajectory_queries::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        t.accepts_records()?;
        not_to_come(e.date, zone)?;
        let ts = now();
        let row = EntryRow {
            id: new_id(),
            trajectory_id: t.id,
            author_id: caller.user_id.clone(),
            entry_date: e.date,
            kind: to_text(&e.kind),
            duration_minutes: e.duration_minutes,
            preparation_minutes: e.preparation_minutes,
            led_by: to_text(&e.led_by),
            impression: e.impression,
            agreements: e.agreements,
            developments: e.developments,
            next_appointment: e.next_appointment,
            shared_with_employee: e.shared_with_employee,
            weighing: e.weighing.as_ref().map(weighing_text).transpose()?,
            created_at: ts,
            updated_at: ts,
        };
        diesel::insert_into(logbook_entries::table).values(&row).execute(c)?;
        render(row, Vec::new(), &caller)
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// One entry. Same callers as the trajectory's logbook.
#[utoipa::path(tag = "logbook", params(("entry_id" = String, Path)), responses((status = 200, body = EntryOut)), security(("bearer" = [])))]
#[get("/logbook/{entry_id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (row, t) = entry_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        Ok(render_all(c, vec![row], &caller)?.remove(0))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Correct an entry. Only its author. Within 7 days the entry changes in place; later corrections
/// keep the original version in `revisions`.
#[utoipa::path(tag = "logbook", params(("entry_id" = String, Path)), request_body = EntryUpdate, responses((status = 200, body = EntryOut)), security(("bearer" = [])))]
#[patch("/logbook/{entry_id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<EntryUpdate>,
) -> Result<HttpResponse, AppError> {
    let u = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (row, t) = entry_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        if row.author_id != caller.user_id {
            return Err(AppError::Forbidden);
        }
        let ts = now();
        if ts - row.created_at > CORRECTION_WINDOW {
            let previous = serde_json::to_string(&row).map_err(|e| AppError::internal(e.to_string()))?;
            diesel::insert_into(logbook_revisions::table)
                .values((
                    logbook_revisions::id.eq(new_id()),
                    logbook_revisions::entry_id.eq(&row.id),
                    logbook_revisions::previous.eq(previous),
                    logbook_revisions::revised_by.eq(&caller.user_id),
                    logbook_revisions::revised_at.eq(ts),
                ))
                .execute(c)?;
        }
        // The rule of a new entry holds for the entry as corrected: a new date or a new next
        // appointment alone must not put the appointment before the talk.
        let (date, next) = (u.date.unwrap_or(row.entry_date), u.next_appointment.unwrap_or(row.next_appointment));
        if u.date.is_some() {
            not_to_come(date, zone)?;
        }
        if next.is_some_and(|n| n < date) {
            return Err(AppError::field(
                if u.next_appointment.is_some() { "next_appointment" } else { "date" },
                "De volgende afspraak ligt dan voor de datum van dit gesprek. Kies een andere dag.",
            ));
        }
        let weighing = match &u.weighing {
            Some(w) => Some(weighing_text(w)?),
            None => row.weighing.clone(),
        };
        reuse::update(
            logbook_entries::table,
            (
                logbook_entries::entry_date.eq(u.date.unwrap_or(row.entry_date)),
                logbook_entries::kind.eq(u.kind.map(|k| to_text(&k)).unwrap_or(row.kind.clone())),
                logbook_entries::duration_minutes.eq(u.duration_minutes.unwrap_or(row.duration_minutes)),
                logbook_entries::preparation_minutes.eq(u.preparation_minutes.unwrap_or(row.preparation_minutes)),
                logbook_entries::led_by.eq(u.led_by.map(|k| to_text(&k)).unwrap_or(row.led_by.clone())),
                logbook_entries::impression.eq(u.impression.or(row.impression.clone())),
                logbook_entries::agreements.eq(u.agreements.or(row.agreements.clone())),
                logbook_entries::developments.eq(u.developments.or(row.developments.clone())),
                logbook_entries::next_appointment.eq(next),
                logbook_entries::shared_with_employee.eq(u.shared_with_employee.unwrap_or(row.shared_with_employee)),
                logbook_entries::weighing.eq(weighing),
                logbook_entries::updated_at.eq(ts),
            ),
            logbook_entries::id.eq(&row.id),
        )
        .execute(c)?;
        let fresh = logbook_entries::table.find(&row.id).select(EntryRow::as_select()).first(c)?;
        Ok(render_all(c, vec![fresh], &caller)?.remove(0))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The caller's own weighings across all their trajectories, newest first (for intervision). Coaches only.
#[utoipa::path(tag = "logbook", params(PageQuery), responses((status = 200, body = Page<WeighingItem>)), security(("bearer" = [])))]
#[get("/weighings")]
pub async fn my_weighings(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach])?;
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // Not about an erased person: what is kept of their weighings (pitfalls and factors, the
        // texts taken out) is for the project leaders' counts only.
        let erased = crate::db::schema::users::table
            .filter(crate::db::schema::users::erased_at.is_not_null())
            .select(crate::db::schema::users::id);
        let mut q = logbook_entries::table
            .inner_join(trajectories::table.on(trajectories::id.eq(logbook_entries::trajectory_id)))
            .filter(logbook_entries::author_id.eq(&caller.user_id))
            .filter(logbook_entries::weighing.is_not_null())
            .filter(trajectories::employee_id.ne_all(erased))
            .order((logbook_entries::entry_date.desc(), logbook_entries::id.desc()))
            .limit(limit + 1)
            .select((EntryRow::as_select(), trajectories::employee_id))
            .into_boxed();
        q = after_key!(q, (logbook_entries::entry_date, logbook_entries::id) < after);
        let rows = Page::from_rows(q.load::<(EntryRow, String)>(c)?, limit, |(r, _)| {
            key_cursor(&r.entry_date.to_string(), &r.id)
        });
        let items = rows
            .items
            .into_iter()
            .map(|(r, employee)| {
                // The coach's reflection holds what they observed of the person: a read of it is
                // in the person's inzage, also once another coach has taken over.
                audit.shows(&employee);
                Ok(WeighingItem {
                    weighing: parse_weighing(r.weighing.as_deref())?.ok_or(AppError::NotFound)?,
                    entry_id: r.id,
                    trajectory_id: r.trajectory_id,
                    date: r.entry_date,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Page { items, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// How weighings are used in the caller's organisation: counts, never content. Project leaders only.
#[utoipa::path(tag = "logbook", responses((status = 200, body = WeighingSummary)), security(("bearer" = [])))]
#[get("/weighings/summary")]
pub async fn summary(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::ProjectLeader])?;
    let org = caller.organization_id.clone().ok_or(AppError::Forbidden)?;
    let out = db::tx(&state.pool, caller.audit(), move |c, _| {
        let weighings: Vec<Option<String>> = logbook_entries::table
            .inner_join(trajectories::table.on(trajectories::id.eq(logbook_entries::trajectory_id)))
            .filter(trajectories::organization_id.eq(&org))
            .select(logbook_entries::weighing)
            .load(c)?;
        let mut s = WeighingSummary {
            organization_id: org,
            entries: weighings.len() as i64,
            entries_with_weighing: 0,
            explained_to_employee: 0,
            pitfalls_checked: BTreeMap::new(),
            factor_clusters: BTreeMap::new(),
        };
        for w in weighings.iter().filter_map(|w| parse_weighing(w.as_deref()).ok().flatten()) {
            s.entries_with_weighing += 1;
            s.explained_to_employee += i64::from(w.explained_to_employee);
            for p in &w.pitfalls_checked {
                *s.pitfalls_checked.entry(to_text(p)).or_default() += 1;
            }
            for f in &w.factor_clusters {
                *s.factor_clusters.entry(to_text(f)).or_default() += 1;
            }
        }
        Ok(s)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Take texts out of an entry for good, also from its earlier versions: a medical detail written
/// by mistake, noticed after the week in which a correction replaces the text in place. The text
/// then reads `[verwijderd]`; the entry keeps its date, kind and minutes (they count in the
/// evaluation). Its author and project
/// leaders of the organisation; the audit log keeps who, when, which texts and why, not the text.
#[utoipa::path(tag = "logbook", params(("entry_id" = String, Path)), request_body = RedactIn, responses((status = 200, body = EntryOut)), security(("bearer" = [])))]
#[post("/logbook/{entry_id}/redact")]
pub async fn redact(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<RedactIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let entry = caller.audit().named("logbook.redacted");
    let out = db::tx(&state.pool, entry, move |c, audit| {
        let (row, t) = entry_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        if row.author_id != caller.user_id && !caller.is(Role::ProjectLeader) {
            return Err(AppError::Forbidden);
        }
        let fields: Vec<&str> = input.fields.iter().map(|f| f.as_str()).collect();
        audit.detail(serde_json::json!({"entry": row.id, "fields": fields, "reason": input.reason}));
        // A mark, not nothing: whether a talk had agreements counts in the evaluation, and a
        // reader sees that a text was taken out rather than never written.
        let none = Some(REDACTED.to_string());
        let has = |f: TextField| input.fields.contains(&f);
        let weighing = if has(TextField::Weighing) {
            parse_weighing(row.weighing.as_deref())?.map(|w| weighing_text(&w.redacted(REDACTED))).transpose()?
        } else {
            row.weighing.clone()
        };
        reuse::update(
            logbook_entries::table,
            (
                logbook_entries::impression.eq(taken_out(has(TextField::Impression), &row.impression, &none)),
                logbook_entries::agreements.eq(taken_out(has(TextField::Agreements), &row.agreements, &none)),
                logbook_entries::developments.eq(taken_out(has(TextField::Developments), &row.developments, &none)),
                logbook_entries::weighing.eq(weighing),
                logbook_entries::updated_at.eq(now()),
            ),
            logbook_entries::id.eq(&row.id),
        )
        .execute(c)?;
        let earlier: Vec<(String, String)> = logbook_revisions::table
            .filter(logbook_revisions::entry_id.eq(&row.id))
            .select((logbook_revisions::id, logbook_revisions::previous))
            .load(c)?;
        for (revision, previous) in earlier {
            let mut version: serde_json::Value =
                serde_json::from_str(&previous).map_err(|e| AppError::internal(e.to_string()))?;
            if let Some(map) = version.as_object_mut() {
                for f in &fields {
                    let Some(was) = map.get(*f).filter(|v| !v.is_null()) else { continue };
                    // A version keeps the row as stored: its weighing as the text of its JSON.
                    let redacted = if *f == TextField::Weighing.as_str() {
                        let w = parse_weighing(was.as_str())?.ok_or_else(|| AppError::internal("weighing not text"))?;
                        weighing_text(&w.redacted(REDACTED))?.into()
                    } else {
                        REDACTED.into()
                    };
                    map.insert((*f).to_string(), redacted);
                }
            }
            reuse::update(
                logbook_revisions::table,
                logbook_revisions::previous.eq(version.to_string()),
                logbook_revisions::id.eq(&revision),
            )
            .execute(c)?;
        }
        let fresh = logbook_entries::table.find(&row.id).select(EntryRow::as_select()).first(c)?;
        Ok(render_all(c, vec![fresh], &caller)?.remove(0))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A text as it is after a redaction: the mark where there was a text to take out.
fn taken_out(chosen: bool, text: &Option<String>, mark: &Option<String>) -> Option<String> {
    if chosen && text.is_some() {
        mark.clone()
    } else {
        text.clone()
    }
}
