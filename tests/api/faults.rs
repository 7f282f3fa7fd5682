//! Faults: the real `doorman` binary killed with SIGKILL in the middle of concurrent accepts,
//! its PostgreSQL server stopped and restarted under load, and a SQLite file it cannot write.
//! What must hold: counts never drift from the rows behind them, the outage is answered with
//! 503s and bare `INTERNAL_SERVER_ERROR`s and heals without a restart, and an unusable
//! database file stops the process at once with one readable line.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value as Json, json};
use tokio::io::AsyncReadExt;

use crate::support::machine::{Mount, PrivatePostgres, is_root};
use crate::support::*;

// ---- helpers ----

/// One GraphQL POST to a server started from the binary: the HTTP status and the body, or
/// `None` when no answer came (the connection broke).
async fn post(
    client: &reqwest::Client,
    base: &str,
    query: &str,
    variables: Json,
    token: Option<&str>,
) -> Option<(u16, Json)> {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.text().await.ok()?;
    let body = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("response is not JSON (HTTP {status}): {body}"));
    Some((status, body))
}

async fn status_of(base: &str, path: &str) -> Option<u16> {
    reqwest::get(format!("{base}{path}"))
        .await
        .ok()
        .map(|response| response.status().as_u16())
}

/// Reads the child's stderr as it comes, so a chatty server never blocks on a full pipe.
fn drain_stderr(child: &mut tokio::process::Child) -> Arc<Mutex<String>> {
    let collected = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let sink = Arc::clone(&collected);
    tokio::spawn(async move {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = stderr.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
    });
    collected
}

// ---- a. kill -9 in the middle of concurrent accepts ----

const ACCEPT_TOKEN: &str =
    "mutation($token: String!) { acceptInvitation(token: $token) { membership { role } } }";

#[derive(Debug, PartialEq)]
enum Outcome {
    Joined,
    /// The connection broke before an answer: the accept may or may not have committed.
    NoAnswer,
    Refused(Json),
}

/// 50 accounts accept one 100-use link at once; the server gets SIGKILL once the first few
/// have been answered, then starts again on the same database (SQLite file, or a fresh
/// PostgreSQL database when `DOORMAN_TEST_DATABASE_URL` is set). Every counter must equal the
/// rows behind it, every answered accept must have its membership, and retrying after the
/// restart may finish what the crash cut off but never uses the link twice for one account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_concurrent_accepts_leaves_usage_consistent() {
    const CLIENTS: usize = 50;
    // The in-process server only creates the database and the fixtures; the storm goes to
    // the binary, which shares the database and the token secret.
    let app = TestApp::spawn().await;
    let (owner, _) = register(&app, "owner").await;
    let org_id = create_org(&app, &owner, "acme").await;
    let (link_id, link) = create_link(&app, &owner, "acme", Some(100)).await;
    let users: Vec<(String, String)> = join_all((0..CLIENTS).map(|i| {
        let app = &app;
        async move { register(app, &format!("joiner{i}")).await }
    }))
    .await;

    let files = tempfile::tempdir().unwrap();
    let env = [
        ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
        ("DOORMAN_LOG", "warn"),
        ("DOORMAN_OUTBOX_WORKER", "false"),
        // 50 accepts from one address is what the per-IP limit exists to stop.
        ("DOORMAN_RATE_LIMITS", "false"),
    ];
    let (mut server, base) = serve_binary_on(app.database_url(), files.path(), &env).await;
    let stderr = drain_stderr(&mut server);

    let client = reqwest::Client::new();
    let start = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel();
    let storm: Vec<_> = users
        .iter()
        .map(|(token, _)| {
            let (client, base, token, link) =
                (client.clone(), base.clone(), token.clone(), link.clone());
            let (start, answered) = (Arc::clone(&start), answered_tx.clone());
            tokio::spawn(async move {
                start.wait().await;
                let outcome = match post(
                    &client,
                    &base,
                    ACCEPT_TOKEN,
                    json!({ "token": link }),
                    Some(&token),
                )
                .await
                {
                    None => Outcome::NoAnswer,
                    Some((_, body))
                        if body["data"]["acceptInvitation"]["membership"]["role"] == "MEMBER" =>
                    {
                        Outcome::Joined
                    }
                    Some((_, body)) => Outcome::Refused(body),
                };
                let _ = answered.send(outcome == Outcome::Joined);
                outcome
            })
        })
        .collect();
    drop(answered_tx);

    // SIGKILL as soon as five accepts have been answered: the rest are in flight.
    let mut joined_before_kill = 0;
    while joined_before_kill < 5 {
        match answered_rx.recv().await {
            Some(true) => joined_before_kill += 1,
            Some(false) => {}
            None => break,
        }
    }
    let pid = server.id().expect("the server is running").to_string();
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.wait().await.unwrap();
    assert_eq!(status.signal(), Some(9), "the server died of SIGKILL");
    let outcomes: Vec<Outcome> = join_all(storm)
        .await
        .into_iter()
        .map(|outcome| outcome.unwrap())
        .collect();
    let refused: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Refused(_)))
        .collect();
    assert!(refused.is_empty(), "accepts refused: {refused:#?}");
    let joined: Vec<&str> = users
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| **outcome == Outcome::Joined)
        .map(|((_, user_id), _)| user_id.as_str())
        .collect();
    let unanswered = outcomes.len() - joined.len();
    assert!(
        unanswered > 0,
        "all {CLIENTS} accepts were answered before the kill: nothing was in flight"
    );
    assert!(
        !stderr.lock().unwrap().contains("panicked"),
        "{}",
        stderr.lock().unwrap()
    );

    // The crashed server's database, as the restarted server finds it.
    let (mut server, base) = serve_binary_on(app.database_url(), files.path(), &env).await;
    let stderr = drain_stderr(&mut server);
    let link_db_id = db_id(&link_id);
    let usage_after_crash = assert_counts_agree(&app, link_db_id).await;
    assert!(
        usage_after_crash >= joined.len() as i64,
        "{} accepts were answered but usage_count is {usage_after_crash}",
        joined.len()
    );
    for user_id in &joined {
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND organization_id = $2",
                vec![db_id(user_id).into(), db_id(&org_id).into()],
            )
            .await,
            1,
            "user {user_id} was told it joined but has no membership"
        );
    }

    // Everyone tries again: those who were told they joined, and those whose accept may or may
    // not have committed before the kill.
    let mut already_member = 0;
    for ((token, user_id), outcome) in users.iter().zip(&outcomes) {
        let (_, body) = post(
            &client,
            &base,
            ACCEPT_TOKEN,
            json!({ "token": link }),
            Some(token),
        )
        .await
        .expect("the restarted server answers");
        if *outcome == Outcome::Joined {
            assert_error_code(&body, "ALREADY_MEMBER");
        } else if body["errors"].is_array() {
            // Committed just before the kill, answered never.
            assert_error_code(&body, "ALREADY_MEMBER");
            already_member += 1;
        } else {
            assert_eq!(
                data(&body)["acceptInvitation"]["membership"]["role"],
                "MEMBER",
                "user {user_id}: {body:#}"
            );
        }
    }
    assert_eq!(
        joined.len() as i64 + already_member,
        usage_after_crash,
        "the accepts that committed before the kill are exactly the answered ones plus the \
         ones the retry found done"
    );
    eprintln!(
        "kill -9 after {} answered accepts; {} committed before the kill ({} of them never \
         answered); {} finished by the retry",
        joined.len(),
        usage_after_crash,
        already_member,
        CLIENTS as i64 - usage_after_crash
    );
    assert_eq!(assert_counts_agree(&app, link_db_id).await, CLIENTS as i64);
    assert_eq!(
        app.count(
            "SELECT COUNT(DISTINCT user_id) FROM invitation_redemptions WHERE invitation_id = $1",
            vec![link_db_id.into()],
        )
        .await,
        CLIENTS as i64,
        "one redemption per account"
    );
    let (_, body) = post(
        &client,
        &base,
        "query($token: String!) { invitation(token: $token) { usageCount usesRemaining status } }",
        json!({ "token": link }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        data(&body)["invitation"],
        json!({ "usageCount": CLIENTS, "usesRemaining": 100 - CLIENTS, "status": "PENDING" })
    );
    assert!(
        !stderr.lock().unwrap().contains("panicked"),
        "{}",
        stderr.lock().unwrap()
    );
}

/// `usage_count` of the invitation = its redemption rows = the memberships created through
/// it; returns that number.
async fn assert_counts_agree(app: &TestApp, invitation_id: i64) -> i64 {
    let usage = app
        .count(
            "SELECT usage_count FROM invitations WHERE id = $1",
            vec![invitation_id.into()],
        )
        .await;
    let redemptions = app
        .count(
            "SELECT COUNT(*) FROM invitation_redemptions WHERE invitation_id = $1",
            vec![invitation_id.into()],
        )
        .await;
    let memberships = app
        .count(
            "SELECT COUNT(*) FROM memberships WHERE invitation_id = $1",
            vec![invitation_id.into()],
        )
        .await;
    assert_eq!(
        (usage, redemptions),
        (memberships, memberships),
        "(usage_count, redemptions) vs memberships"
    );
    usage
}

// ---- b. the database goes away under load, and comes back ----

/// What the server answered to an authenticated query that reads the database.
#[derive(Debug)]
enum Answer {
    Ok,
    /// Every error is a bare `INTERNAL_SERVER_ERROR`.
    Internal,
    /// Anything else: the status and body, for the failure message.
    Other(String),
}

const READS_THE_DATABASE: &str = "{ me { username memberships { role organization { name } } }
    organization(org: { name: \"acme\" }) { name viewerRole } }";

fn classify(status: u16, body: &Json) -> Answer {
    match body["errors"].as_array() {
        None if body["data"]["organization"]["viewerRole"] == "ADMIN" => Answer::Ok,
        Some(errors)
            if !errors.is_empty()
                && errors.iter().all(|error| {
                    error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
                        && error["message"] == "internal server error"
                        && error["extensions"]
                            .as_object()
                            .is_some_and(|ext| ext.len() == 1)
                }) =>
        {
            Answer::Internal
        }
        _ => Answer::Other(format!("HTTP {status}: {body}")),
    }
}

// ---- c. a SQLite file the process cannot write ----

/// Runs `doorman serve` on `sqlite://{file}` (as `user` when given) and returns its stderr once
/// it has failed, which it must do at once and with a non-zero status.
async fn startup_failure(file: &Path, user: Option<&str>) -> String {
    let binary = env!("CARGO_BIN_EXE_doorman");
    let mut command = match user {
        Some(user) => {
            let mut command = tokio::process::Command::new("runuser");
            command.args(["-u", user, "--", binary]);
            command
        }
        None => tokio::process::Command::new(binary),
    };
    let started = Instant::now();
    let output = command
        .arg("serve")
        .env(
            "DOORMAN_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .env("DOORMAN_LISTEN", "127.0.0.1:0")
        .env("DOORMAN_LOG", "warn")
        .env("DOORMAN_TOKEN_SECRET", TOKEN_SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(10), output)
        .await
        .unwrap_or_else(|_| panic!("doorman on {} did not give up", file.display()))
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?} to fail",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    stderr
}

#[track_caller]
fn assert_one_line_error(stderr: &str, file: &Path, cause: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.is_empty()).collect();
    let expected = format!(
        "error: cannot open the SQLite database at {}: ",
        file.display()
    );
    assert!(
        lines.len() == 1 && lines[0].starts_with(&expected) && lines[0].contains(cause),
        "expected one line `{expected}…{cause}…`, got:\n{stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

/// Tests that need PostgreSQL: the `postgres` profiles run them (`.config/nextest.toml`).
mod postgres_only {
    use super::*;

    /// The binary on a private PostgreSQL cluster, with a small pool and a 1 s acquire timeout,
    /// under light load from four clients. The cluster is stopped (`-m immediate`): `/readyz`
    /// answers 503 within the acquire timeout, `/healthz` 200, and GraphQL requests get only
    /// `INTERNAL_SERVER_ERROR` with the generic message (no driver or SQL text). Then the cluster
    /// starts again and the same process serves again, without a restart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn database_outage_under_load_is_reported_then_healed_without_restart() {
        require_postgres();
        let bin = PrivatePostgres::bin_dir()
            .expect("PostgreSQL server binaries (initdb, pg_ctl) are needed for this test");
        let cluster = tokio::task::block_in_place(|| PrivatePostgres::create(bin));
        let files = tempfile::tempdir().unwrap();
        let (mut server, base) = serve_binary_on(
            &cluster.url(),
            files.path(),
            &[
                ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
                ("DOORMAN_LOG", "warn"),
                ("DOORMAN_DATABASE_MAX_CONNECTIONS", "3"),
                ("DOORMAN_DATABASE_ACQUIRE_TIMEOUT_SECONDS", "1"),
                ("DOORMAN_OUTBOX_POLL_INTERVAL_MS", "200"),
                ("DOORMAN_RATE_LIMITS", "false"),
            ],
        )
        .await;
        let stderr = drain_stderr(&mut server);
        let client = reqwest::Client::new();
        let (_, body) = post(
            &client,
            &base,
            REGISTER,
            json!({ "input": { "username": "alice", "email": "alice@example.com", "password": PASSWORD } }),
            None,
        )
        .await
        .unwrap();
        let alice = str_of(&data(&body)["register"]["accessToken"]);
        let (_, body) = post(
            &client,
            &base,
            "mutation { createOrganization(input: { name: \"acme\" }) { id } }",
            json!({}),
            Some(&alice),
        )
        .await
        .unwrap();
        data(&body);

        // Light load: four clients reading through the whole outage.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let load: Vec<_> = (0..4)
            .map(|_| {
                let (client, base, token, stop) =
                    (client.clone(), base.clone(), alice.clone(), stop_rx.clone());
                tokio::spawn(async move {
                    let mut answers = Vec::new();
                    while !*stop.borrow() {
                        let (status, body) =
                            post(&client, &base, READS_THE_DATABASE, json!({}), Some(&token))
                                .await
                                .expect("the server answers during the outage");
                        answers.push(classify(status, &body));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    answers
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(status_of(&base, "/readyz").await, Some(200));

        tokio::task::block_in_place(|| cluster.stop_immediately());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let asked = Instant::now();
            let ready = status_of(&base, "/readyz").await;
            if ready == Some(503) {
                assert!(
                    asked.elapsed() < Duration::from_secs(5),
                    "/readyz took {:?} to say 503",
                    asked.elapsed()
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "/readyz still says {ready:?} with the database down"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status_of(&base, "/healthz").await, Some(200));
        let asked = Instant::now();
        let (status, body) = post(&client, &base, READS_THE_DATABASE, json!({}), Some(&alice))
            .await
            .unwrap();
        assert!(
            matches!(classify(status, &body), Answer::Internal),
            "HTTP {status}: {body:#}"
        );
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "a request took {:?} to fail with the database down",
            asked.elapsed()
        );
        // A write as well: the error says nothing about the database.
        let (status, body) = post(
            &client,
            &base,
            "mutation { createInviteLink(input: { org: { name: \"acme\" }, maxUses: 5 }) { id } }",
            json!({}),
            Some(&alice),
        )
        .await
        .unwrap();
        assert!(
            matches!(classify(status, &body), Answer::Internal),
            "HTTP {status}: {body:#}"
        );
        let text = body.to_string().to_lowercase();
        for leak in [
            "sqlx",
            "pool",
            "connection",
            "refused",
            "postgres",
            "select",
            "5432",
        ] {
            assert!(!text.contains(leak), "{leak:?} leaked in {body}");
        }

        tokio::task::block_in_place(|| cluster.start());
        let deadline = Instant::now() + Duration::from_secs(30);
        while status_of(&base, "/readyz").await != Some(200) {
            assert!(
                Instant::now() < deadline,
                "/readyz did not recover after the database came back"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = post(&client, &base, READS_THE_DATABASE, json!({}), Some(&alice))
                .await
                .unwrap();
            match classify(status, &body) {
                Answer::Ok => break,
                Answer::Internal if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => panic!("no recovery: {other:?}"),
            }
        }
        let (_, body) = post(
            &client,
            &base,
            "mutation { createInviteLink(input: { org: { name: \"acme\" }, maxUses: 5 }) { usageCount } }",
            json!({}),
            Some(&alice),
        )
        .await
        .unwrap();
        assert_eq!(data(&body)["createInviteLink"]["usageCount"], 0);

        stop_tx.send(true).unwrap();
        let answers: Vec<Answer> = join_all(load)
            .await
            .into_iter()
            .flat_map(|answers| answers.unwrap())
            .collect();
        let others: Vec<&String> = answers
            .iter()
            .filter_map(|answer| match answer {
                Answer::Other(text) => Some(text),
                _ => None,
            })
            .collect();
        assert!(
            others.is_empty(),
            "answers under load other than data or a bare INTERNAL_SERVER_ERROR: {others:#?}"
        );
        assert!(answers.iter().any(|answer| matches!(answer, Answer::Ok)));
        assert!(
            answers
                .iter()
                .any(|answer| matches!(answer, Answer::Internal)),
            "the load never saw the outage"
        );
        assert!(
            server.try_wait().unwrap().is_none(),
            "the server exited during the outage"
        );
        let log = stderr.lock().unwrap().clone();
        assert!(!log.contains("panicked"), "{log}");
        assert!(!log.contains(PASSWORD), "a password reached the log");
    }
}

/// Tests of SQLite itself: the SQLite profiles run them (`.config/nextest.toml`).
mod sqlite_only {
    use super::*;

    /// A SQLite file that cannot be created or written stops `doorman serve` at once, with one
    /// `error:` line naming the file and the cause: a parent that is a file, a directory the
    /// process may not write (run as `nobody`); a read-only and a full file system follow in
    /// `sqlite_only::needs_root`.
    #[tokio::test]
    async fn an_unwritable_sqlite_file_stops_startup_with_one_clear_line() {
        require_sqlite();
        let root = tempfile::tempdir().unwrap();
        // Let `nobody` reach into the folder (tempdir makes it 0700).
        let status = Command::new("chmod")
            .arg("755")
            .arg(root.path())
            .status()
            .unwrap();
        assert!(status.success());

        // The parent "directory" is a file.
        let not_a_dir = root.path().join("plain-file");
        std::fs::write(&not_a_dir, "x").unwrap();
        let file = not_a_dir.join("doorman.db");
        let stderr = startup_failure(&file, None).await;
        assert_one_line_error(&stderr, &file, "is not a directory");

        // A directory this process may not write. Root writes anywhere, so it runs as `nobody`.
        let locked = root.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        let file = locked.join("doorman.db");
        let stderr = if is_root() {
            startup_failure(&file, Some("nobody")).await
        } else {
            let status = Command::new("chmod")
                .arg("555")
                .arg(&locked)
                .status()
                .unwrap();
            assert!(status.success());
            startup_failure(&file, None).await
        };
        assert_one_line_error(&stderr, &file, "permission denied");
        if is_root() {
            // An existing database that `nobody` may read but not write.
            let existing = root.path().join("existing");
            std::fs::create_dir(&existing).unwrap();
            let status = Command::new("chmod")
                .arg("777")
                .arg(&existing)
                .status()
                .unwrap();
            assert!(status.success());
            let file = existing.join("doorman.db");
            std::fs::write(&file, "").unwrap();
            let stderr = startup_failure(&file, Some("nobody")).await;
            assert_one_line_error(&stderr, &file, "cannot write the file: permission denied");
        }
    }

    /// Tests that mount file systems: the `ci-*` profiles run them, as root.
    mod needs_root {
        use super::*;

        /// A read-only and a full file system (tmpfs mounts) stop `doorman serve` at once, with
        /// one `error:` line naming the file and the cause.
        #[tokio::test]
        async fn a_read_only_or_full_file_system_stops_startup_with_one_clear_line() {
            require_sqlite();
            require_root();
            let root = tempfile::tempdir().unwrap();

            let mount = Mount::tmpfs(&root.path().join("read-only"), "ro,size=1m");
            let file = mount.0.join("doorman.db");
            let stderr = startup_failure(&file, None).await;
            assert_one_line_error(&stderr, &file, "read-only file system");

            // A 64 KiB tmpfs filled to the last byte.
            let mount = Mount::tmpfs(&root.path().join("full"), "size=64k");
            let filled = std::fs::write(mount.0.join("filler"), vec![0u8; 128 * 1024]);
            assert!(filled.is_err(), "128 KiB fit on a 64 KiB tmpfs");
            let file = mount.0.join("doorman.db");
            let stderr = startup_failure(&file, None).await;
            assert_one_line_error(&stderr, &file, "disk is full");
        }
    }
}
