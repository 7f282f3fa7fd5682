//! Email delivery through the outbox, over real SMTP to an in-process sink (`support::smtp`):
//! content and escaping, retries, permanent failures, cancellation, a worker killed mid-send,
//! and the file transport. Tests drive the worker with `deliver_due_emails()` unless they say
//! otherwise.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use doorman::config::{RegistrationMode, Settings};
use serde_json::{Value, json};

use crate::support::smtp::{CapturedMessage, Script, SmtpSink, free_port, unescape_html, url_for};
use crate::support::*;

const MAIL_FROM: &str = "Doorman Tests <invites@doorman.test>";

/// Delivery only when the test asks (`deliver_due_emails`), with retries due at once.
fn deliver_by_hand(settings: &mut Settings, smtp_url: Option<String>) {
    settings.smtp_url = smtp_url;
    settings.mail_from = MAIL_FROM.to_owned();
    settings.outbox_worker = false;
    settings.email_retry_base_seconds = 0;
}

/// A server that mails to `smtp_url` by hand, with admin `alice` of org `acme` ("Acme Inc.");
/// returns the server and alice's token.
async fn acme_mailing_to(smtp_url: &str) -> (TestApp, String) {
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, Some(smtp_url.to_owned()));
    })
    .await;
    let alice = alice_with_acme(&app).await;
    (app, alice)
}

const DELIVERIES: &str = "query($email: String) {
  orgInvitations(org: { name: \"acme\" }, email: $email, first: 100) { edges { node {
    id email status emailStatus sendCount emailAttempts lastSentAt lastEmailError } } } }";

/// The delivery fields of acme's invitations (to `email` only, when given), as alice sees them.
async fn deliveries(app: &TestApp, admin: &str, email: Option<&str>) -> Vec<Value> {
    let response = app
        .graphql(DELIVERIES, json!({ "email": email }), Some(admin))
        .await;
    data(&response)["orgInvitations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {response:#}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// The delivery fields of the one invitation to `email`.
async fn delivery(app: &TestApp, admin: &str, email: &str) -> Value {
    let nodes = deliveries(app, admin, Some(email)).await;
    assert_eq!(
        nodes.len(),
        1,
        "expected one invitation to {email}: {nodes:#?}"
    );
    nodes[0].clone()
}

/// `emailStatus`, `sendCount` and `emailAttempts` of an invitation node.
fn counters(node: &Value) -> Value {
    json!({
        "emailStatus": node["emailStatus"],
        "sendCount": node["sendCount"],
        "emailAttempts": node["emailAttempts"],
    })
}

#[track_caller]
fn last_email_error(node: &Value) -> String {
    node["lastEmailError"]
        .as_str()
        .unwrap_or_else(|| panic!("no lastEmailError in {node:#}"))
        .to_owned()
}

/// Statuses of an invitation's outbox rows, oldest first.
async fn outbox_statuses(app: &TestApp, invitation_id: &str) -> Vec<String> {
    app.strings(
        "SELECT status FROM email_outbox WHERE invitation_id = $1 ORDER BY id",
        vec![db_id(invitation_id).into()],
    )
    .await
}

/// Outbox rows that still hold the invitation link or a message body (and so a raw token).
async fn outbox_rows_with_a_body(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM email_outbox
         WHERE link IS NOT NULL OR text_body IS NOT NULL OR html_body IS NOT NULL",
        vec![],
    )
    .await
}

/// The one message the sink received.
#[track_caller]
fn only_message(sink: &SmtpSink) -> CapturedMessage {
    let messages = sink.messages();
    assert_eq!(
        messages.len(),
        1,
        "expected one message at the sink, got {messages:#?}"
    );
    messages[0].clone()
}

/// The recipient of each message, sorted.
fn sorted_recipients(messages: &[CapturedMessage]) -> Vec<String> {
    let mut recipients: Vec<String> = messages
        .iter()
        .flat_map(|message| message.recipients.clone())
        .collect();
    recipients.sort();
    recipients
}

fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

// ---- content ----

#[tokio::test]
async fn an_invitation_email_names_the_inviter_organization_role_message_expiry_and_link() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let expires_at = Utc::now() + chrono::Duration::days(10);
    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bob@example.com"],
        json!({ "role": "VISITOR", "message": "Welcome aboard, Bob!",
                "expiresAt": expires_at.to_rfc3339() }),
    )
    .await;
    let created = &invitations_of(&data(&response)["createOrgInvites"])[0];
    let link = link_of(&app, created).await;
    // Written in English (the server's default language), in UTC.
    let expiry_date = parse_time(&created["expiresAt"])
        .format("%B %-d, %Y, %H:%M UTC")
        .to_string();

    let attempted = app.deliver_due_emails().await;

    assert_eq!(attempted, 1);
    let message = only_message(&sink);
    assert_eq!(message.recipients, ["bob@example.com"]);
    assert_eq!(message.envelope_from, "invites@doorman.test");
    let from = message.header("From").expect("a From header");
    assert!(from.contains("invites@doorman.test"), "From: {from}");
    let to = message.header("To").expect("a To header");
    assert!(to.contains("bob@example.com"), "To: {to}");
    let id = message.header("Message-ID").expect("a Message-ID header");
    assert!(
        id.starts_with('<') && id.ends_with('>') && id.contains('@'),
        "Message-ID: {id}"
    );
    assert!(
        message.html().contains(&format!("href=\"{link}\"")),
        "the link is written plainly in the href"
    );
    let subject = message.subject();
    assert!(
        subject.contains("alice") && subject.contains("Acme Inc."),
        "the subject names neither the inviter nor the organization: {subject}"
    );
    let html = unescape_html(&message.html());
    for (part, body) in [("text", message.text()), ("html", html)] {
        assert!(
            lowercase(&body).contains("visitor"),
            "the {part} part does not name the role:\n{body}"
        );
        assert!(
            body.contains("Welcome aboard, Bob!"),
            "the {part} part lacks the personal message:\n{body}"
        );
        assert!(
            body.contains(&expiry_date),
            "the {part} part lacks the expiry date {expiry_date}:\n{body}"
        );
        assert!(
            body.contains(&link),
            "the {part} part lacks the link {link}:\n{body}"
        );
    }
    assert_eq!(message.invitation_link(), link);
}

#[tokio::test]
async fn a_queued_email_is_rendered_when_sent_and_holds_only_its_link_until_then() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let response = create_org_invites(&app, &alice, "acme", &["bob@example.com"], json!({})).await;
    let created = &invitations_of(&data(&response)["createOrgInvites"])[0];
    let link = link_of(&app, created).await;
    // Queued: the link, no rendered message.
    assert_eq!(
        app.strings(
            "SELECT link FROM email_outbox WHERE kind = 'INVITATION' \
             AND text_body IS NULL AND html_body IS NULL",
            vec![],
        )
        .await,
        std::slice::from_ref(&link)
    );
    // The organization is renamed before the message goes out.
    app.execute(
        "UPDATE organizations SET display_name = $1 WHERE name = $2",
        vec!["Acme Worldwide".into(), "acme".into()],
    )
    .await;

    assert_eq!(app.deliver_due_emails().await, 1);

    let message = only_message(&sink);
    assert!(
        message.text().contains("Acme Worldwide") && !message.text().contains("Acme Inc."),
        "the message names the organization as it was when queued:\n{}",
        message.text()
    );
    assert_eq!(message.invitation_link(), link);
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
}

#[tokio::test]
async fn a_message_queued_with_its_bodies_by_an_earlier_version_is_sent_as_stored() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let response = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bob@example.com"],
        json!({ "sendEmail": false }),
    )
    .await;
    let created = &invitations_of(&data(&response)["createOrgInvites"])[0];
    let now = Utc::now();
    app.execute(
        "INSERT INTO email_outbox (invitation_id, recipient, subject, text_body, html_body,
             status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'QUEUED', 0, $6, $6)",
        vec![
            db_id(&str_of(&created["id"])).into(),
            "bob@example.com".into(),
            "Stored subject".into(),
            "Stored text".into(),
            "<p>Stored html</p>".into(),
            now.into(),
        ],
    )
    .await;

    assert_eq!(app.deliver_due_emails().await, 1);

    let message = only_message(&sink);
    assert_eq!(message.subject(), "Stored subject");
    assert!(message.text().contains("Stored text"), "{}", message.text());
    assert!(message.html().contains("Stored html"), "{}", message.html());
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
}

#[tokio::test]
async fn the_html_part_escapes_script_tags_in_the_org_display_name_and_the_message() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    create_org_with(
        &app,
        &alice,
        json!({ "name": "evil", "displayName": "<script>alert(1)</script>" }),
    )
    .await;
    invite_with(
        &app,
        &alice,
        "evil",
        &["bob@example.com"],
        json!({ "message": "<script>alert(2)</script>" }),
    )
    .await;

    assert_eq!(app.deliver_due_emails().await, 1);

    let html = only_message(&sink).html();
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the org display name is not escaped in:\n{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(2)"),
        "the message is not escaped in:\n{html}"
    );
    assert!(
        !lowercase(&html).contains("<script"),
        "a raw <script> tag in:\n{html}"
    );
}

#[tokio::test]
async fn a_registration_invite_email_has_its_own_wording_and_a_link_that_registers() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let created = app
        .graphql(
            "mutation($input: CreateRegistrationInviteInput!) {
                createRegistrationInvite(input: $input) { id invitationLink emailStatus } }",
            json!({ "input": { "email": "newbie@example.com", "sendEmail": true } }),
            Some(&alice),
        )
        .await;
    let invite = &data(&created)["createRegistrationInvite"];
    assert_eq!(invite["emailStatus"], "QUEUED");
    let link = link_of(&app, invite).await;

    assert_eq!(app.deliver_due_emails().await, 1);

    let message = only_message(&sink);
    assert_eq!(message.recipients, ["newbie@example.com"]);
    let subject = message.subject();
    assert!(
        lowercase(&subject).contains("account"),
        "the subject does not mention creating an account: {subject}"
    );
    assert_eq!(message.invitation_link(), link);
    let listed = app
        .graphql(
            "{ registrationInvitations(first: 10) { edges { node {
                id emailStatus sendCount emailAttempts } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&listed)["registrationInvitations"]["edges"][0]["node"],
        json!({ "id": invite["id"], "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 1 })
    );
    let closed = app
        .sibling_with(|settings| settings.registration_mode = RegistrationMode::InvitationOnly)
        .await;
    let registered = closed
        .graphql(
            REGISTER,
            json!({ "input": { "username": "newbie", "email": "newbie@example.com",
                               "password": PASSWORD,
                               "invitationToken": message.invitation_token() } }),
            None,
        )
        .await;
    assert_eq!(data(&registered)["register"]["user"]["username"], "newbie");
}

// ---- delivery ----

#[tokio::test]
async fn a_bulk_invite_of_twenty_emails_delivers_twenty_messages_whose_links_accept() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, Some(sink.url()));
        settings.outbox_worker = true;
        settings.outbox_poll_interval_ms = 100;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let emails: Vec<String> = (1..=20)
        .map(|i| format!("invitee{i}@example.com"))
        .collect();
    let email_refs: Vec<&str> = emails.iter().map(String::as_str).collect();

    let response = create_org_invites(&app, &alice, "acme", &email_refs, json!({})).await;

    let created = invitations_of(&data(&response)["createOrgInvites"]);
    assert_eq!(created.len(), 20);
    assert!(
        created.iter().all(|node| node["invitationLink"].is_null()),
        "emailed links are in the emails only: {created:#?}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let nodes = deliveries(&app, &alice, None).await;
        if nodes.len() == 20 && nodes.iter().all(|node| node["emailStatus"] == "SENT") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all 20 delivered within 10 s: {nodes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The worker may have sent alice's verification email before the fixture stopped it.
    let messages: Vec<CapturedMessage> = sink
        .messages()
        .into_iter()
        .filter(|message| message.text().contains("/invite/"))
        .collect();
    assert_eq!(messages.len(), 20, "{messages:#?}");
    let mut expected = emails.clone();
    expected.sort();
    assert_eq!(sorted_recipients(&messages), expected);
    for message in &messages {
        // Each recipient's link opens that recipient's invitation, in one step for a fresh
        // account: the link proves the mailbox.
        let email = &message.recipients[0];
        let username = email.split('@').next().expect("a local part");
        let (invitee, _) = register_unverified(&app, username, email).await;
        let accepted = accept(&app, &invitee, &message.invitation_token()).await;
        assert_eq!(
            data(&accepted)["acceptInvitation"]["invitation"]["status"],
            "ACCEPTED"
        );
    }
    for node in deliveries(&app, &alice, None).await {
        assert_eq!(
            json!({ "status": node["status"], "emailStatus": node["emailStatus"],
                    "sendCount": node["sendCount"] }),
            json!({ "status": "ACCEPTED", "emailStatus": "SENT", "sendCount": 1 }),
            "{node:#}"
        );
    }
    // No invitation was sent twice (the invitees' verification emails aside).
    let invitation_messages = sink
        .messages()
        .into_iter()
        .filter(|message| message.text().contains("/invite/"))
        .count();
    assert_eq!(invitation_messages, 20);
}

#[tokio::test]
async fn invitations_created_while_the_smtp_server_is_down_are_delivered_once_when_it_comes_up() {
    let port = free_port();
    let (app, alice) = acme_mailing_to(&url_for(port)).await;
    let emails = ["bob@example.com", "carol@example.com", "dave@example.com"];
    let created = invite(&app, &alice, "acme", &emails).await;

    let attempted_while_down = app.deliver_due_emails().await;

    assert_eq!(attempted_while_down, 3);
    for node in deliveries(&app, &alice, None).await {
        assert_eq!(
            counters(&node),
            json!({ "emailStatus": "QUEUED", "sendCount": 0, "emailAttempts": 1 }),
            "{node:#}"
        );
        assert!(!last_email_error(&node).is_empty(), "{node:#}");
        assert_eq!(node["lastSentAt"], Value::Null, "{node:#}");
        assert_eq!(
            outbox_statuses(&app, &str_of(&node["id"])).await,
            ["QUEUED"]
        );
    }

    let sink = SmtpSink::start_on(port);
    let attempted_when_up = app.deliver_due_emails().await;
    let attempted_afterwards = app.deliver_due_emails().await;

    assert_eq!(attempted_when_up, 3);
    assert_eq!(attempted_afterwards, 0);
    let messages = sink.messages();
    assert_eq!(sorted_recipients(&messages), emails);
    for message in &messages {
        let (_, link) = created
            .iter()
            .find(|(invited, _)| *invited == message.recipients[0])
            .expect("a created invitation for each recipient");
        assert_eq!(&message.invitation_link(), link);
    }
    for node in deliveries(&app, &alice, None).await {
        assert_eq!(
            counters(&node),
            json!({ "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 2 }),
            "{node:#}"
        );
        assert_eq!(node["lastEmailError"], Value::Null, "{node:#}");
        assert_eq!(outbox_statuses(&app, &str_of(&node["id"])).await, ["SENT"]);
    }
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
}

#[tokio::test]
async fn a_server_that_answers_451_twice_then_accepts_gets_the_message_on_the_third_attempt() {
    let sink = SmtpSink::start_with(Script::TemporaryFailures(2));
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    assert_eq!(app.deliver_due_emails().await, 1);
    let after_first = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 1);
    let after_second = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 1);
    let after_third = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 0);

    assert_eq!(
        counters(&after_first),
        json!({ "emailStatus": "QUEUED", "sendCount": 0, "emailAttempts": 1 })
    );
    assert!(
        last_email_error(&after_first).contains("451"),
        "{after_first:#}"
    );
    assert_eq!(
        counters(&after_second),
        json!({ "emailStatus": "QUEUED", "sendCount": 0, "emailAttempts": 2 })
    );
    assert!(
        last_email_error(&after_second).contains("451"),
        "{after_second:#}"
    );
    assert_eq!(
        counters(&after_third),
        json!({ "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 3 })
    );
    assert_eq!(after_third["lastEmailError"], Value::Null);
    let sent_at = parse_time(&after_third["lastSentAt"]);
    assert!(
        (Utc::now() - sent_at).num_seconds() < 60,
        "lastSentAt {sent_at}"
    );
    assert_eq!(sink.attempts(), 3);
    assert_eq!(only_message(&sink).invitation_token(), token);
    assert_eq!(outbox_statuses(&app, &id).await, ["SENT"]);
}

#[tokio::test]
async fn a_message_that_keeps_failing_temporarily_is_failed_after_the_last_attempt() {
    let sink = SmtpSink::start_with(Script::TemporaryFailures(100));
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, Some(sink.url()));
        settings.email_max_attempts = 3;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let attempted = [
        app.deliver_due_emails().await,
        app.deliver_due_emails().await,
        app.deliver_due_emails().await,
        app.deliver_due_emails().await,
    ];

    assert_eq!(attempted, [1, 1, 1, 0]);
    let node = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(
        counters(&node),
        json!({ "emailStatus": "FAILED", "sendCount": 0, "emailAttempts": 3 })
    );
    assert!(last_email_error(&node).contains("451"), "{node:#}");
    assert_eq!(node["status"], "PENDING");
    assert_eq!(sink.attempts(), 3);
    assert_eq!(outbox_statuses(&app, &id).await, ["FAILED"]);
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
}

#[tokio::test]
async fn a_server_that_answers_550_fails_the_message_and_a_resend_after_the_fix_delivers_a_new_link()
 {
    let sink = SmtpSink::start_with(Script::Reject);
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let (bob, _) = register(&app, "bob").await;
    let (id, old_token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let attempted = [
        app.deliver_due_emails().await,
        app.deliver_due_emails().await,
    ];

    assert_eq!(attempted, [1, 0], "a permanent failure is not retried");
    let failed = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(
        counters(&failed),
        json!({ "emailStatus": "FAILED", "sendCount": 0, "emailAttempts": 1 })
    );
    assert!(last_email_error(&failed).contains("550"), "{failed:#}");
    assert_eq!(failed["status"], "PENDING");
    assert_eq!(failed["lastSentAt"], Value::Null);
    assert_eq!(outbox_statuses(&app, &id).await, ["FAILED"]);
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
    assert!(sink.messages().is_empty());

    sink.set_script(Script::Accept);
    let resent = resend(&app, &alice, json!({ "ids": [id] })).await;
    let payload = &data(&resent)["resend"];
    assert_eq!(payload["errors"], json!([]), "{resent:#}");
    let new_link = link_of(&app, &payload["invitations"][0]).await;
    assert_eq!(app.deliver_due_emails().await, 1);

    let message = only_message(&sink);
    assert_eq!(message.invitation_link(), new_link);
    let resent_node = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(
        counters(&resent_node),
        json!({ "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 1 })
    );
    assert_eq!(resent_node["lastEmailError"], Value::Null);
    assert_eq!(outbox_statuses(&app, &id).await, ["FAILED", "SENT"]);
    assert_eq!(outbox_rows_with_a_body(&app).await, 0);
    assert_error_code(
        &accept(&app, &bob, &old_token).await,
        "INVITATION_SUPERSEDED",
    );
    let accepted = accept(&app, &bob, &message.invitation_token()).await;
    assert_eq!(
        data(&accepted)["acceptInvitation"]["invitation"]["status"],
        "ACCEPTED"
    );
}

#[tokio::test]
async fn cancelling_an_invitation_before_delivery_sends_nothing() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    data(&cancel(&app, &alice, &id).await);

    let attempted = app.deliver_due_emails().await;

    assert_eq!(attempted, 0);
    assert!(sink.messages().is_empty());
    assert_eq!(sink.connections(), 0);
    assert_eq!(outbox_statuses(&app, &id).await, ["CANCELLED"]);
}

#[tokio::test]
async fn resending_before_delivery_sends_only_the_new_link() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink.url()).await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let resent = resend(&app, &alice, json!({ "ids": [id] })).await;
    let new_link = link_of(&app, &data(&resent)["resend"]["invitations"][0]).await;

    let attempted = [
        app.deliver_due_emails().await,
        app.deliver_due_emails().await,
    ];

    assert_eq!(attempted, [1, 0]);
    assert_eq!(only_message(&sink).invitation_link(), new_link);
    assert_eq!(outbox_statuses(&app, &id).await, ["CANCELLED", "SENT"]);
    assert_eq!(
        counters(&delivery(&app, &alice, "bob@example.com").await),
        json!({ "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 1 })
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_the_message_stays_queued_for_a_retry() {
    let tarpit = SmtpSink::start_with(Script::Tarpit);
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, Some(tarpit.url()));
        settings.smtp_timeout_seconds = 1;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let attempted = tokio::time::timeout(Duration::from_secs(10), app.deliver_due_emails())
        .await
        .expect("delivery hung on a server that never answers (smtp_timeout_seconds = 1)");

    assert_eq!(attempted, 1);
    assert_eq!(tarpit.connections(), 1);
    let node = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(
        counters(&node),
        json!({ "emailStatus": "QUEUED", "sendCount": 0, "emailAttempts": 1 })
    );
    assert!(!last_email_error(&node).is_empty(), "{node:#}");
    assert_eq!(outbox_statuses(&app, &id).await, ["QUEUED"]);
}

#[tokio::test]
async fn a_message_whose_worker_died_mid_send_is_sent_once_after_the_lease_expires() {
    const LEASE: Duration = Duration::from_secs(2);
    let tarpit = SmtpSink::start_with(Script::Tarpit);
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, Some(tarpit.url()));
        settings.email_lease_seconds = LEASE.as_secs();
        settings.smtp_timeout_seconds = 30;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let (id, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let sink = SmtpSink::start();
    let fixed = app
        .sibling_with(|settings| settings.smtp_url = Some(sink.url()))
        .await;

    // The worker claims the row, connects, and hangs waiting for a greeting; then it dies.
    let outbox = app.outbox().clone();
    let worker = tokio::spawn(async move { doorman::email::outbox::deliver_due(&outbox).await });
    tarpit
        .wait_for_connections(1, Duration::from_secs(10))
        .await;
    let claimed_before = tokio::time::Instant::now();
    worker.abort();
    assert!(
        worker
            .await
            .expect_err("the worker was aborted")
            .is_cancelled()
    );

    assert_eq!(outbox_statuses(&app, &id).await, ["SENDING"]);
    assert_eq!(
        fixed.deliver_due_emails().await,
        0,
        "the row was claimed again before its lease expired"
    );
    // This wait is the lease itself, not a guess at how long something takes.
    tokio::time::sleep_until(claimed_before + LEASE + Duration::from_millis(300)).await;
    let attempted = [
        fixed.deliver_due_emails().await,
        fixed.deliver_due_emails().await,
    ];
    let attempted_by_the_first_server =
        tokio::time::timeout(Duration::from_secs(5), app.deliver_due_emails())
            .await
            .expect("the first server tried the tarpit again");

    assert_eq!(attempted, [1, 0]);
    assert_eq!(attempted_by_the_first_server, 0);
    assert_eq!(only_message(&sink).invitation_token(), token);
    assert_eq!(tarpit.connections(), 1);
    assert_eq!(outbox_statuses(&app, &id).await, ["SENT"]);
    let node = delivery(&app, &alice, "bob@example.com").await;
    assert_eq!(node["emailStatus"], "SENT");
    assert_eq!(node["sendCount"], 1);
}

// ---- file transport ----

/// The `.eml` files in `dir`.
fn eml_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect()
}

#[tokio::test]
async fn without_smtp_the_file_transport_writes_an_eml_file_with_the_link() {
    let mail_dir = tempfile::tempdir().expect("a temporary directory");
    let app = TestApp::spawn_with(|settings| {
        deliver_by_hand(settings, None);
        settings.mail_dir = Some(mail_dir.path().to_path_buf());
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    assert_eq!(app.deliver_due_emails().await, 1);

    let files = eml_files(mail_dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let message = CapturedMessage::from_eml(
        &std::fs::read_to_string(&files[0]).expect("a readable .eml file"),
    );
    assert_eq!(message.invitation_token(), token);
    let to = message.header("To").expect("a To header");
    assert!(to.contains("bob@example.com"), "To: {to}");
    assert_eq!(
        counters(&delivery(&app, &alice, "bob@example.com").await),
        json!({ "emailStatus": "SENT", "sendCount": 1, "emailAttempts": 1 })
    );
}

/// Tests of SQLite itself: the SQLite profiles run them (`.config/nextest.toml`).
mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn by_default_the_file_transport_writes_into_a_mail_folder_next_to_the_sqlite_database() {
        // No database file to put the folder next to (and no `mail/` left in the working tree).
        require_sqlite();
        let app = TestApp::spawn_with(|settings| {
            deliver_by_hand(settings, None);
            settings.mail_dir = None;
        })
        .await;
        let database_file = app
            .database_url()
            .strip_prefix("sqlite://")
            .map(|rest| PathBuf::from(rest.split('?').next().unwrap_or(rest)))
            .expect("a SQLite database URL");
        let mail_dir = database_file
            .parent()
            .expect("the database file has a folder")
            .join("mail");
        let alice = alice_with_acme(&app).await;
        let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

        assert_eq!(app.deliver_due_emails().await, 1);

        let files = eml_files(&mail_dir);
        assert_eq!(
            files.len(),
            1,
            "no single .eml file in {}",
            mail_dir.display()
        );
        let message = CapturedMessage::from_eml(
            &std::fs::read_to_string(&files[0]).expect("a readable .eml file"),
        );
        assert_eq!(message.invitation_token(), token);
    }
}
