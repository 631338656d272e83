//! The address a request came from, as throttles count it. Behind a reverse proxy every request
//! comes from the proxy, so one address's limit would be everybody's: when the peer is one of the
//! configured proxies (`WILKAN_TRUSTED_PROXIES`), the client is the address that proxy put in
//! `X-Forwarded-For`. The header is believed only from those proxies, since anyone else can write
//! it.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses (`10.0.0.5`) and networks (`172.18.0.0/16`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("setting trusted_proxies: '{item}' is not an address or network"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer's, or behind trusted proxies the nearest address in
    /// `X-Forwarded-For` that is not one of them. Proxies append, so entries further left were
    /// written by the client and are not believed.
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return "unknown".into();
        };
        self.client_of(peer, req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok())).to_string()
    }

    fn client_of<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(&peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // Something that is no address: the hops before it cannot be told apart from the
            // client's own writing, so the last one known counts.
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip;
            if !self.trusts(&ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.5, 172.18.0.0/16").unwrap();
        let none = TrustedProxies::default();
        let header = ["198.51.100.7"];
        assert_eq!(none.client_of(ip("10.0.0.5"), header.into_iter()), ip("10.0.0.5"));
        assert_eq!(proxies.client_of(ip("203.0.113.9"), header.into_iter()), ip("203.0.113.9"), "not a proxy");
        assert_eq!(proxies.client_of(ip("10.0.0.5"), header.into_iter()), ip("198.51.100.7"));
        assert_eq!(proxies.client_of(ip("172.18.3.4"), header.into_iter()), ip("198.51.100.7"), "a network");
        assert_eq!(proxies.client_of(ip("10.0.0.5"), std::iter::empty()), ip("10.0.0.5"), "no header");
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_and_what_the_client_wrote_is_not() {
        let proxies = TrustedProxies::parse("10.0.0.5,10.0.0.6").unwrap();
        // The client wrote "1.1.1.1" itself; the outer proxy saw 198.51.100.7 and the inner one
        // the outer proxy.
        let chain = ["1.1.1.1, 198.51.100.7", "10.0.0.6"];
        assert_eq!(proxies.client_of(ip("10.0.0.5"), chain.into_iter()), ip("198.51.100.7"));
        let garbage = ["1.1.1.1, not-an-address, 10.0.0.6"];
        assert_eq!(proxies.client_of(ip("10.0.0.5"), garbage.into_iter()), ip("10.0.0.6"));
        assert_eq!(proxies.client_of(ip("10.0.0.5"), ["2001:db8::1"].into_iter()), ip("2001:db8::1"));
    }

    #[test]
    fn a_bad_entry_is_named() {
        let err = TrustedProxies::parse("10.0.0.5, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}
