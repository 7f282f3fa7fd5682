//! Automatic persisted queries (Apollo's APQ): hash-only requests, registration with the query,
//! over POST and GET, and a persisted mutation still refused over GET.

use doorman::http::persisted_queries::sha256_hex;
use reqwest::header::{ACCEPT, ALLOW};
use serde_json::{Value as Json, json};

use crate::support::*;

const SERVER_INFO: &str = "query ServerInfo { serverInfo { registrationMode } }";

fn persisted(query: &str) -> Json {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query) } })
}

/// POSTs `body`; returns the status and the response body.
async fn post(app: &TestApp, body: Json, token: Option<&str>) -> (u16, Json) {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header(
            ACCEPT,
            "application/graphql-response+json, application/json;q=0.9",
        )
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A hash-only GET, as Apollo Client sends it with `useGETForHashedQueries`.
async fn get_hashed(app: &TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", persisted(query).to_string())])
        .header(
            ACCEPT,
            "application/graphql-response+json, application/json;q=0.9",
        );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_unknown_hash_answers_persisted_query_not_found_with_200() {
    let app = TestApp::spawn().await;

    let (status, body) = post(&app, json!({ "extensions": persisted(SERVER_INFO) }), None).await;

    assert_eq!(status, 200);
    assert_error_code(&body, "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    let response = get_hashed(&app, SERVER_INFO, None).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-cache")
    );
    let body: Json = response.json().await.unwrap();
    assert_error_code(&body, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn a_query_sent_with_its_hash_is_registered_and_then_runs_from_the_hash_alone() {
    let app = TestApp::spawn().await;
    let expected = json!({ "serverInfo": { "registrationMode": "OPEN" } });

    let (status, body) = post(
        &app,
        json!({ "query": SERVER_INFO, "extensions": persisted(SERVER_INFO) }),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(data(&body), &expected);

    let (status, body) = post(
        &app,
        json!({ "operationName": "ServerInfo", "extensions": persisted(SERVER_INFO) }),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(data(&body), &expected);

    let response = get_hashed(&app, SERVER_INFO, None).await;
    assert_eq!(response.status(), 200);
    let body: Json = response.json().await.unwrap();
    assert_eq!(data(&body), &expected);
}

#[tokio::test]
async fn a_persisted_query_runs_as_the_caller_who_sends_the_hash() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let (bob, _) = register(&app, "bob").await;
    let me = "{ me { username } }";

    let (_, body) = post(
        &app,
        json!({ "query": me, "extensions": persisted(me) }),
        Some(&alice),
    )
    .await;
    assert_eq!(data(&body)["me"]["username"], "alice");

    let response = get_hashed(&app, me, Some(&bob)).await;
    let body: Json = response.json().await.unwrap();
    assert_eq!(data(&body)["me"]["username"], "bob");
}

#[tokio::test]
async fn a_hash_that_does_not_match_the_query_is_refused() {
    let app = TestApp::spawn().await;

    let (status, body) = post(
        &app,
        json!({ "query": SERVER_INFO, "extensions": persisted("{ me { id } }") }),
        None,
    )
    .await;

    assert_eq!(status, 400);
    assert_error_code(&body, "BAD_USER_INPUT");
    // Nothing was registered under either hash.
    for query in [SERVER_INFO, "{ me { id } }"] {
        let (_, body) = post(&app, json!({ "extensions": persisted(query) }), None).await;
        assert_error_code(&body, "PERSISTED_QUERY_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_query_that_fails_validation_is_not_registered() {
    let app = TestApp::spawn().await;
    let invalid = "{ nosuch }";

    let (status, body) = post(
        &app,
        json!({ "query": invalid, "extensions": persisted(invalid) }),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_error_code(&body, "GRAPHQL_VALIDATION_FAILED");

    let (_, body) = post(&app, json!({ "extensions": persisted(invalid) }), None).await;
    assert_error_code(&body, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn a_persisted_mutation_sent_by_get_is_refused_with_405_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;
    let mutation = r#"mutation { createOrganization(input: { name: "acme" }) { id } }"#;
    let (status, body) = post(
        &app,
        json!({ "query": mutation, "extensions": persisted(mutation) }),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200);
    data(&body);
    assert_eq!(app.rows("organizations").await, 1);

    let response = get_hashed(&app, mutation, Some(&token)).await;

    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()[ALLOW], "POST");
    let body: Json = response.json().await.unwrap();
    assert_error_code(&body, "BAD_USER_INPUT");
    assert_eq!(app.rows("organizations").await, 1);
}

/// Queries registered on one instance are known to the others through Redis.
mod needs_redis {
    use super::*;

    #[tokio::test]
    async fn a_query_registered_on_one_instance_runs_by_hash_on_another() {
        let url = test_redis_url().await;
        let prefix = fresh_redis_prefix();
        let sharing = |url: String, prefix: String| {
            move |settings: &mut doorman::config::Settings| {
                settings.cluster.redis_url = Some(url);
                settings.cluster.redis_key_prefix = prefix;
            }
        };
        let a = TestApp::spawn_with(sharing(url.clone(), prefix.clone())).await;
        let b = a.sibling_with(sharing(url.clone(), prefix.clone())).await;
        let alone = TestApp::spawn().await;

        let (_, registered) = post(
            &a,
            json!({ "query": SERVER_INFO, "extensions": persisted(SERVER_INFO) }),
            None,
        )
        .await;
        assert_eq!(data(&registered)["serverInfo"]["registrationMode"], "OPEN");

        let (status, by_hash) =
            post(&b, json!({ "extensions": persisted(SERVER_INFO) }), None).await;
        assert_eq!(status, 200);
        assert_eq!(data(&by_hash)["serverInfo"]["registrationMode"], "OPEN");
        // An instance without Redis never heard of it.
        let (_, unknown) = post(
            &alone,
            json!({ "extensions": persisted(SERVER_INFO) }),
            None,
        )
        .await;
        assert_error_code(&unknown, "PERSISTED_QUERY_NOT_FOUND");

        // A text in Redis that does not hash to its key is not run.
        let other = "query Other { serverInfo { version } }";
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let key = format!("{prefix}:apq:{}", sha256_hex(other));
        let () = redis::cmd("SET")
            .arg(&key)
            .arg("mutation { logout }")
            .query_async(&mut connection)
            .await
            .unwrap();
        let (_, tampered) = post(&b, json!({ "extensions": persisted(other) }), None).await;
        assert_error_code(&tampered, "PERSISTED_QUERY_NOT_FOUND");
    }
}
