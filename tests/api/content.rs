//! The content loader: real content loads; broken content is reported with file and line; every
//! page is readable enough.

use std::path::Path;

use wilkan::courses::loader::{load, LoadOptions};
use wilkan::courses::readability;

fn content_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/course-content"))
}

#[test]
fn every_page_scores_at_least_65_on_flesch_douma() {
    let catalogue = load(content_dir(), &LoadOptions::default()).expect("content loads");
    let mut failures = Vec::new();
    println!("{:<36} {:>6} {:>8} {:>7}", "course", "score", "words/s", "words");
    for course in &catalogue.courses {
        let (mut words, mut sentences, mut syllables) = (0, 0, 0);
        for page in &course.pages {
            let s = readability::score(&readability::page_text(page));
            if s.flesch_douma < 65.0 {
                failures.push(format!("{}: {:.1}", page.file, s.flesch_douma));
            }
            words += s.words;
            sentences += s.sentences;
            syllables += s.syllables;
        }
        let score =
            206.84 - 0.77 * (100.0 * syllables as f64 / words as f64) - 0.93 * (words as f64 / sentences as f64);
        println!("{:<36} {:>6.1} {:>8.1} {:>7}", course.slug, score, words as f64 / sentences as f64, words);
    }
    assert!(failures.is_empty(), "pages under 65:\n{}", failures.join("\n"));
}

#[test]
fn the_seven_courses_have_what_the_method_needs() {
    let catalogue = load(content_dir(), &LoadOptions::default()).unwrap();
    let slugs: Vec<&str> = catalogue.slugs();
    assert_eq!(
        slugs,
        [
            "uitgangspunten-en-misverstanden",
            "kwaliteiten",
            "doelen-en-plannen-maken",
            "hulp-vragen",
            "invloed",
            "meningen-van-anderen",
            "aan-het-werk-en-nu"
        ]
    );
    let situations = catalogue
        .get("meningen-van-anderen")
        .unwrap()
        .pages
        .iter()
        .flat_map(|p| &p.blocks)
        .filter(|b| matches!(b, wilkan::courses::content::Block::Situation { .. }))
        .count();
    assert!(situations >= 3, "course 6 has situation videos with reactions");
    for course in &catalogue.courses {
        assert!((20..=30).contains(&course.minutes), "{} takes 20-30 minutes", course.slug);
        let words: usize = course.pages.iter().map(|p| readability::score(&readability::page_text(p)).words).sum();
        assert!(words >= 1200, "{} has real content ({words} words)", course.slug);
        // The catalogue's summary is what an employee reads to choose: CONTENT.md's short sentences.
        for sentence in course.summary.split_inclusive(['.', '!', '?']) {
            let n = sentence.split_whitespace().count();
            assert!(n <= 12, "{}'s summary has a sentence of {n} words: {sentence}", course.slug);
        }
        // Employee texts avoid jargon, the catalogue's title and summary too.
        for (file, text) in course
            .pages
            .iter()
            .map(|p| (p.file.clone(), readability::page_text(p)))
            .chain([(format!("{}/course.toml", course.slug), format!("{}\n{}", course.title, course.summary))])
        {
            assert_eq!(jargon(&text), None, "{file}");
        }
    }
    // Whatever the punctuation around it.
    for text in ["IGM-scan gedaan.", "Het model (IGM) helpt.", "IGM.", "Je zelfregulerende kracht", "Self-efficacy"] {
        assert!(jargon(text).is_some(), "{text}");
    }
    assert_eq!(jargon("Zeg wat je wil. Vraag hulp."), None);
}

/// The first jargon word in `text` (CONTENT.md: no 'self-efficacy', 'zelfregulering', 'IGM' in
/// employee texts), matched by word, not by the spaces around it.
fn jargon(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if lower.contains("integratief gedragsmodel") {
        return Some("integratief gedragsmodel".into());
    }
    lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| *w == "igm" || w.starts_with("zelfregul") || *w == "efficacy")
        .map(str::to_string)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const COURSE: &str = "slug = \"proef\"\nnumber = 1\ntitle = \"Proef\"\nsummary = \"Een proef.\"\nminutes = 20\n";

#[test]
fn broken_content_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "courses/01-proef/course.toml", COURSE);
    // Syntax error on line 3.
    write(
        root,
        "courses/01-proef/01-welkom.toml",
        "id = \"welkom\"\ntitle = \"Welkom\"\n[[blocks]\ntype = \"celebration\"\n",
    );
    let errors = load(root, &LoadOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].file.as_str(), errors[0].line), ("courses/01-proef/01-welkom.toml", 3), "{:?}", errors[0]);

    // Semantic errors: numbering gap (line of the block), unknown field, missing reflection.
    write(root, "courses/01-proef/01-welkom.toml", "id = \"welkom\"\ntitle = \"Welkom\"\n\n[[blocks]]\ntype = \"celebration\"\ntext = \"Wat ging goed?\"\n\n[[blocks]]\ntype = \"exercise\"\nnumber = 2\ntitle = \"Doen\"\ninstructions = \"Schrijf.\"\nanswer_lines = 3\n");
    write(
        root,
        "courses/01-proef/02-einde.toml",
        "id = \"einde\"\ntitle = \"Einde\"\n\n[[blocks]]\ntype = \"text\"\ntext = \"Klaar.\"\ncolour = \"rood\"\n",
    );
    let errors = load(root, &LoadOptions::default()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        shown.iter().any(|e| e.starts_with("courses/01-proef/02-einde.toml:") && e.contains("colour")),
        "{shown:?}"
    );

    write(
        root,
        "courses/01-proef/02-einde.toml",
        "id = \"einde\"\ntitle = \"Einde\"\n\n[[blocks]]\ntype = \"text\"\ntext = \"Klaar.\"\n",
    );
    let errors = load(root, &LoadOptions::default()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        shown.contains(
            &"courses/01-proef/01-welkom.toml:8: exercise number 2: expected 1 (numbers run 1, 2, 3 ... in page order)"
                .to_string()
        ),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|e| e.contains("02-einde.toml:1: the last page of a course needs a reflection block")),
        "{shown:?}"
    );
    assert!(shown.iter().any(|e| e.contains("needs at least one choice question")), "{shown:?}");

    // The command line reports the same, and exits non-zero.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .args(["import-content", "--check"])
        .arg(root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("01-welkom.toml:8"), "{stderr}");
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .args(["import-content", "--check"])
        .arg(content_dir())
        .output()
        .unwrap();
    assert!(ok.status.success());
    let report = String::from_utf8_lossy(&ok.stdout).to_string();
    assert_eq!(report.lines().count(), 7 + 3 + 1, "{report}");
    assert!(report.contains("questionnaire employee-baseline v1") && report.contains("ok  emails"), "{report}");
    // A mail with a placeholder nobody fills would stop the server at start-up: the check says so.
    let broken = tempfile::tempdir().unwrap();
    crate::courses::copy_dir(content_dir(), broken.path());
    let card = broken.path().join("emails/card-received.toml");
    std::fs::write(&card, std::fs::read_to_string(&card).unwrap().replacen("{{first_name}}", "{{naam}}", 1)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wilkan"))
        .args(["import-content", "--check"])
        .arg(broken.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("card-received"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A file in a course folder that is not a page would be left out online and on paper alike:
/// refused, as is a page whose name does not start with two digits (pages go by name). Two
/// courses with one slug are reported in the file that says so, at its line.
#[test]
fn stray_files_and_duplicate_slugs_are_reported_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crate::courses::copy_dir(content_dir(), root);
    let first = "courses/01-uitgangspunten-en-misverstanden";
    write(root, &format!("{first}/05-extra.md"), "Een pagina in het verkeerde formaat.\n");
    write(root, &format!("{first}/9-los.toml"), "id = \"los\"\ntitle = \"Los\"\n");
    write(root, &format!("{first}/.gitkeep"), "");
    let errors = load(root, &LoadOptions::default()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    for stray in ["05-extra.md", "9-los.toml"] {
        assert!(shown.iter().any(|e| e.contains(&format!("{first}/{stray}")) && e.contains("not a page")), "{shown:?}");
    }
    assert!(!shown.iter().any(|e| e.contains(".gitkeep")), "hidden files are left alone: {shown:?}");
    assert_eq!(errors.len(), 2, "{shown:?}");
    for stray in ["05-extra.md", "9-los.toml"] {
        std::fs::remove_file(root.join(first).join(stray)).unwrap();
    }
    let second = root.join("courses/02-kwaliteiten/course.toml");
    let text = std::fs::read_to_string(&second).unwrap();
    let slug_line = text.lines().position(|l| l.starts_with("slug")).unwrap() + 1;
    let first_slug = std::fs::read_to_string(root.join(first).join("course.toml")).unwrap();
    let first_slug = first_slug.lines().find(|l| l.starts_with("slug")).unwrap().to_string();
    let changed: Vec<&str> =
        text.lines().map(|l| if l.starts_with("slug") { first_slug.as_str() } else { l }).collect();
    std::fs::write(&second, changed.join("\n") + "\n").unwrap();
    let errors = load(root, &LoadOptions::default()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let duplicate = format!("courses/02-kwaliteiten/course.toml:{slug_line}: slug");
    assert!(shown.iter().any(|e| e.starts_with(&duplicate) && e.contains("two courses")), "{shown:?}");
}

#[test]
fn the_pdf_map_has_the_online_exercise_order_and_page_numbers() {
    use wilkan::courses::{map, map_pdf, FONT_BOLD, FONT_REGULAR};
    let catalogue = load(content_dir(), &LoadOptions::default()).unwrap();
    let courses: Vec<_> = catalogue.courses.iter().collect();
    let doc = map::build(&courses, "test");
    let layout = map_pdf::layout(&doc, FONT_REGULAR, FONT_BOLD).unwrap();
    let online: Vec<String> =
        catalogue.courses.iter().flat_map(|c| c.exercises().map(|(_, _, l)| l.to_string())).collect();
    let printed: Vec<String> = layout.exercise_pages.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(printed, online);
    let sections: Vec<&str> = layout.section_pages.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sections, catalogue.slugs());
    assert!(layout.section_pages.windows(2).all(|w| w[0].1 < w[1].1), "each course starts on a later page");
    assert!(layout.exercise_pages.windows(2).all(|w| w[0].1 <= w[1].1));
    println!("full map: {} pages", layout.pages);
}

#[test]
fn moving_the_videos_to_another_host_changes_no_page() {
    let here = load(content_dir(), &LoadOptions::default()).unwrap();
    let moved = LoadOptions { video_base_url: "https://media.example.org/wilkan".into(), ..LoadOptions::default() };
    let there = load(content_dir(), &moved).unwrap();
    let mut media_pages = 0;
    for (a, b) in here.courses.iter().zip(&there.courses) {
        assert_eq!(a.content_hash, b.content_hash, "course {}", a.slug);
        for (p, q) in a.pages.iter().zip(&b.pages) {
            assert_eq!(p.content_hash, q.content_hash, "page {}/{}", a.slug, p.id);
            if p.hash_with_addresses != q.hash_with_addresses {
                media_pages += 1;
                // Progress saved before the addresses left the hash is still current.
                assert!(q.is_current(&q.hash_with_addresses) && q.is_current(&p.content_hash));
                assert!(!q.is_current(&p.hash_with_addresses), "an old hash under another host is not current");
            }
        }
    }
    assert!(media_pages >= 7, "every course has a video page; {media_pages} differed");
}
