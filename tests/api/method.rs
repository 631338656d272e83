//! Trajectories, consent, absences, intake, plan, logbook and work values.

use reqwest::Method as M;
use serde_json::{json, Value};

use crate::helpers::{
    days_from_today, inclusion_ok, intake_body, json_id, plan_body, problem, work_values_body, World, COURSE_ORDER,
};

fn cohort(w: &World) -> String {
    json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 1"})),
        201,
    )
}

#[test]
fn a_trajectory_moves_through_its_statuses_with_history() {
    let w = World::new();
    let app = &w.app;
    let cohort = cohort(&w);
    let coach = Some(w.coach_a.token.as_str());
    // The coach proposes for an employee of their organisation; the coach is themself.
    let res = app.post(
        "/trajectories",
        coach,
        &json!({"employee_id": w.employee_a.id, "cohort_id": cohort, "inclusion": inclusion_ok(), "recruitment_minutes": 40}),
    );
    assert_eq!(res.status(), 201);
    let t: Value = res.json().unwrap();
    assert_eq!(t["status"], "proposed");
    assert_eq!(t["recruitment_minutes"], 40);
    assert_eq!(t["coach"]["id"], w.coach_a.id.as_str());
    assert_eq!(t["employee"]["first_name"], "sandra");
    assert_eq!(t["inclusion"]["advice"], "include");
    let path = format!("/trajectories/{}", t["id"].as_str().unwrap());

    // One open trajectory per employee.
    let before = app.count("trajectories");
    problem(app.post("/trajectories", Some(&w.pl_a.token), &json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()})), 409);
    assert_eq!(app.count("trajectories"), before);

    // Recruitment time adds up over several contacts: the coach corrects the total; out of range
    // is refused by field and changes nothing.
    let t: Value = app.patch(&path, coach, &json!({"recruitment_minutes": 75})).json().unwrap();
    assert_eq!((t["recruitment_minutes"].clone(), t["status"].clone()), (json!(75), json!("proposed")));
    for bad in [json!(-5), json!(6001), json!("een uur")] {
        let body = problem(app.patch(&path, coach, &json!({"recruitment_minutes": bad})), 422);
        assert!(body["errors"]["recruitment_minutes"].is_array(), "{bad}: {body}");
    }
    let t: Value = app.get(&path, coach).json().unwrap();
    assert_eq!(t["recruitment_minutes"], 75);
    problem(app.patch(&path, Some(&w.employee_a.token), &json!({"recruitment_minutes": 1})), 403);

    // Not active without method consent; no skipping steps.
    let body = problem(app.patch(&path, coach, &json!({"status": "active"})), 409);
    assert!(body["detail"].as_str().unwrap().contains("toestemming"));
    problem(app.patch(&path, coach, &json!({"status": "returned"})), 409);
    let res = app.post(&format!("{path}/consents"), coach, &json!({"kind": "method", "given": true}));
    let consents: Value = res.json().unwrap();
    assert_eq!(consents["current"]["method"], true);
    assert_eq!(consents["history"][0]["on_behalf_of_employee"], true, "the coach records on the employee's behalf");
    // No return before the trajectory runs, nor one still to come; no `returned` without one.
    let back = |date: &str| json!({"date": date, "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    let err = problem(app.send(M::PUT, &format!("{path}/return"), coach, &back(&days_from_today(-1))), 409);
    assert!(err["detail"].as_str().unwrap().contains("nog niet gestart"), "{err}");
    assert_eq!(app.patch(&path, coach, &json!({"status": "active"})).status(), 200);
    let err = problem(app.patch(&path, coach, &json!({"status": "returned"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("werkhervatting"), "{err}");
    let err = problem(app.send(M::PUT, &format!("{path}/return"), coach, &back(&days_from_today(3))), 422);
    assert!(err["errors"]["date"].is_array(), "{err}");
    assert_eq!(app.count("work_returns"), 0, "nothing written");
    let res = app.send(M::PUT, &format!("{path}/return"), coach, &back(&days_from_today(0)));
    assert_eq!(res.status(), 200);
    for status in ["aftercare", "closed"] {
        let res = app.patch(&path, coach, &json!({"status": status}));
        assert_eq!(res.status(), 200, "to {status}");
    }
    let t: Value = app.get(&path, Some(&w.employee_a.token)).json().unwrap();
    let history: Vec<&str> =
        t["history"].as_array().unwrap().iter().map(|e| e["to_status"].as_str().unwrap()).collect();
    assert_eq!(history, ["proposed", "active", "returned", "aftercare", "closed"]);
    assert!(t["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_id"] == w.coach_a.id.as_str() && e["at"].is_string()));
    problem(app.patch(&path, coach, &json!({"status": "stopped", "stop_reason": "other"})), 409);

    // A closed trajectory allows a new one; stopping needs a reason.
    let res = app.post(
        "/trajectories",
        coach,
        &json!({"employee_id": w.employee_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
    );
    let second = format!("/trajectories/{}", res.json::<Value>().unwrap()["id"].as_str().unwrap());
    let body = problem(app.patch(&second, coach, &json!({"status": "stopped"})), 422);
    assert!(body["errors"]["stop_reason"].is_array());
    let res = app.patch(
        &second,
        Some(&w.pl_a.token),
        &json!({"status": "stopped", "stop_reason": "too_difficult", "stop_note": "Taalniveau te hoog"}),
    );
    let t: Value = res.json().unwrap();
    assert_eq!((t["status"].as_str(), t["stop_reason"].as_str()), (Some("stopped"), Some("too_difficult")));
    assert_eq!(t["history"][1]["actor_id"], w.pl_a.id.as_str());
    // A reason chosen wrongly is set right, with or without the status, on the trajectory and
    // in its history alike; the reason it had stays in the audit log.
    let t: Value = app.patch(&second, coach, &json!({"status": "stopped", "stop_reason": "medical"})).json().unwrap();
    assert_eq!((t["status"].as_str(), t["stop_reason"].as_str()), (Some("stopped"), Some("medical")), "{t}");
    assert_eq!(
        (t["history"][1]["reason"].as_str(), t["stop_note"].as_str()),
        (Some("medical"), Some("Taalniveau te hoog"))
    );
    let t: Value = app.patch(&second, coach, &json!({"stop_note": "Wil eerst herstellen"})).json().unwrap();
    assert_eq!((t["stop_reason"].as_str(), t["stop_note"].as_str()), (Some("medical"), Some("Wil eerst herstellen")));
    assert_eq!(t["history"][1]["note"], "Wil eerst herstellen", "{t}");
    assert_eq!(t["history"].as_array().unwrap().len(), 2, "no new step in the history: {t}");
    let log: Value = app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.pl_a.token)).json().unwrap();
    let corrections: Vec<Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e["detail"].as_str()?).ok())
        .filter_map(|d| d.get("corrects_stop").cloned())
        .collect();
    assert_eq!(corrections.len(), 2, "{log}");
    assert!(corrections.iter().any(|c| c["stop_reason"] == "too_difficult"), "{corrections:?}");
    assert!(!log.to_string().contains("Taalniveau"), "no note's text in the log: {log}");
    // Not a stop that a withdrawn consent made: the person's own word stays the reason.
    let third = json_id(
        app.post(
            "/trajectories",
            coach,
            &json!({"employee_id": w.employee_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let consents = format!("/trajectories/{third}/consents");
    for given in [true, false] {
        let body = json!({"kind": "method", "given": given});
        assert_eq!(app.post(&consents, Some(&w.employee_a.token), &body).status(), 201);
    }
    let err = problem(app.patch(&format!("/trajectories/{third}"), coach, &json!({"stop_reason": "medical"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("ingetrokken"), "{err}");
    let t: Value = app.get(&format!("/trajectories/{third}"), coach).json().unwrap();
    assert_eq!((t["status"].as_str(), t["stop_reason"].as_str()), (Some("stopped"), Some("privacy_research")));
    // Not on a closed trajectory: there it would be a stop.
    let err = problem(app.patch(&path, coach, &json!({"stop_reason": "other"})), 422);
    assert!(err["errors"]["status"].is_array(), "{err}");
    // The employee reads but never changes it.
    problem(app.patch(&second, Some(&w.employee_a.token), &json!({"status": "active"})), 403);
    problem(app.patch(&second, Some(&w.employee_a.token), &json!({"stop_reason": "other"})), 403);
}

#[test]
fn the_inclusion_guide_advises_and_a_coach_may_override_with_a_reason() {
    let w = World::new();
    let cohort = cohort(&w);
    let mut inclusion = inclusion_ok();
    inclusion["absent_over_4_weeks"] = json!(false);
    inclusion["device_at_home"] = json!(false);
    let body = json!({"employee_id": w.employee_a.id, "cohort_id": cohort, "inclusion": inclusion});
    let err = problem(w.app.post("/trajectories", Some(&w.coach_a.token), &body), 422);
    assert!(err["errors"]["inclusion_override_reason"].is_array());
    assert_eq!(w.app.count("trajectories"), 0);
    let mut body = body;
    body["inclusion_override_reason"] = json!("Gebruikt de papieren map; laptop van de bibliotheek.");
    let t: Value = w.app.post("/trajectories", Some(&w.coach_a.token), &body).json().unwrap();
    assert_eq!(t["inclusion"]["advice"], "exclude");
    assert_eq!(t["inclusion"]["unmet_criteria"].as_array().unwrap().len(), 2);
    assert_eq!(t["inclusion"]["override_reason"], "Gebruikt de papieren map; laptop van de bibliotheek.");
    assert_eq!(t["inclusion"]["answers"]["device_at_home"], false);
    // Wrong organisation or unknown references: named fields, nothing written.
    let err = problem(w.app.post("/trajectories", Some(&w.pl_a.token), &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_b.id, "cohort_id": cohort, "inclusion": inclusion_ok()})), 422);
    assert!(err["errors"]["coach_id"].is_array());
    let err = problem(w.app.post("/trajectories", Some(&w.pl_a.token), &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": "nope", "inclusion": inclusion_ok()})), 422);
    assert!(err["errors"]["cohort_id"].is_array());
    let err = problem(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": cohort}),
        ),
        422,
    );
    assert!(err["errors"]["inclusion"].is_array());
    assert_eq!(w.app.count("trajectories"), 1);
}

#[test]
fn the_inclusion_guide_answers_its_absence_questions_from_the_records() {
    let w = World::new();
    let cohort = cohort(&w);
    let pl = Some(w.pl_a.token.as_str());
    let employee = &w.employee_a2.id;
    let mut inclusion = inclusion_ok();
    let left_out = inclusion.as_object_mut().unwrap();
    left_out.remove("absent_over_4_weeks");
    left_out.remove("frequent_absence");
    let propose = |token: &str, inclusion: &Value| {
        let body =
            json!({"employee_id": employee, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion});
        w.app.post("/trajectories", Some(token), &body)
    };
    let both_named = |err: &Value, words: &str| {
        for field in ["inclusion.absent_over_4_weeks", "inclusion.frequent_absence"] {
            assert!(err["errors"][field][0].as_str().unwrap().contains(words), "{field}: {err}");
        }
    };
    // A coach who does not coach this employee may not have the records answer: that would tell
    // them about the person's absences. A project leader may, once there is a record.
    both_named(&problem(propose(&w.coach_a.token, &inclusion), 422), "nog niet inzien");
    both_named(&problem(propose(&w.pl_a.token, &inclusion), 422), "Beantwoord deze vraag zelf");
    assert_eq!(w.app.count("trajectories"), 0);
    let path = format!("/employees/{employee}/absences");
    let today = crate::helpers::local_today();
    let day = |days_ago: i64| (today - chrono::Duration::days(days_ago)).to_string();
    let mut episodes = Vec::new();
    let mut record = |start: i64, end: Option<i64>| {
        let body = json!({"start_date": day(start), "end_date": end.map(day)});
        episodes.push(json_id(w.app.post(&path, pl, &body), 201));
    };
    // One short absence months ago: about a running absence the records say nothing (it may not
    // have been recorded yet), about frequent absence they do.
    record(300, Some(298));
    let err = problem(propose(&w.pl_a.token, &inclusion), 422);
    let named: Vec<&String> = err["errors"].as_object().unwrap().keys().collect();
    assert_eq!(named, ["inclusion.absent_over_4_weeks"], "{err}");
    assert!(err["errors"]["inclusion.absent_over_4_weeks"][0].as_str().unwrap().contains("geen lopende"), "{err}");
    // Not absent now, as the project leader answers, and not frequently, as the records say:
    // the guide advises against.
    let mut not_now = inclusion.clone();
    not_now["absent_over_4_weeks"] = json!(false);
    let err = problem(propose(&w.pl_a.token, &not_now), 422);
    assert!(err["errors"]["inclusion_override_reason"].is_array(), "{err}");
    assert_eq!(w.app.count("trajectories"), 0);
    // Four absences in the year, the last running for 41 days: both met. The project leader
    // answers one question (the records need not be complete) and leaves the other to them.
    record(200, Some(199));
    record(120, Some(118));
    record(40, None);
    let mut partly = inclusion.clone();
    partly["absent_over_4_weeks"] = json!(false);
    let t: Value = propose(&w.pl_a.token, &partly).json().unwrap();
    let answers = &t["inclusion"]["answers"];
    assert_eq!((&answers["absent_over_4_weeks"], &answers["frequent_absence"]), (&json!(false), &json!(true)), "{t}");
    assert_eq!(t["inclusion"]["advice"], "include");
    let records = &t["inclusion"]["absence_records"];
    assert_eq!(records["as_of"], today.to_string());
    assert_eq!((&records["absence_running"], &records["absences_last_12_months"]), (&json!(true), &json!(4)));
    assert_eq!((&records["absent_over_4_weeks"], &records["frequent_absence"]), (&json!(true), &json!(true)));
    let differences = records["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{records}");
    assert!(differences[0].as_str().unwrap().contains("al langer dan 4 weken"));
    // The coach and the employee read them too; a list does not carry them.
    let one = format!("/trajectories/{}", t["id"].as_str().unwrap());
    for token in [&w.coach_a.token, &w.employee_a2.token] {
        let seen: Value = w.app.get(&one, Some(token)).json().unwrap();
        assert_eq!(seen["inclusion"]["absence_records"], *records);
    }
    let list: Value = w.app.get("/trajectories", Some(&w.coach_a.token)).json().unwrap();
    assert!(list["items"][0]["inclusion"].get("absence_records").is_none(), "{list}");
    // Read from the records as they are: an episode removed as a mistake is not counted, while
    // the answers stay as given when the trajectory was proposed.
    let mistaken = &episodes[1];
    assert_eq!(w.app.request(M::DELETE, &format!("/absences/{mistaken}"), pl).send().unwrap().status(), 204);
    let seen: Value = w.app.get(&one, pl).json().unwrap();
    let records = &seen["inclusion"]["absence_records"];
    assert_eq!((&records["absences_last_12_months"], &records["frequent_absence"]), (&json!(3), &json!(false)));
    assert_eq!(seen["inclusion"]["answers"]["frequent_absence"], true);
    let differences: Vec<&str> =
        records["differences"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert!(differences[1].contains("minder dan 4 keer"), "{differences:?}");
    // A coach who no longer coaches the person keeps their trajectory, not the person's absences.
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&one, pl, &stop).status(), 200);
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.twee@wilkan.test", "first_name": "Twee", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD}),
    );
    let next_coach = json_id(res, 201);
    let body = json!({"employee_id": employee, "coach_id": next_coach, "cohort_id": cohort, "inclusion": inclusion});
    let next: Value = w.app.post("/trajectories", pl, &body).json().unwrap();
    assert_eq!(next["inclusion"]["answers"]["frequent_absence"], false, "three absences now: {next}");
    let earlier: Value = w.app.get(&one, Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(earlier["status"], "stopped");
    assert!(earlier["inclusion"].get("absence_records").is_none(), "{earlier}");
    let token = w.app.token("coach.twee@wilkan.test");
    let seen: Value =
        w.app.get(&format!("/trajectories/{}", next["id"].as_str().unwrap()), Some(&token)).json().unwrap();
    assert_eq!(seen["inclusion"]["absence_records"]["absences_last_12_months"], 3);
    // With nothing recorded, the records say nothing against the coach's own answers.
    let body = json!({"employee_id": w.employee_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()});
    let t: Value = w.app.post("/trajectories", Some(&w.coach_a.token), &body).json().unwrap();
    let records = &t["inclusion"]["absence_records"];
    let nothing = (&records["absence_running"], &records["absences_last_12_months"], &records["differences"]);
    assert_eq!(nothing, (&json!(false), &json!(0), &json!([])), "{t}");
    assert_eq!(t["inclusion"]["answers"]["absent_over_4_weeks"], true);
}

#[test]
fn consent_withdrawal_is_immediate_and_stops_the_method() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}", m.trajectory);
    let emp = Some(w.employee_a.token.as_str());
    let c: Value =
        w.app.post(&format!("{path}/consents"), emp, &json!({"kind": "research", "given": true})).json().unwrap();
    assert_eq!(c["current"], json!({"method": true, "research": true}));
    assert_listed_as_read(&w, &m.trajectory, json!({"method": true, "research": true}));
    let c: Value =
        w.app.post(&format!("{path}/consents"), emp, &json!({"kind": "research", "given": false})).json().unwrap();
    assert_eq!(c["current"]["research"], false);
    assert_eq!(c["history"].as_array().unwrap().len(), 3);
    let t: Value = w.app.get(&path, emp).json().unwrap();
    assert_eq!(t["status"], "active", "research consent does not touch the method");
    assert_listed_as_read(&w, &m.trajectory, json!({"method": true, "research": false}));

    w.app.post(&format!("{path}/consents"), emp, &json!({"kind": "method", "given": false}));
    let t: Value = w.app.get(&path, emp).json().unwrap();
    assert_eq!(t["status"], "stopped");
    assert_eq!(t["stop_reason"], "privacy_research");
    assert_listed_as_read(&w, &m.trajectory, json!({"method": false, "research": false}));
    problem(
        w.app.post(&format!("{path}/consents"), Some(&w.pl_a.token), &json!({"kind": "method", "given": true})),
        403,
    );
}

/// The list (one statement with names and the latest consent of each kind) shows what reading the
/// trajectory by itself shows, without its history and the absence records beside the guide, to
/// the coach and to the project leader.
fn assert_listed_as_read(w: &World, id: &str, consent: Value) {
    for token in [&w.coach_a.token, &w.pl_a.token] {
        let mut one: Value = w.app.get(&format!("/trajectories/{id}"), Some(token)).json().unwrap();
        one.as_object_mut().unwrap().remove("history");
        assert!(one["inclusion"].as_object_mut().unwrap().remove("absence_records").is_some(), "{one}");
        let page: Value = w.app.get("/trajectories", Some(token)).json().unwrap();
        let listed = page["items"].as_array().unwrap().iter().find(|t| t["id"] == id).expect("listed");
        assert_eq!(listed["consent"], consent);
        assert_eq!(listed["employee"]["first_name"], one["employee"]["first_name"]);
        assert_eq!(*listed, one);
    }
}

#[test]
fn lists_are_scoped_and_filtered() {
    let w = World::new();
    let m = w.method();
    let cohort2 = json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 2"})),
        201,
    );
    w.app.post("/trajectories", Some(&w.pl_a.token), &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": cohort2, "inclusion": inclusion_ok()}));
    let ids = |token: &str, query: &str| -> Vec<String> {
        let page: Value = w.app.get(&format!("/trajectories{query}"), Some(token)).json().unwrap();
        page["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(ids(&w.coach_a.token, "").len(), 2);
    assert!(ids(&w.coach_b.token, "").is_empty());
    assert!(ids(&w.pl_b.token, "").is_empty());
    assert_eq!(ids(&w.employee_a.token, ""), vec![m.trajectory.clone()]);
    assert_eq!(ids(&w.pl_a.token, "?status=active"), vec![m.trajectory.clone()]);
    assert_eq!(ids(&w.pl_a.token, &format!("?cohort={cohort2}")).len(), 1);
    assert_eq!(ids(&w.pl_a.token, &format!("?coach={}", w.coach_a.id)).len(), 2);
    assert_eq!(ids(&w.pl_a.token, "?limit=1").len(), 1);
    problem(w.app.get("/trajectories?status=unknown", Some(&w.pl_a.token)), 422);
    problem(w.app.get("/trajectories", Some(&w.admin.token)), 403);
}

#[test]
fn absences_summary_and_poortwachter_timeline() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let path = format!("/employees/{}/absences", w.employee_a.id);
    let today = crate::helpers::local_today();
    let day = |days_ago: i64| (today - chrono::Duration::days(days_ago)).to_string();
    for (start, end) in [(300, 296), (200, 199), (120, 118)] {
        let res = w.app.post(&path, coach, &json!({"start_date": day(start), "end_date": day(end)}));
        assert_eq!(res.status(), 201);
    }
    let open = json_id(w.app.post(&path, coach, &json!({"start_date": day(49), "percentage": 50})), 201);
    let s: Value = w
        .app
        .get(&format!("/employees/{}/absence-summary", w.employee_a.id), Some(&w.employee_a.token))
        .json()
        .unwrap();
    assert_eq!(s["episodes_last_12_months"], 4, "{s}");
    assert_eq!(s["frequent"], true);
    assert_eq!(s["current_episode"]["days"], 50);
    assert_eq!(s["current_episode"]["absence_id"], open.as_str());
    assert_eq!(s["long_term"], true);
    assert_eq!(s["total_days_last_12_months"], 5 + 2 + 3 + 50);
    assert_eq!(s["weighted_days_last_12_months"], 5.0 + 2.0 + 3.0 + 25.0);
    let milestones = s["poortwachter"].as_array().unwrap();
    let get = |key: &str| milestones.iter().find(|x| x["key"] == key).unwrap();
    assert_eq!(
        get("probleemanalyse")["date"],
        (today - chrono::Duration::days(49) + chrono::Duration::days(41)).to_string()
    );
    assert_eq!(get("probleemanalyse")["past"], true);
    assert_eq!(get("plan_van_aanpak")["past"], false);
    assert_eq!(get("wia_aanvraag")["week"], 93, "UWV: at the latest in the 93rd week");
    assert_eq!(get("einde_loondoorbetaling")["week"], 104);
    // An episode recorded by mistake is removed, not only shrunk: three absences, not frequent.
    let mistaken: Value = w.app.get(&path, coach).json().unwrap();
    let mistaken = mistaken["items"].as_array().unwrap().iter().find(|a| a["start_date"] == day(200)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    problem(
        w.app.send(reqwest::Method::DELETE, &format!("/absences/{mistaken}"), Some(&w.employee_a.token), &json!(null)),
        403,
    );
    problem(
        w.app.send(reqwest::Method::DELETE, &format!("/absences/{mistaken}"), Some(&w.coach_b.token), &json!(null)),
        404,
    );
    let res = w.app.send(reqwest::Method::DELETE, &format!("/absences/{mistaken}"), coach, &json!(null));
    assert_eq!(res.status(), 204);
    let s: Value = w.app.get(&format!("/employees/{}/absence-summary", w.employee_a.id), coach).json().unwrap();
    assert_eq!((&s["episodes_last_12_months"], &s["frequent"]), (&json!(3), &json!(false)), "{s}");
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.pl_a.token)).json().unwrap();
    let kept = log["items"].as_array().unwrap().iter().any(|e| {
        e["detail"]
            .as_str()
            .is_some_and(|d| serde_json::from_str::<Value>(d).unwrap()["removed_absence"] == mistaken.as_str())
    });
    assert!(kept, "{log}");
    problem(w.app.send(reqwest::Method::DELETE, &format!("/absences/{mistaken}"), coach, &json!(null)), 404);
    // It was hers after all: recorded again, as before.
    assert_eq!(w.app.post(&path, coach, &json!({"start_date": day(200), "end_date": day(199)})).status(), 201);

    // Overlap, reversed dates and a category without research consent are refused; nothing written.
    let before = w.app.count("absences");
    problem(w.app.post(&path, coach, &json!({"start_date": day(30)})), 422);
    problem(w.app.post(&path, coach, &json!({"start_date": day(500), "end_date": day(510)})), 422);
    problem(w.app.post(&path, coach, &json!({"start_date": day(600), "percentage": 0})), 422);
    let err = problem(
        w.app.post(&path, coach, &json!({"start_date": day(700), "end_date": day(699), "category": "physical"})),
        422,
    );
    assert!(err["errors"]["category"].is_array());
    problem(w.app.post(&path, coach, &json!({"start_date": day(700), "diagnosis": "griep"})), 422);
    assert_eq!(w.app.count("absences"), before);
    // With research consent a coarse category may be recorded.
    w.app.post(
        &format!("/trajectories/{}/consents", m.trajectory),
        Some(&w.employee_a.token),
        &json!({"kind": "research", "given": true}),
    );
    let old = json_id(
        w.app.post(&path, coach, &json!({"start_date": day(700), "end_date": day(699), "category": "physical"})),
        201,
    );
    // A category can be emptied (null); left out, it stays as it is.
    let episode = format!("/absences/{old}");
    let res: Value = w.app.patch(&episode, coach, &json!({"percentage": 80})).json().unwrap();
    assert_eq!(res["category"], "physical");
    let res: Value = w.app.patch(&episode, coach, &json!({"category": null})).json().unwrap();
    assert!(res["category"].is_null(), "{res}");
    assert_eq!(res["percentage"], 80);
    w.app.patch(&episode, coach, &json!({"category": "both"}));
    // Withdrawn research consent takes the categories with it, and no new one is accepted.
    w.app.post(
        &format!("/trajectories/{}/consents", m.trajectory),
        Some(&w.employee_a.token),
        &json!({"kind": "research", "given": false}),
    );
    let list: Value = w.app.get(&path, coach).json().unwrap();
    assert!(list["items"].as_array().unwrap().iter().all(|a| a["category"].is_null()), "{list}");
    assert!(problem(w.app.patch(&episode, coach, &json!({"category": "both"})), 422)["errors"]["category"].is_array());
    // Closing the open episode ends the current episode.
    let res = w.app.patch(&format!("/absences/{open}"), coach, &json!({"end_date": day(1)}));
    assert_eq!(res.status(), 200);
    let s: Value = w.app.get(&format!("/employees/{}/absence-summary", w.employee_a.id), coach).json().unwrap();
    assert!(s["current_episode"].is_null());
    assert!(s["poortwachter"].as_array().unwrap().is_empty());
    // A partial return recorded as a new episode from the next day is the same absence: counted
    // once, its days and its poortwachter dates from its first day.
    let part = json_id(w.app.post(&path, coach, &json!({"start_date": day(0), "percentage": 30})), 201);
    let s: Value = w.app.get(&format!("/employees/{}/absence-summary", w.employee_a.id), coach).json().unwrap();
    let current = &s["current_episode"];
    assert_eq!((&s["episodes_last_12_months"], &s["long_term"]), (&json!(4), &json!(true)), "{s}");
    assert_eq!((&current["absence_id"], &current["start_date"]), (&json!(part), &json!(day(0))));
    assert_eq!((&current["absence_start_date"], &current["days"]), (&json!(day(49)), &json!(50)));
    let milestones = s["poortwachter"].as_array().unwrap();
    let analysis = milestones.iter().find(|x| x["key"] == "probleemanalyse").unwrap();
    assert_eq!(analysis["date"], (today - chrono::Duration::days(49) + chrono::Duration::days(41)).to_string());
    // The employee reads their own, never writes; another coach does not see them.
    problem(w.app.post(&path, Some(&w.employee_a.token), &json!({"start_date": day(900)})), 403);
    problem(w.app.get(&path, Some(&w.coach_b.token)), 404);
    let list: Value = w.app.get(&path, Some(&w.employee_a.token)).json().unwrap();
    assert!(
        list["items"].as_array().unwrap().iter().any(|a| a["id"] == m.absence.as_str()),
        "the fixture's episode is listed"
    );
}

#[test]
fn intake_is_the_coachs_and_shared_on_purpose() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}/intake", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let intake: Value = w.app.get(&path, Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(intake["factors"]["self_regulation"]["score"], 1);
    assert_eq!(intake["basic_needs_under_pressure"]["autonomy"], true);
    problem(w.app.get(&path, Some(&w.employee_a.token)), 404);
    let mut bad = intake_body(true);
    bad["factors"]["capacity"]["score"] = json!(6);
    let err = problem(w.app.send(M::PUT, &path, coach, &bad), 422);
    assert!(err["errors"]["factors.capacity.score"].is_array(), "{err}");
    problem(w.app.get(&path, Some(&w.employee_a.token)), 404);
    assert_eq!(w.app.send(M::PUT, &path, coach, &intake_body(true)).status(), 200);
    assert_eq!(w.app.get(&path, Some(&w.employee_a.token)).status(), 200);
    problem(w.app.send(M::PUT, &path, Some(&w.pl_a.token), &intake_body(true)), 403);
}

#[test]
fn the_plan_sets_course_order_and_the_map_follows_it() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}/plan", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let plan: Value = w.app.get(&path, Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(plan["course_order"], json!(COURSE_ORDER));
    assert_eq!(plan["course_modes"]["kwaliteiten"], "paper");
    assert_eq!(plan["course_modes"]["hulp-vragen"], "online");

    let mut bad = plan_body();
    bad["course_order"] = json!(["kwaliteiten", "kwaliteiten"]);
    assert!(problem(w.app.send(M::PUT, &path, coach, &bad), 422)["errors"]["course_order"].is_array());
    let mut order = COURSE_ORDER.to_vec();
    order.swap(0, 1);
    let mut later_first = plan_body();
    later_first["course_order"] = json!(order);
    assert!(problem(w.app.send(M::PUT, &path, coach, &later_first), 422)["errors"]["first_course_reason"].is_array());
    later_first["first_course_reason"] = json!("Wil eerst een doel stellen; cursus 1 samen in het gesprek.");
    assert_eq!(w.app.send(M::PUT, &path, coach, &later_first).status(), 200);

    // The map in the employee's order.
    let html =
        w.app.get(&format!("/courses/map?trajectory={}", m.trajectory), Some(&w.employee_a.token)).text().unwrap();
    let courses: Vec<String> = html
        .match_indices("data-course=\"")
        .map(|(i, _)| html[i + 13..].split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(courses, order);
    assert!(html.contains("volgorde van jouw plan"));
    // The reflection's choices on paper are the four of the online course.
    for choice in
        ["Ja, met mijn coach", "Ja, in een groepsgesprek", "Ja, met mijn coach én in een groepsgesprek", "Nu niet"]
    {
        assert!(html.contains(choice), "{choice}");
    }
    // The online list follows the same plan, with its focus and its courses on paper.
    let mine: Value = w.app.get("/me/courses", Some(&w.employee_a.token)).json().unwrap();
    let online: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(online, order);
    assert_eq!(mine["order"], "plan");
    assert_eq!(mine["focus_courses"], json!(["doelen-en-plannen-maken"]));
    assert_eq!(mine["paper_courses"], json!(["kwaliteiten"]));
    let progress: Value = w.app.get(&format!("/trajectories/{}/progress", m.trajectory), coach).json().unwrap();
    assert_eq!(progress["items"][0]["slug"], order[0]);
    // Without a plan: the advised order.
    let other: Value = w.app.get("/me/courses", Some(&w.employee_a2.token)).json().unwrap();
    assert_eq!(other["order"], "advised");
    let advised: Value = w.app.get("/courses", Some(&w.employee_a2.token)).json().unwrap();
    let slugs = |list: &Value| -> Vec<String> {
        list["items"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(slugs(&other), slugs(&advised));
    assert_ne!(slugs(&other), order, "the plan's order differs from the advised one");
    problem(w.app.get(&format!("/courses/map?trajectory={}", m.trajectory), Some(&w.coach_b.token)), 404);

    // The employee's own map without a trajectory follows their plan as well.
    let map_order = |path: &str| -> Vec<String> {
        let html = w.app.get(path, Some(&w.employee_a.token)).text().unwrap();
        html.match_indices("data-course=\"")
            .map(|(i, _)| html[i + 13..].split('"').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(map_order("/courses/map"), order);
    // Taken back to a draft (not shared): the plan is not the employee's to see, nor its order,
    // focus or paper courses, on the screen or on paper; shared again, all of it is back.
    let advised_order = slugs(&advised);
    let mut draft = later_first.clone();
    draft["shared_with_employee"] = json!(false);
    assert_eq!(w.app.send(M::PUT, &path, coach, &draft).status(), 200);
    problem(w.app.get(&path, Some(&w.employee_a.token)), 404);
    let mine: Value = w.app.get("/me/courses", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(
        (&mine["order"], &mine["focus_courses"], &mine["paper_courses"]),
        (&json!("advised"), &json!([]), &json!([]))
    );
    assert_eq!(slugs(&mine), advised_order);
    assert_eq!(map_order("/courses/map"), advised_order);
    let html = w.app.get("/courses/map", Some(&w.employee_a.token)).text().unwrap();
    assert!(!html.contains("volgorde van jouw plan"));
    assert_eq!(w.app.send(M::PUT, &path, coach, &later_first).status(), 200);
    assert_eq!(map_order("/courses/map"), order);
    // A new trajectory without a plan yet: screen and map keep to the last plan, until its own.
    let order: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let second = json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let screen = || -> Vec<String> {
        let mine: Value = w.app.get("/me/courses", Some(&w.employee_a.token)).json().unwrap();
        mine["items"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap().to_string()).collect()
    };
    let second_map = format!("/courses/map?trajectory={second}");
    assert_eq!(
        (screen(), map_order(&second_map), map_order("/courses/map")),
        (order.clone(), order.clone(), order.clone())
    );
    assert_eq!(
        w.app
            .post(&format!("/trajectories/{second}/consents"), coach, &json!({"kind": "method", "given": true}))
            .status(),
        201
    );
    let mut own = order.clone();
    own.swap(5, 6);
    let mut plan = later_first.clone();
    plan["course_order"] = json!(own);
    assert_eq!(w.app.send(M::PUT, &format!("/trajectories/{second}/plan"), coach, &plan).status(), 200);
    assert_eq!((screen(), map_order(&second_map), map_order("/courses/map")), (own.clone(), own.clone(), own));
    let first_map = format!("/courses/map?trajectory={}", m.trajectory);
    assert_eq!(map_order(&first_map), order, "the first trajectory's map keeps its own plan");
}

#[test]
fn logbook_entries_weighings_and_corrections() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let entry_path = format!("/logbook/{}", m.entry);
    let mine: Value = w.app.get(&entry_path, coach).json().unwrap();
    assert_eq!(mine["weighing"]["pitfalls_checked"], json!(["haste", "anchoring"]));
    assert_eq!(mine["duration_minutes"], 45);
    // The project leader sees the entry but not the weighing; the employee neither.
    let pl: Value = w.app.get(&entry_path, Some(&w.pl_a.token)).json().unwrap();
    assert!(pl["weighing"].is_null() && pl["has_weighing"] == true);
    let emp: Value = w.app.get(&entry_path, Some(&w.employee_a.token)).json().unwrap();
    assert!(emp["weighing"].is_null());
    // An unshared entry is invisible to the employee.
    let mut private = crate::helpers::entry_body(false);
    private["weighing"] = Value::Null;
    let hidden = json_id(w.app.post(&format!("/trajectories/{}/logbook", m.trajectory), coach, &private), 201);
    problem(w.app.get(&format!("/logbook/{hidden}"), Some(&w.employee_a.token)), 404);
    let list: Value =
        w.app.get(&format!("/trajectories/{}/logbook", m.trajectory), Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Bad input: nothing written.
    let before = w.app.count("logbook_entries");
    let mut bad = crate::helpers::entry_body(true);
    bad["duration_minutes"] = json!(-5);
    bad["weighing"]["pitfalls_checked"] = json!(["hurry"]);
    problem(w.app.post(&format!("/trajectories/{}/logbook", m.trajectory), coach, &bad), 422);
    assert_eq!(w.app.count("logbook_entries"), before);

    // A correction within 7 days changes in place; a later one keeps the original.
    let res = w.app.patch(&entry_path, coach, &json!({"duration_minutes": 50}));
    let res: Value = res.json().unwrap();
    assert_eq!(res["revisions"], json!([]));
    assert_eq!(res["next_appointment"], "2026-11-09", "left out: kept");
    // A next appointment written by mistake can be taken out again.
    let res: Value = w.app.patch(&entry_path, coach, &json!({"next_appointment": null})).json().unwrap();
    assert!(res["next_appointment"].is_null(), "{res}");
    let res: Value = w.app.patch(&entry_path, coach, &json!({"next_appointment": "2026-11-09"})).json().unwrap();
    assert_eq!(res["next_appointment"], "2026-11-09");
    let err = problem(w.app.patch(&entry_path, coach, &json!({"next_appointment": "2199-01-01"})), 422);
    assert!(err["errors"]["next_appointment"].is_array(), "{err}");
    {
        use diesel::RunQueryDsl;
        let old = (chrono::Utc::now() - chrono::Duration::days(10)).naive_utc();
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(wilkan_schema::logbook_entries::table)
            .set(wilkan_schema::logbook_entries::created_at.eq(old))
            .execute(&mut w.app.conn())
            .unwrap();
    }
    let res: Value = w.app.patch(&entry_path, coach, &json!({"agreements": "Cursus 2 starten"})).json().unwrap();
    assert_eq!(res["agreements"], "Cursus 2 starten");
    assert_eq!(res["revisions"][0]["previous"]["agreements"], "Cursus 1 afmaken");
    assert_eq!(res["revisions"][0]["previous"]["duration_minutes"], 50);
    assert!(res["revisions"][0]["previous"]["weighing"].as_str().is_some_and(|w| w.contains("anchoring")), "{res}");
    // The earlier version's weighing is the author's too: others see the version without it.
    let pl: Value = w.app.get(&entry_path, Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(pl["revisions"][0]["previous"]["agreements"], "Cursus 1 afmaken");
    assert!(pl["revisions"][0]["previous"]["weighing"].is_null(), "{pl}");
    problem(w.app.patch(&entry_path, Some(&w.pl_a.token), &json!({"agreements": "x"})), 403);

    // Own weighings across trajectories, newest first, page by page; counts for the project leader.
    let list: Value = w.app.get("/weighings", coach).json().unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // What the coach observed of the person: the read is in the person's part of the log.
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.pl_a.token)).json().unwrap();
    let reads = log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "GET /api/v1/weighings").count();
    assert_eq!(reads, 1, "{log}");
    for _ in 0..2 {
        let body = crate::helpers::entry_body(true);
        json_id(w.app.post(&format!("/trajectories/{}/logbook", m.trajectory), coach, &body), 201);
    }
    let (paged, pages) = crate::helpers::all_pages(&w.app, "/weighings", coach, 1);
    assert_eq!(pages, 3);
    let mut ids: Vec<&str> = paged.iter().map(|e| e["entry_id"].as_str().unwrap()).collect();
    let dates: Vec<&str> = paged.iter().map(|e| e["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|d| d[0] >= d[1]), "{dates:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each weighing once");
    problem(w.app.get("/weighings?cursor=2026-01-01", coach), 422);
    let summary: Value = w.app.get("/weighings/summary", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(summary["entries"], 4);
    assert_eq!(summary["entries_with_weighing"], 3);
    assert_eq!(summary["pitfalls_checked"]["haste"], 3);
    assert!(summary.get("items").is_none());
}

use diesel::ExpressionMethods;
use wilkan::db::schema as wilkan_schema;

#[test]
fn work_values_keep_their_history() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}/work-values", m.trajectory);
    assert_eq!(w.app.send(M::PUT, &path, Some(&w.employee_a.token), &work_values_body("can_improve")).status(), 200);
    let out: Value = w.app.send(M::PUT, &path, Some(&w.coach_a.token), &work_values_body("going_well")).json().unwrap();
    assert_eq!(out["history"].as_array().unwrap().len(), 2);
    assert_eq!(out["current"]["card"]["fair_income"]["circle"], "going_well");
    assert_eq!(out["history"][0]["card"]["fair_income"]["circle"], "can_improve");
    let mut bad = work_values_body("later");
    bad["fair_income"]["circle"] = json!("someday");
    problem(w.app.send(M::PUT, &path, Some(&w.coach_a.token), &bad), 422);
    let mut missing = work_values_body("later");
    missing.as_object_mut().unwrap().remove("fair_income");
    problem(w.app.send(M::PUT, &path, Some(&w.coach_a.token), &missing), 422);
    assert_eq!(w.app.count("work_value_snapshots"), 2);
}

#[test]
fn coaches_read_progress_and_record_paper_completion() {
    let w = World::new();
    let m = w.method();
    let c1 = "uitgangspunten-en-misverstanden";
    let emp = Some(w.employee_a.token.as_str());
    w.app.send(
        M::PUT,
        &format!("/me/courses/{c1}/reflection"),
        emp,
        &json!({"text": "Ik zorg goed voor mezelf.", "choice": "coach_talk"}),
    );
    let path = format!("/trajectories/{}/progress", m.trajectory);
    let coach: Value = w.app.get(&path, Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(coach["items"][0]["reflection"]["text"], "Ik zorg goed voor mezelf.");
    let pl: Value = w.app.get(&path, Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(pl["items"][0]["status"], "completed");
    assert!(pl["items"][0]["reflection"].is_null(), "no reflection text for project leaders");

    let res = w
        .app
        .request(M::POST, &format!("/trajectories/{}/progress/kwaliteiten/paper", m.trajectory), Some(&w.coach_a.token))
        .send()
        .unwrap();
    let view: Value = res.json().unwrap();
    assert_eq!((view["status"].as_str(), view["completed_via"].as_str()), (Some("completed"), Some("paper")));
    let mine: Value = w.app.get("/me/courses", emp).json().unwrap();
    let kwaliteiten = mine["items"].as_array().unwrap().iter().find(|c| c["slug"] == "kwaliteiten").unwrap();
    assert_eq!(kwaliteiten["completed_via"], "paper");
    // Done on paper, so no page of it is new online; nor after a reflection alone on screen.
    assert_eq!(kwaliteiten["new_page_ids"], json!([]));
    let first = mine["items"].as_array().unwrap().iter().find(|c| c["slug"] == c1).unwrap();
    assert_eq!(first["new_page_ids"], json!([]));
    problem(
        w.app
            .request(
                M::POST,
                &format!("/trajectories/{}/progress/bestaat-niet/paper", m.trajectory),
                Some(&w.coach_a.token),
            )
            .send()
            .unwrap(),
        404,
    );
    // The choice ticked at the end of the map comes with it, later too: on the interest list as
    // a choice made on screen would be.
    let paper = |query: &str| {
        let path = format!("/trajectories/{}/progress/kwaliteiten/paper{query}", m.trajectory);
        w.app.request(M::POST, &path, Some(&w.coach_a.token)).send().unwrap()
    };
    let err = problem(paper("?choice=misschien"), 422);
    assert!(err["errors"]["choice"].is_array(), "{err}");
    let view: Value = paper("?choice=group_session").json().unwrap();
    assert_eq!(view["reflection"]["choice"], "group_session", "{view}");
    let list: Value = w.app.get("/group-sessions/interest?topic=kwaliteiten", Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(list["items"][0]["employee_id"], w.employee_a.id.as_str());
    // A course closed online with the employee's own reflection keeps the employee's choice.
    let path = format!("/trajectories/{}/progress/{c1}/paper?choice=both", m.trajectory);
    problem(w.app.request(M::POST, &path, Some(&w.coach_a.token)).send().unwrap(), 409);
    let mine: Value = w.app.get("/me/courses", emp).json().unwrap();
    let first = mine["items"].as_array().unwrap().iter().find(|c| c["slug"] == c1).unwrap();
    assert_eq!(first["reflection"]["choice"], "coach_talk");
}
