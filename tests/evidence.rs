//! `-w FILE` / `--write-legacy FILE`: the packets of the listed handshakes
//! as pcapng. The oracle is tlssniff itself: the evidence file, read
//! again, must give exactly the records it was written for.

use serde_json::Value;

use crate::util::{fixture, jsonl, stderr, tempdir, tlssniff};

fn records_of(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["--format", "jsonl", "--threads", "1"];
    a.extend(args);
    jsonl(&tlssniff(a))
}

#[test]
fn the_evidence_reads_back_as_the_same_records() {
    let dir = tempdir("evidence");
    for name in [
        "demo.pcapng",
        "multi-client.pcap.gz",
        "tls13-hrr.pcap",
        "tunnel-vxlan.pcap",
        "reset-after-key-exchange.pcap",
        "no-answer.pcap",
        "cert-big-chain.pcap",
        "tds-split.pcap",
    ] {
        let input = fixture(name);
        let ev = dir.join(format!("{name}.pcapng"));
        let mut files = Vec::new();
        for threads in ["1", "2"] {
            let o = tlssniff([
                "--format",
                "jsonl",
                "--threads",
                threads,
                "-w",
                ev.to_str().unwrap(),
                input.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{name}: {}", stderr(&o));
            assert!(stderr(&o).contains("tlssniff: wrote "), "{name}");
            files.push(std::fs::read(&ev).unwrap());
        }
        assert_eq!(
            files[0], files[1],
            "{name}: the same file for every --threads"
        );
        let original = records_of(&[input.to_str().unwrap()]);
        let again = records_of(&[ev.to_str().unwrap()]);
        assert!(!original.is_empty());
        assert_eq!(again, original, "{name}");
    }
}

#[test]
fn write_legacy_holds_only_the_legacy_handshakes() {
    let dir = tempdir("evidence-legacy");
    let demo = fixture("demo.pcapng");
    let ev = dir.join("legacy.pcapng");
    let o = tlssniff([
        "--format",
        "summary-json",
        "--write-legacy",
        ev.to_str().unwrap(),
        demo.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    let legacy = summary["totals"]["legacy_connections"].as_u64().unwrap();
    assert!(legacy > 0 && legacy < summary["connections"].as_u64().unwrap());
    let again = records_of(&[ev.to_str().unwrap()]);
    assert_eq!(again.len() as u64, legacy);
    for r in &again {
        let legacy_version = |v: &Value| {
            matches!(
                v.as_str(),
                Some("SSL 2.0" | "SSL 3.0" | "TLS 1.0" | "TLS 1.1")
            )
        };
        let weak = r["cipher"].as_str().is_some_and(|c| {
            ["3DES", "RC4", "NULL", "EXPORT", "anon", "_DES_"]
                .iter()
                .any(|w| c.contains(w))
        });
        let v = if r["version"].is_null() {
            &r["client_hello"]["max_version"]
        } else {
            &r["version"]
        };
        assert!(legacy_version(v) || weak, "{r}");
    }
    // Each connection's first packet says what was found, in plain text.
    let bytes = std::fs::read(&ev).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("tlssniff: 10.66.26.105:54824 -> 10.66.26.20:443 SNI legacy-erp.fixtures.test offered TLS 1.0 negotiated TLS 1.0"), "comment");
    assert_eq!(text.matches("tlssniff: 10.66.").count() as u64, legacy);
}

#[test]
fn the_same_packets_are_counted_on_both_readings() {
    // -c and pktmon-style copies change which packet a position names; the
    // second reading counts the same way.
    let dir = tempdir("evidence-count");
    let demo = fixture("demo.pcapng");
    let ev = dir.join("first.pcapng");
    let first = records_of(&[
        "-c",
        "120",
        "-w",
        ev.to_str().unwrap(),
        demo.to_str().unwrap(),
    ]);
    assert!(!first.is_empty());
    assert_eq!(records_of(&[ev.to_str().unwrap()]), first);
}

#[test]
fn streams_and_the_inputs_themselves_are_refused() {
    let dir = tempdir("evidence-refused");
    let ev = dir.join("ev.pcapng");
    let demo = fixture("demo.pcapng");
    for (args, says) in [
        (vec!["-w", ev.to_str().unwrap(), "-"], "not a stream"),
        (
            vec!["-w", "-", demo.to_str().unwrap()],
            "give the evidence a file name",
        ),
        (
            vec!["-w", demo.to_str().unwrap(), demo.to_str().unwrap()],
            "one of the inputs",
        ),
    ] {
        let o = tlssniff(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert!(!ev.exists());
}
