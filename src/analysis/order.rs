//! Output order: connection records leave in the order of their first hello
//! in the capture, whatever order their flows ended in.
//!
//! A record waits while a connection whose hello came earlier is still
//! open. What waits is bounded: once more than `max_held` records wait, the
//! earliest open connection stops holding the others back, and its record
//! leaves late, when it ends (counted; nothing is lost). Without the bound,
//! one server that never answers would hold every later record until the
//! idle timeout.

use std::collections::{BTreeMap, BTreeSet};

use super::connection::ConnectionRecord;

/// Records a worker may hold back (about a kilobyte each).
pub const MAX_HELD: usize = 32_768;

pub struct Reorder {
    open: BTreeSet<u64>,
    /// Open connections that no longer hold the others back.
    late: BTreeSet<u64>,
    done: BTreeMap<u64, ConnectionRecord>,
    max_held: usize,
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
            open: BTreeSet::new(),
            late: BTreeSet::new(),
            done: BTreeMap::new(),
            max_held: max_held.max(1),
            released_late: 0,
        }
    }

    /// A connection got its position `order` and is still open.
    pub fn open(&mut self, order: u64) {
        self.open.insert(order);
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
    /// beyond the bound, the earliest open connections step aside.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>) {
        loop {
            let limit = self.open.first().copied();
            while let Some(entry) = self.done.first_entry() {
                if limit.is_some_and(|l| *entry.key() > l) {
                    break;
                }
                out.push(entry.remove());
            }
            if self.done.len() <= self.max_held {
                return;
            }
            let Some(first) = self.open.pop_first() else {
                return;
            };
            self.late.insert(first);
        }
    }

    /// The earliest open connection's position (one that steps aside no
    /// longer counts).
    pub fn first_open(&self) -> Option<u64> {
        self.open.first().copied()
    }

    /// Records held back now.
    pub fn held(&self) -> usize {
        self.done.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::connection::test_record;

    fn orders(v: &[ConnectionRecord]) -> Vec<u64> {
        v.iter().map(|r| r.order).collect()
    }

    #[test]
    fn records_leave_in_hello_order() {
        let mut r = Reorder::new(10);
        let mut out = Vec::new();
        for o in [1, 2, 3] {
            r.open(o);
        }
        r.complete(test_record(3));
        r.complete(test_record(2));
        r.release(&mut out);
        assert!(out.is_empty());
        r.complete(test_record(1));
        r.release(&mut out);
        assert_eq!(orders(&out), [1, 2, 3]);
        assert_eq!(r.released_late, 0);
    }

    #[test]
    fn one_open_connection_holds_back_at_most_the_bound() {
        let mut r = Reorder::new(3);
        let mut out = Vec::new();
        r.open(1);
        for o in 2..=5 {
            r.open(o);
            r.complete(test_record(o));
            r.release(&mut out);
            assert!(r.held() <= 3);
        }
        // The fourth record behind connection 1 released them all.
        assert_eq!(orders(&out), [2, 3, 4, 5]);
        assert_eq!(r.first_open(), None);
        // Connection 1 still ends with a record: late, and counted.
        r.complete(test_record(1));
        r.release(&mut out);
        assert_eq!(orders(&out), [2, 3, 4, 5, 1]);
        assert_eq!(r.released_late, 1);
    }
}
