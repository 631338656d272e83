//! Course content: the types read from `course-content/courses/`, and the rendered form served to
//! front ends. Content is data, loaded and checked at start-up by `loader`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `course.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseFile {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
}

/// One page file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFile {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub text: String,
    /// Shown after the employee picks this option.
    pub feedback: String,
    /// Absent when no answer is right or wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
}

/// A block of a page. Fields marked "set by the server" are filled in at load time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// Opening step of every course: what went well since last time.
    Celebration {
        text: String,
    },
    Text {
        text: String,
    },
    Image {
        src: String,
        alt: String,
        /// Set by the server.
        #[serde(default, skip_deserializing)]
        url: String,
    },
    Video {
        key: String,
        title: String,
        /// Always present: many employees read along or cannot play sound.
        transcript: String,
        /// Set by the server from the configured video base URL.
        #[serde(default, skip_deserializing)]
        url: String,
    },
    Exercise {
        number: u32,
        title: String,
        instructions: String,
        answer_lines: u32,
        /// "Opdracht 3.2": the same label as in the paper map. Set by the server.
        #[serde(default, skip_deserializing)]
        label: String,
    },
    Choice {
        id: String,
        question: String,
        options: Vec<ChoiceOption>,
    },
    OpenQuestion {
        id: String,
        question: String,
    },
    /// A situation video with a choice of reactions.
    Situation {
        id: String,
        video_key: String,
        title: String,
        transcript: String,
        question: String,
        options: Vec<ChoiceOption>,
        /// Set by the server.
        #[serde(default, skip_deserializing)]
        url: String,
    },
    /// Closing step of every course; the choice coach talk / group session / none is the API's.
    Reflection {
        text: String,
    },
}

impl Block {
    /// The block without the address the server sets from its configuration, so that moving the
    /// videos to another host does not make a page look changed.
    pub fn without_address(&self) -> Block {
        let mut block = self.clone();
        if let Block::Image { url, .. } | Block::Video { url, .. } | Block::Situation { url, .. } = &mut block {
            url.clear();
        }
        block
    }

    /// Question id for blocks that take an answer.
    pub fn question_id(&self) -> Option<&str> {
        match self {
            Block::Choice { id, .. } | Block::OpenQuestion { id, .. } | Block::Situation { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Every text a reader sees in this block (for the readability check).
    pub fn visible_texts(&self) -> Vec<&str> {
        match self {
            Block::Celebration { text } | Block::Text { text } | Block::Reflection { text } => vec![text],
            Block::Image { alt, .. } => vec![alt],
            Block::Video { title, transcript, .. } => vec![title, transcript],
            Block::Exercise { title, instructions, .. } => vec![title, instructions],
            Block::OpenQuestion { question, .. } => vec![question],
            Block::Choice { question, options, .. } => {
                let mut v = vec![question.as_str()];
                options.iter().for_each(|o| v.extend([o.text.as_str(), o.feedback.as_str()]));
                v
            }
            Block::Situation { title, transcript, question, options, .. } => {
                let mut v = vec![title.as_str(), transcript.as_str(), question.as_str()];
                options.iter().for_each(|o| v.extend([o.text.as_str(), o.feedback.as_str()]));
                v
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Celebration,
    Content,
    Reflection,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page {
    pub id: String,
    pub title: String,
    pub kind: PageKind,
    /// Changes whenever the page's content changes; progress remembers the hash it was done on.
    /// The configured video and image addresses are not part of it.
    pub content_hash: String,
    pub blocks: Vec<Block>,
    /// The hash as computed before 2026-12-06, with the addresses included: progress saved
    /// before then carries it, and a page saved under it has not changed.
    #[serde(skip)]
    pub hash_with_addresses: String,
    /// Source file, for messages.
    #[serde(skip)]
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Course {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub content_hash: String,
    pub pages: Vec<Page>,
    /// The course folder (images are served from its `images/`).
    #[serde(skip)]
    pub dir: std::path::PathBuf,
    /// For each version of the course recorded, from when it was first served: the pages of this
    /// version it did not have (`progress::load_page_history`; versions that lacked the same
    /// pages are one entry). Empty until loaded.
    #[serde(skip)]
    pub added_since: Vec<(chrono::NaiveDateTime, Vec<String>)>,
}

impl Page {
    /// Whether progress saved with `hash` was saved on the page as it is now.
    pub fn is_current(&self, hash: &str) -> bool {
        hash == self.content_hash || hash == self.hash_with_addresses
    }
}

impl Course {
    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }

    /// The pages added since the version served at `at` (before the first version recorded: since
    /// that one, the oldest known).
    pub fn pages_added_since(&self, at: chrono::NaiveDateTime) -> &[String] {
        let then = self.added_since.iter().rev().find(|(from, _)| *from <= at).or(self.added_since.first());
        then.map_or(&[], |(_, added)| added.as_slice())
    }

    pub fn exercises(&self) -> impl Iterator<Item = (&Page, u32, &str)> {
        self.pages.iter().flat_map(|p| {
            p.blocks.iter().filter_map(move |b| match b {
                Block::Exercise { number, label, .. } => Some((p, *number, label.as_str())),
                _ => None,
            })
        })
    }
}

/// All courses, in advised order (by number).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub courses: Vec<Course>,
}

/// Where a course goes in a plan's order: a course added to the catalogue after the plan was made
/// comes after the planned ones (a stable sort keeps those in advised order). The online list and
/// the paper map both sort by this, so they cannot differ.
pub fn plan_position(order: &[String], slug: &str) -> usize {
    order.iter().position(|s| s == slug).unwrap_or(usize::MAX)
}

impl Catalogue {
    pub fn get(&self, slug: &str) -> Option<&Course> {
        self.courses.iter().find(|c| c.slug == slug)
    }

    pub fn slugs(&self) -> Vec<&str> {
        self.courses.iter().map(|c| c.slug.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::plan_position;

    #[test]
    fn planned_courses_first_then_newer_ones_in_advised_order() {
        let order: Vec<String> = ["c", "a"].map(String::from).to_vec();
        let mut advised = vec!["a", "b", "c", "d"];
        advised.sort_by_key(|slug| plan_position(&order, slug));
        assert_eq!(advised, ["c", "a", "b", "d"]);
    }
}
