//! `/graphql/ws`: subscriptions (and any operation) over WebSocket, `graphql-transport-ws` or
//! the legacy `graphql-ws`. The caller is named once, in `connection_init`; the connection
//! closes with 4408 when that does not come in time, with 4403 when its token is refused or
//! expires, with 1009 for a message over 64 KiB, and with 1001 when the server shuts down.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::ErrorExtensions;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message as WsFrame, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};

use super::client_ip;
use super::state::HttpState;
use crate::auth::{self, TokenProblem, Viewer};
use crate::error::AppError;
use crate::graphql::loaders;
use crate::service::rate_limits::ClientIp;
use crate::service::{Ctx, accounts};
use crate::telemetry::GaugeGuard;

const WS_MESSAGE_LIMIT_BYTES: usize = 64 * 1024;
const WS_READ_BUFFER_BYTES: usize = 1024;
const WS_INIT_TIMEOUT: Duration = Duration::from_secs(3);

/// Subscriptions over WebSocket, `graphql-transport-ws` or the legacy `graphql-ws`.
pub(super) async fn graphql_ws(
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
    let client = client_ip::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
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
