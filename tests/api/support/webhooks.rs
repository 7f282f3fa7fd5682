//! A webhook receiver for the webhook tests: `tests/webhooks/receiver.py`, which verifies every
//! delivery with the Standard Webhooks specification's own library (PyPI `standardwebhooks`),
//! run as a child process on a free port. Its Python is `DOORMAN_TEST_PYTHON`, else the
//! virtual environment `.ci/run` makes (`target/webhooks-venv`); without the library the test
//! fails and says how to install it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A running receiver; stopped when dropped.
pub struct Receiver {
    pub base: String,
    client: reqwest::Client,
    _child: tokio::process::Child,
}

fn python() -> PathBuf {
    std::env::var_os("DOORMAN_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/webhooks-venv/bin/python"),
        PathBuf::from,
    )
}

impl Receiver {
    pub async fn start() -> Receiver {
        let python = python();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receiver.py");
        let mut child = tokio::process::Command::new(&python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run {} ({err}): the webhook tests need Python with \
                     tests/webhooks/requirements.txt; run `python3 -m venv target/webhooks-venv && \
                     target/webhooks-venv/bin/pip install -r tests/webhooks/requirements.txt` \
                     (.ci/run does), or set DOORMAN_TEST_PYTHON",
                    python.display()
                )
            });
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .await
            .expect("the receiver prints where it listens");
        let started: Json = serde_json::from_str(&line).unwrap_or_else(|err| {
            panic!("the receiver did not start ({err}); is standardwebhooks installed? {line:?}")
        });
        Receiver {
            base: started["base"].as_str().expect("a base URL").to_owned(),
            client: reqwest::Client::new(),
            _child: child,
        }
    }

    /// The URL of receiver `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/hook/{name}", self.base)
    }

    /// Sets the secrets `name` verifies with and what its next requests get (`ok`, `500`,
    /// `slow`, `drop`).
    pub async fn configure(&self, name: &str, secrets: &[&str], behaviour: &[&str]) {
        self.client
            .put(format!("{}/control/{name}", self.base))
            .json(&json!({ "secrets": secrets, "behaviour": behaviour }))
            .send()
            .await
            .expect("the receiver answers")
            .error_for_status()
            .expect("configured");
    }

    /// What `name` got: `{ accepted: [{ id, type, data, signatures }], rejected, requests }`.
    pub async fn state(&self, name: &str) -> Json {
        self.client
            .get(format!("{}/control/{name}", self.base))
            .send()
            .await
            .expect("the receiver answers")
            .json()
            .await
            .expect("JSON")
    }

    /// The deliveries `name` accepted, once there are at least `count` distinct messages
    /// (by `webhook-id`), within `within`.
    pub async fn accepted_at_least(&self, name: &str, count: usize, within: Duration) -> Vec<Json> {
        let deadline = Instant::now() + within;
        loop {
            let state = self.state(name).await;
            let accepted = state["accepted"].as_array().cloned().unwrap_or_default();
            let mut ids: Vec<&str> = accepted.iter().filter_map(|m| m["id"].as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() >= count {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "{name} accepted {} of {count} messages within {within:?}: {state:#}",
                ids.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
