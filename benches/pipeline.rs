//! Criterion benches: packet decode, hello parsing, and the whole pipeline
//! on a fixture capture. Throughput against tshark and a floor probe is
//! measured by benches/compare.sh (issue 3).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tlssniff::capture::file::CaptureFile;
use tlssniff::decode::decode;

fn packets(name: &str) -> Vec<(tlssniff::capture::LinkType, Vec<u8>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut f = CaptureFile::open(&path).expect("fixture");
    let mut v = Vec::new();
    while let Ok(Some(p)) = f.next_packet() {
        v.push((p.link_type, p.data.to_vec()));
    }
    v
}

fn bench_decode(c: &mut Criterion) {
    let pkts = packets("tls12.pcap");
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(pkts.len() as u64));
    g.bench_function("tls12.pcap", |b| {
        b.iter(|| {
            for (lt, data) in &pkts {
                let _ = black_box(decode(*lt, data, 0));
            }
        })
    });
    g.finish();
}

fn bench_pipeline(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls13-hrr.pcap");
    let dir = std::env::temp_dir().join("tlssniff-bench");
    let _ = std::fs::create_dir_all(&dir);
    let cfg = tlssniff::pipeline::Config {
        inputs: vec![path],
        format: tlssniff::report::Format::SummaryJson,
        output: Some(dir.join("out.json")),
        ..Default::default()
    };
    c.bench_function("pipeline/tls13-hrr.pcap", |b| {
        b.iter(|| black_box(tlssniff::pipeline::run(&cfg).expect("run")))
    });
}

criterion_group!(benches, bench_decode, bench_pipeline);
criterion_main!(benches);
