//! Administering an organization: its settings, and its members (changing a role, removing a
//! member, leaving). Only its admins change settings or others; anyone may leave. An organization always keeps an admin: each
//! change locks the organization (its row on PostgreSQL, the database on SQLite) before it
//! counts the admins, so two admins demoting each other at once cannot both succeed
//! (`LAST_ADMIN`). Rights follow the membership at once: every request reads it anew.

use entity::{membership, organization};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter,
};

use crate::auth::Viewer;
use crate::db;
use crate::domain::names::{DisplayName, Handle};
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode, OnConflict};
use crate::service::invitations::{require_org, require_org_admin};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

/// What `updateOrganization` changes; `None` leaves a setting as it is.
#[derive(Default)]
pub struct OrgChanges {
    pub name: Option<Handle>,
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<DisplayName>>,
    pub members_can_invite: Option<bool>,
}

/// Changes an organization's settings; its admins only. A new name keeps the id, the
/// memberships and every invitation link (links carry tokens, not names); the old name is free
/// again.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn update_organization(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
    changes: OrgChanges,
) -> Result<organization::Model, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let found = require_org(&txn, org, true).await?;
    require_org_admin(&txn, viewer, &found).await?;
    let mut active = found.into_active_model();
    if let Some(name) = changes.name {
        active.name = Set(name.into_string());
    }
    if let Some(display_name) = changes.display_name {
        active.display_name = Set(display_name.map(DisplayName::into_string));
    }
    if let Some(members_can_invite) = changes.members_can_invite {
        active.members_can_invite = Set(members_can_invite);
    }
    let updated = active.update(&txn).await.on_conflict(
        ErrorCode::Conflict,
        "that organization name is already taken",
    )?;
    txn.commit().await?;
    tracing::info!(org_id = updated.id, "organization updated");
    Ok(updated)
}

/// Gives member `user_id` of `org` another role; org admins only.
#[tracing::instrument(skip_all, fields(user_id), err(level = "debug", Debug))]
pub async fn update_member_role(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
    user_id: i64,
    role: OrgRole,
) -> Result<membership::Model, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, org, true).await?;
    require_org_admin(&txn, viewer, &org).await?;
    let member = require_member(&txn, org.id, user_id).await?;
    if member.role == role {
        return Ok(member);
    }
    if member.role == OrgRole::Admin {
        require_another_admin(&txn, org.id, user_id, "demoted").await?;
    }
    let mut active = member.into_active_model();
    active.role = Set(role);
    let member = active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(org_id = org.id, %role, "member role changed");
    Ok(member)
}

/// Removes member `user_id` from `org`; org admins only. What the member accepted stays
/// accepted; their rights in the organization end with this transaction.
#[tracing::instrument(skip_all, fields(user_id), err(level = "debug", Debug))]
pub async fn remove_member(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
    user_id: i64,
) -> Result<(), AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, org, true).await?;
    require_org_admin(&txn, viewer, &org).await?;
    let member = require_member(&txn, org.id, user_id).await?;
    if member.role == OrgRole::Admin {
        require_another_admin(&txn, org.id, user_id, "removed").await?;
    }
    member.delete(&txn).await?;
    txn.commit().await?;
    tracing::info!(org_id = org.id, "member removed");
    Ok(())
}

/// The caller leaves `org`; the last admin cannot.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn leave_organization(ctx: &Ctx, viewer: &Viewer, org: &OrgRef) -> Result<(), AppError> {
    let me = require_user(viewer)?;
    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, org, true).await?;
    // To anyone outside it, an organization does not exist.
    let member = membership_of(&txn, org.id, me.id)
        .await?
        .ok_or_else(|| AppError::not_found("no such organization"))?;
    if member.role == OrgRole::Admin {
        require_another_admin(&txn, org.id, me.id, "leave").await?;
    }
    member.delete(&txn).await?;
    txn.commit().await?;
    tracing::info!(org_id = org.id, "member left");
    Ok(())
}

async fn membership_of(
    txn: &DatabaseTransaction,
    org_id: i64,
    user_id: i64,
) -> Result<Option<membership::Model>, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(txn)
        .await?)
}

async fn require_member(
    txn: &DatabaseTransaction,
    org_id: i64,
    user_id: i64,
) -> Result<membership::Model, AppError> {
    membership_of(txn, org_id, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("no such member of this organization"))
}

/// `LAST_ADMIN` unless `org_id` has an admin besides `user_id`. The caller holds the
/// organization's lock, so the count cannot change before the transaction ends.
async fn require_another_admin(
    txn: &DatabaseTransaction,
    org_id: i64,
    user_id: i64,
    what: &str,
) -> Result<(), AppError> {
    let others = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::Role.eq(OrgRole::Admin))
        .filter(membership::Column::UserId.ne(user_id))
        .count(txn)
        .await?;
    if others == 0 {
        let message = if what == "leave" {
            "the last admin cannot leave: make someone else an admin first".to_owned()
        } else {
            format!("the last admin cannot be {what}: make someone else an admin first")
        };
        return Err(AppError::new(ErrorCode::LastAdmin, message));
    }
    Ok(())
}
