//! Site definitions: how to ask one website whether an account exists, and how to read
//! its answer. Definitions are data: Skopio reads the WhatsMyName (`wmn-data.json`) and
//! Sherlock (`data.json`) formats natively (`formats`), into one model (`Site`), and
//! `detect` turns a site's answer into found, missing, or unknown with a reason.
//!
//! The model keeps both formats' meaning without loss: a WhatsMyName site has a positive
//! content marker (`e_string`) and a negative one (`m_string`); a Sherlock site has only
//! negative signs (an error message, an error code, a redirect to an error URL). Detection
//! treats the two differently, so a Sherlock site can never report an account on its
//! status code alone (see `detect`).

pub mod book;
pub mod check;
pub mod cli;
pub mod contacts;
pub mod detect;
pub mod formats;
pub mod health;
pub mod ops;
pub mod scan;

use serde::{Deserialize, Serialize};

/// HTTP methods site checks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
}

impl Method {
    pub fn parse(text: &str) -> Option<Method> {
        match text.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "HEAD" => Some(Method::Head),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// Where a definition came from; an import replaces every site of its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Skopio,
    WhatsMyName,
    Sherlock,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Skopio => "skopio",
            Source::WhatsMyName => "whatsmyname",
            Source::Sherlock => "sherlock",
        }
    }
}

/// How an existing account looks. Both parts must match for "found".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Exists {
    /// Expected status; `None` means any 2xx.
    pub status: Option<u16>,
    /// Text that only an existing account's page contains (WhatsMyName `e_string`).
    /// `None` for Sherlock sites, which name no such text.
    pub content: Option<String>,
}

/// How a missing account looks. Any one rule matching means "missing".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Missing {
    /// Statuses of a missing account (`m_code`, Sherlock `errorCode`).
    pub statuses: Vec<u16>,
    /// Texts of a missing account's page (`m_string`, Sherlock `errorMsg`); when given
    /// with `statuses`, both must match.
    pub contents: Vec<String>,
    /// Where a missing account redirects (Sherlock `errorUrl`, with `{}` substituted).
    pub redirect_to: Option<String>,
    /// Sherlock `status_code` sites: any status outside 2xx means missing, as the site's
    /// definition says; detection still sets WAF, captcha and rate-limit answers apart.
    pub any_error_status: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub name: String,
    pub category: String,
    pub source: Source,
    pub method: Method,
    /// URL asked, with `{account}` where the username goes.
    pub check_url: String,
    /// URL shown to people as the profile, with `{account}`.
    pub profile_url: String,
    /// Request body, with `{account}` (WhatsMyName `post_body`, Sherlock
    /// `request_payload`).
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Characters removed from the username before it is sent (`strip_bad_char`).
    pub strip_chars: String,
    /// Usernames the site accepts (Sherlock `regexCheck`); others are not sent.
    pub username_pattern: Option<String>,
    pub exists: Exists,
    pub missing: Missing,
    /// Usernames known to exist there, for tests and health checks.
    pub known: Vec<String>,
    /// Anti-bot protection the definition reports (`cloudflare`, `captcha` …).
    pub protection: Vec<String>,
    /// False when the definition itself says the check no longer works.
    pub valid: bool,
}

pub const PLACEHOLDER: &str = "{account}";

impl Site {
    /// The username as this site is asked for it: stripped of the characters the site
    /// drops, or `None` when the site's pattern refuses it (nothing is then sent).
    pub fn username_for(&self, username: &str) -> Result<String, detect::Unknown> {
        let cleaned: String = username
            .chars()
            .filter(|c| !self.strip_chars.contains(*c))
            .collect();
        if cleaned.is_empty() {
            return Err(detect::Unknown::Illegal);
        }
        if let Some(pattern) = &self.username_pattern {
            match compiled(pattern) {
                Some(regex) if !regex.is_match(&cleaned) => return Err(detect::Unknown::Illegal),
                _ => {}
            }
        }
        Ok(cleaned)
    }

    pub fn check_url_for(&self, username: &str) -> String {
        self.check_url
            .replace(PLACEHOLDER, &url_component(username))
    }

    pub fn profile_url_for(&self, username: &str) -> String {
        self.profile_url
            .replace(PLACEHOLDER, &url_component(username))
    }

    pub fn body_for(&self, username: &str) -> Option<String> {
        self.body
            .as_ref()
            .map(|b| b.replace(PLACEHOLDER, &json_component(username)))
    }
}

/// A username as a URL path or query component: unreserved characters as they are,
/// everything else percent-encoded, so no username can change the URL's shape.
fn url_component(username: &str) -> String {
    let mut out = String::with_capacity(username.len());
    for byte in username.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A username inside a JSON string of a request body: quotes and backslashes escaped, so
/// no username can change the body's shape.
fn json_component(username: &str) -> String {
    let quoted = serde_json::to_string(username).unwrap_or_default();
    quoted.trim_matches('"').to_string()
}

/// Compiled username patterns, shared by every scan. Patterns written for Python's `re`
/// that the `regex` crate cannot compile (look-arounds) come back `None`, and the site is
/// then asked without the pattern check rather than never.
fn compiled(pattern: &str) -> Option<regex::Regex> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            name: "Example".into(),
            category: "social".into(),
            source: Source::Skopio,
            method: Method::Post,
            check_url: "https://example.test/api?u={account}".into(),
            profile_url: "https://example.test/{account}".into(),
            body: Some("{\"name\":\"{account}\"}".into()),
            headers: Vec::new(),
            strip_chars: ".".into(),
            username_pattern: Some("^[a-z0-9_]{3,10}$".into()),
            exists: Exists::default(),
            missing: Missing::default(),
            known: Vec::new(),
            protection: Vec::new(),
            valid: true,
        }
    }

    #[test]
    fn a_username_outside_the_sites_pattern_is_not_sent() {
        assert_eq!(site().username_for("john.doe"), Ok("johndoe".to_string()));
        assert_eq!(
            site().username_for("JohnDoe"),
            Err(detect::Unknown::Illegal)
        );
        assert_eq!(site().username_for("..."), Err(detect::Unknown::Illegal));
    }

    #[test]
    fn a_username_cannot_change_the_shape_of_the_url_or_body() {
        let site = site();
        assert_eq!(
            site.check_url_for("a&b=c/d"),
            "https://example.test/api?u=a%26b%3Dc%2Fd"
        );
        assert_eq!(site.body_for("a\"}x").unwrap(), "{\"name\":\"a\\\"}x\"}");
    }
}
