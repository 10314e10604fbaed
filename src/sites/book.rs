//! The site book: the sites scans check, and their health, held in memory by the running
//! server and kept in step with the store.
//!
//! Which sites are checked: Skopio's own list (`data/sites/skopio.json`, built into the
//! binary, so a fresh install works) plus every imported list. A site named in more than
//! one list (`GitHub` is in all three: the same name, or the same request under another
//! name) is checked once, from the first list that has it in this order: Skopio's own
//! (written against the sites' APIs), WhatsMyName (positive content markers), Sherlock
//! (negative signs only). Sites whose definition says the check
//! no longer works (`valid: false`) are left out.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use super::detect::Verdict;
use super::formats;
use super::health::{self, Summary};
use super::{Site, Source};
use crate::store::{SiteHealth, SiteList};

/// Skopio's own site list, in the WhatsMyName format.
const DEFAULT_LIST: &str = include_str!("../../data/sites/skopio.json");

/// Skopio's own list, read from the copy built into the binary.
pub fn default_sites() -> Vec<Site> {
    match formats::parse(DEFAULT_LIST) {
        Ok(parsed) => parsed
            .sites
            .into_iter()
            .map(|mut site| {
                site.source = Source::Skopio;
                site
            })
            .collect(),
        // A test reads the built-in list, so this cannot ship broken.
        Err(_) => Vec::new(),
    }
}

/// The sites a scan checks, given the built-in list and the imported ones.
pub fn active(default: &[Site], imported: &[SiteList]) -> Vec<Site> {
    let rank = |source: &str| match source {
        "whatsmyname" => 1,
        _ => 2,
    };
    let mut lists: Vec<&SiteList> = imported.iter().collect();
    lists.sort_by_key(|l| rank(&l.source));
    let mut names = HashSet::new();
    let mut requests = HashSet::new();
    let mut out = Vec::new();
    let all = default
        .iter()
        .chain(lists.iter().flat_map(|l| l.sites.iter()));
    for site in all {
        // Two entries asking the very same thing (`GitHub` here, `GitHub (User)` there)
        // are one site: checked once, reported once.
        if site.valid
            && !names.contains(&site.name.to_lowercase())
            && requests.insert(request_key(site))
        {
            names.insert(site.name.to_lowercase());
            out.push(site.clone());
        }
    }
    out
}

/// What a site's check asks: method, URL (host and all, in lower case) and body.
pub fn request_key(site: &Site) -> (&'static str, String, String) {
    (
        site.method.as_str(),
        site.check_url.to_lowercase(),
        site.body.clone().unwrap_or_default(),
    )
}

pub struct SiteBook {
    default: Vec<Site>,
    active: RwLock<Arc<Vec<Site>>>,
    health: Mutex<HashMap<String, Vec<u8>>>,
}

impl SiteBook {
    pub fn new(imported: &[SiteList], health: Vec<(String, SiteHealth)>) -> SiteBook {
        SiteBook::with_default(default_sites(), imported, health)
    }

    /// A book whose built-in list is `default` (tests play their own sites).
    pub fn with_default(
        default: Vec<Site>,
        imported: &[SiteList],
        health: Vec<(String, SiteHealth)>,
    ) -> SiteBook {
        let active = active(&default, imported);
        SiteBook {
            default,
            active: RwLock::new(Arc::new(active)),
            health: Mutex::new(health.into_iter().map(|(k, h)| (k, h.recent)).collect()),
        }
    }

    /// The built-in list this book started with.
    pub fn built_in(&self) -> &[Site] {
        &self.default
    }

    /// The sites a scan starting now checks.
    pub fn active(&self) -> Arc<Vec<Site>> {
        Arc::clone(&self.active.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Takes the imported lists as they now are in the store; scans already running keep
    /// the list they started with.
    pub fn set_imported(&self, imported: &[SiteList]) {
        let next = Arc::new(active(&self.default, imported));
        *self.active.write().unwrap_or_else(|p| p.into_inner()) = next;
    }

    /// Records what a scan's checks said, and returns the updated records to store.
    pub fn record<'a>(
        &self,
        outcomes: impl IntoIterator<Item = (&'a str, &'a Verdict)>,
    ) -> Vec<(String, SiteHealth)> {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let mut touched = HashSet::new();
        for (site, verdict) in outcomes {
            if let Some(code) = health::code(verdict) {
                health::push(health.entry(site.to_string()).or_default(), code);
                touched.insert(site.to_string());
            }
        }
        touched
            .into_iter()
            .filter_map(|site| {
                let recent = health.get(&site)?.clone();
                Some((site, SiteHealth { recent }))
            })
            .collect()
    }

    pub fn summary(&self, site: &str) -> Summary {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        health
            .get(site)
            .map(|recent| Summary::of(recent))
            .unwrap_or_default()
    }

    /// Sites whose recent checks timed out, with how many did.
    pub fn slow(&self) -> HashMap<String, u32> {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        health
            .iter()
            .filter_map(|(site, recent)| {
                let summary = Summary::of(recent);
                let timeouts = summary.unknown.get(&super::detect::Unknown::Timeout)?;
                Some((site.clone(), *timeouts))
            })
            .collect()
    }

    /// The flagged sites now, with their record.
    pub fn flagged(&self) -> HashMap<String, Summary> {
        let health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        health
            .iter()
            .map(|(site, recent)| (site.clone(), Summary::of(recent)))
            .filter(|(_, summary)| summary.flagged())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_list_reads_whole() {
        let parsed = formats::parse(DEFAULT_LIST).expect("the built-in list is valid");
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert!(parsed.sites.len() >= 30, "{}", parsed.sites.len());
        assert_eq!(default_sites().len(), parsed.sites.len());
        for site in &parsed.sites {
            assert!(
                !site.known.is_empty(),
                "{} names no known account",
                site.name
            );
        }
    }

    #[test]
    fn a_site_in_several_lists_is_checked_once_from_the_best_one() {
        let mut site = default_sites()[0].clone();
        let name = site.name.clone();
        site.source = Source::Sherlock;
        site.name = name.to_uppercase();
        let sherlock = SiteList {
            source: "sherlock".into(),
            file: "data.json".into(),
            imported_ms: 0,
            sites: vec![site.clone()],
            skipped: Vec::new(),
        };
        let mut broken = site.clone();
        broken.name = "Retired".into();
        broken.valid = false;
        let wmn = SiteList {
            source: "whatsmyname".into(),
            sites: vec![broken],
            ..sherlock.clone()
        };
        let mut renamed = site.clone();
        renamed.name = format!("{name} (User)");
        let mut other = site.clone();
        other.name = "Elsewhere".into();
        other.check_url = "https://elsewhere.test/{account}".into();
        let wmn = SiteList {
            sites: vec![wmn.sites[0].clone(), renamed, other],
            ..wmn
        };
        let active = active(&default_sites(), &[sherlock, wmn]);
        assert_eq!(
            active.len(),
            default_sites().len() + 1,
            "the same name or the same request is one site; only Elsewhere is new"
        );
        let chosen = active.iter().find(|s| s.name.eq_ignore_ascii_case(&name));
        assert_eq!(chosen.map(|s| s.source), Some(Source::Skopio));
    }
}
