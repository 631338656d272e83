//! Database functions of accounts. They take a connection so that callers compose them inside
//! one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Cohort, Organization, RefreshToken, User};
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::{cohorts, organizations, refresh_tokens, users};
use crate::db::{new_id, now, DbConnection};
use crate::error::AppError;
use crate::policy::Role;

type Db = DbConnection;

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

// --- organisations -------------------------------------------------------------------------

pub fn insert_organization(conn: &mut Db, name: &str) -> Result<Organization, AppError> {
    let t = now();
    let org = Organization {
        id: new_id(),
        name: name.trim().to_string(),
        created_at: t,
        updated_at: t,
        aftercare_weeks: "[2,6,12]".into(),
    };
    diesel::insert_into(organizations::table).values(&org).execute(conn).map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("Er bestaat al een organisatie met deze naam.".into()),
        other => other,
    })?;
    Ok(org)
}

pub fn find_organization(conn: &mut Db, id: &str) -> Result<Organization, AppError> {
    Ok(organizations::table.find(id).select(Organization::as_select()).first(conn)?)
}

pub fn list_organizations(
    conn: &mut Db,
    only: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Organization>, AppError> {
    let mut q =
        organizations::table.select(Organization::as_select()).order(organizations::id).limit(limit + 1).into_boxed();
    if let Some(id) = only {
        q = q.filter(organizations::id.eq(id.to_string()));
    }
    if let Some(c) = after {
        q = q.filter(organizations::id.gt(c.to_string()));
    }
    Ok(q.load(conn)?)
}

pub fn rename_organization(conn: &mut Db, id: &str, name: &str) -> Result<(), AppError> {
    let rename = (organizations::name.eq(name.trim()), organizations::updated_at.eq(now()));
    update(organizations::table, rename, organizations::id.eq(id)).execute(conn).map_err(|e| {
        match AppError::from(e) {
            AppError::Conflict(_) => AppError::Conflict("Er bestaat al een organisatie met deze naam.".into()),
            other => other,
        }
    })?;
    Ok(())
}

pub fn set_aftercare_weeks(conn: &mut Db, id: &str, weeks: &[u32]) -> Result<(), AppError> {
    let text = serde_json::to_string(weeks).map_err(|e| AppError::internal(e.to_string()))?;
    let weeks = (organizations::aftercare_weeks.eq(text), organizations::updated_at.eq(now()));
    update(organizations::table, weeks, organizations::id.eq(id)).execute(conn)?;
    Ok(())
}

// --- cohorts -------------------------------------------------------------------------------

pub fn insert_cohort(conn: &mut Db, cohort: &Cohort) -> Result<(), AppError> {
    diesel::insert_into(cohorts::table).values(cohort).execute(conn).map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("Deze organisatie heeft al een ronde met deze naam.".into()),
        other => other,
    })?;
    Ok(())
}

pub fn list_cohorts(conn: &mut Db, org_id: &str, after: Option<&str>, limit: i64) -> Result<Vec<Cohort>, AppError> {
    let mut q = cohorts::table
        .filter(cohorts::organization_id.eq(org_id.to_string()))
        .select(Cohort::as_select())
        .order(cohorts::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(c) = after {
        q = q.filter(cohorts::id.gt(c.to_string()));
    }
    Ok(q.load(conn)?)
}

// --- users ---------------------------------------------------------------------------------

pub struct NewUser<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    pub role: Role,
    pub organization_id: Option<&'a str>,
    pub password_hash: Option<String>,
}

pub fn insert_user(conn: &mut Db, new: NewUser<'_>) -> Result<User, AppError> {
    if new.role.has_organization() != new.organization_id.is_some() {
        let msg = if new.role.has_organization() {
            "Kies de organisatie van dit account."
        } else {
            "Beheerders en onderzoekers horen niet bij één organisatie: laat dit veld leeg."
        };
        return Err(AppError::field("organization_id", msg));
    }
    if let Some(org) = new.organization_id {
        find_organization(conn, org).map_err(|e| match e {
            AppError::NotFound => AppError::field("organization_id", "Deze organisatie bestaat niet."),
            other => other,
        })?;
    }
    let t = now();
    let user = User {
        id: new_id(),
        email: normalize_email(new.email),
        first_name: new.first_name.trim().to_string(),
        last_name: new.last_name.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        role: new.role.as_str().to_string(),
        organization_id: new.organization_id.map(str::to_string),
        password_hash: new.password_hash,
        active: true,
        created_at: t,
        updated_at: t,
        erased_at: None,
    };
    diesel::insert_into(users::table).values(&user).execute(conn).map_err(duplicate_email)?;
    Ok(user)
}

pub fn duplicate_email(e: diesel::result::Error) -> AppError {
    match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("Er is al een account met dit e-mailadres.".into()),
        other => other,
    }
}

/// Locks a person's row for the rest of the transaction (PostgreSQL; SQLite has one writer), so
/// that changes that check something about them and then write take turns: an absence with a
/// category and a withdrawal of research consent, an erasure and a write that names them.
pub fn lock_user(conn: &mut Db, id: &str) -> Result<(), AppError> {
    if let DbConnection::Pg(pg) = conn {
        users::table.find(id).select(users::id).for_update().first::<String>(pg).optional()?;
    }
    Ok(())
}

/// [`find_user_held`] without reading the person, and without an error when there is no such
/// row (the caller checks that later, with its own answer): the row held before a trajectory or
/// a course row is locked, in the order an erasure takes them.
pub fn hold_user(conn: &mut Db, id: &str) -> Result<(), AppError> {
    if let DbConnection::Pg(pg) = conn {
        users::table.find(id).select(users::id).for_share().first::<String>(pg).optional()?;
    }
    Ok(())
}

/// The person, their row held (`FOR SHARE` on PostgreSQL) to the end of the transaction: taken
/// before anything about them, as an erasure takes it (`FOR UPDATE`) before their records, so
/// that the two wait for each other instead of deadlocking.
pub fn find_user_held(conn: &mut Db, id: &str) -> Result<User, AppError> {
    let DbConnection::Pg(pg) = conn else { return find_user(conn, id) };
    Ok(users::table.find(id).select(User::as_select()).for_share().first(pg)?)
}

pub fn find_user(conn: &mut Db, id: &str) -> Result<User, AppError> {
    Ok(users::table.find(id).select(User::as_select()).first(conn)?)
}

/// The name a mail to `user` is signed with: their organisation's, or Wilkan for an account
/// without one.
pub fn sender_name(conn: &mut Db, user: &User) -> Result<String, AppError> {
    match &user.organization_id {
        Some(org) => Ok(find_organization(conn, org)?.name),
        None => Ok("Wilkan".into()),
    }
}

pub fn find_user_by_email(conn: &mut Db, email: &str) -> Result<Option<User>, AppError> {
    Ok(users::table.filter(users::email.eq(normalize_email(email))).select(User::as_select()).first(conn).optional()?)
}

pub struct UserQuery<'a> {
    pub organization: Option<&'a str>,
    pub role: Option<Role>,
    /// Restrict to these ids (a coach's own employees and themself).
    pub ids: Option<Vec<String>>,
    pub after: Option<&'a str>,
    pub limit: i64,
}

/// Accounts in id order, not the ones that keep erased people's records (their creation time is
/// the erasure's, so listing them would tie those records to the person again).
pub fn list_users(conn: &mut Db, q: UserQuery<'_>) -> Result<Vec<User>, AppError> {
    let mut query = users::table
        .filter(users::erased_at.is_null())
        .select(User::as_select())
        .order(users::id)
        .limit(q.limit + 1)
        .into_boxed();
    if let Some(org) = q.organization {
        query = query.filter(users::organization_id.eq(org.to_string()));
    }
    if let Some(role) = q.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(ids) = q.ids {
        query = query.filter(one_of(users::id, ids));
    }
    if let Some(c) = q.after {
        query = query.filter(users::id.gt(c.to_string()));
    }
    Ok(query.load(conn)?)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<Option<String>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update_user(conn: &mut Db, id: &str, mut changes: UserChanges) -> Result<(), AppError> {
    changes.updated_at = Some(now());
    update(users::table, &changes, users::id.eq(id)).execute(conn).map_err(duplicate_email)?;
    Ok(())
}

// --- refresh tokens ------------------------------------------------------------------------

pub fn insert_refresh_token(conn: &mut Db, token: &RefreshToken) -> Result<(), AppError> {
    diesel::insert_into(refresh_tokens::table).values(token).execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(conn: &mut Db, hash: &str) -> Result<Option<RefreshToken>, AppError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a refresh token used; false when another request used it first (then it is a reuse) or
/// its session has ended since it was read.
pub fn mark_refresh_used(conn: &mut Db, id: &str) -> Result<bool, AppError> {
    let unused =
        refresh_tokens::id.eq(id).and(refresh_tokens::used_at.is_null()).and(refresh_tokens::revoked_at.is_null());
    Ok(update(refresh_tokens::table, refresh_tokens::used_at.eq(Some(now())), unused).execute(conn)? == 1)
}

/// Ends one session (a refresh-token family): its refresh tokens and, through
/// [`super::revocations`], its access tokens. Pass the id on to `Revocations::add` after commit.
pub fn revoke_family(conn: &mut Db, family_id: &str) -> Result<(), AppError> {
    update(
        refresh_tokens::table,
        refresh_tokens::revoked_at.eq(Some(now())),
        refresh_tokens::family_id.eq(family_id).and(refresh_tokens::revoked_at.is_null()),
    )
    .execute(conn)?;
    super::revocations::record(conn, &[family_id.to_string()])
}

/// Ends every open session of a user; returns their ids for `Revocations::add` after commit.
pub fn revoke_all_for_user(conn: &mut Db, user_id: &str) -> Result<Vec<String>, AppError> {
    let open = refresh_tokens::user_id.eq(user_id).and(refresh_tokens::revoked_at.is_null());
    let families: Vec<String> =
        refresh_tokens::table.filter(open).select(refresh_tokens::family_id).distinct().load(conn)?;
    update(refresh_tokens::table, refresh_tokens::revoked_at.eq(Some(now())), open).execute(conn)?;
    super::revocations::record(conn, &families)?;
    Ok(families)
}

/// Takes back login links not used yet (the address they went to was corrected).
pub fn drop_unused_login_links(conn: &mut Db, user_id: &str) -> Result<usize, AppError> {
    use crate::db::schema::magic_links;
    let unused = magic_links::user_id.eq(user_id).and(magic_links::used_at.is_null());
    Ok(diesel::delete(magic_links::table.filter(unused)).execute(conn)?)
}

/// How long sign-in records are kept after they stopped working: long enough for the inzage
/// and a question about a sign-in, not for a history of everyone's logins.
pub const KEEP_SIGN_INS_DAYS: i64 = 90;

/// Housekeeping: deletes login links and sessions that expired more than [`KEEP_SIGN_INS_DAYS`]
/// ago, and throttle counters whose window began over a day ago and that block nothing any more
/// (they hold typed addresses, also strangers' and typos, and client addresses). Returns how many
/// rows.
pub fn prune_sign_in_records(conn: &mut Db) -> Result<usize, AppError> {
    use crate::db::schema::{login_throttle, magic_links, password_links};
    let t = now();
    let old = t - chrono::TimeDelta::days(KEEP_SIGN_INS_DAYS);
    let links = diesel::delete(magic_links::table.filter(magic_links::expires_at.lt(old))).execute(conn)?
        + diesel::delete(password_links::table.filter(password_links::expires_at.lt(old))).execute(conn)?;
    // An expired refresh token cannot be used, so it no longer tells a reuse either.
    let sessions = diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(old))).execute(conn)?;
    let quiet = login_throttle::window_started_at
        .lt(t - chrono::TimeDelta::days(1))
        .and(login_throttle::blocked_until.is_null().or(login_throttle::blocked_until.lt(t)));
    let counters = diesel::delete(login_throttle::table.filter(quiet)).execute(conn)?;
    Ok(links + sessions + counters)
}

pub fn count_users(conn: &mut Db) -> Result<i64, AppError> {
    Ok(users::table.count().get_result(conn)?)
}
