//! Helpers for tests that run the built `skopio` binary, exactly as an operator would.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_skopio");

pub struct Appliance {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Appliance {
    pub fn new(extra_toml: &str) -> Appliance {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("skopio.toml");
        // Tests never reach the internet: site checks are off unless a test sets
        // `network` itself (pointing them at a loopback proxy).
        let extra = match (
            extra_toml.contains("network"),
            extra_toml.contains("[engine]\n"),
        ) {
            (true, _) => extra_toml.to_string(),
            (false, true) => extra_toml.replacen("[engine]\n", "[engine]\nnetwork = false\n", 1),
            (false, false) => format!("[engine]\nnetwork = false\n{extra_toml}"),
        };
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \"{}\"\n{extra}",
            dir.path().join("data").display()
        );
        std::fs::write(&config, text).unwrap();
        Appliance { dir, config }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts `skopio serve` and waits for it to say where it listens.
    pub fn serve(&self) -> (Child, SocketAddr) {
        spawn_serve(&["--config".as_ref(), self.config.as_os_str()])
    }

    /// Like `serve`, with every log line down to debug appended to `log`.
    pub fn serve_logged(&self, log: &Path) -> (Child, SocketAddr) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .env("RUST_LOG", "debug")
            .stderr(Stdio::from(file));
        wait_listening(command)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs an operator command with `--json` and returns its answer; panics on failure.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let output = self.run(&all);
        assert!(
            output.status.success(),
            "skopio {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// Starts `skopio serve ARGS…` and waits for it to say where it listens.
pub fn spawn_serve(args: &[&std::ffi::OsStr]) -> (Child, SocketAddr) {
    let mut command = Command::new(BIN);
    command.arg("serve").args(args).stderr(Stdio::null());
    wait_listening(command)
}

fn wait_listening(mut command: Command) -> (Child, SocketAddr) {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("skopio listening on http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from skopio serve: {line:?}"));
    (child, addr)
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

pub fn get_json(agent: &ureq::Agent, url: &str, key: &str) -> (u16, Value) {
    match agent
        .get(url)
        .header("Authorization", &format!("Bearer {key}"))
        .call()
    {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body =
                serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default())
                    .unwrap_or(Value::Null);
            (status, body)
        }
        Err(_) => (0, Value::Null),
    }
}

pub fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(needle.len()).any(|w| w == needle)
}
