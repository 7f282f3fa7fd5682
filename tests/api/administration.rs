//! Administering an organization (`service/administration.rs`): settings change (a new name
//! keeps ids and links), roles change, members leave or are removed, an organization never
//! loses its last admin, not even to two admins demoting each other at once; rights end with
//! the membership; where members may invite, they manage the invitations they sent. (Who may
//! call each mutation is in `authorization.rs`.)

use serde_json::{Value as Json, json};

use crate::support::*;

const UPDATE_ROLE: &str = "mutation($org: String!, $user: ID!, $role: OrgRole!) {
  updateMemberRole(org: { name: $org }, userId: $user, role: $role) { role user { username } } }";
const REMOVE: &str =
    "mutation($org: String!, $user: ID!) { removeMember(org: { name: $org }, userId: $user) }";
const LEAVE: &str = "mutation($org: String!) { leaveOrganization(org: { name: $org }) }";

/// A server whose first account (the server admin) is `root`, and `alice`, an ordinary
/// account who will administer organizations; returns alice's token and id.
async fn server_with_alice() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    register(&app, "root").await;
    let (alice, alice_id) = register(&app, "alice").await;
    (app, alice, alice_id)
}

async fn update_role(app: &TestApp, token: &str, org: &str, user: &str, role: &str) -> Json {
    app.graphql(
        UPDATE_ROLE,
        json!({ "org": org, "user": user, "role": role }),
        Some(token),
    )
    .await
}

async fn admins_of(app: &TestApp, org: &str) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE o.name = $1 AND m.role = 'ADMIN'",
        vec![org.into()],
    )
    .await
}

fn user_id_of(response: &Json) -> String {
    str_of(&data(response)["me"]["id"])
}

async fn id_of(app: &TestApp, token: &str) -> String {
    user_id_of(&app.graphql("{ me { id } }", json!({}), Some(token)).await)
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed_nor_leave() {
    let (app, alice, alice_id) = server_with_alice().await;
    create_org(&app, &alice, "acme").await;
    let mel = add_member(&app, &alice, "acme", "mel", "MEMBER").await;
    let mel_id = id_of(&app, &mel).await;

    assert_error_code(
        &update_role(&app, &alice, "acme", &alice_id, "MEMBER").await,
        "LAST_ADMIN",
    );
    assert_error_code(
        &app.graphql(
            REMOVE,
            json!({ "org": "acme", "user": alice_id }),
            Some(&alice),
        )
        .await,
        "LAST_ADMIN",
    );
    assert_error_code(
        &app.graphql(LEAVE, json!({ "org": "acme" }), Some(&alice))
            .await,
        "LAST_ADMIN",
    );
    // With a second admin, the first may go.
    let promoted = update_role(&app, &alice, "acme", &mel_id, "ADMIN").await;
    assert_eq!(
        data(&promoted)["updateMemberRole"],
        json!({ "role": "ADMIN", "user": { "username": "mel" } })
    );
    let left = app
        .graphql(LEAVE, json!({ "org": "acme" }), Some(&alice))
        .await;
    assert_eq!(data(&left)["leaveOrganization"], true);
    assert_eq!(admins_of(&app, "acme").await, 1);
    assert_error_code(
        &update_role(&app, &mel, "acme", &mel_id, "VISITOR").await,
        "LAST_ADMIN",
    );
    assert_error_code(
        &update_role(&app, &alice, "acme", &mel_id, "VISITOR").await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn two_admins_demoting_or_removing_each_other_at_once_leave_one_admin() {
    let (app, alice, alice_id) = server_with_alice().await;
    let (bob, bob_id) = register(&app, "bob").await;
    for round in 0..10 {
        let org = format!("race{round}");
        create_org(&app, &alice, &org).await;
        let invites = invite_with(
            &app,
            &alice,
            &org,
            &["bob@example.com"],
            json!({ "role": "ADMIN", "sendEmail": false }),
        )
        .await;
        data(&accept(&app, &bob, &token_from_link(&invites[0].1)).await);
        assert_eq!(admins_of(&app, &org).await, 2);

        let (first, second) = if round % 2 == 0 {
            tokio::join!(
                update_role(&app, &alice, &org, &bob_id, "MEMBER"),
                update_role(&app, &bob, &org, &alice_id, "MEMBER"),
            )
        } else {
            tokio::join!(
                app.graphql(REMOVE, json!({ "org": org, "user": bob_id }), Some(&alice)),
                app.graphql(REMOVE, json!({ "org": org, "user": alice_id }), Some(&bob)),
            )
        };

        let succeeded = [&first, &second]
            .iter()
            .filter(|response| response.get("errors").is_none())
            .count();
        assert_eq!(succeeded, 1, "round {round}: {first:#} {second:#}");
        for response in [&first, &second] {
            if let Some(code) = response["errors"][0]["extensions"]["code"].as_str() {
                assert!(
                    ["FORBIDDEN", "LAST_ADMIN", "NOT_FOUND"].contains(&code),
                    "round {round}: {response:#}"
                );
            }
        }
        assert_eq!(admins_of(&app, &org).await, 1, "round {round}");
    }
}

#[tokio::test]
async fn two_admins_leaving_at_once_leave_one_admin() {
    let (app, alice, _) = server_with_alice().await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "ADMIN").await;

    let (first, second) = tokio::join!(
        app.graphql(LEAVE, json!({ "org": "acme" }), Some(&alice)),
        app.graphql(LEAVE, json!({ "org": "acme" }), Some(&bob)),
    );

    let codes: Vec<Option<&str>> = [&first, &second]
        .iter()
        .map(|response| response["errors"][0]["extensions"]["code"].as_str())
        .collect();
    assert!(
        codes.contains(&None) && codes.contains(&Some("LAST_ADMIN")),
        "{first:#} {second:#}"
    );
    assert_eq!(admins_of(&app, "acme").await, 1);
}

#[tokio::test]
async fn a_removed_admin_loses_the_organizations_rights_with_the_next_request() {
    let (app, alice, _) = server_with_alice().await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "ADMIN").await;
    let bob_id = id_of(&app, &bob).await;
    const PENDING: &str = "{ orgInvitations(org: { name: \"acme\" }) { totalCount } }";
    data(&app.graphql(PENDING, json!({}), Some(&bob)).await);

    let removed = app
        .graphql(
            REMOVE,
            json!({ "org": "acme", "user": bob_id }),
            Some(&alice),
        )
        .await;

    assert_eq!(data(&removed)["removeMember"], true);
    assert_error_code(
        &app.graphql(PENDING, json!({}), Some(&bob)).await,
        "NOT_FOUND",
    );
    let acme = app
        .graphql(
            "{ organization(org: { name: \"acme\" }) { name } }",
            json!({}),
            Some(&bob),
        )
        .await;
    assert_eq!(data(&acme)["organization"], json!(null));
    // Removing again finds no such member.
    assert_error_code(
        &app.graphql(
            REMOVE,
            json!({ "org": "acme", "user": bob_id }),
            Some(&alice),
        )
        .await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn where_members_may_invite_they_cancel_and_resend_their_own_invitations_only() {
    let (app, alice, _) = server_with_alice().await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "membersCanInvite": true }),
    )
    .await;
    let mel = add_member(&app, &alice, "acme", "mel", "MEMBER").await;
    let (mine, _) = invite_one(&app, &mel, "acme", "friend@example.com").await;
    let (theirs, _) = invite_one(&app, &alice, "acme", "colleague@example.com").await;
    let (another, _) = invite_one(&app, &mel, "acme", "another@example.com").await;

    assert_error_code(&cancel(&app, &mel, &theirs).await, "FORBIDDEN");
    assert_eq!(
        data(&cancel(&app, &mel, &mine).await)["cancel"]["status"],
        "CANCELLED"
    );
    let resent = resend(&app, &mel, json!({ "ids": [another], "sendEmail": false })).await;
    assert_eq!(data(&resent)["resend"]["errors"], json!([]), "{resent:#}");
    // Naming an invitation one may not manage refuses the whole resend.
    assert_error_code(
        &resend(&app, &mel, json!({ "ids": [another, theirs] })).await,
        "FORBIDDEN",
    );
    // A member of an organization where members may not invite manages nothing.
    app.execute(
        "UPDATE organizations SET members_can_invite = FALSE WHERE name = 'acme'",
        vec![],
    )
    .await;
    assert_error_code(&cancel(&app, &mel, &another).await, "FORBIDDEN");
}

const UPDATE_ORGANIZATION: &str = "mutation($org: OrgSelector!, $input: UpdateOrganizationInput!) {
  updateOrganization(org: $org, input: $input) { id name displayName } }";

#[tokio::test]
async fn admins_rename_an_organization_and_its_id_and_links_keep_working() {
    let (app, alice, _) = server_with_alice().await;
    let id = create_org_with(
        &app,
        &alice,
        json!({ "name": "acme", "displayName": "Acme" }),
    )
    .await;
    create_org(&app, &alice, "taken").await;
    let (_, link) = create_link(&app, &alice, "acme", None).await;
    let update = |org: Json, input: Json| {
        let (app, alice) = (&app, &alice);
        async move {
            app.graphql(
                UPDATE_ORGANIZATION,
                json!({ "org": org, "input": input }),
                Some(alice),
            )
            .await
        }
    };

    assert_error_code(
        &update(json!({ "name": "acme" }), json!({ "name": "Taken" })).await,
        "CONFLICT",
    );
    assert_error_code(
        &update(json!({ "name": "acme" }), json!({ "name": "-acme" })).await,
        "BAD_USER_INPUT",
    );
    let renamed = update(
        json!({ "name": "acme" }),
        json!({ "name": "Acme-Corp", "displayName": "Acme Corporation" }),
    )
    .await;

    assert_eq!(
        data(&renamed)["updateOrganization"],
        json!({ "id": id, "name": "acme-corp", "displayName": "Acme Corporation" })
    );
    let old = app
        .graphql(
            "{ organization(org: { name: \"acme\" }) { id } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(data(&old)["organization"], json!(null));
    let (bob, _) = register(&app, "bob").await;
    let joined = accept(&app, &bob, &link).await;
    assert_eq!(
        data(&joined)["acceptInvitation"]["organization"]["name"],
        "acme-corp"
    );
    // Left out, a setting stays; null clears the display name.
    let cleared = update(json!({ "id": id }), json!({ "displayName": null })).await;
    assert_eq!(
        data(&cleared)["updateOrganization"],
        json!({ "id": id, "name": "acme-corp", "displayName": null })
    );
}

#[tokio::test]
async fn letting_members_invite_takes_effect_at_once() {
    let (app, alice, _) = server_with_alice().await;
    create_org(&app, &alice, "acme").await;
    let mel = add_member(&app, &alice, "acme", "mel", "MEMBER").await;
    let invite_friend = || {
        let (app, mel) = (&app, &mel);
        async move {
            create_org_invites(
                app,
                mel,
                "acme",
                &["friend@example.com"],
                json!({ "sendEmail": false }),
            )
            .await
        }
    };
    assert_error_code(&invite_friend().await, "FORBIDDEN");
    assert_error_code(
        &app.graphql(
            UPDATE_ORGANIZATION,
            json!({ "org": { "name": "acme" }, "input": { "membersCanInvite": true } }),
            Some(&mel),
        )
        .await,
        "FORBIDDEN",
    );

    let allowed = app
        .graphql(
            UPDATE_ORGANIZATION,
            json!({ "org": { "name": "acme" }, "input": { "membersCanInvite": true } }),
            Some(&alice),
        )
        .await;

    assert_eq!(data(&allowed)["updateOrganization"]["name"], "acme");
    let invited = invite_friend().await;
    assert_eq!(
        invitations_of(&data(&invited)["createOrgInvites"]).len(),
        1,
        "{invited:#}"
    );
}
