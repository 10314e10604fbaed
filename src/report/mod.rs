//! The dossier as a reader sees it: the PDF report (`pdf`) and the person card (`card`, SVG
//! and PNG), both drawn from a completed scan's stored dossier and the scan record's
//! target, kind and completion time, in the dossier's language.
//!
//! Both are pure functions of those inputs: the same scan always gives the same bytes
//! (the PDF's dates come from the scan, never from the clock), so they are drawn again on
//! each request rather than stored. Drawing is CPU work of a few milliseconds; callers
//! run it on the blocking pool. `text` owns the embedded typeface and text measurement.

pub mod card;
pub mod pdf;
pub mod text;

use crate::dossier::Dossier;
use crate::i18n::Lang;
use crate::target::Kind;

/// What a report says about the scan besides its dossier (the scan record's fields).
#[derive(Debug, Clone)]
pub struct Subject {
    pub scan_id: String,
    pub target: String,
    pub kind: Kind,
    pub completed_ms: i64,
}

#[derive(Debug)]
pub enum ReportError {
    Pdf(String),
    Png(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Pdf(e) => write!(f, "the PDF could not be written: {e}"),
            ReportError::Png(e) => write!(f, "the PNG could not be drawn: {e}"),
        }
    }
}

impl std::error::Error for ReportError {}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const INK: Rgb = Rgb(0x1d, 0x23, 0x2f);
pub const MUTED: Rgb = Rgb(0x5f, 0x67, 0x75);
pub const RULE: Rgb = Rgb(0xd5, 0xd9, 0xe0);
pub const PANEL: Rgb = Rgb(0xf2, 0xf4, 0xf7);
pub const NAVY: Rgb = Rgb(0x1f, 0x2a, 0x44);
pub const LINK: Rgb = Rgb(0x1a, 0x56, 0xb3);
pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

/// The colour of a risk band, and the colour of text set on it.
pub fn band_colours(band: &str) -> (Rgb, Rgb) {
    match band {
        "low" => (Rgb(0x2e, 0x7d, 0x32), WHITE),
        "medium" => (Rgb(0xf2, 0xa9, 0x00), INK),
        "high" => (Rgb(0xe6, 0x5c, 0x00), WHITE),
        _ => (Rgb(0xc6, 0x28, 0x28), WHITE),
    }
}

/// `MEDIUM RISK` / `СРЕДНИЙ РИСК`.
pub fn band_label(lang: Lang, band: &str) -> String {
    let (en, ru) = match band {
        "low" => ("LOW RISK", "НИЗКИЙ РИСК"),
        "medium" => ("MEDIUM RISK", "СРЕДНИЙ РИСК"),
        "high" => ("HIGH RISK", "ВЫСОКИЙ РИСК"),
        _ => ("CRITICAL RISK", "КРИТИЧЕСКИЙ РИСК"),
    };
    lang.pick(en, ru).to_string()
}

/// `Email address` / `Адрес электронной почты`.
pub fn kind_label(lang: Lang, kind: Kind) -> &'static str {
    match kind {
        Kind::Email => lang.pick("Email address", "Адрес электронной почты"),
        Kind::Phone => lang.pick("Phone number", "Номер телефона"),
        Kind::Username => lang.pick("Username", "Имя пользователя"),
    }
}

/// The name `summary_source` gives, as a reader says it.
pub fn summary_source(lang: Lang, dossier: &Dossier) -> String {
    match dossier.summary_source.as_str() {
        "template" => lang
            .pick(
                "Written by Skopio's template from the findings.",
                "Составлено шаблоном Skopio по результатам проверок.",
            )
            .to_string(),
        model => lang.pick(
            format!("Written by the language model {model} from the findings alone."),
            format!("Составлено языковой моделью {model} только по результатам проверок."),
        ),
    }
}

/// A factor's name as a reader says it.
pub fn factor_label(lang: Lang, name: &str) -> String {
    let (en, ru) = match name {
        "disposable_email" => ("Disposable address", "Одноразовый адрес"),
        "lookalike_domain" => ("Lookalike domain", "Домен-двойник"),
        "role_address" => ("Role address", "Служебный адрес"),
        "free_mail" => ("Free-mail provider", "Бесплатная почта"),
        "sub_address" => ("Alias of a mailbox", "Псевдоним ящика"),
        "invalid_phone" => ("Invalid number", "Недействительный номер"),
        "risky_line_type" => ("Risky line type", "Рискованный тип линии"),
        "breaches" => ("Data breaches", "Утечки данных"),
        "credentials_exposed" => ("Credentials exposed", "Раскрыты учётные данные"),
        "financial_or_id_exposed" => (
            "Payment or ID data exposed",
            "Раскрыты платёжные данные или документы",
        ),
        "personal_details_exposed" => ("Personal details exposed", "Раскрыты личные данные"),
        "stolen_by_malware" => ("Stolen by malware", "Похищено вредоносной программой"),
        "sensitive_breach" => ("Sensitive breach", "Чувствительная утечка"),
        "accounts" => ("Accounts found", "Найденные аккаунты"),
        "sensitive_accounts" => ("Adult or dating accounts", "Аккаунты на сайтах знакомств"),
        "exposed_contacts" => ("Published contacts", "Опубликованные контакты"),
        other => (other, other),
    };
    lang.pick(en, ru).to_string()
}
