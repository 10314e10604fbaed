//! The written summary: a deterministic template, in English or Russian, that states
//! what the dossier holds and what it does not (checks that failed, were skipped or were
//! not part of the scan), so a reader never mistakes "not checked" for "nothing found".
//!
//! It reads the dossier and these facts from the recipes:
//! - `email.domain` (registrable domain), `email.domain_class` (`disposable`, `free_mail`,
//!   `corporate`, `reserved`), `email.role` (role name), `email.sub_address` (`yes`);
//! - `username.sites_ok` and `username.sites_known` (site rules the handle satisfies, of
//!   how many known).

use crate::dossier::{Dossier, RecipeStatus};
use crate::engine::ScanInput;
use crate::target::Kind;

pub const LANGS: [&str; 2] = ["en", "ru"];

fn fact<'f>(facts: &'f [(&'static str, String)], key: &str) -> Option<&'f str> {
    facts
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

pub fn write(input: &ScanInput, facts: &[(&'static str, String)], dossier: &Dossier) -> String {
    let ru = input.lang == "ru";
    let mut out: Vec<String> = Vec::new();
    out.push(opening(input, dossier, ru));
    match input.kind {
        Kind::Email => email_lines(facts, ru, &mut out),
        Kind::Phone => phone_lines(dossier, ru, &mut out),
        Kind::Username => username_lines(facts, ru, &mut out),
    }
    coverage_lines(dossier, ru, &mut out);
    out.join(" ")
}

fn opening(input: &ScanInput, dossier: &Dossier, ru: bool) -> String {
    let (score, band) = (dossier.risk.score, dossier.risk.band.as_str());
    if ru {
        let kind = match input.kind {
            Kind::Email => "Адрес",
            Kind::Phone => "Номер",
            Kind::Username => "Имя пользователя",
        };
        let band = match band {
            "low" => "низкий",
            "medium" => "средний",
            "high" => "высокий",
            _ => "критический",
        };
        return format!("{kind} {}: риск {score} из 100 ({band}).", input.target);
    }
    let kind = match input.kind {
        Kind::Email => "The address",
        Kind::Phone => "The number",
        Kind::Username => "The username",
    };
    format!(
        "{kind} {} has a risk score of {score} out of 100 ({band}).",
        input.target
    )
}

fn email_lines(facts: &[(&'static str, String)], ru: bool, out: &mut Vec<String>) {
    let domain = fact(facts, "email.domain").unwrap_or("?");
    let line = match (fact(facts, "email.domain_class"), ru) {
        (Some("disposable"), false) => {
            format!("Its domain {domain} hands out disposable mailboxes.")
        }
        (Some("disposable"), true) => format!("Домен {domain} выдаёт одноразовые ящики."),
        (Some("free_mail"), false) => format!("Its domain {domain} is a free-mail provider."),
        (Some("free_mail"), true) => {
            format!("Домен {domain} принадлежит бесплатной почтовой службе.")
        }
        (Some("reserved"), false) => {
            format!("Its domain {domain} is reserved and receives no mail.")
        }
        (Some("reserved"), true) => format!("Домен {domain} зарезервирован и почту не принимает."),
        (_, false) => format!(
            "Its domain {domain} is on no free-mail or disposable list, so it likely belongs \
             to an organisation (not verified)."
        ),
        (_, true) => format!(
            "Домена {domain} нет в списках бесплатных и одноразовых почтовых служб; \
             вероятно, он принадлежит организации (не проверялось)."
        ),
    };
    out.push(line);
    if let Some(role) = fact(facts, "email.role") {
        out.push(match ru {
            false => format!("The mailbox is a role address ({role}@), not a person's own."),
            true => format!("Это служебный адрес ({role}@), а не личный ящик."),
        });
    }
    if fact(facts, "email.sub_address").is_some() {
        out.push(match ru {
            false => "It is a tagged or disposable alias of the owner's main mailbox.".to_string(),
            true => "Это псевдоним (подадрес) основного ящика владельца.".to_string(),
        });
    }
}

fn phone_lines(dossier: &Dossier, ru: bool, out: &mut Vec<String>) {
    let Some(phone) = &dossier.phone_profile else {
        return;
    };
    let country = phone.country.clone().or_else(|| phone.region.clone());
    let line_type = line_type_name(&phone.line_type, ru);
    let line = match (phone.valid, ru, country) {
        (true, false, Some(c)) => format!("It is a valid {line_type} number from {c}."),
        (true, false, None) => format!("It is a valid {line_type} number."),
        (true, true, Some(c)) => format!("Номер действителен: {line_type}, страна: {c}."),
        (true, true, None) => format!("Номер действителен: {line_type}."),
        (false, false, Some(c)) => format!("It is not a valid number for {c}."),
        (false, false, None) => "It is not a valid phone number.".to_string(),
        (false, true, Some(c)) => format!("Номер недействителен (страна: {c})."),
        (false, true, None) => "Номер недействителен.".to_string(),
    };
    out.push(line);
    if let Some(carrier) = &phone.carrier {
        out.push(sentence(if ru { "Оператор" } else { "Carrier" }, carrier));
    }
    if let Some(location) = &phone.location {
        out.push(sentence(
            if ru {
                "Местоположение"
            } else {
                "Location"
            },
            location,
        ));
    }
}

/// `Label: value.`, without doubling a full stop the value already ends with (`D.C.`).
fn sentence(label: &str, value: &str) -> String {
    match value.ends_with('.') {
        true => format!("{label}: {value}"),
        false => format!("{label}: {value}."),
    }
}

/// libphonenumber's line type as readers say it.
fn line_type_name(line_type: &str, ru: bool) -> String {
    let (en, ru_name) = match line_type {
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
    match (ru, en.is_empty()) {
        (false, false) => en.to_string(),
        (true, false) => format!("тип «{ru_name}»"),
        (false, true) => "phone".to_string(),
        (true, true) => "тип не определён".to_string(),
    }
}

fn username_lines(facts: &[(&'static str, String)], ru: bool, out: &mut Vec<String>) {
    let (Some(ok), Some(known)) = (
        fact(facts, "username.sites_ok"),
        fact(facts, "username.sites_known"),
    ) else {
        return;
    };
    out.push(match ru {
        false => format!("The handle fits the username rules of {ok} of {known} known sites."),
        true => format!("Имя подходит под правила {ok} из {known} известных сайтов."),
    });
}

fn coverage_lines(dossier: &Dossier, ru: bool, out: &mut Vec<String>) {
    let n_verified = dossier.profiles.verified.len();
    let n_weak = dossier.profiles.weak.len();
    let searched_sites = dossier.recipes.iter().any(|r| r.name.ends_with(".sites"));
    let searched_breaches = dossier.recipes.iter().any(|r| r.name.starts_with("breach"));
    // A failed lookup found nothing, which is not the same as "in no breach".
    let breaches_known = dossier
        .recipes
        .iter()
        .any(|r| r.name.starts_with("breach") && r.status == RecipeStatus::Ok);
    if searched_sites || n_verified + n_weak > 0 {
        out.push(match ru {
            false => format!("Accounts found: {n_verified} verified, {n_weak} weak."),
            true => format!("Найдено аккаунтов: {n_verified} подтверждённых, {n_weak} слабых."),
        });
    }
    if breaches_known {
        let names: Vec<&str> = dossier.breaches.iter().map(|b| b.title.as_str()).collect();
        out.push(match (names.is_empty(), ru) {
            (true, false) => "It is in none of the known breaches.".to_string(),
            (true, true) => "В известных утечках не найден.".to_string(),
            (false, false) => format!(
                "Breaches holding it: {} ({}).",
                names.len(),
                names.join(", ")
            ),
            (false, true) => format!("Найден в утечках: {} ({}).", names.len(), names.join(", ")),
        });
    }
    if !searched_sites && !searched_breaches {
        out.push(match ru {
            false => "No site-presence or breach checks were part of this scan.".to_string(),
            true => "Проверки аккаунтов на сайтах и утечек в этот поиск не входили.".to_string(),
        });
    }
    let failed: Vec<&str> = dossier
        .recipes
        .iter()
        .filter(|r| r.status == RecipeStatus::Error)
        .map(|r| r.name.as_str())
        .collect();
    if !failed.is_empty() {
        out.push(match ru {
            false => format!("Checks that could not finish: {}.", failed.join(", ")),
            true => format!("Не удалось выполнить проверки: {}.", failed.join(", ")),
        });
    }
    let skipped: Vec<&str> = dossier
        .recipes
        .iter()
        .filter(|r| r.status == RecipeStatus::Skipped)
        .map(|r| r.name.as_str())
        .collect();
    if !skipped.is_empty() {
        out.push(match ru {
            false => format!("Checks skipped: {}.", skipped.join(", ")),
            true => format!("Пропущенные проверки: {}.", skipped.join(", ")),
        });
    }
}
