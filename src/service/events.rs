//! The invitation event log and its live feed. Rows are written inside the caller's
//! transaction; the caller hands the returned [`Committed`] to [`EventBus::publish`] after
//! commit, so subscribers only ever hear of committed events. On PostgreSQL the feed crosses
//! instances through `LISTEN/NOTIFY`; on SQLite it stays in the process.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use entity::{invitation, invitation_event, membership, user};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

use crate::domain::InvitationEventKind;
use crate::error::AppError;
use crate::service::Ctx;

/// What travels on the bus: enough to filter by organization and kind; subscribers load the
/// row itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BusEvent {
    pub id: i64,
    pub invitation_id: i64,
    pub organization_id: Option<i64>,
    pub kind: InvitationEventKind,
    pub actor_id: Option<i64>,
}

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

/// The `LISTEN/NOTIFY` channel of committed events.
pub const CHANNEL: &str = "doorman_invitation_events";

/// Fans committed events out to this process's subscribers (and, on PostgreSQL, to every
/// instance's).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<BusEvent>,
    db: DatabaseConnection,
    /// Events as subscribers see them, loaded once per process however many subscribe.
    loaded: Arc<Mutex<LoadedEvents>>,
}

impl EventBus {
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            sender,
            db,
            loaded: Arc::default(),
        }
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
        // One round trip for all of them (a bulk invite has 100), in order.
        let payloads = serde_json::to_string(&events).unwrap_or_default();
        let notify = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, payload::text) FROM json_array_elements($2::json) AS payload",
                [CHANNEL.into(), payloads.into()],
            ))
            .await;
        if let Err(err) = notify {
            tracing::warn!(error = %err, events = events.len(), "could not publish events");
        }
    }

    /// The cell that holds event `id` as subscribers see it; the first subscriber to need it
    /// loads it, the others wait for that load.
    fn loaded_slot(&self, id: i64) -> Arc<OnceCell<Option<Arc<SharedEvent>>>> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = loaded.slots.get(&id) {
            return Arc::clone(slot);
        }
        if loaded.order.len() >= LOADED_EVENTS_KEPT
            && let Some(oldest) = loaded.order.pop_front()
        {
            loaded.slots.remove(&oldest);
        }
        let slot = Arc::new(OnceCell::new());
        loaded.order.push_back(id);
        loaded.slots.insert(id, Arc::clone(&slot));
        slot
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

/// How many recent events stay loaded for subscribers that are still catching up.
const LOADED_EVENTS_KEPT: usize = 1024;

#[derive(Default)]
struct LoadedEvents {
    slots: HashMap<i64, Arc<OnceCell<Option<Arc<SharedEvent>>>>>,
    order: VecDeque<i64>,
}

/// What every subscriber of one event receives, whoever it is.
struct SharedEvent {
    kind: InvitationEventKind,
    at: chrono::DateTime<chrono::Utc>,
    invitation: invitation::Model,
    actor: Option<user::Model>,
    membership: Option<membership::Model>,
    /// The admins of the invitation's organization when the event was loaded: the
    /// subscribers who manage it.
    org_admins: HashSet<i64>,
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
    ctx: &crate::service::Ctx,
    viewer: &crate::auth::Viewer,
    org: &crate::service::organizations::OrgRef,
) -> Result<entity::organization::Model, AppError> {
    super::require_user(viewer)?;
    let org = crate::service::invitations::require_org(&ctx.db, org, false).await?;
    crate::service::invitations::require_org_admin(&ctx.db, viewer, &org).await?;
    Ok(org)
}

/// Loads what subscribers receive for one committed event; `None` if it is gone. The rows
/// are read once per event and process (with 10,000 subscribers, not 10,000 times); what
/// depends on the subscriber (whether it manages the invitation) is decided here from them.
pub async fn load(
    ctx: &crate::service::Ctx,
    viewer: &crate::auth::Viewer,
    event: &BusEvent,
) -> Result<Option<LoadedEvent>, AppError> {
    let slot = ctx.bus.loaded_slot(event.id);
    // Boxed so that each of the many subscribers waiting here holds a pointer, not the load.
    let shared = slot
        .get_or_try_init(|| Box::pin(load_shared(&ctx.db, event.id)))
        .await?;
    let Some(shared) = shared else {
        return Ok(None);
    };
    let model = &shared.invitation;
    let viewer_is_admin = viewer.user().is_some_and(|user| {
        (model.action == crate::domain::invitation_rules::InvitationAction::RegisterAccount
            && user.is_server_admin)
            || (model.organization_id.is_some() && shared.org_admins.contains(&user.id))
    });
    Ok(Some(LoadedEvent {
        kind: shared.kind,
        at: shared.at,
        invitation: crate::service::invitations::InvitationView {
            viewer_is_admin,
            viewer_is_invitee: crate::service::invitations::is_invitee(viewer, model),
            model: model.clone(),
            link: None,
        },
        actor: shared.actor.clone(),
        membership: shared.membership.clone(),
    }))
}

async fn load_shared(
    db: &DatabaseConnection,
    event_id: i64,
) -> Result<Option<Arc<SharedEvent>>, AppError> {
    let Some(row) = invitation_event::Entity::find_by_id(event_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(invitation) = invitation::Entity::find_by_id(row.invitation_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let actor = match row.actor_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let kind = row.kind;
    let membership = match (kind, row.organization_id, &actor) {
        (InvitationEventKind::Accepted, Some(org_id), Some(actor)) => {
            membership::Entity::find()
                .filter(membership::Column::OrganizationId.eq(org_id))
                .filter(membership::Column::UserId.eq(actor.id))
                .one(db)
                .await?
        }
        _ => None,
    };
    let org_admins = match invitation.organization_id {
        Some(org_id) => membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .filter(membership::Column::OrganizationId.eq(org_id))
            .filter(membership::Column::Role.eq(crate::domain::org_role::OrgRole::Admin))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    };
    Ok(Some(Arc::new(SharedEvent {
        kind,
        at: row.created_at,
        invitation,
        actor,
        membership,
        org_admins,
    })))
}
