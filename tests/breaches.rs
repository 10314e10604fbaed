//! The breach index as an operator and a customer meet it: catalog and identifier
//! imports in every accepted format (gzip too) with their counts and skip reasons, the
//! normal forms that make one address written three ways one identifier, scans that
//! report exactly the breaches an identifier is in, imports while the server serves, a
//! rerun that counts nothing twice, removal, and no readable identifier in the database.

mod binary;
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use binary::{Appliance, file_contains};
use common::TestServer;
use serde_json::{Value, json};
use skopio::breaches::{ImportOptions, Request};

fn catalog_json() -> String {
    json!([
        {"Name": "Adobe", "Title": "Adobe", "Domain": "adobe.com", "BreachDate": "2013-10-04",
         "AddedDate": "2013-12-04T00:00:00Z", "PwnCount": 152445165,
         "DataClasses": ["Email addresses", "Password hints", "Passwords", "Usernames"],
         "IsVerified": true, "IsFabricated": false, "IsSensitive": false, "IsRetired": false,
         "IsSpamList": false, "IsMalware": false, "IsStealerLog": false},
        {"Name": "Forum", "Title": "Some Forum", "BreachDate": "2019-05-01", "PwnCount": 1000,
         "DataClasses": ["Email addresses", "Phone numbers"], "IsVerified": false,
         "IsSensitive": true},
        {"Name": "Shop", "Title": "Shop", "BreachDate": "2020-01-15", "PwnCount": 50,
         "DataClasses": ["Email addresses", "Usernames"], "IsVerified": true},
        {"Title": "an entry without a name is skipped"}
    ])
    .to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn import(server: &TestServer, path: &Path, breach: &str, options: ImportOptions) -> Value {
    server
        .admin_breaches(Request::BreachesImport {
            path: path.to_path_buf(),
            breach: breach.to_string(),
            options,
        })
        .unwrap_or_else(|e| panic!("import into {breach} failed: {e}"))
}

trait Breaches {
    fn admin_breaches(&self, request: Request) -> Result<Value, String>;
    fn scan_breaches(&self, key: &str, target: &str) -> (Vec<String>, Value);
}

impl Breaches for TestServer {
    fn admin_breaches(&self, request: Request) -> Result<Value, String> {
        skopio::admin::call_breaches(&self.config, &request, &mut |_| {}).map_err(|e| e.to_string())
    }

    /// Scans `target` and returns the names of the breaches in its dossier, and the
    /// dossier.
    fn scan_breaches(&self, key: &str, target: &str) -> (Vec<String>, Value) {
        let accepted = self.submit(key, target);
        assert_eq!(accepted.status, 202, "{:?}", accepted.body);
        let done = self.wait_done(key, accepted.body["scan_id"].as_str().unwrap());
        let result = done.body["result"].clone();
        let names = result["breaches"]
            .as_array()
            .unwrap_or_else(|| panic!("no breaches in {result}"))
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string())
            .collect();
        (names, result)
    }
}

fn skipped(report: &Value, reason: &str) -> u64 {
    report["skipped"][reason].as_u64().unwrap_or(0)
}

#[test]
fn every_format_imports_with_counts_and_scans_report_exactly_their_breaches() {
    let server = TestServer::start("");
    let files = tempfile::tempdir().unwrap();
    let catalog = write(files.path(), "breaches.json", catalog_json().as_bytes());
    let loaded = server
        .admin_breaches(Request::BreachesImportCatalog { path: catalog })
        .unwrap();
    assert_eq!(
        (loaded["added"].as_u64(), loaded["updated"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        loaded["skipped"],
        json!([{"entry": "#4", "reason": loaded["skipped"][0]["reason"]}])
    );

    // Plain text, with the same address written three ways and a phone and a handle.
    let text = "John.Doe@Example.COM\njohn.doe@example.com\n john.doe@EXAMPLE.com \n\
                +44 20 7946 0000\n@DarkWolf\n";
    let path = write(files.path(), "adobe.txt", text.as_bytes());
    let report = import(&server, &path, "Adobe", ImportOptions::default());
    assert_eq!(report["format"], "text");
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(report["duplicates"], 2);
    assert_eq!(report["identifiers"], 3);

    // CSV with a header, gzip-compressed, email and phone columns detected by name.
    let csv = "id,Name,E-Mail,Phone Number\n1,\"Doe, John\",JOHN.DOE@example.com,\n\
               2,Ann,ann@shop.example,+1 415 555 0100\n3,Nobody,,\n";
    let path = write(files.path(), "forum.csv.gz", &gzip(csv.as_bytes()));
    let report = import(&server, &path, "Forum", ImportOptions::default());
    assert_eq!(report["format"], "csv");
    assert_eq!(report["rows"], 3);
    assert_eq!(report["imported"], 3);
    assert_eq!(skipped(&report, "no_identifier"), 1);

    // JSON Lines with the column named.
    let jsonl = "{\"user\": \"darkwolf\", \"mail\": \"x@y.example\"}\n{\"user\": 42}\nnot json\n";
    let path = write(files.path(), "shop.jsonl", jsonl.as_bytes());
    let options = ImportOptions {
        format: None,
        column: Some("user".to_string()),
    };
    let report = import(&server, &path, "Shop", options);
    assert_eq!(report["format"], "jsonl");
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(skipped(&report, "malformed"), 1);

    let listed = server.admin_breaches(Request::BreachesList).unwrap();
    let counts: Vec<(String, u64)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_string(),
                b["identifiers"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("Adobe".into(), 3), ("Forum".into(), 3), ("Shop".into(), 2)]
    );

    let key = server.key("acme", "business", 20);
    let (names, result) = server.scan_breaches(&key, "JOHN.DOE@example.com");
    assert_eq!(names, ["Adobe", "Forum"]);
    let adobe = &result["breaches"][0];
    assert_eq!(adobe["title"], "Adobe");
    assert_eq!(adobe["date"], "2013-10");
    assert_eq!(adobe["accounts"], 152445165);
    assert_eq!(adobe["verified"], true);
    assert_eq!(adobe["classes"][2], "Passwords");
    let factors: Vec<&str> = result["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        factors,
        [
            "credentials_exposed",
            "sensitive_breach",
            "breaches",
            "personal_details_exposed",
        ]
    );
    assert_eq!(result["breaches"][1]["flags"], json!(["sensitive"]));
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(
        summary.contains(
            "It appears in 2 data breaches: Some Forum (May 2019) and Adobe (October 2013)."
        ),
        "{summary}"
    );
    assert!(
        summary.contains("The Some Forum breach is flagged sensitive"),
        "{summary}"
    );

    let (names, _) = server.scan_breaches(&key, "+442079460000");
    assert_eq!(names, ["Adobe"]);
    let (names, _) = server.scan_breaches(&key, "+1 (415) 555-0100");
    assert_eq!(names, ["Forum"]);
    let (names, _) = server.scan_breaches(&key, "DarkWolf");
    assert_eq!(names, ["Adobe", "Shop"]);
    let (names, result) = server.scan_breaches(&key, "someone.else@example.com");
    assert!(names.is_empty());
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(summary.contains("none of the known breaches"), "{summary}");
}

#[test]
fn broken_lines_are_counted_and_skipped_never_fatal() {
    let server = TestServer::start("");
    let files = tempfile::tempdir().unwrap();
    let catalog = write(files.path(), "c.json", catalog_json().as_bytes());
    server
        .admin_breaches(Request::BreachesImportCatalog { path: catalog })
        .unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"good@example.com\n");
    bytes.extend_from_slice(b"\xff\xfe bad utf-8 \xc3\x28@example.com\n");
    bytes.extend_from_slice(b"nul\0inside@example.com\n");
    bytes.extend_from_slice(b"\n   \n");
    bytes.extend_from_slice(format!("{}@example.com\n", "a".repeat(10_000)).as_bytes());
    bytes.extend_from_slice(&[0x01, 0x02, 0x03, 0x9c, 0x80, b'\n']);
    bytes.extend_from_slice(b"two@@example.com\n");
    bytes.extend_from_slice(b"second.good@example.com\r\n");
    bytes.extend_from_slice(b"no newline at the end: last@example.com");
    let path = write(files.path(), "junk.txt", &bytes);
    let report = import(&server, &path, "Adobe", ImportOptions::default());
    assert_eq!(report["rows"], 10, "{report}");
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(skipped(&report, "not_utf8"), 1);
    assert_eq!(skipped(&report, "binary"), 2);
    assert_eq!(skipped(&report, "blank"), 2);
    assert_eq!(skipped(&report, "overlong"), 1);
    assert_eq!(skipped(&report, "invalid_email"), 2, "{report}");

    // A CSV file naming no identifier column is refused with the columns it has.
    let path = write(files.path(), "cities.csv", b"id,city\n1,Paris\n");
    let refused = server
        .admin_breaches(Request::BreachesImport {
            path,
            breach: "Adobe".into(),
            options: ImportOptions::default(),
        })
        .unwrap_err();
    assert!(
        refused.contains("id, city") && refused.contains("--column"),
        "{refused}"
    );
    // And an unknown breach says how to add it.
    let refused = server
        .admin_breaches(Request::BreachesImport {
            path: files.path().join("junk.txt"),
            breach: "Nope".into(),
            options: ImportOptions::default(),
        })
        .unwrap_err();
    assert!(refused.contains("import-catalog"), "{refused}");
}

#[test]
fn a_rerun_counts_nothing_twice_and_remove_deletes_the_breach() {
    let server = TestServer::start("");
    let files = tempfile::tempdir().unwrap();
    let catalog = write(files.path(), "c.json", catalog_json().as_bytes());
    server
        .admin_breaches(Request::BreachesImportCatalog {
            path: catalog.clone(),
        })
        .unwrap();
    let lines: String = (0..2000)
        .map(|n| format!("user{n}@example.com\n"))
        .collect();
    let path = write(files.path(), "ids.txt", lines.as_bytes());
    let first = import(&server, &path, "Shop", ImportOptions::default());
    assert_eq!(
        (first["imported"].as_u64(), first["identifiers"].as_u64()),
        (Some(2000), Some(2000))
    );
    let again = import(&server, &path, "Shop", ImportOptions::default());
    assert_eq!(again["imported"], 0);
    assert_eq!(again["duplicates"], 2000);
    assert_eq!(again["identifiers"], 2000);

    // Re-importing the catalog updates metadata and keeps the identifiers.
    let updated = server
        .admin_breaches(Request::BreachesImportCatalog { path: catalog })
        .unwrap();
    assert_eq!(updated["updated"], 3);
    let listed = server.admin_breaches(Request::BreachesList).unwrap();
    let shop = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Shop")
        .unwrap();
    assert_eq!(shop["identifiers"], 2000);

    let key = server.key("acme", "business", 5);
    let (names, _) = server.scan_breaches(&key, "user7@example.com");
    assert_eq!(names, ["Shop"]);
    let removed = server
        .admin_breaches(Request::BreachesRemove {
            name: "Shop".into(),
        })
        .unwrap();
    assert_eq!(removed["removed"], 2000);
    let listed = server.admin_breaches(Request::BreachesList).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["name"] != "Shop")
    );
    // With no breach data left, scans no longer claim a breach check.
    let accepted = server.submit(&key, "user7@example.com");
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    let recipes = done.body["result"]["recipes"].to_string();
    assert!(!recipes.contains("breach.index"), "{recipes}");
    assert_eq!(done.body["result"]["breaches"], json!([]));
}

#[test]
fn the_binary_imports_while_the_server_serves_and_stores_no_readable_identifier() {
    let appliance = Appliance::new("");
    let files = tempfile::tempdir().unwrap();
    let catalog = write(files.path(), "c.json", catalog_json().as_bytes());
    let secret = "very.secret.person@example.com";
    let lines: String = (0..5000)
        .map(|n| format!("member{n}@corp.example\n"))
        .chain([
            format!("{secret}\n"),
            "+44 20 7946 0999\nrarehandle99\n".to_string(),
        ])
        .collect();
    let ids = write(files.path(), "ids.txt", lines.as_bytes());

    let (mut server, addr) = appliance.serve();
    let catalog = catalog.to_str().unwrap();
    let loaded = appliance.json(&["breaches", "import-catalog", catalog]);
    assert_eq!(loaded["added"], 3);
    let report = appliance.json(&[
        "breaches",
        "import",
        ids.to_str().unwrap(),
        "--breach",
        "Adobe",
    ]);
    assert_eq!(report["imported"], 5003, "{report}");
    let listed = appliance.json(&["breaches", "list"]);
    let adobe = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Adobe")
        .unwrap();
    assert_eq!(adobe["identifiers"], 5003);
    let human = appliance.run(&["breaches", "list"]);
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.contains("Adobe") && human.contains("5003"), "{human}");

    // Only keyed hashes reach the database (scans, which store their target, come later).
    let db = appliance.data_dir().join(skopio::store::DB_FILE);
    for plain in [
        secret,
        "very.secret.person",
        "member4242@corp.example",
        "+442079460999",
        "rarehandle99",
    ] {
        assert!(
            !file_contains(&db, plain.as_bytes()),
            "{plain} is readable in the database"
        );
    }

    let created = appliance.json(&["keys", "create", "--customer", "acme", "--credits", "5"]);
    let key = created["key"].as_str().unwrap();
    let agent = binary::agent();
    let mut answer = agent
        .post(&format!("http://{addr}/api/v1/scan"))
        .header("Authorization", &format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .send(json!({"target": "Very.Secret.Person@EXAMPLE.com"}).to_string())
        .unwrap();
    let accepted: Value =
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    let scan_id = accepted["scan_id"].as_str().unwrap();
    let mut result = Value::Null;
    for _ in 0..500 {
        let (_, polled) =
            binary::get_json(&agent, &format!("http://{addr}/api/v1/scan/{scan_id}"), key);
        if polled["status"] == "completed" {
            result = polled["result"].clone();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(result["breaches"][0]["name"], "Adobe", "{result}");

    server.kill().unwrap();
    server.wait().unwrap();

    // With no server, the same commands open the database directly, and a foreground
    // scan consults the index.
    let report = appliance.json(&[
        "breaches",
        "import",
        ids.to_str().unwrap(),
        "--breach",
        "Adobe",
    ]);
    assert_eq!(
        (report["imported"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(5003))
    );
    let scanned = appliance.json(&["scan", "rarehandle99"]);
    assert_eq!(scanned["breaches"][0]["name"], "Adobe", "{scanned}");
}

#[test]
fn multi_line_csv_rows_truncated_files_and_bad_catalog_entries_lose_nothing_silently() {
    let server = TestServer::start("");
    let key = server.key("acme", "business", 10);
    let files = tempfile::tempdir().unwrap();
    let catalog = json!([
        {"Name": "Csv", "BreachDate": "2020-01-01", "DataClasses": ["Email addresses"]},
        {"Name": "Future", "BreachDate": "2999-12-31"},
        {"Name": "Spam", "BreachDate": "2021-06-01", "IsSpamList": true, "IsSensitive": true,
         "DataClasses": ["Email addresses", "Passwords"]}
    ]);
    let path = write(
        files.path(),
        "c.json",
        format!("\u{feff}{catalog}").as_bytes(),
    );
    let loaded = server
        .admin_breaches(Request::BreachesImportCatalog { path })
        .unwrap();
    assert_eq!(
        loaded["added"], 2,
        "a byte-order mark is no reason to refuse a catalog"
    );
    assert_eq!(loaded["skipped"][0]["entry"], "Future");
    assert!(
        loaded["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("future")
    );

    // Regression: a quoted field holding a line break split the row, losing its address.
    let csv = "id,\"Full, Name\",Email\r\n4,\"multi\nline\",csv3@example.com\r\n";
    let csv_path = write(files.path(), "rows.csv", csv.as_bytes());
    let report = import(&server, &csv_path, "Csv", ImportOptions::default());
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(server.scan_breaches(&key, "csv3@example.com").0, ["Csv"]);

    // Regression: a truncated gzip lost the whole import and reported nothing.
    let lines: String = (0..20_000)
        .map(|i| format!("user{i}@example.org\n"))
        .collect();
    let whole = gzip(lines.as_bytes());
    let cut = write(files.path(), "cut.txt.gz", &whole[..whole.len() / 2]);
    let report = import(&server, &cut, "Csv", ImportOptions::default());
    assert!(report["incomplete"].as_str().is_some(), "{report}");
    assert!(report["imported"].as_u64().unwrap() > 1_000, "{report}");

    // A spam list is listed in the dossier but weighs nothing in the risk.
    let spam = write(files.path(), "spam.txt", b"listed@example.net\n");
    import(&server, &spam, "Spam", ImportOptions::default());
    let (names, result) = server.scan_breaches(&key, "listed@example.net");
    assert_eq!(names, ["Spam"]);
    let factors: Vec<&str> = result["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        !factors
            .iter()
            .any(|f| f.contains("breach") || f.ends_with("_exposed")),
        "{factors:?}"
    );
}
