//! User accounts. Admins manage every account; project leaders the coaches and employees of their
//! own organisation; nobody else creates or changes accounts.

use actix_web::{get, patch, post, web, HttpResponse};

use super::api::{CreateUser, UpdateUser, UserFilter, UserOut};
use super::model::User;
use super::password_links;
use super::{password, queries};
use crate::db;
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{check_id_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::AppState;

/// Whether `caller` may see `user` at all (otherwise 404).
fn sees_user(caller: &Caller, user: &User) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::ProjectLeader => user.organization_id.as_deref().is_some_and(|o| caller.in_org(o)),
        _ => caller.user_id == user.id,
    }
}

/// Whether `user` is shown to `caller` at `/users/{id}`: not the account that keeps an erased
/// person's records (its creation time is that of the erasure's audit entry, which would tie the
/// records to the person again), and otherwise as [`sees_user`].
fn shown(caller: &Caller, user: &User) -> bool {
    user.erased_at.is_none() && sees_user(caller, user)
}

/// Accounts the caller may see: admins all (filter by organisation and role), project leaders
/// their organisation, everybody else only themself.
#[utoipa::path(tag = "users", params(UserFilter), responses((status = 200, body = Page<UserOut>)), security(("bearer" = [])))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: Query<UserFilter>,
) -> Result<HttpResponse, AppError> {
    let filter = filter.into_inner();
    let limit = PageQuery { limit: filter.limit, cursor: None }.limit()?;
    check_id_cursor(filter.cursor.as_deref())?;
    let rows = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let (organization, ids) = match caller.role {
            Role::Admin => (filter.organization, None),
            Role::ProjectLeader => {
                if filter.organization.as_deref().is_some_and(|o| !caller.in_org(o)) {
                    return Ok(Page { items: Vec::new(), next_cursor: None });
                }
                (caller.organization_id.clone(), None)
            }
            _ => (None, Some(vec![caller.user_id.clone()])),
        };
        let users = queries::list_users(
            c,
            queries::UserQuery {
                organization: organization.as_deref(),
                role: filter.role,
                ids,
                after: filter.cursor.as_deref(),
                limit,
            },
        )?;
        // The page first: the row fetched only to see whether there is a next page is not shown,
        // so the entry does not name that person.
        let page = Page::from_rows(users.into_iter().map(UserOut::from).collect(), limit, |u| u.id.clone());
        page.items.iter().for_each(|u| audit.shows(&u.id));
        Ok(page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Create an account. Admins: any role; project leaders: coaches and employees of their own
/// organisation, without a password. A staff account without a password gets a mail with a link
/// to choose one. A duplicate email answers 409.
#[utoipa::path(tag = "users", request_body = CreateUser, responses((status = 201, body = UserOut)), security(("bearer" = [])))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    let mut input = body.0;
    // A project leader creates accounts in their own organisation: it need not be named.
    if caller.is(Role::ProjectLeader) && input.organization_id.is_none() && input.role.has_organization() {
        input.organization_id = caller.organization_id.clone();
    }
    if !caller.may_manage_account(input.role, input.organization_id.as_deref()) {
        return Err(AppError::Forbidden);
    }
    // With a password of their choosing a project leader could log in as the person and read
    // what is kept from them (as PATCH refuses them a password for anyone). A new staff account
    // without a password gets a link to choose one.
    if caller.is(Role::ProjectLeader) && input.password.is_some() {
        return Err(AppError::field(
            "password",
            "Laat het wachtwoord leeg. Een medewerker logt in met een link per e-mail; een coach krijgt een \
             e-mail om zelf een wachtwoord te kiezen.",
        ));
    }
    let hash = match input.password.clone() {
        Some(p) => Some(password::off_thread(move || password::hash(&p)).await??),
        None => None,
    };
    let st = state.clone();
    let user = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let user = queries::insert_user(
            c,
            queries::NewUser {
                email: &input.email,
                first_name: &input.first_name,
                last_name: input.last_name.as_deref(),
                role: input.role,
                organization_id: input.organization_id.as_deref(),
                password_hash: hash,
            },
        )?;
        audit.about_user(&user.id, user.organization_id.as_deref());
        if user.password_hash.is_none() && user.role() != Role::Employee {
            password_links::send(c, &st, &user, password_links::Why::Invitation)?;
        }
        Ok(user)
    })
    .await?;
    Ok(HttpResponse::Created().json(UserOut::from(user)))
}

/// One account: admins any, project leaders those of their organisation, everybody their own.
#[utoipa::path(tag = "users", params(("id" = String, Path)), responses((status = 200, body = UserOut)), security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let user = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let user = queries::find_user(c, &id)?;
        if !shown(&caller, &user) {
            return Err(AppError::NotFound);
        }
        audit.about_user(&user.id, user.organization_id.as_deref());
        Ok(user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserOut::from(user)))
}

/// Change an account. Admins any; project leaders coaches and employees of their organisation
/// (not the role, the email address or the password: with those they could log in as the person
/// and read what a project leader may not; a password from anyone but an admin is refused, 403,
/// before any account is read). Not one's own password or address (422: a stolen session must not
/// become a stolen account; the password changes at `PUT /me/password`), nor one's own role or
/// active flag (422: the last admin could lock everyone out). The account that keeps an erased
/// person's records is not found (404). Deactivating, a new role, a new password or a new
/// address ends the account's sessions. A corrected address takes the mail still waiting for the
/// old one along (not login and password links, which are dropped); a staff account given a new
/// address without a new password loses its password and gets a mail at the new address to
/// choose one, since whoever read the old address may have chosen it.
#[utoipa::path(tag = "users", params(("id" = String, Path)), request_body = UpdateUser, responses((status = 200, body = UserOut)), security(("bearer" = [])))]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<UpdateUser>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let id = id.into_inner();
    // Before the hash: only an admin sets a password here, and not their own. Hashing takes one
    // of the few slots logins wait for, so it is not done for a request that will be refused.
    if input.password.is_some() && !caller.is(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    if input.password.is_some() && id == caller.user_id {
        return Err(AppError::field(
            "password",
            "Je eigen wachtwoord verander je bij 'Mijn wachtwoord', met je huidige wachtwoord erbij.",
        ));
    }
    let hash = match input.password.clone() {
        Some(p) => Some(password::off_thread(move || password::hash(&p)).await??),
        None => None,
    };
    let st = state.clone();
    let (user, ended) = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // Taken before the sessions are ended, as a refresh takes it: a refresh at the same
        // moment either comes first and its new token is ended too, or comes after and fails.
        queries::lock_user(c, &id)?;
        let user = queries::find_user(c, &id)?;
        // The account that keeps an erased person's records for the counts is not found either:
        // giving it an address, a name or a password would tie those records to someone again.
        if !shown(&caller, &user) {
            return Err(AppError::NotFound);
        }
        audit.about_user(&user.id, user.organization_id.as_deref());
        if !caller.may_manage_account(user.role(), user.organization_id.as_deref()) {
            return Err(AppError::Forbidden);
        }
        let new_email = input.email.as_deref().map(queries::normalize_email).filter(|e| *e != user.email);
        if !caller.is(Role::Admin) && new_email.is_some() {
            return Err(AppError::Forbidden);
        }
        // Not one's own password or address: a stolen session must not become a stolen account.
        // The password changes with the current one (`PUT /me/password`, whose guesses are
        // counted); the address by another admin (with it, a password link could be asked for).
        if user.id == caller.user_id && new_email.is_some() {
            return Err(AppError::field(
                "email",
                "Je eigen e-mailadres kan alleen een andere beheerder veranderen. Vraag dat aan een collega-beheerder.",
            ));
        }
        let new_role = input.role.filter(|r| *r != user.role());
        // Nor one's own role or account: an admin who made themselves a researcher, or switched
        // themselves off, may leave no one to manage accounts.
        if user.id == caller.user_id && new_role.is_some() {
            return Err(AppError::field("role", "Je eigen rol kan alleen een andere beheerder veranderen."));
        }
        if user.id == caller.user_id && input.active == Some(false) {
            return Err(AppError::field("active", "Je eigen account kan alleen een andere beheerder uitzetten."));
        }
        if let Some(role) = new_role {
            if !caller.is(Role::Admin) {
                return Err(AppError::Forbidden);
            }
            if role.has_organization() != user.role().has_organization() {
                return Err(AppError::field(
                    "role",
                    "Deze rol hoort bij een ander soort account (met of zonder organisatie). Maak een nieuw account aan.",
                ));
            }
        }
        // A role is in every access token and refresh hands out the role as stored: a session
        // started under the old role (an employee's login link) must not go on under the new one.
        // A corrected address may have been a stranger's, who logged in with a link sent to it.
        let ends_sessions =
            input.active == Some(false) || hash.is_some() || new_role.is_some() || new_email.is_some();
        // And chose the password of a staff account through its invitation: it goes (unless the
        // admin sets one now), and an active account gets a link at the new address to choose
        // one: an invitation again when it never had a password.
        let clears_password =
            new_email.is_some() && hash.is_none() && new_role.unwrap_or(user.role()) != Role::Employee;
        let why = match user.password_hash {
            Some(_) => password_links::Why::AddressChanged,
            None => password_links::Why::Invitation,
        };
        let new_password_link = clears_password.then_some(why);
        let new_password_link = new_password_link.filter(|_| input.active.unwrap_or(user.active));
        let password_hash = match hash {
            Some(h) => Some(Some(h)),
            None if clears_password => Some(None),
            None => None,
        };
        queries::update_user(
            c,
            &id,
            queries::UserChanges {
                email: new_email.clone(),
                first_name: input.first_name.map(|s| s.trim().to_string()),
                last_name: input.last_name.map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty())),
                role: input.role.map(|r| r.as_str().to_string()),
                active: input.active,
                password_hash,
                updated_at: None,
            },
        )?;
        if let Some(new_email) = &new_email {
            // The old address may be a stranger's (a typo corrected): what still waits for it
            // does not go there. A card, an invitation or a reminder goes to the new address
            // instead; a login or password link is not moved but dropped, with its link.
            crate::mail::outbox::readdress(c, &user.id, &user.email, new_email)?;
            crate::mail::outbox::cancel_to(c, &user.email)?;
            queries::drop_unused_login_links(c, &id)?;
        }
        // A link to choose a password waiting in a mailbox must not go to an old address, undo
        // a password set now, or outlive a deactivation or a new role.
        if new_email.is_some() || ends_sessions {
            password_links::drop_unused(c, &id)?;
        }
        let ended = if ends_sessions { queries::revoke_all_for_user(c, &id)? } else { Vec::new() };
        let user = queries::find_user(c, &id)?;
        if let Some(why) = new_password_link {
            password_links::send(c, &st, &user, why)?;
        }
        Ok((user, ended))
    })
    .await?;
    state.revocations.add(ended);
    Ok(HttpResponse::Ok().json(UserOut::from(user)))
}

/// Send a staff account that has no password yet a new invitation: a link to choose one (the
/// first was lost, or its 72 hours passed). An earlier link stops working. Admins any staff
/// account, project leaders coaches of their organisation (403 otherwise; an employee logs in
/// with a login link). 409 for an account that has a password already (a forgotten one gets a
/// link from the login page) or is switched off.
#[utoipa::path(tag = "users", params(("id" = String, Path)), responses((status = 202, body = crate::accounts::magic_routes::Accepted)), security(("bearer" = [])))]
#[post("/users/{id}/invitation")]
pub async fn invite_again(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let st = state.clone();
    db::tx(&state.pool, caller.audit(), move |c, audit| {
        queries::lock_user(c, &id)?;
        let user = queries::find_user(c, &id)?;
        if !shown(&caller, &user) {
            return Err(AppError::NotFound);
        }
        audit.about_user(&user.id, user.organization_id.as_deref());
        if !caller.may_manage_account(user.role(), user.organization_id.as_deref()) || user.role() == Role::Employee {
            return Err(AppError::Forbidden);
        }
        if !user.active {
            return Err(AppError::Conflict(
                "Dit account staat uit. Zet het eerst weer aan; daarna kun je een uitnodiging sturen.".into(),
            ));
        }
        if user.password_hash.is_some() {
            return Err(AppError::Conflict(
                "Dit account heeft al een wachtwoord. Is het vergeten? Dan vraagt de gebruiker een nieuwe link aan \
                 op de inlogpagina."
                    .into(),
            ));
        }
        password_links::send(c, &st, &user, password_links::Why::Invitation)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(crate::accounts::magic_routes::Accepted {
        detail: "De uitnodiging is opnieuw verstuurd. De link in de vorige e-mail werkt niet meer.".into(),
    }))
}
