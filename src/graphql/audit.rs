//! `orgEvents`: an organization's audit log (`OrgEvent`), paged newest first, for its admins;
//! the subscription of the same name (in `subscriptions`) delivers the same rows live.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Result, SimpleObject};
use entity::{invitation_event, user};

use super::connection::{ListConnection, connection, page_cost, page_request};
use super::context::{state, viewer};
use super::loaders::{InvitationId, UserId, loader};
use super::objects::{Invitation, User};
use super::organizations::OrgSelector;
use super::scalars::DateTime;
use crate::domain;
use crate::error::AppError;
use crate::service::audit::{self, EventFilter};
use crate::service::events::{self, Change};
use crate::service::invitations::InvitationView;
use crate::service::invitations::feed::LoadedEvent;

/// What an organization's log records.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::EventKind")]
pub enum OrgEventKind {
    /// An invitation or link was created.
    Created,
    /// Someone joined through an invitation (the actor).
    Accepted,
    /// The invitee declined.
    Declined,
    Cancelled,
    /// An invitation got a new token and email.
    Resent,
    /// An admin paused a link.
    Paused,
    /// An admin resumed a paused link.
    Resumed,
    /// A link got a new token; the old one stopped working.
    Regenerated,
    /// The expiry sweep found an invitation past its expiry.
    Expired,
    /// The one reminder before expiry was emailed to the invitee.
    Reminded,
    /// Someone holding an invitation's token asked for a new one (resend it if you agree).
    RenewalRequested,
    /// The mailbox an invitation went to said it was not meant for them; it was cancelled.
    WrongRecipient,
    /// A member's role changed (the subject; `changes`: role). Also an invitation created
    /// with `onExistingMember: UPGRADE_ROLE` for someone already a member.
    MemberRoleChanged,
    /// An admin removed a member (the subject).
    MemberRemoved,
    /// A member left (actor and subject).
    MemberLeft,
    /// Settings changed (`changes`: each setting, before and after).
    OrgUpdated,
    /// The organization was deleted (`changes`: its name, how many invitations were
    /// cancelled).
    OrgDeleted,
    /// A webhook endpoint failed for too long and was disabled (`changes`: its URL).
    WebhookDisabled,
}

/// One changed value, as text (`null`: none).
#[derive(SimpleObject)]
pub struct OrgEventChange {
    /// The setting or attribute, as the API names it (`role`, `displayName`, …).
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl From<Change> for OrgEventChange {
    fn from(change: Change) -> Self {
        Self {
            field: change.field,
            before: change.before,
            after: change.after,
        }
    }
}

/// One entry of an organization's audit log.
pub struct OrgEvent {
    row: invitation_event::Model,
    /// What a live feed loaded with the event (once for all its subscribers); a page of the
    /// log loads it in batches instead.
    loaded: Option<Loaded>,
}

struct Loaded {
    actor: Option<user::Model>,
    subject: Option<user::Model>,
    invitation: Option<InvitationView>,
}

impl OrgEvent {
    pub fn loaded(event: LoadedEvent) -> Self {
        Self {
            row: event.row,
            loaded: Some(Loaded {
                actor: event.actor,
                subject: event.subject,
                invitation: event.invitation,
            }),
        }
    }

    async fn user(&self, ctx: &Context<'_>, id: Option<i64>) -> Result<Option<User>> {
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(UserId(id)).await?.map(User::new))
    }
}

/// One entry of an organization's audit log: who did what, to whom, and what changed.
#[Object]
impl OrgEvent {
    async fn id(&self) -> ID {
        self.row.id.into()
    }

    async fn kind(&self) -> OrgEventKind {
        self.row.kind.into()
    }

    async fn at(&self) -> DateTime {
        self.row.created_at.into()
    }

    /// Who did it; null for the command line or a deleted account.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match &self.loaded {
            Some(loaded) => Ok(loaded.actor.clone().map(User::new)),
            None => self.user(ctx, self.row.actor_id).await,
        }
    }

    /// The member the event is about (`MEMBER_*`); null otherwise or for a deleted account.
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match &self.loaded {
            Some(loaded) => Ok(loaded.subject.clone().map(User::new)),
            None => self.user(ctx, self.row.subject_id).await,
        }
    }

    /// The invitation an invitation's event is about.
    async fn invitation(&self, ctx: &Context<'_>) -> Result<Option<Invitation>> {
        if let Some(loaded) = &self.loaded {
            return Ok(loaded.invitation.clone().map(Invitation));
        }
        let Some(id) = self.row.invitation_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(InvitationId(id))
            .await?
            .map(Invitation))
    }

    /// What changed, each value before and after; empty for invitation events.
    async fn changes(&self) -> Vec<OrgEventChange> {
        events::changes_of(&self.row)
            .into_iter()
            .map(OrgEventChange::from)
            .collect()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// An organization's audit log, newest first (its admins only): invitation events and
    /// changes to members and settings, optionally only some `kinds`, what one `actor` did,
    /// or what happened from `since` until before `until`.
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn org_events(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        kinds: Option<Vec<OrgEventKind>>,
        actor: Option<ID>,
        since: Option<DateTime>,
        until: Option<DateTime>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<OrgEvent>> {
        let result = async {
            let mut page = page_request(first, after, 20)?;
            page.count_total = ctx.look_ahead().field("totalCount").exists();
            let filter = EventFilter {
                kinds: kinds
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                actor_id: actor
                    .map(|id| {
                        id.parse()
                            .map_err(|_| AppError::bad_input("actor is not a user id"))
                    })
                    .transpose()?,
                since: since.map(|at| at.0),
                until: until.map(|at| at.0),
            };
            audit::org_events(state(ctx), viewer(ctx), &org.to_ref(), filter, page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(
            result,
            |row| row.id,
            |row| OrgEvent { row, loaded: None },
        ))
    }
}
