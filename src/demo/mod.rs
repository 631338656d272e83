//! `wilkan seed-demo`: realistic synthetic data at any size, deterministic for a seed, for trying
//! Wilkan and for the benchmarks. Rows are written with the same row types and checks as the API
//! uses, in bulk (one transaction per organisation) so that 10,000 trajectories load in seconds.
//! Every demo account with a password logs in with `DEMO_PASSWORD`.

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

/// Fills the database; `progress` is told after each organisation.
pub fn seed(
    conn: &mut DbConnection,
    catalogue: &Catalogue,
    instruments: &Instruments,
    opts: &Options,
    mut progress: impl FnMut(usize),
) -> Result<Summary, AppError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let hash = crate::accounts::password::hash(DEMO_PASSWORD)?;
    let mut s = Summary::default();
    let today = now().date();
    let slugs: Vec<String> = catalogue.courses.iter().map(|c| c.slug.clone()).collect();
    for o in 0..opts.organizations {
        conn.transaction(|c| {
            let ctx = Context { hash: &hash, slugs: &slugs, catalogue, instruments, today };
            organisation(c, &mut rng, o, opts.employees_per_org, &ctx, &mut s)
        })?;
        progress(o + 1);
    }
    // After a bulk load PostgreSQL has no statistics until autovacuum gets to the tables (never,
    // where it is turned off): until then the planner guesses row counts. SQLite plans without
    // statistics (see `.cargo/config.toml`).
    if matches!(conn, DbConnection::Pg(_)) {
        diesel::connection::SimpleConnection::batch_execute(conn, "ANALYZE")?;
    }
    Ok(s)
}

/// What every organisation is generated from.
struct Context<'a> {
    hash: &'a str,
    slugs: &'a [String],
    catalogue: &'a Catalogue,
    instruments: &'a Instruments,
    today: NaiveDate,
}

fn organisation(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    index: usize,
    employees: usize,
    ctx: &Context<'_>,
    s: &mut Summary,
) -> Result<(), AppError> {
    let (hash, slugs, today) = (ctx.hash, ctx.slugs, ctx.today);
    let t0 = now() - Duration::days(720);
    let org = Organization {
        id: id_at(rng, t0),
        name: format!("Werkbedrijf Demo {}", index + 1),
        created_at: t0,
        updated_at: t0,
        aftercare_weeks: "[2,6,12]".into(),
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
    let coaches: Vec<User> = (0..employees.div_ceil(10).max(1))
        .map(|k| user(rng, "coach", format!("coach{}@org{n}.demo", k + 1), true))
        .collect();
    let staff: Vec<&User> = std::iter::once(&pl).chain(coaches.iter()).collect();
    for u in &staff {
        diesel::insert_into(users::table).values(*u).execute(c)?;
    }
    s.users += staff.len();
    for e in 0..employees {
        let employee = user(rng, "employee", format!("medewerker{}@org{n}.demo", e + 1), true);
        diesel::insert_into(users::table).values(&employee).execute(c)?;
        let coach = &coaches[e % coaches.len()];
        let cohort = &cohorts[e % cohorts.len()];
        trajectory(c, rng, &org, cohort, &employee, coach, ctx, s)?;
        s.users += 1;
        s.trajectories += 1;
    }
    // Every coach answers the coach questionnaire once per cohort.
    if let Some(inst) = ctx.instruments.for_moment(Audience::Coach, Moment::Training) {
        for cohort in &cohorts {
            for coach in &coaches {
                let who = answers::Subject {
                    respondent_id: &coach.id,
                    organization_id: &org.id,
                    trajectory_id: None,
                    cohort_id: &cohort.id,
                    entered_by: &coach.id,
                };
                answers::insert(c, rng, inst, who, 1, now())?;
                s.rows += 1;
            }
        }
    }
    // Group sessions per cohort, with invitations and attendance.
    let people: Vec<String> = trajectories::table
        .filter(trajectories::organization_id.eq(&org.id))
        .select(trajectories::employee_id)
        .load(c)?;
    for k in 0..cohorts.len() {
        for g in 0..3 {
            let at = (today - Duration::days(200 - 60 * g - 30 * k as i64)).and_hms_opt(10, 0, 0).unwrap_or_default();
            let sid = id_at(rng, at);
            diesel::insert_into(group_sessions::table)
                .values((
                    group_sessions::id.eq(&sid),
                    group_sessions::organization_id.eq(&org.id),
                    group_sessions::facilitator_id.eq(&coaches[0].id),
                    group_sessions::starts_at.eq(at),
                    group_sessions::place.eq(Some("Kantine, gebouw B")),
                    group_sessions::topic.eq(&slugs[(g as usize + k) % slugs.len()]),
                    group_sessions::notes.eq(Some("Fijn gesprek; iedereen deed mee.")),
                    group_sessions::cancelled.eq(false),
                    group_sessions::created_at.eq(at),
                    group_sessions::updated_at.eq(at),
                ))
                .execute(c)?;
            for p in people.choose_multiple(rng, 6.min(people.len())) {
                let attendance = ["present", "present", "absent_with_notice", "absent"].choose(rng).copied();
                diesel::insert_into(group_invitations::table)
                    .values((
                        group_invitations::session_id.eq(&sid),
                        group_invitations::employee_id.eq(p),
                        group_invitations::attendance.eq(attendance),
                        group_invitations::invited_at.eq(at - Duration::days(7)),
                    ))
                    .execute(c)?;
                s.rows += 1;
            }
        }
    }
    // A few buddy pairs among employees with an active trajectory.
    let active: Vec<String> = trajectories::table
        .filter(trajectories::organization_id.eq(&org.id))
        .filter(trajectories::status.eq("active"))
        .select(trajectories::employee_id)
        .load(c)?;
    for pair in active.chunks(2).take(active.len() / 8) {
        if let [a, b] = pair {
            let both = rng.gen_bool(0.7);
            diesel::insert_into(buddy_pairs::table)
                .values((
                    buddy_pairs::id.eq(id(rng)),
                    buddy_pairs::organization_id.eq(&org.id),
                    buddy_pairs::employee_a.eq(a),
                    buddy_pairs::employee_b.eq(b),
                    buddy_pairs::status.eq(if both { "active" } else { "proposed" }),
                    buddy_pairs::a_confirmed.eq(true),
                    buddy_pairs::b_confirmed.eq(both),
                    buddy_pairs::a_contact.eq(Some("Via de app")),
                    buddy_pairs::b_contact.eq(both.then_some("06-12345678")),
                    buddy_pairs::proposed_by.eq(&coaches[0].id),
                    buddy_pairs::created_at.eq(now()),
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
    ctx: &Context<'_>,
    s: &mut Summary,
) -> Result<(), AppError> {
    let (slugs, catalogue, today) = (ctx.slugs, ctx.catalogue, ctx.today);
    let start = day(rng, today - Duration::days(540), 500);
    let created = start.and_hms_opt(9, 0, 0).unwrap_or_default();
    // Where it stands: mostly active; some stopped at a step (the study: 12 of 52 stopped).
    let roll: f64 = rng.gen();
    let (reached, stopped) = match roll {
        r if r < 0.10 => (0, false),
        r if r < 0.45 => (1, false),
        r if r < 0.60 => (2, false),
        r if r < 0.75 => (3, false),
        r if r < 0.88 => (4, false),
        _ => (rng.gen_range(0..3), true),
    };
    let status = if stopped { "stopped" } else { FLOW[reached] };
    let answers = json!({"absent_over_4_weeks": true, "frequent_absence": rng.gen_bool(0.3), "expected_absence_over_2_months": true,
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
        updated_at: created + Duration::days(30 * reached as i64 + 1),
        // Most coaches note the time a first approach took; some forget.
        recruitment_minutes: rng.gen_bool(0.85).then(|| rng.gen_range(10..=120)),
        // Set by the consent records below.
        method_consent: false,
        research_consent: false,
    };
    diesel::insert_into(trajectories::table).values(&t).execute(c)?;
    let mut at = created;
    let mut from: Option<&str> = None;
    for step in FLOW.iter().take(reached + 1) {
        event(c, rng, &t.id, from, step, None, &coach.id, at)?;
        from = Some(step);
        at += Duration::days(30);
    }
    if stopped {
        event(c, rng, &t.id, from, "stopped", t.stop_reason.as_deref(), &coach.id, at)?;
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
    if reached >= 1 || stopped {
        consent(c, rng, "method", true, created)?;
        if rng.gen_bool(0.7) {
            consent(c, rng, "research", true, created)?;
            if rng.gen_bool(0.05) {
                consent(c, rng, "research", false, created + Duration::days(40))?;
            }
        }
    }
    // Absences: episodes in the year before, the long one that led here, and a few after.
    let mut cursor = start - Duration::days(360);
    for _ in 0..rng.gen_range(0..4) {
        let len = rng.gen_range(1..8);
        absence(c, rng, &employee.id, &coach.id, cursor, Some(cursor + Duration::days(len)), 100)?;
        cursor += Duration::days(rng.gen_range(40..90));
    }
    let sick_from = start - Duration::days(rng.gen_range(30..120));
    let open = matches!(status, "proposed" | "active");
    // Recorded when the employee is better: never after today (the API refuses that too).
    let sick_to = (!open).then(|| (start + Duration::days(rng.gen_range(30..150))).min(today));
    let percentage = if rng.gen_bool(0.3) { 50 } else { 100 };
    absence(c, rng, &employee.id, &coach.id, sick_from.max(cursor), sick_to, percentage)?;
    s.rows += 6;
    if reached == 0 && !stopped {
        return Ok(());
    }
    intake_and_plan(c, rng, &t, slugs)?;
    // Baseline answers at the start (some on paper), end answers once back at work.
    let who = |entered_by: &'_ str| answers::Subject {
        respondent_id: &employee.id,
        organization_id: &org.id,
        trajectory_id: Some(&t.id),
        cohort_id: &cohort.id,
        entered_by: if entered_by == "coach" { &coach.id } else { &employee.id },
    };
    if let Some(inst) = ctx.instruments.for_moment(Audience::Employee, Moment::Baseline) {
        let by = if rng.gen_bool(0.3) { "coach" } else { "employee" };
        answers::insert(c, rng, inst, who(by), 0, created + Duration::days(3))?;
        s.rows += 1;
    }
    if reached >= 2 && !stopped {
        if let Some(inst) = ctx.instruments.for_moment(Audience::Employee, Moment::End) {
            let lift = rng.gen_range(0..=2);
            answers::insert(c, rng, inst, who("employee"), lift, created + Duration::days(60))?;
            s.rows += 1;
        }
    }
    // Courses: some completed (a few on paper), one in progress.
    let done = rng.gen_range(0..=slugs.len().min(reached * 3));
    for (k, slug) in slugs.iter().enumerate().take(done + 1) {
        let course = catalogue.get(slug);
        let finished = k < done;
        let when = created + Duration::days(7 * (k as i64 + 1));
        let choice = ["coach_talk", "group_session", "both", "none", "none"].choose(rng).copied().unwrap_or("none");
        let via = finished.then(|| if rng.gen_bool(0.2) { "paper" } else { "online" });
        diesel::insert_into(course_progress::table)
            .values((
                course_progress::user_id.eq(&employee.id),
                course_progress::course_slug.eq(slug),
                course_progress::started_at.eq(when),
                course_progress::last_page_id.eq(course.and_then(|c| c.pages.last()).map(|p| p.id.clone())),
                course_progress::celebration.eq(Some("Ik ben elke dag een stukje gaan wandelen.")),
                course_progress::celebrated_at.eq(Some(when)),
                course_progress::reflection.eq(finished.then_some("Kleine stappen tellen ook.")),
                course_progress::reflection_choice.eq(finished.then_some(choice)),
                course_progress::reflected_at.eq(finished.then_some(when + Duration::days(3))),
                course_progress::completed_at.eq(finished.then_some(when + Duration::days(3))),
                course_progress::completed_via.eq(via),
                course_progress::completed_by.eq(finished.then(|| employee.id.clone())),
                course_progress::updated_at.eq(when),
            ))
            .execute(c)?;
        // Online every page leaves a row (with the answers given); on paper none do.
        let pages_done = match (course, via) {
            (Some(_), Some("paper")) | (None, _) => 0,
            (Some(course), Some(_)) => course.pages.len(),
            (Some(course), None) => rng.gen_range(1..course.pages.len().max(2)),
        };
        for page in course.map_or(&[][..], |c| &c.pages[..pages_done.min(c.pages.len())]) {
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
        s.rows += 1;
    }
    // Logbook: talks with durations and preparation time; some with a weighing.
    for k in 0..rng.gen_range(2..9) {
        let date = start + Duration::days(7 * k);
        let weighing = rng.gen_bool(0.2).then(|| {
            json!({"decision": "Cursus op papier laten doen", "steps": {"beforehand": "Leest liever op papier"},
                   "pitfalls_checked": ["haste"], "factor_clusters": ["client_related"], "explained_to_employee": true,
                   "explanation": "Uitgelegd waarom", "feedback_loop": {"right_decision": "Ja"}})
            .to_string()
        });
        let ts = date.and_hms_opt(12, 0, 0).unwrap_or_default();
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
    // 'Op de koffie' and cards.
    for k in 0..rng.gen_range(0..3) {
        let date = start + Duration::days(20 * (k + 1));
        diesel::insert_into(workplace_visits::table)
            .values((
                workplace_visits::id.eq(id(rng)),
                workplace_visits::trajectory_id.eq(&t.id),
                workplace_visits::visit_date.eq(date),
                workplace_visits::kind
                    .eq(["coffee", "lunch", "meeting", "joining_work"].choose(rng).copied().unwrap_or("coffee")),
                workplace_visits::with_whom.eq("De ploeg van de inpakafdeling"),
                workplace_visits::status.eq(if date < today { "done" } else { "planned" }),
                workplace_visits::how_it_went.eq((date < today).then_some("Fijn om iedereen te zien.")),
                workplace_visits::recorded_by.eq(&coach.id),
                workplace_visits::created_at.eq(created),
                workplace_visits::updated_at.eq(created),
            ))
            .execute(c)?;
        s.rows += 1;
    }
    if rng.gen_bool(0.4) {
        let link = id(rng);
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
                card_links::created_at.eq(created),
                card_links::expires_at.eq(created + Duration::days(14)),
            ))
            .execute(c)?;
        for author in ["Kees", "Fatima"] {
            diesel::insert_into(cards::table)
                .values((
                    cards::id.eq(id(rng)),
                    cards::trajectory_id.eq(&t.id),
                    cards::link_id.eq(&link),
                    cards::author_name.eq(author),
                    cards::message.eq("We missen je op de afdeling!"),
                    cards::delivery.eq("email"),
                    cards::blocked.eq(false),
                    cards::deliver_after.eq(created + Duration::days(2)),
                    cards::created_at.eq(created + Duration::days(1)),
                ))
                .execute(c)?;
            s.rows += 1;
        }
    }
    // Return to work with hours built up, and aftercare.
    if reached >= 2 && !stopped {
        let back = start + Duration::days(rng.gen_range(40..150));
        for (k, hours) in [8.0, 16.0, 24.0].iter().take(rng.gen_range(1..4)).enumerate() {
            diesel::insert_into(work_returns::table)
                .values((
                    work_returns::id.eq(id(rng)),
                    work_returns::trajectory_id.eq(&t.id),
                    work_returns::return_date.eq(back + Duration::weeks(4 * k as i64)),
                    work_returns::extent.eq(if *hours >= 24.0 { "full" } else { "partial" }),
                    work_returns::hours_per_week.eq(*hours),
                    work_returns::own_work.eq(rng.gen_bool(0.8)),
                    work_returns::recorded_by.eq(&coach.id),
                    work_returns::recorded_at.eq(created + Duration::weeks(4 * k as i64)),
                ))
                .execute(c)?;
        }
        for week in [2, 6, 12] {
            let due = back + Duration::weeks(week);
            let status = if due < today - Duration::days(14) {
                ["done", "done", "skipped"].choose(rng).copied().unwrap_or("done")
            } else {
                "due"
            };
            diesel::insert_into(aftercare_checkins::table)
                .values((
                    aftercare_checkins::id.eq(id(rng)),
                    aftercare_checkins::trajectory_id.eq(&t.id),
                    aftercare_checkins::week.eq(week as i32),
                    aftercare_checkins::due_on.eq(due),
                    aftercare_checkins::status.eq(status),
                    aftercare_checkins::note.eq((status == "done").then_some("Gaat goed.")),
                    aftercare_checkins::skip_reason.eq((status == "skipped").then_some("Niet bereikbaar.")),
                    aftercare_checkins::reminder_sent_at.eq((due < today).then_some(created)),
                    aftercare_checkins::shared_with_employee.eq(status == "done"),
                ))
                .execute(c)?;
        }
        s.rows += 6;
        // Some are absent again after the return: back to active as the API does it (the
        // check-ins still due called off), with a new absence from that day.
        if matches!(status, "returned" | "aftercare") && rng.gen_bool(0.15) {
            let relapse = created + Duration::days(30 * (reached as i64 + 1));
            event(c, rng, &t.id, Some(status), "active", None, &coach.id, relapse)?;
            crate::db::reuse::update(
                trajectories::table,
                (trajectories::status.eq("active"), trajectories::updated_at.eq(relapse)),
                trajectories::id.eq(&t.id),
            )
            .execute(c)?;
            crate::aftercare::call_off(c, &t.id, crate::aftercare::RELAPSE_REASON, &coach.id, relapse)?;
            if relapse.date() <= today && sick_to.is_some_and(|to| to < relapse.date()) {
                absence(c, rng, &employee.id, &coach.id, relapse.date(), None, 100)?;
            }
            s.rows += 2;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn event(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    trajectory: &str,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
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
            note: None,
            actor_id: actor.into(),
            at,
        })
        .execute(c)?;
    Ok(())
}

fn absence(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    employee: &str,
    by: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    percentage: i32,
) -> Result<(), AppError> {
    let at = start.and_hms_opt(8, 0, 0).unwrap_or_default();
    diesel::insert_into(absences::table)
        .values((
            absences::id.eq(id_at(rng, at)),
            absences::employee_id.eq(employee),
            absences::start_date.eq(start),
            absences::end_date.eq(end),
            absences::percentage.eq(percentage),
            absences::category.eq(None::<String>),
            absences::recorded_by.eq(by),
            absences::created_at.eq(at),
            absences::updated_at.eq(at),
        ))
        .execute(c)?;
    Ok(())
}

fn intake_and_plan(
    c: &mut DbConnection,
    rng: &mut ChaCha8Rng,
    t: &Trajectory,
    slugs: &[String],
) -> Result<(), AppError> {
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
    let mut order: Vec<String> = slugs.to_vec();
    order[1..].shuffle(rng);
    let modes: serde_json::Map<String, serde_json::Value> =
        order.iter().map(|s| (s.clone(), json!(if rng.gen_bool(0.3) { "paper" } else { "online" }))).collect();
    diesel::insert_into(plans::table)
        .values((
            plans::trajectory_id.eq(&t.id),
            plans::course_order.eq(json!(order).to_string()),
            plans::focus_courses.eq(json!([order[1]]).to_string()),
            plans::course_modes.eq(serde_json::Value::Object(modes).to_string()),
            plans::digital_skills_pretrack.eq(rng.gen_bool(0.2)),
            plans::group_sessions_interest.eq(rng.gen_bool(0.5)),
            plans::buddy_interest.eq(rng.gen_bool(0.3)),
            plans::shared_with_employee.eq(true),
            plans::updated_by.eq(&t.coach_id),
            plans::updated_at.eq(t.created_at),
        ))
        .execute(c)?;
    Ok(())
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
