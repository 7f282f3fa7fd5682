//! Accounts: register (the first account becomes server admin), login, and user lookups.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{membership, server_setting, user};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::{self, AccessToken, TokenKeys, TokenProblem, Viewer};
use crate::config::RegistrationMode;
use crate::db;
use crate::domain::email_address::EmailAddress;
use crate::domain::invitation_rules::{EmailProof, Redeemer};
use crate::domain::invite_token::InviteToken;
use crate::domain::names::{DisplayName, Handle};
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode, OnConflict};
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::invitations::{self, redeem};
use crate::service::oidc::IssuerToken;
use crate::service::{email_verification, external_accounts};

/// What `register` needs.
pub struct Registration {
    pub email: EmailAddress,
    pub username: Handle,
    pub password: SecretString,
    pub display_name: Option<DisplayName>,
    pub invitation_token: Option<InviteToken>,
}

/// A signed-in session.
pub struct SignedIn {
    pub access_token: AccessToken,
    pub user: user::Model,
}

/// Advisory-lock key that serializes the check for "first account on this server".
const FIRST_ACCOUNT_LOCK: i64 = 0x646f_6f72_0001;
const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 1024;

/// Creates an account (and, with an invitation token, redeems it in the same transaction).
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn register(ctx: &Ctx, input: Registration) -> Result<SignedIn, AppError> {
    let Registration {
        email,
        username,
        password,
        display_name,
        invitation_token,
    } = input;
    require_local_accounts(ctx)?;
    let password_chars = password.expose_secret().chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password_chars) {
        return Err(AppError::bad_input(format!(
            "password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long"
        )));
    }
    let invitation_only = ctx.settings.registration_mode == RegistrationMode::InvitationOnly;
    if invitation_only && invitation_token.is_none() {
        return Err(AppError::forbidden(
            "this server is invitation-only: registering needs an invitation token",
        ));
    }
    let password_hash = auth::hash_password(password).await?;

    let txn = db::begin_write(&ctx.db).await?;
    let invitation = match &invitation_token {
        Some(token) => {
            let invitation = invitations::find_by_token_for_update(&txn, token).await?;
            if invitation_only && !redeem::opens_registration(&invitation) {
                return Err(AppError::forbidden(
                    "this server is invitation-only: an open link cannot create accounts",
                ));
            }
            Some(invitation)
        }
        None => None,
    };
    // A new account has proven nothing, unless its token went only to this mailbox.
    let proof = match &invitation {
        Some(invitation) => redeem::check(
            invitation,
            Redeemer {
                email: email.as_ref(),
                email_verified: false,
            },
        )?,
        None => EmailProof::Unchanged,
    };
    let mut is_first_account = user::Entity::find().count(&txn).await? == 0;
    if is_first_account {
        // Two registrations racing on an empty server must not both become server admin.
        db::lock_key(&txn, FIRST_ACCOUNT_LOCK).await?;
        is_first_account = user::Entity::find().count(&txn).await? == 0;
    }
    let user = user::ActiveModel {
        username: Set(username.into_string()),
        email: Set(email.to_string()),
        display_name: Set(display_name.map(DisplayName::into_string)),
        password_hash: Set(password_hash),
        is_server_admin: Set(is_first_account),
        created_at: Set(crate::db::now()),
        email_verified_at: Set((proof == EmailProof::ProvenByToken).then(crate::db::now)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_conflict(
        ErrorCode::Conflict,
        "that username or email is already taken",
    )?;
    let mut committed = match invitation {
        Some(invitation) => redeem::redeem(&txn, invitation, &user).await?.2,
        None => Committed::default(),
    };
    if user.email_verified_at.is_none() {
        committed = committed
            .merge(email_verification::queue_verification(&txn, &ctx.settings, &user).await?);
    }
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::info!(user_id = user.id, is_first_account, "account registered");
    let access_token = ctx.keys.issue(user.id)?;
    Ok(SignedIn { access_token, user })
}

/// Signs in with an email or username and a password.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn login(ctx: &Ctx, login: &str, password: SecretString) -> Result<SignedIn, AppError> {
    require_local_accounts(ctx)?;
    if password.expose_secret().chars().count() > MAX_PASSWORD_CHARS {
        // No account has such a password: refuse it without hashing a megabyte.
        return Err(AppError::new(
            ErrorCode::Unauthenticated,
            "wrong login or password",
        ));
    }
    let login = login.trim().to_lowercase();
    let column = if login.contains('@') {
        user::Column::Email
    } else {
        user::Column::Username
    };
    let found = user::Entity::find()
        .filter(column.eq(login))
        .one(&ctx.db)
        .await?;
    let hash = found.as_ref().map(|user| user.password_hash.clone());
    match found {
        Some(user) if auth::verify_password(password, hash).await? => {
            let access_token = ctx.keys.issue(user.id)?;
            Ok(SignedIn { access_token, user })
        }
        _ => Err(AppError::new(
            ErrorCode::Unauthenticated,
            "wrong login or password",
        )),
    }
}

/// `FORBIDDEN` when local accounts are turned off (`DOORMAN_LOCAL_ACCOUNTS=false`).
fn require_local_accounts(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.settings.identity.local_accounts {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "this server has no local accounts: sign in with its identity provider",
        ))
    }
}

/// The user an access token names and when the token expires. A token that does not verify
/// is `UNAUTHENTICATED` with its reason (`EXPIRED`, `INVALID`); so is one whose account is gone.
pub async fn session_for_token(
    ctx: &Ctx,
    token: &str,
) -> Result<(Viewer, DateTime<Utc>), AppError> {
    if let Some(oidc) = &ctx.oidc
        && let Some(token) = IssuerToken::recognize(token)
    {
        let claims = oidc.verify(&token).await.map_err(AppError::BadToken)?;
        let expires_at = claims.expires_at().map_err(AppError::BadToken)?;
        let user = external_accounts::account_for(ctx, oidc, &claims).await?;
        return Ok((Viewer::User(user.into()), expires_at));
    }
    let (user_id, expires_at) = ctx.keys.verify(token).map_err(AppError::BadToken)?;
    let user = user::Entity::find_by_id(user_id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::BadToken(TokenProblem::Invalid))?;
    Ok((Viewer::User(user.into()), expires_at))
}

/// The name of the stored access-token secret in `server_settings`.
const SECRET_SETTING: &str = "access_token_secret";

/// The access-token keys: from the configured secret, or the one stored in the database,
/// generated and stored on first run so that every instance on the database shares it.
pub async fn token_keys(
    settings: &crate::config::Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<TokenKeys> {
    let secret = match &settings.token_secret {
        Some(secret) => secret.expose_secret().to_owned(),
        None => stored_secret(db).await?,
    };
    TokenKeys::new(&secret, settings.token_lifetime_minutes)
}

async fn stored_secret(db: &DatabaseConnection) -> anyhow::Result<String> {
    if let Some(row) = server_setting::Entity::find_by_id(SECRET_SETTING)
        .one(db)
        .await?
    {
        return Ok(row.value);
    }
    let mut bytes = [0_u8; 48];
    OsRng.try_fill_bytes(&mut bytes)?;
    tracing::warn!(
        "DOORMAN_TOKEN_SECRET is not set: generated an access-token secret and stored it in the \
         database; set DOORMAN_TOKEN_SECRET to manage it yourself"
    );
    // Two instances starting together may both generate one: the first insert wins.
    server_setting::Entity::insert(server_setting::ActiveModel {
        key: Set(SECRET_SETTING.to_owned()),
        value: Set(URL_SAFE_NO_PAD.encode(bytes)),
    })
    .on_conflict_do_nothing_on([server_setting::Column::Key])
    .exec(db)
    .await?;
    let row = server_setting::Entity::find_by_id(SECRET_SETTING)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the stored access-token secret disappeared"))?;
    Ok(row.value)
}

/// Creates an account from the command line (no invitation, any server mode). The operator
/// vouches for the email unless `verified` is false.
pub async fn create_user(
    db: &DatabaseConnection,
    email: &EmailAddress,
    username: Handle,
    password: SecretString,
    server_admin: bool,
    verified: bool,
) -> Result<user::Model, AppError> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_input(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters long"
        )));
    }
    let password_hash = auth::hash_password(password).await?;
    let user = user::ActiveModel {
        username: Set(username.into_string()),
        email: Set(email.to_string()),
        display_name: Set(None),
        password_hash: Set(password_hash),
        is_server_admin: Set(server_admin),
        created_at: Set(crate::db::now()),
        email_verified_at: Set(verified.then(crate::db::now)),
        ..Default::default()
    }
    .insert(db)
    .await
    .on_conflict(
        ErrorCode::Conflict,
        "that username or email is already taken",
    )?;
    Ok(user)
}

/// Users by id, for batch loading.
pub async fn users_by_ids(ctx: &Ctx, ids: &[i64]) -> Result<HashMap<i64, user::Model>, AppError> {
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

/// Of the users `ids` names, those the viewer may see: itself, anyone for server admins, and
/// the members of organizations the viewer belongs to; for batch loading.
pub async fn visible_users(
    ctx: &Ctx,
    viewer: &Viewer,
    ids: &[i64],
) -> Result<HashMap<i64, user::Model>, AppError> {
    let me = super::require_user(viewer)?;
    let mut select = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied()));
    if !me.is_server_admin {
        let fellow_members = Query::select()
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .and_where(
                membership::Column::OrganizationId
                    .in_subquery(super::organizations::memberships_of(me.id)),
            )
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(user::Column::Id.eq(me.id))
                .add(user::Column::Id.in_subquery(fellow_members)),
        );
    }
    let users = select.all(&ctx.db).await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

/// Which of `emails` belong to an account, for batch loading.
pub async fn existing_emails(ctx: &Ctx, emails: &[String]) -> Result<HashSet<String>, AppError> {
    let users = user::Entity::find()
        .filter(user::Column::Email.is_in(emails.iter().cloned()))
        .all(&ctx.db)
        .await?;
    Ok(users.into_iter().map(|user| user.email).collect())
}

/// Of `user_ids`, those whose email the viewer may read: their own, everyone's for server
/// admins, and members of organizations the viewer administers.
pub async fn users_with_visible_email(
    ctx: &Ctx,
    viewer: &Viewer,
    user_ids: &[i64],
) -> Result<HashSet<i64>, AppError> {
    let Some(me) = viewer.user() else {
        return Ok(HashSet::new());
    };
    if me.is_server_admin {
        return Ok(user_ids.iter().copied().collect());
    }
    let administered = Query::select()
        .column(membership::Column::OrganizationId)
        .from(membership::Entity)
        .cond_where(
            Condition::all()
                .add(membership::Column::UserId.eq(me.id))
                .add(membership::Column::Role.eq(OrgRole::Admin)),
        )
        .to_owned();
    let visible = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(membership::Column::OrganizationId.in_subquery(administered))
        .all(&ctx.db)
        .await?;
    let mut ids: HashSet<i64> = visible.into_iter().map(|m| m.user_id).collect();
    if user_ids.contains(&me.id) {
        ids.insert(me.id);
    }
    Ok(ids)
}

/// The viewer's own memberships, oldest first; other users' memberships are not visible.
pub async fn memberships(
    ctx: &Ctx,
    viewer: &Viewer,
    user_id: i64,
) -> Result<Vec<membership::Model>, AppError> {
    if viewer.user_id() != Some(user_id) {
        return Ok(Vec::new());
    }
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::Id)
        .all(&ctx.db)
        .await?)
}
