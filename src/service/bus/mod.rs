//! The live feed of committed events (an organization's audit log as it is written). It
//! crosses instances through NATS JetStream when `DOORMAN_NATS_URL` is set ([`nats`], fed by
//! the [`relay`] from the event table); otherwise through `LISTEN/NOTIFY` on PostgreSQL, and on
//! SQLite it stays in the process. What a subscriber may see of an event is decided above it
//! (`invitations::feed`).

mod changes;
mod event;
mod fanout;
mod nats;
mod relay;
mod stream;

pub use changes::OrgChanges;
pub use event::BusEvent;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use entity::{invitation, invitation_event, membership, user};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use tokio::sync::{Notify, OnceCell, broadcast};

use crate::config::Settings;
use crate::domain::EventKind;
use crate::domain::org_role::OrgRole;
use crate::error::AppError;
use crate::telemetry::Metrics;

/// The `LISTEN/NOTIFY` channel of committed events.
pub const CHANNEL: &str = "doorman_invitation_events";

/// Fans committed events out to this process's subscribers (and, through NATS or on
/// PostgreSQL, to every instance's).
#[derive(Clone)]
pub struct EventBus {
    sender: fanout::Fanout,
    db: DatabaseConnection,
    /// Events as subscribers see them, loaded once per process however many subscribe.
    loaded: Arc<Mutex<LoadedEvents>>,
    /// With NATS: wakes this instance's relay when it committed events.
    relay_wakeup: Option<Arc<Notify>>,
    /// With NATS: the events this instance's subscribers have had, so each comes once whether
    /// from this instance or from the stream.
    seen: Arc<Mutex<nats::Seen>>,
    changes: OrgChanges,
}

impl EventBus {
    /// The bus over `db`; through NATS when `settings` names one.
    pub fn new(db: DatabaseConnection, settings: &Settings) -> Self {
        let cluster = &settings.cluster;
        // A replica serves reads for as long as it trails by less than this.
        let replica_trails = cluster
            .database_read_url
            .is_some()
            .then(|| std::time::Duration::from_millis(cluster.read_max_lag_ms + 1000));
        let changes = OrgChanges::new(replica_trails);
        Self {
            sender: fanout::Fanout::new(changes.clone()),
            db,
            loaded: Arc::default(),
            relay_wakeup: cluster.nats_url.is_some().then(Arc::default),
            seen: Arc::default(),
            changes,
        }
    }

    /// The organizations that changed as events told this instance, for caches of what they
    /// change.
    pub fn changes(&self) -> &OrgChanges {
        &self.changes
    }

    /// The channel a writing statement notifies on PostgreSQL (`pg_notify`); `None` when the
    /// relay carries events to NATS instead.
    pub fn notify_channel(&self) -> Option<&'static str> {
        self.relay_wakeup.is_none().then_some(CHANNEL)
    }

    /// Every event from now on: for a subscriber that must listen before it knows which
    /// organization it follows (then [`subscribe_org`](Self::subscribe_org)).
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.sender.subscribe_all()
    }

    /// Organization `org`'s events from now on.
    pub fn subscribe_org(&self, org: i64) -> broadcast::Receiver<BusEvent> {
        self.sender.subscribe_org(org)
    }

    /// Publishes committed events. With NATS this instance's subscribers have them at once
    /// and the relay finds them in the event table (woken now) for the others; on PostgreSQL
    /// they go through `NOTIFY`, and come back to this process through its listener like to
    /// every other instance.
    /// `notified` are the events a writing statement already notified (on PostgreSQL without
    /// NATS).
    pub(super) async fn publish(&self, events: Vec<BusEvent>, notified: &[BusEvent]) {
        if let Some(wakeup) = &self.relay_wakeup {
            if !events.is_empty() || !notified.is_empty() {
                wakeup.notify_one();
            }
            for event in events.into_iter().chain(notified.iter().cloned()) {
                if nats::first_time(&self.seen, event.id) {
                    self.sender.send(event);
                }
            }
            return;
        }
        if self.db.get_database_backend() != DbBackend::Postgres {
            for event in events {
                self.sender.send(event);
            }
            return;
        }
        // `send` stamps what changed, but through `NOTIFY` the events come back later: this
        // instance's readers see its own writes at once.
        for event in events.iter().chain(notified) {
            self.changes.changed(event.organization_id);
        }
        if events.is_empty() {
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

    /// With NATS, reads the stream and relays to it; else, on PostgreSQL, listens for events
    /// from every instance. Either runs until the process ends and reconnects by itself.
    pub async fn listen(&self, settings: &Settings, metrics: Arc<Metrics>) -> anyhow::Result<()> {
        if let (Some(url), Some(wakeup)) = (&settings.cluster.nats_url, &self.relay_wakeup) {
            return nats::start(nats::Start {
                settings: &settings.cluster,
                url,
                db: self.db.clone(),
                database_url: &settings.database_url,
                sender: self.sender.clone(),
                seen: Arc::clone(&self.seen),
                wakeup: Arc::clone(wakeup),
                metrics,
            })
            .await;
        }
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut listener = PgListener::connect(&settings.database_url).await?;
        listener.listen(CHANNEL).await?;
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => match serde_json::from_str(notification.payload()) {
                        Ok(event) => sender.send(event),
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
    pub row: invitation_event::Model,
    /// For an invitation's event.
    pub invitation: Option<invitation::Model>,
    pub actor: Option<user::Model>,
    /// The member an event about a member is about.
    pub subject: Option<user::Model>,
    /// For ACCEPTED: the membership the accept created.
    pub membership: Option<membership::Model>,
    /// The admins of the event's organization when the event was loaded: the subscribers
    /// who may follow it. Read after the event committed, so an admin demoted or removed by
    /// this very event is no longer among them.
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
    let invitation = match row.invitation_id {
        Some(id) => match invitation::Entity::find_by_id(id).one(db).await? {
            Some(invitation) => Some(invitation),
            None => return Ok(None),
        },
        None => None,
    };
    let people: Vec<i64> = row.actor_id.into_iter().chain(row.subject_id).collect();
    let people: HashMap<i64, user::Model> = if people.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(people))
            .all(db)
            .await?
            .into_iter()
            .map(|user| (user.id, user))
            .collect()
    };
    let actor = row.actor_id.and_then(|id| people.get(&id).cloned());
    let subject = row.subject_id.and_then(|id| people.get(&id).cloned());
    let membership = match (row.kind, row.organization_id, row.actor_id) {
        (EventKind::Accepted, Some(org_id), Some(actor_id)) => {
            membership::Entity::find()
                .filter(membership::Column::OrganizationId.eq(org_id))
                .filter(membership::Column::UserId.eq(actor_id))
                .one(db)
                .await?
        }
        _ => None,
    };
    let org_admins = match row.organization_id {
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
        row,
        invitation,
        actor,
        subject,
        membership,
        org_admins,
    })))
}
