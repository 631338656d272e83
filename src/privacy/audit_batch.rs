//! Group commit for the audit entries of reads.
//!
//! Every read of another person's data leaves an entry, so a staff list read is also a write.
//! Written one by one, each entry cost a transaction of its own (a WAL flush on PostgreSQL, the
//! single write lock on SQLite) and reads queued behind each other. Here one thread commits all
//! entries that arrive together in one transaction; each read still answers only after its entry
//! is durable, so no read goes unrecorded.
//!
//! A batch stays open a moment (at most [`WINDOW`]) while other reads that will leave an entry
//! are still running, so that under load one commit carries many entries instead of a handful: a
//! read alone still commits at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::r2d2::Pool;
use diesel::Connection;
use parking_lot::FairMutex;
use tokio::sync::oneshot;

use super::audit::{self, AuditEntry};
use crate::db::{DbConnection, Manager};
use crate::error::AppError;

/// Entries per transaction at most: bounds the time one batch holds the SQLite write lock.
const MAX_BATCH: usize = 256;

/// How long a batch waits at most for the entries of reads still running: a coach's list at 64
/// connections on SQLite then had a p99 of 12-15 ms instead of 18-21 ms (bench/NOTES.md).
pub const WINDOW: Duration = Duration::from_millis(1);

/// An entry on its way to the committing thread.
struct Job {
    entry: AuditEntry,
    done: oneshot::Sender<bool>,
    /// Its read's count, released when the committing thread takes the entry off the queue.
    running: Option<Running>,
}

impl Job {
    /// Taken off the queue: its read no longer counts as running. Released here rather than by
    /// the sender, so a batch never waits for an entry it already holds.
    fn taken(mut self) -> Job {
        self.running = None;
        self
    }
}

#[derive(Clone)]
pub struct Batcher {
    jobs: Sender<Job>,
    /// Reads running now that will submit an entry (see [`Batcher::reading`]).
    running: Arc<AtomicUsize>,
}

/// Counts a read as running until its entry is taken off the queue, or until it is dropped (the
/// read failed or concerned nobody else): until then the batch being collected may wait for it.
pub struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Batcher {
    /// Starts the committing thread; it ends when the last `Batcher` clone is dropped.
    pub fn start(pool: Pool<Manager>, writer: Option<Arc<FairMutex<()>>>) -> Batcher {
        let (jobs, queue) = mpsc::channel();
        let running = Arc::new(AtomicUsize::new(0));
        let count = running.clone();
        let spawned =
            std::thread::Builder::new().name("audit-batch".into()).spawn(move || run(&pool, writer, queue, &count));
        if let Err(e) = spawned {
            // Without the thread every submit fails (503): reads are refused rather than left
            // unrecorded.
            tracing::error!(error = %e, "cannot start the audit thread");
        }
        Batcher { jobs, running }
    }

    /// Call before a read whose entry will be submitted, and hand the guard to [`Batcher::submit`].
    pub fn reading(&self) -> Running {
        self.running.fetch_add(1, Ordering::AcqRel);
        Running(self.running.clone())
    }

    /// Queues the entry and waits until it is committed.
    pub async fn submit(&self, entry: AuditEntry, running: Option<Running>) -> Result<(), AppError> {
        let (done, committed) = oneshot::channel();
        self.jobs.send(Job { entry, done, running }).map_err(|_| AppError::Unavailable)?;
        match committed.await {
            Ok(true) => Ok(()),
            _ => Err(AppError::Unavailable),
        }
    }
}

fn run(pool: &Pool<Manager>, writer: Option<Arc<FairMutex<()>>>, queue: Receiver<Job>, running: &AtomicUsize) {
    while let Ok(first) = queue.recv() {
        let batch = collect(first, &queue, running, WINDOW);
        // The writer lock first, then the connection (the order of `DbPool::write`).
        let _queued = writer.as_ref().map(|m| m.lock());
        let ok = match pool.get() {
            Ok(mut conn) => commit(&mut conn, &batch),
            Err(e) => {
                tracing::error!(error = %e, "no database connection for audit entries");
                false
            }
        };
        for job in batch {
            // The reader may have gone (client disconnected); its entry is written all the same.
            let _ = job.done.send(ok);
        }
    }
}

/// The entries of one transaction: `first`, whatever is queued, and while reads are still running
/// what arrives until `window` has passed, up to [`MAX_BATCH`].
fn collect(first: Job, queue: &Receiver<Job>, running: &AtomicUsize, window: Duration) -> Vec<Job> {
    let mut batch = vec![first.taken()];
    let closes = Instant::now() + window;
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => {
                batch.push(job.taken());
                continue;
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        let left = closes.saturating_duration_since(Instant::now());
        if running.load(Ordering::Acquire) == 0 || left.is_zero() {
            break;
        }
        // Woken by the next entry; a running read that ends without one (an error, or nobody
        // else's data after all) leaves the batch to close at the end of the window.
        match queue.recv_timeout(left) {
            Ok(job) => batch.push(job.taken()),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    batch
}

fn commit(conn: &mut DbConnection, batch: &[Job]) -> bool {
    let result = conn.transaction(|c| {
        for job in batch {
            audit::write(c, &job.entry)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Long enough that a test which waited for the window would visibly hang, not pass.
    const FOREVER: Duration = Duration::from_secs(600);

    /// A batcher without its committing thread: the tests play that part with `collect`.
    fn batcher() -> (Batcher, Receiver<Job>) {
        let (jobs, queue) = mpsc::channel();
        (Batcher { jobs, running: Arc::new(AtomicUsize::new(0)) }, queue)
    }

    /// An entry named by its request id, from a read counted by `running` (or not counted).
    fn job(request_id: &str, running: Option<Running>) -> Job {
        let entry = AuditEntry::anonymous("GET /api/v1/trajectories", "/api/v1/trajectories", request_id);
        Job { entry, done: oneshot::channel().0, running }
    }

    /// `collect` on another thread; the request ids of its batch, or a failure after a generous
    /// wait instead of a test that hangs for the whole window.
    fn collect_in_thread(b: &Batcher, first: Job, queue: Receiver<Job>) -> Vec<String> {
        let (answer, batch) = mpsc::channel();
        let running = b.running.clone();
        std::thread::spawn(move || {
            let ids = collect(first, &queue, &running, FOREVER).into_iter().map(|j| j.entry.request_id);
            answer.send(ids.collect::<Vec<_>>())
        });
        batch.recv_timeout(Duration::from_secs(30)).expect("the batch closed")
    }

    #[test]
    fn with_no_read_running_the_batch_is_what_is_queued() {
        let (b, queue) = batcher();
        b.jobs.send(job("2", None)).unwrap();
        b.jobs.send(job("3", None)).unwrap();
        // `b.jobs` stays open: the batch closes because no read runs, not because the queue ended.
        assert_eq!(collect_in_thread(&b, job("1", None), queue), ["1", "2", "3"]);
    }

    #[test]
    fn the_batch_waits_for_the_entries_of_running_reads() {
        let (b, queue) = batcher();
        let first = job("1", Some(b.reading()));
        let (second, third) = (b.reading(), b.reading());
        let jobs = b.jobs.clone();
        std::thread::spawn(move || {
            for (id, read) in [("2", second), ("3", third)] {
                std::thread::sleep(Duration::from_millis(20));
                jobs.send(job(id, Some(read))).unwrap();
            }
        });
        assert_eq!(collect_in_thread(&b, first, queue), ["1", "2", "3"]);
        assert_eq!(b.running.load(Ordering::Acquire), 0, "taken entries no longer count");
    }

    #[test]
    fn a_full_batch_closes_while_reads_still_run() {
        let (b, queue) = batcher();
        let _still_running = b.reading();
        for i in 1..=MAX_BATCH + 10 {
            b.jobs.send(job(&i.to_string(), None)).unwrap();
        }
        let batch = collect_in_thread(&b, job("0", None), queue);
        assert_eq!(batch, (0..MAX_BATCH).map(|i| i.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn a_read_that_leaves_no_entry_stops_counting_when_its_guard_goes() {
        let (b, _queue) = batcher();
        let (first, second) = (b.reading(), b.reading());
        assert_eq!(b.running.load(Ordering::Acquire), 2);
        drop(first);
        drop(second);
        assert_eq!(b.running.load(Ordering::Acquire), 0);
    }
}
