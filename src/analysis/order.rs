//! Output order: connection records leave in the order of their first hello
//! in the capture, whatever order their flows ended in.
//!
//! A record waits only while a connection whose hello came earlier is still
//! open, so what is held is bounded by the open flows (the flow table's
//! cap), not by the capture.

use std::collections::{BTreeMap, BTreeSet};

use super::connection::ConnectionRecord;

#[derive(Default)]
pub struct Reorder {
    open: BTreeSet<u64>,
    done: BTreeMap<u64, ConnectionRecord>,
}

impl Reorder {
    /// A connection got its position `order` and is still open.
    pub fn open(&mut self, order: u64) {
        self.open.insert(order);
    }

    /// A connection ended without a record (it was opened, though).
    pub fn abandon(&mut self, order: u64) {
        self.open.remove(&order);
    }

    /// A connection ended.
    pub fn complete(&mut self, record: ConnectionRecord) {
        self.open.remove(&record.order);
        self.done.insert(record.order, record);
    }

    /// Moves every record that no open connection precedes into `out`.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>) {
        let limit = self.open.first().copied();
        while let Some(entry) = self.done.first_entry() {
            if limit.is_some_and(|l| *entry.key() > l) {
                break;
            }
            out.push(entry.remove());
        }
    }

    /// The earliest open connection's position.
    pub fn first_open(&self) -> Option<u64> {
        self.open.first().copied()
    }

    /// Records held back now.
    pub fn held(&self) -> usize {
        self.done.len()
    }
}
