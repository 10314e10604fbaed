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
        Finding { code: code.into(), detail: detail.into() }
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
