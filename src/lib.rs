//! Skopio: a self-hosted OSINT lookup engine in one binary with one embedded database.
//!
//! Layout, from the outside in:
//! - `cli`, `logging`: the command line and log setup; `main.rs` only calls them.
//! - `app`: starts and stops the running appliance and holds what handlers share.
//! - `api`: the HTTP API on hyper (the only module that touches hyper).
//! - `admin`: operator commands over the data directory's Unix socket.
//! - `auth`, `accounts`, `billing`: keys, customers and credits, quotas.
//! - `breaches`: the local breach index (catalog, identifier imports, lookups).
//! - `scans`, `scheduler`: a scan's life in the store; the queue and the workers.
//! - `engine`: runs recipes and assembles the dossier; `dossier` is its wire shape.
//! - `email`, `phone`, `username`, `target`: the offline analysers and target checks.
//! - `webhooks`: signed deliveries of finished scans, their retries and their log.
//! - `report`: the PDF report and the person card (SVG, PNG), drawn from a dossier.
//! - `outbound`: every outbound HTTP request (the only module that touches ureq);
//!   `netguard`: the addresses webhooks may not reach.
//! - `sites`: site definitions (WhatsMyName and Sherlock formats) and how answers read.
//! - `store`: the redb file (the only module that touches redb).
//! - `config`, `clock`, `ids`, `i18n`: settings, time, identifiers, English and Russian
//!   wording (plurals, numbers, dates).

pub mod accounts;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod billing;
pub mod breaches;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dossier;
pub mod email;
pub mod engine;
pub mod i18n;
pub mod ids;
pub mod logging;
pub mod netguard;
pub mod outbound;
pub mod phone;
pub mod report;
pub mod scans;
pub mod scheduler;
pub mod sites;
pub mod store;
pub mod target;
pub mod username;
pub mod webhooks;
