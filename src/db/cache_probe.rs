//! Tests' view of diesel's statement cache: which statements a piece of code prepares.

use std::sync::{Arc, Mutex};

use diesel::connection::InstrumentationEvent;
use diesel_migrations::MigrationHarness;

use super::{establish, DbConnection, DbTarget, SQLITE_MIGRATIONS};

/// From now on, the SQL of each statement diesel prepares and caches on `conn`, in order.
pub fn record_cached(conn: &mut DbConnection) -> Arc<Mutex<Vec<String>>> {
    let cached = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = cached.clone();
    diesel::Connection::set_instrumentation(conn, move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::CacheQuery { sql, .. } = event {
            log.lock().unwrap().push(sql.to_string());
        }
    });
    cached
}

/// The statements diesel prepared and cached while `f` ran three times on a fresh, migrated
/// SQLite database in memory. A statement that is cached by type is prepared once: the list has
/// one entry per statement.
pub fn cached_statements(f: impl Fn(&mut DbConnection)) -> Vec<String> {
    let mut conn = migrated_sqlite();
    let cached = record_cached(&mut conn);
    for _ in 0..3 {
        f(&mut conn);
    }
    let cached = cached.lock().unwrap().clone();
    cached
}

/// A fresh SQLite database in memory with every migration run.
pub fn migrated_sqlite() -> DbConnection {
    let mut conn = establish(&DbTarget::parse("sqlite://:memory:").unwrap()).unwrap();
    if let DbConnection::Sqlite(c) = &mut conn {
        c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    }
    conn
}

/// The steps of SQLite's plan for `sql` (its `EXPLAIN QUERY PLAN`, parameters unbound).
pub fn query_plan(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let steps: Vec<Step> =
        diesel::RunQueryDsl::load(diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")), conn).unwrap();
    steps.into_iter().map(|s| s.detail).collect()
}
