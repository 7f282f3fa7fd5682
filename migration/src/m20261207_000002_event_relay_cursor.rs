//! Where the relay to NATS stopped, per stream (`event_relay_cursors`): saved after JetStream
//! acknowledged a batch, so a new leader continues there even when the stream has lost its
//! messages (their age, a purge, a new stream).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventRelayCursors::Table)
                    .col(text(EventRelayCursors::Stream).primary_key())
                    .col(big_integer(EventRelayCursors::Txid))
                    .col(big_integer(EventRelayCursors::EventId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventRelayCursors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EventRelayCursors {
    Table,
    Stream,
    Txid,
    EventId,
}
