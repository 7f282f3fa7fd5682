//! HTTP surface: GraphiQL for browsers, queries over GET, mutations refused over GET, probes.

use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value as Json, json};

use crate::support::*;

#[tokio::test]
async fn a_browser_opening_graphql_gets_graphiql_wired_to_the_endpoints() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.unwrap();
    assert!(page.contains("graphiql"), "no GraphiQL in the page");
    assert!(
        page.contains("/graphql/ws"),
        "subscription endpoint not wired"
    );
}

#[tokio::test]
async fn a_query_sent_by_get_is_answered() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ serverInfo { registrationMode } }")])
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Json = response.json().await.unwrap();
    assert_eq!(
        body["data"]["serverInfo"],
        json!({ "registrationMode": "OPEN" })
    );
}

#[tokio::test]
async fn a_mutation_sent_by_get_is_refused_with_405_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let mutation = r#"mutation { register(input: { email: "a@example.com", username: "a", password: "long enough pw" }) { accessToken } }"#;

    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()[ALLOW], "POST");
    assert_eq!(app.rows("users").await, 0);
}

#[tokio::test]
async fn health_and_readiness_probes_answer_ok() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        let response = app
            .http()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "trace-me-123")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    let generated = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    assert!(!generated.headers()["x-request-id"].is_empty());
}
