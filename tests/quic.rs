//! QUIC Initial decryption (`datagram::quic`) on real aioquic traffic
//! (`fixtures/quic-*.pcap`, made by fixtures/make.sh): every Initial of
//! both sides decrypts, CRYPTO frames reassemble into the hellos tshark
//! shows (a ClientHello across two Initials, a Retry changing the keys),
//! and a damaged packet fails its tag instead of being guessed.

use std::collections::{BTreeMap, HashMap};

use tlssniff::datagram::quic::{InitialKeys, PacketType, QuicSkip, initial_frames, long_header};
use tlssniff::tls::hello::{ClientHello, ServerHello, parse_client_hello, parse_server_hello};
use tlssniff::tls::version::Version;

use crate::util::{fixture, read_pcap};

/// One direction's CRYPTO stream (offset → bytes), reassembled from 0.
#[derive(Default)]
struct Stream {
    parts: BTreeMap<u64, Vec<u8>>,
}

impl Stream {
    fn contiguous(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (off, data) in &self.parts {
            let off = *off as usize;
            if off > out.len() {
                break;
            }
            if off + data.len() > out.len() {
                out.extend_from_slice(&data[out.len() - off..]);
            }
        }
        out
    }

    /// The first handshake message of `kind`, once whole.
    fn message(&self, kind: u8) -> Option<Vec<u8>> {
        let b = self.contiguous();
        let mut at = 0;
        while b.len() >= at + 4 {
            let len = u32::from_be_bytes([0, b[at + 1], b[at + 2], b[at + 3]]) as usize;
            if b.len() < at + 4 + len {
                return None;
            }
            if b[at] == kind {
                return Some(b[at + 4..at + 4 + len].to_vec());
            }
            at += 4 + len;
        }
        None
    }
}

#[derive(Default)]
struct Conn {
    client_dcid: Vec<u8>,
    client: Stream,
    server: Stream,
    /// Initials that carried a part of the client's CRYPTO stream.
    client_crypto_packets: usize,
    retries: usize,
    handshake_packets: usize,
}

/// UDP datagrams of an Ethernet/IPv4 capture: (client port, from client,
/// payload). The client is the side not on port 443.
fn datagrams(name: &str) -> Vec<(u16, bool, Vec<u8>)> {
    let (_, recs, _) = read_pcap(&fixture(name));
    recs.iter()
        .filter_map(|r| {
            let p = etherparse::SlicedPacket::from_ethernet(&r.data).ok()?;
            let Some(etherparse::TransportSlice::Udp(u)) = p.transport else {
                return None;
            };
            let from_client = u.destination_port() == 443;
            let port = if from_client {
                u.source_port()
            } else {
                u.destination_port()
            };
            Some((port, from_client, u.payload().to_vec()))
        })
        .collect()
}

fn follow(name: &str) -> Vec<Conn> {
    let mut conns: HashMap<u16, Conn> = HashMap::new();
    let mut order = Vec::new();
    for (port, from_client, d) in datagrams(name) {
        let c = conns.entry(port).or_insert_with(|| {
            order.push(port);
            Conn::default()
        });
        let mut rest: &[u8] = &d;
        while !rest.is_empty() && rest[0] & 0x80 != 0 {
            let (h, next) = long_header(rest).expect("a long header");
            rest = next;
            match h.kind {
                PacketType::Retry => {
                    // The client's next Initials use the Retry's SCID.
                    c.client_dcid = h.scid.to_vec();
                    c.retries += 1;
                }
                PacketType::Handshake => c.handshake_packets += 1,
                PacketType::ZeroRtt => {}
                PacketType::Initial => {
                    // RFC 9001 §5.2: the keys come from the DCID of the
                    // client's first Initial (or the Retry's SCID), not from
                    // the server's chosen connection id that later
                    // Initials carry.
                    if from_client && c.client_dcid.is_empty() {
                        c.client_dcid = h.dcid.to_vec();
                    }
                    let keys = InitialKeys::derive(h.version, &c.client_dcid, from_client)
                        .expect("known version");
                    let (_, plain) = keys.open(&h).expect("an Initial decrypts");
                    let frames = initial_frames(&plain).expect("Initial frames");
                    let stream = if from_client {
                        &mut c.client
                    } else {
                        &mut c.server
                    };
                    if from_client && !frames.crypto.is_empty() {
                        c.client_crypto_packets += 1;
                    }
                    for (off, data) in frames.crypto {
                        stream.parts.insert(off, data.to_vec());
                    }
                }
            }
        }
    }
    order
        .into_iter()
        .map(|p| conns.remove(&p).unwrap())
        .collect()
}

fn hellos(c: &Conn) -> (ClientHello, ServerHello) {
    let ch = parse_client_hello(
        &c.client.message(1).expect("a whole ClientHello"),
        Version(0),
    )
    .expect("ClientHello parses");
    let sh = parse_server_hello(&c.server.message(2).expect("a whole ServerHello"))
        .expect("ServerHello parses");
    (ch, sh)
}

#[test]
fn quic_v1_initials_give_the_hellos_tshark_shows() {
    let conns = follow("quic-v1.pcap");
    assert_eq!(conns.len(), 2);
    for (c, sni, packets) in [
        (&conns[0], "quic.fixtures.test", 1),
        (&conns[1], "quic-big.fixtures.test", 2),
    ] {
        let (ch, sh) = hellos(c);
        assert_eq!(ch.sni.as_ref().unwrap().lossy(), sni);
        assert!(!ch.partial && !sh.partial);
        assert_eq!(
            ch.supported_versions.as_deref(),
            Some(&[Version::TLS13][..])
        );
        assert_eq!(ch.max_version(), Version::TLS13);
        assert_eq!(sh.version(), Version::TLS13);
        assert!(sh.cipher.is_some());
        let alpn: Vec<String> = ch
            .alpn
            .as_ref()
            .unwrap()
            .iter()
            .map(|a| a.lossy().into())
            .collect();
        assert_eq!(alpn, ["h3", "hq-interop"]);
        // QUIC's transport parameters ride in the ClientHello (0x39).
        assert!(ch.extensions.contains(&0x39));
        assert_eq!(c.client_crypto_packets, packets, "{sni}");
        assert!(
            c.handshake_packets > 0,
            "the server's Handshake packets are seen"
        );
    }
}

#[test]
fn quic_v2_after_a_retry_the_keys_follow_the_new_connection_id() {
    let conns = follow("quic-v2-retry.pcap");
    assert_eq!(conns.len(), 1);
    let c = &conns[0];
    assert_eq!(c.retries, 1);
    let (ch, sh) = hellos(c);
    assert_eq!(ch.sni.as_ref().unwrap().lossy(), "quicv2.fixtures.test");
    assert_eq!(sh.version(), Version::TLS13);
}

#[test]
fn a_damaged_initial_fails_its_tag_and_the_wrong_keys_fail_too() {
    let (_, _, d) = datagrams("quic-v1.pcap").into_iter().next().unwrap();
    let (h, _) = long_header(&d).unwrap();
    let keys = InitialKeys::derive(h.version, h.dcid, true).unwrap();
    assert!(keys.open(&h).is_ok());
    let mut bad = d.clone();
    bad[h.pn_offset + 40] ^= 1;
    let (h2, _) = long_header(&bad).unwrap();
    assert_eq!(keys.open(&h2).err(), Some(QuicSkip::DecryptFailed));
    let server_keys = InitialKeys::derive(h.version, h.dcid, false).unwrap();
    assert_eq!(server_keys.open(&h).err(), Some(QuicSkip::DecryptFailed));
}

fn jsonl_of(args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["--format", "jsonl"];
    a.extend(args);
    crate::util::jsonl(&crate::util::tlssniff(a))
}

#[test]
fn quic_connections_are_records_like_tcp_ones() {
    let v1 = fixture("quic-v1.pcap");
    let v2 = fixture("quic-v2-retry.pcap");
    let (v1, v2) = (v1.to_str().unwrap(), v2.to_str().unwrap());
    let recs = jsonl_of(&["--threads", "1", v1, v2]);
    assert_eq!(recs.len(), 3);
    for r in &recs {
        assert_eq!(r["transport"], "quic");
        assert_eq!(r["version"], "TLS 1.3");
        assert_eq!(
            r["outcome"], "established",
            "the client's Handshake packet after the server's"
        );
        assert_eq!(r["readiness"], "meets");
        assert!(
            r["ja4"].as_str().unwrap().starts_with("q13"),
            "JA4 names the transport"
        );
        assert!(r["handshake_ms"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(recs[0]["client_hello"]["sni"], "quic.fixtures.test");
    assert_eq!(recs[1]["client_hello"]["sni"], "quic-big.fixtures.test");
    assert_eq!(recs[0]["quic"]["version"], "1");
    assert_eq!(recs[2]["quic"]["version"], "2");
    assert_eq!(recs[2]["quic"]["retry"], true);
    assert_eq!(recs[0]["quic"]["retry"], false);
    // The same records for every --threads.
    for t in ["2", "3"] {
        assert_eq!(jsonl_of(&["--threads", t, v1, v2]), recs, "--threads {t}");
    }
    // TCP records say so too.
    let tcp = jsonl_of(&[fixture("tls13.pcap").to_str().unwrap()]);
    assert!(
        tcp.iter()
            .all(|r| r["transport"] == "tcp" && r.get("quic").is_none())
    );
    let table = crate::util::stdout(&crate::util::tlssniff([v1, v2]));
    assert!(
        table.contains("Transports: tcp 0, quic 3, dtls 0"),
        "{table}"
    );
}

#[test]
fn ten_thousand_initials_that_do_not_decrypt_are_counted_and_bounded() {
    // Real client Initials with their protected payload bit-flipped, each
    // from its own port: no record, every one counted, the flow table
    // bounded by --max-flows.
    let (_, recs, _) = read_pcap(&fixture("quic-v1.pcap"));
    let first = &recs[0];
    let mut out = Vec::new();
    for i in 0..10_000u32 {
        let mut data = first.data.clone();
        // UDP source port (Ethernet 14 + IPv4 20), and a byte of ciphertext.
        let port = 20_000 + (i % 40_000) as u16;
        data[34..36].copy_from_slice(&port.to_be_bytes());
        // Inside the protected payload (the datagram may end with bytes
        // outside the packet).
        data[42 + 100] ^= 0x55;
        out.push(crate::util::Rec {
            data,
            ..first.clone()
        });
    }
    let dir = crate::util::tempdir("quic-flood");
    let path = dir.join("flood.pcap");
    std::fs::write(&path, crate::util::pcap_bytes(1, &out)).unwrap();
    let o = crate::util::tlssniff([
        "--format",
        "summary-json",
        "--max-flows",
        "1000",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["connections"], 0);
    assert_eq!(
        s["capture"]["quic_unread"]["Initial that does not decrypt"], 10_000,
        "{}",
        s["capture"]
    );
    assert!(s["capture"]["evicted_flows"].as_u64().unwrap() >= 9_000);
}

#[test]
fn a_new_connection_on_a_reused_client_port_is_its_own_record() {
    // The second connection of quic-v1.pcap moved onto the first one's
    // client port: two handshakes on one 4-tuple, told apart by the new
    // client Initial's connection id.
    let (_, recs, _) = read_pcap(&fixture("quic-v1.pcap"));
    let ports: Vec<u16> = {
        let mut p: Vec<u16> = datagrams("quic-v1.pcap").iter().map(|d| d.0).collect();
        p.dedup();
        p
    };
    let (first, second) = (ports[0], ports[1]);
    let moved: Vec<crate::util::Rec> = recs
        .iter()
        .map(|r| {
            let mut data = r.data.clone();
            for at in [34, 36] {
                if data.len() > at + 2 && u16::from_be_bytes([data[at], data[at + 1]]) == second {
                    data[at..at + 2].copy_from_slice(&first.to_be_bytes());
                }
            }
            crate::util::Rec { data, ..r.clone() }
        })
        .collect();
    let dir = crate::util::tempdir("quic-reuse");
    let path = dir.join("reuse.pcap");
    std::fs::write(&path, crate::util::pcap_bytes(1, &moved)).unwrap();
    let got = jsonl_of(&[path.to_str().unwrap()]);
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|r| r["client"]["port"] == first && r["outcome"] == "established")
    );
    assert_eq!(got[1]["client_hello"]["sni"], "quic-big.fixtures.test");
}

#[test]
fn one_rtt_packets_belong_to_their_connection_and_rows_show_the_transport() {
    let v1 = fixture("quic-v1.pcap");
    let tcp = fixture("tls13.pcap");
    let (v1, tcp) = (v1.to_str().unwrap(), tcp.to_str().unwrap());
    let o = crate::util::tlssniff(["--format", "summary-json", v1]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Every packet of the capture is QUIC: the short-header (1-RTT) ones
    // after the handshake are its connections', not skipped UDP.
    assert_eq!(
        s["capture"]["skipped"],
        serde_json::json!({}),
        "{}",
        s["capture"]
    );
    assert!(s["capture"]["after_handshake_segments"].as_u64().unwrap() > 0);
    // A client seen only over QUIC is TLS 1.3-capable: ready.
    let client = &s["clients"][0];
    assert_eq!(
        client["transports"],
        serde_json::json!({"tcp": 0, "quic": 2, "dtls": 0})
    );
    assert_eq!(client["readiness"]["verdict"], "ready");
    assert_eq!(s["servers"][0]["transports"]["quic"], 2);

    // Short headers of no followed flow are UDP that was neither.
    let (_, recs, _) = read_pcap(&fixture("quic-v1.pcap"));
    let short: Vec<_> = recs
        .iter()
        .filter(|r| r.data.get(42).is_some_and(|b| b & 0x80 == 0))
        .cloned()
        .collect();
    assert!(!short.is_empty());
    let dir = crate::util::tempdir("quic-short");
    let path = dir.join("short.pcap");
    std::fs::write(&path, crate::util::pcap_bytes(1, &short)).unwrap();
    let path = path.to_str().unwrap();
    let o = crate::util::tlssniff(["--format", "summary-json", path]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["connections"], 0);
    assert_eq!(
        s["capture"]["skipped"]["UDP (not QUIC or DTLS)"],
        short.len(),
        "{}",
        s["capture"]
    );

    // The table names each row's transports once any came over UDP, and
    // the header counts the UDP that was neither.
    let table = crate::util::stdout(&crate::util::tlssniff([v1, tcp, path]));
    assert!(table.contains("VIA"), "{table}");
    assert!(
        table.contains(&format!(
            "UDP packets neither QUIC nor DTLS: {}",
            short.len()
        )),
        "{table}"
    );
    let quic_row = table
        .lines()
        .find(|l| l.trim_start().starts_with("10.66.63.2 "))
        .expect("the QUIC client's row");
    assert!(quic_row.contains("quic×2"), "{quic_row}");
    let tcp_only = crate::util::stdout(&crate::util::tlssniff([tcp]));
    assert!(
        !tcp_only.contains("VIA"),
        "no column without UDP: {tcp_only}"
    );
}
