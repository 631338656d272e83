//! `seed-demo`: realistic data, deterministic for a seed, usable through the API.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn seed(app: &TestApp, seed: u64) -> wilkan::demo::Summary {
    seed_with(app, wilkan::demo::Options { organizations: 2, employees_per_org: 24, seed })
}

fn content() -> (wilkan::courses::content::Catalogue, wilkan::evaluation::instruments::Instruments) {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"));
    let catalogue = wilkan::courses::loader::load(dir, &Default::default()).unwrap();
    let instruments = wilkan::load_instruments(dir, &catalogue).unwrap();
    (catalogue, instruments)
}

fn seed_with(app: &TestApp, opts: wilkan::demo::Options) -> wilkan::demo::Summary {
    let (catalogue, instruments) = content();
    wilkan::demo::seed(&mut app.conn(), &catalogue, &instruments, &opts, |_| {}).unwrap()
}

fn statuses(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use wilkan::db::schema::{trajectories, users};
    trajectories::table
        .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
        .order((users::email, trajectories::id))
        .select(trajectories::status)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn demo_data_is_deterministic_and_works_through_the_api() {
    let a = TestApp::spawn();
    let b = TestApp::spawn();
    let sa = seed(&a, 42);
    let sb = seed(&b, 42);
    assert_eq!((sa.trajectories, sa.rows), (sb.trajectories, sb.rows));
    assert_eq!(statuses(&a), statuses(&b), "same seed, same data");
    let all = statuses(&a);
    for status in ["proposed", "active", "returned", "aftercare", "closed", "stopped"] {
        assert!(all.iter().any(|s| s == status), "every status occurs: {status}");
    }
    // Some are absent again after their return: back to active, their check-ins called off.
    {
        use diesel::prelude::*;
        use wilkan::db::schema::{aftercare_checkins, trajectory_events};
        let relapses: i64 = trajectory_events::table
            .filter(trajectory_events::to_status.eq("active"))
            .filter(trajectory_events::from_status.eq_any(["returned", "aftercare"]))
            .count()
            .get_result(&mut a.conn())
            .unwrap();
        let called_off: i64 = aftercare_checkins::table
            .filter(aftercare_checkins::skip_reason.eq(wilkan::aftercare::RELAPSE_REASON))
            .count()
            .get_result(&mut a.conn())
            .unwrap();
        assert!(relapses > 0 && called_off > 0, "{relapses} relapses, {called_off} check-ins called off");
    }
    // Some were in the method before: a second trajectory, the first one's learning kept with it.
    {
        use diesel::prelude::*;
        use wilkan::db::schema::{past_course_progress, trajectories};
        let people: i64 = trajectories::table
            .select(diesel::dsl::count(trajectories::employee_id).aggregate_distinct())
            .get_result(&mut a.conn())
            .unwrap();
        assert!(sa.trajectories as i64 > people, "{} trajectories of {people} people", sa.trajectories);
        let earlier: Vec<String> =
            past_course_progress::table.select(past_course_progress::trajectory_id).load(&mut a.conn()).unwrap();
        let ended: Vec<String> = trajectories::table
            .filter(trajectories::status.eq_any(["closed", "stopped"]))
            .select(trajectories::id)
            .load(&mut a.conn())
            .unwrap();
        assert!(!earlier.is_empty() && earlier.iter().all(|t| ended.contains(t)), "{earlier:?}");
    }
    courses_follow_the_plans(&a);
    for table in [
        "absences",
        "consents",
        "intakes",
        "plans",
        "course_progress",
        "logbook_entries",
        "group_sessions",
        "buddy_pairs",
        "workplace_visits",
        "cards",
        "work_returns",
        "aftercare_checkins",
        "questionnaire_responses",
    ] {
        assert!(a.count(table) > 0, "{table} has rows");
    }

    let login = |email: &str| -> String {
        let res = a.post("/auth/login", None, &json!({"email": email, "password": wilkan::demo::DEMO_PASSWORD}));
        assert_eq!(res.status(), 200, "{email}");
        res.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_string()
    };
    let coach = login("coach1@org1.demo");
    let page: Value = a.get("/trajectories?limit=50", Some(&coach)).json().unwrap();
    assert!(!page["items"].as_array().unwrap().is_empty());
    let employee = login("medewerker1@org1.demo");
    assert_eq!(a.get("/me/courses", Some(&employee)).status(), 200);
    // A course done online has every page done, with answers where the page asks something.
    let online_done = (1..=24)
        .flat_map(|n| {
            let token = login(&format!("medewerker{n}@org1.demo"));
            let mine: Value = a.get("/me/courses", Some(&token)).json().unwrap();
            mine["items"].as_array().unwrap().clone()
        })
        .find(|c| c["status"] == "completed" && c["completed_via"] == "online")
        .expect("someone finished a course online");
    let pages = online_done["pages"].as_array().unwrap();
    assert!(pages.iter().all(|p| p["done"] == true && p["changed_since_done"] == false), "{online_done}");
    assert_eq!(online_done["new_page_ids"], json!([]));
    assert!(pages.iter().any(|p| p["answers"].is_object()), "{online_done}");
    // The evaluation has something to show: paired answers and coach answers.
    let leader = login("projectleider@org1.demo");
    // The coaches answered the guide's absence questions as the absences recorded say, also for
    // who was in the method before (the earlier absence is one of their records).
    {
        use diesel::prelude::*;
        use wilkan::db::schema::{trajectories, users};
        let org1: Vec<(String, String)> = trajectories::table
            .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
            .filter(users::email.like("%@org1.demo"))
            .order(trajectories::id)
            .select((trajectories::id, trajectories::employee_id))
            .load(&mut a.conn())
            .unwrap();
        let twice = |employee: &str| org1.iter().filter(|t| t.1 == employee).count() > 1;
        assert!(org1.iter().any(|t| twice(&t.1)), "someone in org1 was in the method twice");
        for (id, _) in org1.iter().filter(|t| twice(&t.1)).chain(org1.iter().take(10)) {
            let one: Value = a.get(&format!("/trajectories/{id}"), Some(&leader)).json().unwrap();
            let records = &one["inclusion"]["absence_records"];
            assert_eq!(records["absence_running"], true, "{records}");
            assert_eq!(records["differences"], json!([]), "{one}");
        }
    }
    let k: Value = a.get("/exports/kirkpatrick?level=3", Some(&leader)).json().unwrap();
    let change = k["tables"].as_array().unwrap().iter().find(|t| t["key"] == "l3_change").unwrap();
    assert!(change["rows"][0]["n_pairs"].as_i64().unwrap() >= 5, "{change}");
}

/// An export longer than one read batch: the reading threads hand every batch over once and in
/// order, so each trajectory gives exactly one record whatever the batch boundaries.
#[test]
fn an_export_of_several_batches_has_every_trajectory_once() {
    let app = TestApp::spawn();
    let employees = wilkan::evaluation::dataset::BATCH as usize * 2 + 37;
    let summary = seed_with(&app, wilkan::demo::Options { organizations: 1, employees_per_org: employees, seed: 7 });
    assert!(summary.trajectories > wilkan::evaluation::dataset::BATCH as usize * 2, "{}", summary.trajectories);
    let res = app.post(
        "/auth/login",
        None,
        &json!({"email": "projectleider@org1.demo", "password": wilkan::demo::DEMO_PASSWORD}),
    );
    let leader = res.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_string();
    // The project leader's export covers everyone in the organisation who joined the method,
    // research consent or not; the funnel counts everyone approached.
    let joined: i64 = {
        use diesel::prelude::*;
        use wilkan::db::schema::consents;
        consents::table
            .filter(consents::kind.eq("method").and(consents::given.eq(true)))
            .select(diesel::dsl::count(consents::trajectory_id).aggregate_distinct())
            .first(&mut app.conn())
            .unwrap()
    };
    let doc: Value = app.get("/exports/process", Some(&leader)).json().unwrap();
    assert_eq!(doc["row_counts"]["records"], joined, "{}", doc["row_counts"]);
    let reach = doc["tables"].as_array().unwrap().iter().find(|t| t["key"] == "reach").unwrap();
    assert_eq!(reach["rows"][0]["n"], summary.trajectories, "everyone approached");
    let records =
        doc["tables"].as_array().unwrap().iter().find(|t| t["key"] == "records").unwrap()["rows"].as_array().unwrap();
    let people: std::collections::HashSet<&str> = records.iter().map(|r| r["person"].as_str().unwrap()).collect();
    // A record per trajectory, a pseudonym per person (some demo employees joined twice): a
    // record read twice or skipped would show here.
    let joined_people: i64 = {
        use diesel::prelude::*;
        use wilkan::db::schema::{consents, trajectories};
        consents::table
            .inner_join(trajectories::table.on(trajectories::id.eq(consents::trajectory_id)))
            .filter(consents::kind.eq("method").and(consents::given.eq(true)))
            .select(diesel::dsl::count(trajectories::employee_id).aggregate_distinct())
            .first(&mut app.conn())
            .unwrap()
    };
    assert!(joined_people < joined, "{joined_people} people, {joined} trajectories");
    assert_eq!((records.len() as i64, people.len() as i64), (joined, joined_people));
    // The coaches' answers are read a page of coaches at a time: each coach counts once, whatever
    // the page boundaries.
    let coaches: i64 = {
        use diesel::prelude::*;
        use wilkan::db::schema::questionnaire_responses as q;
        q::table
            .filter(q::questionnaire_key.eq("coach-evaluation").and(q::status.eq("submitted")))
            .select(diesel::dsl::count(q::respondent_id).aggregate_distinct())
            .first(&mut app.conn())
            .unwrap()
    };
    assert!(coaches > wilkan::evaluation::engine::COACHES_PER_PAGE, "{coaches} coaches: one page");
    let k: Value = app.get("/exports/kirkpatrick?level=1", Some(&leader)).json().unwrap();
    let items = k["tables"].as_array().unwrap().iter().find(|t| t["key"] == "l1_items").unwrap();
    let counted =
        items["rows"].as_array().unwrap().iter().filter(|r| r["group"] == "coach").map(|r| r["n"].as_i64().unwrap());
    assert_eq!(counted.max(), Some(coaches), "{items}");
    two_readers_write_what_one_reader_writes(&app, summary.trajectories);
}

/// The pages cover the trajectories in id order without overlap, and an export read by two
/// threads (a helper connection) is byte for byte the export read by one, for every scope.
fn two_readers_write_what_one_reader_writes(app: &TestApp, trajectories: usize) {
    use diesel::prelude::*;
    use wilkan::db::schema::trajectories as t;
    use wilkan::evaluation::dataset::{pages, Scope, BATCH};
    use wilkan::evaluation::engine::{run, ExportKind, Population, Spec};
    let all = Scope { organization: None, cohort: None };
    let ids: Vec<String> = t::table.order(t::id).select(t::id).load(&mut app.conn()).unwrap();
    let got = pages(&mut app.conn(), &all, BATCH).unwrap();
    assert_eq!(got.len(), trajectories / BATCH as usize + 1, "{got:?}");
    for (i, page) in got.iter().enumerate() {
        let end = ((i + 1) * BATCH as usize).min(ids.len());
        assert_eq!(page.after, (i > 0).then(|| ids[i * BATCH as usize - 1].clone()), "page {i}");
        assert_eq!(page.upto, (i + 1 < got.len()).then(|| ids[end - 1].clone()), "page {i}");
    }
    let cohort: String = t::table.select(t::cohort_id).first(&mut app.conn()).unwrap();
    let (catalogue, instruments) = content();
    for kind in [ExportKind::Kirkpatrick, ExportKind::Process] {
        for scope in [all.clone(), Scope { organization: None, cohort: Some(cohort.clone()) }] {
            let export = |helper: bool| -> Vec<u8> {
                let spec = Spec {
                    kind,
                    scope: scope.clone(),
                    level: None,
                    population: Population::Organisation,
                    free_text: true,
                    pseudonyms: wilkan::evaluation::pseudonym::Pseudonyms::new(
                        "a-test-secret-of-at-least-32-characters",
                        "k",
                    ),
                    today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    time_zone: chrono_tz::Europe::Amsterdam,
                };
                let mut out = Vec::new();
                let mut sink = wilkan::evaluation::output::CsvSink::new(&mut out, Default::default(), None).unwrap();
                let (mut c, mut second) = (app.conn(), app.conn());
                let mut batches = 0;
                run(&mut c, helper.then_some(&mut second), &spec, &instruments, &catalogue, &mut sink, &mut |_, _| {
                    batches += 1
                })
                .unwrap();
                drop(sink);
                assert!(batches >= 1, "{kind:?}");
                out
            };
            let one = export(false);
            assert!(one.len() > 1000, "{kind:?}");
            assert!(one == export(true), "{kind:?} {scope:?}: two readers wrote another file");
        }
    }
}

/// The staff list's filters and cursor give exactly the rows the database holds for them, for a
/// project leader (organisation, with coach, cohort and status filters), a coach (their own, a
/// coach filter ignored) and an employee (their own).
#[test]
fn the_staff_list_filters_and_pages_as_the_database_says() {
    use diesel::prelude::*;
    use wilkan::db::schema::{trajectories, users};
    let app = TestApp::spawn();
    seed(&app, 3);
    let login = |email: &str| -> String {
        let res = app.post("/auth/login", None, &json!({"email": email, "password": wilkan::demo::DEMO_PASSWORD}));
        res.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_string()
    };
    let id_of = |email: &str| -> String {
        users::table.filter(users::email.eq(email)).select(users::id).first(&mut app.conn()).unwrap()
    };
    // (id, organisation, coach, cohort, status, employee), in id order.
    type Row = (String, String, String, String, String, String);
    let rows: Vec<Row> = trajectories::table
        .order(trajectories::id)
        .select((
            trajectories::id,
            trajectories::organization_id,
            trajectories::coach_id,
            trajectories::cohort_id,
            trajectories::status,
            trajectories::employee_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    let expect =
        |keep: &dyn Fn(&Row) -> bool| -> Vec<String> { rows.iter().filter(|r| keep(r)).map(|r| r.0.clone()).collect() };
    // Every page of `query`, following the cursor.
    let pages = |query: &str, token: &str| -> Vec<String> {
        let (mut ids, mut path) = (Vec::new(), format!("/trajectories?limit=4{query}"));
        loop {
            let page: Value = app.get(&path, Some(token)).json().unwrap();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 4, "{page}");
            ids.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/trajectories?limit=4{query}&cursor={c}"),
                None => return ids,
            }
        }
    };
    let leader = login("projectleider@org1.demo");
    let coach = id_of("coach1@org1.demo");
    let org = rows.iter().find(|r| r.2 == coach).unwrap().1.clone();
    let in_org = |r: &Row| r.1 == org;
    assert!(expect(&in_org).len() > 8 && expect(&in_org).len() < rows.len(), "several pages, one organisation");
    assert_eq!(pages("", &leader), expect(&in_org));
    assert_eq!(pages(&format!("&coach={coach}"), &leader), expect(&|r| in_org(r) && r.2 == coach));
    let cohort = rows.iter().find(|r| in_org(r)).unwrap().3.clone();
    assert_eq!(pages(&format!("&cohort={cohort}"), &leader), expect(&|r| in_org(r) && r.3 == cohort));
    for status in ["proposed", "active", "returned", "aftercare", "closed", "stopped"] {
        assert_eq!(pages(&format!("&status={status}"), &leader), expect(&|r| in_org(r) && r.4 == status), "{status}");
        assert_eq!(
            pages(&format!("&status={status}&coach={coach}"), &leader),
            expect(&|r| in_org(r) && r.4 == status && r.2 == coach),
            "{status}"
        );
    }
    let own = expect(&|r| r.2 == coach);
    assert!(!own.is_empty());
    let other = rows.iter().find(|r| in_org(r) && r.2 != coach).unwrap().2.clone();
    assert_eq!(pages("", &login("coach1@org1.demo")), own);
    assert_eq!(pages(&format!("&coach={other}"), &login("coach1@org1.demo")), own, "a coach sees only their own");
    let employee = rows.iter().find(|r| r.2 == coach).unwrap().5.clone();
    let email: String = users::table.find(&employee).select(users::email).first(&mut app.conn()).unwrap();
    assert_eq!(pages("", &login(&email)), expect(&|r| r.5 == employee));
}

/// A trajectory's consent state (its two columns) is what its records say: the latest record of
/// each kind decides. `seed-demo` writes the records through the API's function, which keeps the
/// state; migration 000012, taken back and run again, fills the same state from the records alone.
#[test]
fn the_consent_state_follows_the_records_and_the_migration_fills_it() {
    use diesel::prelude::*;
    use diesel_migrations::MigrationHarness;
    use wilkan::db::schema::{consents, trajectories};
    use wilkan::db::DbConnection;
    use wilkan::trajectories::model::Consent;
    let app = TestApp::spawn();
    seed(&app, 11);
    let mut conn = app.conn();
    type State = Vec<(String, bool, bool)>;
    let state = |conn: &mut DbConnection| -> State {
        trajectories::table
            .select((trajectories::id, trajectories::method_consent, trajectories::research_consent))
            .order(trajectories::id)
            .load(conn)
            .unwrap()
    };
    // Two research records added to trajectories with research consent: a withdrawal dated after
    // the consent decides; one dated before it (a server whose clock ran behind) does not.
    let given: Vec<Consent> = consents::table
        .filter(consents::kind.eq("research"))
        .filter(consents::given.eq(true))
        .order(consents::id)
        .select(Consent::as_select())
        .load(&mut conn)
        .unwrap();
    assert!(given.len() >= 2, "{}", given.len());
    for (c, days) in [(&given[0], 1), (&given[1], -1)] {
        let withdrawal = Consent {
            id: wilkan::db::new_id(),
            given: false,
            recorded_at: c.recorded_at + chrono::Duration::days(days),
            ..c.clone()
        };
        wilkan::trajectories::queries::insert_consent(&mut conn, &withdrawal).unwrap();
    }
    let kept = state(&mut conn);
    let of = |id: &str| kept.iter().find(|r| r.0 == id).unwrap().2;
    assert!(!of(&given[0].trajectory_id), "the later withdrawal decides");
    assert!(of(&given[1].trajectory_id), "the earlier one does not");
    let records: Vec<Consent> = consents::table.select(Consent::as_select()).load(&mut conn).unwrap();
    let from_records: State = kept
        .iter()
        .map(|(id, _, _)| {
            let mine: Vec<&Consent> = records.iter().filter(|c| c.trajectory_id == *id).collect();
            let s = wilkan::trajectories::queries::consent_state(&mine);
            (id.clone(), s.method, s.research)
        })
        .collect();
    assert_eq!(kept, from_records);
    assert!(kept.iter().any(|r| r.2) && kept.iter().any(|r| r.1 && !r.2), "research consent given and not");

    // Reverted down to the one under test (consent_state), with every later one, and run again.
    fn redo_from<DB: diesel::backend::Backend>(
        c: &mut impl MigrationHarness<DB>,
        migrations: impl Fn() -> diesel_migrations::EmbeddedMigrations,
        version: &str,
    ) -> Vec<String> {
        let mut names = Vec::new();
        while !names.last().is_some_and(|n: &String| n.ends_with(version)) {
            names.push(c.revert_last_migration(migrations()).unwrap().to_string());
        }
        c.run_pending_migrations(migrations()).unwrap();
        names
    }
    let reverted = match &mut conn {
        DbConnection::Pg(c) => redo_from(c, || wilkan::db::PG_MIGRATIONS, "000012"),
        DbConnection::Sqlite(c) => redo_from(c, || wilkan::db::SQLITE_MIGRATIONS, "000012"),
    };
    assert!(reverted.windows(2).all(|w| w[0] > w[1]), "newest first, each once: {reverted:?}");
    assert_eq!(state(&mut conn), kept);
}

/// Each employee works through the courses in their plan's order, in each learning round: the
/// courses begun are the plan's first ones, completed one after the other, with at most the next
/// one begun online. The rows in the course list follow the plan of the employee's latest
/// trajectory that has one (a later trajectory only proposed has not begun its round); those of an
/// earlier round, their own trajectory's plan. Nearly all are done the way the plan says (paper or
/// online), and both ways occur. Who chose the paper route at inclusion, or was included against
/// the advice, has more courses planned on paper.
fn courses_follow_the_plans(app: &TestApp) {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;
    use std::collections::HashMap;
    use wilkan::db::schema::{course_progress, past_course_progress, plans, trajectories};
    type Row = (String, Option<NaiveDateTime>, Option<String>);
    let planned: Vec<(String, String, String, String, String, String)> = plans::table
        .inner_join(trajectories::table.on(trajectories::id.eq(plans::trajectory_id)))
        .order(trajectories::id)
        .select((
            trajectories::id,
            trajectories::employee_id,
            plans::course_order,
            plans::course_modes,
            trajectories::inclusion_answers,
            trajectories::inclusion_advice,
        ))
        .load(&mut app.conn())
        .unwrap();
    // Ids sort by creation: the last one seen is the latest.
    let latest_planned: HashMap<&str, &str> = planned.iter().map(|p| (p.1.as_str(), p.0.as_str())).collect();
    // Progress by the trajectory whose round it is.
    let mut progress: HashMap<String, HashMap<String, Row>> = HashMap::new();
    let live: Vec<(String, String, Option<NaiveDateTime>, Option<String>)> = course_progress::table
        .select((
            course_progress::user_id,
            course_progress::course_slug,
            course_progress::completed_at,
            course_progress::completed_via,
        ))
        .load(&mut app.conn())
        .unwrap();
    let past: Vec<(String, String, Option<NaiveDateTime>, Option<String>)> = past_course_progress::table
        .select((
            past_course_progress::trajectory_id,
            past_course_progress::course_slug,
            past_course_progress::completed_at,
            past_course_progress::completed_via,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert!(!past.is_empty(), "someone has an earlier round");
    let live = live.into_iter().map(|(user, slug, at, via)| {
        let round = latest_planned.get(user.as_str()).map_or(format!("no plan: {user}"), |t| t.to_string());
        (round, slug, at, via)
    });
    for (round, slug, at, via) in live.chain(past) {
        progress.entry(round).or_default().insert(slug.clone(), (slug, at, via));
    }
    let (mut as_planned, mut switched, mut ways) = (0, 0, std::collections::HashSet::new());
    let mut in_progress = 0;
    // Courses planned, and of them on paper, for who chose the paper route and who did not.
    let mut paper_share = [(0, 0), (0, 0)];
    for (round, _, order, modes, inclusion, advice) in &planned {
        let order: Vec<String> = serde_json::from_str(order).unwrap();
        let modes: HashMap<String, String> = serde_json::from_str(modes).unwrap();
        let mode = |slug: &str| modes.get(slug).map(String::as_str).unwrap_or("not in course_modes");
        // Included against the advice (no device, or too little reading and screen skill), the
        // seeder's coach works with the paper map too.
        let answers: serde_json::Value = serde_json::from_str(inclusion).unwrap();
        let share = &mut paper_share[usize::from(answers["paper_route_chosen"] == true || advice == "exclude")];
        share.0 += order.len();
        share.1 += order.iter().filter(|slug| mode(slug) == "paper").count();
        let mine = progress.remove(round).unwrap_or_default();
        let begun: Vec<&Row> = order.iter().map_while(|slug| mine.get(slug)).collect();
        assert_eq!(begun.len(), mine.len(), "{round}: courses begun out of the plan's order: {order:?} {mine:?}");
        let completed: Vec<&Row> = begun.iter().copied().take_while(|(_, at, _)| at.is_some()).collect();
        assert!(begun.len() - completed.len() <= 1, "{round}: more than one course in progress: {begun:?}");
        assert!(completed.windows(2).all(|w| w[0].1 < w[1].1), "{round}: completed out of order: {completed:?}");
        if let Some((slug, None, _)) = begun.last() {
            assert_eq!(mode(slug), "online", "{round}: work on paper shows online");
            in_progress += 1;
        }
        for (slug, _, via) in completed {
            let via = via.as_deref().unwrap();
            ways.insert(via.to_string());
            if mode(slug) == via {
                as_planned += 1;
            } else {
                switched += 1;
            }
        }
    }
    assert!(progress.is_empty(), "progress without a plan: {progress:?}");
    assert_eq!(ways.len(), 2, "both paper and online completions: {ways:?}");
    assert!(as_planned >= 4 * switched && as_planned > 0, "{as_planned} as planned, {switched} switched");
    assert!(in_progress > 0, "someone has a course in progress");
    let [(others, others_paper), (chose, chose_paper)] = paper_share;
    assert!(chose_paper * others > 2 * others_paper * chose, "paper planned: {paper_share:?}");
}
