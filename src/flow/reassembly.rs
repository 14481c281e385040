//! Per-direction TCP reassembly of the handshake bytes.
//!
//! In-order bytes go straight to the sink (no copy); segments that arrive
//! ahead of a hole are kept, up to a byte budget and a segment count, until
//! the hole fills. Retransmissions and overlaps are trimmed against what was
//! already delivered: the first copy of a byte wins (for bytes already
//! delivered this is the only possible policy; for queued segments we keep
//! it for consistency). Sequence numbers wrap (see [`super::seq`]).
//!
//! A segment whose tail the capture cut off (snaplen) delivers its captured
//! bytes and then a gap of the missing length, so the consumer can keep its
//! place. A hole that is never filled stalls the direction; the byte budget
//! bounds what waits behind it. (The idea follows smoltcp's
//! `storage::Assembler`, with owned segments instead of a ring buffer because
//! we keep only a handshake's worth of bytes.)

use super::seq::SeqNumber;

/// Where reassembled bytes go.
pub trait Sink {
    fn data(&mut self, bytes: &[u8]);
    /// `n` bytes that were on the wire but not in the capture.
    fn gap(&mut self, n: u32);
}

/// Most out-of-order segments kept per direction.
pub const MAX_PENDING_SEGMENTS: usize = 64;

#[derive(Debug)]
struct Pending {
    seq: SeqNumber,
    data: Vec<u8>,
    cut: u32,
}

impl Pending {
    fn end(&self) -> SeqNumber {
        self.seq + self.data.len() as u32 + self.cut
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Segments whose bytes had all been delivered already.
    pub duplicates: u32,
    /// Segments dropped because the out-of-order budget was exhausted.
    pub overflow: u32,
}

#[derive(Debug)]
pub struct Reassembler {
    /// The next sequence number to deliver; `None` until the stream's start
    /// is known (from the SYN, or the first data segment).
    next: Option<SeqNumber>,
    pending: Vec<Pending>,
    pending_bytes: usize,
    max_pending_bytes: usize,
    pub stats: ReassemblyStats,
}

impl Reassembler {
    pub fn new(max_pending_bytes: usize) -> Reassembler {
        Reassembler {
            next: None,
            pending: Vec::new(),
            pending_bytes: 0,
            max_pending_bytes,
            stats: ReassemblyStats::default(),
        }
    }

    /// The SYN of this direction: data starts at `isn + 1`.
    pub fn syn(&mut self, isn: u32) {
        if self.next.is_none() {
            self.next = Some(SeqNumber(isn) + 1);
        }
    }

    pub fn started(&self) -> bool {
        self.next.is_some()
    }

    /// Bytes held for out-of-order segments.
    pub fn buffered(&self) -> usize {
        self.pending_bytes
    }

    /// Adds a segment: `payload` captured bytes at `seq`, followed by `cut`
    /// bytes the capture did not keep.
    pub fn push(&mut self, seq: u32, payload: &[u8], cut: u32, sink: &mut impl Sink) {
        if payload.is_empty() && cut == 0 {
            return;
        }
        let seq = SeqNumber(seq);
        let next = *self.next.get_or_insert(seq);
        let end = seq + payload.len() as u32 + cut;
        if end.diff(next) <= 0 {
            self.stats.duplicates += 1;
            return;
        }
        if seq.diff(next) <= 0 {
            self.deliver(seq, payload, cut, sink);
            self.drain(sink);
        } else {
            self.queue(seq, payload, cut);
        }
    }

    /// Delivers the part of a segment at or after `next` (which it reaches).
    fn deliver(&mut self, seq: SeqNumber, payload: &[u8], cut: u32, sink: &mut impl Sink) {
        let Some(next) = self.next else { return };
        let skip = next.diff(seq).max(0) as usize;
        if let Some(fresh) = payload.get(skip..).filter(|f| !f.is_empty()) {
            sink.data(fresh);
        }
        let cut_skip = skip.saturating_sub(payload.len()) as u32;
        let gap = cut.saturating_sub(cut_skip);
        if gap > 0 {
            sink.gap(gap);
        }
        let end = seq + payload.len() as u32 + cut;
        if end.diff(next) > 0 {
            self.next = Some(end);
        }
    }

    fn drain(&mut self, sink: &mut impl Sink) {
        while let Some(next) = self.next {
            let Some(i) = self.pending.iter().position(|p| p.seq.diff(next) <= 0) else {
                return;
            };
            let p = self.pending.remove(i);
            self.pending_bytes -= p.data.len();
            if p.end().diff(next) > 0 {
                self.deliver(p.seq, &p.data, p.cut, sink);
            } else {
                self.stats.duplicates += 1;
            }
        }
    }

    fn queue(&mut self, seq: SeqNumber, payload: &[u8], cut: u32) {
        if self.pending.len() >= MAX_PENDING_SEGMENTS
            || self.pending_bytes + payload.len() > self.max_pending_bytes
        {
            self.stats.overflow += 1;
            return;
        }
        if self
            .pending
            .iter()
            .any(|p| p.seq == seq && p.data.len() >= payload.len() && p.cut >= cut)
        {
            self.stats.duplicates += 1;
            return;
        }
        self.pending_bytes += payload.len();
        self.pending.push(Pending {
            seq,
            data: payload.to_vec(),
            cut,
        });
        // Keep the earliest-starting segment first so that it wins overlaps.
        let next = self.next.unwrap_or(seq);
        self.pending.sort_by_key(|p| p.seq.diff(next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Default)]
    struct Collect {
        bytes: Vec<u8>,
        gaps: Vec<(usize, u32)>,
    }

    impl Sink for Collect {
        fn data(&mut self, bytes: &[u8]) {
            self.bytes.extend_from_slice(bytes);
        }
        fn gap(&mut self, n: u32) {
            self.gaps.push((self.bytes.len(), n));
            self.bytes.extend(std::iter::repeat_n(0u8, n as usize));
        }
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        let mut r = Reassembler::new(1 << 16);
        let mut c = Collect::default();
        r.syn(99);
        r.push(106, b"world", 0, &mut c);
        r.push(100, b"hello ", 0, &mut c);
        r.push(100, b"hello ", 0, &mut c);
        r.push(103, b"lo wor", 0, &mut c);
        assert_eq!(c.bytes, b"hello world");
        assert_eq!(r.stats.duplicates, 2);
    }

    #[test]
    fn sequence_wraparound_in_the_middle_of_a_hello() {
        let mut r = Reassembler::new(1 << 16);
        let mut c = Collect::default();
        let isn = u32::MAX - 3;
        r.syn(isn);
        // Bytes at u32::MAX-2 .. +8 wrap through zero; "de" overlaps.
        r.push(isn.wrapping_add(4), b"defgh", 0, &mut c);
        r.push(isn.wrapping_add(1), b"abcde", 0, &mut c);
        assert_eq!(c.bytes, b"abcdefgh");
    }

    #[test]
    fn snaplen_cut_becomes_a_gap_and_keeps_the_position() {
        let mut r = Reassembler::new(1 << 16);
        let mut c = Collect::default();
        r.push(1000, b"abc", 5, &mut c);
        r.push(1008, b"xyz", 0, &mut c);
        assert_eq!(c.gaps, vec![(3, 5)]);
        assert_eq!(&c.bytes[8..], b"xyz");
    }

    #[test]
    fn out_of_order_budget_is_bounded() {
        let mut r = Reassembler::new(10);
        let mut c = Collect::default();
        r.syn(0);
        r.push(100, b"0123456789", 0, &mut c);
        r.push(200, b"x", 0, &mut c);
        assert_eq!(r.buffered(), 10);
        assert_eq!(r.stats.overflow, 1);
    }

    proptest! {
        /// Reassembly against the trivially correct oracle (the original
        /// bytes): any split, any order, any duplicates, any overlaps of the
        /// same bytes, across a sequence-number wrap.
        #[test]
        fn random_splits_reorders_and_duplicates(
            data in proptest::collection::vec(any::<u8>(), 1..600),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
            extra in proptest::collection::vec((any::<prop::sample::Index>(), 1usize..80), 0..8),
            order in any::<prop::sample::Index>(),
            isn in any::<u32>(),
        ) {
            let mut bounds: Vec<usize> = cuts.iter().map(|i| i.index(data.len())).collect();
            bounds.push(0);
            bounds.push(data.len());
            bounds.sort_unstable();
            bounds.dedup();
            let mut segs: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
            // Overlapping retransmissions of the same bytes.
            for (at, len) in &extra {
                let s = at.index(data.len());
                segs.push((s, (s + len).min(data.len())));
            }
            // A deterministic shuffle picked by `order`.
            let n = segs.len();
            let k = order.index(n.max(1));
            segs.rotate_left(k);
            if n > 2 { segs.swap(0, n - 1); }

            let mut r = Reassembler::new(1 << 20);
            let mut c = Collect::default();
            r.syn(isn);
            for (s, e) in segs {
                let seq = isn.wrapping_add(1).wrapping_add(s as u32);
                r.push(seq, &data[s..e], 0, &mut c);
            }
            prop_assert_eq!(c.bytes, data);
            prop_assert_eq!(r.buffered(), 0);
        }
    }
}
