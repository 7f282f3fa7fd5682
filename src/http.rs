//! The HTTP surface: `/graphql` (POST, GET for queries, GraphiQL for browsers), `/healthz`,
//! `/readyz`. The viewer and the per-request loaders enter the schema here, once per request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Executor};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{CloseFrame, Message as WsFrame, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;
use tokio_util::task::TaskTracker;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Instrument;

use crate::auth::{self, TokenProblem, Viewer};
use crate::client_ip::ClientIp;
use crate::error::AppError;
use crate::graphql::{Engine, loaders};
use crate::graphql_over_http::{self, MediaType, Rejection};
use crate::persisted_queries::PersistedQueries;
use crate::service::rate_limits::RateLimiters;
use crate::service::{self, Ctx, accounts};
use crate::telemetry::GaugeGuard;
use async_graphql::ErrorExtensions;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const BODY_LIMIT_BYTES: usize = 1024 * 1024;
const WS_MESSAGE_LIMIT_BYTES: usize = 64 * 1024;
const WS_READ_BUFFER_BYTES: usize = 1024;
const WS_INIT_TIMEOUT: Duration = Duration::from_secs(3);

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
struct HttpState {
    transport: Transport,
    persisted: PersistedQueries,
}

impl std::ops::Deref for HttpState {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}

pub fn router(transport: Transport) -> Router {
    let settings = &transport.ctx.settings;
    let cors = cors_layer(&settings.cors_origins);
    let request_timeout = Duration::from_secs(settings.request_timeout_seconds);
    let state = HttpState {
        transport,
        persisted: PersistedQueries::default(),
    };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::graphiql::routes())
        .with_state(state)
        // Bodies are read up to the limit, never further; more is a 413 in JSON.
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            request_timeout,
            answer_within,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Answers 408 (`REQUEST_TIMEOUT`, in JSON) for a request still running after `timeout`;
/// dropping its future stops its work and rolls back its transaction. Upgraded WebSockets
/// are not held to it: their handler returns at once.
async fn answer_within(
    State(timeout): State<Duration>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let media = MediaType::negotiate(request.headers()).unwrap_or(MediaType::Json);
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_seconds = timeout.as_secs(), "request timed out");
            Rejection::timeout(timeout).into_response(media)
        }
    }
}

/// CORS for the configured origins only; with none, browsers on other origins get no access.
fn cors_layer(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(600))
}

/// Every log line of a request carries its method, path, request id and, once known, the
/// GraphQL operation name.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
        operation = tracing::field::Empty,
    )
}

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
        Err(error) => return graphql_over_http::persisted_query_error(error),
    };
    if method == Method::GET && is_mutation(&state.engine, &mut request) {
        return Err(Rejection::mutation_over_get());
    }
    let response = execute(state, viewer, client, request).await;
    if let Some(registration) = registration
        && graphql_over_http::executed(&response)
    {
        state.persisted.register(registration).await;
    }
    Ok(response)
}

/// A request or a batch (a JSON array of at most `DOORMAN_MAX_BATCH` requests, run in order).
async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return Rejection::not_acceptable().into_response(MediaType::Json);
    };
    if let Err(rejection) = graphql_over_http::check_csrf(&headers) {
        return rejection.into_response(media);
    }
    let body = match body {
        Ok(body) => body,
        Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Rejection::too_large(BODY_LIMIT_BYTES).into_response(media);
        }
        Err(err) => return Rejection::bad_request(err.body_text()).into_response(media),
    };
    let batch =
        match graphql_over_http::read_post(&headers, &body, state.ctx.settings.limits.max_batch) {
            Ok(batch) => batch,
            Err(rejection) => return rejection.into_response(media),
        };
    let viewer = match viewer_from(&state.ctx, &headers).await {
        Ok(viewer) => viewer,
        Err(rejection) => return rejection.into_response(media),
    };
    let client = ClientIp::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
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
    graphql_over_http::respond(media, answer)
}

#[derive(serde::Deserialize)]
struct GetParams {
    query: Option<String>,
}

/// GraphiQL for browsers; otherwise a query sent by GET. Mutations need POST.
async fn graphql_get(
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
        return crate::graphiql::page();
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return Rejection::not_acceptable().into_response(MediaType::Json);
    };
    let request = match graphql_over_http::read_get(query_string.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(media),
    };
    let viewer = match viewer_from(&state.ctx, &headers).await {
        Ok(viewer) => viewer,
        Err(rejection) => return rejection.into_response(media),
    };
    let client = ClientIp::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
    match run(&state, &viewer, client, &Method::GET, request).await {
        Ok(response) => graphql_over_http::respond(media, response.into()),
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

/// Subscriptions over WebSocket, `graphql-transport-ws` or the legacy `graphql-ws`.
async fn graphql_ws(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The first subprotocol we speak; clients that name none get graphql-ws (the legacy default).
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|protocol| protocol.trim().parse::<WebSocketProtocols>().ok())
        })
        .unwrap_or(WebSocketProtocols::SubscriptionsTransportWS);
    let client = ClientIp::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(WS_MESSAGE_LIMIT_BYTES)
        // tungstenite's 128 KiB buffers per connection would make 10,000 subscribers cost
        // over a gigabyte; messages here are small, and larger ones still fit (the buffer
        // grows; each read takes at most this much).
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            let connections = state.websockets.clone();
            connections.track_future(serve_ws(state, socket, protocol, client))
        })
}

/// Runs one subscription connection: authenticates from `connection_init`, closes with 4408
/// when it does not come in time, and with 1001 when the server shuts down.
async fn serve_ws(
    state: HttpState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    client: ClientIp,
) {
    let _open = GaugeGuard::hold(&state.ctx.metrics.websockets_open);
    let (mut sink, stream) = socket.split();
    // A message over the size limit ends the input; the client then hears 1009.
    let too_big = Arc::new(AtomicBool::new(false));
    let too_big_tx = Arc::clone(&too_big);
    let input = stream
        .take_while(move |message| {
            if let Err(err) = message {
                // tungstenite's capacity error, as axum wraps it: "Message too long: …".
                too_big_tx.store(err.to_string().contains("too long"), Ordering::Relaxed);
            }
            std::future::ready(message.is_ok())
        })
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(message @ (WsFrame::Text(_) | WsFrame::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let initialised = Arc::new(AtomicBool::new(false));
    let initialised_tx = Arc::clone(&initialised);
    let ctx = state.ctx.clone();
    let rejected = Arc::new(AtomicBool::new(false));
    let rejected_tx = Arc::clone(&rejected);
    // When the access token of the connection expires: the socket then closes with 4403.
    let session_expiry: Arc<OnceLock<DateTime<Utc>>> = Arc::default();
    let session_expiry_tx = Arc::clone(&session_expiry);
    let on_init = move |payload: serde_json::Value| async move {
        initialised_tx.store(true, Ordering::Relaxed);
        let data = connection_data(&ctx, &payload, client).await;
        rejected_tx.store(data.is_err(), Ordering::Relaxed);
        data.map(|(data, expiry)| {
            if let Some(expiry) = expiry {
                let _ = session_expiry_tx.set(expiry);
            }
            data
        })
    };
    let connection = async_graphql::http::WebSocket::new(state.engine.clone(), input, protocol)
        .on_connection_init(on_init);
    futures_util::pin_mut!(connection);
    let mut stopping = state.stopping.subscribe();
    let stop_signal = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    futures_util::pin_mut!(stop_signal);
    let init_deadline = tokio::time::sleep(WS_INIT_TIMEOUT);
    futures_util::pin_mut!(init_deadline);
    let session_end = tokio::time::sleep(WS_INIT_TIMEOUT);
    futures_util::pin_mut!(session_end);
    let mut session_armed = false;
    let close = loop {
        let awaiting_init = !initialised.load(Ordering::Relaxed);
        if !session_armed && let Some(expiry) = session_expiry.get() {
            let left = (*expiry - Utc::now()).to_std().unwrap_or_default();
            session_end
                .as_mut()
                .reset(tokio::time::Instant::now() + left);
            session_armed = true;
        }
        tokio::select! {
            message = connection.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(WsFrame::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // A refused `connection_init` is 4403 Forbidden in graphql-transport-ws.
                Some(WsMessage::Close(_, reason)) if rejected.load(Ordering::Relaxed) => {
                    break Some((4403, reason));
                }
                Some(WsMessage::Close(code, reason)) => break Some((code, reason)),
                None if too_big.load(Ordering::Relaxed) => {
                    break Some((1009, "message too big".to_owned()));
                }
                None => break None,
            },
            () = &mut init_deadline, if awaiting_init => {
                break Some((4408, "Connection initialisation timeout".to_owned()));
            }
            // As for a refused token: graphql-ws clients connect again, with fresh
            // `connectionParams` when those are a function.
            () = &mut session_end, if session_armed => {
                break Some((4403, ws_close_reason(TokenProblem::Expired)));
            }
            () = &mut stop_signal => {
                break Some((1001, "server shutting down".to_owned()));
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(WsFrame::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
}

/// The viewer named in a `connection_init` payload (`Authorization`, `authorization` or
/// `authToken`), with per-connection loaders, and when its token expires. A credential that
/// is sent but expired or invalid refuses the connection: it closes with 4403 and the reason
/// first in the close reason (`EXPIRED: …`, `INVALID: …`).
async fn connection_data(
    ctx: &Ctx,
    payload: &serde_json::Value,
    client: ClientIp,
) -> async_graphql::Result<(async_graphql::Data, Option<DateTime<Utc>>)> {
    let credential = ["Authorization", "authorization", "authToken"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(serde_json::Value::as_str))
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let mut data = async_graphql::Data::default();
    let mut expiry = None;
    let viewer = match credential {
        None => Viewer::Anonymous,
        Some(value) => {
            let token = auth::bearer_token(value).unwrap_or(value);
            match accounts::session_for_token(ctx, token).await {
                Ok((viewer, expires_at)) => {
                    expiry = Some(expires_at);
                    viewer
                }
                Err(AppError::BadToken(problem)) => {
                    return Err(async_graphql::Error::new(ws_close_reason(problem)));
                }
                Err(err) => return Err(err.extend()),
            }
        }
    };
    // A connection lives long: its loaders batch but do not cache.
    let loader = loaders::request_loader(ctx.clone(), viewer.clone());
    loader.enable_all_cache(false);
    data.insert(loader);
    data.insert(viewer);
    data.insert(client);
    Ok((data, expiry))
}

/// The close reason of a socket whose token is refused: the reason code, then a sentence.
fn ws_close_reason(problem: TokenProblem) -> String {
    format!("{}: {}", problem.as_str(), problem.message())
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// This process's metrics, in the OpenMetrics text format Prometheus scrapes.
async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.ctx.metrics.encode(),
    )
        .into_response()
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> Response {
    let ping = service::database_reachable(&state.ctx).await;
    match ping {
        Ok(_) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database is not reachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unreachable" })),
            )
                .into_response()
        }
    }
}
