use serde_json::{json, Value};

use crate::helpers::{problem, World, PASSWORD};

#[test]
fn admin_creates_organisations_cohorts_and_accounts() {
    let w = World::new();
    let app = &w.app;
    let admin = Some(w.admin.token.as_str());

    let orgs: Value = app.get("/organizations", admin).json().unwrap();
    assert_eq!(orgs["items"].as_array().unwrap().len(), 2);

    let res = app.patch(&format!("/organizations/{}", w.org_a), admin, &json!({"name": "Werkbedrijf Noord-Oost"}));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["name"], "Werkbedrijf Noord-Oost");

    let res = app.post(
        &format!("/organizations/{}/cohorts", w.org_a),
        Some(&w.pl_a.token),
        &json!({"name": "Ronde 1", "starts_on": "2027-01-01", "ends_on": "2027-06-30"}),
    );
    assert_eq!(res.status(), 201);
    let cohort: Value = res.json().unwrap();
    assert_eq!(cohort["starts_on"], "2027-01-01");
    problem(
        app.post(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.pl_a.token), &json!({"name": "Ronde 1"})),
        409,
    );
    let list: Value = app.get(&format!("/organizations/{}/cohorts", w.org_a), Some(&w.coach_a.token)).json().unwrap();
    assert_eq!(list["items"][0]["name"], "Ronde 1");

    // The project leader creates a coach in their own organisation, who chooses a password by the
    // link in their invitation and can log in.
    let res = app.post(
        "/users",
        Some(&w.pl_a.token),
        &json!({"email": "Nieuwe.Coach@wilkan.test", "first_name": "Fatima", "last_name": "El Amrani", "role": "coach", "organization_id": w.org_a}),
    );
    assert_eq!(res.status(), 201);
    let user: Value = res.json().unwrap();
    assert_eq!(user["email"], "nieuwe.coach@wilkan.test");
    assert_eq!(user["has_password"], false);
    let code = crate::auth::password_code(app, "nieuwe.coach@wilkan.test").expect("an invitation");
    let invitation: String = {
        use diesel::prelude::*;
        use wilkan::db::schema::outbox;
        outbox::table
            .filter(outbox::to_address.eq("nieuwe.coach@wilkan.test"))
            .select(outbox::body_text)
            .first(&mut app.conn())
            .unwrap()
    };
    // Asked for nothing and without an old password: not told to ignore it.
    assert!(invitation.contains("Er is een account voor je gemaakt"), "{invitation}");
    assert!(
        invitation.contains("wie het voor je heeft gemaakt") && !invitation.contains("oude wachtwoord"),
        "{invitation}"
    );
    let chosen = app.post("/auth/password-link/redeem", None, &json!({"token": code, "password": PASSWORD}));
    assert_eq!(chosen.status(), 200);
    app.login("nieuwe.coach@wilkan.test", PASSWORD);

    // An employee without a password exists but cannot log in with one.
    let res = app.post(
        "/users",
        admin,
        &json!({"email": "ayse@wilkan.test", "first_name": "Ayşe", "role": "employee", "organization_id": w.org_b}),
    );
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().unwrap()["has_password"], false);
    problem(app.post("/auth/login", None, &json!({"email": "ayse@wilkan.test", "password": "whatever-it-is"})), 401);
}

#[test]
fn duplicate_email_is_a_conflict_and_writes_nothing() {
    let w = World::new();
    let before = w.app.count("users");
    let body = problem(
        w.app.post(
            "/users",
            Some(&w.admin.token),
            &json!({"email": "SANDRA@wilkan.test", "first_name": "Sandra", "role": "employee", "organization_id": w.org_a}),
        ),
        409,
    );
    assert!(body["detail"].as_str().unwrap().contains("e-mailadres"));
    problem(w.app.post("/organizations", Some(&w.admin.token), &json!({"name": "Werkbedrijf Noord"})), 409);
    assert_eq!(w.app.count("users"), before);
    assert_eq!(w.app.count("organizations"), 2);
}

#[test]
fn validation_errors_name_the_fields_and_write_nothing() {
    let w = World::new();
    let app = &w.app;
    let admin = Some(w.admin.token.as_str());
    let before = app.count("users");

    let body = problem(
        app.post("/users", admin, &json!({"email": "geen-adres", "first_name": "  ", "role": "employee", "organization_id": w.org_a, "password": "kort"})),
        422,
    );
    let errors = body["errors"].as_object().unwrap();
    for field in ["email", "first_name", "password"] {
        assert!(errors.contains_key(field), "{field} named in {errors:?}");
    }
    // Addresses no mail can be sent to, though they look like one: no account is made for them.
    for email in ["jan..de.vries@wilkan.test", "jan.@wilkan.test"] {
        let body = problem(
            app.post(
                "/users",
                admin,
                &json!({"email": email, "first_name": "Jan", "role": "employee", "organization_id": w.org_a}),
            ),
            422,
        );
        assert!(body["errors"]["email"][0].as_str().unwrap().contains("naam@voorbeeld.nl"), "{email}: {body}");
    }
    // Unknown field, wrong type, missing field, unknown role: each named.
    let body = problem(app.post("/users", admin, &json!({"email": "a@b.nl", "first_name": "A", "role": "employee", "organization_id": w.org_a, "is_admin": true})), 422);
    assert!(body["errors"]["is_admin"].is_array());
    let body = problem(app.post("/organizations", admin, &json!({"name": 42})), 422);
    assert!(body["errors"]["name"].is_array());
    let body = problem(app.post("/organizations", admin, &json!({})), 422);
    assert!(body["errors"]["name"].is_array());
    let body = problem(app.post("/users", admin, &json!({"email": "a@b.nl", "first_name": "A", "role": "boss"})), 422);
    assert!(body["errors"]["role"][0].as_str().unwrap().contains("employee"));
    // Employees need an organisation that exists; admins must have none.
    let body =
        problem(app.post("/users", admin, &json!({"email": "a@b.nl", "first_name": "A", "role": "employee"})), 422);
    assert!(body["errors"]["organization_id"].is_array());
    let body = problem(
        app.post(
            "/users",
            admin,
            &json!({"email": "a@b.nl", "first_name": "A", "role": "employee", "organization_id": "missing"}),
        ),
        422,
    );
    assert!(body["errors"]["organization_id"].is_array());
    let body = problem(
        app.post(
            "/users",
            admin,
            &json!({"email": "a@b.nl", "first_name": "A", "role": "admin", "organization_id": w.org_a}),
        ),
        422,
    );
    assert!(body["errors"]["organization_id"].is_array());
    let body = problem(
        app.post(
            &format!("/organizations/{}/cohorts", w.org_a),
            admin,
            &json!({"name": "R", "starts_on": "2027-05-01", "ends_on": "2027-01-01"}),
        ),
        422,
    );
    assert!(body["errors"].as_object().unwrap().values().any(|m| m[0].as_str().unwrap().contains("einddatum")));
    let body = problem(
        app.post(&format!("/organizations/{}/cohorts", w.org_a), admin, &json!({"name": "R", "starts_on": "1 mei"})),
        422,
    );
    assert!(body["errors"]["starts_on"].is_array());
    let body = problem(app.get("/users?limit=5000", admin), 422);
    assert!(body["errors"]["limit"].is_array());
    let body = problem(app.get("/users?role=boss", admin), 422);
    assert!(body["errors"].is_object());

    assert_eq!(app.count("users"), before);
    assert_eq!(app.count("cohorts"), 0);
}

#[test]
fn not_json_is_400_and_oversize_is_413() {
    let w = World::new();
    let app = &w.app;
    let res = app
        .request(reqwest::Method::POST, "/organizations", Some(&w.admin.token))
        .header("content-type", "application/json")
        .body("{name: not json")
        .send()
        .unwrap();
    problem(res, 400);
    let huge = "x".repeat(300 * 1024);
    let res = app.post("/organizations", Some(&w.admin.token), &json!({ "name": huge }));
    problem(res, 413);
    assert_eq!(app.count("organizations"), 2);
}

#[test]
fn project_leaders_manage_only_their_own_organisation() {
    let w = World::new();
    let app = &w.app;
    let pl = Some(w.pl_a.token.as_str());
    let before = app.count("users");
    // Not another organisation, not other roles.
    problem(
        app.post(
            "/users",
            pl,
            &json!({"email": "x@b.nl", "first_name": "X", "role": "employee", "organization_id": w.org_b}),
        ),
        403,
    );
    problem(
        app.post(
            "/users",
            pl,
            &json!({"email": "x@b.nl", "first_name": "X", "role": "project_leader", "organization_id": w.org_a}),
        ),
        403,
    );
    problem(app.post("/users", pl, &json!({"email": "x@b.nl", "first_name": "X", "role": "admin"})), 403);
    // Not a password of their choosing for an employee: with it they could log in as the person.
    let chosen = json!({"email": "x@b.nl", "first_name": "X", "role": "employee", "password": "een-wachtwoord"});
    assert!(problem(app.post("/users", pl, &chosen), 422)["errors"]["password"].is_array());
    assert_eq!(app.count("users"), before);
    // Their own organisation need not be named.
    let own: Value =
        app.post("/users", pl, &json!({"email": "x@b.nl", "first_name": "X", "role": "coach"})).json().unwrap();
    assert_eq!(own["organization_id"], w.org_a.as_str());
    // Lists are scoped.
    let users: Value = app.get("/users", pl).json().unwrap();
    let emails: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert!(emails.contains(&"sandra@wilkan.test") && !emails.contains(&"coach.zuid@wilkan.test"), "{emails:?}");
    let other: Value = app.get(&format!("/users?organization={}", w.org_b), pl).json().unwrap();
    assert!(other["items"].as_array().unwrap().is_empty());
    // Role changes are for admins; other fields are fine.
    problem(app.patch(&format!("/users/{}", w.employee_a.id), pl, &json!({"role": "coach"})), 403);
    let res = app.patch(
        &format!("/users/{}", w.employee_a.id),
        pl,
        &json!({"first_name": "Sandra", "last_name": "de Vries"}),
    );
    assert_eq!(res.json::<Value>().unwrap()["last_name"], "de Vries");
    let res = app.patch(&format!("/users/{}", w.employee_a.id), Some(&w.admin.token), &json!({"role": "coach"}));
    assert_eq!(res.json::<Value>().unwrap()["role"], "coach");
    problem(
        app.patch(&format!("/users/{}", w.employee_a.id), Some(&w.admin.token), &json!({"role": "researcher"})),
        422,
    );
    // An address or a password would let a project leader log in as the person: admins only.
    let before = app.get(&format!("/users/{}", w.employee_a.id), pl).json::<Value>().unwrap();
    for change in [json!({"email": "pl.eigen@wilkan.test"}), json!({"password": "een ander wachtwoord"})] {
        problem(app.patch(&format!("/users/{}", w.employee_a.id), pl, &change), 403);
    }
    let same = json!({"email": before["email"], "first_name": "Sandra"});
    assert_eq!(
        app.patch(&format!("/users/{}", w.employee_a.id), pl, &same).status(),
        200,
        "an unchanged address is fine"
    );
    assert_eq!(app.get(&format!("/users/{}", w.employee_a.id), pl).json::<Value>().unwrap()["email"], before["email"]);
    app.login(before["email"].as_str().unwrap(), PASSWORD);
    let admin = Some(w.admin.token.as_str());
    let res = app.patch(&format!("/users/{}", w.employee_a.id), admin, &json!({"email": "sandra.nieuw@wilkan.test"}));
    assert_eq!(res.json::<Value>().unwrap()["email"], "sandra.nieuw@wilkan.test");
    // Another account's email: conflict.
    problem(app.patch(&format!("/users/{}", w.employee_a.id), admin, &json!({"email": "kees@wilkan.test"})), 409);
}

#[test]
fn lists_paginate_with_a_cursor() {
    let w = World::new();
    let admin = Some(w.admin.token.as_str());
    let mut seen = Vec::new();
    let mut path = "/users?limit=3".to_string();
    loop {
        let page: Value = w.app.get(&path, admin).json().unwrap();
        for u in page["items"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/users?limit=3&cursor={c}"),
            None => break,
        }
    }
    // Every user exactly once, in id order, across the pages.
    let all: Value = w.app.get("/users", admin).json().unwrap();
    let mut every: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect();
    every.sort();
    assert_eq!(every.len(), 8);
    assert_eq!(seen, every);
    let coaches: Value = w.app.get("/users?role=coach", admin).json().unwrap();
    assert_eq!(coaches["items"].as_array().unwrap().len(), 2);
}

/// An admin editing their own account may not set its password or address here, where a stolen
/// session would do (422, naming the field and where to go instead): the password changes with the current one (`PUT /me/password`, whose
/// guesses are counted), the address by another admin. Nor their own role or active flag (the
/// last admin could lock everyone out of account management). Other fields they change as before.
#[test]
fn an_admin_cannot_set_their_own_password_or_address_without_the_current_password() {
    let w = World::new();
    let app = &w.app;
    let admin = Some(w.admin.token.as_str());
    let me = format!("/users/{}", w.admin.id);
    let before: Value = app.get(&me, admin).json().unwrap();
    let taken = "een-nieuw-wachtwoord-2026";
    for (change, field, hint) in [
        (json!({"password": taken}), "password", "huidige wachtwoord"),
        (json!({"email": "overgenomen@wilkan.test"}), "email", "andere beheerder"),
        // Nor their own role or account: they might leave no one to manage accounts.
        (json!({"role": "researcher"}), "role", "andere beheerder"),
        (json!({"active": false, "first_name": "Weg"}), "active", "andere beheerder"),
        (
            json!({"email": "overgenomen@wilkan.test", "password": taken, "first_name": "Dief"}),
            "password",
            "Mijn wachtwoord",
        ),
    ] {
        let err = problem(app.patch(&me, admin, &change), 422);
        let message = err["errors"][field][0].as_str().unwrap_or_default();
        assert!(message.contains(hint), "{change}: {err}");
    }
    // Nothing was written, not even the name that came along, and the session goes on.
    assert_eq!(app.get(&me, admin).json::<Value>().unwrap(), before);
    assert_eq!(app.get("/me", admin).status(), 200);
    problem(app.post("/auth/login", None, &json!({"email": "admin@wilkan.test", "password": taken})), 401);
    app.login("admin@wilkan.test", PASSWORD);
    // Other fields, and the address unchanged, are fine.
    let res = app.patch(&me, admin, &json!({"first_name": "Beheer", "email": "Admin@wilkan.test"}));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["first_name"], "Beheer");
    // Another admin's password an admin still sets.
    let other = app.create_admin("tweede.beheer@wilkan.test");
    assert_eq!(app.patch(&format!("/users/{other}"), admin, &json!({"password": taken})).status(), 200);
    app.login("tweede.beheer@wilkan.test", taken);
}

/// A corrected address may have been a stranger's, who logged in with a link sent to it or chose
/// a staff account's password through its invitation: the change ends every session of the
/// account, and a staff account loses its password and gets a mail at the new address to choose
/// one. An admin who sets a password with the new address sends no such mail.
#[test]
fn a_new_address_ends_the_sessions_and_a_staff_password_goes_with_the_old_one() {
    use diesel::prelude::*;
    use wilkan::db::schema::outbox;
    let w = World::new();
    let app = &w.app;
    let admin = Some(w.admin.token.as_str());
    let employee = app.login(&w.employee_a.email, PASSWORD);
    let change = |id: &str, body: Value| assert_eq!(app.patch(&format!("/users/{id}"), admin, &body).status(), 200);
    change(&w.employee_a.id, json!({"email": "sandra.juist@wilkan.test"}));
    for token in [w.employee_a.token.as_str(), employee["access_token"].as_str().unwrap()] {
        problem(app.get("/me", Some(token)), 401);
    }
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": employee["refresh_token"]})), 401);
    let links = |to: &str| -> Vec<String> {
        outbox::table
            .filter(outbox::template.eq("password-link"))
            .filter(outbox::to_address.eq(to))
            .select(outbox::body_text)
            .load(&mut app.conn())
            .unwrap()
    };
    assert!(links("sandra.juist@wilkan.test").is_empty(), "an employee logs in with a login link");
    app.login("sandra.juist@wilkan.test", PASSWORD);

    change(&w.coach_a.id, json!({"email": "coach.juist@wilkan.test"}));
    problem(app.get("/me", Some(&w.coach_a.token)), 401);
    problem(app.post("/auth/login", None, &json!({"email": "coach.juist@wilkan.test", "password": PASSWORD})), 401);
    let coach: Value = app.get(&format!("/users/{}", w.coach_a.id), admin).json().unwrap();
    assert_eq!(coach["has_password"], false, "{coach}");
    let mails = links("coach.juist@wilkan.test");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("e-mailadres bij Wilkan is veranderd"), "{}", mails[0]);
    assert!(links(&w.coach_a.email).is_empty(), "nothing to the old address");

    let chosen = "een-nieuw-wachtwoord-2026";
    change(&w.coach_b.id, json!({"email": "coach.zuid.juist@wilkan.test", "password": chosen}));
    app.login("coach.zuid.juist@wilkan.test", chosen);
    assert!(links("coach.zuid.juist@wilkan.test").is_empty());

    // An invitation sent to a mistyped address: the corrected one gets an invitation, not word
    // of an old password it never had.
    let invited = app.post(
        "/users",
        admin,
        &json!({"email": "nieuwe.coahc@wilkan.test", "first_name": "Nieuw", "role": "coach", "organization_id": w.org_a}),
    );
    assert_eq!(invited.status(), 201);
    let invited = invited.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    change(&invited, json!({"email": "nieuwe.coach@wilkan.test"}));
    let mails = links("nieuwe.coach@wilkan.test");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("Er is een account voor je gemaakt"), "{}", mails[0]);
    // Switched off with the new address: the password goes all the same, and no link is sent.
    change(&w.pl_b.id, json!({"email": "pl.zuid.juist@wilkan.test", "active": false}));
    let pl: Value = app.get(&format!("/users/{}", w.pl_b.id), admin).json().unwrap();
    assert_eq!((&pl["has_password"], &pl["active"]), (&json!(false), &json!(false)), "{pl}");
    assert!(links("pl.zuid.juist@wilkan.test").is_empty());
}

/// The account that keeps an erased person's records for the counts is neither listed nor found:
/// its creation time is the erasure's, whose audit entry would tie those records to the person.
#[test]
fn the_account_left_by_an_erasure_is_not_listed_or_found() {
    use diesel::prelude::*;
    use wilkan::db::schema::users;
    let w = World::new();
    let app = &w.app;
    let res = app.post(
        &format!("/users/{}/erase", w.employee_a2.id),
        Some(&w.admin.token),
        &json!({"reason": "Verzoek van de medewerker (AVG)"}),
    );
    assert_eq!(res.status(), 200);
    let kept: String =
        users::table.filter(users::erased_at.is_not_null()).select(users::id).first(&mut app.conn()).unwrap();
    let path = format!("/users/{kept}");
    for token in [&w.admin.token, &w.pl_a.token] {
        let (listed, _) = crate::helpers::all_pages(app, "/users", Some(token), 100);
        assert!(listed.iter().all(|u| u["id"] != kept.as_str() && u["id"] != w.employee_a2.id.as_str()), "{listed:?}");
        assert!(listed.iter().all(|u| u["first_name"] != "Verwijderd"), "{listed:?}");
        problem(app.get(&path, Some(token)), 404);
        for change in [json!({"first_name": "Kees"}), json!({"active": true})] {
            problem(app.patch(&path, Some(token), &change), 404);
        }
    }
    let (all, _) = crate::helpers::all_pages(app, "/users", Some(&w.admin.token), 100);
    assert_eq!(all.len(), 7, "the eight accounts of the world but the erased one");
    let (first_name, active): (String, bool) =
        users::table.find(&kept).select((users::first_name, users::active)).first(&mut app.conn()).unwrap();
    assert_eq!((first_name.as_str(), active), ("Verwijderd", false), "nothing written");
}

/// An invitation lost or run out is sent again, to a staff account without a password only: the
/// earlier link stops working. Not to an employee (a login link), nor to an account with a
/// password or one switched off.
#[test]
fn an_invitation_is_sent_again_to_an_account_without_a_password() {
    use diesel::prelude::*;
    use wilkan::db::schema::{outbox, password_links};
    let w = World::new();
    let app = &w.app;
    let admin = Some(w.admin.token.as_str());
    let res = app.post(
        "/users",
        admin,
        &json!({"email": "ayse@wilkan.test", "first_name": "Ayse", "role": "coach", "organization_id": w.org_a}),
    );
    let ayse = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let again = |id: &str, token: &str| app.post(&format!("/users/{id}/invitation"), Some(token), &json!(null));
    assert_eq!(again(&ayse, &w.pl_a.token).status(), 202);
    let invitations: Vec<String> = outbox::table
        .filter(outbox::to_address.eq("ayse@wilkan.test"))
        .select(outbox::body_text)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(invitations.len(), 2);
    assert!(invitations.iter().all(|m| m.contains("Er is een account voor je gemaakt")), "{invitations:?}");
    let unused: i64 = password_links::table
        .filter(password_links::user_id.eq(&ayse))
        .filter(password_links::used_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(unused, 1, "only the newest link works");

    problem(again(&w.employee_a.id, &w.admin.token), 403);
    let err = problem(again(&w.coach_a.id, &w.admin.token), 409);
    assert!(err["detail"].as_str().unwrap().contains("al een wachtwoord"), "{err}");
    assert_eq!(app.patch(&format!("/users/{ayse}"), admin, &json!({"active": false})).status(), 200);
    let err = problem(again(&ayse, &w.admin.token), 409);
    assert!(err["detail"].as_str().unwrap().contains("staat uit"), "{err}");
    problem(again(&ayse, &w.pl_b.token), 404);
}
