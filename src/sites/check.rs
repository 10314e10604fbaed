//! Checking one site for one username, end to end: the definition builds the request, the
//! outbound layer sends it, `detect` reads the answer. A username the site's pattern
//! refuses is never sent (`illegal`); a transport failure is `timeout` or `error`. A found
//! account's page is also read for what it says about its owner: the contacts it lists,
//! and whether it names the identity being looked up (an email target's own address).

use super::Site;
use super::contacts::{self, PageContact};
use super::detect::{Answer, Evidence, Unknown, Verdict, classify};
use crate::outbound::{FetchError, OutRequest, Outbound};

/// What one site said about one username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub site: String,
    /// The profile URL a person would open.
    pub url: String,
    pub verdict: Verdict,
    /// What a found account's page says about its owner; empty otherwise.
    pub page: PageFacts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    pub contacts: Vec<PageContact>,
    /// The page names the identity the scan is about (case-insensitively).
    pub names_identity: bool,
}

impl Checked {
    pub fn evidence(&self) -> &[Evidence] {
        match &self.verdict {
            Verdict::Found(evidence) => evidence,
            _ => &[],
        }
    }
}

/// Checks `username` at `site`. `identity`, when given, is looked for on a found page.
pub async fn check(
    outbound: &Outbound,
    site: &Site,
    username: &str,
    identity: Option<&str>,
) -> Checked {
    let url = site.profile_url_for(username);
    let asked = match site.username_for(username) {
        Ok(asked) => asked,
        Err(reason) => {
            let verdict = Verdict::Unknown(reason, "the site does not allow this username".into());
            return Checked {
                site: site.name.clone(),
                url,
                verdict,
                page: PageFacts::default(),
            };
        }
    };
    let request = OutRequest {
        method: site.method.as_str(),
        url: site.check_url_for(&asked),
        headers: site.headers.clone(),
        body: site.body_for(&asked),
    };
    let check_url = request.url.clone();
    let mut page = PageFacts::default();
    let verdict = match outbound.fetch(request).await {
        Ok(fetched) => {
            let answer = Answer {
                status: fetched.status,
                location: fetched.location.as_deref(),
                retry_after: fetched.retry_after,
                headers: &fetched.headers,
                body: &fetched.body,
            };
            let verdict = classify(site, &asked, &answer);
            if matches!(verdict, Verdict::Found(_)) {
                page = read_page(&fetched.body, &check_url, identity);
            }
            verdict
        }
        Err(FetchError::Timeout) => Verdict::Unknown(Unknown::Timeout, "no answer in time".into()),
        Err(e) => Verdict::Unknown(Unknown::Error, e.to_string()),
    };
    Checked {
        site: site.name.clone(),
        url: site.profile_url_for(&asked),
        verdict,
        page,
    }
}

fn read_page(body: &str, check_url: &str, identity: Option<&str>) -> PageFacts {
    let names_identity = identity.is_some_and(|identity| {
        !identity.is_empty() && body.to_lowercase().contains(&identity.to_lowercase())
    });
    PageFacts {
        contacts: contacts::extract(body, contacts::host_of(check_url)),
        names_identity,
    }
}
