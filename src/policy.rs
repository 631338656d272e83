//! Who may see or change what: one place, used by every feature.
//!
//! The rule everywhere: a record outside the caller's scope answers 404 (its existence is not
//! revealed); a record in scope that the caller's role may not change answers 403.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ProjectLeader,
    Coach,
    Employee,
    Researcher,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::ProjectLeader, Role::Coach, Role::Employee, Role::Researcher];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProjectLeader => "project_leader",
            Role::Coach => "coach",
            Role::Employee => "employee",
            Role::Researcher => "researcher",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Admins and researchers work across organisations; everybody else belongs to one.
    pub fn has_organization(self) -> bool {
        !matches!(self, Role::Admin | Role::Researcher)
    }
}

/// The authenticated caller, as proven by a valid access token. Handlers get it from the
/// extractor in `http::auth`; there is no other way to learn who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub organization_id: Option<String>,
    pub session_id: String,
    /// For the audit log: "<METHOD> <route pattern>" and the request id.
    pub action: String,
    pub request_id: String,
}

impl Caller {
    /// An audit entry for this request. Reads of other people's data and every write are logged.
    pub fn audit(&self) -> crate::privacy::audit::AuditEntry {
        crate::privacy::audit::AuditEntry {
            actor_id: Some(self.user_id.clone()),
            actor_role: Some(self.role.as_str().to_string()),
            organization_id: self.organization_id.clone(),
            route: self.action.split_once(' ').map_or(self.action.clone(), |(_, r)| r.to_string()),
            is_read: self.action.starts_with("GET "),
            action: self.action.clone(),
            subject_id: None,
            request_id: self.request_id.clone(),
            detail: None,
            listed: Vec::new(),
        }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// 403 unless the caller is the coach named (work only a trajectory's own coach may do).
    pub fn require_coach_of(&self, coach_id: &str) -> Result<(), AppError> {
        if self.role == Role::Coach && self.user_id == coach_id {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    pub fn in_org(&self, org_id: &str) -> bool {
        self.organization_id.as_deref() == Some(org_id)
    }

    /// Organisation records (name, cohorts) are visible to admins and researchers (who choose
    /// export filters by them) and to members of that organisation.
    pub fn sees_organization(&self, org_id: &str) -> bool {
        matches!(self.role, Role::Admin | Role::Researcher) || self.in_org(org_id)
    }

    /// 404 when the organisation is outside the caller's scope.
    pub fn organization_scope(&self, org_id: &str) -> Result<(), AppError> {
        if self.sees_organization(org_id) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Whether the caller may create or change an account with `role` in `org`: admins any
    /// account, project leaders coaches and employees of their own organisation, nobody else.
    pub fn may_manage_account(&self, role: Role, org: Option<&str>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::ProjectLeader => matches!(role, Role::Coach | Role::Employee) && org.is_some_and(|o| self.in_org(o)),
            _ => false,
        }
    }
}

impl Caller {
    /// A trajectory is in scope for its coach, its employee and the project leaders of its
    /// organisation. Admins and researchers never see one (they work with accounts and exports).
    pub fn sees_trajectory(&self, employee_id: &str, coach_id: &str, org_id: &str) -> bool {
        match self.role {
            Role::Coach => self.user_id == coach_id,
            Role::Employee => self.user_id == employee_id,
            Role::ProjectLeader => self.in_org(org_id),
            Role::Admin | Role::Researcher => false,
        }
    }

    /// An employee's records (absences) are in scope for the employee, a coach who coaches
    /// them (`coaches_them`), and project leaders of their organisation.
    pub fn sees_employee(&self, employee_id: &str, employee_org: Option<&str>, coaches_them: bool) -> bool {
        match self.role {
            Role::Employee => self.user_id == employee_id,
            Role::Coach => coaches_them,
            Role::ProjectLeader => employee_org.is_some_and(|o| self.in_org(o)),
            Role::Admin | Role::Researcher => false,
        }
    }
}
