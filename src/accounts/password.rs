//! Password hashing with argon2id (default parameters of the argon2 crate: 19 MiB, 2 passes).

use std::sync::LazyLock;

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Password work running at once, at most one per core. argon2 is CPU-bound, so running more at
/// once only adds memory (19 MiB each): 64 logins at once took the server to 450-830 MB.
/// Those waiting wait here, not on a blocking thread that database reads also need.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs password work ([`hash`], [`verify`]) on a blocking thread once a slot is free.
pub async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let slot = SLOTS.acquire().await.map_err(|_| AppError::Unavailable)?;
    // The slot goes with the work: it is held until the work ends, even if the request is dropped.
    actix_web::web::block(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| AppError::internal(format!("password work: {e}")))
}

pub fn hash(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("argon2: {e}")))
}

/// Constant work whether or not the hash is valid; `None` (no account, or no password set)
/// still costs one verification so that timing does not reveal which addresses exist.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("wilkan-dummy-password").unwrap_or_default());
    let (candidate, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(candidate)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    ok && real
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[actix_web::test]
    async fn password_work_runs_at_most_one_per_core() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..cores * 4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            off_thread(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let done = futures_util::future::join_all(jobs).await;
        assert!(done.iter().all(Result::is_ok));
        let most = most.load(Ordering::SeqCst);
        assert!((1..=cores).contains(&most), "{most} ran at once on {cores} cores");
    }

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let stored = hash("een-lang-wachtwoord").unwrap();
        assert!(verify("een-lang-wachtwoord", Some(&stored)));
        assert!(!verify("een-ander-wachtwoord", Some(&stored)));
        assert!(!verify("een-lang-wachtwoord", None));
    }
}
