//! The scheduler: a bounded queue of scan ids and a fixed pool of workers that run them.
//!
//! A slot in the queue is reserved before a submission's transaction and released if the
//! transaction does not commit, so a full queue refuses a scan (502) before anything is
//! charged. Workers mark a scan running, run the engine in a task of its own (a panic
//! anywhere in it fails that scan alone, refunded), and record the result (with its
//! webhook delivery, handed to the delivery task after the commit: workers never send
//! webhooks themselves); each of those steps is a write through the group-commit writer.
//! At start every scan the store still holds as queued or running goes back on the queue,
//! oldest first.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};

use crate::clock::SharedClock;
use crate::dossier::RecipeStatus;
use crate::engine::{Engine, Progress, ScanInput};
use crate::scans::{self, Outcome};
use crate::store::Writer;
use crate::target::Kind;

/// Scan durations the ETA estimate averages over.
const ETA_WINDOW: usize = 50;
/// The ETA assumed for a scan before any has finished.
const DEFAULT_SCAN_SECS: f64 = 5.0;

pub struct Scheduler {
    sender: mpsc::UnboundedSender<String>,
    receiver: tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>,
    capacity: usize,
    /// Scans reserved or waiting in the queue (not yet taken by a worker).
    queued: AtomicUsize,
    running: AtomicUsize,
    progress: Mutex<HashMap<String, Arc<Progress>>>,
    durations: Mutex<VecDeque<f64>>,
    n_workers: usize,
    stopping: AtomicBool,
    stopped: Notify,
    engine: Arc<Engine>,
    writer: Writer,
    clock: SharedClock,
    /// Where the deliveries of finished scans go once their transaction commits.
    webhooks: crate::webhooks::Queue,
    /// The public base URL, for the artifact URLs a completed dossier carries.
    base_url: String,
}

/// A reserved queue slot. Dropped without `enqueue`, it frees the slot.
pub struct Reservation<'s> {
    scheduler: &'s Scheduler,
    n: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.scheduler.queued.fetch_sub(self.n, Ordering::SeqCst);
    }
}

impl Reservation<'_> {
    /// Hands the committed scans to the workers; the slots now belong to them.
    pub fn enqueue(mut self, scan_ids: Vec<String>) {
        let surplus = self.n.saturating_sub(scan_ids.len());
        self.n = surplus;
        for id in scan_ids {
            // The receiver lives as long as the scheduler, so a send cannot fail.
            let _ = self.scheduler.sender.send(id);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct QueueStats {
    pub queued: usize,
    pub running: usize,
    pub capacity: usize,
    pub workers: usize,
}

impl Scheduler {
    pub fn new(
        engine: Arc<Engine>,
        writer: Writer,
        clock: SharedClock,
        webhooks: crate::webhooks::Queue,
        base_url: String,
        n_workers: usize,
        capacity: usize,
    ) -> Arc<Scheduler> {
        let (sender, receiver) = mpsc::unbounded_channel();
        Arc::new(Scheduler {
            sender,
            receiver: tokio::sync::Mutex::new(receiver),
            capacity,
            queued: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            progress: Mutex::new(HashMap::new()),
            durations: Mutex::new(VecDeque::new()),
            n_workers,
            stopping: AtomicBool::new(false),
            stopped: Notify::new(),
            engine,
            writer,
            clock,
            webhooks,
            base_url,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Reserves `n` queue slots, or `None` when the queue is full or shutting down.
    pub fn reserve(&self, n: usize) -> Option<Reservation<'_>> {
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let before = self.queued.fetch_add(n, Ordering::SeqCst);
        let reservation = Reservation { scheduler: self, n };
        match before + n <= self.capacity {
            true => Some(reservation),
            false => None,
        }
    }

    /// Puts scans found pending in the store at start back on the queue. Recovery is not
    /// bounded by the queue's capacity: these scans were accepted and paid for.
    pub fn recover(&self, scan_ids: Vec<String>) {
        self.queued.fetch_add(scan_ids.len(), Ordering::SeqCst);
        for id in scan_ids {
            let _ = self.sender.send(id);
        }
    }

    pub fn stats(&self) -> QueueStats {
        QueueStats {
            queued: self.queued.load(Ordering::SeqCst),
            running: self.running.load(Ordering::SeqCst),
            capacity: self.capacity,
            workers: self.n_workers,
        }
    }

    /// Progress of a running scan, as (done, total).
    pub fn progress(&self, scan_id: &str) -> Option<(u32, u32)> {
        let map = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        map.get(scan_id).map(|p| {
            (
                p.done.load(Ordering::Relaxed),
                p.total.load(Ordering::Relaxed),
            )
        })
    }

    /// Mean duration of recent scans, in seconds.
    pub fn mean_scan_secs(&self) -> f64 {
        let durations = self.durations.lock().unwrap_or_else(|p| p.into_inner());
        match durations.len() {
            0 => DEFAULT_SCAN_SECS,
            n => durations.iter().sum::<f64>() / n as f64,
        }
    }

    /// Seconds until a scan submitted now is likely done: the queue ahead of it shared by
    /// the workers, plus its own run.
    pub fn eta_seconds(&self) -> u64 {
        let ahead = self.queued.load(Ordering::SeqCst) + self.running.load(Ordering::SeqCst);
        let rounds = ahead as f64 / self.n_workers as f64 + 1.0;
        (rounds * self.mean_scan_secs()).ceil().max(1.0) as u64
    }

    /// Starts the worker pool.
    pub fn start(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        (0..self.n_workers)
            .map(|worker_idx| {
                let scheduler = Arc::clone(self);
                tokio::spawn(async move { scheduler.work(worker_idx).await })
            })
            .collect()
    }

    /// Stops handing out scans. Running scans finish; queued ones stay queued in the store
    /// and run after the next start.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stopped.notify_waiters();
    }

    async fn next(&self) -> Option<String> {
        let mut receiver = self.receiver.lock().await;
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        tokio::select! {
            id = receiver.recv() => id,
            _ = self.stopped.notified() => None,
        }
    }

    async fn work(&self, worker_idx: usize) {
        while let Some(scan_id) = self.next().await {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            self.running.fetch_add(1, Ordering::SeqCst);
            tracing::debug!(worker_idx, scan_id = %scan_id, "worker took a scan");
            self.run_scan(&scan_id).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
        }
    }

    async fn run_scan(&self, scan_id: &str) {
        let now = self.clock.now_ms();
        let id = scan_id.to_string();
        let scan = match self
            .writer
            .write(move |tx| scans::start(tx, &id, now))
            .await
        {
            Ok(Some(scan)) => scan,
            Ok(None) => return,
            Err(e) => {
                // The scan stays pending in the store and runs after the next start.
                tracing::error!(scan_id = %scan_id, error = %e, "cannot mark a scan running");
                return;
            }
        };
        let progress = Arc::new(Progress::default());
        self.progress_map()
            .insert(scan_id.to_string(), Arc::clone(&progress));
        let started = Instant::now();
        let outcome = self
            .run_engine(scan_id, &scan.target, &scan.kind, &scan.lang, &progress)
            .await;
        let secs = started.elapsed().as_secs_f64();
        {
            let mut durations = self.durations.lock().unwrap_or_else(|p| p.into_inner());
            durations.push_back(secs);
            if durations.len() > ETA_WINDOW {
                durations.pop_front();
            }
        }
        self.finish(scan_id, outcome).await;
        self.progress_map().remove(scan_id);
        tracing::info!(scan_id = %scan_id, kind = %scan.kind, secs, "scan finished");
    }

    fn progress_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Progress>>> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run_engine(
        &self,
        scan_id: &str,
        target: &str,
        kind: &str,
        lang: &str,
        progress: &Arc<Progress>,
    ) -> Outcome {
        let Some(kind) = Kind::parse(kind) else {
            return Outcome::Failed {
                code: "engine_error".to_string(),
                message: format!("the stored scan has an unknown kind {kind:?}"),
                refund: true,
            };
        };
        let input = ScanInput {
            progress: Arc::clone(progress),
            ..ScanInput::new(target.to_string(), kind, lang.to_string())
        };
        let engine = Arc::clone(&self.engine);
        // Stored with the dossier, so that a webhook's copy carries them as a poll does.
        let artifacts = crate::dossier::Artifacts::for_scan(&self.base_url, scan_id);
        let task = tokio::spawn(async move {
            let mut dossier = engine.run(input).await;
            dossier.artifacts = artifacts;
            let all_failed = !dossier.recipes.is_empty()
                && dossier
                    .recipes
                    .iter()
                    .all(|r| r.status == RecipeStatus::Error);
            if all_failed {
                let notes = dossier
                    .recipes
                    .iter()
                    .map(|r| format!("{}: {}", r.name, r.note));
                return Ok(Err(notes.collect::<Vec<String>>()));
            }
            serde_json::to_string(&dossier).map(Ok)
        });
        match task.await {
            Ok(Ok(Ok(result_json))) => Outcome::Completed { result_json },
            // Every recipe failing leaves the customer nothing for their credit: the scan
            // is failed, through the engine's fault, and refunded.
            Ok(Ok(Err(notes))) => Outcome::Failed {
                code: "engine_error".to_string(),
                message: format!("every check of this scan failed: {}", notes.join("; ")),
                refund: true,
            },
            Ok(Err(e)) => Outcome::Failed {
                code: "engine_error".to_string(),
                message: format!("the dossier could not be written: {e}"),
                refund: true,
            },
            Err(_) => Outcome::Failed {
                code: "engine_error".to_string(),
                message: "the engine failed unexpectedly while running this scan".to_string(),
                refund: true,
            },
        }
    }

    /// Records the outcome, retrying a failed write a few times: the scan must not stay
    /// running forever because of one storage hiccup.
    async fn finish(&self, scan_id: &str, outcome: Outcome) {
        for attempt in 0..5u32 {
            let id = scan_id.to_string();
            let outcome = outcome.clone();
            let now = self.clock.now_ms();
            match self
                .writer
                .write(move |tx| scans::finish(tx, &id, outcome, now))
                .await
            {
                Ok(Some(scans::Finished {
                    delivery: Some((due_ms, delivery_id)),
                    ..
                })) => {
                    self.webhooks.push(due_ms, delivery_id);
                    return;
                }
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(scan_id = %scan_id, attempt, error = %e,
                        "cannot record a result");
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
            }
        }
    }
}
