//! Buddy pair endpoints.

use std::collections::BTreeMap;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::{buddy_pairs, trajectories, users};
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, moment_key, Page, PageQuery};
use crate::http::query::Query;
use crate::mail::outbox::{self, Mail};
use crate::policy::{Caller, Role};
use crate::privacy::audit::AuditEntry;
use crate::AppState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = buddy_pairs)]
struct PairRow {
    id: String,
    organization_id: String,
    employee_a: String,
    employee_b: String,
    status: String,
    a_confirmed: bool,
    b_confirmed: bool,
    a_contact: Option<String>,
    b_contact: Option<String>,
    proposed_by: String,
    created_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
    ended_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PairStatus {
    Proposed,
    Active,
    Ended,
}

fn status(s: &str) -> PairStatus {
    match s {
        "active" => PairStatus::Active,
        "ended" => PairStatus::Ended,
        _ => PairStatus::Proposed,
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePair {
    pub employee_a: String,
    pub employee_b: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPair {
    /// How the buddy may reach me (phone, email, app); shown only to the buddy. No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 200, message = "Vul in hoe je buddy je kan bereiken (hoogstens 200 tekens).")
    )]
    pub contact: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PairMember {
    pub employee_id: String,
    pub first_name: String,
    pub confirmed: bool,
}

/// A pair as its coaches see it (no contact details: those are for the buddies).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PairOut {
    pub id: String,
    pub status: PairStatus,
    pub members: Vec<PairMember>,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "crate::http::time::utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PairCounts {
    pub proposed: i64,
    pub active: i64,
    pub ended: i64,
}

/// What an employee sees of their buddy: first name and the shared contact, nothing else.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyBuddy {
    pub pair_id: String,
    pub status: PairStatus,
    pub buddy_first_name: String,
    /// Shown once the pair is active.
    pub buddy_contact: Option<String>,
    pub i_confirmed: bool,
}

fn open_pair_of(c: &mut DbConnection, employee: &str) -> Result<Option<PairRow>, AppError> {
    Ok(buddy_pairs::table
        .filter(buddy_pairs::employee_a.eq(employee).or(buddy_pairs::employee_b.eq(employee)))
        .filter(buddy_pairs::status.ne("ended"))
        .select(PairRow::as_select())
        .first(c)
        .optional()?)
}

/// Whether the employee's trajectory runs (started, not ended), read with the trajectory held to
/// the end of the transaction (`FOR SHARE` on PostgreSQL): a stop committing meanwhile is waited
/// for and then found, or waits for this transaction and then ends the pair in its wind-down.
fn has_active_trajectory(c: &mut DbConnection, employee: &str) -> Result<bool, AppError> {
    let open = crate::trajectories::queries::open_of_employee_held(c, employee)?;
    Ok(open.is_some_and(|t| ["active", "returned", "aftercare"].contains(&t.status.as_str())))
}

fn coaches_either(c: &mut DbConnection, coach: &str, a: &str, b: &str) -> Result<bool, AppError> {
    Ok(crate::trajectories::queries::coaches(c, coach, a)? || crate::trajectories::queries::coaches(c, coach, b)?)
}

/// The pair if the caller may see it: its two employees, a coach of either, project leaders of
/// the organisation. On PostgreSQL its row is locked for the rest of the transaction: the routes
/// that load a pair change it (a confirmation and an end at the same moment take turns, and
/// neither writes over the other).
fn load(c: &mut DbConnection, caller: &Caller, id: &str) -> Result<PairRow, AppError> {
    let one = buddy_pairs::table.find(id);
    let p = match c {
        DbConnection::Pg(pg) => one.select(PairRow::as_select()).for_update().first(pg).optional()?,
        _ => one.select(PairRow::as_select()).first(c).optional()?,
    };
    let p = p.ok_or(AppError::NotFound)?;
    let visible = match caller.role {
        Role::Employee => caller.user_id == p.employee_a || caller.user_id == p.employee_b,
        Role::Coach => coaches_either(c, &caller.user_id, &p.employee_a, &p.employee_b)?,
        Role::ProjectLeader => caller.in_org(&p.organization_id),
        _ => false,
    };
    if visible {
        Ok(p)
    } else {
        Err(AppError::NotFound)
    }
}

fn render(c: &mut DbConnection, p: PairRow) -> Result<PairOut, AppError> {
    Ok(render_all(c, vec![p])?.remove(0))
}

/// Renders pairs with one query for all members' first names.
fn render_all(c: &mut DbConnection, pairs: Vec<PairRow>) -> Result<Vec<PairOut>, AppError> {
    use crate::db::schema::users;
    let ids: Vec<&String> = pairs.iter().flat_map(|p| [&p.employee_a, &p.employee_b]).collect();
    let names: std::collections::HashMap<String, String> = users::table
        .filter(one_of(users::id, &ids))
        .select((users::id, users::first_name))
        .load(c)?
        .into_iter()
        .collect();
    let member = |id: &str, confirmed: bool| PairMember {
        employee_id: id.to_string(),
        first_name: names.get(id).cloned().unwrap_or_default(),
        confirmed,
    };
    Ok(pairs
        .into_iter()
        .map(|p| PairOut {
            status: status(&p.status),
            members: vec![member(&p.employee_a, p.a_confirmed), member(&p.employee_b, p.b_confirmed)],
            id: p.id,
            created_at: p.created_at,
            ended_at: p.ended_at,
        })
        .collect())
}

/// Pairs with the caller's own employees. Coaches only (project leaders: `/buddy-pairs/summary`).
#[utoipa::path(tag = "buddies", params(PageQuery), responses((status = 200, body = Page<PairOut>)), security(("bearer" = [])))]
#[get("/buddy-pairs")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach])?;
    let (limit, after) = page.keyset::<NaiveDateTime>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // The pairs of those the caller coaches now (their latest trajectory), as one pair's own
        // page (`load`) decides: an earlier coach does not follow the person's later pairs.
        let ever: Vec<String> = trajectories::table
            .filter(trajectories::coach_id.eq(&caller.user_id))
            .select(trajectories::employee_id)
            .distinct()
            .load(c)?;
        // Their trajectories in one query, the latest (highest id) per person deciding, as
        // `trajectories::queries::coaches` decides for one.
        let mut latest: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (employee, id, coach) in trajectories::table
            .inner_join(users::table.on(users::id.eq(trajectories::employee_id)))
            .filter(users::erased_at.is_null())
            .filter(one_of(trajectories::employee_id, &ever))
            .select((trajectories::employee_id, trajectories::id, trajectories::coach_id))
            .load::<(String, String, String)>(c)?
        {
            match latest.get(&employee) {
                Some((newest, _)) if *newest > id => {}
                _ => {
                    latest.insert(employee, (id, coach));
                }
            }
        }
        let coached: Vec<String> =
            latest.into_iter().filter(|(_, (_, coach))| *coach == caller.user_id).map(|(e, _)| e).collect();
        // A pair with an erased person is kept for the counts only (see `trajectories::queries::in_scope`).
        let erased = || users::table.filter(users::erased_at.is_not_null()).select(users::id);
        let q = buddy_pairs::table
            .filter(one_of(buddy_pairs::employee_a, &coached).or(one_of(buddy_pairs::employee_b, &coached)))
            .filter(buddy_pairs::employee_a.ne_all(erased()))
            .filter(buddy_pairs::employee_b.ne_all(erased()))
            .order((buddy_pairs::created_at.desc(), buddy_pairs::id.desc()))
            .limit(limit + 1)
            .select(PairRow::as_select())
            .into_boxed();
        let q = after_key!(q, (buddy_pairs::created_at, buddy_pairs::id) < after);
        let rows = Page::from_rows(q.load::<PairRow>(c)?, limit, |p| key_cursor(&moment_key(&p.created_at), &p.id));
        let items = render_all(c, rows.items)?;
        items.iter().flat_map(|p| &p.members).for_each(|m| audit.shows(&m.employee_id));
        Ok(Page { items, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// How many pairs the organisation has, by status. Project leaders only (counts, no names).
#[utoipa::path(tag = "buddies", responses((status = 200, body = PairCounts)), security(("bearer" = [])))]
#[get("/buddy-pairs/summary")]
pub async fn summary(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::ProjectLeader])?;
    let org = caller.organization_id.clone().unwrap_or_default();
    let out = db::tx(&state.pool, caller.audit(), move |c, _| {
        let statuses: Vec<String> =
            buddy_pairs::table.filter(buddy_pairs::organization_id.eq(&org)).select(buddy_pairs::status).load(c)?;
        let n = |s: &str| statuses.iter().filter(|x| *x == s).count() as i64;
        Ok(PairCounts { proposed: n("proposed"), active: n("active"), ended: n("ended") })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Propose a pair of two employees of the organisation, both with an active trajectory and
/// neither in another pair (409). A coach of one of them, or a project leader. Both get an email.
#[utoipa::path(tag = "buddies", request_body = CreatePair, responses((status = 201, body = PairOut)), security(("bearer" = [])))]
#[post("/buddy-pairs")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreatePair>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader])?;
    let input = body.0;
    let org = caller.organization_id.clone().unwrap_or_default();
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        if input.employee_a == input.employee_b {
            return Err(AppError::field("employee_b", "Kies twee verschillende medewerkers."));
        }
        // One open pair per employee: two pairs proposed at once for the same person take turns
        // (PostgreSQL: both employees' rows locked, in one order), so the second sees the first.
        if let DbConnection::Pg(pg) = c {
            let mut both = [input.employee_a.as_str(), input.employee_b.as_str()];
            both.sort_unstable();
            users::table
                .filter(users::id.eq_any(both))
                .select(users::id)
                .order(users::id)
                .for_update()
                .load::<String>(pg)?;
        }
        // Before anything about the two is told (whether they are employees here, or in a
        // trajectory): a coach of neither is refused.
        if caller.is(Role::Coach) && !coaches_either(c, &caller.user_id, &input.employee_a, &input.employee_b)? {
            return Err(AppError::Forbidden);
        }
        let mut people: Vec<User> = Vec::new();
        for (field, id) in [("employee_a", &input.employee_a), ("employee_b", &input.employee_b)] {
            let u = match accounts::find_user(c, id) {
                Ok(u) if u.role() == Role::Employee && u.organization_id.as_deref() == Some(&org) => u,
                Ok(_) | Err(AppError::NotFound) => {
                    return Err(AppError::field(field, "Deze medewerker bestaat niet in jouw organisatie."))
                }
                Err(e) => return Err(e),
            };
            people.push(u);
        }
        let row = PairRow {
            id: new_id(),
            organization_id: org.clone(),
            employee_a: input.employee_a.clone(),
            employee_b: input.employee_b.clone(),
            status: "proposed".into(),
            a_confirmed: false,
            b_confirmed: false,
            a_contact: None,
            b_contact: None,
            proposed_by: caller.user_id.clone(),
            created_at: now(),
            ended_at: None,
            ended_by: None,
        };
        for (field, id) in [("employee_a", &input.employee_a), ("employee_b", &input.employee_b)] {
            if !has_active_trajectory(c, id)? {
                return Err(AppError::field(field, "Deze medewerker heeft geen actief traject."));
            }
        }
        for id in [&input.employee_a, &input.employee_b] {
            if open_pair_of(c, id)?.is_some() {
                return Err(AppError::Conflict("Een van deze medewerkers heeft al een buddy.".into()));
            }
        }
        diesel::insert_into(buddy_pairs::table).values(&row).execute(c)?;
        audit.about(&row.employee_a);
        audit.shows(&row.employee_b);
        audit.detail(serde_json::json!({"employee_b": row.employee_b}));
        let org_name = accounts::find_organization(c, &org)?.name;
        for (me, other) in [(&people[0], &people[1]), (&people[1], &people[0])] {
            let vars = BTreeMap::from([
                ("first_name", me.first_name.clone()),
                ("organization", org_name.clone()),
                ("buddy", other.first_name.clone()),
                ("link", crate::mail::links::buddy(&st.config.public_url)),
            ]);
            outbox::queue(
                c,
                &st.templates,
                Mail {
                    template: "buddy-proposed",
                    to: &me.email,
                    vars,
                    about: Some(format!("buddy:{}", row.id)),
                    not_before: None,
                    send_before: None,
                },
            )?;
        }
        render(c, row)
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Say yes to a proposed pair, with the contact to share. One of the pair's two employees. The
/// pair is active when both said yes. 409 once the pair ended, or a trajectory of the two no
/// longer runs.
#[utoipa::path(tag = "buddies", params(("id" = String, Path)), request_body = ConfirmPair, responses((status = 200, body = MyBuddy)), security(("bearer" = [])))]
#[post("/buddy-pairs/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<ConfirmPair>,
) -> Result<HttpResponse, AppError> {
    let contact = body.0.contact;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // Both trajectories held before the pair is locked, in the order a stop takes them (the
        // trajectory, then in its wind-down the pair): the other way round the two would deadlock.
        // A pair's members never change, so they are read without a lock.
        let members: Option<(String, String)> = buddy_pairs::table
            .find(id.as_str())
            .select((buddy_pairs::employee_a, buddy_pairs::employee_b))
            .first(c)
            .optional()?;
        let running = match &members {
            Some((a, b)) => has_active_trajectory(c, a)? && has_active_trajectory(c, b)?,
            None => false,
        };
        let p = load(c, &caller, &id)?;
        caller.require(&[Role::Employee])?;
        audit.about(&caller.user_id);
        if p.status == "ended" {
            return Err(AppError::Conflict("Dit buddy-koppel is al gestopt.".into()));
        }
        // A stop ends the pair in its wind-down; a pair proposed as that stop committed (or one
        // whose trajectory ended otherwise) does not become active, nor share a contact.
        if !running {
            return Err(AppError::Conflict(
                "Dit buddy-koppel gaat niet door: het traject van een van jullie is gestopt of afgesloten.".into(),
            ));
        }
        let is_a = p.employee_a == caller.user_id;
        let (a_ok, b_ok) = if is_a { (true, p.b_confirmed) } else { (p.a_confirmed, true) };
        let this = buddy_pairs::id.eq(&p.id);
        if is_a {
            let confirm = (buddy_pairs::a_confirmed.eq(true), buddy_pairs::a_contact.eq(Some(&contact)));
            update(buddy_pairs::table, confirm, this).execute(c)?;
        } else {
            let confirm = (buddy_pairs::b_confirmed.eq(true), buddy_pairs::b_contact.eq(Some(&contact)));
            update(buddy_pairs::table, confirm, this).execute(c)?;
        }
        if a_ok && b_ok {
            update(buddy_pairs::table, buddy_pairs::status.eq("active"), this).execute(c)?;
        }
        my_buddy(c, &caller.user_id, audit)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// End a pair. Either employee, a coach of either, or a project leader.
#[utoipa::path(tag = "buddies", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
#[delete("/buddy-pairs/{id}")]
pub async fn end(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    db::tx(&state.pool, caller.audit(), move |c, audit| {
        let p = load(c, &caller, &id)?;
        audit.about(&p.employee_a);
        audit.shows(&p.employee_b);
        audit.detail(serde_json::json!({"employee_b": p.employee_b}));
        end_pairs(c, std::slice::from_ref(&p.id), &caller.user_id, now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends the pairs `ids` that have not ended yet (by `DELETE /buddy-pairs/{id}`, or with a
/// trajectory's stop or close), and takes back a proposal's mail that has not gone out: it would
/// propose a pair that has ended, or tell the other of someone who has left. The pair before its
/// mail, as every change to a pair takes them. The contact details go: they were given for the
/// pair, and nobody is shown them once it has ended.
pub fn end_pairs(c: &mut DbConnection, ids: &[String], actor: &str, at: NaiveDateTime) -> Result<(), AppError> {
    update(
        buddy_pairs::table,
        (
            buddy_pairs::status.eq("ended"),
            buddy_pairs::ended_at.eq(at),
            buddy_pairs::ended_by.eq(actor),
            buddy_pairs::a_contact.eq(None::<String>),
            buddy_pairs::b_contact.eq(None::<String>),
        ),
        buddy_pairs::id.eq_any(ids).and(buddy_pairs::status.ne("ended")),
    )
    .execute(c)?;
    for id in ids {
        outbox::cancel(c, &format!("buddy:{id}"))?;
    }
    Ok(())
}

/// The employee's buddy as they see it. Their first name and contact are the buddy's data: the
/// entry names the buddy, so the buddy's inzage shows who saw them.
pub fn my_buddy(c: &mut DbConnection, me: &str, audit: &mut AuditEntry) -> Result<Option<MyBuddy>, AppError> {
    let Some(p) = open_pair_of(c, me)? else { return Ok(None) };
    let is_a = p.employee_a == me;
    let other = accounts::find_user(c, if is_a { &p.employee_b } else { &p.employee_a })?;
    audit.shows(&other.id);
    let active = p.status == "active";
    Ok(Some(MyBuddy {
        status: status(&p.status),
        buddy_first_name: other.first_name,
        buddy_contact: if active {
            if is_a {
                p.b_contact.clone()
            } else {
                p.a_contact.clone()
            }
        } else {
            None
        },
        i_confirmed: if is_a { p.a_confirmed } else { p.b_confirmed },
        pair_id: p.id,
    }))
}

/// The caller's buddy (proposed or active): first name and shared contact only. Employees; 404
/// when there is none.
#[utoipa::path(tag = "buddies", responses((status = 200, body = MyBuddy)), security(("bearer" = [])))]
#[get("/me/buddy")]
pub async fn mine(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Employee])?;
    let out = db::audited_read_by_key(&state.pool, caller.audit(), move |c, audit| {
        my_buddy(c, &caller.user_id, audit)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
