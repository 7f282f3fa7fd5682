//! The invitation behind a token, and the lists: an organization's, the viewer's own, and
//! registration invitations.

use async_graphql::{Context, ErrorExtensions, Object, Result};

use super::{EmailDeliveryStatus, Invitation, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::graphql::connection::{ListConnection, connection, page_cost, page_request};
use crate::graphql::context::{state, throttle, viewer};
use crate::graphql::loaders::{OrgId, UserId, loader};
use crate::graphql::organizations::OrgSelector;
use crate::service::invitations::queries::{self, InvitationFilter};
use crate::service::rate_limits::Action;

#[derive(Default)]
pub struct InvitationsQuery;

#[Object]
impl InvitationsQuery {
    /// The invitation behind a token, for anyone holding it; null when no invitation has it.
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> Result<Option<Invitation>> {
        let found = async {
            throttle(ctx, Action::UseToken)?;
            // Not a token at all: no invitation has it.
            let Some(token) = InviteToken::parse(&token) else {
                return Ok(None);
            };
            queries::invitation_by_token(state(ctx), viewer(ctx), &token).await
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

    /// An organization's invitations, newest first (org admins), optionally only those in
    /// some `status`es, whose email contains `email`, or whose email delivery stands in one of
    /// `emailStatus` (e.g. `[FAILED]`).
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn org_invitations(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        status: Option<Vec<InvitationStatus>>,
        email: Option<String>,
        email_status: Option<Vec<EmailDeliveryStatus>>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Invitation>> {
        let found = async {
            let mut page = page_request(first, after, 20)?;
            page.count_total = ctx.look_ahead().field("totalCount").exists();
            let statuses = status.unwrap_or_default().into_iter().map(Into::into);
            let email_statuses = email_status.unwrap_or_default().into_iter().map(Into::into);
            let filter = InvitationFilter::new(statuses.collect(), email)?
                .with_email_statuses(email_statuses.collect())?;
            queries::org_invitations(state(ctx), viewer(ctx), &org.to_ref(), filter, page).await
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
        let views = queries::my_invitations(state(ctx), viewer(ctx))
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
            queries::registration_invitations(state(ctx), viewer(ctx), page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(page, |view| view.model.id, Invitation))
    }
}
