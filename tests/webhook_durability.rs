//! Webhooks with the real binary, as an operator runs it: `skopio webhook` and `skopio
//! deliveries` commands while the server runs and without it, and a retry pending when
//! the server is killed with SIGKILL still comes after the restart, under the same
//! delivery id. The secret is shown once and never logged.

mod binary;
mod receiver;

use std::time::{Duration, Instant};

use binary::{Appliance, agent};
use receiver::{Check, Receiver, Reply, verify_with_node};
use serde_json::{Value, json};

const CONFIG: &str = "[webhooks]\ntimeout = \"1s\"\nretry_schedule = [\"0s\", \"4s\", \"4s\"]\n\
                      allow_networks = [\"127.0.0.0/8\"]\n";

/// Runs `deliveries list KEY_ID --json` until `done` holds for the newest delivery.
fn wait_delivery(appliance: &Appliance, key_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = appliance.json(&["deliveries", "list", key_id]);
        let newest = listed[0].clone();
        if done(&newest) || Instant::now() > deadline {
            return newest;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn attempts(delivery: &Value) -> usize {
    delivery["attempts"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_retry_pending_at_a_kill_9_comes_after_restart_with_the_same_delivery_id() {
    let hook = Receiver::start(
        vec![Reply::Status(503), Reply::Status(503)],
        Reply::Status(200),
    );
    let appliance = Appliance::new(CONFIG);
    let log = appliance.dir.path().join("serve.log");
    let (mut server, addr) = appliance.serve_logged(&log);
    let created = appliance.json(&[
        "keys",
        "create",
        "--customer",
        "acme",
        "--tier",
        "business",
        "--credits",
        "10",
    ]);
    let key = created["key"].as_str().unwrap().to_string();
    let key_id = created["key_id"].as_str().unwrap().to_string();
    let set = appliance.json(&["webhook", "set", &key_id, &hook.url()]);
    assert_eq!(
        (set["key_id"].as_str(), set["url"].as_str()),
        (Some(key_id.as_str()), Some(hook.url().as_str()))
    );
    let secret = set["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));

    let submitted = agent()
        .post(&format!("http://{addr}/api/v1/scan"))
        .header("Authorization", &format!("Bearer {key}"))
        .send(json!({"target": "alice@example.com"}).to_string())
        .unwrap();
    assert_eq!(submitted.status(), 202);

    // Two failed attempts are recorded and the next one is due in 4 s: kill now.
    let pending = wait_delivery(&appliance, &key_id, |d| attempts(d) == 2);
    assert_eq!(
        (pending["state"].as_str(), attempts(&pending)),
        (Some("pending"), 2)
    );
    assert!(pending["next_attempt_at"].is_string());
    server.kill().unwrap();
    server.wait().unwrap();
    let before_restart = hook.count();
    assert_eq!(before_restart, 2);

    // Without a server the log is read straight from the file.
    let offline = appliance.json(&["deliveries", "list", &key_id]);
    assert_eq!(offline[0]["state"], "pending");

    let (mut server, _) = appliance.serve_logged(&log);
    let received = hook.wait_for(3, Duration::from_secs(60));
    assert_eq!(received.len(), 3, "the retry came after the restart");
    let first_id = received[0].header("x-skopio-delivery").unwrap();
    assert_eq!(received[2].header("x-skopio-delivery"), Some(first_id));
    assert_eq!(received[2].header("webhook-id"), Some(first_id));
    let delivered = wait_delivery(&appliance, &key_id, |d| d["state"] == "delivered");
    assert_eq!(delivered["delivery_id"], first_id);
    let statuses: Vec<Value> = delivered["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(503), json!(200)]);
    let human = appliance.run(&["deliveries", "list", &key_id]);
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains(first_id) && human.contains("delivered"),
        "{human}"
    );
    assert!(human.contains("answered 503"), "{human}");

    // Rotation and redelivery while the server runs.
    let rotated = appliance.json(&["webhook", "rotate", &key_id]);
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let again = appliance.json(&["deliveries", "redeliver", first_id]);
    assert_eq!(again["delivery_id"], first_id);
    let received = hook.wait_for(4, Duration::from_secs(60));
    assert_eq!(received[3].header("x-skopio-delivery"), Some(first_id));
    let checks = [
        Check {
            received: &received[2],
            secret: &secret,
            skopio_header: Some("x-skopio-signature"),
            body: None,
        },
        Check {
            received: &received[3],
            secret: &new_secret,
            skopio_header: Some("x-skopio-signature"),
            body: None,
        },
        Check {
            received: &received[3],
            secret: &secret,
            skopio_header: Some("x-skopio-signature-previous"),
            body: None,
        },
    ];
    if let Some(verdicts) = verify_with_node(&checks) {
        assert!(
            verdicts
                .iter()
                .all(|v| v.skopio == Some(true) && v.standard),
            "{verdicts:?}"
        );
    }

    for shown in [
        appliance.run(&["deliveries", "list", &key_id, "--json"]),
        appliance.run(&["keys", "list", "--json"]),
        appliance.run(&["customers", "show", "acme", "--json"]),
    ] {
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            !text.contains(&secret) && !text.contains(&new_secret),
            "{text}"
        );
    }
    let cleared = appliance.json(&["webhook", "clear", &key_id]);
    assert_eq!(cleared["cleared"], true);
    server.kill().unwrap();
    server.wait().unwrap();

    // With no server, the commands work on the file itself.
    let offline = appliance.json(&["webhook", "set", &key_id, &hook.url()]);
    assert!(offline["secret"].as_str().unwrap().starts_with("whsec_"));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("webhook attempt"), "attempts are logged");
    for secret in [&secret, &new_secret] {
        assert!(
            !logged.contains(secret.as_str()),
            "a secret reached the log"
        );
    }
    assert!(!logged.contains(&key), "a key reached the log");
}
