//! Webhooks (SPEC section 6): every completed or failed scan of a key that has a webhook
//! is POSTed, signed, to the key's URL, at least once, and never lost.
//!
//! Never lost, because the delivery is an outbox record: `on_finish` writes it (pending,
//! due now) in the same transaction that finishes the scan, so no crash can leave a
//! finished scan without its delivery. `dispatch` sends it; each attempt's outcome is
//! written back with the next due time from `webhooks.retry_schedule`, and at start every
//! pending delivery is loaded again from the store's due queue. A crash between an
//! attempt and its record sends that attempt again: receivers see the same delivery id
//! (`X-Skopio-Delivery`, `webhook-id`) and may drop the duplicate.
//!
//! Layout: `sign` (secrets, both signature schemes, the headers), `dispatch` (the
//! delivery task and its bounds), and here the records' transitions and the operator
//! requests (`skopio webhook …`, `skopio deliveries …`).

pub mod dispatch;
pub mod sign;

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::AccountError;
use crate::clock::rfc3339;
use crate::config::Config;
use crate::ids;
use crate::netguard::Guard;
use crate::store::{
    Attempt, Delivery, DeliveryState, Scan, ScanStatus, StoreError, Webhook, WriteTx,
};

pub use dispatch::{Dispatcher, Queue};

/// Most attempts kept in one delivery's log; older ones give way (only after many
/// redeliveries, since one round of the schedule is at most 11 attempts).
const MAX_ATTEMPTS_KEPT: usize = 50;
/// Characters of a receiver's answer kept in the log.
pub const ANSWER_EXCERPT_CHARS: usize = 256;
/// Deliveries `skopio deliveries list` shows when no limit is given.
pub const DEFAULT_LIST_LIMIT: usize = 100;

/// The body of a delivery, in the order the public document shows its fields.
#[derive(Serialize)]
struct EventBody<'a> {
    event: &'a str,
    scan_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bulk_id: Option<&'a str>,
    target: &'a str,
    kind: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

/// The event name and JSON body of a finished scan's delivery: the poll's fields for a
/// finished scan, with `event` first and `bulk_id` when the scan came from a bulk call.
pub fn event_body(scan: &Scan) -> Result<(&'static str, String), StoreError> {
    let completed = scan.status == ScanStatus::Completed;
    let event = match completed {
        true => "scan.completed",
        false => "scan.failed",
    };
    let finished_at = scan.completed_ms.map(rfc3339);
    let result = scan
        .result_json
        .as_deref()
        .map(|text| serde_json::from_str(text).unwrap_or(Value::Null));
    let error = scan
        .error
        .as_ref()
        .map(|e| json!({"code": e.code, "message": e.message}));
    let body = EventBody {
        event,
        scan_id: &scan.scan_id,
        bulk_id: scan.bulk_id.as_deref(),
        target: &scan.target,
        kind: &scan.kind,
        status: scan.status.as_str(),
        completed_at: finished_at.clone().filter(|_| completed),
        result: result.filter(|_| completed),
        failed_at: finished_at.filter(|_| !completed),
        error: error.filter(|_| !completed),
    };
    let text = serde_json::to_string(&body).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok((event, text))
}

/// Inside the transaction finishing `scan`: writes its delivery when the scan's key has a
/// webhook, due at once. Returns (due ms, delivery id) for the dispatcher.
// Known shortcoming: finished deliveries (with their copy of the body) are kept forever;
// the retention purge that is to remove old scans should remove their deliveries too.
pub fn on_finish(
    tx: &mut WriteTx,
    scan: &Scan,
    now_ms: i64,
) -> Result<Option<(i64, String)>, StoreError> {
    if tx.webhook(&scan.key_id)?.is_none() {
        return Ok(None);
    }
    let (event, body) = event_body(scan)?;
    let delivery = Delivery {
        delivery_id: ids::delivery_id(now_ms),
        key_id: scan.key_id.clone(),
        scan_id: scan.scan_id.clone(),
        bulk_id: scan.bulk_id.clone(),
        event: event.to_string(),
        body,
        created_ms: now_ms,
        state: DeliveryState::Pending,
        next_at_ms: Some(now_ms),
        round_failures: 0,
        attempts: Vec::new(),
    };
    tx.put_delivery(&delivery)?;
    Ok(Some((now_ms, delivery.delivery_id)))
}

/// How one attempt went, as far as the schedule is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx within the timeout.
    Delivered,
    /// Anything that may go better later: another status, a redirect, a timeout, a
    /// refused or broken connection.
    Retry,
    /// Trying again cannot help: the receiver's address is one webhooks may not reach.
    GiveUp,
}

/// Records an attempt of a pending delivery and decides what comes next. Returns the
/// next due time when another attempt is scheduled.
pub fn record_attempt(
    tx: &mut WriteTx,
    delivery_id: &str,
    attempt: Attempt,
    verdict: Verdict,
    schedule: &[Duration],
    now_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let Some(mut delivery) = tx.delivery(delivery_id)? else {
        return Ok(None);
    };
    if delivery.attempts.len() >= MAX_ATTEMPTS_KEPT {
        delivery.attempts.remove(0);
    }
    delivery.attempts.push(attempt);
    match verdict {
        Verdict::Delivered => {
            delivery.state = DeliveryState::Delivered;
            delivery.next_at_ms = None;
        }
        Verdict::GiveUp => {
            delivery.state = DeliveryState::Failed;
            delivery.next_at_ms = None;
        }
        Verdict::Retry => {
            delivery.round_failures += 1;
            let retry = schedule.get(delivery.round_failures as usize - 1);
            match retry {
                Some(delay) => {
                    delivery.state = DeliveryState::Pending;
                    delivery.next_at_ms = Some(now_ms + delay.as_millis() as i64);
                }
                None => {
                    delivery.state = DeliveryState::Failed;
                    delivery.next_at_ms = None;
                }
            }
        }
    }
    tx.put_delivery(&delivery)?;
    Ok(delivery.next_at_ms)
}

/// Ends a pending delivery whose key no longer has a webhook.
pub fn cancel(tx: &mut WriteTx, delivery_id: &str) -> Result<(), StoreError> {
    let Some(mut delivery) = tx.delivery(delivery_id)? else {
        return Ok(());
    };
    if delivery.state == DeliveryState::Pending {
        delivery.state = DeliveryState::Cancelled;
        delivery.next_at_ms = None;
        tx.put_delivery(&delivery)?;
    }
    Ok(())
}

fn live_key(tx: &WriteTx, key_id: &str) -> Result<(), AccountError> {
    let key = tx
        .key(key_id)?
        .ok_or_else(|| AccountError::UnknownKey(key_id.to_string()))?;
    match key.revoked_ms {
        Some(_) => Err(AccountError::KeyRevoked(key_id.to_string())),
        None => Ok(()),
    }
}

/// `skopio webhook set KEY_ID URL`: stores the URL with a new secret, returned this
/// once. A secret the key already had keeps signing for the grace period, as after a
/// rotation, so moving a receiver loses nothing.
pub fn set(
    tx: &mut WriteTx,
    config: &Config,
    now_ms: i64,
    key_id: &str,
    url: &str,
) -> Result<Value, AccountError> {
    live_key(tx, key_id)?;
    let url = url.trim();
    let guard = Guard::new(&config.webhooks.allow_networks);
    crate::outbound::check_webhook_url(url, &guard).map_err(AccountError::InvalidWebhookUrl)?;
    let previous = tx.webhook(key_id)?;
    let grace_ms = config.webhooks.rotation_grace.as_millis() as i64;
    let webhook = Webhook {
        key_id: key_id.to_string(),
        url: url.to_string(),
        secret: sign::new_secret(),
        previous_secret: previous.as_ref().map(|w| w.secret.clone()),
        previous_until_ms: now_ms + grace_ms,
        created_ms: previous.as_ref().map_or(now_ms, |w| w.created_ms),
        updated_ms: now_ms,
    };
    tx.put_webhook(&webhook)?;
    Ok(secret_json(&webhook))
}

/// `skopio webhook rotate KEY_ID`: a new secret, returned this once; the old one keeps
/// signing deliveries for `webhooks.rotation_grace`.
pub fn rotate(
    tx: &mut WriteTx,
    config: &Config,
    now_ms: i64,
    key_id: &str,
) -> Result<Value, AccountError> {
    let mut webhook = tx
        .webhook(key_id)?
        .ok_or_else(|| AccountError::NoWebhook(key_id.to_string()))?;
    let grace_ms = config.webhooks.rotation_grace.as_millis() as i64;
    webhook.previous_secret = Some(std::mem::replace(&mut webhook.secret, sign::new_secret()));
    webhook.previous_until_ms = now_ms + grace_ms;
    webhook.updated_ms = now_ms;
    tx.put_webhook(&webhook)?;
    Ok(secret_json(&webhook))
}

/// `skopio webhook clear KEY_ID`: no more deliveries for the key; pending ones are
/// cancelled when they come due.
pub fn clear(tx: &mut WriteTx, key_id: &str) -> Result<Value, AccountError> {
    match tx.remove_webhook(key_id)? {
        true => Ok(json!({"key_id": key_id, "cleared": true})),
        false => Err(AccountError::NoWebhook(key_id.to_string())),
    }
}

/// `skopio deliveries list KEY_ID`: the key's deliveries, newest first, each with its
/// state and every attempt.
pub fn list(tx: &WriteTx, key_id: &str, limit: Option<usize>) -> Result<Value, AccountError> {
    if tx.key(key_id)?.is_none() {
        return Err(AccountError::UnknownKey(key_id.to_string()));
    }
    let limit = limit.unwrap_or(DEFAULT_LIST_LIMIT).max(1);
    let deliveries = tx.deliveries_of_key(key_id, limit)?;
    Ok(Value::Array(deliveries.iter().map(delivery_json).collect()))
}

/// `skopio deliveries redeliver DELIVERY_ID`: the same delivery (same id, same body) goes
/// out again at once, with a fresh round of the retry schedule. Returns the record and
/// its due time for the dispatcher.
pub fn redeliver(tx: &mut WriteTx, now_ms: i64, delivery_id: &str) -> Result<Value, AccountError> {
    let mut delivery = tx
        .delivery(delivery_id)?
        .ok_or_else(|| AccountError::UnknownDelivery(delivery_id.to_string()))?;
    if tx.webhook(&delivery.key_id)?.is_none() {
        return Err(AccountError::NoWebhook(delivery.key_id.clone()));
    }
    delivery.state = DeliveryState::Pending;
    delivery.next_at_ms = Some(now_ms);
    delivery.round_failures = 0;
    tx.put_delivery(&delivery)?;
    Ok(delivery_json(&delivery))
}

fn secret_json(webhook: &Webhook) -> Value {
    json!({
        "key_id": webhook.key_id,
        "url": webhook.url,
        "secret": webhook.secret,
        "previous_secret_valid_until": webhook
            .previous_secret
            .as_ref()
            .map(|_| rfc3339(webhook.previous_until_ms)),
    })
}

pub fn delivery_json(delivery: &Delivery) -> Value {
    let attempts: Vec<Value> = delivery
        .attempts
        .iter()
        .map(|a| {
            json!({
                "at": rfc3339(a.at_ms),
                "at_ms": a.at_ms,
                "status": a.status,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "answer": a.answer,
            })
        })
        .collect();
    json!({
        "delivery_id": delivery.delivery_id,
        "key_id": delivery.key_id,
        "event": delivery.event,
        "scan_id": delivery.scan_id,
        "bulk_id": delivery.bulk_id,
        "state": delivery.state.as_str(),
        "created_at": rfc3339(delivery.created_ms),
        "next_attempt_at": delivery.next_at_ms.map(rfc3339),
        "attempts": attempts,
    })
}
