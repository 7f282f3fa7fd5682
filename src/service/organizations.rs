//! Organizations: create (the creator becomes ADMIN), look up by id or name, members, roles.

use std::collections::HashMap;

use entity::{membership, organization};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Select,
};

use crate::auth::Viewer;
use crate::db;
use crate::domain::names::{DisplayName, Handle};
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode, OnConflict};
use crate::service::Ctx;
use crate::service::{Page, PageRequest, fetch_page, require_user};

/// Names an organization by id or by name.
#[derive(Clone, Debug)]
pub enum OrgRef {
    Id(i64),
    Name(String),
}

/// What `createOrganization` needs.
pub struct NewOrganization {
    pub name: Handle,
    pub display_name: Option<DisplayName>,
    pub members_can_invite: bool,
}

#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn create_organization(
    ctx: &Ctx,
    viewer: &Viewer,
    input: NewOrganization,
) -> Result<organization::Model, AppError> {
    let user = require_user(viewer)?;
    let now = crate::db::now();
    let txn = db::begin_write(&ctx.db).await?;
    let org = organization::ActiveModel {
        name: Set(input.name.into_string()),
        display_name: Set(input.display_name.map(DisplayName::into_string)),
        members_can_invite: Set(input.members_can_invite),
        default_invite_role: Set(OrgRole::Member),
        default_invite_expiry_hours: Set(None),
        default_allowed_email_domains: Set(String::new()),
        deleted_at: Set(None),
        created_by: Set(Some(user.id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_conflict(
        ErrorCode::Conflict,
        "that organization name is already taken",
    )?;
    membership::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(user.id),
        role: Set(OrgRole::Admin),
        invitation_id: Set(None),
        joined_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(org_id = org.id, "organization created");
    Ok(org)
}

/// An organization its members and server admins may see; `None` when it does not exist or
/// the viewer may not see it (the two look the same).
pub async fn find_organization(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
) -> Result<Option<organization::Model>, AppError> {
    let user = require_user(viewer)?;
    let Some(found) = find(&ctx.db, org, false).await? else {
        return Ok(None);
    };
    let visible = user.is_server_admin || role_in(&ctx.db, user.id, found.id).await?.is_some();
    Ok(visible.then_some(found))
}

/// Of the organizations `ids` names, those the viewer may see (its own, or all for server
/// admins), for batch loading.
pub async fn visible_organizations(
    ctx: &Ctx,
    viewer: &Viewer,
    ids: &[i64],
) -> Result<HashMap<i64, organization::Model>, AppError> {
    let user = require_user(viewer)?;
    let mut select = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .filter(organization::Column::DeletedAt.is_null());
    if !user.is_server_admin {
        select = select.filter(organization::Column::Id.in_subquery(memberships_of(user.id)));
    }
    let orgs = select.all(&ctx.db).await?;
    Ok(orgs.into_iter().map(|org| (org.id, org)).collect())
}

/// `SELECT organization_id FROM memberships WHERE user_id = …`.
pub(crate) fn memberships_of(user_id: i64) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(membership::Column::OrganizationId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(user_id))
        .to_owned()
}

/// Finds an organization; with `lock`, holds its row until the transaction ends (PostgreSQL),
/// which serializes invitation writes of one organization.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    org: &OrgRef,
    lock: bool,
) -> Result<Option<organization::Model>, AppError> {
    let mut select = named(org);
    if lock {
        select = select.lock(LockType::NoKeyUpdate);
    }
    Ok(select.one(db).await?)
}

/// The organization `org` names, unless it was deleted.
pub(crate) fn named(org: &OrgRef) -> Select<organization::Entity> {
    let select = organization::Entity::find().filter(organization::Column::DeletedAt.is_null());
    match org {
        OrgRef::Id(id) => select.filter(organization::Column::Id.eq(*id)),
        OrgRef::Name(name) => {
            select.filter(organization::Column::Name.eq(name.trim().to_lowercase()))
        }
    }
}

/// The viewer's role in an organization, `None` when not a member.
pub async fn role_in(
    db: &impl ConnectionTrait,
    user_id: i64,
    org_id: i64,
) -> Result<Option<OrgRole>, AppError> {
    let membership = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(membership.map(|m| m.role))
}

/// The viewer's roles in several organizations, for batch loading.
pub async fn viewer_roles(
    ctx: &Ctx,
    viewer: &Viewer,
    org_ids: &[i64],
) -> Result<HashMap<i64, OrgRole>, AppError> {
    let Some(user_id) = viewer.user_id() else {
        return Ok(HashMap::new());
    };
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.is_in(org_ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    Ok(memberships
        .into_iter()
        .map(|m| (m.organization_id, m.role))
        .collect())
}

/// Organizations by id, for batch loading.
pub async fn organizations_by_ids(
    ctx: &Ctx,
    ids: &[i64],
) -> Result<HashMap<i64, organization::Model>, AppError> {
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    Ok(orgs.into_iter().map(|org| (org.id, org)).collect())
}

/// Members of an organization, newest first; only members may list them.
pub async fn members(
    ctx: &Ctx,
    viewer: &Viewer,
    org_id: i64,
    page: PageRequest,
) -> Result<Page<membership::Model>, AppError> {
    let user = require_user(viewer)?;
    if role_in(&ctx.db, user.id, org_id).await?.is_none() && !user.is_server_admin {
        return Err(AppError::forbidden(
            "only members of an organization can list its members",
        ));
    }
    let select = membership::Entity::find().filter(membership::Column::OrganizationId.eq(org_id));
    fetch_page(&ctx.db, select, membership::Column::Id, page).await
}
