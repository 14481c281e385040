//! Flows: the two directions of a TCP connection, a bounded table of them,
//! and per-direction reassembly.
//!
//! A [`FlowKey`] is canonical (the lower endpoint first), so both directions
//! of a connection find the same entry and hash alike. The [`FlowTable`]
//! queues flows by activity: idle flows expire from its front, in capture
//! time, and when it is full the front flow is evicted. Neither depends on
//! hash order, so what expires or is evicted is the same on every run.

pub mod community_id;
pub mod reassembly;
pub mod seq;

use std::net::IpAddr;

use crate::decode::Endpoint;
use crate::time::{Duration, Timestamp};

/// Which endpoint of a [`FlowKey`] sent a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Lo = 0,
    Hi = 1,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Lo => Side::Hi,
            Side::Hi => Side::Lo,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// An endpoint as the flow table wants it: plain integers, compared and
/// hashed without matching on `IpAddr`. The derived order is
/// `Endpoint`'s: IPv4 before IPv6, then the address, then the port.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Packed {
    v6: bool,
    /// The address's bits, the high half first (an IPv4 address in the
    /// low half).
    ip: [u64; 2],
    port: u16,
}

impl Packed {
    #[inline(always)]
    fn new(e: &Endpoint) -> Packed {
        let (v6, bits) = match e.ip {
            IpAddr::V4(ip) => (false, u128::from(ip.to_bits())),
            IpAddr::V6(ip) => (true, ip.to_bits()),
        };
        Packed {
            v6,
            ip: [(bits >> 64) as u64, bits as u64],
            port: e.port,
        }
    }

    fn endpoint(&self) -> Endpoint {
        let [high, low] = self.ip;
        let ip = if self.v6 {
            IpAddr::V6(std::net::Ipv6Addr::from_bits(
                u128::from(high) << 64 | u128::from(low),
            ))
        } else {
            IpAddr::V4(std::net::Ipv4Addr::from_bits(low as u32))
        };
        Endpoint {
            ip,
            port: self.port,
        }
    }
}

/// A connection's two endpoints, the lower first. Built, hashed and
/// compared on every packet, so the endpoints are kept as integers; the
/// order is that of the endpoints (`lo`, then `hi`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    lo: Packed,
    hi: Packed,
}

impl std::fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlowKey({} {})", self.lo(), self.hi())
    }
}

/// Hashed on every packet: one word per IPv4 endpoint (address and port;
/// an IPv6 endpoint adds a family bit) instead of the derived hash's
/// discriminants and length prefixes.
impl std::hash::Hash for FlowKey {
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        #[inline(always)]
        fn word(e: &Packed, state: &mut impl std::hash::Hasher) {
            let [high, low] = e.ip;
            if e.v6 {
                state.write_u64(high);
                state.write_u64(low);
                state.write_u64(1 << 32 | u64::from(e.port));
            } else {
                state.write_u64(low << 16 | u64::from(e.port));
            }
        }
        word(&self.lo, state);
        word(&self.hi, state);
    }
}

impl FlowKey {
    /// The key of the flow a segment from `src` to `dst` belongs to, and
    /// which side sent it.
    #[inline(always)]
    pub fn new(src: Endpoint, dst: Endpoint) -> (FlowKey, Side) {
        let (a, b) = (Packed::new(&src), Packed::new(&dst));
        if a <= b {
            (FlowKey { lo: a, hi: b }, Side::Lo)
        } else {
            (FlowKey { lo: b, hi: a }, Side::Hi)
        }
    }

    /// The lower endpoint.
    pub fn lo(&self) -> Endpoint {
        self.lo.endpoint()
    }

    /// The higher endpoint.
    pub fn hi(&self) -> Endpoint {
        self.hi.endpoint()
    }

    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::Lo => self.lo(),
            Side::Hi => self.hi(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TableStats {
    pub created: u64,
    /// Flows removed because the table was full.
    pub evicted: u64,
    /// Flows removed after the idle timeout.
    pub expired: u64,
    /// The most flows held at once.
    pub peak: u64,
}

/// A flow in the table: its place in the queue and its state.
struct Node<T> {
    key: FlowKey,
    /// The last packet of the flow.
    last_seen: Timestamp,
    /// When the flow took its place at the back of the queue.
    queued_at: Timestamp,
    /// Neighbours in the queue (node positions, or [`NIL`]).
    prev: u32,
    next: u32,
    value: T,
}

/// No node: the end of the queue.
const NIL: u32 = u32::MAX;

/// What [`FlowTable::lookup`] found.
pub enum Lookup<'a, T> {
    Missing,
    Active(&'a mut T),
    /// The flow exists but has been idle for longer than the timeout: the
    /// caller ends it (and [`FlowTable::remove`]s it) before going on.
    Idle,
}

/// A bounded map of flows, queued in order of activity.
///
/// The queue is kept lazily (as in many flow trackers): a packet only
/// updates its flow's `last_seen`; the flow is moved to the back of the
/// queue only when it reaches the front while still active. So the per
/// packet cost is one hash lookup, and each flow moves at most once per idle
/// timeout. Idleness is always judged on `last_seen`, so a flow is ended
/// exactly as if it had been expired on time.
///
/// Looked up on every packet, so it is built for that: the flows sit in a
/// vector at fixed positions, linked into the queue by position, and an
/// open-addressing index of one word per cell (linear probing, at most half
/// full, deletion by backward shift, so no tombstones build up under churn)
/// holds 32 bits of each flow's hash beside its position. A lookup is
/// usually one index word and one key comparison, on two cache lines.
pub struct FlowTable<T> {
    nodes: Vec<Option<Node<T>>>,
    /// Vacant positions in `nodes`.
    free: Vec<u32>,
    /// 0: empty; else the low 32 bits of the key's hash above the node's
    /// position + 1. The length is 0 or a power of two.
    index: Vec<u64>,
    hasher: hashlink::DefaultHashBuilder,
    /// The front (the least recently queued flow) and the back.
    head: u32,
    tail: u32,
    len: usize,
    max_flows: usize,
    idle_timeout: Duration,
    /// No flow can be idle before this capture time: the front's
    /// `queued_at` plus the timeout, as the last [`FlowTable::pop_idle`]
    /// found it. `None` after any change that may move the front.
    due: Option<Timestamp>,
    pub stats: TableStats,
}

/// Where a flow was found: its index cell and its node.
#[derive(Clone, Copy)]
struct Found {
    cell: usize,
    node: u32,
}

impl<T> FlowTable<T> {
    pub fn new(max_flows: usize, idle_timeout: Duration) -> FlowTable<T> {
        FlowTable {
            nodes: Vec::new(),
            free: Vec::new(),
            index: Vec::new(),
            hasher: hashlink::DefaultHashBuilder::default(),
            head: NIL,
            tail: NIL,
            len: 0,
            // Node positions are 32-bit, and NIL is not one.
            max_flows: max_flows.clamp(1, (u32::MAX >> 1) as usize),
            idle_timeout,
            due: None,
            stats: TableStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes one flow takes in the table, besides what its value owns: its
    /// node (key, times, queue links, value) and the two index cells or
    /// more it has (the index is kept at most half full).
    pub const fn entry_bytes() -> usize {
        use std::mem::size_of;
        size_of::<Option<Node<T>>>() + 2 * size_of::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn hash(&self, key: &FlowKey) -> u32 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(key) as u32
    }

    #[inline]
    fn node(&self, n: u32) -> Option<&Node<T>> {
        self.nodes.get(n as usize)?.as_ref()
    }

    #[inline]
    fn node_mut(&mut self, n: u32) -> Option<&mut Node<T>> {
        self.nodes.get_mut(n as usize)?.as_mut()
    }

    #[inline]
    fn find(&self, key: &FlowKey, hash: u32) -> Option<Found> {
        let mask = self.index.len().checked_sub(1)?;
        let mut cell = hash as usize & mask;
        loop {
            let word = *self.index.get(cell)?;
            if word == 0 {
                return None;
            }
            if (word >> 32) as u32 == hash {
                let node = (word as u32).wrapping_sub(1);
                if self.node(node).is_some_and(|n| n.key == *key) {
                    return Some(Found { cell, node });
                }
            }
            cell = (cell + 1) & mask;
        }
    }

    /// Puts `word` in the first empty cell from its home on.
    fn place(index: &mut [u64], word: u64) {
        let mask = index.len().wrapping_sub(1);
        let mut cell = (word >> 32) as usize & mask;
        while let Some(w) = index.get_mut(cell) {
            if *w == 0 {
                *w = word;
                return;
            }
            cell = (cell + 1) & mask;
        }
    }

    /// Empties `cell`, moving later cells of the same run back so that
    /// every flow stays reachable from its home.
    fn unindex(&mut self, cell: usize) {
        let mask = self.index.len().wrapping_sub(1);
        let mut hole = cell;
        let mut at = cell;
        loop {
            at = (at + 1) & mask;
            let word = self.index.get(at).copied().unwrap_or(0);
            if word == 0 {
                break;
            }
            let home = (word >> 32) as usize & mask;
            // The hole lies between this flow's home and its cell: it may
            // move back into it.
            if at.wrapping_sub(home) & mask >= at.wrapping_sub(hole) & mask {
                if let Some(h) = self.index.get_mut(hole) {
                    *h = word;
                }
                hole = at;
            }
        }
        if let Some(h) = self.index.get_mut(hole) {
            *h = 0;
        }
    }

    /// Room in the index for one more flow, at most half full.
    fn reserve_one(&mut self) {
        if (self.len + 1) * 2 <= self.index.len() {
            return;
        }
        let cells = (self.index.len() * 2).max(16);
        let old = std::mem::replace(&mut self.index, vec![0; cells]);
        for word in old.into_iter().filter(|w| *w != 0) {
            Self::place(&mut self.index, word);
        }
    }

    fn unlink(&mut self, n: u32) {
        let Some((prev, next)) = self.node(n).map(|x| (x.prev, x.next)) else {
            return;
        };
        match self.node_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.node_mut(next) {
            Some(x) => x.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_back(&mut self, n: u32) {
        let tail = self.tail;
        if let Some(x) = self.node_mut(n) {
            x.prev = tail;
            x.next = NIL;
        }
        match self.node_mut(tail) {
            Some(t) => t.next = n,
            None => self.head = n,
        }
        self.tail = n;
    }

    /// Takes a found flow out of the index, the queue and the nodes.
    fn take(&mut self, at: Found) -> Option<(FlowKey, T)> {
        self.unindex(at.cell);
        self.unlink(at.node);
        let node = self.nodes.get_mut(at.node as usize)?.take()?;
        self.free.push(at.node);
        self.len -= 1;
        Some((node.key, node.value))
    }

    /// Takes the flow at the front of the queue.
    fn pop_front(&mut self) -> Option<(FlowKey, T)> {
        let key = self.node(self.head)?.key;
        let at = self.find(&key, self.hash(&key))?;
        self.take(at)
    }

    /// Whether [`FlowTable::pop_idle`] may find a flow at `now` (cheap:
    /// for every packet).
    #[inline]
    pub fn may_expire(&self, now: Timestamp) -> bool {
        self.due.is_none_or(|due| now > due)
    }

    /// Removes and returns a flow that has been idle for longer than the
    /// timeout at `now`, if there is one at the front. Call until `None`.
    pub fn pop_idle(&mut self, now: Timestamp) -> Option<(FlowKey, T)> {
        if !self.may_expire(now) {
            return None;
        }
        loop {
            let head = self.head;
            let Some(front) = self.node(head) else {
                // Nothing can be due before the next insert.
                self.due = Some(Timestamp(u64::MAX));
                return None;
            };
            if now.since(front.queued_at) <= self.idle_timeout {
                self.due = Some(Timestamp(
                    front.queued_at.0.saturating_add(self.idle_timeout.0),
                ));
                return None;
            }
            if now.since(front.last_seen) > self.idle_timeout {
                let flow = self.pop_front()?;
                self.stats.expired += 1;
                return Some(flow);
            }
            // Still active: back of the queue.
            self.unlink(head);
            self.push_back(head);
            if let Some(x) = self.node_mut(head) {
                x.queued_at = now;
            }
        }
    }

    /// The flow's state, marked active at `now`.
    #[inline]
    pub fn lookup(&mut self, key: &FlowKey, now: Timestamp) -> Lookup<'_, T> {
        let timeout = self.idle_timeout;
        let Some(at) = self.find(key, self.hash(key)) else {
            return Lookup::Missing;
        };
        match self.node_mut(at.node) {
            None => Lookup::Missing,
            Some(n) if now.since(n.last_seen) > timeout => Lookup::Idle,
            Some(n) => {
                n.last_seen = n.last_seen.max(now);
                Lookup::Active(&mut n.value)
            }
        }
    }

    /// Adds a flow at the back of the queue, replacing any under the same
    /// key. When the table is full, the flow at the front of the queue (the
    /// least recently queued) is evicted and returned.
    pub fn insert(&mut self, key: FlowKey, value: T, now: Timestamp) -> Option<(FlowKey, T)> {
        self.due = None;
        let hash = self.hash(&key);
        let mut evicted = None;
        match self.find(&key, hash) {
            Some(at) => {
                self.take(at);
            }
            None => {
                self.stats.created += 1;
                if self.len >= self.max_flows {
                    evicted = self.pop_front();
                    if evicted.is_some() {
                        self.stats.evicted += 1;
                    }
                }
            }
        }
        let node = Node {
            key,
            last_seen: now,
            queued_at: now,
            prev: NIL,
            next: NIL,
            value,
        };
        let n = match self.free.pop() {
            Some(n) => {
                if let Some(cell) = self.nodes.get_mut(n as usize) {
                    *cell = Some(node);
                }
                n
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        };
        self.reserve_one();
        Self::place(&mut self.index, u64::from(hash) << 32 | u64::from(n + 1));
        self.push_back(n);
        self.len += 1;
        self.stats.peak = self.stats.peak.max(self.len as u64);
        evicted
    }

    /// Evicts the flow at the front of the queue (to free memory).
    pub fn evict_front(&mut self) -> Option<(FlowKey, T)> {
        self.due = None;
        let flow = self.pop_front()?;
        self.stats.evicted += 1;
        Some(flow)
    }

    pub fn remove(&mut self, key: &FlowKey) -> Option<T> {
        self.due = None;
        let at = self.find(key, self.hash(key))?;
        self.take(at).map(|(_, v)| v)
    }

    /// Removes every flow, in queue order.
    pub fn drain(&mut self) -> impl Iterator<Item = (FlowKey, T)> + '_ {
        self.due = None;
        std::iter::from_fn(move || self.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 66, 0, last)),
            port,
        }
    }

    #[test]
    fn the_packed_order_is_the_endpoints_and_round_trips() {
        let v6 = |last: u16, port| Endpoint {
            ip: IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last)),
            port,
        };
        let eps = [
            ep(1, 1),
            ep(1, 2),
            ep(1, 65535),
            ep(2, 0),
            ep(255, 443),
            Endpoint {
                ip: IpAddr::V4(Ipv4Addr::new(255, 255, 255, 255)),
                port: 65535,
            },
            v6(0, 0),
            v6(1, 443),
            v6(1, 444),
            Endpoint {
                ip: IpAddr::V6(std::net::Ipv6Addr::new(0xffff, 0, 0, 0, 0, 0, 0, 1)),
                port: 1,
            },
        ];
        for a in &eps {
            assert_eq!(Packed::new(a).endpoint(), *a);
            for b in &eps {
                assert_eq!(Packed::new(a) <= Packed::new(b), a <= b, "{a} {b}");
                let (key, side) = FlowKey::new(*a, *b);
                assert_eq!(
                    (key.lo(), key.hi()),
                    if a <= b { (*a, *b) } else { (*b, *a) }
                );
                assert_eq!(key.endpoint(side), *a);
            }
        }
    }

    #[test]
    fn nothing_is_due_early() {
        let mut t = FlowTable::new(10, Duration::from_secs(10));
        let at = |s| Timestamp::from_parts(s, 0);
        let (a, _) = FlowKey::new(ep(1, 1), ep(2, 2));
        let (b, _) = FlowKey::new(ep(1, 3), ep(2, 2));
        assert!(t.pop_idle(at(0)).is_none());
        assert!(!t.may_expire(at(100)), "empty: nothing until an insert");
        t.insert(a, 'a', at(5));
        assert!(t.may_expire(at(5)));
        assert!(t.pop_idle(at(6)).is_none());
        assert!(!t.may_expire(at(15)));
        assert!(t.may_expire(Timestamp::from_parts(15, 1)));
        // Removing the front forgets the bound: a flow queued earlier (a
        // capture whose clock stepped back) is found on time.
        t.insert(b, 'b', at(1));
        t.remove(&a);
        assert!(t.may_expire(Timestamp::from_parts(11, 1)));
        assert_eq!(t.pop_idle(Timestamp::from_parts(11, 1)), Some((b, 'b')));
    }

    #[test]
    fn both_directions_share_a_key() {
        let (k1, s1) = FlowKey::new(ep(1, 40000), ep(2, 443));
        let (k2, s2) = FlowKey::new(ep(2, 443), ep(1, 40000));
        assert_eq!(k1, k2);
        assert_eq!(s1, s2.other());
    }

    #[test]
    fn evicts_the_front_and_expires_idle() {
        let mut t = FlowTable::new(2, Duration::from_secs(10));
        let at = |s| Timestamp::from_parts(s, 0);
        let (a, _) = FlowKey::new(ep(1, 1), ep(2, 2));
        let (b, _) = FlowKey::new(ep(1, 3), ep(2, 2));
        let (c, _) = FlowKey::new(ep(1, 4), ep(2, 2));
        assert!(t.insert(a, 'a', at(0)).is_none());
        assert!(t.insert(b, 'b', at(1)).is_none());
        assert!(matches!(t.lookup(&a, at(2)), Lookup::Active('a')));
        // The queue is lazy: `a` is still at the front, so it goes.
        assert_eq!(t.insert(c, 'c', at(3)), Some((a, 'a')));
        assert_eq!(t.stats.evicted, 1);
        assert!(t.pop_idle(at(11)).is_none());
        assert_eq!(t.pop_idle(Timestamp::from_parts(11, 1)), Some((b, 'b')));
        assert!(t.pop_idle(Timestamp::from_parts(11, 1)).is_none());
        assert_eq!(t.len(), 1);
        // A flow looked up after its timeout is reported idle.
        assert!(matches!(t.lookup(&c, at(14)), Lookup::Idle));
    }

    /// The table's queue, kept eagerly: every flow in order, moved the
    /// moment the lazy table would have moved it.
    struct Model {
        queue: Vec<(FlowKey, Timestamp, Timestamp, u32)>,
        max: usize,
        timeout: Duration,
    }

    impl Model {
        fn at(&self, key: &FlowKey) -> Option<usize> {
            self.queue.iter().position(|f| f.0 == *key)
        }

        fn lookup(&mut self, key: &FlowKey, now: Timestamp) -> Option<Option<u32>> {
            let i = self.at(key)?;
            let f = self.queue.get_mut(i)?;
            if now.since(f.1) > self.timeout {
                return Some(None);
            }
            f.1 = f.1.max(now);
            Some(Some(f.3))
        }

        fn insert(&mut self, key: FlowKey, v: u32, now: Timestamp) -> Option<(FlowKey, u32)> {
            let mut evicted = None;
            match self.at(&key) {
                Some(i) => {
                    self.queue.remove(i);
                }
                None if self.queue.len() >= self.max => {
                    let f = self.queue.remove(0);
                    evicted = Some((f.0, f.3));
                }
                None => {}
            }
            self.queue.push((key, now, now, v));
            evicted
        }

        fn pop_idle(&mut self, now: Timestamp) -> Option<(FlowKey, u32)> {
            loop {
                let front = *self.queue.first()?;
                if now.since(front.2) <= self.timeout {
                    return None;
                }
                self.queue.remove(0);
                if now.since(front.1) > self.timeout {
                    return Some((front.0, front.3));
                }
                self.queue.push((front.0, front.1, now, front.3));
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Lookup(usize),
        Insert(usize),
        Remove(usize),
        PopIdle,
        EvictFront,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = (Op, i64)> {
        use proptest::prelude::*;
        let key = 0usize..64;
        (
            prop_oneof![
                4 => key.clone().prop_map(Op::Lookup),
                3 => key.clone().prop_map(Op::Insert),
                2 => key.prop_map(Op::Remove),
                2 => Just(Op::PopIdle),
                1 => Just(Op::EvictFront),
            ],
            // Seconds to the next operation: mostly forward, sometimes a
            // step back (a capture's clock may step).
            -3i64..9,
        )
    }

    proptest::proptest! {
        /// The lazy table against the eager model: every answer, the
        /// eviction and expiry order, the drain order.
        #[test]
        fn the_lazy_queue_acts_as_the_eager_one(
            ops in proptest::collection::vec(op(), 1..600),
            // Few keys and a small table, or enough of both that the
            // index grows and probe runs collide and shift back.
            (nkeys, max) in proptest::prop_oneof![
                proptest::strategy::Just((6usize, 3usize)),
                (1usize..64, 1usize..48),
            ],
        ) {
            let keys: Vec<FlowKey> = (0..nkeys)
                .map(|i| FlowKey::new(ep(i as u8, 1000), ep(200, 443)).0)
                .collect();
            let timeout = Duration::from_secs(10);
            let mut t = FlowTable::new(max, timeout);
            let mut m = Model { queue: Vec::new(), max, timeout };
            let mut now = 100i64;
            for (n, (op, step)) in ops.into_iter().enumerate() {
                now = (now + step).max(0);
                let at = Timestamp::from_parts(now as u64, 0);
                let v = n as u32;
                match op {
                    Op::Lookup(k) => {
                        let got = match t.lookup(&keys[k % nkeys], at) {
                            Lookup::Missing => None,
                            Lookup::Idle => Some(None),
                            Lookup::Active(v) => Some(Some(*v)),
                        };
                        proptest::prop_assert_eq!(got, m.lookup(&keys[k % nkeys], at));
                    }
                    Op::Insert(k) => {
                        let want = m.insert(keys[k % nkeys], v, at);
                        proptest::prop_assert_eq!(t.insert(keys[k % nkeys], v, at), want);
                    }
                    Op::Remove(k) => {
                        let want = m.at(&keys[k % nkeys]).map(|i| m.queue.remove(i).3);
                        proptest::prop_assert_eq!(t.remove(&keys[k % nkeys]), want);
                    }
                    Op::PopIdle => loop {
                        let got = t.pop_idle(at);
                        proptest::prop_assert_eq!(got, m.pop_idle(at));
                        if got.is_none() {
                            break;
                        }
                    },
                    Op::EvictFront => {
                        let want = (!m.queue.is_empty())
                            .then(|| m.queue.remove(0))
                            .map(|f| (f.0, f.3));
                        proptest::prop_assert_eq!(t.evict_front(), want);
                    }
                }
                proptest::prop_assert_eq!(t.len(), m.queue.len());
            }
            let want: Vec<(FlowKey, u32)> = m.queue.iter().map(|f| (f.0, f.3)).collect();
            proptest::prop_assert_eq!(t.drain().collect::<Vec<_>>(), want);
            proptest::prop_assert!(t.is_empty());
        }
    }

    #[test]
    fn many_flows_grow_the_index_and_stay_findable() {
        // Thousands of IPv4 and IPv6 flows: the index doubles many times,
        // and every third flow removed shifts probe runs back.
        let at = Timestamp::from_parts(1, 0);
        let key = |i: u32| {
            let lo = if i % 2 == 0 {
                Endpoint {
                    ip: IpAddr::V4(Ipv4Addr::from_bits(0x0a42_0000 | i)),
                    port: (i % 60000) as u16,
                }
            } else {
                Endpoint {
                    ip: IpAddr::V6(std::net::Ipv6Addr::from_bits(0xfd00 << 112 | u128::from(i))),
                    port: 443,
                }
            };
            let hi = Endpoint { port: 8443, ..lo };
            FlowKey::new(lo, hi).0
        };
        let n = 20_000;
        let mut t = FlowTable::new(n as usize, Duration::from_secs(60));
        for i in 0..n {
            assert!(t.insert(key(i), i, at).is_none());
        }
        for i in (0..n).step_by(3) {
            assert_eq!(t.remove(&key(i)), Some(i));
        }
        for i in 0..n {
            let found = match t.lookup(&key(i), at) {
                Lookup::Active(v) => Some(*v),
                _ => None,
            };
            assert_eq!(found, (i % 3 != 0).then_some(i), "flow {i}");
        }
        let want: Vec<u32> = (0..n).filter(|i| i % 3 != 0).collect();
        let got: Vec<u32> = t.drain().map(|(_, v)| v).collect();
        assert_eq!(got, want);
        assert!(t.is_empty());
    }

    #[test]
    fn active_flows_are_requeued_not_expired() {
        let mut t = FlowTable::new(10, Duration::from_secs(10));
        let at = |s| Timestamp::from_parts(s, 0);
        let (a, _) = FlowKey::new(ep(1, 1), ep(2, 2));
        let (b, _) = FlowKey::new(ep(1, 3), ep(2, 2));
        t.insert(a, 'a', at(0));
        t.insert(b, 'b', at(1));
        for s in 2..30 {
            assert!(matches!(t.lookup(&a, at(s)), Lookup::Active(_)));
            while let Some((k, _)) = t.pop_idle(at(s)) {
                assert_eq!(k, b, "only b goes idle");
            }
        }
        assert_eq!(t.len(), 1);
        assert_eq!(t.stats.expired, 1);
    }
}
