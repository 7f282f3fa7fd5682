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

/// A signed-in stranger may not read anyone through `_entities`: not a user (its username, its
/// server-admin flag) nor an organization it does not belong to.
#[tokio::test]
async fn a_stranger_resolves_no_user_and_no_organization() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    let org_id = create_org(&app, &alice, "acme").await;
    let (mallory, _) = register(&app, "mallory").await;

    let response = app
        .graphql(
            "query($representations: [_Any!]!) { _entities(representations: $representations) {
                ... on User { id username isServerAdmin }
                ... on Organization { id name } } }",
            json!({ "representations": [
                { "__typename": "User", "id": alice_id },
                { "__typename": "Organization", "id": org_id },
            ] }),
            Some(&mallory),
        )
        .await;

    assert_eq!(data(&response)["_entities"], json!([null, null]));
}

#[tokio::test]
async fn members_see_each_other_and_their_organization_and_a_server_admin_sees_all() {
    let app = TestApp::spawn().await;
    // The first account is server admin, and belongs to no organization.
    let (admin, _) = register(&app, "admin").await;
    let (alice, alice_id) = register(&app, "alice").await;
    let org_id = create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let representations = json!([
        { "__typename": "User", "id": alice_id },
        { "__typename": "Organization", "id": org_id },
    ]);

    for caller in [&bob, &admin] {
        let response = entities(&app, Some(caller), representations.clone()).await;
        assert_eq!(
            data(&response)["_entities"][0]["username"],
            "alice",
            "{response:#}"
        );
        assert_eq!(
            data(&response)["_entities"][1]["name"],
            "acme",
            "{response:#}"
        );
    }
}

/// References are capped per request (`DOORMAN_MAX_ENTITIES`, 100 by default), counted across
/// every `_entities` field, and a request over the cap is refused before any lookup.
#[tokio::test]
async fn more_representations_than_the_cap_are_refused_before_any_lookup() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    let reference = json!({ "__typename": "User", "id": alice_id });
    let references = |count: usize| json!(vec![reference.clone(); count]);

    let at_cap = entities(&app, Some(&alice), references(100)).await;
    let before = metric(&app, "doorman_db_statements_total").await;
    let over = entities(&app, Some(&alice), references(101)).await;
    let split = app
        .graphql(
            "query($a: [_Any!]!, $b: [_Any!]!) {
                a: _entities(representations: $a) { __typename }
                b: _entities(representations: $b) { __typename } }",
            json!({ "a": references(60), "b": references(60) }),
            Some(&alice),
        )
        .await;
    let after = metric(&app, "doorman_db_statements_total").await;

    assert_eq!(
        data(&at_cap)["_entities"].as_array().map(Vec::len),
        Some(100)
    );
    for refused in [&over, &split] {
        assert_error_code(refused, "BAD_USER_INPUT");
        assert_eq!(
            refused["errors"][0]["extensions"]["limit"], "DOORMAN_MAX_ENTITIES",
            "{refused:#}"
        );
    }
    // The two refused requests looked nothing up (the access token is checked, one statement
    // each).
    assert!(after - before <= 2.0, "{before} → {after}");
}
