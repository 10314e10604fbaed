//! The life of a scan in the store: admission (quotas, balance, debit, ledger, scan record,
//! queue marker and, for a bulk call, the bulk record, in one transaction), start, and
//! finish (result, in-flight release, refund and webhook delivery in one transaction).
//! Every function here runs inside a write transaction handed to it by the group-commit
//! writer; none of them commits.

use crate::billing::{self, QuotaState, Refusal};
use crate::config::Config;
use crate::store::WriteTx;
use crate::store::{
    Bulk, Customer, LedgerEntry, LedgerKind, Scan, ScanError, ScanStatus, StoreError,
};
use crate::target::Kind;

/// A scan a customer asks for, already validated.
#[derive(Debug, Clone)]
pub struct Submission {
    pub scan_id: String,
    pub target: String,
    pub kind: Kind,
    pub lang: String,
    pub recipes_total: u32,
}

#[derive(Debug)]
pub enum Admission {
    Accepted {
        scans: Vec<Scan>,
        quota: QuotaState,
    },
    Refused {
        refusal: Refusal,
        quota: QuotaState,
    },
    /// The customer's tier is not in the config (an operator's mistake); nothing written.
    TierNotConfigured {
        tier: String,
    },
}

/// How a scan ended, as the worker reports it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Completed {
        result_json: String,
    },
    /// `refund` is true when the failure is the engine's own fault, not the target's.
    Failed {
        code: String,
        message: String,
        refund: bool,
    },
}

fn load_customer(tx: &WriteTx, name: &str) -> Result<Customer, StoreError> {
    tx.customer(name)?
        .ok_or_else(|| StoreError::Aborted(format!("no customer {name:?}")))
}

/// Admits all of `submissions` or none: checks in-flight, hour, day and balance for the
/// whole batch, then debits one credit per scan with a ledger entry each, and stores the
/// scans as queued. Nothing is written on a refusal.
pub fn admit(
    tx: &mut WriteTx,
    config: &Config,
    customer_name: &str,
    key_id: &str,
    bulk_id: Option<&str>,
    submissions: &[Submission],
    now_ms: i64,
) -> Result<Admission, StoreError> {
    let mut customer = load_customer(tx, customer_name)?;
    let Some(&tier) = config.tiers.get(&customer.tier) else {
        return Ok(Admission::TierNotConfigured {
            tier: customer.tier,
        });
    };
    billing::roll_windows(&mut customer, now_ms);
    let n = submissions.len() as u32;
    if let Err(refusal) = billing::check(&customer, &tier, n, now_ms) {
        let quota = billing::state(&customer, &tier, now_ms);
        return Ok(Admission::Refused { refusal, quota });
    }
    let mut scans = Vec::with_capacity(submissions.len());
    for submission in submissions {
        billing::charge(&mut customer, 1);
        let entry = LedgerEntry {
            seq: 0,
            at_ms: now_ms,
            kind: LedgerKind::Debit,
            amount: -1,
            balance_after: customer.balance,
            scan_id: Some(submission.scan_id.clone()),
            note: format!("{} scan", submission.kind.as_str()),
        };
        tx.append_ledger(&mut customer, entry)?;
        let scan = Scan {
            scan_id: submission.scan_id.clone(),
            customer: customer.name.clone(),
            key_id: key_id.to_string(),
            target: submission.target.clone(),
            kind: submission.kind.as_str().to_string(),
            lang: submission.lang.clone(),
            status: ScanStatus::Queued,
            created_ms: now_ms,
            started_ms: None,
            completed_ms: None,
            recipes_total: submission.recipes_total,
            bulk_id: bulk_id.map(str::to_string),
            attempts: 0,
            result_json: None,
            error: None,
        };
        tx.put_scan(&scan)?;
        scans.push(scan);
    }
    tx.put_customer(&customer)?;
    let quota = billing::state(&customer, &tier, now_ms);
    Ok(Admission::Accepted { scans, quota })
}

/// Admits a bulk call's scans exactly as `admit` does and, when they are accepted, stores
/// the bulk record in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn admit_bulk(
    tx: &mut WriteTx,
    config: &Config,
    customer_name: &str,
    key_id: &str,
    bulk_id: &str,
    submissions: &[Submission],
    now_ms: i64,
) -> Result<Admission, StoreError> {
    let admission = admit(
        tx,
        config,
        customer_name,
        key_id,
        Some(bulk_id),
        submissions,
        now_ms,
    )?;
    if let Admission::Accepted { scans, .. } = &admission {
        let bulk = Bulk {
            bulk_id: bulk_id.to_string(),
            customer: customer_name.to_string(),
            key_id: key_id.to_string(),
            created_ms: now_ms,
            scan_ids: scans.iter().map(|s| s.scan_id.clone()).collect(),
        };
        tx.put_bulk(&bulk)?;
    }
    Ok(admission)
}

/// Marks a scan running. Returns it, or `None` if it is unknown or already done (a scan
/// put back on the queue twice after a restart is run once).
pub fn start(tx: &mut WriteTx, scan_id: &str, now_ms: i64) -> Result<Option<Scan>, StoreError> {
    let Some(mut scan) = tx.scan(scan_id)? else {
        return Ok(None);
    };
    if scan.status.is_done() {
        return Ok(None);
    }
    scan.status = ScanStatus::Running;
    scan.started_ms = Some(now_ms);
    scan.attempts += 1;
    tx.put_scan(&scan)?;
    Ok(Some(scan))
}

/// A scan just finished, and its webhook delivery (due ms, delivery id) if its key has a
/// webhook.
#[derive(Debug)]
pub struct Finished {
    pub scan: Scan,
    pub delivery: Option<(i64, String)>,
}

/// Records how a scan ended, releases its in-flight slot, refunds its credit when the
/// engine was at fault and writes its webhook delivery (an outbox record: it commits with
/// the result or not at all). A scan already done is left as it is, so finishing is
/// idempotent.
pub fn finish(
    tx: &mut WriteTx,
    scan_id: &str,
    outcome: Outcome,
    now_ms: i64,
) -> Result<Option<Finished>, StoreError> {
    let Some(mut scan) = tx.scan(scan_id)? else {
        return Ok(None);
    };
    if scan.status.is_done() {
        return Ok(None);
    }
    let mut customer = load_customer(tx, &scan.customer)?;
    billing::release(&mut customer);
    scan.completed_ms = Some(now_ms);
    match outcome {
        Outcome::Completed { result_json } => {
            scan.status = ScanStatus::Completed;
            scan.result_json = Some(result_json);
        }
        Outcome::Failed {
            code,
            message,
            refund,
        } => {
            scan.status = ScanStatus::Failed;
            scan.error = Some(ScanError { code, message });
            if refund {
                customer.balance += 1;
                let entry = LedgerEntry {
                    seq: 0,
                    at_ms: now_ms,
                    kind: LedgerKind::Refund,
                    amount: 1,
                    balance_after: customer.balance,
                    scan_id: Some(scan.scan_id.clone()),
                    note: "scan failed through the engine's fault".to_string(),
                };
                tx.append_ledger(&mut customer, entry)?;
            }
        }
    }
    tx.put_customer(&customer)?;
    tx.put_scan(&scan)?;
    let delivery = crate::webhooks::on_finish(tx, &scan, now_ms)?;
    Ok(Some(Finished { scan, delivery }))
}
