//! Organisations (tenants) and their cohorts (recruitment rounds).

use actix_web::{get, patch, post, web, HttpResponse};

use super::api::{CohortOut, CreateCohort, CreateOrganization, OrganizationOut, UpdateOrganization};
use super::model::Cohort;
use super::queries;
use crate::db::{self, new_id, now};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{check_id_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::AppState;

/// Organisations the caller may see: all for admins and researchers, otherwise their own.
#[utoipa::path(tag = "organizations", params(PageQuery), responses((status = 200, body = Page<OrganizationOut>)), security(("bearer" = [])))]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let limit = page.limit()?;
    check_id_cursor(page.cursor.as_deref())?;
    let only =
        if matches!(caller.role, Role::Admin | Role::Researcher) { None } else { caller.organization_id.clone() };
    let cursor = page.cursor.clone();
    let rows =
        db::read(&state.pool, move |c| queries::list_organizations(c, only.as_deref(), cursor.as_deref(), limit))
            .await?;
    let page = Page::from_rows(rows.into_iter().map(OrganizationOut::from).collect(), limit, |o| o.id.clone());
    Ok(HttpResponse::Ok().json(page))
}

/// Create an organisation. Admin only.
#[utoipa::path(tag = "organizations", request_body = CreateOrganization, responses((status = 201, body = OrganizationOut)), security(("bearer" = [])))]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreateOrganization>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Admin])?;
    let name = body.0.name;
    let org = db::tx(&state.pool, caller.audit(), move |c, _| queries::insert_organization(c, &name)).await?;
    Ok(HttpResponse::Created().json(OrganizationOut::from(org)))
}

/// One organisation. Admins and researchers: any; others: their own (404 otherwise).
#[utoipa::path(tag = "organizations", params(("id" = String, Path)), responses((status = 200, body = OrganizationOut)), security(("bearer" = [])))]
#[get("/organizations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.organization_scope(&id)?;
    let id = id.into_inner();
    let org = db::read_statement_by_key(&state.pool, move |c| queries::find_organization(c, &id)).await?;
    Ok(HttpResponse::Ok().json(OrganizationOut::from(org)))
}

/// Rename an organisation (admins) or set its aftercare weeks (admins and its project leaders).
#[utoipa::path(tag = "organizations", params(("id" = String, Path)), request_body = UpdateOrganization, responses((status = 200, body = OrganizationOut)), security(("bearer" = [])))]
#[patch("/organizations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<UpdateOrganization>,
) -> Result<HttpResponse, AppError> {
    caller.organization_scope(&id)?;
    caller.require(&[Role::Admin, Role::ProjectLeader])?;
    if body.0.name.is_some() {
        caller.require(&[Role::Admin])?;
    }
    let id = id.into_inner();
    let org = db::tx(&state.pool, caller.audit(), move |c, _| {
        queries::find_organization(c, &id)?;
        if let Some(name) = &body.0.name {
            queries::rename_organization(c, &id, name)?;
        }
        if let Some(weeks) = &body.0.aftercare_weeks {
            queries::set_aftercare_weeks(c, &id, weeks)?;
        }
        queries::find_organization(c, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationOut::from(org)))
}

/// Cohorts of an organisation. Admins, researchers, and the organisation's project leaders and coaches.
#[utoipa::path(tag = "organizations", params(("id" = String, Path), PageQuery), responses((status = 200, body = Page<CohortOut>)), security(("bearer" = [])))]
#[get("/organizations/{id}/cohorts")]
pub async fn list_cohorts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.organization_scope(&id)?;
    caller.require(&[Role::Admin, Role::Researcher, Role::ProjectLeader, Role::Coach])?;
    let limit = page.limit()?;
    check_id_cursor(page.cursor.as_deref())?;
    let (id, cursor) = (id.into_inner(), page.cursor.clone());
    let rows = db::tx(&state.pool, caller.audit(), move |c, _| {
        queries::find_organization(c, &id)?;
        queries::list_cohorts(c, &id, cursor.as_deref(), limit)
    })
    .await?;
    let page = Page::from_rows(rows.into_iter().map(CohortOut::from).collect(), limit, |o| o.id.clone());
    Ok(HttpResponse::Ok().json(page))
}

/// Create a cohort. Admins, and project leaders of the organisation.
#[utoipa::path(tag = "organizations", params(("id" = String, Path)), request_body = CreateCohort, responses((status = 201, body = CohortOut)), security(("bearer" = [])))]
#[post("/organizations/{id}/cohorts")]
pub async fn create_cohort(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<CreateCohort>,
) -> Result<HttpResponse, AppError> {
    caller.organization_scope(&id)?;
    caller.require(&[Role::Admin, Role::ProjectLeader])?;
    let input = body.0;
    let cohort = Cohort {
        id: new_id(),
        organization_id: id.into_inner(),
        name: input.name.trim().to_string(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        created_at: now(),
    };
    let cohort = db::tx(&state.pool, caller.audit(), move |c, audit| {
        queries::find_organization(c, &cohort.organization_id)?;
        audit.in_org(&cohort.organization_id);
        queries::insert_cohort(c, &cohort)?;
        Ok(cohort)
    })
    .await?;
    Ok(HttpResponse::Created().json(CohortOut::from(cohort)))
}
