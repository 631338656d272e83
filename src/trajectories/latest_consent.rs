//! Whether a consent stands, computed from the records as an expression over `trajectories`:
//! `queries::insert_consent` sets the trajectory's consent columns with it (migration 000012).

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;

use super::api::ConsentKind;
use crate::db::schema::trajectories;

/// The latest record of kind `K` for the row's trajectory decides, as in
/// [`super::queries::consent_state`]; no record means not given.
///
/// A correlated subquery, which diesel's query builder cannot express. `diesel::dsl::sql` could,
/// but a statement holding a SQL literal is never cached: it was prepared anew on every execution
/// (when the staff lists still selected this expression, that made a coach's list 2.2 times slower
/// on PostgreSQL). The kind is a type, so the SQL text
/// follows from the type alone (a static query id): diesel then finds the prepared statement by
/// type, without writing out the SQL on every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct LatestConsent<K>(PhantomData<K>);

/// A kind of consent, as a type (see [`LatestConsent`]).
pub trait Kind: Copy + Default + Send + Sync + 'static {
    const KIND: ConsentKind;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Method;

#[derive(Debug, Clone, Copy, Default)]
pub struct Research;

impl Kind for Method {
    const KIND: ConsentKind = ConsentKind::Method;
}

impl Kind for Research {
    const KIND: ConsentKind = ConsentKind::Research;
}

impl<K: Kind> Expression for LatestConsent<K> {
    type SqlType = Bool;
}

impl<K: Kind, QS> AppearsOnTable<QS> for LatestConsent<K> where trajectories::id: AppearsOnTable<QS> {}

impl<K: Kind, QS> SelectableExpression<QS> for LatestConsent<K> where trajectories::id: SelectableExpression<QS> {}

impl<K: Kind> ValidGrouping<()> for LatestConsent<K> {
    type IsAggregate = is_aggregate::Never;
}

impl<K: Kind> QueryId for LatestConsent<K> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K: Kind, DB: Backend> QueryFragment<DB> for LatestConsent<K>
where
    trajectories::id: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Reads only the `consents_latest` index, one entry per kind (migration 000010).
        out.push_sql("COALESCE((SELECT c.given FROM consents c WHERE c.trajectory_id = ");
        trajectories::id.walk_ast(out.reborrow())?;
        out.push_sql(" AND c.kind = '");
        // A fixed word from our own enum, never input: safe to write into the SQL.
        out.push_sql(K::KIND.as_str());
        out.push_sql("' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), FALSE)");
        Ok(())
    }
}
