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

use hashlink::LinkedHashMap;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
}

/// `a <= b` in `Endpoint`'s order (IPv4 before IPv6, then the address,
/// then the port), with one comparison of two words when both are IPv4:
/// run on every packet, where the derived order walks the enum.
#[inline]
fn precedes(a: &Endpoint, b: &Endpoint) -> bool {
    match (a.ip, b.ip) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            (u64::from(x.to_bits()) << 16 | u64::from(a.port))
                <= (u64::from(y.to_bits()) << 16 | u64::from(b.port))
        }
        _ => a <= b,
    }
}

/// Hashed on every packet: one word per IPv4 endpoint (address, port and
/// a family bit) instead of the derived hash's discriminants and length
/// prefixes, a third of the work.
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        fn word(e: &Endpoint, state: &mut impl std::hash::Hasher) {
            match e.ip {
                IpAddr::V4(ip) => {
                    state.write_u64(u64::from(ip.to_bits()) << 16 | u64::from(e.port))
                }
                IpAddr::V6(ip) => {
                    state.write_u128(ip.to_bits());
                    state.write_u64(1 << 32 | u64::from(e.port));
                }
            }
        }
        word(&self.lo, state);
        word(&self.hi, state);
    }
}

impl FlowKey {
    /// The key of the flow a segment from `src` to `dst` belongs to, and
    /// which side sent it.
    #[inline]
    pub fn new(src: Endpoint, dst: Endpoint) -> (FlowKey, Side) {
        if precedes(&src, &dst) {
            (FlowKey { lo: src, hi: dst }, Side::Lo)
        } else {
            (FlowKey { lo: dst, hi: src }, Side::Hi)
        }
    }

    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::Lo => self.lo,
            Side::Hi => self.hi,
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

struct Slot<T> {
    /// The last packet of the flow.
    last_seen: Timestamp,
    /// When the flow took its place at the back of the queue.
    queued_at: Timestamp,
    value: T,
}

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
pub struct FlowTable<T> {
    map: LinkedHashMap<FlowKey, Slot<T>>,
    max_flows: usize,
    idle_timeout: Duration,
    /// No flow can be idle before this capture time: the front's
    /// `queued_at` plus the timeout, as the last [`FlowTable::pop_idle`]
    /// found it. `None` after any change that may move the front.
    due: Option<Timestamp>,
    pub stats: TableStats,
}

impl<T> FlowTable<T> {
    pub fn new(max_flows: usize, idle_timeout: Duration) -> FlowTable<T> {
        FlowTable {
            map: LinkedHashMap::new(),
            max_flows: max_flows.max(1),
            idle_timeout,
            due: None,
            stats: TableStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Bytes one flow takes in the table, besides what its value owns: the
    /// map's node (key, slot, two links) and its hash-table cell (a node
    /// pointer and a control byte).
    pub const fn entry_bytes() -> usize {
        use std::mem::size_of;
        size_of::<FlowKey>() + size_of::<Slot<T>>() + 3 * size_of::<usize>() + 1
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
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
            let Some((key, front)) = self.map.front() else {
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
                let (key, slot) = self.map.pop_front()?;
                self.stats.expired += 1;
                return Some((key, slot.value));
            }
            // Still active: back of the queue.
            let key = *key;
            let slot = self.map.to_back(&key)?;
            slot.queued_at = now;
        }
    }

    /// The flow's state, marked active at `now`.
    pub fn lookup(&mut self, key: &FlowKey, now: Timestamp) -> Lookup<'_, T> {
        let timeout = self.idle_timeout;
        match self.map.get_mut(key) {
            None => Lookup::Missing,
            Some(slot) if now.since(slot.last_seen) > timeout => Lookup::Idle,
            Some(slot) => {
                slot.last_seen = slot.last_seen.max(now);
                Lookup::Active(&mut slot.value)
            }
        }
    }

    /// Adds a flow, replacing any under the same key. When the table is
    /// full, the flow at the front of the queue (the least recently
    /// queued) is evicted and returned.
    pub fn insert(&mut self, key: FlowKey, value: T, now: Timestamp) -> Option<(FlowKey, T)> {
        self.due = None;
        let mut evicted = None;
        if !self.map.contains_key(&key) && self.map.len() >= self.max_flows {
            if let Some((k, slot)) = self.map.pop_front() {
                self.stats.evicted += 1;
                evicted = Some((k, slot.value));
            }
        }
        let slot = Slot {
            last_seen: now,
            queued_at: now,
            value,
        };
        if self.map.insert(key, slot).is_none() {
            self.stats.created += 1;
        }
        self.stats.peak = self.stats.peak.max(self.map.len() as u64);
        evicted
    }

    /// Evicts the flow at the front of the queue (to free memory).
    pub fn evict_front(&mut self) -> Option<(FlowKey, T)> {
        self.due = None;
        let (key, slot) = self.map.pop_front()?;
        self.stats.evicted += 1;
        Some((key, slot.value))
    }

    pub fn remove(&mut self, key: &FlowKey) -> Option<T> {
        self.due = None;
        self.map.remove(key).map(|s| s.value)
    }

    /// Removes every flow, in queue order.
    pub fn drain(&mut self) -> impl Iterator<Item = (FlowKey, T)> + '_ {
        self.due = None;
        self.map.drain().map(|(k, s)| (k, s.value))
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
    fn the_fast_order_is_the_derived_one() {
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
        ];
        for a in &eps {
            for b in &eps {
                assert_eq!(precedes(a, b), a <= b, "{a} {b}");
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
        let key = 0usize..6;
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
        ) {
            let keys: Vec<FlowKey> = (0..6u8)
                .map(|i| FlowKey::new(ep(i, 1000), ep(200, 443)).0)
                .collect();
            let timeout = Duration::from_secs(10);
            let mut t = FlowTable::new(3, timeout);
            let mut m = Model { queue: Vec::new(), max: 3, timeout };
            let mut now = 100i64;
            for (n, (op, step)) in ops.into_iter().enumerate() {
                now = (now + step).max(0);
                let at = Timestamp::from_parts(now as u64, 0);
                let v = n as u32;
                match op {
                    Op::Lookup(k) => {
                        let got = match t.lookup(&keys[k], at) {
                            Lookup::Missing => None,
                            Lookup::Idle => Some(None),
                            Lookup::Active(v) => Some(Some(*v)),
                        };
                        proptest::prop_assert_eq!(got, m.lookup(&keys[k], at));
                    }
                    Op::Insert(k) => {
                        let want = m.insert(keys[k], v, at);
                        proptest::prop_assert_eq!(t.insert(keys[k], v, at), want);
                    }
                    Op::Remove(k) => {
                        let want = m.at(&keys[k]).map(|i| m.queue.remove(i).3);
                        proptest::prop_assert_eq!(t.remove(&keys[k]), want);
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
