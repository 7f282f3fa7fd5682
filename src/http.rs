//! The HTTP surface: `/graphql` (POST, GET for queries, GraphiQL for browsers), `/healthz`,
//! `/readyz`. The viewer and the per-request loaders enter the schema here, once per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::ws::{CloseFrame, Message as WsFrame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use sea_orm::ConnectionTrait;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::auth::{self, Viewer};
use crate::error::AppError;
use crate::graphql::subscriptions::SessionExpiry;
use crate::graphql::{AppSchema, loaders};
use crate::service::accounts;
use async_graphql::ErrorExtensions;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const BODY_LIMIT_BYTES: usize = 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const WS_MESSAGE_LIMIT_BYTES: usize = 64 * 1024;
const WS_INIT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
struct HttpState {
    app: AppState,
    schema: AppSchema,
}

pub fn router(app: AppState, schema: AppSchema) -> Router {
    let state = HttpState { app, schema };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The caller named by the `Authorization` header; invalid tokens make an anonymous caller.
async fn viewer_from(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Viewer, async_graphql::Error> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(auth::bearer_token)
    else {
        return Ok(Viewer::Anonymous);
    };
    accounts::viewer_for_token(state, token)
        .await
        .map_err(|err| err.extend())
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let viewer = match viewer_from(&state.app, headers).await {
        Ok(viewer) => viewer,
        Err(err) => {
            let response = async_graphql::Response::from_errors(vec![
                err.into_server_error(async_graphql::Pos::default()),
            ]);
            return GraphQLResponse::from(response).into_response();
        }
    };
    let loader = loaders::request_loader(state.app.clone(), viewer.clone());
    let request = request.data(viewer).data(loader);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

async fn graphql_post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    execute(&state, &headers, request.into_inner()).await
}

#[derive(serde::Deserialize)]
struct GetParams {
    query: Option<String>,
}

/// GraphiQL for browsers; otherwise a query sent by GET. Mutations need POST.
async fn graphql_get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
    request: GraphQLRequest,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if params.query.is_none() && wants_html {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .title("Doorman GraphiQL")
                .finish(),
        )
        .into_response();
    }
    let request = request.into_inner();
    if is_mutation(&request) {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, Method::POST.as_str())],
            "mutations must be sent with POST",
        )
            .into_response();
    }
    execute(&state, &headers, request).await
}

/// Whether the operation the request would run is a mutation (parse errors are left to the
/// executor, which reports them properly).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let mut operations = document.operations.iter();
    match &request.operation_name {
        Some(name) => operations
            .find(|(op_name, _)| op_name.is_some_and(|n| n.as_str() == name))
            .is_some_and(|(_, op)| op.node.ty == OperationType::Mutation),
        None => operations.any(|(_, op)| op.node.ty == OperationType::Mutation),
    }
}

/// Subscriptions over WebSocket, `graphql-transport-ws` or the legacy `graphql-ws`.
async fn graphql_ws(
    State(state): State<HttpState>,
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
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(WS_MESSAGE_LIMIT_BYTES)
        .on_upgrade(move |socket| {
            let connections = state.app.websockets.clone();
            connections.track_future(serve_ws(state, socket, protocol))
        })
}

/// Runs one subscription connection: authenticates from `connection_init`, closes with 4408
/// when it does not come in time, and with 1001 when the server shuts down.
async fn serve_ws(state: HttpState, socket: WebSocket, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| std::future::ready(message.is_ok()))
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(message @ (WsFrame::Text(_) | WsFrame::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let initialised = Arc::new(AtomicBool::new(false));
    let initialised_tx = Arc::clone(&initialised);
    let app = state.app.clone();
    let rejected = Arc::new(AtomicBool::new(false));
    let rejected_tx = Arc::clone(&rejected);
    let on_init = move |payload: serde_json::Value| async move {
        initialised_tx.store(true, Ordering::Relaxed);
        let data = connection_data(&app, &payload).await;
        rejected_tx.store(data.is_err(), Ordering::Relaxed);
        data
    };
    let connection = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
        .on_connection_init(on_init);
    futures_util::pin_mut!(connection);
    let mut stopping = state.app.stopping.subscribe();
    let stop_signal = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    futures_util::pin_mut!(stop_signal);
    let init_deadline = tokio::time::sleep(WS_INIT_TIMEOUT);
    futures_util::pin_mut!(init_deadline);
    let close = loop {
        let awaiting_init = !initialised.load(Ordering::Relaxed);
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
                None => break None,
            },
            () = &mut init_deadline, if awaiting_init => {
                break Some((4408, "Connection initialisation timeout".to_owned()));
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
/// `authToken`), with per-connection loaders and the token's expiry.
async fn connection_data(
    app: &AppState,
    payload: &serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let credential = ["Authorization", "authorization", "authToken"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(serde_json::Value::as_str));
    let mut data = async_graphql::Data::default();
    let viewer = match credential {
        None => Viewer::Anonymous,
        Some(value) => {
            let token = auth::bearer_token(value).unwrap_or(value.trim());
            match accounts::session_for_token(app, token)
                .await
                .map_err(|err| err.extend())?
            {
                Some((viewer, expires_at)) => {
                    data.insert(SessionExpiry(expires_at));
                    viewer
                }
                None => {
                    return Err(AppError::unauthenticated().extend());
                }
            }
        }
    };
    // A connection lives long: its loaders batch but do not cache.
    let loader = loaders::request_loader(app.clone(), viewer.clone());
    loader.enable_all_cache(false);
    data.insert(loader);
    data.insert(viewer);
    Ok(data)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> Response {
    let ping = state.app.db.execute_unprepared("SELECT 1").await;
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
