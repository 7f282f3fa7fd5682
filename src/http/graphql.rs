//! `/graphql` by POST and GET: the caller named once per request by its `Authorization`
//! header, its persisted query applied, a mutation refused over GET, then each request run
//! in a task of its own with its viewer, client IP and loaders as request data.

use std::net::SocketAddr;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, ErrorExtensions, Executor};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use tokio_util::task::AbortOnDropHandle;
use tracing::Instrument;

use super::response::{self, MediaType, Rejection};
use super::state::{BODY_LIMIT_BYTES, HttpState};
use super::{client_ip, request};
use crate::auth::{self, TokenProblem, Viewer};
use crate::error::AppError;
use crate::graphql::{Engine, loaders};
use crate::service::rate_limits::ClientIp;
use crate::service::{Ctx, accounts};

/// The caller named by the `Authorization` header: anonymous without one (or with an empty
/// one); a token that is sent but expired or invalid refuses the whole request with 401, so
/// the client learns at once that it must sign in again.
async fn viewer_from(ctx: &Ctx, headers: &HeaderMap) -> Result<Viewer, Rejection> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let value = value
        .to_str()
        .map_err(|_| Rejection::bad_token(TokenProblem::Invalid))?
        .trim();
    if value.is_empty() {
        return Ok(Viewer::Anonymous);
    }
    let token = auth::bearer_token(value).ok_or(Rejection::bad_token(TokenProblem::Invalid))?;
    match accounts::session_for_token(ctx, token).await {
        Ok((viewer, _)) => Ok(viewer),
        Err(AppError::BadToken(problem)) => Err(Rejection::bad_token(problem)),
        Err(err) => {
            // Logged with its cause; the client hears only that something went wrong.
            let _ = err.extend();
            Err(Rejection::internal())
        }
    }
}

/// Runs one request for `viewer` in a task of its own: the request timeout then answers 408
/// on time even while the request's own work runs, and the task stops at its next await.
async fn execute(
    state: &HttpState,
    viewer: &Viewer,
    client: ClientIp,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let loader = loaders::request_loader(state.ctx.clone(), viewer.clone());
    let request = request.data(viewer.clone()).data(client).data(loader);
    let engine = state.engine.clone();
    let task = tokio::spawn(async move { engine.execute(request).await }.in_current_span());
    match AbortOnDropHandle::new(task).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL request failed");
            async_graphql::Response::from_errors(vec![Rejection::internal().into_server_error()])
        }
    }
}

/// One GraphQL request, from either method: its persisted query applied, a mutation refused
/// over GET, then executed. A query sent with its hash is registered once it has passed
/// validation.
async fn run(
    state: &HttpState,
    viewer: &Viewer,
    client: ClientIp,
    method: &Method,
    mut request: async_graphql::Request,
) -> Result<async_graphql::Response, Rejection> {
    let engine = &state.engine;
    let resolved = state
        .persisted
        .resolve(&mut request, |request| engine.document(request))
        .await;
    let registration = match resolved {
        Ok(registration) => registration,
        Err(error) => return response::persisted_query_error(error),
    };
    if method == Method::GET && is_mutation(&state.engine, &mut request) {
        return Err(Rejection::mutation_over_get());
    }
    // Read-your-writes: the account that writes reads from the primary for a while.
    if let (Some(replica), Some(account)) = (&state.ctx.replica, viewer.user_id())
        && is_mutation(&state.engine, &mut request)
    {
        replica.wrote(account);
    }
    let response = execute(state, viewer, client, request).await;
    if let Some(registration) = registration
        && response::executed(&response)
    {
        state.persisted.register(registration).await;
    }
    Ok(response)
}

/// A request or a batch (a JSON array of at most `DOORMAN_MAX_BATCH` requests, run in order).
pub(super) async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return Rejection::not_acceptable().into_response(MediaType::Json);
    };
    if let Err(rejection) = request::check_csrf(&headers) {
        return rejection.into_response(media);
    }
    let body = match body {
        Ok(body) => body,
        Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Rejection::too_large(BODY_LIMIT_BYTES).into_response(media);
        }
        Err(err) => return Rejection::bad_request(err.body_text()).into_response(media),
    };
    let batch = match request::read_post(&headers, &body, state.ctx.settings.limits.max_batch) {
        Ok(batch) => batch,
        Err(rejection) => return rejection.into_response(media),
    };
    let viewer = match viewer_from(&state.ctx, &headers).await {
        Ok(viewer) => viewer,
        Err(rejection) => return rejection.into_response(media),
    };
    let client = client_ip::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
    let answer = match batch {
        BatchRequest::Single(request) => {
            match run(&state, &viewer, client, &Method::POST, request).await {
                Ok(response) => BatchResponse::Single(response),
                Err(rejection) => return rejection.into_response(media),
            }
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                let response = run(&state, &viewer, client, &Method::POST, request)
                    .await
                    .unwrap_or_else(|rejection| {
                        async_graphql::Response::from_errors(vec![rejection.into_server_error()])
                    });
                responses.push(response);
            }
            BatchResponse::Batch(responses)
        }
    };
    response::respond(media, answer)
}

#[derive(serde::Deserialize)]
pub(super) struct GetParams {
    query: Option<String>,
}

/// GraphiQL for browsers; otherwise a query sent by GET. Mutations need POST.
pub(super) async fn graphql_get(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
    RawQuery(query_string): RawQuery,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if params.query.is_none() && wants_html {
        return super::graphiql::page();
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return Rejection::not_acceptable().into_response(MediaType::Json);
    };
    let request = match request::read_get(query_string.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(media),
    };
    let viewer = match viewer_from(&state.ctx, &headers).await {
        Ok(viewer) => viewer,
        Err(rejection) => return rejection.into_response(media),
    };
    let client = client_ip::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
    match run(&state, &viewer, client, &Method::GET, request).await {
        Ok(response) => response::respond(media, response.into()),
        Err(rejection) => rejection.into_response(media),
    }
}

/// Whether the operation the request would run is a mutation (a document over the limits or
/// that does not parse is left to the engine, which reports it properly). The parsed document
/// stays in the request, so it is not parsed again; a persisted query arrives already parsed.
fn is_mutation(engine: &Engine, request: &mut async_graphql::Request) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = engine.document(request) else {
        return false;
    };
    let mut operations = document.operations.iter();
    match &operation_name {
        Some(name) => operations
            .find(|(op_name, _)| op_name.is_some_and(|n| n.as_str() == name))
            .is_some_and(|(_, op)| op.node.ty == OperationType::Mutation),
        None => operations.any(|(_, op)| op.node.ty == OperationType::Mutation),
    }
}
