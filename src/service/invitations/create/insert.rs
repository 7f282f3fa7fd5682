//! Inserting new invitations, for every way of creating them: fresh tokens, the CREATED
//! events, and the links to hand out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::invitation;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait};

use crate::domain::email_address::{EmailAddress, EmailDomains};
use crate::domain::invitation_extras::{Metadata, RedirectUrl};
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::domain::names::Message;
use crate::domain::org_role::OrgRole;
use crate::domain::{EmailDeliveryStatus, EventKind};
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::invitations::{InvitationView, link_for};

/// What the inviter attaches for the invitee's app.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    pub redirect_url: Option<RedirectUrl>,
    pub metadata: Option<Metadata>,
    /// The language of its emails (a supported tag).
    pub locale: Option<String>,
    /// The IANA time zone of its emails' dates.
    pub time_zone: Option<String>,
}

pub(super) struct NewInvitation {
    pub(super) action: InvitationAction,
    pub(super) organization_id: Option<i64>,
    pub(super) role: Option<OrgRole>,
    pub(super) email: Option<EmailAddress>,
    pub(super) allowed_email_domains: EmailDomains,
    pub(super) max_uses: Option<i32>,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) invited_by: Option<i64>,
    pub(super) message: Option<Message>,
    pub(super) send_email: bool,
    pub(super) extras: Extras,
}

/// Inserts invitations with fresh tokens and their CREATED events; returns them with links.
pub(super) async fn insert_invitations(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    new: Vec<NewInvitation>,
) -> Result<(Vec<InvitationView>, Committed), AppError> {
    if new.is_empty() {
        return Ok((Vec::new(), Committed::default()));
    }
    let now = crate::db::now();
    let mut links = HashMap::new();
    let rows: Vec<invitation::ActiveModel> = new
        .into_iter()
        .map(|new| {
            let token = InviteToken::generate();
            let digest = token.digest();
            links.insert(digest.clone(), link_for(&ctx.settings, &token));
            let emailed = new.send_email && new.email.is_some();
            let email_status = if emailed {
                EmailDeliveryStatus::Queued
            } else {
                EmailDeliveryStatus::NotRequested
            };
            invitation::ActiveModel {
                action: Set(new.action),
                organization_id: Set(new.organization_id),
                role: Set(new.role),
                email: Set(new.email.map(|email| email.to_string())),
                allowed_email_domains: Set(new.allowed_email_domains.as_slice().join(",")),
                max_uses: Set(new.max_uses),
                usage_count: Set(0),
                status: Set(InvitationStatus::Pending),
                expires_at: Set(new.expires_at),
                invited_by: Set(new.invited_by),
                message: Set(new.message.map(Message::into_string)),
                token_digest: Set(digest),
                email_status: Set(email_status),
                send_count: Set(0),
                email_attempts: Set(0),
                last_sent_at: Set(None),
                last_email_error: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                // An emailed link is returned to nobody; any other is handed to the inviter.
                link_disclosed: Set(!emailed),
                redirect_url: Set(new.extras.redirect_url.map(RedirectUrl::into_string)),
                metadata: Set(new.extras.metadata.map(Metadata::into_string)),
                locale: Set(new.extras.locale),
                time_zone: Set(new.extras.time_zone),
                ..Default::default()
            }
        })
        .collect();
    let mut models = invitation::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?;
    models.sort_by_key(|model| model.id);
    let refs: Vec<&invitation::Model> = models.iter().collect();
    let committed = events::record(txn, &refs, EventKind::Created, refs[0].invited_by).await?;
    let views = models
        .into_iter()
        .map(|model| InvitationView {
            token_superseded: false,
            link: links.remove(&model.token_digest),
            viewer_is_admin: true,
            viewer_is_invitee: false,
            model,
        })
        .collect();
    Ok((views, committed))
}
