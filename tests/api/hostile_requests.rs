//! Requests a browser could be tricked into sending, and requests too big to read: CSRF
//! prevention, CORS, the 1 MiB body limit and the 64 KiB WebSocket message limit.

use std::time::Duration;

use reqwest::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD, CONTENT_TYPE, ORIGIN,
};
use serde_json::{Value as Json, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const REGISTER_MALLORY: &str = r#"{"query":"mutation { register(input: { username: \"mallory\", email: \"mallory@example.com\", password: \"correct horse battery\" }) { user { id } } }"}"#;

async fn post_raw(app: &TestApp, content_type: Option<&str>, body: &str) -> reqwest::Response {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn mutations_a_browser_could_send_cross_site_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;

    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let response = post_raw(&app, content_type, REGISTER_MALLORY).await;
        assert_eq!(response.status(), 400, "{content_type:?}");
        let body: Json = response.json().await.unwrap();
        assert_error_code(&body, "BAD_USER_INPUT");
        assert!(
            str_of(&body["errors"][0]["message"]).contains("cross-site request forgery"),
            "{body:#}"
        );
    }
    let by_get = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { register(input: { username: \"mallory\", email: \"mallory@example.com\", password: \"correct horse battery\" }) { user { id } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(by_get.status(), 405);

    assert_eq!(app.rows("users").await, 0);
    let json = post_raw(&app, Some("application/json"), REGISTER_MALLORY).await;
    assert_eq!(json.status(), 200);
    data(&json.json().await.unwrap());
    assert_eq!(app.rows("users").await, 1);
}

#[tokio::test]
async fn without_configured_origins_no_cross_origin_page_may_read_answers() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "query": "{ serverInfo { version } }" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get(ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn a_configured_origin_passes_the_preflight_and_others_do_not() {
    let app = TestApp::spawn_with(|settings| {
        settings.cors_origins = vec!["https://app.example.com".parse().unwrap()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http()
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header(ORIGIN, origin)
            .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };

    let allowed = preflight("https://app.example.com").await.unwrap();
    let refused = preflight("https://evil.example").await.unwrap();

    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert!(refused.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn a_body_of_1_mib_is_read_and_one_byte_more_is_413() {
    let app = TestApp::spawn().await;
    const LIMIT: usize = 1024 * 1024;
    let body = |size: usize| {
        let skeleton = json!({ "query": "{ serverInfo { version } }", "variables": { "pad": "" } })
            .to_string();
        let padded = json!({
            "query": "{ serverInfo { version } }",
            "variables": { "pad": "x".repeat(size - skeleton.len()) }
        })
        .to_string();
        assert_eq!(padded.len(), size);
        padded
    };

    let at_limit = post_raw(&app, Some("application/json"), &body(LIMIT)).await;
    let over = post_raw(&app, Some("application/json"), &body(LIMIT + 1)).await;

    assert_eq!(at_limit.status(), 200);
    assert!(data(&at_limit.json().await.unwrap())["serverInfo"]["version"].is_string());
    assert_eq!(over.status(), 413);
    assert_error_code(&over.json().await.unwrap(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_websocket_message_over_64_kib_closes_the_connection() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let mut client = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;

    client
        .send(json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": format!("subscription {{ invitationEvents(org: {{ name: \"{}\" }}) {{ at }} }}", "x".repeat(65 * 1024)) }
        }))
        .await;

    let (close, _) = client.closed_within(Duration::from_secs(5)).await;
    assert_eq!(close.map(|(code, _)| code), Some(1009), "message too big");
}

#[tokio::test]
async fn a_request_over_the_timeout_is_answered_408_and_writes_nothing() {
    let app = TestApp::spawn_with(|settings| settings.request_timeout_seconds = 1).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (response, waited) = app.invite_while_writes_are_held(&alice).await;

    assert_eq!(response.status(), 408);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(app.rows("invitations").await, 0);
    let fast = app
        .graphql("{ serverInfo { version } }", json!({}), None)
        .await;
    assert!(data(&fast)["serverInfo"]["version"].is_string());
}
