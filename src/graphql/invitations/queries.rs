//! The invitation behind a token, and the lists: an organization's, the viewer's own, and
//! registration invitations.

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, Result};

use super::{EmailDeliveryStatus, Invitation, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::graphql::connection::{
    ListConnection, connection, connection_with, page_cost, page_request,
};
use crate::graphql::context::{state, throttle, viewer};
use crate::graphql::loaders::{OrgId, UserId, loader};
use crate::graphql::organizations::OrgSelector;
use crate::service::invitations::ordering::{self, SortedPage};
use crate::service::invitations::queries::{self, InvitationFilter};
use crate::service::rate_limits::Action;

/// What `orgInvitations` sorts by; ties go by creation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "ordering::OrderField")]
pub enum InvitationOrderField {
    CreatedAt,
    ExpiresAt,
    /// The invitee's email; open links (no email) come first going up.
    Email,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// The order of a list.
#[derive(InputObject)]
pub struct InvitationOrder {
    pub field: InvitationOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<InvitationOrder> for ordering::InvitationOrder {
    fn from(order: InvitationOrder) -> Self {
        Self {
            field: order.field.into(),
            descending: order.direction == OrderDirection::Desc,
        }
    }
}

#[derive(Default)]
pub struct InvitationsQuery;

#[Object]
impl InvitationsQuery {
    /// The invitation behind a token, for anyone holding it: data for every token an
    /// invitation has or had (whatever its status; `tokenSuperseded` when a newer token
    /// replaced this one), null when no invitation ever had it. `nextStep` says what to do.
    async fn invitation(&self, ctx: &Context<'_>, token: String) -> Result<Option<Invitation>> {
        let found = async {
            throttle(ctx, Action::UseToken).await?;
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

    /// An organization's invitations (org admins), newest first unless `orderBy` says
    /// otherwise, optionally only those in some `status`es, whose email contains `email`, or
    /// whose email delivery stands in one of `emailStatus` (e.g. `[FAILED]`). Page forward
    /// with `first`/`after` or backward with `last`/`before`; a cursor works in the order it
    /// came from.
    #[graphql(complexity = "page_cost(first.or(last)) * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn org_invitations(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        status: Option<Vec<InvitationStatus>>,
        email: Option<String>,
        email_status: Option<Vec<EmailDeliveryStatus>>,
        order_by: Option<InvitationOrder>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<Invitation>> {
        let order: ordering::InvitationOrder = order_by.map(Into::into).unwrap_or_default();
        let found = async {
            // `first` has a default: with `last`, it is the backward page's size instead.
            let first = if last.is_some() || before.is_some() {
                None
            } else {
                first
            };
            let mut page =
                SortedPage::new(order, first, after.as_deref(), last, before.as_deref())?;
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
        Ok(connection_with(
            found.page,
            |view| order.cursor_of(&view.model),
            Invitation,
        ))
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
