//! The records Skopio keeps, and how they are laid out as bytes. Every record is one
//! version byte followed by its postcard encoding; `decode` reads every version this
//! binary has ever written, so a newer binary opens an older file. A new layout gets a
//! new version number and a conversion from the previous one here.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The layout version written for every record type today.
const CURRENT: u8 = 1;

pub(super) fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    let mut bytes = vec![CURRENT];
    let body = postcard::to_stdvec(record).map_err(|e| StoreError::Encode(e.to_string()))?;
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

pub(super) fn decode<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&CURRENT, body)) => postcard::from_bytes(body).map_err(|e| StoreError::Decode {
            what,
            message: e.to_string(),
        }),
        Some((version, _)) => Err(StoreError::Decode {
            what,
            message: format!("record version {version} is newer than this binary understands"),
        }),
        None => Err(StoreError::Decode {
            what,
            message: "empty record".to_string(),
        }),
    }
}

/// A customer: tier, balance and the quota counters of its current windows. The counters
/// live here, in the same record as the balance, so that one read-modify-write in one
/// transaction checks and charges everything a submission touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub tier: String,
    pub balance: i64,
    pub created_ms: i64,
    /// Scans of this customer that are queued or running.
    pub inflight: u32,
    /// Start (UTC ms) of the hour window `hour_used` counts in.
    pub hour_start: i64,
    pub hour_used: u32,
    pub day_start: i64,
    pub day_used: u32,
    /// Sequence number the next ledger entry of this customer gets.
    pub next_ledger_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key_id: String,
    pub customer: String,
    /// SHA-256 of the plaintext key; the plaintext itself is never stored.
    pub hash: [u8; 32],
    /// The first characters of the key (`skopio_live_AbCd`), so an operator can tell keys
    /// apart in `keys list` without the store holding anything usable.
    pub hint: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerKind {
    TopUp,
    Debit,
    Refund,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::TopUp => "top_up",
            LedgerKind::Debit => "debit",
            LedgerKind::Refund => "refund",
        }
    }
}

/// One movement of credits. `amount` is signed: debits are negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: u64,
    pub at_ms: i64,
    pub kind: LedgerKind,
    pub amount: i64,
    pub balance_after: i64,
    pub scan_id: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Queued => "queued",
            ScanStatus::Running => "running",
            ScanStatus::Completed => "completed",
            ScanStatus::Failed => "failed",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, ScanStatus::Completed | ScanStatus::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    pub scan_id: String,
    pub customer: String,
    pub key_id: String,
    pub target: String,
    /// `email`, `phone` or `username`.
    pub kind: String,
    pub lang: String,
    pub status: ScanStatus,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub recipes_total: u32,
    pub bulk_id: Option<String>,
    /// How many times a worker has started this scan (more than one after a crash).
    pub attempts: u32,
    /// The dossier as JSON once completed: kept as text because the dossier is a wire
    /// document, and postcard cannot carry free-form JSON values.
    pub result_json: Option<String>,
    pub error: Option<ScanError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    pub code: String,
    pub message: String,
}

/// One bulk call: the scans it queued, in the order the caller listed them. Written in the
/// transaction that admits those scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bulk {
    pub bulk_id: String,
    pub customer: String,
    pub key_id: String,
    pub created_ms: i64,
    pub scan_ids: Vec<String>,
}

/// A key's webhook. The secret is kept as it was handed out (unlike an API key, it must
/// be recoverable to sign every delivery); it is never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub key_id: String,
    pub url: String,
    pub secret: String,
    /// The secret before the last rotation, signing deliveries too until `previous_until_ms`.
    pub previous_secret: Option<String>,
    pub previous_until_ms: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for its next attempt (`next_at_ms`).
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt of the schedule failed, or the address was refused.
    Failed,
    /// The key's webhook was cleared before the delivery succeeded.
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }
}

/// One webhook delivery: one event of one scan to one key's webhook, with the same id
/// (and the same body) on every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub delivery_id: String,
    pub key_id: String,
    pub scan_id: String,
    pub bulk_id: Option<String>,
    /// `scan.completed` or `scan.failed`.
    pub event: String,
    /// The exact JSON body sent (and signed) on every attempt.
    pub body: String,
    pub created_ms: i64,
    pub state: DeliveryState,
    /// When the next attempt is due, while pending.
    pub next_at_ms: Option<i64>,
    /// Failed attempts since the delivery (or its last redelivery) started: the position
    /// in the retry schedule.
    pub round_failures: u32,
    pub attempts: Vec<Attempt>,
}

/// One try of a delivery, as the operator sees it in `skopio deliveries list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why the attempt did not count as delivered; `None` for a 2xx.
    pub error: Option<String>,
    /// The first bytes of the receiver's answer.
    pub answer: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_with_its_version_byte() {
        let entry = LedgerEntry {
            seq: 7,
            at_ms: 1,
            kind: LedgerKind::Refund,
            amount: 1,
            balance_after: 3,
            scan_id: Some("req-x".into()),
            note: String::new(),
        };
        let bytes = encode(&entry).unwrap();
        assert_eq!(bytes[0], CURRENT);
        assert_eq!(
            decode::<LedgerEntry>("ledger entry", &bytes).unwrap(),
            entry
        );
    }

    #[test]
    fn a_record_from_a_newer_binary_is_an_error_not_garbage() {
        let err = decode::<LedgerEntry>("ledger entry", &[99, 0, 0]).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
