//! Return to work and aftercare: a return's record corrected, a step recorded late, and what the
//! employee reads of the coach's aftercare notes.

use diesel::prelude::*;
use reqwest::Method as M;
use serde_json::{json, Value};
use wilkan::db::schema::{aftercare_checkins, outbox};

use crate::connect::{queue_aftercare_reminders, spawn_with_mail};
use crate::helpers::{days_from_today, problem, World};
use crate::smtp::SmtpServer;

fn back(days: i64, hours: f64) -> Value {
    json!({"date": days_from_today(days), "extent": "partial", "hours_per_week": hours, "own_work": true})
}

fn correcting(record: &str, days: i64, hours: f64) -> Value {
    let mut body = back(days, hours);
    body["corrects"] = record.into();
    body
}

/// Due date per week of the check-ins, in week order.
fn due_dates(ret: &Value) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = ret["aftercare"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["week"].as_i64().unwrap(), c["due_on"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

/// Due date per week of the check-ins still due, in week order.
fn still_due(ret: &Value) -> Vec<(i64, String)> {
    let due: Value = ret["aftercare"].as_array().unwrap().iter().filter(|c| c["status"] == "due").cloned().collect();
    due_dates(&json!({ "aftercare": due }))
}

fn plan_from(days: i64) -> Vec<(i64, String)> {
    [2, 6, 12].into_iter().map(|w| (w, days_from_today(days + 7 * w))).collect()
}

/// A world with a mail server whose worker looks for mail once, at start: reminders are queued
/// by hand here, and stay in the outbox.
fn world_with_mail_held() -> (SmtpServer, World) {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    (smtp, w)
}

/// Records a return (or a correction) on the trajectory at `t` as its coach: the answer.
fn put_return(w: &World, t: &str, body: &Value) -> Value {
    let res = w.app.send(M::PUT, &format!("{t}/return"), Some(&w.coach_a.token), body);
    assert_eq!(res.status(), 200);
    res.json().unwrap()
}

/// A return typed with the wrong date is corrected in place: the check-ins still to come move with
/// it, a reminder already mailed goes out again at the new date, a check-in done keeps its date,
/// and the record says who corrected it. A step recorded late about an earlier day moves the plan
/// too. After the close a correction is still possible, a new step is not.
#[test]
fn a_corrected_return_moves_the_check_ins_still_to_come() {
    let (_smtp, w) = world_with_mail_held();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let put = |body: &Value| put_return(&w, &t, body);
    let remind = || -> Vec<String> {
        let before: i64 = outbox::table.count().get_result(&mut w.app.conn()).unwrap();
        queue_aftercare_reminders(&w.app);
        outbox::table.order(outbox::created_at).offset(before).select(outbox::template).load(&mut w.app.conn()).unwrap()
    };

    // Typed a month back; week 2 is overdue and mailed as such.
    let ret = put(&back(-30, 8.0));
    assert_eq!(due_dates(&ret), plan_from(-30));
    let record = ret["current"]["id"].as_str().unwrap().to_string();
    assert_eq!(remind(), ["aftercare-overdue"]);

    // Ten days back in fact: week 2 comes due in four days and is mailed again then; the mail
    // still waiting, with the old date, is taken back.
    let ret = put(&correcting(&record, -10, 8.0));
    let waiting: Vec<String> = outbox::table
        .filter(outbox::template.like("aftercare-%"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(waiting, ["cancelled"]);
    assert_eq!(due_dates(&ret), plan_from(-10));
    assert_eq!(ret["history"].as_array().unwrap().len(), 1, "a correction is not a step");
    assert_eq!(ret["current"]["id"], record.as_str());
    assert_eq!(ret["current"]["date"], days_from_today(-10));
    assert_eq!(ret["current"]["corrected_by"], w.coach_a.id.as_str());
    assert!(ret["current"]["corrected_at"].is_string());
    assert_eq!(ret["current"]["recorded_by"], w.coach_a.id.as_str());
    // What it replaced is in the audit log.
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.admin.token)).json().unwrap();
    let before = log["items"].as_array().unwrap().iter().find_map(|e| {
        let detail: Value = serde_json::from_str(e["detail"].as_str()?).ok()?;
        (detail["corrects"] == record.as_str()).then(|| detail["before"].clone())
    });
    assert_eq!(
        before,
        Some(json!({"date": days_from_today(-30), "extent": "partial", "hours_per_week": 8.0, "own_work": true}))
    );
    let marks: Vec<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> = aftercare_checkins::table
        .select((aftercare_checkins::reminder_sent_at, aftercare_checkins::overdue_reminder_sent_at))
        .load(&mut w.app.conn())
        .unwrap();
    assert!(marks.iter().all(|m| *m == (None, None)), "{marks:?}");
    assert!(remind().is_empty(), "nothing due yet");
    // Twenty days back: week 2 was due six days ago, not yet a week overdue.
    let ret = put(&correcting(&record, -20, 8.0));
    assert_eq!(due_dates(&ret), plan_from(-20));
    assert_eq!(remind(), ["aftercare-due"]);
    assert!(remind().is_empty(), "reminded, and not yet a week overdue");
    // A day later it is a week overdue (its date moved back a day here): the second reminder goes.
    let (id, due_on): (String, chrono::NaiveDate) = aftercare_checkins::table
        .filter(aftercare_checkins::reminder_sent_at.is_not_null())
        .select((aftercare_checkins::id, aftercare_checkins::due_on))
        .first(&mut w.app.conn())
        .unwrap();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let set_due = |on: chrono::NaiveDate| {
        diesel::update(aftercare_checkins::table.find(&id))
            .set(aftercare_checkins::due_on.eq(on))
            .execute(&mut w.app.conn())
            .unwrap();
    };
    set_due(due_on - chrono::TimeDelta::days(1));
    assert_eq!(remind(), ["aftercare-overdue"]);
    assert!(remind().is_empty(), "each reminder once");
    set_due(due_on);

    // Week 2 took place; a later correction leaves its date alone.
    let week2 = ret["aftercare"].as_array().unwrap().iter().find(|c| c["week"] == 2).unwrap()["id"].clone();
    let res = w.app.patch(&format!("/aftercare/{}", week2.as_str().unwrap()), coach, &json!({"status": "done"}));
    assert_eq!(res.status(), 200);
    let ret = put(&correcting(&record, -25, 8.0));
    let mut expected = plan_from(-25);
    expected[0].1 = days_from_today(-20 + 14);
    assert_eq!(due_dates(&ret), expected);

    // A step about an earlier day, recorded late, takes its place by date and moves the plan; the
    // current record stays the one with the latest date.
    let ret = put(&back(-40, 4.0));
    let dates: Vec<&str> = ret["history"].as_array().unwrap().iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert_eq!(dates, [days_from_today(-40), days_from_today(-25)]);
    assert_eq!(ret["current"]["date"], days_from_today(-25));
    assert_eq!(ret["current"]["hours_per_week"], 8.0);
    let mut expected = plan_from(-40);
    expected[0].1 = days_from_today(-20 + 14);
    assert_eq!(due_dates(&ret), expected);
    assert_eq!(w.app.count("work_returns"), 2);

    // What cannot be corrected: a record that is not there or not this trajectory's, a day to come.
    let err = problem(w.app.send(M::PUT, &format!("{t}/return"), coach, &correcting("nope", -5, 8.0)), 422);
    assert!(err["errors"]["corrects"][0].as_str().unwrap().contains("niet bij dit traject"), "{err}");
    let err = problem(w.app.send(M::PUT, &format!("{t}/return"), coach, &correcting(&record, 3, 8.0)), 422);
    assert!(err["errors"]["date"][0].as_str().unwrap().contains("toekomst"), "{err}");
    let other = crate::edges::active_trajectory(&w, &w.employee_a2.id, &m.cohort);
    problem(w.app.send(M::PUT, &format!("/trajectories/{other}/return"), coach, &correcting(&record, -5, 8.0)), 422);
    // Another organisation's coach does not reach the trajectory at all; the employee may not
    // record it.
    for (token, status) in [(&w.coach_b.token, 404), (&w.employee_a.token, 403)] {
        problem(w.app.send(M::PUT, &format!("{t}/return"), Some(token), &correcting(&record, -5, 8.0)), status);
    }
    assert_eq!(w.app.count("work_returns"), 2, "nothing written");

    // Closed: the date can still be put right for the evaluation; a new step is refused.
    for status in ["aftercare", "closed"] {
        assert_eq!(w.app.patch(&t, coach, &json!({"status": status})).status(), 200, "to {status}");
    }
    let pl = Some(w.pl_a.token.as_str());
    let res = w.app.send(M::PUT, &format!("{t}/return"), pl, &correcting(&record, -24, 8.0));
    assert_eq!(res.status(), 200);
    let ret: Value = res.json().unwrap();
    assert_eq!(ret["current"]["corrected_by"], w.pl_a.id.as_str());
    assert!(
        ret["aftercare"].as_array().unwrap().iter().all(|c| c["status"] != "due"),
        "the close wound the check-ins down; a correction does not bring them back"
    );
    // The employee reads why the check-ins still to come did not take place.
    let theirs: Value = w.app.get(&format!("{t}/return"), Some(&w.employee_a.token)).json().unwrap();
    let reasons: Vec<&Value> = theirs["aftercare"].as_array().unwrap().iter().map(|c| &c["skip_reason"]).collect();
    assert_eq!(reasons, [&Value::Null, &json!("Het traject is afgesloten."), &json!("Het traject is afgesloten.")]);
    problem(w.app.send(M::PUT, &format!("{t}/return"), pl, &back(-1, 16.0)), 409);
}

/// The coach's note on a check-in, and the reason one is skipped, reach the employee in the app
/// only once the coach shares them; the employee's inzage holds them either way.
#[test]
fn aftercare_notes_reach_the_employee_once_shared() {
    let w = World::new();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let employee = Some(w.employee_a.token.as_str());
    let ret: Value = w.app.send(M::PUT, &format!("{t}/return"), coach, &back(-3, 8.0)).json().unwrap();
    let ids: Vec<String> =
        ret["aftercare"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    let note = "Gaat goed, maar ziet op tegen het overleg met de leidinggevende.";
    let reason = "Op vakantie.";
    let patch = |id: &str, body: Value| -> Value {
        let res = w.app.patch(&format!("/aftercare/{id}"), coach, &body);
        assert_eq!(res.status(), 200);
        res.json().unwrap()
    };
    let done = patch(&ids[0], json!({"status": "done", "note": note}));
    assert_eq!((done["note"].as_str(), done["shared_with_employee"].as_bool()), (Some(note), Some(false)));
    patch(&ids[1], json!({"status": "skipped", "skip_reason": reason}));

    let seen = |token: Option<&str>| -> Vec<(Value, Value, Value)> {
        let ret: Value = w.app.get(&format!("{t}/return"), token).json().unwrap();
        ret["aftercare"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .map(|c| (c["note"].clone(), c["skip_reason"].clone(), c["shared_with_employee"].clone()))
            .collect()
    };
    assert_eq!(seen(employee), [(Value::Null, Value::Null, false.into()), (Value::Null, Value::Null, false.into())]);
    assert_eq!(seen(coach), [(note.into(), Value::Null, false.into()), (Value::Null, reason.into(), false.into())]);
    assert_eq!(seen(Some(&w.pl_a.token)), seen(coach));
    let doc = w.app.get("/me/data", employee).text().unwrap();
    assert!(doc.contains(note) && doc.contains(reason), "the right of access covers unshared notes");

    // Shared: the employee reads them; left out, sharing stays as it was.
    let shared = patch(&ids[0], json!({"status": "done", "shared_with_employee": true}));
    assert_eq!((shared["note"].as_str(), shared["shared_with_employee"].as_bool()), (Some(note), Some(true)));
    patch(&ids[1], json!({"status": "skipped", "skip_reason": reason, "shared_with_employee": true}));
    assert_eq!(seen(employee), [(note.into(), Value::Null, true.into()), (Value::Null, reason.into(), true.into())]);
    let kept = patch(&ids[0], json!({"status": "done", "note": "Gaat goed."}));
    assert_eq!(kept["shared_with_employee"], true);
    // And taken back.
    patch(&ids[0], json!({"status": "done", "shared_with_employee": false}));
    assert_eq!(seen(employee)[0], (Value::Null, Value::Null, false.into()));
}

/// Absent again after the return: the trajectory goes back to `active`, the check-ins still due
/// are called off (the employee reads why, and a reminder still waiting is taken back), and the
/// next return plans a new round from its date. A correction of the first return leaves the new
/// round alone; one of the new return moves it. An ended trajectory has no way back.
#[test]
fn after_a_relapse_the_next_return_plans_aftercare_anew() {
    let (_smtp, w) = world_with_mail_held();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let put = |body: &Value| put_return(&w, &t, body);
    let status = |to: &str| w.app.patch(&t, coach, &json!({"status": to})).status().as_u16();

    let ret = put(&back(-60, 8.0));
    let first = ret["current"]["id"].as_str().unwrap().to_string();
    let week2 = ret["aftercare"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(w.app.patch(&format!("/aftercare/{week2}"), coach, &json!({"status": "done"})).status(), 200);
    assert_eq!(queue_aftercare_reminders(&w.app), 1, "week 6 is overdue");
    assert_eq!(status("aftercare"), 200);

    assert_eq!(status("active"), 200, "absent again");
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "active");
    let theirs: Value = w.app.get(&format!("{t}/return"), Some(&w.employee_a.token)).json().unwrap();
    let called_off: Vec<(&str, &str)> = theirs["aftercare"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["status"].as_str().unwrap(), c["skip_reason"].as_str().unwrap_or("-")))
        .collect();
    let reason = wilkan::aftercare::RELAPSE_REASON;
    assert_eq!(called_off, [("done", "-"), ("skipped", reason), ("skipped", reason)]);
    let waiting: Vec<String> = outbox::table
        .filter(outbox::template.like("aftercare-%"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(waiting, ["cancelled"], "the reminder about a talk that no longer takes place");
    assert_eq!(queue_aftercare_reminders(&w.app), 0);
    let timeline: Value = w.app.get(&format!("{t}/timeline"), Some(&w.employee_a.token)).json().unwrap();
    assert!(timeline.to_string().contains("Traject: weer uitgevallen, de begeleiding gaat verder"), "{timeline}");

    // In the evaluation: returned, and absent again now, with no hours.
    let returned = || -> (Value, Value) {
        let k: Value = w.app.get("/exports/kirkpatrick?level=4", Some(&w.pl_a.token)).json().unwrap();
        let tables = k["tables"].as_array().unwrap();
        let records = tables.iter().find(|t| t["key"] == "records").unwrap()["rows"].as_array().unwrap();
        assert_eq!(records.len(), 1);
        (records[0]["returned"].clone(), records[0]["hours_latest"].clone())
    };
    assert_eq!(returned(), (json!("absent_again"), json!(0.0)));

    // Not `returned` by hand (the return before the relapse does not stand for a new one), nor
    // a new return dated before the last one.
    let err = problem(w.app.patch(&t, coach, &json!({"status": "returned"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("Leg de werkhervatting vast"), "{err}");
    for days in [-61, -60] {
        let err = problem(w.app.send(M::PUT, &format!("{t}/return"), coach, &back(days, 4.0)), 422);
        assert!(err["errors"]["date"][0].as_str().unwrap().contains("na de terugval ligt na"), "{err}");
    }
    assert_eq!(w.app.count("work_returns"), 1, "nothing written");

    // Back at work a week ago: a new round from that date.
    let ret = put(&back(-7, 4.0));
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "returned");
    assert_eq!(ret["aftercare"].as_array().unwrap().len(), 6, "the first round stays recorded");
    assert_eq!(still_due(&ret), plan_from(-7));
    assert_eq!(returned(), (json!("partial"), json!(4.0)));
    let second = ret["current"]["id"].as_str().unwrap().to_string();
    // The first return's date put right: its round was called off, the new one stays.
    let ret = put(&correcting(&first, -61, 8.0));
    assert_eq!(still_due(&ret), plan_from(-7));
    assert_eq!(ret["history"][0]["date"], days_from_today(-61));
    // The new return's date put right: its round moves.
    let ret = put(&correcting(&second, -5, 4.0));
    assert_eq!(still_due(&ret), plan_from(-5));
    // Rounds keep their order: the new return stays after the one before the relapse, and that
    // one before the new.
    let refused = |body: &Value, says: &str| {
        let err = problem(w.app.send(M::PUT, &format!("{t}/return"), coach, body), 422);
        assert!(err["errors"]["date"][0].as_str().unwrap().contains(says), "{err}");
    };
    refused(&correcting(&second, -62, 4.0), "na de terugval ligt na");
    refused(&correcting(&first, -5, 8.0), "vóór de terugval");
    refused(&correcting(&first, -3, 8.0), "vóór de terugval");
    let now: Value = w.app.get(&format!("{t}/return"), coach).json().unwrap();
    assert_eq!(still_due(&now), plan_from(-5), "nothing moved");
    assert_eq!(now["history"][0]["date"], days_from_today(-61));

    // A relapse is a way back from returned or aftercare only.
    assert_eq!(status("aftercare"), 200);
    assert_eq!(status("closed"), 200);
    // A check-in the close called off (its reason shown to the employee) that the coach records
    // after all: the coach's note is not shared until the coach shares it.
    let now: Value = w.app.get(&format!("{t}/return"), coach).json().unwrap();
    let off =
        now["aftercare"].as_array().unwrap().iter().find(|c| c["skip_reason"] == wilkan::aftercare::CLOSED_REASON);
    let off = off.expect("a check-in called off by the close").clone();
    let called_off_at = off["completed_at"].clone();
    let off = off["id"].as_str().unwrap().to_string();
    // Not set back to due: the trajectory has ended.
    let err = problem(w.app.patch(&format!("/aftercare/{off}"), coach, &json!({"status": "due"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("niet meer in de nazorg"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let record = json!({"status": "done", "note": "Vertelde over de situatie thuis"});
    let recorded: Value = w.app.patch(&format!("/aftercare/{off}"), coach, &record).json().unwrap();
    assert_eq!(recorded["shared_with_employee"], false, "{recorded}");
    // The coach's record is of now, not of Wilkan's call-off at the close.
    assert!(recorded["completed_at"].as_str() > called_off_at.as_str(), "{recorded} after {called_off_at}");
    let err = problem(w.app.patch(&t, coach, &json!({"status": "active"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("afgesloten"), "{err}");
    let other = crate::edges::active_trajectory(&w, &w.employee_a2.id, &m.cohort);
    let path = format!("/trajectories/{other}");
    let err = problem(w.app.patch(&path, coach, &json!({"status": "aftercare"})), 409);
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("alleen naar 'weer aan het werk' (returned) door de werkhervatting vast te leggen of naar 'gestopt' (stopped)"),
        "{err}"
    );
}

/// A trajectory set to `returned` by hand without a return on record (possible before the return
/// was the only way there): its first return plans the check-ins, and the status stays.
#[test]
#[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
fn a_return_on_a_trajectory_returned_by_hand_plans_its_check_ins() {
    use wilkan::db::schema::trajectories;
    let w = World::new();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    diesel::update(trajectories::table.find(&m.trajectory))
        .set(trajectories::status.eq("returned"))
        .execute(&mut w.app.conn())
        .unwrap();
    let events = || w.app.count("trajectory_events");
    let before = events();
    let res = w.app.send(M::PUT, &format!("{t}/return"), coach, &back(-3, 8.0));
    assert_eq!(res.status(), 200);
    let ret: Value = res.json().unwrap();
    assert_eq!(due_dates(&ret), plan_from(-3));
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "returned");
    assert_eq!(events(), before, "no change of status");
}

/// A relapse recorded by mistake is taken back (`take_back_relapse`) while nothing followed it:
/// the trajectory goes back to the status it left, the check-ins it called off are due again
/// (planned from the return as corrected meanwhile; one whose reminder was taken back is reminded
/// of afresh), and neither the history, the timeline, the employee's view nor the evaluation keeps
/// the relapse; the audit log does. An earlier round called off stays so.
#[test]
fn a_relapse_recorded_by_mistake_is_taken_back() {
    let (_smtp, w) = world_with_mail_held();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let patch = |body: Value| w.app.patch(&t, coach, &body);
    let status = |to: &str| patch(json!({"status": to})).status().as_u16();
    let take_back = || patch(json!({"take_back_relapse": true}));
    let record = || -> Value {
        let k: Value = w.app.get("/exports/kirkpatrick?level=4", Some(&w.pl_a.token)).json().unwrap();
        let tables = k["tables"].as_array().unwrap();
        let rows = tables.iter().find(|t| t["key"] == "records").unwrap()["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 1);
        rows[0].clone()
    };
    let ret = put_return(&w, &t, &back(-20, 8.0));
    let first = ret["current"]["id"].as_str().unwrap().to_string();
    assert_eq!(queue_aftercare_reminders(&w.app), 1, "week 2 is due");
    let history = || -> Value { w.app.get(&t, coach).json::<Value>().unwrap()["history"].clone() };
    let before = history();

    // Nothing to take back yet; nor together with a status.
    let err = problem(take_back(), 409);
    assert!(err["detail"].as_str().unwrap().contains("geen terugval"), "{err}");
    assert_eq!(status("active"), 200);
    assert_eq!(record()["returned"], "absent_again");
    let err = problem(patch(json!({"take_back_relapse": true, "status": "returned"})), 422);
    assert!(err["errors"]["take_back_relapse"].is_array(), "{err}");
    // The return's date put right meanwhile.
    put_return(&w, &t, &correcting(&first, -16, 8.0));

    assert_eq!(take_back().status(), 200);
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "returned");
    assert_eq!(history(), before, "the relapse left the history");
    let theirs: Value = w.app.get(&format!("{t}/return"), Some(&w.employee_a.token)).json().unwrap();
    assert!(theirs["aftercare"].as_array().unwrap().iter().all(|c| c["status"] == "due" && c["skip_reason"].is_null()));
    assert_eq!(due_dates(&theirs), plan_from(-16), "planned from the corrected return");
    let timeline: Value = w.app.get(&format!("{t}/timeline"), Some(&w.employee_a.token)).json().unwrap();
    assert!(!timeline.to_string().contains("uitgevallen"), "{timeline}");
    assert_eq!(record()["returned"], "partial");
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.admin.token)).json().unwrap();
    let kept = log["items"].as_array().unwrap().iter().any(|e| {
        e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("takes_back_relapse") && d.contains("\"from_status\":\"returned\""))
    });
    assert!(kept, "{log}");
    // The reminder the relapse took back before it went out is queued afresh.
    let statuses: Vec<String> = outbox::table
        .filter(outbox::template.like("aftercare-%"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(statuses, ["cancelled"]);
    assert_eq!(queue_aftercare_reminders(&w.app), 1);

    // From aftercare, back to aftercare; a round called off by an earlier relapse stays so.
    assert_eq!(status("aftercare"), 200);
    assert_eq!(status("active"), 200);
    put_return(&w, &t, &back(-2, 4.0));
    assert_eq!(status("aftercare"), 200);
    assert_eq!(status("active"), 200);
    assert_eq!(take_back().status(), 200);
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "aftercare");
    let ret: Value = w.app.get(&format!("{t}/return"), coach).json().unwrap();
    let by_status = |s: &str| ret["aftercare"].as_array().unwrap().iter().filter(|c| c["status"] == s).count();
    assert_eq!((by_status("skipped"), by_status("due")), (3, 3), "{ret}");
    // Once a return follows the relapse, the relapse stands.
    assert_eq!(status("active"), 200);
    put_return(&w, &t, &back(-1, 4.0));
    problem(take_back(), 409);
}

/// A return recorded by mistake is taken back: a later step by itself (the round's check-ins
/// planned from what is left), the round's only record with its check-ins, and the trajectory is
/// `active` again without a relapse in its history or on the employee's timeline. Not once a
/// check-in of the round is recorded, nor a return from before a relapse; another trajectory's
/// record is not found. The audit log keeps what was taken back.
#[test]
fn a_return_recorded_by_mistake_is_taken_back() {
    let (_smtp, w) = world_with_mail_held();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let pl = Some(w.pl_a.token.as_str());
    let put = |body: &Value| put_return(&w, &t, body);
    let withdraw =
        |record: &str, token: Option<&str>| w.app.send(M::DELETE, &format!("{t}/return/{record}"), token, &json!(null));
    let status = || -> String { w.app.get(&t, coach).json::<Value>().unwrap()["status"].as_str().unwrap().to_string() };

    // Recorded first but taken back second: which record planned the check-ins does not matter.
    let planner = put(&back(-30, 8.0))["current"]["id"].as_str().unwrap().to_string();
    let first = put(&back(-20, 8.0))["current"]["id"].as_str().unwrap().to_string();
    let ret = withdraw(&planner, coach).json::<Value>().unwrap();
    assert_eq!(still_due(&ret), plan_from(-20), "planned from what is left: {ret}");
    let twice = put(&back(-20, 8.0));
    assert_eq!(twice["history"].as_array().unwrap().len(), 1, "the same step sent twice is one: {twice}");
    let ret = put(&back(-22, 12.0));
    assert_eq!(still_due(&ret), plan_from(-22), "a step about an earlier day moves the plan");
    let step = ret["history"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(step, first);
    // The later record by itself (here a step about an earlier day): the plan goes back to the first.
    let res = withdraw(&step, pl);
    assert_eq!(res.status(), 200);
    let ret: Value = res.json().unwrap();
    assert_eq!(ret["history"].as_array().unwrap().len(), 1, "{ret}");
    assert_eq!(still_due(&ret), plan_from(-20));
    assert_eq!(status(), "returned");
    // Week 2 is overdue: its reminder waits in the outbox (the mail server held).
    assert_eq!(queue_aftercare_reminders(&w.app), 1);

    // The only record: its check-ins go, and the trajectory runs on as before the return.
    let events_before = w.app.get(&t, coach).json::<Value>().unwrap()["history"].as_array().unwrap().len();
    let res = withdraw(&first, coach);
    assert_eq!(res.status(), 200);
    let ret: Value = res.json().unwrap();
    assert!(ret["current"].is_null() && ret["aftercare"].as_array().unwrap().is_empty(), "{ret}");
    let now: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(now["status"], "active");
    let history = now["history"].as_array().unwrap();
    assert_eq!(history.len(), events_before - 1, "the change to returned is gone: {now}");
    assert!(history.iter().all(|e| e["to_status"] != "returned"), "{now}");
    let timeline: Value = w.app.get(&format!("{t}/timeline"), Some(&w.employee_a.token)).json().unwrap();
    assert!(!timeline.to_string().contains("weer uitgevallen"), "no relapse: {timeline}");
    assert_eq!(w.app.count("aftercare_checkins"), 0);
    let reminders: Vec<String> = outbox::table
        .filter(outbox::template.like("aftercare-%"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(reminders, ["cancelled"], "the reminder about a talk that does not take place");
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), pl).json().unwrap();
    let kept = log["items"].as_array().unwrap().iter().any(|e| {
        e["detail"].as_str().is_some_and(|d| {
            let d: Value = serde_json::from_str(d).unwrap();
            d["withdraws"] == first.as_str() && d["before"]["hours_per_week"] == 8.0
        })
    });
    assert!(kept, "{log}");
    problem(withdraw(&first, coach), 404);

    // Recorded anew; once a check-in of it is recorded, it stays (its date can still be corrected).
    let ret = put(&back(-5, 8.0));
    assert_eq!(still_due(&ret), plan_from(-5));
    let again = ret["current"]["id"].as_str().unwrap().to_string();
    let week2 = ret["aftercare"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(w.app.patch(&format!("/aftercare/{week2}"), coach, &json!({"status": "done"})).status(), 200);
    let err = problem(withdraw(&again, coach), 409);
    assert!(err["detail"].as_str().unwrap().contains("al nazorg vastgelegd"), "{err}");
    let kept: Value = w.app.get(&format!("{t}/return"), coach).json().unwrap();
    assert_eq!(kept["current"]["id"], again.as_str(), "nothing taken back: {kept}");
    assert_eq!((kept["aftercare"].as_array().unwrap().len(), status()), (3, "returned".to_string()));
    // Nor by the employee, nor by a coach or project leader of elsewhere.
    problem(withdraw(&again, Some(&w.employee_a.token)), 403);
    problem(withdraw(&again, Some(&w.coach_b.token)), 404);
    problem(withdraw(&again, Some(&w.pl_b.token)), 404);

    // Before a relapse: corrected, not taken back; nor its check-in set back to due.
    assert_eq!(w.app.patch(&t, coach, &json!({"status": "active"})).status(), 200);
    put(&back(-1, 4.0));
    let err = problem(withdraw(&again, coach), 409);
    assert!(err["detail"].as_str().unwrap().contains("vóór een terugval"), "{err}");
    let err = problem(w.app.patch(&format!("/aftercare/{week2}"), coach, &json!({"status": "due"})), 409);
    assert!(err["detail"].as_str().unwrap().contains("vóór een terugval"), "{err}");
    // Another trajectory's record through this one: not found.
    let other = crate::edges::active_trajectory(&w, &w.employee_a2.id, &m.cohort);
    let theirs = put_return(&w, &format!("/trajectories/{other}"), &back(-2, 8.0))["current"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    problem(withdraw(&theirs, coach), 404);
}
