//! Report benchmark: assembles a typical and a very large dossier with the real engine
//! (fixed recipes from `tests/dossiers` standing in for site checks and the breach
//! index), then draws the PDF report, the SVG card and the PNG card of each many times
//! and prints the size of each and its median and slowest drawing time.
//!
//! Run: `cargo bench --bench reports`. With `SKOPIO_REPORT_OUT=DIR` it also writes the
//! drawn files there, to look at (`pdftoppm -png DIR/typical-ru.pdf DIR/page`).

#[path = "../tests/dossiers/mod.rs"]
mod dossiers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use skopio::dossier::Dossier;
use skopio::engine::{Engine, EngineSettings, Recipe, ScanInput};
use skopio::report::{self, Subject};
use skopio::target::Kind;

const ROUNDS: usize = 30;

fn assemble(recipes: Vec<Arc<dyn Recipe>>, target: &str, lang: &str) -> Dossier {
    let settings = EngineSettings {
        network: true,
        recipe_timeout: Duration::from_secs(10),
        pivot_depth: 0,
    };
    let engine = Engine::new(recipes, settings);
    let input = ScanInput::new(target.to_string(), Kind::Email, lang.to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(engine.run(input))
}

/// Draws `what` `ROUNDS` times; returns its bytes, the median and the slowest time.
fn timed(what: impl Fn() -> Vec<u8>) -> (Vec<u8>, Duration, Duration) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut bytes = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        bytes = what();
        times.push(started.elapsed());
    }
    times.sort();
    (bytes, times[ROUNDS / 2], times[ROUNDS - 1])
}

fn main() {
    let out = std::env::var_os("SKOPIO_REPORT_OUT").map(std::path::PathBuf::from);
    let target = "john.doe@gmail.com";
    let cases = [
        ("typical-en", dossiers::typical(), "en"),
        ("typical-ru", dossiers::typical(), "ru"),
        ("large-en", dossiers::large(), "en"),
    ];
    println!("{ROUNDS} rounds each; median and slowest drawing time");
    for (name, recipes, lang) in cases {
        let dossier = assemble(recipes, target, lang);
        let subject = Subject {
            scan_id: "req-m9x2k1-4f7a9c2b1d3e5f60".to_string(),
            target: target.to_string(),
            kind: Kind::Email,
            completed_ms: 1_764_785_100_000,
        };
        let drawings: [(&str, Box<dyn Fn() -> Vec<u8>>); 3] = [
            (
                "pdf",
                Box::new(|| report::pdf::render(&subject, &dossier).expect("pdf")),
            ),
            (
                "svg",
                Box::new(|| report::card::svg(&subject, &dossier).into_bytes()),
            ),
            (
                "png",
                Box::new(|| report::card::png(&subject, &dossier).expect("png")),
            ),
        ];
        println!(
            "{name}: {} verified, {} weak, {} contacts, {} breaches",
            dossier.profiles.verified.len(),
            dossier.profiles.weak.len(),
            dossier.contacts.emails.len() + dossier.contacts.phones.len(),
            dossier.breaches.len()
        );
        for (format, draw) in drawings {
            let (bytes, median, slowest) = timed(draw);
            println!(
                "  {format}: {:>8.1} KiB   median {:>7.2} ms   slowest {:>7.2} ms",
                bytes.len() as f64 / 1024.0,
                median.as_secs_f64() * 1000.0,
                slowest.as_secs_f64() * 1000.0
            );
            if let Some(dir) = &out {
                let path = dir.join(format!("{name}.{format}"));
                std::fs::write(&path, &bytes).expect("write the drawing");
            }
        }
    }
}
