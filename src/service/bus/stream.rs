//! The JetStream stream of events: its settings, and making it when it is missing (at
//! start-up, and whenever the relay or a reader finds it gone).

use std::time::Duration;

use async_nats::jetstream::{self, stream};

/// How long the stream keeps events.
const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Within this window JetStream drops a message whose event id it has stored already.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The stream named by `DOORMAN_NATS_STREAM`, on subject `<stream>.events`.
pub(super) struct EventStream {
    pub jetstream: jetstream::Context,
    pub name: String,
    pub subject: String,
}

impl EventStream {
    pub fn new(jetstream: jetstream::Context, name: &str) -> Self {
        Self {
            jetstream,
            name: name.to_owned(),
            subject: format!("{name}.events"),
        }
    }

    /// The stream, made with Doorman's settings if it is missing.
    pub async fn open(&self) -> anyhow::Result<stream::Stream> {
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: self.name.clone(),
                subjects: vec![self.subject.clone()],
                max_age: MAX_AGE,
                duplicate_window: DUPLICATE_WINDOW,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|err| anyhow::anyhow!("cannot open the JetStream stream {}: {err}", self.name))
    }
}
