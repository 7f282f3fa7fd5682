//! `createOrgInvites`: up to `DOORMAN_BULK_LIMIT` emails in one call, each with the call's
//! role and note or its own, and exactly one outcome per entry: an invitation, an error, or,
//! for someone already a member, what [`OnExistingMember`] asked for.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{invitation, membership, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use serde::{Deserialize, Serialize};

use super::insert::{Extras, NewInvitation, insert_invitations};
use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::domain::email_address::{EmailAddress, EmailDomains, Listed, NotAnEmail};
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus};
use crate::domain::names::Message;
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode};
use crate::service::events::{self, Change, Committed, OrgEvent};
use crate::service::invitations::{
    InvitationView, RequestedExpiry, quotas, require_inviter, require_org, require_org_admin,
    resolve_expiry,
};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

/// What to do with an entry that names someone who is already a member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnExistingMember {
    /// An `ALREADY_MEMBER` error for that entry.
    #[default]
    Error,
    /// Leave them as they are; the entry is reported among the members.
    Skip,
    /// Raise their role to the entry's, never lower it (organization admins only).
    UpgradeRole,
}

/// One email to invite, with its own role and note or the call's.
pub struct InviteEntry {
    /// As the request listed it: a bad entry gets an `INVALID_EMAIL` outcome of its own.
    pub email: Listed,
    pub role: Option<OrgRole>,
    pub message: Option<Message>,
}

/// What `createOrgInvites` needs.
pub struct OrgInvites {
    pub org: OrgRef,
    pub entries: Vec<InviteEntry>,
    /// For entries without a role; `None`: the organization's default.
    pub role: Option<OrgRole>,
    pub expires_at: Option<DateTime<Utc>>,
    /// For entries without a note.
    pub message: Option<Message>,
    pub send_email: bool,
    pub validate_only: bool,
    pub on_existing_member: OnExistingMember,
    pub extras: Extras,
}

/// Why one email of a bulk request was not invited.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InviteError {
    /// The entry as the caller sent it.
    pub input: String,
    /// The entry normalized (trimmed and lower-cased), or trimmed when it is not an email.
    pub email: String,
    pub code: ErrorCode,
    pub message: String,
}

/// An entry that named a member, with `SKIP` or `UPGRADE_ROLE`: their role before and after.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExistingMember {
    pub input: String,
    pub email: String,
    pub user_id: i64,
    pub role_before: OrgRole,
    pub role: OrgRole,
}

/// Per-email outcomes of a bulk request.
#[derive(Debug)]
pub struct OrgInvitesOutcome {
    pub invitations: Vec<InvitationView>,
    pub errors: Vec<InviteError>,
    /// Normalized emails that were (or, with `validate_only`, would be) invited.
    pub valid_emails: Vec<String>,
    pub members: Vec<ExistingMember>,
}

/// An entry that passed parsing, with its resolved role and note.
struct Candidate {
    input: String,
    email: EmailAddress,
    role: OrgRole,
    message: Option<Message>,
}

/// Invites up to `bulk_limit` emails at once; each entry gets exactly one outcome.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn create_org_invites(
    ctx: &Ctx,
    viewer: &Viewer,
    input: OrgInvites,
) -> Result<OrgInvitesOutcome, AppError> {
    let user = require_user(viewer)?;
    if input.entries.is_empty() {
        return Err(AppError::bad_input("name at least one email"));
    }
    if input.entries.len() > ctx.settings.bulk_limit {
        return Err(AppError::over_limit(
            format!(
                "at most {} emails per request, got {}",
                ctx.settings.bulk_limit,
                input.entries.len()
            ),
            "DOORMAN_BULK_LIMIT",
        ));
    }
    let now = crate::db::now();

    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, &input.org, true).await?;
    let requested = RequestedExpiry::from(input.expires_at);
    let expires_at = resolve_expiry(&ctx.settings, requested, Some(&org), now, false)?;
    let default_role = input.role.unwrap_or(org.default_invite_role);
    let mut roles: Vec<OrgRole> = input
        .entries
        .iter()
        .map(|entry| entry.role.unwrap_or(default_role))
        .collect();
    roles.sort_unstable();
    roles.dedup();
    for role in roles {
        require_inviter(&txn, user.id, user.is_server_admin, &org, role).await?;
    }
    if input.on_existing_member == OnExistingMember::UpgradeRole {
        require_org_admin(&txn, viewer, &org).await?;
    }

    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for InviteEntry {
        email: Listed { input: raw, parsed },
        role,
        message,
    } in input.entries
    {
        match parsed {
            Err(NotAnEmail { text, reason }) => errors.push(InviteError {
                input: raw,
                email: text,
                code: ErrorCode::InvalidEmail,
                message: reason,
            }),
            Ok(email) if !seen.insert(email.clone()) => errors.push(InviteError {
                input: raw,
                message: format!("{email} appears more than once in this request"),
                email: email.to_string(),
                code: ErrorCode::DuplicateInRequest,
            }),
            Ok(email) => candidates.push(Candidate {
                input: raw,
                email,
                role: role.unwrap_or(default_role),
                message: message.or_else(|| input.message.clone()),
            }),
        }
    }
    let addresses: Vec<EmailAddress> = candidates.iter().map(|c| c.email.clone()).collect();
    let (members, invited) = existing_members_and_invitees(&txn, org.id, &addresses, now).await?;
    let mut outcome = OrgInvitesOutcome {
        invitations: Vec::new(),
        errors,
        valid_emails: Vec::new(),
        members: Vec::new(),
    };
    let mut valid = Vec::new();
    let mut upgrades = Vec::new();
    for candidate in candidates {
        let key = candidate.email.to_string();
        if let Some(member) = members.get(&key) {
            let upgrade = input.on_existing_member == OnExistingMember::UpgradeRole
                && candidate.role > member.role;
            match input.on_existing_member {
                OnExistingMember::Error => outcome.errors.push(InviteError {
                    input: candidate.input,
                    message: format!("{key} is already a member of {}", org.name),
                    email: key,
                    code: ErrorCode::AlreadyMember,
                }),
                OnExistingMember::Skip | OnExistingMember::UpgradeRole => {
                    outcome.members.push(ExistingMember {
                        input: candidate.input,
                        email: key,
                        user_id: member.user_id,
                        role_before: member.role,
                        role: if upgrade { candidate.role } else { member.role },
                    });
                    if upgrade {
                        upgrades.push((member.clone(), candidate.role));
                    }
                }
            }
        } else if invited.contains(&key) {
            outcome.errors.push(InviteError {
                input: candidate.input,
                message: format!("{key} already has a pending invitation; resend it instead"),
                email: key,
                code: ErrorCode::AlreadyInvited,
            });
        } else {
            valid.push(candidate);
        }
    }
    outcome.valid_emails = valid.iter().map(|c| c.email.to_string()).collect();
    let limits = &ctx.settings.rate_limits;
    quotas::check_org_quotas(&txn, limits, &org, valid.len() as u64, now).await?;
    if input.validate_only {
        txn.rollback().await?;
        return Ok(outcome);
    }

    let committed = upgrade_roles(&txn, org.id, user.id, upgrades).await?;
    let new = valid.into_iter().map(|candidate| NewInvitation {
        action: InvitationAction::JoinOrg,
        organization_id: Some(org.id),
        role: Some(candidate.role),
        email: Some(candidate.email),
        allowed_email_domains: EmailDomains::default(),
        max_uses: Some(1),
        expires_at,
        invited_by: Some(user.id),
        message: candidate.message,
        send_email: input.send_email,
        extras: input.extras.clone(),
    });
    let (mut invitations, created) = insert_invitations(ctx, &txn, new.collect()).await?;
    let emails = crate::service::invitations::queue_emails(&txn, &mut invitations).await?;
    txn.commit().await?;
    events::announce(ctx, committed.merge(created).merge(emails)).await;
    tracing::info!(
        org_id = org.id,
        created = invitations.len(),
        upgraded = outcome
            .members
            .iter()
            .filter(|m| m.role != m.role_before)
            .count(),
        "org invitations created"
    );
    outcome.invitations = invitations;
    Ok(outcome)
}

/// Raises each member's role, with a `MEMBER_ROLE_CHANGED` event naming the inviter.
async fn upgrade_roles(
    txn: &DatabaseTransaction,
    org_id: i64,
    actor_id: i64,
    upgrades: Vec<(membership::Model, OrgRole)>,
) -> Result<Committed, AppError> {
    let mut committed = Committed::default();
    for (member, role) in upgrades {
        let before = member.role;
        let user_id = member.user_id;
        let mut active = member.into_active_model();
        active.role = Set(role);
        active.update(txn).await?;
        let event = OrgEvent {
            organization_id: org_id,
            kind: EventKind::MemberRoleChanged,
            actor_id: Some(actor_id),
            subject_id: Some(user_id),
            changes: vec![Change::new(
                "role",
                Some(before.to_string()),
                Some(role.to_string()),
            )],
        };
        committed = committed.merge(events::record_org(txn, event).await?);
    }
    Ok(committed)
}

/// The memberships of `candidates` who already belong to the organization (by email), and
/// the emails that already have a pending, unexpired invitation to it.
async fn existing_members_and_invitees(
    txn: &DatabaseTransaction,
    org_id: i64,
    candidates: &[EmailAddress],
    now: DateTime<Utc>,
) -> Result<(HashMap<String, membership::Model>, HashSet<String>), AppError> {
    let emails: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Email.is_in(emails.clone()))
        .all(txn)
        .await?
        .into_iter()
        .map(|user| (user.id, user.email))
        .collect();
    // New addresses (the usual case) have no account, hence no membership to look for.
    let members = if users.is_empty() {
        HashMap::new()
    } else {
        membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(org_id))
            .filter(membership::Column::UserId.is_in(users.keys().copied()))
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|m| users.get(&m.user_id).cloned().map(|email| (email, m)))
            .collect()
    };
    let invited = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(org_id))
        .filter(invitation::Column::Email.is_in(emails))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|invitation| invitation.email)
        .collect();
    Ok((members, invited))
}
