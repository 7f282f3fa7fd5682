//! Users, organizations, memberships, invitations and their tokens, redemptions and events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerSettings::Table)
                    .col(string(ServerSettings::Key).primary_key())
                    .col(text(ServerSettings::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_uniq(Users::Username))
                    .col(string_uniq(Users::Email))
                    .col(string_null(Users::DisplayName))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsServerAdmin))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(big_pk_auto(Organizations::Id))
                    .col(string_uniq(Organizations::Name))
                    .col(string_null(Organizations::DisplayName))
                    .col(boolean(Organizations::MembersCanInvite))
                    .col(big_integer_null(Organizations::CreatedBy))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organizations::Table, Organizations::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(big_pk_auto(Invitations::Id))
                    .col(string(Invitations::Action))
                    .col(big_integer_null(Invitations::OrganizationId))
                    .col(string_null(Invitations::Role))
                    .col(string_null(Invitations::Email))
                    .col(text(Invitations::AllowedEmailDomains))
                    .col(integer_null(Invitations::MaxUses))
                    .col(integer(Invitations::UsageCount))
                    .col(string(Invitations::Status))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(big_integer_null(Invitations::InvitedBy))
                    .col(text_null(Invitations::Message))
                    .col(string_uniq(Invitations::TokenDigest))
                    .col(string(Invitations::EmailStatus))
                    .col(integer(Invitations::SendCount))
                    .col(timestamp_with_time_zone_null(Invitations::LastSentAt))
                    .col(text_null(Invitations::LastEmailError))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::InvitedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(big_pk_auto(Memberships::Id))
                    .col(big_integer(Memberships::OrganizationId))
                    .col(big_integer(Memberships::UserId))
                    .col(string(Memberships::Role))
                    .col(big_integer_null(Memberships::InvitationId))
                    .col(timestamp_with_time_zone(Memberships::JoinedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvitationTokens::Table)
                    .col(big_pk_auto(InvitationTokens::Id))
                    .col(big_integer(InvitationTokens::InvitationId))
                    .col(string_uniq(InvitationTokens::TokenDigest))
                    .col(timestamp_with_time_zone(InvitationTokens::SupersededAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvitationTokens::Table, InvitationTokens::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvitationRedemptions::Table)
                    .col(big_pk_auto(InvitationRedemptions::Id))
                    .col(big_integer(InvitationRedemptions::InvitationId))
                    .col(big_integer(InvitationRedemptions::UserId))
                    .col(timestamp_with_time_zone(InvitationRedemptions::RedeemedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                InvitationRedemptions::Table,
                                InvitationRedemptions::InvitationId,
                            )
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvitationRedemptions::Table, InvitationRedemptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvitationEvents::Table)
                    .col(big_pk_auto(InvitationEvents::Id))
                    .col(big_integer(InvitationEvents::InvitationId))
                    .col(big_integer_null(InvitationEvents::OrganizationId))
                    .col(string(InvitationEvents::Kind))
                    .col(big_integer_null(InvitationEvents::ActorId))
                    .col(timestamp_with_time_zone(InvitationEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvitationEvents::Table, InvitationEvents::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InvitationEvents::Table, InvitationEvents::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        let indexes = [
            Index::create()
                .name("memberships_organization_user_key")
                .table(Memberships::Table)
                .col(Memberships::OrganizationId)
                .col(Memberships::UserId)
                .unique()
                .to_owned(),
            Index::create()
                .name("memberships_user_idx")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .to_owned(),
            Index::create()
                .name("invitations_organization_idx")
                .table(Invitations::Table)
                .col(Invitations::OrganizationId)
                .col(Invitations::Id)
                .to_owned(),
            Index::create()
                .name("invitations_email_idx")
                .table(Invitations::Table)
                .col(Invitations::Email)
                .to_owned(),
            Index::create()
                .name("invitations_action_idx")
                .table(Invitations::Table)
                .col(Invitations::Action)
                .col(Invitations::Id)
                .to_owned(),
            Index::create()
                .name("invitation_tokens_invitation_idx")
                .table(InvitationTokens::Table)
                .col(InvitationTokens::InvitationId)
                .to_owned(),
            Index::create()
                .name("invitation_redemptions_invitation_user_key")
                .table(InvitationRedemptions::Table)
                .col(InvitationRedemptions::InvitationId)
                .col(InvitationRedemptions::UserId)
                .unique()
                .to_owned(),
            Index::create()
                .name("invitation_events_organization_idx")
                .table(InvitationEvents::Table)
                .col(InvitationEvents::OrganizationId)
                .col(InvitationEvents::Id)
                .to_owned(),
            Index::create()
                .name("invitation_events_invitation_idx")
                .table(InvitationEvents::Table)
                .col(InvitationEvents::InvitationId)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvitationEvents::Table.into_iden(),
            InvitationRedemptions::Table.into_iden(),
            InvitationTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            Invitations::Table.into_iden(),
            Organizations::Table.into_iden(),
            Users::Table.into_iden(),
            ServerSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ServerSettings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    DisplayName,
    PasswordHash,
    IsServerAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    DisplayName,
    MembersCanInvite,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    OrganizationId,
    UserId,
    Role,
    InvitationId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Action,
    OrganizationId,
    Role,
    Email,
    AllowedEmailDomains,
    MaxUses,
    UsageCount,
    Status,
    ExpiresAt,
    InvitedBy,
    Message,
    TokenDigest,
    EmailStatus,
    SendCount,
    LastSentAt,
    LastEmailError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvitationTokens {
    Table,
    Id,
    InvitationId,
    TokenDigest,
    SupersededAt,
}

#[derive(DeriveIden)]
enum InvitationRedemptions {
    Table,
    Id,
    InvitationId,
    UserId,
    RedeemedAt,
}

#[derive(DeriveIden)]
enum InvitationEvents {
    Table,
    Id,
    InvitationId,
    OrganizationId,
    Kind,
    ActorId,
    CreatedAt,
}
