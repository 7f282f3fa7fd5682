//! Members of an organization: changing a role, removing a member, leaving. Only its admins
//! change or remove others; anyone may leave. An organization always keeps an admin: each
//! change locks the organization (its row on PostgreSQL, the database on SQLite) before it
//! counts the admins, so two admins demoting each other at once cannot both succeed
//! (`LAST_ADMIN`). Rights follow the membership at once: every request reads it anew.

use entity::membership;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter,
};

use crate::auth::Viewer;
use crate::db;
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode};
use crate::service::invitations::{require_org, require_org_admin};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

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
