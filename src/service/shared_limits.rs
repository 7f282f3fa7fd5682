//! Rate limits shared by every instance, in Redis (`DOORMAN_REDIS_URL`): the same GCRA as the
//! in-process limits, run atomically by one Lua script on Redis's own clock, so that N
//! instances behind a load balancer enforce one limit, not N. A key holds one timestamp (the
//! limit's "theoretical arrival time") and expires when the limit has refilled.
//!
//! Redis being slow or down never holds a request for longer than `DOORMAN_REDIS_TIMEOUT_MS`:
//! the check then lets the request through (`DOORMAN_REDIS_FAIL_OPEN`, the default) or refuses
//! it, logs, and counts `doorman_rate_limit_backend_errors_total`. After a failure, checks skip
//! Redis for a second rather than each waiting out the timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

use crate::config::{ClusterSettings, Rate};
use crate::error::{AppError, whole_seconds};
use crate::telemetry::Metrics;

/// How long checks leave Redis alone after it failed.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// GCRA on Redis's clock. KEYS[1]: the limit's key; ARGV[1]: the emission interval and
/// ARGV[2]: the burst tolerance (the interval times count - 1), in microseconds. Returns 0 when
/// the call may go ahead (and stores the new arrival time), else the microseconds to wait.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - burst - now
if wait > 0 then return wait end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000))
return 0
";

/// The limits' store in Redis.
pub struct SharedLimits {
    client: redis::Client,
    /// Connected on first use (and again after a failed connect); it reconnects by itself.
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
    fail_open: bool,
    /// Until when checks skip Redis, after a failure.
    paused_until: Mutex<Option<Instant>>,
    metrics: Arc<Metrics>,
}

impl SharedLimits {
    /// The store `settings` names, if any; connecting waits for the first check.
    pub fn from_settings(
        settings: &ClusterSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(url) = &settings.redis_url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.as_str()).map_err(|err| {
            anyhow::anyhow!(
                "DOORMAN_REDIS_URL {} is not usable: {err}",
                crate::db::redact_url(url)
            )
        })?;
        tracing::info!(redis = %crate::db::redact_url(url), "rate limits are shared in Redis");
        Ok(Some(Self {
            client,
            connection: tokio::sync::Mutex::new(None),
            script: redis::Script::new(GCRA),
            prefix: settings.redis_key_prefix.clone(),
            timeout: Duration::from_millis(settings.redis_timeout_ms),
            fail_open: settings.redis_fail_open,
            paused_until: Mutex::new(None),
            metrics,
        }))
    }

    /// Takes one cell of limit `name` (`rate`) for `key`: `RATE_LIMITED` with `refusal` when
    /// there is none, and whatever the fail mode says when Redis cannot answer in time.
    pub async fn take(
        &self,
        name: &str,
        rate: Rate,
        key: &str,
        refusal: &str,
    ) -> Result<(), AppError> {
        let wait = match self.gcra(name, rate, key).await {
            Ok(wait) => wait,
            Err(err) => return self.unavailable(&err),
        };
        if wait == 0 {
            return Ok(());
        }
        let seconds = whole_seconds(Duration::from_micros(wait));
        tracing::info!(limit = refusal, retry_after = seconds, "rate limited");
        Err(AppError::rate_limited(
            format!("{refusal}; try again in {seconds} seconds"),
            seconds,
        ))
    }

    /// Microseconds to wait (0: go ahead), or why Redis gave no answer in time.
    async fn gcra(&self, name: &str, rate: Rate, key: &str) -> Result<u64, String> {
        let paused = self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until);
        if paused {
            return Err("Redis failed less than a second ago".to_owned());
        }
        let interval = (rate.period / rate.count.get()).max(Duration::from_micros(1));
        let interval_us = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX / 4);
        let burst_us = interval_us.saturating_mul(u64::from(rate.count.get()) - 1);
        let answer = tokio::time::timeout(self.timeout, async {
            let mut connection = self.connection().await?;
            self.script
                .key(self.key(name, key))
                .arg(interval_us)
                .arg(burst_us)
                .invoke_async::<u64>(&mut connection)
                .await
        })
        .await;
        let failure = match answer {
            Ok(Ok(wait)) => return Ok(wait),
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
        Err(failure)
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

    /// `prefix:rl:name:digest`: the key's digest, so that no address or login is stored as it
    /// is and every key has the same short length.
    fn key(&self, name: &str, key: &str) -> String {
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("{}:rl:{name}:{hex}", self.prefix)
    }

    /// Redis could not answer: go ahead or refuse, as configured.
    fn unavailable(&self, err: &str) -> Result<(), AppError> {
        self.metrics.rate_limit_backend_errors.inc();
        tracing::warn!(error = %err, fail_open = self.fail_open, "rate limit store unreachable");
        if self.fail_open {
            Ok(())
        } else {
            Err(AppError::rate_limited(
                "the rate limits cannot be checked right now; try again in a second",
                1,
            ))
        }
    }
}
