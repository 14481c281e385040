//! Live capture (cargo feature `live`): real libpcap on a real veth, real
//! OpenSSL handshakes of TLS 1.0 to 1.3, stopped with SIGINT. Needs root
//! (CI runs them as root): each test makes its own network namespace and
//! veth pair, after putting guard routes in place so that nothing can leave
//! the machine.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{TempDir, tempdir};

fn sh(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn must(cmd: &str, args: &[&str]) {
    let out = sh(cmd, args);
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A namespace with a TLS server behind a veth; the host end is captured.
struct Lab {
    ns: String,
    host_if: String,
    server_ip: String,
    server: Option<Child>,
    /// Holds the certificate; removed with the lab.
    _dir: TempDir,
}

impl Lab {
    fn new(n: u8) -> Lab {
        let euid = sh("id", &["-u"]);
        assert_eq!(
            String::from_utf8_lossy(&euid.stdout).trim(),
            "0",
            "the live tests need root (CI runs them as root)"
        );
        // Guard routes first: if the namespace vanished, nothing leaves.
        must(
            "ip",
            &[
                "route",
                "replace",
                "unreachable",
                "10.66.0.0/16",
                "metric",
                "4000",
            ],
        );
        let pid = std::process::id() % 10_000;
        let ns = format!("tsl-live-{pid}-{n}");
        let host_if = format!("tslh{pid}{n}");
        let ns_if = format!("tsln{pid}{n}");
        let net = 200 + n;
        let host_ip = format!("10.66.{net}.1");
        let server_ip = format!("10.66.{net}.2");
        let _ = sh("ip", &["netns", "del", &ns]);
        let _ = sh("ip", &["link", "del", &host_if]);
        must("ip", &["netns", "add", &ns]);
        must(
            "ip",
            &[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
            ],
        );
        must("ip", &["link", "set", &ns_if, "netns", &ns]);
        must(
            "ip",
            &["addr", "add", &format!("{host_ip}/30"), "dev", &host_if],
        );
        must("ip", &["link", "set", &host_if, "up"]);
        let nsx = |args: &[&str]| {
            let mut v = vec!["netns", "exec", ns.as_str()];
            v.extend_from_slice(args);
            must("ip", &v);
        };
        nsx(&[
            "ip",
            "addr",
            "add",
            &format!("{server_ip}/30"),
            "dev",
            &ns_if,
        ]);
        nsx(&["ip", "link", "set", &ns_if, "up"]);
        nsx(&["ip", "link", "set", "lo", "up"]);
        for (dev, in_ns) in [(&host_if, false), (&ns_if, true)] {
            let args = [
                "-K",
                dev.as_str(),
                "tx",
                "off",
                "rx",
                "off",
                "tso",
                "off",
                "gso",
                "off",
                "gro",
                "off",
            ];
            let _ = if in_ns {
                let mut v = vec!["netns", "exec", ns.as_str(), "ethtool"];
                v.extend_from_slice(&args);
                sh("ip", &v)
            } else {
                sh("ethtool", &args)
            };
        }
        let route = sh("ip", &["route", "get", &server_ip]);
        let route = String::from_utf8_lossy(&route.stdout);
        assert!(
            route.contains(&host_if),
            "{server_ip} must go through {host_if}: {route}"
        );
        let dir = tempdir(&format!("live-{n}"));
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        must(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=live.test",
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
        );
        let server = Command::new("ip")
            .args([
                "netns", "exec", &ns, "openssl", "s_server", "-accept", "4433", "-www",
            ])
            .args([
                "-cert",
                cert.to_str().unwrap(),
                "-key",
                key.to_str().unwrap(),
            ])
            .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s_server");
        let lab = Lab {
            ns,
            host_if,
            server_ip,
            server: Some(server),
            _dir: dir,
        };
        // Wait until the server listens.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let ss = sh("ip", &["netns", "exec", &lab.ns, "ss", "-ltn"]);
            if String::from_utf8_lossy(&ss.stdout).contains(":4433") {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        lab
    }

    /// One real handshake with `openssl s_client` and the given version flag.
    fn handshake(&self, version_flag: &str) {
        let out = Command::new("openssl")
            .args(["s_client", "-connect", &format!("{}:4433", self.server_ip)])
            .args([
                version_flag,
                "-cipher",
                "DEFAULT:@SECLEVEL=0",
                "-servername",
                "live.test",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("s_client");
        assert!(
            out.status.success(),
            "s_client {version_flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
        let _ = sh("ip", &["netns", "del", &self.ns]);
        let _ = sh("ip", &["link", "del", &self.host_if]);
    }
}

/// Starts tlssniff on the lab's interface and waits until it captures.
fn start(lab: &Lab, extra: &[&str]) -> Child {
    start_with_stderr(lab, extra).0
}

/// Like [`start`], and the later lines of stderr arrive on the receiver.
fn start_with_stderr(lab: &Lab, extra: &[&str]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .args(["-i", &lab.host_if])
        .args(extra)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tlssniff");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("capturing on"), "{line}");
    // Keep draining stderr so that the child never blocks on it (whether or
    // not anyone still listens).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            let _ = tx.send(std::mem::take(&mut line));
        }
    });
    (child, rx)
}

fn interrupt(child: &Child) {
    must("kill", &["-INT", &child.id().to_string()]);
}

fn wait(child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut child = child;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().unwrap();
        }
        assert!(Instant::now() < deadline, "tlssniff did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn live_handshakes_of_every_version_stream_and_stop_on_sigint() {
    let lab = Lab::new(1);
    let (sniff, stderr) = start_with_stderr(&lab, &["--format", "jsonl"]);
    for v in ["-tls1", "-tls1_1", "-tls1_2", "-tls1_3"] {
        lab.handshake(v);
    }
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&sniff);
    let out = wait(sniff);
    assert_eq!(out.status.code(), Some(0));
    let recs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let versions: Vec<&str> = recs
        .iter()
        .map(|r| r["version"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        versions,
        ["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"],
        "{recs:?}"
    );
    assert!(recs.iter().all(|r| r["client_hello"]["sni"] == "live.test"));
    assert!(recs.iter().all(|r| r["server"]["port"] == 4433));
    // libpcap's counters end the run on stderr, in jsonl mode too.
    let lines: Vec<String> = stderr.iter().collect();
    let counters = format!("tlssniff: {}: ", lab.host_if);
    let line = lines.iter().find(|l| l.starts_with(&counters));
    let line = line.unwrap_or_else(|| panic!("no counters line in {lines:?}"));
    assert!(
        line.trim_end()
            .ends_with("packets received, 0 dropped by the kernel, 0 by the interface"),
        "{line}"
    );
}

#[test]
fn the_summary_is_printed_on_sigint_with_libpcap_counters() {
    let lab = Lab::new(2);
    let sniff = start(&lab, &["--format", "summary-json"]);
    lab.handshake("-tls1");
    lab.handshake("-tls1_3");
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&sniff);
    let out = wait(sniff);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["versions"]["TLS 1.0"], 1);
    assert_eq!(v["versions"]["TLS 1.3"], 1);
    let iface = &v["capture"]["interfaces"][0];
    assert_eq!(iface["name"], lab.host_if.as_str());
    assert!(iface["received"].as_u64().unwrap() >= v["capture"]["packets"].as_u64().unwrap());
    assert_eq!(iface["dropped_by_kernel"], 0);
    assert_eq!(v["legacy"][0]["version"], "TLS 1.0");
}

#[test]
fn count_stops_the_capture() {
    let lab = Lab::new(3);
    let sniff = start(&lab, &["--format", "summary-json", "-c", "5"]);
    lab.handshake("-tls1_2");
    let out = wait(sniff);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["capture"]["packets"], 5);
}

#[test]
fn relinquish_privileges_really_drops_root() {
    let lab = Lab::new(4);
    let sniff = start(&lab, &["--format", "jsonl", "-Z", "nobody"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", sniff.id())).unwrap();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .to_string();
    let gid = status
        .lines()
        .find(|l| l.starts_with("Gid:"))
        .unwrap()
        .to_string();
    let nobody = String::from_utf8_lossy(&sh("id", &["-u", "nobody"]).stdout)
        .trim()
        .to_string();
    // Real, effective, saved and file-system ids are all nobody's.
    assert_eq!(
        uid.split_whitespace().skip(1).collect::<Vec<_>>(),
        vec![nobody.as_str(); 4],
        "{uid}"
    );
    assert!(!gid.split_whitespace().skip(1).any(|g| g == "0"), "{gid}");
    // And it still captures.
    lab.handshake("-tls1_3");
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&sniff);
    let out = wait(sniff);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"TLS 1.3\""));
}

/// A client left hanging by a server that accepts and never answers (a
/// middlebox swallowing old hellos; it closes when the client does) does
/// not stop the stream: later
/// handshakes are written while it still waits, and its own record when it
/// gives up — late, but nothing is lost. With the worker on the capture
/// thread and with a pool of workers.
#[test]
fn a_silent_server_does_not_hold_back_the_stream() {
    let lab = Lab::new(5);
    let _silent = Command::new("ip")
        .args(["netns", "exec", &lab.ns, "python3", "-c"])
        .arg(
            "import socket\n\
             s = socket.socket()\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind(('0.0.0.0', 4434))\n\
             s.listen(8)\n\
             while True:\n\
             \x20   c, _ = s.accept()\n\
             \x20   while c.recv(65536):\n\
             \x20       pass\n\
             \x20   c.close()\n",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Reaped)
        .expect("python3 listener");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&sh("ip", &["netns", "exec", &lab.ns, "ss", "-ltn"]).stdout)
        .contains(":4434")
    {
        assert!(
            Instant::now() < deadline,
            "the silent listener did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for threads in ["1", "2"] {
        let mut sniff = start(&lab, &["--format", "jsonl", "--threads", threads]);
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = BufReader::new(sniff.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str::<Value>(&line).unwrap());
            }
        });
        let mut hanging = Command::new("openssl")
            .args(["s_client", "-connect", &format!("{}:4434", lab.server_ip)])
            .args(["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"])
            .args(["-servername", "silent.test"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Reaped)
            .expect("s_client");
        std::thread::sleep(Duration::from_millis(300));
        lab.handshake("-tls1_3");
        let first = rx.recv_timeout(Duration::from_secs(8)).unwrap_or_else(|_| {
            panic!("threads {threads}: the stream stopped behind the silent server")
        });
        assert_eq!(first["version"], "TLS 1.3", "{first}");
        assert!(
            hanging.0.try_wait().unwrap().is_none(),
            "the hanging client must still wait"
        );
        // It gives up; its record follows.
        drop(hanging);
        let second = rx
            .recv_timeout(Duration::from_secs(8))
            .expect("the silent server's connection is reported");
        assert_eq!(second["client_hello"]["sni"], "silent.test", "{second}");
        assert_eq!(second["server"]["port"], 4434);
        assert!(second["version"].is_null(), "{second}");
        interrupt(&sniff);
        let out = wait(sniff);
        assert_eq!(out.status.code(), Some(0));
        assert!(rx.try_recv().is_err(), "no third record");
    }
}

/// `tlssniff -i IFACE --format jsonl | head -1`, live: once the reader has
/// gone, the next record ends the capture quietly with status 0, for the
/// inline worker and for a pool.
#[test]
fn a_reader_that_leaves_ends_a_live_capture_quietly() {
    let lab = Lab::new(6);
    for threads in ["1", "2"] {
        let mut sniff = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
            .args([
                "-i",
                &lab.host_if,
                "--format",
                "jsonl",
                "--threads",
                threads,
            ])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map(Reaped)
            .expect("tlssniff");
        let mut err = BufReader::new(sniff.0.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert!(line.contains("capturing on"), "{line}");
        lab.handshake("-tls1_2");
        {
            let mut out = BufReader::new(sniff.0.stdout.take().unwrap());
            let mut first = String::new();
            out.read_line(&mut first).unwrap();
            assert!(first.contains("\"TLS 1.2\""), "{first}");
        }
        // The reader is gone; the next record finds the pipe closed.
        lab.handshake("-tls1_3");
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = sniff.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "threads {threads}: tlssniff went on after its reader left"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        assert_eq!(status.code(), Some(0), "threads {threads}: {rest}");
        assert_eq!(rest, "", "threads {threads}: nothing more on stderr");
    }
}

/// A child process that is ended with the test, even when it fails.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn interval_snapshots_are_json_lines_that_tile_the_run() {
    let lab = Lab::new(8);
    let sniff = start(
        &lab,
        &[
            "--format",
            "summary-json",
            "--interval",
            "0.4",
            "--sensor",
            "lab-8",
        ],
    );
    lab.handshake("-tls1");
    std::thread::sleep(Duration::from_millis(1200));
    lab.handshake("-tls1_3");
    std::thread::sleep(Duration::from_millis(900));
    interrupt(&sniff);
    let out = wait(sniff);
    assert_eq!(out.status.code(), Some(0));
    let snaps: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one snapshot per line"))
        .collect();
    assert!(snaps.len() >= 4, "{} snapshots", snaps.len());
    let since = &snaps[0]["interval"]["since"];
    let mut end_before = since.clone();
    let mut connections_before = 0;
    for (i, s) in snaps.iter().enumerate() {
        let iv = &s["interval"];
        assert_eq!(s["sensor"], "lab-8");
        assert_eq!(iv["number"], i as u64 + 1, "{iv}");
        assert_eq!(iv["cumulative"], true);
        assert_eq!(&iv["since"], since);
        // Each interval starts where the one before ended.
        assert_eq!(iv["start"], end_before, "{iv}");
        assert!(iv["start"].as_str() <= iv["end"].as_str(), "{iv}");
        end_before = iv["end"].clone();
        let n = s["connections"].as_u64().unwrap();
        assert!(n >= connections_before, "counts are the run's so far");
        connections_before = n;
    }
    // A snapshot between the two handshakes saw only the first; the summary
    // at the end (the last line) has both.
    assert!(snaps.iter().any(|s| s["connections"] == 1));
    let last = snaps.last().unwrap();
    assert_eq!(last["versions"]["TLS 1.0"], 1);
    assert_eq!(last["versions"]["TLS 1.3"], 1);
}
