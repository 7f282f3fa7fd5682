//! `/metrics` in the Prometheus text format: operations by name, invitation and email
//! counters, open subscriptions; logs and request ids are covered in `transport`.

use std::time::Duration;

use serde_json::json;

use crate::support::smtp::{Script, SmtpSink};
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

/// Polls `/metrics` until `series` has `value`, for gauges that follow a socket closing.
async fn wait_for_metric(app: &TestApp, series: &str, value: f64) {
    for _ in 0..50 {
        if metric(app, series).await == value {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{series} never reached {value}: {}",
        metric(app, series).await
    );
}

#[tokio::test]
async fn metrics_count_invitations_emails_and_named_operations() {
    let sink = SmtpSink::start_with(Script::Accept);
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.email_retry_base_seconds = 0;
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let bob_link = invite(&app, &alice, "acme", &["bob@example.com"]).await[0]
        .1
        .clone();
    let (carol_id, _) = invite_one(&app, &alice, "acme", "carol@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 2);
    sink.set_script(Script::Reject);
    invite(&app, &alice, "acme", &["dave@example.com"]).await;
    assert_eq!(app.deliver_due_emails().await, 1);
    let (bob, _) = register(&app, "bob").await;
    data(&accept(&app, &bob, &token_from_link(&bob_link)).await);
    data(&cancel(&app, &alice, &carol_id).await);
    for _ in 0..2 {
        data(
            &app.graphql("query Me { me { username } }", json!({}), Some(&alice))
                .await,
        );
    }
    let denied = app
        .graphql(
            "query Pending { orgInvitations(org: { name: \"acme\" }) { totalCount } }",
            json!({}),
            None,
        )
        .await;
    assert_error_code(&denied, "UNAUTHENTICATED");

    let metrics = metrics(&app).await;
    let value = |series: &str| metrics.get(series).copied().unwrap_or(0.0);

    assert_eq!(value("doorman_invitations_created_total"), 3.0);
    assert_eq!(value("doorman_invitations_accepted_total"), 1.0);
    assert_eq!(value("doorman_invitations_cancelled_total"), 1.0);
    // Three invitations, and the verification emails of alice's and bob's accounts.
    assert_eq!(value("doorman_emails_queued_total"), 5.0);
    assert_eq!(value("doorman_emails_sent_total"), 2.0);
    assert_eq!(value("doorman_emails_failed_total"), 1.0);
    assert_eq!(
        value("doorman_graphql_operations_total{operation=\"Me\",type=\"query\",outcome=\"ok\"}"),
        2.0
    );
    assert_eq!(
        value("doorman_graphql_operation_duration_seconds_count{operation=\"Me\",type=\"query\"}"),
        2.0
    );
    assert_eq!(
        value(
            "doorman_graphql_operation_duration_seconds_bucket{le=\"+Inf\",operation=\"Me\",type=\"query\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            "doorman_graphql_operations_total{operation=\"Pending\",type=\"query\",outcome=\"error\"}"
        ),
        1.0
    );
    assert!(
        value(
            "doorman_graphql_operations_total{operation=\"anonymous\",type=\"mutation\",outcome=\"ok\"}"
        ) >= 5.0,
        "the unnamed mutations of the set-up are counted as anonymous"
    );
    assert!(value("doorman_db_statements_total") > 0.0);
}

#[tokio::test]
async fn open_subscriptions_and_websockets_are_gauged() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    assert_eq!(metric(&app, "doorman_subscriptions_open").await, 0.0);

    let mut client = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;
    client
        .subscribe(
            "1",
            "subscription Joins { invitationAccepted(org: { name: \"acme\" }) { acceptedAt } }",
            json!({}),
        )
        .await;
    wait_for_metric(&app, "doorman_subscriptions_open", 1.0).await;
    assert_eq!(
        metric(&app, "doorman_websocket_connections_open").await,
        1.0
    );

    client.stop("1").await;
    wait_for_metric(&app, "doorman_subscriptions_open", 0.0).await;
    drop(client);
    wait_for_metric(&app, "doorman_websocket_connections_open", 0.0).await;
}

#[tokio::test]
async fn operation_names_past_the_limit_share_one_series() {
    let app = TestApp::spawn().await;

    for n in 0..210 {
        data(
            &app.graphql(
                &format!("query Q{n} {{ serverInfo {{ registrationMode }} }}"),
                json!({}),
                None,
            )
            .await,
        );
    }

    let metrics = metrics(&app).await;
    let named = metrics
        .keys()
        .filter(|series| series.starts_with("doorman_graphql_operations_total{operation=\"Q"))
        .count();
    assert_eq!(named, 200);
    assert_eq!(
        metrics["doorman_graphql_operations_total{operation=\"other\",type=\"query\",outcome=\"ok\"}"],
        10.0
    );
}

#[tokio::test]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let (server, base) = serve_binary(
        dir.path(),
        &[("DOORMAN_LOG", "info"), ("DOORMAN_LOG_FORMAT", "json")],
    )
    .await;

    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("x-request-id", "trace-me-42")
        .json(&json!({
            "query": "mutation Join($input: RegisterInput!) { register(input: $input) { user { username } } }",
            "variables": { "input": { "username": "alice", "email": "alice@example.com", "password": PASSWORD } }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    data(&response.json().await.unwrap());
    let pid = server.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(30), server.wait_with_output())
        .await
        .expect("the server exits")
        .unwrap();

    let lines: Vec<serde_json::Value> = String::from_utf8(output.stderr)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["span"]["request_id"] == "trace-me-42")
        .collect();
    assert!(
        of_request
            .iter()
            .any(|line| line["fields"]["status"] == 200),
        "no access log line for the request in {lines:#?}"
    );
    assert!(
        of_request
            .iter()
            .all(|line| line["span"]["path"] == "/graphql" && line["span"]["operation"] == "Join"),
        "{of_request:#?}"
    );
    assert!(
        !String::from_utf8_lossy(&serde_json::to_vec(&lines).unwrap()).contains(PASSWORD),
        "a password reached the logs"
    );
}
