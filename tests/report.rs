//! The PDF report and the person card as a client gets them over HTTP: the real server,
//! a dossier assembled by the real engine (the email recipes plus fixed site-check and
//! breach recipes from `tests/dossiers`), then the documents read back the way a reader
//! would: the PDF's text through `pdftotext` and its pages through `pdftoppm` (poppler,
//! which `.ci/run` installs; a skip line is printed where it is missing), the PNG card
//! decoded and looked at pixel by pixel.

mod common;
mod dossiers;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{BASE_URL, TestServer, options_with};
use serde_json::{Value, json};
use skopio::engine::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use skopio::target::Kind;

/// Says a test was skipped where a person sees it: the test harness captures `println!`
/// of passing tests, but not direct writes to standard error.
macro_rules! skip_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

const TARGET: &str = "john.doe@gmail.com";

fn typical_server() -> TestServer {
    let mut recipes = skopio::engine::recipes::standard();
    recipes.extend(dossiers::typical());
    TestServer::start_with("", options_with(recipes, skopio::clock::system()))
}

/// Scans `TARGET` in `lang`; returns the scan id and the completed poll body.
fn scan(server: &TestServer, key: &str, lang: &str) -> (String, Value) {
    let body = json!({"target": TARGET, "lang": lang}).to_string();
    let accepted = server.post("/api/v1/scan", Some(key), &body);
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let scan_id = accepted.body["scan_id"].as_str().unwrap().to_string();
    let done = server.wait_done(key, &scan_id);
    assert_eq!(done.body["status"], "completed", "{:?}", done.body);
    (scan_id, done.body)
}

/// GETs `path` and returns status, content type, content disposition and the bytes.
fn download(server: &TestServer, path: &str, key: &str) -> (u16, String, String, Vec<u8>) {
    let response = ureq::get(&server.url(path))
        .header("Authorization", &format!("Bearer {key}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("answered");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .with_config()
        .limit(20 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    (status, content_type, disposition, bytes)
}

fn has_tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

/// The PDF's text, whitespace collapsed, as `pdftotext` reads it.
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collapsed(&String::from_utf8(out.stdout).expect("UTF-8 text"))
}

fn collapsed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_report_reads_back_with_target_band_russian_summary_and_every_breach() {
    let server = typical_server();
    let key = server.key("acme", "pro", 5);
    let (scan_id, done) = scan(&server, &key, "ru");
    let result = &done["result"];
    let path = format!("/api/v1/scan/{scan_id}/report.pdf");
    let (status, content_type, disposition, pdf) = download(&server, &path, &key);
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"skopio-report-{scan_id}.pdf\"")
    );
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < 1024 * 1024, "{} bytes", pdf.len());
    let (_, _, _, again) = download(&server, &path, &key);
    assert!(again == pdf, "the same scan gives the same document");

    if !has_tool("pdftotext") || !has_tool("pdftoppm") {
        skip_line!("skipping the PDF's text and pages: poppler-utils is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let text = pdf_text(&file);
    assert!(text.contains(TARGET), "{text}");
    assert_eq!(result["risk"]["band"], "critical");
    assert!(text.contains("КРИТИЧЕСКИЙ РИСК"), "{text}");
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(summary.starts_with("Критический риск"), "{summary}");
    assert!(
        text.contains(&collapsed(summary)),
        "summary not found in:\n{text}"
    );
    for breach in result["breaches"].as_array().unwrap() {
        for field in ["name", "title"] {
            let name = breach[field].as_str().unwrap();
            assert!(text.contains(name), "breach {name} is not in:\n{text}");
        }
    }
    for name in dossiers::TYPICAL_BREACHES {
        assert!(text.contains(name), "{name}");
    }
    assert!(
        text.contains("СберСпасибо") && text.contains("Αθήνα"),
        "{text}"
    );
    assert!(text.contains("https://github.example/users/jdoe"), "{text}");
    assert!(text.contains("Стр. 1 из"), "page numbers: {text}");

    let status = Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("page"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 2, "a cover and the sections: {pages:?}");
    let (width, height, pixels) = decode_png(&std::fs::read(dir.path().join(&pages[0])).unwrap());
    let ratio = width as f64 / height as f64;
    assert!((ratio - 210.0 / 297.0).abs() < 0.01, "A4: {width}×{height}");
    // The cover's band across the top is navy, the page below it white.
    assert_eq!(pixel(&pixels, width, 120, 5), [0x1f, 0x2a, 0x44]);
    assert_eq!(pixel(&pixels, width, 5, 340), [0xff, 0xff, 0xff]);
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    let channels = info.color_type.samples();
    // Keep RGB whatever the layout, so pixels compare the same way.
    let rgb: Vec<u8> = pixels[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    (info.width, info.height, rgb)
}

fn pixel(rgb: &[u8], width: u32, x: u32, y: u32) -> [u8; 3] {
    let at = ((y * width + x) * 3) as usize;
    [rgb[at], rgb[at + 1], rgb[at + 2]]
}

#[test]
fn the_person_card_is_svg_and_a_png_readable_as_a_thumbnail() {
    let server = typical_server();
    let key = server.key("acme", "pro", 5);
    let (scan_id, done) = scan(&server, &key, "en");
    let path = format!("/api/v1/scan/{scan_id}/person-card");
    let (status, content_type, disposition, svg) = download(&server, &path, &key);
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    assert_eq!(
        disposition,
        format!("inline; filename=\"skopio-card-{scan_id}.svg\"")
    );
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    for text in [TARGET, "CRITICAL RISK", "GitHub", "VK", "Reddit"] {
        assert!(svg.contains(text), "{text} not on the card");
    }
    assert_eq!(
        done["result"]["profiles"]["verified"][1]["username"],
        "иван.петров"
    );
    assert!(svg.contains("иван.петров"));

    let (status, content_type, disposition, png) =
        download(&server, &format!("{path}?format=png"), &key);
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert!(disposition.ends_with(".png\""), "{disposition}");
    let (width, height, pixels) = decode_png(&png);
    assert_eq!((width, height), (1200, 630));
    // The badge is the critical band's red; the top bar navy; the background white.
    assert_eq!(pixel(&pixels, width, 825, 120), [0xc6, 0x28, 0x28]);
    assert_eq!(pixel(&pixels, width, 600, 5), [0x1f, 0x2a, 0x44]);
    assert_eq!(pixel(&pixels, width, 600, 230), [0xff, 0xff, 0xff]);
    // The target is drawn: its line holds dark ink (the text), not just background.
    let row: Vec<[u8; 3]> = (210..760).map(|x| pixel(&pixels, width, x, 100)).collect();
    let inked = row.iter().filter(|p| p[0] < 0x60).count();
    assert!(inked > 40, "{inked} dark pixels across the target's line");

    let refused = server.get(&format!("{path}?format=gif"), Some(&key));
    assert_eq!((refused.status, refused.error()), (400, "invalid_format"));
}

/// A recipe that waits until the test lets it finish.
struct Gate(Arc<tokio::sync::Notify>);

impl Recipe for Gate {
    fn name(&self) -> &'static str {
        "test.gate"
    }

    fn applies_to(&self, _: Kind) -> bool {
        true
    }

    fn run(&self, _: Arc<ScanInput>) -> RecipeFuture {
        let gate = Arc::clone(&self.0);
        Box::pin(async move {
            gate.notified().await;
            Ok(RecipeOutput::default())
        })
    }
}

#[test]
fn artifacts_are_behind_the_scans_own_key_check() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let recipes: Vec<Arc<dyn Recipe>> = vec![Arc::new(Gate(Arc::clone(&gate)))];
    let server = TestServer::start_with("", options_with(recipes, skopio::clock::system()));
    let key = server.key("acme", "pro", 5);
    let other = server.key("globex", "pro", 5);
    let accepted = server.submit(&key, "johndoe");
    let scan_id = accepted.body["scan_id"].as_str().unwrap().to_string();
    let report = format!("/api/v1/scan/{scan_id}/report.pdf");
    let card = format!("/api/v1/scan/{scan_id}/person-card");

    for path in [&report, &card] {
        let early = server.get(path, Some(&key));
        assert_eq!((early.status, early.error()), (409, "scan_not_completed"));
        assert!(["queued", "running"].contains(&early.body["status"].as_str().unwrap()));
    }
    let polled = server.get(&format!("/api/v1/scan/{scan_id}"), Some(&key));
    assert!(polled.body.get("result").is_none());

    gate.notify_one();
    let done = server.wait_done(&key, &scan_id);
    assert_eq!(done.body["status"], "completed");
    assert_eq!(
        done.body["result"]["artifacts"],
        json!({
            "pdf": format!("{BASE_URL}/api/v1/scan/{scan_id}/report.pdf"),
            "person_card": format!("{BASE_URL}/api/v1/scan/{scan_id}/person-card"),
        })
    );
    for path in [&report, &card] {
        assert_eq!(server.get(path, Some(&key)).status, 200);
        let foreign = server.get(path, Some(&other));
        assert_eq!((foreign.status, foreign.error()), (403, "forbidden"));
        assert_eq!(server.get(path, None).status, 401);
    }
    let unknown = server.get("/api/v1/scan/req-nope-1234/report.pdf", Some(&key));
    assert_eq!((unknown.status, unknown.error()), (404, "scan_not_found"));
    let unknown = server.get("/api/v1/scan/req-nope-1234/person-card", Some(&key));
    assert_eq!((unknown.status, unknown.error()), (404, "scan_not_found"));
}
