//! `cargo bench --bench load`: Doorman's hot paths under load, next to what PostgreSQL itself
//! does with the same SQL (`pgbench`), on the same data, in the same run.
//!
//! For each backend (PostgreSQL, then SQLite): seed a fresh database (`seed.rs`), then `runs`
//! times: start the release server (`server.rs`), warm each path up, load it for a fixed time
//! at each connection count (`client.rs`, `workloads.rs`), stop the server, and, on
//! PostgreSQL, run pgbench with each path's script (`pgbench.rs`). Then the subscription
//! fan-out (`fanout.rs`). Medians and targets: `report.rs`. `--help` lists the settings.

mod client;
mod cluster;
mod config;
mod fanout;
mod pgbench;
mod report;
mod seed;
mod server;
mod workloads;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::client::Workload;
use crate::config::{Backend, BenchConfig, Path};
use crate::report::{FanoutSample, Report, Sample};
use crate::server::Server;
use crate::workloads::Tokens;

fn main() -> anyhow::Result<()> {
    let config = BenchConfig::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(config))
}

/// What one backend's measurements share.
struct Bench<'a> {
    config: &'a BenchConfig,
    backend: Backend,
    database_url: String,
    db: DatabaseConnection,
    tokens: Tokens,
    admins: Arc<Vec<Arc<str>>>,
    /// Makes each create run's emails unique (starts from the clock, so that a reused
    /// database never sees the same emails twice).
    create_runs: u64,
}

async fn run(config: BenchConfig) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.out_dir)?;
    let mut report = Report::new(&config);
    println!(
        "doorman load bench{}: {} orgs, {} users, {} invitations, {} known tokens; {:?} connections, {:.1} s per run, {} run(s); PostgreSQL pool {}",
        if config.smoke { " (smoke)" } else { "" },
        config.sizes.orgs,
        config.sizes.users,
        config.sizes.invitations,
        config.sizes.tokens,
        config.connections,
        config.duration.as_secs_f64(),
        config.runs,
        config.pg_pool,
    );
    for backend in config.backends.clone() {
        bench_backend(&config, backend, &mut report)
            .await
            .with_context(|| format!("{} bench", backend.name()))?;
    }
    report.summarize(&config);
    let markdown = report.markdown();
    println!("\n{markdown}");
    if config.smoke {
        println!(
            "smoke run: a tiny dataset for a moment, to check that the bench works; these are not measurements"
        );
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let file = config.out_dir.join(format!("load-{stamp}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(&report)?)?;
    std::fs::write(config.out_dir.join("load-latest.md"), &markdown)?;
    println!("results: {}", file.display());
    let failed: Vec<String> = report
        .samples
        .iter()
        .filter(|s| s.errors > 0)
        .map(|s| {
            format!(
                "{} {} @{}: {} errors, first: {}",
                s.backend,
                s.path,
                s.connections,
                s.errors,
                s.first_error.as_deref().unwrap_or("?")
            )
        })
        .chain(
            report
                .samples
                .iter()
                .filter_map(|s| s.pgbench.as_ref().and_then(|pg| pg.aborted.clone()))
                .map(|aborted| format!("pgbench: {aborted}")),
        )
        .chain(
            report
                .cluster
                .iter()
                .flat_map(cluster::ClusterSample::failures),
        )
        .chain(
            report
                .fanout
                .iter()
                .filter(|f| f.missed > 0 || f.errors > 0)
                .map(|f| {
                    format!(
                        "{} fan-out: {} missed, {} errors, first: {}",
                        f.backend,
                        f.missed,
                        f.errors,
                        f.first_error.as_deref().unwrap_or("?")
                    )
                }),
        )
        .collect();
    if !failed.is_empty() {
        anyhow::bail!("requests failed:\n{}", failed.join("\n"));
    }
    Ok(())
}

async fn bench_backend(
    config: &BenchConfig,
    backend: Backend,
    report: &mut Report,
) -> anyhow::Result<()> {
    let database_url = match backend {
        Backend::Postgres => with_database(&config.pg_url, &config.pg_database),
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            config.out_dir.join("doorman-bench.db").display()
        ),
    };
    let started = Instant::now();
    let seeded = seed::seed(
        backend,
        &database_url,
        Some(config.pg_url.as_str()),
        &config.sizes,
        config.reuse,
    )
    .await?;
    println!(
        "\n[{}] {} {} in {:.1} s",
        backend.name(),
        if seeded { "seeded" } else { "reused" },
        doorman::db::redact_url(&database_url),
        started.elapsed().as_secs_f64()
    );
    let settings = doorman::config::Settings {
        database_url: database_url.clone(),
        database_max_connections: 2,
        token_secret: Some(server::TOKEN_SECRET.to_owned().into()),
        ..Default::default()
    };
    let db = doorman::db::connect(&settings).await?;
    let tokens = Tokens(doorman::service::accounts::token_keys(&settings, &db).await?);
    let admins = workloads::admin_bearers(&tokens, &config.sizes);
    let mut bench = Bench {
        config,
        backend,
        database_url,
        db,
        tokens,
        admins,
        create_runs: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() * 1000),
    };
    let load_paths: Vec<Path> = config
        .paths
        .iter()
        .copied()
        .filter(|path| !matches!(path, Path::Fanout | Path::Cluster))
        .collect();
    if !load_paths.is_empty() {
        for run in 1..=config.runs {
            bench.measure_run(run, &load_paths, report).await?;
        }
    }
    if config.paths.contains(&Path::Fanout) {
        let sample = bench.fanout().await?;
        report.fanout.push(sample);
    }
    if config.paths.contains(&Path::Cluster) {
        if backend == Backend::Postgres {
            report.cluster.push(cluster::run(&mut bench).await?);
        } else {
            println!("[{}] cluster: PostgreSQL only", backend.name());
        }
    }
    bench.db.close().await?;
    Ok(())
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

impl Bench<'_> {
    /// The server's pool: pgbench's connection count on PostgreSQL, the default on SQLite.
    fn pool(&self) -> Option<u32> {
        (self.backend == Backend::Postgres).then_some(self.config.pg_pool)
    }

    fn log_file(&self, what: &str) -> std::path::PathBuf {
        self.config
            .out_dir
            .join(format!("server-{}-{what}.log", self.backend.name()))
    }

    /// The first fresh account that has not accepted anything yet.
    async fn next_fresh_user(&self) -> anyhow::Result<u64> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT COALESCE(MAX(user_id), 0) AS last FROM invitation_redemptions",
            ))
            .await?
            .context("no row")?;
        let last: i64 = row.try_get("", "last")?;
        let (first, last_fresh) = seed::fresh_users(&self.config.sizes);
        let next = (last as u64 + 1).max(first);
        anyhow::ensure!(
            next + 100 <= last_fresh,
            "out of fresh accounts for accepting (raise DOORMAN_BENCH_USERS)"
        );
        Ok(next)
    }

    /// Average sizes of the emails Doorman queued (for pgbench's equivalent rows).
    /// The average length of the links Doorman queued with its emails (80 if none).
    async fn link_size(&self) -> usize {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT CAST(COALESCE(AVG(LENGTH(link)), 80) AS BIGINT) AS l FROM email_outbox",
            ))
            .await
            .ok()
            .flatten();
        row.and_then(|row| row.try_get::<i64>("", "l").ok())
            .map_or(80, |n| n as usize)
    }

    async fn workload(&mut self, path: Path) -> anyhow::Result<Arc<dyn Workload>> {
        let sizes = self.config.sizes;
        Ok(match path {
            Path::Lookup => Arc::new(workloads::Lookup { sizes }),
            Path::Page => Arc::new(workloads::Page {
                sizes,
                admins: Arc::clone(&self.admins),
            }),
            Path::Accept => Arc::new(workloads::Accept {
                sizes,
                first_user: self.next_fresh_user().await?,
                tokens: self.tokens.clone(),
            }),
            Path::Create => {
                self.create_runs += 1;
                Arc::new(workloads::Create {
                    sizes,
                    admins: Arc::clone(&self.admins),
                    run: self.create_runs,
                })
            }
            Path::Fanout | Path::Cluster => unreachable!("not a request loop"),
        })
    }

    /// One run: Doorman on every path and connection count, then pgbench on the same.
    async fn measure_run(
        &mut self,
        run: usize,
        paths: &[Path],
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let config = self.config;
        let max_connections = config.connections.iter().copied().max().unwrap_or(1);
        let server = Server::start(
            &self.database_url,
            self.pool(),
            &self.log_file(&format!("run{run}")),
            &[],
        )
        .await?;
        let first = report.samples.len();
        for &path in paths {
            if !config.warmup.is_zero() {
                let workload = self.workload(path).await?;
                client::run(&[server.addr], workload, max_connections, config.warmup, 0).await?;
            }
            for &connections in &config.connections {
                let workload = self.workload(path).await?;
                let statements = server.statements().await;
                let memory = server.watch_memory();
                let cpu = server::CpuSplit::now(server.pid);
                let load =
                    client::run(&[server.addr], workload, connections, config.duration, 0).await?;
                let cpu = server::CpuSplit::now(server.pid).since(cpu);
                let rss = memory.finish().await;
                let statements = server.statements().await.saturating_sub(statements);
                let mut sample =
                    Sample::new(self.backend, path, connections, run, &load, rss, statements);
                sample.set_cpu(cpu, load.requests);
                println!(
                    "[{}] run {run} {:<7} {:>3} conns: {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  {:.1} SQL/req  RSS {:.1} MiB  CPU µs/req: server {:.0}, postgres {:.0}, client {:.0}",
                    self.backend.name(),
                    path.name(),
                    connections,
                    sample.rps,
                    sample.p50_ms,
                    sample.p99_ms,
                    sample.errors,
                    sample.statements_per_request,
                    sample.rss_peak_mib,
                    sample.cpu_us_per_request.server,
                    sample.cpu_us_per_request.postgres,
                    sample.cpu_us_per_request.client,
                );
                if let Some(error) = &sample.first_error {
                    println!("    first error: {error}");
                }
                report.samples.push(sample);
            }
        }
        server.stop();
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        // pgbench while the server is down, so the two never hold connections at once.
        let link_bytes = self.link_size().await;
        let scripts_dir = config.out_dir.join("pgbench");
        let pgbench = pgbench::Pgbench {
            program: &config.pgbench,
            scripts_dir: &scripts_dir,
            database_url: &self.database_url,
        };
        for &path in paths {
            for &connections in &config.connections {
                self.create_runs += 1;
                let vars = pgbench::Variables {
                    sizes: config.sizes,
                    ubase: self.next_fresh_user().await?,
                    run: self.create_runs,
                    link_bytes,
                };
                let postgres_cpu = server::postgres_cpu_seconds();
                let result = pgbench::run(
                    &pgbench,
                    path,
                    connections,
                    config.duration,
                    config.pgbench_transactions(),
                    &vars,
                )?;
                let postgres_cpu = server::postgres_cpu_seconds() - postgres_cpu;
                let Some(mut result) = result else { continue };
                result.postgres_cpu_us_per_transaction =
                    postgres_cpu * 1e6 / (result.transactions.max(1) as f64);
                if let Some(sample) = report.samples[first..]
                    .iter_mut()
                    .find(|s| s.path == path.name() && s.connections == connections)
                {
                    sample.pgbench = Some((&result).into());
                    println!(
                        "[{}] run {run} {:<7} {:>3} conns: pgbench {:>8.0} tps  avg {:>7.2} ms  postgres CPU {:.0} µs/tx  ratio {:.2}{}",
                        self.backend.name(),
                        path.name(),
                        connections,
                        result.tps,
                        result.latency_ms,
                        result.postgres_cpu_us_per_transaction,
                        sample.ratio().unwrap_or(0.0),
                        result
                            .aborted
                            .as_deref()
                            .map(|a| format!("  ABORTED: {a}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Ok(())
    }

    /// Opens the subscriptions, then accepts `fanout_rounds` times, one at a time.
    async fn fanout(&mut self) -> anyhow::Result<FanoutSample> {
        let config = self.config;
        let server = Server::start(
            &self.database_url,
            self.pool(),
            &self.log_file("fanout"),
            &[],
        )
        .await?;
        let org = config.sizes.orgs;
        let memory = server.watch_memory();
        let started = Instant::now();
        let subscribers = fanout::Subscribers::open(
            &[server.addr],
            config.subscribers,
            &format!("org{org}"),
            &self.admins[org as usize - 1],
        )
        .await?;
        // The server registers a subscription after its `subscribe` message: wait for all.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let open = server
                .metric("doorman_subscriptions_open")
                .await
                .unwrap_or(0.0);
            if open as usize >= config.subscribers {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "only {open} of {} subscriptions opened",
                config.subscribers
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let connect_seconds = started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_subscribed = server.rss().unwrap_or(0);
        let rounds = self.fanout_rounds(&subscribers, &[server.addr]).await?;
        let rss_peak = memory.finish().await;
        let errors = subscribers.errors();
        subscribers.close().await;
        server.stop();
        Ok(FanoutSample::new(
            self.backend,
            config.subscribers,
            connect_seconds,
            rss_subscribed,
            rss_peak,
            &rounds,
            errors,
        ))
    }

    /// `fanout_rounds` acceptances into the subscribed organization, one at a time, each
    /// through the next of `addrs`, after a warm-up round; each as the subscribers saw it,
    /// timed from the response and from the request.
    async fn fanout_rounds(
        &mut self,
        subscribers: &fanout::Subscribers,
        addrs: &[std::net::SocketAddr],
    ) -> anyhow::Result<Vec<(fanout::Round, fanout::Round)>> {
        let config = self.config;
        let org = config.sizes.orgs;
        let mut rounds = Vec::new();
        // Round 0 warms up (the first delivery to every connection), and is not counted.
        for round in 0..=config.fanout_rounds {
            subscribers.reset();
            let user = self.next_fresh_user().await?;
            let accept = workloads::Accept {
                sizes: config.sizes,
                first_user: user,
                tokens: self.tokens.clone(),
            };
            // Pair `org - 1` is (user, org): this round's account joins the subscribed org.
            let call = accept.call(org - 1, &mut client::Rng::new(round as u64));
            let mut conn = client::HttpConnection::connect(addrs[round % addrs.len()]).await?;
            let sent = Instant::now();
            let (status, body) = conn
                .graphql(call.body, call.authorization.as_deref())
                .await?;
            let answered = Instant::now();
            anyhow::ensure!(
                accept.ok(status, &body),
                "the fan-out's accept failed: {}",
                String::from_utf8_lossy(&body)
            );
            subscribers.wait(Duration::from_secs(30)).await;
            let from_response = subscribers.round(answered);
            let from_sent = subscribers.round(sent);
            println!(
                "[{}] fan-out {}: {}/{} subscribers; after the response p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms; after sending the accept (took {:.0} ms) p99 {:.0} ms, last {:.0} ms",
                self.backend.name(),
                if round == 0 {
                    "warm-up".to_owned()
                } else {
                    format!("round {round}")
                },
                from_response.received,
                config.subscribers,
                report::percentile(&from_response.latencies_ms, 50.0),
                report::percentile(&from_response.latencies_ms, 99.0),
                report::percentile(&from_response.latencies_ms, 100.0),
                (answered - sent).as_secs_f64() * 1000.0,
                report::percentile(&from_sent.latencies_ms, 99.0),
                report::percentile(&from_sent.latencies_ms, 100.0),
            );
            if round > 0 {
                rounds.push((from_response, from_sent));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(rounds)
    }
}
