//! Outbound HTTP: the one client layer every request Skopio makes to the outside goes
//! through (site checks, the summary endpoint; webhooks later), and the only code
//! that touches ureq. It applies the configured timeout, user agent, proxy (`http://`,
//! `socks5://`) and extra CA roots to every request; bounds requests in flight overall
//! (`engine.http.concurrency`) and per host; never follows redirects (a redirect is an
//! answer to read, not to obey); reads at most `MAX_BODY_BYTES` of a body; and retries a
//! request once, after a short pause, when the connection failed fast or a gateway
//! answered 502/503/504 without asking for patience.
//!
//! ureq is blocking, so each request runs on tokio's blocking pool, and a permit from the
//! bounded semaphores is held for its whole life: hundreds of slow sites can never starve
//! the server's async workers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::config::HttpConfig;

/// Most of a body read; a profile page's markers sit well inside it, and nothing a site
/// sends can make a check hold more memory than this.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Requests to one host in flight at once, so one scan never hammers a site.
const PER_HOST: usize = 4;
/// Pause before the single retry of a transient failure.
const RETRY_PAUSE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone)]
pub struct OutRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl OutRequest {
    /// A POST of `body` as JSON, asking for JSON back.
    pub fn post_json(url: &str, body: &serde_json::Value) -> OutRequest {
        OutRequest {
            method: "POST",
            url: url.to_string(),
            headers: vec![
                ("Content-Type".to_string(), "application/json".to_string()),
                ("Accept".to_string(), "application/json".to_string()),
            ],
            body: Some(body.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub location: Option<String>,
    pub retry_after: bool,
    pub body: String,
    pub attempts: u32,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    Timeout,
    /// Could not connect, or the connection broke (refused, reset, DNS, TLS).
    Connect(String),
    InvalidRequest(String),
    Other(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Timeout => write!(f, "timed out"),
            FetchError::Connect(e) => write!(f, "connection failed: {e}"),
            FetchError::InvalidRequest(e) => write!(f, "invalid request: {e}"),
            FetchError::Other(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Debug)]
pub enum OutboundError {
    Proxy(String),
    CaFile(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboundError::Proxy(e) => write!(f, "engine.http.proxy is not usable: {e}"),
            OutboundError::CaFile(e) => write!(f, "engine.http.ca_file is not usable: {e}"),
        }
    }
}

impl std::error::Error for OutboundError {}

pub struct Outbound {
    agent: ureq::Agent,
    timeout: Duration,
    in_flight: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The standard web roots plus the operator's own (a TLS-intercepting proxy's CA), so
/// adding a corporate root never removes the public ones.
fn roots(ca_file: &str) -> Result<RootCerts, OutboundError> {
    let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()))
        .collect();
    if !ca_file.is_empty() {
        let pem =
            std::fs::read(ca_file).map_err(|e| OutboundError::CaFile(format!("{ca_file}: {e}")))?;
        let before = certs.len();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => certs.push(cert.to_owned()),
                Ok(_) => {}
                Err(e) => return Err(OutboundError::CaFile(format!("{ca_file}: {e}"))),
            }
        }
        if certs.len() == before {
            return Err(OutboundError::CaFile(format!(
                "{ca_file} holds no PEM certificate"
            )));
        }
    }
    Ok(RootCerts::new_with_certs(&certs))
}

impl Outbound {
    pub fn new(config: &HttpConfig) -> Result<Outbound, OutboundError> {
        let proxy = match config.proxy.as_str() {
            "" => None,
            url => Some(ureq::Proxy::new(url).map_err(|e| OutboundError::Proxy(e.to_string()))?),
        };
        let tls = TlsConfig::builder()
            .root_certs(roots(&config.ca_file)?)
            .build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(config.user_agent.as_str())
            .proxy(proxy)
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(Outbound {
            agent,
            timeout: config.timeout,
            in_flight: Arc::new(Semaphore::new(config.concurrency)),
            per_host: Mutex::new(HashMap::new()),
        })
    }

    fn host_limit(&self, url: &str) -> Arc<Semaphore> {
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or(url)
            .split(['/', '?', '#'])
            .next();
        let host = host.unwrap_or_default().to_ascii_lowercase();
        let mut map = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            map.entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST))),
        )
    }

    /// Sends `request`, retrying once a transient failure that came back quickly.
    pub async fn fetch(&self, request: OutRequest) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let host = self.host_limit(&request.url);
        let _host_permit = host
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Other(e.to_string()))?;
        let _permit = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Other(e.to_string()))?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.attempt(request.clone()).await;
            let transient = match &outcome {
                Err(FetchError::Connect(_)) => true,
                Ok(f) => matches!(f.status, 502..=504) && !f.retry_after,
                Err(_) => false,
            };
            // Retry only while a second try still fits in one timeout from the start, so
            // a retry never holds a scan past its deadline.
            let room = started.elapsed() + RETRY_PAUSE < self.timeout / 2;
            if attempts >= 2 || !transient || !room {
                return outcome.map(|mut fetched| {
                    fetched.attempts = attempts;
                    fetched.elapsed = started.elapsed();
                    fetched
                });
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    // Known shortcoming: when the caller drops a fetch (a scan's deadline passed), its
    // permits are released at once while the blocking request runs on until ureq's own
    // timeout, so for up to one timeout more requests than `concurrency` can be open; a
    // permit moved into the blocking closure would close that gap.
    async fn attempt(&self, request: OutRequest) -> Result<Fetched, FetchError> {
        let agent = self.agent.clone();
        let work = tokio::task::spawn_blocking(move || run(&agent, request));
        // ureq's own timeout ends the request; this bound only guards against a blocking
        // call that somehow outlives it, so the caller is never held longer.
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), work).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(FetchError::Other(e.to_string())),
            Err(_) => Err(FetchError::Timeout),
        }
    }
}

fn run(agent: &ureq::Agent, request: OutRequest) -> Result<Fetched, FetchError> {
    let started = Instant::now();
    let mut builder = ureq::http::Request::builder()
        .method(request.method)
        .uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let body = request.body.unwrap_or_default().into_bytes();
    let http_request = builder
        .body(body)
        .map_err(|e| FetchError::InvalidRequest(e.to_string()))?;
    let mut response = agent.run(http_request).map_err(fetch_error)?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let location = headers
        .iter()
        .find(|(n, _)| n == "location")
        .map(|(_, v)| v.clone());
    let retry_after = headers.iter().any(|(n, _)| n == "retry-after");
    let mut bytes = Vec::new();
    let reader = response.body_mut().as_reader();
    reader
        .take(MAX_BODY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => FetchError::Timeout,
            _ => FetchError::Connect(e.to_string()),
        })?;
    Ok(Fetched {
        status,
        headers,
        location: location.map(|l| absolute(&request.url, &l)),
        retry_after,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        attempts: 1,
        elapsed: started.elapsed(),
    })
}

fn fetch_error(error: ureq::Error) -> FetchError {
    match error {
        ureq::Error::Timeout(_) => FetchError::Timeout,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => FetchError::Timeout,
        ureq::Error::Io(e) => FetchError::Connect(e.to_string()),
        ureq::Error::HostNotFound => FetchError::Connect("host not found".to_string()),
        ureq::Error::ConnectionFailed => FetchError::Connect("connection failed".to_string()),
        ureq::Error::BadUri(e) => FetchError::InvalidRequest(e),
        other => FetchError::Other(other.to_string()),
    }
}

/// A `Location` made absolute against the URL asked (`/login` → `https://host/login`).
fn absolute(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match location.strip_prefix("//") {
        Some(other_host) => format!("{scheme}://{other_host}"),
        None if location.starts_with('/') => format!("{scheme}://{host}{location}"),
        None => format!("{scheme}://{host}/{location}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_redirects_are_made_absolute() {
        assert_eq!(
            absolute("https://a.test/u/x", "/login"),
            "https://a.test/login"
        );
        assert_eq!(
            absolute("https://a.test/u/x", "//b.test/y"),
            "https://b.test/y"
        );
        assert_eq!(
            absolute("http://a.test", "https://c.test/"),
            "https://c.test/"
        );
    }

    #[test]
    fn an_unusable_proxy_or_ca_file_is_refused_at_start() {
        let mut config = HttpConfig::default();
        config.ca_file = "/nonexistent/ca.pem".to_string();
        assert!(matches!(
            Outbound::new(&config),
            Err(OutboundError::CaFile(_))
        ));
        let mut config = HttpConfig::default();
        config.proxy = "socks5://".to_string();
        assert!(Outbound::new(&config).is_err());
    }
}
