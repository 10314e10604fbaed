//! The site operator requests (`skopio sites import|list|health|remove`), run the same way
//! by the running server (over the admin socket) and directly on the database when no
//! server runs. An import reads the whole file, then replaces the earlier list of the same
//! source in one write; a running server's site book takes the new lists at once, and
//! scans already running finish with the list they started with.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::book::{SiteBook, active, default_sites};
use super::health::Summary;
use super::{Site, formats};
use crate::store::{SiteList, Store, StoreError, WriteTx, Writer};

/// Largest site list file read (the real lists are well under 1 MiB).
pub const MAX_LIST_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// `path` is absolute: the server reads the file itself.
    SitesImport {
        path: String,
    },
    SitesList {
        sites: bool,
    },
    SitesHealth,
    SitesRemove {
        source: String,
    },
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::SitesImport { .. } => "sites_import",
            Request::SitesList { .. } => "sites_list",
            Request::SitesHealth => "sites_health",
            Request::SitesRemove { .. } => "sites_remove",
        }
    }
}

/// Where changes are committed: the server's writer, or the file opened directly.
pub enum Commit<'a> {
    Server(&'a Writer),
    Direct(&'a Store),
}

impl Commit<'_> {
    fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        match self {
            Commit::Server(writer) => writer.write_blocking(f),
            Commit::Direct(store) => store.write_now(f),
        }
    }
}

/// Runs `request`. Blocking (reads files, waits for commits): call from a blocking thread.
/// `book` is the running server's, updated after an import or a removal.
pub fn apply(
    request: &Request,
    store: &Store,
    commit: Commit,
    book: Option<&SiteBook>,
    now_ms: i64,
) -> Result<Value, String> {
    let built_in = match book {
        Some(book) => book.built_in().to_vec(),
        None => default_sites(),
    };
    let refresh = |store: &Store| -> Result<(), String> {
        if let Some(book) = book {
            let lists = store
                .read(|tx| tx.site_lists())
                .map_err(|e| e.to_string())?;
            book.set_imported(&lists);
        }
        Ok(())
    };
    match request {
        Request::SitesImport { path } => {
            let list = read_list(path, now_ms)?;
            let summary = json!({
                "source": list.source,
                "file": list.file,
                "sites": list.sites.len(),
                "skipped": list.skipped.iter()
                    .map(|(name, reason)| json!({"name": name, "reason": reason}))
                    .collect::<Vec<Value>>(),
            });
            let source = list.source.clone();
            let built = built_in.clone();
            let (replaced, active_now) = commit
                .write(move |tx| {
                    let replaced = tx.site_lists()?.iter().any(|l| l.source == list.source);
                    tx.put_site_list(&list)?;
                    // Counted in the same transaction, so a concurrent import cannot skew it.
                    Ok((replaced, active(&built, &tx.site_lists()?).len()))
                })
                .map_err(|e| e.to_string())?;
            refresh(store)?;
            tracing::info!(source = %source, replaced, "site list imported");
            let mut summary = summary;
            summary["replaced"] = json!(replaced);
            summary["active_sites"] = json!(active_now);
            Ok(summary)
        }
        Request::SitesRemove { source } => {
            let source = source.clone();
            let removed = commit
                .write(move |tx| tx.delete_site_list(&source))
                .map_err(|e| e.to_string())?;
            if !removed && request_source(request) == "skopio" {
                return Err(
                    "the built-in list cannot be removed; import lists beside it, or \
                            turn site checks off with engine.network = false"
                        .to_string(),
                );
            }
            if !removed {
                return Err(format!(
                    "no imported list has the source {:?}; `skopio sites list` shows them",
                    request_source(request)
                ));
            }
            refresh(store)?;
            Ok(json!({
                "removed": request_source(request),
                "active_sites": active_count(store, &built_in)?,
            }))
        }
        Request::SitesList { sites } => list(store, &built_in, *sites),
        Request::SitesHealth => health(store, &built_in),
    }
}

fn request_source(request: &Request) -> &str {
    match request {
        Request::SitesRemove { source } => source,
        _ => "",
    }
}

fn read_list(path: &str, now_ms: i64) -> Result<SiteList, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut text = String::new();
    file.take(MAX_LIST_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {path} as UTF-8 text: {e}"))?;
    if text.len() as u64 > MAX_LIST_BYTES {
        return Err(format!(
            "{path} is larger than {} MiB; a site list is far smaller",
            MAX_LIST_BYTES / (1024 * 1024)
        ));
    }
    let text = text.trim_start_matches('\u{feff}');
    let parsed = formats::parse(text).map_err(|e| format!("{path}: {e}"))?;
    let source = parsed
        .source
        .ok_or("the list's format was not recognised")?;
    let mut parsed = parsed;
    let mut names = std::collections::HashMap::new();
    let mut requests = std::collections::HashMap::new();
    let mut kept = Vec::new();
    for site in std::mem::take(&mut parsed.sites) {
        if let Some(first) = names.get(&site.name.to_lowercase()) {
            let reason = format!("another site of this list is named {first:?}");
            parsed.skipped.push((site.name.clone(), reason));
        } else if let Some(first) = requests.get(&super::book::request_key(&site)) {
            let reason = format!("asks exactly what {first:?} asks");
            parsed.skipped.push((site.name.clone(), reason));
        } else if !is_web_url(&site.check_url) || !is_web_url(&site.profile_url) {
            let reason = "its URLs are not http:// or https://".to_string();
            parsed.skipped.push((site.name.clone(), reason));
        } else {
            names.insert(site.name.to_lowercase(), site.name.clone());
            requests.insert(super::book::request_key(&site), site.name.clone());
            kept.push(site);
        }
    }
    parsed.sites = kept;
    if parsed.sites.is_empty() {
        return Err(format!(
            "{path} holds no usable site ({} entries skipped); nothing was changed",
            parsed.skipped.len()
        ));
    }
    Ok(SiteList {
        source: source.as_str().to_string(),
        file: path.to_string(),
        imported_ms: now_ms,
        sites: parsed.sites,
        skipped: parsed.skipped,
    })
}

fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn active_count(store: &Store, built_in: &[Site]) -> Result<usize, String> {
    let lists = store
        .read(|tx| tx.site_lists())
        .map_err(|e| e.to_string())?;
    Ok(active(built_in, &lists).len())
}

fn list(store: &Store, built_in: &[Site], with_sites: bool) -> Result<Value, String> {
    let lists = store
        .read(|tx| tx.site_lists())
        .map_err(|e| e.to_string())?;
    let active = active(built_in, &lists);
    let in_use = |source: &str| {
        active
            .iter()
            .filter(|s| s.source.as_str() == source)
            .count()
    };
    let mut rows = vec![json!({
        "source": "skopio",
        "file": "built in",
        "imported_at": Value::Null,
        "sites": built_in.len(),
        "in_use": in_use("skopio"),
        "skipped": 0,
    })];
    for list in &lists {
        rows.push(json!({
            "source": list.source,
            "file": list.file,
            "imported_at": crate::clock::rfc3339(list.imported_ms),
            "sites": list.sites.len(),
            "in_use": in_use(&list.source),
            "skipped": list.skipped.len(),
        }));
    }
    let mut out = json!({"lists": rows, "active_sites": active.len()});
    if with_sites {
        out["sites"] = active
            .iter()
            .map(|s| {
                json!({"name": s.name, "source": s.source.as_str(), "category": s.category,
                       "check_url": s.check_url})
            })
            .collect();
    }
    Ok(out)
}

fn health(store: &Store, built_in: &[Site]) -> Result<Value, String> {
    let (lists, records) = store
        .read(|tx| Ok((tx.site_lists()?, tx.site_health()?)))
        .map_err(|e| e.to_string())?;
    let active = active(built_in, &lists);
    let mut rows: Vec<(bool, f64, Value)> = Vec::new();
    for (site, record) in &records {
        let Some(def) = active.iter().find(|s| &s.name == site) else {
            continue;
        };
        let summary = Summary::of(&record.recent);
        let unknown: serde_json::Map<String, Value> = summary
            .unknown
            .iter()
            .map(|(reason, n)| (reason.as_str().to_string(), json!(n)))
            .collect();
        let ratio = f64::from(summary.unknowns()) / f64::from(summary.total().max(1));
        rows.push((
            summary.flagged(),
            ratio,
            json!({
                "site": site,
                "source": def.source.as_str(),
                "checks": summary.total(),
                "found": summary.found,
                "missing": summary.missing,
                "unknown": unknown,
                "flagged": summary.flagged(),
            }),
        ));
    }
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2["site"].as_str().cmp(&b.2["site"].as_str()))
    });
    let never: Vec<&str> = active
        .iter()
        .filter(|s| !records.iter().any(|(name, _)| name == &s.name))
        .map(|s| s.name.as_str())
        .collect();
    Ok(json!({
        "sites": rows.into_iter().map(|(_, _, v)| v).collect::<Vec<Value>>(),
        "never_checked": never.len(),
    }))
}
