//! Webhook benchmark: starts the appliance in-process (instant recipes, so the figures are
//! the delivery path's, not the engine's) with loopback receivers, and measures
//!
//! 1. deliveries per second to one fast receiver, for scans submitted in bulk calls;
//! 2. how long healthy customers wait for their deliveries (from their bulk call's 202 to
//!    the delivery's arrival), first alone, then while one other customer's receiver is
//!    dead (it accepts connections and never answers) and has a backlog of deliveries.
//!
//! Run: `cargo bench --bench webhooks` (`SKOPIO_BENCH_SCANS` sets phase 1's scan count).

#[path = "../tests/receiver/mod.rs"]
mod receiver;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use receiver::{Receiver, Reply};
use serde_json::{Value, json};
use skopio::accounts::Request;
use skopio::config::Config;
use skopio::engine::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use skopio::target::Kind;

struct Instantly;

impl Recipe for Instantly {
    fn name(&self) -> &'static str {
        "bench.instant"
    }
    fn applies_to(&self, _: Kind) -> bool {
        true
    }
    fn run(&self, _: Arc<ScanInput>) -> RecipeFuture {
        Box::pin(async { Ok(RecipeOutput::default()) })
    }
}

struct Bench {
    runtime: tokio::runtime::Runtime,
    running: Option<skopio::app::Running>,
    config: Config,
    _dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Bench {
    fn start() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"{}\"\n\
             [webhooks]\nallow_networks = [\"127.0.0.0/8\"]\n\
             [tiers.bench]\nday = 10000000\nhour = 10000000\ninflight = 100000\nbulk = true\n",
            dir.path().display()
        );
        let config = Config::parse(&text).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let options = skopio::app::Options {
            clock: skopio::clock::system(),
            recipes: Some(vec![Arc::new(Instantly)]),
            sites: None,
        };
        let running = runtime
            .block_on(skopio::app::start(config.clone(), options))
            .unwrap();
        let mut config = config;
        config.server.listen = running.addr;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        Bench {
            runtime,
            running: Some(running),
            config,
            _dir: dir,
            agent,
        }
    }

    /// A customer with a key whose webhook sends to `url`; returns the key.
    fn customer(&self, name: &str, url: &str) -> String {
        let created = skopio::admin::call(
            &self.config,
            &Request::KeysCreate {
                customer: name.into(),
                tier: Some("bench".into()),
                credits: Some(1_000_000),
            },
        )
        .unwrap();
        let key_id = created["key_id"].as_str().unwrap().to_string();
        skopio::admin::call(
            &self.config,
            &Request::WebhookSet {
                key_id,
                url: url.into(),
            },
        )
        .unwrap();
        created["key"].as_str().unwrap().to_string()
    }

    /// One bulk call of `n` targets; returns the scan ids and when the 202 arrived.
    fn bulk(&self, key: &str, prefix: &str, n: usize) -> (Vec<String>, Instant) {
        let targets: Vec<String> = (0..n).map(|i| format!("{prefix}{i:05}")).collect();
        let mut response = self
            .agent
            .post(&format!(
                "http://{}/api/v1/scan/bulk",
                self.config.server.listen
            ))
            .header("Authorization", &format!("Bearer {key}"))
            .send(json!({ "targets": targets }).to_string())
            .unwrap();
        let answered = Instant::now();
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let ids = body["scans"]
            .as_array()
            .unwrap_or_else(|| panic!("bulk refused: {body}"))
            .iter()
            .map(|s| s["scan_id"].as_str().unwrap().to_string())
            .collect();
        (ids, answered)
    }
}

impl Bench {
    /// Waits until every scan of `ids` is completed (or 60 s passed).
    fn wait_completed(&self, key: &str, ids: &[String]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for id in ids {
            while Instant::now() < deadline {
                let url = format!("http://{}/api/v1/scan/{id}", self.config.server.listen);
                let mut answer = self
                    .agent
                    .get(&url)
                    .header("Authorization", &format!("Bearer {key}"))
                    .call()
                    .unwrap();
                let body: Value =
                    serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
                if body["status"] == "completed" {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            drop(self.runtime.block_on(running.shutdown()));
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn throughput(n_scans: usize) {
    let bench = Bench::start();
    let hook = Receiver::ok();
    let key = bench.customer("fast", &hook.url());
    let started = Instant::now();
    for call in 0..n_scans.div_ceil(100) {
        bench.bulk(&key, &format!("c{call:03}u"), 100.min(n_scans - call * 100));
    }
    let received = hook.wait_for(n_scans, Duration::from_secs(600));
    let first = received.first().map(|r| r.at).unwrap_or(started);
    let last = received.last().map(|r| r.at).unwrap_or(started);
    let steady = (received.len() - 1) as f64 / (last - first).as_secs_f64();
    println!(
        "fast receiver: {} deliveries in {:.2} s from the first bulk call ({:.0}/s end to end, \
         {:.0}/s from first to last delivery)",
        received.len(),
        (last - started).as_secs_f64(),
        received.len() as f64 / (last - started).as_secs_f64(),
        steady
    );
}

/// Healthy customers' delivery latencies (ms, sorted), with or without a dead receiver.
fn isolation(with_dead_receiver: bool) -> Vec<f64> {
    const HEALTHY: usize = 10;
    const PER_CUSTOMER: usize = 100;
    const DEAD_BACKLOG: usize = 500;
    let bench = Bench::start();
    let dead = Receiver::start(Vec::new(), Reply::Hang);
    if with_dead_receiver {
        let key = bench.customer("stuck", &dead.url());
        let mut owed = Vec::new();
        for call in 0..DEAD_BACKLOG / 100 {
            owed.extend(bench.bulk(&key, &format!("dead{call}u"), 100).0);
        }
        // Every scan of the stuck customer done, so the healthy ones below meet only its
        // deliveries, not its scans, in the worker queue.
        bench.wait_completed(&key, &owed);
        let deadline = Instant::now() + Duration::from_secs(30);
        while dead.hanging() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let receivers: Vec<Receiver> = (0..HEALTHY).map(|_| Receiver::ok()).collect();
    let keys: Vec<String> = receivers
        .iter()
        .enumerate()
        .map(|(i, r)| bench.customer(&format!("healthy{i}"), &r.url()))
        .collect();
    let mut submitted: HashMap<String, Instant> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let (ids, at) = bench.bulk(key, &format!("h{i}u"), PER_CUSTOMER);
        submitted.extend(ids.into_iter().map(|id| (id, at)));
    }
    let mut latencies = Vec::new();
    for receiver in &receivers {
        for delivery in receiver.wait_for(PER_CUSTOMER, Duration::from_secs(120)) {
            let scan_id = delivery.json()["scan_id"].as_str().unwrap().to_string();
            let sent = submitted[&scan_id];
            latencies.push((delivery.at - sent).as_secs_f64() * 1000.0);
        }
    }
    if with_dead_receiver {
        println!(
            "  (the dead receiver held {} attempts open, none answered, while the healthy \
             ones were measured)",
            dead.hanging()
        );
    }
    dead.release();
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn main() {
    let n_scans: usize = std::env::var("SKOPIO_BENCH_SCANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    println!("webhook benchmark: instant recipes, loopback receivers");
    throughput(n_scans);
    println!(
        "healthy customers' delivery latency, 202 of their bulk call to arrival \
         (10 customers x 100 scans, each its own receiver):"
    );
    println!(
        "{:<38} {:>8} {:>8} {:>8} {:>10}",
        "run", "p50 ms", "p99 ms", "max ms", "delivered"
    );
    for dead in [false, true] {
        let latencies = isolation(dead);
        let label = match dead {
            false => "no dead receiver",
            true => "one dead receiver, 500 deliveries owed",
        };
        println!(
            "{label:<38} {:>8.0} {:>8.0} {:>8.0} {:>10}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0),
            latencies.len()
        );
    }
}
