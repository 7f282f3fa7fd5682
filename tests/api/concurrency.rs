//! Races: many accepts at the same moment never exceed `maxUses`, one account redeems once,
//! and parallel invites for one email create one invitation.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::support::*;

/// Registers `user1` … `user{n}` a few at a time; returns their access tokens.
async fn register_many(app: &TestApp, n: usize) -> Vec<String> {
    futures_util::stream::iter(1..=n)
        .map(|i| async move { register(app, &format!("user{i}")).await.0 })
        .buffer_unordered(4)
        .collect()
        .await
}

/// Runs one task per item, all released by one barrier, and returns their results.
async fn all_at_once<T, F, Fut>(items: Vec<T>, task: F) -> Vec<Value>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Value> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(items.len()));
    let handles: Vec<_> = items
        .into_iter()
        .map(|item| {
            let barrier = Arc::clone(&barrier);
            let request = task(item);
            tokio::spawn(async move {
                barrier.wait().await;
                request.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("task panicked"));
    }
    results
}

/// How many responses ended in each outcome: "OK" or the first error's code.
fn outcomes(responses: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for response in responses {
        let outcome = match response.get("errors") {
            None | Some(Value::Null) => "OK".to_owned(),
            Some(errors) => errors[0]["extensions"]["code"]
                .as_str()
                .unwrap_or("NO_CODE")
                .to_owned(),
        };
        *counts.entry(outcome).or_insert(0) += 1;
    }
    counts
}

fn expected(items: &[(&str, usize)]) -> BTreeMap<String, usize> {
    items
        .iter()
        .map(|(code, n)| ((*code).to_owned(), *n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_accounts_racing_for_a_link_with_ten_uses_get_exactly_ten_memberships() {
    let app = Arc::new(TestApp::spawn().await);
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, link_token) = create_link(&app, &alice, "acme", Some(10)).await;
    let users = register_many(&app, 50).await;

    let responses = all_at_once(users, |user| {
        let (app, link_token) = (Arc::clone(&app), link_token.clone());
        async move { accept(&app, &user, &link_token).await }
    })
    .await;

    assert_eq!(
        outcomes(&responses),
        expected(&[("OK", 10), ("INVITATION_USED_UP", 40)]),
        "{responses:#?}"
    );
    let values = || vec![db_id(&id).into()];
    for sql in [
        "SELECT usage_count FROM invitations WHERE id = $1",
        "SELECT COUNT(*) FROM memberships WHERE invitation_id = $1",
        "SELECT COUNT(*) FROM invitation_redemptions WHERE invitation_id = $1",
        "SELECT COUNT(*) FROM invitation_events WHERE invitation_id = $1 AND kind = 'ACCEPTED'",
    ] {
        assert_eq!(app.count(sql, values()).await, 10, "{sql}");
    }
    let shown = invitation(&app, &link_token, None).await;
    assert_eq!(
        (
            &data(&shown)["invitation"]["status"],
            &data(&shown)["invitation"]["usageCount"]
        ),
        (&json!("USED_UP"), &json!(10))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_account_accepting_a_link_in_parallel_redeems_it_once() {
    let app = Arc::new(TestApp::spawn().await);
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (id, link_token) = create_link(&app, &alice, "acme", None).await;
    let (bob, _) = register(&app, "bob").await;

    let responses = all_at_once(vec![bob; 8], |user| {
        let (app, link_token) = (Arc::clone(&app), link_token.clone());
        async move { accept(&app, &user, &link_token).await }
    })
    .await;

    assert_eq!(
        outcomes(&responses),
        expected(&[("ALREADY_MEMBER", 7), ("OK", 1)]),
        "{responses:#?}"
    );
    let values = || vec![db_id(&id).into()];
    assert_eq!(
        app.count(
            "SELECT usage_count FROM invitations WHERE id = $1",
            values()
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM memberships WHERE invitation_id = $1",
            values()
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitation_redemptions WHERE invitation_id = $1",
            values()
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_invites_for_one_email_create_one_invitation() {
    let app = Arc::new(TestApp::spawn().await);
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let responses = all_at_once((0..20).collect(), |_: i32| {
        let (app, alice) = (Arc::clone(&app), alice.clone());
        async move {
            let response =
                create_org_invites(&app, &alice, "acme", &["bob@example.com"], json!({})).await;
            if response
                .get("errors")
                .is_some_and(|errors| !errors.is_null())
            {
                return response;
            }
            // Fold the per-email outcome into the shape `outcomes` reads.
            let payload = &response["data"]["createOrgInvites"];
            match payload["errors"][0]["code"].as_str() {
                Some(code) => json!({ "errors": [{ "extensions": { "code": code } }] }),
                None if invitations_of(payload).len() == 1 => json!({ "data": {} }),
                None => response,
            }
        }
    })
    .await;

    assert_eq!(
        outcomes(&responses),
        expected(&[("ALREADY_INVITED", 19), ("OK", 1)]),
        "{responses:#?}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE email = 'bob@example.com'",
            vec![]
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitation_events WHERE kind = 'CREATED'",
            vec![]
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_racing_on_an_empty_server_make_exactly_one_server_admin() {
    let app = Arc::new(TestApp::spawn().await);

    let results = all_at_once((1..=6).collect(), |i| {
        let app = Arc::clone(&app);
        async move { register(&app, &format!("racer{i}")).await.0.into() }
    })
    .await;

    assert_eq!(results.len(), 6);
    assert_eq!(app.rows("users").await, 6);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE is_server_admin = $1",
            vec![true.into()]
        )
        .await,
        1
    );
}

/// The SQLite file of a `sqlite://path?…` URL.
fn sqlite_file(url: &str) -> std::path::PathBuf {
    doorman::config::sqlite_file(url)
        .expect("a SQLite file URL")
        .to_owned()
}

/// Tests of SQLite itself: the SQLite profiles run them (`.config/nextest.toml`).
mod sqlite_only {
    use super::*;

    #[tokio::test]
    async fn on_sqlite_the_query_planner_has_statistics_from_start_up() {
        // PostgreSQL gathers its own.
        require_sqlite();
        let app = TestApp::spawn().await;
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        // A server started on a database with rows analyzes them before long.
        let restarted = app.sibling_with(|_| {}).await;
        let analyzed = "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'users'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let row = restarted
                .ctx()
                .db
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, analyzed))
                .await;
            if let Ok(Some(row)) = row
                && row.try_get_by_index::<i64>(0).unwrap() > 0
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no statistics for the users table"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn on_sqlite_committed_writes_reach_the_database_file_in_the_background() {
        // PostgreSQL checkpoints by itself.
        require_sqlite();
        let app = TestApp::spawn().await;
        let pool = &app.ctx().db;
        let pragma = |name: &'static str| async move {
            pool.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
        };
        // The server's connections: the configured cache, and writers that leave checkpoints to
        // the background until the log is 64 MiB long.
        assert_eq!(pragma("cache_size").await, -512);
        assert_eq!(pragma("wal_autocheckpoint").await, 16_384);
        let (alice, _) = register(&app, "alice").await;
        create_org(&app, &alice, "acme").await;
        let file = sqlite_file(app.database_url());
        let before = std::fs::metadata(&file).unwrap().len();

        // 100 invitations with their events and queued emails: new pages, in the log at first.
        let emails: Vec<String> = (1..=100).map(|i| format!("guest{i}@example.com")).collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        let created = create_org_invites(&app, &alice, "acme", &emails, json!({})).await;
        assert_eq!(
            invitations_of(&created["data"]["createOrgInvites"]).len(),
            100
        );

        // Nothing here checkpoints: the database file grows only once the background has copied
        // the pages in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = std::fs::metadata(&file).unwrap().len();
            if now > before {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file stayed at {before} bytes for 10 s after the writes"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
