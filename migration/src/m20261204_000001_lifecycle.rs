//! The rest of the invitation lifecycle:
//! - `invitations.reminded_at`: when the one reminder before expiry was queued;
//! - `invitations.redirect_url`, `invitations.metadata` (JSON text), and `memberships.metadata`
//!   (copied from the invitation on accept);
//! - `idempotency_keys`: the first answer to a create or resend call, per caller, operation
//!   and key, so that a retry returns it instead of acting twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns: [(DynIden, ColumnDef); 4] = [
            (
                Invitations::Table.into_iden(),
                timestamp_with_time_zone_null(Invitations::RemindedAt),
            ),
            (
                Invitations::Table.into_iden(),
                text_null(Invitations::RedirectUrl),
            ),
            (
                Invitations::Table.into_iden(),
                text_null(Invitations::Metadata),
            ),
            (
                Memberships::Table.into_iden(),
                text_null(Memberships::Metadata),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(big_pk_auto(IdempotencyKeys::Id))
                    .col(big_integer(IdempotencyKeys::UserId))
                    .col(string(IdempotencyKeys::Operation))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::RequestDigest))
                    .col(text_null(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IdempotencyKeys::Table, IdempotencyKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_user_operation_key")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::UserId)
                    .col(IdempotencyKeys::Operation)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_created_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .drop_column(Memberships::Metadata)
                    .to_owned(),
            )
            .await?;
        for column in [
            Invitations::RemindedAt,
            Invitations::RedirectUrl,
            Invitations::Metadata,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    RemindedAt,
    RedirectUrl,
    Metadata,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Metadata,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Operation,
    Key,
    RequestDigest,
    Response,
    CreatedAt,
}
