//! API benchmark: starts the real `skopio serve` (release build) on a temporary data
//! directory and measures, from outside, durable scan submissions per second with 1, 16
//! and 64 concurrent clients, poll requests per second, and the server's peak memory.
//!
//! Run: `cargo bench --bench api` (set `SKOPIO_BENCH_SECS` to change the time per phase).
//! Every 202 counted here was committed to disk before it was sent.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_skopio");

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// Runs `clients` threads calling `request` until `secs` pass; returns successes per second.
fn load(clients: usize, secs: f64, request: impl Fn(&ureq::Agent, usize, u64) -> bool + Send + Sync + 'static) -> f64 {
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (request, stop, done) = (Arc::clone(&request), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let agent = agent();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if request(&agent, client, i) {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let secs: f64 = std::env::var("SKOPIO_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("skopio.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"{}\"\n\
             [tiers.bench]\nday = 100000000\nhour = 100000000\ninflight = 100000000\nbulk = true\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let mut server = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skopio serve");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let created = Command::new(BIN)
        .args(["keys", "create", "--customer", "bench", "--tier", "bench", "--credits", "100000000", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = Arc::new(format!("Bearer {}", created["key"].as_str().unwrap()));
    let submit_url = Arc::new(format!("http://{addr}/api/v1/scan"));

    println!("skopio API benchmark: {secs} s per phase, server {addr}, {} cores", num_cpus());
    println!("{:<44} {:>12}", "phase", "per second");
    for clients in [1, 16, 64] {
        let (key, url) = (Arc::clone(&key), Arc::clone(&submit_url));
        let rate = load(clients, secs, move |agent, client, i| {
            let body = format!("{{\"target\":\"bench{client}x{i}\"}}");
            let sent = agent.post(url.as_str()).header("Authorization", key.as_str()).send(&body);
            matches!(sent, Ok(r) if r.status() == 202)
        });
        println!("{:<44} {:>12.0}", format!("durable submissions, {clients} clients"), rate);
    }
    // Poll one completed scan and one still-queued one, as customers do.
    let agent = agent();
    let mut accepted = agent
        .post(submit_url.as_str())
        .header("Authorization", key.as_str())
        .send("{\"target\":\"polled@example.com\"}")
        .unwrap();
    let accepted: serde_json::Value =
        serde_json::from_str(&accepted.body_mut().read_to_string().unwrap()).unwrap();
    let poll_url = Arc::new(format!("http://{addr}/api/v1/scan/{}", accepted["scan_id"].as_str().unwrap()));
    let key_for_poll = Arc::clone(&key);
    let rate = load(16, secs, move |agent, _, _| {
        let got = agent.get(poll_url.as_str()).header("Authorization", key_for_poll.as_str()).call();
        matches!(got, Ok(r) if r.status() == 200)
    });
    println!("{:<44} {:>12.0}", "polls, 16 clients", rate);
    let peak = peak_memory_kib(server.id()).unwrap_or(0);
    println!("{:<44} {:>9.1} MiB", "server peak memory (VmHWM)", peak as f64 / 1024.0);
    let db = dir.path().join("data").join("skopio.redb");
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("{:<44} {:>9.1} MiB", "database file after the run", size as f64 / 1048576.0);
    let _ = server.kill();
    let _ = server.wait();
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
