//! What to run: dataset size, durations, connection counts, backends and paths, from
//! `DOORMAN_BENCH_*` variables (full sizes by default) or `--smoke`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail, ensure};

/// A database Doorman runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// A hot path under load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// `invitation(token:)`, anonymous.
    Lookup,
    /// `orgInvitations(first: 50)` with `organization { name }` and `invitedBy { username }`.
    Page,
    /// `acceptInvitation` on distinct multi-use links.
    Accept,
    /// `createOrgInvites` with 100 emails.
    Create,
    /// 10,000 `invitationAccepted` subscriptions, one acceptance.
    Fanout,
    /// Three instances on PostgreSQL + Redis + NATS: lookup and accept spread over them, the
    /// fan-out spread over them, one global limit, and `kill -9` of one under load.
    Cluster,
}

impl Path {
    pub const ALL: [Path; 6] = [
        Path::Lookup,
        Path::Page,
        Path::Accept,
        Path::Create,
        Path::Fanout,
        Path::Cluster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Lookup => "lookup",
            Self::Page => "page",
            Self::Accept => "accept",
            Self::Create => "create",
            Self::Fanout => "fanout",
            Self::Cluster => "cluster",
        }
    }
}

/// Sizes of the seeded dataset.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub orgs: u64,
    pub users: u64,
    pub invitations: u64,
    /// Invitations whose raw token the bench knows (the lookup picks among them).
    pub tokens: u64,
}

#[derive(Clone, Debug)]
pub struct BenchConfig {
    pub smoke: bool,
    /// Keep an already seeded database of the same sizes (for working on the server).
    pub reuse: bool,
    pub backends: Vec<Backend>,
    pub paths: Vec<Path>,
    pub connections: Vec<usize>,
    pub duration: Duration,
    pub warmup: Duration,
    pub runs: usize,
    pub sizes: Sizes,
    pub subscribers: usize,
    pub fanout_rounds: usize,
    /// A PostgreSQL URL the bench may create databases through.
    pub pg_url: String,
    pub pg_database: String,
    /// `DOORMAN_DATABASE_MAX_CONNECTIONS` of the server on PostgreSQL: as many connections as
    /// pgbench gets at the largest client count. On SQLite the server keeps its default.
    pub pg_pool: u32,
    pub pgbench: PathBuf,
    pub out_dir: PathBuf,
    /// Instances in the cluster run, and the Redis and NATS they share.
    pub cluster_instances: usize,
    pub redis_url: String,
    pub nats_url: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match var(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={value:?} is not a number")),
    }
}

fn seconds(name: &str, default: f64) -> anyhow::Result<Duration> {
    let value: f64 = number(name, default)?;
    ensure!(value >= 0.0, "{name} must not be negative");
    Ok(Duration::from_secs_f64(value))
}

impl BenchConfig {
    /// Reads `--smoke` from the arguments (cargo adds `--bench`, which is ignored) and the
    /// `DOORMAN_BENCH_*` variables.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut smoke = var("DOORMAN_BENCH_SMOKE").is_some_and(|value| value != "0");
        for arg in std::env::args().skip(1) {
            match arg.as_str() {
                "--smoke" => smoke = true,
                "--bench" => {}
                "-h" | "--help" => {
                    println!("{}", include_str!("USAGE.txt"));
                    std::process::exit(0);
                }
                other if other.starts_with('-') => bail!("unknown option {other}; see --help"),
                // A name filter, as `cargo bench -- lookup` passes: run only those paths.
                _ => {}
            }
        }
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|arg| !arg.starts_with('-'))
            .collect();
        let default_sizes = if smoke {
            Sizes {
                orgs: 20,
                users: 1_000,
                invitations: 2_000,
                tokens: 200,
            }
        } else {
            Sizes {
                orgs: 1_000,
                users: 100_000,
                invitations: 500_000,
                tokens: 10_000,
            }
        };
        let sizes = Sizes {
            orgs: number("DOORMAN_BENCH_ORGS", default_sizes.orgs)?,
            users: number("DOORMAN_BENCH_USERS", default_sizes.users)?,
            invitations: number("DOORMAN_BENCH_INVITATIONS", default_sizes.invitations)?,
            tokens: number("DOORMAN_BENCH_TOKENS", default_sizes.tokens)?,
        };
        let backends = match var("DOORMAN_BENCH_BACKENDS") {
            None => vec![Backend::Postgres, Backend::Sqlite],
            Some(list) => list
                .split(',')
                .map(|name| match name.trim() {
                    "postgres" | "pg" | "postgresql" => Ok(Backend::Postgres),
                    "sqlite" => Ok(Backend::Sqlite),
                    other => Err(anyhow::anyhow!(
                        "DOORMAN_BENCH_BACKENDS: unknown backend {other:?} (postgres, sqlite)"
                    )),
                })
                .collect::<anyhow::Result<_>>()?,
        };
        let mut paths: Vec<Path> = match var("DOORMAN_BENCH_PATHS") {
            None => Path::ALL.to_vec(),
            Some(list) => list
                .split(',')
                .map(|name| {
                    Path::ALL
                        .into_iter()
                        .find(|path| path.name() == name.trim())
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "DOORMAN_BENCH_PATHS: unknown path {name:?} (lookup, page, accept, create, fanout, cluster)"
                            )
                        })
                })
                .collect::<anyhow::Result<_>>()?,
        };
        if !filters.is_empty() {
            paths.retain(|path| filters.iter().any(|filter| path.name().contains(filter)));
        }
        let connections = match var("DOORMAN_BENCH_CONNECTIONS") {
            None if smoke => vec![8],
            None => vec![16, 64],
            Some(list) => list
                .split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .with_context(|| format!("DOORMAN_BENCH_CONNECTIONS: {n:?}"))
                })
                .collect::<anyhow::Result<_>>()?,
        };
        let max_connections = connections.iter().copied().max().unwrap_or(1);
        let config = Self {
            smoke,
            reuse: var("DOORMAN_BENCH_REUSE").is_some_and(|value| value != "0"),
            backends,
            paths,
            connections,
            duration: seconds("DOORMAN_BENCH_SECONDS", if smoke { 0.5 } else { 10.0 })?,
            warmup: seconds(
                "DOORMAN_BENCH_WARMUP_SECONDS",
                if smoke { 0.2 } else { 3.0 },
            )?,
            runs: number("DOORMAN_BENCH_RUNS", if smoke { 1 } else { 3 })?,
            sizes,
            subscribers: number("DOORMAN_BENCH_SUBSCRIBERS", if smoke { 20 } else { 10_000 })?,
            fanout_rounds: number("DOORMAN_BENCH_FANOUT_ROUNDS", if smoke { 2 } else { 5 })?,
            pg_url: var("DOORMAN_BENCH_PG_URL")
                .or_else(|| var("DOORMAN_TEST_DATABASE_URL"))
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
            pg_database: var("DOORMAN_BENCH_PG_DATABASE")
                .unwrap_or_else(|| "doorman_bench".to_owned()),
            pg_pool: number("DOORMAN_BENCH_PG_POOL", max_connections.max(10) as u32)?,
            pgbench: var("DOORMAN_BENCH_PGBENCH")
                .map(PathBuf::from)
                .unwrap_or_else(find_pgbench),
            out_dir: target_dir().join("bench"),
            cluster_instances: number("DOORMAN_BENCH_CLUSTER_INSTANCES", 3)?,
            redis_url: var("DOORMAN_BENCH_REDIS_URL")
                .or_else(|| var("DOORMAN_TEST_REDIS_URL"))
                .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            nats_url: var("DOORMAN_BENCH_NATS_URL")
                .or_else(|| var("DOORMAN_TEST_NATS_URL"))
                .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned()),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let sizes = &self.sizes;
        ensure!(sizes.orgs >= 1, "DOORMAN_BENCH_ORGS must be at least 1");
        ensure!(
            sizes.users >= 2 * sizes.orgs + 2,
            "DOORMAN_BENCH_USERS must be more than twice DOORMAN_BENCH_ORGS (half the users are members, half are fresh accounts that accept)"
        );
        ensure!(
            sizes.invitations >= sizes.orgs + sizes.tokens,
            "DOORMAN_BENCH_INVITATIONS must cover one link per organization plus DOORMAN_BENCH_TOKENS"
        );
        ensure!(sizes.tokens >= 1, "DOORMAN_BENCH_TOKENS must be at least 1");
        let max_connections = self.connections.iter().copied().max().unwrap_or(0) as u64;
        ensure!(
            max_connections >= 1 && self.connections.iter().all(|c| *c >= 1),
            "DOORMAN_BENCH_CONNECTIONS must list positive numbers"
        );
        ensure!(
            sizes.orgs >= max_connections,
            "DOORMAN_BENCH_ORGS must be at least the largest connection count (each pgbench client accepts its own organization's link)"
        );
        ensure!(self.runs >= 1, "DOORMAN_BENCH_RUNS must be at least 1");
        ensure!(
            self.cluster_instances >= 2,
            "DOORMAN_BENCH_CLUSTER_INSTANCES must be at least 2 (one is killed)"
        );
        ensure!(
            !self.duration.is_zero(),
            "DOORMAN_BENCH_SECONDS must be positive"
        );
        Ok(())
    }

    /// The transactions per pgbench client for runs shorter than its one-second `-T` minimum.
    pub fn pgbench_transactions(&self) -> Option<u64> {
        (self.duration < Duration::from_secs(1)).then_some(25)
    }
}

/// Cargo's target directory (`target/` unless `CARGO_TARGET_DIR` says otherwise): the server
/// binary is `<target>/<profile>/doorman`.
fn target_dir() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_doorman"));
    binary
        .parent()
        .and_then(|profile| profile.parent())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// `pgbench` on the PATH, else the newest one in Debian's PostgreSQL folders.
fn find_pgbench() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("pgbench"))
            .find(|candidate| candidate.is_file())
    });
    if let Some(found) = on_path {
        return found;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|entry| entry.ok())
                .map(|entry| entry.path().join("bin/pgbench"))
                .filter(|candidate| candidate.is_file())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from("pgbench"))
}
