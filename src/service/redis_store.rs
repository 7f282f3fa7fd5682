//! The Redis that instances share (`DOORMAN_REDIS_URL`): one lazily made connection that
//! reconnects by itself, every command bounded by `DOORMAN_REDIS_TIMEOUT_MS`, and, after a
//! failure, a second in which nothing waits for Redis at all. The rate limits
//! (`service::shared_limits`) and the persisted queries (`http::persisted_queries`) use it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use crate::config::ClusterSettings;
use crate::telemetry::Metrics;

/// How long commands leave Redis alone after it failed.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Why Redis gave no answer.
#[derive(Debug)]
pub enum Unanswered {
    /// It failed less than a second ago: it was not asked.
    Paused,
    /// It failed now, for this reason.
    Failed(String),
}

/// The shared Redis.
pub struct RedisStore {
    client: redis::Client,
    /// Connected on first use (and again after a failed connect).
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    prefix: String,
    timeout: Duration,
    /// Until when commands skip Redis, after a failure.
    paused_until: Mutex<Option<Instant>>,
    pub(crate) metrics: Arc<Metrics>,
}

impl RedisStore {
    /// The Redis `settings` names, if any; connecting waits for the first command.
    pub fn from_settings(
        settings: &ClusterSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Option<Arc<Self>>> {
        let Some(url) = &settings.redis_url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.as_str()).map_err(|err| {
            anyhow::anyhow!(
                "DOORMAN_REDIS_URL {} is not usable: {err}",
                crate::db::redact_url(url)
            )
        })?;
        tracing::info!(redis = %crate::db::redact_url(url), "rate limits and persisted queries are shared in Redis");
        Ok(Some(Arc::new(Self {
            client,
            connection: tokio::sync::Mutex::new(None),
            prefix: settings.redis_key_prefix.clone(),
            timeout: Duration::from_millis(settings.redis_timeout_ms),
            paused_until: Mutex::new(None),
            metrics,
        })))
    }

    /// `prefix:kind:name`: the key of `name` among Doorman's keys of `kind`.
    pub fn key(&self, kind: &str, name: &str) -> String {
        format!("{}:{kind}:{name}", self.prefix)
    }

    /// Runs `command` on the connection within the timeout. [`Unanswered::Paused`] when Redis
    /// failed less than a second ago (nothing was sent); [`Unanswered::Failed`] with the reason
    /// when it did not answer now (and then Redis is left alone for a second).
    pub async fn run<T, F, Fut>(&self, command: F) -> Result<T, Unanswered>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let paused = self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until);
        if paused {
            return Err(Unanswered::Paused);
        }
        let answer = tokio::time::timeout(self.timeout, async {
            command(self.connection().await?).await
        })
        .await;
        let failure = match answer {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!(
                "Redis did not answer within {} ms",
                self.timeout.as_millis()
            ),
        };
        *self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now() + PAUSE_AFTER_FAILURE);
        tracing::warn!(error = %failure, "Redis did not answer; leaving it alone for a second");
        Err(Unanswered::Failed(failure))
    }

    /// The connection, made now if there is none yet.
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut connection = self.connection.lock().await;
        if let Some(connection) = &*connection {
            return Ok(connection.clone());
        }
        let made = ConnectionManager::new(self.client.clone()).await?;
        *connection = Some(made.clone());
        Ok(made)
    }
}
