//! The `doorman` binary's admin commands, run against a test server's database.

use std::io::Write;
use std::process::{Command, Stdio};

use doorman::config::SettingRange;
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
    login(input: $input) { user { username email isServerAdmin emailVerified } }
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
        json!({ "username": "root", "email": "root@example.com", "isServerAdmin": true,
                "emailVerified": true })
    );
    // `--unverified` leaves the email to be proven.
    let printed = doorman(
        &app,
        &[
            "admin",
            "create-user",
            "--email",
            "helper@example.com",
            "--username",
            "helper",
            "--unverified",
        ],
        "a long enough password\n",
    );
    assert!(printed.contains("created user helper"), "{printed}");
    let response = app
        .graphql(
            LOGIN,
            json!({ "input": { "login": "helper", "password": "a long enough password" } }),
            None,
        )
        .await;
    assert_eq!(data(&response)["login"]["user"]["emailVerified"], false);
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

// ---- settings out of range, and start-up errors that name their cause ----

/// `doorman migrate` over a fresh SQLite file with `env`; returns whether it succeeded and its
/// stderr.
fn migrate_with(env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .arg("migrate")
        .env(
            "DOORMAN_DATABASE_URL",
            format!("sqlite://{}/doorman.db?mode=rwc", dir.path().display()),
        )
        .env("DOORMAN_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .expect("the doorman binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The single line of a start-up failure.
#[track_caller]
fn one_error_line(env: &[(&str, &str)]) -> String {
    let (succeeded, stderr) = migrate_with(env);
    assert!(!succeeded, "{env:?} was accepted");
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.is_empty()).collect();
    assert_eq!(lines.len(), 1, "{env:?}: {stderr}");
    assert!(lines[0].starts_with("error: "), "{env:?}: {stderr}");
    lines[0].to_owned()
}

/// Every numeric setting has a range: a value just outside it (values that used to overflow
/// the date arithmetic and panic among them) stops the binary with one line naming the setting
/// and the range, and the values at both ends are accepted.
#[test]
fn every_setting_out_of_its_range_stops_startup_with_one_line_naming_it() {
    let ranges = doorman::config::Settings::default().ranges();
    assert!(ranges.len() >= 25, "{} ranges", ranges.len());
    for range in &ranges {
        let mut outside = vec![range.max + 1];
        if range.min > 0 {
            outside.push(range.min - 1);
        }
        for value in outside {
            let value = value.to_string();
            let line = one_error_line(&[(range.name, &value)]);
            assert!(
                line.starts_with(&format!(
                    "error: {} must be between {} and ",
                    range.name, range.min
                )),
                "{line}"
            );
            assert!(line.ends_with(&format!("; got {value}")), "{line}");
        }
    }
    // Every setting at the low end of its range at once, then at the high end.
    for end in [
        |range: &SettingRange| range.min,
        |range: &SettingRange| range.max,
    ] {
        let values: Vec<(&str, String)> = ranges
            .iter()
            .map(|range| match range.bounded_by {
                // Bounded by another setting (the default expiry by the longest): 1 fits
                // whatever that one is.
                Some(_) => (range.name, "1".to_owned()),
                None => (range.name, end(range).to_string()),
            })
            .collect();
        let env: Vec<(&str, &str)> = values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let (succeeded, stderr) = migrate_with(&env);
        assert!(succeeded, "{env:?}: {stderr}");
    }
}

/// The values that used to panic: numbers past what dates hold, and the command line's own.
#[test]
fn values_that_overflowed_dates_are_refused_not_panicked_on() {
    for (name, value) in [
        ("DOORMAN_RESEND_COOLDOWN_SECONDS", "18446744073709551615"),
        ("DOORMAN_INVITATION_MAX_EXPIRY_DAYS", "4294967295"),
        ("DOORMAN_EMAIL_LEASE_SECONDS", "9223372036854775807"),
        ("DOORMAN_TOKEN_LIFETIME_MINUTES", "4294967295"),
    ] {
        let line = one_error_line(&[(name, value)]);
        assert!(line.contains(name), "{line}");
        assert!(!line.contains("panicked"), "{line}");
    }
    // Not a number, or too large for its type: the variable is named, on one line.
    for (name, value) in [
        ("DOORMAN_MAX_BATCH", "ten"),
        ("DOORMAN_RESEND_COOLDOWN_SECONDS", "99999999999999999999999"),
        ("DOORMAN_RATE_LIMIT_LOGIN_PER_IP", "5/99999999999d"),
    ] {
        let line = one_error_line(&[(name, value)]);
        assert!(line.starts_with(&format!("error: {name}")), "{line}");
    }

    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args([
            "admin",
            "invite-registration",
            "--expires-in-days",
            "4294967295",
        ])
        .env(
            "DOORMAN_DATABASE_URL",
            format!("sqlite://{}/doorman.db?mode=rwc", dir.path().display()),
        )
        .env("DOORMAN_LOG", "error")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: --expires-in-days must be between 1 and 30"),
        "{stderr}"
    );
}

/// Settings of the identity provider that only make sense together are refused apart, on one
/// line naming what is missing or wrong.
#[test]
fn provider_settings_that_need_each_other_are_refused_apart() {
    let long_name = "x".repeat(65);
    let issuer = [
        ("DOORMAN_OIDC_ISSUER", "https://auth.example.com"),
        ("DOORMAN_OIDC_AUDIENCE", "doorman"),
    ];
    let cases: [(Vec<(&str, &str)>, &str); 4] = [
        (
            vec![("DOORMAN_OIDC_CLIENT_ID", "doorman-pages")],
            "DOORMAN_OIDC_CLIENT_ID needs DOORMAN_OIDC_ISSUER",
        ),
        (
            [
                issuer.as_slice(),
                &[("DOORMAN_OIDC_PROVIDER_NAME", "Acme SSO")],
            ]
            .concat(),
            "DOORMAN_OIDC_PROVIDER_NAME needs DOORMAN_OIDC_CLIENT_ID",
        ),
        (
            [issuer.as_slice(), &[("DOORMAN_OIDC_CLIENT_ID", " ")]].concat(),
            "DOORMAN_OIDC_CLIENT_ID must be 1 to 255 characters",
        ),
        (
            [
                issuer.as_slice(),
                &[
                    ("DOORMAN_OIDC_CLIENT_ID", "doorman-pages"),
                    ("DOORMAN_OIDC_PROVIDER_NAME", &long_name),
                ],
            ]
            .concat(),
            "DOORMAN_OIDC_PROVIDER_NAME must be 1 to 64 characters",
        ),
    ];
    for (env, expected) in cases {
        let line = one_error_line(&env);
        assert_eq!(line, format!("error: {expected}"), "{env:?}");
    }
}

/// A database that cannot be reached, or a URL of no kind Doorman opens, is reported with its
/// cause on one line: not the connection pool's bare "timed out".
#[test]
fn database_start_up_errors_name_their_cause() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("postgres://postgres@127.0.0.1:{closed_port}/doorman");
    let line = one_error_line(&[("DOORMAN_DATABASE_URL", &refused)]);
    assert!(line.contains("refused the connection"), "{line}");
    assert!(!line.contains("timed out"), "{line}");

    for url in ["mysql://localhost/doorman", "doorman.db", "postgres://:::"] {
        let line = one_error_line(&[("DOORMAN_DATABASE_URL", url)]);
        assert!(
            line.contains("sqlite://") && line.contains("postgres://"),
            "{url}: {line}"
        );
    }
}

/// The README's configuration table states each setting's range as the binary checks it.
#[test]
fn the_readme_states_every_settings_range() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md exists");
    let with_commas = |n: u64| {
        let digits = n.to_string();
        let mut grouped = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        grouped
    };
    for range in doorman::config::Settings::default().ranges() {
        let row = readme
            .lines()
            .find(|line| {
                line.starts_with("| `--")
                    && line.split('|').nth(2).map(str::trim) == Some(&format!("`{}`", range.name))
            })
            .unwrap_or_default();
        let max = match range.bounded_by {
            Some(setting) => format!("`{setting}`"),
            None => with_commas(range.max),
        };
        let allowed = format!("| {}–{max} |", with_commas(range.min));
        assert!(
            row.ends_with(&allowed),
            "{}: expected {allowed} in {row:?}",
            range.name
        );
    }
}
