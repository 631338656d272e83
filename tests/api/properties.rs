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

    /// The Dutch date helper takes any moment.
    #[test]
    fn dutch_dates_never_panic(secs in 0i64..4_000_000_000) {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
        let when = wilkan::groups::routes::dutch_when(t);
        prop_assert!(when.contains(" om "));
    }

    /// The email template filler takes any value (a colleague writes the card): it appears as
    /// written in the text part and escaped in the HTML part, and its own braces stay as they are.
    #[test]
    fn template_filler_takes_anything(message in "\\PC{0,60}", author in "[{}<>& a-z]{0,12}") {
        let vars = std::collections::BTreeMap::from([
            ("first_name", "Sandra".to_string()),
            ("organization", "Groenwerk".to_string()),
            ("author", author.clone()),
            ("message", message.clone()),
        ]);
        let mail = card_templates().render("card-received", &vars).unwrap();
        prop_assert!(mail.text.contains(&message) && mail.text.contains(&author));
        prop_assert!(!mail.text.contains("{{message}}") || message.contains("{{message}}") || author.contains("{{message}}"));
        let escape = |v: &str| v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let html = mail.html.unwrap();
        prop_assert!(html.contains(&escape(&message)) && html.contains(&escape(&author)));
    }
}

fn card_templates() -> &'static wilkan::mail::templates::Templates {
    static TEMPLATES: std::sync::OnceLock<wilkan::mail::templates::Templates> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("course-content");
        wilkan::mail::templates::Templates::load(&dir).unwrap()
    })
}
