//! Site checks over the network, against a loopback server that plays every site of the
//! real WhatsMyName and Sherlock lists and is the configured proxy. Each site answers the
//! way its definition says an existing account and a missing one look; one site in eight
//! instead misbehaves (WAF page, captcha, 429, login redirect, dropped connection, hang).
//! Every check goes through the production client (`outbound`) and `sites::check`.
//! The definitions' https URLs are asked over http here: TLS is the client library's
//! job and is not what this test is about. Needs `../shared/data`; skips otherwise.

mod emulator;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::{
    FAULTS, Fault, MISSING_USER, Reply, Routes, existing, faulty, https_as_http, missing, page,
    route_key, serve,
};
use skopio::config::HttpConfig;
use skopio::outbound::Outbound;
use skopio::sites::Site;
use skopio::sites::check::check;
use skopio::sites::detect::{Unknown, Verdict};
use skopio::sites::formats::parse;

/// Says a test was skipped where a person sees it: the test harness captures `println!`
/// of passing tests, but not direct writes to standard error.
macro_rules! skip_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn shared(path: &str) -> Option<String> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path);
    let text = std::fs::read_to_string(&full).ok();
    if text.is_none() {
        skip_line!(
            "skipping site checks over the network: {} not found",
            full.display()
        );
    }
    text
}

fn run_list(text: &str) {
    let parsed = parse(text).unwrap();
    let sites: Vec<Site> = parsed.sites.into_iter().map(https_as_http).collect();
    // Per site: the username to find, and the fault it plays (one site in eight).
    let mut plan: Vec<(Site, String, Option<Fault>)> = Vec::new();
    let mut routes: Routes = HashMap::new();
    let mut taken: HashMap<(String, String, String), usize> = HashMap::new();
    for (idx, site) in sites.into_iter().enumerate() {
        let user = site
            .known
            .first()
            .cloned()
            .unwrap_or_else(|| "johndoe".into());
        let fault = (idx % 8 == 7).then(|| FAULTS[(idx / 8) % FAULTS.len()]);
        let (Some(found_key), Some(gone_key)) =
            (route_key(&site, &user), route_key(&site, MISSING_USER))
        else {
            continue;
        };
        // Two definitions asking the very same URL cannot be told apart by one server.
        if taken.contains_key(&found_key) || taken.contains_key(&gone_key) || found_key == gone_key
        {
            continue;
        }
        taken.insert(found_key.clone(), idx);
        taken.insert(gone_key.clone(), idx);
        match fault {
            Some(fault) => {
                routes.insert(found_key, faulty(fault));
            }
            None => {
                routes.insert(found_key, existing(&site, &user));
                routes.insert(gone_key, missing(&site));
            }
        }
        plan.push((site, user, fault));
    }
    let addr = serve(Arc::new(routes));
    let config = HttpConfig {
        proxy: format!("http://{addr}"),
        timeout: Duration::from_secs(2),
        concurrency: 64,
        ..HttpConfig::default()
    };
    let outbound = Arc::new(Outbound::new(&config).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let plan = Arc::new(plan);
    let results = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for idx in 0..plan.len() {
            let (plan, outbound) = (Arc::clone(&plan), Arc::clone(&outbound));
            tasks.spawn(async move {
                let (site, user, fault) = &plan[idx];
                let found = check(&outbound, site, user, None).await;
                let gone = match fault {
                    None => Some(check(&outbound, site, MISSING_USER, None).await),
                    Some(_) => None,
                };
                (idx, found, gone)
            });
        }
        let mut results = Vec::new();
        while let Some(Ok(result)) = tasks.join_next().await {
            results.push(result);
        }
        results
    });
    let elapsed = started.elapsed();
    let mut wrong = Vec::new();
    let mut false_positives = 0;
    for (idx, found, gone) in &results {
        let (site, _, fault) = &plan[*idx];
        let expected_unknown = fault.map(|f| match f {
            Fault::Waf => Unknown::Waf,
            Fault::Captcha => Unknown::Captcha,
            Fault::RateLimit => Unknown::RateLimited,
            Fault::LoginRedirect => Unknown::Redirect,
            Fault::Reset => Unknown::Error,
            Fault::Hang => Unknown::Timeout,
        });
        match (expected_unknown, &found.verdict) {
            (None, Verdict::Found(_)) => {}
            (Some(want), Verdict::Unknown(got, _)) if *got == want => {}
            (Some(_), Verdict::Found(_)) => {
                false_positives += 1;
                wrong.push(format!("{}: {fault:?} read as found", site.name));
            }
            (_, other) => wrong.push(format!("{}: expected {fault:?}, got {other:?}", site.name)),
        }
        if let Some(gone) = gone {
            if gone.verdict != Verdict::Missing {
                if matches!(gone.verdict, Verdict::Found(_)) {
                    false_positives += 1;
                }
                wrong.push(format!(
                    "{}: missing account read as {:?}",
                    site.name, gone.verdict
                ));
            }
        }
    }
    println!(
        "{} sites checked through the proxy in {:.1} s: {} misread, {} false positives",
        results.len(),
        elapsed.as_secs_f64(),
        wrong.len(),
        false_positives
    );
    assert_eq!(results.len(), plan.len());
    assert_eq!(false_positives, 0, "{}", wrong.join("\n"));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Hanging sites end at the timeout plus, at worst, one retry of a fast failure.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn every_built_in_site_over_the_network_no_false_positives() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sites/skopio.json");
    run_list(&std::fs::read_to_string(path).unwrap());
}

#[test]
fn every_whatsmyname_site_over_the_network_no_false_positives() {
    if let Some(text) = shared("whatsmyname/wmn-data.json") {
        run_list(&text);
    }
}

#[test]
fn every_sherlock_site_over_the_network_no_false_positives() {
    if let Some(text) = shared("sherlock/data.json") {
        run_list(&text);
    }
}

#[test]
fn a_run_over_many_sites_sorts_profiles_and_never_waits_past_its_deadline() {
    use skopio::sites::scan::{Origin, Request, scan};
    let wmn = r#"{"sites": [
        {"name": "Marked", "uri_check": "http://marked.test/u/{account}", "e_code": 200,
         "e_string": "profile-card", "m_code": 404, "m_string": "", "known": [], "cat": "social"},
        {"name": "Stuck", "uri_check": "http://stuck.test/u/{account}", "e_code": 200,
         "e_string": "x", "m_code": 404, "m_string": "", "known": [], "cat": "social"},
        {"name": "Walled", "uri_check": "http://walled.test/u/{account}", "e_code": 200,
         "e_string": "x", "m_code": 404, "m_string": "", "known": [], "cat": "social"}]}"#;
    let sherlock = r#"{"Echoing": {"errorType": "status_code", "url": "http://echo.test/{}",
        "urlMain": "http://echo.test", "username_claimed": "a"}}"#;
    let mut sites = parse(wmn).unwrap().sites;
    sites.extend(parse(sherlock).unwrap().sites);
    let mut routes: Routes = HashMap::new();
    let key = |host: &str| {
        (
            "GET".to_string(),
            format!("{host}/u/janedoe"),
            String::new(),
        )
    };
    routes.insert(
        key("marked.test"),
        page(200, "<div class=profile-card>janedoe</div>".into()),
    );
    routes.insert(key("stuck.test"), Reply::Hang);
    routes.insert(key("walled.test"), faulty(Fault::Waf));
    routes.insert(
        ("GET".into(), "echo.test/janedoe".into(), String::new()),
        page(200, "<h1>janedoe</h1>".into()),
    );
    let addr = serve(Arc::new(routes));
    let config = HttpConfig {
        proxy: format!("http://{addr}"),
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    };
    let outbound = Arc::new(Outbound::new(&config).unwrap());
    let sites = Arc::new(sites);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let deadline = Duration::from_millis(1500);
    let report = runtime.block_on(scan(
        Arc::clone(&outbound),
        Arc::clone(&sites),
        Request::target("janedoe", deadline),
    ));
    // The hanging site's own timeout is 10 s: a run that ends well before it was cut at
    // its deadline.
    assert!(
        report.elapsed < Duration::from_secs(8),
        "held {:?}",
        report.elapsed
    );
    assert_eq!(report.cut_at_deadline, 1);
    let names = |profiles: &[skopio::dossier::Profile]| -> Vec<String> {
        profiles.iter().map(|p| p.site.clone()).collect()
    };
    assert_eq!(names(&report.verified), ["Marked"]);
    assert_eq!(report.verified[0].confidence, 0.95);
    assert_eq!(report.verified[0].url, "http://marked.test/u/janedoe");
    assert_eq!(names(&report.weak), ["Echoing"]);
    assert!(
        report.weak[0]
            .evidence
            .iter()
            .any(|e| e.contains("no positive marker"))
    );
    assert_eq!(
        report.note(),
        "4 sites checked: 2 found (1 verified, 1 weak), 0 missing, 2 unknown (waf 1, timeout 1)"
    );
    let derived_request = Request {
        origin: Origin::Derived,
        source: "derived".to_string(),
        ..Request::target("janedoe", deadline)
    };
    let derived = runtime.block_on(scan(outbound, sites, derived_request));
    assert!(
        derived.verified.is_empty(),
        "a derived username is never verified alone"
    );
    assert_eq!(derived.weak.len(), 2);
    assert!(
        derived
            .weak
            .iter()
            .all(|p| p.source == "derived" && p.confidence < 0.6)
    );
    // The abandoned request to the hanging site ends at its own timeout; do not wait for it.
    runtime.shutdown_background();
}
