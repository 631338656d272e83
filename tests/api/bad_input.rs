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

/// A query parameter a route does not know is named (422), not left out: `?trajectory_id=` for
/// `?trajectory=` would otherwise list everything instead of one trajectory's.
#[test]
fn every_route_with_query_parameters_refuses_unknown_ones() {
    let w = World::new();
    let m = w.method();
    let spec: Value =
        serde_json::from_str(&wilkan::http::openapi::to_json(&wilkan::http::openapi::document())).unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().map_or(&[][..], |p| p.as_slice());
            if method != "get" || !params.iter().any(|p| p["in"] == "query") {
                continue;
            }
            let concrete = path
                .replace("{slug}", "kwaliteiten")
                .replace("{key}", "employee-baseline")
                .replace("{id}", &m.trajectory)
                .replace("{token}", "x");
            let res = w.app.get(&format!("{concrete}?unexpected_param=1"), Some(&w.admin.token));
            let body = problem(res, 422);
            let named = body["errors"]["unexpected_param"].as_array();
            assert!(named.is_some_and(|m| !m.is_empty()), "GET {path}: the parameter is named: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "all routes with query parameters were tried ({checked})");
}

/// A date far away is refused before anything runs: 422 naming the field, in Dutch, nothing
/// written. The date of something that happens (a return, an absence, a talk, a visit, a group
/// session) lies within ten years back and two ahead: "2199" typed for "2019" would otherwise
/// block every later absence, or make aftercare overdue at once. Other dates (an audit filter)
/// keep to the years 1900-2199: chrono reads years up to 262,142, and such a return date once
/// overflowed the aftercare weeks added to it (a panic and a 500).
#[test]
fn dates_far_away_are_refused_naming_the_field() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let t = format!("/trajectories/{}", m.trajectory);
    let before = total_rows(&w.app);
    let (first, last) = wilkan::http::dates::near_window();
    let message = |res: reqwest::blocking::Response, field: &str| -> String {
        let body = problem(res, 422);
        let message = body["errors"][field][0].as_str().unwrap_or_else(|| panic!("{field} named: {body}"));
        message.to_string()
    };
    let refused = |res: reqwest::blocking::Response, field: &str| {
        let m = message(res, field);
        assert!(m.contains(&first.to_string()) && m.contains(&last.to_string()), "{m}");
    };
    let ret = |date: &str| json!({"date": date, "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    let put_return = |body: &Value| w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, body);
    refused(put_return(&ret("+262142-12-31")), "date");
    refused(put_return(&ret("1899-12-31")), "date");
    refused(put_return(&ret(&(first - chrono::Days::new(1)).to_string())), "date");
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    refused(w.app.post(&absences, coach, &json!({"start_date": "-5000-01-01"})), "start_date");
    refused(w.app.post(&absences, coach, &json!({"start_date": "2199-01-01"})), "start_date");
    refused(
        w.app.patch(&format!("/logbook/{}", m.entry), coach, &json!({"next_appointment": "2200-01-01"})),
        "next_appointment",
    );
    let session = |at: &str| json!({"starts_at": at, "place": "Kantine", "topic": "invloed", "invite": []});
    // Spaces only are not a topic, nor a new place.
    let mut blank = session("2026-12-20T10:00:00");
    blank["topic"] = json!("   ");
    message(w.app.post("/group-sessions", coach, &blank), "topic");
    refused(w.app.post("/group-sessions", coach, &session("+10000-01-01T10:00:00")), "starts_at");
    refused(w.app.post("/group-sessions", coach, &session("1900-01-01T10:00:00")), "starts_at");
    let audit = problem(w.app.get("/audit?to=%2B262142-12-31", Some(&w.admin.token)), 422);
    let years = audit["errors"]["to"][0].as_str().unwrap();
    assert!(years.contains("1900") && years.contains("2199"), "{years}");
    // Not a date at all: the format is named instead.
    assert!(message(put_return(&ret("2026-13-01")), "date").contains("JJJJ-MM-DD"));

    // Dates that contradict each other or the rest of the record.
    let tomorrow = (crate::helpers::local_today() + chrono::Days::new(1)).to_string();
    let visit = json!({"date": tomorrow, "kind": "coffee", "with_whom": "De ploeg", "status": "done"});
    assert!(message(w.app.post(&format!("{t}/visits"), coach, &visit), "date").contains("toekomst"));
    // A talk is written down once it took place (in the organisations' time zone: tomorrow in UTC
    // is at most today or tomorrow there).
    let in_two_days = (crate::helpers::local_today() + chrono::Days::new(2)).to_string();
    let mut ahead = crate::helpers::entry_body(true);
    ahead["date"] = json!(in_two_days);
    ahead["next_appointment"] = serde_json::Value::Null;
    assert!(message(w.app.post(&format!("{t}/logbook"), coach, &ahead), "date").contains("toekomst"));
    assert!(message(w.app.patch(&format!("/logbook/{}", m.entry), coach, &json!({"date": in_two_days})), "date")
        .contains("toekomst"));
    assert!(message(put_return(&ret(&in_two_days)), "date").contains("toekomst"));
    let mut entry = crate::helpers::entry_body(true);
    entry["date"] = json!(crate::helpers::local_today().to_string());
    entry["next_appointment"] = json!("2020-01-01");
    assert!(
        message(w.app.post(&format!("{t}/logbook"), coach, &entry), "next_appointment").contains("volgende afspraak")
    );
    // A number too large for its field, or for any number: a 422 that says so, not "not JSON".
    let mut huge = crate::helpers::entry_body(true);
    huge["duration_minutes"] = json!(3_000_000_000u64);
    assert!(message(w.app.post(&format!("{t}/logbook"), coach, &huge), "duration_minutes").contains("te groot"));
    let raw = |body: &'static str| {
        w.app
            .request(reqwest::Method::POST, &format!("{t}/logbook"), coach)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
    };
    assert!(message(raw(r#"{"duration_minutes": 1e400}"#), "duration_minutes").contains("te groot"));
    assert!(message(raw(r#"{"weighing": {"steps": [1, -1e999]}}"#), "weighing.steps[1]").contains("te groot"));
    assert!(message(raw("1e400"), "body").contains("te groot"));
    // A correction keeps to the same rule (the entry is of 2026-11-02, its next appointment 11-09).
    let entry_path = format!("/logbook/{}", m.entry);
    assert!(message(w.app.patch(&entry_path, coach, &json!({"next_appointment": "2026-11-01"})), "next_appointment")
        .contains("volgende afspraak"));
    assert!(
        message(w.app.patch(&entry_path, coach, &json!({"date": "2026-11-10"})), "date").contains("volgende afspraak")
    );
    let mut no_hours = ret(&crate::helpers::local_today().to_string());
    no_hours["hours_per_week"] = json!(0);
    message(put_return(&no_hours), "hours_per_week");
    assert_eq!(total_rows(&w.app), before, "nothing written");
    // The first day allowed is taken, and the database still takes writes (a return's last day
    // is today: it is recorded once it began).
    assert_eq!(put_return(&ret(&first.to_string())).status(), 200);
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
