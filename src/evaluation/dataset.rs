//! The evaluation's raw material, read batch by batch: one `Record` per trajectory with
//! everything the exports need. Batches use keyset paging on the trajectory id, so memory stays
//! the same whatever the number of trajectories.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::key_range::{in_keys, Keys};
use crate::db::one_of::one_of;
use crate::db::schema::{
    absences, aftercare_checkins, buddy_pairs, cards, consents, course_progress, group_invitations, intakes,
    logbook_entries, past_course_progress, plans, questionnaire_responses, trajectories, trajectory_events,
    work_returns, workplace_visits,
};
use crate::db::text::from_json;
use crate::db::DbConnection;
use crate::error::AppError;

use super::periods::Periods;

/// Trajectories per page with one reader; n readers read pages of `BATCH / n` (see `engine::run`).
pub const BATCH: i64 = 1000;

/// Which trajectories an export covers.
#[derive(Debug, Clone)]
pub struct Scope {
    pub organization: Option<String>,
    pub cohort: Option<String>,
}

impl Scope {
    pub fn holds(&self, r: &Record) -> bool {
        self.organization.as_ref().is_none_or(|o| *o == r.organization_id)
            && self.cohort.as_ref().is_none_or(|c| *c == r.cohort_id)
    }
}

pub use super::answers::{Answers, ItemKeys};

/// What a batch reads besides the trajectories of its page.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// The day the figures run up to (follow-up, absence after the start).
    pub today: NaiveDate,
    /// For the day a moment kept in UTC fell on.
    pub time_zone: chrono_tz::Tz,
    /// The employees' questionnaires at the start and at the end.
    pub baseline_key: &'a str,
    pub end_key: &'a str,
    /// The item keys of those questionnaires: the answers kept.
    pub items: &'a ItemKeys,
    /// Reflections and open answers as text (an export with free text); otherwise only whether
    /// a reflection was written.
    pub texts: bool,
}

/// An absence episode: start, end (open when running) and coarse category.
pub type Episode = (NaiveDate, Option<NaiveDate>, Option<String>);

#[derive(Debug, Clone, Default)]
pub struct Absence {
    pub reports_before: i64,
    pub days_before: i64,
    pub reports_after: i64,
    pub days_after: i64,
    /// Days of follow-up after the start (at most 365; fewer for recent trajectories).
    pub follow_up_days: i64,
    /// At the start: an absence of more than six weeks was running (its episodes that follow on
    /// counted together, as the absence summary counts them).
    pub long_term: bool,
    /// At the start: frequent absence as the absence summary counts it (`FREQUENT_EPISODES` or
    /// more absences in the 12 months before).
    pub frequent: bool,
    /// Coarse category of the latest episode before the start (no diagnosis).
    pub category: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Return {
    pub first_date: NaiveDate,
    pub first_hours: f64,
    /// `partial` or `full`, or `absent_again` after a relapse with no return since.
    pub latest_extent: String,
    /// Hours per week now: 0 when absent again.
    pub latest_hours: f64,
    /// When the latest return was recorded (a relapse recorded after it means absent again).
    recorded: NaiveDateTime,
}

/// Logbook kinds that are a conversation with the employee: the sessions of the evaluation.
const CONVERSATIONS: [&str; 5] = ["intake", "coaching_talk", "phone", "home_visit", "group_follow_up"];

#[derive(Debug, Clone, Default)]
pub struct Logbook {
    /// Conversations ([`CONVERSATIONS`]); minutes and preparation count every entry.
    pub sessions: i64,
    pub coaching_talks: i64,
    pub session_minutes: i64,
    pub preparation_minutes: i64,
    pub intake_minutes: i64,
    /// Entries with more than 30 minutes of preparation for a talk of under 60 minutes.
    pub long_preparations: i64,
    pub agreements: i64,
    pub led_by_employee: i64,
    pub led_by_coach: i64,
    pub led_together: i64,
}

#[derive(Debug, Clone)]
pub struct Reflection {
    pub course: String,
    pub written: bool,
    /// Only read for an export with free text.
    pub text: Option<String>,
    pub choice: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub key: String,
    pub version: i32,
    pub answers: Answers,
    /// Open answers (item key, text); only read for an export with free text.
    pub open: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub trajectory_id: String,
    pub organization_id: String,
    pub cohort_id: String,
    pub employee_id: String,
    pub coach_id: String,
    pub status: String,
    pub stop_reason: Option<String>,
    pub started: NaiveDate,
    /// Minutes the coach spent on recruitment, when recorded.
    pub recruitment_minutes: Option<i64>,
    /// Method consent was given at some point.
    pub method_consent: bool,
    /// Method consent stands now (the latest record): someone who withdrew it still counts as a
    /// participant who stopped, but their own words are no longer handed on.
    pub method_consent_now: bool,
    /// Research consent is given now (a withdrawal removes the person from later exports).
    pub research_consent: bool,
    pub intake_done: bool,
    pub plan_done: bool,
    /// Courses, group invitations and a buddy pair are the employee's own; a record has those
    /// begun during its trajectory (see `periods`).
    pub courses_started: Vec<String>,
    pub courses_completed: Vec<String>,
    pub reflections: Vec<Reflection>,
    pub baseline: Option<Response>,
    pub end: Option<Response>,
    pub logbook: Logbook,
    pub group_invited: i64,
    pub group_attended: i64,
    pub buddy: bool,
    pub visits_done: i64,
    pub cards_received: i64,
    pub aftercare_done: i64,
    pub work_return: Option<Return>,
    pub absence: Absence,
}

impl Record {
    pub fn days_to_return(&self) -> Option<i64> {
        self.work_return.as_ref().map(|r| (r.first_date - self.started).num_days().max(0))
    }
}

/// A page of an export: the trajectories after `after` (by id, exclusive) up to `upto`
/// (inclusive); the first page has no lower bound and the last no upper one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub after: Option<String>,
    pub upto: Option<String>,
}

/// Splits the trajectories in scope into pages of `size`, in id order. Only the page ends are
/// read (one short index walk each), so the pages are fixed before any reader starts: several
/// readers can then take turns and still cover every trajectory exactly once, also when
/// trajectories are added during the export.
pub fn pages(c: &mut DbConnection, scope: &Scope, size: i64) -> Result<Vec<Page>, AppError> {
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = trajectories::table.select(trajectories::id).order(trajectories::id).into_boxed();
        q = scoped(q, scope);
        if let Some(a) = &after {
            q = q.filter(trajectories::id.gt(a.clone()));
        }
        let end: Option<String> = q.offset(size - 1).limit(1).get_result(c).optional()?;
        let last = end.is_none();
        pages.push(Page { after: after.clone(), upto: end.clone() });
        if last {
            return Ok(pages);
        }
        after = end;
    }
}

type Boxed<'a, S> = trajectories::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend, S>;

/// `q` restricted to the trajectories in `scope`.
pub fn scoped<'a, S>(mut q: Boxed<'a, S>, scope: &Scope) -> Boxed<'a, S> {
    if let Some(o) = &scope.organization {
        q = q.filter(trajectories::organization_id.eq(o.clone()));
    }
    if let Some(co) = &scope.cohort {
        q = q.filter(trajectories::cohort_id.eq(co.clone()));
    }
    q
}

/// Reads the records of one page (see [`pages`]).
pub fn batch(c: &mut DbConnection, scope: &Scope, page: &Page, reading: &Reading) -> Result<Vec<Record>, AppError> {
    let Reading { today, time_zone, baseline_key, end_key, items, texts } = *reading;
    type Row = (String, String, String, String, String, String, Option<String>, NaiveDateTime, Option<i32>);
    let mut q = scoped(
        trajectories::table
            .select((
                trajectories::id,
                trajectories::organization_id,
                trajectories::cohort_id,
                trajectories::employee_id,
                trajectories::coach_id,
                trajectories::status,
                trajectories::stop_reason,
                trajectories::created_at,
                trajectories::recruitment_minutes,
            ))
            .order(trajectories::id)
            .into_boxed(),
        scope,
    );
    if let Some(a) = &page.after {
        q = q.filter(trajectories::id.gt(a.clone()));
    }
    if let Some(u) = &page.upto {
        q = q.filter(trajectories::id.le(u.clone()));
    }
    let rows: Vec<Row> = q.load(c)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let employees: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    // Without a scope filter the batch is every trajectory from its first id to its last: the
    // tables keyed by trajectory are then read as one index range each.
    let unfiltered = scope.organization.is_none() && scope.cohort.is_none();
    let ids = Keys::of_page(rows.iter().map(|r| r.0.clone()).collect(), unfiltered);

    // The first move to active is the start; one from returned or aftercare is a relapse.
    let mut started: HashMap<String, NaiveDateTime> = HashMap::new();
    let mut relapsed: HashMap<String, NaiveDateTime> = HashMap::new();
    for (tid, from, at) in trajectory_events::table
        .filter(in_keys(trajectory_events::trajectory_id, &ids))
        .filter(trajectory_events::to_status.eq("active"))
        .select((trajectory_events::trajectory_id, trajectory_events::from_status, trajectory_events::at))
        .load::<(String, Option<String>, NaiveDateTime)>(c)?
    {
        if matches!(from.as_deref(), Some("returned" | "aftercare")) {
            let e = relapsed.entry(tid.clone()).or_insert(at);
            *e = (*e).max(at);
        }
        let e = started.entry(tid).or_insert(at);
        *e = (*e).min(at);
    }

    // Consents in time order: the last research record decides; any method "yes" counts (and the
    // last method record says whether it still stands).
    let mut method: HashMap<String, bool> = HashMap::new();
    let mut method_now: HashMap<String, bool> = HashMap::new();
    let mut research: HashMap<String, bool> = HashMap::new();
    for (tid, kind, given) in consents::table
        .filter(in_keys(consents::trajectory_id, &ids))
        .order((consents::recorded_at, consents::id))
        .select((consents::trajectory_id, consents::kind, consents::given))
        .load::<(String, String, bool)>(c)?
    {
        if kind == "method" {
            *method.entry(tid.clone()).or_default() |= given;
            method_now.insert(tid, given);
        } else {
            research.insert(tid, given);
        }
    }

    // A withdrawal of research consent is the person's (DOMAIN.md: it removes the person from
    // every later export): their latest research decision on any of their trajectories also
    // takes out the earlier trajectories that still say yes.
    // All their trajectories, also those outside the scope: they tell which trajectory the
    // person's own data (courses, groups, buddy) was made in.
    let every: Vec<(String, String, NaiveDateTime)> = trajectories::table
        .filter(one_of(trajectories::employee_id, &employees))
        .select((trajectories::id, trajectories::employee_id, trajectories::created_at))
        .load(c)?;
    let theirs: HashMap<String, String> = every.iter().map(|(t, e, _)| (t.clone(), e.clone())).collect();
    let periods = Periods::new(every);
    let their_ids: Vec<String> = theirs.keys().cloned().collect();
    // Their latest word on each, across all their trajectories.
    let mut person_research: HashMap<&str, bool> = HashMap::new();
    let mut person_method: HashMap<&str, bool> = HashMap::new();
    for (tid, kind, given) in consents::table
        .filter(one_of(consents::trajectory_id, &their_ids))
        .order((consents::recorded_at, consents::id))
        .select((consents::trajectory_id, consents::kind, consents::given))
        .load::<(String, String, bool)>(c)?
    {
        if let Some(employee) = theirs.get(&tid) {
            let latest = if kind == "research" { &mut person_research } else { &mut person_method };
            latest.insert(employee, given);
        }
    }

    let with_intake: HashSet<String> = intakes::table
        .filter(in_keys(intakes::trajectory_id, &ids))
        .select(intakes::trajectory_id)
        .load::<String>(c)?
        .into_iter()
        .collect();
    let with_plan: HashSet<String> = plans::table
        .filter(in_keys(plans::trajectory_id, &ids))
        .select(plans::trajectory_id)
        .load::<String>(c)?
        .into_iter()
        .collect();

    // Whether a course was completed and a reflection written, asked of the database: the
    // timestamps and texts themselves are not needed (texts only with free text, below). The
    // employee's list holds the rows of their latest learning round; earlier rounds' rows are
    // kept with their trajectory (`courses::rounds`).
    type Progress = (String, String, bool, bool, Option<String>);
    let progress_rows: Vec<(Progress, NaiveDateTime)> = course_progress::table
        .filter(one_of(course_progress::user_id, &employees))
        .order((course_progress::user_id, course_progress::course_slug))
        .select((
            (
                course_progress::user_id,
                course_progress::course_slug,
                course_progress::completed_at.is_not_null(),
                course_progress::reflection.is_not_null(),
                course_progress::reflection_choice,
            ),
            course_progress::started_at,
        ))
        .load(c)?;
    // Per trajectory the course was started in, so that each record finds its own rows without
    // scanning the batch's.
    let mut progress: HashMap<String, Vec<Progress>> = HashMap::new();
    for (p, started_at) in progress_rows {
        if let Some(t) = periods.owner(&p.0, started_at) {
            progress.entry(t.to_string()).or_default().push(p);
        }
    }
    for (t, p) in past_course_progress::table
        .filter(one_of(past_course_progress::user_id, &employees))
        .order((past_course_progress::trajectory_id, past_course_progress::course_slug))
        .select((
            past_course_progress::trajectory_id,
            (
                past_course_progress::user_id,
                past_course_progress::course_slug,
                past_course_progress::completed_at.is_not_null(),
                past_course_progress::reflection.is_not_null(),
                past_course_progress::reflection_choice,
            ),
        ))
        .load::<(String, Progress)>(c)?
    {
        progress.entry(t).or_default().push(p);
    }
    // By (trajectory, course).
    let mut reflection_texts: HashMap<(String, String), String> = HashMap::new();
    if texts {
        for (user, slug, started_at, text) in course_progress::table
            .filter(one_of(course_progress::user_id, &employees))
            .select((
                course_progress::user_id,
                course_progress::course_slug,
                course_progress::started_at,
                course_progress::reflection.assume_not_null(),
            ))
            .filter(course_progress::reflection.is_not_null())
            // An erased person's mark (counted above) is no text of theirs: as a text it would
            // tell which pseudonym was erased.
            .filter(course_progress::reflection.ne(crate::privacy::erase::REDACTED))
            .load::<(String, String, NaiveDateTime, String)>(c)?
        {
            if let Some(t) = periods.owner(&user, started_at) {
                reflection_texts.insert((t.to_string(), slug), text);
            }
        }
        for (t, slug, text) in past_course_progress::table
            .filter(one_of(past_course_progress::user_id, &employees))
            .select((
                past_course_progress::trajectory_id,
                past_course_progress::course_slug,
                past_course_progress::reflection.assume_not_null(),
            ))
            .filter(past_course_progress::reflection.is_not_null())
            .filter(past_course_progress::reflection.ne(crate::privacy::erase::REDACTED))
            .load::<(String, String, String)>(c)?
        {
            reflection_texts.insert((t, slug), text);
        }
    }

    let mut responses: HashMap<(String, String), Response> = HashMap::new();
    // Status and key are checked here, not in SQL: without statistics (a database the
    // housekeeping has not sampled yet, see `db::statistics`) SQLite would walk the
    // (questionnaire_key, ...) index for every batch instead of the trajectory index, which made
    // the export quadratic in the number of trajectories.
    for (tid, key, status, version, answers, open) in questionnaire_responses::table
        .filter(in_keys(questionnaire_responses::trajectory_id, &ids))
        .select((
            questionnaire_responses::trajectory_id.assume_not_null(),
            questionnaire_responses::questionnaire_key,
            questionnaire_responses::status,
            questionnaire_responses::version,
            questionnaire_responses::answers,
            questionnaire_responses::open_answers,
        ))
        .load::<(String, String, String, i32, String, String)>(c)?
    {
        if status != "submitted" || (key != baseline_key && key != end_key) {
            continue;
        }
        let open = if texts { open_texts(&open)? } else { Vec::new() };
        let r = Response { key: key.clone(), version, answers: items.parse(&answers)?, open };
        responses.insert((tid, key), r);
    }

    let mut logbooks: HashMap<String, Logbook> = HashMap::new();
    // The kinds and who led are compared in SQL: as strings they were two allocations a row.
    for (tid, intake, talk, conversation, minutes, prep, by_employee, by_coach, agreements) in logbook_entries::table
        .filter(in_keys(logbook_entries::trajectory_id, &ids))
        .select((
            logbook_entries::trajectory_id,
            logbook_entries::kind.eq("intake"),
            logbook_entries::kind.eq("coaching_talk"),
            logbook_entries::kind.eq_any(CONVERSATIONS),
            logbook_entries::duration_minutes,
            logbook_entries::preparation_minutes,
            logbook_entries::led_by.eq("employee"),
            logbook_entries::led_by.eq("coach"),
            logbook_entries::agreements,
        ))
        .load::<(String, bool, bool, bool, i32, i32, bool, bool, Option<String>)>(c)?
    {
        let l = logbooks.entry(tid).or_default();
        l.session_minutes += i64::from(minutes);
        l.preparation_minutes += i64::from(prep);
        if intake {
            l.intake_minutes += i64::from(minutes);
        }
        // An app message or an 'other' entry is time spent, not a talk: it does not count as a
        // session, nor with agreements, nor in who led or in the long preparations.
        if !conversation {
            continue;
        }
        l.sessions += 1;
        if agreements.is_some_and(|a| !a.trim().is_empty()) {
            l.agreements += 1;
        }
        if talk {
            l.coaching_talks += 1;
        }
        if prep > 30 && minutes < 60 {
            l.long_preparations += 1;
        }
        match (by_employee, by_coach) {
            (true, _) => l.led_by_employee += 1,
            (_, true) => l.led_by_coach += 1,
            _ => l.led_together += 1,
        }
    }

    // Invitations and pairs per trajectory they were made in, as the courses above.
    let mut groups: HashMap<String, (i64, i64)> = HashMap::new();
    for (emp, attendance, invited_at) in group_invitations::table
        .filter(one_of(group_invitations::employee_id, &employees))
        .select((group_invitations::employee_id, group_invitations::attendance, group_invitations::invited_at))
        .load::<(String, Option<String>, NaiveDateTime)>(c)?
    {
        let Some(t) = periods.owner(&emp, invited_at) else { continue };
        let g = groups.entry(t.to_string()).or_default();
        g.0 += 1;
        if attendance.as_deref() == Some("present") {
            g.1 += 1;
        }
    }

    let mut buddies: HashSet<String> = HashSet::new();
    for (a, b, created) in buddy_pairs::table
        .filter(one_of(buddy_pairs::employee_a, &employees).or(one_of(buddy_pairs::employee_b, &employees)))
        .filter(buddy_pairs::a_confirmed.and(buddy_pairs::b_confirmed))
        .select((buddy_pairs::employee_a, buddy_pairs::employee_b, buddy_pairs::created_at))
        .load::<(String, String, NaiveDateTime)>(c)?
    {
        // The buddy of this batch's employee may be of another batch: periods.owner is then None.
        buddies.extend([&a, &b].into_iter().filter_map(|e| periods.owner(e, created)).map(str::to_string));
    }

    let visits = count_by(
        workplace_visits::table
            .filter(in_keys(workplace_visits::trajectory_id, &ids))
            .filter(workplace_visits::status.eq("done"))
            .select(workplace_visits::trajectory_id)
            .load::<String>(c)?,
    );
    let now = crate::db::now();
    let card_counts = count_by(
        cards::table
            .filter(in_keys(cards::trajectory_id, &ids))
            .filter(cards::blocked.eq(false))
            .filter(cards::deliver_after.le(now))
            .select(cards::trajectory_id)
            .load::<String>(c)?,
    );
    // Status is checked here for the same reason as above (the `aftercare_due` index).
    let aftercare = count_by(
        aftercare_checkins::table
            .filter(in_keys(aftercare_checkins::trajectory_id, &ids))
            .select((aftercare_checkins::trajectory_id, aftercare_checkins::status))
            .load::<(String, String)>(c)?
            .into_iter()
            .filter_map(|(tid, status)| (status == "done").then_some(tid))
            .collect(),
    );

    let mut returns: HashMap<String, Return> = HashMap::new();
    for (tid, date, extent, hours, recorded) in work_returns::table
        .filter(in_keys(work_returns::trajectory_id, &ids))
        // By date, as the return's history: the latest date is the current extent and hours.
        .order((work_returns::return_date, work_returns::recorded_at, work_returns::id))
        .select((
            work_returns::trajectory_id,
            work_returns::return_date,
            work_returns::extent,
            work_returns::hours_per_week,
            work_returns::recorded_at,
        ))
        .load::<(String, NaiveDate, String, f64, NaiveDateTime)>(c)?
    {
        returns
            .entry(tid)
            // In date order: the first row is the first return, each later one the latest so far.
            .and_modify(|r| {
                r.latest_extent = extent.clone();
                r.latest_hours = hours;
                r.recorded = r.recorded.max(recorded);
            })
            .or_insert(Return {
                first_date: date,
                first_hours: hours,
                latest_extent: extent.clone(),
                latest_hours: hours,
                recorded,
            });
    }
    for (tid, r) in returns.iter_mut() {
        if relapsed.get(tid).is_some_and(|at| *at > r.recorded) {
            r.latest_extent = "absent_again".into();
            r.latest_hours = 0.0;
        }
    }

    let mut episodes: HashMap<String, Vec<Episode>> = HashMap::new();
    for (emp, s, e, cat) in absences::table
        .filter(one_of(absences::employee_id, &employees))
        .order((absences::employee_id, absences::start_date))
        .select((absences::employee_id, absences::start_date, absences::end_date, absences::category))
        .load::<(String, NaiveDate, Option<NaiveDate>, Option<String>)>(c)?
    {
        episodes.entry(emp).or_default().push((s, e, cat));
    }

    let mut out = Vec::with_capacity(rows.len());
    for (id, org, cohort, employee, coach, status, stop_reason, created, recruitment) in rows {
        let start = crate::local_time::date_of(time_zone, started.get(&id).copied().unwrap_or(created));
        let mine: Vec<&Progress> = progress.get(&id).map(|v| v.iter().collect()).unwrap_or_default();
        let (g_inv, g_att) = groups.get(&id).copied().unwrap_or_default();
        out.push(Record {
            method_consent: method.get(&id).copied().unwrap_or(false),
            method_consent_now: method_now.get(&id).copied().unwrap_or(false)
                && person_method.get(employee.as_str()) != Some(&false),
            research_consent: research.get(&id).copied().unwrap_or(false)
                && person_research.get(employee.as_str()) != Some(&false),
            intake_done: with_intake.contains(&id),
            plan_done: with_plan.contains(&id),
            courses_started: mine.iter().map(|p| p.1.clone()).collect(),
            courses_completed: mine.iter().filter(|p| p.2).map(|p| p.1.clone()).collect(),
            reflections: mine
                .iter()
                .filter(|p| p.3 || p.4.is_some())
                .map(|p| Reflection {
                    course: p.1.clone(),
                    written: p.3,
                    text: if texts { reflection_texts.get(&(id.clone(), p.1.clone())).cloned() } else { None },
                    choice: p.4.clone(),
                })
                .collect(),
            baseline: responses.remove(&(id.clone(), baseline_key.to_string())),
            end: responses.remove(&(id.clone(), end_key.to_string())),
            logbook: logbooks.remove(&id).unwrap_or_default(),
            group_invited: g_inv,
            group_attended: g_att,
            buddy: buddies.contains(&id),
            visits_done: visits.get(&id).copied().unwrap_or(0),
            cards_received: card_counts.get(&id).copied().unwrap_or(0),
            aftercare_done: aftercare.get(&id).copied().unwrap_or(0),
            work_return: returns.remove(&id),
            absence: absence_figures(episodes.get(&employee).map_or(&[][..], |v| v.as_slice()), start, today),
            trajectory_id: id,
            organization_id: org,
            cohort_id: cohort,
            employee_id: employee,
            coach_id: coach,
            status,
            stop_reason,
            started: start,
            recruitment_minutes: recruitment.map(i64::from),
        });
    }
    Ok(out)
}

/// The texts among a response's open answers, in item key order.
fn open_texts(json: &str) -> Result<Vec<(String, String)>, AppError> {
    let open: std::collections::BTreeMap<String, serde_json::Value> = from_json(json)?;
    Ok(open
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(t) => Some((k, t)),
            _ => None,
        })
        .collect())
}

fn count_by(keys: Vec<String>) -> HashMap<String, i64> {
    let mut m = HashMap::new();
    for k in keys {
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

fn overlap(s: NaiveDate, e: Option<NaiveDate>, from: NaiveDate, to: NaiveDate) -> i64 {
    let a = s.max(from);
    let b = e.unwrap_or(to).min(to);
    if b < a {
        0
    } else {
        (b - a).num_days() + 1
    }
}

/// Sick reports and days in the 12 months before the start and in the (at most) 12 months from
/// the start, and the situation at the start.
pub fn absence_figures(
    episodes: &[(NaiveDate, Option<NaiveDate>, Option<String>)],
    start: NaiveDate,
    today: NaiveDate,
) -> Absence {
    use crate::absences::timeline::{year_ending, year_from};
    let before_to = start - Duration::days(1);
    let before_from = year_ending(before_to);
    let after_to = year_from(start).min(today);
    let mut a = Absence { follow_up_days: ((after_to - start).num_days() + 1).max(0), ..Absence::default() };
    // A sick report is an absence: episodes that follow on (a partial return is recorded as a new
    // episode) are one, as the absence summary counts them.
    use crate::absences::timeline::{spells, Episode as Part};
    let parts: Vec<Part> = episodes.iter().map(|(s, e, _)| Part { start: *s, end: *e, percentage: 100 }).collect();
    for spell in spells(&parts) {
        if spell.start >= before_from && spell.start <= before_to {
            a.reports_before += 1;
        }
        if spell.start >= start && spell.start <= after_to {
            a.reports_after += 1;
        }
    }
    for (s, e, cat) in episodes {
        a.days_before += overlap(*s, *e, before_from, before_to);
        if after_to >= start {
            a.days_after += overlap(*s, *e, start, after_to);
        }
        // The cause of the absence the method began in: of an episode before the start that
        // falls in its 12 months, not one from years ago.
        if *s < start && overlap(*s, *e, year_ending(start), start) > 0 {
            a.category = Some(cat.clone().unwrap_or_else(|| "unknown".into()));
        }
    }
    // Long-term and frequent as the absence summary shows them on the day of the start (an
    // episode that ended later was still open then), so that the export and the screen agree.
    use crate::absences::timeline::{figures, Episode};
    let as_then: Vec<Episode> = episodes
        .iter()
        .filter(|(s, _, _)| *s <= start)
        .map(|(s, e, _)| Episode { start: *s, end: e.filter(|e| *e < start), percentage: 100 })
        .collect();
    let then = figures(&as_then, start);
    a.long_term = then.long_term;
    a.frequent = then.frequent;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn absence_before_and_after_the_start() {
        let start = d("2026-03-01");
        let eps = vec![
            (d("2025-02-01"), Some(d("2025-02-10")), None), // more than 12 months before
            (d("2025-06-01"), Some(d("2025-06-05")), Some("physical".into())), // 5 days before
            (d("2026-01-01"), Some(d("2026-03-31")), Some("psychological".into())), // running at the start
            (d("2026-05-01"), Some(d("2026-05-03")), Some("physical".into())), // 3 days after
        ];
        // The running episode: 2026-01-01..2026-02-28 before (59 days), all of March after (31).
        let a = absence_figures(&eps, start, d("2026-06-01"));
        assert_eq!(a.reports_before, 2);
        assert_eq!(a.days_before, 5 + 59);
        assert_eq!(a.reports_after, 1);
        assert_eq!(a.days_after, 31 + 3);
        assert_eq!(a.follow_up_days, 93);
        assert!(a.long_term);
        assert!(!a.frequent);
        assert_eq!(a.category.as_deref(), Some("psychological"));
    }

    #[test]
    fn frequent_means_what_the_absence_summary_means() {
        let start = d("2026-03-01");
        let episode = |m: u32| (d(&format!("2025-{m:02}-01")), Some(d(&format!("2025-{m:02}-03"))), None);
        let three: Vec<_> = [4, 6, 8].into_iter().map(episode).collect();
        assert_eq!(absence_figures(&three, start, start).reports_before, 3);
        assert!(!absence_figures(&three, start, start).frequent, "three episodes are not frequent absence");
        let four: Vec<_> = [4, 6, 8, 10].into_iter().map(episode).collect();
        assert!(absence_figures(&four, start, start).frequent);
        // An episode that began before the 12 months and ran into them counts, as on screen.
        let mut overlapping = three.clone();
        overlapping.push((d("2025-02-20"), Some(d("2025-03-10")), None));
        assert!(absence_figures(&overlapping, start, start).frequent);
        // An episode that follows on from another (a partial return) is the same sick report.
        let mut follows_on = three.clone();
        follows_on.push((d("2025-08-04"), Some(d("2025-08-20")), None));
        let a = absence_figures(&follows_on, start, start);
        assert_eq!((a.reports_before, a.frequent), (3, false));
        assert_eq!(a.days_before, 9 + 17);
    }

    #[test]
    fn long_term_and_the_cause_mean_what_the_absence_summary_means() {
        let start = d("2026-03-01");
        // Day 43 of an absence at the start: long-term, as the summary counts days (both ends).
        let day_43 = vec![(start - Duration::days(42), None, Some("physical".into()))];
        assert_eq!(
            crate::absences::timeline::figures(
                &[crate::absences::timeline::Episode { start: start - Duration::days(42), end: None, percentage: 100 }],
                start
            )
            .long_term,
            absence_figures(&day_43, start, start).long_term
        );
        assert!(absence_figures(&day_43, start, start).long_term);
        // A cause from an absence years ago is not the cause of this one.
        let old = vec![(d("2020-01-01"), Some(d("2020-01-05")), Some("psychological".into()))];
        assert_eq!(absence_figures(&old, start, start).category, None);
    }
}
