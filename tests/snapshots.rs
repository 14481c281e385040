//! Snapshot tests (insta) of the two summary formats for every fixture
//! capture: the table people read and the summary-json scripts parse, both
//! rendered from the one report model. The snapshots in
//! `tests/snapshots/` were reviewed by eye when made; a change shows as a
//! diff (`INSTA_UPDATE=always cargo test` rewrites them, then review with
//! `git diff`).

use std::process::Command;

use crate::util::root;

/// Every capture in fixtures/, by its path relative to the crate (so the
/// file names in the output do not depend on where the checkout is).
fn captures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            [".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz", ".pcap.zst"]
                .iter()
                .any(|ext| n.ends_with(ext))
        })
        .map(|n| format!("fixtures/{n}"))
        .collect();
    v.sort();
    v
}

fn run(args: &[&str]) -> String {
    run_in(args, None)
}

/// `run` with COLUMNS set to `columns` (unset when None).
fn run_in(args: &[&str], columns: Option<usize>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlssniff"));
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    // A fixed sensor name: the default, the host name, differs by machine.
    let out = cmd
        .current_dir(root())
        .args(["--sensor", "fixtures"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run tlssniff");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn table_and_summary_json_of_every_fixture() {
    let caps = captures();
    assert!(caps.len() >= 30, "{caps:?}");
    for cap in caps {
        let name = cap.trim_start_matches("fixtures/");
        insta::assert_snapshot!(
            format!("{name}.table"),
            run(&["--color", "never", "--top", "0", &cap])
        );
        insta::assert_snapshot!(
            format!("{name}.summary-json"),
            run(&["--format", "summary-json", &cap])
        );
    }
}

/// The policy section too, on the demo site.
#[test]
fn the_policy_check_of_the_demo() {
    insta::assert_snapshot!(run(&[
        "--color",
        "never",
        "--min-version",
        "1.2",
        "fixtures/demo.pcapng"
    ]));
}

#[test]
fn markdown_of_the_demo_and_of_a_udp_capture() {
    // The same sections as the table, as GFM: headings, one table per grid.
    for cap in ["fixtures/demo.pcapng", "fixtures/dtls-gnutls-vxlan.pcap"] {
        let name = cap.trim_start_matches("fixtures/");
        let md = run(&["--format", "markdown", "--top", "0", cap]);
        assert!(md.starts_with("# tlssniff report\n"));
        insta::assert_snapshot!(format!("{name}.markdown"), md);
    }
}

#[test]
fn tables_fit_80_and_120_columns_and_wide_restores_everything() {
    for cap in captures() {
        let full = run(&["--color", "never", "--top", "0", &cap]);
        for columns in [80, 120] {
            let fitted = run_in(&["--color", "never", "--top", "0", &cap], Some(columns));
            for line in fitted.lines() {
                let w = line.chars().count();
                assert!(w <= columns, "{cap} at {columns}: {w} columns: {line}");
            }
            if full.lines().all(|l| l.chars().count() <= columns) {
                assert_eq!(fitted, full, "{cap}: nothing to shorten at {columns}");
            } else if !fitted.contains("--wide shows them all") {
                // Only lines wrapped: every word is still there, in order.
                let words = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
                assert_eq!(words(&fitted), words(&full), "{cap} at {columns}");
            }
            let wide = run_in(
                &["--color", "never", "--top", "0", "--wide", &cap],
                Some(columns),
            );
            assert_eq!(wide, full, "{cap}: --wide at {columns}");
        }
    }
    for columns in [80, 120] {
        insta::assert_snapshot!(
            format!("demo.pcapng.table-{columns}"),
            run_in(&["--color", "never", "fixtures/demo.pcapng"], Some(columns))
        );
    }
}
