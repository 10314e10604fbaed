//! The running appliance: opens the store, puts unfinished scans back on the queue and
//! pending webhook deliveries back on their timer, starts the writer, the workers, the
//! webhook delivery task, the HTTP API and the admin socket, and stops them in order on
//! shutdown (stop accepting, let running scans finish within a deadline, leave queued
//! scans and pending deliveries in the store for the next start).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::FailureBrake;
use crate::clock::{self, SharedClock};
use crate::config::Config;
use crate::engine::llm::SummaryModel;
use crate::engine::presence::UsernameSites;
use crate::engine::{Engine, EngineSettings, Recipe};
use crate::outbound::{Outbound, OutboundError};
use crate::scheduler::Scheduler;
use crate::sites::Site;
use crate::sites::book::SiteBook;
use crate::store::{Store, StoreError, Writer, WriterThread};

/// How often the brake on failed logins forgets addresses that behaved.
const BRAKE_PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Everything a request handler or an admin command may need.
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub writer: Writer,
    pub scheduler: Arc<Scheduler>,
    pub clock: SharedClock,
    pub auth_brake: FailureBrake,
    /// The breach index the `breach.index` recipe and the breach commands use.
    pub breaches: crate::breaches::Index,
    /// The sites scans check and their health; the site commands update it.
    pub sites: Arc<SiteBook>,
    /// The client every outbound request goes through.
    pub outbound: Arc<Outbound>,
    /// Hands webhook deliveries (operator redeliveries) to the delivery task.
    pub webhooks: crate::webhooks::Queue,
}

/// What tests may change about an appliance they start.
pub struct Options {
    pub clock: SharedClock,
    /// The recipes to run instead of the built-in ones.
    pub recipes: Option<Vec<Arc<dyn Recipe>>>,
    /// The built-in site list to use instead of `data/sites/skopio.json`.
    pub sites: Option<Vec<Site>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: clock::system(),
            recipes: None,
            sites: None,
        }
    }
}

#[derive(Debug)]
pub enum StartError {
    Store(StoreError),
    Outbound(OutboundError),
    Breaches(crate::breaches::BreachError),
    /// The summary endpoint's client could not be built (its proxy or CA file).
    Summary(crate::outbound::OutboundError),
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    Admin {
        path: PathBuf,
        source: std::io::Error,
    },
    Webhooks(crate::outbound::OutboundError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Store(StoreError::Locked) => write!(
                f,
                "the database is already open in another process (is a server already \
                 running with this data directory?)"
            ),
            StartError::Store(e) => write!(f, "{e}"),
            StartError::Outbound(e) => write!(f, "{e}"),
            StartError::Breaches(e) => write!(f, "{e}"),
            StartError::Webhooks(e) => write!(f, "cannot start webhook deliveries: {e}"),
            StartError::Summary(e) => write!(f, "the summary endpoint: {e}"),
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Admin { path, source } => {
                write!(
                    f,
                    "cannot open the admin socket {}: {source}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for StartError {}

/// A started appliance.
pub struct Running {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    shutdown: watch::Sender<bool>,
    http: JoinHandle<()>,
    admin: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    deliveries: crate::webhooks::Dispatcher,
    writer_thread: WriterThread,
}

pub async fn start(config: Config, options: Options) -> Result<Running, StartError> {
    let addr = config.server.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    // Bound before the store is opened, so a port in use leaves no database behind. With
    // no public base URL configured, URLs are built from the address actually bound (port
    // 0 becomes a real port).
    let mut config = config;
    config.server.listen = addr;
    let data_dir = config.storage.data_dir.clone();
    let outbound = Arc::new(Outbound::new(&config.engine.http).map_err(StartError::Outbound)?);
    let (store, breaches, sites) = {
        let data_dir = data_dir.clone();
        let default_sites = options.sites;
        tokio::task::spawn_blocking(move || {
            let store = Store::open(&data_dir).map_err(StartError::Store)?;
            // Before the writer starts: opening the index may record its key's check.
            let breaches =
                crate::breaches::Index::open(&store, &data_dir).map_err(StartError::Breaches)?;
            let (lists, health) = store
                .read(|tx| Ok((tx.site_lists()?, tx.site_health()?)))
                .map_err(StartError::Store)?;
            let sites = match default_sites {
                Some(default) => SiteBook::with_default(default, &lists, health),
                None => SiteBook::new(&lists, health),
            };
            Ok::<_, StartError>((store, breaches, Arc::new(sites)))
        })
        .await
        .map_err(|e| StartError::Store(StoreError::Aborted(e.to_string())))??
    };
    // The phone tables are unpacked once; do it now rather than in the first scan.
    tokio::task::spawn_blocking(crate::phone::preload);
    // Before the writer starts, so a refused setting leaves no thread behind.
    let summary_model = SummaryModel::from_config(&config).map_err(StartError::Summary)?;
    let (writer, writer_thread) = Writer::spawn_with_handle(store.clone());
    let settings = EngineSettings::of(&config);
    let engine = match options.recipes {
        Some(recipes) => Engine::new(recipes, settings),
        None => {
            let presence = UsernameSites::new(
                Arc::clone(&outbound),
                Arc::clone(&sites),
                Some(writer.clone()),
                site_deadline(&config),
            );
            Engine::full(settings, Some(breaches.clone()), Some(presence))
        }
    };
    let (webhooks, incoming) = crate::webhooks::Queue::new();
    let engine = engine.with_summary_model(summary_model);
    let scheduler = Scheduler::new(
        Arc::new(engine),
        writer.clone(),
        Arc::clone(&options.clock),
        webhooks.clone(),
        config.base_url(),
        config.engine.workers,
        config.engine.queue_capacity,
    );
    let pending = store
        .read_async(|tx| tx.pending_scan_ids())
        .await
        .map_err(StartError::Store)?;
    if !pending.is_empty() {
        tracing::info!(
            scans = pending.len(),
            "resuming scans left queued or running"
        );
    }
    scheduler.recover(pending);
    let pending_deliveries = store
        .read_async(|tx| tx.due_deliveries())
        .await
        .map_err(StartError::Store)?;
    warn_of_missing_tiers(&store, &config).await;
    let app = Arc::new(App {
        config: Arc::new(config),
        store,
        writer,
        scheduler: Arc::clone(&scheduler),
        clock: options.clock,
        auth_brake: FailureBrake::default(),
        breaches,
        sites,
        outbound,
        webhooks: webhooks.clone(),
    });
    let (shutdown, watcher) = watch::channel(false);
    let deliveries = crate::webhooks::Dispatcher::start(
        &app.config,
        app.store.clone(),
        app.writer.clone(),
        Arc::clone(&app.clock),
        webhooks,
        incoming,
        pending_deliveries,
        watcher.clone(),
    )
    .map_err(StartError::Webhooks)?;
    let admin_listener = crate::admin::bind(&data_dir).map_err(|source| StartError::Admin {
        path: crate::admin::socket_path(&data_dir),
        source,
    })?;
    let admin = tokio::spawn(crate::admin::serve(
        admin_listener,
        Arc::clone(&app),
        watcher.clone(),
    ));
    let workers = scheduler.start();
    let http = tokio::spawn(crate::api::serve(
        listener,
        Arc::clone(&app),
        watcher.clone(),
    ));
    tokio::spawn(prune_brake(Arc::clone(&app), watcher));
    tracing::info!(%addr, data_dir = %data_dir.display(), "skopio is serving");
    Ok(Running {
        addr,
        app,
        shutdown,
        http,
        admin,
        workers,
        deliveries,
        writer_thread,
    })
}

/// How long a scan's site checks may take in all: twice the per-request timeout, so that
/// checks waiting for a free connection still get their full timeout, and within the
/// recipe timeout so the run reports its own cut-off sites rather than being cut off.
pub fn site_deadline(config: &Config) -> Duration {
    let wanted = config.engine.http.timeout * 2;
    let room = config
        .engine
        .recipe_timeout
        .saturating_sub(Duration::from_secs(1))
        .max(Duration::from_millis(100));
    wanted.min(room)
}

/// A customer whose tier the config no longer defines cannot start scans; say so at start
/// rather than only when the customer's requests begin to fail.
async fn warn_of_missing_tiers(store: &Store, config: &Config) {
    let Ok(customers) = store.read_async(|tx| tx.customers()).await else {
        return;
    };
    for customer in customers
        .iter()
        .filter(|c| !config.tiers.contains_key(&c.tier))
    {
        tracing::warn!(customer = %customer.name, tier = %customer.tier,
            "customer's tier is not in the config: its scans will be refused until it is");
    }
}

async fn prune_brake(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(BRAKE_PRUNE_EVERY) => app.auth_brake.prune(),
            _ = shutdown.changed() => return,
        }
    }
}

impl Running {
    /// Stops the appliance: no new connections or scans, open requests and running scans
    /// finish within their deadlines, queued scans stay queued in the store. Returns the
    /// writer thread, which ends (closing the database) once the last handle is dropped.
    pub async fn shutdown(self) -> WriterThread {
        let _ = self.shutdown.send(true);
        let _ = self.http.await;
        let _ = self.admin.await;
        self.app.scheduler.stop();
        let drain = futures_join_all(self.workers);
        let grace = self.app.config.engine.shutdown_grace;
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!("scans still running at the deadline will run again at next start");
        }
        // Deliveries still pending (or under way) stay pending in the store and go out
        // after the next start.
        self.deliveries.stopped().await;
        crate::admin::remove_socket(&self.app.config.storage.data_dir);
        tracing::info!("skopio stopped");
        self.writer_thread
    }

    /// Serves until SIGINT or SIGTERM, then shuts down.
    pub async fn run_until_signal(self) -> WriterThread {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

async fn futures_join_all(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
