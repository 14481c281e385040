//! Command-line behaviour: formats, outputs, inputs, exit status, and the
//! accounting invariant.

use serde_json::Value;

use crate::util::{fixture, jsonl, root, stderr, stdout, tempdir, tlssniff};

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

#[cfg(not(feature = "live"))]
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

/// pcapng with per-interface link types and timestamp resolutions, and the
/// simple and obsolete packet blocks.
#[test]
fn pcapng_interfaces_resolutions_and_block_kinds() {
    use crate::util::{
        Rec, pcapng_epb_units, pcapng_idb, pcapng_opb, pcapng_shb, pcapng_spb, read_pcap,
    };
    let src = fixture("tls12.pcap");
    let (lt, recs, _) = read_pcap(&src);
    assert_eq!(lt, 1);
    let want = jsonl(&tlssniff(["--format", "jsonl", src.to_str().unwrap()]));
    let dir = tempdir("pcapng-kinds");

    // Interface 0: Ethernet with nanoseconds; interface 1: raw IP with
    // 2^-20 s units. Client packets go to one, server packets to the other.
    let mut ng = pcapng_shb();
    ng.extend(pcapng_idb(1, 9));
    ng.extend(pcapng_idb(101, 0x80 | 20));
    for r in &recs {
        let secs = u64::from(r.ts_sec);
        let micros = u64::from(r.ts_usec);
        let from_client = r.data.get(26..30) == Some(&[10, 66, 4, 2][..]);
        if from_client {
            ng.extend(pcapng_epb_units(0, secs * 1_000_000_000 + micros * 1000, r));
        } else {
            let raw = Rec {
                data: r.data[14..].to_vec(),
                orig_len: r.orig_len - 14,
                ..r.clone()
            };
            // micros * 2^20 / 10^6, rounded up so that it reads back as the
            // same microsecond.
            let units = (secs << 20) + (micros * (1 << 20)).div_ceil(1_000_000);
            ng.extend(pcapng_epb_units(1, units, &raw));
        }
    }
    let p = dir.join("two-link-types.pcapng");
    std::fs::write(&p, ng).unwrap();
    let got = jsonl(&tlssniff(["--format", "jsonl", p.to_str().unwrap()]));
    // 2^-20 s units are not whole microseconds: latency may differ by 1 µs.
    let without_latency = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .map(|r| {
                let mut r = r.clone();
                let ms = r["handshake_ms"].take().as_f64().unwrap();
                r["handshake_ms"] = Value::from((ms * 100.0).round());
                r
            })
            .collect()
    };
    assert_eq!(without_latency(&got), without_latency(&want));

    // Obsolete packet blocks carry timestamps: same report.
    let mut ng = pcapng_shb();
    ng.extend(pcapng_idb(1, 6));
    for r in &recs {
        ng.extend(pcapng_opb(0, r));
    }
    let p = dir.join("opb.pcapng");
    std::fs::write(&p, ng).unwrap();
    assert_eq!(
        jsonl(&tlssniff(["--format", "jsonl", p.to_str().unwrap()])),
        want
    );

    // Simple packet blocks have no timestamp: the same connections, versions
    // and ciphers, at time zero.
    let mut ng = pcapng_shb();
    ng.extend(pcapng_idb(1, 6));
    for r in &recs {
        ng.extend(pcapng_spb(r));
    }
    let p = dir.join("spb.pcapng");
    std::fs::write(&p, ng).unwrap();
    let got = jsonl(&tlssniff(["--format", "jsonl", p.to_str().unwrap()]));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["version"], w["version"]);
        assert_eq!(g["cipher"], w["cipher"]);
        assert_eq!(g["client_hello"], w["client_hello"]);
        assert_eq!(g["ts"], "1970-01-01T00:00:00.000000Z");
    }
}

/// Arguments that make no sense are refused with a clear message.
#[test]
fn nonsense_arguments_are_refused() {
    let cap = fixture("tls12.pcap");
    let cap = cap.to_str().unwrap();
    for (args, says) in [
        (
            &["--threads", "0"][..],
            "'--threads <N>': must be at least 1",
        ),
        (
            &["--max-flows", "0"],
            "'--max-flows <N>': must be at least 1",
        ),
        (&["--max-rows", "0"], "'--max-rows <N>': must be at least 1"),
        (
            &["--idle-timeout", "0"],
            "'--idle-timeout <SECONDS>': must be at least 1",
        ),
        (&["--fallback-window", "0"], "must be at least 1"),
        (
            &["--top", "-1"],
            "'--top <N>': must be 0 (every row) or a positive number",
        ),
        (&["--max-handshake-bytes", "100"], "must be at least 512"),
        (
            &["--max-buffered-bytes", "1000"],
            "must be at least 1048576",
        ),
        (&["--threads", "two"], "must be a whole number"),
        (&["--bucket", "0s"], "bad bucket \"0s\""),
        (&["--bucket", "1x"], "a number and s, m, h or d"),
        (&["--bucket", "h"], "bad bucket"),
        (
            &["--policy", "pci"],
            "invalid value 'pci' for '--policy <NAME>'",
        ),
        (&["--deny-cipher", "rc5"], "possible values: 3des, rc4"),
    ] {
        let mut all = args.to_vec();
        all.push(cap);
        let out = tlssniff(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // --top 0 still means every row.
    assert!(tlssniff(["--top", "0", cap]).status.success());
}

/// The same capture named twice (by any path) is read once, with a note;
/// the header counts only inputs that were read as captures.
#[test]
fn an_input_named_twice_is_read_once() {
    let cap = fixture("tls12.pcap");
    let again = root().join("fixtures/../fixtures/tls12.pcap");
    let missing = root().join("fixtures/no-such-capture.pcap");
    let out = tlssniff([
        "--format",
        "summary-json",
        cap.to_str().unwrap(),
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("is named more than once; it is read once"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["connections"], 2);
    assert_eq!(v["capture"]["files"].as_array().unwrap().len(), 1);
    let out = tlssniff([cap.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).starts_with("tlssniff: 1 file (1 more could not be read), 36 packets"),
        "{}",
        stdout(&out)
    );
}

/// tcpdump's habits: `-n` (nothing is resolved anyway), `-nr FILE`, `-c N`
/// on a file, `-V`.
#[test]
fn tcpdumps_flags_work_on_files() {
    let f = fixture("tls12.pcap");
    let f = f.to_str().unwrap();
    let plain = stdout(&tlssniff(["--format", "jsonl", f]));
    for args in [&["-n", f][..], &["-nr", f], &["-nn", "-r", f]] {
        let mut all = vec!["--format", "jsonl"];
        all.extend_from_slice(args);
        let out = tlssniff(&all);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), plain, "{args:?}");
    }
    let out = tlssniff(["--format", "summary-json", "-c", "5", "-r", f]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["capture"]["packets"], 5, "{}", v["capture"]);
    let version = stdout(&tlssniff(["-V"]));
    assert!(version.contains("live capture: "), "{version}");
}

/// A trailing filter on a file (`tlssniff -r f.pcap tcp port 443`, as
/// tcpdump reads it): libpcap compiles it when the `live` feature is built
/// in; without it, one line says so — the words are never file names.
#[test]
fn a_trailing_filter_on_files_is_a_filter() {
    let f = fixture("tls12.pcap");
    let f = f.to_str().unwrap();
    let out = tlssniff(["--format", "summary-json", "-r", f, "tcp", "port", "443"]);
    if cfg!(feature = "live") {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["connections"], 2);
        assert!(v["capture"]["skipped"]["not matched by the filter"].as_u64() > Some(0));
        let other = tlssniff(["--format", "summary-json", "-r", f, "port", "8443"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&other)).unwrap();
        assert_eq!(v["connections"], 0);
        let bad = tlssniff(["-r", f, "tcp", "port"]);
        assert_eq!(bad.status.code(), Some(2));
        assert!(stderr(&bad).contains("syntax error"), "{}", stderr(&bad));
    } else {
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("needs libpcap") && err.contains("`live`"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn an_html_page_is_not_written_to_a_terminal() {
    // script(1) gives the command a real terminal as standard output.
    let cmd = format!(
        "{} --format html {}; echo exit=$?",
        env!("CARGO_BIN_EXE_tlssniff"),
        fixture("demo.pcapng").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("COLUMNS")
        .output()
        .expect("script(1) (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("writes a web page"), "{text}");
    assert!(text.contains("exit=2"), "{text}");
    assert!(!text.contains("<!DOCTYPE"), "{text}");
}

#[test]
fn the_sensor_is_named_in_every_record_and_summary() {
    let demo = fixture("demo.pcapng");
    let demo = demo.to_str().unwrap();
    let records = jsonl(&tlssniff([
        "--format",
        "jsonl",
        "--sensor",
        "dc1-uplink",
        demo,
    ]));
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| r["sensor"] == "dc1-uplink"));
    let csv = stdout(&tlssniff([
        "--format",
        "csv",
        "--sensor",
        "dc1-uplink",
        demo,
    ]));
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",sensor"));
    assert!(lines.all(|l| l.ends_with(",dc1-uplink")));
    let summary: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        "--sensor",
        "dc1-uplink",
        demo,
    ])))
    .unwrap();
    assert_eq!(summary["sensor"], "dc1-uplink");
    assert!(summary.get("interval").is_none(), "files have no intervals");
    let table = stdout(&tlssniff(["--sensor", "dc1-uplink", demo]));
    assert!(
        table.lines().nth(1).unwrap() == "Sensor: dc1-uplink",
        "{table}"
    );
    // Unnamed: the host name, and the table does not repeat it.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let unnamed = jsonl(&tlssniff(["--format", "jsonl", demo]));
    assert_eq!(unnamed[0]["sensor"], host.trim());
    assert!(!stdout(&tlssniff([demo])).contains("Sensor:"));
}

#[test]
fn a_sensor_name_is_printable_text() {
    let demo = fixture("demo.pcapng");
    let long = "s".repeat(254);
    for bad in [
        "",
        "  ",
        "a\u{1b}[2Jb",
        "tab\there",
        "rtl\u{202e}gpj",
        long.as_str(),
    ] {
        let out = tlssniff(["--sensor", bad, demo.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            stderr(&out).contains("a sensor name is 1 to 253 bytes"),
            "{bad:?}"
        );
        assert!(out.stdout.is_empty());
    }
    let ok = tlssniff([
        "--format",
        "jsonl",
        "--sensor",
        "Zweigstelle Köln",
        demo.to_str().unwrap(),
    ]);
    assert_eq!(jsonl(&ok)[0]["sensor"], "Zweigstelle Köln");
}

#[test]
fn every_floor_probe_walks_every_packet() {
    let demo = root().join("fixtures/demo.pcapng");
    let demo = demo.to_str().unwrap();
    let summary = tlssniff(["--format", "summary-json", demo]);
    let v: Value = serde_json::from_str(&stdout(&summary)).unwrap();
    let packets = v["capture"]["packets"].as_u64().unwrap();
    assert!(packets > 0);
    // `--floor FILE` keeps FILE as the capture: a probe is named with `=`.
    for probe in [
        "--floor",
        "--floor=walk",
        "--floor=decode",
        "--floor=lookup",
    ] {
        for read in [None, Some("--mmap"), Some("--no-mmap")] {
            let mut args = vec!["bench", probe];
            args.extend(read);
            args.push(demo);
            let out = tlssniff(&args);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let said = stdout(&out);
            assert!(
                said.starts_with(&format!("floor: {packets} packets in ")),
                "{args:?}: {said}"
            );
        }
    }
    let bad = tlssniff(["bench", "--floor=hash", demo]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("walk, decode, lookup"),
        "{}",
        stderr(&bad)
    );
}
