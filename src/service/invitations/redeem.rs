//! Redeeming invitations: accept (join), register-with-token (via `accounts`), decline.
//! The invitation row is locked for the whole transaction, so concurrent accepts queue up and
//! `usage_count` can never pass `max_uses`.

use chrono::Utc;
use entity::{invitation, invitation_redemption, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QuerySelect, sea_query::LockType,
};

use super::{
    Accepted, InvitationView, allowed_domains, find_by_token_for_update, superseded_invitation,
    view,
};
use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::domain::invitation_rules::{
    EmailProof, InvitationAction, InvitationStatus, NextStep, Redeemable, Redeemer, Refusal,
    Viewing, check_redeemable, effective_status, next_step, status_after_use,
};
use crate::domain::invite_token::InviteToken;
use crate::email::outbox;
use crate::error::{AppError, ErrorCode, OnConflict};
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::{organizations, require_user};

/// Whether `redeemer` may redeem `model` now, and whether doing so proves its email.
pub(crate) fn check(
    model: &invitation::Model,
    redeemer: Redeemer<'_>,
) -> Result<EmailProof, AppError> {
    let domains = allowed_domains(model);
    Ok(check_redeemable(
        &redeemable(model, &domains),
        redeemer,
        Utc::now(),
    )?)
}

/// What the viewer of `model` should do now ([`NextStep`]).
pub fn next_step_for(
    model: &invitation::Model,
    viewer: &crate::auth::Viewer,
    is_member: bool,
    invitee_has_account: bool,
) -> NextStep {
    let domains = allowed_domains(model);
    let viewing = Viewing {
        account: viewer.user().map(redeemer),
        is_member,
        invitee_has_account,
    };
    next_step(
        &redeemable(model, &domains),
        model.action,
        viewing,
        Utc::now(),
    )
}

/// The facts about `model` that decide whether it can be redeemed.
fn redeemable<'a>(model: &'a invitation::Model, domains: &'a [String]) -> Redeemable<'a> {
    Redeemable {
        status: model.status,
        expires_at: model.expires_at,
        max_uses: model.max_uses,
        usage_count: model.usage_count,
        email: model.email.as_deref(),
        allowed_email_domains: domains,
        link_disclosed: model.link_disclosed,
        grants_membership: model.organization_id.is_some(),
        paused: model.paused_at.is_some(),
    }
}

/// `user` as a redeemer.
pub(crate) fn redeemer(user: &user::Model) -> Redeemer<'_> {
    Redeemer {
        email: &user.email,
        email_verified: user.email_verified_at.is_some(),
    }
}

/// The inviter must still be allowed to grant what the invitation grants: an organization
/// invitation's role (an admin demoted to member cannot have admins join), a registration
/// invitation's server admin rights. Invitations from the command line have no inviter.
async fn require_inviter_entitled(
    txn: &DatabaseTransaction,
    model: &invitation::Model,
) -> Result<(), AppError> {
    let Some(inviter_id) = model.invited_by else {
        return Ok(());
    };
    let revoked = || {
        AppError::forbidden(
            "the person who invited you can no longer grant this; ask for a new invitation",
        )
    };
    if model.action == InvitationAction::RegisterAccount {
        let inviter = user::Entity::find_by_id(inviter_id).one(txn).await?;
        return match inviter {
            Some(inviter) if inviter.is_server_admin => Ok(()),
            _ => Err(revoked()),
        };
    }
    let (Some(org_id), Some(role)) = (model.organization_id, model.role) else {
        return Ok(());
    };
    let org = organization::Entity::find_by_id(org_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("the organization no longer exists"))?;
    match super::require_inviter(txn, inviter_id, false, &org, role).await {
        Ok(_) => Ok(()),
        Err(err) if matches!(err.code(), ErrorCode::Forbidden | ErrorCode::NotFound) => {
            Err(revoked())
        }
        Err(err) => Err(err),
    }
}

/// Uses one use of a checked, locked invitation for `user`: counts it, records the redemption
/// and the ACCEPTED event and, for an organization invitation, creates the membership.
pub(crate) async fn redeem(
    txn: &DatabaseTransaction,
    model: invitation::Model,
    user: &user::Model,
) -> Result<(invitation::Model, Option<membership::Model>, Committed), AppError> {
    require_inviter_entitled(txn, &model).await?;
    let now = crate::db::now();
    let membership = match (model.organization_id, model.role) {
        (Some(org_id), Some(role)) => Some(
            membership::ActiveModel {
                organization_id: Set(org_id),
                user_id: Set(user.id),
                role: Set(role),
                invitation_id: Set(Some(model.id)),
                joined_at: Set(now),
                metadata: Set(model.metadata.clone()),
                ..Default::default()
            }
            .insert(txn)
            .await
            .on_conflict(
                ErrorCode::AlreadyMember,
                "you are already a member of this organization",
            )?,
        ),
        _ => None,
    };
    invitation_redemption::ActiveModel {
        invitation_id: Set(model.id),
        user_id: Set(user.id),
        redeemed_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .on_conflict(
        ErrorCode::AlreadyMember,
        "you have already used this invitation",
    )?;
    let usage_count = model.usage_count + 1;
    let status = status_after_use(model.email.as_deref(), model.max_uses, usage_count);
    let mut active = model.into_active_model();
    active.usage_count = Set(usage_count);
    active.status = Set(status);
    active.updated_at = Set(now);
    let model = active.update(txn).await?;
    let committed = events::record(txn, &[&model], EventKind::Accepted, Some(user.id)).await?;
    Ok((model, membership, committed))
}

/// Joins the organization of the invitation behind `token`: in one statement when the common
/// case applies (`accept_fast`), else the checked way.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn accept_invitation(
    ctx: &Ctx,
    viewer: &Viewer,
    token: &InviteToken,
) -> Result<Accepted, AppError> {
    let user = require_user(viewer)?;
    let accepted = match super::accept_fast::try_accept(ctx, user, token).await? {
        Some((accepted, committed)) => {
            events::announce(ctx, committed).await;
            tracing::info!(
                invitation_id = accepted.invitation.model.id,
                org_id = accepted.organization.id,
                "invitation accepted"
            );
            accepted
        }
        None => accept_checked(ctx, user, token).await?,
    };
    super::links::pause_if_leaked(ctx, &accepted.invitation.model).await;
    Ok(accepted)
}

/// Accepts the general way: every rule of `invitation_rules` checked on the locked row, and a
/// refusal that says which one failed. `acceptInvitation` comes here when the single
/// statement (`accept_fast`) does not apply.
pub async fn accept_checked(
    ctx: &Ctx,
    user: &user::Model,
    token: &InviteToken,
) -> Result<Accepted, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = find_by_token_for_update(&txn, token).await?;
    let Some(org_id) = model.organization_id else {
        return Err(AppError::bad_input(
            "this invitation creates an account: use it with register",
        ));
    };
    // The account as it is now: its email or its verification may have changed since the
    // request was authenticated.
    let user = user::Entity::find_by_id(user.id)
        .one(&txn)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    let user = &user;
    if check(&model, redeemer(user))? == EmailProof::ProvenByToken {
        crate::service::email_verification::mark_verified(&txn, user).await?;
    }
    if organizations::role_in(&txn, user.id, org_id)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            ErrorCode::AlreadyMember,
            "you are already a member of this organization",
        ));
    }
    let (model, membership, committed) = redeem(&txn, model, user).await?;
    let organization = organization::Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("the organization no longer exists"))?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::info!(invitation_id = model.id, org_id, "invitation accepted");
    let membership =
        membership.ok_or_else(|| anyhow::anyhow!("accepting created no membership"))?;
    Ok(Accepted::new(model, membership, organization))
}

/// Declines an email invitation: for the invitee, signed in.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn decline_invitation(
    ctx: &Ctx,
    viewer: &Viewer,
    token: &InviteToken,
) -> Result<InvitationView, AppError> {
    let user = crate::service::require_user(viewer)?;
    let txn = db::begin_write(&ctx.db).await?;
    let model = find_by_token_for_update(&txn, token).await?;
    let Some(email) = &model.email else {
        return Err(AppError::bad_input(
            "an open link cannot be declined: just do not use it",
        ));
    };
    if user.email != *email {
        return Err(Refusal::EmailMismatch.into());
    }
    if user.email_verified_at.is_none() && model.link_disclosed {
        // Anyone could have registered this address: only its owner may decline.
        return Err(Refusal::EmailNotVerified.into());
    }
    let model = decline_locked(ctx, txn, model, viewer.user_id()).await?;
    let declined = view(&ctx.db, viewer, model).await?;
    Ok(declined)
}

/// The one-click unsubscribe of an invitation email (RFC 8058): whoever holds the emailed
/// link, which went to the invitee's mailbox and nowhere else, declines the invitation, so
/// that no reminder or resend follows. A link that was also shown to the inviter proves no
/// mailbox and unsubscribes nothing (`INVITATION_NOT_FOUND`, as for an unknown token).
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn unsubscribe(ctx: &Ctx, token: &InviteToken) -> Result<(), AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = match find_by_token_for_update(&txn, token).await {
        Ok(model) => model,
        // An earlier email's link (a reminder or a resend replaced it): the same mailbox.
        Err(err) if err.code() == ErrorCode::InvitationSuperseded => {
            superseded_for_update(&txn, token).await?
        }
        Err(err) => return Err(err),
    };
    if model.email.is_none() || model.link_disclosed {
        return Err(AppError::invitation_not_found());
    }
    decline_locked(ctx, txn, model, None).await?;
    Ok(())
}

/// The invitation whose replaced token `token` is, locked.
async fn superseded_for_update(
    txn: &impl ConnectionTrait,
    token: &InviteToken,
) -> Result<invitation::Model, AppError> {
    let id = superseded_invitation(txn, token.digest())
        .await?
        .ok_or_else(AppError::invitation_not_found)?;
    invitation::Entity::find_by_id(id)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or_else(AppError::invitation_not_found)
}

/// Declines the locked, pending `model` in `txn` and commits, with a `DECLINED` event by
/// `actor`.
async fn decline_locked(
    ctx: &Ctx,
    txn: db::WriteTransaction,
    model: invitation::Model,
    actor: Option<i64>,
) -> Result<invitation::Model, AppError> {
    match effective_status(model.status, model.expires_at, Utc::now()) {
        InvitationStatus::Pending => {}
        InvitationStatus::Expired => return Err(Refusal::Expired.into()),
        InvitationStatus::Cancelled => return Err(Refusal::Cancelled.into()),
        InvitationStatus::Declined => return Err(Refusal::Declined.into()),
        InvitationStatus::Accepted | InvitationStatus::UsedUp => {
            return Err(Refusal::AlreadyAccepted.into());
        }
    }
    let mut active = model.into_active_model();
    active.status = Set(InvitationStatus::Declined);
    active.updated_at = Set(crate::db::now());
    let model = active.update(&txn).await?;
    // A declined invitation gets no more mail: not a queued reminder, not a retried resend.
    outbox::cancel_undelivered(&txn, model.id).await?;
    let committed = events::record(&txn, &[&model], EventKind::Declined, actor).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(model)
}

/// Whether an account may register with this invitation in invitation-only mode: registration
/// invitations, and organization invitations addressed to one email.
pub(crate) fn opens_registration(model: &invitation::Model) -> bool {
    model.action == InvitationAction::RegisterAccount || model.email.is_some()
}
