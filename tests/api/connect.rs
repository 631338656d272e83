//! Mail (through a real SMTP listener), magic links, group sessions, buddies, visits, cards,
//! return to work and aftercare.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::Method as M;
use serde_json::{json, Value};
use wilkan::db::schema::{aftercare_checkins, magic_links, outbox};

use crate::helpers::{problem, TestApp, World};
use crate::smtp::SmtpServer;

fn mail_settings(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("WILKAN_SMTP_HOST", "127.0.0.1".into()),
        ("WILKAN_SMTP_PORT", port.to_string()),
        ("WILKAN_SMTP_TLS", "none".into()),
        ("WILKAN_MAIL_POLL_MS", "100".into()),
        ("WILKAN_MAIL_RETRY_BASE_SECONDS", "1".into()),
    ]
}

/// One round of the aftercare reminders, as the mail worker runs it, on the organisations' today:
/// how many were queued.
pub(crate) fn queue_aftercare_reminders(app: &TestApp) -> usize {
    let templates = wilkan::mail::templates::Templates::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/course-content"
    )))
    .unwrap();
    let today = crate::helpers::local_today();
    app.conn()
        .transaction::<_, wilkan::error::AppError, _>(|c| {
            wilkan::aftercare::queue_reminders(c, &templates, "https://wilkan.test", today)
        })
        .unwrap()
}

pub(crate) fn spawn_with_mail(port: u16, extra: &[(&str, &str)]) -> TestApp {
    let owned = mail_settings(port);
    let mut settings: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.extend_from_slice(extra);
    TestApp::spawn_with(&settings)
}

fn outbox_rows(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    outbox::table
        .select((outbox::template, outbox::status, outbox::attempts, outbox::last_error))
        .load(&mut app.conn())
        .unwrap()
}

fn code_from(text: &str) -> String {
    let start = text.find("code=").expect("link with a code") + 5;
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

#[test]
fn mail_stays_queued_while_smtp_is_down_and_is_delivered_exactly_once() {
    let smtp = SmtpServer::start();
    let port = smtp.port();
    smtp.stop();
    let w = World::on(spawn_with_mail(port, &[]));
    let res = w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a.email}));
    assert_eq!(res.status(), 202);
    // Until the first attempt has failed and been recorded (a loaded machine may take a while).
    let started = std::time::Instant::now();
    let rows = loop {
        let rows = outbox_rows(&w.app);
        if rows.len() != 1 || (rows[0].1 != "sending" && rows[0].2 >= 1) || started.elapsed() > Duration::from_secs(15)
        {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "queued", "still queued while the server is down");
    assert!(rows[0].2 >= 1 && rows[0].3.is_some(), "the failed attempt is recorded: {rows:?}");

    let smtp = SmtpServer::start_on(port);
    let got = smtp.wait_for(1, Duration::from_secs(15));
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.to, vec![w.employee_a.email.clone()]);
    let text = mail.text_body();
    assert!(text.contains("Werkbedrijf Noord"), "the organisation is named: {text}");
    assert!(text.contains("werkt 15 minuten"), "validity is mentioned: {text}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(smtp.messages().len(), 1, "delivered exactly once");
    assert_eq!(outbox_rows(&w.app)[0].1, "sent");

    // The code logs in once.
    let code = code_from(&text);
    let tokens: Value = w.app.post("/auth/magic-link/redeem", None, &json!({"token": code})).json().unwrap();
    assert_eq!(tokens["user"]["email"], w.employee_a.email.as_str());
    let body = problem(w.app.post("/auth/magic-link/redeem", None, &json!({"token": code})), 401);
    assert!(body["detail"].as_str().unwrap().contains("al gebruikt"));
}

#[test]
fn two_instances_never_send_a_message_twice() {
    let smtp = SmtpServer::start();
    let app1 = spawn_with_mail(smtp.port(), &[]);
    let owned = mail_settings(smtp.port());
    let settings: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app2 = app1.restart_with(&settings);
    let templates = wilkan::mail::templates::Templates::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/course-content"
    )))
    .unwrap();
    // Mail goes to users only (a mail to an address no user has is not queued).
    for i in 0..30 {
        app1.create_admin(&format!("m{i}@wilkan.test"));
    }
    let mut conn = app1.conn();
    conn.transaction::<_, wilkan::error::AppError, _>(|c| {
        for i in 0..30 {
            let vars = std::collections::BTreeMap::from([
                ("first_name", format!("Medewerker {i}")),
                ("organization", "Werkbedrijf Noord".to_string()),
                ("link", "https://wilkan.test/x".to_string()),
                ("minutes", "15".to_string()),
            ]);
            wilkan::mail::outbox::queue(
                c,
                &templates,
                wilkan::mail::outbox::Mail {
                    template: "magic-link",
                    to: &format!("m{i}@wilkan.test"),
                    vars,
                    about: None,
                    not_before: None,
                    send_before: None,
                },
            )?
            .expect("queued");
        }
        Ok(())
    })
    .unwrap();
    let got = smtp.wait_for(30, Duration::from_secs(20));
    assert_eq!(got.len(), 30);
    std::thread::sleep(Duration::from_millis(1000));
    let mut ids: Vec<String> = smtp.messages().iter().map(|m| m.header("Message-ID").unwrap()).collect();
    assert_eq!(ids.len(), 30);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "every message once");
    drop(app2);
}

#[test]
fn without_smtp_mail_is_written_as_eml_files() {
    let w = World::new();
    assert_eq!(w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a.email})).status(), 202);
    let dir = w.app.data_dir().join("outbox");
    let mut found = Vec::new();
    for _ in 0..100 {
        found =
            std::fs::read_dir(&dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(found.len(), 1, "one .eml file in {}", dir.display());
    assert!(found[0].extension().is_some_and(|e| e == "eml"));
    let text = std::fs::read_to_string(&found[0]).unwrap();
    assert!(text.contains("sandra@wilkan.test"));
}

#[test]
fn magic_links_are_for_employees_answer_the_same_for_unknown_addresses_and_expire() {
    let w = World::new();
    // Not in the answer, nor in its timing: both come no sooner than a fixed time after the
    // request (a known address's link and mail would otherwise make it a little later).
    let timed = |path: &str, email: &str| {
        let started = std::time::Instant::now();
        let res = w.app.post(path, None, &json!({"email": email}));
        assert!(started.elapsed() >= wilkan::accounts::pace::ANSWER_AFTER, "{path} {email}");
        res
    };
    let res = timed("/auth/magic-link", "onbekend@wilkan.test");
    assert_eq!(res.status(), 202);
    let known = timed("/auth/magic-link", &w.employee_a.email);
    let known_body: Value = known.json().unwrap();
    assert_eq!(res.json::<Value>().unwrap(), known_body, "no difference to probe");
    for email in ["onbekend@wilkan.test", w.coach_a.email.as_str()] {
        assert_eq!(timed("/auth/password-link", email).status(), 202);
    }
    assert_eq!(w.app.count("magic_links"), 1);
    // Staff log in with their password: no link for them, and the same answer.
    for staff in [&w.coach_a, &w.pl_a, &w.researcher, &w.admin] {
        let res = w.app.post("/auth/magic-link", None, &json!({"email": staff.email}));
        assert_eq!(res.status(), 202);
        assert_eq!(res.json::<Value>().unwrap(), known_body, "no difference to probe");
    }
    assert_eq!(w.app.count("magic_links"), 1, "no link for staff");
    // At most three links per account per window.
    for _ in 0..4 {
        w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a.email}));
    }
    assert_eq!(w.app.count("magic_links"), 3);
    problem(w.app.post("/auth/magic-link", None, &json!({"mail": "x"})), 422);
    // An expired link: a clear Dutch message.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(magic_links::table)
        .set(magic_links::expires_at.eq((chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc()))
        .execute(&mut w.app.conn())
        .unwrap();
    let rows = outbox_rows(&w.app);
    assert_eq!(rows.iter().filter(|r| r.0 == "magic-link").count(), 3);
    // A login link's mail (the coach's password link is in the outbox too).
    let body: Vec<String> = outbox::table
        .filter(outbox::template.eq("magic-link"))
        .select(outbox::body_text)
        .load(&mut w.app.conn())
        .unwrap();
    let code = code_from(&body[0]);
    let err = problem(w.app.post("/auth/magic-link/redeem", None, &json!({"token": code})), 401);
    assert!(err["detail"].as_str().unwrap().contains("verlopen"));
    // A link sent to an employee who has become a coach since does not log them in.
    assert_eq!(w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a2.email})).status(), 202);
    let body: String = outbox::table
        .filter(outbox::to_address.eq(&w.employee_a2.email))
        .select(outbox::body_text)
        .first(&mut w.app.conn())
        .unwrap();
    let res = w.app.patch(&format!("/users/{}", w.employee_a2.id), Some(&w.admin.token), &json!({"role": "coach"}));
    assert_eq!(res.status(), 200);
    let err = problem(w.app.post("/auth/magic-link/redeem", None, &json!({"token": code_from(&body)})), 401);
    assert!(err["detail"].as_str().unwrap().contains("wachtwoord"), "{err}");
}

#[test]
fn group_sessions_invite_by_mail_keep_attendance_and_list_interest() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[]));
    let m = w.method();
    let k = w.connect(&m);
    // Other mail (buddy proposals, reminders) goes out too, in any order: wait for this one.
    let is_invitation =
        |m: &crate::smtp::Received| m.to == vec![w.employee_a.email.clone()] && m.text_body().contains("Kantine");
    let started = std::time::Instant::now();
    while !smtp.messages().iter().any(is_invitation) && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mails = smtp.messages();
    let invitation = mails.iter().find(|m| is_invitation(m)).expect("invitation");
    // The fixture's session starts a week from today at 10:00: the mail says when in Dutch words
    // (the wording itself is checked for a known date in `groups::routes`).
    let day = crate::helpers::local_today() + chrono::TimeDelta::days(7);
    let when = wilkan::groups::routes::dutch_when(day.and_hms_opt(10, 0, 0).unwrap());
    assert!(invitation.text_body().contains(&when), "{when} in {}", invitation.text_body());

    let path = format!("/group-sessions/{}", k.session);
    let mine: Value = w.app.get(&path, Some(&w.employee_a.token)).json().unwrap();
    assert!(mine["notes"].is_null());
    assert_eq!(mine["invitees"].as_array().unwrap().len(), 1);
    problem(w.app.get(&path, Some(&w.employee_a2.token)), 404);
    // Only employees in the method are invited: not one without a running trajectory and consent.
    let invite_a2 = json!({"notes": "Goed gesprek over hulp vragen.", "invite": [w.employee_a2.id]});
    let err = problem(w.app.patch(&path, Some(&w.coach_a.token), &invite_a2), 422);
    assert!(err["errors"]["invite"][0].as_str().unwrap().contains("lopend traject"), "{err}");
    let t2 = crate::helpers::json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": crate::helpers::inclusion_ok()}),
        ),
        201,
    );
    let consent = json!({"kind": "method", "given": true});
    assert_eq!(w.app.post(&format!("/trajectories/{t2}/consents"), Some(&w.coach_a.token), &consent).status(), 201);
    let res = w.app.patch(&path, Some(&w.coach_a.token), &invite_a2);
    assert_eq!(res.json::<Value>().unwrap()["invited_count"], 2);
    // Who came is known on the day; a notice of absence before it.
    let present = json!({"attendance": {w.employee_a.id.clone(): "present"}});
    let err = problem(w.app.send(M::PUT, &format!("{path}/attendance"), Some(&w.coach_a.token), &present), 409);
    assert!(err["detail"].as_str().unwrap().contains("is pas op"), "{err}");
    let notice = json!({"attendance": {w.employee_a2.id.clone(): "absent_with_notice"}});
    assert_eq!(w.app.send(M::PUT, &format!("{path}/attendance"), Some(&w.coach_a.token), &notice).status(), 200);
    w.session_today(&k.session);
    let res = w.app.send(
        M::PUT,
        &format!("{path}/attendance"),
        Some(&w.coach_a.token),
        &json!({"attendance": {w.employee_a.id.clone(): "present", w.employee_a2.id.clone(): "absent_with_notice"}}),
    );
    let s: Value = res.json().unwrap();
    assert!(s["invitees"].as_array().unwrap().iter().any(|i| i["attendance"] == "absent_with_notice"));
    problem(
        w.app.send(
            M::PUT,
            &format!("{path}/attendance"),
            Some(&w.coach_a.token),
            &json!({"attendance": {w.coach_a.id.clone(): "present"}}),
        ),
        422,
    );
    // The list pages newest first, also when two sessions start at the same moment.
    for place in ["Zaal 2", "Zaal 3"] {
        let body = json!({"starts_at": "2026-12-08T10:00:00", "place": place, "topic": "hulp-vragen", "invite": []});
        assert_eq!(w.app.post("/group-sessions", Some(&w.coach_a.token), &body).status(), 201);
    }
    let (all, _) = crate::helpers::all_pages(&w.app, "/group-sessions", Some(&w.coach_a.token), 50);
    let (paged, pages) = crate::helpers::all_pages(&w.app, "/group-sessions", Some(&w.coach_a.token), 1);
    assert_eq!((paged.len(), pages), (3, 3));
    assert_eq!(paged, all);
    let starts: Vec<&str> = paged.iter().map(|s| s["starts_at"].as_str().unwrap()).collect();
    assert!(starts.windows(2).all(|p| p[0] >= p[1]), "{starts:?}");
    problem(w.app.get("/group-sessions?cursor=gisteren", Some(&w.coach_a.token)), 422);
    problem(w.app.get("/group-sessions?limit=0", Some(&w.coach_a.token)), 422);

    let before = w.app.count("group_sessions");
    problem(
        w.app.post(
            "/group-sessions",
            Some(&w.coach_a.token),
            &json!({"starts_at": "2026-12-01T10:00:00", "place": "Kantine", "topic": "x", "invite": [w.coach_b.id]}),
        ),
        422,
    );
    problem(
        w.app.post(
            "/group-sessions",
            Some(&w.coach_a.token),
            &json!({"starts_at": "2026-12-01T10:00:00", "topic": "x"}),
        ),
        422,
    );
    assert_eq!(w.app.count("group_sessions"), before);

    // A reflection choosing a group talk puts the employee on the interest list for that course,
    // unless she is invited to a session on it already (the fixture's is on this one).
    w.app.send(
        M::PUT,
        "/me/courses/hulp-vragen/reflection",
        Some(&w.employee_a.token),
        &json!({"text": "Vragen is oké", "choice": "group_session"}),
    );
    let list: Value = w.app.get("/group-sessions/interest?topic=hulp-vragen", Some(&w.coach_a.token)).json().unwrap();
    assert!(list["items"].as_array().unwrap().is_empty(), "already invited: {list}");
    let other: Value = w.app.get("/group-sessions/interest?topic=invloed", Some(&w.coach_a.token)).json().unwrap();
    assert!(other["items"].as_array().unwrap().is_empty());
    // A coaching talk and a group session both: also on the list.
    let res = w.app.send(
        M::PUT,
        "/me/courses/invloed/reflection",
        Some(&w.employee_a.token),
        &json!({"text": "Ik kan meer dan ik dacht", "choice": "both"}),
    );
    assert_eq!(res.json::<Value>().unwrap()["reflection"]["choice"], "both");
    let both: Value = w.app.get("/group-sessions/interest?topic=invloed", Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(both["items"][0]["employee_id"], w.employee_a.id.as_str());
    // Another coach of the organisation does not see someone else's employees on it; the project
    // leader sees the organisation's.
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.drie@wilkan.test", "first_name": "Drie", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD}),
    );
    assert_eq!(res.status(), 201);
    let other_coach = w.app.token("coach.drie@wilkan.test");
    let theirs: Value = w.app.get("/group-sessions/interest?topic=invloed", Some(&other_coach)).json().unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    let pl: Value = w.app.get("/group-sessions/interest?topic=invloed", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(pl["items"][0]["employee_id"], w.employee_a.id.as_str());
    // Invited to a session on the course: no longer waiting for one; called off: waiting again.
    let waiting = || -> usize {
        let v: Value = w.app.get("/group-sessions/interest?topic=invloed", Some(&w.coach_a.token)).json().unwrap();
        v["items"].as_array().unwrap().len()
    };
    let body = json!({"starts_at": format!("{}T10:00:00", crate::helpers::days_from_today(5)), "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]});
    let on_it = crate::helpers::json_id(w.app.post("/group-sessions", Some(&w.coach_a.token), &body), 201);
    assert_eq!(waiting(), 0);
    let off = json!({"cancelled": true});
    assert_eq!(w.app.patch(&format!("/group-sessions/{on_it}"), Some(&w.coach_a.token), &off).status(), 200);
    assert_eq!(waiting(), 1);
    // Invited to one that was held yesterday: waiting again unless she came.
    let body = json!({"starts_at": format!("{}T10:00:00", crate::helpers::days_from_today(-1)), "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]});
    let held = crate::helpers::json_id(w.app.post("/group-sessions", Some(&w.coach_a.token), &body), 201);
    assert_eq!(waiting(), 1, "a session that has passed without her");
    let came = json!({"attendance": {w.employee_a.id.clone(): "present"}});
    let path = format!("/group-sessions/{held}/attendance");
    assert_eq!(w.app.send(M::PUT, &path, Some(&w.coach_a.token), &came).status(), 200);
    assert_eq!(waiting(), 0, "she came");
    // Who came is on record: the session is not moved to a day still to come.
    let later = json!({"starts_at": format!("{}T10:00:00", crate::helpers::days_from_today(3))});
    let err = problem(w.app.patch(&format!("/group-sessions/{held}"), Some(&w.coach_a.token), &later), 409);
    assert!(err["detail"].as_str().unwrap().contains("al wie er was"), "{err}");

    // Her trajectory stopped and a new one proposed, without her consent yet: what she chose in a
    // reflection is not read (as in the coach's view of her progress), and she is not listed.
    let res = w.app.send(
        M::PUT,
        "/me/courses/kwaliteiten/reflection",
        Some(&w.employee_a.token),
        &json!({"text": "Vragen is oké", "choice": "both"}),
    );
    assert_eq!(res.status(), 200);
    let listed = |token: &str| -> usize {
        let v: Value = w.app.get("/group-sessions/interest?topic=kwaliteiten", Some(token)).json().unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!(listed(&w.pl_a.token), 1);
    let stop = json!({"status": "stopped", "stop_reason": "too_difficult"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token), &stop).status(), 200);
    let again = json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": crate::helpers::inclusion_ok()});
    crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &again), 201);
    assert_eq!(listed(&w.coach_a.token), 0);
    assert_eq!(listed(&w.pl_a.token), 0);
}

/// A session called off: an invitation still waiting is not sent, one that went out is followed
/// by word that it does not go ahead, and the session takes no more invitations or attendance.
#[test]
fn a_called_off_group_session_tells_its_invitees_and_takes_nothing_more() {
    let smtp = SmtpServer::start();
    // This server's worker looks for mail once, at start: what is queued stays queued.
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let k = w.connect(&m);
    let coach = Some(w.coach_a.token.as_str());
    // A second session whose invitation went out.
    let body = json!({"starts_at": format!("{}T13:00:00", crate::helpers::days_from_today(8)), "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]});
    let sent = crate::helpers::json_id(w.app.post("/group-sessions", coach, &body), 201);
    #[allow(clippy::disallowed_methods)] // a fixture: the invitation as if it went out
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(format!("group:{sent}"))))
        .set(outbox::status.eq("sent"))
        .execute(&mut w.app.conn())
        .unwrap();
    let mails = |template: &str, session: &str| -> Vec<String> {
        outbox::table
            .filter(outbox::template.eq(template))
            .filter(outbox::to_address.eq(&w.employee_a.email))
            .filter(outbox::subject_ref.like(format!("%:{session}")))
            .select(outbox::status)
            .load(&mut w.app.conn())
            .unwrap()
    };
    for session in [&k.session, &sent] {
        let path = format!("/group-sessions/{session}");
        assert_eq!(w.app.patch(&path, coach, &json!({"cancelled": true})).status(), 200);
    }
    // Not yet invited by mail: the invitation is stopped and there is nothing to call off.
    assert_eq!(mails("group-invitation", &k.session), ["cancelled"]);
    assert!(mails("group-cancelled", &k.session).is_empty());
    // Invited: told once.
    assert_eq!(mails("group-cancelled", &sent), ["queued"]);

    let path = format!("/group-sessions/{sent}");
    let err = problem(w.app.patch(&path, coach, &json!({"invite": [w.employee_a.id]})), 409);
    assert!(err["detail"].as_str().unwrap().contains("gaat niet door"));
    problem(w.app.patch(&path, coach, &json!({"cancelled": false})), 409);
    let attendance = json!({"attendance": {w.employee_a.id.clone(): "present"}});
    problem(w.app.send(M::PUT, &format!("{path}/attendance"), coach, &attendance), 409);
    assert_eq!(w.app.patch(&path, coach, &json!({"notes": "Verzet naar volgende maand."})).status(), 200);
    // Nor a new time or place: it would read as planned to whoever opens it, and tell nobody.
    problem(w.app.patch(&path, coach, &json!({"cancelled": true, "place": "Zaal 2"})), 409);
    let later = format!("{}T13:00:00", crate::helpers::days_from_today(9));
    problem(w.app.patch(&path, coach, &json!({"starts_at": later})), 409);
    let now: Value = w.app.get(&path, coach).json().unwrap();
    assert_eq!((&now["place"], &now["cancelled"]), (&json!("Kantine"), &json!(true)), "{now}");
    assert_eq!(mails("group-cancelled", &sent).len(), 1, "told once");
    assert!(mails("group-changed", &sent).is_empty(), "a session called off is not moved");
}

/// A session that began yesterday, with no attendance yet, keeps the invitation of someone whose
/// trajectory stopped today (a stop takes back invitations to sessions still to come). Moved to
/// next week, it tells only those still in the method.
#[test]
fn a_moved_session_tells_no_one_whose_trajectory_ended() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    crate::edges::active_trajectory(&w, &w.employee_a2.id, &m.cohort);
    let coach = Some(w.coach_a.token.as_str());
    let yesterday = format!("{}T10:00:00", crate::helpers::days_from_today(-1));
    let body = json!({"starts_at": yesterday, "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id, w.employee_a2.id]});
    let session = crate::helpers::json_id(w.app.post("/group-sessions", coach, &body), 201);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let next_week = format!("{}T10:00:00", crate::helpers::days_from_today(7));
    assert_eq!(
        w.app.patch(&format!("/group-sessions/{session}"), coach, &json!({"starts_at": next_week})).status(),
        200
    );
    let waiting: Vec<String> = outbox::table
        .filter(outbox::template.like("group-%"))
        .filter(outbox::status.eq("queued"))
        .select(outbox::to_address)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(waiting, [w.employee_a2.email.as_str()]);
    // Nor is she invited any more, to a session still to come (as a stop would have done).
    let shown: Value = w.app.get(&format!("/group-sessions/{session}"), coach).json().unwrap();
    let invited: Vec<&str> =
        shown["invitees"].as_array().unwrap().iter().map(|i| i["employee_id"].as_str().unwrap()).collect();
    assert_eq!(invited, [w.employee_a2.id.as_str()], "{shown}");
    // Called off with a new place in the same breath: refused, the place would tell nobody. The
    // same place sent again with notes is fine.
    let path = format!("/group-sessions/{session}");
    problem(w.app.patch(&path, coach, &json!({"cancelled": true, "place": "Zaal 9"})), 409);
    assert_eq!(w.app.patch(&path, coach, &json!({"cancelled": true, "place": "Kantine"})).status(), 200);
    let same = json!({"place": "Kantine", "starts_at": next_week, "notes": "Toch niet."});
    assert_eq!(w.app.patch(&path, coach, &same).status(), 200);
}

/// A session moved: an invitation still waiting goes out with the new details instead, one that
/// went out is followed by word of the change; notes alone tell nobody. Mail about a session that
/// has begun is not sent late.
/// An invitation given up (the mail server refused the address) never reached the invitee: a
/// change to the session invites them anew, with the new details, rather than sending word of a
/// change to a session they never heard of.
#[test]
fn a_changed_session_invites_anew_whoever_never_had_the_invitation() {
    let smtp = SmtpServer::start();
    // This server's worker looks for mail once, at start: what is queued stays queued.
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let k = w.connect(&m);
    // Refused for good at an address she had before (one it was not moved from, as a correction
    // moves it: she is known by her account, not by the address).
    #[allow(clippy::disallowed_methods)] // a fixture: the invitation as the worker leaves one refused for good
    diesel::update(outbox::table.filter(outbox::template.eq("group-invitation")))
        .set((
            outbox::status.eq("failed"),
            outbox::to_address.eq("oud.adres@wilkan.test"),
            outbox::attempts.eq(1),
            outbox::last_error.eq("550 5.1.1 No such user"),
        ))
        .execute(&mut w.app.conn())
        .unwrap();
    let path = format!("/group-sessions/{}", k.session);
    assert_eq!(w.app.patch(&path, Some(&w.coach_a.token), &json!({"place": "Zaal 7"})).status(), 200);
    let mails: Vec<(String, String, String)> = outbox::table
        .filter(outbox::template.like("group-%"))
        .filter(outbox::to_address.eq(&w.employee_a.email))
        .order(outbox::created_at)
        .select((outbox::template, outbox::status, outbox::body_text))
        .load(&mut w.app.conn())
        .unwrap();
    let states: Vec<(&str, &str)> = mails.iter().map(|m| (m.0.as_str(), m.1.as_str())).collect();
    assert_eq!(states, [("group-invitation", "queued")], "invited, not told of a change");
    assert!(mails[0].2.contains("Waar: Zaal 7"), "{}", mails[0].2);
    let old: String = outbox::table
        .filter(outbox::to_address.eq("oud.adres@wilkan.test"))
        .select(outbox::status)
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!(old, "cancelled");
}

#[test]
fn a_moved_group_session_tells_its_invitees_and_late_word_is_not_sent() {
    let smtp = SmtpServer::start();
    // This server's worker looks for mail once, at start: what is queued stays queued.
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let k = w.connect(&m);
    let coach = Some(w.coach_a.token.as_str());
    let path = format!("/group-sessions/{}", k.session);
    let mails = || -> Vec<(String, String, String, Option<chrono::NaiveDateTime>)> {
        outbox::table
            .filter(outbox::template.like("group-%"))
            .filter(outbox::to_address.eq(&w.employee_a.email))
            .order(outbox::created_at)
            .select((outbox::template, outbox::status, outbox::body_text, outbox::send_before))
            .load(&mut w.app.conn())
            .unwrap()
    };
    // The invitation waits. A new place replaces it.
    let first = mails();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0].0.as_str(), first[0].1.as_str()), ("group-invitation", "queued"));
    assert_eq!(w.app.patch(&path, coach, &json!({"place": "Zaal 3"})).status(), 200);
    let now = mails();
    let states: Vec<(&str, &str)> = now.iter().map(|m| (m.0.as_str(), m.1.as_str())).collect();
    assert_eq!(states, [("group-invitation", "cancelled"), ("group-invitation", "queued")]);
    assert!(now[1].2.contains("Waar: Zaal 3"), "{}", now[1].2);

    // Once the invitation went out, a new time is word of a change; the deadline is the new time
    // in UTC (Amsterdam in winter: an hour earlier).
    #[allow(clippy::disallowed_methods)] // a fixture: the invitation as if it went out
    diesel::update(outbox::table.filter(outbox::status.eq("queued")))
        .set(outbox::status.eq("sent"))
        .execute(&mut w.app.conn())
        .unwrap();
    // She sent word she cannot come: that was for the old time.
    let notice = json!({"attendance": {w.employee_a.id.clone(): "absent_with_notice"}});
    let attendance = format!("{path}/attendance");
    assert_eq!(w.app.send(M::PUT, &attendance, coach, &notice).status(), 200);
    let hers = || -> Value {
        let s: Value = w.app.get(&path, coach).json().unwrap();
        s["invitees"].as_array().unwrap().iter().find(|i| i["employee_id"] == w.employee_a.id.as_str()).unwrap()
            ["attendance"]
            .clone()
    };
    assert_eq!(hers(), "absent_with_notice");
    let day = crate::helpers::days_from_today(9);
    assert_eq!(w.app.patch(&path, coach, &json!({"starts_at": format!("{day}T14:30:00")})).status(), 200);
    assert_eq!(hers(), Value::Null, "asked anew by the word of the change");
    // Word for the new time stays when only the place changes.
    assert_eq!(w.app.send(M::PUT, &attendance, coach, &notice).status(), 200);
    let now = mails();
    assert_eq!(now.len(), 3, "{now:?}");
    let changed = &now[2];
    assert_eq!((changed.0.as_str(), changed.1.as_str()), ("group-changed", "queued"));
    assert!(changed.2.contains("om 14:30") && changed.2.contains("Waar: Zaal 3"), "{}", changed.2);
    assert!(
        changed.2.contains("Eerst was het: ") && changed.2.contains("om 10:00, Zaal 3."),
        "how it was: {}",
        changed.2
    );
    let local = chrono::NaiveDateTime::parse_from_str(&format!("{day}T14:30:00"), "%Y-%m-%dT%H:%M:%S").unwrap();
    let expected = chrono::TimeZone::from_local_datetime(&chrono_tz::Europe::Amsterdam, &local).unwrap().naive_utc();
    assert_eq!(changed.3, Some(expected), "the deadline of a session at {local}");
    // Notes tell nobody; a second change replaces the word still waiting.
    assert_eq!(w.app.patch(&path, coach, &json!({"notes": "Koffie regelen"})).status(), 200);
    assert_eq!(mails().len(), 3);
    assert_eq!(w.app.patch(&path, coach, &json!({"place": "Zaal 4"})).status(), 200);
    assert_eq!(hers(), "absent_with_notice");
    let now = mails();
    let states: Vec<(&str, &str)> = now[2..].iter().map(|m| (m.0.as_str(), m.1.as_str())).collect();
    assert_eq!(states, [("group-changed", "cancelled"), ("group-changed", "queued")]);
    // A link to join by, beside the place: the word says where and how, and what it was.
    let link = json!({"video_link": "https://meet.example/abc"});
    assert_eq!(w.app.patch(&path, coach, &link).status(), 200);
    let now = mails();
    let last = &now.last().unwrap().2;
    assert!(last.contains("Waar: Zaal 4, of online via https://meet.example/abc"), "{last}");
    assert!(last.contains("om 14:30, Zaal 4."), "how it was: {last}");

    // The session began before the mail's turn came (the mail server was away): its word is
    // stopped, not sent late, by a server whose worker runs.
    #[allow(clippy::disallowed_methods)] // a fixture: the deadline as if the session had begun
    diesel::update(outbox::table.filter(outbox::status.eq("queued")))
        .set(outbox::send_before.eq(Some((chrono::Utc::now() - chrono::TimeDelta::minutes(1)).naive_utc())))
        .execute(&mut w.app.conn())
        .unwrap();
    let owned = mail_settings(smtp.port());
    let settings: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _sending = w.app.restart_with(&settings);
    let started = std::time::Instant::now();
    while mails().iter().any(|m| m.1 == "queued" || m.1 == "sending") {
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", mails());
        std::thread::sleep(Duration::from_millis(100));
    }
    let last_error: Option<String> = outbox::table
        .filter(outbox::template.eq("group-changed"))
        .order(outbox::created_at.desc())
        .select(outbox::last_error)
        .first(&mut w.app.conn())
        .unwrap();
    assert!(last_error.is_some_and(|e| e.contains("moment passed")));
    // Word in time goes out.
    assert_eq!(w.app.patch(&path, coach, &json!({"place": "Zaal 5"})).status(), 200);
    while mails().last().is_some_and(|m| m.1 != "sent") {
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", mails());
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent: Vec<String> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.to == [w.employee_a.email.clone()])
        .map(|m| m.text_body())
        .filter(|text| text.contains("groepsgesprek"))
        .collect();
    assert_eq!(sent.len(), 1, "only the word in time went out: {sent:?}");
    assert!(sent[0].contains("Het groepsgesprek is veranderd") && sent[0].contains("Waar: Zaal 5"), "{}", sent[0]);
}

/// A stop takes the employee out of group sessions still to come (their invitation and its mail
/// that had not gone out) and cancels planned visits; a session that was held stays on record.
#[test]
fn a_stop_takes_back_invitations_to_come_and_planned_visits() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let k = w.connect(&m);
    let coach = Some(w.coach_a.token.as_str());
    let held = json!({"starts_at": format!("{}T10:00:00", crate::helpers::days_from_today(-2)), "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]});
    let held = crate::helpers::json_id(w.app.post("/group-sessions", coach, &held), 201);
    let invited = |session: &str| -> i64 {
        wilkan::db::schema::group_invitations::table
            .filter(wilkan::db::schema::group_invitations::session_id.eq(session))
            .count()
            .get_result(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!((invited(&k.session), invited(&held)), (1, 1));
    // A visit planned for yesterday is left as it is by a stop (it may have taken place). Planned
    // before, its day has passed (as a fixture: a visit is planned for a day to come).
    let planned = json!({"date": crate::helpers::days_from_today(1), "kind": "coffee", "with_whom": "De ploeg", "status": "planned"});
    let passed =
        crate::helpers::json_id(w.app.post(&format!("/trajectories/{}/visits", m.trajectory), coach, &planned), 201);
    #[allow(clippy::disallowed_methods)] // a fixture: the visit's day as if it had passed
    diesel::update(wilkan::db::schema::workplace_visits::table.find(&passed))
        .set(wilkan::db::schema::workplace_visits::visit_date.eq(crate::helpers::local_today() - chrono::Days::new(1)))
        .execute(&mut w.app.conn())
        .unwrap();
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    // Moved to a day still to come, it would be planned anew after the stop: 409, nothing changed.
    let ahead = json!({"date": crate::helpers::days_from_today(3)});
    problem(w.app.patch(&format!("/visits/{passed}"), coach, &ahead), 409);
    let done = json!({"status": "done", "how_it_went": "Goed gesprek bij de koffie"});
    assert_eq!(w.app.patch(&format!("/visits/{passed}"), coach, &done).status(), 200, "what took place is recorded");
    assert_eq!((invited(&k.session), invited(&held)), (0, 1), "the coming session's invitation is taken back");
    let invitations: Vec<(Option<String>, String)> = outbox::table
        .filter(outbox::template.eq("group-invitation"))
        .filter(outbox::to_address.eq(&w.employee_a.email))
        .select((outbox::subject_ref, outbox::status))
        .order(outbox::created_at)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(
        invitations,
        [
            (Some(format!("group:{}", k.session)), "cancelled".to_string()),
            (Some(format!("group:{held}")), "queued".into())
        ],
        "the coming session's mail is stopped (the held one's is left to its deadline)"
    );
    let session: Value = w.app.get(&format!("/group-sessions/{}", k.session), coach).json().unwrap();
    assert!(session["invitees"].as_array().unwrap().is_empty(), "{session}");
    let visits: Value = w.app.get(&format!("/trajectories/{}/visits", m.trajectory), coach).json().unwrap();
    let visit = visits["items"].as_array().unwrap().iter().find(|v| v["id"] == k.visit.as_str()).unwrap().clone();
    assert_eq!(visit["status"], "cancelled", "{visit}");
    // The buddy pair ended, and its proposal, not mailed yet, is not sent to either.
    let proposals: Vec<String> = outbox::table
        .filter(outbox::subject_ref.eq(format!("buddy:{}", k.pair)))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert!(!proposals.is_empty() && proposals.iter().all(|s| s == "cancelled"), "{proposals:?}");
}

#[test]
fn buddies_see_only_first_name_and_shared_contact() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let mine: Value = w.app.get("/me/buddy", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!((mine["status"].as_str(), mine["buddy_first_name"].as_str()), (Some("proposed"), Some("Ayşe")));
    assert!(mine["buddy_contact"].is_null());
    assert_eq!(mine.as_object().unwrap().len(), 5, "nothing else about the buddy: {mine}");
    let confirm = |token: &str, contact: &str| {
        w.app.post(&format!("/buddy-pairs/{}/confirm", k.pair), Some(token), &json!({"contact": contact}))
    };
    assert_eq!(confirm(&w.employee_a.token, "06-11111111").status(), 200);
    let v: Value = confirm(&k.buddy_employee.token, "Via de app").json().unwrap();
    assert_eq!((v["status"].as_str(), v["buddy_contact"].as_str()), (Some("active"), Some("06-11111111")));
    let mine: Value = w.app.get("/me/buddy", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(mine["buddy_contact"], "Via de app");
    let counts: Value = w.app.get("/buddy-pairs/summary", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(counts, json!({"proposed": 0, "active": 1, "ended": 0}));
    let pairs: Value = w.app.get("/buddy-pairs", Some(&w.coach_a.token)).json().unwrap();
    assert!(!pairs.to_string().contains("06-11111111"), "coaches do not see the shared contact");
    // One pair per employee.
    problem(
        w.app.post(
            "/buddy-pairs",
            Some(&w.coach_a.token),
            &json!({"employee_a": w.employee_a.id, "employee_b": k.buddy_employee.id}),
        ),
        409,
    );
    problem(confirm(&w.employee_a.token, ""), 422);
    let res =
        w.app.request(M::DELETE, &format!("/buddy-pairs/{}", k.pair), Some(&k.buddy_employee.token)).send().unwrap();
    assert_eq!(res.status(), 204);
    problem(w.app.get("/me/buddy", Some(&w.employee_a.token)), 404);
}

/// A pair goes on only while both trajectories run. A stop ends the pair in its wind-down; a pair
/// still proposed beside a trajectory that has stopped (what a proposal racing a stop could leave
/// behind, set here by hand) is refused at the confirmation, and shares no contact.
#[test]
fn a_pair_whose_trajectory_stopped_is_not_confirmed() {
    use wilkan::db::schema::trajectories;
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let confirm = |token: &str| {
        w.app.post(&format!("/buddy-pairs/{}/confirm", k.pair), Some(token), &json!({"contact": "06-11111111"}))
    };
    assert_eq!(confirm(&w.employee_a.token).status(), 200);
    let set_status = |status: &str| {
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(trajectories::table.find(m.trajectory.as_str()))
            .set(trajectories::status.eq(status))
            .execute(&mut w.app.conn())
            .unwrap();
    };
    let was: String =
        trajectories::table.find(m.trajectory.as_str()).select(trajectories::status).first(&mut w.app.conn()).unwrap();
    set_status("stopped");
    let err = problem(confirm(&k.buddy_employee.token), 409);
    assert!(err["detail"].as_str().unwrap().contains("gaat niet door"), "{err}");
    let theirs: Value = w.app.get("/me/buddy", Some(&k.buddy_employee.token)).json().unwrap();
    assert_eq!(theirs["status"], "proposed", "{theirs}");
    assert_eq!(theirs["i_confirmed"], false, "{theirs}");
    assert!(theirs["buddy_contact"].is_null(), "no contact is shared: {theirs}");

    // Stopped as the API stops it, the pair has ended with it.
    set_status(&was);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token), &stop).status(), 200);
    let err = problem(confirm(&k.buddy_employee.token), 409);
    assert!(err["detail"].as_str().unwrap().contains("al gestopt"), "{err}");
    problem(w.app.get("/me/buddy", Some(&k.buddy_employee.token)), 404);
    let counts: Value = w.app.get("/buddy-pairs/summary", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(counts, json!({"proposed": 0, "active": 0, "ended": 1}));
}

#[test]
fn workplace_visits_are_planned_and_recorded() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let res = w.app.patch(
        &format!("/visits/{}", k.visit),
        Some(&w.employee_a.token),
        &json!({"status": "done", "how_it_went": "Fijn om iedereen weer te zien.", "date": crate::helpers::days_from_today(0)}),
    );
    assert_eq!(res.json::<Value>().unwrap()["status"], "done");
    let before = w.app.count("workplace_visits");
    problem(
        w.app.post(
            &format!("/trajectories/{}/visits", m.trajectory),
            Some(&w.coach_a.token),
            &json!({"date": crate::helpers::days_from_today(2), "kind": "party", "with_whom": "x", "status": "planned"}),
        ),
        422,
    );
    // Planned for a day that has passed: it would stay planned for good.
    let err = problem(
        w.app.post(
            &format!("/trajectories/{}/visits", m.trajectory),
            Some(&w.coach_a.token),
            &json!({"date": crate::helpers::days_from_today(-2), "kind": "coffee", "with_whom": "x", "status": "planned"}),
        ),
        422,
    );
    assert!(err["errors"]["date"][0].as_str().unwrap().contains("gedaan"), "{err}");
    problem(
        w.app.post(
            &format!("/trajectories/{}/visits", m.trajectory),
            Some(&w.coach_a.token),
            &json!({"date": crate::helpers::days_from_today(2), "kind": "coffee", "with_whom": "", "status": "planned"}),
        ),
        422,
    );
    assert_eq!(w.app.count("workplace_visits"), before);
    let list: Value = w.app.get(&format!("/trajectories/{}/visits", m.trajectory), Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(list["items"][0]["how_it_went"], "Fijn om iedereen weer te zien.");
    // The visit shows on the trajectory's timeline, between the other records, in date order.
    let timeline: Value =
        w.app.get(&format!("/trajectories/{}/timeline", m.trajectory), Some(&w.employee_a.token)).json().unwrap();
    let items = timeline["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for kind in ["status", "logbook", "visit", "group_session", "return", "aftercare"] {
        assert!(kinds.contains(&kind), "{kind} on the timeline: {kinds:?}");
    }
    // The fixture's card is still held for the coach (24 hours): the coach's timeline shows it,
    // the employee's not yet, as `/me/cards` does not.
    assert!(!kinds.contains(&"card"), "a held card is not on the employee's timeline: {kinds:?}");
    let coach_view: Value =
        w.app.get(&format!("/trajectories/{}/timeline", m.trajectory), Some(&w.coach_a.token)).json().unwrap();
    assert!(coach_view["items"].as_array().unwrap().iter().any(|i| i["kind"] == "card"));
    let dates: Vec<&str> = items.iter().map(|i| i["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|d| d[0] <= d[1]));
    assert!(items.iter().any(|i| i["kind"] == "visit" && i["title"].as_str().unwrap().contains("wasserij")));
    // In the words an employee knows, not the API's codes.
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    for expected in ["Traject: gestart", "Logboek: gesprek (45 minuten)", "Groepsgesprek: Hulp vragen (uitgenodigd)"] {
        assert!(titles.contains(&expected), "{expected} in {titles:?}");
    }
    assert!(titles.iter().any(|t| t.starts_with("Weer aan het werk: voor een deel, 8 uur per week")), "{titles:?}");
    assert!(titles.iter().all(|t| !t.contains('_') && !t.contains("Status")), "{titles:?}");
    // A session called off says so, not that she is invited.
    let off = json!({"cancelled": true});
    assert_eq!(w.app.patch(&format!("/group-sessions/{}", k.session), Some(&w.coach_a.token), &off).status(), 200);
    let path = format!("/trajectories/{}/timeline", m.trajectory);
    let after: Value = w.app.get(&path, Some(&w.employee_a.token)).json().unwrap();
    let titles: Vec<&str> = after["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Groepsgesprek: Hulp vragen (gaat niet door)"), "{titles:?}");
}

#[test]
fn cards_are_held_can_be_stopped_and_links_run_out() {
    // (The link's page before writing: `a_colleague_sees_for_whom_and_what_not_to_write`.)
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let t = format!("/trajectories/{}", m.trajectory);
    // Held for the coach (24 hours by default): not yet visible to the employee.
    let mine: Value = w.app.get("/me/cards", Some(&w.employee_a.token)).json().unwrap();
    assert!(mine["items"].as_array().unwrap().is_empty());
    let res = w.app.patch(&format!("/cards/{}", k.card), Some(&w.coach_a.token), &json!({"blocked": true}));
    assert_eq!(res.json::<Value>().unwrap()["blocked"], true);
    let statuses: Vec<String> = outbox::table
        .filter(outbox::template.eq("card-received"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(statuses, vec!["cancelled"], "a stopped card is never sent");
    // Let through after all: the mail goes out again (still after the hold); stopped again, it does not.
    let mail_status = || -> String {
        outbox::table
            .filter(outbox::template.eq("card-received"))
            .select(outbox::status)
            .first(&mut w.app.conn())
            .unwrap()
    };
    let res = w.app.patch(&format!("/cards/{}", k.card), Some(&w.coach_a.token), &json!({"blocked": false}));
    assert_eq!(res.json::<Value>().unwrap()["blocked"], false);
    assert_eq!(mail_status(), "queued");
    w.app.patch(&format!("/cards/{}", k.card), Some(&w.coach_a.token), &json!({"blocked": true}));
    assert_eq!(mail_status(), "cancelled");

    // A link is for one card unless the coach asks for more: the fixture's link is spent.
    let spent = w.app.post(&format!("/cards/{}", k.card_token), None, &json!({"name": "Priya", "message": "Hoi"}));
    problem(spent, 410);
    problem(w.app.get(&format!("/cards/{}", k.card_token), None), 410);
    let team: Value = w
        .app
        .post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "email", "max_uses": 5}))
        .json()
        .unwrap();

    // The colleague learns only the first name; bad input and spent links are refused.
    let thanks: Value = w
        .app
        .post(
            &format!("/cards/{}", team["token"].as_str().unwrap()),
            None,
            &json!({"name": "Priya", "message": "Beterschap en tot snel!"}),
        )
        .json()
        .unwrap();
    assert_eq!(thanks["employee_first_name"], "sandra");
    assert_eq!(thanks.as_object().unwrap().len(), 2);
    problem(
        w.app.post(&format!("/cards/{}", k.card_token), None, &json!({"name": "Priya", "message": "x".repeat(1001)})),
        422,
    );
    problem(w.app.post("/cards/verzonnen", None, &json!({"name": "Priya", "message": "Hoi"})), 404);
    // Spaces only are no name and no message: nothing is stored or mailed.
    let cards_before = w.app.count("cards");
    let blank = problem(
        w.app.post(
            &format!("/cards/{}", team["token"].as_str().unwrap()),
            None,
            &json!({"name": " ", "message": "  "}),
        ),
        422,
    );
    assert!(blank["errors"]["name"].is_array() && blank["errors"]["message"].is_array(), "{blank}");
    assert_eq!(w.app.count("cards"), cards_before);
    let link: Value = w
        .app
        .post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "print", "max_uses": 1}))
        .json()
        .unwrap();
    let token = link["token"].as_str().unwrap();
    assert_eq!(
        w.app.post(&format!("/cards/{token}"), None, &json!({"name": "Jeroen", "message": "Hoi!"})).status(),
        201
    );
    let err =
        problem(w.app.post(&format!("/cards/{token}"), None, &json!({"name": "Jeroen", "message": "Nog een"})), 410);
    assert!(err["detail"].as_str().unwrap().contains("nieuwe link"));
    // A team behind one office address shares a link: every one of its cards gets through.
    let team_link = || -> String {
        let body = json!({"delivery": "print", "max_uses": 50});
        let link: Value = w.app.post(&format!("{t}/card-links"), Some(&w.coach_a.token), &body).json().unwrap();
        link["token"].as_str().unwrap().to_string()
    };
    let write = |token: &str, n: usize| -> Vec<u16> {
        (0..n)
            .map(|i| {
                let card = json!({"name": format!("Collega {i}"), "message": "Hoi"});
                w.app.post(&format!("/cards/{token}"), None, &card).status().as_u16()
            })
            .collect()
    };
    let before = w.app.count("cards");
    let statuses = write(&team_link(), 50);
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    // Per address: at most sixty cards an hour, on any link. Every card of this test came from
    // the same address: sixty got through, then only 429s.
    let statuses = write(&team_link(), 15);
    let through = statuses.iter().take_while(|s| **s == 201).count();
    assert!(through > 0 && statuses[through..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(w.app.count("cards"), 60, "{before} before, then {statuses:?}");
}

#[test]
fn cards_without_hold_reach_the_employee_by_mail_and_print() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_CARD_HOLD_HOURS", "0")]));
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let link: Value =
        w.app.post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "email"})).json().unwrap();
    w.app.post(
        &format!("/cards/{}", link["token"].as_str().unwrap()),
        None,
        &json!({"name": "Mohammed", "message": "We denken aan je."}),
    );
    let got = smtp.wait_for(1, Duration::from_secs(10));
    let card = got.iter().find(|m| m.text_body().contains("We denken aan je.")).expect("card mail");
    assert!(card.text_body().contains("Mohammed"));
    let mine: Value = w.app.get("/me/cards", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(mine["items"][0]["author_name"], "Mohammed");
    // Delivered: on the employee's timeline too.
    let timeline: Value = w.app.get(&format!("{t}/timeline"), Some(&w.employee_a.token)).json().unwrap();
    let titles: Vec<&str> = timeline["items"].as_array().unwrap().iter().filter_map(|i| i["title"].as_str()).collect();
    assert!(titles.contains(&"Kaartje van Mohammed"), "{titles:?}");
    let sheet = w.app.get(&format!("{t}/cards?printable=1"), Some(&w.coach_a.token));
    assert!(sheet.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(sheet.text().unwrap().contains("We denken aan je."));
    // Any other value is a mistake, not the list.
    for value in ["0", "2", "ja"] {
        let err = problem(w.app.get(&format!("{t}/cards?printable={value}"), Some(&w.coach_a.token)), 422);
        assert!(err["errors"]["printable"].is_array(), "{value}: {err}");
    }
}

/// A mail the mail server refused for good (a mistyped address) goes out once an admin corrects
/// the address, unless what it was about was called off meanwhile (a card the coach stopped);
/// a login link does not (the employee asks for a new one).
#[test]
fn mail_refused_at_a_mistyped_address_goes_to_the_corrected_one() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_CARD_HOLD_HOURS", "0")]));
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let user = format!("/users/{}", w.employee_a.id);
    let mistyped = "bestaat-niet.sandra@wilkan.test";
    assert_eq!(w.app.patch(&user, Some(&w.admin.token), &json!({"email": mistyped})).status(), 200);
    let write_card = |message: &str| {
        let link: Value = w.app.post(&format!("{t}/card-links"), coach, &json!({"delivery": "email"})).json().unwrap();
        let body = json!({"name": "Mohammed", "message": message});
        assert_eq!(w.app.post(&format!("/cards/{}", link["token"].as_str().unwrap()), None, &body).status(), 201);
    };
    write_card("We denken aan je.");
    write_card("Tot gauw bij de koffie.");
    assert_eq!(w.app.post("/auth/magic-link", None, &json!({"email": mistyped})).status(), 202);
    let by_template = || -> Vec<(String, String, String)> {
        outbox::table
            .order((outbox::template, outbox::status.desc()))
            .select((outbox::template, outbox::to_address, outbox::status))
            .load(&mut w.app.conn())
            .unwrap()
    };
    let started = std::time::Instant::now();
    while by_template().iter().any(|m| m.2 != "failed") && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let given_up = by_template();
    assert_eq!(given_up.len(), 3, "{given_up:?}");
    assert!(given_up.iter().all(|m| m.1 == mistyped && m.2 == "failed"), "refused for good: {given_up:?}");
    // The coach stops the second card: its mail is called off, failed or not.
    let cards: Value = w.app.get(&format!("{t}/cards"), coach).json().unwrap();
    let second = cards["items"].as_array().unwrap().iter().find(|c| c["message"] == "Tot gauw bij de koffie.").unwrap();
    let stop = w.app.patch(&format!("/cards/{}", second["id"].as_str().unwrap()), coach, &json!({"blocked": true}));
    assert_eq!(stop.status(), 200);

    let corrected = "sandra.jansen@wilkan.test";
    assert_eq!(w.app.patch(&user, Some(&w.admin.token), &json!({"email": corrected})).status(), 200);
    let got = smtp.wait_for(1, Duration::from_secs(15));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].to, vec![corrected.to_string()]);
    assert!(got[0].text_body().contains("We denken aan je."), "{}", got[0].text_body());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(smtp.messages().len(), 1, "neither the stopped card nor the login link");
    let after = by_template();
    let of = |template: &str| {
        after.iter().filter(|m| m.0 == template).map(|m| (m.1.as_str(), m.2.as_str())).collect::<Vec<_>>()
    };
    assert_eq!(of("card-received"), [(corrected, "sent"), (mistyped, "cancelled")], "{after:?}");
    assert_eq!(of("magic-link"), [(mistyped, "failed")], "{after:?}");
}

#[test]
fn return_to_work_schedules_aftercare_and_reminds_the_coach() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[]));
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let day = |ago: i64| (crate::helpers::local_today() - chrono::Duration::days(ago)).to_string();
    let ret: Value = w
        .app
        .send(
            M::PUT,
            &format!("{t}/return"),
            coach,
            &json!({"date": day(100), "extent": "partial", "hours_per_week": 8.0, "own_work": true}),
        )
        .json()
        .unwrap();
    let weeks: Vec<i64> = ret["aftercare"].as_array().unwrap().iter().map(|c| c["week"].as_i64().unwrap()).collect();
    assert_eq!(weeks, [2, 6, 12]);
    assert_eq!(ret["aftercare"][0]["due_on"], day(100 - 14));
    let status: Value = w.app.get(&t, coach).json().unwrap();
    assert_eq!(status["status"], "returned");
    // Hours built up: history kept, check-ins not scheduled twice.
    let ret: Value = w
        .app
        .send(
            M::PUT,
            &format!("{t}/return"),
            coach,
            &json!({"date": day(60), "extent": "full", "hours_per_week": 24.0, "own_work": true}),
        )
        .json()
        .unwrap();
    assert_eq!(ret["history"].as_array().unwrap().len(), 2);
    assert_eq!(ret["current"]["hours_per_week"], 24.0);
    assert_eq!(ret["aftercare"].as_array().unwrap().len(), 3);
    problem(
        w.app.send(
            M::PUT,
            &format!("{t}/return"),
            coach,
            &json!({"date": day(1), "extent": "partial", "hours_per_week": 80.0, "own_work": true}),
        ),
        422,
    );

    // Weeks 2 and 6 are long overdue, week 12 (due 16 days ago) too: on the coach's list.
    let due: Value = w.app.get("/aftercare/due", coach).json().unwrap();
    assert_eq!(due["items"].as_array().unwrap().len(), 3);
    assert!(due["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["overdue"] == true && i["employee_first_name"] == "sandra"));
    // Reminders: each overdue check-in mails the coach once.
    let mails = smtp.wait_for(3, Duration::from_secs(10));
    assert!(mails.iter().filter(|m| m.to == vec![w.coach_a.email.clone()]).count() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let reminders = smtp.messages().iter().filter(|m| m.to == vec![w.coach_a.email.clone()]).count();
    assert_eq!(reminders, 3, "one reminder per check-in, not one per worker round");
    let sent: Vec<Option<chrono::NaiveDateTime>> =
        aftercare_checkins::table.select(aftercare_checkins::overdue_reminder_sent_at).load(&mut w.app.conn()).unwrap();
    assert!(sent.iter().all(Option::is_some));

    let first = due["items"][0]["id"].as_str().unwrap();
    problem(w.app.patch(&format!("/aftercare/{first}"), coach, &json!({"status": "skipped"})), 422);
    let done: Value = w
        .app
        .patch(&format!("/aftercare/{first}"), coach, &json!({"status": "done", "note": "Gaat goed, wil meer uren."}))
        .json()
        .unwrap();
    assert_eq!(done["status"], "done");
    let due: Value = w.app.get("/aftercare/due", coach).json().unwrap();
    assert_eq!(due["items"].as_array().unwrap().len(), 2);
    problem(w.app.patch(&format!("/aftercare/{first}"), Some(&w.pl_a.token), &json!({"status": "done"})), 403);

    // The organisation chooses its own weeks.
    let org: Value = w
        .app
        .patch(&format!("/organizations/{}", w.org_a), Some(&w.pl_a.token), &json!({"aftercare_weeks": [1, 4]}))
        .json()
        .unwrap();
    assert_eq!(org["aftercare_weeks"], json!([1, 4]));
    problem(
        w.app.patch(&format!("/organizations/{}", w.org_a), Some(&w.pl_a.token), &json!({"aftercare_weeks": [4, 1]})),
        422,
    );
    problem(w.app.patch(&format!("/organizations/{}", w.org_a), Some(&w.pl_a.token), &json!({"name": "Nieuw"})), 403);
}

#[test]
fn a_check_in_that_falls_due_mails_the_coach_once() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[]));
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    // Returned 15 days ago: the 2-week check-in is due (1 day), the others are in the future.
    let date = (crate::helpers::local_today() - chrono::Duration::days(15)).to_string();
    w.app.send(
        M::PUT,
        &format!("/trajectories/{}/return", m.trajectory),
        coach,
        &json!({"date": date, "extent": "partial", "hours_per_week": 8.0, "own_work": true}),
    );
    let got = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec![w.coach_a.email.clone()]);
    assert!(got[0].text_body().contains("sandra"), "names the employee's first name: {}", got[0].text_body());
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(smtp.messages().len(), 1, "the due reminder goes once");
    let due: Value = w.app.get("/aftercare/due", coach).json().unwrap();
    assert_eq!(due["items"].as_array().unwrap().len(), 1);
    assert_eq!(due["items"][0]["days_overdue"], 1);
}

/// A reminder for a coach who left is not spent on them: it waits, and reaches the coach the
/// trajectory is handed to. A check-in's note stays when a correction leaves it out.
#[test]
fn a_reminder_reaches_the_coach_who_is_there_and_a_note_stays() {
    let smtp = SmtpServer::start();
    // The worker looks for mail once, at start: the reminders are queued here, by hand.
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let date = crate::helpers::days_from_today(-15);
    let back = json!({"date": date, "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    let ret: Value =
        w.app.send(M::PUT, &format!("/trajectories/{}/return", m.trajectory), coach, &back).json().unwrap();
    let checkin = ret["aftercare"][0]["id"].as_str().unwrap().to_string();
    let remind = || queue_aftercare_reminders(&w.app);
    let reminders = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.like("aftercare-%"))
            .select((outbox::to_address, outbox::body_text))
            .load(&mut w.app.conn())
            .unwrap()
    };
    let res = w.app.patch(&format!("/users/{}", w.coach_a.id), Some(&w.admin.token), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    assert_eq!(remind(), 0);
    assert!(reminders().is_empty());
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.nieuw@wilkan.test", "first_name": "Nieuw", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD}),
    );
    let new_coach = crate::helpers::json_id(res, 201);
    let path = format!("/trajectories/{}", m.trajectory);
    assert_eq!(w.app.patch(&path, Some(&w.pl_a.token), &json!({"coach_id": new_coach})).status(), 200);
    assert_eq!(remind(), 1);
    let sent = reminders();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "coach.nieuw@wilkan.test");
    // The mail leads the coach to the trajectory's aftercare.
    let link = format!("https://wilkan.test/trajecten/{}/nazorg", m.trajectory);
    assert!(sent[0].1.contains(&link), "{}", sent[0].1);
    assert_eq!(remind(), 0, "once");

    let token = w.app.token("coach.nieuw@wilkan.test");
    let path = format!("/aftercare/{checkin}");
    let note = |body: Value| -> Value {
        let res = w.app.patch(&path, Some(&token), &body);
        assert_eq!(res.status(), 200);
        res.json::<Value>().unwrap()["note"].clone()
    };
    assert_eq!(note(json!({"status": "done", "note": "Gaat goed, wil meer uren."})), "Gaat goed, wil meer uren.");
    assert_eq!(note(json!({"status": "done"})), "Gaat goed, wil meer uren.", "left out, the note stays");
    assert_eq!(note(json!({"status": "done", "note": ""})), Value::Null, "an empty note clears it");
}

/// A trajectory handed to another coach takes along what waits in the outbox for its coach: a
/// check-in's reminder and an employee's wish for a talk are taken back from the coach before and
/// go to the new coach; a check-in recorded takes back its reminder still waiting (the mail server
/// down, say).
#[test]
fn what_waits_for_the_coach_before_goes_to_the_new_coach_and_a_recorded_check_in_takes_its_reminder_back() {
    let smtp = SmtpServer::start();
    // The worker looks for mail once, at start: the reminders are queued here, by hand, and wait.
    let w = World::on(spawn_with_mail(smtp.port(), &[("WILKAN_MAIL_POLL_MS", "3600000")]));
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let back = json!({"date": crate::helpers::days_from_today(-15), "extent": "partial", "hours_per_week": 8.0, "own_work": true});
    let ret: Value =
        w.app.send(M::PUT, &format!("/trajectories/{}/return", m.trajectory), coach, &back).json().unwrap();
    let checkin = ret["aftercare"][0]["id"].as_str().unwrap().to_string();
    let reminders = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.like("aftercare-%"))
            .order(outbox::created_at)
            .select((outbox::to_address, outbox::status))
            .load(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(queue_aftercare_reminders(&w.app), 1);
    assert_eq!(reminders(), [(w.coach_a.email.clone(), "queued".to_string())]);
    let wish = json!({"text": "Ik wil hier meer over weten", "choice": "coach_talk"});
    let reflection = "/me/courses/invloed/reflection";
    assert_eq!(w.app.send(M::PUT, reflection, Some(&w.employee_a.token), &wish).status(), 200);
    let talks = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.eq("talk-requested"))
            .order(outbox::created_at)
            .select((outbox::to_address, outbox::status))
            .load(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(talks(), [(w.coach_a.email.clone(), "queued".to_string())]);
    // A second wish, whose mail the coach's mail server refused: given up, and still the coach
    // before's to hear of, were the address corrected.
    assert_eq!(
        w.app.send(M::PUT, "/me/courses/kwaliteiten/reflection", Some(&w.employee_a.token), &wish).status(),
        200
    );
    #[allow(clippy::disallowed_methods)] // a fixture: the mail as the worker leaves one refused for good
    diesel::update(outbox::table.filter(outbox::subject_ref.like("talk:%:kwaliteiten")))
        .set((outbox::status.eq("failed"), outbox::attempts.eq(1), outbox::last_error.eq("550 5.1.1 No such user")))
        .execute(&mut w.app.conn())
        .unwrap();
    // A colleague's card on hold: the coach is told.
    let link: Value = w
        .app
        .post(&format!("/trajectories/{}/card-links", m.trajectory), coach, &json!({"delivery": "email"}))
        .json()
        .unwrap();
    let card = json!({"name": "Mohammed", "message": "We denken aan je."});
    assert_eq!(w.app.post(&format!("/cards/{}", link["token"].as_str().unwrap()), None, &card).status(), 201);
    let notices = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.eq("card-waiting"))
            .order(outbox::created_at)
            .select((outbox::to_address, outbox::status))
            .load(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(notices(), [(w.coach_a.email.clone(), "queued".to_string())]);

    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": "coach.opvolger@wilkan.test", "first_name": "Opvolger", "role": "coach", "organization_id": w.org_a, "password": crate::helpers::PASSWORD}),
    );
    let new_coach = crate::helpers::json_id(res, 201);
    let path = format!("/trajectories/{}", m.trajectory);
    assert_eq!(w.app.patch(&path, Some(&w.pl_a.token), &json!({"coach_id": new_coach})).status(), 200);
    assert_eq!(reminders(), [(w.coach_a.email.clone(), "cancelled".to_string())], "not to the coach before");
    let new_address = "coach.opvolger@wilkan.test".to_string();
    let before = (w.coach_a.email.clone(), "cancelled".to_string());
    let talks_now = talks();
    assert_eq!(talks_now[..2], [before.clone(), before.clone()], "the one given up too");
    assert_eq!(
        talks_now[2..],
        [(new_address.clone(), "queued".to_string()), (new_address.clone(), "queued".to_string())]
    );
    assert_eq!(notices(), [before, (new_address.clone(), "queued".to_string())], "the new coach is told of the card");
    assert_eq!(queue_aftercare_reminders(&w.app), 1);
    assert_eq!(reminders()[1], (new_address.clone(), "queued".to_string()));

    let token = w.app.token("coach.opvolger@wilkan.test");
    let done = json!({"status": "done", "note": "Gaat goed."});
    assert_eq!(w.app.patch(&format!("/aftercare/{checkin}"), Some(&token), &done).status(), 200);
    assert_eq!(reminders()[1], (new_address.clone(), "cancelled".to_string()), "about a talk already recorded");
    assert_eq!(queue_aftercare_reminders(&w.app), 0);
    // Stopped: the card on hold is held back, and the new coach's notice of it taken back.
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&path, Some(&w.pl_a.token), &stop).status(), 200);
    assert_eq!(notices()[1], (new_address, "cancelled".to_string()));
}

/// An employee who asks for a talk with their coach at the end of a course: the coach hears of it
/// by mail, once per course; a group talk or none asks the coach nothing.
#[test]
fn a_wish_for_a_talk_reaches_the_coach() {
    let smtp = SmtpServer::start();
    // The worker looks for mail once, at start: what is queued stays queued.
    let settings = [("WILKAN_MAIL_POLL_MS", "3600000"), ("WILKAN_PUBLIC_URL", "https://app.wilkan.test")];
    let w = World::on(spawn_with_mail(smtp.port(), &settings));
    let m = w.method();
    let emp = Some(w.employee_a.token.as_str());
    let reflect = |course: &str, choice: &str| {
        let body = json!({"text": "Ik wil hier meer over weten", "choice": choice});
        assert_eq!(w.app.send(M::PUT, &format!("/me/courses/{course}/reflection"), emp, &body).status(), 200);
    };
    let asked = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.eq("talk-requested"))
            .select((outbox::to_address, outbox::body_text))
            .load(&mut w.app.conn())
            .unwrap()
    };
    reflect("invloed", "group_session");
    reflect("kwaliteiten", "none");
    assert!(asked().is_empty());
    reflect("invloed", "coach_talk");
    let mails = asked();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, w.coach_a.email);
    assert!(mails[0].1.contains("sandra") && mails[0].1.contains("'Invloed'"), "{}", mails[0].1);
    // With a link to the trajectory, under the address users reach Wilkan at.
    let link = format!("https://app.wilkan.test/trajecten/{}", m.trajectory);
    assert!(mails[0].1.contains(&link), "{}", mails[0].1);
    reflect("invloed", "both");
    reflect("invloed", "none");
    reflect("invloed", "coach_talk");
    assert_eq!(asked().len(), 1, "once per course, however often the choice changes");
    reflect("hulp-vragen", "both");
    assert_eq!(asked().len(), 2);
    // Once the mail has gone and the housekeeping has cleared it from the outbox, a reflection
    // mended later is still no new wish.
    reflect("kwaliteiten", "coach_talk");
    assert_eq!(asked().len(), 3);
    diesel::delete(outbox::table.filter(outbox::subject_ref.eq(format!("talk:{}:kwaliteiten", m.trajectory))))
        .execute(&mut w.app.conn())
        .unwrap();
    reflect("kwaliteiten", "coach_talk");
    reflect("kwaliteiten", "none");
    reflect("kwaliteiten", "both");
    assert_eq!(asked().len(), 2, "asked during this trajectory, whatever the outbox still holds");
    // Stopped before the mail went out: the talk will not take place, the wish is not sent.
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token), &stop).status(), 200);
    let states: Vec<String> = outbox::table
        .filter(outbox::template.eq("talk-requested"))
        .select(outbox::status)
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(states, ["cancelled", "cancelled"]);
}

/// Queues a login-link mail to `to` straight into the outbox, `minutes_ago` old.
fn queue_link_mail(app: &TestApp, to: &str, minutes_ago: i64) -> Option<String> {
    let templates = wilkan::mail::templates::Templates::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/course-content"
    )))
    .unwrap();
    let mut conn = app.conn();
    conn.transaction::<_, wilkan::error::AppError, _>(|c| {
        let vars = std::collections::BTreeMap::from([
            ("first_name", "Kees".to_string()),
            ("organization", "Werkbedrijf Noord".to_string()),
            ("link", "https://wilkan.test/x".to_string()),
            ("minutes", "15".to_string()),
        ]);
        // Queued as the login-link route queues it: it may go out while the link works.
        let at = (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).naive_utc();
        let send_before = Some(at + chrono::Duration::minutes(15));
        let mail =
            wilkan::mail::outbox::Mail { template: "magic-link", to, vars, about: None, not_before: None, send_before };
        let id = wilkan::mail::outbox::queue(c, &templates, mail)?;
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(outbox::table.filter(outbox::to_address.eq(to))).set(outbox::created_at.eq(at)).execute(c)?;
        Ok(id)
    })
    .unwrap()
}

#[test]
fn mail_that_cannot_or_should_no_longer_go_out_is_stopped() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[]));
    let app = &w.app;
    app.create_admin("bestaat-niet@wilkan.test");
    app.create_admin("laat@wilkan.test");
    let gone = app.create_admin("vertrokken@wilkan.test");
    // A deactivated account gets no more mail.
    let res = app.patch(&format!("/users/{gone}"), Some(&w.admin.token), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    assert_eq!(queue_link_mail(app, "vertrokken@wilkan.test", 0), None);

    // Refused for good by the mail server: failed after one attempt, not retried for an hour.
    queue_link_mail(app, "bestaat-niet@wilkan.test", 0).expect("queued");
    // A login link that expired while it waited (the mail server was away): not sent.
    queue_link_mail(app, "laat@wilkan.test", 16).expect("queued");
    queue_link_mail(app, "kees@wilkan.test", 0).expect("queued");
    assert_eq!(smtp.wait_for(1, Duration::from_secs(15)).len(), 1);
    let started = std::time::Instant::now();
    let by_address = |to: &str| -> (String, i32, Option<String>) {
        outbox::table
            .filter(outbox::to_address.eq(to))
            .select((outbox::status, outbox::attempts, outbox::last_error))
            .first(&mut app.conn())
            .unwrap()
    };
    while by_address("bestaat-niet@wilkan.test").0 != "failed" || by_address("laat@wilkan.test").0 == "queued" {
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", outbox_rows(app));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, attempts, error) = by_address("bestaat-niet@wilkan.test");
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| e.contains("550")));
    let (status, _, reason) = by_address("laat@wilkan.test");
    assert_eq!(status, "cancelled");
    assert!(reason.is_some_and(|r| r.contains("moment passed")));
    let to: Vec<Vec<String>> = smtp.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to, vec![vec!["kees@wilkan.test".to_string()]]);

    // Housekeeping deletes sent and stopped mail after a week, failed mail after a month.
    let age = |to: &str, days: i64| {
        let at = (chrono::Utc::now() - chrono::Duration::days(days)).naive_utc();
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(outbox::table.filter(outbox::to_address.eq(to)))
            .set(outbox::created_at.eq(at))
            .execute(&mut app.conn())
            .unwrap();
    };
    age("kees@wilkan.test", 8);
    age("laat@wilkan.test", 6);
    age("bestaat-niet@wilkan.test", 8);
    let pool = wilkan::db::build_pool(&app.target, 1, Duration::from_secs(5));
    wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    let left: Vec<String> =
        outbox::table.select(outbox::to_address).order(outbox::to_address).load(&mut app.conn()).unwrap();
    assert_eq!(left, ["bestaat-niet@wilkan.test", "laat@wilkan.test"]);
    age("bestaat-niet@wilkan.test", 31);
    wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    assert_eq!(app.count("outbox"), 1);
}

/// Queues a login-link mail to `to` straight into the outbox, to go out from `not_before`.
fn queue_later(app: &TestApp, to: &str, not_before: chrono::NaiveDateTime) -> Option<String> {
    let templates = wilkan::mail::templates::Templates::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/course-content"
    )))
    .unwrap();
    let vars = std::collections::BTreeMap::from([
        ("first_name", "Kees".to_string()),
        ("organization", "Werkbedrijf Noord".to_string()),
        ("link", "https://wilkan.test/x".to_string()),
        ("minutes", "15".to_string()),
    ]);
    let mail = wilkan::mail::outbox::Mail {
        template: "magic-link",
        to,
        vars,
        about: None,
        not_before: Some(not_before),
        send_before: None,
    };
    let mut conn = app.conn();
    conn.transaction::<_, wilkan::error::AppError, _>(|c| wilkan::mail::outbox::queue(c, &templates, mail)).unwrap()
}

/// Mail that waited (a login link sent for later, here) goes nowhere when its turn comes and the
/// account was deactivated meanwhile, or its address corrected (the old one may be a stranger's;
/// a card or an invitation goes to the new address instead, see `edges.rs`).
/// A refusal by the server's policy is tried again; only a refused mailbox fails at once.
#[test]
fn waiting_mail_follows_the_account_and_the_server_is_given_time() {
    let smtp = SmtpServer::start();
    let w = World::on(spawn_with_mail(smtp.port(), &[]));
    let app = &w.app;
    let leaving = app.create_admin("vertrekt@wilkan.test");
    let typo = app.create_admin("typfout@wilkan.test");
    let refusals = ["relay-geweigerd@wilkan.test", "quotum-op@wilkan.test", "zonder-code@wilkan.test"];
    for address in refusals {
        app.create_admin(address);
    }
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).naive_utc();
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).naive_utc();
    queue_later(app, "vertrekt@wilkan.test", soon).expect("queued");
    queue_later(app, "typfout@wilkan.test", later).expect("queued");
    for address in refusals {
        queue_later(app, address, chrono::Utc::now().naive_utc()).expect("queued");
    }
    let status = |to: &str| -> (String, i32, Option<String>) {
        outbox::table
            .filter(outbox::to_address.eq(to))
            .select((outbox::status, outbox::attempts, outbox::last_error))
            .first(&mut app.conn())
            .unwrap()
    };
    let res = app.patch(&format!("/users/{leaving}"), Some(&w.admin.token), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    let res = app.patch(&format!("/users/{typo}"), Some(&w.admin.token), &json!({"email": "juist@wilkan.test"}));
    assert_eq!(res.status(), 200);
    // The corrected address: stopped at once, with the change.
    assert_eq!(status("typfout@wilkan.test").0, "cancelled");

    let started = std::time::Instant::now();
    while status("vertrekt@wilkan.test").0 == "queued" || refusals.iter().any(|a| status(a).1 == 0) {
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", outbox_rows(app));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (state, _, reason) = status("vertrekt@wilkan.test");
    assert_eq!(state, "cancelled");
    assert!(reason.is_some_and(|r| r.contains("no longer an active account")));
    // A refusal of the server's policy, of its quota, or one that does not say it is the mailbox's:
    // tried again.
    for (address, says) in refusals.iter().zip(["5.7.1", "5.4.5", "Sender verify failed"]) {
        let (state, attempts, error) = status(address);
        assert!(state == "queued" && attempts >= 1, "{address} is tried again: {state}, {attempts}");
        assert!(error.as_deref().is_some_and(|e| e.contains(says)), "{address}: {error:?}");
    }
    // Nothing went out but the link to choose a password at the corrected address (the old
    // one's reader may have chosen the password).
    let sent: Vec<(Vec<String>, String)> = smtp.messages().iter().map(|m| (m.to.clone(), m.subject())).collect();
    assert!(
        sent.iter().all(|(to, subject)| *to == ["juist@wilkan.test"] && subject.contains("wachtwoord")),
        "{sent:?}"
    );
}

/// A message is tried for days, not an hour: given up only after the attempts and three days.
#[test]
fn a_message_is_given_up_after_its_attempts_and_three_days() {
    let w = World::on(spawn_with_mail(1, &[("WILKAN_MAIL_POLL_MS", "600000")]));
    let app = &w.app;
    queue_link_mail(app, "kees@wilkan.test", 0).expect("queued");
    let mut conn = app.conn();
    let down = wilkan::mail::sender::SendError { message: "connection refused".into(), code: None, permanent: false };
    let base = chrono::TimeDelta::seconds(1);
    let fail_once = |conn: &mut wilkan::db::DbConnection, attempts: i32| {
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(outbox::table)
            .set((outbox::attempts.eq(attempts), outbox::next_attempt_at.eq(chrono::Utc::now().naive_utc())))
            .execute(conn)
            .unwrap();
        let row = wilkan::mail::outbox::claim(conn, 5).unwrap().pop().expect("claimed");
        assert!(wilkan::mail::outbox::mark_failed(conn, &row, &down, base, 8).unwrap());
        outbox_rows(app)[0].1.clone()
    };
    assert_eq!(fail_once(&mut conn, 7), "queued", "eight attempts within the hour: the server may be back tomorrow");
    // Written three days ago, but due only since now (a card held, then let through): three
    // days from now, not from when it was written.
    let days_ago = (chrono::Utc::now() - chrono::Duration::days(3)).naive_utc();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(outbox::table).set(outbox::created_at.eq(days_ago)).execute(&mut conn).unwrap();
    assert_eq!(fail_once(&mut conn, 7), "queued", "due for an hour");
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(outbox::table).set(outbox::due_since.eq(Some(days_ago))).execute(&mut conn).unwrap();
    assert_eq!(fail_once(&mut conn, 7), "failed");
}

#[test]
fn a_worker_whose_claim_ran_out_leaves_the_message_to_the_one_that_took_it_over() {
    // No mail server at all: the app's own worker fails and the rows are claimed by hand here.
    let w = World::on(spawn_with_mail(1, &[("WILKAN_MAIL_POLL_MS", "600000")]));
    let app = &w.app;
    queue_link_mail(app, "kees@wilkan.test", 0).expect("queued");
    let mut conn = app.conn();
    let late = wilkan::mail::outbox::claim(&mut conn, 5).unwrap();
    assert_eq!(late.len(), 1);
    // Its lease ran out and a second worker claimed the row.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(outbox::table)
        .set(outbox::locked_until.eq((chrono::Utc::now() - chrono::Duration::seconds(1)).naive_utc()))
        .execute(&mut conn)
        .unwrap();
    let taken = wilkan::mail::outbox::claim(&mut conn, 5).unwrap();
    assert_eq!(taken.len(), 1);
    let refused = wilkan::mail::sender::SendError { message: "timeout".into(), code: None, permanent: false };
    let base = chrono::TimeDelta::seconds(1);
    assert!(!wilkan::mail::outbox::mark_failed(&mut conn, &late[0], &refused, base, 8).unwrap());
    assert!(!wilkan::mail::outbox::mark_sent(&mut conn, &late[0]).unwrap());
    assert_eq!(outbox_rows(app)[0].1, "sending", "the late worker changed nothing");
    assert!(wilkan::mail::outbox::mark_sent(&mut conn, &taken[0]).unwrap());
    assert_eq!(outbox_rows(app)[0].1, "sent");
}

/// Before writing, a colleague sees for whom (the first name only) and that nothing about health
/// belongs in a card; opening the link leaves an entry in the employee's inzage and uses nothing.
#[test]
fn a_colleague_sees_for_whom_and_what_not_to_write() {
    let w = World::new();
    let m = w.method();
    let link: Value = w
        .app
        .post(
            &format!("/trajectories/{}/card-links", m.trajectory),
            Some(&w.coach_a.token),
            &json!({"delivery": "email"}),
        )
        .json()
        .unwrap();
    let path = format!("/cards/{}", link["token"].as_str().unwrap());
    let view: Value = w.app.get(&path, None).json().unwrap();
    assert_eq!(view["employee_first_name"], "sandra", "{view}");
    assert!(view["guidance"].as_str().unwrap().contains("niets over de ziekte"), "{view}");
    assert!(view["guidance"].as_str().unwrap().contains("na 24 uur"), "{view}");
    assert_eq!(view.as_object().unwrap().len(), 4, "nothing else about the employee: {view}");
    let again: Value = w.app.get(&path, None).json().unwrap();
    assert_eq!(again, view, "opening uses nothing up");
    assert_eq!(w.app.post(&path, None, &json!({"name": "Kees", "message": "We missen je!"})).status(), 201);
    problem(w.app.get(&path, None), 410);
    problem(w.app.get("/cards/bestaat-niet", None), 404);
    let doc: Value = w.app.get("/me/data", Some(&w.employee_a.token)).json().unwrap();
    let seen = doc["who_used_my_data"].as_array().unwrap();
    assert!(seen.iter().any(|e| e["action"] == "card.link_opened"), "{seen:?}");
}

/// Sign-in records do not pile up: login links and sessions go 90 days after they stopped working,
/// throttle counters (typed addresses, client addresses) a day after their window.
#[test]
fn housekeeping_deletes_old_sign_in_records() {
    use wilkan::db::schema::login_throttle;
    let w = World::new();
    let app = &w.app;
    let ago = |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).naive_utc();
    let mut conn = app.conn();
    for (id, expired) in [("old", ago(91)), ("recent", ago(89))] {
        diesel::insert_into(magic_links::table)
            .values((
                magic_links::id.eq(id),
                magic_links::user_id.eq(&w.employee_a.id),
                magic_links::token_hash.eq(format!("hash-{id}")),
                magic_links::created_at.eq(expired),
                magic_links::expires_at.eq(expired),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    for (key, started) in [("email:typo@wilkan.test", ago(2)), ("ip:192.0.2.1", chrono::Utc::now().naive_utc())] {
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::key.eq(key),
                login_throttle::failures.eq(3),
                login_throttle::window_started_at.eq(started),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let pool = wilkan::db::build_pool(&app.target, 1, Duration::from_secs(5));
    wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    let links: Vec<String> = magic_links::table.select(magic_links::id).load(&mut conn).unwrap();
    assert!(links.contains(&"recent".to_string()) && !links.contains(&"old".to_string()), "{links:?}");
    let keys: Vec<String> = login_throttle::table.select(login_throttle::key).load(&mut conn).unwrap();
    assert!(
        keys.contains(&"ip:192.0.2.1".to_string()) && !keys.iter().any(|k| k.starts_with("email:typo")),
        "{keys:?}"
    );
}
