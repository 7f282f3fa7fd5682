//! `webhook_deliveries`: one event for one endpoint, written in the event's transaction and
//! POSTed by the webhook worker, oldest first per endpoint.

use sea_orm::entity::prelude::*;

use crate::enums::DeliveryStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    /// The event delivered; null for a test event.
    pub event_id: Option<i64>,
    /// The payload's `type` (`invitation.accepted`, `webhook.test`, …).
    pub event_type: String,
    /// The body of a test event; an event's body is built from its row.
    pub payload: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the delivery until then.
    pub leased_until: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    /// A short reason for the last failure.
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
