//! The persons a list showed, for the audit log.
//!
//! A coach's list of 50 trajectories is a read of 50 people's data, and each of them must find it
//! in their inzage. One audit row per person would make every list read 50 inserts on the one
//! writer; but a list is mostly read again as it was (the same coach, the same employees). So the
//! persons are stored once as a set, under an id derived from its members, and every entry that
//! showed exactly them names that id (`audit_log.subject_set`).

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::one_of::one_of;
use crate::db::schema::audit_subject_sets;
use crate::db::{on_backend, DbConnection};
use crate::error::AppError;

/// The id of a set: a hash of its members, sorted and without repeats (as `members` must be).
/// It names nobody: the ids it is made of are random, and erasure re-keys the members it holds.
pub fn set_id<S: AsRef<str>>(members: &[S]) -> String {
    let mut hash = Sha256::new();
    for m in members {
        hash.update(m.as_ref().as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(first).simple().to_string()
}

/// Ids of sets known to be stored and committed. The thread that commits the entries of reads
/// keeps them, so that a list read again costs no lookup of its set: without it a coach's list on
/// SQLite answered 0.92x the reads per second of a build without sets (bench/NOTES.md).
#[derive(Default)]
pub struct Known(HashSet<String>);

/// Sets remembered at most (about 100 bytes each); then it starts over.
const KNOWN_MAX: usize = 10_000;

impl Known {
    /// After the transaction that stored or found `ids` has committed.
    pub fn add(&mut self, ids: Vec<String>) {
        if self.0.len() + ids.len() > KNOWN_MAX {
            self.0.clear();
        }
        self.0.extend(ids);
    }
}

/// Stores the set of `members` (sorted, without repeats) unless it is stored already, inside the
/// caller's transaction, and returns its id.
pub fn record(conn: &mut DbConnection, members: &[&str], known: Option<&Known>) -> Result<String, AppError> {
    debug_assert!(members.windows(2).all(|w| w[0] < w[1]), "members sorted and unique");
    let id = set_id(members);
    if known.is_some_and(|k| k.0.contains(&id)) {
        return Ok(id);
    }
    let stored = audit_subject_sets::table
        .filter(audit_subject_sets::set_id.eq(&id))
        .select(audit_subject_sets::subject_id)
        .first::<String>(conn)
        .optional()?;
    if stored.is_none() {
        let rows: Vec<_> = members
            .iter()
            .map(|m| (audit_subject_sets::set_id.eq(&id), audit_subject_sets::subject_id.eq(*m)))
            .collect();
        // Two PostgreSQL transactions may store the same new set at once: the second finds it there.
        on_backend!(conn, c => diesel::insert_into(audit_subject_sets::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(id)
}

/// The sets `person` is a member of.
pub fn sets_of(conn: &mut DbConnection, person: &str) -> Result<Vec<String>, AppError> {
    Ok(audit_subject_sets::table
        .filter(audit_subject_sets::subject_id.eq(person))
        .select(audit_subject_sets::set_id)
        .load(conn)?)
}

/// The members of each of `sets`, sorted.
pub fn members(conn: &mut DbConnection, sets: &[&str]) -> Result<BTreeMap<String, Vec<String>>, AppError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if sets.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String)> = audit_subject_sets::table
        .filter(one_of(audit_subject_sets::set_id, sets))
        .order((audit_subject_sets::set_id, audit_subject_sets::subject_id))
        .select((audit_subject_sets::set_id, audit_subject_sets::subject_id))
        .load(conn)?;
    for (set, member) in rows {
        out.entry(set).or_default().push(member);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{set_id, Known, KNOWN_MAX};

    #[test]
    fn a_set_id_depends_on_the_members_only() {
        let ab = set_id(&["a", "b"]);
        assert_eq!(ab, set_id(&["a".to_string(), "b".to_string()]));
        assert_eq!(ab.len(), 32);
        assert_ne!(ab, set_id(&["a", "c"]));
        // The separator keeps ["ab"] and ["a", "b"] apart.
        assert_ne!(ab, set_id(&["ab"]));
        assert_ne!(set_id(&["a"]), set_id::<&str>(&[]));
    }

    #[test]
    fn known_sets_stay_bounded() {
        let mut known = Known::default();
        known.add(vec!["x".into()]);
        assert!(known.0.contains("x"));
        known.add((0..KNOWN_MAX).map(|i| i.to_string()).collect());
        assert!(!known.0.contains("x"), "started over");
        assert_eq!(known.0.len(), KNOWN_MAX);
    }
}
