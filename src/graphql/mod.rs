//! The GraphQL schema: roots merged from per-feature parts, the error safety net, the SDL.
//! Resolvers are thin: read state and viewer, call one service function, `.extend()` the error.

pub mod accounts;
pub mod connection;
pub mod federation;
pub mod invitations;
pub mod limits;
pub mod loaders;
pub mod metrics;
pub mod organizations;
pub mod subscriptions;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Context, MergedObject, Response, SDLExportOptions, Schema, SchemaBuilder, ServerError,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::app::AppState;
use crate::auth::Viewer;
use crate::client_ip::ClientIp;
use crate::error::{AppError, ErrorCode};
use crate::service::rate_limits::Action;

#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    organizations::OrganizationsQuery,
    invitations::InvitationsQuery,
    federation::EntitiesQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    organizations::OrganizationsMutation,
    invitations::InvitationsMutation,
);

#[derive(async_graphql::MergedSubscription, Default)]
pub struct Subscription(subscriptions::InvitationsSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with the app state; per-request data (viewer, loaders) is added by the transport.
pub fn build_schema(state: AppState) -> AppSchema {
    let metrics = metrics::Observe(state.metrics.clone());
    let limits = Arc::new(state.settings.limits.clone());
    let mut builder = schema_builder()
        .disable_suggestions()
        .extension(ErrorCodes)
        .extension(limits::Limits(Arc::clone(&limits)))
        .extension(metrics);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.data(state).finish()
}

/// The SDL that `schema.graphql` holds, `doorman schema` prints and `_service { sdl }` serves:
/// an Apollo Federation v2 subgraph, subscriptions included.
pub fn export_sdl() -> String {
    schema_builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
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

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
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
    state(ctx)
        .rate_limits
        .check(action, client_ip(ctx), viewer(ctx))
}

/// Safety net: every error leaves with an `extensions.code`. A document that does not parse is
/// `GRAPHQL_PARSE_FAILED`, one refused before execution `GRAPHQL_VALIDATION_FAILED`. An argument
/// value that does not fit its type (an `Int` out of range, a number for an `ID`, a `DateTime`
/// that does not parse, a `@oneOf` with two fields) is `BAD_USER_INPUT`, whether validation or
/// execution caught it: the engine checks literals and variables before execution but scalars
/// inside input objects during it, and clients must not see the difference. Anything else
/// that lacks a code is a forgotten `.extend()`: it is logged and replaced by a bare
/// `INTERNAL_SERVER_ERROR`. Codes already set (the transport's, e.g. `PERSISTED_QUERY_NOT_FOUND`)
/// are kept.
struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        with_codes(next.run(ctx).await)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &async_graphql::Variables,
        next: NextParseQuery<'_>,
    ) -> async_graphql::ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            if !has_code(&error) {
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", "GRAPHQL_PARSE_FAILED");
            }
            error
        })
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(with_codes).boxed()
    }
}

fn with_codes(mut response: Response) -> Response {
    let executed = !matches!(response.data, async_graphql::Value::Null)
        || response.errors.iter().any(|err| !err.path.is_empty());
    for error in &mut response.errors {
        ensure_code(error, executed);
    }
    response
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

fn ensure_code(error: &mut ServerError, executed: bool) {
    if has_code(error) {
        return;
    }
    let input_error = error.message.starts_with("Failed to parse")
        || error.message.starts_with("Invalid value for argument")
        || error.message.starts_with("Expected input type")
        || error.message.contains("Oneof");
    let code = if input_error {
        ErrorCode::BadUserInput.as_str()
    } else if !executed {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        tracing::error!(message = %error.message, path = ?error.path, "error without a code");
        error.message = "internal server error".to_owned();
        ErrorCode::InternalServerError.as_str()
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
