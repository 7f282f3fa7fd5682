//! Webhooks: endpoints that hear an organization's events (its admins manage them) or every
//! organization's (server admins), signed deliveries in the Standard Webhooks format
//! (`signing`), written in each event's own transaction (`deliveries`) and POSTed by a worker
//! (`worker`) at least once, in order per endpoint, only to allowed addresses (`guard`).
//! Rights are checked on every call: an admin demoted a second ago manages nothing.

use chrono::Duration;
use entity::enums::{DeliveryStatus, WebhookStatus};
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, Select,
};

use crate::auth::Viewer;
use crate::db;
use crate::domain::EventKind;
use crate::error::AppError;
use crate::service::invitations::{require_org, require_org_admin};
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, Page, PageRequest, distinct, fetch_page, require_user};

pub mod deliveries;
pub mod guard;
pub mod notice;
pub mod payload;
pub mod signing;
pub mod worker;

/// Most endpoints one organization (or the server) may have.
pub const MAX_ENDPOINTS: u64 = 20;
/// The advisory lock of creating an owner's endpoints: this plus the organization's id (0 for
/// the server-wide ones).
const ENDPOINTS_LOCK: i64 = 0x5745_4248_4f4f_4b00;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 500;

/// What an endpoint is for: its URL, the kinds it hears (empty: all) and a note.
pub struct EndpointInput {
    pub url: String,
    pub kinds: Vec<EventKind>,
    pub description: Option<String>,
}

/// An endpoint and, right after its creation or a rotation, its secret (shown this once).
pub struct WithSecret {
    pub endpoint: webhook_endpoint::Model,
    pub secret: String,
}

/// The kinds an endpoint stores: each between commas, `*` for all.
fn stored_kinds(kinds: Vec<EventKind>) -> Result<String, AppError> {
    let kinds = distinct(kinds, 64, "events", "events")?;
    if kinds.is_empty() {
        return Ok(",*,".to_owned());
    }
    let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    Ok(format!(",{},", names.join(",")))
}

/// The kinds an endpoint hears; `None` for all.
pub fn kinds_of(endpoint: &webhook_endpoint::Model) -> Option<Vec<EventKind>> {
    if endpoint.event_kinds == ",*," {
        return None;
    }
    Some(
        endpoint
            .event_kinds
            .split(',')
            .filter_map(|name| sea_orm::ActiveEnum::try_from_value(&name.to_owned()).ok())
            .collect(),
    )
}

fn checked_description(description: Option<String>) -> Result<Option<String>, AppError> {
    let description = description
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if description
        .as_ref()
        .is_some_and(|text| text.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(AppError::bad_input(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(description)
}

/// The organization whose endpoints `org` names, after checking the caller may manage them:
/// its admins, or for `None` (every organization's) server admins.
async fn require_manager(
    ctx: &Ctx,
    viewer: &Viewer,
    org: Option<&OrgRef>,
) -> Result<Option<i64>, AppError> {
    let user = require_user(viewer)?;
    match org {
        Some(org) => {
            let org = require_org(&ctx.db, org, false).await?;
            require_org_admin(&ctx.db, viewer, &org).await?;
            Ok(Some(org.id))
        }
        None if user.is_server_admin => Ok(None),
        None => Err(AppError::forbidden(
            "only server admins manage endpoints that hear every organization",
        )),
    }
}

/// The endpoints of one organization, or with `None` the server-wide ones.
fn owned_by(organization_id: Option<i64>) -> Select<webhook_endpoint::Entity> {
    webhook_endpoint::Entity::find().filter(match organization_id {
        Some(id) => webhook_endpoint::Column::OrganizationId.eq(id),
        None => webhook_endpoint::Column::OrganizationId.is_null(),
    })
}

/// Endpoint `id`, if the caller may manage it; `NOT_FOUND` otherwise for anyone outside its
/// organization.
async fn require_endpoint(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
) -> Result<webhook_endpoint::Model, AppError> {
    require_user(viewer)?;
    let endpoint = webhook_endpoint::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| AppError::not_found("no such webhook endpoint"))?;
    let org = endpoint.organization_id.map(OrgRef::Id);
    match require_manager(ctx, viewer, org.as_ref()).await {
        Ok(_) => Ok(endpoint),
        // Outside its organization, or a server-wide one for anyone but server admins: it
        // does not exist, so that ids cannot be told apart by their answers.
        Err(err)
            if err.code() == crate::error::ErrorCode::NotFound
                || endpoint.organization_id.is_none() =>
        {
            Err(AppError::not_found("no such webhook endpoint"))
        }
        Err(err) => Err(err),
    }
}

/// Creates an endpoint of `org` (or, with `None`, of every organization); its secret is in the
/// answer and never again.
pub async fn create_endpoint(
    ctx: &Ctx,
    viewer: &Viewer,
    org: Option<&OrgRef>,
    input: EndpointInput,
) -> Result<WithSecret, AppError> {
    let organization_id = require_manager(ctx, viewer, org).await?;
    let url = guard::check_url(&input.url, &ctx.settings.webhooks)?;
    let event_kinds = stored_kinds(input.kinds)?;
    let description = checked_description(input.description)?;
    // One create per owner at a time, so that two at once cannot both pass the limit.
    let txn = db::begin_write(&ctx.db).await?;
    db::lock_key(
        &txn,
        ENDPOINTS_LOCK.wrapping_add(organization_id.unwrap_or(0)),
    )
    .await?;
    let existing = owned_by(organization_id).count(&txn).await?;
    if existing >= MAX_ENDPOINTS {
        return Err(AppError::bad_input(format!(
            "at most {MAX_ENDPOINTS} webhook endpoints per organization: delete one first"
        )));
    }
    let now = crate::db::now();
    let secret = signing::new_secret();
    let endpoint = webhook_endpoint::ActiveModel {
        organization_id: Set(organization_id),
        url: Set(url),
        description: Set(description),
        event_kinds: Set(event_kinds),
        status: Set(WebhookStatus::Active),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        failing_since: Set(None),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(endpoint_id = endpoint.id, "webhook endpoint created");
    Ok(WithSecret { endpoint, secret })
}

/// What `updateWebhookEndpoint` changes; `None` keeps a value.
pub struct EndpointChanges {
    pub url: Option<String>,
    pub kinds: Option<Vec<EventKind>>,
    pub description: Option<Option<String>>,
}

pub async fn update_endpoint(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
    changes: EndpointChanges,
) -> Result<webhook_endpoint::Model, AppError> {
    let endpoint = require_endpoint(ctx, viewer, id).await?;
    let mut active = endpoint.into_active_model();
    if let Some(url) = changes.url {
        active.url = Set(guard::check_url(&url, &ctx.settings.webhooks)?);
    }
    if let Some(kinds) = changes.kinds {
        active.event_kinds = Set(stored_kinds(kinds)?);
    }
    if let Some(description) = changes.description {
        active.description = Set(checked_description(description)?);
    }
    active.updated_at = Set(crate::db::now());
    Ok(active.update(&ctx.db).await?)
}

/// Pauses (deliveries wait, in order) or resumes (also a disabled endpoint) an endpoint.
pub async fn set_paused(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
    paused: bool,
) -> Result<webhook_endpoint::Model, AppError> {
    let endpoint = require_endpoint(ctx, viewer, id).await?;
    let mut active = endpoint.into_active_model();
    active.status = Set(if paused {
        WebhookStatus::Paused
    } else {
        WebhookStatus::Active
    });
    if !paused {
        active.failing_since = Set(None);
    }
    active.updated_at = Set(crate::db::now());
    let endpoint = active.update(&ctx.db).await?;
    ctx.webhook_wakeup.notify_one();
    Ok(endpoint)
}

/// Deletes an endpoint and its deliveries.
pub async fn delete_endpoint(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<(), AppError> {
    let endpoint = require_endpoint(ctx, viewer, id).await?;
    webhook_endpoint::Entity::delete_by_id(endpoint.id)
        .exec(&ctx.db)
        .await?;
    Ok(())
}

/// A new secret; the old one keeps signing beside it for `DOORMAN_WEBHOOK_SECRET_GRACE_HOURS`.
pub async fn rotate_secret(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<WithSecret, AppError> {
    let endpoint = require_endpoint(ctx, viewer, id).await?;
    let now = crate::db::now();
    let grace = Duration::hours(
        i64::try_from(ctx.settings.webhooks.webhook_secret_grace_hours).unwrap_or(0),
    );
    let secret = signing::new_secret();
    let mut active = endpoint.clone().into_active_model();
    active.previous_secret = Set(Some(endpoint.secret));
    active.previous_secret_until = Set(Some(now + grace));
    active.secret = Set(secret.clone());
    active.updated_at = Set(now);
    let endpoint = active.update(&ctx.db).await?;
    Ok(WithSecret { endpoint, secret })
}

/// Queues a test event for endpoint `id`, delivered like any other.
pub async fn send_test_event(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
) -> Result<webhook_delivery::Model, AppError> {
    let endpoint = require_endpoint(ctx, viewer, id).await?;
    let now = crate::db::now();
    let delivery = webhook_delivery::ActiveModel {
        endpoint_id: Set(endpoint.id),
        event_id: Set(None),
        event_type: Set(payload::TEST_KIND.to_owned()),
        payload: Set(Some(payload::test(endpoint.id, now))),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    ctx.webhook_wakeup.notify_one();
    Ok(delivery)
}

/// The endpoints of `org` (or every organization's, for server admins).
pub async fn endpoints(
    ctx: &Ctx,
    viewer: &Viewer,
    org: Option<&OrgRef>,
) -> Result<Vec<webhook_endpoint::Model>, AppError> {
    let organization_id = require_manager(ctx, viewer, org).await?;
    Ok(owned_by(organization_id).all(&ctx.db).await?)
}

/// One page of an endpoint's deliveries, newest first, optionally of one status.
pub async fn endpoint_deliveries(
    ctx: &Ctx,
    viewer: &Viewer,
    endpoint_id: i64,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> Result<Page<webhook_delivery::Model>, AppError> {
    let endpoint = require_endpoint(ctx, viewer, endpoint_id).await?;
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id));
    if let Some(status) = status {
        select = select.filter(webhook_delivery::Column::Status.eq(status));
    }
    fetch_page(&ctx.db, select, webhook_delivery::Column::Id, page).await
}

/// Puts delivery `id` back in line, with fresh tries (its `webhook-id` stays the same).
pub async fn redeliver(
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
) -> Result<webhook_delivery::Model, AppError> {
    let delivery = webhook_delivery::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| AppError::not_found("no such webhook delivery"))?;
    require_endpoint(ctx, viewer, delivery.endpoint_id)
        .await
        .map_err(|err| match err.code() {
            crate::error::ErrorCode::NotFound => AppError::not_found("no such webhook delivery"),
            _ => err,
        })?;
    let now = crate::db::now();
    if delivery.status == DeliveryStatus::Pending
        && delivery.leased_until.is_some_and(|until| until > now)
    {
        return Err(AppError::new(
            crate::error::ErrorCode::Conflict,
            "the delivery is being sent right now: redeliver it once that try is over",
        ));
    }
    let mut active = delivery.into_active_model();
    active.status = Set(DeliveryStatus::Pending);
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    active.leased_until = Set(None);
    let delivery = active.update(&ctx.db).await?;
    ctx.webhook_wakeup.notify_one();
    Ok(delivery)
}
