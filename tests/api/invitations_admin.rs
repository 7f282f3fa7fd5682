//! What org admins do with invitations after creating them: cancel, resend, list; plus the
//! invitee's `myInvitations` and the server admin's `registrationInvitations`.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::*;

/// A server with admin `alice` of org `acme` and a registered user `bob`; returns both tokens.
async fn acme_and_bob() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register(&app, "bob").await;
    (app, alice, bob)
}

async fn stored_status(app: &TestApp, id: &str) -> Vec<String> {
    app.strings(
        "SELECT status FROM invitations WHERE id = $1",
        vec![db_id(id).into()],
    )
    .await
}

// ---- cancel ----

#[tokio::test]
async fn cancelling_an_invitation_makes_accepting_it_return_invitation_cancelled() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let cancelled = cancel(&app, &alice, &id).await;
    let accepted = accept(&app, &bob, &token).await;

    assert_eq!(
        data(&cancelled)["cancel"],
        json!({ "id": id, "status": "CANCELLED" })
    );
    assert_error_code(&accepted, "INVITATION_CANCELLED");
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "CANCELLED"]);
    let shown = invitation(&app, &token, None).await;
    assert_eq!(data(&shown)["invitation"]["status"], "CANCELLED");
}

#[tokio::test]
async fn cancelling_as_a_member_or_the_invitee_returns_forbidden() {
    let (app, alice, _bob) = acme_and_bob().await;
    let member = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let (dave, _) = register(&app, "dave").await;
    let (id, _) = invite_one(&app, &alice, "acme", "dave@example.com").await;

    let by_member = cancel(&app, &member, &id).await;
    let by_invitee = cancel(&app, &dave, &id).await;

    assert_error_code(&by_member, "FORBIDDEN");
    assert_error_code(&by_invitee, "FORBIDDEN");
    assert_eq!(stored_status(&app, &id).await, ["PENDING"]);
    assert_eq!(app.event_kinds(&id).await, ["CREATED"]);
}

#[tokio::test]
async fn cancelling_an_unknown_invitation_id_returns_not_found() {
    let (app, alice, _bob) = acme_and_bob().await;

    let response = cancel(&app, &alice, "999999").await;

    assert_error_code(&response, "NOT_FOUND");
}

// ---- resend ----

#[tokio::test]
async fn resending_mints_a_new_link_with_a_fresh_expiry_and_supersedes_the_old_one() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, old_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    app.expire_invitation(&id).await;

    let response = resend(&app, &alice, json!({ "ids": [id] })).await;

    let payload = &data(&response)["resend"];
    assert_eq!(payload["errors"], json!([]));
    let resent = &invitations_of(payload)[0];
    assert_eq!(resent["id"], id.as_str());
    let expiry = parse_time(&resent["expiresAt"]) - (Utc::now() + Duration::days(7));
    assert!(expiry.num_seconds().abs() < 60, "{resent}");
    let new_token = token_from_link(&str_of(&resent["invitationLink"]));
    assert_eq!(new_token.len(), 43);
    assert_ne!(new_token, old_token);

    assert_error_code(
        &invitation(&app, &old_token, None).await,
        "INVITATION_SUPERSEDED",
    );
    assert_error_code(
        &accept(&app, &bob, &old_token).await,
        "INVITATION_SUPERSEDED",
    );
    let shown = invitation(&app, &new_token, None).await;
    assert_eq!(data(&shown)["invitation"]["status"], "PENDING");
    let accepted = accept(&app, &bob, &new_token).await;
    assert_eq!(
        data(&accepted)["acceptInvitation"]["invitation"]["status"],
        "ACCEPTED"
    );
    assert_eq!(
        app.event_kinds(&id).await,
        ["CREATED", "RESENT", "ACCEPTED"]
    );
    assert_eq!(app.rows("invitation_tokens").await, 1);
}

#[tokio::test]
async fn resending_by_organization_and_email_finds_the_pending_invitation() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (id, old_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let response = resend(
        &app,
        &alice,
        json!({ "org": { "name": "acme" }, "emails": ["Bob@Example.com"], "sendEmail": false }),
    )
    .await;

    let payload = &data(&response)["resend"];
    assert_eq!(payload["errors"], json!([]));
    let resent = invitations_of(payload);
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0]["id"], id.as_str());
    assert_ne!(
        token_from_link(&str_of(&resent[0]["invitationLink"])),
        old_token
    );
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "RESENT"]);
}

#[tokio::test]
async fn resending_as_a_member_returns_forbidden_and_keeps_the_old_link() {
    let (app, alice, _bob) = acme_and_bob().await;
    let member = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let (id, token) = invite_one(&app, &alice, "acme", "dave@example.com").await;

    let response = resend(&app, &member, json!({ "ids": [id] })).await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(
        data(&invitation(&app, &token, None).await)["invitation"]["id"],
        id.as_str()
    );
    assert_eq!(app.event_kinds(&id).await, ["CREATED"]);
}

// ---- orgInvitations ----

const ORG_INVITATIONS: &str = "query($org: OrgSelector!, $status: [InvitationStatus!],
    $email: String, $first: Int, $after: String) {
  orgInvitations(org: $org, status: $status, email: $email, first: $first, after: $after) {
    totalCount
    edges { cursor node { id email status organization { name } invitedBy { username } } }
    pageInfo { hasNextPage endCursor } } }";

/// `orgInvitations` of acme with the arguments in `args` (absent ones take their defaults).
async fn org_invitations(app: &TestApp, token: &str, args: Value) -> Value {
    let mut variables = json!({ "org": { "name": "acme" } });
    if let (Some(variables), Some(args)) = (variables.as_object_mut(), args.as_object()) {
        variables.extend(args.clone());
    }
    app.graphql(ORG_INVITATIONS, variables, Some(token)).await
}

fn emails(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {connection:#}"))
        .iter()
        .map(|edge| str_of(&edge["node"]["email"]))
        .collect()
}

/// Invites `e1@example.com` … `e{n}@example.com` one call each, oldest first; returns ids.
async fn invite_each(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(
            invite_one(app, token, "acme", &format!("e{i}@example.com"))
                .await
                .0,
        );
    }
    ids
}

#[tokio::test]
async fn org_invitations_are_listed_newest_first_with_organization_and_inviter() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 3).await;

    let response = org_invitations(&app, &alice, json!({})).await;

    let connection = &data(&response)["orgInvitations"];
    assert_eq!(connection["totalCount"], 3);
    assert_eq!(
        emails(connection),
        ["e3@example.com", "e2@example.com", "e1@example.com"]
    );
    let node = &connection["edges"][0]["node"];
    assert_eq!(node["status"], "PENDING");
    assert_eq!(node["organization"]["name"], "acme");
    assert_eq!(node["invitedBy"]["username"], "alice");
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn org_invitation_cursors_stay_valid_when_newer_invitations_arrive() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 5).await;

    let first = org_invitations(&app, &alice, json!({ "first": 2 })).await;
    let first = &data(&first)["orgInvitations"];
    invite(&app, &alice, "acme", &["late@example.com"]).await;
    let second = org_invitations(
        &app,
        &alice,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    let second = &data(&second)["orgInvitations"];
    let third = org_invitations(
        &app,
        &alice,
        json!({ "first": 2, "after": second["pageInfo"]["endCursor"] }),
    )
    .await;
    let third = &data(&third)["orgInvitations"];

    assert_eq!(emails(first), ["e5@example.com", "e4@example.com"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(emails(second), ["e3@example.com", "e2@example.com"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["totalCount"], 6);
    assert_eq!(emails(third), ["e1@example.com"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn org_invitations_filter_by_status_including_derived_expired() {
    let (app, alice, _bob) = acme_and_bob().await;
    let ids = invite_each(&app, &alice, 3).await;
    app.expire_invitation(&ids[1]).await;
    data(&cancel(&app, &alice, &ids[2]).await);

    let pending = org_invitations(&app, &alice, json!({ "status": ["PENDING"] })).await;
    let expired = org_invitations(&app, &alice, json!({ "status": ["EXPIRED"] })).await;
    let closed = org_invitations(&app, &alice, json!({ "status": ["CANCELLED", "EXPIRED"] })).await;

    assert_eq!(
        emails(&data(&pending)["orgInvitations"]),
        ["e1@example.com"]
    );
    assert_eq!(data(&pending)["orgInvitations"]["totalCount"], 1);
    assert_eq!(
        emails(&data(&expired)["orgInvitations"]),
        ["e2@example.com"]
    );
    assert_eq!(
        data(&expired)["orgInvitations"]["edges"][0]["node"]["status"],
        "EXPIRED"
    );
    assert_eq!(
        emails(&data(&closed)["orgInvitations"]),
        ["e3@example.com", "e2@example.com"]
    );
}

#[tokio::test]
async fn org_invitations_filter_by_email() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 3).await;

    let response = org_invitations(&app, &alice, json!({ "email": "e2@example.com" })).await;

    let connection = &data(&response)["orgInvitations"];
    assert_eq!(emails(connection), ["e2@example.com"]);
    assert_eq!(connection["totalCount"], 1);
}

#[tokio::test]
async fn asking_for_more_than_100_org_invitations_returns_bad_user_input() {
    let (app, alice, _bob) = acme_and_bob().await;

    let response = org_invitations(&app, &alice, json!({ "first": 101 })).await;

    assert_error_code(&response, "BAD_USER_INPUT");
}

#[tokio::test]
async fn listing_org_invitations_is_forbidden_to_a_member_and_not_found_to_an_outsider() {
    let (app, alice, _bob) = acme_and_bob().await;
    let member = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let (outsider, _) = register(&app, "dave").await;

    let by_member = org_invitations(&app, &member, json!({})).await;
    let by_outsider = org_invitations(&app, &outsider, json!({})).await;

    assert_error_code(&by_member, "FORBIDDEN");
    // To an outsider the organization does not exist.
    assert_error_code(&by_outsider, "NOT_FOUND");
}

// ---- myInvitations ----

#[tokio::test]
async fn my_invitations_lists_only_pending_invitations_for_my_email() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let (bob, _) = register(&app, "bob").await;
    for org in ["acme", "globex", "initech", "umbrella"] {
        create_org(&app, &alice, org).await;
    }
    invite(
        &app,
        &alice,
        "acme",
        &["bob@example.com", "carol@example.com"],
    )
    .await;
    let (cancelled, _) = invite_one(&app, &alice, "globex", "bob@example.com").await;
    data(&cancel(&app, &alice, &cancelled).await);
    let (expired, _) = invite_one(&app, &alice, "initech", "bob@example.com").await;
    app.expire_invitation(&expired).await;
    let (_, accepted) = invite_one(&app, &alice, "umbrella", "bob@example.com").await;
    data(&accept(&app, &bob, &accepted).await);

    let response = app
        .graphql(
            "{ myInvitations { email status organization { name } invitedBy { username } } }",
            json!({}),
            Some(&bob),
        )
        .await;

    assert_eq!(
        data(&response)["myInvitations"],
        json!([{ "email": "bob@example.com", "status": "PENDING",
                 "organization": { "name": "acme" }, "invitedBy": { "username": "alice" } }])
    );
}

#[tokio::test]
async fn my_invitations_anonymously_returns_unauthenticated() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql("{ myInvitations { id } }", json!({}), None)
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
}

// ---- registrationInvitations ----

const REGISTRATION_INVITATIONS: &str = "{ registrationInvitations(first: 10) {
    totalCount edges { node { action email } } pageInfo { hasNextPage } } }";

#[tokio::test]
async fn server_admins_list_registration_invitations_newest_first() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite(&app, &alice, "acme", &["org-invite@example.com"]).await;
    for email in ["first@example.com", "second@example.com"] {
        let response = app
            .graphql(
                "mutation($input: CreateRegistrationInviteInput!) {
                    createRegistrationInvite(input: $input) { id } }",
                json!({ "input": { "email": email, "sendEmail": false } }),
                Some(&alice),
            )
            .await;
        data(&response);
    }

    let response = app
        .graphql(REGISTRATION_INVITATIONS, json!({}), Some(&alice))
        .await;

    assert_eq!(
        data(&response)["registrationInvitations"],
        json!({ "totalCount": 2,
                "edges": [
                    { "node": { "action": "REGISTER_ACCOUNT", "email": "second@example.com" } },
                    { "node": { "action": "REGISTER_ACCOUNT", "email": "first@example.com" } }
                ],
                "pageInfo": { "hasNextPage": false } })
    );
}

#[tokio::test]
async fn listing_registration_invitations_as_a_regular_user_returns_forbidden() {
    let (app, _alice, bob) = acme_and_bob().await;

    let response = app
        .graphql(REGISTRATION_INVITATIONS, json!({}), Some(&bob))
        .await;

    assert_error_code(&response, "FORBIDDEN");
}
