//! Which addresses a webhook may reach. A customer names the URL, so a webhook is a way to
//! make the appliance send requests on its own network; by default every address that is
//! not plainly public is refused: loopback, unspecified, private (RFC 1918), CGNAT
//! (RFC 6598), link-local (cloud metadata at 169.254.169.254 included), the IETF protocol
//! block (192.0.0.0/24, Oracle's metadata), benchmarking, multicast, reserved and
//! broadcast, and for IPv6 also unique-local (AWS's metadata at fd00:ec2::254 included),
//! site-local, IPv4-mapped and IPv4-compatible addresses and NAT64 addresses that embed
//! an internal IPv4 address. `webhooks.allow_networks` lists networks allowed all the same.
//!
//! The check runs on the addresses a host name actually resolved to, right before the
//! connection (see `outbound`), so a name that resolves to 127.0.0.1 is refused like the
//! literal address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `address/prefix`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = text.trim().split_once('/')?;
        let prefix: u8 = prefix.parse().ok()?;
        let network: IpAddr = address.parse().ok()?;
        let fits = match network {
            IpAddr::V4(_) => prefix <= 32,
            IpAddr::V6(_) => prefix <= 128,
        };
        fits.then_some(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_match(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if net[..full] != ip[..full] {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (net[full] & mask) == (ip[full] & mask)
}

/// The addresses webhooks may reach.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: Vec<Cidr>,
}

impl Guard {
    /// A guard allowing the listed networks (already validated by the config) on top of
    /// every public address.
    pub fn new(allow_networks: &[String]) -> Guard {
        Guard {
            allow: allow_networks
                .iter()
                .filter_map(|n| Cidr::parse(n))
                .collect(),
        }
    }

    /// `Err` with the kind of address when `ip` may not be reached.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        let Some(kind) = internal_kind(ip) else {
            return Ok(());
        };
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let allowed = self
            .allow
            .iter()
            .any(|net| net.contains(ip) || embedded.is_some_and(|v4| net.contains(v4)));
        match allowed {
            true => Ok(()),
            false => Err(kind),
        }
    }
}

/// What kind of internal address `ip` is, or `None` for a public one.
pub fn internal_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        (0, _, _) => "an unspecified (this-network) address",
        (127, _, _) => "a loopback address",
        (10, _, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (192, 168, _) => "a private address",
        (100, 64..=127, _) => "a carrier-grade NAT (shared) address",
        (169, 254, _) => "a link-local address (cloud metadata lives there)",
        (192, 0, 0) => "an IETF protocol address (some cloud metadata lives there)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    };
    Some(kind)
}

fn internal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    let segments = ip.segments();
    let kind = match segments[0] {
        0 if segments[1..5] == [0; 4] && segments[5] == 0xffff => "an IPv4-mapped IPv6 address",
        0 if segments[1..6] == [0; 5] => "an IPv4-compatible IPv6 address",
        0x64 if segments[1] == 0xff9b => match embedded_v4(ip).and_then(internal_v4) {
            Some(_) => "a NAT64 address of an internal IPv4 address",
            None => return None,
        },
        s if s & 0xfe00 == 0xfc00 => "a unique-local address (cloud metadata lives there)",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        _ => return None,
    };
    Some(kind)
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let mapped = s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4];
    match mapped || nat64 {
        true => Some(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        )),
        false => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        Guard::default().check(text.parse().unwrap()).is_err()
    }

    #[test]
    fn internal_and_metadata_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.100.100.200", // Alibaba Cloud metadata (CGNAT range)
            "169.254.169.254", // AWS, GCP and Azure metadata
            "192.0.0.192",     // Oracle Cloud metadata
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "fd00:ec2::254", // AWS metadata over IPv6
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "64:ff9b::8.8.8.8",
        ] {
            assert!(!refused(address), "{address} should be allowed");
        }
    }

    #[test]
    fn listed_networks_are_allowed_mapped_forms_included() {
        let guard = Guard::new(&["127.0.0.0/8".to_string(), "fd12::/16".to_string()]);
        for address in ["127.0.0.1", "::ffff:127.0.0.1", "fd12::7"] {
            assert!(guard.check(address.parse().unwrap()).is_ok(), "{address}");
        }
        for address in ["10.0.0.1", "::1", "fd13::1"] {
            assert!(guard.check(address.parse().unwrap()).is_err(), "{address}");
        }
    }

    #[test]
    fn cidr_prefixes_that_are_not_whole_bytes_match_exactly() {
        let net = Cidr::parse("100.64.0.0/10").unwrap();
        assert!(net.contains("100.127.255.255".parse().unwrap()));
        assert!(!net.contains("100.128.0.0".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0").is_none());
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("9.9.9.9".parse().unwrap())
        );
    }
}
