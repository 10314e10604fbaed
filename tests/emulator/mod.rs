//! A loopback internet for site checks, shared by `tests/site_checks.rs` and
//! `benches/sites.rs`: one server that is the configured HTTP proxy (it accepts CONNECT
//! and answers the request sent through the tunnel) and plays every site of a list, each
//! answering as its definition says an existing or a missing account looks, or with a
//! fault (WAF page, captcha, 429, login redirect, dropped connection, hang), optionally
//! after a delay drawn per request.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use skopio::sites::{PLACEHOLDER, Site};

/// The username every site plays as missing.
pub const MISSING_USER: &str = "nobodyzz9";

/// The faults a misbehaving site plays, in turn.
pub const FAULTS: [Fault; 6] = [
    Fault::Waf,
    Fault::Captcha,
    Fault::RateLimit,
    Fault::LoginRedirect,
    Fault::Reset,
    Fault::Hang,
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    Waf,
    Captcha,
    RateLimit,
    LoginRedirect,
    Reset,
    Hang,
}

#[derive(Clone)]
pub enum Reply {
    Page {
        status: u16,
        headers: String,
        body: String,
    },
    Reset,
    Hang,
}

impl Reply {
    /// A page's status, `Location` and body, for reading it without a server.
    pub fn parts(&self) -> Option<(u16, Option<String>, String)> {
        let Reply::Page {
            status,
            headers,
            body,
        } = self
        else {
            return None;
        };
        let location = headers
            .lines()
            .find_map(|h| h.strip_prefix("Location: "))
            .map(|l| l.trim().to_string());
        Some((*status, location, body.clone()))
    }
}

pub type Routes = HashMap<(String, String, String), Reply>;

/// Where a request for `username` at `site` goes: (method, host/path?query, body).
pub fn route_key(site: &Site, username: &str) -> Option<(String, String, String)> {
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
pub fn normal_target(url: &str) -> String {
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

pub fn page(status: u16, body: String) -> Reply {
    Reply::Page {
        status,
        headers: String::new(),
        body,
    }
}

pub fn existing(site: &Site, username: &str) -> Reply {
    let marker = site.exists.content.clone().unwrap_or_default();
    page(
        site.exists.status.unwrap_or(200),
        format!("<html><h1>{username}</h1>{marker}</html>"),
    )
}

pub fn missing(site: &Site) -> Reply {
    let rule = &site.missing;
    if let Some(to) = &rule.redirect_to {
        let to = to.replace(PLACEHOLDER, MISSING_USER);
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

pub fn faulty(fault: Fault) -> Reply {
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

pub fn serve(routes: Arc<Routes>) -> String {
    serve_with_delay(routes, Arc::new(|| Duration::ZERO))
}

/// A function drawing each answer's delay, as a real site's latency.
pub type Delay = Arc<dyn Fn() -> Duration + Send + Sync>;

pub fn serve_with_delay(routes: Arc<Routes>, delay: Delay) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (routes, delay) = (Arc::clone(&routes), Arc::clone(&delay));
            std::thread::spawn(move || tunnel(stream, &routes, delay()));
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
fn tunnel(stream: TcpStream, routes: &Routes, delay: Duration) {
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
    std::thread::sleep(delay);
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

pub fn https_as_http(mut site: Site) -> Site {
    site.check_url = site.check_url.replacen("https://", "http://", 1);
    site.profile_url = site.profile_url.replacen("https://", "http://", 1);
    site.missing.redirect_to = site
        .missing
        .redirect_to
        .map(|u| u.replacen("https://", "http://", 1));
    site
}
