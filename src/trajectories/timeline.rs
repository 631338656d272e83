//! One trajectory's timeline: status changes, logbook entries, workplace visits, group sessions,
//! cards, the return to work and aftercare, in date order. Read-only; built from the records.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::Status;
use crate::db;
use crate::db::schema::{
    aftercare_checkins, cards, group_invitations, group_sessions, logbook_entries, trajectory_events, work_returns,
    workplace_visits,
};
use crate::error::AppError;
use crate::http::pagination::{key_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Status,
    Logbook,
    Visit,
    GroupSession,
    Card,
    Return,
    Aftercare,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineItem {
    pub date: NaiveDate,
    pub kind: ItemKind,
    /// Short Dutch description.
    pub title: String,
    /// Id of the record behind the item.
    pub ref_id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub trajectory_id: String,
    pub items: Vec<TimelineItem>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn item(date: NaiveDate, kind: ItemKind, title: String, ref_id: String) -> TimelineItem {
    TimelineItem { date, kind, title, ref_id }
}

/// The trajectory's timeline, oldest first, a page at a time. Its coach and project leaders see
/// everything; the employee sees what is theirs to see (logbook entries only when shared).
#[utoipa::path(tag = "trajectories", params(("id" = String, Path), PageQuery), responses((status = 200, body = Timeline)), security(("bearer" = [])))]
#[get("/trajectories/{id}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = page.keyset::<NaiveDate>()?;
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let state = st;
        // Moments kept in UTC on the organisations' calendar (a change at 00:30 is on that day).
        let local_date = |at: chrono::NaiveDateTime| crate::local_time::date_of(state.config.time_zone, at);
        let t = super::queries::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        let mut items = Vec::new();
        let events: Vec<(String, Option<String>, String, chrono::NaiveDateTime)> = trajectory_events::table
            .filter(trajectory_events::trajectory_id.eq(&t.id))
            .select((
                trajectory_events::id,
                trajectory_events::from_status,
                trajectory_events::to_status,
                trajectory_events::at,
            ))
            .load(c)?;
        for (ref_id, from, to, at) in events {
            let relapse = match (from.as_deref().and_then(Status::parse), Status::parse(&to)) {
                (Some(from), Some(to)) => from.relapses_to(to),
                _ => false,
            };
            let text = if relapse {
                "Traject: weer uitgevallen, de begeleiding gaat verder".to_string()
            } else {
                format!("Traject: {}", in_dutch(&to))
            };
            items.push(item(local_date(at), ItemKind::Status, text, ref_id));
        }
        let mut entries = logbook_entries::table.filter(logbook_entries::trajectory_id.eq(&t.id)).into_boxed();
        if caller.is(Role::Employee) {
            entries = entries.filter(logbook_entries::shared_with_employee.eq(true));
        }
        let entries: Vec<(String, NaiveDate, String, i32)> = entries
            .select((
                logbook_entries::id,
                logbook_entries::entry_date,
                logbook_entries::kind,
                logbook_entries::duration_minutes,
            ))
            .load(c)?;
        for (ref_id, date, kind, minutes) in entries {
            items.push(item(
                date,
                ItemKind::Logbook,
                format!("Logboek: {} ({minutes} minuten)", in_dutch(&kind)),
                ref_id,
            ));
        }
        let visits: Vec<(String, NaiveDate, String, String, String)> = workplace_visits::table
            .filter(workplace_visits::trajectory_id.eq(&t.id))
            .select((
                workplace_visits::id,
                workplace_visits::visit_date,
                workplace_visits::kind,
                workplace_visits::with_whom,
                workplace_visits::status,
            ))
            .load(c)?;
        for (ref_id, date, kind, with_whom, status) in visits {
            let what = match kind.as_str() {
                "coffee" => "Op de koffie",
                "lunch" => "Lunch",
                "meeting" => "Overleg",
                "joining_work" => "Meewerken",
                _ => "Bezoek",
            };
            let text = format!("{what} bij {with_whom} ({})", in_dutch(&status));
            items.push(item(date, ItemKind::Visit, text, ref_id));
        }
        // Invitations are the employee's: this trajectory shows those made while it was the
        // latest, and its first one those made before it too, as the exports count them
        // (`evaluation::periods`). By the moment of the invitation, both in UTC: a session's
        // start is wall-clock time and does not compare with `created_at`.
        use crate::db::schema::trajectories;
        // The employee's trajectories (a few) in the order they began: the one after this and
        // whether one came before, in one read.
        let theirs: Vec<(String, chrono::NaiveDateTime)> = trajectories::table
            .filter(trajectories::employee_id.eq(&t.employee_id))
            .order(trajectories::id)
            .select((trajectories::id, trajectories::created_at))
            .load(c)?;
        let first = theirs.first().is_none_or(|(id, _)| *id == t.id);
        let next = theirs.iter().find(|(id, _)| *id > t.id).map(|(_, at)| *at);
        let mut q = group_invitations::table
            .inner_join(group_sessions::table.on(group_sessions::id.eq(group_invitations::session_id)))
            .filter(group_invitations::employee_id.eq(&t.employee_id))
            .select((
                group_sessions::id,
                group_sessions::starts_at,
                group_sessions::topic,
                group_invitations::attendance,
                group_sessions::cancelled,
            ))
            .into_boxed();
        if !first {
            q = q.filter(group_invitations::invited_at.ge(t.created_at));
        }
        if let Some(next) = next {
            q = q.filter(group_invitations::invited_at.lt(next));
        }
        let sessions: Vec<(String, chrono::NaiveDateTime, String, Option<String>, bool)> = q.load(c)?;
        for (ref_id, at, topic, attendance, cancelled) in sessions {
            let how = if cancelled { "gaat niet door" } else { attendance.as_deref().map_or("uitgenodigd", in_dutch) };
            let topic = state.content.get(&topic).map_or(topic.as_str(), |course| course.title.as_str());
            items.push(item(at.date(), ItemKind::GroupSession, format!("Groepsgesprek: {topic} ({how})"), ref_id));
        }
        let card_rows: Vec<(String, chrono::NaiveDateTime, String, bool, chrono::NaiveDateTime)> = cards::table
            .filter(cards::trajectory_id.eq(&t.id))
            .select((cards::id, cards::created_at, cards::author_name, cards::blocked, cards::deliver_after))
            .load(c)?;
        // The employee sees a card as `/me/cards` does: once delivered, never one held back.
        let now = db::now();
        let delivered = |r: &(_, _, _, bool, chrono::NaiveDateTime)| !r.3 && r.4 <= now;
        for (ref_id, at, author, blocked, _) in
            card_rows.into_iter().filter(|r| !caller.is(Role::Employee) || delivered(r))
        {
            let note = if blocked { " (tegengehouden)" } else { "" };
            items.push(item(local_date(at), ItemKind::Card, format!("Kaartje van {author}{note}"), ref_id));
        }
        let returns: Vec<(String, NaiveDate, String, f64)> = work_returns::table
            .filter(work_returns::trajectory_id.eq(&t.id))
            .select((work_returns::id, work_returns::return_date, work_returns::extent, work_returns::hours_per_week))
            .load(c)?;
        for (ref_id, date, extent, hours) in returns {
            let hours = format!("{hours}").replace('.', ",");
            let text = format!("Weer aan het werk: {}, {hours} uur per week", in_dutch(&extent));
            items.push(item(date, ItemKind::Return, text, ref_id));
        }
        let checkins: Vec<(String, NaiveDate, i32, String)> = aftercare_checkins::table
            .filter(aftercare_checkins::trajectory_id.eq(&t.id))
            .select((
                aftercare_checkins::id,
                aftercare_checkins::due_on,
                aftercare_checkins::week,
                aftercare_checkins::status,
            ))
            .load(c)?;
        for (ref_id, date, week, status) in checkins {
            items.push(item(
                date,
                ItemKind::Aftercare,
                format!("Nazorg na {week} weken ({})", in_dutch(&status)),
                ref_id,
            ));
        }
        items.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.ref_id.cmp(&b.ref_id)));
        // Built whole from the trajectory's records (a few hundred at most), then paged: each
        // item has its own record, so (date, ref_id) orders them without ties.
        if let Some((date, ref_id)) = &after {
            items.retain(|i| (i.date, &i.ref_id) > (*date, ref_id));
        }
        items.truncate(limit as usize + 1);
        let page = Page::from_rows(items, limit, |i| key_cursor(&i.date.to_string(), &i.ref_id));
        Ok(Timeline { trajectory_id: t.id, items: page.items, next_cursor: page.next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The timeline is read by employees too: the codes it holds, in the words they know.
fn in_dutch(code: &str) -> &str {
    if let Some(status) = Status::parse(code) {
        return status.in_dutch();
    }
    match code {
        "intake" => "intakegesprek",
        "coaching_talk" => "gesprek",
        "phone" => "telefoongesprek",
        "message" => "bericht",
        "home_visit" => "huisbezoek",
        "group_follow_up" => "na het groepsgesprek",
        "other" => "anders",
        "planned" => "gepland",
        "done" => "gedaan",
        "cancelled" => "gaat niet door",
        "present" => "was er",
        "absent_with_notice" => "afgemeld",
        "absent" => "was er niet",
        "full" => "helemaal",
        "partial" => "voor een deel",
        "due" => "nog te doen",
        "skipped" => "overgeslagen",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    /// Every code a timeline can show has its words: a new status or kind must get them too.
    #[test]
    fn every_code_has_dutch_words() {
        use crate::logbook::api::EntryKind;
        use crate::trajectories::api::Status;
        let statuses = ["proposed", "active", "returned", "aftercare", "closed", "stopped"];
        for s in statuses {
            assert!(Status::parse(s).is_some(), "{s} is a status");
            assert_ne!(super::in_dutch(s), s);
        }
        for kind in [
            EntryKind::Intake,
            EntryKind::CoachingTalk,
            EntryKind::Phone,
            EntryKind::Message,
            EntryKind::HomeVisit,
            EntryKind::GroupFollowUp,
            EntryKind::Other,
        ] {
            let code = serde_json::to_value(kind).unwrap();
            let code = code.as_str().unwrap();
            assert_ne!(super::in_dutch(code), code, "{code}");
        }
        for code in [
            "planned",
            "done",
            "cancelled",
            "present",
            "absent_with_notice",
            "absent",
            "full",
            "partial",
            "due",
            "skipped",
        ] {
            assert_ne!(super::in_dutch(code), code);
        }
    }
}
