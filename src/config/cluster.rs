//! Settings of running many instances side by side ([`ClusterSettings`]): the Redis that holds
//! the rate limits they share, the NATS JetStream that carries their events, the PostgreSQL
//! replica they read from, and the preview cache each keeps.

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

    /// NATS with JetStream (`nats://[user:password@]host:4222`) that carries committed events
    /// to every instance's subscribers; unset, `LISTEN/NOTIFY` carries them on PostgreSQL (and
    /// they stay in the process on SQLite).
    #[arg(long, global = true, env = "DOORMAN_NATS_URL")]
    pub nats_url: Option<String>,

    /// The JetStream stream of events (created when missing); its subject is
    /// `<stream>.events`. Deployments sharing one NATS each take their own.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NATS_STREAM",
        default_value = "DOORMAN_EVENTS"
    )]
    pub nats_stream: String,

    /// Milliseconds between two looks at the event table by the relay, for events committed
    /// by other instances (the relay's own instance wakes it at once).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NATS_RELAY_INTERVAL_MS",
        default_value_t = 25
    )]
    pub nats_relay_interval_ms: u64,

    /// A streaming replica of the PostgreSQL database (`postgres://…`) for the read-only hot
    /// paths: the invitation preview, invitation lists and the audit log. Unset, everything
    /// reads from `DOORMAN_DATABASE_URL`.
    #[arg(long, global = true, env = "DOORMAN_DATABASE_READ_URL")]
    pub database_read_url: Option<String>,

    /// Milliseconds after an account's last write during which its reads go to the primary,
    /// so that it sees what it wrote.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_READ_YOUR_WRITES_MS",
        default_value_t = 5000
    )]
    pub read_your_writes_ms: u64,

    /// How far, in milliseconds, the replica may trail the primary before reads go back to
    /// the primary (also when the replica does not answer).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_READ_MAX_LAG_MS",
        default_value_t = 2000
    )]
    pub read_max_lag_ms: u64,

    /// How many invitation previews (`invitation(token:)`) each instance keeps in memory, so
    /// that a link opened again is answered without the database; 0 turns the cache off.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_PREVIEW_CACHE_ENTRIES",
        default_value_t = 10_000
    )]
    pub preview_cache_entries: u64,

    /// Seconds a cached preview is served at most. An event about its invitation or its
    /// organization drops it at once; this bounds what no event announces (an inviter's new
    /// name, an erased email).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_PREVIEW_CACHE_SECONDS",
        default_value_t = 10
    )]
    pub preview_cache_seconds: u64,
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
        if let Some(url) = &self.nats_url {
            anyhow::ensure!(
                url.starts_with("nats://"),
                "DOORMAN_NATS_URL must start with nats:// (no TLS to NATS is built in)"
            );
        }
        if let Some(url) = &self.database_read_url {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "DOORMAN_DATABASE_READ_URL must be a PostgreSQL URL (a replica of the primary)"
            );
        }
        let stream = &self.nats_stream;
        anyhow::ensure!(
            !stream.is_empty()
                && stream.len() <= 64
                && stream
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
            "DOORMAN_NATS_STREAM must be 1 to 64 letters, digits, '-' or '_'"
        );
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
