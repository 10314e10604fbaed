//! Site-check benchmark: one username checked against every WhatsMyName site (the real
//! list in `../shared/data`), played by a loopback proxy with realistic latency
//! (lognormal, median 300 ms), through the production client and `sites::scan`, with a
//! 10 s timeout and the deadline production gives a scan's site checks. Every site
//! healthy; then one site in eight misbehaving (WAF, captcha, 429, login redirect, dropped
//! connection, and some hanging far past the timeout), cold and then warm (with the site
//! health the cold run left, as a running server keeps it, so sites that timed out are
//! asked first). Prints wall time, requests per second, peak memory and accuracy.
//!
//! Run: `cargo bench --bench sites` (`SKOPIO_BENCH_CONCURRENCY` sets
//! `engine.http.concurrency`, default 64 as in `skopio.toml`).

#[path = "../tests/emulator/mod.rs"]
mod emulator;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use emulator::{
    FAULTS, Fault, Routes, existing, faulty, https_as_http, missing, route_key, serve_with_delay,
};
use skopio::config::HttpConfig;
use skopio::outbound::Outbound;
use skopio::sites::book::SiteBook;
use skopio::sites::detect::{Unknown, Verdict};
use skopio::sites::formats::parse;
use skopio::sites::scan::{Request, scan};

const USERNAME: &str = "benchuser";

/// A small deterministic generator: lognormal delays with median 300 ms (σ = 0.6), so
/// most sites answer in 0.1 to 1 s and a few take longer, as real ones do.
fn lognormal_delays(seed: u64) -> emulator::Delay {
    let state = Mutex::new(seed);
    Arc::new(move || {
        let mut s = state.lock().unwrap();
        let mut next = || {
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            (*s >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u1, u2) = (next().max(1e-12), next());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        Duration::from_secs_f64((0.3f64.ln() + 0.6 * normal).exp().min(30.0))
    })
}

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/whatsmyname/wmn-data.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping the site benchmark: {} not found", path.display());
        return;
    };
    let concurrency: usize = std::env::var("SKOPIO_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let sites: Vec<_> = parse(&text)
        .unwrap()
        .sites
        .into_iter()
        .map(https_as_http)
        .collect();
    println!(
        "site benchmark: {} WhatsMyName sites, lognormal latency (median 300 ms), 10 s timeout, \
         concurrency {concurrency}",
        sites.len()
    );
    println!(
        "{:<10} {:>8} {:>9} {:>7} {:>7} {:>8} {:>9} {:>10}",
        "run", "wall s", "req/s", "found", "missing", "unknown", "false +", "peak MiB"
    );
    for faulty_run in [false, true] {
        // Even sites hold the account, odd ones do not; with faults, one in eight misbehaves.
        let mut routes: Routes = HashMap::new();
        let mut expected: HashMap<String, Option<Fault>> = HashMap::new();
        let mut exists: HashMap<String, bool> = HashMap::new();
        let mut kept = Vec::new();
        for (idx, site) in sites.iter().enumerate() {
            let Some(key) = route_key(site, USERNAME) else {
                continue;
            };
            if routes.contains_key(&key) {
                continue;
            }
            let fault = (faulty_run && idx % 8 == 7).then(|| FAULTS[(idx / 8) % FAULTS.len()]);
            let reply = match (fault, idx % 2 == 0) {
                (Some(fault), _) => faulty(fault),
                (None, true) => existing(site, USERNAME),
                (None, false) => missing(site),
            };
            routes.insert(key, reply);
            expected.insert(site.name.clone(), fault);
            exists.insert(site.name.clone(), idx % 2 == 0);
            kept.push(site.clone());
        }
        let addr = serve_with_delay(Arc::new(routes), lognormal_delays(42));
        let config = HttpConfig {
            proxy: format!("http://{addr}"),
            timeout: Duration::from_secs(10),
            concurrency,
            ..HttpConfig::default()
        };
        let outbound = Arc::new(Outbound::new(&config).unwrap());
        // The deadline a scan's site checks get in production, from the same settings.
        let mut settings = skopio::config::Config::default();
        settings.engine.http = config.clone();
        let deadline = skopio::app::site_deadline(&settings);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let n_sites = kept.len();
        let kept = Arc::new(kept);
        // A faulty run twice: cold, then warm, with the site health the first run left
        // (production keeps it), so the sites that timed out are asked first.
        let book = SiteBook::with_default(Vec::new(), &[], Vec::new());
        let passes: &[&str] = match faulty_run {
            false => &["healthy"],
            true => &["1/8 faulty", "  warm"],
        };
        for label in passes {
            let request = Request {
                slow: Arc::new(book.slow()),
                ..Request::target(USERNAME, deadline)
            };
            let report = runtime.block_on(scan(Arc::clone(&outbound), Arc::clone(&kept), request));
            book.record(report.checked.iter().map(|c| (c.site.as_str(), &c.verdict)));
            let (mut found, mut gone, mut unknown, mut false_positives, mut wrong) =
                (0, 0, 0, 0, 0);
            for checked in &report.checked {
                let fault = expected.get(&checked.site).copied().flatten();
                let should_exist = exists.get(&checked.site).copied().unwrap_or(false);
                match (&checked.verdict, fault) {
                    (Verdict::Found(_), None) if should_exist => found += 1,
                    (Verdict::Found(_), _) => {
                        found += 1;
                        false_positives += 1;
                    }
                    (Verdict::Missing, None) if !should_exist => gone += 1,
                    (Verdict::Missing, _) => {
                        gone += 1;
                        wrong += 1;
                    }
                    (Verdict::Unknown(reason, _), Some(_)) => {
                        unknown += 1;
                        if *reason == Unknown::Illegal {
                            wrong += 1;
                        }
                    }
                    (Verdict::Unknown(reason, detail), None) => {
                        unknown += 1;
                        wrong += 1;
                        println!("  {}: {} ({detail})", checked.site, reason.as_str());
                    }
                }
            }
            let secs = report.elapsed.as_secs_f64();
            println!(
                "{:<10} {:>8.2} {:>9.0} {:>7} {:>7} {:>8} {:>9} {:>10.1}",
                label,
                secs,
                n_sites as f64 / secs,
                found,
                gone,
                unknown,
                false_positives,
                peak_memory_mib()
            );
            if wrong > 0 {
                println!("  {wrong} checks read otherwise than the site answered");
            }
            if report.cut_at_deadline > 0 {
                println!(
                    "  {} sites cut at the scan deadline",
                    report.cut_at_deadline
                );
            }
        }
        runtime.shutdown_background();
    }
}
