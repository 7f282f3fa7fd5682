//! The email to an organization's admins when one of its webhook endpoints was disabled for
//! failing too long (`DOORMAN_WEBHOOK_DISABLED_EMAIL`, on by default). It is rendered when it is
//! queued, in the organization's language, since nothing else about it is stored. It goes to
//! the admins' verified addresses, and names the endpoint by its origin and id.

use chrono::{DateTime, Utc};
use entity::enums::{OrgRole, OutboxKind};
use entity::{membership, organization, user, webhook_endpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::email::account_email::AccountEmail;
use crate::email::outbox::{self, QueuedEmail};
use crate::service::Ctx;
use crate::service::events::Committed;

/// Most admins one notice goes to.
const MAX_RECIPIENTS: u64 = 50;

/// Queues the notice that `endpoint` (failing since `since`) was disabled to each admin of its
/// organization, in the caller's transaction.
pub async fn tell_admins(
    ctx: &Ctx,
    txn: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
    organization_id: i64,
    since: DateTime<Utc>,
) -> anyhow::Result<Committed> {
    if !ctx.settings.webhooks.webhook_disabled_email {
        return Ok(Committed::default());
    }
    let Some(organization) = organization::Entity::find_by_id(organization_id)
        .one(txn)
        .await?
    else {
        return Ok(Committed::default());
    };
    let admin_ids: Vec<i64> = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(OrgRole::Admin))
        .limit(MAX_RECIPIENTS)
        .into_tuple()
        .all(txn)
        .await?;
    // Only to proven addresses: the notice names one of the organization's endpoints.
    let admins: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::Id.is_in(admin_ids))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    // The origin and the id, not the whole URL: a path may hold the receiver's secret.
    let origin = url::Url::parse(&endpoint.url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    let named = format!("{origin} (#{})", endpoint.id);
    let rendered = AccountEmail::WebhookDisabled {
        organization: &organization,
        url: &named,
        since,
    }
    .render(&ctx.emails)?;
    let emails: Vec<QueuedEmail> = admins
        .into_iter()
        .map(|(user_id, address)| {
            QueuedEmail::rendered(OutboxKind::WebhookDisabled, user_id, address, &rendered)
        })
        .collect();
    let queued = emails.len();
    outbox::enqueue(txn, emails).await?;
    Ok(Committed::emails(queued))
}
