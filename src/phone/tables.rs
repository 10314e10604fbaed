//! The phone data embedded in the binary: libphonenumber's English carrier names,
//! geocoding descriptions, time zones and region names, as `tools/gen_phone_data.py`
//! writes them to `data/phone/` (the format is described in `data/phone/README.md`).
//! This module owns decoding those files, once and lazily, and the longest-prefix lookup
//! every other part of `phone` goes through; it knows nothing of phone-number rules.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

const GEOCODING_EN: &[u8] = include_bytes!("../../data/phone/geocoding-en.z");
const CARRIER_EN: &[u8] = include_bytes!("../../data/phone/carrier-en.z");
const TIMEZONES: &str = include_str!("../../data/phone/timezones.txt");
const REGIONS_EN: &str = include_str!("../../data/phone/regions-en.tsv");

/// Longest prefix in any table. Prefixes are stored as `u32` per length, which holds
/// up to nine decimal digits; the generator refuses longer ones.
const MAX_PREFIX_DIGITS: usize = 9;

/// Separator between the time zones of one prefix, as in libphonenumber's own resource.
const TIME_ZONE_SEPARATOR: char = '&';

/// A map from digit prefixes to texts, answering "which text belongs to the longest
/// prefix of these digits". Prefixes of each length live in their own sorted vector, so
/// a lookup is at most nine binary searches and never allocates.
#[derive(Debug, Default)]
pub(crate) struct PrefixTable {
    /// `by_length[n]` holds the prefixes of `n` digits, sorted, each with its text's index.
    by_length: [Vec<(u32, u32)>; MAX_PREFIX_DIGITS + 1],
    /// Every distinct text, end to end; `ends[i]` is where text `i` stops.
    texts: String,
    ends: Vec<u32>,
}

impl PrefixTable {
    /// The text of the longest prefix of `digits` (ASCII digits, e.g. an E.164 number
    /// without its '+'), or `None` when no prefix of it is in the table.
    pub(crate) fn longest_prefix(&self, digits: &str) -> Option<&str> {
        let leading_digits = digits
            .bytes()
            .take(MAX_PREFIX_DIGITS)
            .take_while(u8::is_ascii_digit);
        // Values of every leading slice, built once from left to right.
        let mut values = [0u32; MAX_PREFIX_DIGITS + 1];
        let mut longest = 0;
        for byte in leading_digits {
            values[longest + 1] = values[longest] * 10 + u32::from(byte - b'0');
            longest += 1;
        }
        (1..=longest).rev().find_map(|len| {
            let level = &self.by_length[len];
            let found = level
                .binary_search_by_key(&values[len], |&(prefix, _)| prefix)
                .ok()?;
            self.text(level[found].1)
        })
    }

    fn text(&self, idx: u32) -> Option<&str> {
        let idx = usize::try_from(idx).ok()?;
        let end = usize::try_from(*self.ends.get(idx)?).ok()?;
        let start = match idx {
            0 => 0,
            _ => usize::try_from(self.ends[idx - 1]).ok()?,
        };
        self.texts.get(start..end)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_length.iter().map(Vec::len).sum()
    }

    /// Decodes the generator's line format: per line, one digit saying how many leading
    /// digits the prefix shares with the previous line's, then the rest of the prefix,
    /// then nothing (same text as the previous line), ` =text` (a new text) or ` hex`
    /// (the index of an earlier text).
    pub(crate) fn decode(source: &str) -> Result<PrefixTable, String> {
        let mut table = PrefixTable::default();
        let mut previous = String::with_capacity(MAX_PREFIX_DIGITS);
        let mut previous_text: Option<u32> = None;
        for (line_idx, line) in source.lines().enumerate() {
            let bad = |what: &str| format!("line {}: {what}", line_idx + 1);
            let (key, reference) = match line.split_once(' ') {
                Some((key, reference)) => (key, Some(reference)),
                None => (line, None),
            };
            let shared = key
                .bytes()
                .next()
                .filter(u8::is_ascii_digit)
                .map(|byte| usize::from(byte - b'0'))
                .filter(|&shared| shared <= previous.len())
                .ok_or_else(|| bad("bad shared-digit count"))?;
            previous.truncate(shared);
            previous.push_str(&key[1..]);
            if previous.is_empty()
                || previous.len() > MAX_PREFIX_DIGITS
                || !previous.bytes().all(|byte| byte.is_ascii_digit())
            {
                return Err(bad("bad prefix"));
            }
            let text_idx = match reference {
                None => previous_text.ok_or_else(|| bad("no previous text to repeat"))?,
                Some(reference) => match reference.strip_prefix('=') {
                    Some(text) => table.push_text(text),
                    None => u32::from_str_radix(reference, 16)
                        .ok()
                        .filter(|&idx| (idx as usize) < table.ends.len())
                        .ok_or_else(|| bad("bad text index"))?,
                },
            };
            let value = previous.parse::<u32>().map_err(|_| bad("bad prefix"))?;
            table.by_length[previous.len()].push((value, text_idx));
            previous_text = Some(text_idx);
        }
        for level in &mut table.by_length {
            // Lines come sorted as strings, which for prefixes of one length is numeric
            // order already; sorting again keeps the lookup right whatever the file says.
            level.sort_unstable_by_key(|&(prefix, _)| prefix);
            level.dedup_by_key(|&mut (prefix, _)| prefix);
            level.shrink_to_fit();
        }
        table.texts.shrink_to_fit();
        table.ends.shrink_to_fit();
        Ok(table)
    }

    fn push_text(&mut self, text: &str) -> u32 {
        self.texts.push_str(text);
        self.ends
            .push(u32::try_from(self.texts.len()).unwrap_or(u32::MAX));
        u32::try_from(self.ends.len() - 1).unwrap_or(u32::MAX)
    }
}

/// English region names by ISO code, with where each came from.
#[derive(Debug, Default)]
pub(crate) struct RegionNames {
    names: HashMap<String, RegionName>,
}

#[derive(Debug)]
struct RegionName {
    name: String,
    /// True when the name is in libphonenumber's own locale data. The geocoder falls back
    /// to those names only; the few the generator adds (Ascension Island, Kosovo, ...)
    /// serve the `country` field alone, so `location` stays what libphonenumber says.
    from_libphonenumber: bool,
}

impl RegionNames {
    fn decode(source: &str) -> Result<RegionNames, String> {
        let mut names = HashMap::new();
        for (line_idx, line) in source.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(region), Some(name), source) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(format!("line {}: expected region TAB name", line_idx + 1));
            };
            let from_libphonenumber = match source {
                None | Some("libphonenumber") => true,
                Some("added") => false,
                Some(other) => {
                    return Err(format!("line {}: unknown source {other}", line_idx + 1));
                }
            };
            let name = RegionName {
                name: name.to_owned(),
                from_libphonenumber,
            };
            names.insert(region.to_owned(), name);
        }
        Ok(RegionNames { names })
    }

    /// The English name of a region, from any source (for the `country` field).
    pub(crate) fn any(&self, region: &str) -> Option<&str> {
        self.names.get(region).map(|entry| entry.name.as_str())
    }

    /// The English name of a region as libphonenumber's geocoder knows it.
    pub(crate) fn libphonenumber(&self, region: &str) -> Option<&str> {
        self.names
            .get(region)
            .filter(|entry| entry.from_libphonenumber)
            .map(|entry| entry.name.as_str())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// Inflates one of the zlib-compressed tables.
fn inflate(compressed: &[u8]) -> Result<String, String> {
    let mut text = String::new();
    flate2::read::ZlibDecoder::new(compressed)
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot inflate: {err}"))?;
    Ok(text)
}

/// Decodes an embedded table, or logs why not and serves an empty one. The files are
/// generated and checked by the unit tests, so a failure here is a build defect; an
/// empty table costs lookups their answer but keeps every worker serving.
fn load_or_empty<T: Default>(name: &str, decoded: Result<T, String>) -> T {
    match decoded {
        Ok(table) => table,
        Err(reason) => {
            tracing::error!(table = name, %reason, "embedded phone data is corrupt");
            T::default()
        }
    }
}

pub(crate) fn geocoding() -> &'static PrefixTable {
    static TABLE: OnceLock<PrefixTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        load_or_empty(
            "geocoding-en",
            inflate(GEOCODING_EN).and_then(|s| PrefixTable::decode(&s)),
        )
    })
}

pub(crate) fn carriers() -> &'static PrefixTable {
    static TABLE: OnceLock<PrefixTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        load_or_empty(
            "carrier-en",
            inflate(CARRIER_EN).and_then(|s| PrefixTable::decode(&s)),
        )
    })
}

pub(crate) fn time_zones() -> &'static PrefixTable {
    static TABLE: OnceLock<PrefixTable> = OnceLock::new();
    TABLE.get_or_init(|| load_or_empty("timezones", PrefixTable::decode(TIMEZONES)))
}

/// Splits one time-zone table entry into its zone names.
pub(crate) fn split_time_zones(entry: &str) -> impl Iterator<Item = &str> {
    entry.split(TIME_ZONE_SEPARATOR)
}

pub(crate) fn region_names() -> &'static RegionNames {
    static TABLE: OnceLock<RegionNames> = OnceLock::new();
    TABLE.get_or_init(|| load_or_empty("regions-en", RegionNames::decode(REGIONS_EN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_table_decodes_whole() {
        // Counts as the generator printed them for phonenumbers 9.0.43; a smaller number
        // means the loader dropped lines.
        assert!(
            inflate(GEOCODING_EN)
                .and_then(|s| PrefixTable::decode(&s))
                .is_ok()
        );
        assert!(
            geocoding().len() > 280_000,
            "geocoding has {}",
            geocoding().len()
        );
        assert!(
            carriers().len() > 29_000,
            "carriers has {}",
            carriers().len()
        );
        assert!(
            time_zones().len() > 3_000,
            "time zones has {}",
            time_zones().len()
        );
        assert!(
            region_names().len() > 240,
            "regions has {}",
            region_names().len()
        );
    }

    #[test]
    fn longest_prefix_wins_and_shorter_ones_fill_gaps() {
        let table = PrefixTable::decode("01 =One\n12 =Twelve\n2345 =Twelve-345\n").unwrap();
        assert_eq!(table.longest_prefix("12345678"), Some("Twelve-345"));
        assert_eq!(table.longest_prefix("12399"), Some("Twelve"));
        assert_eq!(table.longest_prefix("19"), Some("One"));
        assert_eq!(table.longest_prefix("29"), None);
        // A number shorter than a stored prefix only matches prefixes it covers whole.
        assert_eq!(table.longest_prefix("123"), Some("Twelve"));
    }

    #[test]
    fn repeated_and_indexed_texts_decode_to_the_same_string() {
        let table = PrefixTable::decode("043 =Alpha\n14\n15 =Beta\n16 0\n").unwrap();
        assert_eq!(table.longest_prefix("439"), Some("Alpha"));
        assert_eq!(table.longest_prefix("449"), Some("Alpha"));
        assert_eq!(table.longest_prefix("459"), Some("Beta"));
        assert_eq!(table.longest_prefix("469"), Some("Alpha"));
    }

    #[test]
    fn malformed_lines_are_refused_not_panicked_on() {
        for source in [
            "x12 =A",
            "912 =A",
            "01 7",
            "01",
            "01 =A\n1a",
            "0 =A",
            "01234567890 =A",
        ] {
            assert!(PrefixTable::decode(source).is_err(), "{source:?} decoded");
        }
    }

    #[test]
    fn region_names_keep_their_source() {
        let names = region_names();
        assert_eq!(names.any("GB"), Some("United Kingdom"));
        assert_eq!(names.libphonenumber("GB"), Some("United Kingdom"));
        assert_eq!(names.any("AC"), Some("Ascension Island"));
        assert_eq!(names.libphonenumber("AC"), None);
    }
}
