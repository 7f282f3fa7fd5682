//! `Invitation` and its inputs, payloads and resolvers. The type wraps the row plus what the
//! viewer may see; the token digest is never exposed.

use super::scalars::DateTime;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use entity::invitation_redemption;

use super::accounts::User;
use super::connection::{ListConnection, connection, page_cost, page_request};
use super::loaders::{AccountEmail, OrgId, UserId, loader};
use super::organizations::{Membership, OrgRole, OrgSelector, Organization, stored_role};
use super::{state, throttle, viewer};
use crate::domain::email_address::EmailAddress;
use crate::domain::invitation_rules::{self, uses_remaining};
use crate::domain::{self, org_role};
use crate::error::AppError;
use crate::service::invitations::create::{
    self, InviteError as ServiceInviteError, InviteLink, OrgInvites, RegistrationInvite,
};
use crate::service::invitations::manage::{self, InvitationFilter, ResendTarget};
use crate::service::invitations::{self, InvitationView, allowed_domains, redeem};
use crate::service::rate_limits::Action;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationAction {
    /// Join an organization.
    JoinOrg,
    /// Create an account (and optionally join an organization).
    RegisterAccount,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    /// An email invitation that was used.
    Accepted,
    /// A link whose uses are exhausted.
    UsedUp,
    Declined,
    Cancelled,
    /// Derived at read time: `expiresAt` has passed while pending.
    Expired,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EmailDeliveryStatus {
    NotRequested,
    Queued,
    Sent,
    Failed,
}

impl From<invitation_rules::InvitationStatus> for InvitationStatus {
    fn from(status: invitation_rules::InvitationStatus) -> Self {
        use invitation_rules::InvitationStatus as S;
        match status {
            S::Pending => Self::Pending,
            S::Accepted => Self::Accepted,
            S::UsedUp => Self::UsedUp,
            S::Declined => Self::Declined,
            S::Cancelled => Self::Cancelled,
            S::Expired => Self::Expired,
        }
    }
}

impl From<InvitationStatus> for invitation_rules::InvitationStatus {
    fn from(status: InvitationStatus) -> Self {
        use InvitationStatus as S;
        match status {
            S::Pending => Self::Pending,
            S::Accepted => Self::Accepted,
            S::UsedUp => Self::UsedUp,
            S::Declined => Self::Declined,
            S::Cancelled => Self::Cancelled,
            S::Expired => Self::Expired,
        }
    }
}

/// An invitation: to an email, an open multi-use link, or a registration invitation.
pub struct Invitation(pub InvitationView);

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        self.0.model.id.into()
    }

    async fn action(&self) -> InvitationAction {
        if self.0.model.action == invitation_rules::InvitationAction::RegisterAccount.as_str() {
            InvitationAction::RegisterAccount
        } else {
            InvitationAction::JoinOrg
        }
    }

    /// Null for a registration invitation without an organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(org_id) = self.0.model.organization_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(OrgId(org_id)).await?.map(Organization))
    }

    /// The role granted on accept.
    async fn role(&self) -> Option<OrgRole> {
        self.0.model.role.as_deref().and_then(stored_role)
    }

    /// The invitee; null for open links, and for callers other than admins and the invitee.
    async fn email(&self) -> Option<&str> {
        (self.0.viewer_is_admin || self.0.viewer_is_invitee)
            .then_some(self.0.model.email.as_deref())
            .flatten()
    }

    /// The invitee's email, masked (`a***@example.com`), for anyone holding the token.
    async fn email_hint(&self) -> Option<String> {
        let email = EmailAddress::parse(self.0.model.email.as_deref()?).ok()?;
        Some(email.masked())
    }

    /// Open links only: the accepting account's email domain must be one of these (empty = any).
    async fn allowed_email_domains(&self) -> Option<Vec<String>> {
        self.0
            .model
            .email
            .is_none()
            .then(|| allowed_domains(&self.0.model))
    }

    async fn status(&self) -> InvitationStatus {
        self.0.status().into()
    }

    /// Null means unlimited; email invitations are always 1.
    async fn max_uses(&self) -> Option<i32> {
        self.0.model.max_uses
    }

    async fn usage_count(&self) -> i32 {
        self.0.model.usage_count
    }

    /// Null means unlimited.
    async fn uses_remaining(&self) -> Option<i32> {
        uses_remaining(self.0.model.max_uses, self.0.model.usage_count)
    }

    async fn expires_at(&self) -> DateTime {
        self.0.model.expires_at.into()
    }

    async fn created_at(&self) -> DateTime {
        self.0.model.created_at.into()
    }

    async fn invited_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.model.invited_by else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(UserId(user_id)).await?.map(User::new))
    }

    /// The inviter's personal note.
    async fn message(&self) -> Option<&str> {
        self.0.model.message.as_deref()
    }

    /// An account with the invited email exists (so the app offers sign-in rather than sign-up).
    async fn is_existing_user(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(email) = &self.0.model.email else {
            return Ok(false);
        };
        let exists = loader(ctx).load_one(AccountEmail(email.clone())).await?;
        Ok(exists.unwrap_or(false))
    }

    /// `{public_url}/invite/{token}`: only in the payload that created or resent the invitation.
    async fn invitation_link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }

    /// Org admins only.
    async fn email_status(&self, ctx: &Context<'_>) -> Result<EmailDeliveryStatus> {
        self.admin_only(ctx)?;
        Ok(
            match self
                .0
                .model
                .email_status
                .parse::<domain::EmailDeliveryStatus>()
            {
                Ok(domain::EmailDeliveryStatus::Queued) => EmailDeliveryStatus::Queued,
                Ok(domain::EmailDeliveryStatus::Sent) => EmailDeliveryStatus::Sent,
                Ok(domain::EmailDeliveryStatus::Failed) => EmailDeliveryStatus::Failed,
                Ok(domain::EmailDeliveryStatus::NotRequested) | Err(_) => {
                    EmailDeliveryStatus::NotRequested
                }
            },
        )
    }

    /// Org admins only.
    async fn last_sent_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime>> {
        self.admin_only(ctx)?;
        Ok(self.0.model.last_sent_at.map(DateTime))
    }

    /// Org admins only: messages delivered for this invitation.
    async fn send_count(&self, ctx: &Context<'_>) -> Result<i32> {
        self.admin_only(ctx)?;
        Ok(self.0.model.send_count)
    }

    /// Org admins only: delivery attempts of the current message, failed ones included.
    async fn email_attempts(&self, ctx: &Context<'_>) -> Result<i32> {
        self.admin_only(ctx)?;
        Ok(self.0.model.email_attempts)
    }

    /// Org admins only: why the last delivery attempt failed; null after a successful send.
    async fn last_email_error(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.admin_only(ctx)?;
        Ok(self.0.model.last_email_error.as_deref())
    }

    /// Org admins only: who joined through this invitation, newest first.
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    async fn redemptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Redemption>> {
        let page = async {
            let page = page_request(first, after, 20)?;
            manage::redemptions(state(ctx), viewer(ctx), &self.0, page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(page, |r| r.id, Redemption))
    }
}

impl Invitation {
    fn admin_only(&self, ctx: &Context<'_>) -> Result<()> {
        manage::require_admin_field(viewer(ctx), &self.0).map_err(|err| err.extend())
    }
}

/// One use of an invitation.
pub struct Redemption(pub invitation_redemption::Model);

#[Object]
impl Redemption {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loader(ctx)
            .load_one(UserId(self.0.user_id))
            .await?
            .map(User::new))
    }

    async fn redeemed_at(&self) -> DateTime {
        self.0.redeemed_at.into()
    }
}

#[derive(InputObject)]
pub struct CreateOrgInvitesInput {
    pub org: OrgSelector,
    /// At most 100 (configurable); each is trimmed and lower-cased.
    pub emails: Vec<String>,
    #[graphql(default_with = "OrgRole::Member")]
    pub role: OrgRole,
    /// Default 7 days from now; at most 30 days ahead.
    pub expires_at: Option<DateTime>,
    /// A personal note shown in the email (at most 1000 characters).
    pub message: Option<String>,
    #[graphql(default = true)]
    pub send_email: bool,
    /// Report the outcomes without creating anything.
    #[graphql(default)]
    pub validate_only: bool,
}

/// Why one email was not invited.
#[derive(SimpleObject)]
pub struct InviteError {
    pub email: String,
    /// `INVALID_EMAIL`, `DUPLICATE_IN_REQUEST`, `ALREADY_MEMBER` or `ALREADY_INVITED`.
    pub code: String,
    pub message: String,
}

impl From<ServiceInviteError> for InviteError {
    fn from(error: ServiceInviteError) -> Self {
        Self {
            email: error.email,
            code: error.code.to_owned(),
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
    #[graphql(default_with = "OrgRole::Member")]
    pub role: OrgRole,
    /// Null means unlimited.
    pub max_uses: Option<i32>,
    pub expires_at: Option<DateTime>,
    /// Only accounts with an email in these domains may accept (empty = any).
    #[graphql(default)]
    pub allowed_email_domains: Vec<String>,
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
    /// The role in `org` (default MEMBER).
    pub role: Option<OrgRole>,
    #[graphql(default = true)]
    pub send_email: bool,
}

#[derive(SimpleObject)]
pub struct AcceptInvitationPayload {
    pub invitation: Invitation,
    pub membership: Membership,
    pub organization: Organization,
}

/// Pick invitations by `ids`, or by `org` and `emails`.
#[derive(InputObject)]
pub struct ResendInput {
    pub ids: Option<Vec<ID>>,
    pub org: Option<OrgSelector>,
    pub emails: Option<Vec<String>>,
    #[graphql(default = true)]
    pub send_email: bool,
}

/// Why one invitation was not resent.
#[derive(SimpleObject)]
pub struct ResendError {
    pub id: Option<ID>,
    pub email: Option<String>,
    /// An error code; `RATE_LIMITED` when the invitation was sent too recently.
    pub code: String,
    pub message: String,
    /// With `RATE_LIMITED`: whole seconds until this invitation may be resent.
    pub retry_after: Option<u64>,
}

#[derive(SimpleObject)]
pub struct ResendPayload {
    /// The resent invitations, each with its new `invitationLink`.
    pub invitations: Vec<Invitation>,
    pub errors: Vec<ResendError>,
}

#[derive(Default)]
pub struct InvitationsQuery;

#[Object]
impl InvitationsQuery {
    /// The invitation behind a token, for anyone holding it; null when no invitation has it.
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> Result<Option<Invitation>> {
        let found = async {
            throttle(ctx, Action::UseToken)?;
            invitations::invitation_by_token(state(ctx), viewer(ctx), &token).await
        }
        .await
        .map_err(|err| err.extend())?;
        let Some(preview) = found else {
            return Ok(None);
        };
        // Read with the invitation: `organization` and `invitedBy` need no query of their own.
        let loader = loader(ctx);
        if let Some(org) = preview.organization {
            loader.feed_one(OrgId(org.id), org).await;
        }
        if let Some(inviter) = preview.inviter {
            loader.feed_one(UserId(inviter.id), inviter).await;
        }
        Ok(Some(Invitation(preview.invitation)))
    }

    /// An organization's invitations, newest first (org admins).
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    async fn org_invitations(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        status: Option<Vec<InvitationStatus>>,
        email: Option<String>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Invitation>> {
        let found = async {
            let mut page = page_request(first, after, 20)?;
            page.count_total = ctx.look_ahead().field("totalCount").exists();
            let statuses = status.unwrap_or_default().into_iter().map(Into::into);
            let filter = InvitationFilter::new(statuses.collect(), email)?;
            manage::org_invitations(state(ctx), viewer(ctx), &org.to_ref(), filter, page).await
        }
        .await
        .map_err(|err| err.extend())?;
        // Read with the page: `organization` and `invitedBy` need no query of their own.
        let loader = loader(ctx);
        loader
            .feed_one(OrgId(found.organization.id), found.organization)
            .await;
        loader
            .feed_many(
                found
                    .inviters
                    .into_iter()
                    .map(|user| (UserId(user.id), user)),
            )
            .await;
        Ok(connection(found.page, |view| view.model.id, Invitation))
    }

    /// Pending invitations addressed to the caller's email.
    async fn my_invitations(&self, ctx: &Context<'_>) -> Result<Vec<Invitation>> {
        let views = manage::my_invitations(state(ctx), viewer(ctx))
            .await
            .map_err(|err| err.extend())?;
        Ok(views.into_iter().map(Invitation).collect())
    }

    /// Registration invitations, newest first (server admins).
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    async fn registration_invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Invitation>> {
        let page = async {
            let page = page_request(first, after, 20)?;
            manage::registration_invitations(state(ctx), viewer(ctx), page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(page, |view| view.model.id, Invitation))
    }
}

#[derive(Default)]
pub struct InvitationsMutation;

#[Object]
impl InvitationsMutation {
    /// Invites up to 100 emails; each gets exactly one outcome. A request that would pass the
    /// organization's daily quota (`RATE_LIMITED`) or pending cap (`BAD_USER_INPUT`) creates
    /// nothing.
    async fn create_org_invites(
        &self,
        ctx: &Context<'_>,
        input: CreateOrgInvitesInput,
    ) -> Result<CreateOrgInvitesPayload> {
        let request = OrgInvites {
            org: input.org.to_ref(),
            emails: input.emails,
            role: input.role.into(),
            expires_at: input.expires_at.map(|at| at.0),
            message: input.message,
            send_email: input.send_email,
            validate_only: input.validate_only,
        };
        let outcome = async {
            throttle(ctx, Action::Invite)?;
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
        let request = InviteLink {
            org: input.org.to_ref(),
            role: input.role.into(),
            max_uses: input.max_uses,
            expires_at: input.expires_at.map(|at| at.0),
            allowed_email_domains: input.allowed_email_domains,
        };
        async {
            throttle(ctx, Action::Invite)?;
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
        let request = RegistrationInvite {
            email: input.email,
            max_uses: input.max_uses,
            expires_at: input.expires_at.map(|at| at.0),
            org: input.org.as_ref().map(OrgSelector::to_ref),
            role: input.role.map(org_role::OrgRole::from),
            send_email: input.send_email,
        };
        async {
            throttle(ctx, Action::Invite)?;
            create::create_registration_invite(state(ctx), viewer(ctx), request).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }

    /// Joins the organization of the invitation behind `token`.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<AcceptInvitationPayload> {
        let accepted = async {
            throttle(ctx, Action::UseToken)?;
            redeem::accept_invitation(state(ctx), viewer(ctx), &token).await
        }
        .await
        .map_err(|err| err.extend())?;
        // `membership { organization }` needs no query of its own.
        loader(ctx)
            .feed_one(
                OrgId(accepted.organization.id),
                accepted.organization.clone(),
            )
            .await;
        Ok(AcceptInvitationPayload {
            invitation: Invitation(accepted.invitation),
            membership: Membership(accepted.membership),
            organization: Organization(accepted.organization),
        })
    }

    /// Declines an email invitation.
    async fn decline_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<Invitation> {
        async {
            throttle(ctx, Action::UseToken)?;
            redeem::decline_invitation(state(ctx), viewer(ctx), &token).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }

    /// Cancels a pending invitation (org admins; server admins for registration invitations).
    async fn cancel(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        let id = id.parse().unwrap_or(-1);
        manage::cancel(state(ctx), viewer(ctx), id)
            .await
            .map(Invitation)
            .map_err(|err| err.extend())
    }

    /// Sends invitations again with a new token and a fresh expiry; old links stop working.
    /// One sent less than the resend cooldown ago gets a `RATE_LIMITED` entry in `errors`.
    async fn resend(&self, ctx: &Context<'_>, input: ResendInput) -> Result<ResendPayload> {
        let outcome = async {
            throttle(ctx, Action::Invite)?;
            let target = match (input.ids, input.org, input.emails) {
                (Some(ids), None, None) => {
                    ResendTarget::Ids(ids.into_iter().map(|id| id.0).collect())
                }
                (None, Some(org), Some(emails)) => ResendTarget::Emails {
                    org: org.to_ref(),
                    emails,
                },
                _ => {
                    return Err(AppError::bad_input("give either ids, or org and emails"));
                }
            };
            manage::resend(state(ctx), viewer(ctx), target, input.send_email).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(ResendPayload {
            invitations: outcome.invitations.into_iter().map(Invitation).collect(),
            errors: outcome
                .errors
                .into_iter()
                .map(|error| ResendError {
                    id: error.id.map(ID),
                    email: Some(error.error.email).filter(|email| !email.is_empty()),
                    code: error.error.code.to_owned(),
                    message: error.error.message,
                    retry_after: error.retry_after,
                })
                .collect(),
        })
    }
}
