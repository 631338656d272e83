//! Edge branches of cards, buddies, group sessions and aftercare, and the lists that each role
//! sees only its own part of: refusals answer with the right status and a Dutch problem, and
//! write nothing.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::Method as M;
use serde_json::{json, Value};
use wilkan::db::schema::{aftercare_checkins, buddy_pairs, card_links, cards, outbox};
use wilkan::mail::outbox::OutboxRow;

use crate::helpers::{days_from_today, inclusion_ok, json_id, problem, Actor, TestApp, World, PASSWORD};

/// An active trajectory of `employee` with coach_a in `cohort` (proposed by pl_a, method consent
/// recorded by the coach).
pub(crate) fn active_trajectory(w: &World, employee: &str, cohort: &str) -> String {
    let pl = Some(w.pl_a.token.as_str());
    let coach = Some(w.coach_a.token.as_str());
    let id = json_id(
        w.app.post(
            "/trajectories",
            pl,
            &json!({"employee_id": employee, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let t = format!("/trajectories/{id}");
    assert_eq!(w.app.post(&format!("{t}/consents"), coach, &json!({"kind": "method", "given": true})).status(), 201);
    assert_eq!(w.app.patch(&t, coach, &json!({"status": "active"})).status(), 200);
    id
}

/// A user of org A, logged in (made by the admin: a project leader sets no passwords).
fn org_a_user(w: &World, email: &str, role: &str) -> Actor {
    let res = w.app.post(
        "/users",
        Some(&w.admin.token),
        &json!({"email": email, "first_name": email.split('@').next().unwrap(), "role": role, "organization_id": w.org_a, "password": PASSWORD}),
    );
    let id = json_id(res, 201);
    Actor { id, email: email.into(), token: w.app.token(email) }
}

/// The 422's messages for `field` (panics when the field is not named).
fn field_messages(body: &Value, field: &str) -> Vec<String> {
    let messages = body["errors"][field].as_array().unwrap_or_else(|| panic!("{field} named in {body}"));
    assert!(!messages.is_empty(), "{body}");
    messages.iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

fn link_uses(app: &TestApp, link: &str) -> i32 {
    card_links::table.find(link).select(card_links::uses).first(&mut app.conn()).unwrap()
}

// --- cards -----------------------------------------------------------------------------------

#[test]
fn an_expired_card_link_is_gone_and_takes_no_card() {
    let w = World::new();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let link: Value = w
        .app
        .post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "print", "max_uses": 5}))
        .json()
        .unwrap();
    let (link_id, token) = (link["id"].as_str().unwrap(), link["token"].as_str().unwrap());
    let card = json!({"name": "Priya", "message": "Beterschap!"});
    assert_eq!(w.app.post(&format!("/cards/{token}"), None, &card).status(), 201, "works while valid");
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(card_links::table.find(link_id))
        .set(card_links::expires_at.eq((chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc()))
        .execute(&mut w.app.conn())
        .unwrap();
    let err = problem(w.app.post(&format!("/cards/{token}"), None, &card), 410);
    let detail = err["detail"].as_str().unwrap();
    assert!(detail.contains("verlopen") && detail.contains("nieuwe link"), "{detail}");
    assert_eq!(w.app.count("cards"), 1, "no card through an expired link");
    assert_eq!(link_uses(&w.app, link_id), 1, "the refused card used nothing up");
}

#[test]
fn a_card_link_of_a_stopped_trajectory_is_gone() {
    let w = World::new();
    let m = w.method();
    let t = format!("/trajectories/{}", m.trajectory);
    let link: Value = w
        .app
        .post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "email", "max_uses": 5}))
        .json()
        .unwrap();
    let (link_id, token) = (link["id"].as_str().unwrap(), link["token"].as_str().unwrap());
    let res = w.app.patch(&t, Some(&w.coach_a.token), &json!({"status": "stopped", "stop_reason": "other"}));
    assert_eq!(res.json::<Value>().unwrap()["status"], "stopped");
    let mails_before = w.app.count("outbox");
    let err = problem(w.app.post(&format!("/cards/{token}"), None, &json!({"name": "Priya", "message": "Hoi"})), 410);
    // Not to ask the coach for a new link, which an ended trajectory does not get; nor why.
    let detail = err["detail"].as_str().unwrap();
    assert!(detail.contains("geen kaartje meer") && !detail.contains("nieuwe link"), "{err}");
    assert!(!detail.contains("gestopt") && !detail.contains("afgesloten"), "{err}");
    let err =
        problem(w.app.post(&format!("{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "email"})), 409);
    assert!(err["detail"].is_string(), "{err}");
    assert_eq!(w.app.count("cards"), 0);
    assert_eq!(link_uses(&w.app, link_id), 0);
    assert_eq!(w.app.count("outbox"), mails_before, "no card mail queued");
    // Expired as well: still not to ask the coach.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let expired = diesel::update(card_links::table.find(link_id))
        .set(card_links::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(1)))
        .execute(&mut w.app.conn());
    assert_eq!(expired.unwrap(), 1);
    let err = problem(w.app.get(&format!("/cards/{token}"), None), 410);
    assert!(err["detail"].as_str().unwrap().contains("geen kaartje meer"), "{err}");
}

#[test]
fn card_link_days_and_uses_out_of_range_are_refused_by_field() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}/card-links", m.trajectory);
    let coach = Some(w.coach_a.token.as_str());
    let before = w.app.count("card_links");
    for (field, bad, message) in [
        ("valid_days", json!(0), "Kies 1 tot 60 dagen."),
        ("valid_days", json!(61), "Kies 1 tot 60 dagen."),
        ("valid_days", json!(-3), "Kies 1 tot 60 dagen."),
        ("max_uses", json!(0), "Kies 1 tot 50 kaartjes."),
        ("max_uses", json!(51), "Kies 1 tot 50 kaartjes."),
    ] {
        let mut body = json!({"delivery": "email"});
        body[field] = bad.clone();
        let err = problem(w.app.post(&path, coach, &body), 422);
        assert_eq!(field_messages(&err, field), vec![message.to_string()], "{field}={bad}: {err}");
        assert_eq!(err["errors"].as_object().unwrap().len(), 1, "only {field} is named: {err}");
    }
    assert_eq!(w.app.count("card_links"), before, "nothing written on refusal");
    // The edges themselves are fine.
    let res = w.app.post(&path, coach, &json!({"delivery": "print", "valid_days": 60, "max_uses": 50}));
    assert_eq!(res.status(), 201);
    let link: Value = res.json().unwrap();
    assert_eq!(link["max_uses"], 50);
    let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((60 * 24 - 1..=60 * 24).contains(&days), "valid for 60 days: {link}");
}

/// An app with `settings`, and in it a card a colleague wrote, to go to the employee by mail:
/// the world and the card's id.
fn card_by_mail(settings: &[(&str, &str)]) -> (World, String) {
    let w = World::on(TestApp::spawn_with(settings));
    let card = {
        let t = format!("/trajectories/{}", w.method().trajectory);
        let coach = Some(w.coach_a.token.as_str());
        let link: Value = w.app.post(&format!("{t}/card-links"), coach, &json!({"delivery": "email"})).json().unwrap();
        let res = w.app.post(
            &format!("/cards/{}", link["token"].as_str().unwrap()),
            None,
            &json!({"name": "Mohammed", "message": "We denken aan je."}),
        );
        assert_eq!(res.status(), 201);
        let list: Value = w.app.get(&format!("{t}/cards"), coach).json().unwrap();
        list["items"][0]["id"].as_str().unwrap().to_string()
    };
    (w, card)
}

/// A card on hold is for the coach to read first: the coach is told by mail when it goes (not
/// again while another card is on hold, however many cards come), and a project leader may stop
/// a card too, when the coach is away. Without a hold there is nothing to tell.
#[test]
fn the_coach_is_told_of_a_card_on_hold_and_a_project_leader_may_stop_it() {
    let (w, card) = card_by_mail(&[("WILKAN_MAIL_POLL_MS", "600000")]);
    let notices = || -> Vec<(String, String)> {
        outbox::table
            .filter(outbox::template.eq("card-waiting"))
            .select((outbox::to_address, outbox::body_text))
            .load(&mut w.app.conn())
            .unwrap()
    };
    let told = notices();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, w.coach_a.email);
    assert!(told[0].1.contains("Een collega heeft een kaartje geschreven voor sandra"), "{}", told[0].1);
    assert!(told[0].1.contains("/kaartjes"), "{}", told[0].1);
    assert!(!told[0].1.contains("We denken aan je"), "the card's words are read in the app, not mailed");
    // A second card while the notice waits: no second notice.
    let t: Value = w.app.get("/trajectories", Some(&w.coach_a.token)).json().unwrap();
    let t = t["items"][0]["id"].as_str().unwrap().to_string();
    let link: Value = w
        .app
        .post(&format!("/trajectories/{t}/card-links"), Some(&w.coach_a.token), &json!({"delivery": "email"}))
        .json()
        .unwrap();
    let res = w.app.post(
        &format!("/cards/{}", link["token"].as_str().unwrap()),
        None,
        &json!({"name": "Kees", "message": "Sterkte!"}),
    );
    assert_eq!(res.status(), 201);
    assert_eq!(notices().len(), 1);
    // The project leader stops the first card.
    let res = w.app.patch(&format!("/cards/{card}"), Some(&w.pl_a.token), &json!({"blocked": true}));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["blocked"], true);
    // Letting it through again is the coach's judgement of the card.
    problem(w.app.patch(&format!("/cards/{card}"), Some(&w.pl_a.token), &json!({"blocked": false})), 403);
    problem(w.app.patch(&format!("/cards/{card}"), Some(&w.pl_b.token), &json!({"blocked": false})), 404);
}

#[test]
fn a_card_that_was_already_delivered_cannot_be_stopped() {
    // No hold and a quick mail worker (mail is written to .eml files: delivered all the same).
    let (w, card) = card_by_mail(&[("WILKAN_CARD_HOLD_HOURS", "0"), ("WILKAN_MAIL_POLL_MS", "100")]);
    let coach = Some(w.coach_a.token.as_str());
    let notices: i64 =
        outbox::table.filter(outbox::template.eq("card-waiting")).count().get_result(&mut w.app.conn()).unwrap();
    assert_eq!(notices, 0, "no hold: nothing for the coach to read first");
    let card_mail = || -> String {
        outbox::table
            .filter(outbox::template.eq("card-received"))
            .select(outbox::status)
            .first(&mut w.app.conn())
            .unwrap()
    };
    let started = std::time::Instant::now();
    while card_mail() != "sent" {
        assert!(started.elapsed() < Duration::from_secs(15), "card mail not sent: {}", card_mail());
        std::thread::sleep(Duration::from_millis(50));
    }
    let err = problem(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})), 409);
    assert!(err["detail"].as_str().unwrap().contains("al bezorgd"), "{err}");
    // Nothing changed: the card is not marked stopped, the mail stays sent, the employee keeps it.
    let (blocked, blocked_by): (bool, Option<String>) =
        cards::table.find(&card).select((cards::blocked, cards::blocked_by)).first(&mut w.app.conn()).unwrap();
    assert_eq!((blocked, blocked_by), (false, None));
    assert_eq!(card_mail(), "sent");
    let mine: Value = w.app.get("/me/cards", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(ids(&mine), vec![card.clone()]);
    // A week later the housekeeping has cleared the sent mail: the card went out all the same.
    diesel::delete(outbox::table.filter(outbox::template.eq("card-received"))).execute(&mut w.app.conn()).unwrap();
    let err = problem(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})), 409);
    assert!(err["detail"].as_str().unwrap().contains("al bezorgd"), "{err}");
}

/// An address corrected while a card waits out its hold: the card goes to the new address, a login
/// link asked for meanwhile does not (it goes with its link), and nothing goes to the old one.
#[test]
fn a_card_waiting_for_a_corrected_address_goes_to_the_new_one() {
    let (w, card) = card_by_mail(&[("WILKAN_MAIL_POLL_MS", "600000")]);
    let old = w.employee_a.email.clone();
    let link = json!({"email": old});
    assert_eq!(w.app.post("/auth/magic-link", None, &link).status(), 202);
    let res = w.app.patch(
        &format!("/users/{}", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"email": "juist@wilkan.test"}),
    );
    assert_eq!(res.status(), 200);
    let mails: Vec<(String, String, String)> = outbox::table
        .order(outbox::template)
        .select((outbox::template, outbox::to_address, outbox::status))
        .load(&mut w.app.conn())
        .unwrap();
    let of = |template: &str| mails.iter().find(|m| m.0 == template).cloned().unwrap();
    assert_eq!(of("card-received"), ("card-received".into(), "juist@wilkan.test".into(), "queued".into()), "{mails:?}");
    assert_eq!(of("magic-link").2, "cancelled", "{mails:?}");
    assert!(mails.iter().all(|m| m.1 != old || m.2 == "cancelled"), "{mails:?}");
    // Tried at the old address meanwhile (the mail server away): corrected once more, it is tried
    // anew at the right address, its attempts forgotten.
    let about = format!("card:{card}");
    #[allow(clippy::disallowed_methods)] // a fixture: the mail as after a failed attempt
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(&about)))
        .set((outbox::attempts.eq(2), outbox::last_error.eq("connection refused")))
        .execute(&mut w.app.conn())
        .unwrap();
    let res = w.app.patch(
        &format!("/users/{}", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"email": "echt.juist@wilkan.test"}),
    );
    assert_eq!(res.status(), 200);
    let card_mail: (String, String, i32, Option<String>) = outbox::table
        .filter(outbox::subject_ref.eq(&about))
        .select((outbox::to_address, outbox::status, outbox::attempts, outbox::last_error))
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!(card_mail, ("echt.juist@wilkan.test".into(), "queued".into(), 0, None));
    // Given up there (the mail server refused the address), it goes again once the address is
    // corrected; not mail given up that was another account's at that address before, nor mail
    // whose moment has passed (an invitation to a session that has begun).
    #[allow(clippy::disallowed_methods)] // a fixture: the mail as the worker leaves one refused for good
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(&about)))
        .set((outbox::status.eq("failed"), outbox::attempts.eq(1), outbox::last_error.eq("550 5.1.1 No such user")))
        .execute(&mut w.app.conn())
        .unwrap();
    let given_up: OutboxRow = outbox::table
        .filter(outbox::subject_ref.eq(&about))
        .select(OutboxRow::as_select())
        .first(&mut w.app.conn())
        .unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).naive_utc();
    let others = [
        OutboxRow { id: "of-someone-before".into(), recipient_id: Some(w.coach_a.id.clone()), ..given_up.clone() },
        OutboxRow {
            id: "too-late".into(),
            subject_ref: Some("group:x".into()),
            send_before: Some(past),
            ..given_up.clone()
        },
    ];
    for row in &others {
        diesel::insert_into(outbox::table).values(row).execute(&mut w.app.conn()).unwrap();
    }
    let res = w.app.patch(
        &format!("/users/{}", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"email": "definitief@wilkan.test"}),
    );
    assert_eq!(res.status(), 200);
    let now: Vec<(String, String, String, i32)> = outbox::table
        .filter(outbox::subject_ref.eq(&about).or(outbox::subject_ref.eq("group:x")))
        .order(outbox::id)
        .select((outbox::id, outbox::to_address, outbox::status, outbox::attempts))
        .load(&mut w.app.conn())
        .unwrap();
    let old = "echt.juist@wilkan.test".to_string();
    assert_eq!(
        now,
        [
            (given_up.id.clone(), "definitief@wilkan.test".into(), "queued".into(), 0),
            ("of-someone-before".into(), old.clone(), "failed".into(), 1),
            ("too-late".into(), old, "failed".into(), 1),
        ]
    );
}

/// Mail given up before the version that sends it again at a corrected address may be about
/// something called off since (the cancels left it alone then): migration 000023 stops it, so a
/// correction after the upgrade does not send it.
#[test]
fn mail_given_up_before_the_upgrade_stays_unsent() {
    use diesel_migrations::MigrationHarness;
    use wilkan::db::DbConnection;
    let (w, card) = card_by_mail(&[("WILKAN_MAIL_POLL_MS", "600000")]);
    let about = format!("card:{card}");
    let mut conn = w.app.conn();
    let reverted = match &mut conn {
        DbConnection::Pg(c) => c.revert_last_migration(wilkan::db::PG_MIGRATIONS).unwrap().to_string(),
        DbConnection::Sqlite(c) => c.revert_last_migration(wilkan::db::SQLITE_MIGRATIONS).unwrap().to_string(),
    };
    assert!(reverted.ends_with("000023"), "{reverted}");
    #[allow(clippy::disallowed_methods)] // a fixture: the mail as an older worker left one refused for good
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(&about)))
        .set((outbox::status.eq("failed"), outbox::attempts.eq(1), outbox::last_error.eq("550 5.1.1 No such user")))
        .execute(&mut conn)
        .unwrap();
    match &mut conn {
        DbConnection::Pg(c) => c.run_pending_migrations(wilkan::db::PG_MIGRATIONS).map(|_| ()).unwrap(),
        DbConnection::Sqlite(c) => c.run_pending_migrations(wilkan::db::SQLITE_MIGRATIONS).map(|_| ()).unwrap(),
    }
    let res = w.app.patch(
        &format!("/users/{}", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"email": "juist@wilkan.test"}),
    );
    assert_eq!(res.status(), 200);
    let mail: (String, String) = outbox::table
        .filter(outbox::subject_ref.eq(&about))
        .select((outbox::to_address, outbox::status))
        .first(&mut conn)
        .unwrap();
    assert_eq!(mail, (w.employee_a.email.clone(), "cancelled".to_string()));
}

/// A card whose mail a worker is sending at that moment cannot be stopped (it may arrive), and
/// mail cancelled while it was being sent is recorded as sent, so that letting the card through
/// again does not send it twice.
#[test]
fn a_card_mail_being_sent_is_neither_stopped_nor_sent_twice() {
    // The mail is claimed by hand, as a worker would. The app's own worker looks only once, at
    // start-up; the card's hold keeps the mail from it even should that round come late, and the
    // hold is then ended by hand.
    let (w, card) = card_by_mail(&[("WILKAN_MAIL_POLL_MS", "600000")]);
    let coach = Some(w.coach_a.token.as_str());
    let about = format!("card:{card}");
    let mut conn = w.app.conn();
    let card_mail = |conn: &mut wilkan::db::DbConnection| -> String {
        outbox::table.filter(outbox::subject_ref.eq(&about)).select(outbox::status).first(conn).unwrap()
    };
    assert_eq!(card_mail(&mut conn), "queued");
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(&about)))
        .set(outbox::next_attempt_at.eq((chrono::Utc::now() - chrono::Duration::seconds(1)).naive_utc()))
        .execute(&mut conn)
        .unwrap();
    #[allow(clippy::disallowed_methods)] // a fixture: the coach's notice of the card went out
    diesel::update(outbox::table.filter(outbox::template.eq("card-waiting")))
        .set(outbox::status.eq("sent"))
        .execute(&mut conn)
        .unwrap();
    let claimed = wilkan::mail::outbox::claim(&mut conn, 5).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(card_mail(&mut conn), "sending");

    // The coach asks to stop it while it is on its way: refused, and nothing changed.
    let err = problem(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})), 409);
    assert!(err["detail"].as_str().unwrap().contains("wordt nu bezorgd"), "{err}");
    let blocked: bool = cards::table.find(&card).select(cards::blocked).first(&mut conn).unwrap();
    assert!(!blocked);
    assert_eq!(card_mail(&mut conn), "sending", "the worker keeps it");

    // Cancelled by something else meanwhile (a corrected address cancels the mail waiting for
    // the old one): still on its way, so the coach's stop is refused all the same.
    assert_eq!(wilkan::mail::outbox::cancel(&mut conn, &about).unwrap(), 1);
    problem(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})), 409);
    // Let through again: back to the worker that holds it, not queued for a second one.
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(wilkan::mail::outbox::restore(&mut conn, &about, &w.employee_a.email, now).unwrap(), 1);
    assert_eq!(card_mail(&mut conn), "sending");
    assert!(wilkan::mail::outbox::claim(&mut conn, 5).unwrap().is_empty(), "nobody else takes it");

    // Cancelled again, and the worker's attempt failed: nobody holds it now, so letting it
    // through queues it at once.
    assert_eq!(wilkan::mail::outbox::cancel(&mut conn, &about).unwrap(), 1);
    let timeout = wilkan::mail::sender::SendError { message: "timeout".into(), code: None, permanent: false };
    let base = chrono::TimeDelta::seconds(1);
    assert!(!wilkan::mail::outbox::mark_failed(&mut conn, &claimed[0], &timeout, base, 8).unwrap());
    assert_eq!(wilkan::mail::outbox::restore(&mut conn, &about, &w.employee_a.email, now).unwrap(), 1);
    assert_eq!(card_mail(&mut conn), "queued");
    let claimed = wilkan::mail::outbox::claim(&mut conn, 5).unwrap();
    assert_eq!(claimed.len(), 1);

    // Cancelled once more, and this attempt went through: it went out, so it is sent, and
    // letting it through again queues nothing.
    assert_eq!(wilkan::mail::outbox::cancel(&mut conn, &about).unwrap(), 1);
    assert!(wilkan::mail::outbox::mark_sent(&mut conn, &claimed[0]).unwrap());
    assert_eq!(card_mail(&mut conn), "sent");
    assert_eq!(wilkan::mail::outbox::restore(&mut conn, &about, &w.employee_a.email, now).unwrap(), 0);
    assert_eq!(card_mail(&mut conn), "sent");
    assert!(wilkan::mail::outbox::claim(&mut conn, 5).unwrap().is_empty());
}

/// A card stopped for longer than the outbox keeps stopped mail (a week), or while the employee's
/// address was corrected, still reaches the employee by mail, at today's address, when the coach
/// lets it through.
#[test]
fn a_card_let_through_after_its_stopped_mail_was_cleared_away_is_mailed_anew() {
    let (w, card) = card_by_mail(&[("WILKAN_MAIL_POLL_MS", "600000")]);
    let coach = Some(w.coach_a.token.as_str());
    let about = format!("card:{card}");
    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})).status(), 200);
    let mut conn = w.app.conn();
    // Eight days on, the housekeeping clears the stopped mail away.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(outbox::table.filter(outbox::subject_ref.eq(&about)))
        .set(outbox::created_at.eq((chrono::Utc::now() - chrono::Duration::days(8)).naive_utc()))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(wilkan::mail::outbox::purge(&mut conn).unwrap(), 1);

    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": false})).status(), 200);
    let mails: Vec<(String, String)> = outbox::table
        .filter(outbox::subject_ref.eq(&about))
        .select((outbox::status, outbox::template))
        .load(&mut conn)
        .unwrap();
    assert_eq!(mails, [("queued".to_string(), "card-received".to_string())]);
    // Let through again before it went: still one mail.
    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})).status(), 200);
    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": false})).status(), 200);
    let queued = |conn: &mut wilkan::db::DbConnection| -> Vec<String> {
        outbox::table
            .filter(outbox::subject_ref.eq(&about))
            .filter(outbox::status.eq("queued"))
            .select(outbox::to_address)
            .load(conn)
            .unwrap()
    };
    assert_eq!(queued(&mut conn), [w.employee_a.email.as_str()]);

    // Stopped again, and meanwhile the employee's address is corrected: let through, the card
    // goes to the new address, not the old one.
    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": true})).status(), 200);
    let admin = Some(w.admin.token.as_str());
    let new_address = json!({"email": "nieuw.adres@wilkan.test"});
    assert_eq!(w.app.patch(&format!("/users/{}", w.employee_a.id), admin, &new_address).status(), 200);
    assert_eq!(w.app.patch(&format!("/cards/{card}"), coach, &json!({"blocked": false})).status(), 200);
    assert_eq!(queued(&mut conn), ["nieuw.adres@wilkan.test"]);
}

// --- buddies ---------------------------------------------------------------------------------

#[test]
fn an_employee_cannot_be_their_own_buddy() {
    let w = World::new();
    // employee_a has an active trajectory: the refusal is about the pair itself.
    w.method();
    let mails = w.app.count("outbox");
    for token in [&w.coach_a.token, &w.pl_a.token] {
        let err = problem(
            w.app.post(
                "/buddy-pairs",
                Some(token),
                &json!({"employee_a": w.employee_a.id, "employee_b": w.employee_a.id}),
            ),
            422,
        );
        assert_eq!(field_messages(&err, "employee_b"), ["Kies twee verschillende medewerkers."]);
    }
    assert_eq!(w.app.count("buddy_pairs"), 0);
    assert_eq!(w.app.count("outbox"), mails, "no proposal mail");
}

#[test]
fn a_coach_of_neither_employee_may_not_pair_them_and_a_project_leader_may() {
    let w = World::new();
    let m = w.method();
    active_trajectory(&w, &w.employee_a2.id, &m.cohort);
    // A second coach of the same organisation, who coaches neither of them.
    let other_coach = org_a_user(&w, "coach2.noord@wilkan.test", "coach");
    let pair = json!({"employee_a": w.employee_a.id, "employee_b": w.employee_a2.id});
    let mails = w.app.count("outbox");
    let err = problem(w.app.post("/buddy-pairs", Some(&other_coach.token), &pair), 403);
    assert!(err["detail"].as_str().unwrap().contains("toestemming"), "{err}");
    assert_eq!(w.app.count("buddy_pairs"), 0);
    assert_eq!(w.app.count("outbox"), mails, "no proposal mail");

    // The project leader of the organisation pairs them: proposed, both asked by mail.
    let res = w.app.post("/buddy-pairs", Some(&w.pl_a.token), &pair);
    assert_eq!(res.status(), 201);
    let out: Value = res.json().unwrap();
    assert_eq!(out["status"], "proposed");
    let members: Vec<(&str, &str, bool)> = out["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["employee_id"].as_str().unwrap(), m["first_name"].as_str().unwrap(), m["confirmed"] == true))
        .collect();
    assert_eq!(members, [(w.employee_a.id.as_str(), "sandra", false), (w.employee_a2.id.as_str(), "kees", false)]);
    let proposed_by: String = buddy_pairs::table
        .find(out["id"].as_str().unwrap())
        .select(buddy_pairs::proposed_by)
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!(proposed_by, w.pl_a.id);
    let mut to: Vec<String> = outbox::table
        .filter(outbox::template.eq("buddy-proposed"))
        .select(outbox::to_address)
        .load(&mut w.app.conn())
        .unwrap();
    to.sort();
    assert_eq!(to, [w.employee_a2.email.clone(), w.employee_a.email.clone()]);
    let counts: Value = w.app.get("/buddy-pairs/summary", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(counts, json!({"proposed": 1, "active": 0, "ended": 0}));
    // The other coach still does not see the pair.
    problem(
        w.app
            .request(M::DELETE, &format!("/buddy-pairs/{}", out["id"].as_str().unwrap()), Some(&other_coach.token))
            .send()
            .unwrap(),
        404,
    );
}

#[test]
fn an_ended_pair_cannot_be_confirmed() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let res = w.app.request(M::DELETE, &format!("/buddy-pairs/{}", k.pair), Some(&w.pl_a.token)).send().unwrap();
    assert_eq!(res.status(), 204);
    let err = problem(
        w.app.post(&format!("/buddy-pairs/{}/confirm", k.pair), Some(&w.employee_a.token), &json!({"contact": "06-1"})),
        409,
    );
    assert!(err["detail"].as_str().unwrap().contains("gestopt"), "{err}");
    let (status, a_confirmed, a_contact): (String, bool, Option<String>) = buddy_pairs::table
        .find(&k.pair)
        .select((buddy_pairs::status, buddy_pairs::a_confirmed, buddy_pairs::a_contact))
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!((status.as_str(), a_confirmed, a_contact), ("ended", false, None));
}

// --- group sessions --------------------------------------------------------------------------

fn session_body(extra: Value) -> Value {
    let mut body =
        json!({"starts_at": format!("{}T10:00:00", days_from_today(7)), "place": "Kantine", "topic": "hulp-vragen"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn who_facilitates_a_group_session_is_checked() {
    let w = World::new();
    let other_coach = org_a_user(&w, "coach2.noord@wilkan.test", "coach");
    // A coach facilitates their own sessions only.
    for facilitator in [&other_coach.id, &w.coach_b.id] {
        let err = problem(
            w.app.post(
                "/group-sessions",
                Some(&w.coach_a.token),
                &session_body(json!({"facilitator_id": facilitator})),
            ),
            403,
        );
        assert!(err["detail"].as_str().unwrap().contains("toestemming"), "{err}");
    }
    // A project leader names the facilitator: left out, or not a coach of the organisation, it is
    // named in the answer.
    let err = problem(w.app.post("/group-sessions", Some(&w.pl_a.token), &session_body(json!({}))), 422);
    assert_eq!(field_messages(&err, "facilitator_id"), ["Kies de coach die het gesprek leidt."]);
    for wrong in [&w.coach_b.id, &w.employee_a.id] {
        let err = problem(
            w.app.post("/group-sessions", Some(&w.pl_a.token), &session_body(json!({"facilitator_id": wrong}))),
            422,
        );
        assert_eq!(field_messages(&err, "facilitator_id"), ["Deze coach bestaat niet in jouw organisatie."]);
    }
    assert_eq!(w.app.count("group_sessions"), 0, "nothing written on refusal");

    // Naming a coach of the organisation, or a coach naming themself, works.
    let s: Value = w
        .app
        .post("/group-sessions", Some(&w.pl_a.token), &session_body(json!({"facilitator_id": other_coach.id})))
        .json()
        .unwrap();
    assert_eq!(s["facilitator_id"], other_coach.id.as_str());
    let res =
        w.app.post("/group-sessions", Some(&w.coach_a.token), &session_body(json!({"facilitator_id": w.coach_a.id})));
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().unwrap()["facilitator_id"], w.coach_a.id.as_str());
    assert_eq!(w.app.count("group_sessions"), 2);
}

#[test]
fn the_interest_list_needs_a_known_course() {
    let w = World::new();
    let coach = Some(w.coach_a.token.as_str());
    let err = problem(w.app.get("/group-sessions/interest?topic=verzonnen-cursus", coach), 422);
    assert_eq!(field_messages(&err, "topic"), ["Kies een cursus."]);
    let err = problem(w.app.get("/group-sessions/interest", coach), 422);
    field_messages(&err, "topic");
    let ok: Value = w.app.get("/group-sessions/interest?topic=hulp-vragen", Some(&w.pl_a.token)).json().unwrap();
    assert_eq!((ok["topic"].as_str(), ok["items"].as_array().map(Vec::len)), (Some("hulp-vragen"), Some(0)));
}

#[test]
fn an_employee_lists_only_the_group_sessions_they_are_invited_to() {
    let w = World::new();
    let coach = Some(w.coach_a.token.as_str());
    // Group sessions invite employees in the method: both get a running trajectory.
    let cohort = json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "R"})),
        201,
    );
    for e in [&w.employee_a, &w.employee_a2] {
        active_trajectory(&w, &e.id, &cohort);
    }
    let mine = json_id(
        w.app.post("/group-sessions", coach, &session_body(json!({"invite": [w.employee_a.id, w.employee_a2.id]}))),
        201,
    );
    let res = w.app.patch(&format!("/group-sessions/{mine}"), coach, &json!({"notes": "Alleen voor de coach."}));
    assert_eq!(res.status(), 200);
    let not_mine =
        json_id(w.app.post("/group-sessions", coach, &session_body(json!({"invite": [w.employee_a2.id]}))), 201);
    let other_org = json_id(w.app.post("/group-sessions", Some(&w.coach_b.token), &session_body(json!({}))), 201);

    let list: Value = w.app.get("/group-sessions", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(ids(&list), vec![mine.clone()]);
    let s = &list["items"][0];
    assert!(s["notes"].is_null(), "no facilitator notes for employees: {s}");
    let invitees: Vec<&str> =
        s["invitees"].as_array().unwrap().iter().map(|i| i["employee_id"].as_str().unwrap()).collect();
    assert_eq!(invitees, [w.employee_a.id.as_str()], "only their own invitation");

    let list: Value = w.app.get("/group-sessions", Some(&w.employee_a2.token)).json().unwrap();
    let mut seen = ids(&list);
    seen.sort();
    let mut expected = vec![mine.clone(), not_mine.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    assert!(!seen.contains(&other_org));
    // Staff see theirs in full.
    let staff: Value = w.app.get("/group-sessions", coach).json().unwrap();
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);
}

// --- aftercare -------------------------------------------------------------------------------

fn return_body() -> Value {
    json!({"date": days_from_today(-3), "extent": "partial", "hours_per_week": 8.0, "own_work": true})
}

#[test]
fn no_return_to_work_on_a_closed_or_stopped_trajectory() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let closed = format!("/trajectories/{}", m.trajectory);
    assert_eq!(w.app.send(M::PUT, &format!("{closed}/return"), coach, &return_body()).status(), 200);
    for status in ["aftercare", "closed"] {
        assert_eq!(w.app.patch(&closed, coach, &json!({"status": status})).status(), 200, "to {status}");
    }
    let stopped = format!("/trajectories/{}", active_trajectory(&w, &w.employee_a2.id, &m.cohort));
    let res = w.app.patch(&stopped, Some(&w.pl_a.token), &json!({"status": "stopped", "stop_reason": "other"}));
    assert_eq!(res.status(), 200);
    let before = (w.app.count("work_returns"), w.app.count("aftercare_checkins"));
    for (t, status) in [(&closed, "closed"), (&stopped, "stopped")] {
        for token in [&w.coach_a.token, &w.pl_a.token] {
            let err = problem(w.app.send(M::PUT, &format!("{t}/return"), Some(token), &return_body()), 409);
            assert_eq!(err["detail"], "Dit traject is gestopt of afgesloten: er kan niets nieuws meer bij.");
        }
        let now: Value = w.app.get(t, coach).json().unwrap();
        assert_eq!(now["status"], status, "the status stays");
    }
    assert_eq!((w.app.count("work_returns"), w.app.count("aftercare_checkins")), before, "nothing written");
}

#[test]
fn a_check_in_is_skipped_with_a_reason_and_set_back_to_due_when_recorded_by_mistake() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let ret: Value =
        w.app.send(M::PUT, &format!("/trajectories/{}/return", m.trajectory), coach, &return_body()).json().unwrap();
    let checkins: Vec<String> =
        ret["aftercare"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(checkins.len(), 3);

    let reason = "Medewerker is twee weken op vakantie.";
    let res = w.app.patch(
        &format!("/aftercare/{}", checkins[0]),
        coach,
        &json!({"status": "skipped", "skip_reason": reason}),
    );
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert_eq!((out["status"].as_str(), out["skip_reason"].as_str()), (Some("skipped"), Some(reason)));
    assert_eq!(out["overdue"], false);
    assert!(out["completed_at"].is_string(), "{out}");
    let (status, skip_reason, completed_by): (String, Option<String>, Option<String>) = aftercare_checkins::table
        .find(&checkins[0])
        .select((aftercare_checkins::status, aftercare_checkins::skip_reason, aftercare_checkins::completed_by))
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!(
        (status.as_str(), skip_reason.as_deref(), completed_by),
        ("skipped", Some(reason), Some(w.coach_a.id.clone()))
    );
    let now: Value = w.app.get(&format!("/trajectories/{}/return", m.trajectory), coach).json().unwrap();
    assert_eq!(now["aftercare"][0]["skip_reason"], reason);
    // A correction later (it did take place after all) keeps when it was first recorded.
    std::thread::sleep(Duration::from_millis(1100));
    let fixed: Value = w
        .app
        .patch(&format!("/aftercare/{}", checkins[0]), coach, &json!({"status": "done", "note": "Toch gebeld."}))
        .json()
        .unwrap();
    assert_eq!((fixed["status"].as_str(), fixed["note"].as_str()), (Some("done"), Some("Toch gebeld.")));
    assert_eq!(fixed["completed_at"], out["completed_at"], "the first moment stays");
    let redo = json!({"status": "skipped", "skip_reason": reason});
    assert_eq!(w.app.patch(&format!("/aftercare/{}", checkins[0]), coach, &redo).status(), 200);

    // A blank reason is no reason.
    let err = problem(
        w.app.patch(&format!("/aftercare/{}", checkins[1]), coach, &json!({"status": "skipped", "skip_reason": "  "})),
        422,
    );
    field_messages(&err, "skip_reason");
    // Recorded by mistake: back to `due`, its reason and moment gone (one still due stays so),
    // and recorded again. A reason goes only with `skipped`.
    let due = json!({"status": "due"});
    let still: Value = w.app.patch(&format!("/aftercare/{}", checkins[1]), coach, &due).json().unwrap();
    assert_eq!(still["status"], "due", "{still}");
    let err = problem(
        w.app.patch(&format!("/aftercare/{}", checkins[0]), coach, &json!({"status": "due", "skip_reason": reason})),
        422,
    );
    field_messages(&err, "skip_reason");
    let undone: Value = w.app.patch(&format!("/aftercare/{}", checkins[0]), coach, &due).json().unwrap();
    assert_eq!(
        (&undone["status"], &undone["skip_reason"], &undone["note"], &undone["completed_at"]),
        (&json!("due"), &Value::Null, &Value::Null, &Value::Null),
        "{undone}"
    );
    assert_eq!(w.app.patch(&format!("/aftercare/{}", checkins[0]), coach, &redo).status(), 200);
    let rows: Vec<(String, String, Option<String>)> = aftercare_checkins::table
        .select((aftercare_checkins::id, aftercare_checkins::status, aftercare_checkins::skip_reason))
        .load(&mut w.app.conn())
        .unwrap();
    for (id, status, skip_reason) in rows {
        if id == checkins[0] {
            assert_eq!((status.as_str(), skip_reason.as_deref()), ("skipped", Some(reason)));
        } else {
            assert_eq!((status.as_str(), skip_reason), ("due", None), "{id} unchanged");
        }
    }
}

// --- lists by role ---------------------------------------------------------------------------

#[test]
fn employees_coaches_and_researchers_list_only_themselves() {
    let w = World::new();
    for (who, query) in [
        (&w.employee_a, String::new()),
        (&w.coach_a, format!("?organization={}", w.org_a)),
        (&w.researcher, format!("?organization={}", w.org_b)),
    ] {
        let list: Value = w.app.get(&format!("/users{query}"), Some(&who.token)).json().unwrap();
        assert_eq!(ids(&list), vec![who.id.clone()], "{} with '{query}': {list}", who.email);
        assert_eq!(list["items"][0]["email"], who.email.as_str());
        assert!(list["next_cursor"].is_null());
    }
    // A filter narrows, never widens: a coach asking for employees gets none.
    let none: Value = w.app.get("/users?role=employee", Some(&w.coach_a.token)).json().unwrap();
    assert!(none["items"].as_array().unwrap().is_empty(), "{none}");
    // Project leaders their organisation, admins everybody (for contrast).
    let org: Value = w.app.get("/users", Some(&w.pl_a.token)).json().unwrap();
    let all: Value = w.app.get("/users", Some(&w.admin.token)).json().unwrap();
    assert_eq!(org["items"].as_array().unwrap().len(), 4, "pl, coach and two employees of org A: {org}");
    assert_eq!(all["items"].as_array().unwrap().len(), 8);
}

#[test]
fn organisations_are_listed_to_members_as_their_own_only() {
    let w = World::new();
    for (who, org) in [
        (&w.employee_a, &w.org_a),
        (&w.coach_a, &w.org_a),
        (&w.pl_a, &w.org_a),
        (&w.coach_b, &w.org_b),
        (&w.pl_b, &w.org_b),
    ] {
        let list: Value = w.app.get("/organizations", Some(&who.token)).json().unwrap();
        assert_eq!(ids(&list), vec![org.clone()], "{}: {list}", who.email);
    }
    // Admins and researchers see every organisation (the handler's documented rule).
    for who in [&w.admin, &w.researcher] {
        let list: Value = w.app.get("/organizations", Some(&who.token)).json().unwrap();
        let mut seen = ids(&list);
        seen.sort();
        let mut both = vec![w.org_a.clone(), w.org_b.clone()];
        both.sort();
        assert_eq!(seen, both, "{}", who.email);
    }
}

/// A stop, here by the employee withdrawing method consent, ends what still ran on the
/// trajectory: aftercare no longer comes due (nor reminds the coach), the buddy pair ends and
/// shares no contact, and a colleague's card on hold is neither mailed nor shown.
#[test]
fn a_stop_ends_aftercare_the_buddy_pair_and_cards_on_hold() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let coach = Some(w.coach_a.token.as_str());
    for token in [&w.employee_a.token, &k.buddy_employee.token] {
        let confirm = json!({"contact": "06-12345678"});
        assert_eq!(w.app.post(&format!("/buddy-pairs/{}/confirm", k.pair), Some(token), &confirm).status(), 200);
    }
    let due = || w.app.get("/aftercare/due", coach).json::<Value>().unwrap()["items"].as_array().unwrap().len();
    let card_mail = |status: &str| -> i64 {
        outbox::table
            .filter(outbox::subject_ref.eq(format!("card:{}", k.card)))
            .filter(outbox::status.eq(status))
            .count()
            .get_result(&mut w.app.conn())
            .unwrap()
    };
    assert!(due() > 0, "the fixture's return was weeks ago");
    assert_eq!(card_mail("queued"), 1, "the card waits out its hold");

    let withdraw = json!({"kind": "method", "given": false});
    let path = format!("/trajectories/{}/consents", m.trajectory);
    assert_eq!(w.app.post(&path, Some(&w.employee_a.token), &withdraw).status(), 201);
    let t: Value = w.app.get(&format!("/trajectories/{}", m.trajectory), coach).json().unwrap();
    assert_eq!(t["status"], "stopped");

    assert_eq!(due(), 0);
    let ret: Value = w.app.get(&format!("/trajectories/{}/return", m.trajectory), coach).json().unwrap();
    for c in ret["aftercare"].as_array().unwrap() {
        assert_eq!(
            (c["status"].as_str(), c["skip_reason"].as_str()),
            (Some("skipped"), Some("Het traject is gestopt."))
        );
    }
    let content = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"));
    let templates = wilkan::mail::templates::Templates::load(content).unwrap();
    let today = crate::helpers::local_today();
    let reminders =
        wilkan::aftercare::queue_reminders(&mut w.app.conn(), &templates, "https://wilkan.test", today).unwrap();
    assert_eq!(reminders, 0, "no reminder about a stopped trajectory");
    for token in [&w.employee_a.token, &k.buddy_employee.token] {
        problem(w.app.get("/me/buddy", Some(token)), 404);
    }
    let pair: String = buddy_pairs::table.find(&k.pair).select(buddy_pairs::status).first(&mut w.app.conn()).unwrap();
    assert_eq!(pair, "ended");
    assert_eq!((card_mail("queued"), card_mail("cancelled")), (0, 1));
    // Nor shown to her once the hold is over: held back, as the coach's list says.
    let list: Value = w.app.get(&format!("/trajectories/{}/cards", m.trajectory), coach).json().unwrap();
    assert_eq!(list["items"][0]["blocked"], true, "{list}");
    let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(1);
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let moved =
        diesel::update(cards::table.find(&k.card)).set(cards::deliver_after.eq(past)).execute(&mut w.app.conn());
    assert_eq!(moved.unwrap(), 1);
    let mine: Value = w.app.get("/me/cards", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");
    let timeline: Value =
        w.app.get(&format!("/trajectories/{}/timeline", m.trajectory), Some(&w.employee_a.token)).json().unwrap();
    assert!(timeline["items"].as_array().unwrap().iter().all(|i| i["kind"] != "card"), "{timeline}");
    // Nor can it be let through again after a block.
    let card = format!("/cards/{}", k.card);
    assert_eq!(w.app.patch(&card, coach, &json!({"blocked": true})).status(), 200);
    let err = problem(w.app.patch(&card, coach, &json!({"blocked": false})), 409);
    assert!(err["detail"].as_str().unwrap().contains("niet meer bezorgd"), "{err}");
    assert_eq!(card_mail("queued"), 0);
}

/// New records need a running trajectory whose employee agreed to the method: before consent and
/// after a stop each is refused with a Dutch 409 and nothing is written; a correction of an
/// existing entry stays possible.
#[test]
fn records_need_a_running_trajectory_with_consent() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let proposed = json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let attempts = |t: &str| -> Vec<reqwest::blocking::Response> {
        let t = format!("/trajectories/{t}");
        vec![
            w.app.send(M::PUT, &format!("{t}/intake"), coach, &crate::helpers::intake_body(true)),
            w.app.send(M::PUT, &format!("{t}/plan"), coach, &crate::helpers::plan_body()),
            w.app.send(M::PUT, &format!("{t}/work-values"), coach, &crate::helpers::work_values_body("later")),
            w.app.post(&format!("{t}/logbook"), coach, &crate::helpers::entry_body(true)),
            w.app.post(
                &format!("{t}/visits"),
                coach,
                &json!({"date": days_from_today(1), "kind": "coffee", "with_whom": "De ploeg", "status": "planned"}),
            ),
            w.app.post(&format!("{t}/card-links"), coach, &json!({"delivery": "email"})),
            w.app.send(M::PUT, &format!("{t}/return"), coach, &return_body()),
        ]
    };
    let tables = [
        "intakes",
        "plans",
        "work_value_snapshots",
        "logbook_entries",
        "workplace_visits",
        "card_links",
        "work_returns",
    ];
    let counts = || tables.map(|t| w.app.count(t));
    let before = counts();
    for res in attempts(&proposed) {
        let err = problem(res, 409);
        assert!(err["detail"].as_str().unwrap().contains("toestemming voor de methode"), "{err}");
    }
    assert_eq!(counts(), before, "nothing written before consent");

    // The running trajectory keeps an entry; after its stop a new one is refused, a correction not.
    let entry = json_id(
        w.app.post(&format!("/trajectories/{}/logbook", m.trajectory), coach, &crate::helpers::entry_body(true)),
        201,
    );
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let before = counts();
    let mut after_the_stop = attempts(&m.trajectory).into_iter();
    // The intake and the plan are there, and are written whole again: a correction.
    for res in after_the_stop.by_ref().take(2) {
        assert_eq!(res.status(), 200, "the intake and the plan can still be corrected");
    }
    for res in after_the_stop {
        let err = problem(res, 409);
        assert_eq!(err["detail"], "Dit traject is gestopt of afgesloten: er kan niets nieuws meer bij.");
    }
    assert_eq!(counts(), before, "nothing new written after the stop");
    // Not a first intake or plan on a trajectory that stopped without them.
    assert_eq!(w.app.patch(&format!("/trajectories/{proposed}"), coach, &stop).status(), 200);
    for res in attempts(&proposed).into_iter().take(2) {
        let err = problem(res, 409);
        assert_eq!(err["detail"], "Dit traject is gestopt of afgesloten: er kan niets nieuws meer bij.");
    }
    assert_eq!(counts(), before, "nothing written");
    let fix = w.app.patch(&format!("/logbook/{entry}"), coach, &json!({"agreements": "Volgende week bellen."}));
    assert_eq!(fix.status(), 200, "a correction of what was written stays possible");
}

#[test]
fn a_done_check_in_has_no_reason_to_skip() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let path = format!("/aftercare/{}", k.checkin);
    let body = json!({"status": "done", "skip_reason": "Geen tijd"});
    let err = problem(w.app.patch(&path, Some(&w.coach_a.token), &body), 422);
    assert!(err["errors"]["skip_reason"].is_array(), "{err}");
    let status: String =
        aftercare_checkins::table.find(&k.checkin).select(aftercare_checkins::status).first(&mut w.app.conn()).unwrap();
    assert_eq!(status, "due", "nothing written");
}

// --- a second trajectory, changes of a trajectory, account reads -------------------------------

/// When a new trajectory with another coach follows, the earlier coach keeps their trajectory but
/// no longer sees the person's own records (absences), and that trajectory's timeline does not
/// show what came after it.
#[test]
fn a_later_coach_takes_over_the_person_s_own_records() {
    let w = World::new();
    let m = w.method();
    let first = Some(w.coach_a.token.as_str());
    let later = org_a_user(&w, "coach.twee@wilkan.test", "coach");
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    assert_eq!(w.app.get(&absences, first).status(), 200);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), first, &stop).status(), 200);
    assert_eq!(w.app.get(&absences, first).status(), 200, "still the coach of her latest trajectory");

    let second = json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a.id, "coach_id": later.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let consent = json!({"kind": "method", "given": true});
    let path = format!("/trajectories/{second}/consents");
    assert_eq!(w.app.post(&path, Some(&later.token), &consent).status(), 201);
    let session = json!({"starts_at": format!("{}T10:00:00", days_from_today(2)), "place": "Kantine", "topic": "invloed", "invite": [w.employee_a.id]});
    assert_eq!(w.app.post("/group-sessions", Some(&later.token), &session).status(), 201);

    problem(w.app.get(&absences, first), 404);
    assert_eq!(w.app.get(&absences, Some(&later.token)).status(), 200);
    // Nor is her consent the earlier coach's to withdraw on her behalf: it would stop the later
    // coach's trajectory, and forget the causes of her absences.
    let consents = w.app.count("consents");
    for kind in ["method", "research"] {
        let withdraw = json!({"kind": kind, "given": false});
        let err = problem(w.app.post(&format!("/trajectories/{}/consents", m.trajectory), first, &withdraw), 409);
        assert!(err["detail"].as_str().unwrap().contains("niet meer de coach"), "{err}");
    }
    assert_eq!(w.app.count("consents"), consents, "nothing recorded");
    let still: Value = w.app.get(&format!("/trajectories/{second}"), Some(&later.token)).json().unwrap();
    assert_eq!(still["status"], "proposed", "{still}");
    // Her learning too: what she writes with the later coach is not the earlier coach's to read,
    // nor to mark done on paper.
    let progress = format!("/trajectories/{}/progress", m.trajectory);
    problem(w.app.get(&progress, first), 404);
    assert_eq!(w.app.get(&format!("/trajectories/{second}/progress"), Some(&later.token)).status(), 200);
    assert_eq!(w.app.get(&progress, Some(&w.pl_a.token)).status(), 200, "the project leader sees the status");
    problem(w.app.post(&format!("{progress}/invloed/paper"), first, &json!({})), 409);
    // And her buddy pairs: the later coach's, not the earlier one's.
    let buddy = org_a_user(&w, "buddy.drie@wilkan.test", "employee");
    let t3 = json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": buddy.id, "coach_id": later.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    assert_eq!(w.app.post(&format!("/trajectories/{t3}/consents"), Some(&later.token), &consent).status(), 201);
    for t in [&second, &t3] {
        let active = json!({"status": "active"});
        assert_eq!(w.app.patch(&format!("/trajectories/{t}"), Some(&later.token), &active).status(), 200);
    }
    // Running now, it is not the earlier coach's to stop either.
    let withdraw = json!({"kind": "method", "given": false});
    problem(w.app.post(&format!("/trajectories/{}/consents", m.trajectory), first, &withdraw), 409);
    let still: Value = w.app.get(&format!("/trajectories/{second}"), Some(&later.token)).json().unwrap();
    assert_eq!(still["status"], "active", "{still}");
    let pair = json!({"employee_a": w.employee_a.id, "employee_b": buddy.id});
    assert_eq!(w.app.post("/buddy-pairs", Some(&later.token), &pair).status(), 201);
    let pairs = |token: &str| -> usize {
        let v: Value = w.app.get("/buddy-pairs", Some(token)).json().unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!((pairs(&later.token), pairs(&w.coach_a.token)), (1, 0), "the pair is the later coach's to see");
    assert_eq!(w.app.get(&format!("/trajectories/{}", m.trajectory), first).status(), 200, "her trajectory stays hers");
    let topics = |t: &str, token: &str| -> Vec<String> {
        let items: Value = w.app.get(&format!("/trajectories/{t}/timeline"), Some(token)).json().unwrap();
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "group_session")
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(topics(&m.trajectory, &w.coach_a.token).iter().all(|t| !t.contains("Invloed")), "the later session");
    assert!(topics(&second, &later.token).iter().any(|t| t.contains("Groepsgesprek: Invloed (uitgenodigd)")));
}

/// A coach who proposes a trajectory reads the person's learning as status only until the person
/// agrees to the method; and what they wrote with an earlier coach is the earlier trajectory's
/// learning round (`courses::rounds`), which the new coach does not read at all.
#[test]
fn a_proposed_trajectory_shows_its_coach_no_learning_text_before_consent() {
    let w = World::new();
    let m = w.method();
    let (c1, c2) = ("uitgangspunten-en-misverstanden", "kwaliteiten");
    let employee = Some(w.employee_a.token.as_str());
    let reflection = json!({"text": "Ik zorg goed voor mezelf.", "choice": "coach_talk"});
    assert_eq!(w.app.send(M::PUT, &format!("/me/courses/{c1}/reflection"), employee, &reflection).status(), 200);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token), &stop).status(), 200);

    let later = org_a_user(&w, "coach.voorstel@wilkan.test", "coach");
    let second = json_id(
        w.app.post(
            "/trajectories",
            Some(&later.token),
            &json!({"employee_id": w.employee_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    // Begun while the new trajectory is proposed: its round.
    let celebration = json!({"text": "Ik heb weer gefietst."});
    assert_eq!(w.app.send(M::PUT, &format!("/me/courses/{c2}/celebration"), employee, &celebration).status(), 200);
    let progress = format!("/trajectories/{second}/progress");
    let course = |slug: &str| -> Value {
        let v: Value = w.app.get(&progress, Some(&later.token)).json().unwrap();
        v["items"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap().clone()
    };
    assert_eq!(course(c1)["status"], "not_started", "the earlier round is not this trajectory's");
    let before = course(c2);
    assert_eq!(before["status"], "in_progress", "{before}");
    assert!(before["celebration"].is_null(), "{before}");
    problem(w.app.get(&format!("/trajectories/{}/progress", m.trajectory), Some(&later.token)), 404);
    // Once she agrees, her coach reads what she wrote in this round, and still nothing of the earlier one.
    let consent = json!({"kind": "method", "given": true});
    assert_eq!(w.app.post(&format!("/trajectories/{second}/consents"), employee, &consent).status(), 201);
    assert_eq!(course(c2)["celebration"], "Ik heb weer gefietst.");
    assert_eq!(
        w.app.patch(&progress.replace("/progress", ""), Some(&later.token), &json!({"status": "active"})).status(),
        200
    );
    assert_eq!(course(c2)["celebration"], "Ik heb weer gefietst.", "kept as the round begins");
    assert!(course(c1)["reflection"].is_null() && course(c1)["status"] == "not_started");
    problem(w.app.get(&format!("/trajectories/{}/progress", m.trajectory), Some(&later.token)), 404);
}

/// The same holds for the coach of an earlier trajectory who proposes the next: the earlier
/// trajectory's consent does not open what the person wrote, until they agree again; then the
/// earlier round is read through the earlier trajectory (the next has a round of its own).
#[test]
fn a_coach_s_earlier_trajectory_does_not_open_learning_text_before_consent_to_the_next() {
    let w = World::new();
    let m = w.method();
    let c1 = "uitgangspunten-en-misverstanden";
    let coach = Some(w.coach_a.token.as_str());
    let employee = Some(w.employee_a.token.as_str());
    let reflection = json!({"text": "Ik zorg goed voor mezelf.", "choice": "none"});
    assert_eq!(w.app.send(M::PUT, &format!("/me/courses/{c1}/reflection"), employee, &reflection).status(), 200);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let second = json_id(
        w.app.post(
            "/trajectories",
            coach,
            &json!({"employee_id": w.employee_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let course_through = |t: &str| -> Value {
        let v: Value = w.app.get(&format!("/trajectories/{t}/progress"), coach).json().unwrap();
        v["items"].as_array().unwrap().iter().find(|c| c["slug"] == c1).unwrap().clone()
    };
    let first = course_through(&m.trajectory);
    assert_eq!(first["status"], "completed");
    assert!(first["reflection"].is_null(), "{first}");
    assert_eq!(course_through(&second)["status"], "not_started");
    let consent = json!({"kind": "method", "given": true});
    assert_eq!(w.app.post(&format!("/trajectories/{second}/consents"), employee, &consent).status(), 201);
    assert_eq!(course_through(&m.trajectory)["reflection"]["text"], "Ik zorg goed voor mezelf.");
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), coach, &json!({"status": "active"})).status(), 200);
    assert_eq!(
        course_through(&m.trajectory)["reflection"]["text"],
        "Ik zorg goed voor mezelf.",
        "moved, still its own"
    );
    assert_eq!(course_through(&second)["status"], "not_started");
    // Ended, the person is back in regular guidance: what they wrote is theirs again.
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), coach, &stop).status(), 200);
    assert!(course_through(&m.trajectory)["reflection"].is_null(), "no texts once the latest trajectory has ended");
}

/// Handing a trajectory to another coach is the project leader's, to an active coach of the same
/// organisation; the records follow the new coach and leave the old one.
#[test]
fn a_trajectory_is_handed_to_another_coach_by_the_project_leader() {
    let w = World::new();
    let m = w.method();
    let path = format!("/trajectories/{}", m.trajectory);
    let later = org_a_user(&w, "coach.opvolger@wilkan.test", "coach");
    let gone = org_a_user(&w, "coach.weg@wilkan.test", "coach");
    assert_eq!(
        w.app.patch(&format!("/users/{}", gone.id), Some(&w.admin.token), &json!({"active": false})).status(),
        200
    );
    problem(w.app.patch(&path, Some(&w.coach_a.token), &json!({"coach_id": later.id})), 403);
    let events = || w.app.count("trajectory_events");
    let before = events();
    for (who, why) in [(&w.coach_b.id, "another organisation"), (&w.employee_a2.id, "not a coach"), (&gone.id, "gone")]
    {
        let err = problem(w.app.patch(&path, Some(&w.pl_a.token), &json!({"coach_id": who})), 422);
        assert!(!field_messages(&err, "coach_id").is_empty(), "{why}");
    }
    let now: Value = w.app.get(&path, Some(&w.pl_a.token)).json().unwrap();
    assert_eq!(now["coach"]["id"], w.coach_a.id.as_str(), "unchanged");
    assert_eq!(events(), before);
    assert_eq!(w.app.patch(&path, Some(&w.pl_a.token), &json!({"coach_id": later.id})).status(), 200);
    let changes = w.app.get("/audit?action=PATCH", Some(&w.admin.token)).json::<Value>().unwrap();
    assert!(changes["items"].as_array().unwrap().iter().any(|e| e["subject_id"] == w.employee_a.id.as_str()));
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    for read in [path.clone(), format!("{path}/intake"), format!("{path}/logbook"), absences] {
        problem(w.app.get(&read, Some(&w.coach_a.token)), 404);
        assert_eq!(w.app.get(&read, Some(&later.token)).status(), 200, "{read}");
    }
}

/// Consent is the person's latest word: a "yes" is given on their latest trajectory only (and on
/// an ended one by the employee alone), a withdrawal counts wherever it is made.
#[test]
fn consent_is_given_on_the_latest_trajectory_and_withdrawn_anywhere() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let employee = Some(w.employee_a.token.as_str());
    let first = format!("/trajectories/{}", m.trajectory);
    let research = |given: bool| json!({"kind": "research", "given": given});
    assert_eq!(w.app.post(&format!("{first}/consents"), employee, &research(true)).status(), 201);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&first, coach, &stop).status(), 200);
    // Ended: the coach no longer gives consent on the employee's behalf; the employee may.
    let err = problem(w.app.post(&format!("{first}/consents"), coach, &research(true)), 409);
    assert!(err["detail"].as_str().unwrap().contains("Alleen de medewerker"), "{err}");
    let second = json_id(
        w.app.post(
            "/trajectories",
            Some(&w.pl_a.token),
            &json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": inclusion_ok()}),
        ),
        201,
    );
    let second = format!("/trajectories/{second}");
    assert_eq!(w.app.post(&format!("{second}/consents"), employee, &research(true)).status(), 201);
    // A withdrawal on the earlier trajectory counts, and the latest one shows it: no category any more.
    assert_eq!(w.app.post(&format!("{first}/consents"), employee, &research(false)).status(), 201);
    let shown: Value = w.app.get(&format!("{second}/consents"), coach).json().unwrap();
    assert_eq!(shown["current"]["research"], false, "{shown}");
    let absences = format!("/employees/{}/absences", w.employee_a.id);
    let with_category =
        json!({"start_date": days_from_today(-30), "end_date": days_from_today(-20), "category": "physical"});
    let err = problem(w.app.post(&absences, coach, &with_category), 422);
    assert!(err["errors"]["category"].is_array(), "{err}");
    // And a "yes" there would undo it: refused, by anyone.
    for token in [employee, coach] {
        let err = problem(w.app.post(&format!("{first}/consents"), token, &research(true)), 409);
        assert!(err["detail"].as_str().unwrap().contains("laatste traject"), "{err}");
    }
    // On the latest trajectory the person's word is theirs to give again.
    assert_eq!(w.app.post(&format!("{second}/consents"), employee, &research(true)).status(), 201);
    assert_eq!(w.app.post(&absences, coach, &with_category).status(), 201);
    // Withdrawing method consent on the earlier trajectory stops the one that runs.
    let method = json!({"kind": "method", "given": false});
    assert_eq!(w.app.post(&format!("{first}/consents"), employee, &method).status(), 201);
    let now: Value = w.app.get(&second, coach).json().unwrap();
    assert_eq!(now["status"], "stopped", "{now}");
}

/// Research consent the employee withdrew themselves is theirs to give again: their coach's
/// record on their behalf would overrule their own latest word. A withdrawal the coach recorded
/// for them, the coach may record taken back.
#[test]
fn a_withdrawal_by_the_employee_is_undone_by_the_employee_only() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let employee = Some(w.employee_a.token.as_str());
    let consents = format!("/trajectories/{}/consents", m.trajectory);
    let research = |given: bool| json!({"kind": "research", "given": given});
    let current = || -> Value { w.app.get(&consents, coach).json::<Value>().unwrap()["current"]["research"].clone() };
    assert_eq!(w.app.post(&consents, coach, &research(true)).status(), 201);
    assert_eq!(w.app.post(&consents, employee, &research(false)).status(), 201);
    let err = problem(w.app.post(&consents, coach, &research(true)), 409);
    assert!(err["detail"].as_str().unwrap().contains("zelf ingetrokken"), "{err}");
    assert_eq!(current(), false, "the refused record changed nothing");
    // Nor after recording a withdrawal of their own on top of hers.
    assert_eq!(w.app.post(&consents, coach, &research(false)).status(), 201);
    problem(w.app.post(&consents, coach, &research(true)), 409);
    // The employee's own "yes", then a withdrawal the coach records for them: the coach may undo that.
    assert_eq!(w.app.post(&consents, employee, &research(true)).status(), 201);
    assert_eq!(w.app.post(&consents, coach, &research(false)).status(), 201);
    assert_eq!(current(), false);
    assert_eq!(w.app.post(&consents, coach, &research(true)).status(), 201);
    assert_eq!(current(), true);
    // Method consent is not touched by the rule: it is given on an open trajectory as before.
    assert_eq!(w.app.post(&consents, coach, &json!({"kind": "method", "given": true})).status(), 201);
}

/// A stop note only with a stop; the cohort, which decides where a trajectory counts, only by a
/// project leader.
#[test]
fn a_trajectory_change_keeps_to_its_kind() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let path = format!("/trajectories/{}", m.trajectory);
    let before: Value = w.app.get(&path, coach).json().unwrap();
    for body in
        [json!({"status": "returned", "stop_note": "Heeft hernia"}), json!({"status": "active", "stop_note": "x"})]
    {
        let err = problem(w.app.patch(&path, coach, &body), 422);
        assert!(!field_messages(&err, "stop_note").is_empty());
    }
    let other = json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 2"})),
        201,
    );
    problem(w.app.patch(&path, coach, &json!({"cohort_id": other})), 403);
    assert_eq!(
        w.app.patch(&path, coach, &json!({"cohort_id": before["cohort_id"]})).status(),
        200,
        "unchanged is fine"
    );
    let after: Value = w.app.get(&path, coach).json().unwrap();
    assert_eq!(
        (&after["status"], &after["cohort_id"], &after["stop_note"]),
        (&before["status"], &before["cohort_id"], &Value::Null)
    );
    assert_eq!(w.app.patch(&path, Some(&w.pl_a.token), &json!({"cohort_id": other})).status(), 200);
}

/// An admin's look at an account of an organisation is in that organisation's audit log, so its
/// project leader sees it.
#[test]
fn an_admin_s_look_at_an_account_is_in_its_organisation_s_log() {
    let w = World::new();
    assert_eq!(w.app.get(&format!("/users/{}", w.employee_a.id), Some(&w.admin.token)).status(), 200);
    let log: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.pl_a.token)).json().unwrap();
    let by_admin = log["items"].as_array().unwrap().iter().filter(|e| e["actor_id"] == w.admin.id.as_str()).count();
    assert!(by_admin >= 1, "{log}");
    let theirs: Value = w.app.get(&format!("/audit?subject={}", w.employee_a.id), Some(&w.pl_b.token)).json().unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "not in another organisation's log");
}
