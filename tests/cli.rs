//! The operator's commands, run as the built binary while `skopio serve` runs on the same
//! data directory, and with no server at all.

mod binary;

use binary::{Appliance, agent, file_contains, get_json};

#[test]
fn operator_commands_work_while_the_server_runs() {
    let appliance = Appliance::new("");
    let (mut server, addr) = appliance.serve();
    let created = appliance.json(&[
        "keys",
        "create",
        "--customer",
        "acme",
        "--tier",
        "business",
        "--credits",
        "100",
    ]);
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("skopio_live_") && key.len() >= 12 + 32);
    assert_eq!(created["customer"], "acme");
    assert_eq!(created["tier"], "business");
    assert_eq!(created["balance"], 100);
    let key_id = created["key_id"].as_str().unwrap().to_string();

    let agent = agent();
    let (status, account) = get_json(&agent, &format!("http://{addr}/api/v1/account"), &key);
    assert_eq!((status, account["balance"].as_i64()), (200, Some(100)));

    let listed = appliance.json(&["keys", "list"]);
    assert_eq!(listed[0]["key_id"], key_id.as_str());
    assert!(
        !listed.to_string().contains(&key),
        "keys list never shows a key"
    );

    let credited = appliance.json(&["credits", "add", "acme", "25"]);
    assert_eq!(credited["balance"], 125);
    let tiered = appliance.json(&["customers", "set-tier", "acme", "enterprise"]);
    assert_eq!(tiered["tier"], "enterprise");
    let (_, account) = get_json(&agent, &format!("http://{addr}/api/v1/account"), &key);
    assert_eq!(account["tier"], "enterprise");
    assert_eq!(account["balance"], 125);

    let customers = appliance.json(&["customers", "list"]);
    assert_eq!(customers[0]["name"], "acme");
    let shown = appliance.json(&["customers", "show", "acme"]);
    let kinds: Vec<&str> = shown["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["top_up", "top_up"]);

    let human = appliance.run(&["customers", "show", "acme"]);
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains("Customer acme: tier enterprise, balance 125"),
        "{human}"
    );
    assert!(human.contains("Ledger:"));

    let refused = appliance.run(&["customers", "set-tier", "acme", "platinum"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no tier named \"platinum\""));
    let unknown = appliance.run(&["credits", "add", "nobody", "5"]);
    assert!(!unknown.status.success());
    let negative = appliance.run(&["credits", "add", "acme", "--", "-5"]);
    assert!(!negative.status.success());
    // Regression: a huge top-up used to wrap the balance round to a negative number.
    let huge = appliance.run(&["credits", "add", "acme", "9223372036854775807"]);
    assert!(!huge.status.success());
    assert!(String::from_utf8_lossy(&huge.stderr).contains("would exceed"));
    // Regression: minting a key with another tier used to move the customer silently.
    let retier = appliance.run(&["keys", "create", "--customer", "acme", "--tier", "pro"]);
    assert!(!retier.status.success());
    assert!(String::from_utf8_lossy(&retier.stderr).contains("customers set-tier"));
    assert_eq!(
        appliance.json(&["customers", "show", "acme"])["balance"],
        125
    );

    appliance.json(&["keys", "revoke", &key_id]);
    let (status, body) = get_json(&agent, &format!("http://{addr}/api/v1/account"), &key);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );

    server.kill().unwrap();
    let _ = server.wait();
    let db = appliance.data_dir().join("skopio.redb");
    assert!(
        !file_contains(&db, key.as_bytes()),
        "the plaintext key reached the database"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the database is readable by the operator only");
}

#[test]
fn operator_commands_open_the_database_when_no_server_runs() {
    let appliance = Appliance::new("");
    let created = appliance.json(&["keys", "create", "--customer", "acme", "--credits", "3"]);
    assert_eq!(created["tier"], "pro");
    let (mut server, addr) = appliance.serve();
    let key = created["key"].as_str().unwrap();
    let (status, account) = get_json(&agent(), &format!("http://{addr}/api/v1/account"), key);
    assert_eq!((status, account["balance"].as_i64()), (200, Some(3)));
    server.kill().unwrap();
    let _ = server.wait();
}

#[test]
fn scan_prints_a_dossier_without_a_server() {
    let appliance = Appliance::new("");
    let output = appliance.run(&["scan", "info@mailinator.com", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dossier: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let factors: Vec<&str> = dossier["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(factors.contains(&"disposable_email"), "{factors:?}");
    assert!(factors.contains(&"role_address"), "{factors:?}");
    let text = appliance.run(&["scan", "+1 650 253 0000"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("phone.analysis"), "{text}");
    let refused = appliance.run(&["scan", "a@b"]);
    assert!(!refused.status.success());
}

#[test]
fn a_second_server_on_the_same_data_directory_is_refused_clearly() {
    let appliance = Appliance::new("");
    let (mut server, _) = appliance.serve();
    let second = appliance.run(&["serve"]);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already open"));
    server.kill().unwrap();
    let _ = server.wait();
}

#[test]
fn serve_runs_without_a_config_file_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let args = [
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data_dir.as_os_str(),
    ];
    let (mut server, addr) = binary::spawn_serve(&args);
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert!(data_dir.join("skopio.redb").exists());
    assert!(data_dir.join("admin.sock").exists());
    let term = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "serve exited with {status}");
    assert!(
        !data_dir.join("admin.sock").exists(),
        "the socket is removed on shutdown"
    );
    // The database closed cleanly: an operator command opens it directly at once.
    let listed = std::process::Command::new(binary::BIN)
        .args(["customers", "list", "--json", "--data-dir"])
        .arg(&data_dir)
        .output()
        .unwrap();
    assert!(listed.status.success());
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]");
}

#[test]
fn an_operator_command_in_the_wrong_folder_says_so_instead_of_creating_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let listed = std::process::Command::new(binary::BIN)
        .args(["customers", "list", "--data-dir"])
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert!(!listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stderr).contains("no Skopio database"));
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn urls_follow_the_listen_address_when_no_public_base_url_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // No public base URL; site checks off, so the scan reaches no real site.
    let config = dir.path().join("skopio.toml");
    std::fs::write(&config, "[engine]\nnetwork = false\n").unwrap();
    let args = [
        "--config".as_ref(),
        config.as_os_str(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data_dir.as_os_str(),
    ];
    let (mut server, addr) = binary::spawn_serve(&args);
    let created = std::process::Command::new(binary::BIN)
        .args([
            "keys",
            "create",
            "--customer",
            "acme",
            "--credits",
            "1",
            "--json",
            "--data-dir",
        ])
        .arg(&data_dir)
        .output()
        .unwrap();
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = created["key"].as_str().unwrap();
    let mut answer = agent()
        .post(&format!("http://{addr}/api/v1/scan"))
        .header("Authorization", &format!("Bearer {key}"))
        .send("{\"target\":\"johndoe\"}")
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    let poll_url = body["poll_url"].as_str().unwrap();
    assert!(
        poll_url.starts_with(&format!("http://{addr}/api/v1/scan/req-")),
        "{poll_url}"
    );
    server.kill().unwrap();
    let _ = server.wait();
}

#[test]
fn site_commands_work_with_and_without_a_server() {
    let appliance = Appliance::new("");
    let list = appliance.dir.path().join("extra.json");
    std::fs::write(
        &list,
        r#"{"sites": [{"name": "Extra", "uri_check": "https://extra.test/{account}",
            "e_code": 200, "e_string": "joined", "m_code": 404, "m_string": "",
            "known": ["a"], "cat": "misc"},
            {"name": "Broken", "uri_check": "https://broken.test/"}]}"#,
    )
    .unwrap();
    // No server: the command opens the database itself (and creates it for an import).
    let imported = appliance.run(&["sites", "import", list.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&imported.stdout);
    assert!(imported.status.success(), "{imported:?}");
    assert!(
        text.contains("whatsmyname list imported: 1 sites read, 1 skipped"),
        "{text}"
    );
    assert!(text.contains("skipped Broken"), "{text}");
    let (mut server, _) = appliance.serve();
    let listed = appliance.json(&["sites", "list", "--sites"]);
    let rows = listed["lists"].as_array().unwrap();
    assert_eq!(rows[0]["source"], "skopio");
    assert_eq!(rows[1]["source"], "whatsmyname");
    assert_eq!(rows[1]["in_use"], 1);
    assert!(listed["sites"].to_string().contains("\"Extra\""));
    let human = appliance.run(&["sites", "list"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("scans check"));
    let health = appliance.json(&["sites", "health"]);
    assert_eq!(health["sites"], serde_json::json!([]));
    assert_eq!(health["never_checked"], listed["active_sites"]);
    // Through the running server: removal takes effect for the next scan.
    let removed = appliance.json(&["sites", "remove", "whatsmyname"]);
    assert_eq!(removed["removed"], "whatsmyname");
    let refused = appliance.run(&["sites", "remove", "whatsmyname"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no imported list"));
    let missing = appliance.run(&["sites", "import", "/nonexistent/list.json"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open"));
    server.kill().unwrap();
    let _ = server.wait();
}
