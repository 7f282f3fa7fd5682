//! The dataset: created with `doorman`'s own migrations, then filled with bulk SQL (`COPY` on
//! PostgreSQL, multi-row `INSERT`s in one transaction on SQLite), deterministically, so the
//! bench and its pgbench scripts can name rows and raw tokens without asking the database.
//!
//! Layout, with O organizations and U users:
//! - user `o` (1 ≤ o ≤ O) is the ADMIN of organization `o`; users up to U/2 are members (MEMBER)
//!   of organization `(u - 1) % O + 1`; users above U/2 belong nowhere ("fresh": they accept);
//! - invitation `o` (1 ≤ o ≤ O) is organization `o`'s open multi-use link (no email, no use
//!   limit, any domain), token [`link_token`]; the other invitations are email invitations
//!   spread over the organizations (70% pending, 10% accepted, 10% cancelled, 10% expired),
//!   each with a CREATED event; `tokens` of them have the raw tokens [`known_token`].

use std::fmt::Write as _;
use std::path::Path as FsPath;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::enums::{EmailDeliveryStatus, EventKind, InvitationAction, InvitationStatus, OrgRole};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ActiveEnum, ConnectionTrait};
use sha2::{Digest, Sha256};

use crate::config::{Backend, Sizes};

pub const PASSWORD: &str = "doorman bench password";

/// The raw token of a known email invitation, `k` in `1..=tokens`.
pub fn known_token(k: u64) -> String {
    raw_token(&format!("doorman-bench-token-{k}"))
}

/// The raw token of organization `org`'s open link.
pub fn link_token(org: u64) -> String {
    raw_token(&format!("doorman-bench-link-{org}"))
}

/// 43 characters of base64url, like `InviteToken::generate`, from a label: the SHA-256 of the
/// label. PostgreSQL computes the same (see `pgbench.rs`).
fn raw_token(label: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(label.as_bytes()))
}

/// What the database stores: the hex SHA-256 of the raw token (`InviteToken::digest`).
pub fn digest(raw: &str) -> String {
    Sha256::digest(raw.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// Fresh users (members of nothing): `first..=last`.
pub fn fresh_users(sizes: &Sizes) -> (u64, u64) {
    (sizes.users / 2 + 1, sizes.users)
}

/// The invitation that carries known token `k`.
fn known_token_invitation(sizes: &Sizes, k: u64) -> u64 {
    let email_invitations = sizes.invitations - sizes.orgs;
    sizes.orgs + 1 + (k - 1) * email_invitations / sizes.tokens
}

/// One value of a row, written the way each backend stores it.
enum V {
    Int(i64),
    Text(String),
    Static(&'static str),
    Bool(bool),
    Time(DateTime<Utc>),
    Null,
}

struct Table {
    name: &'static str,
    columns: &'static [&'static str],
}

const USERS: Table = Table {
    name: "users",
    columns: &[
        "id",
        "username",
        "email",
        "display_name",
        "password_hash",
        "is_server_admin",
        "created_at",
    ],
};
const ORGANIZATIONS: Table = Table {
    name: "organizations",
    columns: &[
        "id",
        "name",
        "display_name",
        "members_can_invite",
        "created_by",
        "created_at",
    ],
};
const MEMBERSHIPS: Table = Table {
    name: "memberships",
    columns: &[
        "id",
        "organization_id",
        "user_id",
        "role",
        "invitation_id",
        "joined_at",
    ],
};
const INVITATIONS: Table = Table {
    name: "invitations",
    columns: &[
        "id",
        "action",
        "organization_id",
        "role",
        "email",
        "allowed_email_domains",
        "max_uses",
        "usage_count",
        "status",
        "expires_at",
        "invited_by",
        "message",
        "token_digest",
        "email_status",
        "send_count",
        "email_attempts",
        "last_sent_at",
        "last_email_error",
        "created_at",
        "updated_at",
    ],
};
const EVENTS: Table = Table {
    name: "invitation_events",
    columns: &[
        "id",
        "invitation_id",
        "organization_id",
        "kind",
        "actor_id",
        "created_at",
    ],
};

/// Writes rows in a backend's bulk format.
trait Sink {
    fn row(&mut self, values: &[V]);
}

/// PostgreSQL `COPY … FROM STDIN` text format.
struct CopyText(String);

impl Sink for CopyText {
    fn row(&mut self, values: &[V]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.0.push('\t');
            }
            match value {
                V::Int(n) => {
                    let _ = write!(self.0, "{n}");
                }
                V::Text(text) => self.0.push_str(text),
                V::Static(text) => self.0.push_str(text),
                V::Bool(b) => self.0.push(if *b { 't' } else { 'f' }),
                V::Time(at) => {
                    let _ = write!(self.0, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                }
                V::Null => self.0.push_str("\\N"),
            }
        }
        self.0.push('\n');
    }
}

/// SQLite `VALUES (…), (…)` with literals, in the encodings sqlx binds (RFC 3339 times,
/// booleans as 0/1).
struct SqlValues(String);

impl Sink for SqlValues {
    fn row(&mut self, values: &[V]) {
        if !self.0.is_empty() {
            self.0.push(',');
        }
        self.0.push('(');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            match value {
                V::Int(n) => {
                    let _ = write!(self.0, "{n}");
                }
                V::Text(text) => {
                    let _ = write!(self.0, "'{}'", text.replace('\'', "''"));
                }
                V::Static(text) => {
                    let _ = write!(self.0, "'{text}'");
                }
                V::Bool(b) => self.0.push(if *b { '1' } else { '0' }),
                V::Time(at) => {
                    let _ = write!(
                        self.0,
                        "'{}'",
                        at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
                    );
                }
                V::Null => self.0.push_str("NULL"),
            }
        }
        self.0.push(')');
    }
}

/// An enum column's stored spelling.
fn stored(value: impl ActiveEnum<Value = String>) -> V {
    V::Text(value.to_value())
}

fn int(n: u64) -> V {
    V::Int(n as i64)
}

/// The rows of `table` with ids in `from..=to`.
fn rows_between(
    table: &str,
    sizes: &Sizes,
    password_hash: &str,
    now: DateTime<Utc>,
    from: u64,
    to: u64,
    sink: &mut dyn Sink,
) {
    let long_ago = now - Duration::days(90);
    let orgs = sizes.orgs;
    let member_users = sizes.users / 2;
    match table {
        "users" => {
            for u in from..=to.min(sizes.users) {
                sink.row(&[
                    int(u),
                    V::Text(format!("user{u}")),
                    V::Text(format!("user{u}@bench.example")),
                    V::Null,
                    V::Text(password_hash.to_owned()),
                    V::Bool(u == 1),
                    V::Time(long_ago + Duration::seconds(u as i64)),
                ]);
            }
        }
        "organizations" => {
            for o in from..=to.min(orgs) {
                sink.row(&[
                    int(o),
                    V::Text(format!("org{o}")),
                    V::Text(format!("Organization {o}")),
                    V::Bool(false),
                    int(o),
                    V::Time(long_ago),
                ]);
            }
        }
        "memberships" => {
            for u in from..=to.min(member_users) {
                let org = (u - 1) % orgs + 1;
                sink.row(&[
                    int(u),
                    int(org),
                    int(u),
                    stored(if u <= orgs {
                        OrgRole::Admin
                    } else {
                        OrgRole::Member
                    }),
                    V::Null,
                    V::Time(long_ago + Duration::seconds(u as i64)),
                ]);
            }
        }
        "invitations" => {
            let known = known_tokens_by_invitation(sizes);
            for j in from..=to.min(sizes.invitations) {
                let org = (j - 1) % orgs + 1;
                let created = now - Duration::seconds((sizes.invitations - j) as i64 + 60);
                let link = j <= orgs;
                let kind = j % 10;
                let (status, usage, expires) = match (link, kind) {
                    (true, _) => (InvitationStatus::Pending, 0, now + Duration::days(29)),
                    (false, 0) => (InvitationStatus::Accepted, 1, now + Duration::days(5)),
                    (false, 1) => (InvitationStatus::Cancelled, 0, now + Duration::days(5)),
                    (false, 2) => (InvitationStatus::Pending, 0, now - Duration::days(1)),
                    (false, _) => (InvitationStatus::Pending, 0, now + Duration::days(6)),
                };
                let raw = if link {
                    link_token(org)
                } else {
                    match known.get(&j) {
                        Some(k) => known_token(*k),
                        None => raw_token(&format!("doorman-bench-unknown-{j}")),
                    }
                };
                sink.row(&[
                    int(j),
                    stored(InvitationAction::JoinOrg),
                    int(org),
                    stored(OrgRole::Member),
                    if link {
                        V::Null
                    } else {
                        V::Text(format!("invitee{j}@invitee.example"))
                    },
                    V::Static(""),
                    if link { V::Null } else { V::Int(1) },
                    V::Int(usage),
                    stored(status),
                    V::Time(expires),
                    int(org),
                    if !link && j % 3 == 0 {
                        V::Static("Welcome aboard! We are glad to have you.")
                    } else {
                        V::Null
                    },
                    V::Text(digest(&raw)),
                    stored(if link {
                        EmailDeliveryStatus::NotRequested
                    } else {
                        EmailDeliveryStatus::Sent
                    }),
                    V::Int(if link { 0 } else { 1 }),
                    V::Int(if link { 0 } else { 1 }),
                    if link {
                        V::Null
                    } else {
                        V::Time(created + Duration::seconds(2))
                    },
                    V::Null,
                    V::Time(created),
                    V::Time(created),
                ]);
            }
        }
        "invitation_events" => {
            for j in from..=to.min(sizes.invitations) {
                let org = (j - 1) % orgs + 1;
                let created = now - Duration::seconds((sizes.invitations - j) as i64 + 60);
                sink.row(&[
                    int(j),
                    int(j),
                    int(org),
                    stored(EventKind::Created),
                    int(org),
                    V::Time(created),
                ]);
            }
        }
        other => unreachable!("no rows for {other}"),
    }
}

fn known_tokens_by_invitation(sizes: &Sizes) -> std::collections::HashMap<u64, u64> {
    (1..=sizes.tokens)
        .map(|k| (known_token_invitation(sizes, k), k))
        .collect()
}

fn table_size(table: &Table, sizes: &Sizes) -> u64 {
    match table.name {
        "users" => sizes.users,
        "organizations" => sizes.orgs,
        "memberships" => sizes.users / 2,
        _ => sizes.invitations,
    }
}

const TABLES: [&Table; 5] = [&USERS, &ORGANIZATIONS, &MEMBERSHIPS, &INVITATIONS, &EVENTS];

/// Drops and recreates the bench database, runs `doorman`'s migrations on it and fills it.
pub async fn seed(
    backend: Backend,
    database_url: &str,
    admin_url: Option<&str>,
    sizes: &Sizes,
    reuse: bool,
) -> anyhow::Result<bool> {
    if reuse && already_seeded(database_url, sizes).await {
        return Ok(false);
    }
    match backend {
        Backend::Postgres => {
            let admin_url = admin_url.context("no PostgreSQL admin URL")?;
            recreate_pg_database(admin_url, database_url).await?;
        }
        Backend::Sqlite => {
            let file = sqlite_file(database_url);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
    let settings = doorman::config::Settings {
        database_url: database_url.to_owned(),
        ..Default::default()
    };
    let db = doorman::db::connect(&settings).await?;
    doorman::db::migrate(&db).await?;
    db.close().await?;

    let password_hash = doorman::auth::hash_password(PASSWORD.to_owned().into()).await?;
    let now = Utc::now();
    match backend {
        Backend::Postgres => fill_postgres(database_url, sizes, &password_hash, now).await?,
        Backend::Sqlite => fill_sqlite(database_url, sizes, &password_hash, now).await?,
    }
    Ok(true)
}

/// Whether the database holds a dataset of these sizes (for `DOORMAN_BENCH_REUSE`).
async fn already_seeded(database_url: &str, sizes: &Sizes) -> bool {
    let settings = doorman::config::Settings {
        database_url: database_url.replace("mode=rwc", "mode=rw"),
        database_max_connections: 1,
        ..Default::default()
    };
    let Ok(db) = doorman::db::connect(&settings).await else {
        return false;
    };
    let counts = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM organizations) AS orgs, \
             (SELECT COUNT(*) FROM users) AS users",
        ))
        .await;
    let _ = db.close().await;
    match counts {
        Ok(Some(row)) => {
            row.try_get::<i64>("", "orgs").ok() == Some(sizes.orgs as i64)
                && row.try_get::<i64>("", "users").ok() == Some(sizes.users as i64)
        }
        _ => false,
    }
}

pub fn sqlite_file(url: &str) -> &FsPath {
    doorman::config::sqlite_file(url).unwrap_or(FsPath::new(url))
}

async fn recreate_pg_database(admin_url: &str, database_url: &str) -> anyhow::Result<()> {
    let name = database_url
        .rsplit('/')
        .next()
        .and_then(|last| last.split('?').next())
        .context("no database name in the URL")?;
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "unexpected database name {name:?}"
    );
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to {admin_url}"))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(())
}

async fn fill_postgres(
    url: &str,
    sizes: &Sizes,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    const CHUNK: u64 = 50_000;
    for table in TABLES {
        let copy = format!(
            "COPY {} ({}) FROM STDIN",
            table.name,
            table.columns.join(", ")
        );
        let mut copy_in = conn.copy_in_raw(&copy).await?;
        let total = table_size(table, sizes);
        let mut from = 1;
        while from <= total {
            let to = (from + CHUNK - 1).min(total);
            let mut text = CopyText(String::with_capacity(16 << 20));
            rows_between(table.name, sizes, password_hash, now, from, to, &mut text);
            copy_in.send(text.0.into_bytes()).await?;
            from = to + 1;
        }
        copy_in
            .finish()
            .await
            .with_context(|| format!("COPY {}", table.name))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT max(id) FROM {0}))",
            table.name
        )))
        .execute(&mut conn)
        .await?;
    }
    // What autovacuum would have done to a database of this size by now.
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn fill_sqlite(
    url: &str,
    sizes: &Sizes,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    sqlx::raw_sql("PRAGMA synchronous = OFF; BEGIN")
        .execute(&mut conn)
        .await?;
    const CHUNK: u64 = 500;
    for table in TABLES {
        let total = table_size(table, sizes);
        let mut from = 1;
        while from <= total {
            let to = (from + CHUNK - 1).min(total);
            let mut values = SqlValues(String::with_capacity(256 * CHUNK as usize));
            rows_between(table.name, sizes, password_hash, now, from, to, &mut values);
            let insert = format!(
                "INSERT INTO {} ({}) VALUES {}",
                table.name,
                table.columns.join(", "),
                values.0
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(insert))
                .execute(&mut conn)
                .await
                .with_context(|| format!("INSERT INTO {}", table.name))?;
            from = to + 1;
        }
    }
    sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
