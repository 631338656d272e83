//! The command line beside a running server, on the server's database: create-admin, export,
//! housekeeping and openapi, run as the binary is run.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::helpers::{TestApp, World};

/// `wilkan <args>` on `app`'s database, with `stdin` piped in.
fn wilkan(app: &TestApp, data: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("WILKAN_DATA_DIR", data)
        .env("WILKAN_CONTENT_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"))
        .env("WILKAN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).to_string()
}

#[test]
fn create_admin_export_housekeeping_and_openapi_from_the_command_line() {
    let w = World::new();
    let app = &w.app;
    let data = tempfile::tempdir().unwrap();

    // An admin with the password from stdin, who can then log in to the server.
    let out =
        wilkan(app, data.path(), &["create-admin", "--email", "Nieuw.Beheer@wilkan.test"], "een lang wachtwoord\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let session = app.login("nieuw.beheer@wilkan.test", "een lang wachtwoord");
    assert_eq!(session["user"]["role"], "admin");
    let again =
        wilkan(app, data.path(), &["create-admin", "--email", "nieuw.beheer@wilkan.test"], "nog een wachtwoord\n");
    assert!(!again.status.success(), "an address is one account");
    let short = wilkan(app, data.path(), &["create-admin", "--email", "kort@wilkan.test"], "kort\n");
    assert!(
        !short.status.success()
            && app
                .post("/auth/login", None, &serde_json::json!({"email": "kort@wilkan.test", "password": "kort"}))
                .status()
                == 401
    );

    // An export to a file, with its audit entry; a bad filter writes nothing.
    let before = app.count("audit_log");
    let file = data.path().join("kirkpatrick.json");
    let out = wilkan(app, data.path(), &["export", "kirkpatrick", "--out", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["population"], "research_consent");
    assert!(text(&out.stdout).contains("kirkpatrick export of"), "{}", text(&out.stdout));
    assert_eq!(app.count("audit_log"), before + 1, "the export is in the audit log");
    let bad = data.path().join("bad.csv");
    let out =
        wilkan(app, data.path(), &["export", "process", "--cohort", "onbekend", "--out", bad.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("ronde"), "a Dutch reason: {}", text(&out.stderr));
    assert!(!bad.exists());

    // Retention once: nothing has ended long enough ago.
    let out = wilkan(app, data.path(), &["housekeeping"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 person(s) pseudonymised (retention 730 days)"), "{}", text(&out.stdout));

    // The OpenAPI document as the server serves it.
    let spec = data.path().join("openapi.json");
    assert!(wilkan(app, data.path(), &["openapi", "--out", spec.to_str().unwrap()], "").status.success());
    let written: Value = serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    let served: Value = app.get("/openapi.json", None).json().unwrap();
    assert_eq!(written, served);
}
