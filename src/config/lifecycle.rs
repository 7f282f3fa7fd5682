//! Settings of the invitation lifecycle ([`LifecycleSettings`]): the expiry sweep and its
//! reminder, where invitees may be sent after accepting, when a link counts as leaked, and how
//! long an expiry may be ([`MaxExpiry`]).

use std::fmt;
use std::str::FromStr;

use clap::Args;

use super::limits::Rate;

/// The expiry sweep, reminders, redirects and the leaked-link pause.
#[derive(Clone, Debug, Args)]
pub struct LifecycleSettings {
    /// Seconds between two runs of the expiry sweep: it marks
    /// invitations past their expiry `EXPIRED`, with an event, and sends due reminders.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_EXPIRY_SWEEP_SECONDS",
        default_value_t = 60
    )]
    pub expiry_sweep_seconds: u64,

    /// Hours before an emailed invitation expires when its invitee gets one reminder (with a
    /// new link; the earlier one stops working). Unset: no reminders.
    #[arg(long, global = true, env = "DOORMAN_REMINDER_BEFORE_HOURS")]
    pub reminder_before_hours: Option<u32>,

    /// Origins an invitation's `redirectUrl` may point to (comma-separated, like
    /// `https://app.example.com`); none by default, so `redirectUrl` is refused.
    #[arg(long, global = true, env = "DOORMAN_REDIRECT_ORIGINS", value_delimiter = ',', value_parser = super::origins::parse_origin_text)]
    pub redirect_origins: Vec<String>,

    /// Where the invitation page sends someone who joined through an invitation without a
    /// `redirectUrl` (an absolute http or https URL); unset: the page says they joined.
    #[arg(long, global = true, env = "DOORMAN_INVITE_SUCCESS_URL", value_parser = parse_http_url)]
    pub invite_success_url: Option<String>,

    /// A link redeemed this often (`COUNT/PERIOD`: COUNT redemptions within PERIOD) is paused
    /// as leaked, with an event that says so; an admin resumes it. Off with
    /// `DOORMAN_RATE_LIMITS=false`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_LINK_PAUSE_RATE",
        default_value = "100/10m"
    )]
    pub link_pause_rate: Rate,
}

/// An absolute `http(s)` URL.
fn parse_http_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|err| format!("{text:?}: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} is not an http or https URL"));
    }
    Ok(url.into())
}

/// The longest expiry a request may ask for: a number of days, or `none` to also allow links
/// that never expire (email invitations then stay bounded by [`MaxExpiry::UNBOUNDED_DAYS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxExpiry {
    Days(u32),
    None,
}

impl MaxExpiry {
    /// The bound on a dated expiry when the setting is `none`: ten years.
    pub const UNBOUNDED_DAYS: u32 = 3650;

    /// Most days ahead a dated expiry may be.
    pub fn days(self) -> u32 {
        match self {
            Self::Days(days) => days,
            Self::None => Self::UNBOUNDED_DAYS,
        }
    }

    /// Whether a link may have no expiry at all.
    pub fn allows_never(self) -> bool {
        self == Self::None
    }
}

impl FromStr for MaxExpiry {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        text.parse().map(Self::Days).map_err(|_| {
            format!("{text:?} is neither a number of days nor \"none\" (links may never expire)")
        })
    }
}

impl fmt::Display for MaxExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Days(days) => write!(f, "{days}"),
            Self::None => f.write_str("none"),
        }
    }
}
