//! English and Russian wording shared by the summary, the PDF report and the person card:
//! plural forms, numbers, month names and dates, and lists, each right in both languages
//! (`1 утечка, 2 утечки, 5 утечек`; `152,445,165` and `152 445 165`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    /// The dossier's `lang`; anything but `ru` is English.
    pub fn parse(code: &str) -> Lang {
        match code {
            "ru" => Lang::Ru,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// `en` or `ru` by language: the one place a phrase's two versions meet.
    pub fn pick<T>(self, en: T, ru: T) -> T {
        match self {
            Lang::En => en,
            Lang::Ru => ru,
        }
    }
}

/// The Russian plural category of `n`: `one` for 1, 21, 101 …; `few` for 2–4, 22–24 …;
/// `many` for 0, 5–20, 25–30 … (the teens are always `many`).
pub fn ru_form<'w>(n: u64, one: &'w str, few: &'w str, many: &'w str) -> &'w str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// Whether a Russian word after `n` takes its singular form in the prepositional and
/// other oblique cases (`в 1 утечке`, `в 21 утечке`, but `в 2 утечках`, `в 11 утечках`).
pub fn ru_singular(n: u64) -> bool {
    n % 10 == 1 && n % 100 != 11
}

/// `n` and its noun: `3 breaches`, `1 breach`; `3 утечки`, `5 утечек`. `en` is (one,
/// other), `ru` is (one, few, many).
pub fn count(lang: Lang, n: u64, en: (&str, &str), ru: (&str, &str, &str)) -> String {
    let noun = match lang {
        Lang::En if n == 1 => en.0,
        Lang::En => en.1,
        Lang::Ru => ru_form(n, ru.0, ru.1, ru.2),
    };
    format!("{} {noun}", number(lang, n))
}

/// `152,445,165` in English, `152 445 165` (no-break spaces) in Russian.
pub fn number(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let separator = lang.pick(',', '\u{a0}');
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, digit) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx) % 3 == 0 {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Nominative, as in `октябрь 2013`.
const MONTHS_RU: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];
/// Genitive, as in `3 декабря 2025 г.`.
const MONTHS_RU_OF: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// `October 2013` / `октябрь 2013` from a `YYYY-MM` date; the text as it is when it is
/// not one.
pub fn month_year(lang: Lang, date: &str) -> String {
    let parsed = date
        .get(0..4)
        .zip(date.get(5..7))
        .and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m.parse::<usize>().ok()?)));
    match parsed {
        Some((year, month @ 1..=12)) => {
            let name = lang.pick(MONTHS_EN, MONTHS_RU)[month - 1];
            format!("{name} {year}")
        }
        _ => date.to_string(),
    }
}

/// `3 December 2025` / `3 декабря 2025 г.` for a Unix time in milliseconds (UTC).
pub fn day(lang: Lang, unix_ms: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000)) else {
        return String::new();
    };
    let month = usize::from(u8::from(at.month())) - 1;
    match lang {
        Lang::En => format!("{} {} {}", at.day(), MONTHS_EN[month], at.year()),
        Lang::Ru => format!("{} {} {}\u{a0}г.", at.day(), MONTHS_RU_OF[month], at.year()),
    }
}

/// `3 December 2025, 18:05 UTC` / `3 декабря 2025 г., 18:05 UTC`.
pub fn day_time(lang: Lang, unix_ms: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000)) else {
        return String::new();
    };
    format!(
        "{}, {:02}:{:02} UTC",
        day(lang, unix_ms),
        at.hour(),
        at.minute()
    )
}

/// `A`, `A and B`, `A, B and C` / `A и B`, `A, B и C`.
pub fn list<S: AsRef<str>>(lang: Lang, items: &[S]) -> String {
    let and = lang.pick(" and ", " и ");
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{}{and}{}", init.join(", "), last.as_ref())
        }
    }
}

/// Like `list`, but at most `shown` items and then `and 2 more` / `и ещё 2`.
pub fn some(lang: Lang, items: &[String], shown: usize) -> String {
    if items.len() <= shown {
        return list(lang, items);
    }
    let more = items.len() - shown;
    let tail = lang.pick(format!("{more} more"), format!("ещё {more}"));
    let mut head: Vec<String> = items[..shown].to_vec();
    head.push(tail);
    list(lang, &head)
}

/// The first letter in upper case (`medium` → `Medium`).
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals_follow_the_last_digits() {
        let breaches = |n| count(Lang::Ru, n, ("", ""), ("утечка", "утечки", "утечек"));
        let cases = [
            (0, "0 утечек"),
            (1, "1 утечка"),
            (2, "2 утечки"),
            (4, "4 утечки"),
            (5, "5 утечек"),
            (11, "11 утечек"),
            (12, "12 утечек"),
            (14, "14 утечек"),
            (21, "21 утечка"),
            (22, "22 утечки"),
            (111, "111 утечек"),
            (1001, "1\u{a0}001 утечка"),
        ];
        for (n, expected) in cases {
            assert_eq!(breaches(n), expected);
        }
        assert!(ru_singular(1) && ru_singular(21) && ru_singular(101));
        assert!(!ru_singular(11) && !ru_singular(2) && !ru_singular(111));
    }

    #[test]
    fn english_plurals_and_numbers() {
        let accounts = |n| count(Lang::En, n, ("account", "accounts"), ("", "", ""));
        assert_eq!(accounts(1), "1 account");
        assert_eq!(accounts(0), "0 accounts");
        assert_eq!(accounts(152_445_165), "152,445,165 accounts");
        assert_eq!(number(Lang::En, 999), "999");
        assert_eq!(number(Lang::En, 1000), "1,000");
        assert_eq!(number(Lang::Ru, 1_234_567), "1\u{a0}234\u{a0}567");
    }

    #[test]
    fn months_and_days_in_both_languages() {
        assert_eq!(month_year(Lang::En, "2013-10"), "October 2013");
        assert_eq!(month_year(Lang::Ru, "2013-10"), "октябрь 2013");
        assert_eq!(month_year(Lang::En, "2013"), "2013");
        assert_eq!(month_year(Lang::En, "2013-13"), "2013-13");
        // 2025-12-03T18:05:00Z
        let ms = 1_764_785_100_000;
        assert_eq!(day_time(Lang::En, ms), "3 December 2025, 18:05 UTC");
        assert_eq!(day(Lang::Ru, ms), "3 декабря 2025\u{a0}г.");
    }

    #[test]
    fn lists_join_with_the_languages_and() {
        let items: Vec<String> = ["A", "B", "C", "D"].map(String::from).to_vec();
        assert_eq!(list(Lang::En, &items[..1]), "A");
        assert_eq!(list(Lang::En, &items[..3]), "A, B and C");
        assert_eq!(list(Lang::Ru, &items[..2]), "A и B");
        assert_eq!(some(Lang::En, &items, 2), "A, B and 2 more");
        assert_eq!(some(Lang::Ru, &items, 3), "A, B, C и ещё 1");
    }
}
