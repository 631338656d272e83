//! Loads `course-content/courses/` and checks it. Every problem is reported with its file and
//! line, all at once, so a writer can fix a whole folder in one go.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::content::{Block, Catalogue, Course, CourseFile, Page, PageFile, PageKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Settings that shape the served form of the content.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub video_base_url: String,
    /// Prefix of image URLs, e.g. "/api/v1/courses".
    pub image_base_path: String,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { video_base_url: "https://video.wilkan.nl".into(), image_base_path: "/api/v1/courses".into() }
    }
}

struct Source {
    display: String,
    text: String,
}

impl Source {
    fn read(path: &Path, root: &Path) -> Result<Source, ContentError> {
        let display = path.strip_prefix(root).unwrap_or(path).display().to_string();
        std::fs::read_to_string(path).map(|text| Source { display: display.clone(), text }).map_err(|e| ContentError {
            file: display,
            line: 0,
            message: format!("cannot read: {e}"),
        })
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ContentError {
        ContentError { file: self.display.clone(), line, message: message.into() }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ContentError> {
        toml::from_str(&self.text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(&self.text, s.start));
            self.err(line, e.message().to_string())
        })
    }

    /// Line of the `index`-th `[[blocks]]` header (for messages about a block).
    fn block_line(&self, index: usize) -> usize {
        self.text.lines().enumerate().filter(|(_, l)| l.trim() == "[[blocks]]").nth(index).map_or(1, |(i, _)| i + 1)
    }

    /// Line where `key = ` is first set (for messages about a top-level field).
    fn key_line(&self, key: &str) -> usize {
        self.text.lines().position(|l| l.trim_start().starts_with(key) && l.contains('=')).map_or(1, |i| i + 1)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= 80 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads every course under `<content_dir>/courses`.
pub fn load(content_dir: &Path, options: &LoadOptions) -> Result<Catalogue, Vec<ContentError>> {
    let root = content_dir.join("courses");
    let mut errors = Vec::new();
    let mut courses = Vec::new();
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect(),
        Err(e) => {
            return Err(vec![ContentError {
                file: root.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            }])
        }
    };
    dirs.sort();
    for dir in dirs {
        match load_course(&dir, content_dir, options) {
            Ok(course) => courses.push(course),
            Err(mut e) => errors.append(&mut e),
        }
    }
    courses.sort_by_key(|c| c.number);
    let mut seen_slugs = HashSet::new();
    let mut seen_numbers = HashSet::new();
    for c in &courses {
        // The course's own file and line, whatever its folder is called (it loaded, so it reads).
        let at = |key: &str| match Source::read(&c.dir.join("course.toml"), content_dir) {
            Ok(src) => (src.display.clone(), src.key_line(key)),
            Err(e) => (e.file, 0),
        };
        if !seen_slugs.insert(c.slug.clone()) {
            let (file, line) = at("slug");
            errors.push(ContentError { file, line, message: format!("slug '{}' is used by two courses", c.slug) });
        }
        if !seen_numbers.insert(c.number) {
            let (file, line) = at("number");
            errors.push(ContentError { file, line, message: format!("number {} is used by two courses", c.number) });
        }
    }
    if courses.is_empty() && errors.is_empty() {
        errors.push(ContentError { file: root.display().to_string(), line: 0, message: "no courses found".into() });
    }
    if errors.is_empty() {
        Ok(Catalogue { courses })
    } else {
        Err(errors)
    }
}

fn load_course(dir: &Path, root: &Path, options: &LoadOptions) -> Result<Course, Vec<ContentError>> {
    let meta_src = Source::read(&dir.join("course.toml"), root).map_err(|e| vec![e])?;
    let meta: CourseFile = meta_src.parse().map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if !is_slug(&meta.slug) {
        errors.push(meta_src.err(meta_src.key_line("slug"), "slug: use lowercase letters, digits and '-'"));
    }
    if !(1..=99).contains(&meta.number) {
        errors.push(meta_src.err(meta_src.key_line("number"), "number: use 1 to 99"));
    }
    if !(5..=90).contains(&meta.minutes) {
        errors.push(meta_src.err(meta_src.key_line("minutes"), "minutes: use 5 to 90"));
    }
    for (key, value) in [("title", &meta.title), ("summary", &meta.summary)] {
        if value.trim().is_empty() {
            errors.push(meta_src.err(meta_src.key_line(key), format!("{key} is empty")));
        }
    }

    let mut files: Vec<PathBuf> = Vec::new();
    for path in std::fs::read_dir(dir).map_err(|e| vec![meta_src.err(0, e.to_string())])?.filter_map(|e| e.ok()) {
        let path = path.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name == "course.toml" || (name == "images" && path.is_dir()) || name.starts_with('.') {
            continue;
        }
        // Pages are read in the order of their names, so every name starts with two digits (a
        // `10-` would come before a `9-`); any other file would be left out online and on paper.
        let numbered = name.len() > 2 && name.as_bytes()[..2].iter().all(u8::is_ascii_digit);
        if numbered && name.ends_with(".toml") && path.is_file() {
            files.push(path);
        } else {
            let display = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            errors.push(ContentError {
                file: display,
                line: 0,
                message: "not a page: a course folder holds course.toml, pages named like 01-welkom.toml, \
                          and images/"
                    .into(),
            });
        }
    }
    files.sort();

    let mut pages = Vec::new();
    let mut sources = Vec::new();
    for path in &files {
        let src = match Source::read(path, root) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match src.parse::<PageFile>() {
            Ok(page) => {
                pages.push(page);
                sources.push(src);
            }
            Err(e) => errors.push(e),
        }
    }
    if files.is_empty() {
        errors.push(meta_src.err(1, "the course has no pages"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut check = CourseCheck::default();
    let last = pages.len() - 1;
    let mut built = Vec::new();
    for (i, (mut page, src)) in pages.into_iter().zip(&sources).enumerate() {
        check.page(&mut page, src, i == 0, i == last, meta.number, &meta.slug, dir, options, &mut errors);
        let kind = if i == 0 {
            PageKind::Celebration
        } else if i == last {
            PageKind::Reflection
        } else {
            PageKind::Content
        };
        let hash_of =
            |blocks: &[Block]| sha256_hex(&serde_json::to_vec(&(&page.id, &page.title, blocks)).unwrap_or_default());
        let without_addresses: Vec<Block> = page.blocks.iter().map(Block::without_address).collect();
        built.push(Page {
            content_hash: hash_of(&without_addresses),
            hash_with_addresses: hash_of(&page.blocks),
            id: page.id,
            title: page.title,
            kind,
            blocks: page.blocks,
            file: src.display.clone(),
        });
    }
    check.finish(&meta_src, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let course_hash_input = serde_json::to_vec(&(
        &meta.slug,
        meta.number,
        &meta.title,
        &meta.summary,
        meta.minutes,
        built.iter().map(|p| p.content_hash.as_str()).collect::<Vec<_>>(),
    ))
    .unwrap_or_default();
    Ok(Course {
        content_hash: sha256_hex(&course_hash_input),
        slug: meta.slug,
        number: meta.number,
        title: meta.title,
        summary: meta.summary,
        minutes: meta.minutes,
        pages: built,
        dir: dir.to_path_buf(),
        added_since: Vec::new(),
    })
}

#[derive(Default)]
struct CourseCheck {
    page_ids: HashSet<String>,
    question_ids: HashSet<String>,
    next_exercise: u32,
    choices: usize,
    videos: usize,
}

impl CourseCheck {
    #[allow(clippy::too_many_arguments)]
    fn page(
        &mut self,
        page: &mut PageFile,
        src: &Source,
        first: bool,
        last: bool,
        course_number: u32,
        slug: &str,
        dir: &Path,
        options: &LoadOptions,
        errors: &mut Vec<ContentError>,
    ) {
        if !is_slug(&page.id) {
            errors.push(src.err(src.key_line("id"), "id: use lowercase letters, digits and '-'"));
        } else if !self.page_ids.insert(page.id.clone()) {
            errors.push(src.err(src.key_line("id"), format!("page id '{}' is used twice in this course", page.id)));
        }
        if page.title.trim().is_empty() {
            errors.push(src.err(src.key_line("title"), "title is empty"));
        }
        if page.blocks.is_empty() {
            errors.push(src.err(1, "the page has no blocks"));
        }
        let has = |f: fn(&Block) -> bool| page.blocks.iter().any(f);
        if first && !has(|b| matches!(b, Block::Celebration { .. })) {
            errors.push(src.err(1, "the first page of a course needs a celebration block"));
        }
        if last && !has(|b| matches!(b, Block::Reflection { .. })) {
            errors.push(src.err(1, "the last page of a course needs a reflection block"));
        }
        for (i, block) in page.blocks.iter_mut().enumerate() {
            let line = src.block_line(i);
            let mut fail = |msg: String| errors.push(src.err(line, msg));
            if block.visible_texts().iter().any(|t| t.trim().is_empty()) {
                fail("a text of this block is empty".into());
            }
            if let Some(id) = block.question_id() {
                if !is_slug(id) {
                    fail("id: use lowercase letters, digits and '-'".into());
                } else if !self.question_ids.insert(id.to_string()) {
                    fail(format!("question id '{id}' is used twice in this course"));
                }
            }
            match block {
                Block::Celebration { .. } if !first => {
                    fail("a celebration block belongs on the first page only".into())
                }
                Block::Reflection { .. } if !last => fail("a reflection block belongs on the last page only".into()),
                Block::Image { src: file, url, .. } => {
                    if file.contains('/') || file.contains("..") || !dir.join("images").join(&*file).is_file() {
                        fail(format!("image '{file}' is not a file in this course's images/ folder"));
                    }
                    *url = format!("{}/{slug}/images/{file}", options.image_base_path);
                }
                Block::Video { key, url, .. } => {
                    self.videos += 1;
                    check_key(key, &mut fail);
                    *url = format!("{}/{key}.mp4", options.video_base_url);
                }
                Block::Situation { video_key, url, options: choices, .. } => {
                    self.videos += 1;
                    check_key(video_key, &mut fail);
                    check_options(choices, &mut fail);
                    *url = format!("{}/{video_key}.mp4", options.video_base_url);
                }
                Block::Choice { options: choices, .. } => {
                    self.choices += 1;
                    check_options(choices, &mut fail);
                }
                Block::Exercise { number, answer_lines, label, .. } => {
                    self.next_exercise += 1;
                    if *number != self.next_exercise {
                        fail(format!(
                            "exercise number {number}: expected {} (numbers run 1, 2, 3 ... in page order)",
                            self.next_exercise
                        ));
                    }
                    if !(1..=20).contains(answer_lines) {
                        fail("answer_lines: use 1 to 20".into());
                    }
                    *label = format!("Opdracht {course_number}.{number}");
                }
                _ => {}
            }
        }
    }

    fn finish(&self, meta: &Source, errors: &mut Vec<ContentError>) {
        if self.next_exercise == 0 {
            errors.push(meta.err(1, "the course needs at least one exercise"));
        }
        if self.choices == 0 {
            errors.push(meta.err(1, "the course needs at least one choice question"));
        }
        if self.videos == 0 {
            errors.push(meta.err(1, "the course needs at least one video with a transcript"));
        }
    }
}

fn check_key(key: &str, fail: &mut impl FnMut(String)) {
    if !is_slug(key) {
        fail("video key: use lowercase letters, digits and '-'".into());
    }
}

fn check_options(options: &[super::content::ChoiceOption], fail: &mut impl FnMut(String)) {
    if options.len() < 2 {
        fail("a choice needs at least two options".into());
    }
    if options.iter().any(|o| o.text.trim().is_empty() || o.feedback.trim().is_empty()) {
        fail("every option needs a text and its own feedback".into());
    }
}

/// For `wilkan import-content`: loads a folder (courses, questionnaires, mails) and formats the
/// result.
pub fn check_folder(dir: &Path) -> Result<String, String> {
    match load(dir, &LoadOptions::default()) {
        Ok(cat) => {
            let mut out = String::new();
            for c in &cat.courses {
                out.push_str(&format!(
                    "ok  {:>2} {:<36} {:>2} pages, {} exercises, {} min, hash {}\n",
                    c.number,
                    c.slug,
                    c.pages.len(),
                    c.exercises().count(),
                    c.minutes,
                    &c.content_hash[..12]
                ));
            }
            let slugs: Vec<String> = cat.courses.iter().map(|c| c.slug.clone()).collect();
            let instruments = crate::evaluation::instruments::load(dir, &slugs)
                .map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))?;
            for i in instruments.all() {
                out.push_str(&format!("ok  questionnaire {} v{}, {} items\n", i.key, i.version, i.items.len()));
            }
            // The mails live beside the courses: a broken one would stop the server at start-up.
            if dir.join("emails").is_dir() {
                crate::mail::templates::Templates::load(dir)?;
                out.push_str("ok  emails\n");
            }
            Ok(out)
        }
        Err(errors) => Err(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")),
    }
}
