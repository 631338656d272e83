//! Sessions that ended before their access tokens run out (logout, password change,
//! deactivation, erasure, a reused refresh token).
//!
//! Access tokens are checked without the database, so without this list a token kept working for
//! up to its lifetime after a logout. Each instance keeps the sessions ended within the last
//! access-token lifetime in memory: the ones it ended itself at once, those of other instances
//! and of the command line from `ended_sessions` on every worker round.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::schema::ended_sessions;
use crate::db::{now, DbConnection};
use crate::error::AppError;

/// Records in the caller's transaction that `sessions` ended, so that a rollback leaves no trace.
pub fn record(c: &mut DbConnection, sessions: &[String]) -> Result<(), AppError> {
    let t = now();
    for s in sessions {
        diesel::insert_into(ended_sessions::table)
            .values((ended_sessions::session_id.eq(s), ended_sessions::ended_at.eq(t)))
            .execute(c)?;
    }
    Ok(())
}

/// Housekeeping: rows older than a day are of no use, since no access token lives that long.
pub fn prune(c: &mut DbConnection) -> Result<usize, AppError> {
    Ok(diesel::delete(ended_sessions::table.filter(ended_sessions::ended_at.lt(now() - TimeDelta::days(1))))
        .execute(c)?)
}

pub struct Revocations {
    ended: RwLock<HashMap<String, NaiveDateTime>>,
    /// An access token of a session ended at T expires before T + its lifetime; one minute more
    /// for clocks of other instances.
    keep: TimeDelta,
}

impl Revocations {
    pub fn new(access_token_minutes: i64) -> Revocations {
        Revocations { ended: RwLock::new(HashMap::new()), keep: TimeDelta::minutes(access_token_minutes + 1) }
    }

    pub fn is_ended(&self, session_id: &str) -> bool {
        self.read().contains_key(session_id)
    }

    /// Sessions this instance just ended (after their transaction committed).
    pub fn add(&self, sessions: Vec<String>) {
        if sessions.is_empty() {
            return;
        }
        let t = now();
        let mut ended = self.write();
        ended.extend(sessions.into_iter().map(|s| (s, t)));
        self.forget_old(&mut ended);
    }

    /// Reads the sessions ended within the access-token lifetime, by any instance.
    pub fn sync(&self, c: &mut DbConnection) -> Result<(), AppError> {
        let rows: Vec<(String, NaiveDateTime)> = ended_sessions::table
            .filter(ended_sessions::ended_at.ge(now() - self.keep))
            .select((ended_sessions::session_id, ended_sessions::ended_at))
            .load(c)?;
        let mut ended = self.write();
        // A union, not a replacement: a session this instance ended while the query ran stays.
        for (session, at) in rows {
            ended.entry(session).or_insert(at);
        }
        self.forget_old(&mut ended);
        Ok(())
    }

    fn forget_old(&self, ended: &mut HashMap<String, NaiveDateTime>) {
        let oldest = now() - self.keep;
        ended.retain(|_, at| *at >= oldest);
    }

    // A panic while holding the lock cannot leave the map half-changed, so a poisoned lock is
    // still good to use.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, NaiveDateTime>> {
        self.ended.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, NaiveDateTime>> {
        self.ended.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_sessions_are_refused_until_their_tokens_would_have_expired() {
        let r = Revocations::new(15);
        assert!(!r.is_ended("s1"));
        r.add(vec!["s1".into()]);
        assert!(r.is_ended("s1") && !r.is_ended("s2"));
        // Entries older than the lifetime are forgotten on the next change.
        r.write().insert("old".into(), now() - TimeDelta::minutes(17));
        r.add(vec!["s2".into()]);
        assert!(!r.is_ended("old") && r.is_ended("s1") && r.is_ended("s2"));
    }
}
