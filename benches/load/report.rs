//! Results: every measured run, the medians over runs, the targets of issue #7, printed as
//! Markdown tables and written as JSON to `target/bench/load-<timestamp>.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::client::LoadResult;
use crate::config::{Backend, BenchConfig, Path};
use crate::fanout::Round;
use crate::pgbench::PgbenchResult;

const MIB: f64 = 1024.0 * 1024.0;

#[derive(Clone, Debug, Serialize)]
pub struct PgbenchSample {
    pub tps: f64,
    pub postgres_cpu_us_per_transaction: f64,
    pub latency_avg_ms: f64,
    pub transactions: u64,
    pub failed: u64,
    pub aborted: Option<String>,
}

impl From<&PgbenchResult> for PgbenchSample {
    fn from(result: &PgbenchResult) -> Self {
        Self {
            tps: result.tps,
            postgres_cpu_us_per_transaction: result.postgres_cpu_us_per_transaction,
            latency_avg_ms: result.latency_ms,
            transactions: result.transactions,
            failed: result.failed,
            aborted: result.aborted.clone(),
        }
    }
}

/// One measured run of one path at one connection count.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub backend: &'static str,
    pub path: &'static str,
    pub connections: usize,
    pub run: usize,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub rss_peak_mib: f64,
    pub statements_per_request: f64,
    /// CPU per request of the server, of PostgreSQL and of the load generator, in µs.
    pub cpu_us_per_request: CpuPerRequest,
    pub pgbench: Option<PgbenchSample>,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CpuPerRequest {
    pub server: f64,
    pub postgres: f64,
    pub client: f64,
}

impl Sample {
    pub fn new(
        backend: Backend,
        path: Path,
        connections: usize,
        run: usize,
        load: &LoadResult,
        rss_peak: u64,
        statements: u64,
    ) -> Self {
        Self {
            backend: backend.name(),
            path: path.name(),
            connections,
            run,
            requests: load.requests,
            rps: load.rps(),
            p50_ms: load.percentile_ms(50.0),
            p99_ms: load.percentile_ms(99.0),
            max_ms: load.percentile_ms(100.0),
            errors: load.errors,
            first_error: load.first_error.clone(),
            rss_peak_mib: rss_peak as f64 / MIB,
            statements_per_request: statements as f64 / (load.requests.max(1) as f64),
            cpu_us_per_request: CpuPerRequest::default(),
            pgbench: None,
        }
    }

    pub fn set_cpu(&mut self, cpu: crate::server::CpuSplit, requests: u64) {
        let per = |seconds: f64| seconds * 1e6 / (requests.max(1) as f64);
        self.cpu_us_per_request = CpuPerRequest {
            server: per(cpu.server),
            postgres: per(cpu.postgres),
            client: per(cpu.client),
        };
    }

    pub fn ratio(&self) -> Option<f64> {
        self.pgbench
            .as_ref()
            .filter(|pg| pg.tps > 0.0)
            .map(|pg| self.rps / pg.tps)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FanoutRound {
    pub received: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub last_ms: f64,
    /// Counted from when the accept was sent rather than answered.
    pub p99_after_sending_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FanoutSample {
    pub backend: &'static str,
    pub subscribers: usize,
    pub connect_seconds: f64,
    /// Resident memory with every subscription open, before the first acceptance.
    pub rss_subscribed_mib: f64,
    /// Highest resident memory while connecting and delivering.
    pub rss_peak_mib: f64,
    pub rounds: Vec<FanoutRound>,
    /// Over every delivery of every round, after the accept's response.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The same counted from when the accept was sent (the response itself may wait behind
    /// the fan-out).
    pub p99_after_sending_ms: f64,
    pub max_after_sending_ms: f64,
    pub missed: usize,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl FanoutSample {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        backend: Backend,
        subscribers: usize,
        connect_seconds: f64,
        rss_subscribed: u64,
        rss_peak: u64,
        rounds: &[(Round, Round)],
        errors: (usize, Option<String>),
    ) -> Self {
        let all = |pick: fn(&(Round, Round)) -> &Round| {
            let mut all: Vec<f64> = rounds
                .iter()
                .flat_map(|round| pick(round).latencies_ms.iter().copied())
                .collect();
            all.sort_by(f64::total_cmp);
            all
        };
        let from_sent = all(|(_, sent)| sent);
        let all = all(|(response, _)| response);
        Self {
            backend: backend.name(),
            subscribers,
            connect_seconds,
            rss_subscribed_mib: rss_subscribed as f64 / MIB,
            rss_peak_mib: rss_peak as f64 / MIB,
            rounds: rounds
                .iter()
                .map(|(round, sent)| FanoutRound {
                    received: round.received,
                    p50_ms: percentile(&round.latencies_ms, 50.0),
                    p99_ms: percentile(&round.latencies_ms, 99.0),
                    last_ms: percentile(&round.latencies_ms, 100.0),
                    p99_after_sending_ms: percentile(&sent.latencies_ms, 99.0),
                })
                .collect(),
            p50_ms: percentile(&all, 50.0),
            p99_ms: percentile(&all, 99.0),
            max_ms: percentile(&all, 100.0),
            p99_after_sending_ms: percentile(&from_sent, 99.0),
            max_after_sending_ms: percentile(&from_sent, 100.0),
            missed: rounds
                .iter()
                .map(|(round, _)| subscribers - round.received)
                .sum(),
            errors: errors.0,
            first_error: errors.1,
        }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * p / 100.0).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// The median over runs of one (backend, path, connections).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub backend: &'static str,
    pub path: &'static str,
    pub connections: usize,
    pub runs: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub rss_peak_mib: f64,
    pub statements_per_request: f64,
    /// Medians of the CPU per request (µs) of the server, of PostgreSQL while Doorman ran, and
    /// of PostgreSQL per pgbench transaction.
    pub server_cpu_us: f64,
    pub postgres_cpu_us: f64,
    pub pgbench_postgres_cpu_us: Option<f64>,
    pub pgbench_tps: Option<f64>,
    pub ratio: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub measured: String,
    pub target: String,
    pub met: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub started_at: String,
    pub machine: BTreeMap<&'static str, String>,
    pub settings: serde_json::Value,
    pub samples: Vec<Sample>,
    pub fanout: Vec<FanoutSample>,
    pub cluster: Vec<crate::cluster::ClusterSample>,
    pub summary: Vec<Summary>,
    pub targets: Vec<Target>,
}

impl Report {
    pub fn new(config: &BenchConfig) -> Self {
        Self {
            started_at: chrono::Utc::now().to_rfc3339(),
            machine: machine(),
            settings: serde_json::json!({
                "smoke": config.smoke,
                "orgs": config.sizes.orgs,
                "users": config.sizes.users,
                "invitations": config.sizes.invitations,
                "known_tokens": config.sizes.tokens,
                "connections": config.connections,
                "seconds": config.duration.as_secs_f64(),
                "warmup_seconds": config.warmup.as_secs_f64(),
                "runs": config.runs,
                "subscribers": config.subscribers,
                "fanout_rounds": config.fanout_rounds,
                "server_pool_postgres": config.pg_pool,
                "pgbench": config.pgbench.display().to_string(),
            }),
            samples: Vec::new(),
            fanout: Vec::new(),
            cluster: Vec::new(),
            summary: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// Medians over runs, and the targets at the largest connection count.
    pub fn summarize(&mut self, config: &BenchConfig) {
        let mut groups: BTreeMap<(&str, usize, usize), Vec<&Sample>> = BTreeMap::new();
        for sample in &self.samples {
            let backend_order = usize::from(sample.backend != "postgres");
            let path_order = Path::ALL
                .iter()
                .position(|path| path.name() == sample.path)
                .unwrap_or(0);
            groups
                .entry((
                    sample.backend,
                    backend_order * 100 + path_order,
                    sample.connections,
                ))
                .or_default()
                .push(sample);
        }
        let mut keys: Vec<_> = groups.keys().copied().collect();
        keys.sort_by_key(|(_, order, connections)| (*order, *connections));
        self.summary = keys
            .into_iter()
            .map(|key| {
                let samples = &groups[&key];
                let of = |f: fn(&Sample) -> f64| median(samples.iter().map(|s| f(s)).collect());
                let tps: Vec<f64> = samples
                    .iter()
                    .filter_map(|s| s.pgbench.as_ref().map(|pg| pg.tps))
                    .collect();
                let ratios: Vec<f64> = samples.iter().filter_map(|s| s.ratio()).collect();
                Summary {
                    backend: samples[0].backend,
                    path: samples[0].path,
                    connections: key.2,
                    runs: samples.len(),
                    rps: of(|s| s.rps),
                    p50_ms: of(|s| s.p50_ms),
                    p99_ms: of(|s| s.p99_ms),
                    errors: samples.iter().map(|s| s.errors).sum(),
                    rss_peak_mib: samples.iter().map(|s| s.rss_peak_mib).fold(0.0, f64::max),
                    statements_per_request: of(|s| s.statements_per_request),
                    server_cpu_us: of(|s| s.cpu_us_per_request.server),
                    postgres_cpu_us: of(|s| s.cpu_us_per_request.postgres),
                    pgbench_postgres_cpu_us: {
                        let cpu: Vec<f64> = samples
                            .iter()
                            .filter_map(|s| {
                                s.pgbench
                                    .as_ref()
                                    .map(|pg| pg.postgres_cpu_us_per_transaction)
                            })
                            .collect();
                        (!cpu.is_empty()).then(|| median(cpu))
                    },
                    pgbench_tps: (!tps.is_empty()).then(|| median(tps)),
                    ratio: (!ratios.is_empty()).then(|| median(ratios)),
                }
            })
            .collect();
        self.targets = self.targets(config);
    }

    fn find(&self, backend: &str, path: &str, connections: usize) -> Option<&Summary> {
        self.summary
            .iter()
            .find(|s| s.backend == backend && s.path == path && s.connections == connections)
    }

    fn targets(&self, config: &BenchConfig) -> Vec<Target> {
        let c = config.connections.iter().copied().max().unwrap_or(64);
        let mut targets = Vec::new();
        let mut ratio_target = |path: &str, name: &str, min: f64| {
            if let Some(s) = self.find("postgres", path, c) {
                targets.push(Target {
                    name: format!("{name}, PostgreSQL, {c} connections"),
                    measured: s.ratio.map_or("n/a".to_owned(), |r| {
                        format!(
                            "{r:.2} × pgbench ({:.0} / {:.0})",
                            s.rps,
                            s.pgbench_tps.unwrap_or(0.0)
                        )
                    }),
                    target: format!("≥ {min:.2} × pgbench"),
                    met: s.ratio.map(|r| r >= min),
                });
            }
        };
        ratio_target("lookup", "invitation(token)", 0.35);
        ratio_target("accept", "acceptInvitation", 0.95);
        ratio_target("page", "orgInvitations(first: 50)", 0.30);
        for backend in ["postgres", "sqlite"] {
            if let (Some(create), Some(accept)) = (
                self.find(backend, "create", c),
                self.find(backend, "accept", c),
            ) {
                targets.push(Target {
                    name: format!("createOrgInvites × 100 p50, {backend}, {c} connections"),
                    measured: format!(
                        "{:.1} ms = {:.1} × accept p50 ({:.1} ms)",
                        create.p50_ms,
                        create.p50_ms / accept.p50_ms,
                        accept.p50_ms
                    ),
                    target: "≤ 10 × acceptInvitation p50".to_owned(),
                    met: Some(create.p50_ms <= 10.0 * accept.p50_ms),
                });
            }
        }
        if let Some(accept) = self.find("sqlite", "accept", c) {
            targets.push(Target {
                name: format!("SQLite acceptInvitation p99, {c} connections"),
                measured: format!("{:.1} ms", accept.p99_ms),
                target: "≤ 100 ms".to_owned(),
                met: Some(accept.p99_ms <= 100.0),
            });
        }
        if let (Some(sqlite), Some(pg)) = (
            self.find("sqlite", "lookup", c),
            self.find("postgres", "lookup", c),
        ) {
            targets.push(Target {
                name: format!("SQLite invitation(token) vs PostgreSQL, {c} connections"),
                measured: format!("{:.0} vs {:.0} requests/s", sqlite.rps, pg.rps),
                target: "≥ PostgreSQL's".to_owned(),
                met: Some(sqlite.rps >= pg.rps),
            });
        }
        for backend in ["postgres", "sqlite"] {
            let peak = self
                .summary
                .iter()
                .filter(|s| s.backend == backend && s.path == "lookup")
                .map(|s| s.rss_peak_mib)
                .fold(f64::NAN, f64::max);
            if !peak.is_nan() {
                targets.push(Target {
                    name: format!("server RSS under the lookup load, {backend}"),
                    measured: format!("{peak:.1} MiB"),
                    target: "≤ 32 MiB".to_owned(),
                    met: Some(peak <= 32.0),
                });
            }
        }
        for fanout in &self.fanout {
            let full = fanout.subscribers >= 10_000;
            let scale = if full {
                String::new()
            } else {
                " (fewer subscribers than the target's 10,000)".to_owned()
            };
            targets.push(Target {
                name: format!(
                    "server RSS with {} open subscriptions, {}{scale}",
                    fanout.subscribers, fanout.backend
                ),
                measured: format!(
                    "{:.1} MiB (peak {:.1} MiB)",
                    fanout.rss_subscribed_mib, fanout.rss_peak_mib
                ),
                target: "≤ 160 MiB".to_owned(),
                met: Some(fanout.rss_peak_mib <= 160.0),
            });
            targets.push(Target {
                name: format!(
                    "fan-out to {} subscribers, {}{scale}",
                    fanout.subscribers, fanout.backend
                ),
                measured: format!(
                    "p99 {:.0} ms after the response ({:.0} ms after sending the accept), last {:.0} ms, missed {}",
                    fanout.p99_ms, fanout.p99_after_sending_ms, fanout.max_ms, fanout.missed
                ),
                target: "p99 ≤ 100 ms, none missed".to_owned(),
                met: Some(fanout.p99_ms <= 100.0 && fanout.missed == 0),
            });
        }
        targets
    }

    /// The results as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| backend | path | conns | runs | requests/s | p50 ms | p99 ms | errors | SQL/request | peak RSS MiB | server CPU µs/req | PG CPU µs/req | pgbench tps | pgbench PG CPU µs/tx | ratio |"
        );
        let _ = writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        let dash = || "—".to_owned();
        for s in &self.summary {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {:.0} | {} | {} | {} | {} |",
                s.backend,
                s.path,
                s.connections,
                s.runs,
                s.rps,
                s.p50_ms,
                s.p99_ms,
                s.errors,
                s.statements_per_request,
                s.rss_peak_mib,
                s.server_cpu_us,
                if s.backend == "postgres" {
                    format!("{:.0}", s.postgres_cpu_us)
                } else {
                    dash()
                },
                s.pgbench_tps.map_or_else(dash, |t| format!("{t:.0}")),
                s.pgbench_postgres_cpu_us
                    .map_or_else(dash, |t| format!("{t:.0}")),
                s.ratio.map_or_else(dash, |r| format!("{r:.2}")),
            );
        }
        if !self.fanout.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "| backend | subscribers | rounds | connect s | RSS subscribed MiB | peak RSS MiB | p50 ms | p99 ms | last ms | p99 from send ms | last from send ms | missed | errors |"
            );
            let _ = writeln!(
                out,
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for f in &self.fanout {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} |",
                    f.backend,
                    f.subscribers,
                    f.rounds.len(),
                    f.connect_seconds,
                    f.rss_subscribed_mib,
                    f.rss_peak_mib,
                    f.p50_ms,
                    f.p99_ms,
                    f.max_ms,
                    f.p99_after_sending_ms,
                    f.max_after_sending_ms,
                    f.missed,
                    f.errors
                );
            }
        }
        for cluster in &self.cluster {
            let _ = writeln!(out);
            out.push_str(&cluster.markdown());
        }
        if !self.targets.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "| target | measured | goal | met |");
            let _ = writeln!(out, "|---|---|---|---|");
            for t in &self.targets {
                let met = match t.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "n/a",
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {met} |",
                    t.name, t.measured, t.target
                );
            }
        }
        out
    }
}

fn machine() -> BTreeMap<&'static str, String> {
    let mut machine = BTreeMap::new();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
    {
        machine.insert("cpu", model.1.trim().to_owned());
    }
    machine.insert(
        "cores",
        std::thread::available_parallelism().map_or("?".to_owned(), |n| n.to_string()),
    );
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(total) = meminfo.lines().find(|line| line.starts_with("MemTotal:")) {
        machine.insert(
            "memory",
            total.trim_start_matches("MemTotal:").trim().to_owned(),
        );
    }
    if let Ok(output) = std::process::Command::new("psql").arg("--version").output() {
        machine.insert(
            "psql",
            String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        );
    }
    machine
}
