//! Contacts a profile page lists: email addresses and phone numbers a person published on
//! a found account, which become the dossier's `contacts` and the next pivots.
//!
//! A page holds much that looks like an address without being one (the site's own
//! support mailbox, `logo@2x.png`, a monitoring service's ingest address), and digits that
//! look like numbers (ids, timestamps). So the rules are narrow on purpose: an email must
//! read as a real address with a public domain that is not the site's own, and a phone
//! number is taken only from a `tel:` link or a `"phone"` field of the page's data, written
//! with its country code, and valid for that country. A missed contact costs little; an
//! invented one sends an analyst after a stranger.

use std::sync::OnceLock;

use regex::Regex;

/// Most contacts kept from one page; a page listing more is a directory, not a profile.
pub const MAX_PER_PAGE: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactKind {
    Email,
    Phone,
}

/// One contact found on a page, in normal form (email lower case; phone E.164).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageContact {
    pub kind: ContactKind,
    pub value: String,
}

fn email_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"(?i)\b[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b")
            .expect("the email pattern compiles")
    })
}

fn phone_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(concat!(
            r#"(?i)(?:tel:|"(?:phone|phone_?number|telephone|mobile)"\s*:\s*")"#,
            r#"(\+[0-9][0-9 ().\-]{6,24})"#
        ))
        .expect("the phone pattern compiles")
    })
}

/// Domains that stand for "some address" in examples and templates.
const PLACEHOLDER_DOMAINS: [&str; 6] = [
    "example.com",
    "example.org",
    "example.net",
    "domain.com",
    "email.com",
    "yourdomain.com",
];

/// Services whose addresses appear in pages' code, never as a person's contact.
const SERVICE_DOMAINS: [&str; 4] = [
    "sentry.io",
    "sentry-next.wixpress.com",
    "wixpress.com",
    "users.noreply.github.com",
];

const ASSET_SUFFIXES: [&str; 8] = [
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".js", ".css",
];

/// The contacts `body` lists, leaving out the addresses of `site_host` itself (and of
/// its registrable domain), in order of first appearance, at most `MAX_PER_PAGE`.
pub fn extract(body: &str, site_host: &str) -> Vec<PageContact> {
    let site_domain = registrable(site_host);
    let mut found: Vec<PageContact> = Vec::new();
    let mut push = |contact: PageContact| {
        if found.len() < MAX_PER_PAGE && !found.contains(&contact) {
            found.push(contact);
        }
    };
    for m in email_pattern().find_iter(body) {
        if let Some(value) = person_email(m.as_str(), site_domain.as_deref()) {
            push(PageContact {
                kind: ContactKind::Email,
                value,
            });
        }
    }
    for caps in phone_pattern().captures_iter(body) {
        let Some(raw) = caps.get(1) else { continue };
        if let Some(value) = valid_phone(raw.as_str()) {
            push(PageContact {
                kind: ContactKind::Phone,
                value,
            });
        }
    }
    found
}

fn person_email(text: &str, site_domain: Option<&str>) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if ASSET_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return None;
    }
    let analysis = crate::email::analyse(&lower).ok()?;
    let domain = analysis.registrable_domain.as_deref()?;
    let local = analysis.local.as_str();
    let unwanted = PLACEHOLDER_DOMAINS.contains(&domain)
        || SERVICE_DOMAINS.iter().any(|s| {
            analysis.domain_ascii == *s || analysis.domain_ascii.ends_with(&format!(".{s}"))
        })
        || Some(domain) == site_domain
        || local.contains("noreply")
        || local.contains("no-reply");
    match unwanted {
        true => None,
        false => crate::email::normal_form(&lower).ok(),
    }
}

fn valid_phone(text: &str) -> Option<String> {
    let analysis = crate::phone::analyse(text.trim(), None).ok()?;
    analysis.profile.valid.then_some(analysis.profile.e164)
}

/// The registrable domain of a host (`www.github.com` → `github.com`), by the same public
/// suffix rules the email analysis uses.
fn registrable(host: &str) -> Option<String> {
    let probe = format!("x@{host}");
    crate::email::analyse(&probe).ok()?.registrable_domain
}

/// The host of a URL, without user or port (`https://a.b:8080/c` → `a.b`).
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(body: &str, host: &str) -> Vec<String> {
        extract(body, host).into_iter().map(|c| c.value).collect()
    }

    #[test]
    fn a_persons_published_contacts_are_found() {
        let body = r#"<a href="mailto:Jane.Doe@Proton.me">mail</a>
            <a href="tel:+44 20 7946 0958">call</a> {"phone": "+1 202-555-0173"}"#;
        assert_eq!(
            values(body, "www.site.test"),
            ["jane.doe@proton.me", "+442079460958", "+12025550173"]
        );
    }

    #[test]
    fn what_only_looks_like_a_contact_is_left_out() {
        let body = "support@github.com logo@2x.png abc@o1.ingest.sentry.io \
                    me@example.com noreply@mail.test 123@456 +1 555 0100 tel:+999999999 \
                    \"id\": \"+12025550173\"";
        assert!(values(body, "github.com").is_empty());
    }

    #[test]
    fn a_page_listing_many_addresses_gives_at_most_a_few() {
        let body: String = (0..50).map(|i| format!("p{i}@proton.me ")).collect();
        assert_eq!(extract(&body, "x.test").len(), MAX_PER_PAGE);
    }

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://api.github.com/users/x"), "api.github.com");
        assert_eq!(host_of("http://u:p@h.test:80?q"), "h.test");
    }
}
