//! Login sessions: a refresh-token family per login, rotated on every refresh. Presenting a used
//! token again means it was stolen or replayed, so the whole family is revoked.

use chrono::TimeDelta;

use super::api::TokenResponse;
use super::model::{RefreshToken, User};
use super::queries;
use super::tokens::{hash_token, random_token, TokenService};
use crate::db::{new_id, now, DbConnection};
use crate::error::AppError;

fn expired() -> AppError {
    AppError::Unauthorized("Je sessie is verlopen of afgemeld. Log opnieuw in.".into())
}

/// Starts a new session (family) for `user`.
pub fn start(conn: &mut DbConnection, tokens: &TokenService, user: User) -> Result<TokenResponse, AppError> {
    // The row as it is now, locked as a deactivation or a role change locks it: one that was
    // committed while the password or the link was checked ends this login too, instead of
    // leaving it an access token under the old role.
    queries::lock_user(conn, &user.id)?;
    let changed = || AppError::Unauthorized("Je account is net gewijzigd. Log opnieuw in.".into());
    // Erased meanwhile: the row is gone.
    let current = match queries::find_user(conn, &user.id) {
        Err(AppError::NotFound) => return Err(changed()),
        other => other?,
    };
    if !current.active || current.role != user.role || current.password_hash != user.password_hash {
        return Err(changed());
    }
    issue(conn, tokens, current, new_id())
}

fn issue(
    conn: &mut DbConnection,
    tokens: &TokenService,
    user: User,
    family_id: String,
) -> Result<TokenResponse, AppError> {
    let refresh = random_token();
    let t = now();
    let row = RefreshToken {
        id: new_id(),
        user_id: user.id.clone(),
        family_id: family_id.clone(),
        token_hash: hash_token(&refresh),
        created_at: t,
        expires_at: t + TimeDelta::seconds(tokens.refresh_ttl_seconds),
        used_at: None,
        revoked_at: None,
    };
    queries::insert_refresh_token(conn, &row)?;
    let access = tokens.issue_access(&user.id, user.role(), user.organization_id.as_deref(), &family_id)?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: tokens.access_ttl_seconds,
        refresh_token: refresh,
        refresh_expires_at: row.expires_at,
        user: user.into(),
    })
}

pub enum Refreshed {
    Tokens(Box<TokenResponse>),
    /// A used token came back: the family (this session id) was revoked; the caller commits that
    /// and answers 401.
    ReuseDetected(String),
}

pub fn refresh(conn: &mut DbConnection, tokens: &TokenService, presented: &str) -> Result<Refreshed, AppError> {
    let row = queries::find_refresh_token(conn, &hash_token(presented))?.ok_or_else(expired)?;
    if row.revoked_at.is_some() || row.expires_at <= now() {
        return Err(expired());
    }
    // Logout, a password change, deactivation and erasure take the same lock before they end
    // sessions, so they either see the token this makes or make it fail (PostgreSQL).
    queries::lock_user(conn, &row.user_id)?;
    let user = queries::find_user(conn, &row.user_id)?;
    if !user.active {
        return Err(expired());
    }
    // Used before, or by a request at the same moment (the mark only succeeds once): a copy of
    // the token is in other hands, so the whole session ends. A mark that fails because the
    // session ended meanwhile is no reuse.
    if row.used_at.is_some() || !queries::mark_refresh_used(conn, &row.id)? {
        if queries::find_refresh_token(conn, &row.token_hash)?.is_some_and(|r| r.revoked_at.is_some()) {
            return Err(expired());
        }
        queries::revoke_family(conn, &row.family_id)?;
        tracing::warn!(family = %row.family_id, "refresh token reused; session family revoked");
        return Ok(Refreshed::ReuseDetected(row.family_id));
    }
    Ok(Refreshed::Tokens(Box::new(issue(conn, tokens, user, row.family_id)?)))
}

pub fn expired_error() -> AppError {
    expired()
}
