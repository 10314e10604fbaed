//! Every site of the real WhatsMyName and Sherlock lists, read and classified: for each,
//! the page its definition says an existing account gets must read as found, the page a
//! missing one gets as missing, and every kind of fault page as unknown with the right
//! reason. Runs when `../shared/data` is present; prints a skip line otherwise.

mod emulator;

use std::path::PathBuf;

use emulator::{MISSING_USER, existing, missing};
use skopio::sites::detect::{Answer, Unknown, Verdict, classify};
use skopio::sites::formats::parse;

/// Says a test was skipped where a person sees it: the test harness captures `println!`
/// of passing tests, but not direct writes to standard error.
macro_rules! skip_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn shared(path: &str) -> Option<String> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path);
    match std::fs::read_to_string(&full) {
        Ok(text) => Some(text),
        Err(_) => {
            skip_line!("skipping real site lists: {} not found", full.display());
            None
        }
    }
}

fn check_list(text: &str, expected_min: usize) {
    let parsed = parse(text).unwrap();
    assert!(
        parsed.sites.len() >= expected_min,
        "only {} sites read",
        parsed.sites.len()
    );
    let mut wrong = Vec::new();
    for site in &parsed.sites {
        let username = site
            .known
            .first()
            .cloned()
            .unwrap_or_else(|| "johndoe".into());
        let (status, _, body) = existing(site, &username).parts().unwrap();
        let found = Answer {
            status,
            location: None,
            retry_after: false,
            headers: &[],
            body: &body,
        };
        if !matches!(classify(site, &username, &found), Verdict::Found(_)) {
            wrong.push(format!("{}: existing account not found", site.name));
        }
        let (status, location, body) = missing(site).parts().unwrap();
        let gone = Answer {
            status,
            location: location.as_deref(),
            retry_after: false,
            headers: &[],
            body: &body,
        };
        if classify(site, MISSING_USER, &gone) != Verdict::Missing {
            wrong.push(format!("{}: missing account not missing", site.name));
        }
        let faults: [(u16, &str, Unknown); 4] = [
            (
                403,
                "<title>Just a moment...</title><script src=/cdn-cgi/challenge-platform>",
                Unknown::Waf,
            ),
            (
                200,
                "<div class=\"g-recaptcha\" data-sitekey=x></div>",
                Unknown::Captcha,
            ),
            (429, "Too Many Requests", Unknown::RateLimited),
            (503, "<h1>Incapsula incident ID: 1-2</h1>", Unknown::Waf),
        ];
        for (status, body, reason) in faults {
            let fault = Answer {
                status,
                location: None,
                retry_after: false,
                headers: &[],
                body,
            };
            match classify(site, &username, &fault) {
                Verdict::Unknown(got, _) if got == reason => {}
                other => wrong.push(format!("{}: {reason:?} page read as {other:?}", site.name)),
            }
        }
        let login = Answer {
            status: 302,
            location: Some("https://accounts.example/login"),
            retry_after: false,
            headers: &[],
            body: "",
        };
        if !matches!(
            classify(site, &username, &login),
            Verdict::Unknown(Unknown::Redirect, _)
        ) {
            wrong.push(format!("{}: login redirect not unknown", site.name));
        }
    }
    println!(
        "{} sites read, {} skipped, {} misread",
        parsed.sites.len(),
        parsed.skipped.len(),
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} misread:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_whatsmyname_site_is_read_and_classified_as_its_definition_says() {
    if let Some(text) = shared("whatsmyname/wmn-data.json") {
        check_list(&text, 700);
    }
}

#[test]
fn every_sherlock_site_is_read_and_classified_as_its_definition_says() {
    if let Some(text) = shared("sherlock/data.json") {
        check_list(&text, 470);
    }
}

#[test]
fn both_real_lists_import_into_the_store_and_read_back_whole() {
    let (Some(wmn), Some(sherlock)) = (
        shared("whatsmyname/wmn-data.json"),
        shared("sherlock/data.json"),
    ) else {
        return;
    };
    use skopio::sites::ops::{Commit, Request, apply};
    let dir = tempfile::tempdir().unwrap();
    let store = skopio::store::Store::open(dir.path()).unwrap();
    let mut read_whole = Vec::new();
    for (name, text) in [("wmn-data.json", &wmn), ("data.json", &sherlock)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let request = Request::SitesImport {
            path: path.display().to_string(),
        };
        let imported = apply(&request, &store, Commit::Direct(&store), None, 0).unwrap();
        read_whole.push((imported["source"].clone(), parse(text).unwrap().sites));
    }
    let lists = store.read(|tx| tx.site_lists()).unwrap();
    assert_eq!(lists.len(), 2);
    for (source, parsed) in read_whole {
        let stored = lists.iter().find(|l| source == l.source.as_str()).unwrap();
        // Every site reads back as it was read; entries asking what an earlier one asks
        // are listed as skipped instead.
        for site in &stored.sites {
            assert!(parsed.contains(site), "{source}: {} changed", site.name);
        }
        let duplicates = stored
            .skipped
            .iter()
            .filter(|(_, why)| why.starts_with("asks exactly") || why.starts_with("another"))
            .count();
        assert_eq!(stored.sites.len() + duplicates, parsed.len(), "{source}");
    }
    let request = Request::SitesList { sites: false };
    let listed = apply(&request, &store, Commit::Direct(&store), None, 0).unwrap();
    let rows = listed["lists"].as_array().unwrap();
    let in_use: u64 = rows.iter().map(|r| r["in_use"].as_u64().unwrap()).sum();
    assert_eq!(listed["active_sites"].as_u64().unwrap(), in_use);
    // Sites named in several lists are checked once: far fewer than the lists' sum.
    let total: u64 = rows.iter().map(|r| r["sites"].as_u64().unwrap()).sum();
    assert!(in_use < total, "{in_use} of {total}");
    println!("{in_use} distinct sites in use of {total} listed");
}
