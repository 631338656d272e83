//! What ends with a trajectory. A stop (also by a withdrawn consent) or the close ends the
//! employee's part in the method, so what still runs on it stops in the same transaction:
//! aftercare check-ins no longer come due (nor remind the coach by mail), the buddy pair ends (no
//! more contact details shared), colleagues' cards still on hold are held back (neither mailed nor
//! shown), invitations to group sessions still to come are taken back (with their mail, if it had
//! not gone out), and workplace visits planned from today on are cancelled. What already happened
//! stays recorded.

use diesel::prelude::*;

use super::api::Status;
use super::model::Trajectory;
use crate::db::reuse::update;
use crate::db::schema::{buddy_pairs, cards, group_invitations, group_sessions, users, workplace_visits};
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::mail::outbox;

pub fn wind_down(
    c: &mut DbConnection,
    t: &Trajectory,
    to: Status,
    actor: &str,
    zone: chrono_tz::Tz,
) -> Result<(), AppError> {
    let ts = now();
    let why = if to == Status::Stopped { crate::aftercare::STOPPED_REASON } else { crate::aftercare::CLOSED_REASON };
    crate::aftercare::call_off(c, &t.id, why, actor, ts)?;
    let theirs = || buddy_pairs::employee_a.eq(&t.employee_id).or(buddy_pairs::employee_b.eq(&t.employee_id));
    let pairs: Vec<String> =
        buddy_pairs::table.filter(theirs().and(buddy_pairs::status.ne("ended"))).select(buddy_pairs::id).load(c)?;
    crate::buddies::routes::end_pairs(c, &pairs, actor, ts)?;
    let held: Vec<String> = cards::table
        .filter(cards::trajectory_id.eq(&t.id))
        .filter(cards::blocked.eq(false))
        .select(cards::id)
        .load(c)?;
    for card in held {
        outbox::cancel(c, &format!("card:{card}"))?;
    }
    // Nor is the coach told of one on hold any more.
    outbox::cancel(c, &format!("card-waiting:{}", t.id))?;
    // Nor shown to the employee once their hold is over (`/me/cards`, the timeline, the print
    // sheet): held back as a coach holds one back, which an ended trajectory does not undo.
    update(
        cards::table,
        (cards::blocked.eq(true), cards::blocked_by.eq(actor)),
        cards::trajectory_id.eq(&t.id).and(cards::blocked.eq(false)).and(cards::deliver_after.gt(ts)),
    )
    .execute(c)?;
    // A wish for a talk that had not reached the coach yet: the talk will not take place now.
    outbox::cancel_prefix(c, &format!("talk:{}:", t.id))?;
    // Visits still to come; one planned for a day that has passed may have been held and only not
    // yet marked done.
    let today = crate::local_time::today(zone);
    update(
        workplace_visits::table,
        (workplace_visits::status.eq("cancelled"), workplace_visits::updated_at.eq(ts)),
        workplace_visits::trajectory_id
            .eq(&t.id)
            .and(workplace_visits::status.eq("planned"))
            .and(workplace_visits::visit_date.ge(today)),
    )
    .execute(c)?;
    // Group sessions are planned in wall-clock time: "still to come" in the organisation's zone.
    // An invitation with a notice of absence goes too (the employee is out of the method).
    let local_now = crate::local_time::now(zone);
    let invited = group_invitations::table
        .filter(group_invitations::employee_id.eq(&t.employee_id))
        .filter(group_invitations::attendance.is_null().or(group_invitations::attendance.eq("absent_with_notice")))
        .select(group_invitations::session_id);
    let coming: Vec<String> = group_sessions::table
        .filter(group_sessions::id.eq_any(invited))
        .filter(group_sessions::starts_at.gt(local_now))
        .filter(group_sessions::cancelled.eq(false))
        .select(group_sessions::id)
        .load(c)?;
    if !coming.is_empty() {
        let address: String = users::table.find(&t.employee_id).select(users::email).first(c)?;
        for session in &coming {
            outbox::cancel_to_about(c, &address, &format!("group:{session}"))?;
            outbox::cancel_to_about(c, &address, &format!("group-changed:{session}"))?;
        }
        diesel::delete(
            group_invitations::table
                .filter(group_invitations::employee_id.eq(&t.employee_id))
                .filter(group_invitations::session_id.eq_any(&coming)),
        )
        .execute(c)?;
    }
    Ok(())
}
