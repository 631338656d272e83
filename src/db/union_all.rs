//! `a UNION ALL b UNION ALL c` written flat, without the subqueries diesel's `union_all` adds.
//!
//! On SQLite diesel writes each member of a compound as `SELECT * FROM (member)`, and the result
//! of the first `union_all` becomes the subquery of the second. SQLite does not flatten a compound
//! subquery that is itself a member of a compound, so it ran the course list's course and page rows
//! as a co-routine and copied every text value once more (`OP_Copy`) on the way out: about 90 copies
//! of `GET /me/courses`. Written flat, each member's rows go straight to the result.
//!
//! Members must be plain `SELECT`s without `ORDER BY` or `LIMIT`: a flat compound applies those
//! to the whole of it (PostgreSQL and SQLite alike), so such a member needs diesel's `union_all`.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// Two queries whose rows have the same SQL types, one after the other; nest it for more.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct UnionAll<A, B>(A, B);

/// The rows of `first`, then those of `second` (see the module's note on what a member may hold).
pub fn union_all<A, B>(first: A, second: B) -> UnionAll<A, B>
where
    A: Query,
    B: Query<SqlType = A::SqlType>,
{
    UnionAll(first, second)
}

impl<A: Query, B: Query<SqlType = A::SqlType>> Query for UnionAll<A, B> {
    type SqlType = A::SqlType;
}

impl<DB: Backend, A: QueryFragment<DB>, B: QueryFragment<DB>> QueryFragment<DB> for UnionAll<A, B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" UNION ALL ");
        self.1.walk_ast(out.reborrow())
    }
}

impl<A, B, Conn> RunQueryDsl<Conn> for UnionAll<A, B> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::{Nullable, Text};
    use diesel::sqlite::{Sqlite, SqliteConnection};

    use super::union_all;

    diesel::table! {
        items (id) {
            id -> Integer,
            name -> Text,
            note -> Nullable<Text>,
        }
    }

    fn connection() -> SqliteConnection {
        let mut c = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        diesel::sql_query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)")
            .execute(&mut c)
            .expect("table");
        diesel::sql_query("INSERT INTO items VALUES (1, 'een', NULL), (2, 'twee', 'b'), (3, 'drie', 'c')")
            .execute(&mut c)
            .expect("rows");
        c
    }

    #[test]
    fn three_members_in_order_written_flat() {
        let no_text = || None::<String>.into_sql::<Nullable<Text>>();
        let first = items::table.filter(items::id.eq(3)).select((items::name, items::note));
        let second = items::table.filter(items::id.lt(3)).select((items::name, no_text()));
        let third = items::table.filter(items::id.eq(2)).select((items::note.assume_not_null(), items::note));
        let query = union_all(union_all(first, second), third);

        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(!sql.contains("SELECT * FROM ("), "{sql}");
        assert_eq!(sql.matches(" UNION ALL ").count(), 2, "{sql}");

        let mut rows: Vec<(String, Option<String>)> = query.load(&mut connection()).expect("rows");
        // The first member's row comes first and the third's last; SQLite gives the second
        // member's rows in key order, but no order is promised within a member.
        assert_eq!(rows.remove(0), ("drie".to_string(), Some("c".to_string())));
        assert_eq!(rows.pop(), Some(("b".to_string(), Some("b".to_string()))));
        rows.sort();
        assert_eq!(rows, [("een".to_string(), None), ("twee".to_string(), None)]);
    }
}
