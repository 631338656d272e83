use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, World, JWT_SECRET, PASSWORD};

#[test]
fn login_with_good_and_bad_credentials() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");

    let tokens = app.login("Beheer@Wilkan.test", PASSWORD);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["user"]["role"], "admin");
    assert!(tokens["user"].get("password_hash").is_none());
    let me: Value = app.get("/me", tokens["access_token"].as_str()).json().unwrap();
    assert_eq!(me["email"], "beheer@wilkan.test");

    let body = problem(
        app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": "wrong-password"})),
        401,
    );
    assert!(body["detail"].as_str().unwrap().contains("klopt niet"));
    // Unknown address: the same answer, so addresses cannot be probed.
    let unknown = problem(
        app.post("/auth/login", None, &json!({"email": "niemand@wilkan.test", "password": "wrong-password"})),
        401,
    );
    assert_eq!(unknown["detail"], body["detail"]);
    problem(app.get("/me", None), 401);
    problem(app.get("/me", Some("not-a-jwt")), 401);
}

#[test]
fn expired_and_forged_tokens_are_refused() {
    let app = TestApp::spawn();
    let id = app.create_admin("beheer@wilkan.test");
    // Issued with a lifetime of -2 minutes: expired beyond the allowed clock skew.
    let expired = wilkan::accounts::tokens::TokenService::new(JWT_SECRET, -2, 1)
        .issue_access(&id, wilkan::policy::Role::Admin, None, "s")
        .unwrap();
    let body = problem(app.get("/me", Some(&expired)), 401);
    assert!(body["detail"].as_str().unwrap().contains("verlopen"));

    let forged = wilkan::accounts::tokens::TokenService::new("another-secret-another-secret-another-secret", 15, 1)
        .issue_access(&id, wilkan::policy::Role::Admin, None, "s")
        .unwrap();
    problem(app.get("/me", Some(&forged)), 401);

    // alg "none" is never accepted.
    let parts: Vec<&str> = forged.split('.').collect();
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    problem(app.get("/me", Some(&format!("{header}.{}.", parts[1]))), 401);
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    let first = app.login("beheer@wilkan.test", PASSWORD);
    let r1 = first["refresh_token"].as_str().unwrap();

    let res = app.post("/auth/refresh", None, &json!({"refresh_token": r1}));
    assert_eq!(res.status(), 200);
    let second: Value = res.json().unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(app.get("/me", second["access_token"].as_str()).status(), 200);

    // r1 again: replay. The whole family is revoked, so r2 stops working too.
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": r1})), 401);
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": r2})), 401);
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": "made-up"})), 401);
}

#[test]
fn logout_ends_the_session_only() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    let phone = app.login("beheer@wilkan.test", PASSWORD);
    let laptop = app.login("beheer@wilkan.test", PASSWORD);
    let (phone_access, laptop_access) = (phone["access_token"].as_str(), laptop["access_token"].as_str());
    // A second instance on the same database, running before the logout.
    let other = app.restart_with(&[("WILKAN_MAIL_POLL_MS", "100")]);
    assert_eq!(other.get("/me", phone_access).status(), 200);

    let res = app.request(Method::POST, "/auth/logout", phone_access).send().unwrap();
    assert_eq!(res.status(), 204);
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": phone["refresh_token"]})), 401);
    // The access token stops at once, not when it expires; the other session goes on.
    let body = problem(app.get("/me", phone_access), 401);
    assert!(body["detail"].as_str().unwrap().contains("uitgelogd"), "{body}");
    assert_eq!(app.get("/me", laptop_access).status(), 200);
    assert_eq!(app.post("/auth/refresh", None, &json!({"refresh_token": laptop["refresh_token"]})).status(), 200);
    problem(app.request(Method::POST, "/auth/logout", None).send().unwrap(), 401);

    // The other instance learns it within a worker round; one started later knows it at once.
    let started = std::time::Instant::now();
    while other.get("/me", phone_access).status() != 401 {
        assert!(started.elapsed().as_secs() < 10, "the other instance still accepts the ended session");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(other.get("/me", laptop_access).status(), 200);
    let later = app.restart_with(&[]);
    problem(later.get("/me", phone_access), 401);
    assert_eq!(later.get("/me", laptop_access).status(), 200);
}

#[test]
fn password_change_revokes_every_refresh_token() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    let a = app.login("beheer@wilkan.test", PASSWORD);
    let b = app.login("beheer@wilkan.test", PASSWORD);
    let token = a["access_token"].as_str();

    let wrong = problem(
        app.send(
            Method::PUT,
            "/me/password",
            token,
            &json!({"current_password": "nope", "new_password": "a much better one"}),
        ),
        422,
    );
    assert!(wrong["errors"]["current_password"].is_array());
    let short = problem(
        app.send(Method::PUT, "/me/password", token, &json!({"current_password": PASSWORD, "new_password": "kort"})),
        422,
    );
    assert!(short["errors"]["new_password"].is_array());

    let res = app.send(
        Method::PUT,
        "/me/password",
        token,
        &json!({"current_password": PASSWORD, "new_password": "a much better one"}),
    );
    assert_eq!(res.status(), 204);
    for session in [&a, &b] {
        problem(app.post("/auth/refresh", None, &json!({"refresh_token": session["refresh_token"]})), 401);
        problem(app.get("/me", session["access_token"].as_str()), 401);
    }
    problem(app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": PASSWORD})), 401);
    app.login("beheer@wilkan.test", "a much better one");
}

#[test]
fn repeated_failures_are_slowed_then_refused_with_429() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    let started = std::time::Instant::now();
    for _ in 0..5 {
        problem(app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": "guess"})), 401);
    }
    // Failures 3-5 were answered with a growing delay (0.4 + 0.8 + 1.2 s).
    assert!(started.elapsed() >= std::time::Duration::from_millis(2_000), "failures are slowed down");
    // Now even the right password is refused until the window has passed.
    let res = app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": PASSWORD}));
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0 && s <= 900), "Retry-After set");
    let body = problem(res, 429);
    assert!(body["detail"].as_str().unwrap().contains("Wacht"));
    // Another account from the same address is not blocked yet (address limit is higher).
    app.create_admin("tweede@wilkan.test");
    app.login("tweede@wilkan.test", PASSWORD);
}

#[test]
fn a_new_role_ends_the_sessions_begun_under_the_old_one() {
    let w = World::new();
    let app = &w.app;
    let session = app.login(&w.employee_a2.email, PASSWORD);
    let res = app.patch(&format!("/users/{}", w.employee_a2.id), Some(&w.admin.token), &json!({"role": "coach"}));
    assert_eq!(res.status(), 200);
    problem(app.post("/auth/refresh", None, &json!({"refresh_token": session["refresh_token"]})), 401);
    problem(app.get("/me", session["access_token"].as_str()), 401);
    let again = app.login(&w.employee_a2.email, PASSWORD);
    assert_eq!(again["user"]["role"], "coach");
}

#[test]
fn logins_with_the_right_password_do_not_use_up_the_address_limit() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    // Each attempt counts before its password is checked; a right one takes its count back, so
    // more logins than the address allows failures (20) all get through.
    for _ in 0..22 {
        app.login("beheer@wilkan.test", PASSWORD);
    }
    // A right password after four failures clears the account's count.
    for _ in 0..4 {
        problem(app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": "guess"})), 401);
    }
    app.login("beheer@wilkan.test", PASSWORD);
    problem(app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": "guess"})), 401);
}

#[test]
fn deactivated_accounts_cannot_log_in_or_refresh() {
    let w = World::new();
    let session = w.app.login(&w.employee_a.email, PASSWORD);
    assert_eq!(w.app.get("/me/courses", Some(&w.employee_a.token)).status(), 200);
    let res = w.app.patch(&format!("/users/{}", w.employee_a.id), Some(&w.pl_a.token), &json!({"active": false}));
    assert_eq!(res.status(), 200);
    problem(w.app.post("/auth/refresh", None, &json!({"refresh_token": session["refresh_token"]})), 401);
    // Every session ends at once, also the access tokens handed out before.
    for token in [w.employee_a.token.as_str(), session["access_token"].as_str().unwrap()] {
        problem(w.app.get("/me/courses", Some(token)), 401);
    }
    // Other people's sessions go on.
    assert_eq!(w.app.get("/me/courses", Some(&w.employee_a2.token)).status(), 200);
    problem(w.app.post("/auth/login", None, &json!({"email": w.employee_a.email, "password": PASSWORD})), 401);
}

/// A login-link request for `email` from `client`, through a proxy that names it in
/// X-Forwarded-For; its status.
fn link_request_from(app: &TestApp, client: &str, email: &str) -> u16 {
    app.request(Method::POST, "/auth/magic-link", None)
        .header("x-forwarded-for", client)
        .json(&json!({ "email": email }))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// `n` login-link requests from `client`, each for another address.
fn link_requests_from(app: &TestApp, client: &str, n: usize) -> Vec<u16> {
    (0..n).map(|i| link_request_from(app, client, &format!("iemand{i}@wilkan.test"))).collect()
}

#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let app = TestApp::spawn_with(&[("WILKAN_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]);
    assert!(link_requests_from(&app, "198.51.100.7", 20).iter().all(|s| *s == 202));
    assert_eq!(link_requests_from(&app, "198.51.100.7", 1), [429], "this client used its limit");
    assert_eq!(link_requests_from(&app, "198.51.100.8", 1), [202], "another client behind the same proxy");
    // What a client writes itself in front of the proxy's entry does not count.
    assert_eq!(link_requests_from(&app, "203.0.113.1, 198.51.100.7", 1), [429]);

    // Without trusted proxies the header is anyone's writing and changes nothing.
    let direct = TestApp::spawn();
    for i in 0..20 {
        assert_eq!(link_requests_from(&direct, &format!("198.51.100.{i}"), 1), [202]);
    }
    assert_eq!(link_requests_from(&direct, "198.51.100.99", 1), [429]);
}

/// A login whose password was checked against the account as it was a moment ago starts no
/// session once the account has been deactivated or given another role meanwhile.
#[test]
fn a_login_checked_just_before_a_deactivation_starts_no_session() {
    let w = World::new();
    let tokens = wilkan::accounts::tokens::TokenService::new(JWT_SECRET, 15, 1);
    let read = |id: &str| wilkan::accounts::queries::find_user(&mut w.app.conn(), id).unwrap();
    for (who, change) in [(&w.coach_a, json!({"role": "project_leader"})), (&w.coach_b, json!({"active": false}))] {
        let as_checked = read(&who.id);
        let res = w.app.patch(&format!("/users/{}", who.id), Some(&w.admin.token), &change);
        assert_eq!(res.status(), 200);
        let started = wilkan::accounts::sessions::start(&mut w.app.conn(), &tokens, as_checked);
        assert!(matches!(started, Err(wilkan::error::AppError::Unauthorized(_))), "{change}: {started:?}");
    }
    // Unchanged, it starts.
    assert!(wilkan::accounts::sessions::start(&mut w.app.conn(), &tokens, read(&w.employee_a.id)).is_ok());
}

/// Five wrong passwords from one client block that client for the account, not the account: the
/// coach at their own desk still logs in. Guessing from many clients stops at a higher limit.
#[test]
fn a_guesser_elsewhere_does_not_lock_the_owner_out() {
    let app = TestApp::spawn_with(&[("WILKAN_TRUSTED_PROXIES", "127.0.0.1")]);
    app.create_admin("beheer@wilkan.test");
    let login_from = |client: &str, password: &str| {
        app.request(Method::POST, "/auth/login", None)
            .header("x-forwarded-for", client)
            .json(&json!({"email": "beheer@wilkan.test", "password": password}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..5 {
        assert_eq!(login_from("198.51.100.66", "raden"), 401);
    }
    assert_eq!(login_from("198.51.100.66", PASSWORD), 429, "the guesser's client is blocked");
    assert_eq!(login_from("203.0.113.10", PASSWORD), 200, "the owner elsewhere is not");
    // Many clients together: blocked for the account after the higher limit, from anywhere.
    use diesel::prelude::*;
    use wilkan::db::schema::login_throttle;
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    diesel::update(login_throttle::table.filter(login_throttle::key.eq("email:beheer@wilkan.test")))
        .set(login_throttle::failures.eq(wilkan::accounts::throttle::PER_ACCOUNT_ANYWHERE.max_failures - 1))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(login_from("192.0.2.200", "raden"), 401);
    assert_eq!(login_from("192.0.2.201", PASSWORD), 429);
}

/// A day's share of login links sent, a further request is answered the same and mails nothing.
#[test]
fn an_employee_gets_at_most_a_days_share_of_login_links() {
    use diesel::prelude::*;
    use wilkan::db::schema::{magic_links, outbox};
    let w = World::new();
    let t = chrono::Utc::now().naive_utc();
    for i in 0..wilkan::accounts::magic_routes::LINKS_PER_DAY {
        diesel::insert_into(magic_links::table)
            .values((
                magic_links::id.eq(format!("eerder-{i}")),
                magic_links::user_id.eq(&w.employee_a.id),
                magic_links::token_hash.eq(format!("hash-{i}")),
                magic_links::created_at.eq(t),
                magic_links::expires_at.eq(t),
            ))
            .execute(&mut w.app.conn())
            .unwrap();
    }
    let res = w.app.post("/auth/magic-link", None, &json!({"email": w.employee_a.email}));
    assert_eq!(res.status(), 202);
    let mails: i64 =
        outbox::table.filter(outbox::to_address.eq(&w.employee_a.email)).count().get_result(&mut w.app.conn()).unwrap();
    assert_eq!(mails, 0);
    // Refused, the request counts towards none of the account's limits.
    use wilkan::db::schema::login_throttle;
    let counted: Vec<(String, i32)> = login_throttle::table
        .filter(login_throttle::key.like(format!("%{}%", w.employee_a.email)))
        .filter(login_throttle::key.like("%magic%"))
        .select((login_throttle::key, login_throttle::failures))
        .load(&mut w.app.conn())
        .unwrap();
    assert_eq!(counted.len(), 3, "{counted:?}");
    assert!(counted.iter().all(|(_, failures)| *failures == 0), "{counted:?}");
}

/// A stranger who types an employee's address from one place (an IPv4 address, an IPv6 /48) uses
/// up that place's share of login links, not the employee's: from home the employee still gets
/// one. Many places together stop at the account's limit for any client, and a request refused
/// there counts towards no limit, so the employee's own share is still there afterwards.
#[test]
fn a_stranger_asking_login_links_does_not_use_up_the_employees() {
    use diesel::prelude::*;
    use wilkan::accounts::magic_routes::{PER_ACCOUNT_ANYWHERE, PER_CLIENT, PER_CLIENT_DAY};
    use wilkan::db::schema::{login_throttle, magic_links};
    let w = World::on(TestApp::spawn_with(&[("WILKAN_TRUSTED_PROXIES", "127.0.0.1")]));
    let ask_from = |who: &crate::helpers::Actor, client: &str| {
        assert_eq!(link_request_from(&w.app, client, &who.email), 202, "the same answer, limited or not");
    };
    let links = |who: &crate::helpers::Actor| -> i64 {
        magic_links::table.filter(magic_links::user_id.eq(&who.id)).count().get_result(&mut w.app.conn()).unwrap()
    };
    let anywhere = login_throttle::key.eq(format!("magic-email:{}", w.employee_a.email));
    // Fixtures: the statement cache does not matter here.
    #[allow(clippy::disallowed_methods)]
    let set_anywhere = |failures: i32, blocked: Option<chrono::NaiveDateTime>| {
        diesel::update(login_throttle::table.filter(anywhere.clone()))
            .set((login_throttle::failures.eq(failures), login_throttle::blocked_until.eq(blocked)))
            .execute(&mut w.app.conn())
            .unwrap()
    };
    // A quarter of an hour passes: every window of 15 minutes ends; the day goes on.
    #[allow(clippy::disallowed_methods)]
    let quarter_passes = || {
        diesel::update(login_throttle::table.filter(login_throttle::key.not_like("%|magic-day")))
            .set((
                login_throttle::window_started_at.eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(16)),
                login_throttle::blocked_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(&mut w.app.conn())
            .unwrap()
    };
    let (day, window) = (i64::from(PER_CLIENT_DAY.max_failures), i64::from(PER_CLIENT.max_failures));

    // Two IPv6 /56s of one /48 are one place; another /48 is another.
    let a2 = &w.employee_a2;
    for client in ["2001:db8:1:200::1", "2001:db8:1:200::1", "2001:db8:1:3ff::5", "2001:db8:1:3ff::5"] {
        ask_from(a2, client);
    }
    assert_eq!(links(a2), window, "one /48, one window's share");
    ask_from(a2, "2001:db8:2::1");
    assert_eq!(links(a2), window + 1, "another /48");

    let a = &w.employee_a;
    for _ in 0..6 {
        ask_from(a, "198.51.100.66");
    }
    assert_eq!(links(a), window, "the stranger's window");
    for _ in 0..day {
        if links(a) >= day {
            break;
        }
        quarter_passes();
        for _ in 0..4 {
            ask_from(a, "198.51.100.66");
        }
    }
    quarter_passes();
    ask_from(a, "198.51.100.66");
    assert_eq!(links(a), day, "the stranger's place has used its day");
    let home = "203.0.113.10";
    ask_from(a, home);
    ask_from(a, home);
    assert_eq!(links(a), day + 2, "the employee at home gets links");
    // Many places together: nothing more for the account after the higher limit, from anywhere.
    assert_eq!(set_anywhere(PER_ACCOUNT_ANYWHERE.max_failures - 1, None), 1);
    ask_from(a, "192.0.2.200");
    assert_eq!(links(a), day + 3);
    ask_from(a, "192.0.2.201");
    assert_eq!(links(a), day + 3, "the account's limit from anywhere");
    // Asked from home meanwhile and refused: each ask counted home's window up to its limit,
    // which blocks, and took both back. So home's window still has room for one.
    for _ in 0..window {
        ask_from(a, home);
    }
    assert_eq!(links(a), day + 3);
    set_anywhere(0, None);
    ask_from(a, home);
    assert_eq!(links(a), day + 1 + window, "home's window, whole");
    ask_from(a, home);
    assert_eq!(links(a), day + 1 + window, "and no more than its window");

    // Erasing the person deletes the counters of their address, per client too.
    let erase = json!({"reason": "Verzoek van de medewerker (AVG)"});
    assert_eq!(w.app.post(&format!("/users/{}/erase", a.id), Some(&w.admin.token), &erase).status(), 200);
    let left: i64 = login_throttle::table
        .filter(login_throttle::key.like(format!("%{}%", a.email)))
        .count()
        .get_result(&mut w.app.conn())
        .unwrap();
    assert_eq!(left, 0);
}

/// The newest mail's link to choose a password, sent to `to`.
pub fn password_code(app: &TestApp, to: &str) -> Option<String> {
    use diesel::prelude::*;
    use wilkan::db::schema::outbox;
    let body: Option<String> = outbox::table
        .filter(outbox::to_address.eq(to).and(outbox::template.eq("password-link")))
        .order(outbox::id.desc())
        .select(outbox::body_text)
        .first(&mut app.conn())
        .ok();
    body.map(|b| {
        let start = b.find("code=").expect("a link with a code") + 5;
        b[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    })
}

/// A new staff account without a password gets a link to choose one, and nobody else chooses it:
/// a project leader may not set one. A forgotten password gets a new link; employees log in with
/// login links and get none.
#[test]
fn staff_choose_their_own_password_by_a_link() {
    let w = World::new();
    let app = &w.app;
    let pl = Some(w.pl_a.token.as_str());
    let with_password =
        json!({"email": "nieuw@wilkan.test", "first_name": "Nieuw", "role": "coach", "password": "ik-weet-het-al"});
    assert!(problem(app.post("/users", pl, &with_password), 422)["errors"]["password"].is_array());
    let res = app.post("/users", pl, &json!({"email": "nieuw@wilkan.test", "first_name": "Nieuw", "role": "coach"}));
    assert_eq!(res.status(), 201);
    let code = password_code(app, "nieuw@wilkan.test").expect("an invitation");
    let choose = |code: &str, password: &str| {
        app.post("/auth/password-link/redeem", None, &json!({"token": code, "password": password}))
    };
    assert!(problem(choose(&code, "kort"), 422)["errors"]["password"].is_array());
    let session: Value = choose(&code, "mijn-eigen-wachtwoord").json().unwrap();
    assert_eq!(session["user"]["role"], "coach");
    app.login("nieuw@wilkan.test", "mijn-eigen-wachtwoord");
    assert!(problem(choose(&code, "nog-een-wachtwoord"), 401)["detail"].as_str().unwrap().contains("al gebruikt"));

    // Forgotten: a new link, and the sessions started with the old password end when it is used.
    let before = app.login("nieuw@wilkan.test", "mijn-eigen-wachtwoord");
    assert_eq!(app.post("/auth/password-link", None, &json!({"email": "nieuw@wilkan.test"})).status(), 202);
    let again = password_code(app, "nieuw@wilkan.test").unwrap();
    assert_ne!(again, code);
    assert_eq!(choose(&again, "weer-een-nieuw-wachtwoord").status(), 200);
    problem(app.get("/me", before["access_token"].as_str()), 401);
    problem(
        app.post("/auth/login", None, &json!({"email": "nieuw@wilkan.test", "password": "mijn-eigen-wachtwoord"})),
        401,
    );
    // Employees and unknown addresses: the same answer, and no mail.
    for email in [w.employee_a.email.as_str(), "niemand@wilkan.test"] {
        assert_eq!(app.post("/auth/password-link", None, &json!({"email": email})).status(), 202);
        assert_eq!(password_code(app, email), None);
    }
    problem(choose("verzonnen", "een-goed-wachtwoord"), 401);
    // The links are in the person's inzage.
    let token =
        app.login("nieuw@wilkan.test", "weer-een-nieuw-wachtwoord")["access_token"].as_str().unwrap().to_string();
    let mine: Value = app.get("/me/data", Some(&token)).json().unwrap();
    assert_eq!(mine["sign_ins"]["password_links"].as_array().map(Vec::len), Some(2), "{}", mine["sign_ins"]);

    // A password an admin sets, or a deactivation, takes back a link still in the mailbox.
    let admin = Some(w.admin.token.as_str());
    for (i, change) in [json!({"password": "door-de-beheerder"}), json!({"active": false})].into_iter().enumerate() {
        let email = format!("later{i}@wilkan.test");
        let body = json!({"email": email, "first_name": "Later", "role": "coach", "organization_id": w.org_a});
        let id = crate::helpers::json_id(app.post("/users", admin, &body), 201);
        let waiting = password_code(app, &email).unwrap();
        assert_eq!(app.patch(&format!("/users/{id}"), admin, &change).status(), 200);
        problem(choose(&waiting, "zelf-gekozen-wachtwoord"), 401);
    }
}

/// Wrong current passwords for a password change are counted on a key of their own: someone
/// else's failed logins do not use them up, and the owner's typo does not lock the logins.
#[test]
fn password_change_guesses_neither_lock_logins_nor_are_used_up_by_them() {
    let app = TestApp::spawn();
    app.create_admin("beheer@wilkan.test");
    let session = app.login("beheer@wilkan.test", PASSWORD);
    let token = session["access_token"].as_str();
    for _ in 0..4 {
        problem(app.post("/auth/login", None, &json!({"email": "beheer@wilkan.test", "password": "guess"})), 401);
    }
    let guess = json!({"current_password": "nope", "new_password": "a much better one"});
    problem(app.send(Method::PUT, "/me/password", token, &guess), 422);
    // The owner still logs in.
    app.login("beheer@wilkan.test", PASSWORD);
    // Guesses of the current password are still limited, at their own limit: four more make five.
    for _ in 0..4 {
        problem(app.send(Method::PUT, "/me/password", token, &guess), 422);
    }
    let right = json!({"current_password": PASSWORD, "new_password": "a much better one"});
    let body = problem(app.send(Method::PUT, "/me/password", token, &right), 429);
    assert!(body["detail"].as_str().unwrap().contains("Wacht"));
    // And being blocked there does not block logging in, nor end the session.
    app.login("beheer@wilkan.test", PASSWORD);
    assert_eq!(app.get("/me", token).status(), 200, "the session itself goes on");
}

/// An erasure takes every counter that names the address, the password change's too.
#[test]
fn an_erasure_takes_the_password_change_counter_with_it() {
    use diesel::prelude::*;
    use wilkan::db::schema::login_throttle;
    let w = World::new();
    let app = &w.app;
    let guess = json!({"current_password": "nope", "new_password": "a much better one"});
    problem(app.send(Method::PUT, "/me/password", Some(&w.employee_a2.token), &guess), 422);
    let keys = || -> Vec<String> { login_throttle::table.select(login_throttle::key).load(&mut app.conn()).unwrap() };
    let before = keys();
    assert!(before.contains(&"pwchange-email:kees@wilkan.test".to_string()), "{before:?}");
    let res = app.post(
        &format!("/users/{}/erase", w.employee_a2.id),
        Some(&w.admin.token),
        &json!({"reason": "Verzoek van de medewerker (AVG)"}),
    );
    assert_eq!(res.status(), 200);
    let left = keys();
    assert!(!left.iter().any(|k| k.contains("kees@wilkan.test")), "{left:?}");
}
