//! The local breach index (SPEC sections 2 and 5): a catalog of breaches in HIBP's
//! format, and for each breach the keyed hashes of the identifiers it exposed, so that
//! every scan can say which known breaches hold its target without any lookup service.
//!
//! Layout: `key` (normal forms and the keyed hash; the secret lives in `breach.key`),
//! `catalog` (HIBP JSON), `import` (streaming identifier files). This file holds the
//! operator requests and the lookup. The tables themselves are in `store/breaches.rs`.
//!
//! Invariant: the appliance never holds a readable copy of a breach's identifiers; only
//! 8 bytes of an HMAC of each normal form reach the database. Operator requests run the
//! same `apply` whether they came over the admin socket (writes go through the server's
//! writer) or opened the database directly (`Sink` says which).

pub mod catalog;
pub mod cli;
pub mod import;
pub mod key;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dossier::Breach;
use crate::store::{BreachRecord, ReadTx, Store, StoreError, WriteTx, Writer};
use crate::target::Kind;
pub use import::{Format, ImportOptions, ImportReport};
pub use key::{IdentifierKey, KeyError};

/// Meta entry holding the key's fingerprint (`IdentifierKey::check`).
const KEY_CHECK: &str = "breach.key_check";
/// Slices of the hash space a removal walks, one transaction each, so that removing a
/// large breach never holds the writer for long.
const REMOVE_SLICES: u64 = 256;

/// Where an operation's writes go: the running server's writer, or a database this
/// process opened itself because no server runs.
#[derive(Clone)]
pub struct Sink {
    store: Store,
    writer: Option<Writer>,
}

impl Sink {
    pub fn server(store: Store, writer: Writer) -> Sink {
        Sink {
            store,
            writer: Some(writer),
        }
    }

    pub fn direct(store: Store) -> Sink {
        Sink {
            store,
            writer: None,
        }
    }

    /// A small change. Blocking.
    pub fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write_blocking(f),
            None => self.store.write_now(f),
        }
    }

    /// A large change, committed in a transaction of its own. Blocking.
    pub fn write_bulk<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write_alone_blocking(f),
            None => self.store.write_now(f),
        }
    }

    pub fn read<R>(
        &self,
        f: impl FnOnce(&ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.store.read(f)
    }
}

#[derive(Debug)]
pub enum BreachError {
    Key(KeyError),
    /// The key file does not match the one the index was built with.
    KeyMismatch,
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    Catalog(String),
    UnknownBreach(String),
    /// A CSV header or JSON file names no identifier column and none was given.
    NoColumn {
        header: Vec<String>,
    },
    UnknownColumn {
        column: String,
        header: Vec<String>,
    },
    /// The operator went away (closed the admin connection) mid-import.
    Cancelled,
    Store(StoreError),
}

impl std::fmt::Display for BreachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BreachError::Key(e) => write!(f, "{e}"),
            BreachError::KeyMismatch => write!(
                f,
                "{} in the data directory is not the key this breach index was built with; \
                 restore the original file, or remove every breach and import again",
                key::KEY_FILE
            ),
            BreachError::File { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            BreachError::Catalog(m) => write!(f, "not a breach catalog: {m}"),
            BreachError::UnknownBreach(name) => write!(
                f,
                "no breach named {name:?} in the catalog; import its metadata first with \
                 `skopio breaches import-catalog FILE`"
            ),
            BreachError::NoColumn { header } => write!(
                f,
                "no column holds emails, phones or usernames (columns: {}); name one with \
                 --column",
                header.join(", ")
            ),
            BreachError::UnknownColumn { column, header } => write!(
                f,
                "no column named {column:?} (columns: {})",
                header.join(", ")
            ),
            BreachError::Cancelled => write!(f, "the import was interrupted"),
            BreachError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BreachError {}

impl From<StoreError> for BreachError {
    fn from(e: StoreError) -> Self {
        BreachError::Store(e)
    }
}

/// The index as scans and imports use it: the store and the key. Cheap to clone.
#[derive(Clone)]
pub struct Index {
    store: Store,
    key: IdentifierKey,
    /// Whether any breach holds identifiers, kept here so that planning a scan (on an
    /// async worker) never reads the store. Refreshed after imports and removals.
    populated: Arc<AtomicBool>,
    /// Numbers of the breaches holding identifiers: a lookup reads one key in each.
    /// Refreshed with `populated`.
    numbers: Arc<std::sync::RwLock<Arc<Vec<u16>>>>,
    /// The key file is not the one the index was built with: lookups and imports refuse
    /// (rather than silently match nothing) while listing and removal still work, so an
    /// operator can empty the index and start again.
    mismatch: bool,
}

impl Index {
    /// Loads (or creates) the data directory's key and checks it against the one the
    /// database was built with, recording it if the index is empty. Blocking; call
    /// before the writer starts, or with no server running.
    pub fn open(store: &Store, data_dir: &std::path::Path) -> Result<Index, BreachError> {
        let key = IdentifierKey::load_or_create(data_dir).map_err(BreachError::Key)?;
        let check = key.check();
        let mismatch = store.write_now(move |tx| {
            let recorded = tx.meta(KEY_CHECK)?;
            let empty = tx.breach_records()?.iter().all(|r| r.identifiers == 0);
            match recorded {
                Some(bytes) if bytes == check => Ok(false),
                Some(_) if !empty => Ok(true),
                _ => tx.put_meta(KEY_CHECK, &check).map(|()| false),
            }
        })?;
        if mismatch {
            tracing::error!("{}", BreachError::KeyMismatch);
        }
        let index = Index {
            store: store.clone(),
            key,
            populated: Arc::new(AtomicBool::new(false)),
            numbers: Arc::default(),
            mismatch,
        };
        index.refresh()?;
        Ok(index)
    }

    /// Opens the index for reading only (a foreground scan): `None` when no key exists,
    /// since then nothing was ever imported.
    pub fn open_existing(
        store: &Store,
        data_dir: &std::path::Path,
    ) -> Result<Option<Index>, BreachError> {
        let Some(key) = IdentifierKey::load(data_dir).map_err(BreachError::Key)? else {
            return Ok(None);
        };
        let recorded = store.read(|tx| tx.meta(KEY_CHECK))?;
        let index = Index {
            store: store.clone(),
            mismatch: recorded.is_some_and(|bytes| bytes != key.check()),
            key,
            populated: Arc::new(AtomicBool::new(false)),
            numbers: Arc::default(),
        };
        index.refresh()?;
        Ok(Some(index))
    }

    pub fn key(&self) -> &IdentifierKey {
        &self.key
    }

    /// The breaches holding `target` (of `kind`), by breach name. A target its analyser
    /// refuses is in no breach. Runs on the store's reader threads.
    pub async fn lookup(&self, kind: Kind, target: String) -> Result<Vec<BreachRecord>, String> {
        if self.mismatch {
            return Err(BreachError::KeyMismatch.to_string());
        }
        let key = self.key.clone();
        let numbers = self.numbers();
        self.store
            .read_async(move |tx| Ok(lookup_in(tx, &key, &numbers, kind, &target)))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Like `lookup`, on the calling thread (blocking).
    pub fn lookup_blocking(&self, kind: Kind, target: &str) -> Result<Vec<BreachRecord>, String> {
        if self.mismatch {
            return Err(BreachError::KeyMismatch.to_string());
        }
        self.store
            .read(|tx| Ok(lookup_in(tx, &self.key, &self.numbers(), kind, target)))
            .map_err(|e| e.to_string())?
    }

    /// Whether any breach holds identifiers; a scan consults the index only then (an
    /// appliance without breach data does not claim a breach check).
    pub fn populated(&self) -> bool {
        self.populated.load(Ordering::Relaxed)
    }

    /// Recomputes `populated` from the store. Blocking.
    pub fn refresh(&self) -> Result<(), StoreError> {
        let numbers: Vec<u16> = self.store.read(|tx| {
            let records = tx.breach_records()?;
            let holding = records.iter().filter(|r| r.identifiers > 0 && !r.removing);
            Ok(holding.map(|r| r.number).collect())
        })?;
        self.populated.store(!numbers.is_empty(), Ordering::Relaxed);
        *self.numbers.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(numbers);
        Ok(())
    }

    fn numbers(&self) -> Arc<Vec<u16>> {
        Arc::clone(&self.numbers.read().unwrap_or_else(|p| p.into_inner()))
    }
}

fn lookup_in(
    tx: &ReadTx,
    key: &IdentifierKey,
    numbers: &[u16],
    kind: Kind,
    target: &str,
) -> Result<Vec<BreachRecord>, String> {
    let Ok(normal) = key::normalise(kind, target) else {
        return Ok(Vec::new());
    };
    let numbers = tx
        .breach_numbers_holding(numbers, key.hash(kind, &normal))
        .map_err(|e| e.to_string())?;
    let mut found = Vec::with_capacity(numbers.len());
    for number in numbers {
        match tx.breach(number).map_err(|e| e.to_string())? {
            Some(record) if !record.removing => found.push(record),
            // Pairs of a breach being removed, or left by an interrupted removal.
            _ => {}
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// A breach as the dossier shows it.
pub fn dossier_breach(record: &BreachRecord) -> Breach {
    Breach {
        name: record.name.clone(),
        title: record.title.clone(),
        date: catalog::month(&record.breach_date),
        accounts: record.pwn_count,
        classes: record.classes.clone(),
        verified: record.verified,
        flags: [
            (record.sensitive, "sensitive"),
            (record.stealer_log || record.malware, "malware"),
            (record.fabricated, "fabricated"),
            (record.spam_list, "spam_list"),
            (record.retired, "retired"),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, flag)| flag.to_string())
        .collect(),
    }
}

/// One operator request about breaches. Serialized as JSON over the admin socket; paths
/// are absolute (the server reads the file itself, on the same machine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    BreachesImportCatalog {
        path: PathBuf,
    },
    BreachesImport {
        path: PathBuf,
        breach: String,
        #[serde(default)]
        options: ImportOptions,
    },
    BreachesList,
    BreachesRemove {
        name: String,
    },
}

impl Request {
    /// The command's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Request::BreachesImportCatalog { .. } => "breaches import-catalog",
            Request::BreachesImport { .. } => "breaches import",
            Request::BreachesList => "breaches list",
            Request::BreachesRemove { .. } => "breaches remove",
        }
    }
}

/// Runs one breach request and returns its JSON answer (the `--json` output). Blocking:
/// it reads files and waits for commits. `progress` receives JSON progress values of
/// long requests; `cancel` stops an import between two rows.
pub fn apply(
    request: &Request,
    sink: &Sink,
    index: &Index,
    progress: &mut dyn FnMut(Value),
    cancel: &AtomicBool,
) -> Result<Value, BreachError> {
    match request {
        Request::BreachesImportCatalog { path } => import_catalog(sink, path),
        Request::BreachesImport {
            path,
            breach,
            options,
        } => {
            if index.mismatch {
                return Err(BreachError::KeyMismatch);
            }
            let record = sink
                .read(|tx| tx.breach_by_name(breach))?
                .filter(|r| !r.removing)
                .ok_or_else(|| BreachError::UnknownBreach(breach.clone()))?;
            let mut report_progress = |report: &ImportReport| {
                progress(serde_json::to_value(report).unwrap_or(Value::Null));
            };
            let report = import::run(
                sink,
                &index.key,
                &record.name,
                record.number,
                path,
                options,
                &mut report_progress,
                cancel,
            );
            index.refresh()?;
            let report = report?;
            let total = sink
                .read(|tx| tx.breach(record.number))?
                .map_or(0, |r| r.identifiers);
            let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
            value["identifiers"] = json!(total);
            Ok(value)
        }
        Request::BreachesList => {
            let records = sink.read(|tx| tx.breach_records())?;
            let mut rows: Vec<&BreachRecord> = records.iter().filter(|r| !r.removing).collect();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Value::Array(rows.into_iter().map(list_json).collect()))
        }
        Request::BreachesRemove { name } => {
            let removed = remove(sink, name, progress, cancel);
            index.refresh()?;
            removed
        }
    }
}

fn list_json(record: &BreachRecord) -> Value {
    json!({
        "name": record.name,
        "title": record.title,
        "domain": record.domain,
        "date": catalog::month(&record.breach_date),
        "accounts": record.pwn_count,
        "classes": record.classes,
        "verified": record.verified,
        "fabricated": record.fabricated,
        "sensitive": record.sensitive,
        "spam_list": record.spam_list,
        "retired": record.retired,
        "identifiers": record.identifiers,
    })
}

fn import_catalog(sink: &Sink, path: &std::path::Path) -> Result<Value, BreachError> {
    let io = |source| BreachError::File {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > catalog::MAX_CATALOG_BYTES {
        return Err(BreachError::Catalog(format!(
            "the file has {size} bytes; the largest catalog read is {} bytes",
            catalog::MAX_CATALOG_BYTES
        )));
    }
    let text = std::fs::read(path).map_err(io)?;
    let today = crate::clock::rfc3339(crate::clock::system().now_ms())[..10].to_string();
    let (records, skipped) =
        catalog::parse(&text, &today).map_err(|e| BreachError::Catalog(e.to_string()))?;
    let skipped: Vec<Value> = skipped
        .into_iter()
        .map(|s| json!({"entry": s.entry, "reason": s.reason}))
        .collect();
    let (added, updated) = sink.write(move |tx| {
        let (mut added, mut updated) = (0u64, 0u64);
        for mut record in records {
            match tx.breach_by_name(&record.name)? {
                Some(existing) => {
                    // Metadata is replaced; what the index holds of the breach stays.
                    record.number = existing.number;
                    record.identifiers = existing.identifiers;
                    record.removing = existing.removing;
                    updated += 1;
                }
                None => {
                    record.number = tx.new_breach_number()?;
                    added += 1;
                }
            }
            tx.put_breach(&record)?;
        }
        Ok((added, updated))
    })?;
    Ok(json!({"added": added, "updated": updated, "skipped": skipped}))
}

/// Hides the breach at once, purges its pairs slice by slice, then forgets it. Run again
/// after an interruption, it carries on where it stopped.
fn remove(
    sink: &Sink,
    name: &str,
    progress: &mut dyn FnMut(Value),
    cancel: &AtomicBool,
) -> Result<Value, BreachError> {
    let mut record = sink
        .read(|tx| tx.breach_by_name(name))?
        .ok_or_else(|| BreachError::UnknownBreach(name.to_string()))?;
    record.removing = true;
    let hidden = record.clone();
    sink.write(move |tx| tx.put_breach(&hidden))?;
    let number = record.number;
    let width = u64::MAX / REMOVE_SLICES + 1;
    let mut removed = 0u64;
    for slice in 0..REMOVE_SLICES {
        if cancel.load(Ordering::Relaxed) {
            return Err(BreachError::Cancelled);
        }
        let first = slice * width;
        let last = first.saturating_add(width - 1);
        removed += sink.write_bulk(move |tx| tx.purge_breach_hashes(number, first, last))?;
        if slice % 16 == 15 {
            progress(json!({"breach": name, "removed": removed,
                            "percent": (slice + 1) * 100 / REMOVE_SLICES}));
        }
    }
    let gone = record.clone();
    sink.write(move |tx| tx.delete_breach(&gone))?;
    Ok(json!({"name": record.name, "removed": removed}))
}
