//! `wilkan seed-demo`: realistic synthetic data at any size, deterministic for a seed, for trying
//! Wilkan and for the benchmarks. Rows are written with the same row types and checks as the API
//! uses, in bulk (one transaction per organisation) so that 10,000 trajectories load in seconds.
//! Every demo account with a password logs in with `DEMO_PASSWORD`.
//!
//! The data is what the API would have written: every trajectory's history fits before today (the
//! API records nothing ahead of its date), each record of a trajectory lies before its stop or
//! close, and what a status change ends is ended as the API ends it. The seeder reads no clock
//! but today's date: its times are whole hours of days counted back from today, and the password
//! hash is salted from the seed, so that a seed gives the same rows (ids included) all day.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::accounts::model::{Cohort, Organization, User};
use crate::courses::content::Catalogue;
use crate::db::schema::*;
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::evaluation::instruments::{Audience, Instruments, Moment};

mod answers;
use crate::trajectories::model::{Consent, Trajectory, TrajectoryEvent};

pub const DEMO_PASSWORD: &str = "wilkan-demo";

pub struct Options {
    pub organizations: usize,
    pub employees_per_org: usize,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub organizations: usize,
    pub users: usize,
    pub trajectories: usize,
    pub rows: usize,
}

const FIRST: [&str; 24] = [
    "Sandra", "Mohammed", "Kees", "Fatima", "Dennis", "Ayşe", "Jeroen", "Priya", "Ingrid", "Youssef", "Marco", "Sanne",
    "Hatice", "Bram", "Linda", "Ahmed", "Petra", "Rachid", "Esther", "Tom", "Naima", "Wim", "Özlem", "Ruud",
];
const LAST: [&str; 16] = [
    "de Vries",
    "Jansen",
    "Bakker",
    "El Amrani",
    "Visser",
    "Yılmaz",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Kaya",
];
const STOP_REASONS: [&str; 5] = ["medical", "too_difficult", "not_behaviour_related", "privacy_research", "other"];
const FLOW: [&str; 5] = ["proposed", "active", "returned", "aftercare", "closed"];
/// The organisations' aftercare weeks (`organizations.aftercare_weeks`): check-ins after a return.
const AFTERCARE_WEEKS: [i64; 3] = [2, 6, 12];
/// One page of the staff list as the benchmarks read it: `GET /trajectories?limit=50` as coach1.
const FULL_PAGE: usize = 50;
/// coach1's caseload in an organisation of at least a page of employees: more than one page.
const LEAD_CASELOAD: usize = 60;
/// The caseload of every other coach, and of coach1 in a smaller organisation: about this many.
const CASELOAD: usize = 10;

fn id(rng: &mut ChaCha8Rng) -> String {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid().to_string()
}

/// A v7-like id whose time part follows `at`, so that ids sort by creation as in real data.
fn id_at(rng: &mut ChaCha8Rng, at: NaiveDateTime) -> String {
    let ms = at.and_utc().timestamp_millis().max(0) as u64;
    uuid::Builder::from_unix_timestamp_millis(ms, &rng.gen()).into_uuid().to_string()
}

fn day(rng: &mut ChaCha8Rng, from: NaiveDate, span_days: i64) -> NaiveDate {
    from + Duration::days(rng.gen_range(0..span_days.max(1)))
}

/// `hour`:00 on `day`: every time the seeder writes is one of these.
fn at(day: NaiveDate, hour: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, 0, 0).unwrap_or_default()
}

/// The hash of `DEMO_PASSWORD` (argon2id with the API's parameters), salted from the seed instead
/// of the system's randomness: the same seed writes the same users.
fn demo_hash(rng: &mut ChaCha8Rng) -> Result<String, AppError> {
    use argon2::password_hash::PasswordHasher;
    let salt: [u8; 16] = rng.gen();
    let hashed: Result<argon2::password_hash::phc::PasswordHash, _> =
        argon2::Argon2::default().hash_password_with_salt(DEMO_PASSWORD.as_bytes(), &salt);
    hashed.map(|h| h.to_string()).map_err(|e| AppError::internal(format!("argon2: {e}")))
}

/// coach1's share where the organisation has a full page of employees (`None`: an even share).
fn lead_caseload(employees: usize) -> Option<usize> {
    (employees >= FULL_PAGE).then(|| employees.min(LEAD_CASELOAD))
}

/// How many coaches an organisation of `employees` has: coach1 (with the lead caseload, if any)
/// and one more per `CASELOAD` employees.
fn coach_count(employees: usize) -> usize {
    match lead_caseload(employees) {
        Some(lead) => 1 + (employees - lead).div_ceil(CASELOAD),
        None => employees.div_ceil(CASELOAD).max(1),
    }
}

/// The coach (index into the organisation's coaches) of employee `e`.
fn coach_of(e: usize, employees: usize, coaches: usize) -> usize {
    match lead_caseload(employees) {
        Some(lead) if e < lead => 0,
        Some(lead) => 1 + (e - lead) % coaches.saturating_sub(1).max(1),
        None => e % coaches.max(1),
    }
}

/// Fills the database; `progress` is told after each organisation.
pub fn seed(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    instruments: &Instruments,
    opts: &Options,
    mut progress: impl FnMut(usize),
) -> Result<Summary, AppError> {
    // Plans keep the first course first and put the second in focus, and group sessions take the
    // courses as topics: refused before anything is written.
    if catalogue.courses.len() < 2 {
        return Err(AppError::BadRequest(format!(
            "seed-demo needs at least 2 courses in the course content, found {}: demo plans order the courses and \
             focus on the second one. Point WILKAN_CONTENT_DIR at the full course content.",
            catalogue.courses.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let hash = demo_hash(&mut rng)?;
    let mut s = Summary::default();
    let today = now().date();
    let slugs: Vec<String> = catalogue.courses.iter().map(|c| c.slug.clone()).collect();
    // Nothing happens after yesterday: no time of day written lies ahead of the clock.
    let ctx = Context { hash: &hash, slugs: &slugs, catalogue, instruments, today, last: today - Duration::days(1) };
    for o in 0..opts.organizations {
        conn.transaction(|c| organisation(c, &mut rng, o, opts.employees_per_org, &ctx, &mut s))?;
        progress(o + 1);
    }
    // After a bulk load PostgreSQL has no statistics until autovacuum gets to the tables (never,
    // where it is turned off), and SQLite none until the server's housekeeping samples them:
    // until then the planner guesses row counts. A full analysis once, rather than a sample.
    crate::db::statistics::analyze_all(conn)?;
    Ok(s)
}

/// What every organisation is generated from.
struct Context<'a> {
    hash: &'a str,
    slugs: &'a [String],
    catalogue: &'a Catalogue,
    instruments: &'a Instruments,
    today: NaiveDate,
    /// The last day anything happens (yesterday).
    last: NaiveDate,
}

/// Which of an employee's trajectories is being written. Someone in the method now may have been
/// in it before: an earlier trajectory that ended (stopped, or closed after a return) long enough
/// ago that its absences and the later one's do not meet, with its own learning round.
#[derive(Debug, Clone, Copy)]
enum Round {
    /// Their only trajectory.
    Only,
    /// The earlier one: everything of it happens by `until`.
    Earlier { until: NaiveDate },
    /// The later one: it is proposed some months after `after`, and the absence that led to it
    /// began after that day.
    Later { after: NaiveDate },
}

/// The end of a returning employee's earlier trajectory, in days before today: the later one is
/// proposed within the last 100 days, its absence having begun at most 120 days before that.
const EARLIER_ENDS_DAYS_AGO: i64 = 250;
/// Where the two slices of returning employees begin among the rolls of `trajectory` (inside the
/// active ones, 0.10 to 0.45).
const RETURNING_FROM: f64 = 0.30;

/// What the organisation's shared rows (group sessions, buddy pairs) need of a trajectory.
struct Made {
    employee_id: String,
    coach_id: String,
    /// When it became active, with method consent; `None` if it never did.
    active_at: Option<NaiveDateTime>,
    /// When it stopped or closed.
    ended_at: Option<NaiveDateTime>,
}

impl Made {
    /// Runs now: started and not ended (the API's "active trajectory" of a buddy).
    fn runs(&self) -> bool {
        self.active_at.is_some() && self.ended_at.is_none()
    }
}

fn organisation(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    index: usize,
    employees: usize,
    ctx: &Context<'_>,
    s: &mut Summary,
) -> Result<(), AppError> {
    let (hash, slugs, today, last) = (ctx.hash, ctx.slugs, ctx.today, ctx.last);
    let t0 = at(today - Duration::days(720), 9);
    let org = Organization {
        id: id_at(rng, t0),
        name: format!("Werkbedrijf Demo {}", index + 1),
        created_at: t0,
        updated_at: t0,
        aftercare_weeks: json!(AFTERCARE_WEEKS).to_string(),
    };
    diesel::insert_into(organizations::table).values(&org).execute(c)?;
    let cohorts: Vec<Cohort> = (0..2)
        .map(|k| Cohort {
            id: id_at(rng, t0),
            organization_id: org.id.clone(),
            name: format!("Ronde {}", k + 1),
            starts_on: Some(today - Duration::days(600 - 300 * k as i64)),
            ends_on: None,
            created_at: t0,
        })
        .collect();
    for cohort in &cohorts {
        diesel::insert_into(cohorts::table).values(cohort).execute(c)?;
    }
    let user = |rng: &mut ChaCha8Rng, role: &str, email: String, password: bool| User {
        id: id_at(rng, t0),
        email,
        first_name: FIRST.choose(rng).copied().unwrap_or("Sam").to_string(),
        last_name: Some(LAST.choose(rng).copied().unwrap_or("Jansen").to_string()),
        role: role.into(),
        organization_id: Some(org.id.clone()),
        password_hash: password.then(|| hash.to_string()),
        active: true,
        created_at: t0,
        updated_at: t0,
        erased_at: None,
    };
    let n = index + 1;
    let pl = user(rng, "project_leader", format!("projectleider@org{n}.demo"), true);
    let coaches: Vec<User> =
        (0..coach_count(employees)).map(|k| user(rng, "coach", format!("coach{}@org{n}.demo", k + 1), true)).collect();
    let staff: Vec<&User> = std::iter::once(&pl).chain(coaches.iter()).collect();
    for u in &staff {
        diesel::insert_into(users::table).values(*u).execute(c)?;
    }
    s.users += staff.len();
    // Where each trajectory stands is drawn by systematic sampling: the shares in `trajectory`
    // hold in every organisation (each status, and a relapse, from 24 employees on), not only on
    // average; who gets which is random.
    let offset: f64 = rng.gen();
    let mut rolls: Vec<f64> = (0..employees).map(|e| (e as f64 + offset) / employees as f64).collect();
    rolls.shuffle(rng);
    let mut made: Vec<Made> = Vec::with_capacity(employees);
    for (e, roll) in rolls.into_iter().enumerate() {
        let employee = user(rng, "employee", format!("medewerker{}@org{n}.demo", e + 1), true);
        diesel::insert_into(users::table).values(&employee).execute(c)?;
        let coach = &coaches[coach_of(e, employees, coaches.len())];
        let cohort = &cohorts[e % cohorts.len()];
        // Of those on their way now (one in twelve, two slices of the active ones beside each
        // other: every 24 employees have both), some were in the method before, with the same
        // coach and in the first cohort: closed after a return, or stopped.
        let round = if (RETURNING_FROM..RETURNING_FROM + 2.0 / 24.0).contains(&roll) {
            let until = today - Duration::days(EARLIER_ENDS_DAYS_AGO);
            let earlier_roll = if roll < RETURNING_FROM + 1.0 / 24.0 { 0.8 } else { 0.95 };
            trajectory(c, rng, &org, &cohorts[0], &employee, coach, earlier_roll, Round::Earlier { until }, ctx, s)?;
            s.trajectories += 1;
            Round::Later { after: until }
        } else {
            Round::Only
        };
        made.push(trajectory(c, rng, &org, cohort, &employee, coach, roll, round, ctx, s)?);
        s.users += 1;
        s.trajectories += 1;
    }
    // Every coach answers the coach questionnaire once per cohort, some months into its round.
    if let Some(inst) = ctx.instruments.for_moment(Audience::Coach, Moment::Training) {
        for cohort in &cohorts {
            let when = at(cohort.starts_on.unwrap_or(t0.date()) + Duration::days(120), 15).min(at(last, 15));
            for coach in &coaches {
                let who = answers::Subject {
                    respondent_id: &coach.id,
                    organization_id: &org.id,
                    trajectory_id: None,
                    cohort_id: &cohort.id,
                    entered_by: &coach.id,
                };
                answers::insert(c, rng, inst, who, 1, &[], when)?;
                s.rows += 1;
            }
        }
    }
    // Group sessions per cohort, with invitations (a week before) and attendance. The API invites
    // only employees with a running trajectory with method consent: here those whose trajectory
    // had started by the invitation and had not ended by the session (a stop would have taken
    // back the invitation to a session still to come).
    for k in 0..cohorts.len() {
        for g in 0..3 {
            let starts = at(today - Duration::days(200 - 60 * g - 30 * k as i64), 10);
            let invited = starts - Duration::days(7);
            let sid = id_at(rng, invited);
            diesel::insert_into(group_sessions::table)
                .values((
                    group_sessions::id.eq(&sid),
                    group_sessions::organization_id.eq(&org.id),
                    group_sessions::facilitator_id.eq(&coaches[0].id),
                    group_sessions::starts_at.eq(starts),
                    group_sessions::place.eq(Some("Kantine, gebouw B")),
                    group_sessions::topic.eq(&slugs[(g as usize + k) % slugs.len()]),
                    group_sessions::notes.eq(Some("Fijn gesprek; iedereen deed mee.")),
                    group_sessions::cancelled.eq(false),
                    group_sessions::created_at.eq(invited),
                    // Attendance and notes, after the session.
                    group_sessions::updated_at.eq(starts + Duration::hours(2)),
                ))
                .execute(c)?;
            let eligible: Vec<&str> = made
                .iter()
                .filter(|m| m.active_at.is_some_and(|a| a <= invited) && m.ended_at.is_none_or(|e| e > starts))
                .map(|m| m.employee_id.as_str())
                .collect();
            for p in eligible.choose_multiple(rng, 6.min(eligible.len())) {
                let attendance = ["present", "present", "absent_with_notice", "absent"].choose(rng).copied();
                diesel::insert_into(group_invitations::table)
                    .values((
                        group_invitations::session_id.eq(&sid),
                        group_invitations::employee_id.eq(*p),
                        group_invitations::attendance.eq(attendance),
                        group_invitations::invited_at.eq(invited),
                    ))
                    .execute(c)?;
                s.rows += 1;
            }
        }
    }
    // A few buddy pairs among employees whose trajectory runs (started with method consent, not
    // ended), each proposed by the coach of its first employee (the API refuses another coach)
    // once both had started.
    let mut running: Vec<&Made> = made.iter().filter(|m| m.runs()).collect();
    running.shuffle(rng);
    let pairs = running.len() / 8;
    for pair in running.chunks(2).take(pairs) {
        if let [a, b] = pair {
            let both = rng.gen_bool(0.7);
            let since = a.active_at.max(b.active_at).map_or(last, |t| t.date());
            let created = at(since + Duration::days(rng.gen_range(1..=14)), 11).min(at(last, 11));
            diesel::insert_into(buddy_pairs::table)
                .values((
                    buddy_pairs::id.eq(id_at(rng, created)),
                    buddy_pairs::organization_id.eq(&org.id),
                    buddy_pairs::employee_a.eq(&a.employee_id),
                    buddy_pairs::employee_b.eq(&b.employee_id),
                    buddy_pairs::status.eq(if both { "active" } else { "proposed" }),
                    buddy_pairs::a_confirmed.eq(true),
                    buddy_pairs::b_confirmed.eq(both),
                    buddy_pairs::a_contact.eq(Some("Via de app")),
                    buddy_pairs::b_contact.eq(both.then_some("06-12345678")),
                    buddy_pairs::proposed_by.eq(&a.coach_id),
                    buddy_pairs::created_at.eq(created),
                ))
                .execute(c)?;
            s.rows += 1;
        }
    }
    s.organizations += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn trajectory(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    org: &Organization,
    cohort: &Cohort,
    employee: &User,
    coach: &User,
    roll: f64,
    round: Round,
    ctx: &Context<'_>,
    s: &mut Summary,
) -> Result<Made, AppError> {
    let (slugs, catalogue) = (ctx.slugs, ctx.catalogue);
    let last = match round {
        Round::Earlier { until } => until,
        _ => ctx.last,
    };
    // Where it stands: mostly active; some stopped at a step (the study: 12 of 52 stopped). Of
    // those back at work 15% are absent again: back to `active` (a relapse). The two relapse
    // slices lie side by side, together wider than 1/24, so that 24 employees have one.
    let (reached, stopped, relapse): (usize, bool, bool) = match roll {
        r if r < 0.10 => (0, false, false),
        r if r < 0.45 => (1, false, false),
        r if r < 0.5775 => (2, false, false),
        r if r < 0.60 => (2, false, true),
        r if r < 0.6195 => (3, false, true),
        r if r < 0.75 => (3, false, false),
        r if r < 0.88 => (4, false, false),
        _ => (rng.gen_range(0..3), true, false),
    };
    let status = if stopped {
        "stopped"
    } else if relapse {
        "active"
    } else {
        FLOW[reached]
    };
    // Its course, in days from the start, each step after the one before.
    let o_active: i64 = rng.gen_range(2..=14);
    let o_back = o_active + rng.gen_range(30..120);
    // The return is recorded once it began (the API refuses a date still to come).
    let o_returned = o_back + rng.gen_range(0..=3);
    let o_aftercare = o_returned + rng.gen_range(7..=21);
    // Before the last check-in comes due: the relapse calls off what is still due.
    let o_relapse = (if reached >= 3 { o_aftercare } else { o_returned }) + rng.gen_range(7..=40);
    // Closed after the last check-in had its week to be recorded.
    let o_close = o_back + 7 * AFTERCARE_WEEKS[AFTERCARE_WEEKS.len() - 1] + 7 + rng.gen_range(1..=21);
    let o_stop = [0, o_active, o_returned][reached.min(2)] + rng.gen_range(7..=60);
    // The end questionnaire, some weeks after the return.
    let o_end = o_back + rng.gen_range(7..=30);
    // The day of its last step: the start is chosen so that it is no later than yesterday.
    let need = match (stopped, reached) {
        (true, _) => o_stop,
        (false, 0) => 0,
        // The baseline questionnaire, three days in.
        (false, 1) => o_active.max(3),
        (false, 4) => o_close,
        (false, _) if relapse => o_relapse.max(o_end),
        (false, 2) => o_returned.max(o_end),
        (false, _) => o_aftercare.max(o_end),
    };
    // Proposals are recent; the others started up to a year and a half ago.
    let earliest = if reached == 0 && !stopped { last - Duration::days(90) } else { ctx.today - Duration::days(540) };
    // Proposed again: the absence that led here (up to 120 days before) began after the earlier
    // trajectory's last day.
    let earliest = match round {
        Round::Later { after } => earliest.max(after + Duration::days(150)),
        _ => earliest,
    };
    let latest = last - Duration::days(need);
    let start = day(rng, earliest, (latest - earliest).num_days() + 1).min(latest);
    let on = |days: i64, hour: u32| at(start + Duration::days(days), hour);
    let created = on(0, 9);
    let started = reached >= 1;
    let active_at = started.then(|| on(o_active, 10));
    let back = (reached >= 2).then(|| start + Duration::days(o_back));
    let returned_at = (reached >= 2).then(|| on(o_returned, 14));
    let aftercare_at = (reached >= 3).then(|| on(o_aftercare, 11));
    let relapse_at = relapse.then(|| on(o_relapse, 9));
    let ended_at = if stopped {
        Some(on(o_stop, 15))
    } else if reached == 4 {
        Some(on(o_close, 15))
    } else {
        None
    };
    // Nothing new is recorded about the trajectory once it has ended (the API refuses it).
    let limit = ended_at.map_or(last, |end| end.date() - Duration::days(1));
    let updated = [Some(created), active_at, returned_at, aftercare_at, relapse_at, ended_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(created);
    // Short absences in the year before (recorded below, with the long one that led here; someone
    // in the method twice has only the long one of each time): the coach answers the guide's
    // absence questions as the records say.
    let short_absences = if matches!(round, Round::Only) { rng.gen_range(0..4) } else { 0 };
    let frequent = short_absences + 1 >= crate::absences::timeline::FREQUENT_EPISODES;
    let answers = json!({"absent_over_4_weeks": true, "frequent_absence": frequent, "expected_absence_over_2_months": true,
        "expected_return_within_2_to_12_months": true, "return_within_24_months_of_sick_report": true, "device_at_home": rng.gen_bool(0.85),
        "reading_and_digital_skills_sufficient": rng.gen_bool(0.7), "paper_route_chosen": rng.gen_bool(0.4)});
    let include = answers["device_at_home"] == true
        && (answers["reading_and_digital_skills_sufficient"] == true || answers["paper_route_chosen"] == true);
    let t = Trajectory {
        id: id_at(rng, created),
        organization_id: org.id.clone(),
        cohort_id: cohort.id.clone(),
        employee_id: employee.id.clone(),
        coach_id: coach.id.clone(),
        status: status.into(),
        stop_reason: stopped.then(|| STOP_REASONS.choose(rng).copied().unwrap_or("other").to_string()),
        stop_note: stopped.then(|| "Terug naar de gewone begeleiding.".to_string()),
        inclusion_answers: answers.to_string(),
        inclusion_advice: if include { "include" } else { "exclude" }.into(),
        inclusion_override_reason: (!include).then(|| "Werkt met de papieren map.".to_string()),
        created_by: coach.id.clone(),
        created_at: created,
        updated_at: updated,
        // Most coaches note the time a first approach took; some forget.
        recruitment_minutes: rng.gen_bool(0.85).then(|| rng.gen_range(10..=120)),
        // Set by the consent records below.
        method_consent: false,
        research_consent: false,
    };
    diesel::insert_into(trajectories::table).values(&t).execute(c)?;
    // Its status history, step by step, then a relapse or the stop.
    let mut from: Option<&str> = None;
    let path = [
        (FLOW[0], Some(created)),
        (FLOW[1], active_at),
        (FLOW[2], returned_at),
        (FLOW[3], aftercare_at),
        (FLOW[4], ended_at.filter(|_| !stopped)),
    ];
    for (step, when) in path {
        let Some(when) = when else { continue };
        event(c, rng, &t.id, from, step, None, None, &coach.id, when)?;
        from = Some(step);
    }
    if let Some(when) = relapse_at {
        event(c, rng, &t.id, from, "active", None, None, &coach.id, when)?;
    }
    if let (true, Some(when)) = (stopped, ended_at) {
        event(c, rng, &t.id, from, "stopped", t.stop_reason.as_deref(), t.stop_note.as_deref(), &coach.id, when)?;
    }
    // Through the API's own function, which keeps the trajectory's consent state.
    let consent = |c: &mut DbConnection, rng: &mut ChaCha8Rng, kind: &str, given: bool, at: NaiveDateTime| {
        crate::trajectories::queries::insert_consent(
            c,
            &Consent {
                id: id_at(rng, at),
                trajectory_id: t.id.clone(),
                kind: kind.into(),
                given,
                recorded_by: coach.id.clone(),
                on_behalf_of_employee: true,
                recorded_at: at,
            },
        )
    };
    // Most stopped while still proposed declined the method: no consent, nothing recorded.
    let declined = stopped && reached == 0 && rng.gen_bool(0.8);
    if (started || stopped) && !declined {
        consent(c, rng, "method", true, created)?;
        // Agreeing to the method on a later trajectory begins its learning round, as the API does.
        if matches!(round, Round::Later { .. }) {
            crate::courses::rounds::begin(c, &t)?;
        }
        if rng.gen_bool(0.7) {
            consent(c, rng, "research", true, created)?;
            let withdrawn = created + Duration::days(40);
            if rng.gen_bool(0.05) && withdrawn.date() <= limit {
                consent(c, rng, "research", false, withdrawn)?;
            }
        }
    }
    // Absences: episodes in the year before, the long one that led here, and a few after.
    let mut cursor = start - Duration::days(360);
    for _ in 0..short_absences {
        let len = rng.gen_range(1..8);
        absence(c, rng, &employee.id, &coach.id, cursor, Some(cursor + Duration::days(len)), 100, created)?;
        cursor += Duration::days(rng.gen_range(40..90));
    }
    let sick_from = start - Duration::days(rng.gen_range(30..120));
    // It ends the day before the return to work; without a return it is still open, or (after a
    // stop) ended some time later, never after yesterday (the API refuses a date still to come).
    let sick_to = match back {
        Some(back) => Some(back - Duration::days(1)),
        None if stopped => Some((start + Duration::days(rng.gen_range(30..150))).min(last)),
        None => None,
    };
    let percentage = if rng.gen_bool(0.3) { 50 } else { 100 };
    absence(c, rng, &employee.id, &coach.id, sick_from.max(cursor), sick_to, percentage, created)?;
    s.rows += 6;
    let made = Made { employee_id: employee.id.clone(), coach_id: coach.id.clone(), active_at, ended_at };
    if (reached == 0 && !stopped) || declined {
        return Ok(made);
    }
    // Who chose the paper route at inclusion, or was included against the advice to work with
    // the paper map, gets most courses on paper; who reads and works with a screen with
    // difficulty more often starts with the digital-skills pretrack.
    let plan = intake_and_plan(
        c,
        rng,
        &t,
        slugs,
        answers["paper_route_chosen"] == true || !include,
        answers["reading_and_digital_skills_sufficient"] == true,
    )?;
    // Baseline answers at the start (some on paper), end answers once back at work (below).
    let who = |entered_by: &'_ str| answers::Subject {
        respondent_id: &employee.id,
        organization_id: &org.id,
        trajectory_id: Some(&t.id),
        cohort_id: &cohort.id,
        entered_by: if entered_by == "coach" { &coach.id } else { &employee.id },
    };
    if let Some(inst) = ctx.instruments.for_moment(Audience::Employee, Moment::Baseline) {
        let by = if rng.gen_bool(0.3) { "coach" } else { "employee" };
        answers::insert(c, rng, inst, who(by), 0, &[], created + Duration::days(3))?;
        s.rows += 1;
    }
    // Courses in the plan's order: some completed, the next one in progress, all before the
    // trajectory ended. Each is done the way the plan says, except for a tenth who switch, either
    // way.
    let begun = |k: usize| created + Duration::days(7 * (k as i64 + 1));
    let mut done = rng.gen_range(0..=plan.order.len().min(reached * 3));
    while done > 0 && (begun(done - 1) + Duration::days(3)).date() > limit {
        done -= 1;
    }
    let mut completed: Vec<(String, NaiveDateTime)> = Vec::new();
    for (k, slug) in plan.order.iter().enumerate().take(done + 1) {
        let when = begun(k);
        if when.date() > limit {
            break;
        }
        let course = catalogue.get(slug);
        let finished = k < done;
        let finished_at = when + Duration::days(3);
        let choice = ["coach_talk", "group_session", "both", "none", "none"].choose(rng).copied().unwrap_or("none");
        let on_paper = plan.on_paper(slug);
        // Work on paper leaves nothing to record until the coach marks the course done.
        if on_paper && !finished {
            break;
        }
        let switched = rng.gen_bool(0.1);
        let via = finished.then_some(if on_paper != switched { "paper" } else { "online" });
        let paper = via == Some("paper");
        // On paper the coach records it (`POST /trajectories/{id}/progress/{slug}/paper`): no
        // online start, celebration or reflection; the choice ticked in the map if the coach
        // notes it; the coach as who completed it.
        let paper_choice = paper && rng.gen_bool(0.6);
        let online_done = finished && !paper;
        // Online every page leaves a row (with the answers given); on paper none do.
        let pages_done = match (course, via) {
            (Some(_), Some("paper")) | (None, _) => 0,
            (Some(course), Some(_)) => course.pages.len(),
            (Some(course), None) => rng.gen_range(1..course.pages.len().max(2)),
        };
        let pages: &[crate::courses::content::Page] = match course {
            Some(course) => &course.pages[..pages_done.min(course.pages.len())],
            None => &[],
        };
        diesel::insert_into(course_progress::table)
            .values((
                course_progress::user_id.eq(&employee.id),
                course_progress::course_slug.eq(slug),
                course_progress::started_at.eq(if paper { finished_at } else { when }),
                course_progress::last_page_id.eq(pages.last().map(|p| p.id.clone())),
                course_progress::celebration.eq((!paper).then_some("Ik ben elke dag een stukje gaan wandelen.")),
                course_progress::celebrated_at.eq((!paper).then_some(when)),
                course_progress::reflection.eq(online_done.then_some("Kleine stappen tellen ook.")),
                course_progress::reflection_choice.eq((online_done || paper_choice).then_some(choice)),
                course_progress::reflected_at.eq((online_done || paper_choice).then_some(finished_at)),
                course_progress::completed_at.eq(finished.then_some(finished_at)),
                course_progress::completed_via.eq(via),
                course_progress::completed_by.eq(via.map(|v| {
                    if v == "paper" {
                        coach.id.clone()
                    } else {
                        employee.id.clone()
                    }
                })),
                course_progress::updated_at.eq(if finished { finished_at } else { when }),
                // A reflection online that asks for a talk mailed the coach of this trajectory; on
                // paper the coach wrote the wish down.
                course_progress::talk_asked_trajectory_id
                    .eq(((online_done || paper_choice) && matches!(choice, "coach_talk" | "both")).then_some(&t.id)),
            ))
            .execute(c)?;
        for page in pages {
            diesel::insert_into(page_progress::table)
                .values((
                    page_progress::user_id.eq(&employee.id),
                    page_progress::course_slug.eq(slug),
                    page_progress::page_id.eq(&page.id),
                    page_progress::page_hash.eq(&page.content_hash),
                    page_progress::visited_at.eq(when),
                    page_progress::done_at.eq(Some(when)),
                    page_progress::answers.eq(page_answers(rng, page)),
                    page_progress::updated_at.eq(when),
                ))
                .execute(c)?;
            s.rows += 1;
        }
        if finished {
            completed.push((slug.clone(), finished_at));
        }
        s.rows += 1;
    }
    // The end questionnaire: a course's difficulty is asked of the courses completed by then.
    if reached >= 2 && !stopped {
        if let Some(inst) = ctx.instruments.for_moment(Audience::Employee, Moment::End) {
            let when = on(o_end, 13);
            let done_by: Vec<String> =
                completed.iter().filter(|(_, done_at)| *done_at <= when).map(|(slug, _)| slug.clone()).collect();
            let lift = rng.gen_range(0..=2);
            answers::insert(c, rng, inst, who("employee"), lift, &done_by, when)?;
            s.rows += 1;
        }
    }
    // Logbook: talks with durations and preparation time; some with a weighing.
    for k in 0..rng.gen_range(2..9) {
        let date = start + Duration::days(7 * k);
        if date > limit {
            break;
        }
        let weighing = rng.gen_bool(0.2).then(|| {
            json!({"decision": "Cursus op papier laten doen", "steps": {"beforehand": "Leest liever op papier"},
                   "pitfalls_checked": ["haste"], "factor_clusters": ["client_related"], "explained_to_employee": true,
                   "explanation": "Uitgelegd waarom", "feedback_loop": {"right_decision": "Ja"}})
            .to_string()
        });
        let ts = at(date, 12);
        diesel::insert_into(logbook_entries::table)
            .values((
                logbook_entries::id.eq(id_at(rng, ts)),
                logbook_entries::trajectory_id.eq(&t.id),
                logbook_entries::author_id.eq(&coach.id),
                logbook_entries::entry_date.eq(date),
                logbook_entries::kind.eq(["coaching_talk", "coaching_talk", "phone", "message", "home_visit"]
                    .choose(rng)
                    .copied()
                    .unwrap_or("other")),
                logbook_entries::duration_minutes.eq(rng.gen_range(10..70)),
                logbook_entries::preparation_minutes.eq(rng.gen_range(5..50)),
                logbook_entries::led_by
                    .eq(["coach", "coach", "together", "employee"].choose(rng).copied().unwrap_or("coach")),
                logbook_entries::impression.eq(Some("Open en betrokken.")),
                logbook_entries::agreements.eq(Some("Volgende cursus starten.")),
                logbook_entries::developments.eq(Some("Plant zelf afspraken.")),
                logbook_entries::shared_with_employee.eq(rng.gen_bool(0.5)),
                logbook_entries::weighing.eq(weighing),
                logbook_entries::created_at.eq(ts),
                logbook_entries::updated_at.eq(ts),
            ))
            .execute(c)?;
        s.rows += 1;
    }
    // 'Op de koffie': planned a week ahead, marked done on the day (all lie in the past).
    for k in 0..rng.gen_range(0..3) {
        let date = start + Duration::days(20 * (k + 1));
        if date > limit {
            break;
        }
        let planned = at((date - Duration::days(7)).max(start), 11);
        diesel::insert_into(workplace_visits::table)
            .values((
                workplace_visits::id.eq(id_at(rng, planned)),
                workplace_visits::trajectory_id.eq(&t.id),
                workplace_visits::visit_date.eq(date),
                workplace_visits::kind
                    .eq(["coffee", "lunch", "meeting", "joining_work"].choose(rng).copied().unwrap_or("coffee")),
                workplace_visits::with_whom.eq("De ploeg van de inpakafdeling"),
                workplace_visits::status.eq("done"),
                workplace_visits::how_it_went.eq(Some("Fijn om iedereen te zien.")),
                workplace_visits::recorded_by.eq(&coach.id),
                workplace_visits::created_at.eq(planned),
                workplace_visits::updated_at.eq(at(date, 16)),
            ))
            .execute(c)?;
        s.rows += 1;
    }
    // Cards from colleagues, through a link of the coach's that has expired by yesterday (14
    // days), written before the trajectory ended.
    let latest_link = (limit - Duration::days(3)).min(last - Duration::days(14));
    if rng.gen_bool(0.4) && latest_link >= start {
        let made_on = day(rng, start, (latest_link - start).num_days() + 1);
        let link_at = at(made_on, 11);
        let link = id_at(rng, link_at);
        let token_hash = id(rng);
        diesel::insert_into(card_links::table)
            .values((
                card_links::id.eq(&link),
                card_links::trajectory_id.eq(&t.id),
                card_links::token_hash.eq(token_hash),
                card_links::delivery.eq("email"),
                card_links::max_uses.eq(10),
                card_links::uses.eq(2),
                card_links::created_by.eq(&coach.id),
                card_links::created_at.eq(link_at),
                card_links::expires_at.eq(link_at + Duration::days(14)),
            ))
            .execute(c)?;
        for (i, author) in ["Kees", "Fatima"].into_iter().enumerate() {
            let written = at(made_on + Duration::days(1 + i as i64), 19);
            diesel::insert_into(cards::table)
                .values((
                    cards::id.eq(id_at(rng, written)),
                    cards::trajectory_id.eq(&t.id),
                    cards::link_id.eq(&link),
                    cards::author_name.eq(author),
                    cards::message.eq("We missen je op de afdeling!"),
                    cards::delivery.eq("email"),
                    cards::blocked.eq(false),
                    // Held for the coach as configured by default (24 hours).
                    cards::deliver_after.eq(written + Duration::hours(24)),
                    cards::created_at.eq(written),
                ))
                .execute(c)?;
            s.rows += 1;
        }
    }
    // Return to work with hours built up, and aftercare: check-ins planned from the return, each
    // recorded by the coach, or skipped as the API skips those still due when the round ends (a
    // relapse, a stop or the close).
    if let (Some(back), Some(returned_at)) = (back, returned_at) {
        let cutoff = relapse_at.or(ended_at);
        for (k, hours) in [8.0, 16.0, 24.0].iter().take(rng.gen_range(1..4)).enumerate() {
            let date = back + Duration::weeks(4 * k as i64);
            // The first one moved the trajectory to `returned`; each later step is recorded once
            // it began.
            let recorded = if k == 0 { returned_at } else { at(date + Duration::days(rng.gen_range(0..=3)), 14) };
            if recorded.date() > last || cutoff.is_some_and(|end| recorded >= end) {
                break;
            }
            diesel::insert_into(work_returns::table)
                .values((
                    work_returns::id.eq(id_at(rng, recorded)),
                    work_returns::trajectory_id.eq(&t.id),
                    work_returns::return_date.eq(date),
                    work_returns::extent.eq(if *hours >= 24.0 { "full" } else { "partial" }),
                    work_returns::hours_per_week.eq(*hours),
                    work_returns::own_work.eq(rng.gen_bool(0.8)),
                    work_returns::recorded_by.eq(&coach.id),
                    work_returns::recorded_at.eq(recorded),
                ))
                .execute(c)?;
            s.rows += 1;
        }
        for week in AFTERCARE_WEEKS {
            let due = back + Duration::weeks(week);
            // Most are recorded by the coach within a week of the date (`PATCH /aftercare/{id}`:
            // when, and by whom); what is still due when the round ends is skipped as
            // `aftercare::call_off` does, with the reason of the relapse, the stop or the close.
            let by_coach = at(due + Duration::days(rng.gen_range(0..=7)), 13);
            let recorded = rng.gen_bool(0.85) && by_coach.date() <= last && cutoff.is_none_or(|end| by_coach < end);
            let (status, note, skip_reason, completed_at, shared) = if recorded {
                let status = ["done", "done", "skipped"].choose(rng).copied().unwrap_or("done");
                let note = (status == "done").then_some("Gaat goed.");
                (status, note, (status == "skipped").then_some("Niet bereikbaar."), Some(by_coach), status == "done")
            } else if let Some(end) = cutoff {
                let reason = if relapse {
                    crate::aftercare::RELAPSE_REASON
                } else if stopped {
                    crate::aftercare::STOPPED_REASON
                } else {
                    crate::aftercare::CLOSED_REASON
                };
                ("skipped", None, Some(reason), Some(end), true)
            } else {
                ("due", None, None, None, false)
            };
            // Its reminders went out while it was due: the day it came due, and a week later.
            let still_due = |moment: NaiveDateTime| completed_at.is_none_or(|done| done > moment);
            let first = at(due, 7);
            let second = at(due + Duration::days(crate::aftercare::OVERDUE_AFTER_DAYS), 7);
            let reminded = (due <= last && still_due(first)).then_some(first);
            let overdue = (second.date() <= last && still_due(second)).then_some(second);
            diesel::insert_into(aftercare_checkins::table)
                .values((
                    aftercare_checkins::id.eq(id_at(rng, returned_at)),
                    aftercare_checkins::trajectory_id.eq(&t.id),
                    aftercare_checkins::week.eq(week as i32),
                    aftercare_checkins::due_on.eq(due),
                    aftercare_checkins::status.eq(status),
                    aftercare_checkins::note.eq(note),
                    aftercare_checkins::skip_reason.eq(skip_reason),
                    aftercare_checkins::completed_at.eq(completed_at),
                    aftercare_checkins::completed_by.eq(completed_at.map(|_| coach.id.as_str())),
                    aftercare_checkins::reminder_sent_at.eq(reminded),
                    aftercare_checkins::overdue_reminder_sent_at.eq(overdue),
                    aftercare_checkins::shared_with_employee.eq(shared),
                ))
                .execute(c)?;
            s.rows += 1;
        }
        // Absent again after the relapse, from that day (the absence before ended with the return).
        if let Some(relapse_at) = relapse_at {
            absence(c, rng, &employee.id, &coach.id, relapse_at.date(), None, 100, relapse_at)?;
            s.rows += 1;
        }
    }
    Ok(made)
}

#[allow(clippy::too_many_arguments)]
fn event(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    trajectory: &str,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
    note: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(trajectory_events::table)
        .values(&TrajectoryEvent {
            id: id_at(rng, at),
            trajectory_id: trajectory.into(),
            from_status: from.map(str::to_string),
            to_status: to.into(),
            reason: reason.map(str::to_string),
            note: note.map(str::to_string),
            actor_id: actor.into(),
            at,
        })
        .execute(c)?;
    Ok(())
}

/// An absence as the coach records it: not before the trajectory (`known`, when the coach could
/// first see the person), nor before its first day; its end, if it has one, recorded once it came.
#[allow(clippy::too_many_arguments)]
fn absence(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    employee: &str,
    by: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    percentage: i32,
    known: NaiveDateTime,
) -> Result<(), AppError> {
    let recorded = at(start, 8).max(known);
    let updated = end.map_or(recorded, |end| at(end, 17).max(recorded));
    diesel::insert_into(absences::table)
        .values((
            absences::id.eq(id_at(rng, recorded)),
            absences::employee_id.eq(employee),
            absences::start_date.eq(start),
            absences::end_date.eq(end),
            absences::percentage.eq(percentage),
            absences::category.eq(None::<String>),
            absences::recorded_by.eq(by),
            absences::created_at.eq(recorded),
            absences::updated_at.eq(updated),
        ))
        .execute(c)?;
    Ok(())
}

/// The plan the seeder follows: the courses in order, and which of them go on paper.
struct Plan {
    order: Vec<String>,
    paper: Vec<String>,
}

impl Plan {
    fn on_paper(&self, slug: &str) -> bool {
        self.paper.iter().any(|s| s == slug)
    }
}

fn intake_and_plan(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    t: &Trajectory,
    slugs: &[String],
    paper_route: bool,
    skills_sufficient: bool,
) -> Result<Plan, AppError> {
    let factor = |rng: &mut ChaCha8Rng| json!({"score": rng.gen_range(1..=5), "note": null});
    let factors = json!({"attitude": factor(rng), "self_efficacy": factor(rng), "social_pressure": factor(rng),
        "knowledge_and_skills": factor(rng), "capacity": factor(rng), "context": factor(rng), "self_regulation": factor(rng)});
    diesel::insert_into(intakes::table)
        .values((
            intakes::trajectory_id.eq(&t.id),
            intakes::factors.eq(factors.to_string()),
            intakes::goals.eq(json!({"employee": "Weer aan het werk", "professional": null, "organization": null}).to_string()),
            intakes::basic_needs.eq(json!({"autonomy": rng.gen_bool(0.5), "inclusion": rng.gen_bool(0.5), "competence": rng.gen_bool(0.5), "affection": rng.gen_bool(0.3)}).to_string()),
            intakes::expectations.eq(json!({"of_employee": null, "of_coach": null}).to_string()),
            intakes::shared_with_employee.eq(rng.gen_bool(0.5)),
            intakes::updated_by.eq(&t.coach_id),
            intakes::updated_at.eq(t.created_at),
        ))
        .execute(c)?;
    // The first course stays first; the one after it is in focus (`seed` refuses content of fewer
    // than two courses, and none of this panics with fewer).
    let mut order: Vec<String> = slugs.to_vec();
    if let Some(rest) = order.get_mut(1..) {
        rest.shuffle(rng);
    }
    let focus: Vec<&String> = order.get(1).or(order.first()).into_iter().collect();
    let paper_share = if paper_route { 0.8 } else { 0.15 };
    let paper: Vec<String> = order.iter().filter(|_| rng.gen_bool(paper_share)).cloned().collect();
    let modes: serde_json::Map<String, serde_json::Value> =
        order.iter().map(|s| (s.clone(), json!(if paper.contains(s) { "paper" } else { "online" }))).collect();
    diesel::insert_into(plans::table)
        .values((
            plans::trajectory_id.eq(&t.id),
            plans::course_order.eq(json!(order).to_string()),
            plans::focus_courses.eq(json!(focus).to_string()),
            plans::course_modes.eq(serde_json::Value::Object(modes).to_string()),
            plans::digital_skills_pretrack.eq(rng.gen_bool(if skills_sufficient { 0.1 } else { 0.6 })),
            plans::group_sessions_interest.eq(rng.gen_bool(0.5)),
            plans::buddy_interest.eq(rng.gen_bool(0.3)),
            plans::shared_with_employee.eq(true),
            plans::updated_by.eq(&t.coach_id),
            plans::updated_at.eq(t.created_at),
        ))
        .execute(c)?;
    Ok(Plan { order, paper })
}

/// Answers to a page's questions and exercises, in the form the API saves them; `None` when the
/// page asks nothing.
fn page_answers(rng: &mut ChaCha8Rng, page: &crate::courses::content::Page) -> Option<String> {
    use crate::courses::content::Block;
    let mut answers = serde_json::Map::new();
    let mut exercises = serde_json::Map::new();
    for block in &page.blocks {
        match block {
            Block::Choice { id, options, .. } | Block::Situation { id, options, .. } if !options.is_empty() => {
                answers.insert(id.clone(), rng.gen_range(0..options.len()).into());
            }
            Block::OpenQuestion { id, .. } => {
                let text = ["Rustig beginnen.", "Eerst met mijn leidinggevende praten.", "Ik weet het nog niet."];
                answers.insert(id.clone(), text.choose(rng).copied().unwrap_or_default().into());
            }
            Block::Exercise { number, .. } => {
                exercises.insert(number.to_string(), "Twee ochtenden per week wandelen met de buurman.".into());
            }
            _ => {}
        }
    }
    let mut out = serde_json::Map::new();
    for (key, part) in [("answers", answers), ("exercises", exercises)] {
        if !part.is_empty() {
            out.insert(key.into(), part.into());
        }
    }
    (!out.is_empty()).then(|| serde_json::Value::Object(out).to_string())
}
