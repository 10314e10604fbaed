//! libphonenumber's offline look-ups that the `rlibphonenumber` crate lacks: the carrier
//! a number range was allocated to, the English geocoding description and the time
//! zones. Each function follows the behaviour of the Python/Java library function named
//! in its doc, rule for rule, over the tables in `tables`; the vector test holds them to
//! it.

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, PhoneNumberType};

use super::tables;

/// What libphonenumber returns when it cannot tell a number's time zone.
pub(crate) const UNKNOWN_TIME_ZONE: &str = "Etc/Unknown";

/// The carrier the number's range was first allocated to, as `carrier.name_for_number`
/// gives it: only mobile-capable lines (mobile, fixed-line-or-mobile, pager) are looked
/// up, since the carrier data describes mobile ranges. `e164_digits` is the E.164 form
/// without its '+'.
pub(crate) fn carrier(line_type: PhoneNumberType, e164_digits: &str) -> Option<&'static str> {
    match line_type {
        PhoneNumberType::Mobile | PhoneNumberType::FixedLineOrMobile | PhoneNumberType::Pager => {
            tables::carriers().longest_prefix(e164_digits)
        }
        _ => None,
    }
}

/// The English description of where the number is, as `geocoder.description_for_number`
/// gives it: nothing for a number of unknown type, the country for a line type that is
/// not tied to a place (most mobiles, toll-free, ...), else the most precise area the
/// data names, falling back to the country.
pub(crate) fn location(
    number: &PhoneNumber,
    line_type: PhoneNumberType,
    e164_digits: &str,
) -> Option<&'static str> {
    let util = &*PHONE_NUMBER_UTIL;
    if line_type == PhoneNumberType::Unknown {
        return None;
    }
    if !util.is_number_geographical_by_country_code_and_type(line_type, number.country_code) {
        return country_name(number);
    }
    area_description(number, e164_digits).or_else(|| country_name(number))
}

/// The geocoding table's answer for a geographical number. In Argentina mobile numbers
/// carry a mobile token ('9') before the area code; libphonenumber drops it and reparses
/// the rest as a national number before looking the area up, and so does this.
fn area_description(number: &PhoneNumber, e164_digits: &str) -> Option<&'static str> {
    let util = &*PHONE_NUMBER_UTIL;
    let national = number.get_national_significant_number();
    let without_token = util
        .get_country_mobile_token(number.country_code)
        .and_then(|token| national.strip_prefix(token));
    let Some(without_token) = without_token else {
        return tables::geocoding().longest_prefix(e164_digits);
    };
    let region = util.get_region_for_country_code(number.country_code);
    match util.parse(without_token, region) {
        Ok(reparsed) => {
            let e164 = util.format(&reparsed, PhoneNumberFormat::E164);
            tables::geocoding().longest_prefix(e164.strip_prefix('+').unwrap_or(&e164))
        }
        // libphonenumber keeps the number as it was when the reparse fails.
        Err(_) => tables::geocoding().longest_prefix(e164_digits),
    }
}

/// `geocoder.country_name_for_number`: the region's English name when the country code
/// has one region, or when exactly one of its regions accepts the number as valid;
/// nothing when several do or none does, or the region is non-geographic ("001").
fn country_name(number: &PhoneNumber) -> Option<&'static str> {
    let util = &*PHONE_NUMBER_UTIL;
    let mut regions = util.get_regions_for_country_calling_code(number.country_code)?;
    let region = if regions.len() == 1 {
        regions.next()?
    } else {
        let mut valid_in =
            regions.filter(|&region| util.is_valid_number_for_region(number, region));
        let first = valid_in.next()?;
        if valid_in.next().is_some() {
            return None;
        }
        first
    };
    tables::region_names().libphonenumber(&region.as_region_str())
}

/// `timezone.time_zones_for_number`: `Etc/Unknown` for a number of unknown type, the
/// country's zones for a line type not tied to a place, else the zones of the longest
/// matching prefix.
pub(crate) fn time_zones(
    country_code: i32,
    line_type: PhoneNumberType,
    e164_digits: &str,
) -> Vec<String> {
    let util = &*PHONE_NUMBER_UTIL;
    let entry = match line_type {
        PhoneNumberType::Unknown => None,
        _ if util.is_number_geographical_by_country_code_and_type(line_type, country_code) => {
            tables::time_zones().longest_prefix(e164_digits)
        }
        _ => tables::time_zones().longest_prefix(&country_code.to_string()),
    };
    match entry {
        Some(entry) => tables::split_time_zones(entry).map(str::to_owned).collect(),
        None => vec![UNKNOWN_TIME_ZONE.to_owned()],
    }
}
