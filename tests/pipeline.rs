//! The threaded pipeline: the same bytes out for every `--threads`, and the
//! fallback retries it correlates across connections.

use std::process::Command;

use serde_json::{Value, json};

use crate::util::{fixture, root, stdout, tempdir, tlssniff};

fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn outputs(files: &[String], threads: usize) -> Vec<Vec<u8>> {
    ["jsonl", "csv", "summary-json"]
        .iter()
        .map(|format| {
            let mut args = vec![
                "--threads".to_string(),
                threads.to_string(),
                "--format".to_string(),
                format.to_string(),
            ];
            args.extend(files.iter().cloned());
            let out = tlssniff(&args);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        })
        .collect()
}

/// DESIGN.md invariant 1, on every fixture and on a generated capture with
/// thousands of interleaved connections.
#[test]
fn output_is_byte_identical_for_every_thread_count() {
    let dir = tempdir("threads");
    let generated = dir.join("generated.pcap");
    let made = Command::new(env!("CARGO_BIN_EXE_tlssniff-gen"))
        .args([
            "--connections",
            "3000",
            "--bulk-segments",
            "3",
            "--seed",
            "7",
            "-o",
        ])
        .arg(&generated)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for files in [
        all_fixtures(),
        vec![generated.to_string_lossy().into_owned()],
    ] {
        let one = outputs(&files, 1);
        assert!(one[0].len() > 1000);
        for threads in [2, 3, 8] {
            let many = outputs(&files, threads);
            for (a, b) in one.iter().zip(&many) {
                assert!(
                    a == b,
                    "--threads {threads} differs from --threads 1 on {files:?}"
                );
            }
        }
    }
}

#[test]
fn fallback_retries_are_correlated_with_the_failed_attempt() {
    let summary = |name: &str| -> Value {
        let out = tlssniff(["--format", "summary-json", fixture(name).to_str().unwrap()]);
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let refused = summary("fallback-scsv-inappropriate.pcap");
    let f = &refused["fallbacks"][0];
    assert_eq!(f["client"], "10.66.8.2");
    assert_eq!(f["server"], json!({"ip": "10.66.8.1", "port": 443}));
    assert_eq!(f["from_version"], "TLS 1.3");
    assert_eq!(f["failure"], "reset");
    assert_eq!(f["to_version"], "TLS 1.0");
    assert_eq!(f["scsv"], true);
    assert_eq!(f["outcome"], "rejected");
    assert_eq!(f["alert"], "inappropriate_fallback");
    assert_eq!(f["version"], Value::Null);

    let accepted = summary("fallback-scsv-accepted.pcap");
    let f = &accepted["fallbacks"][0];
    assert_eq!(
        (&f["outcome"], &f["version"], &f["scsv"]),
        (&json!("accepted"), &json!("TLS 1.0"), &json!(true))
    );

    let silent = summary("fallback-no-scsv.pcap");
    let f = &silent["fallbacks"][0];
    assert_eq!(
        (&f["outcome"], &f["scsv"], &f["failure"]),
        (&json!("accepted"), &json!(false), &json!("reset"))
    );
    assert_eq!(silent["clients"][0]["fallbacks"], 1);

    // A connection that merely negotiates low is not a retry.
    assert_eq!(summary("tls10.pcap")["fallbacks"], json!([]));
}

#[test]
fn the_table_shows_fallback_retries_per_client() {
    let out = tlssniff([fixture("demo.pcapng").to_str().unwrap()]);
    let text = stdout(&out);
    let section = text
        .split("Fallback retries")
        .nth(1)
        .expect("fallback section");
    assert!(section.contains("10.66.26.108"), "{section}");
    assert!(section.contains("TLS 1.3, reset"), "{section}");
    assert!(
        section.contains("rejected: inappropriate_fallback"),
        "{section}"
    );
}
