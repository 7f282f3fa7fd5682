//! Logging: a tracing subscriber filtered by `DOORMAN_LOG` (default `info`), human-readable by
//! default or JSON-like structured fields with `DOORMAN_LOG_FORMAT=json`.

use std::sync::atomic::AtomicU64;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_env("DOORMAN_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("DOORMAN_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Counters of this process, read by the metrics endpoint.
#[derive(Debug, Default)]
pub struct Metrics {
    pub emails_queued: AtomicU64,
    pub emails_sent: AtomicU64,
    pub emails_retried: AtomicU64,
    pub emails_failed: AtomicU64,
}
