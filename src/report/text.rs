//! The reports' typeface (DejaVu Sans, regular and bold, embedded from `data/fonts/`) and
//! text measured with it: widths as the shaper lays the glyphs out, lines wrapped to a
//! width, text shortened with an ellipsis. The PDF and the card measure with the same
//! font they draw with, so what fits here fits on the page.
//!
//! Known shortcoming: DejaVu Sans has no CJK ideographs or kana, so Chinese or Japanese
//! text shows as empty boxes (and is lost from the PDF's extractable text); embedding a
//! CJK font (Noto Sans CJK, about 16 MB) as a fallback would fix it at the binary's size.

use std::sync::OnceLock;

pub const REGULAR: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");
pub const BOLD: &[u8] = include_bytes!("../../data/fonts/DejaVuSans-Bold.ttf");
/// The family name both files declare, as the card's SVG asks for it.
pub const FAMILY: &str = "DejaVu Sans";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
}

struct Faces {
    regular: rustybuzz::Face<'static>,
    bold: rustybuzz::Face<'static>,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        // The files are part of the binary and are known good fonts; a test parses them.
        regular: rustybuzz::Face::from_slice(REGULAR, 0).expect("embedded regular font"),
        bold: rustybuzz::Face::from_slice(BOLD, 0).expect("embedded bold font"),
    })
}

fn face(style: Style) -> &'static rustybuzz::Face<'static> {
    match style {
        Style::Regular => &faces().regular,
        Style::Bold => &faces().bold,
    }
}

/// The advance width of `text` set in `style` at `size` (points or pixels alike).
pub fn width(style: Style, size: f32, text: &str) -> f32 {
    if text.is_empty() {
        return 0.0;
    }
    let face = face(style);
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    let glyphs = rustybuzz::shape(face, &[], buffer);
    let units: i64 = glyphs
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    units as f32 * size / f32::from(face.units_per_em() as u16)
}

/// `text` cut into lines no wider than `max_width`, breaking at spaces; a word wider than
/// a whole line (a long URL) is broken between characters. Line breaks in `text` are
/// kept. Never empty: an empty text is one empty line.
pub fn wrap(style: Style, size: f32, text: &str, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = match line.is_empty() {
                true => word.to_string(),
                false => format!("{line} {word}"),
            };
            if width(style, size, &candidate) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if width(style, size, word) <= max_width {
                line = word.to_string();
                continue;
            }
            let mut pieces = break_word(style, size, word, max_width);
            line = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
        }
        lines.push(line);
    }
    lines
}

/// A word too wide for a line, cut into pieces that each fit (at least one character).
fn break_word(style: Style, size: f32, word: &str, max_width: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for ch in word.chars() {
        piece.push(ch);
        if piece.chars().count() > 1 && width(style, size, &piece) > max_width {
            piece.pop();
            pieces.push(std::mem::take(&mut piece));
            piece.push(ch);
        }
    }
    pieces.push(piece);
    pieces
}

/// `text`, or as much of it as fits in `max_width` followed by `…`.
pub fn ellipsized(style: Style, size: f32, text: &str, max_width: f32) -> String {
    shortened_to_fit(style, size, text, max_width, |chars, n| {
        chars[..n].iter().collect::<String>().trim_end().to_string() + "…"
    })
}

/// `text`, or its start and its end around a `…` in the middle, as much as fits in
/// `max_width`: for identifiers, whose end (an address's domain) matters as much as
/// their start.
pub fn middle_ellipsized(style: Style, size: f32, text: &str, max_width: f32) -> String {
    shortened_to_fit(style, size, text, max_width, |chars, kept| {
        let tail = kept / 2;
        let head: String = chars[..kept - tail].iter().collect();
        let end: String = chars[chars.len() - tail..].iter().collect();
        format!("{}…{}", head.trim_end(), end.trim_start())
    })
}

/// `text` when it fits; otherwise `shorten(chars, n)` for the largest `n` (characters
/// kept) that fits, found by halving, since widths grow with `n`.
fn shortened_to_fit(
    style: Style,
    size: f32,
    text: &str,
    max_width: f32,
    shorten: impl Fn(&[char], usize) -> String,
) -> String {
    if width(style, size, text) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut fits, mut too_long) = (0, chars.len());
    while too_long - fits > 1 {
        let middle = (fits + too_long) / 2;
        match width(style, size, &shorten(&chars, middle)) <= max_width {
            true => fits = middle,
            false => too_long = middle,
        }
    }
    shorten(&chars, fits)
}

/// The largest size from `size` down to `smallest` at which `text` fits in `max_width`.
pub fn fitting_size(style: Style, size: f32, smallest: f32, text: &str, max_width: f32) -> f32 {
    let natural = width(style, size, text);
    match natural <= max_width || natural == 0.0 {
        true => size,
        false => (size * max_width / natural).max(smallest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_identifier_keeps_its_start_and_its_end() {
        let address = "alexander.konstantinopolsky@mail-corporate.com";
        let short = middle_ellipsized(Style::Bold, 46.0, address, 500.0);
        assert!(
            short.starts_with("alex") && short.ends_with(".com"),
            "{short}"
        );
        assert!(short.contains('…') && width(Style::Bold, 46.0, &short) <= 500.0);
        assert_eq!(
            middle_ellipsized(Style::Bold, 10.0, address, 2000.0),
            address
        );
    }

    #[test]
    fn the_embedded_fonts_parse_and_cover_latin_and_cyrillic() {
        for style in [Style::Regular, Style::Bold] {
            let face = face(style);
            for ch in ['A', 'ж', 'Ё', '€', 'λ'] {
                assert!(face.glyph_index(ch).is_some(), "{style:?} lacks {ch}");
            }
        }
    }

    #[test]
    fn bold_is_wider_and_width_grows_with_size() {
        let regular = width(Style::Regular, 10.0, "Skopio report");
        assert!(regular > 40.0 && regular < 90.0, "{regular}");
        assert!(width(Style::Bold, 10.0, "Skopio report") > regular);
        assert!((width(Style::Regular, 20.0, "Skopio report") - 2.0 * regular).abs() < 0.01);
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let text = "Средний риск (65 из 100) для адреса john.doe@gmail.com: найден в трёх \
                    утечках, https://example.org/a/very/long/path/that/cannot/fit/on/one/line";
        let lines = wrap(Style::Regular, 10.0, text, 120.0);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(width(Style::Regular, 10.0, line) <= 120.0, "{line}");
        }
        let rejoined: String = lines.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(rejoined, original);
        assert_eq!(wrap(Style::Regular, 10.0, "", 100.0), [""]);
        assert_eq!(wrap(Style::Regular, 10.0, "a\nb", 100.0), ["a", "b"]);
    }

    #[test]
    fn ellipsized_text_fits() {
        let long = "a.very.long.username.that.does.not.fit@example.com";
        let short = ellipsized(Style::Bold, 20.0, long, 150.0);
        assert!(short.ends_with('…') && width(Style::Bold, 20.0, &short) <= 150.0);
        assert_eq!(ellipsized(Style::Bold, 20.0, "jdoe", 150.0), "jdoe");
        let size = fitting_size(Style::Bold, 28.0, 12.0, "КРИТИЧЕСКИЙ РИСК", 200.0);
        assert!(size < 28.0 && width(Style::Bold, size, "КРИТИЧЕСКИЙ РИСК") <= 200.01);
    }
}
