//! Which organizations changed, and in what order, as far as this instance has heard: each
//! committed event stamps its organization with the next number of one counter. A cache of
//! what events change (the invitation previews) takes the counter's value before it reads,
//! and an entry is good while its organization's stamp is not above it, whatever the order in
//! which the read, the commit and the event arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

/// Organizations share stamps by hash into this many slots: a collision only costs a cache
/// entry it did not need to.
const SLOTS: usize = 4096;

#[derive(Clone)]
pub struct OrgChanges(Arc<Stamps>);

struct Stamps {
    counter: AtomicU64,
    slots: Box<[AtomicU64]>,
    /// With a replica, which may still show the state before a change for as long as it is
    /// allowed to trail: the change is stamped again once that time has passed.
    again_after: Option<Duration>,
}

impl OrgChanges {
    pub fn new(again_after: Option<Duration>) -> Self {
        Self(Arc::new(Stamps {
            counter: AtomicU64::new(0),
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            again_after,
        }))
    }

    /// The stamp to take before a read whose result an event could make stale.
    pub fn now(&self) -> u64 {
        self.0.counter.load(SeqCst)
    }

    /// Whether `org` (`None`: what belongs to no organization) changed after `stamp`.
    pub fn changed_since(&self, org: Option<i64>, stamp: u64) -> bool {
        self.slot(org).load(SeqCst) > stamp
    }

    /// `org` changed: what was read of it before now is stale.
    pub fn changed(&self, org: Option<i64>) {
        self.stamp(org);
        if let Some(after) = self.0.again_after
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let this = self.clone();
            runtime.spawn(async move {
                tokio::time::sleep(after).await;
                this.stamp(org);
            });
        }
    }

    fn stamp(&self, org: Option<i64>) {
        let next = self.0.counter.fetch_add(1, SeqCst) + 1;
        self.slot(org).fetch_max(next, SeqCst);
    }

    fn slot(&self, org: Option<i64>) -> &AtomicU64 {
        let key = org.map_or(u64::MAX, |id| id as u64);
        // Fibonacci hashing: consecutive ids land far apart.
        let index = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros());
        &self.0.slots[index as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::OrgChanges;

    #[test]
    fn a_change_after_the_stamp_is_seen_and_one_before_is_not() {
        let changes = OrgChanges::new(None);
        changes.changed(Some(1));
        let stamp = changes.now();
        assert!(!changes.changed_since(Some(1), stamp));
        changes.changed(Some(2));
        assert!(!changes.changed_since(Some(1), stamp));
        assert!(changes.changed_since(Some(2), stamp));
        changes.changed(None);
        assert!(changes.changed_since(None, stamp));
        assert!(!changes.changed_since(Some(1), stamp));
    }

    #[tokio::test]
    async fn with_a_replica_a_change_is_stamped_again_once_it_may_have_reached_it() {
        let changes = OrgChanges::new(Some(std::time::Duration::from_millis(50)));
        changes.changed(Some(5));
        // A read from a replica that still had the old state.
        let stamp = changes.now();
        assert!(!changes.changed_since(Some(5), stamp));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(changes.changed_since(Some(5), stamp));
    }
}
