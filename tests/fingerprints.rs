//! Client software: connections grouped by their JA4 fingerprint, named from
//! a user's `--fingerprints` file. (The fingerprints themselves are checked
//! against tshark and FoxIO by tests/fingerprint_check.py; the fixtures'
//! expected jsonl holds them.)

use serde_json::Value;

use crate::util::{fixture, jsonl, stderr, stdout, tempdir, tlssniff};

#[test]
fn connections_group_by_fingerprint_with_their_clients_and_verdict() {
    let demo = fixture("demo.pcapng");
    let recs = jsonl(&tlssniff(["--format", "jsonl", demo.to_str().unwrap()]));
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        demo.to_str().unwrap(),
    ])))
    .unwrap();
    let rows = s["fingerprints"].as_array().unwrap();
    // Every connection with a fingerprint is in exactly one row.
    let with_ja4 = recs.iter().filter(|r| r["ja4"].is_string()).count() as u64;
    let grouped: u64 = rows
        .iter()
        .map(|r| r["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(grouped, with_ja4);
    for row in rows {
        let mine: Vec<&Value> = recs.iter().filter(|r| r["ja4"] == row["ja4"]).collect();
        assert_eq!(
            mine.len() as u64,
            row["connections"].as_u64().unwrap(),
            "{row}"
        );
        let mut ips: Vec<&str> = mine
            .iter()
            .map(|r| r["client"]["ip"].as_str().unwrap())
            .collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len() as u64, row["clients"].as_u64().unwrap(), "{row}");
        // A stack that offers only TLS 1.0 breaks, wherever it runs.
        if row["ja4"].as_str().unwrap().starts_with("t10") {
            assert_eq!(row["readiness"]["verdict"], "will_break", "{row}");
        }
    }
    assert!(
        rows.iter().any(|r| r["clients"].as_u64() > Some(1)),
        "one stack on two hosts"
    );
}

#[test]
fn a_users_file_names_known_fingerprints() {
    let dir = tempdir("fingerprints");
    let demo = fixture("demo.pcapng");
    let recs = jsonl(&tlssniff(["--format", "jsonl", demo.to_str().unwrap()]));
    let ja4 = recs[0]["ja4"].as_str().unwrap().to_owned();
    let ja3 = recs
        .iter()
        .find(|r| r["ja4"] != recs[0]["ja4"] && r["ja3"].is_string())
        .map(|r| r["ja3"].as_str().unwrap().to_owned())
        .unwrap();
    let file = dir.join("known.csv");
    std::fs::write(
        &file,
        format!("fingerprint,label\n# ours\n{ja4},ERP agent \x1b[31m\n{ja3},\"Backup, old\"\n"),
    )
    .unwrap();
    let out = tlssniff([
        "--format",
        "summary-json",
        "--fingerprints",
        file.to_str().unwrap(),
        demo.to_str().unwrap(),
    ]);
    let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let label_of = |k: &str, v: &str| {
        s["fingerprints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[k] == v)
            .map(|r| r["label"].clone())
            .unwrap()
    };
    assert_eq!(label_of("ja4", &ja4), "ERP agent \u{1b}[31m");
    assert_eq!(label_of("ja3", &ja3), "Backup, old");
    // The table escapes the user's label like any other text.
    let table = stdout(&tlssniff([
        "--fingerprints",
        file.to_str().unwrap(),
        demo.to_str().unwrap(),
    ]));
    assert!(table.contains("ERP agent \\x1b[31m"), "{table}");
    assert!(!table.contains('\x1b'));
    // A file that is not there, or a line without a label, is refused.
    for bad in ["missing.csv", "bad.csv"] {
        let path = dir.join(bad);
        if bad == "bad.csv" {
            std::fs::write(&path, "t13d0204h2_aaaaaaaaaaaa_bbbbbbbbbbbb\n").unwrap();
        }
        let out = tlssniff([
            "--fingerprints",
            path.to_str().unwrap(),
            demo.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains("--fingerprints"),
            "{bad}: {}",
            stderr(&out)
        );
    }
}
