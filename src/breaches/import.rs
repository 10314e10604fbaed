//! Streaming one breach's identifier file into the index: plain text (one identifier a
//! line), CSV with a header, or JSON Lines, any of them gzip-compressed (recognised by its
//! magic bytes, not its name).
//!
//! Memory stays flat whatever the file: lines are read into one buffer capped at
//! `MAX_LINE_BYTES` (the rest of a longer line is skipped unread into memory), and hashes
//! go out in chunks of `CHUNK` once sorted. Parsing runs on the calling thread while a
//! second thread commits the previous chunk, so reading and writing overlap. Every bad
//! line is counted under a reason and skipped; only an unreadable file (or a CSV/JSON
//! file with no identifier column) stops an import. A chunk's pairs and its breach's
//! count are committed together, so an import stopped at any point and run again ends
//! with the same index and counts as one uninterrupted run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::key::{IdentifierKey, normalise};
use super::{BreachError, Sink};
use crate::store::StoreError;
use crate::target::{self, Kind};

/// Hashes sorted and committed together: 2 MiB each, three at most in flight. Large
/// enough to amortise a commit; small enough that parsing the next chunk overlaps
/// committing this one, and that a commit holds the server's writer for a fraction of a
/// second (measured: about 0.35 s).
pub const CHUNK: usize = 1 << 18;
/// Longest line kept. Identifiers are at most 254 characters; a CSV or JSON row carries
/// other fields too. Anything longer is skipped as `overlong`.
pub const MAX_LINE_BYTES: usize = 4096;
/// How often progress is reported while reading.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Rows between two looks at the clock and the cancel flag.
const CHECK_EVERY: u64 = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Csv,
    Jsonl,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "text" | "txt" => Some(Format::Text),
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    pub format: Option<Format>,
    /// The CSV column or JSON key holding identifiers; detected when absent.
    pub column: Option<String>,
}

/// What an import did, also sent as progress while it runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub breach: String,
    pub format: String,
    /// Lines read (a CSV header not counted).
    pub rows: u64,
    /// Identifiers added to the breach (new to it).
    pub imported: u64,
    /// Identifiers the breach already held, or repeated in the file.
    pub duplicates: u64,
    /// Rows or fields skipped, by reason: `blank`, `overlong`, `not_utf8`, `binary`,
    /// `malformed`, `no_identifier`, `invalid_email`, `invalid_phone`, `invalid_username`.
    pub skipped: BTreeMap<String, u64>,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub seconds: f64,
    /// Set when the file could not be read to its end (a truncated or corrupt gzip, a
    /// read error): what was read before that point was imported, and this says why
    /// the rest was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

impl ImportReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_insert(0) += 1;
    }
}

/// Counts bytes as they are read from the file (compressed bytes for gzip), for progress.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path`, decompressing it if it starts with gzip's magic bytes.
fn open(path: &Path, count: Arc<AtomicU64>) -> Result<(Box<dyn BufRead>, u64), BreachError> {
    let io = |source| BreachError::File {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let mut raw = BufReader::with_capacity(1 << 20, Counted { inner: file, count });
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = match gzip {
        true => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        false => Box::new(raw),
    };
    Ok((reader, total))
}

/// Reads one line into `line` (without its `\n`), keeping at most `max` bytes. `None` at
/// the end of the file; `Some(true)` when the line was longer than `max`.
fn read_line(
    reader: &mut dyn BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut overlong = false;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(overlong));
        }
        any = true;
        let (part, used, ended) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..at], at + 1, true),
            None => (available, available.len(), false),
        };
        let room = max.saturating_sub(line.len());
        if part.len() > room {
            overlong = true;
        }
        if !overlong {
            line.extend_from_slice(part);
        }
        reader.consume(used);
        if ended {
            return Ok(Some(overlong));
        }
    }
}

/// The kind of identifier a CSV column or JSON key holds, from its name.
fn column_kind(name: &str) -> Option<Kind> {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    match folded.as_str() {
        "email" | "emails" | "emailaddress" | "mail" | "mailaddress" => Some(Kind::Email),
        "phone" | "phonenumber" | "phoneno" | "mobile" | "mobilephone" | "mobilenumber" | "tel"
        | "telephone" | "msisdn" | "cell" | "cellphone" => Some(Kind::Phone),
        "username" | "user" | "login" | "handle" | "nick" | "nickname" | "screenname" => {
            Some(Kind::Username)
        }
        _ => None,
    }
}

/// Splits one CSV line into fields with `csv_core` (the parser under the `csv` crate),
/// reusing its buffers. A quoted field spanning lines arrives here whole: the import
/// joins a row's lines while its quotes are unbalanced, up to the line size bound.
struct CsvLine {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    n_fields: usize,
}

impl CsvLine {
    fn new(delimiter: u8) -> CsvLine {
        CsvLine {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: Vec::new(),
            ends: Vec::new(),
            n_fields: 0,
        }
    }

    /// Parses `line`; false if the parser could not finish the record.
    fn split(&mut self, line: &[u8]) -> bool {
        self.reader.reset();
        // Unquoting only shrinks a record, and a record has at most one field per byte.
        if self.out.len() < line.len() + 1 {
            self.out.resize(line.len() + 1, 0);
        }
        if self.ends.len() < line.len() + 2 {
            self.ends.resize(line.len() + 2, 0);
        }
        let (mut n_in, mut n_out, mut n_ends) = (0, 0, 0);
        // At most two calls: the line, then the end of input that closes the record.
        for _ in 0..3 {
            let (result, read, wrote, ended) = self.reader.read_record(
                &line[n_in..],
                &mut self.out[n_out..],
                &mut self.ends[n_ends..],
            );
            n_in += read;
            n_out += wrote;
            n_ends += ended;
            match result {
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                    self.n_fields = n_ends;
                    return n_ends > 0;
                }
                csv_core::ReadRecordResult::InputEmpty => continue,
                _ => return false,
            }
        }
        false
    }

    fn field(&self, idx: usize) -> &[u8] {
        let start = match idx {
            0 => 0,
            _ => self.ends[idx - 1],
        };
        &self.out[start..self.ends[idx]]
    }
}

fn delimiter_of(header: &[u8]) -> u8 {
    let count = |d: u8| header.iter().filter(|&&b| b == d).count();
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| (count(d), d == b','))
        .unwrap_or(b',')
}

/// The identifier columns of a CSV file: (index, kind if the name says it).
fn csv_columns(
    header: &[String],
    column: Option<&str>,
) -> Result<Vec<(usize, Option<Kind>)>, BreachError> {
    if let Some(wanted) = column {
        let found = header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(wanted.trim()));
        return match found {
            Some(idx) => Ok(vec![(idx, column_kind(wanted))]),
            None => Err(BreachError::UnknownColumn {
                column: wanted.to_string(),
                header: header.to_vec(),
            }),
        };
    }
    let detected: Vec<(usize, Option<Kind>)> = header
        .iter()
        .enumerate()
        .filter_map(|(idx, name)| column_kind(name).map(|kind| (idx, Some(kind))))
        .collect();
    match detected.is_empty() {
        true => Err(BreachError::NoColumn {
            header: header.to_vec(),
        }),
        false => Ok(detected),
    }
}

/// Turns identifiers into sorted chunks of hashes and hands full chunks on.
struct Chunker<'a> {
    key: &'a IdentifierKey,
    chunk: Vec<u64>,
}

impl Chunker<'_> {
    /// Normalises and hashes one identifier, or counts it skipped under a reason. Without
    /// a kind from its column, the kind is inferred as for scan targets.
    fn add(&mut self, kind: Option<Kind>, raw: &str, report: &mut ImportReport) {
        let raw = raw.trim();
        if raw.is_empty() {
            report.skip("blank");
            return;
        }
        // A leading '@' is the mention sign of a handle (`@darkwolf`), not an address.
        let handle = raw.starts_with('@') && raw.matches('@').count() == 1;
        let kind = match (kind, handle) {
            (Some(kind), _) => kind,
            (None, true) => Kind::Username,
            (None, false) => target::infer(raw),
        };
        match normalise(kind, raw) {
            Ok(normal) => self.chunk.push(self.key.hash(kind, &normal)),
            Err(_) => report.skip(match kind {
                Kind::Email => "invalid_email",
                Kind::Phone => "invalid_phone",
                Kind::Username => "invalid_username",
            }),
        }
    }
}

/// What lines mean in the file being read.
enum Layout {
    Text,
    Csv {
        line: CsvLine,
        columns: Vec<(usize, Option<Kind>)>,
    },
    Jsonl {
        column: Option<String>,
    },
}

fn detect_format(path: &Path, first: &[u8]) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") || name.ends_with(".tsv") {
        return Format::Csv;
    }
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return Format::Jsonl;
    }
    if name.ends_with(".txt") {
        return Format::Text;
    }
    if first.trim_ascii_start().starts_with(b"{") {
        return Format::Jsonl;
    }
    Format::Text
}

/// Imports `path` into breach `number`; see the module documentation.
#[allow(clippy::too_many_arguments)]
pub fn run(
    sink: &Sink,
    key: &IdentifierKey,
    breach: &str,
    number: u16,
    path: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(&ImportReport),
    cancel: &AtomicBool,
) -> Result<ImportReport, BreachError> {
    let started = Instant::now();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (mut reader, bytes_total) = open(path, Arc::clone(&bytes_read))?;
    let mut report = ImportReport {
        breach: breach.to_string(),
        bytes_total,
        ..ImportReport::default()
    };
    // Hashes committed so far, and how many of them were new.
    let committed = AtomicU64::new(0);
    let new = AtomicU64::new(0);
    let mut repeated_in_chunks = 0u64;
    let read_error = |source| BreachError::File {
        path: path.to_path_buf(),
        source,
    };
    let outcome = std::thread::scope(|scope| -> Result<(), BreachError> {
        let (chunks, received) = sync_channel::<Vec<u64>>(1);
        let committer = scope.spawn(|| -> Result<(), StoreError> {
            for chunk in received {
                let n_chunk = chunk.len() as u64;
                let added = sink.write_bulk(move |tx| tx.insert_breach_hashes(number, &chunk))?;
                new.fetch_add(added, Ordering::Relaxed);
                committed.fetch_add(n_chunk, Ordering::Relaxed);
            }
            Ok(())
        });
        let mut chunker = Chunker {
            key,
            chunk: Vec::with_capacity(CHUNK),
        };
        let mut line = Vec::with_capacity(MAX_LINE_BYTES + 1);
        let mut continued = Vec::new();
        let mut layout: Option<Layout> = None;
        let mut last_progress = Instant::now();
        let mut parsed = Ok(());
        loop {
            let mut overlong = match read_line(reader.as_mut(), &mut line, MAX_LINE_BYTES) {
                Ok(Some(overlong)) => overlong,
                Ok(None) => break,
                Err(e) if report.rows > 0 => {
                    // The file broke off (a truncated download): keep what was read and
                    // say why the rest is missing, rather than losing the whole import.
                    report.incomplete = Some(read_error(e).to_string());
                    break;
                }
                Err(e) => {
                    parsed = Err(read_error(e));
                    break;
                }
            };
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if layout.is_none() {
                // The first line decides the layout; a CSV header is not a row.
                if line.trim_ascii().is_empty() && !overlong {
                    report.rows += 1;
                    report.skip("blank");
                    continue;
                }
                let format = options.format.unwrap_or_else(|| detect_format(path, &line));
                report.format = format.as_str().to_string();
                match start_layout(format, &line, options.column.as_deref()) {
                    Ok((chosen, is_header)) => {
                        layout = Some(chosen);
                        if is_header {
                            continue;
                        }
                    }
                    Err(e) => {
                        parsed = Err(e);
                        break;
                    }
                }
            }
            let Some(layout) = layout.as_mut() else {
                continue;
            };
            if matches!(layout, Layout::Csv { .. }) {
                // A quoted field may hold line breaks (RFC 4180): while the row's quotes
                // are unbalanced the next line belongs to it, within the same size bound.
                while !overlong && line.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                    match read_line(reader.as_mut(), &mut continued, MAX_LINE_BYTES) {
                        Ok(Some(more_overlong)) => {
                            if continued.last() == Some(&b'\r') {
                                continued.pop();
                            }
                            if more_overlong || line.len() + 1 + continued.len() > MAX_LINE_BYTES {
                                overlong = true;
                                break;
                            }
                            line.push(b'\n');
                            line.extend_from_slice(&continued);
                        }
                        // The file ends (or breaks) inside the quote: the row is read as
                        // it stands, and the next read reports any error.
                        _ => break,
                    }
                }
            }
            report.rows += 1;
            read_row(layout, &line, overlong, &mut chunker, &mut report);
            if chunker.chunk.len() >= CHUNK {
                let mut full = std::mem::replace(&mut chunker.chunk, Vec::with_capacity(CHUNK));
                repeated_in_chunks += sort_dedup(&mut full);
                if chunks.send(full).is_err() {
                    break; // the committer failed; its error is reported below
                }
            }
            if report.rows % CHECK_EVERY == 0 {
                if cancel.load(Ordering::Relaxed) {
                    parsed = Err(BreachError::Cancelled);
                    break;
                }
                if last_progress.elapsed() >= PROGRESS_EVERY {
                    last_progress = Instant::now();
                    let stored = committed.load(Ordering::Relaxed);
                    let added = new.load(Ordering::Relaxed);
                    report.imported = added;
                    report.duplicates = repeated_in_chunks + (stored - added);
                    report.bytes_read = bytes_read.load(Ordering::Relaxed);
                    report.seconds = started.elapsed().as_secs_f64();
                    progress(&report);
                }
            }
        }
        if parsed.is_ok() && !chunker.chunk.is_empty() {
            let mut last = std::mem::take(&mut chunker.chunk);
            repeated_in_chunks += sort_dedup(&mut last);
            let _ = chunks.send(last);
        }
        drop(chunks);
        let stored = match committer.join() {
            Ok(stored) => stored.map_err(BreachError::Store),
            Err(_) => Err(BreachError::Store(StoreError::WriterGone)),
        };
        parsed.and(stored)
    });
    let stored = committed.load(Ordering::Relaxed);
    let added = new.load(Ordering::Relaxed);
    report.imported = added;
    report.duplicates = repeated_in_chunks + (stored - added);
    report.bytes_read = bytes_read.load(Ordering::Relaxed);
    report.seconds = started.elapsed().as_secs_f64();
    outcome?;
    progress(&report);
    Ok(report)
}

/// Sorts a chunk and drops repeats; returns how many were dropped.
fn sort_dedup(chunk: &mut Vec<u64>) -> u64 {
    let before = chunk.len();
    chunk.sort_unstable();
    chunk.dedup();
    (before - chunk.len()) as u64
}

/// Chooses the layout from the first non-blank line; true when that line is a header.
fn start_layout(
    format: Format,
    first: &[u8],
    column: Option<&str>,
) -> Result<(Layout, bool), BreachError> {
    match format {
        Format::Text => Ok((Layout::Text, false)),
        Format::Jsonl => Ok((
            Layout::Jsonl {
                column: column.map(str::to_string),
            },
            false,
        )),
        Format::Csv => {
            let mut line = CsvLine::new(delimiter_of(first));
            let header: Vec<String> = match line.split(first) {
                true => (0..line.n_fields)
                    .map(|idx| String::from_utf8_lossy(line.field(idx)).into_owned())
                    .collect(),
                false => Vec::new(),
            };
            let columns = csv_columns(&header, column)?;
            Ok((Layout::Csv { line, columns }, true))
        }
    }
}

/// Reads one row: skips it under a reason, or hands its identifiers to the chunker.
fn read_row(
    layout: &mut Layout,
    line: &[u8],
    overlong: bool,
    chunker: &mut Chunker<'_>,
    report: &mut ImportReport,
) {
    if overlong {
        return report.skip("overlong");
    }
    if line.trim_ascii().is_empty() {
        return report.skip("blank");
    }
    // A CSV row may carry line breaks inside a quoted field (joined above); elsewhere a
    // control character marks binary junk.
    let csv = matches!(layout, Layout::Csv { .. });
    let control = |b: u8| b < 0x20 && b != b'\t' && !(csv && b == b'\n');
    if line.iter().any(|&b| control(b)) || line.contains(&0x7f) {
        return report.skip("binary");
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return report.skip("not_utf8");
    };
    match layout {
        Layout::Text => chunker.add(None, text, report),
        Layout::Csv { line: csv, columns } => {
            if !csv.split(line) {
                return report.skip("malformed");
            }
            let mut any = false;
            for &(idx, kind) in columns.iter() {
                if idx >= csv.n_fields {
                    continue;
                }
                let Ok(field) = std::str::from_utf8(csv.field(idx)) else {
                    report.skip("not_utf8");
                    any = true;
                    continue;
                };
                if field.trim().is_empty() {
                    continue;
                }
                any = true;
                chunker.add(kind, field, report);
            }
            if !any {
                report.skip("no_identifier");
            }
        }
        Layout::Jsonl { column } => {
            let Ok(object) = serde_json::from_str::<serde_json::Map<String, Value>>(text) else {
                return report.skip("malformed");
            };
            let mut any = false;
            for (name, value) in &object {
                let kind = match column {
                    Some(wanted) if name == wanted => column_kind(name),
                    Some(_) => continue,
                    None => match column_kind(name) {
                        Some(kind) => Some(kind),
                        None => continue,
                    },
                };
                let raw = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => continue,
                };
                if raw.trim().is_empty() {
                    continue;
                }
                any = true;
                chunker.add(kind, &raw, report);
            }
            if !any {
                report.skip("no_identifier");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_longer_than_the_cap_is_flagged_and_skipped_whole() {
        let text = format!("short\n{}\nnext", "x".repeat(10_000));
        let mut reader = std::io::Cursor::new(text.into_bytes());
        let mut line = Vec::new();
        assert_eq!(read_line(&mut reader, &mut line, 100).unwrap(), Some(false));
        assert_eq!(line, b"short");
        assert_eq!(read_line(&mut reader, &mut line, 100).unwrap(), Some(true));
        assert!(line.len() <= 100);
        assert_eq!(read_line(&mut reader, &mut line, 100).unwrap(), Some(false));
        assert_eq!(line, b"next");
        assert_eq!(read_line(&mut reader, &mut line, 100).unwrap(), None);
    }

    #[test]
    fn csv_fields_are_unquoted() {
        let mut csv = CsvLine::new(b',');
        assert!(csv.split(br#"1,"Doe, John","john@x.io""#));
        assert_eq!(csv.n_fields, 3);
        assert_eq!(csv.field(1), b"Doe, John");
        assert_eq!(csv.field(2), b"john@x.io");
        assert_eq!(delimiter_of(b"id;email;phone"), b';');
    }

    #[test]
    fn identifier_columns_are_found_by_name() {
        let header: Vec<String> = ["id", "E-Mail", "Phone Number", "city"]
            .map(String::from)
            .to_vec();
        let columns = csv_columns(&header, None).unwrap();
        assert_eq!(columns, [(1, Some(Kind::Email)), (2, Some(Kind::Phone))]);
        assert!(csv_columns(&header, Some("nope")).is_err());
        assert_eq!(csv_columns(&header, Some("city")).unwrap(), [(3, None)]);
    }
}
