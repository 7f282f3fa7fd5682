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
use crate::domain::invite_token::{InviteToken, VerificationToken};
use crate::domain::names::{DisplayName, Handle};
use crate::error::{AppError, ErrorCode};
use crate::service::accounts::{self, Registration, SignedIn};
use crate::service::rate_limits::Action;
use crate::service::{email_verification, external_accounts};

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

    /// Whether the account has proven that it owns its email (a verification link, or an
    /// invitation link that went only to that mailbox).
    async fn email_verified(&self) -> bool {
        self.model.email_verified_at.is_some()
    }

    /// When the email was verified; visible to whoever may read `email`.
    async fn email_verified_at(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::scalars::DateTime>> {
        Ok(match self.email(ctx).await? {
            Some(_) => self.model.email_verified_at.map(Into::into),
            None => None,
        })
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
    /// How one may sign in here, so that a client shows the right buttons.
    pub sign_in_methods: Vec<SignInMethod>,
    /// The OpenID Connect issuer whose access tokens sign people in, when `OIDC` is on.
    pub oidc_issuer: Option<String>,
    /// How a browser app signs in with the issuer ("Continue with <provider>"), when the
    /// server names a client for it (`DOORMAN_OIDC_CLIENT_ID`).
    pub oidc_sign_in: Option<OidcSignIn>,
    /// The product name emails speak for (`DOORMAN_PRODUCT_NAME`).
    pub product_name: String,
    /// The languages emails are written in: what `locale` and `defaultLocale` take.
    pub email_locales: Vec<String>,
    /// The language of an email that neither its invitation nor its organization names.
    pub default_locale: String,
}

/// An authorization-code grant with PKCE by a public client: send the visitor to
/// `authorizationEndpoint` with `clientId`, `scope` (and `resource` when set), then exchange the
/// code at `tokenEndpoint`. The bearer for Doorman is the access token when `resource` is set,
/// else the ID token.
#[derive(SimpleObject)]
pub struct OidcSignIn {
    /// The name to show: "Continue with <providerName>".
    pub provider_name: String,
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub scope: &'static str,
    /// The resource (RFC 8707) to ask an access token for; null when the ID token is the bearer.
    pub resource: Option<String>,
}

/// A way to sign in.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// `register` and `login` with an email or username and a password.
    Password,
    /// Access tokens of the OpenID Connect issuer (`oidcIssuer`), sent as bearer tokens.
    Oidc,
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
        let ctx_state = state(ctx);
        let settings = &ctx_state.settings;
        ServerInfo {
            registration_mode: match settings.registration_mode {
                RegistrationMode::Open => GqlRegistrationMode::Open,
                RegistrationMode::InvitationOnly => GqlRegistrationMode::InvitationOnly,
            },
            version: env!("CARGO_PKG_VERSION"),
            sign_in_methods: [
                (settings.identity.local_accounts, SignInMethod::Password),
                (ctx_state.oidc.is_some(), SignInMethod::Oidc),
            ]
            .into_iter()
            .filter_map(|(on, method)| on.then_some(method))
            .collect(),
            oidc_issuer: ctx_state.oidc.as_ref().map(|oidc| oidc.issuer().to_owned()),
            oidc_sign_in: ctx_state
                .oidc
                .as_ref()
                .and_then(|oidc| oidc.browser_sign_in())
                .map(|browser| OidcSignIn {
                    provider_name: browser.provider_name.clone(),
                    client_id: browser.client_id.clone(),
                    authorization_endpoint: browser.authorization_endpoint.clone(),
                    token_endpoint: browser.token_endpoint.clone(),
                    scope: "openid email profile",
                    resource: browser.resource.clone(),
                }),
            product_name: ctx_state.emails.product().to_owned(),
            email_locales: ctx_state.emails.languages().tags(),
            default_locale: ctx_state.emails.language([None]).tag(),
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
            throttle(ctx, Action::Register).await?;
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
            )
            .await?;
            accounts::login(state(ctx), &input.login, SecretString::from(input.password)).await
        }
        .await
        .map(AuthPayload::from)
        .map_err(|err| err.extend())
    }

    /// Verifies the email a verification link was sent to; the token works once, until it
    /// expires (`INVALID_TOKEN`, `TOKEN_EXPIRED`). Needs no sign-in: the link proves the
    /// mailbox.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<User> {
        async {
            throttle(ctx, Action::UseToken).await?;
            let token = VerificationToken::parse(&token).ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidToken,
                    "this verification link is not valid",
                )
            })?;
            email_verification::verify_email(state(ctx), &token).await
        }
        .await
        .map(|user| User::for_viewer(user, viewer(ctx)))
        .map_err(|err| err.extend())
    }

    /// Sends a new verification email to the caller's address (nothing when it is verified);
    /// at most one per cooldown (`RATE_LIMITED` with `retryAfter`).
    async fn request_email_verification(&self, ctx: &Context<'_>) -> Result<User> {
        email_verification::request_email_verification(state(ctx), viewer(ctx))
            .await
            .map(|user| User::for_viewer(user, viewer(ctx)))
            .map_err(|err| err.extend())
    }

    /// Changes the caller's email. The account is unverified until the new address is proven:
    /// a verification email goes there, and a notice to the old address.
    async fn update_email(&self, ctx: &Context<'_>, email: String) -> Result<User> {
        async {
            let email = EmailAddress::parse(&email).map_err(AppError::bad_input)?;
            email_verification::update_email(state(ctx), viewer(ctx), email).await
        }
        .await
        .map(|user| User::for_viewer(user, viewer(ctx)))
        .map_err(|err| err.extend())
    }

    /// Server admins: marks an account's email verified or unverified, for support.
    async fn set_email_verified(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        verified: bool,
    ) -> Result<User> {
        let user_id = user_id.parse().unwrap_or(-1);
        email_verification::set_email_verified(state(ctx), viewer(ctx), user_id, verified)
            .await
            .map(|user| User::for_viewer(user, viewer(ctx)))
            .map_err(|err| err.extend())
    }

    /// Links the identity of an access token of the OpenID Connect issuer to the caller's
    /// account, so that the token signs in as this account: the account's email must be
    /// verified, and the same as the token's, which the issuer must vouch for
    /// (`email_verified: true`).
    async fn link_external_identity(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<User> {
        external_accounts::link_identity(state(ctx), viewer(ctx), &token)
            .await
            .map(|user| User::for_viewer(user, viewer(ctx)))
            .map_err(|err| err.extend())
    }
}
