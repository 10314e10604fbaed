//! Checking one site for one username, end to end: the definition builds the request, the
//! outbound layer sends it, `detect` reads the answer. A username the site's pattern
//! refuses is never sent (`illegal`); a transport failure is `timeout` or `error`.

use super::Site;
use super::detect::{Answer, Evidence, Unknown, Verdict, classify};
use crate::outbound::{FetchError, OutRequest, Outbound};

/// What one site said about one username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub site: String,
    /// The profile URL a person would open.
    pub url: String,
    pub verdict: Verdict,
}

impl Checked {
    pub fn evidence(&self) -> &[Evidence] {
        match &self.verdict {
            Verdict::Found(evidence) => evidence,
            _ => &[],
        }
    }
}

pub async fn check(outbound: &Outbound, site: &Site, username: &str) -> Checked {
    let url = site.profile_url_for(username);
    let asked = match site.username_for(username) {
        Ok(asked) => asked,
        Err(reason) => {
            let verdict = Verdict::Unknown(reason, "the site does not allow this username".into());
            return Checked {
                site: site.name.clone(),
                url,
                verdict,
            };
        }
    };
    let request = OutRequest {
        method: site.method.as_str(),
        url: site.check_url_for(&asked),
        headers: site.headers.clone(),
        body: site.body_for(&asked),
    };
    let verdict = match outbound.fetch(request).await {
        Ok(fetched) => {
            let answer = Answer {
                status: fetched.status,
                location: fetched.location.as_deref(),
                retry_after: fetched.retry_after,
                headers: &fetched.headers,
                body: &fetched.body,
            };
            classify(site, &asked, &answer)
        }
        Err(FetchError::Timeout) => Verdict::Unknown(Unknown::Timeout, "no answer in time".into()),
        Err(e) => Verdict::Unknown(Unknown::Error, e.to_string()),
    };
    Checked {
        site: site.name.clone(),
        url: site.profile_url_for(&asked),
        verdict,
    }
}
