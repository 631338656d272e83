//! Every route of the OpenAPI document x every kind of caller -> the expected status.
//! A route without a row fails the test, so a new route cannot skip its access rules.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{entry_body, intake_body, plan_body, work_values_body, World};

/// Callers, in the column order of `expect`.
const CALLERS: [&str; 9] = [
    "anonymous",
    "employee_self",
    "employee_other",
    "coach_own",
    "coach_other",
    "pl_own_org",
    "pl_other_org",
    "researcher",
    "admin",
];

struct Row {
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 9],
}

fn row(method: Method, template: &'static str, path: String, body: Option<Value>, expect: [u16; 9]) -> Row {
    Row { method, template, path, body, expect }
}

static UNIQUE: AtomicU32 = AtomicU32::new(0);

/// Replaces "{n}" in string values with a number fresh for each request, and "{start}" and
/// "{end}" with two days of their own (a few years back at most, where absences may lie), so
/// creating twice never conflicts.
fn fresh(v: &Value) -> Value {
    fn fill(v: &Value, n: u32) -> Value {
        match v {
            Value::String(s) => {
                let start = crate::helpers::local_today() - chrono::Days::new(3 * (u64::from(n) + 1));
                let end = start + chrono::Days::new(1);
                Value::String(
                    s.replace("{n}", &n.to_string())
                        .replace("{start}", &start.to_string())
                        .replace("{end}", &end.to_string()),
                )
            }
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), fill(v, n))).collect()),
            other => other.clone(),
        }
    }
    fill(v, UNIQUE.fetch_add(1, Ordering::SeqCst))
}

fn rows(w: &World) -> Vec<Row> {
    use Method as M;
    let org = &w.org_a;
    let emp = &w.employee_a.id;
    let c1 = "uitgangspunten-en-misverstanden";
    let course: Value = w.app.get(&format!("/courses/{c1}"), Some(&w.admin.token)).json().unwrap();
    let page = course["pages"][1]["id"].as_str().unwrap().to_string();
    let image = course["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["blocks"].as_array().unwrap())
        .find(|b| b["type"] == "image")
        .map(|b| b["src"].as_str().unwrap().to_string())
        .unwrap();
    let own = [401, 200, 200, 403, 403, 403, 403, 403, 403];
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    // Read by the employee, their coach and the project leader of the organisation.
    let read = [401, 200, 404, 200, 404, 200, 404, 404, 404];
    // Written only by the trajectory's coach.
    let coach_writes = [401, 403, 404, 200, 404, 403, 404, 404, 404];
    // Written by the coach or the project leader.
    let staff_writes = [401, 403, 404, 200, 404, 200, 404, 404, 404];
    let k = w.connect(&m);
    // An absence recorded by mistake, for the row that removes one.
    let res = w.app.post(
        &format!("/employees/{emp}/absences"),
        Some(&w.coach_a.token),
        &json!({"start_date": "2019-03-01", "end_date": "2019-03-05"}),
    );
    assert_eq!(res.status(), 201);
    let mistaken = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    // A coach of organisation A who has not chosen a password yet, for the invitation sent again.
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.uitgenodigd@wilkan.test", "first_name": "Uitgenodigd", "role": "coach", "organization_id": org}),
    );
    assert_eq!(res.status(), 201);
    let invited = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    // A later step of the fixture's return, for the row that takes a return back.
    let step = json!({"date": crate::helpers::days_from_today(-1), "extent": "full", "hours_per_week": 24.0, "own_work": true});
    let res = w.app.send(Method::PUT, &format!("/trajectories/{}/return", m.trajectory), Some(&w.coach_a.token), &step);
    assert_eq!(res.status(), 200);
    let later_step = res.json::<Value>().unwrap()["current"]["id"].as_str().unwrap().to_string();
    // A team's link: every caller in the matrix writes a card through it.
    let team_link: Value = w
        .app
        .post(
            &format!("/trajectories/{}/card-links", m.trajectory),
            Some(&w.coach_a.token),
            &json!({"delivery": "print", "max_uses": 9}),
        )
        .json()
        .unwrap();
    let throwaway = crate::helpers::json_id(
        w.app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": "weg@wilkan.test", "first_name": "Weg", "role": "employee", "organization_id": w.org_b}),
        ),
        201,
    );
    // Held today: attendance is recorded from the day of a session.
    w.session_today(&k.session);
    let session = format!("/group-sessions/{}", k.session);
    let staff_list = [401, 403, 403, 200, 200, 200, 200, 403, 403];
    let any_user = [401, 200, 200, 200, 200, 200, 200, 200, 200];
    vec![
        row(M::GET, "/api/v1/courses", "/courses".into(), None, any_user),
        row(M::GET, "/api/v1/courses/{slug}", format!("/courses/{c1}"), None, any_user),
        row(M::GET, "/api/v1/courses/{slug}/images/{file}", format!("/courses/{c1}/images/{image}"), None, [200; 9]),
        row(M::GET, "/api/v1/courses/map", "/courses/map".into(), None, any_user),
        row(M::GET, "/api/v1/courses/{slug}/map", format!("/courses/{c1}/map"), None, any_user),
        row(M::GET, "/api/v1/me/courses", "/me/courses".into(), None, own),
        row(
            M::PUT,
            "/api/v1/me/courses/{slug}/pages/{page_id}",
            format!("/me/courses/{c1}/pages/{page}"),
            Some(json!({"status": "visited"})),
            own,
        ),
        row(
            M::PUT,
            "/api/v1/me/courses/{slug}/celebration",
            format!("/me/courses/{c1}/celebration"),
            Some(json!({"text": "Goed gegaan"})),
            own,
        ),
        row(
            M::PUT,
            "/api/v1/me/courses/{slug}/reflection",
            format!("/me/courses/{c1}/reflection"),
            Some(json!({"text": "Mee", "choice": "none"})),
            own,
        ),
        row(M::GET, "/health", "/health".into(), None, [200; 9]),
        row(M::GET, "/ready", "/ready".into(), None, [200; 9]),
        row(M::POST, "/api/v1/auth/login", "/auth/login".into(), Some(json!({"email": "x@wilkan.test"})), [422; 9]),
        row(M::POST, "/api/v1/auth/refresh", "/auth/refresh".into(), Some(json!({"refresh_token": "bogus"})), [401; 9]),
        row(M::GET, "/api/v1/me", "/me".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::PUT,
            "/api/v1/me/password",
            "/me/password".into(),
            Some(json!({"current_password": "wrong", "new_password": "long enough password"})),
            [401, 422, 422, 422, 422, 422, 422, 422, 422],
        ),
        row(
            M::GET,
            "/api/v1/organizations",
            "/organizations".into(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::POST,
            "/api/v1/organizations",
            "/organizations".into(),
            Some(json!({"name": "Bedrijf {n}"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 201],
        ),
        row(
            M::GET,
            "/api/v1/organizations/{id}",
            format!("/organizations/{org}"),
            None,
            [401, 200, 200, 200, 404, 200, 404, 200, 200],
        ),
        row(
            M::PATCH,
            "/api/v1/organizations/{id}",
            format!("/organizations/{org}"),
            Some(json!({})),
            [401, 403, 403, 403, 404, 200, 404, 403, 200],
        ),
        row(
            M::GET,
            "/api/v1/organizations/{id}/cohorts",
            format!("/organizations/{org}/cohorts"),
            None,
            [401, 403, 403, 200, 404, 200, 404, 200, 200],
        ),
        row(
            M::POST,
            "/api/v1/organizations/{id}/cohorts",
            format!("/organizations/{org}/cohorts"),
            Some(json!({"name": "Ronde {n}"})),
            [401, 403, 403, 403, 404, 201, 404, 403, 201],
        ),
        row(M::GET, "/api/v1/users", "/users".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::POST,
            "/api/v1/users",
            "/users".into(),
            Some(
                json!({"email": "nieuw{n}@wilkan.test", "first_name": "Nieuw", "role": "employee", "organization_id": org}),
            ),
            [401, 403, 403, 403, 403, 201, 403, 403, 201],
        ),
        row(M::GET, "/api/v1/users/{id}", format!("/users/{emp}"), None, [401, 200, 404, 404, 404, 200, 404, 404, 200]),
        row(
            M::PATCH,
            "/api/v1/users/{id}",
            format!("/users/{emp}"),
            Some(json!({"first_name": "Sandra"})),
            [401, 403, 404, 404, 404, 200, 404, 404, 200],
        ),
        row(
            M::POST,
            "/api/v1/users/{id}/invitation",
            format!("/users/{invited}/invitation"),
            None,
            [401, 404, 404, 404, 404, 202, 404, 404, 202],
        ),
        row(
            M::GET,
            "/api/v1/trajectories",
            "/trajectories".into(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/trajectories",
            "/trajectories".into(),
            Some(
                json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": crate::helpers::inclusion_ok()}),
            ),
            // coach_a proposes first; the project leader then meets the open trajectory (409).
            [401, 403, 403, 201, 403, 409, 422, 403, 403],
        ),
        row(M::GET, "/api/v1/trajectories/{id}", t.clone(), None, read),
        row(M::PATCH, "/api/v1/trajectories/{id}", t.clone(), Some(json!({})), staff_writes),
        row(M::GET, "/api/v1/trajectories/{id}/consents", format!("{t}/consents"), None, read),
        row(
            M::POST,
            "/api/v1/trajectories/{id}/consents",
            format!("{t}/consents"),
            Some(json!({"kind": "research", "given": true})),
            [401, 201, 404, 201, 404, 403, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/employees/{id}/absences", format!("/employees/{emp}/absences"), None, read),
        row(
            M::POST,
            "/api/v1/employees/{id}/absences",
            format!("/employees/{emp}/absences"),
            Some(json!({"start_date": "{start}", "end_date": "{end}"})),
            [401, 403, 404, 201, 404, 201, 404, 404, 404],
        ),
        row(
            M::PATCH,
            "/api/v1/absences/{id}",
            format!("/absences/{}", m.absence),
            Some(json!({"percentage": 50})),
            staff_writes,
        ),
        // The own coach removes it; the project leader, next in line, finds it gone.
        row(
            M::DELETE,
            "/api/v1/absences/{id}",
            format!("/absences/{mistaken}"),
            None,
            [401, 403, 404, 204, 404, 404, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/employees/{id}/absence-summary", format!("/employees/{emp}/absence-summary"), None, read),
        // The intake is not shared: the employee does not see it.
        row(
            M::GET,
            "/api/v1/trajectories/{id}/intake",
            format!("{t}/intake"),
            None,
            [401, 404, 404, 200, 404, 200, 404, 404, 404],
        ),
        row(M::PUT, "/api/v1/trajectories/{id}/intake", format!("{t}/intake"), Some(intake_body(false)), coach_writes),
        row(M::GET, "/api/v1/trajectories/{id}/plan", format!("{t}/plan"), None, read),
        row(M::PUT, "/api/v1/trajectories/{id}/plan", format!("{t}/plan"), Some(plan_body()), coach_writes),
        row(M::GET, "/api/v1/trajectories/{id}/work-values", format!("{t}/work-values"), None, read),
        row(
            M::PUT,
            "/api/v1/trajectories/{id}/work-values",
            format!("{t}/work-values"),
            Some(work_values_body("later")),
            [401, 200, 404, 200, 404, 403, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/trajectories/{id}/logbook", format!("{t}/logbook"), None, read),
        row(
            M::POST,
            "/api/v1/trajectories/{id}/logbook",
            format!("{t}/logbook"),
            Some(entry_body(false)),
            [401, 403, 404, 201, 404, 403, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/logbook/{entry_id}", format!("/logbook/{}", m.entry), None, read),
        row(M::PATCH, "/api/v1/logbook/{entry_id}", format!("/logbook/{}", m.entry), Some(json!({})), coach_writes),
        row(
            M::POST,
            "/api/v1/logbook/{entry_id}/redact",
            format!("/logbook/{}/redact", m.entry),
            Some(json!({"fields": ["developments"], "reason": "Per ongeluk opgeschreven"})),
            // Its author and the project leader; the employee reads the shared entry but takes
            // nothing out of it.
            [401, 403, 404, 200, 404, 200, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/weighings", "/weighings".into(), None, [401, 403, 403, 200, 200, 403, 403, 403, 403]),
        row(
            M::GET,
            "/api/v1/weighings/summary",
            "/weighings/summary".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403, 403],
        ),
        row(M::GET, "/api/v1/trajectories/{id}/progress", format!("{t}/progress"), None, read),
        row(
            M::POST,
            "/api/v1/trajectories/{id}/progress/{slug}/paper",
            format!("{t}/progress/{c1}/paper"),
            None,
            coach_writes,
        ),
        row(
            M::POST,
            "/api/v1/auth/magic-link",
            "/auth/magic-link".into(),
            Some(json!({"email": "niemand@wilkan.test"})),
            [202; 9],
        ),
        row(
            M::POST,
            "/api/v1/auth/magic-link/redeem",
            "/auth/magic-link/redeem".into(),
            Some(json!({"token": "bogus"})),
            [401; 9],
        ),
        row(
            M::POST,
            "/api/v1/auth/password-link",
            "/auth/password-link".into(),
            Some(json!({"email": "niemand@wilkan.test"})),
            [202; 9],
        ),
        row(
            M::POST,
            "/api/v1/auth/password-link/redeem",
            "/auth/password-link/redeem".into(),
            Some(json!({"token": "bogus", "password": "een-goed-wachtwoord"})),
            [401; 9],
        ),
        row(
            M::GET,
            "/api/v1/group-sessions",
            "/group-sessions".into(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/group-sessions",
            "/group-sessions".into(),
            Some(
                json!({"facilitator_id": w.coach_a.id, "starts_at": "2026-12-08T10:00:00", "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]}),
            ),
            [401, 403, 403, 201, 403, 201, 422, 403, 403],
        ),
        row(
            M::GET,
            "/api/v1/group-sessions/{id}",
            session.clone(),
            None,
            [401, 200, 404, 200, 404, 200, 404, 404, 404],
        ),
        row(M::PATCH, "/api/v1/group-sessions/{id}", session.clone(), Some(json!({})), staff_writes),
        row(
            M::PUT,
            "/api/v1/group-sessions/{id}/attendance",
            format!("{session}/attendance"),
            Some(json!({"attendance": {w.employee_a.id.clone(): "present"}})),
            staff_writes,
        ),
        row(
            M::GET,
            "/api/v1/group-sessions/interest",
            format!("/group-sessions/interest?topic={c1}"),
            None,
            staff_list,
        ),
        row(M::GET, "/api/v1/buddy-pairs", "/buddy-pairs".into(), None, [401, 403, 403, 200, 200, 403, 403, 403, 403]),
        row(
            M::GET,
            "/api/v1/buddy-pairs/summary",
            "/buddy-pairs/summary".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/buddy-pairs",
            "/buddy-pairs".into(),
            // employee_a2 has no active trajectory: refused with a named field by her coach and the
            // project leaders; a coach of neither is refused before anything is said of them.
            Some(json!({"employee_a": w.employee_a.id, "employee_b": w.employee_a2.id})),
            [401, 403, 403, 422, 403, 422, 422, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/buddy-pairs/{id}/confirm",
            format!("/buddy-pairs/{}/confirm", k.pair),
            Some(json!({"contact": "06-12345678"})),
            [401, 200, 404, 403, 404, 403, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/me/buddy", "/me/buddy".into(), None, [401, 200, 404, 403, 403, 403, 403, 403, 403]),
        row(
            M::DELETE,
            "/api/v1/buddy-pairs/{id}",
            format!("/buddy-pairs/{}", k.pair),
            None,
            [401, 204, 404, 204, 404, 204, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/trajectories/{id}/visits", format!("{t}/visits"), None, read),
        row(M::GET, "/api/v1/trajectories/{id}/timeline", format!("{t}/timeline"), None, read),
        row(
            M::POST,
            "/api/v1/trajectories/{id}/visits",
            format!("{t}/visits"),
            Some(
                json!({"date": crate::helpers::days_from_today(3), "kind": "lunch", "with_whom": "Team groen", "status": "planned"}),
            ),
            [401, 201, 404, 201, 404, 403, 404, 404, 404],
        ),
        row(
            M::PATCH,
            "/api/v1/visits/{id}",
            format!("/visits/{}", k.visit),
            Some(json!({})),
            [401, 200, 404, 200, 404, 403, 404, 404, 404],
        ),
        row(
            M::POST,
            "/api/v1/trajectories/{id}/card-links",
            format!("{t}/card-links"),
            Some(json!({"delivery": "print"})),
            [401, 403, 404, 201, 404, 403, 404, 404, 404],
        ),
        // Public: the link is the key.
        row(
            M::GET,
            "/api/v1/cards/{token}",
            format!("/cards/{}", team_link["token"].as_str().unwrap()),
            None,
            [200; 9],
        ),
        row(
            M::POST,
            "/api/v1/cards/{token}",
            format!("/cards/{}", team_link["token"].as_str().unwrap()),
            Some(json!({"name": "Fatima", "message": "Sterkte!"})),
            [201; 9],
        ),
        row(M::GET, "/api/v1/me/cards", "/me/cards".into(), None, own),
        row(
            M::GET,
            "/api/v1/trajectories/{id}/cards",
            format!("{t}/cards"),
            None,
            [401, 403, 404, 200, 404, 200, 404, 404, 404],
        ),
        row(
            M::PATCH,
            "/api/v1/cards/{id}",
            format!("/cards/{}", k.card),
            Some(json!({"blocked": false})),
            coach_writes,
        ),
        row(
            M::PUT,
            "/api/v1/trajectories/{id}/return",
            format!("{t}/return"),
            Some(json!({"date": "2026-11-02", "extent": "partial", "hours_per_week": 12.0, "own_work": true})),
            staff_writes,
        ),
        row(M::GET, "/api/v1/trajectories/{id}/return", format!("{t}/return"), None, read),
        // The own coach takes the step back; the project leader, next in line, finds it gone.
        row(
            M::DELETE,
            "/api/v1/trajectories/{id}/return/{record_id}",
            format!("{t}/return/{later_step}"),
            None,
            [401, 403, 404, 200, 404, 404, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/aftercare/due", "/aftercare/due".into(), None, staff_list),
        row(
            M::PATCH,
            "/api/v1/aftercare/{id}",
            format!("/aftercare/{}", k.checkin),
            Some(json!({"status": "done"})),
            coach_writes,
        ),
        row(M::GET, "/api/v1/audit", "/audit".into(), None, [401, 200, 200, 403, 403, 200, 200, 403, 200]),
        // An employee reads only the entries about themself.
        row(
            M::GET,
            "/api/v1/audit",
            format!("/audit?subject={emp}"),
            None,
            [401, 200, 403, 403, 403, 200, 200, 403, 200],
        ),
        row(M::GET, "/api/v1/me/data", "/me/data".into(), None, [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::POST,
            "/api/v1/users/{id}/erase",
            format!("/users/{}/erase", throwaway),
            Some(json!({"reason": "Verzoek van de medewerker"})),
            [401, 403, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(M::GET, "/api/v1/questionnaires", "/questionnaires".into(), None, any_user),
        row(M::GET, "/api/v1/questionnaires/{key}", "/questionnaires/employee-baseline".into(), None, any_user),
        // The employee answers their own; their coach only from paper (the second row).
        row(
            M::POST,
            "/api/v1/questionnaires/{key}/responses",
            "/questionnaires/employee-baseline/responses".into(),
            Some(json!({"trajectory_id": m.trajectory, "answers": {"confidence_return": 3}})),
            [401, 201, 404, 422, 404, 403, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/questionnaires/{key}/responses",
            "/questionnaires/employee-baseline/responses".into(),
            Some(json!({"trajectory_id": m.trajectory, "answers": {"own_role": 2}, "on_paper": true})),
            [401, 422, 404, 200, 404, 403, 403, 403, 403],
        ),
        row(
            M::GET,
            "/api/v1/questionnaires/{key}/responses",
            "/questionnaires/employee-baseline/responses".into(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 403, 403],
        ),
        // Exports and the report: project leaders (own organisation) and researchers.
        row(
            M::GET,
            "/api/v1/exports/kirkpatrick",
            "/exports/kirkpatrick".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 200, 403],
        ),
        row(
            M::GET,
            "/api/v1/exports/process",
            "/exports/process?format=csv".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 200, 403],
        ),
        row(
            M::GET,
            "/api/v1/reports/evaluation",
            "/reports/evaluation".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 200, 403],
        ),
        // Last: logging out revokes the caller's refresh tokens.
        row(M::POST, "/api/v1/auth/logout", "/auth/logout".into(), None, [401, 204, 204, 204, 204, 204, 204, 204, 204]),
    ]
}

#[test]
fn every_route_answers_every_caller_as_specified() {
    let w = World::new();
    let tokens: [Option<&str>; 9] = [
        None,
        Some(&w.employee_a.token),
        Some(&w.employee_a2.token),
        Some(&w.coach_a.token),
        Some(&w.coach_b.token),
        Some(&w.pl_a.token),
        Some(&w.pl_b.token),
        Some(&w.researcher.token),
        Some(&w.admin.token),
    ];
    let rows = rows(&w);
    // Made before the rows run: some of them end the admin's session.
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.niemand@wilkan.test", "first_name": "Niemand", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD}),
    );
    assert_eq!(res.status(), 201);
    let bystander = w.app.token("coach.niemand@wilkan.test");

    // Every documented operation has a row, and every row is documented.
    let spec = wilkan::http::openapi::document();
    let documented: BTreeSet<(String, String)> = spec
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ]
            .into_iter()
            .filter(|(_, op)| op.is_some())
            .map(move |(m, _)| (m.to_string(), path.clone()))
        })
        .collect();
    let covered: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.method.to_string(), r.template.to_string())).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "routes without an access-matrix row: {missing:?}");
    let extra: Vec<_> = covered.difference(&documented).collect();
    assert!(extra.is_empty(), "rows for undocumented routes: {extra:?}");

    let mut failures = Vec::new();
    for r in &rows {
        for (i, token) in tokens.iter().enumerate() {
            let mut req = w.app.request(r.method.clone(), &r.path, *token);
            if let Some(body) = &r.body {
                req = req.json(&fresh(body));
            }
            let res = req.send().expect("request");
            let status = res.status().as_u16();
            let content_type =
                res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body = res.bytes().expect("body");
            if status != r.expect[i] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {}",
                    r.method, r.template, CALLERS[i], r.expect[i], status
                ));
            }
            // A refusal is a problem answer that says why, in Dutch, for every caller.
            if status >= 400 {
                let problem: Option<Value> = serde_json::from_slice(&body).ok();
                let described = problem.as_ref().is_some_and(|p| {
                    p["status"] == status
                        && p["title"].is_string()
                        && p["detail"].as_str().is_some_and(|d| !d.is_empty())
                });
                if !content_type.starts_with("application/problem+json") || !described {
                    failures.push(format!(
                        "{} {} as {}: {status} is not a problem answer ({content_type})",
                        r.method, r.template, CALLERS[i]
                    ));
                }
            }
            // What a caller outside the employee's circle is given names no one of that circle.
            let outsider = matches!(CALLERS[i], "employee_other" | "coach_other" | "pl_other_org");
            if outsider && status < 300 && String::from_utf8_lossy(&body).contains(&w.employee_a.id) {
                failures.push(format!("{} {} as {}: the answer names employee_a", r.method, r.template, CALLERS[i]));
            }
        }
    }
    // A coach of the same organisation who does not coach the employee is as much an outsider to
    // the employee's records as a coach elsewhere: every route about one person or trajectory that
    // the own coach may use refuses them.
    let personal = [
        "/trajectories/{id}",
        "/employees/{id}",
        "/logbook/{entry_id}",
        "/absences/{id}",
        "/visits/{id}",
        "/aftercare/{id}",
        "/buddy-pairs/{id}",
        "/cards/{id}",
        "/group-sessions/{id}",
    ];
    // Proposing a pair of someone else's employees: refused before the answer says anything
    // about them (whether they are in a trajectory).
    let about_others = |r: &&Row| r.method == Method::POST && r.template == "/api/v1/buddy-pairs";
    let mut checked = 0;
    for r in rows
        .iter()
        .filter(|r| (r.expect[3] < 300 && personal.iter().any(|p| r.template.contains(p))) || about_others(r))
    {
        let mut req = w.app.request(r.method.clone(), &r.path, Some(&bystander));
        if let Some(body) = &r.body {
            req = req.json(&fresh(body));
        }
        let status = req.send().expect("request").status().as_u16();
        checked += 1;
        if ![403, 404].contains(&status) {
            failures
                .push(format!("{} {} as a coach of the organisation who is not hers: {status}", r.method, r.template));
        }
    }
    assert!(checked >= 25, "{checked} routes about one person checked");
    assert!(failures.is_empty(), "access matrix mismatches:\n{}", failures.join("\n"));
}
