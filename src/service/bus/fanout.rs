//! Hands committed events to this process's subscribers: on one channel per organization, so
//! that a burst of events in some organizations never makes the subscribers of another fall
//! behind and miss theirs; and on one channel of every event, for a subscriber that listens
//! before it knows its organization's id (see `subscriptions::feed`). Every event it hands on
//! stamps its organization in [`OrgChanges`], for the caches that events make stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

use super::changes::OrgChanges;
use super::event::BusEvent;

/// Events a subscriber may fall behind by before it misses some.
const BEHIND: usize = 4096;
/// Organizations' channels kept before those without subscribers are dropped.
const ORGS_KEPT: usize = 1024;

#[derive(Clone)]
pub(super) struct Fanout {
    all: broadcast::Sender<BusEvent>,
    orgs: Arc<Mutex<HashMap<i64, broadcast::Sender<BusEvent>>>>,
    changes: OrgChanges,
}

impl Fanout {
    pub fn new(changes: OrgChanges) -> Self {
        Self {
            all: broadcast::channel(BEHIND).0,
            orgs: Arc::default(),
            changes,
        }
    }

    pub fn send(&self, event: BusEvent) {
        self.changes.changed(event.organization_id);
        if self.all.receiver_count() > 0 {
            let _ = self.all.send(event.clone());
        }
        let Some(org) = event.organization_id else {
            return;
        };
        let mut orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = orgs.get(&org) {
            if sender.receiver_count() == 0 {
                orgs.remove(&org);
            } else {
                let _ = sender.send(event);
            }
        }
    }

    /// Every event from now on.
    pub fn subscribe_all(&self) -> broadcast::Receiver<BusEvent> {
        self.all.subscribe()
    }

    /// Organization `org`'s events from now on.
    pub fn subscribe_org(&self, org: i64) -> broadcast::Receiver<BusEvent> {
        let mut orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        if orgs.len() >= ORGS_KEPT {
            orgs.retain(|_, sender| sender.receiver_count() > 0);
        }
        orgs.entry(org)
            .or_insert_with(|| broadcast::channel(BEHIND).0)
            .subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::{BEHIND, Fanout};
    use crate::domain::EventKind;
    use crate::service::bus::{BusEvent, OrgChanges};

    fn fanout() -> Fanout {
        Fanout::new(OrgChanges::new(None))
    }

    fn event(id: i64, org: i64) -> BusEvent {
        BusEvent {
            id,
            invitation_id: Some(id),
            organization_id: Some(org),
            kind: EventKind::Accepted,
            actor_id: None,
        }
    }

    #[test]
    fn a_burst_in_one_organization_does_not_make_another_fall_behind() {
        let fanout = fanout();
        let mut quiet = fanout.subscribe_org(2);
        let mut busy = fanout.subscribe_org(1);
        for id in 0..(BEHIND as i64 * 2) {
            fanout.send(event(id, 1));
        }
        fanout.send(event(-1, 2));
        assert_eq!(quiet.try_recv().map(|e| e.id).ok(), Some(-1));
        assert!(quiet.try_recv().is_err(), "nothing else");
        // The busy organization's own slow subscriber is told it fell behind.
        assert!(matches!(
            busy.try_recv(),
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_))
        ));
    }

    #[test]
    fn channels_without_subscribers_are_dropped() {
        let fanout = fanout();
        drop(fanout.subscribe_org(7));
        fanout.send(event(1, 7));
        assert!(fanout.orgs.lock().unwrap().is_empty());
    }
}
