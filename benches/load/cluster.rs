//! The `cluster` run (PostgreSQL): `DOORMAN_BENCH_CLUSTER_INSTANCES` (3) Doorman instances on
//! one database, sharing their rate limits in Redis and their events through NATS JetStream,
//! the bench's connections spread over them.
//!
//! 1. lookup and accept at each connection count;
//! 2. the fan-out: the subscribers spread over the instances, acceptances through each in turn;
//! 3. `kill -9` of the instance that relays events, in the middle of a run of acceptances into
//!    the subscribed organization (with lookups on every instance beside them): every
//!    subscriber of the others hears every acceptance the database holds exactly once; the
//!    killed instance's subscribers reconnect to the others and hear every later one;
//! 4. one global limit: instances with the limits on (30 lookups a minute per address), a flood
//!    from one address spread over all of them gets exactly 30 answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;

use crate::client::{self, Call, HttpConnection, Workload};
use crate::config::Path;
use crate::fanout::{Round, Subscribers};
use crate::report::percentile;
use crate::server::Server;
use crate::{Bench, seed, workloads};

/// What one cluster run measured.
#[derive(Debug, Serialize)]
pub struct ClusterSample {
    pub instances: usize,
    pub loads: Vec<ClusterLoad>,
    pub fanout: ClusterFanout,
    pub kill: KillCheck,
    pub limit: LimitCheck,
}

#[derive(Debug, Serialize)]
pub struct ClusterLoad {
    pub path: &'static str,
    pub connections: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub first_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ClusterFanout {
    pub subscribers: usize,
    pub rounds: usize,
    /// Over every delivery of every round, after the accept's response.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub missed: usize,
}

#[derive(Debug, Serialize)]
pub struct KillCheck {
    /// Acceptances committed while the instance was killed, and after.
    pub accepted_around_the_kill: u64,
    pub accepted_after: u64,
    /// Subscribers of the instances that lived, and of the killed one, reconnected.
    pub survivors: usize,
    pub reconnected: usize,
    /// Events subscribers should have heard and did not, and heard more than once.
    pub missed: u64,
    pub repeated: u64,
}

#[derive(Debug, Serialize)]
pub struct LimitCheck {
    pub limit: u64,
    pub requests: u64,
    pub allowed: u64,
}

/// The per-address lookup limit of the flood.
const LIMIT: u64 = 30;

impl ClusterSample {
    /// What makes the run fail.
    pub fn failures(&self) -> Vec<String> {
        let mut failures: Vec<String> = self
            .loads
            .iter()
            .filter(|load| load.errors > 0)
            .map(|load| {
                format!(
                    "cluster {} @{}: {} errors, first: {}",
                    load.path,
                    load.connections,
                    load.errors,
                    load.first_error.as_deref().unwrap_or("?")
                )
            })
            .collect();
        if self.fanout.missed > 0 {
            failures.push(format!("cluster fan-out: {} missed", self.fanout.missed));
        }
        if self.kill.missed > 0 || self.kill.repeated > 0 {
            failures.push(format!(
                "cluster kill -9: {} events missed, {} heard twice",
                self.kill.missed, self.kill.repeated
            ));
        }
        if self.limit.allowed != self.limit.limit {
            failures.push(format!(
                "cluster limit: {} of {} requests allowed, the limit is {}",
                self.limit.allowed, self.limit.requests, self.limit.limit
            ));
        }
        failures
    }

    pub fn markdown(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let n = self.instances;
        let _ = writeln!(
            out,
            "| cluster ({n} instances, Redis, NATS) | conns | requests/s | p50 ms | p99 ms | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for load in &self.loads {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} |",
                load.path, load.connections, load.rps, load.p50_ms, load.p99_ms, load.errors
            );
        }
        let f = &self.fanout;
        let _ = writeln!(
            out,
            "\nFan-out to {} subscribers spread over {n} instances ({} rounds): p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms after the accept's response; {} missed.",
            f.subscribers, f.rounds, f.p50_ms, f.p99_ms, f.max_ms, f.missed
        );
        let k = &self.kill;
        let _ = writeln!(
            out,
            "`kill -9` of the relaying instance under load: {} acceptances around the kill and {} after; {} subscribers of the others and {} reconnected from the killed one: {} events missed, {} heard twice.",
            k.accepted_around_the_kill,
            k.accepted_after,
            k.survivors,
            k.reconnected,
            k.missed,
            k.repeated
        );
        let l = &self.limit;
        let _ = writeln!(
            out,
            "One address, {} lookups spread over {n} instances, limit {} a minute: {} answered.",
            l.requests, l.limit, l.allowed
        );
        out
    }
}

/// Runs the cluster measurements on `bench`'s PostgreSQL database.
pub async fn run(bench: &mut Bench<'_>) -> anyhow::Result<ClusterSample> {
    let config = bench.config;
    let n = config.cluster_instances;
    let stamp = format!(
        "doorman-bench-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    );
    let shared = |limits: bool| {
        vec![
            ("DOORMAN_REDIS_URL", config.redis_url.clone()),
            ("DOORMAN_REDIS_KEY_PREFIX", format!("{stamp}-{limits}")),
            ("DOORMAN_NATS_URL", config.nats_url.clone()),
            ("DOORMAN_NATS_STREAM", stamp.clone()),
            ("DOORMAN_RATE_LIMITS", limits.to_string()),
            ("DOORMAN_RATE_LIMIT_TOKEN_PER_IP", format!("{LIMIT}/1m")),
        ]
    };
    let servers = start(bench, n, &shared(false), "cluster").await?;
    let addrs: Vec<SocketAddr> = servers.iter().map(|server| server.addr).collect();
    let leader = relaying(&servers).await?;

    let mut loads = Vec::new();
    for path in [Path::Lookup, Path::Accept] {
        if !config.warmup.is_zero() {
            let workload = bench.workload(path).await?;
            let most = config.connections.iter().copied().max().unwrap_or(1);
            client::run(&addrs, workload, most, config.warmup, 0).await?;
        }
        for &connections in &config.connections {
            let workload = bench.workload(path).await?;
            let load = client::run(&addrs, workload, connections, config.duration, 0).await?;
            let row = ClusterLoad {
                path: path.name(),
                connections,
                rps: load.rps(),
                p50_ms: load.percentile_ms(50.0),
                p99_ms: load.percentile_ms(99.0),
                errors: load.errors,
                first_error: load.first_error.clone(),
            };
            println!(
                "[cluster] {n} instances {:<7} {:>3} conns: {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
                row.path, connections, row.rps, row.p50_ms, row.p99_ms, row.errors
            );
            loads.push(row);
        }
    }

    let org = config.sizes.orgs;
    let admin = Arc::clone(&bench.admins[org as usize - 1]);
    let subscribers =
        Subscribers::open(&addrs, config.subscribers, &format!("org{org}"), &admin).await?;
    subscribed(&servers.iter().collect::<Vec<_>>(), config.subscribers).await?;
    let rounds = bench.fanout_rounds(&subscribers, &addrs).await?;
    let fanout = ClusterFanout::new(config.subscribers, &rounds);

    let kill = kill_under_load(bench, servers, leader, &subscribers, &admin).await?;
    subscribers.close().await;
    let limit = flood(bench, &shared(true)).await?;
    let nats = async_nats::connect(config.nats_url.as_str()).await?;
    let _ = async_nats::jetstream::new(nats).delete_stream(&stamp).await;
    Ok(ClusterSample {
        instances: n,
        loads,
        fanout,
        kill,
        limit,
    })
}

/// `n` instances, each with its share of the PostgreSQL pool.
async fn start(
    bench: &Bench<'_>,
    n: usize,
    env: &[(&str, String)],
    name: &str,
) -> anyhow::Result<Vec<Server>> {
    let pool = (bench.config.pg_pool / n as u32).max(10);
    let mut servers = Vec::with_capacity(n);
    for index in 0..n {
        let log = bench.log_file(&format!("{name}{index}"));
        servers.push(Server::start(&bench.database_url, Some(pool), &log, env).await?);
    }
    Ok(servers)
}

/// The index of the one instance that relays events, once there is one.
async fn relaying(servers: &[Server]) -> anyhow::Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut leaders = Vec::new();
        for (index, server) in servers.iter().enumerate() {
            if server.metric("doorman_event_relay_leader").await.ok() == Some(1.0) {
                leaders.push(index);
            }
        }
        if let [leader] = leaders[..] {
            return Ok(leader);
        }
        anyhow::ensure!(Instant::now() < deadline, "relaying instances: {leaders:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `servers` hold `count` subscriptions between them.
async fn subscribed(servers: &[&Server], count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut open = 0.0;
        for server in servers {
            open += server
                .metric("doorman_subscriptions_open")
                .await
                .unwrap_or(0.0);
        }
        if open as usize >= count {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {open} of {count} subscriptions opened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl ClusterFanout {
    fn new(subscribers: usize, rounds: &[(Round, Round)]) -> Self {
        let mut latencies: Vec<f64> = rounds
            .iter()
            .flat_map(|(from_response, _)| from_response.latencies_ms.iter().copied())
            .collect();
        latencies.sort_by(f64::total_cmp);
        Self {
            subscribers,
            rounds: rounds.len(),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            max_ms: percentile(&latencies, 100.0),
            missed: rounds
                .iter()
                .map(|(round, _)| subscribers.saturating_sub(round.received))
                .sum(),
        }
    }
}

/// Kills the relaying instance in the middle of acceptances into the subscribed organization
/// (lookups on every instance beside them), then checks what each subscriber heard.
async fn kill_under_load(
    bench: &mut Bench<'_>,
    mut servers: Vec<Server>,
    leader: usize,
    subscribers: &Subscribers,
    admin: &str,
) -> anyhow::Result<KillCheck> {
    let config = bench.config;
    let n = servers.len();
    let per_phase = if config.smoke { 20 } else { 200 };
    let survivors: Vec<SocketAddr> = (0..n)
        .filter(|index| *index != leader)
        .map(|index| servers[index].addr)
        .collect();
    let before = subscribers.counts();
    let from = last_event(bench).await?;

    let victim = servers.remove(leader);
    let all: Vec<SocketAddr> = survivors.iter().copied().chain([victim.addr]).collect();
    let lookups = tokio::spawn({
        let workload: Arc<dyn Workload> = Arc::new(workloads::Lookup {
            sizes: config.sizes,
        });
        let addrs = all.clone();
        async move { client::run(&addrs, workload, n * 2, Duration::from_secs(3), 0).await }
    });
    let first_user = bench.next_fresh_user().await?;
    let done = Arc::new(AtomicUsize::new(0));
    let killer = tokio::spawn({
        let done = Arc::clone(&done);
        async move {
            while done.load(Ordering::Relaxed) < per_phase / 2 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            victim.crash();
        }
    });
    accept_into(bench, &all, first_user, per_phase, &done).await;
    killer.await?;
    let _ = lookups.await?;
    let around = accepted_since(bench, from).await?;
    let heard_by = |index: usize| index % n != leader;
    subscribers
        .wait_for_counts(
            |index| {
                if heard_by(index) {
                    before[index] + around
                } else {
                    0
                }
            },
            Duration::from_secs(10),
        )
        .await;

    // The killed instance's subscribers come back through the others.
    let orphans = (0..config.subscribers)
        .filter(|index| !heard_by(*index))
        .count();
    let org = config.sizes.orgs;
    let reconnected = Subscribers::open(&survivors, orphans, &format!("org{org}"), admin).await?;
    let alive: Vec<&Server> = servers.iter().collect();
    subscribed(&alive, config.subscribers).await?;
    let from = last_event(bench).await?;
    let first_user = bench.next_fresh_user().await?;
    accept_into(
        bench,
        &survivors,
        first_user,
        per_phase,
        &AtomicUsize::new(0),
    )
    .await;
    let after = accepted_since(bench, from).await?;
    subscribers
        .wait_for_counts(
            |index| {
                if heard_by(index) {
                    before[index] + around + after
                } else {
                    0
                }
            },
            Duration::from_secs(10),
        )
        .await;
    reconnected
        .wait_for_counts(|_| after, Duration::from_secs(10))
        .await;
    // Time for a repeat to show.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (mut missed, mut repeated) = (0, 0);
    let mut tally = |heard: u64, expected: u64| {
        missed += expected.saturating_sub(heard);
        repeated += heard.saturating_sub(expected);
    };
    for (index, count) in subscribers.counts().into_iter().enumerate() {
        if heard_by(index) {
            tally(count - before[index], around + after);
        }
    }
    for count in reconnected.counts() {
        tally(count, after);
    }
    reconnected.close().await;
    for server in servers {
        server.stop();
    }
    let check = KillCheck {
        accepted_around_the_kill: around,
        accepted_after: after,
        survivors: config.subscribers - orphans,
        reconnected: orphans,
        missed,
        repeated,
    };
    println!("[cluster] kill -9: {check:?}");
    Ok(check)
}

/// `count` fresh accounts from `first_user` on join the subscribed organization through its
/// link, four at a time, each through the next of `addrs` that answers; `done` counts them.
async fn accept_into(
    bench: &Bench<'_>,
    addrs: &[SocketAddr],
    first_user: u64,
    count: usize,
    done: &AtomicUsize,
) {
    let org = bench.config.sizes.orgs;
    let body = Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "query": workloads::ACCEPT,
            "variables": { "token": seed::link_token(org) },
        }))
        .expect("JSON"),
    );
    let next = AtomicUsize::new(0);
    let worker = |worker: usize| {
        let (body, next) = (body.clone(), &next);
        async move {
            let mut turn = worker;
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if seq >= count {
                    return;
                }
                let call = Call {
                    body: body.clone(),
                    authorization: Some(bench.tokens.bearer(first_user + seq as u64)),
                };
                // A server that is gone hands the acceptance to the next one.
                for _ in 0..addrs.len() {
                    turn += 1;
                    let Ok(mut conn) = HttpConnection::connect(addrs[turn % addrs.len()]).await
                    else {
                        continue;
                    };
                    if conn
                        .graphql(call.body.clone(), call.authorization.as_deref())
                        .await
                        .is_ok()
                    {
                        break;
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    futures_util::future::join_all((0..4).map(worker)).await;
}

async fn last_event(bench: &Bench<'_>) -> anyhow::Result<i64> {
    scalar(
        bench,
        "SELECT COALESCE(MAX(id), 0) FROM invitation_events".to_owned(),
    )
    .await
}

/// Acceptances into the subscribed organization after event `from`.
async fn accepted_since(bench: &Bench<'_>, from: i64) -> anyhow::Result<u64> {
    let org = bench.config.sizes.orgs;
    let count = scalar(
        bench,
        format!(
            "SELECT COUNT(*) FROM invitation_events e JOIN organizations o
             ON o.id = e.organization_id
             WHERE e.id > {from} AND e.kind = 'ACCEPTED' AND o.name = 'org{org}'"
        ),
    )
    .await?;
    Ok(count as u64)
}

async fn scalar(bench: &Bench<'_>, sql: String) -> anyhow::Result<i64> {
    let row = bench
        .db
        .query_one_raw(Statement::from_string(bench.db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok(row.try_get_by_index(0)?)
}

/// A flood of lookups from one address, spread over instances that share their limits.
async fn flood(bench: &Bench<'_>, env: &[(&str, String)]) -> anyhow::Result<LimitCheck> {
    let servers = start(bench, bench.config.cluster_instances, env, "cluster-limits").await?;
    let requests = LIMIT * servers.len() as u64;
    let lookup = workloads::Lookup {
        sizes: bench.config.sizes,
    };
    let mut allowed = 0;
    for request in 0..requests {
        let server = &servers[request as usize % servers.len()];
        let mut conn = HttpConnection::connect(server.addr).await?;
        let call = lookup.call(request, &mut client::Rng::new(request));
        let (status, body) = conn.graphql(call.body, None).await?;
        if status == 200 && !client::contains(&body, b"RATE_LIMITED") {
            allowed += 1;
        }
    }
    for server in servers {
        server.stop();
    }
    let check = LimitCheck {
        limit: LIMIT,
        requests,
        allowed,
    };
    println!("[cluster] one address: {check:?}");
    Ok(check)
}
