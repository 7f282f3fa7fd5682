//! Use cases. One public function per use case, one transaction each; every function takes the
//! [`Ctx`](crate::service::Ctx) and the `Viewer`, decides authorization itself and returns `Result<_, AppError>`.
//! Only this layer (and the outbox worker below it) runs queries; it never sees an
//! async-graphql or HTTP type.

pub mod accounts;
pub mod administration;
pub mod audit;
pub mod background;
pub mod bus;
pub mod email_verification;
pub mod events;
pub mod expiry;
pub mod external_accounts;
pub mod idempotency;
pub mod invitations;
pub mod oidc;
pub mod organizations;
pub mod previews;
pub mod rate_limits;
pub mod redis_store;
pub mod replica;
pub mod retention;
pub mod shared_limits;
pub mod webhooks;

use std::sync::Arc;

use entity::user;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use tokio::sync::Notify;

use crate::auth::{TokenKeys, Viewer};
use crate::config::Settings;
use crate::error::AppError;
use crate::telemetry::Metrics;

/// What the use cases need, shared by every request, connection and worker; cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Signs and checks access tokens.
    pub keys: Arc<TokenKeys>,
    pub metrics: Arc<Metrics>,
    /// Wakes the outbox worker when a transaction queued mail.
    pub outbox_wakeup: Arc<Notify>,
    /// Wakes the webhook worker when a transaction wrote deliveries.
    pub webhook_wakeup: Arc<Notify>,
    /// Committed invitation events, for subscriptions.
    pub bus: bus::EventBus,
    /// Verifies the tokens of the OpenID Connect issuer, when one is configured.
    pub oidc: Option<Arc<oidc::OidcVerifier>>,
    /// The email templates and the languages they are written in.
    pub emails: Arc<crate::email::templates::Emails>,
    /// The read replica of the hot reads, when one is configured.
    pub replica: Option<Arc<replica::Replica>>,
    /// Invitation previews kept in memory.
    pub previews: previews::PreviewCache,
}

impl Ctx {
    /// Runs the read-only `read` on the replica when it may serve `viewer` (see
    /// [`replica`]), else on the primary. A read that fails on the replica, or takes longer
    /// than [`replica::READ_TIMEOUT`], is read again from the primary (reads change nothing, so
    /// nothing is done twice); a replica that could not be reached rests until the monitor
    /// finds it well again.
    pub async fn read_hot<T, Read, Reading>(
        &self,
        viewer: &Viewer,
        read: Read,
    ) -> Result<T, AppError>
    where
        Read: Fn(DatabaseConnection) -> Reading,
        Reading: Future<Output = Result<T, AppError>>,
    {
        match self.on_replica(viewer, &read).await {
            Some(result) => result,
            None => read(self.db.clone()).await,
        }
    }

    /// [`read_hot`](Self::read_hot) of a lookup: what the replica does not have (yet: a row
    /// written a moment ago) is looked up on the primary too.
    pub async fn read_hot_found<T, Read, Reading>(
        &self,
        viewer: &Viewer,
        read: Read,
    ) -> Result<Option<T>, AppError>
    where
        Read: Fn(DatabaseConnection) -> Reading,
        Reading: Future<Output = Result<Option<T>, AppError>>,
    {
        match self.on_replica(viewer, &read).await {
            Some(Ok(None)) | None => read(self.db.clone()).await,
            Some(result) => result,
        }
    }

    /// `read` on the replica, when it may serve `viewer` and answers; `None` when the primary
    /// is to read.
    async fn on_replica<T, Read, Reading>(
        &self,
        viewer: &Viewer,
        read: &Read,
    ) -> Option<Result<T, AppError>>
    where
        Read: Fn(DatabaseConnection) -> Reading,
        Reading: Future<Output = Result<T, AppError>>,
    {
        let replica = self.replica.as_ref()?;
        if !replica.serves(viewer.user_id()) {
            return None;
        }
        match tokio::time::timeout(replica::READ_TIMEOUT, read(replica.db().clone())).await {
            Ok(Err(AppError::Internal(err))) => {
                if replica::unreachable(&err) {
                    replica.failed();
                }
                tracing::debug!(error = %err, "a read on the replica failed; reading from the primary");
                None
            }
            Ok(result) => {
                self.metrics.replica_reads.inc();
                Some(result)
            }
            Err(_) => {
                replica.failed();
                tracing::debug!("a read on the replica took too long; reading from the primary");
                None
            }
        }
    }
}

/// The signed-in user, or `UNAUTHENTICATED`.
pub fn require_user(viewer: &Viewer) -> Result<&user::Model, AppError> {
    viewer.user().ok_or_else(AppError::unauthenticated)
}

/// A filter's list of values with each value once; a list longer than `max` entries (the
/// number of values there are, or a little more) is `BAD_USER_INPUT`, naming the argument
/// (`what`) and its values (`noun`).
pub fn distinct<T: PartialEq>(
    values: Vec<T>,
    max: usize,
    what: &str,
    noun: &str,
) -> Result<Vec<T>, AppError> {
    if values.len() > max {
        return Err(AppError::bad_input(format!(
            "{what} names at most {max} {noun}, each once; got {} entries",
            values.len()
        )));
    }
    let mut unique = Vec::with_capacity(values.len());
    for value in values {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    Ok(unique)
}

/// Most items one page may hold.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which slice of a newest-first list to read: `first` items with ids below `after`.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<i64>,
    /// Whether to count the whole list (`totalCount`); a query that does not ask for it spares
    /// the database a count of every matching row.
    pub count_total: bool,
}

impl PageRequest {
    /// Checks `first` (0 to 100); `after` is an already decoded cursor.
    pub fn new(first: Option<i32>, after: Option<i64>, default: u64) -> Result<Self, AppError> {
        let first = match first {
            None => default,
            Some(first) => u64::try_from(first)
                .ok()
                .filter(|first| *first <= MAX_PAGE_SIZE)
                .ok_or_else(|| {
                    AppError::bad_input(format!("first must be between 0 and {MAX_PAGE_SIZE}"))
                })?,
        };
        Ok(Self {
            first,
            after,
            count_total: true,
        })
    }
}

/// One page of a newest-first list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    /// Whether rows come before this page (backward paging, or a page after a cursor).
    pub has_previous_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }
}

/// Reads one page of `select`, newest first by `id_column`, with the total count of the
/// unpaginated selection.
pub async fn fetch_page<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_column: C,
    page: PageRequest,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: sea_orm::ColumnTrait,
{
    let total_count = if page.count_total {
        select.clone().count(db).await?
    } else {
        0
    };
    let mut select = select.order_by_desc(id_column);
    if let Some(after) = page.after {
        select = select.filter(id_column.lt(after));
    }
    let mut items = select.limit(page.first + 1).all(db).await?;
    let has_next_page = items.len() as u64 > page.first;
    items.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    Ok(Page {
        items,
        has_next_page,
        has_previous_page: page.after.is_some(),
        total_count,
    })
}

/// Whether the database answers (`/readyz`).
pub async fn database_reachable(ctx: &Ctx) -> Result<(), sea_orm::DbErr> {
    ctx.db.execute_unprepared("SELECT 1").await.map(|_| ())
}
