//! One QUIC connection, followed from its Initial packets: the datagram
//! path's counterpart of [`super::tcp`].
//!
//! The client is the side that sends the first Initial. Initial keys come
//! from the destination connection id of that first Initial, or, after a
//! Retry, from the Retry's source connection id (RFC 9001 §5.2; later
//! Initials carry the server's chosen connection id, which does not change
//! the keys). CRYPTO frames of each direction are put back in order
//! (bounded by `--max-handshake-bytes`; overlapping bytes keep the first
//! copy) and read as handshake messages: the ClientHello and ServerHello
//! go into the same [`Handshake`] as TCP's. The handshake counts as
//! completed when the client sends a Handshake packet after the server's —
//! the client's Finished (RFC 9001 §4.1.2), which an observer cannot read
//! but can see. A Version Negotiation packet is noted; the client's next
//! Initial, in another version, continues the same connection.

use std::collections::BTreeMap;

use super::handshake::{Ending, Handshake};
use super::record::{ConnectionRecord, End, TunnelSeen};
use crate::datagram::quic::{
    InitialKeys, PacketType, QuicSkip, QuicVersion, initial_frames, long_header,
};
use crate::decode::tunnel::Tunnel;
use crate::flow::{FlowKey, Side};
use crate::time::Timestamp;
use crate::tls::certificate::LeafCache;
use crate::tls::event::Event;
use crate::tls::hello::{parse_client_hello, parse_server_hello};
use crate::tls::version::Version;

/// Handshake message types read from the CRYPTO stream.
const CLIENT_HELLO: u8 = 1;
const SERVER_HELLO: u8 = 2;

/// What the record says about QUIC besides TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuicInfo {
    pub version: Option<QuicVersion>,
    pub retry: bool,
    pub version_negotiation: bool,
    /// Initials of either side that did not decrypt or parse.
    pub undecryptable: u16,
    /// Handshake packets seen from the server, and from the client.
    pub server_handshake_packets: u16,
    pub client_handshake_packets: u16,
}

/// One direction's CRYPTO stream, put back in order from offset 0.
#[derive(Debug, Default)]
struct CryptoStream {
    /// Bytes from offset 0 that arrived in order.
    bytes: Vec<u8>,
    /// Pieces beyond a gap, by offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    ahead_bytes: usize,
    /// Handshake messages already taken from `bytes`.
    read_to: usize,
    /// The stream passed the byte bound: nothing more is read.
    over: bool,
}

impl CryptoStream {
    fn push(&mut self, offset: u64, data: &[u8], max: usize) {
        if self.over {
            return;
        }
        let Some(end) = offset.checked_add(data.len() as u64) else {
            self.over = true;
            return;
        };
        if end > max as u64 {
            self.over = true;
            return;
        }
        let have = self.bytes.len() as u64;
        if offset > have {
            if self.ahead_bytes + data.len() > max {
                self.over = true;
                return;
            }
            self.ahead_bytes += data.len();
            self.ahead.entry(offset).or_insert_with(|| data.to_vec());
            return;
        }
        // Bytes already held keep their first copy.
        let skip = usize::try_from(have - offset).unwrap_or(usize::MAX);
        if let Some(new) = data.get(skip..) {
            self.bytes.extend_from_slice(new);
        }
        while let Some(entry) = self.ahead.first_entry() {
            let at = *entry.key();
            if at > self.bytes.len() as u64 {
                break;
            }
            let piece = entry.remove();
            self.ahead_bytes -= piece.len();
            let skip = usize::try_from(self.bytes.len() as u64 - at).unwrap_or(usize::MAX);
            if let Some(new) = piece.get(skip..) {
                self.bytes.extend_from_slice(new);
            }
        }
    }

    /// The next whole handshake message: (type, body).
    fn next_message(&mut self) -> Option<(u8, Vec<u8>)> {
        let rest = self.bytes.get(self.read_to..)?;
        let kind = *rest.first()?;
        let len = rest
            .get(1..4)
            .map(|l| u32::from_be_bytes([0, l[0], l[1], l[2]]) as usize)?;
        let body = rest.get(4..4 + len)?.to_vec();
        self.read_to += 4 + len;
        Some((kind, body))
    }
}

/// One QUIC connection being followed.
#[derive(Debug)]
pub struct QuicTracker {
    handshake: Handshake,
    info: QuicInfo,
    client: Option<Side>,
    /// The connection id the Initial keys come from.
    client_dcid: Vec<u8>,
    /// Every connection id this connection's Initials used (the client's
    /// first DCID, a Retry's, the server's own): a client Initial to
    /// another one on the same addresses is a new connection.
    ids: Vec<Vec<u8>>,
    streams: [CryptoStream; 2],
    max_bytes: usize,
    /// Capture positions of the first and last datagram.
    packets: Option<(u64, u64)>,
    /// Both hellos are known and the client answered the server's flight.
    done: bool,
    tunnel: TunnelSeen,
}

/// What one datagram changed.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuicStep {
    /// The connection got its output position (its first hello).
    pub opened: Option<u64>,
    /// Everything knowable is known.
    pub done: bool,
    /// Why a packet in it was not read, if one was not.
    pub skipped: Option<QuicSkip>,
}

impl QuicTracker {
    pub fn new(max_handshake_bytes: usize) -> QuicTracker {
        QuicTracker {
            handshake: Handshake::default(),
            info: QuicInfo::default(),
            client: None,
            client_dcid: Vec::new(),
            ids: Vec::new(),
            streams: [CryptoStream::default(), CryptoStream::default()],
            max_bytes: max_handshake_bytes,
            packets: None,
            tunnel: TunnelSeen::default(),
            done: false,
        }
    }

    pub fn order(&self) -> Option<u64> {
        self.handshake.order()
    }

    /// The client's side and the connection ids its Initials used, kept
    /// once the handshake is known (see [`starts_another`]).
    pub fn identity(&self) -> (Option<Side>, Vec<Vec<u8>>) {
        (self.client, self.ids.clone())
    }

    /// One UDP datagram from `side` (it may hold several coalesced
    /// packets).
    pub fn on_datagram(
        &mut self,
        data: &[u8],
        tunnel: Option<&Tunnel>,
        side: Side,
        ts: Timestamp,
        index: u64,
    ) -> QuicStep {
        let had_order = self.handshake.order().is_some();
        super::record::widen_span(&mut self.packets, index);
        self.tunnel.note(side, tunnel);
        let mut step = QuicStep::default();
        let mut rest = data;
        // Short-header packets (1-RTT) and padding end the long ones.
        while rest.first().is_some_and(|b| b & 0x80 != 0) {
            let (h, next) = match long_header(rest) {
                Ok(x) => x,
                Err(why) => {
                    step.skipped = Some(why);
                    break;
                }
            };
            rest = next;
            if h.version == QuicVersion::NEGOTIATION {
                self.info.version_negotiation = true;
                continue;
            }
            let from_client = match self.client {
                Some(c) => c == side,
                None if h.kind == PacketType::Initial => {
                    self.client = Some(side);
                    self.handshake.set_client(side);
                    true
                }
                // 0-RTT carries no handshake, and may arrive before its
                // Initial (reordered): nothing to read, nothing wrong.
                None if h.kind == PacketType::ZeroRtt => continue,
                None => {
                    // The capture began after the client's first Initial:
                    // its keys cannot be known.
                    step.skipped = Some(QuicSkip::DecryptFailed);
                    continue;
                }
            };
            match h.kind {
                PacketType::Retry => {
                    if !from_client {
                        self.info.retry = true;
                        self.client_dcid = h.scid.to_vec();
                    }
                }
                PacketType::Handshake => {
                    if from_client {
                        self.info.client_handshake_packets =
                            self.info.client_handshake_packets.saturating_add(1);
                    } else {
                        self.info.server_handshake_packets =
                            self.info.server_handshake_packets.saturating_add(1);
                    }
                }
                PacketType::ZeroRtt => {}
                PacketType::Initial => {
                    if from_client && self.client_dcid.is_empty() {
                        self.client_dcid = h.dcid.to_vec();
                    }
                    let id = if from_client { h.dcid } else { h.scid };
                    if self.ids.len() < 8 && !self.ids.iter().any(|i| i == id) {
                        self.ids.push(id.to_vec());
                    }
                    if from_client {
                        self.info.version = Some(h.version);
                    }
                    if let Err(why) = self.initial(&h, side, from_client, ts, index) {
                        self.info.undecryptable = self.info.undecryptable.saturating_add(1);
                        step.skipped = Some(why);
                    }
                }
            }
        }
        if self.info.client_handshake_packets > 0
            && self.info.server_handshake_packets > 0
            && self.handshake.has_hellos()
        {
            self.handshake.transport_completed();
            self.done = true;
        }
        self.done |= self.handshake.is_settled();
        if !had_order {
            step.opened = self.handshake.order();
        }
        step.done = self.done;
        step
    }

    fn initial(
        &mut self,
        h: &crate::datagram::quic::LongHeader<'_>,
        side: Side,
        from_client: bool,
        ts: Timestamp,
        index: u64,
    ) -> Result<(), QuicSkip> {
        if !h.version.is_known() {
            return Err(QuicSkip::UnknownVersion);
        }
        let keys = InitialKeys::derive(h.version, &self.client_dcid, from_client)
            .ok_or(QuicSkip::UnknownVersion)?;
        let (_, plain) = keys.open(h)?;
        let frames = initial_frames(&plain)?;
        let max = self.max_bytes;
        let stream = &mut self.streams[side.index()];
        for (offset, data) in frames.crypto {
            stream.push(offset, data, max);
        }
        while let Some((kind, body)) = self.streams[side.index()].next_message() {
            match kind {
                CLIENT_HELLO if from_client => {
                    // QUIC has no record layer: the hello's record version
                    // is the one TLS 1.3 freezes (RFC 8446 §5.1).
                    if let Some(ch) = parse_client_hello(&body, Version::TLS12) {
                        self.handshake
                            .apply(Event::ClientHello(Box::new(ch)), side, ts, index);
                    }
                }
                SERVER_HELLO if !from_client => {
                    if let Some(sh) = parse_server_hello(&body) {
                        self.handshake
                            .apply(Event::ServerHello(Box::new(sh)), side, ts, index);
                    }
                }
                _ => {}
            }
        }
        if let Some(code) = frames.close {
            // RFC 9001 §4.8: 0x0100 + a TLS alert.
            if let Ok(alert) = u8::try_from(code.wrapping_sub(0x0100)) {
                if (0x0100..=0x01ff).contains(&code) {
                    self.handshake.apply(
                        Event::Alert {
                            level: crate::tls::alert::FATAL,
                            description: alert,
                        },
                        side,
                        ts,
                        index,
                    );
                }
            }
        }
        Ok(())
    }

    /// The record, once the connection ends (or its handshake is known).
    pub fn finish(
        self,
        key: &FlowKey,
        end: End,
        certs: &mut LeafCache,
    ) -> Option<ConnectionRecord> {
        let info = self.info;
        let client = self.handshake.client_side().unwrap_or(Side::Lo);
        let mut rec = self.handshake.finish(
            Ending::datagram(
                [key.lo(), key.hi()],
                end,
                self.streams.iter().any(|s| s.over),
            ),
            certs,
        )?;
        rec.packets = self.packets;
        rec.tunnel = self.tunnel.for_client(client);
        rec.quic = Some(info);
        Some(rec)
    }
}

/// Does this datagram from `side` start a new connection on the addresses
/// of a finished one (the client's ephemeral port reused): a client
/// Initial to a connection id the finished one never used?
pub fn starts_another(data: &[u8], side: Side, client: Option<Side>, ids: &[Vec<u8>]) -> bool {
    let Ok((h, _)) = long_header(data) else {
        return false;
    };
    h.kind == PacketType::Initial
        && h.version.is_known()
        && client == Some(side)
        && !ids.iter().any(|i| i == h.dcid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_pieces_out_of_order_and_overlapping_keep_the_first_copy() {
        let mut s = CryptoStream::default();
        s.push(4, b"EFGH", 100);
        s.push(0, b"ABCD", 100);
        assert_eq!(s.bytes, b"ABCDEFGH");
        s.push(2, b"xxxxXX", 100);
        assert_eq!(s.bytes, b"ABCDEFGH", "bytes held keep their first copy");
        s.push(8, b"IJ", 100);
        assert_eq!(s.bytes, b"ABCDEFGHIJ");
    }

    #[test]
    fn offsets_near_the_top_of_the_varint_range_are_refused() {
        let mut s = CryptoStream::default();
        s.push((1 << 62) - 1, b"x", 65_536);
        assert!(s.over);
        let mut s = CryptoStream::default();
        s.push(u64::MAX, b"xy", 65_536);
        assert!(s.over);
    }

    #[test]
    fn messages_come_out_once_whole() {
        let mut s = CryptoStream::default();
        s.push(0, &[1, 0, 0, 3, 9], 100);
        assert_eq!(s.next_message(), None);
        s.push(5, &[8, 7, 2, 0, 0, 0], 100);
        assert_eq!(s.next_message(), Some((1, vec![9, 8, 7])));
        assert_eq!(s.next_message(), Some((2, vec![])));
        assert_eq!(s.next_message(), None);
    }
}
