//! Return to work and the aftercare check-ins.

use actix_web::{delete, get, patch, put, web, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{CheckinOut, CheckinStatus, CheckinUpdate, DueItem, Extent, ReturnIn, ReturnOut, ReturnRecord};
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::{aftercare_checkins, trajectories, trajectory_events, users, work_returns};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::api::Status;
use crate::trajectories::model::ENDED;
use crate::trajectories::queries as trajectory_queries;
use crate::AppState;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = work_returns)]
struct ReturnRow {
    id: String,
    trajectory_id: String,
    return_date: NaiveDate,
    extent: String,
    hours_per_week: f64,
    own_work: bool,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    corrected_at: Option<NaiveDateTime>,
    corrected_by: Option<String>,
}

impl ReturnRow {
    fn out(self) -> ReturnRecord {
        ReturnRecord {
            id: self.id,
            date: self.return_date,
            extent: if self.extent == "full" { Extent::Full } else { Extent::Partial },
            hours_per_week: self.hours_per_week,
            own_work: self.own_work,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
            corrected_by: self.corrected_by,
            corrected_at: self.corrected_at,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = aftercare_checkins)]
struct CheckinRow {
    id: String,
    trajectory_id: String,
    week: i32,
    due_on: NaiveDate,
    status: String,
    note: Option<String>,
    skip_reason: Option<String>,
    completed_at: Option<NaiveDateTime>,
    completed_by: Option<String>,
    reminder_sent_at: Option<NaiveDateTime>,
    overdue_reminder_sent_at: Option<NaiveDateTime>,
    shared_with_employee: bool,
}

impl CheckinRow {
    /// `today` is the organisations' date: a check-in due today is not overdue until their midnight.
    /// The employee reads the coach's texts once they are shared.
    fn out(self, today: NaiveDate, reader: Reader) -> CheckinOut {
        let shown = self.shared_with_employee || reader == Reader::Staff;
        let status = match self.status.as_str() {
            "done" => CheckinStatus::Done,
            "skipped" => CheckinStatus::Skipped,
            _ => CheckinStatus::Due,
        };
        CheckinOut {
            overdue: status == CheckinStatus::Due && self.due_on < today,
            status,
            id: self.id,
            trajectory_id: self.trajectory_id,
            week: self.week,
            due_on: self.due_on,
            note: self.note.filter(|_| shown),
            skip_reason: self.skip_reason.filter(|_| shown),
            shared_with_employee: self.shared_with_employee,
            completed_at: self.completed_at,
        }
    }
}

/// Who reads a return and its check-ins: the employee in the app, or staff (and the employee's
/// own inzage, which holds everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Employee,
    Staff,
}

impl Reader {
    pub fn of(caller: &Caller) -> Reader {
        if caller.is(Role::Employee) {
            Reader::Employee
        } else {
            Reader::Staff
        }
    }
}

pub fn return_out(
    c: &mut DbConnection,
    trajectory_id: &str,
    today: NaiveDate,
    reader: Reader,
) -> Result<ReturnOut, AppError> {
    // By date: a step recorded late, about an earlier day, takes its place among the others.
    let rows: Vec<ReturnRow> = work_returns::table
        .filter(work_returns::trajectory_id.eq(trajectory_id))
        .order((work_returns::return_date, work_returns::recorded_at, work_returns::id))
        .select(ReturnRow::as_select())
        .load(c)?;
    let history: Vec<ReturnRecord> = rows.into_iter().map(ReturnRow::out).collect();
    let checkins: Vec<CheckinRow> = aftercare_checkins::table
        .filter(aftercare_checkins::trajectory_id.eq(trajectory_id))
        .order(aftercare_checkins::due_on)
        .select(CheckinRow::as_select())
        .load(c)?;
    let current = history.last().cloned();
    Ok(ReturnOut {
        trajectory_id: trajectory_id.to_string(),
        current,
        history,
        aftercare: checkins.into_iter().map(|row| row.out(today, reader)).collect(),
    })
}

/// Record the (partial) return to work, a later step of it (kept as history), or a correction
/// of a record (`corrects`: its id). The first return, and the first after a relapse, plans a
/// round of aftercare check-ins (the organisation's weeks; default 2, 6 and 12) and moves the
/// trajectory from `active` to `returned` (the only way there). A round's check-ins still due are
/// planned from its earliest date, so a correction of that date, or a step recorded late about an
/// earlier day, moves them; one moved to a date still to come is reminded of again then. A
/// correction keeps the values it replaces in the audit log. The trajectory's coach and project
/// leaders. A new record: 409 before the trajectory is active, once it has ended, or without
/// method consent. A correction is also possible after the end (the evaluation counts the date).
/// 422 for a date still to come, a return after a relapse dated on or before the return before
/// it, or a record to correct that is not this trajectory's. The same step sent again (date,
/// extent, hours, own work) is recorded once.
#[utoipa::path(tag = "aftercare", params(("id" = String, Path)), request_body = ReturnIn, responses((status = 200, body = ReturnOut)), security(("bearer" = [])))]
#[put("/trajectories/{id}/return")]
pub async fn put_return(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<ReturnIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectory_queries::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        let today = crate::local_time::today(zone);
        let corrected = match &input.corrects {
            Some(record) => Some(record_of(c, &t.id, record)?),
            None => None,
        };
        if corrected.is_none() {
            t.accepts_records()?;
            if t.status == Status::Proposed.as_str() {
                return Err(AppError::Conflict(
                    "Dit traject is nog niet gestart. Zet het eerst op 'gestart' (active); daarna kun je de werkhervatting vastleggen."
                        .into(),
                ));
            }
        }
        // A return is recorded once it began: it moves the trajectory on and plans aftercare from
        // its date.
        if input.date > today {
            return Err(AppError::field(
                "date",
                "Deze datum ligt in de toekomst. Leg de werkhervatting vast als die begonnen is.",
            ));
        }
        // Rounds follow each other: a return of the round since the relapse lies after every
        // return before it, and one from before the relapse before every return since.
        let round = Round::of(c, &t.id)?;
        if corrected.as_ref().is_none_or(|r| round.holds(r)) {
            if let Some(before) = round.before.filter(|b| input.date <= *b) {
                return Err(AppError::field(
                    "date",
                    &format!(
                        "Een werkhervatting na de terugval ligt na {}, de werkhervatting daarvoor. Klopt die \
                         eerdere datum niet? Verbeter dan eerst die regel in de geschiedenis.",
                        super::dutch_date(before)
                    ),
                ));
            }
        } else if let Some(first) = round.first.filter(|f| input.date >= *f) {
            return Err(AppError::field(
                "date",
                &format!(
                    "Deze werkhervatting was vóór de terugval: kies een datum vóór {}, de werkhervatting daarna.",
                    super::dutch_date(first)
                ),
            ));
        }
        let extent = if input.extent == Extent::Full { "full" } else { "partial" };
        if let Some(record) = corrected {
            // The values it replaces stay in the audit log: the evaluation counts this date.
            audit.detail(serde_json::json!({"corrects": record.id, "before": {
                "date": record.return_date, "extent": record.extent,
                "hours_per_week": record.hours_per_week, "own_work": record.own_work,
            }}));
            update(
                work_returns::table,
                (
                    work_returns::return_date.eq(input.date),
                    work_returns::extent.eq(extent),
                    work_returns::hours_per_week.eq(input.hours_per_week),
                    work_returns::own_work.eq(input.own_work),
                    work_returns::corrected_at.eq(Some(now())),
                    work_returns::corrected_by.eq(Some(&caller.user_id)),
                ),
                work_returns::id.eq(&record.id),
            )
            .execute(c)?;
            replan(c, &t.id, &round, today)?;
            return return_out(c, &t.id, today, Reader::Staff);
        }
        // The same step sent twice (a double click, a retry after a lost answer) is recorded once.
        let mut same = work_returns::table
            .filter(work_returns::trajectory_id.eq(&t.id))
            .filter(work_returns::return_date.eq(input.date))
            .filter(work_returns::extent.eq(extent))
            .filter(work_returns::hours_per_week.eq(input.hours_per_week))
            .filter(work_returns::own_work.eq(input.own_work))
            .count()
            .into_boxed();
        if let Some(at) = round.relapse {
            same = same.filter(work_returns::recorded_at.gt(at));
        }
        if same.get_result::<i64>(c)? > 0 {
            return return_out(c, &t.id, today, Reader::Staff);
        }
        let row = ReturnRow {
            id: new_id(),
            trajectory_id: t.id.clone(),
            return_date: input.date,
            extent: extent.into(),
            hours_per_week: input.hours_per_week,
            own_work: input.own_work,
            recorded_by: caller.user_id.clone(),
            recorded_at: now(),
            corrected_at: None,
            corrected_by: None,
        };
        diesel::insert_into(work_returns::table).values(&row).execute(c)?;
        // Active: the first return, or the first after a relapse. Either begins a round of
        // check-ins from its date and moves the trajectory to `returned`. (So does a return on a
        // trajectory that reached `returned` without one, as could be set by hand before.)
        let active = t.status == Status::Active.as_str();
        if active || round.first.is_none() {
            let org = accounts::find_organization(c, &t.organization_id)?;
            // Checked when the organisation's weeks are set; unreadable here is a bug to report,
            // not a reason to plan other check-ins than the organisation chose.
            let weeks: Vec<i64> = crate::db::text::from_json(&org.aftercare_weeks)?;
            for week in weeks {
                diesel::insert_into(aftercare_checkins::table)
                    .values(&CheckinRow {
                        id: new_id(),
                        trajectory_id: t.id.clone(),
                        week: week as i32,
                        due_on: input.date + Duration::weeks(week),
                        status: "due".into(),
                        note: None,
                        skip_reason: None,
                        completed_at: None,
                        completed_by: None,
                        reminder_sent_at: None,
                        overdue_reminder_sent_at: None,
                        shared_with_employee: false,
                    })
                    .execute(c)?;
            }
            if active {
                trajectory_queries::set_status(c, &t, Status::Returned, None, None, &caller.user_id, zone)?;
            }
        } else {
            replan(c, &t.id, &round, today)?;
        }
        return_out(c, &t.id, today, Reader::Staff)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Take back a return recorded by mistake (on the wrong trajectory, or one that did not go
/// ahead): the record leaves the history. A later step of the current round goes by itself and the
/// round's check-ins still due are planned from what is left. The round's only record takes its
/// check-ins with it (their reminders still waiting too) and the trajectory is `active` again, the
/// change to `returned` gone from its history: not a relapse, of which the employee would read.
/// Kept in the audit log with its values. The trajectory's coach and project leaders. 404 for a
/// record not of this trajectory; 409 for a record from before a relapse (correct its date
/// instead), or the round's only record once the trajectory has moved on from `returned` or a
/// check-in of the round has been recorded.
#[utoipa::path(tag = "aftercare", params(("id" = String, Path), ("record_id" = String, Path)), responses((status = 200, body = ReturnOut)), security(("bearer" = [])))]
#[delete("/trajectories/{id}/return/{record_id}")]
pub async fn withdraw_return(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, record_id) = path.into_inner();
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectory_queries::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        let record: ReturnRow = work_returns::table
            .find(&record_id)
            .filter(work_returns::trajectory_id.eq(&t.id))
            .select(ReturnRow::as_select())
            .first(c)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let today = crate::local_time::today(zone);
        let round = Round::of(c, &t.id)?;
        if !round.holds(&record) {
            return Err(AppError::Conflict(
                "Deze werkhervatting was vóór een terugval. Die haal je niet weg; verbeter zo nodig de datum.".into(),
            ));
        }
        let mut in_round = work_returns::table.filter(work_returns::trajectory_id.eq(&t.id)).count().into_boxed();
        if let Some(at) = round.relapse {
            in_round = in_round.filter(work_returns::recorded_at.gt(at));
        }
        let alone = in_round.get_result::<i64>(c)? == 1;
        audit.detail(serde_json::json!({"withdraws": record.id, "before": {
            "date": record.return_date, "extent": record.extent,
            "hours_per_week": record.hours_per_week, "own_work": record.own_work,
        }}));
        if !alone {
            diesel::delete(work_returns::table.find(&record.id)).execute(c)?;
            replan(c, &t.id, &round, today)?;
            return return_out(c, &t.id, today, Reader::Staff);
        }
        // Held on PostgreSQL: a coach's record of one of them made meanwhile is waited for and
        // then seen, not deleted with the others.
        let checkins = round.checkins(c, &t.id)?;
        if checkins.iter().any(|k| k.status != "due") {
            return Err(AppError::Conflict(
                "Bij deze werkhervatting is al nazorg vastgelegd. Zet die eerst terug op 'open' (due), of \
                 verbeter de datum van de werkhervatting."
                    .into(),
            ));
        }
        let since = round.relapse.unwrap_or(NaiveDateTime::MIN);
        if t.status != Status::Returned.as_str()
            || !trajectory_queries::take_back_change(c, &t, Status::Active, Status::Returned, since)?
        {
            return Err(AppError::Conflict(
                "Het traject is na deze werkhervatting al verder gegaan. Verbeter daarom de datum van de \
                 werkhervatting, in plaats van hem weg te halen."
                    .into(),
            ));
        }
        for k in &checkins {
            crate::mail::outbox::cancel(c, &format!("aftercare:{}", k.id))?;
            diesel::delete(aftercare_checkins::table.find(&k.id)).execute(c)?;
        }
        diesel::delete(work_returns::table.find(&record.id)).execute(c)?;
        return_out(c, &t.id, today, Reader::Staff)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The record `id` of this trajectory, to be corrected.
fn record_of(c: &mut DbConnection, trajectory_id: &str, id: &str) -> Result<ReturnRow, AppError> {
    work_returns::table
        .find(id)
        .filter(work_returns::trajectory_id.eq(trajectory_id))
        .select(ReturnRow::as_select())
        .first(c)
        .optional()?
        .ok_or_else(|| {
            AppError::field(
                "corrects",
                "Deze werkhervatting staat niet bij dit traject. Kies een regel uit de geschiedenis van dit traject.",
            )
        })
}

/// The current round of returns: every return, or after a relapse (the last) those recorded since.
/// Each round has check-ins of its own, planned from its earliest date.
struct Round {
    /// When the last relapse was recorded.
    relapse: Option<NaiveDateTime>,
    /// The earliest date of the round's returns.
    first: Option<NaiveDate>,
    /// The latest date of the returns before the relapse: a return after it comes later.
    before: Option<NaiveDate>,
}

impl Round {
    fn of(c: &mut DbConnection, trajectory_id: &str) -> Result<Round, AppError> {
        let relapse: Option<NaiveDateTime> = trajectory_events::table
            .filter(trajectory_events::trajectory_id.eq(trajectory_id))
            .filter(trajectory_events::to_status.eq(Status::Active.as_str()))
            .filter(trajectory_events::from_status.eq_any([Status::Returned.as_str(), Status::Aftercare.as_str()]))
            .select(diesel::dsl::max(trajectory_events::at))
            .first(c)?;
        let before = match relapse {
            None => None,
            Some(at) => work_returns::table
                .filter(work_returns::trajectory_id.eq(trajectory_id))
                .filter(work_returns::recorded_at.le(at))
                .select(diesel::dsl::max(work_returns::return_date))
                .first(c)?,
        };
        let mut round = Round { relapse, first: None, before };
        round.first = round.first_date(c, trajectory_id)?;
        Ok(round)
    }

    /// The earliest date of the round's returns, as they stand now.
    fn first_date(&self, c: &mut DbConnection, trajectory_id: &str) -> Result<Option<NaiveDate>, AppError> {
        let mut q = work_returns::table
            .filter(work_returns::trajectory_id.eq(trajectory_id))
            .select(diesel::dsl::min(work_returns::return_date))
            .into_boxed();
        if let Some(at) = self.relapse {
            q = q.filter(work_returns::recorded_at.gt(at));
        }
        Ok(q.first(c)?)
    }

    /// Whether a record belongs to this round.
    fn holds(&self, record: &ReturnRow) -> bool {
        self.relapse.is_none_or(|at| record.recorded_at > at)
    }

    /// Whether a check-in belongs to this round: planned after the relapse (ids are UUIDv7 of
    /// the moment they were made; the relapse called off those of the rounds before).
    fn plans(&self, checkin_id: &str) -> bool {
        self.relapse.is_none_or(|at| checkin_id >= crate::db::first_id_at(at).as_str())
    }

    /// The round's check-ins, held until the transaction ends on PostgreSQL (as [`replan`] holds
    /// them): a coach's record of one made meanwhile is waited for and then seen.
    fn checkins(&self, c: &mut DbConnection, trajectory_id: &str) -> Result<Vec<CheckinRow>, AppError> {
        let q = aftercare_checkins::table.filter(aftercare_checkins::trajectory_id.eq(trajectory_id));
        let all: Vec<CheckinRow> = match c {
            DbConnection::Pg(pg) => q.select(CheckinRow::as_select()).for_update().load(pg)?,
            DbConnection::Sqlite(_) => q.select(CheckinRow::as_select()).load(c)?,
        };
        Ok(all.into_iter().filter(|k| self.plans(&k.id)).collect())
    }
}

/// Plans the current round's check-ins still due (see [`replan`]).
pub fn replan_round(c: &mut DbConnection, trajectory_id: &str, today: NaiveDate) -> Result<(), AppError> {
    let round = Round::of(c, trajectory_id)?;
    replan(c, trajectory_id, &round, today)
}

/// Plans the check-ins still due from the earliest return date of their round: the history, or
/// after a relapse the returns recorded since (the relapse called off the round before). Done and
/// skipped ones keep their date: it is when they were due. A check-in that moves gets its reminders anew:
/// one still waiting in the outbox (with the old date) is taken back, and a mark of one mailed is
/// kept only while the new date has come too (due), or is a week past (overdue).
fn replan(c: &mut DbConnection, trajectory_id: &str, round: &Round, today: NaiveDate) -> Result<(), AppError> {
    let Some(first) = round.first_date(c, trajectory_id)? else { return Ok(()) };
    // Held on PostgreSQL until the commit: the reminder round marks a check-in only as it read
    // it (its date), so it waits for this and then leaves a moved one alone.
    let still_due = aftercare_checkins::table
        .filter(aftercare_checkins::trajectory_id.eq(trajectory_id))
        .filter(aftercare_checkins::status.eq("due"));
    let still_due: Vec<CheckinRow> = match c {
        DbConnection::Pg(pg) => still_due.select(CheckinRow::as_select()).for_update().load(pg)?,
        DbConnection::Sqlite(_) => still_due.select(CheckinRow::as_select()).load(c)?,
    };
    for row in still_due {
        let on = first + Duration::weeks(row.week.into());
        if on == row.due_on {
            continue;
        }
        let waiting = crate::mail::outbox::cancel(c, &format!("aftercare:{}", row.id))? > 0;
        let reminded = row.reminder_sent_at.filter(|_| !waiting && on <= today);
        let overdue_reminded =
            row.overdue_reminder_sent_at.filter(|_| !waiting && (today - on).num_days() >= super::OVERDUE_AFTER_DAYS);
        update(
            aftercare_checkins::table,
            (
                aftercare_checkins::due_on.eq(on),
                aftercare_checkins::reminder_sent_at.eq(reminded),
                aftercare_checkins::overdue_reminder_sent_at.eq(overdue_reminded),
            ),
            // Recorded meanwhile (the coach's update does not wait for the trajectory), it keeps
            // its date.
            aftercare_checkins::id.eq(&row.id).and(aftercare_checkins::status.eq("due")),
        )
        .execute(c)?;
    }
    Ok(())
}

/// The return to work with its history and the aftercare check-ins. Same callers as the trajectory.
#[utoipa::path(tag = "aftercare", params(("id" = String, Path)), responses((status = 200, body = ReturnOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}/return")]
pub async fn get_return(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectory_queries::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        return_out(c, &t.id, crate::local_time::today(zone), Reader::of(&caller))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Check-ins due in the next 7 days or overdue, earliest first: a coach's own, a project leader's
/// organisation.
#[utoipa::path(tag = "aftercare", params(PageQuery), responses((status = 200, body = Page<DueItem>)), security(("bearer" = [])))]
#[get("/aftercare/due")]
pub async fn due(state: web::Data<AppState>, caller: Caller, page: Query<PageQuery>) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader])?;
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let today = crate::local_time::today(zone);
        let horizon = today + Duration::days(7);
        let mut q = aftercare_checkins::table
            .inner_join(trajectories::table.on(trajectories::id.eq(aftercare_checkins::trajectory_id)))
            .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
            .filter(aftercare_checkins::status.eq("due"))
            .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)))
            .filter(aftercare_checkins::due_on.le(horizon))
            .order((aftercare_checkins::due_on, aftercare_checkins::id))
            .limit(limit + 1)
            .select((CheckinRow::as_select(), users::id, users::first_name))
            .into_boxed();
        q = after_key!(q, (aftercare_checkins::due_on, aftercare_checkins::id) > after);
        q = match caller.role {
            Role::Coach => q.filter(trajectories::coach_id.eq(caller.user_id.clone())),
            _ => q.filter(trajectories::organization_id.eq(caller.organization_id.clone().unwrap_or_default())),
        };
        let rows = Page::from_rows(q.load::<(CheckinRow, String, String)>(c)?, limit, |(row, _, _)| {
            key_cursor(&row.due_on.to_string(), &row.id)
        });
        let items = rows
            .items
            .into_iter()
            .map(|(row, employee, name)| {
                audit.shows(&employee);
                let days_overdue = (today - row.due_on).num_days().max(0);
                DueItem { checkin: row.out(today, Reader::Staff), employee_first_name: name, days_overdue }
            })
            .collect();
        Ok(Page { items, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Record a check-in as done (with a note) or skipped (with a reason), and whether the employee
/// may read them. The trajectory's coach, who may also correct one recorded before: it keeps the
/// moment it was first recorded (one Wilkan called off becomes the coach's record, of now). A
/// check-in recorded by mistake is set back to `due` (its note and reason go) while the
/// trajectory is in aftercare; 409 once it has ended, or for one Wilkan called off.
#[utoipa::path(tag = "aftercare", params(("id" = String, Path)), request_body = CheckinUpdate, responses((status = 200, body = CheckinOut)), security(("bearer" = [])))]
#[patch("/aftercare/{id}")]
pub async fn update_checkin(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<CheckinUpdate>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let row: CheckinRow = aftercare_checkins::table
            .find(id.as_str())
            .select(CheckinRow::as_select())
            .first(c)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let t = trajectory_queries::load_in_scope(c, &caller, &row.trajectory_id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        let skip_reason = input.skip_reason.as_deref().is_some_and(|r| !r.trim().is_empty());
        let status = match input.status {
            CheckinStatus::Done | CheckinStatus::Due if skip_reason => {
                return Err(AppError::field(
                    "skip_reason",
                    "Een reden om over te slaan hoort alleen bij 'overgeslagen' (skipped).",
                ))
            }
            CheckinStatus::Done => "done",
            CheckinStatus::Skipped if skip_reason => "skipped",
            CheckinStatus::Skipped => {
                return Err(AppError::field("skip_reason", "Schrijf op waarom deze nazorg niet doorgaat."))
            }
            CheckinStatus::Due if input.note.is_some() || input.shared_with_employee.is_some() => {
                let field = if input.note.is_some() { "note" } else { "shared_with_employee" };
                return Err(AppError::field(
                    field,
                    "Een nazorg die weer open staat heeft nog geen verslag. Laat 'note' en 'shared_with_employee' weg.",
                ));
            }
            CheckinStatus::Due => {
                // Held as a stop or a relapse holds it: a check-in opened again is not left open on
                // a trajectory that ended meanwhile, nor by a coach it was handed away from.
                let t = trajectory_queries::load_for_change(c, &caller, &t.id)?;
                caller.require_coach_of(&t.coach_id)?;
                return due_again(c, &row, &t, zone);
            }
        };
        // Wilkan's call-off (a stop, a relapse) is not the coach's record: theirs is made now.
        let wilkan_s = super::called_off_by_wilkan(&row.status, row.skip_reason.as_deref());
        let (completed_at, completed_by) = match (&row.completed_at, &row.completed_by) {
            (Some(at), by) if !wilkan_s => (*at, by.clone().unwrap_or_else(|| caller.user_id.clone())),
            _ => (now(), caller.user_id.clone()),
        };
        update(
            aftercare_checkins::table,
            (
                aftercare_checkins::status.eq(status),
                // Left out, the note stays; an empty one clears it.
                aftercare_checkins::note.eq(match input.note {
                    Some(n) if n.trim().is_empty() => None,
                    Some(n) => Some(n),
                    None => row.note.clone(),
                }),
                aftercare_checkins::skip_reason.eq(input.skip_reason),
                // A correction does not move when the check-in took place (the process
                // evaluation counts aftercare by it), nor who recorded it.
                aftercare_checkins::completed_at.eq(Some(completed_at)),
                aftercare_checkins::completed_by.eq(Some(completed_by)),
                // Shown to the employee because Wilkan called it off with its own reason: the
                // coach's record of the talk is at first not shared, as any other.
                aftercare_checkins::shared_with_employee
                    .eq(input.shared_with_employee.unwrap_or(row.shared_with_employee && !wilkan_s)),
            ),
            aftercare_checkins::id.eq(&row.id),
        )
        .execute(c)?;
        super::recorded(c, &row.id)?;
        let today = crate::local_time::today(zone);
        Ok(aftercare_checkins::table.find(&row.id).select(CheckinRow::as_select()).first(c)?.out(today, Reader::Staff))
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// A check-in recorded by mistake, due again: while the trajectory is in aftercare, and not one
/// Wilkan called off (a relapse is taken back by setting the trajectory's status back). Its
/// reminder, taken back when it was recorded, goes out afresh.
fn due_again(
    c: &mut DbConnection,
    row: &CheckinRow,
    t: &crate::trajectories::model::Trajectory,
    zone: chrono_tz::Tz,
) -> Result<CheckinOut, AppError> {
    let today = crate::local_time::today(zone);
    let read = |c: &mut DbConnection| -> Result<CheckinOut, AppError> {
        Ok(aftercare_checkins::table.find(&row.id).select(CheckinRow::as_select()).first(c)?.out(today, Reader::Staff))
    };
    if row.status == "due" {
        return read(c);
    }
    if !["returned", "aftercare"].contains(&t.status.as_str()) {
        return Err(AppError::Conflict(
            "Deze nazorg kan niet meer open worden gezet: het traject is niet meer in de nazorg.".into(),
        ));
    }
    if super::called_off_by_wilkan(&row.status, row.skip_reason.as_deref()) {
        return Err(AppError::Conflict(
            "Wilkan heeft deze nazorg zelf overgeslagen. Die zet je niet terug; leg hem vast als gedaan als het gesprek toch is gevoerd."
                .into(),
        ));
    }
    let round = Round::of(c, &t.id)?;
    if !round.plans(&row.id) {
        return Err(AppError::Conflict(
            "Deze nazorg hoort bij een werkhervatting van vóór een terugval. Die zet je niet terug.".into(),
        ));
    }
    let unmarked = super::last_reminder_taken_back(c, &row.id)?;
    let open_again = (
        aftercare_checkins::status.eq("due"),
        aftercare_checkins::note.eq(None::<String>),
        aftercare_checkins::skip_reason.eq(None::<String>),
        aftercare_checkins::completed_at.eq(None::<NaiveDateTime>),
        aftercare_checkins::completed_by.eq(None::<String>),
        aftercare_checkins::shared_with_employee.eq(false),
    );
    if unmarked {
        let marks = (
            aftercare_checkins::reminder_sent_at.eq(None::<NaiveDateTime>),
            aftercare_checkins::overdue_reminder_sent_at.eq(None::<NaiveDateTime>),
        );
        update(aftercare_checkins::table, (open_again, marks), aftercare_checkins::id.eq(&row.id)).execute(c)?;
    } else {
        update(aftercare_checkins::table, open_again, aftercare_checkins::id.eq(&row.id)).execute(c)?;
    }
    // Due again from the round's date as it stands now (corrected since it was recorded, say).
    replan(c, &t.id, &round, today)?;
    read(c)
}
