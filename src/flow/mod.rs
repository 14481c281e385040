//! Flows: the two directions of a TCP connection, a bounded table of them,
//! and per-direction reassembly.
//!
//! A [`FlowKey`] is canonical (the lower endpoint first), so both directions
//! of a connection find the same entry and hash alike. The [`FlowTable`] is
//! kept in order of last activity: idle flows expire from its front, in
//! capture time, and when it is full the least recently active flow is
//! evicted. Neither depends on hash order, so what expires or is evicted is
//! the same on every run.

pub mod reassembly;
pub mod seq;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
}

impl FlowKey {
    /// The key of the flow a segment from `src` to `dst` belongs to, and
    /// which side sent it.
    pub fn new(src: Endpoint, dst: Endpoint) -> (FlowKey, Side) {
        if src <= dst {
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
    last_seen: Timestamp,
    value: T,
}

/// A bounded map of flows in order of last activity.
pub struct FlowTable<T> {
    map: LinkedHashMap<FlowKey, Slot<T>>,
    max_flows: usize,
    idle_timeout: Duration,
    pub stats: TableStats,
}

impl<T> FlowTable<T> {
    pub fn new(max_flows: usize, idle_timeout: Duration) -> FlowTable<T> {
        FlowTable {
            map: LinkedHashMap::new(),
            max_flows: max_flows.max(1),
            idle_timeout,
            stats: TableStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes and returns the least recently active flow if it has been
    /// idle for longer than the timeout at `now`. Call until `None`.
    pub fn pop_idle(&mut self, now: Timestamp) -> Option<(FlowKey, T)> {
        let (_, front) = self.map.front()?;
        if now.since(front.last_seen) <= self.idle_timeout {
            return None;
        }
        let (key, slot) = self.map.pop_front()?;
        self.stats.expired += 1;
        Some((key, slot.value))
    }

    /// The flow's state, marked active at `now`.
    pub fn touch(&mut self, key: &FlowKey, now: Timestamp) -> Option<&mut T> {
        let slot = self.map.to_back(key)?;
        slot.last_seen = slot.last_seen.max(now);
        Some(&mut slot.value)
    }

    /// Adds a flow, replacing any under the same key. When the table is
    /// full, the least recently active flow is evicted and returned.
    pub fn insert(&mut self, key: FlowKey, value: T, now: Timestamp) -> Option<(FlowKey, T)> {
        let mut evicted = None;
        if !self.map.contains_key(&key) && self.map.len() >= self.max_flows {
            if let Some((k, slot)) = self.map.pop_front() {
                self.stats.evicted += 1;
                evicted = Some((k, slot.value));
            }
        }
        let slot = Slot {
            last_seen: now,
            value,
        };
        if self.map.insert(key, slot).is_none() {
            self.stats.created += 1;
        }
        self.stats.peak = self.stats.peak.max(self.map.len() as u64);
        evicted
    }

    pub fn remove(&mut self, key: &FlowKey) -> Option<T> {
        self.map.remove(key).map(|s| s.value)
    }

    /// Removes every flow, least recently active first.
    pub fn drain(&mut self) -> impl Iterator<Item = (FlowKey, T)> + '_ {
        self.map.drain().map(|(k, s)| (k, s.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 66, 0, last)),
            port,
        }
    }

    #[test]
    fn both_directions_share_a_key() {
        let (k1, s1) = FlowKey::new(ep(1, 40000), ep(2, 443));
        let (k2, s2) = FlowKey::new(ep(2, 443), ep(1, 40000));
        assert_eq!(k1, k2);
        assert_eq!(s1, s2.other());
    }

    #[test]
    fn evicts_least_recently_active_and_expires_idle() {
        let mut t = FlowTable::new(2, Duration::from_secs(10));
        let (a, _) = FlowKey::new(ep(1, 1), ep(2, 2));
        let (b, _) = FlowKey::new(ep(1, 3), ep(2, 2));
        let (c, _) = FlowKey::new(ep(1, 4), ep(2, 2));
        assert!(t.insert(a, 'a', Timestamp::from_parts(0, 0)).is_none());
        assert!(t.insert(b, 'b', Timestamp::from_parts(1, 0)).is_none());
        t.touch(&a, Timestamp::from_parts(2, 0));
        assert_eq!(
            t.insert(c, 'c', Timestamp::from_parts(3, 0)),
            Some((b, 'b'))
        );
        assert_eq!(t.stats.evicted, 1);
        assert!(t.pop_idle(Timestamp::from_parts(12, 0)).is_none());
        assert_eq!(t.pop_idle(Timestamp::from_parts(12, 1)), Some((a, 'a')));
        assert!(t.pop_idle(Timestamp::from_parts(12, 1)).is_none());
        assert_eq!(t.len(), 1);
    }
}
