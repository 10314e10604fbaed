//! Offline phone-number analysis: one number in, a `PhoneProfile` and `Finding`s out,
//! with no network. Parsing, validity, line type and formatting come from libphonenumber's
//! metadata through the `rlibphonenumber` crate; carrier, location, time zones and
//! region names come from libphonenumber's own resources, generated into `data/phone/`
//! and embedded in the binary. Every field is meant to equal what libphonenumber
//! (Java/Python 9.0.x) says; `tests/phone_vectors.rs` measures that field by field.
//!
//! Layout:
//! - `mod.rs` (here): the public API, input bounds, the panic guard, the findings.
//! - `offline`: libphonenumber's carrier, geocoder and time-zone rules.
//! - `tables`: the embedded data files, decoded once, and the longest-prefix lookup.
//!
//! Finding codes, each with a one-sentence English detail, in the order they come:
//! - `phone.valid` or `phone.invalid`, always one of them, first: whether the number
//!   falls in a number range libphonenumber knows; the detail names line type and region.
//! - `phone.not_possible`: the number's length cannot be right for its country code;
//!   the detail says whether it is too short, too long or of an unused length.
//! - `phone.line_type`: the line type, when libphonenumber can tell it (valid numbers).
//! - One code per line type a risk scorer may weigh: `phone.voip`, `phone.premium_rate`,
//!   `phone.toll_free`, `phone.shared_cost`, `phone.personal_number`, `phone.pager`,
//!   `phone.uan`, `phone.voicemail`. Mobile and fixed lines get none.
//! - `phone.non_geographic`: the number belongs to a global service (region "001").
//! - `phone.carrier`: the carrier the number's range was allocated to.
//! - `phone.location`: libphonenumber's description of where the number is.

mod offline;
mod tables;

use std::borrow::Cow;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use rlibphonenumber::{
    PHONE_NUMBER_UTIL, ParseError, PhoneNumber, PhoneNumberFormat, PhoneNumberType, Region,
    ValidationError,
};

use crate::dossier::{Finding, PhoneProfile};

/// Longest input accepted, in characters. The longest real numbers are 15 digits plus a
/// '+'; written with separators and an extension they stay under 40 characters. The
/// bound keeps hostile input away from the parser's regular expressions (and their
/// cost), and is well below libphonenumber's own limit of 250.
pub const MAX_INPUT_CHARS: usize = 64;

/// What the phone recipe learns about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneAnalysis {
    pub profile: PhoneProfile,
    pub findings: Vec<Finding>,
}

/// Why an input could not be read as a phone number at all. A number that parses but is
/// invalid is not an error: it is analysed and gets a `phone.invalid` finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// The input is empty or only whitespace.
    Empty,
    /// The input is longer than `MAX_INPUT_CHARS` characters.
    TooLong,
    /// The number is written in national form and the region hint names no region
    /// libphonenumber knows, so there is no country to read it in.
    UnknownRegion,
    /// The number starts with no country calling code in use (`+0…`, `+999…`).
    InvalidCountryCode,
    /// The input holds no phone number (letters, symbols, a lone '+').
    NotANumber,
    /// After an international dialling prefix (`00`, `011`, …) too few digits remain.
    TooShortAfterIdd,
    /// The national number is too short to be any phone number.
    TooShortNsn,
    /// The national number is longer than any phone number can be.
    TooLongNsn,
    /// The phone library failed on this input; it is refused rather than trusted.
    Internal,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sentence = match self {
            PhoneError::Empty => "The phone number is empty.",
            PhoneError::TooLong => "The text is too long to be a phone number.",
            PhoneError::UnknownRegion => {
                "The phone number has no country code and the region hint is not a known region."
            }
            PhoneError::InvalidCountryCode => {
                "The phone number starts with no country code in use."
            }
            PhoneError::NotANumber => "The text does not contain a phone number.",
            PhoneError::TooShortAfterIdd => {
                "Too few digits follow the international dialling prefix."
            }
            PhoneError::TooShortNsn => "The phone number has too few digits.",
            PhoneError::TooLongNsn => "The phone number has too many digits.",
            PhoneError::Internal => "The phone number could not be analysed.",
        };
        f.write_str(sentence)
    }
}

impl std::error::Error for PhoneError {}

impl From<ParseError> for PhoneError {
    fn from(err: ParseError) -> PhoneError {
        match err {
            ParseError::InvalidCountryCode => PhoneError::InvalidCountryCode,
            ParseError::NotANumber(_) => PhoneError::NotANumber,
            ParseError::TooShortAfterIdd => PhoneError::TooShortAfterIdd,
            ParseError::TooShortNsn => PhoneError::TooShortNsn,
            ParseError::TooLongNsn => PhoneError::TooLongNsn,
        }
    }
}

/// Analyse one phone number. `region_hint` is an ISO region ("GB") for numbers written in
/// national form; with no hint and no leading '+', the digits are read as an international
/// number (as if a '+' preceded them).
///
/// Two liberties are taken before libphonenumber sees the input, neither of which changes
/// what it reads from an input it accepts as given: invisible formatting characters (bidi
/// and zero-width marks, which copying from right-to-left text drags along) are dropped,
/// and without a hint a leading `00`, the international prefix most of the world dials,
/// stands for the '+'.
///
/// # Errors
///
/// `PhoneError` when the input cannot be read as a phone number at all. A number that
/// can be read but is invalid is no error: its analysis says so.
pub fn analyse(input: &str, region_hint: Option<&str>) -> Result<PhoneAnalysis, PhoneError> {
    bounded(input, |input| {
        let hint = region_hint.map(str::trim).filter(|hint| !hint.is_empty());
        guarded(|| analyse_unguarded(input, hint))
    })
}

/// The number in E.164 form (`PhoneProfile::e164` of [`analyse`] with no region hint),
/// without the rest of the analysis: the form in which numbers are matched against stored
/// identifiers (the breach index). Accepts exactly what `analyse(input, None)` accepts.
pub fn e164(input: &str) -> Result<String, PhoneError> {
    bounded(input, |input| {
        guarded(|| {
            let number = parse(input, None)?;
            Ok(PHONE_NUMBER_UTIL
                .format(&number, PhoneNumberFormat::E164)
                .into_owned())
        })
    })
}

/// Refuses oversized and empty input, drops invisible marks and trims, then runs `work`.
fn bounded<T>(
    input: &str,
    work: impl FnOnce(&str) -> Result<T, PhoneError>,
) -> Result<T, PhoneError> {
    // The byte test first (no character takes more than 4 bytes in UTF-8), so a megabyte
    // of text is refused without being walked.
    if input.len() > 4 * MAX_INPUT_CHARS || input.chars().count() > MAX_INPUT_CHARS {
        return Err(PhoneError::TooLong);
    }
    let input = without_invisible_marks(input);
    let input = input.trim();
    if input.is_empty() {
        return Err(PhoneError::Empty);
    }
    work(input)
}

/// Runs `work`, turning a panic into `PhoneError::Internal`. Phone parsers of this kind
/// have panicked on fuzzed input before; such a panic must cost one request, not a
/// worker. Nothing `work` touches outlives it in a broken state: its inputs are borrowed
/// immutably and the data tables are read-only. (This holds only while the build
/// unwinds on panic, Cargo's default; `panic = "abort"` would make it moot.)
fn guarded<T>(work: impl FnOnce() -> Result<T, PhoneError>) -> Result<T, PhoneError> {
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or(Err(PhoneError::Internal))
}

/// Decodes the embedded data now rather than on the first analysis, so a server can pay
/// that cost (tens of milliseconds) at start-up instead of in a request.
pub fn preload() {
    tables::geocoding();
    tables::carriers();
    tables::time_zones();
    tables::region_names();
}

fn analyse_unguarded(input: &str, hint: Option<&str>) -> Result<PhoneAnalysis, PhoneError> {
    let number = parse(input, hint)?;
    // The line type costs a run of regular expressions; it is worked out once.
    let line_type = PHONE_NUMBER_UTIL.get_number_type(&number);
    let profile = profile(&number, line_type);
    let findings = findings(&number, line_type, &profile);
    Ok(PhoneAnalysis { profile, findings })
}

fn parse(input: &str, hint: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    let util = &*PHONE_NUMBER_UTIL;
    let Some(hint) = hint else {
        return Ok(util.parse(as_international(input).as_ref(), None)?);
    };
    // `from_code` takes either case and refuses anything but two letters or "001".
    let region = Region::from_code(hint)
        .ok()
        .filter(|&region| region != Region::World)
        .filter(|&region| util.get_country_code_for_region(region).is_some());
    match util.parse(input, region) {
        // A number with a country code of its own does not need the hint, so only a
        // national-form number blames the hint for being unknown.
        Err(ParseError::InvalidCountryCode) if region.is_none() && !has_leading_plus(input) => {
            Err(PhoneError::UnknownRegion)
        }
        parsed => Ok(parsed?),
    }
}

/// With no region to read a national number in, the digits are taken as international:
/// a '+' goes in front of the first digit unless a plus sign already comes first. No
/// country code starts with 0, so a leading `00` can only be an international prefix,
/// and the '+' takes its place.
fn as_international(input: &str) -> Cow<'_, str> {
    match input
        .char_indices()
        .find(|&(_, c)| is_plus(c) || c.is_numeric())
    {
        Some((at, c)) if !is_plus(c) => {
            let number = &input[at..];
            let number = number.strip_prefix("00").unwrap_or(number);
            Cow::Owned(format!("{}+{number}", &input[..at]))
        }
        _ => Cow::Borrowed(input),
    }
}

/// Drops the invisible characters that steer text direction or joining. They carry no
/// meaning in a phone number, but libphonenumber refuses a number they sit inside.
fn without_invisible_marks(input: &str) -> Cow<'_, str> {
    let is_invisible = |c: char| {
        matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
    };
    if input.contains(is_invisible) {
        Cow::Owned(input.chars().filter(|&c| !is_invisible(c)).collect())
    } else {
        Cow::Borrowed(input)
    }
}

fn has_leading_plus(input: &str) -> bool {
    input
        .chars()
        .find(|&c| is_plus(c) || c.is_numeric())
        .is_some_and(is_plus)
}

/// libphonenumber accepts the ASCII plus and the full-width one.
fn is_plus(c: char) -> bool {
    c == '+' || c == '\u{FF0B}'
}

fn profile(number: &PhoneNumber, line_type: PhoneNumberType) -> PhoneProfile {
    let util = &*PHONE_NUMBER_UTIL;
    let e164 = util.format(number, PhoneNumberFormat::E164).into_owned();
    let e164_digits = e164.strip_prefix('+').unwrap_or(&e164);
    let region = util.get_region_for_number(number);
    let region_code = region.map(|region| region.as_region_str().to_string());
    let country = match region {
        Some(Region::World) | None => None,
        Some(region) => tables::region_names()
            .any(&region.as_region_str())
            .map(str::to_owned),
    };
    PhoneProfile {
        international: util
            .format(number, PhoneNumberFormat::International)
            .into_owned(),
        national: util
            .format(number, PhoneNumberFormat::National)
            .into_owned(),
        country_code: u32::try_from(number.country_code).unwrap_or(0),
        region: region_code,
        country,
        line_type: line_type_name(line_type).to_owned(),
        valid: util.is_valid_number(number),
        possible: util.is_possible_number(number),
        carrier: offline::carrier(line_type, e164_digits).map(str::to_owned),
        location: offline::location(number, line_type, e164_digits).map(str::to_owned),
        timezones: offline::time_zones(number.country_code, line_type, e164_digits),
        e164,
    }
}

/// libphonenumber's line types in snake case, as `PhoneProfile::line_type` documents.
fn line_type_name(line_type: PhoneNumberType) -> &'static str {
    match line_type {
        PhoneNumberType::FixedLine => "fixed_line",
        PhoneNumberType::Mobile => "mobile",
        PhoneNumberType::FixedLineOrMobile => "fixed_line_or_mobile",
        PhoneNumberType::TollFree => "toll_free",
        PhoneNumberType::PremiumRate => "premium_rate",
        PhoneNumberType::SharedCost => "shared_cost",
        PhoneNumberType::VoIP => "voip",
        PhoneNumberType::PersonalNumber => "personal_number",
        PhoneNumberType::Pager => "pager",
        PhoneNumberType::UAN => "uan",
        PhoneNumberType::VoiceMail => "voicemail",
        PhoneNumberType::Unknown => "unknown",
    }
}

/// How a line type reads in a sentence.
fn line_type_words(line_type: PhoneNumberType) -> &'static str {
    match line_type {
        PhoneNumberType::FixedLine => "fixed-line",
        PhoneNumberType::Mobile => "mobile",
        PhoneNumberType::FixedLineOrMobile => "fixed-line or mobile",
        PhoneNumberType::TollFree => "toll-free",
        PhoneNumberType::PremiumRate => "premium-rate",
        PhoneNumberType::SharedCost => "shared-cost",
        PhoneNumberType::VoIP => "VoIP",
        PhoneNumberType::PersonalNumber => "personal (call-forwarding)",
        PhoneNumberType::Pager => "pager",
        PhoneNumberType::UAN => "universal access (UAN)",
        PhoneNumberType::VoiceMail => "voicemail access",
        PhoneNumberType::Unknown => "unknown",
    }
}

/// The finding for a line type that tells something about who stands behind a number,
/// for risk scoring to key on; ordinary mobile and fixed lines have none.
fn line_type_risk(line_type: PhoneNumberType) -> Option<(&'static str, &'static str)> {
    let finding = match line_type {
        PhoneNumberType::VoIP => (
            "phone.voip",
            "VoIP numbers can be had online without identity checks and are often used as \
             throwaway numbers.",
        ),
        PhoneNumberType::PremiumRate => (
            "phone.premium_rate",
            "Calls to premium-rate numbers are charged above normal rates, a common device \
             of call-back scams.",
        ),
        PhoneNumberType::TollFree => (
            "phone.toll_free",
            "Toll-free numbers belong to organisations rather than to people.",
        ),
        PhoneNumberType::SharedCost => (
            "phone.shared_cost",
            "Shared-cost numbers belong to organisations rather than to people.",
        ),
        PhoneNumberType::PersonalNumber => (
            "phone.personal_number",
            "Personal numbers forward calls to another line, which hides where it rings.",
        ),
        PhoneNumberType::Pager => (
            "phone.pager",
            "Pager numbers receive messages only; few remain in service.",
        ),
        PhoneNumberType::UAN => (
            "phone.uan",
            "Universal access numbers route calls to an organisation, not to a person.",
        ),
        PhoneNumberType::VoiceMail => (
            "phone.voicemail",
            "Voicemail access numbers reach a mailbox, not a person.",
        ),
        PhoneNumberType::FixedLine
        | PhoneNumberType::Mobile
        | PhoneNumberType::FixedLineOrMobile
        | PhoneNumberType::Unknown => return None,
    };
    Some(finding)
}

fn findings(
    number: &PhoneNumber,
    line_type: PhoneNumberType,
    profile: &PhoneProfile,
) -> Vec<Finding> {
    let util = &*PHONE_NUMBER_UTIL;
    let country_code = profile.country_code;
    let place = match (&profile.country, &profile.region) {
        (Some(country), _) => format!("its region is {country}"),
        (None, Some(region)) if region != "001" => format!("its region is {region}"),
        _ => format!("its country code is +{country_code}"),
    };
    let mut findings = Vec::with_capacity(6);

    if profile.valid {
        let words = line_type_words(line_type);
        let detail = format!("The number is a valid {words} number; {place}.");
        findings.push(Finding::new("phone.valid", detail));
    } else {
        let detail = format!("The number falls in no number range libphonenumber knows; {place}.");
        findings.push(Finding::new("phone.invalid", detail));
    }

    if let Err(reason) = util.is_possible_number_with_reason(number) {
        let why = match reason {
            ValidationError::TooShort => format!("too short for country code +{country_code}"),
            ValidationError::TooLong => format!("too long for country code +{country_code}"),
            ValidationError::InvalidLength => {
                format!("of a length no number under country code +{country_code} has")
            }
            ValidationError::InvalidCountryCode => {
                format!("under country code +{country_code}, which is not in use")
            }
        };
        let detail = format!("The number cannot be dialled as it stands: it is {why}.");
        findings.push(Finding::new("phone.not_possible", detail));
    }

    if line_type != PhoneNumberType::Unknown {
        let detail = format!(
            "libphonenumber classifies the number as {}.",
            line_type_words(line_type)
        );
        findings.push(Finding::new("phone.line_type", detail));
    }
    if let Some((code, detail)) = line_type_risk(line_type) {
        findings.push(Finding::new(code, detail));
    }

    if profile.region.as_deref() == Some("001") {
        let detail = format!(
            "The number belongs to a global service under +{country_code}, not to a country."
        );
        findings.push(Finding::new("phone.non_geographic", detail));
    }
    if let Some(carrier) = &profile.carrier {
        let detail = format!(
            "The number's range was allocated to {carrier}; the line may have been ported \
             to another carrier since."
        );
        findings.push(Finding::new("phone.carrier", detail));
    }
    if let Some(location) = &profile.location {
        let detail = format!("libphonenumber places the number in {location}.");
        findings.push(Finding::new("phone.location", detail));
    }
    findings
}

#[cfg(test)]
mod tests;
