//! Which addresses a notification may be sent to: public unicast ones only, unless the
//! operator allows private receivers (`--allow-private-webhooks`). A webhook URL is
//! user input; without this check it reaches the server's own loopback services, the
//! cloud metadata endpoint (169.254.169.254) or the internal network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` is not a public address, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if ip.is_link_local() {
        "link-local"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (CGNAT)"
    } else if ip.is_broadcast() {
        "broadcast"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_documentation() {
        "documentation"
    } else if a == 192 && b == 0 && c == 0 {
        "IETF protocol assignment"
    } else if a == 198 && (b == 18 || b == 19) {
        "benchmarking"
    } else if a >= 240 {
        "reserved"
    } else {
        return None;
    };
    Some(reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // Addresses that carry an IPv4 address are judged by it: IPv4-mapped
    // (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
    // (2002:AABB:CCDD::/48).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    let reason = if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if segments[..6] == [0; 6] {
        return v4_reason(embedded(segments[6], segments[7])).or(Some("IPv4-compatible"));
    } else if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(embedded(segments[6], segments[7]));
    } else if segments[0] == 0x2002 {
        return v4_reason(embedded(segments[1], segments[2]));
    } else if segments[0] & 0xfe00 == 0xfc00 {
        "unique-local"
    } else if segments[0] & 0xffc0 == 0xfe80 {
        "link-local"
    } else if segments[0] & 0xffc0 == 0xfec0 {
        "site-local"
    } else if segments[0] & 0xff00 == 0xff00 {
        "multicast"
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        "documentation"
    } else if segments[..4] == [0x100, 0, 0, 0] {
        "discard-only"
    } else if segments[0] == 0x2001 && segments[1] < 0x200 {
        // 2001::/23: IETF protocol assignments (Teredo 2001::/32 among them).
        "IETF protocol assignment"
    } else {
        return None;
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<&'static str> {
        non_public_reason(ip.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81b::200e",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_kind_of_non_public_ipv4_address_is_refused() {
        for (ip, why) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.9.9.9", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.255", "shared (CGNAT)"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("192.0.0.8", "IETF protocol assignment"),
            ("198.18.0.1", "benchmarking"),
            ("240.0.0.1", "reserved"),
        ] {
            assert_eq!(reason(ip), Some(why), "{ip}");
        }
    }

    #[test]
    fn every_kind_of_non_public_ipv6_address_is_refused() {
        for (ip, why) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("100::1", "discard-only"),
            ("2001::1", "IETF protocol assignment"),
        ] {
            assert_eq!(reason(ip), Some(why), "{ip}");
        }
    }

    #[test]
    fn an_ipv6_address_carrying_an_ipv4_one_is_judged_by_it() {
        assert_eq!(reason("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(reason("::ffff:10.1.2.3"), Some("private"));
        assert_eq!(reason("::ffff:8.8.8.8"), None);
        assert_eq!(reason("::127.0.0.1"), Some("loopback"));
        assert_eq!(reason("::8.8.8.8"), Some("IPv4-compatible"));
        assert_eq!(reason("64:ff9b::a9fe:a9fe"), Some("link-local"));
        assert_eq!(reason("2002:c0a8:0101::1"), Some("private"));
        assert_eq!(reason("2002:0808:0808::1"), None);
    }
}
