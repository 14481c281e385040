//! `-w FILE` / `--write-legacy FILE`: the packets of the listed handshakes,
//! written on a second reading of the capture files.
//!
//! While the report is made, each record the evidence wants leaves its
//! client–server pair and the capture positions of the first and last
//! packet its handshake was followed over (the SYN to the packet that made
//! the handshake known, or the one that ended it). The files are then read
//! again with the same counting (pktmon's copies, the filter, `-c`), so a
//! position names the same packet, and every packet of a wanted pair
//! within a wanted range is written unchanged. Two readings instead of
//! holding packets back: memory stays one small entry per wanted
//! connection, whatever the capture's size.

use std::collections::HashMap;
use std::io::BufWriter;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Dispatch;
use crate::analysis::record::ConnectionRecord;
use crate::capture::Packet;
use crate::config::{Config, EvidenceConfig};
use crate::decode::{self, Endpoint};
use crate::error::Error;
use crate::report::evidence::PcapngWriter;
use crate::time::Timestamp;

/// Most connections remembered for the evidence (about 150 bytes each).
pub const MAX_WANTED: usize = 1_000_000;

type Pair = (Endpoint, Endpoint);

fn pair(a: Endpoint, b: Endpoint) -> Pair {
    if a <= b { (a, b) } else { (b, a) }
}

struct Want {
    pair: Pair,
    first: u64,
    last: u64,
    comment: String,
}

/// The connections the evidence wants, gathered as records are made (by
/// every worker).
pub(super) struct Wanted {
    legacy_only: bool,
    list: Mutex<Vec<Want>>,
    /// Wanted connections beyond [`MAX_WANTED`] (not written).
    over: AtomicU64,
}

impl Wanted {
    pub(super) fn new(cfg: &EvidenceConfig) -> Wanted {
        Wanted {
            legacy_only: cfg.legacy_only,
            list: Mutex::new(Vec::new()),
            over: AtomicU64::new(0),
        }
    }

    pub(super) fn observe(&self, rec: &ConnectionRecord) {
        let Some((first, last)) = rec.packets else {
            return;
        };
        let legacy = rec.counts_as_legacy();
        if self.legacy_only && !legacy {
            return;
        }
        let name = |v: Option<crate::tls::version::Version>| {
            v.map_or_else(|| "none".to_string(), |v| v.to_string())
        };
        let comment = format!(
            "tlssniff: {} -> {}{} offered {} negotiated {} cipher {} outcome {}{}{}",
            rec.client,
            rec.server,
            rec.sni()
                .map(|s| format!(" SNI {}", s.lossy()))
                .unwrap_or_default(),
            name(rec.max_offered()),
            name(rec.version()),
            rec.cipher.map_or_else(|| "none".into(), |c| c.to_string()),
            rec.outcome.as_str(),
            if legacy { " (legacy)" } else { "" },
            rec.failure_reason()
                .map(|r| format!("; {r}"))
                .unwrap_or_default(),
        );
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() >= MAX_WANTED {
            self.over.fetch_add(1, Ordering::Relaxed);
            return;
        }
        list.push(Want {
            pair: pair(rec.client, rec.server),
            first,
            last,
            comment,
        });
    }
}

/// The second reading: writes the wanted packets.
struct Writer {
    ranges: HashMap<Pair, Vec<(u64, u64, String)>>,
    out: PcapngWriter<BufWriter<std::fs::File>>,
    name: String,
}

impl Dispatch for Writer {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        let mut tunnel = None;
        let Ok(seg) = decode::decode_in(pkt.link_type, pkt.data, pkt.cut_bytes(), &mut tunnel)
        else {
            return Ok(());
        };
        let Some(ranges) = self.ranges.get(&pair(seg.src, seg.dst)) else {
            return Ok(());
        };
        let Some((first, _, comment)) = ranges
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&index))
        else {
            return Ok(());
        };
        let comment = (*first == index).then_some(comment.as_str());
        self.out
            .packet(pkt.link_type, pkt.ts, pkt.data, pkt.orig_len, comment)
            .map_err(|e| Error::output(self.name.clone(), e))
    }

    fn record(&mut self, _rec: ConnectionRecord) -> Result<(), Error> {
        Ok(())
    }

    fn end_of_file(&mut self, _index: u64) -> Result<(), Error> {
        Ok(())
    }

    fn tick(&mut self, _index: u64, _now: Timestamp) -> Result<(), Error> {
        Ok(())
    }
}

/// What the evidence file got.
pub(super) struct Written {
    pub packets: u64,
    pub connections: usize,
    pub over: u64,
}

/// Reads the inputs again and writes the wanted packets to `cfg.path`.
pub(super) fn write(cfg: &Config, ev: &EvidenceConfig, wanted: Wanted) -> Result<Written, Error> {
    let name = ev.path.display().to_string();
    let file = std::fs::File::create(&ev.path).map_err(|e| Error::output(name.clone(), e))?;
    let out = PcapngWriter::new(BufWriter::with_capacity(1 << 16, file))
        .map_err(|e| Error::output(name.clone(), e))?;
    let list = wanted.list.into_inner().unwrap_or_else(|e| e.into_inner());
    let connections = list.len();
    let mut ranges: HashMap<Pair, Vec<(u64, u64, String)>> = HashMap::new();
    for w in list {
        ranges
            .entry(w.pair)
            .or_default()
            .push((w.first, w.last, w.comment));
    }
    let mut writer = Writer { ranges, out, name };
    if connections > 0 {
        super::input::read_files(cfg, &mut writer, false, true)?;
    }
    let packets = writer.out.packets;
    let name = writer.name.clone();
    writer.out.finish().map_err(|e| Error::output(name, e))?;
    Ok(Written {
        packets,
        connections,
        over: wanted.over.into_inner(),
    })
}
