//! What is acknowledged is durable: scans answered 202 survive a `kill -9` of the real
//! binary under concurrent load, run to completion after restart, and are charged once.

mod binary;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use binary::{Appliance, agent, get_json};
use serde_json::json;

const CONFIG: &str = "[engine]\nworkers = 1\n[tiers.unlimited]\n\
                      day = 1000000\nhour = 1000000\ninflight = 1000000\nbulk = true\n";

#[test]
fn scans_acknowledged_before_a_kill_9_complete_after_restart_charged_once() {
    let appliance = Appliance::new(CONFIG);
    let (mut server, addr) = appliance.serve();
    let created = appliance.json(&[
        "keys",
        "create",
        "--customer",
        "acme",
        "--tier",
        "unlimited",
        "--credits",
        "100000",
    ]);
    let key = created["key"].as_str().unwrap().to_string();

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|client| {
            let (acknowledged, stop, key) =
                (Arc::clone(&acknowledged), Arc::clone(&stop), key.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let url = format!("http://{addr}/api/v1/scan");
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let body = json!({"target": format!("c{client}user{i}")}).to_string();
                    i += 1;
                    let sent = agent
                        .post(&url)
                        .header("Authorization", &format!("Bearer {key}"))
                        .send(&body);
                    let Ok(mut response) = sent else { break };
                    if response.status() == 202 {
                        let text = response.body_mut().read_to_string().unwrap();
                        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
                        let id = body["scan_id"].as_str().unwrap().to_string();
                        acknowledged.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    // Let the load run until a few hundred scans are acknowledged, then kill without
    // warning while requests are in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 300,
        "only {} scans acknowledged",
        acknowledged.len()
    );

    let (mut server, addr) = appliance.serve();
    let agent = agent();
    let shown = appliance.json(&["customers", "show", "acme"]);
    let ledger = shown["ledger"].as_array().unwrap();
    let mut debits: HashMap<String, usize> = HashMap::new();
    for entry in ledger.iter().filter(|e| e["kind"] == "debit") {
        *debits
            .entry(entry["scan_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(debits.values().all(|n| *n == 1), "a scan was charged twice");
    for id in &acknowledged {
        assert_eq!(
            debits.get(id),
            Some(&1),
            "acknowledged scan {id} lost its debit"
        );
    }
    // Every charged scan (acknowledged or not: a commit can land as the kill hits) exists
    // and runs to completion after the restart.
    let charged: HashSet<&String> = debits.keys().collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut pending: Vec<&String> = charged.iter().copied().collect();
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain(|id| {
            let (status, body) = get_json(&agent, &format!("http://{addr}/api/v1/scan/{id}"), &key);
            assert_eq!(status, 200, "scan {id} is missing after restart: {body}");
            body["status"] != "completed"
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        pending.is_empty(),
        "{} scans never completed after restart",
        pending.len()
    );
    let shown = appliance.json(&["customers", "show", "acme"]);
    assert_eq!(
        shown["balance"].as_i64().unwrap(),
        100_000 - charged.len() as i64
    );
    let refunds = shown["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refund")
        .count();
    assert_eq!(refunds, 0);
    let account = get_json(&agent, &format!("http://{addr}/api/v1/account"), &key).1;
    assert_eq!(account["quota"]["inflight"]["used"], 0);
    eprintln!(
        "kill -9 under load: {} acknowledged, {} charged, all completed after restart",
        acknowledged.len(),
        charged.len()
    );
    server.kill().unwrap();
    let _ = server.wait();
}
