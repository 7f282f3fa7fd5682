//! `webhook_endpoints`: where events are POSTed, signed with the endpoint's secret. Without an
//! organization, an endpoint hears every organization's events (a server admin's).

use sea_orm::entity::prelude::*;

use crate::enums::WebhookStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: Option<i64>,
    pub url: String,
    pub description: Option<String>,
    /// The event kinds it hears, each between commas (`,ACCEPTED,CREATED,`); `,*,` for all.
    pub event_kinds: String,
    pub status: WebhookStatus,
    /// `whsec_…`: never returned after creation or rotation, never logged.
    pub secret: String,
    /// The secret a rotation replaced, still signing until `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// Since when every delivery failed; cleared by a success.
    pub failing_since: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
