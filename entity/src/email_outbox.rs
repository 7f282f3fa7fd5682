//! `email_outbox`: queued emails, about an invitation or about an account (`kind`). Written in
//! the transaction that causes them, with the link they carry, claimed, rendered and sent by the
//! outbox worker; the link and any stored bodies (which hold a raw token) are erased once the
//! message is sent or given up.

use sea_orm::entity::prelude::*;

use crate::enums::{OutboxKind, OutboxStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The invitation an `INVITATION` message is about.
    pub invitation_id: Option<i64>,
    /// The account a `VERIFY_EMAIL` or `EMAIL_CHANGED` message is about.
    pub user_id: Option<i64>,
    pub kind: OutboxKind,
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
    /// The link the message carries (it holds the raw token); none for a notice.
    pub link: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
