//! Command-line behaviour: formats, outputs, inputs, exit status, and the
//! accounting invariant.

use serde_json::Value;

use crate::util::{fixture, jsonl, stderr, stdout, tempdir, tlssniff};

#[test]
fn min_version_is_a_policy_gate() {
    let modern = fixture("tls13.pcap");
    let old = fixture("tls10.pcap");
    let ok = tlssniff([
        "--min-version",
        "1.2",
        "--format",
        "summary-json",
        modern.to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let bad = tlssniff([
        "--min-version",
        "1.2",
        "--format",
        "summary-json",
        old.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&bad)).unwrap();
    assert_eq!(v["policy"]["min_version"], "TLS 1.2");
    assert!(v["policy"]["connections_below"].as_u64().unwrap() >= 1);
    let rejected = tlssniff(["--min-version", "tls1.3", old.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(1));
    let unknown = tlssniff(["--min-version", "1.7", old.to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown TLS version"));
}

#[test]
fn read_flag_stdin_and_output_file() {
    let f = fixture("tls11.pcap");
    let a = tlssniff(["--format", "jsonl", "-r", f.to_str().unwrap()]);
    let bytes = std::fs::read(&f).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .args(["--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let b = child.wait_with_output().unwrap();
    assert!(!stdout(&a).is_empty());
    assert_eq!(stdout(&a), stdout(&b));
    let dir = tempdir("output");
    let out_file = dir.join("report.jsonl");
    let c = tlssniff([
        "--format",
        "jsonl",
        "-o",
        out_file.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert!(stdout(&c).is_empty());
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), stdout(&a));
}

#[test]
fn csv_has_a_header_and_one_row_per_connection() {
    let f = fixture("tls12.pcap");
    let rows = jsonl(&tlssniff(["--format", "jsonl", f.to_str().unwrap()])).len();
    let csv = stdout(&tlssniff(["--format", "csv", f.to_str().unwrap()]));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ts,client_ip,client_port,server_ip,server_port,sni,")
    );
    assert_eq!(lines.count(), rows);
}

#[test]
fn every_packet_is_accounted_for() {
    let files: Vec<String> = [
        "tls12.pcap",
        "tls13-hrr.pcap",
        "fallback-no-scsv.pcap",
        "ssl30.pcap",
    ]
    .iter()
    .map(|n| fixture(n).to_string_lossy().into_owned())
    .collect();
    let mut args = vec!["--format".to_string(), "summary-json".to_string()];
    args.extend(files);
    let v: Value = serde_json::from_str(&stdout(&tlssniff(&args))).unwrap();
    let c = &v["capture"];
    let skipped: u64 = c["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let tcp = c["tcp_segments"].as_u64().unwrap();
    assert_eq!(c["packets"].as_u64().unwrap(), skipped + tcp);
    assert_eq!(
        tcp,
        c["handshake_segments"].as_u64().unwrap()
            + c["after_handshake_segments"].as_u64().unwrap()
            + c["untracked_segments"].as_u64().unwrap()
    );
    let per_file: u64 = c["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["packets"].as_u64().unwrap())
        .sum();
    assert_eq!(per_file, c["packets"].as_u64().unwrap());
}

#[test]
fn live_capture_without_the_feature_says_how_to_get_it() {
    let out = tlssniff(["-i", "eth0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--features live"), "{}", stderr(&out));
}

#[test]
fn output_is_identical_run_to_run() {
    let f = fixture("ch-multi-record.pcap");
    let a = tlssniff(["--format", "summary-json", f.to_str().unwrap()]);
    let b = tlssniff(["--format", "summary-json", f.to_str().unwrap()]);
    assert_eq!(a.stdout, b.stdout);
}

/// pcap in both byte orders with µs or ns timestamps, pcapng with decimal
/// and binary timestamp resolutions: the same packets give the same report.
#[test]
fn every_capture_flavour_reads_the_same() {
    use crate::util::{pcap_bytes_as, pcapng_epb, pcapng_idb, pcapng_shb, read_pcap};
    let src = fixture("tls13-hrr.pcap");
    let (lt, recs, _) = read_pcap(&src);
    let want = stdout(&tlssniff(["--format", "jsonl", src.to_str().unwrap()]));
    assert!(!want.is_empty());
    let dir = tempdir("flavours");
    let mut files = Vec::new();
    for (be, ns) in [(true, false), (false, true), (true, true)] {
        let p = dir.join(format!("be{be}-ns{ns}.pcap"));
        std::fs::write(&p, pcap_bytes_as(lt, &recs, be, ns)).unwrap();
        files.push(p);
    }
    // pcapng: two sections, the packets split between them.
    let mut ng = Vec::new();
    let half = recs.len() / 2;
    for part in [&recs[..half], &recs[half..]] {
        ng.extend(pcapng_shb());
        ng.extend(pcapng_idb(lt as u16, 6));
        for r in part {
            ng.extend(pcapng_epb(0, r));
        }
    }
    let p = dir.join("two-sections.pcapng");
    std::fs::write(&p, ng).unwrap();
    files.push(p);
    for f in files {
        let got = stdout(&tlssniff(["--format", "jsonl", f.to_str().unwrap()]));
        assert_eq!(got, want, "{}", f.display());
    }
}
