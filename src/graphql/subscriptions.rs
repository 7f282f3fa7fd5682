//! `invitationAccepted` and `invitationEvents`: live feeds of an organization's committed
//! invitation events, for its admins. A feed ends when the subscriber's access token expires.

use async_graphql::{Context, Enum, ErrorExtensions, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast;

use super::accounts::User;
use super::invitations::Invitation;
use super::organizations::{Membership, OrgSelector};
use super::{state, viewer};
use crate::app::AppState;
use crate::auth::Viewer;
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
        feed(ctx, &org, |loaded| {
            Some(InvitationEvent {
                kind: loaded.kind.into(),
                invitation: Invitation(loaded.invitation),
                actor: loaded.actor.map(User::new),
                at: loaded.at,
            })
        })
        .await
    }

    /// Acceptances in an organization (its admins only).
    async fn invitation_accepted(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<impl Stream<Item = Result<InvitationAcceptedEvent>> + use<>> {
        feed(ctx, &org, |loaded| match loaded {
            LoadedEvent {
                kind: domain::InvitationEventKind::Accepted,
                invitation,
                actor: Some(user),
                membership: Some(membership),
                at,
            } => Some(InvitationAcceptedEvent {
                invitation: Invitation(invitation),
                user: User::new(user),
                membership: Membership(membership),
                accepted_at: at,
            }),
            _ => None,
        })
        .await
    }
}

/// What a feed keeps between events.
struct Feed<F> {
    received: broadcast::Receiver<BusEvent>,
    state: AppState,
    viewer: Viewer,
    org_id: i64,
    expiry: Option<DateTime<Utc>>,
    item: F,
}

/// The organization's committed events, loaded for the viewer and made into items by `item`
/// (`None` skips an event), until the session expires. Each wait for the next event lives in
/// one boxed future: an idle subscription holds a few hundred bytes, not room for a whole
/// load and its item, which matters with 10,000 of them open.
async fn feed<T, F>(
    ctx: &Context<'_>,
    org: &OrgSelector,
    item: F,
) -> Result<impl Stream<Item = Result<T>> + use<T, F>>
where
    T: Send + 'static,
    F: FnMut(LoadedEvent) -> Option<T> + Send + 'static,
{
    let state = state(ctx).clone();
    let viewer = viewer(ctx).clone();
    // Listen before the first await, so no event committed after the subscribe message came
    // in is missed while authorization runs.
    let received = state.bus.subscribe();
    let org = events::authorize_feed(&state, &viewer, &org.to_ref())
        .await
        .map_err(|err| err.extend())?;
    let feed = Feed {
        received,
        state,
        viewer,
        org_id: org.id,
        expiry: ctx.data_opt::<SessionExpiry>().map(|expiry| expiry.0),
        item,
    };
    Ok(futures_util::stream::unfold(feed, |mut feed| {
        Box::pin(async move {
            let item = feed.next().await?;
            Some((item, feed))
        })
    }))
}

impl<T, F: FnMut(LoadedEvent) -> Option<T>> Feed<F> {
    /// The next item; `None` once the session has expired (or the bus is gone).
    async fn next(&mut self) -> Option<Result<T>> {
        loop {
            let received = tokio::select! {
                received = self.received.recv() => received,
                () = session_end(self.expiry) => return None,
            };
            let event = match received {
                Ok(event) if event.organization_id == Some(self.org_id) => event,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind and missed events");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            match events::load(&self.state, &self.viewer, &event).await {
                Ok(Some(loaded)) => {
                    if let Some(item) = (self.item)(loaded) {
                        return Some(Ok(item));
                    }
                }
                Ok(None) => {}
                Err(err) => return Some(Err(err.extend())),
            }
        }
    }
}

/// Resolves when the access token expires; never without one.
async fn session_end(expiry: Option<DateTime<Utc>>) {
    match expiry {
        Some(at) => {
            let left = (at - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(left).await;
        }
        None => std::future::pending::<()>().await,
    }
}
