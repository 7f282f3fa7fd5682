//! An organization's audit log: its event rows, newest first, for its admins, filtered by
//! kind, actor and time. A page costs the same statements whatever its size and filters: the
//! organization, the caller's role, the count and the rows (what they point at is batched
//! above).

use chrono::{DateTime, Utc};
use entity::invitation_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::domain::EventKind;
use crate::error::AppError;
use crate::service::invitations::{require_org, require_org_admin};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, Page, PageRequest, distinct, fetch_page};

/// Which events `orgEvents` lists; an empty field does not filter.
#[derive(Debug, Default)]
pub struct EventFilter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<EventKind>,
    /// Only what this account did.
    pub actor_id: Option<i64>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Most entries of `kinds` (each kind once is all there is to ask for).
const MAX_KINDS: usize = 32;

/// A `kinds` filter, each kind once; refuses a list longer than [`MAX_KINDS`].
pub fn kinds_filter(kinds: Vec<EventKind>) -> Result<Vec<EventKind>, AppError> {
    distinct(kinds, MAX_KINDS, "kinds", "kinds")
}

/// One page of `org`'s log, newest first; its admins only.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn org_events(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
    filter: EventFilter,
    page: PageRequest,
) -> Result<Page<invitation_event::Model>, AppError> {
    let kinds = kinds_filter(filter.kinds)?;
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since >= until
    {
        return Err(AppError::bad_input("since must be before until"));
    }
    let org = require_org(&ctx.db, org, false).await?;
    require_org_admin(&ctx.db, viewer, &org).await?;
    let mut select = invitation_event::Entity::find()
        .filter(invitation_event::Column::OrganizationId.eq(org.id));
    if !kinds.is_empty() {
        select = select.filter(invitation_event::Column::Kind.is_in(kinds));
    }
    if let Some(actor_id) = filter.actor_id {
        select = select.filter(invitation_event::Column::ActorId.eq(actor_id));
    }
    if let Some(since) = filter.since {
        select = select.filter(invitation_event::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(invitation_event::Column::CreatedAt.lt(until));
    }
    ctx.read_hot(viewer, move |db| {
        let select = select.clone();
        async move { fetch_page(&db, select, invitation_event::Column::Id, page).await }
    })
    .await
}
