//! Erasure (AVG art. 17) and pseudonymisation: a person's personal data is removed or overwritten
//! in every table; rows needed for aggregate counts stay, re-keyed to a new random id that links
//! to nothing. The retention job uses the same function.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
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
    ("past_course_progress", "user_id"),
    ("past_course_progress", "completed_by"),
    ("past_page_progress", "user_id"),
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
    ("work_returns", "corrected_by"),
    ("aftercare_checkins", "completed_by"),
    ("questionnaire_responses", "respondent_id"),
    ("questionnaire_responses", "entered_by"),
    ("audit_log", "actor_id"),
    ("audit_log", "subject_id"),
    ("audit_subject_sets", "subject_id"),
];

/// Where a free-text row belongs: other people's texts are searched in the erased person's own
/// organisation only, so that a namesake elsewhere keeps their name.
#[derive(Debug, Clone, Copy)]
enum Org {
    /// The table's own `organization_id`.
    Column,
    /// Through `trajectory_id`.
    Trajectory,
    /// A logbook revision, through its entry's trajectory.
    Entry,
    /// A questionnaire response: its trajectory's, else its respondent's.
    Response,
    /// Through `user_id`.
    User,
    /// A mail, through the account it is for, else the account of its address (none for a
    /// colleague's address: searched).
    Recipient,
}

impl Org {
    fn sql(self, table: &str) -> String {
        let by_trajectory =
            |t: &str| format!("(SELECT o.organization_id FROM trajectories o WHERE o.id = {t}.trajectory_id)");
        match self {
            Org::Column => format!("{table}.organization_id"),
            Org::Trajectory => by_trajectory(table),
            Org::Entry => {
                "(SELECT o.organization_id FROM logbook_entries l JOIN trajectories o ON o.id = l.trajectory_id \
                           WHERE l.id = logbook_revisions.entry_id)"
                    .to_string()
            }
            Org::Response => format!(
                "COALESCE({}, (SELECT u.organization_id FROM users u WHERE u.id = {table}.respondent_id))",
                by_trajectory(table)
            ),
            Org::User => format!("(SELECT u.organization_id FROM users u WHERE u.id = {table}.user_id)"),
            Org::Recipient => format!(
                "COALESCE((SELECT u.organization_id FROM users u WHERE u.id = {table}.recipient_id), \
                 (SELECT u.organization_id FROM users u WHERE u.email = {table}.to_address))"
            ),
        }
    }
}

/// Free-text columns (table, key, text column, organisation) searched for the person's name and
/// email. The key is an SQL expression that picks out one row.
const FREE_TEXT: &[(&str, &str, &str, Org)] = &[
    ("trajectories", "id", "stop_note", Org::Column),
    ("trajectories", "id", "inclusion_override_reason", Org::Column),
    ("trajectory_events", "id", "note", Org::Trajectory),
    ("intakes", "trajectory_id", "factors", Org::Trajectory),
    ("intakes", "trajectory_id", "goals", Org::Trajectory),
    ("intakes", "trajectory_id", "expectations", Org::Trajectory),
    ("plans", "trajectory_id", "help_needed", Org::Trajectory),
    ("plans", "trajectory_id", "first_course_reason", Org::Trajectory),
    ("questionnaire_responses", "id", "open_answers", Org::Response),
    ("logbook_entries", "id", "impression", Org::Trajectory),
    ("logbook_entries", "id", "agreements", Org::Trajectory),
    ("logbook_entries", "id", "developments", Org::Trajectory),
    ("logbook_entries", "id", "weighing", Org::Trajectory),
    ("logbook_revisions", "id", "previous", Org::Entry),
    ("work_value_snapshots", "id", "card", Org::Trajectory),
    ("course_progress", COURSE_KEY, "celebration", Org::User),
    ("course_progress", COURSE_KEY, "reflection", Org::User),
    ("page_progress", PAGE_KEY, "answers", Org::User),
    ("past_course_progress", PAST_COURSE_KEY, "celebration", Org::Trajectory),
    ("past_course_progress", PAST_COURSE_KEY, "reflection", Org::Trajectory),
    ("past_page_progress", PAST_PAGE_KEY, "answers", Org::Trajectory),
    ("group_sessions", "id", "notes", Org::Column),
    ("group_sessions", "id", "topic", Org::Column),
    ("group_sessions", "id", "place", Org::Column),
    ("workplace_visits", "id", "with_whom", Org::Trajectory),
    ("workplace_visits", "id", "how_it_went", Org::Trajectory),
    ("cards", "id", "author_name", Org::Trajectory),
    ("cards", "id", "message", Org::Trajectory),
    ("buddy_pairs", "id", "a_contact", Org::Column),
    ("buddy_pairs", "id", "b_contact", Org::Column),
    ("aftercare_checkins", "id", "note", Org::Trajectory),
    ("aftercare_checkins", "id", "skip_reason", Org::Trajectory),
    ("outbox", "id", "subject", Org::Recipient),
    ("outbox", "id", "body_text", Org::Recipient),
    ("outbox", "id", "body_html", Org::Recipient),
    ("audit_log", "id", "detail", Org::Column),
];

/// The progress tables have composite keys: one text that names the row.
const COURSE_KEY: &str = "user_id || '/' || course_slug";
const PAGE_KEY: &str = "user_id || '/' || course_slug || '/' || page_id";
const PAST_COURSE_KEY: &str = "trajectory_id || '/' || course_slug";
const PAST_PAGE_KEY: &str = "trajectory_id || '/' || course_slug || '/' || page_id";

/// A name or address searched for in other people's texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    text: String,
    /// In any case (the email and the full name). A first or last name alone only as it is
    /// written as a name: as stored, with a capital, or in capitals. Otherwise "Ben Klein" would
    /// take "ben" and "klein" out of every sentence ("ik ben weer een klein stapje verder").
    any_case: bool,
}

impl Needle {
    /// What to search for when `user` is erased: also the old id, which the details of audit
    /// entries name (a buddy pair's other employee, say).
    pub fn of_user(user: &User) -> Vec<Needle> {
        let mut needles = Needle::of(&user.email, &user.first_name, user.last_name.as_deref());
        needles.push(Needle { text: user.id.clone(), any_case: true });
        needles
    }

    /// What to search for in texts about a person with this address and name.
    pub fn of(email: &str, first_name: &str, last_name: Option<&str>) -> Vec<Needle> {
        let any = |text: String| Needle { text, any_case: true };
        let written = |text: &str| Needle { text: text.trim().to_string(), any_case: false };
        let mut needles = vec![any(email.to_string())];
        if let Some(last) = last_name.map(str::trim).filter(|l| !l.is_empty()) {
            needles.push(any(format!("{} {last}", first_name.trim())));
            needles.push(written(last));
        }
        needles.push(written(first_name));
        needles.retain(|n| n.text.chars().count() >= 2);
        needles
    }

    /// The forms searched for; an any-case needle is compared lowercased.
    fn forms(&self) -> Vec<String> {
        if self.any_case {
            return vec![self.text.to_lowercase()];
        }
        let first_letter = |s: &str, upper: bool| -> String {
            let mut chars = s.chars();
            let first: String = match chars.next() {
                Some(c) if upper => c.to_uppercase().collect(),
                Some(c) => c.to_lowercase().collect(),
                None => String::new(),
            };
            first + chars.as_str()
        };
        // Written as names are: each part with a capital ("JAN" and "anne-marie" stored are
        // "Jan" and "Anne-Marie" in a note), and a "De Vries" mid-sentence as "de Vries".
        let mut name_case = String::with_capacity(self.text.len());
        let mut start = true;
        for c in self.text.chars() {
            if start {
                name_case.extend(c.to_uppercase());
            } else {
                name_case.extend(c.to_lowercase());
            }
            start = c == ' ' || c == '-';
        }
        let mut forms = vec![self.text.clone(), first_letter(&self.text, true), self.text.to_uppercase(), name_case];
        if self.text.contains(' ') {
            forms.push(first_letter(&self.text, false));
        }
        forms.sort();
        forms.dedup();
        forms
    }

    /// A LIKE pattern (ILIKE on PostgreSQL) that every text holding the needle matches: its longest
    /// stretch of ASCII, which both databases compare without regard to case. SQLite folds no other
    /// letters, so "Özlem" is looked for as "zlem"; `redact` then decides. `None` when no stretch of
    /// two characters is left: every text is then read.
    fn probe(&self) -> Option<String> {
        let plain = |c: char| c.is_ascii() && !matches!(c, '%' | '_' | '\\');
        let longest = self.text.split(|c: char| !plain(c)).max_by_key(|s| s.len()).unwrap_or_default();
        (longest.trim().len() >= 2).then(|| format!("%{}%", longest.trim()))
    }
}

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

/// Replaces every occurrence of the needles by [`REDACTED`]: the email anywhere, names as whole
/// words (see [`Needle`]).
pub fn redact(text: &str, needles: &[Needle]) -> String {
    let mut out = text.to_string();
    for needle in needles {
        for form in needle.forms().iter().filter(|f| !f.is_empty()) {
            out = replace(&out, form, needle.any_case, needle.text.contains('@'));
        }
    }
    out
}

/// One needle's form out of `text`. With `fold` the search runs on the text lowercased char by
/// char, with where each lowered byte's char began in the text: lowercasing may change a char's
/// length ('İ' becomes two chars, the Kelvin sign 'K' one byte less), so the lowered text's
/// positions are not the text's.
fn replace(text: &str, needle: &str, fold: bool, anywhere: bool) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, ch) in text.char_indices() {
        if fold {
            folded.extend(ch.to_lowercase());
        } else {
            folded.push(ch);
        }
        origin.resize(folded.len(), at);
    }
    origin.push(text.len());
    // A match must start and end where a char of the text does, not inside one char's lowering.
    let begins_a_char = |i: usize| i == 0 || origin[i] != origin[i - 1];
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let (mut result, mut last, mut from) = (String::with_capacity(text.len()), 0, 0);
    while let Some(pos) = folded[from..].find(needle).map(|p| p + from) {
        let end = pos + needle.len();
        let whole_chars = begins_a_char(pos) && begins_a_char(end);
        let before = &text[..origin[pos]];
        let whole_word =
            (!word(before.chars().next_back()) || after_an_escape(before)) && !word(text[origin[end]..].chars().next());
        if whole_chars && (anywhere || whole_word) {
            result.push_str(&text[last..origin[pos]]);
            result.push_str(REDACTED);
            last = origin[end];
        }
        from = end;
    }
    result.push_str(&text[last..]);
    result
}

/// Whether `before` ends in a JSON escape of a line break or tab (`\n`, `\r`, `\t`: a backslash,
/// itself not escaped, and a letter): texts kept as JSON (answers, an intake's notes, an audit
/// detail) write a name at the start of a line right after it, and the letter is no part of the
/// name's word.
fn after_an_escape(before: &str) -> bool {
    let b = before.as_bytes();
    let Some((&letter, rest)) = b.split_last() else { return false };
    let backslashes = rest.iter().rev().take_while(|&&ch| ch == b'\\').count();
    matches!(letter, b'n' | b'r' | b't') && backslashes % 2 == 1
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
    exec(c, &format!("DELETE FROM password_links WHERE user_id = {old}"))?;
    // Its own counters and those per client (see `clear_account`).
    crate::accounts::throttle::clear_account(c, &user.email)?;
    // Their mail, also that to an address they had before (by account), and any to their address
    // from before the account was kept with the mail; not another's to an address they have now.
    exec(
        c,
        &format!(
            "DELETE FROM outbox WHERE recipient_id = {old} OR (recipient_id IS NULL AND to_address = {})",
            quote(&user.email)
        ),
    )?;
    exec(c, &format!("DELETE FROM users WHERE id = {old}"))?;

    // Free text written about this person as an employee, and their own answers.
    scrub_trajectories(c, &format!("(SELECT id FROM trajectories WHERE employee_id = {new})"))?;
    for sql in [
        // A reflection written, and agreements made (`mark_agreements`), are counted by the
        // evaluation: the text goes, a mark stays ("aggregate counts kept without identity").
        format!(
            "UPDATE course_progress SET celebration = NULL, reflection = {} WHERE user_id = {new}",
            marker("reflection")
        ),
        format!("UPDATE page_progress SET answers = NULL WHERE user_id = {new}"),
        format!(
            "UPDATE past_course_progress SET celebration = NULL, reflection = {} WHERE user_id = {new}",
            marker("reflection")
        ),
        format!("UPDATE past_page_progress SET answers = NULL WHERE user_id = {new}"),
        format!("UPDATE buddy_pairs SET a_contact = NULL WHERE employee_a = {new}"),
        format!("UPDATE buddy_pairs SET b_contact = NULL WHERE employee_b = {new}"),
        format!("UPDATE questionnaire_responses SET open_answers = '{{}}' WHERE respondent_id = {new}"),
    ] {
        exec(c, &sql)?;
    }

    // Anywhere else in the organisation (other people's notes, facilitators' notes, mail): the
    // name and email, wherever written.
    scrub_texts(c, &Needle::of_user(&user), user.organization_id.as_deref())?;
    Ok((new_id, ended))
}

/// The free text of the trajectories `theirs` (an SQL list of ids) and what hangs off them:
/// notes, intake and plan texts, logbook texts and earlier versions, cards, visits, aftercare
/// notes, the notes of the intake factors and of the work values.
fn scrub_trajectories(c: &mut DbConnection, theirs: &str) -> Result<(), AppError> {
    for sql in [
        format!("UPDATE trajectories SET stop_note = NULL, inclusion_override_reason = NULL WHERE id IN {theirs}"),
        format!("UPDATE trajectory_events SET note = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE intakes SET goals = '{{}}', expectations = '{{}}' WHERE trajectory_id IN {theirs}"),
        format!("UPDATE plans SET help_needed = NULL, first_course_reason = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE logbook_entries SET impression = NULL, developments = NULL WHERE trajectory_id IN {theirs}"),
        format!("DELETE FROM logbook_revisions WHERE entry_id IN (SELECT id FROM logbook_entries WHERE trajectory_id IN {theirs})"),
        format!("UPDATE cards SET author_name = {r}, message = {r} WHERE trajectory_id IN {theirs}", r = quote(REDACTED)),
        format!("UPDATE workplace_visits SET with_whom = {r}, how_it_went = NULL WHERE trajectory_id IN {theirs}", r = quote(REDACTED)),
        format!("UPDATE aftercare_checkins SET note = NULL, skip_reason = NULL WHERE trajectory_id IN {theirs}"),
        format!("UPDATE questionnaire_responses SET open_answers = '{{}}' WHERE trajectory_id IN {theirs}"),
    ] {
        exec(c, &sql)?;
    }
    mark_agreements(c, theirs)?;
    redact_weighings(c, theirs)?;
    drop_notes(c, "intakes", "trajectory_id", "factors", theirs)?;
    drop_notes(c, "work_value_snapshots", "id", "card", theirs)
}

/// The weighings of the trajectories `theirs` with every text taken out (`Weighing::redacted`, as
/// `POST /logbook/{id}/redact` does): which pitfalls and factors they name stays, for the project
/// leaders' counts. One that cannot be read goes whole.
fn redact_weighings(c: &mut DbConnection, theirs: &str) -> Result<(), AppError> {
    use crate::logbook::routes::{parse_weighing, weighing_text};
    let rows: Vec<KeyText> = diesel::sql_query(format!(
        "SELECT id AS k, weighing AS v FROM logbook_entries WHERE weighing IS NOT NULL AND trajectory_id IN {theirs}"
    ))
    .load(c)?;
    for row in rows {
        let kept = match parse_weighing(Some(&row.v)).ok().flatten() {
            Some(w) => quote(&weighing_text(&w.redacted(REDACTED))?),
            None => "NULL".to_string(),
        };
        exec(c, &format!("UPDATE logbook_entries SET weighing = {kept} WHERE id = {}", quote(&row.k)))?;
    }
    Ok(())
}

/// `column` as [`REDACTED`] where it holds a text, NULL where it held none: the evaluation counts
/// a reflection that is there (`is_not_null`).
fn marker(column: &str) -> String {
    format!("CASE WHEN {column} IS NULL THEN NULL ELSE {} END", quote(REDACTED))
}

/// The agreements of the trajectories `theirs` as [`REDACTED`] where the evaluation counts them
/// (a text not blank as `str::trim` reads it, decided here the same way), NULL elsewhere.
fn mark_agreements(c: &mut DbConnection, theirs: &str) -> Result<(), AppError> {
    let rows: Vec<KeyText> = diesel::sql_query(format!(
        "SELECT id AS k, agreements AS v FROM logbook_entries WHERE agreements IS NOT NULL AND trajectory_id IN {theirs}"
    ))
    .load(c)?;
    for row in rows {
        let kept = if row.v.trim().is_empty() { "NULL".to_string() } else { quote(REDACTED) };
        exec(c, &format!("UPDATE logbook_entries SET agreements = {kept} WHERE id = {}", quote(&row.k)))?;
    }
    Ok(())
}

/// Redacts `needles` in every free-text column, within `organization` when the person has one.
fn scrub_texts(c: &mut DbConnection, needles: &[Needle], organization: Option<&str>) -> Result<(), AppError> {
    let (like, param) = match c {
        DbConnection::Pg(_) => ("ILIKE", "$1"),
        DbConnection::Sqlite(_) => ("LIKE", "?"),
    };
    let mut probes: Vec<Option<String>> = needles.iter().map(Needle::probe).collect();
    probes.sort();
    probes.dedup();
    // Without a probe every text is read once, and no probe is then needed.
    if probes.contains(&None) {
        probes = vec![None];
    }
    for (table, key, column, org) in FREE_TEXT {
        let within = match organization {
            Some(o) => format!(" AND ({org} IS NULL OR {org} = {})", quote(o), org = org.sql(table)),
            None => String::new(),
        };
        for probe in &probes {
            let sql = format!("SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL{within}");
            let rows: Vec<KeyText> = match probe {
                Some(p) => {
                    diesel::sql_query(format!("{sql} AND {column} {like} {param}")).bind::<Text, _>(p).load(c)?
                }
                None => diesel::sql_query(sql).load(c)?,
            };
            for row in rows {
                let cleaned = redact(&row.v, needles);
                if cleaned != row.v {
                    exec(
                        c,
                        &format!("UPDATE {table} SET {column} = {} WHERE {key} = {}", quote(&cleaned), quote(&row.k)),
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// Keeps the scores and circles (needed for counts) and drops the `note` of every entry of a JSON
/// map column (the intake's factors, the work values card) of the trajectories `theirs` (an SQL
/// list of ids).
fn drop_notes(c: &mut DbConnection, table: &str, key: &str, column: &str, theirs: &str) -> Result<(), AppError> {
    let rows: Vec<KeyText> =
        diesel::sql_query(format!("SELECT {key} AS k, {column} AS v FROM {table} WHERE trajectory_id IN {theirs}"))
            .load(c)?;
    for row in rows {
        let mut v: serde_json::Value = serde_json::from_str(&row.v).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.values_mut().for_each(|f| f["note"] = serde_json::Value::Null);
        }
        exec(c, &format!("UPDATE {table} SET {column} = {} WHERE {key} = {}", quote(&v.to_string()), quote(&row.k)))?;
    }
    Ok(())
}

/// A trajectory that is over for retention: ended (closed or stopped), or a proposal the person
/// never consented to (they declined and no one stopped it): nothing can be recorded on such a
/// proposal, so its last change is its last use.
macro_rules! over {
    () => {
        one_of(trajectories::status, ENDED)
            .or(trajectories::status.eq("proposed").and(trajectories::method_consent.eq(false)))
    };
}

/// Retention: employees whose every trajectory is over (see `over!`) since more than `days` ago, to be pseudonymised the same way, each by [`retain`] in a transaction of
/// their own.
pub fn retention_candidates(c: &mut DbConnection, days: i64) -> Result<Vec<String>, AppError> {
    use crate::db::schema::trajectories;
    let cutoff = now() - chrono::TimeDelta::days(days);
    Ok(trajectories::table
        .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
        .filter(users::erased_at.is_null())
        .filter(over!())
        .filter(trajectories::updated_at.lt(cutoff))
        .select(trajectories::employee_id)
        .distinct()
        .load(c)?)
}

/// Pseudonymises one candidate of [`retention_candidates`] if they still qualify: not back in
/// the method meanwhile, their data not in use again since (see [`in_use_since`]), and not erased
/// by another instance's housekeeping at the same moment (the person's row is locked first).
/// Returns whether they were.
pub fn retain(c: &mut DbConnection, employee: &str, days: i64) -> Result<bool, AppError> {
    use crate::db::schema::trajectories;
    let cutoff = now() - chrono::TimeDelta::days(days);
    accounts::lock_user(c, employee)?;
    let still_here = users::table.find(employee).filter(users::erased_at.is_null()).count().get_result::<i64>(c)? > 0;
    let recent: i64 = trajectories::table
        .filter(trajectories::employee_id.eq(employee))
        .filter(diesel::dsl::not(over!()).or(trajectories::updated_at.ge(cutoff)))
        .count()
        .get_result(c)?;
    if !still_here || recent > 0 || in_use_since(c, employee, cutoff)? {
        return Ok(false);
    }
    // Its ended sessions reach every instance through the worker's next round.
    erase_person(c, employee)?;
    // In the same transaction: no one pseudonymised without the entry that says so. It names no
    // one; the count of such entries is the count of people.
    let mut entry = crate::privacy::audit::AuditEntry::anonymous("retention.pseudonymised", "housekeeping", "");
    entry.detail(serde_json::json!({"people": 1, "retention_days": days}));
    crate::privacy::audit::write(c, &entry)?;
    Ok(true)
}

/// Whether the person's records show them back since `cutoff` without a trajectory yet: an
/// absence recorded or corrected (a new trajectory being weighed), work in a course, a buddy pair
/// that stands. Their data is in use, and retention waits until it is not.
fn in_use_since(c: &mut DbConnection, employee: &str, cutoff: chrono::NaiveDateTime) -> Result<bool, AppError> {
    use crate::db::schema::{absences, buddy_pairs, course_progress, page_progress};
    let absences: i64 = absences::table
        .filter(absences::employee_id.eq(employee))
        .filter(absences::updated_at.ge(cutoff))
        .count()
        .get_result(c)?;
    let learning: i64 = course_progress::table
        .filter(course_progress::user_id.eq(employee))
        .filter(course_progress::updated_at.ge(cutoff))
        .count()
        .get_result(c)?;
    let pages: i64 = page_progress::table
        .filter(page_progress::user_id.eq(employee))
        .filter(page_progress::updated_at.ge(cutoff))
        .count()
        .get_result(c)?;
    let pairs: i64 = buddy_pairs::table
        .filter(buddy_pairs::employee_a.eq(employee).or(buddy_pairs::employee_b.eq(employee)))
        .filter(buddy_pairs::status.ne("ended"))
        .count()
        .get_result(c)?;
    Ok(absences + learning + pages + pairs > 0)
}

#[cfg(test)]
mod tests {
    use super::{redact, Needle};

    fn any(text: &str) -> Needle {
        Needle { text: text.to_string(), any_case: true }
    }

    #[test]
    fn redacts_whole_words_and_emails() {
        let n = Needle::of("a.b@x.nl", "Jan", Some("de Vries"));
        assert_eq!(
            redact("Jan belde; JAN is blij. januari. mail A.B@x.nl. jan de vries, De Vries", &n),
            "[verwijderd] belde; [verwijderd] is blij. januari. mail [verwijderd]. [verwijderd], [verwijderd]"
        );
    }

    /// Texts kept as JSON write a line break as `\n`: a name after it is still a word of its own,
    /// in answers as in an intake's notes; an escaped backslash before an `n` is not a break.
    #[test]
    fn a_name_at_the_start_of_a_line_in_json_is_taken_out() {
        let n = Needle::of("jan@x.nl", "Jan", Some("de Vries"));
        let stored =
            serde_json::to_string(&serde_json::json!({"q1": "Fijn gesprek.\nJan hielp me.\n\tJan de Vries ook."}))
                .unwrap();
        let cleaned: serde_json::Value = serde_json::from_str(&redact(&stored, &n)).unwrap();
        assert_eq!(cleaned["q1"], "Fijn gesprek.\n[verwijderd] hielp me.\n\t[verwijderd] ook.");
        assert_eq!(
            redact(r"map c:\\nJan", &n),
            r"map c:\\nJan",
            "a backslash kept as JSON keeps it, then the letter n"
        );
        assert_eq!(redact("Rijnjan", &[any("jan")]), "Rijnjan");
    }

    /// A first or last name alone is taken out where it is written as a name, not where the same
    /// letters are an ordinary word.
    #[test]
    fn a_name_that_is_also_a_word_is_taken_out_as_a_name_only() {
        let n = Needle::of("ben.klein@x.nl", "Ben", Some("Klein"));
        assert_eq!(
            redact("Ik ben weer een klein stapje verder. Ben Klein belde; ben klein ook. BEN was blij, KLEIN ook.", &n),
            "Ik ben weer een klein stapje verder. [verwijderd] belde; [verwijderd] ook. [verwijderd] was blij, \
             [verwijderd] ook."
        );
        // Stored without a capital: the form as stored counts too.
        let n = Needle::of("x@y.nl", "roos", None);
        assert_eq!(
            redact("roos en Roos en ROOS en rozen", &n),
            "[verwijderd] en [verwijderd] en [verwijderd] en rozen"
        );
        // Stored in capitals, in lower case with a hyphen, or with the tussenvoegsel capitalised:
        // written as a name in a note, each is found.
        let n = Needle::of("x@y.nl", "JAN", Some("De Vries"));
        assert_eq!(redact("Jan belde; mevrouw de Vries ook.", &n), "[verwijderd] belde; mevrouw [verwijderd] ook.");
        let n = Needle::of("x@y.nl", "anne-marie", None);
        assert_eq!(redact("Anne-Marie was er.", &n), "[verwijderd] was er.");
    }

    /// An audit entry's detail names a buddy by id: the erased person's old id goes too.
    #[test]
    fn the_old_id_goes_from_details() {
        let user = crate::accounts::model::User {
            id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            email: "jan@x.nl".into(),
            first_name: "Jan".into(),
            last_name: None,
            role: "employee".into(),
            organization_id: None,
            password_hash: None,
            active: true,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
            erased_at: None,
        };
        let detail = r#"{"employee_b":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#;
        assert_eq!(redact(detail, &Needle::of_user(&user)), r#"{"employee_b":"[verwijderd]"}"#);
    }

    /// The database looks for a stretch of ASCII, which both compare without regard to case: a
    /// name starting with another letter is still found.
    #[test]
    fn the_database_is_asked_for_a_stretch_both_fold() {
        assert_eq!(any("Özlem").probe().as_deref(), Some("%zlem%"));
        assert_eq!(any("İbrahim Çelik").probe().as_deref(), Some("%brahim%"));
        assert_eq!(any("a_b@x.nl").probe().as_deref(), Some("%b@x.nl%"));
        assert_eq!(any("李明").probe(), None, "no stretch left: every text is read");
        let n = Needle::of("o.celik@x.nl", "Özlem", Some("Çelik"));
        // The name alone in lower case is an ordinary word to the search (see `Needle`).
        assert_eq!(
            redact("özlem en ÖZLEM Çelik, Özlem; ÇELIK", &n),
            "özlem en [verwijderd], [verwijderd]; [verwijderd]"
        );
    }

    /// Chars whose lowercase has another length before or around the name: 'İ' (2 bytes, lowered
    /// 3), the Kelvin sign (3 bytes, lowered 'k', 1), 'ẞ' (3, lowered 'ß', 2). The name is cut out
    /// exactly, and the text around it stays as it was.
    #[test]
    fn redacts_exactly_where_lowercasing_changes_lengths() {
        let n = vec![any("Jan")];
        assert_eq!(redact("İyi şanslar, groet van Jan", &n), "İyi şanslar, groet van [verwijderd]");
        assert_eq!(redact("\u{212A}\u{212A} Jan \u{1E9E}!", &n), "\u{212A}\u{212A} [verwijderd] \u{1E9E}!");
        assert_eq!(redact("İİİ Jan, JAN en İjan", &n), "İİİ [verwijderd], [verwijderd] en İjan");
        // A needle that only matches inside one char's lowering is no match: 'İ' lowers to "i̇".
        assert_eq!(redact("İ", &[any("i")]), "İ");
        assert_eq!(redact("İ is", &[any("i\u{307}")]), "[verwijderd] is");
        assert_eq!(redact("", &n), "");
        assert_eq!(redact("Jan", &[any("")]), "Jan");
    }
}
