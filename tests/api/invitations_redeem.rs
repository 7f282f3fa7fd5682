//! `acceptInvitation` and `declineInvitation` (`service/invitations/redeem.rs`): every way an
//! accept can succeed or be refused.

use serde_json::json;

use crate::support::*;

async fn usage_count(app: &TestApp, id: &str) -> i64 {
    app.count(
        "SELECT usage_count FROM invitations WHERE id = $1",
        vec![db_id(id).into()],
    )
    .await
}

async fn memberships_of(app: &TestApp, username: &str) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = $1",
        vec![username.into()],
    )
    .await
}

#[tokio::test]
async fn accepting_an_email_invitation_creates_the_membership_with_the_invited_role() {
    let (app, alice, bob) = acme_and_bob().await;
    let invites = invite_with(
        &app,
        &alice,
        "acme",
        &["bob@example.com"],
        json!({ "role": "VISITOR" }),
    )
    .await;
    let token = token_from_link(&invites[0].1);
    let id = str_of(&data(&invitation(&app, &token, None).await)["invitation"]["id"]);

    let response = accept(&app, &bob, &token).await;

    assert_eq!(
        data(&response)["acceptInvitation"],
        json!({
            "invitation": { "status": "ACCEPTED", "usageCount": 1, "usesRemaining": 0 },
            "membership": { "role": "VISITOR", "user": { "username": "bob" },
                            "organization": { "name": "acme" } },
            "organization": { "name": "acme" }
        })
    );
    let linked = app
        .count(
            "SELECT COUNT(*) FROM memberships WHERE invitation_id = $1 AND role = 'VISITOR'",
            vec![db_id(&id).into()],
        )
        .await;
    assert_eq!(linked, 1);
    let redemptions = app
        .count(
            "SELECT COUNT(*) FROM invitation_redemptions WHERE invitation_id = $1",
            vec![db_id(&id).into()],
        )
        .await;
    assert_eq!(redemptions, 1);
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "ACCEPTED"]);
    let role = app
        .graphql(
            "{ organization(org: { name: \"acme\" }) { viewerRole } }",
            json!({}),
            Some(&bob),
        )
        .await;
    assert_eq!(data(&role)["organization"]["viewerRole"], "VISITOR");
}

#[tokio::test]
async fn accepting_anonymously_returns_unauthenticated() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let response = app.graphql(ACCEPT, json!({ "token": token }), None).await;

    assert_error_code(&response, "UNAUTHENTICATED");
    assert_eq!(usage_count(&app, &id).await, 0);
}

#[tokio::test]
async fn accepting_an_unknown_token_returns_invitation_not_found() {
    let (app, _alice, bob) = acme_and_bob().await;

    for token in ["A".repeat(43), "short".to_owned()] {
        let response = accept(&app, &bob, &token).await;
        assert_error_code(&response, "INVITATION_NOT_FOUND");
    }
}

#[tokio::test]
async fn accepting_an_expired_invitation_returns_invitation_expired() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    app.expire_invitation(&id).await;

    let response = accept(&app, &bob, &token).await;

    assert_error_code(&response, "INVITATION_EXPIRED");
    assert_eq!(memberships_of(&app, "bob").await, 0);
    let shown = invitation(&app, &token, None).await;
    assert_eq!(data(&shown)["invitation"]["status"], "EXPIRED");
}

#[tokio::test]
async fn declining_an_invitation_marks_it_declined_and_records_the_event() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let response = decline(&app, &bob, &token).await;

    assert_eq!(
        data(&response)["declineInvitation"],
        json!({ "id": id, "status": "DECLINED" })
    );
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "DECLINED"]);
    let shown = invitation(&app, &token, None).await;
    assert_eq!(data(&shown)["invitation"]["status"], "DECLINED");
}

#[tokio::test]
async fn accepting_a_declined_invitation_returns_invitation_declined() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&decline(&app, &bob, &token).await);

    let response = accept(&app, &bob, &token).await;

    assert_error_code(&response, "INVITATION_DECLINED");
    assert_eq!(usage_count(&app, &id).await, 0);
    assert_eq!(memberships_of(&app, "bob").await, 0);
}

#[tokio::test]
async fn accepting_a_used_email_invitation_again_returns_invitation_already_accepted() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&accept(&app, &bob, &token).await);
    // Bob left the organization since (there is no mutation for leaving yet).
    app.execute(
        "DELETE FROM memberships WHERE invitation_id = $1",
        vec![db_id(&id).into()],
    )
    .await;

    let response = accept(&app, &bob, &token).await;

    assert_error_code(&response, "INVITATION_ALREADY_ACCEPTED");
    assert_eq!(usage_count(&app, &id).await, 1);
    assert_eq!(memberships_of(&app, "bob").await, 0);
}

#[tokio::test]
async fn an_email_invitation_is_accepted_only_by_the_account_with_that_email() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "carol@example.com").await;

    let response = accept(&app, &bob, &token).await;

    assert_error_code(&response, "EMAIL_MISMATCH");
    assert_eq!(usage_count(&app, &id).await, 0);
    assert_eq!(memberships_of(&app, "bob").await, 0);
}

#[tokio::test]
async fn the_invited_email_is_compared_case_insensitively_after_trimming() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (carol, _) = register_email(&app, "carol", "Carol@Example.COM").await;
    let (_, token) = invite_one(&app, &alice, "acme", "  CAROL@example.com ").await;

    let response = accept(&app, &carol, &token).await;

    assert_eq!(
        data(&response)["acceptInvitation"]["membership"]["user"]["username"],
        "carol"
    );
}

#[tokio::test]
async fn a_link_counts_its_uses_and_becomes_used_up_at_max_uses() {
    let (app, alice, bob) = acme_and_bob().await;
    let (carol, _) = register(&app, "carol").await;
    let (dave, _) = register(&app, "dave").await;
    let (id, token) = create_link(&app, &alice, "acme", Some(2)).await;

    let first = accept(&app, &bob, &token).await;
    let second = accept(&app, &carol, &token).await;
    let third = accept(&app, &dave, &token).await;

    assert_eq!(
        data(&first)["acceptInvitation"]["invitation"],
        json!({ "status": "PENDING", "usageCount": 1, "usesRemaining": 1 })
    );
    assert_eq!(
        data(&second)["acceptInvitation"]["invitation"],
        json!({ "status": "USED_UP", "usageCount": 2, "usesRemaining": 0 })
    );
    assert_eq!(
        data(&second)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
    assert_error_code(&third, "INVITATION_USED_UP");
    assert_eq!(usage_count(&app, &id).await, 2);
    assert_eq!(memberships_of(&app, "dave").await, 0);
    assert_eq!(
        app.event_kinds(&id).await,
        ["CREATED", "ACCEPTED", "ACCEPTED"]
    );
}

#[tokio::test]
async fn an_unlimited_link_keeps_uses_remaining_null() {
    let (app, alice, bob) = acme_and_bob().await;
    let (_, token) = create_link(&app, &alice, "acme", None).await;

    let response = accept(&app, &bob, &token).await;

    assert_eq!(
        data(&response)["acceptInvitation"]["invitation"],
        json!({ "status": "PENDING", "usageCount": 1, "usesRemaining": null })
    );
}

#[tokio::test]
async fn a_link_with_allowed_domains_refuses_other_domains_with_email_mismatch() {
    let (app, alice, bob) = acme_and_bob().await;
    let (dave, _) = register_email(&app, "dave", "dave@example.org").await;
    let response = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "allowedEmailDomains": ["example.org"] }),
    )
    .await;
    let link = &data(&response)["createInviteLink"];
    let (id, token) = (
        str_of(&link["id"]),
        token_from_link(&str_of(&link["invitationLink"])),
    );

    let refused = accept(&app, &bob, &token).await;
    let allowed = accept(&app, &dave, &token).await;

    assert_error_code(&refused, "EMAIL_DOMAIN_NOT_ALLOWED");
    assert_eq!(
        data(&allowed)["acceptInvitation"]["membership"]["user"]["username"],
        "dave"
    );
    assert_eq!(usage_count(&app, &id).await, 1);
}

#[tokio::test]
async fn accepting_as_a_member_returns_already_member_and_uses_nothing() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = create_link(&app, &alice, "acme", Some(5)).await;
    data(&accept(&app, &bob, &token).await);

    let admin_again = accept(&app, &alice, &token).await;
    let bob_again = accept(&app, &bob, &token).await;

    assert_error_code(&admin_again, "ALREADY_MEMBER");
    assert_error_code(&bob_again, "ALREADY_MEMBER");
    assert_eq!(usage_count(&app, &id).await, 1);
    assert_eq!(memberships_of(&app, "bob").await, 1);
}

// ---- the inviter must still be entitled ----

#[tokio::test]
async fn an_invitation_from_an_admin_who_was_demoted_cannot_grant_admin_any_more() {
    let (app, alice, bob) = acme_and_bob().await;
    let carol = add_member(&app, &alice, "acme", "carol", "ADMIN").await;
    let invites = invite_with(
        &app,
        &carol,
        "acme",
        &["bob@example.com"],
        json!({ "role": "ADMIN" }),
    )
    .await;
    let token = token_from_link(&invites[0].1);
    app.execute(
        "UPDATE memberships SET role = 'MEMBER' WHERE user_id = (SELECT id FROM users WHERE username = 'carol')",
        vec![],
    )
    .await;

    let response = accept(&app, &bob, &token).await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(memberships_of(&app, "bob").await, 0);
    let preview = invitation(&app, &token, Some(&bob)).await;
    assert_eq!(data(&preview)["invitation"]["status"], "PENDING");
    assert_eq!(data(&preview)["invitation"]["usageCount"], 0);
}

#[tokio::test]
async fn a_members_invitation_stops_working_when_members_may_no_longer_invite() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "membersCanInvite": true }),
    )
    .await;
    let carol = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let (bob, _) = register(&app, "bob").await;
    let (dave, _) = register(&app, "dave").await;
    let links = invite(
        &app,
        &carol,
        "acme",
        &["bob@example.com", "dave@example.com"],
    )
    .await;

    data(&accept(&app, &bob, &token_from_link(&links[0].1)).await);
    app.execute(
        "UPDATE organizations SET members_can_invite = $1 WHERE name = 'acme'",
        vec![false.into()],
    )
    .await;
    let refused = accept(&app, &dave, &token_from_link(&links[1].1)).await;

    assert_error_code(&refused, "FORBIDDEN");
    assert_eq!(memberships_of(&app, "bob").await, 1);
    assert_eq!(memberships_of(&app, "dave").await, 0);
}
