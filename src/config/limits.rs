//! The limits among the settings: on GraphQL requests ([`QueryLimits`]) and on how often
//! callers may act ([`RateLimits`], written as [`Rate`]s).

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;

/// Limits on GraphQL requests, checked before anything runs.
#[derive(Clone, Debug, Args)]
pub struct QueryLimits {
    /// Deepest nesting of selections (GraphiQL's introspection query needs 14).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_QUERY_DEPTH",
        default_value_t = 16
    )]
    pub max_query_depth: usize,

    /// Highest complexity: one per field, lists count their children `first` times.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_QUERY_COMPLEXITY",
        default_value_t = 5000
    )]
    pub max_query_complexity: usize,

    /// Most aliased fields in one operation, fragments expanded.
    #[arg(long, global = true, env = "DOORMAN_MAX_ALIASES", default_value_t = 15)]
    pub max_aliases: usize,

    /// Longest GraphQL document, in characters.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_DOCUMENT_CHARS",
        default_value_t = 15_000
    )]
    pub max_document_chars: usize,

    /// Most tokens (names, punctuation, values) in one document, counted before it is parsed.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_TOKENS",
        default_value_t = 2000
    )]
    pub max_tokens: usize,

    /// Most directives (`@include`, `@skip`, …) in one document.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_DIRECTIVES",
        default_value_t = 50
    )]
    pub max_directives: usize,

    /// Most fields in one document's operations, each fragment counted once per spread
    /// (GraphiQL's schema query has 230).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_FIELDS",
        default_value_t = 1000
    )]
    pub max_fields: usize,

    /// Most entity representations one request's `_entities` fields may name.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_ENTITIES",
        default_value_t = 100
    )]
    pub max_entities: usize,

    /// Most operations in one batch request.
    #[arg(long, global = true, env = "DOORMAN_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Answer introspection (`__schema`, `__type`); turn off in production if you like.
    #[arg(long, global = true, env = "DOORMAN_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
}

/// Rate limits and invitation quotas. The per-IP, per-account and per-identifier limits are
/// kept in each process; the organization quota, the resend cooldown and the pending cap are
/// counted in the database, so they hold across instances.
#[derive(Clone, Debug, Args)]
pub struct RateLimits {
    /// Apply the rate limits and quotas; `false` answers no request with `RATE_LIMITED` (the
    /// pending-invitation cap still holds).
    #[arg(long = "rate-limits", global = true, env = "DOORMAN_RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,

    /// `invitation(token:)`, `acceptInvitation` and `declineInvitation` calls per client IP,
    /// as `COUNT/PERIOD` (a burst of COUNT, refilled evenly over PERIOD: `30/1m`, `10/15m`,
    /// `10/1h`; periods in s, m, h or d).
    #[arg(
        long = "rate-limit-token-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_TOKEN_PER_IP",
        default_value = "30/1m"
    )]
    pub token_per_ip: Rate,

    /// The same calls per signed-in account.
    #[arg(
        long = "rate-limit-token-per-account",
        global = true,
        env = "DOORMAN_RATE_LIMIT_TOKEN_PER_ACCOUNT",
        default_value = "30/1m"
    )]
    pub token_per_account: Rate,

    /// `login` calls per client IP.
    #[arg(
        long = "rate-limit-login-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_LOGIN_PER_IP",
        default_value = "50/15m"
    )]
    pub login_per_ip: Rate,

    /// `login` calls per login identifier (the email or username, lower-cased), from any IP.
    #[arg(
        long = "rate-limit-login-per-identifier",
        global = true,
        env = "DOORMAN_RATE_LIMIT_LOGIN_PER_IDENTIFIER",
        default_value = "10/15m"
    )]
    pub login_per_identifier: Rate,

    /// `register` calls per client IP.
    #[arg(
        long = "rate-limit-register-per-ip",
        global = true,
        env = "DOORMAN_RATE_LIMIT_REGISTER_PER_IP",
        default_value = "10/1h"
    )]
    pub register_per_ip: Rate,

    /// `createOrgInvites`, `createInviteLink`, `createRegistrationInvite` and `resend` calls
    /// per account.
    #[arg(
        long = "rate-limit-invites-per-account",
        global = true,
        env = "DOORMAN_RATE_LIMIT_INVITES_PER_ACCOUNT",
        default_value = "60/1m"
    )]
    pub invites_per_account: Rate,

    /// Invitations an organization may create in any 24 hours, once it is
    /// `DOORMAN_NEW_ORG_DAYS` old.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_ORG_INVITATIONS_PER_DAY",
        default_value_t = 500
    )]
    pub org_invitations_per_day: u32,

    /// Invitations a younger organization may create in any 24 hours.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NEW_ORG_INVITATIONS_PER_DAY",
        default_value_t = 50
    )]
    pub new_org_invitations_per_day: u32,

    /// Days an organization counts as new (with the smaller daily quota).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_NEW_ORG_DAYS",
        default_value_t = 30
    )]
    pub new_org_days: u32,

    /// Seconds after an invitation was sent (created or last resent) before `resend` may send
    /// it again; 0 turns the cooldown off.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_RESEND_COOLDOWN_SECONDS",
        default_value_t = 60
    )]
    pub resend_cooldown_seconds: u64,

    /// Invitations of one organization that recipients may report as not meant for them
    /// (`reportWrongRecipient`) in any 24 hours before it may invite no more until they age
    /// out: a sign of mistyped lists or of spam.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_WRONG_RECIPIENT_REPORTS_PER_DAY",
        default_value_t = 10
    )]
    pub wrong_recipient_reports_per_day: u32,

    /// Most pending invitations (open links included) one organization may have.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_MAX_PENDING_INVITATIONS",
        default_value_t = 1000
    )]
    pub max_pending_invitations: u64,
}

impl RateLimits {
    /// The rate limits with their settings' names.
    pub fn rates(&self) -> [(&'static str, Rate); 6] {
        [
            ("DOORMAN_RATE_LIMIT_TOKEN_PER_IP", self.token_per_ip),
            (
                "DOORMAN_RATE_LIMIT_TOKEN_PER_ACCOUNT",
                self.token_per_account,
            ),
            ("DOORMAN_RATE_LIMIT_LOGIN_PER_IP", self.login_per_ip),
            (
                "DOORMAN_RATE_LIMIT_LOGIN_PER_IDENTIFIER",
                self.login_per_identifier,
            ),
            ("DOORMAN_RATE_LIMIT_REGISTER_PER_IP", self.register_per_ip),
            (
                "DOORMAN_RATE_LIMIT_INVITES_PER_ACCOUNT",
                self.invites_per_account,
            ),
        ]
    }
}

/// Most calls a rate limit may allow per period.
pub const MAX_RATE_COUNT: u32 = 1_000_000;
/// Longest period of a rate limit.
pub const MAX_RATE_PERIOD: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A rate limit: a burst of `count` calls, refilled evenly over `period` (`10/15m` allows 10
/// calls at once, then one more every 90 seconds). Written `COUNT/PERIOD`, the period as a
/// number and a unit (`s`, `m`, `h`, `d`; `1m` may be written `m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: Duration,
}

impl Rate {
    /// `count` calls per `period`. Panics when either is zero: use it with constants.
    pub const fn new(count: u32, period: Duration) -> Self {
        assert!(!period.is_zero(), "a rate needs a period");
        match NonZeroU32::new(count) {
            Some(count) => Self { count, period },
            None => panic!("a rate needs a count of at least 1"),
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("{text:?} is not a rate like 30/1m, 10/15m or 10/1h");
        let (count, period) = text.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let count = NonZeroU32::new(count).ok_or_else(invalid)?;
        let period = period.trim();
        let digits = period.len()
            - period
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let (amount, unit) = period.split_at(digits);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| invalid())?
        };
        let unit_seconds = match unit.trim() {
            "s" => 1,
            "m" => 60,
            "h" => 60 * 60,
            "d" => 24 * 60 * 60,
            _ => return Err(invalid()),
        };
        let seconds = amount
            .checked_mul(unit_seconds)
            .filter(|s| *s > 0)
            .ok_or_else(invalid)?;
        Ok(Self {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.period.as_secs();
        let (amount, unit) = [(86_400, "d"), (3600, "h"), (60, "m")]
            .into_iter()
            .find(|(unit, _)| seconds.is_multiple_of(*unit))
            .map_or((seconds, "s"), |(unit, name)| (seconds / unit, name));
        write!(f, "{}/{amount}{unit}", self.count)
    }
}

/// The defaults are the ones the flags declare (`default_value_t`), read by clap from an empty
/// command line with no environment, so each is written once.
pub(super) fn defaults<T: clap::FromArgMatches + Args>() -> T {
    let command = T::augment_args(clap::Command::new("doorman")).mut_args(|arg| arg.env(None));
    T::from_arg_matches(&command.get_matches_from(["doorman"]))
        .expect("the declared defaults parse")
}

impl Default for QueryLimits {
    fn default() -> Self {
        defaults()
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_from_count_and_period_and_print_back() {
        let rate: Rate = "10/15m".parse().unwrap();
        assert_eq!(rate, Rate::new(10, Duration::from_secs(900)));
        assert_eq!(rate.to_string(), "10/15m");
        assert_eq!("30/m".parse::<Rate>().unwrap().to_string(), "30/1m");
        assert_eq!("10/1h".parse::<Rate>().unwrap().period.as_secs(), 3600);
        assert_eq!("5 / 90s".parse::<Rate>().unwrap().to_string(), "5/90s");
        for bad in ["0/1m", "10", "10/", "10/0m", "10/1w", "x/1m"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} parsed");
        }
    }
}
