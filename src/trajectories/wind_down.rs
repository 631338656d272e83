//! What ends with a trajectory. A stop (also by a withdrawn consent) or the close ends the
//! employee's part in the method, so what still runs on it stops in the same transaction:
//! aftercare check-ins no longer come due (nor remind the coach by mail), the buddy pair ends (no
//! more contact details shared), and colleagues' cards still on hold are not mailed.

use diesel::prelude::*;

use super::api::Status;
use super::model::Trajectory;
use crate::db::reuse::update;
use crate::db::schema::{aftercare_checkins, buddy_pairs, cards};
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::mail::outbox;

pub fn wind_down(c: &mut DbConnection, t: &Trajectory, to: Status, actor: &str) -> Result<(), AppError> {
    let ts = now();
    let why = if to == Status::Stopped { "Het traject is gestopt." } else { "Het traject is afgesloten." };
    update(
        aftercare_checkins::table,
        (
            aftercare_checkins::status.eq("skipped"),
            aftercare_checkins::skip_reason.eq(why),
            aftercare_checkins::completed_at.eq(ts),
            aftercare_checkins::completed_by.eq(actor),
        ),
        aftercare_checkins::trajectory_id.eq(&t.id).and(aftercare_checkins::status.eq("due")),
    )
    .execute(c)?;
    let theirs = buddy_pairs::employee_a.eq(&t.employee_id).or(buddy_pairs::employee_b.eq(&t.employee_id));
    update(
        buddy_pairs::table,
        (buddy_pairs::status.eq("ended"), buddy_pairs::ended_at.eq(ts), buddy_pairs::ended_by.eq(actor)),
        theirs.and(buddy_pairs::status.ne("ended")),
    )
    .execute(c)?;
    let held: Vec<String> = cards::table
        .filter(cards::trajectory_id.eq(&t.id))
        .filter(cards::blocked.eq(false))
        .select(cards::id)
        .load(c)?;
    for card in held {
        outbox::cancel(c, &format!("card:{card}"))?;
    }
    Ok(())
}
