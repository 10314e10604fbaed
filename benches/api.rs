//! API benchmark: starts the real `skopio serve` (release build) on a temporary data
//! directory and measures, from outside, durable scan submissions per second with 1, 16
//! and 64 concurrent clients, poll requests per second, and the server's peak memory.
//!
//! Run: `cargo bench --bench api` (set `SKOPIO_BENCH_SECS` to change the time per phase).
//! Every 202 counted here was committed to disk before it was sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_skopio");

/// A minimal keep-alive HTTP/1.1 client: the load generator shares the machine's two
/// cores with the server, so it must cost as little as possible per request (a general
/// client allocating and zeroing buffers per request took half the CPU at 64 clients).
struct Client {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_string(),
            stream: None,
        }
    }

    /// Sends one request and returns the status and body, reconnecting if needed.
    fn request(
        &mut self,
        method: &str,
        path: &str,
        auth: &str,
        body: &str,
    ) -> Option<(u16, String)> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.addr).ok()?;
            stream.set_nodelay(true).ok()?;
            self.stream = Some(BufReader::new(stream));
        }
        let reader = self.stream.as_mut()?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: {auth}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = (|| {
            reader.get_mut().write_all(head.as_bytes()).ok()?;
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
            let mut length = 0usize;
            loop {
                line.clear();
                reader.read_line(&mut line).ok()?;
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().ok()?;
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).ok()?;
            Some((status, String::from_utf8(body).ok()?))
        })();
        if answer.is_none() {
            self.stream = None;
        }
        answer
    }
}

/// Runs `clients` threads calling `request` until `secs` pass; returns successes per second.
fn load(
    addr: &str,
    clients: usize,
    secs: f64,
    request: impl Fn(&mut Client, usize, u64) -> bool + Send + Sync + 'static,
) -> f64 {
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client_idx| {
            let (request, stop, done) =
                (Arc::clone(&request), Arc::clone(&stop), Arc::clone(&done));
            let mut client = Client::new(addr);
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if request(&mut client, client_idx, i) {
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
    let secs: f64 = std::env::var("SKOPIO_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("skopio.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"{}\"\n\
             [engine]\nqueue_capacity = 100000000\n\
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
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let created = Command::new(BIN)
        .args([
            "keys",
            "create",
            "--customer",
            "bench",
            "--tier",
            "bench",
            "--credits",
            "100000000",
            "--json",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = Arc::new(format!("Bearer {}", created["key"].as_str().unwrap()));

    println!(
        "skopio API benchmark: {secs} s per phase, server {addr}, {} cores",
        num_cpus()
    );
    println!("{:<44} {:>12}", "phase", "per second");
    for clients in [1, 16, 64] {
        let key = Arc::clone(&key);
        let rate = load(&addr, clients, secs, move |client, client_idx, i| {
            let body = format!("{{\"target\":\"bench{client_idx}x{i}\"}}");
            matches!(
                client.request("POST", "/api/v1/scan", &key, &body),
                Some((202, _))
            )
        });
        println!(
            "{:<44} {:>12.0}",
            format!("durable submissions, {clients} clients"),
            rate
        );
    }
    // How fast the workers run the scans the submissions queued: sample the queue length
    // that /healthz reports, with no new submissions arriving.
    let queued = |client: &mut Client| -> Option<u64> {
        let (_, body) = client.request("GET", "/healthz", "none", "")?;
        let body: serde_json::Value = serde_json::from_str(&body).ok()?;
        body["queue"]["queued"].as_u64()
    };
    let mut probe = Client::new(&addr);
    let before = queued(&mut probe).unwrap_or(0);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let after = queued(&mut probe).unwrap_or(0);
    let drained = before.saturating_sub(after) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{:<44} {:>12.0}",
        format!("scans completed by 4 workers ({before} queued)"),
        drained
    );
    // Poll one scan, as customers do.
    let mut client = Client::new(&addr);
    let (_, accepted) = client
        .request(
            "POST",
            "/api/v1/scan",
            &key,
            "{\"target\":\"polled@example.com\"}",
        )
        .expect("submission answered");
    let accepted: serde_json::Value = serde_json::from_str(&accepted).unwrap();
    let poll_path = Arc::new(format!(
        "/api/v1/scan/{}",
        accepted["scan_id"].as_str().unwrap()
    ));
    for clients in [1, 16] {
        let (key, poll_path) = (Arc::clone(&key), Arc::clone(&poll_path));
        let rate = load(&addr, clients, secs, move |client, _, _| {
            matches!(client.request("GET", &poll_path, &key, ""), Some((200, _)))
        });
        println!("{:<44} {:>12.0}", format!("polls, {clients} clients"), rate);
    }
    let peak = peak_memory_kib(server.id()).unwrap_or(0);
    println!(
        "{:<44} {:>9.1} MiB",
        "server peak memory (VmHWM)",
        peak as f64 / 1024.0
    );
    let db = dir.path().join("data").join("skopio.redb");
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "{:<44} {:>9.1} MiB",
        "database file after the run",
        size as f64 / 1048576.0
    );
    let _ = server.kill();
    let _ = server.wait();
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
