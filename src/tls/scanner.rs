//! One direction of a TLS stream: bytes in, [`Event`]s out.
//!
//! The bytes start where TLS starts (finding that start inside another
//! protocol is `encap`'s job). The scanner tells TLS records from SSL 2.0
//! records by the first bytes, walks the records ([`super::record`]) or SSL
//! 2.0 records ([`super::sslv2`]), passes handshake bytes to the
//! [`HandshakeReader`], reads cleartext alerts, and reports
//! ChangeCipherSpec, encrypted handshake records and application-data
//! records with their length — what the handshake state machine needs to
//! tell a completed handshake from an abandoned one.
//!
//! Nothing but a hello and the leaf of the first Certificate message is
//! buffered; every other body is skipped by count without being copied,
//! so a direction costs at most one hello (or leaf) of memory. Each
//! direction stops after `max_bytes` bytes, plus the length of its first
//! Certificate message when that is within its own cap (a chain of many
//! certificates is longer than a whole handshake otherwise is). The scanner is pure: bytes
//! in, events out, no I/O, no clock, no panic on any input.
//!
//! Capture gaps (bytes the snapshot length cut off) are handled in place: a
//! hello cut short is read as far as it goes and marked partial, and record
//! boundaries are kept as long as the gap ends inside a record.

use super::event::{Event, Stop};
use super::handshake::HandshakeReader;
use super::reader::Partial;
use super::record::{
    CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, Piece, RecordHeader,
    RecordLayer, is_record_header,
};
use super::sslv2::{self, Next, Sslv2Reader};

/// The default cap on a Certificate message's bytes: 1 MiB, three times
/// the largest chain in the shared corpus (339 KB over 22 records).
pub const DEFAULT_MAX_CERTIFICATE_BYTES: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing decided yet: waiting for the first bytes.
    Start,
    Records,
    Sslv2,
    Stopped,
}

#[derive(Debug)]
pub struct Scanner {
    state: State,
    fed: u64,
    max_bytes: u64,
    /// Start: the first bytes.
    head: Partial<6>,
    records: RecordLayer,
    hs: HandshakeReader,
    sslv2: Sslv2Reader,
    /// Alert record state: bytes of the current alert, and whether this
    /// record's alerts are readable.
    alert: Partial<2>,
    alert_clear: bool,
    /// This alert record is a NULL-cipher one: its first alert is clear,
    /// the rest is its MAC.
    alert_then_mac: bool,
    after_ccs: bool,
    tls13: bool,
    /// A NULL-encryption suite was negotiated: records after
    /// ChangeCipherSpec are plaintext followed by a MAC.
    null_cipher: bool,
}

impl Scanner {
    /// A scanner that reads `max_bytes` of a direction, and the first
    /// Certificate message beyond them up to [`DEFAULT_MAX_CERTIFICATE_BYTES`].
    pub fn new(max_bytes: usize) -> Scanner {
        Scanner::with_certificate_cap(max_bytes, DEFAULT_MAX_CERTIFICATE_BYTES)
    }

    /// A scanner that reads `max_bytes` of a direction, and a Certificate
    /// message of up to `max_cert_bytes` beyond them (a larger one is
    /// skipped within `max_bytes`).
    pub fn with_certificate_cap(max_bytes: usize, max_cert_bytes: usize) -> Scanner {
        Scanner {
            state: State::Start,
            fed: 0,
            max_bytes: max_bytes as u64,
            head: Partial::default(),
            records: RecordLayer::default(),
            hs: HandshakeReader::new(max_bytes, max_cert_bytes),
            sslv2: Sslv2Reader::default(),
            alert: Partial::default(),
            alert_clear: false,
            alert_then_mac: false,
            after_ccs: false,
            tls13: false,
            null_cipher: false,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.state == State::Stopped
    }

    /// TLS 1.3 was negotiated (or a HelloRetryRequest seen): ChangeCipherSpec
    /// is only for middlebox compatibility and does not start encryption
    /// (RFC 8446 §5; encrypted records are application_data).
    pub fn set_tls13(&mut self) {
        self.tls13 = true;
    }

    /// A NULL-encryption suite was negotiated (TLS_RSA_WITH_NULL_SHA256,
    /// ...): alerts after ChangeCipherSpec are readable, each record one
    /// alert and its MAC (RFC 5246 §6.2.3.1).
    pub fn set_null_cipher(&mut self) {
        self.null_cipher = true;
    }

    /// A hello has begun and not ended: its remaining bytes never came.
    pub fn hello_unfinished(&self) -> bool {
        self.hs.hello_unfinished()
    }

    /// Bytes buffered by this scanner (for memory accounting).
    pub fn buffered(&self) -> usize {
        self.sslv2.buffered() + self.hs.buffered()
    }

    /// Feeds the next in-order bytes of this direction.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Event>) {
        while self.state != State::Stopped && !data.is_empty() {
            let credit = self.hs.credit();
            let room = self.cap().saturating_sub(self.fed);
            let (now, rest) = data.split_at((room.min(data.len() as u64)) as usize);
            self.fed += now.len() as u64;
            self.feed(now, out);
            data = rest;
            // A Certificate message that began in `now` raised the cap: the
            // rest may go on.
            if !data.is_empty() && self.hs.credit() == credit {
                self.stop(Stop::ByteCap, out);
            }
        }
    }

    /// The direction's byte cap: `max_bytes`, plus the length of its
    /// Certificate message once that began.
    fn cap(&self) -> u64 {
        self.max_bytes.saturating_add(self.hs.credit())
    }

    /// Reports `n` bytes of this direction that the capture did not keep.
    pub fn gap(&mut self, n: u64, out: &mut Vec<Event>) {
        if self.state == State::Stopped || n == 0 {
            return;
        }
        self.fed = self.fed.saturating_add(n);
        match self.state {
            State::Records => {
                let loss = self.records.gap(n);
                if loss.in_record > 0 {
                    if self.records.current().content_type == CT_HANDSHAKE
                        && self.handshake_is_clear()
                    {
                        self.hs.gap(loss.in_record, out);
                    }
                    self.alert.clear();
                }
                if !loss.in_sync {
                    // The gap covers (part of) a record header.
                    self.stop(Stop::LostSync, out);
                }
            }
            State::Start | State::Sslv2 | State::Stopped => self.stop(Stop::LostSync, out),
        }
        if self.fed >= self.cap() {
            self.stop(Stop::ByteCap, out);
        }
    }

    /// The direction ends here (the connection closed, or its tracking
    /// ended): a certificate chain still streaming is reported as cut.
    pub fn end(&mut self, out: &mut Vec<Event>) {
        self.hs.release(out);
    }

    fn stop(&mut self, why: Stop, out: &mut Vec<Event>) {
        if self.state != State::Stopped {
            self.state = State::Stopped;
            self.sslv2.release();
            self.hs.release(out);
            out.push(Event::Stopped(why));
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut Vec<Event>) {
        match self.state {
            State::Start => self.start(data, out),
            State::Records => self.records(data, out),
            State::Sslv2 => match self.sslv2.push(data, out) {
                Next::More => {}
                Next::Done => self.stop(Stop::Sslv2Done, out),
                Next::Upgrade(rest) => {
                    self.state = State::Start;
                    self.feed(&rest, out);
                }
            },
            State::Stopped => {}
        }
    }

    /// Decides from the first six bytes which record format this is.
    fn start(&mut self, data: &[u8], out: &mut Vec<Event>) {
        let (head, rest) = self.head.fill(data);
        let Some(head) = head else {
            return;
        };
        self.state = if is_record_header(&head) {
            State::Records
        } else if sslv2::is_record(&head, self.sslv2.hello_seen) {
            State::Sslv2
        } else {
            return self.stop(Stop::BadRecord, out);
        };
        self.feed(&head, out);
        self.feed(rest, out);
    }

    fn records(&mut self, mut data: &[u8], out: &mut Vec<Event>) {
        while self.state == State::Records {
            match self.records.next(&mut data) {
                Ok(None) => return,
                Ok(Some(Piece::Header(hdr))) => self.begin_record(hdr, out),
                Ok(Some(Piece::Body(body))) => self.body(body, out),
                Err(_) => self.stop(Stop::BadRecord, out),
            }
        }
    }

    fn begin_record(&mut self, hdr: RecordHeader, out: &mut Vec<Event>) {
        let len = usize::from(hdr.len);
        match hdr.content_type {
            CT_CHANGE_CIPHER_SPEC => {
                self.after_ccs = true;
                out.push(Event::ChangeCipherSpec);
            }
            CT_ALERT => {
                // RFC 5246 §7.2: a cleartext alert is two bytes; after this
                // side's ChangeCipherSpec (TLS <= 1.2) alerts are encrypted.
                let protected = self.after_ccs && !self.tls13;
                self.alert_then_mac = protected && self.null_cipher && len >= 2;
                let encrypted =
                    !self.alert_then_mac && (protected || len % 2 != 0 || len == 0 || len > 8);
                self.alert_clear = !encrypted;
                self.alert.clear();
                if encrypted {
                    out.push(Event::EncryptedAlert);
                }
            }
            CT_APPLICATION_DATA => out.push(Event::ApplicationData { len: hdr.len }),
            CT_HANDSHAKE if self.after_ccs && !self.tls13 => out.push(Event::EncryptedHandshake),
            _ => {}
        }
    }

    fn body(&mut self, mut body: &[u8], out: &mut Vec<Event>) {
        match self.records.current().content_type {
            CT_HANDSHAKE if self.handshake_is_clear() => {
                self.hs.push(body, self.records.current().version, out);
            }
            CT_ALERT if self.alert_clear => {
                while !body.is_empty() {
                    let (alert, rest) = self.alert.fill(body);
                    body = rest;
                    if let Some([level, description]) = alert {
                        out.push(Event::Alert { level, description });
                        if self.alert_then_mac {
                            self.alert_clear = false;
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Handshake records are cleartext until this side's ChangeCipherSpec,
    /// except in TLS 1.3 where ChangeCipherSpec is a no-op.
    fn handshake_is_clear(&self) -> bool {
        !self.hs.is_broken() && (!self.after_ccs || self.tls13)
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::Malformed;
    use super::super::hello;
    use super::super::version::Version;
    use super::*;

    fn scan_all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut s = Scanner::new(1 << 16);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        out
    }

    proptest::proptest! {
        /// Arbitrary bytes in arbitrary pieces, behind a real record header
        /// or not: no panic, and what is held stays within the cap.
        #[test]
        fn arbitrary_streams_never_panic(
            tls in proptest::bool::ANY,
            data in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..3000),
            piece in 1usize..200,
        ) {
            let mut s = Scanner::new(1024);
            let mut out = Vec::new();
            if tls {
                s.push(&[0x16, 3, 1, 0x0b, 0xb8, 1, 0, 0x0b, 0xb4], &mut out);
            }
            for chunk in data.chunks(piece) {
                s.push(chunk, &mut out);
                proptest::prop_assert!(s.buffered() <= 2 * 1024 + 4096);
            }
        }

        /// The hello parsers on arbitrary bodies: no panic.
        #[test]
        fn arbitrary_hello_bodies_never_panic(
            body in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..600),
        ) {
            let _ = hello::parse_client_hello(&body, Version::TLS12);
            let _ = hello::parse_client_hello_lax(&body, Version::TLS12);
            let _ = hello::parse_server_hello(&body);
            let _ = hello::parse_sslv2_client_hello(&body);
            let _ = hello::parse_sslv2_server_hello(&body);
        }
    }

    #[test]
    fn a_record_header_split_one_byte_at_a_time() {
        let rec = [0x15u8, 3, 3, 0, 2, 1, 112];
        let chunks: Vec<&[u8]> = rec.chunks(1).collect();
        assert_eq!(
            scan_all(&chunks),
            vec![Event::Alert {
                level: 1,
                description: 112
            }]
        );
    }

    #[test]
    fn a_huge_declared_hello_is_refused_without_buffering() {
        let mut s = Scanner::new(1 << 16);
        let mut out = Vec::new();
        s.push(&[0x16, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff], &mut out);
        assert_eq!(
            out,
            vec![Event::Malformed(Malformed::HandshakeTooLong {
                declared: 0xffffff
            })]
        );
        assert!(s.buffered() < 64);
    }

    #[test]
    fn byte_cap_stops_the_direction() {
        let mut s = Scanner::new(10);
        let mut out = Vec::new();
        s.push(&[0x17, 3, 3, 0x10, 0], &mut out);
        s.push(&[0u8; 20], &mut out);
        assert_eq!(
            out,
            vec![
                Event::ApplicationData { len: 0x1000 },
                Event::Stopped(Stop::ByteCap)
            ]
        );
        assert!(s.is_stopped());
    }

    /// Handshake messages framed into records of at most `max` bytes.
    fn handshake_records(msgs: &[(u8, Vec<u8>)], max: usize) -> Vec<u8> {
        let mut hs = Vec::new();
        for (kind, body) in msgs {
            hs.push(*kind);
            hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
            hs.extend_from_slice(body);
        }
        let mut out = Vec::new();
        for chunk in hs.chunks(max) {
            out.extend_from_slice(&[0x16, 3, 3]);
            out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            out.extend_from_slice(chunk);
        }
        out
    }

    /// A Certificate message of `filler` bytes in a second entry after a
    /// 3-byte leaf.
    fn chain(filler: usize) -> Vec<u8> {
        let list = 3 + 3 + 3 + filler;
        let mut body = (list as u32).to_be_bytes()[1..].to_vec();
        body.extend_from_slice(&[0, 0, 3, 0x30, 1, 0]);
        body.extend_from_slice(&(filler as u32).to_be_bytes()[1..]);
        body.resize(3 + list, 7);
        body
    }

    #[test]
    fn a_certificate_message_is_read_past_the_byte_cap_up_to_its_own() {
        let stream = handshake_records(&[(11, chain(40_000)), (14, vec![])], 16_384);
        for piece in [1, 700, 1460, stream.len()] {
            let mut s = Scanner::with_certificate_cap(1024, 1 << 20);
            let mut out = Vec::new();
            for chunk in stream.chunks(piece) {
                s.push(chunk, &mut out);
            }
            let chains: Vec<_> = out
                .iter()
                .filter_map(|e| match e {
                    Event::Certificate(c) => Some(c.chain_length),
                    _ => None,
                })
                .collect();
            assert_eq!(chains, [2], "pieces of {piece}");
            assert_eq!(out.last(), Some(&Event::Handshake(14)), "pieces of {piece}");
            assert!(!s.is_stopped());
            assert!(s.buffered() < 1024);
        }
        // Over its own cap: skipped, and the byte cap stops the direction.
        let mut s = Scanner::with_certificate_cap(1024, 30_000);
        let mut out = Vec::new();
        s.push(&stream, &mut out);
        assert_eq!(
            out,
            vec![
                Event::Handshake(11),
                Event::Certificate(Box::new(super::super::certificate::too_long())),
                Event::Stopped(Stop::ByteCap)
            ]
        );
    }

    #[test]
    fn garbage_where_a_record_must_be_stops() {
        let events = scan_all(&[&[0x17, 3, 3, 0, 1, 0], b"GET / HTTP/1.1"]);
        assert_eq!(
            events,
            vec![
                Event::ApplicationData { len: 1 },
                Event::Stopped(Stop::BadRecord)
            ]
        );
    }
}
