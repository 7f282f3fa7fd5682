//! Creating invitations: email invitations in bulk, multi-use links, registration invitations.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{invitation, membership, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{InvitationView, quotas, require_inviter, require_org, resolve_expiry};
use crate::auth::Viewer;
use crate::db;
use crate::domain::email_address::{EmailAddress, EmailDomains, Listed, NotAnEmail};
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::domain::names::Message;
use crate::domain::org_role::OrgRole;
use crate::domain::{EmailDeliveryStatus, EventKind};
use crate::error::{AppError, ErrorCode};
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::organizations::OrgRef;
use crate::service::require_user;

/// What `createOrgInvites` needs.
pub struct OrgInvites {
    pub org: OrgRef,
    /// As the request listed them: a bad entry gets an `INVALID_EMAIL` outcome of its own.
    pub emails: Vec<Listed>,
    /// `None`: the organization's default.
    pub role: Option<OrgRole>,
    pub expires_at: Option<DateTime<Utc>>,
    pub message: Option<Message>,
    pub send_email: bool,
    pub validate_only: bool,
}

/// Why one email of a bulk request was not invited.
#[derive(Debug)]
pub struct InviteError {
    /// The entry as the caller sent it.
    pub input: String,
    /// The entry normalized (trimmed and lower-cased), or trimmed when it is not an email.
    pub email: String,
    pub code: ErrorCode,
    pub message: String,
}

/// Per-email outcomes of a bulk request.
#[derive(Debug)]
pub struct OrgInvitesOutcome {
    pub invitations: Vec<InvitationView>,
    pub errors: Vec<InviteError>,
    /// Normalized emails that were (or, with `validate_only`, would be) invited.
    pub valid_emails: Vec<String>,
}

/// Invites up to `bulk_limit` emails at once; each email gets exactly one outcome.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn create_org_invites(
    ctx: &Ctx,
    viewer: &Viewer,
    input: OrgInvites,
) -> Result<OrgInvitesOutcome, AppError> {
    let user = require_user(viewer)?;
    if input.emails.is_empty() {
        return Err(AppError::bad_input("name at least one email"));
    }
    if input.emails.len() > ctx.settings.bulk_limit {
        return Err(AppError::over_limit(
            format!(
                "at most {} emails per request, got {}",
                ctx.settings.bulk_limit,
                input.emails.len()
            ),
            "DOORMAN_BULK_LIMIT",
        ));
    }
    let now = crate::db::now();
    let message = input.message;

    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, &input.org, true).await?;
    let expires_at = resolve_expiry(&ctx.settings, input.expires_at, Some(&org), now)?;
    let role = input.role.unwrap_or(org.default_invite_role);
    require_inviter(&txn, user.id, user.is_server_admin, &org, role).await?;

    let mut errors = Vec::new();
    let mut candidates: Vec<(String, EmailAddress)> = Vec::new();
    let mut seen = HashSet::new();
    for Listed { input, parsed } in input.emails {
        match parsed {
            Err(NotAnEmail { text, reason }) => errors.push(InviteError {
                input,
                email: text,
                code: ErrorCode::InvalidEmail,
                message: reason,
            }),
            Ok(email) if !seen.insert(email.clone()) => errors.push(InviteError {
                input,
                message: format!("{email} appears more than once in this request"),
                email: email.to_string(),
                code: ErrorCode::DuplicateInRequest,
            }),
            Ok(email) => candidates.push((input, email)),
        }
    }
    let addresses: Vec<EmailAddress> = candidates.iter().map(|(_, email)| email.clone()).collect();
    let (members, invited) = existing_members_and_invitees(&txn, org.id, &addresses, now).await?;
    let mut outcome_errors = errors;
    let mut valid = Vec::new();
    for (input, email) in candidates {
        if members.contains(email.as_ref()) {
            outcome_errors.push(InviteError {
                input,
                message: format!("{email} is already a member of {}", org.name),
                email: email.to_string(),
                code: ErrorCode::AlreadyMember,
            });
        } else if invited.contains(email.as_ref()) {
            outcome_errors.push(InviteError {
                input,
                message: format!("{email} already has a pending invitation; resend it instead"),
                email: email.to_string(),
                code: ErrorCode::AlreadyInvited,
            });
        } else {
            valid.push(email);
        }
    }
    let valid_emails: Vec<String> = valid.iter().map(ToString::to_string).collect();
    let limits = &ctx.settings.rate_limits;
    quotas::check_org_quotas(&txn, limits, &org, valid.len() as u64, now).await?;
    if input.validate_only {
        txn.rollback().await?;
        return Ok(OrgInvitesOutcome {
            invitations: Vec::new(),
            errors: outcome_errors,
            valid_emails,
        });
    }

    let new = valid.into_iter().map(|email| NewInvitation {
        action: InvitationAction::JoinOrg,
        organization_id: Some(org.id),
        role: Some(role),
        email: Some(email),
        allowed_email_domains: EmailDomains::default(),
        max_uses: Some(1),
        expires_at,
        invited_by: Some(user.id),
        message: message.clone(),
        send_email: input.send_email,
    });
    let (mut invitations, committed) = insert_invitations(ctx, &txn, new.collect()).await?;
    let committed =
        committed.merge(super::queue_emails(&txn, &mut invitations, Some(&org), Some(user)).await?);
    txn.commit().await?;
    events::announce(ctx, committed).await;
    tracing::info!(
        org_id = org.id,
        created = invitations.len(),
        "org invitations created"
    );
    Ok(OrgInvitesOutcome {
        invitations,
        errors: outcome_errors,
        valid_emails,
    })
}

/// Emails among `candidates` that belong to members of the organization, and those that
/// already have a pending, unexpired invitation to it.
async fn existing_members_and_invitees(
    txn: &DatabaseTransaction,
    org_id: i64,
    candidates: &[EmailAddress],
    now: DateTime<Utc>,
) -> Result<(HashSet<String>, HashSet<String>), AppError> {
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
        HashSet::new()
    } else {
        membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(org_id))
            .filter(membership::Column::UserId.is_in(users.keys().copied()))
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|m| users.get(&m.user_id).cloned())
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

/// What `createInviteLink` needs.
pub struct InviteLink {
    pub org: OrgRef,
    /// `None`: the organization's default.
    pub role: Option<OrgRole>,
    pub max_uses: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `None`: the organization's default.
    pub allowed_email_domains: Option<EmailDomains>,
}

/// Creates a multi-use open link to join an organization.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn create_invite_link(
    ctx: &Ctx,
    viewer: &Viewer,
    input: InviteLink,
) -> Result<InvitationView, AppError> {
    let user = require_user(viewer)?;
    let now = crate::db::now();
    check_max_uses(input.max_uses)?;
    let txn = db::begin_write(&ctx.db).await?;
    let org = require_org(&txn, &input.org, true).await?;
    let expires_at = resolve_expiry(&ctx.settings, input.expires_at, Some(&org), now)?;
    let role = input.role.unwrap_or(org.default_invite_role);
    require_inviter(&txn, user.id, user.is_server_admin, &org, role).await?;
    let allowed_email_domains = input
        .allowed_email_domains
        .unwrap_or_else(|| EmailDomains::stored(&org.default_allowed_email_domains));
    quotas::check_org_quotas(&txn, &ctx.settings.rate_limits, &org, 1, now).await?;
    let (mut created, committed) = insert_invitations(
        ctx,
        &txn,
        vec![NewInvitation {
            action: InvitationAction::JoinOrg,
            organization_id: Some(org.id),
            role: Some(role),
            email: None,
            allowed_email_domains,
            max_uses: input.max_uses,
            expires_at,
            invited_by: Some(user.id),
            message: None,
            send_email: false,
        }],
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(created.remove(0))
}

/// What `createRegistrationInvite` needs.
pub struct RegistrationInvite {
    pub email: Option<EmailAddress>,
    pub max_uses: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub org: Option<OrgRef>,
    pub role: Option<OrgRole>,
    pub send_email: bool,
}

/// Server admins: lets people register (and, with an organization, join it).
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn create_registration_invite(
    ctx: &Ctx,
    viewer: &Viewer,
    input: RegistrationInvite,
) -> Result<InvitationView, AppError> {
    let user = require_user(viewer)?;
    if !user.is_server_admin {
        return Err(AppError::forbidden(
            "only server admins can create registration invitations",
        ));
    }
    let txn = db::begin_write(&ctx.db).await?;
    let (created, committed) = insert_registration_invite(ctx, &txn, Some(user.id), input).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(created)
}

/// `doorman admin invite-registration`: a registration invitation with no inviter.
pub async fn admin_registration_invite(
    ctx: &Ctx,
    max_uses: Option<i32>,
    expires_in_days: Option<u32>,
    email: Option<EmailAddress>,
) -> Result<InvitationView, AppError> {
    let max_days = ctx.settings.invitation_max_expiry_days;
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..) if days <= max_days => {
            Some(crate::db::now() + chrono::Duration::days(i64::from(days)))
        }
        Some(days) => {
            return Err(AppError::bad_input(format!(
                "--expires-in-days must be between 1 and {max_days} \
                 (DOORMAN_INVITATION_MAX_EXPIRY_DAYS); got {days}"
            )));
        }
    };
    let txn = db::begin_write(&ctx.db).await?;
    let (created, committed) = insert_registration_invite(
        ctx,
        &txn,
        None,
        RegistrationInvite {
            email,
            max_uses,
            expires_at,
            org: None,
            role: None,
            send_email: false,
        },
    )
    .await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(created)
}

/// The registration invitation behind `createRegistrationInvite` and `doorman admin
/// invite-registration`, inside the caller's transaction.
pub(crate) async fn insert_registration_invite(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    invited_by: Option<i64>,
    input: RegistrationInvite,
) -> Result<(InvitationView, Committed), AppError> {
    let now = crate::db::now();
    let email = input.email;
    check_max_uses(input.max_uses)?;
    let max_uses = match (&email, input.max_uses) {
        (Some(_), Some(uses)) if uses != 1 => {
            return Err(AppError::bad_input(
                "an invitation for one email can be used once: leave maxUses out or set it to 1",
            ));
        }
        (Some(_), _) => Some(1),
        (None, uses) => uses,
    };
    let org = match &input.org {
        Some(org) => Some(require_org(txn, org, true).await?),
        None => None,
    };
    if org.is_none() && input.role.is_some() {
        return Err(AppError::bad_input("role needs an organization"));
    }
    let expires_at = resolve_expiry(&ctx.settings, input.expires_at, org.as_ref(), now)?;
    if let Some(org) = &org {
        quotas::check_org_quotas(txn, &ctx.settings.rate_limits, org, 1, now).await?;
    }
    if let Some(email) = &email {
        let exists = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_ref()))
            .one(txn)
            .await?
            .is_some();
        if exists {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("{email} already has an account"),
            ));
        }
    }
    let inviter = match invited_by {
        Some(id) => user::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let (mut created, committed) = insert_invitations(
        ctx,
        txn,
        vec![NewInvitation {
            action: InvitationAction::RegisterAccount,
            role: org
                .as_ref()
                .map(|org| input.role.unwrap_or(org.default_invite_role)),
            organization_id: org.as_ref().map(|org| org.id),
            send_email: input.send_email && email.is_some(),
            email,
            allowed_email_domains: EmailDomains::default(),
            max_uses,
            expires_at,
            invited_by,
            message: None,
        }],
    )
    .await?;
    let emails = super::queue_emails(txn, &mut created, org.as_ref(), inviter.as_ref()).await?;
    Ok((created.remove(0), committed.merge(emails)))
}

struct NewInvitation {
    action: InvitationAction,
    organization_id: Option<i64>,
    role: Option<OrgRole>,
    email: Option<EmailAddress>,
    allowed_email_domains: EmailDomains,
    max_uses: Option<i32>,
    expires_at: DateTime<Utc>,
    invited_by: Option<i64>,
    message: Option<Message>,
    send_email: bool,
}

/// Inserts invitations with fresh tokens and their CREATED events; returns them with links.
async fn insert_invitations(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    new: Vec<NewInvitation>,
) -> Result<(Vec<InvitationView>, Committed), AppError> {
    if new.is_empty() {
        return Ok((Vec::new(), Committed::default()));
    }
    let now = crate::db::now();
    let mut links = HashMap::new();
    let rows: Vec<invitation::ActiveModel> = new
        .into_iter()
        .map(|new| {
            let token = InviteToken::generate();
            let digest = token.digest();
            links.insert(digest.clone(), super::link_for(&ctx.settings, &token));
            let emailed = new.send_email && new.email.is_some();
            let email_status = if emailed {
                EmailDeliveryStatus::Queued
            } else {
                EmailDeliveryStatus::NotRequested
            };
            invitation::ActiveModel {
                action: Set(new.action),
                organization_id: Set(new.organization_id),
                role: Set(new.role),
                email: Set(new.email.map(|email| email.to_string())),
                allowed_email_domains: Set(new.allowed_email_domains.as_slice().join(",")),
                max_uses: Set(new.max_uses),
                usage_count: Set(0),
                status: Set(InvitationStatus::Pending),
                expires_at: Set(new.expires_at),
                invited_by: Set(new.invited_by),
                message: Set(new.message.map(Message::into_string)),
                token_digest: Set(digest),
                email_status: Set(email_status),
                send_count: Set(0),
                email_attempts: Set(0),
                last_sent_at: Set(None),
                last_email_error: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                // An emailed link is returned to nobody; any other is handed to the inviter.
                link_disclosed: Set(!emailed),
                ..Default::default()
            }
        })
        .collect();
    let mut models = invitation::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?;
    models.sort_by_key(|model| model.id);
    let refs: Vec<&invitation::Model> = models.iter().collect();
    let committed = events::record(txn, &refs, EventKind::Created, refs[0].invited_by).await?;
    let views = models
        .into_iter()
        .map(|model| InvitationView {
            link: links.remove(&model.token_digest),
            viewer_is_admin: true,
            viewer_is_invitee: false,
            model,
        })
        .collect();
    Ok((views, committed))
}

fn check_max_uses(max_uses: Option<i32>) -> Result<(), AppError> {
    match max_uses {
        Some(uses) if uses < 1 => Err(AppError::bad_input(
            "maxUses must be at least 1 (leave it out for unlimited)",
        )),
        _ => Ok(()),
    }
}
