//! Bulk lookups through the real API: a batch is queued and charged whole or refused whole
//! (in flight, hour, day, balance, queue), invalid targets are listed with their reason,
//! the tier decides who may use bulk calls, and one customer cannot read another's batch.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Gated, Quick, TestServer, options_with};
use serde_json::{Value, json};
use skopio::accounts::Request;
use skopio::clock::{HOUR_MS, ManualClock, SharedClock};

fn bulk(server: &TestServer, key: &str, targets: Value) -> common::Answer {
    let body = json!({ "targets": targets }).to_string();
    server.post("/api/v1/scan/bulk", Some(key), &body)
}

fn targets(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"target": format!("user{i:03}")}))
            .collect(),
    )
}

fn debits(server: &TestServer, customer: &str) -> Vec<String> {
    let shown = server
        .admin(Request::CustomersShow {
            name: customer.into(),
        })
        .unwrap();
    shown["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "debit")
        .map(|e| e["scan_id"].as_str().unwrap().to_string())
        .collect()
}

fn quick_server(extra: &str) -> TestServer {
    TestServer::start_with(
        extra,
        options_with(vec![Arc::new(Quick)], skopio::clock::system()),
    )
}

#[test]
fn a_bulk_call_queues_the_valid_targets_rejects_the_rest_and_charges_one_credit_each() {
    let server = quick_server("");
    let key = server.key("acme", "business", 10);
    let answer = bulk(
        &server,
        &key,
        json!([
            {"target": "alice@example.com", "kind": "email"},
            {"target": "+15551234567", "kind": "phone"},
            "johndoe",
            {"target": "ab"},
            {"target": "not an email", "kind": "email"},
            {"target": "bob", "kind": "fax"},
            42,
        ]),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["ok"], true);
    assert_eq!(
        (body["total"].as_u64(), body["queued"].as_u64()),
        (Some(7), Some(3))
    );
    let bulk_id = body["bulk_id"].as_str().unwrap().to_string();
    assert!(bulk_id.starts_with("bulk_"));
    assert_eq!(
        body["aggregate_poll_url"],
        format!("{}/api/v1/scan/bulk/{bulk_id}", common::BASE_URL)
    );
    let rejected: Vec<(&str, &str)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap_or("-"),
                r["error"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            ("ab", "target_too_short"),
            ("not an email", "invalid_target"),
            ("bob", "invalid_kind"),
            ("-", "invalid_json"),
        ]
    );
    assert_eq!(body["rejected"][1]["kind"], "email");
    let scans = body["scans"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = scans
        .iter()
        .map(|s| (s["target"].as_str().unwrap(), s["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("alice@example.com", "email"),
            ("+15551234567", "phone"),
            ("johndoe", "username"),
        ]
    );
    let scan_ids: Vec<String> = scans
        .iter()
        .map(|s| s["scan_id"].as_str().unwrap().to_string())
        .collect();
    for scan in scans {
        let id = scan["scan_id"].as_str().unwrap();
        assert_eq!(
            scan["poll_url"],
            format!("{}/api/v1/scan/{id}", common::BASE_URL)
        );
    }
    assert_eq!(server.balance("acme"), 7);
    assert_eq!(
        debits(&server, "acme"),
        scan_ids,
        "one debit per queued target"
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let polled = loop {
        let polled = server.get(&format!("/api/v1/scan/bulk/{bulk_id}"), Some(&key));
        assert_eq!(polled.status, 200, "{}", polled.body);
        if polled.body["all_done"] == true || Instant::now() > deadline {
            break polled;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let aggregate = &polled.body;
    assert_eq!(aggregate["all_done"], true);
    let counts: Vec<u64> = ["total", "queued", "running", "completed", "failed"]
        .iter()
        .map(|f| aggregate[f].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 0, 0, 3, 0]);
    for (scan, id) in aggregate["scans"].as_array().unwrap().iter().zip(&scan_ids) {
        assert_eq!(scan["scan_id"], id.as_str());
        assert_eq!(scan["status"], "completed");
        assert!(scan["result"]["risk"].is_object(), "{scan}");
    }
    let single = server.get(&format!("/api/v1/scan/{}", scan_ids[0]), Some(&key));
    assert_eq!(single.body["bulk_id"], bulk_id.as_str());
}

#[test]
fn a_batch_that_with_the_scans_in_flight_exceeds_the_tier_is_refused_whole() {
    let open = Arc::new(AtomicBool::new(false));
    let server = TestServer::start_with(
        "",
        options_with(
            vec![Arc::new(Gated(Arc::clone(&open)))],
            skopio::clock::system(),
        ),
    );
    let key = server.key("acme", "business", 100);
    let over = bulk(&server, &key, targets(11));
    assert_eq!((over.status, over.error()), (429, "rate_limit_inflight"));
    assert!(over.header("retry-after").is_some());
    assert_eq!(server.balance("acme"), 100, "a refusal costs nothing");

    assert_eq!(bulk(&server, &key, targets(8)).status, 202);
    let over = bulk(&server, &key, targets(3));
    assert_eq!(
        (over.status, over.error()),
        (429, "rate_limit_inflight"),
        "3 more with 8 in flight exceed business's 10"
    );
    let fits = bulk(&server, &key, targets(2));
    assert_eq!(fits.status, 202, "{}", fits.body);
    assert_eq!(server.balance("acme"), 90);
    assert_eq!(debits(&server, "acme").len(), 10);
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.body["quota"]["inflight"]["used"], 10);
    open.store(true, Ordering::SeqCst);
}

#[test]
fn a_batch_counts_against_the_hour_and_the_day_quotas() {
    // 2026-12-03T10:00:00Z.
    let clock = ManualClock::new(1_796_292_000_000);
    let shared: SharedClock = clock.clone();
    let extra = "[tiers.lists]\nday = 7\nhour = 5\ninflight = 100\nbulk = true\n";
    let server = TestServer::start_with(extra, options_with(vec![Arc::new(Quick)], shared));
    let key = server.key("acme", "lists", 100);
    let over = bulk(&server, &key, targets(6));
    assert_eq!((over.status, over.error()), (429, "rate_limit_hour"));
    assert_eq!(over.header("retry-after"), Some("3600"));
    assert_eq!(bulk(&server, &key, targets(5)).status, 202);
    clock.advance_ms(HOUR_MS);
    let over = bulk(&server, &key, targets(3));
    assert_eq!(
        (over.status, over.error()),
        (429, "rate_limit_day"),
        "5 today plus 3 exceed 7"
    );
    assert_eq!(bulk(&server, &key, targets(2)).status, 202);
    assert_eq!(server.balance("acme"), 93);
}

#[test]
fn a_balance_that_cannot_pay_for_every_valid_target_refuses_the_whole_call() {
    let server = quick_server("");
    let key = server.key("acme", "business", 2);
    let answer = bulk(
        &server,
        &key,
        json!([
            "alice@example.com",
            "bob@example.com",
            "carol@example.com",
            "x"
        ]),
    );
    assert_eq!(
        (answer.status, answer.error()),
        (402, "insufficient_balance")
    );
    assert_eq!(answer.body["balance"], 2);
    assert_eq!(answer.body["cost"], 3, "the invalid target costs nothing");
    assert_eq!(server.balance("acme"), 2);
    assert!(debits(&server, "acme").is_empty());
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.body["quota"]["inflight"]["used"], 0);
}

#[test]
fn the_pro_tier_may_not_use_bulk_calls_and_is_told_why() {
    let server = quick_server("");
    let key = server.key("solo", "pro", 10);
    let answer = bulk(&server, &key, targets(1));
    assert_eq!((answer.status, answer.error()), (403, "forbidden"));
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains("(pro)") && message.contains("business"),
        "{message}"
    );
    assert_eq!(server.balance("solo"), 10);
}

#[test]
fn another_customers_bulk_id_is_forbidden_and_an_unknown_one_not_found() {
    let server = quick_server("");
    let owner = server.key("acme", "business", 10);
    let other = server.key("globex", "enterprise", 10);
    let answer = bulk(&server, &owner, targets(2));
    let bulk_id = answer.body["bulk_id"].as_str().unwrap();
    let path = format!("/api/v1/scan/bulk/{bulk_id}");
    let refused = server.get(&path, Some(&other));
    assert_eq!((refused.status, refused.error()), (403, "forbidden"));
    assert!(
        !refused.body.to_string().contains("user000"),
        "nothing leaks"
    );
    assert_eq!(server.get(&path, Some(&owner)).status, 200);
    let missing = server.get("/api/v1/scan/bulk/bulk_nothing", Some(&owner));
    assert_eq!((missing.status, missing.error()), (404, "bulk_not_found"));
}

#[test]
fn malformed_and_oversized_batches_are_refused_before_anything_is_charged() {
    let server = quick_server("");
    let key = server.key("acme", "business", 1000);
    let too_many = bulk(&server, &key, targets(101));
    assert_eq!(
        (too_many.status, too_many.error()),
        (400, "too_many_targets")
    );
    assert_eq!(too_many.body["max_targets"], 100);
    let none_valid = bulk(
        &server,
        &key,
        json!(["ab", {"target": "x", "kind": "phone"}]),
    );
    assert_eq!(
        (none_valid.status, none_valid.error()),
        (400, "invalid_target")
    );
    assert_eq!(none_valid.body["rejected"].as_array().unwrap().len(), 2);
    for body in [r#"{"targets": []}"#, r#"{"targets": "alice"}"#, "[1]", "{"] {
        let answer = server.post("/api/v1/scan/bulk", Some(&key), body);
        assert_eq!(
            (answer.status, answer.error()),
            (400, "invalid_json"),
            "{body}"
        );
    }
    assert_eq!(server.balance("acme"), 1000);
}

#[test]
fn a_batch_the_queue_cannot_hold_is_refused_with_engine_submit_failed() {
    let open = Arc::new(AtomicBool::new(false));
    let server = TestServer::start_with(
        "[engine]\nworkers = 1\nqueue_capacity = 5\n",
        options_with(
            vec![Arc::new(Gated(Arc::clone(&open)))],
            skopio::clock::system(),
        ),
    );
    let key = server.key("acme", "enterprise", 100);
    let refused = bulk(&server, &key, targets(6));
    assert_eq!(
        (refused.status, refused.error()),
        (502, "engine_submit_failed")
    );
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(server.balance("acme"), 100);
    assert_eq!(bulk(&server, &key, targets(5)).status, 202);
    open.store(true, Ordering::SeqCst);
}
