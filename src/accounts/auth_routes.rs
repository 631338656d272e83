//! Login, token refresh, logout, password change and `/me`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};

use super::api::{ChangePasswordRequest, LoginRequest, MeOut, RefreshRequest, TokenResponse};
use super::sessions::{self, Refreshed};
use super::{password, queries, throttle};
use crate::db;
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::policy::Caller;
use crate::AppState;

fn wrong_credentials() -> AppError {
    AppError::Unauthorized(
        "Je e-mailadres of wachtwoord klopt niet. Probeer het opnieuw. Lukt het niet? Vraag je beheerder om hulp."
            .into(),
    )
}

/// Log in with email and password. Public. Repeated failures for one account from one client,
/// for one client, or for one account from anywhere (a higher limit) are answered more slowly
/// and then with 429.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses((status = 200, body = TokenResponse)))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let LoginRequest { email, password: given } = body.0;
    let ip = state.config.trusted_proxies.client_address(&req);
    let (account_key, address_key) = (throttle::account_from_key(&email, &ip), throttle::address_key(&ip));
    let anywhere_key = throttle::account_key(&email);

    // The attempt counts as a failure before the password is checked, and a right password takes
    // it back: guesses sent at the same moment cannot all pass the check before one is counted.
    let (k1, k2, k3) = (account_key.clone(), address_key.clone(), anywhere_key.clone());
    let delay = db::write_bookkeeping(&state.pool, move |c| {
        let a = throttle::count_attempt(c, &k1, &throttle::PER_ACCOUNT)?;
        let b = throttle::count_attempt(c, &k2, &throttle::PER_ADDRESS)?;
        let d = throttle::count_attempt(c, &k3, &throttle::PER_ACCOUNT_ANYWHERE)?;
        Ok(a.max(b).max(d))
    })
    .await?;
    let user = db::read(&state.pool, move |c| queries::find_user_by_email(c, &email)).await?;

    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::off_thread(move || password::verify(&given, stored.as_deref())).await?;

    match user {
        Some(user) if ok && user.active => {
            let st = state.clone();
            let mut audit = crate::http::auth::anonymous_audit(&req, "login.succeeded");
            audit.actor_id = Some(user.id.clone());
            audit.actor_role = Some(user.role.clone());
            audit.organization_id = user.organization_id.clone();
            let tokens = db::tx(&state.pool, audit, move |c, _| {
                throttle::clear(c, &account_key)?;
                throttle::take_back(c, &address_key)?;
                throttle::take_back(c, &anywhere_key)?;
                sessions::start(c, &st.tokens, user)
            })
            .await?;
            tracing::info!(user_id = %tokens.user.id, "login");
            Ok(HttpResponse::Ok().json(tokens))
        }
        other => {
            let mut audit = crate::http::auth::anonymous_audit(&req, "login.failed");
            if let Some(u) = &other {
                audit.about(&u.id);
                audit.organization_id = u.organization_id.clone();
            }
            db::tx(&state.pool, audit, |_, _| Ok(())).await?;
            tracing::info!("failed login");
            actix_web::rt::time::sleep(delay).await;
            Err(wrong_credentials())
        }
    }
}

/// Trade a refresh token for new tokens. Public. The presented token is used up; presenting it
/// again revokes the whole session.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 200, body = TokenResponse)))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let presented = body.0.refresh_token;
    // The revocation on reuse must be committed, so the transaction succeeds and we answer 401 after.
    let audit = crate::http::auth::anonymous_audit(&req, "token.refreshed");
    let refreshed = db::tx(&state.pool, audit, move |c, audit| {
        let out = sessions::refresh(c, &st.tokens, &presented)?;
        match &out {
            Refreshed::Tokens(t) => audit.actor_id = Some(t.user.id.clone()),
            Refreshed::ReuseDetected(_) => audit.action = "token.reuse_detected".into(),
        }
        Ok(out)
    })
    .await?;
    match refreshed {
        Refreshed::Tokens(tokens) => Ok(HttpResponse::Ok().json(tokens)),
        Refreshed::ReuseDetected(session) => {
            state.revocations.add(vec![session]);
            Err(sessions::expired_error())
        }
    }
}

/// End the current session: its refresh and access tokens stop working at once. Any logged-in user.
#[utoipa::path(tag = "auth", responses((status = 204)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let session = caller.session_id.clone();
    db::tx(&state.pool, caller.audit(), move |c, _| {
        // As a refresh takes it: a refresh at the same moment cannot hand out a token after this.
        queries::lock_user(c, &caller.user_id)?;
        queries::revoke_family(c, &caller.session_id)
    })
    .await?;
    state.revocations.add(vec![session]);
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account and organisation. Any logged-in user.
#[utoipa::path(tag = "auth", responses((status = 200, body = MeOut)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, _| {
        let user = queries::find_user(c, &caller.user_id)?;
        let organization = match &user.organization_id {
            Some(id) => Some(queries::find_organization(c, id)?.into()),
            None => None,
        };
        Ok(MeOut { user: user.into(), organization })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Change your own password. Any logged-in user with a password. Every session of the account
/// ends (all refresh tokens are revoked).
#[utoipa::path(tag = "auth", request_body = ChangePasswordRequest, responses((status = 204)), security(("bearer" = [])))]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<ChangePasswordRequest>,
) -> Result<HttpResponse, AppError> {
    let ChangePasswordRequest { current_password, new_password } = body.0;
    let id = caller.user_id.clone();
    let user = db::read(&state.pool, move |c| queries::find_user(c, &id)).await?;
    // Guesses of the current password are counted (a stolen session must not become a stolen
    // password), before the check as a login counts them. On a key of their own: failed logins
    // by others must not use them up, nor may a typo here lock the account's logins.
    let change_key = throttle::password_change_key(&user.email);
    let key = change_key.clone();
    let delay =
        db::write_bookkeeping(&state.pool, move |c| throttle::count_attempt(c, &key, &throttle::PER_PASSWORD_CHANGE))
            .await?;
    let stored = user.password_hash.clone();
    let right = password::off_thread(move || password::verify(&current_password, stored.as_deref())).await?;
    if !right {
        actix_web::rt::time::sleep(delay).await;
        return Err(AppError::field("current_password", "Je huidige wachtwoord klopt niet."));
    }
    let new_hash = password::off_thread(move || password::hash(&new_password)).await??;
    let ended = db::tx(&state.pool, caller.audit(), move |c, _| {
        queries::lock_user(c, &user.id)?;
        throttle::clear(c, &change_key)?;
        queries::update_user(
            c,
            &user.id,
            queries::UserChanges { password_hash: Some(Some(new_hash)), ..Default::default() },
        )?;
        // A link to choose a password still in the mailbox would undo this one.
        super::password_links::drop_unused(c, &user.id)?;
        queries::revoke_all_for_user(c, &user.id)
    })
    .await?;
    state.revocations.add(ended);
    Ok(HttpResponse::NoContent().finish())
}
