//! How long the log and personal data are kept ([`RetentionSettings`]). By default nothing is
//! removed; each setting turns one kind of removal on.

use clap::Args;

/// What the retention task removes, and how often it looks.
#[derive(Clone, Debug, Args)]
pub struct RetentionSettings {
    /// Days an organization's log events are kept; older ones are deleted. Unset: kept.
    #[arg(long, global = true, env = "DOORMAN_RETENTION_EVENTS_DAYS")]
    pub retention_events_days: Option<u32>,

    /// Days after an invitation closed without being accepted (cancelled, declined, or
    /// expired) before its personal data is erased: the invitee's email, the personal note,
    /// the last delivery error and its messages in the outbox. Unset: kept.
    #[arg(long, global = true, env = "DOORMAN_RETENTION_CLOSED_INVITATIONS_DAYS")]
    pub retention_closed_invitations_days: Option<u32>,

    /// Days a webhook delivery that was made or given up is kept (`webhookDeliveries` lists
    /// it, `redeliver` sends it again); older ones are deleted. Pending ones are always kept.
    /// Unset: kept.
    #[arg(long, global = true, env = "DOORMAN_RETENTION_WEBHOOK_DELIVERIES_DAYS")]
    pub retention_webhook_deliveries_days: Option<u32>,

    /// Seconds between two runs of the retention task (it also runs at start-up).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_RETENTION_INTERVAL_SECONDS",
        default_value_t = 3600
    )]
    pub retention_interval_seconds: u64,
}

impl RetentionSettings {
    /// Whether the task has anything to do.
    pub fn enabled(&self) -> bool {
        self.retention_events_days.is_some()
            || self.retention_closed_invitations_days.is_some()
            || self.retention_webhook_deliveries_days.is_some()
    }
}
