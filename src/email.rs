//! Offline e-mail address analysis: this module owns the syntax check of an address, the
//! IDNA conversion of its domain (Unicode and punycode, accepted in either form), the
//! registrable domain from the public suffix list, the classification of the domain
//! (disposable, free mail, corporate, reserved), role local parts, and the provider rules
//! that give the canonical mailbox an address delivers to. It reads nothing but the data
//! embedded from `data/email/` and never touches the network.
//!
//! The address the caller gave is kept as given (trimmed) in [`EmailAnalysis::address`];
//! [`EmailAnalysis::canonical`] is reported beside it and never replaces it.
//!
//! # Syntax accepted
//!
//! A practical subset of RFC 5321/5322: exactly one `@`; a dot-atom local part of at most
//! 64 octets, ASCII only (quoted local parts and internationalised local parts are
//! refused with a message saying so); a domain of at least two labels, each 1-63 letters,
//! digits or hyphens after IDNA (UTS #46) conversion, not starting or ending with a
//! hyphen, with a top-level label that is not all digits; no address literal (`[...]`),
//! no trailing dot; no whitespace, control characters or invisible formatting characters
//! anywhere; at most 254 octets in all, counted with the domain in ASCII form. The domain
//! must have a registrable domain under the public suffix list, unless it is a reserved
//! special-use name (see [`DomainClass::Reserved`]).
//!
//! # Findings
//!
//! Every [`Finding`] this module emits, in the order they appear in
//! [`EmailAnalysis::findings`]:
//!
//! | code | when |
//! |---|---|
//! | `email.case_folded` | the address had upper-case letters; names its lower-case form |
//! | `email.domain_mapped` | IDNA mapping changed more than case (full-width letters ...) |
//! | `email.idn` | the domain is internationalised; names its Unicode and punycode forms |
//! | `email.registrable_domain` | the registrable domain (eTLD+1) and its public suffix |
//! | `email.reserved_domain` | the domain is a reserved or special-use name (RFC 2606, 6761 ...) |
//! | `email.disposable_domain` | the domain or a parent is on the disposable-domain blocklist |
//! | `email.free_mail` | the domain is a public mailbox provider |
//! | `email.corporate_domain` | none of the above: most likely an organisation's own domain |
//! | `email.lookalike_domain` | such a domain one slip from a free-mail domain (`gmail.co`) |
//! | `email.plus_tag` | the local part has a `+tag`; says whether the provider drops it |
//! | `email.provider_dots` | Gmail ignores dots; names the canonical mailbox |
//! | `email.provider_alias` | the domain is an alias of another provider domain (googlemail.com) |
//! | `email.subdomain_address` | Fastmail subdomain addressing (`folder@user.fastmail.com`) |
//! | `email.disposable_alias` | the local part has the form of a Yahoo disposable address |
//! | `email.role_address` | the local part is a role name (info, admin, noreply ...) |
//!
//! Exactly one of `email.reserved_domain`, `email.disposable_domain`, `email.free_mail`
//! and `email.corporate_domain` is emitted, matching [`EmailAnalysis::domain_class`].

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::Serialize;

use crate::dossier::Finding;

/// RFC 5321 section 4.5.3.1.3 limits a path to 256 octets including the angle brackets,
/// which leaves 254 for the address itself.
const MAX_ADDRESS: usize = 254;
/// RFC 5321 section 4.5.3.1.1.
const MAX_LOCAL: usize = 64;
/// RFC 1035 section 2.3.4.
const MAX_LABEL: usize = 63;

/// What the analysis learned about one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailAnalysis {
    /// The address as given, trimmed of surrounding whitespace; never rewritten.
    pub address: String,
    /// The local part exactly as given (before the `@`).
    pub local: String,
    /// The domain in Unicode form (IDNA U-labels), lower case.
    pub domain_unicode: String,
    /// The domain in ASCII form (IDNA A-labels, punycode), lower case.
    pub domain_ascii: String,
    /// The registrable domain (eTLD+1 under the public suffix list) in ASCII form. `None`
    /// only for reserved special-use names outside the list (`foo.test`, `host.local`).
    pub registrable_domain: Option<String>,
    pub domain_class: DomainClass,
    /// The role name (lower case, from `data/email/role.txt`) when the local part is one.
    pub role: Option<String>,
    /// The mailbox the provider delivers to, lower case with the domain in ASCII form:
    /// sub-address tags, ignored dots and alias domains removed where the provider is
    /// known to treat them so. Reported only; the target stays [`EmailAnalysis::address`].
    pub canonical: String,
    pub findings: Vec<Finding>,
}

/// The kind of domain an address is at. Reserved names are checked first, then the
/// disposable blocklist, then the free-mail list; anything else is `Corporate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainClass {
    /// A throw-away inbox service (`data/email/disposable.txt`).
    Disposable,
    /// A public mailbox provider anyone can sign up to (`data/email/freemail.txt`).
    FreeMail,
    /// Not known as disposable or free mail: an organisation's or a person's own domain.
    Corporate,
    /// A name reserved by the IETF or ICANN for documentation, testing or special use
    /// (`example.com`, `.test`, `.invalid`, `.localhost`, `.local` ...): no public
    /// mailbox exists there.
    Reserved,
}

impl DomainClass {
    /// The snake-case name used in serialised output.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainClass::Disposable => "disposable",
            DomainClass::FreeMail => "free_mail",
            DomainClass::Corporate => "corporate",
            DomainClass::Reserved => "reserved",
        }
    }
}

/// Why a string is not an address this module accepts. Each variant displays as one
/// sentence naming the problem, in lower case and without a final period so that callers
/// can prefix it ("target is not a valid email: the address has no '@' ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    /// Length in characters as given, or in octets with the domain in ASCII form.
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
    MissingAt,
    MultipleAt {
        count: usize,
    },
    QuotedLocalPart,
    EmptyLocalPart,
    NonAsciiLocalPart {
        character: char,
    },
    LocalPartTooLong {
        length: usize,
    },
    LocalPartDots,
    InvalidLocalCharacter {
        character: char,
    },
    EmptyDomain,
    AddressLiteral,
    TrailingDot,
    EmptyLabel,
    /// IDNA (UTS #46) refused the domain: a disallowed character, bad punycode, a hyphen
    /// at the start or end of a label, or a bidirectional-text violation.
    InvalidDomain {
        domain: String,
    },
    LabelTooLong {
        label: String,
    },
    SingleLabel {
        domain: String,
    },
    NumericTld {
        tld: String,
    },
    /// The domain is itself a public suffix (`co.uk`, `github.io`): nothing below it.
    NotRegistrable {
        domain: String,
    },
    /// The top-level label is neither in the public suffix list nor reserved.
    UnknownTld {
        tld: String,
    },
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailError::Empty => write!(f, "the address is empty"),
            EmailError::TooLong { length } => write!(
                f,
                "the address is {length} characters long; an address can have at most \
                 {MAX_ADDRESS}"
            ),
            EmailError::ControlCharacter { code_point } => write!(
                f,
                "the address contains the control character U+{code_point:04X}, which no \
                 address may contain"
            ),
            EmailError::InvisibleCharacter { code_point } => write!(
                f,
                "the address contains the invisible formatting character U+{code_point:04X}, \
                 which is refused because it makes the text display differently from what \
                 it is"
            ),
            EmailError::Whitespace => write!(
                f,
                "the address contains whitespace, which an unquoted address cannot contain"
            ),
            EmailError::MissingAt => {
                write!(
                    f,
                    "the address has no '@' separating the mailbox from the domain"
                )
            }
            EmailError::MultipleAt { count } => write!(
                f,
                "the address has {count} '@' signs; an address has exactly one"
            ),
            EmailError::QuotedLocalPart => write!(
                f,
                "the address has a quoted local part (\"...\"@domain), which is valid but \
                 not supported; only unquoted dot-atom local parts are analysed"
            ),
            EmailError::EmptyLocalPart => write!(f, "the address has nothing before the '@'"),
            EmailError::NonAsciiLocalPart { character } => write!(
                f,
                "the local part contains the non-ASCII character '{character}'; \
                 internationalised mailbox names (RFC 6531) are not supported"
            ),
            EmailError::LocalPartTooLong { length } => write!(
                f,
                "the local part is {length} characters long; it can have at most {MAX_LOCAL}"
            ),
            EmailError::LocalPartDots => write!(
                f,
                "the local part starts or ends with a dot or has two dots in a row, which \
                 an unquoted local part cannot"
            ),
            EmailError::InvalidLocalCharacter { character } => write!(
                f,
                "the local part contains '{character}', which an unquoted local part cannot \
                 contain"
            ),
            EmailError::EmptyDomain => write!(f, "the address has nothing after the '@'"),
            EmailError::AddressLiteral => write!(
                f,
                "the domain is an address literal ([...]); only domain names are supported"
            ),
            EmailError::TrailingDot => write!(
                f,
                "the domain ends with a dot, which an e-mail address does not allow"
            ),
            EmailError::EmptyLabel => write!(
                f,
                "the domain starts with a dot or has two dots in a row (an empty label)"
            ),
            EmailError::InvalidDomain { domain } => write!(
                f,
                "the domain \"{domain}\" is not a valid domain name: IDNA refuses it (a \
                 disallowed character, invalid punycode, or a label starting or ending with \
                 a hyphen)"
            ),
            EmailError::LabelTooLong { label } => write!(
                f,
                "the domain label \"{label}\" is {} characters long in ASCII form; a label \
                 can have at most {MAX_LABEL}",
                label.len()
            ),
            EmailError::SingleLabel { domain } => write!(
                f,
                "the domain \"{domain}\" has a single label, so it has no registrable domain; \
                 a public address needs at least two (like example.com)"
            ),
            EmailError::NumericTld { tld } => write!(
                f,
                "the top-level label \"{tld}\" is all digits, which no top-level domain is \
                 (an IP address is not a mail domain)"
            ),
            EmailError::NotRegistrable { domain } => write!(
                f,
                "the domain \"{domain}\" is itself a public suffix, so it has no registrable \
                 domain and nobody can hold a mailbox directly at it"
            ),
            EmailError::UnknownTld { tld } => write!(
                f,
                "the top-level domain \"{tld}\" is not in the public suffix list and is not a \
                 reserved name, so the domain has no registrable domain"
            ),
        }
    }
}

impl std::error::Error for EmailError {}

/// The form in which an address is matched against stored identifiers (the breach
/// index): the local part in lower case, `@`, the domain in lower-case ASCII (punycode).
/// It is the normal form the `email.case_folded` finding names, with IDN domains in their
/// ASCII form so that both spellings of a domain meet. Sub-address tags and provider dots
/// are kept: a breach exposes the literal address a site stored. Accepts exactly what
/// [`analyse`] accepts, because both run the same checks.
pub fn normal_form(input: &str) -> Result<String, EmailError> {
    let parsed = parse(input)?;
    let mut out = String::with_capacity(parsed.local.len() + 1 + parsed.domain_ascii.len());
    out.push_str(parsed.local);
    out.make_ascii_lowercase();
    out.push('@');
    out.push_str(&parsed.domain_ascii);
    Ok(out)
}

/// An address that passed every syntax check, split into its parts.
struct Parsed<'a> {
    address: &'a str,
    local: &'a str,
    domain: &'a str,
    domain_unicode: String,
    domain_ascii: String,
    reserved: Option<&'static str>,
    registrable_domain: Option<String>,
    public_suffix: Option<String>,
}

/// The syntax checks shared by [`analyse`] and [`normal_form`].
fn parse(input: &str) -> Result<Parsed<'_>, EmailError> {
    let address = input.trim();
    if address.is_empty() {
        return Err(EmailError::Empty);
    }
    // Checked before any parsing so hostile input costs nothing. IDNA mapping shortens a
    // domain only through ignored code points or decomposed accents, so an address this
    // long as given is refused without converting it; the exact limit is checked below.
    let length = address.chars().count();
    if length > MAX_ADDRESS {
        return Err(EmailError::TooLong { length });
    }
    for c in address.chars() {
        if c.is_control() {
            return Err(EmailError::ControlCharacter {
                code_point: u32::from(c),
            });
        }
        if is_invisible(c) {
            return Err(EmailError::InvisibleCharacter {
                code_point: u32::from(c),
            });
        }
    }
    // Before the whitespace check: a quoted local part may legally hold spaces, and the
    // caller is better told that quoting is unsupported than that spaces are wrong.
    if address.starts_with('"') {
        return Err(EmailError::QuotedLocalPart);
    }
    if address.chars().any(char::is_whitespace) {
        return Err(EmailError::Whitespace);
    }
    let (local, domain) = match address.matches('@').count() {
        0 => return Err(EmailError::MissingAt),
        1 => address.split_once('@').ok_or(EmailError::MissingAt)?,
        count => return Err(EmailError::MultipleAt { count }),
    };
    check_local(local)?;
    let (domain_unicode, domain_ascii) = domain_forms(domain)?;
    let octets = local.len() + 1 + domain_ascii.len();
    if octets > MAX_ADDRESS {
        return Err(EmailError::TooLong { length: octets });
    }

    let reserved = reserved_reason(&domain_ascii);
    let registrable = match psl::domain(domain_ascii.as_bytes()) {
        Some(d) if d.suffix().is_known() => Some(d),
        Some(_) if reserved.is_some() => None,
        Some(_) => {
            let tld = domain_ascii.rsplit('.').next().unwrap_or_default();
            return Err(EmailError::UnknownTld {
                tld: tld.to_string(),
            });
        }
        None if reserved.is_some() => None,
        None => {
            return Err(EmailError::NotRegistrable {
                domain: domain_ascii,
            });
        }
    };
    // psl returns slices of its ASCII input, so both conversions always succeed.
    let registrable_domain = registrable
        .and_then(|d| std::str::from_utf8(d.as_bytes()).ok())
        .map(str::to_string);
    let public_suffix = registrable.and_then(|d| {
        std::str::from_utf8(d.suffix().as_bytes())
            .ok()
            .map(str::to_string)
    });
    Ok(Parsed {
        address,
        local,
        domain,
        domain_unicode,
        domain_ascii,
        reserved,
        registrable_domain,
        public_suffix,
    })
}

/// Analyses one e-mail address offline. Surrounding whitespace is trimmed; everything
/// else must be a well-formed address (see the module documentation).
pub fn analyse(input: &str) -> Result<EmailAnalysis, EmailError> {
    let Parsed {
        address,
        local,
        domain,
        domain_unicode,
        domain_ascii,
        reserved,
        registrable_domain,
        public_suffix,
    } = parse(input)?;

    let mut findings = Vec::new();
    let local_lower = local.to_ascii_lowercase();

    // Case and form of what was given.
    let given_domain_lower = domain.to_lowercase();
    let domain_as_given_form = if domain.is_ascii() {
        domain_ascii.as_str()
    } else {
        domain_unicode.as_str()
    };
    if address.chars().any(char::is_uppercase) {
        findings.push(Finding::new(
            "email.case_folded",
            format!(
                "The address has upper-case letters; mail systems match domains without \
                 regard to case and in practice local parts too, so its normal form is \
                 {local_lower}@{domain_as_given_form}."
            ),
        ));
    }
    if given_domain_lower != domain_unicode && given_domain_lower != domain_ascii {
        findings.push(Finding::new(
            "email.domain_mapped",
            format!(
                "The domain was given as \"{domain}\", which IDNA normalisation maps to \
                 {domain_unicode}; the two look alike but only the mapped form is looked up."
            ),
        ));
    }
    if domain_unicode != domain_ascii {
        findings.push(Finding::new(
            "email.idn",
            format!(
                "The domain is internationalised: {domain_unicode} in Unicode, \
                 {domain_ascii} in its ASCII (punycode) form used in DNS and mail transport."
            ),
        ));
    }
    if let (Some(reg), Some(suffix)) = (&registrable_domain, &public_suffix) {
        let (reg_shown, suffix_shown) = (both_forms(reg), both_forms(suffix));
        let detail = if *reg == domain_ascii {
            format!(
                "The registrable domain is {reg_shown}, registered under the public suffix \
                 {suffix_shown}."
            )
        } else {
            format!(
                "The mail domain {} is a subdomain of the registrable domain {reg_shown}, \
                 registered under the public suffix {suffix_shown}.",
                both_forms(&domain_ascii)
            )
        };
        findings.push(Finding::new("email.registrable_domain", detail));
    }

    // Provider rules decide the canonical mailbox; they also tell the Fastmail subdomain
    // form apart, whose delivery domain is the parent.
    let rules = provider_rules(&local_lower, &domain_ascii);
    let delivery_domain = rules.canonical_domain.as_deref().unwrap_or(&domain_ascii);

    let domain_class = if let Some(reason) = reserved {
        findings.push(Finding::new(
            "email.reserved_domain",
            format!("{domain_unicode} is {reason}, so no public mailbox exists there."),
        ));
        DomainClass::Reserved
    } else if let Some(entry) = disposable_match(&domain_ascii) {
        let which = if entry == domain_ascii {
            String::new()
        } else {
            format!(" (through its parent {entry})")
        };
        findings.push(Finding::new(
            "email.disposable_domain",
            format!(
                "{domain_unicode} is on the disposable-email-domains blocklist{which}: its \
                 inboxes are throw-away ones anyone can create, so the address is weak \
                 evidence of a lasting identity."
            ),
        ));
        DomainClass::Disposable
    } else if freemail().contains(delivery_domain) {
        findings.push(Finding::new(
            "email.free_mail",
            format!(
                "{delivery_domain} is a public mailbox provider anyone can sign up to, so \
                 the address does not point to an employer or organisation."
            ),
        ));
        DomainClass::FreeMail
    } else {
        findings.push(Finding::new(
            "email.corporate_domain",
            format!(
                "{domain_unicode} is not a known free-mail or disposable domain, so it most \
                 likely belongs to an organisation or is someone's own domain."
            ),
        ));
        if let Some(target) = lookalike_of(registrable_domain.as_deref().unwrap_or(&domain_ascii)) {
            findings.push(Finding::new(
                "email.lookalike_domain",
                format!(
                    "{domain_unicode} is one slip away from the free-mail domain {target}: a \
                     typo, or a look-alike registered to catch or imitate {target} mail."
                ),
            ));
        }
        DomainClass::Corporate
    };

    let canonical = format!("{}@{}", rules.canonical_local, delivery_domain);
    findings.extend(rules.findings(&canonical));

    let role = role_of(&local_lower);
    if let Some(name) = &role {
        findings.push(Finding::new(
            "email.role_address",
            format!(
                "The local part \"{name}\" is a role name: the mailbox serves a function, a \
                 team or an automated sender rather than one person."
            ),
        ));
    }

    Ok(EmailAnalysis {
        address: address.to_string(),
        local: local.to_string(),
        domain_unicode,
        domain_ascii,
        registrable_domain,
        domain_class,
        role,
        canonical,
        findings,
    })
}

/// Invisible formatting characters that let text display differently from what it is
/// (bidirectional overrides, zero-width spaces, byte-order marks, tag characters). IDNA
/// would silently drop some of them and refuse others; refusing them all up front gives a
/// clear message. ZWNJ and ZWJ (U+200C, U+200D) are left to IDNA, whose context rules
/// allow them where some scripts need them. The username module refuses the same set.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// An ASCII domain as shown in findings: with its Unicode form in parentheses when it
/// has A-labels, so the reader need not decode punycode.
fn both_forms(ascii: &str) -> String {
    if !ascii.split('.').any(|label| label.starts_with("xn--")) {
        return ascii.to_string();
    }
    let (unicode, result) = Uts46::new().to_unicode(
        ascii.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::CheckFirstLast,
    );
    match result {
        Ok(()) => format!("{ascii} ({unicode})"),
        Err(_) => ascii.to_string(),
    }
}

/// RFC 5322 `atext` beyond letters and digits.
const ATEXT_SYMBOLS: &str = "!#$%&'*+-/=?^_`{|}~";

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if let Some(character) = local.chars().find(|c| !c.is_ascii()) {
        return Err(EmailError::NonAsciiLocalPart { character });
    }
    if local.len() > MAX_LOCAL {
        return Err(EmailError::LocalPartTooLong {
            length: local.len(),
        });
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalPartDots);
    }
    let bad = local
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || ATEXT_SYMBOLS.contains(c)));
    match bad {
        Some(character) => Err(EmailError::InvalidLocalCharacter { character }),
        None => Ok(()),
    }
}

/// Converts the domain as given to its (Unicode, ASCII) forms and checks its labels.
fn domain_forms(domain: &str) -> Result<(String, String), EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    if domain.starts_with('[') {
        return Err(EmailError::AddressLiteral);
    }
    if domain.ends_with('.') {
        return Err(EmailError::TrailingDot);
    }
    if domain.starts_with('.') || domain.contains("..") {
        return Err(EmailError::EmptyLabel);
    }
    let invalid = || EmailError::InvalidDomain {
        domain: domain.to_string(),
    };
    // Plain ASCII letters, digits, hyphens and dots, with no A-label to decode: IDNA would
    // only fold the case (the label checks below still run). This skips the IDNA
    // machinery for almost every real address, which bulk breach imports feel.
    let plain = domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if plain && !domain.to_ascii_lowercase().contains("xn--") {
        let ascii = domain.to_ascii_lowercase();
        check_labels(domain, &ascii)?;
        return Ok((ascii.clone(), ascii));
    }
    let uts46 = Uts46::new();
    // STD3 rules keep ASCII to letters, digits and hyphens; hyphens are checked at the
    // ends of labels only, because `ab--cd` labels are real (and all A-labels have one).
    // Lengths are checked below, to name the offending label.
    let ascii = uts46
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Ignore,
        )
        .map_err(|_| invalid())?
        .into_owned();
    check_labels(domain, &ascii)?;
    let (unicode, result) = uts46.to_unicode(
        ascii.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::CheckFirstLast,
    );
    result.map_err(|_| invalid())?;
    Ok((unicode.into_owned(), ascii))
}

/// Checks the labels of a domain in its ASCII form (`domain` is the form given, for
/// messages).
fn check_labels(domain: &str, ascii: &str) -> Result<(), EmailError> {
    let invalid = || EmailError::InvalidDomain {
        domain: domain.to_string(),
    };
    // Ideographic full stops and other dot look-alikes become '.' only now.
    if ascii.ends_with('.') {
        return Err(EmailError::TrailingDot);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(EmailError::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(EmailError::LabelTooLong {
                label: (*label).to_string(),
            });
        }
        let ldh = label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ldh || label.starts_with('-') || label.ends_with('-') {
            return Err(invalid());
        }
    }
    let tld = match labels.as_slice() {
        [_, .., tld] => *tld,
        _ => {
            return Err(EmailError::SingleLabel {
                domain: ascii.to_string(),
            });
        }
    };
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmailError::NumericTld {
            tld: tld.to_string(),
        });
    }
    Ok(())
}

/// Reserved and special-use names, matched on whole labels at the end of the domain,
/// with what each is reserved for.
const RESERVED: &[(&str, &str)] = &[
    ("example.com", "reserved for documentation by RFC 2606"),
    ("example.net", "reserved for documentation by RFC 2606"),
    ("example.org", "reserved for documentation by RFC 2606"),
    (
        "example",
        "under .example, reserved for documentation by RFC 2606",
    ),
    ("test", "under .test, reserved for testing by RFC 2606"),
    (
        "invalid",
        "under .invalid, reserved by RFC 2606 to be obviously invalid",
    ),
    (
        "localhost",
        "under .localhost, which names the local machine (RFC 6761)",
    ),
    (
        "local",
        "under .local, used only for multicast DNS on a local network (RFC 6762)",
    ),
    (
        "home.arpa",
        "under home.arpa, reserved for home networks (RFC 8375)",
    ),
    (
        "onion",
        "a Tor onion service name (RFC 7686), reachable only through Tor",
    ),
    (
        "alt",
        "under .alt, reserved for names outside the DNS (RFC 9476)",
    ),
    (
        "internal",
        "under .internal, reserved by ICANN for private networks",
    ),
];

fn reserved_reason(domain_ascii: &str) -> Option<&'static str> {
    RESERVED
        .iter()
        .find(|(name, _)| has_suffix(domain_ascii, name))
        .map(|(_, why)| *why)
}

/// True when `domain` is `suffix` or ends with `.suffix`.
fn has_suffix(domain: &str, suffix: &str) -> bool {
    domain
        .strip_suffix(suffix)
        .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

/// The domain and each of its parents, longest first: `a.b.c`, `b.c`, `c`.
fn self_and_parents(domain: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(domain), |d| {
        d.split_once('.').map(|(_, parent)| parent)
    })
}

/// The blocklist entry matching the domain or one of its parents, most specific first.
/// Parents matter because disposable services hand out addresses on arbitrary
/// subdomains of their listed domains.
fn disposable_match(domain_ascii: &str) -> Option<&'static str> {
    let list = disposable();
    self_and_parents(domain_ascii).find_map(|d| list.get(d).copied())
}

fn role_of(local_lower: &str) -> Option<String> {
    let roles = roles();
    let untagged = local_lower.split('+').next().unwrap_or(local_lower);
    [local_lower, untagged]
        .into_iter()
        .find(|l| roles.contains(l))
        .map(str::to_string)
}

fn parse_list(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .collect()
}

fn disposable() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| parse_list(include_str!("../data/email/disposable.txt")))
}

fn freemail() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| parse_list(include_str!("../data/email/freemail.txt")))
}

/// The free-mail domain `domain` imitates, if any: the same name under another ending
/// (`gmail.co`), or one edit (a letter added, dropped, changed or two swapped) away
/// (`gmial.com`, `yahooo.com`). Names shorter than five letters are left out, where one
/// edit away lies a real business as often as a typo (`aol.com` and `aon.com`).
fn lookalike_of(domain: &str) -> Option<&'static str> {
    let (name, ending) = domain.split_once('.')?;
    freemail().iter().copied().find(|known| {
        let Some((known_name, known_ending)) = known.split_once('.') else {
            return false;
        };
        if known_name.len() < 5 || *known == domain {
            return false;
        }
        let same_name = known_name == name && known_ending != ending;
        same_name || (known_ending == ending && one_edit_apart(known_name, name))
    })
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (rest_a, rest_b) = (&a[prefix..], &b[prefix..]);
    match rest_a.len().cmp(&rest_b.len()) {
        std::cmp::Ordering::Less => rest_a == &rest_b[1..],
        std::cmp::Ordering::Greater => &rest_a[1..] == rest_b,
        std::cmp::Ordering::Equal => {
            rest_a[1..] == rest_b[1..]
                || (rest_a.len() >= 2
                    && rest_a[0] == rest_b[1]
                    && rest_a[1] == rest_b[0]
                    && rest_a[2..] == rest_b[2..])
        }
    }
}

fn roles() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| parse_list(include_str!("../data/email/role.txt")))
}

/// A mail provider whose delivery rules are known well enough to canonicalise with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Gmail,
    Outlook,
    Yahoo,
    Fastmail,
    Proton,
    Yandex,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Gmail => "Gmail",
            Provider::Outlook => "Outlook.com",
            Provider::Yahoo => "Yahoo Mail",
            Provider::Fastmail => "Fastmail",
            Provider::Proton => "Proton Mail",
            Provider::Yandex => "Yandex Mail",
        }
    }

    /// Whether everything after the first `+` in the local part is a tag the provider
    /// drops on delivery. Gmail, Outlook.com, Fastmail, Proton Mail and Yandex Mail all
    /// document `+` sub-addressing for their consumer mailboxes. Yahoo Mail does not
    /// offer it (its disposable addresses use a hyphen instead, see below).
    fn drops_plus_tag(self) -> bool {
        !matches!(self, Provider::Yahoo)
    }

    /// Which provider serves `domain` (ASCII, lower case). Outlook.com and Yahoo have
    /// many country domains; they are recognised by brand label, but only when the domain
    /// is on the free-mail list, so lookalike registrations are not matched.
    fn of(domain: &str) -> Option<Provider> {
        match domain {
            "gmail.com" | "googlemail.com" => return Some(Provider::Gmail),
            "proton.me" | "protonmail.com" | "protonmail.ch" | "pm.me" => {
                return Some(Provider::Proton);
            }
            "fastmail.com" | "fastmail.fm" => return Some(Provider::Fastmail),
            "yandex.ru" | "yandex.com" | "ya.ru" | "yandex.by" | "yandex.kz" | "yandex.ua" => {
                return Some(Provider::Yandex);
            }
            // Yahoo! JAPAN is a separate company with its own mail rules.
            "yahoo.co.jp" => return None,
            _ => {}
        }
        if !freemail().contains(domain) {
            return None;
        }
        let brand = domain.split('.').next().unwrap_or_default();
        match brand {
            "outlook" | "hotmail" | "live" | "msn" | "windowslive" => Some(Provider::Outlook),
            "yahoo" | "ymail" | "rocketmail" => Some(Provider::Yahoo),
            _ => None,
        }
    }
}

/// What the provider rules did to one address, kept so the findings can explain it.
struct ProviderRules {
    provider: Option<Provider>,
    /// The local part with the provider's rules applied (lower case).
    canonical_local: String,
    /// Set when delivery goes to another domain than the one written.
    canonical_domain: Option<String>,
    /// The `+` tag found in the local part, if any, and whether it was dropped.
    plus_tag: Option<(String, bool)>,
    /// The Gmail dots that were dropped: the local part before removal.
    dotted: Option<String>,
    /// (written domain, domain delivered to) for alias domains.
    alias: Option<(String, String)>,
    /// (folder, user) for Fastmail subdomain addressing.
    subdomain: Option<(String, String)>,
    /// (base name, keyword) for a Yahoo local part of the disposable-address form.
    yahoo_disposable: Option<(String, String)>,
}

fn provider_rules(local_lower: &str, domain_ascii: &str) -> ProviderRules {
    let mut rules = ProviderRules {
        provider: Provider::of(domain_ascii),
        canonical_local: local_lower.to_string(),
        canonical_domain: None,
        plus_tag: None,
        dotted: None,
        alias: None,
        subdomain: None,
        yahoo_disposable: None,
    };

    // Fastmail delivers `folder@user.fastmail.com` to `user@fastmail.com`, filing it in
    // `folder` (its documented "subdomain addressing"). Only the three-label form under
    // fastmail.com is read this way; the whole local part is then the folder name.
    if let Some(user) = domain_ascii.strip_suffix(".fastmail.com")
        && !user.contains('.')
    {
        rules.provider = Some(Provider::Fastmail);
        rules.subdomain = Some((local_lower.to_string(), user.to_string()));
        rules.canonical_local = user.to_string();
        rules.canonical_domain = Some("fastmail.com".to_string());
        return rules;
    }

    if let Some((mailbox, tag)) = local_lower.split_once('+') {
        // A local part that is only a tag (`+news@`) names no mailbox to strip down to.
        let drop = !mailbox.is_empty() && rules.provider.is_some_and(Provider::drops_plus_tag);
        if drop {
            rules.canonical_local = mailbox.to_string();
        }
        rules.plus_tag = Some((tag.to_string(), drop));
    }

    match rules.provider {
        Some(Provider::Gmail) => {
            // Gmail ignores dots in the mailbox name (Google: "dots don't matter in Gmail
            // addresses"), and googlemail.com is the same service under another name.
            if rules.canonical_local.contains('.') {
                let undotted: String = rules
                    .canonical_local
                    .chars()
                    .filter(|&c| c != '.')
                    .collect();
                if !undotted.is_empty() {
                    rules.dotted = Some(std::mem::replace(&mut rules.canonical_local, undotted));
                }
            }
            if domain_ascii == "googlemail.com" {
                rules.alias = Some((domain_ascii.to_string(), "gmail.com".to_string()));
                rules.canonical_domain = Some("gmail.com".to_string());
            }
        }
        Some(Provider::Yandex) => {
            // One Yandex login receives mail on all of Yandex Mail's domains, so the
            // address is the same mailbox at yandex.ru.
            if domain_ascii != "yandex.ru" {
                rules.alias = Some((domain_ascii.to_string(), "yandex.ru".to_string()));
                rules.canonical_domain = Some("yandex.ru".to_string());
            }
        }
        Some(Provider::Yahoo) => {
            // Yahoo Mail's disposable addresses are `basename-keyword@yahoo...`, and a
            // Yahoo ID itself cannot contain a hyphen. The base name is a nickname chosen
            // for disposable addresses, not the account's mailbox, so nothing is stripped.
            if let Some((base, keyword)) = local_lower.split_once('-')
                && !base.is_empty()
                && !keyword.is_empty()
            {
                rules.yahoo_disposable = Some((base.to_string(), keyword.to_string()));
            }
        }
        // Outlook.com, Fastmail and Proton: only the plus rule above. Dots and hyphens
        // are significant there. Mail.ru, iCloud and the rest get no rule: their handling
        // of tags or dots is not documented well enough to rewrite addresses on.
        Some(Provider::Outlook | Provider::Fastmail | Provider::Proton) | None => {}
    }
    rules
}

impl ProviderRules {
    fn findings(&self, canonical: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let provider = self.provider.map(Provider::name);
        if let Some((tag, dropped)) = &self.plus_tag {
            let detail = match (dropped, provider) {
                (true, Some(name)) => format!(
                    "The local part carries the sub-address tag \"{tag}\" after a '+'; \
                     {name} delivers tagged addresses to the untagged mailbox, \
                     {canonical}."
                ),
                (false, Some(name)) => format!(
                    "The local part contains '+' followed by \"{tag}\"; {name} does not treat \
                     that as a sub-address tag, so the canonical mailbox keeps it."
                ),
                (_, None) => format!(
                    "The local part contains '+' followed by \"{tag}\", which may be a \
                     sub-address tag: many mail systems deliver such addresses to the \
                     mailbox before the '+', but this domain's provider is not known, so \
                     the canonical mailbox keeps it."
                ),
            };
            out.push(Finding::new("email.plus_tag", detail));
        }
        if let Some(dotted) = &self.dotted {
            out.push(Finding::new(
                "email.provider_dots",
                format!(
                    "Gmail ignores dots in the mailbox name, so \"{dotted}\" and every other \
                     dotting of it reach the same inbox, {canonical}."
                ),
            ));
        }
        if let Some((written, target)) = &self.alias {
            let name = provider.unwrap_or("The provider");
            out.push(Finding::new(
                "email.provider_alias",
                format!(
                    "{written} is an alias domain of {target} at {name}: both deliver to the \
                     same mailbox, {canonical}."
                ),
            ));
        }
        if let Some((folder, user)) = &self.subdomain {
            out.push(Finding::new(
                "email.subdomain_address",
                format!(
                    "Fastmail delivers mail for anything@{user}.fastmail.com to \
                     {user}@fastmail.com (subdomain addressing), filing it under \"{folder}\"; \
                     the canonical mailbox is {canonical}."
                ),
            ));
        }
        if let Some((base, keyword)) = &self.yahoo_disposable {
            out.push(Finding::new(
                "email.disposable_alias",
                format!(
                    "The local part has the form of a Yahoo Mail disposable address, base \
                     name \"{base}\" and keyword \"{keyword}\": such addresses forward to an \
                     account whose own mailbox name they do not reveal."
                ),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> EmailAnalysis {
        match analyse(input) {
            Ok(a) => a,
            Err(e) => panic!("{input:?} was refused: {e}"),
        }
    }

    fn codes(a: &EmailAnalysis) -> Vec<&str> {
        a.findings.iter().map(|f| f.code.as_str()).collect()
    }

    fn detail<'a>(a: &'a EmailAnalysis, code: &str) -> &'a str {
        match a.findings.iter().find(|f| f.code == code) {
            Some(f) => &f.detail,
            None => panic!("no {code} finding in {:?}", a.findings),
        }
    }

    #[test]
    fn plain_corporate_address_is_analysed() {
        let a = ok("  jane.doe@skopio.org ");
        assert_eq!(a.address, "jane.doe@skopio.org");
        assert_eq!(a.local, "jane.doe");
        assert_eq!(a.domain_unicode, "skopio.org");
        assert_eq!(a.domain_ascii, "skopio.org");
        assert_eq!(a.registrable_domain.as_deref(), Some("skopio.org"));
        assert_eq!(a.domain_class, DomainClass::Corporate);
        assert_eq!(a.role, None);
        assert_eq!(a.canonical, "jane.doe@skopio.org");
        assert_eq!(
            codes(&a),
            ["email.registrable_domain", "email.corporate_domain"]
        );
        assert_eq!(
            detail(&a, "email.registrable_domain"),
            "The registrable domain is skopio.org, registered under the public suffix org."
        );
    }

    #[test]
    fn gmail_ignores_dots_and_plus_tags() {
        let a = ok("J.Doe+News@GMail.com");
        assert_eq!(
            a.address, "J.Doe+News@GMail.com",
            "the target is never rewritten"
        );
        assert_eq!(a.local, "J.Doe+News");
        assert_eq!(a.canonical, "jdoe@gmail.com");
        assert_eq!(a.domain_class, DomainClass::FreeMail);
        assert_eq!(
            codes(&a),
            [
                "email.case_folded",
                "email.registrable_domain",
                "email.free_mail",
                "email.plus_tag",
                "email.provider_dots",
            ]
        );
        assert_eq!(
            detail(&a, "email.case_folded"),
            "The address has upper-case letters; mail systems match domains without regard \
             to case and in practice local parts too, so its normal form is \
             j.doe+news@gmail.com."
        );
        assert_eq!(
            detail(&a, "email.plus_tag"),
            "The local part carries the sub-address tag \"news\" after a '+'; Gmail delivers \
             tagged addresses to the untagged mailbox, jdoe@gmail.com."
        );
        assert_eq!(
            detail(&a, "email.provider_dots"),
            "Gmail ignores dots in the mailbox name, so \"j.doe\" and every other dotting of \
             it reach the same inbox, jdoe@gmail.com."
        );
    }

    #[test]
    fn googlemail_is_an_alias_of_gmail() {
        let a = ok("jdoe@googlemail.com");
        assert_eq!(a.canonical, "jdoe@gmail.com");
        assert_eq!(a.domain_ascii, "googlemail.com");
        assert_eq!(a.domain_class, DomainClass::FreeMail);
        assert_eq!(
            detail(&a, "email.provider_alias"),
            "googlemail.com is an alias domain of gmail.com at Gmail: both deliver to the \
             same mailbox, jdoe@gmail.com."
        );
    }

    #[test]
    fn outlook_drops_plus_tags_but_keeps_dots() {
        let a = ok("j.doe+shop@hotmail.co.uk");
        assert_eq!(a.canonical, "j.doe@hotmail.co.uk");
        assert_eq!(a.registrable_domain.as_deref(), Some("hotmail.co.uk"));
        assert_eq!(a.domain_class, DomainClass::FreeMail);
        assert!(!codes(&a).contains(&"email.provider_dots"));
        assert_eq!(
            detail(&a, "email.registrable_domain"),
            "The registrable domain is hotmail.co.uk, registered under the public suffix co.uk."
        );
    }

    #[test]
    fn proton_and_fastmail_drop_plus_tags() {
        assert_eq!(ok("alice+x@proton.me").canonical, "alice@proton.me");
        assert_eq!(ok("alice+x@pm.me").canonical, "alice@pm.me");
        assert_eq!(ok("alice+x@fastmail.com").canonical, "alice@fastmail.com");
    }

    #[test]
    fn fastmail_subdomain_addressing_is_resolved() {
        let a = ok("receipts@alice.fastmail.com");
        assert_eq!(a.canonical, "alice@fastmail.com");
        assert_eq!(a.registrable_domain.as_deref(), Some("fastmail.com"));
        assert_eq!(a.domain_class, DomainClass::FreeMail);
        assert_eq!(
            detail(&a, "email.subdomain_address"),
            "Fastmail delivers mail for anything@alice.fastmail.com to alice@fastmail.com \
             (subdomain addressing), filing it under \"receipts\"; the canonical mailbox is \
             alice@fastmail.com."
        );
    }

    #[test]
    fn yandex_domains_deliver_to_one_mailbox() {
        let a = ok("ivan+promo@ya.ru");
        assert_eq!(a.canonical, "ivan@yandex.ru");
        assert_eq!(
            codes(&a),
            [
                "email.registrable_domain",
                "email.free_mail",
                "email.plus_tag",
                "email.provider_alias",
            ]
        );
    }

    #[test]
    fn mail_ru_addresses_are_not_rewritten() {
        let a = ok("ivan.petrov+x@mail.ru");
        assert_eq!(a.canonical, "ivan.petrov+x@mail.ru");
        assert_eq!(a.domain_class, DomainClass::FreeMail);
        assert!(detail(&a, "email.plus_tag").contains("provider is not known"));
    }

    #[test]
    fn yahoo_hyphen_address_is_reported_not_rewritten() {
        let a = ok("shopper-amazon@yahoo.com");
        assert_eq!(a.canonical, "shopper-amazon@yahoo.com");
        assert_eq!(
            detail(&a, "email.disposable_alias"),
            "The local part has the form of a Yahoo Mail disposable address, base name \
             \"shopper\" and keyword \"amazon\": such addresses forward to an account whose \
             own mailbox name they do not reveal."
        );
        let plus = ok("jo+x@yahoo.fr");
        assert_eq!(
            plus.canonical, "jo+x@yahoo.fr",
            "Yahoo has no plus addressing"
        );
    }

    #[test]
    fn tag_only_local_part_is_kept() {
        assert_eq!(ok("+news@gmail.com").canonical, "+news@gmail.com");
    }

    #[test]
    fn idn_domain_round_trips_through_punycode() {
        let from_unicode = ok("anna@Bücher.de");
        assert_eq!(from_unicode.domain_unicode, "bücher.de");
        assert_eq!(from_unicode.domain_ascii, "xn--bcher-kva.de");
        assert_eq!(
            from_unicode.registrable_domain.as_deref(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(from_unicode.canonical, "anna@xn--bcher-kva.de");
        assert_eq!(
            detail(&from_unicode, "email.idn"),
            "The domain is internationalised: bücher.de in Unicode, xn--bcher-kva.de in its \
             ASCII (punycode) form used in DNS and mail transport."
        );
        assert_eq!(
            detail(&from_unicode, "email.case_folded"),
            "The address has upper-case letters; mail systems match domains without regard \
             to case and in practice local parts too, so its normal form is anna@bücher.de."
        );

        let from_ascii = ok("anna@XN--BCHER-KVA.de");
        assert_eq!(from_ascii.domain_unicode, "bücher.de");
        assert_eq!(from_ascii.domain_ascii, "xn--bcher-kva.de");
        assert_eq!(from_ascii.canonical, from_unicode.canonical);
        assert!(!codes(&from_ascii).contains(&"email.domain_mapped"));
    }

    #[test]
    fn idn_top_level_domain_has_a_registrable_domain() {
        let a = ok("info@пример.рф");
        assert_eq!(a.domain_ascii, "xn--e1afmkfd.xn--p1ai");
        assert_eq!(
            a.registrable_domain.as_deref(),
            Some("xn--e1afmkfd.xn--p1ai")
        );
        assert_eq!(
            detail(&a, "email.registrable_domain"),
            "The registrable domain is xn--e1afmkfd.xn--p1ai (пример.рф), registered under \
             the public suffix xn--p1ai (рф)."
        );
        assert_eq!(a.role.as_deref(), Some("info"));
    }

    #[test]
    fn full_width_domain_is_reported_as_mapped() {
        let a = ok("jdoe@ｇｍａｉｌ.com");
        assert_eq!(a.domain_ascii, "gmail.com");
        assert_eq!(a.canonical, "jdoe@gmail.com");
        assert_eq!(
            detail(&a, "email.domain_mapped"),
            "The domain was given as \"ｇｍａｉｌ.com\", which IDNA normalisation maps to \
             gmail.com; the two look alike but only the mapped form is looked up."
        );
    }

    #[test]
    fn disposable_domain_is_caught() {
        let a = ok("someone@mailinator.com");
        assert_eq!(a.domain_class, DomainClass::Disposable);
        assert_eq!(
            detail(&a, "email.disposable_domain"),
            "mailinator.com is on the disposable-email-domains blocklist: its inboxes are \
             throw-away ones anyone can create, so the address is weak evidence of a lasting \
             identity."
        );
    }

    #[test]
    fn disposable_subdomain_is_caught() {
        let a = ok("someone@inbox.mailinator.com");
        assert_eq!(a.domain_class, DomainClass::Disposable);
        assert_eq!(a.registrable_domain.as_deref(), Some("mailinator.com"));
        assert!(
            detail(&a, "email.disposable_domain").contains("(through its parent mailinator.com)")
        );
        // Entries below a private public suffix match too (dynv6.net is one).
        let b = ok("x@0-mailer.dynv6.net");
        assert_eq!(b.domain_class, DomainClass::Disposable);
        assert_eq!(b.registrable_domain.as_deref(), Some("0-mailer.dynv6.net"));
    }

    #[test]
    fn role_address_is_flagged() {
        let a = ok("NoReply@Skopio.org");
        assert_eq!(a.role.as_deref(), Some("noreply"));
        assert_eq!(
            detail(&a, "email.role_address"),
            "The local part \"noreply\" is a role name: the mailbox serves a function, a team \
             or an automated sender rather than one person."
        );
        assert_eq!(
            ok("support+billing@skopio.org").role.as_deref(),
            Some("support")
        );
        assert_eq!(ok("infosec-jane@skopio.org").role, None);
    }

    #[test]
    fn reserved_domains_are_classified_not_refused() {
        let a = ok("user@example.com");
        assert_eq!(a.domain_class, DomainClass::Reserved);
        assert_eq!(a.registrable_domain.as_deref(), Some("example.com"));
        assert_eq!(
            detail(&a, "email.reserved_domain"),
            "example.com is reserved for documentation by RFC 2606, so no public mailbox \
             exists there."
        );
        let t = ok("user@mail.foo.test");
        assert_eq!(t.domain_class, DomainClass::Reserved);
        assert_eq!(t.registrable_domain, None);
        assert!(!codes(&t).contains(&"email.registrable_domain"));
        assert_eq!(ok("user@printer.local").domain_class, DomainClass::Reserved);
        // "notexample.com" is an ordinary domain: reserved names match on label boundaries.
        assert_eq!(
            ok("user@notexample.com").domain_class,
            DomainClass::Corporate
        );
    }

    #[test]
    fn address_without_registrable_domain_is_refused() {
        assert_eq!(
            analyse("user@com"),
            Err(EmailError::SingleLabel {
                domain: "com".into()
            })
        );
        assert_eq!(
            analyse("user@localhost"),
            Err(EmailError::SingleLabel {
                domain: "localhost".into()
            })
        );
        assert_eq!(
            analyse("user@co.uk"),
            Err(EmailError::NotRegistrable {
                domain: "co.uk".into()
            })
        );
        assert_eq!(
            analyse("user@github.io"),
            Err(EmailError::NotRegistrable {
                domain: "github.io".into()
            })
        );
        assert_eq!(
            analyse("user@host.nosuchtld"),
            Err(EmailError::UnknownTld {
                tld: "nosuchtld".into()
            })
        );
        assert_eq!(
            analyse("user@com").map_err(|e| e.to_string()),
            Err(
                "the domain \"com\" has a single label, so it has no registrable domain; a \
                 public address needs at least two (like example.com)"
                    .to_string()
            )
        );
    }

    #[test]
    fn syntax_errors_are_named() {
        let cases: &[(&str, EmailError)] = &[
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("jdoe.example.com", EmailError::MissingAt),
            ("a@b@example.com", EmailError::MultipleAt { count: 2 }),
            ("@example.com", EmailError::EmptyLocalPart),
            ("jdoe@", EmailError::EmptyDomain),
            ("\"j doe\"@example.com", EmailError::QuotedLocalPart),
            ("j doe@example.com", EmailError::Whitespace),
            (".jdoe@example.com", EmailError::LocalPartDots),
            ("jdoe.@example.com", EmailError::LocalPartDots),
            ("j..doe@example.com", EmailError::LocalPartDots),
            (
                "j(doe)@example.com",
                EmailError::InvalidLocalCharacter { character: '(' },
            ),
            (
                "jöe@example.com",
                EmailError::NonAsciiLocalPart { character: 'ö' },
            ),
            ("jdoe@[192.0.2.1]", EmailError::AddressLiteral),
            ("jdoe@192.0.2.1", EmailError::NumericTld { tld: "1".into() }),
            ("jdoe@example.com.", EmailError::TrailingDot),
            ("jdoe@.example.com", EmailError::EmptyLabel),
            ("jdoe@example..com", EmailError::EmptyLabel),
            (
                "jdoe@-example.com",
                EmailError::InvalidDomain {
                    domain: "-example.com".into(),
                },
            ),
            (
                "jdoe@exa_mple.com",
                EmailError::InvalidDomain {
                    domain: "exa_mple.com".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(analyse(input).as_ref(), Err(expected), "input {input:?}");
        }
        let local = "a".repeat(65);
        assert_eq!(
            analyse(&format!("{local}@example.com")),
            Err(EmailError::LocalPartTooLong { length: 65 })
        );
        let label = "a".repeat(64);
        assert_eq!(
            analyse(&format!("jdoe@{label}.com")),
            Err(EmailError::LabelTooLong {
                label: label.clone()
            })
        );
        // 64 + 1 + 63 + 1 + 63 + 1 + 63 + 4 = 260 octets, every part within its own limit.
        let long = format!("{}@{l}.{l}.{l}.com", "a".repeat(64), l = "b".repeat(63));
        assert_eq!(analyse(&long), Err(EmailError::TooLong { length: 260 }));
    }

    #[test]
    fn length_limits_are_inclusive() {
        let local = "a".repeat(64);
        assert_eq!(ok(&format!("{local}@example.org")).local, local);
        // 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 254 octets exactly.
        let max = format!(
            "{local}@{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        assert_eq!(max.len(), 254);
        assert_eq!(ok(&max).address, max);
    }

    #[test]
    fn error_messages_are_sentences() {
        let e = analyse("a@b@c.com").err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("the address has 2 '@' signs; an address has exactly one")
        );
        let e = analyse("\u{202E}moc.elpmaxe@eod").err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some(
                "the address contains the invisible formatting character U+202E, which is \
                 refused because it makes the text display differently from what it is"
            )
        );
    }

    #[test]
    fn hostile_input_is_refused_cleanly() {
        let long = "a".repeat(10_000);
        let many_at = "@".repeat(100);
        let long_domain = format!("a@{}.com", "b".repeat(10_000));
        let cases: Vec<(&str, EmailError)> = vec![
            ("", EmailError::Empty),
            (&long, EmailError::TooLong { length: 10_000 }),
            (&long_domain, EmailError::TooLong { length: 10_006 }),
            (
                "jdoe@exa\u{0}mple.com",
                EmailError::ControlCharacter { code_point: 0 },
            ),
            ("\u{0}", EmailError::ControlCharacter { code_point: 0 }),
            (
                "jdoe\u{7}@example.com",
                EmailError::ControlCharacter { code_point: 7 },
            ),
            (
                "jdoe@example.com\u{1b}[31m",
                EmailError::ControlCharacter { code_point: 0x1b },
            ),
            (
                "jdoe@example.com\r\nBcc: x@y.z",
                EmailError::ControlCharacter { code_point: 13 },
            ),
            ("@", EmailError::EmptyLocalPart),
            (&many_at, EmailError::MultipleAt { count: 100 }),
            (
                "\u{200F}jdoe@example.com",
                EmailError::InvisibleCharacter { code_point: 0x200F },
            ),
            (
                "jdoe@exa\u{200B}mple.com",
                EmailError::InvisibleCharacter { code_point: 0x200B },
            ),
            (
                "jdoe@\u{FEFF}example.com",
                EmailError::InvisibleCharacter { code_point: 0xFEFF },
            ),
            (
                "j\u{00AD}doe@example.com",
                EmailError::InvisibleCharacter { code_point: 0xAD },
            ),
            (
                "😀@example.com",
                EmailError::NonAsciiLocalPart { character: '😀' },
            ),
            (
                "jdoe@xn--.com",
                EmailError::InvalidDomain {
                    domain: "xn--.com".into(),
                },
            ),
            (
                "jdoe@xn--zz-.com",
                EmailError::InvalidDomain {
                    domain: "xn--zz-.com".into(),
                },
            ),
            (
                "jdoe@xn--a.com",
                EmailError::InvalidDomain {
                    domain: "xn--a.com".into(),
                },
            ),
            ("jdoe@example.com.", EmailError::TrailingDot),
            ("jdoe@example.com\u{3002}", EmailError::TrailingDot),
            ("jdoe@.", EmailError::TrailingDot),
            ("jdoe@exa mple.com", EmailError::Whitespace),
            (
                "jdoe@exa/mple.com",
                EmailError::InvalidDomain {
                    domain: "exa/mple.com".into(),
                },
            ),
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
        // Odd but valid: an emoji domain converts to punycode and is analysed normally.
        let emoji = ok("jdoe@😀.la");
        assert_eq!(emoji.domain_ascii, "xn--e28h.la");
    }

    #[test]
    fn data_files_are_clean() {
        for (name, set) in [("disposable", disposable()), ("freemail", freemail())] {
            assert!(set.len() > 100, "{name} list loaded");
            for d in set {
                let ldh = d.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
                assert!(ldh && d.contains('.'), "{name}: {d:?}");
            }
        }
        assert!(disposable().len() > 10_000);
        for d in freemail() {
            assert!(!disposable().contains(d), "{d} is on both lists");
            assert!(
                psl::domain_str(d).is_some(),
                "free-mail {d} has a registrable domain"
            );
        }
        for r in roles() {
            assert!(
                check_local(r).is_ok() && r.bytes().all(|b| !b.is_ascii_uppercase()),
                "{r}"
            );
        }
    }
}

#[cfg(test)]
mod lookalike_tests {
    use super::*;

    fn codes(address: &str) -> Vec<String> {
        analyse(address)
            .unwrap()
            .findings
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn a_free_mail_name_under_another_ending_is_a_lookalike() {
        assert!(codes("jane@gmail.co").contains(&"email.lookalike_domain".to_string()));
    }

    #[test]
    fn one_slip_from_a_free_mail_domain_is_a_lookalike() {
        for address in [
            "jane@gmsil.com",
            "jane@outlok.com",
            "jane@yahooo.com",
            "jane@gmaill.com",
        ] {
            assert!(
                codes(address).contains(&"email.lookalike_domain".to_string()),
                "{address}"
            );
        }
    }

    #[test]
    fn real_providers_and_short_names_are_not_lookalikes() {
        for address in [
            "jane@gmail.com",
            "jane@aon.com",
            "jane@example.com",
            "jane@acme.co",
        ] {
            assert!(
                !codes(address).contains(&"email.lookalike_domain".to_string()),
                "{address}"
            );
        }
    }

    #[test]
    fn edits_are_counted_exactly() {
        assert!(one_edit_apart("gmail", "gmial"));
        assert!(one_edit_apart("gmail", "gmaill"));
        assert!(one_edit_apart("gmail", "gmal"));
        assert!(one_edit_apart("gmail", "gmaik"));
        assert!(!one_edit_apart("gmail", "gmail"));
        assert!(!one_edit_apart("gmail", "giaml"));
        assert!(!one_edit_apart("gmail", "mai"));
    }
}
