//! `App`: build (connect, migrate, bind) then serve until a shutdown signal. `AppState` is what
//! every request shares: the database pool, the settings and the token keys.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

use crate::auth::TokenKeys;
use crate::config::Settings;
use crate::email::Outgoing;
use crate::email::outbox;
use crate::service::events::EventBus;
use crate::service::rate_limits::{self, RateLimiters};
use crate::telemetry::Metrics;
use crate::{db, graphql, http};

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    // Shared, not copied: a clone of the state (one per request, loader and subscription) then
    // allocates nothing.
    pub keys: Arc<TokenKeys>,
    pub outgoing: Arc<Outgoing>,
    pub metrics: Arc<Metrics>,
    /// Wakes the outbox worker when a transaction queued mail.
    pub outbox_wakeup: Arc<Notify>,
    /// Committed invitation events, for subscriptions.
    pub bus: EventBus,
    /// Turns true when the server starts shutting down (WebSockets close with 1001).
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Open WebSocket connections: shutdown waits for their close frames to go out.
    pub websockets: TaskTracker,
    /// In-process rate limits, per client IP, account and login identifier.
    pub rate_limits: Arc<RateLimiters>,
}

impl AppState {
    /// Connects, migrates and loads the token keys.
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let metrics = Arc::new(Metrics::default());
        let mut db = db::connect(&settings).await?;
        let statements = Arc::clone(&metrics);
        db.set_metric_callback(move |info| statements.record_statement(info.elapsed, info.failed));
        db::migrate(&db).await?;
        let keys = TokenKeys::load(&settings, &db).await?;
        let outgoing = Outgoing::from_settings(&settings)?;
        let rate_limits = Arc::new(RateLimiters::new(&settings.rate_limits));
        Ok(Self {
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            outgoing: Arc::new(outgoing),
            metrics,
            outbox_wakeup: Arc::default(),
            bus: EventBus::new(db.clone()),
            stopping: tokio::sync::watch::Sender::new(false),
            websockets: TaskTracker::new(),
            rate_limits,
            db,
        })
    }
}

/// A server that is connected, migrated and bound, ready to serve.
pub struct App {
    state: AppState,
    listener: TcpListener,
    router: axum::Router,
    port: u16,
}

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

impl App {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listen = settings.listen;
        let state = AppState::connect(settings).await?;
        state.bus.listen(&state.settings.database_url).await?;
        let engine = graphql::build_engine(state.clone());
        let router = http::router(state.clone(), engine);
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {listen}: {err}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            state,
            listener,
            router,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, e.g. to run the outbox by hand in tests.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves (and, unless turned off, runs the outbox worker) until SIGTERM or ctrl-c, then
    /// gives in-flight requests and the message being sent a bounded time to finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let address = self.listener.local_addr()?;
        tracing::info!(%address, "listening; GraphiQL at http://{address}/graphql");
        let stopping_tx = self.state.stopping.clone();
        let stopping_rx = stopping_tx.subscribe();
        let worker = self
            .state
            .settings
            .outbox_worker
            .then(|| tokio::spawn(outbox::run_worker(self.state.clone(), stopping_rx.clone())));
        tokio::spawn(rate_limits::sweep(
            Arc::clone(&self.state.rate_limits),
            stopping_rx.clone(),
        ));
        tokio::spawn(db::checkpoints(self.state.db.clone(), stopping_rx.clone()));
        let mut server_stopping = stopping_rx.clone();
        // The peer address is the client's IP unless a trusted proxy forwards another.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                let _ = server_stopping.wait_for(|stopping| *stopping).await;
            })
            .into_future();
        tokio::pin!(server);
        let mut stopping = stopping_rx;
        tokio::select! {
            result = &mut server => {
                let _ = stopping_tx.send(true);
                return Ok(result?);
            }
            () = shutdown_signal() => {
                tracing::info!("shutting down: finishing in-flight requests");
                let _ = stopping_tx.send(true);
            }
            _ = stopping.wait_for(|stopping| *stopping) => {}
        }
        let websockets = self.state.websockets.clone();
        let drained = async {
            let served = server.await;
            // Upgraded connections outlive the HTTP server; let them send their close frames.
            websockets.close();
            websockets.wait().await;
            if let Some(worker) = worker {
                let _ = worker.await;
            }
            served
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, drained).await {
            Ok(result) => Ok(result?),
            Err(_) => {
                tracing::warn!("still busy after the grace period; stopping anyway");
                Ok(())
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
