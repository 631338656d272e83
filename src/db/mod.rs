//! The database: one connection type over two backends, the pool, and the embedded migrations.
//!
//! The backend is chosen from the URL scheme by us, never guessed: SQLite accepts any string as a
//! path, so a mistyped PostgreSQL URL must not silently become a file.

#[cfg(test)]
pub mod cache_probe;
pub mod checkpoint;
pub mod key_range;
pub mod moment;
pub mod one_of;
pub mod prefix;
pub mod reuse;
pub mod schema;
mod sqlite_library;
pub mod statistics;
pub mod text;
pub mod union_all;

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use parking_lot::{FairMutex, FairMutexGuard};

use crate::error::AppError;
use crate::privacy::audit::AuditEntry;
use crate::privacy::audit_batch::Running;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection (`PgConnection` or
/// `SqliteConnection`); `$body` is compiled once for each backend.
///
/// For the statements a request runs every time: through the two-backend connection diesel writes
/// out a statement's SQL on every execution, even one its cache finds by type (the wrapper it
/// passes to the backend renders the SQL in each of its AST passes). Also the way to what that
/// connection lacks: `on_conflict` and `UNION` (STACK.md). Build the query inside `$body`:
/// `as_select()` and friends are typed by backend.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub use crate::on_backend;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub type PooledDb = PooledConnection<Manager>;

/// The connection pool plus, for SQLite, the in-process writer lock.
///
/// SQLite has one writer at a time. Left to SQLite, a waiting writer polls with `busy_timeout`,
/// sleeping 1, 2, 5 ... 100 ms between tries: under load that gave write p99s near a second.
/// Writers of this process queue on a fair (first come, first served) mutex instead and are woken
/// the moment the lock is free; `busy_timeout` stays as the safety net for other processes (a CLI
/// run beside the server). An unfair lock let late writers overtake and left a p99 of 164 ms.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    writer: Option<Arc<FairMutex<()>>>,
    audit: crate::privacy::audit_batch::Batcher,
    /// SQLite only: the thread that checkpoints the WAL instead of the commits.
    pub checkpointer: Option<checkpoint::Checkpointer>,
}

impl Deref for DbPool {
    type Target = Pool<Manager>;
    fn deref(&self) -> &Pool<Manager> {
        &self.pool
    }
}

impl DbPool {
    /// Held while writing; `None` on PostgreSQL, which has row locks and needs no queue. Waited
    /// for as long as a connection is (`db_timeout_seconds`): behind a long write a request
    /// answers 503, as it does when the pool is used up, instead of hanging.
    fn write_lock(&self) -> Result<Option<FairMutexGuard<'_, ()>>, AppError> {
        match &self.writer {
            None => Ok(None),
            Some(m) => m.try_lock_for(self.pool.connection_timeout()).map(Some).ok_or(AppError::Unavailable),
        }
    }

    /// Runs `f` on a pooled connection while holding the writer lock (see [`DbPool::write_lock`]).
    ///
    /// Always the lock first and then the connection, and never wait for the lock while holding a
    /// connection: then the lock holder waits at most for readers, which finish without the lock.
    /// (Taking the connection first was deadlock-free too, but queued writers then held most of
    /// the pool and were woken twice per write: 18% fewer page saves per second.)
    pub fn write<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>) -> Result<T, AppError> {
        let _queued = self.write_lock()?;
        self.on_connection(f)
    }

    /// [`DbPool::write`] that waits for the writer lock as long as it takes: for what must be
    /// recorded after the fact (a mail that went out is marked sent), where giving up would undo
    /// nothing and only leave the record wrong.
    pub fn write_patiently<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>) -> Result<T, AppError> {
        let _queued = self.writer.as_ref().map(|m| m.lock());
        self.on_connection(f)
    }

    fn on_connection<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>) -> Result<T, AppError> {
        let mut conn = self.pool.get().map_err(|_| AppError::Unavailable)?;
        f(&mut conn)
    }

    /// A connection for work that can do without one (an export's second reader): only while
    /// more than `keep` connections stay for everybody else, and after waiting at most `wait`.
    pub fn spare(&self, keep: u32, wait: Duration) -> Option<PooledConnection<Manager>> {
        let state = self.pool.state();
        let in_use = state.connections - state.idle_connections;
        (self.pool.max_size().saturating_sub(in_use) > keep).then(|| self.pool.get_timeout(wait).ok()).flatten()
    }

    /// Commits the audit entry of a read together with those of other reads at the same moment
    /// (one transaction, one flush) and returns once it is durable.
    pub async fn audit_read(&self, entry: AuditEntry, running: Option<Running>) -> Result<(), AppError> {
        self.audit.submit(entry, running).await
    }

    /// Counts a read whose entry will be committed as running (see `privacy::audit_batch`).
    pub fn audit_reading(&self) -> Running {
        self.audit.reading()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed `DATABASE_URL`: for SQLite `location` is the file path.
#[derive(Clone, Debug)]
pub struct DbTarget {
    pub backend: Backend,
    pub location: String,
    /// SQLite only: the process keeps the file to itself (setting `sqlite_exclusive`).
    pub sqlite_exclusive: bool,
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self { backend: Backend::Postgres, location: url.to_string(), sqlite_exclusive: false });
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(p) if !p.is_empty() => {
                Ok(Self { backend: Backend::Sqlite, location: p.to_string(), sqlite_exclusive: false })
            }
            _ => Err(format!(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got '{}')",
                redact_url(url)
            )),
        }
    }
}

/// Hides a password in a URL so that it can be logged.
pub fn redact_url(url: &str) -> String {
    let userinfo = match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    // libpq also takes the password as a parameter: `postgres://u@h/db?password=...`.
    match userinfo.split_once('?') {
        Some((base, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
        None => userinfo,
    }
}

/// libpq quotes what it could not read of a URL, a password with a bad `%` escape included, and
/// splits a URL at characters a password should have escaped (a password `ab/cd` gives the port
/// "ab"): the message is logged, so the password does not reach it. Where it holds such a
/// character, libpq's message is replaced by how to write it; otherwise the password, as written
/// and decoded, is taken out of the message.
fn without_password(e: diesel::ConnectionError, url: &str) -> diesel::ConnectionError {
    let passwords = password_of(url);
    let scrub = |message: String| {
        if passwords.iter().any(|p| p.contains(['/', '?', '#', ',', '&', '=', '[', ']', '@', ':'])) {
            return "DATABASE_URL could not be read: write the special characters of its password \
                    percent-encoded (e.g. / as %2F)"
                .to_string();
        }
        passwords.iter().filter(|p| !p.is_empty()).fold(message, |m, p| m.replace(p.as_str(), "***"))
    };
    match e {
        diesel::ConnectionError::BadConnection(m) => diesel::ConnectionError::BadConnection(scrub(m)),
        diesel::ConnectionError::InvalidConnectionUrl(m) => diesel::ConnectionError::InvalidConnectionUrl(scrub(m)),
        other => other,
    }
}

/// The password of a PostgreSQL URL as written (in its user part, to the last `@`, or as the
/// `password` parameter up to the next `&`), and decoded where its escapes can be read.
fn password_of(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) {
        if let Some((_, password)) = url.get(scheme_end + 3..at).and_then(|c| c.split_once(':')) {
            found.push(password.to_string());
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for (k, v) in query.split('&').filter_map(|p| p.split_once('=')) {
            if k.eq_ignore_ascii_case("password") {
                found.push(v.to_string());
            }
        }
    }
    let decoded: Vec<String> = found.iter().filter_map(|p| percent_decoded(p)).filter(|d| !found.contains(d)).collect();
    found.extend(decoded);
    // The longest first, so that a shorter one does not break up a longer one still to be replaced.
    found.sort_by_key(|p| std::cmp::Reverse(p.len()));
    found
}

fn percent_decoded(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("cannot create the data folder: {0}")]
    Io(#[from] std::io::Error),
}

fn sqlite_connection(path: &str, exclusive: bool) -> Result<SqliteConnection, ConnError> {
    if let Some(dir) = Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    sqlite_library::configure();
    let mut conn = if exclusive {
        SqliteConnection::establish(&sqlite_library::exclusive_uri(path))?
    } else {
        SqliteConnection::establish(path)?
    };
    // WAL lets readers work while one writer writes; busy_timeout makes writers queue instead of
    // failing with SQLITE_BUSY; foreign keys are off by default in SQLite.
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    // Switching a new file to WAL takes its exclusive lock from a shared one. Two connections
    // doing so at once (instances started together on a new database) would each wait for the
    // other to let go of its shared lock, so SQLite answers one of them "database is locked" at
    // once instead of calling the busy handler: that one tries again, for as long as the busy
    // timeout. A refusal that took the busy timeout itself (another process holds the file) is
    // final.
    let started = std::time::Instant::now();
    loop {
        let attempt = std::time::Instant::now();
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("locked")
                    && attempt.elapsed() < std::time::Duration::from_millis(100)
                    && started.elapsed() < std::time::Duration::from_secs(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => break other?,
        }
    }
    conn.batch_execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

fn pg_connection(url: &str) -> Result<PgConnection, ConnError> {
    let mut conn = PgConnection::establish(url).map_err(|e| without_password(e, url))?;
    // Every statement is prepared once per connection, so plan it once: with a custom plan per
    // execution, PostgreSQL estimates `= ANY($1)` element by element against the column
    // statistics, about 2.3 ms per statement for an export's batch of 1,000 ids (export of 10,000
    // trajectories: 0.96 s with statistics, 0.67 s with generic plans, the same file). The API's
    // key lookups already settle on generic plans: req/s unchanged.
    conn.batch_execute("SET plan_cache_mode = force_generic_plan")?;
    Ok(conn)
}

pub fn establish(target: &DbTarget) -> Result<DbConnection, ConnError> {
    Ok(match target.backend {
        Backend::Postgres => DbConnection::Pg(pg_connection(&target.location)?),
        Backend::Sqlite => DbConnection::Sqlite(sqlite_connection(&target.location, target.sqlite_exclusive)?),
    })
}

/// r2d2 manager that knows its backend (diesel's generic manager would try every variant).
pub struct Manager {
    target: DbTarget,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnError;

    fn connect(&self) -> Result<DbConnection, ConnError> {
        let mut conn = establish(&self.target)?;
        if let DbConnection::Sqlite(c) = &mut conn {
            // The pool's checkpoint thread keeps the WAL short; a commit checkpoints only when that
            // thread has fallen far behind (see `checkpoint`).
            c.batch_execute(&format!("PRAGMA wal_autocheckpoint = {}", checkpoint::FALLBACK_PAGES))?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnError> {
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// A connection that comes back while its thread unwinds from a panic is dropped, not reused:
    /// on SQLite a write's `BEGIN IMMEDIATE` is not diesel's, so diesel would not see it still open,
    /// and the next user of the connection would hold the write lock (as diesel's own manager does).
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Two connections per core, at least 4. More connections than the cores can serve only queue
/// inside the database (PostgreSQL) or behind its one lock (SQLite), and every blocking thread (one
/// per connection) competes for the same cores. On 2 cores, 16 connections gave PostgreSQL reads a
/// p99 of 151 ms and 8 gave 16-56 ms; 4 gave 11 ms with 11-17% more reads per second on both
/// backends (A/B on one 10k database), and page saves as fast as with 8. At least 4: a long export
/// holds one connection, the audit and mail threads take one each now and then.
pub fn default_pool_size() -> u32 {
    (2 * std::thread::available_parallelism().map_or(2, |n| n.get() as u32)).max(4)
}

pub fn build_pool(target: &DbTarget, size: u32, timeout: Duration) -> DbPool {
    // SQLite allows one writer at a time; more connections only help readers (WAL).
    let pool = Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        .connection_timeout(timeout)
        // No test query on every checkout (it doubled the round trips): a connection broken by a
        // database restart is found by `has_broken` when it comes back, and replaced.
        .test_on_check_out(false)
        .build_unchecked(Manager { target: target.clone() });
    let writer = (target.backend == Backend::Sqlite).then(|| Arc::new(FairMutex::new(())));
    let audit = crate::privacy::audit_batch::Batcher::start(pool.clone(), writer.clone());
    let checkpointer = match target.backend {
        Backend::Sqlite => checkpoint::Checkpointer::start(&target.location, target.sqlite_exclusive),
        Backend::Postgres => None,
    };
    DbPool { pool, writer, audit, checkpointer }
}

/// The key of the advisory lock that migrations are run under ("wilkan" in ASCII).
const MIGRATION_LOCK: i64 = 0x7769_6c6b_616e;

/// Runs the pending migrations of the target's backend; returns how many ran.
pub fn migrate(target: &DbTarget) -> Result<usize, String> {
    match establish(target).map_err(|e| e.to_string())? {
        DbConnection::Pg(mut c) => {
            // Instances started together (a deploy of two replicas) take turns: diesel's
            // migrations take no lock of their own, and the second would fail on tables the
            // first just made. The lock is the session's; it goes with the connection.
            diesel::connection::SimpleConnection::batch_execute(
                &mut c,
                &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"),
            )
            .map_err(|e| format!("waiting for another instance's migrations: {e}"))?;
            c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()).map_err(|e| format!("migration failed: {e}"))
        }
        DbConnection::Sqlite(mut c) => {
            // The same for two processes on one file (a server and `wilkan housekeeping`): a lock
            // on a file beside the database, held until the migrations are done.
            let lock_path = format!("{}.migrate-lock", target.location);
            let lock = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| format!("{lock_path}: {e}"))?;
            lock.lock().map_err(|e| format!("{lock_path}: {e}"))?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()).map_err(|e| format!("migration failed: {e}"))
        }
    }
}

/// True when every embedded migration has been applied (used by `/ready`).
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool, AppError> {
    let pending = match conn {
        DbConnection::Pg(c) => c.has_pending_migration(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    };
    // Failing to ask is the database being away, not a bug.
    pending.map(|p| !p).map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        AppError::Unavailable
    })
}

/// Runs `f` on a pooled connection in a blocking thread with its audit entry (`f` names the person
/// concerned: `audit.about(..)`). A write runs in one transaction together with its entry: on any
/// error nothing is written, not even the entry. A read (GET) runs without a transaction and its
/// entry, when it concerns someone else, is written after it.
pub async fn tx<T, F>(pool: &DbPool, audit: AuditEntry, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &mut AuditEntry) -> Result<T, AppError> + Send + 'static,
{
    if audit.is_read {
        return audited_read(pool, audit, f, None).await;
    }
    let pool = pool.clone();
    actix_web::web::block(move || pool.write(|conn| write_tx(conn, audit, f)))
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
}

/// Like [`tx`], for a read (GET) of a bounded number of rows by key whose entry is committed
/// after it. On SQLite it runs on the calling worker thread when a connection is free, as
/// [`read_by_key`] does: the hand-over to a blocking thread and back costs more than the read.
/// The price is the tail at a few connections: a wait on one of SQLite's locks there holds up
/// every connection of that worker (a coach's list at 1 connection: p99 8.7-9.9 ms against
/// 4.4-6.8 on the blocking pool). Worth it only for reads that run under load; fourteen
/// per-trajectory reads were measured and left on the blocking pool (bench/NOTES.md).
pub async fn audited_read_by_key<T, F>(pool: &DbPool, audit: AuditEntry, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &mut AuditEntry) -> Result<T, AppError> + Send + 'static,
{
    if !audit.is_read {
        return tx(pool, audit, f).await;
    }
    let on_worker = pool.writer.is_some().then(|| pool.try_get()).flatten();
    audited_read(pool, audit, f, on_worker).await
}

/// A read writes nothing but (perhaps) its audit entry: no transaction around the read, so
/// readers never queue behind writers. It runs on `conn` (the calling thread) if given, else in a
/// blocking thread. The entry is committed after the read, batched with other reads' entries, and
/// the answer waits until it is durable.
async fn audited_read<T, F>(pool: &DbPool, mut audit: AuditEntry, f: F, conn: Option<PooledDb>) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &mut AuditEntry) -> Result<T, AppError> + Send + 'static,
{
    // Staff reads leave an entry: the batch being collected may wait for it.
    let running = audit.worth_writing().then(|| pool.audit_reading());
    let (out, audit) = match conn {
        // The connection goes back to the pool before the wait for the entry.
        Some(mut conn) => (f(&mut conn, &mut audit)?, audit),
        None => {
            let p = pool.clone();
            actix_web::web::block(move || {
                let mut conn = p.get().map_err(|_| AppError::Unavailable)?;
                let out = f(&mut conn, &mut audit)?;
                Ok::<_, AppError>((out, audit))
            })
            .await
            .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))??
        }
    };
    if audit.worth_writing() {
        pool.audit_read(audit, running).await?;
    }
    Ok(out)
}

/// A write and its audit entry in one transaction.
fn write_tx<T, F>(conn: &mut DbConnection, mut audit: AuditEntry, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, &mut AuditEntry) -> Result<T, AppError>,
{
    in_write_transaction(conn, |c| {
        let out = f(c, &mut audit)?;
        crate::privacy::audit::write(c, &audit)?;
        Ok(out)
    })
}

fn in_write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    // BEGIN IMMEDIATE takes SQLite's write lock up front, so a writer of another process waits
    // (busy timeout) instead of failing when a read transaction cannot be upgraded.
    conn.batch_execute("BEGIN IMMEDIATE")?;
    let result = f(conn);
    // A failed COMMIT may leave the transaction open (SQLite rolls back only after some errors):
    // the connection goes back to the pool without it either way.
    let result = result.and_then(|out| conn.batch_execute("COMMIT").map(|_| out).map_err(AppError::from));
    if result.is_err() {
        let _ = conn.batch_execute("ROLLBACK");
    }
    result
}

/// A write in one transaction without an audit entry, for bookkeeping that concerns nobody's
/// personal data (a throttle counter taken before a password is checked).
pub async fn write_bookkeeping<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || pool.write(|conn| in_write_transaction(conn, f)))
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
}

/// For reads that touch nobody else's personal data (own data, course content, health): no
/// transaction and no audit entry. Reads of other people's data go through [`tx`].
pub async fn read<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|_| AppError::Unavailable)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
}

/// Like [`read`], for a read of a few rows by key (the caller's own courses, their account). On
/// SQLite it runs on the calling worker thread when a connection is free: such a read takes tens
/// of microseconds, less than the hand-over to a blocking thread and back, which was about a
/// fifth of the CPU time of `GET /me/courses`. Reads from PostgreSQL wait on the network, and a
/// read that may scan (lists, exports) would hold up the worker's other requests: both keep to
/// the blocking pool.
pub async fn read_by_key<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    read_on_worker(pool, f, Snapshot::Transaction).await
}

/// Like [`read_by_key`], for a read that is a single SQL statement. A statement sees one snapshot
/// by itself, so it runs without `BEGIN` and `COMMIT`: on SQLite those two were about 5% of the
/// CPU time of `GET /me/courses`.
pub async fn read_statement_by_key<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    read_on_worker(pool, f, Snapshot::Statement).await
}

enum Snapshot {
    Transaction,
    Statement,
}

async fn read_on_worker<T, F>(pool: &DbPool, f: F, snapshot: Snapshot) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    if pool.writer.is_some() {
        if let Some(mut conn) = pool.try_get() {
            return match snapshot {
                // One read transaction for all of `f`'s queries: they see one snapshot, and SQLite
                // takes and drops its WAL read lock (a mutex and a lock on the -shm file) once
                // instead of per statement.
                Snapshot::Transaction => (*conn).transaction(f),
                Snapshot::Statement => f(&mut conn),
            };
        }
    }
    read(pool, f).await
}

pub fn now() -> chrono::NaiveDateTime {
    // Microsecond precision: PostgreSQL stores no more, so values read back compare equal.
    let now = chrono::Utc::now().naive_utc();
    chrono::DateTime::from_timestamp_micros(now.and_utc().timestamp_micros()).map_or(now, |d| d.naive_utc())
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A UUIDv7 of the moment `at` (its millisecond, the rest random), for a row found by its time
/// through its id. `new_id`'s shared context keeps ids rising, so after the clock steps back its
/// ids stay ahead of the clock until the clock catches up; this id always holds `at`'s millisecond.
pub fn new_id_at(at: chrono::NaiveDateTime) -> String {
    let t = at.and_utc();
    let seconds = u64::try_from(t.timestamp()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, t.timestamp_subsec_nanos())).to_string()
}

/// The least UUIDv7 of the moment `t` (its millisecond): every id [`new_id_at`] makes from `t` on
/// sorts at least as high, every one from before it lower (as text, byte by byte).
pub fn first_id_at(t: chrono::NaiveDateTime) -> String {
    let millis = u64::try_from(t.and_utc().timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    /// libpq quotes a URL token it cannot decode, which may be the password: it never reaches the
    /// message that is logged. Needs no server (the URL is refused before any connection).
    #[test]
    fn a_password_libpq_cannot_read_is_not_in_the_error() {
        for url in
            ["postgres://wilkan:ab%zz9@127.0.0.1:1/wilkan", "postgres://wilkan@127.0.0.1:1/wilkan?password=ab%zz9"]
        {
            let Err(e) = establish(&DbTarget::parse(url).unwrap()) else { panic!("{url} connected") };
            let message = e.to_string();
            assert!(!message.contains("ab%zz9") && !message.contains("zz9"), "{message}");
        }
        assert_eq!(password_of("postgres://u:p%40ss@h/db"), ["p%40ss", "p@ss"]);
        // A `/` in a password makes libpq read the piece before it as the port, and quote it.
        let Err(e) = establish(&DbTarget::parse("postgres://wilkan:Xy3k/9Ab+cd==@127.0.0.1/wilkan").unwrap()) else {
            panic!("connected")
        };
        assert!(!e.to_string().contains("Xy3k") && e.to_string().contains("%2F"), "{e}");
        // After a `/`, libpq reads a `?` as the start of parameters and quotes their names.
        let Err(e) = establish(&DbTarget::parse("postgres://wilkan:Xy3k/db?Secret99=1@127.0.0.1/wilkan").unwrap())
        else {
            panic!("connected")
        };
        assert!(!e.to_string().contains("Secret99"), "{e}");
    }

    /// A PostgreSQL connection plans each prepared statement once (see [`pg_connection`]): a
    /// custom plan per execution made `= ANY($1)` over 1,000 ids cost milliseconds to plan.
    /// PostgreSQL pass only (`WILKAN_TEST_POSTGRES`); SQLite has no such setting.
    #[test]
    fn postgres_connections_use_generic_plans() {
        let Ok(base) = std::env::var("WILKAN_TEST_POSTGRES") else { return };
        let url = format!("{}/postgres", base.trim_end_matches('/'));
        let mut conn = establish(&DbTarget::parse(&url).unwrap()).unwrap();
        let mode: String =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_setting('plan_cache_mode')"))
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(mode, "force_generic_plan");
    }

    /// A write that panics (on SQLite inside its own `BEGIN IMMEDIATE`) leaves no open
    /// transaction behind in the pool: with one connection, the next write finds it usable.
    #[test]
    fn a_write_that_panics_leaves_no_transaction_in_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::parse(&format!("sqlite://{}/panic.db", dir.path().display())).unwrap();
        migrate(&target).unwrap();
        let pool = build_pool(&target, 1, Duration::from_secs(5));
        let entry = || AuditEntry::anonymous("test.write", "test", "r1");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.write(|conn| write_tx(conn, entry(), |_, _| -> Result<(), AppError> { panic!("a bug in a handler") }))
        }));
        assert!(panicked.is_err());
        let written = pool.write(|conn| write_tx(conn, entry(), |_, _| Ok(())));
        assert!(written.is_ok(), "{written:?}");
        let entries: i64 = crate::db::schema::audit_log::table.count().get_result(&mut *pool.get().unwrap()).unwrap();
        assert_eq!(entries, 1, "only the second write committed");
    }

    /// `spare` hands out a connection only while more than `keep` stay for others.
    #[test]
    fn a_spare_connection_leaves_enough_for_others() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::parse(&format!("sqlite://{}/spare.db", dir.path().display())).unwrap();
        let pool = build_pool(&target, 4, Duration::from_secs(5));
        let wait = Duration::from_millis(10);
        let first = pool.get().unwrap();
        let second = pool.spare(2, wait).expect("3 free of 4: one to spare");
        assert!(pool.spare(2, wait).is_none(), "2 free of 4: none to spare");
        drop(second);
        assert!(pool.spare(2, wait).is_some(), "given back, it can be lent again");
        drop((first, pool));
    }
}
