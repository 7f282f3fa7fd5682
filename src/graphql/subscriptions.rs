//! `invitationAccepted` and `invitationEvents`: live feeds of an organization's committed
//! invitation events, for its admins. A feed ends when the subscriber's access token expires.

use async_graphql::{Context, Enum, ErrorExtensions, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::accounts::User;
use super::invitations::Invitation;
use super::organizations::{Membership, OrgSelector};
use super::{state, viewer};
use crate::domain;
use crate::service::events::{self, BusEvent, LoadedEvent};

/// When the subscriber's access token stops working; the feed ends then.
#[derive(Clone, Copy)]
pub struct SessionExpiry(pub DateTime<Utc>);

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationEventKind {
    Created,
    Accepted,
    Declined,
    Cancelled,
    Resent,
}

impl From<domain::InvitationEventKind> for InvitationEventKind {
    fn from(kind: domain::InvitationEventKind) -> Self {
        match kind {
            domain::InvitationEventKind::Created => Self::Created,
            domain::InvitationEventKind::Accepted => Self::Accepted,
            domain::InvitationEventKind::Declined => Self::Declined,
            domain::InvitationEventKind::Cancelled => Self::Cancelled,
            domain::InvitationEventKind::Resent => Self::Resent,
        }
    }
}

/// Something that happened to an invitation.
#[derive(SimpleObject)]
pub struct InvitationEvent {
    pub kind: InvitationEventKind,
    pub invitation: Invitation,
    /// Who did it; null for the command line or a deleted account.
    pub actor: Option<User>,
    pub at: DateTime<Utc>,
}

/// Someone joined through an invitation.
#[derive(SimpleObject)]
pub struct InvitationAcceptedEvent {
    pub invitation: Invitation,
    pub user: User,
    pub membership: Membership,
    pub accepted_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct InvitationsSubscription;

#[Subscription]
impl InvitationsSubscription {
    /// Every invitation event of an organization (its admins only).
    async fn invitation_events(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<impl Stream<Item = Result<InvitationEvent>> + use<>> {
        let feed = feed(ctx, &org).await?;
        Ok(feed.filter_map(|loaded| async move {
            match loaded {
                Err(err) => Some(Err(err)),
                Ok(loaded) => Some(Ok(InvitationEvent {
                    kind: loaded.kind.into(),
                    invitation: Invitation(loaded.invitation),
                    actor: loaded.actor.map(User::new),
                    at: loaded.at,
                })),
            }
        }))
    }

    /// Acceptances in an organization (its admins only).
    async fn invitation_accepted(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<impl Stream<Item = Result<InvitationAcceptedEvent>> + use<>> {
        let feed = feed(ctx, &org).await?;
        Ok(feed.filter_map(|loaded| async move {
            match loaded {
                Err(err) => Some(Err(err)),
                Ok(LoadedEvent {
                    kind: domain::InvitationEventKind::Accepted,
                    invitation,
                    actor: Some(user),
                    membership: Some(membership),
                    at,
                }) => Some(Ok(InvitationAcceptedEvent {
                    invitation: Invitation(invitation),
                    user: User::new(user),
                    membership: Membership(membership),
                    accepted_at: at,
                })),
                Ok(_) => None,
            }
        }))
    }
}

/// The organization's committed events, loaded for the viewer, until the session expires.
async fn feed(
    ctx: &Context<'_>,
    org: &OrgSelector,
) -> Result<impl Stream<Item = Result<LoadedEvent>> + use<>> {
    let state = state(ctx).clone();
    let viewer = viewer(ctx).clone();
    // Listen before the first await, so no event committed after the subscribe message came
    // in is missed while authorization runs.
    let received = state.bus.subscribe();
    let org = events::authorize_feed(&state, &viewer, &org.to_ref())
        .await
        .map_err(|err| err.extend())?;
    let expiry = ctx.data_opt::<SessionExpiry>().map(|expiry| expiry.0);
    let ends = async move {
        match expiry {
            Some(at) => {
                let left = (at - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(left).await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    let org_id = org.id;
    let events = BroadcastStream::new(received)
        .filter_map(move |received| {
            let keep = match received {
                Ok(event) if event.organization_id == Some(org_id) => Some(event),
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(error = %err, "a subscriber fell behind and missed events");
                    None
                }
            };
            std::future::ready(keep)
        })
        .then(move |event: BusEvent| {
            let state = state.clone();
            let viewer = viewer.clone();
            async move { events::load(&state, &viewer, &event).await }
        })
        .filter_map(|loaded| {
            std::future::ready(match loaded {
                Ok(Some(loaded)) => Some(Ok(loaded)),
                Ok(None) => None,
                Err(err) => Some(Err(err.extend())),
            })
        })
        .take_until(ends);
    Ok(events)
}
