//! Per-request DataLoaders: every relation and viewer-dependent lookup is batched here.
//! They carry the request's viewer, so they are built per request and never shared.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::{
    CacheFactory, CacheStorage, DataLoader, HashMapCache, Loader, NoCache,
};
use async_graphql::{Context, ErrorExtensions};
use entity::{organization, user};
use futures_util::future::BoxFuture;

use crate::auth::Viewer;
use crate::domain::org_role::OrgRole;
use crate::service::Ctx;
use crate::service::invitations::{InvitationView, queries};
use crate::service::{accounts, organizations};

/// Batches lookups for one request.
pub struct RequestLoader {
    state: Ctx,
    viewer: Viewer,
}

/// Key: a user by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);
/// Key: an organization by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgId(pub i64);
/// Key: the viewer's role in an organization.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewerRoleIn(pub i64);
/// Key: whether the viewer may read a user's email.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailVisible(pub i64);
/// Key: a user by id, if the viewer may see it (federation references).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleUser(pub i64);
/// Key: an organization by id, if the viewer may see it (federation references).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleOrg(pub i64);
/// Key: an invitation by id, if the viewer may see it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvitationId(pub i64);
/// Key: whether an account uses this email.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccountEmail(pub String);

/// The loaders of one request or WebSocket connection.
pub type RequestLoaders = DataLoader<RequestLoader, EntityCache>;

/// The per-request loader to put in the request's data.
pub fn request_loader(state: Ctx, viewer: Viewer) -> RequestLoaders {
    DataLoader::with_cache(RequestLoader { state, viewer }, spawn_batch, EntityCache)
}

/// Caches users and organizations for the request (a page of 50 invitations names the same
/// inviter many times, and a service that already read the row hands it over with
/// `feed_one`); answers that depend on the viewer are loaded fresh each time, so a mutation
/// earlier in the same operation is always seen. Long-lived connections turn it off.
pub struct EntityCache;

impl CacheFactory for EntityCache {
    fn create<K, V>(&self) -> Box<dyn CacheStorage<Key = K, Value = V>>
    where
        K: Send + Sync + Clone + Eq + Hash + 'static,
        V: Send + Sync + Clone + 'static,
    {
        let key = TypeId::of::<K>();
        if key == TypeId::of::<UserId>() || key == TypeId::of::<OrgId>() {
            HashMapCache::default().create()
        } else {
            NoCache.create()
        }
    }
}

/// How many turns a batch waits for: async-graphql polls at most 32 items of a list per
/// turn, so a page of 100 registers its keys over 4 turns.
const LIST_TURNS: usize = 4;

/// Starts a batch only after the resolvers that share it have had their turns, so that a
/// page's keys go out in one query however busy the machine is (the loader's 1 ms delay alone
/// splits a page of 50 when the scheduler is slow between two turns).
fn spawn_batch(batch: BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        for _ in 0..LIST_TURNS {
            tokio::task::yield_now().await;
        }
        batch.await;
    });
}

/// The request's loader.
pub fn loader<'a>(ctx: &Context<'a>) -> &'a RequestLoaders {
    ctx.data_unchecked::<RequestLoaders>()
}

impl Loader<UserId> for RequestLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let users = accounts::users_by_ids(&self.state, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(users
            .into_iter()
            .map(|(id, user)| (UserId(id), user))
            .collect())
    }
}

impl Loader<OrgId> for RequestLoader {
    type Value = organization::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrgId]) -> Result<HashMap<OrgId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let orgs = organizations::organizations_by_ids(&self.state, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(orgs.into_iter().map(|(id, org)| (OrgId(id), org)).collect())
    }
}

impl Loader<ViewerRoleIn> for RequestLoader {
    type Value = OrgRole;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ViewerRoleIn],
    ) -> Result<HashMap<ViewerRoleIn, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let roles = organizations::viewer_roles(&self.state, &self.viewer, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(roles
            .into_iter()
            .map(|(id, role)| (ViewerRoleIn(id), role))
            .collect())
    }
}

impl Loader<EmailVisible> for RequestLoader {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[EmailVisible],
    ) -> Result<HashMap<EmailVisible, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let visible = accounts::users_with_visible_email(&self.state, &self.viewer, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(keys
            .iter()
            .map(|key| (*key, visible.contains(&key.0)))
            .collect())
    }
}

impl Loader<AccountEmail> for RequestLoader {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AccountEmail],
    ) -> Result<HashMap<AccountEmail, Self::Value>, Self::Error> {
        let emails: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let existing = accounts::existing_emails(&self.state, &emails)
            .await
            .map_err(|err| err.extend())?;
        Ok(keys
            .iter()
            .map(|key| (key.clone(), existing.contains(&key.0)))
            .collect())
    }
}

impl Loader<InvitationId> for RequestLoader {
    type Value = InvitationView;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[InvitationId],
    ) -> Result<HashMap<InvitationId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let views = queries::invitations_by_ids(&self.state, &self.viewer, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(views
            .into_iter()
            .map(|(id, view)| (InvitationId(id), view))
            .collect())
    }
}

impl Loader<VisibleUser> for RequestLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VisibleUser],
    ) -> Result<HashMap<VisibleUser, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let users = accounts::visible_users(&self.state, &self.viewer, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(users
            .into_iter()
            .map(|(id, user)| (VisibleUser(id), user))
            .collect())
    }
}

impl Loader<VisibleOrg> for RequestLoader {
    type Value = organization::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VisibleOrg],
    ) -> Result<HashMap<VisibleOrg, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let orgs = organizations::visible_organizations(&self.state, &self.viewer, &ids)
            .await
            .map_err(|err| err.extend())?;
        Ok(orgs
            .into_iter()
            .map(|(id, org)| (VisibleOrg(id), org))
            .collect())
    }
}
