//! Questionnaire definitions (`course-content/questionnaires/<key>.v<version>.toml`): loading,
//! checking and validating answers. Old versions stay loaded, so that every stored response can
//! be read with the version it answered.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::courses::loader::ContentError;
use crate::error::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Employee,
    Coach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    Baseline,
    End,
    Training,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// 1..points (3 or 5), one label per point.
    Scale,
    /// A report mark 1..10.
    Mark,
    YesNo,
    /// One option key.
    Choice,
    /// A whole number between min and max.
    Number,
    /// Free text. No medical details.
    Open,
}

/// What an item is for beyond its Kirkpatrick level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemUse {
    /// Describes the participants (sex, age): process evaluation only.
    Participants,
    /// A coach's consent to research use of their answers.
    Consent,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub key: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable key; an item asked at the start and at the end has the same key in both.
    pub key: String,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub text: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// For `scale`: 3 or 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// For `scale`: one label per point, low to high.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// For `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<AnswerOption>,
    /// For `number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// For `open`: at most this many characters (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Kirkpatrick level (1-4) whose export shows this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// Asked at the start and at the end: change per person (level 3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paired: bool,
    /// A set of items reported together, e.g. "self_regulation".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The course an item is about (slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub item_use: Option<ItemUse>,
}

fn yes() -> bool {
    true
}

impl Item {
    /// The numeric range of a numeric item (scale, mark, number).
    pub fn range(&self) -> Option<(i64, i64)> {
        match self.item_type {
            ItemType::Scale => Some((1, self.points.unwrap_or(5))),
            ItemType::Mark => Some((1, 10)),
            ItemType::Number => Some((self.min.unwrap_or(0), self.max.unwrap_or(i64::MAX))),
            _ => None,
        }
    }

    /// Checks one answer; `Err` carries a Dutch message for the field.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value;
        match self.item_type {
            ItemType::Scale | ItemType::Mark | ItemType::Number => {
                let (lo, hi) = self.range().unwrap_or((0, 0));
                match value.as_i64() {
                    Some(n) if n >= lo && n <= hi => Ok(()),
                    _ => Err(format!("Kies een heel getal van {lo} tot en met {hi}.")),
                }
            }
            ItemType::YesNo => match value {
                Value::Bool(_) => Ok(()),
                _ => Err("Kies ja (true) of nee (false).".into()),
            },
            ItemType::Choice => match value.as_str() {
                Some(k) if self.options.iter().any(|o| o.key == k) => Ok(()),
                // The employee reads the answers' texts; the program that sends them needs the keys.
                _ => Err(format!(
                    "Kies een van deze antwoorden: {}.",
                    self.options.iter().map(|o| format!("'{}' ({})", o.text, o.key)).collect::<Vec<_>>().join(", ")
                )),
            },
            ItemType::Open => {
                let max = self.max_length.unwrap_or(1000);
                match value.as_str() {
                    Some(s) if s.chars().count() <= max => Ok(()),
                    Some(_) => Err(format!("Gebruik hoogstens {max} tekens.")),
                    None => Err("Schrijf je antwoord als tekst.".into()),
                }
            }
        }
    }

    /// The answer as a number for statistics (yes = 1, no = 0); `None` for choice and open.
    pub fn numeric(&self, value: &serde_json::Value) -> Option<f64> {
        match self.item_type {
            ItemType::YesNo => value.as_bool().map(|b| if b { 1.0 } else { 0.0 }),
            ItemType::Scale | ItemType::Mark | ItemType::Number => value.as_f64(),
            _ => None,
        }
    }

    /// The possible answers for a distribution table (numeric points, yes/no or option keys).
    pub fn categories(&self) -> Vec<String> {
        match self.item_type {
            ItemType::Scale | ItemType::Mark => {
                let (lo, hi) = self.range().unwrap_or((1, 5));
                (lo..=hi).map(|n| n.to_string()).collect()
            }
            ItemType::YesNo => vec!["yes".into(), "no".into()],
            ItemType::Choice => self.options.iter().map(|o| o.key.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// The value a category stands for in the item's mean (yes 1, no 0, a scale point itself);
    /// `None` for an option, which has no mean.
    pub fn category_value(&self, category: &str) -> Option<f64> {
        match self.item_type {
            ItemType::Scale | ItemType::Mark => category.parse().ok(),
            ItemType::YesNo => Some(if category == "yes" { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// The category an answer falls in (see `categories`).
    pub fn category_of(&self, value: &serde_json::Value) -> Option<String> {
        match self.item_type {
            ItemType::Scale | ItemType::Mark => value.as_i64().map(|n| n.to_string()),
            ItemType::YesNo => value.as_bool().map(|b| if b { "yes".into() } else { "no".into() }),
            ItemType::Choice => value.as_str().map(str::to_string),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub key: String,
    pub version: i32,
    pub title: String,
    pub audience: Audience,
    pub moment: Moment,
    pub intro: String,
    pub items: Vec<Item>,
}

impl Instrument {
    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.key == key)
    }

    /// Checks a set of answers: unknown items and invalid values are errors; with `complete`,
    /// so is a required item left open.
    pub fn check_answers(&self, answers: &BTreeMap<String, serde_json::Value>, complete: bool) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for (key, value) in answers {
            let field = format!("answers.{key}");
            match self.item(key) {
                None => {
                    errors.entry(field).or_default().push("Deze vraag staat niet in de vragenlijst.".into());
                }
                Some(_) if value.is_null() => {}
                Some(item) => {
                    if let Err(msg) = item.check(value) {
                        errors.entry(field).or_default().push(msg);
                    }
                }
            }
        }
        if complete {
            for item in self.items.iter().filter(|i| i.required) {
                if answers.get(&item.key).is_none_or(|v| v.is_null()) {
                    errors
                        .entry(format!("answers.{}", item.key))
                        .or_default()
                        .push("Deze vraag is nog niet beantwoord.".into());
                }
            }
        }
        errors
    }
}

/// Every loaded version of every instrument.
#[derive(Debug, Clone, Default)]
pub struct Instruments {
    all: Vec<Instrument>,
}

impl Instruments {
    /// The newest version of each instrument, by key.
    pub fn current(&self) -> Vec<&Instrument> {
        let mut keys: Vec<&str> = self.all.iter().map(|i| i.key.as_str()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.latest(k)).collect()
    }

    pub fn latest(&self, key: &str) -> Option<&Instrument> {
        self.all.iter().filter(|i| i.key == key).max_by_key(|i| i.version)
    }

    pub fn version(&self, key: &str, version: i32) -> Option<&Instrument> {
        self.all.iter().find(|i| i.key == key && i.version == version)
    }

    /// The newest instrument for an audience and moment (e.g. the employees' baseline).
    pub fn for_moment(&self, audience: Audience, moment: Moment) -> Option<&Instrument> {
        self.all.iter().filter(|i| i.audience == audience && i.moment == moment).max_by_key(|i| i.version)
    }

    pub fn all(&self) -> &[Instrument] {
        &self.all
    }
}

/// Loads `<content_dir>/questionnaires/*.toml` and checks every file; all problems at once.
pub fn load(content_dir: &Path, course_slugs: &[String]) -> Result<Instruments, Vec<ContentError>> {
    let root = content_dir.join("questionnaires");
    let mut files: Vec<_> = match std::fs::read_dir(&root) {
        Ok(rd) => {
            rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        }
        Err(e) => return Err(vec![err(&root.display().to_string(), 0, format!("cannot read: {e}"))]),
    };
    files.sort();
    let mut errors = Vec::new();
    let mut all: Vec<Instrument> = Vec::new();
    for path in files {
        let name = format!("questionnaires/{}", path.file_name().unwrap_or_default().to_string_lossy());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(err(&name, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        match toml::from_str::<Instrument>(&text) {
            Ok(inst) => {
                let expected = format!("{}.v{}.toml", inst.key, inst.version);
                if !name.ends_with(&expected) {
                    errors.push(err(&name, 1, format!("file name must be {expected}")));
                }
                errors.extend(check(&inst, course_slugs).into_iter().map(|(key, m)| {
                    let line = text.lines().position(|l| l.contains(&format!("\"{key}\""))).map_or(1, |i| i + 1);
                    err(&name, line, m)
                }));
                if all.iter().any(|i| i.key == inst.key && i.version == inst.version) {
                    errors.push(err(&name, 1, "this key and version exist twice".into()));
                }
                all.push(inst);
            }
            Err(e) => {
                let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                errors.push(err(&name, line, e.message().to_string()));
            }
        }
    }
    let instruments = Instruments { all };
    for a in &instruments.all {
        // A paired item must mean the same at the start and at the end.
        if a.moment != Moment::End {
            continue;
        }
        let Some(base) = instruments.for_moment(a.audience, Moment::Baseline) else { continue };
        for item in a.items.iter().filter(|i| i.paired) {
            match base.item(&item.key) {
                Some(b) if b.item_type == item.item_type && b.range() == item.range() => {}
                _ => errors.push(err(
                    &format!("questionnaires/{}.v{}.toml", a.key, a.version),
                    1,
                    format!("paired item '{}' needs the same key and type in {}", item.key, base.key),
                )),
            }
        }
    }
    if errors.is_empty() {
        Ok(instruments)
    } else {
        Err(errors)
    }
}

fn err(file: &str, line: usize, message: String) -> ContentError {
    ContentError { file: file.to_string(), line, message }
}

/// Problems of one instrument as (item key or field, message).
fn check(inst: &Instrument, course_slugs: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    if inst.version < 1 {
        out.push(("version".into(), "version must be 1 or more".into()));
    }
    if inst.items.is_empty() {
        out.push(("items".into(), "an instrument needs items".into()));
    }
    for item in &inst.items {
        let k = item.key.clone();
        let mut bad = |m: String| out.push((k.clone(), m));
        if !seen.insert(item.key.clone()) {
            bad(format!("item key '{}' is used twice", item.key));
        }
        if item.key.is_empty() || !item.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            bad(format!("item key '{}': use lowercase letters, digits and '_'", item.key));
        }
        match item.item_type {
            ItemType::Scale => {
                if !matches!(item.points, Some(3) | Some(5)) {
                    bad(format!("item '{}': a scale has points = 3 or 5", item.key));
                } else if item.labels.len() as i64 != item.points.unwrap_or(0) {
                    bad(format!("item '{}': give one label per point", item.key));
                }
            }
            ItemType::Choice if item.options.len() < 2 => {
                bad(format!("item '{}': a choice needs at least two options", item.key));
            }
            ItemType::Number if item.min.is_none() || item.max.is_none() || item.min > item.max => {
                bad(format!("item '{}': a number needs min <= max", item.key));
            }
            _ => {}
        }
        if item.level.is_some_and(|l| !(1..=4).contains(&l)) {
            bad(format!("item '{}': level is 1, 2, 3 or 4", item.key));
        }
        if let Some(c) = &item.course {
            if !course_slugs.contains(c) {
                bad(format!("item '{}': unknown course '{c}'", item.key));
            }
        }
        if item.item_use == Some(ItemUse::Consent) && item.item_type != ItemType::YesNo {
            bad(format!("item '{}': a consent item is yes_no", item.key));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Instruments {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("course-content");
        let slugs: Vec<String> = [
            "uitgangspunten-en-misverstanden",
            "kwaliteiten",
            "doelen-en-plannen-maken",
            "hulp-vragen",
            "invloed",
            "meningen-van-anderen",
            "aan-het-werk-en-nu",
        ]
        .map(String::from)
        .to_vec();
        load(&dir, &slugs).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_shipped_instruments_load_and_pair_up() {
        let all = content();
        let base = all.for_moment(Audience::Employee, Moment::Baseline).unwrap();
        let end = all.for_moment(Audience::Employee, Moment::End).unwrap();
        let paired: Vec<_> = end.items.iter().filter(|i| i.paired).map(|i| &i.key).collect();
        assert!(paired.len() >= 10, "{paired:?}");
        assert_eq!(base.items.iter().filter(|i| i.group.as_deref() == Some("self_regulation")).count(), 7);
        assert!(all.for_moment(Audience::Coach, Moment::Training).is_some());
    }

    #[test]
    fn answers_are_checked_per_item_type() {
        let all = content();
        let end = all.latest("employee-end").unwrap();
        let mut a = BTreeMap::new();
        a.insert("useful".to_string(), serde_json::json!(6));
        a.insert("sr_plan".to_string(), serde_json::json!("ja"));
        a.insert("paper_map".to_string(), serde_json::json!("sometimes"));
        a.insert("mark_programme".to_string(), serde_json::json!(10));
        a.insert("nonsense".to_string(), serde_json::json!(1));
        let e = end.check_answers(&a, false);
        let keys: Vec<_> = e.keys().map(String::as_str).collect();
        assert_eq!(keys, ["answers.nonsense", "answers.paper_map", "answers.sr_plan", "answers.useful"]);
        // Completing needs every required item.
        let e = end.check_answers(&BTreeMap::new(), true);
        assert!(e.contains_key("answers.confidence_return"));
        assert!(!e.contains_key("answers.learned"), "open items are optional");
    }
}

#[cfg(test)]
mod broken {
    use super::*;

    #[test]
    fn problems_are_named_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("questionnaires")).unwrap();
        std::fs::write(
            dir.path().join("questionnaires/x.v1.toml"),
            "key = \"x\"\nversion = 1\ntitle = \"X\"\naudience = \"employee\"\nmoment = \"baseline\"\nintro = \"\"\n\n\
             [[items]]\nkey = \"a\"\ntype = \"scale\"\npoints = 4\nlabels = []\ntext = \"?\"\n\n\
             [[items]]\nkey = \"b\"\ntype = \"choice\"\ntext = \"?\"\ncourse = \"nope\"\n",
        )
        .unwrap();
        let errors = load(dir.path(), &[]).unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| format!("{}:{}: {}", e.file, e.line, e.message)).collect();
        assert!(
            shown.contains(&"questionnaires/x.v1.toml:9: item 'a': a scale has points = 3 or 5".to_string()),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|e| e.contains("x.v1.toml:16: item 'b': a choice needs at least two options")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|e| e.contains("unknown course 'nope'")), "{shown:?}");
    }
}
