//! Credits and quotas under concurrency: the balance never goes below zero, every refusal
//! is a 402 or a 429 and costs nothing, in-flight limits hold, and hour windows are fixed
//! UTC windows that survive a restart.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{TestServer, options_with};
use skopio::clock::{HOUR_MS, ManualClock, SharedClock};
use skopio::engine::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use skopio::target::Kind;

/// A recipe that takes a while, so scans stay in flight during a test.
struct Slow(Duration);

impl Recipe for Slow {
    fn name(&self) -> &'static str {
        "test.slow"
    }
    fn applies_to(&self, _: Kind) -> bool {
        true
    }
    fn run(&self, _: Arc<ScanInput>) -> RecipeFuture {
        let pause = self.0;
        Box::pin(async move {
            tokio::time::sleep(pause).await;
            Ok(RecipeOutput::default())
        })
    }
}

/// Fires `n` submissions at once from `n` threads; returns each (status, error code).
fn burst(server: &Arc<TestServer>, key: &str, n: usize) -> Vec<(u16, String)> {
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let server = Arc::clone(server);
            let key = key.to_string();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let answer = server.submit(&key, &format!("user{i:04}"));
                (answer.status, answer.error().to_string())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

const UNLIMITED: &str =
    "[tiers.unlimited]\nday = 100000\nhour = 100000\ninflight = 100000\nbulk = true\n";

#[test]
fn a_balance_of_n_admits_exactly_n_of_n_plus_50_simultaneous_scans() {
    let server = Arc::new(TestServer::start(UNLIMITED));
    let key = server.key("acme", "unlimited", 40);
    let answers = burst(&server, &key, 90);
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
    let broke = answers
        .iter()
        .filter(|(s, e)| *s == 402 && e == "insufficient_balance")
        .count();
    assert_eq!((accepted, broke), (40, 50), "{answers:?}");
    assert_eq!(server.balance("acme"), 0);
    let shown = server.admin(skopio::accounts::Request::CustomersShow {
        name: "acme".into(),
    });
    let ledger = shown.unwrap()["ledger"].as_array().unwrap().clone();
    let debits = ledger.iter().filter(|e| e["kind"] == "debit").count();
    assert_eq!(debits, 40);
    assert!(
        ledger
            .iter()
            .all(|e| e["balance_after"].as_i64().unwrap() >= 0)
    );
}

#[test]
fn on_a_standard_tier_every_refusal_is_a_402_or_429_and_costs_nothing() {
    let options = options_with(
        vec![Arc::new(Slow(Duration::from_millis(300)))],
        skopio::clock::system(),
    );
    let server = Arc::new(TestServer::start_with("", options));
    let key = server.key("acme", "business", 30);
    let answers = burst(&server, &key, 60);
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count() as i64;
    for (status, error) in &answers {
        let allowed = matches!(
            (status, error.as_str()),
            (202, _)
                | (402, "insufficient_balance")
                | (
                    429,
                    "rate_limit_inflight" | "rate_limit_hour" | "rate_limit_day"
                )
        );
        assert!(allowed, "unexpected answer {status} {error}");
    }
    assert!(
        accepted >= 1 && accepted <= 10,
        "business allows 10 in flight, got {accepted}"
    );
    assert_eq!(server.balance("acme"), 30 - accepted);
}

#[test]
fn no_more_than_the_inflight_limit_is_ever_queued_or_running() {
    let options = options_with(
        vec![Arc::new(Slow(Duration::from_secs(2)))],
        skopio::clock::system(),
    );
    let server = Arc::new(TestServer::start_with("", options));
    let key = server.key("acme", "pro", 100);
    let answers = burst(&server, &key, 20);
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
    let inflight_refusals = answers
        .iter()
        .filter(|(s, e)| *s == 429 && e == "rate_limit_inflight")
        .count();
    assert_eq!((accepted, inflight_refusals), (3, 17));
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.body["quota"]["inflight"]["used"], 3);
    let refused = server.submit(&key, "another");
    assert_eq!(refused.status, 429);
    assert!(
        refused
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(server.balance("acme"), 97);
}

#[test]
fn the_hour_window_is_a_fixed_utc_hour_that_survives_a_restart() {
    // 2026-12-03T10:59:00Z: one minute before the window turns.
    let clock = ManualClock::new(1_796_295_540_000);
    let shared: SharedClock = clock.clone();
    let extra = "[tiers.tiny]\nday = 10\nhour = 2\ninflight = 5\nbulk = false\n";
    let server = TestServer::start_with(
        extra,
        options_with(vec![Arc::new(Slow(Duration::ZERO))], shared.clone()),
    );
    let key = server.key("acme", "tiny", 10);
    assert_eq!(server.submit(&key, "first").status, 202);
    assert_eq!(server.submit(&key, "second").status, 202);
    let refused = server.submit(&key, "third");
    assert_eq!((refused.status, refused.error()), (429, "rate_limit_hour"));
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(refused.body["retry_after"], 60);
    assert!(
        refused
            .header("ratelimit")
            .unwrap()
            .starts_with("\"hour\";r=0;t=60")
    );

    let server = server.restart(options_with(vec![Arc::new(Slow(Duration::ZERO))], shared));
    let still = server.submit(&key, "third");
    assert_eq!(
        (still.status, still.error()),
        (429, "rate_limit_hour"),
        "the count survived"
    );
    clock.advance_ms(60_000);
    assert_eq!(
        server.submit(&key, "third").status,
        202,
        "a new hour began at :00"
    );
    assert_eq!(server.balance("acme"), 7);
}

#[test]
fn the_day_window_refuses_with_the_seconds_to_midnight_utc() {
    // 2026-12-03T23:00:00Z.
    let clock = ManualClock::new(1_796_338_800_000);
    let shared: SharedClock = clock.clone();
    let extra = "[tiers.daily]\nday = 1\nhour = 10\ninflight = 5\nbulk = false\n";
    let server = TestServer::start_with(
        extra,
        options_with(vec![Arc::new(Slow(Duration::ZERO))], shared),
    );
    let key = server.key("acme", "daily", 10);
    assert_eq!(server.submit(&key, "first").status, 202);
    let refused = server.submit(&key, "second");
    assert_eq!((refused.status, refused.error()), (429, "rate_limit_day"));
    assert_eq!(refused.header("retry-after"), Some("3600"));
    clock.advance_ms(HOUR_MS);
    assert_eq!(server.submit(&key, "second").status, 202);
}

#[test]
fn a_full_queue_refuses_with_engine_submit_failed_and_charges_nothing() {
    let options = options_with(
        vec![Arc::new(Slow(Duration::from_secs(3)))],
        skopio::clock::system(),
    );
    let extra = format!("[engine]\nworkers = 1\nqueue_capacity = 2\n{UNLIMITED}");
    let server = TestServer::start_with(&extra, options);
    let key = server.key("acme", "unlimited", 10);
    let statuses: Vec<u16> = (0..5)
        .map(|i| server.submit(&key, &format!("user{i}")).status)
        .collect();
    // One running, two queued, then the queue is full.
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        3,
        "{statuses:?}"
    );
    let refused = server.submit(&key, "overflow");
    assert_eq!(
        (refused.status, refused.error()),
        (502, "engine_submit_failed")
    );
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(server.balance("acme"), 7);
}
