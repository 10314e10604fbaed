//! The PDF report: an A4 document a client can be handed as it is. A cover (target, kind,
//! completion date, risk band and score on a scale, key counts, the summary), then the
//! risk factors, verified and weak profiles with their evidence and links, contacts,
//! breaches, the phone profile, and what was checked, skipped or failed and why. Every
//! page carries the scan id and `Page n of N`; sections are bookmarked.
//!
//! Layout is done first, into pages of drawing operations, so the page count is known
//! before footers are written; krilla then draws them, embedding the font subset the
//! report uses. Nothing depends on the clock: the same scan gives the same bytes.
//!
//! A line mixing right-to-left script (Arabic, Hebrew) with Latin is split into runs in
//! visual order (the Unicode bidirectional algorithm), each shaped in its own direction.

use krilla::Document;
use krilla::action::LinkAction;
use krilla::annotation::{LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::text::{Font, TextDirection};

use super::text::{self, Style};
use super::{INK, LINK, MUTED, NAVY, PANEL, RULE, ReportError, Rgb, Subject, WHITE};
use crate::dossier::{Breach, Dossier, PhoneProfile, Profile, RecipeStatus};
use crate::i18n::{self, Lang};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const TOP: f32 = 56.0;
/// Content stops here; the footer sits below.
const BOTTOM: f32 = PAGE_H - 64.0;
const FOOTER_BASELINE: f32 = PAGE_H - 34.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.38;
const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;

/// One thing drawn on a page. `y` is the baseline for text, the top edge otherwise.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        style: Style,
        colour: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Rgb,
    },
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        url: String,
    },
}

/// Text flowing down the pages, starting a new page where the current one is full.
struct Flow {
    lang: Lang,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Bookmarks: (title, page index, y).
    outline: Vec<(String, usize, f32)>,
}

impl Flow {
    fn new(lang: Lang) -> Flow {
        Flow {
            lang,
            pages: vec![Vec::new()],
            y: TOP,
            outline: Vec::new(),
        }
    }

    fn t<'s>(&self, en: &'s str, ru: &'s str) -> &'s str {
        self.lang.pick(en, ru)
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, style: Style, colour: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        self.push(Op::Text {
            x,
            y,
            size,
            style,
            colour,
            text: text.to_string(),
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
        self.push(Op::Rect { x, y, w, h, colour });
    }

    /// One line of text at the flow's position.
    fn line(&mut self, x: f32, size: f32, style: Style, colour: Rgb, text: &str) {
        let height = size * LEADING;
        self.room(height);
        self.text_at(x, self.y + size, size, style, colour, text);
        self.y += height;
    }

    /// `text` wrapped to `width` from `x`.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, style: Style, colour: Rgb, text: &str) {
        for line in text::wrap(style, size, text, width) {
            self.line(x, size, style, colour, &line);
        }
    }

    /// A link: the URL itself, wrapped, each line clickable.
    fn link(&mut self, x: f32, width: f32, size: f32, url: &str) {
        for line in text::wrap(Style::Regular, size, url, width) {
            let height = size * LEADING;
            self.room(height);
            let w = text::width(Style::Regular, size, &line);
            self.text_at(x, self.y + size, size, Style::Regular, LINK, &line);
            self.push(Op::Link {
                x,
                y: self.y,
                w,
                h: height,
                url: url.to_string(),
            });
            self.y += height;
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }

    fn rule(&mut self, colour: Rgb) {
        self.rect(MARGIN_X, self.y, CONTENT_W, 0.6, colour);
    }

    /// A section's title, kept on the same page as the start of its content, and a
    /// bookmark to it.
    fn heading(&mut self, title: &str) {
        self.gap(16.0);
        self.room(15.0 * LEADING + 48.0);
        let page = self.pages.len() - 1;
        self.outline.push((title.to_string(), page, self.y));
        self.line(MARGIN_X, 15.0, Style::Bold, NAVY, title);
        self.rule(NAVY);
        self.gap(7.0);
    }

    fn subheading(&mut self, title: &str) {
        self.gap(6.0);
        self.room(11.0 * LEADING + 30.0);
        self.line(MARGIN_X, 11.0, Style::Bold, INK, title);
        self.gap(2.0);
    }

    /// `label   value` rows with the values aligned, each value wrapped.
    fn key_values(&mut self, rows: &[(&str, String)], label_w: f32) {
        for (label, value) in rows {
            let lines = text::wrap(Style::Regular, BODY, value, CONTENT_W - label_w);
            let height = lines.len() as f32 * BODY * LEADING;
            self.room(height);
            self.text_at(MARGIN_X, self.y + BODY, BODY, Style::Regular, MUTED, label);
            for (idx, line) in lines.iter().enumerate() {
                let y = self.y + BODY + idx as f32 * BODY * LEADING;
                self.text_at(MARGIN_X + label_w, y, BODY, Style::Regular, INK, line);
            }
            self.y += height;
        }
    }

    fn bullet(&mut self, x: f32, text: &str) {
        let lines = text::wrap(
            Style::Regular,
            BODY,
            text,
            CONTENT_W - (x - MARGIN_X) - 10.0,
        );
        self.room(BODY * LEADING);
        self.text_at(x, self.y + BODY, BODY, Style::Regular, MUTED, "•");
        for line in lines {
            self.line(x + 10.0, BODY, Style::Regular, INK, &line);
        }
    }

    /// A muted sentence saying a section is empty, and why where it matters.
    fn none(&mut self, text: &str) {
        self.paragraph(MARGIN_X, CONTENT_W, BODY, Style::Regular, MUTED, text);
    }
}

/// Writes the report of `subject`'s scan.
pub fn render(subject: &Subject, dossier: &Dossier) -> Result<Vec<u8>, ReportError> {
    let lang = Lang::parse(&dossier.lang);
    let mut flow = Flow::new(lang);
    cover(&mut flow, subject, dossier);
    flow.new_page();
    risk_factors(&mut flow, dossier);
    profiles(&mut flow, dossier);
    contacts(&mut flow, dossier);
    breaches(&mut flow, dossier);
    if let Some(phone) = &dossier.phone_profile {
        phone_profile(&mut flow, phone);
    }
    checks(&mut flow, dossier);
    footers(&mut flow, subject);
    draw(flow, subject, dossier)
}

fn cover(flow: &mut Flow, subject: &Subject, dossier: &Dossier) {
    let lang = flow.lang;
    // The navy band: report name, target, kind. Its height follows the target's lines.
    let band_index = flow.pages[0].len();
    flow.y = 40.0;
    let title = flow.t("SKOPIO · OSINT REPORT", "SKOPIO · ОТЧЁТ OSINT");
    flow.line(MARGIN_X, 9.5, Style::Bold, Rgb(0xa9, 0xb8, 0xd6), title);
    flow.gap(12.0);
    for line in text::wrap(Style::Bold, 24.0, &subject.target, CONTENT_W) {
        flow.line(MARGIN_X, 24.0, Style::Bold, WHITE, &line);
    }
    flow.gap(2.0);
    let kind = super::kind_label(lang, subject.kind);
    flow.line(MARGIN_X, 11.5, Style::Regular, Rgb(0xd7, 0xde, 0xec), kind);
    flow.gap(18.0);
    let band_bottom = flow.y;
    flow.pages[0].insert(
        band_index,
        Op::Rect {
            x: 0.0,
            y: 0.0,
            w: PAGE_W,
            h: band_bottom,
            colour: NAVY,
        },
    );
    flow.gap(26.0);

    // The risk badge, with the scan's facts beside it.
    let risk = &dossier.risk;
    let (fill, ink) = super::band_colours(&risk.band);
    let (badge_w, badge_h) = (196.0, 66.0);
    let top = flow.y;
    flow.rect(MARGIN_X, top, badge_w, badge_h, fill);
    let label = super::band_label(lang, &risk.band);
    let size = text::fitting_size(Style::Bold, 15.0, 9.0, &label, badge_w - 20.0);
    let label_w = text::width(Style::Bold, size, &label);
    let x = MARGIN_X + (badge_w - label_w) / 2.0;
    flow.text_at(x, top + 28.0, size, Style::Bold, ink, &label);
    let score = format!("{} / 100", risk.score);
    let score_w = text::width(Style::Regular, 12.0, &score);
    let x = MARGIN_X + (badge_w - score_w) / 2.0;
    flow.text_at(x, top + 50.0, 12.0, Style::Regular, ink, &score);
    let n_with = |status: RecipeStatus| {
        let n = dossier
            .recipes
            .iter()
            .filter(|r| r.status == status)
            .count();
        i18n::number(lang, n as u64)
    };
    let (done, failed, skipped) = (
        n_with(RecipeStatus::Ok),
        n_with(RecipeStatus::Error),
        n_with(RecipeStatus::Skipped),
    );
    let checks = lang.pick(
        format!("{done} done, {failed} failed, {skipped} skipped"),
        format!("успешно {done}, сбой {failed}, пропуск {skipped}"),
    );
    let facts = [
        (
            flow.t("Completed", "Завершено"),
            i18n::day_time(lang, subject.completed_ms),
        ),
        (flow.t("Scan ID", "Идентификатор"), subject.scan_id.clone()),
        (flow.t("Checks", "Проверки"), checks),
        (
            flow.t("Findings", "Наблюдения"),
            i18n::number(lang, u64::from(dossier.counts.findings)),
        ),
    ];
    let facts_x = MARGIN_X + badge_w + 24.0;
    for (idx, (label, value)) in facts.iter().enumerate() {
        let y = top + 13.0 + idx as f32 * 15.5;
        flow.text_at(facts_x, y, SMALL, Style::Regular, MUTED, label);
        let room = PAGE_W - MARGIN_X - facts_x - 80.0;
        let size = text::fitting_size(Style::Regular, BODY, 6.5, value, room);
        let value = text::ellipsized(Style::Regular, size, value, room);
        flow.text_at(facts_x + 80.0, y, size, Style::Regular, INK, &value);
    }
    flow.y = top + badge_h + 20.0;
    scale(flow, risk.score);

    // Key counts.
    let figures = [
        (
            dossier.profiles.verified.len(),
            flow.t("verified profiles", "подтверждённые профили"),
        ),
        (
            dossier.profiles.weak.len(),
            flow.t("weak profiles", "слабые совпадения"),
        ),
        (
            dossier.contacts.emails.len() + dossier.contacts.phones.len(),
            flow.t("contacts", "контакты"),
        ),
        (dossier.breaches.len(), flow.t("breaches", "утечки")),
    ];
    let gutter = 10.0;
    let panel_w = (CONTENT_W - 3.0 * gutter) / 4.0;
    let top = flow.y;
    for (idx, (n, label)) in figures.iter().enumerate() {
        let x = MARGIN_X + idx as f32 * (panel_w + gutter);
        flow.rect(x, top, panel_w, 54.0, PANEL);
        let n = i18n::number(lang, *n as u64);
        flow.text_at(x + 12.0, top + 27.0, 20.0, Style::Bold, NAVY, &n);
        let size = text::fitting_size(Style::Regular, SMALL, 6.0, label, panel_w - 20.0);
        flow.text_at(x + 12.0, top + 43.0, size, Style::Regular, MUTED, label);
    }
    flow.y = top + 54.0;

    flow.heading(flow.t("Summary", "Заключение"));
    flow.paragraph(
        MARGIN_X,
        CONTENT_W,
        10.5,
        Style::Regular,
        INK,
        &dossier.ai_summary,
    );
    flow.gap(4.0);
    let source = super::summary_source(lang, dossier);
    flow.paragraph(MARGIN_X, CONTENT_W, SMALL, Style::Regular, MUTED, &source);
}

/// The 0–100 scale with the bands' ranges and a marker at the score.
fn scale(flow: &mut Flow, score: u32) {
    use crate::engine::risk::{CRITICAL_FROM, HIGH_FROM, MEDIUM_FROM};
    let top = flow.y;
    let at = |value: u32| MARGIN_X + CONTENT_W * value.min(100) as f32 / 100.0;
    let ranges = [
        (0, MEDIUM_FROM, "low"),
        (MEDIUM_FROM, HIGH_FROM, "medium"),
        (HIGH_FROM, CRITICAL_FROM, "high"),
        (CRITICAL_FROM, 100, "critical"),
    ];
    for (from, to, band) in ranges {
        let (colour, _) = super::band_colours(band);
        flow.rect(at(from), top, at(to) - at(from), 7.0, colour);
    }
    let marker = at(score).clamp(MARGIN_X + 1.5, MARGIN_X + CONTENT_W - 1.5);
    flow.rect(marker - 1.5, top - 5.0, 3.0, 17.0, INK);
    for value in [0, MEDIUM_FROM, HIGH_FROM, CRITICAL_FROM, 100] {
        let label = value.to_string();
        let w = text::width(Style::Regular, 7.5, &label);
        let x = (at(value) - w / 2.0).clamp(MARGIN_X, MARGIN_X + CONTENT_W - w);
        flow.text_at(x, top + 21.0, 7.5, Style::Regular, MUTED, &label);
    }
    flow.y = top + 36.0;
}

fn risk_factors(flow: &mut Flow, dossier: &Dossier) {
    let lang = flow.lang;
    flow.heading(flow.t("Risk factors", "Факторы риска"));
    let factors = &dossier.risk.factors;
    if factors.is_empty() {
        flow.none(flow.t(
            "No risk factors: nothing the checks found raises the risk.",
            "Факторов риска нет: ничто из найденного риск не повышает.",
        ));
        return;
    }
    let (weight_w, name_w) = (44.0, 150.0);
    let reason_x = MARGIN_X + weight_w + name_w;
    let reason_w = CONTENT_W - weight_w - name_w;
    let header_y = flow.y + SMALL;
    flow.text_at(
        MARGIN_X,
        header_y,
        SMALL,
        Style::Bold,
        MUTED,
        flow.t("WEIGHT", "ВЕС"),
    );
    flow.text_at(
        MARGIN_X + weight_w,
        header_y,
        SMALL,
        Style::Bold,
        MUTED,
        flow.t("FACTOR", "ФАКТОР"),
    );
    flow.text_at(
        reason_x,
        header_y,
        SMALL,
        Style::Bold,
        MUTED,
        flow.t("REASON", "ПРИЧИНА"),
    );
    flow.y += SMALL * LEADING + 2.0;
    flow.rule(RULE);
    flow.gap(4.0);
    for factor in factors {
        let names = text::wrap(
            Style::Bold,
            BODY,
            &super::factor_label(lang, &factor.name),
            name_w - 10.0,
        );
        let reasons = text::wrap(Style::Regular, BODY, &factor.detail, reason_w);
        let height = names.len().max(reasons.len()) as f32 * BODY * LEADING;
        flow.room(height + 5.0);
        let weight = format!("+{}", factor.weight);
        let x = MARGIN_X + 26.0 - text::width(Style::Bold, BODY, &weight);
        flow.text_at(x, flow.y + BODY, BODY, Style::Bold, NAVY, &weight);
        for (idx, line) in names.iter().enumerate() {
            let y = flow.y + BODY + idx as f32 * BODY * LEADING;
            flow.text_at(MARGIN_X + weight_w, y, BODY, Style::Bold, INK, line);
        }
        for (idx, line) in reasons.iter().enumerate() {
            let y = flow.y + BODY + idx as f32 * BODY * LEADING;
            flow.text_at(reason_x, y, BODY, Style::Regular, INK, line);
        }
        flow.y += height + 2.0;
        flow.rule(RULE);
        flow.gap(3.0);
    }
    let total = lang.pick(
        format!(
            "Score: the sum of the weights, at most 100 — {} ({}).",
            dossier.risk.score, dossier.risk.band
        ),
        format!(
            "Оценка — сумма весов, не более 100: {} ({}).",
            dossier.risk.score,
            super::band_label(lang, &dossier.risk.band).to_lowercase()
        ),
    );
    flow.gap(2.0);
    flow.paragraph(MARGIN_X, CONTENT_W, SMALL, Style::Regular, MUTED, &total);
}

fn profiles(flow: &mut Flow, dossier: &Dossier) {
    let searched = dossier.sites_checked();
    let not_searched = flow.t(
        "Site-presence checks were not part of this scan.",
        "Проверка аккаунтов на сайтах в этот поиск не входила.",
    );
    let groups = [
        (
            flow.t("Verified profiles", "Подтверждённые профили"),
            &dossier.profiles.verified,
            flow.t(
                "No account was confirmed for this target.",
                "Ни один аккаунт не подтверждён.",
            ),
        ),
        (
            flow.t("Weak profiles", "Слабые совпадения"),
            &dossier.profiles.weak,
            flow.t("No weak matches.", "Слабых совпадений нет."),
        ),
    ];
    for (title, list, empty) in groups {
        flow.heading(title);
        if list.is_empty() {
            flow.none(if searched { empty } else { not_searched });
            continue;
        }
        for profile in list.iter() {
            profile_block(flow, profile);
        }
    }
}

fn profile_block(flow: &mut Flow, profile: &Profile) {
    let lang = flow.lang;
    flow.room(BODY * LEADING * 4.0);
    let confidence = format!("{:.0}%", (profile.confidence * 100.0).clamp(0.0, 100.0));
    let title = format!("{} — {}", profile.site, profile.username);
    // Wrapped, not cut: an imported list may name a site at any length.
    flow.paragraph(MARGIN_X, CONTENT_W, 10.5, Style::Bold, INK, &title);
    let meta = lang.pick(
        format!(
            "Category: {} · confidence {confidence} · found from: {}",
            profile.category, profile.source
        ),
        format!(
            "Категория: {} · уверенность {confidence} · источник: {}",
            profile.category, profile.source
        ),
    );
    flow.paragraph(MARGIN_X, CONTENT_W, SMALL, Style::Regular, MUTED, &meta);
    flow.link(MARGIN_X, CONTENT_W, BODY, &profile.url);
    for evidence in &profile.evidence {
        flow.bullet(MARGIN_X + 4.0, evidence);
    }
    flow.gap(6.0);
}

fn contacts(flow: &mut Flow, dossier: &Dossier) {
    flow.heading(flow.t("Contacts", "Контакты"));
    let contacts = &dossier.contacts;
    if contacts.emails.is_empty() && contacts.phones.is_empty() {
        flow.none(flow.t(
            "No email addresses or phone numbers were found published on profiles.",
            "Адресов почты и телефонов, опубликованных в профилях, не найдено.",
        ));
        return;
    }
    let email = flow.t("Email", "Почта");
    let phone = flow.t("Phone", "Телефон");
    let from = flow.t("from", "источник:");
    let rows: Vec<(&str, String)> = contacts
        .emails
        .iter()
        .map(|c| (email, c))
        .chain(contacts.phones.iter().map(|c| (phone, c)))
        .map(|(label, c)| (label, format!("{}   ({from} {})", c.value, c.source)))
        .collect();
    flow.key_values(&rows, 70.0);
}

fn breaches(flow: &mut Flow, dossier: &Dossier) {
    let lang = flow.lang;
    flow.heading(flow.t("Breaches", "Утечки"));
    let checked = dossier
        .recipes
        .iter()
        .any(|r| r.name.starts_with("breach") && r.status == RecipeStatus::Ok);
    if dossier.breaches.is_empty() {
        flow.none(match checked {
            true => flow.t(
                "The target is in none of the breaches in the local index.",
                "В утечках из локальной базы цель не найдена.",
            ),
            false => flow.t(
                "No breach check was made in this scan.",
                "Проверка утечек в этом поиске не выполнялась.",
            ),
        });
        return;
    }
    let mut list: Vec<&Breach> = dossier.breaches.iter().collect();
    list.sort_by(|a, b| b.date.cmp(&a.date).then(a.name.cmp(&b.name)));
    for breach in list {
        flow.room(BODY * LEADING * 4.0);
        let title = match breach.title == breach.name {
            true => breach.title.clone(),
            false => format!("{} ({})", breach.title, breach.name),
        };
        flow.paragraph(MARGIN_X, CONTENT_W, 10.5, Style::Bold, INK, &title);
        let mut facts = vec![
            i18n::month_year(lang, &breach.date),
            i18n::count(
                lang,
                breach.accounts,
                ("account", "accounts"),
                ("учётная запись", "учётные записи", "учётных записей"),
            ),
            match breach.verified {
                true => flow.t("verified", "подтверждена").to_string(),
                false => flow.t("unverified", "не подтверждена").to_string(),
            },
        ];
        facts.retain(|f| !f.is_empty());
        for flag in &breach.flags {
            facts.push(flag_label(lang, flag));
        }
        flow.paragraph(
            MARGIN_X,
            CONTENT_W,
            SMALL,
            Style::Regular,
            MUTED,
            &facts.join(" · "),
        );
        if !breach.classes.is_empty() {
            let exposed = format!(
                "{} {}",
                flow.t("Exposed:", "Раскрыто:"),
                breach.classes.join(", ")
            );
            flow.paragraph(MARGIN_X, CONTENT_W, BODY, Style::Regular, INK, &exposed);
        }
        flow.gap(6.0);
    }
}

fn flag_label(lang: Lang, flag: &str) -> String {
    let (en, ru) = match flag {
        "sensitive" => ("sensitive", "чувствительная"),
        "malware" => ("stolen by malware", "похищено вредоносной программой"),
        "fabricated" => ("flagged fabricated", "отмечена как поддельная"),
        "spam_list" => ("spam list", "спам-база"),
        "retired" => ("retired", "снята с публикации"),
        other => (other, other),
    };
    lang.pick(en, ru).to_string()
}

fn phone_profile(flow: &mut Flow, phone: &PhoneProfile) {
    let lang = flow.lang;
    flow.heading(flow.t("Phone profile", "Профиль номера"));
    let yes_no = |value: bool| match value {
        true => lang.pick("yes", "да").to_string(),
        false => lang.pick("no", "нет").to_string(),
    };
    let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_string());
    let rows = [
        (flow.t("E.164", "E.164"), phone.e164.clone()),
        (
            flow.t("International", "Международный"),
            phone.international.clone(),
        ),
        (flow.t("National", "Национальный"), phone.national.clone()),
        (flow.t("Country", "Страна"), or_dash(&phone.country)),
        (flow.t("Region code", "Код региона"), or_dash(&phone.region)),
        (
            flow.t("Line type", "Тип линии"),
            crate::engine::summary::line_type_name(&phone.line_type, lang),
        ),
        (flow.t("Valid", "Действителен"), yes_no(phone.valid)),
        (flow.t("Carrier", "Оператор"), or_dash(&phone.carrier)),
        (
            flow.t("Location", "Местоположение"),
            or_dash(&phone.location),
        ),
        (
            flow.t("Time zones", "Часовые пояса"),
            match phone.timezones.is_empty() {
                true => "—".to_string(),
                false => phone.timezones.join(", "),
            },
        ),
    ];
    flow.key_values(&rows, 110.0);
}

fn checks(flow: &mut Flow, dossier: &Dossier) {
    let lang = flow.lang;
    flow.heading(flow.t("What was checked", "Что проверялось"));
    for run in &dossier.recipes {
        let status = match run.status {
            RecipeStatus::Ok => lang.pick("done", "выполнена"),
            RecipeStatus::Error => lang.pick("FAILED", "ОШИБКА"),
            RecipeStatus::Skipped => lang.pick("skipped", "пропущена"),
        };
        let head = format!(
            "{} — {status} · {} · {} ms",
            run.name,
            i18n::count(
                lang,
                u64::from(run.findings),
                ("finding", "findings"),
                ("наблюдение", "наблюдения", "наблюдений")
            ),
            i18n::number(lang, run.duration_ms)
        );
        flow.room(BODY * LEADING * 2.0);
        flow.paragraph(MARGIN_X, CONTENT_W, BODY, Style::Bold, INK, &head);
        if !run.note.is_empty() {
            flow.paragraph(
                MARGIN_X + 10.0,
                CONTENT_W - 10.0,
                BODY,
                Style::Regular,
                MUTED,
                &run.note,
            );
        }
        flow.gap(3.0);
    }
    let searched_sites = dossier.sites_checked();
    let searched_breaches = dossier.recipes.iter().any(|r| r.name.starts_with("breach"));
    let mut missing = Vec::new();
    if !searched_sites {
        missing.push(flow.t("site-presence checks", "проверка аккаунтов на сайтах"));
    }
    if !searched_breaches {
        missing.push(flow.t(
            "breach lookups (the local breach index holds no data)",
            "поиск по утечкам (локальная база утечек пуста)",
        ));
    }
    if !missing.is_empty() {
        flow.gap(4.0);
        let line = format!(
            "{} {}.",
            flow.t("Not part of this scan:", "Не входило в этот поиск:"),
            i18n::list(lang, &missing)
        );
        flow.paragraph(MARGIN_X, CONTENT_W, BODY, Style::Regular, MUTED, &line);
    }
    if !dossier.findings.is_empty() {
        flow.subheading(flow.t("Observations", "Наблюдения"));
        for finding in &dossier.findings {
            flow.bullet(MARGIN_X + 4.0, &finding.detail);
        }
    }
}

fn footers(flow: &mut Flow, subject: &Subject) {
    let lang = flow.lang;
    let n_pages = flow.pages.len();
    let left = lang.pick(
        format!(
            "Skopio · {} · confidential: holds personal data",
            subject.scan_id
        ),
        format!(
            "Skopio · {} · конфиденциально: содержит персональные данные",
            subject.scan_id
        ),
    );
    for (idx, page) in flow.pages.iter_mut().enumerate() {
        let right = lang.pick(
            format!("Page {} of {n_pages}", idx + 1),
            format!("Стр. {} из {n_pages}", idx + 1),
        );
        let right_w = text::width(Style::Regular, 7.5, &right);
        let left = text::ellipsized(Style::Regular, 7.5, &left, CONTENT_W - right_w - 20.0);
        page.push(Op::Rect {
            x: MARGIN_X,
            y: FOOTER_BASELINE - 14.0,
            w: CONTENT_W,
            h: 0.5,
            colour: RULE,
        });
        for (x, text) in [(MARGIN_X, left), (PAGE_W - MARGIN_X - right_w, right)] {
            page.push(Op::Text {
                x,
                y: FOOTER_BASELINE,
                size: 7.5,
                style: Style::Regular,
                colour: MUTED,
                text,
            });
        }
    }
}

/// `line` as runs in the order they appear on the page, each with its direction; a line
/// with no right-to-left character is one left-to-right run.
fn visual_runs(line: &str) -> Vec<(&str, TextDirection)> {
    let bidi = unicode_bidi::BidiInfo::new(line, None);
    if !bidi.has_rtl() {
        return vec![(line, TextDirection::LeftToRight)];
    }
    let mut runs = Vec::new();
    for paragraph in &bidi.paragraphs {
        let (levels, ranges) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for range in ranges {
            let direction = match levels[range.start].is_rtl() {
                true => TextDirection::RightToLeft,
                false => TextDirection::LeftToRight,
            };
            runs.push((&line[range], direction));
        }
    }
    runs
}

fn fill(colour: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// The scan's completion time as the PDF's creation date, so that it never depends on
/// when the report is drawn.
fn creation_date(unix_ms: i64) -> Option<DateTime> {
    let at = time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000)).ok()?;
    let year = u16::try_from(at.year()).ok()?;
    Some(
        DateTime::new(year)
            .month(u8::from(at.month()))
            .day(at.day())
            .hour(at.hour())
            .minute(at.minute())
            .second(at.second())
            .utc_offset_hour(0)
            .utc_offset_minute(0),
    )
}

fn draw(flow: Flow, subject: &Subject, dossier: &Dossier) -> Result<Vec<u8>, ReportError> {
    let regular = Font::new(text::REGULAR.into(), 0)
        .ok_or_else(|| ReportError::Pdf("the regular font does not load".to_string()))?;
    let bold = Font::new(text::BOLD.into(), 0)
        .ok_or_else(|| ReportError::Pdf("the bold font does not load".to_string()))?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| ReportError::Pdf("bad page size".to_string()))?;
    let mut document = Document::new();
    for ops in &flow.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut links = Vec::new();
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    style,
                    colour,
                    text,
                } => {
                    let font = match style {
                        Style::Regular => regular.clone(),
                        Style::Bold => bold.clone(),
                    };
                    surface.set_fill(Some(fill(*colour)));
                    let mut run_x = *x;
                    for (run, direction) in visual_runs(text) {
                        surface.draw_text(
                            Point::from_xy(run_x, *y),
                            font.clone(),
                            *size,
                            run,
                            false,
                            direction,
                        );
                        run_x += text::width(*style, *size, run);
                    }
                }
                Op::Rect { x, y, w, h, colour } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_fill(Some(fill(*colour)));
                        surface.draw_path(&path);
                    }
                }
                Op::Link { x, y, w, h, url } => {
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        links.push((rect, url.clone()));
                    }
                }
            }
        }
        surface.finish();
        for (rect, url) in links {
            let target = Target::Action(LinkAction::new(url).into());
            page.add_annotation(LinkAnnotation::new(rect, target).into());
        }
        page.finish();
    }
    let mut outline = Outline::new();
    for (title, page, y) in flow.outline {
        let destination = XyzDestination::new(page, Point::from_xy(0.0, (y - 8.0).max(0.0)));
        outline.push_child(OutlineNode::new(title, destination));
    }
    document.set_outline(outline);
    let lang = flow.lang;
    let title = lang.pick(
        format!("Skopio report: {}", subject.target),
        format!("Отчёт Skopio: {}", subject.target),
    );
    let mut metadata = Metadata::new()
        .title(title)
        .language(lang.code().to_string())
        .creator("Skopio".to_string())
        .producer(format!("Skopio {}", env!("CARGO_PKG_VERSION")))
        .description(format!(
            "{} — {} ({}/100)",
            super::kind_label(lang, subject.kind),
            super::band_label(lang, &dossier.risk.band),
            dossier.risk.score
        ));
    if let Some(date) = creation_date(subject.completed_ms) {
        metadata = metadata.creation_date(date);
    }
    document.set_metadata(metadata);
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests;
