//! Return to work and aftercare (nazorg): the return with its history, check-ins scheduled from
//! it, the coach's list of what is due, and reminders that make them hard to forget.

pub mod api;
pub mod routes;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounts::model::{Organization, User};
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::{aftercare_checkins, organizations, trajectories, users};
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::http::routes::Routes;
use crate::mail::outbox::{self, Mail};
use crate::mail::templates::Templates;
use crate::trajectories::model::ENDED;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::put_return)
        .service(routes::get_return)
        .service(routes::withdraw_return)
        .service(routes::due)
        .service(routes::update_checkin);
}

/// Days after the due date at which a second reminder goes out.
pub const OVERDUE_AFTER_DAYS: i64 = 7;

/// Why the check-ins still due are skipped when the trajectory goes back to `active`. The employee
/// reads it: in the words of CONTENT.md, to them.
pub const RELAPSE_REASON: &str = "Je bent weer ziek geworden. Als je weer gaat werken, plannen we nieuwe gesprekken.";
/// Why they are skipped when the trajectory stops or closes ([`crate::trajectories::wind_down`]).
pub const STOPPED_REASON: &str = "Het traject is gestopt.";
pub const CLOSED_REASON: &str = "Het traject is afgesloten.";

/// Whether a check-in was skipped by Wilkan ([`call_off`]), not by the coach: then its reason,
/// not a note of the coach's, is what the employee was shown.
pub fn called_off_by_wilkan(status: &str, skip_reason: Option<&str>) -> bool {
    status == "skipped" && skip_reason.is_some_and(|r| [RELAPSE_REASON, STOPPED_REASON, CLOSED_REASON].contains(&r))
}

/// Skips the trajectory's check-ins still due, with Wilkan's own reason (which the employee may
/// read: it holds no note of the coach's), and takes back their reminders still waiting in the
/// outbox: with the mail server down a reminder can wait for hours, and would then be about a
/// talk that no longer takes place.
pub fn call_off(
    c: &mut DbConnection,
    trajectory_id: &str,
    reason: &str,
    actor: &str,
    at: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let ids: Vec<String> = aftercare_checkins::table
        .filter(aftercare_checkins::trajectory_id.eq(trajectory_id))
        .filter(aftercare_checkins::status.eq("due"))
        .select(aftercare_checkins::id)
        .load(c)?;
    update(
        aftercare_checkins::table,
        (
            aftercare_checkins::status.eq("skipped"),
            aftercare_checkins::skip_reason.eq(reason),
            aftercare_checkins::completed_at.eq(at),
            aftercare_checkins::completed_by.eq(actor),
            aftercare_checkins::shared_with_employee.eq(true),
        ),
        aftercare_checkins::trajectory_id.eq(trajectory_id).and(aftercare_checkins::status.eq("due")),
    )
    .execute(c)?;
    for id in ids {
        outbox::cancel(c, &format!("aftercare:{id}"))?;
    }
    Ok(())
}

/// A check-in recorded (done or skipped) needs no reminder any more: one still waiting in the
/// outbox (the mail server down) is taken back, as [`call_off`] does.
pub fn recorded(c: &mut DbConnection, checkin_id: &str) -> Result<(), AppError> {
    outbox::cancel(c, &format!("aftercare:{checkin_id}"))?;
    Ok(())
}

/// The trajectory's check-ins still due go with it to its new coach: reminders still waiting for
/// the coach before (who no longer coaches the person) are taken back, and the check-ins lose
/// their marks, so that the next round reminds the new coach (of one overdue at once).
pub fn hand_over(c: &mut DbConnection, trajectory_id: &str) -> Result<(), AppError> {
    let due = || aftercare_checkins::trajectory_id.eq(trajectory_id).and(aftercare_checkins::status.eq("due"));
    let ids: Vec<String> = aftercare_checkins::table.filter(due()).select(aftercare_checkins::id).load(c)?;
    for id in &ids {
        outbox::cancel(c, &format!("aftercare:{id}"))?;
    }
    let unmarked = (
        aftercare_checkins::reminder_sent_at.eq(None::<chrono::NaiveDateTime>),
        aftercare_checkins::overdue_reminder_sent_at.eq(None::<chrono::NaiveDateTime>),
    );
    update(aftercare_checkins::table, unmarked, due()).execute(c)?;
    Ok(())
}

fn dutch_date(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// A person a reminder names or goes to, locked until the mail is queued (PostgreSQL; SQLite has
/// one writer at a time anyway). Erasure deletes the user row, so it waits for this transaction
/// and then scrubs the queued mail too, or this read waits for the erasure and finds no row.
/// Without the lock, a reminder rendered from the old name could be committed just after the
/// erasure's scrub of the outbox, and keep the name.
fn named_in_mail(conn: &mut DbConnection, id: &str) -> Result<Option<User>, AppError> {
    Ok(match conn {
        DbConnection::Pg(c) => users::table.find(id).select(User::as_select()).for_share().first(c).optional()?,
        DbConnection::Sqlite(c) => users::table.find(id).select(User::as_select()).first(c).optional()?,
    })
}

/// The coach of a trajectory, the row held until the transaction ends (PostgreSQL; SQLite has one
/// writer at a time).
fn coach_held(conn: &mut DbConnection, trajectory_id: &str) -> Result<Option<String>, AppError> {
    let one = trajectories::table.find(trajectory_id).select(trajectories::coach_id);
    Ok(match conn {
        DbConnection::Pg(c) => one.for_share().first(c).optional()?,
        DbConnection::Sqlite(c) => one.first(c).optional()?,
    })
}

/// Takes back what [`call_off`] did for a relapse recorded at `since` by mistake: the check-ins it
/// called off are due again. One whose last reminder was taken back (cancelled) loses its marks:
/// the reminder job sends it afresh, with the date as it is now.
pub fn undo_call_off(c: &mut DbConnection, trajectory_id: &str, since: chrono::NaiveDateTime) -> Result<(), AppError> {
    let ids: Vec<String> = aftercare_checkins::table
        .filter(aftercare_checkins::trajectory_id.eq(trajectory_id))
        .filter(aftercare_checkins::status.eq("skipped"))
        .filter(aftercare_checkins::skip_reason.eq(RELAPSE_REASON))
        .filter(aftercare_checkins::completed_at.eq(since))
        .select(aftercare_checkins::id)
        .load(c)?;
    for id in ids {
        let unsent = last_reminder_taken_back(c, &id)?;
        let due = (
            aftercare_checkins::status.eq("due"),
            aftercare_checkins::skip_reason.eq(None::<String>),
            aftercare_checkins::completed_at.eq(None::<chrono::NaiveDateTime>),
            aftercare_checkins::completed_by.eq(None::<String>),
            aftercare_checkins::shared_with_employee.eq(false),
        );
        // As called off: the coach's update does not wait for the trajectory, and one recorded
        // meanwhile stands.
        let called_off = aftercare_checkins::id
            .eq(&id)
            .and(aftercare_checkins::status.eq("skipped"))
            .and(aftercare_checkins::skip_reason.eq(RELAPSE_REASON));
        if unsent {
            let unmarked = (
                aftercare_checkins::reminder_sent_at.eq(None::<chrono::NaiveDateTime>),
                aftercare_checkins::overdue_reminder_sent_at.eq(None::<chrono::NaiveDateTime>),
            );
            update(aftercare_checkins::table, (due, unmarked), called_off).execute(c)?;
        } else {
            update(aftercare_checkins::table, due, called_off).execute(c)?;
        }
    }
    Ok(())
}

/// Whether the last reminder of check-in `id` was taken back before it went out (cancelled, as
/// recording the check-in does): one due again then loses its marks, so that the reminder job
/// sends it afresh, with the date as it is now.
pub fn last_reminder_taken_back(c: &mut DbConnection, id: &str) -> Result<bool, AppError> {
    use crate::db::schema::outbox;
    let last_mail: Option<String> = outbox::table
        .filter(outbox::subject_ref.eq(format!("aftercare:{id}")))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .select(outbox::status)
        .first(c)
        .optional()?;
    Ok(last_mail.as_deref() == Some("cancelled"))
}

/// A check-in still to be reminded of, with whom the reminder goes to and names.
#[derive(Queryable)]
struct DueCheckin {
    id: String,
    week: i32,
    due_on: NaiveDate,
    /// When the first reminder went out, if it did.
    reminded: Option<chrono::NaiveDateTime>,
    coach_id: String,
    employee_id: String,
    org_id: String,
    trajectory_id: String,
}

/// Queues the reminder mails for check-ins that became due or a week overdue (each once).
pub fn queue_reminders(
    conn: &mut DbConnection,
    templates: &Templates,
    public_url: &str,
    today: NaiveDate,
) -> Result<usize, AppError> {
    let rows: Vec<DueCheckin> = aftercare_checkins::table
        .inner_join(trajectories::table.on(trajectories::id.eq(aftercare_checkins::trajectory_id)))
        // A join, not `coach_id IN (SELECT id FROM users WHERE active)`: with the subquery SQLite
        // probed the trajectories' (coach, id) index once per active user for every due check-in
        // (0.17 s a round every two seconds at 10,000 trajectories, growing with the square).
        .inner_join(users::table.on(users::id.eq(trajectories::coach_id)))
        .filter(aftercare_checkins::status.eq("due"))
        // Ended trajectories wind their check-ins down; this also covers those ended before that.
        .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)))
        .filter(aftercare_checkins::due_on.le(today))
        .filter(aftercare_checkins::overdue_reminder_sent_at.is_null())
        // Only what a reminder is due for (see `remind`): one reminded and not yet a week overdue
        // waits, and is not read every round.
        .filter(
            aftercare_checkins::reminder_sent_at
                .is_null()
                .or(aftercare_checkins::due_on.le(today - chrono::Duration::days(OVERDUE_AFTER_DAYS))),
        )
        // A coach who left is not reminded: the check-in waits for the coach it is handed to
        // (checked again below, under the lock, for a deactivation meanwhile).
        .filter(users::active.eq(true))
        .select((
            aftercare_checkins::id,
            aftercare_checkins::week,
            aftercare_checkins::due_on,
            aftercare_checkins::reminder_sent_at,
            trajectories::coach_id,
            trajectories::employee_id,
            trajectories::organization_id,
            trajectories::id,
        ))
        .load(conn)?;
    // A transaction per trajectory: what one holds (its people, the trajectory, its check-ins) is
    // let go before the next, so a stop, a handover or an erasure waits for one trajectory's
    // reminders, not for the round, and cannot meet this round holding another's rows.
    let mut by_trajectory: BTreeMap<String, Vec<DueCheckin>> = BTreeMap::new();
    for row in rows {
        by_trajectory.entry(row.trajectory_id.clone()).or_default().push(row);
    }
    let mut queued = 0;
    for (_, rows) in by_trajectory {
        queued += conn.transaction(|c| remind(c, templates, public_url, today, rows))?;
    }
    Ok(queued)
}

/// The reminders of one trajectory's check-ins (`rows`), as [`queue_reminders`] finds them.
fn remind(
    conn: &mut DbConnection,
    templates: &Templates,
    public_url: &str,
    today: NaiveDate,
    rows: Vec<DueCheckin>,
) -> Result<usize, AppError> {
    let mut queued = 0;
    for DueCheckin { id, week, due_on, reminded, coach_id, employee_id, org_id, trajectory_id } in rows {
        let overdue = (today - due_on).num_days() >= OVERDUE_AFTER_DAYS;
        let template = match (reminded.is_some(), overdue) {
            (false, false) => "aftercare-due",
            (_, true) => "aftercare-overdue",
            (true, false) => continue,
        };
        let (Some(coach), Some(employee)) = (named_in_mail(conn, &coach_id)?, named_in_mail(conn, &employee_id)?)
        else {
            continue; // erased since the rows above were read: nobody left to remind or to name
        };
        // A coach who left gets no mail: the check-in stays unmarked, so that the coach the
        // trajectory is handed to is reminded.
        if !coach.active {
            continue;
        }
        // The trajectory held (PostgreSQL) before any of its check-ins is marked, after the people
        // as an erasure takes them: a handover committing meanwhile is waited for, and its new
        // coach is reminded in the next round, not the coach before in this one.
        if coach_held(conn, &trajectory_id)?.as_deref() != Some(coach_id.as_str()) {
            continue;
        }
        // Marked first, and only if no one marked it meanwhile: with several instances each
        // round reads the same due check-ins, and the mark decides which one sends the reminder
        // (PostgreSQL re-checks the condition once the other's transaction has committed).
        let t = Some(now());
        // Still due on the date read: a correction of the return may have moved it meanwhile
        // (`routes::replan` holds the row while it does), or the coach recorded it.
        let still_as_read = aftercare_checkins::id
            .eq(&id)
            .and(aftercare_checkins::status.eq("due"))
            .and(aftercare_checkins::due_on.eq(due_on));
        let marked = if template == "aftercare-due" {
            let unmarked = still_as_read.and(aftercare_checkins::reminder_sent_at.is_null());
            update(aftercare_checkins::table, aftercare_checkins::reminder_sent_at.eq(t), unmarked).execute(conn)?
        } else {
            // An overdue reminder also stands for the first one.
            let both = (
                aftercare_checkins::reminder_sent_at.eq(reminded.or(t)),
                aftercare_checkins::overdue_reminder_sent_at.eq(t),
            );
            let unmarked = still_as_read.and(aftercare_checkins::overdue_reminder_sent_at.is_null());
            update(aftercare_checkins::table, both, unmarked).execute(conn)?
        };
        if marked == 0 {
            continue;
        }
        let org: Organization = organizations::table.find(&org_id).select(Organization::as_select()).first(conn)?;
        let vars = BTreeMap::from([
            ("first_name", coach.first_name.clone()),
            ("organization", org.name),
            ("employee", employee.first_name),
            ("due", dutch_date(due_on)),
            ("week", week.to_string()),
            ("link", crate::mail::links::aftercare(public_url, &trajectory_id)),
        ]);
        outbox::queue(
            conn,
            templates,
            Mail {
                template,
                to: &coach.email,
                vars,
                about: Some(format!("aftercare:{id}")),
                not_before: None,
                send_before: None,
            },
        )?;
        queued += 1;
    }
    Ok(queued)
}
