//! The site commands as an operator runs them (`skopio sites …`): builds the request,
//! hands it to `admin::call_sites` (the running server, or the database directly), and
//! prints the answer for a person or, with `--json`, as one JSON value.

use std::process::ExitCode;

use serde_json::Value;

use super::ops::Request;
use crate::cli::SitesCommand;
use crate::config::Config;

pub fn run(config: &Config, command: SitesCommand, json: bool) -> ExitCode {
    let request = match command {
        SitesCommand::Import { file } => match std::path::absolute(&file) {
            // The server reads the file itself, from its own working directory.
            Ok(path) => Request::SitesImport {
                path: path.display().to_string(),
            },
            Err(e) => return fail(&format!("cannot resolve {}: {e}", file.display())),
        },
        SitesCommand::List { sites } => Request::SitesList { sites },
        SitesCommand::Health => Request::SitesHealth,
        SitesCommand::Remove { source } => Request::SitesRemove { source },
    };
    match crate::admin::call_sites(config, &request) {
        Ok(value) => {
            let text = match json {
                true => serde_json::to_string_pretty(&value).unwrap_or_default() + "\n",
                false => human(&request, &value),
            };
            // A closed pipe (`skopio sites health | head`) ends the output quietly.
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("skopio: {message}");
    ExitCode::FAILURE
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn human(request: &Request, value: &Value) -> String {
    let mut out = String::new();
    match request {
        Request::SitesImport { .. } => {
            out.push_str(&format!(
                "{} list {}: {} sites read, {} skipped; scans now check {} sites\n",
                text(value, "source"),
                match value["replaced"].as_bool() {
                    Some(true) => "replaced",
                    _ => "imported",
                },
                number(value, "sites"),
                value["skipped"].as_array().map_or(0, Vec::len),
                number(value, "active_sites"),
            ));
            for skipped in value["skipped"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "  skipped {}: {}\n",
                    text(skipped, "name"),
                    text(skipped, "reason")
                ));
            }
        }
        Request::SitesRemove { .. } => out.push_str(&format!(
            "{} list removed; scans now check {} sites\n",
            text(value, "removed"),
            number(value, "active_sites")
        )),
        Request::SitesList { .. } => {
            out.push_str(&format!(
                "{:<12} {:>6} {:>7} {:>8}  {:<25} file\n",
                "source", "sites", "in use", "skipped", "imported"
            ));
            for list in value["lists"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "{:<12} {:>6} {:>7} {:>8}  {:<25} {}\n",
                    text(list, "source"),
                    number(list, "sites"),
                    number(list, "in_use"),
                    number(list, "skipped"),
                    list["imported_at"].as_str().unwrap_or("-"),
                    text(list, "file"),
                ));
            }
            out.push_str(&format!(
                "scans check {} sites (a site in several lists is checked once)\n",
                number(value, "active_sites")
            ));
            for site in value["sites"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "  {:<32} {:<12} {}\n",
                    text(site, "name"),
                    text(site, "source"),
                    text(site, "category")
                ));
            }
        }
        Request::SitesHealth => {
            let rows = value["sites"].as_array().cloned().unwrap_or_default();
            if rows.is_empty() {
                out.push_str("no site has been checked yet\n");
            } else {
                out.push_str(&format!(
                    "{:<32} {:>6} {:>6} {:>8} {:>8}  unknown by reason\n",
                    "site", "checks", "found", "missing", "unknown"
                ));
            }
            for row in &rows {
                let unknown = row["unknown"].as_object().cloned().unwrap_or_default();
                let total: u64 = unknown.values().filter_map(Value::as_u64).sum();
                let reasons: Vec<String> =
                    unknown.iter().map(|(k, v)| format!("{k} {v}")).collect();
                out.push_str(&format!(
                    "{:<32} {:>6} {:>6} {:>8} {:>8}  {}{}\n",
                    text(row, "site"),
                    number(row, "checks"),
                    number(row, "found"),
                    number(row, "missing"),
                    total,
                    reasons.join(", "),
                    match row["flagged"].as_bool() {
                        Some(true) => "  FLAGGED: mostly unknown, not trusted alone",
                        _ => "",
                    }
                ));
            }
            out.push_str(&format!(
                "{} sites not checked yet\n",
                number(value, "never_checked")
            ));
        }
    }
    out
}
