//! Graceful shutdown: in-flight requests finish, subscriptions get a close frame, nothing new
//! is accepted. Stopping is triggered the way SIGTERM does it, through the app's stop signal.

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection to `url`, initialised with `payload` and acknowledged.
async fn acknowledged_socket(url: String, payload: serde_json::Value) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    socket
}

/// The code of the close frame the server sends within `seconds`.
async fn close_code(socket: &mut Socket, seconds: u64) -> Option<CloseCode> {
    let frame = tokio::time::timeout(std::time::Duration::from_secs(seconds), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame in time");
    frame.map(|frame| frame.code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_when_shutdown_starts_completes() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    // Hold the write lock so the invitation request is still running when shutdown starts.
    let blocker = app.db().begin().await.unwrap();
    let lock = match blocker.get_database_backend() {
        DbBackend::Postgres => "LOCK TABLE invitations IN EXCLUSIVE MODE",
        _ => "INSERT INTO server_settings (key, value) VALUES ('shutdown-test', 'x')",
    };
    blocker.execute_unprepared(lock).await.unwrap();
    let in_flight = {
        let address = app.address.clone();
        let token = alice.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation { createOrgInvites(input: { org: { name: \"acme\" }, emails: [\"bob@example.com\"] }) { invitations { email } } }"
                }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !in_flight.is_finished(),
        "the request should be waiting for the lock"
    );

    app.stop();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    blocker.rollback().await.unwrap();
    let response = in_flight.await.unwrap();

    assert_eq!(
        data(&response)["createOrgInvites"]["invitations"],
        json!([{ "email": "bob@example.com" }])
    );
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert!(refused.is_err(), "new requests are refused after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_subscriptions_receive_a_going_away_close_frame_on_shutdown() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut socket =
        acknowledged_socket(url, json!({ "Authorization": format!("Bearer {alice}") })).await;
    socket
        .send(Message::text(
            json!({
                "id": "1",
                "type": "subscribe",
                "payload": { "query": "subscription { invitationAccepted(org: { name: \"acme\" }) { acceptedAt } }" }
            })
            .to_string(),
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    app.stop();

    assert_eq!(close_code(&mut socket, 5).await, Some(CloseCode::Away));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_cleanly_on_sigterm_after_closing_websockets_with_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve_binary(dir.path(), &[("DOORMAN_LOG", "warn")]).await;
    let mut socket = acknowledged_socket(
        format!("{}/graphql/ws", base.replace("http://", "ws://")),
        json!({}),
    )
    .await;

    let pid = server.id().expect("the server is running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    assert_eq!(close_code(&mut socket, 10).await, Some(CloseCode::Away));
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), server.wait())
        .await
        .expect("the server exits within the grace period")
        .unwrap();
    assert!(status.success(), "exit status {status}");
}
