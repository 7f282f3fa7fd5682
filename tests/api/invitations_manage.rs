//! What org admins do with invitations after creating them (`service/invitations/manage.rs`):
//! cancel and resend.

use chrono::{Duration, Utc};
use serde_json::{Value as Json, json};

use crate::support::*;

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
    let new_token = token_from_link(&link_of(&app, resent).await);
    assert_eq!(new_token.len(), 43);
    assert_ne!(new_token, old_token);

    let old = app
        .graphql(
            "query($token: String!) { invitation(token: $token) { id tokenSuperseded nextStep } }",
            json!({ "token": old_token }),
            Some(&bob),
        )
        .await;
    assert_eq!(
        data(&old)["invitation"],
        json!({ "id": id, "tokenSuperseded": true, "nextStep": "REQUEST_NEW" })
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

/// Schemathesis sent `resend` the same email three times: the second renewal started from the
/// row read before the first and hit the unique token digest, an `INTERNAL_SERVER_ERROR` that
/// rolled back the whole call. Now each invitation is renewed once and every repeat, by email
/// (also once normalised) or by id, gets a `DUPLICATE_IN_REQUEST` entry in `errors`.
#[tokio::test]
async fn resend_naming_an_invitation_twice_renews_it_once() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register(&app, "bob").await;
    let (id, first_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let response = resend(
        &app,
        &alice,
        json!({
            "org": { "name": "acme" },
            "emails": ["bob@example.com", "bob@example.com", " BOB@example.com"],
            "sendEmail": false
        }),
    )
    .await;
    let payload = &data(&response)["resend"];
    assert_eq!(payload["invitations"].as_array().unwrap().len(), 1);
    assert_eq!(payload["invitations"][0]["id"], id.as_str());
    let codes: Vec<&Json> = payload["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| &error["code"])
        .collect();
    assert_eq!(codes, ["DUPLICATE_IN_REQUEST", "DUPLICATE_IN_REQUEST"]);
    let second_token = token_from_link(&str_of(&payload["invitations"][0]["invitationLink"]));
    assert_eq!(
        data(&invitation(&app, &first_token, None).await)["invitation"]["status"],
        "PENDING"
    );

    let response = resend(&app, &alice, json!({ "ids": [id, id], "sendEmail": false })).await;
    let payload = &data(&response)["resend"];
    assert_eq!(payload["invitations"].as_array().unwrap().len(), 1);
    assert_eq!(payload["errors"][0]["code"], "DUPLICATE_IN_REQUEST");
    assert_eq!(payload["errors"][0]["id"], id.as_str());
    assert_error_code(
        &accept(&app, &bob, &second_token).await,
        "INVITATION_SUPERSEDED",
    );
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "RESENT", "RESENT"]);
}

const PAUSE: &str =
    "mutation($id: ID!) { pauseInviteLink(id: $id) { paused pausedAt usageCount } }";
const RESUME: &str =
    "mutation($id: ID!) { resumeInviteLink(id: $id) { paused pausedAt usageCount } }";
const REGENERATE: &str = "mutation($id: ID!) {
  regenerateInviteLink(id: $id) { paused usageCount maxUses invitationLink } }";

#[tokio::test]
async fn admins_pause_resume_and_regenerate_a_link_and_its_count_carries_on() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (link_id, token) = create_link(&app, &alice, "acme", Some(5)).await;
    let joiner = |name: &'static str| {
        let app = &app;
        async move { register(app, name).await.0 }
    };
    let (bob, carol, dave) = (
        joiner("bob").await,
        joiner("carol").await,
        joiner("dave").await,
    );
    data(&accept(&app, &bob, &token).await);
    let act = |query: &'static str| {
        let (app, alice, id) = (&app, &alice, &link_id);
        async move { app.graphql(query, json!({ "id": id }), Some(alice)).await }
    };

    let paused = act(PAUSE).await;
    assert_eq!(data(&paused)["pauseInviteLink"]["paused"], true);
    assert_eq!(data(&paused)["pauseInviteLink"]["usageCount"], 1);
    // Pausing again changes nothing (and logs nothing).
    let again = act(PAUSE).await;
    assert_eq!(
        data(&again)["pauseInviteLink"]["pausedAt"],
        data(&paused)["pauseInviteLink"]["pausedAt"]
    );
    assert_error_code(&accept(&app, &carol, &token).await, "INVITATION_PAUSED");
    let preview = app
        .graphql(
            "query($token: String!) { invitation(token: $token) { status paused nextStep } }",
            json!({ "token": token }),
            Some(&carol),
        )
        .await;
    assert_eq!(
        data(&preview)["invitation"],
        json!({ "status": "PENDING", "paused": true, "nextStep": "REQUEST_NEW" })
    );

    let resumed = act(RESUME).await;
    assert_eq!(
        data(&resumed)["resumeInviteLink"],
        json!({ "paused": false, "pausedAt": null, "usageCount": 1 })
    );
    data(&accept(&app, &carol, &token).await);

    let regenerated = act(REGENERATE).await;
    let regenerated = &data(&regenerated)["regenerateInviteLink"];
    assert_eq!(regenerated["usageCount"], 2);
    assert_eq!(regenerated["maxUses"], 5);
    let fresh = token_from_link(&str_of(&regenerated["invitationLink"]));
    assert_ne!(fresh, token);
    assert_error_code(&accept(&app, &dave, &token).await, "INVITATION_SUPERSEDED");
    let joined = accept(&app, &dave, &fresh).await;
    assert_eq!(
        data(&joined)["acceptInvitation"]["invitation"]["usageCount"],
        3
    );

    // Each change is one event of the link, in order.
    let log = app
        .graphql(
            "{ orgEvents(org: { name: \"acme\" }, kinds: [PAUSED, RESUMED, REGENERATED]) {
                nodes { kind actor { username } invitation { id } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    let kinds: Vec<String> = data(&log)["orgEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            assert_eq!(event["actor"]["username"], "alice");
            assert_eq!(event["invitation"]["id"], json!(link_id));
            str_of(&event["kind"])
        })
        .collect();
    assert_eq!(kinds, ["REGENERATED", "RESUMED", "PAUSED"]);

    // Email invitations are cancelled or resent instead.
    let (emailed, _) = invite_one(&app, &alice, "acme", "erin@example.com").await;
    assert_error_code(
        &app.graphql(PAUSE, json!({ "id": emailed }), Some(&alice))
            .await,
        "BAD_USER_INPUT",
    );
}
