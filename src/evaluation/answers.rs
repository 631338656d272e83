//! A questionnaire response's answers as the exports hold them: only the items an export can ask
//! for, each under a key shared by the whole export. Held as a map of owned strings, parsing the
//! answers (a string per key) and freeing them again was about a tenth of an export's time.

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::instruments::Instrument;
use crate::error::AppError;

/// The answers of one response, sorted by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers(Vec<(Arc<str>, Value)>);

impl Answers {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &self.0[i].1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The item keys of the questionnaires an export reads: what [`ItemKeys::parse`] keeps.
#[derive(Debug, Clone, Default)]
pub struct ItemKeys(Vec<Arc<str>>);

impl ItemKeys {
    pub fn of<'a>(instruments: impl IntoIterator<Item = &'a Instrument>) -> ItemKeys {
        let mut keys: Vec<Arc<str>> =
            instruments.into_iter().flat_map(|i| i.items.iter().map(|item| Arc::from(item.key.as_str()))).collect();
        keys.sort();
        keys.dedup();
        ItemKeys(keys)
    }

    /// Reads a stored answers object, keeping the known items and skipping the others (an item
    /// of another version of the questionnaire, which no column asks for).
    pub fn parse(&self, json: &str) -> Result<Answers, AppError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let mut answers = Known(&self.0)
            .deserialize(&mut de)
            .and_then(|a| de.end().map(|_| a))
            .map_err(|e| AppError::internal(format!("stored answers: {e}")))?;
        // Stored objects come sorted (serde_json's map is ordered); sort anyway, it is cheap. The
        // sort is stable, so of a key given twice the later value is kept, as a map would keep it.
        answers.sort_by(|a, b| a.0.cmp(&b.0));
        answers.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Ok(Answers(answers))
    }
}

/// The answers object, read against the known keys.
struct Known<'k>(&'k [Arc<str>]);

impl<'de> DeserializeSeed<'de> for Known<'_> {
    type Value = Vec<(Arc<str>, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Known<'_> {
    type Value = Vec<(Arc<str>, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of answers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(self.0.len()).min(self.0.len()));
        while let Some(found) = map.next_key_seed(KeyOf(self.0))? {
            match found {
                Some(i) => out.push((self.0[i].clone(), map.next_value()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key, as its place among the known keys: compared where it lies in the text, not copied.
struct KeyOf<'k>(&'k [Arc<str>]);

impl<'de> DeserializeSeed<'de> for KeyOf<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyOf<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.binary_search_by(|k| (**k).cmp(key)).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(list: &[&str]) -> ItemKeys {
        let mut k: Vec<Arc<str>> = list.iter().map(|s| Arc::from(*s)).collect();
        k.sort();
        ItemKeys(k)
    }

    #[test]
    fn keeps_the_known_items_with_their_values() {
        let k = keys(&["useful", "sex", "sr_plan", "mark"]);
        let a = k
            .parse(r#"{"old_item": {"nested": [1, 2]}, "sex": "other", "sr_plan": true, "useful": 4, "zz": "x"}"#)
            .unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a.get("useful"), Some(&json!(4)));
        assert_eq!(a.get("sex"), Some(&json!("other")));
        assert_eq!(a.get("sr_plan"), Some(&json!(true)));
        assert_eq!(a.get("mark"), None, "not answered");
        assert_eq!(a.get("old_item"), None, "not a known item: skipped");
    }

    #[test]
    fn a_key_given_twice_keeps_its_last_value_as_a_map_would() {
        let k = keys(&["a", "b"]);
        let text = r#"{"a": 1, "b": 2, "a": 3, "a": 4}"#;
        let a = k.parse(text).unwrap();
        let map: std::collections::BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a.get("a"), map.get("a"));
        assert_eq!(a.get("a"), Some(&json!(4)));
        assert_eq!(a.get("b"), Some(&json!(2)));
    }

    #[test]
    fn reads_escaped_keys_and_unsorted_objects() {
        let k = keys(&["a", "b", "c"]);
        let a = k.parse(r#"{"c": 3, "\u0061": 1, "b": null}"#).unwrap();
        assert_eq!(a.get("a"), Some(&json!(1)));
        assert_eq!(a.get("b"), Some(&Value::Null));
        assert_eq!(a.get("c"), Some(&json!(3)));
    }

    #[test]
    fn what_is_not_an_answers_object_is_an_error() {
        let k = keys(&["a"]);
        for bad in ["[1]", "{\"a\": 1", "{\"a\": 1} x", "\"a\""] {
            assert!(k.parse(bad).is_err(), "{bad}");
        }
        assert!(k.parse("{}").unwrap().is_empty());
    }
}
