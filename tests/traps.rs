//! The domain traps of STYLE.md, each on real fixture traffic.

use serde_json::Value;

use crate::util::{fixture, jsonl, pcap_bytes, read_pcap, stdout, tempdir, tlssniff};

fn records(name: &str) -> Vec<Value> {
    let out = tlssniff(["--format", "jsonl", fixture(name).to_str().unwrap()]);
    assert!(out.status.success());
    jsonl(&out)
}

#[test]
fn legacy_and_record_versions_are_not_the_protocol_version() {
    // OpenSSL 3.0 as a TLS 1.3 client: record layer TLS 1.0, legacy_version
    // TLS 1.2, supported_versions [1.3, 1.2].
    let r = &records("tls13.pcap")[0];
    let ch = &r["client_hello"];
    assert_eq!(ch["record_version"], "TLS 1.0");
    assert_eq!(ch["legacy_version"], "TLS 1.2");
    assert_eq!(ch["max_version"], "TLS 1.3");
    assert_eq!(r["version"], "TLS 1.3");
    // ServerHello.legacy_version is 1.2 too; supported_versions decides.
    assert_eq!(r["server_hello"]["legacy_version"], "TLS 1.2");
    assert_eq!(r["server_hello"]["version"], "TLS 1.3");
}

#[test]
fn hello_retry_request_is_not_the_final_server_hello() {
    let recs = records("tls13-hrr.pcap");
    assert_eq!(recs.len(), 1, "one connection, two ClientHellos");
    let r = &recs[0];
    assert_eq!(r["hello_retry_request"], true);
    assert_eq!(r["client_hellos"], 2);
    assert_eq!(r["version"], "TLS 1.3");
    assert_eq!(r["outcome"], "established");
}

#[test]
fn a_client_hello_spanning_two_segments_is_reassembled() {
    let r = &records("ch-two-segments.pcap")[0];
    let ch = &r["client_hello"];
    assert_eq!(ch["partial"], false);
    assert!(
        ch["sni"]
            .as_str()
            .unwrap()
            .ends_with("two-segments.fixtures.test")
    );
    assert_eq!(r["outcome"], "established");
}

#[test]
fn a_client_hello_split_over_several_records_is_reassembled() {
    for r in records("ch-multi-record.pcap") {
        assert_eq!(r["client_hello"]["partial"], false);
        assert_eq!(r["client_hello"]["sni"], "multi-record.fixtures.test");
        assert_eq!(r["outcome"], "established");
    }
}

#[test]
fn fallback_scsv_and_inappropriate_fallback() {
    let recs = records("fallback-scsv-inappropriate.pcap");
    let first = &recs[0];
    assert_eq!(first["client_hello"]["max_version"], "TLS 1.3");
    assert_eq!(
        first["outcome"], "reset",
        "the middlebox resets the modern hello"
    );
    let retry = &recs[1];
    assert_eq!(retry["client_hello"]["fallback_scsv"], true);
    assert_eq!(retry["client_hello"]["max_version"], "TLS 1.0");
    assert_eq!(retry["outcome"], "rejected");
    assert_eq!(retry["alerts"][0]["description"], "inappropriate_fallback");
    assert_eq!(retry["alerts"][0]["from"], "server");
}

#[test]
fn minimum_version_rejection_is_explained() {
    for (r, offered) in records("min-tls12-reject.pcap")
        .iter()
        .zip(["TLS 1.0", "TLS 1.1"])
    {
        assert_eq!(r["outcome"], "rejected");
        assert_eq!(r["alerts"][0]["description"], "protocol_version");
        assert_eq!(
            r["reason"],
            format!(
                "rejected: below the server's minimum TLS version — the client offered at most \
                 {offered} (server alert protocol_version)"
            )
        );
    }
}

#[test]
fn three_des_is_flagged() {
    let r = &records("3des.pcap")[0];
    assert_eq!(r["cipher"], "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_eq!(r["uses_3des"], true);
    assert_eq!(r["offers_3des"], true);
}

#[test]
fn ssl3_is_recognised() {
    let recs = records("ssl30.pcap");
    assert!(recs.iter().all(|r| r["version"] == "SSL 3.0"), "{recs:?}");
}

/// NIC offload leaves wrong checksums in captures: they must not matter.
#[test]
fn checksums_are_never_validated() {
    let (lt, mut recs, _) = read_pcap(&fixture("tls12.pcap"));
    assert_eq!(lt, 1);
    for r in &mut recs {
        // IPv4 header checksum (Ethernet + 10) and TCP checksum (+ 14 + 20 + 16).
        for at in [24usize, 50] {
            if let Some(b) = r.data.get_mut(at) {
                *b ^= 0x5a;
            }
        }
    }
    let dir = tempdir("checksums");
    let bad = dir.join("bad-checksums.pcap");
    std::fs::write(&bad, pcap_bytes(lt, &recs)).unwrap();
    let good = tlssniff(["--format", "jsonl", fixture("tls12.pcap").to_str().unwrap()]);
    let out = tlssniff(["--format", "jsonl", bad.to_str().unwrap()]);
    assert!(!stdout(&good).is_empty());
    assert_eq!(stdout(&good), stdout(&out));
}

/// TCP flags of an Ethernet/IPv4/TCP frame.
fn tcp_flags(frame: &[u8]) -> Option<u8> {
    if frame.get(12..14)? != [0x08, 0x00] || *frame.get(23)? != 6 {
        return None;
    }
    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
    frame.get(14 + ihl + 13).copied()
}

/// The capture began after the three-way handshake: the client is the side
/// that sent the ClientHello, and nothing else changes.
#[test]
fn flows_picked_up_without_their_syn() {
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let no_syn: Vec<_> = recs
        .into_iter()
        .filter(|r| tcp_flags(&r.data).is_none_or(|f| f & 0x02 == 0))
        .collect();
    let dir = tempdir("no-syn");
    let path = dir.join("no-syn.pcap");
    std::fs::write(&path, pcap_bytes(lt, &no_syn)).unwrap();
    let got = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    let want = records("tls12.pcap");
    assert_eq!(got, want);
}

/// A server that never answers: the ClientHello gets `no_response` when the
/// capture ends.
#[test]
fn an_unanswered_client_hello_is_no_response() {
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let client_ip = &recs
        .iter()
        .find(|r| tcp_flags(&r.data) == Some(0x02))
        .expect("a SYN")
        .data[26..30]
        .to_vec();
    // Keep the client's packets only (and the server's SYN-ACK).
    let one_way: Vec<_> = recs
        .into_iter()
        .filter(|r| r.data.get(26..30) == Some(client_ip) || tcp_flags(&r.data) == Some(0x12))
        .collect();
    let dir = tempdir("unanswered");
    let path = dir.join("unanswered.pcap");
    std::fs::write(&path, pcap_bytes(lt, &one_way)).unwrap();
    let got = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    assert!(!got.is_empty());
    for r in got {
        assert_eq!(r["outcome"], "no_response", "{r}");
        assert_eq!(r["server_hello"], Value::Null);
        assert_eq!(r["reason"], "no response to ClientHello");
    }
}

/// RFC 8701 GREASE in suites, extensions, supported_versions and groups:
/// never a version, never a suite in the output.
#[test]
fn grease_is_never_the_max_version() {
    let recs = records("grease.pcap");
    assert_eq!(recs.len(), 2);
    for r in &recs {
        let ch = &r["client_hello"];
        let all: Vec<&str> = ch["cipher_suites"]
            .as_array()
            .unwrap()
            .iter()
            .chain(ch["supported_versions"].as_array().into_iter().flatten())
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            all.iter()
                .all(|s| !(s.starts_with("0x") && s.ends_with('a'))),
            "GREASE leaked: {all:?}"
        );
        assert_eq!(r["outcome"], "established");
    }
    assert_eq!(recs[0]["client_hello"]["max_version"], "TLS 1.3");
    assert_eq!(
        recs[0]["client_hello"]["supported_versions"],
        serde_json::json!(["TLS 1.3", "TLS 1.2"])
    );
}

/// RFC 8446 §4.1.3: a TLS 1.3 server negotiating lower says so in its random.
#[test]
fn downgrade_sentinel_is_reported() {
    let recs = records("downgrade-sentinel.pcap");
    let got: Vec<(&str, &Value)> = recs
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap(),
                &r["server_hello"]["downgrade_sentinel"],
            )
        })
        .collect();
    assert_eq!(got[0], ("TLS 1.2", &Value::from("TLS 1.3")));
    assert_eq!(got[1], ("TLS 1.1", &Value::from("TLS 1.2")));
    assert_eq!(got[2], ("TLS 1.3", &Value::Null));
}

/// TLS after a plaintext preamble (SMTP STARTTLS), on any port.
#[test]
fn starttls_is_found_without_a_port_list() {
    let recs = records("starttls-smtp.pcap");
    let ports: Vec<u64> = recs
        .iter()
        .map(|r| r["server"]["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, vec![25, 25, 587]);
    assert!(recs.iter().all(|r| r["outcome"] == "established"));
}
