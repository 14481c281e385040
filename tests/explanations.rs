//! Outcomes and failure reasons say what the evidence shows, checked on
//! real connections: the fixtures (OpenSSL, GnuTLS, curl and Python
//! clients refusing certificates, a TLS 1.3-only client against a TLS 1.2
//! server, a middlebox resetting after the key exchange, a silent server,
//! ...) and captures derived from them here (joined late, cut short, a full
//! flow table, a direction past --max-handshake-bytes). `established` means
//! the handshake completed, never merely "a ServerHello was seen".

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{Rec, fixture, pcap_bytes, read_pcap, stderr, stdout, tempdir, tlssniff};

/// One connection's expected outcome, stage, first closer and reason.
struct Case {
    file: &'static str,
    /// Position of the connection in the file's jsonl.
    index: usize,
    outcome: &'static str,
    stage: &'static str,
    closed_by: Option<&'static str>,
    reason: Option<&'static str>,
}

const fn case(
    file: &'static str,
    index: usize,
    outcome: &'static str,
    stage: &'static str,
    closed_by: Option<&'static str>,
    reason: Option<&'static str>,
) -> Case {
    Case {
        file,
        index,
        outcome,
        stage,
        closed_by,
        reason,
    }
}

const CERT: &str =
    "rejected by the client: it does not accept the server's certificate (client alert unknown_ca)";

const CASES: &[Case] = &[
    case("tls12.pcap", 0, "established", "complete", None, None),
    case("tls13.pcap", 1, "established", "complete", None, None),
    case("ssl30.pcap", 0, "established", "complete", None, None),
    case(
        "resumption-tls12.pcap",
        1,
        "established",
        "complete",
        None,
        None,
    ),
    case(
        "resumption-tls13-psk.pcap",
        1,
        "established",
        "complete",
        None,
        None,
    ),
    case("tls13-hrr.pcap", 0, "established", "complete", None, None),
    // A TLS 1.3-only client against a server that stops at TLS 1.2.
    case(
        "version-mismatch.pcap",
        0,
        "rejected",
        "client_hello",
        None,
        Some(
            "rejected: the client asked for more than the server supports — it offered only \
             TLS 1.3 (server alert protocol_version)",
        ),
    ),
    case(
        "version-mismatch.pcap",
        1,
        "established",
        "complete",
        None,
        None,
    ),
    // TLS 1.2 and 1.3 offered to a server that stops at TLS 1.1: one record
    // alone cannot tell which side is too old (the summary can, below).
    case(
        "version-mismatch.pcap",
        2,
        "rejected",
        "client_hello",
        None,
        Some(
            "rejected: no TLS version in common — the client offered TLS 1.2 to TLS 1.3 \
             (server alert protocol_version)",
        ),
    ),
    case(
        "min-tls12-reject.pcap",
        0,
        "rejected",
        "client_hello",
        None,
        Some(
            "rejected: below the server's minimum TLS version — the client offered at most \
             TLS 1.0 (server alert protocol_version)",
        ),
    ),
    case(
        "fallback-scsv-inappropriate.pcap",
        1,
        "rejected",
        "client_hello",
        None,
        Some(
            "rejected: fallback refused (TLS_FALLBACK_SCSV, the server supports a higher \
             version) (server alert inappropriate_fallback)",
        ),
    ),
    case(
        "handshake-failure.pcap",
        0,
        "rejected",
        "client_hello",
        None,
        Some("rejected: no cipher suite or parameters in common (server alert handshake_failure)"),
    ),
    case(
        "legacy-ciphers-refused.pcap",
        0,
        "rejected",
        "client_hello",
        None,
        Some(
            "rejected: no cipher suite in common — the client offered only legacy suites \
             (3DES, RC4, NULL) (server alert handshake_failure)",
        ),
    ),
    // A client accepting only TLS 1.2, answered with TLS 1.0.
    case(
        "client-refuses-version.pcap",
        0,
        "rejected",
        "server_hello_done",
        None,
        Some(
            "rejected by the client: the server chose TLS 1.0, which the client does not \
             accept (client alert protocol_version)",
        ),
    ),
    // Any other alert says who sent it.
    case(
        "sni-refused.pcap",
        0,
        "rejected",
        "client_hello",
        None,
        Some("rejected by the server (server alert unrecognized_name)"),
    ),
    // curl and Python refusing the self-signed certificate with an alert.
    case(
        "cert-rejected.pcap",
        0,
        "rejected",
        "server_flight",
        None,
        Some(CERT),
    ),
    case(
        "cert-rejected.pcap",
        1,
        "rejected",
        "server_hello_done",
        None,
        Some(CERT),
    ),
    case(
        "cert-rejected.pcap",
        2,
        "rejected",
        "server_hello_done",
        None,
        Some(CERT),
    ),
    case(
        "cert-rejected.pcap",
        3,
        "rejected",
        "server_flight",
        None,
        Some(CERT),
    ),
    // The same refusal without an alert: the client just closes. The
    // server's decode_error that follows answers the close.
    case(
        "cert-rejected.pcap",
        4,
        "aborted",
        "server_hello_done",
        Some("client"),
        Some(
            "aborted: the client closed the connection after the server's ServerHelloDone, \
             without an alert (maybe it does not trust the server's certificate)",
        ),
    ),
    case(
        "cert-rejected.pcap",
        5,
        "aborted",
        "server_flight",
        Some("client"),
        Some(
            "aborted: the client closed the connection after the server's encrypted \
             handshake flight, without an alert (maybe it does not trust the server's \
             certificate)",
        ),
    ),
    // gnutls-cli: a TLS 1.3 alert the capture cannot read, then FIN.
    case(
        "cert-rejected.pcap",
        6,
        "aborted",
        "server_flight",
        Some("client"),
        Some(
            "aborted: the client sent an encrypted alert after the server's encrypted \
             handshake flight and closed the connection (maybe it does not trust the \
             server's certificate)",
        ),
    ),
    // A middlebox resetting after the client's key exchange.
    case(
        "reset-after-key-exchange.pcap",
        0,
        "aborted",
        "client_finished",
        Some("server"),
        Some("aborted: reset by the server after the client's Finished"),
    ),
    case(
        "fallback-no-scsv.pcap",
        0,
        "reset",
        "client_hello",
        Some("server"),
        Some("reset by the server before ServerHello"),
    ),
    case(
        "no-answer.pcap",
        0,
        "no_response",
        "client_hello",
        Some("client"),
        Some("no response to ClientHello"),
    ),
    case(
        "no-answer.pcap",
        1,
        "reset",
        "client_hello",
        Some("client"),
        Some("reset by the client before ServerHello"),
    ),
    case(
        "snaplen128.pcap",
        0,
        "incomplete",
        "server_hello",
        Some("server"),
        Some("incomplete: handshake cut by the capture's snaplen"),
    ),
];

fn jsonl(args: &[&str], path: &std::path::Path) -> Vec<Value> {
    let mut all = vec!["--format", "jsonl"];
    all.extend_from_slice(args);
    all.push(path.to_str().unwrap());
    let out = tlssniff(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn csv_reasons(path: &std::path::Path) -> Vec<String> {
    let out = tlssniff(["--format", "csv", path.to_str().unwrap()]);
    let mut rd = csv::Reader::from_reader(out.stdout.as_slice());
    let at = rd
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "reason")
        .unwrap();
    rd.records().map(|r| r.unwrap()[at].to_string()).collect()
}

fn check(rec: &Value, c: &Case) {
    let what = format!("{} #{}: {rec}", c.file, c.index);
    assert_eq!(rec["outcome"], c.outcome, "{what}");
    assert_eq!(rec["stage"], c.stage, "{what}");
    assert_eq!(rec["closed_by"].as_str(), c.closed_by, "{what}");
    assert_eq!(rec["reason"].as_str(), c.reason, "{what}");
}

#[test]
fn every_outcome_and_reason_on_real_connections() {
    let files: BTreeSet<&str> = CASES.iter().map(|c| c.file).collect();
    for file in files {
        let path = fixture(file);
        let recs = jsonl(&[], &path);
        let reasons = csv_reasons(&path);
        for c in CASES.iter().filter(|c| c.file == file) {
            check(&recs[c.index], c);
            // The CSV says the same.
            assert_eq!(
                reasons[c.index],
                c.reason.unwrap_or(""),
                "{file} #{}",
                c.index
            );
        }
    }
    // Every outcome is among them.
    let outcomes: BTreeSet<&str> = CASES.iter().map(|c| c.outcome).collect();
    for o in [
        "established",
        "rejected",
        "reset",
        "aborted",
        "no_response",
        "incomplete",
    ] {
        assert!(outcomes.contains(o), "no fixture connection is {o}");
    }
}

/// The table and summary-json know what each server negotiates with other
/// clients, and use it: the server that refused TLS 1.2–1.3 negotiates
/// TLS 1.1 with others, so that client asked for too much.
#[test]
fn the_summary_sharpens_a_version_refusal_with_what_the_server_does() {
    let path = fixture("version-mismatch.pcap");
    let out = tlssniff(["--format", "summary-json", path.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons: Vec<&str> = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "rejected: the client asked for more than the server supports — it offered only \
             TLS 1.3; the server negotiates TLS 1.2 with other clients (server alert \
             protocol_version)",
            "rejected: the client asked for more than the server supports — it offered TLS 1.2 \
             to TLS 1.3; the server negotiates TLS 1.1 with other clients (server alert \
             protocol_version)",
        ]
    );
    let table = stdout(&tlssniff(["--color", "never", path.to_str().unwrap()]));
    for r in reasons {
        assert!(table.contains(r), "{r:?} not in\n{table}");
    }
}

/// Writes `recs` as a pcap in a temporary directory.
fn derived(name: &str, recs: &[Rec]) -> (crate::util::TempDir, std::path::PathBuf) {
    let dir = tempdir(name);
    let path = dir.join(format!("{name}.pcap"));
    std::fs::write(&path, pcap_bytes(1, recs)).unwrap();
    (dir, path)
}

/// The TCP payload of an Ethernet/IPv4 frame.
fn payload(frame: &[u8]) -> &[u8] {
    match etherparse::SlicedPacket::from_ethernet(frame) {
        Ok(p) => match p.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => t.payload(),
            _ => &[],
        },
        Err(_) => &[],
    }
}

#[test]
fn incomplete_says_what_the_capture_missed() {
    let (_, recs, _) = read_pcap(&fixture("tls12.pcap"));
    // Joined late: the first connection's ClientHello is not in the capture.
    let first_hello = recs
        .iter()
        .position(|r| payload(&r.data).get(5) == Some(&1))
        .unwrap();
    let mut late = recs.clone();
    late.remove(first_hello);
    let (_d1, path) = derived("joined-late", &late);
    let r = &jsonl(&[], &path)[0];
    assert_eq!(r["outcome"], "incomplete", "{r}");
    assert_eq!(
        r["reason"], "incomplete: capture began after the ClientHello",
        "{r}"
    );

    // Cut short: the capture stops after the first server packet with data.
    let (_, recs13, _) = read_pcap(&fixture("tls13.pcap"));
    let first_server = recs13
        .iter()
        .position(|r| payload(&r.data).get(5) == Some(&2))
        .unwrap();
    let (_d2, path) = derived("cut-short", &recs13[..=first_server]);
    let r = &jsonl(&[], &path)[0];
    assert_eq!(r["outcome"], "incomplete", "{r}");
    assert_eq!(r["stage"], "server_flight", "{r}");
    assert_eq!(
        r["reason"],
        "incomplete: the capture or --idle-timeout ended the flow after the server's \
         encrypted handshake flight",
        "{r}"
    );

    // A direction past --max-handshake-bytes: the server's Certificate is
    // longer than 512 bytes, so its Finished is never seen.
    let r = &jsonl(&["--max-handshake-bytes", "512"], &fixture("tls12.pcap"))[0];
    assert_eq!(r["outcome"], "incomplete", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .starts_with("incomplete: the handshake could not be followed to its end"),
        "{r}"
    );

    // A full flow table: the four overlapping connections of multi-client
    // cannot all be tracked in one flow.
    let recs = jsonl(
        &["--max-flows", "1", "--threads", "1"],
        &fixture("multi-client.pcap"),
    );
    assert!(
        recs.iter()
            .any(|r| r["reason"] == "incomplete: flow evicted (flow table full)"),
        "{recs:?}"
    );
}
