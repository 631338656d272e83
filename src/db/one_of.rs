//! `column IN (list)` with the whole list as one bind parameter, so that the statement is prepared
//! once per connection and then taken from diesel's statement cache.
//!
//! diesel's `eq_any` writes one `?` per value on SQLite and therefore marks the statement as not
//! cacheable: SQLite parsed and planned the staff list's statements anew on every request (about
//! 14% of the CPU time of `GET /trajectories`, measured with the audit write left out). Here
//! SQLite gets `IN (SELECT value FROM json_each(?))` with the values as one JSON array, and
//! PostgreSQL `IN (SELECT unnest(?))` with a text array. Not `= ANY(?)` (what `eq_any` writes
//! there): in a generic plan (`db::pg_connection`) PostgreSQL does not know the array's length,
//! scans a small table sequentially and compares each row with every value, 1,000 values for an
//! export batch: 8.9 ms for 432 buddy pairs. As a set it is hashed (a semi join): 0.95 ms.

use std::cell::OnceCell;

use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use super::MultiBackend;

/// Text columns, nullable or not (a `NULL` column value matches nothing, as with `IN`).
pub trait TextColumn {}
impl TextColumn for Text {}
impl TextColumn for Nullable<Text> {}

/// `column IN (values)`; build it with [`one_of`].
#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    values: Vec<String>,
    /// The values as a JSON array, the form SQLite's `json_each` reads; made on SQLite only.
    json: OnceCell<String>,
}

/// `column IN (values)`, cached as one prepared statement whatever the number of values.
pub fn one_of<C, I, S>(column: C, values: I) -> OneOf<C>
where
    C: Expression,
    C::SqlType: TextColumn,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let values = values.into_iter().map(|v| v.as_ref().to_owned()).collect();
    OneOf { column, values, json: OnceCell::new() }
}

impl<C: Expression> Expression for OneOf<C> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, QS: ?Sized> AppearsOnTable<QS> for OneOf<C> {}

impl<C: SelectableExpression<QS>, QS: ?Sized> SelectableExpression<QS> for OneOf<C> {}

impl<C: ValidGrouping<()>> ValidGrouping<()> for OneOf<C> {
    type IsAggregate = is_aggregate::Never;
}

/// The SQL text depends only on the column, so the statement is cached by type.
impl<C: QueryId> QueryId for OneOf<C> {
    type QueryId = OneOf<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        // Strings always serialise; the fallback (matching nothing) is never taken.
        let json = self.json.get_or_init(|| serde_json::to_string(&self.values).unwrap_or_else(|_| "[]".into()));
        out.push_bind_param::<Text, _>(json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.values)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Sqlite> + QueryFragment<Pg>> QueryFragment<MultiBackend> for OneOf<C> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    use super::one_of;
    use crate::db::cache_probe::record_cached;
    use crate::db::{establish, DbConnection, DbTarget};

    diesel::table! {
        one_of_probe (id) {
            id -> Text,
            note -> Nullable<Text>,
        }
    }

    fn matches(conn: &mut DbConnection, values: &[&str]) -> Vec<String> {
        one_of_probe::table
            .filter(one_of(one_of_probe::id, values))
            .order(one_of_probe::id)
            .select(one_of_probe::id)
            .load(conn)
            .unwrap()
    }

    /// Every backend the run has: SQLite always, PostgreSQL in the PostgreSQL pass.
    fn connections() -> Vec<DbConnection> {
        let mut urls = vec!["sqlite://:memory:".to_string()];
        if let Ok(base) = std::env::var("WILKAN_TEST_POSTGRES") {
            urls.push(format!("{}/postgres", base.trim_end_matches('/')));
        }
        urls.iter().map(|u| establish(&DbTarget::parse(u).unwrap()).unwrap()).collect()
    }

    #[test]
    fn matches_exactly_the_listed_values_with_one_cached_statement() {
        for mut conn in connections() {
            conn.batch_execute(
                "CREATE TEMPORARY TABLE one_of_probe (id TEXT PRIMARY KEY, note TEXT); \
                 INSERT INTO one_of_probe VALUES ('a', 'x'), ('b''s', NULL), ('é \"c\"', 'y'), ('d', NULL);",
            )
            .unwrap();
            let cached = record_cached(&mut conn);
            assert_eq!(matches(&mut conn, &["a", "d", "zz"]), ["a", "d"]);
            // Quotes, accents and JSON's special characters arrive as they are.
            assert_eq!(matches(&mut conn, &["b's", "é \"c\""]), ["b's", "é \"c\""]);
            assert!(matches(&mut conn, &[]).is_empty());
            // Three lists of different lengths, one statement prepared and cached.
            assert_eq!(cached.lock().unwrap().len(), 1, "{:?}", cached.lock().unwrap());
            // A nullable column: NULL matches nothing, as with IN.
            let noted: Vec<String> = one_of_probe::table
                .filter(one_of(one_of_probe::note, ["x", "y"]))
                .order(one_of_probe::id)
                .select(one_of_probe::id)
                .load(&mut conn)
                .unwrap();
            assert_eq!(noted, ["a", "é \"c\""]);
            let rest: Vec<String> = one_of_probe::table
                .filter(diesel::dsl::not(one_of(one_of_probe::id, ["a", "d"])))
                .order(one_of_probe::id)
                .select(one_of_probe::id)
                .load(&mut conn)
                .unwrap();
            assert_eq!(rest, ["b's", "é \"c\""]);
        }
    }

    /// The plan PostgreSQL keeps for a list of 1,000 values on a small table: the values as a
    /// hashed set, not an array that every row is compared with (`= ANY` in a generic plan).
    #[test]
    fn postgres_hashes_a_long_list_instead_of_comparing_each_row_with_it() {
        use diesel::pg::Pg;
        use diesel::sql_types::Text;

        #[derive(QueryableByName)]
        struct PlanLine {
            #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
            line: String,
        }
        let Ok(base) = std::env::var("WILKAN_TEST_POSTGRES") else {
            return; // PostgreSQL only; runs in the PostgreSQL pass.
        };
        let url = format!("{}/postgres", base.trim_end_matches('/'));
        let DbConnection::Pg(mut pg) = establish(&DbTarget::parse(&url).unwrap()).unwrap() else {
            unreachable!("a postgres:// URL gives a PostgreSQL connection")
        };
        pg.batch_execute(
            "CREATE TEMPORARY TABLE one_of_probe (id TEXT PRIMARY KEY, note TEXT); \
             INSERT INTO one_of_probe SELECT 'id' || g, NULL FROM generate_series(1, 400) g; \
             ANALYZE one_of_probe;",
        )
        .unwrap();
        let values: Vec<String> = (1..=1000).map(|i| format!("id{}", i * 7)).collect();
        let query = one_of_probe::table.filter(one_of(one_of_probe::id, &values)).select(one_of_probe::id);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        let sql = sql.split(" -- binds").next().unwrap();
        pg.batch_execute(&format!("PREPARE probe(text[]) AS {sql}")).unwrap();
        // EXPLAIN takes no bound parameters; the values are plain letters and digits.
        let literal = format!("'{{{}}}'", values.join(","));
        let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN EXECUTE probe({literal})")).load(&mut pg).unwrap();
        let plan: Vec<&str> = plan.iter().map(|p| p.line.as_str()).collect();
        assert!(plan.iter().all(|l| !l.contains("ANY")), "{plan:#?}");
        assert!(plan.iter().any(|l| l.contains("Hash")), "{plan:#?}");
        let found: Vec<String> = query.load(&mut pg).unwrap();
        assert_eq!(found.len(), 57, "ids 7, 14, .. 399");
    }
}
