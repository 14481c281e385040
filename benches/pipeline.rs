//! Criterion benches: packet decode, TLS scanning and hello parsing, and the
//! whole pipeline, on the real fixture captures. Throughput against a floor
//! probe and tshark on large captures is benches/compare.sh's job.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlssniff::capture::LinkType;
use tlssniff::capture::file::CaptureFile;
use tlssniff::decode::decode;
use tlssniff::flow::FlowKey;
use tlssniff::tls::scanner::Scanner;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn packets(name: &str) -> Vec<(LinkType, Vec<u8>)> {
    let mut f = CaptureFile::open(&fixture(name)).expect("fixture");
    let mut v = Vec::new();
    while let Ok(Some(p)) = f.next_packet() {
        v.push((p.link_type, p.data.to_vec()));
    }
    v
}

/// Each direction's TCP payloads of every connection, in capture order.
fn streams(name: &str) -> Vec<Vec<Vec<u8>>> {
    let mut by_dir: Vec<(FlowKey, bool, Vec<Vec<u8>>)> = Vec::new();
    for (lt, data) in packets(name) {
        let Ok(seg) = decode(lt, &data, 0) else {
            continue;
        };
        if seg.payload.is_empty() {
            continue;
        }
        let (key, side) = FlowKey::new(seg.src, seg.dst);
        let lo = side == tlssniff::flow::Side::Lo;
        match by_dir.iter_mut().find(|(k, s, _)| *k == key && *s == lo) {
            Some((_, _, v)) => v.push(seg.payload.to_vec()),
            None => by_dir.push((key, lo, vec![seg.payload.to_vec()])),
        }
    }
    by_dir.into_iter().map(|(_, _, v)| v).collect()
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for name in ["demo.pcapng", "vlan.pcap", "any-sll2.pcap"] {
        let pkts = packets(name);
        g.throughput(Throughput::Elements(pkts.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for (lt, data) in &pkts {
                    let _ = black_box(decode(*lt, data, 0));
                }
            })
        });
    }
    g.finish();
}

fn bench_tls(c: &mut Criterion) {
    let mut g = c.benchmark_group("tls-scan");
    for name in ["demo.pcapng", "grease.pcap", "ch-two-segments.pcap"] {
        let dirs = streams(name);
        let bytes: usize = dirs.iter().flatten().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            let mut events = Vec::new();
            b.iter(|| {
                for dir in &dirs {
                    let mut s = Scanner::new(64 * 1024);
                    for chunk in dir {
                        s.push(chunk, &mut events);
                    }
                    events.clear();
                }
            })
        });
    }
    g.finish();
}

fn bench_pipeline(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("tlssniff-bench");
    let _ = std::fs::create_dir_all(&dir);
    let mut g = c.benchmark_group("pipeline");
    for threads in [1, 2] {
        let cfg = tlssniff::config::Config {
            inputs: vec![fixture("demo.pcapng")],
            format: tlssniff::report::Format::SummaryJson,
            discard: true,
            threads,
            ..Default::default()
        };
        g.bench_function(format!("demo.pcapng/threads={threads}"), |b| {
            b.iter(|| black_box(tlssniff::pipeline::run(&cfg).expect("run")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_decode, bench_tls, bench_pipeline);
criterion_main!(benches);
