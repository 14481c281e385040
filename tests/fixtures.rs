//! Snapshot tests: the jsonl of every fixture capture.

use std::path::PathBuf;

use crate::util::{fixture, root, stderr, stdout, tlssniff};

/// Every capture in fixtures/ (pcap, pcapng, compressed copies).
fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            [
                ".pcap",
                ".pcapng",
                ".pcap.gz",
                ".pcapng.gz",
                ".pcap.zst",
                ".pcapng.zst",
            ]
            .iter()
            .any(|ext| n.ends_with(ext))
        })
        .collect();
    v.sort();
    v
}

fn expected_path(capture: &std::path::Path) -> PathBuf {
    let name = capture.file_name().and_then(|n| n.to_str()).unwrap_or("");
    fixture("expected").join(format!("{name}.jsonl"))
}

#[test]
fn every_fixture_matches_its_expected_jsonl() {
    let bless = std::env::var_os("TLSSNIFF_BLESS").is_some();
    let caps = captures();
    assert!(caps.len() >= 10, "fixtures missing: {caps:?}");
    let mut failures = Vec::new();
    for cap in caps {
        // A fixed sensor name: the default, the host name, differs by
        // machine.
        let out = tlssniff([
            std::ffi::OsStr::new("--format"),
            "jsonl".as_ref(),
            "--sensor".as_ref(),
            "fixtures".as_ref(),
            cap.as_os_str(),
        ]);
        assert!(out.status.success(), "{}: {}", cap.display(), stderr(&out));
        let got = stdout(&out);
        let exp_path = expected_path(&cap);
        if bless {
            std::fs::create_dir_all(exp_path.parent().unwrap()).unwrap();
            std::fs::write(&exp_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&exp_path).unwrap_or_else(|_| {
            panic!(
                "no expectation {} (TLSSNIFF_BLESS=1 writes it)",
                exp_path.display()
            )
        });
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n+++ got\n{got}",
                cap.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn compressed_copy_reads_like_the_original() {
    let plain = tlssniff(["--format", "jsonl", fixture("tls12.pcap").to_str().unwrap()]);
    let gz = tlssniff([
        "--format",
        "jsonl",
        fixture("tls12.pcap.gz").to_str().unwrap(),
    ]);
    assert!(!stdout(&plain).is_empty());
    assert_eq!(stdout(&plain), stdout(&gz));
}

#[test]
fn the_table_shows_every_section() {
    let out = tlssniff([
        "--min-version",
        "1.2",
        fixture("tls10.pcap").to_str().unwrap(),
        fixture("min-tls12-reject.pcap").to_str().unwrap(),
        fixture("3des.pcap").to_str().unwrap(),
    ]);
    let text = stdout(&out);
    for section in [
        "Negotiated versions",
        "Clients (versions negotiated",
        "Servers",
        "Negotiated cipher suites",
        "Legacy: connections below TLS 1.2 or with a weak suite",
        "Failed handshakes",
        "Policy check: minimum TLS 1.2",
        "Handshake latency",
    ] {
        assert!(text.contains(section), "missing {section:?} in\n{text}");
    }
    assert!(text.contains(
        "rejected: below the server's minimum TLS version — the client offered at most TLS 1.0 \
         (server alert protocol_version)"
    ));
    assert!(text.contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
    assert_eq!(out.status.code(), Some(1), "policy violations exit with 1");
}
