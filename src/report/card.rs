//! The person card: one 1200×630 picture (the size link previews use) that says at a
//! glance who the target is as best known, how risky and why (the heaviest risk factors),
//! where they verifiably have accounts, and how many contacts and breaches the dossier
//! holds. Type is large enough
//! to read at a thumbnail's size (a 300-pixel-wide preview still shows the target and the
//! band). It is SVG, and PNG drawn from the same SVG by resvg with the embedded
//! typeface, so the PNG looks the same on a host without fonts.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use super::text::{self, Style};
use super::{INK, MUTED, NAVY, PANEL, ReportError, Rgb, Subject, WHITE};
use crate::dossier::Dossier;
use crate::i18n::{self, Lang};
use crate::target::Kind;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
const MARGIN: f32 = 56.0;
/// Verified profiles (and risk factors) named on the card; the rest are counted.
const TOP_PROFILES: usize = 3;
/// Width of the profiles' column; the risk factors' column takes the rest.
const COLUMN_W: f32 = 500.0;

/// XML text with the five special characters escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all (control codes) are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// SVG under construction.
struct Svg(String);

impl Svg {
    fn text(&mut self, x: f32, y: f32, size: f32, style: Style, colour: Rgb, text: &str) {
        let weight = match style {
            Style::Regular => "normal",
            Style::Bold => "bold",
        };
        let _ = writeln!(
            self.0,
            concat!(
                r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" font-weight="{weight}" "#,
                r#"fill="{fill}">{text}</text>"#
            ),
            x = x,
            y = y,
            size = size,
            weight = weight,
            fill = colour.hex(),
            text = escaped(text)
        );
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, radius: f32, colour: Rgb) {
        let _ = writeln!(
            self.0,
            concat!(
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{radius}" "#,
                r#"fill="{fill}"/>"#
            ),
            x = x,
            y = y,
            w = w,
            h = h,
            radius = radius,
            fill = colour.hex()
        );
    }
}

/// Two letters standing for the target: `JD` for john.doe@…, `DA` for darkwolf; a
/// phone number gets its country calling code.
fn initials(subject: &Subject, dossier: &Dossier) -> String {
    if subject.kind == Kind::Phone {
        return match &dossier.phone_profile {
            Some(phone) => format!("+{}", phone.country_code),
            None => "#".to_string(),
        };
    }
    let name = subject.target.split('@').next().unwrap_or_default();
    let mut parts = name
        .split(['.', '_', '-', '+'])
        .filter_map(|part| part.chars().find(|c| c.is_alphanumeric()));
    let letters: String = match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => [a, b].iter().collect(),
        _ => name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(2)
            .collect(),
    };
    match letters.is_empty() {
        true => "?".to_string(),
        false => letters.to_uppercase(),
    }
}

/// What else is known of the target, in one line under it.
fn identity_line(lang: Lang, subject: &Subject, dossier: &Dossier) -> String {
    let mut parts = vec![super::kind_label(lang, subject.kind).to_string()];
    if let Some(phone) = &dossier.phone_profile {
        if let Some(country) = &phone.country {
            parts.push(country.clone());
        }
        if phone.valid {
            parts.push(crate::engine::summary::line_type_name(
                &phone.line_type,
                lang,
            ));
        }
        if let Some(carrier) = &phone.carrier {
            parts.push(carrier.clone());
        }
    }
    // Other names the target goes by on verified profiles.
    let target = subject.target.to_lowercase();
    let mut aliases: Vec<&str> = Vec::new();
    for profile in &dossier.profiles.verified {
        let name = profile.username.as_str();
        if name.to_lowercase() != target && !aliases.contains(&name) {
            aliases.push(name);
        }
    }
    if !aliases.is_empty() {
        let aka = lang.pick("also", "также");
        parts.push(format!("{aka} {}", aliases.join(", ")));
    }
    parts.join(" · ")
}

/// The card as SVG.
pub fn svg(subject: &Subject, dossier: &Dossier) -> String {
    let lang = Lang::parse(&dossier.lang);
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    let mut svg = Svg(String::new());
    let _ = writeln!(
        svg.0,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" "#,
            r#"viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{family}, Verdana, sans-serif">"#
        ),
        WIDTH = WIDTH,
        HEIGHT = HEIGHT,
        family = text::FAMILY
    );
    svg.rect(0.0, 0.0, w, h, 0.0, WHITE);
    svg.rect(0.0, 0.0, w, 14.0, 0.0, NAVY);

    // The risk badge, top right.
    let risk = &dossier.risk;
    let (fill, ink) = super::band_colours(&risk.band);
    let (badge_w, badge_h) = (330.0, 150.0);
    let badge_x = w - MARGIN - badge_w;
    svg.rect(badge_x, 50.0, badge_w, badge_h, 18.0, fill);
    let score = risk.score.to_string();
    let score_w = text::width(Style::Bold, 80.0, &score);
    let out_of = " / 100";
    let out_of_w = text::width(Style::Regular, 30.0, out_of);
    let x = badge_x + (badge_w - score_w - out_of_w) / 2.0;
    svg.text(x, 132.0, 80.0, Style::Bold, ink, &score);
    svg.text(x + score_w, 132.0, 30.0, Style::Regular, ink, out_of);
    let label = super::band_label(lang, &risk.band);
    let size = text::fitting_size(Style::Bold, 28.0, 16.0, &label, badge_w - 28.0);
    let label = text::ellipsized(Style::Bold, size, &label, badge_w - 28.0);
    let label_w = text::width(Style::Bold, size, &label);
    let label_x = badge_x + (badge_w - label_w) / 2.0;
    svg.text(label_x, 178.0, size, Style::Bold, ink, &label);

    // Who: initials, the target, what else is known.
    let avatar = initials(subject, dossier);
    let _ = writeln!(
        svg.0,
        r#"<circle cx="{:.1}" cy="125" r="62" fill="{}"/>"#,
        MARGIN + 62.0,
        NAVY.hex()
    );
    let avatar_size = if avatar.chars().count() > 3 {
        34.0
    } else {
        46.0
    };
    let avatar_w = text::width(Style::Bold, avatar_size, &avatar);
    let avatar_x = MARGIN + 62.0 - avatar_w / 2.0;
    svg.text(
        avatar_x,
        125.0 + avatar_size * 0.36,
        avatar_size,
        Style::Bold,
        WHITE,
        &avatar,
    );
    let name_x = MARGIN + 124.0 + 28.0;
    let name_w = badge_x - name_x - 24.0;
    // A long address is drawn smaller, then shortened in the middle: its domain stays.
    let size = text::fitting_size(Style::Bold, 46.0, 30.0, &subject.target, name_w);
    let target = match subject.target.rsplit_once('@') {
        // An address keeps its whole domain; its local part gives way.
        Some((local, domain)) if text::width(Style::Bold, size, domain) < name_w * 0.6 => {
            let domain = format!("@{domain}");
            let room = name_w - text::width(Style::Bold, size, &domain);
            format!(
                "{}{domain}",
                text::ellipsized(Style::Bold, size, local, room)
            )
        }
        _ => text::middle_ellipsized(Style::Bold, size, &subject.target, name_w),
    };
    svg.text(name_x, 118.0, size, Style::Bold, INK, &target);
    let identity = identity_line(lang, subject, dossier);
    let identity = text::ellipsized(Style::Regular, 24.0, &identity, name_w);
    svg.text(name_x, 160.0, 24.0, Style::Regular, MUTED, &identity);

    // Where the target verifiably has accounts.
    let heading = lang.pick("VERIFIED PROFILES", "ПОДТВЕРЖДЁННЫЕ ПРОФИЛИ");
    svg.text(MARGIN, 268.0, 22.0, Style::Bold, MUTED, heading);
    let verified = &dossier.profiles.verified;
    let searched = dossier.sites_checked();
    if verified.is_empty() {
        let none = match searched {
            true => lang.pick("None confirmed", "Не подтверждено ни одного"),
            false => lang.pick("Site checks not run", "Сайты не проверялись"),
        };
        svg.text(MARGIN, 316.0, 32.0, Style::Regular, MUTED, none);
    }
    for (idx, profile) in verified.iter().take(TOP_PROFILES).enumerate() {
        let y = 316.0 + idx as f32 * 46.0;
        let site = text::ellipsized(Style::Bold, 32.0, &profile.site, COLUMN_W / 2.0);
        svg.text(MARGIN, y, 32.0, Style::Bold, INK, &site);
        let site_w = text::width(Style::Bold, 32.0, &site);
        let user = text::ellipsized(
            Style::Regular,
            28.0,
            &profile.username,
            COLUMN_W - site_w - 16.0,
        );
        svg.text(
            MARGIN + site_w + 16.0,
            y,
            28.0,
            Style::Regular,
            MUTED,
            &user,
        );
    }
    if verified.len() > TOP_PROFILES {
        let more = verified.len() - TOP_PROFILES;
        let line = lang.pick(format!("and {more} more"), format!("и ещё {more}"));
        svg.text(
            MARGIN,
            316.0 + 3.0 * 46.0 - 8.0,
            22.0,
            Style::Regular,
            MUTED,
            &line,
        );
    }

    // Why the score is what it is: the heaviest factors.
    let factors_x = MARGIN + COLUMN_W + 48.0;
    let heading = lang.pick("RISK FACTORS", "ФАКТОРЫ РИСКА");
    svg.text(factors_x, 268.0, 22.0, Style::Bold, MUTED, heading);
    if risk.factors.is_empty() {
        let none = lang.pick("None found", "Не найдено");
        svg.text(factors_x, 316.0, 28.0, Style::Regular, MUTED, none);
    }
    for (idx, factor) in risk.factors.iter().take(TOP_PROFILES).enumerate() {
        let y = 316.0 + idx as f32 * 46.0;
        let weight = format!("+{}", factor.weight);
        svg.text(factors_x, y, 28.0, Style::Bold, NAVY, &weight);
        let label = super::factor_label(lang, &factor.name);
        let room = w - MARGIN - factors_x - 80.0;
        let size = text::fitting_size(Style::Regular, 28.0, 20.0, &label, room);
        let label = text::ellipsized(Style::Regular, size, &label, room);
        svg.text(factors_x + 80.0, y, size, Style::Regular, INK, &label);
    }

    // The counts.
    let contacts = dossier.contacts.emails.len() + dossier.contacts.phones.len();
    // Labels name the category, not the count, so no plural has to agree with it.
    let figures = [
        (verified.len(), lang.pick("verified", "подтверждённые")),
        (dossier.profiles.weak.len(), lang.pick("weak", "слабые")),
        (contacts, lang.pick("contacts", "контакты")),
        (dossier.breaches.len(), lang.pick("breaches", "утечки")),
    ];
    let gutter = 20.0;
    let panel_w = (w - 2.0 * MARGIN - 3.0 * gutter) / 4.0;
    for (idx, (n, label)) in figures.iter().enumerate() {
        let x = MARGIN + idx as f32 * (panel_w + gutter);
        svg.rect(x, 462.0, panel_w, 112.0, 14.0, PANEL);
        svg.text(
            x + 24.0,
            526.0,
            56.0,
            Style::Bold,
            NAVY,
            &i18n::number(lang, *n as u64),
        );
        svg.text(x + 24.0, 560.0, 24.0, Style::Regular, MUTED, label);
    }
    let footer = format!(
        "Skopio · {} · {}",
        i18n::day(lang, subject.completed_ms),
        subject.scan_id
    );
    svg.text(MARGIN, 612.0, 17.0, Style::Regular, MUTED, &footer);
    svg.0.push_str("</svg>\n");
    svg.0
}

/// The embedded typeface as resvg's font database, loaded once.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        for data in [text::REGULAR, text::BOLD] {
            db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(data)));
        }
        db.set_sans_serif_family(text::FAMILY);
        Arc::new(db)
    });
    Arc::clone(fonts)
}

/// The card as PNG, drawn from `svg`.
pub fn png(subject: &Subject, dossier: &Dossier) -> Result<Vec<u8>, ReportError> {
    let svg = svg(subject, dossier);
    let options = usvg::Options {
        font_family: text::FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| ReportError::Png(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| ReportError::Png("cannot allocate the picture".to_string()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ReportError::Png(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_target_is_escaped() {
        assert_eq!(escaped("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
