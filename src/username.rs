//! Offline username analysis: this module owns what a handle is made of (length,
//! character classes, case), which known sites' username rules it satisfies (from the
//! table embedded from `data/username/rules.tsv`), and the findings about its shape
//! (looks like an e-mail address or a phone number, trailing digits that may be a year).
//! It never touches the network: whether an account exists is not its question.
//!
//! # Input accepted
//!
//! Surrounding whitespace is trimmed, and one leading `@` (the mention sign nearly every
//! site prints before a handle) is dropped: `@jdoe` is analysed as `jdoe`. A
//! [`UsernameError`] is returned when the string cannot be anyone's handle on any known
//! site: it is empty, longer than 64 characters, contains whitespace, control or
//! invisible formatting characters, is a URL, has an `@` anywhere but once between two
//! non-empty parts (`name@example.com` is analysed, and flagged as e-mail-like), or has a
//! character outside what some known site accepts: letters and digits of any script,
//! combining marks, `_ . -`, and `! ~ * ( )` (npm). So `/`, `?`, `#`, `%`, `+`, `$`,
//! quotes and emoji are refused.
//!
//! # Findings
//!
//! Every [`Finding`] this module emits, in the order they appear in
//! [`UsernameAnalysis::findings`]:
//!
//! | code | when |
//! |---|---|
//! | `username.at_prefix` | a leading `@` was dropped |
//! | `username.mixed_case` | the handle has upper-case letters; names the lower-case form |
//! | `username.non_ascii` | the handle has non-ASCII characters |
//! | `username.looks_like_email` | the handle has the form `name@domain.tld` |
//! | `username.looks_like_phone` | the handle is 7 to 15 digits, perhaps with separators |
//! | `username.digits_suffix` | the handle ends in digits; says if they read as a 19xx/20xx year |
//! | `username.sites_compatible` | how many and which known sites' rules the handle satisfies |
//! | `username.sites_incompatible` | which known sites cannot hold this exact handle, and why |

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::dossier::Finding;

/// Longer than any handle a known site allows for a person (npm and GitLab allow more,
/// but no one types such a handle), and a bound on the work done per input.
const MAX_CHARS: usize = 64;

/// What the analysis learned about one handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsernameAnalysis {
    /// The input as given, trimmed of surrounding whitespace (a leading `@` kept).
    pub username: String,
    /// The handle without a leading `@`, in lower case: the form sites match on.
    pub normalized: String,
    /// Length of the handle (without a leading `@`) in characters.
    pub length: usize,
    pub charset: Charset,
    /// One entry per known site, in the order of `data/username/rules.tsv`.
    pub sites: Vec<SiteRuleCheck>,
    pub findings: Vec<Finding>,
}

/// Which character classes the handle (without a leading `@`) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Charset {
    /// ASCII `a`-`z`.
    pub lowercase: bool,
    /// ASCII `A`-`Z`.
    pub uppercase: bool,
    /// ASCII `0`-`9`.
    pub digits: bool,
    pub underscore: bool,
    pub dot: bool,
    pub hyphen: bool,
    /// `@`, or one of npm's `! ~ * ( )`.
    pub other_symbols: bool,
    /// Any character outside ASCII (letters, digits or marks of other scripts).
    pub non_ascii: bool,
}

/// One known site's username rule applied to the handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteRuleCheck {
    pub site: &'static str,
    pub category: &'static str,
    /// Whether the handle, in lower case, satisfies the site's rule.
    pub satisfied: bool,
    /// Why not, as a short clause ("longer than 15 characters"); `None` when satisfied.
    pub reason: Option<String>,
}

/// Why a string cannot be a handle on any known site. Each variant displays as one
/// sentence in lower case without a final period, so that callers can prefix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsernameError {
    Empty,
    TooLong {
        length: usize,
    },
    ControlCharacter {
        code_point: u32,
    },
    InvisibleCharacter {
        code_point: u32,
    },
    Whitespace,
    Url,
    /// An `@` that is neither the leading mention sign nor the single separator of
    /// `name@domain`.
    StrayAt,
    UnusableCharacter {
        character: char,
    },
}

impl fmt::Display for UsernameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsernameError::Empty => write!(f, "the username is empty"),
            UsernameError::TooLong { length } => write!(
                f,
                "the username is {length} characters long; no known site allows more than \
                 {MAX_CHARS} for a person's handle"
            ),
            UsernameError::ControlCharacter { code_point } => write!(
                f,
                "the username contains the control character U+{code_point:04X}, which no \
                 handle can contain"
            ),
            UsernameError::InvisibleCharacter { code_point } => write!(
                f,
                "the username contains the invisible formatting character U+{code_point:04X}, \
                 which no handle can contain"
            ),
            UsernameError::Whitespace => {
                write!(
                    f,
                    "the username contains whitespace, which no handle can contain"
                )
            }
            UsernameError::Url => write!(
                f,
                "the username is a URL; give the handle alone (the part after the site's \
                 address)"
            ),
            UsernameError::StrayAt => write!(
                f,
                "the username has an '@' that is neither a leading mention sign nor the \
                 single separator of name@domain"
            ),
            UsernameError::UnusableCharacter { character } => write!(
                f,
                "the username contains '{character}', which no known site accepts in a \
                 handle"
            ),
        }
    }
}

impl std::error::Error for UsernameError {}

/// The form in which a handle is matched against stored identifiers (the breach index):
/// [`UsernameAnalysis::normalized`], without the site-rule checks. Accepts exactly what
/// [`analyse`] accepts, because both run the same checks.
pub fn normalise(input: &str) -> Result<String, UsernameError> {
    Ok(check(input)?.handle.to_lowercase())
}

/// A handle that passed every check, split into its parts.
struct Checked<'a> {
    username: &'a str,
    handle: &'a str,
    /// Characters in `handle`.
    length: usize,
    at_prefix: bool,
    email_like: Option<(&'a str, &'a str)>,
}

/// The checks shared by [`analyse`] and [`normalise`].
fn check(input: &str) -> Result<Checked<'_>, UsernameError> {
    let username = input.trim();
    if username.is_empty() {
        return Err(UsernameError::Empty);
    }
    // Checked before any other work so hostile input costs nothing; one extra character
    // is allowed for a leading '@'.
    let given_length = username.chars().count();
    if given_length > MAX_CHARS + 1 {
        return Err(UsernameError::TooLong {
            length: given_length,
        });
    }
    for c in username.chars() {
        if c.is_control() {
            return Err(UsernameError::ControlCharacter {
                code_point: u32::from(c),
            });
        }
        if crate::email::is_invisible(c) {
            return Err(UsernameError::InvisibleCharacter {
                code_point: u32::from(c),
            });
        }
        if c.is_whitespace() {
            return Err(UsernameError::Whitespace);
        }
    }
    let lower = username.to_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return Err(UsernameError::Url);
    }
    let (handle, at_prefix) = match username.strip_prefix('@') {
        Some(rest) => (rest, true),
        None => (username, false),
    };
    if handle.is_empty() {
        return Err(UsernameError::Empty);
    }
    let length = handle.chars().count();
    if length > MAX_CHARS {
        return Err(UsernameError::TooLong { length });
    }
    let email_like = match handle.split_once('@') {
        None => None,
        Some((name, domain)) if !name.is_empty() && !domain.is_empty() && !domain.contains('@') => {
            Some((name, domain))
        }
        Some(_) => return Err(UsernameError::StrayAt),
    };
    if let Some(character) = handle.chars().find(|&c| c != '@' && !usable(c)) {
        return Err(UsernameError::UnusableCharacter { character });
    }
    Ok(Checked {
        username,
        handle,
        length,
        at_prefix,
        email_like,
    })
}

/// Analyses one handle offline. See the module documentation for what is accepted.
pub fn analyse(input: &str) -> Result<UsernameAnalysis, UsernameError> {
    let Checked {
        username,
        handle,
        length,
        at_prefix,
        email_like,
    } = check(input)?;

    let normalized = handle.to_lowercase();
    let charset = charset_of(handle);
    let sites: Vec<SiteRuleCheck> = rules().iter().map(|rule| rule.check(&normalized)).collect();

    let mut findings = Vec::new();
    if at_prefix {
        findings.push(Finding::new(
            "username.at_prefix",
            format!(
                "The leading '@' is the mention sign sites print before a handle, not part of \
                 it, so the handle analysed is {handle}."
            ),
        ));
    }
    if handle.chars().any(char::is_uppercase) {
        findings.push(Finding::new(
            "username.mixed_case",
            format!(
                "The handle has upper-case letters; most sites match handles without regard \
                 to case, so on them it is the same handle as {normalized}."
            ),
        ));
    }
    if charset.non_ascii {
        let holders = sites.iter().filter(|s| s.satisfied).count();
        findings.push(Finding::new(
            "username.non_ascii",
            format!(
                "The handle has characters outside ASCII, which most sites refuse (it \
                 satisfies the rules of {holders} of the {} known sites), and look-alike \
                 letters from another script can imitate it or be imitated by it.",
                sites.len()
            ),
        ));
    }
    if let Some((name, domain)) = email_like
        && looks_like_domain(domain)
    {
        findings.push(Finding::new(
            "username.looks_like_email",
            format!(
                "The handle has the form of an e-mail address (mailbox {name} at {domain}); \
                 it is worth analysing as an e-mail address, or as a fediverse account."
            ),
        ));
    }
    if looks_like_phone(handle) {
        findings.push(Finding::new(
            "username.looks_like_phone",
            format!(
                "The handle is {} digits, as long as a phone number; it is worth analysing \
                 as a phone number too.",
                handle.chars().filter(char::is_ascii_digit).count()
            ),
        ));
    }
    if let Some(detail) = digits_suffix(handle) {
        findings.push(Finding::new("username.digits_suffix", detail));
    }
    findings.extend(site_findings(&sites));

    Ok(UsernameAnalysis {
        username: username.to_string(),
        normalized,
        length,
        charset,
        sites,
        findings,
    })
}

/// Characters at least one known site accepts in a handle (`@` is handled apart).
fn usable(c: char) -> bool {
    // The common case answered without the regular expression, which costs far more than
    // the rest of `normalise` (bulk breach imports call it for every handle).
    if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '!' | '~' | '*' | '(' | ')') {
        return true;
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| compile(r"^[\p{L}\p{M}\p{N}_.\-!~*()]$"));
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

fn charset_of(handle: &str) -> Charset {
    let mut set = Charset::default();
    for c in handle.chars() {
        match c {
            'a'..='z' => set.lowercase = true,
            'A'..='Z' => set.uppercase = true,
            '0'..='9' => set.digits = true,
            '_' => set.underscore = true,
            '.' => set.dot = true,
            '-' => set.hyphen = true,
            c if c.is_ascii() => set.other_symbols = true,
            _ => set.non_ascii = true,
        }
    }
    set
}

/// A plausible domain after the `@`: two or more non-empty dot-separated labels and a
/// top-level label of letters.
fn looks_like_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && tld.len() >= 2
        && tld.chars().all(char::is_alphabetic)
}

/// 7 to 15 digits (the E.164 range for a full number), optionally separated by '.', '-'
/// or enclosed area-code parentheses, and nothing else.
fn looks_like_phone(handle: &str) -> bool {
    let digits = handle.chars().filter(char::is_ascii_digit).count();
    let only = handle
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '(' | ')'));
    only && (7..=15).contains(&digits)
}

/// The `username.digits_suffix` detail, when the handle ends in digits after some other
/// character. Four digits from 1900 to 2099 are called out as a possible year; other
/// numbers are not read into.
fn digits_suffix(handle: &str) -> Option<String> {
    let stem = handle.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &handle[stem.len()..];
    if digits.is_empty() || stem.is_empty() {
        return None;
    }
    let year = digits.len() == 4 && (digits.starts_with("19") || digits.starts_with("20"));
    Some(if year {
        format!(
            "The handle ends in {digits}, which reads as a year: people often add a birth \
             year or the year they signed up, so it may hint at an age."
        )
    } else {
        format!(
            "The handle ends in the digits {digits}, often added when the plain name \
             {stem} was already taken."
        )
    })
}

fn site_findings(sites: &[SiteRuleCheck]) -> Vec<Finding> {
    let known = sites.len();
    let (ok, not): (Vec<&SiteRuleCheck>, Vec<&SiteRuleCheck>) =
        sites.iter().partition(|s| s.satisfied);
    let mut out = Vec::new();
    if !ok.is_empty() {
        let names: Vec<&str> = ok.iter().map(|s| s.site).collect();
        out.push(Finding::new(
            "username.sites_compatible",
            format!(
                "The handle satisfies the username rules of {} of the {known} known sites: \
                 {}.",
                ok.len(),
                names.join(", ")
            ),
        ));
    }
    if !not.is_empty() {
        let names: Vec<String> = not
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    s.site,
                    s.reason.as_deref().unwrap_or("rule not met")
                )
            })
            .collect();
        out.push(Finding::new(
            "username.sites_incompatible",
            format!(
                "No account on {} of the {known} known sites can have exactly this handle: \
                 {}.",
                not.len(),
                names.join(", ")
            ),
        ));
    }
    out
}

/// One line of `data/username/rules.tsv`, compiled.
struct SiteRule {
    site: &'static str,
    category: &'static str,
    min: usize,
    max: usize,
    allowed: Regex,
    forbidden: Option<Regex>,
    form: &'static str,
}

impl SiteRule {
    fn check(&self, normalized: &str) -> SiteRuleCheck {
        let length = normalized.chars().count();
        let reason = if length < self.min {
            Some(format!("shorter than {} characters", self.min))
        } else if length > self.max {
            Some(format!("longer than {} characters", self.max))
        } else if !self.allowed.is_match(normalized)
            || self
                .forbidden
                .as_ref()
                .is_some_and(|re| re.is_match(normalized))
        {
            Some(format!("allows only {}", self.form))
        } else {
            None
        };
        SiteRuleCheck {
            site: self.site,
            category: self.category,
            satisfied: reason.is_none(),
            reason,
        }
    }
}

const RULES_TSV: &str = include_str!("../data/username/rules.tsv");

fn rules() -> &'static [SiteRule] {
    static RULES: OnceLock<Vec<SiteRule>> = OnceLock::new();
    RULES.get_or_init(|| match parse_rules(RULES_TSV) {
        Ok(rules) => rules,
        // The table is embedded at build time and every line is checked by the tests, so
        // this is a build defect, never an input-dependent failure.
        Err(e) => panic!("data/username/rules.tsv is malformed: {e}"),
    })
}

fn parse_rules(text: &'static str) -> Result<Vec<SiteRule>, String> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // Only whole-line comments: '#' may appear inside a regular expression.
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [site, category, min, max, allowed, forbidden, form, _source] = fields[..] else {
            return Err(format!("line {}: expected 8 tab-separated fields", n + 1));
        };
        let number = |s: &str| {
            s.parse::<usize>()
                .map_err(|e| format!("line {}: {e}", n + 1))
        };
        let regex = |s: &str| Regex::new(s).map_err(|e| format!("line {}: {e}", n + 1));
        rules.push(SiteRule {
            site,
            category,
            min: number(min)?,
            max: number(max)?,
            allowed: regex(&format!("^(?:{allowed})$"))?,
            forbidden: if forbidden == "-" {
                None
            } else {
                Some(regex(forbidden)?)
            },
            form,
        });
    }
    Ok(rules)
}

/// Compiles a pattern written in this file; they are constants, covered by the tests.
fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        Err(e) => panic!("built-in pattern {pattern:?} does not compile: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> UsernameAnalysis {
        match analyse(input) {
            Ok(a) => a,
            Err(e) => panic!("{input:?} was refused: {e}"),
        }
    }

    fn codes(a: &UsernameAnalysis) -> Vec<&str> {
        a.findings.iter().map(|f| f.code.as_str()).collect()
    }

    fn detail<'a>(a: &'a UsernameAnalysis, code: &str) -> &'a str {
        match a.findings.iter().find(|f| f.code == code) {
            Some(f) => &f.detail,
            None => panic!("no {code} finding in {:?}", a.findings),
        }
    }

    fn site<'a>(a: &'a UsernameAnalysis, name: &str) -> &'a SiteRuleCheck {
        match a.sites.iter().find(|s| s.site == name) {
            Some(s) => s,
            None => panic!("no site {name}"),
        }
    }

    #[test]
    fn rules_table_loads_every_line() {
        let lines = RULES_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        assert_eq!(rules().len(), lines.count());
        assert_eq!(rules().len(), 23);
        for rule in rules() {
            assert!(rule.min >= 1 && rule.min <= rule.max, "{}", rule.site);
        }
    }

    #[test]
    fn plain_handle_fits_every_known_site() {
        let a = ok("jdoe1");
        assert_eq!(a.username, "jdoe1");
        assert_eq!(a.normalized, "jdoe1");
        assert_eq!(a.length, 5);
        assert_eq!(
            a.charset,
            Charset {
                lowercase: true,
                digits: true,
                ..Charset::default()
            }
        );
        assert!(
            a.sites.iter().all(|s| s.satisfied && s.reason.is_none()),
            "{:?}",
            a.sites
        );
        assert_eq!(
            codes(&a),
            ["username.digits_suffix", "username.sites_compatible"]
        );
        assert_eq!(
            detail(&a, "username.digits_suffix"),
            "The handle ends in the digits 1, often added when the plain name jdoe was \
             already taken."
        );
        assert!(detail(&a, "username.sites_compatible").starts_with(
            "The handle satisfies the username rules of 23 of the 23 known \
                              sites: GitHub, GitLab, X (Twitter), Instagram,"
        ));
    }

    #[test]
    fn underscore_handle_is_refused_by_github_and_others() {
        let a = ok("@John_Doe");
        assert_eq!(a.username, "@John_Doe");
        assert_eq!(a.normalized, "john_doe");
        assert_eq!(a.length, 8);
        let github = site(&a, "GitHub");
        assert!(!github.satisfied);
        assert_eq!(
            github.reason.as_deref(),
            Some("allows only letters, digits and single hyphens, not at the start or end")
        );
        assert!(site(&a, "X (Twitter)").satisfied);
        assert!(!site(&a, "Docker Hub").satisfied);
        assert_eq!(
            codes(&a),
            [
                "username.at_prefix",
                "username.mixed_case",
                "username.sites_compatible",
                "username.sites_incompatible",
            ]
        );
        assert_eq!(
            detail(&a, "username.mixed_case"),
            "The handle has upper-case letters; most sites match handles without regard to \
             case, so on them it is the same handle as john_doe."
        );
        assert_eq!(
            detail(&a, "username.sites_incompatible"),
            "No account on 5 of the 23 known sites can have exactly this handle: GitHub \
             (allows only letters, digits and single hyphens, not at the start or end), \
             Facebook (allows only letters, digits and periods, without '.com' or '.net'), \
             LinkedIn (allows only letters, digits and hyphens), Bluesky (allows only \
             letters, digits and hyphens, not starting or ending with '-'), Docker Hub \
             (allows only lower-case letters and digits)."
        );
    }

    #[test]
    fn length_limits_are_named() {
        let a = ok("abcdefghijklmnop"); // 16 characters
        assert_eq!(
            site(&a, "X (Twitter)").reason.as_deref(),
            Some("longer than 15 characters")
        );
        assert!(site(&a, "Minecraft").satisfied, "16 is Minecraft's maximum");
        let b = ok("ab");
        assert_eq!(
            site(&b, "Reddit").reason.as_deref(),
            Some("shorter than 3 characters")
        );
        assert!(site(&b, "Hacker News").satisfied);
    }

    #[test]
    fn forbidden_parts_are_refused() {
        assert!(!site(&ok("TwitterFan"), "X (Twitter)").satisfied);
        assert!(!site(&ok("shop.com"), "Facebook").satisfied);
        assert!(!site(&ok("project.git"), "GitLab").satisfied);
        assert!(!site(&ok("j..doe"), "Discord").satisfied);
        assert!(site(&ok("j.doe"), "Discord").satisfied);
        assert!(!site(&ok("name."), "TikTok").satisfied);
        assert!(!site(&ok("a__b_c"), "Telegram").satisfied);
        assert!(site(&ok("a_b_c1"), "Telegram").satisfied);
        assert!(
            !site(&ok("jo_doe_x"), "Roblox").satisfied,
            "one underscore at most"
        );
    }

    #[test]
    fn non_ascii_handle_fits_only_unicode_sites() {
        let a = ok("Zoë");
        assert_eq!(a.normalized, "zoë");
        assert_eq!(a.length, 3);
        assert!(a.charset.non_ascii);
        let fits: Vec<&str> = a
            .sites
            .iter()
            .filter(|s| s.satisfied)
            .map(|s| s.site)
            .collect();
        assert_eq!(fits, ["YouTube", "LinkedIn"]);
        assert_eq!(
            detail(&a, "username.non_ascii"),
            "The handle has characters outside ASCII, which most sites refuse (it satisfies \
             the rules of 2 of the 23 known sites), and look-alike letters from another \
             script can imitate it or be imitated by it."
        );
    }

    #[test]
    fn email_like_handle_is_flagged() {
        let a = ok("jane.doe@example.com");
        assert_eq!(
            detail(&a, "username.looks_like_email"),
            "The handle has the form of an e-mail address (mailbox jane.doe at \
             example.com); it is worth analysing as an e-mail address, or as a fediverse \
             account."
        );
        assert!(a.sites.iter().all(|s| !s.satisfied));
        assert!(!codes(&a).contains(&"username.sites_compatible"));
        assert!(a.charset.other_symbols);
    }

    #[test]
    fn phone_like_handle_is_flagged() {
        let a = ok("4155550123");
        assert_eq!(
            detail(&a, "username.looks_like_phone"),
            "The handle is 10 digits, as long as a phone number; it is worth analysing as a \
             phone number too."
        );
        assert!(
            !codes(&a).contains(&"username.digits_suffix"),
            "all digits is no suffix"
        );
        assert!(!codes(&ok("123456")).contains(&"username.looks_like_phone"));
    }

    #[test]
    fn year_suffix_is_read_only_for_19xx_and_20xx() {
        assert_eq!(
            detail(&ok("jdoe1987"), "username.digits_suffix"),
            "The handle ends in 1987, which reads as a year: people often add a birth year \
             or the year they signed up, so it may hint at an age."
        );
        assert!(detail(&ok("jdoe2024"), "username.digits_suffix").contains("reads as a year"));
        assert!(!detail(&ok("jdoe1234"), "username.digits_suffix").contains("year"));
        assert!(!detail(&ok("jdoe87"), "username.digits_suffix").contains("year"));
        assert!(!detail(&ok("jdoe19870"), "username.digits_suffix").contains("year"));
    }

    #[test]
    fn unusable_input_is_refused_with_reasons() {
        let cases: &[(&str, UsernameError)] = &[
            ("", UsernameError::Empty),
            ("  ", UsernameError::Empty),
            ("@", UsernameError::Empty),
            ("john doe", UsernameError::Whitespace),
            ("https://github.com/jdoe", UsernameError::Url),
            ("www.example.com", UsernameError::Url),
            (
                "github.com/jdoe",
                UsernameError::UnusableCharacter { character: '/' },
            ),
            ("jdoe?", UsernameError::UnusableCharacter { character: '?' }),
            ("#jdoe", UsernameError::UnusableCharacter { character: '#' }),
            ("j+doe", UsernameError::UnusableCharacter { character: '+' }),
            ("jdoe@", UsernameError::StrayAt),
            ("@@jdoe", UsernameError::StrayAt),
            ("a@b@c", UsernameError::StrayAt),
        ];
        for (input, expected) in cases {
            assert_eq!(analyse(input).as_ref(), Err(expected), "input {input:?}");
        }
        assert_eq!(
            analyse("j+doe").map_err(|e| e.to_string()),
            Err("the username contains '+', which no known site accepts in a handle".into())
        );
        let max = "a".repeat(64);
        assert_eq!(ok(&max).length, 64);
        assert_eq!(ok(&format!("@{max}")).length, 64);
        assert_eq!(
            analyse(&format!("{max}b")),
            Err(UsernameError::TooLong { length: 65 })
        );
    }

    #[test]
    fn hostile_input_is_refused_cleanly() {
        let long = "a".repeat(10_000);
        let many_at = "@".repeat(50);
        let cases: Vec<(&str, UsernameError)> = vec![
            ("", UsernameError::Empty),
            (&long, UsernameError::TooLong { length: 10_000 }),
            (
                "jdoe\u{0}",
                UsernameError::ControlCharacter { code_point: 0 },
            ),
            ("\u{0}", UsernameError::ControlCharacter { code_point: 0 }),
            (
                "jd\u{1b}[2Joe",
                UsernameError::ControlCharacter { code_point: 0x1b },
            ),
            (
                "jdoe\r\nadmin",
                UsernameError::ControlCharacter { code_point: 13 },
            ),
            ("@", UsernameError::Empty),
            (&many_at, UsernameError::StrayAt),
            (
                "\u{202E}eodj",
                UsernameError::InvisibleCharacter { code_point: 0x202E },
            ),
            (
                "j\u{200F}doe",
                UsernameError::InvisibleCharacter { code_point: 0x200F },
            ),
            (
                "j\u{200B}doe",
                UsernameError::InvisibleCharacter { code_point: 0x200B },
            ),
            (
                "jdoe😀",
                UsernameError::UnusableCharacter { character: '😀' },
            ),
            (
                "<script>",
                UsernameError::UnusableCharacter { character: '<' },
            ),
            ("'; DROP TABLE users;--", UsernameError::Whitespace),
            ("%00", UsernameError::UnusableCharacter { character: '%' }),
        ];
        for (input, expected) in &cases {
            let got = analyse(input);
            assert_eq!(got.as_ref(), Err(expected), "input {:?}", input.get(..40));
            if let Err(e) = got {
                let message = e.to_string();
                let plain = message.starts_with(char::is_lowercase) && !message.ends_with('.');
                assert!(plain && !message.contains('\n'), "{message}");
            }
        }
        // Odd strings made only of characters some site accepts are analysed, not refused;
        // the site checks then say honestly where they cannot exist.
        for input in ["xn--", "jdoe.", "-", "..", "()"] {
            let a = ok(input);
            assert!(a.sites.iter().any(|s| !s.satisfied), "{input:?}");
        }
    }
}
