//! TLS inside tunnels, on real traffic: OpenSSL handshakes carried by the
//! kernel's VXLAN and by Open vSwitch's GENEVE, GRE, gretap, ERSPAN II/III
//! and MPLS (fixtures/tunnel-*.pcap, see fixtures/README.md "Tunnels"),
//! each read to the inner connection with its outermost tunnel; the same
//! frames wrapped deeper here (GRE-in-IPv4 around the VXLAN capture's
//! frames) to the depth limit, and past it.

use serde_json::Value;

use crate::util::{Rec, fixture, jsonl, pcap_bytes, read_pcap, stdout, tempdir, tlssniff};

fn records(path: &std::path::Path) -> Vec<Value> {
    jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]))
}

#[test]
fn every_tunnel_fixture_gives_its_inner_connections_and_tunnel() {
    // (file, type, id, outer client, case index): facts of fixtures/README.md.
    for (name, kind, id, outer) in [
        ("tunnel-vxlan.pcap", "vxlan", Some(5300), Some("10.66.53.2")),
        (
            "tunnel-vxlan6.pcap",
            "vxlan",
            Some(5400),
            Some("fd66:54::2"),
        ),
        (
            "tunnel-geneve.pcap",
            "geneve",
            Some(5500),
            Some("10.66.55.2"),
        ),
        (
            "tunnel-geneve6.pcap",
            "geneve",
            Some(6100),
            Some("fd66:61::2"),
        ),
        ("tunnel-gre.pcap", "gre", None, Some("10.66.56.2")),
        (
            // GRE over IPv6 with checksum and key (C and K bits).
            "tunnel-gretap6.pcap",
            "gretap",
            Some(6200),
            Some("fd66:62::2"),
        ),
        (
            "tunnel-gretap.pcap",
            "gretap",
            Some(5700),
            Some("10.66.57.2"),
        ),
        (
            "tunnel-erspan2.pcap",
            "erspan2",
            Some(58),
            Some("10.66.58.2"),
        ),
        (
            "tunnel-erspan3.pcap",
            "erspan3",
            Some(59),
            Some("10.66.59.2"),
        ),
        ("tunnel-mpls.pcap", "mpls", Some(6001), None),
    ] {
        let recs = records(&fixture(name));
        let versions: Vec<&str> = recs
            .iter()
            .map(|r| r["version"].as_str().unwrap())
            .collect();
        assert_eq!(versions, ["TLS 1.3", "TLS 1.2"], "{name}");
        for r in &recs {
            let t = &r["tunnel"];
            assert_eq!(t["type"], kind, "{name}: {t}");
            assert_eq!(t["id"].as_u64(), id, "{name}: {t}");
            assert_eq!(t["outer_client"].as_str(), outer, "{name}: {t}");
            assert_eq!(t["depth"], 1, "{name}: {t}");
            assert_eq!(r["outcome"], "established", "{name}");
            // The inner client, never the outer one.
            assert!(
                r["client"]["ip"].as_str().unwrap().contains("67"),
                "{name}: {r}"
            );
        }
    }
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("tunnel-geneve.pcap").to_str().unwrap(),
    ])))
    .unwrap();
    assert_eq!(s["totals"]["tunnels"]["geneve"], 2, "{}", s["totals"]);
}

/// An IPv4 + GRE (transparent Ethernet bridging) envelope around an
/// Ethernet frame, itself in an Ethernet frame.
fn in_gretap(frame: &[u8], level: u8) -> Vec<u8> {
    let gre = [0x00, 0x00, 0x65, 0x58];
    let total = (20 + gre.len() + frame.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0];
    ip.splice(2..4, total.to_be_bytes());
    ip.extend([192, 0, 2, level, 192, 0, 2, 100 + level]);
    let mut out = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    out.extend(ip);
    out.extend(gre);
    out.extend(frame);
    out
}

#[test]
fn nested_tunnels_are_read_to_the_depth_limit_and_counted_beyond() {
    let (link, recs, _) = read_pcap(&fixture("tunnel-vxlan.pcap"));
    assert_eq!(link, 1);
    let expected = records(&fixture("tunnel-vxlan.pcap"));
    let dir = tempdir("tunnels");
    for extra in [1u8, 3, 4] {
        let wrapped: Vec<Rec> = recs
            .iter()
            .map(|r| {
                let mut data = r.data.clone();
                for level in 0..extra {
                    data = in_gretap(&data, level);
                }
                Rec {
                    orig_len: r.orig_len + (data.len() - r.data.len()) as u32,
                    data,
                    ..r.clone()
                }
            })
            .collect();
        let path = dir.join(format!("nested{extra}.pcap"));
        std::fs::write(&path, pcap_bytes(1, &wrapped)).unwrap();
        let got = records(&path);
        if extra < 4 {
            // The outermost is now the GRE one, its depth counts them all.
            assert_eq!(got.len(), expected.len(), "{extra}");
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g["client"], e["client"]);
                assert_eq!(g["version"], e["version"]);
                assert_eq!(g["tunnel"]["type"], "gretap");
                assert_eq!(
                    g["tunnel"]["outer_client"],
                    format!("192.0.2.{}", extra - 1)
                );
                assert_eq!(g["tunnel"]["depth"], u64::from(extra) + 1);
            }
        } else {
            // Five encapsulations: past the limit of four, counted.
            assert!(got.is_empty());
            let s: Value = serde_json::from_str(&stdout(&tlssniff([
                "--format",
                "summary-json",
                path.to_str().unwrap(),
            ])))
            .unwrap();
            let skipped = &s["capture"]["skipped"];
            assert!(
                skipped["vxlan tunnel: nested too deep"].as_u64() > Some(0),
                "{skipped}"
            );
        }
    }
}

/// An Ethernet frame around an outer IP packet (`v6`: IPv6) of protocol
/// `proto` carrying `payload`.
fn outer_ip(v6: bool, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    if v6 {
        out.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
        out.extend((payload.len() as u16).to_be_bytes());
        out.extend([proto, 64]);
        out.extend(
            [0x20, 0x01, 0x0d, 0xb8]
                .iter()
                .chain(&[0u8; 11])
                .chain(&[1]),
        );
        out.extend(
            [0x20, 0x01, 0x0d, 0xb8]
                .iter()
                .chain(&[0u8; 11])
                .chain(&[2]),
        );
    } else {
        out.extend([0x08, 0x00, 0x45, 0]);
        out.extend(((20 + payload.len()) as u16).to_be_bytes());
        out.extend([
            0, 0, 0x40, 0, 64, proto, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2,
        ]);
    }
    out.extend(payload);
    out
}

/// IP in IP (RFC 2003/4213) and CAPWAP data (RFC 5415, 802.3 frames), which
/// this machine has no implementation of: envelopes built around the real
/// frames of tls12.pcap (IPv4 inside).
#[test]
fn ip_in_ip_and_capwap_envelopes_around_real_frames() {
    let (_, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let expected = records(&fixture("tls12.pcap"));
    let dir = tempdir("ipip");
    type Wrap<'a> = &'a dyn Fn(&[u8]) -> Vec<u8>;
    // CAPWAP to UDP 5247 with HLEN 2 words and WBID 1; `native` sets T.
    let capwap = |native: bool, body: &[u8]| {
        let mut udp = vec![0x30, 0x39, 0x14, 0x7f];
        udp.extend(((8 + 8 + body.len()) as u16).to_be_bytes());
        udp.extend([
            0,
            0,
            0x00,
            0x10,
            if native { 0x03 } else { 0x02 },
            0x00,
            0,
            0,
            0,
            0,
        ]);
        udp.extend(body);
        outer_ip(false, 17, &udp)
    };
    let wraps: [(&str, &str, Wrap); 5] = [
        ("4in4", "4in4", &|f: &[u8]| outer_ip(false, 4, &f[14..])),
        ("4in6", "4in6", &|f: &[u8]| outer_ip(true, 4, &f[14..])),
        ("capwap-802.3", "capwap", &|f: &[u8]| capwap(false, f)),
        ("pptp", "pptp", &|f: &[u8]| {
            // Enhanced GRE v1 (K, S, A), call id 7, then PPP with address,
            // control and the IPv4 protocol.
            let ip = &f[14..];
            let mut g = vec![0x30, 0x81, 0x88, 0x0b];
            g.extend(((ip.len() + 4) as u16).to_be_bytes());
            g.extend([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0x21]);
            g.extend(ip);
            outer_ip(false, 47, &g)
        }),
        ("capwap-cisco", "capwap", &|f: &[u8]| {
            // Native 802.11 (data, ToDS, LLC/SNAP) with the frame control
            // byte-swapped, as Cisco controllers send it.
            let (dst, src, rest) = (&f[..6], &f[6..12], &f[12..]);
            let mut w = vec![0x01, 0x08, 0, 0];
            w.extend(dst);
            w.extend(src);
            w.extend(dst);
            w.extend([0, 0]);
            w.extend([0xaa, 0xaa, 0x03, 0, 0, 0]);
            w.extend(rest);
            capwap(true, &w)
        }),
    ];
    for (label, kind, wrap) in wraps {
        let wrapped: Vec<Rec> = recs
            .iter()
            .map(|r| {
                let data = wrap(&r.data);
                Rec {
                    orig_len: r.orig_len + data.len() as u32 - r.data.len() as u32,
                    data,
                    ..r.clone()
                }
            })
            .collect();
        let path = dir.join(format!("{label}.pcap"));
        std::fs::write(&path, pcap_bytes(1, &wrapped)).unwrap();
        let got = records(&path);
        assert_eq!(got.len(), expected.len(), "{label}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g["client"], e["client"], "{label}");
            assert_eq!(g["version"], e["version"], "{label}");
            assert_eq!(g["tunnel"]["type"], kind, "{label}");
        }
    }
}
