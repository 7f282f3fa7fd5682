//! The response as the GraphQL spec lays it out, byte for byte, over HTTP and WebSocket alike:
//! a field that failed is present as `null` when it may be (and otherwise its nearest nullable
//! parent is, up to `data: null`), and fields come in the order the operation selects them,
//! also when a field that waits for the database is selected before one that does not.

use std::time::Duration;

use serde_json::json;

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The body of a POST, as the server wrote it.
async fn post_text(app: &TestApp, query: &str, token: Option<&str>) -> String {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The payload of the one result of `query` sent over WebSocket, as the server wrote it.
async fn ws_text(app: &TestApp, query: &str, token: &str) -> String {
    let mut client = WsClient::connect_as(app, Protocol::TransportWs, token).await;
    client.subscribe("1", query, json!({})).await;
    client.next_payload_text(Duration::from_secs(5)).await
}

/// A link's token, and the access token of someone who may not see its admin fields.
async fn link_and_outsider(app: &TestApp) -> (String, String) {
    let (alice, _) = register(app, "alice").await;
    create_org(app, &alice, "acme").await;
    let (_, token) = create_link(app, &alice, "acme", None).await;
    let (outsider, _) = register(app, "olga").await;
    (token, outsider)
}

#[tokio::test]
async fn a_nullable_field_that_failed_is_null_in_its_place_over_http_and_websocket() {
    let app = TestApp::spawn().await;
    let (link, outsider) = link_and_outsider(&app).await;
    let query =
        format!("{{ invitation(token: \"{link}\") {{ lastSentAt }} serverInfo {{ version }} }}");
    let column = query.find("lastSentAt").expect("selected") + 1;

    let http = post_text(&app, &query, Some(&outsider)).await;
    let ws = ws_text(&app, &query, &outsider).await;

    let expected = format!(
        concat!(
            r#"{{"data":{{"invitation":{{"lastSentAt":null}},"serverInfo":{{"version":"{version}"}}}},"#,
            r#""errors":[{{"message":"only those who manage this invitation can see this field","#,
            r#""locations":[{{"line":1,"column":{column}}}],"path":["invitation","lastSentAt"],"#,
            r#""extensions":{{"code":"FORBIDDEN"}}}}]}}"#
        ),
        version = VERSION,
        column = column
    );
    assert_eq!(http, expected);
    assert_eq!(ws, expected);
}

#[tokio::test]
async fn a_non_null_field_that_failed_nulls_its_parent_up_to_data() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    // `orgInvitations` is non-null, so data itself becomes null.
    let query =
        r#"{ serverInfo { version } orgInvitations(org: { name: "nope" }) { totalCount } }"#;

    let http = post_text(&app, query, Some(&alice)).await;
    let ws = ws_text(&app, query, &alice).await;

    let column = query.find("orgInvitations").unwrap() + 1;
    let expected = format!(
        concat!(
            r#"{{"data":null,"errors":[{{"message":"no such organization","#,
            r#""locations":[{{"line":1,"column":{column}}}],"path":["orgInvitations"],"#,
            r#""extensions":{{"code":"NOT_FOUND"}}}}]}}"#
        ),
        column = column
    );
    assert_eq!(http, expected);
    assert_eq!(ws, expected);
}

#[tokio::test]
async fn a_non_null_field_that_failed_inside_an_object_nulls_the_object() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let (bob, _) = register(&app, "bob").await;
    // `emailStatus` is non-null and for admins only: the invitation (nullable) becomes null.
    let query = format!(
        "{{ invitation(token: \"{token}\") {{ status emailStatus }} serverInfo {{ version }} }}"
    );

    let http = post_text(&app, &query, Some(&bob)).await;
    let ws = ws_text(&app, &query, &bob).await;

    let column = query.find("emailStatus").unwrap() + 1;
    let expected = format!(
        concat!(
            r#"{{"data":{{"invitation":null,"serverInfo":{{"version":"{version}"}}}},"#,
            r#""errors":[{{"message":"only those who manage this invitation can see this field","#,
            r#""locations":[{{"line":1,"column":{column}}}],"path":["invitation","emailStatus"],"#,
            r#""extensions":{{"code":"FORBIDDEN"}}}}]}}"#
        ),
        version = VERSION,
        column = column
    );
    assert_eq!(http, expected);
    assert_eq!(ws, expected);
}

#[tokio::test]
async fn fields_come_in_the_order_they_are_selected_whatever_resolves_first() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    // `memberships` waits for the database and `id` does not; `registrationMode` and `version`
    // are asked for against the alphabet.
    let query = "{ serverInfo { version registrationMode } \
                 me { memberships { role organization { name } } username id } }";

    let http = post_text(&app, query, Some(&alice)).await;
    let ws = ws_text(&app, query, &alice).await;

    let expected = format!(
        concat!(
            r#"{{"data":{{"serverInfo":{{"version":"{version}","registrationMode":"OPEN"}},"#,
            r#""me":{{"memberships":[{{"role":"ADMIN","organization":{{"name":"acme"}}}}],"#,
            r#""username":"alice","id":"{id}"}}}}}}"#
        ),
        version = VERSION,
        id = alice_id
    );
    assert_eq!(http, expected);
    assert_eq!(ws, expected);
}

#[tokio::test]
async fn fields_merged_from_fragments_keep_their_first_place() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    let query = "{ me { ...Names id memberships { role } } } \
                 fragment Names on User { username displayName id }";

    let http = post_text(&app, query, Some(&alice)).await;

    assert_eq!(
        http,
        format!(
            r#"{{"data":{{"me":{{"username":"alice","displayName":null,"id":"{alice_id}","memberships":[]}}}}}}"#
        )
    );
}

/// `true` for `2026-12-01T09:30:15.088Z`: RFC 3339, UTC with a `Z`, milliseconds.
fn is_one_form(value: &serde_json::Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let bytes = text.as_bytes();
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ".as_bytes();
    bytes.len() == shape.len()
        && bytes
            .iter()
            .zip(shape)
            .all(|(byte, expected)| match expected {
                b'd' => byte.is_ascii_digit(),
                other => byte == other,
            })
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// Every `DateTime` the API writes has one form, whichever database the value came from and
/// however precisely it was stored.
#[tokio::test]
async fn every_date_time_is_written_in_one_rfc_3339_form() {
    let app = TestApp::spawn().await;
    let signed_up = app
        .graphql(
            REGISTER,
            json!({ "input": { "username": "alice", "email": "alice@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    let alice = str_of(&data(&signed_up)["register"]["accessToken"]);
    create_org(&app, &alice, "acme").await;
    let (_, link) = create_link(&app, &alice, "acme", None).await;
    let (bob, _) = register(&app, "bob").await;
    data(&accept(&app, &bob, &link).await);
    invite_one(&app, &alice, "acme", "carol@example.com").await;
    app.deliver_due_emails().await;

    let response = app
        .graphql(
            "{ me { createdAt memberships { joinedAt organization { createdAt } } }
               orgInvitations(org: { name: \"acme\" }) { nodes {
                 createdAt expiresAt lastSentAt redemptions { nodes { redeemedAt } } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    let data = data(&response);
    let mut written = vec![
        data_of(&signed_up, "/register/expiresAt"),
        data["me"]["createdAt"].clone(),
        data["me"]["memberships"][0]["joinedAt"].clone(),
        data["me"]["memberships"][0]["organization"]["createdAt"].clone(),
    ];
    for node in data["orgInvitations"]["nodes"].as_array().unwrap() {
        written.push(node["createdAt"].clone());
        written.push(node["expiresAt"].clone());
        if !node["lastSentAt"].is_null() {
            written.push(node["lastSentAt"].clone());
        }
        for redemption in node["redemptions"]["nodes"].as_array().unwrap() {
            written.push(redemption["redeemedAt"].clone());
        }
    }
    assert!(written.len() >= 10, "{written:?}");
    for value in &written {
        assert!(
            is_one_form(value),
            "{value} is not in the one form: {written:?}"
        );
    }

    // An expiry given with an offset comes back in UTC.
    let offset = (chrono::Utc::now() + chrono::Duration::days(3))
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M:%S+02:00")
        .to_string();
    let created = create_invite_link(&app, &alice, "acme", json!({ "expiresAt": offset })).await;
    let expires = &data_of(&created, "/createInviteLink/expiresAt");
    assert!(is_one_form(expires), "{expires}");
    assert_eq!(parse_time(expires), parse_time(&json!(offset)));
}

fn data_of(response: &serde_json::Value, pointer: &str) -> serde_json::Value {
    data(response)
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in {response:#}"))
        .clone()
}

/// `DateTime` says in introspection which specification it follows, and `schema.graphql`
/// says the same.
#[tokio::test]
async fn the_date_time_scalar_is_specified_by_rfc_3339_in_introspection_and_the_sdl() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql(
            "{ __type(name: \"DateTime\") { specifiedByURL } }",
            json!({}),
            None,
        )
        .await;

    let url = str_of(&data(&response)["__type"]["specifiedByURL"]);
    assert_eq!(url, "https://datatracker.ietf.org/doc/html/rfc3339");
    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        sdl.contains(&format!("scalar DateTime @specifiedBy(url: \"{url}\")")),
        "schema.graphql does not say DateTime is specified by {url}"
    );
}
