//! Readiness verdicts on the real fixtures, against an oracle computed from
//! the jsonl records themselves: a client "will break" exactly when none of
//! its connections offered a policy-meeting handshake (TLS ≥ 1.2 or DTLS ≥ 1.2, and a
//! suite that is not weak), and is "mixed" when some did and some did not.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{fixture, jsonl, stdout, tlssniff};

/// Every capture of fixtures/ (not the compressed copies: they repeat it).
fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".pcap") || p.ends_with(".pcapng"))
        .collect();
    v.sort();
    v
}

/// Does this record's ClientHello meet TLS ≥ 1.2 with a suite that is not
/// weak (3DES, RC4, NULL, EXPORT, anonymous, DES) nor a signalling value?
fn offer_meets(r: &Value) -> Option<bool> {
    let ch = r.get("client_hello").filter(|c| !c.is_null())?;
    let max = ch["max_version"].as_str().unwrap_or("");
    // DTLS 1.2 and 1.3 are TLS 1.2's and 1.3's (README, DTLS).
    let version_ok = matches!(max, "TLS 1.2" | "TLS 1.3" | "DTLS 1.2" | "DTLS 1.3");
    let suite_ok = ch["cipher_suites"].as_array().unwrap().iter().any(|s| {
        let s = s.as_str().unwrap_or("");
        let weak = ["3DES", "RC4", "NULL", "EXPORT", "anon", "_DES_", "DES40"];
        !weak.iter().any(|w| s.contains(w)) && !s.ends_with("_SCSV")
    });
    Some(version_ok && suite_ok)
}

#[test]
fn will_break_is_exactly_the_clients_that_never_offered_the_policy() {
    let files = all_fixtures();
    let records = jsonl(&tlssniff(
        ["--format", "jsonl"]
            .iter()
            .map(|s| s.to_string())
            .chain(files.clone()),
    ));
    // client -> (connections that met the policy in their offer, that did not)
    let mut offers: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for r in &records {
        // Each record's own class agrees with the oracle on its offer.
        if let Some(meets) = offer_meets(r) {
            assert_eq!(r["readiness"] == "client_cannot", !meets, "{r}");
        } else {
            assert_eq!(r["readiness"], "unknown", "{r}");
        }
        if let Some(meets) = offer_meets(r) {
            let e = offers
                .entry(r["client"]["ip"].as_str().unwrap().to_owned())
                .or_default();
            if meets { e.0 += 1 } else { e.1 += 1 }
        }
    }
    let summary: Value = serde_json::from_str(&stdout(&tlssniff(
        ["--format", "summary-json"]
            .iter()
            .map(|s| s.to_string())
            .chain(files),
    )))
    .unwrap();
    let mut checked = [0; 2];
    for c in summary["clients"].as_array().unwrap() {
        let ip = c["ip"].as_str().unwrap();
        let verdict = c["readiness"]["verdict"].as_str().unwrap();
        let (can, cannot) = offers.get(ip).copied().unwrap_or_default();
        let expected = match (can > 0, cannot > 0) {
            (false, true) => Some("will_break"),
            (true, true) => Some("mixed"),
            _ => None,
        };
        match expected {
            Some(e) => {
                assert_eq!(
                    verdict, e,
                    "{ip}: {can} offers meet the policy, {cannot} do not"
                );
                checked[usize::from(e == "mixed")] += 1;
            }
            None => assert!(
                !matches!(verdict, "will_break" | "mixed"),
                "{ip}: {verdict}, but every offer met the policy"
            ),
        }
    }
    assert!(
        checked[0] >= 3 && checked[1] >= 2,
        "too few cases: {checked:?}"
    );
}

#[test]
fn the_table_opens_with_the_verdicts() {
    let out = stdout(&tlssniff([fixture("demo.pcapng")]));
    let first_section = out.split("\n\n").nth(1).unwrap_or("");
    assert!(
        first_section.starts_with("Readiness for TLS ≥ 1.2, no 3DES or other weak suites"),
        "{out}"
    );
    assert!(
        first_section.contains("1 client will break (6 connections)"),
        "{first_section}"
    );
    assert!(first_section.contains("WILL BREAK"), "{first_section}");
    assert!(first_section.contains("10.66.26.105"), "{first_section}");
    assert!(first_section.contains("legacy only"), "{first_section}");
}

#[test]
fn a_server_that_refuses_legacy_offers_enforces() {
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("min-tls12-reject.pcap").to_str().unwrap(),
    ])))
    .unwrap();
    let servers = s["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["readiness"]["verdict"], "enforces");
    assert_eq!(s["readiness"]["servers"]["enforces"], 1);
}

#[test]
fn a_client_held_back_names_its_server() {
    // tls10.pcap: an OpenSSL client offering up to TLS 1.3 to a TLS 1.0-only
    // server (held back), beside one offering only TLS 1.0, from one host.
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("tls10.pcap").to_str().unwrap(),
    ])))
    .unwrap();
    let c = &s["clients"][0];
    assert_eq!(c["readiness"]["verdict"], "mixed", "{c}");
    assert_eq!(c["readiness"]["held_back"], 1, "{c}");
    assert_eq!(c["readiness"]["client_cannot"], 1, "{c}");
    assert_eq!(c["held_back_by"][0]["port"], 443, "{c}");
    // It never negotiated TLS 1.2 although a client offered it: the blocker.
    assert_eq!(s["servers"][0]["readiness"]["verdict"], "legacy_only");
}

#[test]
fn the_policy_check_separates_the_client_that_cannot_from_the_server_that_chose_lower() {
    // tls10.pcap: one client offers only TLS 1.0; one offers up to TLS 1.3
    // and the server picks TLS 1.0.
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        "--min-version",
        "1.2",
        fixture("tls10.pcap").to_str().unwrap(),
    ])))
    .unwrap();
    let p = &s["policy"];
    assert_eq!(p["connections_below"], 2, "{p}");
    assert_eq!(p["client_cannot"], 1, "{p}");
    assert_eq!(p["server_chose_lower"], 1, "{p}");
}

#[test]
fn legacy_and_failure_rows_come_by_impact() {
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("demo.pcapng").to_str().unwrap(),
    ])))
    .unwrap();
    for list in ["legacy", "failures"] {
        let counts: Vec<u64> = s[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["connections"].as_u64().unwrap())
            .collect();
        assert!(counts.len() > 2, "{list}: {counts:?}");
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "{list}: {counts:?}"
        );
        assert!(counts[0] > *counts.last().unwrap(), "{list}: {counts:?}");
    }
}

#[test]
fn a_legacy_row_says_when_the_server_could_do_better() {
    let s: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("downgrade-sentinel.pcap").to_str().unwrap(),
    ])))
    .unwrap();
    let row = &s["legacy"][0];
    assert_eq!(row["version"], "TLS 1.1", "{row}");
    assert_eq!(row["server_supports"], "TLS 1.2", "{row}");
    let table = stdout(&tlssniff([fixture("downgrade-sentinel.pcap")]));
    assert!(
        table.contains("the server supports TLS 1.2 (its downgrade sentinel); the client offered at most TLS 1.1"),
        "{table}"
    );
}

fn summary_with(args: &[&str], name: &str) -> (Value, Option<i32>) {
    let path = fixture(name);
    let mut all: Vec<&str> = vec!["--format", "summary-json"];
    all.extend(args);
    all.push(path.to_str().unwrap());
    let out = tlssniff(all);
    (
        serde_json::from_str(&stdout(&out)).unwrap(),
        out.status.code(),
    )
}

fn verdict_of(s: &Value, ip: &str) -> String {
    s["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ip"] == ip)
        .map(|c| c["readiness"]["verdict"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[test]
fn presets_mirror_their_settings_and_are_gates() {
    // 10.66.26.107 negotiates 3DES at TLS 1.2: held back under Entra's
    // rule, fine under Azure SQL's, which names a version only.
    let (default, code) = summary_with(&[], "demo.pcapng");
    assert_eq!(verdict_of(&default, "10.66.26.107"), "held_back");
    assert_eq!(code, Some(0), "without a policy flag readiness is no gate");
    let (entra, code) = summary_with(&["--policy", "entra"], "demo.pcapng");
    assert_eq!(
        entra["readiness"]["policy"],
        "TLS ≥ 1.2, no 3DES or other weak suites"
    );
    assert_eq!(verdict_of(&entra, "10.66.26.107"), "held_back");
    assert_eq!(code, Some(1));
    let (sql, _) = summary_with(&["--policy", "azure-sql"], "demo.pcapng");
    assert_eq!(sql["readiness"]["policy"], "TLS ≥ 1.2");
    assert_eq!(verdict_of(&sql, "10.66.26.107"), "ready");
    assert_eq!(verdict_of(&sql, "10.66.26.105"), "will_break");
    let (_, code) = summary_with(&["--policy", "azure-storage"], "tls13.pcap");
    assert_eq!(code, Some(0), "nothing falls short in tls13.pcap");
}

#[test]
fn a_denied_class_is_added_to_the_policy() {
    let (s, code) = summary_with(&["--deny-cipher", "cbc"], "tls11.pcap");
    assert_eq!(
        s["readiness"]["policy"],
        "TLS ≥ 1.2, no 3DES or other weak suites, no CBC"
    );
    assert_eq!(s["readiness"]["deny"].as_array().unwrap().len(), 7);
    assert_eq!(code, Some(1));
}

#[test]
fn weak_suites_at_tls_1_2_are_legacy_and_judged() {
    // weak-suites-tls12.pcap (GnuTLS): RC4 chosen by the server for a
    // client offering TLS 1.3; a client offering only a NULL suite; a
    // normal ECDHE connection.
    let (s, _) = summary_with(&[], "weak-suites-tls12.pcap");
    let ciphers: Vec<&str> = s["legacy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cipher"].as_str().unwrap())
        .collect();
    assert_eq!(ciphers.len(), 2, "{ciphers:?}");
    assert!(ciphers.contains(&"TLS_RSA_WITH_RC4_128_SHA"), "{ciphers:?}");
    assert!(ciphers.contains(&"TLS_RSA_WITH_NULL_SHA256"), "{ciphers:?}");
    assert_eq!(verdict_of(&s, "10.66.48.2"), "mixed");
    let verdicts: Vec<(u64, &str)> = s["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["port"].as_u64().unwrap(),
                r["readiness"]["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(verdicts.contains(&(443, "legacy_only")), "{verdicts:?}");
    assert!(verdicts.contains(&(8443, "accepts_legacy")), "{verdicts:?}");
    assert!(verdicts.contains(&(9443, "ready")), "{verdicts:?}");
}

#[test]
fn a_null_cipher_session_keeps_its_alerts_readable() {
    let recs = jsonl(&tlssniff([
        "--format",
        "jsonl",
        fixture("weak-suites-tls12.pcap").to_str().unwrap(),
    ]));
    let null = recs
        .iter()
        .find(|r| r["cipher"] == "TLS_RSA_WITH_NULL_SHA256")
        .unwrap();
    // The server's close_notify after the exchange, readable as tshark reads it.
    assert_eq!(null["alerts"][0]["description"], "close_notify", "{null}");
    assert_eq!(null["outcome"], "established", "{null}");
}

#[test]
fn buckets_partition_the_connections_by_capture_time_for_any_threads() {
    let run = |threads: &str| {
        stdout(&tlssniff([
            "--format",
            "summary-json",
            "--bucket",
            "5s",
            "--threads",
            threads,
            fixture("demo.pcapng").to_str().unwrap(),
        ]))
    };
    let one = run("1");
    assert_eq!(one, run("3"), "buckets differ between --threads 1 and 3");
    let s: Value = serde_json::from_str(&one).unwrap();
    let b = &s["buckets"];
    assert_eq!(b["width_secs"], 5);
    let series = b["series"].as_array().unwrap();
    assert!(series.len() >= 4, "{series:?}");
    let sum = |k: &str| series.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("connections"), s["connections"].as_u64().unwrap());
    assert_eq!(
        sum("legacy"),
        s["totals"]["legacy_connections"].as_u64().unwrap()
    );
    for r in series {
        let start = r["start"].as_str().unwrap();
        // aligned to the width: seconds divisible by 5, no fraction
        assert!(
            start.ends_with("0.000000Z") || start.ends_with("5.000000Z"),
            "{start}"
        );
    }
    assert!(
        series
            .windows(2)
            .all(|w| w[0]["start"].as_str() < w[1]["start"].as_str()),
        "in time order"
    );
    let without: Value = serde_json::from_str(&stdout(&tlssniff([
        "--format",
        "summary-json",
        fixture("demo.pcapng").to_str().unwrap(),
    ])))
    .unwrap();
    assert!(without.get("buckets").is_none());
}

#[test]
fn auto_buckets_pick_the_narrowest_width_for_the_span_and_html_uses_them() {
    let json = |args: &[&str], f: &str| -> Value {
        let mut all = vec!["--format", "summary-json"];
        all.extend(args);
        let path = fixture(f);
        all.push(path.to_str().unwrap());
        serde_json::from_str(&stdout(&tlssniff(all))).unwrap()
    };
    // The demo spans 24 s: one-second buckets; the same with any threads.
    let s = json(&["--bucket", "auto"], "demo.pcapng");
    assert_eq!(s["buckets"]["width_secs"], 1);
    let series = s["buckets"]["series"].as_array().unwrap();
    let sum: u64 = series
        .iter()
        .map(|r| r["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, s["connections"].as_u64().unwrap());
    assert_eq!(
        s,
        json(&["--bucket", "auto", "--threads", "3"], "demo.pcapng")
    );
    // mixed-clients-nsec: the width follows the span, at most 60 buckets.
    let m = json(&["--bucket", "auto"], "mixed-clients-nsec.pcap");
    let width = m["buckets"]["width_secs"].as_u64().unwrap();
    let (first, last) = (
        m["capture"]["first_ts"].as_str().unwrap().to_string(),
        m["capture"]["last_ts"].as_str().unwrap().to_string(),
    );
    let series = m["buckets"]["series"].as_array().unwrap();
    assert!(!series.is_empty() && series.len() <= 60, "{first} {last}");
    assert!([1, 5, 15, 60, 300, 900, 3600].contains(&width), "{width}");
    // The HTML report draws the series without being asked for it.
    let page = stdout(&tlssniff([
        "--format",
        "html",
        fixture("demo.pcapng").to_str().unwrap(),
    ]));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("Legacy over time (1s buckets"),
        "no time series"
    );
    assert!(page.contains("data-chart=\"chart-buckets\""));
}

/// The TCP destination port of an Ethernet/IPv4 frame.
fn dst_port(frame: &[u8]) -> Option<u16> {
    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
    let at = 14 + ihl + 2;
    Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]))
}

#[test]
fn a_capture_of_one_direction_reports_no_failures_and_says_why() {
    use crate::util::{pcap_bytes, read_pcap, stderr, tempdir};
    let dir = tempdir("one-sided");
    for (name, port, keep_to_server) in [
        ("min-tls12-reject.pcap", 8443, true),
        ("no-answer.pcap", 443, true),
        ("tls12.pcap", 443, false),
    ] {
        let (lt, recs, _) = read_pcap(&fixture(name));
        let one: Vec<_> = recs
            .into_iter()
            .filter(|r| (dst_port(&r.data) == Some(port)) == keep_to_server)
            .collect();
        let path = dir.join(name);
        std::fs::write(&path, pcap_bytes(lt, &one)).unwrap();
        let out = tlssniff(["--format", "summary-json", path.to_str().unwrap()]);
        let s: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let n = s["connections"].as_u64().unwrap();
        assert!(n > 0, "{name}");
        assert_eq!(s["outcomes"]["one_sided"], n, "{name}: {}", s["outcomes"]);
        assert_eq!(s["failures"].as_array().unwrap().len(), 0, "{name}");
        assert!(
            stderr(&out).contains("seen in one direction only"),
            "{name}: {}",
            stderr(&out)
        );
        // The whole capture is judged as before.
        let whole: Value = serde_json::from_str(&stdout(&tlssniff([
            "--format",
            "summary-json",
            fixture(name).to_str().unwrap(),
        ])))
        .unwrap();
        assert_eq!(whole["outcomes"]["one_sided"], 0, "{name}");
    }
}

#[test]
fn the_legacy_list_rolls_up_per_client_most_connections_first() {
    let table = stdout(&tlssniff([fixture("demo.pcapng")]));
    let legacy: Vec<&str> = table
        .split("\n\n")
        .find(|s| s.starts_with("Legacy:"))
        .unwrap()
        .lines()
        .collect();
    // header, then the client with most legacy connections, folded
    assert!(
        legacy[2]
            .trim_start()
            .starts_with("10.66.26.105  2 servers"),
        "{legacy:#?}"
    );
    assert!(legacy[2].contains(" 6 "), "{legacy:#?}");
    assert!(legacy[3].trim_start().starts_with('└'), "{legacy:#?}");
    let top1 = stdout(&tlssniff([
        "--top",
        "1",
        fixture("demo.pcapng").to_str().unwrap(),
    ]));
    assert!(top1.contains("… and 3 more clients"), "{top1}");
}
