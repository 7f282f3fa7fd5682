//! Webhooks, and indexes for lookups that run on every call:
//! - `webhook_endpoints`: where an organization's (or, without one, every organization's)
//!   events are POSTed, which kinds, its signing secret and the one it replaced while that
//!   one's grace period lasts, whether it is paused or disabled, and since when it fails;
//! - `webhook_deliveries`: one row per event and endpoint, written in the event's transaction
//!   (or by `sendTestEvent`, with its own payload), delivered by the webhook worker in order per
//!   endpoint, with attempts, the next try, a lease, and the last answer;
//! - `invitation_events (organization_id, kind, created_at)` for the wrong-recipient quota that
//!   every create checks, `invitation_redemptions (invitation_id, id)` for the leaked-link check
//!   of every redemption, and `invitations (status, expires_at)` for the expiry sweep.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(big_pk_auto(WebhookEndpoints::Id))
                    .col(big_integer_null(WebhookEndpoints::OrganizationId))
                    .col(text(WebhookEndpoints::Url))
                    .col(text_null(WebhookEndpoints::Description))
                    .col(text(WebhookEndpoints::EventKinds))
                    .col(string(WebhookEndpoints::Status))
                    .col(text(WebhookEndpoints::Secret))
                    .col(text_null(WebhookEndpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretUntil,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(big_integer_null(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(big_integer_null(WebhookDeliveries::EventId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(text_null(WebhookDeliveries::Payload))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LeasedUntil,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(InvitationEvents::Table, InvitationEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            Index::create()
                .name("webhook_endpoints_organization")
                .table(WebhookEndpoints::Table)
                .col(WebhookEndpoints::OrganizationId)
                .to_owned(),
            Index::create()
                .name("webhook_deliveries_endpoint_status")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EndpointId)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::Id)
                .to_owned(),
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
            Index::create()
                .name("webhook_deliveries_event")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EventId)
                .to_owned(),
            Index::create()
                .name("invitation_events_org_kind_created")
                .table(InvitationEvents::Table)
                .col(InvitationEvents::OrganizationId)
                .col(InvitationEvents::Kind)
                .col(InvitationEvents::CreatedAt)
                .to_owned(),
            Index::create()
                .name("invitation_redemptions_invitation")
                .table(InvitationRedemptions::Table)
                .col(InvitationRedemptions::InvitationId)
                .col(InvitationRedemptions::Id)
                .to_owned(),
            Index::create()
                .name("invitations_status_expires")
                .table(Invitations::Table)
                .col(Invitations::Status)
                .col(Invitations::ExpiresAt)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "invitation_events_org_kind_created",
                InvitationEvents::Table.into_iden(),
            ),
            (
                "invitation_redemptions_invitation",
                InvitationRedemptions::Table.into_iden(),
            ),
            ("invitations_status_expires", Invitations::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    EventKinds,
    Status,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    FailingSince,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastStatusCode,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InvitationEvents {
    Table,
    Id,
    OrganizationId,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InvitationRedemptions {
    Table,
    Id,
    InvitationId,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Status,
    ExpiresAt,
}
