//! Site checks over the network, against a loopback server that plays every site of the
//! real WhatsMyName and Sherlock lists and is the configured proxy. Each site answers the
//! way its definition says an existing account and a missing one look; one site in eight
//! instead misbehaves (WAF page, captcha, 429, login redirect, dropped connection, hang).
//! Every check goes through the production client (`outbound`) and `sites::check`.
//! The definitions' https URLs are asked over http here: TLS is the client library's
//! job and is not what this test is about. Needs `../shared/data`; skips otherwise.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use skopio::config::HttpConfig;
use skopio::outbound::Outbound;
use skopio::sites::check::check;
use skopio::sites::detect::{Unknown, Verdict};
use skopio::sites::formats::parse;
use skopio::sites::{PLACEHOLDER, Site};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Waf,
    Captcha,
    RateLimit,
    LoginRedirect,
    Reset,
    Hang,
}

#[derive(Clone)]
enum Reply {
    Page {
        status: u16,
        headers: String,
        body: String,
    },
    Reset,
    Hang,
}

type Routes = HashMap<(String, String, String), Reply>;

fn shared(path: &str) -> Option<String> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path);
    let text = std::fs::read_to_string(&full).ok();
    if text.is_none() {
        println!(
            "skipping site checks over the network: {} not found",
            full.display()
        );
    }
    text
}

/// Where a request for `username` at `site` goes: (method, host/path?query, body).
fn route_key(site: &Site, username: &str) -> Option<(String, String, String)> {
    let asked = site.username_for(username).ok()?;
    let url = site.check_url_for(&asked);
    Some((
        site.method.as_str().to_string(),
        normal_target(&url),
        site.body_for(&asked).unwrap_or_default(),
    ))
}

/// `host/path?query` with the host in lower case (hosts are case-insensitive, and
/// clients send them lower-cased) and `/` for an empty path.
fn normal_target(url: &str) -> String {
    // Only a leading scheme is dropped: `?url=https://…` inside a query stays. A fragment
    // is never sent over HTTP, so it is no part of where a request goes.
    let rest = match url.find("://") {
        Some(i) if !url[..i].contains('/') => &url[i + 3..],
        _ => url,
    };
    let rest = rest.split('#').next().unwrap_or(rest);
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = match path.starts_with('/') {
        true => path.to_string(),
        false => format!("/{path}"),
    };
    format!("{}{path}", host.to_ascii_lowercase())
}

fn page(status: u16, body: String) -> Reply {
    Reply::Page {
        status,
        headers: String::new(),
        body,
    }
}

fn existing(site: &Site, username: &str) -> Reply {
    let marker = site.exists.content.clone().unwrap_or_default();
    page(
        site.exists.status.unwrap_or(200),
        format!("<html><h1>{username}</h1>{marker}</html>"),
    )
}

fn missing(site: &Site) -> Reply {
    let rule = &site.missing;
    if let Some(to) = &rule.redirect_to {
        let to = to.replace(PLACEHOLDER, "nobodyzz9");
        // A definition may write its error URL without a scheme; a real site sends one.
        let to = if to.contains("://") {
            to
        } else {
            format!("http://{to}")
        };
        return Reply::Page {
            status: 302,
            headers: format!("Location: {to}\r\n"),
            body: String::new(),
        };
    }
    let status = rule
        .statuses
        .first()
        .copied()
        .unwrap_or(if rule.any_error_status { 404 } else { 200 });
    let body = rule
        .contents
        .first()
        .cloned()
        .unwrap_or_else(|| "<html>nothing</html>".into());
    page(status, format!("<html>{body}</html>"))
}

fn faulty(fault: Fault) -> Reply {
    match fault {
        Fault::Waf => page(
            403,
            "<title>Attention Required! | Cloudflare</title>".into(),
        ),
        Fault::Captcha => page(
            200,
            "<div class=\"g-recaptcha\" data-sitekey=k></div>".into(),
        ),
        Fault::RateLimit => Reply::Page {
            status: 429,
            headers: "Retry-After: 30\r\n".into(),
            body: "Too Many Requests".into(),
        },
        Fault::LoginRedirect => Reply::Page {
            status: 302,
            headers: "Location: https://accounts.example/login?next=x\r\n".into(),
            body: String::new(),
        },
        Fault::Reset => Reply::Reset,
        Fault::Hang => Reply::Hang,
    }
}

fn serve(routes: Arc<Routes>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = Arc::clone(&routes);
            std::thread::spawn(move || tunnel(stream, &routes));
        }
    });
    addr
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<(String, String)>)> {
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Some((first.trim().to_string(), headers))
}

/// Plays a proxy: accepts the CONNECT, then answers the request sent through the tunnel.
fn tunnel(stream: TcpStream, routes: &Routes) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some((connect, _)) = read_head(&mut reader) else {
        return;
    };
    // Routed by the tunnel's authority, as a real proxy would: a definition may set its
    // own Host header (Venmo asks one host while naming another).
    let Some(authority) = connect
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split(' ').next())
    else {
        return;
    };
    let host = authority
        .strip_suffix(":80")
        .unwrap_or(authority)
        .to_string();
    let mut out = stream.try_clone().unwrap();
    let _ = out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let Some((request_line, headers)) = read_head(&mut reader) else {
        return;
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let key = (
        method,
        normal_target(&format!("{host}{path}")),
        String::from_utf8_lossy(&body).into_owned(),
    );
    match routes.get(&key).cloned() {
        Some(Reply::Page {
            status,
            headers,
            body,
        }) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
                body.len()
            );
            let _ = out.write_all(head.as_bytes());
            let _ = out.write_all(body.as_bytes());
        }
        Some(Reply::Reset) => {}
        Some(Reply::Hang) => std::thread::sleep(Duration::from_secs(30)),
        None => {
            let _ =
                out.write_all(b"HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    }
}

fn https_as_http(mut site: Site) -> Site {
    site.check_url = site.check_url.replacen("https://", "http://", 1);
    site.profile_url = site.profile_url.replacen("https://", "http://", 1);
    site.missing.redirect_to = site
        .missing
        .redirect_to
        .map(|u| u.replacen("https://", "http://", 1));
    site
}

fn run_list(text: &str) {
    let parsed = parse(text).unwrap();
    let sites: Vec<Site> = parsed.sites.into_iter().map(https_as_http).collect();
    const FAULTS: [Fault; 6] = [
        Fault::Waf,
        Fault::Captcha,
        Fault::RateLimit,
        Fault::LoginRedirect,
        Fault::Reset,
        Fault::Hang,
    ];
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
            (route_key(&site, &user), route_key(&site, "nobodyzz9"))
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
                let found = check(&outbound, site, user).await;
                let gone = match fault {
                    None => Some(check(&outbound, site, "nobodyzz9").await),
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
    use skopio::sites::scan::{Origin, scan};
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
        "janedoe",
        Origin::Target,
        deadline,
    ));
    assert!(
        report.elapsed < Duration::from_secs(3),
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
    let derived = runtime.block_on(scan(outbound, sites, "janedoe", Origin::Derived, deadline));
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
