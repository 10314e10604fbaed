//! Isolation inside the engine: a recipe that panics or hangs fails alone and is reported
//! in the dossier's `recipes`; a scan whose every recipe failed is failed and refunded;
//! scans accepted before a stop run after the next start, charged once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestServer, options_with};
use skopio::dossier::Finding;
use skopio::engine::{Recipe, RecipeFuture, RecipeOutput, ScanInput};
use skopio::target::Kind;

enum Behaviour {
    Panic,
    Hang,
    Fine,
    BlockingPanic,
}

struct TestRecipe(&'static str, Behaviour);

impl Recipe for TestRecipe {
    fn name(&self) -> &'static str {
        self.0
    }
    fn applies_to(&self, _: Kind) -> bool {
        true
    }
    fn run(&self, input: Arc<ScanInput>) -> RecipeFuture {
        match self.1 {
            Behaviour::Panic => Box::pin(async move { panic!("recipe bug for {}", input.target) }),
            Behaviour::Hang => Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(RecipeOutput::default())
            }),
            Behaviour::BlockingPanic => skopio::engine::blocking(|| panic!("blocking recipe bug")),
            Behaviour::Fine => Box::pin(async move {
                let mut output = RecipeOutput::default();
                output.findings.push(Finding::new(
                    "test.seen",
                    format!("looked at {}", input.target),
                ));
                output.note = "fine".to_string();
                Ok(output)
            }),
        }
    }
}

fn recipes(list: Vec<(&'static str, Behaviour)>) -> Vec<Arc<dyn Recipe>> {
    list.into_iter()
        .map(|(n, b)| Arc::new(TestRecipe(n, b)) as Arc<dyn Recipe>)
        .collect()
}

#[test]
fn a_panicking_or_hanging_recipe_fails_alone() {
    let list = recipes(vec![
        ("test.panic", Behaviour::Panic),
        ("test.hang", Behaviour::Hang),
        ("test.blocking_panic", Behaviour::BlockingPanic),
        ("test.fine", Behaviour::Fine),
    ]);
    let server = TestServer::start_with(
        "[engine]\nrecipe_timeout = \"1s\"\n",
        options_with(list, skopio::clock::system()),
    );
    let key = server.key("acme", "business", 5);
    let first = server.submit(&key, "johndoe");
    let second = server.submit(&key, "janedoe");
    for accepted in [first, second] {
        assert_eq!(accepted.body["recipes_to_run"], 4);
        let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
        assert_eq!(done.body["status"], "completed", "{:?}", done.body);
        let recipes = done.body["result"]["recipes"].as_array().unwrap().clone();
        let status = |name: &str| {
            let run = recipes.iter().find(|r| r["name"] == name).unwrap();
            (
                run["status"].as_str().unwrap().to_string(),
                run["note"].as_str().unwrap().to_string(),
            )
        };
        assert_eq!(status("test.fine").0, "ok");
        let (panic_status, panic_note) = status("test.panic");
        assert_eq!(panic_status, "error");
        assert!(
            !panic_note.contains("johndoe"),
            "notes never echo a panic payload"
        );
        assert_eq!(status("test.blocking_panic").0, "error");
        let (hang_status, hang_note) = status("test.hang");
        assert_eq!(hang_status, "error");
        assert!(hang_note.contains("timed out"), "{hang_note}");
        assert_eq!(done.body["result"]["counts"]["findings"], 1);
    }
    assert_eq!(server.get("/healthz", None).status, 200);
    assert_eq!(server.balance("acme"), 3);
}

/// A recipe that finishes after a pause, so a poll can catch the scan half done.
struct Pause;

impl Recipe for Pause {
    fn name(&self) -> &'static str {
        "test.pause"
    }
    fn applies_to(&self, _: Kind) -> bool {
        true
    }
    fn run(&self, _: Arc<ScanInput>) -> RecipeFuture {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Ok(RecipeOutput::default())
        })
    }
}

#[test]
fn progress_counts_finished_recipes_while_a_scan_runs() {
    let mut list = recipes(vec![("test.fine", Behaviour::Fine)]);
    list.push(Arc::new(Pause));
    let server = TestServer::start_with("", options_with(list, skopio::clock::system()));
    let key = server.key("acme", "pro", 2);
    let accepted = server.submit(&key, "johndoe");
    let path = format!(
        "/api/v1/scan/{}",
        accepted.body["scan_id"].as_str().unwrap()
    );
    std::thread::sleep(Duration::from_millis(500));
    let polled = server.get(&path, Some(&key));
    assert_eq!(polled.body["status"], "running", "{:?}", polled.body);
    assert_eq!(polled.body["progress"]["recipes_done"], 1);
    assert_eq!(polled.body["progress"]["recipes_total"], 2);
    assert!(polled.body.get("result").is_none());
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    assert_eq!(done.body["status"], "completed");
    assert!(done.body.get("progress").is_none());
}

#[test]
fn a_scan_whose_every_recipe_failed_is_failed_and_refunded() {
    let list = recipes(vec![("test.panic", Behaviour::Panic)]);
    let server = TestServer::start_with("", options_with(list, skopio::clock::system()));
    let key = server.key("acme", "pro", 2);
    let accepted = server.submit(&key, "johndoe");
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    assert_eq!(done.body["status"], "failed");
    assert_eq!(done.body["error"]["code"], "engine_error");
    assert_eq!(server.balance("acme"), 2);
    let shown = server.admin(skopio::accounts::Request::CustomersShow {
        name: "acme".into(),
    });
    let kinds: Vec<String> = shown.unwrap()["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["top_up", "debit", "refund"]);
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.body["quota"]["inflight"]["used"], 0);
}

#[test]
fn scans_left_queued_at_a_stop_run_after_the_next_start_and_are_charged_once() {
    let slow = || recipes(vec![("test.hang", Behaviour::Hang)]);
    let server = TestServer::start_with(
        "[engine]\nworkers = 1\nrecipe_timeout = \"30s\"\nshutdown_grace = \"0s\"\n",
        options_with(slow(), skopio::clock::system()),
    );
    let key = server.key("acme", "business", 10);
    let ids: Vec<String> = (0..4)
        .map(|i| {
            server.submit(&key, &format!("user{i}")).body["scan_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let server = server.restart(options_with(
        recipes(vec![("test.fine", Behaviour::Fine)]),
        skopio::clock::system(),
    ));
    for id in &ids {
        let done = server.wait_done(&key, id);
        assert_eq!(done.body["status"], "completed", "{:?}", done.body);
        assert_eq!(done.body["result"]["recipes"][0]["name"], "test.fine");
    }
    assert_eq!(server.balance("acme"), 6);
    let account = server.get("/api/v1/account", Some(&key));
    assert_eq!(account.body["quota"]["inflight"]["used"], 0);
}
