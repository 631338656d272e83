//! Links to choose a password: the invitation of a new staff account, and a forgotten password.
//! Nobody chooses a password for someone else: a project leader who did could log in as the
//! coach and read what a project leader may not. The link goes to the account's own address.

use std::collections::BTreeMap;

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::TimeDelta;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::api::TokenResponse;
use super::magic_routes::Accepted;
use super::model::User;
use super::tokens::{hash_token, random_token};
use super::{password, queries, sessions, throttle};
use crate::db::reuse::update;
use crate::db::schema::password_links;
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::mail::outbox::{self, Mail};
use crate::policy::Role;
use crate::AppState;

/// How long a link works: an invitation may wait over a weekend.
pub const VALID_HOURS: i64 = 72;
/// Requests for one account per window; more are answered 202 but send nothing.
const PER_ACCOUNT: throttle::Limits = throttle::Limits { max_failures: 3, window: TimeDelta::hours(1) };
/// Requests per client per window before 429.
const PER_ADDRESS: throttle::Limits = throttle::Limits { max_failures: 20, window: TimeDelta::minutes(15) };

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLinkRequest {
    #[validate(length(min = 1, max = 254, message = "Vul je e-mailadres in."))]
    pub email: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoosePassword {
    /// The code from the email's link.
    #[validate(length(min = 1, max = 200, message = "De code uit de e-mail ontbreekt."))]
    pub token: String,
    #[validate(length(min = 10, max = 1024, message = "Kies een wachtwoord van minstens 10 tekens."))]
    pub password: String,
}

/// Why the link is sent.
#[derive(Clone, Copy)]
pub enum Why {
    /// A new account.
    Invitation,
    /// The person asked for it.
    Forgotten,
    /// An admin gave the account a new address, and its password went with the old one.
    AddressChanged,
}

/// Creates a link for `user` and queues its mail, in the caller's transaction. An earlier link
/// that was not used stops working: only the newest mail holds a working link.
pub fn send(c: &mut DbConnection, state: &AppState, user: &User, why: Why) -> Result<(), AppError> {
    // The person's row first, as a redeem and an address change take it: in the other order a
    // request and a redeem at the same moment could wait for each other.
    queries::lock_user(c, &user.id)?;
    drop_unused(c, &user.id)?;
    let token = random_token();
    let t = now();
    let expires = t + TimeDelta::hours(VALID_HOURS);
    diesel::insert_into(password_links::table)
        .values((
            password_links::id.eq(new_id()),
            password_links::user_id.eq(&user.id),
            password_links::token_hash.eq(hash_token(&token)),
            password_links::created_at.eq(t),
            password_links::expires_at.eq(expires),
        ))
        .execute(c)?;
    let organization = queries::sender_name(c, user)?;
    // A new account's owner asked for nothing and has no old password: "not asked? do nothing"
    // would tell them to ignore their invitation.
    let (intro, closing) = match why {
        Why::Invitation => (
            "Er is een account voor je gemaakt bij Wilkan. Kies eerst een wachtwoord.",
            "Vragen over dit account? Stel ze aan wie het voor je heeft gemaakt.",
        ),
        Why::AddressChanged => (
            "Je e-mailadres bij Wilkan is veranderd. Daarom werkt je oude wachtwoord niet meer. Kies een nieuw wachtwoord.",
            "Vragen hierover? Stel ze aan de beheerder van Wilkan in je organisatie.",
        ),
        Why::Forgotten => (
            "Je hebt gevraagd om een nieuw wachtwoord voor Wilkan.",
            "Heb je hier niet om gevraagd? Dan hoef je niets te doen. Je oude wachtwoord blijft werken.",
        ),
    };
    let vars = BTreeMap::from([
        ("first_name", user.first_name.clone()),
        ("organization", organization),
        ("intro", intro.to_string()),
        ("closing", closing.to_string()),
        ("link", crate::mail::links::choose_password(&state.config.public_url, &token)),
        ("hours", VALID_HOURS.to_string()),
    ]);
    outbox::queue(
        c,
        &state.templates,
        Mail {
            template: "password-link",
            to: &user.email,
            vars,
            about: None,
            not_before: None,
            send_before: Some(expires),
        },
    )?;
    Ok(())
}

/// Takes back the links of `user_id` not used yet (an address corrected, a newer link sent).
pub fn drop_unused(c: &mut DbConnection, user_id: &str) -> Result<usize, AppError> {
    let unused = password_links::user_id.eq(user_id).and(password_links::used_at.is_null());
    Ok(diesel::delete(password_links::table.filter(unused)).execute(c)?)
}

/// Ask for a link to choose a new password (a forgotten one). Public; for staff (employees log in
/// with a login link); 202 whether the address is known or not, so addresses cannot be probed
/// (429 when one client asks too often), no sooner than 100 ms after the request either way.
#[utoipa::path(tag = "auth", request_body = PasswordLinkRequest, responses((status = 202, body = Accepted)))]
#[post("/auth/password-link")]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<PasswordLinkRequest>,
) -> Result<HttpResponse, AppError> {
    let started = std::time::Instant::now();
    let email = body.0.email;
    let ip = state.config.trusted_proxies.client_address(&req);
    let st = state.clone();
    db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "password_link.requested"), move |c, audit| {
        throttle::count_attempt(c, &format!("password-{}", throttle::address_key(&ip)), &PER_ADDRESS)?;
        // A blocked account gets the same 202 as any other, and no link.
        match throttle::count_attempt(c, &format!("password-{}", throttle::account_key(&email)), &PER_ACCOUNT) {
            Err(AppError::TooManyRequests { .. }) => return Ok(()),
            other => other?,
        };
        let Some(user) = queries::find_user_by_email(c, &email)?.filter(|u| u.active && u.role() != Role::Employee)
        else {
            return Ok(());
        };
        audit.about_user(&user.id, user.organization_id.as_deref());
        send(c, &st, &user, Why::Forgotten)
    })
    .await?;
    super::pace::no_sooner_than(started).await;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: "Als dit e-mailadres van een coach, projectleider, onderzoeker of beheerder bij ons bekend is, \
                 krijg je binnen een paar minuten een e-mail met een link om een nieuw wachtwoord te kiezen."
            .into(),
    }))
}

/// Choose a password with the code from the email, and log in. Public. A link works once, for
/// 72 hours; every earlier session of the account ends.
#[utoipa::path(tag = "auth", request_body = ChoosePassword, responses((status = 200, body = TokenResponse)))]
#[post("/auth/password-link/redeem")]
pub async fn redeem(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<ChoosePassword>,
) -> Result<HttpResponse, AppError> {
    let ChoosePassword { token, password: chosen } = body.0;
    let hash = hash_token(&token);
    // The link first (cheap), the password's hash only for a link that can be used.
    let h = hash.clone();
    let link = db::read(&state.pool, move |c| usable(c, &h)).await?;
    let new_hash = password::off_thread(move || password::hash(&chosen)).await??;
    let st = state.clone();
    let (tokens, ended) =
        db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "password_link.used"), move |c, audit| {
            // The person's row first, as an address change takes it (then the link's).
            queries::lock_user(c, &link.1)?;
            // Once: of two requests with the same link at the same moment, one finds it used.
            let unused = password_links::id.eq(&link.0).and(password_links::used_at.is_null());
            if update(password_links::table, password_links::used_at.eq(Some(now())), unused).execute(c)? == 0 {
                return Err(used());
            }
            let user = queries::find_user(c, &link.1)?;
            if !user.active || user.role() == Role::Employee {
                return Err(AppError::Unauthorized(
                    "Met dit account kun je geen wachtwoord kiezen. Vraag je beheerder om hulp.".into(),
                ));
            }
            audit.actor_id = Some(user.id.clone());
            audit.actor_role = Some(user.role.clone());
            audit.organization_id = user.organization_id.clone();
            queries::update_user(
                c,
                &user.id,
                queries::UserChanges { password_hash: Some(Some(new_hash)), ..Default::default() },
            )?;
            // A password chosen anew: whoever knew the old one is out.
            let ended = queries::revoke_all_for_user(c, &user.id)?;
            // Also the block of the desk they locked themselves out at.
            throttle::clear_account(c, &user.email)?;
            let user = queries::find_user(c, &user.id)?;
            Ok((sessions::start(c, &st.tokens, user)?, ended))
        })
        .await?;
    state.revocations.add(ended);
    Ok(HttpResponse::Ok().json(tokens))
}

fn used() -> AppError {
    AppError::Unauthorized("Deze link is al gebruikt. Een link werkt maar één keer. Vraag een nieuwe link aan.".into())
}

/// The link of `hash` if it can still be used: (id, user id).
fn usable(c: &mut DbConnection, hash: &str) -> Result<(String, String), AppError> {
    let link: Option<(String, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = password_links::table
        .filter(password_links::token_hash.eq(hash))
        .select((password_links::id, password_links::user_id, password_links::expires_at, password_links::used_at))
        .first(c)
        .optional()?;
    let (id, user_id, expires_at, used_at) =
        link.ok_or_else(|| AppError::Unauthorized("Deze link kennen we niet. Vraag een nieuwe link aan.".into()))?;
    if used_at.is_some() {
        return Err(used());
    }
    if expires_at <= now() {
        return Err(AppError::Unauthorized(format!(
            "Deze link is verlopen: hij werkt {VALID_HOURS} uur. Vraag een nieuwe link aan."
        )));
    }
    Ok((id, user_id))
}
