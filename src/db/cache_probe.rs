//! Tests' view of the database's work: which statements a piece of code prepares (diesel's
//! statement cache), and how SQLite plans them and with which statistics.

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

/// SQLite's statistics of `table`'s indexes: (index, `sqlite_stat1`'s numbers), by index.
pub fn index_stats(conn: &mut DbConnection, table: &str) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Stat {
        #[diesel(sql_type = diesel::sql_types::Text)]
        idx: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        stat: String,
    }
    let sql = "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ? AND idx IS NOT NULL ORDER BY idx";
    let query = diesel::sql_query(sql).bind::<diesel::sql_types::Text, _>(table);
    let rows: Vec<Stat> = diesel::RunQueryDsl::load(query, conn).unwrap();
    rows.into_iter().map(|s| (s.idx, s.stat)).collect()
}
