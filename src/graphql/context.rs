//! What a resolver reads from the request: the use cases' state, the viewer, the client's
//! address, and the rate limits it must take its turn in.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use async_graphql::Context;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::service::rate_limits::{Action, ClientIp, RateLimiters};
use crate::service::{Ctx, idempotency};

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
pub(crate) async fn throttle(ctx: &Context<'_>, action: Action<'_>) -> Result<(), AppError> {
    ctx.data_unchecked::<Arc<RateLimiters>>()
        .check(action, client_ip(ctx), viewer(ctx))
        .await
}

/// The idempotency of this call: its `input` argument, without `idempotencyKey`, digested
/// with the key; `None` without a key.
pub(crate) fn idempotent(
    ctx: &Context<'_>,
    operation: &'static str,
    key: Option<&str>,
) -> Result<Option<idempotency::Request>, AppError> {
    if key.is_none() {
        return Ok(None);
    }
    let arguments = ctx
        .field()
        .arguments()
        .map_err(|err| AppError::bad_input(err.message))?;
    let mut input = arguments
        .into_iter()
        .find(|(name, _)| name.as_str() == "input")
        .map(|(_, value)| value.into_json())
        .transpose()
        .map_err(|err| AppError::bad_input(err.to_string()))?
        .unwrap_or_default();
    if let Some(fields) = input.as_object_mut() {
        fields.remove("idempotencyKey");
    }
    idempotency::Request::new(operation, key, &input)
}
