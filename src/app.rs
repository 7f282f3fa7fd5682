//! `App`: build (connect, migrate, bind) then serve until a shutdown signal. This is where the
//! layers are wired together: the use cases' state ([`Ctx`](crate::service::Ctx)), the outbox worker's, and the
//! transport's ([`http::Transport`]: the engine, rate limiters and open WebSockets). Nothing
//! imports this module back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::config::Settings;
use crate::email::Outgoing;
use crate::email::outbox::{self, Outbox};
use crate::email::templates::Emails;
use crate::http::page_languages::PageLanguages;
use crate::service::bus::EventBus;
use crate::service::oidc::OidcVerifier;
use crate::service::previews::PreviewCache;
use crate::service::rate_limits::{self, RateLimiters};
use crate::service::redis_store::RedisStore;
use crate::service::replica::Replica;
use crate::service::shared_limits::SharedLimits;
use crate::service::webhooks::{self, worker::WebhookWorker};
use crate::service::{Ctx, accounts, expiry, retention};
use crate::telemetry::Metrics;
use crate::{db, graphql, http};

/// Connects, migrates and loads the token keys: what the use cases (and the command line's
/// admin tasks) need.
pub async fn connect(settings: Settings) -> anyhow::Result<Ctx> {
    settings.validate()?;
    let metrics = Arc::new(Metrics::default());
    let mut db = db::connect(&settings).await?;
    let statements = Arc::clone(&metrics);
    db.set_metric_callback(move |info| statements.record_statement(info.elapsed, info.failed));
    db::migrate(&db).await?;
    let keys = accounts::token_keys(&settings, &db).await?;
    let oidc = OidcVerifier::discover(&settings.identity)
        .await?
        .map(Arc::new);
    let emails = Emails::load(
        settings.emails.template_dir.as_deref(),
        &settings.emails.product_name,
        &settings.emails.default_locale,
    )?;
    let bus = EventBus::new(db.clone(), &settings);
    let replica = Replica::from_settings(&settings, Arc::clone(&metrics)).await?;
    let previews = PreviewCache::new(&settings.cluster, bus.changes().clone());
    Ok(Ctx {
        previews,
        emails: Arc::new(emails),
        settings: Arc::new(settings),
        keys: Arc::new(keys),
        metrics,
        outbox_wakeup: Arc::default(),
        webhook_wakeup: Arc::default(),
        bus,
        replica,
        oidc,
        db,
    })
}

/// A server that is connected, migrated and bound, ready to serve.
pub struct App {
    transport: http::Transport,
    outbox: Outbox,
    listener: TcpListener,
    router: axum::Router,
    port: u16,
}

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

impl App {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listen = settings.listen;
        let ctx = connect(settings).await?;
        let outgoing = Arc::new(Outgoing::from_settings(&ctx.settings)?);
        ctx.bus
            .listen(&ctx.settings, Arc::clone(&ctx.metrics))
            .await?;
        if let Some(replica) = &ctx.replica {
            Arc::clone(replica).monitor(ctx.db.clone());
        }
        let outbox = Outbox {
            db: ctx.db.clone(),
            settings: Arc::clone(&ctx.settings),
            outgoing,
            emails: Arc::clone(&ctx.emails),
            metrics: Arc::clone(&ctx.metrics),
            wakeup: Arc::clone(&ctx.outbox_wakeup),
        };
        let shared = RedisStore::from_settings(&ctx.settings.cluster, Arc::clone(&ctx.metrics))?;
        let shared_limits = shared
            .clone()
            .map(|store| SharedLimits::new(store, ctx.settings.cluster.redis_fail_open));
        let rate_limits = Arc::new(RateLimiters::new(&ctx.settings.rate_limits, shared_limits));
        let transport = http::Transport {
            engine: graphql::build_engine(ctx.clone(), Arc::clone(&rate_limits)),
            rate_limits,
            websockets: TaskTracker::new(),
            stopping: tokio::sync::watch::Sender::new(false),
            ctx,
        };
        let page_languages = PageLanguages::load(&transport.ctx.settings.emails.product_name)?;
        let router = http::router(transport.clone(), page_languages, shared);
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {listen}: {err}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            transport,
            outbox,
            listener,
            router,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The use cases' state, e.g. for a test to read the database this server uses.
    pub fn ctx(&self) -> Ctx {
        self.transport.ctx.clone()
    }

    /// The outbox worker's state, e.g. to deliver mail by hand in tests.
    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// Set to true to stop the server, as a shutdown signal does.
    pub fn stopping(&self) -> tokio::sync::watch::Sender<bool> {
        self.transport.stopping.clone()
    }

    /// Serves (and, unless turned off, runs the outbox worker) until SIGTERM or ctrl-c, then
    /// gives in-flight requests and the message being sent a bounded time to finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let address = self.listener.local_addr()?;
        tracing::info!(%address, "listening; GraphiQL at http://{address}/graphql");
        let transport = &self.transport;
        let stopping_tx = transport.stopping.clone();
        let stopping_rx = stopping_tx.subscribe();
        let worker =
            transport.ctx.settings.outbox_worker.then(|| {
                tokio::spawn(outbox::run_worker(self.outbox.clone(), stopping_rx.clone()))
            });
        tokio::spawn(rate_limits::sweep(
            Arc::clone(&transport.rate_limits),
            stopping_rx.clone(),
        ));
        if transport.ctx.settings.outbox_worker {
            let webhooks = WebhookWorker::new(transport.ctx.clone())?;
            tokio::spawn(webhooks::worker::run(webhooks, stopping_rx.clone()));
        }
        tokio::spawn(retention::run(transport.ctx.clone(), stopping_rx.clone()));
        tokio::spawn(expiry::run(transport.ctx.clone(), stopping_rx.clone()));
        tokio::spawn(db::checkpoints(
            transport.ctx.db.clone(),
            stopping_rx.clone(),
        ));
        tokio::spawn(db::statistics(
            transport.ctx.db.clone(),
            stopping_rx.clone(),
        ));
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
        let websockets = self.transport.websockets.clone();
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
