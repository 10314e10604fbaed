//! The `username.sites` recipe: is there an account under this username on each site of
//! the site book? A username target is checked as itself; an email target's local part
//! (without a `+tag`, and also without its `.`, `_` or `-` when it has them) is checked as
//! a derived username, whose accounts stay weak unless their page ties them to the
//! address. Every site check counts as a step of the scan's progress, the run ends by
//! its deadline whatever the sites do, and each check's outcome goes into the site's
//! health record.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use crate::dossier::{Contact, Finding};
use crate::outbound::Outbound;
use crate::sites::book::SiteBook;
use crate::sites::contacts::ContactKind;
use crate::sites::scan::{Origin, Request, SitesReport, scan};
use crate::store::Writer;
use crate::target::Kind;

pub struct UsernameSites {
    outbound: Arc<Outbound>,
    book: Arc<SiteBook>,
    /// Where health records are saved; `None` in a foreground `skopio scan`.
    writer: Option<Writer>,
    /// How long a run may take, whatever the sites do.
    deadline: Duration,
}

impl UsernameSites {
    pub fn new(
        outbound: Arc<Outbound>,
        book: Arc<SiteBook>,
        writer: Option<Writer>,
        deadline: Duration,
    ) -> UsernameSites {
        UsernameSites {
            outbound,
            book,
            writer,
            deadline,
        }
    }
}

/// The usernames an email's local part suggests, most literal first.
pub fn local_part_usernames(email: &str) -> Vec<String> {
    let Some((local, _)) = email.rsplit_once('@') else {
        return Vec::new();
    };
    let local = local.split('+').next().unwrap_or(local).to_lowercase();
    let joined: String = local.chars().filter(|c| !".-_".contains(*c)).collect();
    let mut out = Vec::new();
    for candidate in [local, joined] {
        // Fewer than three letters or digits names nobody in particular.
        let usable = candidate.chars().filter(|c| c.is_alphanumeric()).count() >= 3
            && crate::target::validate(&candidate, Kind::Username).is_ok();
        if usable && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

impl Recipe for UsernameSites {
    fn name(&self) -> &'static str {
        "username.sites"
    }

    fn applies_to(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Username | Kind::Email)
    }

    fn needs_network(&self) -> bool {
        true
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        let (outbound, book) = (Arc::clone(&self.outbound), Arc::clone(&self.book));
        let (writer, deadline) = (self.writer.clone(), self.deadline);
        Box::pin(async move {
            let sites = book.active();
            if sites.is_empty() {
                return Err("no site list is loaded".to_string());
            }
            let (usernames, origin, identity) = match input.kind {
                Kind::Email => (
                    local_part_usernames(&input.target),
                    Origin::Derived,
                    Some(input.target.clone()),
                ),
                // `@alice` is how people write the handle `alice`; sites know it without
                // the sign (the username analysis reads it so too).
                _ => {
                    let handle = input.target.strip_prefix('@').unwrap_or(&input.target);
                    (vec![handle.to_string()], Origin::Target, None)
                }
            };
            if usernames.is_empty() {
                let mut output = RecipeOutput::default();
                output.note = "the address's local part is not usable as a username".into();
                return Ok(output);
            }
            let source = match (&input.pivot, origin) {
                (None, Origin::Target) => "target".to_string(),
                (None, Origin::Derived) => "local part of the target email".to_string(),
                (Some(from), _) => format!("pivot {} ({from})", input.target),
            };
            let progress = Arc::clone(&input.progress);
            progress
                .total
                .fetch_add((sites.len() * usernames.len()) as u32, Ordering::Relaxed);
            let on_check: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
                progress.done.fetch_add(1, Ordering::Relaxed);
            });
            let flagged = Arc::new(book.flagged());
            let slow = Arc::new(book.slow());
            let mut runs = tokio::task::JoinSet::new();
            for (idx, username) in usernames.iter().enumerate() {
                let request = Request {
                    username: username.clone(),
                    origin,
                    source: source.clone(),
                    identity: identity.clone(),
                    deadline,
                    flagged: Arc::clone(&flagged),
                    slow: Arc::clone(&slow),
                    on_check: Some(Arc::clone(&on_check)),
                };
                let (outbound, sites) = (Arc::clone(&outbound), Arc::clone(&sites));
                runs.spawn(async move { (idx, scan(outbound, sites, request).await) });
            }
            let mut reports: Vec<Option<SitesReport>> =
                (0..usernames.len()).map(|_| None).collect();
            while let Some(joined) = runs.join_next().await {
                let (idx, report) = joined.map_err(|_| "a site run failed unexpectedly")?;
                reports[idx] = Some(report);
            }
            let reports: Vec<(String, SitesReport)> = usernames
                .into_iter()
                .zip(reports)
                .filter_map(|(u, r)| Some((u, r?)))
                .collect();
            save_health(&book, writer.as_ref(), &reports).await;
            Ok(output_of(&reports))
        })
    }
}

async fn save_health(book: &SiteBook, writer: Option<&Writer>, reports: &[(String, SitesReport)]) {
    let outcomes = reports
        .iter()
        .flat_map(|(_, r)| r.checked.iter().map(|c| (c.site.as_str(), &c.verdict)));
    let updates = book.record(outcomes);
    let Some(writer) = writer else { return };
    let saved = writer
        .write(move |tx| {
            for (site, health) in &updates {
                tx.put_site_health(site, health)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = saved {
        // Health is advisory: the scan's own result does not depend on it being saved.
        tracing::warn!(error = %e, "site health not saved");
    }
}

fn output_of(reports: &[(String, SitesReport)]) -> RecipeOutput {
    let mut output = RecipeOutput::default();
    let mut notes = Vec::new();
    for (username, report) in reports {
        let grouped = (report.verified.iter().map(|p| ("verified", p)))
            .chain(report.weak.iter().map(|p| ("weak", p)));
        for (group, profile) in grouped {
            output.findings.push(Finding::new(
                format!("site.account_{group}"),
                format!(
                    "{}: an account named {username} ({group}, confidence {:.2}: {})",
                    profile.site,
                    profile.confidence,
                    profile.evidence.join("; ")
                ),
            ));
        }
        for (contact, listed_by) in &report.contacts {
            let contact_out = Contact {
                value: contact.value.clone(),
                source: listed_by.clone(),
            };
            let list = match contact.kind {
                ContactKind::Email => &mut output.contacts.emails,
                ContactKind::Phone => &mut output.contacts.phones,
            };
            if !list.iter().any(|c| c.value == contact_out.value) {
                output.findings.push(Finding::new(
                    "site.contact_listed",
                    format!("{} lists {}", listed_by, contact.value),
                ));
                list.push(contact_out);
            }
        }
        output
            .profiles
            .verified
            .extend(report.verified.iter().cloned());
        output.profiles.weak.extend(report.weak.iter().cloned());
        notes.push(match reports.len() {
            1 => report.note(),
            _ => format!("{username}: {}", report.note()),
        });
    }
    output.note = notes.join("; ");
    // For the summary: how many checks could not say either way, and why.
    let checked: usize = reports.iter().map(|(_, r)| r.checked.len()).sum();
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for (_, report) in reports {
        for (reason, n) in &report.unknown {
            if *reason != crate::sites::detect::Unknown::Illegal {
                *reasons.entry(reason.as_str()).or_default() += n;
            }
        }
    }
    let undecided: usize = reasons.values().sum();
    let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
    output.facts.push(("sites.checked", checked.to_string()));
    output
        .facts
        .push(("sites.undecided", undecided.to_string()));
    output
        .facts
        .push(("sites.undecided_reasons", reasons.join(", ")));
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emails_local_part_gives_its_usernames() {
        assert_eq!(
            local_part_usernames("John.Doe+news@mail.test"),
            ["john.doe", "johndoe"]
        );
        assert_eq!(local_part_usernames("janedoe@mail.test"), ["janedoe"]);
        assert!(
            local_part_usernames("a.b@mail.test").is_empty(),
            "too short"
        );
        assert!(local_part_usernames("not an email").is_empty());
    }
}
