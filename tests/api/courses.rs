use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, World};

const C1: &str = "uitgangspunten-en-misverstanden";

fn put(w: &World, token: &str, path: &str, body: Value) -> reqwest::blocking::Response {
    w.app.send(Method::PUT, path, Some(token), &body)
}

/// The first page of course 1 with a choice question, and the question's id and option count.
fn choice_page(course: &Value) -> (String, String, usize) {
    for page in course["pages"].as_array().unwrap() {
        for b in page["blocks"].as_array().unwrap() {
            if b["type"] == "choice" {
                return (
                    page["id"].as_str().unwrap().into(),
                    b["id"].as_str().unwrap().into(),
                    b["options"].as_array().unwrap().len(),
                );
            }
        }
    }
    panic!("no choice question");
}

fn exercise_page(course: &Value) -> (String, u64) {
    for page in course["pages"].as_array().unwrap() {
        for b in page["blocks"].as_array().unwrap() {
            if b["type"] == "exercise" {
                return (page["id"].as_str().unwrap().into(), b["number"].as_u64().unwrap());
            }
        }
    }
    panic!("no exercise");
}

#[test]
fn catalogue_lists_seven_courses_in_order_with_the_employees_status() {
    let w = World::new();
    let cat: Value = w.app.get("/courses", Some(&w.coach_a.token)).json().unwrap();
    let items = cat["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    let numbers: Vec<u64> = items.iter().map(|c| c["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(items[0]["slug"], C1);
    assert!(items.iter().all(|c| (20..=30).contains(&c["minutes"].as_u64().unwrap())));
    assert!(items[0].get("status").is_none(), "no status for a coach");

    let mine: Value = w.app.get("/courses", Some(&w.employee_a.token)).json().unwrap();
    assert_eq!(mine["items"][0]["status"], "not_started");
    problem(w.app.get("/courses", None), 401);
}

#[test]
fn a_course_is_structured_json_with_transcripts_alt_texts_and_labels() {
    let w = World::new();
    let course: Value = w.app.get(&format!("/courses/{C1}"), Some(&w.employee_a.token)).json().unwrap();
    let pages = course["pages"].as_array().unwrap();
    assert_eq!(pages.first().unwrap()["kind"], "celebration");
    assert_eq!(pages.last().unwrap()["kind"], "reflection");
    let blocks: Vec<&Value> = pages.iter().flat_map(|p| p["blocks"].as_array().unwrap()).collect();
    let video = blocks.iter().find(|b| b["type"] == "video").unwrap();
    assert!(video["url"].as_str().unwrap().starts_with("https://video.wilkan.nl/"));
    assert!(video["transcript"].as_str().unwrap().len() > 100);
    let image = blocks.iter().find(|b| b["type"] == "image").unwrap();
    assert!(!image["alt"].as_str().unwrap().is_empty());
    let exercise = blocks.iter().find(|b| b["type"] == "exercise").unwrap();
    assert_eq!(exercise["label"], "Opdracht 1.1");
    assert!(pages.iter().all(|p| p["content_hash"].as_str().unwrap().len() == 64));

    // The picture is served (publicly: <img> tags send no token), as SVG.
    let res = w.app.get(image["url"].as_str().unwrap(), None);
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.text().unwrap().contains("<svg"));
    problem(w.app.get(&format!("/courses/{C1}/images/..%2Fcourse.toml"), None), 404);
    problem(w.app.get(&format!("/courses/{C1}/images/niet-bestaand.svg"), None), 404);
    problem(w.app.get("/courses/bestaat-niet", Some(&w.employee_a.token)), 404);
}

#[test]
fn progress_is_saved_merged_resumed_and_completed_by_the_reflection() {
    let w = World::new();
    let emp = &w.employee_a.token;
    let course: Value = w.app.get(&format!("/courses/{C1}"), Some(emp)).json().unwrap();
    let (page, question, options) = choice_page(&course);
    let (ex_page, ex_number) = exercise_page(&course);

    let res =
        put(&w, emp, &format!("/me/courses/{C1}/celebration"), json!({"text": "Ik ben twee keer gaan wandelen."}));
    assert_eq!(res.status(), 200);
    let res = put(
        &w,
        emp,
        &format!("/me/courses/{C1}/pages/{page}"),
        json!({"status": "visited", "answers": {question.clone(): 0}}),
    );
    assert_eq!(res.status(), 200);
    let view: Value = res.json().unwrap();
    assert_eq!(view["status"], "in_progress");
    assert_eq!(view["resume_page_id"], page.as_str());

    // A later save adds to the earlier answers.
    let ex = ex_number.to_string();
    let res = put(
        &w,
        emp,
        &format!("/me/courses/{C1}/pages/{ex_page}"),
        json!({"status": "done", "exercises": {ex.clone(): "Mijn antwoord"}}),
    );
    assert_eq!(res.status(), 200);
    let res = put(
        &w,
        emp,
        &format!("/me/courses/{C1}/pages/{page}"),
        json!({"status": "done", "answers": {question.clone(): options - 1}}),
    );
    let view: Value = res.json().unwrap();
    let state = view["pages"].as_array().unwrap().iter().find(|p| p["page_id"] == page.as_str()).unwrap();
    assert_eq!(state["done"], true);
    assert_eq!(state["answers"]["answers"][&question], options - 1);

    let mine: Value = w.app.get("/me/courses", Some(emp)).json().unwrap();
    let c1 = &mine["items"][0];
    assert_eq!(c1["celebration"], "Ik ben twee keer gaan wandelen.");
    assert_eq!(c1["resume_page_id"], page.as_str());
    let ex_state = c1["pages"].as_array().unwrap().iter().find(|p| p["page_id"] == ex_page.as_str()).unwrap();
    assert_eq!(ex_state["answers"]["exercises"][&ex], "Mijn antwoord");
    // The other employee sees none of it.
    let other: Value = w.app.get("/me/courses", Some(&w.employee_a2.token)).json().unwrap();
    assert_eq!(other["items"][0]["status"], "not_started");

    let res = put(
        &w,
        emp,
        &format!("/me/courses/{C1}/reflection"),
        json!({"text": "Ik neem mee dat kleine stappen tellen.", "choice": "group_session"}),
    );
    assert_eq!(res.status(), 200);
    let view: Value = res.json().unwrap();
    assert_eq!(view["status"], "completed");
    assert_eq!(view["completed_via"], "online");
    assert_eq!(view["reflection"]["choice"], "group_session");
    // The list reads all rows in one statement, the single course reads them apart: both must
    // give the same course, field for field (status, completion, reflection, every page's state).
    let mine: Value = w.app.get("/me/courses", Some(emp)).json().unwrap();
    assert_eq!(mine["items"][0], view);
    assert_eq!(mine["items"][0]["reflection"]["text"], "Ik neem mee dat kleine stappen tellen.");
    assert!(mine["items"][0]["completed_at"].is_string());
    assert_eq!(mine["items"][1]["status"], "not_started");
    let cat: Value = w.app.get("/courses", Some(emp)).json().unwrap();
    assert_eq!(cat["items"][0]["status"], "completed");
}

#[test]
fn bad_progress_input_is_refused_and_writes_nothing() {
    let w = World::new();
    let emp = &w.employee_a.token;
    let course: Value = w.app.get(&format!("/courses/{C1}"), Some(emp)).json().unwrap();
    let (page, question, options) = choice_page(&course);

    let body = problem(
        put(
            &w,
            emp,
            &format!("/me/courses/{C1}/pages/{page}"),
            json!({"status": "done", "answers": {question.clone(): options}}),
        ),
        422,
    );
    assert!(body["errors"][format!("answers.{question}")].is_array());
    let body = problem(
        put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), json!({"status": "done", "answers": {"verzonnen": 1}})),
        422,
    );
    assert!(body["errors"]["answers.verzonnen"].is_array());
    let body = problem(
        put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), json!({"status": "done", "exercises": {"99": "x"}})),
        422,
    );
    assert!(body["errors"]["exercises.99"].is_array());
    problem(put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), json!({"status": "klaar"})), 422);
    problem(put(&w, emp, &format!("/me/courses/{C1}/pages/bestaat-niet"), json!({"status": "done"})), 404);
    problem(put(&w, emp, "/me/courses/bestaat-niet/pages/welkom", json!({"status": "done"})), 404);
    let body = problem(
        put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), json!({"status": "done", "page_hash": "oud"})),
        409,
    );
    assert!(body["detail"].as_str().unwrap().contains("opnieuw"));
    // Answers to a page as it was (a question since removed) still get the 409 to reload.
    let stale = json!({"status": "done", "page_hash": "oud", "answers": {"weg": 1}});
    let body = problem(put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), stale), 409);
    assert!(body["detail"].as_str().unwrap().contains("opnieuw"), "{body}");
    let long = "a".repeat(5001);
    let body =
        problem(put(&w, emp, &format!("/me/courses/{C1}/reflection"), json!({"text": long, "choice": "none"})), 422);
    assert!(body["errors"]["text"].is_array());
    problem(put(&w, emp, &format!("/me/courses/{C1}/reflection"), json!({"text": "x", "choice": "misschien"})), 422);
    problem(put(&w, emp, &format!("/me/courses/{C1}/celebration"), json!({"text": ""})), 422);
    assert_eq!(w.app.count("page_progress"), 0);
    assert_eq!(w.app.count("course_progress"), 0);

    // Progress is the employee's own: other roles are refused.
    problem(put(&w, &w.coach_a.token, &format!("/me/courses/{C1}/pages/{page}"), json!({"status": "done"})), 403);
    problem(w.app.get("/me/courses", Some(&w.pl_a.token)), 403);
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_changed_page_is_shown_as_new_and_other_progress_is_kept() {
    let content = tempfile::tempdir().unwrap();
    copy_dir(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content")), content.path());
    let dir = content.path().display().to_string();
    let w = World::on(TestApp::spawn_with(&[("WILKAN_CONTENT_DIR", &dir)]));
    let emp = &w.employee_a.token;
    let course: Value = w.app.get(&format!("/courses/{C1}"), Some(emp)).json().unwrap();
    let pages: Vec<String> =
        course["pages"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    for p in &pages[..3] {
        assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/pages/{p}"), json!({"status": "done"})).status(), 200);
    }
    // Completed with the other pages skipped (read on paper, say).
    let reflection = json!({"text": "Ik weet nu hoe het werkt", "choice": "none"});
    assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/reflection"), reflection).status(), 200);
    let old_hash = course["pages"][1]["content_hash"].as_str().unwrap().to_string();

    // A writer edits the second page; the service restarts on the same database.
    let course_dir = content.path().join("courses/01-uitgangspunten-en-misverstanden");
    let file = std::fs::read_dir(&course_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("02-"))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap().replacen("title = \"", "title = \"Nieuw: ", 1);
    std::fs::write(&file, text).unwrap();
    // And adds a page before the last.
    let added =
        "id = \"nog-iets\"\ntitle = \"Nog iets\"\n\n[[blocks]]\ntype = \"text\"\ntext = \"Hier staat iets nieuws.\"\n";
    std::fs::write(course_dir.join("11a-nog-iets.toml"), added).unwrap();
    let app2 = w.app.restart_with(&[("WILKAN_CONTENT_DIR", &dir)]);
    let token = app2.token(&w.employee_a.email);

    let mine: Value = app2.get("/me/courses", Some(&token)).json().unwrap();
    let c1 = &mine["items"][0];
    // The changed page and the added one; not those skipped when it was completed.
    assert_eq!(c1["new_page_ids"], json!([pages[1], "nog-iets"]));
    let states = c1["pages"].as_array().unwrap();
    assert_eq!(states[0]["done"], true);
    assert_eq!(states[0]["changed_since_done"], false);
    assert_eq!(states[1]["changed_since_done"], true);
    assert_eq!(states[2]["done"], true);
    // Progress sent for the old version: a clear 409, nothing written; the new version is accepted.
    problem(
        app2.send(
            Method::PUT,
            &format!("/me/courses/{C1}/pages/{}", pages[1]),
            Some(&token),
            &json!({"status": "done", "page_hash": old_hash}),
        ),
        409,
    );
    let course2: Value = app2.get(&format!("/courses/{C1}"), Some(&token)).json().unwrap();
    let new_hash = course2["pages"][1]["content_hash"].as_str().unwrap();
    assert_ne!(new_hash, old_hash);
    let res = app2.send(
        Method::PUT,
        &format!("/me/courses/{C1}/pages/{}", pages[1]),
        Some(&token),
        &json!({"status": "done", "page_hash": new_hash}),
    );
    let view: Value = res.json().unwrap();
    assert_eq!(view["new_page_ids"], json!(["nog-iets"]));
    let opened = json!({"status": "visited"});
    let view: Value =
        app2.send(Method::PUT, &format!("/me/courses/{C1}/pages/nog-iets"), Some(&token), &opened).json().unwrap();
    assert_eq!(view["new_page_ids"], json!([]), "opened: no longer new");
    assert_eq!(app2.count("course_versions"), 8, "seven versions, and the edited one");
}

#[test]
fn the_map_follows_the_online_order_exactly() {
    let w = World::new();
    let token = Some(w.coach_a.token.as_str());
    let cat: Value = w.app.get("/courses", token).json().unwrap();
    let mut all_pages = Vec::new();
    for summary in cat["items"].as_array().unwrap() {
        let slug = summary["slug"].as_str().unwrap();
        let course: Value = w.app.get(&format!("/courses/{slug}"), token).json().unwrap();
        let online_pages: Vec<String> =
            course["pages"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
        let online_exercises: Vec<String> = course["pages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["blocks"].as_array().unwrap().iter())
            .filter(|b| b["type"] == "exercise")
            .map(|b| b["label"].as_str().unwrap().to_string())
            .collect();
        let online_titles: Vec<String> =
            course["pages"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()).collect();

        let res = w.app.get(&format!("/courses/{slug}/map"), token);
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(res.headers().get("content-security-policy").is_some());
        let html = res.text().unwrap();
        assert_eq!(attr_values(&html, "data-page-id"), online_pages, "page order of {slug}");
        assert_eq!(attr_values(&html, "data-exercise"), online_exercises, "exercise numbers of {slug}");
        let map_titles: Vec<String> = html
            .split("<article data-page-id=")
            .skip(1)
            .map(|a| a.split("<h3>").nth(1).unwrap().split("</h3>").next().unwrap().to_string())
            .collect();
        let expected: Vec<String> = online_titles.iter().map(|t| escape(t)).collect();
        assert_eq!(map_titles, expected, "page titles of {slug} in online order");
        // Everything the screen shows is on paper too, on the same page: every line of every text,
        // list, exercise, question, option and its feedback, transcript and picture description.
        let articles: Vec<(String, String)> = html
            .split("<article data-page-id=\"")
            .skip(1)
            .map(|a| {
                let (id, rest) = a.split_once('"').unwrap();
                (id.to_string(), plain_text(rest.split("</article>").next().unwrap()))
            })
            .collect();
        // The pictures themselves too, where they stand online: exercises point at them.
        let pictures = course["pages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["blocks"].as_array().unwrap())
            .filter(|b| b["type"] == "image")
            .count();
        assert_eq!(html.matches("<img alt=").count(), pictures, "{slug}: every picture is on paper");
        assert_eq!(html.matches("src=\"data:image/svg+xml;base64,").count(), pictures);
        for (page, (id, paper)) in course["pages"].as_array().unwrap().iter().zip(&articles) {
            assert_eq!(page["id"].as_str(), Some(id.as_str()));
            for block in page["blocks"].as_array().unwrap() {
                for line in shown_lines(block) {
                    assert!(paper.contains(&line), "{slug}/{id}: on screen but not on paper: {line}\n{paper}");
                }
            }
        }
        all_pages.extend(online_pages);
    }
    let full = w.app.get("/courses/map", token).text().unwrap();
    assert_eq!(attr_values(&full, "data-page-id"), all_pages, "the full map in advised order");
    assert!(full.contains("Inhoud"));
    assert!(!full.contains("<script"), "no scripts in the map");
}

#[test]
fn the_map_is_a_pdf_when_asked() {
    let w = World::new();
    let res = w
        .app
        .request(Method::GET, &format!("/courses/{C1}/map"), Some(&w.employee_a.token))
        .header("accept", "application/pdf")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let res = w.app.get("/courses/map?format=pdf", Some(&w.employee_a.token));
    let full = res.bytes().unwrap();
    assert!(full.len() > bytes.len());
    // Every course picture is drawn in it, each once.
    let images = full.windows(15).filter(|w| w == b"/Subtype /Image").count();
    let courses = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("course-content/courses");
    let pictures = std::fs::read_dir(courses)
        .unwrap()
        .filter_map(|c| std::fs::read_dir(c.unwrap().path().join("images")).ok())
        .flat_map(|files| files.filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|x| x == "svg")))
        .count();
    assert!(pictures >= 9);
    assert_eq!(images, pictures);
    problem(w.app.get("/courses/map?format=docx", Some(&w.employee_a.token)), 422);
}

/// An HTML fragment's text: tags out, entities back, whitespace as single spaces.
fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut tag: Option<String> = None;
    for ch in html.chars() {
        match (&mut tag, ch) {
            (None, '<') => tag = Some(String::new()),
            (Some(t), '>') => {
                // Bold stays within its line; every other tag ends one.
                if !matches!(t.trim_start_matches('/'), "strong" | "span class=\"box\"" | "span") {
                    out.push(' ');
                }
                tag = None;
            }
            (Some(t), c) => t.push(c),
            (None, c) => out.push(c),
        }
    }
    let out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lines of text a block shows on screen (list markers and bold markers off).
fn shown_lines(block: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    for key in ["text", "instructions", "question", "transcript", "title", "alt"] {
        texts.extend(block[key].as_str().map(str::to_string));
    }
    for option in block["options"].as_array().into_iter().flatten() {
        texts.extend(["text", "feedback"].iter().filter_map(|k| option[k].as_str().map(str::to_string)));
    }
    texts
        .iter()
        .flat_map(|t| t.lines())
        .map(|l| l.trim().trim_start_matches("- ").replace("**", ""))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// Each trajectory is a learning round of its own (`courses::rounds`): while the next one is only
/// proposed, the employee's list is as it was; once it begins, the list starts afresh. What was
/// learnt in the first stays with the first (its progress, the inzage), and the course done again
/// has its own reflection, which asks the coach for a talk again.
#[test]
fn a_new_trajectory_begins_a_new_learning_round() {
    use crate::helpers::{inclusion_ok, json_id};
    use diesel::prelude::*;
    use wilkan::db::schema::outbox;
    let w = World::new();
    let m = w.method();
    let (emp, coach, pl) = (w.employee_a.token.as_str(), w.coach_a.token.as_str(), w.pl_a.token.as_str());
    let course: Value = w.app.get(&format!("/courses/{C1}"), Some(emp)).json().unwrap();
    let (page, question, _) = choice_page(&course);
    let celebration = json!({"text": "Ik heb elke dag gewandeld."});
    assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/celebration"), celebration).status(), 200);
    let answer = json!({"status": "done", "answers": {question.clone(): 0}});
    assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/pages/{page}"), answer).status(), 200);
    let reflection = json!({"text": "Kleine stappen tellen.", "choice": "coach_talk"});
    assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/reflection"), reflection).status(), 200);
    let talks = || -> i64 {
        outbox::table.filter(outbox::template.eq("talk-requested")).count().get_result(&mut w.app.conn()).unwrap()
    };
    assert_eq!(talks(), 1);
    let course_in = |path: &str, token: &str| -> Value {
        let res = w.app.get(path, Some(token));
        assert_eq!(res.status(), 200, "{path}");
        let list: Value = res.json().unwrap();
        list["items"].as_array().unwrap().iter().find(|c| c["slug"] == C1).unwrap().clone()
    };

    let first = m.trajectory.clone();
    let stop = json!({"status": "stopped", "stop_reason": "other"});
    assert_eq!(w.app.patch(&format!("/trajectories/{first}"), Some(coach), &stop).status(), 200);
    let proposal = json!({"employee_id": w.employee_a.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort,
                          "inclusion": inclusion_ok()});
    let second = json_id(w.app.post("/trajectories", Some(pl), &proposal), 201);
    assert_eq!(course_in("/me/courses", emp)["status"], "completed", "only proposed: the list is as it was");
    let consent = json!({"kind": "method", "given": true});
    assert_eq!(w.app.post(&format!("/trajectories/{second}/consents"), Some(emp), &consent).status(), 201);
    assert_eq!(course_in("/me/courses", emp)["status"], "not_started", "agreed to: the new round begins");
    let start = json!({"status": "active"});
    assert_eq!(w.app.patch(&format!("/trajectories/{second}"), Some(coach), &start).status(), 200);

    let fresh = course_in("/me/courses", emp);
    assert_eq!(fresh["status"], "not_started", "{fresh}");
    assert!(fresh["celebration"].is_null() && fresh["reflection"].is_null(), "{fresh}");
    assert!(fresh["pages"].as_array().unwrap().iter().all(|p| p["done"] == false && p["answers"].is_null()), "{fresh}");
    assert_eq!(course_in(&format!("/trajectories/{second}/progress"), coach)["status"], "not_started");
    // The first trajectory keeps its round: its employee reads it whole, a project leader without texts.
    let then = course_in(&format!("/trajectories/{first}/progress"), emp);
    assert_eq!((&then["status"], &then["reflection"]["text"]), (&json!("completed"), &json!("Kleine stappen tellen.")));
    assert_eq!(then["celebration"], "Ik heb elke dag gewandeld.");
    let done = then["pages"].as_array().unwrap().iter().find(|p| p["page_id"] == page.as_str()).unwrap();
    assert_eq!((&done["done"], &done["answers"]["answers"][&question]), (&json!(true), &json!(0)), "{then}");
    let seen_by_pl = course_in(&format!("/trajectories/{first}/progress"), pl);
    assert_eq!(seen_by_pl["status"], "completed");
    assert!(seen_by_pl["celebration"].is_null() && seen_by_pl["reflection"]["text"].is_null(), "{seen_by_pl}");

    // The course again, in the new round: a reflection of its own, and the wish for a talk goes to
    // the coach of this trajectory.
    let again = json!({"text": "Nu durf ik hulp te vragen.", "choice": "coach_talk"});
    assert_eq!(put(&w, emp, &format!("/me/courses/{C1}/reflection"), again).status(), 200);
    assert_eq!(talks(), 2);
    assert_eq!(
        course_in(&format!("/trajectories/{second}/progress"), coach)["reflection"]["text"],
        "Nu durf ik hulp te vragen."
    );
    assert_eq!(
        course_in(&format!("/trajectories/{first}/progress"), emp)["reflection"]["text"],
        "Kleine stappen tellen."
    );

    // The inzage holds both rounds: this one in the list, the first apart, with its trajectory.
    let doc: Value = w.app.get("/me/data", Some(emp)).json().unwrap();
    let earlier = doc["learning_of_earlier_trajectories"].as_array().unwrap();
    assert_eq!(earlier.len(), 1, "{earlier:?}");
    assert_eq!((&earlier[0]["trajectory_id"], &earlier[0]["course"]), (&json!(first), &json!(C1)));
    assert_eq!(earlier[0]["reflection"], "Kleine stappen tellen.");
    let pages = earlier[0]["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["answers"]["answers"][&question], 0);
    let learning = doc["learning"].as_array().unwrap().iter().find(|c| c["slug"] == C1).unwrap();
    assert_eq!(learning["reflection"]["text"], "Nu durf ik hulp te vragen.");
    let wishes: Vec<&Value> =
        doc["talk_wishes_passed_on"].as_array().unwrap().iter().map(|w| &w["trajectory_id"]).collect();
    assert_eq!(wishes, [&json!(first), &json!(second)]);
}

/// Migration 000022 finds the earlier rounds in rows kept before it: a course started before a
/// later trajectory that began (started, or only agreed to) and not touched since moves to the
/// trajectory it was started in (one started before the first trajectory: to the first); one
/// worked on again since stays in the list (taking it out would lose work of the running round).
/// Taken back, the migration puts the rows back in the list.
#[test]
fn the_learning_rounds_migration_moves_earlier_rounds_and_back() {
    use crate::helpers::{inclusion_ok, json_id, Actor};
    use diesel::prelude::*;
    use diesel_migrations::MigrationHarness;
    use wilkan::db::schema::{course_progress as cp, past_course_progress as xc};
    use wilkan::db::DbConnection;
    const C2: &str = "kwaliteiten";
    let w = World::new();
    let m = w.method();
    let (coach, pl) = (Some(w.coach_a.token.as_str()), Some(w.pl_a.token.as_str()));
    let consent = json!({"kind": "method", "given": true});
    let propose = |who: &Actor| -> String {
        let proposal = json!({"employee_id": who.id, "coach_id": w.coach_a.id, "cohort_id": m.cohort,
                              "inclusion": inclusion_ok()});
        let t = json_id(w.app.post("/trajectories", pl, &proposal), 201);
        assert_eq!(w.app.post(&format!("/trajectories/{t}/consents"), Some(&who.token), &consent).status(), 201);
        t
    };
    let start = |t: &str| {
        assert_eq!(w.app.patch(&format!("/trajectories/{t}"), coach, &json!({"status": "active"})).status(), 200);
    };
    let stop = |t: &str| {
        let stop = json!({"status": "stopped", "stop_reason": "other"});
        assert_eq!(w.app.patch(&format!("/trajectories/{t}"), coach, &stop).status(), 200);
    };
    let (a, b) = (&w.employee_a, &w.employee_a2);
    let reflection = json!({"text": "Kleine stappen tellen.", "choice": "none"});
    // Her first trajectory (the fixture's): two courses; her second is started.
    assert_eq!(put(&w, &a.token, &format!("/me/courses/{C1}/reflection"), reflection.clone()).status(), 200);
    let celebration = json!({"text": "Ik heb gewandeld."});
    assert_eq!(put(&w, &a.token, &format!("/me/courses/{C2}/celebration"), celebration).status(), 200);
    stop(&m.trajectory);
    let second_a = propose(a);
    start(&second_a);
    // His first: one course; his second is agreed to, not started.
    let first_b = propose(b);
    start(&first_b);
    assert_eq!(put(&w, &b.token, &format!("/me/courses/{C1}/reflection"), reflection).status(), 200);
    stop(&first_b);
    propose(b);

    let mut conn = w.app.conn();
    let live = |c: &mut DbConnection, who: &Actor| -> Vec<String> {
        cp::table.filter(cp::user_id.eq(&who.id)).select(cp::course_slug).order(cp::course_slug).load(c).unwrap()
    };
    let past = |c: &mut DbConnection, who: &Actor| -> Vec<(String, String)> {
        let rows = xc::table.filter(xc::user_id.eq(&who.id)).select((xc::trajectory_id, xc::course_slug));
        rows.order(xc::course_slug).load(c).unwrap()
    };
    let of = |t: &str, slug: &str| (t.to_string(), slug.to_string());
    let none: Vec<String> = vec![];
    assert_eq!(
        (live(&mut conn, a), past(&mut conn, a)),
        (none.clone(), vec![of(&m.trajectory, C2), of(&m.trajectory, C1)])
    );
    assert_eq!((live(&mut conn, b), past(&mut conn, b)), (none.clone(), vec![of(&first_b, C1)]), "agreed to: begun");

    // Back: all in the lists, as before the migration.
    // The migrations after it are taken back first.
    let mut reverted = Vec::new();
    while !reverted.last().is_some_and(|name: &String| name.ends_with("000022")) {
        reverted.push(match &mut conn {
            DbConnection::Pg(c) => c.revert_last_migration(wilkan::db::PG_MIGRATIONS).unwrap().to_string(),
            DbConnection::Sqlite(c) => c.revert_last_migration(wilkan::db::SQLITE_MIGRATIONS).unwrap().to_string(),
        });
        assert!(reverted.len() < 5, "{reverted:?}");
    }
    assert_eq!((live(&mut conn, a), live(&mut conn, b)), (vec![C2.to_string(), C1.to_string()], vec![C1.to_string()]));
    // As a server before the migration could have left them: her second course worked on again
    // after the second trajectory began (she agreed, and it was not yet started), her first begun
    // before her first trajectory.
    #[allow(clippy::disallowed_methods)] // a fixture: the statement cache does not matter here
    {
        use wilkan::db::schema::{consents, trajectory_events as ev};
        let now = chrono::Utc::now().naive_utc();
        let agreed: chrono::NaiveDateTime = consents::table
            .filter(consents::trajectory_id.eq(&second_a))
            .select(consents::recorded_at)
            .first(&mut conn)
            .unwrap();
        let started: chrono::NaiveDateTime = ev::table
            .filter(ev::trajectory_id.eq(&second_a))
            .filter(ev::to_status.eq("active"))
            .select(ev::at)
            .first(&mut conn)
            .unwrap();
        assert!(agreed < started);
        let hers = cp::table.filter(cp::user_id.eq(&a.id));
        let again = diesel::update(hers.filter(cp::course_slug.eq(C2)))
            .set(cp::updated_at.eq(agreed + (started - agreed) / 2))
            .execute(&mut conn);
        let early = diesel::update(hers.filter(cp::course_slug.eq(C1)))
            .set(cp::started_at.eq(now - chrono::TimeDelta::days(400)))
            .execute(&mut conn);
        assert_eq!((again.unwrap(), early.unwrap()), (1, 1));
    }
    match &mut conn {
        DbConnection::Pg(c) => c.run_pending_migrations(wilkan::db::PG_MIGRATIONS).map(|_| ()).unwrap(),
        DbConnection::Sqlite(c) => c.run_pending_migrations(wilkan::db::SQLITE_MIGRATIONS).map(|_| ()).unwrap(),
    }
    assert_eq!((live(&mut conn, a), past(&mut conn, a)), (vec![C2.to_string()], vec![of(&m.trajectory, C1)]));
    assert_eq!((live(&mut conn, b), past(&mut conn, b)), (none, vec![of(&first_b, C1)]));
    let mine: Value = w.app.get("/me/courses", Some(&a.token)).json().unwrap();
    let status =
        |slug: &str| mine["items"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap()["status"].clone();
    assert_eq!((status(C1), status(C2)), (json!("not_started"), json!("in_progress")));
}
