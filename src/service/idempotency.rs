//! Idempotent creates and resends: a call with an `idempotencyKey` runs once; a retry with
//! the same key and the same input returns the first answer and sends nothing twice, and the
//! same key with another input is a `CONFLICT`. A retry that comes while the first call still
//! runs waits for its answer. Keys are per caller and operation, and kept 24 hours (the
//! expiry sweep removes older ones).
//!
//! The answer is kept as the invitations' ids (reloaded on replay, so they show their state
//! now) with the links the first answer carried, and the per-item outcomes as they were.

use std::time::Duration;

use chrono::Utc;
use entity::{idempotency_key, invitation};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::db;
use crate::error::{AppError, ErrorCode};
use crate::service::invitations::create::{ExistingMember, InviteError, OrgInvitesOutcome};
use crate::service::invitations::manage::{ResendError, ResendOutcome};
use crate::service::invitations::{InvitationView, admin_view};
use crate::service::{Ctx, require_user};

/// How long a key is remembered.
pub const KEY_HOURS: i64 = 24;
/// Longest key.
const MAX_KEY_CHARS: usize = 255;
/// How long a retry waits for the first call's answer before it gives up with `CONFLICT`.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);

/// A call to run once: its operation, the caller's key, and a digest of its input.
pub struct Request {
    operation: &'static str,
    key: String,
    digest: String,
}

impl Request {
    /// `key` checked (1–255 printable ASCII characters), for `operation` with `input` (the
    /// call's arguments as JSON, without the key; object keys in any order give one digest).
    pub fn new(
        operation: &'static str,
        key: Option<&str>,
        input: &serde_json::Value,
    ) -> Result<Option<Self>, AppError> {
        let Some(key) = key else {
            return Ok(None);
        };
        if key.is_empty()
            || key.chars().count() > MAX_KEY_CHARS
            || !key.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(AppError::bad_input(format!(
                "idempotencyKey must be 1 to {MAX_KEY_CHARS} printable ASCII characters \
                 without spaces (a UUID is a good choice)"
            )));
        }
        // serde_json's maps are sorted, so the text is canonical.
        let digest = hex(&Sha256::digest(input.to_string().as_bytes()));
        Ok(Some(Self {
            operation,
            key: key.to_owned(),
            digest,
        }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What a call answered, as kept for its retries.
#[derive(Default, Serialize, Deserialize)]
pub struct Answer {
    invitations: Vec<(i64, Option<String>)>,
    errors: Vec<InviteError>,
    resend_errors: Vec<ResendError>,
    valid_emails: Vec<String>,
    members: Vec<ExistingMember>,
    count: usize,
}

/// An answer that can be kept and given again.
pub trait Replay: Sized {
    fn answer(&self) -> Answer;
    fn replay(answer: Answer, invitations: Vec<InvitationView>) -> Self;
}

fn kept(views: &[InvitationView]) -> Vec<(i64, Option<String>)> {
    views.iter().map(|v| (v.model.id, v.link.clone())).collect()
}

impl Replay for OrgInvitesOutcome {
    fn answer(&self) -> Answer {
        Answer {
            invitations: kept(&self.invitations),
            errors: self.errors.clone(),
            valid_emails: self.valid_emails.clone(),
            members: self.members.clone(),
            ..Answer::default()
        }
    }

    fn replay(answer: Answer, invitations: Vec<InvitationView>) -> Self {
        Self {
            invitations,
            errors: answer.errors,
            valid_emails: answer.valid_emails,
            members: answer.members,
        }
    }
}

impl Replay for InvitationView {
    fn answer(&self) -> Answer {
        Answer {
            invitations: kept(std::slice::from_ref(self)),
            ..Answer::default()
        }
    }

    fn replay(_: Answer, mut invitations: Vec<InvitationView>) -> Self {
        invitations.remove(0)
    }
}

impl Replay for ResendOutcome {
    fn answer(&self) -> Answer {
        Answer {
            invitations: kept(&self.invitations),
            resend_errors: self.errors.clone(),
            count: self.count,
            ..Answer::default()
        }
    }

    fn replay(answer: Answer, invitations: Vec<InvitationView>) -> Self {
        Self {
            invitations,
            errors: answer.resend_errors,
            count: answer.count,
        }
    }
}

/// Runs `run` once per caller, operation and key (always, without a key).
pub async fn once<T, F, Fut>(
    ctx: &Ctx,
    viewer: &Viewer,
    request: Option<Request>,
    run: F,
) -> Result<T, AppError>
where
    T: Replay,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let Some(request) = request else {
        return run().await;
    };
    let user_id = require_user(viewer)?.id;
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    let row_id = loop {
        match claim(ctx, user_id, &request).await? {
            Claim::Run(row_id) => break row_id,
            Claim::Replay(text) => return replayed(ctx, &text).await,
            Claim::Running if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Claim::Running => {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "a call with this idempotencyKey is still running; retry in a moment",
                ));
            }
        }
    };
    match run().await {
        Ok(outcome) => {
            let text = serde_json::to_string(&outcome.answer())
                .map_err(|err| AppError::Internal(err.into()))?;
            idempotency_key::Entity::update_many()
                .filter(idempotency_key::Column::Id.eq(row_id))
                .col_expr(
                    idempotency_key::Column::Response,
                    sea_orm::sea_query::Expr::value(text),
                )
                .exec(&ctx.db)
                .await?;
            Ok(outcome)
        }
        Err(err) => {
            // Nothing happened: a retry may run it again.
            idempotency_key::Entity::delete_by_id(row_id)
                .exec(&ctx.db)
                .await?;
            Err(err)
        }
    }
}

enum Claim {
    /// The key is ours: run the call (then fill in row `0`'s answer).
    Run(i64),
    /// The first call answered this.
    Replay(String),
    /// The first call is still running.
    Running,
}

async fn claim(ctx: &Ctx, user_id: i64, request: &Request) -> Result<Claim, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let now = db::now();
    let found = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Operation.eq(request.operation))
        .filter(idempotency_key::Column::Key.eq(&request.key))
        .one(&txn)
        .await?;
    if let Some(row) = found {
        if row.created_at > now - chrono::Duration::hours(KEY_HOURS) {
            txn.rollback().await?;
            if row.request_digest != request.digest {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "this idempotencyKey was used with a different input; use a new key",
                ));
            }
            return Ok(row.response.map_or(Claim::Running, Claim::Replay));
        }
        idempotency_key::Entity::delete_by_id(row.id)
            .exec(&txn)
            .await?;
    }
    let inserted = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        operation: Set(request.operation.to_owned()),
        key: Set(request.key.clone()),
        request_digest: Set(request.digest.clone()),
        response: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(row) => {
            txn.commit().await?;
            Ok(Claim::Run(row.id))
        }
        // Another instance claimed it between our read and our insert.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            Ok(Claim::Running)
        }
        Err(err) => Err(err.into()),
    }
}

/// The first answer again, with its invitations as they are now.
async fn replayed<T: Replay>(ctx: &Ctx, text: &str) -> Result<T, AppError> {
    let answer: Answer =
        serde_json::from_str(text).map_err(|err| AppError::Internal(err.into()))?;
    let ids: Vec<i64> = answer.invitations.iter().map(|(id, _)| *id).collect();
    let mut models = invitation::Entity::find()
        .filter(invitation::Column::Id.is_in(ids))
        .all(&ctx.db)
        .await?;
    let mut views = Vec::with_capacity(answer.invitations.len());
    for (id, link) in &answer.invitations {
        if let Some(index) = models.iter().position(|model| model.id == *id) {
            let mut view = admin_view(models.swap_remove(index));
            view.link = link.clone();
            views.push(view);
        }
    }
    Ok(T::replay(answer, views))
}

/// Forgets keys older than [`KEY_HOURS`]; the number removed.
pub async fn forget_old(ctx: &Ctx) -> Result<u64, AppError> {
    let cutoff = Utc::now() - chrono::Duration::hours(KEY_HOURS);
    let txn = db::begin_write(&ctx.db).await?;
    let removed = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(removed)
}
