//! The live feed of committed invitation events. On PostgreSQL it crosses instances through
//! `LISTEN/NOTIFY`; on SQLite it stays in the process. What a subscriber may see of an event
//! is decided above it (`invitations::feed`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use entity::{invitation, invitation_event, membership, user};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

use crate::domain::InvitationEventKind;
use crate::domain::org_role::OrgRole;
use crate::error::AppError;

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
    pub(super) async fn publish(&self, events: Vec<BusEvent>) {
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

    /// Event `id` as every subscriber sees it, loaded by the first subscriber to need it while
    /// the others wait for that load (with 10,000 subscribers, once, not 10,000 times);
    /// `None` if it is gone.
    pub(super) async fn shared(&self, id: i64) -> Result<Option<Arc<SharedEvent>>, AppError> {
        let slot = self.loaded_slot(id);
        // Boxed so that each of the many subscribers waiting here holds a pointer, not the load.
        let shared = slot
            .get_or_try_init(|| Box::pin(load_shared(&self.db, id)))
            .await?;
        Ok(shared.clone())
    }

    /// The cell that holds event `id` as subscribers see it.
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
pub(super) struct SharedEvent {
    pub kind: InvitationEventKind,
    pub at: chrono::DateTime<chrono::Utc>,
    pub invitation: invitation::Model,
    pub actor: Option<user::Model>,
    pub membership: Option<membership::Model>,
    /// The admins of the invitation's organization when the event was loaded: the
    /// subscribers who manage it.
    pub org_admins: HashSet<i64>,
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
            .filter(membership::Column::Role.eq(OrgRole::Admin))
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
