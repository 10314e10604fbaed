//! Risk scoring: a deterministic function from what a scan found to a score from 0 to 100
//! and a band, with every contribution listed as a factor (name, weight, one-line reason),
//! heaviest first.
//!
//! The score answers "how much should a fraud or due-diligence analyst worry about this
//! identifier": throwaway or unreachable identifiers, and identities whose credentials,
//! money or private life are exposed, score high. It is the sum of the weights below,
//! capped at 100; each factor appears at most once.
//!
//! | factor | weight | when |
//! |---|---|---|
//! | `disposable_email` | 45 | the address is at a disposable-mail domain |
//! | `lookalike_domain` | 30 | the domain is one slip from a free-mail one (`gmail.co`) |
//! | `role_address` | 10 | the local part is a role (info@, admin@), not a person |
//! | `free_mail` | 5 | a free-mail provider, where anyone can open an address |
//! | `sub_address` | 5 | a plus-tag or a disposable alias: the owner hands out variants |
//! | `invalid_phone` | 40 | not a possible number (35 if possible but not assigned) |
//! | `risky_line_type` | 10–30 | VoIP 30, premium rate 25, personal number 20, pager 15, |
//! | | | shared cost, UAN or toll free 10 |
//! | `breaches` | 15 / 10 / 6 each, at most 30 | each credible breach, by age (below) |
//! | `credentials_exposed` | 25 / 18 / 15, +7 | a breach exposed passwords, hints, tokens or |
//! | | | security answers; by the newest one's age, +7 when two or more did (reuse) |
//! | `financial_or_id_exposed` | 25 / 18 / 12 | a breach exposed payment cards, bank |
//! | | | accounts or identity documents; by the newest one's age |
//! | `personal_details_exposed` | 5 | a breach exposed a home address, birth date or phone |
//! | `stolen_by_malware` | 25 | stealer-log or malware data: taken from the owner's device |
//! | `sensitive_breach` | 15 | a breach flagged sensitive (adult, dating …): being in it |
//! | | | can itself harm the owner |
//! | `accounts` | 4 each verified, 1 each weak, at most 20 | accounts found on sites |
//! | `sensitive_accounts` | 10 | a verified account on an adult or dating site |
//! | `exposed_contacts` | 5 each, at most 15 | emails and phones published on profiles |
//!
//! Three weights `a / b / c` are for a recent, a within-five-years and an older breach.
//! Ages, counted from the month of the scan: *recent* is at most 24 months old, then
//! *within five years* (60 months), then *older*; a breach with no date counts as within
//! five years. Breaches flagged fabricated or spam lists are listed in the dossier but
//! weigh nothing. Data classes are HIBP's names, matched without regard to case.
//!
//! Reasons are written in the scan's language (English or Russian).
//!
//! Bands: low below 40, medium from 40 (65 is medium), high from 70, critical from 90.

use crate::dossier::{Breach, Contacts, Profiles, RecipeFinding, Risk, RiskFactor};
use crate::i18n::{self, Lang};

pub const MEDIUM_FROM: u32 = 40;
pub const HIGH_FROM: u32 = 70;
pub const CRITICAL_FROM: u32 = 90;

/// A breach at most this many months old is recent.
const RECENT_MONTHS: i64 = 24;
/// A breach at most this many months old is within five years.
const FIVE_YEARS_MONTHS: i64 = 60;

pub fn band(score: u32) -> &'static str {
    match score {
        s if s >= CRITICAL_FROM => "critical",
        s if s >= HIGH_FROM => "high",
        s if s >= MEDIUM_FROM => "medium",
        _ => "low",
    }
}

/// Months since year 0 of a `YYYY-MM…` date, or `None` when it is not one.
pub fn month_number(date: &str) -> Option<i64> {
    let year: i64 = date.get(0..4)?.parse().ok()?;
    let month: i64 = date.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// How old a breach is, as the model weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Age {
    Recent,
    WithinFiveYears,
    Older,
}

impl Age {
    pub fn of(breach: &Breach, as_of_month: i64) -> Age {
        match month_number(&breach.date).map(|m| as_of_month - m) {
            Some(months) if months <= RECENT_MONTHS => Age::Recent,
            Some(months) if months <= FIVE_YEARS_MONTHS => Age::WithinFiveYears,
            Some(_) => Age::Older,
            None => Age::WithinFiveYears,
        }
    }

    fn pick(self, weights: [u32; 3]) -> u32 {
        match self {
            Age::Recent => weights[0],
            Age::WithinFiveYears => weights[1],
            Age::Older => weights[2],
        }
    }
}

/// What a breach's data classes expose, as the model groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    Credentials,
    FinancialOrId,
    PersonalDetails,
}

impl Exposure {
    fn matches(self, class: &str) -> bool {
        let class = class.to_lowercase();
        let any = |words: &[&str]| words.iter().any(|w| class.contains(w));
        match self {
            Exposure::Credentials => {
                any(&["password", "auth token", "security question"]) || class == "pins"
            }
            Exposure::FinancialOrId => any(&[
                "credit card",
                "bank account",
                "government issued id",
                "passport",
                "social security",
                "tax id",
                "national id",
            ]),
            Exposure::PersonalDetails => any(&[
                "physical address",
                "date of birth",
                "dates of birth",
                "phone number",
                "geographic location",
            ]),
        }
    }

    /// Whether `breach` exposed data of this group.
    pub fn in_breach(self, breach: &Breach) -> bool {
        breach.classes.iter().any(|c| self.matches(c))
    }
}

/// Whether a site category is one where having an account can itself harm the owner.
pub fn sensitive_category(category: &str) -> bool {
    let category = category.to_lowercase();
    category.contains("nsfw") || category.contains("adult") || category == "dating"
}

fn has(findings: &[RecipeFinding], code: &str) -> Option<String> {
    findings
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.detail.clone())
}

/// `A, B, C and 2 more` / `A, B, C и ещё 2`: names for a one-line reason.
fn some_names(lang: Lang, names: &[&str], shown: usize) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    i18n::some(lang, &names, shown)
}

fn breach_label(breach: &Breach) -> String {
    match breach.date.is_empty() {
        true => breach.title.clone(),
        false => format!("{} ({})", breach.title, breach.date),
    }
}

/// `in 3 breaches` / `в 3 утечках`.
fn in_breaches(lang: Lang, n: usize) -> String {
    let n64 = n as u64;
    match lang {
        Lang::En => format!(
            "in {}",
            i18n::count(lang, n64, ("breach", "breaches"), ("", "", ""))
        ),
        Lang::Ru => match i18n::ru_singular(n64) {
            true => format!("в {n} утечке"),
            false => format!("в {n} утечках"),
        },
    }
}

/// Scores what a scan found. `as_of_month` (as `month_number` counts) is the month of the
/// scan, from which breach ages are counted; `lang` is the language of the reasons. The
/// same inputs always give the same risk. In English, reasons about the address or number
/// itself quote the analyser's finding; in Russian they are the model's own sentence.
pub fn score(
    findings: &[RecipeFinding],
    profiles: &Profiles,
    contacts: &Contacts,
    breaches: &[Breach],
    as_of_month: i64,
    lang: Lang,
) -> Risk {
    let mut factors = Vec::new();
    let mut add = |name: &str, weight: u32, detail: String| {
        factors.push(RiskFactor {
            name: name.to_string(),
            weight,
            detail,
        });
    };
    // (finding, factor, weight, Russian reason)
    const IDENTIFIER_RULES: [(&str, &str, u32, &str); 5] = [
        (
            "email.disposable_domain",
            "disposable_email",
            45,
            "адрес на домене одноразовой почты",
        ),
        (
            "email.lookalike_domain",
            "lookalike_domain",
            30,
            "домен отличается от известного почтового домена одним символом",
        ),
        (
            "email.role_address",
            "role_address",
            10,
            "служебный адрес (info@, admin@), а не личный ящик",
        ),
        (
            "email.free_mail",
            "free_mail",
            5,
            "бесплатная почтовая служба: такой адрес может завести кто угодно",
        ),
        (
            "email.plus_tag",
            "sub_address",
            5,
            "псевдоним основного ящика: владелец раздаёт варианты адреса",
        ),
    ];
    for (code, name, weight, ru) in IDENTIFIER_RULES {
        let found = match code {
            "email.plus_tag" => {
                has(findings, code).or_else(|| has(findings, "email.disposable_alias"))
            }
            _ => has(findings, code),
        };
        if let Some(detail) = found {
            add(name, weight, lang.pick(detail, ru.to_string()));
        }
    }
    if let Some(detail) = has(findings, "phone.not_possible") {
        let ru = "номер такой длины или формы невозможен".to_string();
        add("invalid_phone", 40, lang.pick(detail, ru));
    } else if let Some(detail) = has(findings, "phone.invalid") {
        let ru = "номер возможен, но не выделен ни одному абоненту".to_string();
        add("invalid_phone", 35, lang.pick(detail, ru));
    }
    // (finding, weight, line type as `summary::line_type_name` reads it)
    const LINE_TYPES: [(&str, u32, &str); 7] = [
        ("phone.voip", 30, "voip"),
        ("phone.premium_rate", 25, "premium_rate"),
        ("phone.personal_number", 20, "personal_number"),
        ("phone.pager", 15, "pager"),
        ("phone.shared_cost", 10, "shared_cost"),
        ("phone.uan", 10, "uan"),
        ("phone.toll_free", 10, "toll_free"),
    ];
    if let Some((detail, weight, line_type)) = LINE_TYPES
        .iter()
        .find_map(|(code, w, t)| has(findings, code).map(|d| (d, *w, *t)))
    {
        let ru = format!(
            "линия {}: ею часто пользуются для разовых и мошеннических звонков",
            super::summary::line_type_name(line_type, Lang::Ru)
        );
        add("risky_line_type", weight, lang.pick(detail, ru));
    }
    breach_factors(breaches, as_of_month, lang, &mut add);
    account_factors(profiles, contacts, lang, &mut add);
    // Heaviest first, so a reader (and the summary) meets what matters most; the sort is
    // stable, so equal weights keep the table's order.
    factors.sort_by(|a, b| b.weight.cmp(&a.weight));
    let score = factors.iter().map(|f| f.weight).sum::<u32>().min(100);
    Risk {
        score,
        band: band(score).to_string(),
        factors,
    }
}

fn breach_factors(
    breaches: &[Breach],
    as_of_month: i64,
    lang: Lang,
    add: &mut impl FnMut(&str, u32, String),
) {
    let mut credible: Vec<(&Breach, Age)> = breaches
        .iter()
        .filter(|b| b.credible())
        .map(|b| (b, Age::of(b, as_of_month)))
        .collect();
    if credible.is_empty() {
        return;
    }
    // Newest first: `date` is `YYYY-MM`, so text order is time order; undated last.
    credible.sort_by(|a, b| b.0.date.cmp(&a.0.date).then(a.0.name.cmp(&b.0.name)));
    let breadth: u32 = credible.iter().map(|(_, age)| age.pick([15, 10, 6])).sum();
    let n_recent = credible.iter().filter(|(_, a)| *a == Age::Recent).count();
    let names: Vec<&str> = credible.iter().map(|(b, _)| b.title.as_str()).collect();
    let listed = some_names(lang, &names, 4);
    let place = in_breaches(lang, credible.len());
    add(
        "breaches",
        breadth.min(30),
        lang.pick(
            format!("{place} ({n_recent} in the last two years): {listed}"),
            format!("{place} (за последние два года — {n_recent}): {listed}"),
        ),
    );
    let exposed = |exposure: Exposure| -> Vec<(&Breach, Age)> {
        credible
            .iter()
            .filter(|(b, _)| exposure.in_breach(b))
            .copied()
            .collect()
    };
    let credentials = exposed(Exposure::Credentials);
    if let Some((newest, age)) = credentials.first() {
        let reuse = if credentials.len() >= 2 { 7 } else { 0 };
        let (place, newest) = (in_breaches(lang, credentials.len()), breach_label(newest));
        add(
            "credentials_exposed",
            age.pick([25, 18, 15]) + reuse,
            lang.pick(
                format!("passwords or other credentials exposed {place}, the newest {newest}"),
                format!("пароли или другие учётные данные раскрыты {place}, последняя — {newest}"),
            ),
        );
    }
    let money = exposed(Exposure::FinancialOrId);
    if let Some((newest, age)) = money.first() {
        let newest = breach_label(newest);
        add(
            "financial_or_id_exposed",
            age.pick([25, 18, 12]),
            lang.pick(
                format!("payment, bank or identity-document data exposed, the newest in {newest}"),
                format!(
                    "раскрыты платёжные, банковские данные или документы, последняя — {newest}"
                ),
            ),
        );
    }
    let personal = exposed(Exposure::PersonalDetails);
    if !personal.is_empty() {
        let names: Vec<&str> = personal.iter().map(|(b, _)| b.title.as_str()).collect();
        let names = some_names(lang, &names, 3);
        add(
            "personal_details_exposed",
            5,
            lang.pick(
                format!("home address, birth date or phone number exposed in: {names}"),
                format!("раскрыты домашний адрес, дата рождения или телефон: {names}"),
            ),
        );
    }
    let by_flag = |flag: &str| -> Vec<&str> {
        credible
            .iter()
            .filter(|(b, _)| b.has_flag(flag))
            .map(|(b, _)| b.title.as_str())
            .collect()
    };
    let malware = by_flag("malware");
    if !malware.is_empty() {
        let names = some_names(lang, &malware, 3);
        add(
            "stolen_by_malware",
            25,
            lang.pick(
                format!("credentials taken by malware from the owner's own device: {names}"),
                format!(
                    "учётные данные похищены вредоносной программой с устройства владельца: {names}"
                ),
            ),
        );
    }
    let sensitive = by_flag("sensitive");
    if !sensitive.is_empty() {
        let names = some_names(lang, &sensitive, 3);
        add(
            "sensitive_breach",
            15,
            lang.pick(
                format!(
                    "in a breach flagged sensitive, where being listed can itself harm the \
                     owner: {names}"
                ),
                format!(
                    "в утечке, отмеченной как чувствительная: само присутствие в ней может \
                     навредить владельцу: {names}"
                ),
            ),
        );
    }
}

fn account_factors(
    profiles: &Profiles,
    contacts: &Contacts,
    lang: Lang,
    add: &mut impl FnMut(&str, u32, String),
) {
    let (n_verified, n_weak) = (profiles.verified.len(), profiles.weak.len());
    if n_verified + n_weak > 0 {
        let sites: Vec<&str> = profiles.verified.iter().map(|p| p.site.as_str()).collect();
        let listed = match sites.is_empty() {
            true => String::new(),
            false => format!(" ({})", some_names(lang, &sites, 4)),
        };
        add(
            "accounts",
            (4 * n_verified + n_weak).min(20) as u32,
            lang.pick(
                format!("{n_verified} verified accounts{listed} and {n_weak} weak ones found"),
                format!(
                    "подтверждённых аккаунтов: {n_verified}{listed}, слабых совпадений: {n_weak}"
                ),
            ),
        );
    }
    let sensitive: Vec<&str> = profiles
        .verified
        .iter()
        .filter(|p| sensitive_category(&p.category))
        .map(|p| p.site.as_str())
        .collect();
    if !sensitive.is_empty() {
        let names = some_names(lang, &sensitive, 3);
        add(
            "sensitive_accounts",
            10,
            lang.pick(
                format!("verified accounts on adult or dating sites: {names}"),
                format!("подтверждённые аккаунты на сайтах знакомств или для взрослых: {names}"),
            ),
        );
    }
    let n_contacts = contacts.emails.len() + contacts.phones.len();
    if n_contacts > 0 {
        let plural = if n_contacts == 1 { "" } else { "s" };
        add(
            "exposed_contacts",
            (5 * n_contacts).min(15) as u32,
            lang.pick(
                format!("{n_contacts} contact{plural} published on profiles"),
                format!("контактов, опубликованных в профилях: {n_contacts}"),
            ),
        );
    }
}

#[cfg(test)]
mod tests;
