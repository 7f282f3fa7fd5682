//! What the invitation lists and lookups show: the preview behind a token, an organization's
//! invitations, the viewer's own, registration invitations, who redeemed one, and the batch
//! lookups behind the loaders. Reads only.

use std::collections::HashMap;

use chrono::Utc;
use entity::{invitation, invitation_redemption, invitation_token, membership, organization, user};
use sea_orm::sea_query::JoinType;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::ordering::SortedPage;
use super::{
    INVITER_PREFIX, InvitationView, ORGANIZATION_PREFIX, admin_view, belongs_to, view,
    with_columns_of,
};
use crate::auth::Viewer;
use crate::domain::EmailDeliveryStatus;
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::domain::org_role::OrgRole;
use crate::error::{AppError, ErrorCode};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, Page, PageRequest, distinct, fetch_page, organizations, require_user};

/// An invitation with the organization and inviter it names, read together.
pub struct Preview {
    pub invitation: InvitationView,
    pub organization: Option<organization::Model>,
    pub inviter: Option<user::Model>,
}

/// Anonymous preview of the invitation behind a token; `None` when no invitation has it. A
/// token a newer one replaced still shows its invitation, marked `token_superseded` (its
/// next step is to ask for a new one). One query reads the invitation, its organization and
/// its inviter: the preview shows all three, and this is the most called use case (every
/// click on a link).
pub async fn invitation_by_token(
    ctx: &Ctx,
    viewer: &Viewer,
    token: &InviteToken,
) -> Result<Option<Preview>, AppError> {
    let digest = token.digest();
    if let Some(kept) = ctx.previews.get(&digest) {
        let mut invitation = view(&ctx.db, viewer, kept.invitation.clone()).await?;
        // Who manages it sees its delivery state too, which changes without an event.
        if !invitation.viewer_is_admin {
            ctx.metrics.preview_cache_hits.inc();
            invitation.token_superseded = kept.token_superseded;
            return Ok(Some(Preview {
                invitation,
                organization: kept.organization.as_deref().cloned(),
                inviter: kept.inviter.as_deref().cloned(),
            }));
        }
    }
    let filling = ctx.previews.filling();
    // A link made a moment ago may not have reached the replica yet: looked up on the
    // primary too.
    let found = ctx
        .read_hot_found(viewer, |db| {
            let digest = &digest;
            async move { preview_of(&db, digest).await }
        })
        .await?;
    let Some((row, token_superseded)) = found else {
        return Ok(None);
    };
    let model = invitation::Model::from_query_result(&row, "")?;
    let organization = organization::Model::from_query_result_optional(&row, ORGANIZATION_PREFIX)?;
    let inviter = user::Model::from_query_result_optional(&row, INVITER_PREFIX)?;
    ctx.previews.put(
        digest,
        filling,
        &model,
        organization.as_ref(),
        inviter.as_ref(),
        token_superseded,
    );
    // What the viewer may see is decided on the primary: a right just lost is lost here too.
    let mut invitation = view(&ctx.db, viewer, model).await?;
    invitation.token_superseded = token_superseded;
    Ok(Some(Preview {
        organization,
        inviter,
        invitation,
    }))
}

/// The row behind the token with `digest` read from `db` (the primary or the replica), and
/// whether a newer token replaced it.
async fn preview_of(
    db: &DatabaseConnection,
    digest: &str,
) -> Result<Option<(sea_orm::QueryResult, bool)>, AppError> {
    if let Some(row) = preview_row(db, invitation::Column::TokenDigest.eq(digest)).await? {
        return Ok(Some((row, false)));
    }
    let Some(old) = invitation_token::Entity::find()
        .filter(invitation_token::Column::TokenDigest.eq(digest))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let by_id = invitation::Column::Id.eq(old.invitation_id);
    Ok(preview_row(db, by_id).await?.map(|row| (row, true)))
}

/// The invitation matching `condition`, with its organization and inviter, in one row.
async fn preview_row(
    db: &DatabaseConnection,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> Result<Option<sea_orm::QueryResult>, AppError> {
    let select = invitation::Entity::find()
        .filter(condition)
        .join(
            JoinType::LeftJoin,
            belongs_to::<organization::Entity>(
                invitation::Column::OrganizationId,
                organization::Column::Id,
            ),
        )
        .join(
            JoinType::LeftJoin,
            belongs_to::<user::Entity>(invitation::Column::InvitedBy, user::Column::Id),
        );
    let select = with_columns_of::<organization::Entity>(select, ORGANIZATION_PREFIX);
    let select = with_columns_of::<user::Entity>(select, INVITER_PREFIX);
    Ok(db
        .query_one_raw(select.build(db.get_database_backend()))
        .await?)
}

/// Filters for `orgInvitations`, checked: each status at most once, a bounded email.
pub struct InvitationFilter {
    statuses: Vec<InvitationStatus>,
    email: Option<String>,
    email_statuses: Vec<EmailDeliveryStatus>,
}

/// How many statuses there are: a status filter names each at most once.
const STATUS_COUNT: usize = 6;
/// The longest email address (RFC 5321): a longer search matches nothing.
const MAX_EMAIL_FILTER_CHARS: usize = 254;

impl InvitationFilter {
    /// A filter for rows with any of `statuses` (all when empty; duplicates count once) whose
    /// email contains `email` (trimmed, case-insensitive).
    pub fn new(statuses: Vec<InvitationStatus>, email: Option<String>) -> Result<Self, AppError> {
        let statuses = distinct(statuses, STATUS_COUNT, "status", "statuses")?;
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        if let Some(email) = &email
            && email.chars().count() > MAX_EMAIL_FILTER_CHARS
        {
            return Err(AppError::bad_input(format!(
                "email may be at most {MAX_EMAIL_FILTER_CHARS} characters"
            )));
        }
        Ok(Self {
            statuses,
            email,
            email_statuses: Vec::new(),
        })
    }

    /// Also only rows whose email stands in one of `statuses` (all when empty).
    pub fn with_email_statuses(
        mut self,
        statuses: Vec<EmailDeliveryStatus>,
    ) -> Result<Self, AppError> {
        self.email_statuses = distinct(statuses, EMAIL_STATUS_COUNT, "emailStatus", "statuses")?;
        Ok(self)
    }
}

/// How many delivery statuses there are.
const EMAIL_STATUS_COUNT: usize = 4;

/// One page of an organization's invitations, with the organization and the inviters it
/// names, read with it (for the request's loaders).
pub struct InvitationPage {
    pub page: Page<InvitationView>,
    pub organization: organization::Model,
    pub inviters: Vec<user::Model>,
}

/// An organization's invitations in `page`'s order (newest first unless asked otherwise);
/// org admins only. Two queries: the
/// organization with the viewer's role in it, then the page with each inviter.
pub async fn org_invitations(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
    filter: InvitationFilter,
    page: SortedPage,
) -> Result<InvitationPage, AppError> {
    let org = super::require_org_as_admin(&ctx.db, require_user(viewer)?, org).await?;
    let mut select =
        invitation::Entity::find().filter(invitation::Column::OrganizationId.eq(org.id));
    if !filter.statuses.is_empty() {
        select = select.filter(status_condition(&filter.statuses));
    }
    if let Some(email) = filter.email {
        select = select.filter(invitation::Column::Email.contains(email));
    }
    if !filter.email_statuses.is_empty() {
        select = select.filter(invitation::Column::EmailStatus.is_in(filter.email_statuses));
    }
    let page = &page;
    let (page, inviters) = ctx
        .read_hot(viewer, move |db| {
            let select = select.clone();
            async move { super::fetch_page_with_inviters(&db, select, page).await }
        })
        .await?;
    Ok(InvitationPage {
        page: page.map(admin_view),
        organization: org,
        inviters,
    })
}

/// Matches rows whose read-time status is one of `statuses` (`EXPIRED` and `PENDING` split
/// stored `PENDING` rows by their expiry; `EXPIRED` also takes the rows the sweep marked):
/// at most four terms, whatever the list.
fn status_condition(statuses: &[InvitationStatus]) -> Condition {
    let now = Utc::now();
    let pending = || invitation::Column::Status.eq(InvitationStatus::Pending);
    let stored: Vec<InvitationStatus> = statuses
        .iter()
        .copied()
        .filter(|status| {
            !matches!(
                status,
                InvitationStatus::Pending | InvitationStatus::Expired
            )
        })
        .collect();
    let mut any = Condition::any();
    if !stored.is_empty() {
        any = any.add(invitation::Column::Status.is_in(stored));
    }
    if statuses.contains(&InvitationStatus::Pending) {
        any = any.add(
            Condition::all()
                .add(pending())
                .add(invitation::Column::ExpiresAt.gt(now)),
        );
    }
    if statuses.contains(&InvitationStatus::Expired) {
        any = any
            .add(invitation::Column::Status.eq(InvitationStatus::Expired))
            .add(
                Condition::all()
                    .add(pending())
                    .add(invitation::Column::ExpiresAt.lte(now)),
            );
    }
    any
}

/// Pending invitations addressed to the viewer's email, newest first.
pub async fn my_invitations(ctx: &Ctx, viewer: &Viewer) -> Result<Vec<InvitationView>, AppError> {
    let user = require_user(viewer)?;
    if user.email_verified_at.is_none() {
        return Err(AppError::new(
            ErrorCode::EmailNotVerified,
            "verify your email address to see the invitations sent to it",
        ));
    }
    let models = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(&user.email))
        .filter(status_condition(&[InvitationStatus::Pending]))
        .order_by_desc(invitation::Column::Id)
        .limit(crate::service::MAX_PAGE_SIZE)
        .all(&ctx.db)
        .await?;
    batch_views(ctx, viewer, models).await
}

/// Registration invitations, newest first; server admins only.
pub async fn registration_invitations(
    ctx: &Ctx,
    viewer: &Viewer,
    page: PageRequest,
) -> Result<Page<InvitationView>, AppError> {
    let user = require_user(viewer)?;
    if !user.is_server_admin {
        return Err(AppError::forbidden(
            "only server admins can list registration invitations",
        ));
    }
    let select = invitation::Entity::find()
        .filter(invitation::Column::Action.eq(InvitationAction::RegisterAccount));
    let page = fetch_page(&ctx.db, select, invitation::Column::Id, page).await?;
    Ok(page.map(admin_view))
}

/// Who used an invitation and when, newest first; for those who manage it.
pub async fn redemptions(
    ctx: &Ctx,
    viewer: &Viewer,
    invitation: &InvitationView,
    page: PageRequest,
) -> Result<Page<invitation_redemption::Model>, AppError> {
    require_admin_field(viewer, invitation)?;
    let select = invitation_redemption::Entity::find()
        .filter(invitation_redemption::Column::InvitationId.eq(invitation.model.id));
    fetch_page(&ctx.db, select, invitation_redemption::Column::Id, page).await
}

/// Admin-only invitation fields answer `UNAUTHENTICATED` to anonymous callers and
/// `FORBIDDEN` to everyone else who does not manage the invitation.
pub fn require_admin_field(viewer: &Viewer, invitation: &InvitationView) -> Result<(), AppError> {
    if invitation.viewer_is_admin {
        Ok(())
    } else {
        require_user(viewer)?;
        Err(AppError::forbidden(
            "only those who manage this invitation can see this field",
        ))
    }
}

/// The invitation a membership came through: for the member and for those who manage it.
pub async fn membership_invitation(
    ctx: &Ctx,
    viewer: &Viewer,
    membership: &membership::Model,
    invitation_id: i64,
) -> Result<Option<InvitationView>, AppError> {
    let Some(model) = invitation::Entity::find_by_id(invitation_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let view = super::view(&ctx.db, viewer, model).await?;
    let visible = view.viewer_is_admin || viewer.user_id() == Some(membership.user_id);
    Ok(visible.then_some(view))
}

/// The invitations among `ids` the viewer may see, by id: those it manages and those
/// addressed to its email. Others are left out, as if they did not exist.
pub async fn invitations_by_ids(
    ctx: &Ctx,
    viewer: &Viewer,
    ids: &[i64],
) -> Result<HashMap<i64, InvitationView>, AppError> {
    require_user(viewer)?;
    let models = invitation::Entity::find()
        .filter(invitation::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.db)
        .await?;
    Ok(batch_views(ctx, viewer, models)
        .await?
        .into_iter()
        .filter(|view| view.viewer_is_admin || view.viewer_is_invitee)
        .map(|view| (view.model.id, view))
        .collect())
}

/// The views of `models` for `viewer`, with one query for the viewer's roles in all their
/// organizations rather than one per invitation.
async fn batch_views(
    ctx: &Ctx,
    viewer: &Viewer,
    models: Vec<invitation::Model>,
) -> Result<Vec<InvitationView>, AppError> {
    let org_ids: Vec<i64> = models.iter().filter_map(|m| m.organization_id).collect();
    let roles = organizations::viewer_roles(ctx, viewer, &org_ids).await?;
    let server_admin = viewer.user().is_some_and(|user| user.is_server_admin);
    Ok(models
        .into_iter()
        .map(|model| InvitationView {
            token_superseded: false,
            viewer_is_admin: match model.organization_id {
                Some(org_id) => roles.get(&org_id) == Some(&OrgRole::Admin),
                None => server_admin && model.action == InvitationAction::RegisterAccount,
            },
            viewer_is_invitee: super::is_invitee(viewer, &model),
            link: None,
            model,
        })
        .collect())
}
