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

/// An entry left out of a catalog, and why: `entry` is its `Name` when it has a usable
/// one, else its position (`#3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub entry: String,
    pub reason: String,
}

/// Parses a catalog: the usable entries as records (number 0, no identifiers yet), and
/// each entry skipped with its reason. Fails only when the text is not a JSON array. A
/// leading byte-order mark is allowed. `today` (`YYYY-MM-DD`, UTC) bounds breach dates:
/// a breach cannot have happened in the future.
pub fn parse(
    text: &[u8],
    today: &str,
) -> Result<(Vec<BreachRecord>, Vec<Skipped>), serde_json::Error> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let entries: Vec<Value> = serde_json::from_slice(text)?;
    let mut records = Vec::with_capacity(entries.len());
    let mut skipped = Vec::new();
    for (idx, entry) in entries.into_iter().enumerate() {
        let label = entry
            .get("Name")
            .and_then(Value::as_str)
            .filter(|n| valid_name(n))
            .map_or_else(|| format!("#{}", idx + 1), str::to_string);
        let reason = match serde_json::from_value::<HibpBreach>(entry) {
            Err(e) => Some(format!("not a breach entry: {e}")),
            Ok(breach) => match check(&breach, today) {
                Ok(()) => {
                    records.push(record(breach));
                    None
                }
                Err(reason) => Some(reason),
            },
        };
        if let Some(reason) = reason {
            skipped.push(Skipped {
                entry: label,
                reason,
            });
        }
    }
    Ok((records, skipped))
}

/// Why an entry cannot be used, if it cannot.
fn check(breach: &HibpBreach, today: &str) -> Result<(), String> {
    if !valid_name(&breach.name) {
        return Err(format!(
            "Name must be 1 to {MAX_NAME_CHARS} characters with no control characters or \
             surrounding spaces"
        ));
    }
    let Some(date) = breach.breach_date.as_deref() else {
        return Err("no BreachDate".to_string());
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if time::Date::parse(date, &format).is_err() {
        return Err(format!(
            "BreachDate {date:?} is not a date of the form YYYY-MM-DD"
        ));
    }
    // Both are YYYY-MM-DD, so comparing the text compares the dates.
    if date > today {
        return Err(format!("BreachDate {date} is in the future"));
    }
    Ok(())
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
        let (records, skipped) = parse(text, "2026-12-03").unwrap();
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].entry, "#2");
        let adobe = &records[0];
        assert_eq!((adobe.name.as_str(), adobe.pwn_count), ("Adobe", 152445165));
        assert_eq!(adobe.classes, ["Email addresses", "Passwords"]);
        assert!(adobe.verified && !adobe.sensitive);
        assert_eq!(month(&adobe.breach_date), "2013-10");
        assert_eq!(month("soon"), "");
    }

    #[test]
    fn impossible_and_future_dates_are_refused_with_their_reason() {
        let text = "\u{feff}[{\"Name\": \"A\", \"BreachDate\": \"2019-13-45\"},
            {\"Name\": \"B\", \"BreachDate\": \"2999-12-31\"},
            {\"Name\": \"C\", \"BreachDate\": \"2019\"},
            {\"Name\": \"D\"},
            {\"Name\": \"E\", \"BreachDate\": \"2020-02-29\", \"PwnCount\": \"12\"},
            {\"Name\": \"F\", \"BreachDate\": \"2020-02-29\"}]";
        let (records, skipped) = parse(text.as_bytes(), "2026-12-03").unwrap();
        assert_eq!(records.len(), 1, "only F is usable");
        let reasons: Vec<(&str, &str)> = skipped
            .iter()
            .map(|s| (s.entry.as_str(), s.reason.as_str()))
            .collect();
        assert!(reasons[0].1.contains("not a date"), "{reasons:?}");
        assert!(reasons[1].1.contains("future"), "{reasons:?}");
        assert!(reasons[2].1.contains("not a date"), "{reasons:?}");
        assert_eq!(reasons[3], ("D", "no BreachDate"));
        assert!(
            reasons[4].1.starts_with("not a breach entry"),
            "{reasons:?}"
        );
    }
}
