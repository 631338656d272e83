//! Audit log, inzage, erasure and retention.

use std::io::Read;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use reqwest::Method as M;
use serde_json::{json, Value};

use crate::helpers::{all_pages, problem, TestApp, World, PASSWORD};

fn audit(w: &World, token: &str, query: &str) -> Vec<Value> {
    let page: Value = w.app.get(&format!("/audit?limit=200{query}"), Some(token)).json().unwrap();
    page["items"].as_array().unwrap().clone()
}

/// `from` and `to` are days on the organisations' calendar (Europe/Amsterdam here): a read at
/// 00:30 on 1 July in Amsterdam is 22:30 on 30 June in UTC, and belongs to 1 July.
#[test]
fn the_audit_log_is_searched_by_the_organisations_days() {
    use wilkan::db::schema::audit_log;
    let w = World::new();
    let res = w.app.get(&format!("/users/{}", w.employee_a.id), Some(&w.admin.token));
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap().and_hms_opt(22, 30, 0).unwrap();
    // As if written then: an entry's id is a UUIDv7 of its moment.
    let millis = at.and_utc().timestamp_millis() as u64;
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &[0x5a; 10]).into_uuid().to_string();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let moved = diesel::update(audit_log::table.filter(audit_log::request_id.eq(&request_id)))
        .set((audit_log::at.eq(at), audit_log::id.eq(id)))
        .execute(&mut w.app.conn())
        .unwrap();
    assert_eq!(moved, 1);
    let found = |query: &str| audit(&w, &w.admin.token, query).iter().any(|e| e["request_id"] == request_id.as_str());
    assert!(found("&from=2026-07-01&to=2026-07-01"));
    assert!(found("&from=2026-07-01") && found("&to=2026-07-01"));
    assert!(!found("&to=2026-06-30"));
    assert!(!found("&from=2026-07-02"));
    // As a project leader too (their organisation's entries, read by organisation and id).
    let found_by_pl =
        |query: &str| audit(&w, &w.pl_a.token, query).iter().any(|e| e["request_id"] == request_id.as_str());
    assert!(found_by_pl("&from=2026-07-01&to=2026-07-01"));
    assert!(!found_by_pl("&from=2026-07-02") && !found_by_pl("&to=2026-06-30"));
    // An end before the start is a mistake, not an empty log.
    let err = problem(w.app.get("/audit?from=2026-07-02&to=2026-07-01", Some(&w.pl_a.token)), 422);
    assert!(err["errors"]["to"].is_array(), "{err}");
}

#[test]
fn reads_writes_and_logins_are_audited_in_scope() {
    let w = World::new();
    let m = w.method();
    let res = w.app.get(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token));
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let entries = audit(&w, &w.admin.token, &format!("&subject={}", w.employee_a.id));
    let read = entries.iter().find(|e| e["request_id"] == request_id.as_str()).expect("the read is audited");
    assert_eq!(read["actor_id"], w.coach_a.id.as_str());
    assert_eq!(read["actor_role"], "coach");
    assert_eq!(read["action"], "GET /api/v1/trajectories/{id}");
    assert_eq!(read["organization_id"], w.org_a.as_str());

    // Logins, good and bad.
    w.app.post("/auth/login", None, &json!({"email": w.employee_a.email, "password": "fout-wachtwoord"}));
    let logins = audit(&w, &w.admin.token, "&action=login");
    assert!(logins.iter().any(|e| e["action"] == "login.failed" && e["subject_id"] == w.employee_a.id.as_str()));
    assert!(logins.iter().any(|e| e["action"] == "login.succeeded" && e["actor_id"] == w.coach_a.id.as_str()));
    assert!(logins.iter().all(|e| e["action"].as_str().unwrap().starts_with("login")));
    // The filter is a plain prefix on both backends: `_` and `%` are characters, case counts.
    assert!(audit(&w, &w.admin.token, "&action=login_").is_empty());
    assert!(audit(&w, &w.admin.token, "&action=login%25").is_empty());
    assert!(audit(&w, &w.admin.token, "&action=LOGIN").is_empty());
    assert_eq!(audit(&w, &w.admin.token, "&action=login.failed").len(), 1);

    // A write that fails leaves no entry; reading your own data leaves none either.
    let before = w.app.count("audit_log");
    problem(
        w.app.patch(&format!("/trajectories/{}", m.trajectory), Some(&w.coach_a.token), &json!({"status": "closed"})),
        409,
    );
    w.app.get(&format!("/trajectories/{}", m.trajectory), Some(&w.employee_a.token));
    assert_eq!(w.app.count("audit_log"), before);

    // Project leaders see their organisation's log only; others none.
    assert!(!audit(&w, &w.pl_a.token, "").is_empty());
    assert!(audit(&w, &w.pl_b.token, "").iter().all(|e| e["organization_id"] != w.org_a.as_str()));
    problem(w.app.get("/audit", Some(&w.coach_a.token)), 403);
    // There is no way to change or delete entries.
    let spec = wilkan::http::openapi::document();
    let item = &spec.paths.paths["/api/v1/audit"];
    assert!(item.put.is_none() && item.patch.is_none() && item.delete.is_none() && item.post.is_none());
}

/// A list shows many people at once: its one entry names all of them (as a set, stored once), so
/// each finds the read in their inzage and a project leader finds it by person.
#[test]
fn a_list_is_audited_for_every_person_it_shows() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let (a, buddy) = (w.employee_a.id.as_str(), k.buddy_employee.id.as_str());
    let coach = Some(w.coach_a.token.as_str());
    let listed = |token: &str, action: &str| -> Vec<Value> {
        audit(&w, token, &format!("&action={}", action.replace(' ', "%20").replace('{', "%7B").replace('}', "%7D")))
            .into_iter()
            .filter(|e| e["action"] == action)
            .collect()
    };

    // The coach's list twice: two entries, one set of two persons.
    let sets_before = w.app.count("audit_subject_sets");
    for _ in 0..2 {
        let page: Value = w.app.get("/trajectories", coach).json().unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
    }
    assert_eq!(w.app.count("audit_subject_sets") - sets_before, 2, "the same set is stored once");
    let entries = listed(&w.pl_a.token, "GET /api/v1/trajectories");
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert!(e["subject_id"].is_null());
        let mut shown: Vec<&str> = e["listed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        shown.sort_unstable();
        let mut expected = vec![a, buddy];
        expected.sort_unstable();
        assert_eq!(shown, expected);
    }
    // Found by person, also by the other one in the list; not for someone the list did not show.
    for person in [a, buddy] {
        let about = audit(&w, &w.admin.token, &format!("&subject={person}"));
        assert_eq!(about.iter().filter(|e| e["action"] == "GET /api/v1/trajectories").count(), 2, "{person}");
    }
    let about_a2 = audit(&w, &w.admin.token, &format!("&subject={}", w.employee_a2.id));
    assert!(about_a2.iter().all(|e| e["action"] != "GET /api/v1/trajectories"));

    // Every list of staff that shows employees, read once each: with her answers to a
    // questionnaire, and her wish for a group talk after a course.
    let emp = Some(w.employee_a.token.as_str());
    let answer = json!({"trajectory_id": m.trajectory, "answers": {"confidence_return": 3}});
    assert_eq!(w.app.post("/questionnaires/employee-baseline/responses", emp, &answer).status(), 201);
    let wish = json!({"text": "Ik wil hierover praten met anderen.", "choice": "group_session"});
    let reflection = w.app.send(M::PUT, "/me/courses/uitgangspunten-en-misverstanden/reflection", emp, &wish);
    assert_eq!(reflection.status(), 200);
    let lists = [
        (
            "/questionnaires/employee-baseline/responses",
            "GET /api/v1/questionnaires/{key}/responses",
            w.coach_a.token.as_str(),
        ),
        (
            "/group-sessions/interest?topic=uitgangspunten-en-misverstanden",
            "GET /api/v1/group-sessions/interest",
            w.coach_a.token.as_str(),
        ),
        ("/buddy-pairs", "GET /api/v1/buddy-pairs", w.coach_a.token.as_str()),
        ("/group-sessions", "GET /api/v1/group-sessions", w.coach_a.token.as_str()),
        (&format!("/group-sessions/{}", k.session), "GET /api/v1/group-sessions/{id}", w.coach_a.token.as_str()),
        ("/aftercare/due", "GET /api/v1/aftercare/due", w.pl_a.token.as_str()),
        ("/users", "GET /api/v1/users", w.pl_a.token.as_str()),
    ];
    for (path, _, token) in lists {
        assert_eq!(w.app.get(path, Some(token)).status(), 200, "{path}");
    }
    let doc: Value = w.app.get("/me/data", Some(&w.employee_a.token)).json().unwrap();
    let seen = doc["who_used_my_data"].as_array().unwrap();
    for action in ["GET /api/v1/trajectories"].into_iter().chain(lists.iter().map(|l| l.1)) {
        let hits: Vec<&Value> = seen.iter().filter(|e| e["action"] == action).collect();
        assert!(!hits.is_empty(), "{action} is in the inzage: {seen:?}");
        assert!(hits.iter().all(|e| e["in_a_list"] == true && e["by"] != "jijzelf"), "{hits:?}");
    }
    assert!(seen.windows(2).all(|p| p[0]["at"].as_str() <= p[1]["at"].as_str()), "in order of time");
    assert!(seen.iter().any(|e| e["in_a_list"] == false), "reads of her alone stay there too");
    // The project leader's list of users does not name the project leader.
    let users = listed(&w.pl_a.token, "GET /api/v1/users");
    assert!(users[0]["listed"].as_array().unwrap().iter().all(|v| v != w.pl_a.id.as_str()));
    assert!(users[0]["listed"].as_array().unwrap().iter().any(|v| v == a));

    // Employees' own lists are theirs: no entry, no set.
    let (entries, sets) = (w.app.count("audit_log"), w.app.count("audit_subject_sets"));
    w.app.get("/trajectories", Some(&w.employee_a.token));
    w.app.get("/group-sessions", Some(&w.employee_a.token));
    assert_eq!((w.app.count("audit_log"), w.app.count("audit_subject_sets")), (entries, sets));
}

/// Changes and reads that show more than one person name each of them: a buddy pair (made, seen
/// by one of the two, ended) is in both employees' inzage, a group session's invitation and
/// attendance in each invitee's. An employee reads the entries about them in `GET /audit` too,
/// without the details that could name someone else.
#[test]
fn entries_that_show_several_people_name_each_and_employees_read_their_own() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let (a, buddy) = (&w.employee_a, &k.buddy_employee);
    let coach = Some(w.coach_a.token.as_str());
    w.session_today(&k.session);
    let attendance = json!({"attendance": {a.id.clone(): "present"}});
    let res = w.app.send(M::PUT, &format!("/group-sessions/{}/attendance", k.session), coach, &attendance);
    assert_eq!(res.status(), 200);
    let mine: Value = w.app.get("/me/buddy", Some(&a.token)).json().unwrap();
    assert_eq!(mine["buddy_first_name"], "Ayşe");
    assert_eq!(w.app.request(M::DELETE, &format!("/buddy-pairs/{}", k.pair), coach).send().unwrap().status(), 204);

    let seen_by = |person: &crate::helpers::Actor| -> Vec<Value> {
        let doc: Value = w.app.get("/me/data", Some(&person.token)).json().unwrap();
        doc["who_used_my_data"].as_array().unwrap().clone()
    };
    let has = |seen: &[Value], action: &str, by: &str| seen.iter().any(|e| e["action"] == action && e["by"] == by);
    let buddy_seen = seen_by(buddy);
    for action in ["POST /api/v1/buddy-pairs", "DELETE /api/v1/buddy-pairs/{id}"] {
        assert!(has(&buddy_seen, action, "coach.noord"), "{action} in the buddy's inzage: {buddy_seen:?}");
    }
    assert!(has(&buddy_seen, "GET /api/v1/me/buddy", "sandra"), "her buddy saw her name: {buddy_seen:?}");
    let a_seen = seen_by(a);
    for action in ["POST /api/v1/group-sessions", "PUT /api/v1/group-sessions/{id}/attendance"] {
        assert!(has(&a_seen, action, "coach.noord"), "{action} in the invitee's inzage: {a_seen:?}");
    }

    // Her own entries: the same reads and changes, nothing that names someone else.
    let (own, _) = all_pages(&w.app, "/audit", Some(&a.token), 5);
    assert!(own.iter().any(|e| e["action"] == "PUT /api/v1/group-sessions/{id}/attendance"));
    assert!(own.iter().any(|e| e["action"] == "POST /api/v1/buddy-pairs"));
    assert!(own.iter().all(|e| e["detail"].is_null() && e["listed"] == json!([])), "{own:?}");
    let all: Vec<Value> = audit(&w, &w.admin.token, &format!("&subject={}", a.id));
    assert_eq!(own.len(), all.len(), "every entry about her, and only those");
    // The admin's look at the entries about her is about her too; her own looks leave none.
    let after = all_pages(&w.app, &format!("/audit?subject={}", a.id), Some(&a.token), 50).0;
    assert_eq!(after.len(), own.len() + 1, "naming herself is the same, with the admin's look");
    assert_eq!(
        (after[0]["action"].as_str(), after[0]["actor_id"].as_str()),
        (Some("GET /api/v1/audit"), Some(w.admin.id.as_str()))
    );
    problem(w.app.get(&format!("/audit?subject={}", buddy.id), Some(&a.token)), 403);
}

#[test]
fn inzage_gives_everything_about_me_as_json_and_zip() {
    let w = World::new();
    let m = w.method();
    w.app.get(&format!("/employees/{}/absences", w.employee_a.id), Some(&w.pl_a.token));
    // The coach corrects the entry after the window for quick fixes: the earlier wording is
    // stored, and covered by the inzage.
    use wilkan::db::schema::logbook_entries;
    let days_ago = (chrono::Utc::now() - chrono::Duration::days(8)).naive_utc();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(logbook_entries::table)
        .set(logbook_entries::created_at.eq(days_ago))
        .execute(&mut w.app.conn())
        .unwrap();
    let fix = json!({"agreements": "Cursus 1 en 2 afmaken"});
    assert_eq!(w.app.patch(&format!("/logbook/{}", m.entry), Some(&w.coach_a.token), &fix).status(), 200);
    let in_app: Value = w.app.get(&format!("/logbook/{}", m.entry), Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(in_app["revisions"], json!([]), "the app shows the entry as it is now");
    // A wish for a talk went to the coach by mail: the inzage says so (the mail is the coach's).
    let wish = json!({"text": "Ik wil hierover praten", "choice": "coach_talk"});
    assert_eq!(w.app.send(M::PUT, "/me/courses/invloed/reflection", Some(&w.employee_a.token), &wish).status(), 200);
    let doc: Value = w.app.get("/me/data", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(doc["talk_wishes_passed_on"], json!([{"course": "invloed", "trajectory_id": m.trajectory}]));
    assert_eq!(doc["account"]["email"], w.employee_a.email.as_str());
    assert_eq!(doc["trajectories"].as_array().unwrap().len(), 1);
    // The same trajectory, names, consent and history as the employee reads it by itself.
    let single: Value =
        w.app.get(&format!("/trajectories/{}", m.trajectory), Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(doc["trajectories"][0]["trajectory"], single);
    assert!(!single["history"].as_array().unwrap().is_empty() && single["employee"]["first_name"] != "");
    assert_eq!(doc["absences"].as_array().unwrap().len(), 1);
    let entry = &doc["trajectories"][0]["logbook"][0];
    assert_eq!(entry["agreements"], "Cursus 1 en 2 afmaken");
    assert!(entry["weighing"].is_null() && entry["has_weighing"] == true, "weighings are left out");
    let earlier = &entry["revisions"][0]["previous"];
    assert_eq!(earlier["agreements"], "Cursus 1 afmaken", "{entry}");
    assert!(earlier["weighing"].is_null(), "also from the earlier version: {earlier}");
    assert!(doc["not_included"].as_str().unwrap().contains("Afwegingen"));
    // The right of access covers the intake too, also while the coach has not shared it in the app.
    let intake = &doc["trajectories"][0]["intake"];
    assert_eq!(intake["shared_with_employee"], false, "{intake}");
    assert_eq!(intake["factors"]["self_regulation"]["score"], 1);
    assert_eq!(doc["trajectories"][0]["plan"]["course_order"][0], "uitgangspunten-en-misverstanden");
    assert_eq!(doc["learning"].as_array().unwrap().len(), 7);
    let seen = doc["who_used_my_data"].as_array().unwrap();
    assert!(seen.iter().any(|e| e["role"] == "project_leader" && e["action"].as_str().unwrap().contains("absences")));

    let res = w.app.get("/me/data?format=zip", Some(&w.employee_a.token));
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut html = String::new();
    archive.by_name("mijn-gegevens.html").unwrap().read_to_string(&mut html).unwrap();
    assert!(html.contains("Mijn gegevens in Wilkan") && html.contains("Cursus 1 en 2 afmaken"));
    let mut json_text = String::new();
    archive.by_name("mijn-gegevens.json").unwrap().read_to_string(&mut json_text).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&json_text).unwrap()["account"]["id"], w.employee_a.id.as_str());
    problem(w.app.get("/me/data?format=pdf", Some(&w.employee_a.token)), 422);
}

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Mail is the account's, not the address's: after an address change the inzage still shows the
/// mail that went to the old address, an account given that address later does not see it, and
/// an erasure clears it.
#[test]
fn mail_stays_with_the_account_when_the_address_changes() {
    use wilkan::db::schema::outbox as outbox_table;
    let w = World::new();
    let m = w.method();
    w.connect(&m);
    let admin = Some(w.admin.token.as_str());
    let old = w.employee_a.email.clone();
    let invitations = |to: &str| -> i64 {
        outbox_table::table
            .filter(outbox_table::template.eq("group-invitation"))
            .filter(outbox_table::to_address.eq(to))
            .count()
            .get_result(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(invitations(&old), 1, "the fixture invites her");
    // Gone out before the change: it stays under the address it went to.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    let sent = diesel::update(outbox_table::table.filter(outbox_table::to_address.eq(&old)))
        .set(outbox_table::status.eq("sent"))
        .execute(&mut w.app.conn());
    assert!(sent.unwrap() >= 1);
    let new = "sandra.nieuw@wilkan.test";
    assert_eq!(w.app.patch(&format!("/users/{}", w.employee_a.id), admin, &json!({"email": new})).status(), 200);
    assert_eq!(w.app.patch(&format!("/users/{}", w.employee_a2.id), admin, &json!({"email": old})).status(), 200);
    let kinds = |token: &str| -> Vec<String> {
        let doc: Value = w.app.get("/me/data", Some(token)).json().unwrap();
        doc["mail"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap().to_string()).collect()
    };
    // A new address ends the sessions: both log in again.
    let (hers, theirs) = (w.app.token(new), w.app.token(&old));
    assert!(kinds(&hers).contains(&"group-invitation".to_string()), "hers, at her old address");
    let theirs = kinds(&theirs);
    assert!(!theirs.contains(&"group-invitation".to_string()), "not for who has the address now: {theirs:?}");
    // Erasing who has the address now leaves her mail alone; erasing her takes it, also what
    // went to the address she had before.
    let erase = json!({"reason": "Verzoek van de medewerker (AVG)"});
    assert_eq!(w.app.post(&format!("/users/{}/erase", w.employee_a2.id), admin, &erase).status(), 200);
    assert!(kinds(&hers).contains(&"group-invitation".to_string()), "still hers");
    assert_eq!(w.app.post(&format!("/users/{}/erase", w.employee_a.id), admin, &erase).status(), 200);
    assert_eq!(invitations(&old), 0);
    let left: i64 = outbox_table::table
        .filter(outbox_table::recipient_id.eq(&w.employee_a.id))
        .count()
        .get_result(&mut w.app.conn())
        .unwrap();
    assert_eq!(left, 0);
}

/// A mail queued to a person while they are being erased does not outlive the erasure. Here the
/// mail's transaction locks the person first (as a request does when it queues mail to them),
/// and the erasure starts meanwhile: it waits, then clears that mail too. Once they are erased,
/// nothing more is queued to the old address.
#[test]
fn mail_queued_during_an_erasure_is_cleared_with_it() {
    use wilkan::db::schema::outbox as outbox_table;
    use wilkan::mail::outbox::{self, Mail};
    let w = World::new();
    let content = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"));
    let templates = wilkan::mail::templates::Templates::load(content).unwrap();
    let address = w.employee_a.email.clone();
    fn mail(to: &str) -> Mail<'_> {
        Mail {
            template: "magic-link",
            to,
            vars: [
                ("first_name", "Sandra".to_string()),
                ("organization", "Wilkan".into()),
                ("link", "https://wilkan.test/inloggen".into()),
                ("minutes", "15".into()),
            ]
            .into(),
            about: None,
            not_before: None,
            send_before: None,
        }
    }
    let erase = w.app.request(M::POST, &format!("/users/{}/erase", w.employee_a.id), Some(&w.admin.token));
    let erase = erase.json(&json!({"reason": "Verzoek van de medewerker (AVG)"}));
    let erasing = w
        .app
        .conn()
        .transaction::<_, wilkan::error::AppError, _>(|c| {
            assert!(outbox::queue(c, &templates, mail(&address))?.is_some());
            let erasing = std::thread::spawn(move || erase.send().unwrap().status());
            std::thread::sleep(std::time::Duration::from_millis(700));
            assert!(!erasing.is_finished(), "the erasure waits for the transaction that queues mail");
            Ok(erasing)
        })
        .unwrap();
    assert_eq!(erasing.join().unwrap(), 200);
    let left: i64 = outbox_table::table
        .filter(outbox_table::to_address.eq(&address))
        .count()
        .get_result(&mut w.app.conn())
        .unwrap();
    assert_eq!(left, 0, "the mail queued during the erasure went with it");
    assert!(outbox::queue(&mut w.app.conn(), &templates, mail(&address)).unwrap().is_none());
}

/// Every (table, column) that still contains `needle`, in any table of the database.
fn find_everywhere(app: &TestApp, needle: &str) -> Vec<String> {
    let mut conn = app.conn();
    let cols: Vec<Col> = match app.target.backend {
        wilkan::db::Backend::Sqlite => diesel::sql_query(
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        ),
        wilkan::db::Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public'",
        ),
    }
    .load(&mut conn)
    .unwrap();
    let mut hits = Vec::new();
    for col in cols {
        let n: Vec<N> = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM {} WHERE LOWER(CAST({} AS TEXT)) LIKE '%{}%'",
            col.t,
            col.c,
            needle.to_lowercase()
        ))
        .load(&mut conn)
        .unwrap();
        if n[0].n > 0 {
            hits.push(format!("{}.{}", col.t, col.c));
        }
    }
    hits
}

#[test]
fn erasure_leaves_no_personal_value_keeps_the_counts_and_cannot_be_undone() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let coach = Some(w.coach_a.token.as_str());
    let emp = Some(w.employee_a.token.as_str());
    // A name that appears nowhere else, written into every kind of place.
    w.app.patch(
        &format!("/users/{}", w.employee_a.id),
        Some(&w.pl_a.token),
        &json!({"first_name": "Zwaantje", "last_name": "Brouwersgracht"}),
    );
    w.app.patch(&format!("/group-sessions/{}", k.session), coach, &json!({"notes": "Zwaantje vertelde veel."}));
    let mut entry = crate::helpers::entry_body(true);
    entry["impression"] = json!("Zwaantje Brouwersgracht was open");
    w.app.post(&format!("/trajectories/{}/logbook", m.trajectory), coach, &entry);
    w.app.post(
        &format!("/cards/{}", k.card_token),
        None,
        &json!({"name": "Kees", "message": "Hoi Zwaantje, we missen je!"}),
    );
    w.app.send(
        M::PUT,
        "/me/courses/uitgangspunten-en-misverstanden/reflection",
        emp,
        &json!({"text": "Ik, Zwaantje, neem mee: rust.", "choice": "coach_talk"}),
    );
    w.app.post(
        &format!("/trajectories/{}/visits", m.trajectory),
        emp,
        &json!({"date": crate::helpers::days_from_today(2), "kind": "coffee", "with_whom": "Brouwersgracht-team", "status": "planned"}),
    );
    w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a.email}));
    // Her baseline answers: kept, coded, for the counts; in no list any more.
    let mut baseline = json!({"sex": "female", "age": 44, "confidence_return": 3, "own_role": 2, "attention_felt": 3});
    for k in
        ["sr_plan", "sr_contact", "sr_information", "sr_ask_help", "sr_limits", "sr_small_goals", "sr_talk_manager"]
    {
        baseline[k] = json!(true);
    }
    let answered = w.app.post(
        "/questionnaires/employee-baseline/responses",
        emp,
        &json!({"trajectory_id": m.trajectory, "answers": baseline, "submit": true}),
    );
    assert_eq!(answered.status(), 201, "{}", answered.text().unwrap_or_default());
    let listed = |token: &str| -> usize {
        let v: Value = w.app.get("/questionnaires/employee-baseline/responses", Some(token)).json().unwrap();
        v["items"].as_array().unwrap().len()
    };
    assert_eq!((listed(&w.coach_a.token), listed(&w.pl_a.token)), (1, 1));
    let session = w.app.login(&w.employee_a.email, PASSWORD);
    // A list that showed her: its audit entry's set of persons names her too.
    w.app.get("/trajectories", coach);
    let named_in = find_everywhere(&w.app, &w.employee_a.id);
    assert!(named_in.contains(&"audit_subject_sets.subject_id".to_string()), "{named_in:?}");
    for needle in ["zwaantje", "brouwersgracht", "sandra@wilkan.test"] {
        assert!(!find_everywhere(&w.app, needle).is_empty(), "{needle} was written somewhere before erasure");
    }
    let counts = |app: &TestApp| {
        ["trajectories", "absences", "logbook_entries", "course_progress", "consents", "aftercare_checkins"]
            .map(|t| app.count(t))
    };
    let before = counts(&w.app);

    problem(
        w.app.post(
            &format!("/users/{}/erase", w.employee_a.id),
            Some(&w.pl_a.token),
            &json!({"reason": "Verzoek van de medewerker"}),
        ),
        403,
    );
    problem(
        w.app.post(&format!("/users/{}/erase", w.employee_a.id), Some(&w.admin.token), &json!({"reason": ""})),
        422,
    );
    let res = w.app.post(
        &format!("/users/{}/erase", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"reason": "Verzoek van de medewerker (AVG)"}),
    );
    assert_eq!(res.status(), 200);

    for needle in ["zwaantje", "brouwersgracht", "sandra@wilkan.test", &w.employee_a.id] {
        let hits = find_everywhere(&w.app, needle);
        assert!(hits.is_empty(), "{needle} still in {hits:?}");
    }
    assert_eq!(counts(&w.app), before, "rows for aggregate counts stay");
    // The rows stay for the exports, not for browsing: whoever knew her trajectory finds nothing,
    // and it was stopped, so that nothing runs on it any more.
    let trajectory = format!("/trajectories/{}", m.trajectory);
    for token in [&w.coach_a.token, &w.pl_a.token, &w.admin.token] {
        problem(w.app.get(&trajectory, Some(token)), 404);
        problem(w.app.get(&format!("{trajectory}/logbook"), Some(token)), 404);
    }
    assert_eq!((listed(&w.coach_a.token), listed(&w.pl_a.token)), (0, 0), "her answers in no list");
    let (listed, _) = all_pages(&w.app, "/trajectories", Some(&w.pl_a.token), 100);
    assert!(listed.iter().all(|t| t["id"] != m.trajectory.as_str()), "not in the project leader's list");
    let status: String = wilkan::db::schema::trajectories::table
        .find(&m.trajectory)
        .select(wilkan::db::schema::trajectories::status)
        .first(&mut w.app.conn())
        .unwrap();
    assert_eq!(status, "stopped");
    problem(w.app.get(&format!("/cards/{}", k.card_token), None), 410);
    problem(w.app.post("/auth/refresh", None, &json!({"refresh_token": session["refresh_token"]})), 401);
    problem(w.app.get("/me", session["access_token"].as_str()), 401);
    problem(w.app.get("/me", Some(&w.employee_a.token)), 401);
    problem(w.app.post("/auth/login", None, &json!({"email": w.employee_a.email, "password": PASSWORD})), 401);
    let log = audit(&w, &w.admin.token, "&action=user.erased");
    assert_eq!(log.len(), 1);
    assert!(log[0]["subject_id"].is_null(), "the entry does not name the person");
    assert!(log[0]["detail"].as_str().unwrap().contains("Verzoek van de medewerker"));
    problem(
        w.app.post(&format!("/users/{}/erase", w.employee_a.id), Some(&w.admin.token), &json!({"reason": "nog eens"})),
        404,
    );
    // The account that keeps the records cannot be given a person again, by anyone who manages it:
    // it is not found.
    let kept: String = {
        use wilkan::db::schema::users;
        users::table.filter(users::erased_at.is_not_null()).select(users::id).first(&mut w.app.conn()).unwrap()
    };
    let path = format!("/users/{kept}");
    for token in [&w.admin.token, &w.pl_a.token] {
        for change in [
            json!({"active": true}),
            json!({"email": "terug@wilkan.test"}),
            json!({"first_name": "Sandra"}),
            json!({"password": "een-nieuw-wachtwoord-2026"}),
        ] {
            // A project leader sets no password of anyone's: refused before any account is read.
            let refused = if token == &w.pl_a.token && change.get("password").is_some() { 403 } else { 404 };
            problem(w.app.patch(&path, Some(token), &change), refused);
        }
    }
    let after: (String, bool, Option<String>) = {
        use wilkan::db::schema::users;
        users::table
            .find(&kept)
            .select((users::first_name, users::active, users::password_hash))
            .first(&mut w.app.conn())
            .unwrap()
    };
    assert_eq!(after, ("Verwijderd".to_string(), false, None));
}

#[test]
fn retention_pseudonymises_long_ended_trajectories() {
    let w = World::new();
    let m = w.method();
    w.app.patch(
        &format!("/trajectories/{}", m.trajectory),
        Some(&w.coach_a.token),
        &json!({"status": "stopped", "stop_reason": "other"}),
    );
    // A second person whose only trajectory stopped before it began.
    let cohort = crate::helpers::json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 2"})),
        201,
    );
    let inclusion = crate::helpers::inclusion_ok();
    let body =
        json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion});
    let second = crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &body), 201);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), Some(&w.coach_a.token), &stop).status(), 200);
    let pool = wilkan::db::build_pool(&w.app.target, 1, std::time::Duration::from_secs(5));
    let people = || wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    assert_eq!(people(), 0, "recently ended: kept");
    use wilkan::db::schema::trajectories;
    let old = (chrono::Utc::now() - chrono::Duration::days(800)).naive_utc();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(trajectories::table).set(trajectories::updated_at.eq(old)).execute(&mut w.app.conn()).unwrap();
    // Her absence was recorded during the trajectory, as long ago.
    use wilkan::db::schema::absences;
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(absences::table).set(absences::updated_at.eq(old)).execute(&mut w.app.conn()).unwrap();
    assert_eq!(people(), 2);
    // An entry per person, each written in that person's own transaction, naming no one.
    let entries = audit(&w, &w.admin.token, "&action=retention.pseudonymised");
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(
        entries.iter().all(|e| e["subject_id"].is_null() && e["detail"].to_string().contains("people")),
        "{entries:?}"
    );
    assert!(find_everywhere(&w.app, "sandra@wilkan.test").is_empty());
    assert_eq!(w.app.count("trajectories"), 2);
    assert_eq!(people(), 0, "done once");
}

/// Retention is about people whose every trajectory ended long ago: one who came back into the
/// method, whose later trajectory ended recently, or whose records were in use since (an absence
/// recorded), keeps their data.
#[test]
fn retention_keeps_a_person_back_in_the_method() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let inclusion = crate::helpers::inclusion_ok();
    let body = json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort, "inclusion": inclusion});
    let second = crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &body), 201);
    use wilkan::db::schema::trajectories;
    let age = |id: &str, days: i64| {
        let at = (chrono::Utc::now() - chrono::Duration::days(days)).naive_utc();
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(trajectories::table.find(id))
            .set(trajectories::updated_at.eq(at))
            .execute(&mut w.app.conn())
            .unwrap();
    };
    age(&m.trajectory, 800);
    let pool = wilkan::db::build_pool(&w.app.target, 1, std::time::Duration::from_secs(5));
    let people = || wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    let kept = |why: &str| {
        assert_eq!(people(), 0, "{why}");
        assert!(!find_everywhere(&w.app, "sandra@wilkan.test").is_empty(), "{why}");
        assert_eq!(w.app.get("/me", Some(&w.employee_a.token)).status(), 200, "{why}");
    };
    kept("a later trajectory still open");
    // Its own stop, yesterday: ended, but not long ago.
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), coach, &stop).status(), 200);
    age(&second, 1);
    kept("the later trajectory ended recently");
    assert!(audit(&w, &w.admin.token, "&action=retention.pseudonymised").is_empty());
    // Both long ago, but an absence of hers recorded since (a new trajectory being weighed): her
    // data is in use again.
    age(&second, 731);
    kept("an absence recorded within the period");
    // That too long ago: now she is.
    use wilkan::db::schema::absences;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(731)).naive_utc();
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(absences::table).set(absences::updated_at.eq(long_ago)).execute(&mut w.app.conn()).unwrap();
    assert_eq!(people(), 1);
}

/// A coach's own document: what they did in Wilkan and their own weighings, not the employees'
/// records (those are the employees' to see).
#[test]
fn a_coach_s_inzage_holds_what_they_did_and_their_weighings() {
    let w = World::new();
    let m = w.method();
    let doc: Value = w.app.get("/me/data", Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(doc["account"]["email"], w.coach_a.email.as_str());
    let weighings = doc["my_weighings"].as_array().unwrap();
    assert_eq!(weighings.len(), 1, "{doc}");
    assert_eq!(weighings[0]["weighing"]["decision"], "Eerst de cursus op papier laten doen");
    let did = doc["what_i_did"].as_array().unwrap();
    assert!(did.iter().any(|e| e["action"] == "POST /api/v1/trajectories/{id}/logbook"), "{did:?}");
    let text = doc.to_string();
    assert!(!text.contains("Open en betrokken") && !text.contains(&w.employee_a.id), "no employee's records");
    assert!(doc["not_included"].as_str().unwrap().contains("medewerkers"));
    // The employee's own document still leaves the weighings out, and has no staff sections.
    let hers: Value = w.app.get("/me/data", Some(&w.employee_a.token)).json().unwrap();
    assert!(hers.get("my_weighings").is_none() && hers.get("what_i_did").is_none());

    // Once she is erased, her weighing keeps its pitfalls and factors for the counts, no text, and
    // it is no longer in the coach's document.
    let erase = json!({"reason": "Verzoek van de medewerker (AVG)"});
    assert_eq!(w.app.post(&format!("/users/{}/erase", w.employee_a.id), Some(&w.admin.token), &erase).status(), 200);
    let kept: Option<String> = {
        use wilkan::db::schema::logbook_entries as l;
        l::table.find(&m.entry).select(l::weighing).first(&mut w.app.conn()).unwrap()
    };
    let kept: Value = serde_json::from_str(&kept.expect("a weighing kept")).unwrap();
    assert_eq!(kept["decision"], "[verwijderd]", "{kept}");
    assert_eq!(kept["pitfalls_checked"], json!(["haste", "anchoring"]), "{kept}");
    let doc: Value = w.app.get("/me/data", Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(doc["my_weighings"], json!([]), "{doc}");
}

/// A proposal the person never consented to (they declined, no one stopped it) does not keep
/// their data for ever: untouched for the retention period, it counts as over. One with consent
/// is in use (its records change, not its row) and stays.
#[test]
fn retention_ends_a_proposal_left_standing() {
    let w = World::new();
    let cohort = crate::helpers::json_id(
        w.app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 3"})),
        201,
    );
    let inclusion = crate::helpers::inclusion_ok();
    let propose = |employee: &str| {
        let body =
            json!({"employee_id": employee, "coach_id": w.coach_a.id, "cohort_id": cohort, "inclusion": inclusion});
        crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &body), 201)
    };
    let declined = propose(&w.employee_a2.id);
    let in_use = propose(&w.employee_a.id);
    let consent = json!({"kind": "method", "given": true});
    let path = format!("/trajectories/{in_use}/consents");
    assert_eq!(w.app.post(&path, Some(&w.employee_a.token), &consent).status(), 201);
    use wilkan::db::schema::trajectories;
    let age = |days: i64| {
        let at = (chrono::Utc::now() - chrono::Duration::days(days)).naive_utc();
        #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
        diesel::update(trajectories::table).set(trajectories::updated_at.eq(at)).execute(&mut w.app.conn()).unwrap();
    };
    let pool = wilkan::db::build_pool(&w.app.target, 1, std::time::Duration::from_secs(5));
    let people = || wilkan::mail::worker::housekeeping(&pool, 730, &|| false).unwrap();
    age(100);
    assert_eq!(people(), 0, "a proposal of some months: kept");
    age(800);
    assert_eq!(people(), 1, "only the one never consented to");
    assert!(find_everywhere(&w.app, &w.employee_a2.email).is_empty(), "pseudonymised");
    assert!(!find_everywhere(&w.app, &w.employee_a.email).is_empty(), "kept");
    let _ = declined;
}

/// A medical detail written into the logbook by mistake and noticed after the week of free
/// corrections is taken out for good: from the entry and from the versions kept of it. What counts
/// (date, kind, minutes) stays; the log says who took which text out and why, not the text.
#[test]
fn a_text_written_by_mistake_is_taken_out_of_the_logbook_for_good() {
    let w = World::new();
    let m = w.method();
    let coach = Some(w.coach_a.token.as_str());
    let path = format!("/logbook/{}", m.entry);
    use wilkan::db::schema::logbook_entries;
    let age = || {
        let at = (chrono::Utc::now() - chrono::Duration::days(10)).naive_utc();
        #[allow(clippy::disallowed_methods)] // a fixture: the entry as if written ten days ago
        diesel::update(logbook_entries::table.find(&m.entry))
            .set(logbook_entries::created_at.eq(at))
            .execute(&mut w.app.conn())
            .unwrap();
    };
    age();
    let slip = json!({"impression": "Zijn hernia speelt weer op", "developments": "Loopt elke dag een rondje"});
    assert_eq!(w.app.patch(&path, coach, &slip).status(), 200);
    assert_eq!(w.app.patch(&path, coach, &json!({"impression": "Rustig gesprek"})).status(), 200);
    assert!(!find_everywhere(&w.app, "hernia").is_empty(), "kept in an earlier version");

    let redact = format!("{path}/redact");
    let body = json!({"fields": ["impression"], "reason": "Medisch detail per ongeluk opgeschreven"});
    problem(w.app.post(&redact, Some(&w.employee_a.token), &body), 403);
    problem(w.app.post(&redact, coach, &json!({"fields": [], "reason": "x"})), 422);
    let res = w.app.post(&redact, Some(&w.pl_a.token), &body);
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert_eq!(out["impression"], "[verwijderd]", "marked, so that a reader sees a text was taken out");
    assert_eq!(out["developments"], "Loopt elke dag een rondje", "the other texts stay");
    assert_eq!(out["duration_minutes"], 45, "what counts stays");
    assert!(find_everywhere(&w.app, "hernia").is_empty(), "gone from every version");
    let entry: Value = w.app.get(&path, coach).json().unwrap();
    let revisions = entry["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert!(revisions.iter().all(|r| r["previous"]["impression"] == "[verwijderd]"), "{revisions:?}");
    assert!(revisions.iter().any(|r| r["previous"]["developments"] == "Loopt elke dag een rondje"));
    let log = audit(&w, &w.admin.token, "&action=logbook.redacted");
    assert_eq!(log.len(), 1);
    let detail = log[0]["detail"].as_str().unwrap();
    assert!(detail.contains("impression") && detail.contains("per ongeluk") && !detail.contains("hernia"), "{detail}");
    // Agreements taken out still count as a talk with agreements in the evaluation.
    let agreements = json!({"fields": ["agreements"], "reason": "Per ongeluk een naam van een arts"});
    let out: Value = w.app.post(&redact, coach, &agreements).json().unwrap();
    assert_eq!(out["agreements"], "[verwijderd]");

    // A weighing too: every text in it, now and in the versions kept; which pitfalls and factors
    // it names stays (it counts for the project leader).
    let weighing = |observations: &str| {
        json!({"weighing": {
            "decision": "Werkplek aanpassen", "steps": {"observations": observations},
            "pitfalls_checked": ["haste"], "factor_clusters": ["client_related"],
            "explained_to_employee": false, "feedback_loop": {"right_steps": "Ja"}
        }})
    };
    assert_eq!(w.app.patch(&path, coach, &weighing("Heeft reuma in de handen")).status(), 200);
    assert_eq!(w.app.patch(&path, coach, &weighing("Tilt moeilijk")).status(), 200);
    assert!(!find_everywhere(&w.app, "reuma").is_empty(), "kept in an earlier version");
    let body = json!({"fields": ["weighing"], "reason": "Medisch detail in de weging"});
    let res = w.app.post(&redact, coach, &body);
    assert_eq!(res.status(), 200);
    let out: Value = res.json().unwrap();
    assert!(find_everywhere(&w.app, "reuma").is_empty(), "gone from every version");
    let steps = &out["weighing"]["steps"];
    assert_eq!((steps["observations"].clone(), steps["beforehand"].clone()), (json!("[verwijderd]"), Value::Null));
    assert_eq!(out["weighing"]["decision"], "[verwijderd]");
    assert_eq!(out["weighing"]["feedback_loop"]["right_steps"], "[verwijderd]");
    assert_eq!(out["weighing"]["pitfalls_checked"], json!(["haste"]));
    assert_eq!(out["impression"], "[verwijderd]", "taken out before");
    assert_eq!(out["developments"], "Loopt elke dag een rondje", "no weighing text");
}

#[test]
fn staff_lists_of_other_peoples_data_are_audited_too() {
    let w = World::new();
    let _m = w.method();
    let res = w.app.get("/trajectories?limit=10", Some(&w.coach_a.token));
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let entries = audit(&w, &w.admin.token, "&action=GET");
    let list = entries.iter().find(|e| e["request_id"] == request_id.as_str()).expect("the list read is audited");
    assert_eq!(list["action"], "GET /api/v1/trajectories");
    assert!(list["subject_id"].is_null());
    // An employee's lists are their own data.
    let before = w.app.count("audit_log");
    w.app.get("/trajectories", Some(&w.employee_a.token));
    assert_eq!(w.app.count("audit_log"), before);
}

/// Reads that arrive together share one audit transaction (group commit); each of them still gets
/// exactly one entry, written before its answer.
#[test]
fn concurrent_list_reads_each_leave_one_entry() {
    let w = World::new();
    let _m = w.method();
    let before = w.app.count("audit_log");
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..24)
            .map(|_| {
                s.spawn(|| {
                    let res = w.app.get("/trajectories?limit=10", Some(&w.coach_a.token));
                    assert_eq!(res.status(), 200);
                    res.headers()["x-request-id"].to_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(w.app.count("audit_log"), before + 24);
    let entries = audit(&w, &w.admin.token, "&action=GET");
    for id in &ids {
        assert_eq!(entries.iter().filter(|e| e["request_id"] == id.as_str()).count(), 1, "one entry for {id}");
    }
}

/// Erasure takes the name out of other people's texts where it names the person: in the own
/// organisation, as a name, also when it starts with a letter SQLite does not fold (Ö). The same
/// letters as an ordinary word stay, and so does a namesake in another organisation.
#[test]
fn erasure_takes_out_the_name_not_the_word_and_not_elsewhere() {
    let w = World::new();
    let coach = Some(w.coach_a.token.as_str());
    let rename = json!({"first_name": "Özlem", "last_name": "Klein"});
    assert_eq!(w.app.patch(&format!("/users/{}", w.employee_a.id), Some(&w.pl_a.token), &rename).status(), 200);
    let session = |token: &str, notes: &str| {
        let body = json!({"starts_at": format!("{}T10:00:00", crate::helpers::days_from_today(3)), "place": "Kantine", "topic": "hulp-vragen", "invite": []});
        let id = crate::helpers::json_id(w.app.post("/group-sessions", Some(token), &body), 201);
        let path = format!("/group-sessions/{id}");
        assert_eq!(w.app.patch(&path, Some(token), &json!({"notes": notes})).status(), 200);
        path
    };
    let ours = session(&w.coach_a.token, "Özlem Klein vertelde veel. Het was een klein begin; ÖZLEM lachte.");
    let theirs = session(&w.coach_b.token, "Özlem Klein is hier een andere Özlem.");
    // Another employee's own words about her.
    let reflection = json!({"text": "Özlem hielp me. Ik ben weer een klein stapje verder.", "choice": "none"});
    let path = "/me/courses/uitgangspunten-en-misverstanden/reflection";
    assert_eq!(w.app.send(M::PUT, path, Some(&w.employee_a2.token), &reflection).status(), 200);

    let res = w.app.post(
        &format!("/users/{}/erase", w.employee_a.id),
        Some(&w.admin.token),
        &json!({"reason": "Verzoek van Özlem Klein zelf (AVG)"}),
    );
    assert_eq!(res.status(), 200);
    // The entry keeps why, not who, nor the account that keeps the counts (which would lead back
    // to her records); the project leader of her organisation sees it.
    let log = audit(&w, &w.pl_a.token, "&action=user.erased");
    assert_eq!(log.len(), 1, "{log:?}");
    let detail: Value = serde_json::from_str(log[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["reason"], "Verzoek van [verwijderd] zelf (AVG)");
    assert_eq!(detail.as_object().unwrap().len(), 1, "the reason only: {detail}");
    let everywhere: Vec<Value> = audit(&w, &w.admin.token, "");
    assert!(
        everywhere.iter().all(|e| !e.to_string().contains(&w.employee_a.id)),
        "the old id is gone from details too"
    );

    let notes = |path: &str, token: Option<&str>| w.app.get(path, token).json::<Value>().unwrap()["notes"].clone();
    assert_eq!(notes(&ours, coach), "[verwijderd] vertelde veel. Het was een klein begin; [verwijderd] lachte.");
    assert_eq!(notes(&theirs, Some(&w.coach_b.token)), "Özlem Klein is hier een andere Özlem.", "another organisation");
    let mine: Value = w.app.get("/me/courses", Some(&w.employee_a2.token)).json().unwrap();
    let text = mine.to_string();
    assert!(text.contains("[verwijderd] hielp me. Ik ben weer een klein stapje verder."), "{text}");
    assert!(!text.contains("Özlem"));
}

/// The inzage covers what the screens no longer show: ended buddy pairs (the contact the person
/// shared went with the pair: it is no longer held), the mail kept for them, when they signed in, and their work in a course that is
/// no longer offered.
#[test]
fn inzage_covers_ended_pairs_mail_sign_ins_and_withdrawn_courses() {
    let w = World::new();
    let m = w.method();
    let k = w.connect(&m);
    let confirm = json!({"contact": "06-11111111"});
    assert_eq!(
        w.app.post(&format!("/buddy-pairs/{}/confirm", k.pair), Some(&w.employee_a.token), &confirm).status(),
        200
    );
    assert_eq!(
        w.app.request(M::DELETE, &format!("/buddy-pairs/{}", k.pair), Some(&w.coach_a.token)).send().unwrap().status(),
        204
    );
    // Progress in a course since taken out of the catalogue.
    use wilkan::db::schema::{course_progress as cp, page_progress as pp};
    let at = chrono::Utc::now().naive_utc();
    let mut conn = w.app.conn();
    diesel::insert_into(cp::table)
        .values((
            cp::user_id.eq(&w.employee_a.id),
            cp::course_slug.eq("oude-cursus"),
            cp::started_at.eq(at),
            cp::reflection.eq("Wat ik meenam uit de oude cursus."),
            cp::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::insert_into(pp::table)
        .values((
            pp::user_id.eq(&w.employee_a.id),
            pp::course_slug.eq("oude-cursus"),
            pp::page_id.eq("begin"),
            pp::page_hash.eq("h"),
            pp::visited_at.eq(at),
            pp::answers.eq(r#"{"answers":{"q1":"mijn antwoord"}}"#),
            pp::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .unwrap();
    // And on a page since renamed in a course still offered.
    diesel::insert_into(pp::table)
        .values((
            pp::user_id.eq(&w.employee_a.id),
            pp::course_slug.eq("invloed"),
            pp::page_id.eq("oude-oefening"),
            pp::page_hash.eq("h"),
            pp::visited_at.eq(at),
            pp::answers.eq(r#"{"answers":{"q1":"wat ik toen schreef"}}"#),
            pp::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .unwrap();

    let doc: Value = w.app.get("/me/data", Some(&w.employee_a.token)).json().unwrap();
    assert!(doc["buddy"].is_null(), "no current buddy");
    let pairs = doc["buddy_pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0]["status"].as_str(), pairs[0]["my_contact"].as_str(), pairs[0]["buddy_first_name"].as_str()),
        (Some("ended"), None, Some("Ayşe"))
    );
    assert!(doc["mail"].as_array().unwrap().iter().any(|m| m["kind"] == "group-invitation"), "{}", doc["mail"]);
    // The colleague's card, still in its hold: there, and said to be not yet passed on.
    let card = &doc["cards"][0];
    assert_eq!((&card["on_hold"], &card["held_back"]), (&json!(true), &json!(false)), "{card}");
    assert!(!doc["sign_ins"]["sessions"].as_array().unwrap().is_empty());
    let old = &doc["learning_of_courses_no_longer_offered"];
    assert_eq!(old.as_array().unwrap().len(), 1, "{old}");
    let renamed = &doc["learning_of_pages_no_longer_offered"];
    assert_eq!(renamed.as_array().unwrap().len(), 1, "{renamed}");
    assert_eq!(
        (&renamed[0]["course"], &renamed[0]["pages"][0]["answers"]["answers"]["q1"]),
        (&json!("invloed"), &json!("wat ik toen schreef"))
    );
    assert_eq!(old[0]["reflection"], "Wat ik meenam uit de oude cursus.");
    assert_eq!(old[0]["pages"][0]["answers"]["answers"]["q1"], "mijn antwoord");
    // Her buddy's first name was in it: the buddy's inzage shows that look.
    let theirs: Value = w.app.get("/me/data", Some(&k.buddy_employee.token)).json().unwrap();
    let seen = theirs["who_used_my_data"].as_array().unwrap();
    assert!(seen.iter().any(|e| e["action"] == "inzage" && e["by"] == "sandra" && e["in_a_list"] == true), "{seen:?}");
}

/// A list's audit entry names the people on the page, not the one fetched only to see whether
/// there is a next page.
#[test]
fn a_list_names_only_the_people_on_its_page() {
    let w = World::new();
    let res = w.app.get("/users?role=employee&limit=1", Some(&w.admin.token));
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let page: Value = res.json().unwrap();
    let shown = page["items"][0]["id"].as_str().unwrap().to_string();
    let cursor = page["next_cursor"].as_str().expect("more than one account").to_string();
    let next: Value =
        w.app.get(&format!("/users?role=employee&limit=1&cursor={cursor}"), Some(&w.admin.token)).json().unwrap();
    let next = next["items"][0]["id"].as_str().unwrap().to_string();
    let about = |id: &str| audit(&w, &w.admin.token, &format!("&subject={id}"));
    assert!(about(&shown).iter().any(|e| e["request_id"] == request_id.as_str()));
    assert!(about(&next).iter().all(|e| e["request_id"] != request_id.as_str()), "{:?}", about(&next));
}

/// A learning round of an earlier trajectory (`courses::rounds`) is erased with the rest: its
/// texts and the person's id; the rows stay for the counts.
#[test]
fn erasure_takes_the_learning_of_earlier_trajectories_too() {
    let w = World::new();
    let m = w.method();
    let (emp, coach) = (Some(w.employee_a.token.as_str()), Some(w.coach_a.token.as_str()));
    let name = json!({"first_name": "Zwaantje", "last_name": "Brouwersgracht"});
    assert_eq!(w.app.patch(&format!("/users/{}", w.employee_a.id), Some(&w.pl_a.token), &name).status(), 200);
    let course = "/me/courses/uitgangspunten-en-misverstanden";
    let celebration = json!({"text": "Brouwersgracht is mijn straat."});
    assert_eq!(w.app.send(M::PUT, &format!("{course}/celebration"), emp, &celebration).status(), 200);
    let reflection = json!({"text": "Ik, Zwaantje, neem mee: rust.", "choice": "none"});
    assert_eq!(w.app.send(M::PUT, &format!("{course}/reflection"), emp, &reflection).status(), 200);
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{}", m.trajectory), coach, &stop).status(), 200);
    let proposal = json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort,
                          "inclusion": crate::helpers::inclusion_ok()});
    let second = crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &proposal), 201);
    let consent = json!({"kind": "method", "given": true});
    assert_eq!(w.app.post(&format!("/trajectories/{second}/consents"), emp, &consent).status(), 201);
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), coach, &json!({"status": "active"})).status(), 200);
    // A colleague's earlier round names her too.
    let kees = Some(w.employee_a2.token.as_str());
    let his = json!({"employee_id": w.employee_a2.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort,
                     "inclusion": crate::helpers::inclusion_ok()});
    let his_first = crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &his), 201);
    assert_eq!(w.app.post(&format!("/trajectories/{his_first}/consents"), kees, &consent).status(), 201);
    let named = json!({"text": "Zwaantje liet me zien hoe het kan.", "choice": "none"});
    assert_eq!(w.app.send(M::PUT, &format!("{course}/reflection"), kees, &named).status(), 200);
    assert_eq!(w.app.patch(&format!("/trajectories/{his_first}"), coach, &stop).status(), 200);
    let his_second = crate::helpers::json_id(w.app.post("/trajectories", Some(&w.pl_a.token), &his), 201);
    assert_eq!(w.app.post(&format!("/trajectories/{his_second}/consents"), kees, &consent).status(), 201);
    assert_eq!(w.app.count("past_course_progress"), 2);
    let hits = find_everywhere(&w.app, "zwaantje");
    assert!(hits.contains(&"past_course_progress.reflection".to_string()), "{hits:?}");
    assert!(find_everywhere(&w.app, &w.employee_a.id).contains(&"past_course_progress.user_id".to_string()));

    let erase = json!({"reason": "Verzoek van de medewerker (AVG)"});
    assert_eq!(w.app.post(&format!("/users/{}/erase", w.employee_a.id), Some(&w.admin.token), &erase).status(), 200);
    for needle in ["zwaantje", "brouwersgracht", &w.employee_a.id] {
        let hits = find_everywhere(&w.app, needle);
        assert!(hits.is_empty(), "{needle} still in {hits:?}");
    }
    assert_eq!(w.app.count("past_course_progress"), 2, "the rows stay for the counts");
    let kept: Option<String> = {
        use wilkan::db::schema::past_course_progress as xc;
        let his = xc::table.filter(xc::user_id.eq(&w.employee_a2.id)).select(xc::reflection);
        his.first(&mut w.app.conn()).unwrap()
    };
    assert_eq!(kept.as_deref(), Some("[verwijderd] liet me zien hoe het kan."), "his own words stay");
    let hers: Vec<(Option<String>, Option<String>)> = {
        use wilkan::db::schema::past_course_progress as xc;
        let hers = xc::table.filter(xc::user_id.ne(&w.employee_a2.id)).select((xc::celebration, xc::reflection));
        hers.load(&mut w.app.conn()).unwrap()
    };
    assert_eq!(hers, [(None, Some("[verwijderd]".to_string()))], "a mark where she wrote, which counts");
}
