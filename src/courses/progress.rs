//! Learning progress rows and the database functions that keep them.

use chrono::NaiveDateTime;
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use crate::db::moment::Moment;
use crate::db::reuse::update;
use crate::db::schema::{course_progress, course_versions, page_progress};
use crate::db::union_all::union_all;
use crate::db::{new_id, now, on_backend, DbConnection};
use crate::error::AppError;

use super::content::Catalogue;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = course_progress)]
pub struct CourseProgress {
    pub user_id: String,
    pub course_slug: String,
    pub started_at: NaiveDateTime,
    pub last_page_id: Option<String>,
    pub celebration: Option<String>,
    pub celebrated_at: Option<NaiveDateTime>,
    pub reflection: Option<String>,
    pub reflection_choice: Option<String>,
    pub reflected_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub completed_via: Option<String>,
    pub completed_by: Option<String>,
    pub updated_at: NaiveDateTime,
    /// The trajectory whose coach was mailed the employee's wish for a talk after this course.
    pub talk_asked_trajectory_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = page_progress)]
pub struct PageProgress {
    pub user_id: String,
    pub course_slug: String,
    pub page_id: String,
    pub page_hash: String,
    pub visited_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
    pub answers: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// The courses whose version in `catalogue` no server has served yet.
pub fn unrecorded_versions(conn: &mut DbConnection, catalogue: &Catalogue) -> Result<Vec<String>, AppError> {
    let mut new = Vec::new();
    for c in &catalogue.courses {
        let exists: i64 = course_versions::table
            .filter(course_versions::course_slug.eq(&c.slug))
            .filter(course_versions::content_hash.eq(&c.content_hash))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            new.push(c.slug.clone());
        }
    }
    Ok(new)
}

/// Records each course version the first time it is served.
pub fn record_versions(conn: &mut DbConnection, catalogue: &Catalogue) -> Result<usize, AppError> {
    let mut added = 0;
    let new = unrecorded_versions(conn, catalogue)?;
    for c in catalogue.courses.iter().filter(|c| new.contains(&c.slug)) {
        let pages: serde_json::Map<String, serde_json::Value> =
            c.pages.iter().map(|p| (p.id.clone(), p.content_hash.clone().into())).collect();
        let inserted = diesel::insert_into(course_versions::table)
            .values((
                course_versions::id.eq(new_id()),
                course_versions::course_slug.eq(&c.slug),
                course_versions::content_hash.eq(&c.content_hash),
                course_versions::title.eq(&c.title),
                course_versions::page_hashes.eq(serde_json::Value::Object(pages).to_string()),
                course_versions::loaded_at.eq(now()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => added += 1,
            // Another instance starting at the same moment recorded it first.
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(added)
}

/// Which pages each recorded version of each course lacked, into the catalogue: a page missing
/// from the version an employee completed a course on was added since, where one they did not
/// open was skipped (`MyCourse::derive`).
pub fn load_page_history(conn: &mut DbConnection, catalogue: &mut Catalogue) -> Result<(), AppError> {
    let versions: Vec<(String, String, NaiveDateTime)> = course_versions::table
        .select((course_versions::course_slug, course_versions::page_hashes, course_versions::loaded_at))
        .order((course_versions::loaded_at, course_versions::id))
        .load(conn)?;
    for course in &mut catalogue.courses {
        let mut history: Vec<(NaiveDateTime, Vec<String>)> = Vec::new();
        for (_, hashes, at) in versions.iter().filter(|v| v.0 == course.slug) {
            let then: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(hashes).map_err(|e| AppError::internal(format!("course version: {e}")))?;
            let added: Vec<String> =
                course.pages.iter().filter(|p| !then.contains_key(&p.id)).map(|p| p.id.clone()).collect();
            if history.last().is_none_or(|(_, last)| *last != added) {
                history.push((*at, added));
            }
        }
        course.added_since = history;
    }
    Ok(())
}

/// What an employee's view of a course needs of a course row: no bookkeeping timestamps, whose
/// parsing from SQLite's text was the largest part of reading these rows.
#[derive(Debug, Clone, Default)]
pub struct CourseSeen {
    pub course_slug: String,
    pub last_page_id: Option<String>,
    pub celebration: Option<String>,
    pub reflection: Option<String>,
    pub reflection_choice: Option<String>,
    pub reflected_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub completed_via: Option<String>,
}

impl From<CourseProgress> for CourseSeen {
    fn from(r: CourseProgress) -> Self {
        CourseSeen {
            course_slug: r.course_slug,
            last_page_id: r.last_page_id,
            celebration: r.celebration,
            reflection: r.reflection,
            reflection_choice: r.reflection_choice,
            reflected_at: r.reflected_at,
            completed_at: r.completed_at,
            completed_via: r.completed_via,
        }
    }
}

/// What an employee's view of a course needs of a page row. Timestamps are left out on purpose:
/// parsing them was about 5% of the CPU time of `GET /me/courses`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = page_progress)]
pub struct PageSeen {
    pub course_slug: String,
    pub page_id: String,
    pub page_hash: String,
    #[diesel(select_expression = page_progress::done_at.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<page_progress::done_at>)]
    pub done: bool,
    pub answers: Option<String>,
}

/// One row of [`progress_of`]: a course row (`page_id` is `None`), a page row, or a plan's
/// learning choices (`page_id` is `None` and `done` true), in the columns they have in common or
/// put side by side. The course's two timestamps are read by position (`db::moment`), not by
/// diesel's chrono formats: 0.99x instructions per `GET /me/courses` (callgrind).
type ProgressRow = (
    String,         // course_slug; plan: course_order
    Option<String>, // page: page_id
    Option<String>, // page: page_hash; course: last_page_id; plan: focus_courses
    bool,           // page: done; plan: true
    Option<String>, // page: answers; course: celebration; plan: course_modes
    Option<String>, // course: reflection; plan: trajectory_id
    Option<String>, // course: reflection_choice
    Option<String>, // course: completed_via
    Option<Moment>, // course: reflected_at
    Option<Moment>, // course: completed_at
);

/// The learning choices of the plan van aanpak, as stored (JSON texts; parsed where they are used).
#[derive(Debug, Clone, Default)]
pub struct PlanChoices {
    pub course_order: String,
    pub focus_courses: String,
    pub course_modes: String,
}

/// What [`progress_of`] reads: the employee's course and page rows, and the plan of their latest
/// trajectory (if it has one).
#[derive(Debug, Default)]
pub struct Progress {
    pub courses: Vec<CourseSeen>,
    pub pages: Vec<PageSeen>,
    pub plan: Option<PlanChoices>,
}

/// All of an employee's course and page rows and their plan's learning choices in one statement
/// (`UNION ALL`): on PostgreSQL one round trip instead of three. The empty columns are typed binds,
/// not `sql("NULL")`: a query with a SQL literal is not kept as a prepared statement, and planning
/// it on every request tripled PostgreSQL's time per `GET /me/courses`.
pub fn progress_of(conn: &mut DbConnection, user_id: &str) -> Result<Progress, AppError> {
    use crate::db::schema::{plans, trajectories};
    use diesel::dsl::not;
    use diesel::sql_types::{Bool, Nullable, Text, Timestamp};
    let no_text = || None::<String>.into_sql::<Nullable<Text>>();
    let no_time = || None::<NaiveDateTime>.into_sql::<Nullable<Timestamp>>();
    let courses = course_progress::table.filter(course_progress::user_id.eq(user_id)).select((
        course_progress::course_slug,
        no_text(),
        course_progress::last_page_id,
        false.into_sql::<Bool>(),
        course_progress::celebration,
        course_progress::reflection,
        course_progress::reflection_choice,
        course_progress::completed_via,
        course_progress::reflected_at,
        course_progress::completed_at,
    ));
    let pages = page_progress::table.filter(page_progress::user_id.eq(user_id)).select((
        page_progress::course_slug,
        page_progress::page_id.nullable(),
        page_progress::page_hash.nullable(),
        not(page_progress::done_at.is_null()),
        page_progress::answers,
        no_text(),
        no_text(),
        no_text(),
        no_time(),
        no_time(),
    ));
    // The plans of all the employee's trajectories (nearly always one), each with its trajectory's
    // id: the latest one (ids are time-ordered) is kept below, as `latest_of_employee` would pick.
    // A plain join, not a subquery with ORDER BY and LIMIT (SQLite sorted in a temporary B-tree).
    // A plan the coach has not shared is a draft: it does not exist for the employee (as at
    // `GET /trajectories/{id}/plan`), so neither does its order; the map reads it the same way.
    let plan = plans::table
        .inner_join(trajectories::table.on(trajectories::id.eq(plans::trajectory_id)))
        .filter(trajectories::employee_id.eq(user_id))
        .filter(plans::shared_with_employee.eq(true))
        .select((
            plans::course_order,
            no_text(),
            plans::focus_courses.nullable(),
            true.into_sql::<Bool>(),
            plans::course_modes.nullable(),
            trajectories::id.nullable(),
            no_text(),
            no_text(),
            no_time(),
            no_time(),
        ));
    // Written flat (`db::union_all`): diesel's own made the course and page rows a subquery, whose
    // texts SQLite copied once more. Per backend: the two-backend connection has no UNION (as with
    // `on_conflict`, STACK.md). Rows go one at a time to their own kind, with no vector of all rows
    // in between (it grew, and was copied, several times per request).
    let query = union_all(union_all(courses, pages), plan);
    on_backend!(conn, c => split_rows(query.load_iter::<ProgressRow, DefaultLoadingMode>(c)?))
}

fn split_rows(rows: impl Iterator<Item = QueryResult<ProgressRow>>) -> Result<Progress, AppError> {
    // Seven courses of up to about twenty pages each: one allocation for the usual employee.
    let (mut course_rows, mut page_rows) = (Vec::with_capacity(8), Vec::with_capacity(128));
    let mut plan = None;
    for row in rows {
        let (
            course_slug,
            page_id,
            hash_or_last,
            done,
            answers_or_celebration,
            reflection,
            choice,
            via,
            reflected,
            completed,
        ) = row?;
        match page_id {
            Some(page_id) => page_rows.push(PageSeen {
                course_slug,
                page_id,
                page_hash: hash_or_last.unwrap_or_default(),
                done,
                answers: answers_or_celebration,
            }),
            None if done => {
                let trajectory = reflection.unwrap_or_default();
                if plan.as_ref().is_none_or(|(latest, _)| *latest < trajectory) {
                    let choices = PlanChoices {
                        course_order: course_slug,
                        focus_courses: hash_or_last.unwrap_or_default(),
                        course_modes: answers_or_celebration.unwrap_or_default(),
                    };
                    plan = Some((trajectory, choices));
                }
            }
            None => course_rows.push(CourseSeen {
                course_slug,
                last_page_id: hash_or_last,
                celebration: answers_or_celebration,
                reflection,
                reflection_choice: choice,
                reflected_at: reflected.map(NaiveDateTime::from),
                completed_at: completed.map(NaiveDateTime::from),
                completed_via: via,
            }),
        }
    }
    Ok(Progress { courses: course_rows, pages: page_rows, plan: plan.map(|(_, choices)| choices) })
}

// The statements of a page save (and of the other steps of a course) run on the backend's own
// connection (`db::on_backend`): a page save runs five of them.

/// The employee's page rows in one course (all courses at once: [`progress_of`]).
pub fn pages_of(conn: &mut DbConnection, user_id: &str, slug: &str) -> Result<Vec<PageSeen>, AppError> {
    Ok(on_backend!(conn, c => page_progress::table
        .filter(page_progress::user_id.eq(user_id))
        .filter(page_progress::course_slug.eq(slug))
        .select(PageSeen::as_select())
        .load(c))?)
}

/// Insert unless a row with the same key exists: two requests of one employee may race. Written
/// per backend because `on_conflict` does not compile on the two-backend connection (STACK.md).
trait InsertRow {
    fn insert_ignore(&self, conn: &mut DbConnection) -> Result<usize, AppError>;
}

impl InsertRow for CourseProgress {
    fn insert_ignore(&self, conn: &mut DbConnection) -> Result<usize, AppError> {
        let q = diesel::insert_into(course_progress::table).values(self.clone()).on_conflict_do_nothing();
        Ok(on_backend!(conn, c => q.execute(c))?)
    }
}

impl InsertRow for PageProgress {
    fn insert_ignore(&self, conn: &mut DbConnection) -> Result<usize, AppError> {
        let q = diesel::insert_into(page_progress::table).values(self.clone()).on_conflict_do_nothing();
        Ok(on_backend!(conn, c => q.execute(c))?)
    }
}

/// The course row for a change, created on first touch. On PostgreSQL the row stays locked until
/// the change commits: every change writes the whole row (`save_course`), so a page save and a
/// coach's paper completion at the same moment would otherwise each write what they read, and
/// one would undo the other. (SQLite writers take turns anyway.)
pub fn ensure_course(conn: &mut DbConnection, user_id: &str, slug: &str) -> Result<CourseProgress, AppError> {
    let locked = |conn: &mut DbConnection| -> Result<Option<CourseProgress>, AppError> {
        let this = course_progress::table.find((user_id, slug));
        Ok(match conn {
            DbConnection::Pg(c) => this.select(CourseProgress::as_select()).for_update().first(c).optional()?,
            DbConnection::Sqlite(c) => this.select(CourseProgress::as_select()).first(c).optional()?,
        })
    };
    if let Some(row) = locked(conn)? {
        return Ok(row);
    }
    let t = now();
    let row = CourseProgress {
        user_id: user_id.into(),
        course_slug: slug.into(),
        started_at: t,
        last_page_id: None,
        celebration: None,
        celebrated_at: None,
        reflection: None,
        reflection_choice: None,
        reflected_at: None,
        completed_at: None,
        completed_via: None,
        completed_by: None,
        updated_at: t,
        talk_asked_trajectory_id: None,
    };
    row.insert_ignore(conn)?;
    locked(conn)?.ok_or(AppError::NotFound)
}

pub fn save_course(conn: &mut DbConnection, row: &CourseProgress) -> Result<(), AppError> {
    let query = update(
        course_progress::table,
        (
            course_progress::last_page_id.eq(&row.last_page_id),
            course_progress::celebration.eq(&row.celebration),
            course_progress::celebrated_at.eq(row.celebrated_at),
            course_progress::reflection.eq(&row.reflection),
            course_progress::reflection_choice.eq(&row.reflection_choice),
            course_progress::reflected_at.eq(row.reflected_at),
            course_progress::completed_at.eq(row.completed_at),
            course_progress::completed_via.eq(&row.completed_via),
            course_progress::completed_by.eq(&row.completed_by),
            course_progress::updated_at.eq(now()),
            course_progress::talk_asked_trajectory_id.eq(&row.talk_asked_trajectory_id),
        ),
        course_progress::user_id.eq(&row.user_id).and(course_progress::course_slug.eq(&row.course_slug)),
    );
    on_backend!(conn, c => query.execute(c))?;
    Ok(())
}

pub fn find_page(
    conn: &mut DbConnection,
    user_id: &str,
    slug: &str,
    page_id: &str,
) -> Result<Option<PageProgress>, AppError> {
    Ok(on_backend!(conn, c => page_progress::table
        .find((user_id, slug, page_id))
        .select(PageProgress::as_select())
        .first(c)
        .optional())?)
}

/// Writes a page row: update, else insert.
pub fn save_page(conn: &mut DbConnection, row: &PageProgress) -> Result<(), AppError> {
    let query = update(
        page_progress::table,
        (
            page_progress::page_hash.eq(&row.page_hash),
            page_progress::visited_at.eq(row.visited_at),
            page_progress::done_at.eq(row.done_at),
            page_progress::answers.eq(&row.answers),
            page_progress::updated_at.eq(row.updated_at),
        ),
        page_progress::user_id
            .eq(&row.user_id)
            .and(page_progress::course_slug.eq(&row.course_slug))
            .and(page_progress::page_id.eq(&row.page_id)),
    );
    let updated = on_backend!(conn, c => query.execute(c))?;
    if updated == 0 && row.insert_ignore(conn)? == 0 {
        // Another request inserted it in between: ours is the newer state.
        return save_page(conn, row);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::cache_probe::cached_statements;

    /// The course list's one statement is prepared once and then taken from the cache, and its
    /// members are not subqueries (`db::union_all`).
    #[test]
    fn the_progress_statement_is_cached_and_flat() {
        let cached = cached_statements(|conn| {
            let progress = progress_of(conn, "u").unwrap();
            assert!(progress.courses.is_empty() && progress.pages.is_empty() && progress.plan.is_none());
        });
        assert_eq!(cached.len(), 1, "{cached:?}");
        assert_eq!(cached[0].matches(" UNION ALL ").count(), 2, "{}", cached[0]);
        assert!(!cached[0].contains("SELECT * FROM ("), "{}", cached[0]);
    }

    fn plan_row(trajectory: &str, order: &str) -> QueryResult<ProgressRow> {
        Ok((
            order.into(),
            None,
            Some("[]".into()),
            true,
            Some("{}".into()),
            Some(trajectory.into()),
            None,
            None,
            None,
            None,
        ))
    }

    #[test]
    fn the_latest_trajectorys_plan_is_the_one_that_counts() {
        for rows in [
            vec![plan_row("0190-old", "[\"a\"]"), plan_row("0199-new", "[\"b\"]")],
            vec![plan_row("0199-new", "[\"b\"]"), plan_row("0190-old", "[\"a\"]")],
        ] {
            let progress = split_rows(rows.into_iter()).expect("rows");
            assert_eq!(progress.plan.expect("a plan").course_order, "[\"b\"]");
            assert!(progress.courses.is_empty() && progress.pages.is_empty());
        }
        assert!(split_rows(std::iter::empty()).expect("rows").plan.is_none());
    }
}
