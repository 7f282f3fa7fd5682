//! The order in which events committed, for the relay to NATS (`DOORMAN_NATS_URL`). On
//! PostgreSQL, `invitation_events.relay_txid` holds the id of the transaction that wrote the
//! event: every transaction below the oldest one still running has ended, so the relay takes
//! events in `(relay_txid, id)` order up to that horizon and never passes one that commits
//! later. SQLite has one writer at a time, so its ids already commit in order; it needs no
//! column.
//!
//! Rows written before this migration keep no transaction id: they are history, never relayed.
//! The column is added without a default first and then given one, so that PostgreSQL does not
//! rewrite the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE invitation_events ADD COLUMN relay_txid bigint")
            .await?;
        db.execute_unprepared(
            "ALTER TABLE invitation_events
             ALTER COLUMN relay_txid SET DEFAULT (pg_current_xact_id()::text::bigint)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX invitation_events_relay_order ON invitation_events (relay_txid, id)
             WHERE relay_txid IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE invitation_events DROP COLUMN relay_txid")
            .await?;
        Ok(())
    }
}
