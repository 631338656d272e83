use diesel::connection::SimpleConnection;
use diesel::Connection;

use crate::helpers::{postgres_base, problem, TestApp, World};

#[test]
fn health_ready_and_headers_on_every_response() {
    let app = TestApp::spawn();
    let res = app.get("/health", None);
    assert_eq!(res.status(), 200);
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")]
    {
        assert_eq!(res.headers().get(name).unwrap(), value);
    }
    assert!(res.headers().get("x-request-id").is_some());
    assert_eq!(app.get("/ready", None).status(), 200);

    // A caller's request id is echoed; a forged one is replaced.
    let res = app.request(reqwest::Method::GET, "/health", None).header("x-request-id", "abc-123").send().unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "abc-123");
    let res =
        app.request(reqwest::Method::GET, "/health", None).header("x-request-id", "bad id\tinjected").send().unwrap();
    assert_ne!(res.headers().get("x-request-id").unwrap(), "bad id\tinjected");

    // Unknown routes: problem+json 404, not an empty body.
    problem(app.get("/nergens", None), 404);

    // A migration that has not run (a database restored from a backup older than this version):
    // not ready, though the database answers.
    app.conn()
        .batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
        )
        .unwrap();
    let body = problem(app.get("/ready", None), 503);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(app.get("/health", None).status(), 200, "alive all the same");
}

#[test]
fn head_answers_like_get_without_a_body() {
    let w = World::new();
    let app = &w.app;
    let employee = Some(w.employee_a.token.as_str());
    for (path, token) in [("/health", None), ("/me/courses", employee)] {
        let get = app.get(path, token);
        let length = get.headers()["content-length"].clone();
        let content_type = get.headers()["content-type"].clone();
        assert!(!get.bytes().unwrap().is_empty());
        let head = app.request(reqwest::Method::HEAD, path, token).send().unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!((&head.headers()["content-length"], &head.headers()["content-type"]), (&length, &content_type));
        assert!(head.bytes().unwrap().is_empty(), "HEAD {path} sends no body");
    }
    // Access rules are the GET route's own.
    let head = app.request(reqwest::Method::HEAD, "/me/courses", None).send().unwrap();
    assert_eq!(head.status(), 401);
    let head = app.request(reqwest::Method::HEAD, "/trajectories", employee).send().unwrap();
    assert_eq!(head.status(), 200);
    let head = app.request(reqwest::Method::HEAD, "/aftercare/due", employee).send().unwrap();
    assert_eq!(head.status(), 403);
}

#[test]
fn database_outage_answers_503_and_recovers() {
    let Some(base) = postgres_base() else {
        eprintln!("database_outage_answers_503_and_recovers runs in the PostgreSQL pass (WILKAN_TEST_POSTGRES)");
        return;
    };
    let w = World::new();
    let name = w.app.pg_name.clone().unwrap();
    let mut admin = diesel::pg::PgConnection::establish(&format!("{base}/postgres")).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();
    let body = problem(w.app.get("/ready", None), 503);
    assert!(body["detail"].as_str().unwrap().contains("Probeer het"));
    problem(w.app.get("/me", Some(&w.admin.token)), 503);

    admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).unwrap();
    let mut recovered = false;
    for _ in 0..50 {
        if w.app.get("/ready", None).status() == 200 {
            recovered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(recovered, "service recovers when the database is back");
    assert_eq!(w.app.get("/me", Some(&w.admin.token)).status(), 200);
}

#[test]
fn config_refuses_production_without_secret_and_unknown_settings() {
    use std::collections::HashMap;
    use wilkan::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("WILKAN_MODE".into(), "production".into());
    env.insert("WILKAN_DATA_DIR".into(), dir.path().display().to_string());
    // Production names its database: an unset variable does not start it on an empty file.
    assert!(Config::from_sources(None, &env).unwrap_err().contains("DATABASE_URL"));
    env.insert("DATABASE_URL".into(), format!("sqlite://{}/wilkan.db", dir.path().display()));
    // Production mails for real, with links to where users reach Wilkan.
    assert!(Config::from_sources(None, &env).unwrap_err().contains("WILKAN_SMTP_HOST"));
    env.insert("WILKAN_SMTP_HOST".into(), "smtp.example.org".into());
    assert!(Config::from_sources(None, &env).unwrap_err().contains("WILKAN_PUBLIC_URL"));
    env.insert("WILKAN_PUBLIC_URL".into(), "http://localhost:8080/".into());
    assert!(Config::from_sources(None, &env).unwrap_err().contains("WILKAN_PUBLIC_URL"));
    env.insert("WILKAN_PUBLIC_URL".into(), "https://wilkan.example.org".into());
    let mut config = Config::from_sources(None, &env).unwrap();
    let err = config.resolve_secrets().unwrap_err();
    assert!(err.contains("WILKAN_JWT_SECRET"), "{err}");
    // Production needs the pseudonym secret too, and it must differ from the JWT secret.
    env.insert("WILKAN_JWT_SECRET".into(), "j".repeat(40));
    let err = Config::from_sources(None, &env).unwrap().resolve_secrets().unwrap_err();
    assert!(err.contains("WILKAN_PSEUDONYM_SECRET"), "{err}");
    env.insert("WILKAN_PSEUDONYM_SECRET".into(), "j".repeat(40));
    assert!(Config::from_sources(None, &env).unwrap_err().contains("two different secrets"));
    env.insert("WILKAN_PSEUDONYM_SECRET".into(), "p".repeat(40));
    let mut both = Config::from_sources(None, &env).unwrap();
    both.resolve_secrets().unwrap();
    assert_eq!((both.jwt_secret.clone(), both.pseudonym_secret.clone()), ("j".repeat(40), "p".repeat(40)));
    env.remove("WILKAN_JWT_SECRET");
    env.remove("WILKAN_PSEUDONYM_SECRET");

    // Development: the secrets are generated once and kept, one of each.
    env.insert("WILKAN_MODE".into(), "development".into());
    // Retention erases for good: 0 ("off") or a typo is refused before anything runs.
    for days in ["0", "-1", "29"] {
        env.insert("WILKAN_RETENTION_DAYS".into(), days.into());
        let err = Config::from_sources(None, &env).unwrap_err();
        assert!(err.contains("retention_days") && err.contains("at least 30"), "{err}");
    }
    env.insert("WILKAN_RETENTION_DAYS".into(), "30".into());
    assert_eq!(Config::from_sources(None, &env).unwrap().retention_days, 30);
    env.remove("WILKAN_RETENTION_DAYS");
    // Values a library would panic on, or that would stop every mail, are refused by name.
    for (key, value, named) in [
        ("WILKAN_DB_TIMEOUT_SECONDS", "0", "db_timeout_seconds"),
        ("WILKAN_MAIL_RETRY_BASE_SECONDS", "99999999999", "mail_retry_base_seconds"),
        ("WILKAN_ACCESS_TOKEN_MINUTES", "2880", "access_token_minutes"),
        ("WILKAN_REFRESH_TOKEN_DAYS", "99999999", "refresh_token_days"),
        ("WILKAN_CARD_HOLD_HOURS", "9999999999", "card_hold_hours"),
        ("WILKAN_CARD_HOLD_HOURS", "-1", "card_hold_hours"),
        ("WILKAN_MAIL_FROM", "Werkbedrijf Noord, team Wilkan <noreply@example.org>", "mail_from"),
        ("WILKAN_LOG", "wilkan=loud", "setting log"),
    ] {
        let mut bad = env.clone();
        bad.insert(key.into(), value.into());
        let err = Config::from_sources(None, &bad).unwrap_err();
        assert!(err.contains(named), "{key}={value}: {err}");
    }
    let mut quoted = env.clone();
    quoted.insert("WILKAN_MAIL_FROM".into(), "\"Werkbedrijf Noord, team Wilkan\" <noreply@example.org>".into());
    assert!(Config::from_sources(None, &quoted).is_ok(), "a quoted name may hold a comma");
    let mut a = Config::from_sources(None, &env).unwrap();
    a.resolve_secrets().unwrap();
    let mut b = Config::from_sources(None, &env).unwrap();
    b.resolve_secrets().unwrap();
    assert_eq!((&a.jwt_secret, &a.pseudonym_secret), (&b.jwt_secret, &b.pseudonym_secret));
    assert!(a.jwt_secret.len() >= 32 && a.pseudonym_secret.len() >= 32);
    assert_ne!(a.jwt_secret, a.pseudonym_secret);
    let debug = format!("{a:?}");
    assert!(!debug.contains(&a.jwt_secret) && !debug.contains(&a.pseudonym_secret), "secrets never in Debug output");

    // The file is read; the environment wins; unknown keys and bad URLs are errors.
    let file = dir.path().join("wilkan.toml");
    std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nworkers = 3\n").unwrap();
    env.insert("WILKAN_WORKERS".into(), "5".into());
    let c = Config::from_sources(Some(&file), &env).unwrap();
    assert_eq!((c.bind.as_str(), c.workers), ("0.0.0.0:9000", 5));
    std::fs::write(&file, "bnid = \"x\"\n").unwrap();
    assert!(Config::from_sources(Some(&file), &env).unwrap_err().contains("bnid"));
    env.insert("DATABASE_URL".into(), "mysql://x".into());
    assert!(Config::from_sources(None, &env).is_err());
    env.insert("DATABASE_URL".into(), "postgres://u:geheim@db/wilkan".into());
    let c = Config::from_sources(None, &env).unwrap();
    assert!(!format!("{c:?}").contains("geheim"));
    // libpq's other way of giving the password, as a parameter.
    env.insert("DATABASE_URL".into(), "postgres://u@db/wilkan?sslmode=require&password=geheim".into());
    let shown = format!("{:?}", Config::from_sources(None, &env).unwrap());
    assert!(!shown.contains("geheim") && shown.contains("sslmode=require&password=***"), "{shown}");
}

#[test]
fn readme_documents_every_setting_and_the_two_commands() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for s in wilkan::config::SETTINGS {
        assert!(readme.contains(&format!("`{}`", s.env)), "README lacks {}", s.env);
    }
    let head: String = readme.lines().take(12).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo run") && head.contains("cargo test"), "the first lines give both commands");
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    // The README command is run as it stands (no settings in front of it, no extra arguments);
    // `|| rc=$?` only records its exit code for the report at the end.
    let runs_readme_command = ci.lines().map(str::trim).any(|l| l == "cargo test" || l.starts_with("cargo test ||"));
    let runs_postgres_pass =
        ci.lines().any(|l| l.trim_start().starts_with("WILKAN_TEST_POSTGRES=") && l.contains("cargo test"));
    assert!(runs_readme_command && runs_postgres_pass, ".ci/run runs the README command and the PostgreSQL pass");
}

#[test]
fn cors_only_for_configured_origins() {
    let plain = TestApp::spawn();
    let res =
        plain.request(reqwest::Method::GET, "/health", None).header("origin", "https://evil.example").send().unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none(), "no CORS by default");

    let app = TestApp::spawn_with(&[("WILKAN_CORS_ORIGINS", "https://app.wilkan.nl, https://pilot.wilkan.nl")]);
    let res = app
        .request(reqwest::Method::OPTIONS, "/api/v1/me", None)
        .header("origin", "https://app.wilkan.nl")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app.wilkan.nl");
    let res =
        app.request(reqwest::Method::GET, "/health", None).header("origin", "https://evil.example").send().unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .arg("serve")
        .env("WILKAN_DATA_DIR", dir.path())
        .env("WILKAN_BIND", format!("127.0.0.1:{port}"))
        .env("WILKAN_CONTENT_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"))
        .env("WILKAN_LOG", "info")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        client.get(format!("http://127.0.0.1:{port}/ready")).send().is_ok_and(|r| r.status() == 200)
    });
    assert!(ready, "the embedded default (SQLite in the data folder) comes up");
    // A card link's secret is in its path; the request's log line leaves it out.
    let card = client
        .post(format!("http://127.0.0.1:{port}/api/v1/cards/geheimecode4711"))
        .json(&serde_json::json!({"name": "Kees", "message": "Sterkte!"}))
        .send()
        .unwrap();
    assert_eq!(card.status(), 404);
    assert!(dir.path().join("wilkan.db").exists() && dir.path().join("jwt-secret").exists());
    assert!(dir.path().join("pseudonym-secret").exists());
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "stops after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("create-admin"), "prints how to create the first admin: {out}");
    assert!(out.contains("/api/v1/cards/{token}") && !out.contains("geheimecode4711"), "{out}");
}

/// `sqlite_exclusive`: the server reads and writes as before, on several connections at once, and
/// keeps its SQLite file from every other process meanwhile: a command run beside it fails and says
/// why. On PostgreSQL the setting changes nothing.
#[test]
fn sqlite_exclusive_keeps_the_database_file_to_the_server() {
    let w = World::on(TestApp::spawn_with(&[("WILKAN_SQLITE_EXCLUSIVE", "true")]));
    let emp = w.employee_a.token.clone();
    let course: serde_json::Value = w.app.get("/courses/kwaliteiten", Some(&emp)).json().unwrap();
    let page = course["pages"][1]["id"].as_str().unwrap().to_string();
    let res = w.app.send(
        reqwest::Method::PUT,
        &format!("/me/courses/kwaliteiten/pages/{page}"),
        Some(&emp),
        &serde_json::json!({"status": "done"}),
    );
    assert_eq!(res.status(), 200, "a write");
    // Reads on several threads, so that the pool's connections overlap.
    let lists: Vec<serde_json::Value> = std::thread::scope(|s| {
        let readers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| w.app.get("/me/courses", Some(&emp)).json::<serde_json::Value>().unwrap()))
            .collect();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for list in &lists {
        let kwaliteiten = list["items"].as_array().unwrap().iter().find(|c| c["slug"] == "kwaliteiten").unwrap();
        let saved = kwaliteiten["pages"].as_array().unwrap().iter().find(|p| p["page_id"] == page.as_str()).unwrap();
        assert_eq!(saved["done"], true, "every read sees the write");
    }
    assert_eq!(w.app.get("/ready", None).status(), 200);

    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .arg("migrate")
        .env("DATABASE_URL", w.app.database_url())
        .env("WILKAN_DATA_DIR", dir.path())
        .env("WILKAN_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match w.app.target.backend {
        wilkan::db::Backend::Sqlite => {
            assert!(!out.status.success(), "another process cannot open the file while the server runs");
            assert!(stderr.contains("WILKAN_SQLITE_EXCLUSIVE=true"), "the command says why: {stderr}");
        }
        wilkan::db::Backend::Postgres => assert!(out.status.success(), "PostgreSQL is not affected: {stderr}"),
    }
}

/// Instances started together on one new database (a deploy of several replicas) all come up:
/// they migrate in turns and record the course versions once.
#[test]
fn instances_started_together_migrate_and_record_versions_once() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _db) = match postgres_base() {
        Some(base) => {
            let db = crate::helpers::postgres_database(&base);
            (format!("{base}/{}", db.name), Some(db))
        }
        None => (format!("sqlite://{}", dir.path().join("wilkan.db").display()), None),
    };
    let target = wilkan::db::DbTarget::parse(&url).unwrap();
    let content = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"));
    let catalogue = wilkan::courses::loader::load(content, &wilkan::courses::loader::LoadOptions::default()).unwrap();
    let start = std::sync::Barrier::new(4);
    let results: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    let migrated = wilkan::db::migrate(&target)?;
                    let mut conn = wilkan::db::establish(&target).map_err(|e| e.to_string())?;
                    wilkan::courses::progress::record_versions(&mut conn, &catalogue).map_err(|e| e.to_string())?;
                    Ok(migrated)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let migrated: Vec<usize> = results.into_iter().map(|r| r.expect("every instance starts")).collect();
    assert_eq!(migrated.iter().filter(|n| **n > 0).count(), 1, "one instance migrated: {migrated:?}");
    let mut conn = wilkan::db::establish(&target).unwrap();
    use diesel::prelude::*;
    let versions: i64 = wilkan::db::schema::course_versions::table.count().get_result(&mut conn).unwrap();
    assert_eq!(versions, catalogue.courses.len() as i64);
}

/// A body that trickles in (a byte a minute) is answered 408 once the request timeout has passed,
/// instead of holding the connection and its buffer for ever.
#[test]
fn a_body_sent_too_slowly_is_answered_408() {
    use std::io::{Read, Write};
    let app = TestApp::spawn_with(&[("WILKAN_REQUEST_TIMEOUT_SECONDS", "1")]);
    let addr = app.url("/").split("://").nth(1).unwrap().split('/').next().unwrap().to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"email\""
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A path that exists, asked with a method it does not take, is 405 with the methods it does
/// take, not a 404 that says the record does not exist.
#[test]
fn a_wrong_method_is_405_with_the_right_ones() {
    let w = World::new();
    let m = w.method();
    let res = w.app.send(
        reqwest::Method::PUT,
        &format!("/trajectories/{}", m.trajectory),
        Some(&w.coach_a.token),
        &serde_json::json!({}),
    );
    assert_eq!(res.status(), 405);
    let allow = res.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("PATCH") && !allow.contains("PUT"), "{allow}");
    let body = problem(res, 405);
    assert!(body["detail"].as_str().unwrap().contains("PATCH"), "{body}");
    problem(w.app.request(reqwest::Method::DELETE, "/trajectories", Some(&w.coach_a.token)).send().unwrap(), 405);
    // A path that does not exist stays 404.
    problem(w.app.request(reqwest::Method::DELETE, "/bestaat-niet", None).send().unwrap(), 404);
}

/// The housekeeping gives SQLite's query planner statistics of the tables as they are (SQLite
/// keeps none by itself), and leaves them alone while the data grows less than tenfold.
/// PostgreSQL's autovacuum keeps its own; there the housekeeping runs as before.
#[test]
fn the_housekeeping_keeps_the_planners_statistics() {
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Stat {
        #[diesel(sql_type = diesel::sql_types::Text)]
        idx: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        stat: String,
    }
    let w = World::new();
    w.method();
    let sqlite = w.app.target.backend == wilkan::db::Backend::Sqlite;
    if sqlite {
        // Whatever the server's own housekeeping took at its start, while the World was made.
        w.app.conn().batch_execute("DELETE FROM sqlite_stat1").unwrap();
    }
    let pool = || wilkan::db::build_pool(&w.app.target, 1, std::time::Duration::from_secs(5));
    wilkan::mail::worker::housekeeping(&pool(), 730, &|| false).unwrap();
    if !sqlite {
        return;
    }
    let stats = || -> Vec<Stat> {
        diesel::RunQueryDsl::load(
            diesel::sql_query(
                "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'users' AND idx IS NOT NULL ORDER BY idx",
            ),
            &mut w.app.conn(),
        )
        .unwrap()
    };
    let accounts = || -> i64 {
        diesel::RunQueryDsl::get_result(diesel::QueryDsl::count(wilkan::db::schema::users::table), &mut w.app.conn())
            .unwrap()
    };
    let first = stats();
    // Its key and its unique address hold every account (`users_erased` only the erased: none).
    let whole: Vec<&Stat> = first.iter().filter(|s| s.idx.starts_with("sqlite_autoindex_users")).collect();
    assert!(whole.len() >= 2, "{first:?}");
    for s in whole {
        assert_eq!(s.stat, format!("{} 1", accounts()), "{s:?}");
    }
    // A few more accounts: not worth a new sample (a new pool: its connections read the
    // statistics anew).
    let admin = Some(w.admin.token.as_str());
    for n in 0..3 {
        let body = serde_json::json!({"email": format!("extra{n}@wilkan.test"), "first_name": "Extra", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD});
        assert_eq!(w.app.post("/users", admin, &body).status(), 201);
    }
    wilkan::mail::worker::housekeeping(&pool(), 730, &|| false).unwrap();
    assert_eq!(stats(), first, "less than tenfold: the statistics as they were");
}
