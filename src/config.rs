//! Typed settings: working defaults, overridden by `DOORMAN_*` environment variables, overridden by
//! command-line flags. Validated once in [`Settings::validate`]; passed by value into `App::build`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
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

    #[command(flatten)]
    pub limits: QueryLimits,
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

    /// Most operations in one batch request.
    #[arg(long, global = true, env = "DOORMAN_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Answer introspection (`__schema`, `__type`); turn off in production if you like.
    #[arg(long, global = true, env = "DOORMAN_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_query_depth: 16,
            max_query_complexity: 5000,
            max_aliases: 15,
            max_document_chars: 15_000,
            max_batch: 10,
            introspection: true,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://doorman.db?mode=rwc".to_owned(),
            database_max_connections: 10,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".to_owned(),
            token_secret: None,
            token_lifetime_minutes: 60 * 24,
            registration_mode: RegistrationMode::Open,
            invitation_expiry_days: 7,
            invitation_max_expiry_days: 30,
            bulk_limit: 100,
            smtp_url: None,
            mail_from: "Doorman <doorman@localhost>".to_owned(),
            mail_dir: None,
            email_max_attempts: 8,
            email_retry_base_seconds: 30,
            email_retry_max_seconds: 3600,
            email_lease_seconds: 120,
            smtp_timeout_seconds: 15,
            outbox_poll_interval_ms: 1000,
            outbox_worker: true,
            limits: QueryLimits::default(),
        }
    }
}

impl Settings {
    /// Checks the values that clap's types cannot; call once before building the app.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.public_url.starts_with("http://") || self.public_url.starts_with("https://"),
            "DOORMAN_PUBLIC_URL must start with http:// or https://, got {:?}",
            self.public_url
        );
        anyhow::ensure!(
            (1..=self.invitation_max_expiry_days).contains(&self.invitation_expiry_days),
            "DOORMAN_INVITATION_EXPIRY_DAYS must be between 1 and DOORMAN_INVITATION_MAX_EXPIRY_DAYS"
        );
        anyhow::ensure!(
            self.bulk_limit >= 1,
            "DOORMAN_BULK_LIMIT must be at least 1"
        );
        anyhow::ensure!(
            self.token_lifetime_minutes >= 1,
            "DOORMAN_TOKEN_LIFETIME_MINUTES must be at least 1"
        );
        anyhow::ensure!(
            self.database_max_connections >= 1,
            "DOORMAN_DATABASE_MAX_CONNECTIONS must be at least 1"
        );
        anyhow::ensure!(
            self.email_max_attempts >= 1,
            "DOORMAN_EMAIL_MAX_ATTEMPTS must be at least 1"
        );
        let limits = &self.limits;
        anyhow::ensure!(
            [
                limits.max_query_depth,
                limits.max_query_complexity,
                limits.max_aliases,
                limits.max_document_chars,
                limits.max_batch,
            ]
            .iter()
            .all(|limit| *limit >= 1),
            "DOORMAN_MAX_* limits must be at least 1"
        );
        anyhow::ensure!(
            self.email_lease_seconds >= 1,
            "DOORMAN_EMAIL_LEASE_SECONDS must be at least 1"
        );
        Ok(())
    }

    /// Where the file transport writes: the configured folder, else `mail/` beside the SQLite
    /// database file, else `mail/` in the working directory.
    pub fn mail_folder(&self) -> PathBuf {
        if let Some(dir) = &self.mail_dir {
            return dir.clone();
        }
        let sqlite_file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|path| !path.is_empty() && !path.starts_with(":memory:"));
        match sqlite_file.and_then(|file| std::path::Path::new(file).parent()) {
            Some(parent) => parent.join("mail"),
            None => PathBuf::from("mail"),
        }
    }

    /// The public URL without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Names of `DOORMAN_*` environment variables that no setting reads (likely typos).
    pub fn unknown_env_variables() -> Vec<String> {
        const KNOWN: &[&str] = &[
            "DOORMAN_DATABASE_URL",
            "DOORMAN_DATABASE_MAX_CONNECTIONS",
            "DOORMAN_LISTEN",
            "DOORMAN_PUBLIC_URL",
            "DOORMAN_TOKEN_SECRET",
            "DOORMAN_TOKEN_LIFETIME_MINUTES",
            "DOORMAN_REGISTRATION_MODE",
            "DOORMAN_INVITATION_EXPIRY_DAYS",
            "DOORMAN_INVITATION_MAX_EXPIRY_DAYS",
            "DOORMAN_BULK_LIMIT",
            "DOORMAN_SMTP_URL",
            "DOORMAN_MAIL_FROM",
            "DOORMAN_MAIL_DIR",
            "DOORMAN_EMAIL_MAX_ATTEMPTS",
            "DOORMAN_EMAIL_RETRY_BASE_SECONDS",
            "DOORMAN_EMAIL_RETRY_MAX_SECONDS",
            "DOORMAN_EMAIL_LEASE_SECONDS",
            "DOORMAN_SMTP_TIMEOUT_SECONDS",
            "DOORMAN_OUTBOX_POLL_INTERVAL_MS",
            "DOORMAN_OUTBOX_WORKER",
            "DOORMAN_LOG",
            "DOORMAN_LOG_FORMAT",
            "DOORMAN_MAX_QUERY_DEPTH",
            "DOORMAN_MAX_QUERY_COMPLEXITY",
            "DOORMAN_MAX_ALIASES",
            "DOORMAN_MAX_DOCUMENT_CHARS",
            "DOORMAN_MAX_BATCH",
            "DOORMAN_INTROSPECTION",
            "DOORMAN_TEST_DATABASE_URL",
        ];
        std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with("DOORMAN_") && !KNOWN.contains(&name.as_str()))
            .collect()
    }
}
