//! Query limits: each one lets a request just under it through and refuses one just over it
//! with `BAD_USER_INPUT` naming the setting. Defaults: depth 16, complexity 5000, 15 aliases,
//! 15,000 characters, 10 operations a batch, `first` up to 100.

use serde_json::{Value as Json, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

/// GraphiQL's schema query: the deepest thing a legitimate client sends.
const INTROSPECTION: &str = "query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  } }
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

fn assert_limit(response: &Json, setting: &str) {
    assert_error_code(response, "BAD_USER_INPUT");
    assert_eq!(
        response["errors"][0]["extensions"]["limit"], setting,
        "{response:#}"
    );
    assert!(
        response.get("data").is_none_or(Json::is_null),
        "{response:#}"
    );
}

/// `{ me { … } }` nested exactly `depth` levels (at least 2).
fn nested(depth: usize) -> String {
    let pairs = (depth - 2) / 2;
    let leaf = if depth.is_multiple_of(2) {
        "username".to_owned()
    } else {
        "memberships { role }".to_owned()
    };
    format!(
        "{{ me {{ {}{leaf}{} }} }}",
        "memberships { user { ".repeat(pairs),
        " } }".repeat(pairs)
    )
}

/// `count` aliased `serverInfo` fields.
fn aliased(count: usize) -> String {
    let fields: Vec<String> = (0..count)
        .map(|n| format!("a{n}: serverInfo {{ version }}"))
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn graphiqls_introspection_query_fits_the_default_limits() {
    let app = TestApp::spawn().await;

    let response = app.graphql(INTROSPECTION, json!({}), None).await;

    assert!(
        data(&response)["__schema"]["types"]
            .as_array()
            .is_some_and(|types| types.len() > 30)
    );
}

#[tokio::test]
async fn a_query_16_levels_deep_runs_and_17_is_refused() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;

    let at_limit = app.graphql(&nested(16), json!({}), Some(&alice)).await;
    let over = app.graphql(&nested(17), json!({}), Some(&alice)).await;

    assert_eq!(data(&at_limit)["me"]["memberships"], json!([]));
    assert_limit(&over, "DOORMAN_MAX_QUERY_DEPTH");
    assert!(str_of(&over["errors"][0]["message"]).contains("17 levels"));
}

#[tokio::test]
async fn over_websocket_the_same_depth_limit_holds_with_the_same_refusal() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let mut client = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;

    client.subscribe("at", &nested(16), json!({})).await;
    let at_limit = client.next_data("at").await;
    client.subscribe("over", &nested(17), json!({})).await;
    let over = json!({ "errors": client.errors("over").await });

    assert_eq!(at_limit["me"]["memberships"], json!([]));
    assert_limit(&over, "DOORMAN_MAX_QUERY_DEPTH");
    assert!(str_of(&over["errors"][0]["message"]).contains("17 levels"));
}

#[tokio::test]
async fn nested_pages_count_their_fields_first_times_against_the_complexity_limit() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    // first × (nodes + first × (nodes + redeemedAt)): 49 × 99 = 4851, 50 × 101 = 5050.
    let query = |first: usize| {
        format!(
            "{{ orgInvitations(org: {{ name: \"acme\" }}, first: {first}) {{
                nodes {{ redemptions(first: {first}) {{ nodes {{ redeemedAt }} }} }} }} }}"
        )
    };

    let under = app.graphql(&query(49), json!({}), Some(&alice)).await;
    let over = app.graphql(&query(50), json!({}), Some(&alice)).await;

    assert_eq!(data(&under)["orgInvitations"]["nodes"], json!([]));
    assert_limit(&over, "DOORMAN_MAX_QUERY_COMPLEXITY");
    assert!(str_of(&over["errors"][0]["message"]).contains("5050"));
}

#[tokio::test]
async fn fifteen_aliases_run_and_sixteen_are_refused() {
    let app = TestApp::spawn().await;

    let at_limit = app.graphql(&aliased(15), json!({}), None).await;
    let over = app.graphql(&aliased(16), json!({}), None).await;

    assert_eq!(data(&at_limit).as_object().unwrap().len(), 15);
    assert_limit(&over, "DOORMAN_MAX_ALIASES");
}

#[tokio::test]
async fn aliases_hidden_in_fragments_count_once_per_spread() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let fragment = format!(
        "fragment M on User {{ {} }}",
        (0..7)
            .map(|n| format!("u{n}: username"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    let response = app
        .graphql(
            &format!("{{ x: me {{ ...M }} y: me {{ ...M }} }} {fragment}"),
            json!({}),
            Some(&alice),
        )
        .await;

    assert_limit(&response, "DOORMAN_MAX_ALIASES");
}

#[tokio::test]
async fn an_alias_flood_of_100_token_lookups_is_refused_before_any_lookup() {
    let app = TestApp::spawn().await;
    let lookups: Vec<String> = (0..100)
        .map(|n| format!("t{n}: invitation(token: \"guess-{n:040}\") {{ id }}"))
        .collect();
    let before = metric(&app, "doorman_db_statements_total").await;

    let response = app
        .graphql(&format!("{{ {} }}", lookups.join(" ")), json!({}), None)
        .await;

    assert_limit(&response, "DOORMAN_MAX_ALIASES");
    assert_eq!(metric(&app, "doorman_db_statements_total").await, before);
}

#[tokio::test]
async fn a_document_of_15000_characters_runs_and_15001_is_refused() {
    let app = TestApp::spawn().await;
    let query = "{ serverInfo { version } }";
    let padded = |length: usize| format!("{query}\n#{}", "x".repeat(length - query.len() - 2));

    let at_limit = app.graphql(&padded(15_000), json!({}), None).await;
    let over = app.graphql(&padded(15_001), json!({}), None).await;

    assert!(data(&at_limit)["serverInfo"]["version"].is_string());
    assert_limit(&over, "DOORMAN_MAX_DOCUMENT_CHARS");
}

#[tokio::test]
async fn a_batch_of_10_runs_and_batches_of_11_or_100_are_refused() {
    let app = TestApp::spawn().await;
    let batch = |size: usize| vec![json!({ "query": "{ serverInfo { version } }" }); size];
    let post = |body: Vec<Json>| {
        app.http()
            .post(format!("{}/graphql", app.address))
            .json(&body)
            .send()
    };

    let at_limit = post(batch(10)).await.unwrap();
    assert_eq!(at_limit.status(), 200);
    let answers: Vec<Json> = at_limit.json().await.unwrap();
    assert_eq!(answers.len(), 10);
    for size in [11, 100] {
        let over = post(batch(size)).await.unwrap();
        assert_eq!(over.status(), 400, "a batch of {size}");
        assert_error_code(&over.json().await.unwrap(), "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn first_is_capped_at_100() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let page = |first: i32| {
        app.graphql(
            "query($first: Int) { orgInvitations(org: { name: \"acme\" }, first: $first) { totalCount } }",
            json!({ "first": first }),
            Some(&alice),
        )
    };

    assert_eq!(data(&page(100).await)["orgInvitations"]["totalCount"], 0);
    assert_error_code(&page(101).await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn unknown_fields_get_no_suggestions() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql("{ serverInf { version } }", json!({}), None)
        .await;

    assert_error_code(&response, "GRAPHQL_VALIDATION_FAILED");
    let message = str_of(&response["errors"][0]["message"]);
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test]
async fn introspection_can_be_turned_off_while_queries_and_the_subgraph_sdl_still_work() {
    let app = TestApp::spawn_with(|settings| settings.limits.introspection = false).await;

    let introspection = app.graphql(INTROSPECTION, json!({}), None).await;
    let query = app
        .graphql("{ serverInfo { registrationMode } }", json!({}), None)
        .await;
    let sdl = app.graphql("{ _service { sdl } }", json!({}), None).await;

    assert!(
        introspection.get("errors").is_some() || introspection["data"]["__schema"].is_null(),
        "{introspection:#}"
    );
    assert_eq!(data(&query)["serverInfo"]["registrationMode"], "OPEN");
    assert!(str_of(&data(&sdl)["_service"]["sdl"]).contains("type Query"));
}
