//! Changes of state that several use cases share: closing invitations (one, or a set at
//! once) so that their queued mail never goes out, and replacing a token with a new one.

use chrono::{DateTime, Utc};
use entity::{invitation, invitation_token};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use crate::domain::EmailDeliveryStatus;
use crate::domain::invitation_rules::InvitationStatus;
use crate::domain::invite_token::InviteToken;
use crate::email::outbox;
use crate::error::AppError;

/// Closes one invitation with `status` (cancelled, by an admin or its recipient): its
/// undelivered mail is stopped and a queued email will not go out (`NOT_REQUESTED`).
pub(crate) async fn close(
    txn: &DatabaseTransaction,
    model: invitation::Model,
    status: InvitationStatus,
) -> Result<invitation::Model, AppError> {
    outbox::cancel_undelivered(txn, model.id).await?;
    let mut active = model.into_active_model();
    active.status = Set(status);
    if *active.email_status.as_ref() == EmailDeliveryStatus::Queued {
        active.email_status = Set(EmailDeliveryStatus::NotRequested);
    }
    active.updated_at = Set(crate::db::now());
    Ok(active.update(txn).await?)
}

/// [`close`] for every invitation `which` selects (the expiry sweep's batch, a deleted
/// organization's pending ones), in two statements; the caller stops their undelivered
/// mail. The number closed.
pub(crate) async fn close_all(
    txn: &DatabaseTransaction,
    which: Condition,
    status: InvitationStatus,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    invitation::Entity::update_many()
        .filter(which.clone())
        .filter(invitation::Column::EmailStatus.eq(EmailDeliveryStatus::Queued))
        .col_expr(
            invitation::Column::EmailStatus,
            Expr::value(EmailDeliveryStatus::NotRequested),
        )
        .exec(txn)
        .await?;
    Ok(invitation::Entity::update_many()
        .filter(which)
        .col_expr(invitation::Column::Status, Expr::value(status))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Keeps the current token of `model` among the superseded ones (it then answers
/// `INVITATION_SUPERSEDED`, and `invitation(token:)` still shows the invitation) and mints the
/// token that replaces it; the caller stores its digest.
pub(crate) async fn supersede_token(
    txn: &DatabaseTransaction,
    model: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<InviteToken, AppError> {
    invitation_token::ActiveModel {
        invitation_id: Set(model.id),
        token_digest: Set(model.token_digest.clone()),
        superseded_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(InviteToken::generate())
}
