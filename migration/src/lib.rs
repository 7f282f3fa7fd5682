//! Database migrations, applied in order by `doorman migrate` and on `doorman serve`.
//! Forward-only once released: a change to the schema is a new file.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_tables;
mod m20261123_000001_create_email_outbox;
mod m20261124_000001_invitation_quota_index;
mod m20261201_000001_outbox_link;
mod m20261202_000001_verified_emails;
mod m20261203_000001_org_administration;
mod m20261203_000002_link_pause;
mod m20261204_000001_lifecycle;
mod m20261205_000001_webhooks;
mod m20261206_000001_email_branding;
mod m20261207_000001_event_relay;
mod m20261207_000002_event_relay_cursor;
mod m20261208_000001_invitation_org_covering_index;
mod sqlite_rebuild;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tables::Migration),
            Box::new(m20261123_000001_create_email_outbox::Migration),
            Box::new(m20261124_000001_invitation_quota_index::Migration),
            Box::new(m20261201_000001_outbox_link::Migration),
            Box::new(m20261202_000001_verified_emails::Migration),
            Box::new(m20261203_000001_org_administration::Migration),
            Box::new(m20261203_000002_link_pause::Migration),
            Box::new(m20261204_000001_lifecycle::Migration),
            Box::new(m20261205_000001_webhooks::Migration),
            Box::new(m20261206_000001_email_branding::Migration),
            Box::new(m20261207_000001_event_relay::Migration),
            Box::new(m20261207_000002_event_relay_cursor::Migration),
            Box::new(m20261208_000001_invitation_org_covering_index::Migration),
        ]
    }
}
