//! An open link under its admins' control: paused (it answers `INVITATION_PAUSED` and keeps
//! its count) and resumed, or given a new token with the same settings and count (the old
//! token then answers `INVITATION_SUPERSEDED`). Whoever may cancel the link may do these; each
//! is an event of the link.

use entity::{invitation, invitation_token};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, IntoActiveModel};

use super::manage::{find_managed, require_open};
use super::{InvitationView, admin_view, link_for};
use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::domain::invite_token::InviteToken;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::events;

/// Why a link is paused.
const MANUAL: &str = "MANUAL";

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
    invitation_token::ActiveModel {
        invitation_id: Set(model.id),
        token_digest: Set(model.token_digest.clone()),
        superseded_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let token = InviteToken::generate();
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
