//! Database connection and transactions. Backend differences (SQLite pragmas and lock mode,
//! PostgreSQL row locks) are decided here, one function each.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::prelude::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, RuntimeErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use crate::config::{Settings, sqlite_file};

/// Connects with the pool settings and, on SQLite, WAL mode, a busy timeout, foreign keys,
/// the page cache size (each pooled connection has its own: SQLite's default of 2 MiB each
/// made ten connections a third of the server's memory under a read load) and checkpoints
/// left to [`checkpoints`] (the committing writer checkpoints only past a backstop).
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    check_url(&settings.database_url)?;
    if is_postgres(&settings.database_url) {
        probe_postgres(settings).await?;
    }
    let options = pool_options(settings, &settings.database_url);
    let db = Database::connect(options)
        .await
        .map_err(|err| open_error(&settings.database_url, &err))?;
    Ok(db)
}

/// A pool on the read replica at `url`, with the primary's pool settings; it connects on
/// first use, so a replica that is down at start-up delays nothing.
pub async fn connect_replica(settings: &Settings, url: &str) -> anyhow::Result<DatabaseConnection> {
    check_url(url)?;
    let mut options = pool_options(settings, url);
    // A replica that went away costs a read at most a second before it goes to the primary.
    options
        .min_connections(0)
        .connect_lazy(true)
        .acquire_timeout(Duration::from_secs(1));
    Database::connect(options)
        .await
        .map_err(|err| open_error(url, &err))
}

/// The pool of the database at `url`: its size and timeouts, and SQLite's pragmas.
fn pool_options(settings: &Settings, url: &str) -> ConnectOptions {
    let cache_size = format!("-{}", settings.sqlite_cache_kib);
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.database_max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(
            settings.database_acquire_timeout_seconds,
        ))
        .sqlx_logging(false)
        // sqlx pings a connection on every checkout by default: one more round trip per
        // statement. Ping only those idle long enough to have been dropped by the server or
        // the network; a connection that dies under use fails its query and is replaced.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(move |opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
                .pragma("cache_size", cache_size.clone())
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
                // Statement journals (the undo of one multi-row insert) stay in memory rather
                // than going to temporary files: a fifth of a bulk invite's time.
                .pragma("temp_store", "memory")
        });
    options
}

/// The current time, truncated to microseconds so values round-trip through every backend.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The forms of database URL Doorman opens, for errors that must show them.
const URL_FORMS: &str =
    "sqlite://path/to/doorman.db?mode=rwc or postgres://user:password@host:5432/database";

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Refuses a database URL of another kind before any driver sees it, showing the forms that
/// work.
fn check_url(url: &str) -> anyhow::Result<()> {
    use std::str::FromStr;
    let parses = if url.starts_with("sqlite:") {
        sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).is_ok()
    } else {
        is_postgres(url) && sea_orm::sqlx::postgres::PgConnectOptions::from_str(url).is_ok()
    };
    anyhow::ensure!(
        parses,
        "DOORMAN_DATABASE_URL {} is not a database URL Doorman can open: use {URL_FORMS}",
        redact_url(url)
    );
    Ok(())
}

/// Opens one PostgreSQL connection first, so that a server that refuses it is reported with
/// its cause (refused, unknown host, authentication failed, no such database) within the
/// acquire timeout, rather than as the pool's bare "timed out".
async fn probe_postgres(settings: &Settings) -> anyhow::Result<()> {
    use sea_orm::sqlx::Connection;
    let url = &settings.database_url;
    let timeout = Duration::from_secs(settings.database_acquire_timeout_seconds);
    let cause = match tokio::time::timeout(timeout, sea_orm::sqlx::PgConnection::connect(url)).await
    {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(err)) => postgres_cause(&err),
        Err(_) => format!(
            "no answer within {} seconds (DOORMAN_DATABASE_ACQUIRE_TIMEOUT_SECONDS)",
            timeout.as_secs()
        ),
    };
    anyhow::bail!(
        "cannot connect to the PostgreSQL database {}: {cause}",
        redact_url(url)
    )
}

/// What sqlx says went wrong, without its wrapping ("error communicating with database: …").
fn postgres_cause(err: &sea_orm::sqlx::Error) -> String {
    match err {
        sea_orm::sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => {
                "the server refused the connection (is PostgreSQL running on that host and port?)"
                    .to_owned()
            }
            _ => io.to_string(),
        },
        sea_orm::sqlx::Error::Database(db_err) => db_err.message().to_owned(),
        sea_orm::sqlx::Error::Configuration(cause) => {
            format!("{cause}; use {URL_FORMS}")
        }
        other => other.to_string(),
    }
}

/// Why the database could not be opened, in one line. For a SQLite file it names the file and,
/// where the file system can tell, the cause (missing or non-directory parent, permission
/// denied, read-only file system) rather than SQLite's bare "unable to open database file".
fn open_error(url: &str, err: &DbErr) -> anyhow::Error {
    let Some(file) = sqlite_file(url) else {
        return anyhow::anyhow!("cannot open the database {}: {err}", redact_url(url));
    };
    let cause = file_system_problem(file).unwrap_or_else(|| match err {
        DbErr::Conn(RuntimeErr::SqlxError(sqlx_err)) => match sqlx_err.as_ref() {
            sea_orm::sqlx::Error::Database(db_err) => db_err.message().to_owned(),
            other => other.to_string(),
        },
        other => other.to_string(),
    });
    anyhow::anyhow!(
        "cannot open the SQLite database at {}: {cause}",
        file.display()
    )
}

/// What keeps this process from writing the SQLite `file` and, next to it, its journal files.
fn file_system_problem(file: &Path) -> Option<String> {
    let dir = file
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Some(format!("the directory {} does not exist", dir.display()));
        }
        Err(err) => return Some(format!("{}: {}", dir.display(), io_cause(&err))),
        Ok(meta) if !meta.is_dir() => return Some(format!("{} is not a directory", dir.display())),
        Ok(_) => {}
    }
    if file.exists()
        && let Err(err) = OpenOptions::new().read(true).write(true).open(file)
    {
        return Some(format!("cannot write the file: {}", io_cause(&err)));
    }
    let probe = dir.join(format!(".doorman-write-test-{}", std::process::id()));
    match File::create_new(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(err) => Some(format!(
            "cannot create files in {}: {}",
            dir.display(),
            io_cause(&err)
        )),
    }
}

fn io_cause(err: &std::io::Error) -> String {
    match err.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::ReadOnlyFilesystem => "read-only file system".to_owned(),
        ErrorKind::StorageFull => "no space left on device".to_owned(),
        _ => err.to_string(),
    }
}

/// SQLite: a writer that finds the write-ahead log this many pages long (64 MiB) copies it
/// into the database itself, as it does every 1,000 pages by default; below that,
/// [`checkpoints`] does it in the background.
const WAL_BACKSTOP_PAGES: u32 = 16_384;

/// How long the background checkpoint waits after a commit, so that a burst of writes is
/// copied in one go.
const CHECKPOINT_DELAY: Duration = Duration::from_millis(50);

/// SQLite: copies committed pages from the write-ahead log into the database file in the
/// background, shortly after writes, until the server stops; PostgreSQL needs nothing. By
/// default SQLite has the committing writer do it (every 1,000 pages: reading the log back,
/// writing the pages and an `fsync`) while it still holds the one write lock, which made a
/// bulk invite hold the lock a tenth longer and every writer behind it wait. A passive
/// checkpoint runs beside readers and writers without blocking either.
pub async fn checkpoints(db: DatabaseConnection, mut stopping: watch::Receiver<bool>) {
    let Some(writers) = sqlite_writers(&db) else {
        return;
    };
    loop {
        tokio::select! {
            () = writers.committed.notified() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        tokio::time::sleep(CHECKPOINT_DELAY).await;
        if let Err(err) = db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(error = %err, "background checkpoint failed");
        }
    }
}

/// How often SQLite's statistics are gathered again.
const STATISTICS_EVERY: Duration = Duration::from_secs(24 * 3600);

/// SQLite: gathers the query planner's statistics (`ANALYZE`, every row: sampled statistics
/// see one status where there are many) at start-up and daily, until the server stops;
/// PostgreSQL keeps its own. Without them SQLite guesses from the shape of each index: it took
/// the index of every pending invitation by expiry over the organization's own to count an
/// organization's pending invitations, a scan of the whole table for each bulk invite.
pub async fn statistics(db: DatabaseConnection, mut stopping: watch::Receiver<bool>) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    loop {
        if let Err(err) = db
            .execute_unprepared("PRAGMA analysis_limit = 0; ANALYZE")
            .await
        {
            tracing::warn!(error = %err, "gathering the query planner's statistics failed");
        }
        tokio::select! {
            () = tokio::time::sleep(STATISTICS_EVERY) => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
    }
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .map_err(|err| anyhow::anyhow!("database migration failed: {err}"))
}

/// Opens a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so a read-then-write never fails with "database is locked". Before
/// that, the process's writers to one SQLite file queue in order for their turn
/// ([`WriteTransaction`]), rather than each polling SQLite's lock: its busy handler sleeps
/// between tries (up to 100 ms a time), which under contention lets late writers overtake
/// early ones and makes some wait for seconds.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let writers = sqlite_writers(db);
            let turn = match &writers {
                Some(writers) => Some(
                    Arc::clone(&writers.turn)
                        .acquire_owned()
                        .await
                        .map_err(|err| DbErr::Custom(err.to_string()))?,
                ),
                None => None,
            };
            let txn = db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await?;
            Ok(WriteTransaction {
                txn,
                writers,
                _turn: turn,
            })
        }
        _ => Ok(WriteTransaction {
            txn: db.begin().await?,
            writers: None,
            _turn: None,
        }),
    }
}

/// This process's writers to one SQLite file.
struct SqliteWriters {
    /// One at a time, first come first served.
    turn: Arc<Semaphore>,
    /// Told of every commit, for [`checkpoints`].
    committed: Notify,
}

/// The writers of the SQLite file behind `db` (one per file in this process); `None` for
/// in-memory databases and PostgreSQL.
fn sqlite_writers(db: &DatabaseConnection) -> Option<Arc<SqliteWriters>> {
    static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Arc<SqliteWriters>>>> =
        LazyLock::new(Default::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    if file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:") {
        return None;
    }
    let mut queues = QUEUES.lock().unwrap_or_else(PoisonError::into_inner);
    Some(Arc::clone(queues.entry(file).or_insert_with(|| {
        Arc::new(SqliteWriters {
            turn: Arc::new(Semaphore::new(1)),
            committed: Notify::new(),
        })
    })))
}

/// A write transaction: a [`DatabaseTransaction`] (it derefs to one and runs queries like one)
/// that, on SQLite, holds this process's turn to write to the file until it ends.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    writers: Option<Arc<SqliteWriters>>,
    // Dropped after `txn`, so the turn passes on once the transaction has ended.
    _turn: Option<OwnedSemaphorePermit>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await?;
        if let Some(writers) = &self.writers {
            writers.committed.notify_one();
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

/// Serializes transactions that take the same `key` until they end. SQLite needs nothing:
/// its write transactions already run one at a time.
pub async fn lock_key(txn: &DatabaseTransaction, key: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                // NATS takes a lone credential as a token (`nats://TOKEN@host`).
                None if url.starts_with("nats://") => {
                    format!("{}***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_url_hides_passwords_and_tokens_only() {
        assert_eq!(
            super::redact_url("postgres://app:s3cret@db:5432/doorman"),
            "postgres://app:***@db:5432/doorman"
        );
        assert_eq!(
            super::redact_url("sqlite://doorman.db"),
            "sqlite://doorman.db"
        );
        assert_eq!(
            super::redact_url("postgres://app@db/doorman"),
            "postgres://app@db/doorman"
        );
        assert_eq!(
            super::redact_url("nats://s3cret-token@nats:4222"),
            "nats://***@nats:4222"
        );
    }
}
