//! The pipeline: capture → decode → flow → tls → analysis → report, wired
//! together (DESIGN.md).
//!
//! ```text
//!  capture thread                 parser workers (N)                 output thread
//!  read · decode · shard  ──►     Worker: flows → records      ──►   merge by order → report
//!  (batches of segments,          FallbackDetector                   (jsonl/csv only)
//!   bounded channels)             Aggregator::observe (shared)
//!                                 Encoder (jsonl/csv lines)
//! ```
//!
//! The capture thread reads and decodes packets, then routes each segment
//! by a symmetric hash of its *IP pair* to the worker that owns the pair:
//! both directions of a flow, and all of a client's retries to one server,
//! meet on one worker, so flows need no lock and fallback retries are seen
//! in order. Segments travel in batches of header fields whose payloads
//! point into the shared capture buffer (no copy). A worker drops a packet
//! of a finished handshake at its first lookup. Records go into the shared
//! aggregator; for jsonl/csv each worker also encodes its records and sends
//! them, in ClientHello order with a watermark, to the output thread, which
//! merges them by capture position — so the output is the same for every
//! `--threads`. With one thread everything runs inline on the capture
//! thread.
//!
//! Files are read in the order given; flows do not continue from one file
//! into the next (each file's flows are ended at its end).

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::analysis::accounting::{CaptureStats, FileReport};
use crate::analysis::aggregate::{Aggregator, Summary};
use crate::analysis::connection::{ConnectionRecord, End, FlowLimits, Tracker};
use crate::analysis::fallback::FallbackDetector;
use crate::analysis::order::Reorder;
use crate::capture::file::CaptureFile;
use crate::capture::{LinkType, Packet};
use crate::decode::{self, Endpoint, Segment, Skip, TcpFlags};
use crate::error::Error;
use crate::flow::{FlowKey, FlowTable, Lookup, TableStats};
use crate::report::csv::Csv;
use crate::report::jsonl::Jsonl;
use crate::report::summary_json::SummaryJson;
use crate::report::table::Table;
use crate::report::{Encoder, Format, Report, Run};
use crate::time::{Duration, Timestamp};
use crate::tls::scanner::Malformed;
use crate::tls::version::Version;

/// Segments per batch sent to a worker.
const BATCH: usize = 512;
/// Batches queued per worker before the capture thread waits.
const QUEUE: usize = 8;
/// Every this many packets, idle workers get an empty batch so that their
/// watermark (and the merged output) moves on.
const HEARTBEAT: u64 = 1 << 14;

/// A validated run configuration (see `cli`).
#[derive(Clone, Debug)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub min_version: Option<Version>,
    pub max_flows: usize,
    pub max_handshake_bytes: usize,
    /// Bytes all flows may hold at once (out-of-order segments and partial
    /// hellos); beyond it the oldest flows are evicted.
    pub max_buffered_bytes: usize,
    pub idle_timeout: Duration,
    pub fallback_window: Duration,
    /// Parser workers; 1 runs everything on the capture thread.
    pub threads: usize,
    pub color: bool,
    pub top: usize,
    pub progress: bool,
    /// Flush jsonl/csv after every record.
    pub flush_each: bool,
    /// Print throughput and per-stage figures on stderr at the end.
    pub stats: bool,
    /// Throw the report away (benchmarks).
    pub discard: bool,
    /// Capture from interfaces instead of reading `inputs`.
    pub live: Option<LiveConfig>,
}

/// Live capture settings (used with the cargo feature `live`).
#[derive(Clone, Debug, Default)]
pub struct LiveConfig {
    pub interfaces: Vec<String>,
    /// BPF filter, tcpdump syntax.
    pub filter: String,
    pub snaplen: i32,
    pub promisc: bool,
    /// Kernel buffer in bytes.
    pub buffer_size: Option<i32>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Stop after this long (wall clock).
    pub duration: Option<std::time::Duration>,
    /// Print the summary this often (wall clock).
    pub interval: Option<std::time::Duration>,
    /// A status line on stderr every few seconds.
    pub status: bool,
    /// Drop root for this user once the interfaces are open (`-Z`).
    pub user: Option<String>,
}

/// Set by the signal handler (SIGINT, SIGTERM): stop reading, drain, report.
pub static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            format: Format::Table,
            output: None,
            min_version: None,
            max_flows: 100_000,
            max_handshake_bytes: 64 * 1024,
            max_buffered_bytes: 256 << 20,
            idle_timeout: Duration::from_secs(120),
            fallback_window: Duration::from_secs(60),
            threads: 1,
            color: false,
            top: 20,
            progress: false,
            flush_each: false,
            stats: false,
            discard: false,
            live: None,
        }
    }
}

/// How the run ended, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything read; no policy violation.
    Clean,
    /// `--min-version` found connections that would be rejected.
    PolicyViolations,
    /// An input could not be read.
    InputErrors,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::PolicyViolations => 1,
            Verdict::InputErrors => 2,
        }
    }
}

enum FlowState {
    Tracking(Box<Tracker>),
    /// The handshake is known; later packets are dropped at lookup. The
    /// sides that sent a FIN are remembered so that the entry can go when
    /// the connection closes.
    Done {
        fin: [bool; 2],
    },
}

/// What a worker did with the packets it was given.
#[derive(Clone, Debug, Default)]
pub struct WorkerStats {
    /// Packets decoded here that carried no TCP segment, by reason.
    pub skipped: BTreeMap<Skip, u64>,
    /// Packets decoded here that carried a TCP segment.
    pub tcp: u64,
    /// Segments handed to the worker.
    pub segments: u64,
    /// ... that went to a flow still in its handshake,
    pub handshake: u64,
    /// ... were dropped because the flow's handshake was known,
    pub after_handshake: u64,
    /// ... or carried nothing for an unknown flow.
    pub untracked: u64,
    pub records: u64,
    /// Flows evicted from a full table before their handshake was known.
    pub evicted_handshakes: u64,
    /// Hellos declaring more bytes than --max-handshake-bytes (not parsed).
    pub oversized_hellos: u64,
    /// Hellos too short or broken to read at all.
    pub unreadable_hellos: u64,
    /// Time spent processing (benchmarks only).
    pub busy_ns: u64,
    pub flows: TableStats,
}

/// Owns a set of flows: turns their segments into connection records.
pub struct Worker {
    table: FlowTable<FlowState>,
    limits: FlowLimits,
    reorder: Reorder,
    completed: bool,
    /// Bytes the flows hold now, and the most they may.
    buffered: usize,
    max_buffered: usize,
    pub stats: WorkerStats,
}

impl Worker {
    pub fn new(
        max_flows: usize,
        max_buffered: usize,
        idle_timeout: Duration,
        limits: FlowLimits,
    ) -> Worker {
        Worker {
            table: FlowTable::new(max_flows, idle_timeout),
            limits,
            reorder: Reorder::default(),
            completed: false,
            buffered: 0,
            max_buffered,
            stats: WorkerStats::default(),
        }
    }

    fn end(&mut self, key: &FlowKey, state: FlowState, end: End) {
        if let FlowState::Tracking(t) = state {
            self.buffered = self.buffered.saturating_sub(t.buffered());
            let order = t.order();
            if let Some(m) = t.malformed() {
                match m {
                    Malformed::HandshakeTooLong { .. } => self.stats.oversized_hellos += 1,
                    Malformed::BadHello => self.stats.unreadable_hellos += 1,
                }
            }
            match t.finish(key, end) {
                Some(rec) => self.reorder.complete(rec),
                None => {
                    if let Some(o) = order {
                        self.reorder.abandon(o);
                    }
                }
            }
            self.completed = true;
        }
    }

    /// Ends the flows idle at capture time `now`.
    pub fn expire(&mut self, now: Timestamp) {
        while let Some((key, state)) = self.table.pop_idle(now) {
            self.end(&key, state, End::Idle);
        }
    }

    /// One decoded segment at capture time `ts`, packet `index`.
    pub fn segment(&mut self, seg: &Segment<'_>, ts: Timestamp, index: u64) {
        self.stats.segments += 1;
        self.expire(ts);
        let (key, side) = FlowKey::new(seg.src, seg.dst);
        let opening_syn = seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK);
        let limits = self.limits;
        let state = match self.table.lookup(&key, ts) {
            Lookup::Active(state) => state,
            found => {
                if matches!(found, Lookup::Idle) {
                    if let Some(old) = self.table.remove(&key) {
                        self.end(&key, old, End::Idle);
                    }
                }
                let carries = !seg.payload.is_empty() || seg.cut > 0;
                if !carries && !seg.flags.contains(TcpFlags::SYN) {
                    self.stats.untracked += 1;
                    return;
                }
                let fresh = FlowState::Tracking(Box::new(Tracker::new(limits)));
                if let Some((old_key, old)) = self.table.insert(key, fresh, ts) {
                    if matches!(old, FlowState::Tracking(_)) {
                        self.stats.evicted_handshakes += 1;
                    }
                    self.end(&old_key, old, End::Evicted);
                }
                let Lookup::Active(state) = self.table.lookup(&key, ts) else {
                    return;
                };
                state
            }
        };
        if let FlowState::Done { fin } = state {
            if !opening_syn {
                self.stats.after_handshake += 1;
                if seg.flags.contains(TcpFlags::FIN) {
                    fin[side.index()] = true;
                }
                if seg.flags.contains(TcpFlags::RST) || fin.iter().all(|f| *f) {
                    self.table.remove(&key);
                }
                return;
            }
            // A new connection on a 4-tuple whose last one is over.
            *state = FlowState::Tracking(Box::new(Tracker::new(limits)));
        }
        let FlowState::Tracking(tracker) = state else {
            return;
        };
        let mut ended = None;
        if opening_syn && tracker.is_new_connection(side, seg.seq) {
            ended = Some(std::mem::replace(tracker, Box::new(Tracker::new(limits))));
        }
        self.stats.handshake += 1;
        let before = tracker.buffered();
        let step = tracker.on_segment(seg, side, ts, index);
        self.buffered = (self.buffered + tracker.buffered()).saturating_sub(before);
        if let Some(order) = step.opened {
            self.reorder.open(order);
        }
        let finished = match step.end {
            Some(end) => match std::mem::replace(state, FlowState::Done { fin: [false; 2] }) {
                FlowState::Tracking(t) => Some((t, end)),
                FlowState::Done { .. } => None,
            },
            None => None,
        };
        if let Some(old) = ended {
            self.end(&key, FlowState::Tracking(old), End::Reused);
        }
        if let Some((t, end)) = finished {
            // A closed connection leaves nothing to drop: forget it. One
            // whose handshake is merely known stays, so that its data is
            // dropped at lookup.
            if matches!(end, End::Fin | End::Reset) {
                self.table.remove(&key);
            }
            self.end(&key, FlowState::Tracking(t), end);
        }
        // Over the memory budget: the oldest flows go first.
        while self.buffered > self.max_buffered {
            let Some((old_key, old)) = self.table.evict_front() else {
                break;
            };
            if matches!(old, FlowState::Tracking(_)) {
                self.stats.evicted_handshakes += 1;
            }
            self.end(&old_key, old, End::Evicted);
        }
    }

    /// One captured frame: decode, count, and process.
    pub fn packet(&mut self, link: LinkType, data: &[u8], cut: u32, ts: Timestamp, index: u64) {
        match decode::decode(link, data, cut) {
            Ok(seg) => {
                self.stats.tcp += 1;
                self.segment(&seg, ts, index);
            }
            Err(skip) => *self.stats.skipped.entry(skip).or_default() += 1,
        }
    }

    /// Ends every flow (end of a capture file).
    pub fn flush(&mut self) {
        let flows: Vec<_> = self.table.drain().collect();
        for (key, state) in flows {
            self.end(&key, state, End::CaptureEnd);
        }
    }

    /// Moves records that are ready, in output order, into `out`.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>) {
        if self.completed {
            self.completed = false;
            self.reorder.release(out);
        }
    }

    /// No record this worker releases later has an order below this.
    pub fn watermark(&self, next_index: u64) -> u64 {
        self.reorder
            .first_open()
            .map_or(next_index, |o| o.min(next_index))
    }
}

/// The per-record work that follows a worker: fallback detection and the
/// shared aggregate.
struct Analysis<'a> {
    fallback: FallbackDetector,
    aggregator: &'a Aggregator,
}

impl Analysis<'_> {
    fn record(&mut self, rec: &ConnectionRecord) {
        if let Some(f) = self.fallback.observe(rec) {
            self.aggregator.fallback(f);
        }
        self.aggregator.observe(rec);
    }
}

/// Where the capture loop sends packets.
trait Dispatch {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error>;
    /// A file ended: end its flows.
    fn end_of_file(&mut self, index: u64) -> Result<(), Error>;
    /// Live capture is idle for a moment: pass on what is waiting, so that
    /// records and the summary stay current.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    fn tick(&mut self, _index: u64, _now: Timestamp) -> Result<(), Error> {
        Ok(())
    }
}

/// One thread: the worker runs on the capture thread.
struct Inline<'a> {
    worker: Worker,
    analysis: Analysis<'a>,
    report: &'a mut (dyn Report + Send),
    released: Vec<ConnectionRecord>,
    oerr: &'a dyn Fn(io::Error) -> Error,
}

impl Inline<'_> {
    fn drain(&mut self) -> Result<(), Error> {
        self.worker.release(&mut self.released);
        self.worker.stats.records += self.released.len() as u64;
        for rec in self.released.drain(..) {
            self.analysis.record(&rec);
            self.report.record(&rec).map_err(self.oerr)?;
        }
        Ok(())
    }
}

impl Dispatch for Inline<'_> {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        self.worker
            .packet(pkt.link_type, pkt.data, pkt.cut_bytes(), pkt.ts, index);
        self.drain()
    }

    fn end_of_file(&mut self, _index: u64) -> Result<(), Error> {
        self.worker.flush();
        self.drain()
    }
}

/// A segment in a batch: the header fields the capture thread decoded,
/// and where its payload lies (in one of the batch's shared buffers, or in
/// its own arena). A worker touches payload bytes only for flows still in
/// their handshake.
struct SegMeta {
    ts: Timestamp,
    index: u64,
    src: Endpoint,
    dst: Endpoint,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    cut: u32,
    /// Index into `Batch::chunks`, or `ARENA`.
    chunk: u32,
    start: u32,
    len: u32,
}

const ARENA: u32 = u32::MAX;

#[derive(Default)]
struct Batch {
    chunks: Vec<Arc<Vec<u8>>>,
    arena: Vec<u8>,
    segs: Vec<SegMeta>,
    /// The capture position after this batch.
    next_index: u64,
    now: Timestamp,
    /// End every flow after this batch (end of a file).
    flush: bool,
}

impl Batch {
    fn payload(&self, m: &SegMeta) -> &[u8] {
        let range = m.start as usize..(m.start as usize + m.len as usize);
        let buf = if m.chunk == ARENA {
            Some(&self.arena)
        } else {
            self.chunks.get(m.chunk as usize).map(|c| c.as_ref())
        };
        buf.and_then(|b| b.get(range)).unwrap_or_default()
    }
}

/// Records from a worker, and how far it has got.
struct Output {
    worker: usize,
    /// (order, end offset in `bytes`) per record, in order.
    records: Vec<(u64, usize)>,
    bytes: Vec<u8>,
    watermark: u64,
}

/// The capture thread's side of the worker pool.
struct Pool {
    senders: Vec<Sender<Batch>>,
    batches: Vec<Batch>,
    last_sent: Vec<u64>,
    stalls: u64,
    /// What the capture thread's decoding found.
    skipped: BTreeMap<Skip, u64>,
    tcp: u64,
    /// Emptied batches coming back from the workers, for reuse.
    spare: Receiver<Batch>,
}

/// The worker owning the IP pair of a flow: a symmetric hash, so both
/// directions and every retry of a client to a server land together.
fn shard(a: &IpAddr, b: &IpAddr, n: usize) -> usize {
    fn fold(ip: &IpAddr) -> u64 {
        match ip {
            IpAddr::V4(v4) => u64::from(u32::from(*v4)),
            IpAddr::V6(v6) => {
                let x = u128::from(*v6);
                (x as u64) ^ ((x >> 64) as u64).rotate_left(17)
            }
        }
    }
    // Commutative combination, then a multiplicative mix.
    let (x, y) = (fold(a), fold(b));
    let h = (x ^ y).wrapping_add(x.wrapping_mul(y) | 1);
    let h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((h >> 32) % n as u64) as usize
}

impl Pool {
    fn send(&mut self, w: usize, index: u64) -> Result<(), Error> {
        let Some(batch) = self.batches.get_mut(w) else {
            return Ok(());
        };
        let mut b = std::mem::take(batch);
        b.next_index = index + 1;
        self.last_sent[w] = index;
        let Some(tx) = self.senders.get(w) else {
            return Ok(());
        };
        match tx.try_send(b) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(b)) => {
                self.stalls += 1;
                tx.send(b).map_err(|_| self.closed())
            }
            Err(TrySendError::Disconnected(_)) => Err(self.closed()),
        }
    }

    fn closed(&self) -> Error {
        Error::Output {
            name: "worker".into(),
            source: io::Error::other("a parser worker stopped"),
        }
    }
}

impl Dispatch for Pool {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        let n = self.senders.len();
        // Decoding here, where the bytes are still in this core's cache,
        // leaves the workers only the header fields — and the payload of
        // the few segments still in a handshake.
        let seg = match decode::decode(pkt.link_type, pkt.data, pkt.cut_bytes()) {
            Ok(seg) => seg,
            Err(skip) => {
                *self.skipped.entry(skip).or_default() += 1;
                return Ok(());
            }
        };
        self.tcp += 1;
        let w = shard(&seg.src.ip, &seg.dst.ip, n);
        let spare = &self.spare;
        let Some(b) = self.batches.get_mut(w) else {
            return Ok(());
        };
        if b.segs.capacity() == 0 {
            if let Ok(mut reused) = spare.try_recv() {
                reused.chunks.clear();
                reused.arena.clear();
                reused.segs.clear();
                reused.flush = false;
                *b = reused;
            } else {
                b.segs.reserve(BATCH);
            }
        }
        // Point into the shared capture buffer when the payload lies in it.
        let shared = pkt.owner.and_then(|o| {
            let start = (seg.payload.as_ptr() as usize).checked_sub(o.as_ptr() as usize)?;
            (start + seg.payload.len() <= o.len()).then_some((o, start))
        });
        let (chunk, start) = match shared {
            Some((o, start)) => {
                if !b.chunks.last().is_some_and(|c| Arc::ptr_eq(c, o)) {
                    b.chunks.push(o.clone());
                }
                ((b.chunks.len() - 1) as u32, start)
            }
            None => {
                let start = b.arena.len();
                b.arena.extend_from_slice(seg.payload);
                (ARENA, start)
            }
        };
        b.segs.push(SegMeta {
            ts: pkt.ts,
            index,
            src: seg.src,
            dst: seg.dst,
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            cut: seg.cut,
            chunk,
            start: start as u32,
            len: seg.payload.len() as u32,
        });
        b.now = pkt.ts;
        if b.segs.len() >= BATCH {
            self.send(w, index)?;
        }
        if index % HEARTBEAT == 0 {
            for w in 0..n {
                if index - self.last_sent[w] >= HEARTBEAT {
                    if let Some(b) = self.batches.get_mut(w) {
                        b.now = pkt.ts;
                    }
                    self.send(w, index)?;
                }
            }
        }
        Ok(())
    }

    fn end_of_file(&mut self, index: u64) -> Result<(), Error> {
        for w in 0..self.senders.len() {
            if let Some(b) = self.batches.get_mut(w) {
                b.flush = true;
            }
            self.send(w, index)?;
        }
        Ok(())
    }

    fn tick(&mut self, index: u64, now: Timestamp) -> Result<(), Error> {
        for w in 0..self.senders.len() {
            if let Some(b) = self.batches.get_mut(w) {
                b.now = b.now.max(now);
            }
            self.send(w, index)?;
        }
        Ok(())
    }
}

/// A worker thread: batches in; records into the aggregate and, for reports
/// that list connections, encoded records with watermarks out.
fn work(
    id: usize,
    mut worker: Worker,
    mut analysis: Analysis<'_>,
    rx: Receiver<Batch>,
    tx: Option<(Sender<Output>, Encoder)>,
    spare: Sender<Batch>,
) -> WorkerStats {
    let mut released = Vec::new();
    for batch in rx {
        let started = Instant::now();
        for m in &batch.segs {
            let seg = Segment {
                src: m.src,
                dst: m.dst,
                seq: m.seq,
                ack: m.ack,
                flags: m.flags,
                payload: batch.payload(m),
                cut: m.cut,
            };
            worker.segment(&seg, m.ts, m.index);
        }
        worker.expire(batch.now);
        if batch.flush {
            worker.flush();
        }
        worker.release(&mut released);
        worker.stats.records += released.len() as u64;
        let mut out = Output {
            worker: id,
            records: Vec::new(),
            bytes: Vec::new(),
            watermark: worker.watermark(batch.next_index),
        };
        for rec in released.drain(..) {
            analysis.record(&rec);
            if let Some((_, encoder)) = &tx {
                encoder.encode(&rec, &mut out.bytes);
                out.records.push((rec.order, out.bytes.len()));
            }
        }
        worker.stats.busy_ns += started.elapsed().as_nanos() as u64;
        // Let the capture buffers go, and hand the batch back for reuse.
        let mut batch = batch;
        batch.chunks.clear();
        let _ = spare.try_send(batch);
        if let Some((tx, _)) = &tx {
            if tx.send(out).is_err() {
                break;
            }
        }
    }
    worker.stats.flows = worker.table.stats;
    worker.stats
}

/// One worker's encoded records waiting to be written.
#[derive(Default)]
struct Pending {
    outputs: VecDeque<Output>,
    /// Records of the front output already written.
    next: usize,
}

impl Pending {
    /// The order of the next record, if any.
    fn head(&mut self) -> Option<u64> {
        loop {
            let front = self.outputs.front()?;
            if let Some(&(order, _)) = front.records.get(self.next) {
                return Some(order);
            }
            self.outputs.pop_front();
            self.next = 0;
        }
    }

    /// The next record's bytes; advances.
    fn take(&mut self) -> Option<&[u8]> {
        let front = self.outputs.front()?;
        let start = match self.next {
            0 => 0,
            n => front.records.get(n - 1)?.1,
        };
        let end = front.records.get(self.next)?.1;
        self.next += 1;
        front.bytes.get(start..end)
    }
}

/// The output thread: merges the workers' ordered streams by capture
/// position, releasing a record once every worker's watermark has passed it.
fn merge(
    workers: usize,
    rx: Receiver<Output>,
    report: &mut (dyn Report + Send),
    oerr: &dyn Fn(io::Error) -> Error,
) -> Result<(), Error> {
    let mut pending: Vec<Pending> = (0..workers).map(|_| Pending::default()).collect();
    let mut marks = vec![0u64; workers];
    let emit = |pending: &mut Vec<Pending>, limit: u64, report: &mut (dyn Report + Send)| {
        loop {
            let next = pending
                .iter_mut()
                .enumerate()
                .filter_map(|(i, p)| p.head().map(|o| (o, i)))
                .min();
            match next {
                Some((order, i)) if order < limit => {
                    if let Some(bytes) = pending.get_mut(i).and_then(Pending::take) {
                        report.encoded(bytes).map_err(oerr)?;
                    }
                }
                _ => return Ok::<(), Error>(()),
            }
        }
    };
    for out in rx.iter() {
        if let Some(m) = marks.get_mut(out.worker) {
            *m = (*m).max(out.watermark);
        }
        if let Some(p) = pending.get_mut(out.worker) {
            p.outputs.push_back(out);
        }
        let limit = marks.iter().copied().min().unwrap_or(0);
        emit(&mut pending, limit, report)?;
    }
    emit(&mut pending, u64::MAX, report)
}

fn open_output(path: &Option<PathBuf>) -> Result<Box<dyn Write + Send>, Error> {
    Ok(match path {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| Error::Output {
                name: p.display().to_string(),
                source: e,
            })?;
            Box::new(io::BufWriter::with_capacity(1 << 16, f))
        }
        None => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
    })
}

fn output_error(cfg: &Config) -> impl Fn(io::Error) -> Error + Sync + '_ {
    move |e| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output {
                name: cfg
                    .output
                    .as_ref()
                    .map_or_else(|| "<stdout>".into(), |p| p.display().to_string()),
                source: e,
            }
        }
    }
}

/// Shows progress on stderr for large files read from disk.
struct Progress {
    enabled: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    const MIN_SIZE: u64 = 64 << 20;

    fn tick(&mut self, file: &CaptureFile) {
        if !self.enabled || self.last.elapsed().as_millis() < 250 {
            return;
        }
        self.last = Instant::now();
        let (done, total) = file.progress();
        if let Some(total) = total.filter(|t| *t >= Self::MIN_SIZE) {
            let pct = done as f64 * 100.0 / total as f64;
            eprint!("\r{}: {pct:5.1}% of {} MB", file.name(), total / 1_000_000);
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

/// What the capture loop found, besides segments.
struct Inputs {
    capture: CaptureStats,
    warnings: Vec<String>,
    /// Unreadable inputs: reported on stderr at once and listed in the report.
    errors: Vec<String>,
    /// Time spent reading and decoding (benchmarks only).
    read_ns: u64,
}

/// Reads the inputs — files, or live interfaces — and hands packets to
/// `dispatch`.
fn read_all(
    cfg: &Config,
    dispatch: &mut dyn Dispatch,
    aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    match &cfg.live {
        Some(live) => read_live(cfg, live, dispatch, aggregator),
        None => read_files(cfg, dispatch),
    }
}

#[cfg(not(feature = "live"))]
fn read_live(
    _cfg: &Config,
    _live: &LiveConfig,
    _dispatch: &mut dyn Dispatch,
    _aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    Err(Error::Usage(crate::cli::LIVE_NEEDS_FEATURE.into()))
}

/// Captures from interfaces until a signal, `-c` or `--duration`.
#[cfg(feature = "live")]
fn read_live(
    cfg: &Config,
    live: &LiveConfig,
    dispatch: &mut dyn Dispatch,
    aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    use crate::capture::live::{LiveCapture, LiveOptions, drop_privileges};
    use std::sync::atomic::Ordering;
    let opts = LiveOptions {
        interfaces: live.interfaces.clone(),
        filter: live.filter.clone(),
        snaplen: live.snaplen,
        promisc: live.promisc,
        buffer_size: live.buffer_size,
    };
    let mut cap = LiveCapture::open(&opts).map_err(Error::Input)?;
    if let Some(user) = &live.user {
        drop_privileges(user).map_err(Error::Input)?;
    }
    let names: Vec<String> = cap
        .stats()
        .iter()
        .map(|s| match s.link_type {
            Some(lt) => format!("{} ({lt})", s.name),
            None => s.name.clone(),
        })
        .collect();
    if !cfg.discard {
        eprintln!(
            "tlssniff: capturing on {}{}; Ctrl-C stops and prints the summary",
            names.join(", "),
            if live.filter.is_empty() {
                String::new()
            } else {
                format!(", filter '{}'", live.filter)
            }
        );
    }
    let mut capture = CaptureStats {
        max_flows: cfg.max_flows,
        ..CaptureStats::default()
    };
    let mut warnings = Vec::new();
    let started = Instant::now();
    let mut last_status = Instant::now();
    let mut last_interval = Instant::now();
    let mut index: u64 = 0;
    let mut last_ts = Timestamp::ZERO;
    loop {
        if STOP.load(Ordering::Relaxed)
            || live.count.is_some_and(|c| index >= c)
            || live.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        match cap.next_packet() {
            Ok(Some(pkt)) => {
                index += 1;
                capture.packets += 1;
                capture.bytes += pkt.data.len() as u64;
                capture.saw_time(pkt.ts);
                if pkt.cut_bytes() > 0 {
                    capture.cut_packets += 1;
                }
                last_ts = last_ts.max(pkt.ts);
                dispatch.packet(&pkt, index)?;
            }
            Ok(None) => dispatch.tick(index, last_ts)?,
            Err(e) => {
                warnings.push(format!("capture stopped: {e}"));
                break;
            }
        }
        if live.status && last_status.elapsed().as_secs() >= 2 {
            last_status = Instant::now();
            let (connections, legacy, fallbacks) = aggregator.counts();
            let drops: u64 = cap.stats().iter().map(|s| s.dropped + s.if_dropped).sum();
            eprint!(
                "\r\x1b[K{index} packets, {connections} TLS handshakes, {legacy} legacy, \
                 {fallbacks} fallback retries, {drops} dropped"
            );
        }
        if let Some(every) = live.interval {
            if last_interval.elapsed() >= every {
                last_interval = Instant::now();
                dispatch.tick(index, last_ts)?;
                let summary = aggregator.snapshot();
                let mut now = capture.clone();
                now.interfaces = cap.stats();
                let text = crate::report::table::render_text(
                    &Run {
                        summary: &summary,
                        capture: &now,
                        warnings: &[],
                    },
                    cfg.color,
                    cfg.top,
                );
                if cfg.format == Format::Table && cfg.output.is_none() {
                    println!("{text}");
                    let _ = io::stdout().flush();
                } else {
                    eprintln!("{text}");
                }
            }
        }
    }
    if live.status {
        eprint!("\r\x1b[K");
    }
    dispatch.end_of_file(index)?;
    capture.interfaces = cap.stats();
    capture.files.push(FileReport {
        name: names.join(", "),
        format: "live capture (libpcap)".into(),
        link_types: capture
            .interfaces
            .iter()
            .filter_map(|i| i.link_type)
            .collect(),
        snaplen: u32::try_from(live.snaplen).ok(),
        packets: capture.packets,
        bytes: capture.bytes,
        first_ts: capture.first_ts,
        last_ts: capture.last_ts,
        damage: None,
        error: None,
    });
    let dropped: u64 = capture.interfaces.iter().map(|i| i.dropped).sum();
    let if_dropped: u64 = capture.interfaces.iter().map(|i| i.if_dropped).sum();
    if dropped + if_dropped > 0 {
        warnings.push(format!(
            "{dropped} packets were dropped by the kernel and {if_dropped} by the interface \
             (libpcap's counters): handshakes in them were not seen. A larger buffer (-B), a \
             tighter filter or more --threads may help"
        ));
    }
    Ok(Inputs {
        capture,
        warnings,
        errors: Vec::new(),
        read_ns: started.elapsed().as_nanos() as u64,
    })
}

/// Reads every input file, and hands packets to `dispatch`.
fn read_files(cfg: &Config, dispatch: &mut dyn Dispatch) -> Result<Inputs, Error> {
    let mut capture = CaptureStats {
        max_flows: cfg.max_flows,
        ..CaptureStats::default()
    };
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut progress = Progress {
        enabled: cfg.progress,
        last: Instant::now(),
        shown: false,
    };
    let started = Instant::now();
    let mut index: u64 = 0;
    for path in &cfg.inputs {
        let mut file = match CaptureFile::open(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("tlssniff: {e}");
                errors.push(format!("cannot read {e}"));
                capture.files.push(FileReport {
                    name: e.name.clone(),
                    error: Some(e.reason.clone()),
                    ..FileReport::default()
                });
                continue;
            }
        };
        let mut fr = FileReport {
            name: file.name().to_string(),
            ..FileReport::default()
        };
        loop {
            let pkt: Packet<'_> = match file.next_packet() {
                Ok(Some(pkt)) => pkt,
                Ok(None) => break,
                Err(damage) => {
                    warnings.push(format!(
                        "{}: {damage}; the {} packets before it were analysed",
                        fr.name, fr.packets
                    ));
                    fr.damage = Some(damage.to_string());
                    break;
                }
            };
            index += 1;
            fr.packets += 1;
            fr.bytes += pkt.data.len() as u64;
            fr.first_ts = Some(fr.first_ts.map_or(pkt.ts, |t| t.min(pkt.ts)));
            fr.last_ts = Some(fr.last_ts.map_or(pkt.ts, |t| t.max(pkt.ts)));
            if pkt.cut_bytes() > 0 {
                capture.cut_packets += 1;
            }
            dispatch.packet(&pkt, index)?;
            if index % 4096 == 0 {
                progress.tick(&file);
            }
        }
        progress.clear();
        dispatch.end_of_file(index)?;
        fr.format = file.stats.format.clone();
        fr.link_types = file.stats.link_types.clone();
        fr.snaplen = file.stats.snaplen;
        // The run's totals are the files' totals.
        capture.packets += fr.packets + file.stats.orphan_packets;
        capture.bytes += fr.bytes;
        for ts in [fr.first_ts, fr.last_ts].into_iter().flatten() {
            capture.saw_time(ts);
        }
        capture.no_interface += file.stats.orphan_packets;
        if file.stats.orphan_packets > 0 {
            warnings.push(format!(
                "{}: {} packets name an interface with no interface description block; skipped",
                fr.name, file.stats.orphan_packets
            ));
        }
        capture.files.push(fr);
    }
    Ok(Inputs {
        capture,
        warnings,
        errors,
        read_ns: started.elapsed().as_nanos() as u64,
    })
}

fn make_report(cfg: &Config) -> Result<Box<dyn Report + Send>, Error> {
    let out: Box<dyn Write + Send> = if cfg.discard {
        Box::new(io::sink())
    } else {
        open_output(&cfg.output)?
    };
    Ok(match cfg.format {
        Format::Table => Box::new(Table::new(out, cfg.color, cfg.top)),
        Format::Jsonl => Box::new(Jsonl::new(out, cfg.flush_each)),
        Format::Csv => Box::new(Csv::new(out, cfg.flush_each)),
        Format::SummaryJson => Box::new(SummaryJson::new(out)),
    })
}

/// Runs the analysis over every input and writes the report.
pub fn run(cfg: &Config) -> Result<Verdict, Error> {
    let mut report = make_report(cfg)?;
    let aggregator = Aggregator::new(cfg.min_version);
    let oerr = output_error(cfg);
    let threads = cfg.threads.max(1);
    let limits = FlowLimits {
        max_handshake_bytes: cfg.max_handshake_bytes,
    };
    let analysis = || Analysis {
        fallback: FallbackDetector::new(cfg.fallback_window),
        aggregator: &aggregator,
    };
    let started = Instant::now();
    let (inputs, workers, stalls) = if threads == 1 {
        let mut inline = Inline {
            worker: Worker::new(
                cfg.max_flows,
                cfg.max_buffered_bytes,
                cfg.idle_timeout,
                limits,
            ),
            analysis: analysis(),
            report: report.as_mut(),
            released: Vec::new(),
            oerr: &oerr,
        };
        let inputs = read_all(cfg, &mut inline, &aggregator)?;
        let mut stats = std::mem::take(&mut inline.worker.stats);
        stats.flows = inline.worker.table.stats;
        (inputs, vec![stats], 0)
    } else {
        std::thread::scope(|scope| -> Result<_, Error> {
            let (out_tx, out_rx) = bounded::<Output>(threads * QUEUE);
            // Only reports that list connections need the output thread.
            let encoder = report.encoder();
            let report_ref = report.as_mut();
            let oerr_ref = &oerr;
            let merger =
                encoder.map(|_| scope.spawn(move || merge(threads, out_rx, report_ref, oerr_ref)));
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            let (spare_tx, spare_rx) = bounded::<Batch>(threads * (QUEUE + 2));
            for id in 0..threads {
                let (tx, rx) = bounded::<Batch>(QUEUE);
                senders.push(tx);
                let worker = Worker::new(
                    cfg.max_flows.div_ceil(threads),
                    cfg.max_buffered_bytes.div_ceil(threads),
                    cfg.idle_timeout,
                    limits,
                );
                let a = analysis();
                let out = encoder.map(|e| (out_tx.clone(), e));
                let spare = spare_tx.clone();
                handles.push(scope.spawn(move || work(id, worker, a, rx, out, spare)));
            }
            drop(out_tx);
            drop(spare_tx);
            let mut pool = Pool {
                batches: (0..threads).map(|_| Batch::default()).collect(),
                last_sent: vec![0; threads],
                senders,
                stalls: 0,
                skipped: BTreeMap::new(),
                tcp: 0,
                spare: spare_rx,
            };
            let read = read_all(cfg, &mut pool, &aggregator);
            let stalls = pool.stalls;
            let skipped = std::mem::take(&mut pool.skipped);
            let tcp = pool.tcp;
            drop(pool);
            let stats: Vec<WorkerStats> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect();
            let merged = match merger {
                Some(m) => m
                    .join()
                    .unwrap_or_else(|_| Err(Error::Usage("the output thread panicked".into()))),
                None => Ok(()),
            };
            let mut inputs = read?;
            merged?;
            for (skip, n) in skipped {
                *inputs.capture.skipped.entry(skip).or_default() += n;
            }
            inputs.capture.tcp += tcp;
            Ok((inputs, stats, stalls))
        })?
    };
    let elapsed = started.elapsed();
    let Inputs {
        mut capture,
        mut warnings,
        errors,
        read_ns,
    } = inputs;
    for w in &workers {
        capture.tcp += w.tcp;
        for (skip, n) in &w.skipped {
            *capture.skipped.entry(*skip).or_default() += n;
        }
        capture.evicted_handshakes += w.evicted_handshakes;
        capture.oversized_hellos += w.oversized_hellos;
        capture.unreadable_hellos += w.unreadable_hellos;
        capture.handshake += w.handshake;
        capture.after_handshake += w.after_handshake;
        capture.untracked += w.untracked;
        capture.flows.created += w.flows.created;
        capture.flows.evicted += w.flows.evicted;
        capture.flows.expired += w.flows.expired;
        capture.flows.peak += w.flows.peak;
    }
    let summary = aggregator.snapshot();
    explain(&capture, &summary, &mut warnings);
    let notices: Vec<String> = errors.iter().chain(&warnings).cloned().collect();
    let run = Run {
        summary: &summary,
        capture: &capture,
        warnings: &notices,
    };
    report.finish(&run).map_err(&oerr)?;
    for w in &warnings {
        if cfg.format != Format::Table || cfg.output.is_some() {
            eprintln!("tlssniff: warning: {w}");
        }
    }
    if cfg.stats {
        let mut err = io::stderr().lock();
        let _ = print_stats(
            &mut err, &capture, &summary, &workers, read_ns, stalls, elapsed,
        );
    }
    Ok(if !errors.is_empty() {
        Verdict::InputErrors
    } else if summary.totals.below_min > 0 {
        Verdict::PolicyViolations
    } else {
        Verdict::Clean
    })
}

/// `--stats`: throughput and where the time went.
fn print_stats(
    out: &mut dyn Write,
    capture: &CaptureStats,
    summary: &Summary,
    workers: &[WorkerStats],
    read_ns: u64,
    stalls: u64,
    elapsed: std::time::Duration,
) -> io::Result<()> {
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
    writeln!(
        out,
        "stats: capture thread (read, route) {:.3} s; channel stalls {stalls}",
        read_ns as f64 / 1e9
    )?;
    if let Some(kib) = peak_rss_kib() {
        writeln!(out, "stats: peak memory (RSS) {} MiB", kib / 1024)?;
    }
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

/// The floor probe: walk the records, decode the headers, hash the flows —
/// nothing else. Returns (packets, bytes, seconds).
pub fn floor(inputs: &[PathBuf]) -> Result<(u64, u64, f64), Error> {
    if std::env::var_os("TLSSNIFF_WALK_ONLY").is_some() {
        let started = Instant::now();
        let (mut packets, mut bytes) = (0u64, 0u64);
        for path in inputs {
            let mut file = CaptureFile::open(path).map_err(|e| Error::Usage(e.to_string()))?;
            while let Ok(Some(pkt)) = file.next_packet() {
                packets += 1;
                bytes += pkt.data.len() as u64;
            }
        }
        return Ok((packets, bytes, started.elapsed().as_secs_f64()));
    }
    use std::hash::BuildHasher;
    let hasher = hashlink::DefaultHashBuilder::default();
    let started = Instant::now();
    let (mut packets, mut bytes, mut mix) = (0u64, 0u64, 0u64);
    for path in inputs {
        let mut file = CaptureFile::open(path).map_err(|e| Error::Usage(e.to_string()))?;
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

/// Warnings a user should read: cut handshakes, evictions, unsupported links.
fn explain(capture: &CaptureStats, summary: &Summary, warnings: &mut Vec<String>) {
    let cut = summary.totals.cut_by_snaplen;
    if cut > 0 {
        let snaplens: Vec<String> = capture
            .files
            .iter()
            .filter_map(|f| {
                f.snaplen
                    .filter(|s| *s < 65535)
                    .map(|s| format!("{} ({s} bytes)", f.name))
            })
            .collect();
        let which = if snaplens.is_empty() {
            String::new()
        } else {
            format!(" snaplen: {};", snaplens.join(", "))
        };
        warnings.push(format!(
            "{cut} handshake(s) were cut by the capture's snapshot length;{which} their versions and \
             cipher suites may be incomplete (marked \"partial\"). Re-capture whole packets: \
             `tcpdump -s 0`, `dumpcap -s 0`, or `pktmon start --capture --pkt-size 0` on Windows \
             (pktmon keeps only 128 bytes by default)"
        ));
    }
    if capture.evicted_handshakes > 0 {
        warnings.push(format!(
            "{} flows were evicted in the middle of their handshake because the flow table was \
             full (--max-flows {}) or held too many bytes (--max-buffered-bytes); their \
             connections may be reported incomplete. Raise the limits or lower --idle-timeout",
            capture.evicted_handshakes, capture.max_flows
        ));
    }
    if capture.oversized_hellos > 0 {
        warnings.push(format!(
            "{} handshake messages declared more bytes than --max-handshake-bytes and were not \
             parsed (a hostile or broken peer, or raise the limit)",
            capture.oversized_hellos
        ));
    }
    if capture.unreadable_hellos > 0 {
        warnings.push(format!(
            "{} hellos were too broken to read and were skipped",
            capture.unreadable_hellos
        ));
    }
    for (skip, n) in &capture.skipped {
        if let Skip::UnknownLinkType(lt) = skip {
            warnings.push(format!(
                "{n} packets have link type {lt}, which tlssniff does not decode (supported: \
                 Ethernet, Linux SLL/SLL2, raw IP, NULL/LOOP)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn shard_is_symmetric_and_in_range() {
        for i in 0..200u32 {
            let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i * 7919));
            let b = IpAddr::V4(Ipv4Addr::from(0xc0a8_0001 + i));
            for n in 1..9 {
                let s = shard(&a, &b, n);
                assert_eq!(s, shard(&b, &a, n));
                assert!(s < n);
            }
        }
    }
}
