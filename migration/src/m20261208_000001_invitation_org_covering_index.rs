//! The organization's invitations by creation time, with their status and expiry in the index
//! itself: the daily quota counts an organization's recent invitations and the pending cap its
//! pending, unexpired ones, both from the index alone (PostgreSQL and SQLite alike) instead of
//! reading each invitation's row. Replaces `invitations_organization_created_idx`, so a write
//! updates as many indexes as before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "invitations_organization_created_idx";
const NEW: &str = "invitations_organization_created_status_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table(Invitations::Table)
                    .col(Invitations::OrganizationId)
                    .col(Invitations::CreatedAt)
                    .col(Invitations::Status)
                    .col(Invitations::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table(Invitations::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(Invitations::Table)
                    .col(Invitations::OrganizationId)
                    .col(Invitations::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table(Invitations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    OrganizationId,
    CreatedAt,
    Status,
    ExpiresAt,
}
