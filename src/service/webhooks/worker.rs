//! The webhook worker: takes the oldest pending delivery of each active endpoint whose time has
//! come (a lease, so a worker that dies gives it back when the lease passes; on PostgreSQL
//! rows another worker holds are skipped), POSTs them signed, without following redirects and
//! reading at most [`MAX_RESPONSE_BYTES`] of the answer, and records each outcome: delivered,
//! tried again later with backoff and jitter, or `FAILED` after the last try. An endpoint that
//! has failed everything for `DOORMAN_WEBHOOK_DISABLE_AFTER_HOURS` is disabled, with a
//! `WEBHOOK_DISABLED` event and an email to its organization's admins. A later delivery of an endpoint waits for the one before it, so
//! each endpoint hears its events in order.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::{DeliveryStatus, WebhookStatus};
use entity::{invitation_event, webhook_delivery, webhook_endpoint};
use futures_util::StreamExt;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};

use super::{guard, notice, payload, signing};
use crate::db;
use crate::domain::EventKind;
use crate::service::Ctx;
use crate::service::events::{self, Change, OrgEvent};

/// Most deliveries one claim takes (each of another endpoint).
const CLAIM_BATCH: usize = 16;
/// Most bytes of an endpoint's answer read.
pub const MAX_RESPONSE_BYTES: usize = 1024;
/// Longest wait between two tries.
const MAX_DELAY_MS: u64 = 4 * 3600 * 1000;

/// What the worker needs.
#[derive(Clone)]
pub struct WebhookWorker {
    ctx: Ctx,
    http: reqwest::Client,
}

impl WebhookWorker {
    pub fn new(ctx: Ctx) -> anyhow::Result<Self> {
        let settings = &ctx.settings.webhooks;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.webhook_timeout_seconds))
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on its own, past the address guard.
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver {
                allow_private: settings.webhook_allow_private_addresses,
            }))
            .user_agent(concat!("Doorman-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { ctx, http })
    }

    /// Delivers what is due now, claim after claim; returns how many it tried.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let started = db::now();
        let mut tried = 0;
        loop {
            let claimed = self.claim(started).await?;
            if claimed.is_empty() {
                return Ok(tried);
            }
            tried += claimed.len();
            let outcomes = futures_util::stream::iter(claimed)
                .map(|delivery| async move {
                    let outcome = self.send(&delivery).await;
                    (delivery, outcome)
                })
                .buffer_unordered(CLAIM_BATCH)
                .collect::<Vec<_>>()
                .await;
            for (delivery, outcome) in outcomes {
                self.record(&delivery, outcome).await?;
            }
        }
    }

    /// Leases the head delivery of up to [`CLAIM_BATCH`] active endpoints that is due at
    /// `due_at` (so one round never picks up its own retries).
    async fn claim(&self, due_at: DateTime<Utc>) -> anyhow::Result<Vec<webhook_delivery::Model>> {
        let db = &self.ctx.db;
        let backend = db.get_database_backend();
        let (p, lock) = match backend {
            DbBackend::Postgres => ('$', " FOR UPDATE OF d SKIP LOCKED"),
            _ => ('?', ""),
        };
        let pending = DeliveryStatus::Pending.to_value();
        let sql = format!(
            "SELECT d.* FROM webhook_deliveries d
             JOIN webhook_endpoints w ON w.id = d.endpoint_id
             WHERE d.status = '{pending}' AND w.status = '{active}'
               AND d.next_attempt_at <= {p}1
               AND (d.leased_until IS NULL OR d.leased_until < {p}2)
               AND d.id = (SELECT MIN(h.id) FROM webhook_deliveries h
                           WHERE h.endpoint_id = d.endpoint_id AND h.status = '{pending}')
             ORDER BY d.id LIMIT {CLAIM_BATCH}{lock}",
            active = WebhookStatus::Active.to_value(),
        );
        let now = db::now();
        // Twice the longest try and a margin: a worker that died leaves nothing held longer.
        let timeout =
            i64::try_from(self.ctx.settings.webhooks.webhook_timeout_seconds).unwrap_or(60);
        let lease = now + chrono::Duration::seconds(2 * timeout + 5);
        let txn = db::begin_write(db).await?;
        let rows = webhook_delivery::Model::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [due_at.into(), now.into()],
        ))
        .all(&*txn)
        .await?;
        if rows.is_empty() {
            txn.rollback().await?;
            return Ok(rows);
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeasedUntil,
                Expr::value(Some(lease)),
            )
            .filter(webhook_delivery::Column::Id.is_in(ids))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| webhook_delivery::Model {
                leased_until: Some(lease),
                ..row
            })
            .collect())
    }

    /// POSTs one delivery; the HTTP status on an answer, or why there was none.
    async fn send(&self, delivery: &webhook_delivery::Model) -> Result<u16, Failure> {
        let db = &self.ctx.db;
        let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
            .one(db)
            .await
            .map_err(|err| Failure::new(None, format!("database: {err}")))?
            .ok_or_else(|| Failure::new(None, "the endpoint was deleted"))?;
        let body = match (&delivery.payload, delivery.event_id) {
            (Some(body), _) => body.clone(),
            (None, Some(event_id)) => invitation_event::Entity::find_by_id(event_id)
                .one(db)
                .await
                .map_err(|err| Failure::new(None, format!("database: {err}")))?
                .map(|row| payload::of_event(&row))
                .ok_or_else(|| Failure::new(None, "the event is gone"))?,
            (None, None) => return Err(Failure::new(None, "nothing to deliver")),
        };
        let allow_private = self.ctx.settings.webhooks.webhook_allow_private_addresses;
        if let Some(refused) = guard::refused_literal(&endpoint.url, allow_private) {
            return Err(Failure::new(None, refused));
        }
        let id = format!("msg_{}", delivery.id);
        let timestamp = Utc::now().timestamp();
        let mut signatures: Vec<String> = signing::sign(&endpoint.secret, &id, timestamp, &body)
            .into_iter()
            .collect();
        if let (Some(previous), Some(until)) =
            (&endpoint.previous_secret, endpoint.previous_secret_until)
            && until > db::now()
        {
            signatures.extend(signing::sign(previous, &id, timestamp, &body));
        }
        let response = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body)
            .send()
            .await
            .map_err(|err| Failure::new(None, describe(&err)))?;
        let status = response.status().as_u16();
        // Read a little of the answer and no more: the connection is then dropped.
        let mut response = response;
        let mut read = 0;
        while read < MAX_RESPONSE_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(Failure::new(
                Some(status),
                format!("the endpoint answered {status}"),
            ))
        }
    }

    /// Stores the outcome of one try, unless the delivery left this worker's lease.
    async fn record(
        &self,
        delivery: &webhook_delivery::Model,
        outcome: Result<u16, Failure>,
    ) -> anyhow::Result<()> {
        let settings = &self.ctx.settings.webhooks;
        let now = db::now();
        let attempts = delivery.attempts + 1;
        let txn = db::begin_write(&self.ctx.db).await?;
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
            .col_expr(
                webhook_delivery::Column::LeasedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        let mut given_up = false;
        let failed = match &outcome {
            Ok(status) => {
                update = update
                    .col_expr(
                        webhook_delivery::Column::Status,
                        Expr::value(DeliveryStatus::Delivered.to_value()),
                    )
                    .col_expr(
                        webhook_delivery::Column::DeliveredAt,
                        Expr::value(Some(now)),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastStatusCode,
                        Expr::value(Some(i32::from(*status))),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastError,
                        Expr::value(Option::<String>::None),
                    );
                false
            }
            Err(failure) => {
                let last =
                    u32::try_from(attempts).unwrap_or(u32::MAX) >= settings.webhook_max_attempts;
                let status = if last {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Pending
                };
                given_up = last;
                update = update
                    .col_expr(
                        webhook_delivery::Column::Status,
                        Expr::value(status.to_value()),
                    )
                    .col_expr(
                        webhook_delivery::Column::NextAttemptAt,
                        Expr::value(now + retry_delay(settings.webhook_retry_base_ms, attempts)),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastStatusCode,
                        Expr::value(failure.status.map(i32::from)),
                    )
                    .col_expr(
                        webhook_delivery::Column::LastError,
                        Expr::value(Some(failure.message.clone())),
                    );
                true
            }
        };
        let updated = update
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
            .filter(webhook_delivery::Column::LeasedUntil.eq(delivery.leased_until))
            .exec(&*txn)
            .await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(());
        }
        let committed = self
            .note_health(&txn, delivery.endpoint_id, failed, given_up, now)
            .await?;
        txn.commit().await?;
        if let Some(committed) = committed {
            events::announce(&self.ctx, committed).await;
        }
        match outcome {
            Ok(_) => tracing::debug!(delivery_id = delivery.id, "webhook delivered"),
            Err(failure) => tracing::info!(
                delivery_id = delivery.id,
                attempts,
                error = failure.message,
                "webhook delivery failed"
            ),
        }
        Ok(())
    }

    /// Tracks since when an endpoint fails; disables one that failed too long. A streak of
    /// failures ends with a success, or when the delivery given up on was the last one waiting
    /// (a quiet endpoint is not disabled by the first failure after days of silence).
    async fn note_health(
        &self,
        txn: &impl ConnectionTrait,
        endpoint_id: i64,
        failed: bool,
        given_up: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<events::Committed>> {
        let drained = given_up
            && webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
                .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
                .one(txn)
                .await?
                .is_none();
        if !failed || drained {
            webhook_endpoint::Entity::update_many()
                .col_expr(
                    webhook_endpoint::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
                .filter(webhook_endpoint::Column::FailingSince.is_not_null())
                .exec(txn)
                .await?;
            return Ok(None);
        }
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(endpoint_id)
            .one(txn)
            .await?
        else {
            return Ok(None);
        };
        let Some(since) = endpoint.failing_since else {
            webhook_endpoint::Entity::update_many()
                .col_expr(
                    webhook_endpoint::Column::FailingSince,
                    Expr::value(Some(now)),
                )
                .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
                .exec(txn)
                .await?;
            return Ok(None);
        };
        let hours = i64::try_from(self.ctx.settings.webhooks.webhook_disable_after_hours)
            .unwrap_or(i64::MAX / 4000);
        if endpoint.status != WebhookStatus::Active || now - since < chrono::Duration::hours(hours)
        {
            return Ok(None);
        }
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Status,
                Expr::value(WebhookStatus::Disabled.to_value()),
            )
            .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
            .exec(txn)
            .await?;
        tracing::warn!(
            endpoint_id,
            "webhook endpoint disabled after failing too long"
        );
        let Some(organization_id) = endpoint.organization_id else {
            return Ok(None);
        };
        let committed = events::record_org(
            txn,
            OrgEvent {
                organization_id,
                kind: EventKind::WebhookDisabled,
                actor_id: None,
                subject_id: None,
                changes: vec![Change::new(
                    "status",
                    Some("ACTIVE".to_owned()),
                    Some("DISABLED".to_owned()),
                )],
            },
        )
        .await?;
        let told = notice::tell_admins(&self.ctx, txn, &endpoint, organization_id, since).await?;
        Ok(Some(committed.merge(told)))
    }
}

/// Why a try failed: the status when the endpoint answered, and a short reason.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    message: String,
}

impl Failure {
    fn new(status: Option<u16>, message: impl Into<String>) -> Self {
        let mut message: String = message.into();
        if message.len() > 200 {
            let mut end = 200;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        Self { status, message }
    }
}

/// A transport error in a few words (never the URL's query, which may hold a key).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut cause = String::new();
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

/// `base · 3^(attempts−1)`, capped at four hours, give or take a fifth at random.
fn retry_delay(base_ms: u64, attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let ms = base_ms
        .saturating_mul(3u64.saturating_pow(exponent))
        .min(MAX_DELAY_MS);
    let spread = ms / 5;
    let jittered = rand::rng().random_range(ms.saturating_sub(spread)..=ms.saturating_add(spread));
    chrono::Duration::milliseconds(i64::try_from(jittered).unwrap_or(i64::MAX / 2))
}

/// Runs until `stopping` turns true: delivers what is due, then waits for the poll interval
/// or a wake-up from a transaction that wrote deliveries.
pub async fn run(worker: WebhookWorker, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let poll = Duration::from_millis(
        worker
            .ctx
            .settings
            .webhooks
            .webhook_poll_interval_ms
            .max(10),
    );
    tracing::info!("webhook worker started");
    loop {
        tokio::select! {
            result = worker.deliver_due() => {
                if let Err(err) = result {
                    tracing::error!(error = format!("{err:#}"), "webhook delivery failed");
                }
            }
            _ = stopping.wait_for(|stopping| *stopping) => break,
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = worker.ctx.webhook_wakeup.notified() => {}
            _ = stopping.wait_for(|stopping| *stopping) => break,
        }
    }
    tracing::info!("webhook worker stopped");
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn retry_delays_triple_from_the_base_up_to_four_hours_with_bounded_jitter() {
        for (attempts, base) in [(1, 5_000), (2, 15_000), (3, 45_000), (12, 4 * 3600 * 1000)] {
            let delay = retry_delay(5_000, attempts).num_milliseconds();
            assert!(
                delay >= base * 4 / 5 && delay <= base * 6 / 5,
                "attempt {attempts}: {delay}"
            );
        }
    }
}
