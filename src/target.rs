//! What a customer asks about: the target string, its kind (`email`, `phone`,
//! `username`), kind inference, and the validation that turns a request's raw target into
//! one the engine can run (SPEC section 4). Validation asks the same analysers the recipes
//! use, so a target accepted here is one the recipes can read.

use serde::{Deserialize, Serialize};

/// Longest target accepted, in characters. The longest valid email address is 254
/// octets; nothing a customer can look up is longer.
pub const MAX_TARGET_CHARS: usize = 254;
pub const MIN_TARGET_CHARS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    Username,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Email, Kind::Phone, Kind::Username];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Username => "username",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    TooShort,
    /// The target does not fit its kind; the message says how.
    Invalid(String),
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::TooShort => {
                write!(
                    f,
                    "target must be at least {MIN_TARGET_CHARS} characters long"
                )
            }
            TargetError::Invalid(message) => write!(f, "{message}"),
        }
    }
}

/// The kind SPEC section 4 infers: `@` → email; a leading `+`, or 7 to 15 digits with
/// only separators (space, `-`, `.`, `(`, `)`) between them → phone; otherwise username.
pub fn infer(target: &str) -> Kind {
    if target.contains('@') {
        return Kind::Email;
    }
    if target.starts_with('+') {
        return Kind::Phone;
    }
    let separators = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')');
    let only_digits_and_separators = target.chars().all(|c| c.is_ascii_digit() || separators(c));
    let n_digits = target.chars().filter(char::is_ascii_digit).count();
    if only_digits_and_separators && (7..=15).contains(&n_digits) {
        return Kind::Phone;
    }
    Kind::Username
}

/// Trims the target and checks that it fits `kind`; returns the trimmed target.
pub fn validate(raw: &str, kind: Kind) -> Result<String, TargetError> {
    let target = raw.trim();
    let n_chars = target.chars().count();
    if n_chars < MIN_TARGET_CHARS {
        return Err(TargetError::TooShort);
    }
    if n_chars > MAX_TARGET_CHARS {
        return Err(TargetError::Invalid(format!(
            "target is {n_chars} characters long; the longest accepted is {MAX_TARGET_CHARS}"
        )));
    }
    if target.chars().any(char::is_control) {
        return Err(TargetError::Invalid(
            "target contains control characters".to_string(),
        ));
    }
    let checked = match kind {
        Kind::Email => crate::email::analyse(target)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Kind::Phone => check_phone(target),
        Kind::Username => crate::username::analyse(target)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    };
    checked.map_err(|message| {
        let kind = match kind {
            Kind::Phone => "phone number",
            other => other.as_str(),
        };
        TargetError::Invalid(format!(
            "target is not a valid {kind}: {}",
            clause(&message)
        ))
    })?;
    Ok(target.to_string())
}

/// Whether a phone target carries its country code (`+44 …` or `0044 …`).
pub fn has_country_code(target: &str) -> bool {
    let target = target.trim_start();
    target.starts_with('+') || target.starts_with("00")
}

/// A phone number written without its country code can only be read as international
/// digits (`442079460000` → `+44 20 7946 0000`); it is accepted only when that reading is
/// a valid number, so the dossier never names a country the customer did not give.
fn check_phone(target: &str) -> Result<(), String> {
    let analysis = crate::phone::analyse(target, None);
    if has_country_code(target) {
        return analysis.map(|_| ()).map_err(|e| e.to_string());
    }
    match analysis {
        Ok(found) if found.profile.valid => Ok(()),
        _ => Err(
            "it has no country code, and its digits are not a valid international \
                  number; write it with its country code, for example +1 202 456 1111"
                .to_string(),
        ),
    }
}

/// An analyser's message as a clause to follow a colon: no final full stop, and a lower-case
/// first letter unless the first word is an acronym (`IDN`).
fn clause(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => first
            .to_lowercase()
            .chain(message.chars().skip(1))
            .collect(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_inferred_as_the_contract_says() {
        assert_eq!(infer("john@example.com"), Kind::Email);
        assert_eq!(infer("+15551234567"), Kind::Phone);
        assert_eq!(infer("(555) 123-4567"), Kind::Phone);
        assert_eq!(infer("123456"), Kind::Username);
        assert_eq!(infer("1234567890123456"), Kind::Username);
        assert_eq!(infer("johndoe"), Kind::Username);
    }

    #[test]
    fn a_phone_without_country_code_is_read_internationally_only_when_valid() {
        assert!(validate("442079460000", Kind::Phone).is_ok());
        let err = validate("2024561111", Kind::Phone).unwrap_err().to_string();
        assert!(err.contains("no country code"), "{err}");
        assert!(validate("020 7946 0000", Kind::Phone).is_err());
        assert!(validate("+1 202 456 1111", Kind::Phone).is_ok());
    }

    #[test]
    fn analyser_messages_read_as_one_sentence() {
        assert_eq!(
            clause("The text does not contain a phone number."),
            "the text does not \
                   contain a phone number"
        );
        assert_eq!(clause("IDN labels are refused"), "IDN labels are refused");
    }

    #[test]
    fn short_and_oversized_targets_are_refused() {
        assert_eq!(
            validate("  ab  ", Kind::Username),
            Err(TargetError::TooShort)
        );
        let long = "a".repeat(10_000);
        assert!(matches!(
            validate(&long, Kind::Username),
            Err(TargetError::Invalid(_))
        ));
        assert!(matches!(
            validate("ab\u{7}cd", Kind::Username),
            Err(TargetError::Invalid(_))
        ));
    }
}
