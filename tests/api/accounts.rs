//! Registration, login, `me`, `serverInfo`, and registration in `INVITATION_ONLY` mode.

use doorman::config::RegistrationMode;
use serde_json::json;

use crate::support::*;

async fn register_input(app: &TestApp, input: serde_json::Value) -> serde_json::Value {
    app.graphql(REGISTER, json!({ "input": input }), None).await
}

const ME: &str =
    "{ me { id username email isServerAdmin memberships { role organization { name } } } }";

#[tokio::test]
async fn the_first_account_becomes_server_admin_and_later_ones_do_not() {
    let app = TestApp::spawn().await;

    let first = register_input(
        &app,
        json!({ "username": "root", "email": "root@example.com", "password": PASSWORD }),
    )
    .await;
    let second = register_input(
        &app,
        json!({ "username": "bob", "email": "bob@example.com", "password": PASSWORD }),
    )
    .await;

    let first = &data(&first)["register"];
    assert_eq!(first["user"]["isServerAdmin"], true);
    assert_eq!(first["user"]["memberships"], json!([]));
    assert!(parse_time(&first["expiresAt"]) > chrono::Utc::now());
    assert_eq!(data(&second)["register"]["user"]["isServerAdmin"], false);
}

#[tokio::test]
async fn registering_stores_username_and_email_lower_cased() {
    let app = TestApp::spawn().await;

    let response = register_input(
        &app,
        json!({ "username": "Alice_1", "email": "  Alice@Example.COM ", "password": PASSWORD,
                "displayName": "Alice A." }),
    )
    .await;

    let user = &data(&response)["register"]["user"];
    assert_eq!(user["username"], "alice_1");
    assert_eq!(user["email"], "alice@example.com");
    let stored = app
        .strings("SELECT email FROM users WHERE username = 'alice_1'", vec![])
        .await;
    assert_eq!(stored, ["alice@example.com"]);
}

#[tokio::test]
async fn registering_with_a_password_under_8_characters_returns_bad_user_input() {
    let app = TestApp::spawn().await;

    let response = register_input(
        &app,
        json!({ "username": "alice", "email": "alice@example.com", "password": "1234567" }),
    )
    .await;

    assert_error_code(&response, "BAD_USER_INPUT");
    assert_eq!(app.rows("users").await, 0);
}

#[tokio::test]
async fn registering_with_an_invalid_username_or_email_returns_bad_user_input() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(40);
    let cases = [
        ("-alice", "alice@example.com"),
        ("al ice", "alice@example.com"),
        ("", "alice@example.com"),
        (long.as_str(), "alice@example.com"),
        ("alice", "not-an-email"),
        ("alice", "alice@localhost"),
    ];

    for (username, email) in cases {
        let response = register_input(
            &app,
            json!({ "username": username, "email": email, "password": PASSWORD }),
        )
        .await;
        assert_error_code(&response, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows("users").await, 0);
}

#[tokio::test]
async fn registering_a_username_of_39_characters_works() {
    let app = TestApp::spawn().await;
    let username = format!("a{}", "-_9".repeat(12)) + "zz";
    assert_eq!(username.len(), 39);

    let response = register_input(
        &app,
        json!({ "username": username, "email": "long@example.com", "password": PASSWORD }),
    )
    .await;

    assert_eq!(data(&response)["register"]["user"]["username"], username);
}

#[tokio::test]
async fn registering_a_taken_username_or_email_returns_conflict() {
    let app = TestApp::spawn().await;
    register(&app, "alice").await;

    let same_username = register_input(
        &app,
        json!({ "username": "ALICE", "email": "other@example.com", "password": PASSWORD }),
    )
    .await;
    let same_email = register_input(
        &app,
        json!({ "username": "alice2", "email": "Alice@example.com", "password": PASSWORD }),
    )
    .await;

    assert_error_code(&same_username, "CONFLICT");
    assert_error_code(&same_email, "CONFLICT");
    assert_eq!(app.rows("users").await, 1);
}

#[tokio::test]
async fn logging_in_by_username_or_email_returns_a_working_access_token() {
    let app = TestApp::spawn().await;
    let (_, user_id) = register(&app, "alice").await;

    for login in ["alice", "ALICE@example.com"] {
        let response = app
            .graphql(
                "mutation($input: LoginInput!) { login(input: $input) {
                    accessToken expiresAt user { id username } } }",
                json!({ "input": { "login": login, "password": PASSWORD } }),
                None,
            )
            .await;
        let payload = &data(&response)["login"];
        assert_eq!(payload["user"]["id"], user_id.as_str());
        let token = str_of(&payload["accessToken"]);

        let me = app.graphql(ME, json!({}), Some(&token)).await;
        assert_eq!(data(&me)["me"]["username"], "alice");
    }
}

#[tokio::test]
async fn logging_in_with_a_wrong_password_or_unknown_login_returns_unauthenticated() {
    let app = TestApp::spawn().await;
    register(&app, "alice").await;
    const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";

    let wrong_password = app
        .graphql(
            LOGIN,
            json!({ "input": { "login": "alice", "password": "wrong password" } }),
            None,
        )
        .await;
    let unknown = app
        .graphql(
            LOGIN,
            json!({ "input": { "login": "nobody", "password": PASSWORD } }),
            None,
        )
        .await;

    assert_error_code(&wrong_password, "UNAUTHENTICATED");
    assert_error_code(&unknown, "UNAUTHENTICATED");
}

#[tokio::test]
async fn me_is_null_for_anonymous_callers() {
    let app = TestApp::spawn().await;

    let response = app.graphql(ME, json!({}), None).await;

    assert_eq!(data(&response)["me"], json!(null));
}

#[tokio::test]
async fn me_returns_the_callers_email_and_memberships() {
    let app = TestApp::spawn().await;
    let (token, user_id) = register(&app, "alice").await;
    create_org(&app, &token, "acme").await;

    let response = app.graphql(ME, json!({}), Some(&token)).await;

    assert_eq!(
        data(&response)["me"],
        json!({ "id": user_id, "username": "alice", "email": "alice@example.com",
                "isServerAdmin": true,
                "memberships": [{ "role": "ADMIN", "organization": { "name": "acme" } }] })
    );
}

#[tokio::test]
async fn an_invalid_access_token_returns_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = register(&app, "alice").await;
    let tampered = format!("{token}x");

    let response = app
        .graphql(
            "mutation { createOrganization(input: { name: \"acme\" }) { id } }",
            json!({}),
            Some(&tampered),
        )
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
    assert_eq!(app.rows("organizations").await, 0);
}

/// An access token that is sent is used or refused, never ignored: expired or invalid, the
/// whole request is 401 `UNAUTHENTICATED` with `extensions.reason` and `WWW-Authenticate`, by
/// POST and by GET, so a client learns at once to sign in again. No token at all (or an empty
/// header) is an anonymous caller.
#[tokio::test]
async fn a_sent_token_that_is_expired_or_invalid_is_401_with_its_reason() {
    let app = TestApp::spawn().await;
    let (token, alice_id) = register(&app, "alice").await;
    let (_, gone_id) = register(&app, "gone").await;
    let mint = |sub: &str, exp: i64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "sub": sub, "iat": exp - 60, "exp": exp }),
            &jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let now = chrono::Utc::now().timestamp();
    let expired = mint(&alice_id, now - 10);
    let of_a_deleted_account = mint(&gone_id, now + 600);
    app.execute(
        "DELETE FROM users WHERE id = $1",
        vec![db_id(&gone_id).into()],
    )
    .await;
    let post = |authorization: Option<String>| {
        let mut request = app
            .http()
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ me { id } }" }));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        async move { request.send().await.unwrap() }
    };
    let get = |authorization: String| {
        let request = app
            .http()
            .get(format!("{}/graphql", app.address))
            .query(&[("query", "{ me { id } }")])
            .header("authorization", authorization)
            .send();
        async move { request.await.unwrap() }
    };

    let cases = [
        (post(Some(format!("Bearer {expired}"))).await, "EXPIRED"),
        (get(format!("Bearer {expired}")).await, "EXPIRED"),
        (post(Some(format!("Bearer {token}x"))).await, "INVALID"),
        (post(Some("Bearer not-a-token".to_owned())).await, "INVALID"),
        (
            post(Some(format!("Bearer {of_a_deleted_account}"))).await,
            "INVALID",
        ),
        (post(Some(format!("Basic {token}"))).await, "INVALID"),
        (get("Bearer not-a-token".to_owned()).await, "INVALID"),
    ];
    for (response, reason) in cases {
        assert_eq!(response.status(), 401, "{reason}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_error_code(&body, "UNAUTHENTICATED");
        assert_eq!(
            body["errors"][0]["extensions"]["reason"], reason,
            "{body:#}"
        );
        assert!(body.get("data").is_none(), "{body:#}");
    }

    for anonymous in [post(None).await, post(Some(String::new())).await] {
        assert_eq!(anonymous.status(), 200);
        let body: serde_json::Value = anonymous.json().await.unwrap();
        assert_eq!(data(&body)["me"], json!(null));
    }
    let signed_in = app.graphql("{ me { id } }", json!({}), Some(&token)).await;
    assert_eq!(data(&signed_in)["me"]["id"], alice_id);
}

#[tokio::test]
async fn server_info_reports_the_registration_mode_and_version() {
    let open = TestApp::spawn().await;
    let closed = TestApp::spawn_with(|settings| {
        settings.registration_mode = RegistrationMode::InvitationOnly;
    })
    .await;
    const SERVER_INFO: &str = "{ serverInfo { registrationMode version } }";

    let open_info = open.graphql(SERVER_INFO, json!({}), None).await;
    let closed_info = closed.graphql(SERVER_INFO, json!({}), None).await;

    assert_eq!(data(&open_info)["serverInfo"]["registrationMode"], "OPEN");
    assert_eq!(
        data(&closed_info)["serverInfo"]["registrationMode"],
        "INVITATION_ONLY"
    );
    assert!(!str_of(&data(&open_info)["serverInfo"]["version"]).is_empty());
}

// ---- INVITATION_ONLY mode ----

/// An open server with admin `root` and org `acme`, plus an invitation-only server over the
/// same database; returns (open, closed, root's token).
async fn invitation_only_servers() -> (TestApp, TestApp, String) {
    let open = TestApp::spawn().await;
    let (root, _) = register(&open, "root").await;
    create_org(&open, &root, "acme").await;
    let closed = open
        .sibling_with(|settings| settings.registration_mode = RegistrationMode::InvitationOnly)
        .await;
    (open, closed, root)
}

const CREATE_REGISTRATION_INVITE: &str = "mutation($input: CreateRegistrationInviteInput!) {
  createRegistrationInvite(input: $input) {
    id action email role maxUses status invitationLink organization { name } } }";

#[tokio::test]
async fn registering_without_a_token_in_invitation_only_mode_returns_forbidden() {
    let (_open, closed, _) = invitation_only_servers().await;

    let response = register_input(
        &closed,
        json!({ "username": "eve", "email": "eve@example.com", "password": PASSWORD }),
    )
    .await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(closed.rows("users").await, 1);
}

#[tokio::test]
async fn registering_with_a_registration_invite_creates_the_account_and_joins_the_named_org() {
    let (open, closed, root) = invitation_only_servers().await;
    // Emailed: the link in the email proves the address, so registering also joins.
    let created = open
        .graphql(
            CREATE_REGISTRATION_INVITE,
            json!({ "input": { "email": "newbie@example.com", "org": { "name": "acme" },
                               "role": "VISITOR" } }),
            Some(&root),
        )
        .await;
    let invite = &data(&created)["createRegistrationInvite"];
    assert_eq!(invite["action"], "REGISTER_ACCOUNT");
    assert_eq!(invite["organization"]["name"], "acme");
    assert_eq!(invite["invitationLink"], json!(null));
    let token = token_from_link(&link_of(&open, invite).await);

    let response = register_input(
        &closed,
        json!({ "username": "newbie", "email": "newbie@example.com", "password": PASSWORD,
                "invitationToken": token }),
    )
    .await;

    let user = &data(&response)["register"]["user"];
    assert_eq!(user["username"], "newbie");
    assert_eq!(
        user["memberships"],
        json!([{ "role": "VISITOR", "organization": { "name": "acme" } }])
    );
    assert_eq!(
        closed.event_kinds(&str_of(&invite["id"])).await,
        ["CREATED", "ACCEPTED"]
    );
}

#[tokio::test]
async fn registering_with_a_registration_invite_without_an_org_creates_only_the_account() {
    let (open, closed, root) = invitation_only_servers().await;
    let created = open
        .graphql(
            CREATE_REGISTRATION_INVITE,
            json!({ "input": { "maxUses": 5, "sendEmail": false } }),
            Some(&root),
        )
        .await;
    let invite = &data(&created)["createRegistrationInvite"];
    assert_eq!(invite["organization"], json!(null));
    assert_eq!(invite["maxUses"], 5);
    let token = token_from_link(&str_of(&invite["invitationLink"]));

    let response = register_input(
        &closed,
        json!({ "username": "dave", "email": "dave@example.com", "password": PASSWORD,
                "invitationToken": token }),
    )
    .await;

    let user = &data(&response)["register"]["user"];
    assert_eq!(user["username"], "dave");
    assert_eq!(user["isServerAdmin"], false);
    assert_eq!(user["memberships"], json!([]));
}

#[tokio::test]
async fn registering_with_a_join_org_invitation_for_the_same_email_creates_a_member_in_one_step() {
    let (open, closed, root) = invitation_only_servers().await;
    let invites = invite_with(
        &open,
        &root,
        "acme",
        &["carol@example.com"],
        json!({ "role": "ADMIN" }),
    )
    .await;

    let response = register_input(
        &closed,
        json!({ "username": "carol", "email": "Carol@Example.com", "password": PASSWORD,
                "invitationToken": token_from_link(&invites[0].1) }),
    )
    .await;

    assert_eq!(
        data(&response)["register"]["user"]["memberships"],
        json!([{ "role": "ADMIN", "organization": { "name": "acme" } }])
    );
    assert_eq!(
        closed
            .strings(
                "SELECT status FROM invitations WHERE email = 'carol@example.com'",
                vec![]
            )
            .await,
        ["ACCEPTED"]
    );
}

#[tokio::test]
async fn registering_with_a_join_org_invitation_for_another_email_returns_email_mismatch() {
    let (open, closed, root) = invitation_only_servers().await;
    let invites = invite(&open, &root, "acme", &["carol@example.com"]).await;

    let response = register_input(
        &closed,
        json!({ "username": "mallory", "email": "mallory@example.com", "password": PASSWORD,
                "invitationToken": token_from_link(&invites[0].1) }),
    )
    .await;

    assert_error_code(&response, "EMAIL_MISMATCH");
    assert_eq!(closed.rows("users").await, 1);
    assert_eq!(closed.rows("memberships").await, 1);
}

#[tokio::test]
async fn registering_with_an_unknown_token_in_invitation_only_mode_writes_no_user() {
    let (_open, closed, _) = invitation_only_servers().await;

    let response = register_input(
        &closed,
        json!({ "username": "eve", "email": "eve@example.com", "password": PASSWORD,
                "invitationToken": "A".repeat(43) }),
    )
    .await;

    assert_error_code(&response, "INVITATION_NOT_FOUND");
    assert_eq!(closed.rows("users").await, 1);
}

#[tokio::test]
async fn a_registration_invite_from_a_former_server_admin_no_longer_registers() {
    let (open, closed, root) = invitation_only_servers().await;
    let created = open
        .graphql(
            CREATE_REGISTRATION_INVITE,
            json!({ "input": { "email": "newbie@example.com", "sendEmail": false } }),
            Some(&root),
        )
        .await;
    let token = token_from_link(&str_of(
        &data(&created)["createRegistrationInvite"]["invitationLink"],
    ));
    closed
        .execute(
            "UPDATE users SET is_server_admin = $1 WHERE username = 'root'",
            vec![false.into()],
        )
        .await;

    let response = register_input(
        &closed,
        json!({ "username": "newbie", "email": "newbie@example.com", "password": PASSWORD,
                "invitationToken": token }),
    )
    .await;

    assert_error_code(&response, "FORBIDDEN");
    assert_eq!(closed.rows("users").await, 1);
}
