//! Site checks inside real scans: the server runs with `engine.network = true` and its
//! proxy pointed at a loopback server that plays every site of the built-in list (some of
//! them misbehaving), and the tests talk HTTP to it as a customer would. They cover the
//! `username.sites` recipe end to end: verified and weak profiles with their evidence,
//! unknowns counted by reason and never reported as accounts, contacts found on profile
//! pages and looked up in turn, progress, site health and its flag, and the site commands.

mod common;
#[path = "emulator/mod.rs"]
mod emulator;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestServer;
use emulator::{Fault, Routes, existing, faulty, https_as_http, page, route_key, serve};
use serde_json::Value;
use skopio::app::Options;
use skopio::sites::Site;
use skopio::sites::book::default_sites;
use skopio::sites::ops::Request as SitesRequest;

const USER: &str = "janedoe";
const EMAIL: &str = "jane.doe@proton.me";

/// Built-in sites that misbehave in these tests, and how.
const FAULTY: [(&str, Fault); 6] = [
    ("Reddit", Fault::Waf),
    ("Steam", Fault::Captcha),
    ("Keybase", Fault::RateLimit),
    ("Instagram", Fault::LoginRedirect),
    ("Telegram", Fault::Reset),
    ("TikTok", Fault::Hang),
];

fn sites() -> Vec<Site> {
    default_sites().into_iter().map(https_as_http).collect()
}

/// Every built-in site knows `janedoe`, but for the faulty ones; GitHub and GitLab list
/// her address on the profile.
fn routes(sites: &[Site]) -> Routes {
    let mut routes: Routes = HashMap::new();
    for site in sites {
        let Some(key) = route_key(site, USER) else {
            continue;
        };
        let reply = match FAULTY.iter().find(|(name, _)| *name == site.name) {
            Some((_, fault)) => faulty(*fault),
            None => match site.name.as_str() {
                "GitHub" => page(
                    200,
                    format!(r#"{{"login":"{USER}","blog":"","email":"{EMAIL}"}}"#),
                ),
                "GitLab" => page(
                    200,
                    format!(r#"[{{"username":"{USER}","public_email":"{EMAIL}"}}]"#),
                ),
                _ => existing(site, USER),
            },
        };
        routes.insert(key, reply);
    }
    routes
}

fn start(pivot_depth: u32, sites: Vec<Site>, routes: Routes) -> TestServer {
    let proxy = serve(Arc::new(routes));
    let options = Options {
        sites: Some(sites),
        ..Options::default()
    };
    TestServer::start_with(
        &format!(
            "[engine]\nnetwork = true\npivot_depth = {pivot_depth}\n[engine.http]\n\
             proxy = \"http://{proxy}\"\ntimeout = \"2s\"\n"
        ),
        options,
    )
}

fn names(profiles: &Value) -> Vec<String> {
    let mut out: Vec<String> = profiles
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["site"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn recipe<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name && !r["note"].as_str().unwrap().starts_with("pivot"))
        .unwrap_or_else(|| panic!("no {name} run in {}", result["recipes"]))
}

#[test]
fn a_username_scan_finds_accounts_counts_unknowns_and_follows_contacts() {
    let sites = sites();
    let server = start(1, sites.clone(), routes(&sites));
    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, USER);
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let scan_id = accepted.body["scan_id"].as_str().unwrap().to_string();
    // The hanging site keeps the scan running for its 2 s timeout: progress must count
    // the site checks meanwhile.
    let started = Instant::now();
    let mut most_total = 0;
    let done = loop {
        let polled = server.get(&format!("/api/v1/scan/{scan_id}"), Some(&key));
        match polled.body["status"].as_str().unwrap() {
            "completed" | "failed" => break polled,
            _ => {
                let total = polled.body["progress"]["recipes_total"]
                    .as_u64()
                    .unwrap_or(0);
                most_total = most_total.max(total);
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "scan never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        most_total as usize > sites.len(),
        "progress counted only {most_total} steps for {} sites",
        sites.len()
    );
    assert_eq!(done.body["status"], "completed", "{}", done.body);
    let result = &done.body["result"];
    let faulty: Vec<&str> = FAULTY.iter().map(|(name, _)| *name).collect();
    let mut expected: Vec<String> = sites
        .iter()
        .filter(|s| !faulty.contains(&s.name.as_str()))
        .map(|s| s.name.clone())
        .collect();
    expected.sort();
    assert_eq!(names(&result["profiles"]["verified"]), expected);
    assert_eq!(names(&result["profiles"]["weak"]), Vec::<String>::new());
    for profile in result["profiles"]["verified"].as_array().unwrap() {
        assert_eq!(profile["username"], USER);
        assert_eq!(profile["source"], "target");
        assert!(profile["confidence"].as_f64().unwrap() >= 0.85, "{profile}");
        let evidence = profile["evidence"].to_string();
        assert!(evidence.contains("content marker matched"), "{profile}");
        assert!(profile["url"].as_str().unwrap().starts_with("http://"));
    }
    let note = recipe(result, "username.sites")["note"].as_str().unwrap();
    for part in [
        "waf 1",
        "captcha 1",
        "rate_limited 1",
        "redirect 1",
        "timeout 1",
        "error 1",
    ] {
        assert!(note.contains(part), "{part} missing from {note:?}");
    }
    assert!(
        note.starts_with(&format!("{} sites checked", sites.len())),
        "{note}"
    );
    // Her address on GitHub and GitLab is a contact, with where it was listed, and it was
    // looked up in turn (pivot depth 1).
    let emails = result["contacts"]["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["value"], EMAIL);
    assert!(
        emails[0]["source"]
            .as_str()
            .unwrap()
            .contains("profile http://")
    );
    let pivots: Vec<&Value> = result["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["note"]
                .as_str()
                .unwrap()
                .starts_with(&format!("pivot {EMAIL}"))
        })
        .collect();
    let pivot_names: Vec<&str> = pivots.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for name in ["email.address", "email.domain", "username.sites"] {
        assert!(pivot_names.contains(&name), "{pivot_names:?}");
    }
    // The pivot reached the same accounts again: they are listed once.
    let verified = result["profiles"]["verified"].as_array().unwrap();
    assert_eq!(verified.len(), expected.len());
    let findings = result["findings"].to_string();
    assert!(findings.contains("site.contact_listed"), "{findings}");
    assert!(
        findings.contains(&format!("{EMAIL}: ")),
        "pivot findings name the pivot"
    );
}

#[test]
fn an_email_scan_checks_its_local_part_and_keeps_unconfirmed_accounts_weak() {
    let sites = sites();
    let server = start(0, sites.clone(), routes(&sites));
    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, EMAIL);
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let result = &done.body["result"];
    // Only the pages naming the address tie `janedoe` to the target.
    assert_eq!(names(&result["profiles"]["verified"]), ["GitHub", "GitLab"]);
    for profile in result["profiles"]["verified"].as_array().unwrap() {
        let evidence = profile["evidence"].to_string();
        assert!(evidence.contains("identity found on the page"), "{profile}");
        assert!(evidence.contains("derived username"), "{profile}");
        assert_eq!(profile["source"], "local part of the target email");
    }
    let weak = result["profiles"]["weak"].as_array().unwrap();
    assert!(weak.len() > 20, "{}", weak.len());
    for profile in weak {
        assert!(profile["confidence"].as_f64().unwrap() <= 0.6, "{profile}");
        assert!(profile["evidence"].to_string().contains("derived username"));
    }
    // The target's own address is no new contact.
    assert_eq!(result["contacts"]["emails"], serde_json::json!([]));
    let note = recipe(result, "username.sites")["note"].as_str().unwrap();
    assert!(
        note.contains("jane.doe: ") && note.contains("janedoe: "),
        "both usernames are reported: {note}"
    );
}

#[test]
fn a_site_with_mostly_unknown_answers_is_flagged_and_not_trusted_alone() {
    let sites = sites();
    let server = start(0, sites.clone(), routes(&sites));
    let server = server.restart_after(
        Options {
            sites: Some(sites.clone()),
            ..Options::default()
        },
        |data_dir| {
            use skopio::sites::detect::{Unknown, Verdict};
            let waf = Verdict::Unknown(Unknown::Waf, String::new());
            let code = skopio::sites::health::code(&waf).unwrap();
            let store = skopio::store::Store::open(data_dir).unwrap();
            let health = skopio::store::SiteHealth {
                recent: vec![code; 12],
            };
            store
                .write_now(|tx| tx.put_site_health("Lichess", &health))
                .unwrap();
        },
    );
    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, USER);
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let result = &done.body["result"];
    let weak = result["profiles"]["weak"].as_array().unwrap();
    assert_eq!(names(&result["profiles"]["weak"]), ["Lichess"]);
    let evidence = weak[0]["evidence"].to_string();
    assert!(evidence.contains("not trusted alone"), "{evidence}");
    assert!(
        evidence.contains("12 of 12 recent checks unknown"),
        "{evidence}"
    );
    assert!(weak[0]["confidence"].as_f64().unwrap() < 0.5);
    let note = recipe(result, "username.sites")["note"].as_str().unwrap();
    assert!(note.contains("mostly unknown: Lichess"), "{note}");
    // The scan's outcomes are now on record: Lichess found once more, Reddit's WAF page.
    let request = SitesRequest::SitesHealth;
    let health = skopio::admin::call_sites(&server.config, &request).unwrap();
    let rows = health["sites"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["site"] == name).unwrap().clone();
    assert_eq!(rows[0]["site"], "Lichess", "flagged sites come first");
    assert_eq!(row("Lichess")["flagged"], true);
    assert_eq!(row("Lichess")["checks"], 13);
    assert_eq!(row("Lichess")["found"], 1);
    assert_eq!(row("Reddit")["unknown"]["waf"], 1);
    assert_eq!(
        row("Reddit")["flagged"],
        false,
        "one outcome is too few to judge"
    );
    assert_eq!(row("GitHub")["found"], 1);
}

#[test]
fn imported_lists_join_the_scan_and_replace_their_own_source() {
    let sites = sites();
    let extra_site = |name: &str| {
        format!(
            r#"{{"sites": [{{"name": "{name}", "uri_check": "http://extra.test/{name}/{{account}}",
            "e_code": 200, "e_string": "member-since", "m_code": 404, "m_string": "",
            "known": ["a"], "cat": "misc"}}]}}"#
        )
    };
    let mut routes = routes(&sites);
    routes.insert(
        (
            "GET".into(),
            format!("extra.test/Second/{USER}"),
            String::new(),
        ),
        page(200, format!("<h1>{USER}</h1> member-since 2019")),
    );
    let server = start(0, sites.clone(), routes);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let import = |path: String| {
        skopio::admin::call_sites(&server.config, &SitesRequest::SitesImport { path })
    };
    let first = import(write("first.json", &extra_site("First"))).unwrap();
    assert_eq!(first["source"], "whatsmyname");
    assert_eq!(first["replaced"], false);
    assert_eq!(first["active_sites"], sites.len() + 1);
    let second = import(write("second.json", &extra_site("Second"))).unwrap();
    assert_eq!(second["replaced"], true);
    assert_eq!(
        second["active_sites"],
        sites.len() + 1,
        "First was replaced"
    );
    // A broken file changes nothing.
    let broken = import(write("broken.json", "{\"sites\": 7}")).unwrap_err();
    assert!(
        broken.to_string().contains("neither a WhatsMyName"),
        "{broken}"
    );
    let twice = format!(
        r#"{{"sites": [{{"name": "Twin", "uri_check": "http://twin.test/{{account}}",
        "e_code": 200, "e_string": "x", "m_code": 404, "m_string": "", "known": ["a"],
        "cat": "misc"}}, {{"name": "TWIN", "uri_check": "http://twin2.test/{{account}}",
        "e_code": 200, "e_string": "x", "m_code": 404, "m_string": "", "known": ["a"],
        "cat": "misc"}}, {{"name": "Clone", "uri_check": "http://twin.test/{{account}}",
        "e_code": 200, "e_string": "x", "m_code": 404, "m_string": "", "known": ["a"],
        "cat": "misc"}}, {{"name": "Local", "uri_check": "file:///etc/{{account}}",
        "e_code": 200, "e_string": "x", "m_code": 404, "m_string": "", "known": ["a"],
        "cat": "misc"}}]}}"#
    );
    let sherlock_like = skopio::admin::call_sites(
        &server.config,
        &SitesRequest::SitesImport {
            path: write("twins.json", &twice),
        },
    )
    .unwrap();
    let skipped = sherlock_like["skipped"].to_string();
    assert_eq!(sherlock_like["sites"], 1, "{sherlock_like}");
    for why in ["named \\\"Twin\\\"", "asks exactly what", "not http"] {
        assert!(skipped.contains(why), "{why} not in {skipped}");
    }
    let second = import(write("second.json", &extra_site("Second"))).unwrap();
    assert_eq!(second["replaced"], true);
    let empty = import(write("empty.json", "{\"sites\": []}")).unwrap_err();
    assert!(empty.to_string().contains("no usable site"), "{empty}");
    let listed =
        skopio::admin::call_sites(&server.config, &SitesRequest::SitesList { sites: true })
            .unwrap();
    assert_eq!(listed["active_sites"], sites.len() + 1);
    let lists = listed["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 2, "{lists:?}");
    assert_eq!(lists[1]["source"], "whatsmyname");
    assert!(lists[1]["file"].as_str().unwrap().ends_with("second.json"));
    assert!(listed["sites"].to_string().contains("\"Second\""));

    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, USER);
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let verified = names(&done.body["result"]["profiles"]["verified"]);
    assert!(verified.contains(&"Second".to_string()), "{verified:?}");
    assert!(!verified.contains(&"First".to_string()));

    let removed = skopio::admin::call_sites(
        &server.config,
        &SitesRequest::SitesRemove {
            source: "whatsmyname".into(),
        },
    )
    .unwrap();
    assert_eq!(removed["active_sites"], sites.len());
    let again = skopio::admin::call_sites(
        &server.config,
        &SitesRequest::SitesRemove {
            source: "whatsmyname".into(),
        },
    );
    assert!(again.is_err());
}

#[test]
fn a_username_no_site_allows_is_never_sent() {
    // The loopback server answers 404 to anything it does not know, which this site reads
    // as "missing": a username that reached it would count as missing, not `illegal`.
    let mut site = sites()[0].clone();
    site.name = "Strict".into();
    site.username_pattern = Some("^[a-z]{3,8}$".into());
    let server = start(0, vec![site], HashMap::new());
    let key = server.key("acme", "pro", 5);
    let accepted = server.submit(&key, "Jane_Doe_1999");
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let note = recipe(&done.body["result"], "username.sites")["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note.contains("illegal 1"), "{note}");
    assert!(note.contains("0 missing"), "nothing was asked: {note}");
}

#[test]
fn a_handle_written_with_its_at_sign_is_checked_without_it() {
    let sites = sites();
    let server = start(0, sites.clone(), routes(&sites));
    let key = server.key("acme", "pro", 5);
    let body = format!(r#"{{"target":"@{USER}","kind":"username"}}"#);
    let accepted = server.post("/api/v1/scan", Some(&key), &body);
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let verified = done.body["result"]["profiles"]["verified"]
        .as_array()
        .unwrap();
    assert_eq!(verified.len() + FAULTY.len(), sites.len());
    assert!(verified.iter().all(|p| p["username"] == USER));
}
