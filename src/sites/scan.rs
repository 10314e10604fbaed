//! Checking one username across many sites at once: every check runs concurrently (the
//! outbound layer bounds how many are in flight), the whole run has a deadline that no
//! site can hold it past, and the verdicts become profiles with their confidence and
//! evidence, contacts from the pages of verified profiles, and counts of each unknown
//! reason for the recipe's note.
//!
//! **Verified or weak** (SPEC section 5). A found account is **verified** when all hold:
//! the site's own positive marker matched (not the status alone, not the username echo
//! alone); the site is not flagged for mostly unknown answers lately (`health`); and the
//! account is this very target's, because the username is the target itself, or the page
//! names the identity looked up (an email target's address), or the page lists a contact
//! that a verified profile's page also lists ("corroborated by another finding"). Every
//! other found account is **weak**: found by username echo alone (a Sherlock site, which
//! names no positive marker), found under a derived username (an email's local part) with
//! nothing tying it to the target, or found on a flagged site.
//!
//! **Confidence**: marker and echo 0.95, marker alone 0.85, echo alone 0.6; times 0.6 for
//! a derived username with nothing tying it to the target; times 0.5 on a flagged site.
//!
//! Contacts are taken only from verified profiles' pages: a weak profile may be a
//! stranger's, and a stranger's address in the dossier would send an analyst astray.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Site;
use super::check::{Checked, PageFacts, check};
use super::contacts::PageContact;
use super::detect::{Evidence, Unknown, Verdict};
use super::health::Summary;
use crate::dossier::Profile;
use crate::outbound::Outbound;

/// Evidence lines, as they appear in a profile's `evidence`.
pub const IDENTITY_ON_PAGE: &str = "identity found on the page";
pub const DERIVED: &str = "derived username";
pub const NO_MARKER: &str = "status and username echo only: the site's definition names no \
                             positive marker";

/// What a run over many sites found.
#[derive(Debug, Default)]
pub struct SitesReport {
    pub verified: Vec<Profile>,
    pub weak: Vec<Profile>,
    /// Contacts listed on verified profiles' pages, with the profile that listed them.
    pub contacts: Vec<(PageContact, String)>,
    pub missing: usize,
    pub unknown: BTreeMap<Unknown, usize>,
    /// Sites still unanswered at the deadline (counted as `timeout` in `unknown` too).
    pub cut_at_deadline: usize,
    /// Flagged sites that reported an account (made weak for it).
    pub flagged_found: Vec<String>,
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
        if !self.flagged_found.is_empty() {
            note.push_str(&format!(
                "; not trusted alone, as their recent answers are mostly unknown: {}",
                self.flagged_found.join(", ")
            ));
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

/// One run: a username, where it came from, and what the run may take.
#[derive(Clone)]
pub struct Request {
    pub username: String,
    pub origin: Origin,
    /// The profiles' `source`: `target`, or where a derived username came from.
    pub source: String,
    /// Looked for on found pages (an email target's address).
    pub identity: Option<String>,
    pub deadline: Duration,
    /// Sites whose recent answers are mostly unknown, with their record.
    pub flagged: Arc<HashMap<String, Summary>>,
    /// Sites that timed out lately, with how often: they are asked first, so that their
    /// slow answers overlap the rest of the run instead of starting at its end.
    pub slow: Arc<HashMap<String, u32>>,
    /// Called once for each site check that ends (progress).
    pub on_check: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Request {
    /// A run for `username` as the target itself, with nothing flagged.
    pub fn target(username: &str, deadline: Duration) -> Request {
        Request {
            username: username.to_string(),
            origin: Origin::Target,
            source: "target".to_string(),
            identity: None,
            deadline,
            flagged: Arc::new(HashMap::new()),
            slow: Arc::new(HashMap::new()),
            on_check: None,
        }
    }
}

pub async fn scan(outbound: Arc<Outbound>, sites: Arc<Vec<Site>>, request: Request) -> SitesReport {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    // Tasks start in the order they are spawned, and the outbound layer hands out its
    // permits first come, first served: the slowest sites go first.
    let mut order: Vec<usize> = (0..sites.len()).collect();
    order.sort_by_key(|&idx| {
        std::cmp::Reverse(request.slow.get(&sites[idx].name).copied().unwrap_or(0))
    });
    for idx in order {
        let (outbound, sites) = (Arc::clone(&outbound), Arc::clone(&sites));
        let (username, identity) = (request.username.clone(), request.identity.clone());
        let on_check = request.on_check.clone();
        tasks.spawn(async move {
            let checked = check(&outbound, &sites[idx], &username, identity.as_deref()).await;
            if let Some(on_check) = on_check {
                on_check();
            }
            (idx, checked)
        });
    }
    let mut done: Vec<Option<Checked>> = vec![None; sites.len()];
    let stop = tokio::time::sleep(request.deadline);
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
    let mut found: Vec<Placed> = Vec::new();
    for (idx, checked) in done.into_iter().enumerate() {
        let checked = checked.unwrap_or_else(|| {
            report.cut_at_deadline += 1;
            if let Some(on_check) = &request.on_check {
                on_check();
            }
            Checked {
                site: sites[idx].name.clone(),
                url: sites[idx].profile_url_for(&request.username),
                verdict: Verdict::Unknown(
                    Unknown::Timeout,
                    "no answer by the scan's deadline".into(),
                ),
                page: PageFacts::default(),
            }
        });
        match &checked.verdict {
            Verdict::Found(evidence) => {
                let flagged = request.flagged.get(&sites[idx].name).cloned();
                if flagged.is_some() {
                    report.flagged_found.push(sites[idx].name.clone());
                }
                found.push(Placed::new(&sites[idx], &checked, evidence, flagged));
            }
            Verdict::Missing => report.missing += 1,
            Verdict::Unknown(reason, _) => *report.unknown.entry(*reason).or_default() += 1,
        }
        report.checked.push(checked);
    }
    place(&mut found, request.origin);
    for placed in found {
        let verified = placed.verified;
        if verified {
            for contact in &placed.contacts {
                let listed_by = format!("{} profile {}", placed.site, placed.url);
                if !report.contacts.iter().any(|(c, _)| c == contact) {
                    report.contacts.push((contact.clone(), listed_by));
                }
            }
        }
        let profile = placed.into_profile(&request);
        match verified {
            true => report.verified.push(profile),
            false => report.weak.push(profile),
        }
    }
    report
}

/// A found account on its way to a group.
struct Placed {
    site: String,
    url: String,
    category: String,
    marker: bool,
    echo: bool,
    names_identity: bool,
    contacts: Vec<PageContact>,
    flagged: Option<Summary>,
    /// The profile whose shared contact corroborates this one, and the contact.
    corroborated_by: Option<(String, String)>,
    verified: bool,
}

impl Placed {
    fn new(
        site: &Site,
        checked: &Checked,
        evidence: &[Evidence],
        flagged: Option<Summary>,
    ) -> Placed {
        Placed {
            site: site.name.clone(),
            url: checked.url.clone(),
            category: site.category.clone(),
            marker: evidence.contains(&Evidence::ContentMarker),
            echo: evidence.contains(&Evidence::UsernameEcho),
            names_identity: checked.page.names_identity,
            contacts: checked.page.contacts.clone(),
            flagged,
            corroborated_by: None,
            verified: false,
        }
    }

    fn tied_to_target(&self, origin: Origin) -> bool {
        origin == Origin::Target || self.names_identity || self.corroborated_by.is_some()
    }

    fn into_profile(self, request: &Request) -> Profile {
        let mut evidence = Vec::new();
        if self.marker {
            evidence.push(Evidence::ContentMarker.as_str().to_string());
        }
        if self.echo {
            evidence.push(Evidence::UsernameEcho.as_str().to_string());
        }
        if !self.marker {
            evidence.push(NO_MARKER.to_string());
        }
        if self.names_identity {
            evidence.push(IDENTITY_ON_PAGE.to_string());
        }
        if let Some((site, contact)) = &self.corroborated_by {
            evidence.push(format!(
                "corroborated by another finding: lists {contact}, as the {site} profile does"
            ));
        }
        if request.origin == Origin::Derived {
            evidence.push(DERIVED.to_string());
        }
        let mut confidence = match (self.marker, self.echo) {
            (true, true) => 0.95,
            (true, false) => 0.85,
            (false, _) => 0.6,
        };
        if !self.tied_to_target(request.origin) {
            confidence *= 0.6;
        }
        if let Some(summary) = &self.flagged {
            evidence.push(format!(
                "the site is not trusted alone lately: {}",
                summary.describe()
            ));
            confidence *= 0.5;
        }
        Profile {
            site: self.site,
            url: self.url,
            username: request.username.clone(),
            category: self.category,
            confidence: (confidence * 100.0_f64).round() / 100.0,
            evidence,
            source: request.source.clone(),
        }
    }
}

/// Sorts found accounts into verified and weak (the rule atop this file): first on their
/// own evidence, then, until nothing changes, by contacts shared with a verified one.
fn place(found: &mut [Placed], origin: Origin) {
    let eligible = |p: &Placed| p.marker && p.flagged.is_none();
    for placed in found.iter_mut() {
        placed.verified = eligible(placed) && placed.tied_to_target(origin);
    }
    loop {
        let mut changed = false;
        for idx in 0..found.len() {
            if found[idx].verified || found[idx].flagged.is_some() || found[idx].contacts.is_empty()
            {
                continue;
            }
            let witness = found.iter().filter(|p| p.verified).find_map(|p| {
                let shared = p
                    .contacts
                    .iter()
                    .find(|c| found[idx].contacts.contains(c))?;
                Some((p.site.clone(), shared.value.clone()))
            });
            if let Some(witness) = witness {
                let placed = &mut found[idx];
                placed.corroborated_by = Some(witness);
                // A corroborated echo-only account is tied to the target by two signals.
                placed.verified = placed.marker || placed.echo;
                changed |= placed.verified;
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::contacts::ContactKind;

    fn placed(site: &str, marker: bool, echo: bool, contacts: &[&str]) -> Placed {
        Placed {
            site: site.to_string(),
            url: format!("https://{site}.test/u"),
            category: "social".to_string(),
            marker,
            echo,
            names_identity: false,
            contacts: contacts
                .iter()
                .map(|c| PageContact {
                    kind: ContactKind::Email,
                    value: c.to_string(),
                })
                .collect(),
            flagged: None,
            corroborated_by: None,
            verified: false,
        }
    }

    fn groups(found: &[Placed]) -> Vec<(&str, bool)> {
        found
            .iter()
            .map(|p| (p.site.as_str(), p.verified))
            .collect()
    }

    #[test]
    fn a_shared_contact_corroborates_an_account_step_by_step() {
        // Derived usernames: nothing is verified on its own; the page naming the address
        // is, and then whatever shares a contact with it, and so on.
        let mut found = vec![
            placed("echo", false, true, &["b@proton.me"]),
            placed("marker", true, true, &["a@proton.me", "b@proton.me"]),
            placed("named", true, false, &["a@proton.me"]),
            placed("stranger", true, true, &["c@proton.me"]),
        ];
        found[2].names_identity = true;
        place(&mut found, Origin::Derived);
        assert_eq!(
            groups(&found),
            [
                ("echo", true),
                ("marker", true),
                ("named", true),
                ("stranger", false)
            ]
        );
        assert_eq!(
            found[0].corroborated_by,
            Some(("marker".to_string(), "b@proton.me".to_string()))
        );
        let request = Request {
            origin: Origin::Derived,
            ..Request::target("jane", Duration::from_secs(1))
        };
        let profile = found.remove(0).into_profile(&request);
        assert!(
            profile
                .evidence
                .iter()
                .any(|e| e.starts_with("corroborated"))
        );
        assert_eq!(profile.confidence, 0.6, "corroborated: no derived discount");
        let stranger = found.pop().unwrap().into_profile(&request);
        assert_eq!(
            stranger.confidence, 0.57,
            "0.95 × 0.6 for a derived username"
        );
    }

    #[test]
    fn a_flagged_site_or_a_missing_marker_is_never_verified() {
        let mut found = vec![
            placed("flagged", true, true, &[]),
            placed("echo-only", false, true, &[]),
            placed("target", true, false, &[]),
        ];
        found[0].flagged = Some(Summary::default());
        place(&mut found, Origin::Target);
        assert_eq!(
            groups(&found),
            [("flagged", false), ("echo-only", false), ("target", true)]
        );
    }
}
