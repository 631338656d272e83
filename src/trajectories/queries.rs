//! Database functions of trajectories, status history and consent.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{
    Advice, ConsentKind, ConsentState, EventOut, InclusionOut, PersonRef, Status, StopReason, TrajectoryOut,
};
use super::latest_consent::{LatestConsent, Method, Research};
use super::model::{Consent, Trajectory, TrajectoryEvent, ENDED};
use crate::db::one_of::one_of;
use crate::db::schema::{consents, trajectories, trajectory_events, users};
use crate::db::{new_id, now, on_backend, reuse, DbConnection};
use crate::error::AppError;
use crate::policy::Caller;

type Db = DbConnection;

pub fn find(conn: &mut Db, id: &str) -> Result<Trajectory, AppError> {
    Ok(trajectories::table.find(id).select(Trajectory::as_select()).first(conn)?)
}

/// [`find`], the row held until the transaction ends (`FOR SHARE` on PostgreSQL; SQLite has one
/// writer at a time), for a record that only an open trajectory may gain: a stop committing
/// meanwhile is waited for and then found, or waits and then finds the record in its wind-down.
pub fn find_held(conn: &mut Db, id: &str) -> Result<Trajectory, AppError> {
    let one = trajectories::table.find(id);
    Ok(match conn {
        DbConnection::Pg(c) => one.select(Trajectory::as_select()).for_share().first(c)?,
        _ => one.select(Trajectory::as_select()).first(conn)?,
    })
}

/// The trajectory if the caller may see it; 404 otherwise (its existence is not revealed). One
/// query: the person's erasure (see `in_scope`) is read in the same join.
pub fn load_in_scope(conn: &mut Db, caller: &Caller, id: &str) -> Result<Trajectory, AppError> {
    let t = trajectories::table
        .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
        .filter(trajectories::id.eq(id))
        .filter(users::erased_at.is_null())
        .select(Trajectory::as_select())
        .first(conn)
        .optional()?;
    match t {
        Some(t) if caller.sees_trajectory(&t.employee_id, &t.coach_id, &t.organization_id) => Ok(t),
        _ => Err(AppError::NotFound),
    }
}

/// The trajectories of an erased person stay for the counts of the exports, under a new id, but
/// are nobody's to open: whoever knew the trajectory would otherwise still read the person's
/// absences, intake and logbook under the name "Verwijderd".
fn in_scope(conn: &mut Db, t: Option<Trajectory>, caller: &Caller) -> Result<Trajectory, AppError> {
    match t {
        Some(t)
            if caller.sees_trajectory(&t.employee_id, &t.coach_id, &t.organization_id)
                && !erased(conn, &t.employee_id)? =>
        {
            Ok(t)
        }
        _ => Err(AppError::NotFound),
    }
}

/// Whether `user_id` is the account that keeps an erased person's counts.
pub fn erased(conn: &mut Db, user_id: &str) -> Result<bool, AppError> {
    let at: Option<Option<NaiveDateTime>> =
        users::table.find(user_id).select(users::erased_at).first(conn).optional()?;
    Ok(matches!(at, Some(Some(_))))
}

/// Like [`load_in_scope`], for a change that depends on the trajectory's state (its status, its
/// consents, its first return): on PostgreSQL the row is locked first, so a concurrent change of
/// the same trajectory waits and then reads what that one committed. (SQLite has one writer.)
/// The erasure is read apart: a join would lock the person's row too (diesel has no `FOR UPDATE
/// OF`).
pub fn load_for_change(conn: &mut Db, caller: &Caller, id: &str) -> Result<Trajectory, AppError> {
    let one = trajectories::table.find(id);
    let t = match conn {
        Db::Pg(pg) => one.select(Trajectory::as_select()).for_update().first(pg).optional()?,
        _ => one.select(Trajectory::as_select()).first(conn).optional()?,
    };
    in_scope(conn, t, caller)
}

/// Whether `coach_id` is the coach of `employee_id` for the employee's own records (absences, a
/// buddy pair): the coach of their latest trajectory, also when it has ended. Once another
/// trajectory with another coach follows, the earlier coach keeps their trajectory's records but
/// no longer sees the person's.
pub fn coaches(conn: &mut Db, coach_id: &str, employee_id: &str) -> Result<bool, AppError> {
    // An erased person's records are nobody's (see `in_scope`).
    let latest: Option<String> = trajectories::table
        .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
        .filter(users::erased_at.is_null())
        .filter(trajectories::employee_id.eq(employee_id))
        .order(trajectories::id.desc())
        .select(trajectories::coach_id)
        .first(conn)
        .optional()?;
    Ok(latest.as_deref() == Some(coach_id))
}

pub fn open_of_employee(conn: &mut Db, employee_id: &str) -> Result<Option<Trajectory>, AppError> {
    Ok(trajectories::table
        .filter(trajectories::employee_id.eq(employee_id))
        .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)))
        .select(Trajectory::as_select())
        .first(conn)
        .optional()?)
}

/// The open trajectory, held until the transaction ends, for a record that only an open
/// trajectory may gain (an invitation). On PostgreSQL a stop committing meanwhile is waited for
/// and then finds the record in its wind-down, or this read waits for the stop and finds no open
/// trajectory; SQLite has one writer at a time.
pub fn open_of_employee_held(conn: &mut Db, employee_id: &str) -> Result<Option<Trajectory>, AppError> {
    let DbConnection::Pg(c) = conn else { return open_of_employee(conn, employee_id) };
    Ok(trajectories::table
        .filter(trajectories::employee_id.eq(employee_id))
        .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)))
        .select(Trajectory::as_select())
        .for_share()
        .first(c)
        .optional()?)
}

/// Whether the person's research consent stands: their latest research record on any of their
/// trajectories (a withdrawal on an earlier one counts, as the exports count it).
pub fn person_research_consent(conn: &mut Db, employee_id: &str) -> Result<bool, AppError> {
    Ok(latest_research_word(conn, employee_id, false)?.unwrap_or(false))
}

/// The person's latest research record on any of their trajectories (`own`: of those they
/// recorded themselves, not a coach on their behalf): whether it gave consent.
pub fn latest_research_word(conn: &mut Db, employee_id: &str, own: bool) -> Result<Option<bool>, AppError> {
    let theirs = trajectories::table.filter(trajectories::employee_id.eq(employee_id)).select(trajectories::id);
    let mut q = consents::table
        .filter(consents::trajectory_id.eq_any(theirs))
        .filter(consents::kind.eq("research"))
        .order((consents::recorded_at.desc(), consents::id.desc()))
        .select(consents::given)
        .into_boxed();
    if own {
        q = q.filter(consents::on_behalf_of_employee.eq(false));
    }
    Ok(q.first(conn).optional()?)
}

/// The employee's latest trajectory (open or not).
pub fn latest_of_employee(conn: &mut Db, employee_id: &str) -> Result<Option<Trajectory>, AppError> {
    Ok(trajectories::table
        .filter(trajectories::employee_id.eq(employee_id))
        .order(trajectories::id.desc())
        .select(Trajectory::as_select())
        .first(conn)
        .optional()?)
}

/// What a PATCH changes besides the status; fields left `None` stay as they are.
#[derive(AsChangeset, Default)]
#[diesel(table_name = trajectories)]
pub struct TrajectoryChanges {
    pub coach_id: Option<String>,
    pub cohort_id: Option<String>,
    pub recruitment_minutes: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

/// One statement for all changed fields; nothing (not even `updated_at`) when none changed.
pub fn update(conn: &mut Db, id: &str, mut changes: TrajectoryChanges) -> Result<(), AppError> {
    if changes.coach_id.is_none() && changes.cohort_id.is_none() && changes.recruitment_minutes.is_none() {
        return Ok(());
    }
    changes.updated_at = Some(now());
    reuse::update(trajectories::table, &changes, trajectories::id.eq(id)).execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut Db, t: &Trajectory) -> Result<(), AppError> {
    diesel::insert_into(trajectories::table).values(t).execute(conn).map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("Deze medewerker heeft al een lopend traject.".into()),
        other => other,
    })?;
    Ok(())
}

/// Keeps a change of status in the trajectory's history, as of `at`.
#[allow(clippy::too_many_arguments)]
pub fn record_event(
    conn: &mut Db,
    trajectory_id: &str,
    from: Option<Status>,
    to: Status,
    reason: Option<StopReason>,
    note: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let e = TrajectoryEvent {
        id: new_id(),
        trajectory_id: trajectory_id.into(),
        from_status: from.map(|s| s.as_str().into()),
        to_status: to.as_str().into(),
        reason: reason.map(|r| r.as_str().into()),
        note: note.map(str::to_string),
        actor_id: actor.into(),
        at,
    };
    diesel::insert_into(trajectory_events::table).values(&e).execute(conn)?;
    Ok(())
}

/// Moves a trajectory to `to`, keeping who and when.
pub fn set_status(
    conn: &mut Db,
    t: &Trajectory,
    to: Status,
    reason: Option<StopReason>,
    note: Option<&str>,
    actor: &str,
    zone: chrono_tz::Tz,
) -> Result<(), AppError> {
    // Only from the status the caller's checks saw: a change that lost a race is refused, not
    // written over the one that won (a stop by a withdrawn consent, say).
    let moved = reuse::update(
        trajectories::table,
        (
            trajectories::status.eq(to.as_str()),
            trajectories::stop_reason.eq(reason.map(|r| r.as_str())),
            trajectories::stop_note.eq(note),
            trajectories::updated_at.eq(now()),
        ),
        trajectories::id.eq(&t.id).and(trajectories::status.eq(&t.status)),
    )
    .execute(conn)?;
    if moved == 0 {
        return Err(AppError::Conflict(
            "Dit traject is net door iemand anders gewijzigd. Laad het opnieuw en probeer het nog eens.".into(),
        ));
    }
    // One moment for the change and what it calls off: taking a relapse back finds the check-ins
    // it called off by it.
    let at = now();
    record_event(conn, &t.id, Status::parse(&t.status), to, reason, note, actor, at)?;
    // Begun with the method consent already; this covers consent recorded before rounds were kept.
    if Status::parse(&t.status) == Some(Status::Proposed) && to == Status::Active {
        crate::courses::rounds::begin(conn, t)?;
    }
    if Status::parse(&t.status).is_some_and(|from| from.relapses_to(to)) {
        crate::aftercare::call_off(conn, &t.id, crate::aftercare::RELAPSE_REASON, actor, at)?;
    }
    if ENDED.contains(&to.as_str()) {
        super::wind_down::wind_down(conn, t, to, actor, zone)?;
    }
    Ok(())
}

/// Takes back the trajectory's latest status change when it moved `from` → `to` at `since` or
/// later (a change recorded with something now withdrawn as a mistake: a return to work): the
/// change leaves the history, as if never made, and the status is `from` again. `false` when the
/// latest change is another (nothing is changed then).
pub fn take_back_change(
    conn: &mut Db,
    t: &Trajectory,
    from: Status,
    to: Status,
    since: NaiveDateTime,
) -> Result<bool, AppError> {
    let latest: Option<TrajectoryEvent> = trajectory_events::table
        .filter(trajectory_events::trajectory_id.eq(&t.id))
        .order((trajectory_events::at.desc(), trajectory_events::id.desc()))
        .select(TrajectoryEvent::as_select())
        .first(conn)
        .optional()?;
    let Some(event) = latest
        .filter(|e| e.from_status.as_deref() == Some(from.as_str()) && e.to_status == to.as_str() && e.at >= since)
    else {
        return Ok(false);
    };
    let moved = reuse::update(
        trajectories::table,
        (trajectories::status.eq(from.as_str()), trajectories::updated_at.eq(now())),
        trajectories::id.eq(&t.id).and(trajectories::status.eq(to.as_str())),
    )
    .execute(conn)?;
    if moved == 0 {
        return Ok(false);
    }
    diesel::delete(trajectory_events::table.find(&event.id)).execute(conn)?;
    Ok(true)
}

/// Sets right the reason or note of a stop (either may be left as it is): on the trajectory, and
/// in the stop's event of its history, so that the two say the same. Not a stop that a withdrawn
/// method consent made (409).
pub fn correct_stop(
    conn: &mut Db,
    t: &Trajectory,
    reason: Option<StopReason>,
    note: Option<&str>,
) -> Result<(), AppError> {
    // A stop made by a withdrawn method consent says why in the person's own word: it stays.
    let withdrawn = !t.method_consent
        && t.stop_reason.as_deref() == Some(StopReason::PrivacyResearch.as_str())
        && diesel::select(diesel::dsl::exists(
            consents::table
                .filter(consents::trajectory_id.eq(&t.id))
                .filter(consents::kind.eq("method"))
                .filter(consents::given.eq(false)),
        ))
        .get_result::<bool>(conn)?;
    if withdrawn {
        return Err(AppError::Conflict(
            "Dit traject stopte doordat de toestemming voor de methode is ingetrokken. Die reden blijft staan.".into(),
        ));
    }
    let reason = reason.map(|r| r.as_str().to_string()).or_else(|| t.stop_reason.clone());
    let note = match note {
        Some(n) => Some(n.trim()).filter(|n| !n.is_empty()).map(str::to_string),
        None => t.stop_note.clone(),
    };
    let changed = reuse::update(
        trajectories::table,
        (trajectories::stop_reason.eq(&reason), trajectories::stop_note.eq(&note), trajectories::updated_at.eq(now())),
        trajectories::id.eq(&t.id).and(trajectories::status.eq(Status::Stopped.as_str())),
    )
    .execute(conn)?;
    if changed == 0 {
        return Err(AppError::Conflict(
            "Dit traject is net door iemand anders gewijzigd. Laad het opnieuw en probeer het nog eens.".into(),
        ));
    }
    let stop: Option<String> = trajectory_events::table
        .filter(trajectory_events::trajectory_id.eq(&t.id))
        .filter(trajectory_events::to_status.eq(Status::Stopped.as_str()))
        .order((trajectory_events::at.desc(), trajectory_events::id.desc()))
        .select(trajectory_events::id)
        .first(conn)
        .optional()?;
    if let Some(event) = stop {
        reuse::update(
            trajectory_events::table,
            (trajectory_events::reason.eq(&reason), trajectory_events::note.eq(&note)),
            trajectory_events::id.eq(event),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Takes back a relapse recorded by mistake, while it is the trajectory's latest change of status
/// (a return after it would have been one): the trajectory goes back to the status it left, the
/// relapse leaves its history (the caller puts it in the audit log), and the check-ins it called
/// off are due again, planned from the round's return as it stands now. The relapse taken back;
/// `None` when there is none to take back.
pub fn undo_relapse(conn: &mut Db, t: &Trajectory, today: NaiveDate) -> Result<Option<TrajectoryEvent>, AppError> {
    let last: Option<TrajectoryEvent> = trajectory_events::table
        .filter(trajectory_events::trajectory_id.eq(&t.id))
        .order((trajectory_events::at.desc(), trajectory_events::id.desc()))
        .select(TrajectoryEvent::as_select())
        .first(conn)
        .optional()?;
    let relapse_from = |e: &TrajectoryEvent| {
        let from = e.from_status.as_deref().and_then(Status::parse)?;
        (from.relapses_to(Status::Active) && e.to_status == Status::Active.as_str() && t.status == e.to_status)
            .then_some(from)
    };
    let Some((relapse, to)) = last.and_then(|e| relapse_from(&e).map(|to| (e, to))) else {
        return Ok(None);
    };
    let moved = reuse::update(
        trajectories::table,
        (trajectories::status.eq(to.as_str()), trajectories::updated_at.eq(now())),
        trajectories::id.eq(&t.id).and(trajectories::status.eq(&t.status)),
    )
    .execute(conn)?;
    if moved == 0 {
        return Err(AppError::Conflict(
            "Dit traject is net door iemand anders gewijzigd. Laad het opnieuw en probeer het nog eens.".into(),
        ));
    }
    diesel::delete(trajectory_events::table.find(&relapse.id)).execute(conn)?;
    crate::aftercare::undo_call_off(conn, &t.id, relapse.at)?;
    // The round's return may have been corrected meanwhile.
    crate::aftercare::routes::replan_round(conn, &t.id, today)?;
    Ok(Some(relapse))
}

/// Which rows a list is about: the indexed part of its `WHERE`.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// One trajectory (its own answer after a read or a change).
    Trajectory(&'a str),
    Coach(&'a str),
    Organization(&'a str),
    Employee(&'a str),
}

pub struct ListQuery<'a> {
    pub scope: Scope<'a>,
    /// Further filters within the scope; `None` lets every row through.
    pub coach: Option<&'a str>,
    pub cohort: Option<&'a str>,
    pub status: Option<Status>,
    /// Only rows after this id (the cursor of the page before).
    pub after: Option<&'a str>,
    /// At most this many rows and one more (which tells that there is a next page); `None`: all.
    pub limit: Option<i64>,
}

impl<'a> ListQuery<'a> {
    pub fn new(scope: Scope<'a>) -> Self {
        ListQuery { scope, coach: None, cohort: None, status: None, after: None, limit: None }
    }
}

/// A first and a last name, from one of the two joins on `users`.
type Names = (String, Option<String>);

/// A row of a list: the trajectory (with its consent state), the employee's and the coach's names.
pub type ListRow = (Trajectory, Names, Names);

/// A page of trajectories in one statement: the names come with each row through joins, the
/// consent state is a column of the trajectory. Three statements (the page, then the names and the
/// consents of its rows) cost two more round trips on PostgreSQL and two more statements on SQLite.
///
/// One fixed statement per scope, not a boxed query with the filters that are present: diesel
/// finds a boxed query's prepared statement by its SQL text, which it wrote out on every request.
/// Here the scope's column picks an index, and each further filter is `(? IS NULL OR column = ?)`:
/// true when the filter is absent. With the backend's own connection (below): 0.86x instructions
/// for a coach's list (callgrind).
pub fn list(conn: &mut Db, q: ListQuery<'_>) -> Result<Vec<ListRow>, AppError> {
    let mut rows = Vec::new();
    each(conn, q, |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok(rows)
}

/// [`list`], handing each row to `f` as it is read, with no vector of rows in between (a coach's
/// page of rows was allocated, grown and copied, then moved into a vector of answers).
pub fn each(
    conn: &mut Db,
    q: ListQuery<'_>,
    mut f: impl FnMut(ListRow) -> Result<(), AppError>,
) -> Result<(), AppError> {
    use diesel::connection::DefaultLoadingMode;
    use diesel::sql_types::{Nullable, Text};
    let (employee, coach) = diesel::alias!(users as employee, users as coach);
    let status = q.status.map(Status::as_str);
    // Every id sorts after the empty text; `i64::MAX` rows is all of them.
    let after = q.after.unwrap_or("");
    let limit = q.limit.map_or(i64::MAX, |l| l + 1);
    macro_rules! optional {
        ($column:expr, $value:expr) => {
            $value.into_sql::<Nullable<Text>>().is_null().or($column.nullable().eq($value))
        };
    }
    macro_rules! query {
        ($scope:expr) => {
            trajectories::table
                .inner_join(employee.on(employee.field(users::id).eq(trajectories::employee_id)))
                .inner_join(coach.on(coach.field(users::id).eq(trajectories::coach_id)))
                .filter($scope)
                // An erased person's trajectories count in exports only (see `in_scope`).
                .filter(employee.field(users::erased_at).is_null())
                .filter(optional!(trajectories::coach_id, q.coach))
                .filter(optional!(trajectories::cohort_id, q.cohort))
                .filter(optional!(trajectories::status, status))
                .filter(trajectories::id.gt(after))
                .select((
                    Trajectory::as_select(),
                    employee.fields((users::first_name, users::last_name)),
                    coach.fields((users::first_name, users::last_name)),
                ))
                .order(trajectories::id)
                .limit(limit)
        };
    }
    // On the backend's own connection (see `db::on_backend`).
    macro_rules! load {
        ($scope:expr) => {
            on_backend!(conn, c => {
                for row in query!($scope).load_iter::<ListRow, DefaultLoadingMode>(c)? {
                    f(row?)?;
                }
                Ok(())
            })
        };
    }
    match q.scope {
        Scope::Trajectory(id) => load!(trajectories::id.eq(id)),
        Scope::Coach(id) => load!(trajectories::coach_id.eq(id)),
        Scope::Organization(id) => load!(trajectories::organization_id.eq(id)),
        Scope::Employee(id) => load!(trajectories::employee_id.eq(id)),
    }
}

/// The answers for a page of [`list`]; no further query.
pub fn render_list(rows: Vec<ListRow>) -> Result<Vec<TrajectoryOut>, AppError> {
    rows.into_iter().map(render).collect()
}

/// The answer for one row of [`list`] (without its history).
pub fn render((t, (ef, el), (cf, cl)): ListRow) -> Result<TrajectoryOut, AppError> {
    let employee = PersonRef { id: t.employee_id.clone(), first_name: ef, last_name: el };
    let coach = PersonRef { id: t.coach_id.clone(), first_name: cf, last_name: cl };
    let consent = ConsentState { method: t.method_consent, research: t.research_consent };
    answer(t, employee, coach, consent, None)
}

pub fn consents_of(conn: &mut Db, trajectory_ids: &[String]) -> Result<Vec<Consent>, AppError> {
    Ok(consents::table
        .filter(one_of(consents::trajectory_id, trajectory_ids))
        .order((consents::recorded_at, consents::id))
        .select(Consent::as_select())
        .load(conn)?)
}

/// The latest record of each kind decides; no record means not given.
pub fn consent_state(records: &[&Consent]) -> ConsentState {
    let latest = |kind: ConsentKind| {
        records
            .iter()
            .filter(|c| c.kind == kind.as_str())
            .max_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)))
            .is_some_and(|c| c.given)
    };
    ConsentState { method: latest(ConsentKind::Method), research: latest(ConsentKind::Research) }
}

/// Adds a consent record and brings the trajectory's consent state up to date, in the caller's
/// transaction. The state is computed from the records (the latest of each kind decides), not
/// taken from this record: one recorded by a server whose clock runs behind does not overrule a
/// later one.
pub fn insert_consent(conn: &mut Db, c: &Consent) -> Result<(), AppError> {
    diesel::insert_into(consents::table).values(c).execute(conn)?;
    refresh_consent_state(conn, &c.trajectory_id)
}

/// Sets the trajectory's consent columns from its records, in one cached statement.
pub(crate) fn refresh_consent_state(conn: &mut Db, trajectory_id: &str) -> Result<(), AppError> {
    reuse::update(
        trajectories::table,
        (
            trajectories::method_consent.eq(LatestConsent::<Method>::default()),
            trajectories::research_consent.eq(LatestConsent::<Research>::default()),
        ),
        trajectories::id.eq(trajectory_id),
    )
    .execute(conn)?;
    Ok(())
}

/// Trajectories with their status history (one trajectory, or all of an employee's for inzage):
/// the list's one statement, then each history.
pub fn with_history(conn: &mut Db, q: ListQuery<'_>) -> Result<Vec<TrajectoryOut>, AppError> {
    let mut out = render_list(list(conn, q)?)?;
    for t in &mut out {
        t.history = Some(history(conn, &t.id)?);
    }
    Ok(out)
}

fn answer(
    t: Trajectory,
    employee: PersonRef,
    coach: PersonRef,
    consent: ConsentState,
    history: Option<Vec<EventOut>>,
) -> Result<TrajectoryOut, AppError> {
    let answers = super::stored_answers::parse(&t.inclusion_answers)
        .map_err(|e| AppError::internal(format!("inclusion answers of {}: {e}", t.id)))?;
    Ok(TrajectoryOut {
        employee,
        coach,
        status: Status::parse(&t.status).unwrap_or(Status::Proposed),
        stop_reason: t.stop_reason.as_deref().and_then(StopReason::parse),
        inclusion: InclusionOut {
            unmet_criteria: super::api::InclusionAnswers::unmet(&answers),
            answers,
            advice: if t.inclusion_advice == "include" { Advice::Include } else { Advice::Exclude },
            override_reason: t.inclusion_override_reason,
            absence_records: None,
        },
        recruitment_minutes: t.recruitment_minutes,
        consent,
        history,
        id: t.id,
        organization_id: t.organization_id,
        cohort_id: t.cohort_id,
        stop_note: t.stop_note,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

/// Puts the absence records beside the trajectory's inclusion answers, as of the organisations'
/// date it was proposed on (`zone`). The caller has decided that they may be read.
pub fn add_absence_records(conn: &mut Db, t: &mut TrajectoryOut, zone: chrono_tz::Tz) -> Result<(), AppError> {
    let as_of = crate::local_time::date_of(zone, t.created_at);
    let records = crate::absences::inclusion::of_employee(conn, &t.employee.id, as_of)?;
    t.inclusion.absence_records = Some(super::api::AbsenceRecords::new(as_of, records, &t.inclusion.answers));
    Ok(())
}

pub fn history(conn: &mut Db, trajectory_id: &str) -> Result<Vec<EventOut>, AppError> {
    let events: Vec<TrajectoryEvent> = trajectory_events::table
        .filter(trajectory_events::trajectory_id.eq(trajectory_id))
        .order((trajectory_events::at, trajectory_events::id))
        .select(TrajectoryEvent::as_select())
        .load(conn)?;
    Ok(events
        .into_iter()
        .map(|e| EventOut {
            from_status: e.from_status.as_deref().and_then(Status::parse),
            to_status: Status::parse(&e.to_status).unwrap_or(Status::Proposed),
            reason: e.reason.as_deref().and_then(StopReason::parse),
            note: e.note,
            actor_id: e.actor_id,
            at: e.at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{list, refresh_consent_state, ListQuery, Scope};
    use crate::db::cache_probe::cached_statements;

    /// A page of the list is one statement, prepared once and then taken from the cache (see
    /// `list`: a boxed query was written out and looked up by its text on every request).
    #[test]
    fn the_list_statement_is_cached() {
        let cached = cached_statements(|conn| {
            let q = ListQuery { limit: Some(50), ..ListQuery::new(Scope::Coach("c")) };
            assert!(list(conn, q).unwrap().is_empty());
        });
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert!(cached[0].contains("method_consent"), "{}", cached[0]);
    }

    /// The update of the consent state is one statement, prepared once and then taken from the
    /// cache: the reason `LatestConsent` is an expression of its own instead of a SQL literal.
    #[test]
    fn the_consent_state_update_is_cached() {
        let cached = cached_statements(|conn| refresh_consent_state(conn, "t").unwrap());
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert!(cached[0].contains("c.kind = 'research'"), "{}", cached[0]);
    }
}
