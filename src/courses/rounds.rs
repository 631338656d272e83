//! Learning rounds: an employee's course and page rows belong to one trajectory. When their next
//! trajectory begins (they agree to the method on it, or it is started), the rows of earlier
//! trajectories move to
//! `past_course_progress` and `past_page_progress`, each kept with the trajectory it was made in:
//! the one created by the time the course was started, else the first (`evaluation::periods`, as
//! the evaluation counts them). The course list then starts afresh with the new plan, a new
//! reflection does not overwrite the one of the earlier round, and a talk asked for after a course
//! is asked again of the new coach. The inzage, the trajectory's own progress and the evaluation
//! still read the earlier rounds.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{
    course_progress, page_progress, past_course_progress, past_page_progress, plans, trajectories,
};
use crate::db::{on_backend, DbConnection};
use crate::error::AppError;
use crate::evaluation::periods::Periods;
use crate::trajectories::model::Trajectory;

use super::progress::{CourseProgress, CourseSeen, PageSeen, PlanChoices, Progress};

/// The employee's trajectories, to tell which one a row was made in.
fn periods_of(c: &mut DbConnection, employee_id: &str) -> Result<Periods, AppError> {
    let rows: Vec<(String, String, NaiveDateTime)> = trajectories::table
        .filter(trajectories::employee_id.eq(employee_id))
        .select((trajectories::id, trajectories::employee_id, trajectories::created_at))
        .load(c)?;
    Ok(Periods::new(rows))
}

/// The employee's course rows, held on PostgreSQL until the change commits: a page saved at the
/// same moment waits, and then writes into the new round (its course row is gone).
fn course_rows_held(c: &mut DbConnection, employee_id: &str) -> Result<Vec<CourseProgress>, AppError> {
    let rows = course_progress::table.filter(course_progress::user_id.eq(employee_id));
    Ok(match c {
        DbConnection::Pg(pg) => rows.select(CourseProgress::as_select()).for_update().load(pg)?,
        DbConnection::Sqlite(lite) => rows.select(CourseProgress::as_select()).load(lite)?,
    })
}

/// Starts trajectory `t`'s round: moves the employee's rows of earlier trajectories out of their
/// course list. Rows made since `t` was proposed (or before their first trajectory, when `t` is
/// it) are `t`'s and stay; so a second call moves nothing. Returns how many courses moved.
pub fn begin(c: &mut DbConnection, t: &Trajectory) -> Result<usize, AppError> {
    let periods = periods_of(c, &t.employee_id)?;
    let mut moving: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in course_rows_held(c, &t.employee_id)? {
        match periods.owner(&t.employee_id, row.started_at) {
            Some(owner) if owner != t.id => moving.entry(owner.to_string()).or_default().push(row.course_slug),
            _ => {}
        }
    }
    let mut moved = 0;
    for (owner, slugs) in &moving {
        move_courses(c, &t.employee_id, owner, slugs)?;
        moved += slugs.len();
    }
    Ok(moved)
}

/// Copies the courses `slugs` of `employee` and their pages into the past tables as `owner`'s,
/// then takes them out of the live ones.
fn move_courses(c: &mut DbConnection, employee: &str, owner: &str, slugs: &[String]) -> Result<(), AppError> {
    use course_progress as cp;
    use page_progress as pp;
    use past_course_progress as xc;
    use past_page_progress as xp;
    let tag = || owner.to_string().into_sql::<Text>();
    let courses = cp::table.filter(cp::user_id.eq(employee)).filter(cp::course_slug.eq_any(slugs)).select((
        tag(),
        cp::user_id,
        cp::course_slug,
        cp::started_at,
        cp::last_page_id,
        cp::celebration,
        cp::celebrated_at,
        cp::reflection,
        cp::reflection_choice,
        cp::reflected_at,
        cp::completed_at,
        cp::completed_via,
        cp::completed_by,
        cp::updated_at,
        cp::talk_asked_trajectory_id,
    ));
    let course_columns = (
        xc::trajectory_id,
        xc::user_id,
        xc::course_slug,
        xc::started_at,
        xc::last_page_id,
        xc::celebration,
        xc::celebrated_at,
        xc::reflection,
        xc::reflection_choice,
        xc::reflected_at,
        xc::completed_at,
        xc::completed_via,
        xc::completed_by,
        xc::updated_at,
        xc::talk_asked_trajectory_id,
    );
    let pages = pp::table.filter(pp::user_id.eq(employee)).filter(pp::course_slug.eq_any(slugs)).select((
        tag(),
        pp::user_id,
        pp::course_slug,
        pp::page_id,
        pp::page_hash,
        pp::visited_at,
        pp::done_at,
        pp::answers,
        pp::updated_at,
    ));
    let page_columns = (
        xp::trajectory_id,
        xp::user_id,
        xp::course_slug,
        xp::page_id,
        xp::page_hash,
        xp::visited_at,
        xp::done_at,
        xp::answers,
        xp::updated_at,
    );
    on_backend!(c, conn => {
        diesel::insert_into(xc::table).values(courses).into_columns(course_columns).execute(conn)?;
        diesel::insert_into(xp::table).values(pages).into_columns(page_columns).execute(conn)?;
        diesel::delete(pp::table.filter(pp::user_id.eq(employee)).filter(pp::course_slug.eq_any(slugs)))
            .execute(conn)?;
        diesel::delete(cp::table.filter(cp::user_id.eq(employee)).filter(cp::course_slug.eq_any(slugs)))
            .execute(conn)?;
    });
    Ok(())
}

/// The learning of trajectory `t`'s round, as the employee's course list is made from it: the
/// rows moved out with `t`, or those in the employee's list that were made in `t`; with `t`'s
/// plan once shared with the employee.
pub fn progress_of_round(c: &mut DbConnection, t: &Trajectory) -> Result<Progress, AppError> {
    use past_course_progress as xc;
    use past_page_progress as xp;
    let periods = periods_of(c, &t.employee_id)?;
    let mut courses: Vec<CourseSeen> = Vec::new();
    let mut theirs: HashSet<String> = HashSet::new();
    for row in course_progress::table
        .filter(course_progress::user_id.eq(&t.employee_id))
        .select(CourseProgress::as_select())
        .load(c)?
    {
        if periods.owner(&t.employee_id, row.started_at) == Some(t.id.as_str()) {
            theirs.insert(row.course_slug.clone());
            courses.push(row.into());
        }
    }
    let mut pages: Vec<PageSeen> = if theirs.is_empty() {
        Vec::new()
    } else {
        page_progress::table
            .filter(page_progress::user_id.eq(&t.employee_id))
            .filter(page_progress::course_slug.eq_any(&theirs))
            .select(PageSeen::as_select())
            .load(c)?
    };
    type Past = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let past: Vec<Past> = xc::table
        .filter(xc::trajectory_id.eq(&t.id))
        .select((
            xc::course_slug,
            xc::last_page_id,
            xc::celebration,
            xc::reflection,
            xc::reflection_choice,
            xc::reflected_at,
            xc::completed_at,
            xc::completed_via,
        ))
        .load(c)?;
    for (course_slug, last_page_id, celebration, reflection, reflection_choice, reflected_at, completed_at, via) in past
    {
        courses.push(CourseSeen {
            course_slug,
            last_page_id,
            celebration,
            reflection,
            reflection_choice,
            reflected_at,
            completed_at,
            completed_via: via,
        });
    }
    let past_pages: Vec<(String, String, String, bool, Option<String>)> = xp::table
        .filter(xp::trajectory_id.eq(&t.id))
        .select((xp::course_slug, xp::page_id, xp::page_hash, xp::done_at.is_not_null(), xp::answers))
        .load(c)?;
    pages.extend(past_pages.into_iter().map(|(course_slug, page_id, page_hash, done, answers)| PageSeen {
        course_slug,
        page_id,
        page_hash,
        done,
        answers,
    }));
    let plan = plans::table
        .filter(plans::trajectory_id.eq(&t.id))
        .filter(plans::shared_with_employee.eq(true))
        .select((plans::course_order, plans::focus_courses, plans::course_modes))
        .first::<(String, String, String)>(c)
        .optional()?
        .map(|(course_order, focus_courses, course_modes)| PlanChoices { course_order, focus_courses, course_modes });
    Ok(Progress { courses, pages, plan })
}
