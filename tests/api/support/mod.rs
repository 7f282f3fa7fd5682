//! Test harness: `TestApp` runs the real server on port 0 over a fresh database (a temporary
//! SQLite file, or a new PostgreSQL database when `DOORMAN_TEST_DATABASE_URL` is set), plus
//! one fixture per GraphQL operation the feature files share.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use doorman::config::{Rate, RateLimits, RegistrationMode, Settings};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};

pub mod log_guard;
pub mod machine;
pub mod oidc;
pub mod smtp;
pub mod webhooks;
pub mod ws;

pub const PASSWORD: &str = "correct horse battery";
pub const PUBLIC_URL: &str = "http://doorman.test";
/// The access-token secret of test servers, so a test can mint tokens of its own.
pub const TOKEN_SECRET: &str = "doorman-test-secret-0123456789abcdef";

/// A running server and a connection to its database. Dropping the last `TestApp` on a
/// database removes that database.
pub struct TestApp {
    pub address: String,
    client: reqwest::Client,
    settings: Settings,
    database: Arc<TestDatabase>,
    ctx: doorman::service::Ctx,
    outbox: doorman::email::outbox::Outbox,
    stopping: tokio::sync::watch::Sender<bool>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns a server after `configure` has changed the test settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        log_guard::install();
        let database = Arc::new(TestDatabase::create().await);
        let mut settings = Settings {
            database_url: database.url.clone(),
            listen: "127.0.0.1:0".parse().expect("valid socket address"),
            public_url: PUBLIC_URL.to_owned(),
            token_secret: Some(secrecy::SecretString::from(TOKEN_SECRET)),
            registration_mode: RegistrationMode::Open,
            // Mail stays in this test's folder, and is sent only when a test asks for it
            // (`deliver_due_emails`) or turns the worker on.
            mail_dir: Some(database.files.path().join("mail")),
            outbox_worker: false,
            rate_limits: generous_rate_limits(),
            lifecycle: quiet_lifecycle(),
            ..Settings::default()
        };
        configure(&mut settings);
        Self::serve(settings, database).await
    }

    /// A server over a database that an earlier version left: the first `applied` migrations
    /// run, then `seed` (SQL that both backends take), then the server applies the rest as an
    /// upgrade does.
    pub async fn spawn_upgraded(applied: u32, seed: &[&str]) -> TestApp {
        use migration::MigratorTrait;
        log_guard::install();
        let database = Arc::new(TestDatabase::create().await);
        migration::Migrator::up(&database.connection, Some(applied))
            .await
            .expect("the earlier migrations apply");
        for statement in seed {
            database
                .connection
                .execute_unprepared(statement)
                .await
                .unwrap_or_else(|error| panic!("{statement} failed: {error}"));
        }
        let settings = Settings {
            database_url: database.url.clone(),
            listen: "127.0.0.1:0".parse().expect("valid socket address"),
            public_url: PUBLIC_URL.to_owned(),
            token_secret: Some(secrecy::SecretString::from(TOKEN_SECRET)),
            mail_dir: Some(database.files.path().join("mail")),
            outbox_worker: false,
            rate_limits: generous_rate_limits(),
            lifecycle: quiet_lifecycle(),
            ..Settings::default()
        };
        Self::serve(settings, database).await
    }

    /// A second server over the same database (e.g. in another registration mode), so one
    /// test can arrange data through the first and act through the second.
    pub async fn sibling_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        Self::serve(settings, Arc::clone(&self.database)).await
    }

    async fn serve(settings: Settings, database: Arc<TestDatabase>) -> TestApp {
        log_guard::install();
        register_configured_secrets(&settings);
        let app = doorman::app::App::build(settings.clone())
            .await
            .expect("failed to build the app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (ctx, outbox, stopping) = (app.ctx(), app.outbox(), app.stopping());
        tokio::spawn(app.run_until_stopped());
        let app = TestApp {
            address,
            client: reqwest::Client::new(),
            settings,
            database,
            ctx,
            outbox,
            stopping,
        };
        if app.settings.token_secret.is_none() {
            for generated in app
                .strings(
                    "SELECT value FROM server_settings WHERE key = 'access_token_secret'",
                    vec![],
                )
                .await
            {
                log_guard::secret("the generated token secret", &generated);
            }
        }
        app
    }

    /// The use cases' state of the server (its database pool, settings, …).
    pub fn ctx(&self) -> &doorman::service::Ctx {
        &self.ctx
    }

    /// The outbox worker's state, for delivering mail from a test.
    pub fn outbox(&self) -> &doorman::email::outbox::Outbox {
        &self.outbox
    }

    /// Starts the server's shutdown, as a signal would.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Runs one pass of the outbox worker (with `outbox_worker = false` this is the only
    /// sender); returns how many messages it attempted.
    pub async fn deliver_due_emails(&self) -> usize {
        doorman::email::outbox::deliver_due(&self.outbox)
            .await
            .expect("deliver_due failed")
    }

    /// Posts one GraphQL request and returns the whole response body.
    /// The secrets it carries and receives are registered with the log guard.
    pub async fn graphql(&self, query: &str, variables: Json, token: Option<&str>) -> Json {
        log_guard::scan_document(query);
        log_guard::scan(&variables);
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            log_guard::secret("an access token", token);
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("failed to send the request");
        let status = response.status();
        let body = response.text().await.expect("failed to read the body");
        let body: Json = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("response is not JSON (HTTP {status}): {body}"));
        log_guard::scan(&body);
        body
    }

    /// The database URL the server uses (for running the `doorman` binary against it).
    pub fn database_url(&self) -> &str {
        &self.settings.database_url
    }

    /// A plain HTTP client for requests that are not GraphQL POSTs.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.database.connection
    }

    /// Sends `createOrgInvites` (acme, bob) as `token` while another connection holds the
    /// lock that write needs (SQLite's write lock, PostgreSQL's on `invitations`), and lets
    /// go once the answer came; returns the answer and how long it took.
    pub async fn invite_while_writes_are_held(
        &self,
        token: &str,
    ) -> (reqwest::Response, std::time::Duration) {
        use sea_orm::TransactionTrait;

        let blocker = self.db().begin().await.unwrap();
        let lock = match blocker.get_database_backend() {
            DbBackend::Postgres => "LOCK TABLE invitations IN EXCLUSIVE MODE",
            _ => "INSERT INTO server_settings (key, value) VALUES ('timeout-test', 'x')",
        };
        blocker.execute_unprepared(lock).await.unwrap();
        let started = std::time::Instant::now();
        let response = self
            .http()
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({
                "query": "mutation { createOrgInvites(input: { org: { name: \"acme\" }, emails: [\"bob@example.com\"] }) { validEmails } }"
            }))
            .send()
            .await
            .unwrap();
        let waited = started.elapsed();
        blocker.rollback().await.unwrap();
        (response, waited)
    }

    /// Runs `sql` written with PostgreSQL placeholders (`$1`, `$2`), rewritten for SQLite.
    pub async fn execute(&self, sql: &str, values: Vec<Value>) {
        self.db()
            .execute_raw(self.statement(sql, values))
            .await
            .unwrap_or_else(|error| panic!("{sql} failed: {error}"));
    }

    /// The single integer that `sql` (e.g. `SELECT COUNT(*) FROM …`) returns.
    pub async fn count(&self, sql: &str, values: Vec<Value>) -> i64 {
        let row = self
            .db()
            .query_one_raw(self.statement(sql, values))
            .await
            .unwrap_or_else(|error| panic!("{sql} failed: {error}"))
            .expect("a row");
        // COUNT(*) is BIGINT; plain INTEGER columns (usage_count) are INT4 on PostgreSQL.
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .expect("an integer")
    }

    /// The single text column of each row `sql` returns.
    pub async fn strings(&self, sql: &str, values: Vec<Value>) -> Vec<String> {
        self.db()
            .query_all_raw(self.statement(sql, values))
            .await
            .unwrap_or_else(|error| panic!("{sql} failed: {error}"))
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
            .collect()
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.db().get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => sql.to_owned(),
            _ => sql.replace('$', "?"),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    /// Moves an invitation's expiry into the past, as if its time had run out.
    pub async fn expire_invitation(&self, id: &str) {
        let past = Utc::now() - Duration::hours(1);
        self.execute(
            "UPDATE invitations SET expires_at = $1 WHERE id = $2",
            vec![past.into(), db_id(id).into()],
        )
        .await;
    }

    /// The kinds of the event rows written for one invitation, oldest first.
    pub async fn event_kinds(&self, invitation_id: &str) -> Vec<String> {
        self.strings(
            "SELECT kind FROM invitation_events WHERE invitation_id = $1 ORDER BY id",
            vec![db_id(invitation_id).into()],
        )
        .await
    }

    pub async fn rows(&self, table: &str) -> i64 {
        self.count(&format!("SELECT COUNT(*) FROM {table}"), vec![])
            .await
    }
}

/// Rate limits on but out of reach, so tests that create many accounts and invitations from
/// one address pass; `tests/api/rate_limits.rs` lowers the one it checks.
/// The lifecycle settings of tests: the expiry sweep waits a day, so that a test decides when
/// it sweeps (`doorman::service::expiry::sweep`).
pub fn quiet_lifecycle() -> doorman::config::LifecycleSettings {
    let mut lifecycle = Settings::default().lifecycle;
    lifecycle.expiry_sweep_seconds = 86_400;
    lifecycle
}

pub fn generous_rate_limits() -> RateLimits {
    let plenty = Rate::new(100_000, std::time::Duration::from_secs(60));
    RateLimits {
        enabled: true,
        token_per_ip: plenty,
        token_per_account: plenty,
        login_per_ip: plenty,
        login_per_identifier: plenty,
        register_per_ip: plenty,
        invites_per_account: plenty,
        org_invitations_per_day: 1_000_000,
        new_org_invitations_per_day: 1_000_000,
        new_org_days: 30,
        resend_cooldown_seconds: 0,
        max_pending_invitations: 1_000_000,
        wrong_recipient_reports_per_day: 1_000_000,
    }
}

/// A test fails when its server logged a secret (checked when its `TestApp`s are dropped).
impl Drop for TestApp {
    fn drop(&mut self) {
        log_guard::assert_clean();
    }
}

/// Registers the secrets in a server's settings: the token secret and the passwords in the
/// database and SMTP URLs.
fn register_configured_secrets(settings: &Settings) {
    use secrecy::ExposeSecret;
    if let Some(secret) = &settings.token_secret {
        log_guard::secret("the token secret", secret.expose_secret());
    }
    let urls = std::iter::once(&settings.database_url).chain(&settings.smtp_url);
    for url in urls {
        if let Some(password) = reqwest::Url::parse(url)
            .ok()
            .and_then(|url| url.password().map(str::to_owned))
        {
            log_guard::secret("a password in a URL", &password);
        }
    }
}

/// Whether tests run on PostgreSQL (`DOORMAN_TEST_DATABASE_URL` set) rather than SQLite.
pub fn uses_postgres() -> bool {
    std::env::var("DOORMAN_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

/// A fresh database for one test (shared by sibling servers), removed on drop.
struct TestDatabase {
    url: String,
    connection: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    /// Files of this test's servers (the file mail transport writes here).
    files: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    async fn create() -> TestDatabase {
        match std::env::var("DOORMAN_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::create_postgres(admin_url).await,
            _ => {
                let dir = tempfile::tempdir().expect("failed to create a temporary directory");
                let url = format!("sqlite://{}/doorman.db?mode=rwc", dir.path().display());
                let connection = Database::connect(&url)
                    .await
                    .expect("failed to open the SQLite database");
                TestDatabase {
                    url,
                    connection,
                    _dir: Some(dir),
                    files: tempfile::tempdir().expect("a temporary folder"),
                    postgres: None,
                }
            }
        }
    }

    async fn create_postgres(admin_url: String) -> TestDatabase {
        let name = format!("doorman_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("failed to connect to DOORMAN_TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
            .await
            .expect("failed to create the test database");
        let _ = admin.close().await;
        let mut url = reqwest::Url::parse(&admin_url).expect("DOORMAN_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let connection = Database::connect(&url)
            .await
            .expect("failed to connect to the test database");
        TestDatabase {
            url,
            connection,
            _dir: None,
            files: tempfile::tempdir().expect("a temporary folder"),
            postgres: Some((admin_url, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("failed to build a runtime");
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!(
                        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                    ))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("failed to drop the test database: {error}");
        }
    }
}

// ---- responses ----

/// The `data` of a response that has no errors; panics with the body otherwise.
#[track_caller]
pub fn data(response: &Json) -> &Json {
    assert!(
        response.get("errors").is_none_or(Json::is_null),
        "unexpected errors in {response:#}"
    );
    &response["data"]
}

/// Checks that the first error carries `extensions.code == code`.
#[track_caller]
pub fn assert_error_code(response: &Json, code: &str) {
    assert_eq!(
        response["errors"][0]["extensions"]["code"].as_str(),
        Some(code),
        "expected error {code} in {response:#}"
    );
}

/// The raw token of the latest verification email queued for account `user_id` (read from
/// the outbox, where the link waits until it is sent).
pub async fn verification_token(app: &TestApp, user_id: &str) -> String {
    let links = app
        .strings(
            "SELECT link FROM email_outbox WHERE user_id = $1 AND kind = 'VERIFY_EMAIL' \
             AND link IS NOT NULL ORDER BY id DESC",
            vec![db_id(user_id).into()],
        )
        .await;
    let link = links
        .first()
        .unwrap_or_else(|| panic!("no verification email queued for user {user_id}"));
    let (_, token) = link
        .split_once("/verify-email/")
        .unwrap_or_else(|| panic!("not a verification link: {link}"));
    log_guard::secret("an email-verification token", token);
    token.to_owned()
}

pub async fn verify_email(app: &TestApp, token: &str) -> Json {
    app.graphql(
        "mutation($token: String!) { verifyEmail(token: $token) { id emailVerified } }",
        json!({ "token": token }),
        None,
    )
    .await
}

/// The raw token of an invitation link `{public_url}/invite/{token}`.
#[track_caller]
pub fn token_from_link(link: &str) -> String {
    let (_, token) = link
        .split_once("/invite/")
        .unwrap_or_else(|| panic!("not an invitation link: {link}"));
    log_guard::secret("an invitation token", token);
    token.to_owned()
}

/// A GraphQL `ID` as the database's BIGINT.
#[track_caller]
pub fn db_id(id: &str) -> i64 {
    id.parse()
        .unwrap_or_else(|_| panic!("id {id:?} is not numeric"))
}

#[track_caller]
pub fn str_of(value: &Json) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

#[track_caller]
pub fn parse_time(value: &Json) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&str_of(value))
        .unwrap_or_else(|error| panic!("{value} is not RFC 3339: {error}"))
        .with_timezone(&Utc)
}

/// RFC 3339 text for now + `offset`.
pub fn from_now(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339()
}

// ---- accounts and organizations ----

pub const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) {
    accessToken expiresAt
    user { id username email isServerAdmin memberships { role organization { name } } } } }";

/// Registers `{username}@example.com`; returns the access token and the user id.
pub async fn register(app: &TestApp, username: &str) -> (String, String) {
    register_email(app, username, &format!("{username}@example.com")).await
}

/// Registers `username` with `email`, its email verified; returns the access token and the
/// user id. The fixture marks the account verified the way a verification does (the account
/// row, and the verification email stopped), so that tests of other features spend none of
/// their rate limits on it; `email_verification.rs` tests the real link.
pub async fn register_email(app: &TestApp, username: &str, email: &str) -> (String, String) {
    let (token, id) = register_unverified(app, username, email).await;
    mark_verified(app, &id).await;
    (token, id)
}

/// Marks account `user_id`'s email verified, as a verification link would.
pub async fn mark_verified(app: &TestApp, user_id: &str) {
    app.execute(
        "UPDATE users SET email_verified_at = $1 WHERE id = $2",
        vec![Utc::now().into(), db_id(user_id).into()],
    )
    .await;
    app.execute(
        "UPDATE email_outbox SET status = 'CANCELLED', link = NULL \
         WHERE user_id = $1 AND status = 'QUEUED'",
        vec![db_id(user_id).into()],
    )
    .await;
}

/// Registers `username` with `email` and leaves the email unverified.
pub async fn register_unverified(app: &TestApp, username: &str, email: &str) -> (String, String) {
    let response = app
        .graphql(
            REGISTER,
            json!({ "input": { "username": username, "email": email, "password": PASSWORD } }),
            None,
        )
        .await;
    let payload = &data(&response)["register"];
    (
        str_of(&payload["accessToken"]),
        str_of(&payload["user"]["id"]),
    )
}

pub async fn create_org(app: &TestApp, token: &str, name: &str) -> String {
    create_org_with(app, token, json!({ "name": name })).await
}

/// Registers alice and has her create org `acme` ("Acme Inc."); her access token.
pub async fn alice_with_acme(app: &TestApp) -> String {
    let (alice, _) = register(app, "alice").await;
    create_org_with(
        app,
        &alice,
        json!({ "name": "acme", "displayName": "Acme Inc." }),
    )
    .await;
    alice
}

pub async fn create_org_with(app: &TestApp, token: &str, input: Json) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
            json!({ "input": input }),
            Some(token),
        )
        .await;
    str_of(&data(&response)["createOrganization"]["id"])
}

/// Registers `username` and makes it a member of `org` with `role` through an invitation.
pub async fn add_member(
    app: &TestApp,
    admin_token: &str,
    org: &str,
    username: &str,
    role: &str,
) -> String {
    let (token, _) = register(app, username).await;
    let email = format!("{username}@example.com");
    let invites = invite_with(app, admin_token, org, &[&email], json!({ "role": role })).await;
    let response = accept(app, &token, &token_from_link(&invites[0].1)).await;
    data(&response);
    token
}

// ---- invitations ----

/// A server with admin `alice` of org `acme` and a registered user `bob`; returns both tokens.
pub async fn acme_and_bob() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register(&app, "bob").await;
    (app, alice, bob)
}

pub const CREATE_ORG_INVITES: &str = "mutation($input: CreateOrgInvitesInput!) {
  createOrgInvites(input: $input) {
    invitations { id email role status invitationLink isExistingUser emailStatus expiresAt }
    errors { email input code message }
    validEmails } }";

/// Calls `createOrgInvites` for `org` with `emails` plus the fields of `extra`.
pub async fn create_org_invites(
    app: &TestApp,
    token: &str,
    org: &str,
    emails: &[&str],
    extra: Json,
) -> Json {
    let mut input = json!({ "org": { "name": org }, "emails": emails });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    app.graphql(CREATE_ORG_INVITES, json!({ "input": input }), Some(token))
        .await
}

/// Invites `emails` to `org` as MEMBER; returns (email, link) per created invitation.
pub async fn invite(
    app: &TestApp,
    token: &str,
    org: &str,
    emails: &[&str],
) -> Vec<(String, String)> {
    invite_with(app, token, org, emails, json!({})).await
}

pub async fn invite_with(
    app: &TestApp,
    token: &str,
    org: &str,
    emails: &[&str],
    extra: Json,
) -> Vec<(String, String)> {
    let response = create_org_invites(app, token, org, emails, extra).await;
    let payload = &data(&response)["createOrgInvites"];
    assert_eq!(
        payload["errors"],
        json!([]),
        "unexpected errors in {response:#}"
    );
    let mut links = Vec::new();
    for node in invitations_of(payload) {
        links.push((str_of(&node["email"]), link_of(app, &node).await));
    }
    links
}

/// The link of a created or resent invitation: from the payload when it was returned there,
/// else from the queued email (an emailed link is in the email only), as the invitee who
/// opens the email would have it.
pub async fn link_of(app: &TestApp, invitation: &Json) -> String {
    if let Some(link) = invitation["invitationLink"].as_str() {
        return link.to_owned();
    }
    let links = app
        .strings(
            "SELECT link FROM email_outbox WHERE invitation_id = $1 AND link IS NOT NULL \
             ORDER BY id DESC",
            vec![db_id(&str_of(&invitation["id"])).into()],
        )
        .await;
    links
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no link in the payload or the outbox for {invitation:#}"))
}

/// Invites one email; returns the invitation id and its raw token.
pub async fn invite_one(app: &TestApp, token: &str, org: &str, email: &str) -> (String, String) {
    let response = create_org_invites(app, token, org, &[email], json!({})).await;
    let invitation = &invitations_of(&data(&response)["createOrgInvites"])[0];
    (
        str_of(&invitation["id"]),
        token_from_link(&link_of(app, invitation).await),
    )
}

#[track_caller]
pub fn invitations_of(payload: &Json) -> Vec<Json> {
    payload["invitations"]
        .as_array()
        .unwrap_or_else(|| panic!("no invitations in {payload:#}"))
        .clone()
}

pub const CREATE_INVITE_LINK: &str = "mutation($input: CreateInviteLinkInput!) {
  createInviteLink(input: $input) {
    id action email role status maxUses usageCount usesRemaining invitationLink expiresAt
    organization { name } } }";

/// Creates an open link for `org` with the fields of `extra`; returns the whole response.
pub async fn create_invite_link(app: &TestApp, token: &str, org: &str, extra: Json) -> Json {
    let mut input = json!({ "org": { "name": org } });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    app.graphql(CREATE_INVITE_LINK, json!({ "input": input }), Some(token))
        .await
}

/// Creates a MEMBER link with `max_uses` (None = unlimited); returns its id and raw token.
pub async fn create_link(
    app: &TestApp,
    token: &str,
    org: &str,
    max_uses: Option<i64>,
) -> (String, String) {
    let response = create_invite_link(app, token, org, json!({ "maxUses": max_uses })).await;
    let link = &data(&response)["createInviteLink"];
    (
        str_of(&link["id"]),
        token_from_link(&str_of(&link["invitationLink"])),
    )
}

pub const ACCEPT: &str = "mutation($token: String!) { acceptInvitation(token: $token) {
    invitation { status usageCount usesRemaining }
    membership { role user { username } organization { name } }
    organization { name } } }";

pub async fn accept(app: &TestApp, user_token: &str, invite_token: &str) -> Json {
    app.graphql(ACCEPT, json!({ "token": invite_token }), Some(user_token))
        .await
}

pub async fn decline(app: &TestApp, user_token: &str, invite_token: &str) -> Json {
    app.graphql(
        "mutation($token: String!) { declineInvitation(token: $token) { id status } }",
        json!({ "token": invite_token }),
        Some(user_token),
    )
    .await
}

pub async fn cancel(app: &TestApp, token: &str, id: &str) -> Json {
    app.graphql(
        "mutation($id: ID!) { cancel(id: $id) { id status } }",
        json!({ "id": id }),
        Some(token),
    )
    .await
}

pub async fn resend(app: &TestApp, token: &str, input: Json) -> Json {
    app.graphql(
        "mutation($input: ResendInput!) { resend(input: $input) {
            invitations { id invitationLink expiresAt } errors { id email code message } } }",
        json!({ "input": input }),
        Some(token),
    )
    .await
}

pub const INVITATION: &str = "query($token: String!) { invitation(token: $token) {
    id action organization { name } role email emailHint status maxUses usageCount usesRemaining
    expiresAt createdAt invitedBy { username } message isExistingUser } }";

/// `invitation(token:)` as seen by `viewer` (None = anonymous).
pub async fn invitation(app: &TestApp, invite_token: &str, viewer: Option<&str>) -> Json {
    app.graphql(INVITATION, json!({ "token": invite_token }), viewer)
        .await
}

// ---- metrics ----

/// `/metrics` as series (`name{labels}`, exactly as exposed) → value.
pub async fn metrics(app: &TestApp) -> std::collections::HashMap<String, f64> {
    metrics_at(&app.address).await
}

/// The metrics of the server at `address` (e.g. a `serve_binary` process).
pub async fn metrics_at(address: &str) -> std::collections::HashMap<String, f64> {
    let response = reqwest::get(format!("{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

/// One series of `/metrics`; 0 when it is not exposed (yet).
pub async fn metric(app: &TestApp, series: &str) -> f64 {
    metric_at(&app.address, series).await
}

/// One series of the metrics of the server at `address`; 0 when it is not exposed (yet).
pub async fn metric_at(address: &str, series: &str) -> f64 {
    metrics_at(address)
        .await
        .get(series)
        .copied()
        .unwrap_or(0.0)
}

// ---- the binary ----

/// Runs `query` on the server at `base` (e.g. a [`serve_binary`] process); `None` when it
/// does not answer (it was killed, say).
pub async fn try_graphql_at(
    base: &str,
    query: &str,
    variables: Json,
    token: Option<&str>,
) -> Option<Json> {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.ok()?.json().await.ok()
}

/// [`try_graphql_at`] on a server that must answer.
pub async fn graphql_at(base: &str, query: &str, variables: Json, token: Option<&str>) -> Json {
    try_graphql_at(base, query, variables, token)
        .await
        .unwrap_or_else(|| panic!("the server at {base} did not answer"))
}

/// Starts `doorman serve` on a free port with its SQLite database and mail folder in `dir`,
/// plus `env`; returns the process once `/healthz` answers, and its base URL.
///
/// The server logs at TRACE for the log guard, which checks every line; its `stderr` holds
/// the lines at the level `DOORMAN_LOG` in `env` asks for (default `info`). A `DOORMAN_LOG`
/// with target directives is passed on as it is.
pub async fn serve_binary(
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (log_guard::BinaryServer, String) {
    let database_url = format!("sqlite://{}/doorman.db?mode=rwc", dir.display());
    serve_binary_on(&database_url, dir, env).await
}

/// [`serve_binary`] over the database at `database_url` (e.g. a `TestApp`'s, or a private
/// PostgreSQL cluster); mail still goes to `dir`.
pub async fn serve_binary_on(
    database_url: &str,
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (log_guard::BinaryServer, String) {
    log_guard::install();
    let database = ("DOORMAN_DATABASE_URL", database_url);
    for &(name, value) in env.iter().chain([&database]) {
        if name.contains("SECRET") || name.contains("PASSWORD") {
            log_guard::secret("a configured secret", value);
        }
        if let Some(password) = name
            .ends_with("_URL")
            .then(|| reqwest::Url::parse(value).ok())
            .flatten()
            .and_then(|url| url.password().map(str::to_owned))
        {
            log_guard::secret("a password in a URL", &password);
        }
    }
    let requested = env
        .iter()
        .rev()
        .find(|(name, _)| *name == "DOORMAN_LOG")
        .map_or("info", |(_, filter)| filter);
    let forward_from = log_guard::level_rank(requested).map(|_| requested);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_doorman"))
        .arg("serve")
        .env("DOORMAN_DATABASE_URL", database_url)
        .env("DOORMAN_LISTEN", format!("127.0.0.1:{port}"))
        .env("DOORMAN_MAIL_DIR", dir.join("mail"))
        .envs(env.iter().copied())
        .envs(forward_from.map(|_| ("DOORMAN_LOG", "trace")))
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the doorman binary starts");
    let server = log_guard::BinaryServer::watch(server, forward_from);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            return (server, base);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

/// For tests of PostgreSQL itself (in a `postgres_only` module): fails, never passes, when
/// the run is on SQLite.
#[track_caller]
pub fn require_postgres() {
    assert!(
        uses_postgres(),
        "this test needs PostgreSQL: run it with DOORMAN_TEST_DATABASE_URL set and \
         --profile postgres (see .config/nextest.toml)"
    );
}

/// For tests of SQLite itself (in a `sqlite_only` module): fails, never passes, when the run
/// is on PostgreSQL.
#[track_caller]
pub fn require_sqlite() {
    assert!(
        !uses_postgres(),
        "this test needs SQLite: run it without DOORMAN_TEST_DATABASE_URL (see .config/nextest.toml)"
    );
}

/// For tests that mount file systems (in a `needs_root` module): fails, never passes, when
/// this process is not root.
#[track_caller]
pub fn require_root() {
    assert!(
        machine::is_root(),
        "this test mounts file systems and needs root (see .config/nextest.toml)"
    );
}

// ---- Redis ----

/// The suite's Redis (`DOORMAN_TEST_REDIS_URL`, else the local one), checked to answer: a
/// `needs_redis` test fails, never passes, without it.
pub async fn test_redis_url() -> String {
    let url = std::env::var("DOORMAN_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = redis::Client::open(url.as_str()).expect("DOORMAN_TEST_REDIS_URL is a URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|err| panic!("the tests' Redis at {url} does not answer: {err}"));
    let pong: String = redis::cmd("PING")
        .query_async(&mut connection)
        .await
        .expect("Redis answers PING");
    assert_eq!(pong, "PONG");
    url
}

/// A key prefix of this test's own, so that tests sharing the suite's Redis share no keys.
pub fn fresh_redis_prefix() -> String {
    format!("doorman-test-{}", uuid::Uuid::new_v4().simple())
}

// ---- NATS ----

/// The suite's NATS (`DOORMAN_TEST_NATS_URL`, else the local one), checked to answer with
/// JetStream on: a `needs_nats` test fails, never passes, without it.
pub async fn test_nats_url() -> String {
    let url = std::env::var("DOORMAN_TEST_NATS_URL")
        .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    let client = async_nats::connect(url.as_str())
        .await
        .unwrap_or_else(|err| panic!("the tests' NATS at {url} does not answer: {err}"));
    let info = client
        .request("$JS.API.INFO", "".into())
        .await
        .unwrap_or_else(|err| panic!("the tests' NATS at {url} has no JetStream: {err}"));
    let info: Json = serde_json::from_slice(&info.payload).expect("JetStream answers JSON");
    assert!(
        info.get("error").is_none(),
        "the tests' NATS at {url} has no JetStream: {info}"
    );
    url
}

/// A JetStream stream name of this test's own; [`FreshStream::delete`] removes it.
pub struct FreshStream {
    pub name: String,
    jetstream: async_nats::jetstream::Context,
}

impl FreshStream {
    pub async fn new(url: &str) -> FreshStream {
        let client = async_nats::connect(url).await.expect("NATS answers");
        FreshStream {
            name: format!("doorman-test-{}", uuid::Uuid::new_v4().simple()),
            jetstream: async_nats::jetstream::new(client),
        }
    }

    /// Deletes the stream (the servers made it), at the end of the test.
    pub async fn delete(self) {
        let _ = self.jetstream.delete_stream(&self.name).await;
    }

    /// Deletes the stream while the servers use it.
    pub async fn delete_now(&self) {
        self.jetstream
            .delete_stream(&self.name)
            .await
            .expect("the test's stream is deleted");
    }
}
