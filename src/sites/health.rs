//! Site health: the outcomes of a site's most recent checks, and the rule that flags a
//! site whose answers are mostly unknown. A site behind a new WAF, or one that changed its
//! pages, stops answering usefully long before anyone edits its definition; counting its
//! recent unknowns lets a scan say "this site is not to be trusted alone" instead of
//! silently reporting what it says.
//!
//! The rule: a site is **flagged** once at least `MIN_OUTCOMES` of its last `WINDOW`
//! checks are on record and more than half of them were unknown (`illegal` is never
//! recorded: nothing was sent, so it says nothing about the site). A found account on a
//! flagged site is reported weak, with the site's record as evidence.

use std::collections::BTreeMap;

use super::detect::{Unknown, Verdict};

/// Outcomes kept per site.
pub const WINDOW: usize = 50;
/// Outcomes needed before a site can be flagged.
pub const MIN_OUTCOMES: usize = 10;

const FOUND: u8 = 0;
const MISSING: u8 = 1;
/// Unknown reasons are `UNKNOWN_BASE + index in Unknown::ALL`.
const UNKNOWN_BASE: u8 = 2;

/// The one-byte code of a verdict, or `None` for one that is not recorded.
pub fn code(verdict: &Verdict) -> Option<u8> {
    match verdict {
        Verdict::Found(_) => Some(FOUND),
        Verdict::Missing => Some(MISSING),
        Verdict::Unknown(Unknown::Illegal, _) => None,
        Verdict::Unknown(reason, _) => Unknown::ALL
            .iter()
            .position(|r| r == reason)
            .map(|i| UNKNOWN_BASE + i as u8),
    }
}

/// Appends `code` to a site's recent outcomes, keeping the last `WINDOW`.
pub fn push(recent: &mut Vec<u8>, code: u8) {
    recent.push(code);
    if recent.len() > WINDOW {
        let extra = recent.len() - WINDOW;
        recent.drain(..extra);
    }
}

/// What a site's recent outcomes add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub found: u32,
    pub missing: u32,
    pub unknown: BTreeMap<Unknown, u32>,
}

impl Summary {
    pub fn of(recent: &[u8]) -> Summary {
        let mut summary = Summary::default();
        for &code in recent {
            match code {
                FOUND => summary.found += 1,
                MISSING => summary.missing += 1,
                other => {
                    if let Some(reason) = Unknown::ALL.get(usize::from(other - UNKNOWN_BASE)) {
                        *summary.unknown.entry(*reason).or_default() += 1;
                    }
                }
            }
        }
        summary
    }

    pub fn unknowns(&self) -> u32 {
        self.unknown.values().sum()
    }

    pub fn total(&self) -> u32 {
        self.found + self.missing + self.unknowns()
    }

    pub fn flagged(&self) -> bool {
        self.total() as usize >= MIN_OUTCOMES && self.unknowns() * 2 > self.total()
    }

    /// One line for evidence and listings: "31 of 40 recent checks unknown (waf 25, …)".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .unknown
            .iter()
            .map(|(reason, n)| format!("{} {n}", reason.as_str()))
            .collect();
        let mut line = format!(
            "{} of {} recent checks unknown",
            self.unknowns(),
            self.total()
        );
        if !parts.is_empty() {
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(reason: Unknown) -> Verdict {
        Verdict::Unknown(reason, String::new())
    }

    #[test]
    fn a_site_is_flagged_only_with_enough_mostly_unknown_outcomes() {
        let mut recent = Vec::new();
        for _ in 0..6 {
            push(&mut recent, code(&unknown(Unknown::Waf)).unwrap());
        }
        assert!(!Summary::of(&recent).flagged(), "too few outcomes to judge");
        for _ in 0..4 {
            push(&mut recent, code(&Verdict::Missing).unwrap());
        }
        let summary = Summary::of(&recent);
        assert!(summary.flagged(), "6 of 10 unknown");
        assert_eq!(summary.describe(), "6 of 10 recent checks unknown (waf 6)");
        push(&mut recent, code(&Verdict::Found(Vec::new())).unwrap());
        push(&mut recent, code(&Verdict::Found(Vec::new())).unwrap());
        assert!(
            !Summary::of(&recent).flagged(),
            "6 of 12 is not more than half"
        );
    }

    #[test]
    fn only_the_last_window_counts_and_illegal_is_not_recorded() {
        let mut recent = Vec::new();
        for _ in 0..WINDOW {
            push(&mut recent, code(&unknown(Unknown::Timeout)).unwrap());
        }
        for _ in 0..WINDOW {
            push(&mut recent, code(&Verdict::Missing).unwrap());
        }
        assert_eq!(recent.len(), WINDOW);
        assert_eq!(Summary::of(&recent).missing, WINDOW as u32);
        assert_eq!(code(&unknown(Unknown::Illegal)), None);
        for reason in Unknown::ALL.into_iter().filter(|r| *r != Unknown::Illegal) {
            let summary = Summary::of(&[code(&unknown(reason)).unwrap()]);
            assert_eq!(summary.unknown.get(&reason), Some(&1));
        }
    }
}
