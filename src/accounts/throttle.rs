//! Failed-login throttling per account and per address, kept in the database so that it holds
//! across instances: after a few failures answers are slowed down, after more they are refused
//! with 429 until the window has passed.

use std::time::Duration;

use chrono::TimeDelta;
use diesel::prelude::*;

use super::model::ThrottleRow;
use crate::db::reuse::update;
use crate::db::schema::login_throttle;
use crate::db::{now, DbConnection};
use crate::error::AppError;

pub struct Limits {
    /// Failures within the window before further attempts get 429.
    pub max_failures: i32,
    pub window: TimeDelta,
}

/// Failures for one account from one client: guessing from one place stops here.
pub const PER_ACCOUNT: Limits = Limits { max_failures: 5, window: TimeDelta::minutes(15) };
/// Failures for one account from any client: a guesser with many addresses stops here. Higher
/// than [`PER_ACCOUNT`], so that anyone who knows a coach's address cannot lock them out from
/// their own desk with five wrong passwords.
pub const PER_ACCOUNT_ANYWHERE: Limits = Limits { max_failures: 50, window: TimeDelta::minutes(15) };
pub const PER_ADDRESS: Limits = Limits { max_failures: 20, window: TimeDelta::minutes(15) };
/// Wrong current passwords given to change one's own password (from a session): counted on a key
/// of their own ([`password_change_key`]), so that failed logins by others do not push them over,
/// nor do they lock the account's logins (which count to [`PER_ACCOUNT_ANYWHERE`] on its key).
pub const PER_PASSWORD_CHANGE: Limits = Limits { max_failures: 5, window: TimeDelta::minutes(15) };
/// Failures after which each further failure is answered more slowly.
const SLOW_AFTER: i32 = 2;

pub fn account_key(email: &str) -> String {
    format!("email:{}", super::queries::normalize_email(email))
}

/// Guesses of an account's current password when changing it.
pub fn password_change_key(email: &str) -> String {
    format!("pwchange-{}", account_key(email))
}

/// One account from one client (`account_key` and `address_key`).
pub fn account_from_key(email: &str, ip: &str) -> String {
    format!("{}|{}", account_key(email), address_key(ip))
}

/// Deletes every counter of an account (erasure): its own and those per client.
pub fn clear_account(conn: &mut DbConnection, email: &str) -> Result<(), AppError> {
    let key = account_key(email);
    // The per-client keys (of logins and of login links) start with `email:x|`: a LIKE with its
    // wildcards escaped (an `_` in an address is a character), not a range, whose order
    // PostgreSQL's collation decides.
    let escaped: String = format!("{key}|")
        .chars()
        .flat_map(|ch| match ch {
            '\\' | '%' | '_' => vec!['\\', ch],
            _ => vec![ch],
        })
        .collect();
    let per_client = login_throttle::key.like(format!("{escaped}%")).escape('\\');
    let own = login_throttle::key.eq_any([
        key.clone(),
        format!("magic-{key}"),
        format!("password-{key}"),
        password_change_key(email),
    ]);
    diesel::delete(login_throttle::table.filter(own.or(per_client))).execute(conn)?;
    Ok(())
}

/// One account from one place ([`account_key`] and [`site_key`]).
pub fn account_from_site_key(email: &str, ip: &str) -> String {
    format!("{}|{}", account_key(email), site_key(ip))
}

/// The client's IPv4 address, or its IPv6 /48: providers give one home a /48 or a /56, so a
/// stranger at home has up to 65,536 /64s to pick from. For limits that keep a stranger from
/// using up what an account's owner may ask from elsewhere; [`address_key`] for those that stop
/// one guesser.
pub fn site_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let site = std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 80) - 1));
            format!("ip:{site}/48")
        }
        _ => address_key(ip),
    }
}

/// The client's IPv4 address, or its IPv6 /64: one IPv6 client has a whole /64 to pick from, so
/// a limit per single address would hardly limit it.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            format!("ip:{}", v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default())
        }
        _ => format!("ip:{ip}"),
    }
}

/// 429 when `key` is blocked right now.
pub fn check(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    let row: Option<ThrottleRow> =
        login_throttle::table.find(key).select(ThrottleRow::as_select()).first(conn).optional()?;
    refuse_if_blocked(row.as_ref(), now())
}

fn refuse_if_blocked(row: Option<&ThrottleRow>, t: chrono::NaiveDateTime) -> Result<(), AppError> {
    match row.and_then(|r| r.blocked_until).filter(|u| *u > t) {
        Some(until) => Err(AppError::TooManyRequests { retry_after_seconds: (until - t).num_seconds().max(1) as u64 }),
        None => Ok(()),
    }
}

/// Counts one attempt (a login before its password is checked, a link request, a card) unless
/// `key` is blocked (429, nothing counted); returns the delay to apply before a failure's answer.
/// The check is made on the row as counted, so attempts at the same moment cannot all pass it.
pub fn count_attempt(conn: &mut DbConnection, key: &str, limits: &Limits) -> Result<Duration, AppError> {
    let t = now();
    // Failures at the same moment are counted one after the other (PostgreSQL: the key's row made
    // sure of and locked), so none is lost and two first failures do not both insert.
    let this_key = login_throttle::table.find(key);
    let row: Option<ThrottleRow> = match conn {
        DbConnection::Pg(pg) => {
            let empty = ThrottleRow { key: key.to_string(), failures: 0, window_started_at: t, blocked_until: None };
            diesel::insert_into(login_throttle::table).values(&empty).on_conflict_do_nothing().execute(pg)?;
            this_key.select(ThrottleRow::as_select()).for_update().first(pg).optional()?
        }
        _ => this_key.select(ThrottleRow::as_select()).first(conn).optional()?,
    };
    refuse_if_blocked(row.as_ref(), t)?;
    let failures = match &row {
        Some(r) if t - r.window_started_at < limits.window => r.failures + 1,
        _ => 1,
    };
    let window_started_at = match &row {
        Some(r) if failures > 1 => r.window_started_at,
        _ => t,
    };
    let blocked_until = (failures >= limits.max_failures).then(|| t + limits.window);
    let new = ThrottleRow { key: key.to_string(), failures, window_started_at, blocked_until };
    // No on_conflict on the two-backend connection: update, insert when nothing was there.
    let updated = update(
        login_throttle::table,
        (
            login_throttle::failures.eq(new.failures),
            login_throttle::window_started_at.eq(new.window_started_at),
            login_throttle::blocked_until.eq(new.blocked_until),
        ),
        login_throttle::key.eq(key),
    )
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table).values(&new).execute(conn)?;
    }
    let slow = (failures - SLOW_AFTER).max(0) as u64;
    Ok(Duration::from_millis((slow * 400).min(2_000)))
}

/// Takes back one attempt counted by [`count_attempt`] that turned out not to be a failure (a
/// login with the right password, counted against its address before the check), or that a later
/// limit refused. It lifts a block too: right for an attempt this same transaction counted,
/// since [`count_attempt`] refuses a key that was blocked already without counting it.
pub fn take_back(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    update(
        login_throttle::table,
        (
            login_throttle::failures.eq(login_throttle::failures - 1),
            login_throttle::blocked_until.eq(None::<chrono::NaiveDateTime>),
        ),
        login_throttle::key.eq(key).and(login_throttle::failures.gt(0)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{address_key, site_key};

    #[test]
    fn a_site_is_an_ipv4_address_or_an_ipv6_48() {
        assert_eq!(site_key("2001:db8:1:200::1"), site_key("2001:db8:1:ffff:ffff::9"));
        assert_eq!(site_key("2001:db8:1:2ff::1"), "ip:2001:db8:1::/48");
        assert_ne!(site_key("2001:db8:1::1"), site_key("2001:db8:2::1"));
        assert_eq!(site_key("::ffff:192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(site_key("192.0.2.7"), address_key("192.0.2.7"));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), address_key("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
        assert_eq!(address_key("::ffff:192.0.2.7"), address_key("192.0.2.7"));
        assert_eq!(address_key("192.0.2.7"), "ip:192.0.2.7");
    }
}
