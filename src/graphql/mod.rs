//! The GraphQL layer: the schema (`schema`, roots merged from the feature files), the
//! [`Engine`](crate::graphql::Engine) that runs its requests within their limits, and the resolvers, one file per
//! feature. Resolvers are thin: read state and viewer (`context`), call one service function,
//! `.extend()` the error.

pub mod accounts;
pub mod audit;
pub mod completion;
pub mod connection;
pub mod context;
pub mod engine;
pub mod federation;
pub mod invitations;
pub mod limits;
pub mod loaders;
pub mod objects;
pub mod organizations;
pub mod scalars;
pub mod schema;
pub mod shape;
pub mod subscription_streams;
pub mod subscriptions;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use crate::service::Ctx;
use crate::service::rate_limits::RateLimiters;

pub use engine::Engine;
pub use schema::{AppSchema, export_sdl};

/// The schema with the use cases' state and the transport's rate limits, in the [`Engine`]
/// that runs its requests; per-request data (viewer, client IP, loaders) is added by the
/// transport. The schema has no extensions (see [`engine`]).
pub fn build_engine(state: Ctx, rate_limits: Arc<RateLimiters>) -> Engine {
    let limits = Arc::new(state.settings.limits.clone());
    let metrics = Arc::clone(&state.metrics);
    let mut builder = schema::schema_builder()
        .disable_suggestions()
        .limit_depth(limits.max_query_depth)
        .limit_complexity(limits.max_query_complexity)
        // The engine refuses deeper documents first, in its own words (`shape`).
        .limit_recursive_depth(shape::max_recursion(&limits) + 1);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    let measure = schema::schema_builder()
        .disable_suggestions()
        .limit_recursive_depth(shape::max_recursion(&limits) + 1)
        .extension(limits::Measure)
        .finish();
    let request_timeout = Duration::from_secs(state.settings.request_timeout_seconds);
    Engine::new(
        builder.data(state).data(rate_limits).finish(),
        measure,
        limits,
        metrics,
        request_timeout,
    )
}
