//! How a run ends when something outside the capture goes wrong: the
//! reader of the output leaves (a broken pipe ends quietly, status 0), or a
//! thread of tlssniff panics (a one-line internal error, status 3 — never a
//! partial report with status 0).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{fixture, tempdir};

/// A generated capture large enough that its jsonl does not fit in a pipe.
fn big_capture(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("many.pcap");
    let made = Command::new(env!("CARGO_BIN_EXE_tlssniff-gen"))
        .args([
            "--connections",
            "3000",
            "--bulk-segments",
            "1",
            "--seed",
            "3",
        ])
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert!(made.status.success());
    path
}

/// Runs tlssniff, reads one line of its output and closes the pipe, like
/// `tlssniff ... | head -1`: (the line, exit status, stderr).
fn head_one(args: &[&str]) -> (String, Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        first,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_leaves_ends_the_run_quietly() {
    let dir = tempdir("broken-pipe");
    let cap = big_capture(&dir);
    let cap = cap.to_str().unwrap();
    for threads in ["1", "2"] {
        for format in ["jsonl", "csv", "table"] {
            let (line, status, err) = head_one(&["--threads", threads, "--format", format, cap]);
            assert!(!line.is_empty(), "{format}, {threads} threads: no output");
            assert_eq!(status, Some(0), "{format}, {threads} threads: {err}");
            assert_eq!(err, "", "{format}, {threads} threads");
        }
    }
}

#[test]
fn dash_o_dash_is_standard_output() {
    let cap = fixture("tls12.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .args(["--format", "jsonl", "-o", "-"])
        .arg(&cap)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(!std::path::Path::new("-").exists());
}

/// Runs tlssniff with a panic injected at `site` (debug builds only).
fn with_panic(site: &str, threads: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .env("TLSSNIFF_TEST_PANIC", site)
        .env_remove("RUST_BACKTRACE")
        .args(["--threads", threads, "--format", "jsonl"])
        .args(extra)
        .arg(fixture("demo.pcapng"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_panic_in_any_thread_is_a_loud_internal_error() {
    if !cfg!(debug_assertions) {
        // The injection hook exists in debug builds only.
        return;
    }
    // A capture file is read by every worker itself (parallel readers), so
    // "capture" is a worker's; `--no-mmap` reads it on the capture thread
    // and hands frames to the workers.
    for (site, threads, extra, who) in [
        ("worker", "2", &[][..], "parser worker 0 panicked"),
        (
            "worker",
            "2",
            &["--no-mmap"][..],
            "parser worker 0 panicked",
        ),
        ("output", "2", &[][..], "the output thread panicked"),
        (
            "output",
            "2",
            &["--no-mmap"][..],
            "the output thread panicked",
        ),
        ("worker", "1", &[][..], "the main thread panicked"),
        ("capture", "2", &[][..], "parser worker 0 panicked"),
        (
            "capture",
            "2",
            &["--no-mmap"][..],
            "the main thread panicked",
        ),
    ] {
        let (status, stdout, stderr) = with_panic(site, threads, extra);
        assert_eq!(status, Some(3), "{site}/{threads}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{site}/{threads}: one line, got {stderr:?}");
        let line = lines[0];
        assert!(
            line.starts_with(&format!(
                "tlssniff: internal error: {who}: injected for a test"
            )),
            "{site}/{threads}: {line}"
        );
        assert!(
            line.contains(" at src/"),
            "{site}/{threads}: no location: {line}"
        );
        // Whatever was written before the panic is not a report: demo has
        // 30 connections, and a run that panics writes fewer records.
        assert!(stdout.lines().count() < 30, "{site}/{threads}");
    }
}
