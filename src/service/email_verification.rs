//! Proving that an account owns its email: single-use verification tokens mailed through the
//! outbox (`verifyEmail`, `requestEmailVerification`), changing the email (`updateEmail`), and
//! server admins setting it by hand (`setEmailVerified`). An emailed invitation that was never
//! disclosed proves the email too (`redeem`), through [`mark_verified`].

use chrono::Duration;
use entity::enums::OutboxKind;
use entity::{email_verification, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::auth::Viewer;
use crate::config::Settings;
use crate::db;
use crate::domain::email_address::EmailAddress;
use crate::domain::invite_token::VerificationToken;
use crate::email::outbox::{self, QueuedEmail};
use crate::error::{AppError, ErrorCode, OnConflict, seconds_until};
use crate::service::events::{self, Committed};
use crate::service::{Ctx, require_user};

/// `{public_url}/verify-email/{token}`: the page that calls `verifyEmail`.
pub fn link_for(settings: &Settings, token: &VerificationToken) -> String {
    format!("{}/verify-email/{}", settings.public_base(), token.expose())
}

/// Queues a verification email to `user`'s current address in the caller's transaction,
/// replacing any earlier one that is not delivered yet. Merge what it returns into the
/// transaction's [`Committed`].
pub(crate) async fn queue_verification(
    txn: &DatabaseTransaction,
    settings: &Settings,
    user: &user::Model,
) -> Result<Committed, AppError> {
    outbox::cancel_undelivered_to_account(txn, user.id, OutboxKind::VerifyEmail).await?;
    let now = db::now();
    let expires_at = now + Duration::hours(i64::from(settings.email_verification_expiry_hours));
    let token = VerificationToken::generate();
    email_verification::ActiveModel {
        user_id: Set(user.id),
        email: Set(user.email.clone()),
        token_digest: Set(token.digest()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let link = link_for(settings, &token);
    outbox::enqueue(
        txn,
        vec![QueuedEmail::account(
            OutboxKind::VerifyEmail,
            user.id,
            user.email.clone(),
            Some(link),
        )],
    )
    .await?;
    Ok(Committed::emails(1))
}

/// Marks `user`'s email verified, in the caller's transaction, as long as the account still
/// has that email; verification emails still on their way have nothing left to do and stop.
pub(crate) async fn mark_verified(
    txn: &DatabaseTransaction,
    user: &user::Model,
) -> Result<(), AppError> {
    let changed = user::Entity::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(Some(db::now())))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::Email.eq(user.email.as_str()))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .exec(txn)
        .await?;
    if changed.rows_affected > 0 {
        outbox::cancel_undelivered_to_account(txn, user.id, OutboxKind::VerifyEmail).await?;
    }
    Ok(())
}

/// Verifies the email a token was sent to. Anyone holding the token may use it (it proves the
/// mailbox, not a session), once, before it expires, and only while the account still has
/// that email.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn verify_email(ctx: &Ctx, token: &VerificationToken) -> Result<user::Model, AppError> {
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidToken,
            "this verification link is not valid (already used, replaced, or for an address the \
             account no longer has): request a new one",
        )
    };
    let txn = db::begin_write(&ctx.db).await?;
    let row = email_verification::Entity::find()
        .filter(email_verification::Column::TokenDigest.eq(token.digest()))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if row.used_at.is_some() {
        return Err(invalid());
    }
    let now = db::now();
    if row.expires_at <= now {
        return Err(AppError::new(
            ErrorCode::TokenExpired,
            "this verification link has expired: request a new one",
        ));
    }
    let user = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|user| user.email == row.email)
        .ok_or_else(invalid)?;
    let mut used = row.into_active_model();
    used.used_at = Set(Some(now));
    used.update(&txn).await?;
    mark_verified(&txn, &user).await?;
    let user = user::Entity::find_by_id(user.id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    txn.commit().await?;
    tracing::info!(user_id = user.id, "email verified");
    Ok(user)
}

/// Sends a new verification email to the caller's address; nothing when it is verified
/// already. At most one per `DOORMAN_EMAIL_VERIFICATION_COOLDOWN_SECONDS`.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn request_email_verification(
    ctx: &Ctx,
    viewer: &Viewer,
) -> Result<user::Model, AppError> {
    let me = require_user(viewer)?;
    let txn = db::begin_write(&ctx.db).await?;
    let user = current(&txn, me.id).await?;
    if user.email_verified_at.is_some() {
        return Ok(user);
    }
    require_cooled_down(&txn, &ctx.settings, user.id).await?;
    let committed = queue_verification(&txn, &ctx.settings, &user).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(user)
}

/// Changes the caller's email: the account is unverified until the new address is proven (a
/// verification email goes there), and the old address gets a notice.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn update_email(
    ctx: &Ctx,
    viewer: &Viewer,
    email: EmailAddress,
) -> Result<user::Model, AppError> {
    let me = require_user(viewer)?;
    let txn = db::begin_write(&ctx.db).await?;
    let user = current(&txn, me.id).await?;
    if user.email == email.as_ref() {
        return Ok(user);
    }
    let old_address = user.email.clone();
    let mut active = user.into_active_model();
    active.email = Set(email.to_string());
    active.email_verified_at = Set(None);
    let user = active
        .update(&txn)
        .await
        .on_conflict(ErrorCode::Conflict, "that email is already taken")?;
    require_cooled_down(&txn, &ctx.settings, user.id).await?;
    let committed = queue_verification(&txn, &ctx.settings, &user).await?;
    outbox::enqueue(
        &txn,
        vec![QueuedEmail::account(
            OutboxKind::EmailChanged,
            user.id,
            old_address,
            None,
        )],
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed.merge(Committed::emails(1))).await;
    tracing::info!(user_id = user.id, "email changed");
    Ok(user)
}

/// Server admins: marks an account's email verified or not, for support.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn set_email_verified(
    ctx: &Ctx,
    viewer: &Viewer,
    user_id: i64,
    verified: bool,
) -> Result<user::Model, AppError> {
    let me = require_user(viewer)?;
    if !me.is_server_admin {
        return Err(AppError::forbidden(
            "only server admins can set whether an email is verified",
        ));
    }
    let txn = db::begin_write(&ctx.db).await?;
    let user = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("no such user"))?;
    if user.email_verified_at.is_some() == verified {
        return Ok(user);
    }
    if verified {
        mark_verified(&txn, &user).await?;
    } else {
        let mut active = user.clone().into_active_model();
        active.email_verified_at = Set(None);
        active.update(&txn).await?;
    }
    let user = current(&txn, user.id).await?;
    txn.commit().await?;
    tracing::info!(
        user_id,
        verified,
        by = me.id,
        "email verification set by an admin"
    );
    Ok(user)
}

/// The account as stored now.
async fn current(txn: &DatabaseTransaction, id: i64) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(AppError::unauthenticated)
}

/// `RATE_LIMITED` while the account's last verification email is within the cooldown.
async fn require_cooled_down(
    txn: &DatabaseTransaction,
    settings: &Settings,
    user_id: i64,
) -> Result<(), AppError> {
    let cooldown = Duration::seconds(
        i64::try_from(settings.email_verification_cooldown_seconds).unwrap_or(i64::MAX / 4),
    );
    if cooldown.is_zero() {
        return Ok(());
    }
    let last = email_verification::Entity::find()
        .filter(email_verification::Column::UserId.eq(user_id))
        .order_by_desc(email_verification::Column::CreatedAt)
        .one(txn)
        .await?;
    let Some(last) = last else {
        return Ok(());
    };
    match seconds_until(last.created_at + cooldown, db::now()) {
        Some(seconds) => Err(AppError::rate_limited(
            "a verification email was sent a moment ago: check your inbox, or try again later",
            seconds,
        )),
        None => Ok(()),
    }
}
