//! The invitation previews each instance keeps in memory (`DOORMAN_PREVIEW_CACHE_ENTRIES`), by
//! token digest: a link opened again, or a shared link opened by many, is answered without
//! the database. Only what anyone holding the token sees is served from here: a viewer who
//! manages the invitation reads it fresh (its delivery state changes without an event).
//!
//! An entry is good while nothing changed its organization since the read that filled it
//! ([`OrgChanges`]: every committed event this instance hears of, its own at once, the other
//! instances' through the bus), and for `DOORMAN_PREVIEW_CACHE_SECONDS` at most, which bounds
//! what no event announces (an inviter's new name, an erased address).
//!
//! Entries are lean: what only managers see (metadata, the last delivery error) is left out,
//! organizations and inviters are shared by the entries that name them, and an entry weighs
//! one per started KiB of its text, so long messages take their share of the capacity.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::{invitation, organization, user};
use quick_cache::sync::Cache;

use crate::config::ClusterSettings;
use crate::service::bus::OrgChanges;

/// An invitation with its organization and inviter, as the preview shows them to anyone who
/// does not manage the invitation.
pub struct CachedPreview {
    pub invitation: invitation::Model,
    pub organization: Option<Arc<organization::Model>>,
    pub inviter: Option<Arc<user::Model>>,
    /// The token is one a newer one replaced.
    pub token_superseded: bool,
    /// [`OrgChanges::now`] before the read.
    stamp: u64,
    read_at: Instant,
}

/// The cache; cheap to clone. Turned off, it keeps nothing.
#[derive(Clone)]
pub struct PreviewCache {
    kept: Option<Arc<Kept>>,
    changes: OrgChanges,
    lifetime: Duration,
}

struct Kept {
    entries: Cache<String, Arc<CachedPreview>, Weight>,
    /// The organizations and inviters entries name, one copy each.
    organizations: Cache<i64, Arc<organization::Model>>,
    users: Cache<i64, Arc<user::Model>>,
}

/// One per started KiB of an entry's text.
#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<String, Arc<CachedPreview>> for Weight {
    fn weight(&self, digest: &String, entry: &Arc<CachedPreview>) -> u64 {
        let model = &entry.invitation;
        let text = [
            &model.email,
            &model.message,
            &model.redirect_url,
            &model.locale,
            &model.time_zone,
            &model.pause_reason,
        ]
        .into_iter()
        .flatten()
        .map(String::len)
        .sum::<usize>()
            + model.allowed_email_domains.len()
            + model.token_digest.len()
            + digest.len();
        1 + (text / 1024) as u64
    }
}

/// A read about to fill the cache: the stamp taken before it.
#[must_use]
pub struct Filling(u64);

impl PreviewCache {
    pub fn new(settings: &ClusterSettings, changes: OrgChanges) -> Self {
        let capacity = settings.preview_cache_entries;
        let items = usize::try_from(capacity).unwrap_or(usize::MAX);
        // Entries mostly name a few organizations and inviters.
        let shared = (items / 8).clamp(16, 4096);
        Self {
            kept: (capacity > 0).then(|| {
                Arc::new(Kept {
                    entries: Cache::with_weighter(items, capacity, Weight),
                    organizations: Cache::new(shared),
                    users: Cache::new(shared),
                })
            }),
            changes,
            lifetime: Duration::from_secs(settings.preview_cache_seconds),
        }
    }

    /// The preview behind the token with `digest`, when one is kept and still good.
    pub fn get(&self, digest: &str) -> Option<Arc<CachedPreview>> {
        let entries = &self.kept.as_ref()?.entries;
        let entry = entries.get(digest)?;
        let org = entry.invitation.organization_id;
        if entry.read_at.elapsed() > self.lifetime || self.changes.changed_since(org, entry.stamp) {
            entries.remove(digest);
            return None;
        }
        Some(entry)
    }

    /// Call before reading what [`put`](Self::put) will keep.
    pub fn filling(&self) -> Filling {
        Filling(self.changes.now())
    }

    /// Keeps what a read begun at `filling` found behind the token with `digest`: copies of
    /// what it keeps, made only when it keeps them.
    pub fn put(
        &self,
        digest: String,
        filling: Filling,
        invitation: &invitation::Model,
        organization: Option<&organization::Model>,
        inviter: Option<&user::Model>,
        token_superseded: bool,
    ) {
        let Some(kept) = &self.kept else {
            return;
        };
        if self
            .changes
            .changed_since(invitation.organization_id, filling.0)
        {
            // Changed while it was read: what was read may be the state before.
            return;
        }
        let invitation = invitation::Model {
            // Only managers see these, and they never read from here.
            metadata: None,
            last_email_error: None,
            ..invitation.clone()
        };
        kept.entries.insert(
            digest,
            Arc::new(CachedPreview {
                invitation,
                organization: organization.map(|org| shared(&kept.organizations, org.id, org)),
                inviter: inviter.map(|user| shared(&kept.users, user.id, user)),
                token_superseded,
                stamp: filling.0,
                read_at: Instant::now(),
            }),
        );
    }
}

/// The copy of `model` that `kept` holds, kept now if it held none or an older one.
fn shared<T: PartialEq + Clone>(kept: &Cache<i64, Arc<T>>, id: i64, model: &T) -> Arc<T> {
    if let Some(held) = kept.get(&id)
        && *held == *model
    {
        return held;
    }
    let model = Arc::new(model.clone());
    kept.insert(id, Arc::clone(&model));
    model
}
