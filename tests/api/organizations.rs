//! Creating organizations, looking them up, and listing their members.

use serde_json::json;

use crate::support::*;

const CREATE: &str =
    "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) {
    id name displayName membersCanInvite viewerRole
    members(first: 10) { totalCount edges { node { role user { username } } } } } }";

const ORGANIZATION: &str = "query($org: OrgSelector!) { organization(org: $org) {
    id name viewerRole } }";

const MEMBERS: &str = "query($org: OrgSelector!, $first: Int, $after: String) {
  organization(org: $org) { members(first: $first, after: $after) {
    totalCount edges { cursor node { role user { username } } }
    pageInfo { hasNextPage endCursor } } } }";

#[tokio::test]
async fn creating_an_organization_makes_the_creator_its_only_admin() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;

    let response = app
        .graphql(
            CREATE,
            json!({ "input": { "name": "Acme-Corp", "displayName": "Acme Corp.",
                               "membersCanInvite": true } }),
            Some(&token),
        )
        .await;

    let org = &data(&response)["createOrganization"];
    assert_eq!(org["name"], "acme-corp");
    assert_eq!(org["displayName"], "Acme Corp.");
    assert_eq!(org["membersCanInvite"], true);
    assert_eq!(org["viewerRole"], "ADMIN");
    assert_eq!(
        org["members"],
        json!({ "totalCount": 1,
                "edges": [{ "node": { "role": "ADMIN", "user": { "username": "alice" } } }] })
    );
}

#[tokio::test]
async fn members_cannot_invite_unless_the_organization_says_so() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;

    let response = app
        .graphql(CREATE, json!({ "input": { "name": "acme" } }), Some(&token))
        .await;

    assert_eq!(
        data(&response)["createOrganization"]["membersCanInvite"],
        false
    );
}

#[tokio::test]
async fn creating_an_organization_with_a_taken_name_returns_conflict() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let (bob, _) = register(&app, "bob").await;
    create_org(&app, &alice, "acme").await;

    let response = app
        .graphql(CREATE, json!({ "input": { "name": "ACME" } }), Some(&bob))
        .await;

    assert_error_code(&response, "CONFLICT");
    assert_eq!(app.rows("organizations").await, 1);
}

#[tokio::test]
async fn creating_an_organization_with_an_invalid_name_returns_bad_user_input() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;

    let long = "a".repeat(40);
    for name in ["", "-acme", "acme corp", "acme.corp", long.as_str()] {
        let response = app
            .graphql(CREATE, json!({ "input": { "name": name } }), Some(&token))
            .await;
        assert_error_code(&response, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows("organizations").await, 0);
}

#[tokio::test]
async fn creating_an_organization_anonymously_returns_unauthenticated() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql(CREATE, json!({ "input": { "name": "acme" } }), None)
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
    assert_eq!(app.rows("organizations").await, 0);
}

#[tokio::test]
async fn an_organization_is_found_by_name_or_id_and_unknown_ones_are_null() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;
    let id = create_org(&app, &token, "acme").await;
    let expected = json!({ "id": id, "name": "acme", "viewerRole": "ADMIN" });

    let by_name = app
        .graphql(
            ORGANIZATION,
            json!({ "org": { "name": "acme" } }),
            Some(&token),
        )
        .await;
    let by_id = app
        .graphql(ORGANIZATION, json!({ "org": { "id": id } }), Some(&token))
        .await;
    let unknown = app
        .graphql(
            ORGANIZATION,
            json!({ "org": { "name": "nope" } }),
            Some(&token),
        )
        .await;

    assert_eq!(data(&by_name)["organization"], expected);
    assert_eq!(data(&by_id)["organization"], expected);
    assert_eq!(data(&unknown)["organization"], json!(null));
}

#[tokio::test]
async fn looking_up_an_organization_anonymously_returns_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;
    create_org(&app, &token, "acme").await;

    let response = app
        .graphql(ORGANIZATION, json!({ "org": { "name": "acme" } }), None)
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_organization_is_hidden_from_non_members_and_server_admins_see_it_without_a_role() {
    let app = TestApp::spawn().await;
    // The first account is server admin; acme belongs to bob only.
    let (admin, _) = register(&app, "admin").await;
    let (bob, _) = register(&app, "bob").await;
    let (mallory, _) = register(&app, "mallory").await;
    create_org(&app, &bob, "acme").await;

    let stranger = app
        .graphql(
            ORGANIZATION,
            json!({ "org": { "name": "acme" } }),
            Some(&mallory),
        )
        .await;
    let stranger_members = app
        .graphql(
            MEMBERS,
            json!({ "org": { "name": "acme" }, "first": 10 }),
            Some(&mallory),
        )
        .await;
    let server_admin = app
        .graphql(
            MEMBERS,
            json!({ "org": { "name": "acme" }, "first": 10 }),
            Some(&admin),
        )
        .await;
    let server_admin_role = app
        .graphql(
            ORGANIZATION,
            json!({ "org": { "name": "acme" } }),
            Some(&admin),
        )
        .await;

    assert_eq!(data(&stranger)["organization"], json!(null));
    assert_eq!(data(&stranger_members)["organization"], json!(null));
    assert_eq!(
        data(&server_admin)["organization"]["members"]["totalCount"],
        1
    );
    assert_eq!(
        data(&server_admin_role)["organization"]["viewerRole"],
        json!(null)
    );
}

#[tokio::test]
async fn members_are_paged_with_cursors() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    add_member(&app, &alice, "acme", "carol", "VISITOR").await;

    let first = app
        .graphql(
            MEMBERS,
            json!({ "org": { "name": "acme" }, "first": 2 }),
            Some(&bob),
        )
        .await;
    let first = &data(&first)["organization"]["members"];
    let second = app
        .graphql(
            MEMBERS,
            json!({ "org": { "name": "acme" }, "first": 2, "after": first["pageInfo"]["endCursor"] }),
            Some(&bob),
        )
        .await;
    let second = &data(&second)["organization"]["members"];

    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["edges"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["totalCount"], 3);
    assert_eq!(second["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let mut seen: Vec<(String, String)> = [first, second]
        .iter()
        .flat_map(|page| page["edges"].as_array().cloned().unwrap_or_default())
        .map(|edge| {
            (
                str_of(&edge["node"]["user"]["username"]),
                str_of(&edge["node"]["role"]),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [("alice", "ADMIN"), ("bob", "MEMBER"), ("carol", "VISITOR")]
            .map(|(user, role)| (user.to_owned(), role.to_owned()))
    );
}
