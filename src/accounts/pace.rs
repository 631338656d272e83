//! Answers that must not tell by their timing whether an address is known: asking for a login
//! or password link does a few more database round trips for a known address (a link, a mail)
//! than for an unknown one. Such an answer goes out no sooner than a fixed time after the
//! request came in, which covers that work on any server not already overloaded.

use std::time::{Duration, Instant};

/// Well above the work of a known address (a few milliseconds), and too short for a person to
/// notice.
pub const ANSWER_AFTER: Duration = Duration::from_millis(100);

/// Waits (without holding a thread) until [`ANSWER_AFTER`] has passed since `started`.
pub async fn no_sooner_than(started: Instant) {
    let left = ANSWER_AFTER.saturating_sub(started.elapsed());
    if !left.is_zero() {
        actix_web::rt::time::sleep(left).await;
    }
}
