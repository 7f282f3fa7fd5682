//! The GraphQL schema: roots merged from per-feature parts, the error safety net, the SDL.
//! Resolvers are thin: read state and viewer, call one service function, `.extend()` the error.

pub mod accounts;
pub mod completion;
pub mod connection;
pub mod engine;
pub mod federation;
pub mod invitations;
pub mod limits;
pub mod loaders;
pub mod organizations;
pub mod scalars;
pub mod shape;
pub mod subscriptions;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use crate::auth::Viewer;
use crate::error::AppError;
use crate::service::Ctx;
use crate::service::rate_limits::{Action, ClientIp, RateLimiters};

pub use engine::Engine;

#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    organizations::OrganizationsQuery,
    invitations::queries::InvitationsQuery,
    federation::EntitiesQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    organizations::OrganizationsMutation,
    invitations::create::CreateMutation,
    invitations::redeem::RedeemMutation,
    invitations::manage::ManageMutation,
);

#[derive(async_graphql::MergedSubscription, Default)]
pub struct Subscription(subscriptions::InvitationsSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with the use cases' state and the transport's rate limits, in the [`Engine`]
/// that runs its requests; per-request data (viewer, client IP, loaders) is added by the
/// transport. The schema has no extensions (see [`engine`]).
pub fn build_engine(state: Ctx, rate_limits: Arc<RateLimiters>) -> Engine {
    let limits = Arc::new(state.settings.limits.clone());
    let metrics = Arc::clone(&state.metrics);
    let mut builder = schema_builder()
        .disable_suggestions()
        .limit_depth(limits.max_query_depth)
        .limit_complexity(limits.max_query_complexity)
        // The engine refuses deeper documents first, in its own words (`shape`).
        .limit_recursive_depth(shape::max_recursion(&limits) + 1);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    let measure = schema_builder()
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

/// The SDL that `schema.graphql` holds, `doorman schema` prints and `_service { sdl }` serves:
/// an Apollo Federation v2 subgraph, subscriptions included.
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .federation()
            .compose_directive()
            .include_specified_by(),
    )
}

fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .enable_federation()
    .enable_subscription_in_federation()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a Ctx {
    ctx.data_unchecked::<Ctx>()
}

pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&Viewer::Anonymous)
}

/// The client's IP as the transport resolved it; a request without one shares a single key.
pub(crate) fn client_ip(ctx: &Context<'_>) -> ClientIp {
    ctx.data_opt::<ClientIp>()
        .copied()
        .unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
}

/// Takes this call's cell of the in-process rate limits of `action`: every call of a limited
/// resolver counts, so aliases and batches cannot multiply the allowance. Call it before any
/// `.await`, so aliased calls are counted in document order.
pub(crate) fn throttle(ctx: &Context<'_>, action: Action<'_>) -> Result<(), AppError> {
    ctx.data_unchecked::<Arc<RateLimiters>>()
        .check(action, client_ip(ctx), viewer(ctx))
}
