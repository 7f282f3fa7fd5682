//! Rate limits and invitation quotas: for each one, a call just under it passes and the next
//! is refused with `RATE_LIMITED` and a positive whole `retryAfter` (the pending cap with
//! `BAD_USER_INPUT` naming its setting). Every resolver call takes a cell, so aliases and
//! batches cannot bypass a limit; `X-Forwarded-For` counts only from a trusted proxy.
//! The harness makes every limit generous; each test lowers the one it checks.

use std::time::Duration;

use chrono::Utc;
use doorman::config::{Rate, Settings};
use serde_json::{Value as Json, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const MINUTE: Duration = Duration::from_secs(60);
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
/// A token that no invitation has: lookups answer `null`.
const UNKNOWN_TOKEN: &str = "nope";

/// Checks `error` is `RATE_LIMITED` with a positive whole `retryAfter`, and returns it.
#[track_caller]
fn retry_after_of(error: &Json) -> u64 {
    assert_eq!(
        error["extensions"]["code"], "RATE_LIMITED",
        "expected RATE_LIMITED in {error:#}"
    );
    let retry = error["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("no whole retryAfter in {error:#}"));
    assert!(retry >= 1, "retryAfter must be positive in {error:#}");
    retry
}

/// The first error of `response` is `RATE_LIMITED`; returns its `retryAfter`.
#[track_caller]
fn assert_rate_limited(response: &Json) -> u64 {
    assert!(
        response["errors"].is_array(),
        "expected an error in {response:#}"
    );
    retry_after_of(&response["errors"][0])
}

/// Trusts the test client's own address as a proxy, so `X-Forwarded-For` names the client.
fn behind_proxy(settings: &mut Settings) {
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// Posts one GraphQL request with `X-Forwarded-For: forwarded_for`.
async fn graphql_from(
    app: &TestApp,
    forwarded_for: &str,
    query: &str,
    variables: Json,
    token: Option<&str>,
) -> Json {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn login_from(app: &TestApp, forwarded_for: &str, login: &str, password: &str) -> Json {
    graphql_from(
        app,
        forwarded_for,
        LOGIN,
        json!({ "input": { "login": login, "password": password } }),
        None,
    )
    .await
}

async fn register_from(app: &TestApp, forwarded_for: &str, username: &str) -> Json {
    graphql_from(
        app,
        forwarded_for,
        REGISTER,
        json!({ "input": {
            "username": username, "email": format!("{username}@example.com"), "password": PASSWORD,
        } }),
        None,
    )
    .await
}

// ---- invitation tokens: invitation(token:), acceptInvitation, declineInvitation ----

#[tokio::test]
async fn invitation_lookups_from_one_address_are_limited_and_the_refusal_says_when_to_retry() {
    let app = TestApp::spawn_with(|s| s.rate_limits.token_per_ip = Rate::new(3, MINUTE)).await;

    for _ in 0..3 {
        let response = invitation(&app, UNKNOWN_TOKEN, None).await;
        assert_eq!(data(&response)["invitation"], Json::Null);
    }
    let over = invitation(&app, UNKNOWN_TOKEN, None).await;

    // One cell comes back every 20 seconds.
    let retry = assert_rate_limited(&over);
    assert!(retry <= 20, "retryAfter {retry}");
    assert!(
        over["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("try again")
    );
}

#[tokio::test]
async fn accepting_and_declining_count_against_the_same_limit_as_lookups() {
    let app = TestApp::spawn_with(|s| s.rate_limits.token_per_ip = Rate::new(3, MINUTE)).await;
    let (alice, _) = register(&app, "alice").await;

    assert_error_code(
        &accept(&app, &alice, UNKNOWN_TOKEN).await,
        "INVITATION_NOT_FOUND",
    );
    assert_error_code(
        &decline(&app, &alice, UNKNOWN_TOKEN).await,
        "INVITATION_NOT_FOUND",
    );
    data(&invitation(&app, UNKNOWN_TOKEN, None).await);

    assert_rate_limited(&accept(&app, &alice, UNKNOWN_TOKEN).await);
    assert_rate_limited(&decline(&app, &alice, UNKNOWN_TOKEN).await);
}

#[tokio::test]
async fn a_signed_in_account_is_limited_on_tokens_whatever_address_it_uses() {
    let app = TestApp::spawn_with(|s| {
        behind_proxy(s);
        s.rate_limits.token_per_account = Rate::new(2, MINUTE);
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    let lookup = |n: u8| {
        let alice = alice.clone();
        let app = &app;
        async move {
            graphql_from(
                app,
                &format!("198.51.100.{n}"),
                INVITATION,
                json!({ "token": UNKNOWN_TOKEN }),
                Some(&alice),
            )
            .await
        }
    };

    data(&lookup(1).await);
    data(&lookup(2).await);
    assert_rate_limited(&lookup(3).await);

    // Anonymous callers from a fresh address are not affected.
    let anonymous = graphql_from(
        &app,
        "198.51.100.4",
        INVITATION,
        json!({ "token": UNKNOWN_TOKEN }),
        None,
    )
    .await;
    data(&anonymous);
}

#[tokio::test]
async fn an_alias_flood_gets_exactly_the_limit_answered_and_the_rest_rate_limited() {
    let app = TestApp::spawn_with(|s| {
        s.limits.max_aliases = 50;
        s.rate_limits.token_per_ip = Rate::new(10, MINUTE);
    })
    .await;
    let fields: Vec<String> = (0..20)
        .map(|n| format!("a{n}: invitation(token: \"{UNKNOWN_TOKEN}\") {{ id }}"))
        .collect();
    let query = format!("{{ {} }}", fields.join(" "));

    let response = app.graphql(&query, json!({}), None).await;

    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 10, "{response:#}");
    for n in 0..10 {
        assert_eq!(response["data"][format!("a{n}")], Json::Null);
    }
    let mut limited: Vec<String> = errors
        .iter()
        .map(|error| {
            retry_after_of(error);
            str_of(&error["path"][0])
        })
        .collect();
    limited.sort_by_key(|alias| alias[1..].parse::<u32>().unwrap());
    let expected: Vec<String> = (10..20).map(|n| format!("a{n}")).collect();
    assert_eq!(limited, expected);
}

#[tokio::test]
async fn a_batch_of_ten_lookups_with_a_limit_of_five_gets_five_answers_and_five_refusals() {
    let app = TestApp::spawn_with(|s| s.rate_limits.token_per_ip = Rate::new(5, MINUTE)).await;
    let batch: Vec<Json> = (0..10)
        .map(|_| json!({ "query": INVITATION, "variables": { "token": UNKNOWN_TOKEN } }))
        .collect();

    let answers: Vec<Json> = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(answers.len(), 10);
    for answer in &answers[..5] {
        assert_eq!(data(answer)["invitation"], Json::Null);
    }
    for answer in &answers[5..] {
        assert_rate_limited(answer);
    }
}

#[tokio::test]
async fn a_lookup_over_websocket_shares_the_clients_limit_with_http() {
    let app = TestApp::spawn_with(|s| s.rate_limits.token_per_ip = Rate::new(1, MINUTE)).await;
    data(&invitation(&app, UNKNOWN_TOKEN, None).await);

    let mut client = WsClient::connect(&app, Protocol::TransportWs).await;
    client.init(None).await;
    client
        .subscribe("1", INVITATION, json!({ "token": UNKNOWN_TOKEN }))
        .await;

    let errors = client.errors("1").await;
    retry_after_of(&errors[0]);
}

// ---- login and register ----

#[tokio::test]
async fn password_guessing_on_one_account_is_limited_per_identifier_from_any_address() {
    let app = TestApp::spawn_with(|s| {
        behind_proxy(s);
        s.rate_limits.login_per_identifier = Rate::new(3, 15 * MINUTE);
    })
    .await;
    register(&app, "alice").await;
    register(&app, "bob").await;

    for n in 1..=3 {
        let guess = login_from(&app, &format!("203.0.113.{n}"), "alice", "wrong guess").await;
        assert_error_code(&guess, "UNAUTHENTICATED");
    }
    // The identifier is compared lower-cased; even the right password waits now.
    let over = login_from(&app, "203.0.113.4", "ALICE", PASSWORD).await;
    let retry = assert_rate_limited(&over);
    assert!(
        retry <= 300,
        "one attempt comes back every 5 minutes, got {retry}"
    );

    // Other accounts sign in as usual.
    data(&login_from(&app, "203.0.113.5", "bob", PASSWORD).await);
}

#[tokio::test]
async fn logins_from_one_address_are_limited_across_identifiers() {
    let app = TestApp::spawn_with(|s| {
        behind_proxy(s);
        s.rate_limits.login_per_ip = Rate::new(2, 15 * MINUTE);
    })
    .await;
    register(&app, "alice").await;

    for login in ["carol", "dave"] {
        assert_error_code(
            &login_from(&app, "203.0.113.1", login, PASSWORD).await,
            "UNAUTHENTICATED",
        );
    }
    assert_rate_limited(&login_from(&app, "203.0.113.1", "alice", PASSWORD).await);
    // Another client behind the same proxy is not.
    data(&login_from(&app, "203.0.113.2", "alice", PASSWORD).await);
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_when_the_peer_is_not_a_trusted_proxy() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        s.rate_limits.login_per_ip = Rate::new(2, 15 * MINUTE);
    })
    .await;
    register(&app, "alice").await;

    data(&login_from(&app, "203.0.113.1", "alice", PASSWORD).await);
    data(&login_from(&app, "203.0.113.2", "alice", PASSWORD).await);
    // A new forwarded address changes nothing: the client is still the TCP peer.
    assert_rate_limited(&login_from(&app, "203.0.113.3", "alice", PASSWORD).await);
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(|s| {
        behind_proxy(s);
        s.rate_limits.register_per_ip = Rate::new(2, Duration::from_secs(3600));
    })
    .await;

    data(&register_from(&app, "192.0.2.1", "alice").await);
    data(&register_from(&app, "192.0.2.1", "bob").await);
    let over = register_from(&app, "192.0.2.1", "carol").await;

    // One registration comes back every 30 minutes.
    let retry = assert_rate_limited(&over);
    assert!((1700..=1800).contains(&retry), "retryAfter {retry}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE username = $1",
            vec!["carol".into()]
        )
        .await,
        0
    );
    data(&register_from(&app, "192.0.2.2", "carol").await);
}

// ---- invitation-creating mutations, per account ----

#[tokio::test]
async fn invitation_creating_mutations_share_a_per_account_limit() {
    let app =
        TestApp::spawn_with(|s| s.rate_limits.invites_per_account = Rate::new(3, MINUTE)).await;
    let (alice, _) = register(&app, "alice").await;
    let (bob, _) = register(&app, "bob").await;
    create_org(&app, &alice, "acme").await;
    create_org(&app, &bob, "bobco").await;

    let (id, _) = invite_one(&app, &alice, "acme", "x@example.com").await;
    data(&create_invite_link(&app, &alice, "acme", json!({})).await);
    data(&resend(&app, &alice, json!({ "ids": [id] })).await);
    assert_rate_limited(&create_invite_link(&app, &alice, "acme", json!({})).await);
    assert_rate_limited(
        &create_org_invites(&app, &alice, "acme", &["y@example.com"], json!({})).await,
    );

    data(&create_invite_link(&app, &bob, "bobco", json!({})).await);
}

// ---- the daily quota per organization ----

async fn backdate_org(app: &TestApp, name: &str, days: i64) {
    app.execute(
        "UPDATE organizations SET created_at = $1 WHERE name = $2",
        vec![
            (Utc::now() - chrono::Duration::days(days)).into(),
            name.into(),
        ],
    )
    .await;
}

fn emails(from: usize, count: usize) -> Vec<String> {
    (from..from + count)
        .map(|n| format!("invitee{n}@example.com"))
        .collect()
}

async fn invite_many(app: &TestApp, token: &str, org: &str, emails: &[String]) -> Json {
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    create_org_invites(app, token, org, &emails, json!({})).await
}

#[tokio::test]
async fn a_young_organization_gets_the_small_daily_quota_and_bulk_requests_over_it_create_nothing()
{
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.new_org_invitations_per_day = 3;
        s.rate_limits.org_invitations_per_day = 5;
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    data(&invite_many(&app, &alice, "acme", &emails(0, 2)).await);
    // Two more would make 4 of 3: refused whole.
    let bulk = invite_many(&app, &alice, "acme", &emails(2, 2)).await;
    let retry = assert_rate_limited(&bulk);
    assert!((86_000..=86_400).contains(&retry), "retryAfter {retry}");
    assert!(
        bulk["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Nothing was created"),
        "{bulk:#}"
    );
    assert_eq!(app.rows("invitations").await, 2);

    // Just under: the third fits (an open link counts too); the fourth does not.
    data(&create_invite_link(&app, &alice, "acme", json!({})).await);
    assert_rate_limited(&invite_many(&app, &alice, "acme", &emails(2, 1)).await);

    // After 30 days the organization gets the larger quota.
    backdate_org(&app, "acme", 31).await;
    data(&invite_many(&app, &alice, "acme", &emails(2, 2)).await);
    assert_rate_limited(&create_invite_link(&app, &alice, "acme", json!({})).await);
    assert_eq!(app.rows("invitations").await, 5);
}

#[tokio::test]
async fn the_daily_quota_is_a_rolling_window_and_retry_after_is_when_the_oldest_leaves_it() {
    let app = TestApp::spawn_with(|s| s.rate_limits.new_org_invitations_per_day = 2).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (oldest, _) = invite_one(&app, &alice, "acme", "a@example.com").await;
    invite_one(&app, &alice, "acme", "b@example.com").await;

    // The oldest was created 23 hours ago: it leaves the window in an hour.
    app.execute(
        "UPDATE invitations SET created_at = $1 WHERE id = $2",
        vec![
            (Utc::now() - chrono::Duration::hours(23)).into(),
            db_id(&oldest).into(),
        ],
    )
    .await;
    let over = invite_many(&app, &alice, "acme", &emails(0, 1)).await;
    let retry = assert_rate_limited(&over);
    assert!((3500..=3600).contains(&retry), "retryAfter {retry}");

    // Once it has left, one more fits.
    app.execute(
        "UPDATE invitations SET created_at = $1 WHERE id = $2",
        vec![
            (Utc::now() - chrono::Duration::hours(25)).into(),
            db_id(&oldest).into(),
        ],
    )
    .await;
    data(&invite_many(&app, &alice, "acme", &emails(0, 1)).await);
    assert_rate_limited(&invite_many(&app, &alice, "acme", &emails(1, 1)).await);
}

#[tokio::test]
async fn racing_bulk_invites_through_two_instances_never_pass_the_daily_quota() {
    let app = TestApp::spawn_with(|s| s.rate_limits.new_org_invitations_per_day = 10).await;
    let sibling = app.sibling_with(|_| {}).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let requests = (0..6).map(|n| {
        let server = if n % 2 == 0 { &app } else { &sibling };
        let batch = emails(n * 3, 3);
        let alice = alice.clone();
        async move { invite_many(server, &alice, "acme", &batch).await }
    });
    let responses = futures_util::future::join_all(requests).await;

    let created = responses.iter().filter(|r| r["errors"].is_null()).count();
    for refused in responses.iter().filter(|r| !r["errors"].is_null()) {
        assert_rate_limited(refused);
    }
    assert_eq!(created, 3, "{responses:#?}");
    assert_eq!(app.rows("invitations").await, 9);
}

#[tokio::test]
async fn a_request_larger_than_the_whole_daily_quota_is_bad_user_input_naming_the_setting() {
    let app = TestApp::spawn_with(|s| s.rate_limits.new_org_invitations_per_day = 3).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let response = invite_many(&app, &alice, "acme", &emails(0, 4)).await;

    assert_error_code(&response, "BAD_USER_INPUT");
    assert_eq!(
        response["errors"][0]["extensions"]["limit"],
        "DOORMAN_NEW_ORG_INVITATIONS_PER_DAY"
    );
    assert_eq!(app.rows("invitations").await, 0);
}

// ---- resend cooldown ----

#[tokio::test]
async fn resending_within_the_cooldown_is_a_rate_limited_entry_in_errors() {
    let app = TestApp::spawn_with(|s| s.rate_limits.resend_cooldown_seconds = 60).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let resend_retry = "mutation($input: ResendInput!) { resend(input: $input) {
        invitations { id } errors { id email code message retryAfter } } }";
    let resend_once = || {
        app.graphql(
            resend_retry,
            json!({ "input": { "ids": [&id] } }),
            Some(&alice),
        )
    };

    // Just sent: refused, with the seconds to wait.
    let early = resend_once().await;
    let payload = &data(&early)["resend"];
    assert_eq!(payload["invitations"], json!([]));
    assert_eq!(payload["errors"][0]["id"], json!(id));
    assert_eq!(payload["errors"][0]["code"], "RATE_LIMITED");
    let retry = payload["errors"][0]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=60).contains(&retry), "retryAfter {retry}");

    // 61 seconds after it was created: resent.
    app.execute(
        "UPDATE invitations SET created_at = $1 WHERE id = $2",
        vec![
            (Utc::now() - chrono::Duration::seconds(61)).into(),
            db_id(&id).into(),
        ],
    )
    .await;
    let resent = resend_once().await;
    assert_eq!(data(&resent)["resend"]["invitations"][0]["id"], json!(id));
    assert_eq!(data(&resent)["resend"]["errors"], json!([]));

    // The cooldown starts again from the resend.
    let again = resend_once().await;
    assert_eq!(data(&again)["resend"]["errors"][0]["code"], "RATE_LIMITED");
    app.execute(
        "UPDATE invitation_tokens SET superseded_at = $1 WHERE invitation_id = $2",
        vec![
            (Utc::now() - chrono::Duration::seconds(61)).into(),
            db_id(&id).into(),
        ],
    )
    .await;
    assert_eq!(data(&resend_once().await)["resend"]["errors"], json!([]));
}

// ---- the pending cap ----

#[tokio::test]
async fn an_organization_cannot_hold_more_pending_invitations_than_the_cap() {
    let app = TestApp::spawn_with(|s| s.rate_limits.max_pending_invitations = 3).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (first, _) = invite_one(&app, &alice, "acme", "a@example.com").await;
    data(&create_invite_link(&app, &alice, "acme", json!({})).await);

    // Two more would make 4 of 3: refused whole, naming the setting.
    let bulk = invite_many(&app, &alice, "acme", &emails(0, 2)).await;
    assert_error_code(&bulk, "BAD_USER_INPUT");
    assert_eq!(
        bulk["errors"][0]["extensions"]["limit"],
        "DOORMAN_MAX_PENDING_INVITATIONS"
    );
    assert!(
        bulk["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 3 pending")
    );
    assert_eq!(app.rows("invitations").await, 2);

    // Just under: the third fits, a fourth does not.
    data(&invite_many(&app, &alice, "acme", &emails(0, 1)).await);
    let over = create_invite_link(&app, &alice, "acme", json!({})).await;
    assert_error_code(&over, "BAD_USER_INPUT");

    // Cancelled invitations no longer count.
    data(&cancel(&app, &alice, &first).await);
    data(&invite_many(&app, &alice, "acme", &emails(1, 1)).await);
}

/// A resend makes an expired invitation pending again, so it needs room under the cap like a
/// new one: with the cap full, resending an expired invitation is refused whole and changes
/// nothing; resending one that is still pending (already counted) goes through.
#[tokio::test]
async fn resending_an_expired_invitation_counts_against_the_pending_cap() {
    let app = TestApp::spawn_with(|s| s.rate_limits.max_pending_invitations = 2).await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (expired, _) = invite_one(&app, &alice, "acme", "a@example.com").await;
    app.expire_invitation(&expired).await;
    let (pending, _) = invite_one(&app, &alice, "acme", "b@example.com").await;
    invite_one(&app, &alice, "acme", "c@example.com").await;

    let revived = resend(&app, &alice, json!({ "ids": [expired] })).await;
    let both = resend(&app, &alice, json!({ "ids": [pending, expired] })).await;

    for refused in [&revived, &both] {
        assert_error_code(refused, "BAD_USER_INPUT");
        assert_eq!(
            refused["errors"][0]["extensions"]["limit"],
            "DOORMAN_MAX_PENDING_INVITATIONS"
        );
    }
    let statuses = app
        .strings(
            "SELECT status FROM invitations WHERE id = $1",
            vec![db_id(&expired).into()],
        )
        .await;
    assert_eq!(statuses, ["PENDING"]);
    assert_eq!(app.event_kinds(&expired).await, ["CREATED"]);
    assert_eq!(
        data(&resend(&app, &alice, json!({ "ids": [pending] })).await)["resend"]["errors"],
        json!([])
    );

    // With room again, the expired one comes back.
    data(&cancel(&app, &alice, &pending).await);
    let room = resend(&app, &alice, json!({ "ids": [expired] })).await;
    assert_eq!(data(&room)["resend"]["errors"], json!([]));
    assert_eq!(app.event_kinds(&expired).await, ["CREATED", "RESENT"]);
}

// ---- the switch ----

#[tokio::test]
async fn with_rate_limits_off_nothing_is_rate_limited() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.enabled = false;
        s.rate_limits.token_per_ip = Rate::new(1, MINUTE);
        s.rate_limits.register_per_ip = Rate::new(1, MINUTE);
        s.rate_limits.new_org_invitations_per_day = 1;
        s.rate_limits.resend_cooldown_seconds = 3600;
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    register(&app, "bob").await;
    for _ in 0..3 {
        data(&invitation(&app, UNKNOWN_TOKEN, None).await);
    }
    create_org(&app, &alice, "acme").await;
    let (id, _) = invite_one(&app, &alice, "acme", "a@example.com").await;
    invite_one(&app, &alice, "acme", "b@example.com").await;
    assert_eq!(
        data(&resend(&app, &alice, json!({ "ids": [id] })).await)["resend"]["errors"],
        json!([])
    );
}

/// Limits shared by instances through Redis (`DOORMAN_REDIS_URL`; the suite's Redis is
/// `DOORMAN_TEST_REDIS_URL`, by default the local one). Each test writes under its own key
/// prefix, so tests running at once do not share cells.
mod needs_redis {
    use super::*;

    /// Shares limits through `url` under a prefix of this test's own, with three lookups a
    /// minute per address.
    fn sharing(url: String, prefix: String) -> impl FnOnce(&mut Settings) {
        move |settings| {
            settings.cluster.redis_url = Some(url);
            settings.cluster.redis_key_prefix = prefix;
            settings.rate_limits.token_per_ip = Rate::new(3, MINUTE);
        }
    }

    #[tokio::test]
    async fn two_instances_sharing_redis_enforce_one_limit_for_an_address() {
        let url = test_redis_url().await;
        let prefix = fresh_redis_prefix();
        let a = TestApp::spawn_with(sharing(url.clone(), prefix.clone())).await;
        let b = a.sibling_with(sharing(url, prefix)).await;

        // Two lookups on one instance and one on the other use up the three.
        for app in [&a, &b, &a] {
            let response = invitation(app, UNKNOWN_TOKEN, None).await;
            assert_eq!(data(&response)["invitation"], Json::Null);
        }
        for app in [&b, &a] {
            let retry = assert_rate_limited(&invitation(app, UNKNOWN_TOKEN, None).await);
            assert!((1..=20).contains(&retry), "retryAfter {retry}");
        }

        // Without Redis, each instance counts alone: three more each.
        let c = TestApp::spawn_with(|s| s.rate_limits.token_per_ip = Rate::new(3, MINUTE)).await;
        let d = c
            .sibling_with(|s| s.rate_limits.token_per_ip = Rate::new(3, MINUTE))
            .await;
        for app in [&c, &c, &c, &d, &d, &d] {
            let response = invitation(app, UNKNOWN_TOKEN, None).await;
            assert_eq!(data(&response)["invitation"], Json::Null);
        }
        assert_eq!(
            metric(&a, "doorman_rate_limit_backend_errors_total").await,
            0.0
        );
    }

    /// A Redis that does not answer (nothing listens on its port): by default each instance
    /// counts on its own, as without Redis (a slow Redis never turns the limits off), and the
    /// failures are counted; with `DOORMAN_REDIS_FAIL_OPEN=false` requests are refused.
    #[tokio::test]
    async fn an_unreachable_redis_fails_open_by_default_and_closed_when_told() {
        let nowhere = format!("redis://127.0.0.1:{}", crate::support::smtp::free_port());
        let open = TestApp::spawn_with(sharing(nowhere.clone(), fresh_redis_prefix())).await;
        for _ in 0..3 {
            let response = invitation(&open, UNKNOWN_TOKEN, None).await;
            assert_eq!(data(&response)["invitation"], Json::Null);
        }
        let retry = assert_rate_limited(&invitation(&open, UNKNOWN_TOKEN, None).await);
        assert!((1..=20).contains(&retry), "retryAfter {retry}");
        assert!(metric(&open, "doorman_rate_limit_backend_errors_total").await >= 4.0);

        let closed = TestApp::spawn_with(|settings| {
            sharing(nowhere, fresh_redis_prefix())(settings);
            settings.cluster.redis_fail_open = false;
        })
        .await;
        let retry = assert_rate_limited(&invitation(&closed, UNKNOWN_TOKEN, None).await);
        assert_eq!(retry, 1);
    }
}
