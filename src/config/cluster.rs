//! Settings of running many instances side by side ([`ClusterSettings`]): the Redis that holds
//! the rate limits they share.

use clap::Args;

/// What instances share.
#[derive(Clone, Debug, Args)]
pub struct ClusterSettings {
    /// Redis (`redis://[:password@]host:6379[/db]`) that holds the rate limits and persisted
    /// queries, so that every instance enforces one limit; unset, each instance counts on its
    /// own, in memory.
    #[arg(long, global = true, env = "DOORMAN_REDIS_URL")]
    pub redis_url: Option<String>,

    /// What every key Doorman writes in Redis begins with, so that deployments can share one.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_REDIS_KEY_PREFIX",
        default_value = "doorman"
    )]
    pub redis_key_prefix: String,

    /// Milliseconds one limit check may wait for Redis before it counts as unreachable.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_REDIS_TIMEOUT_MS",
        default_value_t = 250
    )]
    pub redis_timeout_ms: u64,

    /// With Redis not answering: `true` counts in each instance, as without Redis (logged, and
    /// counted in `doorman_rate_limit_backend_errors_total`), `false` refuses with
    /// `RATE_LIMITED`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_REDIS_FAIL_OPEN",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub redis_fail_open: bool,
}

impl ClusterSettings {
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.redis_url {
            anyhow::ensure!(
                !url.starts_with("rediss://"),
                "DOORMAN_REDIS_URL: TLS to Redis (rediss://) is not built in; reach Redis over a \
                 private network or a local TLS tunnel, with redis://"
            );
            anyhow::ensure!(
                url.starts_with("redis://"),
                "DOORMAN_REDIS_URL must start with redis://"
            );
        }
        let prefix = &self.redis_key_prefix;
        anyhow::ensure!(
            !prefix.is_empty()
                && prefix.len() <= 64
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)),
            "DOORMAN_REDIS_KEY_PREFIX must be 1 to 64 letters, digits, '-', '_', '.' or ':'"
        );
        Ok(())
    }
}
