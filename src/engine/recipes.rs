//! Skopio's built-in recipes. Each adapts one analyser (`crate::email`, `crate::phone`,
//! `crate::username`) to the engine: it runs the analysis on the blocking pool and turns
//! the result into findings, entities, facts for the summary and, for phones, the
//! dossier's `phone_profile`. The analysers own the rules; these adapters own nothing
//! but the translation.

use std::sync::Arc;

use super::{Recipe, RecipeFuture, RecipeOutput, ScanInput, blocking};
use crate::target::Kind;

pub fn standard() -> Vec<Arc<dyn Recipe>> {
    vec![
        Arc::new(EmailAddress),
        Arc::new(EmailDomain),
        Arc::new(PhoneAnalysis),
        Arc::new(UsernameRules),
    ]
}

/// Findings of the email analysis that are about the domain, not the address's form.
const DOMAIN_CODES: [&str; 7] = [
    "email.registrable_domain",
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
            let domain = analysis
                .registrable_domain
                .unwrap_or(analysis.domain_unicode);
            let class = analysis.domain_class.as_str();
            output.note = format!("{domain} is a {} domain", class.replace('_', "-"));
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
            let mut output = RecipeOutput {
                findings: analysis.findings,
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
