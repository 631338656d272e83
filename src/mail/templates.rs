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

/// Templates the code sends, with the placeholders it fills in each: start-up fails when one is
/// missing or uses a placeholder the code does not fill (a mail would show "{{link}}").
pub const REQUIRED: [(&str, &[&str]); 11] = [
    ("magic-link", &["first_name", "organization", "link", "minutes"]),
    ("password-link", &["first_name", "organization", "intro", "closing", "link", "hours"]),
    ("group-invitation", &["first_name", "organization", "topic", "when", "place", "facilitator"]),
    ("group-changed", &["first_name", "organization", "topic", "when", "place", "facilitator", "was"]),
    ("group-cancelled", &["first_name", "organization", "topic", "when"]),
    ("card-received", &["first_name", "organization", "author", "message"]),
    ("card-waiting", &["first_name", "organization", "employee", "when", "link"]),
    ("aftercare-due", &["first_name", "organization", "employee", "due", "week", "link"]),
    ("aftercare-overdue", &["first_name", "organization", "employee", "due", "week", "link"]),
    ("buddy-proposed", &["first_name", "organization", "buddy", "link"]),
    ("talk-requested", &["first_name", "organization", "employee", "course", "link"]),
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
        for (key, filled) in REQUIRED {
            let Some(t) = by_key.get(key) else {
                return Err(format!("{}: template {key}.toml is missing", dir.display()));
            };
            let parts = [Some(&t.subject), Some(&t.text), t.html.as_ref()];
            if let Some(name) = parts.into_iter().flatten().flat_map(|p| placeholders(p)).find(|n| !filled.contains(n))
            {
                return Err(format!(
                    "{}: template {key}.toml uses {{{{{name}}}}}, which Wilkan does not fill; it fills {}",
                    dir.display(),
                    filled.join(", ")
                ));
            }
        }
        Ok(Templates { by_key })
    }

    pub fn render(&self, key: &str, vars: &BTreeMap<&str, String>) -> Result<Rendered, String> {
        let t = self.by_key.get(key).ok_or_else(|| format!("no email template '{key}'"))?;
        // Checked at start-up for the templates Wilkan sends; here too, so that a call that leaves
        // one out is refused before anything is queued rather than mailed with "{{link}}" in it.
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
    fn start_up_refuses_a_template_with_a_placeholder_wilkan_does_not_fill() {
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("course-content");
        assert!(Templates::load(&ours).is_ok());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("emails")).unwrap();
        for entry in std::fs::read_dir(ours.join("emails")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join("emails").join(path.file_name().unwrap())).unwrap();
        }
        let card = dir.path().join("emails/card-received.toml");
        let text = std::fs::read_to_string(&card).unwrap().replace("{{author}}", "{{naam}}");
        std::fs::write(&card, text).unwrap();
        let err = Templates::load(dir.path()).unwrap_err();
        assert!(err.contains("card-received.toml uses {{naam}}"), "{err}");
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
