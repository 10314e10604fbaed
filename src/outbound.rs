//! Outbound HTTP: the one client layer every request Skopio makes to the outside goes
//! through (site checks, webhook deliveries and the summary endpoint), and the only
//! code that touches ureq. It applies the configured timeout, user agent, proxy (`http://`,
//! `socks5://`) and extra CA roots to every request; bounds requests in flight overall
//! (`engine.http.concurrency`) and per host; never follows redirects (a redirect is an
//! answer to read, not to obey); reads at most `MAX_BODY_BYTES` of a body; and retries a
//! request once, after a short pause, when the connection failed fast or a gateway
//! answered 502/503/504 without asking for patience.
//!
//! Webhook deliveries get a client of their own (`Outbound::for_webhooks`): its own bounds,
//! so receivers never compete with site checks; no retry of its own (the delivery's retry
//! schedule decides); no proxy; and a resolver that checks every address a host name
//! resolves to against `netguard` and hands ureq only the allowed ones, so the address
//! actually connected to is one that passed the check (a name resolving to 127.0.0.1 is
//! refused like the literal).
//!
//! ureq is blocking, so each request runs on tokio's blocking pool, and a permit from the
//! bounded semaphores is held for its whole life: hundreds of slow sites can never starve
//! the server's async workers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::HttpConfig;
use crate::netguard::Guard;

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
    /// Every address the host resolved to is one the guard refuses (webhooks only).
    Blocked(String),
    /// Could not connect, or the connection broke (refused, reset, DNS, TLS).
    Connect(String),
    InvalidRequest(String),
    Other(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Timeout => write!(f, "timed out"),
            FetchError::Blocked(e) => write!(f, "refused: {e}"),
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
    per_host_limit: usize,
    /// Whether a fast transient failure is tried once more (not for webhooks, whose
    /// retries follow their own schedule and are each logged).
    retry_transient: bool,
    max_body_bytes: u64,
}

/// A place among a host's requests and among all requests; dropping it frees both.
pub struct Permit {
    _host: tokio::sync::OwnedSemaphorePermit,
    _all: tokio::sync::OwnedSemaphorePermit,
}

/// How the webhook client is bounded.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    pub timeout: Duration,
    pub guard: Guard,
    /// Extra PEM roots (`engine.http.ca_file`), for receivers behind an internal CA.
    pub ca_file: String,
    /// Deliveries in flight at once, across all receivers.
    pub concurrency: usize,
    /// Deliveries in flight at once to one receiver (scheme, host and port).
    pub per_receiver: usize,
    /// Most of a receiver's answer read (the delivery log keeps its first bytes).
    pub max_answer_bytes: u64,
}

/// A resolver that lets through only the addresses the guard allows. ureq connects to
/// what the resolver returns, so the check is on the address actually connected to.
#[derive(Debug)]
struct GuardedResolver {
    guard: Guard,
    inner: DefaultResolver,
}

/// The error a refused address travels in through ureq (as an I/O error's payload).
#[derive(Debug)]
struct BlockedAddress(String);

impl std::fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for BlockedAddress {}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.inner.resolve(uri, config, timeout)?;
        let mut allowed = self.empty();
        let mut refused: Option<String> = None;
        for addr in resolved.iter() {
            match self.guard.check(addr.ip()) {
                Ok(()) => allowed.push(*addr),
                Err(kind) => {
                    refused.get_or_insert_with(|| format!("{} is {kind}", addr.ip()));
                }
            }
        }
        match (allowed.is_empty(), refused) {
            (true, Some(reason)) => Err(ureq::Error::Io(std::io::Error::other(BlockedAddress(
                format!(
                    "{reason}; webhooks may not reach internal networks unless \
                     webhooks.allow_networks lists them"
                ),
            )))),
            _ => Ok(allowed),
        }
    }
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
        // A SOCKS5 proxy is given host names to resolve itself (curl's `socks5h`), so an
        // appliance that reaches the outside only through it needs no DNS of its own.
        let proxy_url = match config.proxy.strip_prefix("socks5://") {
            Some(rest) => format!("socks5h://{rest}"),
            None => config.proxy.clone(),
        };
        let proxy = match proxy_url.as_str() {
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
            per_host_limit: PER_HOST,
            retry_transient: true,
            max_body_bytes: MAX_BODY_BYTES,
        })
    }

    /// The client webhook deliveries go through: direct connections only (a proxy would
    /// resolve the receiver itself, out of the guard's sight), guarded addresses, the
    /// standard roots plus `ca_file`, and no retry of its own.
    // Known shortcoming: webhooks ignore `engine.http.proxy`, so an appliance that reaches
    // the outside only through a proxy cannot deliver to outside receivers; tunnelling
    // with CONNECT to an address resolved and checked here would fix it.
    pub fn for_webhooks(client: &WebhookClient) -> Result<Outbound, OutboundError> {
        let tls = TlsConfig::builder()
            .root_certs(roots(&client.ca_file)?)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(client.timeout))
            .user_agent("Skopio-Webhook/1")
            .proxy(None)
            .tls_config(tls)
            .build();
        let resolver = GuardedResolver {
            guard: client.guard.clone(),
            inner: DefaultResolver::default(),
        };
        let agent = ureq::Agent::with_parts(config, DefaultConnector::default(), resolver);
        Ok(Outbound {
            agent,
            timeout: client.timeout,
            in_flight: Arc::new(Semaphore::new(client.concurrency.max(1))),
            per_host: Mutex::new(HashMap::new()),
            per_host_limit: client.per_receiver.max(1),
            retry_transient: false,
            max_body_bytes: client.max_answer_bytes,
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
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit))),
        )
    }

    /// Waits for room to send to `url`'s host: first a place among that host's requests,
    /// then among all requests, so requests queued behind a slow host never hold a place
    /// other hosts could use.
    pub async fn permit(&self, url: &str) -> Result<Permit, FetchError> {
        let host = self.host_limit(url);
        let host = host
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Other(e.to_string()))?;
        let all = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Other(e.to_string()))?;
        Ok(Permit {
            _host: host,
            _all: all,
        })
    }

    /// Sends `request` once, under a permit the caller holds.
    pub async fn send_once(
        &self,
        _permit: &Permit,
        request: OutRequest,
    ) -> Result<Fetched, FetchError> {
        self.attempt(request).await
    }

    /// Sends `request`, retrying once a transient failure that came back quickly.
    pub async fn fetch(&self, request: OutRequest) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let _permit = self.permit(&request.url).await?;
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
            if attempts >= 2 || !transient || !room || !self.retry_transient {
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
        let max_body_bytes = self.max_body_bytes;
        let work = tokio::task::spawn_blocking(move || run(&agent, request, max_body_bytes));
        // ureq's own timeout ends the request; this bound only guards against a blocking
        // call that somehow outlives it, so the caller is never held longer.
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), work).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(FetchError::Other(e.to_string())),
            Err(_) => Err(FetchError::Timeout),
        }
    }
}

fn run(
    agent: &ureq::Agent,
    request: OutRequest,
    max_body_bytes: u64,
) -> Result<Fetched, FetchError> {
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
        .take(max_body_bytes)
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

/// Longest webhook URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// Checks a webhook URL before it is stored: `http` or `https`, a host, no credentials,
/// and, when the host is an address literal, one the guard allows. Host names are checked
/// on every delivery instead, on the addresses they resolve to then.
pub fn check_webhook_url(url: &str, guard: &Guard) -> Result<(), String> {
    if url.len() > MAX_URL_CHARS {
        return Err(format!("the URL is longer than {MAX_URL_CHARS} characters"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(format!("{url:?} must start with http:// or https://")),
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("{url:?} names no host"));
    };
    if authority.as_str().contains('@') {
        return Err("the URL may not carry credentials (user:password@)".to_string());
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        guard.check(ip).map_err(|kind| {
            format!(
                "{ip} is {kind}; webhooks may not reach internal networks unless \
                 webhooks.allow_networks lists them"
            )
        })?;
    }
    Ok(())
}

fn fetch_error(error: ureq::Error) -> FetchError {
    match error {
        ureq::Error::Timeout(_) => FetchError::Timeout,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => FetchError::Timeout,
        ureq::Error::Io(e)
            if e.get_ref()
                .is_some_and(|inner| inner.is::<BlockedAddress>()) =>
        {
            FetchError::Blocked(e.get_ref().map(|i| i.to_string()).unwrap_or_default())
        }
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
