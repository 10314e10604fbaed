//! The breach commands as an operator runs them (`skopio breaches …`): builds the
//! request, hands it to `admin::call_breaches` (the running server, or the database
//! directly), shows progress on a terminal, and prints the answer for a person or, with
//! `--json`, as one JSON value. Also opens the index for a foreground `skopio scan`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde_json::Value;

use super::{Format, ImportOptions, Index, Request};
use crate::cli::BreachesCommand;
use crate::config::Config;
use crate::store::{DB_FILE, Store, StoreError};

pub fn run(config: &Config, command: BreachesCommand, json: bool) -> ExitCode {
    let request = match request(command) {
        Ok(request) => request,
        Err(message) => return fail(&message),
    };
    let terminal = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut progress = |value: &Value| {
        if terminal {
            eprint!("\r\x1b[2K{}", progress_line(value));
            let _ = std::io::stderr().flush();
            shown = true;
        }
    };
    let answer = crate::admin::call_breaches(config, &request, &mut progress);
    if shown {
        eprintln!();
    }
    match answer {
        Ok(value) => {
            match json {
                true => println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                ),
                false => print!("{}", human(&request, &value)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("skopio: {message}");
    ExitCode::FAILURE
}

fn request(command: BreachesCommand) -> Result<Request, String> {
    // The server reads the file itself, from its own working directory.
    let absolute = |file: std::path::PathBuf| {
        std::path::absolute(&file).map_err(|e| format!("cannot resolve {}: {e}", file.display()))
    };
    Ok(match command {
        BreachesCommand::ImportCatalog { file } => Request::BreachesImportCatalog {
            path: absolute(file)?,
        },
        BreachesCommand::Import {
            file,
            breach,
            column,
            format,
        } => Request::BreachesImport {
            path: absolute(file)?,
            breach,
            options: ImportOptions {
                format: format.as_deref().and_then(Format::parse),
                column,
            },
        },
        BreachesCommand::List => Request::BreachesList,
        BreachesCommand::Remove { name } => Request::BreachesRemove { name },
    })
}

fn number(value: &Value, field: &str) -> u64 {
    value.get(field).and_then(Value::as_u64).unwrap_or(0)
}

fn text(value: &Value, field: &str) -> String {
    match value.get(field) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | Some(Value::Null) | None => "-".to_string(),
        Some(other) => other.to_string(),
    }
}

/// One line of progress: an import's position in the file and its counts, or a
/// removal's share done.
fn progress_line(value: &Value) -> String {
    if let Some(percent) = value.get("percent") {
        return format!(
            "removing: {percent}% done, {} pairs removed",
            number(value, "removed")
        );
    }
    let total = number(value, "bytes_total").max(1);
    let read = number(value, "bytes_read");
    let seconds = value.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
    let handled = number(value, "imported") + number(value, "duplicates");
    let rate = match seconds > 0.0 {
        true => (handled as f64 / seconds) as u64,
        false => 0,
    };
    format!(
        "{}: {}% of {} MB read, {} new, {} duplicates, {} skipped, {} identifiers/s",
        text(value, "breach"),
        read * 100 / total,
        total / 1_000_000,
        number(value, "imported"),
        number(value, "duplicates"),
        skipped_total(value),
        rate
    )
}

fn skipped_total(value: &Value) -> u64 {
    value
        .get("skipped")
        .and_then(Value::as_object)
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

fn human(request: &Request, value: &Value) -> String {
    match request {
        Request::BreachesImportCatalog { .. } => {
            let skipped = value
                .get("skipped")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = format!(
                "Catalog loaded: {} breaches added, {} updated, {} entries skipped.\n",
                number(value, "added"),
                number(value, "updated"),
                skipped.len()
            );
            for entry in &skipped {
                let field = |k: &str| {
                    entry
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string()
                };
                out += &format!("  skipped {}: {}\n", field("entry"), field("reason"));
            }
            out
        }
        Request::BreachesImport { .. } => {
            let reasons: Vec<String> = value
                .get("skipped")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
                .unwrap_or_default();
            let reasons = match reasons.is_empty() {
                true => String::new(),
                false => format!(" ({})", reasons.join(", ")),
            };
            let mut out = format!(
                "Imported into {} ({}): {} rows read, {} new identifiers, {} duplicates, \
                 {} skipped{reasons}. The breach now holds {} identifiers ({:.1} s).\n",
                text(value, "breach"),
                text(value, "format"),
                number(value, "rows"),
                number(value, "imported"),
                number(value, "duplicates"),
                skipped_total(value),
                number(value, "identifiers"),
                value.get("seconds").and_then(Value::as_f64).unwrap_or(0.0),
            );
            if let Some(why) = value.get("incomplete").and_then(Value::as_str) {
                out += &format!(
                    "Warning: the file ended early ({why}); the rows before that point were \
                     imported. Run the import again on a complete file to add the rest.\n"
                );
            }
            out
        }
        Request::BreachesList => {
            let mut out = format!(
                "{:<24} {:<8} {:>12} {:>12} {:<8} {}\n",
                "NAME", "DATE", "ACCOUNTS", "IDENTIFIERS", "VERIFIED", "TITLE"
            );
            for row in value.as_array().into_iter().flatten() {
                out += &format!(
                    "{:<24} {:<8} {:>12} {:>12} {:<8} {}\n",
                    text(row, "name"),
                    text(row, "date"),
                    number(row, "accounts"),
                    number(row, "identifiers"),
                    text(row, "verified"),
                    text(row, "title"),
                );
            }
            out
        }
        Request::BreachesRemove { .. } => format!(
            "Breach {} removed with its {} identifiers.\n",
            text(value, "name"),
            number(value, "removed")
        ),
    }
}

/// The breach index for a foreground scan: `None` when this data directory has none,
/// an error saying why when it exists but cannot be read (a server holds it).
pub fn index_for_scan(config: &Config) -> Result<Option<Index>, String> {
    let data_dir = &config.storage.data_dir;
    if !data_dir.join(DB_FILE).exists() {
        return Ok(None);
    }
    let store = match Store::open(data_dir) {
        Ok(store) => store,
        Err(StoreError::Locked) => {
            return Err(format!(
                "the database in {} is held by the running server; submit the scan through \
                 the API for a breach check",
                data_dir.display()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let index = Index::open_existing(&store, data_dir).map_err(|e| e.to_string())?;
    Ok(index.filter(Index::populated))
}
