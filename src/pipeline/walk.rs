//! Parallel readers: with regular, uncompressed capture files, every worker
//! reads the whole capture itself (with `read()`, or walking the map with
//! `--mmap`) and analyses the frames of its own IP pairs, instead of one
//! capture thread reading and handing frames over.
//!
//! Reading the file is cheap (the records lie in the page cache; a walk
//! that only reads the headers costs a fraction of the analysis), and
//! it is the handing over that costs: a frame the capture thread has read
//! sits in that core's cache, so the worker that decodes it fetches every
//! line again from the other core, and the batches themselves cross too.
//! Here each core reads the page cache directly, so frames never change
//! core, and nothing waits on a queue but the records on their way to the
//! output thread.
//!
//! Every reader sees every frame, in the same order and with the same
//! index, so each one's view of the capture (capture time for idle
//! expiry, positions for the output order, files joined or ended, `-c`)
//! is the one-thread view; the first reader's account of the inputs
//! (files, damage, copies, filter) stands for all. A frame belongs to the
//! reader its IP pair hashes to, as in the worker pool; a frame that
//! carries no segment is counted once, by the reader its position picks.

use super::pool::{HEARTBEAT, Output, shard};
use super::queue::Sender;
use super::{Analysis, Dispatch, Worker, WorkerStats};
use crate::analysis::record::ConnectionRecord;
use crate::capture::Packet;
use crate::decode;
use crate::error::Error;
use crate::report::Encoder;
use crate::time::Timestamp;

/// Records encoded before they go to the output thread.
const RECORDS_PER_OUTPUT: usize = 64;

/// One parallel reader: a worker, fed the frames of its IP pairs.
pub(super) struct Walker<'a> {
    id: usize,
    readers: usize,
    worker: Worker,
    analysis: Analysis<'a>,
    released: Vec<ConnectionRecord>,
    /// For reports that list connections: where encoded records go.
    out: Option<(Sender<Output>, Encoder)>,
    pending: Output,
    /// The capture position the output thread was last told about.
    told: u64,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        id: usize,
        readers: usize,
        worker: Worker,
        analysis: Analysis<'a>,
        out: Option<(Sender<Output>, Encoder)>,
    ) -> Walker<'a> {
        Walker {
            id,
            readers,
            worker,
            analysis,
            released: Vec::new(),
            out,
            pending: Self::output(id),
            told: 0,
        }
    }

    fn output(id: usize) -> Output {
        Output {
            worker: id,
            records: Vec::new(),
            bytes: Vec::new(),
            watermark: 0,
        }
    }

    /// What this reader's worker did.
    pub(super) fn into_stats(mut self) -> WorkerStats {
        self.worker.take_stats()
    }

    /// Analyses the records that are ready, and passes them on when enough
    /// wait or the output thread has not heard from this reader for a
    /// while. `next` is the position after the frame just read.
    fn drain(&mut self, next: u64) -> Result<(), Error> {
        self.worker.release(&mut self.released);
        self.worker.stats.records += self.released.len() as u64;
        for mut rec in self.released.drain(..) {
            self.analysis.record(&mut rec);
            if let Some((_, encoder)) = &self.out {
                encoder.encode(&rec, &mut self.pending.bytes);
                self.pending
                    .records
                    .push((rec.order, self.pending.bytes.len()));
            }
        }
        if self.pending.records.len() >= RECORDS_PER_OUTPUT || next - self.told >= HEARTBEAT {
            self.tell(next)?;
        }
        Ok(())
    }

    /// Sends the encoded records, and how far this reader has got.
    fn tell(&mut self, next: u64) -> Result<(), Error> {
        self.told = next;
        let Some((tx, _)) = &self.out else {
            return Ok(());
        };
        let mut out = std::mem::replace(&mut self.pending, Self::output(self.id));
        out.watermark = self.worker.watermark(next);
        tx.send(out).map_err(|_| Error::Downstream)
    }
}

impl Dispatch for Walker<'_> {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        crate::error::test_panic("worker");
        let n = self.readers;
        let mine = match decode::tcp_ip_pair(pkt.link_type, pkt.data) {
            Some((a, b)) => shard(&a, &b, n) == self.id,
            None => match decode::decode(pkt.link_type, pkt.data, pkt.cut_bytes()) {
                Ok(seg) => shard(&seg.src.ip, &seg.dst.ip, n) == self.id,
                Err(skip) => {
                    if index % n as u64 == self.id as u64 {
                        *self.worker.stats.skipped.entry(skip).or_default() += 1;
                    }
                    false
                }
            },
        };
        if mine {
            self.worker
                .packet(pkt.link_type, pkt.data, pkt.cut_bytes(), pkt.ts, index);
            return self.drain(index + 1);
        }
        // Capture time moves on for this reader's flows too.
        self.worker.expire(pkt.ts);
        if self.worker.may_release() || index + 1 - self.told >= HEARTBEAT {
            return self.drain(index + 1);
        }
        Ok(())
    }

    fn record(&mut self, rec: ConnectionRecord) -> Result<(), Error> {
        let next = rec.order + 1;
        if shard(&rec.client.ip, &rec.server.ip, self.readers) == self.id {
            self.worker.adopt(rec);
        }
        self.drain(next)
    }

    fn end_of_file(&mut self, index: u64) -> Result<(), Error> {
        self.worker.flush();
        self.drain(index + 1)?;
        self.tell(index + 1)
    }

    fn tick(&mut self, index: u64, now: Timestamp) -> Result<(), Error> {
        self.worker.expire(now);
        self.drain(index + 1)
    }
}
