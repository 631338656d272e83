//! Group sessions: plan, invite (by email through the outbox), keep attendance; and the list of
//! employees who asked for a group talk about a course.

use std::collections::BTreeMap;

use actix_web::{get, patch, post, put, web, HttpResponse};
use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::api::{
    Attendance, AttendanceIn, CreateSession, InterestList, InterestQuery, Interested, Invitee, SessionOut,
    UpdateSession,
};
use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
use crate::db::reuse;
use crate::db::schema::{course_progress, group_invitations, group_sessions, trajectories, users};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, moment_key, Page, PageQuery};
use crate::http::query::Query;
use crate::mail::outbox::{self, Mail};
use crate::policy::{Caller, Role};
use crate::privacy::audit::AuditEntry;
use crate::trajectories::model::ENDED;
use crate::AppState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_sessions)]
struct SessionRow {
    id: String,
    organization_id: String,
    facilitator_id: String,
    starts_at: NaiveDateTime,
    place: Option<String>,
    video_link: Option<String>,
    topic: String,
    notes: Option<String>,
    cancelled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

const DAYS: [&str; 7] = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"];
const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// "dinsdag 3 december om 10:00" (chrono's locales are behind an unstable feature).
pub fn dutch_when(t: NaiveDateTime) -> String {
    format!(
        "{} {} {} om {:02}:{:02}",
        DAYS[t.weekday().num_days_from_monday() as usize],
        t.day(),
        MONTHS[t.month0() as usize],
        t.hour(),
        t.minute()
    )
}

fn attendance_text(a: Attendance) -> &'static str {
    match a {
        Attendance::Present => "present",
        Attendance::AbsentWithNotice => "absent_with_notice",
        Attendance::Absent => "absent",
    }
}

fn parse_attendance(s: &str) -> Option<Attendance> {
    [Attendance::Present, Attendance::AbsentWithNotice, Attendance::Absent]
        .into_iter()
        .find(|a| attendance_text(*a) == s)
}

/// Facilitator and project leaders of the organisation run a session; invited employees see it.
enum View {
    Staff,
    Invited(String),
}

fn load(c: &mut DbConnection, caller: &Caller, id: &str) -> Result<(SessionRow, View), AppError> {
    load_row(c, caller, id, false)
}

/// As [`load`], for a change: on PostgreSQL the row is locked, so that two changes take turns
/// (a cancel clicked twice tells the invitees once; an invitation never follows a cancel).
fn load_for_change(c: &mut DbConnection, caller: &Caller, id: &str) -> Result<(SessionRow, View), AppError> {
    load_row(c, caller, id, true)
}

fn load_row(c: &mut DbConnection, caller: &Caller, id: &str, lock: bool) -> Result<(SessionRow, View), AppError> {
    let one = group_sessions::table.find(id);
    let row: Option<SessionRow> = match c {
        DbConnection::Pg(pg) if lock => one.select(SessionRow::as_select()).for_update().first(pg).optional()?,
        _ => one.select(SessionRow::as_select()).first(c).optional()?,
    };
    let row = row.ok_or(AppError::NotFound)?;
    let view = match caller.role {
        Role::Coach if row.facilitator_id == caller.user_id => View::Staff,
        Role::ProjectLeader if caller.in_org(&row.organization_id) => View::Staff,
        Role::Employee => {
            let invited: i64 = group_invitations::table
                .filter(group_invitations::session_id.eq(&row.id))
                .filter(group_invitations::employee_id.eq(&caller.user_id))
                .count()
                .get_result(c)?;
            if invited == 0 {
                return Err(AppError::NotFound);
            }
            View::Invited(caller.user_id.clone())
        }
        _ => return Err(AppError::NotFound),
    };
    Ok((row, view))
}

/// A session as `view` shows it, with the entry naming every invitee it shows: a read or a change
/// of a session (an invitation, attendance) is in each invitee's inzage.
fn render_shown(
    c: &mut DbConnection,
    row: SessionRow,
    view: &View,
    audit: &mut AuditEntry,
) -> Result<SessionOut, AppError> {
    let session = render(c, row, view)?;
    session.invitees.iter().for_each(|i| audit.shows(&i.employee_id));
    Ok(session)
}

fn render(c: &mut DbConnection, row: SessionRow, view: &View) -> Result<SessionOut, AppError> {
    Ok(render_all(c, vec![row], view)?.remove(0))
}

/// Renders sessions with two queries in all (invitations with names, facilitators), not two per session.
fn render_all(c: &mut DbConnection, rows: Vec<SessionRow>, view: &View) -> Result<Vec<SessionOut>, AppError> {
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let all: Vec<(String, String, Option<String>, String)> = group_invitations::table
        .inner_join(users::table.on(users::id.eq(group_invitations::employee_id)))
        .filter(one_of(group_invitations::session_id, &ids))
        .order(users::first_name)
        .select((
            group_invitations::session_id,
            group_invitations::employee_id,
            group_invitations::attendance,
            users::first_name,
        ))
        .load(c)?;
    let facilitator_ids: Vec<&String> = rows.iter().map(|r| &r.facilitator_id).collect();
    let facilitators: std::collections::HashMap<String, String> = users::table
        .filter(one_of(users::id, &facilitator_ids))
        .select((users::id, users::first_name))
        .load(c)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine: Vec<&(String, String, Option<String>, String)> = all.iter().filter(|i| i.0 == row.id).collect();
            let invited_count = mine.len();
            let (notes, shown): (Option<String>, Vec<_>) = match view {
                View::Staff => (row.notes, mine),
                View::Invited(me) => (None, mine.into_iter().filter(|i| &i.1 == me).collect()),
            };
            SessionOut {
                facilitator_first_name: facilitators.get(&row.facilitator_id).cloned().unwrap_or_default(),
                invitees: shown
                    .into_iter()
                    .map(|(_, employee_id, a, first_name)| Invitee {
                        employee_id: employee_id.clone(),
                        first_name: first_name.clone(),
                        attendance: a.as_deref().and_then(parse_attendance),
                    })
                    .collect(),
                invited_count,
                notes,
                id: row.id,
                organization_id: row.organization_id,
                facilitator_id: row.facilitator_id,
                starts_at: row.starts_at,
                place: row.place,
                video_link: row.video_link,
                topic: row.topic,
                cancelled: row.cancelled,
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

/// Adds invitations and queues one email each: employees of the organisation with a running
/// trajectory and method consent only (a group session is part of the method).
fn invite(
    c: &mut DbConnection,
    st: &AppState,
    row: &SessionRow,
    facilitator: &User,
    employee_ids: &[String],
) -> Result<(), AppError> {
    for id in employee_ids {
        let employee = match accounts::find_user_held(c, id) {
            Ok(u) if u.role() == Role::Employee && u.organization_id.as_deref() == Some(&row.organization_id) => u,
            Ok(_) | Err(AppError::NotFound) => {
                return Err(AppError::field("invite", "Nodig alleen medewerkers van je eigen organisatie uit."))
            }
            Err(e) => return Err(e),
        };
        if !crate::trajectories::queries::open_of_employee_held(c, id)?.is_some_and(|t| t.method_consent) {
            return Err(AppError::field(
                "invite",
                &format!(
                    "{} heeft geen lopend traject met toestemming voor de methode. Nodig alleen medewerkers uit die met Wilkan bezig zijn.",
                    employee.first_name
                ),
            ));
        }
        let already: i64 = group_invitations::table
            .filter(group_invitations::session_id.eq(&row.id))
            .filter(group_invitations::employee_id.eq(id))
            .count()
            .get_result(c)?;
        if already > 0 {
            continue;
        }
        diesel::insert_into(group_invitations::table)
            .values((
                group_invitations::session_id.eq(&row.id),
                group_invitations::employee_id.eq(id),
                group_invitations::invited_at.eq(now()),
            ))
            .execute(c)?;
        tell(c, st, row, &employee, Word::Invitation(facilitator))?;
    }
    Ok(())
}

/// What a mail about a session says.
enum Word<'a> {
    /// You are invited (led by this facilitator).
    Invitation(&'a User),
    /// It changed (led by this facilitator; this is how it was).
    Changed(&'a User, &'a SessionRow),
    /// It does not go ahead.
    Cancelled,
}

/// Queues one mail about `row` to `employee`: its topic and time, and for an invitation or a
/// change its place and who leads it. Mail about a session is no use once it has begun, so it is
/// not sent after that (a mail server away for a day).
fn tell(
    c: &mut DbConnection,
    st: &AppState,
    row: &SessionRow,
    employee: &User,
    word: Word<'_>,
) -> Result<(), AppError> {
    let org = accounts::find_organization(c, &row.organization_id)?;
    // Both where to come and the link to join by: a session may have either or both, and a
    // change of link alone is a change the invitee must see.
    let place = |r: &SessionRow| match (&r.place, &r.video_link) {
        (Some(place), Some(link)) => format!("{place}, of online via {link}"),
        (Some(place), None) => place.clone(),
        (None, Some(link)) => format!("online via {link}"),
        (None, None) => "online".into(),
    };
    let mut vars = BTreeMap::from([
        ("first_name", employee.first_name.clone()),
        ("organization", org.name),
        ("topic", topic_title(st, &row.topic)),
        ("when", dutch_when(row.starts_at)),
    ]);
    let (template, about) = match word {
        Word::Invitation(facilitator) => {
            vars.insert("place", place(row));
            vars.insert("facilitator", facilitator.first_name.clone());
            ("group-invitation", format!("group:{}", row.id))
        }
        Word::Changed(facilitator, was) => {
            vars.insert("place", place(row));
            vars.insert("facilitator", facilitator.first_name.clone());
            let topic = (was.topic != row.topic).then(|| format!("{}, ", topic_title(st, &was.topic)));
            vars.insert("was", format!("{}{}, {}", topic.unwrap_or_default(), dutch_when(was.starts_at), place(was)));
            ("group-changed", format!("group-changed:{}", row.id))
        }
        Word::Cancelled => ("group-cancelled", format!("group-cancelled:{}", row.id)),
    };
    let mail = Mail {
        template,
        to: &employee.email,
        vars,
        about: Some(about),
        not_before: None,
        send_before: Some(crate::local_time::to_utc(st.config.time_zone, row.starts_at)),
    };
    outbox::queue(c, &st.templates, mail)?;
    Ok(())
}

fn called_off() -> AppError {
    AppError::Conflict("Deze bijeenkomst gaat niet door. Plan zo nodig een nieuwe.".into())
}

/// A session called off: invitations still waiting in the outbox are not sent, and whoever may
/// have had one gets word that it does not go ahead.
fn call_off(c: &mut DbConnection, st: &AppState, row: &SessionRow) -> Result<(), AppError> {
    let Invitees { told, .. } = take_back_unsent(c, row)?;
    for employee in told {
        tell(c, st, row, &employee, Word::Cancelled)?;
    }
    Ok(())
}

/// A session moved (time, place, link or topic): whoever was told of it before gets word of the
/// change; an invitation that had not gone out yet goes out again with the new details instead.
/// Moved to a time to come, it loses those no longer in the method, as a stop takes back their
/// invitations to sessions still to come (a session that had begun kept them). Moved to another
/// time still to come, notices of absence for the old one are cleared.
fn reschedule(c: &mut DbConnection, st: &AppState, row: &SessionRow, was: &SessionRow) -> Result<(), AppError> {
    let Invitees { waiting, told, left } = take_back_unsent(c, row)?;
    if !left.is_empty() && row.starts_at > crate::local_time::now(st.config.time_zone) {
        let not_there =
            group_invitations::attendance.is_null().or(group_invitations::attendance.eq("absent_with_notice"));
        diesel::delete(
            group_invitations::table
                .filter(group_invitations::session_id.eq(&row.id))
                .filter(one_of(group_invitations::employee_id, &left))
                .filter(not_there),
        )
        .execute(c)?;
    }
    // A notice of absence was for the old time: at the new one the person may well come, and
    // the mail about the change asks them to say so again if not.
    if row.starts_at != was.starts_at && row.starts_at > crate::local_time::now(st.config.time_zone) {
        reuse::update(
            group_invitations::table,
            group_invitations::attendance.eq(None::<String>),
            group_invitations::session_id.eq(&row.id).and(group_invitations::attendance.eq("absent_with_notice")),
        )
        .execute(c)?;
    }
    let facilitator = accounts::find_user(c, &row.facilitator_id)?;
    for employee in waiting {
        tell(c, st, row, &employee, Word::Invitation(&facilitator))?;
    }
    for employee in told {
        tell(c, st, row, &employee, Word::Changed(&facilitator, was))?;
    }
    Ok(())
}

/// A session's invitees, as [`take_back_unsent`] finds them.
struct Invitees {
    /// In the method, their invitation not delivered (still waiting in the outbox, or given up).
    waiting: Vec<User>,
    /// In the method, and may have had their invitation.
    told: Vec<User>,
    /// No longer in the method (no running trajectory with method consent): they hear no more.
    left: Vec<String>,
}

/// Stops the mail about `row` still waiting in the outbox (invitations and word of an earlier
/// change), and splits the invitees.
fn take_back_unsent(c: &mut DbConnection, row: &SessionRow) -> Result<Invitees, AppError> {
    use crate::db::schema::outbox as outbox_table;
    let about = format!("group:{}", row.id);
    let invitees: Vec<String> = group_invitations::table
        .filter(group_invitations::session_id.eq(&row.id))
        .order(group_invitations::employee_id)
        .select(group_invitations::employee_id)
        .load(c)?;
    // Each person and then their trajectory held (PostgreSQL), before any mail: in the order an
    // erasure takes them, and the trajectory before its invitation's mail as a stop takes them. A
    // stop committing meanwhile is waited for, and then found. In the method: a trajectory that
    // runs with method consent, as for an invitation.
    let mut in_method = Vec::new();
    let mut left = Vec::new();
    for id in invitees {
        let employee = accounts::find_user_held(c, &id)?;
        match crate::trajectories::queries::open_of_employee_held(c, &id)? {
            Some(t) if t.method_consent => in_method.push(employee),
            _ => left.push(id),
        }
    }
    // The invitations no worker has taken (waiting, or given up: neither reached the invitee),
    // held (PostgreSQL) so that none is taken now: one a worker is sending is on its way, so its
    // invitee counts as told and hears of the change (the cancel below stops it from being tried
    // again with the old details, should it fail).
    let queued = outbox_table::table
        .filter(outbox_table::subject_ref.eq(&about))
        .filter(outbox_table::template.eq("group-invitation"))
        .filter(outbox_table::status.eq_any(outbox::NOT_TAKEN))
        .select((outbox_table::recipient_id, outbox_table::to_address));
    let unsent: Vec<(Option<String>, String)> = match c {
        DbConnection::Pg(pg) => queued.for_update().load(pg)?,
        DbConnection::Sqlite(_) => queued.load(c)?,
    };
    // Whose it is: by account (the address may have changed since), else (mail queued before
    // the account was kept) by address.
    let undelivered = |employee: &User| {
        unsent.iter().any(|(recipient, address)| match recipient {
            Some(id) => *id == employee.id,
            None => *address == employee.email,
        })
    };
    outbox::cancel(c, &about)?;
    outbox::cancel(c, &format!("group-changed:{}", row.id))?;
    let mut split = Invitees { waiting: Vec::new(), told: Vec::new(), left };
    for employee in in_method {
        if undelivered(&employee) {
            split.waiting.push(employee);
        } else {
            split.told.push(employee);
        }
    }
    Ok(split)
}

fn topic_title(state: &AppState, topic: &str) -> String {
    state.content.get(topic).map_or_else(|| topic.to_string(), |c| c.title.clone())
}

/// Sessions: a coach those they facilitate, a project leader the organisation's, an employee
/// those they are invited to. Newest first.
#[utoipa::path(tag = "groups", params(PageQuery), responses((status = 200, body = Page<SessionOut>)), security(("bearer" = [])))]
#[get("/group-sessions")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader, Role::Employee])?;
    let (limit, after) = page.keyset::<NaiveDateTime>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let mut q = group_sessions::table
            .order((group_sessions::starts_at.desc(), group_sessions::id.desc()))
            .limit(limit + 1)
            .select(SessionRow::as_select())
            .into_boxed();
        q = after_key!(q, (group_sessions::starts_at, group_sessions::id) < after);
        q = match caller.role {
            Role::Coach => q.filter(group_sessions::facilitator_id.eq(caller.user_id.clone())),
            Role::ProjectLeader => {
                q.filter(group_sessions::organization_id.eq(caller.organization_id.clone().unwrap_or_default()))
            }
            _ => q.filter(
                group_sessions::id.eq_any(
                    group_invitations::table
                        .filter(group_invitations::employee_id.eq(caller.user_id.clone()))
                        .select(group_invitations::session_id),
                ),
            ),
        };
        let rows = Page::from_rows(q.load::<SessionRow>(c)?, limit, |s| key_cursor(&moment_key(&s.starts_at), &s.id));
        let view = if caller.is(Role::Employee) { View::Invited(caller.user_id.clone()) } else { View::Staff };
        let items = render_all(c, rows.items, &view)?;
        items.iter().flat_map(|s| &s.invitees).for_each(|i| audit.shows(&i.employee_id));
        Ok(Page { items, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Plan a session and invite employees (each gets an email). Coaches (as facilitator) and project
/// leaders (naming the facilitator).
#[utoipa::path(tag = "groups", request_body = CreateSession, responses((status = 201, body = SessionOut)), security(("bearer" = [])))]
#[post("/group-sessions")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreateSession>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader])?;
    let input = body.0;
    let org = caller.organization_id.clone().ok_or(AppError::Forbidden)?;
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let facilitator_id = match (caller.role, input.facilitator_id) {
            (Role::Coach, None) => caller.user_id.clone(),
            (Role::Coach, Some(id)) if id == caller.user_id => id,
            (Role::Coach, Some(_)) => return Err(AppError::Forbidden),
            (_, Some(id)) => id,
            (_, None) => return Err(AppError::field("facilitator_id", "Kies de coach die het gesprek leidt.")),
        };
        let facilitator = match accounts::find_user(c, &facilitator_id) {
            Ok(u) if u.role() == Role::Coach && u.organization_id.as_deref() == Some(&org) => u,
            Ok(_) | Err(AppError::NotFound) => {
                return Err(AppError::field("facilitator_id", "Deze coach bestaat niet in jouw organisatie."))
            }
            Err(e) => return Err(e),
        };
        let t = now();
        let row = SessionRow {
            id: new_id(),
            organization_id: org,
            facilitator_id,
            starts_at: input.starts_at,
            place: input.place.filter(|p| !p.trim().is_empty()),
            video_link: input.video_link,
            topic: input.topic,
            notes: None,
            cancelled: false,
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(group_sessions::table).values(&row).execute(c)?;
        invite(c, &st, &row, &facilitator, &input.invite)?;
        render_shown(c, row, &View::Staff, audit)
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// One session: the facilitator and project leaders see everything; an invited employee the
/// time, place, topic and their own invitation.
#[utoipa::path(tag = "groups", params(("id" = String, Path)), responses((status = 200, body = SessionOut)), security(("bearer" = [])))]
#[get("/group-sessions/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (row, view) = load(c, &caller, &id)?;
        render_shown(c, row, &view, audit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Change a session, write notes, cancel it, or invite more employees. Facilitator and project leaders.
/// Cancelling stops invitations not yet mailed and tells the others by mail; a cancelled session
/// takes notes only (409 for invitations, attendance, a new time, place, link or topic, or taking
/// it back). A new time, place, link or topic tells those invited who are still in the method by
/// mail, and an invitation not yet mailed goes out with the change; moved to a time to come, the
/// session loses the invitations of those no longer in the method.
#[utoipa::path(tag = "groups", params(("id" = String, Path)), request_body = UpdateSession, responses((status = 200, body = SessionOut)), security(("bearer" = [])))]
#[patch("/group-sessions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<UpdateSession>,
) -> Result<HttpResponse, AppError> {
    let u = body.0;
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (row, view) = load_for_change(c, &caller, &id)?;
        if !matches!(view, View::Staff) {
            return Err(AppError::Forbidden);
        }
        let cancelled = u.cancelled.unwrap_or(row.cancelled);
        if (row.cancelled && !cancelled) || (cancelled && !u.invite.is_empty()) {
            return Err(called_off());
        }
        // Called off (now or before), it takes notes only: a new time or place would tell nobody
        // (no mail goes about a session that does not go ahead) and read as planned to whoever
        // opens it. The same values sent again (a form saved with new notes) change nothing.
        let moved = u.starts_at.is_some_and(|at| at != row.starts_at)
            || u.place.as_ref().is_some_and(|p| row.place.as_ref() != Some(p))
            || u.video_link.as_ref().is_some_and(|l| row.video_link.as_ref() != Some(l))
            || u.topic.as_ref().is_some_and(|t| *t != row.topic);
        if cancelled && moved {
            return Err(called_off());
        }
        // Who came is recorded from the session's day (see `attendance`): a session moved to a
        // later day with that already recorded would say people came to what has not happened.
        if u.starts_at.is_some_and(|at| at.date() > crate::local_time::today(st.config.time_zone)) {
            let recorded: i64 = group_invitations::table
                .filter(group_invitations::session_id.eq(&row.id))
                .filter(one_of(group_invitations::attendance.assume_not_null(), ["present", "absent"]))
                .count()
                .get_result(c)?;
            if recorded > 0 {
                return Err(AppError::Conflict(
                    "Bij dit groepsgesprek staat al wie er was. Plan een nieuw gesprek in plaats van dit te verzetten."
                        .into(),
                ));
            }
        }
        reuse::update(
            group_sessions::table,
            (
                group_sessions::starts_at.eq(u.starts_at.unwrap_or(row.starts_at)),
                group_sessions::place.eq(u.place.or(row.place.clone())),
                group_sessions::video_link.eq(u.video_link.or(row.video_link.clone())),
                group_sessions::topic.eq(u.topic.unwrap_or(row.topic.clone())),
                group_sessions::notes.eq(u.notes.or(row.notes.clone())),
                group_sessions::cancelled.eq(u.cancelled.unwrap_or(row.cancelled)),
                group_sessions::updated_at.eq(now()),
            ),
            group_sessions::id.eq(&row.id),
        )
        .execute(c)?;
        let fresh: SessionRow = group_sessions::table.find(&row.id).select(SessionRow::as_select()).first(c)?;
        if fresh.cancelled && !row.cancelled {
            call_off(c, &st, &fresh)?;
        } else if !fresh.cancelled
            && (fresh.starts_at, &fresh.place, &fresh.video_link, &fresh.topic)
                != (row.starts_at, &row.place, &row.video_link, &row.topic)
        {
            reschedule(c, &st, &fresh, &row)?;
        }
        if !u.invite.is_empty() {
            let facilitator = accounts::find_user(c, &fresh.facilitator_id)?;
            invite(c, &st, &fresh, &facilitator, &u.invite)?;
        }
        render_shown(c, fresh, &View::Staff, audit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Record who came: present, absent with notice, absent. Facilitator and project leaders; only
/// for invited employees. Present or absent from the day of the session (409 before); a notice of
/// absence at any time.
#[utoipa::path(tag = "groups", params(("id" = String, Path)), request_body = AttendanceIn, responses((status = 200, body = SessionOut)), security(("bearer" = [])))]
#[put("/group-sessions/{id}/attendance")]
pub async fn attendance(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<AttendanceIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (row, view) = load_for_change(c, &caller, &id)?;
        if !matches!(view, View::Staff) {
            return Err(AppError::Forbidden);
        }
        if row.cancelled {
            return Err(called_off());
        }
        // Who came is known on the day; it counts in the process figures.
        let came_or_not = input.attendance.values().any(|a| *a != Attendance::AbsentWithNotice);
        if came_or_not && row.starts_at.date() > crate::local_time::today(zone) {
            return Err(AppError::Conflict(format!(
                "Dit groepsgesprek is pas op {}. Houd dan bij wie er was; een afmelding kan nu al.",
                dutch_when(row.starts_at)
            )));
        }
        for (employee, a) in &input.attendance {
            let n = reuse::update(
                group_invitations::table,
                group_invitations::attendance.eq(Some(attendance_text(*a))),
                group_invitations::session_id.eq(&row.id).and(group_invitations::employee_id.eq(employee)),
            )
            .execute(c)?;
            if n == 0 {
                return Err(AppError::field(&format!("attendance.{employee}"), "Deze medewerker is niet uitgenodigd."));
            }
        }
        render_shown(c, row, &View::Staff, audit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Employees with an open trajectory and method consent who chose a group talk in the reflection of this course and
/// are not invited to a session on it still to come, nor came to one: the list for inviting. A coach their own employees, a project leader the organisation's.
#[utoipa::path(tag = "groups", params(InterestQuery), responses((status = 200, body = InterestList)), security(("bearer" = [])))]
#[get("/group-sessions/interest")]
pub async fn interest(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<InterestQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader])?;
    let q = q.into_inner();
    let (limit, after) = PageQuery { limit: q.limit, cursor: q.cursor }.keyset::<NaiveDateTime>()?;
    let topic = q.topic;
    if state.content.get(&topic).is_none() {
        return Err(AppError::field("topic", "Kies een cursus."));
    }
    let org = caller.organization_id.clone().unwrap_or_default();
    let own_only = caller.is(Role::Coach).then(|| caller.user_id.clone());
    let t2 = topic.clone();
    let local_now = crate::local_time::now(state.config.time_zone);
    let page = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // An employee has at most one open trajectory, so (moment, employee) orders without ties.
        let reflected_at = course_progress::reflected_at.assume_not_null();
        let q = course_progress::table
            .inner_join(users::table.on(users::id.eq(course_progress::user_id)))
            .inner_join(trajectories::table.on(trajectories::employee_id.eq(course_progress::user_id)))
            .filter(course_progress::course_slug.eq(&t2))
            .filter(one_of(course_progress::reflection_choice, ["group_session", "both"]))
            .filter(trajectories::organization_id.eq(&org))
            .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)))
            // What someone chose in a reflection is read only with their consent to the method on
            // the trajectory (as in the coach's view of their progress); nor could they be invited.
            .filter(trajectories::method_consent.eq(true))
            .filter(course_progress::reflected_at.is_not_null())
            // Who is invited to a session on the course still to come, or came to one, is no
            // longer waiting for one: the list is of those still to invite (a no-show is again).
            .filter(
                users::id.ne_all(
                    group_invitations::table
                        .filter(
                            group_invitations::session_id.eq_any(
                                group_sessions::table
                                    .filter(group_sessions::topic.eq(&t2))
                                    .filter(group_sessions::cancelled.eq(false))
                                    .filter(group_sessions::starts_at.ge(local_now))
                                    .select(group_sessions::id),
                            ),
                        )
                        .select(group_invitations::employee_id),
                ),
            )
            .filter(
                users::id.ne_all(
                    group_invitations::table
                        .filter(group_invitations::attendance.eq("present"))
                        .filter(group_invitations::session_id.eq_any(
                            group_sessions::table.filter(group_sessions::topic.eq(&t2)).select(group_sessions::id),
                        ))
                        .select(group_invitations::employee_id),
                ),
            )
            .order((reflected_at, users::id))
            .limit(limit + 1)
            .select((users::id, users::first_name, trajectories::id, reflected_at))
            .into_boxed();
        let q = match own_only {
            Some(coach) => q.filter(trajectories::coach_id.eq(coach)),
            None => q,
        };
        let q = after_key!(q, (reflected_at, users::id) > after);
        let rows: Vec<(String, String, String, NaiveDateTime)> = q.load(c)?;
        let page = Page::from_rows(rows, limit, |r| key_cursor(&moment_key(&r.3), &r.0));
        let items = page
            .items
            .into_iter()
            .map(|(employee_id, first_name, trajectory_id, reflected_at)| {
                audit.shows(&employee_id);
                Interested { employee_id, first_name, trajectory_id, reflected_at }
            })
            .collect();
        Ok(InterestList { topic: t2, items, next_cursor: page.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_moment_in_dutch_words() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(10, 0, 0).unwrap();
        assert_eq!(super::dutch_when(t), "dinsdag 1 december om 10:00");
        let t = chrono::NaiveDate::from_ymd_opt(2027, 3, 7).unwrap().and_hms_opt(9, 5, 0).unwrap();
        assert_eq!(super::dutch_when(t), "zondag 7 maart om 09:05");
    }
}
