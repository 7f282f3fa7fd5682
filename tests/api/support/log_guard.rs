//! The log guard: no secret may reach the logs.
//!
//! [`install`] makes this test process's global `tracing` subscriber one that captures every
//! event and span at TRACE level for every target (plus `log` records), formats each with its
//! fields, and checks the text against the secrets the test has seen: the test password and
//! token secret, and whatever the support helpers register (passwords and tokens they send,
//! access tokens and invitation links they receive), also in hex. A JWT-shaped string is a leak
//! even when nobody registered it. The only events not captured are those the server's own
//! filter never lets through, whatever `DOORMAN_LOG` says (`doorman::telemetry::log_filter`).
//! The output of `doorman` child processes is checked the same way ([`BinaryServer`],
//! [`check_output`]).
//!
//! Both orders are caught: the secrets known when a line is logged are checked at once, and the
//! last few MiB of log text are kept so that a secret registered later is checked against what
//! was logged before. A violation is printed (masked) when found and fails the test when its
//! `TestApp` or `BinaryServer` is dropped (see [`assert_clean`]); under nextest every test is
//! its own process, so the violations of a process are those of its test.

use std::collections::{HashSet, VecDeque};
use std::fmt::{self, Write as _};
use std::io::{BufRead, BufReader, Write as _};
use std::ops::{Deref, DerefMut, Range};
use std::os::fd::OwnedFd;
use std::sync::{LazyLock, Mutex, MutexGuard, Once, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Shorter values are not treated as secrets: they would match ids, counts and words.
const MIN_SECRET_CHARS: usize = 8;
/// How much captured log text is kept for secrets registered after the fact.
const KEPT_BYTES: usize = 4 << 20;
/// Violations spelled out when a test fails (all are counted).
const SHOWN_VIOLATIONS: usize = 10;

static GUARD: LazyLock<Mutex<Guard>> = LazyLock::new(Mutex::default);

fn guard() -> MutexGuard<'static, Guard> {
    GUARD.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the capturing subscriber once per process, before any server starts, and
/// registers the secrets every test server has. `DOORMAN_LOG`, when set, also prints the logs
/// it selects to the test's stderr.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let printed = std::env::var("DOORMAN_LOG").ok().map(|spec| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(|| TestStderr)
                .with_filter(doorman::telemetry::log_filter(Some(&spec)))
        });
        // Everything the server's own filter lets through at its most verbose, `trace`.
        let captured = doorman::telemetry::log_filter(Some("trace"));
        // `try_init` also routes `log` records (tungstenite, mailin, rustls …) into tracing.
        tracing_subscriber::registry()
            .with(Capture { guard: &GUARD }.with_filter(captured))
            .with(printed)
            .try_init()
            .expect(
                "the log guard must be the global subscriber: install it before anything else \
                 (e.g. doorman::telemetry::init) sets one",
            );
    });
    secret("the test password", super::PASSWORD);
    secret("the token secret", super::TOKEN_SECRET);
}

/// Registers `value` as a secret; what was logged before is checked against it too.
pub fn secret(kind: &'static str, value: &str) {
    guard().register(kind, value);
}

/// Registers the secrets in a GraphQL request or response (or WebSocket message): passwords
/// and tokens sent, access tokens and the raw tokens of invitation links received.
pub fn scan(json: &Json) {
    match json {
        Json::Object(fields) => {
            for (key, value) in fields {
                match (secret_kind(key), value) {
                    (Some(kind), Json::String(value)) => {
                        let value = value.strip_prefix("Bearer ").unwrap_or(value);
                        secret(kind, value);
                    }
                    (None, Json::String(link)) if key == "invitationLink" => {
                        if let Some((_, token)) = link.split_once("/invite/") {
                            secret("an invitation token", token);
                        }
                    }
                    _ => scan(value),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(scan),
        _ => {}
    }
}

/// Registers the string arguments named like secrets written into a GraphQL document, e.g.
/// `acceptInvitation(token: "…")`.
pub fn scan_document(document: &str) {
    for name in ["token", "Token", "password", "Password"] {
        for (at, _) in document.match_indices(name) {
            let rest = document[at + name.len()..].trim_start();
            let Some(rest) = rest.strip_prefix(':') else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            if let Some((value, _)) = rest.split_once('"') {
                secret("a secret argument", value);
            }
        }
    }
}

fn secret_kind(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    if key.contains("password") {
        Some("a password")
    } else if key == "accesstoken" || key == "authorization" || key == "authtoken" {
        Some("an access token")
    } else if key == "token" || key == "invitationtoken" {
        Some("a token")
    } else if key == "secret" {
        Some("a webhook secret")
    } else {
        None
    }
}

/// Fails the test (panics) if a secret reached the logs since the last check; the violations
/// are reported once. Does nothing while the thread is already panicking.
pub fn assert_clean() {
    if std::thread::panicking() {
        return;
    }
    let violations = std::mem::take(&mut guard().violations);
    if violations.is_empty() {
        return;
    }
    let shown: Vec<&str> = violations
        .iter()
        .take(SHOWN_VIOLATIONS)
        .map(String::as_str)
        .collect();
    panic!(
        "{} log line(s) contain a secret (masked below):\n  {}",
        violations.len(),
        shown.join("\n  ")
    );
}

/// Checks the log output of a process (e.g. a `doorman` command's stderr), line by line.
pub fn check_output(source: &str, output: &str) {
    for line in output.lines() {
        observe(
            &GUARD,
            format!("{source}: {}", strip_ansi(line)),
            String::new,
        );
    }
}

/// Checks one line at once and keeps it; records a masked report when it holds a secret.
fn observe(guard: &Mutex<Guard>, line: String, scope: impl FnOnce() -> String) {
    let mut guard = guard.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(report) = guard.report(&line, scope) {
        eprintln!("log guard: a secret reached the logs: {report}");
        guard.violations.push(report);
    }
    guard.keep(line);
}

/// The secrets of this process, the recent log text and the violations found.
#[derive(Default)]
struct Guard {
    /// (kind, value), in registration order.
    secrets: Vec<(&'static str, String)>,
    known: HashSet<String>,
    kept: VecDeque<String>,
    kept_bytes: usize,
    violations: Vec<String>,
}

impl Guard {
    fn register(&mut self, kind: &'static str, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_CHARS || !self.known.insert(value.to_owned()) {
            return;
        }
        // Also as hex, the way wire dumps (e.g. WebSocket frames) show payloads.
        let hex: String = value.bytes().map(|byte| format!("{byte:02x}")).collect();
        self.secrets.push((kind, value.to_owned()));
        self.secrets.push((kind, hex.clone()));
        let late: Vec<String> = self
            .kept
            .iter()
            .filter(|line| line.contains(value) || line.contains(&hex))
            .filter_map(|line| self.report(line, String::new))
            .collect();
        for report in late {
            eprintln!("log guard: a secret reached the logs before it was known: {report}");
            self.violations.push(report);
        }
    }

    /// `line` (plus the `scope` it was logged in) with its secrets masked, if it has any.
    fn report(&self, line: &str, scope: impl FnOnce() -> String) -> Option<String> {
        let has_secret = self
            .secrets
            .iter()
            .any(|(_, value)| line.contains(value.as_str()));
        if !has_secret && jwt_spans(line).is_empty() {
            return None;
        }
        let mut text = format!("{line}{}", scope());
        let mut kinds = Vec::new();
        for (kind, value) in &self.secrets {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), &format!("[{kind}]"));
                kinds.push(*kind);
            }
        }
        for span in jwt_spans(&text).into_iter().rev() {
            text.replace_range(span, "[a JWT]");
            kinds.push("a JWT");
        }
        kinds.dedup();
        Some(format!("{} in: {text}", kinds.join(", ")))
    }

    fn keep(&mut self, line: String) {
        self.kept_bytes += line.len();
        self.kept.push_back(line);
        while self.kept_bytes > KEPT_BYTES {
            let Some(oldest) = self.kept.pop_front() else {
                break;
            };
            self.kept_bytes -= oldest.len();
        }
    }
}

/// Where JWTs (`eyJ….eyJ….signature`, e.g. access tokens) appear in `text`.
fn jwt_spans(text: &str) -> Vec<Range<usize>> {
    let is_b64 = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_';
    let bytes = text.as_bytes();
    let segment_end = |start: usize| {
        (start..bytes.len())
            .find(|&at| !is_b64(bytes[at]))
            .unwrap_or(bytes.len())
    };
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("eyJ") {
        let start = from + found;
        from = start + 3;
        if start > 0 && is_b64(bytes[start - 1]) {
            continue;
        }
        let header_end = segment_end(start);
        if bytes.get(header_end) != Some(&b'.') || !text[header_end + 1..].starts_with("eyJ") {
            continue;
        }
        let payload_end = segment_end(header_end + 1);
        if bytes.get(payload_end) != Some(&b'.') {
            continue;
        }
        let end = segment_end(payload_end + 1);
        if end - payload_end > 16 {
            spans.push(start..end);
            from = end;
        }
    }
    spans
}

/// `text` without ANSI colour sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---- the capturing layer ----

/// A span's fields as text, for reporting the events logged inside it.
struct SpanFields(String);

struct Capture {
    guard: &'static Mutex<Guard>,
}

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = String::new();
        attrs.record(&mut Fields(&mut fields));
        let meta = attrs.metadata();
        let line = format!(
            "{} {}: span {}{{{fields}}}",
            meta.level(),
            meta.target(),
            meta.name()
        );
        observe(self.guard, line, String::new);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = String::new();
        values.record(&mut Fields(&mut fields));
        let Some(span) = ctx.span(id) else {
            return;
        };
        let meta = span.metadata();
        let line = format!(
            "{} {}: span {} recorded {fields}",
            meta.level(),
            meta.target(),
            meta.name()
        );
        observe(self.guard, line, String::new);
        if let Some(known) = span.extensions_mut().get_mut::<SpanFields>() {
            known.0.push(' ');
            known.0.push_str(&fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = format!("{} {}: ", meta.level(), meta.target());
        event.record(&mut Fields(&mut line));
        let scope = || {
            let mut text = String::new();
            for span in ctx
                .event_scope(event)
                .into_iter()
                .flat_map(|scope| scope.from_root())
            {
                let extensions = span.extensions();
                let fields = extensions.get::<SpanFields>().map_or("", |known| &known.0);
                let _ = write!(text, " in {}{{{fields}}}", span.name());
            }
            text
        };
        observe(self.guard, line, scope);
    }
}

/// Writes fields as `name=value` (the message bare), strings unquoted and unescaped.
struct Fields<'a>(&'a mut String);

impl Fields<'_> {
    fn name(&mut self, field: &Field) {
        if !self.0.is_empty() && !self.0.ends_with(' ') {
            self.0.push(' ');
        }
        if field.name() != "message" {
            let _ = write!(self.0, "{}=", field.name());
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        self.0.push_str(value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        let _ = write!(self.0, "{value:?}");
    }
}

/// Prints through `eprint!`, so the test harness captures it like any test output.
struct TestStderr;

impl std::io::Write for TestStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        eprint!("{}", String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---- `doorman serve` as a child process ----

/// A `doorman` server process whose stderr is checked line by line as it comes; use it as
/// the `tokio::process::Child` it derefs to. Its `stderr` is a copy of the server's, holding
/// the lines at or above the level the test asked for. Dropping it (or `wait_with_output`)
/// stops the server if still running and fails the test if its logs held a secret.
pub struct BinaryServer {
    child: Option<tokio::process::Child>,
    watcher: Option<JoinHandle<()>>,
}

/// The log levels, least severe first.
const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

impl BinaryServer {
    /// Takes over the piped stderr of `child`; forwards lines from `forward_from` up (a level
    /// name; `None` forwards every line).
    pub fn watch(mut child: tokio::process::Child, forward_from: Option<&str>) -> BinaryServer {
        let source = format!("doorman (pid {})", child.id().unwrap_or_default());
        let min_rank = forward_from.map_or(0, |level| level_rank(level).unwrap_or(0));
        let server_stderr: OwnedFd = child
            .stderr
            .take()
            .expect("the server's stderr is piped")
            .into_owned_fd()
            .expect("the server's stderr as a file descriptor");
        let (copy, copy_writer) = std::io::pipe().expect("a pipe for the server's stderr");
        child.stderr = Some(
            tokio::process::ChildStderr::from_std(std::process::ChildStderr::from(OwnedFd::from(
                copy,
            )))
            .expect("the stderr copy registers with the runtime"),
        );
        // Lines queue in memory, so the server never waits for a test that does not read them.
        let (lines, queued) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut copy_writer = copy_writer;
            for line in queued {
                if copy_writer.write_all(&line).is_err() {
                    break;
                }
            }
        });
        let watcher = std::thread::spawn(move || {
            let mut input = BufReader::new(std::fs::File::from(server_stderr));
            let mut line = Vec::new();
            let mut forwarding = true;
            loop {
                line.clear();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = strip_ansi(&String::from_utf8_lossy(&line));
                let text = text.trim_end();
                observe(&GUARD, format!("{source}: {text}"), String::new);
                // Lines without a level continue the event before them.
                if let Some(rank) = line_level(text) {
                    forwarding = rank >= min_rank;
                }
                if forwarding {
                    let _ = lines.send(line.clone());
                }
            }
        });
        BinaryServer {
            child: Some(child),
            watcher: Some(watcher),
        }
    }

    /// Waits for the server to exit and returns its output (stderr as filtered), then fails
    /// the test if its logs held a secret.
    pub async fn wait_with_output(mut self) -> std::io::Result<std::process::Output> {
        let child = self.child.take().expect("the server process");
        let output = child.wait_with_output().await;
        self.finish();
        output
    }

    fn finish(&mut self) {
        if let Some(child) = &mut self.child
            && child.try_wait().ok().flatten().is_none()
        {
            let _ = child.start_kill();
        }
        if let Some(watcher) = self.watcher.take() {
            // The server is gone, so its stderr ends soon.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !watcher.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if watcher.is_finished() {
                let _ = watcher.join();
            }
        }
        assert_clean();
    }
}

impl Deref for BinaryServer {
    type Target = tokio::process::Child;

    fn deref(&self) -> &Self::Target {
        self.child.as_ref().expect("the server process")
    }
}

impl DerefMut for BinaryServer {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.child.as_mut().expect("the server process")
    }
}

impl Drop for BinaryServer {
    fn drop(&mut self) {
        self.finish();
    }
}

/// 0 (TRACE) to 4 (ERROR) for a level name, any case.
pub fn level_rank(level: &str) -> Option<usize> {
    LEVELS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(level.trim()))
}

/// The level of a log line in the text (`<time> <LEVEL> …`) or JSON format.
fn line_level(line: &str) -> Option<usize> {
    if line.starts_with('{') {
        let parsed: Json = serde_json::from_str(line).ok()?;
        return level_rank(parsed["level"].as_str()?);
    }
    line.split_whitespace()
        .take(2)
        .find_map(|word| LEVELS.iter().position(|name| *name == word))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-0123456789";

    /// Runs `log` with a subscriber that feeds `guard` (not the process's guard).
    fn logged_into(guard: &'static Mutex<Guard>, log: impl FnOnce()) {
        let subscriber = tracing_subscriber::registry().with(Capture { guard });
        tracing::subscriber::with_default(subscriber, log);
    }

    fn local_guard() -> &'static Mutex<Guard> {
        Box::leak(Box::default())
    }

    fn violations(guard: &Mutex<Guard>) -> Vec<String> {
        guard.lock().unwrap().violations.clone()
    }

    #[test]
    fn a_secret_registered_before_an_event_is_caught_in_its_fields() {
        let guard = local_guard();
        guard.lock().unwrap().register("a password", SECRET);

        logged_into(guard, || {
            tracing::info!(user = "alice", "nothing secret here");
            tracing::warn!(password = SECRET, "login failed");
        });

        let found = violations(guard);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("password=[a password]"), "{found:?}");
        assert!(!found[0].contains(SECRET), "the report masks the secret");
    }

    #[test]
    fn a_secret_in_a_span_field_or_registered_after_the_event_is_caught() {
        let guard = local_guard();
        logged_into(guard, || {
            let span = tracing::info_span!("request", token = tracing::field::Empty);
            let _entered = span.enter();
            tracing::debug!("started");
            span.record("token", SECRET);
            tracing::trace!(detail = ?format!("debug text with {SECRET}"), "later");
        });
        assert!(violations(guard).is_empty(), "nothing is known yet");

        guard
            .lock()
            .unwrap()
            .register("an invitation token", SECRET);

        let found = violations(guard);
        assert_eq!(found.len(), 2, "the span record and the event: {found:?}");
        assert!(found.iter().all(|report| !report.contains(SECRET)));
    }

    #[test]
    fn an_unregistered_jwt_is_a_leak_and_short_values_are_not_secrets() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let guard = local_guard();
        logged_into(guard, || {
            tracing::info!("Bearer {jwt}");
            tracing::info!("id 1234567");
        });
        guard.lock().unwrap().register("a password", "1234567");

        let found = violations(guard);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("Bearer [a JWT]"), "{found:?}");
    }

    #[test]
    fn secrets_are_found_in_requests_responses_and_documents() {
        let before = GUARD.lock().unwrap().secrets.len();
        scan(&serde_json::json!({
            "input": { "login": "alice", "password": "a fine password" },
            "data": { "register": { "accessToken": "eyJ.access.token" },
                      "links": [{ "invitationLink": "http://x/invite/raw-invite-token-1" }] },
        }));
        scan_document(r#"mutation { acceptInvitation(token: "raw-invite-token-2") { id } }"#);

        let guard = GUARD.lock().unwrap();
        let added: Vec<&str> = guard.secrets[before..]
            .iter()
            .map(|(_, value)| value.as_str())
            .collect();
        for expected in [
            "a fine password",
            "eyJ.access.token",
            "raw-invite-token-1",
            "raw-invite-token-2",
        ] {
            assert!(
                added.contains(&expected),
                "{expected} missing from {added:?}"
            );
        }
    }

    #[test]
    fn levels_of_text_and_json_lines() {
        assert_eq!(
            line_level("2026-01-01T00:00:00.000Z  WARN doorman: hi"),
            Some(3)
        );
        assert_eq!(line_level(r#"{"level":"DEBUG","fields":{}}"#), Some(1));
        assert_eq!(line_level("    Caused by: x"), None);
        assert_eq!(
            strip_ansi("\u{1b}[2mtime\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m"),
            "time  INFO"
        );
    }
}
