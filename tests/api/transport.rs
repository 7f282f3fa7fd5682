//! HTTP surface: GraphiQL for browsers, queries over GET, mutations refused over GET, probes.

use reqwest::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
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
    let policy = response_policy(&app).await;
    assert!(policy.contains("script-src 'self'"), "{policy}");

    let urls = [r#" src=""#, r#" href=""#]
        .into_iter()
        .flat_map(|attribute| attribute_values(&page, attribute))
        .filter(|url| !url.starts_with("data:"))
        .collect::<Vec<_>>();
    assert!(
        urls.iter().all(|url| url.starts_with("/graphiql/")),
        "the page loads from elsewhere: {urls:?}"
    );
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(urls.iter().any(|url| url.ends_with(".js")), "{urls:?}");
    assert!(urls.iter().any(|url| url.ends_with(".css")), "{urls:?}");
    for url in urls {
        let response = app
            .http()
            .get(format!("{}{url}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap();
        let expected = if url.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(content_type.starts_with(expected), "{url}: {content_type}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers().contains_key(CACHE_CONTROL), "{url}");
        assert!(
            !response.bytes().await.unwrap().is_empty(),
            "{url} is empty"
        );
    }
}

#[tokio::test]
async fn an_unknown_graphiql_file_is_not_found() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .get(format!("{}/graphiql/nosuch.js", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
}

/// The `content-security-policy` of the GraphiQL page.
async fn response_policy(app: &TestApp) -> String {
    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every value of `attribute` (written with its opening quote, as ` src="`) in `html`.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    html.split(attribute)
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(value, _)| value.to_owned()))
        .collect()
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

// ---- GraphQL over HTTP: Accept, status codes, request shapes, batches ----

/// POSTs a raw body to /graphql with the given headers; returns status, content type and body.
async fn post_raw(app: &TestApp, headers: &[(&str, &str)], body: &str) -> (u16, String, Json) {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("not JSON (HTTP {status}, {content_type}): {text}"));
    (status, content_type, body)
}

const JSON_BODY: (&str, &str) = ("content-type", "application/json");
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn accepting_graphql_response_json_answers_in_that_type() {
    let app = TestApp::spawn().await;
    let query = r#"{"query":"{ serverInfo { registrationMode } }"}"#;

    let (status, content_type, body) = post_raw(
        &app,
        &[
            JSON_BODY,
            (
                "accept",
                "application/graphql-response+json, application/json;q=0.9",
            ),
        ],
        query,
    )
    .await;

    assert_eq!(status, 200);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
    assert_eq!(data(&body)["serverInfo"]["registrationMode"], "OPEN");
    for accept in [None, Some("*/*"), Some("application/json")] {
        let mut headers = vec![JSON_BODY];
        headers.extend(accept.map(|accept| ("accept", accept)));
        let (status, content_type, _) = post_raw(&app, &headers, query).await;
        assert_eq!(status, 200, "{accept:?}");
        assert!(
            content_type.starts_with("application/json"),
            "{accept:?}: {content_type}"
        );
    }
}

#[tokio::test]
async fn a_parse_error_is_400_with_graphql_response_json_and_200_with_json() {
    let app = TestApp::spawn().await;

    let (status, content_type, body) = post_raw(
        &app,
        &[JSON_BODY, ("accept", GRAPHQL_RESPONSE)],
        r#"{"query":"{"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
    assert_error_code(&body, "GRAPHQL_PARSE_FAILED");
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );

    let (status, content_type, body) = post_raw(
        &app,
        &[JSON_BODY, ("accept", "application/json")],
        r#"{"query":"{"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_error_code(&body, "GRAPHQL_PARSE_FAILED");
}

#[tokio::test]
async fn a_validation_error_is_400_with_graphql_response_json_and_an_execution_error_is_200() {
    let app = TestApp::spawn().await;
    let accept = ("accept", GRAPHQL_RESPONSE);

    let (status, _, body) = post_raw(&app, &[JSON_BODY, accept], r#"{"query":"{ nosuch }"}"#).await;
    assert_eq!(status, 400);
    assert_error_code(&body, "GRAPHQL_VALIDATION_FAILED");

    // Execution started: a resolver refused the anonymous caller.
    let (status, _, body) = post_raw(
        &app,
        &[JSON_BODY, accept],
        r#"{"query":"{ organization(org: { name: \"acme\" }) { id } }"}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_error_code(&body, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_unsupported_media_type_is_refused_with_415() {
    let app = TestApp::spawn().await;
    let query = r#"{"query":"{ serverInfo { version } }"}"#;

    // Types a browser may send cross-site are refused as CSRF first (see hostile_requests),
    // unless a preflight header comes with them.
    for headers in [
        vec![("content-type", "application/json; charset=latin1")],
        vec![("content-type", "application/xml")],
        vec![("content-type", "application/graphql")],
        vec![
            ("content-type", "text/plain"),
            ("apollo-require-preflight", "true"),
        ],
        vec![("apollo-require-preflight", "true")],
    ] {
        let (status, _, body) = post_raw(&app, &headers, query).await;
        assert_eq!(status, 415, "{headers:?}");
        assert_error_code(&body, "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn malformed_json_and_bad_request_shapes_are_400_with_bad_user_input() {
    let app = TestApp::spawn().await;

    for body in [
        r#"{ "not a JSON"#,
        "",
        r#"{"notquery":"{ serverInfo { version } }"}"#,
        r#"{"query":["{ serverInfo { version } }"]}"#,
        r#"{"query":"{ serverInfo { version } }","variables":"{}"}"#,
        "[]",
    ] {
        for accept in ["application/json", GRAPHQL_RESPONSE] {
            let (status, _, response) =
                post_raw(&app, &[JSON_BODY, ("accept", accept)], body).await;
            assert_eq!(status, 400, "{body} ({accept})");
            assert_error_code(&response, "BAD_USER_INPUT");
        }
    }
}

#[tokio::test]
async fn a_batch_is_answered_in_order_up_to_the_cap_and_refused_above_it() {
    let app = TestApp::spawn().await;
    let cap = doorman::config::QueryLimits::default().max_batch;
    let batch = |size: usize| {
        let items: Vec<Json> = (0..size)
            .map(|index| json!({ "query": format!("{{ n{index}: serverInfo {{ registrationMode }} }}") }))
            .collect();
        Json::Array(items).to_string()
    };

    let (status, _, body) = post_raw(&app, &[JSON_BODY], &batch(cap)).await;
    assert_eq!(status, 200);
    let answers = body.as_array().expect("a batch answers with an array");
    assert_eq!(answers.len(), cap);
    for (index, answer) in answers.iter().enumerate() {
        assert_eq!(
            data(answer)[format!("n{index}")]["registrationMode"],
            "OPEN"
        );
    }

    let (status, _, body) = post_raw(
        &app,
        &[JSON_BODY, ("accept", GRAPHQL_RESPONSE)],
        &batch(cap + 1),
    )
    .await;
    assert_eq!(status, 400);
    assert_error_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn accepting_only_text_plain_is_refused_with_406() {
    let app = TestApp::spawn().await;

    let (status, content_type, body) = post_raw(
        &app,
        &[JSON_BODY, ("accept", "text/plain")],
        r#"{"query":"{ serverInfo { version } }"}"#,
    )
    .await;

    assert_eq!(status, 406);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_error_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_get_names_its_operation_and_variables_like_a_post() {
    let app = TestApp::spawn().await;

    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[
            (
                "query",
                "query A { serverInfo { version } } query B($n: String!) { __type(name: $n) { name } }",
            ),
            ("operationName", "B"),
            ("variables", r#"{"n":"OrgRole"}"#),
        ])
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Json = response.json().await.unwrap();
    assert_eq!(data(&body)["__type"]["name"], "OrgRole");
}
