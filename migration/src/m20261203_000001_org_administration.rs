//! Organizations administered after creation: defaults for new invitations, and deletion
//! (`deleted_at`; a deleted organization's name is set aside so the name is free again). The
//! event log becomes the organization's audit log: an event may be about a member or the
//! organization rather than an invitation (`invitation_id` optional), names the member it is
//! about (`subject_id`) and what changed (`changes`, a JSON array of field, before, after).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::sqlite_rebuild::{Rebuild, rebuild};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend: SQLite's copy of the event log must not be left
    /// half-done, and its steps must all run on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string(Organizations::DefaultInviteRole)
                .default("MEMBER")
                .to_owned(),
            integer_null(Organizations::DefaultInviteExpiryHours),
            string(Organizations::DefaultAllowedEmailDomains)
                .default("")
                .to_owned(),
            timestamp_with_time_zone_null(Organizations::DeletedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        events_about_members_and_organizations(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name("invitation_events_created_idx")
                    .table(InvitationEvents::Table)
                    .col(InvitationEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Organizations::DefaultInviteRole,
            Organizations::DefaultInviteExpiryHours,
            Organizations::DefaultAllowedEmailDomains,
            Organizations::DeletedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// `invitation_id` becomes optional, beside `subject_id` and `changes`. PostgreSQL alters the
/// table; SQLite cannot drop a NOT NULL, so it copies the rows into a new table of the new
/// shape (nothing references the event log, so dropping the old one cascades nowhere).
async fn events_about_members_and_organizations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        rebuild(
            manager,
            Rebuild {
                table: InvitationEvents::Table.into_iden(),
                create: events_table(InvitationEvents::NewTable),
                new_name: InvitationEvents::NewTable.into_iden(),
                columns: "id, invitation_id, organization_id, kind, actor_id, created_at",
                indexes: vec![
                    (
                        "invitation_events_organization_idx",
                        vec![
                            InvitationEvents::OrganizationId.into_iden(),
                            InvitationEvents::Id.into_iden(),
                        ],
                    ),
                    (
                        "invitation_events_invitation_idx",
                        vec![InvitationEvents::InvitationId.into_iden()],
                    ),
                ],
            },
        )
        .await
    } else {
        manager
            .alter_table(
                Table::alter()
                    .table(InvitationEvents::Table)
                    .modify_column(big_integer_null(InvitationEvents::InvitationId))
                    .add_column(big_integer_null(InvitationEvents::SubjectId))
                    .add_column(text_null(InvitationEvents::Changes))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .from_tbl(InvitationEvents::Table)
                            .from_col(InvitationEvents::SubjectId)
                            .to_tbl(Users::Table)
                            .to_col(Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }
}

/// The event log as it stands after this migration, under `name`.
fn events_table(name: InvitationEvents) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto(InvitationEvents::Id))
        .col(big_integer_null(InvitationEvents::InvitationId))
        .col(big_integer_null(InvitationEvents::OrganizationId))
        .col(string(InvitationEvents::Kind))
        .col(big_integer_null(InvitationEvents::ActorId))
        .col(timestamp_with_time_zone(InvitationEvents::CreatedAt))
        .col(big_integer_null(InvitationEvents::SubjectId))
        .col(text_null(InvitationEvents::Changes))
        .foreign_key(
            ForeignKey::create()
                .from(name, InvitationEvents::InvitationId)
                .to(Invitations::Table, Invitations::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(name, InvitationEvents::ActorId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .foreign_key(
            ForeignKey::create()
                .from(name, InvitationEvents::SubjectId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    DefaultInviteRole,
    DefaultInviteExpiryHours,
    DefaultAllowedEmailDomains,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum InvitationEvents {
    Table,
    #[sea_orm(iden = "invitation_events_new")]
    NewTable,
    Id,
    InvitationId,
    OrganizationId,
    Kind,
    ActorId,
    CreatedAt,
    SubjectId,
    Changes,
}
