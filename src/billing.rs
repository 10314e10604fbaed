//! Credits and quotas: the rules deciding whether a customer may start `n` more scans,
//! and what starting them changes. Pure functions over a `Customer` record and its `Tier`,
//! so the store can apply them inside the one transaction that also queues the scans.
//!
//! Checks run in the order SPEC section 3 fixes: in flight, hour, day, balance. Windows
//! are fixed UTC windows (the hour from :00, the day from 00:00); their counters live in
//! the customer record and so survive restarts. A refusal changes nothing.

use crate::clock::{DAY_MS, HOUR_MS, seconds_to_window_end, window_start};
use crate::config::Tier;
use crate::store::Customer;

/// Why a customer may not start more scans now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Inflight { limit: u32 },
    Hour { limit: u32, retry_after: u64 },
    Day { limit: u32, retry_after: u64 },
    Balance { balance: i64 },
}

/// A customer's quota use at one instant, for the RateLimit headers and `/account`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    pub tier: Tier,
    pub hour_used: u32,
    pub hour_reset: u64,
    pub day_used: u32,
    pub day_reset: u64,
    pub inflight: u32,
    pub balance: i64,
}

/// Starts new windows on the customer record when the clock has left the stored ones.
pub fn roll_windows(customer: &mut Customer, now_ms: i64) {
    let hour = window_start(now_ms, HOUR_MS);
    if customer.hour_start != hour {
        customer.hour_start = hour;
        customer.hour_used = 0;
    }
    let day = window_start(now_ms, DAY_MS);
    if customer.day_start != day {
        customer.day_start = day;
        customer.day_used = 0;
    }
}

/// Decides whether `n` scans may start now. `customer` must have had `roll_windows`.
pub fn check(customer: &Customer, tier: &Tier, n: u32, now_ms: i64) -> Result<(), Refusal> {
    if customer.inflight.saturating_add(n) > tier.inflight {
        return Err(Refusal::Inflight {
            limit: tier.inflight,
        });
    }
    if customer.hour_used.saturating_add(n) > tier.hour {
        let retry_after = seconds_to_window_end(now_ms, HOUR_MS);
        return Err(Refusal::Hour {
            limit: tier.hour,
            retry_after,
        });
    }
    if customer.day_used.saturating_add(n) > tier.day {
        let retry_after = seconds_to_window_end(now_ms, DAY_MS);
        return Err(Refusal::Day {
            limit: tier.day,
            retry_after,
        });
    }
    if customer.balance < i64::from(n) {
        return Err(Refusal::Balance {
            balance: customer.balance,
        });
    }
    Ok(())
}

/// Counts `n` started scans against every window and takes `n` credits. Call only after
/// `check` allowed them; the caller writes the matching ledger entries.
pub fn charge(customer: &mut Customer, n: u32) {
    customer.inflight += n;
    customer.hour_used += n;
    customer.day_used += n;
    customer.balance -= i64::from(n);
}

/// A scan left the queued-or-running set.
pub fn release(customer: &mut Customer) {
    customer.inflight = customer.inflight.saturating_sub(1);
}

pub fn state(customer: &Customer, tier: &Tier, now_ms: i64) -> QuotaState {
    let mut view = customer.clone();
    roll_windows(&mut view, now_ms);
    QuotaState {
        tier: *tier,
        hour_used: view.hour_used,
        hour_reset: seconds_to_window_end(now_ms, HOUR_MS),
        day_used: view.day_used,
        day_reset: seconds_to_window_end(now_ms, DAY_MS),
        inflight: view.inflight,
        balance: view.balance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRO: Tier = Tier {
        day: 100,
        hour: 20,
        inflight: 3,
        bulk: false,
    };
    // 2026-12-03T10:59:59.000Z
    const T: i64 = 1_796_295_599_000;

    fn customer(balance: i64) -> Customer {
        Customer {
            name: "acme".into(),
            tier: "pro".into(),
            balance,
            created_ms: 0,
            inflight: 0,
            hour_start: 0,
            hour_used: 0,
            day_start: 0,
            day_used: 0,
            next_ledger_seq: 0,
        }
    }

    #[test]
    fn inflight_is_checked_before_the_hour_and_the_balance() {
        let mut c = customer(0);
        roll_windows(&mut c, T);
        c.inflight = 3;
        c.hour_used = 20;
        assert_eq!(check(&c, &PRO, 1, T), Err(Refusal::Inflight { limit: 3 }));
        c.inflight = 0;
        assert_eq!(
            check(&c, &PRO, 1, T),
            Err(Refusal::Hour {
                limit: 20,
                retry_after: 1
            })
        );
        c.hour_used = 0;
        assert_eq!(check(&c, &PRO, 1, T), Err(Refusal::Balance { balance: 0 }));
    }

    #[test]
    fn the_hour_window_restarts_at_the_top_of_the_hour() {
        let mut c = customer(100);
        roll_windows(&mut c, T);
        c.hour_used = 20;
        assert!(check(&c, &PRO, 1, T).is_err());
        roll_windows(&mut c, T + 1_000);
        assert_eq!(c.hour_used, 0);
        assert_eq!(check(&c, &PRO, 1, T + 1_000), Ok(()));
    }

    #[test]
    fn the_day_window_restarts_at_midnight_utc() {
        let mut c = customer(100);
        roll_windows(&mut c, T);
        c.day_used = 100;
        let retry = match check(&c, &PRO, 1, T) {
            Err(Refusal::Day { retry_after, .. }) => retry_after,
            other => panic!("expected a day refusal, got {other:?}"),
        };
        assert_eq!(retry, 13 * 3600 + 1);
        roll_windows(&mut c, T + retry as i64 * 1000);
        assert_eq!(c.day_used, 0);
    }

    #[test]
    fn charging_counts_every_window_and_takes_credits() {
        let mut c = customer(5);
        roll_windows(&mut c, T);
        charge(&mut c, 2);
        assert_eq!(
            (c.inflight, c.hour_used, c.day_used, c.balance),
            (2, 2, 2, 3)
        );
        release(&mut c);
        assert_eq!(c.inflight, 1);
    }
}
