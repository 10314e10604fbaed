//! Authentication: the Bearer header, the key lookup by SHA-256 hash, and the brake on
//! repeated failures from one address. Keys are compared only as hashes; a plaintext key
//! is never stored, logged or kept past the request.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::accounts::key_hash;
use crate::ids::KEY_PREFIX;
use crate::store::{ApiKey, Customer, ReadTx, StoreError};

/// Failed attempts one address may make in a burst before its answers are delayed.
const FAILURE_BURST: u32 = 10;
/// After the burst, one more failure is allowed every this many milliseconds.
const FAILURE_REFILL_MS: u64 = 2_000;
/// Longest a failing answer is held back: long enough to make guessing slow, short
/// enough that a legitimate client with a stale key still hears why.
const MAX_FAILURE_DELAY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header, or not of the form `Bearer <token>`.
    Unauthorized,
    /// A token that names no live key.
    InvalidToken,
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: Option<&[u8]>) -> Result<&str, AuthError> {
    let header = header.ok_or(AuthError::Unauthorized)?;
    let header = std::str::from_utf8(header).map_err(|_| AuthError::Unauthorized)?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(AuthError::Unauthorized)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AuthError::Unauthorized);
    }
    Ok(token)
}

/// Finds the live key and its customer for `token`.
pub fn lookup(
    tx: &ReadTx,
    token: &str,
) -> Result<Result<(ApiKey, Customer), AuthError>, StoreError> {
    // A token that cannot be a key is not worth a hash and a lookup.
    let shaped = token.starts_with(KEY_PREFIX)
        && token.len() <= 128
        && token[KEY_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric());
    if !shaped {
        return Ok(Err(AuthError::InvalidToken));
    }
    let Some(key) = tx.key_by_hash(&key_hash(token))? else {
        return Ok(Err(AuthError::InvalidToken));
    };
    if key.revoked_ms.is_some() {
        return Ok(Err(AuthError::InvalidToken));
    }
    match tx.customer(&key.customer)? {
        Some(customer) => Ok(Ok((key, customer))),
        None => Ok(Err(AuthError::InvalidToken)),
    }
}

/// Slows down addresses that keep failing authentication.
pub struct FailureBrake {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for FailureBrake {
    fn default() -> Self {
        let burst = NonZeroU32::new(FAILURE_BURST).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_millis(FAILURE_REFILL_MS))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        FailureBrake {
            limiter: RateLimiter::keyed(quota),
        }
    }
}

impl FailureBrake {
    /// Records a failure from `ip` and says how long to hold its answer back.
    pub fn failed(&self, ip: IpAddr) -> Duration {
        match self.limiter.check_key(&ip) {
            Ok(()) => Duration::ZERO,
            Err(not_until) => not_until
                .wait_time_from(DefaultClock::default().now())
                .min(MAX_FAILURE_DELAY),
        }
    }

    /// Forgets addresses whose budget has refilled, so the map does not grow forever.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_header_with_one_token_is_accepted() {
        assert_eq!(bearer_token(Some(b"Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some(b"bearer   abc ")), Ok("abc"));
        assert_eq!(bearer_token(None), Err(AuthError::Unauthorized));
        assert_eq!(
            bearer_token(Some(b"Basic abc")),
            Err(AuthError::Unauthorized)
        );
        assert_eq!(bearer_token(Some(b"Bearer")), Err(AuthError::Unauthorized));
        assert_eq!(
            bearer_token(Some(b"Bearer a b")),
            Err(AuthError::Unauthorized)
        );
        assert_eq!(
            bearer_token(Some(&[0xff, 0xfe])),
            Err(AuthError::Unauthorized)
        );
    }

    #[test]
    fn failures_beyond_the_burst_are_delayed() {
        let brake = FailureBrake::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..FAILURE_BURST {
            assert_eq!(brake.failed(ip), Duration::ZERO);
        }
        assert!(brake.failed(ip) > Duration::ZERO);
        assert_eq!(brake.failed([10, 0, 0, 2].into()), Duration::ZERO);
    }
}
