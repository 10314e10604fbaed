//! Test harness shared by the integration tests: starts the real appliance in-process on
//! port 0 with a temporary data directory, mints keys through the real admin socket, and
//! talks HTTP to it with a real client.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skopio::accounts::Request;
use skopio::app::{Options, Running};
use skopio::clock::SharedClock;
use skopio::config::Config;
use skopio::engine::Recipe;

pub const BASE_URL: &str = "http://skopio.test:8080";

pub struct TestServer {
    pub addr: SocketAddr,
    pub config: Config,
    pub data_dir: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
    running: Option<Running>,
    agent: ureq::Agent,
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

pub fn config_for(data_dir: &std::path::Path, extra_toml: &str) -> Config {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_base_url = \"{BASE_URL}\"\n\
         [storage]\ndata_dir = \"{}\"\n{extra_toml}",
        data_dir.display()
    );
    let mut config = Config::parse(&text).expect("test config parses");
    config.validate().expect("test config is valid");
    // Tests never reach the internet: site checks are off unless a test turns them on
    // (pointing them at a loopback proxy that plays the sites).
    if !extra_toml.contains("network") {
        config.engine.network = false;
    }
    config
}

impl TestServer {
    pub fn start(extra_toml: &str) -> TestServer {
        TestServer::start_with(extra_toml, Options::default())
    }

    pub fn start_with(extra_toml: &str, options: Options) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let config = config_for(data_dir.path(), extra_toml);
        TestServer::start_in(data_dir, config, options)
    }

    fn start_in(data_dir: tempfile::TempDir, config: Config, options: Options) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(skopio::app::start(config.clone(), options))
            .expect("server starts");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        TestServer {
            addr: running.addr,
            config,
            data_dir,
            runtime: Some(runtime),
            running: Some(running),
            agent,
        }
    }

    /// Stops the server (as on SIGTERM) and starts a new one on the same data directory.
    pub fn restart(self, options: Options) -> TestServer {
        self.restart_after(options, |_| {})
    }

    /// Stops the server, runs `between` on its data directory, and starts a new one there.
    pub fn restart_after(
        mut self,
        options: Options,
        between: impl FnOnce(&std::path::Path),
    ) -> TestServer {
        let writer = self.stop();
        // Dropping the runtime drops the tasks still holding the writer; its thread then
        // ends and closes the database, which the next start needs.
        drop(self.runtime.take());
        if let Some(writer) = writer {
            writer.join();
        }
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap());
        between(data_dir.path());
        TestServer::start_in(data_dir, self.config.clone(), options)
    }

    pub fn stop(&mut self) -> Option<skopio::store::WriterThread> {
        match (self.running.take(), &self.runtime) {
            (Some(running), Some(runtime)) => Some(runtime.block_on(running.shutdown())),
            _ => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn admin(&self, request: Request) -> Result<Value, String> {
        skopio::admin::call(&self.config, &request).map_err(|e| e.to_string())
    }

    /// Mints a key for `customer` (created if new) and returns the plaintext key.
    pub fn key(&self, customer: &str, tier: &str, credits: i64) -> String {
        let request = Request::KeysCreate {
            customer: customer.to_string(),
            tier: Some(tier.to_string()),
            credits: Some(credits),
        };
        let answer = self.admin(request).expect("keys create");
        answer["key"].as_str().expect("key in answer").to_string()
    }

    pub fn balance(&self, customer: &str) -> i64 {
        let shown = self
            .admin(Request::CustomersShow {
                name: customer.to_string(),
            })
            .unwrap();
        shown["balance"].as_i64().unwrap()
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> Answer {
        let mut request = self.agent.get(&self.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        answer(request.call().expect("GET answered"))
    }

    pub fn post(&self, path: &str, key: Option<&str>, body: &str) -> Answer {
        let mut request = self
            .agent
            .post(&self.url(path))
            .header("Content-Type", "application/json");
        if let Some(key) = key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        answer(request.send(body).expect("POST answered"))
    }

    pub fn submit(&self, key: &str, target: &str) -> Answer {
        self.post(
            "/api/v1/scan",
            Some(key),
            &json!({ "target": target }).to_string(),
        )
    }

    /// Polls a scan until it is completed or failed.
    pub fn wait_done(&self, key: &str, scan_id: &str) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let polled = self.get(&format!("/api/v1/scan/{scan_id}"), Some(key));
            let status = polled.body["status"].as_str().unwrap_or("").to_string();
            if status == "completed" || status == "failed" || Instant::now() > deadline {
                return polled;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends raw bytes and returns what the server answered before closing or timing out.
    pub fn raw(&self, bytes: &[u8]) -> String {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream.write_all(bytes).unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.stop());
    }
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

pub fn options_with(recipes: Vec<Arc<dyn Recipe>>, clock: SharedClock) -> Options {
    Options {
        clock,
        recipes: Some(recipes),
        sites: None,
    }
}

/// A recipe that finishes at once, for tests about what happens around scans.
pub struct Quick;

impl skopio::engine::Recipe for Quick {
    fn name(&self) -> &'static str {
        "test.quick"
    }
    fn applies_to(&self, _: skopio::target::Kind) -> bool {
        true
    }
    fn run(&self, _: Arc<skopio::engine::ScanInput>) -> skopio::engine::RecipeFuture {
        Box::pin(async { Ok(skopio::engine::RecipeOutput::default()) })
    }
}

/// A recipe that fails for usernames and does not apply to other kinds: alone, it makes
/// username scans fail through the engine's fault while other scans complete.
pub struct FailsForUsernames;

impl skopio::engine::Recipe for FailsForUsernames {
    fn name(&self) -> &'static str {
        "test.fails"
    }
    fn applies_to(&self, kind: skopio::target::Kind) -> bool {
        kind == skopio::target::Kind::Username
    }
    fn run(&self, _: Arc<skopio::engine::ScanInput>) -> skopio::engine::RecipeFuture {
        Box::pin(async { Err("the test recipe always fails".to_string()) })
    }
}

/// A recipe that waits until its gate opens, to keep scans in flight for as long as a
/// test needs.
pub struct Gated(pub Arc<std::sync::atomic::AtomicBool>);

impl skopio::engine::Recipe for Gated {
    fn name(&self) -> &'static str {
        "test.gated"
    }
    fn applies_to(&self, _: skopio::target::Kind) -> bool {
        true
    }
    fn run(&self, _: Arc<skopio::engine::ScanInput>) -> skopio::engine::RecipeFuture {
        let open = Arc::clone(&self.0);
        Box::pin(async move {
            while !open.load(std::sync::atomic::Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok(skopio::engine::RecipeOutput::default())
        })
    }
}
