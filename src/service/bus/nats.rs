//! The event bus through NATS JetStream (`DOORMAN_NATS_URL`): the relay
//! ([`relay`](super::relay)) publishes committed events to the stream's subject, and every
//! instance reads that subject with an ordered consumer and hands each event, once, to its
//! subscribers. The events an instance commits itself reach its own subscribers at once (and
//! while NATS is away); their copy from the stream is then dropped as a repeat.
//!
//! The stream keeps events for a day, so a consumer that lost its connection to NATS picks up
//! after the last message it saw instead of losing what was published meanwhile (or, if the
//! stream was made anew, from its beginning). An instance starts reading at the stream's end:
//! subscriptions live in the process and start empty.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use tokio::sync::Notify;

use super::event::BusEvent;
use super::fanout::Fanout;
use super::relay::Relay;
use super::stream::EventStream;
use crate::config::ClusterSettings;
use crate::telemetry::Metrics;

/// How many recent event ids each instance remembers to drop repeats.
const SEEN_KEPT: usize = 65_536;
/// How long the feed waits after losing the stream before it asks again.
const AFTER_FAILURE: Duration = Duration::from_secs(1);
/// How often the feed checks that its stream is still the one it reads.
const STREAM_CHECK: Duration = Duration::from_secs(2);

/// What the bus needs to start on NATS.
pub(super) struct Start<'a> {
    pub settings: &'a ClusterSettings,
    pub url: &'a str,
    pub db: sea_orm::DatabaseConnection,
    pub database_url: &'a str,
    pub sender: Fanout,
    pub seen: Arc<Mutex<Seen>>,
    pub wakeup: Arc<Notify>,
    pub metrics: Arc<Metrics>,
}

/// Connects, makes the stream if it is missing, starts reading it and starts the relay. The
/// instance is reading before this returns, so a subscriber that comes after misses nothing.
pub(super) async fn start(start: Start<'_>) -> anyhow::Result<()> {
    let redacted = crate::db::redact_url(start.url);
    let client = async_nats::ConnectOptions::new()
        .name("doorman")
        .connect(start.url)
        .await
        .map_err(|err| anyhow::anyhow!("cannot connect to NATS at {redacted}: {err}"))?;
    let events = EventStream::new(jetstream::new(client), &start.settings.nats_stream);
    let stream = events
        .open()
        .await
        .map_err(|err| anyhow::anyhow!("{err} at {redacted}"))?;
    let next = stream.get_info().await?.state.last_sequence + 1;
    let messages = read_from(&stream, &events.subject, next).await?;
    tracing::info!(nats = %redacted, stream = %events.name, "events cross instances through NATS JetStream");
    let feed = Feed {
        events: EventStream::new(events.jetstream.clone(), &events.name),
        sender: start.sender,
        seen: start.seen,
        next,
        metrics: Arc::clone(&start.metrics),
    };
    tokio::spawn(feed.run(messages));
    let relay = Relay {
        db: start.db,
        database_url: start.database_url.to_owned(),
        stream: events,
        wakeup: start.wakeup,
        interval: Duration::from_millis(start.settings.nats_relay_interval_ms),
        metrics: start.metrics,
    };
    tokio::spawn(relay.run());
    Ok(())
}

type Messages = consumer::pull::Ordered;

/// An ordered consumer of `subject` from stream sequence `start_sequence` on: it follows the
/// stream in order and recreates itself after a gap or a lost connection.
async fn read_from(
    stream: &stream::Stream,
    subject: &str,
    start_sequence: u64,
) -> anyhow::Result<Messages> {
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence },
            filter_subject: subject.to_owned(),
            ..Default::default()
        })
        .await?;
    Ok(consumer.messages().await?)
}

/// This instance's reader of the stream.
struct Feed {
    events: EventStream,
    sender: Fanout,
    seen: Arc<Mutex<Seen>>,
    /// The stream sequence after the last message read.
    next: u64,
    metrics: Arc<Metrics>,
}

impl Feed {
    /// Reads until the process ends; after a failure, or when the stream was made anew, reads
    /// again after the last message.
    async fn run(mut self, mut messages: Messages) {
        let mut check = tokio::time::interval(STREAM_CHECK);
        loop {
            loop {
                tokio::select! {
                    message = messages.next() => match message {
                        Some(Ok(message)) => self.hand_on(&message),
                        Some(Err(err)) => {
                            tracing::warn!(error = %err, "reading events from NATS failed");
                            break;
                        }
                        None => break,
                    },
                    _ = check.tick() => if self.stream_replaced().await {
                        tracing::warn!(stream = %self.events.name, "the event stream was made anew; reading it from its start");
                        break;
                    },
                }
            }
            loop {
                tokio::time::sleep(AFTER_FAILURE).await;
                match self.read_again().await {
                    Ok(again) => {
                        messages = again;
                        break;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read events from NATS; retrying")
                    }
                }
            }
        }
    }

    /// Whether the stream is gone or was made anew since this reader's last message (its
    /// sequence is behind): the consumer would wait for a sequence that may never come.
    async fn stream_replaced(&self) -> bool {
        let Ok(stream) = self.events.jetstream.get_stream(&self.events.name).await else {
            return true;
        };
        stream
            .get_info()
            .await
            .is_ok_and(|info| info.state.last_sequence + 1 < self.next)
    }

    /// A consumer after the last message read; from the beginning of a stream that was made
    /// anew since (its sequence is behind this reader's), whose repeats are then dropped.
    async fn read_again(&mut self) -> anyhow::Result<Messages> {
        let stream = self.events.open().await?;
        let state = stream.get_info().await?.state;
        if self.next > state.last_sequence + 1 {
            self.next = state.first_sequence.max(1);
        }
        read_from(&stream, &self.events.subject, self.next).await
    }

    /// Hands an event to this instance's subscribers unless they had it already.
    fn hand_on(&mut self, message: &jetstream::Message) {
        if let Ok(info) = message.info() {
            self.next = info.stream_sequence + 1;
        }
        let event: BusEvent = match serde_json::from_slice(&message.payload) {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(error = %err, "malformed event on NATS");
                return;
            }
        };
        if first_time(&self.seen, event.id) {
            self.sender.send(event);
        } else {
            self.metrics.event_duplicates_dropped.inc();
        }
    }
}

/// True the first time event `id` comes to this instance.
pub(super) fn first_time(seen: &Mutex<Seen>, id: i64) -> bool {
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .first_time(id)
}

/// The ids of the last [`SEEN_KEPT`] events handed on.
#[derive(Default)]
pub(super) struct Seen {
    ids: HashSet<i64>,
    order: VecDeque<i64>,
}

impl Seen {
    /// True the first time `id` comes.
    fn first_time(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        if self.order.len() == SEEN_KEPT
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.order.push_back(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{SEEN_KEPT, Seen};

    #[test]
    fn a_repeated_event_is_dropped_while_it_is_remembered() {
        let mut seen = Seen::default();
        assert!(seen.first_time(1));
        assert!(!seen.first_time(1));
        for id in 2..=SEEN_KEPT as i64 {
            assert!(seen.first_time(id));
        }
        assert!(!seen.first_time(1), "still among the last {SEEN_KEPT}");
        assert!(seen.first_time(SEEN_KEPT as i64 + 1));
        assert!(
            seen.first_time(1),
            "forgotten once {SEEN_KEPT} came after it"
        );
        assert_eq!(seen.ids.len(), SEEN_KEPT);
    }
}
