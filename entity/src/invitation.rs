//! `invitations`: email invitations, multi-use links and registration invitations.
//! `token_digest` is the SHA-256 of the current token; superseded ones live in `invitation_tokens`.

use sea_orm::entity::prelude::*;

use crate::enums::{EmailDeliveryStatus, InvitationAction, InvitationStatus, OrgRole};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action: InvitationAction,
    pub organization_id: Option<i64>,
    pub role: Option<OrgRole>,
    pub email: Option<String>,
    /// Comma-separated lower-case domains; empty means any.
    pub allowed_email_domains: String,
    pub max_uses: Option<i32>,
    pub usage_count: i32,
    /// `EXPIRED` once the expiry sweep has seen it; until then a `PENDING` row past
    /// `expires_at` reads as `EXPIRED` too.
    pub status: InvitationStatus,
    /// `NEVER` (9999-12-31) for a link that does not expire.
    pub expires_at: DateTimeUtc,
    pub invited_by: Option<i64>,
    pub message: Option<String>,
    #[sea_orm(unique)]
    pub token_digest: String,
    pub email_status: EmailDeliveryStatus,
    pub send_count: i32,
    /// Delivery attempts of the current message, failed ones included.
    pub email_attempts: i32,
    pub last_sent_at: Option<DateTimeUtc>,
    pub last_email_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Whether the current token was ever shown to anyone but the invitee's mailbox (returned
    /// to the inviter or printed). An undisclosed email-bound token proves the mailbox.
    pub link_disclosed: bool,
    /// Set while an open link is paused: it answers `INVITATION_PAUSED` and keeps its count.
    pub paused_at: Option<DateTimeUtc>,
    /// Why it was paused: `MANUAL` (an admin) or `RATE` (redeemed faster than the server's
    /// limit, a sign of a leaked link).
    pub pause_reason: Option<String>,
    /// When the one reminder before expiry was queued.
    pub reminded_at: Option<DateTimeUtc>,
    /// Where the invitee's app should go after accepting (an allowed origin's URL).
    pub redirect_url: Option<String>,
    /// JSON object the inviter attached; copied to the membership on accept.
    pub metadata: Option<String>,
    /// The language of its emails (a language tag), when the inviter named one.
    pub locale: Option<String>,
    /// The IANA time zone its emails write dates in, when the inviter named one.
    pub time_zone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
