//! `email_outbox`: queued invitation emails. Written in the invitation's transaction with the
//! invitation link, claimed, rendered and sent by the outbox worker; the link and any stored
//! bodies (which hold the raw token) are erased once the message is sent or given up.

use sea_orm::entity::prelude::*;

use crate::enums::OutboxStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invitation_id: i64,
    pub recipient: String,
    /// The subject as of queueing (the message itself is rendered when it is sent).
    pub subject: String,
    /// Rendered bodies, only on rows queued before messages were rendered at delivery.
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The invitation link the message carries (it holds the raw token).
    pub link: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
