//! The written summary's template, in English or Russian, composed as an analyst would
//! write it: the verdict first (band, score, target), then the evidence in order of the
//! risk it carries (breaches and what they exposed, the address or number itself,
//! accounts and contacts), then what the scan could not say (checks that failed, were
//! skipped or were not part of the scan), so "not checked" never reads as "nothing found".
//!
//! It reads the dossier and these facts from the recipes:
//! - `email.domain` (registrable domain), `email.domain_class` (`disposable`, `free_mail`,
//!   `corporate`, `reserved`), `email.role` (role name), `email.sub_address` (`yes`);
//! - `username.sites_ok` and `username.sites_known` (site rules the handle satisfies, of
//!   how many known);
//! - `sites.checked`, `sites.undecided` and `sites.undecided_reasons` (site checks made,
//!   those that could not say either way, and why: `waf 3, timeout 1`).

use crate::dossier::{Breach, Dossier, RecipeStatus};
use crate::engine::ScanInput;
use crate::engine::risk::{Exposure, sensitive_category};
use crate::i18n::{self, Lang};
use crate::target::Kind;

pub const LANGS: [&str; 2] = ["en", "ru"];

/// Breaches named one by one in a sentence; past this, the count and the newest.
const NAMED_BREACHES: usize = 4;

fn fact<'f>(facts: &'f [(&'static str, String)], key: &str) -> Option<&'f str> {
    facts
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

/// What the sentences need to know of the scan.
struct Context<'a> {
    lang: Lang,
    kind: Kind,
    target: &'a str,
    dossier: &'a Dossier,
    facts: &'a [(&'static str, String)],
}

impl Context<'_> {
    /// The summed weight of the named risk factors: how much a sentence about them
    /// matters, so the heaviest evidence comes first.
    fn weight(&self, names: &[&str]) -> u32 {
        let factors = self.dossier.risk.factors.iter();
        factors
            .filter(|f| names.contains(&f.name.as_str()))
            .map(|f| f.weight)
            .sum()
    }

    fn pick<T>(&self, en: T, ru: T) -> T {
        self.lang.pick(en, ru)
    }

    /// `найден` or `найдено`: the participle agrees with the Russian subject.
    fn ru_found(&self) -> &'static str {
        match self.kind {
            Kind::Username => "найдено",
            Kind::Email | Kind::Phone => "найден",
        }
    }

    /// The subject of a Russian sentence: `Адрес`, `Номер`, `Имя пользователя`.
    fn ru_subject(&self) -> &'static str {
        match self.kind {
            Kind::Email => "Адрес",
            Kind::Phone => "Номер",
            Kind::Username => "Имя пользователя",
        }
    }
}

pub fn write(input: &ScanInput, facts: &[(&'static str, String)], dossier: &Dossier) -> String {
    let context = Context {
        lang: i18n::Lang::parse(&input.lang),
        kind: input.kind,
        target: &input.target,
        dossier,
        facts,
    };
    let mut out = vec![verdict(&context)];
    // (weight, sentence): the stable sort keeps each group's own order on ties.
    let mut evidence: Vec<(u32, String)> = Vec::new();
    breach_lines(&context, &mut evidence);
    match input.kind {
        Kind::Email => email_lines(&context, &mut evidence),
        Kind::Phone => phone_lines(&context, &mut evidence),
        Kind::Username => username_lines(&context, &mut evidence),
    }
    account_lines(&context, &mut evidence);
    evidence.sort_by(|a, b| b.0.cmp(&a.0));
    out.extend(evidence.into_iter().map(|(_, line)| line));
    coverage_lines(&context, &mut out);
    out.join(" ")
}

fn verdict(c: &Context) -> String {
    let risk = &c.dossier.risk;
    let line = match c.lang {
        Lang::En => {
            let noun = match c.kind {
                Kind::Email => "address",
                Kind::Phone => "number",
                Kind::Username => "username",
            };
            format!(
                "{} risk ({} out of 100) for the {noun} {}.",
                i18n::capitalised(&risk.band),
                risk.score,
                c.target
            )
        }
        Lang::Ru => {
            let band = match risk.band.as_str() {
                "low" => "Низкий",
                "medium" => "Средний",
                "high" => "Высокий",
                _ => "Критический",
            };
            let noun = match c.kind {
                Kind::Email => "адреса",
                Kind::Phone => "номера",
                Kind::Username => "имени пользователя",
            };
            format!(
                "{band} риск ({} из 100) для {noun} {}.",
                risk.score, c.target
            )
        }
    };
    match risk.factors.is_empty() {
        true => format!(
            "{line} {}",
            c.pick(
                "Nothing the checks found raises it.",
                "Ничто из найденного его не повышает."
            )
        ),
        false => line,
    }
}

/// `Adobe (October 2013)`.
fn dated(lang: Lang, breach: &Breach) -> String {
    match breach.date.is_empty() {
        true => breach.title.clone(),
        false => format!(
            "{} ({})",
            breach.title,
            i18n::month_year(lang, &breach.date)
        ),
    }
}

/// Breaches named in a sentence: all of them when few, else the count and the newest.
fn breach_names(lang: Lang, breaches: &[&Breach]) -> String {
    let named: Vec<String> = breaches.iter().map(|b| dated(lang, b)).collect();
    i18n::some(lang, &named, NAMED_BREACHES)
}

fn breach_lines(c: &Context, evidence: &mut Vec<(u32, String)>) {
    let lang = c.lang;
    let mut credible: Vec<&Breach> = c.dossier.breaches.iter().filter(|b| b.credible()).collect();
    // Newest first, as a reader wants them.
    credible.sort_by(|a, b| b.date.cmp(&a.date).then(a.title.cmp(&b.title)));
    let discounted: Vec<String> = c
        .dossier
        .breaches
        .iter()
        .filter(|b| !b.credible())
        .map(|b| b.title.clone())
        .collect();
    let weight = c.weight(&[
        "breaches",
        "credentials_exposed",
        "financial_or_id_exposed",
        "personal_details_exposed",
        "stolen_by_malware",
        "sensitive_breach",
    ]);
    let n = credible.len() as u64;
    if n > 0 {
        let line = match (lang, n as usize > NAMED_BREACHES) {
            (Lang::En, false) => format!(
                "It appears in {}: {}.",
                i18n::count(lang, n, ("data breach", "data breaches"), ("", "", "")),
                breach_names(lang, &credible)
            ),
            (Lang::En, true) => format!(
                "It appears in {} data breaches, the newest {}.",
                i18n::number(lang, n),
                dated(lang, credible[0])
            ),
            (Lang::Ru, many) => {
                let place = match i18n::ru_singular(n) {
                    true => "утечке",
                    false => "утечках",
                };
                let which = match many {
                    false => format!(": {}", breach_names(lang, &credible)),
                    true => format!(", последняя — {}", dated(lang, credible[0])),
                };
                format!(
                    "{} {} в {} {place} данных{which}.",
                    c.ru_subject(),
                    c.ru_found(),
                    i18n::number(lang, n)
                )
            }
        };
        evidence.push((weight, line));
        exposure_lines(c, &credible, weight, evidence);
    }
    if !discounted.is_empty() {
        evidence.push((
            weight,
            c.pick(
                format!(
                    "Not counted toward the risk (flagged fabricated or spam lists): {}.",
                    i18n::list(lang, &discounted)
                ),
                format!(
                    "Не учитываются в риске (отмечены как поддельные или спам-базы): {}.",
                    i18n::list(lang, &discounted)
                ),
            ),
        ));
    }
    let breaches_checked = c
        .dossier
        .recipes
        .iter()
        .any(|r| r.name.starts_with("breach") && r.status == RecipeStatus::Ok);
    if breaches_checked && c.dossier.breaches.is_empty() {
        evidence.push((
            0,
            c.pick(
                "It is in none of the known breaches.".to_string(),
                format!("В известных утечках не {}.", c.ru_found()),
            ),
        ));
    }
}

/// What the breaches exposed: credentials, money or identity documents, malware, and
/// sensitive breaches, each naming the breaches concerned.
fn exposure_lines(
    c: &Context,
    credible: &[&Breach],
    weight: u32,
    evidence: &mut Vec<(u32, String)>,
) {
    let lang = c.lang;
    // "in Adobe and Dropbox" / "в утечках Adobe и Dropbox"; the newest alone when many.
    let in_breaches = |breaches: &[&Breach]| -> String {
        let n = breaches.len() as u64;
        let names: Vec<String> = breaches.iter().map(|b| b.title.clone()).collect();
        match (lang, breaches.len() > NAMED_BREACHES) {
            (Lang::En, false) => format!("in {}", i18n::list(lang, &names)),
            (Lang::En, true) => format!(
                "in {} of them, the newest {}",
                i18n::number(lang, n),
                dated(lang, breaches[0])
            ),
            (Lang::Ru, false) => {
                let word = if n == 1 {
                    "утечке"
                } else {
                    "утечках"
                };
                format!("в {word} {}", i18n::list(lang, &names))
            }
            (Lang::Ru, true) => format!(
                "в {} из них, последний раз — {}",
                i18n::number(lang, n),
                dated(lang, breaches[0])
            ),
        }
    };
    let with = |exposure: Exposure| -> Vec<&Breach> {
        credible
            .iter()
            .filter(|b| exposure.in_breach(b))
            .copied()
            .collect()
    };
    let credentials = with(Exposure::Credentials);
    if !credentials.is_empty() {
        let place = in_breaches(&credentials);
        evidence.push((
            weight,
            c.pick(
                format!("Passwords or other credentials were exposed {place}."),
                format!("Пароли или другие учётные данные раскрыты {place}."),
            ),
        ));
    }
    let money = with(Exposure::FinancialOrId);
    if !money.is_empty() {
        let place = in_breaches(&money);
        evidence.push((
            weight,
            c.pick(
                format!("Payment-card, bank or identity-document data was exposed {place}."),
                format!("Платёжные, банковские данные или данные документов раскрыты {place}."),
            ),
        ));
    }
    let flagged = |flag: &str| -> Vec<String> {
        credible
            .iter()
            .filter(|b| b.has_flag(flag))
            .map(|b| b.title.clone())
            .collect()
    };
    let malware = flagged("malware");
    if !malware.is_empty() {
        evidence.push((
            weight,
            c.pick(
                format!(
                    "The {} data was stolen by malware from the owner's own device; such \
                     credentials are usually still valid.",
                    i18n::list(lang, &malware)
                ),
                format!(
                    "Данные {} похищены вредоносной программой с устройства владельца; такие \
                     учётные данные обычно ещё действуют.",
                    i18n::list(lang, &malware)
                ),
            ),
        ));
    }
    let sensitive = flagged("sensitive");
    if !sensitive.is_empty() {
        let one = sensitive.len() == 1;
        let names = i18n::list(lang, &sensitive);
        evidence.push((
            weight,
            match (lang, one) {
                (Lang::En, true) => format!(
                    "The {names} breach is flagged sensitive: being listed in it can itself \
                     harm the owner."
                ),
                (Lang::En, false) => format!(
                    "The {names} breaches are flagged sensitive: being listed in them can \
                     itself harm the owner."
                ),
                (Lang::Ru, true) => format!(
                    "Утечка {names} отмечена как чувствительная: само присутствие в ней может \
                     навредить владельцу."
                ),
                (Lang::Ru, false) => format!(
                    "Утечки {names} отмечены как чувствительные: само присутствие в них может \
                     навредить владельцу."
                ),
            },
        ));
    }
}

fn email_lines(c: &Context, evidence: &mut Vec<(u32, String)>) {
    // Without the domain recipe's facts there is nothing to say about the domain.
    let Some(domain) = fact(c.facts, "email.domain") else {
        return;
    };
    let class = fact(c.facts, "email.domain_class");
    let line = match (class, c.lang) {
        (Some("disposable"), Lang::En) => {
            format!("Its domain {domain} hands out disposable mailboxes.")
        }
        (Some("disposable"), Lang::Ru) => format!("Домен {domain} выдаёт одноразовые ящики."),
        (Some("free_mail"), Lang::En) => format!("Its domain {domain} is a free-mail provider."),
        (Some("free_mail"), Lang::Ru) => {
            format!("Домен {domain} принадлежит бесплатной почтовой службе.")
        }
        (Some("reserved"), Lang::En) => {
            format!("Its domain {domain} is reserved and receives no mail.")
        }
        (Some("reserved"), Lang::Ru) => {
            format!("Домен {domain} зарезервирован и почту не принимает.")
        }
        (_, Lang::En) => format!(
            "Its domain {domain} is on no free-mail or disposable list, so it likely belongs \
             to an organisation (not verified)."
        ),
        (_, Lang::Ru) => format!(
            "Домена {domain} нет в списках бесплатных и одноразовых почтовых служб; \
             вероятно, он принадлежит организации (не проверялось)."
        ),
    };
    evidence.push((c.weight(&["disposable_email", "free_mail"]), line));
    if c.weight(&["lookalike_domain"]) > 0 {
        evidence.push((
            c.weight(&["lookalike_domain"]),
            c.pick(
                format!(
                    "The domain {domain} is one slip from a well-known mail domain: a typo, or \
                     an impersonation."
                ),
                format!(
                    "Домен {domain} отличается от известного почтового домена одним символом: \
                     опечатка или подделка."
                ),
            ),
        ));
    }
    if let Some(role) = fact(c.facts, "email.role") {
        evidence.push((
            c.weight(&["role_address"]),
            c.pick(
                format!("The mailbox is a role address ({role}@), not a person's own."),
                format!("Это служебный адрес ({role}@), а не личный ящик."),
            ),
        ));
    }
    if fact(c.facts, "email.sub_address").is_some() {
        evidence.push((
            c.weight(&["sub_address"]),
            c.pick(
                "It is a tagged or disposable alias of the owner's main mailbox.",
                "Это псевдоним (подадрес) основного ящика владельца.",
            )
            .to_string(),
        ));
    }
}

fn phone_lines(c: &Context, evidence: &mut Vec<(u32, String)>) {
    let Some(phone) = &c.dossier.phone_profile else {
        return;
    };
    let weight = c.weight(&["invalid_phone", "risky_line_type"]);
    let country = phone.country.clone().or_else(|| phone.region.clone());
    let line_type = line_type_name(&phone.line_type, c.lang);
    let line = match (phone.valid, c.lang, country) {
        (true, Lang::En, Some(country)) => {
            format!("It is a valid {line_type} number from {country}.")
        }
        (true, Lang::En, None) => format!("It is a valid {line_type} number."),
        (true, Lang::Ru, Some(country)) => {
            format!("Номер действителен: {line_type}, страна: {country}.")
        }
        (true, Lang::Ru, None) => format!("Номер действителен: {line_type}."),
        (false, Lang::En, Some(country)) => format!("It is not a valid number for {country}."),
        (false, Lang::En, None) => "It is not a valid phone number.".to_string(),
        (false, Lang::Ru, Some(country)) => format!("Номер недействителен (страна: {country})."),
        (false, Lang::Ru, None) => "Номер недействителен.".to_string(),
    };
    let mut line = line;
    if let Some(carrier) = &phone.carrier {
        line.push(' ');
        line.push_str(&sentence(c.pick("Carrier", "Оператор"), carrier));
    }
    if let Some(location) = &phone.location {
        line.push(' ');
        line.push_str(&sentence(c.pick("Location", "Местоположение"), location));
    }
    evidence.push((weight, line));
}

/// `Label: value.`, without doubling a full stop the value already ends with (`D.C.`).
fn sentence(label: &str, value: &str) -> String {
    match value.ends_with('.') {
        true => format!("{label}: {value}"),
        false => format!("{label}: {value}."),
    }
}

/// libphonenumber's line type as readers say it.
pub fn line_type_name(line_type: &str, lang: Lang) -> String {
    let (en, ru) = match line_type {
        "mobile" => ("mobile", "мобильный"),
        "fixed_line" => ("fixed-line", "стационарный"),
        "fixed_line_or_mobile" => ("fixed-line or mobile", "стационарный или мобильный"),
        "toll_free" => ("toll-free", "бесплатный для звонящего"),
        "premium_rate" => ("premium-rate", "платный (премиум)"),
        "shared_cost" => ("shared-cost", "с разделённой оплатой"),
        "voip" => ("VoIP", "IP-телефония"),
        "personal_number" => ("personal", "персональный"),
        "pager" => ("pager", "пейджер"),
        "uan" => ("universal access", "единый номер доступа"),
        "voicemail" => ("voicemail", "голосовая почта"),
        _ => ("", ""),
    };
    match (lang, en.is_empty()) {
        (Lang::En, false) => en.to_string(),
        (Lang::Ru, false) => format!("тип «{ru}»"),
        (Lang::En, true) => "phone".to_string(),
        (Lang::Ru, true) => "тип не определён".to_string(),
    }
}

fn username_lines(c: &Context, evidence: &mut Vec<(u32, String)>) {
    let (Some(ok), Some(known)) = (
        fact(c.facts, "username.sites_ok"),
        fact(c.facts, "username.sites_known"),
    ) else {
        return;
    };
    let line = match c.lang {
        Lang::En => format!("The handle fits the username rules of {ok} of {known} known sites."),
        Lang::Ru => {
            let n: u64 = known.parse().unwrap_or(0);
            let sites = i18n::ru_form(
                n,
                "известного сайта",
                "известных сайтов",
                "известных сайтов",
            );
            format!("Имя подходит под правила {ok} из {known} {sites}.")
        }
    };
    evidence.push((0, line));
}

fn account_lines(c: &Context, evidence: &mut Vec<(u32, String)>) {
    let lang = c.lang;
    let profiles = &c.dossier.profiles;
    let (n_verified, n_weak) = (profiles.verified.len() as u64, profiles.weak.len() as u64);
    let searched_sites = c.dossier.sites_checked();
    let weight = c.weight(&["accounts", "sensitive_accounts", "exposed_contacts"]);
    if n_verified > 0 {
        let sites: Vec<String> = profiles.verified.iter().map(|p| p.site.clone()).collect();
        let sites = i18n::some(lang, &sites, 4);
        evidence.push((
            weight,
            match lang {
                Lang::En => format!(
                    "Verified accounts on {}: {sites}.",
                    i18n::count(lang, n_verified, ("site", "sites"), ("", "", ""))
                ),
                Lang::Ru => {
                    let place = if i18n::ru_singular(n_verified) {
                        "сайте"
                    } else {
                        "сайтах"
                    };
                    format!("Подтверждённые аккаунты на {n_verified} {place}: {sites}.")
                }
            },
        ));
    }
    if n_weak > 0 {
        evidence.push((
            weight,
            match lang {
                Lang::En => format!(
                    "{} need{} confirmation.",
                    i18n::capitalised(&i18n::count(
                        lang,
                        n_weak,
                        ("weak match", "weak matches"),
                        ("", "", "")
                    )),
                    if n_weak == 1 { "s" } else { "" }
                ),
                Lang::Ru => format!(
                    "{} требу{} проверки.",
                    i18n::count(
                        lang,
                        n_weak,
                        ("", ""),
                        (
                            "слабое совпадение",
                            "слабых совпадения",
                            "слабых совпадений"
                        )
                    ),
                    if i18n::ru_singular(n_weak) {
                        "ет"
                    } else {
                        "ют"
                    }
                ),
            },
        ));
    }
    if searched_sites && n_verified + n_weak == 0 {
        evidence.push((
            0,
            c.pick(
                "No accounts were found on the sites checked.",
                "На проверенных сайтах аккаунтов не найдено.",
            )
            .to_string(),
        ));
    }
    let sensitive: Vec<String> = profiles
        .verified
        .iter()
        .filter(|p| sensitive_category(&p.category))
        .map(|p| p.site.clone())
        .collect();
    if !sensitive.is_empty() {
        let sites = i18n::list(lang, &sensitive);
        evidence.push((
            weight,
            c.pick(
                format!("It has accounts on adult or dating sites: {sites}."),
                format!("Есть аккаунты на сайтах знакомств или для взрослых: {sites}."),
            ),
        ));
    }
    let contacts: Vec<String> = c
        .dossier
        .contacts
        .emails
        .iter()
        .chain(&c.dossier.contacts.phones)
        .map(|contact| contact.value.clone())
        .collect();
    if !contacts.is_empty() {
        let n = contacts.len() as u64;
        let values = i18n::some(lang, &contacts, 3);
        evidence.push((
            weight,
            match lang {
                Lang::En => format!(
                    "{} published on its profiles: {values}.",
                    i18n::capitalised(&format!(
                        "{} {}",
                        i18n::count(lang, n, ("contact", "contacts"), ("", "", "")),
                        if n == 1 { "is" } else { "are" }
                    ))
                ),
                Lang::Ru => format!(
                    "В профилях {} {}: {values}.",
                    if i18n::ru_singular(n) {
                        "опубликован"
                    } else {
                        "опубликовано"
                    },
                    i18n::count(lang, n, ("", ""), ("контакт", "контакта", "контактов"))
                ),
            },
        ));
    }
}

fn coverage_lines(c: &Context, out: &mut Vec<String>) {
    let recipes = &c.dossier.recipes;
    let searched_sites = c.dossier.sites_checked();
    let searched_breaches = recipes.iter().any(|r| r.name.starts_with("breach"));
    if !searched_sites && !searched_breaches {
        out.push(
            c.pick(
                "No site-presence or breach checks were part of this scan.",
                "Проверки аккаунтов на сайтах и утечек в этот поиск не входили.",
            )
            .to_string(),
        );
    } else if !searched_sites {
        out.push(
            c.pick(
                "Site-presence checks were not part of this scan.",
                "Проверка аккаунтов на сайтах в этот поиск не входила.",
            )
            .to_string(),
        );
    } else if !searched_breaches {
        out.push(
            c.pick(
                "Breach checks were not part of this scan.",
                "Проверка утечек в этот поиск не входила.",
            )
            .to_string(),
        );
    }
    let undecided = fact(c.facts, "sites.undecided").and_then(|n| n.parse::<u64>().ok());
    if let (Some(undecided @ 1..), Some(checked)) = (undecided, fact(c.facts, "sites.checked")) {
        let reasons = fact(c.facts, "sites.undecided_reasons").unwrap_or("");
        out.push(c.pick(
            format!(
                "{undecided} of {checked} site checks could not say whether an account exists \
                 ({reasons}); they count neither way."
            ),
            format!(
                "Проверки сайтов без ответа: {undecided} из {checked} ({reasons}); они не \
                 учтены ни в одну сторону."
            ),
        ));
    }
    let named = |status: RecipeStatus| -> Vec<String> {
        recipes
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.name.clone())
            .collect()
    };
    let failed = named(RecipeStatus::Error);
    if !failed.is_empty() {
        let names = i18n::list(c.lang, &failed);
        out.push(c.pick(
            format!("Checks that could not finish: {names}."),
            format!("Не удалось выполнить проверки: {names}."),
        ));
    }
    let skipped = named(RecipeStatus::Skipped);
    if !skipped.is_empty() {
        let names = i18n::list(c.lang, &skipped);
        out.push(c.pick(
            format!("Checks skipped: {names}."),
            format!("Пропущенные проверки: {names}."),
        ));
    }
}

#[cfg(test)]
mod tests;
