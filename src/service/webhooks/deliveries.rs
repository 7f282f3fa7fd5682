//! Delivery rows: written for each event an endpoint hears in the event's own transaction
//! ([`enqueue`], and the single-statement accept through [`insert_from`]), listed for admins,
//! and put back in line by `redeliver`.

use entity::enums::DeliveryStatus;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::AppError;

/// The deliveries of the events in `events` (a table or CTE with the event columns) that
/// `filter` keeps (a `WHERE` clause, or nothing), one per endpoint that hears it: of its organization or of all, of its kind or of every kind. On
/// PostgreSQL the endpoints are locked until commit (in id order, so two writers never wait
/// for each other in a circle): deliveries to one endpoint get their ids in the order their
/// transactions commit, which is the order the worker sends them in.
pub fn insert_from(events: &str, filter: &str, backend: DbBackend) -> String {
    let lock = match backend {
        DbBackend::Postgres => " ORDER BY w.id, e.id FOR UPDATE OF w",
        _ => "",
    };
    format!(
        "INSERT INTO webhook_deliveries
            (endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
         SELECT w.id, e.id, e.kind, '{pending}', 0, e.created_at, e.created_at
         FROM {events} e JOIN webhook_endpoints w
           ON (w.organization_id = e.organization_id OR w.organization_id IS NULL)
          AND (w.event_kinds = ',*,' OR w.event_kinds LIKE '%,' || e.kind || ',%'){filter}{lock}",
        pending = sea_orm::ActiveEnum::to_value(&DeliveryStatus::Pending),
    )
}

/// Writes the deliveries of the events `ids`, in the caller's transaction; how many.
pub async fn enqueue(txn: &impl ConnectionTrait, ids: &[i64]) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let backend = txn.get_database_backend();
    let placeholders: Vec<String> = (1..=ids.len())
        .map(|n| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        })
        .collect();
    let filter = format!(" WHERE e.id IN ({})", placeholders.join(", "));
    let sql = insert_from("invitation_events", &filter, backend);
    let values = ids.iter().map(|id| (*id).into());
    let written = txn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(written.rows_affected())
}
