//! Group commit for the audit entries of reads.
//!
//! Every read of another person's data leaves an entry, so a staff list read is also a write.
//! Written one by one, each entry cost a transaction of its own (a WAL flush on PostgreSQL, the
//! single write lock on SQLite) and reads queued behind each other. Here one thread commits all
//! entries that arrive together in one transaction; each read still answers only after its entry
//! is durable, so no read goes unrecorded.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use diesel::r2d2::Pool;
use diesel::Connection;
use parking_lot::FairMutex;
use tokio::sync::oneshot;

use super::audit::{self, AuditEntry};
use crate::db::{DbConnection, Manager};
use crate::error::AppError;

/// Entries per transaction at most: bounds the time one batch holds the SQLite write lock.
const MAX_BATCH: usize = 256;

type Job = (AuditEntry, oneshot::Sender<bool>);

#[derive(Clone)]
pub struct Batcher {
    jobs: Sender<Job>,
}

impl Batcher {
    /// Starts the committing thread; it ends when the last `Batcher` clone is dropped.
    pub fn start(pool: Pool<Manager>, writer: Option<Arc<FairMutex<()>>>) -> Batcher {
        let (jobs, queue) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("audit-batch".into()).spawn(move || run(&pool, writer, queue));
        if let Err(e) = spawned {
            // Without the thread every submit fails (503): reads are refused rather than left
            // unrecorded.
            tracing::error!(error = %e, "cannot start the audit thread");
        }
        Batcher { jobs }
    }

    pub async fn submit(&self, entry: AuditEntry) -> Result<(), AppError> {
        let (done, committed) = oneshot::channel();
        self.jobs.send((entry, done)).map_err(|_| AppError::Unavailable)?;
        match committed.await {
            Ok(true) => Ok(()),
            _ => Err(AppError::Unavailable),
        }
    }
}

fn run(pool: &Pool<Manager>, writer: Option<Arc<FairMutex<()>>>, queue: Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        // The writer lock first, then the connection (the order of `DbPool::write`).
        let _queued = writer.as_ref().map(|m| m.lock());
        let ok = match pool.get() {
            Ok(mut conn) => commit(&mut conn, &batch),
            Err(e) => {
                tracing::error!(error = %e, "no database connection for audit entries");
                false
            }
        };
        for (_, done) in batch {
            // The reader may have gone (client disconnected); its entry is written all the same.
            let _ = done.send(ok);
        }
    }
}

fn commit(conn: &mut DbConnection, batch: &[Job]) -> bool {
    let result = conn.transaction(|c| {
        for (entry, _) in batch {
            audit::write(c, entry)?;
        }
        Ok::<_, AppError>(())
    });
    match result {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, entries = batch.len(), "audit entries not written");
            false
        }
    }
}
