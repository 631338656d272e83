//! Access tokens (JWT, HS256 pinned) and refresh tokens (random, stored only as a hash).

use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::policy::{Caller, Role};

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub org: Option<String>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The refresh-token family this access token belongs to; logout revokes it.
    pub sid: String,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
}

/// Tolerated clock difference between servers, in seconds.
const LEEWAY_SECONDS: u64 = 30;

impl TokenService {
    pub fn new(secret: &str, access_minutes: i64, refresh_days: i64) -> Self {
        super::jwt_hs256::install();
        // Only HS256 is accepted: a token that names another algorithm (or "none") is rejected.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        TokenService {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            access_ttl_seconds: access_minutes * 60,
            refresh_ttl_seconds: refresh_days * 86_400,
        }
    }

    pub fn issue_access(
        &self,
        user_id: &str,
        role: Role,
        org: Option<&str>,
        session_id: &str,
    ) -> Result<String, AppError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            org: org.map(str::to_string),
            exp: now + self.access_ttl_seconds,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session_id.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("jwt encode: {e}")))
    }

    pub fn verify_access(&self, token: &str) -> Result<Caller, AppError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let detail = match e.kind() {
                ErrorKind::ExpiredSignature => "Je sessie is verlopen. Log opnieuw in.",
                _ => "Je inlogcode klopt niet. Log opnieuw in.",
            };
            AppError::Unauthorized(detail.into())
        })?;
        let now = chrono::Utc::now().timestamp();
        if data.claims.iat > now + LEEWAY_SECONDS as i64 {
            return Err(AppError::Unauthorized("Je inlogcode klopt niet. Log opnieuw in.".into()));
        }
        Ok(Caller {
            user_id: data.claims.sub,
            role: data.claims.role,
            organization_id: data.claims.org,
            session_id: data.claims.sid,
            action: String::new(),
            request_id: String::new(),
        })
    }
}

/// 256 random bits, URL-safe: used for refresh tokens, magic links and generated secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored as SHA-256: they are long random values, so no slow hash is needed, and a
/// leaked table cannot be replayed.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
