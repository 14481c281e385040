//! The capture thread's side of the worker pool (routing, batches) and the
//! threads around it: workers, and the output thread that merges their
//! records by capture position.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use super::queue::{Receiver, Sender, TrySendError};
use super::{Analysis, Dispatch, Worker, WorkerStats};
use crate::analysis::order::MAX_HELD;
use crate::analysis::record::ConnectionRecord;
use crate::capture::LinkType;
use crate::capture::{Bytes, Packet};
use crate::decode::{self, Skip};
use crate::error::Error;
use crate::report::{Encoder, Report};
use crate::time::Timestamp;

/// Frames per batch sent to a worker.
const BATCH: usize = 512;
/// Records (Fiddler sessions) per batch.
const RECORDS_PER_BATCH: usize = 64;
/// Batches queued per worker before the capture thread waits.
pub(super) const QUEUE: usize = 32;
/// Every this many packets, idle workers get an empty batch so that their
/// watermark (and the merged output) moves on.
pub(super) const HEARTBEAT: u64 = 1 << 14;

/// A frame in a batch, as captured: where its bytes lie (in one of the
/// batch's shared buffers, or in its own arena). The worker decodes it, so
/// the capture thread only reads enough of each frame to pick the worker,
/// and a frame's bytes cross to the worker's core once, in the worker's own
/// decode, instead of as decoded header fields and then again as payload.
struct FrameMeta {
    ts: Timestamp,
    index: u64,
    link: LinkType,
    /// Bytes the snapshot length cut off.
    cut: u32,
    /// Index into `Batch::chunks`, or `ARENA`.
    chunk: u32,
    /// A map of a file larger than 4 GiB has offsets past `u32`.
    start: usize,
    len: u32,
}

const ARENA: u32 = u32::MAX;

#[derive(Default)]
pub(super) struct Batch {
    chunks: Vec<Arc<Bytes>>,
    arena: Vec<u8>,
    frames: Vec<FrameMeta>,
    /// Records read whole (Fiddler sessions) for this worker's IP pairs.
    records: Vec<ConnectionRecord>,
    /// The capture position after this batch.
    next_index: u64,
    now: Timestamp,
    /// End every flow after this batch (end of a file).
    flush: bool,
}

impl Batch {
    fn data(&self, m: &FrameMeta) -> &[u8] {
        let range = m.start..m.start.saturating_add(m.len as usize);
        let buf: Option<&[u8]> = if m.chunk == ARENA {
            Some(&self.arena)
        } else {
            self.chunks.get(m.chunk as usize).map(|c| &***c)
        };
        buf.and_then(|b| b.get(range)).unwrap_or_default()
    }
}

/// Records from a worker, and how far it has got.
pub(super) struct Output {
    pub(super) worker: usize,
    /// (order, end offset in `bytes`) per record, in order.
    pub(super) records: Vec<(u64, usize)>,
    pub(super) bytes: Vec<u8>,
    pub(super) watermark: u64,
}

/// The capture thread's side of the worker pool.
pub(super) struct Pool<'a> {
    pub(super) senders: Vec<Sender<Batch>>,
    pub(super) batches: Vec<Batch>,
    pub(super) last_sent: Vec<u64>,
    pub(super) stalls: u64,
    /// Frames the capture thread decoded (to find their worker) that
    /// carry no segment; workers count what they decode.
    pub(super) skipped: BTreeMap<Skip, u64>,
    /// Emptied batches coming back from the workers, for reuse.
    pub(super) spare: Receiver<Batch>,
    /// A summary report (no output thread): where live `--interval`
    /// snapshots go.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    pub(super) summary: Option<SummarySink<'a>>,
}

/// A summary report and how its write errors are told.
pub(super) type SummarySink<'a> = (
    &'a mut (dyn Report + Send + 'static),
    &'a dyn Fn(io::Error) -> Error,
);

/// The worker owning the IP pair of a flow: a symmetric hash, so both
/// directions and every retry of a client to a server land together.
pub(super) fn shard(a: &IpAddr, b: &IpAddr, n: usize) -> usize {
    fn fold(ip: &IpAddr) -> u64 {
        match ip {
            IpAddr::V4(v4) => u64::from(u32::from(*v4)),
            IpAddr::V6(v6) => {
                let x = u128::from(*v6);
                (x as u64) ^ ((x >> 64) as u64).rotate_left(17)
            }
        }
    }
    // Commutative combination, then the SplitMix64 finalizer: every input
    // bit reaches every output bit, so addresses that differ in a few low
    // bits (one client talking to servers in one subnet) still spread. A
    // bare multiplication left its lower bits to decide, and split the
    // connections of the generator's handshake capture 56/44 over two
    // workers; this one 50.1/49.9.
    let (x, y) = (fold(a), fold(b));
    let mut h = (x ^ y).wrapping_add(x.wrapping_mul(y) | 1);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    // `h % n` without a division (run for every frame by every parallel
    // reader): the high word of h·n is uniform over 0..n.
    ((u128::from(h) * n as u128) >> 64) as usize
}

impl Pool<'_> {
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

    /// The worker is gone: it panicked, or stopped because the output
    /// thread did. The pipeline finds out which when it joins them.
    fn closed(&self) -> Error {
        Error::Downstream
    }
}

impl Dispatch for Pool<'_> {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        let n = self.senders.len();
        // The worker owning the frame's IP pair, read straight from the
        // headers for plain TCP; anything else (tunnels, UDP, odd links) is
        // decoded here to find its inner pair, and what carries no segment
        // is counted here and goes no further.
        let pair = match decode::tcp_ip_pair(pkt.link_type, pkt.data) {
            Some(pair) => pair,
            None => match decode::decode(pkt.link_type, pkt.data, pkt.cut_bytes()) {
                Ok(seg) => (seg.src.ip, seg.dst.ip),
                Err(skip) => {
                    *self.skipped.entry(skip).or_default() += 1;
                    return Ok(());
                }
            },
        };
        let w = shard(&pair.0, &pair.1, n);
        let spare = &self.spare;
        let Some(b) = self.batches.get_mut(w) else {
            return Ok(());
        };
        if b.frames.capacity() == 0 {
            if let Some(mut reused) = spare.try_recv() {
                reused.chunks.clear();
                reused.arena.clear();
                reused.frames.clear();
                reused.records.clear();
                reused.flush = false;
                *b = reused;
            } else {
                b.frames.reserve(BATCH);
            }
        }
        // Point into the shared capture buffer when the frame lies in it;
        // else (live capture's ring) copy it.
        let shared = pkt.owner.and_then(|o| {
            let start = (pkt.data.as_ptr() as usize).checked_sub(o.as_ptr() as usize)?;
            (start + pkt.data.len() <= o.len()).then_some((o, start))
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
                b.arena.extend_from_slice(pkt.data);
                (ARENA, start)
            }
        };
        b.frames.push(FrameMeta {
            ts: pkt.ts,
            index,
            link: pkt.link_type,
            cut: pkt.cut_bytes(),
            chunk,
            start,
            len: pkt.data.len() as u32,
        });
        b.now = pkt.ts;
        if b.frames.len() >= BATCH {
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

    fn record(&mut self, rec: ConnectionRecord) -> Result<(), Error> {
        // The worker that owns the pair, so that the fallback detector sees
        // the client's connections to the server together.
        let w = shard(&rec.client.ip, &rec.server.ip, self.senders.len());
        let index = rec.order;
        let Some(b) = self.batches.get_mut(w) else {
            return Ok(());
        };
        b.now = b.now.max(rec.ts);
        b.records.push(rec);
        if b.records.len() >= RECORDS_PER_BATCH {
            self.send(w, index)?;
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

    fn snapshot(&mut self, model: &crate::report::model::Model<'_>) -> Result<(), Error> {
        match &mut self.summary {
            Some((report, oerr)) => report.snapshot(model).map_err(oerr),
            None => Ok(()),
        }
    }
}

/// A worker thread: batches in; records into the aggregate and, for reports
/// that list connections, encoded records with watermarks out.
pub(super) fn work(
    id: usize,
    mut worker: Worker,
    mut analysis: Analysis<'_>,
    rx: Receiver<Batch>,
    tx: Option<(Sender<Output>, Encoder)>,
    spare: Sender<Batch>,
) -> WorkerStats {
    let mut released = Vec::new();
    for batch in rx.iter() {
        crate::error::test_panic("worker");
        let started = Instant::now();
        for m in &batch.frames {
            worker.packet(m.link, batch.data(m), m.cut, m.ts, m.index);
        }
        let mut batch = batch;
        for rec in batch.records.drain(..) {
            worker.adopt(rec);
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
        for mut rec in released.drain(..) {
            analysis.record(&mut rec);
            if let Some((_, encoder)) = &tx {
                encoder.encode(&rec, &mut out.bytes);
                out.records.push((rec.order, out.bytes.len()));
            }
        }
        worker.stats.busy_ns += started.elapsed().as_nanos() as u64;
        // Let the capture buffers go, and hand the batch back for reuse.
        batch.chunks.clear();
        let _ = spare.try_send(batch);
        if let Some((tx, _)) = &tx {
            if tx.send(out).is_err() {
                break;
            }
        }
    }
    worker.take_stats()
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
/// position, releasing a record once every worker's watermark has passed it,
/// or once more than [`MAX_HELD`] records wait (one worker's slow connection
/// must not hold back everything). Returns how many records it wrote after
/// a later one.
pub(super) fn merge(
    workers: usize,
    rx: Receiver<Output>,
    report: &mut (dyn Report + Send),
    oerr: &dyn Fn(io::Error) -> Error,
) -> Result<u64, Error> {
    let mut m = Merge {
        pending: (0..workers).map(|_| Pending::default()).collect(),
        held: 0,
        last: 0,
        late: 0,
    };
    let mut marks = vec![0u64; workers];
    for out in rx.iter() {
        crate::error::test_panic("output");
        if let Some(mark) = marks.get_mut(out.worker) {
            *mark = (*mark).max(out.watermark);
        }
        m.held += out.records.len();
        if let Some(p) = m.pending.get_mut(out.worker) {
            p.outputs.push_back(out);
        }
        let limit = marks.iter().copied().min().unwrap_or(0);
        m.emit(limit, report, oerr)?;
    }
    m.emit(u64::MAX, report, oerr)?;
    Ok(m.late)
}

struct Merge {
    pending: Vec<Pending>,
    /// Records waiting.
    held: usize,
    /// The highest order written, and how many were written after it.
    last: u64,
    late: u64,
}

impl Merge {
    /// Writes records in order while they are below `limit` (or too many wait).
    fn emit(
        &mut self,
        limit: u64,
        report: &mut (dyn Report + Send),
        oerr: &dyn Fn(io::Error) -> Error,
    ) -> Result<(), Error> {
        loop {
            let next = self
                .pending
                .iter_mut()
                .enumerate()
                .filter_map(|(i, p)| p.head().map(|o| (o, i)))
                .min();
            let Some((order, i)) = next else {
                return Ok(());
            };
            if order >= limit && self.held <= MAX_HELD {
                return Ok(());
            }
            if let Some(bytes) = self.pending.get_mut(i).and_then(Pending::take) {
                report.encoded(bytes).map_err(oerr)?;
            }
            self.held = self.held.saturating_sub(1);
            if order < self.last {
                self.late += 1;
            }
            self.last = self.last.max(order);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Collects the orders of the records it is given (encoded as text).
    struct Collect(Vec<u64>);

    impl Report for Collect {
        fn encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
            let order = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<u64>().ok());
            self.0.extend(order);
            Ok(())
        }

        fn finish(&mut self, _model: &crate::report::model::Model<'_>) -> io::Result<()> {
            Ok(())
        }
    }

    fn output(worker: usize, orders: &[u64], watermark: u64) -> Output {
        let mut out = Output {
            worker,
            records: Vec::new(),
            bytes: Vec::new(),
            watermark,
        };
        for o in orders {
            out.bytes.extend(o.to_string().as_bytes());
            out.records.push((*o, out.bytes.len()));
        }
        out
    }

    #[test]
    fn a_stuck_worker_holds_back_the_others_only_up_to_the_bound() {
        let (tx, rx) = super::super::queue::bounded(1 << 20);
        // Worker 0 has connection 1 open; worker 1 finishes 2, 3, ...
        assert!(tx.send(output(0, &[], 1)).is_ok());
        let total = MAX_HELD as u64 + 100;
        for o in 2..2 + total {
            assert!(tx.send(output(1, &[o], o + 1)).is_ok());
        }
        assert!(tx.send(output(0, &[1], u64::MAX)).is_ok());
        drop(tx);
        let mut report = Collect(Vec::new());
        let late = merge(2, rx, &mut report, &|e| Error::Usage(e.to_string())).unwrap();
        let written = report.0;
        assert_eq!(written.len() as u64, total + 1);
        // Records went out while connection 1 was open, in order...
        assert_eq!(written[0], 2);
        let others: Vec<u64> = written.iter().copied().filter(|o| *o != 1).collect();
        assert!(others.windows(2).all(|w| w[0] < w[1]));
        // ... and its own as soon as it ended: the one late record.
        assert_eq!(late, 1);
        let at = written.iter().position(|o| *o == 1).unwrap();
        assert!(at >= 100, "written at {at}");
    }

    #[test]
    fn records_wait_for_every_watermark_below_the_bound() {
        let (tx, rx) = super::super::queue::bounded(1 << 20);
        assert!(tx.send(output(0, &[], 1)).is_ok());
        assert!(tx.send(output(1, &[3, 4], 5)).is_ok());
        assert!(tx.send(output(0, &[1, 2], u64::MAX)).is_ok());
        drop(tx);
        let mut report = Collect(Vec::new());
        let late = merge(2, rx, &mut report, &|e| Error::Usage(e.to_string())).unwrap();
        assert_eq!(report.0, [1, 2, 3, 4]);
        assert_eq!(late, 0);
    }

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
