//! The event bus through NATS JetStream (`DOORMAN_NATS_URL`): three instances feed their
//! subscribers every committed event exactly once across a `kill -9` of one of them (the one
//! that relays, on PostgreSQL), and the relay waits for a transaction that commits late instead
//! of passing its event, and never publishes one that rolled back.

mod needs_nats {
    use std::collections::{BTreeSet, HashMap};
    use std::time::{Duration, Instant};

    use serde_json::json;

    use crate::support::ws::{Protocol, WsClient};
    use crate::support::*;

    const FEED: &str = "subscription($org: String!) {
        invitationEvents(org: { name: $org }) { kind invitation { id } } }";
    const INVITE: &str = "mutation($input: CreateOrgInvitesInput!) {
        createOrgInvites(input: $input) { invitations { id } errors { code } } }";
    /// Invitations per `createOrgInvites` call of the load.
    const PER_CALL: usize = 10;

    /// `calls` bulk invitations of [`PER_CALL`] addresses through `base`, one after another;
    /// the ids of those that were answered.
    async fn load(base: String, token: String, tag: String, calls: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        for call_number in 0..calls {
            let emails: Vec<String> = (0..PER_CALL)
                .map(|n| format!("{tag}-{call_number}-{n}@example.com"))
                .collect();
            let variables = json!({ "input": { "org": { "name": "acme" }, "emails": emails, "sendEmail": false } });
            let Some(response) = try_graphql_at(&base, INVITE, variables, Some(&token)).await
            else {
                break;
            };
            for invitation in invitations_of(&data(&response)["createOrgInvites"]) {
                ids.push(db_id(&str_of(&invitation["id"])));
            }
        }
        ids
    }

    /// Reads the feed of `client` until it has heard of every invitation in `expected`, for 30
    /// s at most, then half a second more for repeats; how often it heard of each.
    async fn hear(client: &mut WsClient, expected: &BTreeSet<i64>) -> HashMap<i64, usize> {
        let mut heard: HashMap<i64, usize> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !expected.iter().all(|id| heard.contains_key(id)) && Instant::now() < deadline {
            if let Some(message) = client
                .try_message_for("feed", Duration::from_millis(500))
                .await
            {
                let event = &message["payload"]["data"]["invitationEvents"];
                assert_eq!(event["kind"], "CREATED", "{message:#}");
                *heard
                    .entry(db_id(&str_of(&event["invitation"]["id"])))
                    .or_default() += 1;
            }
        }
        while let Some(message) = client
            .try_message_for("feed", Duration::from_millis(500))
            .await
        {
            let event = &message["payload"]["data"]["invitationEvents"];
            *heard
                .entry(db_id(&str_of(&event["invitation"]["id"])))
                .or_default() += 1;
        }
        heard
    }

    /// Asserts that `heard` holds each of `expected` exactly once (and, with `only`, nothing
    /// else).
    fn assert_once(who: &str, heard: &HashMap<i64, usize>, expected: &BTreeSet<i64>, only: bool) {
        let missing: Vec<_> = expected
            .iter()
            .filter(|id| !heard.contains_key(id))
            .collect();
        assert!(
            missing.is_empty(),
            "{who} missed {} events: {missing:?}",
            missing.len()
        );
        let repeated: Vec<_> = heard.iter().filter(|(_, times)| **times > 1).collect();
        assert!(
            repeated.is_empty(),
            "{who} heard events twice: {repeated:?}"
        );
        if only {
            let extra: Vec<_> = heard.keys().filter(|id| !expected.contains(id)).collect();
            assert!(
                extra.is_empty(),
                "{who} heard of invitations never created: {extra:?}"
            );
        }
    }

    #[tokio::test]
    async fn three_instances_deliver_every_event_once_to_every_subscriber_across_a_kill() {
        let nats = test_nats_url().await;
        let stream = FreshStream::new(&nats).await;
        let app = TestApp::spawn().await;
        let alice = alice_with_acme(&app).await;
        create_org(&app, &alice, "probe").await;
        let dir = tempfile::tempdir().expect("a folder");
        let env = [
            ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
            ("DOORMAN_NATS_URL", nats.as_str()),
            ("DOORMAN_NATS_STREAM", stream.name.as_str()),
            ("DOORMAN_RATE_LIMITS", "false"),
            ("DOORMAN_NEW_ORG_DAYS", "0"),
            ("DOORMAN_ORG_INVITATIONS_PER_DAY", "1000000"),
            ("DOORMAN_MAX_PENDING_INVITATIONS", "1000000"),
            ("DOORMAN_LOG", "warn"),
        ];
        let mut servers = Vec::new();
        for _ in 0..3 {
            servers.push(serve_binary_on(app.database_url(), dir.path(), &env).await);
        }
        let bases: Vec<String> = servers.iter().map(|(_, base)| base.clone()).collect();

        // On PostgreSQL one instance relays; on SQLite (one writer, so ids commit in order)
        // each does, and JetStream keeps one copy of each event by its id.
        let relaying = if uses_postgres() { 1.0 } else { 3.0 };
        let deadline = Instant::now() + Duration::from_secs(10);
        let leader = loop {
            let mut leaders = Vec::new();
            for (index, base) in bases.iter().enumerate() {
                if metric_at(base, "doorman_event_relay_leader").await == 1.0 {
                    leaders.push(index);
                }
            }
            if leaders.len() as f64 == relaying {
                break leaders[0];
            }
            assert!(Instant::now() < deadline, "relaying instances: {leaders:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };

        // Two subscribers on each instance.
        let mut subscribers = Vec::new();
        for (index, base) in bases.iter().enumerate() {
            for protocol in Protocol::ALL {
                let mut client = WsClient::connect_as_to(base, protocol, &alice).await;
                client
                    .subscribe("feed", FEED, json!({ "org": "acme" }))
                    .await;
                client.wait_until_live(&app, &alice, "probe").await;
                subscribers.push((index, client));
            }
        }

        // Load through all three; the relaying instance is killed in the middle of it.
        let first: Vec<_> = bases
            .iter()
            .enumerate()
            .map(|(index, base)| {
                tokio::spawn(load(
                    base.clone(),
                    alice.clone(),
                    format!("first{index}"),
                    6,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let (killed, _) = &mut servers[leader];
        killed.start_kill().expect("kill -9");
        let _ = killed.wait().await;
        for load in first {
            load.await.expect("the load ran");
        }
        let survivors: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
        let second: Vec<_> = survivors
            .iter()
            .map(|&index| {
                tokio::spawn(load(
                    bases[index].clone(),
                    alice.clone(),
                    format!("second{index}"),
                    4,
                ))
            })
            .collect();
        for load in second {
            load.await.expect("the load ran");
        }

        // Every invitation acme has was committed while the subscribers listened; those of
        // the killed instance committed in its last moments are among them.
        let committed: BTreeSet<i64> = app
            .strings(
                "SELECT CAST(i.id AS TEXT) FROM invitations i
                 JOIN organizations o ON o.id = i.organization_id WHERE o.name = 'acme'",
                vec![],
            )
            .await
            .iter()
            .map(|id| id.parse().expect("an id"))
            .collect();
        assert!(committed.len() >= 100, "{} invitations", committed.len());
        let mut orphans = Vec::new();
        for (index, mut client) in subscribers {
            if index == leader {
                orphans.push(client);
                continue;
            }
            let heard = hear(&mut client, &committed).await;
            assert_once(
                &format!("a subscriber of instance {index}"),
                &heard,
                &committed,
                true,
            );
        }

        // The subscribers of the killed instance come back through another; from then on
        // they hear everything too.
        let mut returned = Vec::new();
        for (n, orphan) in orphans.into_iter().enumerate() {
            drop(orphan);
            let base = &bases[survivors[n % survivors.len()]];
            let mut client = WsClient::connect_as_to(base, Protocol::ALL[n % 2], &alice).await;
            client
                .subscribe("feed", FEED, json!({ "org": "acme" }))
                .await;
            client.wait_until_live(&app, &alice, "probe").await;
            returned.push(client);
        }
        let third: BTreeSet<i64> = load(
            bases[survivors[0]].clone(),
            alice.clone(),
            "third".to_owned(),
            3,
        )
        .await
        .into_iter()
        .collect();
        assert_eq!(third.len(), 3 * PER_CALL);
        for mut client in returned {
            let heard = hear(&mut client, &third).await;
            assert_once("a subscriber that came back", &heard, &third, true);
        }
        assert!(
            metric_at(&bases[survivors[0]], "doorman_events_relayed_total").await
                + metric_at(&bases[survivors[1]], "doorman_events_relayed_total").await
                > 0.0,
            "a surviving instance took over the relay"
        );
        drop(servers);
        stream.delete().await;
    }

    /// A server whose events go through the suite's NATS, on a stream of this test's own.
    async fn on_nats() -> (TestApp, FreshStream) {
        let nats = test_nats_url().await;
        let stream = FreshStream::new(&nats).await;
        let name = stream.name.clone();
        let app = TestApp::spawn_with(move |settings| {
            settings.cluster.nats_url = Some(nats);
            settings.cluster.nats_stream = name;
        })
        .await;
        (app, stream)
    }

    #[tokio::test]
    async fn a_stream_deleted_under_the_relay_is_made_again_and_the_events_go_on() {
        let (app, stream) = on_nats().await;
        let listener = app.sibling_with(|_| {}).await;
        let alice = alice_with_acme(&app).await;
        create_org(&app, &alice, "probe").await;
        let mut client = WsClient::connect_as(&listener, Protocol::TransportWs, &alice).await;
        client
            .subscribe("feed", FEED, json!({ "org": "acme" }))
            .await;
        client.wait_until_live(&app, &alice, "probe").await;
        let (before, _) = invite_one(&app, &alice, "acme", "before@example.com").await;
        let heard = client.next_data("feed").await;
        assert_eq!(
            heard["invitationEvents"]["invitation"]["id"],
            before.as_str()
        );

        // The stream goes (a purge, NATS losing its storage): the relay makes it again and
        // continues from its saved cursor, and the other instance reads the new stream.
        stream.delete_now().await;
        let (after, _) = invite_one(&app, &alice, "acme", "after@example.com").await;
        // Within seconds: the relay starts over a second after failing, the reader checks its
        // stream every two.
        let heard = client
            .try_message_for("feed", Duration::from_secs(15))
            .await
            .expect("the event after the stream was made anew");
        let heard = &heard["payload"]["data"]["invitationEvents"];
        assert_eq!(heard["kind"], "CREATED");
        assert_eq!(heard["invitation"]["id"], after.as_str());
        assert_eq!(
            client.try_message_for("feed", Duration::from_secs(1)).await,
            None,
            "nothing twice"
        );
        drop(client);
        drop((listener, app));
        stream.delete().await;
    }

    mod postgres_only {
        use super::*;

        #[tokio::test]
        async fn the_relay_waits_for_a_late_commit_and_never_publishes_a_rollback() {
            require_postgres();
            let (app, stream) = on_nats().await;
            let alice = alice_with_acme(&app).await;
            create_org(&app, &alice, "probe").await;
            let (early, _) = invite_one(&app, &alice, "acme", "early@example.com").await;
            // The subscriber is on another instance: it hears only what the relay publishes
            // (an instance's own events reach its own subscribers at once).
            let listener = app.sibling_with(|_| {}).await;
            let mut client = WsClient::connect_as(&listener, Protocol::TransportWs, &alice).await;
            client
                .subscribe("feed", FEED, json!({ "org": "acme" }))
                .await;
            client.wait_until_live(&app, &alice, "probe").await;

            // One transaction cancels `early` and stays open; another writes an event and
            // rolls back.
            let mut held = sqlx_connect(app.database_url()).await;
            let mut rolled_back = sqlx_connect(app.database_url()).await;
            let early_id = db_id(&early);
            for (connection, kind) in [(&mut held, "CANCELLED"), (&mut rolled_back, "RESENT")] {
                sqlx::query("BEGIN")
                    .execute(&mut *connection)
                    .await
                    .unwrap();
                sqlx::query(
                    "INSERT INTO invitation_events (invitation_id, organization_id, kind, actor_id, created_at)
                     SELECT id, organization_id, $2, invited_by, now() FROM invitations WHERE id = $1",
                )
                .bind(early_id)
                .bind(kind)
                .execute(&mut *connection)
                .await
                .unwrap();
            }
            sqlx::query("UPDATE invitations SET status = 'CANCELLED' WHERE id = $1")
                .bind(early_id)
                .execute(&mut held)
                .await
                .unwrap();

            // An invitation made meanwhile commits first, but its event waits.
            let (late, _) = invite_one(&app, &alice, "acme", "late@example.com").await;
            assert_eq!(
                client.try_message_for("feed", Duration::from_secs(1)).await,
                None,
                "no event passes one that is still being written"
            );
            sqlx::query("ROLLBACK")
                .execute(&mut rolled_back)
                .await
                .unwrap();
            sqlx::query("COMMIT").execute(&mut held).await.unwrap();

            // Then both, in the order their transactions began; the rolled back one never.
            let first = client.next_data("feed").await;
            assert_eq!(first["invitationEvents"]["kind"], "CANCELLED");
            assert_eq!(
                first["invitationEvents"]["invitation"]["id"],
                early.as_str()
            );
            let second = client.next_data("feed").await;
            assert_eq!(second["invitationEvents"]["kind"], "CREATED");
            assert_eq!(
                second["invitationEvents"]["invitation"]["id"],
                late.as_str()
            );
            assert_eq!(
                client.try_message_for("feed", Duration::from_secs(1)).await,
                None,
                "nothing else"
            );
            drop(client);
            drop((listener, app));
            stream.delete().await;
        }

        async fn sqlx_connect(url: &str) -> sqlx::PgConnection {
            use sqlx::Connection;
            sqlx::PgConnection::connect(url)
                .await
                .expect("PostgreSQL answers")
        }

        use sea_orm::sqlx;
    }
}
