//! Accounts of people who sign in at an OpenID Connect issuer: one account per `(issuer, sub)`,
//! created on first use from the token's email and name claims (just in time), and linking such
//! an identity to an existing local account. The email counts as verified only when the token
//! says `email_verified: true`.

use entity::{external_identity, user};
use rand::Rng;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    SqlErr,
};

use crate::auth::{TokenProblem, Viewer};
use crate::db;
use crate::domain::email_address::EmailAddress;
use crate::domain::names::{DisplayName, Handle};
use crate::error::{AppError, ErrorCode};
use crate::service::oidc::{ExternalClaims, IssuerToken, OidcVerifier};
use crate::service::{Ctx, email_verification, require_user};

/// Attempts at a free username (the suggestion, then with random suffixes).
const USERNAME_ATTEMPTS: u32 = 8;

/// The account `claims` sign in as: the one linked to `(issuer, sub)`, else a new one.
pub async fn account_for(
    ctx: &Ctx,
    oidc: &OidcVerifier,
    claims: &ExternalClaims,
) -> Result<user::Model, AppError> {
    if let Some(user) = linked_account(&ctx.db, oidc.issuer(), &claims.sub).await? {
        return refresh_verification(ctx, user, claims).await;
    }
    let Some(email) = claims
        .email
        .as_deref()
        .and_then(|email| EmailAddress::parse(email).ok())
    else {
        tracing::warn!(
            issuer = oidc.issuer(),
            "a token of the OpenID Connect issuer carries no usable email claim: configure the \
             issuer to put `email` (and `email_verified`) into access tokens"
        );
        return Err(AppError::BadToken(TokenProblem::Invalid));
    };
    let txn = db::begin_write(&ctx.db).await?;
    // Another request with the same token may have created it meanwhile.
    if let Some(user) = linked_account(&*txn, oidc.issuer(), &claims.sub).await? {
        txn.rollback().await?;
        return Ok(user);
    }
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_ref()))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(AppError::BadToken(TokenProblem::EmailTaken));
    }
    let user = insert_account(&txn, &email, claims).await?;
    tie(&txn, oidc, &claims.sub, user.id).await?;
    txn.commit().await?;
    tracing::info!(
        user_id = user.id,
        verified = user.email_verified_at.is_some(),
        "account created for an OpenID Connect identity"
    );
    Ok(user)
}

/// Links the identity of `token` to the caller's local account: the caller's email must be
/// verified and equal to the token's, which the issuer must vouch for.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn link_identity(
    ctx: &Ctx,
    viewer: &Viewer,
    token: &str,
) -> Result<user::Model, AppError> {
    let me = require_user(viewer)?;
    let Some(oidc) = &ctx.oidc else {
        return Err(AppError::bad_input(
            "this server accepts no identity provider (DOORMAN_OIDC_ISSUER is not set)",
        ));
    };
    let token = IssuerToken::recognize(token).ok_or(AppError::BadToken(TokenProblem::Invalid))?;
    let claims = oidc.verify(&token).await.map_err(AppError::BadToken)?;
    let txn = db::begin_write(&ctx.db).await?;
    let me = user::Entity::find_by_id(me.id)
        .one(&txn)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if me.email_verified_at.is_none() {
        return Err(AppError::new(
            ErrorCode::EmailNotVerified,
            "verify your email before linking another sign-in to this account",
        ));
    }
    let token_email = claims
        .email
        .as_deref()
        .and_then(|email| EmailAddress::parse(email).ok());
    if !claims.email_verified()
        || token_email.as_ref().map(AsRef::as_ref) != Some(me.email.as_str())
    {
        return Err(AppError::new(
            ErrorCode::EmailMismatch,
            "the identity provider does not vouch for this account's email",
        ));
    }
    if linked_account(&*txn, oidc.issuer(), &claims.sub)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "this identity already signs in to an account",
        ));
    }
    tie(&txn, oidc, &claims.sub, me.id).await?;
    txn.commit().await?;
    tracing::info!(user_id = me.id, "OpenID Connect identity linked");
    Ok(me)
}

/// Records that `(issuer, subject)` signs in as account `user_id`.
async fn tie(
    txn: &DatabaseTransaction,
    oidc: &OidcVerifier,
    subject: &str,
    user_id: i64,
) -> Result<(), AppError> {
    external_identity::ActiveModel {
        user_id: Set(user_id),
        issuer: Set(oidc.issuer().to_owned()),
        subject: Set(subject.to_owned()),
        created_at: Set(db::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The account `(issuer, subject)` signs in as, in one query: this runs on every request of
/// such an account.
async fn linked_account(
    db: &impl sea_orm::ConnectionTrait,
    issuer: &str,
    subject: &str,
) -> Result<Option<user::Model>, AppError> {
    let identity = Query::select()
        .column(external_identity::Column::UserId)
        .from(external_identity::Entity)
        .and_where(external_identity::Column::Issuer.eq(issuer))
        .and_where(external_identity::Column::Subject.eq(subject))
        .to_owned();
    Ok(user::Entity::find()
        .filter(user::Column::Id.in_subquery(identity))
        .one(db)
        .await?)
}

/// Marks the account verified when the issuer now vouches for the account's email.
async fn refresh_verification(
    ctx: &Ctx,
    user: user::Model,
    claims: &ExternalClaims,
) -> Result<user::Model, AppError> {
    let vouched = claims.email_verified()
        && claims
            .email
            .as_deref()
            .is_some_and(|email| email.trim().eq_ignore_ascii_case(&user.email));
    if user.email_verified_at.is_some() || !vouched {
        return Ok(user);
    }
    let txn = db::begin_write(&ctx.db).await?;
    email_verification::mark_verified(&txn, &user).await?;
    let user = user::Entity::find_by_id(user.id)
        .one(&txn)
        .await?
        .ok_or(AppError::BadToken(TokenProblem::Invalid))?;
    txn.commit().await?;
    Ok(user)
}

/// A new account without a password, named after the token's preferred username or email.
async fn insert_account(
    txn: &DatabaseTransaction,
    email: &EmailAddress,
    claims: &ExternalClaims,
) -> Result<user::Model, AppError> {
    let base = Handle::suggest(
        claims
            .preferred_username
            .as_deref()
            .unwrap_or_else(|| email.as_ref().split('@').next().unwrap_or_default()),
    );
    let display_name = DisplayName::parse(claims.name.as_deref())
        .ok()
        .flatten()
        .map(DisplayName::into_string);
    let now = db::now();
    for attempt in 0..USERNAME_ATTEMPTS {
        let username = if attempt == 0 {
            base.clone()
        } else {
            base.with_suffix(rand::rng().random_range(1000..10_000))
        };
        let taken = user::Entity::find()
            .filter(user::Column::Username.eq(username.as_ref()))
            .one(txn)
            .await?
            .is_some();
        if taken {
            continue;
        }
        let inserted = user::ActiveModel {
            username: Set(username.into_string()),
            email: Set(email.to_string()),
            display_name: Set(display_name.clone()),
            // No password: `login` never matches it.
            password_hash: Set(String::new()),
            is_server_admin: Set(false),
            created_at: Set(now),
            email_verified_at: Set(claims.email_verified().then_some(now)),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(user) => return Ok(user),
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(AppError::BadToken(TokenProblem::EmailTaken));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(anyhow::anyhow!("no free username for an OpenID Connect identity").into())
}
