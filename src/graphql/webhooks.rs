//! Webhooks: `webhookEndpoints`, `webhookDeliveries`, and the mutations that manage endpoints
//! (`createWebhookEndpoint`, `updateWebhookEndpoint`, `pauseWebhookEndpoint`,
//! `resumeWebhookEndpoint`, `deleteWebhookEndpoint`, `rotateSecret`, `sendTestEvent`,
//! `redeliver`). An endpoint's secret is in the answer that created or rotated it, and nowhere
//! else.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use entity::enums::{DeliveryStatus, WebhookStatus};
use entity::{webhook_delivery, webhook_endpoint};

use super::audit::OrgEventKind;
use super::connection::{ListConnection, connection, page_cost, page_request};
use super::context::{state, viewer};
use super::organizations::OrgSelector;
use super::scalars::DateTime;
use crate::error::AppError;
use crate::service::webhooks::{self, EndpointChanges, EndpointInput, WithSecret, payload};

/// Whether an endpoint receives deliveries.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "WebhookStatus")]
pub enum WebhookEndpointStatus {
    Active,
    /// Paused by an admin: deliveries wait, in order, until it is resumed.
    Paused,
    /// It failed every delivery for `DOORMAN_WEBHOOK_DISABLE_AFTER_HOURS`: deliveries wait
    /// until an admin resumes it.
    Disabled,
}

/// Where a delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Waiting for its turn (after the endpoint's earlier deliveries) or its next try.
    Pending,
    Delivered,
    /// Every try failed (`DOORMAN_WEBHOOK_MAX_ATTEMPTS`); `redeliver` tries again.
    Failed,
}

/// A URL that hears events, signed in the Standard Webhooks format.
pub struct WebhookEndpoint(webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The kinds it hears; null for every kind.
    async fn events(&self) -> Option<Vec<OrgEventKind>> {
        webhooks::kinds_of(&self.0).map(|kinds| kinds.into_iter().map(Into::into).collect())
    }

    async fn status(&self) -> WebhookEndpointStatus {
        self.0.status.into()
    }

    /// Whether it hears every organization's events (a server admin's endpoint).
    async fn server_wide(&self) -> bool {
        self.0.organization_id.is_none()
    }

    /// Since when every delivery failed; null while it delivers.
    async fn failing_since(&self) -> Option<DateTime> {
        self.0.failing_since.map(Into::into)
    }

    /// Until when the secret a rotation replaced still signs beside the new one.
    async fn previous_secret_valid_until(&self) -> Option<DateTime> {
        self.0
            .previous_secret_until
            .filter(|until| *until > crate::db::now())
            .map(Into::into)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// One event for one endpoint and how its delivery went.
pub struct WebhookDelivery(webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// The `webhook-id` header it is sent with, the same on every try.
    async fn message_id(&self) -> String {
        format!("msg_{}", self.0.id)
    }

    /// The payload's `type` (`invitation.accepted`, `webhook.test`, …).
    async fn event_type(&self) -> String {
        payload::event_type(&self.0.event_type)
    }

    /// The event delivered (an `orgEvents` id); null for a test event.
    async fn event_id(&self) -> Option<ID> {
        self.0.event_id.map(Into::into)
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The HTTP status of the last answer, when there was one.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// Why the last try failed, in a few words.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When it is tried next, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.0.status == DeliveryStatus::Pending).then(|| self.0.next_attempt_at.into())
    }

    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(Into::into)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// The organization whose events it hears; omitted: every organization's (server admins).
    pub org: Option<OrgSelector>,
    /// `https://…` (`http` only where `DOORMAN_WEBHOOK_ALLOW_HTTP` is on).
    pub url: String,
    /// The kinds it hears; omitted or empty: every kind.
    pub events: Option<Vec<OrgEventKind>>,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    /// Empty: every kind.
    pub events: Option<Vec<OrgEventKind>>,
    pub description: Option<String>,
}

/// An endpoint with its signing secret (`whsec_…`), shown this once: store it now.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

impl From<WithSecret> for WebhookEndpointWithSecret {
    fn from(created: WithSecret) -> Self {
        Self {
            endpoint: WebhookEndpoint(created.endpoint),
            secret: created.secret,
        }
    }
}

fn id_of(id: &ID) -> i64 {
    id.parse().unwrap_or(-1)
}

fn kinds(events: Option<Vec<OrgEventKind>>) -> Vec<crate::domain::EventKind> {
    events
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The webhook endpoints of an organization (its admins), or without `org` those that hear
    /// every organization (server admins).
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        org: Option<OrgSelector>,
    ) -> Result<Vec<WebhookEndpoint>> {
        let org = org.map(|org| org.to_ref());
        webhooks::endpoints(state(ctx), viewer(ctx), org.as_ref())
            .await
            .map(|endpoints| endpoints.into_iter().map(WebhookEndpoint).collect())
            .map_err(|err| err.extend())
    }

    /// An endpoint's deliveries, newest first, optionally of one status.
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint: ID,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<WebhookDelivery>> {
        let page = async {
            let mut page = page_request(first, after, 20)?;
            page.count_total = ctx.look_ahead().field("totalCount").exists();
            webhooks::endpoint_deliveries(
                state(ctx),
                viewer(ctx),
                id_of(&endpoint),
                status.map(Into::into),
                page,
            )
            .await
        }
        .await
        .map_err(|err: AppError| err.extend())?;
        Ok(connection(page, |row| row.id, WebhookDelivery))
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Creates an endpoint that hears an organization's events (its admins) or, without
    /// `org`, every organization's (server admins); at most 20 each. The answer holds its
    /// secret, which is never shown again.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointWithSecret> {
        let org = input.org.map(|org| org.to_ref());
        let endpoint = EndpointInput {
            url: input.url,
            kinds: kinds(input.events),
            description: input.description,
        };
        webhooks::create_endpoint(state(ctx), viewer(ctx), org.as_ref(), endpoint)
            .await
            .map(Into::into)
            .map_err(|err| err.extend())
    }

    /// Changes an endpoint's URL, kinds or description.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpoint> {
        let changes = EndpointChanges {
            url: input.url,
            kinds: input.events.map(|events| kinds(Some(events))),
            description: input.description.map(Some),
        };
        webhooks::update_endpoint(state(ctx), viewer(ctx), id_of(&id), changes)
            .await
            .map(WebhookEndpoint)
            .map_err(|err| err.extend())
    }

    /// Pauses an endpoint: its deliveries wait, in order, until it is resumed.
    async fn pause_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        webhooks::set_paused(state(ctx), viewer(ctx), id_of(&id), true)
            .await
            .map(WebhookEndpoint)
            .map_err(|err| err.extend())
    }

    /// Resumes a paused or disabled endpoint; what waited is delivered in order.
    async fn resume_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        webhooks::set_paused(state(ctx), viewer(ctx), id_of(&id), false)
            .await
            .map(WebhookEndpoint)
            .map_err(|err| err.extend())
    }

    /// Deletes an endpoint and its deliveries.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        webhooks::delete_endpoint(state(ctx), viewer(ctx), id_of(&id))
            .await
            .map(|()| true)
            .map_err(|err| err.extend())
    }

    /// A new signing secret (in the answer, shown once); the old one keeps signing beside it
    /// for `DOORMAN_WEBHOOK_SECRET_GRACE_HOURS`, so receivers can switch without losing events.
    async fn rotate_secret(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpointWithSecret> {
        webhooks::rotate_secret(state(ctx), viewer(ctx), id_of(&id))
            .await
            .map(Into::into)
            .map_err(|err| err.extend())
    }

    /// Queues a `webhook.test` event for the endpoint, delivered like any other.
    async fn send_test_event(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookDelivery> {
        webhooks::send_test_event(state(ctx), viewer(ctx), id_of(&id))
            .await
            .map(WebhookDelivery)
            .map_err(|err| err.extend())
    }

    /// Puts a delivery back in line with fresh tries, under the same `webhook-id`.
    async fn redeliver(&self, ctx: &Context<'_>, delivery_id: ID) -> Result<WebhookDelivery> {
        webhooks::redeliver(state(ctx), viewer(ctx), id_of(&delivery_id))
            .await
            .map(WebhookDelivery)
            .map_err(|err| err.extend())
    }
}
