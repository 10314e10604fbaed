//! The summary written by an OpenAI-compatible endpoint, against a loopback fake of one:
//! a good answer replaces the template's and says which model wrote it; a 500, a hang
//! past `[summary] timeout`, an empty answer and a refused connection each leave the
//! template's summary, and the scan completes all the same. The fake also shows what
//! the appliance sent: the dossier's findings, the requested language and the key.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestServer;
use serde_json::{Value, json};

/// How the fake endpoint answers.
#[derive(Clone, Copy)]
enum Behaviour {
    Answer(&'static str),
    ServerError,
    Hang,
}

/// What the fake saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Value,
}

struct FakeModel {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeModel {
    fn start(behaviour: Behaviour) -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || serve(stream, behaviour, &recorded));
            }
        });
        FakeModel { port, seen }
    }

    fn config(&self) -> String {
        format!(
            "[summary]\nendpoint = \"http://127.0.0.1:{}/v1\"\nmodel = \"fake-analyst-1\"\n\
             api_key_env = \"HOME\"\ntimeout = \"1s\"\n",
            self.port
        )
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, behaviour: Behaviour, recorded: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    recorded.lock().unwrap().push(Seen {
        request_line: request_line.trim_end().to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let (status, body) = match behaviour {
        Behaviour::Answer(text) => (
            "200 OK",
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "fake-analyst-1",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
            })
            .to_string(),
        ),
        Behaviour::ServerError => (
            "500 Internal Server Error",
            json!({"error": {"message": "the model is overloaded"}}).to_string(),
        ),
        Behaviour::Hang => {
            // Past the appliance's 1 s timeout; the connection then just closes.
            std::thread::sleep(Duration::from_secs(5));
            return;
        }
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Scans `target` in `lang` on a server using `extra_toml`; returns the completed result.
fn scan(extra_toml: &str, target: &str, lang: &str) -> Value {
    let server = TestServer::start(extra_toml);
    let key = server.key("acme", "pro", 5);
    let body = json!({"target": target, "lang": lang}).to_string();
    let accepted = server.post("/api/v1/scan", Some(&key), &body);
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let done = server.wait_done(&key, accepted.body["scan_id"].as_str().unwrap());
    assert_eq!(done.body["status"], "completed", "{:?}", done.body);
    done.body["result"].clone()
}

#[test]
fn a_good_answer_becomes_the_summary_and_names_its_model() {
    let answer = "  Низкий риск (0 из 100): номер действителен, утечек не найдено.\n";
    let fake = FakeModel::start(Behaviour::Answer(answer));
    let result = scan(&fake.config(), "+44 7400 123456", "ru");
    assert_eq!(result["ai_summary"], answer.trim());
    assert_eq!(result["summary_source"], "fake-analyst-1");

    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "one request a scan");
    let request = &seen[0];
    assert_eq!(request.request_line, "POST /v1/chat/completions HTTP/1.1");
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("content-type"), Some("application/json"));
    let expected_key = std::env::var("HOME")
        .ok()
        .map(|key| format!("Bearer {key}"));
    assert_eq!(header("authorization").map(String::from), expected_key);
    assert_eq!(request.body["model"], "fake-analyst-1");
    let messages = request.body["messages"].as_array().unwrap();
    let instructions = messages[0]["content"].as_str().unwrap();
    assert!(instructions.contains("Write in Russian"), "{instructions}");

    // The prompt holds the dossier's findings, exactly as the dossier holds them, and
    // nothing the dossier does not: no summary, no artifacts, no other field.
    let prompt = messages[1]["content"].as_str().unwrap();
    let sent: Value = serde_json::from_str(&prompt[prompt.find('{').unwrap()..]).unwrap();
    let mut expected = result.as_object().unwrap().clone();
    for dropped in ["ai_summary", "summary_source", "lang", "artifacts"] {
        expected.remove(dropped);
    }
    assert_eq!(sent, Value::Object(expected));
}

#[test]
fn a_server_error_keeps_the_template_summary() {
    let fake = FakeModel::start(Behaviour::ServerError);
    let result = scan(&fake.config(), "+44 7400 123456", "en");
    assert_eq!(fake.seen().len(), 1, "the endpoint was asked");
    assert_eq!(result["summary_source"], "template");
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Low risk (0 out of 100) for the number +44 7400 123456."),
        "{summary}"
    );
}

#[test]
fn a_hang_past_the_timeout_keeps_the_template_summary() {
    let fake = FakeModel::start(Behaviour::Hang);
    let result = scan(&fake.config(), "john.doe@gmail.com", "ru");
    assert_eq!(fake.seen().len(), 1, "the endpoint was asked");
    assert_eq!(result["summary_source"], "template");
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Низкий риск (5 из 100) для адреса john.doe@gmail.com."),
        "{summary}"
    );
}

#[test]
fn an_empty_answer_keeps_the_template_summary() {
    let fake = FakeModel::start(Behaviour::Answer(" \n "));
    let result = scan(&fake.config(), "johndoe", "en");
    assert_eq!(fake.seen().len(), 1, "the endpoint was asked");
    assert_eq!(result["summary_source"], "template");
    let summary = result["ai_summary"].as_str().unwrap();
    assert!(summary.contains("for the username johndoe"), "{summary}");
}

#[test]
fn an_endpoint_that_refuses_connections_keeps_the_template_summary() {
    // Bind a port, then free it: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config =
        format!("[summary]\nendpoint = \"http://127.0.0.1:{port}/v1\"\ntimeout = \"1s\"\n");
    let result = scan(&config, "johndoe", "en");
    assert_eq!(result["summary_source"], "template");
}

#[test]
fn without_an_endpoint_the_template_writes_the_summary() {
    let result = scan("", "johndoe", "en");
    assert_eq!(result["summary_source"], "template");
    assert!(
        result["ai_summary"]
            .as_str()
            .unwrap()
            .starts_with("Low risk (0 out of 100) for the username johndoe.")
    );
}
