//! Accounts and tenancy: organisations, cohorts, users, login and tokens.

pub mod api;
mod auth_routes;
mod jwt_hs256;
pub mod magic_routes;
pub mod model;
mod org_routes;
pub mod pace;
pub mod password;
pub mod password_links;
pub mod queries;
pub mod revocations;
pub mod sessions;
pub mod throttle;
pub mod tokens;
mod user_routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(auth_routes::login)
        .service(auth_routes::refresh)
        .service(auth_routes::logout)
        .service(magic_routes::request)
        .service(magic_routes::redeem)
        .service(password_links::request)
        .service(password_links::redeem)
        .service(auth_routes::me)
        .service(auth_routes::change_password)
        .service(org_routes::list)
        .service(org_routes::create)
        .service(org_routes::get_one)
        .service(org_routes::update)
        .service(org_routes::list_cohorts)
        .service(org_routes::create_cohort)
        .service(user_routes::list)
        .service(user_routes::create)
        .service(user_routes::get_one)
        .service(user_routes::update)
        .service(user_routes::invite_again);
}

/// Creates an admin account (the `create-admin` command and tests use this).
pub fn create_admin(
    conn: &mut crate::db::DbConnection,
    email: &str,
    password: &str,
) -> Result<model::User, crate::error::AppError> {
    if api::mail_address(email).is_err() {
        return Err(crate::error::AppError::field("email", "Vul een geldig e-mailadres in."));
    }
    if password.chars().count() < 10 {
        return Err(crate::error::AppError::field("password", "Kies een wachtwoord van minstens 10 tekens."));
    }
    let hash = password::hash(password)?;
    let first_name = email.split('@').next().unwrap_or("Beheerder");
    queries::insert_user(
        conn,
        queries::NewUser {
            email,
            first_name,
            last_name: None,
            role: crate::policy::Role::Admin,
            organization_id: None,
            password_hash: Some(hash),
        },
    )
}
