//! The Community ID of a flow (corelight/community-id-spec, version 1):
//! one string per connection that Zeek, Suricata, Wireshark, Elastic
//! (`network.community_id`) and tlssniff all compute alike, so a record
//! here can be joined with theirs.
//!
//! SHA-1 over the seed (16 bits, 0 unless configured), the two addresses
//! and ports in a canonical order (the lower address first, or, when the
//! addresses are equal, the lower port), the IP protocol number and a zero
//! byte; the result is `1:` and the digest in base64. TCP and UDP only
//! (ICMP's type/code mapping is not needed here).

use std::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::decode::Endpoint;

/// IP protocol numbers the ID is computed for.
pub const TCP: u8 = 6;
pub const UDP: u8 = 17;

/// The version-1 Community ID (seed 0) of the flow between `a` and `b`.
pub fn community_id(a: Endpoint, b: Endpoint, protocol: u8) -> String {
    // IpAddr orders IPv4 before IPv6 and each family by its bytes, which is
    // the spec's order for two addresses of one family.
    let (lo, hi) = if (a.ip, a.port) <= (b.ip, b.port) {
        (a, b)
    } else {
        (b, a)
    };
    let mut h = Sha1::new();
    h.update(0u16.to_be_bytes());
    for ip in [lo.ip, hi.ip] {
        match ip {
            IpAddr::V4(v4) => h.update(v4.octets()),
            IpAddr::V6(v6) => h.update(v6.octets()),
        }
    }
    h.update([protocol, 0]);
    h.update(lo.port.to_be_bytes());
    h.update(hi.port.to_be_bytes());
    let mut id = String::with_capacity(30);
    id.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(h.finalize(), &mut id);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn matches_the_specification_example_in_either_direction() {
        // The spec's README: `community-id tcp 128.232.110.120 66.35.250.204
        // 34855 80`.
        let client = ep("128.232.110.120", 34855);
        let server = ep("66.35.250.204", 80);
        let want = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
        assert_eq!(community_id(client, server, TCP), want);
        assert_eq!(community_id(server, client, TCP), want);
    }

    #[test]
    fn ipv6_udp_and_equal_addresses_match_the_reference() {
        // Values from the reference implementation (Python `communityid`
        // 1.5.0).
        let (a, b) = (ep("fe80::1", 5353), ep("fe80::2", 443));
        assert_eq!(community_id(a, b, UDP), "1:iE6fAUKocQ7h+/RBlz2CJlEaP40=");
        // Equal addresses: the lower port goes first.
        let (hi, lo) = (ep("10.0.0.1", 2000), ep("10.0.0.1", 1000));
        let want = "1:nxwYq30oipX1dGVDLt7tz75Hofc=";
        assert_eq!(community_id(hi, lo, TCP), want);
        assert_eq!(community_id(lo, hi, TCP), want);
    }
}
