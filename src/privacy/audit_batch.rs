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
//! read alone still commits at once. What closes a batch and what wakes the thread: [`Shared`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::r2d2::Pool;
use diesel::Connection;
use parking_lot::{Condvar, FairMutex, Mutex};
use tokio::sync::oneshot;

use super::audit::{self, AuditEntry};
use super::subject_sets;
use crate::db::{DbConnection, Manager};
use crate::error::AppError;

/// Entries per transaction at most: bounds the time one batch holds the SQLite write lock.
const MAX_BATCH: usize = 256;

/// How long a batch waits at most for the entries of reads still running: a coach's list at 64
/// connections on SQLite then had a p99 of 12-15 ms instead of 18-21 ms (bench/NOTES.md).
pub const WINDOW: Duration = Duration::from_millis(1);

/// From this many entries a second on, the thread counts as busy (see [`Shared`]).
const BUSY_PER_SECOND: f64 = 12_000.0;

/// How often the thread measures whether it is busy.
const PACE_PERIOD: Duration = Duration::from_millis(10);

/// While busy, a batch closes early once this long has brought no new entry.
const QUIET: Duration = Duration::from_micros(120);

/// An entry on its way to the committing thread.
struct Job {
    entry: AuditEntry,
    done: oneshot::Sender<bool>,
}

/// What the requests and the committing thread share.
///
/// The thread is woken when a batch can start (the first entry while it is idle) or is full.
/// Otherwise it depends on how busy it is:
/// - At a quiet pace, also when the last running read has queued its entry or ended without one:
///   a batch waits for reads that are about to leave an entry, and no longer.
/// - When busy, by no single entry: the batch stays open for its window, and closes early when
///   [`QUIET`] brings nothing new or no read is running. Reads on SQLite run on the two HTTP
///   workers, so "the last running read" was nearly every entry; the thread, woken for each one,
///   spent 28% of its time waiting and being scheduled again, and the requests 5% waking it
///   (perf, a coach's list at 64 connections, bench/NOTES.md). At a quiet pace a window held open
///   would only delay the few waiting requests: 4 connections got 0.4x the reads per second.
struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Reads running now that will submit an entry (see [`Batcher::reading`]).
    running: AtomicUsize,
    /// Set by the thread from the entries it took in the last [`PACE_PERIOD`].
    busy: AtomicBool,
}

struct Queue {
    jobs: Vec<Job>,
    /// The committing thread waits for a first entry (not for the rest of a batch).
    idle: bool,
    /// Every `Batcher` is gone (or the thread never started): no more entries are accepted.
    closed: bool,
}

impl Shared {
    fn new() -> Arc<Shared> {
        let queue = Queue { jobs: Vec::new(), idle: false, closed: false };
        Arc::new(Shared {
            queue: Mutex::new(queue),
            wake: Condvar::new(),
            running: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
        })
    }

    fn close(&self) {
        self.queue.lock().closed = true;
        self.wake.notify_one();
    }

    fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }
}

/// Closes the queue when the last `Batcher` clone is dropped; the thread ends once it is empty.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[derive(Clone)]
pub struct Batcher {
    handle: Arc<Handle>,
}

/// Counts a read as running until its entry is queued, or until it is dropped (the read failed or
/// concerned nobody else): until then the batch being collected may wait for it.
pub struct Running(Option<Arc<Shared>>);

impl Running {
    /// No longer running, with the queue's lock held by the caller: true if it was the last one.
    fn release(mut self) -> bool {
        self.0.take().is_some_and(|s| s.running.fetch_sub(1, Ordering::AcqRel) == 1)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            if shared.running.fetch_sub(1, Ordering::AcqRel) == 1 && !shared.busy() {
                // The batch being collected need not wait out its window for this read. Under the
                // lock, so that the wake-up cannot fall between the thread's check and its wait.
                let _queue = shared.queue.lock();
                shared.wake.notify_one();
            }
        }
    }
}

impl Batcher {
    /// Starts the committing thread; it ends when the last `Batcher` clone is dropped.
    pub fn start(pool: Pool<Manager>, writer: Option<Arc<FairMutex<()>>>) -> Batcher {
        let shared = Shared::new();
        let thread_shared = shared.clone();
        let spawned =
            std::thread::Builder::new().name("audit-batch".into()).spawn(move || run(&pool, writer, &thread_shared));
        if let Err(e) = spawned {
            // Without the thread every submit fails (503): reads are refused rather than left
            // unrecorded.
            tracing::error!(error = %e, "cannot start the audit thread");
            shared.close();
        }
        Batcher { handle: Arc::new(Handle(shared)) }
    }

    fn shared(&self) -> &Shared {
        &self.handle.0
    }

    /// Call before a read whose entry will be submitted, and hand the guard to [`Batcher::submit`].
    pub fn reading(&self) -> Running {
        self.shared().running.fetch_add(1, Ordering::AcqRel);
        Running(Some(self.handle.0.clone()))
    }

    /// Queues the entry and waits until it is committed.
    pub async fn submit(&self, entry: AuditEntry, running: Option<Running>) -> Result<(), AppError> {
        match self.enqueue(entry, running)?.await {
            Ok(true) => Ok(()),
            _ => Err(AppError::Unavailable),
        }
    }

    /// Queues the entry, releases its read's count, and wakes the committing thread if this entry
    /// lets a batch start or close (see [`Shared`]).
    fn enqueue(&self, entry: AuditEntry, running: Option<Running>) -> Result<oneshot::Receiver<bool>, AppError> {
        let shared = self.shared();
        let (done, committed) = oneshot::channel();
        let mut queue = shared.queue.lock();
        if queue.closed {
            return Err(AppError::Unavailable);
        }
        queue.jobs.push(Job { entry, done });
        // After the push: the thread never sees the read gone and its entry not yet there.
        let last = match running {
            Some(r) => r.release(),
            None => shared.running.load(Ordering::Acquire) == 0,
        };
        if queue.idle || queue.jobs.len() >= MAX_BATCH || (last && !shared.busy()) {
            shared.wake.notify_one();
        }
        Ok(committed)
    }
}

/// Entries taken per second, measured every [`PACE_PERIOD`]: whether the thread is busy.
struct Pace {
    since: Instant,
    entries: usize,
}

impl Pace {
    fn new() -> Pace {
        Pace { since: Instant::now(), entries: 0 }
    }

    /// Counts a batch; at the end of a period, the verdict on it (and a new period).
    fn taken(&mut self, entries: usize, now: Instant) -> Option<bool> {
        self.entries += entries;
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed < PACE_PERIOD {
            return None;
        }
        let busy = self.entries as f64 / elapsed.as_secs_f64() >= BUSY_PER_SECOND;
        *self = Pace { since: now, entries: 0 };
        Some(busy)
    }
}

fn run(pool: &Pool<Manager>, writer: Option<Arc<FairMutex<()>>>, shared: &Shared) {
    let mut pace = Pace::new();
    let mut known = subject_sets::Known::default();
    while let Some(batch) = next_batch(shared, WINDOW) {
        if let Some(busy) = pace.taken(batch.len(), Instant::now()) {
            shared.busy.store(busy, Ordering::Relaxed);
        }
        // The writer lock first, then the connection (the order of `DbPool::write`), each for at
        // most the pool's timeout: the reads waiting for this batch answer 503 rather than hang
        // behind a long write.
        let queued = writer.as_ref().map(|m| m.try_lock_for(pool.connection_timeout()));
        let ok = match (queued, pool.get()) {
            (Some(None), _) => {
                tracing::error!("the database's writer stayed busy; audit entries not written");
                false
            }
            (_, Ok(mut conn)) => commit(&mut conn, &batch, &mut known),
            (_, Err(e)) => {
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

/// The entries of one transaction: waits for a first entry; then, if reads are still running,
/// for more until `window` has passed (how, see [`Shared`]), up to [`MAX_BATCH`]. A read alone is
/// committed at once. `None` once the queue is closed and empty.
fn next_batch(shared: &Shared, window: Duration) -> Option<Vec<Job>> {
    let mut queue = shared.queue.lock();
    while queue.jobs.is_empty() {
        if queue.closed {
            return None;
        }
        queue.idle = true;
        shared.wake.wait(&mut queue);
    }
    queue.idle = false;
    let closes = Instant::now() + window;
    let open = |q: &Queue| q.jobs.len() < MAX_BATCH && !q.closed && shared.running.load(Ordering::Acquire) > 0;
    if shared.busy() {
        let mut seen = queue.jobs.len();
        while open(&queue) {
            let quiet_until = (Instant::now() + QUIET).min(closes);
            let ended = shared.wake.wait_until(&mut queue, quiet_until).timed_out() && quiet_until == closes;
            if ended || queue.jobs.len() == seen {
                break;
            }
            seen = queue.jobs.len();
        }
    } else {
        while open(&queue) {
            if shared.wake.wait_until(&mut queue, closes).timed_out() {
                break;
            }
        }
    }
    let n = queue.jobs.len().min(MAX_BATCH);
    Some(queue.jobs.drain(..n).collect())
}

fn commit(conn: &mut DbConnection, batch: &[Job], known: &mut subject_sets::Known) -> bool {
    let result = conn.transaction(|c| {
        let mut sets = Vec::new();
        for job in batch {
            sets.extend(audit::write_knowing(c, &job.entry, Some(known))?);
        }
        Ok::<_, AppError>(sets)
    });
    match result {
        Ok(sets) => {
            known.add(sets);
            true
        }
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

    /// A batcher without its committing thread: the tests play that part with `next_batch`.
    fn batcher() -> Batcher {
        Batcher { handle: Arc::new(Handle(Shared::new())) }
    }

    /// Queues an entry named by its request id, from a read counted by `running` (or not counted).
    fn queue(b: &Batcher, request_id: &str, running: Option<Running>) {
        let entry = AuditEntry::anonymous("GET /api/v1/trajectories", "/api/v1/trajectories", request_id);
        b.enqueue(entry, running).expect("queued");
    }

    /// `next_batch` on another thread; the request ids of its batch, or a failure after a generous
    /// wait instead of a test that hangs for the whole window.
    fn batch_in_thread(b: &Batcher) -> Vec<String> {
        let (answer, batch) = std::sync::mpsc::channel();
        let shared = b.handle.0.clone();
        std::thread::spawn(move || {
            let ids = next_batch(&shared, FOREVER).map(|b| b.into_iter().map(|j| j.entry.request_id).collect());
            answer.send(ids.unwrap_or_default())
        });
        batch.recv_timeout(Duration::from_secs(30)).expect("the batch closed")
    }

    fn running(b: &Batcher) -> usize {
        b.shared().running.load(Ordering::Acquire)
    }

    #[test]
    fn with_no_read_running_the_batch_is_what_is_queued() {
        let b = batcher();
        for id in ["1", "2", "3"] {
            queue(&b, id, None);
        }
        // The queue stays open: the batch closes because no read runs, not because it ended.
        assert_eq!(batch_in_thread(&b), ["1", "2", "3"]);
    }

    #[test]
    fn the_batch_waits_for_the_entries_of_running_reads() {
        let b = batcher();
        let first = b.reading();
        let (second, third) = (b.reading(), b.reading());
        queue(&b, "1", Some(first));
        let other = b.clone();
        std::thread::spawn(move || {
            for (id, read) in [("2", second), ("3", third)] {
                std::thread::sleep(Duration::from_millis(20));
                queue(&other, id, Some(read));
            }
        });
        // The last entry closes the batch: with a window of ten minutes nothing else could.
        assert_eq!(batch_in_thread(&b), ["1", "2", "3"]);
        assert_eq!(running(&b), 0, "queued entries no longer count");
    }

    #[test]
    fn the_batch_closes_when_the_last_running_read_ends_without_an_entry() {
        let b = batcher();
        let read = b.reading();
        queue(&b, "1", None);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(read);
        });
        assert_eq!(batch_in_thread(&b), ["1"]);
        assert_eq!(running(&b), 0);
    }

    #[test]
    fn when_busy_a_quiet_moment_closes_the_batch_while_reads_run() {
        let b = batcher();
        b.shared().busy.store(true, Ordering::Relaxed);
        let _still_running = b.reading();
        queue(&b, "1", None);
        let started = Instant::now();
        assert_eq!(batch_in_thread(&b), ["1"]);
        assert!(started.elapsed() >= QUIET);
    }

    #[test]
    fn the_thread_is_woken_when_it_is_idle() {
        let b = batcher();
        let other = b.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            queue(&other, "1", None);
        });
        assert_eq!(batch_in_thread(&b), ["1"]);
    }

    #[test]
    fn a_full_batch_closes_while_reads_still_run() {
        let b = batcher();
        let _still_running = b.reading();
        for i in 0..MAX_BATCH + 10 {
            queue(&b, &i.to_string(), None);
        }
        let batch = batch_in_thread(&b);
        assert_eq!(batch, (0..MAX_BATCH).map(|i| i.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn a_read_that_leaves_no_entry_stops_counting_when_its_guard_goes() {
        let b = batcher();
        let (first, second) = (b.reading(), b.reading());
        assert_eq!(running(&b), 2);
        drop(first);
        drop(second);
        assert_eq!(running(&b), 0);
    }

    #[test]
    fn when_the_last_batcher_goes_the_queue_is_committed_and_closed() {
        let b = batcher();
        let shared = b.handle.0.clone();
        queue(&b, "1", None);
        drop(b);
        let ids: Vec<String> = next_batch(&shared, FOREVER).unwrap().into_iter().map(|j| j.entry.request_id).collect();
        assert_eq!(ids, ["1"]);
        assert!(next_batch(&shared, FOREVER).is_none());
        let late = Batcher { handle: Arc::new(Handle(shared)) };
        let entry = AuditEntry::anonymous("GET /x", "/x", "2");
        assert!(late.enqueue(entry, None).is_err(), "a closed queue takes no entries");
    }

    #[test]
    fn the_pace_decides_per_period() {
        let start = Instant::now();
        let mut pace = Pace { since: start, entries: 0 };
        assert_eq!(pace.taken(100, start + PACE_PERIOD / 2), None, "within the period");
        // 100 + 50 entries in 10 ms: 15,000 a second.
        assert_eq!(pace.taken(50, start + PACE_PERIOD), Some(true));
        // 60 in the next 10 ms: 6,000 a second.
        assert_eq!(pace.taken(60, start + 2 * PACE_PERIOD), Some(false));
        // After an idle minute, a first batch is no sign of being busy.
        assert_eq!(pace.taken(200, start + Duration::from_secs(60)), Some(false));
    }
}
