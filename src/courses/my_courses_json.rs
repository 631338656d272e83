//! The JSON of an employee's course list, written without the derived `Serialize`.
//!
//! The list is about 13 KB of a hundred small page objects. Through the derived `Serialize`,
//! serde_json makes a call per key, quote, colon and comma: 9.4 us per list in a micro-benchmark,
//! on a machine where the whole request took about 60 us of CPU. Here keys and punctuation are
//! byte literals and only the values go through serde_json (so all escaping is still
//! serde_json's): 0.84x instructions per request (callgrind) and 0.91x CPU time. The derived
//! `Serialize` stays the definition of the format and of the OpenAPI schema; the tests below check
//! that both write the same bytes.
//!
//! Most strings here are ids, slugs and hashes with nothing to escape: those, and the three enums,
//! are copied between quotes directly (`http::json_writer`). serde_json's escaping call per string
//! was about 4% of the CPU time of `GET /me/courses` (perf, 23 saved pages), nearly all of it for
//! such strings.

use super::api::{CompletedVia, CourseOrder, CourseStatus, MyCourse, MyCourses, PageState};
use super::content::PageKind;
use crate::error::AppError;
use crate::http::json_writer::{array, field, flag, literal, text, texts};

impl MyCourses<'_> {
    /// The same bytes as `serde_json::to_vec(self)`, in a buffer of about the right size.
    pub fn to_json(&self) -> Result<Vec<u8>, AppError> {
        let mut out = Vec::with_capacity(self.expected_size());
        self.write_json(&mut out).map_err(|e| AppError::internal(format!("serialising courses: {e}")))?;
        Ok(out)
    }

    /// A little over the size of the JSON: its fixed part per course and per page (about 450 and
    /// 110 bytes), the saved texts, and the plan's slugs.
    fn expected_size(&self) -> usize {
        let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
        let plan: usize = self.focus_courses.iter().chain(&self.paper_courses).map(|s| s.len() + 3).sum();
        80 + plan
            + self
                .items
                .iter()
                .map(|c| {
                    let answers: usize = c.pages.iter().filter_map(|p| p.answers.as_ref()).map(|a| a.get().len()).sum();
                    let reflection = c.reflection.as_ref().and_then(|r| r.text.as_ref()).map_or(0, String::len);
                    512 + 128 * c.pages.len() + answers + text(&c.celebration) + reflection
                })
                .sum::<usize>()
    }

    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        literal(out, b"{\"order\":", order(self.order));
        texts(out, b",\"focus_courses\":", &self.focus_courses)?;
        texts(out, b",\"paper_courses\":", &self.paper_courses)?;
        array(out, b",\"items\":", &self.items, write_course)?;
        out.push(b'}');
        Ok(())
    }
}

fn write_course(out: &mut Vec<u8>, c: &MyCourse) -> serde_json::Result<()> {
    text(out, b"{\"slug\":", c.slug)?;
    field(out, b",\"number\":", &c.number)?;
    text(out, b",\"title\":", c.title)?;
    field(out, b",\"minutes\":", &c.minutes)?;
    text(out, b",\"content_hash\":", c.content_hash)?;
    literal(out, b",\"status\":", status(c.status));
    out.extend_from_slice(b",\"completed_at\":");
    crate::http::time::utc_option::serialize(&c.completed_at, &mut serde_json::Serializer::new(&mut *out))?;
    literal(out, b",\"completed_via\":", c.completed_via.map_or(b"null", via));
    text(out, b",\"resume_page_id\":", c.resume_page_id)?;
    texts(out, b",\"new_page_ids\":", &c.new_page_ids)?;
    field(out, b",\"celebration\":", &c.celebration)?;
    field(out, b",\"reflection\":", &c.reflection)?;
    array(out, b",\"pages\":", &c.pages, write_page)?;
    out.push(b'}');
    Ok(())
}

fn write_page(out: &mut Vec<u8>, p: &PageState) -> serde_json::Result<()> {
    text(out, b"{\"page_id\":", p.page_id)?;
    literal(out, b",\"kind\":", kind(p.kind));
    flag(out, b",\"visited\":", p.visited);
    flag(out, b",\"done\":", p.done);
    flag(out, b",\"changed_since_done\":", p.changed_since_done);
    // A raw value: serde_json copies the saved text as it is.
    field(out, b",\"answers\":", &p.answers)?;
    out.push(b'}');
    Ok(())
}

// The enums' serde names (`rename_all = "snake_case"`) as JSON.
fn status(s: CourseStatus) -> &'static [u8] {
    match s {
        CourseStatus::NotStarted => b"\"not_started\"",
        CourseStatus::InProgress => b"\"in_progress\"",
        CourseStatus::Completed => b"\"completed\"",
    }
}

fn order(o: CourseOrder) -> &'static [u8] {
    match o {
        CourseOrder::Plan => b"\"plan\"",
        CourseOrder::Advised => b"\"advised\"",
    }
}

fn via(v: CompletedVia) -> &'static [u8] {
    match v {
        CompletedVia::Online => b"\"online\"",
        CompletedVia::Paper => b"\"paper\"",
    }
}

fn kind(k: PageKind) -> &'static [u8] {
    match k {
        PageKind::Celebration => b"\"celebration\"",
        PageKind::Content => b"\"content\"",
        PageKind::Reflection => b"\"reflection\"",
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::value::RawValue;

    use super::*;
    use crate::courses::api::{CompletedVia, CourseStatus, ReflectionChoice, ReflectionOut};
    use crate::courses::content::PageKind;
    use crate::http::json_writer::strategies::{text, time};

    fn answers() -> impl Strategy<Value = Option<Box<RawValue>>> {
        proptest::option::of(text()).prop_map(|t| {
            t.map(|t| {
                let json = serde_json::json!({"answers": {"q1": 2, "q2": t}, "exercises": {"1": t}});
                RawValue::from_string(json.to_string()).expect("valid JSON")
            })
        })
    }

    fn kind() -> impl Strategy<Value = PageKind> {
        prop_oneof![Just(PageKind::Celebration), Just(PageKind::Content), Just(PageKind::Reflection)]
    }

    fn status() -> impl Strategy<Value = CourseStatus> {
        prop_oneof![Just(CourseStatus::NotStarted), Just(CourseStatus::InProgress), Just(CourseStatus::Completed)]
    }

    #[derive(Debug, Clone)]
    struct Texts {
        slug: String,
        title: String,
        hash: String,
        resume: String,
        new_ids: Vec<String>,
        page_ids: Vec<String>,
    }

    fn texts() -> impl Strategy<Value = Texts> {
        (
            text(),
            text(),
            text(),
            text(),
            proptest::collection::vec(text(), 0..3),
            proptest::collection::vec(text(), 0..4),
        )
            .prop_map(|(slug, title, hash, resume, new_ids, page_ids)| Texts {
                slug,
                title,
                hash,
                resume,
                new_ids,
                page_ids,
            })
    }

    type PageFlags = (PageKind, bool, bool, bool, Option<Box<RawValue>>);
    type CourseFields = (
        u32,
        CourseStatus,
        Option<i64>,
        Option<bool>,
        Option<String>,
        Option<(Option<String>, bool, i64)>,
        Vec<PageFlags>,
    );

    fn course_fields() -> impl Strategy<Value = CourseFields> {
        (
            any::<u32>(),
            status(),
            proptest::option::of(0i64..4_000_000_000),
            proptest::option::of(any::<bool>()),
            proptest::option::of(text()),
            proptest::option::of((proptest::option::of(text()), any::<bool>(), 0i64..4_000_000_000)),
            proptest::collection::vec((kind(), any::<bool>(), any::<bool>(), any::<bool>(), answers()), 0..4),
        )
    }

    fn course<'a>(t: &'a Texts, f: CourseFields) -> MyCourse<'a> {
        let (number, status, completed_at, via, celebration, reflection, pages) = f;
        MyCourse {
            slug: &t.slug,
            number,
            title: &t.title,
            minutes: number / 7,
            content_hash: &t.hash,
            status,
            completed_at: completed_at.map(time),
            completed_via: via.map(|paper| if paper { CompletedVia::Paper } else { CompletedVia::Online }),
            resume_page_id: &t.resume,
            new_page_ids: t.new_ids.iter().map(String::as_str).collect(),
            celebration,
            reflection: reflection.map(|(text, coach, at)| ReflectionOut {
                text,
                choice: if coach { ReflectionChoice::CoachTalk } else { ReflectionChoice::None },
                saved_at: time(at),
            }),
            pages: pages
                .into_iter()
                .zip(t.page_ids.iter().cycle())
                .map(|((kind, visited, done, changed_since_done, answers), id)| PageState {
                    page_id: id,
                    kind,
                    visited,
                    done,
                    changed_since_done,
                    answers,
                })
                .collect(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn writes_the_same_bytes_as_the_derived_serialize(
            texts in proptest::collection::vec(texts(), 0..4),
            fields in proptest::collection::vec(course_fields(), 4),
            plan in any::<bool>(),
            focus_courses in proptest::collection::vec(text(), 0..3),
            paper_courses in proptest::collection::vec(text(), 0..3),
        ) {
            let items = texts.iter().zip(fields).map(|(t, f)| course(t, f)).collect();
            let order = if plan { CourseOrder::Plan } else { CourseOrder::Advised };
            let courses = MyCourses { order, focus_courses, paper_courses, items };
            let derived = serde_json::to_vec(&courses).expect("serialises");
            prop_assert_eq!(String::from_utf8(courses.to_json().expect("writes")).expect("UTF-8"),
                String::from_utf8(derived).expect("UTF-8"));
        }
    }

    #[test]
    fn an_empty_list_is_an_empty_array() {
        let none =
            MyCourses { order: CourseOrder::Advised, focus_courses: vec![], paper_courses: vec![], items: vec![] };
        assert_eq!(
            String::from_utf8(none.to_json().expect("writes")).expect("UTF-8"),
            r#"{"order":"advised","focus_courses":[],"paper_courses":[],"items":[]}"#
        );
    }
}
