//! The invitation lifecycle beyond create, accept and cancel: expiry as an event and its
//! reminder, links that never expire, per-email roles, what happens to people who are already
//! members, and what an invitation carries for the invitee's app (`redirectUrl`, `metadata`).

use chrono::{Duration, Utc};
use serde_json::{Value as Json, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

async fn sweep(app: &TestApp) -> doorman::service::expiry::Swept {
    doorman::service::expiry::sweep(app.ctx(), Utc::now())
        .await
        .expect("the expiry sweep runs")
}

async fn stored(app: &TestApp, column: &str, id: &str) -> Vec<String> {
    app.strings(
        &format!("SELECT CAST({column} AS TEXT) FROM invitations WHERE id = $1"),
        vec![db_id(id).into()],
    )
    .await
}

// ---- expiry ----

#[tokio::test]
async fn the_sweep_expires_due_invitations_once_with_an_event_subscribers_see() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    create_org(&app, &alice, "probe").await;
    let (due, _) = invite_one(&app, &alice, "acme", "due@example.com").await;
    let (later, _) = invite_one(&app, &alice, "acme", "later@example.com").await;
    let mut feed = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;
    feed.subscribe(
        "expired",
        "subscription { orgEvents(org: { name: \"acme\" }, kinds: [EXPIRED]) {
            kind invitation { id status } } }",
        json!({}),
    )
    .await;
    feed.wait_until_live(&app, &alice, "probe").await;
    app.expire_invitation(&due).await;

    let first = sweep(&app).await;
    let second = sweep(&app).await;

    assert_eq!((first.expired, second.expired), (1, 0));
    assert_eq!(stored(&app, "status", &due).await, ["EXPIRED"]);
    assert_eq!(stored(&app, "status", &later).await, ["PENDING"]);
    assert_eq!(app.event_kinds(&due).await, ["CREATED", "EXPIRED"]);
    // Its email had not gone out yet: it never will.
    assert_eq!(stored(&app, "email_status", &due).await, ["NOT_REQUESTED"]);
    let undelivered = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE invitation_id = $1 AND status <> 'CANCELLED'",
            vec![db_id(&due).into()],
        )
        .await;
    assert_eq!(undelivered, 0);
    let event = feed.next_data("expired").await;
    assert_eq!(
        event["orgEvents"],
        json!({ "kind": "EXPIRED", "invitation": { "id": due, "status": "EXPIRED" } })
    );
    let listed = app
        .graphql(
            "{ orgInvitations(org: { name: \"acme\" }, status: [EXPIRED]) { nodes { id } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&listed)["orgInvitations"]["nodes"],
        json!([{ "id": due }])
    );
    assert_eq!(metric(&app, "doorman_invitations_expired_total").await, 1.0);
}

#[tokio::test]
async fn the_server_sweeps_on_its_own_every_period() {
    let app = TestApp::spawn_with(|settings| settings.lifecycle.expiry_sweep_seconds = 1).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, _) = invite_one(&app, &alice, "acme", "due@example.com").await;
    app.expire_invitation(&id).await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored(&app, "status", &id).await != ["EXPIRED"] {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweep did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "EXPIRED"]);
}

#[tokio::test]
async fn an_expired_invitation_is_refused_and_a_resend_revives_it() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    app.expire_invitation(&id).await;
    sweep(&app).await;

    let refused = accept(&app, &bob, &token).await;
    let resent = resend(&app, &alice, json!({ "ids": [id] })).await;

    assert_error_code(&refused, "INVITATION_EXPIRED");
    assert_eq!(data(&resent)["resend"]["errors"], json!([]));
    assert_eq!(stored(&app, "status", &id).await, ["PENDING"]);
    let new_token =
        token_from_link(&link_of(&app, &invitations_of(&data(&resent)["resend"])[0]).await);
    data(&accept(&app, &bob, &new_token).await);
    assert_eq!(
        app.event_kinds(&id).await,
        ["CREATED", "EXPIRED", "RESENT", "ACCEPTED"]
    );
}

#[tokio::test]
async fn a_reminder_goes_once_before_expiry_with_a_new_link_through_the_outbox() {
    let app = TestApp::spawn_with(|settings| {
        settings.lifecycle.reminder_before_hours = Some(24);
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register_email(&app, "bob", "bob@example.com").await;
    let (id, old_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let (fresh, _) = invite_one(&app, &alice, "acme", "fresh@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 2);
    // Sent three days ago, expiring in twelve hours; the other was sent just now and expires
    // in twelve hours too, which leaves it nothing to remind.
    for (invitation, sent) in [(&id, Utc::now() - Duration::days(3)), (&fresh, Utc::now())] {
        app.execute(
            "UPDATE invitations SET last_sent_at = $1, expires_at = $2 WHERE id = $3",
            vec![
                sent.into(),
                (Utc::now() + Duration::hours(12)).into(),
                db_id(invitation).into(),
            ],
        )
        .await;
    }

    let first = sweep(&app).await;
    let second = sweep(&app).await;

    assert_eq!((first.reminded, second.reminded), (2, 0));
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "REMINDED"]);
    assert_eq!(app.event_kinds(&fresh).await, ["CREATED"]);
    assert_error_code(
        &accept(&app, &bob, &old_token).await,
        "INVITATION_SUPERSEDED",
    );
    let new_link = link_of(&app, &json!({ "id": id })).await;
    assert_eq!(app.deliver_due_emails().await, 1);
    // The subjects as they were sent.
    let subjects = app
        .strings(
            "SELECT subject FROM email_outbox WHERE invitation_id = $1 ORDER BY id",
            vec![db_id(&id).into()],
        )
        .await;
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(subjects[1], format!("Reminder: {}", subjects[0]));
    let accepted = accept(&app, &bob, &token_from_link(&new_link)).await;
    assert_eq!(
        data(&accepted)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
}

// ---- links that never expire ----

#[tokio::test]
async fn a_link_may_never_expire_only_where_the_server_allows_it() {
    let strict = TestApp::spawn().await;
    let (alice, _) = register(&strict, "alice").await;
    create_org(&strict, &alice, "acme").await;
    let refused = create_invite_link(&strict, &alice, "acme", json!({ "expiresAt": null })).await;
    assert_error_code(&refused, "BAD_USER_INPUT");
    assert_eq!(
        refused["errors"][0]["extensions"]["limit"],
        "DOORMAN_INVITATION_MAX_EXPIRY_DAYS"
    );

    let app = TestApp::spawn_with(|settings| {
        settings.invitation_max_expiry_days = "none".parse().expect("none is a value");
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (carol, _) = register(&app, "carol").await;
    let created = create_invite_link(&app, &alice, "acme", json!({ "expiresAt": null })).await;
    let link = &data(&created)["createInviteLink"];
    assert_eq!(link["expiresAt"], Json::Null);
    let defaulted = create_invite_link(&app, &alice, "acme", json!({})).await;
    assert!(data(&defaulted)["createInviteLink"]["expiresAt"].is_string());
    // An email invitation keeps an expiry even here.
    let email = create_org_invites(
        &app,
        &alice,
        "acme",
        &["dave@example.com"],
        json!({ "expiresAt": from_now(Duration::days(3000)) }),
    )
    .await;
    assert!(invitations_of(&data(&email)["createOrgInvites"])[0]["expiresAt"].is_string());

    assert_eq!(sweep(&app).await.expired, 0);
    let token = token_from_link(&str_of(&link["invitationLink"]));
    let accepted = accept(&app, &carol, &token).await;
    assert_eq!(
        data(&accepted)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
    let shown = invitation(&app, &token, None).await;
    assert_eq!(data(&shown)["invitation"]["expiresAt"], Json::Null);
}

// ---- per-email roles and notes ----

const BULK: &str = "mutation($input: CreateOrgInvitesInput!) { createOrgInvites(input: $input) {
    invitations { email role message }
    errors { input code }
    members { email input roleBefore role userId }
    validEmails } }";

async fn bulk(app: &TestApp, token: &str, input: Json) -> Json {
    let mut full = json!({ "org": { "name": "acme" } });
    if let (Some(full), Some(input)) = (full.as_object_mut(), input.as_object()) {
        full.extend(input.clone());
    }
    app.graphql(BULK, json!({ "input": full }), Some(token))
        .await
}

#[tokio::test]
async fn each_entry_may_carry_its_own_role_and_note() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let response = bulk(
        &app,
        &alice,
        json!({
            "emails": ["plain@example.com"],
            "invites": [
                { "email": "Boss@Example.com", "role": "ADMIN" },
                { "email": "guest@example.com", "role": "VISITOR", "message": "Welcome, guest" },
                { "email": "plain@example.com", "role": "ADMIN" },
            ],
            "message": "Hello from acme",
        }),
    )
    .await;

    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(
        payload["invitations"],
        json!([
            { "email": "plain@example.com", "role": "MEMBER", "message": "Hello from acme" },
            { "email": "boss@example.com", "role": "ADMIN", "message": "Hello from acme" },
            { "email": "guest@example.com", "role": "VISITOR", "message": "Welcome, guest" },
        ])
    );
    assert_eq!(
        payload["errors"],
        json!([{ "input": "plain@example.com", "code": "DUPLICATE_IN_REQUEST" }])
    );
}

#[tokio::test]
async fn an_entry_above_what_the_inviter_may_grant_refuses_the_whole_call() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "membersCanInvite": true }),
    )
    .await;
    let member = add_member(&app, &alice, "acme", "mia", "MEMBER").await;

    let response = bulk(
        &app,
        &member,
        json!({ "invites": [
            { "email": "ok@example.com" },
            { "email": "boss@example.com", "role": "ADMIN" },
        ] }),
    )
    .await;

    assert_error_code(&response, "FORBIDDEN");
    let created = app
        .count(
            "SELECT COUNT(*) FROM invitations WHERE email = 'ok@example.com'",
            vec![],
        )
        .await;
    assert_eq!(created, 0);
}

#[tokio::test]
async fn the_entries_together_are_bounded_by_the_bulk_limit() {
    let app = TestApp::spawn_with(|settings| settings.bulk_limit = 3).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let response = bulk(
        &app,
        &alice,
        json!({
            "emails": ["a@example.com", "b@example.com"],
            "invites": [{ "email": "c@example.com" }, { "email": "d@example.com" }],
        }),
    )
    .await;

    assert_error_code(&response, "BAD_USER_INPUT");
    assert_eq!(
        response["errors"][0]["extensions"]["limit"],
        "DOORMAN_BULK_LIMIT"
    );
    assert_error_code(&bulk(&app, &alice, json!({})).await, "BAD_USER_INPUT");
}

// ---- people who are already members ----

#[tokio::test]
async fn existing_members_get_an_error_are_skipped_or_are_upgraded_never_lowered() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let vera = add_member(&app, &alice, "acme", "vera", "VISITOR").await;
    let adam = add_member(&app, &alice, "acme", "adam", "ADMIN").await;
    let vera_id = user_id_of(&app, &vera).await;
    let emails = json!(["vera@example.com", "adam@example.com", "new@example.com"]);

    let error = bulk(
        &app,
        &alice,
        json!({ "emails": emails, "validateOnly": true }),
    )
    .await;
    let skip = bulk(
        &app,
        &alice,
        json!({ "emails": emails, "onExistingMember": "SKIP", "validateOnly": true }),
    )
    .await;
    let upgrade = bulk(
        &app,
        &alice,
        json!({ "emails": emails, "onExistingMember": "UPGRADE_ROLE", "role": "MEMBER" }),
    )
    .await;

    let codes: Vec<Json> = data(&error)["createOrgInvites"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].clone())
        .collect();
    assert_eq!(codes, [json!("ALREADY_MEMBER"), json!("ALREADY_MEMBER")]);
    let skipped = &data(&skip)["createOrgInvites"];
    assert_eq!(skipped["errors"], json!([]));
    assert_eq!(skipped["validEmails"], json!(["new@example.com"]));
    let roles = |payload: &Json| -> Vec<(Json, Json)> {
        payload["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| (m["roleBefore"].clone(), m["role"].clone()))
            .collect()
    };
    assert_eq!(
        roles(skipped),
        [
            (json!("VISITOR"), json!("VISITOR")),
            (json!("ADMIN"), json!("ADMIN"))
        ]
    );
    let upgraded = &data(&upgrade)["createOrgInvites"];
    assert_eq!(
        roles(upgraded),
        [
            (json!("VISITOR"), json!("MEMBER")),
            (json!("ADMIN"), json!("ADMIN"))
        ]
    );
    assert_eq!(upgraded["members"][0]["userId"], vera_id.as_str());
    assert_eq!(
        upgraded["invitations"],
        json!([{ "email": "new@example.com", "role": "MEMBER", "message": null }])
    );
    let logged = app
        .strings(
            "SELECT kind FROM invitation_events WHERE subject_id = $1",
            vec![db_id(&vera_id).into()],
        )
        .await;
    assert_eq!(logged, ["MEMBER_ROLE_CHANGED"]);
    let role = app
        .graphql("{ me { memberships { role } } }", json!({}), Some(&vera))
        .await;
    assert_eq!(
        data(&role)["me"]["memberships"],
        json!([{ "role": "MEMBER" }])
    );
    drop(adam);
}

#[tokio::test]
async fn only_organization_admins_may_upgrade_existing_members() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "membersCanInvite": true }),
    )
    .await;
    let member = add_member(&app, &alice, "acme", "mia", "MEMBER").await;
    add_member(&app, &alice, "acme", "vera", "VISITOR").await;

    let response = bulk(
        &app,
        &member,
        json!({ "emails": ["vera@example.com"], "onExistingMember": "UPGRADE_ROLE" }),
    )
    .await;

    assert_error_code(&response, "FORBIDDEN");
}

// ---- redirectUrl and metadata ----

fn with_redirects(settings: &mut doorman::config::Settings) {
    settings.lifecycle.redirect_origins = vec!["https://app.example.com".to_owned()];
}

#[tokio::test]
async fn a_link_carries_its_redirect_and_metadata_to_the_membership() {
    let app = TestApp::spawn_with(with_redirects).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (carol, _) = register(&app, "carol").await;
    let metadata = json!({ "team": "blue", "seat": { "kind": "full" } });
    let created = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "redirectUrl": "https://app.example.com/welcome?from=invite", "metadata": metadata }),
    )
    .await;
    let token = token_from_link(&str_of(
        &data(&created)["createInviteLink"]["invitationLink"],
    ));

    let preview = app
        .graphql(
            "query($token: String!) { invitation(token: $token) { redirectUrl metadata } }",
            json!({ "token": token }),
            None,
        )
        .await;
    let accepted = app
        .graphql(
            "mutation($token: String!) { acceptInvitation(token: $token) {
                redirectUrl membership { metadata } } }",
            json!({ "token": token }),
            Some(&carol),
        )
        .await;
    let members = app
        .graphql(
            "{ organization(org: { name: \"acme\" }) { members { nodes { user { username } metadata } } } }",
            json!({}),
            Some(&alice),
        )
        .await;

    assert_eq!(
        data(&preview)["invitation"],
        json!({ "redirectUrl": "https://app.example.com/welcome?from=invite", "metadata": null })
    );
    let accepted = &data(&accepted)["acceptInvitation"];
    assert_eq!(
        accepted["redirectUrl"],
        "https://app.example.com/welcome?from=invite"
    );
    // Carol is a member, not an admin: the metadata is for admins.
    assert_eq!(accepted["membership"]["metadata"], Json::Null);
    let nodes = data(&members)["organization"]["members"]["nodes"].clone();
    let carols = nodes
        .as_array()
        .expect("members")
        .iter()
        .find(|node| node["user"]["username"] == "carol")
        .cloned()
        .expect("carol is listed");
    assert_eq!(carols["metadata"], metadata);
}

#[tokio::test]
async fn redirects_off_the_allowed_origins_and_bad_metadata_are_refused() {
    let app = TestApp::spawn_with(with_redirects).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    for extra in [
        json!({ "redirectUrl": "https://evil.example.net/" }),
        json!({ "redirectUrl": "javascript:alert(1)" }),
        json!({ "redirectUrl": "https://app.example.com.evil.net/" }),
        json!({ "metadata": [1, 2, 3] }),
        json!({ "metadata": { "blob": "x".repeat(5000) } }),
    ] {
        let response = create_invite_link(&app, &alice, "acme", extra.clone()).await;
        assert_error_code(&response, "BAD_USER_INPUT");
        let emailed = create_org_invites(&app, &alice, "acme", &["x@example.com"], extra).await;
        assert_error_code(&emailed, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows("invitations").await, 0);
    let off = TestApp::spawn().await;
    let (alice, _) = register(&off, "alice").await;
    create_org(&off, &alice, "acme").await;
    let response = create_invite_link(
        &off,
        &alice,
        "acme",
        json!({ "redirectUrl": "https://app.example.com/" }),
    )
    .await;
    assert_eq!(
        response["errors"][0]["extensions"]["limit"],
        "DOORMAN_REDIRECT_ORIGINS"
    );
}

#[tokio::test]
async fn an_emailed_invitation_copies_its_metadata_to_the_membership() {
    let (app, alice, bob) = acme_and_bob().await;
    let created = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bob@example.com"],
        json!({ "metadata": { "crm": "C-42" } }),
    )
    .await;
    let invitation = &invitations_of(&data(&created)["createOrgInvites"])[0];
    let token = token_from_link(&link_of(&app, invitation).await);

    data(&accept(&app, &bob, &token).await);

    let stored = app
        .strings(
            "SELECT metadata FROM memberships WHERE metadata IS NOT NULL",
            vec![],
        )
        .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        serde_json::from_str::<Json>(&stored[0]).expect("JSON"),
        json!({ "crm": "C-42" })
    );
}

async fn user_id_of(app: &TestApp, token: &str) -> String {
    let me = app.graphql("{ me { id } }", json!({}), Some(token)).await;
    str_of(&data(&me)["me"]["id"])
}

// ---- resend by filter ----

const RESEND: &str = "mutation($input: ResendInput!) { resend(input: $input) {
    count invitations { email } errors { email code } } }";

async fn resend_where(app: &TestApp, token: &str, filter: Json, validate_only: bool) -> Json {
    let input =
        json!({ "org": { "name": "acme" }, "filter": filter, "validateOnly": validate_only });
    app.graphql(RESEND, json!({ "input": input }), Some(token))
        .await
}

#[tokio::test]
async fn resend_by_filter_picks_by_domain_date_and_delivery_with_a_dry_run() {
    let app = TestApp::spawn_with(|settings| settings.bulk_limit = 3).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let invited = invite(
        &app,
        &alice,
        "acme",
        &["ann@corp.example", "ben@corp.example", "cy@other.example"],
    )
    .await;
    assert_eq!(invited.len(), 3);
    app.execute(
        "UPDATE invitations SET email_status = 'FAILED' WHERE email = 'ben@corp.example'",
        vec![],
    )
    .await;
    app.execute(
        "UPDATE invitations SET created_at = $1 WHERE email = 'ann@corp.example'",
        vec![(Utc::now() - Duration::days(10)).into()],
    )
    .await;
    app.execute("UPDATE invitations SET last_sent_at = NULL", vec![])
        .await;

    let dry_run = resend_where(&app, &alice, json!({ "emailDomain": "corp.example" }), true).await;
    let events_after_dry_run = app.rows("invitation_events").await;
    let failed = resend_where(
        &app,
        &alice,
        json!({ "emailDomain": "@Corp.Example", "emailStatus": ["FAILED"] }),
        false,
    )
    .await;
    let old = resend_where(
        &app,
        &alice,
        json!({ "createdBefore": from_now(-Duration::days(1)) }),
        false,
    )
    .await;

    assert_eq!(
        data(&dry_run)["resend"],
        json!({ "count": 2, "invitations": [], "errors": [] })
    );
    assert_eq!(events_after_dry_run, 3, "a dry run changes nothing");
    assert_eq!(
        data(&failed)["resend"],
        json!({ "count": 1, "invitations": [{ "email": "ben@corp.example" }], "errors": [] })
    );
    assert_eq!(
        data(&old)["resend"]["invitations"],
        json!([{ "email": "ann@corp.example" }])
    );
    let resent = app
        .count(
            "SELECT COUNT(*) FROM invitation_events WHERE kind = 'RESENT'",
            vec![],
        )
        .await;
    assert_eq!(resent, 2);
}

#[tokio::test]
async fn resend_by_filter_is_bounded_checked_and_for_admins() {
    let app = TestApp::spawn_with(|settings| settings.bulk_limit = 2).await;
    let (alice, _) = register(&app, "alice").await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "membersCanInvite": true }),
    )
    .await;
    let member = add_member(&app, &alice, "acme", "mia", "MEMBER").await;
    invite(&app, &alice, "acme", &["a@x.example", "b@x.example"]).await;
    invite(&app, &alice, "acme", &["c@x.example"]).await;

    let too_many = resend_where(&app, &alice, json!({ "emailDomain": "x.example" }), true).await;
    let closed = resend_where(&app, &alice, json!({ "status": ["ACCEPTED"] }), true).await;
    let bad_domain = resend_where(&app, &alice, json!({ "emailDomain": "a b%" }), true).await;
    let by_member = resend_where(&app, &member, json!({}), true).await;

    assert_error_code(&too_many, "BAD_USER_INPUT");
    assert_eq!(
        too_many["errors"][0]["extensions"]["limit"],
        "DOORMAN_BULK_LIMIT"
    );
    assert_error_code(&closed, "BAD_USER_INPUT");
    assert_error_code(&bad_domain, "BAD_USER_INPUT");
    assert_error_code(&by_member, "FORBIDDEN");
}

// ---- what a token holder may ask for ----

async fn request_new(app: &TestApp, token: &str) -> Json {
    app.graphql(
        "mutation($token: String!) { requestNewInvitation(token: $token) }",
        json!({ "token": token }),
        None,
    )
    .await
}

async fn report_wrong(app: &TestApp, token: &str) -> Json {
    app.graphql(
        "mutation($token: String!) { reportWrongRecipient(token: $token) }",
        json!({ "token": token }),
        None,
    )
    .await
}

#[tokio::test]
async fn a_dead_token_asks_for_a_new_invitation_once_a_day_and_every_token_gets_the_same_answer() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (expired, expired_token) = invite_one(&app, &alice, "acme", "old@example.com").await;
    app.expire_invitation(&expired).await;
    let (resent, superseded_token) = invite_one(&app, &alice, "acme", "moved@example.com").await;
    data(&resend(&app, &alice, json!({ "ids": [resent], "sendEmail": false })).await);
    let (live, live_token) = invite_one(&app, &alice, "acme", "live@example.com").await;

    let answers = [
        request_new(&app, &expired_token).await,
        request_new(&app, &expired_token).await,
        request_new(&app, &superseded_token).await,
        request_new(&app, &live_token).await,
        request_new(&app, &"A".repeat(43)).await,
        request_new(&app, "not a token").await,
    ];

    for answer in &answers {
        assert_eq!(answer, &json!({ "data": { "requestNewInvitation": true } }));
    }
    assert_eq!(
        app.event_kinds(&expired).await,
        ["CREATED", "RENEWAL_REQUESTED"]
    );
    assert_eq!(
        app.event_kinds(&resent).await,
        ["CREATED", "RESENT", "RENEWAL_REQUESTED"]
    );
    assert_eq!(app.event_kinds(&live).await, ["CREATED"]);
    let logged = app
        .graphql(
            "{ orgEvents(org: { name: \"acme\" }, kinds: [RENEWAL_REQUESTED]) {
                nodes { invitation { id } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&logged)["orgEvents"]["nodes"],
        json!([{ "invitation": { "id": resent } }, { "invitation": { "id": expired } }])
    );
}

#[tokio::test]
async fn the_wrong_recipient_cancels_an_email_invitation_and_its_admins_see_why() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let (_, link) = create_link(&app, &alice, "acme", None).await;
    let (taken, taken_token) = invite_one(&app, &alice, "acme", "carol@example.com").await;
    let (carol, _) = register(&app, "carol").await;
    data(&accept(&app, &carol, &taken_token).await);

    let reported = report_wrong(&app, &token).await;
    let again = report_wrong(&app, &token).await;

    assert_eq!(
        reported,
        json!({ "data": { "reportWrongRecipient": true } })
    );
    assert_eq!(again, reported);
    assert_eq!(stored(&app, "status", &id).await, ["CANCELLED"]);
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "WRONG_RECIPIENT"]);
    // Its email had not gone out: it never will, as after a cancel.
    assert_eq!(stored(&app, "email_status", &id).await, ["NOT_REQUESTED"]);
    let undelivered = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE invitation_id = $1 AND kind = 'INVITATION' AND status <> 'CANCELLED'",
            vec![db_id(&id).into()],
        )
        .await;
    assert_eq!(undelivered, 0);
    let notices = app
        .strings(
            "SELECT recipient FROM email_outbox WHERE kind = 'WRONG_RECIPIENT' AND invitation_id = $1",
            vec![db_id(&id).into()],
        )
        .await;
    assert_eq!(notices, ["alice@example.com"], "one notice to the inviter");
    app.deliver_due_emails().await;
    let sent = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE kind = 'WRONG_RECIPIENT' AND status = 'SENT'",
            vec![],
        )
        .await;
    assert_eq!(sent, 1);
    assert_error_code(&accept(&app, &bob, &token).await, "INVITATION_CANCELLED");
    assert_error_code(&report_wrong(&app, &link).await, "BAD_USER_INPUT");
    assert_error_code(
        &report_wrong(&app, &taken_token).await,
        "INVITATION_ALREADY_ACCEPTED",
    );
    assert_eq!(app.event_kinds(&taken).await, ["CREATED", "ACCEPTED"]);
    assert_error_code(
        &report_wrong(&app, &"A".repeat(43)).await,
        "INVITATION_NOT_FOUND",
    );
}

// ---- a leaked link pauses itself ----

#[tokio::test]
async fn a_link_redeemed_faster_than_the_rate_pauses_itself_and_says_why() {
    let app = TestApp::spawn_with(|settings| {
        settings.lifecycle.link_pause_rate = "3/1h".parse().expect("a rate");
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, token) = create_link(&app, &alice, "acme", None).await;
    let mut joined = Vec::new();
    for name in ["u1", "u2", "u3", "u4"] {
        let (user, _) = register(&app, name).await;
        joined.push(accept(&app, &user, &token).await);
    }

    for response in &joined[..3] {
        data(response);
    }
    assert_error_code(&joined[3], "INVITATION_PAUSED");
    let shown = app
        .graphql(
            "query($token: String!) { invitation(token: $token) {
                paused pauseReason usageCount nextStep } }",
            json!({ "token": token }),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&shown)["invitation"],
        json!({ "paused": true, "pauseReason": "RATE", "usageCount": 3, "nextStep": "ALREADY_MEMBER" })
    );
    let logged = app
        .graphql(
            "{ orgEvents(org: { name: \"acme\" }, kinds: [PAUSED]) {
                nodes { actor { username } changes { field before after } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&logged)["orgEvents"]["nodes"],
        json!([{ "actor": null, "changes": [{ "field": "pauseReason", "before": null, "after": "RATE" }] }])
    );
    // An admin who resumes it lets people in again.
    data(
        &app.graphql(
            "mutation($id: ID!) { resumeInviteLink(id: $id) { paused pauseReason } }",
            json!({ "id": id }),
            Some(&alice),
        )
        .await,
    );
    let (late, _) = register(&app, "u5").await;
    data(&accept(&app, &late, &token).await);
}

#[tokio::test]
async fn only_redemptions_within_the_period_count_toward_the_pause() {
    let app = TestApp::spawn_with(|settings| {
        settings.lifecycle.link_pause_rate = "2/1h".parse().expect("a rate");
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, token) = create_link(&app, &alice, "acme", None).await;
    let paused = || async {
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE id = $1 AND paused_at IS NOT NULL",
            vec![db_id(&id).into()],
        )
        .await
    };
    let (first, _) = register(&app, "u1").await;
    data(&accept(&app, &first, &token).await);
    app.execute(
        "UPDATE invitation_redemptions SET redeemed_at = $1",
        vec![(Utc::now() - Duration::hours(2)).into()],
    )
    .await;

    let (second, _) = register(&app, "u2").await;
    data(&accept(&app, &second, &token).await);
    let after_two = paused().await;
    let (third, _) = register(&app, "u3").await;
    data(&accept(&app, &third, &token).await);

    assert_eq!(after_two, 0, "one of the two came two hours ago");
    assert_eq!(paused().await, 1, "the 2nd and 3rd came within the hour");
}

// ---- idempotency ----

async fn invitation_mail(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM email_outbox WHERE invitation_id IS NOT NULL",
        vec![],
    )
    .await
}

const CREATE_KEYED: &str = "mutation($input: CreateOrgInvitesInput!) {
    createOrgInvites(input: $input) { invitations { id email } errors { email code } } }";

async fn create_keyed(app: &TestApp, token: &str, emails: &[&str], key: &str) -> Json {
    let input = json!({ "org": { "name": "acme" }, "emails": emails, "idempotencyKey": key });
    app.graphql(CREATE_KEYED, json!({ "input": input }), Some(token))
        .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_answer_and_sends_nothing_twice() {
    let (app, alice, _bob) = acme_and_bob().await;
    let emails = ["x@example.com", "y@example.com", "not an email"];

    let first = create_keyed(&app, &alice, &emails, "key-1").await;
    let retry = create_keyed(&app, &alice, &emails, "key-1").await;
    let other_input = create_keyed(&app, &alice, &["z@example.com"], "key-1").await;
    let reordered = app
        .graphql(
            CREATE_KEYED,
            json!({ "input": { "idempotencyKey": "key-1", "emails": emails, "org": { "name": "acme" } } }),
            Some(&alice),
        )
        .await;

    assert_eq!(
        data(&first)["createOrgInvites"]["invitations"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(retry, first);
    assert_eq!(reordered, first);
    assert_error_code(&other_input, "CONFLICT");
    assert_eq!(app.rows("invitations").await, 2);
    assert_eq!(invitation_mail(&app).await, 2);
    // Another caller's key is another key.
    let (carol, _) = register(&app, "carol").await;
    let carols = create_keyed(&app, &carol, &emails, "key-1").await;
    assert_error_code(&carols, "NOT_FOUND");
}

#[tokio::test]
async fn a_retry_racing_the_first_call_waits_for_its_answer() {
    let (app, alice, _bob) = acme_and_bob().await;
    let emails: Vec<String> = (0..40).map(|n| format!("guest{n}@example.com")).collect();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();

    let (one, two) = tokio::join!(
        create_keyed(&app, &alice, &emails, "race"),
        create_keyed(&app, &alice, &emails, "race"),
    );

    assert_eq!(
        data(&one)["createOrgInvites"]["invitations"]
            .as_array()
            .map(Vec::len),
        Some(40)
    );
    assert_eq!(one, two);
    assert_eq!(app.rows("invitations").await, 40);
    assert_eq!(invitation_mail(&app).await, 40);
}

#[tokio::test]
async fn links_and_resends_are_idempotent_and_keys_are_forgotten_after_a_day() {
    let (app, alice, _bob) = acme_and_bob().await;
    let link = |key: &'static str| {
        create_invite_link(&app, &alice, "acme", json!({ "idempotencyKey": key }))
    };
    let first = link("link-key").await;
    let again = link("link-key").await;
    assert_eq!(again, first);
    assert!(data(&first)["createInviteLink"]["invitationLink"].is_string());

    let (id, _) = invite_one(&app, &alice, "acme", "r@example.com").await;
    let resend_keyed = || {
        resend(
            &app,
            &alice,
            json!({ "ids": [id], "idempotencyKey": "resend-key", "sendEmail": false }),
        )
    };
    let resent = resend_keyed().await;
    assert_eq!(resend_keyed().await, resent);
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "RESENT"]);

    app.execute(
        "UPDATE idempotency_keys SET created_at = $1",
        vec![(Utc::now() - Duration::hours(25)).into()],
    )
    .await;
    sweep(&app).await;
    assert_eq!(app.rows("idempotency_keys").await, 0);
    let later = link("link-key").await;
    assert_ne!(
        data(&later)["createInviteLink"]["id"],
        data(&first)["createInviteLink"]["id"]
    );

    for bad in ["", "has space", &"k".repeat(256)] {
        let response =
            create_invite_link(&app, &alice, "acme", json!({ "idempotencyKey": bad })).await;
        assert_error_code(&response, "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn too_many_wrong_recipient_reports_stop_an_organization_inviting_for_a_day() {
    let app = TestApp::spawn_with(|settings| {
        settings.rate_limits.wrong_recipient_reports_per_day = 2;
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    create_org(&app, &alice, "other").await;
    let invited = invite(&app, &alice, "acme", &["a@example.com", "b@example.com"]).await;
    let first = report_wrong(&app, &token_from_link(&invited[0].1)).await;
    let still_open = create_org_invites(&app, &alice, "acme", &["c@example.com"], json!({})).await;
    data(&first);
    data(&still_open);
    data(&report_wrong(&app, &token_from_link(&invited[1].1)).await);

    let stopped = create_org_invites(&app, &alice, "acme", &["d@example.com"], json!({})).await;
    let link = create_invite_link(&app, &alice, "acme", json!({})).await;
    let elsewhere = create_org_invites(&app, &alice, "other", &["d@example.com"], json!({})).await;

    assert_error_code(&stopped, "RATE_LIMITED");
    let retry_after = stopped["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((86_000..=86_400).contains(&retry_after), "{retry_after}");
    assert_error_code(&link, "RATE_LIMITED");
    data(&elsewhere);
    // A day later the reports have aged out.
    app.execute(
        "UPDATE invitation_events SET created_at = $1 WHERE kind = 'WRONG_RECIPIENT'",
        vec![(Utc::now() - Duration::hours(25)).into()],
    )
    .await;
    data(&create_org_invites(&app, &alice, "acme", &["d@example.com"], json!({})).await);
}
