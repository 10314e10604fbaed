//! The risk model pinned: a table of representative dossiers, each with the score, band
//! and factors it must get. A change to a weight or a rule changes a row here, so it is
//! seen and reviewed rather than slipping through.

use super::*;
use crate::dossier::{Contact, Profile};

/// December 2025, the month every case is scored in.
const AS_OF: i64 = 2025 * 12 + 11;

fn finding(code: &str) -> RecipeFinding {
    RecipeFinding {
        recipe: "r".into(),
        code: code.into(),
        detail: format!("saw {code}"),
    }
}

fn breach(name: &str, date: &str, classes: &[&str], flags: &[&str]) -> Breach {
    Breach {
        name: name.into(),
        title: name.into(),
        date: date.into(),
        accounts: 1_000,
        classes: classes.iter().map(|c| c.to_string()).collect(),
        verified: true,
        flags: flags.iter().map(|f| f.to_string()).collect(),
    }
}

fn profile(site: &str, category: &str) -> Profile {
    Profile {
        site: site.into(),
        url: format!("https://{site}.example/u/jdoe"),
        username: "jdoe".into(),
        category: category.into(),
        confidence: 0.9,
        evidence: vec!["content marker".into()],
        source: "target".into(),
    }
}

/// One dossier of the table: what the recipes found.
#[derive(Default)]
struct Case {
    findings: Vec<&'static str>,
    breaches: Vec<Breach>,
    verified: Vec<Profile>,
    weak: Vec<Profile>,
    contacts: usize,
}

impl Case {
    fn score(&self) -> Risk {
        self.score_in(Lang::En)
    }

    fn score_in(&self, lang: Lang) -> Risk {
        let findings: Vec<RecipeFinding> = self.findings.iter().map(|c| finding(c)).collect();
        let profiles = Profiles {
            verified: self.verified.clone(),
            weak: self.weak.clone(),
        };
        let contacts = Contacts {
            emails: (0..self.contacts)
                .map(|i| Contact {
                    value: format!("c{i}@example.org"),
                    source: "GitHub".into(),
                })
                .collect(),
            phones: Vec::new(),
        };
        score(&findings, &profiles, &contacts, &self.breaches, AS_OF, lang)
    }
}

const PASSWORDS: &[&str] = &["Email addresses", "Passwords"];

fn old_password_breaches() -> Vec<Breach> {
    vec![
        breach(
            "Adobe",
            "2013-10",
            &[
                "Email addresses",
                "Password hints",
                "Passwords",
                "Usernames",
            ],
            &[],
        ),
        breach("Dropbox", "2012-07", PASSWORDS, &[]),
        breach("LinkedIn", "2012-05", PASSWORDS, &[]),
    ]
}

/// (what the dossier is, the case, score, band, factors heaviest first)
fn table() -> Vec<(&'static str, Case, u32, &'static str, Vec<&'static str>)> {
    vec![
        (
            "a corporate address with nothing found",
            Case {
                findings: vec!["email.corporate_domain"],
                ..Case::default()
            },
            0,
            "low",
            vec![],
        ),
        (
            "a tagged free-mail address in no breach",
            Case {
                findings: vec!["email.free_mail", "email.plus_tag"],
                ..Case::default()
            },
            10,
            "low",
            vec!["free_mail", "sub_address"],
        ),
        (
            "a disposable role address",
            Case {
                findings: vec!["email.disposable_domain", "email.role_address"],
                ..Case::default()
            },
            55,
            "medium",
            vec!["disposable_email", "role_address"],
        ),
        (
            "a role address at a lookalike of a free-mail domain, on the medium line",
            Case {
                findings: vec!["email.lookalike_domain", "email.role_address"],
                ..Case::default()
            },
            40,
            "medium",
            vec!["lookalike_domain", "role_address"],
        ),
        (
            "an impossible VoIP number, on the high line",
            Case {
                findings: vec!["phone.invalid", "phone.not_possible", "phone.voip"],
                ..Case::default()
            },
            70,
            "high",
            vec!["invalid_phone", "risky_line_type"],
        ),
        (
            "a valid premium-rate number",
            Case {
                findings: vec!["phone.premium_rate"],
                ..Case::default()
            },
            25,
            "low",
            vec!["risky_line_type"],
        ),
        (
            "a free-mail address in one old breach of addresses only",
            Case {
                findings: vec!["email.free_mail"],
                breaches: vec![breach("Scraped", "2021-04", &["Email addresses"], &[])],
                ..Case::default()
            },
            15,
            "low",
            vec!["breaches", "free_mail"],
        ),
        (
            "a free-mail address in three old password breaches",
            Case {
                findings: vec!["email.free_mail"],
                breaches: old_password_breaches(),
                ..Case::default()
            },
            18 + 22 + 5,
            "medium",
            vec!["credentials_exposed", "breaches", "free_mail"],
        ),
        (
            "the same address, with this year's stealer log",
            Case {
                findings: vec!["email.free_mail"],
                breaches: [
                    old_password_breaches(),
                    vec![breach(
                        "Stealer Logs",
                        "2025-03",
                        &["Email addresses", "Passwords", "URLs"],
                        &["malware"],
                    )],
                ]
                .concat(),
                ..Case::default()
            },
            30 + 32 + 25 + 5,
            "critical",
            vec![
                "credentials_exposed",
                "breaches",
                "stolen_by_malware",
                "free_mail",
            ],
        ),
        (
            "a corporate address in a sensitive dating-site breach",
            Case {
                breaches: vec![breach(
                    "AshleyMadison",
                    "2015-07",
                    &[
                        "Dates of birth",
                        "Email addresses",
                        "Passwords",
                        "Payment histories",
                        "Physical addresses",
                    ],
                    &["sensitive"],
                )],
                ..Case::default()
            },
            6 + 15 + 5 + 15,
            "medium",
            vec![
                "credentials_exposed",
                "sensitive_breach",
                "breaches",
                "personal_details_exposed",
            ],
        ),
        (
            "a recent breach of payment cards",
            Case {
                breaches: vec![breach(
                    "Shop",
                    "2025-01",
                    &["Email addresses", "Credit cards", "Names"],
                    &[],
                )],
                ..Case::default()
            },
            40,
            "medium",
            vec!["financial_or_id_exposed", "breaches"],
        ),
        (
            "a spam list and a fabricated breach weigh nothing",
            Case {
                findings: vec!["email.free_mail"],
                breaches: vec![
                    breach("Spam", "2024-01", &["Email addresses"], &["spam_list"]),
                    breach("Fake", "2024-01", PASSWORDS, &["fabricated", "sensitive"]),
                ],
                ..Case::default()
            },
            5,
            "low",
            vec!["free_mail"],
        ),
        (
            "a username with many accounts, one on a dating site, and published contacts",
            Case {
                verified: vec![
                    profile("GitHub", "coding"),
                    profile("Reddit", "social"),
                    profile("Steam", "gaming"),
                    profile("Keybase", "tech"),
                    profile("Tinder", "dating"),
                    profile("Chess", "gaming"),
                ],
                weak: vec![profile("Forum", "misc"), profile("Blog", "blog")],
                contacts: 2,
                ..Case::default()
            },
            20 + 10 + 10,
            "medium",
            vec!["accounts", "sensitive_accounts", "exposed_contacts"],
        ),
        (
            "everything at once is capped at 100",
            Case {
                findings: vec!["email.disposable_domain", "email.role_address"],
                breaches: vec![
                    breach(
                        "Bank",
                        "2025-06",
                        &["Bank account numbers", "Passwords"],
                        &[],
                    ),
                    breach("Clinic", "2024-02", &["Dates of birth"], &["sensitive"]),
                ],
                contacts: 4,
                ..Case::default()
            },
            100,
            "critical",
            vec![
                "disposable_email",
                "breaches",
                "credentials_exposed",
                "financial_or_id_exposed",
                "sensitive_breach",
                "exposed_contacts",
                "role_address",
                "personal_details_exposed",
            ],
        ),
    ]
}

#[test]
fn representative_dossiers_score_as_pinned() {
    for (what, case, score, band, factors) in table() {
        let risk = case.score();
        let names: Vec<&str> = risk.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            (risk.score, risk.band.as_str(), names),
            (score, band, factors),
            "{what}: {:#?}",
            risk.factors
        );
        assert!(
            risk.factors
                .iter()
                .all(|f| f.weight > 0 && !f.detail.is_empty()),
            "{what}: every factor weighs something and says why"
        );
    }
}

#[test]
fn the_score_is_the_capped_sum_of_the_listed_weights() {
    for (what, case, _, _, _) in table() {
        let risk = case.score();
        let sum: u32 = risk.factors.iter().map(|f| f.weight).sum();
        assert_eq!(risk.score, sum.min(100), "{what}");
        assert_eq!(
            case.score(),
            risk,
            "{what}: the same dossier scores the same"
        );
    }
}

#[test]
fn breach_age_lowers_its_weight() {
    let at = |date: &str| {
        Case {
            breaches: vec![breach("B", date, PASSWORDS, &[])],
            ..Case::default()
        }
        .score()
        .score
    };
    let (recent, middle, old) = (at("2024-12"), at("2021-12"), at("2015-01"));
    assert_eq!((recent, middle, old), (15 + 25, 10 + 18, 6 + 15));
    assert_eq!(
        at(""),
        middle,
        "an undated breach counts as within five years"
    );
    assert_eq!(at("2026-02"), recent, "a date after the scan is recent");
}

#[test]
fn the_credentials_reason_names_the_newest_breach() {
    let risk = Case {
        breaches: old_password_breaches(),
        ..Case::default()
    }
    .score();
    let credentials = risk
        .factors
        .iter()
        .find(|f| f.name == "credentials_exposed")
        .unwrap();
    assert_eq!(
        credentials.detail,
        "passwords or other credentials exposed in 3 breaches, the newest Adobe (2013-10)"
    );
}

#[test]
fn reasons_follow_the_scans_language_and_the_score_does_not() {
    for (what, case, score, band, factors) in table() {
        let risk = case.score_in(Lang::Ru);
        let names: Vec<&str> = risk.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            (risk.score, risk.band.as_str(), names),
            (score, band, factors),
            "{what}"
        );
    }
    let risk = Case {
        breaches: old_password_breaches(),
        ..Case::default()
    }
    .score_in(Lang::Ru);
    let details: Vec<&str> = risk.factors.iter().map(|f| f.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "пароли или другие учётные данные раскрыты в 3 утечках, последняя — Adobe (2013-10)",
            "в 3 утечках (за последние два года — 0): Adobe, Dropbox и LinkedIn",
        ]
    );
}

#[test]
fn bands_follow_the_documented_thresholds() {
    assert_eq!(band(0), "low");
    assert_eq!(band(39), "low");
    assert_eq!(band(40), "medium");
    assert_eq!(band(65), "medium");
    assert_eq!(band(69), "medium");
    assert_eq!(band(70), "high");
    assert_eq!(band(89), "high");
    assert_eq!(band(90), "critical");
    assert_eq!(band(100), "critical");
}

#[test]
fn months_are_read_from_dates_and_nonsense_is_not_a_date() {
    assert_eq!(month_number("2013-10"), Some(2013 * 12 + 9));
    assert_eq!(month_number("2013-10-04"), Some(2013 * 12 + 9));
    assert_eq!(month_number("2013-13"), None);
    assert_eq!(month_number("13"), None);
}
