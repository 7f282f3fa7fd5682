//! Reads from a streaming replica (`DOORMAN_DATABASE_READ_URL`): a private PostgreSQL cluster
//! and a replica made of it with `pg_basebackup`. The hot reads come from the replica (seen by
//! pausing its replay: they show the state before a write), the account that wrote reads from
//! the primary, a replica that trails by more than the allowed lag or is down is left alone,
//! and reads go on without an error.

mod postgres_only {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use crate::support::machine::PrivatePostgres;
    use crate::support::*;

    /// The status the anonymous preview of `token` shows through `base`.
    async fn previewed_status(base: &str, token: &str) -> String {
        let response = graphql_at(
            base,
            "query($token: String!) { invitation(token: $token) { status } }",
            json!({ "token": token }),
            None,
        )
        .await;
        str_of(&data(&response)["invitation"]["status"])
    }

    /// The statuses alice's invitation list shows through `base`.
    async fn listed_statuses(base: &str, alice: &str) -> Vec<String> {
        let response = graphql_at(
            base,
            "{ orgInvitations(org: { name: \"acme\" }, first: 10) { nodes { status } } }",
            json!({}),
            Some(alice),
        )
        .await;
        data(&response)["orgInvitations"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| str_of(&node["status"]))
            .collect()
    }

    /// Waits up to 10 s for `series` of the server at `base` to be `value`.
    async fn until_metric(base: &str, series: &str, value: f64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while metric_at(base, series).await != value {
            assert!(
                Instant::now() < deadline,
                "{series} never became {value} at {base}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn replay(replica: &PrivatePostgres, paused: bool) {
        use sea_orm::sqlx::{self, Connection};
        let mut connection = sqlx::PgConnection::connect(&replica.url())
            .await
            .expect("the replica answers");
        let sql = if paused {
            "SELECT pg_wal_replay_pause()"
        } else {
            "SELECT pg_wal_replay_resume()"
        };
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hot_reads_come_from_the_replica_and_fall_back_to_the_primary() {
        require_postgres();
        let bin = PrivatePostgres::bin_dir()
            .expect("PostgreSQL server binaries (initdb, pg_basebackup) are needed for this test");
        let primary = tokio::task::block_in_place(|| PrivatePostgres::create(bin));
        let replica = tokio::task::block_in_place(|| primary.replica());
        let files = tempfile::tempdir().unwrap();
        let replica_url = replica.url();
        let common = [
            ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
            ("DOORMAN_DATABASE_READ_URL", replica_url.as_str()),
            ("DOORMAN_READ_YOUR_WRITES_MS", "3000"),
            ("DOORMAN_RATE_LIMITS", "false"),
            ("DOORMAN_LOG", "error"),
        ];
        // `patient` lets the replica trail by a minute, `strict` by 300 ms.
        let env = |lag: &'static str| {
            let mut env = common.to_vec();
            env.push(("DOORMAN_READ_MAX_LAG_MS", lag));
            env
        };
        let (_patient_server, patient) =
            serve_binary_on(&primary.url(), files.path(), &env("60000")).await;
        let (_strict_server, strict) =
            serve_binary_on(&primary.url(), files.path(), &env("300")).await;
        for base in [&patient, &strict] {
            until_metric(base, "doorman_replica_usable", 1.0).await;
        }

        let registered = graphql_at(
            &patient,
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            json!({ "input": { "username": "alice", "email": "alice@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
        let alice = str_of(&data(&registered)["register"]["accessToken"]);
        let org = "mutation { createOrganization(input: { name: \"acme\" }) { id } }";
        data(&graphql_at(&patient, org, json!({}), Some(&alice)).await);
        let created = graphql_at(
            &patient,
            CREATE_INVITE_LINK,
            json!({ "input": { "org": { "name": "acme" } } }),
            Some(&alice),
        )
        .await;
        let link = &data(&created)["createInviteLink"];
        let (id, token) = (
            str_of(&link["id"]),
            token_from_link(&str_of(&link["invitationLink"])),
        );

        // The anonymous preview is served by the replica once it has replayed the link.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let response = graphql_at(
                &patient,
                "query($token: String!) { invitation(token: $token) { status } }",
                json!({ "token": token }),
                None,
            )
            .await;
            if data(&response)["invitation"]["status"] == "PENDING" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the link never showed: {response}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(metric_at(&patient, "doorman_replica_reads_total").await >= 1.0);

        // With replay paused, the replica keeps the link as it was before it was cancelled.
        replay(&replica, true).await;
        let cancel = "mutation($id: ID!) { cancelInvitation(id: $id) { status } }";
        let cancelled = graphql_at(&patient, cancel, json!({ "id": id }), Some(&alice)).await;
        assert_eq!(data(&cancelled)["cancelInvitation"]["status"], "CANCELLED");
        assert_eq!(
            previewed_status(&patient, &token).await,
            "PENDING",
            "from the replica"
        );
        // The account that wrote reads from the primary for the read-your-writes window...
        assert_eq!(listed_statuses(&patient, &alice).await, ["CANCELLED"]);
        // ... and from the replica after it.
        tokio::time::sleep(Duration::from_millis(3100)).await;
        assert_eq!(listed_statuses(&patient, &alice).await, ["PENDING"]);

        // The strict instance leaves a replica that trails by more than 300 ms.
        until_metric(&strict, "doorman_replica_usable", 0.0).await;
        assert_eq!(previewed_status(&strict, &token).await, "CANCELLED");

        // Replaying again, the replica catches up and serves again.
        replay(&replica, false).await;
        until_metric(&strict, "doorman_replica_usable", 1.0).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while previewed_status(&patient, &token).await != "CANCELLED" {
            assert!(Instant::now() < deadline, "the replica never caught up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // A replica that is down: reads go on, from the primary, at once and after.
        replica.stop_immediately();
        for base in [&patient, &strict] {
            assert_eq!(previewed_status(base, &token).await, "CANCELLED");
            assert_eq!(listed_statuses(base, &alice).await, ["CANCELLED"]);
        }
        for base in [&patient, &strict] {
            until_metric(base, "doorman_replica_usable", 0.0).await;
            assert_eq!(previewed_status(base, &token).await, "CANCELLED");
        }
    }
}
