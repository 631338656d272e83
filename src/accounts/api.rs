//! Request and response types of accounts, with validation and OpenAPI schemas.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::model::{Cohort, Organization, User};
use crate::policy::Role;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254, message = "Vul je e-mailadres in."))]
    pub email: String,
    #[validate(length(min = 1, max = 1024, message = "Vul je wachtwoord in."))]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200, message = "De verversingscode ontbreekt."))]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[validate(length(min = 1, max = 1024, message = "Vul je huidige wachtwoord in."))]
    pub current_password: String,
    #[validate(length(min = 10, max = 1024, message = "Kies een wachtwoord van minstens 10 tekens."))]
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// One-time token for `POST /auth/refresh`; a new one comes with every refresh.
    pub refresh_token: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub refresh_expires_at: NaiveDateTime,
    pub user: UserOut,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationOut {
    pub id: String,
    pub name: String,
    /// Weeks after return to work at which aftercare check-ins are scheduled.
    pub aftercare_weeks: Vec<u32>,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl From<Organization> for OrganizationOut {
    fn from(o: Organization) -> Self {
        OrganizationOut {
            aftercare_weeks: serde_json::from_str(&o.aftercare_weeks).unwrap_or_default(),
            id: o.id,
            name: o.name,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    #[validate(custom(function = "not_blank"), length(max = 200, message = "Gebruik hoogstens 200 tekens."))]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "aftercare_weeks_valid"))]
pub struct UpdateOrganization {
    /// Admins only.
    #[validate(custom(function = "not_blank"), length(max = 200, message = "Gebruik hoogstens 200 tekens."))]
    pub name: Option<String>,
    /// Weeks after return for aftercare check-ins (1-104, rising). Admins and the organisation's project leaders.
    pub aftercare_weeks: Option<Vec<u32>>,
}

fn aftercare_weeks_valid(u: &UpdateOrganization) -> Result<(), ValidationError> {
    match &u.aftercare_weeks {
        Some(w)
            if w.is_empty()
                || w.len() > 12
                || w.iter().any(|x| !(1..=104).contains(x))
                || w.windows(2).any(|p| p[0] >= p[1]) =>
        {
            Err(message("aftercare_weeks", "Kies 1 tot 12 weken tussen 1 en 104, van klein naar groot."))
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CohortOut {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl From<Cohort> for CohortOut {
    fn from(c: Cohort) -> Self {
        CohortOut {
            id: c.id,
            organization_id: c.organization_id,
            name: c.name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "cohort_dates"))]
pub struct CreateCohort {
    /// For example "Ronde 1 - voorjaar 2027".
    #[validate(custom(function = "not_blank"), length(max = 200, message = "Gebruik hoogstens 200 tekens."))]
    pub name: String,
    #[serde(default, deserialize_with = "crate::http::dates::plausible")]
    pub starts_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::http::dates::plausible")]
    pub ends_on: Option<NaiveDate>,
}

fn cohort_dates(c: &CreateCohort) -> Result<(), ValidationError> {
    match (c.starts_on, c.ends_on) {
        (Some(s), Some(e)) if e < s => Err(message("ends_on", "De einddatum ligt voor de begindatum.")),
        _ => Ok(()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub role: Role,
    pub organization_id: Option<String>,
    pub active: bool,
    /// Whether the account can log in with a password (employees may use email links only).
    pub has_password: bool,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            role: u.role(),
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            organization_id: u.organization_id,
            active: u.active,
            has_password: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeOut {
    #[serde(flatten)]
    pub user: UserOut,
    pub organization: Option<OrganizationOut>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(custom(function = "mail_address"), length(max = 254, message = "Dit e-mailadres is te lang."))]
    pub email: String,
    #[validate(custom(function = "not_blank"), length(max = 100, message = "Gebruik hoogstens 100 tekens."))]
    pub first_name: String,
    #[validate(length(max = 100, message = "Gebruik hoogstens 100 tekens."))]
    pub last_name: Option<String>,
    pub role: Role,
    /// Required for project leaders, coaches and employees (a project leader may leave it out:
    /// their own organisation); absent for admins and researchers.
    pub organization_id: Option<String>,
    /// Optional, and only from an admin (a project leader: 422). Employees log in with an email
    /// link; a staff account created without one gets a mail to choose it.
    #[validate(length(min = 10, max = 1024, message = "Kies een wachtwoord van minstens 10 tekens."))]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(custom(function = "mail_address"), length(max = 254, message = "Dit e-mailadres is te lang."))]
    pub email: Option<String>,
    #[validate(custom(function = "not_blank"), length(max = 100, message = "Gebruik hoogstens 100 tekens."))]
    pub first_name: Option<String>,
    #[validate(length(max = 100, message = "Gebruik hoogstens 100 tekens."))]
    pub last_name: Option<String>,
    /// Only an admin may change a role; the organisation rule still applies.
    pub role: Option<Role>,
    /// A deactivated account cannot log in; its refresh tokens are revoked.
    pub active: Option<bool>,
    #[validate(length(min = 10, max = 1024, message = "Kies een wachtwoord van minstens 10 tekens."))]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    pub organization: Option<String>,
    pub role: Option<Role>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn not_blank(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        Err(message("blank", "Dit veld mag niet leeg zijn."))
    } else {
        Ok(())
    }
}

/// An address mail can be sent to: the validator's rule, and lettre's, which refuses some the
/// validator lets through (`jan..de.vries@x.nl`, `jan.@x.nl`); an account with such an address
/// would get no login link, and nobody would be told.
pub fn mail_address(s: &str) -> Result<(), ValidationError> {
    use validator::ValidateEmail;
    if s.validate_email() && s.parse::<lettre::Address>().is_ok() {
        Ok(())
    } else {
        Err(message("email", "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."))
    }
}

pub fn message(code: &'static str, text: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(std::borrow::Cow::Borrowed(text))
}
