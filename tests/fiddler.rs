//! Fiddler session archives. `fixtures/fiddler-legacy.saz` was written by
//! `fixtures/gen/saz.py` from the real handshakes of five fixture captures,
//! in Fiddler's text (quirks included): what tlssniff reads from the text
//! must be what it reads from the packets. Archives changed here (hostile
//! texts, a broken zip) are made from it. The two real Fiddler archives of
//! ../shared/corpus-windows are checked by tests/windows_check.py.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{fixture, jsonl, stderr, stdout, tempdir, tlssniff};

const CAPTURES: [&str; 5] = [
    "tls10.pcap",
    "tls13.pcap",
    "3des.pcap",
    "min-tls12-reject.pcap",
    "tls12.pcap",
];

fn archive() -> PathBuf {
    fixture("fiddler-legacy.saz")
}

fn records(args: &[&Path]) -> Vec<Value> {
    let mut a = vec![
        "--format".to_string(),
        "jsonl".into(),
        "--threads".into(),
        "1".into(),
    ];
    a.extend(args.iter().map(|p| p.to_str().unwrap().to_string()));
    jsonl(&tlssniff(a))
}

/// The archive's entries, by name.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (e.name().to_string(), bytes)
        })
        .collect()
}

fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn fiddlers_text_gives_what_the_packets_give() {
    let pcaps: Vec<PathBuf> = CAPTURES.iter().map(|c| fixture(c)).collect();
    let refs: Vec<&Path> = pcaps.iter().map(PathBuf::as_path).collect();
    let from_packets = records(&refs);
    let from_fiddler = records(&[&archive()]);
    assert_eq!(from_packets.len(), 9);
    assert_eq!(from_fiddler.len(), from_packets.len());
    for (p, f) in from_packets.iter().zip(&from_fiddler) {
        assert_eq!(f["source"], "fiddler");
        assert_eq!(p["source"], "capture");
        // Time (written with a -06:00 offset), addresses, the hello.
        for k in ["ts", "client", "server"] {
            assert_eq!(p[k], f[k], "{k}");
        }
        let (pc, fc) = (&p["client_hello"], &f["client_hello"]);
        for k in [
            "legacy_version",
            "max_version",
            "cipher_suites",
            "sni",
            "fallback_scsv",
        ] {
            assert_eq!(pc[k], fc[k], "{k} of {}", p["client"]);
        }
        assert_eq!(fc["record_version"], Value::Null, "Fiddler does not say");
        assert_eq!(p["offers_3des"], f["offers_3des"]);
        // Fiddler's printer drops the last supported_versions entry: the
        // record says so, and keeps the rest.
        if let Some(list) = pc["supported_versions"].as_array() {
            let printed = fc["supported_versions"].as_array().unwrap();
            assert_eq!(printed[..], list[..list.len() - 1]);
            assert_eq!(f["fiddler"]["supported_versions_cut"], true);
        }
        assert_eq!(f["fiddler"]["process"], "fixture-client");
        assert_eq!(f["fiddler"]["pid"], 4242);
        assert_eq!(f["app"], "http-connect");
        // No fingerprint from names without codes.
        assert_eq!(f["ja3"], Value::Null);
        match f["fiddler"]["decrypting"].as_bool().unwrap() {
            false if p["server_hello"].is_object() => {
                // The negotiated version, TLS 1.3 inferred where the
                // Version line says 3.3.
                assert_eq!(p["version"], f["version"]);
                assert_eq!(p["cipher"], f["cipher"]);
                assert_eq!(f["server_hello_from"], "server");
                assert_eq!(f["outcome"], "not_logged");
                assert_eq!(p["readiness"], f["readiness"]);
            }
            false => {
                // A server alert leaves no text in Fiddler: a failure, judged
                // on what the client offered.
                assert_eq!(p["outcome"], "rejected");
                assert_eq!(f["outcome"], "incomplete");
                assert!(f["reason"].as_str().unwrap().contains("Fiddler"));
                assert_eq!(f["readiness"], "client_cannot");
                assert_eq!(f["server_hello_from"], Value::Null);
            }
            true => {}
        }
    }
    let tls13: Vec<&Value> = from_fiddler
        .iter()
        .filter(|f| f["version"] == "TLS 1.3")
        .collect();
    assert_eq!(tls13.len(), 1);
    assert_eq!(
        tls13[0]["fiddler"]["server_version_from"],
        "supported_versions"
    );
}

#[test]
fn with_decryption_on_fiddlers_own_connection_is_kept_apart() {
    let recs = records(&[&archive()]);
    let d: Vec<&Value> = recs
        .iter()
        .filter(|r| r["fiddler"]["decrypting"] == true)
        .collect();
    assert_eq!(d.len(), 1);
    let r = d[0];
    assert_eq!(r["outcome"], "intercepted");
    assert_eq!(r["server_hello_from"], "fiddler upstream");
    assert_eq!(r["server_hello"], Value::Null);
    assert_eq!(r["version"], Value::Null, "never the upstream's version");
    assert_eq!(r["cipher"], Value::Null);
    assert_eq!(r["fiddler"]["upstream"]["version"], "TLS 1.3");
    assert_eq!(r["fiddler"]["upstream"]["cipher"], "Aes256 256bits");
    assert_eq!(r["fiddler"]["client_version_with_fiddler"], "TLS 1.2");
    assert_eq!(r["client_hello"]["max_version"], "TLS 1.3");
    assert_eq!(r["reason"], Value::Null, "not a failure");
}

#[test]
fn the_table_names_the_sessions_and_the_applications() {
    let out = stdout(&tlssniff([archive().to_str().unwrap()]));
    assert!(
        out.contains("10 Fiddler sessions (9 CONNECT tunnels)"),
        "{out}"
    );
    assert!(out.contains("Client applications (process names from Fiddler sessions)"));
    assert!(out.contains("fixture-client"));
    let summary: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        archive().to_str().unwrap(),
    ])))
    .unwrap();
    let s = &summary["capture"]["sessions"];
    assert_eq!(s["sessions"], 10);
    assert_eq!(s["connect_tunnels"], 9);
    assert_eq!(s["records"], 9);
    assert_eq!(s["not_tunnels"], 1);
    assert_eq!(summary["applications"][0]["connections"], 9);
}

#[test]
fn archives_and_captures_mix_in_order_for_every_thread_count() {
    let a = fixture("tls10.pcap");
    let b = archive();
    let c = fixture("tls13.pcap");
    let run = |threads: &str| {
        stdout(&tlssniff([
            "--format",
            "jsonl",
            "--threads",
            threads,
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            c.to_str().unwrap(),
        ]))
    };
    let one = run("1");
    for t in ["2", "3"] {
        assert_eq!(run(t), one, "--threads {t}");
    }
    let sources: Vec<String> = one
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["source"].to_string())
        .collect();
    assert_eq!(sources.len(), 2 + 9 + 2);
    assert!(sources[..2].iter().all(|s| s == "\"capture\""));
    assert!(sources[2..11].iter().all(|s| s == "\"fiddler\""));
    assert!(sources[11..].iter().all(|s| s == "\"capture\""));
}

#[test]
fn hostile_texts_are_read_within_bounds_and_printed_as_data() {
    let dir = tempdir("fiddler-hostile");
    let mut e = entries(&archive());
    for (name, bytes) in &mut e {
        if name == "raw/01_c.txt" {
            // 4 MiB of extension lines after the marker.
            let mut t = bytes.clone();
            let at = t.windows(12).position(|w| w == b"Extensions: ").unwrap();
            let filler = "\tserver_name\t\x1b]0;owned\x07evil\n".repeat(120_000);
            t.splice(at + 13..at + 13, filler.bytes());
            *bytes = t;
        }
        if name == "raw/02_m.xml" {
            let t = String::from_utf8_lossy(bytes)
                .replace("fixture-client:4242", "\x1b[31mred&lt;script&gt;:1");
            *bytes = t.into_bytes();
        }
        if name == "raw/03_c.txt" {
            *bytes = b"CONNECT x:443 HTTP/1.1\r\n\r\nA SSLv3-compatible ClientHello handshake \
                was found.\nVersion: 9999.1\n\tCiphers: [ZZZZ]\n"
                .to_vec();
        }
    }
    let path = dir.join("hostile.saz");
    write_archive(&path, &e);
    let o = tlssniff([path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        !out.contains('\x1b'),
        "no terminal control from the archive"
    );
    assert!(!out.contains('\x07'));
    let recs = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    // Session 3's unreadable version line gives no record; the others do.
    assert_eq!(recs.len(), 8);
    assert_eq!(recs[1]["fiddler"]["process"], "\u{1b}[31mred<script>");
    // Text past the read bound was not read: the hello says it is partial,
    // its cipher list (after the 4 MiB) is not there; the SNI (the first
    // name) is kept as data.
    let ch = &recs[0]["client_hello"];
    assert_eq!(ch["partial"], true);
    assert_eq!(ch["cipher_suites"].as_array().unwrap().len(), 0);
    assert_eq!(ch["sni"], "\u{1b}]0;owned\u{7}evil");
}

#[test]
fn an_entry_that_inflates_to_128_mib_is_read_only_to_the_bound() {
    let dir = tempdir("fiddler-bomb");
    let path = dir.join("bomb.saz");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in entries(&archive()) {
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(&bytes).unwrap();
        if name == "raw/01_s.txt" {
            // The response of session 1 goes on with 128 MiB of spaces.
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..128 {
                z.write_all(&chunk).unwrap();
            }
        }
    }
    z.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 4 << 20);
    let o = tlssniff(["--stats", "--format", "jsonl", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(jsonl(&o).len(), 9);
    let err = stderr(&o);
    let peak: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("stats: peak memory (RSS) "))
        .and_then(|l| l.strip_suffix(" MiB"))
        .and_then(|n| n.parse().ok())
        .expect("peak memory line");
    assert!(peak < 64, "peak RSS {peak} MiB");
}

#[test]
fn a_broken_archive_is_named_and_the_other_inputs_still_read() {
    let dir = tempdir("fiddler-broken");
    let bytes = std::fs::read(archive()).unwrap();
    let cut = dir.join("cut.saz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let tls12 = fixture("tls12.pcap");
    let o = tlssniff([
        "--format",
        "jsonl",
        cut.to_str().unwrap(),
        tls12.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("cut.saz") && err.contains("zip"), "{err}");
    assert_eq!(jsonl(&o).len(), 2, "the capture after it was read");
    // A zip that is no Fiddler archive keeps its own advice.
    let other = dir.join("other.zip");
    write_archive(&other, &[("notes.txt".into(), b"hello".to_vec())]);
    let o = tlssniff([other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unpack it first"), "{}", stderr(&o));
}
