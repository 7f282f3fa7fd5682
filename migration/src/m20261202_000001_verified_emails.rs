//! Proven emails: when an account's email was verified, the single-use verification tokens,
//! whether an invitation's link was ever shown to anyone (an emailed link that was not proves
//! the mailbox), and outbox messages about an account rather than an invitation. And identities
//! at an OpenID Connect issuer, each tied to one account.
//!
//! Existing accounts start unverified, except server admins (their email is taken as
//! vouched for); existing invitations count as disclosed (their links were returned).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::sqlite_rebuild::{Rebuild, rebuild};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend: SQLite's copy of the outbox must not be left half-done,
    /// and its steps must all run on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::EmailVerifiedAt, Expr::col(Users::CreatedAt))
                    .and_where(Expr::col(Users::IsServerAdmin).eq(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .add_column(boolean(Invitations::LinkDisclosed).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailVerifications::Table)
                    .col(big_pk_auto(EmailVerifications::Id))
                    .col(big_integer(EmailVerifications::UserId))
                    .col(string(EmailVerifications::Email))
                    .col(string_uniq(EmailVerifications::TokenDigest))
                    .col(timestamp_with_time_zone(EmailVerifications::CreatedAt))
                    .col(timestamp_with_time_zone(EmailVerifications::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailVerifications::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailVerifications::Table, EmailVerifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("email_verifications_user_idx")
                    .table(EmailVerifications::Table)
                    .col(EmailVerifications::UserId)
                    .col(EmailVerifications::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExternalIdentities::Table)
                    .col(big_pk_auto(ExternalIdentities::Id))
                    .col(big_integer(ExternalIdentities::UserId))
                    .col(string(ExternalIdentities::Issuer))
                    .col(string(ExternalIdentities::Subject))
                    .col(timestamp_with_time_zone(ExternalIdentities::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalIdentities::Table, ExternalIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("external_identities_issuer_subject_idx")
                    .table(ExternalIdentities::Table)
                    .col(ExternalIdentities::Issuer)
                    .col(ExternalIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        account_messages_in_the_outbox(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExternalIdentities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EmailVerifications::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .drop_column(Invitations::LinkDisclosed)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailVerifiedAt)
                    .to_owned(),
            )
            .await
    }
}

/// The outbox's `invitation_id` becomes optional, beside a `user_id` and the message's `kind`.
/// PostgreSQL alters the table; SQLite cannot drop a NOT NULL, so it copies the rows into a
/// new table of the new shape.
async fn account_messages_in_the_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        rebuild(
            manager,
            Rebuild {
                table: EmailOutbox::Table.into_iden(),
                create: outbox_table(EmailOutbox::NewTable),
                new_name: EmailOutbox::NewTable.into_iden(),
                columns: "id, invitation_id, recipient, subject, text_body, html_body, status, \
                    attempts, next_attempt_at, lease_until, last_error, created_at, sent_at, link",
                indexes: vec![
                    (
                        "email_outbox_due_idx",
                        vec![
                            EmailOutbox::Status.into_iden(),
                            EmailOutbox::NextAttemptAt.into_iden(),
                        ],
                    ),
                    (
                        "email_outbox_invitation_idx",
                        vec![EmailOutbox::InvitationId.into_iden()],
                    ),
                ],
            },
        )
        .await?;
    } else {
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .modify_column(big_integer_null(EmailOutbox::InvitationId))
                    .add_column(big_integer_null(EmailOutbox::UserId))
                    .add_column(string(EmailOutbox::Kind).default("INVITATION"))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .from_tbl(EmailOutbox::Table)
                            .from_col(EmailOutbox::UserId)
                            .to_tbl(Users::Table)
                            .to_col(Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
    }
    manager
        .create_index(
            Index::create()
                .name("email_outbox_user_idx")
                .table(EmailOutbox::Table)
                .col(EmailOutbox::UserId)
                .to_owned(),
        )
        .await
}

/// The outbox as it stands after this migration, under `name`.
fn outbox_table(name: EmailOutbox) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto(EmailOutbox::Id))
        .col(big_integer_null(EmailOutbox::InvitationId))
        .col(big_integer_null(EmailOutbox::UserId))
        .col(string(EmailOutbox::Kind).default("INVITATION"))
        .col(string(EmailOutbox::Recipient))
        .col(text(EmailOutbox::Subject))
        .col(text_null(EmailOutbox::TextBody))
        .col(text_null(EmailOutbox::HtmlBody))
        .col(string(EmailOutbox::Status))
        .col(integer(EmailOutbox::Attempts))
        .col(timestamp_with_time_zone(EmailOutbox::NextAttemptAt))
        .col(timestamp_with_time_zone_null(EmailOutbox::LeaseUntil))
        .col(text_null(EmailOutbox::LastError))
        .col(timestamp_with_time_zone(EmailOutbox::CreatedAt))
        .col(timestamp_with_time_zone_null(EmailOutbox::SentAt))
        .col(text_null(EmailOutbox::Link))
        .foreign_key(
            ForeignKey::create()
                .from(name, EmailOutbox::InvitationId)
                .to(Invitations::Table, Invitations::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(name, EmailOutbox::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    IsServerAdmin,
    CreatedAt,
    EmailVerifiedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    LinkDisclosed,
}

#[derive(DeriveIden)]
enum EmailVerifications {
    Table,
    Id,
    UserId,
    Email,
    TokenDigest,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ExternalIdentities {
    Table,
    Id,
    UserId,
    Issuer,
    Subject,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EmailOutbox {
    Table,
    #[sea_orm(iden = "email_outbox_new")]
    NewTable,
    Id,
    InvitationId,
    UserId,
    Kind,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
    Link,
}
