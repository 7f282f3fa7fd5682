//! The outbox: emails queued in the transaction that causes them (an invitation's, an
//! account's; `queue.rs`), then claimed, rendered (`render.rs`), sent and recorded by a worker.
//! A claim is a lease: a row whose worker died is claimed again once the lease passes. On
//! PostgreSQL, claims skip rows another worker holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::{OutboxKind, OutboxStatus};
use entity::{email_outbox, invitation};
use lettre::Message;
use lettre::message::MultiPart;
use lettre::message::header::{HeaderName, HeaderValue};
use rand::Rng;
use sea_orm::sea_query::{Expr, IntoColumnRef, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use tokio::sync::Notify;

mod queue;
mod render;

pub use queue::{
    QueuedEmail, cancel_undelivered, cancel_undelivered_in_org, cancel_undelivered_of,
    cancel_undelivered_to_account, enqueue,
};
use queue::{erasing_bodies, set_status};
pub use render::email_names;

use super::templates::{Emails, Rendered};
use super::{Outgoing, SendError};
use crate::config::Settings;
use crate::db;
use crate::domain::EmailDeliveryStatus;
use crate::telemetry::Metrics;

/// What the worker needs; cheap to clone. It shares the database, settings, metrics and
/// wake-up with the use cases that queue mail.
#[derive(Clone)]
pub struct Outbox {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub outgoing: Arc<Outgoing>,
    /// The templates and languages messages are rendered with.
    pub emails: Arc<Emails>,
    pub metrics: Arc<Metrics>,
    /// Notified when a transaction queued mail.
    pub wakeup: Arc<Notify>,
}

/// Most messages one claim takes.
const CLAIM_BATCH: u64 = 32;

/// Delivers every message that is due now, batch after batch; returns how many it attempted.
pub async fn deliver_due(outbox: &Outbox) -> anyhow::Result<usize> {
    deliver(outbox, &AtomicBool::new(false)).await
}

/// Makes at most one attempt per message: a message that fails and is due again at once
/// waits for the next call.
async fn deliver(outbox: &Outbox, stop: &AtomicBool) -> anyhow::Result<usize> {
    let started = crate::db::now();
    let mut attempted = 0;
    loop {
        let claimed = claim(outbox, started).await?;
        if claimed.is_empty() {
            return Ok(attempted);
        }
        let mut claimed = claimed.into_iter();
        for row in claimed.by_ref() {
            let outcome = send(outbox, &row).await;
            record(outbox, &row, outcome).await?;
            attempted += 1;
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        let unsent: Vec<email_outbox::Model> = claimed.collect();
        if !unsent.is_empty() {
            release(outbox, &unsent).await?;
            return Ok(attempted);
        }
    }
}

/// Takes due rows: queued ones whose time has come and claimed ones whose lease has passed.
/// Only rows due at `due_at` count, so one delivery round never picks up its own retries.
async fn claim(outbox: &Outbox, due_at: DateTime<Utc>) -> anyhow::Result<Vec<email_outbox::Model>> {
    let now = crate::db::now();
    let lease_until = now + chrono::Duration::seconds(lease_seconds(outbox));
    let txn = db::begin_write(&outbox.db).await?;
    let due = Condition::any()
        .add(
            Condition::all()
                .add(email_outbox::Column::Status.eq(OutboxStatus::Queued))
                .add(email_outbox::Column::NextAttemptAt.lte(due_at)),
        )
        .add(
            Condition::all()
                .add(email_outbox::Column::Status.eq(OutboxStatus::Sending))
                .add(email_outbox::Column::LeaseUntil.lt(due_at)),
        );
    let rows = email_outbox::Entity::find()
        .filter(due)
        .order_by_asc(email_outbox::Column::Id)
        .limit(CLAIM_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(rows);
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    set_status(OutboxStatus::Sending)
        .col_expr(email_outbox::Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(
            email_outbox::Column::Attempts,
            plus_one(email_outbox::Column::Attempts),
        )
        .filter(email_outbox::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| email_outbox::Model {
            status: OutboxStatus::Sending,
            lease_until: Some(lease_until),
            attempts: row.attempts + 1,
            ..row
        })
        .collect())
}

/// `column + 1`, computed by the database.
fn plus_one(column: impl IntoColumnRef) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(column).add(1)
}

fn lease_seconds(outbox: &Outbox) -> i64 {
    i64::try_from(outbox.settings.email_lease_seconds).unwrap_or(i64::MAX / 4)
}

/// Gives back claimed rows that were not attempted (shutdown between messages).
async fn release(outbox: &Outbox, rows: &[email_outbox::Model]) -> anyhow::Result<()> {
    for row in rows {
        set_status(OutboxStatus::Queued)
            .col_expr(
                email_outbox::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                email_outbox::Column::Attempts,
                Expr::value(row.attempts - 1),
            )
            .filter(claimed_by_us(row))
            .exec(&outbox.db)
            .await?;
    }
    Ok(())
}

/// Matches the row only while it is still in the claim this worker made.
fn claimed_by_us(row: &email_outbox::Model) -> Condition {
    Condition::all()
        .add(email_outbox::Column::Id.eq(row.id))
        .add(email_outbox::Column::Status.eq(OutboxStatus::Sending))
        .add(email_outbox::Column::Attempts.eq(row.attempts))
}

/// Renders and sends `row`'s message; its subject when it was sent.
async fn send(outbox: &Outbox, row: &email_outbox::Model) -> Result<String, SendError> {
    let Rendered {
        subject,
        text,
        html,
        reply_to,
    } = render::render(&outbox.db, &outbox.emails, row).await?;
    let recipient = row
        .recipient
        .parse()
        .map_err(|err| SendError::Permanent(format!("bad recipient address: {err}")))?;
    let mut message = Message::builder()
        .from(outbox.outgoing.from.clone())
        .to(recipient)
        .subject(subject.clone())
        // `<unique@hostname>`, so that clients thread and dedupe messages.
        .message_id(None);
    if let Some(reply_to) = reply_to.and_then(|address| address.parse().ok()) {
        message = message.reply_to(reply_to);
    }
    if let Some(unsubscribe) = unsubscribe_link(row) {
        // RFC 8058: mail clients offer "unsubscribe", which POSTs to the link: the invitation
        // is declined, and no reminder or resend follows.
        message = message
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let message = message
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|err| SendError::Permanent(format!("cannot build the message: {err}")))?;
    outbox.outgoing.send(message).await.map(|()| subject)
}

/// The one-click unsubscribe link of an invitation or its reminder: its page's link with
/// `/unsubscribe`. Account emails are not a list: they have none.
fn unsubscribe_link(row: &email_outbox::Model) -> Option<String> {
    match row.kind {
        OutboxKind::Invitation | OutboxKind::Reminder => {
            row.link.as_ref().map(|link| format!("{link}/unsubscribe"))
        }
        _ => None,
    }
}

/// Records a send's outcome on the outbox row and on its invitation, in one transaction.
/// Does nothing when the row left our claim meanwhile (cancelled, resent, or re-claimed).
async fn record(
    outbox: &Outbox,
    row: &email_outbox::Model,
    sent: Result<String, SendError>,
) -> anyhow::Result<()> {
    let (subject, outcome) = match sent {
        Ok(subject) => (Some(subject), Ok(())),
        Err(err) => (None, Err(err)),
    };
    let now = crate::db::now();
    let settings = &outbox.settings;
    let (outbox_status, invitation_status, next_attempt_at) = match &outcome {
        Ok(()) => (OutboxStatus::Sent, EmailDeliveryStatus::Sent, now),
        Err(SendError::Temporary(_))
            if u32::try_from(row.attempts).unwrap_or(u32::MAX) < settings.email_max_attempts =>
        {
            let delay = retry_delay(
                settings.email_retry_base_seconds,
                settings.email_retry_max_seconds,
                row.attempts,
            );
            (
                OutboxStatus::Queued,
                EmailDeliveryStatus::Queued,
                now + delay,
            )
        }
        Err(_) => (OutboxStatus::Failed, EmailDeliveryStatus::Failed, now),
    };
    let error = outcome.as_ref().err().map(|err| err.message().to_owned());
    let finished = outbox_status != OutboxStatus::Queued;

    let txn = db::begin_write(&outbox.db).await?;
    let mut update = set_status(outbox_status)
        .col_expr(
            email_outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            email_outbox::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(email_outbox::Column::LastError, Expr::value(error.clone()));
    if finished {
        // The bodies hold the raw token: keep them no longer than needed.
        update = erasing_bodies(update);
    }
    if let Some(subject) = subject {
        update = update
            .col_expr(email_outbox::Column::SentAt, Expr::value(Some(now)))
            .col_expr(email_outbox::Column::Subject, Expr::value(subject));
    }
    let changed = update.filter(claimed_by_us(row)).exec(&txn).await?;
    if changed.rows_affected == 0 {
        txn.rollback().await?;
        tracing::info!(
            outbox_id = row.id,
            "message left this worker's claim; result not recorded"
        );
        return Ok(());
    }
    // A notice to the inviter names the invitation but is not its email.
    if let (Some(invitation_id), OutboxKind::Invitation | OutboxKind::Reminder) =
        (row.invitation_id, row.kind)
    {
        record_on_invitation(
            &txn,
            invitation_id,
            row.attempts,
            &outcome,
            invitation_status,
            error,
        )
        .await?;
    }
    txn.commit().await?;
    log_outcome(outbox, row, &outcome, outbox_status);
    Ok(())
}

/// Records a send's outcome on the invitation the message is about.
async fn record_on_invitation(
    txn: &DatabaseTransaction,
    invitation_id: i64,
    attempts: i32,
    outcome: &Result<(), SendError>,
    invitation_status: EmailDeliveryStatus,
    error: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    let now = crate::db::now();
    let mut invitation_update = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::EmailStatus,
            Expr::value(invitation_status),
        )
        .col_expr(invitation::Column::EmailAttempts, Expr::value(attempts))
        .col_expr(invitation::Column::LastEmailError, Expr::value(error));
    if outcome.is_ok() {
        invitation_update = invitation_update
            .col_expr(
                invitation::Column::SendCount,
                plus_one(invitation::Column::SendCount),
            )
            .col_expr(invitation::Column::LastSentAt, Expr::value(Some(now)));
    }
    invitation_update
        .filter(invitation::Column::Id.eq(invitation_id))
        .exec(txn)
        .await?;
    Ok(())
}

fn log_outcome(
    outbox: &Outbox,
    row: &email_outbox::Model,
    outcome: &Result<(), SendError>,
    outbox_status: OutboxStatus,
) {
    match (outcome, outbox_status) {
        (Ok(()), _) => {
            outbox.metrics.emails_sent.inc();
            tracing::info!(
                outbox_id = row.id,
                invitation_id = row.invitation_id,
                user_id = row.user_id,
                kind = %row.kind,
                "email sent"
            );
        }
        (Err(err), OutboxStatus::Queued) => {
            outbox.metrics.emails_retried.inc();
            tracing::warn!(
                outbox_id = row.id,
                attempts = row.attempts,
                error = err.message(),
                "email send failed; will retry"
            );
        }
        (Err(err), _) => {
            outbox.metrics.emails_failed.inc();
            tracing::error!(
                outbox_id = row.id,
                attempts = row.attempts,
                error = err.message(),
                "email given up"
            );
        }
    }
}

/// `base · 2^(attempts−1)`, capped at `max`, plus up to 20 % jitter so retries spread out.
fn retry_delay(base_seconds: u64, max_seconds: u64, attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let seconds = base_seconds.saturating_mul(1 << exponent).min(max_seconds);
    let jitter_ms = rand::rng().random_range(0..=seconds.saturating_mul(200));
    chrono::Duration::milliseconds(
        i64::try_from(seconds.saturating_mul(1000).saturating_add(jitter_ms))
            .unwrap_or(i64::MAX / 2),
    )
}

/// Runs until `stopping` turns true: delivers what is due, then waits for the poll interval
/// or a wake-up from a fresh enqueue. On stop, it finishes the message in hand and gives back
/// the rest of its claim.
pub async fn run_worker(outbox: Outbox, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let poll = Duration::from_millis(outbox.settings.outbox_poll_interval_ms.max(10));
    tracing::info!("outbox worker started");
    loop {
        let delivery = deliver(&outbox, &stop);
        tokio::pin!(delivery);
        let result = loop {
            tokio::select! {
                result = &mut delivery => break result,
                _ = stopping.wait_for(|stopping| *stopping), if !stop.load(Ordering::Relaxed) => {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        };
        if let Err(err) = result {
            tracing::error!(error = format!("{err:#}"), "outbox delivery failed");
        }
        if stop.load(Ordering::Relaxed) || *stopping.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = outbox.wakeup.notified() => {}
            _ = stopping.wait_for(|stopping| *stopping) => break,
        }
    }
    tracing::info!("outbox worker stopped");
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn retry_delays_double_from_the_base_up_to_the_cap_with_bounded_jitter() {
        for (attempts, base) in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)] {
            let delay = retry_delay(30, 3600, attempts).num_milliseconds();
            assert!(
                delay >= base * 1000 && delay <= base * 1200,
                "attempt {attempts}: {delay}"
            );
        }
        assert_eq!(retry_delay(0, 3600, 3).num_milliseconds(), 0);
    }
}
