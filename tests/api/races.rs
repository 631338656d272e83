//! Requests that arrive at the same moment and compete for one thing: the rule holds for all of
//! them together (on PostgreSQL by row locks and conditional updates; SQLite has one writer).

use serde_json::{json, Value};

use crate::helpers::{World, PASSWORD};

const AT_ONCE: usize = 8;

/// `AT_ONCE` requests made by `send`, started together; their statuses.
fn together(send: impl Fn() -> u16 + Sync) -> Vec<u16> {
    let start = std::sync::Barrier::new(AT_ONCE);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    send()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[test]
fn a_refresh_token_a_login_link_and_a_one_card_link_each_work_once() {
    let w = World::new();
    let m = w.method();
    let app = &w.app;

    // One refresh token presented eight times at once: one new session, and the copies are seen
    // as a stolen token, so the whole session ends (the winner's new token too).
    let session = app.login(&w.employee_a.email, PASSWORD);
    let refresh = json!({"refresh_token": session["refresh_token"]});
    let winners = std::sync::Mutex::new(Vec::new());
    let statuses = together(|| {
        let res = app.post("/auth/refresh", None, &refresh);
        let status = res.status().as_u16();
        if status == 200 {
            winners.lock().unwrap().push(res.json::<Value>().unwrap()["refresh_token"].clone());
        }
        status
    });
    assert_eq!((count(&statuses, 200), count(&statuses, 401)), (1, AT_ONCE - 1), "{statuses:?}");
    let next = json!({"refresh_token": winners.lock().unwrap()[0]});
    assert_eq!(app.post("/auth/refresh", None, &next).status(), 401, "the session ended");

    // One login link redeemed eight times at once.
    assert_eq!(app.post("/auth/magic-link", None, &json!({"email": w.employee_a2.email})).status(), 202);
    use diesel::prelude::*;
    use wilkan::db::schema::outbox;
    let body: String = outbox::table
        .filter(outbox::to_address.eq(&w.employee_a2.email))
        .select(outbox::body_text)
        .first(&mut app.conn())
        .unwrap();
    let start = body.find("code=").unwrap() + 5;
    let code: String = body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();
    let statuses = together(|| app.post("/auth/magic-link/redeem", None, &json!({"token": code})).status().as_u16());
    assert_eq!((count(&statuses, 200), count(&statuses, 401)), (1, AT_ONCE - 1), "{statuses:?}");

    // A link for one card, used by eight colleagues at once.
    let coach = Some(w.coach_a.token.as_str());
    let link: Value = app
        .post(&format!("/trajectories/{}/card-links", m.trajectory), coach, &json!({"delivery": "email"}))
        .json()
        .unwrap();
    let card_path = format!("/cards/{}", link["token"].as_str().unwrap());
    let statuses =
        together(|| app.post(&card_path, None, &json!({"name": "Kees", "message": "Sterkte!"})).status().as_u16());
    assert_eq!((count(&statuses, 201), count(&statuses, 410)), (1, AT_ONCE - 1), "{statuses:?}");
    assert_eq!(app.count("cards"), 1);
}

/// Moving a trajectory on and withdrawing consent at the same moment: whatever wins, the history
/// is one unbroken chain of steps and the trajectory ends where its last step says.
#[test]
fn a_trajectory_changed_from_several_sides_at_once_keeps_one_history() {
    let w = World::new();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let (coach, employee) = (Some(w.coach_a.token.as_str()), Some(w.employee_a.token.as_str()));
    let turn = std::sync::atomic::AtomicUsize::new(0);
    let statuses = together(|| {
        let res = match turn.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 3 {
            0 => {
                let back = json!({"date": crate::helpers::days_from_today(-1), "extent": "full", "hours_per_week": 32.0, "own_work": true});
                w.app.send(reqwest::Method::PUT, &format!("{t}/return"), coach, &back)
            }
            1 => w.app.patch(&t, coach, &json!({"status": "stopped", "stop_reason": "other"})),
            _ => w.app.post(&format!("{t}/consents"), employee, &json!({"kind": "method", "given": false})),
        };
        res.status().as_u16()
    });
    assert!(statuses.iter().all(|s| [200, 201, 409].contains(s)), "{statuses:?}");
    let now: Value = w.app.get(&t, coach).json().unwrap();
    let history = now["history"].as_array().unwrap();
    for step in history.windows(2) {
        assert_eq!(step[1]["from_status"], step[0]["to_status"], "an unbroken chain: {history:?}");
    }
    assert_eq!(history.last().unwrap()["to_status"], now["status"]);
    assert!(["returned", "stopped"].contains(&now["status"].as_str().unwrap()));
}

/// The same absence recorded eight times at once (a double click, two coaches): episodes may not
/// overlap, so one is recorded and the others are refused.
#[test]
fn an_absence_recorded_several_times_at_once_is_recorded_once() {
    let w = World::new();
    let _m = w.method();
    let path = format!("/employees/{}/absences", w.employee_a.id);
    let before = w.app.count("absences");
    let episode = json!({"start_date": "2026-10-05", "end_date": "2026-10-09"});
    let statuses = together(|| w.app.post(&path, Some(&w.coach_a.token), &episode).status().as_u16());
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 409, 422].contains(s)), "{statuses:?}");
    assert_eq!(w.app.count("absences"), before + 1);
}

#[test]
fn wrong_passwords_sent_at_once_are_all_counted() {
    let w = World::new();
    let app = &w.app;
    let guess = json!({"email": w.coach_a.email, "password": "not the password"});
    let statuses = together(|| app.post("/auth/login", None, &guess).status().as_u16());
    // Five failures block the account; the other guesses are refused before their check.
    assert_eq!((count(&statuses, 401), count(&statuses, 429)), (5, AT_ONCE - 5), "{statuses:?}");
    let right = json!({"email": w.coach_a.email, "password": PASSWORD});
    assert_eq!(app.post("/auth/login", None, &right).status(), 429, "blocked, also for the right password");
}

#[test]
fn a_refresh_at_the_moment_of_a_logout_leaves_no_session() {
    let w = World::new();
    let app = &w.app;
    for _ in 0..6 {
        let session = app.login(&w.employee_a.email, PASSWORD);
        let start = std::sync::Barrier::new(2);
        let (refreshed, logged_out) = std::thread::scope(|s| {
            let refresh = s.spawn(|| {
                start.wait();
                app.post("/auth/refresh", None, &json!({"refresh_token": session["refresh_token"]}))
            });
            let logout = s.spawn(|| {
                start.wait();
                app.post("/auth/logout", session["access_token"].as_str(), &json!({}))
            });
            (refresh.join().unwrap(), logout.join().unwrap())
        });
        assert_eq!(logged_out.status(), 204);
        if refreshed.status() == 200 {
            // The refresh came first: the logout ended its new tokens too.
            let new: Value = refreshed.json().unwrap();
            assert_eq!(app.post("/auth/refresh", None, &json!({"refresh_token": new["refresh_token"]})).status(), 401);
        } else {
            assert_eq!(refreshed.status(), 401);
        }
    }
}

#[test]
fn a_page_saved_while_the_coach_records_the_paper_map_keeps_both() {
    let w = World::new();
    let m = w.method();
    let app = &w.app;
    let courses = [
        ("kwaliteiten", "wat-zijn-kwaliteiten"),
        ("doelen-en-plannen-maken", "wat-is-een-doel"),
        ("hulp-vragen", "iedereen-heeft-hulp-nodig"),
        ("invloed", "dennis-en-de-bus"),
        ("meningen-van-anderen", "iedereen-vindt-er-iets-van"),
    ];
    for (slug, page) in courses {
        let start = std::sync::Barrier::new(2);
        let (saved, paper) = std::thread::scope(|s| {
            let save = s.spawn(|| {
                start.wait();
                let path = format!("/me/courses/{slug}/pages/{page}");
                app.send(reqwest::Method::PUT, &path, Some(&w.employee_a.token), &json!({"status": "visited"})).status()
            });
            let paper = s.spawn(|| {
                start.wait();
                let path = format!("/trajectories/{}/progress/{slug}/paper", m.trajectory);
                app.post(&path, Some(&w.coach_a.token), &json!({})).status()
            });
            (save.join().unwrap(), paper.join().unwrap())
        });
        assert_eq!((saved.as_u16(), paper.as_u16()), (200, 200));
        let mine: Value = app.get("/me/courses", Some(&w.employee_a.token)).json().unwrap();
        let course = mine["items"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap().clone();
        assert_eq!(
            (course["status"].as_str(), course["completed_via"].as_str()),
            (Some("completed"), Some("paper")),
            "{slug}"
        );
    }
}

/// A group session called off eight times at once (a cancel clicked twice, two tabs) tells each
/// invitee once: the changes take turns on the session's row.
#[test]
fn a_session_called_off_at_once_tells_each_invitee_once() {
    use diesel::prelude::*;
    use wilkan::db::schema::outbox;
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let path = format!("/group-sessions/{}", k.session);
    let coach = Some(w.coach_a.token.as_str());
    let statuses = together(|| w.app.patch(&path, coach, &json!({"cancelled": true})).status().as_u16());
    assert_eq!(count(&statuses, 200), AT_ONCE, "{statuses:?}");
    let told: i64 =
        outbox::table.filter(outbox::template.eq("group-cancelled")).count().get_result(&mut w.app.conn()).unwrap();
    assert!(told <= 1, "one invitee, told at most once: {told}");
}

/// An intake saved several times at once (a double click, two tabs): each save goes through, one
/// after the other, and one intake remains.
#[test]
fn an_intake_saved_several_times_at_once_is_saved_each_time() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}/intake", m.trajectory);
    let body = crate::helpers::intake_body(true);
    let statuses =
        together(|| w.app.send(reqwest::Method::PUT, &path, Some(&w.coach_a.token), &body).status().as_u16());
    assert_eq!(count(&statuses, 200), AT_ONCE, "{statuses:?}");
    assert_eq!(w.app.count("intakes"), 1);
}
