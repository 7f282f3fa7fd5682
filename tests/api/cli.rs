//! The `doorman` binary's admin commands, run against a test server's database.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::*;

/// Runs `doorman <args>` on the app's database with `stdin` (a password: a secret); returns
/// stdout, failing on errors and on secrets in its TRACE logs.
fn doorman(app: &TestApp, args: &[&str], stdin: &str) -> String {
    log_guard::secret("a password", stdin);
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .env("DOORMAN_DATABASE_URL", app.database_url())
        .env("DOORMAN_PUBLIC_URL", PUBLIC_URL)
        .env("DOORMAN_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the doorman binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    let output = child.wait_with_output().expect("doorman finishes");
    log_guard::check_output(
        &format!("doorman {args:?}"),
        &String::from_utf8_lossy(&output.stderr),
    );
    log_guard::assert_clean();
    assert!(
        output.status.success(),
        "doorman {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

const LOGIN: &str = "mutation($input: LoginInput!) {
    login(input: $input) { user { username email isServerAdmin } }
}";

const REGISTER: &str = "mutation($input: RegisterInput!) {
    register(input: $input) { user { username isServerAdmin } }
}";

#[tokio::test]
async fn admin_create_user_reads_the_password_from_stdin_and_can_make_a_server_admin() {
    let app = TestApp::spawn().await;
    register(&app, "first").await;

    let printed = doorman(
        &app,
        &[
            "admin",
            "create-user",
            "--email",
            "Root@Example.com",
            "--username",
            "root",
            "--server-admin",
        ],
        "a long enough password\n",
    );

    assert!(printed.contains("created user root"), "{printed}");
    let response = app
        .graphql(
            LOGIN,
            json!({ "input": { "login": "root@example.com", "password": "a long enough password" } }),
            None,
        )
        .await;
    assert_eq!(
        data(&response)["login"]["user"],
        json!({ "username": "root", "email": "root@example.com", "isServerAdmin": true })
    );
}

#[tokio::test]
async fn admin_invite_registration_prints_a_link_that_registers_on_an_invitation_only_server() {
    let app = TestApp::spawn_with(|settings| {
        settings.registration_mode = doorman::config::RegistrationMode::InvitationOnly;
    })
    .await;

    let printed = doorman(
        &app,
        &[
            "admin",
            "invite-registration",
            "--max-uses",
            "1",
            "--expires-in-days",
            "3",
        ],
        "",
    );

    let link = printed.trim();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/invite/")),
        "{printed}"
    );
    let token = token_from_link(link);
    let input = |name: &str| {
        json!({ "input": {
            "email": format!("{name}@example.com"),
            "username": name,
            "password": PASSWORD,
            "invitationToken": token,
        } })
    };
    let first = app.graphql(REGISTER, input("founder"), None).await;
    assert_eq!(
        data(&first)["register"]["user"],
        json!({ "username": "founder", "isServerAdmin": true })
    );
    let second = app.graphql(REGISTER, input("latecomer"), None).await;
    assert_error_code(&second, "INVITATION_USED_UP");
    assert_eq!(app.rows("users").await, 1);
}

#[tokio::test]
async fn without_a_configured_secret_instances_on_one_database_share_a_generated_one() {
    let app = TestApp::spawn_with(|settings| settings.token_secret = None).await;
    let (token, _) = register(&app, "alice").await;

    let sibling = app.sibling_with(|_| {}).await;
    let me = sibling
        .graphql("{ me { username } }", json!({}), Some(&token))
        .await;

    assert_eq!(data(&me)["me"]["username"], "alice");
    assert_eq!(app.rows("server_settings").await, 1);
}
