//! The machine beside the server, for the fault tests: running programs as another user,
//! free ports, a PostgreSQL cluster of a test's own, and tmpfs mounts.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Runs `program args` (as `user` when given and we are root) and checks that it succeeded.
pub fn run_as(user: Option<&str>, program: &Path, args: &[&str]) {
    let mut command = match user {
        Some(user) if is_root() => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        _ => Command::new(program),
    };
    let output = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL cluster of this test's own (initdb in a temporary folder, its own port), so
/// stopping it disturbs no other test. Stopped and removed on drop, also when the test fails.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    /// `None` when no PostgreSQL server binaries are installed.
    pub fn bin_dir() -> Option<PathBuf> {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
        let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
        if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
            let mut versions: Vec<PathBuf> = versions
                .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
                .collect();
            versions.sort();
            candidates.extend(versions.into_iter().rev());
        }
        candidates
            .into_iter()
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    }

    pub fn create(bin: PathBuf) -> PrivatePostgres {
        let dir = cluster_folder();
        let data = dir.path().join("data");
        run_as(
            Some("postgres"),
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let cluster = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
        };
        cluster.start();
        cluster
    }

    /// A streaming replica of this cluster: `pg_basebackup -R` into a folder of its own,
    /// started on a port of its own, replaying what this cluster writes.
    pub fn replica(&self) -> PrivatePostgres {
        let dir = cluster_folder();
        let data = dir.path().join("data");
        let port = self.port.to_string();
        run_as(
            Some("postgres"),
            &self.bin.join("pg_basebackup"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-X",
                "stream",
                "-R",
                "--no-sync",
            ],
        );
        let replica = PrivatePostgres {
            bin: self.bin.clone(),
            dir,
            port: free_port(),
        };
        replica.start();
        replica
    }

    pub fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        run_as(Some("postgres"), &self.bin.join("pg_ctl"), &all);
    }

    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        self.pg_ctl(&["-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]);
    }

    /// Like a crash: no checkpoint, connections cut.
    pub fn stop_immediately(&self) {
        self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

/// A folder for a cluster's files, owned by `postgres` when we are root (PostgreSQL refuses
/// to run as root).
fn cluster_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        let status = Command::new("chown")
            .arg("postgres:")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "chown postgres failed");
    }
    dir
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let pg_ctl = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&pg_ctl);
            command
        } else {
            Command::new(&pg_ctl)
        };
        // Already stopped is fine; the folder goes with `dir`.
        let _ = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A tmpfs mounted for one case; unmounted on drop.
pub struct Mount(pub PathBuf);

impl Mount {
    #[track_caller]
    pub fn tmpfs(at: &Path, options: &str) -> Mount {
        std::fs::create_dir_all(at).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(mounted, "cannot mount a tmpfs at {}", at.display());
        Mount(at.to_owned())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
