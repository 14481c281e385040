//! Output order: connection records leave in the order of their first hello
//! in the capture, whatever order their flows ended in.
//!
//! A record waits while a connection whose hello came earlier is still
//! open. What waits is bounded: once more than `max_held` records wait, the
//! earliest open connection stops holding the others back, and its record
//! leaves late, when it ends (counted; nothing is lost). Without the bound,
//! one server that never answers would hold every later record until the
//! idle timeout.
//!
//! Live capture bounds the wait in time as well: an open connection holds
//! records back for at most [`LIVE_MAX_WAIT`] after its first hello, so that
//! a client left hanging by a silent server (a middlebox that drops old
//! hellos) does not stop the stream for the minute it takes to give up.
//! Files have no time bound: their output must not depend on how packets
//! were batched.

use std::collections::{BTreeMap, BTreeSet};

use super::record::ConnectionRecord;
use crate::time::{Duration, Timestamp};

/// Records a worker may hold back (about a kilobyte each).
pub const MAX_HELD: usize = 32_768;

/// How long, in live capture, a connection still in its handshake may hold
/// back the records of later ones.
pub const LIVE_MAX_WAIT: Duration = Duration(2_000_000_000);

pub struct Reorder {
    /// Open connections: position → time of the first hello.
    open: BTreeMap<u64, Timestamp>,
    /// Open connections that no longer hold the others back.
    late: BTreeSet<u64>,
    done: BTreeMap<u64, ConnectionRecord>,
    max_held: usize,
    max_wait: Option<Duration>,
    /// Records released out of order.
    pub released_late: u64,
}

impl Default for Reorder {
    fn default() -> Self {
        Reorder::new(MAX_HELD)
    }
}

impl Reorder {
    pub fn new(max_held: usize) -> Reorder {
        Reorder {
            open: BTreeMap::new(),
            late: BTreeSet::new(),
            done: BTreeMap::new(),
            max_held: max_held.max(1),
            max_wait: None,
            released_late: 0,
        }
    }

    /// Bounds the wait in time too: a connection open for longer than
    /// `max_wait` (capture time) stops holding the others back.
    pub fn with_max_wait(mut self, max_wait: Option<Duration>) -> Reorder {
        self.max_wait = max_wait;
        self
    }

    /// A connection got its position `order`, at capture time `ts`, and is
    /// still open.
    pub fn open(&mut self, order: u64, ts: Timestamp) {
        self.open.insert(order, ts);
    }

    /// A connection ended without a record (it was opened, though).
    pub fn abandon(&mut self, order: u64) {
        self.open.remove(&order);
        self.late.remove(&order);
    }

    /// A connection ended.
    pub fn complete(&mut self, record: ConnectionRecord) {
        self.open.remove(&record.order);
        if self.late.remove(&record.order) {
            self.released_late += 1;
        }
        self.done.insert(record.order, record);
    }

    /// Moves every record that no open connection precedes into `out`;
    /// beyond the bounds (at capture time `now`), the earliest open
    /// connections step aside.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>, now: Timestamp) {
        loop {
            let first = self.open.first_key_value().map(|(o, ts)| (*o, *ts));
            while let Some(entry) = self.done.first_entry() {
                if first.is_some_and(|(o, _)| *entry.key() > o) {
                    break;
                }
                out.push(entry.remove());
            }
            let Some((order, opened)) = first else {
                return;
            };
            let overdue = self.max_wait.is_some_and(|w| now.since(opened) >= w);
            if self.done.is_empty() || (self.done.len() <= self.max_held && !overdue) {
                return;
            }
            self.open.remove(&order);
            self.late.insert(order);
        }
    }

    /// The earliest open connection's position (one that steps aside no
    /// longer counts).
    pub fn first_open(&self) -> Option<u64> {
        self.open.first_key_value().map(|(o, _)| *o)
    }

    /// Records held back now.
    pub fn held(&self) -> usize {
        self.done.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::record::test_record;

    fn orders(v: &[ConnectionRecord]) -> Vec<u64> {
        v.iter().map(|r| r.order).collect()
    }

    #[test]
    fn records_leave_in_hello_order() {
        let mut r = Reorder::new(10);
        let mut out = Vec::new();
        for o in [1, 2, 3] {
            r.open(o, at(o));
        }
        r.complete(test_record(3));
        r.complete(test_record(2));
        r.release(&mut out, at(3));
        assert!(out.is_empty());
        r.complete(test_record(1));
        r.release(&mut out, at(3));
        assert_eq!(orders(&out), [1, 2, 3]);
        assert_eq!(r.released_late, 0);
    }

    #[test]
    fn one_open_connection_holds_back_at_most_the_bound() {
        let mut r = Reorder::new(3);
        let mut out = Vec::new();
        r.open(1, at(1));
        for o in 2..=5 {
            r.open(o, at(o));
            r.complete(test_record(o));
            r.release(&mut out, at(o));
            assert!(r.held() <= 3);
        }
        // The fourth record behind connection 1 released them all.
        assert_eq!(orders(&out), [2, 3, 4, 5]);
        assert_eq!(r.first_open(), None);
        // Connection 1 still ends with a record: late, and counted.
        r.complete(test_record(1));
        r.release(&mut out, at(6));
        assert_eq!(orders(&out), [2, 3, 4, 5, 1]);
        assert_eq!(r.released_late, 1);
    }

    #[test]
    fn in_live_capture_an_open_connection_holds_the_others_back_only_for_a_while() {
        let wait = Duration::from_secs(2);
        let mut r = Reorder::new(100).with_max_wait(Some(wait));
        let mut out = Vec::new();
        r.open(1, at(10));
        r.open(2, at(11));
        r.complete(test_record(2));
        // Within the wait, order rules.
        r.release(&mut out, at(11));
        assert!(out.is_empty());
        // Two seconds after its hello, connection 1 steps aside.
        r.release(&mut out, at(12));
        assert_eq!(orders(&out), [2]);
        assert_eq!(r.first_open(), None);
        // Nothing waits behind connection 3: however long it stays open, it
        // keeps its place.
        r.open(3, at(20));
        r.release(&mut out, at(40));
        assert_eq!(r.first_open(), Some(3));
        r.complete(test_record(3));
        r.complete(test_record(1));
        r.release(&mut out, at(40));
        assert_eq!(orders(&out), [2, 1, 3]);
        assert_eq!(r.released_late, 1);
    }

    #[test]
    fn files_have_no_time_bound() {
        let mut r = Reorder::new(100);
        let mut out = Vec::new();
        r.open(1, at(0));
        r.open(2, at(1));
        r.complete(test_record(2));
        r.release(&mut out, at(1_000_000));
        assert!(out.is_empty());
        assert_eq!(r.first_open(), Some(1));
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_parts(secs, 0)
    }
}
