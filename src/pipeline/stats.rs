//! Benchmark figures: `--stats`, and the floor probe of `tlssniff bench --floor`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use super::{Worker, WorkerStats};
use crate::analysis::accounting::CaptureStats;
use crate::analysis::aggregate::Summary;
use crate::capture::Packet;
use crate::capture::file::CaptureFile;
use crate::decode::{self, TcpFlags};
use crate::error::Error;
use crate::flow::{FlowKey, FlowTable, Lookup};

/// How the inputs were read, for `--stats`.
#[derive(Clone, Copy)]
pub(super) struct Reading {
    /// Time spent reading (and, with parallel readers, analysing).
    pub(super) ns: u64,
    /// Times the capture thread waited on a full queue.
    pub(super) stalls: u64,
    /// Parallel readers (every worker read the files), or a capture thread.
    pub(super) parallel: bool,
}

/// `--stats`: throughput and where the time went.
pub(super) fn print_stats(
    out: &mut dyn Write,
    capture: &CaptureStats,
    summary: &Summary,
    workers: &[WorkerStats],
    reading: &Reading,
    elapsed: std::time::Duration,
) -> io::Result<()> {
    let Reading {
        ns: read_ns,
        stalls,
        parallel,
    } = *reading;
    let secs = elapsed.as_secs_f64().max(1e-9);
    let hs = summary.totals.connections;
    writeln!(
        out,
        "stats: {} packets in {:.3} s: {:.0} packets/s, {:.3} Gbit/s, {:.0} handshakes/s",
        capture.packets,
        secs,
        capture.packets as f64 / secs,
        capture.bytes as f64 * 8.0 / secs / 1e9,
        hs as f64 / secs
    )?;
    writeln!(
        out,
        "stats: {} TLS connections, {} ClientHello messages",
        summary.totals.connections, summary.totals.client_hellos
    )?;
    if parallel {
        writeln!(
            out,
            "stats: parallel readers: worker 0 read and analysed for {:.3} s",
            read_ns as f64 / 1e9
        )?;
    } else {
        writeln!(
            out,
            "stats: capture thread (read, route) {:.3} s; channel stalls {stalls}",
            read_ns as f64 / 1e9
        )?;
    }
    if let Some(kib) = peak_rss_kib() {
        writeln!(out, "stats: peak memory (RSS) {} MiB", kib / 1024)?;
    }
    let (entry, tracker) = Worker::flow_state_bytes();
    writeln!(
        out,
        "stats: flow state: {entry}-byte table entry + {tracker}-byte tracker per flow in its \
         handshake, + the hello bytes it holds; peak flows {}",
        capture.flows.peak
    )?;
    let total: u64 = workers.iter().map(|w| w.segments).sum::<u64>().max(1);
    for (i, w) in workers.iter().enumerate() {
        writeln!(
            out,
            "stats: worker {i}: {} segments ({:.1}%), {} in handshakes, {} records, busy {:.3} s, peak flows {}",
            w.segments,
            w.segments as f64 * 100.0 / total as f64,
            w.handshake,
            w.records,
            w.busy_ns as f64 / 1e9,
            w.flows.peak
        )?;
    }
    Ok(())
}

/// The process's peak resident memory (Linux: VmHWM), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How much of the work per packet the floor probe does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Probe {
    /// Walk the records only.
    Walk,
    /// Walk, decode the headers and hash each packet's flow key.
    #[default]
    Decode,
    /// Decode and look each packet's flow up in the flow table the workers
    /// use (inserted when missing, its FIN flags kept): the least a
    /// connection tracker does per packet.
    Lookup,
}

/// The floor probe: walk the records and do `probe`'s share of the work
/// on each — nothing else. Returns (packets, bytes, seconds).
pub fn floor(inputs: &[PathBuf], map: bool, probe: Probe) -> Result<(u64, u64, f64), Error> {
    use std::hash::BuildHasher;
    match probe {
        Probe::Walk => walk(inputs, map, |_| 0),
        // Its own loop, as before the other probes: through `walk`'s
        // closure the compiler inlines `FlowKey::new` differently, and the
        // floor took 6 % more instructions (142.9 → 151.5 M on a 100 MB
        // capture).
        Probe::Decode => {
            let hasher = hashlink::DefaultHashBuilder::default();
            let started = Instant::now();
            let (mut packets, mut bytes, mut mix) = (0u64, 0u64, 0u64);
            for path in inputs {
                let mut file =
                    CaptureFile::open_with(path, map).map_err(|e| Error::Usage(e.to_string()))?;
                while let Ok(Some(pkt)) = file.next_packet() {
                    packets += 1;
                    bytes += pkt.data.len() as u64;
                    if let Ok(seg) = decode::decode(pkt.link_type, pkt.data, pkt.cut_bytes()) {
                        let (key, _) = FlowKey::new(seg.src, seg.dst);
                        mix ^= hasher.hash_one(key);
                    }
                }
            }
            std::hint::black_box(mix);
            Ok((packets, bytes, started.elapsed().as_secs_f64()))
        }
        Probe::Lookup => {
            // The bounds a one-thread run's table has by default.
            let cfg = crate::config::Config::default();
            let mut table: FlowTable<[bool; 2]> = FlowTable::new(cfg.max_flows, cfg.idle_timeout);
            walk(inputs, map, |pkt| {
                let Ok(seg) = decode::decode(pkt.link_type, pkt.data, pkt.cut_bytes()) else {
                    return 0;
                };
                let (key, side) = FlowKey::new(seg.src, seg.dst);
                match table.lookup(&key, pkt.ts) {
                    Lookup::Active(fin) => {
                        fin[side.index()] |= seg.flags.contains(TcpFlags::FIN);
                        1
                    }
                    Lookup::Missing | Lookup::Idle => {
                        table.insert(key, [false; 2], pkt.ts);
                        0
                    }
                }
            })
        }
    }
}

/// Every record of `inputs` given to `each`, whose results are mixed so
/// that the work is not optimised away; (packets, bytes, seconds). The
/// clock starts at the first open.
#[inline(always)]
fn walk(
    inputs: &[PathBuf],
    map: bool,
    mut each: impl FnMut(&Packet<'_>) -> u64,
) -> Result<(u64, u64, f64), Error> {
    let started = Instant::now();
    let (mut packets, mut bytes, mut mix) = (0u64, 0u64, 0u64);
    for path in inputs {
        let mut file =
            CaptureFile::open_with(path, map).map_err(|e| Error::Usage(e.to_string()))?;
        while let Ok(Some(pkt)) = file.next_packet() {
            packets += 1;
            bytes += pkt.data.len() as u64;
            mix ^= each(&pkt);
        }
    }
    std::hint::black_box(mix);
    Ok((packets, bytes, started.elapsed().as_secs_f64()))
}
