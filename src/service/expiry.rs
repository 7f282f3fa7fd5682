//! The expiry sweep, a background task: it marks pending invitations past their expiry
//! `EXPIRED` with an `EXPIRED` event (subscribers see it), and stops their undelivered
//! emails; the inviter gets no mail. With `DOORMAN_REMINDER_BEFORE_HOURS` it also sends each
//! emailed invitation one reminder, through the outbox, that many hours before it expires.
//! Every instance may run it: a row is claimed under its lock and changed once. It also
//! forgets idempotency keys older than a day.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::invitation;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::watch;

use crate::db;
use crate::domain::invitation_rules::InvitationStatus;
use crate::domain::{EmailDeliveryStatus, EventKind};
use crate::email::outbox::{self, QueuedEmail};
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::background::{self, BATCH, in_batches};
use crate::service::events::{self, Committed};
use crate::service::invitations::{close_all, link_for, supersede_token};

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub expired: u64,
    pub reminded: u64,
}

/// Runs [`sweep`] every `DOORMAN_EXPIRY_SWEEP_SECONDS` until the server stops.
pub async fn run(ctx: Ctx, stopping: watch::Receiver<bool>) {
    let period = Duration::from_secs(ctx.settings.lifecycle.expiry_sweep_seconds);
    background::every(period, period, stopping, || async {
        match sweep(&ctx, db::now()).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(
                expired = swept.expired,
                reminded = swept.reminded,
                "expiry sweep"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "expiry sweep failed; retrying later"),
        }
    })
    .await;
}

/// Expires what is due as of `now`, then sends the reminders that are due.
pub async fn sweep(ctx: &Ctx, now: DateTime<Utc>) -> Result<Swept, AppError> {
    let expired = in_batches(|| expire_batch(ctx, now)).await?;
    crate::service::idempotency::forget_old(ctx).await?;
    let reminded = match ctx.settings.lifecycle.reminder_before_hours {
        Some(hours) => {
            let window = chrono::Duration::hours(i64::from(hours));
            in_batches(|| remind_batch(ctx, now, window)).await?
        }
        None => 0,
    };
    Ok(Swept { expired, reminded })
}

/// Marks one batch of pending invitations past their expiry `EXPIRED`.
async fn expire_batch(ctx: &Ctx, now: DateTime<Utc>) -> Result<u64, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let due = invitation::Entity::find()
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.lte(now))
        .order_by_asc(invitation::Column::Id)
        .limit(BATCH)
        .lock(LockType::Update)
        .all(&txn)
        .await?;
    if due.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let ids: Vec<i64> = due.iter().map(|model| model.id).collect();
    outbox::cancel_undelivered_of(&txn, ids.clone()).await?;
    let which = Condition::all().add(invitation::Column::Id.is_in(ids));
    close_all(&txn, which, InvitationStatus::Expired, now).await?;
    let refs: Vec<&invitation::Model> = due.iter().collect();
    let committed = events::record(&txn, &refs, EventKind::Expired, None).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(due.len() as u64)
}

/// Sends one batch of reminders: to emailed invitations that expire within `window`, were
/// sent before the window opened, and were delivered with a link nobody else saw; the rows
/// handled. The
/// reminder carries a new link (the old one answers `INVITATION_SUPERSEDED`, as after a
/// resend), so the link still proves the mailbox.
async fn remind_batch(
    ctx: &Ctx,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<u64, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let due = invitation::Entity::find()
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::Email.is_not_null())
        .filter(invitation::Column::EmailStatus.eq(EmailDeliveryStatus::Sent))
        .filter(invitation::Column::LinkDisclosed.eq(false))
        .filter(invitation::Column::RemindedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .filter(invitation::Column::ExpiresAt.lte(now + window))
        .filter(invitation::Column::LastSentAt.lt(now))
        .order_by_asc(invitation::Column::Id)
        .limit(BATCH)
        .lock(LockType::Update)
        .all(&txn)
        .await?;
    let count = due.len() as u64;
    // One sent after the window opened needs no reminder: it is marked as settled, so that
    // the next batches move on.
    let (due, recent): (Vec<_>, Vec<_>) = due.into_iter().partition(|model| {
        model
            .last_sent_at
            .is_some_and(|sent| sent < model.expires_at - window)
    });
    invitation::Entity::update_many()
        .filter(invitation::Column::Id.is_in(recent.iter().map(|model| model.id)))
        .col_expr(invitation::Column::RemindedAt, Expr::value(now))
        .exec(&txn)
        .await?;
    let mut committed = Committed::default();
    for model in due {
        committed = committed.merge(remind(ctx, &txn, model, now).await?);
    }
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(count)
}

/// Supersedes the invitation's token and queues the reminder with the new link.
async fn remind(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    model: invitation::Model,
    now: DateTime<Utc>,
) -> Result<Committed, AppError> {
    let token = supersede_token(txn, &model, now).await?;
    let link = link_for(&ctx.settings, &token);
    let mut active = model.into_active_model();
    active.token_digest = Set(token.digest());
    active.email_status = Set(EmailDeliveryStatus::Queued);
    active.email_attempts = Set(0);
    active.last_email_error = Set(None);
    active.reminded_at = Set(Some(now));
    active.updated_at = Set(now);
    let model = active.update(txn).await?;
    let Some(recipient) = model.email.clone() else {
        return Ok(Committed::default());
    };
    outbox::enqueue(txn, vec![QueuedEmail::reminder(model.id, recipient, link)]).await?;
    let committed = events::record(txn, &[&model], EventKind::Reminded, None).await?;
    Ok(committed.merge(Committed::emails(1)))
}
