//! Relations load in batches: a page of invitations with their organization and inviter
//! costs the same number of SQL statements whatever its size. Statements are counted by the
//! server itself (`doorman_db_statements_total` on `/metrics`).

use serde_json::{Value as Json, json};

use crate::support::*;

const PAGE: &str = "query Page($first: Int) {
  orgInvitations(org: { name: \"acme\" }, first: $first) {
    totalCount
    nodes { id email status organization { name viewerRole } invitedBy { username email } }
  } }";

const ENTITIES: &str = "query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Invitation { id organization { name } invitedBy { username } }
  } }";

/// Runs one request and returns its response and the SQL statements it cost.
async fn statements_for(app: &TestApp, token: &str, query: &str, variables: Json) -> (Json, f64) {
    let before = metric(app, "doorman_db_statements_total").await;
    let response = app.graphql(query, variables, Some(token)).await;
    let after = metric(app, "doorman_db_statements_total").await;
    (response, after - before)
}

/// acme with admins alice and carol, who invited 25 emails each; returns alice's token and
/// the invitation ids, newest first.
async fn acme_with_fifty_invitations(app: &TestApp) -> (String, Vec<String>) {
    let (alice, _) = register(app, "alice").await;
    create_org(app, &alice, "acme").await;
    let carol = add_member(app, &alice, "acme", "carol", "ADMIN").await;
    for (token, who) in [(&alice, "a"), (&carol, "c")] {
        let emails: Vec<String> = (0..25).map(|n| format!("{who}{n}@example.com")).collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        invite_with(app, token, "acme", &emails, json!({ "sendEmail": false })).await;
    }
    let response = app
        .graphql(PAGE, json!({ "first": 50 }), Some(&alice))
        .await;
    let ids = data(&response)["orgInvitations"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| str_of(&node["id"]))
        .collect();
    (alice, ids)
}

#[tokio::test]
async fn a_page_of_5_or_50_invitations_with_organization_and_inviter_costs_the_same_statements() {
    let app = TestApp::spawn().await;
    let (alice, _) = acme_with_fifty_invitations(&app).await;

    let (small, small_cost) = statements_for(&app, &alice, PAGE, json!({ "first": 5 })).await;
    let (large, large_cost) = statements_for(&app, &alice, PAGE, json!({ "first": 50 })).await;

    let nodes = |response: &Json| {
        data(response)["orgInvitations"]["nodes"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(nodes(&small).len(), 5);
    let large_nodes = nodes(&large);
    assert_eq!(large_nodes.len(), 50);
    let inviters: std::collections::BTreeSet<String> = large_nodes
        .iter()
        .map(|node| str_of(&node["invitedBy"]["username"]))
        .collect();
    assert_eq!(inviters, ["alice".to_owned(), "carol".to_owned()].into());
    assert!(
        large_nodes
            .iter()
            .all(|node| node["organization"] == json!({ "name": "acme", "viewerRole": "ADMIN" }))
    );
    assert!(small_cost > 0.0);
    assert_eq!(
        small_cost, large_cost,
        "5 invitations cost {small_cost} statements, 50 cost {large_cost}"
    );
}

#[tokio::test]
async fn federation_references_to_5_or_50_invitations_cost_the_same_statements() {
    let app = TestApp::spawn().await;
    let (alice, ids) = acme_with_fifty_invitations(&app).await;
    let representations = |count: usize| {
        ids[..count]
            .iter()
            .map(|id| json!({ "__typename": "Invitation", "id": id }))
            .collect::<Vec<_>>()
    };

    let (small, small_cost) = statements_for(
        &app,
        &alice,
        ENTITIES,
        json!({ "representations": representations(5) }),
    )
    .await;
    let (large, large_cost) = statements_for(
        &app,
        &alice,
        ENTITIES,
        json!({ "representations": representations(50) }),
    )
    .await;

    assert_eq!(data(&small)["_entities"].as_array().unwrap().len(), 5);
    let entities = data(&large)["_entities"].as_array().unwrap().clone();
    assert_eq!(entities.len(), 50);
    assert!(
        entities
            .iter()
            .all(|entity| entity["organization"]["name"] == "acme")
    );
    assert_eq!(
        small_cost, large_cost,
        "5 references cost {small_cost} statements, 50 cost {large_cost}"
    );
}
