//! The report's own promises, without a server: the same dossier gives the same bytes,
//! the document is a small PDF with one page more than the cover, and a long dossier
//! flows onto numbered pages without losing anything.

use super::*;
use crate::dossier::{Artifacts, Contacts, Counts, Profiles, RecipeRun, Risk, RiskFactor};
use crate::target::Kind;

fn subject() -> Subject {
    Subject {
        scan_id: "req-m9x2k1-4f7a9c2b1d3e5f60".to_string(),
        target: "john.doe@gmail.com".to_string(),
        kind: Kind::Email,
        // 2025-12-03T18:05:00Z
        completed_ms: 1_764_785_100_000,
    }
}

fn dossier(lang: &str, n_breaches: usize) -> Dossier {
    let breaches = (0..n_breaches)
        .map(|idx| Breach {
            name: format!("Breach{idx}"),
            title: format!("Утечка {idx}"),
            date: "2019-05".to_string(),
            accounts: 1_000,
            classes: vec!["Email addresses".to_string(), "Passwords".to_string()],
            verified: true,
            flags: Vec::new(),
        })
        .collect();
    Dossier {
        risk: Risk {
            score: 65,
            band: "medium".to_string(),
            factors: vec![RiskFactor {
                name: "breaches".to_string(),
                weight: 30,
                detail: "in 3 breaches".to_string(),
            }],
        },
        counts: Counts {
            cases: 2,
            entities: 3,
            findings: 1,
        },
        profiles: Profiles::default(),
        contacts: Contacts::default(),
        breaches,
        phone_profile: None,
        ai_summary: "Средний риск (65 из 100) для адреса john.doe@gmail.com.".to_string(),
        summary_source: "template".to_string(),
        lang: lang.to_string(),
        artifacts: Artifacts::default(),
        recipes: vec![RecipeRun {
            name: "email.domain".to_string(),
            status: RecipeStatus::Ok,
            findings: 1,
            duration_ms: 2,
            note: "gmail.com is a free-mail domain".to_string(),
        }],
        findings: Vec::new(),
    }
}

#[test]
fn the_same_dossier_gives_the_same_bytes() {
    let first = render(&subject(), &dossier("ru", 3)).unwrap();
    let second = render(&subject(), &dossier("ru", 3)).unwrap();
    assert!(first.starts_with(b"%PDF-"));
    assert_eq!(first, second);
    let english = render(&subject(), &dossier("en", 3)).unwrap();
    assert_ne!(first, english, "the language changes the document");
}

#[test]
fn a_small_dossier_is_a_small_document_with_a_cover() {
    let pdf = render(&subject(), &dossier("en", 3)).unwrap();
    assert!(pdf.len() < 200 * 1024, "{} bytes", pdf.len());
    let layout = {
        let mut flow = Flow::new(Lang::En);
        cover(&mut flow, &subject(), &dossier("en", 3));
        flow.pages.len()
    };
    assert_eq!(layout, 1, "the cover fits on its page");
}

#[test]
fn a_long_dossier_flows_onto_numbered_pages() {
    let dossier = dossier("en", 150);
    let mut flow = Flow::new(Lang::En);
    cover(&mut flow, &subject(), &dossier);
    flow.new_page();
    breaches(&mut flow, &dossier);
    footers(&mut flow, &subject());
    let n_pages = flow.pages.len();
    assert!(n_pages > 4, "{n_pages} pages");
    for (idx, page) in flow.pages.iter().enumerate() {
        let footer = format!("Page {} of {n_pages}", idx + 1);
        let has_footer = page
            .iter()
            .any(|op| matches!(op, Op::Text { text, .. } if *text == footer));
        assert!(has_footer, "page {} lacks its number", idx + 1);
        for op in page {
            if let Op::Text { y, .. } = op {
                assert!(*y <= FOOTER_BASELINE + 0.1, "text below the footer: {op:?}");
            }
        }
    }
    let titles: Vec<&str> = flow
        .pages
        .iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Text { text, .. } if text.starts_with("Утечка ") => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(titles.len(), 150, "every breach is drawn once");
}

#[test]
fn right_to_left_runs_are_put_in_visual_order() {
    let runs = visual_runs("maryam@مثال.com");
    let texts: Vec<&str> = runs.iter().map(|(text, _)| *text).collect();
    assert_eq!(texts, ["maryam@", "مثال", ".com"]);
    assert!(matches!(runs[1].1, TextDirection::RightToLeft));
    assert!(matches!(runs[0].1, TextDirection::LeftToRight));
    assert_eq!(visual_runs("ivan@пример.рф").len(), 1);
}

#[test]
fn a_phone_dossier_has_its_phone_profile_section() {
    let mut dossier = dossier("en", 0);
    dossier.phone_profile = Some(PhoneProfile {
        e164: "+447400123456".to_string(),
        international: "+44 7400 123456".to_string(),
        national: "07400 123456".to_string(),
        country_code: 44,
        region: Some("GB".to_string()),
        country: Some("United Kingdom".to_string()),
        line_type: "mobile".to_string(),
        valid: true,
        possible: true,
        carrier: Some("EE".to_string()),
        location: None,
        timezones: vec!["Europe/London".to_string()],
    });
    let mut flow = Flow::new(Lang::En);
    if let Some(phone) = &dossier.phone_profile {
        phone_profile(&mut flow, phone);
    }
    let texts: Vec<&str> = flow
        .pages
        .iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    for expected in [
        "Phone profile",
        "+447400123456",
        "mobile",
        "EE",
        "Europe/London",
    ] {
        assert!(
            texts.contains(&expected),
            "{expected} missing from {texts:?}"
        );
    }
    assert!(render(&subject(), &dossier).is_ok());
}
