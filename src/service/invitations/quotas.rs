//! Invitation quotas counted in the database, inside the creating transaction (which holds
//! the organization row), so they hold across instances: the cap on pending invitations, the
//! daily quota per organization, the stop after too many wrong-recipient reports, and the
//! resend cooldown per invitation.

use chrono::{DateTime, Duration, Utc};
use entity::{invitation, invitation_event, invitation_token, organization};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::config::RateLimits;
use crate::domain::EventKind;
use crate::domain::invitation_rules::InvitationStatus;
use crate::error::{AppError, seconds_until, whole_seconds};

/// The window of the daily quota.
const QUOTA_WINDOW: Duration = Duration::hours(24);

/// Checks that `org` may get `adding` new invitations now: the pending cap first (waiting
/// alone does not lift it), then the daily quota. A request that does not fit is refused whole.
pub(crate) async fn check_org_quotas(
    db: &impl ConnectionTrait,
    limits: &RateLimits,
    org: &organization::Model,
    adding: u64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if adding == 0 {
        return Ok(());
    }
    check_pending_cap(db, limits, org, adding, now).await?;
    if limits.enabled {
        check_reports(db, limits, org, now).await?;
        check_daily_quota(db, limits, org, adding, now).await?;
    }
    Ok(())
}

/// `RATE_LIMITED` while recipients reported `DOORMAN_WRONG_RECIPIENT_REPORTS_PER_DAY` of the
/// organization's invitations as not meant for them within 24 hours, until the oldest of
/// those reports ages out.
async fn check_reports(
    db: &impl ConnectionTrait,
    limits: &RateLimits,
    org: &organization::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let allowed = u64::from(limits.wrong_recipient_reports_per_day);
    let recent = || {
        invitation_event::Entity::find()
            .filter(invitation_event::Column::OrganizationId.eq(org.id))
            .filter(invitation_event::Column::Kind.eq(EventKind::WrongRecipient))
            .filter(invitation_event::Column::CreatedAt.gte(now - QUOTA_WINDOW))
    };
    let reports = recent().count(db).await?;
    if reports < allowed {
        return Ok(());
    }
    // Inviting opens again when the reports drop below the limit.
    let lifting: Option<DateTime<Utc>> = recent()
        .select_only()
        .column(invitation_event::Column::CreatedAt)
        .order_by_desc(invitation_event::Column::CreatedAt)
        .offset(allowed - 1)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let wait = lifting.map_or(QUOTA_WINDOW, |at| at + QUOTA_WINDOW - now);
    let seconds = whole_seconds(wait.to_std().unwrap_or_default());
    Err(AppError::rate_limited(
        format!(
            "recipients reported {reports} invitations of {} as not meant for them in the last \
             24 hours (DOORMAN_WRONG_RECIPIENT_REPORTS_PER_DAY is {allowed}): check the \
             addresses; inviting opens again in {seconds} seconds",
            org.name
        ),
        seconds,
    ))
}

/// Checks that `org` has room for `adding` more pending invitations.
pub(crate) async fn check_pending_cap(
    db: &impl ConnectionTrait,
    limits: &RateLimits,
    org: &organization::Model,
    adding: u64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let cap = limits.max_pending_invitations;
    let pending = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(org.id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .count(db)
        .await?;
    if pending + adding <= cap {
        return Ok(());
    }
    let nothing = if adding > 1 {
        "; nothing was changed"
    } else {
        ""
    };
    Err(AppError::over_limit(
        format!(
            "{} may have at most {cap} pending invitations (DOORMAN_MAX_PENDING_INVITATIONS) and \
             has {pending}; this request would add {adding}{nothing}. Cancel some, or wait for \
             them to be accepted or to expire",
            org.name
        ),
        "DOORMAN_MAX_PENDING_INVITATIONS",
    ))
}

async fn check_daily_quota(
    db: &impl ConnectionTrait,
    limits: &RateLimits,
    org: &organization::Model,
    adding: u64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let is_new = now - org.created_at < Duration::days(i64::from(limits.new_org_days));
    let (quota, setting) = if is_new {
        (
            limits.new_org_invitations_per_day,
            "DOORMAN_NEW_ORG_INVITATIONS_PER_DAY",
        )
    } else {
        (
            limits.org_invitations_per_day,
            "DOORMAN_ORG_INVITATIONS_PER_DAY",
        )
    };
    let quota = u64::from(quota);
    let age = if is_new {
        format!(" (it is less than {} days old)", limits.new_org_days)
    } else {
        String::new()
    };
    if adding > quota {
        return Err(AppError::over_limit(
            format!(
                "{} may create at most {quota} invitations per 24 hours{age}; this request \
                 would create {adding}, so nothing was created: split it up",
                org.name
            ),
            setting,
        ));
    }
    let since = now - QUOTA_WINDOW;
    let in_window = || {
        invitation::Entity::find()
            .filter(invitation::Column::OrganizationId.eq(org.id))
            .filter(invitation::Column::CreatedAt.gte(since))
    };
    let created = in_window().count(db).await?;
    if created + adding <= quota {
        return Ok(());
    }
    // The request fits once enough of the window's oldest invitations have left it.
    let must_leave = created + adding - quota;
    let leaving: Option<DateTime<Utc>> = in_window()
        .select_only()
        .column(invitation::Column::CreatedAt)
        .order_by_asc(invitation::Column::CreatedAt)
        .offset(must_leave - 1)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let wait = leaving.map_or(QUOTA_WINDOW, |at| at + QUOTA_WINDOW - now);
    let seconds = whole_seconds(wait.to_std().unwrap_or_default());
    let nothing = if adding > 1 {
        " Nothing was created."
    } else {
        ""
    };
    Err(AppError::rate_limited(
        format!(
            "{} has created {created} of its {quota} invitations per 24 hours{age}; this \
             request would create {adding}.{nothing} Try again in {seconds} seconds",
            org.name
        ),
        seconds,
    ))
}

/// `RATE_LIMITED` when `model` was sent (created or last resent) less than the cooldown ago.
pub(crate) async fn check_resend_cooldown(
    db: &impl ConnectionTrait,
    limits: &RateLimits,
    model: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !limits.enabled || limits.resend_cooldown_seconds == 0 {
        return Ok(());
    }
    let cooldown =
        Duration::seconds(i64::try_from(limits.resend_cooldown_seconds).unwrap_or(i64::MAX));
    // Each resend files the replaced token with the time it was replaced.
    let last_resent: Option<DateTime<Utc>> = invitation_token::Entity::find()
        .filter(invitation_token::Column::InvitationId.eq(model.id))
        .select_only()
        .column(invitation_token::Column::SupersededAt)
        .order_by_desc(invitation_token::Column::SupersededAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let sent_at = last_resent.map_or(model.created_at, |at| at.max(model.created_at));
    let Some(seconds) = seconds_until(sent_at + cooldown, now) else {
        return Ok(());
    };
    Err(AppError::rate_limited(
        format!(
            "this invitation was sent less than {} seconds ago; resend it in {seconds} seconds",
            limits.resend_cooldown_seconds
        ),
        seconds,
    ))
}
