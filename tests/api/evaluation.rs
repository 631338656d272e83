//! Questionnaires, the Kirkpatrick and process exports and the report, against a small
//! organisation built through the API. Every expected figure is computed by hand in comments.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{all_pages, inclusion_ok, intake_body, json_id, problem, World, PASSWORD};

const C1: &str = "uitgangspunten-en-misverstanden";
const C2: &str = "kwaliteiten";

struct Person {
    id: String,
    token: String,
    trajectory: String,
}

/// A new employee of `w.org_a` with a trajectory in `cohort` (coach_a), method consent given,
/// research consent as asked, active.
fn employee(w: &World, n: &str, cohort: &str, research: bool) -> Person {
    let app = &w.app;
    let email = format!("{n}@wilkan.test");
    let id = json_id(
        app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": email, "first_name": n, "role": "employee", "organization_id": w.org_a, "password": PASSWORD}),
        ),
        201,
    );
    let token = app.token(&email);
    let trajectory = json_id(
        app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": id, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let t = format!("/trajectories/{trajectory}");
    assert_eq!(
        app.post(&format!("{t}/consents"), Some(&token), &json!({"kind": "method", "given": true})).status(),
        201
    );
    if research {
        assert_eq!(
            app.post(&format!("{t}/consents"), Some(&token), &json!({"kind": "research", "given": true})).status(),
            201
        );
    }
    assert_eq!(app.patch(&t, Some(&w.coach_a.token), &json!({"status": "active"})).status(), 200);
    Person { id, token, trajectory }
}

fn intake(w: &World, p: &Person) {
    let r = w.app.send(
        Method::PUT,
        &format!("/trajectories/{}/intake", p.trajectory),
        Some(&w.coach_a.token),
        &intake_body(false),
    );
    assert_eq!(r.status(), 200);
}

fn baseline(sex: &str, age: i64, confidence: i64, sr: bool) -> Value {
    let mut a = json!({"sex": sex, "age": age, "confidence_return": confidence, "own_role": 2, "attention_felt": 3,
        "view_on_return": "Eerst een paar uur per week."});
    for k in
        ["sr_plan", "sr_contact", "sr_information", "sr_ask_help", "sr_limits", "sr_small_goals", "sr_talk_manager"]
    {
        a[k] = json!(if k == "sr_plan" { sr } else { true });
    }
    a
}

fn end(confidence: i64, useful: i64, mark: i64) -> Value {
    let mut a = json!({"confidence_return": confidence, "own_role": 3, "attention_felt": 4, "useful": useful, "pleasant": 4,
        "paper_map": "not_used", "mark_programme": mark, "goals_reached": "partly",
        "difficulty_uitgangspunten_en_misverstanden": "right", "learned": "Dat ik zelf kleine stappen kan zetten."});
    for k in
        ["sr_plan", "sr_contact", "sr_information", "sr_ask_help", "sr_limits", "sr_small_goals", "sr_talk_manager"]
    {
        a[k] = json!(true);
    }
    a
}

fn answer(w: &World, p: &Person, key: &str, answers: Value) {
    let r = w.app.post(
        &format!("/questionnaires/{key}/responses"),
        Some(&p.token),
        &json!({"trajectory_id": p.trajectory, "answers": answers, "submit": true}),
    );
    assert_eq!(r.status(), 201, "{key}: {}", r.text().unwrap_or_default());
}

fn complete(w: &World, p: &Person, slug: &str) {
    complete_choosing(w, p, slug, "none");
}

fn complete_choosing(w: &World, p: &Person, slug: &str, choice: &str) {
    let r = w.app.send(
        Method::PUT,
        &format!("/me/courses/{slug}/reflection"),
        Some(&p.token),
        &json!({"text": "Ik neem mee dat ik hulp mag vragen.", "choice": choice}),
    );
    assert_eq!(r.status(), 200);
}

fn logbook(w: &World, p: &Person, minutes: i64, preparation: i64, led_by: &str) {
    let r = w.app.post(
        &format!("/trajectories/{}/logbook", p.trajectory),
        Some(&w.coach_a.token),
        &json!({"date": crate::helpers::local_today(), "kind": "coaching_talk", "duration_minutes": minutes,
                "preparation_minutes": preparation, "led_by": led_by, "agreements": "Volgende week bellen",
                "shared_with_employee": true}),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
}

fn absence(w: &World, p: &Person, from_days_ago: i64, to_days_ago: Option<i64>) {
    let today = crate::helpers::local_today();
    let r = w.app.post(
        &format!("/employees/{}/absences", p.id),
        Some(&w.coach_a.token),
        &json!({"start_date": today - Duration::days(from_days_ago), "end_date": to_days_ago.map(|d| today - Duration::days(d))}),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
}

fn coach(w: &World, n: usize, cohort: &str, consent: bool, igm: i64, mark: i64) {
    let email = format!("coach{n}@wilkan.test");
    json_id(
        w.app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": email, "first_name": format!("Coach{n}"), "role": "coach", "organization_id": w.org_a, "password": PASSWORD}),
        ),
        201,
    );
    let token = w.app.token(&email);
    coach_answers(w, &token, cohort, consent, igm, mark);
}

/// A coach's evaluation of the training and the method in `cohort`.
fn coach_answers(w: &World, token: &str, cohort: &str, consent: bool, igm: i64, mark: i64) {
    let mut answers = json!({"research_consent": consent, "knowledge_igm": igm, "mark_training": mark, "mark_method": 8,
        "best_part": "De groepsbijeenkomsten."});
    for k in [
        "knowledge_method",
        "skills_method",
        "knowledge_coaching",
        "efficacy_intake",
        "efficacy_coaching",
        "efficacy_groups",
        "efficacy_willen",
        "efficacy_kunnen",
        "time_enough",
        "priority_managers",
        "support_colleagues",
        "work_pleasure",
    ] {
        answers[k] = json!(4);
    }
    let r = w.app.post(
        "/questionnaires/coach-evaluation/responses",
        Some(token),
        &json!({"cohort_id": cohort, "answers": answers, "submit": true}),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
}

/// Stops `p`'s trajectory and proposes a second one in `cohort` (no consent yet): its id.
fn stop_and_start_again(w: &World, p: &Person, cohort: &str) -> String {
    let stop = json!({"status": "stopped", "stop_reason": "too_difficult"});
    let first = format!("/trajectories/{}", p.trajectory);
    assert_eq!(w.app.patch(&first, Some(&w.coach_a.token), &stop).status(), 200);
    json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": p.id, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    )
}

/// A cohort of organisation A, made by its project leader.
fn new_cohort(w: &World, name: &str) -> String {
    let path = format!("/organizations/{}/cohorts", w.org_a);
    json_id(w.app.post(&path, Some(&w.pl_a.token), &json!({"name": name})), 201)
}

fn export(w: &World, token: &str, path: &str) -> Value {
    let r = w.app.get(path, Some(token));
    assert_eq!(r.status(), 200, "{path}");
    r.json().unwrap()
}

fn table<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc["tables"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap_or_else(|| panic!("table {key}"))["rows"]
        .as_array()
        .unwrap()
}

fn find<'a>(rows: &'a [Value], col: &str, value: &str) -> &'a Value {
    rows.iter().find(|r| r[col] == value).unwrap_or_else(|| panic!("row {col}={value}"))
}

fn suppressed(row: &Value, col: &str) -> bool {
    row[col].is_null()
        && row["suppressed"] == true
        && row["suppressed_columns"].as_array().is_some_and(|s| s.iter().any(|c| c == col))
}

/// Cohort R1: seven employees. E1-E6 gave research consent, E7 did not. Everyone had an intake;
/// E6 stopped (too difficult) after it. E1-E5 did course 1 and both questionnaires, E1 also
/// course 2. E1 and E2 returned to work. Six coaches answered the coach questionnaire, five of
/// them agreeing to research use.
#[test]
fn exports_and_report_match_hand_computed_figures() {
    let w = World::new();
    let app = &w.app;
    let pl = w.pl_a.token.clone();
    let researcher = w.researcher.token.clone();
    let r1 =
        json_id(app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&pl), &json!({"name": "Ronde 1"})), 201);
    let r2 =
        json_id(app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&pl), &json!({"name": "Ronde 2"})), 201);

    let e: Vec<Person> = (1..=7).map(|i| employee(&w, &format!("e{i}"), &r1, i <= 6)).collect();
    for p in &e {
        intake(&w, p);
    }
    // Recruitment time: E1-E6 20..70 minutes; E7, who gives no research consent, 90.
    for (p, minutes) in e.iter().zip([20, 30, 40, 50, 60, 70, 90]) {
        let r = app.patch(
            &format!("/trajectories/{}", p.trajectory),
            Some(&w.coach_a.token),
            &json!({"recruitment_minutes": minutes}),
        );
        assert_eq!(r.status(), 200);
    }
    // Baseline: sex, age, confidence; sr_plan 'no' for all at the start.
    let base = [
        ("female", 30, 2),
        ("female", 40, 3),
        ("male", 50, 1),
        ("female", 60, 2),
        ("male", 45, 3),
        ("rather_not", 35, 4),
    ];
    for (p, (sex, age, conf)) in e.iter().zip(base) {
        answer(&w, p, "employee-baseline", baseline(sex, age, conf, false));
    }
    answer(&w, &e[6], "employee-baseline", baseline("male", 25, 5, false));
    // The project leader pages through the organisation's answers: all seven, each once, oldest first.
    let path = "/questionnaires/employee-baseline/responses";
    let (paged, pages) = all_pages(app, path, Some(&pl), 2);
    let respondents: Vec<&str> = paged.iter().map(|r| r["respondent_id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = e.iter().map(|p| p.id.as_str()).collect();
    assert_eq!((respondents, pages), (expected.clone(), 4));
    // Their coach pages through the same answers, those about the trajectories they coach
    // (merged with their own answers, of which there are none here); another coach sees none.
    let (paged, pages) = all_pages(app, path, Some(&w.coach_a.token), 2);
    let respondents: Vec<&str> = paged.iter().map(|r| r["respondent_id"].as_str().unwrap()).collect();
    assert_eq!((respondents, pages), (expected, 4));
    assert!(all_pages(app, path, Some(&w.coach_b.token), 2).0.is_empty());
    let all: Value = app.get(path, Some(&pl)).json().unwrap();
    assert_eq!((all["items"].as_array().unwrap().len(), all["next_cursor"].clone()), (7, Value::Null));
    assert!(problem(app.get(&format!("{path}?limit=0"), Some(&pl)), 422)["errors"]["limit"].is_array());
    // End (E1-E5): confidence 4,4,2,3,3; useful 4,5,3,4,4; mark 8,9,7,8,6.
    for (p, (conf, useful, mark)) in e.iter().zip([(4, 4, 8), (4, 5, 9), (2, 3, 7), (3, 4, 8), (3, 4, 6)]) {
        answer(&w, p, "employee-end", end(conf, useful, mark));
        complete_choosing(&w, p, C1, "both");
        // A long preparation: over 30 minutes for a talk under an hour.
        logbook(&w, p, 45, 35, "together");
    }
    // What an employee wrote in their own words reaches the coach, not the project leader (who
    // gets it only in the own-organisation export with free_text=true).
    let ends = "/questionnaires/employee-end/responses";
    let (for_pl, _) = all_pages(app, ends, Some(&pl), 50);
    assert_eq!(for_pl.len(), 5);
    for r in &for_pl {
        assert!(r["answers"].get("learned").is_none() && r["answers"]["useful"].is_number(), "{r}");
        assert_eq!(r["open_answers_left_out"], true);
        assert!(r["missing"].as_array().unwrap().iter().all(|m| m != "learned"), "answered, only not shown");
    }
    let (for_coach, _) = all_pages(app, ends, Some(&w.coach_a.token), 50);
    assert!(for_coach.iter().all(|r| r["answers"]["learned"] == "Dat ik zelf kleine stappen kan zetten."));
    assert!(for_coach.iter().all(|r| r["open_answers_left_out"] == false));
    complete(&w, &e[0], C2);
    logbook(&w, &e[0], 60, 40, "employee");
    // An app message is not a talk: no session, not in who led, not a long preparation.
    let r = app.post(
        &format!("/trajectories/{}/logbook", e[0].trajectory),
        Some(&w.coach_a.token),
        &json!({"date": crate::helpers::local_today(), "kind": "message", "duration_minutes": 0,
                "preparation_minutes": 35, "led_by": "coach", "shared_with_employee": true}),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    let stop = app.patch(
        &format!("/trajectories/{}", e[5].trajectory),
        Some(&w.coach_a.token),
        &json!({"status": "stopped", "stop_reason": "too_difficult"}),
    );
    assert_eq!(stop.status(), 200);
    for (p, extent, hours) in [(&e[0], "partial", 16.0), (&e[1], "full", 32.0)] {
        let r = app.send(
            Method::PUT,
            &format!("/trajectories/{}/return", p.trajectory),
            Some(&w.coach_a.token),
            &json!({"date": crate::helpers::local_today(), "extent": extent, "hours_per_week": hours, "own_work": true}),
        );
        assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    }
    // Absences before the start (today): E1 10 days; E2 5 + 10 days; E4 30 days, still running.
    absence(&w, &e[0], 100, Some(91));
    absence(&w, &e[1], 200, Some(196));
    absence(&w, &e[1], 50, Some(41));
    absence(&w, &e[3], 30, None);
    // Coaches: knowledge_igm 4,4,5,3,4 and training marks 7,8,8,9,8 with consent; one without (1, 2).
    for (i, (igm, mark)) in [(4, 7), (4, 8), (5, 8), (3, 9), (4, 8)].into_iter().enumerate() {
        coach(&w, i, &r1, true, igm, mark);
    }
    coach(&w, 9, &r1, false, 1, 2);

    // --- Process, researcher, cohort R1: E1-E6 included; E7 only in the first two steps.
    let p = export(&w, &researcher, &format!("/exports/process?cohort={r1}&key=studie-2026"));
    assert_eq!(p["population"], "research_consent");
    assert_eq!(p["filter"]["cohort"], r1.as_str());
    assert_eq!(p["row_counts"]["records"], 6);
    let reach = table(&p, "reach");
    let n = |step: &str| find(reach, "step", step)["n"].clone();
    assert_eq!((n("approached"), n("method_consent"), n("research_consent")), (json!(7), json!(7), json!(6)));
    assert_eq!((n("intake_done"), n("course_started"), n("course_completed")), (json!(6), json!(5), json!(5)));
    assert!(suppressed(find(reach, "step", "returned"), "n"), "2 returned: fewer than 5");
    assert_eq!(find(reach, "step", "research_consent")["percent_of_approached"], 85.7); // 6/7
    assert_eq!(find(reach, "step", "course_started")["percent_of_approached"], 71.4); // 5/7
    assert!(suppressed(find(reach, "step", "intake_done"), "stopped_here"), "E6 stopped there");
    let stops = table(&p, "reach_stops");
    assert_eq!(stops.len(), 1);
    assert_eq!((stops[0]["step"].as_str(), stops[0]["reason"].as_str()), (Some("intake_done"), Some("too_difficult")));
    assert!(suppressed(&stops[0], "n"));
    let parts = table(&p, "participants");
    let r1_row = find(parts, "cohort", "Ronde 1");
    assert_eq!(r1_row["n"], 6);
    assert_eq!(r1_row["age_mean"], 43.33); // (30+40+50+60+45+35)/6
    assert_eq!((r1_row["age_min"].clone(), r1_row["age_max"].clone()), (json!(30.0), json!(60.0)));
    for c in ["sex_female", "sex_male", "sex_rather_not"] {
        assert!(suppressed(r1_row, c), "{c}: 3, 2 and 1 people");
    }
    assert_eq!(r1_row["sex_other"], 0);
    let time = table(&p, "time_invested");
    let v = |m: &str| find(time, "measure", m)["value"].clone();
    assert_eq!(v("session_minutes_total"), json!(285.0)); // 5 x 45 + 60
                                                          // Preparation counts for every entry, the message's 35 minutes too.
    assert_eq!(v("preparation_minutes_total"), json!(250.0)); // 5 x 35 + 40 + 35
    assert_eq!(v("session_minutes_per_trajectory"), json!(47.5)); // 285 / 6
    assert_eq!(v("preparation_minutes_per_trajectory"), json!(41.67)); // 250 / 6

    // 5 of 6 sessions: the hour-long talk's 40 minutes are not a long preparation.
    assert_eq!(v("long_preparation_percent_of_sessions"), json!(83.3));
    // Recruitment counts everyone approached who is in the export: not E7, who gave no research
    // consent (the total less the records' minutes would be her time).
    assert_eq!(find(time, "measure", "recruitment_minutes_total")["n"], 6);
    assert!(find(time, "measure", "recruitment_minutes_total")["label"]
        .as_str()
        .unwrap()
        .starts_with("Minuten werving"));
    assert!(time.iter().all(|r| r["label"].as_str().is_some_and(|l| !l.is_empty())), "every measure in Dutch");
    assert_eq!(v("recruitment_minutes_total"), json!(270.0));
    assert_eq!(v("recruitment_minutes_per_approached"), json!(45.0)); // 270 / 6
    let records = table(&p, "records");
    let recruited: i64 = records.iter().map(|r| r["recruitment_minutes"].as_i64().unwrap()).sum();
    assert_eq!(recruited, 270, "per-trajectory rows: E1-E6 only, as the total");
    let per_coach = table(&p, "time_per_coach");
    assert_eq!(per_coach.len(), 1);
    assert_eq!((per_coach[0]["trajectories"].clone(), per_coach[0]["session_minutes"].clone()), (json!(6), json!(285)));
    // Per coach like the total, so the coaches add up to it.
    assert_eq!(per_coach[0]["recruitment_minutes"], 270);
    assert!(per_coach[0]["coach"].as_str().unwrap().starts_with("C-"));
    let fidelity = table(&p, "fidelity");
    assert_eq!(find(fidelity, "part", "intake")["n"], 6);
    assert_eq!(find(fidelity, "part", "intake")["percent"], 100.0);
    assert_eq!(find(fidelity, "part", "buddy")["n"], 0);
    // Five of six: the one without a completed course or coaching talk is a group of one.
    for part in ["course", "coaching"] {
        let row = find(fidelity, "part", part);
        assert!(suppressed(row, "n") && suppressed(row, "percent"), "{row}");
    }
    // The buckets add up to the 6 of `time_invested`: the 1 with no course hidden, and with it the
    // 5 with one to three, or 6 minus 5 would give it.
    assert!(suppressed(find(fidelity, "part", "courses_completed_0"), "n"));
    assert!(suppressed(find(fidelity, "part", "courses_completed_1-3"), "n"));
    assert_eq!(find(fidelity, "part", "courses_completed_7")["n"], 0);

    // --- The same as the project leader: everyone in the organisation (E7 too), pseudonymised.
    let own = export(&w, &pl, &format!("/exports/process?cohort={r1}"));
    assert_eq!(own["population"], "own_organisation");
    assert_eq!(own["row_counts"]["records"], 7);
    let reach = table(&own, "reach");
    assert_eq!(find(reach, "step", "intake_done")["n"], 7, "research consent is no gate here");
    assert_eq!(find(reach, "step", "research_consent")["n"], 6);

    // --- Kirkpatrick, researcher, cohort R1.
    let k = export(&w, &researcher, &format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"));
    assert_eq!(k["instruments"].as_array().unwrap().len(), 3);
    assert!(k["instruments"].as_array().unwrap().iter().all(|i| i["version"] == 1));
    let l1 = table(&k, "l1_items");
    // Answers 3, 4, 4, 4, 5: every count is under five and hidden. Mean 4.0 and sd 0.71 together
    // leave only one and three and one, so the sd is withheld; the mean alone leaves several.
    let useful = find(l1, "item", "useful");
    assert_eq!((useful["n"].clone(), useful["mean"].clone()), (json!(5), json!(4.0)));
    assert!(suppressed(useful, "sd"), "{useful}");
    // Marks 6, 7, 8, 8, 9: four counts under five (so none is 0) for five people, so one is 2,
    // and the mean 7.6 (a sum of 38 = 6 + 7 + 8 + 9 + 8) alone gives them all back.
    let mark = find(l1, "item", "mark_programme");
    assert_eq!(mark["n"], 5);
    assert!(suppressed(mark, "mean") && suppressed(mark, "sd"), "{mark}");
    let training = l1.iter().find(|r| r["group"] == "coach" && r["item"] == "mark_training").unwrap();
    assert_eq!((training["n"].clone(), training["mean"].clone()), (json!(5), json!(8.0)));
    assert!(suppressed(training, "sd"), "{training}");
    let dist = table(&k, "l1_distribution");
    let useful_4 = dist.iter().find(|r| r["item"] == "useful" && r["answer"] == "4").unwrap();
    assert!(suppressed(useful_4, "n"), "three people answered 4");
    let paper = dist.iter().find(|r| r["item"] == "paper_map" && r["answer"] == "not_used").unwrap();
    assert_eq!((paper["n"].clone(), paper["percent"].clone()), (json!(5), json!(100.0)));
    let difficulty = find(table(&k, "l1_difficulty"), "course", C1);
    assert_eq!(
        (difficulty["n"].clone(), difficulty["right"].clone(), difficulty["too_hard"].clone()),
        (json!(5), json!(100.0), json!(0.0))
    );
    let courses = table(&k, "l2_courses");
    assert_eq!(find(courses, "course", C1)["started"], 5);
    // One person did course 2: hidden, and so is course 1's 5, as the records' courses completed
    // add up to the column (6) and would give it back; with it what is counted as a course is
    // completed (reflections, wishes to talk), which would bound it.
    let c1 = find(courses, "course", C1);
    for col in ["completed", "reflections", "talk_coach", "talk_group"] {
        assert!(suppressed(c1, col), "{col}: {c1}");
    }
    assert!(suppressed(find(courses, "course", C2), "completed"), "one person did course 2");
    let igm = table(&k, "l2_items").iter().find(|r| r["item"] == "knowledge_igm").unwrap().clone();
    assert_eq!((igm["n"].clone(), igm["mean"].clone()), (json!(5), json!(4.0)));
    assert!(suppressed(&igm, "sd"), "3, 4, 4, 4, 5 again: {igm}");
    let change = find(table(&k, "l3_change"), "item", "confidence_return");
    // Pairs E1-E5: 2->4, 3->4, 1->2, 2->3, 3->3.
    assert_eq!(change["n_pairs"], 5);
    assert_eq!((change["mean_start"].clone(), change["mean_end"].clone()), (json!(2.2), json!(3.2)));
    assert_eq!((change["mean_change"].clone(), change["sd_change"].clone()), (json!(1.0), json!(0.71)));
    let plan = find(table(&k, "l3_self_regulation"), "item", "sr_plan");
    assert_eq!(
        (plan["yes_start"].clone(), plan["yes_end"].clone(), plan["percent_end"].clone()),
        (json!(0), json!(5), json!(100.0))
    );
    let signals = table(&k, "l3_signals");
    assert_eq!(find(signals, "measure", "sessions_total")["value"], 6.0);
    assert_eq!(find(signals, "measure", "sessions_mean")["value"], 1.0); // 6 sessions / 6 people
                                                                         // 5 of 6 sessions led together, 1 by the employee: that one is hidden, and so is 83.3%, which
                                                                         // would give it back (the three shares add up to 100%).
    assert!(suppressed(find(signals, "measure", "led_together_percent"), "value"));
    assert!(suppressed(find(signals, "measure", "led_by_employee_percent"), "value"));
    assert_eq!(find(signals, "measure", "led_by_coach_percent")["value"], 0.0, "nobody: shown");
    let results = table(&k, "l4_results");
    let r = |m: &str| find(results, "measure", m)["value"].clone();
    assert_eq!(r("sick_reports_before_mean"), json!(0.67)); // (1 + 2 + 0 + 1 + 0 + 0) / 6
    assert_eq!(r("days_absent_before_mean"), json!(9.17)); // (10 + 15 + 30) / 6
    assert_eq!(r("days_absent_after_mean"), json!(0.17)); // E4's running episode: today, 1 / 6
    assert!(suppressed(find(results, "measure", "returned_percent"), "value"));
    let records = table(&k, "records");
    assert_eq!(records.len(), 6);
    // Each record names the questionnaire versions it answered (E6 gave no end answers).
    assert!(records.iter().all(|r| r["baseline_version"] == 1), "{records:?}");
    assert_eq!(records.iter().filter(|r| r["end_version"] == 1).count(), 5);
    assert_eq!(records.iter().filter(|r| r["end_version"].is_null()).count(), 1);
    assert!(records.iter().all(|r| r["person"].as_str().unwrap().starts_with("P-")));
    assert!(
        k.get("tables").unwrap().as_array().unwrap().iter().all(|t| t["key"] != "texts"),
        "no free text for researchers"
    );

    // No names, emails or ids of people anywhere in an export.
    let raw = app.get(&format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"), Some(&researcher)).text().unwrap();
    for p in &e {
        assert!(!raw.contains(&p.id) && !raw.contains(&p.trajectory));
    }
    assert!(!raw.contains("@wilkan.test") && !raw.contains("\"e1\""));
    // Pseudonyms: stable under the same key, different under another.
    let again = export(&w, &researcher, &format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"));
    let people = |d: &Value| -> Vec<String> {
        table(d, "records").iter().map(|r| r["person"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(people(&k), people(&again));
    let other = export(&w, &researcher, &format!("/exports/kirkpatrick?cohort={r1}&key=ander-project"));
    assert!(people(&other).iter().all(|p| !people(&k).contains(p)));
    // The project leader's own-organisation export under the same key: other pseudonyms, so
    // that what a project leader knows of their people cannot unlock the research data.
    let own = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"));
    assert_eq!(people(&own), people(&export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"))));
    assert!(people(&own).iter().all(|p| !people(&k).contains(p)));

    // Free text: the project leader, own organisation, when asked.
    let texts = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&level=2&free_text=true"));
    let texts = table(&texts, "texts");
    assert_eq!(texts.iter().filter(|t| t["about"] == format!("reflectie {C1}")).count(), 5);
    assert!(texts.iter().any(|t| t["text"] == "Dat ik zelf kleine stappen kan zetten."));
    // The open answers of the baseline too.
    let at_start: Vec<&Value> = texts.iter().filter(|t| t["about"] == "employee-baseline view_on_return").collect();
    assert!(!at_start.is_empty() && at_start.iter().all(|t| t["text"] == "Eerst een paar uur per week."), "{texts:?}");
    let body = problem(app.get(&format!("/exports/kirkpatrick?cohort={r1}&free_text=true"), Some(&researcher)), 422);
    assert!(body["errors"]["free_text"].is_array());

    // Every export is in the audit log with its filter and row counts.
    let entries = audit_exports(&w);
    assert!(entries
        .iter()
        .any(|d| d["filter"]["cohort"] == r1.as_str() && d["rows"]["records"] == 6 && d["people"] == 6));

    // --- 4 versus 5: cohort R2 with four research-consented people and one without.
    let f: Vec<Person> = (1..=5).map(|i| employee(&w, &format!("f{i}"), &r2, i <= 4)).collect();
    for (i, p) in f.iter().enumerate() {
        answer(&w, p, "employee-baseline", baseline("female", 40 + i as i64, 3, true));
    }
    let four = export(&w, &researcher, &format!("/exports/process?cohort={r2}"));
    let row = find(table(&four, "participants"), "cohort", "Ronde 2");
    assert!(suppressed(row, "n") && suppressed(row, "age_mean") && suppressed(row, "sex_female"));
    let five = export(&w, &pl, &format!("/exports/process?cohort={r2}"));
    let row = find(table(&five, "participants"), "cohort", "Ronde 2");
    assert_eq!(
        (row["n"].clone(), row["age_mean"].clone(), row["sex_female"].clone()),
        (json!(5), json!(42.0), json!(5))
    );

    // --- Withdrawing research consent removes the person from the next export.
    let before = people(&k);
    assert_eq!(
        app.post(
            &format!("/trajectories/{}/consents", e[4].trajectory),
            Some(&e[4].token),
            &json!({"kind": "research", "given": false})
        )
        .status(),
        201
    );
    let after = export(&w, &researcher, &format!("/exports/kirkpatrick?cohort={r1}&key=studie-2026"));
    let now = people(&after);
    assert_eq!(now.len(), 5);
    assert!(now.iter().all(|p| before.contains(p)));
    let change = find(table(&after, "l3_change"), "item", "confidence_return");
    assert!(suppressed(change, "n_pairs") && suppressed(change, "mean_change"), "four pairs left");

    // --- CSV for Dutch Excel, parsed back.
    let res = app.get(&format!("/exports/process?cohort={r1}&format=csv&locale=nl"), Some(&researcher));
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    let bytes = res.bytes().unwrap();
    assert_eq!(&bytes[..3], "\u{feff}".as_bytes(), "UTF-8 byte order mark");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut rdr =
        csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(text.as_bytes());
    let lines: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let title = lines.iter().position(|l| l == &vec!["Deelnemers".to_string()]).expect("participants section");
    let header = &lines[title + 1];
    let row = &lines[title + 2];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    // E1-E4 and E6 now, five people. But cohort 2 has four with research consent, and the
    // researcher can also export the organisation: the organisation minus this cohort would give
    // cohort 2's figures. So this cohort's are withheld, in this export and in every other.
    assert_eq!((row[col("Aantal trajecten")].as_str(), row[col("age gemiddeld")].as_str()), ("x", "x"));
    assert_eq!(row[col("age laagst")], "x");
    let org = app.get(
        &format!("/exports/process?organization={}&format=csv&locale=nl&table=participants", w.org_a),
        Some(&researcher),
    );
    let org = String::from_utf8(org.bytes().unwrap()[3..].to_vec()).unwrap();
    let totaal = org.lines().find(|l| l.starts_with("totaal;")).expect("the organisation's total");
    assert!(totaal.starts_with("totaal;;9;"), "(30+40+50+60+35+40+41+42+43)/9 shown: {totaal}");
    assert!(totaal.contains(";42,33;"), "{totaal}");
    let intake_row = lines.iter().find(|l| l.first().map(String::as_str) == Some("intake_done")).unwrap();
    assert_eq!(intake_row[4], "71,4", "5 of 7, with a decimal comma");
    assert_eq!(row[col("sex_female")], "<5");
    let plain = app
        .get(&format!("/exports/process?cohort={r1}&format=csv&locale=en&table=reach"), Some(&researcher))
        .bytes()
        .unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(&plain[3..]);
    assert_eq!(rdr.headers().unwrap().iter().next(), Some("Step"));
    let steps: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(steps.len(), 7);
    assert_eq!((&steps[3][0], &steps[3][4]), ("intake_done", "71.4")); // 5 of 7 after the withdrawal

    // --- XLSX, read back.
    let res = app.get(&format!("/exports/kirkpatrick?cohort={r1}&format=xlsx&key=studie-2026"), Some(&researcher));
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("valid xlsx");
    let sheets = book.sheet_names();
    for s in ["records", "l1_items", "l3_change", "l4_results", "about"] {
        assert!(sheets.iter().any(|n| n == s), "sheet {s} in {sheets:?}");
    }
    let records = book.worksheet_range("records").unwrap();
    assert_eq!(records.height(), 1 + 5, "a header and five people");
    let l1 = book.worksheet_range("l1_items").unwrap();
    let useful = l1.rows().find(|r| r.get(2).map(|c| c.to_string()) == Some("useful".into())).unwrap();
    assert_eq!(useful[4], calamine::Data::String("<5".into()), "four people left");

    // --- The report: one printable page, charts, suppression explained, nothing external.
    let res = app.get(&format!("/reports/evaluation?cohort={r1}"), Some(&pl));
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().unwrap();
    for needle in [
        "<svg",
        "Bereik",
        "Niveau 1",
        "Niveau 4",
        "Werkbedrijf Noord",
        "Ronde 1",
        "minder dan 5 mensen",
        "@media print",
    ] {
        assert!(html.contains(needle), "report contains {needle}");
    }
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"));
    assert!(!html.contains("e1@wilkan.test"));
    // A researcher's report of a cohort names the cohort's organisation too.
    let theirs = app.get(&format!("/reports/evaluation?cohort={r1}"), Some(&researcher)).text().unwrap();
    assert!(theirs.contains("Werkbedrijf Noord") && !theirs.contains("alle organisaties"), "{theirs}");
    let err = problem(app.get(&format!("/reports/evaluation?organization={}", w.org_b), Some(&pl)), 422);
    assert!(err["errors"]["organization"].is_array(), "{err}");

    // --- Withdrawing method consent: still a participant who stopped, but their own words are
    // no longer handed on.
    let reflections =
        |doc: &Value| table(doc, "texts").iter().filter(|t| t["about"] == format!("reflectie {C1}")).count();
    let before = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&level=2&free_text=true"));
    let withdraw = json!({"kind": "method", "given": false});
    let path = format!("/trajectories/{}/consents", e[0].trajectory);
    assert_eq!(app.post(&path, Some(&e[0].token), &withdraw).status(), 201);
    let after = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&level=2&free_text=true"));
    assert_eq!(reflections(&after), reflections(&before) - 1);
    // None of their words at all (all their courses, their open answers): one person fewer.
    let persons = |doc: &Value| -> std::collections::BTreeSet<String> {
        table(doc, "texts").iter().map(|t| t["person"].as_str().unwrap().to_string()).collect()
    };
    let gone: Vec<String> = persons(&before).difference(&persons(&after)).cloned().collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(
        table(&before, "texts").len() - table(&after, "texts").len(),
        table(&before, "texts").iter().filter(|t| t["person"] == gone[0].as_str()).count()
    );
    assert_eq!(table(&after, "records").len(), table(&before, "records").len(), "still counted");
}

fn audit_exports(w: &World) -> Vec<Value> {
    use diesel::prelude::*;
    use wilkan::db::schema::audit_log;
    let rows: Vec<Option<String>> = audit_log::table
        .filter(audit_log::action.like("export.%"))
        .select(audit_log::detail)
        .load(&mut w.app.conn())
        .unwrap();
    rows.into_iter().flatten().map(|d| serde_json::from_str(&d).unwrap()).collect()
}

/// Answers are checked per item type; a draft can be finished later; a finished questionnaire
/// is final; a coach enters a paper form on the employee's behalf, recorded as such.
#[test]
fn questionnaires_save_drafts_and_validate_per_item() {
    let w = World::new();
    let app = &w.app;
    let m = w.method();
    let list: Value = app.get("/questionnaires", Some(&w.employee_a.token)).json().unwrap();
    let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["coach-evaluation", "employee-baseline", "employee-end"]);
    let one: Value = app.get("/questionnaires/employee-end", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(one["version"], 1);
    assert!(one["items"].as_array().unwrap().iter().any(|i| i["type"] == "mark"));
    problem(app.get("/questionnaires/unknown", Some(&w.employee_a.token)), 404);

    let path = "/questionnaires/employee-baseline/responses";
    let emp = Some(w.employee_a.token.as_str());
    let bad = problem(
        app.post(path, emp, &json!({"trajectory_id": m.trajectory, "answers": {"confidence_return": 6, "sr_plan": "ja", "sex": "x", "age": 12, "nope": 1}})),
        422,
    );
    let errors = bad["errors"].as_object().unwrap();
    for f in ["answers.confidence_return", "answers.sr_plan", "answers.sex", "answers.age", "answers.nope"] {
        assert!(errors.contains_key(f), "{f} in {errors:?}");
    }
    assert_eq!(app.count("questionnaire_responses"), 0, "nothing written");

    // A draft, then more answers, then an incomplete submit (422, nothing changes).
    let draft: Value = {
        let r = app.post(path, emp, &json!({"trajectory_id": m.trajectory, "answers": {"confidence_return": 2}}));
        assert_eq!(r.status(), 201);
        r.json().unwrap()
    };
    assert_eq!(draft["status"], "draft");
    assert!(draft["missing"].as_array().unwrap().iter().any(|k| k == "sex"));
    let r = app.post(
        path,
        emp,
        &json!({"trajectory_id": m.trajectory, "answers": {"view_on_return": "Spannend, maar ik wil het."}}),
    );
    assert_eq!(r.status(), 200);
    let body =
        problem(app.post(path, emp, &json!({"trajectory_id": m.trajectory, "answers": {}, "submit": true})), 422);
    assert!(body["errors"]["answers.sex"].is_array());
    // The coach fills in the rest from the paper form and submits.
    let coach = Some(w.coach_a.token.as_str());
    problem(app.post(path, coach, &json!({"trajectory_id": m.trajectory, "answers": {"sex": "male"}})), 422);
    let rest = json!({"sex": "male", "age": 44, "own_role": 3, "attention_felt": 2, "sr_plan": true, "sr_contact": false,
        "sr_information": true, "sr_ask_help": true, "sr_limits": false, "sr_small_goals": true, "sr_talk_manager": false});
    let done: Value = app
        .post(path, coach, &json!({"trajectory_id": m.trajectory, "answers": rest, "on_paper": true, "submit": true}))
        .json()
        .unwrap();
    assert_eq!(done["status"], "submitted");
    assert_eq!((done["on_paper"].clone(), done["entered_by"].clone()), (json!(true), json!(w.coach_a.id)));
    assert_eq!(done["respondent_id"], w.employee_a.id);
    assert_eq!(done["answers"]["confidence_return"], 2, "the draft's answers are kept");
    assert_eq!(done["answers"]["view_on_return"], "Spannend, maar ik wil het.");
    assert!(done["missing"].as_array().unwrap().is_empty());
    problem(app.post(path, emp, &json!({"trajectory_id": m.trajectory, "answers": {"age": 45}})), 409);
    // Others cannot answer for this trajectory; the coach questionnaire is for coaches.
    problem(app.post(path, Some(&w.employee_a2.token), &json!({"trajectory_id": m.trajectory, "answers": {}})), 404);
    problem(app.post("/questionnaires/coach-evaluation/responses", emp, &json!({"answers": {}})), 403);
    // The employee sees their own answers, also in inzage.
    let mine: Value = app.get(path, emp).json().unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let data: Value = app.get("/me/data", emp).json().unwrap();
    assert_eq!(data["questionnaires"][0]["answers"]["age"], 44);
    assert!(app.get(path, Some(&w.employee_a2.token)).json::<Value>().unwrap()["items"].as_array().unwrap().is_empty());
    // A parameter the list does not know is named, not left out (it would list everything).
    let body = problem(app.get(&format!("{path}?trajectory_id={}", m.trajectory), coach), 422);
    assert!(body["errors"]["trajectory_id"].is_array(), "{body}");
    // The coaches' answers are not the project leader's to read one by one.
    problem(app.get("/questionnaires/coach-evaluation/responses", Some(&w.pl_a.token)), 403);
    // Paper answers are new records about the person: not once they withdrew their consent.
    let withdraw = json!({"kind": "method", "given": false});
    assert_eq!(app.post(&format!("/trajectories/{}/consents", m.trajectory), emp, &withdraw).status(), 201);
    let before = app.count("questionnaire_responses");
    let paper = json!({"trajectory_id": m.trajectory, "answers": {}, "on_paper": true});
    let body = problem(app.post("/questionnaires/employee-end/responses", coach, &paper), 409);
    assert!(body["detail"].as_str().unwrap().contains("toestemming"), "{body}");
    assert_eq!(app.count("questionnaire_responses"), before);
}

/// Export filters that cannot work get a 422 naming the field (or 404 for another organisation),
/// before anything is streamed.
#[test]
fn bad_export_filters_are_refused_with_problems() {
    let w = World::new();
    let app = &w.app;
    let m = w.method();
    let pl = Some(w.pl_a.token.as_str());
    let researcher = Some(w.researcher.token.as_str());
    let other = json_id(
        app.post(&format!("/organizations/{}/cohorts", w.org_b), Some(&w.pl_b.token), &json!({"name": "Zuid 1"})),
        201,
    );
    let audit_before = app.count("audit_log");
    for (path, field) in [
        ("/exports/kirkpatrick?level=5".to_string(), "level"),
        ("/exports/process?level=2".to_string(), "level"),
        ("/exports/kirkpatrick?table=records".to_string(), "table"),
        ("/exports/process?format=csv&table=nope".to_string(), "table"),
        ("/exports/kirkpatrick?key=short".to_string(), "key"),
        // A NUL (refused in every query) would let a key spell out the project leader's
        // pseudonym domain; no control character makes a key.
        ("/exports/kirkpatrick?key=wilkan%20operational%20export%00".to_string(), "key"),
        ("/exports/kirkpatrick?key=studie%012026".to_string(), "key"),
        // Tables the export would not write: an empty file is no answer.
        ("/exports/kirkpatrick?format=csv&table=texts".to_string(), "table"),
        ("/exports/kirkpatrick?format=csv&table=l3_signals&level=1".to_string(), "table"),
        ("/exports/process?free_text=true".to_string(), "free_text"),
        (format!("/exports/kirkpatrick?cohort={other}"), "cohort"),
        ("/exports/kirkpatrick?cohort=unknown".to_string(), "cohort"),
    ] {
        let body = problem(app.get(&path, pl), 422);
        assert!(body["errors"][field].is_array(), "{path}: {body}");
    }
    // Another organisation's cohort and one that does not exist get the same answer.
    let theirs = problem(app.get(&format!("/exports/kirkpatrick?cohort={other}"), pl), 422);
    let nowhere = problem(app.get("/exports/kirkpatrick?cohort=unknown", pl), 422);
    assert_eq!(theirs["errors"], nowhere["errors"]);
    assert_eq!(theirs["detail"], nowhere["detail"]);
    let body =
        problem(app.get(&format!("/exports/kirkpatrick?organization={}&cohort={other}", w.org_a), researcher), 422);
    assert!(body["errors"]["cohort"].is_array());
    // Another organisation and one that does not exist get the same answer, naming the field.
    let theirs = problem(app.get(&format!("/exports/process?organization={}", w.org_b), pl), 422);
    let unknown = problem(app.get("/exports/process?organization=unknown", pl), 422);
    assert_eq!(theirs, unknown);
    assert!(theirs["errors"]["organization"].is_array(), "{theirs}");
    problem(app.get("/exports/process?organization=unknown", researcher), 422);
    // Wrong parameters are named, not their values.
    let body = problem(app.get(&format!("/exports/process?cohort={}&surprise=1", m.cohort), pl), 422);
    assert!(body["errors"]["surprise"].is_array(), "{body}");
    let body = problem(app.get("/exports/kirkpatrick?format=pdf", pl), 422);
    assert!(body["errors"]["format"][0].as_str().unwrap().contains("csv"), "{body}");
    let body = problem(app.get("/exports/kirkpatrick?level=vier", pl), 422);
    assert!(body["errors"]["level"].is_array(), "{body}");
    assert_eq!(app.count("audit_log"), audit_before, "a refused export writes nothing");
}

/// A withdrawal is the person's: research consent withdrawn on a later trajectory also takes out
/// the earlier trajectory that still says yes.
#[test]
fn a_withdrawal_on_a_new_trajectory_takes_the_person_out_of_every_export() {
    let w = World::new();
    let app = &w.app;
    let cohort = json_id(
        app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "R"})),
        201,
    );
    let e: Vec<Person> = (1..=6).map(|i| employee(&w, &format!("w{i}"), &cohort, true)).collect();
    let second = stop_and_start_again(&w, &e[0], &cohort);
    let consent = |kind: &str, given: bool| {
        let path = format!("/trajectories/{second}/consents");
        assert_eq!(app.post(&path, Some(&e[0].token), &json!({"kind": kind, "given": given})).status(), 201);
    };
    consent("method", true);
    consent("research", true);
    let persons = |doc: &Value| -> (usize, std::collections::BTreeSet<String>) {
        let records = table(doc, "records");
        (records.len(), records.iter().map(|r| r["person"].as_str().unwrap().to_string()).collect())
    };
    let path = format!("/exports/kirkpatrick?cohort={cohort}");
    let (rows, people) = persons(&export(&w, &w.researcher.token, &path));
    assert_eq!((rows, people.len()), (7, 6), "two trajectories of one person");

    consent("research", false);
    let (rows, after) = persons(&export(&w, &w.researcher.token, &path));
    assert_eq!((rows, after.len()), (5, 5), "both of the person's trajectories are out");
    assert!(after.is_subset(&people));
    // The project leader's operational export of the own organisation still has both.
    let (rows, _) = persons(&export(&w, &w.pl_a.token, &path));
    assert_eq!(rows, 7);
}

/// Cohorts "Groot" with six and "Klein" with two employees of `w.org_a`, all with research
/// consent: the cohorts' ids, then the people of each.
fn groot_and_klein(w: &World) -> (String, String, Vec<Person>, Vec<Person>) {
    let cohort = |name: &str| {
        json_id(
            w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": name})),
            201,
        )
    };
    let (large, small) = (cohort("Groot"), cohort("Klein"));
    let people = (1..=6).map(|i| employee(w, &format!("g{i}"), &large, true)).collect();
    let few = (1..=2).map(|i| employee(w, &format!("k{i}"), &small, true)).collect();
    (large, small, people, few)
}

/// A small cohort hidden in its own row cannot be found again from the total row: one more
/// cohort is hidden with it, and within a row a hidden category cannot be found from `n`.
#[test]
fn a_small_cohort_cannot_be_worked_out_from_the_total() {
    let w = World::new();
    let app = &w.app;
    let (_, _, people, few) = groot_and_klein(&w);
    // Baselines: five women and one man in the large cohort, two women in the small one.
    for (i, p) in people.iter().chain(&few).enumerate() {
        answer(&w, p, "employee-baseline", baseline(if i == 5 { "male" } else { "female" }, 40 + i as i64, 3, true));
    }
    let doc = export(&w, &w.researcher.token, &format!("/exports/process?organization={}", w.org_a));
    let rows = table(&doc, "participants");
    let (g, k, t) =
        (find(rows, "cohort", "Groot"), find(rows, "cohort", "Klein"), find(rows, "organization", "totaal"));
    assert!(suppressed(k, "n"), "two people: hidden in their row");
    // Without more hidden cells, totaal minus Groot would give Klein's 2 (and its women, ages).
    for column in ["n", "sex_female", "sex_male", "age_mean"] {
        let hidden = [g, k, t].iter().filter(|r| r[column].is_null()).count();
        assert_ne!(hidden, 1, "{column}: one hidden cell in a sum is found by subtraction: {rows:?}");
    }
    assert!(suppressed(g, "n") && suppressed(g, "age_mean"), "the smallest other cohort goes with it: {g}");
    assert_eq!(t["n"], 8, "the total of both stays");
    // In the total row one man among eight would be found as n minus the women: both hidden.
    assert!(suppressed(t, "sex_male") && suppressed(t, "sex_female"), "{t}");
    // CSV tells the two apart: `<5` is about fewer than five people, `x` is withheld.
    let path = format!("/exports/process?organization={}&format=csv&table=participants", w.org_a);
    let csv = app.get(&path, Some(&w.researcher.token)).text().unwrap();
    let line = |cohort: &str| csv.lines().find(|l| l.contains(cohort)).unwrap().to_string();
    assert!(line(";Klein;").contains(";Klein;<5;"), "{csv}");
    assert!(line(";Groot;").contains(";Groot;x;"), "{csv}");

    // Six stop at the same step, five for a medical reason and one for another: the one is
    // hidden, and the five with it, or the step's `stopped_here` minus five would give it.
    for (i, p) in people.iter().enumerate() {
        let reason = if i < 5 { "medical" } else { "other" };
        let res = app.patch(
            &format!("/trajectories/{}", p.trajectory),
            Some(&w.coach_a.token),
            &json!({"status": "stopped", "stop_reason": reason}),
        );
        assert_eq!(res.status(), 200);
    }
    let doc = export(&w, &w.researcher.token, &format!("/exports/process?organization={}", w.org_a));
    let step = find(table(&doc, "reach"), "step", "research_consent");
    assert_eq!(step["stopped_here"], 6, "{step}");
    let stops = table(&doc, "reach_stops");
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert!(stops.iter().all(|r| r["step"] == "research_consent" && suppressed(r, "n")), "{stops:?}");
}

/// Exports of nested scopes cannot be subtracted from each other: the organisation minus its
/// large cohort would be the small one. Every scope's figures are protected together, so the
/// large cohort's are withheld in its own export as in the organisation's, for the researcher
/// and the project leader alike.
#[test]
fn nested_exports_cannot_be_subtracted_from_each_other() {
    let w = World::new();
    let (large, small, people, few) = groot_and_klein(&w);
    for (i, p) in people.iter().chain(&few).enumerate() {
        answer(&w, p, "employee-baseline", baseline("female", 40 + i as i64, 3, true));
        intake(&w, p);
    }
    // The tables, each row known by these columns, with the columns that count people.
    let tables: [(&str, &[&str], &[&str]); 5] = [
        ("reach", &["step"], &["n", "stopped_here"]),
        ("time_per_coach", &["coach"], &["trajectories"]),
        ("time_invested", &["measure"], &["n"]),
        ("fidelity", &["part"], &["n"]),
        ("participants", &["organization", "cohort"], &["n", "sex_female", "long_term", "reason_none"]),
    ];
    for token in [&w.researcher.token, &w.pl_a.token] {
        let org = export(&w, token, &format!("/exports/process?organization={}", w.org_a));
        let groot = export(&w, token, &format!("/exports/process?cohort={large}"));
        let klein = export(&w, token, &format!("/exports/process?cohort={small}"));
        for (key, by, counts) in tables {
            for row in table(&org, key) {
                let same = |doc: &Value| -> Value {
                    table(doc, key).iter().find(|r| by.iter().all(|b| r[*b] == row[*b])).cloned().unwrap_or(Value::Null)
                };
                let (g, k) = (same(&groot), same(&klein));
                for c in counts {
                    if let (Some(all), Some(part)) = (row[*c].as_i64(), g[*c].as_i64()) {
                        assert!(!(1..5).contains(&(all - part)), "{key} {c}: {row} minus {g}");
                    }
                    assert!(!k[*c].is_i64() || k[*c] == 0, "the small cohort is hidden in its own export: {k}");
                }
            }
        }
        // The large cohort's row is the same in the organisation's export and in its own.
        let own = find(table(&groot, "participants"), "cohort", "Groot");
        let in_org = find(table(&org, "participants"), "cohort", "Groot");
        for c in ["n", "age_mean", "sex_female"] {
            assert_eq!(own[c], in_org[c], "{c}");
        }
        assert!(suppressed(own, "n") && suppressed(own, "age_mean"), "{own}");
        // With its `n` withheld, no share of it is shown beside a count: the two give it back.
        for (key, share) in [("fidelity", "percent"), ("reach", "percent_of_approached")] {
            for row in table(&groot, key) {
                let counted = row["n"].as_i64().is_some_and(|n| n > 0);
                assert!(!(counted && row[share].is_number()), "{key}: {row}");
            }
        }
        assert_eq!(find(table(&org, "participants"), "organization", "totaal")["n"], 8);
        let approached = find(table(&groot, "reach"), "step", "approached");
        assert!(suppressed(approached, "n") && suppressed(approached, "percent_of_approached"), "{approached}");
        assert_eq!(find(table(&org, "reach"), "step", "approached")["n"], 8);
        // The records are the cohort's own.
        assert_eq!(table(&groot, "records").len(), 6);
    }
    // A researcher's organisation lies within all organisations: the same holds one level up.
    let all = export(&w, &w.researcher.token, "/exports/process");
    let org = export(&w, &w.researcher.token, &format!("/exports/process?organization={}", w.org_a));
    let n = |doc: &Value| find(table(doc, "participants"), "organization", "totaal")["n"].as_i64();
    if let (Some(a), Some(o)) = (n(&all), n(&org)) {
        assert!(!(1..5).contains(&(a - o)), "all {a}, organisation {o}");
    }
}

/// An export's audit entries are written before its first and its last bytes go out: when the
/// entry that it begins cannot be written, nothing goes out; when the closing one (with the row
/// counts) cannot, the download breaks off instead of arriving whole.
#[test]
fn an_export_whose_audit_entry_fails_does_not_arrive_whole() {
    use diesel::connection::SimpleConnection;
    let w = World::new();
    let path = "/exports/kirkpatrick?format=json";
    assert!(w.app.get(path, Some(&w.researcher.token)).json::<Value>().is_ok(), "whole while the log works");
    let audit = |action: &str| -> usize {
        let page: Value = w.app.get(&format!("/audit?action={action}"), Some(&w.admin.token)).json().unwrap();
        page["items"].as_array().unwrap().len()
    };
    assert_eq!((audit("export.kirkpatrick.started"), audit("export.kirkpatrick")), (1, 2), "begun, and done");
    let refuse = |pattern: &str| match w.app.target.backend {
        wilkan::db::Backend::Sqlite => format!(
            "DROP TRIGGER IF EXISTS refuse_export_entries; \
             CREATE TRIGGER refuse_export_entries BEFORE INSERT ON audit_log \
             WHEN NEW.action LIKE '{pattern}' BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;"
        ),
        wilkan::db::Backend::Postgres => format!(
            "DROP TRIGGER IF EXISTS refuse_export_entries ON audit_log; \
             CREATE OR REPLACE FUNCTION refuse_export_entries() RETURNS trigger AS $$ \
             BEGIN IF NEW.action LIKE '{pattern}' THEN RAISE EXCEPTION 'audit log unavailable'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_export_entries BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_export_entries();"
        ),
    };
    // The closing entry fails: the export breaks off.
    w.app.conn().batch_execute(&refuse("export.kirkpatrick")).unwrap();
    // Broken off before its head or within its body: small, it may all be written before the
    // entry fails, and the connection then closes without an answer.
    let body = w.app.request(Method::GET, path, Some(&w.researcher.token)).send().and_then(|r| r.bytes());
    assert!(
        body.as_ref().map_or(true, |b| serde_json::from_slice::<Value>(b).is_err()),
        "no whole export without its entry: {:?} bytes",
        body.as_ref().map(|b| b.len())
    );
    // The opening entry fails: a problem, and not a byte of the export.
    w.app.conn().batch_execute(&refuse("export.%.started")).unwrap();
    let failed = problem(w.app.get(path, Some(&w.researcher.token)), 500);
    assert!(failed.get("tables").is_none(), "{failed}");
}

/// Courses, group invitations and buddy pairs are the employee's, not the trajectory's: an
/// employee's second trajectory shows what was begun in it, and the first keeps its own, so
/// nothing is counted twice. A course done again in the second (a learning round of its own,
/// `courses::rounds`) counts for each.
#[test]
fn a_second_trajectory_counts_only_what_was_begun_in_it() {
    let w = World::new();
    let app = &w.app;
    let coach = Some(w.coach_a.token.as_str());
    let cohort = json_id(
        app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "R"})),
        201,
    );
    let e: Vec<Person> = (1..=5).map(|i| employee(&w, &format!("s{i}"), &cohort, true)).collect();
    complete(&w, &e[0], C1);
    let second = stop_and_start_again(&w, &e[0], &cohort);
    let path = format!("/trajectories/{second}/consents");
    assert_eq!(app.post(&path, Some(&e[0].token), &json!({"kind": "method", "given": true})).status(), 201);
    assert_eq!(app.patch(&format!("/trajectories/{second}"), coach, &json!({"status": "active"})).status(), 200);

    // In the second trajectory: the first course again, another course, a group session attended
    // and a buddy.
    let again = json!({"text": "Nu vraag ik eerder om hulp.", "choice": "none"});
    assert_eq!(app.send(Method::PUT, &format!("/me/courses/{C1}/reflection"), Some(&e[0].token), &again).status(), 200);
    complete(&w, &e[0], C2);
    let session = json_id(
        app.post(
            "/group-sessions",
            coach,
            &json!({"starts_at": format!("{}T23:59:00", crate::helpers::days_from_today(0)), "place": "Kantine", "topic": "kwaliteiten", "invite": [e[0].id]}),
        ),
        201,
    );
    let attendance = json!({"attendance": {e[0].id.clone(): "present"}});
    assert_eq!(
        app.send(Method::PUT, &format!("/group-sessions/{session}/attendance"), coach, &attendance).status(),
        200
    );
    let pair = json_id(app.post("/buddy-pairs", coach, &json!({"employee_a": e[0].id, "employee_b": e[1].id})), 201);
    for p in [&e[0], &e[1]] {
        let r = app.post(&format!("/buddy-pairs/{pair}/confirm"), Some(&p.token), &json!({"contact": "06-12345678"}));
        assert_eq!(r.status(), 200);
    }

    let doc = export(&w, &w.pl_a.token, &format!("/exports/kirkpatrick?cohort={cohort}"));
    let records = table(&doc, "records");
    assert_eq!(records.len(), 6);
    let figures = |r: &Value| (r["courses_completed"].clone(), r["group_attended"].clone(), r["buddy"].clone());
    let first = find(records, "status", "stopped");
    assert_eq!(figures(first), (json!(1), json!(0), json!(false)), "the first keeps its course only: {first}");
    let theirs: Vec<&Value> = records.iter().filter(|r| r["person"] == first["person"]).collect();
    assert_eq!(theirs.len(), 2);
    let now = theirs.into_iter().find(|r| r["status"] != "stopped").unwrap();
    assert_eq!(figures(now), (json!(2), json!(1), json!(true)), "the second has what was begun in it: {now}");
    // The buddy's own single trajectory has the pair too; the others have nothing.
    let with_buddy = records.iter().filter(|r| r["buddy"] == true).count();
    let attended: i64 = records.iter().map(|r| r["group_attended"].as_i64().unwrap()).sum();
    let completed: i64 = records.iter().map(|r| r["courses_completed"].as_i64().unwrap()).sum();
    assert_eq!((with_buddy, attended, completed), (2, 1, 3), "each counted once");
    // Each trajectory's reflection on the first course is its own text.
    let texts = export(&w, &w.pl_a.token, &format!("/exports/kirkpatrick?cohort={cohort}&level=2&free_text=true"));
    let mut on_c1: Vec<&str> = table(&texts, "texts")
        .iter()
        .filter(|t| t["about"] == format!("reflectie {C1}"))
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    on_c1.sort();
    assert_eq!(on_c1, ["Ik neem mee dat ik hulp mag vragen.", "Nu vraag ik eerder om hulp."]);
    // A researcher gets buddy pairs as counts only: no record says who has one.
    let k = export(&w, &w.researcher.token, &format!("/exports/kirkpatrick?cohort={cohort}"));
    let records = table(&k, "records");
    assert!(!records.is_empty() && records.iter().all(|r| r.get("buddy").is_none()), "{records:?}");
    let p = export(&w, &w.researcher.token, &format!("/exports/process?cohort={cohort}"));
    let records = table(&p, "records");
    assert!(!records.is_empty() && records.iter().all(|r| r.get("used_buddy").is_none()), "{records:?}");
    assert!(records.iter().all(|r| r.get("used_intake").is_some()), "the other parts stay: {records:?}");
    assert!(table(&p, "fidelity").iter().any(|r| r["part"] == "buddy"), "counted there");

    // The timelines divide the invitations as the export does, by when they were made: a session
    // held yesterday and recorded now is the second trajectory's, though it began before it.
    let held = json!({"starts_at": format!("{}T09:00:00", crate::helpers::days_from_today(-1)), "place": "Kantine", "topic": "invloed", "invite": [e[0].id]});
    json_id(app.post("/group-sessions", coach, &held), 201);
    let sessions = |t: &str| -> Vec<String> {
        let v: Value = app.get(&format!("/trajectories/{t}/timeline"), coach).json().unwrap();
        let items = v["items"].as_array().unwrap().iter();
        items.filter(|i| i["kind"] == "group_session").map(|i| i["title"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(sessions(&e[0].trajectory), Vec::<String>::new(), "the first trajectory's timeline");
    assert_eq!(sessions(&second).len(), 2, "the second's: {:?}", sessions(&second));
    // An invitation from before the first trajectory is the first's, as in the exports.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let moved = {
        use diesel::prelude::*;
        use wilkan::db::schema::group_invitations as gi;
        let long_ago = chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(400);
        diesel::update(gi::table.filter(gi::employee_id.eq(&e[0].id)))
            .set(gi::invited_at.eq(long_ago))
            .execute(&mut app.conn())
            .unwrap()
    };
    assert_eq!(moved, 2);
    assert_eq!(sessions(&e[0].trajectory).len(), 2, "{:?}", sessions(&e[0].trajectory));
    assert_eq!(sessions(&second), Vec::<String>::new());
}

/// Level 2's per-course counts are each of people who began the course: beside `started` a
/// count also tells how many did not finish, so it is hidden when they are 1 to 4.
#[test]
fn a_course_count_is_hidden_when_few_of_those_who_began_did_not_finish() {
    let w = World::new();
    let cohort = new_cohort(&w, "R");
    let e: Vec<Person> = (1..=6).map(|i| employee(&w, &format!("l{i}"), &cohort, true)).collect();
    for p in &e[..5] {
        complete(&w, p, C2);
    }
    let page = format!("/me/courses/{C2}/pages/successen-vieren");
    assert_eq!(w.app.send(Method::PUT, &page, Some(&e[5].token), &json!({"status": "visited"})).status(), 200);
    let k = export(&w, &w.researcher.token, &format!("/exports/kirkpatrick?cohort={cohort}&level=2"));
    let row = find(table(&k, "l2_courses"), "course", C2);
    assert_eq!(row["started"], 6, "{row}");
    // Five finished and wrote a reflection, one did not: 6 - 5 would be that one.
    assert!(suppressed(row, "completed") && suppressed(row, "reflections"), "{row}");
    assert_eq!(row["talk_coach"], 0, "nobody asked: no one to point at");
}

/// A cohort's coach figures beside its organisation's: when the organisation has one to four
/// coaches more, the organisation's export less the cohort's would be their answers, so the
/// cohort's are withheld (the organisation's are shown).
#[test]
fn a_cohort_s_coach_figures_are_withheld_when_its_organisation_has_a_few_more() {
    let w = World::new();
    let pl = w.pl_a.token.clone();
    let (r1, r2) = (new_cohort(&w, "Ronde 1"), new_cohort(&w, "Ronde 2"));
    for i in 0..5 {
        coach(&w, i, &r1, true, 4, 8);
    }
    let training = |token: &str, query: &str| -> (Value, Value) {
        let k = export(&w, token, &format!("/exports/kirkpatrick?level=1{query}"));
        let row = table(&k, "l1_items")
            .iter()
            .find(|r| r["group"] == "coach" && r["item"] == "mark_training")
            .unwrap()
            .clone();
        let eight = table(&k, "l1_distribution")
            .iter()
            .find(|r| r["group"] == "coach" && r["item"] == "mark_training" && r["answer"] == "8")
            .unwrap()
            .clone();
        (row, eight)
    };
    let (row, _) = training(&pl, &format!("&cohort={r1}"));
    assert_eq!((row["n"].clone(), row["mean"].clone()), (json!(5), json!(8.0)), "alone in the organisation: {row}");
    // One more coach, in the second round, with a 3.
    coach(&w, 5, &r2, true, 4, 3);
    for token in [&pl, &w.researcher.token] {
        let (all, _) = training(token, "");
        assert_eq!(all["n"], 6, "{all}");
        let (row, eight) = training(token, &format!("&cohort={r1}"));
        for col in ["n", "mean"] {
            assert!(suppressed(&row, col), "{col} of the first round, 6 - 5 = 1 coach away: {row}");
        }
        assert!(suppressed(&eight, "n") && suppressed(&eight, "percent"), "{eight}");
        let (row, _) = training(token, &format!("&cohort={r2}"));
        assert!(suppressed(&row, "n"), "one coach: {row}");
    }
    // An organisation with every coach of the study keeps its figures: nobody is a few away.
    let (row, _) = training(&w.researcher.token, &format!("&organization={}", w.org_a));
    assert_eq!(row["n"], 6, "{row}");
}

/// A coach answers once per cohort; across cohorts they are one person: `n` and the rule of five
/// count coaches, with each coach's latest answer.
#[test]
fn a_coach_in_several_cohorts_counts_once() {
    let w = World::new();
    let (r1, r2, r3) = (new_cohort(&w, "Ronde 1"), new_cohort(&w, "Ronde 2"), new_cohort(&w, "Ronde 3"));
    for i in 0..10 {
        coach(&w, i, &r1, true, 4, 7);
    }
    // Five of them answer again in the second round, with a 10.
    let again = |cohort: &str, coaches: std::ops::Range<usize>, mark: i64| {
        for i in coaches {
            coach_answers(&w, &w.app.token(&format!("coach{i}@wilkan.test")), cohort, true, 4, mark);
        }
    };
    again(&r2, 0..5, 10);
    // A coach lists their own answers, both rounds, and no other coach's.
    let coach0 = w.app.token("coach0@wilkan.test");
    let own: Value = w.app.get("/questionnaires/coach-evaluation/responses", Some(&coach0)).json().unwrap();
    let own = own["items"].as_array().unwrap();
    let me: Value = w.app.get("/me", Some(&coach0)).json().unwrap();
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(own.iter().all(|r| r["respondent_id"] == me["id"]), "{own:?}");
    let mark = |query: &str| {
        let k = export(&w, &w.researcher.token, &format!("/exports/kirkpatrick?key=studie-2026{query}"));
        table(&k, "l1_items").iter().find(|r| r["group"] == "coach" && r["item"] == "mark_training").unwrap().clone()
    };
    let all = mark("");
    assert_eq!((all["n"].clone(), all["mean"].clone()), (json!(10), json!(8.5)), "{all}"); // five 10s, five 7s
    let (first, second) = (mark(&format!("&cohort={r1}")), mark(&format!("&cohort={r2}")));
    assert_eq!((first["n"].clone(), first["mean"].clone()), (json!(10), json!(7.0)));
    assert_eq!((second["n"].clone(), second["mean"].clone()), (json!(5), json!(10.0)));
    // Two answer in a third round: too few to show, and now over all rounds the two 9s are hidden
    // in the distribution and with them the mean, which would give them back (beside the five
    // 7s shown, two 9s and three 10s are the only way to 8.3).
    again(&r3, 0..2, 9);
    assert!(suppressed(&mark(&format!("&cohort={r3}")), "n"), "two coaches in round 3");
    let all = mark("");
    assert_eq!(all["n"], 10);
    assert!(suppressed(&all, "mean") && suppressed(&all, "sd"), "{all}");
    // Three say no to research use with their answer in the second round: their latest word, so
    // out of the first round's figures too, though those answers said yes.
    for i in 5..8 {
        coach_answers(&w, &w.app.token(&format!("coach{i}@wilkan.test")), &r2, false, 4, 10);
    }
    let first = mark(&format!("&cohort={r1}"));
    assert_eq!((first["n"].clone(), first["mean"].clone()), (json!(7), json!(7.0)), "{first}");
}

/// Someone approached who never consented is counted in the funnel, not as a participant of the
/// project leader's figures.
#[test]
fn the_project_leaders_figures_are_about_those_who_joined() {
    let w = World::new();
    let pl = w.pl_a.token.clone();
    let r1 =
        json_id(w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&pl), &json!({"name": "R1"})), 201);
    let joined: Vec<Person> = (0..6).map(|i| employee(&w, &format!("deelnemer{i}"), &r1, true)).collect();
    let declined = json_id(
        w.app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": "nee@wilkan.test", "first_name": "Nee", "role": "employee", "organization_id": w.org_a}),
        ),
        201,
    );
    // Approached by a second coach, who has no one else.
    let recruiter = json_id(
        w.app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": "werver@wilkan.test", "first_name": "Werver", "role": "coach", "organization_id": w.org_a, "password": PASSWORD}),
        ),
        201,
    );
    let body = json!({"employee_id": declined, "coach_id": recruiter, "cohort_id": r1, "inclusion": inclusion_ok()});
    let t = json_id(w.app.post("/trajectories", Some(&pl), &body), 201);
    let minutes = w.app.patch(&format!("/trajectories/{t}"), Some(&pl), &json!({"recruitment_minutes": 30}));
    assert_eq!(minutes.status(), 200, "{}", minutes.text().unwrap_or_default());
    let p = export(&w, &pl, &format!("/exports/process?cohort={r1}"));
    assert_eq!(find(table(&p, "reach"), "step", "approached")["n"], 7);
    assert_eq!(p["row_counts"]["records"], 6, "the one who declined is no participant");
    assert_eq!(find(table(&p, "participants"), "organization", "totaal")["n"], 6);
    // The coach who recruited only the one who declined has no row about nobody (their minutes
    // count in the total, which over one person is hidden).
    assert_eq!(table(&p, "time_per_coach").len(), 1, "{:?}", table(&p, "time_per_coach"));
    // A research "yes" without the method counts in the researcher's funnel, and is no
    // participant there either (the funnel puts research consent after method consent).
    let research = w.app.post(
        &format!("/trajectories/{t}/consents"),
        Some(&w.app.token("werver@wilkan.test")),
        &json!({"kind": "research", "given": true}),
    );
    assert_eq!(research.status(), 201, "{}", research.text().unwrap_or_default());
    let r = export(&w, &w.researcher.token, &format!("/exports/process?cohort={r1}"));
    assert_eq!(find(table(&r, "reach"), "step", "approached")["n"], 7);
    assert_eq!(find(table(&r, "reach"), "step", "research_consent")["n"], 6);
    assert_eq!(r["row_counts"]["records"], 6, "the one who declined the method is no participant");
    assert_eq!(find(table(&r, "participants"), "organization", "totaal")["n"], 6);

    // An app message with agreements is time spent, not a talk with agreements.
    let message = w.app.post(
        &format!("/trajectories/{}/logbook", joined[0].trajectory),
        Some(&w.coach_a.token),
        &json!({"date": crate::helpers::local_today(), "kind": "message", "duration_minutes": 5,
                "preparation_minutes": 0, "led_by": "coach", "agreements": "Bel maandag", "shared_with_employee": true}),
    );
    assert_eq!(message.status(), 201, "{}", message.text().unwrap_or_default());
    let k = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&level=3"));
    let records = table(&k, "records");
    assert_eq!(records.len(), 6);
    assert!(records.iter().all(|r| r["sessions"] == 0 && r["agreements"] == 0), "{records:?}");

    // Five of the six back at work: the one who is not is a group of one, also in the `n` of the
    // figures about those who returned.
    for person in &joined[..5] {
        let r = w.app.send(
            reqwest::Method::PUT,
            &format!("/trajectories/{}/return", person.trajectory),
            Some(&w.coach_a.token),
            &json!({"date": crate::helpers::local_today(), "extent": "full", "hours_per_week": 32.0, "own_work": true}),
        );
        assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    }
    let k = export(&w, &pl, &format!("/exports/kirkpatrick?cohort={r1}&level=4"));
    let results = table(&k, "l4_results");
    for measure in ["returned_percent", "days_to_return_mean", "hours_at_return_mean", "hours_latest_mean"] {
        let row = find(results, "measure", measure);
        assert!(suppressed(row, "n") && suppressed(row, "value"), "{measure}: {row}");
    }
}

/// An erasure takes the texts, not what is counted: reflections written and sessions with
/// agreements count as before (DOMAIN.md: "aggregate counts kept without identity").
#[test]
fn an_erasure_keeps_the_counts_of_reflections_and_agreements() {
    let w = World::new();
    let cohort = new_cohort(&w, "R");
    let e: Vec<Person> = (1..=5).map(|i| employee(&w, &format!("s{i}"), &cohort, true)).collect();
    for p in &e {
        complete(&w, p, C1);
        logbook(&w, p, 30, 10, "together");
    }
    // Agreements of white space only (a line break, a no-break space): not counted, before the
    // erasure or after.
    let blank = json!({"date": crate::helpers::local_today(), "kind": "coaching_talk", "duration_minutes": 20,
                       "preparation_minutes": 5, "led_by": "together", "agreements": "\u{a0}\n",
                       "shared_with_employee": true});
    let r = w.app.post(&format!("/trajectories/{}/logbook", e[0].trajectory), Some(&w.coach_a.token), &blank);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    // A weighing with one of them: counted in the project leaders' summary.
    let weighed = w.app.post(
        &format!("/trajectories/{}/logbook", e[0].trajectory),
        Some(&w.coach_a.token),
        &crate::helpers::entry_body(true),
    );
    assert_eq!(weighed.status(), 201, "{}", weighed.text().unwrap_or_default());
    let figures = || {
        let k = export(&w, &w.pl_a.token, &format!("/exports/kirkpatrick?cohort={cohort}"));
        let c1 = find(table(&k, "l2_courses"), "course", C1).clone();
        let summary: Value = w.app.get("/weighings/summary", Some(&w.pl_a.token)).json().unwrap();
        (
            (c1["completed"].clone(), c1["reflections"].clone()),
            find(table(&k, "l3_signals"), "measure", "agreements_mean")["value"].clone(),
            summary,
        )
    };
    let before = figures();
    assert_eq!((before.0.clone(), before.1.clone()), ((json!(5), json!(5)), json!(1.2)), "shown: five people");
    assert_eq!(before.2["entries_with_weighing"], 1, "{}", before.2);
    let mine = || -> usize {
        let v: Value = w.app.get("/weighings", Some(&w.coach_a.token)).json().unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!(mine(), 1);
    let erase = json!({"reason": "Verzoek van de medewerker (AVG)"});
    assert_eq!(w.app.post(&format!("/users/{}/erase", e[0].id), Some(&w.admin.token), &erase).status(), 200);
    assert_eq!(figures(), before);
    assert_eq!(mine(), 0, "not about an erased person");
    // Her reflection is no text in the free text: the mark would tell which pseudonym was erased.
    let texts = export(&w, &w.pl_a.token, &format!("/exports/kirkpatrick?cohort={cohort}&level=2&free_text=true"));
    let texts = table(&texts, "texts");
    assert_eq!(texts.iter().filter(|t| t["about"] == format!("reflectie {C1}")).count(), 4, "{texts:?}");
    assert!(texts.iter().all(|t| t["text"] != "[verwijderd]"), "{texts:?}");
}
