//! Risk scoring: a deterministic function from what the recipes found to a score from 0
//! to 100 and a band, with every contribution listed as a factor.
//!
//! The score answers "how much should a fraud or due-diligence analyst worry about this
//! identifier": throwaway or unreachable identifiers, and identities widely exposed, score
//! high. It is the capped sum of the weights below; each rule adds at most once.
//!
//! | factor | weight | when |
//! |---|---|---|
//! | `disposable_email` | 45 | the address is at a disposable-mail domain |
//! | `lookalike_domain` | 30 | the domain is one slip from a free-mail one (`gmail.co`) |
//! | `role_address` | 10 | the local part is a role (info@, admin@), not a person |
//! | `free_mail` | 5 | a free-mail provider, where anyone can open an address |
//! | `sub_address` | 5 | a plus-tag or a disposable alias: the owner hands out variants |
//! | `invalid_phone` | 40 | not a valid number (35 if possible but unassigned) |
//! | `risky_line_type` | 10–30 | VoIP 30, premium rate 25, personal number 20, pager 15, |
//! | | | shared cost, UAN or toll free 10 |
//! | `accounts` | 3 each, at most 15 | verified accounts; weak ones count for 1 each |
//! | `exposed_contacts` | 5 each, at most 15 | emails and phones published on profiles |
//! | `breaches` | 15 each, at most 45 | breaches holding the identifier (breaches flagged |
//! | | | fabricated or spam lists are listed in the dossier but weigh nothing here) |
//! | `passwords_exposed` | 15 | a breach holding it exposed passwords (`Passwords` class) |
//! | `stolen_by_malware` | 15 | a stealer log or malware breach holds it: the owner's |
//! | | | device gave up its credentials |
//! | `recent_breach` | 10 | a breach holding it is less than two years old |
//! | `sensitive_breach` | 10 | a breach holding it is flagged sensitive (adult, dating …) |
//!
//! Bands: low below 40, medium from 40 (65 is medium), high from 70, critical from 90.

use crate::dossier::{Breach, Contacts, Profiles, RecipeFinding, Risk, RiskFactor};

pub fn band(score: u32) -> &'static str {
    match score {
        0..=39 => "low",
        40..=69 => "medium",
        70..=89 => "high",
        _ => "critical",
    }
}

fn has(findings: &[RecipeFinding], code: &str) -> Option<String> {
    findings
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.detail.clone())
}

pub fn score(
    findings: &[RecipeFinding],
    profiles: &Profiles,
    contacts: &Contacts,
    breaches: &[Breach],
    discounted: &[String],
) -> Risk {
    let mut factors = Vec::new();
    let mut add = |name: &str, weight: u32, detail: String| {
        factors.push(RiskFactor {
            name: name.to_string(),
            weight,
            detail,
        });
    };
    if let Some(detail) = has(findings, "email.disposable_domain") {
        add("disposable_email", 45, detail);
    }
    if let Some(detail) = has(findings, "email.lookalike_domain") {
        add("lookalike_domain", 30, detail);
    }
    if let Some(detail) = has(findings, "email.role_address") {
        add("role_address", 10, detail);
    }
    if let Some(detail) = has(findings, "email.free_mail") {
        add("free_mail", 5, detail);
    }
    let alias = has(findings, "email.plus_tag").or_else(|| has(findings, "email.disposable_alias"));
    if let Some(detail) = alias {
        add("sub_address", 5, detail);
    }
    if let Some(detail) = has(findings, "phone.not_possible") {
        add("invalid_phone", 40, detail);
    } else if let Some(detail) = has(findings, "phone.invalid") {
        add("invalid_phone", 35, detail);
    }
    const LINE_TYPES: [(&str, u32); 7] = [
        ("phone.voip", 30),
        ("phone.premium_rate", 25),
        ("phone.personal_number", 20),
        ("phone.pager", 15),
        ("phone.shared_cost", 10),
        ("phone.uan", 10),
        ("phone.toll_free", 10),
    ];
    if let Some((detail, weight)) = LINE_TYPES
        .iter()
        .find_map(|(code, w)| has(findings, code).map(|d| (d, *w)))
    {
        add("risky_line_type", weight, detail);
    }
    let accounts = 3 * profiles.verified.len() + profiles.weak.len();
    if accounts > 0 {
        let detail = format!(
            "{} verified and {} weak accounts found",
            profiles.verified.len(),
            profiles.weak.len()
        );
        add("accounts", accounts.min(15) as u32, detail);
    }
    let n_contacts = contacts.emails.len() + contacts.phones.len();
    if n_contacts > 0 {
        let detail = format!("{n_contacts} contacts published on profiles");
        add("exposed_contacts", (5 * n_contacts).min(15) as u32, detail);
    }
    // Breaches flagged fabricated or spam lists are listed in the dossier but weigh
    // nothing: their data says little about the target's own accounts.
    let credible: Vec<&Breach> = breaches
        .iter()
        .filter(|b| !discounted.contains(&b.name))
        .collect();
    if !credible.is_empty() {
        let names: Vec<&str> = credible.iter().map(|b| b.name.as_str()).collect();
        let plural = if credible.len() == 1 { "" } else { "es" };
        let detail = format!(
            "found in {} breach{plural}: {}",
            credible.len(),
            names.join(", ")
        );
        add("breaches", (15 * credible.len()).min(45) as u32, detail);
    }
    let with_passwords: Vec<&str> = credible
        .iter()
        .filter(|b| {
            b.classes
                .iter()
                .any(|c| c.eq_ignore_ascii_case("passwords"))
        })
        .map(|b| b.name.as_str())
        .collect();
    if !with_passwords.is_empty() {
        let detail = format!("passwords exposed in: {}", with_passwords.join(", "));
        add("passwords_exposed", 15, detail);
    }
    if let Some(detail) = has(findings, "breach.stealer_log") {
        add("stolen_by_malware", 15, detail);
    }
    if let Some(detail) = has(findings, "breach.recent") {
        add("recent_breach", 10, detail);
    }
    if let Some(detail) = has(findings, "breach.sensitive") {
        add("sensitive_breach", 10, detail);
    }
    let score = factors.iter().map(|f| f.weight).sum::<u32>().min(100);
    Risk {
        score,
        band: band(score).to_string(),
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &str) -> RecipeFinding {
        RecipeFinding {
            recipe: "r".into(),
            code: code.into(),
            detail: format!("saw {code}"),
        }
    }

    #[test]
    fn nothing_found_is_low_risk_with_no_factors() {
        let risk = score(&[], &Profiles::default(), &Contacts::default(), &[], &[]);
        assert_eq!((risk.score, risk.band.as_str()), (0, "low"));
        assert!(risk.factors.is_empty());
    }

    #[test]
    fn a_disposable_role_address_is_medium_and_says_why() {
        let found = [
            finding("email.disposable_domain"),
            finding("email.role_address"),
        ];
        let risk = score(&found, &Profiles::default(), &Contacts::default(), &[], &[]);
        assert_eq!((risk.score, risk.band.as_str()), (55, "medium"));
        let names: Vec<&str> = risk.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["disposable_email", "role_address"]);
    }

    #[test]
    fn an_impossible_voip_number_counts_the_worse_phone_rule_once() {
        let found = [
            finding("phone.invalid"),
            finding("phone.not_possible"),
            finding("phone.voip"),
        ];
        let risk = score(&found, &Profiles::default(), &Contacts::default(), &[], &[]);
        assert_eq!(risk.score, 70);
        assert_eq!(risk.band, "high");
    }

    fn breach(name: &str, classes: &[&str]) -> Breach {
        Breach {
            name: name.into(),
            title: name.into(),
            date: "2013-10".into(),
            accounts: 1,
            classes: classes.iter().map(|c| c.to_string()).collect(),
            verified: true,
        }
    }

    #[test]
    fn breaches_with_passwords_recent_and_sensitive_add_their_factors() {
        let found = [finding("breach.recent"), finding("breach.sensitive")];
        let breaches = [
            breach("Adobe", &["Email addresses", "Passwords"]),
            breach("Ashley", &["Email addresses"]),
        ];
        let risk = score(
            &found,
            &Profiles::default(),
            &Contacts::default(),
            &breaches,
            &[],
        );
        let names: Vec<&str> = risk.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "breaches",
                "passwords_exposed",
                "recent_breach",
                "sensitive_breach"
            ]
        );
        assert_eq!(risk.score, 30 + 15 + 10 + 10);
    }

    #[test]
    fn a_fabricated_or_spam_breach_is_listed_but_weighs_nothing() {
        let found = [finding("breach.fabricated")];
        let breaches = [
            breach("Fake", &["Passwords"]),
            breach("Real", &["Email addresses"]),
        ];
        let discounted = ["Fake".to_string()];
        let risk = score(
            &found,
            &Profiles::default(),
            &Contacts::default(),
            &breaches,
            &discounted,
        );
        assert_eq!(
            risk.score, 15,
            "only Real counts, and its passwords were not exposed"
        );
        assert!(risk.factors.iter().all(|f| f.name != "passwords_exposed"));
    }

    #[test]
    fn bands_follow_the_documented_thresholds() {
        assert_eq!(band(39), "low");
        assert_eq!(band(65), "medium");
        assert_eq!(band(70), "high");
        assert_eq!(band(100), "critical");
    }
}
