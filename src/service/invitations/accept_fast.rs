//! `acceptInvitation` the fast way, for the common case: a pending, unexpired organization
//! invitation with uses left, addressed to the caller's verified email or an open link without
//! a domain list, from an inviter who is still an admin of the organization, accepted by
//! someone who is not a member yet. What an accept costs under load is round trips and time holding locks:
//!
//! - on PostgreSQL one statement locks the row, checks all that, inserts the membership, the
//!   redemption, the ACCEPTED event and its webhook deliveries, counts the use and notifies subscribers (PostgreSQL
//!   delivers the `NOTIFY` on commit): one round trip instead of a dozen;
//! - on SQLite the write transaction holds four statements and no reads (the membership insert
//!   carries the checks), so the one writer at a time is done sooner.
//!
//! Anything else, and a race that makes the statement match nothing or hit a unique
//! constraint, goes the general way (`redeem::accept_invitation`), which reports the precise
//! refusal. Both lock the invitation (its row on PostgreSQL, the database on SQLite), so
//! concurrent accepts still queue and `usage_count` never passes `max_uses`. The status after
//! the use mirrors `invitation_rules::status_after_use`.

use std::sync::LazyLock;

use entity::{invitation, invitation_redemption, membership, organization, user};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, SqlErr, Statement,
};

use super::Accepted;
use crate::db;
use crate::domain::EventKind;
use crate::domain::invitation_rules::{InvitationAction, InvitationStatus};
use crate::domain::invite_token::InviteToken;
use crate::domain::org_role::OrgRole;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::bus::BusEvent;
use crate::service::events::{self, Committed};
use crate::service::webhooks::deliveries;

const MEMBERSHIP: &str = "membership_";
const ORGANIZATION: &str = "organization_";

/// Which invitation rows the fast way may accept, with `{p}1` the token digest, `{p}2` the
/// account id, `{p}3` its email if verified (else NULL, which equals nothing: an unverified
/// caller's email invitations go the checked way) and `{p}4` now (`p` is `$` on PostgreSQL,
/// `?` on SQLite).
fn acceptable(p: char) -> String {
    format!(
        "i.token_digest = {p}1
          AND i.action = '{join_org}'
          AND i.organization_id IS NOT NULL AND i.role IS NOT NULL
          AND i.status = '{pending}' AND i.expires_at > {p}4 AND i.paused_at IS NULL
          AND (i.max_uses IS NULL OR i.usage_count < i.max_uses)
          AND ((i.email IS NULL AND i.allowed_email_domains = '') OR i.email = {p}3)
          AND NOT EXISTS (SELECT 1 FROM memberships m
              WHERE m.organization_id = i.organization_id AND m.user_id = {p}2)
          AND (i.invited_by IS NULL OR EXISTS (SELECT 1 FROM memberships m
              WHERE m.organization_id = i.organization_id AND m.user_id = i.invited_by
                AND m.role = '{admin}'))",
        join_org = InvitationAction::JoinOrg.to_value(),
        pending = InvitationStatus::Pending.to_value(),
        admin = OrgRole::Admin.to_value(),
    )
}

/// The stored status after the use, from the row as it was (`inv`): `status_after_use`.
fn status_after_use(inv: &str) -> String {
    format!(
        "CASE WHEN {inv}.max_uses IS NOT NULL AND {inv}.usage_count + 1 >= {inv}.max_uses
              THEN CASE WHEN {inv}.email IS NULL THEN '{used_up}' ELSE '{accepted}' END
              ELSE '{pending}' END",
        used_up = InvitationStatus::UsedUp.to_value(),
        accepted = InvitationStatus::Accepted.to_value(),
        pending = InvitationStatus::Pending.to_value(),
    )
}

/// PostgreSQL: everything in one statement; `$5` is the event channel, NULL when the relay
/// carries events (NATS) instead of `NOTIFY`.
static ACCEPT: LazyLock<String> = LazyLock::new(|| {
    let columns = |table: &str, prefix: &str, names: Vec<&'static str>| {
        names
            .into_iter()
            .map(|name| format!("{table}.{name} AS {prefix}{name}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let membership_columns = columns(
        "joined",
        MEMBERSHIP,
        membership::Column::iter().map(|c| c.as_str()).collect(),
    );
    let organization_columns = columns(
        "o",
        ORGANIZATION,
        organization::Column::iter().map(|c| c.as_str()).collect(),
    );
    format!(
        "WITH inv AS (
            SELECT i.* FROM invitations i WHERE {acceptable} FOR UPDATE
        ), joined AS (
            INSERT INTO memberships (organization_id, user_id, role, invitation_id, joined_at, metadata)
            SELECT organization_id, $2, role, id, $4, metadata FROM inv
            RETURNING *
        ), redeemed AS (
            INSERT INTO invitation_redemptions (invitation_id, user_id, redeemed_at)
            SELECT id, $2, $4 FROM inv
            RETURNING id
        ), used AS (
            UPDATE invitations AS i SET
                usage_count = inv.usage_count + 1,
                status = {status},
                updated_at = $4
            FROM inv WHERE i.id = inv.id
            RETURNING i.*
        ), event AS (
            INSERT INTO invitation_events (invitation_id, organization_id, kind, actor_id, created_at)
            SELECT id, organization_id, '{accepted_event}', $2, $4 FROM inv
            RETURNING *
        ), hooked AS (
            {hooked}
            RETURNING id
        ), notified AS (
            SELECT pg_notify($5, json_build_object('id', id, 'invitation_id', invitation_id,
                'organization_id', organization_id, 'kind', kind, 'actor_id', actor_id)::text)
            FROM event WHERE $5::text IS NOT NULL
        )
        SELECT used.*, {membership_columns}, {organization_columns},
            event.id AS event_id, (SELECT count(*) FROM redeemed) AS redeemed,
            (SELECT count(*) FROM notified) AS notified,
            (SELECT count(*) FROM hooked) AS hooked
        FROM used
        JOIN joined ON true
        JOIN event ON true
        JOIN organizations o ON o.id = used.organization_id",
        acceptable = acceptable('$'),
        status = status_after_use("inv"),
        accepted_event = EventKind::Accepted.to_value(),
        hooked = deliveries::insert_from("event", "", DbBackend::Postgres),
    )
});

/// SQLite, inside the write transaction: the membership, only if the invitation is acceptable.
static JOIN_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO memberships (organization_id, user_id, role, invitation_id, joined_at, metadata)
         SELECT i.organization_id, ?2, i.role, i.id, ?4, i.metadata FROM invitations i WHERE {}
         RETURNING *",
        acceptable('?')
    )
});

/// SQLite: count the use; `?1` the invitation id, `?2` now.
static USE_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE invitations SET usage_count = usage_count + 1, status = {}, updated_at = ?2
         WHERE id = ?1 RETURNING *",
        status_after_use("invitations")
    )
});

/// Accepts in one statement when the common case applies; `None` when the caller should take
/// the general way (SQLite, or anything the statement does not cover).
pub async fn try_accept(
    ctx: &Ctx,
    user: &user::Model,
    token: &InviteToken,
) -> Result<Option<(Accepted, Committed)>, AppError> {
    match ctx.db.get_database_backend() {
        DbBackend::Postgres => accept_postgres(ctx, user, token).await,
        DbBackend::Sqlite => accept_sqlite(ctx, user, token).await,
        _ => Ok(None),
    }
}

/// The caller's email when it is proven.
fn verified_email(user: &user::Model) -> Option<String> {
    user.email_verified_at.map(|_| user.email.clone())
}

async fn accept_postgres(
    ctx: &Ctx,
    user: &user::Model,
    token: &InviteToken,
) -> Result<Option<(Accepted, Committed)>, AppError> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        ACCEPT.as_str(),
        [
            token.digest().into(),
            user.id.into(),
            verified_email(user).into(),
            crate::db::now().into(),
            ctx.bus.notify_channel().into(),
        ],
    );
    let row = match ctx.db.query_one_raw(statement).await {
        Ok(Some(row)) => row,
        Ok(None) => return Ok(None),
        // A concurrent accept by the same account: the general way says what happened.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let model = invitation::Model::from_query_result(&row, "")?;
    let membership = membership::Model::from_query_result(&row, MEMBERSHIP)?;
    let organization = organization::Model::from_query_result(&row, ORGANIZATION)?;
    let event_id: i64 = row.try_get("", "event_id")?;
    let hooked: i64 = row.try_get("", "hooked")?;
    let committed = Committed::notified(vec![BusEvent {
        id: event_id,
        invitation_id: Some(model.id),
        organization_id: model.organization_id,
        kind: EventKind::Accepted,
        actor_id: Some(user.id),
    }])
    .merge(Committed::webhooks(hooked.unsigned_abs()));
    Ok(Some((
        Accepted::new(model, membership, organization),
        committed,
    )))
}

/// SQLite: the writes in one short write transaction (four statements, no reads: the
/// membership insert carries the checks), the organization read after it, outside the lock.
async fn accept_sqlite(
    ctx: &Ctx,
    user: &user::Model,
    token: &InviteToken,
) -> Result<Option<(Accepted, Committed)>, AppError> {
    let now = crate::db::now();
    let txn = db::begin_write(&ctx.db).await?;
    let joined = membership::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        JOIN_SQLITE.as_str(),
        [
            token.digest().into(),
            user.id.into(),
            verified_email(user).into(),
            now.into(),
        ],
    ))
    .one(&*txn)
    .await;
    let membership = match joined {
        Ok(Some(membership)) => membership,
        Ok(None) => {
            txn.rollback().await?;
            return Ok(None);
        }
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let Some(invitation_id) = membership.invitation_id else {
        return Err(anyhow::anyhow!("the new membership names no invitation").into());
    };
    invitation_redemption::ActiveModel {
        invitation_id: Set(invitation_id),
        user_id: Set(user.id),
        redeemed_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let model = invitation::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        USE_SQLITE.as_str(),
        [invitation_id.into(), now.into()],
    ))
    .one(&*txn)
    .await?
    .ok_or_else(|| anyhow::anyhow!("the accepted invitation disappeared"))?;
    let committed = events::record(&*txn, &[&model], EventKind::Accepted, Some(user.id)).await?;
    txn.commit().await?;
    let organization = organization::Entity::find_by_id(membership.organization_id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| AppError::not_found("the organization no longer exists"))?;
    Ok(Some((
        Accepted::new(model, membership, organization),
        committed,
    )))
}
