//! The audit log: who read or changed whose data, when, through which route. Entries are written
//! in the same transaction as the work they describe (see `db::tx`), and only ever inserted.

use diesel::prelude::*;

use super::subject_sets;
use crate::db::schema::audit_log;
use crate::db::{new_id_at, now, on_backend, DbConnection};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub organization_id: Option<String>,
    /// "<METHOD> <route pattern>", or a named event such as "login.failed".
    pub action: String,
    pub subject_id: Option<String>,
    pub route: String,
    pub request_id: String,
    pub detail: Option<serde_json::Value>,
    /// The persons a list showed (see [`AuditEntry::shows`]).
    pub listed: Vec<String>,
    /// A GET: reads of one's own data are not worth an entry (see `worth_writing`).
    pub is_read: bool,
}

impl AuditEntry {
    pub fn anonymous(action: &str, route: &str, request_id: &str) -> AuditEntry {
        AuditEntry {
            actor_id: None,
            actor_role: None,
            organization_id: None,
            action: action.to_string(),
            subject_id: None,
            route: route.to_string(),
            request_id: request_id.to_string(),
            detail: None,
            listed: Vec::new(),
            is_read: false,
        }
    }

    /// Names the person whose data this is about.
    pub fn about(&mut self, person_id: &str) {
        self.subject_id = Some(person_id.to_string());
    }

    /// Data of a trajectory: about its employee, in its organisation.
    pub fn about_trajectory(&mut self, employee_id: &str, org_id: &str) {
        self.about(employee_id);
        self.in_org(org_id);
    }

    /// An account's data: about the person, in their organisation if they have one, so that its
    /// project leaders also see an admin's reads and changes of the account.
    pub fn about_user(&mut self, user_id: &str, org_id: Option<&str>) {
        self.about(user_id);
        if let Some(o) = org_id {
            self.in_org(o);
        }
    }

    /// The organisation the data belongs to (project leaders read their organisation's log).
    pub fn in_org(&mut self, org_id: &str) {
        self.organization_id = Some(org_id.to_string());
    }

    /// A person a list showed: the entry is about them too, and their inzage shows it. Stored as
    /// a set (`subject_sets`), without the caller and without `subject_id`.
    pub fn shows(&mut self, person_id: &str) {
        self.listed.push(person_id.to_string());
    }

    /// The persons listed besides the caller and the subject: sorted, without repeats.
    fn others_listed(&self) -> Vec<&str> {
        let mut others: Vec<&str> = self
            .listed
            .iter()
            .filter(|p| Some(*p) != self.actor_id.as_ref() && Some(*p) != self.subject_id.as_ref())
            .map(String::as_str)
            .collect();
        others.sort_unstable();
        others.dedup();
        others
    }

    pub fn detail(&mut self, detail: serde_json::Value) {
        self.detail = Some(detail);
    }

    pub fn named(mut self, action: &str) -> AuditEntry {
        self.action = action.to_string();
        self
    }

    /// Every write, and every read of other people's data. A read about no one in particular is
    /// a list: other people's data for staff (even when it lists nobody: the search itself is
    /// worth knowing), one's own for an employee (their lists are theirs).
    pub fn worth_writing(&self) -> bool {
        if !self.is_read {
            return true;
        }
        let someone_else = |p: &String| Some(p) != self.actor_id.as_ref();
        match &self.subject_id {
            Some(subject) => someone_else(subject) || self.listed.iter().any(someone_else),
            None => self.actor_role.as_deref() != Some("employee") || self.listed.iter().any(someone_else),
        }
    }
}

/// Inserts the entry (inside the caller's transaction).
pub fn write(conn: &mut DbConnection, e: &AuditEntry) -> Result<(), AppError> {
    write_knowing(conn, e, None).map(|_| ())
}

/// Inserts the entry, skipping the lookup of a set in `known`; returns the id of the set of
/// persons it names, if any (for `known`, once the transaction has committed).
pub fn write_knowing(
    conn: &mut DbConnection,
    e: &AuditEntry,
    known: Option<&subject_sets::Known>,
) -> Result<Option<String>, AppError> {
    if !e.worth_writing() {
        return Ok(None);
    }
    let others = e.others_listed();
    let subject_set = if others.is_empty() { None } else { Some(subject_sets::record(conn, &others, known)?) };
    // The id is a UUIDv7 of `at`: on SQLite the list finds a range of days as a range of ids
    // (`privacy::routes::audit_page`).
    let at = now();
    let insert = diesel::insert_into(audit_log::table).values((
        audit_log::id.eq(new_id_at(at)),
        audit_log::at.eq(at),
        audit_log::actor_id.eq(&e.actor_id),
        audit_log::actor_role.eq(&e.actor_role),
        audit_log::action.eq(&e.action),
        audit_log::subject_id.eq(&e.subject_id),
        audit_log::organization_id.eq(&e.organization_id),
        audit_log::route.eq(&e.route),
        audit_log::request_id.eq(&e.request_id),
        audit_log::detail.eq(e.detail.as_ref().map(|d| d.to_string())),
        audit_log::subject_set.eq(&subject_set),
    ));
    // On the backend's own connection (see `db::on_backend`): every staff read and every write
    // makes one.
    on_backend!(conn, c => insert.execute(c))?;
    Ok(subject_set)
}
