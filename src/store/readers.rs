//! A small fixed pool of threads that run read transactions for the async side. Reads are
//! short, but a read can wait on the disk, so they stay off tokio's workers; a fixed pool
//! (rather than tokio's growable blocking pool) keeps a burst of requests from spawning a
//! thread each, and a busy reader takes the next job without sleeping in between.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase};
use tokio::sync::oneshot;

use super::{ReadTx, StoreError};

/// Reader threads. Reads are CPU-light; more threads than this only add switching on a
/// small machine, fewer would let one slow disk read hold up the others.
const READERS: usize = 4;
/// Reads that may wait for a reader before callers wait to hand theirs over.
const QUEUE_DEPTH: usize = 4096;

type Job = Box<dyn FnOnce(&Database) + Send>;

pub(super) struct ReadPool {
    jobs: SyncSender<Job>,
}

impl ReadPool {
    pub(super) fn start(db: &Arc<Database>) -> ReadPool {
        let (jobs, receiver) = sync_channel::<Job>(QUEUE_DEPTH);
        let receiver = Arc::new(Mutex::new(receiver));
        for reader_idx in 0..READERS {
            let db = Arc::downgrade(db);
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("skopio-reader-{reader_idx}"))
                .spawn(move || run(db, receiver));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a reader thread");
            }
        }
        ReadPool { jobs }
    }

    pub(super) async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&ReadTx) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let result = db
                .begin_read()
                .map_err(StoreError::from)
                .and_then(|txn| f(&ReadTx { txn }));
            let _ = answer.send(result);
        });
        // The queue is deep; when it is full the caller's task yields until a slot frees,
        // rather than blocking its worker thread.
        let mut job = Some(job);
        while let Some(pending) = job.take() {
            match self.jobs.try_send(pending) {
                Ok(()) => {}
                Err(std::sync::mpsc::TrySendError::Full(back)) => {
                    job = Some(back);
                    tokio::task::yield_now().await;
                }
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                    return Err(StoreError::WriterGone);
                }
            }
        }
        answered.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// Holds the database weakly, so the pool never keeps it open after the store is gone.
fn run(db: std::sync::Weak<Database>, receiver: Arc<Mutex<Receiver<Job>>>) {
    loop {
        let job = {
            let receiver = receiver.lock().unwrap_or_else(|p| p.into_inner());
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        match db.upgrade() {
            Some(db) => job(&db),
            None => return,
        }
    }
}
