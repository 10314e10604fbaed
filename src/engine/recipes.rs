//! Skopio's built-in recipes. Each adapts one analyser (`crate::email`, `crate::phone`,
//! `crate::username`) or the breach index (`crate::breaches`) to the engine: it runs the
//! analysis on the blocking pool and turns the result into findings, entities, facts for
//! the summary and, for phones, the dossier's `phone_profile`. The analysers own the
//! rules; these adapters own nothing but the translation.

use std::sync::Arc;

use super::{Recipe, RecipeFuture, RecipeOutput, ScanInput, blocking};
use crate::dossier::Finding;
use crate::target::Kind;

pub fn standard() -> Vec<Arc<dyn Recipe>> {
    vec![
        Arc::new(EmailAddress),
        Arc::new(EmailDomain),
        Arc::new(PhoneAnalysis),
        Arc::new(UsernameRules),
    ]
}

/// The standard recipes and the breach index lookup.
pub fn standard_with_breaches(index: crate::breaches::Index) -> Vec<Arc<dyn Recipe>> {
    let mut recipes = standard();
    recipes.push(Arc::new(BreachIndex { index }));
    recipes
}

/// Findings of the email analysis that are about the domain, not the address's form.
const DOMAIN_CODES: [&str; 8] = [
    "email.registrable_domain",
    "email.lookalike_domain",
    "email.reserved_domain",
    "email.subdomain_address",
    "email.disposable_domain",
    "email.free_mail",
    "email.corporate_domain",
    "email.role_address",
];

/// Syntax and normalisation of an email address.
pub struct EmailAddress;

impl Recipe for EmailAddress {
    fn name(&self) -> &'static str {
        "email.address"
    }

    fn applies_to(&self, kind: Kind) -> bool {
        kind == Kind::Email
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        blocking(move || {
            let analysis = crate::email::analyse(&input.target).map_err(|e| e.to_string())?;
            let mut output = RecipeOutput::default();
            output.findings = analysis
                .findings
                .into_iter()
                .filter(|f| !DOMAIN_CODES.contains(&f.code.as_str()))
                .collect();
            // A plus-tag or a disposable alias means the owner hands out throwaway variants
            // of a main mailbox; Gmail's ignored dots or googlemail.com do not.
            let aliased = output
                .findings
                .iter()
                .any(|f| matches!(f.code.as_str(), "email.plus_tag" | "email.disposable_alias"));
            if aliased {
                output.facts.push(("email.sub_address", "yes".to_string()));
            }
            output.note = format!(
                "well-formed address; the provider delivers it to {}",
                analysis.canonical
            );
            output
                .entities
                .push(format!("email:{}", analysis.canonical));
            Ok(output)
        })
    }
}

/// What the domain of an email address is: registrable domain, disposable, free-mail or
/// corporate, and whether the local part is a role.
pub struct EmailDomain;

impl Recipe for EmailDomain {
    fn name(&self) -> &'static str {
        "email.domain"
    }

    fn applies_to(&self, kind: Kind) -> bool {
        kind == Kind::Email
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        blocking(move || {
            let analysis = crate::email::analyse(&input.target).map_err(|e| e.to_string())?;
            let mut output = RecipeOutput::default();
            output.findings = analysis
                .findings
                .into_iter()
                .filter(|f| DOMAIN_CODES.contains(&f.code.as_str()))
                .collect();
            // Shown to people, so in Unicode form (`bücher.de`, not `xn--bcher-kva.de`).
            let domain = match analysis.registrable_domain {
                Some(ascii) => idna::domain_to_unicode(&ascii).0,
                None => analysis.domain_unicode,
            };
            let class = analysis.domain_class.as_str();
            output.note = match analysis.domain_class {
                crate::email::DomainClass::Corporate => format!(
                    "{domain} is on neither the free-mail nor the disposable list: likely an \
                     organisation's own domain (not checked further: no DNS lookup is made)"
                ),
                _ => format!("{domain} is a {} domain", class.replace('_', "-")),
            };
            output.entities.push(format!("domain:{domain}"));
            output.facts.push(("email.domain", domain));
            output.facts.push(("email.domain_class", class.to_string()));
            if let Some(role) = analysis.role {
                output.facts.push(("email.role", role));
            }
            Ok(output)
        })
    }
}

/// libphonenumber-grade analysis of a phone number, filling `phone_profile`.
pub struct PhoneAnalysis;

impl Recipe for PhoneAnalysis {
    fn name(&self) -> &'static str {
        "phone.analysis"
    }

    fn applies_to(&self, kind: Kind) -> bool {
        kind == Kind::Phone
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        blocking(move || {
            let analysis = crate::phone::analyse(&input.target, None).map_err(|e| e.to_string())?;
            let profile = analysis.profile;
            let mut findings = analysis.findings;
            if !crate::target::has_country_code(&input.target) {
                findings.push(Finding::new(
                    "phone.assumed_international",
                    format!(
                        "The number was given without a country code and read as the \
                         international number {}.",
                        profile.international
                    ),
                ));
            }
            let mut output = RecipeOutput {
                findings,
                ..RecipeOutput::default()
            };
            output.note = match profile.valid {
                true => format!("valid {} number, {}", profile.line_type, profile.e164),
                false => format!("not a valid number ({})", profile.e164),
            };
            if profile.valid {
                output.entities.push(format!("phone:{}", profile.e164));
            }
            if let Some(carrier) = &profile.carrier {
                output.entities.push(format!("carrier:{carrier}"));
            }
            output.phone_profile = Some(profile);
            Ok(output)
        })
    }
}

/// The checks of a username that need no network: its form, and which known sites'
/// username rules it satisfies.
pub struct UsernameRules;

impl Recipe for UsernameRules {
    fn name(&self) -> &'static str {
        "username.rules"
    }

    fn applies_to(&self, kind: Kind) -> bool {
        kind == Kind::Username
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        blocking(move || {
            let analysis = crate::username::analyse(&input.target).map_err(|e| e.to_string())?;
            let known = analysis.sites.len();
            let ok = analysis.sites.iter().filter(|s| s.satisfied).count();
            let mut output = RecipeOutput {
                findings: analysis.findings,
                ..RecipeOutput::default()
            };
            output.note =
                format!("the handle fits the username rules of {ok} of {known} known sites");
            output.facts.push(("username.sites_ok", ok.to_string()));
            output
                .facts
                .push(("username.sites_known", known.to_string()));
            output
                .entities
                .push(format!("username:{}", analysis.normalized));
            Ok(output)
        })
    }
}

/// Which breaches in the local index hold the target, after normalising it as imports
/// do. It applies to every kind once the index holds identifiers: an appliance with no
/// breach data does not claim a breach check.
pub struct BreachIndex {
    index: crate::breaches::Index,
}

/// A breach this many months old or newer counts as recent.
const RECENT_MONTHS: i64 = 24;

impl Recipe for BreachIndex {
    fn name(&self) -> &'static str {
        "breach.index"
    }

    fn applies_to(&self, _: Kind) -> bool {
        self.index.populated()
    }

    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        let index = self.index.clone();
        Box::pin(async move {
            let records = index.lookup(input.kind, input.target.clone()).await?;
            Ok(breach_output(&records, super::this_month()))
        })
    }
}

/// Findings, entities and dossier lines for the breaches found; `this_month` is the
/// current month as `risk::month_number` counts.
fn breach_output(records: &[crate::store::BreachRecord], this_month: i64) -> RecipeOutput {
    let mut output = RecipeOutput::default();
    for record in records {
        let breach = crate::breaches::dossier_breach(record);
        let when = match breach.date.is_empty() {
            true => String::new(),
            false => format!(" ({})", breach.date),
        };
        output.findings.push(Finding::new(
            "breach.found",
            format!(
                "Found in the {} breach{when}; it exposed: {}.",
                breach.title,
                match breach.classes.is_empty() {
                    true => "no data classes listed".to_string(),
                    false => breach.classes.join(", "),
                }
            ),
        ));
        let credible = breach.credible();
        if credible && (record.stealer_log || record.malware) {
            output.findings.push(Finding::new(
                "breach.stealer_log",
                format!(
                    "The {} data was taken by malware from the owners' own devices: \
                     credentials stolen there are usually still valid.",
                    breach.title
                ),
            ));
        }
        if record.retired {
            output.findings.push(Finding::new(
                "breach.retired",
                format!(
                    "The {} breach is retired from public breach services.",
                    breach.title
                ),
            ));
        }
        let age = super::risk::month_number(&record.breach_date).map(|m| this_month - m);
        if credible && age.is_some_and(|months| (0..=RECENT_MONTHS).contains(&months)) {
            output.findings.push(Finding::new(
                "breach.recent",
                format!(
                    "The {} breach{when} is less than two years old.",
                    breach.title
                ),
            ));
        }
        if credible && record.sensitive {
            output.findings.push(Finding::new(
                "breach.sensitive",
                format!(
                    "The {} breach is flagged sensitive: being in it can itself harm the \
                     owner.",
                    breach.title
                ),
            ));
        }
        if record.fabricated {
            output.findings.push(Finding::new(
                "breach.fabricated",
                format!(
                    "The {} breach is flagged fabricated: its data may not come from the \
                     site named.",
                    breach.title
                ),
            ));
        }
        if record.spam_list {
            output.findings.push(Finding::new(
                "breach.spam_list",
                format!(
                    "The {} data is a spam list, not a site's accounts.",
                    breach.title
                ),
            ));
        }
        output.entities.push(format!("breach:{}", breach.name));
        output.breaches.push(breach);
    }
    output.note = match records.len() {
        0 => "the target is in none of the breaches in the local index".to_string(),
        n => format!("the target is in {n} of the breaches in the local index"),
    };
    output
}
