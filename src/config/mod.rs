//! Typed settings: working defaults, overridden by `DOORMAN_*` environment variables,
//! overridden by command-line flags. Validated once in
//! [`Settings::validate`](crate::config::Settings::validate); passed by value into `App::build`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use axum::http::HeaderValue;
use clap::Args;
use ipnet::IpNet;
use secrecy::SecretString;

mod cluster;
mod emails;
mod env;
mod identity;
mod lifecycle;
mod limits;
mod origins;
mod retention;
mod webhooks;

pub use cluster::ClusterSettings;
pub use emails::{EmailSettings, MAX_PRODUCT_NAME};
pub use identity::{IdentitySettings, RegistrationMode};
pub use lifecycle::{LifecycleSettings, MaxExpiry};
pub use limits::{MAX_RATE_COUNT, MAX_RATE_PERIOD, QueryLimits, Rate, RateLimits};
pub use retention::RetentionSettings;
pub use webhooks::WebhookSettings;

/// Everything the server needs to run. Every field has a working default.
#[derive(Clone, Debug, Args)]
pub struct Settings {
    /// Database URL: `sqlite://path?mode=rwc` (the embedded default) or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_DATABASE_URL",
        default_value = "sqlite://doorman.db?mode=rwc"
    )]
    pub database_url: String,

    /// Maximum number of pooled database connections.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_DATABASE_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub database_max_connections: u32,

    /// SQLite only: the page cache of each pooled connection, in KiB. The operating system
    /// caches the file too, so pages missing here cost a copy, not a disk read.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_SQLITE_CACHE_KIB",
        default_value_t = 512
    )]
    pub sqlite_cache_kib: u32,

    /// Seconds a query waits for a pooled connection (or for the database to accept a new one)
    /// before it fails; bounds how long requests and `/readyz` hang while the database is down.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        default_value_t = 5
    )]
    pub database_acquire_timeout_seconds: u64,

    /// Address the HTTP server listens on (port 0 picks a free port).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Public base URL of the web app; invitation links are `{public_url}/invite/{token}`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,

    /// Secret that signs access tokens (HS256). Generated and stored in the database when unset.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_TOKEN_SECRET",
        hide_env_values = true
    )]
    pub token_secret: Option<SecretString>,

    /// Lifetime of an access token, in minutes.
    #[arg(long, global = true, env = "DOORMAN_TOKEN_LIFETIME_MINUTES", default_value_t = 60 * 24)]
    pub token_lifetime_minutes: u32,

    /// `OPEN` (anyone may register) or `INVITATION_ONLY`.
    #[arg(long, global = true, env = "DOORMAN_REGISTRATION_MODE", value_enum, default_value_t = RegistrationMode::Open)]
    pub registration_mode: RegistrationMode,

    /// Days an invitation stays valid when the request names no expiry.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_INVITATION_EXPIRY_DAYS",
        default_value_t = 7
    )]
    pub invitation_expiry_days: u32,

    /// Longest expiry a request may ask for, in days; `none` also lets links be created
    /// with `expiresAt: null` (never expire). Email invitations always expire.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_INVITATION_MAX_EXPIRY_DAYS",
        default_value = "30"
    )]
    pub invitation_max_expiry_days: MaxExpiry,

    /// Hours an email-verification link stays valid.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_VERIFICATION_EXPIRY_HOURS",
        default_value_t = 48
    )]
    pub email_verification_expiry_hours: u32,

    /// Seconds after a verification email was sent to an account before another may be sent
    /// (`requestEmailVerification`, `updateEmail`); 0 turns the cooldown off.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_VERIFICATION_COOLDOWN_SECONDS",
        default_value_t = 60
    )]
    pub email_verification_cooldown_seconds: u64,

    /// Most emails one `createOrgInvites` or `resend` call may name.
    #[arg(long, global = true, env = "DOORMAN_BULK_LIMIT", default_value_t = 100)]
    pub bulk_limit: usize,

    /// SMTP server for outgoing mail, e.g. `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`, or `smtp://localhost:25` for a local relay. Unset: mail goes to files.
    #[arg(long, global = true, env = "DOORMAN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of invitation emails.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAIL_FROM",
        default_value = "Doorman <doorman@localhost>"
    )]
    pub mail_from: String,

    /// Folder for `.eml` files when no SMTP server is set (default: `mail/` next to the SQLite file).
    #[arg(long, global = true, env = "DOORMAN_MAIL_DIR")]
    pub mail_dir: Option<PathBuf>,

    /// Attempts before a message is marked FAILED.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_MAX_ATTEMPTS",
        default_value_t = 8
    )]
    pub email_max_attempts: u32,

    /// First retry delay; it doubles per attempt (with jitter) up to the maximum.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_RETRY_BASE_SECONDS",
        default_value_t = 30
    )]
    pub email_retry_base_seconds: u64,

    /// Longest retry delay.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_RETRY_MAX_SECONDS",
        default_value_t = 3600
    )]
    pub email_retry_max_seconds: u64,

    /// How long a claimed message belongs to its worker; after that another may take it.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EMAIL_LEASE_SECONDS",
        default_value_t = 120
    )]
    pub email_lease_seconds: u64,

    /// Timeout of each SMTP command.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_SMTP_TIMEOUT_SECONDS",
        default_value_t = 15
    )]
    pub smtp_timeout_seconds: u64,

    /// How often the outbox worker looks for due messages.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_OUTBOX_POLL_INTERVAL_MS",
        default_value_t = 1000
    )]
    pub outbox_poll_interval_ms: u64,

    /// Run the outbox worker in this process (turn off to run serving-only instances).
    #[arg(long, global = true, env = "DOORMAN_OUTBOX_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub outbox_worker: bool,

    /// Longest time one HTTP request may take before it is answered 408 (and rolled back).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub request_timeout_seconds: u64,

    /// Origins whose browser pages may call the API (comma-separated, e.g.
    /// `https://app.example.com`); none by default.
    #[arg(long, global = true, env = "DOORMAN_CORS_ORIGINS", value_delimiter = ',', value_parser = origins::parse_origin)]
    pub cors_origins: Vec<HeaderValue>,

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated IPs or networks,
    /// e.g. `10.0.0.0/8,127.0.0.1`); none by default, so the client is the TCP peer.
    #[arg(long, global = true, env = "DOORMAN_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_trusted_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    #[command(flatten)]
    pub limits: QueryLimits,

    #[command(flatten)]
    pub rate_limits: RateLimits,

    #[command(flatten)]
    pub identity: IdentitySettings,

    #[command(flatten)]
    pub retention: RetentionSettings,

    #[command(flatten)]
    pub lifecycle: LifecycleSettings,

    #[command(flatten)]
    pub webhooks: WebhookSettings,
    #[command(flatten)]
    pub emails: EmailSettings,
    #[command(flatten)]
    pub cluster: ClusterSettings,
}

/// The file of a `sqlite://path?…` or `sqlite:path` URL; `None` for in-memory and other URLs.
pub fn sqlite_file(database_url: &str) -> Option<&std::path::Path> {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.starts_with(":memory:"))
        .map(std::path::Path::new)
}

/// A numeric setting, its value and the values it may take.
#[derive(Clone, Copy, Debug)]
pub struct SettingRange {
    pub name: &'static str,
    pub value: u64,
    pub min: u64,
    pub max: u64,
    /// The setting whose value is `max`, when another setting bounds this one.
    pub bounded_by: Option<&'static str>,
}

impl SettingRange {
    fn check(&self) -> anyhow::Result<()> {
        let Self {
            name,
            value,
            min,
            max,
            ..
        } = *self;
        let max = match self.bounded_by {
            Some(setting) => format!("{max} ({setting})"),
            None => max.to_string(),
        };
        anyhow::ensure!(
            (self.min..=self.max).contains(&value),
            "{name} must be between {min} and {max}; got {value}"
        );
        Ok(())
    }
}

/// A trusted proxy: one address (`10.0.0.1`) or a network (`10.0.0.0/8`, `fd00::/8`).
fn parse_trusted_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if text.contains('/') {
        text.parse::<IpNet>()
            .map(|net| net.trunc())
            .map_err(|_| format!("{text:?} is not an IP network like 10.0.0.0/8"))
    } else {
        text.parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| format!("{text:?} is not an IP address or a network like 10.0.0.0/8"))
    }
}

impl Default for Settings {
    fn default() -> Self {
        limits::defaults()
    }
}

impl Settings {
    /// Checks every setting against its range ([`Settings::ranges`]) and the values clap's
    /// types cannot; call once before building the app. The error is one line naming the
    /// setting and what it allows.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.public_url.starts_with("http://") || self.public_url.starts_with("https://"),
            "DOORMAN_PUBLIC_URL must start with http:// or https://, got {:?}",
            self.public_url
        );
        for range in self.ranges() {
            range.check()?;
        }
        self.identity.validate()?;
        self.emails.validate()?;
        self.cluster.validate()?;
        let link_pause = ("DOORMAN_LINK_PAUSE_RATE", self.lifecycle.link_pause_rate);
        for (name, rate) in self.rate_limits.rates().into_iter().chain([link_pause]) {
            anyhow::ensure!(
                rate.count.get() <= MAX_RATE_COUNT && rate.period <= MAX_RATE_PERIOD,
                "{name} must be at most {MAX_RATE_COUNT} calls per at most 365d; got {rate}"
            );
        }
        Ok(())
    }

    /// Every numeric setting with the values it may take. Durations stay far inside what
    /// dates can hold, so nothing computed from them overflows.
    #[rustfmt::skip]
    pub fn ranges(&self) -> Vec<SettingRange> {
        let limits = &self.limits;
        let quotas = &self.rate_limits;
        let count = |n: usize| n as u64;
        let max_expiry = u64::from(self.invitation_max_expiry_days.days()).clamp(1, 3650);
        let lifecycle = &self.lifecycle;
        let webhooks = &self.webhooks;
        let ranges = [
            ("DOORMAN_DATABASE_MAX_CONNECTIONS", self.database_max_connections.into(), 1, 1000),
            ("DOORMAN_SQLITE_CACHE_KIB", self.sqlite_cache_kib.into(), 1, 1_048_576),
            ("DOORMAN_DATABASE_ACQUIRE_TIMEOUT_SECONDS", self.database_acquire_timeout_seconds, 1, 600),
            ("DOORMAN_TOKEN_LIFETIME_MINUTES", self.token_lifetime_minutes.into(), 1, 527_040),
            ("DOORMAN_INVITATION_MAX_EXPIRY_DAYS", self.invitation_max_expiry_days.days().into(), 1, 3650),
            ("DOORMAN_INVITATION_EXPIRY_DAYS", self.invitation_expiry_days.into(), 1, max_expiry),
            ("DOORMAN_BULK_LIMIT", count(self.bulk_limit), 1, 10_000),
            ("DOORMAN_OIDC_CLOCK_SKEW_SECONDS", self.identity.oidc_clock_skew_seconds, 0, 300),
            ("DOORMAN_OIDC_KEYS_REFRESH_SECONDS", self.identity.oidc_keys_refresh_seconds, 60, 604_800),
            ("DOORMAN_EMAIL_VERIFICATION_EXPIRY_HOURS", self.email_verification_expiry_hours.into(), 1, 8760),
            ("DOORMAN_EMAIL_VERIFICATION_COOLDOWN_SECONDS", self.email_verification_cooldown_seconds, 0, 86_400),
            ("DOORMAN_EMAIL_MAX_ATTEMPTS", self.email_max_attempts.into(), 1, 100),
            ("DOORMAN_EMAIL_RETRY_BASE_SECONDS", self.email_retry_base_seconds, 0, 86_400),
            ("DOORMAN_EMAIL_RETRY_MAX_SECONDS", self.email_retry_max_seconds, 0, 604_800),
            ("DOORMAN_EMAIL_LEASE_SECONDS", self.email_lease_seconds, 1, 86_400),
            ("DOORMAN_SMTP_TIMEOUT_SECONDS", self.smtp_timeout_seconds, 1, 600),
            ("DOORMAN_OUTBOX_POLL_INTERVAL_MS", self.outbox_poll_interval_ms, 10, 3_600_000),
            ("DOORMAN_REQUEST_TIMEOUT_SECONDS", self.request_timeout_seconds, 1, 3600),
            ("DOORMAN_MAX_QUERY_DEPTH", count(limits.max_query_depth), 1, 64),
            ("DOORMAN_MAX_QUERY_COMPLEXITY", count(limits.max_query_complexity), 1, 100_000),
            ("DOORMAN_MAX_ALIASES", count(limits.max_aliases), 1, 1000),
            ("DOORMAN_MAX_DOCUMENT_CHARS", count(limits.max_document_chars), 1, 200_000),
            ("DOORMAN_MAX_TOKENS", count(limits.max_tokens), 1, 20_000),
            ("DOORMAN_MAX_DIRECTIVES", count(limits.max_directives), 0, 500),
            ("DOORMAN_MAX_FIELDS", count(limits.max_fields), 1, 10_000),
            ("DOORMAN_MAX_ENTITIES", count(limits.max_entities), 1, 1000),
            ("DOORMAN_MAX_BATCH", count(limits.max_batch), 1, 100),
            ("DOORMAN_ORG_INVITATIONS_PER_DAY", quotas.org_invitations_per_day.into(), 1, 10_000_000),
            ("DOORMAN_NEW_ORG_INVITATIONS_PER_DAY", quotas.new_org_invitations_per_day.into(), 1, 10_000_000),
            ("DOORMAN_NEW_ORG_DAYS", quotas.new_org_days.into(), 0, 3650),
            ("DOORMAN_RESEND_COOLDOWN_SECONDS", quotas.resend_cooldown_seconds, 0, 2_592_000),
            ("DOORMAN_MAX_PENDING_INVITATIONS", quotas.max_pending_invitations, 1, 10_000_000),
            ("DOORMAN_WRONG_RECIPIENT_REPORTS_PER_DAY", quotas.wrong_recipient_reports_per_day.into(), 1, 10_000_000),
            ("DOORMAN_RETENTION_EVENTS_DAYS", self.retention.retention_events_days.unwrap_or(1).into(), 1, 36_500),
            ("DOORMAN_RETENTION_CLOSED_INVITATIONS_DAYS", self.retention.retention_closed_invitations_days.unwrap_or(1).into(), 1, 36_500),
            ("DOORMAN_RETENTION_WEBHOOK_DELIVERIES_DAYS", self.retention.retention_webhook_deliveries_days.unwrap_or(1).into(), 1, 36_500),
            ("DOORMAN_REDIS_TIMEOUT_MS", self.cluster.redis_timeout_ms, 10, 10_000),
            ("DOORMAN_NATS_RELAY_INTERVAL_MS", self.cluster.nats_relay_interval_ms, 5, 10_000),
            ("DOORMAN_READ_YOUR_WRITES_MS", self.cluster.read_your_writes_ms, 0, 600_000),
            ("DOORMAN_READ_MAX_LAG_MS", self.cluster.read_max_lag_ms, 100, 600_000),
            ("DOORMAN_PREVIEW_CACHE_ENTRIES", self.cluster.preview_cache_entries, 0, 1_000_000),
            ("DOORMAN_PREVIEW_CACHE_SECONDS", self.cluster.preview_cache_seconds, 1, 3600),
            ("DOORMAN_RETENTION_INTERVAL_SECONDS", self.retention.retention_interval_seconds, 1, 604_800),
            ("DOORMAN_EXPIRY_SWEEP_SECONDS", lifecycle.expiry_sweep_seconds, 1, 86_400),
            ("DOORMAN_REMINDER_BEFORE_HOURS", lifecycle.reminder_before_hours.unwrap_or(1).into(), 1, 8760),
            ("DOORMAN_WEBHOOK_TIMEOUT_SECONDS", webhooks.webhook_timeout_seconds, 1, 60),
            ("DOORMAN_WEBHOOK_MAX_ATTEMPTS", webhooks.webhook_max_attempts.into(), 1, 50),
            ("DOORMAN_WEBHOOK_RETRY_BASE_MS", webhooks.webhook_retry_base_ms, 10, 3_600_000),
            ("DOORMAN_WEBHOOK_DISABLE_AFTER_HOURS", webhooks.webhook_disable_after_hours, 1, 8760),
            ("DOORMAN_WEBHOOK_SECRET_GRACE_HOURS", webhooks.webhook_secret_grace_hours, 0, 720),
            ("DOORMAN_WEBHOOK_POLL_INTERVAL_MS", webhooks.webhook_poll_interval_ms, 10, 3_600_000),
        ];
        ranges
            .into_iter()
            .map(|(name, value, min, max)| SettingRange {
                name,
                value,
                min,
                max,
                bounded_by: (name == "DOORMAN_INVITATION_EXPIRY_DAYS")
                    .then_some("DOORMAN_INVITATION_MAX_EXPIRY_DAYS"),
            })
            .collect()
    }

    /// Where the file transport writes: the configured folder, else `mail/` beside the SQLite
    /// database file, else `mail/` in the working directory.
    pub fn mail_folder(&self) -> PathBuf {
        if let Some(dir) = &self.mail_dir {
            return dir.clone();
        }
        match sqlite_file(&self.database_url).and_then(std::path::Path::parent) {
            Some(parent) => parent.join("mail"),
            None => PathBuf::from("mail"),
        }
    }

    /// The public URL without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert_eq!(
            parse_trusted_proxy("10.1.2.3").unwrap(),
            "10.1.2.3/32".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            parse_trusted_proxy(" 10.1.2.3/8 ").unwrap(),
            "10.0.0.0/8".parse::<IpNet>().unwrap()
        );
        assert!(parse_trusted_proxy("::1").is_ok());
        assert!(parse_trusted_proxy("proxy.internal").is_err());
    }

    #[test]
    fn the_rate_limit_defaults_are_the_documented_ones() {
        let settings = <Settings as clap::FromArgMatches>::from_arg_matches(
            &<Settings as Args>::augment_args(clap::Command::new("doorman"))
                .get_matches_from(["doorman"]),
        )
        .unwrap();
        let parsed = settings.rate_limits;
        let coded = RateLimits::default();
        assert_eq!(parsed.token_per_ip, coded.token_per_ip);
        assert_eq!(parsed.token_per_account, coded.token_per_account);
        assert_eq!(parsed.login_per_ip, coded.login_per_ip);
        assert_eq!(parsed.login_per_identifier, coded.login_per_identifier);
        assert_eq!(parsed.register_per_ip, coded.register_per_ip);
        assert_eq!(parsed.invites_per_account, coded.invites_per_account);
        assert!(settings.trusted_proxies.is_empty());
    }
}
