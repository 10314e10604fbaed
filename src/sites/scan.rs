//! Checking one username across many sites at once: every check runs concurrently (the
//! outbound layer bounds how many are in flight), the whole run has a deadline that no
//! site can hold it past, and the verdicts become profiles with their confidence and
//! evidence, plus counts of each unknown reason for the recipe's note.
//!
//! Verified or weak (SPEC section 5): a profile is **verified** when the site's own
//! positive marker matched (not the status alone) and the username is the target's own;
//! it is **weak** when found by username echo alone (a site whose definition names no
//! positive marker) or when the username was derived (an email's local part). Confidence:
//! marker and echo 0.95, marker 0.85, echo alone 0.6; a derived username scales it by 0.6.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Site;
use super::check::{Checked, check};
use super::detect::{Evidence, Unknown, Verdict};
use crate::dossier::Profile;
use crate::outbound::Outbound;

/// What a run over many sites found.
#[derive(Debug, Default)]
pub struct SitesReport {
    pub verified: Vec<Profile>,
    pub weak: Vec<Profile>,
    pub missing: usize,
    pub unknown: BTreeMap<Unknown, usize>,
    /// Sites still unanswered at the deadline (counted as `timeout` in `unknown` too).
    pub cut_at_deadline: usize,
    pub checked: Vec<Checked>,
    pub elapsed: Duration,
}

impl SitesReport {
    /// One line for the recipe's note: how many sites said what.
    pub fn note(&self) -> String {
        let found = self.verified.len() + self.weak.len();
        let unknown: usize = self.unknown.values().sum();
        let mut note = format!(
            "{} sites checked: {found} found ({} verified, {} weak), {} missing, {unknown} unknown",
            self.checked.len(),
            self.verified.len(),
            self.weak.len(),
            self.missing
        );
        if unknown > 0 {
            let parts: Vec<String> = self
                .unknown
                .iter()
                .map(|(reason, n)| format!("{} {n}", reason.as_str()))
                .collect();
            note.push_str(&format!(" ({})", parts.join(", ")));
        }
        note
    }
}

/// How the username came to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The target itself.
    Target,
    /// Derived from another identifier (an email's local part); never verified alone.
    Derived,
}

pub async fn scan(
    outbound: Arc<Outbound>,
    sites: Arc<Vec<Site>>,
    username: &str,
    origin: Origin,
    deadline: Duration,
) -> SitesReport {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for idx in 0..sites.len() {
        let (outbound, sites, username) = (
            Arc::clone(&outbound),
            Arc::clone(&sites),
            username.to_string(),
        );
        tasks.spawn(async move { (idx, check(&outbound, &sites[idx], &username).await) });
    }
    let mut done: Vec<Option<Checked>> = vec![None; sites.len()];
    let stop = tokio::time::sleep(deadline);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(Ok((idx, checked))) => done[idx] = Some(checked),
                Some(Err(_)) => {}
                None => break,
            },
            _ = &mut stop => {
                tasks.abort_all();
                break;
            }
        }
    }
    let mut report = SitesReport {
        elapsed: started.elapsed(),
        ..SitesReport::default()
    };
    for (idx, checked) in done.into_iter().enumerate() {
        let checked = checked.unwrap_or_else(|| {
            report.cut_at_deadline += 1;
            Checked {
                site: sites[idx].name.clone(),
                url: sites[idx].profile_url_for(username),
                verdict: Verdict::Unknown(
                    Unknown::Timeout,
                    "no answer by the scan's deadline".into(),
                ),
            }
        });
        match &checked.verdict {
            Verdict::Found(evidence) => {
                let profile = profile(&sites[idx], &checked, username, evidence, origin);
                match origin == Origin::Target && evidence.contains(&Evidence::ContentMarker) {
                    true => report.verified.push(profile),
                    false => report.weak.push(profile),
                }
            }
            Verdict::Missing => report.missing += 1,
            Verdict::Unknown(reason, _) => *report.unknown.entry(*reason).or_default() += 1,
        }
        report.checked.push(checked);
    }
    report
}

fn profile(
    site: &Site,
    checked: &Checked,
    username: &str,
    evidence: &[Evidence],
    origin: Origin,
) -> Profile {
    let marker = evidence.contains(&Evidence::ContentMarker);
    let echo = evidence.contains(&Evidence::UsernameEcho);
    let mut confidence = match (marker, echo) {
        (true, true) => 0.95,
        (true, false) => 0.85,
        (false, _) => 0.6,
    };
    let mut notes: Vec<String> = evidence.iter().map(|e| e.as_str().to_string()).collect();
    if origin == Origin::Derived {
        confidence *= 0.6;
        notes.push("derived username".to_string());
    }
    if !marker {
        notes.push("the site's definition names no positive marker".to_string());
    }
    Profile {
        site: site.name.clone(),
        url: checked.url.clone(),
        username: username.to_string(),
        category: site.category.clone(),
        confidence,
        evidence: notes,
        source: match origin {
            Origin::Target => "target".to_string(),
            Origin::Derived => "derived".to_string(),
        },
    }
}
