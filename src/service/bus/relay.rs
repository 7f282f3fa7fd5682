//! The relay from the event table to NATS JetStream: a transactional outbox read in commit
//! order, so that it never publishes an event that did not commit and never passes one that
//! commits late.
//!
//! - **Order.** On PostgreSQL each event row holds the id of the transaction that wrote it
//!   (`relay_txid`). Every transaction below the oldest one still running
//!   (`pg_snapshot_xmin(pg_current_snapshot())`) has ended, so the rows below that horizon are
//!   all there is below it, for good: the relay reads them in `(relay_txid, id)` order after
//!   its cursor and never has to look back. That is the order in which transactions took their
//!   ids, which is commit order unless a transaction that began writing earlier commits later.
//!   SQLite has one writer at a time, so its ids commit in order and the id alone is the
//!   cursor. The price on PostgreSQL: a write transaction that stays open anywhere on the
//!   server holds back every event committed after it began.
//! - **One relay at a time.** On PostgreSQL the instance whose relay connection holds an
//!   advisory lock relays, and reads through that same connection (with TCP keepalives and
//!   timeouts, so that a lost peer is noticed in seconds), so a relay that lost its connection
//!   has lost the lock too and stops; when its process dies PostgreSQL ends the session and
//!   another instance takes over within a second.
//! - **Where it stopped.** The cursor is saved in `event_relay_cursors` after JetStream
//!   acknowledged a batch, and travels in every message (`Doorman-Cursor`); a new leader starts
//!   after the later of the two. Messages carry the event id as `Nats-Msg-Id` and the previous
//!   one's as `Nats-Expected-Last-Msg-Id`: JetStream refuses a message that would follow a gap
//!   (one lost in a failed batch) or a message of an older leader, and drops an event
//!   published twice within its duplicate window; the subscribers' side drops any later repeat
//!   by id.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use sea_orm::sqlx::{self, Connection, PgConnection};
use sea_orm::{ActiveEnum, DatabaseConnection, DbBackend};
use tokio::sync::Notify;

use super::event::BusEvent;
use super::stream::EventStream;
use crate::domain::EventKind;
use crate::telemetry::Metrics;

/// The header that carries the relay's cursor after this message.
const CURSOR_HEADER: &str = "Doorman-Cursor";
/// Events published per batch.
const BATCH: i64 = 256;
/// How often an instance that does not relay asks whether it may.
const STANDBY_RETRY: Duration = Duration::from_millis(500);
/// How long a relay waits after a failure before it starts over.
const AFTER_FAILURE: Duration = Duration::from_secs(1);
/// The longest one statement of the relay may take before its connection counts as lost.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The relay's PostgreSQL session: keepalives that notice a lost peer within seconds (and then
/// release the lock), and a bound on every statement.
const SESSION: &str = "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2;
    SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000; SET statement_timeout = 10000";
/// The advisory lock (in the database's own lock space) of the one relay.
const RELAY_LOCK: i64 = 0x646f_6f72_6d61_6e01;

/// Where an event stands in commit order: the id of its transaction (0 on SQLite) and its id.
type Cursor = (i64, i64);

/// An event row as the relay reads it: cursor, invitation, organization, kind, actor.
type RelayRow = (i64, i64, Option<i64>, Option<i64>, String, Option<i64>);

/// PostgreSQL: the next events after the cursor (`$1`, `$2`) below the horizon, `$3` at most.
const AFTER_POSTGRES: &str = "
    SELECT relay_txid, id, invitation_id, organization_id, kind, actor_id
    FROM invitation_events
    WHERE relay_txid IS NOT NULL AND (relay_txid, id) > ($1, $2)
      AND relay_txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    ORDER BY relay_txid, id
    LIMIT $3";
/// PostgreSQL: the last event below the horizon.
const HEAD_POSTGRES: &str = "
    SELECT relay_txid, id FROM invitation_events
    WHERE relay_txid IS NOT NULL
      AND relay_txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
    ORDER BY relay_txid DESC, id DESC
    LIMIT 1";
/// SQLite: the next events after the id `?1`, `?2` at most.
const AFTER_SQLITE: &str = "
    SELECT 0, id, invitation_id, organization_id, kind, actor_id
    FROM invitation_events WHERE id > ?1 ORDER BY id LIMIT ?2";
/// SQLite: the last event.
const HEAD_SQLITE: &str = "SELECT 0, COALESCE(MAX(id), 0) FROM invitation_events";
/// The saved cursor of stream `$1`.
const SAVED_POSTGRES: &str = "SELECT txid, event_id FROM event_relay_cursors WHERE stream = $1";
const SAVED_SQLITE: &str = "SELECT txid, event_id FROM event_relay_cursors WHERE stream = ?1";
/// Saves the cursor (`$2`, `$3`) of stream `$1`.
const SAVE_POSTGRES: &str = "INSERT INTO event_relay_cursors (stream, txid, event_id)
    VALUES ($1, $2, $3) ON CONFLICT (stream) DO UPDATE SET txid = $2, event_id = $3";
const SAVE_SQLITE: &str = "INSERT INTO event_relay_cursors (stream, txid, event_id)
    VALUES (?1, ?2, ?3) ON CONFLICT (stream) DO UPDATE SET txid = ?2, event_id = ?3";

/// Relays committed events to the stream's subject, on whichever instance holds the lead.
pub(super) struct Relay {
    pub db: DatabaseConnection,
    pub database_url: String,
    pub stream: EventStream,
    /// Woken when this instance committed events.
    pub wakeup: Arc<Notify>,
    /// How often the relay looks for events other instances committed.
    pub interval: Duration,
    pub metrics: Arc<Metrics>,
}

/// The relay's hold on the event table: on PostgreSQL the connection that holds the lock.
enum Lead {
    Postgres(PgConnection),
    Sqlite(sqlx::SqlitePool),
}

impl Relay {
    /// Waits for the lead, relays while it lasts, and starts over after a failure; runs until
    /// the process ends.
    pub async fn run(self) {
        let mut standby: Option<PgConnection> = None;
        loop {
            let lead = match self.take_lead(&mut standby).await {
                Ok(Some(lead)) => lead,
                Ok(None) => {
                    tokio::time::sleep(STANDBY_RETRY).await;
                    continue;
                }
                Err(err) => {
                    standby = None;
                    tracing::warn!(error = %err, "the event relay cannot reach the database");
                    tokio::time::sleep(AFTER_FAILURE).await;
                    continue;
                }
            };
            tracing::info!(subject = %self.stream.subject, "this instance relays events to NATS");
            self.metrics.event_relay_leader.set(1);
            let Err(err) = self.relay(lead).await;
            self.metrics.event_relay_leader.set(0);
            tracing::warn!(error = %err, "the event relay stopped; starting over");
            tokio::time::sleep(AFTER_FAILURE).await;
        }
    }

    /// The lead, if this instance may relay now.
    async fn take_lead(&self, standby: &mut Option<PgConnection>) -> anyhow::Result<Option<Lead>> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(Some(Lead::Sqlite(
                self.db.get_sqlite_connection_pool().clone(),
            )));
        }
        let mut connection = match standby.take() {
            Some(connection) => connection,
            None => {
                let mut connection = PgConnection::connect(&self.database_url).await?;
                sqlx::raw_sql(SESSION).execute(&mut connection).await?;
                connection
            }
        };
        let locked: bool = bounded(
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(RELAY_LOCK)
                .fetch_one(&mut connection),
        )
        .await?;
        if locked {
            Ok(Some(Lead::Postgres(connection)))
        } else {
            *standby = Some(connection);
            Ok(None)
        }
    }

    /// Relays from where it stopped until something fails.
    async fn relay(&self, mut lead: Lead) -> anyhow::Result<std::convert::Infallible> {
        let stream = self.stream.open().await?;
        let last = self.last_published(&stream).await?;
        let name = &self.stream.name;
        let saved = lead.saved(name).await?;
        let mut cursor = match (saved, last.as_ref().map(|(cursor, _)| *cursor)) {
            (Some(saved), Some(last)) => saved.max(last),
            (Some(cursor), None) | (None, Some(cursor)) => cursor,
            // A new stream starts where the event table ends.
            (None, None) => {
                let head = lead.head().await?;
                lead.save(name, head).await?;
                head
            }
        };
        let mut last_id = last.map(|(_, id)| id);
        loop {
            let rows = lead.after(cursor).await?;
            let full = rows.len() as i64 == BATCH;
            if !rows.is_empty() {
                (cursor, last_id) = self.publish(rows, cursor, last_id).await?;
                lead.save(name, cursor).await?;
            }
            if !full {
                tokio::select! {
                    () = self.wakeup.notified() => {}
                    () = tokio::time::sleep(self.interval) => {}
                }
            }
        }
    }

    /// The cursor and message id of the stream's last message; `None` for an empty stream.
    async fn last_published(
        &self,
        stream: &async_nats::jetstream::stream::Stream,
    ) -> anyhow::Result<Option<(Cursor, String)>> {
        use async_nats::jetstream::stream::LastRawMessageErrorKind;
        let subject = &self.stream.subject;
        let message = match stream.get_last_raw_message_by_subject(subject).await {
            Ok(message) => message,
            Err(err) if err.kind() == LastRawMessageErrorKind::NoMessageFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let header = |name: &str| {
            message
                .headers
                .get(name)
                .map(|value| value.as_str().to_owned())
        };
        let cursor = header(CURSOR_HEADER).and_then(|value| parse_cursor(&value));
        let id = header(async_nats::header::NATS_MESSAGE_ID.as_ref());
        match (cursor, id) {
            (Some(cursor), Some(id)) => Ok(Some((cursor, id))),
            _ => anyhow::bail!(
                "the last message on {subject} has no {CURSOR_HEADER} or message id: is another \
                 program publishing there?"
            ),
        }
    }

    /// Publishes `rows` in order, each refused by JetStream unless it follows `last_id`, and
    /// acknowledged before the cursor passes it; the cursor and message id after the last. An
    /// event of a kind this version does not know is passed over (a newer version relays it).
    async fn publish(
        &self,
        rows: Vec<RelayRow>,
        mut cursor: Cursor,
        mut last_id: Option<String>,
    ) -> anyhow::Result<(Cursor, Option<String>)> {
        let mut acks = Vec::with_capacity(rows.len());
        for (txid, id, invitation_id, organization_id, kind, actor_id) in rows {
            let Ok(kind) = EventKind::try_from_value(&kind) else {
                tracing::warn!(event = id, %kind, "an event of an unknown kind is not relayed");
                acks.push(((txid, id), None));
                continue;
            };
            let event = BusEvent {
                id,
                invitation_id,
                organization_id,
                kind,
                actor_id,
            };
            let mut publish = PublishMessage::build()
                .message_id(id.to_string())
                .header(CURSOR_HEADER, format!("{txid}:{id}"))
                .payload(serde_json::to_vec(&event)?.into());
            if let Some(last_id) = &last_id {
                publish = publish.expected_last_message_id(last_id);
            }
            let ack = self
                .stream
                .jetstream
                .send_publish(self.stream.subject.clone(), publish)
                .await?;
            last_id = Some(id.to_string());
            acks.push(((txid, id), Some(ack)));
        }
        for (after, ack) in acks {
            if let Some(ack) = ack {
                ack.await?;
                self.metrics.events_relayed.inc();
            }
            cursor = after;
        }
        Ok((cursor, last_id))
    }
}

impl Lead {
    /// Where the event table ends now: a stream that is new starts there.
    async fn head(&mut self) -> anyhow::Result<Cursor> {
        let head: Option<Cursor> = match self {
            Lead::Postgres(connection) => {
                bounded(sqlx::query_as(HEAD_POSTGRES).fetch_optional(connection)).await?
            }
            Lead::Sqlite(pool) => sqlx::query_as(HEAD_SQLITE).fetch_optional(&*pool).await?,
        };
        Ok(head.unwrap_or((0, 0)))
    }

    /// The next events after `cursor` that can be relayed now, in commit order.
    async fn after(&mut self, (txid, id): Cursor) -> anyhow::Result<Vec<RelayRow>> {
        Ok(match self {
            Lead::Postgres(connection) => {
                bounded(
                    sqlx::query_as(AFTER_POSTGRES)
                        .bind(txid)
                        .bind(id)
                        .bind(BATCH)
                        .fetch_all(connection),
                )
                .await?
            }
            Lead::Sqlite(pool) => {
                sqlx::query_as(AFTER_SQLITE)
                    .bind(id)
                    .bind(BATCH)
                    .fetch_all(&*pool)
                    .await?
            }
        })
    }

    /// The cursor saved for `stream`, if any.
    async fn saved(&mut self, stream: &str) -> anyhow::Result<Option<Cursor>> {
        Ok(match self {
            Lead::Postgres(connection) => {
                bounded(
                    sqlx::query_as(SAVED_POSTGRES)
                        .bind(stream)
                        .fetch_optional(connection),
                )
                .await?
            }
            Lead::Sqlite(pool) => {
                sqlx::query_as(SAVED_SQLITE)
                    .bind(stream)
                    .fetch_optional(&*pool)
                    .await?
            }
        })
    }

    /// Saves `cursor` as where the relay to `stream` stopped.
    async fn save(&mut self, stream: &str, (txid, id): Cursor) -> anyhow::Result<()> {
        match self {
            Lead::Postgres(connection) => {
                bounded(
                    sqlx::query(SAVE_POSTGRES)
                        .bind(stream)
                        .bind(txid)
                        .bind(id)
                        .execute(connection),
                )
                .await?;
            }
            Lead::Sqlite(pool) => {
                sqlx::query(SAVE_SQLITE)
                    .bind(stream)
                    .bind(txid)
                    .bind(id)
                    .execute(&*pool)
                    .await?;
            }
        }
        Ok(())
    }
}

/// `statement` on the lead connection, which counts as lost when it takes too long.
async fn bounded<T>(statement: impl Future<Output = Result<T, sqlx::Error>>) -> anyhow::Result<T> {
    tokio::time::timeout(STATEMENT_TIMEOUT, statement)
        .await
        .map_err(|_| anyhow::anyhow!("the relay's database connection stopped answering"))?
        .map_err(Into::into)
}

/// `txid:id`.
fn parse_cursor(text: &str) -> Option<Cursor> {
    let (txid, id) = text.split_once(':')?;
    Some((txid.parse().ok()?, id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_read_back_as_written() {
        assert_eq!(parse_cursor("8123:77"), Some((8123, 77)));
        assert_eq!(parse_cursor("0:1"), Some((0, 1)));
        assert_eq!(parse_cursor("77"), None);
        assert_eq!(parse_cursor("a:1"), None);
    }
}
