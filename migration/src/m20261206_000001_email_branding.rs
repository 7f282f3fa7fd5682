//! Emails in the organization's voice and the invitee's language:
//! - `organizations.logo_url`, `accent_color`, `reply_to`, `email_footer`: the branding of the
//!   emails sent for it, and `default_locale`: the language of its emails;
//! - `invitations.locale` and `time_zone`: the language of the invitee and the zone its dates
//!   are written in, when the inviter named them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each new column, nullable text, with its table.
fn columns() -> Vec<(DynIden, DynIden)> {
    let organization = [
        Organizations::LogoUrl,
        Organizations::AccentColor,
        Organizations::ReplyTo,
        Organizations::EmailFooter,
        Organizations::DefaultLocale,
    ]
    .map(|column| (Organizations::Table.into_iden(), column.into_iden()));
    let invitation = [Invitations::Locale, Invitations::TimeZone]
        .map(|column| (Invitations::Table.into_iden(), column.into_iden()));
    organization.into_iter().chain(invitation).collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for (table, column) in columns() {
            let alter = Table::alter()
                .table(table)
                .add_column(text_null(column))
                .to_owned();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in columns() {
            let alter = Table::alter().table(table).drop_column(column).to_owned();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    LogoUrl,
    AccentColor,
    ReplyTo,
    EmailFooter,
    DefaultLocale,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Locale,
    TimeZone,
}
