//! Accepting and declining an invitation.

use async_graphql::{Context, ErrorExtensions, Object, Result, SimpleObject};

use super::Invitation;
use crate::domain::invite_token::InviteToken;
use crate::error::AppError;
use crate::graphql::context::{state, throttle, viewer};
use crate::graphql::loaders::{OrgId, loader};
use crate::graphql::objects::{Membership, Organization};
use crate::service::invitations::{recipient, redeem};
use crate::service::rate_limits::Action;

#[derive(SimpleObject)]
pub struct AcceptInvitationPayload {
    pub invitation: Invitation,
    pub membership: Membership,
    pub organization: Organization,
    /// Where the app should go now: the invitation's `redirectUrl`, if it has one.
    pub redirect_url: Option<String>,
}

#[derive(Default)]
pub struct RedeemMutation;

#[Object]
impl RedeemMutation {
    /// Joins the organization of the invitation behind `token`.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<AcceptInvitationPayload> {
        let accepted = async {
            throttle(ctx, Action::UseToken).await?;
            let token = InviteToken::parse(&token).ok_or_else(AppError::invitation_not_found)?;
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
            redirect_url: accepted.invitation.model.redirect_url.clone(),
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
            throttle(ctx, Action::UseToken).await?;
            let token = InviteToken::parse(&token).ok_or_else(AppError::invitation_not_found)?;
            redeem::decline_invitation(state(ctx), viewer(ctx), &token).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }

    /// Asks the invitation's admins for a new one when this token no longer works (expired,
    /// cancelled, used, or replaced by a newer link): they see a `RENEWAL_REQUESTED` event
    /// and can `resend` it. Always `true`, whether or not the token is known, so the answer
    /// reveals nothing; at most one request per invitation a day is recorded.
    async fn request_new_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<bool> {
        async {
            throttle(ctx, Action::UseToken).await?;
            let token = InviteToken::parse(&token);
            recipient::request_new(state(ctx), viewer(ctx), token.as_ref()).await
        }
        .await
        .map(|()| true)
        .map_err(|err| err.extend())
    }

    /// "This was not meant for me": cancels the email invitation behind the token, stops its
    /// undelivered mail, and tells its admins (a `WRONG_RECIPIENT` event). No account needed:
    /// the token went to this mailbox. `true` once it is cancelled.
    async fn report_wrong_recipient(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> Result<bool> {
        async {
            throttle(ctx, Action::UseToken).await?;
            let token = InviteToken::parse(&token).ok_or_else(AppError::invitation_not_found)?;
            recipient::report_wrong_recipient(state(ctx), viewer(ctx), &token).await
        }
        .await
        .map(|()| true)
        .map_err(|err| err.extend())
    }
}
