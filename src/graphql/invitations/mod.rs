//! `Invitation`, what it shows to whom, and its resolvers, one file per file of
//! `service/invitations/`: `create`, `redeem`, `manage` (cancel, resend) and `queries` (the
//! lookups and lists). The type wraps the row plus what the viewer may see; the token digest
//! is never exposed.

pub mod create;
pub mod manage;
pub mod queries;
pub mod redeem;

use async_graphql::{Context, Enum, ErrorExtensions, ID, Json, Object, Result};
use entity::invitation_redemption;

use super::connection::{ListConnection, connection, page_cost, page_request};
use super::context::{state, viewer};
use super::loaders::{AccountEmail, OrgId, UserId, ViewerRoleIn, loader};
use super::objects::{Invitation, Organization, User};
use super::organizations::OrgRole;
use super::scalars::DateTime;
use crate::domain;
use crate::domain::email_address::EmailAddress;
use crate::domain::invitation_extras::Metadata;
use crate::domain::invitation_rules::{self, uses_remaining};
use crate::service::invitations::queries as service_queries;
use crate::service::invitations::redeem::next_step_for;
use crate::service::invitations::{allowed_domains, links};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "invitation_rules::InvitationAction")]
pub enum InvitationAction {
    /// Join an organization.
    JoinOrg,
    /// Create an account (and optionally join an organization).
    RegisterAccount,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "invitation_rules::InvitationStatus")]
pub enum InvitationStatus {
    Pending,
    /// An email invitation that was used.
    Accepted,
    /// A link whose uses are exhausted.
    UsedUp,
    Declined,
    Cancelled,
    /// `expiresAt` has passed while pending (stored by the expiry sweep, derived at read
    /// time until it runs).
    Expired,
}

/// Why a link is paused.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LinkPauseReason {
    /// Its admins paused it.
    Manual,
    /// It was redeemed faster than the server allows (`DOORMAN_LINK_PAUSE_RATE`): a sign that
    /// it leaked. Resume it (or regenerate it first) when it is safe.
    Rate,
}

/// What the caller should do now with an invitation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "invitation_rules::NextStep")]
pub enum NextStep {
    /// Create an account: no account has the invited email, or the invitation registers one.
    SignUp,
    /// Sign in: an account has the invited email, or it is an open link.
    SignIn,
    /// Verify the account's email (`requestEmailVerification`), then accept.
    VerifyEmail,
    /// Signed in as someone the invitation is not for: sign in as the invitee.
    SwitchAccount,
    /// `acceptInvitation` will succeed (barring a race).
    Accept,
    /// The caller already belongs to the organization.
    AlreadyMember,
    /// Expired, cancelled, declined, used, or a token a newer one replaced: ask for a new one
    /// (`requestNewInvitation`).
    RequestNew,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::EmailDeliveryStatus")]
pub enum EmailDeliveryStatus {
    NotRequested,
    Queued,
    Sent,
    Failed,
}

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        self.0.model.id.into()
    }

    async fn action(&self) -> InvitationAction {
        self.0.model.action.into()
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
        self.0.model.role.map(OrgRole::from)
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

    /// Null for a link that never expires.
    async fn expires_at(&self) -> Option<DateTime> {
        invitation_rules::shown_expiry(self.0.model.expires_at).map(Into::into)
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

    /// Where the invitee's app should go after accepting; set by the inviter, on one of the
    /// server's allowed origins.
    async fn redirect_url(&self) -> Option<&str> {
        self.0.model.redirect_url.as_deref()
    }

    /// The language of its emails, when the inviter named one.
    async fn locale(&self) -> Option<&str> {
        self.0.model.locale.as_deref()
    }

    /// The IANA time zone its emails write dates in, when the inviter named one.
    async fn time_zone(&self) -> Option<&str> {
        self.0.model.time_zone.as_deref()
    }

    /// The JSON object the inviter attached, copied to the membership on accept; for those
    /// who manage the invitation (null for others).
    async fn metadata(&self) -> Option<Json<serde_json::Value>> {
        let text = self.0.model.metadata.as_deref()?;
        self.0.viewer_is_admin.then(|| Json(Metadata::stored(text)))
    }

    /// Whether its admins paused this link (it then answers `INVITATION_PAUSED`).
    async fn paused(&self) -> bool {
        self.0.model.paused_at.is_some()
    }

    /// Why it is paused; null while it works.
    async fn pause_reason(&self) -> Option<LinkPauseReason> {
        self.0.model.paused_at?;
        Some(match self.0.model.pause_reason.as_deref() {
            Some(links::RATE) => LinkPauseReason::Rate,
            _ => LinkPauseReason::Manual,
        })
    }

    /// When it was paused; null while it works.
    async fn paused_at(&self) -> Option<DateTime> {
        self.0.model.paused_at.map(DateTime::from)
    }

    /// Whether this was looked up by a token a newer one replaced (after a resend, a reminder
    /// or a regenerated link): that token no longer works (`INVITATION_SUPERSEDED`), and
    /// `nextStep` is `REQUEST_NEW` unless the caller is already a member.
    async fn token_superseded(&self) -> bool {
        self.0.token_superseded
    }

    /// What the caller should do now: which screen an app shows for this invitation.
    async fn next_step(&self, ctx: &Context<'_>) -> Result<NextStep> {
        let model = &self.0.model;
        let is_member = match (model.organization_id, viewer(ctx).user()) {
            (Some(org_id), Some(_)) => loader(ctx).load_one(ViewerRoleIn(org_id)).await?.is_some(),
            _ => false,
        };
        if self.0.token_superseded && !is_member {
            return Ok(NextStep::RequestNew);
        }
        let invitee_has_account = match (&model.email, viewer(ctx).user()) {
            (Some(email), None) => loader(ctx)
                .load_one(AccountEmail(email.clone()))
                .await?
                .unwrap_or(false),
            _ => false,
        };
        Ok(next_step_for(model, viewer(ctx), is_member, invitee_has_account).into())
    }

    /// An account with the invited email exists (so the app offers sign-in rather than sign-up).
    async fn is_existing_user(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(email) = &self.0.model.email else {
            return Ok(false);
        };
        let exists = loader(ctx).load_one(AccountEmail(email.clone())).await?;
        Ok(exists.unwrap_or(false))
    }

    /// `{public_url}/invite/{token}`: only in the payload that created or resent the invitation,
    /// and only when no email was sent. An emailed link exists only in the email, so that using
    /// it proves the invitee owns the address.
    async fn invitation_link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }

    /// Org admins only.
    async fn email_status(&self, ctx: &Context<'_>) -> Result<EmailDeliveryStatus> {
        self.admin_only(ctx)?;
        Ok(self.0.model.email_status.into())
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
            service_queries::redemptions(state(ctx), viewer(ctx), &self.0, page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(page, |r| r.id, Redemption))
    }
}

impl Invitation {
    fn admin_only(&self, ctx: &Context<'_>) -> Result<()> {
        service_queries::require_admin_field(viewer(ctx), &self.0).map_err(|err| err.extend())
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
