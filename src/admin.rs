//! The operator's way in while the server runs. redb lets one process open the database,
//! so the running server is its only writer; operator commands reach it over a Unix
//! socket in the data directory (mode 0600: only the operator's account can connect; no
//! network admin surface). When no server answers there, the command opens the database
//! itself. Both paths apply the request with the same `accounts::apply` (webhook and
//! delivery requests included).
//!
//! Wire format: one JSON request per connection (`accounts::Request` or
//! `breaches::Request`), then lines back: zero or more `{"progress": …}` while a long
//! breach request runs, and a last one `{"ok": true, "value": …}` or
//! `{"ok": false, "error": "…"}`. A client that goes away mid-import stops the import
//! (what was committed stays; running it again resumes without counting anything twice).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use crate::accounts::{self, AccountError, Request};
use crate::app::App;
use crate::breaches::{self, Sink};
use crate::clock;
use crate::config::Config;
use crate::store::{Store, StoreError};

pub const SOCKET_FILE: &str = "admin.sock";
/// Longest request line accepted on the socket.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;
/// How long the server waits for a connected client to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Binds the socket, replacing a stale file left by a server that died.
pub fn bind(data_dir: &Path) -> std::io::Result<UnixListener> {
    let path = socket_path(data_dir);
    if path.exists() {
        match std::os::unix::net::UnixStream::connect(&path) {
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    "another server answers on this socket",
                ));
            }
            Err(_) => std::fs::remove_file(&path)?,
        }
    }
    let listener = UnixListener::bind(&path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

pub fn remove_socket(data_dir: &Path) {
    let _ = std::fs::remove_file(socket_path(data_dir));
}

pub async fn serve(listener: UnixListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            if let Err(e) = answer(stream, app).await {
                tracing::debug!(error = %e, "admin connection ended early");
            }
        });
    }
}

async fn answer(stream: UnixStream, app: Arc<App>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader =
        tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST_BYTES));
    let mut line = String::new();
    match tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(result) => result?,
        Err(_) => return Ok(()),
    };
    if op_of(&line).is_some_and(|op| op.starts_with("sites_")) {
        let reply = match serde_json::from_str::<crate::sites::ops::Request>(&line) {
            Err(e) => json!({"ok": false, "error": format!("not a valid admin request: {e}")}),
            Ok(request) => answer_sites(request, app).await,
        };
        return send_line(&mut write, &reply).await;
    }
    if is_breach_request(&line) {
        let reply = match serde_json::from_str::<breaches::Request>(&line) {
            Err(e) => json!({"ok": false, "error": format!("not a valid admin request: {e}")}),
            Ok(request) => answer_breaches(request, app, &mut reader, &mut write).await?,
        };
        return send_line(&mut write, &reply).await;
    }
    let reply = match serde_json::from_str::<Request>(&line) {
        Err(e) => json!({"ok": false, "error": format!("not a valid admin request: {e}")}),
        Ok(request) => {
            tracing::info!(op = request.name(), "admin request");
            let config = Arc::clone(&app.config);
            let now = app.clock.now_ms();
            let redelivered = match &request {
                Request::DeliveriesRedeliver { delivery_id } => Some(delivery_id.clone()),
                _ => None,
            };
            let applied = app
                .writer
                .write(
                    move |tx| match accounts::apply(&request, tx, &config, now) {
                        // A storage failure aborts the batch; a refusal is an answer.
                        Err(AccountError::Store(e)) => Err(e),
                        other => Ok(other),
                    },
                )
                .await;
            let applied = applied.map_err(AccountError::Store).and_then(|r| r);
            // A redelivery is committed as due now; the running dispatcher hears of it
            // here (without a server, the next start picks it up from the store).
            if let (Ok(_), Some(delivery_id)) = (&applied, redelivered) {
                app.webhooks.push(now, delivery_id);
            }
            wire(applied)
        }
    };
    send_line(&mut write, &reply).await
}

async fn send_line(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    reply: &Value,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(reply).unwrap_or_default();
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    write.shutdown().await
}

/// The `op` of a request line, if it has one.
fn op_of(line: &str) -> Option<String> {
    let value: Value = serde_json::from_str(line).ok()?;
    value.get("op")?.as_str().map(str::to_string)
}

/// Breach requests carry `"op": "breaches_…"`, site requests `"sites_…"`; everything else
/// is an account request.
fn is_breach_request(line: &str) -> bool {
    op_of(line).is_some_and(|op| op.starts_with("breaches_"))
}

/// Runs a site request on the blocking pool (it reads a file and waits for a commit).
async fn answer_sites(request: crate::sites::ops::Request, app: Arc<App>) -> Value {
    tracing::info!(op = request.name(), "admin request");
    let now = app.clock.now_ms();
    let job = tokio::task::spawn_blocking(move || {
        let commit = crate::sites::ops::Commit::Server(&app.writer);
        crate::sites::ops::apply(&request, &app.store, commit, Some(&app.sites), now)
    });
    match job.await {
        Ok(Ok(value)) => json!({"ok": true, "value": value}),
        Ok(Err(e)) => json!({"ok": false, "error": e}),
        Err(_) => json!({"ok": false, "error": "the request failed unexpectedly"}),
    }
}

/// Runs a breach request on the blocking pool (it reads files and waits for commits),
/// streaming its progress to the client. The client closing its end cancels it.
async fn answer_breaches<R: tokio::io::AsyncRead + Unpin>(
    request: breaches::Request,
    app: Arc<App>,
    reader: &mut R,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) -> std::io::Result<Value> {
    tracing::info!(op = request.name(), "admin request");
    let (progress_tx, mut progress_rx) = tokio::sync::mpsc::channel::<Value>(16);
    let cancel = Arc::new(AtomicBool::new(false));
    let sink = Sink::server(app.store.clone(), app.writer.clone());
    let index = app.breaches.clone();
    let job = {
        let cancel = Arc::clone(&cancel);
        tokio::task::spawn_blocking(move || {
            // Progress that finds the channel full is dropped: the next one supersedes it.
            let mut progress = |value: Value| drop(progress_tx.try_send(value));
            breaches::apply(&request, &sink, &index, &mut progress, &cancel)
        })
    };
    tokio::pin!(job);
    let mut probe = [0u8; 1];
    let mut client_open = true;
    loop {
        tokio::select! {
            Some(value) = progress_rx.recv() => {
                let mut bytes = serde_json::to_vec(&json!({"progress": value}))
                    .unwrap_or_default();
                bytes.push(b'\n');
                if write.write_all(&bytes).await.is_err() {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            // The client sends nothing after its request: a read that ends means it left.
            read = reader.read(&mut probe), if client_open => {
                if !matches!(read, Ok(n) if n > 0) {
                    client_open = false;
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            done = &mut job => {
                return Ok(match done {
                    Ok(Ok(value)) => json!({"ok": true, "value": value}),
                    Ok(Err(e)) => json!({"ok": false, "error": e.to_string()}),
                    Err(_) => json!({"ok": false, "error": "the request failed unexpectedly"}),
                });
            }
        }
    }
}

fn wire(result: Result<Value, AccountError>) -> Value {
    match result {
        Ok(value) => json!({"ok": true, "value": value}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    }
}

#[derive(Debug)]
pub enum AdminError {
    /// The request was refused or failed; the message says why.
    Refused(String),
    /// Neither a server nor the database could be reached.
    Unreachable(String),
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::Refused(m) | AdminError::Unreachable(m) => write!(f, "{m}"),
        }
    }
}

/// Runs an operator request: through the running server if one answers on the data
/// directory's socket, else directly on the database file.
pub fn call(config: &Config, request: &Request) -> Result<Value, AdminError> {
    let data_dir = &config.storage.data_dir;
    let path = socket_path(data_dir);
    if let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) {
        return call_socket(stream, request, &mut |_| {});
    }
    let store = open_direct(config, matches!(request, Request::KeysCreate { .. }))?;
    let now = clock::system().now_ms();
    let result = store.write_now(|tx| match accounts::apply(request, tx, config, now) {
        Err(AccountError::Store(e)) => Err(e),
        other => Ok(other),
    });
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(AdminError::Refused(e.to_string())),
        Err(e) => Err(AdminError::Refused(e.to_string())),
    }
}

/// Runs a breach request: through the running server if one answers (which then reads
/// the file itself, so paths must be absolute), else on the database directly, running
/// the same `breaches::apply`. `progress` sees each progress value of a long request.
/// Opens the database directly, for a command that found no server on the socket.
/// Run from the wrong folder, a command would otherwise create an empty database beside
/// the real one and answer as if all were well, so only a command that `creates` (it
/// starts a customer or a catalog) may make a new one, and says so.
fn open_direct(config: &Config, creates: bool) -> Result<Store, AdminError> {
    let data_dir = &config.storage.data_dir;
    if !data_dir.join(crate::store::DB_FILE).exists() {
        if !creates {
            return Err(AdminError::Unreachable(format!(
                "there is no Skopio database in {} and no server answers there; point \
                 --data-dir (or --config) at the server's data directory",
                data_dir.display()
            )));
        }
        eprintln!(
            "skopio: no server runs on {}; creating a new database there",
            data_dir.display()
        );
    }
    match Store::open(data_dir) {
        Ok(store) => Ok(store),
        Err(StoreError::Locked) => Err(AdminError::Unreachable(format!(
            "the database in {} is held by a running process, but no server answers on {}",
            data_dir.display(),
            socket_path(data_dir).display()
        ))),
        Err(e) => Err(AdminError::Unreachable(e.to_string())),
    }
}

/// Runs a site request: through the running server if one answers (which then reads the
/// file itself, so paths must be absolute), else on the database directly.
pub fn call_sites(
    config: &Config,
    request: &crate::sites::ops::Request,
) -> Result<Value, AdminError> {
    let data_dir = &config.storage.data_dir;
    if let Ok(stream) = std::os::unix::net::UnixStream::connect(socket_path(data_dir)) {
        return call_socket(stream, request, &mut |_| {});
    }
    let creates = matches!(request, crate::sites::ops::Request::SitesImport { .. });
    let store = open_direct(config, creates)?;
    let commit = crate::sites::ops::Commit::Direct(&store);
    crate::sites::ops::apply(request, &store, commit, None, clock::system().now_ms())
        .map_err(AdminError::Refused)
}

pub fn call_breaches(
    config: &Config,
    request: &breaches::Request,
    progress: &mut dyn FnMut(&Value),
) -> Result<Value, AdminError> {
    let data_dir = &config.storage.data_dir;
    let path = socket_path(data_dir);
    if let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) {
        return call_socket(stream, request, progress);
    }
    let creates = matches!(request, breaches::Request::BreachesImportCatalog { .. });
    let store = open_direct(config, creates)?;
    let index = breaches::Index::open(&store, data_dir)
        .map_err(|e| AdminError::Unreachable(e.to_string()))?;
    let sink = Sink::direct(store);
    let mut forward = |value: Value| progress(&value);
    breaches::apply(
        request,
        &sink,
        &index,
        &mut forward,
        &AtomicBool::new(false),
    )
    .map_err(|e| AdminError::Refused(e.to_string()))
}

fn call_socket(
    mut stream: std::os::unix::net::UnixStream,
    request: &impl serde::Serialize,
    progress: &mut dyn FnMut(&Value),
) -> Result<Value, AdminError> {
    let unreachable = |e: std::io::Error| AdminError::Unreachable(format!("admin socket: {e}"));
    let mut line = serde_json::to_vec(request).map_err(|e| AdminError::Refused(e.to_string()))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(unreachable)?;
    let mut reader = BufReader::new(stream);
    let reply: Value = loop {
        let mut answer = String::new();
        reader.read_line(&mut answer).map_err(unreachable)?;
        let value: Value = serde_json::from_str(&answer).map_err(|_| {
            AdminError::Unreachable("the server closed the admin socket".to_string())
        })?;
        match value.get("progress") {
            Some(update) => progress(update),
            None => break value,
        }
    };
    match reply.get("ok") {
        Some(Value::Bool(true)) => Ok(reply.get("value").cloned().unwrap_or(Value::Null)),
        _ => Err(AdminError::Refused(
            reply
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("refused")
                .to_string(),
        )),
    }
}
