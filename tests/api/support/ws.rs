//! `WsClient`: a GraphQL-over-WebSocket client (tokio-tungstenite) for `/graphql/ws`, speaking
//! `graphql-transport-ws` or the legacy `graphql-ws`, with one message queue per operation id
//! and `wait_until_live` to know when a subscription is listening.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value as Json, json};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{TestApp, create_link};

/// How long a test waits for a message it expects.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The operation id `wait_until_live` subscribes with.
const PROBE_ID: &str = "probe";

/// The two subprotocols the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` npm package): subscribe/next/error/complete.
    TransportWs,
    /// The legacy `graphql-ws` (subscriptions-transport-ws): start/data/error/complete/stop.
    LegacyGraphqlWs,
}

impl Protocol {
    pub const ALL: [Protocol; 2] = [Protocol::TransportWs, Protocol::LegacyGraphqlWs];

    /// The `Sec-WebSocket-Protocol` value.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyGraphqlWs => "graphql-ws",
        }
    }

    fn subscribe_type(self) -> &'static str {
        match self {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyGraphqlWs => "start",
        }
    }

    fn stop_type(self) -> &'static str {
        match self {
            Protocol::TransportWs => "complete",
            Protocol::LegacyGraphqlWs => "stop",
        }
    }

    fn next_type(self) -> &'static str {
        match self {
            Protocol::TransportWs => "next",
            Protocol::LegacyGraphqlWs => "data",
        }
    }
}

/// What the server sent: a protocol message, or the end of the connection (with the close
/// frame's code and reason when there was one).
#[derive(Debug)]
pub enum Received {
    Message(Json),
    Closed(Option<(u16, String)>),
}

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
    /// Messages read while waiting for another operation id, oldest first.
    pending: VecDeque<Json>,
}

impl WsClient {
    /// Opens `/graphql/ws` with `protocol` and sends nothing; checks the server agreed to it.
    pub async fn connect(app: &TestApp, protocol: Protocol) -> WsClient {
        Self::connect_to(&app.address, protocol).await
    }

    /// [`WsClient::connect`] to the server at `address` (e.g. a `serve_binary` process).
    pub async fn connect_to(address: &str, protocol: Protocol) -> WsClient {
        let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
        let mut request = url
            .as_str()
            .into_client_request()
            .expect("a WebSocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(protocol.name()),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .unwrap_or_else(|error| panic!("failed to open {url} ({}): {error}", protocol.name()));
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|value| value.to_str().ok()),
            Some(protocol.name()),
            "the server chose another subprotocol"
        );
        WsClient {
            socket,
            protocol,
            pending: VecDeque::new(),
        }
    }

    /// Connects and initialises with `{"Authorization": "Bearer <token>"}`; panics unless acked.
    pub async fn connect_as(app: &TestApp, protocol: Protocol, token: &str) -> WsClient {
        Self::connect_as_to(&app.address, protocol, token).await
    }

    /// [`WsClient::connect_as`] to the server at `address`.
    pub async fn connect_as_to(address: &str, protocol: Protocol, token: &str) -> WsClient {
        let mut client = Self::connect_to(address, protocol).await;
        client
            .init(Some(json!({ "Authorization": format!("Bearer {token}") })))
            .await;
        client
    }

    /// Sends `connection_init` (with `payload` if given) and waits for `connection_ack`.
    pub async fn init(&mut self, payload: Option<Json>) {
        self.send_init(payload).await;
        match self.receive(EVENT_TIMEOUT).await {
            Received::Message(message) if message["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Sends `connection_init` without waiting for the answer.
    pub async fn send_init(&mut self, payload: Option<Json>) {
        let mut message = json!({ "type": "connection_init" });
        if let Some(payload) = payload {
            message["payload"] = payload;
        }
        self.send(message).await;
    }

    /// Sends `message`; the secrets in it are registered with the log guard.
    pub async fn send(&mut self, message: Json) {
        super::log_guard::scan(&message);
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap_or_else(|error| panic!("failed to send {message}: {error}"));
    }

    /// Starts operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Json) {
        let message = json!({
            "id": id,
            "type": self.protocol.subscribe_type(),
            "payload": { "query": query, "variables": variables },
        });
        self.send(message).await;
    }

    /// Stops operation `id`.
    pub async fn stop(&mut self, id: &str) {
        let message = json!({ "id": id, "type": self.protocol.stop_type() });
        self.send(message).await;
    }

    /// The next protocol message or the end of the connection, within `timeout`; answers
    /// protocol pings and skips keep-alives (messages already queued per operation are not read).
    pub async fn receive(&mut self, timeout: Duration) -> Received {
        self.receive_until(Instant::now() + timeout)
            .await
            .unwrap_or_else(|| panic!("nothing arrived within {timeout:?}"))
    }

    /// Like `receive`, but `None` when nothing arrives before `deadline`.
    async fn receive_until(&mut self, deadline: Instant) -> Option<Received> {
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    let close =
                        frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
                    return Some(Received::Closed(close));
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return Some(Received::Closed(None)),
            };
            let message: Json = serde_json::from_str(text.as_str())
                .unwrap_or_else(|error| panic!("not JSON ({error}): {text}"));
            super::log_guard::scan(&message);
            match message["type"].as_str() {
                Some("ka" | "pong") => {}
                Some("ping") => self.send(json!({ "type": "pong" })).await,
                _ => return Some(Received::Message(message)),
            }
        }
    }

    /// The next message for operation `id` within `timeout` (others are kept for later, those
    /// of a stopped probe dropped); `None` when nothing came for it in time.
    pub async fn try_message_for(&mut self, id: &str, timeout: Duration) -> Option<Json> {
        if let Some(index) = self.pending.iter().position(|message| message["id"] == id) {
            return self.pending.remove(index);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.receive_until(deadline).await? {
                Received::Message(message) if message["id"] == id => return Some(message),
                Received::Message(message) if message["id"] == PROBE_ID => {}
                Received::Message(message) => self.pending.push_back(message),
                Received::Closed(close) => {
                    panic!("the connection closed ({close:?}) while waiting for {id}")
                }
            }
        }
    }

    /// The next message for operation `id`; panics after `EVENT_TIMEOUT`.
    pub async fn message_for(&mut self, id: &str) -> Json {
        self.try_message_for(id, EVENT_TIMEOUT)
            .await
            .unwrap_or_else(|| panic!("no message for operation {id} within {EVENT_TIMEOUT:?}"))
    }

    /// The `data` of the next result of operation `id`; panics on errors or completion.
    pub async fn next_data(&mut self, id: &str) -> Json {
        let message = self.message_for(id).await;
        assert_eq!(
            message["type"],
            self.protocol.next_type(),
            "expected a result for {id}, got {message:#}"
        );
        assert!(
            message["payload"]
                .get("errors")
                .is_none_or(|errors| errors.is_null()),
            "unexpected errors for {id}: {message:#}"
        );
        message["payload"]["data"].clone()
    }

    /// The errors that ended operation `id`: from an `error` message, or from a result with
    /// `errors` followed by `complete`.
    pub async fn errors(&mut self, id: &str) -> Json {
        let message = self.message_for(id).await;
        match message["type"].as_str() {
            Some("error") => message["payload"].clone(),
            Some(kind) if kind == self.protocol.next_type() => {
                let errors = message["payload"]["errors"].clone();
                assert!(
                    errors.is_array(),
                    "expected errors for {id}, got {message:#}"
                );
                let completed = self.message_for(id).await;
                assert_eq!(
                    completed["type"], "complete",
                    "an operation that failed should complete, got {completed:#}"
                );
                errors
            }
            _ => panic!("expected errors for {id}, got {message:#}"),
        }
    }

    /// Returns once the subscriptions this client started on `org`'s feeds are listening.
    ///
    /// The protocols acknowledge no subscription, so this subscribes to `invitationEvents` of
    /// `probe_org` (an org the client's user administers, used for nothing else) and creates
    /// links there until one is reported. The probe starts after the subscriptions under test
    /// and authorizes the same way on the same connection, so once it hears an event (a whole
    /// mutation later) they are listening too. The probe is stopped before returning.
    pub async fn wait_until_live(&mut self, app: &TestApp, admin_token: &str, probe_org: &str) {
        self.subscribe(
            PROBE_ID,
            "subscription($org: String!) { invitationEvents(org: { name: $org }) { kind } }",
            json!({ "org": probe_org }),
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            create_link(app, admin_token, probe_org, None).await;
            if let Some(message) = self
                .try_message_for(PROBE_ID, Duration::from_millis(250))
                .await
            {
                assert_eq!(
                    message["payload"]["data"]["invitationEvents"]["kind"], "CREATED",
                    "unexpected probe message {message:#}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the probe subscription on {probe_org} heard nothing within 10 s"
            );
        }
        self.stop(PROBE_ID).await;
        self.pending.retain(|message| message["id"] != PROBE_ID);
    }

    /// Panics if any message for `id` arrives within `quiet`.
    pub async fn assert_nothing_for(&mut self, id: &str, quiet: Duration) {
        if let Some(message) = self.try_message_for(id, quiet).await {
            panic!("expected nothing more for {id}, got {message:#}");
        }
    }

    /// Waits until the server ends the connection; returns the close code and reason, and
    /// the messages that came before.
    pub async fn closed_within(&mut self, timeout: Duration) -> (Option<(u16, String)>, Vec<Json>) {
        let deadline = Instant::now() + timeout;
        let mut before: Vec<Json> = self.pending.drain(..).collect();
        loop {
            match self.receive_until(deadline).await {
                None => {
                    panic!("the connection was still open after {timeout:?}; received {before:#?}")
                }
                Some(Received::Message(message)) => before.push(message),
                Some(Received::Closed(close)) => return (close, before),
            }
        }
    }

    /// The `payload` of the next message, as the server wrote it (for byte-for-byte checks);
    /// keep-alives are skipped.
    pub async fn next_payload_text(&mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("nothing arrived within {timeout:?}"));
            let Some(Ok(Message::Text(text))) = frame else {
                panic!("expected a text message, got {frame:?}");
            };
            let text = text.as_str();
            if text.contains(r#""type":"ka""#) {
                continue;
            }
            let start = text
                .find(r#""payload":"#)
                .unwrap_or_else(|| panic!("no payload in {text}"))
                + r#""payload":"#.len();
            let payload = text[start..]
                .strip_suffix('}')
                .unwrap_or_else(|| panic!("the payload is not last in {text}"));
            return payload.to_owned();
        }
    }
}
