//! Apollo Federation v2: the subgraph SDL a gateway reads, and `_entities` references
//! resolved with the same visibility rules as ordinary fields.

use serde_json::{Value as Json, json};

use crate::support::*;

const ENTITIES: &str = "query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Organization { id name }
    ... on User { id username email }
    ... on Invitation { id email status }
  } }";

async fn entities(app: &TestApp, token: Option<&str>, representations: Json) -> Json {
    app.graphql(
        ENTITIES,
        json!({ "representations": representations }),
        token,
    )
    .await
}

#[tokio::test]
async fn the_service_sdl_is_the_committed_federation_schema() {
    let app = TestApp::spawn().await;

    let response = app.graphql("{ _service { sdl } }", json!({}), None).await;

    let sdl = str_of(&data(&response)["_service"]["sdl"]);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    // async-graphql writes the subgraph SDL without `@specifiedBy` on scalars (gateways take
    // scalars as they are); everything else is the committed schema.
    let specified_by = " @specifiedBy(url: \"https://datatracker.ietf.org/doc/html/rfc3339\")";
    assert!(committed.contains(specified_by));
    assert!(
        sdl == committed.replace(specified_by, ""),
        "_service.sdl differs from schema.graphql"
    );
    assert!(sdl.contains("@link(\n\turl: \"https://specs.apollo.dev/federation/v2"));
    for entity in ["Organization", "User", "Invitation"] {
        assert!(
            sdl.contains(&format!("type {entity} @key(fields: \"id\")")),
            "{entity} is not an entity keyed by id"
        );
    }
}

#[tokio::test]
async fn references_resolve_to_organizations_users_and_invitations() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    let org_id = create_org(&app, &alice, "acme").await;
    let (invitation_id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let response = entities(
        &app,
        Some(&alice),
        json!([
            { "__typename": "Organization", "id": org_id },
            { "__typename": "User", "id": alice_id },
            { "__typename": "Invitation", "id": invitation_id },
        ]),
    )
    .await;

    assert_eq!(
        data(&response)["_entities"],
        json!([
            { "__typename": "Organization", "id": org_id, "name": "acme" },
            { "__typename": "User", "id": alice_id, "username": "alice", "email": "alice@example.com" },
            { "__typename": "Invitation", "id": invitation_id, "email": "bob@example.com", "status": "PENDING" },
        ])
    );
}

#[tokio::test]
async fn unknown_and_invisible_references_resolve_to_null() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (invitation_id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let (mallory, mallory_id) = register(&app, "mallory").await;

    let response = entities(
        &app,
        Some(&mallory),
        json!([
            { "__typename": "Invitation", "id": invitation_id },
            { "__typename": "Organization", "id": "999999" },
            { "__typename": "User", "id": "not-a-number" },
            { "__typename": "User", "id": mallory_id },
        ]),
    )
    .await;

    assert_eq!(
        data(&response)["_entities"],
        json!([
            null,
            null,
            null,
            { "__typename": "User", "id": mallory_id, "username": "mallory", "email": "mallory@example.com" },
        ])
    );
}

#[tokio::test]
async fn the_invitee_sees_its_invitation_but_not_a_user_it_shares_no_organization_with() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (invitation_id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let (bob, _) = register(&app, "bob").await;

    let response = entities(
        &app,
        Some(&bob),
        json!([
            { "__typename": "Invitation", "id": invitation_id },
            { "__typename": "User", "id": alice_id },
        ]),
    )
    .await;

    assert_eq!(
        data(&response)["_entities"],
        json!([
            { "__typename": "Invitation", "id": invitation_id, "email": "bob@example.com", "status": "PENDING" },
            null,
        ])
    );
}

#[tokio::test]
async fn anonymous_references_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let org_id = create_org(&app, &alice, "acme").await;

    let response = entities(
        &app,
        None,
        json!([{ "__typename": "Organization", "id": org_id }]),
    )
    .await;

    assert_error_code(&response, "UNAUTHENTICATED");
}
