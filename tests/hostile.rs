//! Hostile captures, made here from the real fixture hellos (nothing big is
//! committed): lying lengths, absurd sizes, endless flows, inconsistent
//! retransmissions, sequence-number wraparound, bit flips, a flood of
//! half-open flows. For each: no panic, bounded time and memory, correct
//! accounting, and a warning where the user should know.

use std::io::{BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{
    Rec, client_hello_message, conversation, fixture, fixture_hellos, jsonl, pcap_bytes, read_pcap,
    stderr, stdout, tempdir, tls_records, tlssniff, with_extensions,
};

const CLIENT: ([u8; 4], u16) = ([10, 66, 1, 2], 40_000);
const SERVER: ([u8; 4], u16) = ([10, 66, 1, 1], 443);

/// Writes a capture of one conversation and runs tlssniff on it.
fn run_conversation(name: &str, messages: &[(bool, Vec<u8>)], args: &[&str]) -> (Value, String) {
    let dir = tempdir(name);
    let path = dir.join(format!("{name}.pcap"));
    let recs = conversation(CLIENT, SERVER, (1000, 5000), 1_795_000_000, messages);
    std::fs::write(&path, pcap_bytes(1, &recs)).unwrap();
    let started = Instant::now();
    let mut all = vec!["--format", "summary-json"];
    all.extend_from_slice(args);
    all.push(path.to_str().unwrap());
    let out = tlssniff(&all);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{name} took too long"
    );
    assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
}

#[test]
fn client_hello_lengths_pointing_past_the_end() {
    let (body, server) = fixture_hellos("tls12.pcap");
    for declared in [body.len() + 1, body.len() + 100, 0xff_ffff] {
        let mut msg = client_hello_message(&body);
        msg[1..4].copy_from_slice(&(declared as u32).to_be_bytes()[1..]);
        let (v, err) = run_conversation(
            "past-the-end",
            &[(true, tls_records(22, &msg)), (false, server.clone())],
            &[],
        );
        // The server answered, so the connection is reported; the client's
        // hello is never complete, so it is not read as one.
        assert!(v["connections"].as_u64().unwrap() <= 1, "{v}");
        if declared > 65_536 {
            assert_eq!(v["capture"]["oversized_hellos"], 1);
            assert!(
                err.contains("declared more bytes than --max-handshake-bytes"),
                "{err}"
            );
        }
    }
    // A cipher-suite length past the end of the hello.
    let mut lying = body.clone();
    let at = 35 + usize::from(lying[34]);
    lying[at..at + 2].copy_from_slice(&0xfff0u16.to_be_bytes());
    let (v, _) = run_conversation(
        "suites-past-the-end",
        &[
            (true, tls_records(22, &client_hello_message(&lying))),
            (false, server),
        ],
        &[],
    );
    assert_eq!(v["connections"], 1);
}

/// Half a ClientHello and then silence: no record, but the flow is counted
/// and the user is told why nothing was reported for it.
#[test]
fn a_client_hello_that_never_finishes_is_counted() {
    let (body, _) = fixture_hellos("tls12.pcap");
    let whole = tls_records(22, &client_hello_message(&body));
    let (v, err) = run_conversation(
        "unfinished",
        &[(true, whole[..whole.len() / 2].to_vec())],
        &[],
    );
    assert_eq!(v["connections"], 0, "{v}");
    assert_eq!(v["capture"]["unfinished_hellos"], 1, "{v}");
    assert!(
        err.contains("1 flows ended inside their first hello"),
        "{err}"
    );
    // The whole hello: a record, nothing unfinished.
    let (v, err) = run_conversation("finished", &[(true, whole)], &[]);
    assert_eq!(v["connections"], 1, "{v}");
    assert_eq!(v["capture"]["unfinished_hellos"], 0, "{v}");
    assert!(!err.contains("first hello"), "{err}");
}

#[test]
fn ten_thousand_extensions() {
    let (body, server) = fixture_hellos("tls12.pcap");
    let mut extra = Vec::new();
    for i in 0..10_000u16 {
        // Unassigned types, none of them GREASE, each empty.
        extra.extend((0x4000 + (i % 0x2000)).to_be_bytes());
        extra.extend([0, 0]);
    }
    let msg = client_hello_message(&with_extensions(&body, &extra));
    assert!(msg.len() > 40_000);
    let (v, _) = run_conversation(
        "many-extensions",
        &[(true, tls_records(22, &msg)), (false, server)],
        &[],
    );
    assert_eq!(v["connections"], 1);
    assert_eq!(v["versions"]["TLS 1.2"], 1);
}

/// A server_name extension of `len` bytes (its u16 lengths wrap beyond 64 KiB,
/// as a hostile peer's would).
fn sni_extension(len: usize) -> Vec<u8> {
    let mut sni = vec![0, 0];
    sni.extend(((len + 5) as u16).to_be_bytes());
    sni.extend(((len + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend((len as u16).to_be_bytes());
    sni.extend(std::iter::repeat_n(b'a', len));
    sni
}

#[test]
fn a_64_kib_sni_and_a_16_mib_handshake_are_refused_and_reported() {
    let (body, server) = fixture_hellos("tls12.pcap");
    // Just under the cap: read, and the SNI kept to 1 KiB.
    let msg = client_hello_message(&with_extensions(&body, &sni_extension(65_000)));
    let dir = tempdir("huge-sni-jsonl");
    let path = dir.join("sni.pcap");
    let recs = conversation(
        CLIENT,
        SERVER,
        (1, 2),
        1_795_000_000,
        &[(true, tls_records(22, &msg)), (false, server.clone())],
    );
    std::fs::write(&path, pcap_bytes(1, &recs)).unwrap();
    let got = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    assert_eq!(got[0]["client_hello"]["sni"].as_str().unwrap().len(), 1024);

    // A full 64 KiB name: the hello is over the cap, refused and reported.
    let msg = client_hello_message(&with_extensions(&body, &sni_extension(64 * 1024)));
    assert!(msg.len() > 64 * 1024);
    let (v, err) = run_conversation(
        "huge-sni",
        &[(true, tls_records(22, &msg)), (false, server.clone())],
        &[],
    );
    assert_eq!(v["capture"]["oversized_hellos"], 1, "{v}");
    assert!(err.contains("--max-handshake-bytes"), "{err}");

    // A handshake header declaring 16 MiB, followed by little.
    let mut huge = vec![1, 0xff, 0xff, 0xff];
    huge.extend(&body);
    let (v, _) = run_conversation(
        "16mib",
        &[(true, tls_records(22, &huge)), (false, server)],
        &[],
    );
    assert_eq!(v["capture"]["oversized_hellos"], 1);
}

#[test]
fn endless_segments_on_one_flow_stay_bounded() {
    // 30,000 full segments of non-TLS bytes on one connection.
    let mut noise = Vec::with_capacity(30_000 * 1448);
    let mut x: u32 = 7;
    for _ in 0..30_000 * 1448 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push((x >> 16) as u8);
    }
    let (v, err) = run_conversation("endless", &[(true, noise)], &["--stats"]);
    assert_eq!(v["connections"], 0);
    assert_eq!(v["capture"]["tcp_segments"], 30_005);
    let rss = peak_rss_mib(&err);
    // The reader holds a block at a time; the flow holds its cap.
    assert!(rss < 100, "{rss} MiB");
}

#[test]
fn overlapping_retransmissions_with_different_bytes_do_not_change_what_was_seen() {
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let want = stdout(&tlssniff([
        "--format",
        "jsonl",
        fixture("tls12.pcap").to_str().unwrap(),
    ]));
    let mut hostile = Vec::new();
    for r in &recs {
        hostile.push(r.clone());
        // Repeat every data segment at once with other bytes in it.
        if let Ok(p) = etherparse::SlicedPacket::from_ethernet(&r.data) {
            if let Some(etherparse::TransportSlice::Tcp(t)) = &p.transport {
                let n = t.payload().len();
                if n > 0 && !t.fin() {
                    let mut forged = r.clone();
                    let at = forged.data.len() - n;
                    for (i, b) in forged.data[at..].iter_mut().enumerate() {
                        *b = (i as u8).wrapping_mul(37) ^ 0xa5;
                    }
                    hostile.push(forged);
                }
            }
        }
    }
    let dir = tempdir("overlaps");
    let path = dir.join("forged-retransmissions.pcap");
    std::fs::write(&path, pcap_bytes(lt, &hostile)).unwrap();
    let got = stdout(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn sequence_number_wraparound_in_the_middle_of_a_client_hello() {
    let (body, server) = fixture_hellos("tls13.pcap");
    let msg = tls_records(22, &client_hello_message(&body));
    let dir = tempdir("wrap");
    // The client's first data byte is at 2^32 - 100: the hello crosses zero.
    let build = |isn: u32| {
        let recs: Vec<Rec> = conversation(
            CLIENT,
            SERVER,
            (isn, 77),
            1_795_000_000,
            &[
                (true, msg[..150].to_vec()),
                (true, msg[150..].to_vec()),
                (false, server.clone()),
            ],
        );
        let path = dir.join(format!("isn-{isn}.pcap"));
        std::fs::write(&path, pcap_bytes(1, &recs)).unwrap();
        jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]))
    };
    let plain = build(1000);
    let wrapped = build(u32::MAX - 100);
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0]["client_hello"], wrapped[0]["client_hello"]);
    assert_eq!(wrapped[0]["client_hello"]["partial"], false);
    assert_eq!(wrapped[0]["version"], "TLS 1.3");
}

#[test]
fn bit_flips_never_panic() {
    use tlssniff::config::Config;
    use tlssniff::pipeline::run;
    let dir = tempdir("bitflips");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for name in ["tls13-hrr.pcap", "demo.pcapng", "ch-multi-record.pcap"] {
        let original = std::fs::read(fixture(name)).unwrap();
        for round in 0..40 {
            let mut bytes = original.clone();
            for _ in 0..(1 + next() % 64) {
                let at = (next() as usize) % bytes.len();
                bytes[at] ^= 1 << (next() % 8);
            }
            let path = dir.join(format!("{round}-{name}"));
            std::fs::write(&path, &bytes).unwrap();
            let cfg = Config {
                inputs: vec![path.clone()],
                discard: true,
                threads: 1 + round % 3,
                ..Config::default()
            };
            let started = Instant::now();
            // An Err is fine (say, a flipped magic number); a panic is not.
            let _ = run(&cfg);
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{}",
                path.display()
            );
        }
    }
}

/// Streams `flows` connections from distinct clients through standard
/// input, each a SYN and then one segment carrying `first`, and returns
/// tlssniff's summary-json, its stderr, and how long it took.
fn flood(flows: u32, first: &[u8], args: &[&str]) -> (Value, String, Duration) {
    let started = Instant::now();
    let mut capture = PcapStream::start(&[&["--threads", "2"], args].concat());
    for i in 0..flows {
        let client = (
            [10, 70 + (i >> 16) as u8, (i >> 8) as u8, i as u8],
            30_000 + (i % 20_000) as u16,
        );
        let ts = 1_795_000_000 + i / 10_000;
        let usec = (i % 10_000) * 100;
        // The server answers the SYN (its SYN-ACK: the capture holds both
        // directions), then never again.
        for frame in [
            crate::util::tcp_frame(client, SERVER, 100, 0, "S", &[]),
            crate::util::tcp_frame(SERVER, client, 7_000, 101, "SA", &[]),
            crate::util::tcp_frame(client, SERVER, 101, 1, "AP", first),
        ] {
            capture.packet(ts, usec, &frame);
        }
    }
    let (v, err) = capture.finish();
    let elapsed = started.elapsed();
    assert_eq!(v["capture"]["packets"].as_u64(), Some(3 * u64::from(flows)));
    (v, err, elapsed)
}

/// A pcap written packet by packet into tlssniff's standard input (nothing
/// big on disk), run with `--format summary-json --stats`.
struct PcapStream {
    child: Child,
    stdin: BufWriter<ChildStdin>,
}

impl PcapStream {
    fn start(args: &[&str]) -> PcapStream {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
            .args(["--format", "summary-json", "--stats"])
            .args(args)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
        stdin.write_all(&pcap_bytes(1, &[])).unwrap();
        PcapStream { child, stdin }
    }

    /// One pcap record (microsecond timestamps).
    fn packet(&mut self, secs: u32, usec: u32, frame: &[u8]) {
        let len = u32::try_from(frame.len()).unwrap().to_le_bytes();
        for part in [
            &secs.to_le_bytes()[..],
            &usec.to_le_bytes(),
            &len,
            &len,
            frame,
        ] {
            self.stdin.write_all(part).unwrap();
        }
    }

    /// Ends the input; tlssniff must exit 0. Its summary and its stderr.
    fn finish(self) -> (Value, String) {
        drop(self.stdin);
        let out = self.child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
    }
}

/// The peak RSS that --stats reported, in MiB.
fn peak_rss_mib(err: &str) -> u64 {
    err.lines()
        .find_map(|l| l.strip_prefix("stats: peak memory (RSS) "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("peak memory line")
}

/// DESIGN.md invariant 2 under a SYN-and-first-segment flood: 1,000,000
/// half-open flows, each stuck in the middle of a ClientHello, streamed
/// through standard input. Memory stays below 300 MiB with the default
/// settings and the evictions are reported.
#[test]
fn a_flood_of_a_million_half_open_flows_stays_bounded() {
    let (body, _) = fixture_hellos("tls12.pcap");
    let whole = tls_records(22, &client_hello_message(&body));
    let flows: u32 = 1_000_000;
    let (v, err, elapsed) = flood(flows, &whole[..whole.len() / 2], &[]);
    assert!(
        v["capture"]["evicted_in_handshake"].as_u64().unwrap() >= 800_000,
        "{}",
        v["capture"]
    );
    assert!(
        err.contains("evicted in the middle of their handshake"),
        "{err}"
    );
    // Evicted or still open at the end, every flow ended inside its hello.
    assert_eq!(
        v["capture"]["unfinished_hellos"].as_u64(),
        Some(u64::from(flows))
    );
    let rss = peak_rss_mib(&err);
    assert!(rss < 300, "peak RSS {rss} MiB");
    // What a flow costs before its hello bytes: kept under 1 KiB.
    let state = err
        .lines()
        .find_map(|l| l.strip_prefix("stats: flow state: "))
        .expect("flow state line");
    let bytes: Vec<usize> = state
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .take(2)
        .collect();
    assert!(bytes.len() == 2 && bytes[0] + bytes[1] < 1024, "{state}");
    eprintln!("flood: {flows} half-open flows in {elapsed:?}, peak RSS {rss} MiB; {state}");
}

/// Whole TLS 1.0 ClientHellos from 100,000 addresses, never answered (a
/// flood from spoofed sources): every total counts them all, the report
/// tables stop at --max-rows, and what they could not list is counted and
/// reported.
#[test]
fn a_flood_of_hellos_from_many_addresses_fills_the_tables_only_to_their_bound() {
    let (body, _) = fixture_hellos("tls10.pcap");
    let hello = tls_records(22, &client_hello_message(&body));
    let flows: u32 = 100_000;
    // Room for every flow (no eviction): each ends unanswered.
    let args = ["--max-rows", "5000", "--max-flows", "200000"];
    let (v, err, elapsed) = flood(flows, &hello, &args);
    assert_eq!(v["connections"].as_u64(), Some(u64::from(flows)));
    assert_eq!(
        v["outcomes"]["no_response"].as_u64(),
        Some(u64::from(flows))
    );
    assert_eq!(
        v["totals"]["legacy_connections"].as_u64(),
        Some(u64::from(flows))
    );
    let listed = |table: &str| v[table].as_array().map_or(0, Vec::len) as u64;
    let unlisted = &v["totals"]["unlisted"];
    for table in ["clients", "failures", "legacy"] {
        assert_eq!(listed(table), 5000, "{table}");
        assert_eq!(
            unlisted[table].as_u64(),
            Some(95_000),
            "{table}: {unlisted}"
        );
    }
    // One server: its row counts every connection.
    assert_eq!(listed("servers"), 1);
    assert_eq!(
        v["servers"][0]["connections"].as_u64(),
        Some(u64::from(flows))
    );
    assert_eq!(unlisted["servers"], 0);
    // Each of the two workers remembers at most 2,500 client-server pairs.
    assert_eq!(
        unlisted["fallback_pairs"].as_u64(),
        Some(95_000),
        "{unlisted}"
    );
    assert!(
        err.contains("report tables were full (--max-rows 5000"),
        "{err}"
    );
    let rss = peak_rss_mib(&err);
    assert!(rss < 300, "peak RSS {rss} MiB");
    eprintln!("hello flood: {flows} unanswered hellos in {elapsed:?}, peak RSS {rss} MiB");
}

/// Flows that each hold a 58 KiB out-of-order backlog behind a hole that is
/// never filled: what all flows hold together stays within
/// --max-buffered-bytes; the oldest flows are evicted and reported.
#[test]
fn out_of_order_backlogs_are_bounded_in_total() {
    let mut capture = PcapStream::start(&["--threads", "1", "--max-buffered-bytes", "33554432"]);
    let flows: u32 = 3000;
    let chunk = vec![0x17u8; 1448];
    let mut packets = 0u64;
    let mut write = |frame: Vec<u8>, i: u32| {
        capture.packet(1_795_000_000 + i / 1000, (i % 1000) * 1000, &frame);
    };
    for i in 0..flows {
        let client = ([10, 71, (i >> 8) as u8, i as u8], 20_000 + i as u16);
        write(crate::util::tcp_frame(client, SERVER, 0, 0, "S", &[]), i);
        packets += 1;
        // Segments 2..41: segment 1 (the hole) never comes.
        for k in 1..41u32 {
            write(
                crate::util::tcp_frame(client, SERVER, 1 + k * 1448, 1, "A", &chunk),
                i,
            );
            packets += 1;
        }
    }
    let (v, err) = capture.finish();
    assert_eq!(v["capture"]["packets"].as_u64(), Some(packets));
    assert!(
        v["capture"]["evicted_in_handshake"].as_u64().unwrap() > 1000,
        "{}",
        v["capture"]
    );
    let rss = peak_rss_mib(&err);
    // 3000 x 56 KiB would be 165 MiB; the budget is 32 MiB.
    assert!(rss < 110, "peak RSS {rss} MiB");
}

/// One server that never answers, then more connections than a worker may
/// hold back behind it: the later records are written without waiting for
/// it (memory stays bounded), and its own record comes last, late, counted
/// and warned about — nothing is lost.
#[test]
fn a_connection_that_never_ends_does_not_hold_back_every_later_record() {
    let (body, server) = fixture_hellos("tls12.pcap");
    let hello = tls_records(22, &client_hello_message(&body));
    let dir = tempdir("held-back");
    let path = dir.join("held-back.pcap");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(&pcap_bytes(1, &[])).unwrap();
    let silent = ([10, 66, 9, 9], 40_000);
    let mut stuck = vec![crate::util::tcp_frame(silent, SERVER, 7, 0, "S", &[])];
    // The server accepts the connection (SYN-ACK), then stays silent.
    stuck.push(crate::util::tcp_frame(SERVER, silent, 500, 8, "SA", &[]));
    stuck.push(crate::util::tcp_frame(silent, SERVER, 8, 1, "AP", &hello));
    let stuck: Vec<Rec> = stuck
        .into_iter()
        .map(|data| Rec {
            ts_sec: 1_795_000_000,
            ts_usec: 0,
            orig_len: data.len() as u32,
            data,
        })
        .collect();
    file.write_all(&pcap_bytes(1, &stuck)[24..]).unwrap();
    let later: u32 = 33_000;
    for i in 0..later {
        let client = (
            [10, 72, (i >> 8) as u8, i as u8],
            20_000 + (i % 40_000) as u16,
        );
        let messages = [(true, hello.clone()), (false, server.clone())];
        let recs = conversation(client, SERVER, (i, 9_000), 1_795_000_001 + i, &messages);
        file.write_all(&pcap_bytes(1, &recs)[24..]).unwrap();
    }
    drop(file);
    let out = tlssniff([
        "--format",
        "jsonl",
        "--threads",
        "1",
        "--idle-timeout",
        "10000000",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = jsonl(&out);
    assert_eq!(recs.len(), later as usize + 1);
    let last = recs.last().unwrap();
    assert_eq!(last["client"]["ip"], "10.66.9.9", "{last}");
    assert_eq!(last["outcome"], "no_response");
    let err = stderr(&out);
    assert!(
        err.contains("1 connections were written out of capture order"),
        "{err}"
    );
}
