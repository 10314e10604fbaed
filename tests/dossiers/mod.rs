//! Dossiers for the report tests and the report benchmark: recipes that report a fixed
//! set of profiles, contacts and breaches, as the site checks and the breach index
//! would, so the real engine assembles, scores and summarises a full dossier from them.
//! `typical` is a dossier an analyst meets every day (Cyrillic and Greek text included);
//! `large` is one far past the usual, for size and speed.

#![allow(dead_code)]

use std::sync::Arc;

use skopio::dossier::{Breach, Contact, Finding, Profile};
use skopio::engine::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use skopio::target::Kind;

/// A recipe that reports `output` for every target.
pub struct Fixed {
    pub name: &'static str,
    pub output: RecipeOutput,
}

impl Recipe for Fixed {
    fn name(&self) -> &'static str {
        self.name
    }

    fn applies_to(&self, _: Kind) -> bool {
        true
    }

    fn run(&self, _: Arc<ScanInput>) -> RecipeFuture {
        let output = self.output.clone();
        Box::pin(async move { Ok(output) })
    }
}

pub fn profile(site: &str, username: &str, category: &str, verified: bool) -> Profile {
    let evidence = match verified {
        true => vec![
            "the profile page shows the site's account marker".to_string(),
            format!("the page names the user {username}"),
        ],
        false => vec!["the site answered 200 with no account marker to check".to_string()],
    };
    Profile {
        site: site.to_string(),
        url: format!(
            "https://{}.example/users/{username}",
            site.to_lowercase().replace(' ', "-")
        ),
        username: username.to_string(),
        category: category.to_string(),
        confidence: if verified { 0.95 } else { 0.6 },
        evidence,
        source: "target".to_string(),
    }
}

pub fn breach(name: &str, title: &str, date: &str, accounts: u64, classes: &[&str]) -> Breach {
    Breach {
        name: name.to_string(),
        title: title.to_string(),
        date: date.to_string(),
        accounts,
        classes: classes.iter().map(|c| c.to_string()).collect(),
        verified: true,
        flags: Vec::new(),
    }
}

/// The breaches of the typical dossier, by name (what the tests look for in the PDF).
pub const TYPICAL_BREACHES: [&str; 4] = ["Adobe", "Dropbox", "SberSpasibo", "Stealer2025"];

fn typical_sites() -> RecipeOutput {
    let mut output = RecipeOutput::default();
    output.profiles.verified = vec![
        profile("GitHub", "jdoe", "coding", true),
        profile("VK", "иван.петров", "social", true),
        profile("Reddit", "john_doe", "social", true),
    ];
    output.profiles.weak = vec![
        profile("Chess", "jdoe", "gaming", false),
        profile("Flickr", "jdoe", "images", false),
    ];
    output.contacts.emails.push(Contact {
        value: "j.doe@work.example".to_string(),
        source: "GitHub".to_string(),
    });
    output.contacts.phones.push(Contact {
        value: "+30 21 0123 4567 (Αθήνα)".to_string(),
        source: "VK".to_string(),
    });
    output.findings.push(Finding::new(
        "sites.checked",
        "3 accounts verified and 2 weak on 600 sites checked; 4 sites did not answer.",
    ));
    output.note = "600 sites checked: 3 verified, 2 weak, 4 unknown (timeouts)".to_string();
    output
}

fn typical_breaches() -> RecipeOutput {
    let mut output = RecipeOutput::default();
    let mut stealer = breach(
        "Stealer2025",
        "Stealer Logs, Jan 2025",
        "2025-01",
        26_000_000,
        &["Email addresses", "Passwords", "URLs"],
    );
    stealer.flags.push("malware".to_string());
    output.breaches = vec![
        breach(
            "Adobe",
            "Adobe",
            "2013-10",
            152_445_165,
            &[
                "Email addresses",
                "Password hints",
                "Passwords",
                "Usernames",
            ],
        ),
        breach(
            "Dropbox",
            "Dropbox",
            "2012-07",
            68_648_009,
            &["Email addresses", "Passwords"],
        ),
        breach(
            "SberSpasibo",
            "СберСпасибо",
            "2023-03",
            6_400_000,
            &["Email addresses", "Names", "Phone numbers"],
        ),
        stealer,
    ];
    for breach in &output.breaches {
        output.findings.push(Finding::new(
            "breach.found",
            format!("Found in the {} breach ({}).", breach.title, breach.date),
        ));
    }
    output.note = "the target is in 4 of the breaches in the local index".to_string();
    output
}

/// The recipes of a typical dossier: site checks and breaches.
pub fn typical() -> Vec<Arc<dyn Recipe>> {
    vec![
        Arc::new(Fixed {
            name: "fixture.sites",
            output: typical_sites(),
        }),
        Arc::new(Fixed {
            name: "breach.fixture",
            output: typical_breaches(),
        }),
    ]
}

/// The recipes of a very large dossier: 60 verified and 150 weak profiles, 40 contacts,
/// 60 breaches.
pub fn large() -> Vec<Arc<dyn Recipe>> {
    let categories = ["social", "coding", "gaming", "images", "finance"];
    let mut sites = RecipeOutput::default();
    for idx in 0..210 {
        let category = categories[idx % categories.len()];
        let name = format!("Site{idx:03}");
        let profile = profile(&name, &format!("jdoe{idx}"), category, idx < 60);
        match idx < 60 {
            true => sites.profiles.verified.push(profile),
            false => sites.profiles.weak.push(profile),
        }
    }
    for idx in 0..20 {
        sites.contacts.emails.push(Contact {
            value: format!("jdoe.{idx}@mail{idx}.example"),
            source: format!("Site{idx:03}"),
        });
        sites.contacts.phones.push(Contact {
            value: format!("+7 912 345 {:02} {:02}", idx, idx * 3 % 100),
            source: format!("Site{:03}", idx + 20),
        });
    }
    sites.note = "700 sites checked".to_string();
    let mut breaches = RecipeOutput::default();
    for idx in 0..60u64 {
        let year = 2008 + idx % 18;
        let name = format!("Breach{idx:02}");
        let title = format!("Утечка №{idx} / Breach {idx}");
        let date = format!("{year}-{:02}", 1 + idx % 12);
        let classes = [
            "Email addresses",
            "Passwords",
            "Physical addresses",
            "Dates of birth",
        ];
        breaches
            .breaches
            .push(breach(&name, &title, &date, 1_000 * (idx + 1), &classes));
    }
    breaches.note = "the target is in 60 of the breaches in the local index".to_string();
    vec![
        Arc::new(Fixed {
            name: "fixture.sites",
            output: sites,
        }),
        Arc::new(Fixed {
            name: "breach.fixture",
            output: breaches,
        }),
    ]
}
