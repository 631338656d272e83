//! Spawns the real server on a free port with a fresh database (a temp SQLite file, or a new
//! PostgreSQL database when WILKAN_TEST_POSTGRES is set) and talks HTTP to it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::Method;
use serde_json::{json, Value};
use wilkan::config::Config;
use wilkan::db::{DbConnection, DbTarget};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub target: DbTarget,
    /// Server database name on PostgreSQL (for outage tests).
    pub pg_name: Option<String>,
    server: Option<actix_web::dev::ServerHandle>,
    /// The thread that runs the server and then stops its worker; joined on drop.
    thread: Option<std::thread::JoinHandle<()>>,
    /// Dropped after `server` has stopped (fields drop after `Drop::drop`).
    pg_database: Option<Arc<TestDatabase>>,
    _dir: tempfile::TempDir,
}

/// A test's own PostgreSQL database, dropped when the last server on it is gone, so that test
/// runs leave nothing behind (`.ci/run` also clears what an interrupted run left).
pub struct TestDatabase {
    base: String,
    pub name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: the stopped server's pool may still hold connections. Failure only leaves the
        // database for the next `.ci/run` to clear.
        if let Ok(mut admin) = diesel::pg::PgConnection::establish(&format!("{}/postgres", self.base)) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

impl Drop for TestApp {
    // Stop the server so that its pool closes its connections (PostgreSQL has a client limit),
    // and wait until its thread has stopped the worker and dropped the pool: a worker still
    // polling PostgreSQL (over TLS) while the last test's process exits and OpenSSL cleans up
    // crashed the test binary after every test had passed (SIGSEGV, once in CI).
    fn drop(&mut self) {
        if let Some(handle) = self.server.take() {
            actix_web::rt::System::new().block_on(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn postgres_base() -> Option<String> {
    std::env::var("WILKAN_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new empty database; returns (DATABASE_URL, the PostgreSQL database).
pub fn fresh_database(dir: &std::path::Path) -> (String, Option<Arc<TestDatabase>>) {
    match postgres_base() {
        Some(base) => {
            let db = migrated_postgres_database(&base);
            (format!("{base}/{}", db.name), Some(Arc::new(db)))
        }
        None => (format!("sqlite://{}", dir.join("wilkan.db").display()), None),
    }
}

/// A new empty PostgreSQL database on `base` (the test's own: dropped with the value).
pub fn postgres_database(base: &str) -> TestDatabase {
    create_postgres_database(base, "template1")
}

/// A new PostgreSQL database with every migration applied: a copy of a template migrated once per
/// test run. Migrating each test's database anew took most of the PostgreSQL pass's extra time.
/// The server still checks the migrations at start-up and finds none pending.
pub fn migrated_postgres_database(base: &str) -> TestDatabase {
    /// (base, name) of this process's template; statics are never dropped, so it is dropped at exit.
    static TEMPLATE: OnceLock<(String, String)> = OnceLock::new();
    extern "C" fn drop_template() {
        if let Some((base, name)) = TEMPLATE.get() {
            drop(TestDatabase { base: base.clone(), name: name.clone() });
        }
    }
    let (_, template) = TEMPLATE.get_or_init(|| {
        let db = std::mem::ManuallyDrop::new(postgres_database(base));
        wilkan::db::migrate(&DbTarget::parse(&format!("{base}/{}", db.name)).unwrap()).expect("migrate the template");
        // SAFETY: registers a function without arguments to run when the process exits.
        unsafe { libc::atexit(drop_template) };
        (base.to_string(), db.name.clone())
    });
    create_postgres_database(base, template)
}

fn create_postgres_database(base: &str, template: &str) -> TestDatabase {
    let name = format!(
        "wilkan_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut admin = diesel::pg::PgConnection::establish(&format!("{base}/postgres"))
        .unwrap_or_else(|e| panic!("WILKAN_TEST_POSTGRES={base} is set but PostgreSQL is unreachable: {e}"));
    admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).expect("create test database");
    TestDatabase { base: base.to_string(), name }
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(&[])
    }

    pub fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_database) = fresh_database(dir.path());
        Self::spawn_on(dir, url, pg_database, settings)
    }

    /// A second server on this app's database (e.g. after the course content changed).
    pub fn restart_with(&self, settings: &[(&str, &str)]) -> TestApp {
        Self::spawn_on(tempfile::tempdir().expect("temp dir"), self.database_url(), self.pg_database.clone(), settings)
    }

    /// This app's `DATABASE_URL`, for a second server or a command run beside it.
    pub fn database_url(&self) -> String {
        match self.target.backend {
            wilkan::db::Backend::Postgres => self.target.location.clone(),
            wilkan::db::Backend::Sqlite => format!("sqlite://{}", self.target.location),
        }
    }

    fn spawn_on(
        dir: tempfile::TempDir,
        url: String,
        pg_database: Option<Arc<TestDatabase>>,
        settings: &[(&str, &str)],
    ) -> TestApp {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("DATABASE_URL".into(), url);
        env.insert("WILKAN_DATA_DIR".into(), dir.path().display().to_string());
        env.insert("WILKAN_JWT_SECRET".into(), JWT_SECRET.into());
        env.insert("WILKAN_WORKERS".into(), "2".into());
        env.insert("WILKAN_DB_POOL_SIZE".into(), "4".into());
        env.insert("WILKAN_DB_TIMEOUT_SECONDS".into(), "2".into());
        env.insert("WILKAN_DB_STARTUP_WAIT_SECONDS".into(), "0".into());
        env.insert("WILKAN_CONTENT_DIR".into(), concat!(env!("CARGO_MANIFEST_DIR"), "/course-content").into());
        env.insert("WILKAN_LOG".into(), "warn".into());
        for (k, v) in settings {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_sources(None, &env).expect("test config");
        let target = config.database.clone();
        let state = wilkan::prepare(config).expect("prepare app");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind free port");
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let service = wilkan::start(state, listener).expect("start server");
                tx.send(service.handle()).expect("send handle");
                service.run().await.expect("server ran");
            })
        });
        let server = Some(rx.recv().expect("server handle"));
        let app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap(),
            target,
            pg_name: pg_database.as_ref().map(|d| d.name.clone()),
            server,
            thread: Some(thread),
            pg_database,
            _dir: dir,
        };
        for _ in 0..200 {
            if app.client.get(app.url("/health")).send().is_ok() {
                return app;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("server did not come up");
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/")
            || path == "/health"
            || path == "/ready"
            || path.starts_with("/docs")
            || path == "/openapi.json"
        {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/api/v1{}", self.base, path)
        }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().expect("request")
    }

    pub fn send(&self, method: Method, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(method, path, token).json(body).send().expect("request")
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(Method::POST, path, token, body)
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(Method::PATCH, path, token, body)
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn conn(&self) -> DbConnection {
        wilkan::db::establish(&self.target).expect("test db connection")
    }

    /// Number of rows in `table`, read straight from the database.
    pub fn count(&self, table: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> =
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(&mut self.conn()).unwrap();
        rows[0].n
    }

    pub fn create_admin(&self, email: &str) -> String {
        let mut conn = self.conn();
        wilkan::accounts::create_admin(&mut conn, email, PASSWORD).expect("admin").id
    }

    pub fn login(&self, email: &str, password: &str) -> Value {
        let res = self.post("/auth/login", None, &json!({"email": email, "password": password}));
        assert_eq!(res.status(), 200, "login {email}");
        res.json().unwrap()
    }

    pub fn token(&self, email: &str) -> String {
        self.login(email, PASSWORD)["access_token"].as_str().unwrap().to_string()
    }
}

/// Parses a problem+json answer and checks its shape.
pub fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().expect("problem body");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "detail present");
    assert!(body["title"].is_string() && body["type"].is_string());
    body
}

/// One user of each kind in two organisations, logged in.
pub struct World {
    pub app: TestApp,
    pub org_a: String,
    pub org_b: String,
    pub admin: Actor,
    pub researcher: Actor,
    pub pl_a: Actor,
    pub pl_b: Actor,
    pub coach_a: Actor,
    pub coach_b: Actor,
    pub employee_a: Actor,
    pub employee_a2: Actor,
}

pub struct Actor {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl World {
    pub fn new() -> World {
        Self::on(TestApp::spawn())
    }

    pub fn on(app: TestApp) -> World {
        let admin_id = app.create_admin("admin@wilkan.test");
        let admin = Actor { id: admin_id, email: "admin@wilkan.test".into(), token: app.token("admin@wilkan.test") };
        let org = |name: &str| -> String {
            let res = app.post("/organizations", Some(&admin.token), &json!({"name": name}));
            assert_eq!(res.status(), 201);
            res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
        };
        let org_a = org("Werkbedrijf Noord");
        let org_b = org("Werkbedrijf Zuid");
        let user = |email: &str, role: &str, org: Option<&str>| -> Actor {
            let res = app.post(
                "/users",
                Some(&admin.token),
                &json!({"email": email, "first_name": email.split('@').next().unwrap(), "role": role, "organization_id": org, "password": PASSWORD}),
            );
            assert_eq!(res.status(), 201, "create {email}");
            let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
            Actor { id, email: email.into(), token: app.token(email) }
        };
        World {
            researcher: user("onderzoeker@wilkan.test", "researcher", None),
            pl_a: user("pl.noord@wilkan.test", "project_leader", Some(&org_a)),
            pl_b: user("pl.zuid@wilkan.test", "project_leader", Some(&org_b)),
            coach_a: user("coach.noord@wilkan.test", "coach", Some(&org_a)),
            coach_b: user("coach.zuid@wilkan.test", "coach", Some(&org_b)),
            employee_a: user("sandra@wilkan.test", "employee", Some(&org_a)),
            employee_a2: user("kees@wilkan.test", "employee", Some(&org_a)),
            org_a,
            org_b,
            admin,
            app,
        }
    }
}

/// A date relative to today (`YYYY-MM-DD`). Records the server relates to the trajectory's start
/// (a group session counts for a trajectory from its creation on) must not be dated fixed days
/// that the calendar overtakes: the fixture's group session of 2026-12-01 left the timeline the
/// day after. Today is the organisations' date, as the test servers' default time zone has it.
pub fn days_from_today(days: i64) -> String {
    (local_today() + chrono::TimeDelta::days(days)).to_string()
}

/// Today at the organisations (the servers' default `time_zone`): what the server calls "today"
/// (between 22:00 and midnight UTC it is already tomorrow in Amsterdam).
pub fn local_today() -> chrono::NaiveDate {
    wilkan::local_time::today(chrono_tz::Europe::Amsterdam)
}

pub fn json_id(res: Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string()
}

pub fn inclusion_ok() -> Value {
    json!({
        "absent_over_4_weeks": true, "frequent_absence": false, "expected_absence_over_2_months": true,
        "expected_return_within_2_to_12_months": true, "return_within_24_months_of_sick_report": true,
        "device_at_home": true, "reading_and_digital_skills_sufficient": true, "paper_route_chosen": false
    })
}

pub fn intake_body(shared: bool) -> Value {
    let f = |score: u8| json!({"score": score, "note": "Wil graag weer aan de slag in de groenvoorziening."});
    json!({
        "factors": {"attitude": f(4), "self_efficacy": f(2), "social_pressure": f(3), "knowledge_and_skills": f(4),
                    "capacity": f(2), "context": f(3), "self_regulation": f(1)},
        "goals": {"employee": "Weer twee dagen werken", "professional": "Structuur in de week", "organization": null},
        "basic_needs_under_pressure": {"autonomy": true, "inclusion": false, "competence": true, "affection": false},
        "expectations": {"of_employee": "Hulp bij plannen", "of_coach": "Elke week contact"},
        "shared_with_employee": shared
    })
}

pub const COURSE_ORDER: [&str; 7] = [
    "uitgangspunten-en-misverstanden",
    "doelen-en-plannen-maken",
    "kwaliteiten",
    "hulp-vragen",
    "invloed",
    "meningen-van-anderen",
    "aan-het-werk-en-nu",
];

pub fn plan_body() -> Value {
    json!({
        "course_order": COURSE_ORDER, "first_course_reason": null,
        "focus_courses": ["doelen-en-plannen-maken"], "course_modes": {"kwaliteiten": "paper"},
        "digital_skills_pretrack": false, "group_sessions_interest": true, "buddy_interest": false,
        "help_needed": "Samen de eerste cursus doen", "shared_with_employee": true
    })
}

pub fn work_values_body(circle: &str) -> Value {
    let v = |important: bool| json!({"important": important, "circle": circle, "note": null});
    json!({
        "using_knowledge_and_skills": v(true), "developing_knowledge_and_skills": v(true),
        "involved_in_important_decisions": v(false), "meaningful_work_contacts": v(true),
        "setting_own_goals": v(false), "fair_income": v(true), "contributing_to_something_valuable": v(true)
    })
}

pub fn entry_body(shared: bool) -> Value {
    json!({
        "date": "2026-11-02", "kind": "coaching_talk", "duration_minutes": 45, "preparation_minutes": 30,
        "led_by": "together", "impression": "Open en betrokken", "agreements": "Cursus 1 afmaken",
        "developments": "Plant zelf een afspraak", "next_appointment": "2026-11-09", "shared_with_employee": shared,
        "weighing": {
            "decision": "Eerst de cursus op papier laten doen", "steps": {"beforehand": "Leest liever op papier", "response": "Map meegegeven"},
            "pitfalls_checked": ["haste", "anchoring"], "factor_clusters": ["client_related"],
            "explained_to_employee": true, "explanation": "Uitgelegd waarom papier nu beter past",
            "feedback_loop": {"right_decision": "Ja", "right_steps": "Deels", "contributes_to_result": "Ja"}
        }
    })
}

/// A cohort and an active trajectory of employee_a with coach_a, with a shared plan, a shared
/// logbook entry, an unshared intake and one absence episode long ago (outside any 12-month window).
pub struct Fixture {
    pub cohort: String,
    pub trajectory: String,
    pub entry: String,
    pub absence: String,
}

impl World {
    pub fn method(&self) -> Fixture {
        let app = &self.app;
        let pl = Some(self.pl_a.token.as_str());
        let coach = Some(self.coach_a.token.as_str());
        let cohort =
            json_id(app.post(&format!("/organizations/{}/cohorts", self.org_a), pl, &json!({"name": "Ronde 1"})), 201);
        let trajectory = json_id(
            app.post(
                "/trajectories",
                pl,
                &json!({"employee_id": self.employee_a.id, "coach_id": self.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
            ),
            201,
        );
        let t = format!("/trajectories/{trajectory}");
        assert_eq!(
            app.post(&format!("{t}/consents"), Some(&self.employee_a.token), &json!({"kind": "method", "given": true}))
                .status(),
            201
        );
        assert_eq!(app.patch(&t, coach, &json!({"status": "active"})).status(), 200);
        assert_eq!(app.send(reqwest::Method::PUT, &format!("{t}/intake"), coach, &intake_body(false)).status(), 200);
        assert_eq!(app.send(reqwest::Method::PUT, &format!("{t}/plan"), coach, &plan_body()).status(), 200);
        let entry = json_id(app.post(&format!("{t}/logbook"), coach, &entry_body(true)), 201);
        let absence = json_id(
            app.post(
                &format!("/employees/{}/absences", self.employee_a.id),
                coach,
                &json!({"start_date": "2020-01-06", "end_date": "2020-01-20"}),
            ),
            201,
        );
        Fixture { cohort, trajectory, entry, absence }
    }
}

/// On top of `method()`: a group session (coach_a, inviting employee_a), a third employee of
/// org A with an active trajectory paired with employee_a as buddies, a visit, a card link with
/// one card, and a return to work with its aftercare check-ins.
pub struct Connect {
    pub session: String,
    pub buddy_employee: Actor,
    pub pair: String,
    pub visit: String,
    pub card_token: String,
    pub card: String,
    pub checkin: String,
}

impl World {
    /// Moves a group session to today (late in the day, so after anything the test created):
    /// attendance is recorded from the day of a session.
    pub fn session_today(&self, session: &str) {
        use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
        use wilkan::db::schema::group_sessions;
        let today = local_today().and_hms_opt(23, 59, 0).unwrap();
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(group_sessions::table.find(session))
            .set(group_sessions::starts_at.eq(today))
            .execute(&mut self.app.conn())
            .unwrap();
    }

    pub fn connect(&self, m: &Fixture) -> Connect {
        let app = &self.app;
        let coach = Some(self.coach_a.token.as_str());
        let pl = Some(self.pl_a.token.as_str());
        let t = format!("/trajectories/{}", m.trajectory);
        let session = json_id(
            app.post(
                "/group-sessions",
                coach,
                &json!({"starts_at": format!("{}T10:00:00", days_from_today(7)), "place": "Kantine, gebouw B", "topic": "hulp-vragen", "invite": [self.employee_a.id]}),
            ),
            201,
        );
        let res = app.post(
            "/users",
            Some(&self.admin.token),
            &json!({"email": "ayse@wilkan.test", "first_name": "Ayşe", "role": "employee", "organization_id": self.org_a, "password": PASSWORD}),
        );
        let buddy_id = json_id(res, 201);
        let buddy_employee =
            Actor { id: buddy_id.clone(), email: "ayse@wilkan.test".into(), token: app.token("ayse@wilkan.test") };
        let t2 = json_id(
            app.post("/trajectories", pl, &json!({"employee_id": buddy_id, "coach_id": self.coach_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()})),
            201,
        );
        app.post(&format!("/trajectories/{t2}/consents"), coach, &json!({"kind": "method", "given": true}));
        assert_eq!(app.patch(&format!("/trajectories/{t2}"), coach, &json!({"status": "active"})).status(), 200);
        let pair = json_id(
            app.post("/buddy-pairs", coach, &json!({"employee_a": self.employee_a.id, "employee_b": buddy_id})),
            201,
        );
        let visit = json_id(
            app.post(&format!("{t}/visits"), coach, &json!({"date": days_from_today(1), "kind": "coffee", "with_whom": "De ploeg van de wasserij", "status": "planned"})),
            201,
        );
        let link: Value = app.post(&format!("{t}/card-links"), coach, &json!({"delivery": "email"})).json().unwrap();
        let card_token = link["token"].as_str().unwrap().to_string();
        assert_eq!(
            app.post(&format!("/cards/{card_token}"), None, &json!({"name": "Kees", "message": "We missen je!"}))
                .status(),
            201
        );
        let cards: Value = app.get(&format!("{t}/cards"), coach).json().unwrap();
        let card = cards["items"][0]["id"].as_str().unwrap().to_string();
        let ret: Value = app
            .send(
                reqwest::Method::PUT,
                &format!("{t}/return"),
                coach,
                &json!({"date": "2026-11-02", "extent": "partial", "hours_per_week": 8.0, "own_work": true}),
            )
            .json()
            .unwrap();
        let checkin = ret["aftercare"][0]["id"].as_str().unwrap().to_string();
        Connect { session, buddy_employee, pair, visit, card_token, card, checkin }
    }
}

/// Every item of a paginated list, one page of `limit` at a time (following `next_cursor`), and
/// how many pages that took.
pub fn all_pages(app: &TestApp, path: &str, token: Option<&str>, limit: usize) -> (Vec<Value>, usize) {
    let join = if path.contains('?') { '&' } else { '?' };
    let (mut items, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    let mut seen = std::collections::HashSet::new();
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{join}limit={limit}&cursor={c}"),
            None => format!("{path}{join}limit={limit}"),
        };
        let page: Value = app.get(&url, token).json().unwrap();
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit, "{url}: {} items", got.len());
        items.extend(got.iter().cloned());
        pages += 1;
        match page["next_cursor"].as_str() {
            // A list that hands out the same cursor twice would page forever: fail instead.
            Some(c) if seen.insert(c.to_string()) => cursor = Some(c.to_string()),
            Some(c) => panic!("{path}: cursor {c} came back after {pages} pages"),
            None => return (items, pages),
        }
    }
}
