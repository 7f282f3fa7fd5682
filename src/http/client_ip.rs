//! Who is on the other end of the connection: the TCP peer, or, when the peer is one of the
//! configured trusted proxies, the right-most `X-Forwarded-For` address that is not a trusted
//! proxy. Headers from anyone else are ignored, so clients cannot choose their own address.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::service::rate_limits::ClientIp;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client of a request that arrived from `peer` with `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> ClientIp {
    let peer = peer.to_canonical();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return ClientIp(peer);
    }
    // Each proxy appends the address it received from; walk back from the nearest hop and
    // stop at the first one our proxies did not add themselves (or at anything unreadable).
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !trusted(&ip) {
            break;
        }
    }
    ClientIp(client)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| {
            hop.parse::<std::net::SocketAddr>()
                .ok()
                .map(|addr| addr.ip())
        })
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = resolve(ip("203.0.113.9"), &headers(&["1.1.1.1"]), &[]);
        assert_eq!(client, ClientIp(ip("203.0.113.9")));
        let trusted = nets(&["10.0.0.0/8"]);
        let client = resolve(ip("203.0.113.9"), &headers(&["1.1.1.1"]), &trusted);
        assert_eq!(client, ClientIp(ip("203.0.113.9")));
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.1/32"]);
        let forwarded = headers(&["6.6.6.6, 198.51.100.7", "10.1.2.3"]);
        let client = resolve(ip("192.168.1.1"), &forwarded, &trusted);
        assert_eq!(client, ClientIp(ip("198.51.100.7")));
    }

    #[test]
    fn only_trusted_hops_name_the_left_most_one() {
        let trusted = nets(&["10.0.0.0/8"]);
        let client = resolve(ip("10.0.0.1"), &headers(&["10.0.0.3, 10.0.0.2"]), &trusted);
        assert_eq!(client, ClientIp(ip("10.0.0.3")));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_readable_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let forwarded = headers(&["1.1.1.1, nonsense, 10.0.0.2"]);
        let client = resolve(ip("10.0.0.1"), &forwarded, &trusted);
        assert_eq!(client, ClientIp(ip("10.0.0.2")));
        let client = resolve(ip("10.0.0.1"), &headers(&[]), &trusted);
        assert_eq!(client, ClientIp(ip("10.0.0.1")));
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let trusted = nets(&["127.0.0.1/32"]);
        let forwarded = headers(&["[2001:db8::1]:443, 198.51.100.7:5000"]);
        let client = resolve(ip("::ffff:127.0.0.1"), &forwarded, &trusted);
        assert_eq!(client, ClientIp(ip("198.51.100.7")));
    }
}
