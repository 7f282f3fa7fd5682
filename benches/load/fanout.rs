//! Subscription fan-out: many WebSocket connections (`graphql-transport-ws`), each with one
//! `invitationAccepted` subscription to the same organization; then acceptances, one at a
//! time, timed from the accept's HTTP response to each subscriber's event.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::workloads::SUBSCRIBE;

struct Shared {
    base: Instant,
    /// Per subscriber: when its latest event arrived (ns after `base`), 0 = none this round.
    received: Vec<AtomicU64>,
    /// Per subscriber: how many events it has had.
    events: Vec<AtomicU64>,
    count: AtomicUsize,
    all_in: Notify,
    errors: AtomicUsize,
    first_error: std::sync::Mutex<Option<String>>,
}

/// Open subscriptions; dropping it closes them.
pub struct Subscribers {
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// One acceptance as the subscribers saw it.
#[derive(Clone, Debug)]
pub struct Round {
    pub received: usize,
    /// Milliseconds from the accept's response to each subscriber's event, sorted.
    pub latencies_ms: Vec<f64>,
}

impl Subscribers {
    /// Opens `count` connections, subscriber `i` to server `i % addrs.len()`, at most 256
    /// handshakes at a time, each authenticating as `bearer` and subscribing to `org`'s
    /// acceptances.
    pub async fn open(
        addrs: &[SocketAddr],
        count: usize,
        org: &str,
        bearer: &str,
    ) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            base: Instant::now(),
            received: (0..count).map(|_| AtomicU64::new(0)).collect(),
            events: (0..count).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicUsize::new(0),
            all_in: Notify::new(),
            errors: AtomicUsize::new(0),
            first_error: std::sync::Mutex::new(None),
        });
        let handshakes = Arc::new(Semaphore::new(256));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<anyhow::Result<()>>(count);
        let init = Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": bearer } })
                .to_string(),
        );
        let subscribe = Message::text(
            json!({ "id": "1", "type": "subscribe",
                    "payload": { "query": SUBSCRIBE, "variables": { "org": org } } })
            .to_string(),
        );
        let mut tasks = Vec::with_capacity(count);
        for index in 0..count {
            let addr = addrs[index % addrs.len()];
            let shared = Arc::clone(&shared);
            let handshakes = Arc::clone(&handshakes);
            let ready_tx = ready_tx.clone();
            let (init, subscribe) = (init.clone(), subscribe.clone());
            tasks.push(tokio::spawn(async move {
                let permit = handshakes.acquire_owned().await;
                let opened = open_one(addr, init, subscribe).await;
                drop(permit);
                let mut socket = match opened {
                    Ok(socket) => {
                        let _ = ready_tx.send(Ok(())).await;
                        drop(ready_tx);
                        socket
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err)).await;
                        return;
                    }
                };
                while let Some(message) = socket.next().await {
                    let Ok(message) = message else { break };
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let text = text.as_str();
                    if text.contains(r#""type":"next""#) {
                        if text.contains(r#""errors""#) {
                            shared.note_error(text);
                            continue;
                        }
                        let nanos = shared.base.elapsed().as_nanos() as u64;
                        shared.received[index].store(nanos.max(1), Ordering::Relaxed);
                        shared.events[index].fetch_add(1, Ordering::Relaxed);
                        if shared.count.fetch_add(1, Ordering::AcqRel) + 1 == count {
                            shared.all_in.notify_one();
                        }
                    } else if text.contains(r#""type":"ping""#) {
                        let _ = socket
                            .send(Message::text(r#"{"type":"pong"}"#.to_owned()))
                            .await;
                    } else if text.contains(r#""type":"error""#)
                        || text.contains(r#""type":"complete""#)
                    {
                        shared.note_error(text);
                    }
                }
            }));
        }
        drop(ready_tx);
        let mut opened = 0;
        while opened < count {
            let Some(result) = ready_rx.recv().await else {
                break;
            };
            result.context("a subscriber could not connect")?;
            opened += 1;
        }
        anyhow::ensure!(
            opened == count,
            "only {opened} of {count} subscribers connected"
        );
        Ok(Self { shared, tasks })
    }

    /// Forgets the previous round.
    pub fn reset(&self) {
        for slot in &self.shared.received {
            slot.store(0, Ordering::Relaxed);
        }
        self.shared.count.store(0, Ordering::Release);
    }

    /// Waits (up to `timeout`) for every subscriber's event of this round.
    pub async fn wait(&self, timeout: Duration) {
        let total = self.shared.received.len();
        let deadline = tokio::time::Instant::now() + timeout;
        while self.shared.count.load(Ordering::Acquire) < total {
            let wait = self.shared.all_in.notified();
            if self.shared.count.load(Ordering::Acquire) >= total {
                break;
            }
            if tokio::time::timeout_at(deadline, wait).await.is_err() {
                break;
            }
        }
    }

    /// This round's deliveries, in milliseconds after `since` (when the accept was sent, or
    /// when its response arrived; an event before that counts as 0).
    pub fn round(&self, since: Instant) -> Round {
        let since = since.duration_since(self.shared.base).as_nanos() as u64;
        let mut latencies_ms: Vec<f64> = self
            .shared
            .received
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|nanos| *nanos > 0)
            .map(|nanos| nanos.saturating_sub(since) as f64 / 1e6)
            .collect();
        latencies_ms.sort_by(f64::total_cmp);
        Round {
            received: latencies_ms.len(),
            latencies_ms,
        }
    }

    /// How many events each subscriber has had.
    pub fn counts(&self) -> Vec<u64> {
        self.shared
            .events
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }

    /// Waits until subscriber `i` has had `expected(i)` events, or until no event has come
    /// for `quiet` (delivering thousands of events to thousands of subscribers takes a while;
    /// what stops arriving is missed).
    pub async fn wait_for_counts(&self, expected: impl Fn(usize) -> u64, quiet: Duration) {
        let mut last_total = 0;
        let mut last_progress = Instant::now();
        loop {
            let counts = self.counts();
            if counts
                .iter()
                .enumerate()
                .all(|(index, count)| *count >= expected(index))
            {
                return;
            }
            let total: u64 = counts.iter().sum();
            if total != last_total {
                (last_total, last_progress) = (total, Instant::now());
            } else if last_progress.elapsed() >= quiet {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn errors(&self) -> (usize, Option<String>) {
        (
            self.shared.errors.load(Ordering::Relaxed),
            self.shared.first_error.lock().unwrap().clone(),
        )
    }

    pub async fn close(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

impl Shared {
    fn note_error(&self, text: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap();
        first.get_or_insert_with(|| text.chars().take(400).collect());
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_one(addr: SocketAddr, init: Message, subscribe: Message) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    socket.send(init).await?;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no connection_ack within 30 s")?
            .context("closed before connection_ack")??;
        if let Message::Text(text) = &message {
            if text.as_str().contains("connection_ack") {
                break;
            }
            anyhow::bail!(
                "unexpected message before connection_ack: {}",
                text.as_str()
            );
        }
        if let Message::Close(frame) = message {
            anyhow::bail!("closed before connection_ack: {frame:?}");
        }
    }
    socket.send(subscribe).await?;
    Ok(socket)
}
