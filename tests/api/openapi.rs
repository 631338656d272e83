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
