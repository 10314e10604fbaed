#!/usr/bin/env python3
"""Generate the offline phone data that `src/phone/` embeds in the binary.

libphonenumber keeps its carrier names, geocoding descriptions, time zones and region
display names in resource files beside its metadata (Apache-2.0). The Rust crate Skopio
uses for parsing and validation (`rlibphonenumber`) carries none of them, so this script
reads them from the `phonenumbers` package on PyPI, which ships the same resources as
Python dictionaries, and writes the English part in a compact form to `data/phone/`.

How to rerun it (from the project root):

    python3 -m venv /tmp/phvenv
    /tmp/phvenv/bin/pip install phonenumbers==9.0.43
    /tmp/phvenv/bin/python tools/gen_phone_data.py

The version is pinned in EXPECTED_VERSION below; the script refuses another one unless
`--any-version` is given, because the tests compare against vectors taken from 9.0.43.
9.0.43 is the release right after the metadata that rlibphonenumber 2.2 embeds (9.0.42)
and the one the vectors under ../shared/data/phone were produced with.

Output files (all UTF-8; format described in data/phone/README.md):

    geocoding-en.z   prefix table, English geocoding descriptions, zlib-compressed
    carrier-en.z     prefix table, English carrier names, zlib-compressed
    timezones.txt    prefix table, time zones joined by '&', plain text
    regions-en.tsv   region code, TAB, English region name, TAB, where the name came from
    README.md        is written by hand, not by this script

Only English is kept: prefixes whose description exists in other languages only are
dropped, which is exactly what libphonenumber's English lookup does (it then falls back
to a shorter prefix).
"""

import argparse
import collections
import os
import sys
import zlib

EXPECTED_VERSION = "9.0.43"

# Region codes that libphonenumber's metadata knows but whose English display name the
# Python package's locale table lacks (Java would ask the JDK's Locale for them). These
# are the plain English short names of the territories, written here by hand.
EXTRA_REGION_NAMES = {
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
}

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, os.pardir, "data", "phone")


def encode_prefix_table(table):
    """Encode {digit prefix: text} as the line format the Rust loader reads.

    One line per prefix, in lexicographic order of the prefix:
        <k><rest>            same text as the previous line
        <k><rest> =<text>    a text not seen before; it gets the next index (0, 1, ...)
        <k><rest> <hex>      the text with that index
    where <k> is one decimal digit, the number of leading digits shared with the previous
    line's prefix, and <rest> the remaining digits. Prefixes are at most 9 digits and
    distinct, so <k> never exceeds 8.
    """
    lines = []
    seen = {}
    previous_prefix = ""
    previous_text = None
    for prefix in sorted(table):
        text = table[prefix]
        if not prefix.isdigit() or len(prefix) > 9:
            sys.exit(f"unexpected prefix {prefix!r}")
        if "\n" in text or text == "":
            sys.exit(f"unexpected text {text!r} for prefix {prefix}")
        shared = 0
        while (shared < len(previous_prefix) and shared < len(prefix)
               and previous_prefix[shared] == prefix[shared]):
            shared += 1
        key = f"{shared}{prefix[shared:]}"
        if text == previous_text:
            lines.append(key)
        elif text in seen:
            lines.append(f"{key} {seen[text]:x}")
        else:
            seen[text] = len(seen)
            lines.append(f"{key} ={text}")
        previous_prefix = prefix
        previous_text = text
    return ("\n".join(lines) + "\n").encode("utf-8"), len(seen)


def decode_prefix_table(blob):
    """Inverse of encode_prefix_table, used to check the output round-trips."""
    table = {}
    texts = []
    previous_prefix = ""
    previous_text = None
    for line in blob.decode("utf-8").splitlines():
        key, _, ref = line.partition(" ")
        prefix = previous_prefix[: int(key[0])] + key[1:]
        if ref == "":
            text = previous_text
        elif ref.startswith("="):
            text = ref[1:]
            texts.append(text)
        else:
            text = texts[int(ref, 16)]
        table[prefix] = text
        previous_prefix, previous_text = prefix, text
    return table


def english(per_language):
    return {prefix: names["en"] for prefix, names in per_language.items() if "en" in names}


REGIONS_HEADER = """\
# Region code, TAB, English name, TAB, source: "libphonenumber" for names from its
# locale data (the geocoder falls back to these), "added" for names this project's
# generator supplies for regions that data lacks (used for the country field only).
"""


def region_names():
    from phonenumbers import SUPPORTED_REGIONS
    from phonenumbers.geodata.locale import LOCALE_DATA

    names = {}
    for region, per_language in LOCALE_DATA.items():
        name = per_language.get("en")
        # The locale table stores "*xx" to mean "same text as language xx".
        while name is not None and name.startswith("*"):
            name = per_language.get(name[1:])
        if name:
            names[region] = (name, "libphonenumber")
    for region, name in EXTRA_REGION_NAMES.items():
        names.setdefault(region, (name, "added"))
    missing = sorted(SUPPORTED_REGIONS - set(names))
    if missing:
        sys.exit(f"regions without an English name: {missing}; add them to EXTRA_REGION_NAMES")
    # Only regions the metadata knows are useful to the lookup.
    return {region: names[region] for region in sorted(SUPPORTED_REGIONS)}


def write(name, blob):
    path = os.path.join(OUT_DIR, name)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--any-version", action="store_true",
                        help=f"accept a phonenumbers other than {EXPECTED_VERSION}")
    args = parser.parse_args()

    import phonenumbers
    if phonenumbers.__version__ != EXPECTED_VERSION and not args.any_version:
        sys.exit(f"phonenumbers {phonenumbers.__version__} found, {EXPECTED_VERSION} "
                 "expected (pip install phonenumbers==" + EXPECTED_VERSION + ")")
    from phonenumbers.carrierdata import CARRIER_DATA
    from phonenumbers.geodata import GEOCODE_DATA
    from phonenumbers.tzdata import TIMEZONE_DATA

    os.makedirs(OUT_DIR, exist_ok=True)
    report = collections.OrderedDict()
    for name, table in (("geocoding-en.z", english(GEOCODE_DATA)),
                        ("carrier-en.z", english(CARRIER_DATA))):
        text, n_texts = encode_prefix_table(table)
        if decode_prefix_table(text) != table:
            sys.exit(f"{name}: encoding does not round-trip")
        size = write(name, zlib.compress(text, 9))
        report[name] = (len(table), n_texts, len(text), size)

    zones = {prefix: "&".join(names) for prefix, names in TIMEZONE_DATA.items()}
    if any("&" in zone for names in TIMEZONE_DATA.values() for zone in names):
        sys.exit("a time zone name contains '&', the separator")
    text, n_texts = encode_prefix_table(zones)
    report["timezones.txt"] = (len(zones), n_texts, len(text), write("timezones.txt", text))

    regions = region_names()
    text = REGIONS_HEADER + "".join(f"{region}\t{name}\t{source}\n"
                                    for region, (name, source) in regions.items())
    text = text.encode("utf-8")
    report["regions-en.tsv"] = (len(regions), len(regions), len(text),
                                write("regions-en.tsv", text))

    print(f"phonenumbers {phonenumbers.__version__} -> {os.path.normpath(OUT_DIR)}")
    print(f"{'file':<16}{'entries':>9}{'texts':>8}{'raw bytes':>11}{'written':>10}")
    for name, (n_entries, n_texts, raw, written) in report.items():
        print(f"{name:<16}{n_entries:>9}{n_texts:>8}{raw:>11}{written:>10}")


if __name__ == "__main__":
    main()
