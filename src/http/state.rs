//! What the transport's handlers share: the [`Transport`] (engine, rate limiters, open
//! WebSockets, the stopping signal, beside the use cases' `Ctx`) and the HTTP-only state.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use super::persisted_queries::PersistedQueries;
use crate::graphql::Engine;
use crate::service::Ctx;
use crate::service::rate_limits::RateLimiters;

/// Bodies are read up to this, never further.
pub(super) const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// The transport's own state, beside the use cases' [`Ctx`]: the engine that runs GraphQL
/// requests, the rate limiters it hands to the schema, the open WebSockets and the signal
/// that closes them. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    pub ctx: Ctx,
    pub engine: Engine,
    pub rate_limits: Arc<RateLimiters>,
    /// Open WebSocket connections: shutdown waits for their close frames to go out.
    pub websockets: TaskTracker,
    /// Turns true when the server starts shutting down (WebSockets close with 1001).
    pub stopping: watch::Sender<bool>,
}

#[derive(Clone)]
pub(super) struct HttpState {
    pub(super) transport: Transport,
    pub(super) persisted: PersistedQueries,
}

impl std::ops::Deref for HttpState {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}
