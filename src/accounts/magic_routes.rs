//! Login by a one-time link in an email: no password to remember (many employees have low
//! digital skills). The answer is always 202, so addresses cannot be probed.
//!
//! For employees only (API.md): staff accounts reach many people's data or all organisations'
//! exports, and a link would make their mailbox alone enough to get in.

use std::collections::BTreeMap;

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::TimeDelta;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::api::TokenResponse;
use super::tokens::{hash_token, random_token};
use super::{queries, sessions, throttle};
use crate::db::reuse::update;
use crate::db::schema::magic_links;
use crate::db::{self, new_id, now};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::mail::outbox::{self, Mail};
use crate::policy::Role;
use crate::AppState;

/// How long a link works.
pub const VALID_MINUTES: i64 = 15;
/// Login links one employee gets in a day at most, asked from every client together.
pub const LINKS_PER_DAY: i64 = 30;
/// Links for one account asked from one place (an IPv4 address or an IPv6 /48, one home) in a
/// day: a stranger who types an employee's address from one place uses up this share, not the
/// day's, so the employee still gets links from home. Above it, and above the limits below, a
/// request is answered 202 but sends nothing. Blocked for a day from the last one counted.
pub const PER_CLIENT_DAY: throttle::Limits = throttle::Limits { max_failures: 10, window: TimeDelta::days(1) };
/// Links for one account asked from one client per window.
pub const PER_CLIENT: throttle::Limits = throttle::Limits { max_failures: 3, window: TimeDelta::minutes(15) };
/// Links for one account per window from any client: higher than [`PER_CLIENT`], for the same
/// reason; it bounds the mail that many clients together can have sent.
pub const PER_ACCOUNT_ANYWHERE: throttle::Limits =
    throttle::Limits { max_failures: 10, window: TimeDelta::minutes(15) };
/// Requests per address per window before 429.
const PER_ADDRESS: throttle::Limits = throttle::Limits { max_failures: 20, window: TimeDelta::minutes(15) };

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    #[validate(length(min = 1, max = 254, message = "Vul je e-mailadres in."))]
    pub email: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    #[validate(length(min = 1, max = 200, message = "De code uit de e-mail ontbreekt."))]
    pub token: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Accepted {
    /// Always the same Dutch sentence, whether the address exists or not.
    pub detail: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = magic_links)]
struct LinkRow {
    id: String,
    user_id: String,
    expires_at: chrono::NaiveDateTime,
    used_at: Option<chrono::NaiveDateTime>,
}

/// Ask for a login link by email; links go to employees only (staff log in with a password).
/// Public; always 202 (429 when one address asks too often), known address or not, and no sooner
/// than 100 ms after the request (a known address's link would otherwise answer a little later).
#[utoipa::path(tag = "auth", request_body = MagicLinkRequest, responses((status = 202, body = Accepted)))]
#[post("/auth/magic-link")]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<MagicLinkRequest>,
) -> Result<HttpResponse, AppError> {
    let started = std::time::Instant::now();
    let email = body.0.email;
    let ip = state.config.trusted_proxies.client_address(&req);
    let st = state.clone();
    db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "magic_link.requested"), move |c, audit| {
        let address_key = format!("magic-{}", throttle::address_key(&ip));
        throttle::count_attempt(c, &address_key, &PER_ADDRESS)?;
        // A blocked account gets the same 202 as any other, and no link. The client's own limits
        // come first, and a request refused by any limit counts towards none of them: a flood
        // from elsewhere must not use up the share of the employee who asks meanwhile from home.
        let per_client = throttle::account_from_site_key(&email, &ip);
        let keys = [
            (format!("{per_client}|magic"), &PER_CLIENT),
            (format!("{per_client}|magic-day"), &PER_CLIENT_DAY),
            (format!("magic-{}", throttle::account_key(&email)), &PER_ACCOUNT_ANYWHERE),
        ];
        for (n, (key, limits)) in keys.iter().enumerate() {
            match throttle::count_attempt(c, key, limits) {
                Err(AppError::TooManyRequests { .. }) => return take_back(c, &keys[..n]),
                other => other?,
            };
        }
        let Some(user) = queries::find_user_by_email(c, &email)?.filter(|u| u.active && u.role() == Role::Employee)
        else {
            return Ok(());
        };
        audit.about_user(&user.id, user.organization_id.as_deref());
        let t = now();
        let expires = t + TimeDelta::minutes(VALID_MINUTES);
        // Ten a quarter of an hour from many clients would still be 960 unasked mails a day to
        // someone on sick leave: after a day's share, the same 202 and no mail.
        let today: i64 = magic_links::table
            .filter(magic_links::user_id.eq(&user.id))
            .filter(magic_links::created_at.gt(t - TimeDelta::days(1)))
            .count()
            .get_result(c)?;
        if today >= LINKS_PER_DAY {
            return take_back(c, &keys);
        }
        let token = random_token();
        diesel::insert_into(magic_links::table)
            .values((
                magic_links::id.eq(new_id()),
                magic_links::user_id.eq(&user.id),
                magic_links::token_hash.eq(hash_token(&token)),
                magic_links::created_at.eq(t),
                magic_links::expires_at.eq(expires),
            ))
            .execute(c)?;
        let organization = queries::sender_name(c, &user)?;
        let vars = BTreeMap::from([
            ("first_name", user.first_name.clone()),
            ("organization", organization),
            ("link", crate::mail::links::login(&st.config.public_url, &token)),
            ("minutes", VALID_MINUTES.to_string()),
        ]);
        outbox::queue(
            c,
            &st.templates,
            Mail {
                template: "magic-link",
                to: &user.email,
                vars,
                about: None,
                not_before: None,
                send_before: Some(expires),
            },
        )?;
        Ok(())
    })
    .await?;
    super::pace::no_sooner_than(started).await;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: "Als dit e-mailadres van een medewerker bij ons bekend is, krijg je binnen een paar minuten een \
                 e-mail met een inloglink. Geen e-mail gekregen? Kijk dan ook in de map Spam of Ongewenste \
                 e-mail. Nog steeds niets? Probeer het later opnieuw, of vraag je coach of je e-mailadres goed \
                 in Wilkan staat. Begeleiders en beheerders loggen in met hun wachtwoord."
            .into(),
    }))
}

/// Takes back the counts of a request that a later limit refused (see [`request`]).
fn take_back(c: &mut db::DbConnection, counted: &[(String, &throttle::Limits)]) -> Result<(), AppError> {
    counted.iter().try_for_each(|(key, _)| throttle::take_back(c, key))
}

/// Trade the code from the email for tokens. Public. A link works once, for 15 minutes.
#[utoipa::path(tag = "auth", request_body = RedeemRequest, responses((status = 200, body = TokenResponse)))]
#[post("/auth/magic-link/redeem")]
pub async fn redeem(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RedeemRequest>,
) -> Result<HttpResponse, AppError> {
    let hash = hash_token(&body.0.token);
    let st = state.clone();
    let tokens = db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "login.magic_link"), move |c, audit| {
        let link: Option<LinkRow> = magic_links::table
            .filter(magic_links::token_hash.eq(&hash))
            .select(LinkRow::as_select())
            .first(c)
            .optional()?;
        let link = link.ok_or_else(|| {
            AppError::Unauthorized("Deze inloglink kennen we niet. Vraag een nieuwe inloglink aan.".into())
        })?;
        // The person's row before the link's, as an address change takes them: two that take
        // them in opposite orders can wait for each other for ever (PostgreSQL ends one).
        queries::lock_user(c, &link.user_id)?;
        if link.used_at.is_some() {
            return Err(AppError::Unauthorized(
                "Deze inloglink is al gebruikt. Een link werkt maar één keer. Vraag een nieuwe inloglink aan.".into(),
            ));
        }
        if link.expires_at <= now() {
            return Err(AppError::Unauthorized(format!(
                "Deze inloglink is verlopen: hij werkt {VALID_MINUTES} minuten. Vraag een nieuwe inloglink aan."
            )));
        }
        // Once: of two requests with the same link at the same moment, one finds it used.
        let unused = magic_links::id.eq(&link.id).and(magic_links::used_at.is_null());
        if update(magic_links::table, magic_links::used_at.eq(Some(now())), unused).execute(c)? == 0 {
            return Err(AppError::Unauthorized(
                "Deze inloglink is al gebruikt. Een link werkt maar één keer. Vraag een nieuwe inloglink aan.".into(),
            ));
        }
        let user = queries::find_user(c, &link.user_id)?;
        if !user.active {
            return Err(AppError::Unauthorized(
                "Dit account is niet meer actief. Neem contact op met je coach.".into(),
            ));
        }
        // A link sent before the account's role changed.
        if user.role() != Role::Employee {
            return Err(AppError::Unauthorized("Log in met je e-mailadres en wachtwoord.".into()));
        }
        audit.actor_id = Some(user.id.clone());
        audit.actor_role = Some(user.role.clone());
        audit.organization_id = user.organization_id.clone();
        sessions::start(c, &st.tokens, user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}
