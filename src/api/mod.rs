//! The HTTP API (SPEC section 4) on bare hyper: the only module that touches hyper. It
//! owns the listener, connection limits and timeouts, routing, the JSON bodies, and the
//! headers every answer carries (`X-Request-Id`, RateLimit, `Retry-After`).
//!
//! Each request runs in a task of its own: a panic while handling one request becomes a
//! `500 internal_error` for that request and nothing else. One log line per request.

mod error;
mod handlers;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use error::ApiError;

use crate::app::App;
use crate::auth::{self, AuthError};
use crate::billing::QuotaState;
use crate::ids;
use crate::store::{ApiKey, Customer};

/// Connections served at once; more wait in the kernel's backlog. Bounds memory and file
/// descriptors whatever clients do.
const MAX_CONNECTIONS: usize = 1024;
/// A client must send its request line and headers within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A client must send its whole body within this time.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for open connections to finish their requests.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// What a handler answers, before it becomes an HTTP response.
pub struct Reply {
    status: StatusCode,
    body: Value,
    /// A document to send instead of the JSON body (the report, the person card).
    file: Option<File>,
    quota: Option<QuotaState>,
    retry_after: Option<u64>,
    allow: Option<&'static str>,
}

/// A document answered as it is, with its type and the name to save it under.
pub struct File {
    pub content_type: &'static str,
    /// `inline` (shown by a browser) or `attachment` (saved).
    pub disposition: &'static str,
    /// ASCII only: it goes into the `Content-Disposition` header as it is.
    pub file_name: String,
    pub bytes: Bytes,
}

impl Reply {
    fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            body,
            file: None,
            quota: None,
            retry_after: None,
            allow: None,
        }
    }

    fn file(file: File) -> Reply {
        Reply {
            file: Some(file),
            ..Reply::json(StatusCode::OK, Value::Null)
        }
    }

    fn error(error: &ApiError) -> Reply {
        let allow = match error {
            ApiError::MethodNotAllowed { allow } => Some(*allow),
            _ => None,
        };
        Reply {
            status: error.status(),
            body: error.body(),
            file: None,
            quota: None,
            retry_after: error.retry_after(),
            allow,
        }
    }

    fn with_quota(mut self, quota: QuotaState) -> Reply {
        self.quota = Some(quota);
        self
    }
}

/// The authenticated caller of an `/api/v1` request.
pub struct Caller {
    pub key: ApiKey,
    pub customer: Customer,
    pub quota: Option<QuotaState>,
}

/// Serves HTTP on `listener` until `shutdown` turns true, then drains open connections.
pub async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&limit).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let app = Arc::clone(&app);
        let service = service_fn(move |request| {
            let app = Arc::clone(&app);
            async move { Ok::<_, Infallible>(handle(app, peer, request).await) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_DEADLINE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at the shutdown deadline were closed");
    }
}

async fn handle(
    app: Arc<App>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = ids::request_id(app.clock.now_ms());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let task = tokio::spawn(route(Arc::clone(&app), peer, request));
    let (reply, key_id) = match task.await {
        Ok(done) => done,
        Err(_) => {
            tracing::error!(request_id = %request_id, "request handler panicked");
            (Reply::error(&ApiError::Internal), None)
        }
    };
    let status = reply.status.as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let key_id = key_id.as_deref().unwrap_or("-");
    let request_id_field = request_id.as_str();
    if status >= 500 {
        tracing::warn!(%method, %path, status, latency_ms, request_id = request_id_field, key_id,
            "request");
    } else {
        tracing::info!(%method, %path, status, latency_ms, request_id = request_id_field, key_id,
            "request");
    }
    response(reply, &request_id)
}

fn response(reply: Reply, request_id: &str) -> Response<Full<Bytes>> {
    let (body, content_type, disposition) = match reply.file {
        Some(file) => (
            file.bytes,
            file.content_type,
            Some(format!(
                "{}; filename=\"{}\"",
                file.disposition, file.file_name
            )),
        ),
        None => {
            let body = serde_json::to_vec(&reply.body).unwrap_or_else(|_| b"{}".to_vec());
            (Bytes::from(body), "application/json", None)
        }
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("content-type", content_type.to_string());
    if let Some(disposition) = disposition {
        set("content-disposition", disposition);
    }
    set("cache-control", "no-store".to_string());
    set("x-request-id", request_id.to_string());
    if let Some(seconds) = reply.retry_after {
        set("retry-after", seconds.to_string());
    }
    if let Some(allow) = reply.allow {
        set("allow", allow.to_string());
    }
    if reply.status == StatusCode::UNAUTHORIZED {
        // RFC 6750: tell the client which scheme the API expects.
        set("www-authenticate", "Bearer realm=\"skopio\"".to_string());
    }
    if let Some(quota) = reply.quota {
        let (policy, state) = ratelimit_headers(&quota);
        set("ratelimit-policy", policy);
        set("ratelimit", state);
    }
    response
}

/// The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): one policy
/// per fixed window, each with its quota `q` and window `w`, and for each the remaining
/// `r` and seconds to reset `t`.
fn ratelimit_headers(quota: &QuotaState) -> (String, String) {
    let policy = format!(
        "\"hour\";q={};w=3600, \"day\";q={};w=86400",
        quota.tier.hour, quota.tier.day
    );
    let state = format!(
        "\"hour\";r={};t={}, \"day\";r={};t={}",
        quota.tier.hour.saturating_sub(quota.hour_used),
        quota.hour_reset,
        quota.tier.day.saturating_sub(quota.day_used),
        quota.day_reset
    );
    (policy, state)
}

/// The endpoints of the API, found from the method-less path.
enum Endpoint {
    Health,
    Metrics,
    Submit,
    Bulk,
    BulkPoll(String),
    Poll(String),
    Report(String),
    PersonCard(String),
    Account,
    OpenApi,
}

impl Endpoint {
    fn find(path: &str) -> Option<Endpoint> {
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let id = |s: &str| s.to_string();
        let endpoint = match segments.as_slice() {
            ["healthz"] => Endpoint::Health,
            ["metrics"] => Endpoint::Metrics,
            ["api", "v1", "scan"] => Endpoint::Submit,
            ["api", "v1", "scan", "bulk"] => Endpoint::Bulk,
            ["api", "v1", "scan", "bulk", bulk_id] if !bulk_id.is_empty() => {
                Endpoint::BulkPoll(id(bulk_id))
            }
            ["api", "v1", "scan", scan_id] if !scan_id.is_empty() => Endpoint::Poll(id(scan_id)),
            ["api", "v1", "scan", scan_id, "report.pdf"] if !scan_id.is_empty() => {
                Endpoint::Report(id(scan_id))
            }
            ["api", "v1", "scan", scan_id, "person-card"] if !scan_id.is_empty() => {
                Endpoint::PersonCard(id(scan_id))
            }
            ["api", "v1", "account"] => Endpoint::Account,
            ["api", "v1", "openapi.json"] => Endpoint::OpenApi,
            _ => return None,
        };
        Some(endpoint)
    }

    fn method(&self) -> Method {
        match self {
            Endpoint::Submit | Endpoint::Bulk => Method::POST,
            _ => Method::GET,
        }
    }

    fn needs_auth(&self) -> bool {
        !matches!(self, Endpoint::Health | Endpoint::Metrics)
    }
}

async fn route(
    app: Arc<App>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> (Reply, Option<String>) {
    let Some(endpoint) = Endpoint::find(request.uri().path()) else {
        return (Reply::error(&ApiError::NotFound), None);
    };
    let allowed = endpoint.method();
    if request.method() != allowed && !(allowed == Method::GET && request.method() == Method::HEAD)
    {
        let allow = if allowed == Method::POST {
            "POST"
        } else {
            "GET, HEAD"
        };
        return (Reply::error(&ApiError::MethodNotAllowed { allow }), None);
    }
    if !endpoint.needs_auth() {
        let reply = match endpoint {
            Endpoint::Health => handlers::health(&app),
            _ => Reply::error(&ApiError::NotImplemented("/metrics")),
        };
        return (reply, None);
    }
    let caller = match authenticate(&app, peer, &request).await {
        Ok(caller) => caller,
        Err(error) => return (Reply::error(&error), None),
    };
    let key_id = Some(caller.key.key_id.clone());
    let outcome = match endpoint {
        Endpoint::Submit => handlers::submit(&app, &caller, request).await,
        Endpoint::Poll(scan_id) => handlers::poll(&app, &caller, scan_id).await,
        Endpoint::Account => Ok(handlers::account(&caller)),
        Endpoint::Bulk => handlers::bulk(&app, &caller, request).await,
        Endpoint::BulkPoll(bulk_id) => handlers::bulk_poll(&app, &caller, bulk_id).await,
        Endpoint::Report(scan_id) => handlers::report(&app, &caller, scan_id).await,
        Endpoint::PersonCard(scan_id) => {
            let query = request.uri().query().unwrap_or_default().to_string();
            handlers::person_card(&app, &caller, scan_id, &query).await
        }
        Endpoint::OpenApi => Err(ApiError::NotImplemented("The OpenAPI document")),
        Endpoint::Health | Endpoint::Metrics => Err(ApiError::NotFound),
    };
    let mut reply = match outcome {
        Ok(reply) => reply,
        Err(error) => Reply::error(&error),
    };
    if reply.quota.is_none() {
        reply.quota = caller.quota;
    }
    (reply, key_id)
}

async fn authenticate(
    app: &Arc<App>,
    peer: SocketAddr,
    request: &Request<Incoming>,
) -> Result<Caller, ApiError> {
    let header = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let failure = match auth::bearer_token(header) {
        Err(AuthError::Unauthorized) => ApiError::Unauthorized,
        Err(AuthError::InvalidToken) => ApiError::InvalidToken,
        Ok(token) => {
            let token = token.to_string();
            let found = app
                .store
                .read_async(move |tx| auth::lookup(tx, &token))
                .await;
            match found {
                Ok(Ok((key, customer))) => {
                    let now = app.clock.now_ms();
                    let quota = app
                        .config
                        .tiers
                        .get(&customer.tier)
                        .map(|tier| crate::billing::state(&customer, tier, now));
                    return Ok(Caller {
                        key,
                        customer,
                        quota,
                    });
                }
                Ok(Err(_)) => ApiError::InvalidToken,
                Err(e) => {
                    tracing::error!(error = %e, "key lookup failed");
                    return Err(ApiError::Internal);
                }
            }
        }
    };
    let delay = app.auth_brake.failed(peer.ip());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Err(failure)
}

/// Reads a request body of at most `max_bytes`, within `BODY_TIMEOUT`.
async fn read_body(request: Request<Incoming>, max_bytes: usize) -> Result<Bytes, ApiError> {
    let too_large = ApiError::PayloadTooLarge { max_bytes };
    let declared = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large);
    }
    let limited = Limited::new(request.into_body(), max_bytes);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Err(_) => Err(ApiError::RequestTimeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large),
        Ok(Err(_)) => Err(ApiError::InvalidJson(
            "The request body could not be read.".to_string(),
        )),
    }
}
