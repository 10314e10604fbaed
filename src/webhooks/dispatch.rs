//! The delivery task: a timer over the pending deliveries (loaded from the store at start,
//! then fed by the scheduler, by its own retries and by operator redeliveries), which
//! starts each delivery when it comes due in a task of its own.
//!
//! One receiver can never hold up another: an attempt first waits for a place among its
//! receiver's attempts (`PER_RECEIVER`), and only then for one among all attempts
//! (`CONCURRENCY`), so attempts queued behind a dead receiver hold no place others could
//! use; each attempt ends at `webhooks.timeout`; the blocking HTTP call runs on tokio's
//! blocking pool through the webhook client of `outbound`, never on the scan workers.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::{ANSWER_EXCERPT_CHARS, Verdict, record_attempt, sign};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::netguard::Guard;
use crate::outbound::{FetchError, Fetched, OutRequest, Outbound, OutboundError, WebhookClient};
use crate::store::{Attempt, DeliveryState, Store, Writer};

/// Attempts in flight at once across all receivers: each holds a blocking thread for at
/// most `webhooks.timeout`, and tokio's blocking pool has room for a few hundred.
const CONCURRENCY: usize = 128;
/// Attempts in flight at once to one receiver (scheme, host and port): enough for a fast
/// receiver's throughput, few enough that a dead one ties up little.
const PER_RECEIVER: usize = 8;
/// Bytes of a receiver's answer read; the log keeps the first `ANSWER_EXCERPT_CHARS`.
const MAX_ANSWER_BYTES: u64 = 4096;
/// How long a delivery whose outcome could not be written waits before it is tried again.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// The longest the timer sleeps with nothing due (it wakes early for anything new).
const IDLE_WAKE: Duration = Duration::from_secs(3600);

/// Hands deliveries to the delivery task: (due ms, delivery id). Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    sender: mpsc::UnboundedSender<(i64, String)>,
}

impl Queue {
    /// A queue and the receiving end the dispatcher is started with.
    pub fn new() -> (Queue, mpsc::UnboundedReceiver<(i64, String)>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Queue { sender }, receiver)
    }

    /// Schedules a delivery already stored as pending. Without a running dispatcher (an
    /// operator command on the file) it is simply picked up at the next start.
    pub fn push(&self, due_ms: i64, delivery_id: String) {
        let _ = self.sender.send((due_ms, delivery_id));
    }
}

struct Shared {
    store: Store,
    writer: Writer,
    clock: SharedClock,
    outbound: Outbound,
    schedule: Vec<Duration>,
    timeout: Duration,
    queue: Queue,
    /// Deliveries with an attempt under way, so a delivery is never sent twice at once.
    in_flight: Mutex<HashSet<String>>,
}

/// The running delivery task.
pub struct Dispatcher {
    handle: JoinHandle<()>,
}

impl Dispatcher {
    /// Starts the timer with the deliveries found pending in the store.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        config: &Config,
        store: Store,
        writer: Writer,
        clock: SharedClock,
        queue: Queue,
        incoming: mpsc::UnboundedReceiver<(i64, String)>,
        pending: Vec<(i64, String)>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Dispatcher, OutboundError> {
        let client = WebhookClient {
            timeout: config.webhooks.timeout,
            guard: Guard::new(&config.webhooks.allow_networks),
            ca_file: config.engine.http.ca_file.clone(),
            concurrency: CONCURRENCY,
            per_receiver: PER_RECEIVER,
            max_answer_bytes: MAX_ANSWER_BYTES,
        };
        let shared = Arc::new(Shared {
            store,
            writer,
            clock,
            outbound: Outbound::for_webhooks(&client)?,
            schedule: config.webhooks.retry_schedule.clone(),
            timeout: config.webhooks.timeout,
            queue,
            in_flight: Mutex::new(HashSet::new()),
        });
        if !pending.is_empty() {
            tracing::info!(
                deliveries = pending.len(),
                "resuming pending webhook deliveries"
            );
        }
        let handle = tokio::spawn(run(shared, incoming, pending, shutdown));
        Ok(Dispatcher { handle })
    }

    /// Waits for the timer to stop (after shutdown was signalled). Attempts under way are
    /// left to finish or, if the process ends first, to run again at the next start.
    pub async fn stopped(self) {
        let _ = self.handle.await;
    }
}

async fn run(
    shared: Arc<Shared>,
    mut incoming: mpsc::UnboundedReceiver<(i64, String)>,
    pending: Vec<(i64, String)>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut timer: BinaryHeap<Reverse<(i64, String)>> = pending.into_iter().map(Reverse).collect();
    loop {
        let now = shared.clock.now_ms();
        while timer.peek().is_some_and(|Reverse((due, _))| *due <= now) {
            let Some(Reverse((_, delivery_id))) = timer.pop() else {
                break;
            };
            let fresh = shared.in_flight().insert(delivery_id.clone());
            // A delivery already under way schedules its own next attempt.
            if fresh {
                tokio::spawn(attempt(Arc::clone(&shared), delivery_id));
            }
        }
        let wait = match timer.peek() {
            Some(Reverse((due, _))) => Duration::from_millis((due - now).max(0) as u64),
            None => IDLE_WAKE,
        };
        tokio::select! {
            item = incoming.recv() => match item {
                Some(item) => timer.push(Reverse(item)),
                None => return,
            },
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

impl Shared {
    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Frees a delivery's in-flight mark however its attempt ends.
struct InFlight<'a>(&'a Shared, &'a str);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight().remove(self.1);
    }
}

async fn attempt(shared: Arc<Shared>, delivery_id: String) {
    let _mark = InFlight(&shared, &delivery_id);
    let lookup = delivery_id.clone();
    let found = shared
        .store
        .read_async(move |tx| {
            let delivery = tx.delivery(&lookup)?;
            let webhook = match &delivery {
                Some(d) => tx.webhook(&d.key_id)?,
                None => None,
            };
            Ok((delivery, webhook))
        })
        .await;
    let (delivery, webhook) = match found {
        Ok((Some(delivery), webhook)) => (delivery, webhook),
        Ok((None, _)) => return,
        Err(e) => {
            tracing::error!(delivery_id = %delivery_id, error = %e, "cannot read a delivery");
            shared.queue.push(
                shared.clock.now_ms() + STORE_RETRY.as_millis() as i64,
                delivery_id.clone(),
            );
            return;
        }
    };
    // A stale timer entry: the delivery is done, or was moved to a later time.
    let now = shared.clock.now_ms();
    if delivery.state != DeliveryState::Pending || delivery.next_at_ms.is_none_or(|at| at > now) {
        return;
    }
    let Some(webhook) = webhook else {
        let id = delivery_id.clone();
        if let Err(e) = shared.writer.write(move |tx| super::cancel(tx, &id)).await {
            tracing::error!(delivery_id = %delivery_id, error = %e, "cannot cancel a delivery");
        }
        tracing::info!(delivery_id = %delivery_id, "delivery cancelled: the key has no webhook");
        return;
    };
    // Known shortcoming: the URL and secrets are read before waiting for a place among the
    // receiver's attempts, so a webhook changed or cleared during that wait gets this one
    // attempt with the old settings; reading them again after the wait would close it.
    let permit = match shared.outbound.permit(&webhook.url).await {
        Ok(permit) => permit,
        Err(e) => {
            tracing::error!(delivery_id = %delivery_id, error = %e, "no room to deliver");
            return;
        }
    };
    // Signed when it leaves, not when it was queued, so the timestamps are the attempt's.
    let at_ms = shared.clock.now_ms();
    let headers = sign::headers(
        &webhook,
        &delivery.delivery_id,
        &delivery.event,
        delivery.body.as_bytes(),
        at_ms,
    );
    let request = OutRequest {
        method: "POST",
        url: webhook.url.clone(),
        headers,
        body: Some(delivery.body),
    };
    let started = Instant::now();
    let outcome = shared.outbound.send_once(&permit, request).await;
    drop(permit);
    let latency_ms = started.elapsed().as_millis() as u64;
    let (attempt, verdict) = judge(outcome, at_ms, latency_ms, shared.timeout);
    let host = host_of(&webhook.url);
    let error = attempt.error.as_deref().unwrap_or("-");
    tracing::info!(delivery_id = %delivery_id, key_id = %delivery.key_id, host,
        status = ?attempt.status, latency_ms, error, ?verdict, "webhook attempt");
    let schedule = shared.schedule.clone();
    let id = delivery_id.clone();
    let now = shared.clock.now_ms();
    let recorded = shared
        .writer
        .write(move |tx| record_attempt(tx, &id, attempt, verdict, &schedule, now))
        .await;
    match recorded {
        Ok(Some(next_due)) => shared.queue.push(next_due, delivery_id.clone()),
        Ok(None) => {}
        Err(e) => {
            // The delivery is still pending in the store; try again a little later (and
            // at the next start in any case).
            tracing::error!(delivery_id = %delivery_id, error = %e, "cannot record an attempt");
            shared
                .queue
                .push(now + STORE_RETRY.as_millis() as i64, delivery_id.clone());
        }
    }
}

/// The scheme, host and port of a URL, for logs (a URL's path or query may hold a token).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

/// What an attempt's outcome means for the log and for the schedule.
fn judge(
    outcome: Result<Fetched, FetchError>,
    at_ms: i64,
    latency_ms: u64,
    timeout: Duration,
) -> (Attempt, Verdict) {
    let (status, answer, error, verdict) = match outcome {
        Ok(fetched) => {
            let answer: String = fetched.body.chars().take(ANSWER_EXCERPT_CHARS).collect();
            let (error, verdict) = match fetched.status {
                200..=299 => (None, Verdict::Delivered),
                300..=399 => {
                    let to = fetched.location.as_deref().unwrap_or("nowhere");
                    let error = format!(
                        "redirect {} to {to} (redirects are not followed)",
                        fetched.status
                    );
                    (Some(error), Verdict::Retry)
                }
                status => (Some(format!("answered {status}")), Verdict::Retry),
            };
            (Some(fetched.status), answer, error, verdict)
        }
        Err(FetchError::Timeout) => {
            let error = format!("no answer within {}", humantime::format_duration(timeout));
            (None, String::new(), Some(error), Verdict::Retry)
        }
        Err(e @ (FetchError::Blocked(_) | FetchError::InvalidRequest(_))) => {
            (None, String::new(), Some(e.to_string()), Verdict::GiveUp)
        }
        Err(e) => (None, String::new(), Some(e.to_string()), Verdict::Retry),
    };
    let attempt = Attempt {
        at_ms,
        status,
        latency_ms,
        error,
        answer,
    };
    (attempt, verdict)
}
