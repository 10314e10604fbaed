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
        (_, false) => format!("Its domain {domain} appears to belong to an organisation."),
        (_, true) => format!("Домен {domain}, по-видимому, принадлежит организации."),
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
    let country = country.unwrap_or_else(|| "?".to_string());
    let line_type = phone.line_type.replace('_', " ");
    let line = match (phone.valid, ru) {
        (true, false) => format!("It is a valid {line_type} number from {country}."),
        (true, true) => format!("Номер действителен: тип «{line_type}», страна {country}."),
        (false, false) => format!("It is not a valid number for {country}."),
        (false, true) => format!("Номер недействителен для страны {country}."),
    };
    out.push(line);
    if let Some(carrier) = &phone.carrier {
        out.push(match ru {
            false => format!("Carrier: {carrier}."),
            true => format!("Оператор: {carrier}."),
        });
    }
    if let Some(location) = &phone.location {
        out.push(match ru {
            false => format!("Location: {location}."),
            true => format!("Местоположение: {location}."),
        });
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
    if searched_sites || n_verified + n_weak > 0 {
        out.push(match ru {
            false => format!("Accounts found: {n_verified} verified, {n_weak} weak."),
            true => format!("Найдено аккаунтов: {n_verified} подтверждённых, {n_weak} слабых."),
        });
    }
    if searched_breaches {
        let n = dossier.breaches.len();
        out.push(match ru {
            false => format!("Breaches holding it: {n}."),
            true => format!("Утечек с этим идентификатором: {n}."),
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
