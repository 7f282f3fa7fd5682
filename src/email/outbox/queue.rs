//! Putting messages in the outbox, in the caller's transaction, and taking back the ones not
//! yet delivered.

use entity::enums::{OutboxKind, OutboxStatus};
use entity::{email_outbox, invitation};

use crate::email::templates::Rendered;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany,
};

/// A message to queue, about one invitation or one account: rendered when it is sent.
pub struct QueuedEmail {
    pub kind: OutboxKind,
    pub invitation_id: Option<i64>,
    pub user_id: Option<i64>,
    pub recipient: String,
    /// The link the message carries, with the raw token; none for a notice.
    pub link: Option<String>,
    /// Subject, text and HTML of a message rendered when queued; `None`: rendered when sent.
    pub rendered: Option<(String, String, String)>,
}

impl QueuedEmail {
    /// The email of an invitation, with its link.
    pub fn invitation(invitation_id: i64, recipient: String, link: String) -> Self {
        Self {
            kind: OutboxKind::Invitation,
            invitation_id: Some(invitation_id),
            user_id: None,
            recipient,
            link: Some(link),
            rendered: None,
        }
    }

    /// The reminder of an invitation before it expires, with its new link.
    pub fn reminder(invitation_id: i64, recipient: String, link: String) -> Self {
        Self {
            kind: OutboxKind::Reminder,
            ..Self::invitation(invitation_id, recipient, link)
        }
    }

    /// An email about account `user_id`.
    /// To an inviter, about one of their invitations (no link).
    pub fn to_inviter(
        kind: OutboxKind,
        invitation_id: i64,
        inviter_id: i64,
        recipient: String,
    ) -> Self {
        Self {
            kind,
            invitation_id: Some(invitation_id),
            user_id: Some(inviter_id),
            recipient,
            link: None,
            rendered: None,
        }
    }

    pub fn account(
        kind: OutboxKind,
        user_id: i64,
        recipient: String,
        link: Option<String>,
    ) -> Self {
        Self {
            kind,
            invitation_id: None,
            user_id: Some(user_id),
            recipient,
            link,
            rendered: None,
        }
    }

    /// A notice to account `user_id` rendered now, for what nothing else stores.
    pub fn rendered(
        kind: OutboxKind,
        user_id: i64,
        recipient: String,
        rendered: &Rendered,
    ) -> Self {
        Self {
            rendered: Some((
                rendered.subject.clone(),
                rendered.text.clone(),
                rendered.html.clone(),
            )),
            ..Self::account(kind, user_id, recipient, None)
        }
    }
}

/// Queues messages inside the caller's transaction; they are due at once.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    emails: Vec<QueuedEmail>,
) -> Result<(), sea_orm::DbErr> {
    if emails.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let rows = emails.into_iter().map(|email| email_outbox::ActiveModel {
        invitation_id: Set(email.invitation_id),
        user_id: Set(email.user_id),
        kind: Set(email.kind),
        recipient: Set(email.recipient),
        // Otherwise written when the message is sent, in the language it was sent in.
        subject: Set(email
            .rendered
            .as_ref()
            .map(|(subject, _, _)| subject.clone())
            .unwrap_or_default()),
        text_body: Set(email.rendered.as_ref().map(|(_, text, _)| text.clone())),
        html_body: Set(email.rendered.map(|(_, _, html)| html)),
        link: Set(email.link),
        status: Set(OutboxStatus::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    });
    email_outbox::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Stops the invitation's undelivered messages (queued, or claimed but not yet recorded) and
/// erases their bodies.
pub async fn cancel_undelivered(
    txn: &impl ConnectionTrait,
    invitation_id: i64,
) -> Result<(), sea_orm::DbErr> {
    cancel_undelivered_of(txn, vec![invitation_id]).await
}

/// [`cancel_undelivered`] for several invitations at once.
pub async fn cancel_undelivered_of(
    txn: &impl ConnectionTrait,
    invitation_ids: Vec<i64>,
) -> Result<(), sea_orm::DbErr> {
    erasing_bodies(set_status(OutboxStatus::Cancelled))
        .filter(email_outbox::Column::InvitationId.is_in(invitation_ids))
        .filter(email_outbox::Column::Status.is_in([OutboxStatus::Queued, OutboxStatus::Sending]))
        .exec(txn)
        .await?;
    Ok(())
}

/// Stops the undelivered messages of every invitation of organization `org_id`.
pub async fn cancel_undelivered_in_org(
    txn: &impl ConnectionTrait,
    org_id: i64,
) -> Result<(), sea_orm::DbErr> {
    let invitations = sea_orm::sea_query::Query::select()
        .column(invitation::Column::Id)
        .from(invitation::Entity)
        .and_where(invitation::Column::OrganizationId.eq(org_id))
        .to_owned();
    erasing_bodies(set_status(OutboxStatus::Cancelled))
        .filter(email_outbox::Column::InvitationId.in_subquery(invitations))
        .filter(email_outbox::Column::Status.is_in([OutboxStatus::Queued, OutboxStatus::Sending]))
        .exec(txn)
        .await?;
    Ok(())
}

/// Stops the undelivered messages of `kind` about account `user_id` (a newer one replaces
/// them) and erases their links.
pub async fn cancel_undelivered_to_account(
    txn: &impl ConnectionTrait,
    user_id: i64,
    kind: OutboxKind,
) -> Result<(), sea_orm::DbErr> {
    erasing_bodies(set_status(OutboxStatus::Cancelled))
        .filter(email_outbox::Column::UserId.eq(user_id))
        .filter(email_outbox::Column::Kind.eq(kind))
        .filter(email_outbox::Column::Status.is_in([OutboxStatus::Queued, OutboxStatus::Sending]))
        .exec(txn)
        .await?;
    Ok(())
}

/// An update of outbox rows that sets their status.
pub(super) fn set_status(status: OutboxStatus) -> UpdateMany<email_outbox::Entity> {
    email_outbox::Entity::update_many().col_expr(email_outbox::Column::Status, Expr::value(status))
}

/// Adds erasing the link and any stored bodies (the only copies of the raw token) to an
/// update.
pub(super) fn erasing_bodies(
    update: UpdateMany<email_outbox::Entity>,
) -> UpdateMany<email_outbox::Entity> {
    update
        .col_expr(
            email_outbox::Column::Link,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            email_outbox::Column::TextBody,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            email_outbox::Column::HtmlBody,
            Expr::value(Option::<String>::None),
        )
}
