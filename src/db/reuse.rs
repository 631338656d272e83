//! UPDATE statements that are prepared once per connection, like every other statement.
//!
//! diesel never caches the prepared statement of an UPDATE: a changeset of `Option` fields writes
//! different SQL for different values, so `UpdateStatement` marks itself as not to be cached. Every
//! save was therefore parsed and planned again: on SQLite about 140,000 instructions of a page
//! save's 725,000 (callgrind), on PostgreSQL a round trip to prepare an unnamed statement first.
//! [`update`] writes the same SQL without that mark. The cache then finds the statement by its SQL
//! text and the types of its binds, so a changeset that writes other SQL for other values (our
//! `*Changes` structs leave out their `None` fields) gets a statement of its own: caching is
//! correct for every changeset. Every UPDATE of the service goes through here; `clippy.toml`
//! disallows `diesel::update` so that it stays the one way to write one.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression};
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment, QueryId};
use diesel::query_source::{QuerySource, Table};
use diesel::result::EmptyChangeset;
use diesel::result::Error::QueryBuilderError;
use diesel::sql_types::BoolOrNullableBool;
use diesel::{QueryResult, RunQueryDsl};

/// `UPDATE table SET values WHERE predicate`; build it with [`update`].
pub struct Update<T: QuerySource, V, W> {
    from: T::FromClause,
    values: V,
    predicate: W,
}

/// `UPDATE table SET values WHERE predicate`, kept in the connection's statement cache.
pub fn update<T, V, W>(table: T, values: V, predicate: W) -> Update<T, V::Changeset, W>
where
    T: Table,
    V: AsChangeset<Target = T>,
    W: Expression + AppearsOnTable<T>,
    W::SqlType: BoolOrNullableBool,
{
    Update { from: table.from_clause(), values: values.as_changeset(), predicate }
}

impl<T, V, W, DB> QueryFragment<DB> for Update<T, V, W>
where
    DB: Backend,
    T: QuerySource,
    T::FromClause: QueryFragment<DB>,
    V: QueryFragment<DB>,
    W: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // As diesel does: a changeset of only `None`s would write `SET  WHERE`, a syntax error.
        if self.values.is_noop(out.backend())? {
            return Err(QueryBuilderError(Box::new(EmptyChangeset)));
        }
        out.push_sql("UPDATE ");
        self.from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.predicate.walk_ast(out.reborrow())
    }
}

/// No static id (diesel's assignment targets have none): the cache finds it by its SQL text.
impl<T: QuerySource, V, W> QueryId for Update<T, V, W> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T: QuerySource, V, W, Conn> RunQueryDsl<Conn> for Update<T, V, W> {}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::*;
    use crate::db::cache_probe::record_cached;
    use crate::db::{establish, DbConnection, DbTarget};

    diesel::table! {
        reuse_check (id) {
            id -> Text,
            n -> BigInt,
            note -> Nullable<Text>,
        }
    }

    /// A changeset whose `None` fields are left out, as our `*Changes` structs are.
    #[derive(AsChangeset)]
    #[diesel(table_name = reuse_check)]
    struct NoteChange {
        note: Option<String>,
    }

    fn targets(dir: &std::path::Path) -> Vec<DbTarget> {
        let mut targets = vec![DbTarget::parse(&format!("sqlite://{}/reuse.db", dir.display())).unwrap()];
        if let Ok(base) = std::env::var("WILKAN_TEST_POSTGRES") {
            targets.push(DbTarget::parse(&format!("{}/postgres", base.trim_end_matches('/'))).unwrap());
        }
        targets
    }

    /// A connection with `reuse_check` holding `rows`: a temporary table, private to this session
    /// and gone when it ends.
    fn with_table(target: &DbTarget, rows: &str) -> DbConnection {
        let mut conn = establish(target).unwrap();
        conn.batch_execute(&format!(
            "CREATE TEMPORARY TABLE reuse_check (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT); \
             INSERT INTO reuse_check (id, n, note) VALUES {rows};"
        ))
        .unwrap();
        conn
    }

    /// On SQLite always, on PostgreSQL in its pass (`WILKAN_TEST_POSTGRES`): the update changes
    /// the row it names and nothing else, writes what diesel's update writes, and its statement is
    /// prepared once for three executions (diesel's own update: never cached).
    #[test]
    #[allow(clippy::disallowed_methods)] // compares with diesel's own update on purpose
    fn an_update_changes_its_row_and_is_prepared_once() {
        let dir = tempfile::tempdir().unwrap();
        for target in targets(dir.path()) {
            let mut conn = with_table(&target, "('a', 0, NULL), ('b', 0, NULL)");
            let cached = record_cached(&mut conn);
            let ours = |n: i64| {
                update(
                    reuse_check::table,
                    (reuse_check::n.eq(n), reuse_check::note.eq(Some("x"))),
                    reuse_check::id.eq("a"),
                )
            };
            let theirs = diesel::update(reuse_check::table.find("a"))
                .set((reuse_check::n.eq(1_i64), reuse_check::note.eq(Some("x"))));
            let (ours_sql, theirs_sql) = match &conn {
                DbConnection::Pg(_) => (
                    diesel::debug_query::<diesel::pg::Pg, _>(&ours(1)).to_string(),
                    diesel::debug_query::<diesel::pg::Pg, _>(&theirs).to_string(),
                ),
                DbConnection::Sqlite(_) => (
                    diesel::debug_query::<diesel::sqlite::Sqlite, _>(&ours(1)).to_string(),
                    diesel::debug_query::<diesel::sqlite::Sqlite, _>(&theirs).to_string(),
                ),
            };
            // diesel writes the key of `find` in parentheses; otherwise the same statement.
            assert_eq!(ours_sql.replace(['(', ')'], ""), theirs_sql.replace(['(', ')'], ""));
            for n in 1..=3 {
                assert_eq!(ours(n).execute(&mut conn).unwrap(), 1);
            }
            let rows: Vec<(String, i64, Option<String>)> =
                reuse_check::table.order(reuse_check::id).load(&mut conn).unwrap();
            assert_eq!(rows, [("a".into(), 3, Some("x".into())), ("b".into(), 0, None)]);
            let updates = cached.lock().unwrap().iter().filter(|s| s.starts_with("UPDATE")).count();
            assert_eq!(updates, 1, "{target:?}: prepared once, then taken from the cache");
            theirs.execute(&mut conn).unwrap();
            let updates = cached.lock().unwrap().iter().filter(|s| s.starts_with("UPDATE")).count();
            assert_eq!(updates, 1, "{target:?}: diesel's own update is not cached (what this module is for)");
        }
    }

    /// A changeset with nothing in it fails with diesel's own error, before any SQL is sent: no
    /// `SET  WHERE` syntax error, and no row touched.
    #[test]
    fn an_empty_changeset_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for target in targets(dir.path()) {
            let mut conn = with_table(&target, "('a', 0, 'kept')");
            let err = update(reuse_check::table, &NoteChange { note: None }, reuse_check::id.eq("a"))
                .execute(&mut conn)
                .unwrap_err();
            assert!(matches!(&err, QueryBuilderError(e) if e.is::<EmptyChangeset>()), "{target:?}: {err:?}");
            let changed = update(reuse_check::table, &NoteChange { note: Some("new".into()) }, reuse_check::id.eq("a"))
                .execute(&mut conn)
                .unwrap();
            assert_eq!(changed, 1);
            let note: Option<String> = reuse_check::table.select(reuse_check::note).first(&mut conn).unwrap();
            assert_eq!(note.as_deref(), Some("new"), "{target:?}");
        }
    }
}
