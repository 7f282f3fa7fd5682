//! An open link under its admins' control: paused (it answers `INVITATION_PAUSED` and keeps
//! its count) and resumed, or given a new token with the same settings and count (the old
//! token then answers `INVITATION_SUPERSEDED`). Whoever may cancel the link may do these; each
//! is an event of the link.

use entity::{invitation, invitation_redemption};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::manage::{find_managed, require_open};
use super::{InvitationView, admin_view, link_for, supersede_token};
use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::events::{self, Change};

/// Why a link is paused: an admin paused it.
pub const MANUAL: &str = "MANUAL";
/// Why a link is paused: it was redeemed faster than `DOORMAN_LINK_PAUSE_RATE`.
pub const RATE: &str = "RATE";

/// After a redemption of an open link: pauses it as leaked when its last `COUNT`
/// redemptions all fell within `PERIOD` (`DOORMAN_LINK_PAUSE_RATE`), with a `PAUSED` event
/// whose change says why. Runs after the accept committed; a failure is logged, the accept
/// stands.
pub async fn pause_if_leaked(ctx: &Ctx, link: &invitation::Model) {
    if let Err(err) = try_pause_if_leaked(ctx, link).await {
        tracing::warn!(invitation_id = link.id, error = %err, "checking a link's rate failed");
    }
}

async fn try_pause_if_leaked(ctx: &Ctx, link: &invitation::Model) -> Result<(), AppError> {
    let rate = ctx.settings.lifecycle.link_pause_rate;
    let count = rate.count.get();
    let used = u32::try_from(link.usage_count).unwrap_or(0);
    if !ctx.settings.rate_limits.enabled
        || link.email.is_some()
        || link.paused_at.is_some()
        || used < count
    {
        return Ok(());
    }
    let oldest_of_burst = invitation_redemption::Entity::find()
        .filter(invitation_redemption::Column::InvitationId.eq(link.id))
        .order_by_desc(invitation_redemption::Column::Id)
        .offset(u64::from(count - 1))
        .limit(1)
        .one(&ctx.db)
        .await?;
    let now = db::now();
    let window = chrono::Duration::from_std(rate.period).unwrap_or(chrono::Duration::MAX);
    if oldest_of_burst.is_none_or(|oldest| oldest.redeemed_at < now - window) {
        return Ok(());
    }
    let txn = db::begin_write(&ctx.db).await?;
    let paused = invitation::Entity::update_many()
        .filter(invitation::Column::Id.eq(link.id))
        .filter(invitation::Column::PausedAt.is_null())
        .col_expr(invitation::Column::PausedAt, Expr::value(now))
        .col_expr(invitation::Column::PauseReason, Expr::value(RATE))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if paused == 0 {
        txn.rollback().await?;
        return Ok(());
    }
    let change = Change::new("pauseReason", None, Some(RATE.to_owned()));
    let committed = events::record_changed(&txn, link, EventKind::Paused, None, &[change]).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::warn!(
        invitation_id = link.id,
        redemptions = count,
        "link paused: redeemed faster than DOORMAN_LINK_PAUSE_RATE"
    );
    Ok(())
}

/// Pauses an open link; pausing a paused one changes nothing.
#[tracing::instrument(skip_all, fields(invitation_id = id), err(level = "debug", Debug))]
pub async fn pause(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<InvitationView, AppError> {
    set_paused(ctx, viewer, id, true).await
}

/// Resumes a paused link; resuming one that is not paused changes nothing.
#[tracing::instrument(skip_all, fields(invitation_id = id), err(level = "debug", Debug))]
pub async fn resume(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<InvitationView, AppError> {
    set_paused(ctx, viewer, id, false).await
}

async fn set_paused(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
    paused: bool,
) -> Result<InvitationView, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = open_link(&txn, viewer, id).await?;
    if model.paused_at.is_some() == paused {
        txn.rollback().await?;
        return Ok(admin_view(model));
    }
    let now = db::now();
    let mut active = model.into_active_model();
    active.paused_at = Set(paused.then_some(now));
    active.pause_reason = Set(paused.then(|| MANUAL.to_owned()));
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    let kind = if paused {
        EventKind::Paused
    } else {
        EventKind::Resumed
    };
    let committed = events::record(&txn, &[&model], kind, viewer.user_id()).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(admin_view(model))
}

/// Gives an open link a new token, with the same settings, count and expiry; the old token
/// answers `INVITATION_SUPERSEDED`. The new link is in the answer only.
#[tracing::instrument(skip_all, fields(invitation_id = id), err(level = "debug", Debug))]
pub async fn regenerate(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<InvitationView, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = open_link(&txn, viewer, id).await?;
    let now = db::now();
    let token = supersede_token(&txn, &model, now).await?;
    let mut active = model.into_active_model();
    active.token_digest = Set(token.digest());
    active.link_disclosed = Set(true);
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    let committed =
        events::record(&txn, &[&model], EventKind::Regenerated, viewer.user_id()).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    let mut view = admin_view(model);
    view.link = Some(link_for(&ctx.settings, &token));
    Ok(view)
}

/// The open link `id`, held until the transaction ends, if the viewer manages it and it can
/// still be used; an email invitation is `BAD_USER_INPUT` (cancel or resend it instead).
async fn open_link(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    id: i64,
) -> Result<invitation::Model, AppError> {
    let model = find_managed(txn, viewer, id).await?;
    if model.email.is_some() || model.organization_id.is_none() {
        return Err(AppError::bad_input(
            "only an organization's open link can be paused, resumed or regenerated; cancel or \
             resend an email invitation instead",
        ));
    }
    require_open(&model)?;
    Ok(model)
}
