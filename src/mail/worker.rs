//! The background worker: sends queued mail and runs its periodic jobs (aftercare reminders),
//! and beside it a thread that keeps the list of ended sessions current and one for
//! housekeeping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::TimeDelta;
use diesel::Connection;

use super::outbox;
use super::sender::Sender;
use super::templates::Templates;
use crate::config::Config;
use crate::db::DbPool;
use crate::error::AppError;

pub struct Context {
    pub pool: DbPool,
    pub revocations: Arc<crate::accounts::revocations::Revocations>,
    pub templates: Arc<Templates>,
    pub config: Config,
}

pub struct Worker {
    stops: Vec<mpsc::Sender<()>>,
    /// Read between messages and between people of the retention: a shutdown waits for one
    /// message or one person, not for a whole outbox or cohort.
    stopping: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Worker {
    pub fn spawn(ctx: Context) -> Result<Worker, String> {
        let sender = Sender::from_config(&ctx.config)?;
        let (tx, rx) = mpsc::channel();
        let poll = Duration::from_millis(ctx.config.mail_poll_ms.max(10));
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = stopping.clone();
        let (sessions_pool, sessions_revocations) = (ctx.pool.clone(), ctx.revocations.clone());
        let (housekeeping_pool, retention_days) = (ctx.pool.clone(), ctx.config.retention_days);
        let thread = std::thread::Builder::new()
            .name("wilkan-worker".into())
            .spawn(move || {
                let stop = || flag.load(Ordering::Relaxed);
                loop {
                    guarded("mail round", || tick(&ctx, &sender, &stop));
                    match rx.recv_timeout(poll) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        // Sessions other instances (or the command line) ended stop here too within a round, on
        // a thread of their own: a mail server that takes its time must not hold that up.
        let (sessions_tx, sessions_rx) = mpsc::channel();
        let (pool, revocations) = (sessions_pool, sessions_revocations);
        let sessions = std::thread::Builder::new()
            .name("wilkan-sessions".into())
            .spawn(move || loop {
                guarded("ended sessions", || revocations.sync(&mut *pool.get().map_err(|_| AppError::Unavailable)?));
                match sessions_rx.recv_timeout(poll) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            })
            .map_err(|e| e.to_string())?;
        // Retention at start and then hourly, on a thread of its own: a cohort passing the
        // retention period at once takes a while, and mail (login links valid for 15 minutes)
        // must not wait for it.
        let (housekeeping_tx, housekeeping_rx) = mpsc::channel();
        let flag = stopping.clone();
        let housekeeper = std::thread::Builder::new()
            .name("wilkan-housekeeping".into())
            .spawn(move || {
                let stop = || flag.load(Ordering::Relaxed);
                loop {
                    guarded("housekeeping", || housekeeping(&housekeeping_pool, retention_days, &stop));
                    match housekeeping_rx.recv_timeout(HOUSEKEEPING_EVERY) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Worker {
            stops: vec![tx, sessions_tx, housekeeping_tx],
            stopping,
            threads: vec![thread, sessions, housekeeper],
        })
    }

    /// Stops after the message or the person at hand.
    pub fn stop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        for tx in self.stops.drain(..) {
            let _ = tx.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);

/// Runs one job of the worker. One that fails or panics (a bug, say in the retention of one odd
/// record) is logged and tried again next time; the thread goes on, so mail keeps going out. A
/// connection given back during the panic is dropped by the pool (`db::Manager::has_broken`).
fn guarded<T>(job: &'static str, f: impl FnOnce() -> Result<T, AppError>) {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, job, "worker job failed; will retry"),
        Err(_) => tracing::error!(job, "worker job panicked; will retry"),
    }
}

/// Retention: pseudonymises people whose trajectories ended longer ago than `retention_days`,
/// with an audit entry that names no one, and deletes old messages, sign-in records and ended
/// sessions; and brings the query planner's statistics up to date (`db::statistics`). Also
/// `wilkan housekeeping`. Returns how many people were pseudonymised.
///
/// Each person is a transaction of their own, taking the writer lock (SQLite) only for them: when
/// a cohort passes the retention period at once, requests are not held up for the whole run, and
/// one person that fails (logged, tried again next hour) does not hold back the others. `stop`
/// ends the run between people, so that a shutdown does not wait for it.
pub fn housekeeping(pool: &DbPool, retention_days: i64, stop: &dyn Fn() -> bool) -> Result<usize, AppError> {
    pool.write(|conn| {
        conn.transaction(|c| {
            crate::accounts::revocations::prune(c)?;
            let signs = crate::accounts::queries::prune_sign_in_records(c)?;
            if signs > 0 {
                tracing::info!(rows = signs, "old login links, sessions and throttle counters deleted");
            }
            let purged = outbox::purge(c)?;
            if purged > 0 {
                tracing::info!(messages = purged, "outbox: old messages deleted");
            }
            Ok(())
        })
    })?;
    let candidates = crate::privacy::erase::retention_candidates(
        &mut *pool.get().map_err(|_| AppError::Unavailable)?,
        retention_days,
    )?;
    let (mut done, mut failed) = (0, 0);
    for employee in &candidates {
        if stop() {
            break;
        }
        match pool.write(|conn| conn.transaction(|c| crate::privacy::erase::retain(c, employee, retention_days))) {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => {
                failed += 1;
                tracing::error!(error = %e, "retention: a person could not be pseudonymised; tried again next round");
            }
        }
    }
    if done > 0 {
        tracing::info!(people = done, "retention: pseudonymised");
    }
    // After the retention, which changes tables' sizes. Statistics that could not be refreshed
    // (the writer lock busy past its timeout) are only left as they were until the next round.
    if !stop() {
        if let Err(e) = pool.write(crate::db::statistics::refresh) {
            tracing::warn!(error = %e, "planner statistics not refreshed; tried again next round");
        }
    }
    if failed > 0 {
        return Err(AppError::internal(format!("retention: {failed} of {} people failed", candidates.len())));
    }
    Ok(done)
}

/// Messages claimed at once. Each may take the mail server's timeout (10 s), and the batch must
/// end well within its lease (5 minutes).
const BATCH: i64 = 5;

/// One round: periodic jobs, then every due message (in batches), until `stop`.
pub fn tick(ctx: &Context, sender: &Sender, stop: &dyn Fn() -> bool) -> Result<(), AppError> {
    let pool = &ctx.pool;
    // Each write takes the writer lock and a connection for as long as it writes, never while
    // mailing.
    // Reminders that cannot be queued (a bug in one odd check-in) must not keep the mail that
    // waits from going out: logged, and tried again next round.
    guarded("aftercare reminders", || {
        pool.write(|conn| {
            // The organisations' own date: a check-in due today is due from their midnight.
            let today = crate::local_time::today(ctx.config.time_zone);
            // A transaction per trajectory, inside (see `queue_reminders`).
            crate::aftercare::queue_reminders(conn, &ctx.templates, &ctx.config.public_url, today)
        })
    });
    let base = TimeDelta::seconds(ctx.config.mail_retry_base_seconds.max(1));
    loop {
        if stop() {
            return Ok(());
        }
        let batch = pool.write(|conn| conn.transaction(|c| outbox::claim(c, BATCH)))?;
        if batch.is_empty() {
            return Ok(());
        }
        for (i, row) in batch.iter().enumerate() {
            if stop() {
                for left in &batch[i..] {
                    recorded(pool, |conn| outbox::release(conn, left))?;
                }
                return Ok(());
            }
            let held = outbox::recipient_held(&mut *pool.get().map_err(|_| AppError::Unavailable)?, &row.to_address)?
                .is_some();
            let kept = if let Some(reason) = stale(row, held) {
                tracing::info!(id = %row.id, template = %row.template, "not sent: {reason}");
                recorded(pool, |conn| outbox::mark_stale(conn, row, reason))?
            } else {
                match sender.send(&ctx.config.mail_from, row) {
                    // Sent: marked so even behind a long write, or it would go out again.
                    Ok(()) => recorded(pool, |conn| outbox::mark_sent(conn, row))?,
                    Err(e) => {
                        let next = if e.permanent { "refused for good" } else { "will retry" };
                        // The id, not the address: a line naming an employee's address would tell who is in
                        // the method to anyone who reads the logs.
                        // A reply often repeats the address: the code, and the reply only when
                        // there was none (a connection that failed names no one).
                        match &e.code {
                            Some(code) => {
                                tracing::warn!(id = %row.id, template = %row.template, %code, "sending refused; {next}")
                            }
                            None => {
                                tracing::warn!(id = %row.id, template = %row.template, error = %e, "sending failed; {next}")
                            }
                        }
                        recorded(pool, |conn| outbox::mark_failed(conn, row, &e, base, ctx.config.mail_max_attempts))?
                    }
                }
            };
            if !kept {
                tracing::warn!(id = %row.id, "the claim on a message ran out before it was done; another worker has it");
            }
        }
    }
}

/// Records what became of a claimed message: after the fact, so it waits for the writer lock as
/// long as it takes and tries again while no connection is free (an export may hold them), for
/// up to two minutes of the claim's five. Given up, the message would go out a second time.
fn recorded<T>(pool: &DbPool, f: impl Fn(&mut crate::db::DbConnection) -> Result<T, AppError>) -> Result<T, AppError> {
    let mut waited = Duration::ZERO;
    loop {
        match pool.write_patiently(&f) {
            Err(AppError::Unavailable) if waited < Duration::from_secs(120) => {
                std::thread::sleep(Duration::from_secs(1));
                waited += Duration::from_secs(1);
            }
            other => return other,
        }
    }
}

/// Why a message should no longer go out, if so:
/// - no active account has the address any more (`held` false): the account was deactivated, or
///   its address corrected, while the mail waited (a card held for the coach waits a day);
/// - its moment has passed (`send_before`): a login link that expired, an invitation to a group
///   session that has begun. Sent later (the mail server was away), it would only mislead.
fn stale(row: &outbox::OutboxRow, held: bool) -> Option<&'static str> {
    if !held {
        Some("the address is no longer an active account's")
    } else if deadline(row).is_some_and(|end| end <= crate::db::now()) {
        Some("its moment passed before it could be sent")
    } else {
        None
    }
}

/// The message's `send_before`; for a link queued without one (by an instance from before the
/// column, during a rolling upgrade), the link's own lifetime.
fn deadline(row: &outbox::OutboxRow) -> Option<chrono::NaiveDateTime> {
    row.send_before.or_else(|| match row.template.as_str() {
        "magic-link" => Some(row.created_at + TimeDelta::minutes(crate::accounts::magic_routes::VALID_MINUTES)),
        "password-link" => Some(row.created_at + TimeDelta::hours(crate::accounts::password_links::VALID_HOURS)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::error::AppError;

    #[test]
    fn a_job_that_fails_or_panics_leaves_the_worker_running() {
        super::guarded("test", || -> Result<(), AppError> { panic!("a bug in a job") });
        super::guarded("test", || -> Result<(), AppError> { Err(AppError::NotFound) });
        let mut next_ran = false;
        super::guarded("test", || {
            next_ran = true;
            Ok::<_, AppError>(())
        });
        assert!(next_ran, "the thread went on to the next job");
    }
}
