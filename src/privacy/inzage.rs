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

pub const WHY_NO_WEIGHINGS: &str = "Afwegingen van je begeleider staan er niet in. Dat zijn de werkaantekeningen \
van je begeleider over het eigen denken bij een beslissing. De beslissingen en afspraken zelf staan wel in het logboek.";

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::internal(e.to_string()))
}

/// Collects the document. Runs in one transaction so that it is a consistent picture.
pub fn collect(c: &mut DbConnection, caller: &Caller, audit: &mut AuditEntry) -> Result<Value, AppError> {
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
    let rendered = crate::trajectories::queries::with_history(
        c,
        crate::trajectories::queries::ListQuery::new(crate::trajectories::queries::Scope::Employee(&me.id)),
    )?;
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
        // holds for unshared logbook entries, above).
        let intake = crate::intake::routes::intake_of(c, &t.id)?;
        let plan = crate::intake::routes::plan_of(c, &t.id)?;
        per_trajectory.push(json!({
            "trajectory": to_value(t)?,
            "intake": to_value(&intake)?,
            "plan": to_value(&plan)?,
            "logbook": to_value(&crate::logbook::routes::for_inzage(c, entries, &as_employee)?)?,
            "work_values": to_value(&crate::intake::routes::work_values_out(c, &t.id)?)?,
            "visits": to_value(&crate::visits::visits_of(c, &t.id)?)?,
            "return_and_aftercare": to_value(&crate::aftercare::routes::return_out(c, &t.id)?)?,
        }));
    }
    doc["trajectories"] = Value::Array(per_trajectory);
    doc["consents"] = Value::Array(consents);
    doc["absences"] =
        to_value(&crate::absences::routes::episodes_of(c, &me.id)?.into_iter().map(|a| a.out()).collect::<Vec<_>>())?;
    let my_cards: Vec<(String, String, chrono::NaiveDateTime, bool)> = cards::table
        .filter(one_of(cards::trajectory_id, &ids))
        .order(cards::created_at)
        .select((cards::author_name, cards::message, cards::created_at, cards::blocked))
        .load(c)?;
    doc["cards"] = Value::Array(
        my_cards
            .into_iter()
            .map(|(author, message, at, blocked)| json!({"author_name": author, "message": message, "created_at": at, "held_back_by_coach": blocked}))
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
    doc["buddy"] = to_value(&crate::buddies::routes::my_buddy(c, &me.id, audit)?)?;
    doc["who_used_my_data"] = Value::Array(who_used(c, &me.id)?);
    Ok(doc)
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
