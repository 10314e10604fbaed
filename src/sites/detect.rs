//! Reading a site's answer: found, missing, or unknown with a reason. The rule, in order:
//!
//! 1. **Unknown, `rate_limited`** for 429 (and 503 with `Retry-After`).
//! 2. **Unknown, `captcha` or `waf`** when the page is a challenge or block page
//!    (Cloudflare, DDoS-Guard, Incapsula, Akamai, Sucuri, AWS WAF, Anubis, reCAPTCHA,
//!    hCaptcha, Turnstile, DataDome, PerimeterX): such a page says nothing about the
//!    account, whatever its status, even when it happens to hold the site's marker.
//! 3. **Found** when the expected status and the expected content (the definition's
//!    positive marker) both match. Evidence: `content_marker`, plus `username_echo` when
//!    the page also names the username.
//! 4. **Missing** when the answer redirects to the error URL the definition names (even a
//!    login page, if that is where the definition says missing accounts go). Otherwise a
//!    3xx to a login page is **unknown, `redirect`**: a login wall says nothing about the
//!    account, even on a site whose missing accounts also get a redirect. Then **missing**
//!    when the definition's missing rule matches (status and, if given, content; or, for
//!    Sherlock `status_code` sites, a status outside 2xx and 3xx).
//! 5. Sherlock sites name no positive marker, so a 2xx page that no missing rule matched
//!    is **found** only if it names the username (`username_echo`) and does not read as a
//!    "not found" page; otherwise **unknown, `error`**. Status alone never finds anything.
//! 6. **Unknown, `redirect`** for any other 3xx (a login wall, a home page), and
//!    **unknown, `error`** for everything else, with the status in the detail.
//!
//! `timeout`, `error` (for transport failures) and `illegal` (the username fails the
//! site's pattern, so nothing was sent) are decided before there is an answer to read.

use super::Site;

/// Why a check could not say whether the account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unknown {
    Waf,
    Captcha,
    RateLimited,
    Timeout,
    Error,
    Redirect,
    Illegal,
}

impl Unknown {
    pub const ALL: [Unknown; 7] = [
        Unknown::Waf,
        Unknown::Captcha,
        Unknown::RateLimited,
        Unknown::Timeout,
        Unknown::Error,
        Unknown::Redirect,
        Unknown::Illegal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unknown::Waf => "waf",
            Unknown::Captcha => "captcha",
            Unknown::RateLimited => "rate_limited",
            Unknown::Timeout => "timeout",
            Unknown::Error => "error",
            Unknown::Redirect => "redirect",
            Unknown::Illegal => "illegal",
        }
    }
}

/// What put a found account where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The definition's text that only an existing account's page holds was there.
    ContentMarker,
    /// The page names the username.
    UsernameEcho,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::ContentMarker => "content marker matched",
            Evidence::UsernameEcho => "username echoed in the page",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Found(Vec<Evidence>),
    Missing,
    /// The reason, and one line of detail for the recipe's note and the site's health.
    Unknown(Unknown, String),
}

/// A site's answer, as the outbound layer received it (redirects not followed).
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    /// The `Location` header of a 3xx, resolved against the request URL.
    pub location: Option<&'a str>,
    pub retry_after: bool,
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

fn header<'a>(answer: &Answer<'a>, name: &str) -> Option<&'a str> {
    answer
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Marks of a challenge page that wants a human: checked before the WAF marks, since a
/// Cloudflare challenge with a Turnstile widget is a captcha first.
const CAPTCHA_MARKS: [&str; 9] = [
    "g-recaptcha",
    "recaptcha/api.js",
    "hcaptcha.com",
    "h-captcha",
    "cf-turnstile",
    "captcha-delivery.com",
    "px-captcha",
    "verify you are human",
    "are you a robot",
];

/// Marks of a block or interstitial page put up by a firewall or anti-bot service.
const WAF_MARKS: [&str; 13] = [
    "just a moment...",
    "attention required! | cloudflare",
    "/cdn-cgi/challenge-platform",
    "cf-browser-verification",
    "cf_chl_opt",
    "ddos-guard",
    "incapsula incident id",
    "_incapsula_resource",
    "sucuri website firewall",
    "request blocked by aws waf",
    "making sure you're not a bot",
    "access denied</title>",
    "you have been blocked",
];

/// Which protection page this is, if it is one.
pub fn protection_page(answer: &Answer) -> Option<Unknown> {
    if header(answer, "cf-mitigated").is_some_and(|v| v.eq_ignore_ascii_case("challenge")) {
        return Some(Unknown::Captcha);
    }
    // Block pages are short; looking at the start keeps a long profile page that quotes
    // one of these phrases in a post from being taken for one.
    let head: String = answer
        .body
        .chars()
        .take(16_384)
        .collect::<String>()
        .to_lowercase();
    if CAPTCHA_MARKS.iter().any(|mark| head.contains(mark)) {
        return Some(Unknown::Captcha);
    }
    if WAF_MARKS.iter().any(|mark| head.contains(mark)) {
        return Some(Unknown::Waf);
    }
    if header(answer, "server").is_some_and(|v| v.to_lowercase().contains("ddos-guard"))
        && answer.status >= 400
    {
        return Some(Unknown::Waf);
    }
    None
}

/// Phrases of a page that says the account is not there, for sites whose definition
/// names no such phrase ("soft 404s" answered with 200).
const NOT_FOUND_MARKS: [&str; 6] = [
    "page not found",
    "user not found",
    "profile not found",
    "doesn't exist",
    "does not exist",
    "<title>404",
];

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

pub fn classify(site: &Site, username: &str, answer: &Answer) -> Verdict {
    let status = answer.status;
    let success = (200..300).contains(&status);
    let status_expected = site.exists.status.map_or(success, |s| s == status);
    let echo = !username.is_empty() && contains_ignore_case(answer.body, username);
    if status == 429 || (status == 503 && answer.retry_after) {
        return Verdict::Unknown(Unknown::RateLimited, format!("status {status}"));
    }
    // Before "found": a challenge page that happens to hold a short marker ("Joined",
    // "about") must never become an account.
    if let Some(reason) = protection_page(answer) {
        return Verdict::Unknown(reason, format!("{} page, status {status}", reason.as_str()));
    }
    if let Some(marker) = &site.exists.content {
        if status_expected && answer.body.contains(marker.as_str()) {
            let mut evidence = vec![Evidence::ContentMarker];
            if echo {
                evidence.push(Evidence::UsernameEcho);
            }
            return Verdict::Found(evidence);
        }
    }
    let is_redirect = (300..400).contains(&status) && status != 304;
    if redirects_to_error_url(site, username, answer) {
        return Verdict::Missing;
    }
    if is_redirect && answer.location.is_some_and(is_login_page) {
        // A login wall says nothing about the account, even on a site whose missing
        // accounts also answer with a redirect.
        let to = answer.location.unwrap_or("?");
        return Verdict::Unknown(
            Unknown::Redirect,
            format!("status {status} to a login page {to}"),
        );
    }
    if missing(site, answer) {
        return Verdict::Missing;
    }
    if site.exists.content.is_none() && status_expected && !is_redirect {
        let soft_404 = NOT_FOUND_MARKS
            .iter()
            .any(|m| contains_ignore_case(answer.body, m));
        if echo && !soft_404 {
            return Verdict::Found(vec![Evidence::UsernameEcho]);
        }
        let why = if soft_404 {
            "reads as a not-found page"
        } else {
            "does not name the user"
        };
        return Verdict::Unknown(
            Unknown::Error,
            format!("status {status}, but the page {why}"),
        );
    }
    if is_redirect {
        let to = answer.location.unwrap_or("?");
        return Verdict::Unknown(Unknown::Redirect, format!("status {status} to {to}"));
    }
    Verdict::Unknown(Unknown::Error, format!("unexpected status {status}"))
}

/// Parts of a URL that mark a sign-in page.
const LOGIN_MARKS: [&str; 8] = [
    "login",
    "signin",
    "sign-in",
    "sign_in",
    "/auth",
    "/sso",
    "/session",
    "accounts.",
];

fn is_login_page(location: &str) -> bool {
    let location = location.to_lowercase();
    LOGIN_MARKS.iter().any(|mark| location.contains(mark))
}

/// A redirect to the error URL the definition names for missing accounts (Sherlock
/// `response_url` sites). The definition is trusted even when that URL is a login page.
fn redirects_to_error_url(site: &Site, username: &str, answer: &Answer) -> bool {
    match (&site.missing.redirect_to, answer.location) {
        (Some(to), Some(location)) => {
            // The error URL may carry the username anywhere (`?domain={account}.example`),
            // and some definitions write it without a scheme; compare without schemes.
            let bare = |url: &str| url.split_once("://").map_or(url, |(_, r)| r).to_string();
            let (to, location) = (bare(to), bare(location));
            let expected = to.replace(super::PLACEHOLDER, username);
            let (prefix, _) = to.split_once(super::PLACEHOLDER).unwrap_or((&to, ""));
            (300..400).contains(&answer.status)
                && (location.starts_with(expected.trim_end_matches('/'))
                    || (!prefix.is_empty() && location.starts_with(prefix)))
        }
        _ => false,
    }
}

fn missing(site: &Site, answer: &Answer) -> bool {
    let rule = &site.missing;
    let content = rule
        .contents
        .iter()
        .any(|c| answer.body.contains(c.as_str()));
    let status_listed = rule.statuses.contains(&answer.status);
    // HTTP forbids a body on 304, so a definition pairing 304 with text can only be
    // judged on the status.
    let bodiless = answer.status == 304;
    let by_status_and_content = match (rule.statuses.is_empty(), rule.contents.is_empty()) {
        (false, false) => status_listed && (content || bodiless),
        (false, true) => status_listed,
        (true, false) => content,
        (true, true) => false,
    };
    let by_error_status = rule.any_error_status && !(200..400).contains(&answer.status);
    by_status_and_content || by_error_status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::{Exists, Method, Missing, Source};

    fn wmn() -> Site {
        Site {
            name: "Example".into(),
            category: "social".into(),
            source: Source::WhatsMyName,
            method: Method::Get,
            check_url: "https://example.test/{account}".into(),
            profile_url: "https://example.test/{account}".into(),
            body: None,
            headers: Vec::new(),
            strip_chars: String::new(),
            username_pattern: None,
            exists: Exists {
                status: Some(200),
                content: Some("profile-header".into()),
            },
            missing: Missing {
                statuses: vec![404],
                contents: vec![],
                ..Missing::default()
            },
            known: Vec::new(),
            protection: Vec::new(),
            valid: true,
        }
    }

    fn sherlock_status() -> Site {
        let mut site = wmn();
        site.source = Source::Sherlock;
        site.exists = Exists::default();
        site.missing = Missing {
            any_error_status: true,
            ..Missing::default()
        };
        site
    }

    fn answer(status: u16, body: &str) -> Answer<'_> {
        Answer {
            status,
            location: None,
            retry_after: false,
            headers: &[],
            body,
        }
    }

    #[test]
    fn found_needs_both_the_status_and_the_marker() {
        let page = "<div class=profile-header>johndoe</div>";
        assert_eq!(
            classify(&wmn(), "johndoe", &answer(200, page)),
            Verdict::Found(vec![Evidence::ContentMarker, Evidence::UsernameEcho])
        );
        let unknown = classify(&wmn(), "johndoe", &answer(200, "<html>welcome</html>"));
        assert!(
            matches!(unknown, Verdict::Unknown(Unknown::Error, _)),
            "{unknown:?}"
        );
        assert_eq!(
            classify(&wmn(), "johndoe", &answer(404, "nope")),
            Verdict::Missing
        );
    }

    #[test]
    fn challenge_and_block_pages_are_never_results() {
        let cloudflare = "<title>Just a moment...</title><div id=cf-turnstile>";
        let v = classify(&sherlock_status(), "johndoe", &answer(403, cloudflare));
        assert!(matches!(v, Verdict::Unknown(Unknown::Captcha, _)), "{v:?}");
        let waf = "<html><title>Access Denied</title> Reference #18.2c</html>";
        let v = classify(&sherlock_status(), "johndoe", &answer(200, waf));
        assert!(matches!(v, Verdict::Unknown(Unknown::Waf, _)), "{v:?}");
        let v = classify(&wmn(), "johndoe", &answer(404, "incapsula incident id: 42"));
        assert!(
            matches!(v, Verdict::Unknown(Unknown::Waf, _)),
            "a WAF 404 is not missing"
        );
        // A challenge page holding the site's (short) marker by chance is still no account.
        let challenge = "Please complete the captcha: <div class=g-recaptcha> profile-header";
        let v = classify(&wmn(), "johndoe", &answer(200, challenge));
        assert!(matches!(v, Verdict::Unknown(Unknown::Captcha, _)), "{v:?}");
    }

    #[test]
    fn a_304_is_judged_on_its_status_since_it_cannot_carry_a_body() {
        let mut site = wmn();
        site.missing = Missing {
            statuses: vec![304],
            contents: vec!["\"profiles\": {}".into()],
            ..Missing::default()
        };
        assert_eq!(
            classify(&site, "johndoe", &answer(304, "")),
            Verdict::Missing
        );
    }

    #[test]
    fn rate_limits_are_unknown_not_missing() {
        let v = classify(&sherlock_status(), "johndoe", &answer(429, "slow down"));
        assert!(
            matches!(v, Verdict::Unknown(Unknown::RateLimited, _)),
            "{v:?}"
        );
    }

    #[test]
    fn a_sherlock_site_never_finds_on_status_alone() {
        let site = sherlock_status();
        let v = classify(&site, "johndoe", &answer(200, "<html>a page</html>"));
        assert!(matches!(v, Verdict::Unknown(Unknown::Error, _)), "{v:?}");
        let v = classify(
            &site,
            "johndoe",
            &answer(200, "<h1>Page not found</h1> johndoe"),
        );
        assert!(
            matches!(v, Verdict::Unknown(Unknown::Error, _)),
            "soft 404: {v:?}"
        );
        let v = classify(&site, "johndoe", &answer(200, "<h1>JohnDoe</h1>"));
        assert_eq!(v, Verdict::Found(vec![Evidence::UsernameEcho]));
        assert_eq!(
            classify(&site, "johndoe", &answer(404, "")),
            Verdict::Missing
        );
    }

    #[test]
    fn a_redirect_is_missing_only_when_it_goes_to_the_error_url() {
        let mut site = sherlock_status();
        site.missing = Missing {
            redirect_to: Some("https://example.test/notfound?u={account}".into()),
            ..Missing::default()
        };
        let to_error = Answer {
            location: Some("https://example.test/notfound?u=x"),
            ..answer(302, "")
        };
        assert_eq!(classify(&site, "johndoe", &to_error), Verdict::Missing);
        let to_login = Answer {
            location: Some("https://example.test/login"),
            ..answer(302, "")
        };
        let v = classify(&site, "johndoe", &to_login);
        assert!(matches!(v, Verdict::Unknown(Unknown::Redirect, _)), "{v:?}");
    }
}
