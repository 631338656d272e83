//! No panic reachable from input: property tests on the parsers Wilkan owns.

use proptest::prelude::*;

/// Bad input is the client's problem (400 or 422 with a Dutch detail), never a server error.
fn client_error(e: &wilkan::error::AppError) -> bool {
    let p = e.problem();
    (p.status == 400 || p.status == 422) && !p.detail.is_empty()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any bytes as a JSON body: an answer (ok or a 400/422 problem), never a panic.
    #[test]
    fn json_input_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = wilkan::http::json::parse::<wilkan::accounts::api::CreateUser>(&body) {
            prop_assert!(client_error(&e));
        }
        if let Err(e) = wilkan::http::json::parse::<wilkan::logbook::api::EntryIn>(&body) {
            prop_assert!(client_error(&e));
        }
    }

    /// JSON-looking objects with random values for known fields.
    #[test]
    fn typed_json_never_panics(email in ".{0,60}", role in "[a-z_]{0,16}", n in any::<i64>(), org in proptest::option::of(".{0,40}")) {
        let body = serde_json::json!({"email": email, "first_name": role, "role": role, "organization_id": org, "password": n.to_string()});
        if let Err(e) = wilkan::http::json::parse::<wilkan::accounts::api::CreateUser>(body.to_string().as_bytes()) {
            prop_assert!(client_error(&e));
        }
        let body = serde_json::json!({"date": email, "kind": role, "duration_minutes": n, "preparation_minutes": n, "led_by": role});
        if let Err(e) = wilkan::http::json::parse::<wilkan::logbook::api::EntryIn>(body.to_string().as_bytes()) {
            prop_assert!(client_error(&e));
        }
    }

    /// The readability scorer copes with any text.
    #[test]
    fn readability_never_panics(text in "\\PC{0,500}") {
        let s = wilkan::courses::readability::score(&text);
        prop_assert!(s.flesch_douma.is_finite());
    }

    /// Any content in a page file: a file:line error or a course, never a panic.
    #[test]
    fn content_loader_never_panics(page in "\\PC{0,300}", blocks in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,40}"), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let course = dir.path().join("courses/01-proef");
        std::fs::create_dir_all(&course).unwrap();
        std::fs::write(course.join("course.toml"), "slug = \"proef\"\nnumber = 1\ntitle = \"P\"\nsummary = \"S\"\nminutes = 20\n").unwrap();
        let mut text = format!("id = \"p\"\ntitle = \"T\"\n{page}\n");
        for (kind, value) in &blocks {
            text.push_str(&format!("\n[[blocks]]\ntype = \"{kind}\"\ntext = {value:?}\nnumber = 1\n"));
        }
        std::fs::write(course.join("01-p.toml"), text).unwrap();
        if let Err(errors) = wilkan::courses::loader::load(dir.path(), &Default::default()) {
            prop_assert!(errors.iter().all(|e| e.file.contains("courses")));
        }
    }

    /// The Dutch date helper and the email template filler take anything.
    #[test]
    fn helpers_never_panic(secs in 0i64..4_000_000_000, name in "\\PC{0,30}") {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
        let when = wilkan::groups::routes::dutch_when(t);
        prop_assert!(when.contains(" om "));
        let entry = wilkan::privacy::audit::AuditEntry::anonymous(&name, &name, &name);
        prop_assert_eq!(entry.action, name);
    }
}
