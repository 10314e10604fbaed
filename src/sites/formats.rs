//! Reading site lists: the WhatsMyName format (`{"sites": [...]}` with `uri_check`,
//! `e_code`/`e_string`, `m_code`/`m_string`, `known` …) and the Sherlock format (an object
//! of site name → `url`, `errorType`, `errorMsg`, `errorCode`, `errorUrl`, `regexCheck`,
//! `urlProbe`, `request_method`, `request_payload` …). Every field of both is carried into
//! `Site`; an entry that cannot be used is reported with its reason, never fatal.

use serde_json::{Map, Value};

use super::{Exists, Method, Missing, PLACEHOLDER, Site, Source};

/// What reading a list produced: the sites, and the entries left out with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub source: Option<Source>,
    pub sites: Vec<Site>,
    pub skipped: Vec<(String, String)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FormatError {
    NotJson(String),
    UnknownFormat,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::NotJson(e) => write!(f, "the file is not valid JSON: {e}"),
            FormatError::UnknownFormat => write!(
                f,
                "the file is neither a WhatsMyName list (an object with a \"sites\" array) \
                 nor a Sherlock list (an object of site name to definition)"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Reads a site list in either format, telling them apart by shape.
pub fn parse(text: &str) -> Result<Parsed, FormatError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FormatError::NotJson(e.to_string()))?;
    let Value::Object(top) = value else {
        return Err(FormatError::UnknownFormat);
    };
    match top.get("sites") {
        Some(Value::Array(entries)) => Ok(whatsmyname(entries)),
        Some(_) => Err(FormatError::UnknownFormat),
        None if top.values().any(|v| v.get("errorType").is_some()) => Ok(sherlock(&top)),
        None => Err(FormatError::UnknownFormat),
    }
}

fn text(entry: &Map<String, Value>, field: &str) -> Option<String> {
    entry.get(field).and_then(Value::as_str).map(str::to_string)
}

fn status(entry: &Map<String, Value>, field: &str) -> Option<u16> {
    entry
        .get(field)
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
}

fn headers(entry: &Map<String, Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = entry.get("headers") else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn whatsmyname(entries: &[Value]) -> Parsed {
    let mut parsed = Parsed {
        source: Some(Source::WhatsMyName),
        ..Parsed::default()
    };
    for entry in entries {
        let Value::Object(entry) = entry else {
            parsed
                .skipped
                .push(("?".to_string(), "not an object".to_string()));
            continue;
        };
        let name = text(entry, "name").unwrap_or_else(|| "?".to_string());
        match whatsmyname_site(entry, &name) {
            Ok(site) => parsed.sites.push(site),
            Err(reason) => parsed.skipped.push((name, reason)),
        }
    }
    parsed
}

fn whatsmyname_site(entry: &Map<String, Value>, name: &str) -> Result<Site, String> {
    let check_url = text(entry, "uri_check").ok_or("no uri_check")?;
    if !check_url.contains(PLACEHOLDER) && !entry.contains_key("post_body") {
        return Err("uri_check has no {account} and there is no post_body".to_string());
    }
    let e_code = status(entry, "e_code").ok_or("no e_code")?;
    let e_string = text(entry, "e_string")
        .filter(|s| !s.is_empty())
        .ok_or("no e_string")?;
    let m_code = status(entry, "m_code").ok_or("no m_code")?;
    let body = text(entry, "post_body");
    Ok(Site {
        name: name.to_string(),
        category: text(entry, "cat").unwrap_or_else(|| "misc".to_string()),
        source: Source::WhatsMyName,
        method: if body.is_some() {
            Method::Post
        } else {
            Method::Get
        },
        profile_url: text(entry, "uri_pretty").unwrap_or_else(|| check_url.clone()),
        check_url,
        body,
        headers: headers(entry),
        strip_chars: text(entry, "strip_bad_char").unwrap_or_default(),
        username_pattern: None,
        exists: Exists {
            status: Some(e_code),
            content: Some(e_string),
        },
        missing: Missing {
            statuses: vec![m_code],
            contents: text(entry, "m_string")
                .filter(|s| !s.is_empty())
                .into_iter()
                .collect(),
            redirect_to: None,
            any_error_status: false,
        },
        known: strings(entry.get("known")),
        protection: strings(entry.get("protection")),
        valid: entry.get("valid").and_then(Value::as_bool).unwrap_or(true),
    })
}

fn sherlock(top: &Map<String, Value>) -> Parsed {
    let mut parsed = Parsed {
        source: Some(Source::Sherlock),
        ..Parsed::default()
    };
    for (name, entry) in top {
        if name.starts_with('$') {
            continue;
        }
        let Value::Object(entry) = entry else {
            parsed
                .skipped
                .push((name.clone(), "not an object".to_string()));
            continue;
        };
        match sherlock_site(entry, name) {
            Ok(site) => parsed.sites.push(site),
            Err(reason) => parsed.skipped.push((name.clone(), reason)),
        }
    }
    parsed
}

/// Sherlock writes the username as `{}`.
fn placeholder(text: &str) -> String {
    text.replace("{}", PLACEHOLDER)
}

fn sherlock_site(entry: &Map<String, Value>, name: &str) -> Result<Site, String> {
    let url = text(entry, "url").ok_or("no url")?;
    if !url.contains("{}") {
        return Err("url has no {} for the username".to_string());
    }
    let check_url = placeholder(&text(entry, "urlProbe").unwrap_or_else(|| url.clone()));
    let error_types = strings(entry.get("errorType"));
    if error_types.is_empty() {
        return Err("no errorType".to_string());
    }
    let mut missing = Missing::default();
    for error_type in &error_types {
        match error_type.as_str() {
            "status_code" => {
                missing.any_error_status = true;
                missing.statuses = match entry.get("errorCode") {
                    Some(Value::Array(codes)) => codes
                        .iter()
                        .filter_map(Value::as_u64)
                        .filter_map(|c| u16::try_from(c).ok())
                        .collect(),
                    _ => status(entry, "errorCode").into_iter().collect(),
                };
            }
            "message" => {
                missing.contents = strings(entry.get("errorMsg"));
                if missing.contents.is_empty() {
                    return Err("errorType message without errorMsg".to_string());
                }
            }
            "response_url" => {
                let to =
                    text(entry, "errorUrl").ok_or("errorType response_url without errorUrl")?;
                missing.redirect_to = Some(placeholder(&to));
            }
            other => return Err(format!("unknown errorType {other:?}")),
        }
    }
    let method = match text(entry, "request_method") {
        Some(m) => Method::parse(&m).ok_or(format!("unknown request_method {m:?}"))?,
        None => Method::Get,
    };
    let body = entry
        .get("request_payload")
        .map(|payload| placeholder(&payload.to_string()));
    Ok(Site {
        name: name.to_string(),
        category: match entry.get("isNSFW").and_then(Value::as_bool) {
            Some(true) => "nsfw".to_string(),
            _ => "misc".to_string(),
        },
        source: Source::Sherlock,
        method,
        check_url,
        profile_url: placeholder(&url),
        body,
        headers: headers(entry),
        strip_chars: String::new(),
        username_pattern: text(entry, "regexCheck"),
        exists: Exists::default(),
        missing,
        known: text(entry, "username_claimed").into_iter().collect(),
        protection: Vec::new(),
        valid: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whatsmyname_entry_keeps_every_field() {
        let text = r#"{"sites": [{"name": "AniList", "uri_check": "https://graphql.anilist.co",
            "uri_pretty": "https://anilist.co/user/{account}",
            "post_body": "{\"query\":\"User(name:\\\"{account}\\\")\"}",
            "headers": {"Content-Type": "application/json"}, "e_code": 200,
            "e_string": "\"id\":", "m_string": "Not Found", "m_code": 404,
            "known": ["test"], "cat": "social", "strip_bad_char": ".",
            "protection": ["cloudflare"], "valid": false}]}"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.source, Some(Source::WhatsMyName));
        let site = &parsed.sites[0];
        assert_eq!(site.method, Method::Post);
        assert_eq!(site.profile_url, "https://anilist.co/user/{account}");
        assert_eq!(
            site.headers,
            [("Content-Type".to_string(), "application/json".to_string())]
        );
        assert_eq!(
            site.exists,
            Exists {
                status: Some(200),
                content: Some("\"id\":".into())
            }
        );
        assert_eq!(site.missing.statuses, [404]);
        assert_eq!(site.missing.contents, ["Not Found"]);
        assert_eq!((site.strip_chars.as_str(), site.valid), (".", false));
        assert_eq!(site.protection, ["cloudflare"]);
    }

    #[test]
    fn a_sherlock_entry_keeps_every_field() {
        let text = r#"{"$schema": "x", "Anilist": {"errorType": "status_code",
            "regexCheck": "^[A-Za-z0-9]{2,20}$", "request_method": "POST",
            "request_payload": {"variables": {"name": "{}"}}, "url": "https://anilist.co/user/{}/",
            "urlMain": "https://anilist.co/", "urlProbe": "https://graphql.anilist.co/",
            "username_claimed": "Josh", "errorCode": [404, 410], "headers": {"X": "y"}},
            "Forum": {"errorType": "message", "errorMsg": ["No user", "Gone"],
            "url": "https://f.test/{}", "urlMain": "https://f.test", "username_claimed": "a",
            "isNSFW": true},
            "Redir": {"errorType": "response_url", "errorUrl": "https://r.test/404?u={}",
            "url": "https://r.test/{}", "urlMain": "https://r.test", "username_claimed": "a"}}"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.source, Some(Source::Sherlock));
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        let by_name = |n: &str| parsed.sites.iter().find(|s| s.name == n).unwrap();
        let anilist = by_name("Anilist");
        assert_eq!(anilist.check_url, "https://graphql.anilist.co/");
        assert_eq!(anilist.profile_url, "https://anilist.co/user/{account}/");
        assert_eq!(
            anilist.body.as_deref(),
            Some(r#"{"variables":{"name":"{account}"}}"#)
        );
        assert_eq!(
            anilist.username_pattern.as_deref(),
            Some("^[A-Za-z0-9]{2,20}$")
        );
        assert!(anilist.missing.any_error_status);
        assert_eq!(anilist.missing.statuses, [404, 410]);
        assert_eq!(
            anilist.exists,
            Exists::default(),
            "Sherlock names no positive marker"
        );
        let forum = by_name("Forum");
        assert_eq!(forum.missing.contents, ["No user", "Gone"]);
        assert_eq!(forum.category, "nsfw");
        let redir = by_name("Redir");
        assert_eq!(
            redir.missing.redirect_to.as_deref(),
            Some("https://r.test/404?u={account}")
        );
    }

    #[test]
    fn unusable_entries_are_reported_not_fatal() {
        let text = r#"{"sites": [{"name": "NoMarker", "uri_check": "https://x/{account}",
            "e_code": 200, "e_string": "", "m_code": 404, "m_string": "", "known": [],
            "cat": "x"}, 7]}"#;
        let parsed = parse(text).unwrap();
        assert!(parsed.sites.is_empty());
        assert_eq!(parsed.skipped.len(), 2);
        assert_eq!(parse("[1]").unwrap_err(), FormatError::UnknownFormat);
        assert!(matches!(parse("{"), Err(FormatError::NotJson(_))));
    }
}
