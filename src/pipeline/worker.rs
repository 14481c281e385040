//! A parser worker: owns a set of flows and turns their segments into
//! connection records, in ClientHello order.

use std::collections::BTreeMap;

use crate::analysis::dtls::DtlsTracker;
use crate::analysis::order::Reorder;
use crate::analysis::quic::QuicTracker;
use crate::analysis::record::{ConnectionRecord, End};
use crate::analysis::tcp::{FlowLimits, TcpTracker};
use crate::capture::LinkType;
use crate::datagram::quic::QuicSkip;
use crate::decode::tunnel::Tunnel;
use crate::decode::{self, Segment, Skip, TcpFlags};
use crate::flow::{FlowKey, FlowTable, Lookup, TableStats};
use crate::time::{Duration, Timestamp};
use crate::tls::certificate::LeafCache;
use crate::tls::event::Malformed;

enum FlowState {
    Tracking(Box<TcpTracker>),
    /// The handshake is known; later packets are dropped at lookup. The
    /// sides that sent a FIN are remembered so that the entry can go when
    /// the connection closes.
    Done {
        fin: [bool; 2],
    },
}

/// A UDP flow on the datagram path (QUIC, DTLS).
enum DatagramState {
    Tracking(Box<QuicTracker>),
    Dtls(Box<DtlsTracker>),
    /// The handshake is known; later datagrams are dropped at lookup.
    /// A QUIC connection's client side and connection ids stay, so that a
    /// new connection on the same addresses is told apart.
    Done {
        quic: Option<(Option<crate::flow::Side>, Vec<Vec<u8>>)>,
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
    /// TDS connections whose framing was lost (see `encap::tds::Desync`).
    pub tds_desyncs: u64,
    /// Flows that ended, without a record, inside their first hello.
    pub unfinished_hellos: u64,
    /// Records written after later ones: too many waited behind them.
    pub released_late: u64,
    /// Time spent processing (benchmarks only).
    pub busy_ns: u64,
    pub flows: TableStats,
    /// QUIC packets that could not be read, by reason.
    pub quic_unread: BTreeMap<QuicSkip, u64>,
}

/// Owns a set of flows: turns their segments into connection records.
pub struct Worker {
    table: FlowTable<FlowState>,
    /// UDP flows (QUIC), bounded and expired like the TCP ones.
    udp: FlowTable<DatagramState>,
    pub(super) limits: FlowLimits,
    pub(super) reorder: Reorder,
    pub(super) completed: bool,
    /// In live capture, records wait for earlier connections only so long.
    max_wait: Option<Duration>,
    /// The latest capture time seen.
    now: Timestamp,
    /// Bytes the flows hold now, and the most they may.
    pub(super) buffered: usize,
    pub(super) max_buffered: usize,
    /// Server certificates, each parsed once.
    certs: LeafCache,
    pub stats: WorkerStats,
}

impl Worker {
    pub fn new(
        max_flows: usize,
        max_buffered: usize,
        idle_timeout: Duration,
        limits: FlowLimits,
        max_wait: Option<Duration>,
    ) -> Worker {
        Worker {
            table: FlowTable::new(max_flows, idle_timeout),
            udp: FlowTable::new(max_flows, idle_timeout),
            limits,
            reorder: Reorder::default().with_max_wait(max_wait),
            completed: false,
            max_wait,
            now: Timestamp::ZERO,
            buffered: 0,
            max_buffered,
            certs: LeafCache::default(),
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
            let unfinished = t.hello_unfinished();
            match t.finish(key, end, &mut self.certs) {
                Some(rec) => {
                    if rec.tds.as_ref().is_some_and(|t| t.desync.is_some()) {
                        self.stats.tds_desyncs += 1;
                    }
                    self.reorder.complete(rec)
                }
                None => {
                    if unfinished {
                        self.stats.unfinished_hellos += 1;
                    }
                    if let Some(o) = order {
                        self.reorder.abandon(o);
                    }
                }
            }
            self.completed = true;
        }
    }

    /// Ends the flows idle at capture time `now`.
    #[inline]
    pub fn expire(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if self.table.may_expire(now) || self.udp.may_expire(now) {
            self.expire_idle(now);
        }
    }

    #[inline(never)]
    fn expire_idle(&mut self, now: Timestamp) {
        while let Some((key, state)) = self.table.pop_idle(now) {
            self.end(&key, state, End::Idle);
        }
        while let Some((key, state)) = self.udp.pop_idle(now) {
            self.end_datagram(&key, state, End::Idle);
        }
    }

    fn end_datagram(&mut self, key: &FlowKey, state: DatagramState, end: End) {
        let (order, rec) = match state {
            DatagramState::Tracking(t) => (t.order(), t.finish(key, end, &mut self.certs)),
            DatagramState::Dtls(t) => (t.order(), t.finish(key, end, &mut self.certs)),
            DatagramState::Done { .. } => return,
        };
        match rec {
            Some(rec) => self.reorder.complete(rec),
            None => {
                if let Some(o) = order {
                    self.reorder.abandon(o);
                }
            }
        }
        self.completed = true;
    }

    /// A UDP datagram for the datagram path: a QUIC packet (long or short
    /// header) or a DTLS record; only a long header or a DTLS record opens
    /// a flow; one that belongs to no flow is counted as UDP that was neither.
    fn datagram(&mut self, seg: &Segment<'_>, tunnel: Option<&Tunnel>, ts: Timestamp, index: u64) {
        let (key, side) = FlowKey::new(seg.src, seg.dst);
        let max = self.limits.max_handshake_bytes;
        let state = match self.udp.lookup(&key, ts) {
            Lookup::Active(state) => state,
            found => {
                if matches!(found, Lookup::Idle) {
                    if let Some(old) = self.udp.remove(&key) {
                        self.end_datagram(&key, old, End::Idle);
                    }
                }
                // Only a QUIC long header (decode checked its version) or a
                // DTLS record opens a flow; a short header without the flow's
                // Initials is just UDP.
                let long = seg.payload.first().is_some_and(|b| b & 0x80 != 0);
                if !long && !crate::datagram::dtls::looks_like_dtls(seg.payload) {
                    *self.stats.skipped.entry(Skip::UdpOther).or_default() += 1;
                    return;
                }
                let fresh = if long {
                    DatagramState::Tracking(Box::new(QuicTracker::new(max)))
                } else {
                    DatagramState::Dtls(Box::new(DtlsTracker::new(max)))
                };
                if let Some((old_key, old)) = self.udp.insert(key, fresh, ts) {
                    if matches!(old, DatagramState::Tracking(_)) {
                        self.stats.evicted_handshakes += 1;
                    }
                    self.end_datagram(&old_key, old, End::Evicted);
                }
                let Lookup::Active(state) = self.udp.lookup(&key, ts) else {
                    return;
                };
                state
            }
        };
        if let DatagramState::Done {
            quic: Some((client, ids)),
        } = &*state
        {
            if crate::analysis::quic::starts_another(seg.payload, side, *client, ids) {
                *state = DatagramState::Tracking(Box::new(QuicTracker::new(max)));
            }
        }
        let (opened, done) = match state {
            DatagramState::Done { .. } => {
                self.stats.after_handshake += 1;
                return;
            }
            DatagramState::Tracking(tracker) => {
                let step = tracker.on_datagram(seg.payload, tunnel, side, ts, index);
                if let Some(why) = step.skipped {
                    *self.stats.quic_unread.entry(why).or_default() += 1;
                }
                (step.opened, step.done)
            }
            DatagramState::Dtls(tracker) => {
                let step = tracker.on_datagram(seg.payload, tunnel, side, ts, index);
                (step.opened, step.done)
            }
        };
        self.stats.handshake += 1;
        if let Some(order) = opened {
            self.reorder.open(order, ts);
        }
        if done {
            let quic = match &*state {
                DatagramState::Tracking(t) => Some(t.identity()),
                _ => None,
            };
            let finished = std::mem::replace(state, DatagramState::Done { quic });
            self.end_datagram(&key, finished, End::Done);
        }
    }

    /// One decoded segment at capture time `ts`, packet `index`.
    ///
    /// Most segments belong to a flow whose handshake is known: they are
    /// counted and dropped here, inline; everything else goes to
    /// [`Worker::track`].
    #[inline]
    pub fn segment(
        &mut self,
        seg: &Segment<'_>,
        tunnel: Option<&Tunnel>,
        ts: Timestamp,
        index: u64,
    ) {
        self.stats.segments += 1;
        self.expire(ts);
        if seg.flags.contains(TcpFlags::DATAGRAM) {
            self.datagram(seg, tunnel, ts, index);
            return;
        }
        let (key, side) = FlowKey::new(seg.src, seg.dst);
        let opening_syn = seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK);
        if !opening_syn {
            if let Lookup::Active(FlowState::Done { fin }) = self.table.lookup(&key, ts) {
                self.stats.after_handshake += 1;
                if seg.flags.contains(TcpFlags::FIN) {
                    fin[side.index()] = true;
                }
                if seg.flags.contains(TcpFlags::RST) || fin.iter().all(|f| *f) {
                    self.table.remove(&key);
                }
                return;
            }
        }
        self.track(seg, tunnel, ts, index, (key, side), opening_syn);
    }

    /// A segment of a flow in its handshake, or of none yet, or an opening
    /// SYN: everything [`Worker::segment`] does not drop. The flow is looked
    /// up again here (the first lookup's borrow ends in `segment`); that is
    /// a second lookup only for these segments, about 1 % of a bulk capture.
    #[inline(never)]
    fn track(
        &mut self,
        seg: &Segment<'_>,
        tunnel: Option<&Tunnel>,
        ts: Timestamp,
        index: u64,
        (key, side): (FlowKey, crate::flow::Side),
        opening_syn: bool,
    ) {
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
                let fresh = FlowState::Tracking(Box::new(TcpTracker::new(limits)));
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
        if let FlowState::Done { .. } = state {
            // Only an opening SYN gets here with a done flow (`segment`
            // dropped the rest): a new connection on a 4-tuple whose last
            // one is over.
            *state = FlowState::Tracking(Box::new(TcpTracker::new(limits)));
        }
        let FlowState::Tracking(tracker) = state else {
            return;
        };
        let mut ended = None;
        if opening_syn && tracker.is_new_connection(side, seg.seq) {
            ended = Some(std::mem::replace(
                tracker,
                Box::new(TcpTracker::new(limits)),
            ));
        }
        self.stats.handshake += 1;
        let before = tracker.buffered();
        let step = tracker.on_segment(seg, tunnel, side, ts, index);
        self.buffered = (self.buffered + tracker.buffered()).saturating_sub(before);
        if let Some(order) = step.opened {
            self.reorder.open(order, ts);
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
    #[inline]
    pub fn packet(&mut self, link: LinkType, data: &[u8], cut: u32, ts: Timestamp, index: u64) {
        let mut tunnel = None;
        match decode::decode_in(link, data, cut, &mut tunnel) {
            Ok(seg) => {
                self.stats.tcp += 1;
                self.segment(&seg, tunnel.as_ref(), ts, index);
            }
            Err(skip) => *self.stats.skipped.entry(skip).or_default() += 1,
        }
    }

    /// A record read whole elsewhere (a Fiddler session): it takes its
    /// place in the output order like the records of this worker's flows.
    pub fn adopt(&mut self, rec: ConnectionRecord) {
        self.reorder.complete(rec);
        self.completed = true;
    }

    /// Ends every flow (end of a capture file).
    pub fn flush(&mut self) {
        let flows: Vec<_> = self.table.drain().collect();
        for (key, state) in flows {
            self.end(&key, state, End::CaptureEnd);
        }
        let flows: Vec<_> = self.udp.drain().collect();
        for (key, state) in flows {
            self.end_datagram(&key, state, End::CaptureEnd);
        }
    }

    /// Whether [`Worker::release`] may find records to move (cheap: asked
    /// for every frame a parallel reader skips).
    #[inline]
    pub fn may_release(&self) -> bool {
        self.completed || self.max_wait.is_some() && self.reorder.held() > 0
    }

    /// Moves records that are ready, in output order, into `out`.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>) {
        // With a time bound, records held back may be due as time passes.
        if self.may_release() {
            self.completed = false;
            self.reorder.release(out, self.now);
        }
    }

    /// Bytes of state per flow in its handshake, besides the hello bytes it
    /// buffers: the table entry, and the tracker it owns.
    pub const fn flow_state_bytes() -> (usize, usize) {
        (
            FlowTable::<FlowState>::entry_bytes(),
            std::mem::size_of::<TcpTracker>(),
        )
    }

    /// What this worker did, once it is done.
    pub fn take_stats(&mut self) -> WorkerStats {
        let mut stats = std::mem::take(&mut self.stats);
        stats.flows = self.table.stats;
        let u = self.udp.stats;
        stats.flows.created += u.created;
        stats.flows.evicted += u.evicted;
        stats.flows.expired += u.expired;
        stats.flows.peak += u.peak;
        stats.released_late = self.reorder.released_late;
        stats
    }

    /// No record this worker releases later has an order below this.
    pub fn watermark(&self, next_index: u64) -> u64 {
        self.reorder
            .first_open()
            .map_or(next_index, |o| o.min(next_index))
    }
}
