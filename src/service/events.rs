//! The invitation event log and its live feed. Rows are written inside the caller's
//! transaction; the caller hands the returned [`Committed`] to [`EventBus::publish`] after
//! commit, so subscribers only ever hear of committed events. On PostgreSQL the feed crosses
//! instances through `LISTEN/NOTIFY`; on SQLite it stays in the process.

use entity::{invitation, invitation_event};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::app::AppState;
use crate::domain::InvitationEventKind;
use crate::error::AppError;

/// What travels on the bus: enough to filter by organization and kind; subscribers load the
/// row itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BusEvent {
    pub id: i64,
    pub invitation_id: i64,
    pub organization_id: Option<i64>,
    pub kind: String,
    pub actor_id: Option<i64>,
}

/// What a transaction wrote that others must hear of: its events and how many emails it
/// queued. Hand it to [`announce`] once the transaction has committed.
#[must_use = "announce it after the transaction commits"]
#[derive(Debug, Default)]
pub struct Committed {
    events: Vec<BusEvent>,
    emails_queued: u64,
}

impl Committed {
    /// `count` emails queued in the outbox.
    pub fn emails(count: usize) -> Self {
        Self {
            events: Vec::new(),
            emails_queued: count as u64,
        }
    }

    pub fn merge(mut self, other: Committed) -> Self {
        self.events.extend(other.events);
        self.emails_queued += other.emails_queued;
        self
    }
}

/// After commit: counts the events and emails in the metrics, wakes the outbox worker when
/// mail was queued and publishes the events to subscribers.
pub async fn announce(state: &AppState, committed: Committed) {
    let metrics = &state.metrics;
    for event in &committed.events {
        let counter = match event.kind.parse::<InvitationEventKind>() {
            Ok(InvitationEventKind::Created) => &metrics.invitations_created,
            Ok(InvitationEventKind::Accepted) => &metrics.invitations_accepted,
            Ok(InvitationEventKind::Declined) => &metrics.invitations_declined,
            Ok(InvitationEventKind::Cancelled) => &metrics.invitations_cancelled,
            Ok(InvitationEventKind::Resent) => &metrics.invitations_resent,
            Err(_) => continue,
        };
        counter.inc();
    }
    if committed.emails_queued > 0 {
        metrics.emails_queued.inc_by(committed.emails_queued);
        state.outbox_wakeup.notify_one();
    }
    state.bus.publish(committed.events).await;
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
    let now = super::now();
    let rows = invitations
        .iter()
        .map(|invitation| invitation_event::ActiveModel {
            invitation_id: Set(invitation.id),
            organization_id: Set(invitation.organization_id),
            kind: Set(kind.as_str().to_owned()),
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
        emails_queued: 0,
    })
}

const CHANNEL: &str = "doorman_invitation_events";

/// Fans committed events out to this process's subscribers (and, on PostgreSQL, to every
/// instance's).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<BusEvent>,
    db: DatabaseConnection,
}

impl EventBus {
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self { sender, db }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.sender.subscribe()
    }

    /// Publishes committed events. On PostgreSQL they go through `NOTIFY`, and come back to
    /// this process through its listener like to every other instance.
    async fn publish(&self, events: Vec<BusEvent>) {
        if events.is_empty() {
            return;
        }
        if self.db.get_database_backend() != DbBackend::Postgres {
            for event in events {
                let _ = self.sender.send(event);
            }
            return;
        }
        for event in events {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            let notify = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                ))
                .await;
            if let Err(err) = notify {
                tracing::warn!(error = %err, event_id = event.id, "could not publish an event");
            }
        }
    }

    /// On PostgreSQL, listens for events from every instance until the process ends;
    /// reconnects by itself when the connection drops.
    pub async fn listen(&self, database_url: &str) -> anyhow::Result<()> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut listener = PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => match serde_json::from_str(notification.payload()) {
                        Ok(event) => {
                            let _ = sender.send(event);
                        }
                        Err(err) => tracing::warn!(error = %err, "malformed event notification"),
                    },
                    Err(err) => {
                        tracing::warn!(error = %err, "event listener lost its connection; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }
}

/// An event as a subscriber sees it.
pub struct LoadedEvent {
    pub kind: InvitationEventKind,
    pub at: chrono::DateTime<chrono::Utc>,
    pub invitation: crate::service::invitations::InvitationView,
    pub actor: Option<entity::user::Model>,
    /// For ACCEPTED: the membership the accept created.
    pub membership: Option<entity::membership::Model>,
}

/// Checks that the viewer may follow an organization's events (its admins only).
pub async fn authorize_feed(
    state: &crate::app::AppState,
    viewer: &crate::auth::Viewer,
    org: &crate::service::organizations::OrgRef,
) -> Result<entity::organization::Model, AppError> {
    super::require_user(viewer)?;
    let org = crate::service::invitations::require_org(&state.db, org, false).await?;
    crate::service::invitations::require_org_admin(&state.db, viewer, &org).await?;
    Ok(org)
}

/// Loads what subscribers receive for one committed event; `None` if it is gone.
pub async fn load(
    state: &crate::app::AppState,
    viewer: &crate::auth::Viewer,
    event: &BusEvent,
) -> Result<Option<LoadedEvent>, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};

    let Some(row) = invitation_event::Entity::find_by_id(event.id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(invitation) = invitation::Entity::find_by_id(row.invitation_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let actor = match row.actor_id {
        Some(id) => entity::user::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let kind: InvitationEventKind = row
        .kind
        .parse()
        .map_err(|err: String| AppError::Internal(anyhow::anyhow!(err)))?;
    let membership = match (kind, row.organization_id, &actor) {
        (InvitationEventKind::Accepted, Some(org_id), Some(actor)) => {
            entity::membership::Entity::find()
                .filter(entity::membership::Column::OrganizationId.eq(org_id))
                .filter(entity::membership::Column::UserId.eq(actor.id))
                .one(&state.db)
                .await?
        }
        _ => None,
    };
    Ok(Some(LoadedEvent {
        kind,
        at: row.created_at,
        invitation: crate::service::invitations::view(&state.db, viewer, invitation).await?,
        actor,
        membership,
    }))
}
