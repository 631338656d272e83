//! Email templates from `course-content/emails/`: plain Dutch, a text part always, HTML optional,
//! placeholders written `{{name}}`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Templates the code sends; start-up fails when one is missing.
pub const REQUIRED: [&str; 10] = [
    "magic-link",
    "password-link",
    "group-invitation",
    "group-changed",
    "group-cancelled",
    "card-received",
    "aftercare-due",
    "aftercare-overdue",
    "buddy-proposed",
    "talk-requested",
];

#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_key: HashMap<String, Template>,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Replaces `{{name}}` in one pass, so a value that itself contains `{{...}}` stays as written.
fn fill(text: &str, vars: &BTreeMap<&str, String>, escape: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").map(|end| (&after[..end], end)) {
            Some((name, end)) if vars.contains_key(name) => {
                let v = &vars[name];
                if escape {
                    out.push_str(&v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
                } else {
                    out.push_str(v);
                }
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names of the `{{name}}` placeholders in `text` (lower-case letters and `_`).
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split("{{").skip(1).filter_map(|after| {
        let name = &after[..after.find("}}")?];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')).then_some(name)
    })
}

impl Templates {
    pub fn load(content_dir: &Path) -> Result<Templates, String> {
        let dir = content_dir.join("emails");
        let mut by_key = HashMap::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let t: Template = toml::from_str(&text).map_err(|e| {
                let line = e.span().map_or(1, |s| text[..s.start].matches('\n').count() + 1);
                format!("{}:{line}: {}", path.display(), e.message())
            })?;
            if !(t.subject.contains("{{organization}}") || t.text.contains("{{organization}}")) {
                return Err(format!(
                    "{}: the template must name the organisation ({{{{organization}}}})",
                    path.display()
                ));
            }
            let key = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            by_key.insert(key, t);
        }
        for key in REQUIRED {
            if !by_key.contains_key(key) {
                return Err(format!("{}: template {key}.toml is missing", dir.display()));
            }
        }
        Ok(Templates { by_key })
    }

    pub fn render(&self, key: &str, vars: &BTreeMap<&str, String>) -> Result<Rendered, String> {
        let t = self.by_key.get(key).ok_or_else(|| format!("no email template '{key}'"))?;
        // A placeholder the code does not fill would reach the reader as "{{link}}": a bug, refused
        // before anything is queued.
        let parts = [Some(&t.subject), Some(&t.text), t.html.as_ref()];
        if let Some(name) = parts.into_iter().flatten().flat_map(|p| placeholders(p)).find(|n| !vars.contains_key(n)) {
            return Err(format!("email template '{key}' has {{{{{name}}}}}, which the code does not fill"));
        }
        Ok(Rendered {
            subject: fill(&t.subject, vars, false),
            text: fill(&t.text, vars, false),
            html: t.html.as_ref().map(|h| fill(h, vars, true)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_once_and_escapes_html() {
        let vars = BTreeMap::from([("author", "Kees".to_string()), ("message", "Hoi {{author}} <b>".to_string())]);
        assert_eq!(fill("{{author}}: {{message}} {{unknown}}", &vars, false), "Kees: Hoi {{author}} <b> {{unknown}}");
        assert_eq!(fill("{{message}}", &vars, true), "Hoi {{author}} &lt;b&gt;");
    }

    #[test]
    fn a_placeholder_left_unfilled_is_refused() {
        let text = "Hoi {{first_name}}, {{ geen }} {{link}} {{";
        assert_eq!(placeholders(text).collect::<Vec<_>>(), ["first_name", "link"]);
        let template = Template { subject: "Over {{organization}}".into(), text: text.into(), html: None };
        let templates = Templates { by_key: HashMap::from([("t".to_string(), template)]) };
        let mut vars = BTreeMap::from([("first_name", "Kees".to_string()), ("organization", "Noord".to_string())]);
        let err = templates.render("t", &vars).err().unwrap();
        assert!(err.contains("{{link}}"), "{err}");
        vars.insert("link", "https://wilkan.test".into());
        assert_eq!(templates.render("t", &vars).unwrap().text, "Hoi Kees, {{ geen }} https://wilkan.test {{");
    }
}
