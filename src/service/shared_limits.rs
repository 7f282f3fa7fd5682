//! Rate limits shared by every instance, in Redis (`DOORMAN_REDIS_URL`): the same GCRA as the
//! in-process limits, run atomically by one Lua script on Redis's own clock, so that N
//! instances behind a load balancer enforce one limit, not N. A key holds one timestamp (the
//! limit's "theoretical arrival time") and expires when the limit has refilled.
//!
//! Redis being slow or down never holds a request for longer than `DOORMAN_REDIS_TIMEOUT_MS`
//! (`service::redis_store`): the check is then counted in
//! `doorman_rate_limit_backend_errors_total` and either falls back to the in-process limit of
//! this instance (`DOORMAN_REDIS_FAIL_OPEN`, the default: a slow Redis never turns the limits
//! off) or refuses the request.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::redis_store::RedisStore;
use crate::config::Rate;
use crate::error::{AppError, whole_seconds};

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
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
  'PX', string.format('%.0f', math.ceil((next_tat - now) / 1000)))
return 0
";

/// The limits' cells in Redis.
pub struct SharedLimits {
    store: Arc<RedisStore>,
    script: redis::Script,
    fail_open: bool,
}

impl SharedLimits {
    pub fn new(store: Arc<RedisStore>, fail_open: bool) -> Self {
        Self {
            store,
            script: redis::Script::new(GCRA),
            fail_open,
        }
    }

    /// Takes one cell of limit `name` (`rate`) for `key`: `RATE_LIMITED` with `refusal` when
    /// there is none. `Ok(None)` when Redis cannot answer in time and the limits fail open:
    /// the caller then counts in process.
    pub async fn take(
        &self,
        name: &str,
        rate: Rate,
        key: &str,
        refusal: &str,
    ) -> Result<Option<()>, AppError> {
        let interval = (rate.period / rate.count.get()).max(Duration::from_micros(1));
        let interval_us = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX / 4);
        let burst_us = interval_us.saturating_mul(u64::from(rate.count.get()) - 1);
        let key = self.store.key("rl", &format!("{name}:{}", digest(key)));
        let script = &self.script;
        let answer = self
            .store
            .run(|mut connection| async move {
                script
                    .key(key)
                    .arg(interval_us)
                    .arg(burst_us)
                    .invoke_async::<u64>(&mut connection)
                    .await
            })
            .await;
        let Ok(wait) = answer else {
            return self.unavailable();
        };
        if wait == 0 {
            return Ok(Some(()));
        }
        let seconds = whole_seconds(Duration::from_micros(wait));
        tracing::info!(limit = refusal, retry_after = seconds, "rate limited");
        Err(AppError::rate_limited(
            format!("{refusal}; try again in {seconds} seconds"),
            seconds,
        ))
    }

    /// Redis could not answer: count in process, or refuse, as configured.
    fn unavailable(&self) -> Result<Option<()>, AppError> {
        self.store.metrics.rate_limit_backend_errors.inc();
        if self.fail_open {
            Ok(None)
        } else {
            Err(AppError::rate_limited(
                "the rate limits cannot be checked right now; try again in a second",
                1,
            ))
        }
    }
}

/// A key's digest, so that no address or login is stored as it is and every key has the same
/// short length.
fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
