//! Card links, cards, the print sheet and blocking.

use std::collections::BTreeMap;

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::accounts::queries as accounts;
use crate::accounts::throttle;
use crate::accounts::tokens::{hash_token, random_token};
use crate::db::one_of::one_of;
use crate::db::reuse::update;
use crate::db::schema::{card_links, cards, outbox as outbox_table};
use crate::db::{self, new_id, now};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{after_key, key_cursor, moment_key, Page, PageQuery};
use crate::http::query::Query;
use crate::mail::outbox::{self, Mail};
use crate::policy::{Caller, Role};
use crate::trajectories::queries as trajectories;
use crate::AppState;

/// Cards one address may write per hour (on any link). Above what a team link holds (50): a team
/// behind one office address shares it, and each link's own uses bound what reaches the employee.
const PER_ADDRESS: throttle::Limits = throttle::Limits { max_failures: 60, window: TimeDelta::hours(1) };

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// By email to the employee.
    Email,
    /// On a print sheet the coach hands over.
    Print,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardLinkIn {
    /// How the employee wants to receive cards.
    pub delivery: Delivery,
    /// Days the link works (1-60, default 14).
    #[validate(range(min = 1, max = 60, message = "Kies 1 tot 60 dagen."))]
    pub valid_days: Option<i64>,
    /// How many cards the link accepts (1-50). Default 1: a link for one colleague, used once
    /// (DOMAIN.md); more for a link that a whole team shares.
    #[validate(range(min = 1, max = 50, message = "Kies 1 tot 50 kaartjes."))]
    pub max_uses: Option<i32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardLinkOut {
    pub id: String,
    /// Give this link to colleagues; it is shown only now.
    pub url: String,
    pub token: String,
    pub delivery: Delivery,
    pub max_uses: i32,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardIn {
    /// The colleague's name as it should appear on the card.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 100, message = "Vul je naam in (hoogstens 100 tekens).")
    )]
    pub name: String,
    /// A short message, at most 1,000 characters. No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 1, max = 1000, message = "Schrijf een bericht van hoogstens 1.000 tekens.")
    )]
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardThanks {
    pub detail: String,
    /// The only thing a colleague learns about the employee.
    pub employee_first_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardOut {
    pub id: String,
    pub author_name: String,
    pub message: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CoachCard {
    pub id: String,
    pub author_name: String,
    pub message: String,
    pub delivery: Delivery,
    pub blocked: bool,
    /// Held until this moment; the coach can stop the card before.
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub deliver_after: NaiveDateTime,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardUpdate {
    /// true: never deliver this card.
    pub blocked: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CardListQuery {
    /// `1` for a printable HTML sheet of every card that may be handed over (one sheet, not paged).
    pub printable: Option<u8>,
    /// Items per page (1-200, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = card_links)]
struct LinkRow {
    id: String,
    trajectory_id: String,
    delivery: String,
    max_uses: i32,
    uses: i32,
    expires_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = cards)]
struct CardRow {
    id: String,
    trajectory_id: String,
    link_id: String,
    author_name: String,
    message: String,
    delivery: String,
    blocked: bool,
    blocked_by: Option<String>,
    deliver_after: NaiveDateTime,
    created_at: NaiveDateTime,
}

fn delivery(s: &str) -> Delivery {
    if s == "print" {
        Delivery::Print
    } else {
        Delivery::Email
    }
}

/// Make a one-time link for colleagues. Only the trajectory's own coach. 409 once the trajectory has ended, or before method consent.
#[utoipa::path(tag = "cards", params(("id" = String, Path)), request_body = CardLinkIn, responses((status = 201, body = CardLinkOut)), security(("bearer" = [])))]
#[post("/trajectories/{id}/card-links")]
pub async fn create_link(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<CardLinkIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let public = state.config.public_url.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        t.accepts_records()?;
        let token = random_token();
        let ts = now();
        let expires_at = ts + TimeDelta::days(input.valid_days.unwrap_or(14));
        let max_uses = input.max_uses.unwrap_or(1);
        let link_id = new_id();
        diesel::insert_into(card_links::table)
            .values((
                card_links::id.eq(&link_id),
                card_links::trajectory_id.eq(&t.id),
                card_links::token_hash.eq(hash_token(&token)),
                card_links::delivery.eq(if input.delivery == Delivery::Print { "print" } else { "email" }),
                card_links::max_uses.eq(max_uses),
                card_links::uses.eq(0),
                card_links::created_by.eq(&caller.user_id),
                card_links::created_at.eq(ts),
                card_links::expires_at.eq(expires_at),
            ))
            .execute(c)?;
        Ok(CardLinkOut {
            id: link_id,
            url: crate::mail::links::card(&public, &token),
            token,
            delivery: input.delivery,
            max_uses,
            expires_at,
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// What a colleague sees above the form, before writing; `hold_hours` as configured.
pub fn guidance(hold_hours: i64) -> String {
    let when = match hold_hours {
        h if h <= 0 => "meteen bezorgd".to_string(),
        1 => "na een uur bezorgd, zodat de coach het eerst kan lezen".to_string(),
        h => format!("na {h} uur bezorgd, zodat de coach het eerst kan lezen"),
    };
    format!(
        "Schrijf een kort, vriendelijk bericht: dat je aan je collega denkt, iets van het werk, een groet van het team. \
         Schrijf niets over de ziekte, een behandeling of andere medische dingen. Je bericht wordt {when}."
    )
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardLinkView {
    /// For whom the card is: only their first name.
    pub employee_first_name: String,
    pub organization: String,
    /// What to keep in mind while writing (plain Dutch, to show above the form).
    pub guidance: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: NaiveDateTime,
}

/// What a colleague sees before writing a card: for whom, and what not to write (nothing about
/// health). Public (no account); the link is the key. Spent or expired links answer 410.
#[utoipa::path(tag = "cards", params(("token" = String, Path)), responses((status = 200, body = CardLinkView)))]
#[get("/cards/{token}")]
pub async fn open_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let hash = hash_token(&token);
    let hold_hours = state.config.card_hold_hours;
    let out = db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "card.link_opened"), move |c, audit| {
        let (link, t) = usable_link(c, &hash, audit)?;
        let employee = accounts::find_user(c, &t.employee_id)?;
        let org = accounts::find_organization(c, &t.organization_id)?;
        Ok(CardLinkView {
            employee_first_name: employee.first_name,
            organization: org.name,
            guidance: guidance(hold_hours),
            expires_at: link.expires_at,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The link of `hash` with its trajectory, while a card can still be written through it: 404 for
/// no such link, 410 for one spent, expired, or of a trajectory that has ended.
fn usable_link(
    c: &mut crate::db::DbConnection,
    hash: &str,
    audit: &mut crate::privacy::audit::AuditEntry,
) -> Result<(LinkRow, crate::trajectories::model::Trajectory), AppError> {
    let link: LinkRow = card_links::table
        .filter(card_links::token_hash.eq(hash))
        .select(LinkRow::as_select())
        .first(c)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let before = trajectories::find(c, &link.trajectory_id)?;
    if !before.is_open() {
        return Err(ended());
    }
    if link.expires_at <= now() || link.uses >= link.max_uses {
        return Err(gone());
    }
    // Held, the person first as an erasure takes them (the card's mail holds them too): a card
    // written as the trajectory stops is either refused here or stopped by the stop.
    accounts::hold_user(c, &before.employee_id)?;
    let t = trajectories::find_held(c, &link.trajectory_id)?;
    audit.about_trajectory(&t.employee_id, &t.organization_id);
    if !t.is_open() {
        return Err(ended());
    }
    Ok((link, t))
}

/// A link of a trajectory that has ended, spent or not. Not "ask for a new link": an ended
/// trajectory gets none. Nor why: that the colleague stopped or finished is not the writer's to
/// know.
fn ended() -> AppError {
    AppError::Gone("Via deze link kun je geen kaartje meer sturen. Bedankt dat je aan je collega dacht.".into())
}

fn gone() -> AppError {
    AppError::Gone(
        "Deze link werkt niet meer: hij is verlopen of al vaak genoeg gebruikt. Vraag de coach om een nieuwe link."
            .into(),
    )
}

/// A colleague writes a card. Public (no account); the link is the key. Spent or expired links
/// answer 410; too many cards from one address 429.
#[utoipa::path(tag = "cards", params(("token" = String, Path)), request_body = CardIn, responses((status = 201, body = CardThanks)))]
#[post("/cards/{token}")]
pub async fn write_card(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: ValidJson<CardIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let ip = state.config.trusted_proxies.client_address(&req);
    let hash = hash_token(&token);
    let st = state.clone();
    let out = db::tx(&state.pool, crate::http::auth::anonymous_audit(&req, "card.written"), move |c, audit| {
        let key = format!("card-{}", throttle::address_key(&ip));
        throttle::check(c, &key)?;
        let (link, t) = usable_link(c, &hash, audit)?;
        throttle::count_attempt(c, &key, &PER_ADDRESS)?;
        // Counted in the database, and only while a use is left: cards sent at the same moment
        // through a one-card link cannot both get through.
        let use_left = card_links::id.eq(&link.id).and(card_links::uses.lt(card_links::max_uses));
        if update(card_links::table, card_links::uses.eq(card_links::uses + 1), use_left).execute(c)? == 0 {
            return Err(gone());
        }
        let ts = now();
        let card = CardRow {
            id: new_id(),
            trajectory_id: t.id.clone(),
            link_id: link.id.clone(),
            author_name: input.name.trim().to_string(),
            message: input.message.trim().to_string(),
            delivery: link.delivery.clone(),
            blocked: false,
            blocked_by: None,
            deliver_after: ts + TimeDelta::hours(st.config.card_hold_hours.max(0)),
            created_at: ts,
        };
        diesel::insert_into(cards::table).values(&card).execute(c)?;
        let employee = accounts::find_user(c, &t.employee_id)?;
        if link.delivery == "email" {
            queue_mail(c, &st.templates, &card, &employee, &t.organization_id)?;
        }
        if card.deliver_after > ts {
            tell_the_coach(c, &st, &t, &employee, &card)?;
        }
        Ok(CardThanks {
            detail: format!("Dank je wel! Je kaartje voor {} is ontvangen.", employee.first_name),
            employee_first_name: employee.first_name,
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Tells the trajectory's coach that a card waits out its hold: the hold is for the coach to read
/// it first, and a coach who is not told would have to look every day. Not while another card of
/// the trajectory is on hold: the coach was told of that one and will find this beside it (a team
/// writing fifty cards in a morning is one mail). It says when the card goes.
fn tell_the_coach(
    c: &mut db::DbConnection,
    st: &AppState,
    t: &crate::trajectories::model::Trajectory,
    employee: &crate::accounts::model::User,
    card: &CardRow,
) -> Result<(), AppError> {
    let on_hold: i64 = cards::table
        .filter(cards::trajectory_id.eq(&t.id))
        .filter(cards::id.ne(&card.id))
        .filter(cards::blocked.eq(false))
        .filter(cards::deliver_after.gt(card.created_at))
        .count()
        .get_result(c)?;
    if on_hold > 0 {
        return Ok(());
    }
    notify_coach(c, st, t, employee, card.deliver_after)
}

/// A trajectory handed to another coach (`t` as it is now): the notice of a card on hold still
/// waiting for the coach before, who no longer coaches the person, is taken back, and while a card
/// is on hold the new coach is told of the first to go (the others go after it, as they would
/// have found them beside it).
pub fn hand_over_notice(
    c: &mut db::DbConnection,
    st: &AppState,
    t: &crate::trajectories::model::Trajectory,
) -> Result<(), AppError> {
    outbox::cancel(c, &format!("card-waiting:{}", t.id))?;
    // An ended trajectory has no card on hold (its stop held them back).
    if !t.is_open() {
        return Ok(());
    }
    let first_to_go: Option<NaiveDateTime> = cards::table
        .filter(cards::trajectory_id.eq(&t.id))
        .filter(cards::blocked.eq(false))
        .filter(cards::deliver_after.gt(now()))
        .select(diesel::dsl::min(cards::deliver_after))
        .first(c)?;
    let Some(goes) = first_to_go else { return Ok(()) };
    let employee = accounts::find_user(c, &t.employee_id)?;
    notify_coach(c, st, t, &employee, goes)
}

/// Queues the notice to the trajectory's coach that a card for `employee` is on hold until `goes`.
fn notify_coach(
    c: &mut db::DbConnection,
    st: &AppState,
    t: &crate::trajectories::model::Trajectory,
    employee: &crate::accounts::model::User,
    goes_at: NaiveDateTime,
) -> Result<(), AppError> {
    let about = format!("card-waiting:{}", t.id);
    let coach = accounts::find_user(c, &t.coach_id)?;
    let org = accounts::find_organization(c, &t.organization_id)?;
    let goes = chrono::TimeZone::from_utc_datetime(&st.config.time_zone, &goes_at).naive_local();
    let vars = BTreeMap::from([
        ("first_name", coach.first_name.clone()),
        ("organization", org.name),
        ("employee", employee.first_name.clone()),
        ("when", crate::groups::routes::dutch_when(goes)),
        ("link", crate::mail::links::cards(&st.config.public_url, &t.id)),
    ]);
    outbox::queue(
        c,
        &st.templates,
        outbox::Mail {
            template: "card-waiting",
            to: &coach.email,
            vars,
            about: Some(about),
            not_before: None,
            send_before: Some(goes_at),
        },
    )?;
    Ok(())
}

/// Queues the mail that brings `card` to `employee`, after its hold.
fn queue_mail(
    c: &mut db::DbConnection,
    templates: &crate::mail::templates::Templates,
    card: &CardRow,
    employee: &crate::accounts::model::User,
    organization_id: &str,
) -> Result<(), AppError> {
    let org = accounts::find_organization(c, organization_id)?;
    let vars = BTreeMap::from([
        ("first_name", employee.first_name.clone()),
        ("organization", org.name),
        ("author", card.author_name.clone()),
        ("message", card.message.clone()),
    ]);
    let mail = Mail {
        template: "card-received",
        to: &employee.email,
        vars,
        about: Some(format!("card:{}", card.id)),
        not_before: Some(card.deliver_after),
        send_before: None,
    };
    outbox::queue(c, templates, mail)?;
    Ok(())
}

/// The caller's cards (not stopped, after the hold), newest first. Employees.
#[utoipa::path(tag = "cards", params(PageQuery), responses((status = 200, body = Page<CardOut>)), security(("bearer" = [])))]
#[get("/me/cards")]
pub async fn mine(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Employee])?;
    let (limit, after) = page.keyset::<NaiveDateTime>()?;
    let out = db::tx(&state.pool, caller.audit(), move |c, _| {
        let ids: Vec<String> = crate::db::schema::trajectories::table
            .filter(crate::db::schema::trajectories::employee_id.eq(&caller.user_id))
            .select(crate::db::schema::trajectories::id)
            .load(c)?;
        let q = cards::table
            .filter(one_of(cards::trajectory_id, &ids))
            .filter(cards::blocked.eq(false))
            .filter(cards::deliver_after.le(now()))
            .order((cards::created_at.desc(), cards::id.desc()))
            .limit(limit + 1)
            .select(CardRow::as_select())
            .into_boxed();
        let q = after_key!(q, (cards::created_at, cards::id) < after);
        let rows = Page::from_rows(q.load::<CardRow>(c)?, limit, |r| key_cursor(&moment_key(&r.created_at), &r.id));
        let items = rows
            .items
            .into_iter()
            .map(|r| CardOut { id: r.id, author_name: r.author_name, message: r.message, created_at: r.created_at })
            .collect();
        Ok(Page { items, next_cursor: rows.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Every card of a trajectory with its state, oldest first, a page at a time; `?printable=1` gives
/// a print sheet of the cards to hand over. The trajectory's coach and project leaders.
#[utoipa::path(tag = "cards", params(("id" = String, Path), CardListQuery), responses(
    (status = 200, description = "The cards, or with `?printable=1` a print sheet", content(
        (Page<CoachCard> = "application/json"),
        (String = "text/html"),
    )),
), security(("bearer" = [])))]
#[get("/trajectories/{id}/cards")]
pub async fn of_trajectory(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: Query<CardListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let printable = match q.printable {
        None => false,
        Some(1) => true,
        Some(_) => return Err(AppError::field("printable", "Kies 1 voor het printblad, of laat 'printable' weg.")),
    };
    let (limit, after) = PageQuery { limit: q.limit, cursor: q.cursor }.keyset::<NaiveDateTime>()?;
    let (rows, first_name) = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        let q = cards::table
            .filter(cards::trajectory_id.eq(&t.id))
            .order((cards::created_at, cards::id))
            .select(CardRow::as_select())
            .into_boxed();
        let rows = if printable {
            Page { items: q.load(c)?, next_cursor: None }
        } else {
            let q = after_key!(q.limit(limit + 1), (cards::created_at, cards::id) > after);
            Page::from_rows(q.load::<CardRow>(c)?, limit, |r| key_cursor(&moment_key(&r.created_at), &r.id))
        };
        Ok((rows, accounts::find_user(c, &t.employee_id)?.first_name))
    })
    .await?;
    if printable {
        let mut html = format!(
            "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Kaartjes voor {name}</title><style>\
             body{{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:16pt}} .card{{border:2px dashed #555;padding:1em;margin:1em 0;break-inside:avoid}} \
             .from{{font-weight:bold;margin-top:.6em}}</style></head><body><h1>Kaartjes voor {name}</h1>",
            name = esc(&first_name)
        );
        for r in rows.items.iter().filter(|r| !r.blocked && r.deliver_after <= now()) {
            html.push_str(&format!(
                "<div class=\"card\"><p>{}</p><p class=\"from\">{}</p></div>",
                esc(&r.message).replace('\n', "<br>"),
                esc(&r.author_name)
            ));
        }
        html.push_str("</body></html>");
        return Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html));
    }
    let items = rows
        .items
        .into_iter()
        .map(|r| CoachCard {
            delivery: delivery(&r.delivery),
            id: r.id,
            author_name: r.author_name,
            message: r.message,
            blocked: r.blocked,
            deliver_after: r.deliver_after,
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: rows.next_cursor }))
}

/// Stop a card (e.g. hurtful): it is never delivered. The trajectory's own coach, and project
/// leaders of the organisation (when the coach is away, someone must be able to; letting a card
/// through again is the coach's, 403 for them); 409 when the card was already sent.
#[utoipa::path(tag = "cards", params(("id" = String, Path)), request_body = CardUpdate, responses((status = 200, body = CoachCard)), security(("bearer" = [])))]
#[patch("/cards/{id}")]
pub async fn block(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<CardUpdate>,
) -> Result<HttpResponse, AppError> {
    let blocked = body.0.blocked;
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let row: CardRow = cards::table
            .find(id.as_str())
            .select(CardRow::as_select())
            .first(c)
            .optional()?
            .ok_or(AppError::NotFound)?;
        // For change (PostgreSQL), the person first as an erasure takes them (the card's mail holds
        // them too): a card let through as the trajectory stops is either refused below or
        // stopped by the stop.
        let employee = trajectories::load_in_scope(c, &caller, &row.trajectory_id)?.employee_id;
        accounts::hold_user(c, &employee)?;
        let t = trajectories::load_for_change(c, &caller, &row.trajectory_id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        // In scope: a project leader of the trajectory's organisation, who may stop a card (the
        // coach away) but not let one through: that is the coach's judgement of the card.
        if !caller.is(Role::ProjectLeader) {
            caller.require_coach_of(&t.coach_id)?;
        } else if !blocked {
            return Err(AppError::Forbidden);
        }
        let about = format!("card:{}", row.id);
        if blocked {
            // First stop what is still queued, then look for what is not: the worker may have
            // taken the mail meanwhile (on PostgreSQL the cancel waits for its claim to commit).
            // Mail being sent is left to the worker: it may arrive, so the card is not stopped.
            outbox::cancel_queued(c, &about)?;
            // Also on its way: mail something else stopped (a corrected address) while a worker
            // was sending it; the worker's claim still holds.
            let cancelled_in_flight = outbox_table::status.eq("cancelled").and(outbox_table::locked_until.gt(now()));
            let sent: i64 = outbox_table::table
                .filter(outbox_table::subject_ref.eq(&about))
                .filter(one_of(outbox_table::status, ["sending", "sent"]).or(cancelled_in_flight))
                .count()
                .get_result(c)?;
            // A mailed card whose mail is gone from the outbox went out (the housekeeping clears
            // sent mail after a week); one still held or stopped has its mail there.
            let mail_cleared = row.delivery == "email"
                && !row.blocked
                && row.deliver_after <= now()
                && outbox_table::table.filter(outbox_table::subject_ref.eq(&about)).count().get_result::<i64>(c)? == 0;
            if sent > 0 || mail_cleared {
                return Err(AppError::Conflict(
                    "Dit kaartje is al bezorgd of wordt nu bezorgd, en kan niet meer worden tegengehouden.".into(),
                ));
            }
        } else if row.blocked {
            // A stop or the close ended the card's way to the employee (`wind_down`).
            if !t.is_open() {
                return Err(AppError::Conflict(
                    "Dit traject is gestopt of afgesloten: dit kaartje wordt niet meer bezorgd.".into(),
                ));
            }
            // Let through after all: the mail that the block stopped goes out, after the hold. It
            // is written anew when the housekeeping deleted it (stopped mail goes after a week)
            // or it was for an address corrected since.
            let employee = accounts::find_user(c, &t.employee_id)?;
            let restored = outbox::restore(c, &about, &employee.email, row.deliver_after)?;
            if row.delivery == "email" && restored == 0 {
                let on_its_way: i64 = outbox_table::table
                    .filter(outbox_table::subject_ref.eq(&about))
                    .filter(one_of(outbox_table::status, ["queued", "sending", "sent"]))
                    .count()
                    .get_result(c)?;
                if on_its_way == 0 {
                    queue_mail(c, &st.templates, &row, &employee, &t.organization_id)?;
                }
            }
        }
        let block = (cards::blocked.eq(blocked), cards::blocked_by.eq(blocked.then(|| caller.user_id.clone())));
        update(cards::table, block, cards::id.eq(&row.id)).execute(c)?;
        Ok(CoachCard {
            id: row.id,
            author_name: row.author_name,
            message: row.message,
            delivery: delivery(&row.delivery),
            blocked,
            deliver_after: row.deliver_after,
            created_at: row.created_at,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
