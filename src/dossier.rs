//! The dossier: what a completed scan returns as `result` (SPEC section 5), and the
//! `Finding`, the unit of observation every recipe reports. These are wire types: their
//! serde names are the public contract, so a field renamed here breaks customers.

use serde::{Deserialize, Serialize};

/// One observation a recipe made. `code` is a stable dotted name (`email.plus_tag`,
/// `phone.invalid`) that risk scoring and the summary key on; `detail` is one readable
/// sentence (English) naming what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub detail: String,
}

impl Finding {
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            code: code.into(),
            detail: detail.into(),
        }
    }
}

/// What the phone recipe learns about a number, field for field as libphonenumber names
/// it. `type` is one of libphonenumber's line types in snake case (`mobile`,
/// `fixed_line`, `fixed_line_or_mobile`, `toll_free`, `premium_rate`, `shared_cost`,
/// `voip`, `personal_number`, `pager`, `uan`, `voicemail`, `unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneProfile {
    pub e164: String,
    pub international: String,
    pub national: String,
    pub country_code: u32,
    /// ISO 3166 region (`"US"`), or `"001"` for non-geographic numbers, or null.
    pub region: Option<String>,
    /// English name of the region, or null when unknown.
    pub country: Option<String>,
    #[serde(rename = "type")]
    pub line_type: String,
    pub valid: bool,
    pub possible: bool,
    pub carrier: Option<String>,
    pub location: Option<String>,
    pub timezones: Vec<String>,
}

/// The whole `result` of a completed scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    pub risk: Risk,
    pub counts: Counts,
    pub profiles: Profiles,
    pub contacts: Contacts,
    pub breaches: Vec<Breach>,
    pub phone_profile: Option<PhoneProfile>,
    pub ai_summary: String,
    /// Who wrote `ai_summary`: `template`, or the configured model's name.
    pub summary_source: String,
    pub lang: String,
    pub artifacts: Artifacts,
    pub recipes: Vec<RecipeRun>,
    /// Every observation, with the recipe that made it.
    pub findings: Vec<RecipeFinding>,
}

impl Dossier {
    /// Whether site-presence checks ran for this scan (not skipped, not failed), so that
    /// "no account found" is said only where accounts were looked for.
    pub fn sites_checked(&self) -> bool {
        self.recipes
            .iter()
            .any(|r| r.name.ends_with(".sites") && r.status == RecipeStatus::Ok)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub score: u32,
    pub band: String,
    pub factors: Vec<RiskFactor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFactor {
    pub name: String,
    pub weight: u32,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub cases: u32,
    pub entities: u32,
    pub findings: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Profiles {
    pub verified: Vec<Profile>,
    pub weak: Vec<Profile>,
}

/// An account on a site. `confidence` is 0..1; `evidence` lists what put the profile in
/// its group; `source` names the finding that led to it (the target, or a pivot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub site: String,
    pub url: String,
    pub username: String,
    pub category: String,
    pub confidence: f64,
    pub evidence: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Contacts {
    pub emails: Vec<Contact>,
    pub phones: Vec<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub name: String,
    pub title: String,
    /// `YYYY-MM`.
    pub date: String,
    pub accounts: u64,
    pub classes: Vec<String>,
    pub verified: bool,
    /// What the breach catalogue says of it beyond its data classes: `sensitive` (being
    /// in it can itself harm the owner), `malware` (stealer logs: taken from the owners'
    /// own devices), `fabricated`, `spam_list`, `retired`. Empty in dossiers stored before
    /// the field existed.
    #[serde(default)]
    pub flags: Vec<String>,
}

impl Breach {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Whether its data says something about the target's own accounts: a breach
    /// flagged fabricated or a spam list is listed but weighs nothing in the risk.
    pub fn credible(&self) -> bool {
        !self.has_flag("fabricated") && !self.has_flag("spam_list")
    }
}

/// Absolute URLs of the report and the person card. Null in the stored dossier (and from
/// `skopio scan`, which has no server to serve them); the API fills them when it shows
/// a completed scan, from the configured public base URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Artifacts {
    pub pdf: Option<String>,
    pub person_card: Option<String>,
}

impl Artifacts {
    /// The URLs the API serves a completed scan's artifacts at.
    pub fn for_scan(base_url: &str, scan_id: &str) -> Artifacts {
        Artifacts {
            pdf: Some(format!("{base_url}/api/v1/scan/{scan_id}/report.pdf")),
            person_card: Some(format!("{base_url}/api/v1/scan/{scan_id}/person-card")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipeStatus {
    Ok,
    Error,
    Skipped,
}

/// How one recipe went: `note` says what it checked, or why it failed or was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeRun {
    pub name: String,
    pub status: RecipeStatus,
    pub findings: u32,
    pub duration_ms: u64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeFinding {
    pub recipe: String,
    pub code: String,
    pub detail: String,
}
