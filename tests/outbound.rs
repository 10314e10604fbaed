//! The outbound layer against a loopback server playing the internet: the same client
//! code production uses, configured with the loopback server as its HTTP proxy (so hosts
//! like `site.invalid`, which resolve nowhere, are reached only through it), and directly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skopio::config::HttpConfig;
use skopio::outbound::{FetchError, MAX_BODY_BYTES, OutRequest, Outbound};

struct Internet {
    addr: String,
    seen: Arc<Mutex<Vec<String>>>,
}

/// Starts the loopback server; every connection gets one answer, chosen by path.
fn internet() -> Internet {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let flaky_hits = Arc::new(AtomicUsize::new(0));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (log, flaky_hits) = (Arc::clone(&log), Arc::clone(&flaky_hits));
            std::thread::spawn(move || answer(stream, &log, &flaky_hits));
        }
    });
    Internet { addr, seen }
}

fn answer(stream: TcpStream, log: &Mutex<Vec<String>>, flaky_hits: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    if request_line.starts_with("CONNECT ") {
        // A proxy's tunnel: agree, then answer the request that comes through it.
        log.lock().unwrap().push(request_line.trim().to_string());
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut tunnel = stream.try_clone().unwrap();
        let _ = tunnel.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        request_line.clear();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    log.lock().unwrap().push(request_line.trim().to_string());
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/");
    // Through a proxy the target is absolute (`http://site.invalid/ok`); directly, a path.
    let path = match target.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or("/".into()),
        None => target.to_string(),
    };
    let mut stream = stream;
    let reply = |stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match path.as_str() {
        p if p.starts_with("/ok/") => {
            let user = &p[4..];
            reply(
                &mut stream,
                "200 OK",
                "",
                format!("<h1>{user}</h1>").as_bytes(),
            )
        }
        "/redirect" => reply(&mut stream, "302 Found", "Location: /login\r\n", b""),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(4));
            reply(&mut stream, "200 OK", "", b"late")
        }
        "/flaky" => {
            if flaky_hits.fetch_add(1, Ordering::SeqCst) == 0 {
                // Drop the connection without a word, as a reset does.
                return;
            }
            reply(&mut stream, "200 OK", "", b"second time lucky")
        }
        "/big" => reply(&mut stream, "200 OK", "", &vec![b'x'; 3 * 1024 * 1024]),
        "/rate" => reply(
            &mut stream,
            "429 Too Many Requests",
            "Retry-After: 5\r\n",
            b"slow down",
        ),
        "/echo" => {
            let text = format!("{method} {}", String::from_utf8_lossy(&body));
            reply(&mut stream, "200 OK", "", text.as_bytes())
        }
        _ => reply(&mut stream, "404 Not Found", "", b"nothing here"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn get(url: &str) -> OutRequest {
    OutRequest {
        method: "GET",
        url: url.to_string(),
        headers: Vec::new(),
        body: None,
    }
}

fn through_proxy(internet: &Internet, timeout: Duration) -> Outbound {
    let config = HttpConfig {
        proxy: format!("http://{}", internet.addr),
        timeout,
        ..HttpConfig::default()
    };
    Outbound::new(&config).unwrap()
}

#[test]
fn every_request_goes_through_the_configured_proxy() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(5));
    let fetched = runtime()
        .block_on(outbound.fetch(get("http://site.invalid/ok/johndoe")))
        .unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, "<h1>johndoe</h1>");
    let seen = internet.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "CONNECT site.invalid:80 HTTP/1.1",
            "GET /ok/johndoe HTTP/1.1"
        ]
    );
}

#[test]
fn redirects_are_answers_not_orders() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(5));
    let fetched = runtime()
        .block_on(outbound.fetch(get("http://site.invalid/redirect")))
        .unwrap();
    assert_eq!(fetched.status, 302);
    assert_eq!(
        fetched.location.as_deref(),
        Some("http://site.invalid/login")
    );
    assert_eq!(
        internet.seen.lock().unwrap().len(),
        2,
        "the redirect was not followed"
    );
}

#[test]
fn a_hanging_site_times_out_on_time() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(1));
    let started = Instant::now();
    let outcome = runtime().block_on(outbound.fetch(get("http://site.invalid/slow")));
    assert_eq!(outcome.unwrap_err(), FetchError::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "held {:?}",
        started.elapsed()
    );
}

#[test]
fn a_dropped_connection_is_retried_once() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(5));
    let fetched = runtime()
        .block_on(outbound.fetch(get("http://site.invalid/flaky")))
        .unwrap();
    assert_eq!((fetched.status, fetched.attempts), (200, 2));
    assert_eq!(fetched.body, "second time lucky");
}

#[test]
fn rate_limits_are_reported_with_their_retry_after_and_not_retried() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(5));
    let fetched = runtime()
        .block_on(outbound.fetch(get("http://site.invalid/rate")))
        .unwrap();
    assert_eq!(
        (fetched.status, fetched.retry_after, fetched.attempts),
        (429, true, 1)
    );
}

#[test]
fn a_huge_body_is_cut_at_the_limit() {
    let internet = internet();
    let outbound = through_proxy(&internet, Duration::from_secs(5));
    let fetched = runtime()
        .block_on(outbound.fetch(get("http://site.invalid/big")))
        .unwrap();
    assert_eq!(fetched.body.len() as u64, MAX_BODY_BYTES);
}

#[test]
fn methods_and_bodies_are_sent_as_given_without_a_proxy_too() {
    let internet = internet();
    let outbound = Outbound::new(&HttpConfig::default()).unwrap();
    let request = OutRequest {
        method: "POST",
        url: format!("http://{}/echo", internet.addr),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some("{\"name\":\"johndoe\"}".into()),
    };
    let fetched = runtime().block_on(outbound.fetch(request)).unwrap();
    assert_eq!(fetched.body, "POST {\"name\":\"johndoe\"}");
}

#[test]
fn a_closed_port_is_a_connection_failure() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let outbound = Outbound::new(&HttpConfig::default()).unwrap();
    let outcome = runtime().block_on(outbound.fetch(get(&format!("http://127.0.0.1:{port}/"))));
    assert!(
        matches!(outcome, Err(FetchError::Connect(_))),
        "{outcome:?}"
    );
}
