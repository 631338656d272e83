use crate::helpers::TestApp;

#[test]
fn committed_spec_matches_the_code_and_the_server() {
    let generated = wilkan::http::openapi::to_json(&wilkan::http::openapi::document());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi --out openapi/openapi.json` and commit it"
    );

    let app = TestApp::spawn();
    let served: serde_json::Value = app.get("/openapi.json", None).json().unwrap();
    let expected: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(served, expected);

    let docs = app.get("/docs/", None);
    assert_eq!(docs.status(), 200);
    assert!(docs.text().unwrap().contains("swagger"), "docs page is served from the binary");
    // The address without the slash (as the README gives it) leads to the same page.
    let bare = app.get("/docs", None);
    assert_eq!(bare.status(), 200);
    assert!(bare.url().path().ends_with("/docs/"), "{}", bare.url());
    // A file the docs do not have is a problem like any other 404.
    crate::helpers::problem(app.get("/docs/nope.js", None), 404);
}

#[test]
fn every_operation_documents_its_problem_answers() {
    let spec = wilkan::http::openapi::document();
    for (path, item) in &spec.paths.paths {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten() {
            for status in ["401", "404", "422", "503"] {
                assert!(op.responses.responses.contains_key(status), "{path} lacks {status}");
            }
        }
    }
}

/// Endpoints that answer in more than one format describe each of them (two `status = 200`
/// entries in a utoipa attribute keep only the last one).
#[test]
fn every_format_of_an_answer_is_described() {
    let spec: serde_json::Value =
        serde_json::from_str(&wilkan::http::openapi::to_json(&wilkan::http::openapi::document())).unwrap();
    for (path, formats) in [
        ("/api/v1/trajectories/{id}/cards", &["application/json", "text/html"][..]),
        ("/api/v1/courses/map", &["text/html", "application/pdf"]),
        ("/api/v1/courses/{slug}/map", &["text/html", "application/pdf"]),
        ("/api/v1/me/data", &["application/json", "application/zip"]),
        ("/api/v1/exports/kirkpatrick", &["application/json", "text/csv"]),
    ] {
        let content = &spec["paths"][path]["get"]["responses"]["200"]["content"];
        for format in formats {
            assert!(content[format]["schema"].is_object(), "{path}: {format} in {content}");
        }
    }
}

/// Every free-text field a client can send carries the "no medical details" hint.
#[test]
fn free_text_inputs_say_no_medical_details() {
    let spec: serde_json::Value =
        serde_json::from_str(&wilkan::http::openapi::to_json(&wilkan::http::openapi::document())).unwrap();
    let schemas = &spec["components"]["schemas"];
    // Names that are not free text: references, credentials, names, hashes.
    let structured = |name: &str| {
        name.ends_with("_id")
            || [
                "email",
                "first_name",
                "last_name",
                "name",
                "password",
                "current_password",
                "new_password",
                "refresh_token",
                "page_hash",
                "token",
                "video_link",
                "employee_a",
                "employee_b",
                "starts_at",
                "corrects",
            ]
            .contains(&name)
    };
    let mut todo: Vec<String> = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(r) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() {
                todo.push(r.rsplit('/').next().unwrap().to_string());
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut missing = Vec::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for (prop, v) in schemas[&name]["properties"].as_object().into_iter().flatten() {
            let text = v.to_string();
            for r in text.split("#/components/schemas/").skip(1) {
                todo.push(r.split('"').next().unwrap().to_string());
            }
            let is_string = v["type"] == "string" || v["type"].as_array().is_some_and(|t| t.contains(&"string".into()));
            let free = is_string && v.get("format").is_none() && v.get("enum").is_none() && !structured(prop);
            if free && !v["description"].as_str().unwrap_or("").to_lowercase().contains("no medical details") {
                missing.push(format!("{name}.{prop}"));
            }
        }
    }
    assert!(seen.len() > 10, "request schemas were found");
    assert!(missing.is_empty(), "free-text fields without the hint: {missing:?}");
}
