//! Logging and metrics. Logging: a tracing subscriber filtered by `DOORMAN_LOG` (default `info`), human-readable by
//! default or JSON lines with `DOORMAN_LOG_FORMAT=json`. Metrics: this process's counters,
//! served by `/metrics` in the Prometheus (OpenMetrics) text format.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing_subscriber::EnvFilter;

/// What is logged when `DOORMAN_LOG` is unset or invalid.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Targets capped whatever `DOORMAN_LOG` says, because their logs carry secrets: at TRACE,
/// tungstenite logs every WebSocket message and frame it reads or writes, and a client's
/// `connection_init` message carries its access token.
const CAPPED_TARGETS: [&str; 3] = [
    "tungstenite::protocol=debug",
    "tungstenite::protocol::frame=debug",
    // Its debug lines print server addresses with their credentials.
    "async_nats=info",
];

/// The log filter for `spec` (`DOORMAN_LOG` syntax; the default when it does not parse), with
/// the targets that would log secrets capped.
pub fn log_filter(spec: Option<&str>) -> EnvFilter {
    let mut filter = spec
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_LOG_FILTER));
    for directive in CAPPED_TARGETS {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    filter
}

/// Installs the global subscriber once; later calls (tests) do nothing.
pub fn init() {
    let filter = log_filter(std::env::var("DOORMAN_LOG").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("DOORMAN_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The GraphQL operation a request ran, as metric labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// The operation name; `anonymous` when it has none, `other` past the name limit.
    pub operation: String,
    /// `query`, `mutation`, `subscription`, or `unknown` when the document did not parse.
    pub r#type: String,
}

impl OperationLabels {
    /// A request whose document did not parse or did not say which operation to run.
    pub fn unknown() -> Self {
        Self {
            operation: "unknown".to_owned(),
            r#type: "unknown".to_owned(),
        }
    }
}

/// An operation and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub operation: String,
    pub r#type: String,
    /// `ok`, or `error` when the response carried errors.
    pub outcome: String,
}

/// How many distinct operation names get their own series; later names share `other`, so
/// clients cannot grow the metrics without bound.
const MAX_OPERATION_NAMES: usize = 200;

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The metrics of this process, read by `/metrics`.
pub struct Metrics {
    registry: Registry,
    operation_names: Mutex<HashSet<String>>,
    pub operations: Family<OutcomeLabels, Counter>,
    pub operation_seconds: Family<OperationLabels, Histogram, fn() -> Histogram>,
    pub invitations_created: Counter,
    pub invitations_accepted: Counter,
    pub invitations_declined: Counter,
    pub invitations_cancelled: Counter,
    pub invitations_resent: Counter,
    pub invitations_expired: Counter,
    pub emails_queued: Counter,
    pub emails_sent: Counter,
    pub emails_retried: Counter,
    pub emails_failed: Counter,
    pub subscriptions_open: Gauge,
    pub websockets_open: Gauge,
    pub db_statements: Counter,
    pub db_statement_errors: Counter,
    pub db_statement_seconds: Histogram,
    /// Documents parsed: one whose text is over a limit is refused unparsed.
    pub documents_parsed: Counter,
    /// Rate limit checks Redis did not answer in time (`DOORMAN_REDIS_URL`).
    pub rate_limit_backend_errors: Counter,
    /// Committed events this instance's relay published to NATS (`DOORMAN_NATS_URL`).
    pub events_relayed: Counter,
    /// Events NATS brought to this instance a second time, dropped before its subscribers.
    pub event_duplicates_dropped: Counter,
    /// 1 while this instance is the one relaying events to NATS.
    pub event_relay_leader: Gauge,
    /// Hot reads the replica served (`DOORMAN_DATABASE_READ_URL`).
    pub replica_reads: Counter,
    /// 1 while the replica answers within the allowed lag.
    pub replica_usable: Gauge,
    /// Invitation previews answered from memory (`DOORMAN_PREVIEW_CACHE_ENTRIES`).
    pub preview_cache_hits: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            registry: Registry::with_prefix("doorman"),
            operation_names: Mutex::default(),
            operations: Family::default(),
            operation_seconds: Family::new_with_constructor(latency_histogram),
            invitations_created: Counter::default(),
            invitations_accepted: Counter::default(),
            invitations_declined: Counter::default(),
            invitations_cancelled: Counter::default(),
            invitations_resent: Counter::default(),
            invitations_expired: Counter::default(),
            emails_queued: Counter::default(),
            emails_sent: Counter::default(),
            emails_retried: Counter::default(),
            emails_failed: Counter::default(),
            subscriptions_open: Gauge::default(),
            websockets_open: Gauge::default(),
            db_statements: Counter::default(),
            db_statement_errors: Counter::default(),
            db_statement_seconds: latency_histogram(),
            documents_parsed: Counter::default(),
            rate_limit_backend_errors: Counter::default(),
            events_relayed: Counter::default(),
            event_duplicates_dropped: Counter::default(),
            event_relay_leader: Gauge::default(),
            replica_reads: Counter::default(),
            replica_usable: Gauge::default(),
            preview_cache_hits: Counter::default(),
        };
        metrics.registered()
    }
}

impl Metrics {
    fn registered(mut self) -> Self {
        let registry = &mut self.registry;
        registry.register(
            "graphql_operations",
            "GraphQL operations by name, type and outcome",
            self.operations.clone(),
        );
        registry.register(
            "graphql_operation_duration_seconds",
            "Time to answer a GraphQL operation (to the first result for subscriptions)",
            self.operation_seconds.clone(),
        );
        let counters = [
            (
                "invitations_created",
                "Invitations created (one per email or link)",
                &self.invitations_created,
            ),
            (
                "invitations_accepted",
                "Invitation acceptances",
                &self.invitations_accepted,
            ),
            (
                "invitations_declined",
                "Invitations declined",
                &self.invitations_declined,
            ),
            (
                "invitations_cancelled",
                "Invitations cancelled",
                &self.invitations_cancelled,
            ),
            (
                "invitations_resent",
                "Invitations resent with a new token",
                &self.invitations_resent,
            ),
            (
                "invitations_expired",
                "Invitations the expiry sweep found past their expiry",
                &self.invitations_expired,
            ),
            (
                "rate_limit_backend_errors",
                "Rate limit checks the shared store (Redis) did not answer in time",
                &self.rate_limit_backend_errors,
            ),
            (
                "emails_queued",
                "Invitation emails queued in the outbox",
                &self.emails_queued,
            ),
            (
                "emails_sent",
                "Invitation emails handed to the mail server",
                &self.emails_sent,
            ),
            (
                "emails_retried",
                "Email deliveries that failed and will be retried",
                &self.emails_retried,
            ),
            (
                "emails_failed",
                "Emails given up after the last attempt",
                &self.emails_failed,
            ),
            (
                "graphql_documents_parsed",
                "GraphQL documents parsed (those refused by their length or tokens are not)",
                &self.documents_parsed,
            ),
            (
                "events_relayed",
                "Committed events published to NATS by this instance's relay",
                &self.events_relayed,
            ),
            (
                "event_duplicates_dropped",
                "Events NATS delivered twice, dropped before the subscribers",
                &self.event_duplicates_dropped,
            ),
            (
                "replica_reads",
                "Hot reads served by the read replica",
                &self.replica_reads,
            ),
            (
                "preview_cache_hits",
                "Invitation previews answered from memory",
                &self.preview_cache_hits,
            ),
            ("db_statements", "SQL statements run", &self.db_statements),
            (
                "db_statement_errors",
                "SQL statements that failed",
                &self.db_statement_errors,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "subscriptions_open",
            "GraphQL subscriptions running now",
            self.subscriptions_open.clone(),
        );
        registry.register(
            "event_relay_leader",
            "1 while this instance relays committed events to NATS",
            self.event_relay_leader.clone(),
        );
        registry.register(
            "replica_usable",
            "1 while the read replica answers within the allowed lag",
            self.replica_usable.clone(),
        );
        registry.register(
            "websocket_connections_open",
            "WebSocket connections open now",
            self.websockets_open.clone(),
        );
        registry.register(
            "db_statement_duration_seconds",
            "Time to run one SQL statement",
            self.db_statement_seconds.clone(),
        );
        self
    }

    /// The metrics in the OpenMetrics text format that Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// The label for an operation name: the name itself for the first names seen, `other`
    /// after that, `anonymous` without one.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        let mut names = self
            .operation_names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if names.contains(name) {
            return name.to_owned();
        }
        if names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }

    /// Counts one operation, and times it when it answers once (not a subscription).
    pub fn record_operation(&self, labels: OperationLabels, ok: bool, elapsed: Option<Duration>) {
        if let Some(elapsed) = elapsed {
            self.operation_seconds
                .get_or_create(&labels)
                .observe(elapsed.as_secs_f64());
        }
        self.operations
            .get_or_create(&OutcomeLabels {
                operation: labels.operation,
                r#type: labels.r#type,
                outcome: if ok { "ok" } else { "error" }.to_owned(),
            })
            .inc();
    }

    /// Counts one SQL statement (the database connection's metric callback).
    pub fn record_statement(&self, elapsed: Duration, failed: bool) {
        self.db_statements.inc();
        if failed {
            self.db_statement_errors.inc();
        }
        self.db_statement_seconds.observe(elapsed.as_secs_f64());
    }
}

/// Holds a gauge up while alive: an open subscription or connection.
pub struct GaugeGuard(Gauge);

impl GaugeGuard {
    pub fn hold(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
