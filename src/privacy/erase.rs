//! Erasure (AVG art. 17) and pseudonymisation: a person's personal data is removed or overwritten
//! in every table; rows needed for aggregate counts stay, re-keyed to a new random id that links
//! to nothing. The retention job uses the same function.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::users;
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::trajectories::model::ENDED;

pub const REDACTED: &str = "[verwijderd]";

/// Every column that holds a user id: re-keyed to the new id (table, column).
const USER_REFERENCES: &[(&str, &str)] = &[
    ("trajectories", "employee_id"),
    ("trajectories", "coach_id"),
    ("trajectories", "created_by"),
    ("trajectory_events", "actor_id"),
    ("consents", "recorded_by"),
    ("absences", "employee_id"),
    ("absences", "recorded_by"),
    ("intakes", "updated_by"),
    ("plans", "updated_by"),
    ("logbook_entries", "author_id"),
    ("logbook_revisions", "revised_by"),
    ("work_value_snapshots", "recorded_by"),
    ("course_progress", "user_id"),
    ("course_progress", "completed_by"),
    ("page_progress", "user_id"),
    ("group_sessions", "facilitator_id"),
    ("group_invitations", "employee_id"),
    ("buddy_pairs", "employee_a"),
    ("buddy_pairs", "employee_b"),
    ("buddy_pairs", "proposed_by"),
    ("buddy_pairs", "ended_by"),
    ("workplace_visits", "recorded_by"),
    ("card_links", "created_by"),
    ("cards", "blocked_by"),
    ("work_returns", "recorded_by"),
    ("aftercare_checkins", "completed_by"),
    ("questionnaire_responses", "respondent_id"),
    ("questionnaire_responses", "entered_by"),
    ("audit_log", "actor_id"),
    ("audit_log", "subject_id"),
    ("audit_subject_sets", "subject_id"),
];

/// Free-text columns (table, key column, text column) searched for the person's name and email.
pub const FREE_TEXT: &[(&str, &str, &str)] = &[
    ("trajectories", "id", "stop_note"),
    ("trajectories", "id", "inclusion_override_reason"),
    ("trajectory_events", "id", "note"),
    ("intakes", "trajectory_id", "factors"),
    ("intakes", "trajectory_id", "goals"),
    ("intakes", "trajectory_id", "expectations"),
    ("plans", "trajectory_id", "help_needed"),
    ("plans", "trajectory_id", "first_course_reason"),
    ("questionnaire_responses", "id", "open_answers"),
    ("logbook_entries", "id", "impression"),
    ("logbook_entries", "id", "agreements"),
    ("logbook_entries", "id", "developments"),
    ("logbook_entries", "id", "weighing"),
    ("logbook_revisions", "id", "previous"),
    ("work_value_snapshots", "id", "card"),
    ("group_sessions", "id", "notes"),
    ("group_sessions", "id", "topic"),
    ("group_sessions", "id", "place"),
    ("workplace_visits", "id", "with_whom"),
    ("workplace_visits", "id", "how_it_went"),
    ("cards", "id", "author_name"),
    ("cards", "id", "message"),
    ("buddy_pairs", "id", "a_contact"),
    ("buddy_pairs", "id", "b_contact"),
    ("aftercare_checkins", "id", "note"),
    ("aftercare_checkins", "id", "skip_reason"),
    ("outbox", "id", "subject"),
    ("outbox", "id", "body_text"),
    ("outbox", "id", "body_html"),
    ("audit_log", "id", "detail"),
];

fn exec(c: &mut DbConnection, sql: &str) -> Result<(), AppError> {
    c.batch_execute(sql)?;
    Ok(())
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[derive(QueryableByName)]
struct KeyText {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = Text)]
    v: String,
}

/// Case-insensitive whole-word replacement (emails as substrings). The search runs on the text
/// lowercased char by char, with where each lowered byte's char began in the text: lowercasing
/// may change a char's length ('İ' becomes two chars, the Kelvin sign 'K' one byte less), so the
/// lowered text's positions are not the text's.
fn redact(text: &str, needles: &[String]) -> String {
    let mut out = text.to_string();
    for needle in needles.iter().map(|n| n.to_lowercase()).filter(|n| !n.is_empty()) {
        let mut lower = String::with_capacity(out.len());
        let mut origin = Vec::with_capacity(out.len() + 1);
        for (at, ch) in out.char_indices() {
            lower.extend(ch.to_lowercase());
            origin.resize(lower.len(), at);
        }
        origin.push(out.len());
        // A match must start and end where a char of the text does, not inside one char's lowering.
        let begins_a_char = |i: usize| i == 0 || origin[i] != origin[i - 1];
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let (mut result, mut last, mut from) = (String::with_capacity(out.len()), 0, 0);
        while let Some(pos) = lower[from..].find(&needle).map(|p| p + from) {
            let end = pos + needle.len();
            let whole_chars = begins_a_char(pos) && begins_a_char(end);
            let whole_word = !word(out[..origin[pos]].chars().next_back()) && !word(out[origin[end]..].chars().next());
            if whole_chars && (needle.contains('@') || whole_word) {
                result.push_str(&out[last..origin[pos]]);
                result.push_str(REDACTED);
                last = origin[end];
            }
            from = end;
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

/// Erases `user_id`; returns the new, unlinkable id under which aggregate rows remain, and the
/// sessions it ended (for `Revocations::add` after commit).
pub fn erase_person(c: &mut DbConnection, user_id: &str) -> Result<(String, Vec<String>), AppError> {
    // The person's row is locked first (PostgreSQL): a transaction that is queuing mail to them or
    // writing a row that points at them finishes before anything here is cleared, and one that
    // starts later waits for this erasure and then finds them gone.
    accounts::lock_user(c, user_id)?;
    let user: User = accounts::find_user(c, user_id)?;
    if user.erased_at.is_some() {
        return Err(AppError::Conflict("Deze persoon is al verwijderd.".into()));
    }
    let new_id = uuid::Uuid::new_v4().to_string();
    let t = now();
    diesel::insert_into(users::table)
        .values(&User {
            id: new_id.clone(),
            email: format!("verwijderd-{}@invalid.wilkan", uuid::Uuid::new_v4().simple()),
            first_name: "Verwijderd".into(),
            last_name: None,
            role: user.role.clone(),
            organization_id: user.organization_id.clone(),
            password_hash: None,
            active: false,
            created_at: t,
            updated_at: t,
            erased_at: Some(t),
        })
        .execute(c)?;
    let (old, new) = (quote(&user.id), quote(&new_id));
    for (table, column) in USER_REFERENCES {
        exec(c, &format!("UPDATE {table} SET {column} = {new} WHERE {column} = {old}"))?;
    }
    // Sessions and one-time links die (access tokens too, by the list of ended sessions);
    // throttling counters name the address.
    let ended = accounts::revoke_all_for_user(c, &user.id)?;
    exec(c, &format!("DELETE FROM refresh_tokens WHERE user_id = {old}"))?;
    exec(c, &format!("DELETE FROM magic_links WHERE user_id = {old}"))?;
    exec(c, &format!("DELETE FROM login_throttle WHERE key LIKE {}", quote(&format!("%{}", user.email))))?;
    exec(c, &format!("DELETE FROM outbox WHERE to_address = {}", quote(&user.email)))?;
    exec(c, &format!("DELETE FROM users WHERE id = {old}"))?;

    // Free text written about this person as an employee, and their own answers.
    let theirs = format!("(SELECT id FROM trajectories WHERE employee_id = {new})");
    for sql in [
        format!("UPDATE trajectories SET stop_note = NULL, inclusion_override_reason = NULL WHERE employee_id = {new}"),
        format!("UPDATE trajectory_events SET note = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE intakes SET goals = '{{}}', expectations = '{{}}' WHERE trajectory_id IN {theirs}"),
        format!("UPDATE plans SET help_needed = NULL, first_course_reason = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE logbook_entries SET impression = NULL, agreements = NULL, developments = NULL, weighing = NULL WHERE trajectory_id IN {theirs}"),
        format!("DELETE FROM logbook_revisions WHERE entry_id IN (SELECT id FROM logbook_entries WHERE trajectory_id IN {theirs})"),
        format!("UPDATE course_progress SET celebration = NULL, reflection = NULL WHERE user_id = {new}"),
        format!("UPDATE page_progress SET answers = NULL WHERE user_id = {new}"),
        format!("UPDATE cards SET author_name = {r}, message = {r} WHERE trajectory_id IN {theirs}", r = quote(REDACTED)),
        format!("UPDATE workplace_visits SET with_whom = {r}, how_it_went = NULL WHERE trajectory_id IN {theirs}", r = quote(REDACTED)),
        format!("UPDATE buddy_pairs SET a_contact = NULL WHERE employee_a = {new}"),
        format!("UPDATE buddy_pairs SET b_contact = NULL WHERE employee_b = {new}"),
        format!("UPDATE aftercare_checkins SET note = NULL, skip_reason = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE questionnaire_responses SET open_answers = '{{}}' WHERE respondent_id = {new}"),
    ] {
        exec(c, &sql)?;
    }
    scrub_intake_notes(c, &new_id)?;
    scrub_work_value_notes(c, &new_id)?;

    // Anywhere else (other people's notes, facilitators' notes): the name and email, wherever written.
    let mut needles = vec![user.email.clone()];
    let full = format!("{} {}", user.first_name, user.last_name.clone().unwrap_or_default());
    needles.extend([full.trim().to_string(), user.first_name.clone()]);
    needles.extend(user.last_name.clone());
    needles.retain(|n| n.chars().count() >= 2);
    for (table, key, column) in FREE_TEXT {
        let pattern = match c {
            DbConnection::Pg(_) => "$1",
            DbConnection::Sqlite(_) => "?",
        };
        for needle in &needles {
            let rows: Vec<KeyText> = diesel::sql_query(format!(
                "SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL AND LOWER({column}) LIKE {pattern}"
            ))
            .bind::<Text, _>(format!("%{}%", needle.to_lowercase()))
            .load(c)?;
            for row in rows {
                let cleaned = redact(&row.v, &needles);
                if cleaned != row.v {
                    exec(
                        c,
                        &format!("UPDATE {table} SET {column} = {} WHERE {key} = {}", quote(&cleaned), quote(&row.k)),
                    )?;
                }
            }
        }
    }
    Ok((new_id, ended))
}

/// Keeps the scores (needed for counts) and drops the notes of the intake factors.
fn scrub_intake_notes(c: &mut DbConnection, employee: &str) -> Result<(), AppError> {
    use crate::db::schema::{intakes, trajectories};
    let rows: Vec<(String, String)> = intakes::table
        .inner_join(trajectories::table.on(trajectories::id.eq(intakes::trajectory_id)))
        .filter(trajectories::employee_id.eq(employee))
        .select((intakes::trajectory_id, intakes::factors))
        .load(c)?;
    for (id, factors) in rows {
        let mut v: serde_json::Value = serde_json::from_str(&factors).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.values_mut().for_each(|f| f["note"] = serde_json::Value::Null);
        }
        update(intakes::table, intakes::factors.eq(v.to_string()), intakes::trajectory_id.eq(&id)).execute(c)?;
    }
    Ok(())
}

fn scrub_work_value_notes(c: &mut DbConnection, employee: &str) -> Result<(), AppError> {
    use crate::db::schema::{trajectories, work_value_snapshots};
    let rows: Vec<(String, String)> = work_value_snapshots::table
        .inner_join(trajectories::table.on(trajectories::id.eq(work_value_snapshots::trajectory_id)))
        .filter(trajectories::employee_id.eq(employee))
        .select((work_value_snapshots::id, work_value_snapshots::card))
        .load(c)?;
    for (id, card) in rows {
        let mut v: serde_json::Value = serde_json::from_str(&card).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.values_mut().for_each(|f| f["note"] = serde_json::Value::Null);
        }
        update(
            work_value_snapshots::table,
            work_value_snapshots::card.eq(v.to_string()),
            work_value_snapshots::id.eq(&id),
        )
        .execute(c)?;
    }
    Ok(())
}

/// Retention: employees whose every trajectory ended (closed or stopped) more than `days` ago are
/// pseudonymised the same way. Returns how many people.
pub fn retention(c: &mut DbConnection, days: i64) -> Result<usize, AppError> {
    use crate::db::schema::trajectories;
    let cutoff = now() - chrono::TimeDelta::days(days);
    let candidates: Vec<String> = trajectories::table
        .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
        .filter(users::erased_at.is_null())
        .filter(one_of(trajectories::status, ENDED))
        .filter(trajectories::updated_at.lt(cutoff))
        .select(trajectories::employee_id)
        .distinct()
        .load(c)?;
    let mut done = 0;
    for employee in candidates {
        let recent: i64 = trajectories::table
            .filter(trajectories::employee_id.eq(&employee))
            .filter(diesel::dsl::not(one_of(trajectories::status, ENDED)).or(trajectories::updated_at.ge(cutoff)))
            .count()
            .get_result(c)?;
        if recent == 0 {
            // Its ended sessions reach every instance through the worker's next round.
            erase_person(c, &employee)?;
            done += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_whole_words_and_emails() {
        let n = vec!["a.b@x.nl".to_string(), "Jan".to_string()];
        assert_eq!(
            redact("Jan belde; JAN is blij. januari. mail a.b@x.nl", &n),
            "[verwijderd] belde; [verwijderd] is blij. januari. mail [verwijderd]"
        );
    }

    /// Chars whose lowercase has another length before or around the name: 'İ' (2 bytes, lowered
    /// 3), the Kelvin sign (3 bytes, lowered 'k', 1), 'ẞ' (3, lowered 'ß', 2). The name is cut out
    /// exactly, and the text around it stays as it was.
    #[test]
    fn redacts_exactly_where_lowercasing_changes_lengths() {
        let n = vec!["Jan".to_string()];
        assert_eq!(redact("İyi şanslar, groet van Jan", &n), "İyi şanslar, groet van [verwijderd]");
        assert_eq!(redact("\u{212A}\u{212A} Jan \u{1E9E}!", &n), "\u{212A}\u{212A} [verwijderd] \u{1E9E}!");
        assert_eq!(redact("İİİ Jan, JAN en İjan", &n), "İİİ [verwijderd], [verwijderd] en İjan");
        // A needle that only matches inside one char's lowering is no match: 'İ' lowers to "i̇".
        assert_eq!(redact("İ", &["i".to_string()]), "İ");
        assert_eq!(redact("İ is", &["i\u{307}".to_string()]), "[verwijderd] is");
        assert_eq!(redact("", &n), "");
        assert_eq!(redact("Jan", &[String::new()]), "Jan");
    }
}
