//! The organisations' calendar: "today" for a running absence and for aftercare is the date in
//! their time zone (`WILKAN_TIME_ZONE`), not UTC's.

use chrono::{NaiveDate, TimeDelta};
use reqwest::Method as M;
use serde_json::{json, Value};

use crate::helpers::{TestApp, World};

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
