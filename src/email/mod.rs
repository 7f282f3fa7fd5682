//! Outgoing mail: the transport chosen once at startup (SMTP through lettre, or `.eml` files),
//! the content of invitation and account emails (templates and the languages they are written
//! in), and the outbox worker that delivers them.

pub mod account_email;
pub mod invitation_email;
pub mod languages;
pub mod outbox;
pub mod samples;
pub mod templates;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;
use crate::db::redact_url;

/// The configured mail transport.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// How a send failed: worth retrying, or not.
#[derive(Debug)]
pub enum SendError {
    /// Connection refused, timeout, 4xx: try again later.
    Temporary(String),
    /// 5xx or a message the server can never take.
    Permanent(String),
}

impl SendError {
    pub fn message(&self) -> &str {
        match self {
            Self::Temporary(message) | Self::Permanent(message) => message,
        }
    }
}

/// The transport and the sender address.
#[derive(Clone)]
pub struct Outgoing {
    pub mailer: Mailer,
    pub from: Mailbox,
    /// Longest time one message may take: a few SMTP commands' worth of the command timeout.
    pub send_timeout: Duration,
}

impl Outgoing {
    /// Builds the transport from settings: SMTP when `smtp_url` is set, else the file transport.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|err| anyhow::anyhow!("DOORMAN_MAIL_FROM is not a mailbox: {err}"))?;
        let mailer = match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| {
                        anyhow::anyhow!("DOORMAN_SMTP_URL {} is not usable: {err}", redact_url(url))
                    })?
                    .timeout(Some(Duration::from_secs(settings.smtp_timeout_seconds)))
                    .build();
                tracing::info!(smtp = %redact_url(url), "mail goes to SMTP");
                Mailer::Smtp(transport)
            }
            None => {
                let folder = settings.mail_folder();
                std::fs::create_dir_all(&folder).map_err(|err| {
                    anyhow::anyhow!("cannot create the mail folder {}: {err}", folder.display())
                })?;
                tracing::info!(
                    folder = %folder.display(),
                    "no DOORMAN_SMTP_URL: mail is written as .eml files"
                );
                Mailer::File(AsyncFileTransport::<Tokio1Executor>::new(folder))
            }
        };
        Ok(Self {
            mailer,
            from,
            send_timeout: Duration::from_secs(settings.smtp_timeout_seconds.saturating_mul(4)),
        })
    }

    /// Sends one message. A send as a whole is bounded by [`Outgoing::send_timeout`]: lettre's
    /// own timeout covers connecting, not a server that accepts and then never answers.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match &self.mailer {
            Mailer::Smtp(transport) => {
                match tokio::time::timeout(self.send_timeout, transport.send(message)).await {
                    Err(_) => Err(SendError::Temporary(format!(
                        "the SMTP server did not finish within {} s",
                        self.send_timeout.as_secs()
                    ))),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(err)) if err.is_permanent() => {
                        Err(SendError::Permanent(err.to_string()))
                    }
                    Ok(Err(err)) => Err(SendError::Temporary(err.to_string())),
                }
            }
            Mailer::File(transport) => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|err| SendError::Temporary(err.to_string())),
        }
    }
}
