//! Webhooks (`service/webhooks/`): deliveries in the Standard Webhooks format, verified by a
//! receiver that uses the specification's own library (`support::webhooks`, PyPI
//! `standardwebhooks`): every event once and in order, through a receiver that fails (500,
//! timeouts, dropped connections, a refused port) and recovers, across two instances and a
//! `kill -9` of the worker's process; secrets shown once and rotated with a grace period; the
//! address guard; who may manage endpoints. The receiver needs Python, so these live in
//! `needs_python`. An endpoint that fails for too long needs no receiver at all.

use std::time::Duration;

use serde_json::json;

use crate::support::smtp::{SmtpSink, free_port};
use crate::support::*;

/// An endpoint whose port nobody listens on fails every try; once it has failed for longer than
/// `DOORMAN_WEBHOOK_DISABLE_AFTER_HOURS` it is disabled, with a `WEBHOOK_DISABLED` event in the
/// organization's log and an email to its admins in the organization's language.
#[tokio::test]
async fn an_endpoint_failing_too_long_is_disabled_with_an_event_and_an_email_to_the_admins() {
    let sink = SmtpSink::start();
    let smtp_url = sink.url();
    let app = TestApp::spawn_with(move |settings| {
        settings.smtp_url = Some(smtp_url);
        settings.outbox_worker = true;
        settings.outbox_poll_interval_ms = 50;
        settings.webhooks.webhook_allow_http = true;
        settings.webhooks.webhook_allow_private_addresses = true;
        settings.webhooks.webhook_timeout_seconds = 1;
        settings.webhooks.webhook_retry_base_ms = 50;
        settings.webhooks.webhook_poll_interval_ms = 50;
        settings.webhooks.webhook_disable_after_hours = 1;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let updated = app
        .graphql(
            "mutation { updateOrganization(org: { name: \"acme\" },
                input: { defaultLocale: \"de\" }) { defaultLocale } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(data(&updated)["updateOrganization"]["defaultLocale"], "de");
    let url = format!("http://127.0.0.1:{}/hooks/doorman", free_port());
    let created = app
        .graphql(
            "mutation($input: CreateWebhookEndpointInput!) {
               createWebhookEndpoint(input: $input) { endpoint { id status } } }",
            json!({ "input": { "org": { "name": "acme" }, "url": url } }),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&created)["createWebhookEndpoint"]["endpoint"]["status"],
        "ACTIVE"
    );
    invite_one(&app, &alice, "acme", "bob@example.com").await;

    // The first failure starts the streak; pretend it started two hours ago.
    let status = || async {
        let listed = app
            .graphql(
                "{ webhookEndpoints(org: { name: \"acme\" }) { status failingSince } }",
                json!({}),
                Some(&alice),
            )
            .await;
        data(&listed)["webhookEndpoints"][0].clone()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while status().await["failingSince"].is_null() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the endpoint never failed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.execute(
        "UPDATE webhook_endpoints SET failing_since = $1",
        vec![(chrono::Utc::now() - chrono::Duration::hours(2)).into()],
    )
    .await;
    while status().await["status"] != "DISABLED" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the endpoint was never disabled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let events = app
        .graphql(
            "{ orgEvents(org: { name: \"acme\" }, kinds: [WEBHOOK_DISABLED]) {
                nodes { kind actor { id } changes { field before after } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&events)["orgEvents"]["nodes"],
        json!([{ "kind": "WEBHOOK_DISABLED", "actor": null, "changes": [
            { "field": "status", "before": "ACTIVE", "after": "DISABLED" }] }])
    );
    // Named by origin and id: the path (which may hold a secret) is left out.
    let origin = url.trim_end_matches("/hooks/doorman").to_owned();
    let notice = loop {
        let found = sink
            .messages()
            .into_iter()
            .find(|message| message.text().contains(&origin));
        if let Some(found) = found {
            break found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no notice reached the admins"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(notice.recipients, ["alice@example.com"]);
    assert!(
        notice.subject().contains("Acme Inc."),
        "{}",
        notice.subject()
    );
    assert!(
        notice.html().contains("<html lang=\"de\""),
        "{}",
        notice.html()
    );
    assert!(notice.text().contains("redeliver"), "{}", notice.text());
    assert!(!notice.raw.contains("/hooks/doorman"), "{}", notice.raw);
}

/// `DOORMAN_RETENTION_WEBHOOK_DELIVERIES_DAYS`: deliveries made or given up longer ago are
/// deleted; a pending one is kept however old, and so is one created long ago but made again
/// just now.
#[tokio::test]
async fn retention_deletes_old_finished_deliveries_and_keeps_pending_ones() {
    let app = TestApp::spawn_with(|settings| {
        settings.outbox_worker = false;
        settings.webhooks.webhook_allow_http = true;
        settings.webhooks.webhook_allow_private_addresses = true;
        settings.retention.retention_webhook_deliveries_days = Some(30);
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let created = app
        .graphql(
            "mutation($input: CreateWebhookEndpointInput!) {
               createWebhookEndpoint(input: $input) { endpoint { id } } }",
            json!({ "input": { "org": { "name": "acme" }, "url": url } }),
            Some(&alice),
        )
        .await;
    data(&created);
    let emails = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ];
    create_org_invites(&app, &alice, "acme", &emails, json!({})).await;
    let ids = app
        .strings(
            "SELECT CAST(id AS TEXT) FROM webhook_deliveries ORDER BY id",
            vec![],
        )
        .await;
    assert_eq!(ids.len(), 4, "one delivery per CREATED event");
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::days(31);
    // (status, last tried, delivered), all created long ago: the last one was redelivered
    // just now.
    for (id, status, tried, delivered) in [
        (&ids[0], "DELIVERED", long_ago, Some(long_ago)),
        (&ids[1], "FAILED", long_ago, None),
        (&ids[2], "PENDING", long_ago, None),
        (&ids[3], "DELIVERED", now, Some(now)),
    ] {
        app.execute(
            "UPDATE webhook_deliveries SET status = $1, created_at = $2, next_attempt_at = $3,
             delivered_at = $4 WHERE id = $5",
            vec![
                status.into(),
                long_ago.into(),
                tried.into(),
                delivered.into(),
                id.parse::<i64>().unwrap().into(),
            ],
        )
        .await;
    }

    let swept = doorman::service::retention::sweep(app.ctx(), chrono::Utc::now())
        .await
        .unwrap();

    assert_eq!(swept.deliveries_deleted, 2);
    let left = app
        .strings(
            "SELECT CAST(id AS TEXT) FROM webhook_deliveries ORDER BY id",
            vec![],
        )
        .await;
    assert_eq!(left, ids[2..]);
}

/// Thirty creates at once for one organization: twenty endpoints, and ten refusals that name the
/// limit (creates of one owner are serialized, so none slips past the count of another).
#[tokio::test]
async fn creates_racing_for_the_last_endpoints_stop_at_the_limit() {
    let app = TestApp::spawn_with(|settings| {
        settings.outbox_worker = false;
        settings.webhooks.webhook_allow_http = true;
        settings.webhooks.webhook_allow_private_addresses = true;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    let creates = (0..30).map(|n| {
        app.graphql(
            "mutation($input: CreateWebhookEndpointInput!) {
               createWebhookEndpoint(input: $input) { endpoint { id } } }",
            json!({ "input": { "org": { "name": "acme" }, "url": format!("http://127.0.0.1:9/{n}") } }),
            Some(&alice),
        )
    });
    let answers = futures_util::future::join_all(creates).await;
    let refused: Vec<&serde_json::Value> = answers
        .iter()
        .filter(|answer| answer.get("errors").is_some_and(|errors| !errors.is_null()))
        .collect();
    assert_eq!(refused.len(), 10, "{refused:#?}");
    for answer in refused {
        assert_error_code(answer, "BAD_USER_INPUT");
    }
    let stored = app
        .count("SELECT COUNT(*) FROM webhook_endpoints", vec![])
        .await;
    assert_eq!(stored, 20);
}

mod needs_python {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use doorman::config::Settings;
    use serde_json::{Value as Json, json};

    use crate::support::webhooks::Receiver;
    use crate::support::*;

    const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
      createWebhookEndpoint(input: $input) { secret endpoint { id status events } } }";

    const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(endpoint: $id, first: 100) {
      totalCount nodes { messageId eventType eventId status attempts lastStatusCode lastError } } }";

    /// Deliveries to the loopback receiver, tried again quickly.
    fn to_the_receiver(settings: &mut Settings) {
        settings.outbox_worker = true;
        settings.webhooks.webhook_allow_http = true;
        settings.webhooks.webhook_allow_private_addresses = true;
        settings.webhooks.webhook_timeout_seconds = 1;
        settings.webhooks.webhook_retry_base_ms = 100;
        settings.webhooks.webhook_poll_interval_ms = 50;
    }

    /// An endpoint of `org` at `url` hearing `events` (null: all): its id and secret.
    async fn endpoint(
        app: &TestApp,
        admin: &str,
        org: &str,
        url: &str,
        events: Json,
    ) -> (String, String) {
        let created = app
            .graphql(
                CREATE,
                json!({ "input": { "org": { "name": org }, "url": url, "events": events } }),
                Some(admin),
            )
            .await;
        let created = &data(&created)["createWebhookEndpoint"];
        (
            str_of(&created["endpoint"]["id"]),
            str_of(&created["secret"]),
        )
    }

    /// The deliveries of endpoint `id`, newest first, as `admin` reads them.
    async fn deliveries(app: &TestApp, admin: &str, id: &str) -> Vec<Json> {
        let deliveries = app
            .graphql(DELIVERIES, json!({ "id": id }), Some(admin))
            .await;
        data(&deliveries)["webhookDeliveries"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The first delivery of endpoint `id` that was tried, once one was.
    async fn first_tried(app: &TestApp, admin: &str, id: &str) -> Json {
        loop {
            let nodes = deliveries(app, admin, id).await;
            if let Some(tried) = nodes
                .iter()
                .find(|node| node["attempts"].as_i64() >= Some(1))
            {
                return tried.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The ids of `org`'s events, oldest first.
    async fn event_ids(app: &TestApp, admin: &str, org: &str) -> Vec<String> {
        let log = app
            .graphql(
                "query($org: String!) { orgEvents(org: { name: $org }, first: 100) { nodes { id } } }",
                json!({ "org": org }),
                Some(admin),
            )
            .await;
        let mut ids: Vec<String> = data(&log)["orgEvents"]["nodes"]
            .as_array()
            .expect("events")
            .iter()
            .map(|node| str_of(&node["id"]))
            .collect();
        ids.reverse();
        ids
    }

    /// Each message once (a retry repeats its `webhook-id`), in the order first received: the
    /// event ids.
    fn events_once(accepted: &[Json]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        accepted
            .iter()
            .filter(|message| seen.insert(str_of(&message["id"])))
            .map(|message| str_of(&message["data"]["eventId"]))
            .collect()
    }

    #[tokio::test]
    async fn every_event_reaches_a_verifying_receiver_once_and_in_order() {
        let receiver = Receiver::start().await;
        let app = TestApp::spawn_with(to_the_receiver).await;
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        let (id, secret) = endpoint(&app, &alice, "acme", &receiver.url("crm"), json!(null)).await;
        receiver.configure("crm", &[&secret], &[]).await;
        assert!(secret.starts_with("whsec_"), "{secret}");

        data(
            &create_org_invites(
                &app,
                &alice,
                "acme",
                &["a@example.com", "b@example.com"],
                json!({}),
            )
            .await,
        );
        let (_, link) = create_link(&app, &alice, "acme", None).await;
        let (bob, _) = register(&app, "bob").await;
        data(&accept(&app, &bob, &link).await);
        let events = event_ids(&app, &alice, "acme").await;
        assert_eq!(events.len(), 4, "three created, one accepted");

        let accepted = receiver
            .accepted_at_least("crm", events.len(), Duration::from_secs(20))
            .await;
        assert_eq!(events_once(&accepted), events, "each event once, in order");
        let types: Vec<&str> = accepted.iter().filter_map(|m| m["type"].as_str()).collect();
        assert_eq!(
            types,
            [
                "invitation.created",
                "invitation.created",
                "invitation.created",
                "invitation.accepted"
            ]
        );
        assert_eq!(accepted[3]["data"]["kind"], "ACCEPTED");
        assert_eq!(receiver.state("crm").await["rejected"], 0);
        // No token and no email body in a payload.
        let bodies = serde_json::to_string(&accepted).unwrap_or_default();
        assert!(!bodies.contains(&link), "{bodies}");
        // The deliveries as admins read them; the secret is nowhere to be read again.
        let nodes = deliveries(&app, &alice, &id).await;
        assert_eq!(nodes.len(), 4);
        assert!(
            nodes
                .iter()
                .all(|node| node["status"] == "DELIVERED" && node["lastStatusCode"] == 204)
        );
        let listed = app
            .graphql(
                "{ webhookEndpoints(org: { name: \"acme\" }) { id url status } }",
                json!({}),
                Some(&alice),
            )
            .await;
        assert!(!listed.to_string().contains(&secret));
    }

    #[tokio::test]
    async fn a_failing_receiver_gets_every_event_once_it_recovers() {
        let receiver = Receiver::start().await;
        let app = TestApp::spawn_with(to_the_receiver).await;
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        // Nothing listens on the first address: connections are refused.
        let closed = format!("http://127.0.0.1:{}/hook", machine::free_port());
        let (id, secret) = endpoint(&app, &alice, "acme", &closed, json!(["CREATED"])).await;
        receiver
            .configure(
                "flaky",
                &[&secret],
                &["500", "slow", "drop", "500", "ok", "500"],
            )
            .await;

        let emails: Vec<String> = (0..5).map(|n| format!("p{n}@example.com")).collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        data(&create_org_invites(&app, &alice, "acme", &emails, json!({})).await);
        // Refused: the first delivery waits, and the others behind it.
        let refused = first_tried(&app, &alice, &id).await;
        assert_eq!(refused["status"], "PENDING");
        assert!(
            str_of(&refused["lastError"]).contains("could not connect"),
            "{refused}"
        );
        data(
            &app.graphql(
                "mutation($id: ID!, $url: String!) { updateWebhookEndpoint(id: $id, input: { url: $url }) { url } }",
                json!({ "id": id, "url": receiver.url("flaky") }),
                Some(&alice),
            )
            .await,
        );

        let events = event_ids(&app, &alice, "acme").await;
        let accepted = receiver
            .accepted_at_least("flaky", events.len(), Duration::from_secs(40))
            .await;
        assert_eq!(events_once(&accepted), events);
        let state = receiver.state("flaky").await;
        assert!(
            state["requests"].as_u64() >= Some(events.len() as u64 + 4),
            "{state}"
        );
        let nodes = deliveries(&app, &alice, &id).await;
        assert!(
            nodes.iter().all(|node| node["status"] == "DELIVERED"),
            "{nodes:#?}"
        );
        assert!(
            nodes.iter().any(|node| node["attempts"].as_i64() > Some(2)),
            "{nodes:#?}"
        );
    }

    #[tokio::test]
    async fn a_rotated_secret_signs_beside_the_old_one_and_test_events_and_redelivery_work() {
        let receiver = Receiver::start().await;
        let app = TestApp::spawn_with(to_the_receiver).await;
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        let (id, old) =
            endpoint(&app, &alice, "acme", &receiver.url("rotating"), json!(null)).await;
        receiver.configure("rotating", &[&old], &[]).await;

        let rotated = app
            .graphql(
                "mutation($id: ID!) { rotateSecret(id: $id) { secret endpoint { previousSecretValidUntil } } }",
                json!({ "id": id }),
                Some(&alice),
            )
            .await;
        let new = str_of(&data(&rotated)["rotateSecret"]["secret"]);
        assert_ne!(new, old);
        assert!(data(&rotated)["rotateSecret"]["endpoint"]["previousSecretValidUntil"].is_string());
        // A receiver still on the old secret verifies; one already on the new one too.
        let sent = app
            .graphql(
                "mutation($id: ID!) { sendTestEvent(id: $id) { id eventType } }",
                json!({ "id": id }),
                Some(&alice),
            )
            .await;
        assert_eq!(data(&sent)["sendTestEvent"]["eventType"], "webhook.test");
        let accepted = receiver
            .accepted_at_least("rotating", 1, Duration::from_secs(10))
            .await;
        assert_eq!(accepted[0]["type"], "webhook.test");
        assert_eq!(accepted[0]["signatures"].as_array().map(Vec::len), Some(2));
        receiver.configure("rotating", &[&new], &[]).await;
        let delivery = str_of(&data(&sent)["sendTestEvent"]["id"]);
        let again = app
            .graphql(
                "mutation($id: ID!) { redeliver(deliveryId: $id) { status } }",
                json!({ "id": delivery }),
                Some(&alice),
            )
            .await;
        assert_eq!(data(&again)["redeliver"]["status"], "PENDING");
        let accepted = receiver
            .accepted_at_least("rotating", 1, Duration::from_secs(10))
            .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut accepted = accepted;
        while accepted.len() < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            accepted = receiver
                .accepted_at_least("rotating", 1, Duration::from_secs(1))
                .await;
        }
        assert_eq!(accepted.len(), 2, "redelivered");
        assert_eq!(
            accepted[0]["id"], accepted[1]["id"],
            "under the same webhook-id"
        );
        assert_eq!(receiver.state("rotating").await["rejected"], 0);
    }

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        let receiver = Receiver::start().await;
        // The server's defaults: https only, no private addresses.
        let app = TestApp::spawn_with(|settings| {
            settings.outbox_worker = true;
            settings.webhooks.webhook_poll_interval_ms = 50;
            settings.webhooks.webhook_retry_base_ms = 100;
        })
        .await;
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        for (url, says) in [
            (receiver.url("inside"), "https"),
            ("https://127.0.0.1/hook".to_owned(), "private"),
            (
                "https://169.254.169.254/latest/meta-data".to_owned(),
                "private",
            ),
            ("https://[::1]/hook".to_owned(), "private"),
            (
                "https://user:pw@hooks.example.com/".to_owned(),
                "credentials",
            ),
            ("ftp://hooks.example.com/".to_owned(), "https"),
        ] {
            let refused = app
                .graphql(
                    CREATE,
                    json!({ "input": { "org": { "name": "acme" }, "url": url } }),
                    Some(&alice),
                )
                .await;
            assert_error_code(&refused, "BAD_USER_INPUT");
            assert!(refused.to_string().contains(says), "{url}: {refused}");
        }
        // A name is checked where it resolves, at each delivery: localhost is loopback.
        let port = receiver
            .base
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let (id, _) = endpoint(
            &app,
            &alice,
            "acme",
            &format!("https://localhost:{port}/hook/inside"),
            json!(null),
        )
        .await;
        data(
            &app.graphql(
                "mutation($id: ID!) { sendTestEvent(id: $id) { id } }",
                json!({ "id": id }),
                Some(&alice),
            )
            .await,
        );
        let error = str_of(&first_tried(&app, &alice, &id).await["lastError"]);
        assert!(error.contains("private, loopback or link-local"), "{error}");
        assert_eq!(
            receiver.state("inside").await["requests"],
            0,
            "nothing reached it"
        );
    }

    #[tokio::test]
    async fn two_instances_deliver_each_event_once() {
        let receiver = Receiver::start().await;
        let a = TestApp::spawn_with(to_the_receiver).await;
        let b = a.sibling_with(|_| {}).await;
        let (alice, _) = register(&a, "alice").await;
        create_org(&a, &alice, "acme").await;
        let (_, secret) = endpoint(
            &a,
            &alice,
            "acme",
            &receiver.url("both"),
            json!(["CREATED"]),
        )
        .await;
        receiver.configure("both", &[&secret], &[]).await;

        for (app, prefix) in [(&a, "a"), (&b, "b"), (&a, "c"), (&b, "d")] {
            let emails: Vec<String> = (0..25)
                .map(|n| format!("{prefix}{n}@example.com"))
                .collect();
            let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
            data(&create_org_invites(app, &alice, "acme", &emails, json!({})).await);
        }
        let events = event_ids(&a, &alice, "acme").await;
        let accepted = receiver
            .accepted_at_least("both", 100, Duration::from_secs(60))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let accepted_later = receiver.state("both").await["accepted"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(events_once(&accepted), events);
        assert_eq!(accepted_later.len(), 100, "no message twice");
    }

    #[tokio::test]
    async fn a_worker_killed_mid_delivery_loses_nothing() {
        let receiver = Receiver::start().await;
        let dir = tempfile::tempdir().expect("a folder");
        let env = [
            ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
            ("DOORMAN_WEBHOOK_ALLOW_HTTP", "true"),
            ("DOORMAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true"),
            ("DOORMAN_WEBHOOK_TIMEOUT_SECONDS", "5"),
            ("DOORMAN_WEBHOOK_RETRY_BASE_MS", "100"),
            ("DOORMAN_WEBHOOK_POLL_INTERVAL_MS", "50"),
            ("DOORMAN_LOG", "warn"),
        ];
        let (mut server, base) = serve_binary(dir.path(), &env).await;
        let call = |base: String, query: &'static str, variables: Json, token: Option<String>| async move {
            graphql_at(&base, query, variables, token.as_deref()).await
        };
        let registered = call(
            base.clone(),
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            json!({ "input": { "username": "alice", "email": "alice@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
        let alice = str_of(&data(&registered)["register"]["accessToken"]);
        data(
            &call(
                base.clone(),
                "mutation { createOrganization(input: { name: \"acme\" }) { id } }",
                json!({}),
                Some(alice.clone()),
            )
            .await,
        );
        let created = call(
            base.clone(),
            CREATE,
            json!({ "input": { "org": { "name": "acme" }, "url": receiver.url("killed"), "events": ["CREATED"] } }),
            Some(alice.clone()),
        )
        .await;
        let secret = str_of(&data(&created)["createWebhookEndpoint"]["secret"]);
        // The first request is slow: the worker is in the middle of it when it dies.
        receiver.configure("killed", &[&secret], &["slow"]).await;
        data(&call(
            base.clone(),
            "mutation { createOrgInvites(input: { org: { name: \"acme\" }, emails: [\"x@example.com\", \"y@example.com\"] }) { errors { code } } }",
            json!({}),
            Some(alice.clone()),
        )
        .await);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while receiver.state("killed").await["requests"] == 0 {
            assert!(std::time::Instant::now() < deadline, "no delivery started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.start_kill().expect("kill -9");
        let _ = server.wait().await;
        drop(server);

        // Started again on the same database: the lease passes and the delivery is made.
        let (_server, _) = serve_binary(dir.path(), &env).await;
        let accepted = receiver
            .accepted_at_least("killed", 2, Duration::from_secs(40))
            .await;
        let ids: BTreeSet<String> = accepted
            .iter()
            .map(|m| str_of(&m["data"]["eventId"]))
            .collect();
        assert_eq!(
            ids.len(),
            2,
            "both events, each under one webhook-id: {accepted:#?}"
        );
    }
}
