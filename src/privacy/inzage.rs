//! Inzage (AVG art. 15): everything Wilkan holds about the caller, as one JSON document, and as a
//! ZIP with that document and a readable HTML page.
//!
//! Left out on purpose: the coach's weighings. A weighing is the professional's reflection on
//! their own decision (their working notes about their reasoning and pitfalls), not data about the
//! employee; the decisions and agreements themselves are in the logbook entries, which are
//! included in full.

use std::io::Write;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::subject_sets;
use crate::accounts::api::UserOut;
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
use crate::db::schema::{audit_log, cards, group_invitations, group_sessions, logbook_entries, users};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::policy::{Caller, Role};
use crate::privacy::audit::AuditEntry;

/// What a staff member's document leaves out.
pub const STAFF_NOT_INCLUDED: &str =
    "Wat je over medewerkers hebt vastgelegd staat er niet in: dat zijn hun gegevens, \
en zij zien het in hun eigen overzicht. Wel staat erin wat je in Wilkan hebt gedaan en je eigen afwegingen.";

pub const WHY_NO_WEIGHINGS: &str = "Afwegingen van je coach staan er niet in. Dat zijn de werkaantekeningen \
van je coach over het eigen denken bij een beslissing. De beslissingen en afspraken zelf staan wel in het logboek.";

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::internal(e.to_string()))
}

/// What the inzage reads: the document, the caller's learning rows (made into their course list
/// with the loaded content) and their learning in courses no longer offered.
pub struct Collected {
    pub document: Value,
    pub learning: crate::courses::progress::Progress,
    pub learning_no_longer_offered: Vec<Value>,
    /// Pages taken out of, or renamed in, a course still offered: the course list shows the
    /// pages as they are now, so the work on these would be in no list.
    pub pages_no_longer_offered: Vec<Value>,
}

/// The courses offered, each with the ids of its pages.
pub type Offered<'a> = std::collections::BTreeMap<&'a str, std::collections::BTreeSet<&'a str>>;

/// Collects the document. Runs in one read transaction so that it is a consistent picture (on
/// PostgreSQL at REPEATABLE READ: at its default level each statement would see the database as
/// it is by then, and an entry could show beside versions of it from after a change).
/// `zone` is the organisations' (their date: whether a check-in is overdue, the day a trajectory
/// was proposed); `offered` the courses.
pub fn collect(
    c: &mut DbConnection,
    caller: &Caller,
    audit: &mut AuditEntry,
    zone: chrono_tz::Tz,
    offered: &Offered,
) -> Result<Collected, AppError> {
    c.transaction(|c| {
        if let DbConnection::Pg(pg) = c {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(pg)?;
        }
        let document = collect_in_snapshot(c, caller, audit, zone)?;
        let learning = crate::courses::progress::progress_of(c, &caller.user_id)?;
        let (learning_no_longer_offered, pages_no_longer_offered) = no_longer_offered(c, &caller.user_id, offered)?;
        Ok(Collected { document, learning, learning_no_longer_offered, pages_no_longer_offered })
    })
}

fn collect_in_snapshot(
    c: &mut DbConnection,
    caller: &Caller,
    audit: &mut AuditEntry,
    zone: chrono_tz::Tz,
) -> Result<Value, AppError> {
    let today = crate::local_time::today(zone);
    let me = accounts::find_user(c, &caller.user_id)?;
    let organization = match &me.organization_id {
        Some(o) => Some(to_value(&crate::accounts::api::OrganizationOut::from(accounts::find_organization(c, o)?))?),
        None => None,
    };
    let mut doc = json!({
        "generated_at": crate::db::now(),
        "about": "Dit zijn alle gegevens die Wilkan over jou bewaart.",
        "not_included": WHY_NO_WEIGHINGS,
        "account": to_value(&UserOut::from(me.clone()))?,
        "organization": organization,
    });
    let mut rendered = crate::trajectories::queries::with_history(
        c,
        crate::trajectories::queries::ListQuery::new(crate::trajectories::queries::Scope::Employee(&me.id)),
    )?;
    // Each as the employee reads it by itself: with the absence records beside the guide.
    for t in &mut rendered {
        crate::trajectories::queries::add_absence_records(c, t, zone)?;
    }
    let ids: Vec<String> = rendered.iter().map(|t| t.id.clone()).collect();
    let consents: Vec<Value> = crate::trajectories::queries::consents_of(c, &ids)?
        .into_iter()
        .map(|r| {
            json!({"trajectory_id": r.trajectory_id, "kind": r.kind, "given": r.given, "recorded_by": r.recorded_by,
                         "on_behalf_of_employee": r.on_behalf_of_employee, "recorded_at": r.recorded_at})
        })
        .collect();
    // Logbook entries as their employee would see them (no weighings), shared or not, with their
    // earlier versions.
    let as_employee = Caller { role: Role::Employee, ..caller.clone() };
    let mut per_trajectory = Vec::new();
    for t in &rendered {
        let entries = logbook_entries::table
            .filter(logbook_entries::trajectory_id.eq(&t.id))
            .order((logbook_entries::entry_date, logbook_entries::id))
            .select(crate::logbook::routes::EntryRow::as_select())
            .load(c)?;
        // Intake and plan whether or not the coach shared them in the app: sharing decides what
        // the employee sees while working with it, not what the right of access covers (the same
        // holds for unshared logbook entries, above, and aftercare notes, below).
        let intake = crate::intake::routes::intake_of(c, &t.id)?;
        let plan = crate::intake::routes::plan_of(c, &t.id)?;
        per_trajectory.push(json!({
            "trajectory": to_value(t)?,
            "intake": to_value(&intake)?,
            "plan": to_value(&plan)?,
            "logbook": to_value(&crate::logbook::routes::for_inzage(c, entries, &as_employee)?)?,
            "work_values": to_value(&crate::intake::routes::work_values_out(c, &t.id)?)?,
            "visits": to_value(&crate::visits::visits_of(c, &t.id)?)?,
            "return_and_aftercare": to_value(&crate::aftercare::routes::return_out(c, &t.id, today, crate::aftercare::routes::Reader::Staff)?)?,
        }));
    }
    doc["trajectories"] = Value::Array(per_trajectory);
    doc["consents"] = Value::Array(consents);
    doc["absences"] = to_value(
        &crate::absences::routes::episodes_of(c, &me.id)?.into_iter().map(|a| a.out(today)).collect::<Vec<_>>(),
    )?;
    let my_cards: Vec<(String, String, chrono::NaiveDateTime, bool, chrono::NaiveDateTime)> = cards::table
        .filter(one_of(cards::trajectory_id, &ids))
        .order(cards::created_at)
        .select((cards::author_name, cards::message, cards::created_at, cards::blocked, cards::deliver_after))
        .load(c)?;
    // Every card is the person's data, also one the coach held back or has not looked at yet;
    // which is which is said, so that neither reads as a card passed on.
    let moment = crate::db::now();
    doc["cards"] = Value::Array(
        my_cards
            .into_iter()
            .map(|(author, message, at, blocked, deliver_after)| {
                json!({"author_name": author, "message": message, "created_at": at, "held_back": blocked,
                       "on_hold": !blocked && deliver_after > moment})
            })
            .collect(),
    );
    let sessions: Vec<(String, chrono::NaiveDateTime, String, Option<String>)> = group_invitations::table
        .inner_join(group_sessions::table.on(group_sessions::id.eq(group_invitations::session_id)))
        .filter(group_invitations::employee_id.eq(&me.id))
        .select((group_sessions::id, group_sessions::starts_at, group_sessions::topic, group_invitations::attendance))
        .load(c)?;
    doc["group_sessions"] = Value::Array(
        sessions
            .into_iter()
            .map(|(id, at, topic, a)| json!({"id": id, "starts_at": at, "topic": topic, "attendance": a}))
            .collect(),
    );
    doc["questionnaires"] = Value::Array(crate::evaluation::responses::responses_of(c, &me.id)?);
    doc["talk_wishes_passed_on"] = Value::Array(talk_wishes(c, &me.id)?);
    doc["learning_of_earlier_trajectories"] = Value::Array(earlier_rounds(c, &me.id)?);
    doc["buddy"] = to_value(&crate::buddies::routes::my_buddy(c, &me.id, audit)?)?;
    doc["buddy_pairs"] = Value::Array(buddy_pairs(c, &me.id, audit)?);
    doc["mail"] = Value::Array(mail_to(c, &me.id)?);
    doc["sign_ins"] = sign_ins(c, &me.id)?;
    doc["who_used_my_data"] = Value::Array(who_used(c, &me.id)?);
    // Staff: what Wilkan keeps about them is mostly what they did, and a coach's weighings are
    // their own reflection (left out of the employee's document for that reason).
    if !caller.is(Role::Employee) {
        doc["not_included"] = STAFF_NOT_INCLUDED.into();
        doc["what_i_did"] = Value::Array(what_i_did(c, &me.id)?);
        doc["my_weighings"] = Value::Array(my_weighings(c, &me.id)?);
    }
    Ok(doc)
}

/// Every audit entry of the caller's own actions: when and what (not about whom: that is the
/// other person's, in their own document).
fn what_i_did(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    let done: Vec<(chrono::NaiveDateTime, String)> = audit_log::table
        .filter(audit_log::actor_id.eq(me))
        .order(audit_log::at)
        .select((audit_log::at, audit_log::action))
        .load(c)?;
    Ok(done.into_iter().map(|(at, action)| json!({"at": at, "action": action})).collect())
}

/// A coach's weighings: the entry's date and the weighing, without the entry's texts about the
/// employee.
fn my_weighings(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    // Not about an erased person: what is kept of those (pitfalls and factors) is for counts only.
    let erased = users::table.filter(users::erased_at.is_not_null()).select(users::id);
    let about_the_erased = crate::db::schema::trajectories::table
        .filter(crate::db::schema::trajectories::employee_id.eq_any(erased))
        .select(crate::db::schema::trajectories::id);
    let rows: Vec<(String, chrono::NaiveDate, Option<String>)> = logbook_entries::table
        .filter(logbook_entries::author_id.eq(me))
        .filter(logbook_entries::weighing.is_not_null())
        .filter(logbook_entries::trajectory_id.ne_all(about_the_erased))
        .order((logbook_entries::entry_date, logbook_entries::id))
        .select((logbook_entries::id, logbook_entries::entry_date, logbook_entries::weighing))
        .load(c)?;
    rows.into_iter()
        .map(|(id, date, weighing)| {
            let weighing: Value = serde_json::from_str(weighing.as_deref().unwrap_or("null"))
                .map_err(|e| AppError::internal(e.to_string()))?;
            Ok(json!({"entry_id": id, "date": date, "weighing": weighing}))
        })
        .collect()
}

/// Every buddy pair, ended ones too: when, with whom (the buddy's first name, as shown), and the
/// contact I shared. The buddy's own contact is theirs, not mine; the entry names each buddy, so
/// their inzage shows who saw their name.
fn buddy_pairs(c: &mut DbConnection, me: &str, audit: &mut AuditEntry) -> Result<Vec<Value>, AppError> {
    use crate::db::schema::buddy_pairs as bp;
    type Row =
        (String, String, String, Option<String>, Option<String>, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);
    let rows: Vec<Row> = bp::table
        .filter(bp::employee_a.eq(me).or(bp::employee_b.eq(me)))
        .order(bp::created_at)
        .select((
            bp::employee_a,
            bp::employee_b,
            bp::status,
            bp::a_contact,
            bp::b_contact,
            bp::created_at,
            bp::ended_at,
        ))
        .load(c)?;
    let mut out = Vec::new();
    for (a, b, status, a_contact, b_contact, created_at, ended_at) in rows {
        let (buddy, mine) = if a == me { (b, a_contact) } else { (a, b_contact) };
        let buddy_first_name = accounts::find_user(c, &buddy).map(|u| u.first_name).ok();
        audit.shows(&buddy);
        out.push(json!({"buddy_first_name": buddy_first_name, "status": status, "my_contact": mine,
                        "created_at": created_at, "ended_at": ended_at}));
    }
    Ok(out)
}

/// Mail Wilkan still keeps that went, or is to go, to me (housekeeping deletes sent mail after 7
/// days): what it was about and when. By account, not address: mail sent to an address I had
/// before is mine, and mail to an address I have now but another account had before is not.
fn mail_to(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    use crate::db::schema::outbox;
    let rows: Vec<(String, String, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = outbox::table
        .filter(outbox::recipient_id.eq(me))
        .order(outbox::created_at)
        .select((outbox::template, outbox::subject, outbox::status, outbox::created_at, outbox::sent_at))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(template, subject, status, created_at, sent_at)| {
            json!({"kind": template, "subject": subject, "status": status, "created_at": created_at, "sent_at": sent_at})
        })
        .collect())
}

/// When I signed in: sessions (from a password or a login link), and login links and links to
/// choose a password asked for.
fn sign_ins(c: &mut DbConnection, me: &str) -> Result<Value, AppError> {
    use crate::db::schema::{magic_links, password_links, refresh_tokens};
    type Times = (chrono::NaiveDateTime, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);
    let sessions: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> =
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(me))
            .order(refresh_tokens::created_at)
            .select((refresh_tokens::created_at, refresh_tokens::expires_at, refresh_tokens::revoked_at))
            .load(c)?;
    let links: Vec<Times> = magic_links::table
        .filter(magic_links::user_id.eq(me))
        .order(magic_links::created_at)
        .select((magic_links::created_at, magic_links::expires_at, magic_links::used_at))
        .load(c)?;
    let password_links: Vec<Times> = password_links::table
        .filter(password_links::user_id.eq(me))
        .order(password_links::created_at)
        .select((password_links::created_at, password_links::expires_at, password_links::used_at))
        .load(c)?;
    let asked = |rows: Vec<Times>| -> Vec<Value> {
        rows.into_iter()
            .map(|(at, until, used)| json!({"asked_at": at, "valid_until": until, "used_at": used}))
            .collect()
    };
    Ok(json!({
        "sessions": sessions.into_iter().map(|(at, until, ended)| json!({"started_at": at, "valid_until": until, "ended_at": ended})).collect::<Vec<_>>(),
        "login_links": asked(links),
        "password_links": asked(password_links),
    }))
}

/// The courses after which the person's wish for a talk went to the coach of a trajectory (the
/// mail itself went to the coach and is not in the person's own mail), in earlier learning rounds
/// and in this one.
fn talk_wishes(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    use crate::db::schema::{course_progress as cp, past_course_progress as xc};
    let mut rows: Vec<(String, Option<String>)> = xc::table
        .filter(xc::user_id.eq(me))
        .filter(xc::talk_asked_trajectory_id.is_not_null())
        .select((xc::course_slug, xc::talk_asked_trajectory_id))
        .order((xc::trajectory_id, xc::course_slug))
        .load(c)?;
    rows.extend(
        cp::table
            .filter(cp::user_id.eq(me))
            .filter(cp::talk_asked_trajectory_id.is_not_null())
            .select((cp::course_slug, cp::talk_asked_trajectory_id))
            .order(cp::course_slug)
            .load::<(String, Option<String>)>(c)?,
    );
    Ok(rows.into_iter().map(|(course, trajectory)| json!({"course": course, "trajectory_id": trajectory})).collect())
}

/// The caller's learning that their course list (made from the content as it is now) does not
/// show: in courses no longer offered, and on pages taken out of, or renamed in, a course still
/// offered (per course). Each table is read once.
fn no_longer_offered(c: &mut DbConnection, me: &str, offered: &Offered) -> Result<(Vec<Value>, Vec<Value>), AppError> {
    use crate::db::schema::{course_progress as cp, page_progress as pp};
    let mut pages: std::collections::BTreeMap<String, Vec<PageRow>> = std::collections::BTreeMap::new();
    let page_rows: Vec<(String, PageRow)> = pp::table
        .filter(pp::user_id.eq(me))
        .order((pp::course_slug, pp::page_id))
        .select((pp::course_slug, (pp::page_id, pp::visited_at, pp::done_at, pp::answers)))
        .load(c)?;
    for (slug, row) in page_rows {
        pages.entry(slug).or_default().push(row);
    }
    type Row =
        (String, chrono::NaiveDateTime, Option<String>, Option<String>, Option<String>, Option<chrono::NaiveDateTime>);
    let rows: Vec<Row> = cp::table
        .filter(cp::user_id.eq(me))
        .select((
            cp::course_slug,
            cp::started_at,
            cp::celebration,
            cp::reflection,
            cp::reflection_choice,
            cp::completed_at,
        ))
        .load(c)?;
    let mut courses = Vec::new();
    for (slug, started_at, celebration, reflection, choice, completed_at) in rows {
        if offered.contains_key(slug.as_str()) {
            continue;
        }
        let done: Vec<Value> = pages.remove(&slug).unwrap_or_default().into_iter().map(page_json).collect();
        courses.push(
            json!({"course": slug, "started_at": started_at, "celebration": celebration, "reflection": reflection,
                        "reflection_choice": choice, "completed_at": completed_at, "pages": done}),
        );
    }
    let mut withdrawn_pages = Vec::new();
    for (slug, rows) in pages {
        let Some(current) = offered.get(slug.as_str()) else { continue };
        let gone: Vec<Value> =
            rows.into_iter().filter(|(page, ..)| !current.contains(page.as_str())).map(page_json).collect();
        if !gone.is_empty() {
            withdrawn_pages.push(json!({"course": slug, "pages": gone}));
        }
    }
    Ok((courses, withdrawn_pages))
}

/// The caller's learning in the rounds of earlier trajectories (`courses::rounds`): per course, with
/// the trajectory it was done in, its texts and its pages, in order of trajectory and course.
fn earlier_rounds(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    use crate::db::schema::{past_course_progress as xc, past_page_progress as xp};
    let mut pages: std::collections::BTreeMap<(String, String), Vec<PageRow>> = std::collections::BTreeMap::new();
    let page_rows: Vec<(String, String, PageRow)> = xp::table
        .filter(xp::user_id.eq(me))
        .order((xp::trajectory_id, xp::course_slug, xp::page_id))
        .select((xp::trajectory_id, xp::course_slug, (xp::page_id, xp::visited_at, xp::done_at, xp::answers)))
        .load(c)?;
    for (trajectory, slug, row) in page_rows {
        pages.entry((trajectory, slug)).or_default().push(row);
    }
    type Row = (
        String,
        String,
        chrono::NaiveDateTime,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<chrono::NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = xc::table
        .filter(xc::user_id.eq(me))
        .order((xc::trajectory_id, xc::course_slug))
        .select((
            xc::trajectory_id,
            xc::course_slug,
            xc::started_at,
            xc::celebration,
            xc::reflection,
            xc::reflection_choice,
            xc::completed_at,
            xc::completed_via,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(trajectory, slug, started_at, celebration, reflection, choice, completed_at, via)| {
            let done: Vec<Value> = pages
                .remove(&(trajectory.clone(), slug.clone()))
                .unwrap_or_default()
                .into_iter()
                .map(page_json)
                .collect();
            json!({"trajectory_id": trajectory, "course": slug, "started_at": started_at, "celebration": celebration,
                   "reflection": reflection, "reflection_choice": choice, "completed_at": completed_at,
                   "completed_via": via, "pages": done})
        })
        .collect())
}

/// A page's progress: its id, when visited and done, the answers (JSON).
type PageRow = (String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<String>);

fn page_json((page, visited_at, done_at, answers): PageRow) -> Value {
    let answers = answers.and_then(|a: String| serde_json::from_str::<Value>(&a).ok());
    json!({"page_id": page, "visited_at": visited_at, "done_at": done_at, "answers": answers})
}

/// Who looked at or changed my data: entries about me, and lists that showed me (two queries,
/// each on its own index, merged by time).
fn who_used(c: &mut DbConnection, me: &str) -> Result<Vec<Value>, AppError> {
    type Seen = (chrono::NaiveDateTime, Option<String>, Option<String>, String, Option<String>);
    let entries = || {
        audit_log::table.left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id))).select((
            audit_log::at,
            audit_log::actor_role,
            users::first_name.nullable(),
            audit_log::action,
            audit_log::actor_id,
        ))
    };
    let about_me: Vec<Seen> = entries().filter(audit_log::subject_id.eq(me)).order(audit_log::at).load(c)?;
    let my_sets = subject_sets::sets_of(c, me)?;
    let lists: Vec<Seen> = if my_sets.is_empty() {
        Vec::new()
    } else {
        entries().filter(one_of(audit_log::subject_set.assume_not_null(), &my_sets)).order(audit_log::at).load(c)?
    };
    let mut seen: Vec<(Seen, bool)> =
        about_me.into_iter().map(|s| (s, false)).chain(lists.into_iter().map(|s| (s, true))).collect();
    seen.sort_by_key(|((at, ..), _)| *at);
    Ok(seen
        .into_iter()
        .map(|((at, role, name, action, actor), in_a_list)| {
            let by = if actor.as_deref() == Some(me) { Some("jijzelf".to_string()) } else { name };
            json!({"at": at, "by": by, "role": role, "action": action, "in_a_list": in_a_list})
        })
        .collect())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html_value(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push_str("<dl>");
            for (k, v) in m {
                out.push_str(&format!("<dt>{}</dt><dd>", esc(&k.replace('_', " "))));
                html_value(v, out);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
        Value::Array(items) if items.is_empty() => out.push_str("<em>geen</em>"),
        Value::Array(items) => {
            out.push_str("<ol>");
            for i in items {
                out.push_str("<li>");
                html_value(i, out);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
        Value::Null => out.push_str("<em>-</em>"),
        Value::String(s) => out.push_str(&esc(s)),
        other => out.push_str(&esc(&other.to_string())),
    }
}

/// The same document as a page a person can read in any browser (no scripts, no external files).
pub fn html(doc: &Value) -> String {
    let mut body = String::new();
    html_value(doc, &mut body);
    format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Mijn gegevens in Wilkan</title>\
         <style>body{{font-family:Verdana,sans-serif;font-size:15px;max-width:60em;margin:2em auto}}\
         dt{{font-weight:bold;margin-top:.4em}} dd{{margin-left:1.2em}}</style></head>\
         <body><h1>Mijn gegevens in Wilkan</h1>{body}</body></html>"
    )
}

pub fn zip(doc: &Value) -> Result<Vec<u8>, AppError> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let fail = |e: &dyn std::fmt::Display| AppError::internal(format!("zip: {e}"));
        z.start_file("mijn-gegevens.json", opts).map_err(|e| fail(&e))?;
        z.write_all(serde_json::to_string_pretty(doc).unwrap_or_default().as_bytes()).map_err(|e| fail(&e))?;
        z.start_file("mijn-gegevens.html", opts).map_err(|e| fail(&e))?;
        z.write_all(html(doc).as_bytes()).map_err(|e| fail(&e))?;
        z.finish().map_err(|e| fail(&e))?;
    }
    Ok(buf.into_inner())
}
