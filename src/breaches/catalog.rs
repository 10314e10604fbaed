//! The breach catalog in Have I Been Pwned's format: a JSON array of objects with `Name`,
//! `Title`, `Domain`, `BreachDate`, `AddedDate`, `PwnCount`, `DataClasses` and the `Is…`
//! flags. Entries are read one by one, so a malformed entry is skipped and counted
//! rather than failing the whole file; fields Skopio does not use are ignored.

use serde::Deserialize;
use serde_json::Value;

use crate::store::BreachRecord;

/// Largest catalog file read (HIBP's full catalog is a few megabytes).
pub const MAX_CATALOG_BYTES: u64 = 256 * 1024 * 1024;
/// Longest breach name accepted.
pub const MAX_NAME_CHARS: usize = 128;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HibpBreach {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    breach_date: Option<String>,
    #[serde(default)]
    added_date: Option<String>,
    #[serde(default)]
    pwn_count: Option<u64>,
    #[serde(default)]
    data_classes: Option<Vec<String>>,
    #[serde(default)]
    is_verified: Option<bool>,
    #[serde(default)]
    is_fabricated: Option<bool>,
    #[serde(default)]
    is_sensitive: Option<bool>,
    #[serde(default)]
    is_spam_list: Option<bool>,
    #[serde(default)]
    is_retired: Option<bool>,
    #[serde(default)]
    is_malware: Option<bool>,
    #[serde(default)]
    is_stealer_log: Option<bool>,
}

/// True for a name an operator can type: 1 to 128 characters, no control characters,
/// no surrounding whitespace.
pub fn valid_name(name: &str) -> bool {
    let n_chars = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&n_chars)
        && !name.chars().any(char::is_control)
        && name.trim() == name
}

/// Parses a catalog: the usable entries as records (number 0, no identifiers yet), and
/// how many entries were skipped. Fails only when the text is not a JSON array.
pub fn parse(text: &[u8]) -> Result<(Vec<BreachRecord>, u64), serde_json::Error> {
    let entries: Vec<Value> = serde_json::from_slice(text)?;
    let mut records = Vec::with_capacity(entries.len());
    let mut skipped = 0u64;
    for entry in entries {
        match serde_json::from_value::<HibpBreach>(entry) {
            Ok(breach) if valid_name(&breach.name) => records.push(record(breach)),
            _ => skipped += 1,
        }
    }
    Ok((records, skipped))
}

fn record(b: HibpBreach) -> BreachRecord {
    BreachRecord {
        number: 0,
        title: b.title.unwrap_or_else(|| b.name.clone()),
        name: b.name,
        domain: b.domain.unwrap_or_default(),
        breach_date: b.breach_date.unwrap_or_default(),
        added_date: b.added_date.unwrap_or_default(),
        pwn_count: b.pwn_count.unwrap_or(0),
        classes: b.data_classes.unwrap_or_default(),
        verified: b.is_verified.unwrap_or(false),
        fabricated: b.is_fabricated.unwrap_or(false),
        sensitive: b.is_sensitive.unwrap_or(false),
        spam_list: b.is_spam_list.unwrap_or(false),
        retired: b.is_retired.unwrap_or(false),
        malware: b.is_malware.unwrap_or(false),
        stealer_log: b.is_stealer_log.unwrap_or(false),
        identifiers: 0,
        removing: false,
    }
}

/// `YYYY-MM` of a `YYYY-MM-DD` date (the dossier's `date`); empty when the catalog gave
/// no usable date.
pub fn month(date: &str) -> String {
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    match digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7) {
        true => date[..7].to_string(),
        false => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hibp_entry_becomes_a_record_and_junk_is_counted() {
        let text = br#"[
            {"Name": "Adobe", "Title": "Adobe", "Domain": "adobe.com",
             "BreachDate": "2013-10-04", "AddedDate": "2013-12-04T00:00:00Z",
             "PwnCount": 152445165, "DataClasses": ["Email addresses", "Passwords"],
             "IsVerified": true, "IsFabricated": false, "IsSensitive": false,
             "IsRetired": false, "IsSpamList": false, "IsMalware": false,
             "IsStealerLog": false, "LogoPath": "x.png", "Description": "..."},
            {"Title": "no name"},
            42
        ]"#;
        let (records, skipped) = parse(text).unwrap();
        assert_eq!(skipped, 2);
        let adobe = &records[0];
        assert_eq!((adobe.name.as_str(), adobe.pwn_count), ("Adobe", 152445165));
        assert_eq!(adobe.classes, ["Email addresses", "Passwords"]);
        assert!(adobe.verified && !adobe.sensitive);
        assert_eq!(month(&adobe.breach_date), "2013-10");
        assert_eq!(month("soon"), "");
    }
}
