//! Invitations: creating them (`create`), redeeming and declining them (`redeem`), and the
//! admin side (`manage`: cancel, resend, lists). Shared here: lookups, access and views.

pub mod create;
pub mod manage;
pub mod quotas;
pub mod redeem;

use chrono::{DateTime, Duration, Utc};
use entity::{invitation, invitation_token, organization, user};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use crate::app::AppState;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::domain::EmailDeliveryStatus;
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus, effective_status};
use crate::domain::invite_token::InviteToken;
use crate::domain::org_role::OrgRole;
use crate::email::invitation_email::InvitationEmail;
use crate::email::outbox::{self, QueuedEmail};
use crate::error::{AppError, ErrorCode};
use crate::service::events::Committed;
use crate::service::organizations;

/// An invitation as one viewer may see it.
#[derive(Clone, Debug)]
pub struct InvitationView {
    pub model: invitation::Model,
    /// The viewer manages this invitation (org admin, or server admin for registrations).
    pub viewer_is_admin: bool,
    /// The viewer's email is the invited one.
    pub viewer_is_invitee: bool,
    /// The link with the raw token: only right after creating or resending.
    pub link: Option<String>,
}

impl InvitationView {
    pub fn status(&self) -> InvitationStatus {
        let stored = self
            .model
            .status
            .parse()
            .unwrap_or(InvitationStatus::Cancelled);
        effective_status(stored, self.model.expires_at, Utc::now())
    }
}

/// `{public_url}/invite/{token}`.
pub fn link_for(settings: &Settings, token: &InviteToken) -> String {
    format!("{}/invite/{}", settings.public_base(), token.expose())
}

/// Allowed domains as stored (comma-separated) back to a list.
pub fn allowed_domains(model: &invitation::Model) -> Vec<String> {
    model
        .allowed_email_domains
        .split(',')
        .filter(|domain| !domain.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The expiry a request asked for, or the default; must be in the future and within the maximum.
pub fn resolve_expiry(
    settings: &Settings,
    requested: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let max = now + Duration::days(i64::from(settings.invitation_max_expiry_days));
    match requested {
        None => Ok(now + Duration::days(i64::from(settings.invitation_expiry_days))),
        Some(at) if at <= now => Err(AppError::bad_input("expiresAt must be in the future")),
        Some(at) if at > max => Err(AppError::bad_input(format!(
            "expiresAt may be at most {} days ahead",
            settings.invitation_max_expiry_days
        ))),
        Some(at) => Ok(at),
    }
}

/// Finds the invitation a raw token names, holding its row until the transaction ends.
/// A replaced token answers `INVITATION_SUPERSEDED`; anything else unknown `INVITATION_NOT_FOUND`.
pub(crate) async fn find_by_token_for_update(
    txn: &impl ConnectionTrait,
    raw: &str,
) -> Result<invitation::Model, AppError> {
    find_by_token(txn, raw, true)
        .await?
        .ok_or_else(invitation_not_found)
}

fn invitation_not_found() -> AppError {
    AppError::new(
        ErrorCode::InvitationNotFound,
        "no invitation has this token",
    )
}

async fn find_by_token(
    db: &impl ConnectionTrait,
    raw: &str,
    lock: bool,
) -> Result<Option<invitation::Model>, AppError> {
    let Some(token) = InviteToken::parse(raw) else {
        return Ok(None);
    };
    let digest = token.digest();
    let mut select = invitation::Entity::find().filter(invitation::Column::TokenDigest.eq(&digest));
    if lock {
        select = select.lock(LockType::Update);
    }
    if let Some(found) = select.one(db).await? {
        return Ok(Some(found));
    }
    let superseded = invitation_token::Entity::find()
        .filter(invitation_token::Column::TokenDigest.eq(digest))
        .one(db)
        .await?;
    match superseded {
        Some(_) => Err(AppError::new(
            ErrorCode::InvitationSuperseded,
            "a newer invitation was sent: use the link in the latest email",
        )),
        None => Ok(None),
    }
}

/// Whether the viewer manages the invitation: org admins for org invitations, server admins
/// for registration invitations without an organization.
pub(crate) async fn viewer_manages(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    model: &invitation::Model,
) -> Result<bool, AppError> {
    let Some(user) = viewer.user() else {
        return Ok(false);
    };
    if model.action == InvitationAction::RegisterAccount.as_str() && user.is_server_admin {
        return Ok(true);
    }
    match model.organization_id {
        Some(org_id) => {
            Ok(organizations::role_in(db, user.id, org_id).await? == Some(OrgRole::Admin))
        }
        None => Ok(false),
    }
}

/// Builds the view of `model` for `viewer`.
pub(crate) async fn view(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    model: invitation::Model,
) -> Result<InvitationView, AppError> {
    let viewer_is_admin = viewer_manages(db, viewer, &model).await?;
    Ok(InvitationView {
        viewer_is_invitee: is_invitee(viewer, &model),
        viewer_is_admin,
        model,
        link: None,
    })
}

pub(super) fn is_invitee(viewer: &Viewer, model: &invitation::Model) -> bool {
    match (viewer.user(), &model.email) {
        (Some(user), Some(email)) => user.email == *email,
        _ => false,
    }
}

/// Anonymous preview of the invitation behind a token; `None` when no invitation has it.
pub async fn invitation_by_token(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
) -> Result<Option<InvitationView>, AppError> {
    match find_by_token(&state.db, token, false).await? {
        Some(model) => Ok(Some(view(&state.db, viewer, model).await?)),
        None => Ok(None),
    }
}

/// Requires the viewer to be allowed to invite into `org` as `role`; returns the viewer's role.
pub(crate) async fn require_inviter(
    db: &impl ConnectionTrait,
    user_id: i64,
    org: &organization::Model,
    role: OrgRole,
) -> Result<OrgRole, AppError> {
    let Some(own) = organizations::role_in(db, user_id, org.id).await? else {
        return Err(AppError::forbidden(
            "only members of the organization can invite to it",
        ));
    };
    if !own.can_grant(role, org.members_can_invite) {
        return Err(AppError::forbidden(
            if own == OrgRole::Admin || org.members_can_invite {
                format!("you cannot grant the role {role}: it is above what you may grant")
            } else {
                "only organization admins can invite".to_owned()
            },
        ));
    }
    Ok(own)
}

/// Requires the viewer to administer `org`.
pub(crate) async fn require_org_admin(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    org: &organization::Model,
) -> Result<(), AppError> {
    let user = super::require_user(viewer)?;
    if organizations::role_in(db, user.id, org.id).await? == Some(OrgRole::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "only organization admins can manage its invitations",
        ))
    }
}

/// The organization a request names, or `NOT_FOUND`.
pub(crate) async fn require_org(
    db: &impl ConnectionTrait,
    org: &organizations::OrgRef,
    lock: bool,
) -> Result<organization::Model, AppError> {
    organizations::find(db, org, lock)
        .await?
        .ok_or_else(|| AppError::not_found("no such organization"))
}

/// Queues the email of every view whose email was requested, in the caller's transaction,
/// naming `organization` and `inviter`. Merge what it returns into the transaction's
/// [`Committed`], so that announcing it wakes the outbox worker.
pub(crate) async fn queue_emails(
    txn: &DatabaseTransaction,
    views: &[InvitationView],
    organization: Option<&organization::Model>,
    inviter: Option<&user::Model>,
) -> Result<Committed, AppError> {
    let mut emails = Vec::new();
    for view in views {
        let model = &view.model;
        let (Some(recipient), Some(link)) = (&model.email, &view.link) else {
            continue;
        };
        if model.email_status != EmailDeliveryStatus::Queued.as_str() {
            continue;
        }
        let rendered = InvitationEmail {
            inviter: inviter.map(|user| user.display_name.as_deref().unwrap_or(&user.username)),
            organization: organization.map(|org| org.display_name.as_deref().unwrap_or(&org.name)),
            role: model.role.as_deref(),
            message: model.message.as_deref(),
            expires_at: model.expires_at,
            link,
            registration: model.action == InvitationAction::RegisterAccount.as_str(),
        }
        .render()
        .map_err(|err| anyhow::anyhow!("cannot render the invitation email: {err}"))?;
        emails.push(QueuedEmail {
            invitation_id: model.id,
            recipient: recipient.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        });
    }
    let queued = emails.len();
    outbox::enqueue(txn, emails).await?;
    Ok(Committed::emails(queued))
}

/// The organization and inviter an invitation's email names.
pub(crate) async fn email_names(
    txn: &DatabaseTransaction,
    model: &invitation::Model,
) -> Result<(Option<organization::Model>, Option<user::Model>), AppError> {
    let organization = match model.organization_id {
        Some(id) => organization::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let inviter = match model.invited_by {
        Some(id) => user::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    Ok((organization, inviter))
}
