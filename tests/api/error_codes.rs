//! The error codes the README's table lists, each answered by a request that gets it: the
//! table is read from README.md, so a code it names without a request here (or a request here
//! for a code it does not name) fails.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::support::*;

/// The codes in the first column of the README's error table.
fn readme_codes() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md exists");
    let table = readme
        .split("## API and errors")
        .nth(1)
        .and_then(|section| section.split("\n## ").next())
        .expect("the README has an API and errors section");
    table
        .lines()
        .filter(|line| line.starts_with("| `"))
        .flat_map(|line| {
            let first_column = line.split('|').nth(1).unwrap_or_default();
            first_column
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The code of a response's first error.
fn code(response: &Json) -> String {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response:#}"))
        .to_owned()
}

const UNKNOWN_TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[tokio::test]
async fn every_code_in_the_readme_table_is_what_its_request_gets() {
    let app = TestApp::spawn_with(|settings| {
        settings.rate_limits.login_per_identifier =
            doorman::config::Rate::new(1, std::time::Duration::from_secs(60));
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, bob_id) = register(&app, "bob").await;
    let (carol, _) = register(&app, "carol").await;
    let dave = add_member(&app, &alice, "acme", "dave", "MEMBER").await;
    let mut got: Vec<(&str, Json)> = Vec::new();

    got.push((
        "UNAUTHENTICATED",
        app.graphql(
            "mutation { createOrganization(input: { name: \"x\" }) { id } }",
            json!({}),
            None,
        )
        .await,
    ));
    got.push((
        "FORBIDDEN",
        app.graphql(
            "{ orgInvitations(org: { name: \"acme\" }) { totalCount } }",
            json!({}),
            Some(&dave),
        )
        .await,
    ));
    got.push(("NOT_FOUND", cancel(&app, &alice, "999999").await));
    got.push((
        "BAD_USER_INPUT",
        app.graphql(
            "query($token: String!) { invitation(token: $token) { id } }",
            json!({ "token": 5 }),
            None,
        )
        .await,
    ));
    got.push((
        "INVITATION_NOT_FOUND",
        accept(&app, &bob, UNKNOWN_TOKEN).await,
    ));

    let (expired, expired_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    app.expire_invitation(&expired).await;
    got.push((
        "INVITATION_EXPIRED",
        accept(&app, &bob, &expired_token).await,
    ));
    data(&cancel(&app, &alice, &expired).await);

    let (cancelled, cancelled_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&cancel(&app, &alice, &cancelled).await);
    got.push((
        "INVITATION_CANCELLED",
        accept(&app, &bob, &cancelled_token).await,
    ));

    let (_, declined_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&decline(&app, &bob, &declined_token).await);
    got.push((
        "INVITATION_DECLINED",
        accept(&app, &bob, &declined_token).await,
    ));

    let (superseded, superseded_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&resend(&app, &alice, json!({ "ids": [superseded] })).await);
    got.push((
        "INVITATION_SUPERSEDED",
        accept(&app, &bob, &superseded_token).await,
    ));
    data(&cancel(&app, &alice, &superseded).await);

    let (paused, paused_token) = create_link(&app, &alice, "acme", None).await;
    data(
        &app.graphql(
            "mutation($id: ID!) { pauseInviteLink(id: $id) { paused } }",
            json!({ "id": paused }),
            Some(&alice),
        )
        .await,
    );
    got.push(("INVITATION_PAUSED", accept(&app, &bob, &paused_token).await));

    let (_, carols) = invite_one(&app, &alice, "acme", "carol@example.com").await;
    got.push(("EMAIL_MISMATCH", accept(&app, &bob, &carols).await));
    let elsewhere = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "allowedEmailDomains": ["elsewhere.example"] }),
    )
    .await;
    let elsewhere = token_from_link(&str_of(
        &data(&elsewhere)["createInviteLink"]["invitationLink"],
    ));
    got.push((
        "EMAIL_DOMAIN_NOT_ALLOWED",
        accept(&app, &bob, &elsewhere).await,
    ));

    let (_, bobs) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&accept(&app, &bob, &bobs).await);
    // Bob leaves; his used invitation cannot bring him back.
    app.execute(
        "DELETE FROM memberships WHERE user_id = $1",
        vec![db_id(&bob_id).into()],
    )
    .await;
    got.push((
        "INVITATION_ALREADY_ACCEPTED",
        accept(&app, &bob, &bobs).await,
    ));

    let (_, once) = create_link(&app, &alice, "acme", Some(1)).await;
    data(&accept(&app, &carol, &once).await);
    got.push(("INVITATION_USED_UP", accept(&app, &bob, &once).await));
    got.push(("ALREADY_MEMBER", accept(&app, &carol, &carols).await));

    let (erin, erin_id) = register_unverified(&app, "erin", "erin@example.com").await;
    let domain_link = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "allowedEmailDomains": ["example.com"] }),
    )
    .await;
    let domain_token = token_from_link(&str_of(
        &data(&domain_link)["createInviteLink"]["invitationLink"],
    ));
    got.push((
        "EMAIL_NOT_VERIFIED",
        accept(&app, &erin, &domain_token).await,
    ));
    let used = verification_token(&app, &erin_id).await;
    data(&verify_email(&app, &used).await);
    got.push(("INVALID_TOKEN", verify_email(&app, &used).await));
    let (_, frank_id) = register_unverified(&app, "frank", "frank@example.com").await;
    let stale = verification_token(&app, &frank_id).await;
    app.execute(
        "UPDATE email_verifications SET expires_at = $1 WHERE user_id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(1)).into(),
            db_id(&frank_id).into(),
        ],
    )
    .await;
    got.push(("TOKEN_EXPIRED", verify_email(&app, &stale).await));

    got.push((
        "CONFLICT",
        app.graphql(
            REGISTER,
            json!({ "input": { "username": "alice", "email": "other@example.com", "password": PASSWORD } }),
            None,
        )
        .await,
    ));

    let alice_id =
        str_of(&data(&app.graphql("{ me { id } }", json!({}), Some(&alice)).await)["me"]["id"]);
    got.push((
        "LAST_ADMIN",
        app.graphql(
            "mutation($user: ID!) {
                updateMemberRole(org: { name: \"acme\" }, userId: $user, role: MEMBER) { role } }",
            json!({ "user": alice_id }),
            Some(&alice),
        )
        .await,
    ));

    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.graphql(
                "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                json!({ "input": { "login": "carol", "password": password } }),
                None,
            )
            .await
        }
    };
    login("wrong password").await;
    got.push(("RATE_LIMITED", login("wrong password").await));

    got.push((
        "GRAPHQL_PARSE_FAILED",
        app.graphql("{ me {", json!({}), None).await,
    ));
    got.push((
        "GRAPHQL_VALIDATION_FAILED",
        app.graphql("{ nope }", json!({}), None).await,
    ));
    got.push((
        "PERSISTED_QUERY_NOT_FOUND",
        app.http()
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    ));

    // A table the request needs is gone: the server says only that something went wrong.
    let (link, _) = create_link(&app, &alice, "acme", None).await;
    app.execute("DROP TABLE invitation_redemptions", vec![])
        .await;
    let internal = app
        .graphql(
            "query($org: OrgSelector!) { orgInvitations(org: $org) {
                nodes { id redemptions { totalCount } } } }",
            json!({ "org": { "name": "acme" } }),
            Some(&alice),
        )
        .await;
    assert_eq!(internal["errors"][0]["message"], "internal server error");
    assert!(!link.is_empty());
    got.push(("INTERNAL_SERVER_ERROR", internal));

    got.push(("REQUEST_TIMEOUT", timed_out().await));

    let readme = readme_codes();
    let mut wrong = Vec::new();
    for (expected, response) in &got {
        if code(response) != *expected {
            wrong.push(format!("{expected}: got {response}"));
        }
    }
    let answered: BTreeSet<String> = got.iter().map(|(code, _)| (*code).to_owned()).collect();
    assert_eq!(
        readme, answered,
        "the README's table and the codes answered here differ"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A mutation that waits for a lock longer than the request timeout.
async fn timed_out() -> Json {
    let app = TestApp::spawn_with(|settings| settings.request_timeout_seconds = 1).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (response, _) = app.invite_while_writes_are_held(&alice).await;
    assert_eq!(response.status(), 408);
    let body: Json = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["limit"],
        "DOORMAN_REQUEST_TIMEOUT_SECONDS"
    );
    body
}
