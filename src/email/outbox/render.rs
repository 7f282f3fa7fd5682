//! What a queued message says: rendered when it is sent, from the invitation or the account as
//! it stands then.

use entity::enums::OutboxKind;
use entity::{email_outbox, invitation, organization, user};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::super::SendError;
use super::super::account_email::AccountEmail;
use super::super::invitation_email::{InvitationEmail, Rendered};
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::domain::email_address::EmailAddress;

/// The organization and inviter an invitation's email names.
pub async fn email_names(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
) -> Result<(Option<organization::Model>, Option<user::Model>), sea_orm::DbErr> {
    let organization = match invitation.organization_id {
        Some(id) => organization::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let inviter = match invitation.invited_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok((organization, inviter))
}

/// The message's subject and bodies: rendered now from the invitation or account as it
/// stands (an invitation's expiry, message and names may have changed since it was queued,
/// e.g. by a resend), or, for rows queued before messages were rendered at delivery, as stored.
pub(super) async fn render(
    db: &DatabaseConnection,
    settings: &Settings,
    row: &email_outbox::Model,
) -> Result<Rendered, SendError> {
    if let (Some(text), Some(html)) = (&row.text_body, &row.html_body) {
        return Ok(Rendered {
            subject: row.subject.clone(),
            text: text.clone(),
            html: html.clone(),
        });
    }
    let temporary = |err: sea_orm::DbErr| SendError::Temporary(format!("database: {err}"));
    let link = row.link.as_deref();
    let rendered = match (row.kind, row.invitation_id, row.user_id) {
        (OutboxKind::Invitation, Some(invitation_id), _) => {
            let link = link.ok_or_else(gone("the message body"))?;
            let invitation = invitation::Entity::find_by_id(invitation_id)
                .one(db)
                .await
                .map_err(temporary)?
                .ok_or_else(gone("the invitation"))?;
            let (organization, inviter) = email_names(db, &invitation).await.map_err(temporary)?;
            InvitationEmail::of(&invitation, organization.as_ref(), inviter.as_ref(), link).render()
        }
        (kind @ (OutboxKind::VerifyEmail | OutboxKind::EmailChanged), _, Some(user_id)) => {
            let user = user::Entity::find_by_id(user_id)
                .one(db)
                .await
                .map_err(temporary)?
                .ok_or_else(gone("the account"))?;
            let new_address = EmailAddress::parse(&user.email)
                .map(|email| email.masked())
                .unwrap_or_default();
            let email = if kind == OutboxKind::VerifyEmail {
                AccountEmail::Verify {
                    username: &user.username,
                    link: link.ok_or_else(gone("the message body"))?,
                    expires_at: row.created_at
                        + chrono::Duration::hours(i64::from(
                            settings.email_verification_expiry_hours,
                        )),
                }
            } else {
                AccountEmail::EmailChanged {
                    username: &user.username,
                    new_address: &new_address,
                }
            };
            email.render()
        }
        _ => {
            return Err(SendError::Permanent(
                "the message names nothing to send about".to_owned(),
            ));
        }
    };
    rendered.map_err(|err| SendError::Permanent(format!("cannot render the message: {err}")))
}

/// A permanent failure: `what` is gone.
fn gone(what: &'static str) -> impl Fn() -> SendError {
    move || SendError::Permanent(format!("{what} is gone"))
}
