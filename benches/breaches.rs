//! Breach index benchmark: generates 10 million synthetic identifiers (emails, phone
//! numbers and usernames, some shared between breaches) across 20 breach files, imports
//! them with the same code `skopio breaches import` runs when no server is up, and
//! reports the import rate, the database bytes per identifier, lookup latency (median and
//! p99 of 100,000 lookups, half hits, half misses) and peak memory; then times the same
//! kind of lookup done by reading every file line by line (as tools like h8mail do).
//!
//! Run: `cargo bench --bench breaches`. `SKOPIO_BENCH_IDENTIFIERS` changes the total.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skopio::breaches::{ImportOptions, Index, Request, Sink, apply};
use skopio::store::Store;
use skopio::target::Kind;

const BREACHES: usize = 20;
const LOOKUPS: usize = 100_000;
const LINEAR_LOOKUPS: usize = 3;

/// splitmix64: a small deterministic generator, so identifiers can be regenerated from
/// their position for the lookup phase without keeping ten million strings in memory.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const DOMAINS: [&str; 8] = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "mail.ru",
    "acme-corp.com",
    "example.org",
    "web.de",
    "proton.me",
];
const WORDS: [&str; 8] = [
    "john", "anna", "ivan", "maria", "dark", "wolf", "pixel", "neo",
];

/// Identifier number `n` as a breach file would write it: 60% emails (some in mixed
/// case), 20% phone numbers in several countries and spellings, 20% usernames.
fn identifier(n: u64) -> String {
    let r = mix(n);
    let word = WORDS[(r >> 8) as usize % WORDS.len()];
    match r % 10 {
        0..=5 => {
            let domain = DOMAINS[(r >> 16) as usize % DOMAINS.len()];
            match r % 7 {
                0 => format!("{}.{n}@{}", word.to_uppercase(), domain.to_uppercase()),
                _ => format!("{word}.{n}@{domain}"),
            }
        }
        6 | 7 => {
            let digits = n % 10_000_000;
            match (r >> 20) % 3 {
                0 => format!(
                    "+1 415 {:03} {:04}",
                    200 + digits / 10_000 % 800,
                    digits % 10_000
                ),
                1 => format!(
                    "+44 20 7{:03} {:04}",
                    digits / 10_000 % 1000,
                    digits % 10_000
                ),
                _ => format!(
                    "+7 912 {:03}-{:02}-{:02}",
                    digits / 10_000 % 1000,
                    digits / 100 % 100,
                    digits % 100
                ),
            }
        }
        _ => format!("{word}_{n}"),
    }
}

/// Identifier numbers of breach `b`: its own range, plus a twentieth taken from the
/// range of the breach before it (people are in several breaches).
fn breach_members(b: usize, per_breach: u64) -> impl Iterator<Item = u64> {
    let own = (b as u64 * per_breach)..((b as u64 + 1) * per_breach);
    let prev = ((b + BREACHES - 1) % BREACHES) as u64 * per_breach;
    let shared = prev..prev + per_breach / 20;
    own.take((per_breach - per_breach / 20) as usize)
        .chain(shared)
}

fn kind_of(raw: &str) -> Kind {
    skopio::target::infer(raw.trim())
}

fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn generate(dir: &Path, per_breach: u64) -> Vec<PathBuf> {
    (0..BREACHES)
        .map(|b| {
            let path = dir.join(format!("breach{b:02}.txt"));
            let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
            for n in breach_members(b, per_breach) {
                writeln!(out, "{}", identifier(n)).unwrap();
            }
            out.flush().unwrap();
            path
        })
        .collect()
}

fn catalog(dir: &Path) -> PathBuf {
    let entries: Vec<Value> = (0..BREACHES)
        .map(|b| {
            json!({"Name": format!("Bench{b:02}"), "Title": format!("Bench breach {b}"),
                   "BreachDate": format!("20{:02}-0{}-01", 10 + b % 15, 1 + b % 9),
                   "PwnCount": 500000, "DataClasses": ["Email addresses", "Passwords"],
                   "IsVerified": true})
        })
        .collect();
    let path = dir.join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(&entries).unwrap()).unwrap();
    path
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let total: u64 = std::env::var("SKOPIO_BENCH_IDENTIFIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let per_breach = total / BREACHES as u64;
    let dir = tempfile::tempdir().unwrap();
    let files_dir = dir.path().join("files");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&files_dir).unwrap();

    let started = Instant::now();
    let files = generate(&files_dir, per_breach);
    let file_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    println!(
        "generated {} identifiers in {BREACHES} files ({} MB) in {:.1} s",
        per_breach * BREACHES as u64,
        file_bytes / 1_000_000,
        started.elapsed().as_secs_f64()
    );

    let store = Store::open(&data_dir).unwrap();
    let index = Index::open(&store, &data_dir).unwrap();
    let sink = Sink::direct(store.clone());
    let cancel = AtomicBool::new(false);
    let quiet = &mut |_: Value| {};
    let request = Request::BreachesImportCatalog {
        path: catalog(dir.path()),
    };
    apply(&request, &sink, &index, quiet, &cancel).unwrap();
    let db_before = Store::file_bytes(&data_dir).unwrap();

    let memory_before = peak_memory_kib();
    let started = Instant::now();
    let (mut handled, mut imported) = (0u64, 0u64);
    for (b, path) in files.iter().enumerate() {
        let request = Request::BreachesImport {
            path: path.clone(),
            breach: format!("Bench{b:02}"),
            options: ImportOptions::default(),
        };
        let report = apply(&request, &sink, &index, quiet, &cancel).unwrap();
        handled += report["imported"].as_u64().unwrap() + report["duplicates"].as_u64().unwrap();
        imported += report["imported"].as_u64().unwrap();
        let skipped: u64 = report["skipped"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        assert_eq!(
            skipped, 0,
            "the generator writes only valid identifiers: {report}"
        );
    }
    let import_secs = started.elapsed().as_secs_f64();
    let peak_kib = peak_memory_kib();
    let db_after = Store::file_bytes(&data_dir).unwrap();
    index.refresh().unwrap();

    // Lookups: even positions are identifiers of some breach, odd ones are not in any.
    let mut latencies = Vec::with_capacity(LOOKUPS);
    let (mut hits, mut found_breaches) = (0usize, 0usize);
    let space = per_breach * BREACHES as u64;
    for i in 0..LOOKUPS as u64 {
        let n = match i % 2 {
            0 => mix(i) % space,
            _ => space + mix(i) % space,
        };
        let target = identifier(n);
        let kind = kind_of(&target);
        let started = Instant::now();
        let found = index.lookup_blocking(kind, &target).unwrap();
        latencies.push(started.elapsed());
        if !found.is_empty() {
            hits += 1;
            found_breaches += found.len();
        }
    }
    latencies.sort();
    let median = percentile(&latencies, 0.5);
    let p99 = percentile(&latencies, 0.99);

    // The same question answered by reading every file, comparing each line with the
    // target ignoring case (cheaper than normalising, so this flatters the scan).
    let mut linear = Vec::new();
    for i in 0..LINEAR_LOOKUPS as u64 {
        let target = identifier(mix(i + 7) % space);
        let started = Instant::now();
        let mut n_found = 0;
        for path in &files {
            let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
            for line in reader.lines() {
                if line.unwrap().trim().eq_ignore_ascii_case(target.trim()) {
                    n_found += 1;
                    break;
                }
            }
        }
        assert!(n_found > 0);
        linear.push(started.elapsed());
    }
    linear.sort();
    let linear_median = linear[linear.len() / 2];

    let per_sec = handled as f64 / import_secs;
    let bytes_per_id = (db_after - db_before) as f64 / imported.max(1) as f64;
    println!();
    println!("| measure | value | goal |");
    println!("|---|---|---|");
    println!(
        "| identifiers imported | {handled} ({imported} distinct pairs) in {import_secs:.1} s | |"
    );
    println!("| import rate | {:.0} identifiers/s | ≥ 500,000 |", per_sec);
    println!(
        "| index on disk | {:.1} bytes/identifier ({} MB) | < 50 |",
        bytes_per_id,
        (db_after - db_before) / 1_000_000
    );
    println!(
        "| lookup latency (index) | median {:.1} µs, p99 {:.1} µs ({LOOKUPS} lookups, \
         {hits} hits in {found_breaches} breaches) | p99 < 100 µs |",
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    println!(
        "| lookup latency (linear scan of the {} MB of files) | median {:.2} s \
         ({LINEAR_LOOKUPS} lookups timed; {LOOKUPS} would take ~{:.0} h) | |",
        file_bytes / 1_000_000,
        linear_median.as_secs_f64(),
        linear_median.as_secs_f64() * LOOKUPS as f64 / 3600.0
    );
    println!(
        "| peak memory (VmHWM of this process) | {} MB (before the import: {} MB) | |",
        peak_kib / 1024,
        memory_before / 1024
    );
}
