//! Rate limits (GCRA): one cell per call of a limited resolver, keyed by client IP, account or
//! login identifier. In process (`governor`), per instance, unless `DOORMAN_REDIS_URL` names a
//! Redis that every instance shares (`service::shared_limits`). The database-backed quotas are
//! in `service::invitations::quotas`. In-process keys that have refilled are dropped by
//! [`sweep`]; Redis expires its own.

use std::fmt::Display;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::Viewer;
use crate::config::{Rate, RateLimits};
use crate::error::{AppError, whole_seconds};
use crate::service::shared_limits::SharedLimits;

/// How often [`sweep`] forgets keys whose limits have refilled.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// Login identifiers are keys up to this many characters (longer ones cannot be accounts).
const MAX_IDENTIFIER_CHARS: usize = 320;

/// A call that takes one cell of the limits that apply to it.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// `invitation(token:)`, `acceptInvitation`, `declineInvitation`: per IP and per account.
    UseToken,
    /// `login`: per IP and per login identifier.
    Login { login: &'a str },
    /// `register`: per IP.
    Register,
    /// `createOrgInvites`, `createInviteLink`, `createRegistrationInvite`, `resend`: per account.
    Invite,
}

/// The client's IP address, as the transport resolved it (`http::client_ip`); request data
/// next to the `Viewer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientIp(pub std::net::IpAddr);

/// Every in-process limiter, built once from the settings; the transport owns them and hands
/// them to the schema.
pub struct RateLimiters {
    enabled: bool,
    /// The store every instance shares; `None`: the in-process limiters below.
    shared: Option<SharedLimits>,
    token_per_ip: Limit<IpAddr>,
    token_per_account: Limit<i64>,
    login_per_ip: Limit<IpAddr>,
    login_per_identifier: Limit<String>,
    register_per_ip: Limit<IpAddr>,
    invites_per_account: Limit<i64>,
}

impl RateLimiters {
    pub fn new(settings: &RateLimits, shared: Option<SharedLimits>) -> Self {
        Self {
            enabled: settings.enabled,
            shared,
            token_per_ip: Limit::new(
                "token_ip",
                settings.token_per_ip,
                "too many invitation lookups from your network",
            ),
            token_per_account: Limit::new(
                "token_account",
                settings.token_per_account,
                "too many invitation lookups from your account",
            ),
            login_per_ip: Limit::new(
                "login_ip",
                settings.login_per_ip,
                "too many sign-in attempts from your network",
            ),
            login_per_identifier: Limit::new(
                "login_identifier",
                settings.login_per_identifier,
                "too many sign-in attempts for this account",
            ),
            register_per_ip: Limit::new(
                "register_ip",
                settings.register_per_ip,
                "too many registrations from your network",
            ),
            invites_per_account: Limit::new(
                "invites_account",
                settings.invites_per_account,
                "too many invitation requests from your account",
            ),
        }
    }

    /// Takes one cell of each limit `action` counts against, the client's IP first, so that
    /// refused callers do not create keys for the other limits. `RATE_LIMITED` when one is empty.
    pub async fn check(
        &self,
        action: Action<'_>,
        client: ClientIp,
        viewer: &Viewer,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let ip = ip_key(client.0);
        match (action, viewer.user_id()) {
            (Action::UseToken, account) => {
                self.take(&self.token_per_ip, &ip).await?;
                match account {
                    Some(id) => self.take(&self.token_per_account, &id).await,
                    None => Ok(()),
                }
            }
            (Action::Login { login }, _) => {
                self.take(&self.login_per_ip, &ip).await?;
                self.take(&self.login_per_identifier, &identifier_key(login))
                    .await
            }
            (Action::Register, _) => self.take(&self.register_per_ip, &ip).await,
            (Action::Invite, Some(id)) => self.take(&self.invites_per_account, &id).await,
            (Action::Invite, None) => Ok(()),
        }
    }

    /// One cell of `limit` for `key`: from the shared store when there is one and it answers,
    /// else from this process's.
    async fn take<K: Hash + Eq + Clone + Display>(
        &self,
        limit: &Limit<K>,
        key: &K,
    ) -> Result<(), AppError> {
        if let Some(shared) = &self.shared {
            let taken = shared
                .take(limit.name, limit.rate, &key.to_string(), limit.refusal)
                .await?;
            if taken.is_some() {
                return Ok(());
            }
        }
        limit.check(key)
    }

    /// Forgets keys whose limits have refilled completely (they behave as new ones).
    pub fn retain_recent(&self) {
        self.token_per_ip.retain_recent();
        self.token_per_account.retain_recent();
        self.login_per_ip.retain_recent();
        self.login_per_identifier.retain_recent();
        self.register_per_ip.retain_recent();
        self.invites_per_account.retain_recent();
    }

    /// Keys held across all limits.
    pub fn len(&self) -> usize {
        self.token_per_ip.limiter.len()
            + self.token_per_account.limiter.len()
            + self.login_per_ip.limiter.len()
            + self.login_per_identifier.limiter.len()
            + self.register_per_ip.limiter.len()
            + self.invites_per_account.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs [`RateLimiters::retain_recent`] every minute until `stopping` turns true, so memory
/// stays bounded by the keys seen within the longest refill period.
pub async fn sweep(limits: Arc<RateLimiters>, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => limits.retain_recent(),
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
    }
}

/// One keyed limiter and the words of its refusal.
struct Limit<K: Hash + Eq + Clone> {
    /// Its name in the shared store's keys.
    name: &'static str,
    rate: Rate,
    limiter: DefaultKeyedRateLimiter<K>,
    refusal: &'static str,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(name: &'static str, rate: Rate, refusal: &'static str) -> Self {
        let interval = (rate.period / rate.count.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(rate.count))
            .allow_burst(rate.count);
        Self {
            name,
            rate,
            limiter: RateLimiter::keyed(quota),
            refusal,
        }
    }

    fn check(&self, key: &K) -> Result<(), AppError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let seconds = whole_seconds(not_until.wait_time_from(self.limiter.clock().now()));
            tracing::info!(limit = self.refusal, retry_after = seconds, "rate limited");
            AppError::rate_limited(
                format!("{}; try again in {seconds} seconds", self.refusal),
                seconds,
            )
        })
    }

    fn retain_recent(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// IPv4 addresses are their own key; IPv6 clients share one per /64, the block a single
/// subscriber usually gets.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The login as the account lookup reads it: trimmed and lower-cased.
fn identifier_key(login: &str) -> String {
    login
        .trim()
        .chars()
        .take(MAX_IDENTIFIER_CHARS)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiters(configure: impl FnOnce(&mut RateLimits)) -> RateLimiters {
        let mut settings = RateLimits::default();
        configure(&mut settings);
        RateLimiters::new(&settings, None)
    }

    fn client(ip: &str) -> ClientIp {
        ClientIp(ip.parse().unwrap())
    }

    #[tokio::test]
    async fn a_burst_passes_then_the_next_call_waits_for_one_refill() {
        let limits = limiters(|s| s.register_per_ip = Rate::new(3, Duration::from_secs(3600)));
        for _ in 0..3 {
            limits
                .check(Action::Register, client("192.0.2.1"), &Viewer::Anonymous)
                .await
                .unwrap();
        }
        let refused = limits
            .check(Action::Register, client("192.0.2.1"), &Viewer::Anonymous)
            .await
            .unwrap_err();
        // One cell per 20 minutes.
        let retry = refused.retry_after().unwrap();
        assert!((1190..=1200).contains(&retry), "retry after {retry}");
        limits
            .check(Action::Register, client("192.0.2.2"), &Viewer::Anonymous)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn login_identifiers_are_compared_lower_cased_and_trimmed() {
        let limits = limiters(|s| s.login_per_identifier = Rate::new(1, Duration::from_secs(60)));
        let first = Action::Login { login: "Alice" };
        limits
            .check(first, client("192.0.2.1"), &Viewer::Anonymous)
            .await
            .unwrap();
        let again = Action::Login { login: " alice " };
        assert!(
            limits
                .check(again, client("192.0.2.2"), &Viewer::Anonymous)
                .await
                .is_err()
        );
    }

    #[test]
    fn ipv6_clients_share_their_64_block() {
        assert_eq!(
            ip_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            ip_key("2001:db8:1:2:bbbb::2".parse().unwrap())
        );
        assert_ne!(
            ip_key("2001:db8:1:2::1".parse().unwrap()),
            ip_key("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(
            ip_key("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn turned_off_nothing_is_limited() {
        let limits = limiters(|s| {
            s.enabled = false;
            s.register_per_ip = Rate::new(1, Duration::from_secs(3600));
        });
        for _ in 0..5 {
            limits
                .check(Action::Register, client("192.0.2.1"), &Viewer::Anonymous)
                .await
                .unwrap();
        }
        assert!(limits.is_empty());
    }
}
