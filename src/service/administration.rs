//! Administering an organization: its settings, its members (changing a role, removing a
//! member, leaving) and deleting it. Only its admins change settings or others; anyone may
//! leave. An organization always keeps an admin: each change locks the organization (its row
//! on PostgreSQL, the database on SQLite) before it counts the admins, so two admins demoting
//! each other at once cannot both succeed (`LAST_ADMIN`). Rights follow the membership at
//! once: every request reads it anew, and each change is an event in the organization's log,
//! which ends the live feeds of a subscriber who lost the right to them.

use entity::{invitation, membership, organization};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter,
};

use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::domain::email_address::EmailDomains;
use crate::domain::invitation_rules::InvitationStatus;
use crate::domain::names::{DisplayName, Handle};
use crate::domain::org_role::OrgRole;
use crate::email::outbox;
use crate::error::{AppError, ErrorCode, OnConflict};
use crate::service::events::{self, Change, OrgEvent};
use crate::service::invitations::{close_all, require_org, require_org_admin};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

/// What `updateOrganization` changes; `None` leaves a setting as it is.
#[derive(Default)]
pub struct OrgChanges {
    pub name: Option<Handle>,
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<DisplayName>>,
    pub members_can_invite: Option<bool>,
    /// The role of a new invitation that names none: VISITOR or MEMBER (an admin is always
    /// chosen by hand).
    pub default_invite_role: Option<OrgRole>,
    /// How long a new invitation lasts when it names no expiry; `Some(None)`: the server's
    /// default.
    pub default_invite_expiry_hours: Option<Option<u32>>,
    /// The domains a new link is limited to when it names none.
    pub default_allowed_email_domains: Option<EmailDomains>,
    /// Its emails' branding and language; `Some(None)` clears one. Checked values (see
    /// `domain::branding`).
    pub logo_url: Option<Option<String>>,
    pub accent_color: Option<Option<String>>,
    pub reply_to: Option<Option<String>>,
    pub email_footer: Option<Option<String>>,
    pub default_locale: Option<Option<String>>,
}

impl OrgChanges {
    /// Refuses values out of range before anything is read.
    fn check(&self, max_expiry_days: u32) -> Result<(), AppError> {
        if self.default_invite_role == Some(OrgRole::Admin) {
            return Err(AppError::bad_input(
                "defaultInviteRole may be VISITOR or MEMBER: admins are invited by naming the role",
            ));
        }
        let max_hours = max_expiry_days.saturating_mul(24);
        if let Some(Some(hours)) = self.default_invite_expiry_hours
            && !(1..=max_hours).contains(&hours)
        {
            return Err(AppError::bad_input(format!(
                "defaultInviteExpiryHours must be between 1 and {max_hours} \
                 (DOORMAN_INVITATION_MAX_EXPIRY_DAYS); got {hours}"
            )));
        }
        Ok(())
    }
}

/// What changed between two versions of an organization, for its log.
fn org_changes(before: &organization::Model, after: &organization::Model) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut compare = |field: &str, before: Option<String>, after: Option<String>| {
        if before != after {
            changes.push(Change::new(field, before, after));
        }
    };
    compare("name", Some(before.name.clone()), Some(after.name.clone()));
    compare(
        "displayName",
        before.display_name.clone(),
        after.display_name.clone(),
    );
    compare(
        "membersCanInvite",
        Some(before.members_can_invite.to_string()),
        Some(after.members_can_invite.to_string()),
    );
    compare(
        "defaultInviteRole",
        Some(before.default_invite_role.to_string()),
        Some(after.default_invite_role.to_string()),
    );
    compare(
        "defaultInviteExpiryHours",
        before.default_invite_expiry_hours.map(|h| h.to_string()),
        after.default_invite_expiry_hours.map(|h| h.to_string()),
    );
    compare(
        "defaultAllowedEmailDomains",
        Some(before.default_allowed_email_domains.clone()),
        Some(after.default_allowed_email_domains.clone()),
    );
    for (field, before, after) in [
        ("logoUrl", &before.logo_url, &after.logo_url),
        ("accentColor", &before.accent_color, &after.accent_color),
        ("replyTo", &before.reply_to, &after.reply_to),
        ("emailFooter", &before.email_footer, &after.email_footer),
        (
            "defaultLocale",
            &before.default_locale,
            &after.default_locale,
        ),
    ] {
        compare(field, before.clone(), after.clone());
    }
    changes
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
    changes.check(ctx.settings.invitation_max_expiry_days.days())?;
    let txn = db::begin_write(&ctx.db).await?;
    let found = require_org(&txn, org, true).await?;
    require_org_admin(&txn, viewer, &found).await?;
    let before = found.clone();
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
    if let Some(role) = changes.default_invite_role {
        active.default_invite_role = Set(role);
    }
    if let Some(hours) = changes.default_invite_expiry_hours {
        active.default_invite_expiry_hours = Set(hours.map(|h| h as i32));
    }
    if let Some(domains) = changes.default_allowed_email_domains {
        active.default_allowed_email_domains = Set(domains.as_slice().join(","));
    }
    for (column, change) in [
        (&mut active.logo_url, changes.logo_url),
        (&mut active.accent_color, changes.accent_color),
        (&mut active.reply_to, changes.reply_to),
        (&mut active.email_footer, changes.email_footer),
        (&mut active.default_locale, changes.default_locale),
    ] {
        if let Some(value) = change {
            *column = Set(value);
        }
    }
    let updated = active.update(&txn).await.on_conflict(
        ErrorCode::Conflict,
        "that organization name is already taken",
    )?;
    let changes = org_changes(&before, &updated);
    if changes.is_empty() {
        txn.rollback().await?;
        return Ok(updated);
    }
    let committed = events::record_org(
        &txn,
        OrgEvent {
            organization_id: updated.id,
            kind: EventKind::OrgUpdated,
            actor_id: viewer.user_id(),
            subject_id: None,
            changes,
        },
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
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
    let before = member.role;
    let mut active = member.into_active_model();
    active.role = Set(role);
    let member = active.update(&txn).await?;
    let committed = events::record_org(
        &txn,
        OrgEvent {
            organization_id: org.id,
            kind: EventKind::MemberRoleChanged,
            actor_id: viewer.user_id(),
            subject_id: Some(user_id),
            changes: vec![Change::new(
                "role",
                Some(before.to_string()),
                Some(role.to_string()),
            )],
        },
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
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
    let committed =
        end_membership(&txn, member, EventKind::MemberRemoved, viewer.user_id()).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
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
    let committed = end_membership(&txn, member, EventKind::MemberLeft, Some(me.id)).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::info!(org_id = org.id, "member left");
    Ok(())
}

/// Deletes `member` and logs it as `kind` by `actor_id`, with the role it had.
async fn end_membership(
    txn: &DatabaseTransaction,
    member: membership::Model,
    kind: EventKind,
    actor_id: Option<i64>,
) -> Result<events::Committed, AppError> {
    let event = OrgEvent {
        organization_id: member.organization_id,
        kind,
        actor_id,
        subject_id: Some(member.user_id),
        changes: vec![Change::new("role", Some(member.role.to_string()), None)],
    };
    member.delete(txn).await?;
    events::record_org(txn, event).await
}

/// Deletes an organization; its admins only. In one transaction: its pending invitations are
/// cancelled (their links answer `INVITATION_CANCELLED`) and their undelivered emails
/// stopped, its memberships end, and its name is set aside (free for a new organization).
/// The organization's row, its invitations and its log stay, for the log's retention
/// (`DOORMAN_RETENTION_EVENTS_DAYS`); nobody can reach them through the API any more. The
/// log's last event, `ORG_DELETED`, names the organization and how many invitations were
/// cancelled.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn delete_organization(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
) -> Result<organization::Model, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let found = require_org(&txn, org, true).await?;
    require_org_admin(&txn, viewer, &found).await?;
    let now = db::now();
    outbox::cancel_undelivered_in_org(&txn, found.id).await?;
    let pending = Condition::all()
        .add(invitation::Column::OrganizationId.eq(found.id))
        .add(invitation::Column::Status.eq(InvitationStatus::Pending));
    let cancelled = close_all(&txn, pending, InvitationStatus::Cancelled, now).await?;
    membership::Entity::delete_many()
        .filter(membership::Column::OrganizationId.eq(found.id))
        .exec(&txn)
        .await?;
    let name = found.name.clone();
    let mut active = found.into_active_model();
    active.name = Set(deleted_name(*active.id.as_ref(), &name));
    active.deleted_at = Set(Some(now));
    let deleted = active.update(&txn).await?;
    let committed = events::record_org(
        &txn,
        OrgEvent {
            organization_id: deleted.id,
            kind: EventKind::OrgDeleted,
            actor_id: viewer.user_id(),
            subject_id: None,
            changes: vec![
                Change::new("name", Some(name), None),
                Change::new(
                    "pendingInvitations",
                    Some(cancelled.to_string()),
                    Some("0".to_owned()),
                ),
            ],
        },
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::info!(org_id = deleted.id, cancelled, "organization deleted");
    Ok(deleted)
}

/// The name a deleted organization keeps: no handle has a `~`, so it is nobody's name and
/// the old one is free; [`original_name`] gives the old one back.
fn deleted_name(id: i64, name: &str) -> String {
    format!("~deleted~{id}~{name}")
}

/// An organization's name as people knew it, also once it was deleted.
pub fn original_name(stored: &str) -> &str {
    stored.rsplit('~').next().unwrap_or(stored)
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
