//! The organisations' calendar: "today" for a running absence and for aftercare is the date in
//! their time zone (`WILKAN_TIME_ZONE`), not UTC's.

use chrono::{NaiveDate, TimeDelta};
use reqwest::Method as M;
use serde_json::{json, Value};

use crate::helpers::{json_id, problem, TestApp, World};

#[test]
fn absences_and_aftercare_count_on_the_organisations_date() {
    // Two zones 26 hours apart never show the same date, so at any hour at least one of them
    // differs from UTC's: a server on the UTC calendar fails one of the two rounds.
    for zone in ["Etc/GMT-14", "Etc/GMT+12"] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let w = World::on(TestApp::spawn_with(&[("WILKAN_TIME_ZONE", zone)]));
        let m = w.method();
        let (app, coach) = (&w.app, Some(w.coach_a.token.as_str()));
        let today = wilkan::local_time::today(tz);
        let ago = |days: i64| (today - TimeDelta::days(days)).to_string();

        // A running absence of ten days on their calendar.
        let absences = format!("/employees/{}/absences", w.employee_a.id);
        let res = app.post(&absences, coach, &json!({"start_date": ago(9), "percentage": 100}));
        assert_eq!(res.status(), 201, "{zone}");
        let summary: Value = app.get(&format!("/employees/{}/absence-summary", w.employee_a.id), coach).json().unwrap();
        let as_of: NaiveDate = summary["as_of"].as_str().unwrap().parse().unwrap();
        // The test's own clock may pass their midnight between its reading and the server's.
        assert!(as_of == today || as_of == today + TimeDelta::days(1), "{zone}: {summary}");
        let running = (as_of - today).num_days() + 10;
        assert_eq!(summary["current_episode"]["days"], running, "{zone}: {summary}");
        let list: Value = app.get(&absences, coach).json().unwrap();
        let open = list["items"].as_array().unwrap().iter().find(|a| a["end_date"].is_null()).unwrap();
        assert_eq!(open["days"], running, "{zone}: {list}");

        // Back at work fifteen days ago: the check-in of week 2 was due yesterday.
        let t = format!("/trajectories/{}", m.trajectory);
        let back = json!({"date": ago(15), "extent": "partial", "hours_per_week": 12.0, "own_work": true});
        let ret: Value = app.send(M::PUT, &format!("{t}/return"), coach, &back).json().unwrap();
        let week2 = ret["aftercare"].as_array().unwrap().iter().find(|c| c["week"] == 2).unwrap().clone();
        assert_eq!(week2["due_on"], ago(1), "{zone}: {ret}");
        assert_eq!(week2["overdue"], true, "{zone}: {ret}");
        let due: Value = app.get("/aftercare/due", coach).json().unwrap();
        let item = due["items"].as_array().unwrap().iter().find(|i| i["id"] == week2["id"]).unwrap();
        assert_eq!(item["days_overdue"], (as_of - today).num_days() + 1, "{zone}: {due}");
    }
}

/// An absence has begun, and ends today at the latest, on the organisations' calendar: an episode
/// dated ahead would, left open, overlap every episode recorded after it. Refused when recorded
/// and when corrected, naming the field.
#[test]
fn an_absence_neither_begins_nor_ends_after_the_organisations_today() {
    for zone in ["Etc/GMT-14", "Etc/GMT+12"] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let w = World::on(TestApp::spawn_with(&[("WILKAN_TIME_ZONE", zone)]));
        let _m = w.method();
        let (app, coach) = (&w.app, Some(w.coach_a.token.as_str()));
        let today = wilkan::local_time::today(tz);
        let ago = |days: i64| (today - TimeDelta::days(days)).to_string();
        // Two days ahead: the server's clock may pass their midnight after the test's reading.
        let ahead = (today + TimeDelta::days(2)).to_string();
        let message = |body: &Value, field: &str| body["errors"][field][0].as_str().unwrap_or_default().to_string();

        let absences = format!("/employees/{}/absences", w.employee_a.id);
        let before = app.count("absences");
        let err = problem(app.post(&absences, coach, &json!({"start_date": ahead})), 422);
        assert!(message(&err, "start_date").contains("toekomst beginnen"), "{zone}: {err}");
        let err = problem(app.post(&absences, coach, &json!({"start_date": ago(3), "end_date": ahead})), 422);
        assert!(message(&err, "end_date").contains("toekomst eindigen"), "{zone}: {err}");
        assert_eq!(app.count("absences"), before, "{zone}");

        // Their today is the last day an episode may begin and end on.
        let id = json_id(app.post(&absences, coach, &json!({"start_date": ago(0), "end_date": ago(0)})), 201);
        let episode = format!("/absences/{id}");
        let err = problem(app.patch(&episode, coach, &json!({"end_date": ahead})), 422);
        assert!(message(&err, "end_date").contains("toekomst eindigen"), "{zone}: {err}");
        let err = problem(app.patch(&episode, coach, &json!({"start_date": ahead, "end_date": null})), 422);
        assert!(message(&err, "start_date").contains("toekomst beginnen"), "{zone}: {err}");
        let now: Value = app.get(&absences, coach).json().unwrap();
        let kept = now["items"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap();
        assert_eq!((&kept["start_date"], &kept["end_date"]), (&json!(ago(0)), &json!(ago(0))), "{zone}: {now}");
        // A day that has come is taken: open again, from yesterday.
        let res = app.patch(&episode, coach, &json!({"start_date": ago(1), "end_date": null}));
        assert_eq!(res.status(), 200, "{zone}");
    }
}

/// An episode closed by mistake opens again when its last day is emptied (`null`); left out, the
/// last day stays. Opened again, it may not run over a later episode.
#[test]
fn a_closed_absence_opens_again_when_its_last_day_is_emptied() {
    let w = World::new();
    let _m = w.method();
    let (app, coach) = (&w.app, Some(w.coach_a.token.as_str()));
    let today = crate::helpers::local_today();
    let ago = |days: i64| (today - TimeDelta::days(days)).to_string();
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    let first = json_id(app.post(&absences, coach, &json!({"start_date": ago(60), "end_date": ago(50)})), 201);
    let episode = format!("/absences/{first}");

    // Left out: the last day stays.
    let res: Value = app.patch(&episode, coach, &json!({"percentage": 50})).json().unwrap();
    assert_eq!((&res["end_date"], &res["percentage"]), (&json!(ago(50)), &json!(50)), "{res}");
    // Emptied: the episode runs again, and is the current one.
    let res = app.patch(&episode, coach, &json!({"end_date": null}));
    assert_eq!(res.status(), 200);
    let res: Value = res.json().unwrap();
    assert!(res["end_date"].is_null(), "{res}");
    assert_eq!((&res["start_date"], &res["percentage"]), (&json!(ago(60)), &json!(50)), "{res}");
    let summary: Value = app.get(&format!("/employees/{}/absence-summary", w.employee_a.id), coach).json().unwrap();
    assert_eq!(summary["current_episode"]["absence_id"], first.as_str(), "{summary}");

    // Closed again, with a later episode after it: emptying its last day would overlap that one.
    assert_eq!(app.patch(&episode, coach, &json!({"end_date": ago(50)})).status(), 200);
    json_id(app.post(&absences, coach, &json!({"start_date": ago(10), "end_date": ago(5)})), 201);
    let err = problem(app.patch(&episode, coach, &json!({"end_date": null})), 422);
    let overlap = "Deze periode overlapt met een andere ziekteperiode. Pas die periode aan.";
    assert_eq!(err["errors"]["start_date"][0], overlap, "{err}");
    let list: Value = app.get(&absences, coach).json().unwrap();
    let kept = list["items"].as_array().unwrap().iter().find(|a| a["id"] == first.as_str()).unwrap();
    assert_eq!(kept["end_date"], ago(50), "{list}");
}
