//! The handlers of the API's endpoints: they parse and check what the caller sent, ask
//! the store, the scheduler and the writer, and shape the JSON bodies of SPEC section 4,
//! bulk calls included (one transaction admits a whole batch or none of it).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{Map, Value, json};

use super::{ApiError, Caller, File, Reply, read_body};
use crate::accounts::quota_json;
use crate::app::App;
use crate::billing::Refusal;
use crate::clock::rfc3339;
use crate::dossier::{Artifacts, Dossier};
use crate::engine::summary::LANGS;
use crate::report::{self, ReportError, Subject};
use crate::scans::{self, Admission, Submission};
use crate::store::{Scan, ScanStatus};
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

/// Checks one target's kind, language and shape: what the single submit and each target
/// of a bulk call go through. Returns the normal form of the target, its kind and language.
fn check_target(
    target: &str,
    kind: Option<&str>,
    lang: Option<String>,
) -> Result<(String, Kind, String), ApiError> {
    let kind = match kind {
        Some(kind) => Kind::parse(kind).ok_or_else(|| {
            ApiError::InvalidKind(format!(
                "\"kind\" must be \"email\", \"phone\" or \"username\", not {kind:?}."
            ))
        })?,
        None => target::infer(target.trim()),
    };
    let lang = lang.unwrap_or_else(|| "en".to_string());
    if !LANGS.contains(&lang.as_str()) {
        return Err(ApiError::InvalidLang(format!(
            "\"lang\" must be one of {}, not {lang:?}.",
            LANGS.join(", ")
        )));
    }
    // Validation is pure computation on at most `MAX_TARGET_CHARS` characters, so it runs
    // right here rather than paying a hand-off to another thread.
    let target = target::validate(target, kind).map_err(|e| match e {
        TargetError::TooShort => ApiError::TargetTooShort(format!("The {e}.")),
        TargetError::Invalid(message) => ApiError::InvalidTarget(format!("The {message}.")),
    })?;
    Ok((target, kind, lang))
}

/// The API error for a refused admission, with `Retry-After` where waiting helps.
fn refusal_error(app: &App, refusal: Refusal, cost: usize) -> ApiError {
    match refusal {
        Refusal::Inflight { limit } => {
            let retry_after = app.scheduler.mean_scan_secs().ceil().max(1.0) as u64;
            ApiError::RateLimitInflight { limit, retry_after }
        }
        Refusal::Hour { limit, retry_after } => ApiError::RateLimitHour { limit, retry_after },
        Refusal::Day { limit, retry_after } => ApiError::RateLimitDay { limit, retry_after },
        Refusal::Balance { balance } => ApiError::InsufficientBalance { balance, cost },
    }
}

pub async fn submit(
    app: &Arc<App>,
    caller: &Caller,
    request: Request<Incoming>,
) -> Result<Reply, ApiError> {
    let body = read_body(request, app.config.server.max_body_bytes).await?;
    let request = parse_scan_request(&body)?;
    let (target, kind, lang) =
        check_target(&request.target, request.kind.as_deref(), request.lang)?;
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
            let error = refusal_error(app, refusal, 1);
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

/// Most targets one bulk call may carry (SPEC section 4).
pub const MAX_BULK_TARGETS: usize = 100;

/// A bulk call's targets as sent (each still to be checked) and its default language.
fn parse_bulk_request(body: &[u8]) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let shape = || {
        ApiError::InvalidJson(
            "The request body must be a JSON object such as {\"targets\": [{\"target\": \
             \"alice@example.com\"}]}."
                .to_string(),
        )
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidJson(format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(mut fields) = value else {
        return Err(shape());
    };
    let lang = match fields.remove("lang") {
        None | Some(Value::Null) => None,
        Some(Value::String(lang)) => Some(lang),
        Some(_) => {
            return Err(ApiError::InvalidJson(
                "\"lang\" must be a string.".to_string(),
            ));
        }
    };
    match fields.remove("targets") {
        Some(Value::Array(targets)) if targets.is_empty() => Err(ApiError::InvalidJson(
            "\"targets\" must list at least one target.".to_string(),
        )),
        Some(Value::Array(targets)) if targets.len() > MAX_BULK_TARGETS => {
            Err(ApiError::TooManyTargets {
                max: MAX_BULK_TARGETS,
                given: targets.len(),
            })
        }
        Some(Value::Array(targets)) => Ok((targets, lang)),
        _ => Err(shape()),
    }
}

/// One target of a bulk call, checked: queued if valid, else its `rejected` entry.
fn check_bulk_item(item: &Value, lang: &Option<String>) -> Result<(String, Kind, String), Value> {
    let (target, kind, item_lang) = match item {
        Value::String(target) => (Some(target.as_str()), None, None),
        Value::Object(fields) => (
            fields.get("target").and_then(Value::as_str),
            fields.get("kind").and_then(Value::as_str),
            fields
                .get("lang")
                .and_then(Value::as_str)
                .map(str::to_string),
        ),
        _ => (None, None, None),
    };
    let Some(target) = target else {
        let error = ApiError::InvalidJson(
            "Each target must be a string or an object with a \"target\" string.".to_string(),
        );
        return Err(
            json!({"target": Value::Null, "kind": Value::Null, "error": error.code(),
                          "message": error.message()}),
        );
    };
    let lang = item_lang.or_else(|| lang.clone());
    check_target(target, kind, lang).map_err(|error| {
        let kind = kind
            .map(str::to_string)
            .unwrap_or_else(|| target::infer(target.trim()).as_str().to_string());
        json!({"target": target, "kind": kind, "error": error.code(), "message": error.message()})
    })
}

pub async fn bulk(
    app: &Arc<App>,
    caller: &Caller,
    request: Request<Incoming>,
) -> Result<Reply, ApiError> {
    let tier_name = &caller.customer.tier;
    let Some(tier) = app.config.tiers.get(tier_name) else {
        return Err(ApiError::TierNotConfigured(tier_name.clone()));
    };
    if !tier.bulk {
        return Err(ApiError::BulkNotInTier(tier_name.clone()));
    }
    let body = read_body(request, app.config.server.max_body_bytes).await?;
    let (items, lang) = parse_bulk_request(&body)?;
    let now = app.clock.now_ms();
    let mut submissions = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for item in &items {
        match check_bulk_item(item, &lang) {
            Ok((target, kind, lang)) => submissions.push(Submission {
                scan_id: crate::ids::scan_id(now),
                target,
                kind,
                lang,
                recipes_total: app.scheduler.engine().plan(kind).len() as u32,
            }),
            Err(entry) => rejected.push(entry),
        }
    }
    if submissions.is_empty() {
        return Err(ApiError::NoValidTargets {
            rejected: Value::Array(rejected),
        });
    }
    let cost = submissions.len();
    // Queue slots first, as for one scan: a full queue refuses before anything is charged.
    let Some(reservation) = app.scheduler.reserve(cost) else {
        return Err(ApiError::EngineSubmitFailed);
    };
    let bulk_id = crate::ids::bulk_id(now);
    let config = Arc::clone(&app.config);
    let customer = caller.customer.name.clone();
    let key_id = caller.key.key_id.clone();
    let id = bulk_id.clone();
    let admitted = app
        .writer
        .write(move |tx| {
            let admitted =
                scans::admit_bulk(tx, &config, &customer, &key_id, &id, &submissions, now)?;
            Ok(admitted)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "bulk admission was not committed");
            ApiError::Internal
        })?;
    let (scans, quota) = match admitted {
        Admission::Accepted { scans, quota } => (scans, quota),
        Admission::Refused { refusal, quota } => {
            let error = refusal_error(app, refusal, cost);
            return Ok(Reply::error(&error).with_quota(quota));
        }
        Admission::TierNotConfigured { tier } => return Err(ApiError::TierNotConfigured(tier)),
    };
    reservation.enqueue(scans.iter().map(|s| s.scan_id.clone()).collect());
    let base = app.config.base_url();
    let listed: Vec<Value> = scans
        .iter()
        .map(|scan| {
            json!({
                "scan_id": scan.scan_id,
                "target": scan.target,
                "kind": scan.kind,
                "poll_url": format!("{base}/api/v1/scan/{}", scan.scan_id),
            })
        })
        .collect();
    let body = json!({
        "ok": true,
        "bulk_id": bulk_id,
        "total": items.len(),
        "queued": scans.len(),
        "rejected": rejected,
        "scans": listed,
        "aggregate_poll_url": format!("{base}/api/v1/scan/bulk/{bulk_id}"),
    });
    Ok(Reply::json(StatusCode::ACCEPTED, body).with_quota(quota))
}

pub async fn bulk_poll(
    app: &Arc<App>,
    caller: &Caller,
    bulk_id: String,
) -> Result<Reply, ApiError> {
    let lookup_id = bulk_id.clone();
    let found = app
        .store
        .read_async(move |tx| {
            let Some(bulk) = tx.bulk(&lookup_id)? else {
                return Ok(None);
            };
            let mut scans = Vec::with_capacity(bulk.scan_ids.len());
            for scan_id in &bulk.scan_ids {
                if let Some(scan) = tx.scan(scan_id)? {
                    scans.push(scan);
                }
            }
            Ok(Some((bulk, scans)))
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "bulk read failed");
            ApiError::Internal
        })?;
    let Some((bulk, scans)) = found else {
        return Err(ApiError::BulkNotFound);
    };
    if bulk.customer != caller.customer.name {
        return Err(ApiError::BulkForbidden);
    }
    let count = |status: ScanStatus| scans.iter().filter(|s| s.status == status).count();
    let (completed, failed) = (count(ScanStatus::Completed), count(ScanStatus::Failed));
    let listed: Vec<Value> = scans
        .iter()
        .map(|scan| Value::Object(scan_fields(app, scan)))
        .collect();
    let body = json!({
        "ok": true,
        "bulk_id": bulk.bulk_id,
        "created_at": rfc3339(bulk.created_ms),
        "total": scans.len(),
        "queued": count(ScanStatus::Queued),
        "running": count(ScanStatus::Running),
        "completed": completed,
        "failed": failed,
        "all_done": completed + failed == scans.len(),
        "scans": listed,
    });
    Ok(Reply::json(StatusCode::OK, body))
}

/// The scan `scan_id` if the caller's customer owns it: 404 for an unknown id, 403 for
/// another customer's scan. Every endpoint about one scan checks this way.
async fn owned_scan(app: &Arc<App>, caller: &Caller, scan_id: String) -> Result<Scan, ApiError> {
    let scan = app
        .store
        .read_async(move |tx| tx.scan(&scan_id))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "scan read failed");
            ApiError::Internal
        })?
        .ok_or(ApiError::ScanNotFound)?;
    if scan.customer != caller.customer.name {
        return Err(ApiError::Forbidden);
    }
    Ok(scan)
}

pub async fn poll(app: &Arc<App>, caller: &Caller, scan_id: String) -> Result<Reply, ApiError> {
    let scan = owned_scan(app, caller, scan_id).await?;
    let mut body = Map::new();
    body.insert("ok".into(), json!(true));
    body.extend(scan_fields(app, &scan));
    Ok(Reply::json(StatusCode::OK, Value::Object(body)))
}

/// A scan as a poll shows it: status, target, kind, creation time, bulk id, and progress
/// while not done, the result once completed or the error once failed.
fn scan_fields(app: &App, scan: &Scan) -> Map<String, Value> {
    let mut body = Map::new();
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
            let mut result: Value = scan
                .result_json
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(Value::Null);
            // The stored dossier holds no URLs: they follow the configured base URL.
            if let Some(result) = result.as_object_mut() {
                let artifacts = Artifacts::for_scan(&app.config.base_url(), &scan.scan_id);
                result.insert("artifacts".into(), json!(artifacts));
            }
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
    body
}

/// A completed scan of the caller's, with its dossier and what the artifacts say of it.
async fn completed_scan(
    app: &Arc<App>,
    caller: &Caller,
    scan_id: String,
) -> Result<(Subject, Dossier), ApiError> {
    let scan = owned_scan(app, caller, scan_id).await?;
    if scan.status != ScanStatus::Completed {
        return Err(ApiError::ScanNotCompleted {
            status: scan.status.as_str(),
        });
    }
    let dossier: Dossier = scan
        .result_json
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| {
            tracing::error!(scan_id = %scan.scan_id, "a completed scan's dossier does not read");
            ApiError::Internal
        })?;
    let subject = Subject {
        kind: Kind::parse(&scan.kind).ok_or(ApiError::Internal)?,
        completed_ms: scan.completed_ms.unwrap_or(scan.created_ms),
        target: scan.target,
        scan_id: scan.scan_id,
    };
    Ok((subject, dossier))
}

/// Runs a drawing on the blocking pool: a report is CPU work, kept off the async workers.
async fn drawn<F>(draw: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, ReportError> + Send + 'static,
{
    match tokio::task::spawn_blocking(draw).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "an artifact could not be drawn");
            Err(ApiError::Internal)
        }
        Err(_) => Err(ApiError::Internal),
    }
}

pub async fn report(app: &Arc<App>, caller: &Caller, scan_id: String) -> Result<Reply, ApiError> {
    let (subject, dossier) = completed_scan(app, caller, scan_id).await?;
    let file_name = format!("skopio-report-{}.pdf", subject.scan_id);
    let bytes = drawn(move || report::pdf::render(&subject, &dossier)).await?;
    Ok(Reply::file(File {
        content_type: "application/pdf",
        disposition: "attachment",
        file_name,
        bytes: bytes.into(),
    }))
}

pub async fn person_card(
    app: &Arc<App>,
    caller: &Caller,
    scan_id: String,
    query: &str,
) -> Result<Reply, ApiError> {
    let mut png = false;
    for (name, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
        if name == "format" {
            png = match value {
                "svg" => false,
                "png" => true,
                other => {
                    return Err(ApiError::InvalidFormat(format!(
                        "\"format\" must be \"svg\" or \"png\", not {other:?}."
                    )));
                }
            };
        }
    }
    let (subject, dossier) = completed_scan(app, caller, scan_id).await?;
    let stem = format!("skopio-card-{}", subject.scan_id);
    let file = match png {
        true => File {
            content_type: "image/png",
            disposition: "inline",
            file_name: format!("{stem}.png"),
            bytes: drawn(move || report::card::png(&subject, &dossier))
                .await?
                .into(),
        },
        false => File {
            content_type: "image/svg+xml",
            disposition: "inline",
            file_name: format!("{stem}.svg"),
            bytes: drawn(move || Ok(report::card::svg(&subject, &dossier).into_bytes()))
                .await?
                .into(),
        },
    };
    Ok(Reply::file(file))
}
