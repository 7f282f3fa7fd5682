//! What a queued message says: rendered when it is sent, from the invitation or the account as
//! it stands then.

use entity::enums::OutboxKind;
use entity::{email_outbox, email_verification, invitation, organization, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::super::SendError;
use super::super::account_email::AccountEmail;
use super::super::invitation_email::InvitationEmail;
use super::super::templates::{Emails, Rendered};
use sea_orm::DatabaseConnection;

use crate::domain::email_address::EmailAddress;
use crate::domain::invite_token::VerificationToken;

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
    emails: &Emails,
    row: &email_outbox::Model,
) -> Result<Rendered, SendError> {
    if let (Some(text), Some(html)) = (&row.text_body, &row.html_body) {
        return Ok(Rendered {
            subject: row.subject.clone(),
            text: text.clone(),
            html: html.clone(),
            reply_to: None,
        });
    }
    let link = row.link.as_deref();
    let rendered = match (row.kind, row.invitation_id, row.user_id) {
        (kind @ (OutboxKind::Invitation | OutboxKind::Reminder), Some(invitation_id), _) => {
            let link = link.ok_or_else(gone("the message body"))?;
            let invitation = invitation::Entity::find_by_id(invitation_id)
                .one(db)
                .await
                .map_err(temporary)?
                .ok_or_else(gone("the invitation"))?;
            let (organization, inviter) = email_names(db, &invitation).await.map_err(temporary)?;
            let email =
                InvitationEmail::of(&invitation, organization.as_ref(), inviter.as_ref(), link);
            if kind == OutboxKind::Reminder {
                email.reminder().render(emails)
            } else {
                email.render(emails)
            }
        }
        (OutboxKind::VerifyEmail, _, Some(user_id)) => {
            let link = link.ok_or_else(gone("the message body"))?;
            let user = account(db, user_id).await?;
            // The expiry the token was stored with; the link's last part is the token.
            let token = link
                .rsplit('/')
                .next()
                .and_then(VerificationToken::parse)
                .ok_or_else(gone("the verification token"))?;
            let verification = email_verification::Entity::find()
                .filter(email_verification::Column::TokenDigest.eq(token.digest()))
                .one(db)
                .await
                .map_err(temporary)?
                .ok_or_else(gone("the verification"))?;
            AccountEmail::Verify {
                username: &user.username,
                link,
                expires_at: verification.expires_at,
            }
            .render(emails)
        }
        (OutboxKind::EmailChanged, _, Some(user_id)) => {
            let user = account(db, user_id).await?;
            let new_address = EmailAddress::parse(&user.email)
                .map(|email| email.masked())
                .unwrap_or_default();
            AccountEmail::EmailChanged {
                username: &user.username,
                new_address: &new_address,
            }
            .render(emails)
        }
        (OutboxKind::WrongRecipient, Some(invitation_id), Some(user_id)) => {
            let inviter = account(db, user_id).await?;
            let invitation = invitation::Entity::find_by_id(invitation_id)
                .one(db)
                .await
                .map_err(temporary)?
                .ok_or_else(gone("the invitation"))?;
            let (organization, _) = email_names(db, &invitation).await.map_err(temporary)?;
            let organization = organization.ok_or_else(gone("the organization"))?;
            AccountEmail::WrongRecipient {
                username: inviter.display_name.as_deref().unwrap_or(&inviter.username),
                // Erased by retention since: the masked address stands in.
                invitee: invitation.email.as_deref().unwrap_or("***"),
                organization: &organization,
            }
            .render(emails)
        }
        _ => {
            return Err(SendError::Permanent(
                "the message names nothing to send about".to_owned(),
            ));
        }
    };
    rendered.map_err(|err| SendError::Permanent(format!("cannot render the message: {err}")))
}

/// The account a message is about.
async fn account(db: &DatabaseConnection, user_id: i64) -> Result<user::Model, SendError> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .map_err(temporary)?
        .ok_or_else(gone("the account"))
}

/// A database error: worth another try.
fn temporary(err: sea_orm::DbErr) -> SendError {
    SendError::Temporary(format!("database: {err}"))
}

/// A permanent failure: `what` is gone.
fn gone(what: &'static str) -> impl Fn() -> SendError {
    move || SendError::Permanent(format!("{what} is gone"))
}
