//! `orgEvents`, `invitationEvents` and `invitationAccepted`: live feeds of an organization's
//! committed events, for its admins. A feed lasts as long as its connection, which closes
//! when the access token expires (4403, so clients connect again with a fresh one and their
//! subscriptions resume). Rights are checked again with every event of the organization
//! (from the admins read with it, so this costs no query of its own), and demoting, removing
//! or deleting is itself such an event: a feed whose subscriber lost the right ends at once
//! with `FORBIDDEN` (`NOT_FOUND` when the organization was deleted).

use std::collections::{HashSet, VecDeque};

use async_graphql::{Context, Enum, ErrorExtensions, Result, SimpleObject, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast;

use super::audit::{OrgEvent, OrgEventKind};
use super::context::{state, viewer};
use super::objects::{Invitation, Membership, User};
use super::organizations::OrgSelector;
use crate::auth::Viewer;
use crate::domain;
use crate::error::AppError;
use crate::service::bus::BusEvent;
use crate::service::invitations::feed::{self, LoadedEvent};
use crate::service::{Ctx, audit};

/// What happened to an invitation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationEventKind {
    Created,
    Accepted,
    Declined,
    Cancelled,
    Resent,
    Paused,
    Resumed,
    Regenerated,
    /// The expiry sweep found it past its expiry.
    Expired,
    /// The one reminder before expiry was queued.
    Reminded,
    /// Someone holding its token asked for a new invitation.
    RenewalRequested,
    /// The invitee said it was not meant for them; it was cancelled.
    WrongRecipient,
}

impl InvitationEventKind {
    /// The kind of an invitation's event; `None` for events about members or the
    /// organization.
    fn of(kind: domain::EventKind) -> Option<Self> {
        use domain::EventKind as Kind;
        Some(match kind {
            Kind::Created => Self::Created,
            Kind::Accepted => Self::Accepted,
            Kind::Declined => Self::Declined,
            Kind::Cancelled => Self::Cancelled,
            Kind::Resent => Self::Resent,
            Kind::Paused => Self::Paused,
            Kind::Resumed => Self::Resumed,
            Kind::Regenerated => Self::Regenerated,
            Kind::Expired => Self::Expired,
            Kind::Reminded => Self::Reminded,
            Kind::RenewalRequested => Self::RenewalRequested,
            Kind::WrongRecipient => Self::WrongRecipient,
            Kind::MemberRoleChanged
            | Kind::MemberRemoved
            | Kind::MemberLeft
            | Kind::OrgUpdated
            | Kind::OrgDeleted
            | Kind::WebhookDisabled => return None,
        })
    }
}

/// Something that happened to an invitation.
#[derive(SimpleObject)]
pub struct InvitationEvent {
    pub kind: InvitationEventKind,
    pub invitation: Invitation,
    /// Who did it; null for the command line or a deleted account.
    pub actor: Option<User>,
    pub at: super::scalars::DateTime,
}

/// Someone joined through an invitation.
#[derive(SimpleObject)]
pub struct InvitationAcceptedEvent {
    pub invitation: Invitation,
    pub user: User,
    pub membership: Membership,
    pub accepted_at: super::scalars::DateTime,
}

#[derive(Default)]
pub struct InvitationsSubscription;

#[Subscription]
impl InvitationsSubscription {
    /// Every event of an organization as it commits (its admins only): its audit log
    /// (`orgEvents` query) live, optionally only some kinds.
    pub(crate) async fn org_events(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        kinds: Option<Vec<OrgEventKind>>,
    ) -> Result<impl Stream<Item = Result<OrgEvent>> + use<>> {
        let kinds = kinds
            .map(|kinds| audit::kinds_filter(kinds.into_iter().map(Into::into).collect()))
            .transpose()
            .map_err(|err| err.extend())?;
        feed(ctx, &org, move |loaded| {
            let wanted = kinds
                .as_ref()
                .is_none_or(|kinds| kinds.contains(&loaded.kind()));
            wanted.then(|| OrgEvent::loaded(loaded))
        })
        .await
    }

    /// Every invitation event of an organization (its admins only).
    pub(crate) async fn invitation_events(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<impl Stream<Item = Result<InvitationEvent>> + use<>> {
        feed(ctx, &org, |loaded| {
            Some(InvitationEvent {
                kind: InvitationEventKind::of(loaded.kind())?,
                at: loaded.row.created_at.into(),
                invitation: Invitation(loaded.invitation?),
                actor: loaded.actor.map(User::new),
            })
        })
        .await
    }

    /// Acceptances in an organization (its admins only).
    pub(crate) async fn invitation_accepted(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<impl Stream<Item = Result<InvitationAcceptedEvent>> + use<>> {
        feed(ctx, &org, |loaded| match loaded {
            LoadedEvent {
                row,
                invitation: Some(invitation),
                actor: Some(user),
                membership: Some(membership),
                ..
            } if row.kind == domain::EventKind::Accepted => Some(InvitationAcceptedEvent {
                invitation: Invitation(invitation),
                user: User::new(user),
                membership: Membership(membership),
                accepted_at: row.created_at.into(),
            }),
            _ => None,
        })
        .await
    }
}

/// What a feed keeps between events.
struct Feed<F> {
    received: broadcast::Receiver<BusEvent>,
    /// Events of the organization heard on the channel of every event while the subscription
    /// was being authorized, handed on first; and their ids, to skip their second copy.
    early: VecDeque<BusEvent>,
    early_ids: HashSet<i64>,
    state: Ctx,
    viewer: Viewer,
    org_id: i64,
    item: F,
    /// The subscriber lost the right to this feed: it has said so and ends.
    revoked: bool,
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
    let mut everything = state.bus.subscribe();
    let org = feed::authorize_feed(&state, &viewer, &org.to_ref())
        .await
        .map_err(|err| err.extend())?;
    // From now on the organization's own channel, which a burst in other organizations
    // cannot make fall behind; what came meanwhile is taken from the channel of everything.
    let received = state.bus.subscribe_org(org.id);
    let mut early = VecDeque::new();
    loop {
        match everything.try_recv() {
            Ok(event) if event.organization_id == Some(org.id) => early.push_back(event),
            Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    drop(everything);
    let feed = Feed {
        early_ids: early.iter().map(|event| event.id).collect(),
        early,
        received,
        state,
        viewer,
        org_id: org.id,
        item,
        revoked: false,
    };
    Ok(futures_util::stream::unfold(feed, |mut feed| {
        Box::pin(async move {
            let item = feed.next().await?;
            Some((item, feed))
        })
    }))
}

impl<T, F: FnMut(LoadedEvent) -> Option<T>> Feed<F> {
    /// The next item; `None` once the bus is gone, and after the
    /// `FORBIDDEN` that ends a feed whose subscriber is no longer an admin.
    async fn next(&mut self) -> Option<Result<T>> {
        if self.revoked {
            return None;
        }
        loop {
            let received = match self.early.pop_front() {
                Some(event) => Ok(event),
                None => match self.received.recv().await {
                    Ok(event) if self.early_ids.remove(&event.id) => continue,
                    received => received,
                },
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
            match feed::load(&self.state, &self.viewer, &event).await {
                Ok(Some(loaded)) if loaded.kind() == domain::EventKind::OrgDeleted => {
                    self.revoked = true;
                    return Some(Err(AppError::not_found(
                        "the organization was deleted: its events stop here",
                    )
                    .extend()));
                }
                Ok(Some(loaded)) if !loaded.viewer_is_admin => {
                    self.revoked = true;
                    return Some(Err(AppError::forbidden(
                        "you are no longer an admin of this organization: its events stop here",
                    )
                    .extend()));
                }
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
