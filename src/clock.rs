//! Time as the rest of Skopio sees it: UTC milliseconds since the epoch from a `Clock`
//! that tests can replace, and the fixed UTC windows quotas are counted in.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> i64;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        since.as_millis() as i64
    }
}

/// A clock that only moves when told to, for tests of window boundaries.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_ms: i64) -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(now_ms)))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub type SharedClock = Arc<dyn Clock>;

pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// Start of the fixed window of `len_ms` holding `now_ms` (UTC: the epoch is midnight UTC).
pub fn window_start(now_ms: i64, len_ms: i64) -> i64 {
    now_ms.div_euclid(len_ms) * len_ms
}

/// Whole seconds, rounded up, until the window holding `now_ms` ends.
pub fn seconds_to_window_end(now_ms: i64, len_ms: i64) -> u64 {
    let end = window_start(now_ms, len_ms) + len_ms;
    ((end - now_ms + 999) / 1000) as u64
}

/// RFC 3339 UTC with second precision, as the API writes instants (`2026-05-17T12:34:56Z`).
pub fn rfc3339(ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_the_utc_clock() {
        let t = 1_780_000_000_123; // 2026-05-28T20:26:40.123Z
        assert_eq!(rfc3339(window_start(t, HOUR_MS)), "2026-05-28T20:00:00Z");
        assert_eq!(rfc3339(window_start(t, DAY_MS)), "2026-05-28T00:00:00Z");
        assert_eq!(seconds_to_window_end(t, HOUR_MS), 33 * 60 + 20);
    }
}
