//! Privacy endpoints: the audit log, inzage, erasure.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{erase, inzage, subject_sets};
use crate::db::one_of::one_of;
use crate::db::prefix::starts_with;
use crate::db::schema::audit_log;
use crate::db::{self};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{check_id_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::api::Status;
use crate::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditOut {
    pub id: String,
    #[serde(with = "crate::http::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    pub route: String,
    pub request_id: String,
    /// JSON text: filters and row counts of exports, the reason of an erasure. Absent for an
    /// employee.
    pub detail: Option<String>,
    /// The persons a list showed (besides `subject_id`), by id; empty for other entries, and for
    /// an employee.
    pub listed: Vec<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct AuditRow {
    id: String,
    at: NaiveDateTime,
    actor_id: Option<String>,
    actor_role: Option<String>,
    action: String,
    subject_id: Option<String>,
    organization_id: Option<String>,
    route: String,
    request_id: String,
    detail: Option<String>,
    subject_set: Option<String>,
}

impl AuditRow {
    fn out(self, listed: Vec<String>) -> AuditOut {
        AuditOut {
            id: self.id,
            at: self.at,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            action: self.action,
            subject_id: self.subject_id,
            organization_id: self.organization_id,
            route: self.route,
            request_id: self.request_id,
            detail: self.detail,
            listed,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Entries about this person: reads and changes of their data, and lists that showed them.
    pub subject: Option<String>,
    /// Actions starting with exactly this text (case-sensitive), e.g. `GET /api/v1/trajectories` or
    /// `login`.
    pub action: Option<String>,
    /// Entries from this day on (the organisations' calendar, `WILKAN_TIME_ZONE`).
    #[serde(default, deserialize_with = "crate::http::dates::plausible")]
    pub from: Option<NaiveDate>,
    /// Entries up to and including this day (the organisations' calendar).
    #[serde(default, deserialize_with = "crate::http::dates::plausible")]
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The audit log, newest first: admins all of it, project leaders their organisation's, an
/// employee the entries about them (`subject` is then always themself; 403 for anyone else's).
/// An employee's entries leave out `detail` and `listed`, which may name other people. Entries
/// cannot be changed or deleted through the API. A look by staff leaves an entry too, about the
/// `subject` asked for.
#[utoipa::path(tag = "privacy", params(AuditFilter), responses((status = 200, body = Page<AuditOut>)), security(("bearer" = [])))]
#[get("/audit")]
pub async fn audit_log_list(
    state: web::Data<AppState>,
    caller: Caller,
    f: Query<AuditFilter>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Admin, Role::ProjectLeader, Role::Employee])?;
    let mut f = f.into_inner();
    let limit = PageQuery { limit: f.limit, cursor: None }.limit()?;
    check_id_cursor(f.cursor.as_deref())?;
    // An empty page would read as "nobody looked".
    if let (Some(from), Some(to)) = (f.from, f.to) {
        if to < from {
            return Err(AppError::field(
                "to",
                "De einddatum ligt vóór de begindatum. Kies een einddatum op of na de begindatum.",
            ));
        }
    }
    let own_only = caller.is(Role::Employee);
    if own_only {
        if f.subject.as_ref().is_some_and(|s| *s != caller.user_id) {
            return Err(AppError::Forbidden);
        }
        f.subject = Some(caller.user_id.clone());
    }
    // A look at who read whose data is itself a read of it: the entry names the person asked
    // about, so their inzage shows who looked (an employee's look at their own leaves none).
    let mut entry = caller.audit();
    if let Some(s) = &f.subject {
        entry.about(s);
    }
    if let Some(o) = caller.organization_id.as_deref().filter(|_| caller.is(Role::ProjectLeader)) {
        entry.in_org(o);
    }
    let zone = state.config.time_zone;
    // A project leader without an organisation sees nothing, not everything.
    let org = caller.is(Role::ProjectLeader).then(|| caller.organization_id.clone().unwrap_or_default());
    let rows = db::tx(&state.pool, entry, move |c, _| {
        let rows = audit_page(c, org.as_deref(), f, zone, limit)?;
        let sets: Vec<&str> = rows.iter().filter_map(|r| r.subject_set.as_deref()).collect();
        let members = subject_sets::members(c, &sets)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                if own_only {
                    return AuditOut { detail: None, ..r.out(Vec::new()) };
                }
                let listed = r.subject_set.as_ref().and_then(|s| members.get(s).cloned()).unwrap_or_default();
                r.out(listed)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |a: &AuditOut| a.id.clone())))
}

/// An entry's id is a UUIDv7 of its `at` (`audit::write_knowing`). Entries of versions before
/// 2026-12-07 took theirs a few microseconds apart, from a context that keeps ids rising; the
/// margin takes those in too, unless the clock stepped back by more.
const ID_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// A page of the audit log, newest first: a project leader's is their organisation's (`org`).
/// Paged by id, which `audit_org_pages (organization_id, id)` holds in order: the page is read
/// from the index and stops after `limit` entries, where by `(organization_id, at)` every entry
/// of the organisation was read and sorted (38-40 ms a page at 30,000 entries). On SQLite a
/// range of days is a range of ids as well, read the same way.
fn audit_page(
    c: &mut db::DbConnection,
    org: Option<&str>,
    f: AuditFilter,
    zone: chrono_tz::Tz,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let mut q =
        audit_log::table.order(audit_log::id.desc()).limit(limit + 1).select(AuditRow::as_select()).into_boxed();
    if let Some(o) = org {
        q = q.filter(audit_log::organization_id.eq(o.to_string()));
    }
    if let Some(v) = f.actor {
        q = q.filter(audit_log::actor_id.eq(v));
    }
    if let Some(v) = f.subject {
        let sets = subject_sets::sets_of(c, &v)?;
        q = q.filter(audit_log::subject_id.eq(v).or(one_of(audit_log::subject_set.assume_not_null(), sets)));
    }
    if let Some(v) = f.action {
        q = q.filter(starts_with(audit_log::action, &v));
    }
    // Days on the organisations' calendar: from their midnight to the next. `at` decides. On
    // SQLite the same range of ids lets a page of those days be read in order from the index
    // (SQLite plans from a sample, without the distribution of `at`, and compares text byte by
    // byte). PostgreSQL knows the distribution of `at` and picks `audit_at` for a narrow range
    // itself; there text compares by the database's collation, in which hexadecimal need not
    // sort as it does byte by byte.
    let by_id = matches!(c, db::DbConnection::Sqlite(_));
    let midnight = |d: chrono::NaiveDate| crate::local_time::to_utc(zone, d.and_time(chrono::NaiveTime::MIN));
    if let Some(d) = f.from {
        let start = midnight(d);
        q = q.filter(audit_log::at.ge(start));
        if by_id {
            q = q.filter(audit_log::id.ge(db::first_id_at(start - ID_MARGIN)));
        }
    }
    if let Some(d) = f.to {
        let end = midnight(d + chrono::Duration::days(1));
        q = q.filter(audit_log::at.lt(end));
        if by_id {
            q = q.filter(audit_log::id.lt(db::first_id_at(end + ID_MARGIN)));
        }
    }
    if let Some(c) = f.cursor {
        q = q.filter(audit_log::id.lt(c));
    }
    Ok(q.load(c)?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DataQuery {
    /// `zip` for a ZIP with the JSON and a readable HTML page.
    pub format: Option<String>,
}

/// Everything Wilkan holds about the caller (inzage), including who looked at their data. Any
/// logged-in user, about themself. The coach's private weighings are left out (see `not_included`).
#[utoipa::path(tag = "privacy", params(DataQuery), responses(
    (status = 200, description = "Everything held about the caller, or with `?format=zip` as a zip file", content(
        (Object = "application/json"),
        (Vec<u8> = "application/zip"),
    )),
), security(("bearer" = [])))]
#[get("/me/data")]
pub async fn my_data(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<DataQuery>,
) -> Result<HttpResponse, AppError> {
    let zip = match q.format.as_deref() {
        None | Some("json") => false,
        Some("zip") => true,
        Some(_) => return Err(AppError::field("format", "Kies json of zip.")),
    };
    let mut entry = caller.audit().named("inzage");
    entry.about(&caller.user_id);
    let zone = state.config.time_zone;
    let st = state.clone();
    let read = db::tx(&state.pool, entry, move |c, audit| {
        let offered: inzage::Offered = st
            .content
            .courses
            .iter()
            .map(|c| (c.slug.as_str(), c.pages.iter().map(|p| p.id.as_str()).collect()))
            .collect();
        inzage::collect(c, &caller, audit, zone, &offered)
    })
    .await?;
    let mut doc = read.document;
    let learning = crate::courses::courses_with(&state, read.learning)?;
    doc["learning"] = serde_json::to_value(learning.items).unwrap_or_default();
    doc["learning_of_courses_no_longer_offered"] = serde_json::Value::Array(read.learning_no_longer_offered);
    doc["learning_of_pages_no_longer_offered"] = serde_json::Value::Array(read.pages_no_longer_offered);
    if zip {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/zip"))
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"mijn-gegevens.zip\""))
            .body(inzage::zip(&doc)?));
    }
    Ok(HttpResponse::Ok().json(doc))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseIn {
    /// Why (kept in the audit log; the person is not named there). No medical details.
    #[validate(
        custom(function = "crate::accounts::api::not_blank"),
        length(min = 3, max = 500, message = "Geef een reden (3 tot 500 tekens).")
    )]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Erased {
    pub detail: String,
}

/// Erase a person: every personal field in every table is removed or overwritten; rows needed for
/// counts stay under a new random id, for the exports only; sessions end. A trajectory still
/// running is stopped first (reason `privacy_research`), which ends what runs on it. Admins only.
#[utoipa::path(tag = "privacy", params(("id" = String, Path)), request_body = EraseIn, responses((status = 200, body = Erased)), security(("bearer" = [])))]
#[post("/users/{id}/erase")]
pub async fn erase_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<EraseIn>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Admin])?;
    if *id == caller.user_id {
        return Err(AppError::Conflict(
            "Je kunt je eigen account niet verwijderen. Vraag een andere beheerder.".into(),
        ));
    }
    let entry = caller.audit().named("user.erased");
    let reason = body.0.reason;
    let zone = state.config.time_zone;
    let ended = db::tx(&state.pool, entry, move |c, audit| {
        crate::accounts::queries::lock_user(c, &id)?;
        let user = crate::accounts::queries::find_user(c, &id)?;
        // A running trajectory would go on without anyone in it: a colleague's card link would
        // still take cards, reminders would still come due.
        if user.erased_at.is_none() {
            if let Some(t) = crate::trajectories::queries::open_of_employee(c, &id)? {
                let why = Some(crate::trajectories::api::StopReason::PrivacyResearch);
                crate::trajectories::queries::set_status(c, &t, Status::Stopped, why, None, &caller.user_id, zone)?;
            }
        }
        // The entry keeps why, not who: a name in the reason is taken out like everywhere else.
        // Nor does it name the account that keeps the counts: with it, whoever read the log could
        // find the person's records again.
        let reason = erase::redact(&reason, &erase::Needle::of_user(&user));
        let (_, ended) = erase::erase_person(c, &id)?;
        audit.detail(serde_json::json!({"reason": reason}));
        if let Some(o) = &user.organization_id {
            audit.in_org(o);
        }
        Ok(ended)
    })
    .await?;
    state.revocations.add(ended);
    Ok(HttpResponse::Ok().json(Erased { detail: "De gegevens van deze persoon zijn verwijderd.".into() }))
}

#[cfg(test)]
mod tests {
    use super::{audit_page, AuditFilter, ID_MARGIN};
    use crate::db::cache_probe::{cached_statements, index_stats, migrated_sqlite, query_plan};
    use crate::db::first_id_at;

    fn no_filter() -> AuditFilter {
        AuditFilter { actor: None, subject: None, action: None, from: None, to: None, limit: None, cursor: None }
    }

    /// A project leader's page, the first, the next and one of a range of days, is read from
    /// `audit_org_pages` in id order: nothing sorted, so a page costs the same however long the
    /// log grows. Without statistics (a new database) and with those the housekeeping takes.
    #[test]
    fn an_organisations_pages_are_read_in_order() {
        let cached = cached_statements(|conn| {
            let zone = chrono_tz::Europe::Amsterdam;
            assert!(audit_page(conn, Some("org"), no_filter(), zone, 50).unwrap().is_empty());
            let next = AuditFilter { cursor: Some("0193".into()), ..no_filter() };
            assert!(audit_page(conn, Some("org"), next, zone, 50).unwrap().is_empty());
            let day = chrono::NaiveDate::from_ymd_opt(2026, 7, 1);
            let days = AuditFilter { from: day, to: day, ..no_filter() };
            assert!(audit_page(conn, Some("org"), days, zone, 50).unwrap().is_empty());
        });
        assert_eq!(cached.len(), 3, "{cached:?}");
        let mut conn = migrated_sqlite();
        let check = |conn: &mut crate::db::DbConnection| {
            for (i, sql) in cached.iter().enumerate() {
                let plan = query_plan(conn, sql);
                assert!(plan.iter().any(|s| s.contains("INDEX audit_org_pages (organization_id=?")), "{sql}: {plan:?}");
                assert!(!plan.iter().any(|s| s.contains("TEMP B-TREE")), "{sql}: {plan:?}");
                if i == 2 {
                    assert!(plan.iter().any(|s| s.contains("id>? AND id<?")), "the days as ids: {plan:?}");
                }
            }
        };
        check(&mut conn);
        // 30,000 entries of 10 organisations over 100 days (more than the sample of 2,000), and
        // the statistics of the housekeeping.
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000), \
                  t(i, at) AS (SELECT i, datetime('2026-06-01', '+' || (i * 288) || ' seconds') FROM n) \
             INSERT INTO audit_log (id, at, actor_id, action, organization_id, route, request_id) \
             SELECT printf('%08x-%04x-7000-8000-%012x', (unixepoch(at) * 1000) >> 16, \
                           (unixepoch(at) * 1000) & 65535, i), \
                    at, 'actor' || (i % 300), 'GET /api/v1/trajectories', 'org' || (i % 10), '/', 'r' || i \
             FROM t;",
        )
        .unwrap();
        crate::db::statistics::refresh(&mut conn).unwrap();
        let stats = index_stats(&mut conn, "audit_log");
        let pages = stats.iter().find(|(idx, _)| idx == "audit_org_pages").map(|(_, stat)| stat.as_str());
        assert!(pages.is_some_and(|stat| stat.starts_with("30000 ")), "sampled: {stats:?}");
        check(&mut conn);
    }

    /// The bound sorts before every id of its millisecond and after every id of the one before.
    #[test]
    fn the_first_id_of_a_moment_bounds_the_ids_written_from_then_on() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap().and_hms_milli_opt(8, 30, 0, 250).unwrap();
        let millis = t.and_utc().timestamp_millis() as u64;
        let at =
            |ms: u64, random: u8| uuid::Builder::from_unix_timestamp_millis(ms, &[random; 10]).into_uuid().to_string();
        let bound = first_id_at(t);
        assert!(bound.as_str() <= at(millis, 0).as_str() && at(millis, 0xff) > bound);
        assert!(at(millis - 1, 0xff) < bound);
        assert_eq!(uuid::Uuid::parse_str(&bound).unwrap().get_version_num(), 7);
        // An entry's id holds its time's millisecond: within the bounds of its moment exactly.
        let now = crate::db::now();
        let id = crate::db::new_id_at(now);
        let next_ms = now + chrono::TimeDelta::milliseconds(1);
        assert!(first_id_at(now) <= id && id < first_id_at(next_ms), "{id} at {now}");
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
        assert!(first_id_at(now - ID_MARGIN) <= id && id < first_id_at(now + ID_MARGIN));
        // Before 1970 (no such entry): the least id of all.
        assert_eq!(
            first_id_at(chrono::NaiveDate::from_ymd_opt(1969, 1, 1).unwrap().into()),
            first_id_at(chrono::DateTime::UNIX_EPOCH.naive_utc())
        );
    }
}
