//! Webhooks through the real server and a loopback receiver: every finished scan of a key
//! with a webhook is delivered with the documented body and headers, each delivery
//! verifies with the public document's Node.js snippet and with the `standardwebhooks`
//! library, failures are retried on the configured schedule under one delivery id, a
//! rotation signs with both secrets for its grace period, a dead receiver holds up no one
//! else, and internal addresses are refused unless allowed.

mod common;
mod receiver;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{FailsForUsernames, Quick, TestServer, options_with};
use receiver::{Check, Receiver, Reply, verify_with_node};
use serde_json::{Value, json};
use skopio::accounts::Request;
use skopio::engine::Recipe;

/// Short schedule and timeout, and loopback allowed, for receivers on this machine.
const LOOPBACK: &str = "[webhooks]\ntimeout = \"1s\"\nretry_schedule = [\"0s\", \"200ms\", \
                        \"400ms\"]\nallow_networks = [\"127.0.0.0/8\"]\n";

fn server_with(extra: &str, recipes: Vec<Arc<dyn Recipe>>) -> TestServer {
    TestServer::start_with(extra, options_with(recipes, skopio::clock::system()))
}

/// Mints a key for `customer` and returns (key, key id).
fn key_with_id(server: &TestServer, customer: &str, tier: &str) -> (String, String) {
    let created = server
        .admin(Request::KeysCreate {
            customer: customer.into(),
            tier: Some(tier.into()),
            credits: Some(1000),
        })
        .unwrap();
    (
        created["key"].as_str().unwrap().to_string(),
        created["key_id"].as_str().unwrap().to_string(),
    )
}

/// Sets the key's webhook and returns the secret shown.
fn set_webhook(server: &TestServer, key_id: &str, url: &str) -> String {
    let set = server
        .admin(Request::WebhookSet {
            key_id: key_id.into(),
            url: url.into(),
        })
        .unwrap();
    assert_eq!(set["key_id"], key_id);
    assert_eq!(set["url"], url);
    set["secret"].as_str().unwrap().to_string()
}

fn deliveries(server: &TestServer, key_id: &str) -> Vec<Value> {
    let listed = server
        .admin(Request::DeliveriesList {
            key_id: key_id.into(),
            limit: None,
        })
        .unwrap();
    listed.as_array().unwrap().clone()
}

/// Waits until every delivery of the key has left `pending` and returns them.
fn settled(server: &TestServer, key_id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = deliveries(server, key_id);
        let done = listed.len() >= n && listed.iter().all(|d| d["state"] != "pending");
        if done || Instant::now() > deadline {
            return listed;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check<'a>(received: &'a receiver::Received, secret: &'a str, header: &'a str) -> Check<'a> {
    Check {
        received,
        secret,
        skopio_header: Some(header),
        body: None,
    }
}

#[test]
fn every_delivery_carries_the_documented_body_and_verifies_both_ways() {
    // Usernames fail (their only recipe fails); emails and phones complete with no recipe.
    let server = server_with(LOOPBACK, vec![Arc::new(FailsForUsernames)]);
    let hook = Receiver::ok();
    let (key, key_id) = key_with_id(&server, "acme", "business");
    let secret = set_webhook(&server, &key_id, &hook.url());
    assert!(secret.starts_with("whsec_"));

    let single = server.submit(&key, "alice@example.com");
    let failing = server.submit(&key, "johndoe");
    let body = json!({"targets": ["bob@example.com", "+15551234567"]}).to_string();
    let batch = server.post("/api/v1/scan/bulk", Some(&key), &body);
    assert_eq!(batch.status, 202);
    let bulk_id = batch.body["bulk_id"].as_str().unwrap();

    let received = hook.wait_for(4, Duration::from_secs(60));
    assert_eq!(received.len(), 4);
    let by_scan = |id: &Value| {
        received
            .iter()
            .find(|r| r.json()["scan_id"] == *id)
            .unwrap_or_else(|| panic!("no delivery for scan {id}"))
    };
    let completed = by_scan(&single.body["scan_id"]);
    let delivered = completed.json();
    assert_eq!(completed.path, "/hooks/skopio");
    assert_eq!(delivered["event"], "scan.completed");
    assert_eq!(delivered["status"], "completed");
    assert_eq!(delivered["target"], "alice@example.com");
    assert_eq!(delivered["kind"], "email");
    assert!(delivered["completed_at"].as_str().unwrap().ends_with('Z'));
    assert!(delivered["result"]["risk"]["score"].is_number());
    assert!(
        delivered.get("bulk_id").is_none(),
        "bulk_id only for bulk scans"
    );
    let polled = server.wait_done(&key, single.body["scan_id"].as_str().unwrap());
    assert_eq!(
        delivered["result"], polled.body["result"],
        "the body carries the result"
    );

    let failed = by_scan(&failing.body["scan_id"]).json();
    assert_eq!(
        (failed["event"].as_str(), failed["status"].as_str()),
        (Some("scan.failed"), Some("failed"))
    );
    assert_eq!(failed["error"]["code"], "engine_error");
    for scan in batch.body["scans"].as_array().unwrap() {
        assert_eq!(by_scan(&scan["scan_id"]).json()["bulk_id"], bulk_id);
    }

    for delivery in &received {
        let event = delivery.json()["event"].as_str().unwrap().to_string();
        assert_eq!(delivery.header("x-skopio-event"), Some(event.as_str()));
        assert_eq!(delivery.header("user-agent"), Some("Skopio-Webhook/1"));
        assert_eq!(delivery.header("content-type"), Some("application/json"));
        let id = delivery.header("x-skopio-delivery").unwrap();
        assert_eq!(delivery.header("webhook-id"), Some(id));
        let ms: i64 = delivery
            .header("x-skopio-timestamp")
            .unwrap()
            .parse()
            .unwrap();
        let seconds: i64 = delivery
            .header("webhook-timestamp")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ms / 1000, seconds);
        assert!(
            delivery
                .header("x-skopio-signature")
                .unwrap()
                .starts_with("sha256=")
        );
        assert!(
            delivery
                .header("webhook-signature")
                .unwrap()
                .starts_with("v1,")
        );
        assert!(delivery.header("x-skopio-signature-previous").is_none());
    }
    let mut checks: Vec<Check> = received
        .iter()
        .map(|r| check(r, &secret, "x-skopio-signature"))
        .collect();
    let mut tampered = received[0].body.clone();
    tampered[2] ^= 1;
    checks.push(Check {
        body: Some(tampered),
        ..check(&received[0], &secret, "x-skopio-signature")
    });
    let other_secret = skopio::webhooks::sign::new_secret();
    checks.push(check(&received[0], &other_secret, "x-skopio-signature"));
    if let Some(verdicts) = verify_with_node(&checks) {
        for verdict in &verdicts[..4] {
            assert_eq!((verdict.skopio, verdict.standard), (Some(true), true));
        }
        for verdict in &verdicts[4..] {
            assert_eq!((verdict.skopio, verdict.standard), (Some(false), false));
        }
    }

    let log = settled(&server, &key_id, 4);
    assert_eq!(log.len(), 4);
    for delivery in &log {
        assert_eq!(delivery["state"], "delivered");
        let attempts = delivery["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0]["status"], 200);
        assert_eq!(attempts[0]["answer"], "receiver says 200");
        assert!(attempts[0]["error"].is_null());
    }
    assert!(
        !json!(log).to_string().contains(&secret),
        "the log never shows the secret"
    );
}

#[test]
fn a_failing_receiver_is_retried_on_the_schedule_under_one_delivery_id() {
    let server = server_with(LOOPBACK, vec![Arc::new(Quick)]);
    let hook = Receiver::start(
        vec![Reply::Status(500), Reply::Redirect, Reply::Hang],
        Reply::Status(204),
    );
    let (key, key_id) = key_with_id(&server, "acme", "business");
    let secret = set_webhook(&server, &key_id, &hook.url());
    assert_eq!(server.submit(&key, "alice@example.com").status, 202);

    let log = settled(&server, &key_id, 1);
    hook.release();
    let received = hook.received();
    assert_eq!(received.len(), 4, "the first try and three retries");
    let ids: Vec<&str> = received
        .iter()
        .map(|r| r.header("x-skopio-delivery").unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(
        received
            .iter()
            .all(|r| r.header("webhook-id") == Some(ids[0]))
    );
    assert!(
        received.iter().all(|r| r.body == received[0].body),
        "the same body"
    );
    // The schedule's delays, each counted from the failure before it ("0s" is at once);
    // the third attempt failed by its 1 s timeout, which started just before it arrived.
    assert!(received[2].at - received[1].at >= Duration::from_millis(200));
    assert!(received[3].at - received[2].at >= Duration::from_millis(1000 + 400 - 50));

    assert_eq!(log[0]["delivery_id"], ids[0]);
    assert_eq!(log[0]["state"], "delivered");
    let attempts = log[0]["attempts"].as_array().unwrap();
    let statuses: Vec<Value> = attempts.iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [json!(500), json!(302), Value::Null, json!(204)]);
    let errors: Vec<&str> = attempts
        .iter()
        .map(|a| a["error"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(errors[0], "answered 500");
    assert!(
        errors[1].starts_with("redirect 302 to http://"),
        "{}",
        errors[1]
    );
    assert!(errors[1].contains("not followed"));
    assert_eq!(errors[2], "no answer within 1s");
    assert_eq!(errors[3], "-");
    assert_eq!(attempts[0]["answer"], "receiver says 500");
    assert!(
        attempts
            .iter()
            .all(|a| a["at"].is_string() && a["latency_ms"].is_u64())
    );

    let checks: Vec<Check> = received
        .iter()
        .map(|r| check(r, &secret, "x-skopio-signature"))
        .collect();
    if let Some(verdicts) = verify_with_node(&checks) {
        assert!(
            verdicts
                .iter()
                .all(|v| v.skopio == Some(true) && v.standard)
        );
    }
}

#[test]
fn a_receiver_that_never_acknowledges_ends_failed_and_can_be_redelivered() {
    let server = server_with(LOOPBACK, vec![Arc::new(Quick)]);
    let hook = Receiver::start(Vec::new(), Reply::Status(503));
    let (key, key_id) = key_with_id(&server, "acme", "business");
    set_webhook(&server, &key_id, &hook.url());
    assert_eq!(server.submit(&key, "alice@example.com").status, 202);
    let log = settled(&server, &key_id, 1);
    assert_eq!(log[0]["state"], "failed");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 4);
    assert!(log[0]["next_attempt_at"].is_null());
    // Nothing more is scheduled: a later look finds the same four attempts.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(hook.count(), 4);

    hook.answer_all(Reply::Status(200));
    let delivery_id = log[0]["delivery_id"].as_str().unwrap().to_string();
    let again = server
        .admin(Request::DeliveriesRedeliver {
            delivery_id: delivery_id.clone(),
        })
        .unwrap();
    assert_eq!(again["state"], "pending");
    let received = hook.wait_for(5, Duration::from_secs(30));
    assert_eq!(
        received[4].header("x-skopio-delivery"),
        Some(delivery_id.as_str())
    );
    let log = settled(&server, &key_id, 1);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 5);
    let unknown = server.admin(Request::DeliveriesRedeliver {
        delivery_id: "dlv_nothing".into(),
    });
    assert!(unknown.unwrap_err().contains("no delivery"));
}

#[test]
fn a_refused_connection_and_a_dropped_one_are_retried_and_logged() {
    let server = server_with(LOOPBACK, vec![Arc::new(Quick)]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let (key, key_id) = key_with_id(&server, "acme", "business");
    set_webhook(&server, &key_id, &url);
    assert_eq!(server.submit(&key, "alice@example.com").status, 202);
    let log = settled(&server, &key_id, 1);
    assert_eq!(log[0]["state"], "failed");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    for attempt in attempts {
        assert!(attempt["status"].is_null());
        let error = attempt["error"].as_str().unwrap();
        assert!(error.starts_with("connection failed"), "{error}");
    }

    let hook = Receiver::start(vec![Reply::Drop], Reply::Status(200));
    let (key, key_id) = key_with_id(&server, "globex", "business");
    set_webhook(&server, &key_id, &hook.url());
    assert_eq!(server.submit(&key, "bob@example.com").status, 202);
    let log = settled(&server, &key_id, 1);
    assert_eq!(log[0]["state"], "delivered");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(attempts[0]["error"].as_str().is_some());
}

#[test]
fn after_a_rotation_deliveries_carry_both_signatures_until_the_grace_period_ends() {
    let extra = format!("{LOOPBACK}rotation_grace = \"1500ms\"\n");
    let server = server_with(&extra, vec![Arc::new(Quick)]);
    let hook = Receiver::ok();
    let (key, key_id) = key_with_id(&server, "acme", "business");
    let old = set_webhook(&server, &key_id, &hook.url());
    let rotated = server
        .admin(Request::WebhookRotate {
            key_id: key_id.clone(),
        })
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(rotated["url"], hook.url());
    assert!(rotated["previous_secret_valid_until"].is_string());

    assert_eq!(server.submit(&key, "alice@example.com").status, 202);
    let during = hook.wait_for(1, Duration::from_secs(30))[0].clone();
    let signatures = during.header("webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert!(during.header("x-skopio-signature-previous").is_some());

    // Past the grace period only the new secret signs.
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(server.submit(&key, "bob@example.com").status, 202);
    let after = hook.wait_for(2, Duration::from_secs(30))[1].clone();
    assert_eq!(
        after
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        1
    );
    assert!(after.header("x-skopio-signature-previous").is_none());

    let checks = [
        check(&during, &new, "x-skopio-signature"),
        check(&during, &old, "x-skopio-signature-previous"),
        check(&after, &new, "x-skopio-signature"),
        check(&after, &old, "x-skopio-signature"),
    ];
    if let Some(verdicts) = verify_with_node(&checks) {
        let pairs: Vec<(Option<bool>, bool)> =
            verdicts.iter().map(|v| (v.skopio, v.standard)).collect();
        assert_eq!(
            pairs,
            [
                (Some(true), true),
                (Some(true), true),
                (Some(true), true),
                (Some(false), false)
            ]
        );
    }
}

#[test]
fn one_dead_receiver_delays_neither_other_customers_deliveries_nor_scans() {
    // A dead receiver here accepts the connection and never answers; the timeout is far
    // longer than the test needs, so every one of its attempts is still hanging while
    // the other customer's deliveries are checked.
    let extra = "[webhooks]\ntimeout = \"60s\"\nallow_networks = [\"127.0.0.0/8\"]\n";
    let server = server_with(extra, vec![Arc::new(Quick)]);
    let dead = Receiver::start(Vec::new(), Reply::Hang);
    let alive = Receiver::ok();
    let (dead_key, dead_key_id) = key_with_id(&server, "stuck", "enterprise");
    let (key, key_id) = key_with_id(&server, "acme", "business");
    set_webhook(&server, &dead_key_id, &dead.url());
    set_webhook(&server, &key_id, &alive.url());

    let body = json!({ "targets": (0..25).map(|i| format!("stuck{i:02}")).collect::<Vec<_>>() });
    let batch = server.post("/api/v1/scan/bulk", Some(&dead_key), &body.to_string());
    assert_eq!(batch.status, 202, "{}", batch.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    while dead.hanging() < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        dead.hanging(),
        8,
        "a dead receiver gets its 8 attempts at a time"
    );

    let ids: Vec<String> = (0..5)
        .map(|i| {
            let answer = server.submit(&key, &format!("user{i}@example.com"));
            answer.body["scan_id"].as_str().unwrap().to_string()
        })
        .collect();
    for id in &ids {
        assert_eq!(server.wait_done(&key, id).body["status"], "completed");
    }
    let received = alive.wait_for(5, Duration::from_secs(30));
    assert_eq!(
        received.len(),
        5,
        "every delivery of the healthy receiver arrived"
    );
    assert_eq!(
        dead.hanging(),
        8,
        "and all while every attempt to the dead receiver was still waiting"
    );
    assert!(
        deliveries(&server, &dead_key_id)
            .iter()
            .all(|d| d["attempts"].as_array().unwrap().is_empty()),
        "none of the dead receiver's attempts had ended"
    );
    dead.release();
    let log = settled(&server, &dead_key_id, 25);
    assert!(log.iter().all(|d| d["state"] == "delivered"));
}

#[test]
fn clearing_a_webhook_cancels_its_pending_deliveries() {
    let extra = "[webhooks]\ntimeout = \"1s\"\nretry_schedule = [\"300ms\", \"300ms\"]\n\
                 allow_networks = [\"127.0.0.0/8\"]\n";
    let server = server_with(extra, vec![Arc::new(Quick)]);
    let hook = Receiver::start(Vec::new(), Reply::Status(500));
    let (key, key_id) = key_with_id(&server, "acme", "business");
    set_webhook(&server, &key_id, &hook.url());
    assert_eq!(server.submit(&key, "alice@example.com").status, 202);
    hook.wait_for(1, Duration::from_secs(30));
    let cleared = server.admin(Request::WebhookClear {
        key_id: key_id.clone(),
    });
    assert_eq!(cleared.unwrap()["cleared"], true);
    let log = settled(&server, &key_id, 1);
    assert_eq!(log[0]["state"], "cancelled");
    assert!(hook.count() < 3, "no retry after the webhook was cleared");
    let again = server.admin(Request::WebhookClear { key_id });
    assert!(again.unwrap_err().contains("has no webhook"));
}

#[test]
fn a_webhook_needs_a_live_key_and_a_usable_url() {
    let server = server_with(LOOPBACK, vec![Arc::new(Quick)]);
    let (_, key_id) = key_with_id(&server, "acme", "business");
    let set = |key_id: &str, url: &str| {
        server.admin(Request::WebhookSet {
            key_id: key_id.into(),
            url: url.into(),
        })
    };
    assert!(
        set("key_nothing", "https://hooks.example.com/")
            .unwrap_err()
            .contains("no key")
    );
    for url in [
        "ftp://hooks.example.com/",
        "hooks.example.com/x",
        "https://user:pass@hooks.example.com/",
        "http:///nohost",
    ] {
        let refused = set(&key_id, url).unwrap_err();
        assert!(refused.contains("webhook URL refused"), "{url}: {refused}");
    }
    server
        .admin(Request::KeysRevoke {
            key_id: key_id.clone(),
        })
        .unwrap();
    assert!(
        set(&key_id, "https://hooks.example.com/")
            .unwrap_err()
            .contains("revoked")
    );
}

#[test]
fn internal_address_literals_are_refused_when_the_webhook_is_set() {
    let server = server_with("", vec![Arc::new(Quick)]);
    let (_, key_id) = key_with_id(&server, "acme", "business");
    for (url, kind) in [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("https://192.168.1.10/hook", "private"),
        ("http://100.64.1.1/", "carrier-grade NAT"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fd00:ec2::254]/", "unique-local"),
        ("http://[fe80::1]/", "link-local"),
    ] {
        let refused = server
            .admin(Request::WebhookSet {
                key_id: key_id.clone(),
                url: url.into(),
            })
            .unwrap_err();
        assert!(refused.contains(kind), "{url}: {refused}");
        assert!(refused.contains("webhooks.allow_networks"), "{refused}");
    }
}

#[test]
fn names_that_resolve_to_loopback_are_refused_when_delivering_and_not_retried() {
    let server = server_with(
        "[webhooks]\ntimeout = \"1s\"\nretry_schedule = [\"0s\", \"100ms\"]\n",
        vec![Arc::new(Quick)],
    );
    let hook = Receiver::ok();
    let port = hook.addr.port();
    // `localhost`, and 127.0.0.1 written as one decimal number, which the system's
    // resolver turns into the loopback address although it is no address literal here.
    for (customer, url) in [
        ("acme", format!("http://localhost:{port}/hook")),
        ("globex", format!("http://2130706433:{port}/hook")),
    ] {
        let (key, key_id) = key_with_id(&server, customer, "business");
        set_webhook(&server, &key_id, &url);
        assert_eq!(server.submit(&key, "alice@example.com").status, 202);
        let log = settled(&server, &key_id, 1);
        assert_eq!(log[0]["state"], "failed", "{url}");
        let attempts = log[0]["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "a refused address is not retried: {url}");
        let error = attempts[0]["error"].as_str().unwrap();
        assert!(error.starts_with("refused: "), "{error}");
        assert!(error.contains("loopback address"), "{error}");
        assert!(error.contains("webhooks.allow_networks"), "{error}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hook.count(),
        0,
        "the receiver on loopback was never reached"
    );
}
