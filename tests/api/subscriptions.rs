//! Subscriptions over `/graphql/ws` with a real WebSocket client (`support::ws`), in both
//! subprotocols: who may subscribe, what an event carries, that feeds stay within their org,
//! the init timeout, and (on PostgreSQL) events and outbox workers across two instances.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use crate::support::smtp::SmtpSink;
use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const INVITATION_ACCEPTED: &str = "subscription($org: String!) {
  invitationAccepted(org: { name: $org }) {
    invitation { id status usageCount }
    user { username }
    membership { role user { username } organization { name } }
    acceptedAt } }";

const INVITATION_EVENTS: &str = "subscription($org: String!) {
  invitationEvents(org: { name: $org }) { kind invitation { id } actor { username } at } }";

/// The org whose feed `WsClient::wait_until_live` listens to; nothing else happens there.
const PROBE_ORG: &str = "probe";

/// A server where `alice` administers `acme` (and the probe org); returns alice's token.
async fn acme_admin(app: &TestApp) -> String {
    let (alice, _) = register(app, "alice").await;
    create_org(app, &alice, "acme").await;
    create_org(app, &alice, PROBE_ORG).await;
    alice
}

/// A connection of `token`'s user subscribed to `invitationAccepted` of `org` as operation "1",
/// listening once this returns.
async fn acceptances(app: &TestApp, protocol: Protocol, token: &str, org: &str) -> WsClient {
    let mut client = WsClient::connect_as(app, protocol, token).await;
    client
        .subscribe("1", INVITATION_ACCEPTED, json!({ "org": org }))
        .await;
    client.wait_until_live(app, token, PROBE_ORG).await;
    client
}

#[track_caller]
fn assert_within(at: &Value, before: chrono::DateTime<Utc>, after: chrono::DateTime<Utc>) {
    let at = parse_time(at);
    assert!(
        before - chrono::Duration::seconds(1) <= at && at <= after + chrono::Duration::seconds(1),
        "{at} is not between {before} and {after}"
    );
}

async fn an_admin_receives_an_acceptance_over(protocol: Protocol) {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let (bob, _) = register(&app, "bob").await;
    let (link_id, link_token) = create_link(&app, &alice, "acme", Some(2)).await;
    let mut client = acceptances(&app, protocol, &alice, "acme").await;

    let before = Utc::now();
    data(&accept(&app, &bob, &link_token).await);
    let after = Utc::now();

    let data = client.next_data("1").await;
    let event = &data["invitationAccepted"];
    assert_eq!(
        event["invitation"],
        json!({ "id": link_id, "status": "PENDING", "usageCount": 1 })
    );
    assert_eq!(event["user"], json!({ "username": "bob" }));
    assert_eq!(
        event["membership"],
        json!({
            "role": "MEMBER",
            "user": { "username": "bob" },
            "organization": { "name": "acme" },
        })
    );
    assert_within(&event["acceptedAt"], before, after);
}

#[tokio::test]
async fn an_admin_receives_an_acceptance_over_graphql_transport_ws() {
    an_admin_receives_an_acceptance_over(Protocol::TransportWs).await;
}

#[tokio::test]
async fn an_admin_receives_an_acceptance_over_legacy_graphql_ws() {
    an_admin_receives_an_acceptance_over(Protocol::LegacyGraphqlWs).await;
}

#[tokio::test]
async fn invitation_events_report_created_accepted_and_cancelled_in_order_with_their_actor() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let (bob, _) = register(&app, "bob").await;
    let mut client = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;
    client
        .subscribe("1", INVITATION_EVENTS, json!({ "org": "acme" }))
        .await;
    client.wait_until_live(&app, &alice, PROBE_ORG).await;

    let before = Utc::now();
    let (link_id, link_token) = create_link(&app, &alice, "acme", Some(5)).await;
    data(&accept(&app, &bob, &link_token).await);
    data(&cancel(&app, &alice, &link_id).await);
    let after = Utc::now();

    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(client.next_data("1").await["invitationEvents"].clone());
    }
    let seen: Vec<Value> = events
        .iter()
        .map(|event| json!([event["kind"], event["invitation"]["id"], event["actor"]]))
        .collect();
    assert_eq!(
        seen,
        vec![
            json!(["CREATED", link_id, { "username": "alice" }]),
            json!(["ACCEPTED", link_id, { "username": "bob" }]),
            json!(["CANCELLED", link_id, { "username": "alice" }]),
        ]
    );
    let times: Vec<_> = events
        .iter()
        .map(|event| parse_time(&event["at"]))
        .collect();
    assert!(times.is_sorted(), "event times go backwards: {times:?}");
    assert_within(&events[0]["at"], before, after);
    assert_within(&events[2]["at"], before, after);
}

#[tokio::test]
async fn a_member_who_is_not_an_admin_gets_forbidden() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    for protocol in Protocol::ALL {
        for query in [INVITATION_ACCEPTED, INVITATION_EVENTS] {
            let mut client = WsClient::connect_as(&app, protocol, &bob).await;
            client.subscribe("1", query, json!({ "org": "acme" })).await;
            let errors = client.errors("1").await;
            assert_eq!(
                errors[0]["extensions"]["code"], "FORBIDDEN",
                "{protocol:?} {query}: {errors:#}"
            );
        }
    }
}

/// Rights are checked again with every event: an admin demoted while subscribed hears
/// `FORBIDDEN` at the organization's next event, the feed completes, and nothing follows.
#[tokio::test]
async fn an_admin_who_loses_the_role_hears_forbidden_at_the_next_event_and_nothing_after() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let carol = add_member(&app, &alice, "acme", "carol", "ADMIN").await;
    let set_alices_role = |role: &'static str| {
        let app = &app;
        async move {
            app.execute(
                "UPDATE memberships SET role = $1 \
                 WHERE user_id = (SELECT id FROM users WHERE username = 'alice') \
                 AND organization_id = (SELECT id FROM organizations WHERE name = 'acme')",
                vec![role.into()],
            )
            .await;
        }
    };
    for protocol in Protocol::ALL {
        set_alices_role("ADMIN").await;
        let mut client = WsClient::connect_as(&app, protocol, &alice).await;
        client
            .subscribe("1", INVITATION_EVENTS, json!({ "org": "acme" }))
            .await;
        client.wait_until_live(&app, &alice, PROBE_ORG).await;
        create_link(&app, &carol, "acme", None).await;
        let heard = client.next_data("1").await;
        assert_eq!(heard["invitationEvents"]["kind"], "CREATED", "{protocol:?}");

        set_alices_role("MEMBER").await;
        create_link(&app, &carol, "acme", None).await;

        let errors = client.errors("1").await;
        assert_eq!(
            errors[0]["extensions"]["code"], "FORBIDDEN",
            "{protocol:?}: {errors:#}"
        );
        create_link(&app, &carol, "acme", None).await;
        client
            .assert_nothing_for("1", Duration::from_millis(500))
            .await;
    }
}

#[tokio::test]
async fn an_anonymous_connection_gets_unauthenticated() {
    let app = TestApp::spawn().await;
    acme_admin(&app).await;
    for protocol in Protocol::ALL {
        let mut client = WsClient::connect(&app, protocol).await;
        client.init(None).await;
        client
            .subscribe("1", INVITATION_ACCEPTED, json!({ "org": "acme" }))
            .await;
        let errors = client.errors("1").await;
        assert_eq!(
            errors[0]["extensions"]["code"], "UNAUTHENTICATED",
            "{protocol:?}: {errors:#}"
        );
    }
}

#[tokio::test]
async fn subscribing_to_an_unknown_org_gets_not_found() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let mut client = WsClient::connect_as(&app, Protocol::TransportWs, &alice).await;
    client
        .subscribe("1", INVITATION_EVENTS, json!({ "org": "nosuchorg" }))
        .await;
    let errors = client.errors("1").await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors:#}");
}

/// A credential in `connection_init` that is refused closes the connection without an ack:
/// with 4403 and the reason first in the close reason (`INVALID: …`, `EXPIRED: …`) in
/// graphql-transport-ws, with a `connection_error` naming it in the legacy protocol.
#[tokio::test]
async fn an_invalid_or_expired_token_in_connection_init_closes_the_connection_with_its_reason() {
    let app = TestApp::spawn().await;
    let (_, alice_id) = register(&app, "alice").await;
    let past = Utc::now().timestamp() - 10;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": alice_id, "iat": past - 60, "exp": past }),
        &jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET.as_bytes()),
    )
    .unwrap();
    for protocol in Protocol::ALL {
        for (token, reason) in [
            ("not-a-real-token", "INVALID"),
            (expired.as_str(), "EXPIRED"),
        ] {
            let mut client = WsClient::connect(&app, protocol).await;
            client
                .send_init(Some(json!({ "Authorization": format!("Bearer {token}") })))
                .await;
            let (close, before) = client.closed_within(Duration::from_secs(5)).await;
            assert!(
                before
                    .iter()
                    .all(|message| message["type"] != "connection_ack"),
                "{protocol:?}: the server acked a refused token: {before:#?}"
            );
            if protocol == Protocol::TransportWs {
                let (code, text) = close.expect("a close frame");
                assert_eq!(code, 4403, "{protocol:?}");
                assert!(text.starts_with(&format!("{reason}: ")), "{text}");
            } else {
                let first = before.first().expect("a connection_error");
                assert_eq!(first["type"], "connection_error", "{before:#?}");
                let message = first["payload"]["message"].as_str().unwrap_or_default();
                assert!(message.starts_with(&format!("{reason}: ")), "{first:#}");
            }
        }
    }
}

#[tokio::test]
async fn a_connection_without_connection_init_is_closed_with_4408() {
    let app = TestApp::spawn().await;
    // Both connections wait at once, each timed from its own opening.
    let mut clients = Vec::new();
    for protocol in Protocol::ALL {
        clients.push((
            protocol,
            WsClient::connect(&app, protocol).await,
            Instant::now(),
        ));
    }
    for (protocol, mut client, opened) in clients {
        let (close, before) = client.closed_within(Duration::from_secs(4)).await;
        let waited = opened.elapsed();
        assert_eq!(before, Vec::<Value>::new(), "{protocol:?}");
        assert_eq!(
            close.map(|(code, _)| code),
            Some(4408),
            "{protocol:?}: expected close code 4408"
        );
        assert!(
            waited >= Duration::from_millis(2500) && waited <= Duration::from_secs(4),
            "{protocol:?}: closed after {waited:?}, expected about 3 s"
        );
    }
}

#[tokio::test]
async fn events_of_other_organizations_never_arrive() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    // alice administers both orgs: only the org filter keeps globex out of acme's feed.
    create_org(&app, &alice, "globex").await;
    let (bob, _) = register(&app, "bob").await;
    let (globex_link, globex_token) = create_link(&app, &alice, "globex", None).await;
    let (acme_link, acme_token) = create_link(&app, &alice, "acme", None).await;
    let mut client = acceptances(&app, Protocol::TransportWs, &alice, "acme").await;
    let mut events = WsClient::connect_as(&app, Protocol::LegacyGraphqlWs, &alice).await;
    events
        .subscribe("1", INVITATION_EVENTS, json!({ "org": "acme" }))
        .await;
    events.wait_until_live(&app, &alice, PROBE_ORG).await;

    data(&accept(&app, &bob, &globex_token).await);
    data(&cancel(&app, &alice, &globex_link).await);
    data(&accept(&app, &bob, &acme_token).await);

    let accepted = client.next_data("1").await;
    assert_eq!(
        accepted["invitationAccepted"]["invitation"]["id"],
        json!(acme_link)
    );
    assert_eq!(
        accepted["invitationAccepted"]["membership"]["organization"],
        json!({ "name": "acme" })
    );
    let event = events.next_data("1").await;
    assert_eq!(
        event["invitationEvents"]["invitation"]["id"],
        json!(acme_link),
        "{event:#}"
    );
    assert_eq!(event["invitationEvents"]["kind"], "ACCEPTED");
    client
        .assert_nothing_for("1", Duration::from_millis(500))
        .await;
    events
        .assert_nothing_for("1", Duration::from_millis(0))
        .await;
}

#[tokio::test]
async fn auth_token_and_lowercase_authorization_in_connection_init_authenticate() {
    let app = TestApp::spawn().await;
    let alice = acme_admin(&app).await;
    let (_, link_token) = create_link(&app, &alice, "acme", None).await;
    let payloads = [
        ("bob", json!({ "authToken": alice })),
        (
            "carol",
            json!({ "authorization": format!("Bearer {alice}") }),
        ),
    ];
    for (username, payload) in payloads {
        let mut client = WsClient::connect(&app, Protocol::TransportWs).await;
        client.init(Some(payload.clone())).await;
        client
            .subscribe("1", INVITATION_ACCEPTED, json!({ "org": "acme" }))
            .await;
        client.wait_until_live(&app, &alice, PROBE_ORG).await;
        let (user, _) = register(&app, username).await;
        data(&accept(&app, &user, &link_token).await);

        let data = client.next_data("1").await;
        assert_eq!(
            data["invitationAccepted"]["user"],
            json!({ "username": username }),
            "with {payload}"
        );
    }
}

#[tokio::test]
async fn two_instances_with_outbox_workers_deliver_each_of_200_emails_exactly_once() {
    let sink = SmtpSink::start();
    let a = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.outbox_worker = true;
        settings.outbox_poll_interval_ms = 20;
    })
    .await;
    let b = a.sibling_with(|_| {}).await;
    let (alice, _) = register(&a, "alice").await;
    create_org(&a, &alice, "acme").await;

    let emails: Vec<String> = (0..200)
        .map(|n| format!("invitee{n:03}@example.com"))
        .collect();
    for (app, batch) in [(&a, &emails[..100]), (&b, &emails[100..])] {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        // The links are in the emails only (and the workers may have sent them already).
        let created = create_org_invites(app, &alice, "acme", &batch, json!({})).await;
        assert_eq!(
            invitations_of(&data(&created)["createOrgInvites"]).len(),
            100
        );
    }

    // The invitations' messages (alice's verification email may go out too).
    let invitations = || {
        sink.messages()
            .into_iter()
            .filter(|message| message.text().contains("/invite/"))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while invitations().len() < emails.len() {
        assert!(
            Instant::now() < deadline,
            "only {} of {} messages arrived within 60 s",
            invitations().len(),
            emails.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a second delivery of any message time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for message in invitations() {
        for recipient in message.recipients {
            *per_recipient.entry(recipient).or_default() += 1;
        }
    }
    let twice: Vec<_> = per_recipient.iter().filter(|(_, n)| **n != 1).collect();
    assert_eq!(
        twice,
        Vec::<(&String, &usize)>::new(),
        "delivered more than once"
    );
    let expected: BTreeMap<String, usize> = emails.iter().map(|e| (e.clone(), 1)).collect();
    assert_eq!(per_recipient, expected);
    assert_eq!(
        a.count(
            "SELECT COUNT(*) FROM email_outbox WHERE status = 'SENT' AND kind = 'INVITATION'",
            vec![]
        )
        .await,
        200
    );
}

#[tokio::test]
async fn when_its_access_token_expires_the_connection_closes_with_4403_expired() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    for protocol in Protocol::ALL {
        // A token of alice's that expires in two seconds, signed like the server's own.
        let now = Utc::now().timestamp();
        let short_lived = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({ "sub": alice_id, "iat": now, "exp": now + 2 }),
            &jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET.as_bytes()),
        )
        .unwrap();
        let mut client = WsClient::connect_as(&app, protocol, &short_lived).await;
        client
            .subscribe("1", INVITATION_ACCEPTED, json!({ "org": "acme" }))
            .await;
        // The subscription is not completed: a graphql-ws client that connects again with a
        // fresh token resumes it.
        let (close, messages) = client.closed_within(Duration::from_secs(6)).await;
        let (code, reason) = close.unwrap_or_else(|| panic!("{protocol:?}: no close frame"));
        assert_eq!(code, 4403, "{protocol:?}");
        assert!(reason.starts_with("EXPIRED: "), "{protocol:?}: {reason}");
        assert!(
            messages.iter().all(|message| message["type"] != "complete"),
            "{protocol:?}: {messages:?}"
        );
    }
}

/// Tests that need PostgreSQL: the `postgres` profiles run them (`.config/nextest.toml`).
mod postgres_only {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_on_one_instance_hears_an_acceptance_made_through_another() {
        // Siblings share an event bus only through PostgreSQL.
        require_postgres();
        let a = TestApp::spawn().await;
        let b = a.sibling_with(|_| {}).await;
        let alice = acme_admin(&a).await;
        let (link_id, link_token) = create_link(&a, &alice, "acme", None).await;
        let (bob, _) = register(&b, "bob").await;
        let mut client = acceptances(&a, Protocol::TransportWs, &alice, "acme").await;

        data(&accept(&b, &bob, &link_token).await);

        let data = client.next_data("1").await;
        let event = &data["invitationAccepted"];
        assert_eq!(event["invitation"]["id"], json!(link_id));
        assert_eq!(event["user"], json!({ "username": "bob" }));
        assert_eq!(
            event["membership"]["organization"],
            json!({ "name": "acme" })
        );
    }
}
