//! jsonwebtoken's cryptography for the one algorithm Wilkan signs and accepts: HS256.
//!
//! jsonwebtoken needs a crypto provider; its `rust_crypto` one brings RSA, ECDSA and EdDSA (rsa,
//! p256, p384, ed25519-dalek and their big-number crates), which Wilkan never uses and which were a
//! sizeable part of every clean build. This provider knows HMAC-SHA256 only, from the `hmac` and
//! `sha2` crates Wilkan already uses: a token naming any other algorithm fails here as well as in
//! the `Validation`.

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, Result};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // No JWKs: Wilkan's keys are a shared secret from its configuration.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes HS256 jsonwebtoken's provider for this process (once; later calls do nothing).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if PROVIDER.install_default().is_err() {
            tracing::warn!("a JWT crypto provider was installed before Wilkan's");
        }
    });
}

fn hs256_key(algorithm: &Algorithm, key: &[u8]) -> Result<HmacSha256> {
    if *algorithm != Algorithm::HS256 {
        return Err(Error::from(ErrorKind::InvalidAlgorithm));
    }
    HmacSha256::new_from_slice(key).map_err(|_| Error::from(ErrorKind::InvalidKeyFormat))
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    Ok(Box::new(Hs256(hs256_key(algorithm, key.as_bytes())?)))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(Hs256(hs256_key(algorithm, key.try_get_as_bytes()?)?)))
}

struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        // Constant-time comparison.
        mac.verify_slice(tag).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use crate::accounts::tokens::TokenService;
    use crate::policy::Role;

    const SECRET: &str = "a-test-secret-of-at-least-32-characters";

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn signs_and_verifies_hs256_and_refuses_everything_else() {
        let tokens = TokenService::new(SECRET, 15, 30);
        let token = tokens.issue_access("u1", Role::Coach, Some("o1"), "s1").unwrap();
        assert_eq!(tokens.verify_access(&token).unwrap().user_id, "u1");
        // Another secret, a changed payload, and another algorithm are all refused.
        assert!(TokenService::new("another-secret-of-at-least-32-characters", 15, 30).verify_access(&token).is_err());
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload =
            b64(br#"{"sub":"admin","role":"admin","org":null,"exp":9999999999,"iat":0,"jti":"x","sid":"s"}"#);
        assert!(tokens.verify_access(&format!("{}.{forged_payload}.{}", parts[0], parts[2])).is_err());
        for alg in ["HS384", "RS256", "none"] {
            let header = b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
            assert!(tokens.verify_access(&format!("{header}.{}.{}", parts[1], parts[2])).is_err(), "{alg}");
        }
    }
}
