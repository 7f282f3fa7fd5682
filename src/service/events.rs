//! The event log: an organization's audit log of invitation transitions and of changes to its
//! members and settings. Rows are written inside the caller's transaction ([`record`]);
//! the caller hands the returned [`Committed`] to [`announce`] after commit, so metrics and
//! subscribers (through the [`EventBus`](super::bus::EventBus)) only ever hear of committed
//! events.

use entity::{invitation, invitation_event};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::domain::EventKind;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::bus::BusEvent;
use crate::service::webhooks::deliveries;

/// What a transaction wrote that others must hear of: its events and how many emails it
/// queued. Hand it to [`announce`] once the transaction has committed.
#[must_use = "announce it after the transaction commits"]
#[derive(Debug, Default)]
pub struct Committed {
    events: Vec<BusEvent>,
    /// Events whose `NOTIFY` went out with the statement that wrote them (PostgreSQL delivers
    /// it on commit): counted, not published again.
    notified: Vec<BusEvent>,
    emails_queued: u64,
    /// Webhook deliveries written.
    webhooks_queued: u64,
}

impl Committed {
    /// `count` emails queued in the outbox.
    pub fn emails(count: usize) -> Self {
        Self {
            emails_queued: count as u64,
            ..Self::default()
        }
    }

    /// `count` webhook deliveries written.
    pub fn webhooks(count: u64) -> Self {
        Self {
            webhooks_queued: count,
            ..Self::default()
        }
    }

    /// Events that the transaction itself notified (`pg_notify` in the writing statement).
    pub fn notified(events: Vec<BusEvent>) -> Self {
        Self {
            notified: events,
            ..Self::default()
        }
    }

    pub fn merge(mut self, other: Committed) -> Self {
        self.events.extend(other.events);
        self.notified.extend(other.notified);
        self.emails_queued += other.emails_queued;
        self.webhooks_queued += other.webhooks_queued;
        self
    }
}

/// After commit: counts the events and emails in the metrics, wakes the outbox worker when
/// mail was queued and publishes the events to subscribers.
pub async fn announce(ctx: &Ctx, committed: Committed) {
    let metrics = &ctx.metrics;
    for event in committed.events.iter().chain(&committed.notified) {
        let counter = match event.kind {
            EventKind::Created => &metrics.invitations_created,
            EventKind::Accepted => &metrics.invitations_accepted,
            EventKind::Declined => &metrics.invitations_declined,
            EventKind::Cancelled => &metrics.invitations_cancelled,
            EventKind::Resent => &metrics.invitations_resent,
            EventKind::Expired => &metrics.invitations_expired,
            EventKind::Paused
            | EventKind::Resumed
            | EventKind::Reminded
            | EventKind::RenewalRequested
            | EventKind::WrongRecipient
            | EventKind::Regenerated
            | EventKind::MemberRoleChanged
            | EventKind::MemberRemoved
            | EventKind::MemberLeft
            | EventKind::OrgUpdated
            | EventKind::OrgDeleted
            | EventKind::WebhookDisabled => continue,
        };
        counter.inc();
    }
    if committed.emails_queued > 0 {
        metrics.emails_queued.inc_by(committed.emails_queued);
        ctx.outbox_wakeup.notify_one();
    }
    if committed.webhooks_queued > 0 {
        ctx.webhook_wakeup.notify_one();
    }
    // Read-your-writes: whoever wrote reads from the primary for a while.
    if let Some(replica) = &ctx.replica {
        for actor in committed
            .events
            .iter()
            .chain(&committed.notified)
            .filter_map(|e| e.actor_id)
        {
            replica.wrote(actor);
        }
    }
    ctx.bus.publish(committed.events, &committed.notified).await;
}

/// Appends one event row per invitation, with one actor and kind, in the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    invitations: &[&invitation::Model],
    kind: EventKind,
    actor_id: Option<i64>,
) -> Result<Committed, AppError> {
    if invitations.is_empty() {
        return Ok(Committed::default());
    }
    let now = crate::db::now();
    let rows = invitations
        .iter()
        .map(|invitation| invitation_event::ActiveModel {
            invitation_id: Set(Some(invitation.id)),
            organization_id: Set(invitation.organization_id),
            kind: Set(kind),
            actor_id: Set(actor_id),
            created_at: Set(now),
            subject_id: Set(None),
            changes: Set(None),
            ..Default::default()
        });
    insert(txn, rows).await
}

/// One changed setting or attribute: its name and its value before and after, as text
/// (`None`: it had or has no value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Change {
    pub fn new(field: &str, before: Option<String>, after: Option<String>) -> Self {
        Self {
            field: field.to_owned(),
            before,
            after,
        }
    }
}

/// An event about the organization or one of its members rather than an invitation.
pub struct OrgEvent {
    pub organization_id: i64,
    pub kind: EventKind,
    pub actor_id: Option<i64>,
    /// The member it is about.
    pub subject_id: Option<i64>,
    pub changes: Vec<Change>,
}

/// Appends an organization's event in the caller's transaction.
pub async fn record_org(
    txn: &impl ConnectionTrait,
    event: OrgEvent,
) -> Result<Committed, AppError> {
    let changes = stored_changes(&event.changes)?;
    let row = invitation_event::ActiveModel {
        invitation_id: Set(None),
        organization_id: Set(Some(event.organization_id)),
        kind: Set(event.kind),
        actor_id: Set(event.actor_id),
        created_at: Set(crate::db::now()),
        subject_id: Set(event.subject_id),
        changes: Set(changes),
        ..Default::default()
    };
    insert(txn, [row]).await
}

/// One invitation's event that says what changed and why (a link paused for its rate).
pub async fn record_changed(
    txn: &impl ConnectionTrait,
    invitation: &invitation::Model,
    kind: EventKind,
    actor_id: Option<i64>,
    changes: &[Change],
) -> Result<Committed, AppError> {
    let row = invitation_event::ActiveModel {
        invitation_id: Set(Some(invitation.id)),
        organization_id: Set(invitation.organization_id),
        kind: Set(kind),
        actor_id: Set(actor_id),
        created_at: Set(crate::db::now()),
        subject_id: Set(None),
        changes: Set(stored_changes(changes)?),
        ..Default::default()
    };
    insert(txn, [row]).await
}

/// `changes` as the `changes` column keeps them: JSON, or null for none.
fn stored_changes(changes: &[Change]) -> Result<Option<String>, AppError> {
    (!changes.is_empty())
        .then(|| serde_json::to_string(changes))
        .transpose()
        .map_err(|err| AppError::Internal(err.into()))
}

/// The changes an event row names; a row without any (every invitation event) names none.
pub fn changes_of(row: &invitation_event::Model) -> Vec<Change> {
    row.changes
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

async fn insert(
    txn: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = invitation_event::ActiveModel>,
) -> Result<Committed, AppError> {
    let rows = invitation_event::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let webhooks_queued = deliveries::enqueue(txn, &ids).await?;
    Ok(Committed {
        webhooks_queued,
        events: rows
            .into_iter()
            .map(|row| BusEvent {
                id: row.id,
                invitation_id: row.invitation_id,
                organization_id: row.organization_id,
                kind: row.kind,
                actor_id: row.actor_id,
            })
            .collect(),
        ..Committed::default()
    })
}
