//! The persons a list showed, for the audit log.
//!
//! A coach's list of 50 trajectories is a read of 50 people's data, and each of them must find it
//! in their inzage. One audit row per person would make every list read 50 inserts on the one
//! writer; but a list is mostly read again as it was (the same coach, the same employees). So the
//! persons are stored once as a set, under an id derived from its members, and every entry that
//! showed exactly them names that id (`audit_log.subject_set`).

use std::collections::BTreeMap;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::one_of::one_of;
use crate::db::schema::audit_subject_sets;
use crate::db::{on_backend, DbConnection};
use crate::error::AppError;

/// The id of a set: a hash of its members, sorted and without repeats (as `members` must be).
/// It names nobody: the ids it is made of are random, and erasure re-keys the members it holds.
pub fn set_id(members: &[String]) -> String {
    let mut hash = Sha256::new();
    for m in members {
        hash.update(m.as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(first).simple().to_string()
}

/// Stores the set of `members` (sorted, without repeats) unless it is stored already, inside the
/// caller's transaction, and returns its id.
pub fn record(conn: &mut DbConnection, members: &[String]) -> Result<String, AppError> {
    debug_assert!(members.windows(2).all(|w| w[0] < w[1]), "members sorted and unique");
    let id = set_id(members);
    let known = audit_subject_sets::table
        .filter(audit_subject_sets::set_id.eq(&id))
        .select(audit_subject_sets::subject_id)
        .first::<String>(conn)
        .optional()?;
    if known.is_none() {
        let rows: Vec<_> = members
            .iter()
            .map(|m| (audit_subject_sets::set_id.eq(&id), audit_subject_sets::subject_id.eq(m)))
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
    use super::set_id;

    #[test]
    fn a_set_id_depends_on_the_members_only() {
        let ab = set_id(&["a".into(), "b".into()]);
        assert_eq!(ab, set_id(&["a".into(), "b".into()]));
        assert_eq!(ab.len(), 32);
        assert_ne!(ab, set_id(&["a".into(), "c".into()]));
        // The separator keeps ["ab"] and ["a", "b"] apart.
        assert_ne!(ab, set_id(&["ab".into()]));
        assert_ne!(set_id(&["a".into()]), set_id(&[]));
    }
}
