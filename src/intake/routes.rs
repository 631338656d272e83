//! Intake, plan and work values of a trajectory.

use std::collections::BTreeMap;

use actix_web::{get, put, web, HttpResponse};
use diesel::prelude::*;

use super::api::{IntakeIn, IntakeOut, Mode, PlanIn, PlanOut, WorkValuesCard, WorkValuesOut, WorkValuesSnapshot};
use crate::db::schema::{intakes, plans, work_value_snapshots};
use crate::db::text::{from_json as parse, to_json as json};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::policy::{Caller, Role};
use crate::trajectories::model::Trajectory;
use crate::trajectories::queries as trajectories;
use crate::AppState;

/// An employee sees intake and plan only when the coach shared them; otherwise they do not exist for them.
fn hide_unshared(caller: &Caller, shared: bool) -> Result<(), AppError> {
    if caller.is(Role::Employee) && !shared {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = intakes)]
struct IntakeRow {
    trajectory_id: String,
    factors: String,
    goals: String,
    basic_needs: String,
    expectations: String,
    shared_with_employee: bool,
    updated_by: String,
    updated_at: chrono::NaiveDateTime,
}

impl IntakeRow {
    fn out(self) -> Result<IntakeOut, AppError> {
        Ok(IntakeOut {
            factors: parse(&self.factors)?,
            goals: parse(&self.goals)?,
            basic_needs_under_pressure: parse(&self.basic_needs)?,
            expectations: parse(&self.expectations)?,
            trajectory_id: self.trajectory_id,
            shared_with_employee: self.shared_with_employee,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
        })
    }
}

/// The intake: the trajectory's coach and project leaders; the employee when shared (404 otherwise).
#[utoipa::path(tag = "intake", params(("id" = String, Path)), responses((status = 200, body = IntakeOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}/intake")]
pub async fn get_intake(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        let row: IntakeRow = intakes::table.find(&t.id).select(IntakeRow::as_select()).first(c)?;
        hide_unshared(&caller, row.shared_with_employee)?;
        row.out()
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Write the intake (the whole of it). Only the trajectory's own coach. Notes: no medical details.
/// 409 before method consent, and once the trajectory has ended unless an intake is there to
/// correct.
#[utoipa::path(tag = "intake", params(("id" = String, Path)), request_body = IntakeIn, responses((status = 200, body = IntakeOut)), security(("bearer" = [])))]
#[put("/trajectories/{id}/intake")]
pub async fn put_intake(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<IntakeIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // Two saves at once take turns on the trajectory's row: a double click would otherwise
        // meet the first save's rows and fail.
        let t = trajectories::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        let exists = intakes::table.find(&t.id).count().get_result::<i64>(c)? > 0;
        t.accepts_change(exists)?;
        let row = IntakeRow {
            trajectory_id: t.id.clone(),
            factors: json(&input.factors)?,
            goals: json(&input.goals)?,
            basic_needs: json(&input.basic_needs_under_pressure)?,
            expectations: json(&input.expectations)?,
            shared_with_employee: input.shared_with_employee,
            updated_by: caller.user_id.clone(),
            updated_at: now(),
        };
        diesel::delete(intakes::table.find(&t.id)).execute(c)?;
        diesel::insert_into(intakes::table).values(&row).execute(c)?;
        row.out()
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub trajectory_id: String,
    pub course_order: String,
    pub first_course_reason: Option<String>,
    pub focus_courses: String,
    pub course_modes: String,
    pub digital_skills_pretrack: bool,
    pub group_sessions_interest: bool,
    pub buddy_interest: bool,
    pub help_needed: Option<String>,
    pub shared_with_employee: bool,
    pub updated_by: String,
    pub updated_at: chrono::NaiveDateTime,
}

impl PlanRow {
    fn out(self) -> Result<PlanOut, AppError> {
        Ok(PlanOut {
            course_order: parse(&self.course_order)?,
            focus_courses: parse(&self.focus_courses)?,
            course_modes: parse(&self.course_modes)?,
            trajectory_id: self.trajectory_id,
            first_course_reason: self.first_course_reason,
            digital_skills_pretrack: self.digital_skills_pretrack,
            group_sessions_interest: self.group_sessions_interest,
            buddy_interest: self.buddy_interest,
            help_needed: self.help_needed,
            shared_with_employee: self.shared_with_employee,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
        })
    }
}

/// The intake of a trajectory, if written (for inzage).
pub fn intake_of(conn: &mut DbConnection, trajectory_id: &str) -> Result<Option<IntakeOut>, AppError> {
    let row: Option<IntakeRow> =
        intakes::table.find(trajectory_id).select(IntakeRow::as_select()).first(conn).optional()?;
    row.map(IntakeRow::out).transpose()
}

/// The plan of a trajectory, if written (for inzage).
pub fn plan_of(conn: &mut DbConnection, trajectory_id: &str) -> Result<Option<PlanOut>, AppError> {
    let row: Option<PlanRow> = plans::table.find(trajectory_id).select(PlanRow::as_select()).first(conn).optional()?;
    row.map(PlanRow::out).transpose()
}

/// The course order that applies to `t` (used by the paper map): its own plan's, or while it has
/// none the latest plan of the employee's earlier trajectories; only a plan shared with the
/// employee (one not shared is a draft). `GET /me/courses` shows the latest plan the same way, so
/// the map of the current trajectory and the screen never differ.
pub fn course_order(conn: &mut DbConnection, t: &Trajectory) -> Result<Option<Vec<String>>, AppError> {
    use crate::db::schema::trajectories as t_table;
    let order: Option<String> = plans::table
        .inner_join(t_table::table.on(t_table::id.eq(plans::trajectory_id)))
        .filter(t_table::employee_id.eq(&t.employee_id))
        .filter(plans::shared_with_employee.eq(true))
        .filter(t_table::id.le(&t.id))
        .order(t_table::id.desc())
        .select(plans::course_order)
        .first(conn)
        .optional()?;
    order.map(|o| parse(&o)).transpose()
}

/// Checks a plan against the catalogue, with Dutch messages per field.
fn check_plan(p: &PlanIn, slugs: &[&str]) -> Result<(), AppError> {
    let mut errors = crate::error::FieldErrors::new();
    let mut add = |f: &str, m: &str| errors.entry(f.to_string()).or_default().push(m.to_string());
    let mut sorted: Vec<&str> = p.course_order.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut expected = slugs.to_vec();
    expected.sort_unstable();
    if sorted != expected {
        add("course_order", &format!("Zet alle {} cursussen precies één keer in de volgorde.", slugs.len()));
    } else if p.course_order.first().map(String::as_str) != slugs.first().copied()
        && p.first_course_reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        add("first_course_reason", "Begin met 'Uitgangspunten en misverstanden', of schrijf op waarom niet.");
    }
    if p.focus_courses.iter().any(|s| !slugs.contains(&s.as_str())) {
        add("focus_courses", "Kies alleen cursussen die bestaan.");
    }
    if p.course_modes.keys().any(|s| !slugs.contains(&s.as_str())) {
        add("course_modes", "Kies alleen cursussen die bestaan.");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation { detail: "Het plan klopt nog niet. Kijk de velden hieronder na.".into(), errors })
    }
}

/// The plan van aanpak: the trajectory's coach and project leaders; the employee when shared.
#[utoipa::path(tag = "intake", params(("id" = String, Path)), responses((status = 200, body = PlanOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}/plan")]
pub async fn get_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        let row: PlanRow = plans::table.find(&t.id).select(PlanRow::as_select()).first(c)?;
        hide_unshared(&caller, row.shared_with_employee)?;
        row.out()
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Write the plan (course order, focus, online or paper, pre-track, group and buddy interest).
/// Only the trajectory's own coach. 409 before method consent, and once the trajectory has ended
/// unless a plan is there to correct.
#[utoipa::path(tag = "intake", params(("id" = String, Path)), request_body = PlanIn, responses((status = 200, body = PlanOut)), security(("bearer" = [])))]
#[put("/trajectories/{id}/plan")]
pub async fn put_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<PlanIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    check_plan(&input, &state.content.slugs())?;
    let modes: BTreeMap<String, Mode> = input
        .course_order
        .iter()
        .map(|s| (s.clone(), input.course_modes.get(s).copied().unwrap_or(Mode::Online)))
        .collect();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        let exists = plans::table.find(&t.id).count().get_result::<i64>(c)? > 0;
        t.accepts_change(exists)?;
        let row = PlanRow {
            trajectory_id: t.id.clone(),
            course_order: json(&input.course_order)?,
            first_course_reason: input.first_course_reason.filter(|r| !r.trim().is_empty()),
            focus_courses: json(&input.focus_courses)?,
            course_modes: json(&modes)?,
            digital_skills_pretrack: input.digital_skills_pretrack,
            group_sessions_interest: input.group_sessions_interest,
            buddy_interest: input.buddy_interest,
            help_needed: input.help_needed,
            shared_with_employee: input.shared_with_employee,
            updated_by: caller.user_id.clone(),
            updated_at: now(),
        };
        diesel::delete(plans::table.find(&t.id)).execute(c)?;
        diesel::insert_into(plans::table).values(&row).execute(c)?;
        row.out()
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = work_value_snapshots)]
struct SnapshotRow {
    card: String,
    recorded_by: String,
    recorded_at: chrono::NaiveDateTime,
}

pub fn work_values_out(c: &mut DbConnection, trajectory_id: &str) -> Result<WorkValuesOut, AppError> {
    let rows: Vec<SnapshotRow> = work_value_snapshots::table
        .filter(work_value_snapshots::trajectory_id.eq(trajectory_id))
        .order((work_value_snapshots::recorded_at, work_value_snapshots::id))
        .select(SnapshotRow::as_select())
        .load(c)?;
    let history = rows
        .into_iter()
        .map(|r| {
            Ok(WorkValuesSnapshot { card: parse(&r.card)?, recorded_by: r.recorded_by, recorded_at: r.recorded_at })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let current = history.last().map(|s| WorkValuesSnapshot {
        card: s.card.clone(),
        recorded_by: s.recorded_by.clone(),
        recorded_at: s.recorded_at,
    });
    Ok(WorkValuesOut { trajectory_id: trajectory_id.to_string(), current, history })
}

/// The work-values card with its history. The employee, their coach, project leaders.
#[utoipa::path(tag = "intake", params(("id" = String, Path)), responses((status = 200, body = WorkValuesOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}/work-values")]
pub async fn get_work_values(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        work_values_out(c, &t.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Save the card (all seven values). The employee and their coach; every save is kept.
/// 409 once the trajectory has ended, or before method consent.
#[utoipa::path(tag = "intake", params(("id" = String, Path)), request_body = WorkValuesCard, responses((status = 200, body = WorkValuesOut)), security(("bearer" = [])))]
#[put("/trajectories/{id}/work-values")]
pub async fn put_work_values(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<WorkValuesCard>,
) -> Result<HttpResponse, AppError> {
    let card = body.0;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Employee, Role::Coach])?;
        t.accepts_records()?;
        diesel::insert_into(work_value_snapshots::table)
            .values((
                work_value_snapshots::id.eq(new_id()),
                work_value_snapshots::trajectory_id.eq(&t.id),
                work_value_snapshots::card.eq(json(&card)?),
                work_value_snapshots::recorded_by.eq(&caller.user_id),
                work_value_snapshots::recorded_at.eq(now()),
            ))
            .execute(c)?;
        work_values_out(c, &t.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
