//! A loopback webhook receiver, shared by the webhook tests and `benches/webhooks.rs`. It
//! records every request it gets (headers and raw body, when it arrived) and answers each
//! as its script says: a status, a redirect, a hang until released, or a dropped
//! connection. Connections are kept alive, as a real receiver's would be.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with a short body naming it.
    Status(u16),
    /// `302 Found` to another path.
    Redirect,
    /// No answer until `release` is called (or a minute passes), then 200.
    Hang,
    /// Close the connection without answering.
    Drop,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a delivery body is JSON")
    }
}

struct State {
    script: Mutex<VecDeque<Reply>>,
    then: Mutex<Reply>,
    received: Mutex<Vec<Received>>,
    released: AtomicBool,
    hanging: AtomicUsize,
}

pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Receiver {
    /// A receiver answering the requests in the order of `script`, then `then` to all.
    pub fn start(script: Vec<Reply>, then: Reply) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            then: Mutex::new(then),
            received: Mutex::new(Vec::new()),
            released: AtomicBool::new(false),
            hanging: AtomicUsize::new(0),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Receiver { addr, state }
    }

    /// A receiver answering 200 to everything.
    pub fn ok() -> Receiver {
        Receiver::start(Vec::new(), Reply::Status(200))
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/skopio", self.addr)
    }

    /// From now on, answer every request with `reply`.
    pub fn answer_all(&self, reply: Reply) {
        self.state.script.lock().unwrap().clear();
        *self.state.then.lock().unwrap() = reply;
    }

    /// Lets every hanging request (and every later one) be answered.
    pub fn release(&self) {
        self.state.released.store(true, Ordering::SeqCst);
    }

    /// Requests waiting for `release`.
    pub fn hanging(&self) -> usize {
        self.state.hanging.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.state.received.lock().unwrap().len()
    }

    /// Waits until `n` requests have arrived (or `limit` passes) and returns them all.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.release();
    }
}

fn serve(stream: TcpStream, state: &State) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let reply = {
            let next = state.script.lock().unwrap().pop_front();
            next.unwrap_or_else(|| state.then.lock().unwrap().clone())
        };
        state.received.lock().unwrap().push(Received {
            at: Instant::now(),
            path,
            headers,
            body,
        });
        let (status, extra) = match reply {
            Reply::Status(status) => (status, String::new()),
            Reply::Redirect => (302, "Location: /elsewhere\r\n".to_string()),
            Reply::Drop => return,
            Reply::Hang => {
                state.hanging.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(60);
                while !state.released.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                state.hanging.fetch_sub(1, Ordering::SeqCst);
                (200, String::new())
            }
        };
        let text = format!("receiver says {status}");
        let answer = format!(
            "HTTP/1.1 {status} X\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\n\
             \r\n{text}",
            text.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// One delivery to verify, with the secret it should verify with and the header holding
/// Skopio's own signature for that secret (`None`: check the Standard Webhooks one only).
pub struct Check<'a> {
    pub received: &'a Received,
    pub secret: &'a str,
    pub skopio_header: Option<&'a str>,
    /// Verify this body instead of the one received (to show a tampered body fails).
    pub body: Option<Vec<u8>>,
}

/// What each verifier said of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdicts {
    pub skopio: Option<bool>,
    pub standard: bool,
}

/// Runs `tests/webhook-verify/verify.mjs` (the document's Node.js snippet and the
/// `standardwebhooks` library) over the deliveries. `None`, after a skip line, when node
/// or the library is missing here; CI installs both, and there a missing one fails.
pub fn verify_with_node(checks: &[Check]) -> Option<Vec<Verdicts>> {
    use base64::Engine as _;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook-verify");
    let installed = dir.join("node_modules/standardwebhooks").is_dir();
    let node = std::process::Command::new("node").arg("--version").output();
    if !installed || node.is_err() {
        let why = "node or tests/webhook-verify/node_modules (npm install there) is missing";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must verify webhooks: {why}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipping webhook verification by node: {why}"
        );
        return None;
    }
    let cases: Vec<serde_json::Value> = checks
        .iter()
        .map(|check| {
            let body = check.body.as_deref().unwrap_or(&check.received.body);
            let headers: serde_json::Map<String, serde_json::Value> = check
                .received
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), serde_json::json!(v)))
                .collect();
            serde_json::json!({
                "body_base64": base64::engine::general_purpose::STANDARD.encode(body),
                "headers": headers,
                "secret": check.secret,
                "skopio_header": check.skopio_header,
            })
        })
        .collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&cases).unwrap()).unwrap();
    let output = std::process::Command::new("node")
        .arg(dir.join("verify.mjs"))
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "verify.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    Some(
        results
            .iter()
            .map(|r| Verdicts {
                skopio: r["skopio"].as_bool(),
                standard: r["standard"].as_bool().unwrap_or(false),
            })
            .collect(),
    )
}
