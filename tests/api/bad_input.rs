//! Every route that takes a JSON body refuses a body with an unknown field: 422 problem+json
//! naming the field, and not a single row written anywhere. Built from the OpenAPI document, so a
//! new write route is covered without being listed here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, World};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    t: String,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn total_rows(app: &TestApp) -> i64 {
    let mut conn = app.conn();
    let tables: Vec<Name> = match app.target.backend {
        wilkan::db::Backend::Sqlite => {
            diesel::sql_query("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        wilkan::db::Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'",
        ),
    }
    .load(&mut conn)
    .unwrap();
    tables
        .iter()
        .map(|t| diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {}", t.t)).load::<N>(&mut conn).unwrap()[0].n)
        .sum()
}

#[test]
fn every_body_route_refuses_unknown_fields_and_writes_nothing() {
    let w = World::new();
    let m = w.method();
    let spec: Value =
        serde_json::from_str(&wilkan::http::openapi::to_json(&wilkan::http::openapi::document())).unwrap();
    let before = total_rows(&w.app);
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["requestBody"].is_null() {
                continue;
            }
            // Real ids where the route names one, so that nothing but the body can be wrong.
            let concrete = path
                .replace("{slug}", "kwaliteiten")
                .replace("{page_id}", "welkom")
                .replace("{id}", &m.trajectory)
                .replace("{entry_id}", &m.entry)
                .replace("{token}", "x");
            let res = w
                .app
                .request(method.to_uppercase().parse().unwrap(), &concrete, Some(&w.admin.token))
                .json(&json!({"unexpected_field": 1}))
                .send()
                .unwrap();
            let body = problem(res, 422);
            // The unknown field by its name (before any field that is missing), in Dutch.
            let named = body["errors"]["unexpected_field"].as_array();
            assert!(named.is_some_and(|m| !m.is_empty()), "{method} {path}: the field is named: {body}");
            assert!(body["detail"].as_str().is_some_and(|d| d.contains("veld")), "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "all write routes were tried ({checked})");
    let after = total_rows(&w.app);
    assert_eq!(after, before, "bad input wrote nothing (the audit log included)");
}

/// A date outside the years 1900-2199 is refused before anything runs: 422 naming the field, in
/// Dutch, nothing written. chrono reads years up to 262,142; such a return date once overflowed
/// the aftercare weeks added to it (a panic and a 500).
#[test]
fn dates_outside_1900_to_2199_are_refused_naming_the_field() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let t = format!("/trajectories/{}", m.trajectory);
    let before = total_rows(&w.app);
    let refused = |res: reqwest::blocking::Response, field: &str| {
        let body = problem(res, 422);
        let message = body["errors"][field][0].as_str().unwrap_or_else(|| panic!("{field} named: {body}"));
        assert!(message.contains("1900") && message.contains("2199"), "{message}");
    };
    let ret = |date: &str| json!({"date": date, "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    refused(w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, &ret("+262142-12-31")), "date");
    refused(w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, &ret("1899-12-31")), "date");
    refused(
        w.app.post(&format!("/employees/{}/absences", w.employee_a.id), coach, &json!({"start_date": "-5000-01-01"})),
        "start_date",
    );
    refused(
        w.app.patch(&format!("/logbook/{}", m.entry), coach, &json!({"next_appointment": "2200-01-01"})),
        "next_appointment",
    );
    refused(
        w.app.post(
            "/group-sessions",
            coach,
            &json!({"starts_at": "+10000-01-01T10:00:00", "place": "Kantine", "invite": []}),
        ),
        "starts_at",
    );
    refused(w.app.get("/audit?to=%2B262142-12-31", Some(&w.admin.token)), "to");
    // Not a date at all: the format is named instead.
    let body = problem(w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, &ret("2026-13-01")), 422);
    assert!(body["errors"]["date"][0].as_str().unwrap().contains("JJJJ-MM-DD"), "{body}");
    assert_eq!(total_rows(&w.app), before, "nothing written");
    // The last year allowed is taken, and the database still takes writes.
    assert_eq!(w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, &ret("2199-12-01")).status(), 200);
}

/// A NUL character has no place in what a person types and PostgreSQL refuses it in text: in a
/// body or a query string it is a 422 naming the field, in a path a 404 (no record has such an
/// id), never a 500, and nothing is written.
#[test]
fn a_nul_character_is_refused_in_bodies_queries_and_paths() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let before = total_rows(&w.app);
    let field_of = |res: reqwest::blocking::Response| -> String {
        let body = problem(res, 422);
        let errors = body["errors"].as_object().unwrap();
        assert!(errors.values().all(|m| m[0].as_str().unwrap().contains("nul-teken")), "{body}");
        errors.keys().next().unwrap().clone()
    };
    assert_eq!(field_of(w.app.post("/auth/login", None, &json!({"email": "a\u{0}@x.nl", "password": "x"}))), "email");
    let mut entry = crate::helpers::entry_body(true);
    entry["agreements"] = json!("Cursus 1\u{0} afmaken");
    let logbook = format!("/trajectories/{}/logbook", m.trajectory);
    assert_eq!(field_of(w.app.post(&logbook, coach, &entry)), "agreements");
    entry["agreements"] = json!("Cursus 1 afmaken");
    entry["weighing"]["pitfalls_checked"] = json!(["haste", "\u{0}"]);
    assert_eq!(field_of(w.app.post(&logbook, coach, &entry)), "weighing.pitfalls_checked[1]");
    assert_eq!(field_of(w.app.get("/users?cursor=%00", Some(&w.admin.token))), "cursor");
    assert_eq!(field_of(w.app.get("/trajectories?cohort=a%00b", coach)), "cohort");
    for path in ["/trajectories/%00", &format!("/logbook/{}%00", m.entry), "/group-sessions/%00"] {
        problem(w.app.get(path, coach), 404);
    }
    assert_eq!(total_rows(&w.app), before, "nothing written");
}
