//! Creating invitations: email invitations in bulk, open links, registration invitations.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result, SimpleObject};

use super::Invitation;
use crate::domain::email_address::{EmailAddress, EmailDomains, Listed};
use crate::domain::names::Message;
use crate::domain::org_role;
use crate::error::{AppError, ErrorCode};
use crate::graphql::context::{state, throttle, viewer};
use crate::graphql::organizations::{OrgRole, OrgSelector};
use crate::graphql::scalars::DateTime;
use crate::service::invitations::create::{
    self, InviteError as ServiceInviteError, InviteLink, OrgInvites, RegistrationInvite,
};
use crate::service::rate_limits::Action;

#[derive(InputObject)]
pub struct CreateOrgInvitesInput {
    pub org: OrgSelector,
    /// At most 100 (configurable); each is trimmed and lower-cased.
    pub emails: Vec<String>,
    /// Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it).
    pub role: Option<OrgRole>,
    /// Default: the organization's `defaultInviteExpiryHours` from now, else 7 days; at
    /// most 30 days ahead.
    pub expires_at: Option<DateTime>,
    /// A personal note shown in the email (at most 1000 characters).
    pub message: Option<String>,
    /// Email each invitation (the default): the link then goes only to the invitee and is
    /// not in the payload. `false` returns the links for you to share; accepting one of those
    /// needs an account whose email is verified.
    #[graphql(default = true)]
    pub send_email: bool,
    /// Report the outcomes without creating anything.
    #[graphql(default)]
    pub validate_only: bool,
}

/// Why one email was not invited.
#[derive(SimpleObject)]
pub struct InviteError {
    /// The entry normalized (trimmed, lower-cased).
    pub email: String,
    /// The entry as it was sent, to match the outcome to it.
    pub input: String,
    /// `INVALID_EMAIL`, `DUPLICATE_IN_REQUEST`, `ALREADY_MEMBER` or `ALREADY_INVITED`.
    pub code: ErrorCode,
    pub message: String,
}

impl From<ServiceInviteError> for InviteError {
    fn from(error: ServiceInviteError) -> Self {
        Self {
            input: error.input,
            email: error.email,
            code: error.code,
            message: error.message,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateOrgInvitesPayload {
    /// The invitations created, each with its `invitationLink`.
    pub invitations: Vec<Invitation>,
    /// One entry per email that was not invited.
    pub errors: Vec<InviteError>,
    /// The normalized emails that were (or with `validateOnly` would be) invited.
    pub valid_emails: Vec<String>,
}

#[derive(InputObject)]
pub struct CreateInviteLinkInput {
    pub org: OrgSelector,
    /// Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it).
    pub role: Option<OrgRole>,
    /// Null means unlimited.
    pub max_uses: Option<i32>,
    /// Default: the organization's `defaultInviteExpiryHours` from now, else 7 days.
    pub expires_at: Option<DateTime>,
    /// Only accounts with an email in these domains may accept (`[]` = any). Default: the
    /// organization's `defaultAllowedEmailDomains`.
    pub allowed_email_domains: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct CreateRegistrationInviteInput {
    /// Limit the invitation to one email (then it can be used once).
    pub email: Option<String>,
    /// Null means unlimited (for an invitation without an email).
    pub max_uses: Option<i32>,
    pub expires_at: Option<DateTime>,
    /// Also join this organization on registering.
    pub org: Option<OrgSelector>,
    /// The role in `org` (default: its `defaultInviteRole`).
    pub role: Option<OrgRole>,
    #[graphql(default = true)]
    pub send_email: bool,
}

#[derive(Default)]
pub struct CreateMutation;

#[Object]
impl CreateMutation {
    /// Invites up to 100 emails; each gets exactly one outcome. A request that would pass the
    /// organization's daily quota (`RATE_LIMITED`) or pending cap (`BAD_USER_INPUT`) creates
    /// nothing.
    async fn create_org_invites(
        &self,
        ctx: &Context<'_>,
        input: CreateOrgInvitesInput,
    ) -> Result<CreateOrgInvitesPayload> {
        let outcome = async {
            throttle(ctx, Action::Invite)?;
            let request = OrgInvites {
                org: input.org.to_ref(),
                emails: input.emails.iter().map(|raw| Listed::parse(raw)).collect(),
                role: input.role.map(Into::into),
                expires_at: input.expires_at.map(|at| at.0),
                message: Message::parse(input.message.as_deref()).map_err(AppError::bad_input)?,
                send_email: input.send_email,
                validate_only: input.validate_only,
            };
            create::create_org_invites(state(ctx), viewer(ctx), request).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(CreateOrgInvitesPayload {
            invitations: outcome.invitations.into_iter().map(Invitation).collect(),
            errors: outcome.errors.into_iter().map(InviteError::from).collect(),
            valid_emails: outcome.valid_emails,
        })
    }

    /// Creates a multi-use open link.
    async fn create_invite_link(
        &self,
        ctx: &Context<'_>,
        input: CreateInviteLinkInput,
    ) -> Result<Invitation> {
        async {
            throttle(ctx, Action::Invite)?;
            let request = InviteLink {
                org: input.org.to_ref(),
                role: input.role.map(Into::into),
                max_uses: input.max_uses,
                expires_at: input.expires_at.map(|at| at.0),
                allowed_email_domains: input
                    .allowed_email_domains
                    .as_deref()
                    .map(EmailDomains::parse)
                    .transpose()
                    .map_err(AppError::bad_input)?,
            };
            create::create_invite_link(state(ctx), viewer(ctx), request).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }

    /// Server admins: an invitation to register (and optionally join an organization).
    async fn create_registration_invite(
        &self,
        ctx: &Context<'_>,
        input: CreateRegistrationInviteInput,
    ) -> Result<Invitation> {
        async {
            throttle(ctx, Action::Invite)?;
            let request = RegistrationInvite {
                email: input
                    .email
                    .as_deref()
                    .map(EmailAddress::parse)
                    .transpose()
                    .map_err(AppError::bad_input)?,
                max_uses: input.max_uses,
                expires_at: input.expires_at.map(|at| at.0),
                org: input.org.as_ref().map(OrgSelector::to_ref),
                role: input.role.map(org_role::OrgRole::from),
                send_email: input.send_email,
            };
            create::create_registration_invite(state(ctx), viewer(ctx), request).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }
}
