//! Where webhooks may go. An endpoint's URL is `https` (or `http` where the server allows it),
//! without credentials, at most [`MAX_URL_CHARS`] long. Unless the server allows private
//! addresses, every delivery checks the addresses its host resolves to at that moment (a name
//! may resolve elsewhere later) and connects only to allowed ones: not loopback, private,
//! link-local (the cloud metadata address among them), shared, multicast or unspecified.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::WebhookSettings;
use crate::error::AppError;

/// Longest endpoint URL.
pub const MAX_URL_CHARS: usize = 2048;

/// Ranges no delivery goes to unless the server allows private addresses.
const FORBIDDEN_V4: [(Ipv4Addr, u8); 12] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
    (Ipv4Addr::new(255, 255, 255, 255), 32),
];
const FORBIDDEN_V6: [(Ipv6Addr, u8); 10] = [
    // Unspecified, loopback and the IPv4-compatible addresses (`::a.b.c.d`).
    (Ipv6Addr::UNSPECIFIED, 96),
    // IPv4 addresses translated (`::ffff:0:a.b.c.d`).
    (Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96),
    // 6to4 and Teredo carry an IPv4 address inside; site-local is private.
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),
];

/// Whether a delivery may not go to `ip` (an IPv4 address inside IPv6 counts as itself).
pub fn is_forbidden(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    let nets = FORBIDDEN_V4
        .iter()
        .filter_map(|(addr, len)| Ipv4Net::new(*addr, *len).ok().map(IpNet::V4))
        .chain(
            FORBIDDEN_V6
                .iter()
                .filter_map(|(addr, len)| Ipv6Net::new(*addr, *len).ok().map(IpNet::V6)),
        );
    nets.into_iter().any(|net| net.contains(&ip))
}

/// An endpoint URL as stored, or `BAD_USER_INPUT` saying what is wrong with it.
pub fn check_url(text: &str, settings: &WebhookSettings) -> Result<String, AppError> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(AppError::bad_input(format!(
            "url must be at most {MAX_URL_CHARS} characters"
        )));
    }
    let url = url::Url::parse(text)
        .map_err(|err| AppError::bad_input(format!("url is not an absolute URL: {err}")))?;
    match url.scheme() {
        "https" => {}
        "http" if settings.webhook_allow_http => {}
        "http" => {
            return Err(AppError::bad_input(
                "url must use https (DOORMAN_WEBHOOK_ALLOW_HTTP is off)",
            ));
        }
        _ => return Err(AppError::bad_input("url must use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::bad_input("url must not carry credentials"));
    }
    let literal = match url.host() {
        None => return Err(AppError::bad_input("url has no host")),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(ip) = literal
        && is_forbidden(ip)
        && !settings.webhook_allow_private_addresses
    {
        return Err(AppError::bad_input(
            "url points at a private, loopback or link-local address \
             (DOORMAN_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off)",
        ));
    }
    Ok(url.into())
}

/// Resolves hosts for deliveries, keeping only allowed addresses (all of them when the server
/// allows private ones); a host with none left does not resolve.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| allow_private || !is_forbidden(addr.ip()))
                .collect();
            if found.is_empty() {
                // Which addresses it resolves to is not said: that would map internal names.
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    "the host resolves only to private, loopback or link-local addresses".into();
                return Err(refused);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Why a delivery to `url` may not be sent, when its host is an address (a name is checked
/// when it is resolved).
pub fn refused_literal(url: &str, allow_private: bool) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    (!allow_private && is_forbidden(ip))
        .then(|| format!("{ip} is a private, loopback or link-local address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::ffff:0:10.0.0.1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "64:ff9b:1::a00:1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }
}
