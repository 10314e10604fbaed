//! The store: Skopio's one redb file and the only code that touches redb. It owns the
//! table layout, the typed reads and writes on it, and the group-commit writer that every
//! change goes through (see `writer`).
//!
//! Layout (keys → values; values are versioned records from `records`):
//! - `meta`: setting name → bytes (layout version, secrets generated on first start).
//! - `customers`: name → `Customer` (tier, balance, quota counters).
//! - `keys`: key id → `ApiKey`; `key_hashes`: SHA-256 of a key → key id.
//! - `ledger`: (customer, sequence) → `LedgerEntry`, every movement of credits.
//! - `scans`: scan id → `Scan`; ids sort by creation time, so ranges are time ranges.
//! - `pending`: scan id → (), the scans queued or running, put back on the queue at start.
//! - `bulks`: bulk id → `Bulk`, the scans one bulk call queued.
//! - `webhooks`: key id → `Webhook` (URL, signing secret, previous secret during a
//!   rotation's grace period).
//! - `deliveries`: delivery id → `Delivery` (body, state, every attempt); ids sort by time.
//! - `deliveries_by_key`: (key id, delivery id) → (), for `skopio deliveries list`.
//! - `deliveries_due`: (due ms, delivery id) → (), the pending deliveries in the order they
//!   are due; loaded again at start, so retries survive a restart.
//! - `breaches`, `breach_names`, `breach_index`: the breach index (see `breaches.rs`).
//! - `site_lists`, `site_health`: imported site lists and sites' recent outcomes (see
//!   `sites.rs`).
//!
//! Invariant: whatever must agree (balance, ledger, quota counters, scan, pending marker,
//! bulk record, the webhook delivery of a finished scan) is written in one transaction,
//! so no crash leaves one without the other.

mod breaches;
mod readers;
mod records;
mod sites;
mod writer;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

pub use breaches::BreachRecord;
pub use records::{
    ApiKey, Attempt, Bulk, Customer, Delivery, DeliveryState, LedgerEntry, LedgerKind, Scan,
    ScanError, ScanStatus, Webhook,
};
pub use sites::{SiteHealth, SiteList};
pub use writer::{Writer, WriterThread};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const KEY_HASHES: TableDefinition<&[u8], &str> = TableDefinition::new("key_hashes");
const LEDGER: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("ledger");
const SCANS: TableDefinition<&str, &[u8]> = TableDefinition::new("scans");
const PENDING: TableDefinition<&str, ()> = TableDefinition::new("pending");
const BULKS: TableDefinition<&str, &[u8]> = TableDefinition::new("bulks");
const WEBHOOKS: TableDefinition<&str, &[u8]> = TableDefinition::new("webhooks");
const DELIVERIES: TableDefinition<&str, &[u8]> = TableDefinition::new("deliveries");
const DELIVERIES_BY_KEY: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("deliveries_by_key");
const DELIVERIES_DUE: TableDefinition<(u64, &str), ()> = TableDefinition::new("deliveries_due");

/// The file's name inside the data directory.
pub const DB_FILE: &str = "skopio.redb";

#[derive(Debug)]
pub enum StoreError {
    /// Another process (normally the running server) has the database open.
    Locked,
    Db(redb::Error),
    Encode(String),
    Decode {
        what: &'static str,
        message: String,
    },
    /// The writer thread is gone (shutting down) or a change panicked mid-batch.
    WriterGone,
    Aborted(String),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Locked => write!(f, "the database is in use by another process"),
            StoreError::Db(e) => write!(f, "database error: {e}"),
            StoreError::Encode(m) => write!(f, "cannot encode a record: {m}"),
            StoreError::Decode { what, message } => write!(f, "cannot read a {what}: {message}"),
            StoreError::WriterGone => write!(f, "the store is shutting down"),
            StoreError::Aborted(m) => write!(f, "the change was not saved: {m}"),
            StoreError::Io(path, e) => write!(f, "cannot prepare {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::Error
);

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked,
            other => StoreError::Db(other.into()),
        }
    }
}

/// A handle on the open database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    /// Threads serving `read_async`, started on first use (operator commands never use it).
    readers: Arc<OnceLock<readers::ReadPool>>,
}

impl Store {
    /// Opens (or creates) the database in `data_dir`, creating the folder if needed.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let path = data_dir.join(DB_FILE);
        let new = !path.exists();
        // The database holds targets and dossiers: personal data readable by the operator's
        // account only, from the moment it exists.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(|e| StoreError::Io(data_dir.to_path_buf(), e))?;
        let db = Database::builder().create(&path)?;
        if new {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| StoreError::Io(path.clone(), e))?;
        }
        let store = Store {
            db: Arc::new(db),
            readers: Arc::new(OnceLock::new()),
        };
        store.write_now(|tx| {
            // Opening a table in a write transaction creates it, so reads never meet a
            // missing table.
            tx.txn.open_table(META)?;
            tx.txn.open_table(CUSTOMERS)?;
            tx.txn.open_table(KEYS)?;
            tx.txn.open_table(KEY_HASHES)?;
            tx.txn.open_table(LEDGER)?;
            tx.txn.open_table(SCANS)?;
            tx.txn.open_table(PENDING)?;
            tx.txn.open_table(BULKS)?;
            tx.txn.open_table(WEBHOOKS)?;
            tx.txn.open_table(DELIVERIES)?;
            tx.txn.open_table(DELIVERIES_BY_KEY)?;
            tx.txn.open_table(DELIVERIES_DUE)?;
            breaches::create_tables(tx)?;
            sites::create_tables(tx)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// Runs `f` in a read transaction. Blocking: call from a blocking thread.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let txn = self.db.begin_read()?;
        f(&ReadTx { txn })
    }

    /// Runs `f` in a read transaction on the store's reader threads, off the async
    /// workers.
    pub async fn read_async<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&ReadTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = self
            .readers
            .get_or_init(|| readers::ReadPool::start(&self.db));
        pool.read(f).await
    }

    /// Runs `f` in its own write transaction and commits it durably. For startup and the
    /// operator commands that run without a server; the server writes through `Writer`.
    pub fn write_now<R>(
        &self,
        f: impl FnOnce(&mut WriteTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut tx = WriteTx {
            txn: self.db.begin_write()?,
        };
        let out = f(&mut tx)?;
        tx.txn.commit()?;
        Ok(out)
    }

    /// Size of the database file in bytes (the breach benchmark measures growth with it).
    pub fn file_bytes(data_dir: &Path) -> std::io::Result<u64> {
        Ok(std::fs::metadata(data_dir.join(DB_FILE))?.len())
    }

    /// Starts the group-commit writer thread that batches concurrent changes.
    pub fn spawn_writer(&self) -> Writer {
        Writer::spawn(self.clone())
    }
}

pub struct ReadTx {
    txn: redb::ReadTransaction,
}

pub struct WriteTx {
    txn: redb::WriteTransaction,
}

/// Reads shared by read and write transactions (a write transaction sees its own writes).
macro_rules! reads {
    ($tx:ty) => {
        impl $tx {
            pub fn customer(&self, name: &str) -> Result<Option<Customer>, StoreError> {
                let table = self.txn.open_table(CUSTOMERS)?;
                let value = table.get(name)?;
                value
                    .map(|v| records::decode("customer", v.value()))
                    .transpose()
            }

            pub fn customers(&self) -> Result<Vec<Customer>, StoreError> {
                let table = self.txn.open_table(CUSTOMERS)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (_, v) = row?;
                    out.push(records::decode("customer", v.value())?);
                }
                Ok(out)
            }

            pub fn key(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
                let table = self.txn.open_table(KEYS)?;
                let value = table.get(key_id)?;
                value.map(|v| records::decode("key", v.value())).transpose()
            }

            pub fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
                let table = self.txn.open_table(KEYS)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (_, v) = row?;
                    out.push(records::decode("key", v.value())?);
                }
                Ok(out)
            }

            pub fn key_by_hash(&self, hash: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
                let key_id = {
                    let table = self.txn.open_table(KEY_HASHES)?;
                    match table.get(hash.as_slice())? {
                        Some(v) => v.value().to_string(),
                        None => return Ok(None),
                    }
                };
                self.key(&key_id)
            }

            pub fn ledger(&self, customer: &str) -> Result<Vec<LedgerEntry>, StoreError> {
                let table = self.txn.open_table(LEDGER)?;
                let mut out = Vec::new();
                for row in table.range((customer, 0)..=(customer, u64::MAX))? {
                    let (_, v) = row?;
                    out.push(records::decode("ledger entry", v.value())?);
                }
                Ok(out)
            }

            pub fn scan(&self, scan_id: &str) -> Result<Option<Scan>, StoreError> {
                let table = self.txn.open_table(SCANS)?;
                let value = table.get(scan_id)?;
                value
                    .map(|v| records::decode("scan", v.value()))
                    .transpose()
            }

            /// Ids of scans queued or running, oldest first.
            pub fn pending_scan_ids(&self) -> Result<Vec<String>, StoreError> {
                let table = self.txn.open_table(PENDING)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (k, _) = row?;
                    out.push(k.value().to_string());
                }
                Ok(out)
            }

            pub fn bulk(&self, bulk_id: &str) -> Result<Option<Bulk>, StoreError> {
                let table = self.txn.open_table(BULKS)?;
                let value = table.get(bulk_id)?;
                value
                    .map(|v| records::decode("bulk", v.value()))
                    .transpose()
            }

            pub fn webhook(&self, key_id: &str) -> Result<Option<Webhook>, StoreError> {
                let table = self.txn.open_table(WEBHOOKS)?;
                let value = table.get(key_id)?;
                value
                    .map(|v| records::decode("webhook", v.value()))
                    .transpose()
            }

            pub fn delivery(&self, delivery_id: &str) -> Result<Option<Delivery>, StoreError> {
                let table = self.txn.open_table(DELIVERIES)?;
                let value = table.get(delivery_id)?;
                value
                    .map(|v| records::decode("delivery", v.value()))
                    .transpose()
            }

            /// A key's deliveries, newest first, at most `limit` of them.
            pub fn deliveries_of_key(
                &self,
                key_id: &str,
                limit: usize,
            ) -> Result<Vec<Delivery>, StoreError> {
                let index = self.txn.open_table(DELIVERIES_BY_KEY)?;
                let mut ids = Vec::new();
                // Ids are ASCII, so every id of the key sorts below U+10FFFF.
                for row in index.range((key_id, "")..=(key_id, "\u{10ffff}"))?.rev() {
                    let (k, _) = row?;
                    ids.push(k.value().1.to_string());
                    if ids.len() >= limit {
                        break;
                    }
                }
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(delivery) = self.delivery(&id)? {
                        out.push(delivery);
                    }
                }
                Ok(out)
            }

            /// Every pending delivery as (due ms, delivery id), soonest first.
            pub fn due_deliveries(&self) -> Result<Vec<(i64, String)>, StoreError> {
                let table = self.txn.open_table(DELIVERIES_DUE)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (k, _) = row?;
                    let (due, id) = k.value();
                    out.push((due as i64, id.to_string()));
                }
                Ok(out)
            }

            pub fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
                let table = self.txn.open_table(META)?;
                Ok(table.get(name)?.map(|v| v.value().to_vec()))
            }
        }
    };
}

reads!(ReadTx);
reads!(WriteTx);

impl WriteTx {
    pub fn put_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let bytes = records::encode(customer)?;
        self.txn
            .open_table(CUSTOMERS)?
            .insert(customer.name.as_str(), bytes.as_slice())?;
        Ok(())
    }

    /// Stores a key and its hash index. A hash that already names another key is refused
    /// (two keys with one hash would make authentication ambiguous).
    pub fn put_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        let bytes = records::encode(key)?;
        {
            let mut hashes = self.txn.open_table(KEY_HASHES)?;
            if let Some(existing) = hashes.get(key.hash.as_slice())? {
                if existing.value() != key.key_id {
                    return Err(StoreError::Aborted("key hash collision".to_string()));
                }
            }
            hashes.insert(key.hash.as_slice(), key.key_id.as_str())?;
        }
        self.txn
            .open_table(KEYS)?
            .insert(key.key_id.as_str(), bytes.as_slice())?;
        Ok(())
    }

    /// Appends a ledger entry for `customer`, giving it the customer's next sequence
    /// number. The caller stores the customer record it passes (with the bumped counter).
    pub fn append_ledger(
        &mut self,
        customer: &mut Customer,
        mut entry: LedgerEntry,
    ) -> Result<LedgerEntry, StoreError> {
        entry.seq = customer.next_ledger_seq;
        customer.next_ledger_seq += 1;
        let bytes = records::encode(&entry)?;
        self.txn
            .open_table(LEDGER)?
            .insert((customer.name.as_str(), entry.seq), bytes.as_slice())?;
        Ok(entry)
    }

    /// Stores a scan and keeps the `pending` marker in step with its status.
    pub fn put_scan(&mut self, scan: &Scan) -> Result<(), StoreError> {
        let bytes = records::encode(scan)?;
        self.txn
            .open_table(SCANS)?
            .insert(scan.scan_id.as_str(), bytes.as_slice())?;
        let mut pending = self.txn.open_table(PENDING)?;
        if scan.status.is_done() {
            pending.remove(scan.scan_id.as_str())?;
        } else {
            pending.insert(scan.scan_id.as_str(), ())?;
        }
        Ok(())
    }

    pub fn put_bulk(&mut self, bulk: &Bulk) -> Result<(), StoreError> {
        let bytes = records::encode(bulk)?;
        self.txn
            .open_table(BULKS)?
            .insert(bulk.bulk_id.as_str(), bytes.as_slice())?;
        Ok(())
    }

    pub fn put_webhook(&mut self, webhook: &Webhook) -> Result<(), StoreError> {
        let bytes = records::encode(webhook)?;
        self.txn
            .open_table(WEBHOOKS)?
            .insert(webhook.key_id.as_str(), bytes.as_slice())?;
        Ok(())
    }

    pub fn remove_webhook(&mut self, key_id: &str) -> Result<bool, StoreError> {
        Ok(self.txn.open_table(WEBHOOKS)?.remove(key_id)?.is_some())
    }

    /// Stores a delivery and keeps the key index and the due queue in step with it: a
    /// pending delivery is in the due queue once, at its `next_at_ms`; any other is not.
    pub fn put_delivery(&mut self, delivery: &Delivery) -> Result<(), StoreError> {
        let id = delivery.delivery_id.as_str();
        let before = self.delivery(id)?.and_then(|d| d.next_at_ms);
        let bytes = records::encode(delivery)?;
        self.txn
            .open_table(DELIVERIES)?
            .insert(id, bytes.as_slice())?;
        self.txn
            .open_table(DELIVERIES_BY_KEY)?
            .insert((delivery.key_id.as_str(), id), ())?;
        let mut due = self.txn.open_table(DELIVERIES_DUE)?;
        if let Some(at) = before {
            due.remove((at.max(0) as u64, id))?;
        }
        if let (DeliveryState::Pending, Some(at)) = (delivery.state, delivery.next_at_ms) {
            due.insert((at.max(0) as u64, id), ())?;
        }
        Ok(())
    }

    pub fn put_meta(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.txn.open_table(META)?.insert(name, value)?;
        Ok(())
    }
}
