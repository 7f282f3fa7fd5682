//! Apollo Federation v2: `User`, `Organization` and `Invitation` are entities keyed by `id`.
//! A gateway resolves references through the request's loaders, so a batch of references
//! costs one query per type. A reference resolves only for a caller who may see it, and to
//! null otherwise, as if it did not exist: a user for itself, for server admins and for the
//! members of an organization it belongs to; an organization for its members and server
//! admins; an invitation for those who manage it and its invitee. The engine caps the
//! references of one request (`DOORMAN_MAX_ENTITIES`).

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::context::viewer;
use super::loaders::{InvitationId, VisibleOrg, VisibleUser, loader};
use super::objects::{Invitation, Organization, User};
use crate::service::require_user;

#[derive(Default)]
pub struct EntitiesQuery;

#[Object]
impl EntitiesQuery {
    /// A user the signed-in caller may see; null otherwise.
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        require_user(viewer(ctx)).map_err(|err| err.extend())?;
        let Some(id) = numeric(&id) else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(VisibleUser(id)).await?.map(User::new))
    }

    /// An organization the caller belongs to (any, for server admins); null otherwise.
    #[graphql(entity)]
    async fn find_organization_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<Organization>> {
        require_user(viewer(ctx)).map_err(|err| err.extend())?;
        let Some(id) = numeric(&id) else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(VisibleOrg(id))
            .await?
            .map(Organization))
    }

    /// An invitation the caller manages or was invited by; null otherwise.
    #[graphql(entity)]
    async fn find_invitation_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Invitation>> {
        require_user(viewer(ctx)).map_err(|err| err.extend())?;
        let Some(id) = numeric(&id) else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(InvitationId(id))
            .await?
            .map(Invitation))
    }
}

/// Our ids are numbers; any other id names nothing.
fn numeric(id: &ID) -> Option<i64> {
    id.parse().ok()
}
