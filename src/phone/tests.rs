//! What `phone::analyse` answers for a handful of well-known numbers, written out in
//! full so they read as documentation, and proof that no input, however hostile, makes
//! it panic or hang.

use super::*;

fn analysed(input: &str, hint: Option<&str>) -> PhoneAnalysis {
    match analyse(input, hint) {
        Ok(analysis) => analysis,
        Err(err) => panic!("{input:?} with hint {hint:?} was refused: {err}"),
    }
}

fn codes(analysis: &PhoneAnalysis) -> Vec<&str> {
    analysis
        .findings
        .iter()
        .map(|finding| finding.code.as_str())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

#[test]
fn a_us_number_is_fixed_line_or_mobile_and_placed_in_its_city() {
    let analysis = analysed("+1 650-253-0000", None);
    let expected = PhoneProfile {
        e164: "+16502530000".into(),
        international: "+1 650-253-0000".into(),
        national: "(650) 253-0000".into(),
        country_code: 1,
        region: Some("US".into()),
        country: Some("United States".into()),
        line_type: "fixed_line_or_mobile".into(),
        valid: true,
        possible: true,
        // The US has no carrier data: numbers there are ported too freely.
        carrier: None,
        location: Some("Mountain View, CA".into()),
        timezones: strings(&["America/Los_Angeles"]),
    };
    assert_eq!(analysis.profile, expected);
    assert_eq!(
        codes(&analysis),
        ["phone.valid", "phone.line_type", "phone.location"]
    );
    assert_eq!(
        analysis.findings[0].detail,
        "The number is a valid fixed-line or mobile number; its region is United States."
    );
}

#[test]
fn a_gb_mobile_names_its_carrier_and_only_the_country() {
    let analysis = analysed("+44 7400 123456", None);
    let expected = PhoneProfile {
        e164: "+447400123456".into(),
        international: "+44 7400 123456".into(),
        national: "07400 123456".into(),
        country_code: 44,
        region: Some("GB".into()),
        country: Some("United Kingdom".into()),
        line_type: "mobile".into(),
        valid: true,
        possible: true,
        carrier: Some("Three".into()),
        // British mobiles are not tied to a place, so the geocoder gives the country.
        location: Some("United Kingdom".into()),
        timezones: strings(&[
            "Europe/Guernsey",
            "Europe/Isle_of_Man",
            "Europe/Jersey",
            "Europe/London",
        ]),
    };
    assert_eq!(analysis.profile, expected);
    assert_eq!(
        codes(&analysis),
        [
            "phone.valid",
            "phone.line_type",
            "phone.carrier",
            "phone.location"
        ]
    );
}

#[test]
fn a_russian_mobile_formats_nationally_with_the_trunk_prefix_8() {
    let analysis = analysed("+7 903 123-45-67", None);
    let profile = &analysis.profile;
    assert_eq!(profile.e164, "+79031234567");
    assert_eq!(profile.international, "+7 903 123-45-67");
    assert_eq!(profile.national, "8 (903) 123-45-67");
    assert_eq!(profile.region.as_deref(), Some("RU"));
    assert_eq!(profile.country.as_deref(), Some("Russia"));
    assert_eq!(profile.line_type, "mobile");
    assert_eq!(profile.carrier.as_deref(), Some("Beeline"));
    assert_eq!(profile.location.as_deref(), Some("Russia"));
    // A Russian mobile could be in any of Russia's zones.
    assert_eq!(profile.timezones.len(), 16);
    assert!(profile.timezones.contains(&"Europe/Moscow".to_owned()));
}

#[test]
fn a_moscow_landline_is_placed_in_moscow() {
    let analysis = analysed("+7 495 123-45-67", None);
    assert_eq!(analysis.profile.line_type, "fixed_line");
    assert_eq!(analysis.profile.location.as_deref(), Some("Moscow"));
    assert_eq!(analysis.profile.timezones, strings(&["Europe/Moscow"]));
}

#[test]
fn a_toll_free_number_is_flagged_and_gets_no_place() {
    let analysis = analysed("0800 890 011", Some("GB"));
    let profile = &analysis.profile;
    assert_eq!(profile.e164, "+44800890011");
    assert_eq!(profile.international, "+44 800 890011");
    assert_eq!(profile.national, "0800 890011");
    assert_eq!(profile.line_type, "toll_free");
    assert_eq!(profile.carrier, None);
    // The geocoder describes only fixed lines and mobiles.
    assert_eq!(profile.location, None);
    assert_eq!(
        codes(&analysis),
        ["phone.valid", "phone.line_type", "phone.toll_free"]
    );
}

#[test]
fn an_invalid_number_is_analysed_not_refused() {
    // 555 is no US area code, though the length is right for the country.
    let analysis = analysed("+1 555 123 4567", None);
    let expected = PhoneProfile {
        e164: "+15551234567".into(),
        international: "+1 555-123-4567".into(),
        national: "(555) 123-4567".into(),
        country_code: 1,
        // A country code shared by several regions gives no region for invalid numbers.
        region: None,
        country: None,
        line_type: "unknown".into(),
        valid: false,
        possible: true,
        carrier: None,
        location: None,
        timezones: strings(&["Etc/Unknown"]),
    };
    assert_eq!(analysis.profile, expected);
    assert_eq!(codes(&analysis), ["phone.invalid"]);
}

#[test]
fn a_number_too_long_for_its_country_is_not_possible() {
    let analysis = analysed("+44 20 7946 00188", None);
    assert!(!analysis.profile.possible);
    assert_eq!(codes(&analysis), ["phone.invalid", "phone.not_possible"]);
    assert_eq!(
        analysis.findings[0].detail,
        "The number falls in no number range libphonenumber knows; its country code is +44."
    );
    assert_eq!(
        analysis.findings[1].detail,
        "The number cannot be dialled as it stands: it is too long for country code +44."
    );
}

#[test]
fn a_number_short_enough_to_be_local_is_still_possible() {
    // libphonenumber counts a London number without its area code as possible (it could
    // be dialled from within the area), though not valid.
    let analysis = analysed("+44 20 7946", None);
    assert!(analysis.profile.possible);
    assert!(!analysis.profile.valid);
}

#[test]
fn a_national_number_is_read_in_the_hinted_region() {
    let analysis = analysed("020 7946 0018", Some("GB"));
    assert_eq!(analysis.profile.e164, "+442079460018");
    assert_eq!(analysis.profile.line_type, "fixed_line");
    assert_eq!(analysis.profile.location.as_deref(), Some("London"));
    assert_eq!(analysis.profile.timezones, strings(&["Europe/London"]));
    // The hint's case and surrounding space do not matter.
    assert_eq!(
        analysed("020 7946 0018", Some(" gb ")).profile,
        analysis.profile
    );
}

#[test]
fn digits_without_plus_or_hint_are_read_as_international() {
    let with_plus = analysed("+44 20 7946 0018", None);
    assert_eq!(analysed("44 20 7946 0018", None).profile, with_plus.profile);
    assert_eq!(
        analysed("(44) 20 7946 0018", None).profile,
        with_plus.profile
    );
    // 00 is the international prefix in most of the world; no country code starts with 0.
    assert_eq!(
        analysed("00 44 20 7946 0018", None).profile,
        with_plus.profile
    );
    assert_eq!(
        analysed("0044 20 7946 0018", None).profile,
        with_plus.profile
    );
}

#[test]
fn bidi_and_zero_width_marks_from_copied_text_are_ignored() {
    let clean = analysed("+44 20 7946 0018", None);
    assert_eq!(
        analysed("+\u{200f}44 20 7946 0018", None).profile,
        clean.profile
    );
    assert_eq!(
        analysed("\u{2066}+44 20\u{200b} 7946 0018\u{2069}", None).profile,
        clean.profile
    );
    assert_eq!(
        analysed("\u{feff}020 7946 0018", Some("GB")).profile,
        clean.profile
    );
}

#[test]
fn digits_of_other_scripts_read_like_ascii_ones() {
    let clean = analysed("+44 20 7946 0018", None);
    assert_eq!(analysed("+٤٤ ٢٠ ٧٩٤٦ ٠٠١٨", None).profile, clean.profile);
    assert_eq!(
        analysed("＋４４ ２０ ７９４６ ００１８", None).profile,
        clean.profile
    );
}

#[test]
fn a_hint_does_not_override_a_country_code() {
    let analysis = analysed("+44 20 7946 0018", Some("US"));
    assert_eq!(analysis.profile.region.as_deref(), Some("GB"));
    // Even a hint that is no region is harmless then.
    assert_eq!(
        analysed("+44 20 7946 0018", Some("ZZ")).profile,
        analysis.profile
    );
}

#[test]
fn a_national_number_with_an_unknown_hint_is_refused() {
    assert_eq!(
        analyse("020 7946 0018", Some("ZZ")),
        Err(PhoneError::UnknownRegion)
    );
    assert_eq!(
        analyse("020 7946 0018", Some("001")),
        Err(PhoneError::UnknownRegion)
    );
    assert_eq!(
        analyse("020 7946 0018", Some("Großbritannien")),
        Err(PhoneError::UnknownRegion)
    );
}

#[test]
fn argentine_mobiles_are_geocoded_without_their_mobile_token() {
    let analysis = analysed("+54 9 11 1234 5678", None);
    assert_eq!(analysis.profile.line_type, "mobile");
    assert_eq!(analysis.profile.location.as_deref(), Some("Buenos Aires"));
}

#[test]
fn risky_line_types_get_their_own_finding() {
    let premium = analysed("+44 909 876 5432", None);
    assert_eq!(premium.profile.line_type, "premium_rate");
    assert!(codes(&premium).contains(&"phone.premium_rate"));
    let personal = analysed("+44 70 1234 5678", None);
    assert_eq!(personal.profile.line_type, "personal_number");
    assert!(codes(&personal).contains(&"phone.personal_number"));
}

#[test]
fn global_service_numbers_have_region_001_and_no_country() {
    let analysis = analysed("+800 1234 5678", None);
    assert_eq!(analysis.profile.region.as_deref(), Some("001"));
    assert_eq!(analysis.profile.country, None);
    assert_eq!(analysis.profile.line_type, "toll_free");
    // libphonenumber has no time zone for the global toll-free code.
    assert_eq!(analysis.profile.timezones, strings(&["Etc/Unknown"]));
    assert_eq!(
        codes(&analysis),
        [
            "phone.valid",
            "phone.line_type",
            "phone.toll_free",
            "phone.non_geographic"
        ]
    );
}

#[test]
fn regions_missing_from_libphonenumbers_names_still_get_a_country() {
    // libphonenumber's locale data has no name for Ascension Island, so its geocoder says
    // nothing for a mobile there; the country field is filled from the generator's list.
    let analysis = analysed("+247 40123", None);
    assert_eq!(
        analysis.profile.country.as_deref(),
        Some("Ascension Island")
    );
    assert_eq!(analysis.profile.location, None);
    assert_eq!(
        analysis.profile.carrier.as_deref(),
        Some("Sure South Atlantic")
    );
}

#[test]
fn unparseable_inputs_name_what_is_wrong() {
    assert_eq!(analyse("", None), Err(PhoneError::Empty));
    assert_eq!(analyse(" \t\n", Some("GB")), Err(PhoneError::Empty));
    assert_eq!(
        analyse("+0422123456", None),
        Err(PhoneError::InvalidCountryCode)
    );
    assert_eq!(analyse("hello", Some("GB")), Err(PhoneError::NotANumber));
    assert_eq!(
        analyse(&"1".repeat(MAX_INPUT_CHARS + 1), None),
        Err(PhoneError::TooLong)
    );
    assert_eq!(
        PhoneError::InvalidCountryCode.to_string(),
        "The phone number starts with no country code in use."
    );
}

#[test]
fn a_panic_inside_the_library_becomes_an_internal_error() {
    let outcome: Result<(), PhoneError> = guarded(|| panic!("simulated parser fault"));
    assert_eq!(outcome, Err(PhoneError::Internal));
}

/// Inputs that have broken phone parsers, or that a careless one would choke on.
const HOSTILE_INPUTS: &[&str] = &[
    "",
    " ",
    "\t\r\n",
    "  2 22#:",
    "+",
    "++",
    "++1",
    "+0",
    "+00",
    "+1",
    "+1+1",
    "00",
    "000",
    "011",
    "0",
    "-",
    "(",
    ")",
    "()",
    "#",
    "*",
    ".",
    "x",
    "ext",
    "+1 ext. 5",
    "+44;ext=1",
    "tel:",
    "tel:+",
    "tel:+1;phone-context=",
    "tel:123;phone-context=+",
    "tel:123;phone-context=;",
    "123;isub=",
    "\u{0}",
    "+44\u{0}2079460018",
    "\u{7}\u{1b}[31m+44",
    "+\u{200f}44 20 7946 0018",
    "\u{202e}+44 20 7946 0018",
    "\u{feff}+1 650 253 0000",
    "+٤٤ ٢٠ ٧٩٤٦ ٠٠١٨",
    "+４４ ２０ ７９４６ ００１８",
    "＋44 20 7946 0018",
    "+१२३४५६७८९०",
    "📞 +44 20 7946 0018",
    "+44 20 7946 0018 📞",
    "🇬🇧",
    "+1 800 FLOWERS",
    "1-800-FLOWERS",
    "++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++",
    "99999999999999999999999999999999999999999999999999999999999999",
    "+99999999999999999",
    "+1 (((((((((((((((((((((((((((((((((((((((((((((((((650",
    "#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*#*",
    "0x41",
    "1e10",
    "-1",
    "NaN",
    "𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡",
    "²³",
    "Ⅻ",
];

#[test]
fn hostile_inputs_get_an_answer_not_a_panic() {
    let long_digits = "1".repeat(10_000);
    let long_plus = format!("+{}", "4".repeat(10_000));
    let long_wide = "٤".repeat(10_000);
    let extra = [long_digits.as_str(), long_plus.as_str(), long_wide.as_str()];
    let hints = [
        None,
        Some("GB"),
        Some("US"),
        Some(""),
        Some("001"),
        Some("\u{0}"),
        Some("ÄÖ"),
    ];
    for input in HOSTILE_INPUTS.iter().chain(extra.iter()) {
        for hint in hints {
            // Whatever the answer, it must come back, and a refusal must read as a sentence.
            if let Err(err) = analyse(input, hint) {
                assert!(err.to_string().ends_with('.'), "{err:?}");
            }
        }
    }
    assert_eq!(analyse(&long_digits, None), Err(PhoneError::TooLong));
}

/// A small xorshift generator: deterministic, so a failure reproduces, and no crate needed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// How many random strings the fuzz test feeds `analyse`. Debug builds parse some thirty
/// times slower than release ones (30,000 take 10 s there, 300,000 take 3 s in release),
/// so they run a tenth of the count; `cargo test --release --lib phone::` runs it all.
const N_RANDOM_INPUTS: usize = if cfg!(debug_assertions) {
    30_000
} else {
    300_000
};

#[test]
fn random_strings_over_the_phone_alphabet_never_panic() {
    const ALPHABET: &[u8] = b"0123456789+ -()#*.x";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let hints = [
        None,
        Some("GB"),
        Some("US"),
        Some("DE"),
        Some("AR"),
        Some("IT"),
    ];
    let mut input = String::with_capacity(32);
    let (mut n_parsed, mut n_valid, mut n_internal) = (0usize, 0usize, 0usize);
    let mut first_internal = None;
    for _ in 0..N_RANDOM_INPUTS {
        input.clear();
        // Phone-like strings: up to 24 characters, digits more likely than symbols.
        for _ in 0..rng.below(25) {
            let pick = if rng.below(3) == 0 {
                rng.below(ALPHABET.len())
            } else {
                rng.below(10)
            };
            input.push(char::from(ALPHABET[pick]));
        }
        let hint = hints[rng.below(hints.len())];
        match analyse(&input, hint) {
            Ok(analysis) => {
                n_parsed += 1;
                n_valid += usize::from(analysis.profile.valid);
                assert!(analysis.profile.e164.starts_with('+'), "{input:?}");
            }
            Err(PhoneError::Internal) => {
                n_internal += 1;
                first_internal.get_or_insert_with(|| (input.clone(), hint));
            }
            Err(_) => {}
        }
    }
    // The guard caught any library panic, but one is a fault worth knowing about.
    assert_eq!(
        n_internal, 0,
        "the library panicked, first on {first_internal:?}"
    );
    // The generator must reach real parsing, or the test proves nothing.
    assert!(n_parsed > N_RANDOM_INPUTS / 4, "only {n_parsed} parsed");
    assert!(n_valid > N_RANDOM_INPUTS / 100, "only {n_valid} valid");
}
