//! What the periodic tasks (retention, the expiry sweep) share: a loop that runs a task
//! every period until the server stops, and work in batches, each its own
//! short transaction, so that a large backlog never holds the database for long.

use std::time::Duration;

use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Select};
use tokio::sync::watch;

use crate::error::AppError;

/// Rows handled per transaction.
pub const BATCH: u64 = 1000;

/// Runs `task` after `delay` and then every `period` until `stopping` turns true.
pub async fn every<F, Task>(
    delay: Duration,
    period: Duration,
    mut stopping: watch::Receiver<bool>,
    mut task: F,
) where
    F: FnMut() -> Task,
    Task: Future<Output = ()>,
{
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + delay, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = interval.tick() => false,
            _ = stopping.wait_for(|stopping| *stopping) => true,
        };
        if stop {
            return;
        }
        task().await;
    }
}

/// Runs `batch` until one handles less than [`BATCH`] rows; the rows handled in all.
pub async fn in_batches<F, Batch>(mut batch: F) -> Result<u64, AppError>
where
    F: FnMut() -> Batch,
    Batch: Future<Output = Result<u64, AppError>>,
{
    let mut total = 0;
    loop {
        let handled = batch().await?;
        total += handled;
        if handled < BATCH {
            return Ok(total);
        }
    }
}

/// The ids of the first [`BATCH`] rows of `select`.
pub async fn batch_of<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    select: Select<E>,
    id: E::Column,
) -> Result<Vec<i64>, AppError> {
    Ok(select
        .select_only()
        .column(id)
        .limit(BATCH)
        .into_tuple()
        .all(txn)
        .await?)
}
