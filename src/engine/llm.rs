//! The summary written by a language model: when `[summary] endpoint` names an
//! OpenAI-compatible server, the engine asks its `/chat/completions` for the dossier's
//! summary, in the scan's language, through `outbound` (proxy, CA roots, user agent) and
//! within `[summary] timeout`. The prompt holds the dossier's findings and nothing else:
//! the target itself is sent only where the dossier already quotes it. Any error, timeout,
//! refusal or empty answer leaves the template's summary in place; `summary_source` says
//! which one wrote it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::config::Config;
use crate::dossier::Dossier;
use crate::i18n::Lang;
use crate::outbound::{FetchError, OutRequest, Outbound, OutboundError};
use crate::target::Kind;

/// Longest answer kept: a summary is a paragraph, and an answer past this is a model
/// rambling, not a summary a client should read.
const MAX_SUMMARY_CHARS: usize = 4_000;
/// Tokens the model may spend on its answer.
const MAX_TOKENS: u32 = 700;

/// Why the model's summary was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum ModelError {
    Fetch(FetchError),
    Status(u16),
    /// The answer is not the JSON of a chat completion.
    Malformed(String),
    Empty,
    TooLong(usize),
    /// The answer does not name the dossier's risk band (it contradicts or omits the
    /// verdict it was asked to begin with).
    OffBand(String),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Fetch(e) => write!(f, "the request failed: {e}"),
            ModelError::Status(status) => write!(f, "the endpoint answered HTTP {status}"),
            ModelError::Malformed(e) => write!(f, "the answer is not a chat completion: {e}"),
            ModelError::Empty => write!(f, "the answer is empty"),
            ModelError::TooLong(n) => write!(f, "the answer is {n} characters long"),
            ModelError::OffBand(band) => write!(f, "the answer does not state the {band} band"),
        }
    }
}

pub struct SummaryModel {
    outbound: Outbound,
    url: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
}

impl SummaryModel {
    /// The configured model, or `None` when `[summary] endpoint` is empty. The API key is
    /// read once, here, from the environment variable `api_key_env` names.
    pub fn from_config(config: &Config) -> Result<Option<SummaryModel>, OutboundError> {
        let summary = &config.summary;
        if summary.endpoint.is_empty() {
            return Ok(None);
        }
        let mut http = config.engine.http.clone();
        http.timeout = summary.timeout;
        let api_key = match summary.api_key_env.as_str() {
            "" => None,
            name => {
                let key = std::env::var(name).ok().filter(|key| !key.is_empty());
                if key.is_none() {
                    tracing::warn!(
                        variable = name,
                        "[summary] api_key_env names an unset variable; the endpoint is \
                         called without a key"
                    );
                }
                key
            }
        };
        Ok(Some(SummaryModel {
            outbound: Outbound::new(&http)?,
            url: completions_url(&summary.endpoint),
            model: summary.model.clone(),
            api_key,
            timeout: summary.timeout,
        }))
    }

    /// Asks for the summary of `dossier` (a scan of a `kind` target). Returns the text and
    /// the name of the model that wrote it.
    pub async fn write(
        &self,
        kind: Kind,
        dossier: &Dossier,
    ) -> Result<(String, String), ModelError> {
        let lang = Lang::parse(&dossier.lang);
        let body = json!({
            "model": self.model,
            "temperature": 0.2,
            "max_tokens": MAX_TOKENS,
            "messages": [
                {"role": "system", "content": instructions(lang)},
                {"role": "user", "content": prompt(kind, dossier)},
            ],
        });
        let mut request = OutRequest::post_json(&self.url, &body);
        if let Some(key) = &self.api_key {
            request
                .headers
                .push(("Authorization".to_string(), format!("Bearer {key}")));
        }
        // `fetch` may retry a fast transient failure; the whole exchange still fits the
        // configured timeout.
        let fetched = match tokio::time::timeout(self.timeout, self.outbound.fetch(request)).await {
            Ok(fetched) => fetched.map_err(ModelError::Fetch)?,
            Err(_) => return Err(ModelError::Fetch(FetchError::Timeout)),
        };
        if !(200..300).contains(&fetched.status) {
            return Err(ModelError::Status(fetched.status));
        }
        let answer: Value = serde_json::from_str(&fetched.body)
            .map_err(|e| ModelError::Malformed(e.to_string()))?;
        let text = answer["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| ModelError::Malformed("no choices[0].message.content".to_string()))?
            .trim();
        let text = plain(text);
        match text.chars().count() {
            0 => return Err(ModelError::Empty),
            n if n > MAX_SUMMARY_CHARS => return Err(ModelError::TooLong(n)),
            _ => {}
        }
        if !names_band(&text, &dossier.risk.band) {
            return Err(ModelError::OffBand(dossier.risk.band.clone()));
        }
        let name = match (self.model.as_str(), answer["model"].as_str()) {
            ("", Some(answered)) if !answered.is_empty() => answered.to_string(),
            ("", _) => "model".to_string(),
            (configured, _) => configured.to_string(),
        };
        Ok((text, name))
    }
}

/// The answer as plain prose: control characters (but line breaks), bidirectional
/// overrides and isolates (which can make text read otherwise than it is) and markdown
/// emphasis and heading marks removed.
fn plain(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let lines: Vec<String> = kept
        .lines()
        .map(|line| {
            line.trim_start_matches('#')
                .trim()
                .replace("**", "")
                .replace("__", "")
        })
        .filter(|line| !line.is_empty() && !line.starts_with("```"))
        .collect();
    lines.join("\n")
}

/// Whether `text` names `band` (in English or Russian), as the verdict it must begin with.
fn names_band(text: &str, band: &str) -> bool {
    let stems: &[&str] = match band {
        "low" => &["low", "низк"],
        "medium" => &["medium", "moderate", "средн", "умерен"],
        "high" => &["high", "высок"],
        "critical" => &["critical", "критич"],
        _ => return true,
    };
    let lower = text.to_lowercase();
    stems.iter().any(|stem| lower.contains(stem))
}

/// `…/v1` → `…/v1/chat/completions`; a URL already naming the route is kept.
fn completions_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    match endpoint.ends_with("/chat/completions") {
        true => endpoint.to_string(),
        false => format!("{endpoint}/chat/completions"),
    }
}

fn instructions(lang: Lang) -> String {
    let language = lang.pick("English", "Russian");
    format!(
        "You write the summary paragraph of an OSINT dossier that an analyst hands to a \
         client. Write in {language}, in plain prose: no markdown, no headings, no lists, at \
         most six sentences. Begin with the verdict: the risk band and the score out of 100. \
         Then give the evidence that matters most, heaviest risk factor first: breaches with \
         their dates and what they exposed, accounts found, published contacts, what the \
         identifier itself is. End by saying which checks failed, were skipped or were not \
         part of the scan. Use only the facts in the dossier; never guess, never add \
         anything from elsewhere, and get numbers, dates and plural forms right."
    )
}

/// The dossier as the model sees it: its findings, without the summary being replaced,
/// the artifacts' URLs or anything the dossier does not hold.
fn prompt(kind: Kind, dossier: &Dossier) -> String {
    let noun = match kind {
        Kind::Email => "an email address",
        Kind::Phone => "a phone number",
        Kind::Username => "a username",
    };
    let findings = json!({
        "risk": dossier.risk,
        "counts": dossier.counts,
        "profiles": dossier.profiles,
        "contacts": dossier.contacts,
        "breaches": dossier.breaches,
        "phone_profile": dossier.phone_profile,
        "recipes": dossier.recipes,
        "findings": dossier.findings,
    });
    format!("The dossier of a scan of {noun}, as JSON:\n{findings}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_completions_route_is_added_once() {
        assert_eq!(
            completions_url("http://127.0.0.1:8000/v1/"),
            "http://127.0.0.1:8000/v1/chat/completions"
        );
        assert_eq!(
            completions_url("https://llm.example/v1/chat/completions"),
            "https://llm.example/v1/chat/completions"
        );
    }

    #[test]
    fn no_endpoint_means_no_model() {
        let config = Config::default();
        assert!(matches!(SummaryModel::from_config(&config), Ok(None)));
    }

    #[test]
    fn answers_are_made_plain_and_must_state_the_band() {
        let raw = "## Verdict\n**High risk** (87/100).\u{202E}txet\u{7} ok\n```";
        assert_eq!(plain(raw), "Verdict\nHigh risk (87/100).txet ok");
        assert!(names_band("High risk (87 out of 100).", "high"));
        assert!(names_band("Высокий риск (87 из 100).", "high"));
        assert!(!names_band("Low risk. No breach exposure.", "high"));
        assert!(names_band("A moderate risk.", "medium"));
    }
}
