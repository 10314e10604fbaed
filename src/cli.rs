//! The command line (SPEC sections 2 and 9): `serve`, `scan`, and the operator commands.
//! Each operator command (webhook and delivery commands included) builds an
//! `accounts::Request` and hands it to `admin::call`, then prints the answer as text for a
//! person or, with `--json`, as one JSON value.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::accounts::Request;
use crate::config::Config;
use crate::target::{self, Kind};

/// Like `println!`, but a closed pipe (`skopio customers list | head -1`) ends the output
/// quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Like `print!`, with `outln!`'s tolerance of a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Debug, Parser)]
#[command(name = "skopio", version, about = "Self-hosted OSINT lookup engine")]
pub struct Cli {
    /// Settings file (TOML); without it every setting has its built-in default.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory, overriding `storage.data_dir`.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the appliance: HTTP API, scan workers, admin socket.
    Serve {
        /// Address to listen on, overriding `server.listen`.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Look up one target in the foreground, with no server and no key.
    Scan {
        /// An email address, a phone number (with its country code) or a username.
        target: String,
        /// email, phone or username; inferred from the target when absent.
        #[arg(long)]
        kind: Option<String>,
        /// Language of the written summary: en or ru.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Mint, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// List and inspect customers, change their tier.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Add credits to a customer's balance.
    #[command(subcommand)]
    Credits(CreditsCommand),
    /// Set, rotate or clear a key's webhook.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Inspect webhook deliveries and send one again.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// Fill and inspect the local breach index.
    #[command(subcommand)]
    Breaches(BreachesCommand),
    /// Load site lists and see how the sites answer.
    #[command(subcommand)]
    Sites(SitesCommand),
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Load a site list in the WhatsMyName (wmn-data.json) or Sherlock (data.json)
    /// format, replacing the earlier list of the same format.
    Import { file: PathBuf },
    /// The lists loaded and how many of their sites scans check.
    List {
        /// Also list every site scans check.
        #[arg(long)]
        sites: bool,
    },
    /// Each site's recent outcomes (found, missing, unknown by reason); sites whose
    /// answers are mostly unknown are flagged.
    Health,
    /// Drop an imported list (`whatsmyname` or `sherlock`); the built-in list stays.
    Remove { source: String },
}

#[derive(Debug, Subcommand)]
pub enum BreachesCommand {
    /// Load breach metadata in HIBP's format (a JSON array); re-importing updates in place.
    ImportCatalog { file: PathBuf },
    /// Load the identifiers one breach exposed: text (one a line), CSV with a header, or
    /// JSON Lines, gzip-compressed or not. Only keyed hashes are stored.
    Import {
        file: PathBuf,
        /// The breach's `Name` in the catalog.
        #[arg(long)]
        breach: String,
        /// The CSV column or JSON key holding identifiers (detected when absent).
        #[arg(long)]
        column: Option<String>,
        #[arg(long, value_parser = ["text", "csv", "jsonl"])]
        format: Option<String>,
    },
    /// Every breach with its identifier count.
    List,
    /// Delete a breach and its identifiers.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Mint a key (creating the customer if new); the key is printed once.
    Create {
        /// The customer's name (letters, digits, '.', '_', '-').
        #[arg(long)]
        customer: String,
        /// Tier of a new customer (pro, business, enterprise or one from the config);
        /// default pro. Change an existing customer's tier with `customers set-tier`.
        #[arg(long)]
        tier: Option<String>,
        /// Credits to add to the customer's balance (a ledger entry).
        #[arg(long)]
        credits: Option<i64>,
    },
    /// List keys (never the keys themselves: ids, hints, dates).
    List {
        /// Only this customer's keys.
        #[arg(long)]
        customer: Option<String>,
    },
    /// Revoke a key at once; its customer's other keys keep working.
    Revoke {
        /// The key's id (`key_…`), as `keys list` shows it.
        key_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Every customer with tier, balance, scans in flight and number of keys.
    List,
    /// A customer's tier, balance, quota use, keys and credit ledger.
    Show { name: String },
    /// Move a customer to another tier; takes effect on its next request.
    SetTier { name: String, tier: String },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Send the key's finished scans to URL, signed with a new secret (printed once).
    /// A secret the key had keeps signing for `webhooks.rotation_grace`.
    Set { key_id: String, url: String },
    /// Replace the key's signing secret (printed once); the old one keeps signing for
    /// `webhooks.rotation_grace`.
    Rotate { key_id: String },
    /// Stop sending the key's scans; pending deliveries are cancelled.
    Clear { key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// A key's deliveries, newest first, with every attempt.
    List {
        key_id: String,
        /// Most deliveries shown.
        #[arg(long, default_value_t = crate::webhooks::DEFAULT_LIST_LIMIT)]
        limit: usize,
    },
    /// Send a delivery again at once, with the same id and body.
    Redeliver { delivery_id: String },
}

#[derive(Debug, Subcommand)]
pub enum CreditsCommand {
    /// Add credits to a customer's balance (a ledger entry).
    Add { name: String, amount: i64 },
}

pub fn run(cli: Cli) -> ExitCode {
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(dir) = cli.data_dir {
        config.storage.data_dir = dir;
    }
    let request = match cli.command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            return serve(config);
        }
        Command::Scan { target, kind, lang } => return scan(config, &target, kind, lang, cli.json),
        Command::Breaches(command) => return crate::breaches::cli::run(&config, command, cli.json),
        Command::Sites(command) => return crate::sites::cli::run(&config, command, cli.json),
        Command::Keys(KeysCommand::Create {
            customer,
            tier,
            credits,
        }) => Request::KeysCreate {
            customer,
            tier,
            credits,
        },
        Command::Keys(KeysCommand::List { customer }) => Request::KeysList { customer },
        Command::Keys(KeysCommand::Revoke { key_id }) => Request::KeysRevoke { key_id },
        Command::Customers(CustomersCommand::List) => Request::CustomersList,
        Command::Customers(CustomersCommand::Show { name }) => Request::CustomersShow { name },
        Command::Customers(CustomersCommand::SetTier { name, tier }) => {
            Request::CustomersSetTier { name, tier }
        }
        Command::Credits(CreditsCommand::Add { name, amount }) => {
            Request::CreditsAdd { name, amount }
        }
        Command::Webhook(WebhookCommand::Set { key_id, url }) => {
            Request::WebhookSet { key_id, url }
        }
        Command::Webhook(WebhookCommand::Rotate { key_id }) => Request::WebhookRotate { key_id },
        Command::Webhook(WebhookCommand::Clear { key_id }) => Request::WebhookClear { key_id },
        Command::Deliveries(DeliveriesCommand::List { key_id, limit }) => Request::DeliveriesList {
            key_id,
            limit: Some(limit),
        },
        Command::Deliveries(DeliveriesCommand::Redeliver { delivery_id }) => {
            Request::DeliveriesRedeliver { delivery_id }
        }
    };
    match crate::admin::call(&config, &request) {
        Ok(value) => {
            match cli.json {
                true => outln!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                ),
                false => out!("{}", human(&request, &value)),
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

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn serve(config: Config) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let writer_thread = runtime.block_on(async {
        let running = crate::app::start(config, crate::app::Options::default()).await?;
        outln!("skopio listening on http://{}", running.addr);
        Ok::<_, crate::app::StartError>(running.run_until_signal().await)
    });
    // Dropping the runtime drops every task and with them the last handles on the writer,
    // whose thread then ends and closes the database cleanly.
    drop(runtime);
    match writer_thread {
        Ok(thread) => {
            thread.join();
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn scan(config: Config, raw: &str, kind: Option<String>, lang: String, json: bool) -> ExitCode {
    let kind = match kind.as_deref() {
        None => target::infer(raw.trim()),
        Some(text) => match Kind::parse(text) {
            Some(kind) => kind,
            None => {
                return fail(&format!(
                    "unknown kind {text:?}: use email, phone or username"
                ));
            }
        },
    };
    if !crate::engine::summary::LANGS.contains(&lang.as_str()) {
        return fail(&format!("unknown language {lang:?}: use en or ru"));
    }
    let target = match target::validate(raw, kind) {
        Ok(target) => target,
        Err(e) => return fail(&e.to_string()),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let settings = crate::engine::EngineSettings::of(&config);
    let presence = match site_checks_for_scan(&config) {
        Ok(presence) => presence,
        Err(e) => return fail(&e),
    };
    // The engine's analysers need no store; the breach index does, and is consulted when
    // the database can be opened (no server holds it).
    let index = match crate::breaches::cli::index_for_scan(&config) {
        Ok(index) => index,
        Err(reason) => {
            eprintln!("skopio: the breach index was not consulted: {reason}");
            None
        }
    };
    let engine = crate::engine::Engine::full(settings, index, Some(presence));
    let engine = match crate::engine::llm::SummaryModel::from_config(&config) {
        Ok(model) => engine.with_summary_model(model),
        Err(e) => return fail(&format!("the summary endpoint: {e}")),
    };
    let input = crate::engine::ScanInput::new(target, kind, lang);
    let dossier = runtime.block_on(engine.run(input));
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&dossier).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    outln!("{}", dossier.ai_summary);
    outln!();
    outln!("risk: {} ({})", dossier.risk.score, dossier.risk.band);
    for factor in &dossier.risk.factors {
        outln!("  +{:<3} {}: {}", factor.weight, factor.name, factor.detail);
    }
    outln!("recipes:");
    for run in &dossier.recipes {
        let status = serde_json::to_value(run.status).unwrap_or_default();
        let status = status.as_str().unwrap_or("?").to_string();
        outln!(
            "  {:<16} {:<8} {:>5} ms  {}",
            run.name,
            status,
            run.duration_ms,
            run.note
        );
    }
    outln!("findings:");
    for finding in &dossier.findings {
        outln!("  {:<28} {}", finding.code, finding.detail);
    }
    if let Some(phone) = &dossier.phone_profile {
        outln!(
            "phone: {}",
            serde_json::to_string_pretty(phone).unwrap_or_default()
        );
    }
    ExitCode::SUCCESS
}

fn text(value: &Value, field: &str) -> String {
    match value.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".to_string(),
        Some(other) => other.to_string(),
    }
}

/// The answer to an operator command, written for a person.
fn human(request: &Request, value: &Value) -> String {
    let rows = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match request {
        Request::KeysCreate { .. } => format!(
            "Created key {} for customer {} (tier {}, balance {}).\n\
             Key, shown this once; store it now:\n{}\n",
            text(value, "key_id"),
            text(value, "customer"),
            text(value, "tier"),
            text(value, "balance"),
            text(value, "key"),
        ),
        Request::KeysList { .. } => {
            let mut out = format!(
                "{:<22} {:<20} {:<22} {:<22} {}\n",
                "KEY ID", "CUSTOMER", "HINT", "CREATED", "REVOKED"
            );
            for key in rows(value) {
                out += &format!(
                    "{:<22} {:<20} {:<22} {:<22} {}\n",
                    text(&key, "key_id"),
                    text(&key, "customer"),
                    text(&key, "hint"),
                    text(&key, "created_at"),
                    text(&key, "revoked_at"),
                );
            }
            out
        }
        Request::KeysRevoke { .. } => {
            format!(
                "Key {} revoked at {}.\n",
                text(value, "key_id"),
                text(value, "revoked_at")
            )
        }
        Request::CustomersList => {
            let mut out = format!(
                "{:<24} {:<12} {:>10} {:>9} {:>5}\n",
                "NAME", "TIER", "BALANCE", "INFLIGHT", "KEYS"
            );
            for c in rows(value) {
                out += &format!(
                    "{:<24} {:<12} {:>10} {:>9} {:>5}\n",
                    text(&c, "name"),
                    text(&c, "tier"),
                    text(&c, "balance"),
                    text(&c, "inflight"),
                    text(&c, "keys"),
                );
            }
            out
        }
        Request::CustomersShow { .. } => {
            let mut out = format!(
                "Customer {}: tier {}, balance {}, since {}\n",
                text(value, "name"),
                text(value, "tier"),
                text(value, "balance"),
                text(value, "created_at"),
            );
            if let Some(quota) = value.get("quota").filter(|q| !q.is_null()) {
                for window in ["hour", "day", "inflight"] {
                    let w = &quota[window];
                    out += &format!(
                        "  {window:<9} {} of {} used\n",
                        text(w, "used"),
                        text(w, "limit")
                    );
                }
            }
            out += "Keys:\n";
            for key in rows(&value["keys"]) {
                out += &format!(
                    "  {} {} created {} revoked {}\n",
                    text(&key, "key_id"),
                    text(&key, "hint"),
                    text(&key, "created_at"),
                    text(&key, "revoked_at")
                );
            }
            out += &format!(
                "Ledger:\n  {:<5} {:<21} {:<8} {:>7} {:>8}  {}\n",
                "SEQ", "AT", "KIND", "AMOUNT", "BALANCE", "SCAN"
            );
            for entry in rows(&value["ledger"]) {
                out += &format!(
                    "  {:<5} {:<21} {:<8} {:>7} {:>8}  {}\n",
                    text(&entry, "seq"),
                    text(&entry, "at"),
                    text(&entry, "kind"),
                    text(&entry, "amount"),
                    text(&entry, "balance_after"),
                    text(&entry, "scan_id"),
                );
            }
            out
        }
        Request::CustomersSetTier { .. } => {
            format!(
                "Customer {} is now on tier {}.\n",
                text(value, "name"),
                text(value, "tier")
            )
        }
        Request::CreditsAdd { .. } => {
            format!(
                "Customer {} now has {} credits.\n",
                text(value, "name"),
                text(value, "balance")
            )
        }
        Request::WebhookSet { .. } | Request::WebhookRotate { .. } => {
            let mut out = format!(
                "Webhook of key {} sends to {}.\nSigning secret, shown this once; store it \
                 now:\n{}\n",
                text(value, "key_id"),
                text(value, "url"),
                text(value, "secret"),
            );
            if let Some(until) = value["previous_secret_valid_until"].as_str() {
                out += &format!("The previous secret also signs deliveries until {until}.\n");
            }
            out
        }
        Request::WebhookClear { .. } => {
            format!("Webhook of key {} cleared.\n", text(value, "key_id"))
        }
        Request::DeliveriesList { .. } => {
            let mut out = String::new();
            for delivery in rows(value) {
                out += &delivery_lines(&delivery);
            }
            if out.is_empty() {
                out = "No deliveries.\n".to_string();
            }
            out
        }
        Request::DeliveriesRedeliver { .. } => format!(
            "Delivery {} is due again now.\n{}",
            text(value, "delivery_id"),
            delivery_lines(value)
        ),
    }
}

/// The site checks of a foreground scan: the built-in list plus the lists imported into
/// this data directory when its database can be read (a running server holds it, and
/// then only the built-in list is used, as stderr says).
fn site_checks_for_scan(config: &Config) -> Result<crate::engine::presence::UsernameSites, String> {
    let data_dir = &config.storage.data_dir;
    let mut lists = Vec::new();
    if data_dir.join(crate::store::DB_FILE).exists() {
        match crate::store::Store::open(data_dir).and_then(|s| s.read(|tx| tx.site_lists())) {
            Ok(found) => lists = found,
            Err(e) => eprintln!("skopio: imported site lists not used: {e}"),
        }
    }
    let outbound =
        crate::outbound::Outbound::new(&config.engine.http).map_err(|e| e.to_string())?;
    let book = crate::sites::book::SiteBook::new(&lists, Vec::new());
    Ok(crate::engine::presence::UsernameSites::new(
        std::sync::Arc::new(outbound),
        std::sync::Arc::new(book),
        None,
        crate::app::site_deadline(config),
    ))
}

/// One delivery and its attempts, for `deliveries list`.
fn delivery_lines(delivery: &Value) -> String {
    let mut out = format!(
        "{} {} {} scan {} created {}\n",
        text(delivery, "delivery_id"),
        text(delivery, "state"),
        text(delivery, "event"),
        text(delivery, "scan_id"),
        text(delivery, "created_at"),
    );
    for attempt in delivery["attempts"].as_array().cloned().unwrap_or_default() {
        out += &format!(
            "  {} status {} in {} ms{}{}\n",
            text(&attempt, "at"),
            text(&attempt, "status"),
            text(&attempt, "latency_ms"),
            attempt["error"]
                .as_str()
                .map(|e| format!(": {e}"))
                .unwrap_or_default(),
            attempt["answer"]
                .as_str()
                .filter(|a| !a.is_empty())
                .map(|a| format!(" answer {a:?}"))
                .unwrap_or_default(),
        );
    }
    if let Some(next) = delivery["next_attempt_at"].as_str() {
        out += &format!("  next attempt at {next}\n");
    }
    out
}
