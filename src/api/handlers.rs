//! The handlers of the API's endpoints: they parse and check what the caller sent, ask
//! the store, the scheduler and the writer, and shape the JSON bodies of SPEC section 4.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{Map, Value, json};

use super::{ApiError, Caller, Reply, read_body};
use crate::accounts::quota_json;
use crate::app::App;
use crate::billing::Refusal;
use crate::clock::rfc3339;
use crate::engine::summary::LANGS;
use crate::scans::{self, Admission, Submission};
use crate::store::ScanStatus;
use crate::target::{self, Kind, TargetError};

pub fn health(app: &App) -> Reply {
    let stats = app.scheduler.stats();
    Reply::json(
        StatusCode::OK,
        json!({
            "ok": true,
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "queue": {"queued": stats.queued, "running": stats.running,
                      "capacity": stats.capacity, "workers": stats.workers},
        }),
    )
}

pub fn account(caller: &Caller) -> Reply {
    let quota = caller.quota.as_ref().map(quota_json);
    Reply::json(
        StatusCode::OK,
        json!({
            "ok": true,
            "customer": caller.customer.name,
            "tier": caller.customer.tier,
            "balance": caller.customer.balance,
            "key_id": caller.key.key_id,
            "quota": quota,
        }),
    )
}

/// A scan request's fields, checked for type but not yet for meaning.
struct ScanRequest {
    target: String,
    kind: Option<String>,
    lang: Option<String>,
}

fn parse_scan_request(body: &[u8]) -> Result<ScanRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson(
            "The request body is empty; send a JSON object such as {\"target\": \"johndoe\"}."
                .to_string(),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidJson(format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".to_string(),
        ));
    };
    let optional = |fields: &mut Map<String, Value>, name: &str| match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::InvalidJson(format!(
            "\"{name}\" must be a string."
        ))),
    };
    let target = match optional(&mut fields, "target")? {
        Some(target) => target,
        None => {
            return Err(ApiError::InvalidJson(
                "The request body must have a \"target\" string.".to_string(),
            ));
        }
    };
    let kind = optional(&mut fields, "kind")?;
    let lang = optional(&mut fields, "lang")?;
    Ok(ScanRequest { target, kind, lang })
}

pub async fn submit(
    app: &Arc<App>,
    caller: &Caller,
    request: Request<Incoming>,
) -> Result<Reply, ApiError> {
    let body = read_body(request, app.config.server.max_body_bytes).await?;
    let request = parse_scan_request(&body)?;
    let kind = match request.kind.as_deref() {
        Some(kind) => Kind::parse(kind).ok_or_else(|| {
            ApiError::InvalidKind(format!(
                "\"kind\" must be \"email\", \"phone\" or \"username\", not {kind:?}."
            ))
        })?,
        None => target::infer(request.target.trim()),
    };
    let lang = request.lang.unwrap_or_else(|| "en".to_string());
    if !LANGS.contains(&lang.as_str()) {
        return Err(ApiError::InvalidLang(format!(
            "\"lang\" must be one of {}, not {lang:?}.",
            LANGS.join(", ")
        )));
    }
    // Validation is pure computation on at most `MAX_TARGET_CHARS` characters, so it runs
    // right here rather than paying a hand-off to another thread.
    let target = target::validate(&request.target, kind).map_err(|e| match e {
        TargetError::TooShort => ApiError::TargetTooShort(format!("The {e}.")),
        TargetError::Invalid(message) => ApiError::InvalidTarget(format!("The {message}.")),
    })?;
    let recipes = app.scheduler.engine().plan(kind);
    let Some(reservation) = app.scheduler.reserve(1) else {
        return Err(ApiError::EngineSubmitFailed);
    };
    let now = app.clock.now_ms();
    let submission = Submission {
        scan_id: crate::ids::scan_id(now),
        target,
        kind,
        lang,
        recipes_total: recipes.len() as u32,
    };
    let config = Arc::clone(&app.config);
    let customer = caller.customer.name.clone();
    let key_id = caller.key.key_id.clone();
    let admitted = app
        .writer
        .write(move |tx| scans::admit(tx, &config, &customer, &key_id, None, &[submission], now))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "scan admission was not committed");
            ApiError::Internal
        })?;
    let (scan, quota) = match admitted {
        Admission::Accepted { mut scans, quota } => match scans.pop() {
            Some(scan) => (scan, quota),
            None => return Err(ApiError::Internal),
        },
        Admission::Refused { refusal, quota } => {
            let error = match refusal {
                Refusal::Inflight { limit } => {
                    let retry_after = app.scheduler.mean_scan_secs().ceil().max(1.0) as u64;
                    ApiError::RateLimitInflight { limit, retry_after }
                }
                Refusal::Hour { limit, retry_after } => {
                    ApiError::RateLimitHour { limit, retry_after }
                }
                Refusal::Day { limit, retry_after } => {
                    ApiError::RateLimitDay { limit, retry_after }
                }
                Refusal::Balance { balance } => ApiError::InsufficientBalance { balance },
            };
            return Ok(Reply::error(&error).with_quota(quota));
        }
        Admission::TierNotConfigured { tier } => return Err(ApiError::TierNotConfigured(tier)),
    };
    let eta_seconds = app.scheduler.eta_seconds();
    reservation.enqueue(vec![scan.scan_id.clone()]);
    let body = json!({
        "ok": true,
        "scan_id": scan.scan_id,
        "status": "queued",
        "kind": scan.kind,
        "recipes_to_run": recipes.len(),
        "recipes": recipes,
        "eta_seconds": eta_seconds,
        "poll_url": format!("{}/api/v1/scan/{}", app.config.base_url(), scan.scan_id),
    });
    Ok(Reply::json(StatusCode::ACCEPTED, body).with_quota(quota))
}

pub async fn poll(app: &Arc<App>, caller: &Caller, scan_id: String) -> Result<Reply, ApiError> {
    let lookup_id = scan_id.clone();
    let scan = app
        .store
        .read_async(move |tx| tx.scan(&lookup_id))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "scan read failed");
            ApiError::Internal
        })?
        .ok_or(ApiError::ScanNotFound)?;
    if scan.customer != caller.customer.name {
        return Err(ApiError::Forbidden);
    }
    let mut body = Map::new();
    body.insert("ok".into(), json!(true));
    body.insert("scan_id".into(), json!(scan.scan_id));
    body.insert("status".into(), json!(scan.status.as_str()));
    body.insert("target".into(), json!(scan.target));
    body.insert("kind".into(), json!(scan.kind));
    body.insert("created_at".into(), json!(rfc3339(scan.created_ms)));
    if let Some(bulk_id) = &scan.bulk_id {
        body.insert("bulk_id".into(), json!(bulk_id));
    }
    match scan.status {
        ScanStatus::Queued | ScanStatus::Running => {
            let (done, total) = match scan.status {
                ScanStatus::Running => app
                    .scheduler
                    .progress(&scan.scan_id)
                    .unwrap_or((0, scan.recipes_total)),
                _ => (0, scan.recipes_total),
            };
            body.insert(
                "progress".into(),
                json!({"recipes_done": done, "recipes_total": total}),
            );
        }
        ScanStatus::Completed => {
            body.insert("completed_at".into(), json!(scan.completed_ms.map(rfc3339)));
            let result: Value = scan
                .result_json
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(Value::Null);
            body.insert("result".into(), result);
        }
        ScanStatus::Failed => {
            body.insert("failed_at".into(), json!(scan.completed_ms.map(rfc3339)));
            let error = scan
                .error
                .as_ref()
                .map(|e| json!({"code": e.code, "message": e.message}));
            body.insert("error".into(), error.unwrap_or(Value::Null));
        }
    }
    Ok(Reply::json(StatusCode::OK, Value::Object(body)))
}
