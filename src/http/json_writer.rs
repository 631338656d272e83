//! Pieces for writing a large, hot JSON answer by hand: keys and punctuation as byte literals,
//! values through serde_json only where they may need escaping. serde_json checks every byte of
//! every key and string for escapes, one at a time (in a coach's list, 12% of the instructions per
//! request); ids, slugs, enum names and timestamps have nothing to escape. Each writer built on
//! these keeps its type's derived `Serialize` as the definition of the format (and of the OpenAPI
//! schema), and a property test checks that both write the same bytes.

use chrono::NaiveDateTime;
use serde::Serialize;

/// `key` is the literal JSON before the value: separator, quoted name and colon.
pub fn field<T: Serialize + ?Sized>(out: &mut Vec<u8>, key: &[u8], value: &T) -> serde_json::Result<()> {
    out.extend_from_slice(key);
    serde_json::to_writer(&mut *out, value)
}

/// A string: between quotes as it is when it has nothing JSON escapes, else through serde_json.
pub fn text(out: &mut Vec<u8>, key: &[u8], value: &str) -> serde_json::Result<()> {
    // A fold without early exit: the compiler checks 16 bytes per step (0.97x instructions per
    // request of the course list against `any`, which went byte by byte).
    if value.bytes().fold(false, |seen, b| seen | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        return field(out, key, value);
    }
    out.extend_from_slice(key);
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
    Ok(())
}

/// A string or `null`.
pub fn optional_text(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) -> serde_json::Result<()> {
    match value {
        Some(v) => text(out, key, v),
        None => {
            literal(out, key, b"null");
            Ok(())
        }
    }
}

pub fn flag(out: &mut Vec<u8>, key: &[u8], value: bool) {
    literal(out, key, if value { b"true" } else { b"false" });
}

pub fn literal(out: &mut Vec<u8>, key: &[u8], json: &[u8]) {
    out.extend_from_slice(key);
    out.extend_from_slice(json);
}

/// `key`, then `items` as a JSON array, each written by `write`.
pub fn array<T>(
    out: &mut Vec<u8>,
    key: &[u8],
    items: &[T],
    mut write: impl FnMut(&mut Vec<u8>, &T) -> serde_json::Result<()>,
) -> serde_json::Result<()> {
    out.extend_from_slice(key);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item)?;
    }
    out.push(b']');
    Ok(())
}

/// `key`, then `items` as a JSON array of strings.
pub fn texts<S: AsRef<str>>(out: &mut Vec<u8>, key: &[u8], items: &[S]) -> serde_json::Result<()> {
    array(out, key, items, |out, s| text(out, b"", s.as_ref()))
}

/// A timestamp as `crate::http::time::utc` writes it.
pub fn moment(out: &mut Vec<u8>, key: &[u8], value: &NaiveDateTime) -> serde_json::Result<()> {
    out.extend_from_slice(key);
    crate::http::time::utc::serialize(value, &mut serde_json::Serializer::new(&mut *out))
}

/// Values for the property tests that check each writer against its type's derived `Serialize`.
#[cfg(test)]
pub mod strategies {
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    /// Plain ids and slugs, and texts with what must be escaped: quotes, backslashes, control
    /// characters, line breaks, and characters outside ASCII.
    pub fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9-]{0,36}", "\\PC{0,20}", ".*[\"\\\\\n\t\u{1}\u{7f}é€😀].*"]
    }

    /// A moment with a fraction of a second, so that its microseconds are written.
    pub fn time(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(secs, 123_456_000).expect("in range").naive_utc()
    }
}
