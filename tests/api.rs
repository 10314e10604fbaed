//! The public API as a customer meets it: submitting and polling scans, every error code
//! of the contract with its status, and hostile or broken requests that must get a clear
//! answer while the server keeps serving.

mod common;

use common::{BASE_URL, TestServer};
use serde_json::json;

#[test]
fn a_submitted_email_scan_is_queued_then_completed_with_a_full_dossier() {
    let server = TestServer::start("");
    let key = server.key("acme", "business", 10);
    let accepted = server.submit(&key, "John.Doe+news@Gmail.com");
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let body = &accepted.body;
    assert_eq!(body["ok"], true);
    assert_eq!(body["status"], "queued");
    assert_eq!(body["kind"], "email");
    let scan_id = body["scan_id"].as_str().unwrap();
    assert!(scan_id.starts_with("req-"));
    assert_eq!(
        body["poll_url"],
        format!("{BASE_URL}/api/v1/scan/{scan_id}")
    );
    // email.address, email.domain, and username.sites for the local part.
    assert_eq!(body["recipes_to_run"], 3);
    assert!(body["eta_seconds"].as_u64().unwrap() >= 1);
    assert!(accepted.header("x-request-id").is_some());
    assert!(
        accepted
            .header("ratelimit-policy")
            .unwrap()
            .contains("\"hour\";q=100;w=3600")
    );
    assert!(
        accepted
            .header("ratelimit")
            .unwrap()
            .contains("\"hour\";r=99;")
    );

    let done = server.wait_done(&key, scan_id);
    assert_eq!(done.status, 200);
    assert_eq!(done.body["status"], "completed", "{:?}", done.body);
    assert_eq!(done.body["target"], "John.Doe+news@Gmail.com");
    assert!(done.body["completed_at"].as_str().unwrap().ends_with('Z'));
    let result = &done.body["result"];
    for field in [
        "risk",
        "counts",
        "profiles",
        "contacts",
        "breaches",
        "phone_profile",
        "ai_summary",
        "artifacts",
        "recipes",
    ] {
        assert!(
            result.get(field).is_some(),
            "result lacks {field}: {result}"
        );
    }
    assert_eq!(
        result["artifacts"],
        json!({
            "pdf": format!("{BASE_URL}/api/v1/scan/{scan_id}/report.pdf"),
            "person_card": format!("{BASE_URL}/api/v1/scan/{scan_id}/person-card"),
        })
    );
    assert_eq!(result["breaches"], json!([]));
    assert_eq!(result["counts"]["cases"], 2);
    let codes: Vec<&str> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"email.plus_tag"), "{codes:?}");
    assert!(codes.contains(&"email.free_mail"), "{codes:?}");
    assert!(result["ai_summary"].as_str().unwrap().contains("gmail.com"));
    assert_eq!(server.balance("acme"), 9);
}

#[test]
fn a_phone_scan_fills_the_phone_profile_and_a_russian_summary() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 5);
    let body = json!({"target": "+44 7400 123456", "lang": "ru"}).to_string();
    let accepted = server.post("/api/v1/scan", Some(&key), &body);
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    assert_eq!(accepted.body["kind"], "phone");
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let result = &done.body["result"];
    let phone = &result["phone_profile"];
    assert_eq!(phone["e164"], "+447400123456");
    assert_eq!(phone["region"], "GB");
    assert_eq!(phone["type"], "mobile");
    assert_eq!(phone["valid"], true);
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Низкий риск (0 из 100) для номера +44 7400 123456."),
        "{summary}"
    );
    assert!(
        summary.contains("Номер действителен: тип «мобильный»"),
        "{summary}"
    );
}

#[test]
fn a_username_scan_reports_which_site_rules_it_fits() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, "johndoe");
    assert_eq!(accepted.body["kind"], "username");
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let recipes = done.body["result"]["recipes"].as_array().unwrap().clone();
    assert_eq!(recipes.len(), 2);
    assert_eq!(recipes[0]["name"], "username.rules");
    assert_eq!(recipes[0]["status"], "ok");
    assert!(recipes[0]["note"].as_str().unwrap().contains("known sites"));
    // The test servers run with `engine.network = false`.
    assert_eq!(recipes[1]["name"], "username.sites");
    assert_eq!(recipes[1]["status"], "skipped");
    assert!(
        recipes[1]["note"]
            .as_str()
            .unwrap()
            .contains("engine.network = false")
    );
    // Skipped is not searched: the summary must not read as "nothing found".
    let summary = done.body["result"]["ai_summary"].as_str().unwrap();
    assert!(!summary.contains("No accounts were found"), "{summary}");
    assert!(
        summary.contains("No site-presence or breach checks were part"),
        "{summary}"
    );
}

#[test]
fn polls_show_progress_and_belong_to_the_customer() {
    let server = TestServer::start("");
    let acme = server.key("acme", "pro", 5);
    let acme_second_key = server.key("acme", "pro", 0);
    let other = server.key("globex", "pro", 5);
    let accepted = server.submit(&acme, "johndoe");
    let scan_id = accepted.body["scan_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/scan/{scan_id}");
    let polled = server.get(&path, Some(&acme));
    assert_eq!(polled.status, 200);
    if polled.body["status"] != "completed" {
        assert_eq!(polled.body["progress"]["recipes_total"], 2);
    }
    assert_eq!(server.get(&path, Some(&acme_second_key)).status, 200);
    let foreign = server.get(&path, Some(&other));
    assert_eq!((foreign.status, foreign.error()), (403, "forbidden"));
    let unknown = server.get("/api/v1/scan/req-nope", Some(&acme));
    assert_eq!((unknown.status, unknown.error()), (404, "scan_not_found"));
}

#[test]
fn every_error_code_of_the_contract_has_its_status() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 1);
    let scan = |body: &str| server.post("/api/v1/scan", Some(&key), body);
    let cases = [
        (scan(r#"{"target":"ab"}"#), 400, "target_too_short"),
        (scan(r#"{"target":"not@an@email"}"#), 400, "invalid_target"),
        (
            scan(r#"{"target":"johndoe","kind":"fax"}"#),
            400,
            "invalid_kind",
        ),
        (
            scan(r#"{"target":"johndoe","lang":"xx"}"#),
            400,
            "invalid_lang",
        ),
        (scan(r#"{"target":"#), 400, "invalid_json"),
        (scan(r#"{"target":42}"#), 400, "invalid_json"),
        (scan(r#"["johndoe"]"#), 400, "invalid_json"),
        (scan(""), 400, "invalid_json"),
        (
            scan(&format!(r#"{{"target":"{}"}}"#, "a".repeat(70_000))),
            413,
            "payload_too_large",
        ),
        (
            server.post("/api/v1/scan", None, r#"{"target":"johndoe"}"#),
            401,
            "unauthorized",
        ),
        (
            server.post("/api/v1/scan", Some("skopio_live_unknownkey"), "{}"),
            401,
            "invalid_token",
        ),
        (server.get("/api/v1/nothing", Some(&key)), 404, "not_found"),
        (
            server.get("/api/v1/scan", Some(&key)),
            405,
            "method_not_allowed",
        ),
    ];
    for (answer, status, code) in cases {
        assert_eq!(
            (answer.status, answer.error()),
            (status, code),
            "{:?}",
            answer.body
        );
        assert_eq!(answer.body["ok"], false);
        assert!(answer.body["message"].as_str().unwrap().len() > 10);
    }
    assert_eq!(scan(r#"{"target":"johndoe"}"#).status, 202);
    let broke = scan(r#"{"target":"janedoe"}"#);
    // The first scan may still be in flight (pro allows 3), so the balance speaks first.
    assert_eq!((broke.status, broke.error()), (402, "insufficient_balance"));
    assert_eq!(broke.body["balance"], 0);
    assert!(broke.header("ratelimit").is_some());
}

#[test]
fn malformed_auth_headers_are_unauthorized_and_revoked_keys_invalid() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 1);
    let listed = server
        .admin(skopio::accounts::Request::KeysList { customer: None })
        .unwrap();
    let key_id = listed[0]["key_id"].as_str().unwrap().to_string();
    let bad = server.raw(
        b"GET /api/v1/account HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9v\r\n\
          Connection: close\r\n\r\n",
    );
    assert!(bad.starts_with("HTTP/1.1 401"), "{bad}");
    assert!(bad.contains("\"unauthorized\""));
    assert!(
        bad.to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{bad}"
    );
    assert_eq!(server.get("/api/v1/account", Some(&key)).status, 200);
    server
        .admin(skopio::accounts::Request::KeysRevoke { key_id })
        .unwrap();
    let revoked = server.get("/api/v1/account", Some(&key));
    assert_eq!((revoked.status, revoked.error()), (401, "invalid_token"));
}

#[test]
fn the_account_shows_tier_balance_and_quota_use() {
    let server = TestServer::start("");
    let key = server.key("acme", "business", 7);
    server.submit(&key, "johndoe");
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.status, 200);
    assert_eq!(account.body["customer"], "acme");
    assert_eq!(account.body["tier"], "business");
    assert_eq!(account.body["balance"], 6);
    assert_eq!(account.body["quota"]["hour"]["used"], 1);
    assert_eq!(account.body["quota"]["day"]["limit"], 1000);
    assert_eq!(account.body["quota"]["inflight"]["limit"], 10);
}

#[test]
fn healthz_needs_no_key() {
    let server = TestServer::start("");
    let health = server.get("/healthz", None);
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["queue"]["workers"], 4);
}

#[test]
fn hostile_targets_are_refused_cleanly() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 3);
    let hostile = [
        "a".repeat(10_000),
        "john\u{0}doe".to_string(),
        "john\ndoe@example.com".to_string(),
        "\u{202e}\u{202e}\u{202e}".to_string(),
        "   ".to_string(),
        "@@@".to_string(),
        "+".repeat(20),
        "  2 22#:".to_string(),
        "2024561111".to_string(),
    ];
    for target in hostile {
        let answer = server.post(
            "/api/v1/scan",
            Some(&key),
            &json!({ "target": target }).to_string(),
        );
        assert_eq!(answer.status, 400, "{target:?} → {:?}", answer.body);
        assert!(answer.error() == "invalid_target" || answer.error() == "target_too_short");
    }
    assert_eq!(server.balance("acme"), 3, "refusals cost nothing");
}

#[test]
fn broken_http_gets_an_answer_and_the_server_keeps_serving() {
    let server = TestServer::start("");
    let key = server.key("acme", "pro", 3);
    let head = format!("POST /api/v1/scan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n");
    let non_utf8 = [
        format!("{head}Content-Length: 4\r\nConnection: close\r\n\r\n").into_bytes(),
        vec![0xff, 0xfe, 0x7b, 0x7d],
    ]
    .concat();
    let answer = server.raw(&non_utf8);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("invalid_json"));

    let oversized_declared =
        format!("{head}Content-Length: 10000000\r\nConnection: close\r\n\r\n{{");
    let answer = server.raw(oversized_declared.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let mut chunked =
        format!("{head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").into_bytes();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("1000\r\n{}\r\n", "x".repeat(4096)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = server.raw(&chunked);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let garbage =
        server.raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all\r\n\r\n");
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );

    let wrong_method =
        server.raw(b"DELETE /api/v1/account HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(wrong_method.starts_with("HTTP/1.1 405"), "{wrong_method}");
    assert!(wrong_method.to_ascii_lowercase().contains("allow: get"));

    assert_eq!(server.get("/healthz", None).status, 200);
    assert_eq!(server.balance("acme"), 3);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off_without_blocking_others() {
    use std::io::{Read, Write};
    let server = TestServer::start("");
    let started = std::time::Instant::now();
    let mut slow = std::net::TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Others are served while the slow client dawdles.
    assert_eq!(server.get("/healthz", None).status, 200);
    slow.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(25),
        "held for {waited:?}"
    );
    assert_eq!(server.get("/healthz", None).status, 200);
}
