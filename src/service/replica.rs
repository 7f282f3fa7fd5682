//! Reads from a PostgreSQL streaming replica (`DOORMAN_DATABASE_READ_URL`) for the read-only
//! hot paths: the invitation preview, invitation lists and the audit log. Everything else, and
//! every check of rights, reads from the primary.
//!
//! Read-your-writes: a request that runs a mutation, and every request of that account for
//! `DOORMAN_READ_YOUR_WRITES_MS` after it, reads from the primary, so nobody misses what they
//! just wrote (the window is kept per instance: behind a load balancer without affinity, make
//! it cover the replica's lag, which `DOORMAN_READ_MAX_LAG_MS` bounds).
//!
//! A monitor compares the replica's replayed WAL position with the primary's every fraction of
//! the allowed lag: the replica serves only while it answers and has replayed what the primary
//! had written `DOORMAN_READ_MAX_LAG_MS` ago. A read that fails on the replica is read again
//! from the primary, and the replica rests until the monitor finds it well again.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::config::Settings;
use crate::telemetry::Metrics;

/// The primary's WAL position, in bytes.
const PRIMARY_POSITION: &str = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";
/// What the replica has replayed, in bytes; NULL on a server that is no replica (promoted,
/// or a primary named by mistake), which never serves.
const REPLAYED_POSITION: &str = "SELECT CASE WHEN pg_is_in_recovery()
    THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END";
/// The longest a hot read may take on the replica before it is read from the primary.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one look at both positions may take before the replica counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// Most accounts whose last write is remembered; older ones are forgotten first.
const WRITERS_KEPT: usize = 100_000;

/// The replica and whether it may serve now.
pub struct Replica {
    db: DatabaseConnection,
    usable: AtomicBool,
    /// When each account last wrote, for read-your-writes.
    writers: Mutex<HashMap<i64, Instant>>,
    window: Duration,
    max_lag: Duration,
    metrics: Arc<Metrics>,
}

impl Replica {
    /// The replica `settings` names, if any. Connecting waits for the first read, so a
    /// replica that is down at start-up only means reads from the primary until it is up.
    pub async fn from_settings(
        settings: &Settings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Option<Arc<Self>>> {
        let Some(url) = &settings.cluster.database_read_url else {
            return Ok(None);
        };
        anyhow::ensure!(
            crate::db::is_postgres(&settings.database_url),
            "DOORMAN_DATABASE_READ_URL needs DOORMAN_DATABASE_URL to be PostgreSQL"
        );
        let db = crate::db::connect_replica(settings, url).await?;
        tracing::info!(replica = %crate::db::redact_url(url), "hot reads go to a replica");
        Ok(Some(Arc::new(Self {
            db,
            usable: AtomicBool::new(false),
            writers: Mutex::default(),
            window: Duration::from_millis(settings.cluster.read_your_writes_ms),
            max_lag: Duration::from_millis(settings.cluster.read_max_lag_ms),
            metrics,
        })))
    }

    /// The replica's connection, for a read that [`serves`](Self::serves) allowed.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether a read for `account` (`None`: anonymous) may go to the replica now.
    pub fn serves(&self, account: Option<i64>) -> bool {
        if !self.usable.load(Ordering::Relaxed) {
            return false;
        }
        let Some(account) = account else {
            return true;
        };
        let writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        writers
            .get(&account)
            .is_none_or(|wrote| wrote.elapsed() >= self.window)
    }

    /// `account` is writing: its reads go to the primary for the read-your-writes window.
    pub fn wrote(&self, account: i64) {
        let mut writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        if writers.len() >= WRITERS_KEPT {
            let window = self.window;
            writers.retain(|_, wrote| wrote.elapsed() < window);
        }
        if writers.len() < WRITERS_KEPT {
            writers.insert(account, Instant::now());
        }
    }

    /// The replica could not be reached: the primary serves until the monitor finds it well.
    pub fn failed(&self) {
        self.set_usable(false);
    }

    fn set_usable(&self, usable: bool) {
        self.usable.store(usable, Ordering::Relaxed);
        self.metrics.replica_usable.set(i64::from(usable));
    }

    /// Watches the replica's lag behind `primary` until the process ends. Each look takes the
    /// primary's position first (stamped before it is read), then the replica's: the replica
    /// serves while it has replayed what the primary had written one allowed lag ago. A look
    /// at the primary that fails (a busy pool) changes nothing; one at the replica that fails
    /// or finds no replica turns it off.
    pub fn monitor(self: Arc<Self>, primary: DatabaseConnection) {
        let every = (self.max_lag / 4).clamp(Duration::from_millis(25), Duration::from_millis(500));
        tokio::spawn(async move {
            // The primary's positions over the last two allowed lags, oldest first.
            let mut positions: VecDeque<(Instant, i64)> = VecDeque::new();
            loop {
                let stamped = Instant::now();
                let primary_at =
                    tokio::time::timeout(CHECK_TIMEOUT, position(&primary, PRIMARY_POSITION)).await;
                if let Ok(Ok(Some(primary_at))) = primary_at {
                    positions.push_back((stamped, primary_at));
                    while positions
                        .front()
                        .is_some_and(|(at, _)| stamped.duration_since(*at) > self.max_lag * 2)
                    {
                        positions.pop_front();
                    }
                    let replayed =
                        tokio::time::timeout(CHECK_TIMEOUT, position(&self.db, REPLAYED_POSITION))
                            .await;
                    // What the primary had written one allowed lag ago (or as long ago as is
                    // known).
                    let due = positions
                        .iter()
                        .rev()
                        .find(|(at, _)| stamped.duration_since(*at) >= self.max_lag)
                        .or(positions.front())
                        .map_or(primary_at, |(_, position)| *position);
                    match replayed {
                        Ok(Ok(Some(replayed))) => self.set_usable(replayed >= due),
                        Ok(Ok(None)) => {
                            tracing::warn!(
                                "DOORMAN_DATABASE_READ_URL is not a replica in recovery; reads stay on the primary"
                            );
                            self.set_usable(false);
                        }
                        Ok(Err(err)) => {
                            tracing::debug!(error = %err, "the replica did not answer");
                            self.set_usable(false);
                        }
                        Err(_) => self.set_usable(false),
                    }
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}

/// Whether a failed read says the replica itself cannot be reached (a connection refused or
/// cut, a pool that gives no connection), rather than something about the query.
pub fn unreachable(err: &anyhow::Error) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err.downcast_ref::<DbErr>() {
        Some(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => return true,
        Some(
            DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx)),
        ) => sqlx,
        _ => return false,
    };
    matches!(
        sqlx.as_ref(),
        Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::Protocol(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed
    )
}

async fn position(db: &DatabaseConnection, sql: &str) -> Result<Option<i64>, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("a WAL position".to_owned()))?;
    row.try_get_by_index(0)
}
