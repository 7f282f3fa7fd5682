//! What someone holding an invitation's token may do besides accepting or declining it: ask
//! for a new invitation when theirs no longer works, or say that it reached the wrong person.

use chrono::Utc;
use entity::enums::OutboxKind;
use entity::{invitation, invitation_event, invitation_token, user};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::{close, find_by_token_for_update};
use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::domain::invitation_rules::{InvitationStatus, Refusal, effective_status};
use crate::domain::invite_token::InviteToken;
use crate::email::outbox::{self, QueuedEmail};
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::events::{self, Committed};

/// How long one renewal request stands: later ones within it add nothing.
const RENEWAL_REQUEST_HOURS: i64 = 24;

/// Asks the admins of an invitation for a new one: its token no longer works (expired,
/// cancelled, used, or replaced by a newer one). Records a `RENEWAL_REQUESTED` event, at most
/// one per invitation a day; an admin answers with `resend`. Answers the same for every
/// token, known or not, usable or not, so it tells nobody which tokens exist.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn request_new(
    ctx: &Ctx,
    viewer: &Viewer,
    token: Option<&InviteToken>,
) -> Result<(), AppError> {
    let Some(token) = token else {
        return Ok(());
    };
    let txn = db::begin_write(&ctx.db).await?;
    let Some((model, superseded)) = find_by_any_token(&txn, token).await? else {
        txn.rollback().await?;
        return Ok(());
    };
    let now = Utc::now();
    let usable = !superseded
        && effective_status(model.status, model.expires_at, now) == InvitationStatus::Pending
        && model.paused_at.is_none();
    let since = now - chrono::Duration::hours(RENEWAL_REQUEST_HOURS);
    let asked = invitation_event::Entity::find()
        .filter(invitation_event::Column::InvitationId.eq(model.id))
        .filter(invitation_event::Column::Kind.eq(EventKind::RenewalRequested))
        .filter(invitation_event::Column::CreatedAt.gt(since))
        .count(&txn)
        .await?
        > 0;
    if usable || asked || model.organization_id.is_none() {
        txn.rollback().await?;
        return Ok(());
    }
    let actor = viewer.user_id();
    let committed = events::record(&txn, &[&model], EventKind::RenewalRequested, actor).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(())
}

/// The invitation a token names now or named before a newer one replaced it (then `true`),
/// locked.
async fn find_by_any_token(
    txn: &DatabaseTransaction,
    token: &InviteToken,
) -> Result<Option<(invitation::Model, bool)>, AppError> {
    let digest = token.digest();
    let current = invitation::Entity::find()
        .filter(invitation::Column::TokenDigest.eq(&digest))
        .lock(LockType::Update)
        .one(txn)
        .await?;
    if let Some(model) = current {
        return Ok(Some((model, false)));
    }
    let Some(old) = invitation_token::Entity::find()
        .filter(invitation_token::Column::TokenDigest.eq(digest))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    Ok(invitation::Entity::find_by_id(old.invitation_id)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .map(|model| (model, true)))
}

/// Queues the notice to the inviter, if the invitation has one.
async fn tell_inviter(
    txn: &DatabaseTransaction,
    model: &invitation::Model,
) -> Result<Committed, AppError> {
    let Some(inviter) = model.invited_by else {
        return Ok(Committed::default());
    };
    let Some(inviter) = user::Entity::find_by_id(inviter).one(txn).await? else {
        return Ok(Committed::default());
    };
    let notice = QueuedEmail::to_inviter(
        OutboxKind::WrongRecipient,
        model.id,
        inviter.id,
        inviter.email,
    );
    outbox::enqueue(txn, vec![notice]).await?;
    Ok(Committed::emails(1))
}

/// "This was not meant for me": cancels the email invitation behind `token`, stops its
/// undelivered mail, emails the inviter and records a `WRONG_RECIPIENT` event for its admins (the log's
/// signal of a mistyped or abused address). Anyone holding the token may: it went to that
/// mailbox. Reporting one already cancelled changes nothing.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn report_wrong_recipient(
    ctx: &Ctx,
    viewer: &Viewer,
    token: &InviteToken,
) -> Result<(), AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = find_by_token_for_update(&txn, token).await?;
    if model.email.is_none() {
        return Err(AppError::bad_input(
            "an open link has no recipient: just do not use it",
        ));
    }
    match model.status {
        InvitationStatus::Pending | InvitationStatus::Expired => {}
        InvitationStatus::Cancelled => {
            txn.rollback().await?;
            return Ok(());
        }
        InvitationStatus::Declined => return Err(Refusal::Declined.into()),
        InvitationStatus::Accepted | InvitationStatus::UsedUp => {
            return Err(Refusal::AlreadyAccepted.into());
        }
    }
    let model = close(&txn, model, InvitationStatus::Cancelled).await?;
    let actor = viewer.user_id();
    let committed = events::record(&txn, &[&model], EventKind::WrongRecipient, actor).await?;
    let notified = tell_inviter(&txn, &model).await?;
    txn.commit().await?;
    events::announce(ctx, committed.merge(notified)).await;
    tracing::info!(
        invitation_id = model.id,
        "invitation reported as sent to the wrong person"
    );
    Ok(())
}
