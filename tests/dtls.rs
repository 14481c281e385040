//! DTLS on real OpenSSL traffic (`fixtures/dtls.pcap`: DTLS 1.2 behind a
//! HelloVerifyRequest over a 400-byte MTU, then DTLS 1.0) and on hostile
//! variants of it: records, fragments, cookies, verdicts.

use serde_json::Value;

use crate::util::{Rec, fixture, jsonl, pcap_bytes, read_pcap, tempdir, tlssniff};

fn records(path: &std::path::Path, threads: &str) -> Vec<Value> {
    jsonl(&tlssniff([
        "--format",
        "jsonl",
        "--threads",
        threads,
        path.to_str().unwrap(),
    ]))
}

#[test]
fn dtls_connections_are_records_with_their_cookie_exchange_and_fragments() {
    let path = fixture("dtls.pcap");
    let recs = records(&path, "1");
    assert_eq!(recs.len(), 2);
    let (d12, d10) = (&recs[0], &recs[1]);
    for r in &recs {
        assert_eq!(r["transport"], "dtls");
        assert_eq!(r["outcome"], "established");
        assert_eq!(
            r["client_hellos"], 2,
            "the ClientHello again, with the cookie"
        );
        assert_eq!(r["dtls"]["hello_verify_request"], true);
        assert!(r["ja4"].as_str().unwrap().starts_with('d'));
    }
    assert_eq!(d12["version"], "DTLS 1.2");
    assert_eq!(d12["client_hello"]["sni"], "dtls12.fixtures.test");
    // The server's certificate, from a message in several fragments.
    assert_eq!(d12["certificate"]["subject"], "CN=fixtures.test");
    assert_eq!(d10["certificate"]["subject"], "CN=fixtures.test");
    assert_eq!(d12["readiness"], "meets");
    assert!(
        d12["dtls"]["reassembled_messages"].as_u64().unwrap() > 0,
        "400-byte MTU"
    );
    assert_eq!(d10["version"], "DTLS 1.0");
    assert_eq!(
        d10["readiness"], "client_cannot",
        "DTLS 1.0 is legacy like TLS 1.1"
    );
    for t in ["2", "3"] {
        assert_eq!(records(&path, t), recs, "--threads {t}");
    }
    let table = crate::util::stdout(&tlssniff([path.to_str().unwrap()]));
    assert!(
        table.contains("Transports: tcp 0, quic 0, dtls 2"),
        "{table}"
    );
}

#[test]
fn fragments_past_their_message_and_broken_records_are_refused_not_read() {
    // Every handshake fragment header's offset pushed past its message
    // (byte 13 + 6 of the record body: fragment_offset's top byte), and
    // every record's length cut: no panic, nothing invented.
    let (_, recs, _) = read_pcap(&fixture("dtls.pcap"));
    let dir = tempdir("dtls-hostile");
    for (name, f) in [
        (
            "offsets",
            &(|d: &mut Vec<u8>| {
                if d.len() > 42 + 13 + 9 && d[42] == 22 {
                    d[42 + 13 + 6] = 0xff;
                }
            }) as &dyn Fn(&mut Vec<u8>),
        ),
        ("lengths", &|d: &mut Vec<u8>| {
            if d.len() > 42 + 13 && (20..=23).contains(&d[42]) {
                d[42 + 11] = 0xff;
            }
        }),
    ] {
        let out: Vec<Rec> = recs
            .iter()
            .map(|r| {
                let mut data = r.data.clone();
                f(&mut data);
                Rec { data, ..r.clone() }
            })
            .collect();
        let path = dir.join(format!("{name}.pcap"));
        std::fs::write(&path, pcap_bytes(1, &out)).unwrap();
        let o = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
        assert!(o.status.success(), "{name}");
        for r in jsonl(&o) {
            assert!(
                r["client_hello"].is_null() || r["client_hello"]["sni"].is_string(),
                "{name}: {r}"
            );
            assert_ne!(r["outcome"], "established", "{name}");
        }
    }
}

#[test]
fn gnutls_dtls_and_quic_inside_vxlan_keep_their_tunnel_and_a_lost_cookie_is_named() {
    let path = fixture("dtls-gnutls-vxlan.pcap");
    let recs = records(&path, "1");
    let sni = |r: &Value| r["client_hello"]["sni"].as_str().unwrap().to_owned();
    let names: Vec<String> = recs.iter().map(sni).collect();
    assert_eq!(
        names,
        [
            "dtls12.gnutls.fixtures.test",
            "dtls09.gnutls.fixtures.test",
            "cookie.dtls09.gnutls.fixtures.test",
            "quic.vxlan.fixtures.test"
        ]
    );
    for r in &recs {
        assert_eq!(r["tunnel"]["type"], "vxlan", "{r}");
        assert_eq!(r["tunnel"]["id"], 6600);
        assert_eq!(r["tunnel"]["outer_client"], "10.66.66.2");
        assert_eq!(r["client"]["ip"], "10.67.66.2", "the inner addresses");
    }
    let (d12, d09, cookie, quic) = (&recs[0], &recs[1], &recs[2], &recs[3]);
    assert_eq!(d12["version"], "DTLS 1.2");
    assert_eq!(d12["outcome"], "established");
    assert_eq!(d12["client_hellos"], 2, "GnuTLS asks for a cookie too");
    assert!(
        d12["dtls"]["reassembled_messages"].as_u64().unwrap() > 0,
        "300-byte MTU"
    );
    assert_eq!(d12["certificate"]["subject"], "CN=fixtures.test");
    assert_eq!(d09["certificate"]["subject"], "CN=fixtures.test");
    assert!(cookie.get("certificate").is_none_or(|c| c.is_null()));
    assert_eq!(d09["version"], "DTLS 0x0100");
    assert_eq!(d09["outcome"], "established");
    assert_eq!(d09["readiness"], "client_cannot");
    // The DTLS 0.9 client ignores the server's HelloVerifyRequest: the
    // server answered, so not "no response"; the reason says what happened.
    assert_eq!(cookie["outcome"], "incomplete");
    assert_eq!(cookie["client_hellos"], 1);
    assert!(cookie["dtls"]["repeated_fragments"].as_u64().unwrap() > 0);
    assert!(
        cookie["reason"]
            .as_str()
            .unwrap()
            .contains("HelloVerifyRequest"),
        "{}",
        cookie["reason"]
    );
    assert_eq!(quic["transport"], "quic");
    assert_eq!(quic["outcome"], "established");
    for t in ["2", "3"] {
        assert_eq!(records(&path, t), recs, "--threads {t}");
    }
}

#[test]
fn dtls_in_capwap_s_dtls_channel_is_read_after_its_header() {
    // dtls.pcap's datagrams as a CAPWAP control channel carries them
    // (RFC 5415 §4.1: UDP 5246, a 4-byte header of preamble type 1).
    let (_, recs, _) = read_pcap(&fixture("dtls.pcap"));
    let mut out = Vec::new();
    for r in &recs {
        let d = &r.data;
        assert_eq!(&d[12..14], &[0x08, 0x00], "IPv4 over Ethernet");
        let (ip, udp) = (14, 14 + usize::from(d[14] & 0x0f) * 4);
        let mut data = d[..udp + 8].to_vec();
        data.extend([0x01, 0, 0, 0]);
        data.extend(&d[udp + 8..]);
        let add = |at: usize, data: &mut Vec<u8>| {
            let n = u16::from_be_bytes([data[at], data[at + 1]]) + 4;
            data[at..at + 2].copy_from_slice(&n.to_be_bytes());
        };
        add(ip + 2, &mut data); // IPv4 total length
        add(udp + 4, &mut data); // UDP length
        data[udp + 6..udp + 8].copy_from_slice(&[0, 0]); // no UDP checksum
        for port in [udp, udp + 2] {
            if matches!(
                u16::from_be_bytes([data[port], data[port + 1]]),
                4433 | 4434
            ) {
                data[port..port + 2].copy_from_slice(&5246u16.to_be_bytes());
            }
        }
        out.push(Rec {
            orig_len: r.orig_len + 4,
            data,
            ..r.clone()
        });
    }
    let dir = tempdir("capwap-dtls");
    let path = dir.join("capwap-dtls.pcap");
    std::fs::write(&path, pcap_bytes(1, &out)).unwrap();
    let recs = records(&path, "1");
    let plain = records(&fixture("dtls.pcap"), "1");
    assert_eq!(recs.len(), 2);
    for (r, p) in recs.iter().zip(&plain) {
        assert_eq!(r["transport"], "dtls");
        assert_eq!(r["server"]["port"], 5246);
        for field in [
            "version",
            "outcome",
            "client_hello",
            "cipher",
            "client_hellos",
        ] {
            assert_eq!(r[field], p[field], "{field}");
        }
    }
}
