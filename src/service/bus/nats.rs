//! The event bus through NATS JetStream (`DOORMAN_NATS_URL`): the relay
//! ([`relay`](super::relay)) publishes committed events to the stream's subject, and every
//! instance reads that subject with an ordered consumer and hands each event, once, to its
//! subscribers.
//!
//! The stream keeps events for a day, so a consumer that lost its connection to NATS picks up
//! after the last message it saw instead of losing what was published meanwhile. An instance
//! starts reading at the stream's end: subscriptions live in the process and start empty.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use tokio::sync::{Notify, broadcast};

use super::event::BusEvent;
use super::relay::Relay;
use crate::config::ClusterSettings;
use crate::telemetry::Metrics;

/// How long the stream keeps events.
const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Within this window JetStream drops a message whose event id it has stored already.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How many recent event ids each instance remembers to drop repeats.
const SEEN_KEPT: usize = 65_536;
/// How long the feed waits after losing the stream before it asks again.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// What the bus needs to start on NATS.
pub(super) struct Start<'a> {
    pub settings: &'a ClusterSettings,
    pub url: &'a str,
    pub db: sea_orm::DatabaseConnection,
    pub database_url: &'a str,
    pub sender: broadcast::Sender<BusEvent>,
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
    let jetstream = jetstream::new(client);
    let name = &start.settings.nats_stream;
    let subject = format!("{name}.events");
    let stream = jetstream
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            max_age: MAX_AGE,
            duplicate_window: DUPLICATE_WINDOW,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|err| {
            anyhow::anyhow!("cannot open the JetStream stream {name} at {redacted}: {err}")
        })?;
    let messages = read_from(&stream, &subject, consumer::DeliverPolicy::New).await?;
    tracing::info!(nats = %redacted, stream = %name, "events cross instances through NATS JetStream");
    let feed = Feed {
        stream: stream.clone(),
        subject: subject.clone(),
        sender: start.sender,
        seen: Seen::default(),
        next: None,
        metrics: Arc::clone(&start.metrics),
    };
    tokio::spawn(feed.run(messages));
    let relay = Relay {
        db: start.db,
        database_url: start.database_url.to_owned(),
        jetstream,
        stream,
        subject,
        wakeup: start.wakeup,
        interval: Duration::from_millis(start.settings.nats_relay_interval_ms),
        metrics: start.metrics,
    };
    tokio::spawn(relay.run());
    Ok(())
}

type Messages = consumer::pull::Ordered;

/// An ordered consumer of `subject` from `policy` on: it follows the stream in order and
/// recreates itself after a gap or a lost connection.
async fn read_from(
    stream: &stream::Stream,
    subject: &str,
    deliver_policy: consumer::DeliverPolicy,
) -> anyhow::Result<Messages> {
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy,
            filter_subject: subject.to_owned(),
            ..Default::default()
        })
        .await?;
    Ok(consumer.messages().await?)
}

/// This instance's reader of the stream.
struct Feed {
    stream: stream::Stream,
    subject: String,
    sender: broadcast::Sender<BusEvent>,
    seen: Seen,
    /// The stream sequence after the last message read.
    next: Option<u64>,
    metrics: Arc<Metrics>,
}

impl Feed {
    /// Reads until the process ends; after a failure, reads again after the last message.
    async fn run(mut self, mut messages: Messages) {
        loop {
            while let Some(message) = messages.next().await {
                match message {
                    Ok(message) => self.hand_on(&message),
                    Err(err) => {
                        tracing::warn!(error = %err, "reading events from NATS failed");
                        break;
                    }
                }
            }
            loop {
                tokio::time::sleep(AFTER_FAILURE).await;
                let policy = match self.next {
                    Some(start_sequence) => {
                        consumer::DeliverPolicy::ByStartSequence { start_sequence }
                    }
                    None => consumer::DeliverPolicy::New,
                };
                match read_from(&self.stream, &self.subject, policy).await {
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

    /// Hands an event to this instance's subscribers unless they had it already.
    fn hand_on(&mut self, message: &jetstream::Message) {
        if let Ok(info) = message.info() {
            self.next = Some(info.stream_sequence + 1);
        }
        let event: BusEvent = match serde_json::from_slice(&message.payload) {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(error = %err, "malformed event on NATS");
                return;
            }
        };
        if self.seen.first_time(event.id) {
            let _ = self.sender.send(event);
        } else {
            self.metrics.event_duplicates_dropped.inc();
        }
    }
}

/// The ids of the last [`SEEN_KEPT`] events handed on.
#[derive(Default)]
struct Seen {
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
