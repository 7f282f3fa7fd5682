//! The invitation event log. Rows are written inside the caller's transaction ([`record`]);
//! the caller hands the returned [`Committed`] to [`announce`] after commit, so metrics and
//! subscribers (through the [`EventBus`](super::bus::EventBus)) only ever hear of committed
//! events.

use entity::{invitation, invitation_event};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::domain::InvitationEventKind;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::bus::BusEvent;

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
}

impl Committed {
    /// `count` emails queued in the outbox.
    pub fn emails(count: usize) -> Self {
        Self {
            emails_queued: count as u64,
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
        self
    }
}

/// After commit: counts the events and emails in the metrics, wakes the outbox worker when
/// mail was queued and publishes the events to subscribers.
pub async fn announce(ctx: &Ctx, committed: Committed) {
    let metrics = &ctx.metrics;
    for event in committed.events.iter().chain(&committed.notified) {
        let counter = match event.kind {
            InvitationEventKind::Created => &metrics.invitations_created,
            InvitationEventKind::Accepted => &metrics.invitations_accepted,
            InvitationEventKind::Declined => &metrics.invitations_declined,
            InvitationEventKind::Cancelled => &metrics.invitations_cancelled,
            InvitationEventKind::Resent => &metrics.invitations_resent,
        };
        counter.inc();
    }
    if committed.emails_queued > 0 {
        metrics.emails_queued.inc_by(committed.emails_queued);
        ctx.outbox_wakeup.notify_one();
    }
    ctx.bus.publish(committed.events).await;
}

/// Appends one event row per invitation, with one actor and kind, in the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    invitations: &[&invitation::Model],
    kind: InvitationEventKind,
    actor_id: Option<i64>,
) -> Result<Committed, AppError> {
    if invitations.is_empty() {
        return Ok(Committed::default());
    }
    let now = crate::db::now();
    let rows = invitations
        .iter()
        .map(|invitation| invitation_event::ActiveModel {
            invitation_id: Set(invitation.id),
            organization_id: Set(invitation.organization_id),
            kind: Set(kind),
            actor_id: Set(actor_id),
            created_at: Set(now),
            ..Default::default()
        });
    let rows = invitation_event::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?;
    Ok(Committed {
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
