//! Settings of webhook delivery ([`WebhookSettings`]): what endpoints may point at, and how the
//! worker tries, retries and gives up.

use clap::Args;

/// Where webhooks may go and how their deliveries are tried.
#[derive(Clone, Debug, Args)]
pub struct WebhookSettings {
    /// `true` lets endpoint URLs use `http` (otherwise `https` only).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_ALLOW_HTTP",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub webhook_allow_http: bool,

    /// `true` lets deliveries go to private, loopback, link-local and cloud-metadata
    /// addresses; by default each delivery's resolved address is checked against them.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub webhook_allow_private_addresses: bool,

    /// Seconds one delivery may take, connecting included.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_TIMEOUT_SECONDS",
        default_value_t = 10
    )]
    pub webhook_timeout_seconds: u64,

    /// Tries of one delivery before it is `FAILED`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_MAX_ATTEMPTS",
        default_value_t = 12
    )]
    pub webhook_max_attempts: u32,

    /// Milliseconds before the first retry; each later wait is three times longer (up to four
    /// hours), give or take a fifth at random. The default spreads 12 tries over about a day.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 5000
    )]
    pub webhook_retry_base_ms: u64,

    /// Hours an endpoint may fail every delivery before it is disabled (with a
    /// `WEBHOOK_DISABLED` event); its deliveries then wait until an admin resumes it.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_DISABLE_AFTER_HOURS",
        default_value_t = 120
    )]
    pub webhook_disable_after_hours: u64,

    /// Hours the secret a rotation replaced keeps signing beside the new one.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_SECRET_GRACE_HOURS",
        default_value_t = 24
    )]
    pub webhook_secret_grace_hours: u64,

    /// Milliseconds between the webhook worker's looks for due deliveries (it is also woken
    /// when a transaction on this instance writes some).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_POLL_INTERVAL_MS",
        default_value_t = 1000
    )]
    pub webhook_poll_interval_ms: u64,

    /// `true` emails an organization's admins when one of its endpoints is disabled.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WEBHOOK_DISABLED_EMAIL",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub webhook_disabled_email: bool,
}
