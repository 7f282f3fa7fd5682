//! Creating invitations: multi-use links, registration invitations, and (in `bulk`) email
//! invitations in bulk. All go through `insert::insert_invitations`.

mod bulk;
mod insert;

pub use bulk::{
    ExistingMember, InviteEntry, InviteError, OnExistingMember, OrgInvites, OrgInvitesOutcome,
    create_org_invites,
};
pub use insert::Extras;

use entity::user;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use insert::{NewInvitation, insert_invitations};

use super::{
    InvitationView, RequestedExpiry, quotas, require_inviter, require_org, resolve_expiry,
};
use crate::auth::Viewer;
use crate::db;
use crate::domain::email_address::{EmailAddress, EmailDomains};
use crate::domain::invitation_rules::InvitationAction;
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode};
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::organizations::OrgRef;
use crate::service::require_user;

/// What `createInviteLink` needs.
pub struct InviteLink {
    pub org: OrgRef,
    /// `None`: the organization's default.
    pub role: Option<OrgRole>,
    pub max_uses: Option<i32>,
    pub expires_at: RequestedExpiry,
    /// `None`: the organization's default.
    pub allowed_email_domains: Option<EmailDomains>,
    pub extras: Extras,
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
    let expires_at = resolve_expiry(&ctx.settings, input.expires_at, Some(&org), now, true)?;
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
            extras: input.extras,
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
    pub expires_at: RequestedExpiry,
    pub org: Option<OrgRef>,
    pub role: Option<OrgRole>,
    pub send_email: bool,
    pub extras: Extras,
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
    let max_days = ctx.settings.invitation_max_expiry_days.days();
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
            expires_at: expires_at.into(),
            org: None,
            role: None,
            send_email: false,
            extras: Extras::default(),
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
    let expires_at = resolve_expiry(
        &ctx.settings,
        input.expires_at,
        org.as_ref(),
        now,
        email.is_none(),
    )?;
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
            extras: input.extras,
        }],
    )
    .await?;
    let emails = super::queue_emails(txn, &mut created).await?;
    Ok((created.remove(0), committed.merge(emails)))
}

fn check_max_uses(max_uses: Option<i32>) -> Result<(), AppError> {
    match max_uses {
        Some(uses) if uses < 1 => Err(AppError::bad_input(
            "maxUses must be at least 1 (leave it out for unlimited)",
        )),
        _ => Ok(()),
    }
}
