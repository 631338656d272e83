//! SQLite WAL checkpoints on a thread of their own.
//!
//! Left to SQLite, the connection whose commit takes the WAL past 1,000 pages copies the WAL back
//! into the database file and flushes it inside that COMMIT, while it holds the one write lock
//! that every other writer queues for. Pool connections leave checkpoints to this thread, which
//! runs a PASSIVE checkpoint (it never waits for readers or writers) a few times a second. Should
//! the thread fall behind, a commit still checkpoints once the WAL is far larger (`FALLBACK_PAGES`).
//!
//! Measured with `bench/compare` (three alternating rounds, 10,000 trajectories, 64 connections):
//! page saves 4,354 to 5,609 req/s (1.29x), the coach's list 1.05x; the page saves' p99 rose from
//! 27 to 38 ms, and a 50 ms interval did not bring it down (see `bench/NOTES.md`).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use diesel::sqlite::SqliteConnection;
use diesel::RunQueryDsl;
use parking_lot::Mutex;

/// How often the thread checkpoints: at a thousand audit entries a second the WAL grows by about
/// a hundred pages in this time.
const INTERVAL: Duration = Duration::from_millis(250);

/// A commit checkpoints by itself only past this many WAL pages (40 MB at 4 KB pages).
pub const FALLBACK_PAGES: i64 = 10_000;

/// Runs checkpoints until the last clone is dropped.
#[derive(Clone)]
pub struct Checkpointer {
    _alive: Sender<()>,
    last: Arc<Mutex<Option<WalState>>>,
}

/// What the last checkpoint reported: frames in the WAL, and how many of them are in the
/// database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct WalState {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[diesel(column_name = log)]
    pub frames: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[diesel(column_name = checkpointed)]
    pub copied: i64,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to `path`. `None` when the thread could not
    /// start: commits then checkpoint by themselves (see `FALLBACK_PAGES`).
    pub fn start(path: &str, exclusive: bool) -> Option<Checkpointer> {
        let (alive, stopped) = mpsc::channel::<()>();
        let last = Arc::new(Mutex::new(None));
        let reported = last.clone();
        let path = path.to_string();
        let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
            let mut conn: Option<SqliteConnection> = None;
            // After the pool is gone it checkpoints once more, so a stopped server leaves a short WAL.
            loop {
                let stop = !matches!(stopped.recv_timeout(INTERVAL), Err(RecvTimeoutError::Timeout));
                if conn.is_none() {
                    conn = super::sqlite_connection(&path, exclusive)
                        .map_err(|e| tracing::warn!(error = %e, "no connection for WAL checkpoints yet"))
                        .ok();
                }
                if let Some(c) = conn.as_mut() {
                    match checkpoint(c) {
                        Ok(state) => *reported.lock() = Some(state),
                        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                    }
                }
                if stop {
                    break;
                }
            }
        });
        match spawned {
            Ok(_) => Some(Checkpointer { _alive: alive, last }),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the WAL checkpoint thread");
                None
            }
        }
    }

    /// What the thread's last checkpoint reported (`None` before the first).
    pub fn last(&self) -> Option<WalState> {
        *self.last.lock()
    }
}

/// One PASSIVE checkpoint: copies what no reader still needs and never waits for a lock.
fn checkpoint(conn: &mut SqliteConnection) -> Result<WalState, diesel::result::Error> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::db::{build_pool, DbTarget};

    #[derive(diesel::QueryableByName)]
    struct AutoCheckpoint {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        wal_autocheckpoint: i64,
    }

    /// Commits of pool connections leave the WAL to the thread, which copies all of it.
    #[test]
    fn the_thread_checkpoints_what_the_pool_writes() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        let pool = build_pool(&target, 2, Duration::from_secs(2));
        let mut conn = pool.get().unwrap();
        let auto: AutoCheckpoint = diesel::sql_query("PRAGMA wal_autocheckpoint").get_result(&mut *conn).unwrap();
        assert_eq!(auto.wal_autocheckpoint, FALLBACK_PAGES);
        // About 500 pages: far below the fallback, so only the thread can have copied them.
        conn.batch_execute(
            "CREATE TABLE t (x TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO t SELECT hex(randomblob(500)) FROM n;",
        )
        .unwrap();
        drop(conn);
        let thread = pool.checkpointer.clone().expect("a checkpoint thread for SQLite");
        let started = std::time::Instant::now();
        let done = |s: Option<WalState>| s.is_some_and(|s| s.frames > 400 && s.copied == s.frames);
        while !done(thread.last()) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(done(thread.last()), "WAL not checkpointed by the thread: {:?}", thread.last());
    }
}
