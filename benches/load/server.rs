//! The server under test: the release `doorman` binary in its own process, and what the bench
//! reads from outside it (resident memory from `/proc`, counters from `/metrics`).

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path as FsPath;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::client::HttpConnection;

/// The access-token secret the server runs with; the bench signs tokens with it too.
pub const TOKEN_SECRET: &str = "doorman-bench-access-token-secret-0123456789";

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl Server {
    /// Starts `doorman serve` on a free port and waits until `/readyz` answers. The per-caller
    /// rate limits and the daily quota are off (`DOORMAN_RATE_LIMITS=false`: the load comes
    /// from one IP and a few accounts), the pending cap is raised (`createOrgInvites` adds 100
    /// pending invitations per call), and the outbox worker is off so that mail delivery does
    /// not run behind later measurements; the emails are still queued in the request's
    /// transaction (they are rendered when sent). Every other setting is the default, unless the caller's own
    /// `DOORMAN_*` variables say otherwise.
    pub async fn start(
        database_url: &str,
        pool: Option<u32>,
        log: &FsPath,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        // `DOORMAN_BENCH_WRAP="perf record -g --"` (or `heaptrack`) runs the server under a tool.
        let wrap: Vec<String> = std::env::var("DOORMAN_BENCH_WRAP")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mut command = match wrap.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(env!("CARGO_BIN_EXE_doorman"));
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_doorman")),
        };
        command.arg("serve");
        for (name, _) in std::env::vars() {
            if name.starts_with("DOORMAN_BENCH_") {
                command.env_remove(name);
            }
        }
        let mail_dir = log.with_file_name("mail");
        command
            .env("DOORMAN_DATABASE_URL", database_url)
            .env("DOORMAN_LISTEN", addr.to_string())
            .env("DOORMAN_TOKEN_SECRET", TOKEN_SECRET)
            .env("DOORMAN_MAIL_DIR", &mail_dir)
            .env(
                "DOORMAN_RATE_LIMITS",
                std::env::var("DOORMAN_RATE_LIMITS").unwrap_or_else(|_| "false".to_owned()),
            )
            .env(
                "DOORMAN_MAX_PENDING_INVITATIONS",
                std::env::var("DOORMAN_MAX_PENDING_INVITATIONS")
                    .unwrap_or_else(|_| "10000000".to_owned()),
            )
            .env(
                "DOORMAN_OUTBOX_WORKER",
                std::env::var("DOORMAN_OUTBOX_WORKER").unwrap_or_else(|_| "false".to_owned()),
            )
            // Its own process group: stopping it also stops a wrapped server (heaptrack
            // runs it as a child).
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        if let Some(pool) = pool {
            command.env("DOORMAN_DATABASE_MAX_CONNECTIONS", pool.to_string());
        }
        command.envs(env.iter().map(|(name, value)| (name, value)));
        let child = command.spawn().context("cannot start the doorman binary")?;
        let pid = child.id();
        let mut server = Self { child, addr, pid };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!(
                    "the server exited with {status} while starting; see {}",
                    log.display()
                );
            }
            if let Ok(mut conn) = HttpConnection::connect(addr).await
                && conn
                    .get("/readyz")
                    .await
                    .is_ok_and(|(status, _)| status == 200)
            {
                return Ok(server);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not become ready within a minute; see {}",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resident memory now, in bytes.
    pub fn rss(&self) -> Option<u64> {
        rss_of(self.pid)
    }

    /// The server's own counters, as `/metrics` shows them.
    pub async fn metric(&self, name: &str) -> anyhow::Result<f64> {
        let mut conn = HttpConnection::connect(self.addr).await?;
        let (_, body) = conn.get("/metrics").await?;
        let text = String::from_utf8_lossy(&body);
        text.lines()
            .find_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                (series == name).then(|| value.parse().ok())?
            })
            .with_context(|| format!("no {name} in /metrics"))
    }

    /// SQL statements the server has run so far.
    pub async fn statements(&self) -> u64 {
        self.metric("doorman_db_statements_total")
            .await
            .map_or(0, |value| value as u64)
    }

    /// Samples the resident memory every 20 ms until the returned guard is stopped.
    pub fn watch_memory(&self) -> MemoryWatch {
        let peak = Arc::new(AtomicU64::new(self.rss().unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let pid = self.pid;
        let task = {
            let peak = Arc::clone(&peak);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = rss_of(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        MemoryWatch { peak, stop, task }
    }

    /// Stops it like ctrl-c would (a wrapping profiler then writes its data), killing it if it
    /// has not exited after 30 seconds.
    pub fn stop(mut self) {
        let interrupted = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.pid)])
            .status()
            .is_ok_and(|status| status.success());
        if interrupted {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.kill();
    }

    /// `kill -9`, as a crash would.
    pub fn crash(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pid)])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct MemoryWatch {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl MemoryWatch {
    /// The highest resident memory seen, in bytes.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

/// CPU time (user + system) a process has used, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may contain spaces; the fields after it do not.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU time used so far by every process called `postgres` (the server and its backends),
/// with that of backends that have exited (counted in the postmaster's children's time).
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .filter_map(cpu_seconds_with_children)
        .sum()
}

fn cpu_seconds_with_children(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = (11..=14)
        .map(|i| fields.get(i)?.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some(ticks as f64 / 100.0)
}

/// Where the CPU went during a measurement: this server, PostgreSQL, the load generator.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSplit {
    pub server: f64,
    pub postgres: f64,
    pub client: f64,
}

impl CpuSplit {
    pub fn now(server_pid: u32) -> Self {
        Self {
            server: cpu_seconds(server_pid).unwrap_or(0.0),
            postgres: postgres_cpu_seconds(),
            client: cpu_seconds(std::process::id()).unwrap_or(0.0),
        }
    }

    pub fn since(self, earlier: Self) -> Self {
        Self {
            server: self.server - earlier.server,
            postgres: self.postgres - earlier.postgres,
            client: self.client - earlier.client,
        }
    }
}

fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
