//! Invitations: creating them (`create`), redeeming and declining them (`redeem`), and the
//! admin side (`manage`: cancel, resend, lists). Shared here: lookups, access and views.

pub mod accept_fast;
pub mod create;
pub mod feed;
pub mod links;
pub mod manage;
pub mod ordering;
pub mod queries;
pub mod quotas;
pub mod recipient;
pub mod redeem;
pub mod resend_filter;
mod transitions;

use chrono::{DateTime, Duration, Utc};
use entity::{invitation, invitation_token, membership, organization, user};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, JoinType, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, RelationDef, Select,
};

pub(crate) use transitions::{close, close_all, supersede_token};

use crate::auth::Viewer;
use crate::config::Settings;
use crate::domain::EmailDeliveryStatus;
use crate::domain::email_address::EmailDomains;
use crate::domain::invitation_rules::{self, InvitationAction, InvitationStatus, effective_status};
use crate::domain::invite_token::InviteToken;
use crate::domain::org_role::{Grants, OrgRole};
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
    /// Looked up by a token that a newer one replaced (a resend, a reminder, a regenerated
    /// link): the preview shows it, but it can no longer be used.
    pub token_superseded: bool,
}

impl InvitationView {
    pub fn status(&self) -> InvitationStatus {
        effective_status(self.model.status, self.model.expires_at, Utc::now())
    }
}

/// The result of `acceptInvitation`.
pub struct Accepted {
    pub invitation: InvitationView,
    pub membership: membership::Model,
    pub organization: organization::Model,
}

impl Accepted {
    /// The accepted invitation `model` as the new member sees it, with their membership.
    pub(crate) fn new(
        model: invitation::Model,
        membership: membership::Model,
        organization: organization::Model,
    ) -> Self {
        Self {
            invitation: InvitationView {
                token_superseded: false,
                viewer_is_admin: membership.role == OrgRole::Admin,
                viewer_is_invitee: model.email.is_some(),
                model,
                link: None,
            },
            membership,
            organization,
        }
    }
}

/// The view of an invitation for those who manage it.
pub(crate) fn admin_view(model: invitation::Model) -> InvitationView {
    InvitationView {
        token_superseded: false,
        model,
        viewer_is_admin: true,
        viewer_is_invitee: false,
        link: None,
    }
}

/// `{public_url}/invite/{token}`.
pub fn link_for(settings: &Settings, token: &InviteToken) -> String {
    format!("{}/invite/{}", settings.public_base(), token.expose())
}

/// Allowed domains as stored (comma-separated) back to a list.
pub fn allowed_domains(model: &invitation::Model) -> Vec<String> {
    EmailDomains::stored(&model.allowed_email_domains).into_vec()
}

/// The expiry a request asked for, or the default; must be in the future and within the maximum.
/// When a new invitation should expire, as the request put it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestedExpiry {
    /// Not named: the organization's default, else the server's.
    #[default]
    Default,
    At(DateTime<Utc>),
    /// `expiresAt: null`: never, for links on a server that allows it.
    Never,
}

impl From<Option<DateTime<Utc>>> for RequestedExpiry {
    fn from(at: Option<DateTime<Utc>>) -> Self {
        at.map_or(Self::Default, Self::At)
    }
}

/// The `expires_at` of a new invitation. Only open links (`may_be_endless`) may never expire,
/// and only when `DOORMAN_INVITATION_MAX_EXPIRY_DAYS` is `none`.
pub fn resolve_expiry(
    settings: &Settings,
    requested: RequestedExpiry,
    org: Option<&organization::Model>,
    now: DateTime<Utc>,
    may_be_endless: bool,
) -> Result<DateTime<Utc>, AppError> {
    let max_days = settings.invitation_max_expiry_days.days();
    let max = now + Duration::days(i64::from(max_days));
    match requested {
        RequestedExpiry::Default => Ok(match org.and_then(|org| org.default_invite_expiry_hours) {
            Some(hours) => Ord::min(now + Duration::hours(i64::from(hours)), max),
            None => now + Duration::days(i64::from(settings.invitation_expiry_days)),
        }),
        RequestedExpiry::Never if !may_be_endless => Err(AppError::bad_input(
            "an invitation for an email always expires: give expiresAt or leave it out",
        )),
        RequestedExpiry::Never if !settings.invitation_max_expiry_days.allows_never() => {
            Err(AppError::over_limit(
                format!(
                    "this server allows links to last at most {max_days} days: give expiresAt \
                     or leave it out"
                ),
                "DOORMAN_INVITATION_MAX_EXPIRY_DAYS",
            ))
        }
        RequestedExpiry::Never => Ok(invitation_rules::never_expires()),
        RequestedExpiry::At(at) if at <= now => {
            Err(AppError::bad_input("expiresAt must be in the future"))
        }
        RequestedExpiry::At(at) if at > max => Err(AppError::over_limit(
            format!("expiresAt may be at most {max_days} days ahead"),
            "DOORMAN_INVITATION_MAX_EXPIRY_DAYS",
        )),
        RequestedExpiry::At(at) => Ok(at),
    }
}

pub(crate) async fn find_by_token_for_update(
    txn: &impl ConnectionTrait,
    token: &InviteToken,
) -> Result<invitation::Model, AppError> {
    let digest = token.digest();
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenDigest.eq(&digest))
        .lock(LockType::Update)
        .one(txn)
        .await?;
    if let Some(found) = found {
        return Ok(found);
    }
    refuse_superseded(txn, digest).await?;
    Err(AppError::invitation_not_found())
}

/// The invitation whose token `digest` was, before a resend or reminder replaced it.
pub(super) async fn superseded_invitation(
    db: &impl ConnectionTrait,
    digest: String,
) -> Result<Option<i64>, AppError> {
    Ok(invitation_token::Entity::find()
        .filter(invitation_token::Column::TokenDigest.eq(digest))
        .one(db)
        .await?
        .map(|replaced| replaced.invitation_id))
}

/// `INVITATION_SUPERSEDED` when `digest` is a token that a resend replaced.
pub(super) async fn refuse_superseded(
    db: &impl ConnectionTrait,
    digest: String,
) -> Result<(), AppError> {
    match superseded_invitation(db, digest).await? {
        Some(_) => Err(AppError::new(
            ErrorCode::InvitationSuperseded,
            "a newer invitation was sent: use the link in the latest email",
        )),
        None => Ok(()),
    }
}

/// Whether the viewer manages the invitation: org admins for org invitations (and, where
/// members may invite, the member who sent it), server admins for registration invitations
/// without an organization.
pub(crate) async fn viewer_manages(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    model: &invitation::Model,
) -> Result<bool, AppError> {
    let Some(user) = viewer.user() else {
        return Ok(false);
    };
    if model.action == InvitationAction::RegisterAccount && user.is_server_admin {
        return Ok(true);
    }
    let Some(org_id) = model.organization_id else {
        return Ok(false);
    };
    match organizations::role_in(db, user.id, org_id).await? {
        Some(OrgRole::Admin) => Ok(true),
        // Where members may invite, they manage the invitations they sent.
        Some(OrgRole::Member) if model.invited_by == Some(user.id) => {
            Ok(organization::Entity::find_by_id(org_id)
                .one(db)
                .await?
                .is_some_and(|org| org.members_can_invite))
        }
        _ => Ok(false),
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
        token_superseded: false,
        viewer_is_invitee: is_invitee(viewer, &model),
        viewer_is_admin,
        model,
        link: None,
    })
}

/// Whether the viewer is the invitee: an account that has proven it owns the invited email
/// (anyone can claim an address by registering with it).
pub(super) fn is_invitee(viewer: &Viewer, model: &invitation::Model) -> bool {
    match (viewer.user(), &model.email) {
        (Some(user), Some(email)) => user.email == *email && user.email_verified_at.is_some(),
        _ => false,
    }
}

/// The organization a request names, if the viewer administers it: one query for both.
/// `NOT_FOUND` when there is no such organization, `FORBIDDEN` when the viewer is not an admin.
pub(crate) async fn require_org_as_admin(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    org: &organizations::OrgRef,
) -> Result<organization::Model, AppError> {
    const VIEWER_ROLE: &str = "viewer_role";
    let viewer_id = viewer.id;
    let select = organizations::named(org);
    let viewer_membership: RelationDef = organization::Entity::belongs_to(membership::Entity)
        .from(organization::Column::Id)
        .to(membership::Column::OrganizationId)
        .on_condition(move |_, membership| {
            Expr::col((membership, membership::Column::UserId))
                .eq(viewer_id)
                .into_condition()
        })
        .into();
    let select = select
        .join(JoinType::LeftJoin, viewer_membership)
        .column_as(membership::Column::Role, VIEWER_ROLE);
    let row = db
        .query_one_raw(select.build(db.get_database_backend()))
        .await?
        .ok_or_else(|| AppError::not_found("no such organization"))?;
    let role: Option<OrgRole> = row.try_get("", VIEWER_ROLE)?;
    if role.is_none() && !viewer.is_server_admin {
        // To anyone outside it, an organization does not exist.
        return Err(no_such_organization());
    }
    if role != Some(OrgRole::Admin) {
        return Err(AppError::forbidden(
            "only organization admins can manage its invitations",
        ));
    }
    Ok(organization::Model::from_query_result(&row, "")?)
}

/// One page of `select` in `page`'s order, like [`crate::service::fetch_page`], with the
/// inviters of its invitations read in the same query.
pub(crate) async fn fetch_page_with_inviters(
    db: &impl ConnectionTrait,
    select: Select<invitation::Entity>,
    page: &ordering::SortedPage,
) -> Result<(crate::service::Page<invitation::Model>, Vec<user::Model>), AppError> {
    let total_count = if page.count_total {
        select.clone().count(db).await?
    } else {
        0
    };
    let select = page.apply(select).join(
        JoinType::LeftJoin,
        belongs_to::<user::Entity>(invitation::Column::InvitedBy, user::Column::Id),
    );
    let select = with_columns_of::<user::Entity>(select, INVITER_PREFIX);
    let rows = db
        .query_all_raw(select.build(db.get_database_backend()))
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut inviters: Vec<user::Model> = Vec::new();
    for row in &rows {
        items.push(invitation::Model::from_query_result(row, "")?);
        if let Some(inviter) = user::Model::from_query_result_optional(row, INVITER_PREFIX)?
            && !inviters.iter().any(|known| known.id == inviter.id)
        {
            inviters.push(inviter);
        }
    }
    let (items, has_more) = page.finish(items);
    let beyond_cursor = page.cursor.is_some();
    Ok((
        crate::service::Page {
            items,
            has_next_page: if page.backward {
                beyond_cursor
            } else {
                has_more
            },
            has_previous_page: if page.backward {
                has_more
            } else {
                beyond_cursor
            },
            total_count,
        },
        inviters,
    ))
}

pub(super) const ORGANIZATION_PREFIX: &str = "organization_";
pub(super) const INVITER_PREFIX: &str = "inviter_";

/// `invitations.{from} = {E}.{to}`, for a join (the entities declare no relations).
pub(super) fn belongs_to<E: EntityTrait>(from: invitation::Column, to: E::Column) -> RelationDef {
    invitation::Entity::belongs_to(E::default())
        .from(from)
        .to(to)
        .into()
}

/// Adds every column of `E` to `select`, named `{prefix}{column}`.
pub(super) fn with_columns_of<E: EntityTrait>(
    mut select: Select<invitation::Entity>,
    prefix: &str,
) -> Select<invitation::Entity> {
    for column in E::Column::iter() {
        select = select.column_as(column, format!("{prefix}{}", column.as_str()));
    }
    select
}

/// Requires `user_id` to be allowed to invite into `org` as `role`; returns its role. To a
/// non-member the organization does not exist (`NOT_FOUND`), unless `sees_all` (server admins).
pub(crate) async fn require_inviter(
    db: &impl ConnectionTrait,
    user_id: i64,
    sees_all: bool,
    org: &organization::Model,
    role: OrgRole,
) -> Result<OrgRole, AppError> {
    let Some(own) = organizations::role_in(db, user_id, org.id).await? else {
        return Err(if sees_all {
            AppError::forbidden("only members of the organization can invite to it")
        } else {
            no_such_organization()
        });
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
    match organizations::role_in(db, user.id, org.id).await? {
        Some(OrgRole::Admin) => Ok(()),
        // To anyone outside it, an organization does not exist.
        None if !user.is_server_admin => Err(no_such_organization()),
        _ => Err(AppError::forbidden(
            "only organization admins can manage its invitations",
        )),
    }
}

fn no_such_organization() -> AppError {
    AppError::not_found("no such organization")
}

/// The organization a request names, or `NOT_FOUND`.
pub(crate) async fn require_org(
    db: &impl ConnectionTrait,
    org: &organizations::OrgRef,
    lock: bool,
) -> Result<organization::Model, AppError> {
    organizations::find(db, org, lock)
        .await?
        .ok_or_else(no_such_organization)
}

/// Queues the email of every view whose email was requested, in the caller's transaction,
/// with its link; the worker renders the message, in its language, when it sends it
/// (rendering 100 of them here made a bulk invite write four times the bytes). The link of a
/// queued email leaves the view: it goes to the invitee's mailbox and nowhere else, which is
/// what lets it prove that mailbox. Merge what it returns into the
/// transaction's [`Committed`], so that announcing it wakes the outbox worker.
pub(crate) async fn queue_emails(
    txn: &DatabaseTransaction,
    views: &mut [InvitationView],
) -> Result<Committed, AppError> {
    let mut emails = Vec::new();
    for view in views {
        let model = &view.model;
        let (Some(recipient), Some(link)) = (&model.email, &view.link) else {
            continue;
        };
        if model.email_status != EmailDeliveryStatus::Queued || model.link_disclosed {
            continue;
        }
        emails.push(QueuedEmail::invitation(
            model.id,
            recipient.clone(),
            link.clone(),
        ));
        view.link = None;
    }
    let queued = emails.len();
    outbox::enqueue(txn, emails).await?;
    Ok(Committed::emails(queued))
}
