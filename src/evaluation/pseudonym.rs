//! Pseudonyms for exports: HMAC-SHA256 of the id under a key made from the installation's
//! pseudonym secret (not the JWT secret, which may be replaced after a leak) and the export key.
//! The same export key gives the same pseudonyms in every export (so that exports can be
//! linked); without the key they cannot be traced back to a person.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Pseudonyms {
    key: Vec<u8>,
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("any key length"));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

impl Pseudonyms {
    pub fn new(pseudonym_secret: &str, export_key: &str) -> Pseudonyms {
        Pseudonyms { key: mac(pseudonym_secret.as_bytes(), &[b"wilkan export pseudonyms\0", export_key.as_bytes()]) }
    }

    /// Pseudonyms of a project leader's export of their own organisation: never the same as a
    /// researcher's under the same key. A project leader knows their people and could otherwise
    /// learn who is behind a pseudonym there and find them again in research data.
    pub fn operational(pseudonym_secret: &str, export_key: &str) -> Pseudonyms {
        let domain = [b"wilkan operational export\0".as_slice(), export_key.as_bytes()].concat();
        Pseudonyms { key: mac(pseudonym_secret.as_bytes(), &[b"wilkan export pseudonyms\0", &domain]) }
    }

    /// `prefix` tells kinds apart: "P" for employees, "C" for coaches.
    pub fn of(&self, prefix: &str, id: &str) -> String {
        let digest = mac(&self.key, &[prefix.as_bytes(), b"\0", id.as_bytes()]);
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{prefix}-{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_key_and_different_across_keys() {
        let a = Pseudonyms::new("secret", "study-2026");
        let b = Pseudonyms::new("secret", "study-2026");
        let c = Pseudonyms::new("secret", "other");
        assert_eq!(a.of("P", "u1"), b.of("P", "u1"));
        assert_ne!(a.of("P", "u1"), c.of("P", "u1"));
        assert_ne!(a.of("P", "u1"), a.of("P", "u2"));
        assert_eq!(a.of("P", "u1").len(), 14);
        let own = Pseudonyms::operational("secret", "study-2026");
        assert_eq!(own.of("P", "u1"), Pseudonyms::operational("secret", "study-2026").of("P", "u1"));
        assert_ne!(own.of("P", "u1"), a.of("P", "u1"), "operational exports cannot be linked to research ones");
    }
}
