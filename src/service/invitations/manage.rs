//! The admin side: cancel, resend (new token, fresh expiry), and the lists.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use entity::invitation;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::create::InviteError;
use super::resend_filter::ResendFilter;
use super::{
    InvitationView, admin_view, close, link_for, quotas, require_org, require_org_admin,
    supersede_token, viewer_manages,
};
use crate::auth::Viewer;
use crate::db;
use crate::domain::email_address::{EmailAddress, NotAnEmail};
use crate::domain::invitation_rules::{InvitationStatus, Refusal, effective_status};
use crate::domain::{EmailDeliveryStatus, EventKind};
use crate::email::outbox;
use crate::error::{AppError, ErrorCode};
use crate::service::Ctx;
use crate::service::events::{self, Committed};
use crate::service::organizations::OrgRef;
use crate::service::{organizations, require_user};

/// Loads an invitation by id for a change, locked, and checks the viewer manages it.
/// Invitations the viewer cannot even see (not a member, not the invitee) are `NOT_FOUND`.
pub(super) async fn find_managed(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    id: i64,
) -> Result<invitation::Model, AppError> {
    let user = require_user(viewer)?;
    let model = invitation::Entity::find_by_id(id)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("no such invitation"))?;
    if viewer_manages(txn, viewer, &model).await? {
        return Ok(model);
    }
    let member = match model.organization_id {
        Some(org_id) => organizations::role_in(txn, user.id, org_id)
            .await?
            .is_some(),
        None => false,
    };
    let invitee = model.email.as_deref() == Some(user.email.as_str());
    if member || invitee {
        Err(AppError::forbidden(
            "only organization admins can manage its invitations",
        ))
    } else {
        Err(AppError::not_found("no such invitation"))
    }
}

/// The refusal for changing an invitation that is no longer pending (expired ones still are).
pub(super) fn require_open(model: &invitation::Model) -> Result<(), AppError> {
    match model.status {
        InvitationStatus::Pending | InvitationStatus::Expired => Ok(()),
        InvitationStatus::Cancelled => Err(Refusal::Cancelled.into()),
        InvitationStatus::Declined => Err(Refusal::Declined.into()),
        InvitationStatus::Accepted => Err(Refusal::AlreadyAccepted.into()),
        InvitationStatus::UsedUp => Err(Refusal::UsedUp.into()),
    }
}

/// Cancels a pending invitation; cancelling a cancelled one changes nothing.
#[tracing::instrument(skip_all, fields(invitation_id = id), err(level = "debug", Debug))]
pub async fn cancel(ctx: &Ctx, viewer: &Viewer, id: i64) -> Result<InvitationView, AppError> {
    let txn = db::begin_write(&ctx.db).await?;
    let model = find_managed(&txn, viewer, id).await?;
    if model.status == InvitationStatus::Cancelled {
        txn.rollback().await?;
        return Ok(admin_view(model));
    }
    require_open(&model)?;
    let model = close(&txn, model, InvitationStatus::Cancelled).await?;
    let committed = events::record(&txn, &[&model], EventKind::Cancelled, viewer.user_id()).await?;
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(admin_view(model))
}

/// An id as the request gave it, and the invitation id it names (`None` when it is not a
/// number: then it names no invitation).
pub struct GivenId {
    pub text: String,
    pub id: Option<i64>,
}

/// Which invitations `resend` targets.
pub enum ResendTarget {
    Ids(Vec<GivenId>),
    Emails {
        org: OrgRef,
        emails: Vec<Result<EmailAddress, NotAnEmail>>,
    },
    /// Every email invitation of `org` the filter matches (at most the bulk limit).
    Filter {
        org: OrgRef,
        filter: ResendFilter,
    },
}

/// Per-invitation outcomes of `resend`.
pub struct ResendOutcome {
    pub invitations: Vec<InvitationView>,
    pub errors: Vec<ResendError>,
    /// How many were (with `validate_only`, would be) resent.
    pub count: usize,
}

/// Why one invitation was not resent.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ResendError {
    pub id: Option<String>,
    pub error: InviteError,
    /// With `RATE_LIMITED` (the resend cooldown): seconds until it may be resent.
    pub retry_after: Option<u64>,
}

/// Mints a new token and a fresh expiry for each target; the old token then answers
/// `INVITATION_SUPERSEDED`. All targets change in one transaction; with `validate_only`
/// none does, and the outcome says what would happen. A target sent less than
/// the cooldown ago gets a `RATE_LIMITED` entry in `errors`, like any other per-item refusal,
/// also when it is the only one.
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn resend(
    ctx: &Ctx,
    viewer: &Viewer,
    target: ResendTarget,
    send_email: bool,
    validate_only: bool,
) -> Result<ResendOutcome, AppError> {
    require_user(viewer)?;
    let count = match &target {
        ResendTarget::Ids(ids) => ids.len(),
        ResendTarget::Emails { emails, .. } => emails.len(),
        ResendTarget::Filter { .. } => 1,
    };
    if count == 0 {
        return Err(AppError::bad_input("name at least one invitation"));
    }
    if count > ctx.settings.bulk_limit {
        return Err(AppError::over_limit(
            format!(
                "at most {} invitations per request, got {count}",
                ctx.settings.bulk_limit
            ),
            "DOORMAN_BULK_LIMIT",
        ));
    }
    let txn = db::begin_write(&ctx.db).await?;
    let mut found: Vec<(Option<String>, String, Result<invitation::Model, AppError>)> = Vec::new();
    match target {
        ResendTarget::Ids(ids) => {
            for GivenId { text, id } in ids {
                let model = match id {
                    Some(id) => find_managed(&txn, viewer, id).await,
                    None => Err(AppError::not_found("no such invitation")),
                };
                let email = model
                    .as_ref()
                    .ok()
                    .and_then(|m| m.email.clone())
                    .unwrap_or_default();
                found.push((Some(text), email, model));
            }
        }
        ResendTarget::Emails { org, emails } => {
            let org = require_org(&txn, &org, true).await?;
            require_org_admin(&txn, viewer, &org).await?;
            for listed in emails {
                let email = match listed {
                    Ok(email) => email,
                    Err(NotAnEmail { text, .. }) => {
                        found.push((
                            None,
                            text,
                            Err(AppError::new(
                                ErrorCode::BadUserInput,
                                "not an email address",
                            )),
                        ));
                        continue;
                    }
                };
                let model = invitation::Entity::find()
                    .filter(invitation::Column::OrganizationId.eq(org.id))
                    .filter(invitation::Column::Email.eq(email.as_ref()))
                    .filter(
                        invitation::Column::Status
                            .is_in([InvitationStatus::Pending, InvitationStatus::Expired]),
                    )
                    .order_by_desc(invitation::Column::Id)
                    .lock(LockType::Update)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found(format!("{email} has no pending invitation"))
                    });
                found.push((None, email.to_string(), model));
            }
        }
        ResendTarget::Filter { org, filter } => {
            let org = require_org(&txn, &org, true).await?;
            require_org_admin(&txn, viewer, &org).await?;
            let max = ctx.settings.bulk_limit;
            let Some(matching) = filter.matching(&txn, org.id, max, crate::db::now()).await? else {
                return Err(AppError::over_limit(
                    format!(
                        "more than {max} invitations match; narrow the filter or resend them \
                         in steps"
                    ),
                    "DOORMAN_BULK_LIMIT",
                ));
            };
            for model in matching {
                let email = model.email.clone().unwrap_or_default();
                found.push((Some(model.id.to_string()), email, Ok(model)));
            }
        }
    }

    let mut committed = Committed::default();
    let mut outcome = ResendOutcome {
        invitations: Vec::new(),
        errors: Vec::new(),
        count: 0,
    };
    let now = crate::db::now();
    // One outcome per invitation: named twice (the same id, or emails equal once normalised),
    // the second renewal would start from the row read before the first and collide with it.
    let mut seen = HashSet::new();
    let mut renewing = Vec::new();
    for (id, email, model) in found {
        if let Ok(model) = &model
            && !seen.insert(model.id)
        {
            outcome.errors.push(ResendError {
                retry_after: None,
                id,
                error: InviteError {
                    message: "this invitation is named more than once in this request".to_owned(),
                    input: email.clone(),
                    email,
                    code: ErrorCode::DuplicateInRequest,
                },
            });
            continue;
        }
        let model = match model.and_then(|model| {
            require_open(&model)?;
            Ok(model)
        }) {
            Ok(model) => {
                quotas::check_resend_cooldown(&txn, &ctx.settings.rate_limits, &model, now)
                    .await
                    .map(|()| model)
            }
            Err(err) => Err(err),
        };
        match model {
            Ok(model) => renewing.push(model),
            Err(
                err @ (AppError::Internal(_)
                | AppError::Client {
                    code: ErrorCode::Forbidden,
                    ..
                }),
            ) => {
                return Err(err);
            }
            Err(err) => outcome.errors.push(ResendError {
                retry_after: err.retry_after(),
                id,
                error: InviteError {
                    input: email.clone(),
                    email,
                    code: if err.code() == ErrorCode::BadUserInput {
                        ErrorCode::InvalidEmail
                    } else {
                        err.code()
                    },
                    message: err.to_string(),
                },
            }),
        }
    }
    check_revived_fit(&txn, ctx, &renewing, now).await?;
    outcome.count = renewing.len();
    if validate_only {
        txn.rollback().await?;
        return Ok(outcome);
    }
    for model in renewing {
        let (resent, events) = renew(ctx, &txn, viewer, model, send_email).await?;
        outcome.invitations.push(resent);
        committed = committed.merge(events);
    }
    txn.commit().await?;
    events::announce(ctx, committed).await;
    Ok(outcome)
}

/// A resend makes expired invitations pending again: each organization must have room for
/// its revived ones under the pending cap, as if they were created now (the whole request is
/// refused otherwise, like a bulk invite). Locks each organization's row, as creating does.
async fn check_revived_fit(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    renewing: &[invitation::Model],
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let mut revived: Vec<(i64, u64)> = Vec::new();
    for model in renewing {
        let expired =
            effective_status(model.status, model.expires_at, now) == InvitationStatus::Expired;
        let Some(org_id) = model.organization_id.filter(|_| expired) else {
            continue;
        };
        match revived.iter_mut().find(|(id, _)| *id == org_id) {
            Some((_, count)) => *count += 1,
            None => revived.push((org_id, 1)),
        }
    }
    revived.sort_unstable();
    for (org_id, adding) in revived {
        let org = require_org(txn, &OrgRef::Id(org_id), true).await?;
        quotas::check_pending_cap(txn, &ctx.settings.rate_limits, &org, adding, now).await?;
    }
    Ok(())
}

async fn renew(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    model: invitation::Model,
    send_email: bool,
) -> Result<(InvitationView, Committed), AppError> {
    let now = crate::db::now();
    let token = supersede_token(txn, &model, now).await?;
    outbox::cancel_undelivered(txn, model.id).await?;
    let requests_email = send_email && model.email.is_some();
    let was_queued = model.email_status == EmailDeliveryStatus::Queued;
    let mut active = model.into_active_model();
    active.token_digest = Set(token.digest());
    active.status = Set(InvitationStatus::Pending);
    active.expires_at = Set(now + Duration::days(i64::from(ctx.settings.invitation_expiry_days)));
    if requests_email {
        active.email_status = Set(EmailDeliveryStatus::Queued);
        active.last_email_error = Set(None);
        active.email_attempts = Set(0);
    } else if was_queued {
        active.email_status = Set(EmailDeliveryStatus::NotRequested);
    }
    active.updated_at = Set(now);
    active.reminded_at = Set(None);
    // The new token goes only to the mailbox when emailed, else to the caller.
    active.link_disclosed = Set(!requests_email);
    let model = active.update(txn).await?;
    let committed = events::record(txn, &[&model], EventKind::Resent, viewer.user_id()).await?;
    let mut view = admin_view(model);
    view.link = Some(link_for(&ctx.settings, &token));
    let views = std::slice::from_mut(&mut view);
    let emails = super::queue_emails(txn, views).await?;
    Ok((view, committed.merge(emails)))
}
