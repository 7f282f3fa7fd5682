//! Typed settings: working defaults, overridden by `DOORMAN_*` environment variables, overridden by
//! command-line flags. Validated once in [`Settings::validate`]; passed by value into `App::build`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::{Args, ValueEnum};
use ipnet::IpNet;
use secrecy::SecretString;

/// Who may create an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistrationMode {
    /// Anyone may register.
    #[default]
    Open,
    /// `register` needs an invitation token.
    InvitationOnly,
}

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

    /// Longest expiry a request may ask for, in days.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_INVITATION_MAX_EXPIRY_DAYS",
        default_value_t = 30
    )]
    pub invitation_max_expiry_days: u32,

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
    #[arg(long, global = true, env = "DOORMAN_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<HeaderValue>,

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated IPs or networks,
    /// e.g. `10.0.0.0/8,127.0.0.1`); none by default, so the client is the TCP peer.
    #[arg(long, global = true, env = "DOORMAN_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_trusted_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    #[command(flatten)]
    pub limits: QueryLimits,

    #[command(flatten)]
    pub rate_limits: RateLimits,
}

/// The file of a `sqlite://path?…` (or `sqlite:path`) database URL; `None` for in-memory
/// databases and other kinds of URL.
pub fn sqlite_file(database_url: &str) -> Option<&std::path::Path> {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.starts_with(":memory:"))
        .map(std::path::Path::new)
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing else.
fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let origin = origin.trim().trim_end_matches('/');
    let (scheme, host) = origin
        .split_once("://")
        .ok_or_else(|| format!("{origin:?} is not an origin like https://app.example.com"))?;
    if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/') {
        return Err(format!(
            "{origin:?} is not an origin like https://app.example.com"
        ));
    }
    HeaderValue::from_str(origin).map_err(|err| format!("{origin:?}: {err}"))
}

/// Limits on GraphQL requests, checked before anything runs.
#[derive(Clone, Debug, Args)]
pub struct QueryLimits {
    /// Deepest nesting of selections (GraphiQL's introspection query needs 14).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_QUERY_DEPTH",
        default_value_t = 16
    )]
    pub max_query_depth: usize,

    /// Highest complexity: one per field, lists count their children `first` times.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_QUERY_COMPLEXITY",
        default_value_t = 5000
    )]
    pub max_query_complexity: usize,

    /// Most aliased fields in one operation, fragments expanded.
    #[arg(long, global = true, env = "DOORMAN_MAX_ALIASES", default_value_t = 15)]
    pub max_aliases: usize,

    /// Longest GraphQL document, in characters.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_DOCUMENT_CHARS",
        default_value_t = 15_000
    )]
    pub max_document_chars: usize,

    /// Most tokens (names, punctuation, values) in one document, counted before it is parsed.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_TOKENS",
        default_value_t = 2000
    )]
    pub max_tokens: usize,

    /// Most directives (`@include`, `@skip`, …) in one document.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_DIRECTIVES",
        default_value_t = 50
    )]
    pub max_directives: usize,

    /// Most fields in one document's operations, each fragment counted once per spread
    /// (GraphiQL's schema query has 230).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_FIELDS",
        default_value_t = 1000
    )]
    pub max_fields: usize,

    /// Most entity representations one request's `_entities` fields may name.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_ENTITIES",
        default_value_t = 100
    )]
    pub max_entities: usize,

    /// Most operations in one batch request.
    #[arg(long, global = true, env = "DOORMAN_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Answer introspection (`__schema`, `__type`); turn off in production if you like.
    #[arg(long, global = true, env = "DOORMAN_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
}

/// Rate limits and invitation quotas. The per-IP, per-account and per-identifier limits are
/// kept in each process; the organization quota, the resend cooldown and the pending cap are
/// counted in the database, so they hold across instances.
#[derive(Clone, Debug, Args)]
pub struct RateLimits {
    /// Apply the rate limits and quotas; `false` answers no request with `RATE_LIMITED` (the
    /// pending-invitation cap still holds).
    #[arg(long = "rate-limits", global = true, env = "DOORMAN_RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,

    /// `invitation(token:)`, `acceptInvitation` and `declineInvitation` calls per client IP,
    /// as `COUNT/PERIOD` (a burst of COUNT, refilled evenly over PERIOD: `30/1m`, `10/15m`,
    /// `10/1h`; periods in s, m, h or d).
    #[arg(
        long = "rate-limit-token-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_TOKEN_PER_IP",
        default_value = "30/1m"
    )]
    pub token_per_ip: Rate,

    /// The same calls per signed-in account.
    #[arg(
        long = "rate-limit-token-per-account",
        global = true,
        env = "DOORMAN_RATE_LIMIT_TOKEN_PER_ACCOUNT",
        default_value = "30/1m"
    )]
    pub token_per_account: Rate,

    /// `login` calls per client IP.
    #[arg(
        long = "rate-limit-login-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_LOGIN_PER_IP",
        default_value = "50/15m"
    )]
    pub login_per_ip: Rate,

    /// `login` calls per login identifier (the email or username, lower-cased), from any IP.
    #[arg(
        long = "rate-limit-login-per-identifier",
        global = true,
        env = "DOORMAN_RATE_LIMIT_LOGIN_PER_IDENTIFIER",
        default_value = "10/15m"
    )]
    pub login_per_identifier: Rate,

    /// `register` calls per client IP.
    #[arg(
        long = "rate-limit-register-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_REGISTER_PER_IP",
        default_value = "10/1h"
    )]
    pub register_per_ip: Rate,

    /// `createOrgInvites`, `createInviteLink`, `createRegistrationInvite` and `resend` calls
    /// per account.
    #[arg(
        long = "rate-limit-invites-per-account",
        global = true,
        env = "DOORMAN_RATE_LIMIT_INVITES_PER_ACCOUNT",
        default_value = "60/1m"
    )]
    pub invites_per_account: Rate,

    /// Invitations an organization may create in any 24 hours, once it is
    /// `DOORMAN_NEW_ORG_DAYS` old.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_ORG_INVITATIONS_PER_DAY",
        default_value_t = 500
    )]
    pub org_invitations_per_day: u32,

    /// Invitations a younger organization may create in any 24 hours.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NEW_ORG_INVITATIONS_PER_DAY",
        default_value_t = 50
    )]
    pub new_org_invitations_per_day: u32,

    /// Days an organization counts as new (with the smaller daily quota).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NEW_ORG_DAYS",
        default_value_t = 30
    )]
    pub new_org_days: u32,

    /// Seconds after an invitation was sent (created or last resent) before `resend` may send
    /// it again; 0 turns the cooldown off.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_RESEND_COOLDOWN_SECONDS",
        default_value_t = 60
    )]
    pub resend_cooldown_seconds: u64,

    /// Most pending invitations (open links included) one organization may have.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_PENDING_INVITATIONS",
        default_value_t = 1000
    )]
    pub max_pending_invitations: u64,
}

impl RateLimits {
    /// The rate limits with their settings' names.
    pub fn rates(&self) -> [(&'static str, Rate); 6] {
        [
            ("DOORMAN_RATE_LIMIT_TOKEN_PER_IP", self.token_per_ip),
            (
                "DOORMAN_RATE_LIMIT_TOKEN_PER_ACCOUNT",
                self.token_per_account,
            ),
            ("DOORMAN_RATE_LIMIT_LOGIN_PER_IP", self.login_per_ip),
            (
                "DOORMAN_RATE_LIMIT_LOGIN_PER_IDENTIFIER",
                self.login_per_identifier,
            ),
            ("DOORMAN_RATE_LIMIT_REGISTER_PER_IP", self.register_per_ip),
            (
                "DOORMAN_RATE_LIMIT_INVITES_PER_ACCOUNT",
                self.invites_per_account,
            ),
        ]
    }
}

/// Most calls a rate limit may allow per period.
pub const MAX_RATE_COUNT: u32 = 1_000_000;
/// Longest period of a rate limit.
pub const MAX_RATE_PERIOD: Duration = Duration::from_secs(365 * 24 * 60 * 60);

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

/// A rate limit: a burst of `count` calls, refilled evenly over `period` (`10/15m` allows 10
/// calls at once, then one more every 90 seconds). Written `COUNT/PERIOD`, the period as a
/// number and a unit (`s`, `m`, `h`, `d`; `1m` may be written `m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: Duration,
}

impl Rate {
    /// `count` calls per `period`. Panics when either is zero: use it with constants.
    pub const fn new(count: u32, period: Duration) -> Self {
        assert!(!period.is_zero(), "a rate needs a period");
        match NonZeroU32::new(count) {
            Some(count) => Self { count, period },
            None => panic!("a rate needs a count of at least 1"),
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("{text:?} is not a rate like 30/1m, 10/15m or 10/1h");
        let (count, period) = text.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let count = NonZeroU32::new(count).ok_or_else(invalid)?;
        let period = period.trim();
        let digits = period.len()
            - period
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let (amount, unit) = period.split_at(digits);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| invalid())?
        };
        let unit_seconds = match unit.trim() {
            "s" => 1,
            "m" => 60,
            "h" => 60 * 60,
            "d" => 24 * 60 * 60,
            _ => return Err(invalid()),
        };
        let seconds = amount
            .checked_mul(unit_seconds)
            .filter(|s| *s > 0)
            .ok_or_else(invalid)?;
        Ok(Self {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.period.as_secs();
        let (amount, unit) = [(86_400, "d"), (3600, "h"), (60, "m")]
            .into_iter()
            .find(|(unit, _)| seconds.is_multiple_of(*unit))
            .map_or((seconds, "s"), |(unit, name)| (seconds / unit, name));
        write!(f, "{}/{amount}{unit}", self.count)
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

/// The defaults are the ones the flags declare (`default_value_t`), read by clap from an empty
/// command line with no environment, so each is written once.
fn defaults<T: clap::FromArgMatches + Args>() -> T {
    let command = T::augment_args(clap::Command::new("doorman")).mut_args(|arg| arg.env(None));
    T::from_arg_matches(&command.get_matches_from(["doorman"]))
        .expect("the declared defaults parse")
}

impl Default for Settings {
    fn default() -> Self {
        defaults()
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        defaults()
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        defaults()
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
        for (name, rate) in self.rate_limits.rates() {
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
        let max_expiry = u64::from(self.invitation_max_expiry_days).clamp(1, 3650);
        let ranges = [
            ("DOORMAN_DATABASE_MAX_CONNECTIONS", self.database_max_connections.into(), 1, 1000),
            ("DOORMAN_SQLITE_CACHE_KIB", self.sqlite_cache_kib.into(), 1, 1_048_576),
            ("DOORMAN_DATABASE_ACQUIRE_TIMEOUT_SECONDS", self.database_acquire_timeout_seconds, 1, 600),
            ("DOORMAN_TOKEN_LIFETIME_MINUTES", self.token_lifetime_minutes.into(), 1, 527_040),
            ("DOORMAN_INVITATION_MAX_EXPIRY_DAYS", self.invitation_max_expiry_days.into(), 1, 3650),
            ("DOORMAN_INVITATION_EXPIRY_DAYS", self.invitation_expiry_days.into(), 1, max_expiry),
            ("DOORMAN_BULK_LIMIT", count(self.bulk_limit), 1, 10_000),
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

    /// Names of `DOORMAN_*` environment variables that no setting reads (likely typos): the
    /// settings' names come from their flags, beside the few the binary reads itself.
    pub fn unknown_env_variables() -> Vec<String> {
        /// Read outside the settings: logging, and the test suite's database.
        const OTHERS: &[&str] = &[
            "DOORMAN_LOG",
            "DOORMAN_LOG_FORMAT",
            "DOORMAN_TEST_DATABASE_URL",
        ];
        let command = Self::augment_args(clap::Command::new("doorman"));
        let known: Vec<String> = command
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .chain(OTHERS.iter().map(|name| (*name).to_owned()))
            .collect();
        std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with("DOORMAN_") && !known.contains(name))
            .collect()
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn rates_parse_from_count_and_period_and_print_back() {
        let rate: Rate = "10/15m".parse().unwrap();
        assert_eq!(rate, Rate::new(10, Duration::from_secs(900)));
        assert_eq!(rate.to_string(), "10/15m");
        assert_eq!("30/m".parse::<Rate>().unwrap().to_string(), "30/1m");
        assert_eq!("10/1h".parse::<Rate>().unwrap().period.as_secs(), 3600);
        assert_eq!("5 / 90s".parse::<Rate>().unwrap().to_string(), "5/90s");
        for bad in ["0/1m", "10", "10/", "10/0m", "10/1w", "x/1m"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} parsed");
        }
    }

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
