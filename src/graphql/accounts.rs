//! `User`, `register`, `login`, `me`, `serverInfo`.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject};
use secrecy::{ExposeSecret, SecretString};

use super::context::{state, throttle, viewer};
use super::loaders::{EmailVisible, loader};
use super::objects::{Membership, User};
use crate::auth::Viewer;
use crate::config::RegistrationMode;
use crate::domain::email_address::EmailAddress;
use crate::domain::invite_token::InviteToken;
use crate::domain::names::{DisplayName, Handle};
use crate::error::AppError;
use crate::service::accounts::{self, Registration, SignedIn};
use crate::service::rate_limits::Action;

impl User {
    fn viewer(&self, ctx: &Context<'_>) -> Viewer {
        if self.signed_in {
            Viewer::User(Arc::new(self.model.clone()))
        } else {
            viewer(ctx).clone()
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        self.model.id.into()
    }

    /// Unique lower-case handle.
    async fn username(&self) -> &str {
        &self.model.username
    }

    async fn display_name(&self) -> Option<&str> {
        self.model.display_name.as_deref()
    }

    /// The caller's own email, or to admins of an organization the user belongs to; else null.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let visible = self.signed_in
            || loader(ctx).load_one(EmailVisible(self.model.id)).await? == Some(true);
        Ok(visible.then_some(self.model.email.as_str()))
    }

    async fn is_server_admin(&self) -> bool {
        self.model.is_server_admin
    }

    async fn created_at(&self) -> super::scalars::DateTime {
        self.model.created_at.into()
    }

    /// The caller's own memberships, oldest first; empty for other users.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        let memberships = accounts::memberships(state(ctx), &self.viewer(ctx), self.model.id)
            .await
            .map_err(|err| err.extend())?;
        Ok(memberships.into_iter().map(Membership).collect())
    }
}

/// A signed-in session: send `accessToken` as `Authorization: Bearer …`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    pub expires_at: super::scalars::DateTime,
    pub user: User,
}

impl From<SignedIn> for AuthPayload {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            access_token: signed_in.access_token.token.expose_secret().to_owned(),
            expires_at: signed_in.access_token.expires_at.into(),
            user: User {
                model: signed_in.user,
                signed_in: true,
            },
        }
    }
}

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    pub username: String,
    /// At least 8 characters.
    #[graphql(secret)]
    pub password: String,
    pub display_name: Option<String>,
    /// Required on invitation-only servers: a registration invitation, or an organization
    /// invitation for this same email (the account is created and joins in one step).
    #[graphql(secret)]
    pub invitation_token: Option<String>,
}

#[derive(InputObject)]
pub struct LoginInput {
    /// Email or username.
    pub login: String,
    #[graphql(secret)]
    pub password: String,
}

/// Facts about this server that clients need before signing in.
#[derive(SimpleObject)]
pub struct ServerInfo {
    pub registration_mode: GqlRegistrationMode,
    pub version: &'static str,
}

/// Who may create an account.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RegistrationMode")]
pub enum GqlRegistrationMode {
    Open,
    InvitationOnly,
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        viewer(ctx).user().cloned().map(User::new)
    }

    async fn server_info(&self, ctx: &Context<'_>) -> ServerInfo {
        ServerInfo {
            registration_mode: match state(ctx).settings.registration_mode {
                RegistrationMode::Open => GqlRegistrationMode::Open,
                RegistrationMode::InvitationOnly => GqlRegistrationMode::InvitationOnly,
            },
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an account and signs it in. The first account on an empty server is server admin.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        async {
            throttle(ctx, Action::Register)?;
            let invitation_token = match &input.invitation_token {
                Some(raw) => {
                    Some(InviteToken::parse(raw).ok_or_else(AppError::invitation_not_found)?)
                }
                None => None,
            };
            let registration = Registration {
                email: EmailAddress::parse(&input.email).map_err(AppError::bad_input)?,
                username: Handle::parse(&input.username, "username")
                    .map_err(AppError::bad_input)?,
                password: SecretString::from(input.password),
                display_name: DisplayName::parse(input.display_name.as_deref())
                    .map_err(AppError::bad_input)?,
                invitation_token,
            };
            accounts::register(state(ctx), registration).await
        }
        .await
        .map(AuthPayload::from)
        .map_err(|err| err.extend())
    }

    /// Signs in with an email or username and a password.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        async {
            throttle(
                ctx,
                Action::Login {
                    login: &input.login,
                },
            )?;
            accounts::login(state(ctx), &input.login, SecretString::from(input.password)).await
        }
        .await
        .map(AuthPayload::from)
        .map_err(|err| err.extend())
    }
}
