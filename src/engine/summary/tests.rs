//! The template summary read as a client reads it: whole texts pinned for representative
//! dossiers in both languages, and the plural and date forms that are easy to get wrong.

use super::*;
use crate::dossier::{
    Artifacts, Contact, Contacts, Counts, PhoneProfile, Profile, Profiles, RecipeFinding, RecipeRun,
};
use crate::engine::risk;

const AS_OF: i64 = 2025 * 12 + 11;

fn run(name: &str, status: RecipeStatus) -> RecipeRun {
    RecipeRun {
        name: name.into(),
        status,
        findings: 0,
        duration_ms: 1,
        note: String::new(),
    }
}

fn breach(title: &str, date: &str, classes: &[&str], flags: &[&str]) -> Breach {
    Breach {
        name: title.replace(' ', ""),
        title: title.into(),
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
        url: format!("https://{site}.example/jdoe"),
        username: "jdoe".into(),
        category: category.into(),
        confidence: 0.9,
        evidence: Vec::new(),
        source: "target".into(),
    }
}

struct Scan {
    target: &'static str,
    kind: Kind,
    codes: Vec<&'static str>,
    facts: Vec<(&'static str, String)>,
    recipes: Vec<RecipeRun>,
    breaches: Vec<Breach>,
    profiles: Profiles,
    contacts: Contacts,
    phone: Option<PhoneProfile>,
}

impl Scan {
    fn new(target: &'static str, kind: Kind) -> Scan {
        Scan {
            target,
            kind,
            codes: Vec::new(),
            facts: Vec::new(),
            recipes: Vec::new(),
            breaches: Vec::new(),
            profiles: Profiles::default(),
            contacts: Contacts::default(),
            phone: None,
        }
    }

    fn email(target: &'static str, domain: &str, class: &str) -> Scan {
        let mut scan = Scan::new(target, Kind::Email);
        scan.facts = vec![
            ("email.domain", domain.to_string()),
            ("email.domain_class", class.to_string()),
        ];
        scan.recipes = vec![
            run("email.address", RecipeStatus::Ok),
            run("email.domain", RecipeStatus::Ok),
        ];
        if class == "free_mail" {
            scan.codes.push("email.free_mail");
        }
        scan
    }

    fn summary(&self, lang: &str) -> String {
        let findings: Vec<RecipeFinding> = self
            .codes
            .iter()
            .map(|code| RecipeFinding {
                recipe: "r".into(),
                code: code.to_string(),
                detail: "d".into(),
            })
            .collect();
        let dossier = Dossier {
            risk: risk::score(
                &findings,
                &self.profiles,
                &self.contacts,
                &self.breaches,
                AS_OF,
                Lang::parse(lang),
            ),
            counts: Counts {
                cases: 0,
                entities: 0,
                findings: 0,
            },
            profiles: self.profiles.clone(),
            contacts: self.contacts.clone(),
            breaches: self.breaches.clone(),
            phone_profile: self.phone.clone(),
            ai_summary: String::new(),
            summary_source: "template".into(),
            lang: lang.into(),
            artifacts: Artifacts::default(),
            recipes: self.recipes.clone(),
            findings,
        };
        let input = ScanInput::new(self.target.to_string(), self.kind, lang.to_string());
        write(&input, &self.facts, &dossier)
    }
}

fn breached_gmail() -> Scan {
    let mut scan = Scan::email("john.doe@gmail.com", "gmail.com", "free_mail");
    scan.recipes.push(run("breach.index", RecipeStatus::Ok));
    scan.breaches = vec![
        breach(
            "Adobe",
            "2013-10",
            &["Email addresses", "Password hints", "Passwords"],
            &[],
        ),
        breach("Dropbox", "2012-07", &["Email addresses", "Passwords"], &[]),
        breach("Some Forum", "2021-04", &["Email addresses", "Names"], &[]),
    ];
    scan
}

#[test]
fn the_verdict_comes_first_then_the_heaviest_evidence() {
    let summary = breached_gmail().summary("en");
    assert_eq!(
        summary,
        "Medium risk (49 out of 100) for the address john.doe@gmail.com. \
         It appears in 3 data breaches: Some Forum (April 2021), Adobe (October 2013) and \
         Dropbox (July 2012). \
         Passwords or other credentials were exposed in Adobe and Dropbox. \
         Its domain gmail.com is a free-mail provider. \
         Site-presence checks were not part of this scan."
    );
}

#[test]
fn the_russian_summary_says_the_same_with_its_own_grammar() {
    let summary = breached_gmail().summary("ru");
    assert_eq!(
        summary,
        "Средний риск (49 из 100) для адреса john.doe@gmail.com. \
         Адрес найден в 3 утечках данных: Some Forum (апрель 2021), Adobe (октябрь 2013) и \
         Dropbox (июль 2012). \
         Пароли или другие учётные данные раскрыты в утечках Adobe и Dropbox. \
         Домен gmail.com принадлежит бесплатной почтовой службе. \
         Проверка аккаунтов на сайтах в этот поиск не входила."
    );
}

#[test]
fn one_breach_is_singular_in_both_languages() {
    let mut scan = Scan::email("a@corp.example", "corp.example", "corporate");
    scan.recipes.push(run("breach.index", RecipeStatus::Ok));
    scan.breaches = vec![breach(
        "Ashley Madison",
        "2015-07",
        &["Email addresses", "Passwords"],
        &["sensitive"],
    )];
    let en = scan.summary("en");
    assert!(
        en.contains("It appears in 1 data breach: Ashley Madison (July 2015)."),
        "{en}"
    );
    assert!(
        en.contains("The Ashley Madison breach is flagged sensitive"),
        "{en}"
    );
    let ru = scan.summary("ru");
    assert!(
        ru.contains("Адрес найден в 1 утечке данных: Ashley Madison (июль 2015)."),
        "{ru}"
    );
    assert!(ru.contains("в утечке Ashley Madison."), "{ru}");
    assert!(
        ru.contains("Утечка Ashley Madison отмечена как чувствительная"),
        "{ru}"
    );
}

#[test]
fn many_breaches_are_counted_with_the_newest_named() {
    let mut scan = Scan::new("darkwolf", Kind::Username);
    scan.recipes = vec![
        run("username.rules", RecipeStatus::Ok),
        run("breach.index", RecipeStatus::Ok),
    ];
    scan.breaches = (0..21)
        .map(|i| breach(&format!("B{i:02}"), &format!("20{i:02}-01"), &[], &[]))
        .collect();
    let ru = scan.summary("ru");
    assert!(
        ru.contains("Имя пользователя найдено в 21 утечке данных, последняя — B20 (январь 2020)."),
        "{ru}"
    );
    let en = scan.summary("en");
    assert!(
        en.contains("It appears in 21 data breaches, the newest B20 (January 2020)."),
        "{en}"
    );
}

#[test]
fn a_stealer_log_and_discounted_lists_are_explained() {
    let mut scan = breached_gmail();
    scan.breaches.push(breach(
        "Stealer Logs",
        "2025-03",
        &["Email addresses", "Passwords"],
        &["malware"],
    ));
    scan.breaches.push(breach(
        "Spam List",
        "2024-01",
        &["Email addresses"],
        &["spam_list"],
    ));
    let en = scan.summary("en");
    assert!(en.starts_with("Critical risk ("), "{en}");
    assert!(
        en.contains("The Stealer Logs data was stolen by malware from the owner's own device"),
        "{en}"
    );
    assert!(
        en.contains("Not counted toward the risk (flagged fabricated or spam lists): Spam List."),
        "{en}"
    );
    assert!(en.contains("It appears in 4 data breaches"), "{en}");
}

#[test]
fn accounts_and_contacts_use_the_right_plurals() {
    let mut scan = Scan::new("jdoe", Kind::Username);
    scan.recipes = vec![
        run("username.rules", RecipeStatus::Ok),
        run("username.sites", RecipeStatus::Ok),
    ];
    scan.profiles = Profiles {
        verified: vec![profile("GitHub", "coding"), profile("Tinder", "dating")],
        weak: vec![profile("Forum", "misc")],
    };
    scan.contacts.emails.push(Contact {
        value: "jdoe@work.example".into(),
        source: "GitHub".into(),
    });
    let en = scan.summary("en");
    assert!(
        en.contains("Verified accounts on 2 sites: GitHub and Tinder."),
        "{en}"
    );
    assert!(en.contains("1 weak match needs confirmation."), "{en}");
    assert!(
        en.contains("1 contact is published on its profiles: jdoe@work.example."),
        "{en}"
    );
    assert!(
        en.contains("It has accounts on adult or dating sites: Tinder."),
        "{en}"
    );
    let ru = scan.summary("ru");
    assert!(
        ru.contains("Подтверждённые аккаунты на 2 сайтах: GitHub и Tinder."),
        "{ru}"
    );
    assert!(ru.contains("1 слабое совпадение требует проверки."), "{ru}");
    assert!(
        ru.contains("В профилях опубликован 1 контакт: jdoe@work.example."),
        "{ru}"
    );
    assert!(
        ru.starts_with("Низкий риск (24 из 100) для имени пользователя jdoe."),
        "{ru}"
    );
}

#[test]
fn nothing_found_says_so_and_what_was_not_checked() {
    let scan = Scan::email("a@corp.example", "corp.example", "corporate");
    assert_eq!(
        scan.summary("en"),
        "Low risk (0 out of 100) for the address a@corp.example. Nothing the checks found \
         raises it. Its domain corp.example is on no free-mail or disposable list, so it \
         likely belongs to an organisation (not verified). No site-presence or breach checks \
         were part of this scan."
    );
}

#[test]
fn failed_and_skipped_checks_are_named() {
    let mut scan = Scan::new("jdoe", Kind::Username);
    scan.recipes = vec![
        run("username.rules", RecipeStatus::Ok),
        run("username.sites", RecipeStatus::Skipped),
        run("breach.index", RecipeStatus::Error),
    ];
    let en = scan.summary("en");
    assert!(
        en.ends_with("Checks that could not finish: breach.index. Checks skipped: username.sites."),
        "{en}"
    );
    assert!(!en.contains("none of the known breaches"), "{en}");
}

#[test]
fn a_risky_number_leads_with_its_line_type() {
    let mut scan = Scan::new("+1 555 0100", Kind::Phone);
    scan.codes = vec!["phone.voip"];
    scan.recipes = vec![run("phone.analysis", RecipeStatus::Ok)];
    scan.phone = Some(PhoneProfile {
        e164: "+15550100".into(),
        international: "+1 555 0100".into(),
        national: "555 0100".into(),
        country_code: 1,
        region: Some("US".into()),
        country: Some("United States".into()),
        line_type: "voip".into(),
        valid: true,
        possible: true,
        carrier: Some("Example Telecom".into()),
        location: None,
        timezones: Vec::new(),
    });
    assert_eq!(
        scan.summary("ru"),
        "Низкий риск (30 из 100) для номера +1 555 0100. Номер действителен: тип \
         «IP-телефония», страна: United States. Оператор: Example Telecom. Проверки \
         аккаунтов на сайтах и утечек в этот поиск не входили."
    );
}
