//! Whether a consent stands, as a column of a query over `trajectories`.

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;

use super::api::ConsentKind;
use crate::db::schema::trajectories;

/// The latest record of `kind` for the row's trajectory decides, as in
/// [`super::queries::consent_state`]; no record means not given.
///
/// A correlated subquery, which diesel's query builder cannot express. `diesel::dsl::sql` could,
/// but a statement holding a SQL literal is never cached: it was prepared anew on every request,
/// which made a coach's list 2.2 times slower on PostgreSQL. The SQL text here depends only on the
/// kind, so the statement is cached like any other.
#[derive(Debug, Clone, Copy)]
pub struct LatestConsent(pub ConsentKind);

impl Expression for LatestConsent {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for LatestConsent where trajectories::id: AppearsOnTable<QS> {}

impl<QS> SelectableExpression<QS> for LatestConsent where trajectories::id: SelectableExpression<QS> {}

impl ValidGrouping<()> for LatestConsent {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for LatestConsent {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for LatestConsent
where
    trajectories::id: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Reads only the `consents_latest` index, one entry per kind (migration 000010).
        out.push_sql("COALESCE((SELECT c.given FROM consents c WHERE c.trajectory_id = ");
        trajectories::id.walk_ast(out.reborrow())?;
        out.push_sql(" AND c.kind = '");
        // A fixed word from our own enum, never input: safe to write into the SQL.
        out.push_sql(self.0.as_str());
        out.push_sql("' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), FALSE)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::InstrumentationEvent;
    use diesel::prelude::*;
    use diesel_migrations::MigrationHarness;

    use crate::db::{establish, DbConnection, DbTarget, SQLITE_MIGRATIONS};
    use crate::trajectories::queries::{list, ListQuery};

    /// The list is one statement, prepared once and then taken from the cache: the reason this
    /// expression exists instead of a SQL literal.
    #[test]
    fn the_list_statement_is_cached() {
        let mut conn = establish(&DbTarget::parse("sqlite://:memory:").unwrap()).unwrap();
        if let DbConnection::Sqlite(c) = &mut conn {
            c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
        }
        let cached = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = cached.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                log.lock().unwrap().push(sql.to_string());
            }
        });
        for _ in 0..3 {
            let q = ListQuery { coach: Some("c"), limit: Some(50), ..Default::default() };
            assert!(list(&mut conn, q).unwrap().is_empty());
        }
        let cached = cached.lock().unwrap();
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert!(cached[0].contains("c.kind = 'research'"), "{}", cached[0]);
    }
}
