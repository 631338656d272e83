//! Every list pages (API.md): one item per page gives the same items, in the same order, as one
//! page of all of them (so no gaps and no repeats, also where items share a date), and a bad
//! `limit` or `cursor` is refused with a 422 naming the field.

use chrono::Duration;
use reqwest::Method as M;
use serde_json::{json, Value};

use crate::helpers::{all_pages, entry_body, inclusion_ok, json_id, problem, Actor, TestApp, World, PASSWORD};

/// An employee of organisation A with an active trajectory coached by coach_a.
fn coached_employee(w: &World, name: &str, cohort: &str) -> Actor {
    let email = format!("{name}@wilkan.test");
    let pl = Some(w.pl_a.token.as_str());
    let body = json!({"email": email, "first_name": name, "role": "employee", "organization_id": w.org_a, "password": PASSWORD});
    // The admin sets the password: a project leader may not choose one for an employee.
    let id = json_id(w.app.post("/users", Some(&w.admin.token), &body), 201);
    let body = json!({"employee_id": id, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()});
    let t = format!("/trajectories/{}", json_id(w.app.post("/trajectories", pl, &body), 201));
    let coach = Some(w.coach_a.token.as_str());
    assert_eq!(w.app.post(&format!("{t}/consents"), coach, &json!({"kind": "method", "given": true})).status(), 201);
    assert_eq!(w.app.patch(&t, coach, &json!({"status": "active"})).status(), 200);
    Actor { id, token: w.app.token(&email), email }
}

#[test]
fn every_list_pages_without_gaps_or_repeats() {
    let w = World::on(TestApp::spawn_with(&[("WILKAN_CARD_HOLD_HOURS", "0")]));
    let m = w.method();
    let app = &w.app;
    let coach = Some(w.coach_a.token.as_str());
    let t = format!("/trajectories/{}", m.trajectory);
    let day = |ago: i64| (crate::helpers::local_today() - Duration::days(ago)).to_string();
    // A return long ago: all three aftercare check-ins are overdue (connect() adds hours later).
    let body = json!({"date": day(100), "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    assert_eq!(app.send(M::PUT, &format!("{t}/return"), coach, &body).status(), 200);
    let k = w.connect(&m);

    // Three of everything, two of them on the same date where the list sorts by date.
    for _ in 0..2 {
        json_id(app.post(&format!("{t}/logbook"), coach, &entry_body(true)), 201);
        let visit = json!({"date": day(-5), "kind": "coffee", "with_whom": "De ploeg", "status": "planned"});
        json_id(app.post(&format!("{t}/visits"), coach, &visit), 201);
    }
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    for (start, end) in [(300, 296), (200, 199)] {
        json_id(app.post(&absences, coach, &json!({"start_date": day(start), "end_date": day(end)})), 201);
    }
    let link: Value =
        app.post(&format!("{t}/card-links"), coach, &json!({"delivery": "email", "max_uses": 5})).json().unwrap();
    for name in ["Rob", "Fatima"] {
        let card = json!({"name": name, "message": "Sterkte, we denken aan je."});
        assert_eq!(app.post(&format!("/cards/{}", link["token"].as_str().unwrap()), None, &card).status(), 201);
    }
    let others: Vec<Actor> =
        ["bram", "chantal", "dewi", "emre"].iter().map(|n| coached_employee(&w, n, &m.cohort)).collect();
    for pair in others.chunks(2) {
        json_id(app.post("/buddy-pairs", coach, &json!({"employee_a": pair[0].id, "employee_b": pair[1].id})), 201);
    }

    // Three employees who chose a group talk in a course's reflection.
    for token in [&w.employee_a.token, &others[0].token, &others[1].token] {
        let body = json!({"text": "Samen praten helpt", "choice": "group_session"});
        assert_eq!(app.send(M::PUT, "/me/courses/invloed/reflection", Some(token), &body).status(), 200);
    }
    // A course without a session yet: all three are still to invite.
    let interest = "/group-sessions/interest?topic=invloed";

    let employee = Some(w.employee_a.token.as_str());
    for (path, token, n) in [
        (format!("{t}/logbook"), coach, 3),
        (format!("{t}/logbook"), employee, 3),
        (format!("{t}/visits"), employee, 3),
        (absences.clone(), Some(w.pl_a.token.as_str()), 3),
        ("/me/cards".to_string(), employee, 3),
        ("/buddy-pairs".to_string(), coach, 3),
        ("/aftercare/due".to_string(), coach, 3),
        (format!("{t}/cards"), coach, 3),
        (interest.to_string(), coach, 3),
    ] {
        let (all, pages) = all_pages(app, &path, token, 200);
        assert_eq!((all.len(), pages), (n, 1), "{path}");
        let (paged, pages) = all_pages(app, &path, token, 1);
        assert_eq!(pages, n, "{path}: one page per item");
        assert_eq!(paged, all, "{path}: the same items in the same order");
        let join = if path.contains('?') { '&' } else { '?' };
        assert!(problem(app.get(&format!("{path}{join}limit=0"), token), 422)["errors"]["limit"].is_array());
        assert!(problem(app.get(&format!("{path}{join}cursor=gisteren"), token), 422)["errors"]["cursor"].is_array());
    }
    // The timeline, built from many kinds of records, pages as the others do.
    let timeline = format!("{t}/timeline");
    let (all, pages) = all_pages(app, &timeline, coach, 200);
    assert!(all.len() >= 5 && pages == 1, "{} items", all.len());
    let (paged, pages) = all_pages(app, &timeline, coach, 2);
    assert_eq!((paged, pages), (all.clone(), all.len().div_ceil(2)));
    assert!(problem(app.get(&format!("{timeline}?cursor=gisteren"), coach), 422)["errors"]["cursor"].is_array());
    // Lists sorted by id: a cursor that is not a whole id is refused, not read as the list's end
    // (made up) or as a place pages back (cut off).
    let cut_off = &w.employee_a.id[..8];
    for (path, token) in [
        ("/users", Some(w.admin.token.as_str())),
        ("/organizations", Some(w.admin.token.as_str())),
        ("/trajectories", coach),
        ("/questionnaires/coach-evaluation/responses", coach),
        ("/audit", Some(w.pl_a.token.as_str())),
        (&*format!("/organizations/{}/cohorts", w.org_a), Some(w.pl_a.token.as_str())),
    ] {
        for cursor in ["gisteren", cut_off] {
            let err = problem(app.get(&format!("{path}?cursor={cursor}"), token), 422);
            assert!(err["errors"]["cursor"].is_array(), "{path} {cursor}: {err}");
        }
        assert_eq!(app.get(&format!("{path}?cursor={}", w.employee_a.id), token).status(), 200, "{path}");
    }
    // The orders the lists promise.
    let key = |path: &str, token, field: &str| -> Vec<String> {
        let (items, _) = all_pages(app, path, token, 1);
        items.iter().map(|i| i[field].as_str().unwrap().to_string()).collect()
    };
    let ascending = |v: &[String]| v.windows(2).all(|p| p[0] <= p[1]);
    assert!(ascending(&key(&format!("{t}/logbook"), coach, "date")));
    assert!(ascending(&key(&format!("{t}/visits"), coach, "date")));
    assert!(ascending(&key(&absences, coach, "start_date")));
    assert!(ascending(&key("/aftercare/due", coach, "due_on")));
    assert!(ascending(&key(&format!("{t}/cards"), coach, "created_at")), "a trajectory's cards oldest first");
    assert!(ascending(&key(interest, coach, "reflected_at")), "interest in the order it was shown");
    let mut newest = key("/me/cards", employee, "created_at");
    newest.reverse();
    assert!(ascending(&newest), "cards newest first");
    assert!(key("/buddy-pairs", coach, "id").contains(&k.pair));
}
