//! The statistics the query planner chooses indexes by.
//!
//! SQLite keeps none until `ANALYZE` runs; until then it plans every statement from fixed guesses
//! about row counts (an equality on an indexed column finds ten rows, whatever the index holds),
//! so it cannot tell an index that narrows a search to one coach's rows from one that holds a
//! tenth of the database. `PRAGMA optimize` is SQLite's own advice for long-lived databases: it
//! analyses a table whose indexes have no statistics yet or whose row count changed tenfold since
//! they were taken, from a sample of at most 2,000 rows per index, so that it stays quick on a
//! large file while it holds the writer lock. The housekeeping runs it at start and then hourly.
//! The statistics are read when a connection loads the schema; the pool replaces its connections
//! within half an hour (r2d2's `max_lifetime`), and the first analysis, which creates
//! `sqlite_stat1`, changes the schema, so every connection reads them at once.
//!
//! PostgreSQL's autovacuum analyses tables as they change; `seed-demo` runs `ANALYZE` after its
//! bulk load on both backends.

use diesel::connection::SimpleConnection;

use super::DbConnection;
use crate::error::AppError;

/// Brings the planner's statistics up to date where they are missing or far off (SQLite);
/// nothing on PostgreSQL. Writes `sqlite_stat1`, so the caller holds the writer lock.
pub fn refresh(conn: &mut DbConnection) -> Result<(), AppError> {
    if let DbConnection::Sqlite(c) = conn {
        // Analyse what may benefit (0x2) from a sample of at most 2,000 rows per index (0x10; a
        // mask that leaves it out analyses whole tables, and with STAT4, as the bundled SQLite
        // is built, samples every index's values too), looking at every table rather than only
        // those this connection has read (0x10000).
        c.batch_execute("PRAGMA optimize = 0x10012")?;
    }
    Ok(())
}

/// After a bulk load: full statistics of every table, on either backend.
pub fn analyze_all(conn: &mut DbConnection) -> Result<(), AppError> {
    conn.batch_execute("ANALYZE")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::{QueryableByName, RunQueryDsl};

    use super::refresh;
    use crate::db::cache_probe::{index_stats as stats_of, migrated_sqlite};
    use crate::db::DbConnection;

    /// Statistics appear for the indexes of a filled table, follow a tenfold growth, and are left
    /// alone while the table keeps its size.
    #[test]
    fn statistics_follow_the_data() {
        let mut conn = migrated_sqlite();
        conn.batch_execute(
            "CREATE TABLE probe (id INTEGER PRIMARY KEY, grp TEXT NOT NULL); CREATE INDEX probe_grp ON probe (grp);",
        )
        .unwrap();
        let fill = |conn: &mut DbConnection, from: i64, to: i64| {
            conn.batch_execute(&format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
                 INSERT INTO probe SELECT i, 'g' || (i % 10) FROM n;"
            ))
            .unwrap()
        };
        fill(&mut conn, 1, 100);
        conn.batch_execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) \
             INSERT INTO organizations (id, name, created_at, updated_at, aftercare_weeks) \
             SELECT 'org' || i, 'Organisatie ' || i, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[]' FROM n;",
        )
        .unwrap();
        refresh(&mut conn).unwrap();
        // 100 rows, ten for each group.
        assert_eq!(stats_of(&mut conn, "probe"), vec![("probe_grp".to_string(), "100 10".to_string())]);
        // The application's own tables alike: 20 organisations, one per id and one per name.
        let organizations = stats_of(&mut conn, "organizations");
        assert_eq!(organizations.len(), 2, "{organizations:?}");
        assert!(organizations.iter().all(|(_, stat)| stat == "20 1"), "{organizations:?}");

        fill(&mut conn, 101, 150);
        refresh(&mut conn).unwrap();
        assert_eq!(stats_of(&mut conn, "probe")[0].1, "100 10", "a growth of half is not worth a new sample");

        fill(&mut conn, 151, 30_000);
        refresh(&mut conn).unwrap();
        let stat = stats_of(&mut conn, "probe")[0].1.clone();
        let rows: f64 = stat.split(' ').next().unwrap().parse().unwrap();
        assert!((27_000.0..=33_000.0).contains(&rows), "tenfold: analysed again, about 30,000 rows: {stat}");
        // From a sample: no STAT4 samples of the values, which a full ANALYZE writes.
        assert_eq!(stat4_rows(&mut conn, "probe"), 0);
        conn.batch_execute("ANALYZE probe").unwrap();
        assert!(stat4_rows(&mut conn, "probe") > 0, "the check above can see STAT4 samples");
    }

    fn stat4_rows(conn: &mut DbConnection, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let exists = "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_stat4'";
        if diesel::sql_query(exists).get_result::<N>(conn).unwrap().n == 0 {
            return 0;
        }
        let sql = format!("SELECT count(*) AS n FROM sqlite_stat4 WHERE tbl = '{table}'");
        diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
    }
}
