//! `createOrgInvites`, `createInviteLink` and `createRegistrationInvite`: outcomes per email,
//! permissions, limits and what gets written.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::*;

/// A server with admin `alice` (also the server admin) and org `acme`.
async fn acme() -> (TestApp, String) {
    acme_with(json!({ "name": "acme" })).await
}

async fn acme_with(org: Value) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org_with(&app, &alice, org).await;
    (app, alice)
}

/// (email, code) per error, sorted: the contract does not fix their order.
fn codes(payload: &Value) -> Vec<(String, String)> {
    let mut codes: Vec<(String, String)> = payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list in {payload:#}"))
        .iter()
        .map(|error| (str_of(&error["email"]), str_of(&error["code"])))
        .collect();
    codes.sort();
    codes
}

/// The emails of the created invitations, sorted.
fn created(payload: &Value) -> Vec<String> {
    let mut emails: Vec<String> = invitations_of(payload)
        .iter()
        .map(|invitation| str_of(&invitation["email"]))
        .collect();
    emails.sort();
    emails
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn creating_invites_returns_pending_invitations_with_one_time_links() {
    let (app, alice) = acme().await;
    register(&app, "bob").await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bob@example.com", "carol@example.com"],
        json!({}),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(payload["errors"], json!([]));
    let invitations = invitations_of(payload);
    assert_eq!(invitations.len(), 2);
    let mut tokens = Vec::new();
    for (email, existing) in [("bob@example.com", true), ("carol@example.com", false)] {
        let invitation = invitations
            .iter()
            .find(|invitation| invitation["email"] == email)
            .unwrap_or_else(|| panic!("no invitation for {email} in {payload:#}"));
        assert_eq!(invitation["isExistingUser"], existing);
        assert_eq!(invitation["role"], "MEMBER");
        assert_eq!(invitation["status"], "PENDING");
        assert_eq!(invitation["emailStatus"], "QUEUED");
        let expiry = parse_time(&invitation["expiresAt"]) - (Utc::now() + Duration::days(7));
        assert!(
            expiry.num_seconds().abs() < 60,
            "expiry is not 7 days: {invitation}"
        );
        let link = link_of(&app, invitation).await;
        assert!(link.starts_with(&format!("{PUBLIC_URL}/invite/")), "{link}");
        let token = token_from_link(&link);
        assert_eq!(token.len(), 43, "{link}");
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "token is not base64url: {token}"
        );
        let stored = app
            .count(
                "SELECT COUNT(*) FROM invitations WHERE token_digest = $1",
                vec![token.clone().into()],
            )
            .await;
        assert_eq!(stored, 0, "the raw token must not be stored");
        assert_eq!(
            app.event_kinds(&str_of(&invitation["id"])).await,
            ["CREATED"]
        );
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
    assert_eq!(app.rows("invitations").await, 2);
}

#[tokio::test]
async fn invited_emails_are_trimmed_and_lower_cased() {
    let (app, alice) = acme().await;

    let invites = invite(&app, &alice, "acme", &["  Bob@Example.COM "]).await;

    assert_eq!(invites[0].0, "bob@example.com");
    assert_eq!(
        app.strings("SELECT email FROM invitations", vec![]).await,
        ["bob@example.com"]
    );
}

#[tokio::test]
async fn invalid_emails_are_reported_while_the_valid_ones_are_created() {
    let (app, alice) = acme().await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["good@example.com", "not-an-email", "x@localhost"],
        json!({}),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(created(payload), ["good@example.com"]);
    assert_eq!(
        codes(payload),
        pairs(&[
            ("not-an-email", "INVALID_EMAIL"),
            ("x@localhost", "INVALID_EMAIL")
        ])
    );
    assert_eq!(app.rows("invitations").await, 1);
}

#[tokio::test]
async fn a_repeated_email_is_created_once_and_the_repeat_returns_duplicate_in_request() {
    let (app, alice) = acme().await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["dup@example.com", "other@example.com", " DUP@example.com"],
        json!({}),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(created(payload), ["dup@example.com", "other@example.com"]);
    let errors = codes(payload);
    assert_eq!(errors.len(), 1, "{payload:#}");
    assert_eq!(errors[0].1, "DUPLICATE_IN_REQUEST");
    // Each outcome names the entry as it was sent beside its normalized form.
    assert_eq!(
        (
            &payload["errors"][0]["email"],
            &payload["errors"][0]["input"]
        ),
        (&json!("dup@example.com"), &json!(" DUP@example.com"))
    );
    assert_eq!(app.rows("invitations").await, 2);
}

#[tokio::test]
async fn inviting_a_member_returns_already_member_for_that_email() {
    let (app, alice) = acme().await;
    add_member(&app, &alice, "acme", "bob", "MEMBER").await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bob@example.com", "alice@example.com", "new@example.com"],
        json!({}),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(created(payload), ["new@example.com"]);
    assert_eq!(
        codes(payload),
        pairs(&[
            ("alice@example.com", "ALREADY_MEMBER"),
            ("bob@example.com", "ALREADY_MEMBER")
        ])
    );
}

#[tokio::test]
async fn inviting_an_email_with_a_pending_invitation_returns_already_invited() {
    let (app, alice) = acme().await;
    invite(&app, &alice, "acme", &["bob@example.com"]).await;

    let response = create_org_invites(&app, &alice, "acme", &["Bob@example.com"], json!({})).await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(invitations_of(payload), Vec::<Value>::new());
    assert_eq!(
        codes(payload),
        pairs(&[("bob@example.com", "ALREADY_INVITED")])
    );
    assert_eq!(app.rows("invitations").await, 1);
}

#[tokio::test]
async fn an_email_whose_invitation_expired_can_be_invited_again() {
    let (app, alice) = acme().await;
    let (old_id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    app.expire_invitation(&old_id).await;

    let invites = invite(&app, &alice, "acme", &["bob@example.com"]).await;

    assert_eq!(invites.len(), 1);
    assert_eq!(app.rows("invitations").await, 2);
}

#[tokio::test]
async fn more_than_100_emails_in_one_call_returns_bad_user_input_and_writes_nothing() {
    let (app, alice) = acme().await;
    let emails: Vec<String> = (0..101).map(|i| format!("user{i}@example.com")).collect();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();

    let response = create_org_invites(&app, &alice, "acme", &emails, json!({})).await;

    assert_error_code(&response, "BAD_USER_INPUT");
    assert_eq!(app.rows("invitations").await, 0);
}

#[tokio::test]
async fn the_email_limit_per_call_is_configurable() {
    let app = TestApp::spawn_with(|settings| settings.bulk_limit = 2).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let three = create_org_invites(
        &app,
        &alice,
        "acme",
        &["a@example.com", "b@example.com", "c@example.com"],
        json!({}),
    )
    .await;
    let two = invite(&app, &alice, "acme", &["a@example.com", "b@example.com"]).await;

    assert_error_code(&three, "BAD_USER_INPUT");
    assert_eq!(two.len(), 2);
}

#[tokio::test]
async fn validate_only_reports_outcomes_and_creates_nothing() {
    let (app, alice) = acme().await;
    add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let before = app.rows("invitations").await;
    let events_before = app.rows("invitation_events").await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &[
            "new@example.com",
            "bob@example.com",
            "bad",
            "New@example.com",
        ],
        json!({ "validateOnly": true }),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(payload["invitations"], json!([]));
    assert_eq!(payload["validEmails"], json!(["new@example.com"]));
    let mut errors: Vec<String> = codes(payload).into_iter().map(|(_, code)| code).collect();
    errors.sort();
    assert_eq!(
        errors,
        ["ALREADY_MEMBER", "DUPLICATE_IN_REQUEST", "INVALID_EMAIL"]
    );
    assert_eq!(app.rows("invitations").await, before);
    assert_eq!(app.rows("invitation_events").await, events_before);
}

#[tokio::test]
async fn an_admin_can_invite_admins_and_visitors() {
    let (app, alice) = acme().await;

    for role in ["ADMIN", "VISITOR"] {
        let email = format!("{}@example.com", role.to_lowercase());
        let response =
            create_org_invites(&app, &alice, "acme", &[&email], json!({ "role": role })).await;
        assert_eq!(
            invitations_of(&data(&response)["createOrgInvites"])[0]["role"],
            role
        );
    }
}

#[tokio::test]
async fn a_member_inviting_without_members_can_invite_returns_forbidden() {
    let (app, alice) = acme().await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let before = app.rows("invitations").await;

    let response = create_org_invites(
        &app,
        &bob,
        "acme",
        &["x@example.com"],
        json!({ "role": "VISITOR" }),
    )
    .await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(app.rows("invitations").await, before);
}

#[tokio::test]
async fn a_member_may_invite_up_to_member_when_members_can_invite() {
    let (app, alice) = acme_with(json!({ "name": "acme", "membersCanInvite": true })).await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;

    let visitor = create_org_invites(
        &app,
        &bob,
        "acme",
        &["v@example.com"],
        json!({ "role": "VISITOR" }),
    )
    .await;
    let member = create_org_invites(
        &app,
        &bob,
        "acme",
        &["m@example.com"],
        json!({ "role": "MEMBER" }),
    )
    .await;
    let admin = create_org_invites(
        &app,
        &bob,
        "acme",
        &["a@example.com"],
        json!({ "role": "ADMIN" }),
    )
    .await;

    assert_eq!(
        invitations_of(&data(&visitor)["createOrgInvites"])[0]["role"],
        "VISITOR"
    );
    assert_eq!(
        invitations_of(&data(&member)["createOrgInvites"])[0]["role"],
        "MEMBER"
    );
    assert_error_code(&admin, "FORBIDDEN");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE email = 'a@example.com'",
            vec![]
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_non_member_inviting_finds_no_organization() {
    let (app, _alice) = acme().await;
    let (mallory, _) = register(&app, "mallory").await;

    let response = create_org_invites(&app, &mallory, "acme", &["x@example.com"], json!({})).await;

    // To an outsider the organization does not exist: the same answer as an unknown name.
    assert_error_code(&response, "NOT_FOUND");
    assert_eq!(app.rows("invitations").await, 0);
}

#[tokio::test]
async fn inviting_anonymously_returns_unauthenticated() {
    let (app, _alice) = acme().await;

    let response = app
        .graphql(
            CREATE_ORG_INVITES,
            json!({ "input": { "org": { "name": "acme" }, "emails": ["x@example.com"] } }),
            None,
        )
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
}

#[tokio::test]
async fn inviting_to_an_unknown_organization_returns_not_found() {
    let (app, alice) = acme().await;

    let response = create_org_invites(&app, &alice, "nope", &["x@example.com"], json!({})).await;

    assert_error_code(&response, "NOT_FOUND");
}

#[tokio::test]
async fn an_expiry_in_the_past_or_beyond_30_days_returns_bad_user_input() {
    let (app, alice) = acme().await;

    for offset in [Duration::hours(-1), Duration::days(31)] {
        let response = create_org_invites(
            &app,
            &alice,
            "acme",
            &["x@example.com"],
            json!({ "expiresAt": from_now(offset) }),
        )
        .await;
        assert_error_code(&response, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows("invitations").await, 0);
}

#[tokio::test]
async fn an_expiry_within_30_days_is_kept() {
    let (app, alice) = acme().await;
    let wanted = Utc::now() + Duration::days(29);

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["x@example.com"],
        json!({ "expiresAt": wanted.to_rfc3339() }),
    )
    .await;

    let invitation = &invitations_of(&data(&response)["createOrgInvites"])[0];
    let drift = parse_time(&invitation["expiresAt"]) - wanted;
    assert!(drift.num_seconds().abs() < 2, "{invitation}");
}

#[tokio::test]
async fn invites_without_send_email_are_not_queued() {
    let (app, alice) = acme().await;

    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["x@example.com"],
        json!({ "sendEmail": false }),
    )
    .await;

    assert_eq!(
        invitations_of(&data(&response)["createOrgInvites"])[0]["emailStatus"],
        "NOT_REQUESTED"
    );
}

#[tokio::test]
async fn the_personal_message_and_inviter_are_shown_with_the_invitation() {
    let (app, alice) = acme().await;
    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["x@example.com"],
        json!({ "message": "Welcome aboard <3" }),
    )
    .await;
    let link = link_of(
        &app,
        &invitations_of(&data(&response)["createOrgInvites"])[0],
    )
    .await;

    let shown = invitation(&app, &token_from_link(&link), None).await;

    let shown = &data(&shown)["invitation"];
    assert_eq!(shown["message"], "Welcome aboard <3");
    assert_eq!(shown["invitedBy"]["username"], "alice");
    assert_eq!(shown["organization"]["name"], "acme");
}

#[tokio::test]
async fn a_database_failure_returns_internal_server_error_without_details() {
    let (app, alice) = acme().await;
    // Webhook deliveries refer to the events: PostgreSQL drops that reference too.
    let drop = if uses_postgres() {
        "DROP TABLE invitation_events CASCADE"
    } else {
        "DROP TABLE invitation_events"
    };
    app.execute(drop, vec![]).await;

    let response = create_org_invites(&app, &alice, "acme", &["x@example.com"], json!({})).await;

    assert_error_code(&response, "INTERNAL_SERVER_ERROR");
    let body = response.to_string().to_lowercase();
    for leak in [
        "invitation_events",
        "sql",
        "no such table",
        "relation",
        "insert",
    ] {
        assert!(!body.contains(leak), "{leak:?} leaked in {response:#}");
    }
    assert_eq!(app.rows("invitations").await, 0);
}

#[tokio::test]
async fn every_error_carries_a_code_even_for_invalid_queries() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql("{ serverInfo { noSuchField } }", json!({}), None)
        .await;

    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {response:#}"));
    assert!(!errors.is_empty());
    for error in errors {
        assert!(
            error["extensions"]["code"]
                .as_str()
                .is_some_and(|code| !code.is_empty()),
            "error without a code in {response:#}"
        );
    }
}

// ---- createInviteLink ----

#[tokio::test]
async fn an_invite_link_without_max_uses_is_an_unlimited_open_link() {
    let (app, alice) = acme().await;

    let response = create_invite_link(&app, &alice, "acme", json!({})).await;

    let link = &data(&response)["createInviteLink"];
    assert_eq!(link["action"], "JOIN_ORG");
    assert_eq!(link["email"], json!(null));
    assert_eq!(link["role"], "MEMBER");
    assert_eq!(link["status"], "PENDING");
    assert_eq!(link["maxUses"], json!(null));
    assert_eq!(link["usesRemaining"], json!(null));
    assert_eq!(link["usageCount"], 0);
    assert_eq!(link["organization"]["name"], "acme");
    assert_eq!(token_from_link(&str_of(&link["invitationLink"])).len(), 43);
    assert_eq!(app.event_kinds(&str_of(&link["id"])).await, ["CREATED"]);
}

#[tokio::test]
async fn an_invite_link_keeps_its_max_uses_and_role() {
    let (app, alice) = acme().await;

    let response = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "maxUses": 3, "role": "VISITOR" }),
    )
    .await;

    let link = &data(&response)["createInviteLink"];
    assert_eq!(link["maxUses"], 3);
    assert_eq!(link["usesRemaining"], 3);
    assert_eq!(link["role"], "VISITOR");
}

#[tokio::test]
async fn an_invite_link_with_max_uses_below_1_returns_bad_user_input() {
    let (app, alice) = acme().await;

    for max_uses in [0, -1] {
        let response =
            create_invite_link(&app, &alice, "acme", json!({ "maxUses": max_uses })).await;
        assert_error_code(&response, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows("invitations").await, 0);
}

#[tokio::test]
async fn a_member_creating_an_invite_link_returns_forbidden() {
    let (app, alice) = acme().await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let before = app.rows("invitations").await;

    let response = create_invite_link(&app, &bob, "acme", json!({})).await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(app.rows("invitations").await, before);
}

// ---- createRegistrationInvite ----

const CREATE_REGISTRATION_INVITE: &str = "mutation($input: CreateRegistrationInviteInput!) {
  createRegistrationInvite(input: $input) {
    id action email role status maxUses invitationLink emailStatus organization { name } } }";

#[tokio::test]
async fn a_server_admin_creates_a_registration_invite() {
    let (app, alice) = acme().await;

    let response = app
        .graphql(
            CREATE_REGISTRATION_INVITE,
            json!({ "input": { "email": "New@Example.com" } }),
            Some(&alice),
        )
        .await;

    let invite = &data(&response)["createRegistrationInvite"];
    assert_eq!(invite["action"], "REGISTER_ACCOUNT");
    assert_eq!(invite["email"], "new@example.com");
    assert_eq!(invite["status"], "PENDING");
    assert_eq!(invite["organization"], json!(null));
    assert_eq!(invite["emailStatus"], "QUEUED");
    assert_eq!(token_from_link(&link_of(&app, invite).await).len(), 43);
    assert_eq!(app.event_kinds(&str_of(&invite["id"])).await, ["CREATED"]);
}

#[tokio::test]
async fn a_user_who_is_not_server_admin_creating_a_registration_invite_returns_forbidden() {
    let (app, alice) = acme().await;
    let bob = add_member(&app, &alice, "acme", "bob", "ADMIN").await;
    let before = app.rows("invitations").await;

    let response = app
        .graphql(
            CREATE_REGISTRATION_INVITE,
            json!({ "input": { "email": "new@example.com", "org": { "name": "acme" } } }),
            Some(&bob),
        )
        .await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(app.rows("invitations").await, before);
}
