//! The group-commit writer: one thread owns every write transaction of the running
//! server. Callers hand it a change (a closure over `WriteTx`); it takes every change
//! waiting, applies them in arrival order in one transaction, commits once (durably),
//! then answers each caller. A caller is answered only after the commit holding its
//! change, so acknowledged means durable, while concurrent callers share one fsync.
//!
//! A change that fails with a `StoreError` or panics leaves the transaction in an unknown
//! state, so the whole batch is aborted and every caller in it gets the error: nothing
//! is acknowledged that was not committed. Changes that refuse something (a quota, a
//! balance) must decide before they write, and return the refusal as their value.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::{Store, StoreError, WriteTx};

/// Most changes applied in one transaction. Large enough that 64 concurrent clients
/// share a commit; small enough that one commit's latency stays low.
const MAX_BATCH: usize = 512;

/// Changes that may wait for the writer before submitters are made to wait in turn.
const QUEUE_DEPTH: usize = 4096;

type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut WriteTx) -> (Reply, Result<(), StoreError>) + Send>;

/// A job and whether it must be committed in a transaction of its own.
struct Queued {
    job: Job,
    /// A bulk change (a chunk of a breach import): large, so it gets its own commit and
    /// the small changes waiting behind it are committed together right after, instead of
    /// sharing its commit and its latency.
    alone: bool,
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Queued>,
}

/// Keeps the writer thread's handle so shutdown can wait for the last commit. The thread
/// ends, and drops its handle on the database, once every `Writer` clone is gone.
pub struct WriterThread(JoinHandle<()>);

impl WriterThread {
    pub fn join(self) {
        let _ = self.0.join();
    }
}

impl Writer {
    pub(super) fn spawn(store: Store) -> Writer {
        Writer::spawn_with_handle(store).0
    }

    /// Starts the writer and returns the thread handle too. The thread ends once every
    /// `Writer` clone is dropped and the queued changes are committed.
    pub fn spawn_with_handle(store: Store) -> (Writer, WriterThread) {
        let (jobs, receiver) = mpsc::channel(QUEUE_DEPTH);
        let handle = std::thread::Builder::new()
            .name("skopio-writer".to_string())
            .spawn(move || run(store, receiver))
            .expect("cannot start the writer thread");
        (Writer { jobs }, WriterThread(handle))
    }

    fn job<R, F>(f: F) -> (Job, oneshot::Receiver<Result<R, StoreError>>)
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let (value, status) = match f(tx) {
                Ok(value) => (Some(value), Ok(())),
                Err(e) => (None, Err(e)),
            };
            let failure = status.as_ref().err().map(|e| e.to_string());
            let reply: Reply = Box::new(move |committed| {
                let outcome = match (committed, value, failure) {
                    (Ok(()), Some(value), _) => Ok(value),
                    (_, _, Some(own)) => Err(StoreError::Aborted(own)),
                    (Err(batch), _, None) => Err(StoreError::Aborted(batch)),
                    (Ok(()), None, None) => Err(StoreError::WriterGone),
                };
                let _ = answer.send(outcome);
            });
            (reply, status)
        });
        (job, answered)
    }

    /// Applies `f` in the next batch and resolves once that batch is durable.
    pub async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (job, answered) = Writer::job(f);
        self.jobs
            .send(Queued { job, alone: false })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answered.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Like `write`, from a thread that is not a tokio worker.
    pub fn write_blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.send_blocking(f, false)
    }

    /// Like `write_blocking`, for a large change (bulk import): it is committed in a
    /// transaction of its own, so API changes never wait for its commit in theirs.
    pub fn write_alone_blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.send_blocking(f, true)
    }

    fn send_blocking<R, F>(&self, f: F, alone: bool) -> Result<R, StoreError>
    where
        F: FnOnce(&mut WriteTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (job, answered) = Writer::job(f);
        self.jobs
            .blocking_send(Queued { job, alone })
            .map_err(|_| StoreError::WriterGone)?;
        answered
            .blocking_recv()
            .map_err(|_| StoreError::WriterGone)?
    }
}

fn run(store: Store, mut receiver: mpsc::Receiver<Queued>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    // A bulk job met while gathering a batch waits here for the next transaction.
    let mut held: Option<Queued> = None;
    loop {
        let first = match held.take() {
            Some(queued) => queued,
            None => match receiver.blocking_recv() {
                Some(queued) => queued,
                None => return,
            },
        };
        let alone = first.alone;
        batch.push(first.job);
        while !alone && batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(queued) if queued.alone => {
                    held = Some(queued);
                    break;
                }
                Ok(queued) => batch.push(queued.job),
                Err(_) => break,
            }
        }
        commit_batch(&store, &mut batch);
    }
}

fn commit_batch(store: &Store, batch: &mut Vec<Job>) {
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    let txn = match store.db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let message = e.to_string();
            tracing::error!(error = %message, "cannot begin a write transaction");
            // Dropping the jobs drops their answer channels: each caller sees the store
            // as gone, and nothing was acknowledged.
            batch.clear();
            return;
        }
    };
    let mut tx = WriteTx { txn };
    let mut failed: Option<String> = None;
    for job in batch.drain(..) {
        if failed.is_some() {
            // The batch is lost anyway; dropping the job drops its answer channel, and
            // the caller sees `WriterGone`. Running it would only waste the work.
            drop(job);
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| job(&mut tx))) {
            Ok((reply, status)) => {
                if let Err(e) = status {
                    failed = Some(e.to_string());
                }
                replies.push(reply);
            }
            Err(_) => failed = Some("a change panicked".to_string()),
        }
    }
    let committed = match failed {
        Some(reason) => {
            let _ = tx.txn.abort();
            Err(reason)
        }
        None => tx.txn.commit().map_err(|e| e.to_string()),
    };
    if let Err(reason) = &committed {
        tracing::error!(error = %reason, changes = replies.len(), "write batch not committed");
    }
    for reply in replies {
        reply(committed.clone());
    }
}
