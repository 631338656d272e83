//! The durable outbox: mail is written in the same transaction as the record that caused it, and
//! a worker sends it later. Claiming is safe with several instances: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, on SQLite (one writer at a time) with a conditional update.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::templates::Templates;
use crate::db::reuse::update;
use crate::db::schema::outbox;
use crate::db::{new_id, now, DbConnection};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub template: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub subject_ref: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub send_before: Option<NaiveDateTime>,
    /// Since when it is due: queued, let through again ([`restore`]) or moved to a corrected
    /// address ([`readdress`]). It is tried for [`KEEP_TRYING`] from then.
    pub due_since: Option<NaiveDateTime>,
    /// The account it is for (its address may change, and later be another's): what the inzage
    /// and an erasure find a person's mail by. `None` only for mail queued before it was kept.
    pub recipient_id: Option<String>,
}

/// One mail to queue.
pub struct Mail<'a> {
    pub template: &'a str,
    pub to: &'a str,
    pub vars: BTreeMap<&'a str, String>,
    /// What the mail is about (e.g. "card:<id>"), so that it can be cancelled.
    pub about: Option<String>,
    /// Not before this moment (e.g. a card held for the coach).
    pub not_before: Option<NaiveDateTime>,
    /// Not at or after this moment, when the mail is no use any more (a login link that expired,
    /// an invitation to a session that has begun): the worker stops it instead of sending it late.
    pub send_before: Option<NaiveDateTime>,
}

/// Queues a mail to a user's address; `None` (nothing queued) when no user has that address any
/// more, because that person was erased meanwhile.
pub fn queue(conn: &mut DbConnection, templates: &Templates, mail: Mail<'_>) -> Result<Option<String>, AppError> {
    let Some(recipient) = recipient_held(conn, mail.to)? else {
        return Ok(None);
    };
    let rendered = templates.render(mail.template, &mail.vars).map_err(AppError::internal)?;
    let t = now();
    let row = OutboxRow {
        id: new_id(),
        template: mail.template.to_string(),
        to_address: mail.to.to_string(),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        status: "queued".into(),
        attempts: 0,
        next_attempt_at: mail.not_before.unwrap_or(t),
        locked_until: None,
        last_error: None,
        subject_ref: mail.about,
        created_at: t,
        sent_at: None,
        send_before: mail.send_before,
        due_since: Some(mail.not_before.unwrap_or(t).max(t)),
        recipient_id: Some(recipient),
    };
    diesel::insert_into(outbox::table).values(&row).execute(conn)?;
    Ok(Some(row.id))
}

/// The active user who has this address, if any (a deactivated account, say of a coach who left,
/// gets no more mail about employees). On PostgreSQL the row stays locked (`FOR SHARE`) until
/// the mail is committed: an erasure locks the person's row before it clears their mail, so it
/// either waits for this mail and clears it too, or has finished and the address is gone. Without
/// the lock, a mail queued during an erasure could keep the erased address. (SQLite writers take
/// turns, so there the question alone is enough.)
pub fn recipient_held(conn: &mut DbConnection, address: &str) -> Result<Option<String>, AppError> {
    use crate::db::schema::users;
    let user = users::table.filter(users::email.eq(address)).filter(users::active.eq(true)).select(users::id);
    let found = match conn {
        DbConnection::Pg(c) => user.for_share().first::<String>(c).optional()?,
        DbConnection::Sqlite(c) => user.first::<String>(c).optional()?,
    };
    Ok(found)
}

/// Statuses of mail not (known to be) sent. A message a worker is sending at this moment is
/// stopped too: should its attempt fail, `mark_failed` finds it no longer the worker's (`ours`)
/// and leaves it stopped, instead of queuing it again with what was cancelled.
const UNSENT: [&str; 2] = ["queued", "sending"];

/// [`UNSENT`] and mail given up ("failed"): what calls off the thing a mail is about stops a failed
/// mail about it too, so that a mail still failed is about something that still goes ahead, and
/// may be tried again at a corrected address ([`readdress`]).
const NOT_SENT: [&str; 3] = ["queued", "sending", "failed"];

/// Mail not sent that no worker holds: waiting, or given up. Neither reached its recipient, and
/// neither can reach them while it is cancelled or moved (as a handover moves a talk request).
pub const NOT_TAKEN: [&str; 2] = ["queued", "failed"];

/// Mail for `from`, the address of account `recipient` corrected to `to`, goes to `to` instead (a
/// card, an invitation, a reminder still reach the person), its attempts at the old address
/// forgotten; returns how many. That is mail waiting, and mail given up at the old address (a
/// mistyped address the mail server refused) unless it is too late for it (`send_before`) or was
/// for another account that had the address before. Not login and password links: those go with
/// their links (see [`cancel_to`]); and a mail a worker has taken stays with it.
pub fn readdress(conn: &mut DbConnection, recipient: &str, from: &str, to: &str) -> Result<usize, AppError> {
    let t = now();
    // Mail queued before `recipient_id` was kept has none: waiting for this address, it is this
    // account's (an address changed cancels what waits for the old one, `cancel_to`).
    let theirs = || outbox::recipient_id.eq(recipient).or(outbox::recipient_id.is_null());
    let not_links = || {
        let links = crate::db::one_of::one_of(outbox::template, ["magic-link", "password-link"]);
        outbox::to_address.eq(from).and(diesel::dsl::not(links))
    };
    let fresh = || (outbox::to_address.eq(to), outbox::attempts.eq(0), outbox::last_error.eq(None::<String>));
    // One that was tried is due at once at the new address; one not yet tried keeps its moment
    // (a card's hold).
    let at_once = || (fresh(), outbox::next_attempt_at.eq(t), outbox::due_since.eq(Some(t)));
    let in_time = outbox::send_before.is_null().or(outbox::send_before.gt(t));
    let given_up = not_links().and(outbox::status.eq("failed")).and(outbox::recipient_id.eq(recipient)).and(in_time);
    let again = update(outbox::table, (at_once(), outbox::status.eq("queued")), given_up).execute(conn)?;
    let waiting = || not_links().and(outbox::status.eq("queued")).and(theirs());
    let retried = update(outbox::table, at_once(), waiting().and(outbox::attempts.gt(0))).execute(conn)?;
    Ok(again + retried + update(outbox::table, fresh(), waiting()).execute(conn)?)
}

/// Cancels unsent mail to an address that is no longer an account's (it was changed); returns how
/// many. Mail given up there stays failed, for the operator to look into.
pub fn cancel_to(conn: &mut DbConnection, address: &str) -> Result<usize, AppError> {
    let unsent = outbox::to_address.eq(address).and(outbox::status.eq_any(UNSENT));
    Ok(update(outbox::table, outbox::status.eq("cancelled"), unsent).execute(conn)?)
}

/// Cancels mail about `about` not sent, given up included ([`NOT_SENT`]); returns how many.
pub fn cancel(conn: &mut DbConnection, about: &str) -> Result<usize, AppError> {
    let unsent = outbox::subject_ref.eq(about).and(outbox::status.eq_any(NOT_SENT));
    Ok(update(outbox::table, outbox::status.eq("cancelled"), unsent).execute(conn)?)
}

/// Cancels mail about `about` that no worker has taken (queued, or given up); returns how many.
/// For a caller that must answer truthfully whether the mail was stopped: what a worker is
/// sending may arrive.
pub fn cancel_queued(conn: &mut DbConnection, about: &str) -> Result<usize, AppError> {
    let queued = outbox::subject_ref.eq(about).and(outbox::status.eq_any(NOT_TAKEN));
    Ok(update(outbox::table, outbox::status.eq("cancelled"), queued).execute(conn)?)
}

/// Cancels mail not sent ([`NOT_SENT`]) about anything that begins with `prefix` (every course of
/// one trajectory's talk requests); returns how many.
pub fn cancel_prefix(conn: &mut DbConnection, prefix: &str) -> Result<usize, AppError> {
    let unsent = crate::db::prefix::starts_with(outbox::subject_ref.assume_not_null(), prefix)
        .and(outbox::status.eq_any(NOT_SENT));
    Ok(update(outbox::table, outbox::status.eq("cancelled"), unsent).execute(conn)?)
}

/// Cancels mail not sent ([`NOT_SENT`]) about `about` to one address (one invitee's invitation);
/// returns how many.
pub fn cancel_to_about(conn: &mut DbConnection, address: &str, about: &str) -> Result<usize, AppError> {
    let unsent = outbox::to_address.eq(address).and(outbox::subject_ref.eq(about)).and(outbox::status.eq_any(NOT_SENT));
    Ok(update(outbox::table, outbox::status.eq("cancelled"), unsent).execute(conn)?)
}

/// Queues mail about `about` to `address` that [`cancel`] stopped again, to be sent from
/// `not_before` (or now, when that has passed); returns how many. Mail to another address stays
/// stopped: the address was corrected since ([`cancel_to`]). Mail a worker was sending when it
/// was cancelled, and still is (its claim holds), goes back to that worker, which marks it sent or
/// queues it again: queued beside it, a second worker would send it too.
pub fn restore(
    conn: &mut DbConnection,
    about: &str,
    address: &str,
    not_before: NaiveDateTime,
) -> Result<usize, AppError> {
    let t = now();
    let cancelled =
        || outbox::subject_ref.eq(about).and(outbox::to_address.eq(address)).and(outbox::status.eq("cancelled"));
    let in_flight = cancelled().and(outbox::locked_until.gt(t));
    let resumed = update(outbox::table, outbox::status.eq("sending"), in_flight).execute(conn)?;
    let idle = cancelled().and(outbox::locked_until.is_null().or(outbox::locked_until.le(t)));
    let again = (
        outbox::status.eq("queued"),
        outbox::next_attempt_at.eq(not_before.max(t)),
        outbox::due_since.eq(Some(not_before.max(t))),
        outbox::locked_until.eq(None::<NaiveDateTime>),
    );
    Ok(resumed + update(outbox::table, again, idle).execute(conn)?)
}

/// How long a claimed message stays ours; after that another worker may retry it.
const LEASE: TimeDelta = TimeDelta::minutes(5);

/// Claims up to `limit` due messages for this worker.
pub fn claim(conn: &mut DbConnection, limit: i64) -> Result<Vec<OutboxRow>, AppError> {
    let t = now();
    let lease = t + LEASE;
    match conn {
        DbConnection::Pg(_) => Ok(diesel::sql_query(
            "UPDATE outbox SET status = 'sending', locked_until = $1 WHERE id IN ( \
               SELECT id FROM outbox \
               WHERE (status = 'queued' AND next_attempt_at <= $2) OR (status = 'sending' AND locked_until < $2) \
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
        )
        .bind::<Timestamp, _>(lease)
        .bind::<Timestamp, _>(t)
        .bind::<Integer, _>(limit as i32)
        .load(conn)?),
        DbConnection::Sqlite(_) => {
            let candidates: Vec<OutboxRow> = outbox::table
                .filter(
                    outbox::status
                        .eq("queued")
                        .and(outbox::next_attempt_at.le(t))
                        .or(outbox::status.eq("sending").and(outbox::locked_until.lt(t))),
                )
                .order(outbox::next_attempt_at)
                .limit(limit)
                .select(OutboxRow::as_select())
                .load(conn)?;
            let mut mine = Vec::new();
            for mut row in candidates {
                // Only one claimant can change the row from the state it read.
                let won = diesel::sql_query(
                    "UPDATE outbox SET status = 'sending', locked_until = ? WHERE id = ? AND status = ? \
                     AND (locked_until IS NULL OR locked_until < ?)",
                )
                .bind::<Timestamp, _>(lease)
                .bind::<Text, _>(&row.id)
                .bind::<Text, _>(&row.status)
                .bind::<Timestamp, _>(t)
                .execute(conn)?;
                if won == 1 {
                    row.status = "sending".into();
                    row.locked_until = Some(lease);
                    mine.push(row);
                }
            }
            Ok(mine)
        }
    }
}

type Ours<'a> = diesel::dsl::And<
    diesel::dsl::And<diesel::dsl::Eq<outbox::id, &'a String>, diesel::dsl::Eq<outbox::status, &'static str>>,
    diesel::dsl::Eq<outbox::locked_until, Option<NaiveDateTime>>,
>;

/// The row as long as this worker's claim holds: a worker whose batch outlived its lease must not
/// overwrite what the worker that took the row over did with it.
fn ours(row: &OutboxRow) -> Ours<'_> {
    outbox::id.eq(&row.id).and(outbox::status.eq("sending")).and(outbox::locked_until.eq(row.locked_until))
}

/// Marks a claimed message sent; false when the claim had run out and another worker took it. A
/// message cancelled while it was being sent went out all the same: it is marked sent too, so
/// that undoing the cancel ([`restore`]) does not send it a second time.
pub fn mark_sent(conn: &mut DbConnection, row: &OutboxRow) -> Result<bool, AppError> {
    let done =
        (outbox::status.eq("sent"), outbox::sent_at.eq(Some(now())), outbox::locked_until.eq(None::<NaiveDateTime>));
    let ours_or_cancelled = outbox::id
        .eq(&row.id)
        .and(outbox::status.eq_any(["sending", "cancelled"]))
        .and(outbox::locked_until.eq(row.locked_until));
    Ok(update(outbox::table, done, ours_or_cancelled).execute(conn)? == 1)
}

/// Hands a claimed message back unsent (the worker is stopping): due again at once, for this
/// instance after its restart or for another one now.
pub fn release(conn: &mut DbConnection, row: &OutboxRow) -> Result<bool, AppError> {
    let back = (outbox::status.eq("queued"), outbox::locked_until.eq(None::<NaiveDateTime>));
    let done = update(outbox::table, back, ours(row)).execute(conn)? == 1;
    if !done {
        let_go_if_cancelled(conn, row)?;
    }
    Ok(done)
}

/// Gives up a claimed message that should no longer go out (a login link that expired while the
/// mail server was away): cancelled, with the reason.
pub fn mark_stale(conn: &mut DbConnection, row: &OutboxRow, reason: &str) -> Result<bool, AppError> {
    let stopped = (
        outbox::status.eq("cancelled"),
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(reason.to_string())),
    );
    let done = update(outbox::table, stopped, ours(row)).execute(conn)? == 1;
    if !done {
        let_go_if_cancelled(conn, row)?;
    }
    Ok(done)
}

/// After an attempt that did not send a message someone cancelled meanwhile: no worker holds it
/// any more, so that undoing the cancel ([`restore`]) queues it at once rather than handing it
/// back to a worker that is done with it.
fn let_go_if_cancelled(conn: &mut DbConnection, row: &OutboxRow) -> Result<(), AppError> {
    let cancelled_in_flight =
        outbox::id.eq(&row.id).and(outbox::status.eq("cancelled")).and(outbox::locked_until.eq(row.locked_until));
    update(outbox::table, outbox::locked_until.eq(None::<NaiveDateTime>), cancelled_in_flight).execute(conn)?;
    Ok(())
}

/// How long a message is tried before it is given up, from when it was due (a card held for a day
/// is tried for three days from its release): a mail server away for a night or a long weekend
/// loses no mail.
pub const KEEP_TRYING: TimeDelta = TimeDelta::days(3);

/// Records a failed attempt: retried later with exponential backoff (at most an hour apart), given
/// up after `max_attempts` once it is [`KEEP_TRYING`] old, or at once when the mail server refused
/// the recipient for good (an unknown address).
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    error: &super::sender::SendError,
    base: TimeDelta,
    max_attempts: i32,
) -> Result<bool, AppError> {
    let attempts = row.attempts + 1;
    let backoff = (base * 2i32.pow((attempts - 1).clamp(0, 10) as u32)).min(TimeDelta::hours(1));
    let given_up = attempts >= max_attempts && row.due_since.unwrap_or(row.created_at) + KEEP_TRYING <= now();
    let status = if given_up || error.permanent { "failed" } else { "queued" };
    let done = update(
        outbox::table,
        (
            outbox::status.eq(status),
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now() + backoff),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(Some(error.message.chars().take(500).collect::<String>())),
        ),
        ours(row),
    )
    .execute(conn)?;
    if done == 0 {
        let_go_if_cancelled(conn, row)?;
    }
    Ok(done == 1)
}

/// Days a sent or stopped message is kept (for a question about it), and a failed one (for the
/// operator to look into; one given up and then stopped, because what it was about was called
/// off, goes as stopped mail). Their texts hold names, a card's words and login codes: kept no
/// longer.
pub const KEEP_SENT_DAYS: i64 = 7;
pub const KEEP_FAILED_DAYS: i64 = 30;

/// Deletes messages that are done with and older than [`KEEP_SENT_DAYS`] or [`KEEP_FAILED_DAYS`];
/// returns how many.
pub fn purge(conn: &mut DbConnection) -> Result<usize, AppError> {
    let t = now();
    let done =
        outbox::status.eq_any(["sent", "cancelled"]).and(outbox::created_at.lt(t - TimeDelta::days(KEEP_SENT_DAYS)));
    let failed = outbox::status.eq("failed").and(outbox::created_at.lt(t - TimeDelta::days(KEEP_FAILED_DAYS)));
    Ok(diesel::delete(outbox::table.filter(done.or(failed))).execute(conn)?)
}
