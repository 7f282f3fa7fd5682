//! Retention, a privacy feature: a background task deletes log events older than
//! `DOORMAN_RETENTION_EVENTS_DAYS` and erases the personal data of invitations that closed
//! without being accepted more than `DOORMAN_RETENTION_CLOSED_INVITATIONS_DAYS` ago, and
//! deletes webhook deliveries made or given up more than
//! `DOORMAN_RETENTION_WEBHOOK_DELIVERIES_DAYS` ago. All are off by default. Work goes in batches, each its own short transaction, so a large backlog
//! never holds the database for long.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::DeliveryStatus;
use entity::{email_outbox, invitation, invitation_event, webhook_delivery};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use tokio::sync::watch;

use crate::db;
use crate::domain::invitation_rules::InvitationStatus;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::background::{self, batch_of, in_batches};

/// What one run removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events_deleted: u64,
    pub invitations_erased: u64,
    pub deliveries_deleted: u64,
}

/// Runs [`sweep`] at start-up and then every `DOORMAN_RETENTION_INTERVAL_SECONDS` until the
/// server stops; does nothing when no retention is configured.
pub async fn run(ctx: Ctx, stopping: watch::Receiver<bool>) {
    let retention = &ctx.settings.retention;
    if !retention.enabled() {
        return;
    }
    let period = Duration::from_secs(retention.retention_interval_seconds);
    background::every(Duration::ZERO, period, stopping, || async {
        match sweep(&ctx, db::now()).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(
                events_deleted = swept.events_deleted,
                invitations_erased = swept.invitations_erased,
                deliveries_deleted = swept.deliveries_deleted,
                "retention removed old data"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "retention run failed; retrying later"),
        }
    })
    .await;
}

/// Removes what is older than the configured ages, as of `now`.
pub async fn sweep(ctx: &Ctx, now: DateTime<Utc>) -> Result<Swept, AppError> {
    let retention = &ctx.settings.retention;
    let mut swept = Swept::default();
    let cutoff = |days: u32| now - chrono::Duration::days(i64::from(days));
    if let Some(days) = retention.retention_events_days {
        swept.events_deleted = in_batches(|| delete_events_before(ctx, cutoff(days))).await?;
    }
    if let Some(days) = retention.retention_closed_invitations_days {
        swept.invitations_erased = in_batches(|| erase_closed_before(ctx, cutoff(days))).await?;
    }
    if let Some(days) = retention.retention_webhook_deliveries_days {
        swept.deliveries_deleted =
            in_batches(|| delete_deliveries_before(ctx, cutoff(days))).await?;
    }
    Ok(swept)
}

/// Deletes one batch of events created before `cutoff`.
async fn delete_events_before(ctx: &Ctx, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
    let old = Condition::all().add(invitation_event::Column::CreatedAt.lt(cutoff));
    delete_batch::<invitation_event::Entity>(ctx, old, invitation_event::Column::Id).await
}

/// Deletes one batch of webhook deliveries that are no longer pending and were last made or
/// tried before `cutoff` (a redelivery starts the clock again).
async fn delete_deliveries_before(ctx: &Ctx, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
    use webhook_delivery::Column::{DeliveredAt, NextAttemptAt, Status};
    let last_activity_before = Condition::any().add(DeliveredAt.lt(cutoff)).add(
        Condition::all()
            .add(DeliveredAt.is_null())
            .add(NextAttemptAt.lt(cutoff)),
    );
    let old = Condition::all()
        .add(Status.ne(DeliveryStatus::Pending))
        .add(last_activity_before);
    delete_batch::<webhook_delivery::Entity>(ctx, old, webhook_delivery::Column::Id).await
}

/// Deletes one batch of the rows `old` matches (by their `id`), in its own transaction; the
/// delete checks `old` again, so a row changed since it was picked (a redelivery) stays.
async fn delete_batch<E: EntityTrait>(
    ctx: &Ctx,
    old: Condition,
    id: E::Column,
) -> Result<u64, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let ids = batch_of(&txn, E::find().filter(old.clone()), id).await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let deleted = E::delete_many()
        .filter(id.is_in(ids))
        .filter(old)
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(deleted)
}

/// Erases one batch of invitations closed before `cutoff` without being accepted: cancelled
/// or declined then, or expired by then (those become cancelled, so nothing can reopen an
/// invitation whose invitee is gone). Their outbox messages go with them.
async fn erase_closed_before(ctx: &Ctx, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let closed = Expr::col(invitation::Column::Status)
        .is_in([InvitationStatus::Cancelled, InvitationStatus::Declined])
        .and(Expr::col(invitation::Column::UpdatedAt).lt(cutoff));
    let open = [InvitationStatus::Pending, InvitationStatus::Expired];
    let expired = Expr::col(invitation::Column::Status)
        .is_in(open)
        .and(Expr::col(invitation::Column::ExpiresAt).lt(cutoff));
    let personal = invitation::Column::Email
        .is_not_null()
        .or(invitation::Column::Message.is_not_null());
    let ids = batch_of(
        &txn,
        invitation::Entity::find()
            .filter(closed.or(expired))
            .filter(personal),
        invitation::Column::Id,
    )
    .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    email_outbox::Entity::delete_many()
        .filter(email_outbox::Column::InvitationId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let none = || Expr::value(Option::<String>::None);
    invitation::Entity::update_many()
        .filter(invitation::Column::Id.is_in(ids.clone()))
        .filter(invitation::Column::Status.is_in(open))
        .col_expr(
            invitation::Column::Status,
            Expr::value(InvitationStatus::Cancelled),
        )
        .exec(&txn)
        .await?;
    let erased = invitation::Entity::update_many()
        .filter(invitation::Column::Id.is_in(ids))
        .col_expr(invitation::Column::Email, none())
        .col_expr(invitation::Column::Message, none())
        .col_expr(invitation::Column::LastEmailError, none())
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(erased)
}
