//! The TLS scanner: one direction's reassembled bytes in, handshake events out.
//!
//! It finds where TLS starts (at the first byte; after a plaintext preamble
//! such as STARTTLS, an HTTP CONNECT or an RDP negotiation; or mid-stream
//! when the capture started late), walks TLS records (RFC 8446 §5.1,
//! RFC 5246 §6.2) or SSL 2.0 records, reassembles handshake messages that
//! span records, and reports what matters for versions and failures:
//! hellos, alerts, ChangeCipherSpec, the first application data.
//!
//! Only ClientHello and ServerHello (and draft-era HelloRetryRequest) bodies
//! are buffered; every other message and record body is skipped by count
//! without being copied, so a direction costs at most one hello of memory.
//! Each direction stops after `max_bytes` bytes. The scanner is pure: bytes
//! in, [`Event`]s out, no I/O, no clock, no panic on any input.
//!
//! Capture gaps (bytes the snapshot length cut off) are handled in place: a
//! hello cut short is read as far as it goes and marked partial, and record
//! boundaries are kept as long as the gap ends inside a record.

use memchr::memchr2_iter;

use super::cipher::CipherSuite;
use super::hello::{self, ClientHello, ServerHello};
use super::version::Version;

/// RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
pub const MAX_RECORD: usize = (1 << 14) + 2048;

const CT_CHANGE_CIPHER_SPEC: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPLICATION_DATA: u8 = 23;
const CT_HEARTBEAT: u8 = 24;

const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;
const HS_DRAFT_HELLO_RETRY: u8 = 6;

const SSL2_CLIENT_HELLO: u8 = 1;
const SSL2_CLIENT_MASTER_KEY: u8 = 2;
const SSL2_SERVER_HELLO: u8 = 4;

/// What the scanner saw, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    ClientHello(Box<ClientHello>),
    /// A ServerHello, HelloRetryRequest (`retry`) or SSL 2.0 SERVER-HELLO.
    ServerHello(Box<ServerHello>),
    /// The cipher the client chose in SSL 2.0 CLIENT-MASTER-KEY.
    Sslv2CipherChosen(CipherSuite),
    /// A cleartext alert.
    Alert {
        level: u8,
        description: u8,
    },
    /// An alert record whose body is encrypted.
    EncryptedAlert,
    ChangeCipherSpec,
    /// The first application-data record of this direction.
    ApplicationData,
    /// A handshake message we could not read at all.
    Malformed(Malformed),
    /// The scanner will not look at this direction again.
    Stopped(Stop),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A ClientHello or ServerHello too short to hold even its version.
    BadHello,
    /// A handshake message declaring more bytes than the per-flow cap.
    HandshakeTooLong { declared: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The per-direction byte cap was reached.
    ByteCap,
    /// Bytes that are not a TLS record where a record header must be.
    BadRecord,
    /// A capture gap swallowed a record header: record boundaries are lost.
    LostSync,
    /// An SSL 2.0 handshake went past its cleartext part.
    Sslv2Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing decided yet: waiting for the first bytes.
    Start,
    /// Looking for a TLS hello or alert after a non-TLS preamble.
    Search,
    Records,
    Sslv2,
    Stopped,
}

/// Handshake-message reassembly across records (RFC 8446 §5.1: messages
/// may span records, and records may carry several messages).
#[derive(Debug, Default)]
struct Handshake {
    hdr: Partial<4>,
    in_msg: bool,
    msg_type: u8,
    msg_left: usize,
    /// Buffer this message (it is a hello).
    collect: bool,
    buf: Vec<u8>,
    /// Record version of the record that started the message.
    record_version: Version,
    /// Message boundaries are lost; skip handshake bytes from now on.
    broken: bool,
}

#[derive(Debug)]
pub struct Scanner {
    state: State,
    fed: u64,
    max_bytes: u64,
    /// Start: the first bytes; Search: the tail (at most 5 bytes) that may
    /// begin a match.
    head: Partial<6>,
    /// Sslv2: the record being read.
    window: Vec<u8>,
    hdr: Partial<5>,
    record_type: u8,
    record_version: Version,
    body_left: usize,
    /// Alert record state: bytes of the current alert, and whether this
    /// record's alerts are readable.
    alert: Partial<2>,
    alert_clear: bool,
    hs: Handshake,
    after_ccs: bool,
    tls13: bool,
    app_data_seen: bool,
    sslv2_seen: bool,
}

impl Scanner {
    pub fn new(max_bytes: usize) -> Scanner {
        Scanner {
            state: State::Start,
            fed: 0,
            max_bytes: max_bytes as u64,
            head: Partial::default(),
            window: Vec::new(),
            hdr: Partial::default(),
            record_type: 0,
            record_version: Version(0),
            body_left: 0,
            alert: Partial::default(),
            alert_clear: false,
            hs: Handshake::default(),
            after_ccs: false,
            tls13: false,
            app_data_seen: false,
            sslv2_seen: false,
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

    /// A hello has begun and not ended: its remaining bytes never came.
    pub fn hello_unfinished(&self) -> bool {
        self.hs.in_msg && self.hs.collect
    }

    /// Bytes buffered by this scanner (for memory accounting).
    pub fn buffered(&self) -> usize {
        self.window.capacity() + self.hs.buf.capacity()
    }

    /// Feeds the next in-order bytes of this direction.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Event>) {
        if self.state == State::Stopped || data.is_empty() {
            return;
        }
        let room = self.max_bytes.saturating_sub(self.fed);
        let capped = data.len() as u64 > room;
        let data = data.get(..room as usize).unwrap_or(data);
        self.fed += data.len() as u64;
        self.feed(data, out);
        if capped {
            self.stop(Stop::ByteCap, out);
        }
    }

    /// Reports `n` bytes of this direction that the capture did not keep.
    pub fn gap(&mut self, n: u64, out: &mut Vec<Event>) {
        if self.state == State::Stopped || n == 0 {
            return;
        }
        self.fed = self.fed.saturating_add(n);
        match self.state {
            State::Start | State::Search => {
                self.head.clear();
                self.state = State::Search;
            }
            State::Records => self.records_gap(n, out),
            State::Sslv2 | State::Stopped => self.stop(Stop::LostSync, out),
        }
        if self.fed >= self.max_bytes {
            self.stop(Stop::ByteCap, out);
        }
    }

    fn stop(&mut self, why: Stop, out: &mut Vec<Event>) {
        if self.state != State::Stopped {
            self.state = State::Stopped;
            self.window = Vec::new();
            self.hs.buf = Vec::new();
            out.push(Event::Stopped(why));
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut Vec<Event>) {
        match self.state {
            State::Start => self.start(data, out),
            State::Search => self.search(data, out),
            State::Records => self.records(data, out),
            State::Sslv2 => self.sslv2(data, out),
            State::Stopped => {}
        }
    }

    /// Decides from the first six bytes what this stream is.
    fn start(&mut self, data: &[u8], out: &mut Vec<Event>) {
        let (head, rest) = self.head.fill(data);
        let Some(head) = head else {
            return;
        };
        self.state = if is_record_header(&head) {
            State::Records
        } else if self.is_sslv2_record(&head) {
            State::Sslv2
        } else {
            State::Search
        };
        self.feed(&head, out);
        self.feed(rest, out);
    }

    fn is_sslv2_record(&self, b: &[u8]) -> bool {
        let [b0, b1, msg, v0, v1, ..] = *b else {
            return false;
        };
        let len = (usize::from(b0 & 0x7f) << 8) | usize::from(b1);
        let hello = match msg {
            // CLIENT-HELLO: msg, version.
            SSL2_CLIENT_HELLO => {
                let version = Version(u16::from_be_bytes([v0, v1]));
                version == Version::SSL2 || (0x0300..=0x0304).contains(&version.0)
            }
            // SERVER-HELLO: msg, session-id-hit (0/1), certificate type
            // (1 = X.509), then the version.
            SSL2_SERVER_HELLO => v0 <= 1 && v1 == 1,
            _ => false,
        };
        b0 & 0x80 != 0 && len >= 3 && (hello || (self.sslv2_seen && msg == SSL2_CLIENT_MASTER_KEY))
    }

    /// Looks for the first TLS handshake record holding a hello, or a
    /// cleartext alert record, after a plaintext preamble.
    fn search(&mut self, data: &[u8], out: &mut Vec<Event>) {
        // A match may begin in the tail kept from the previous push.
        if !self.head.is_empty() {
            let tail = self.head.take();
            let tail_len = tail.len();
            let mut joint = [0u8; 11];
            let joint = copy_joined(&mut joint, &tail, data);
            match find_tls_start(joint) {
                Some(i) if i < tail_len => {
                    self.state = State::Records;
                    self.records(joint.get(i..tail_len).unwrap_or_default(), out);
                    self.feed(data, out);
                    return;
                }
                Some(_) => {}
                None if data.len() < 5 => {
                    // Still too short to decide; keep the last five bytes.
                    self.keep_tail(joint);
                    return;
                }
                None => {}
            }
        }
        match find_tls_start(data) {
            Some(i) => {
                self.state = State::Records;
                self.records(data.get(i..).unwrap_or_default(), out);
            }
            None => self.keep_tail(data),
        }
    }

    /// Keeps the last five bytes of `data`: a match needs six.
    fn keep_tail(&mut self, data: &[u8]) {
        let (_, tail) = data.split_at(data.len().saturating_sub(5));
        self.head.set(tail);
    }

    fn records(&mut self, mut data: &[u8], out: &mut Vec<Event>) {
        while !data.is_empty() && self.state == State::Records {
            if self.body_left == 0 {
                let (hdr, rest) = self.hdr.fill(data);
                data = rest;
                let Some(hdr) = hdr else {
                    return;
                };
                if !is_record_header(&hdr) {
                    self.stop(Stop::BadRecord, out);
                    return;
                }
                self.begin_record(hdr, out);
                continue;
            }
            let take = self.body_left.min(data.len());
            let (body, rest) = data.split_at(take);
            data = rest;
            self.body_left -= take;
            match self.record_type {
                CT_HANDSHAKE if self.handshake_is_clear() => self.handshake(body, out),
                CT_ALERT if self.alert_clear => {
                    let mut body = body;
                    while !body.is_empty() {
                        let (alert, rest) = self.alert.fill(body);
                        body = rest;
                        if let Some([level, description]) = alert {
                            out.push(Event::Alert { level, description });
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn begin_record(&mut self, hdr: [u8; 5], out: &mut Vec<Event>) {
        let [ct, v0, v1, l0, l1] = hdr;
        self.record_type = ct;
        self.record_version = Version(u16::from_be_bytes([v0, v1]));
        self.body_left = usize::from(u16::from_be_bytes([l0, l1]));
        match ct {
            CT_CHANGE_CIPHER_SPEC => {
                self.after_ccs = true;
                out.push(Event::ChangeCipherSpec);
            }
            CT_ALERT => {
                // RFC 5246 §7.2: a cleartext alert is two bytes; after this
                // side's ChangeCipherSpec (TLS <= 1.2) alerts are encrypted.
                let encrypted = (self.after_ccs && !self.tls13)
                    || self.body_left % 2 != 0
                    || self.body_left == 0
                    || self.body_left > 8;
                self.alert_clear = !encrypted;
                self.alert.clear();
                if encrypted {
                    out.push(Event::EncryptedAlert);
                }
            }
            CT_APPLICATION_DATA if !self.app_data_seen => {
                self.app_data_seen = true;
                out.push(Event::ApplicationData);
            }
            _ => {}
        }
    }

    /// Handshake records are cleartext until this side's ChangeCipherSpec,
    /// except in TLS 1.3 where ChangeCipherSpec is a no-op.
    fn handshake_is_clear(&self) -> bool {
        !self.hs.broken && (!self.after_ccs || self.tls13)
    }

    fn handshake(&mut self, mut body: &[u8], out: &mut Vec<Event>) {
        while !body.is_empty() && !self.hs.broken {
            let hs = &mut self.hs;
            if !hs.in_msg {
                let (hdr, rest) = hs.hdr.fill(body);
                body = rest;
                let Some([msg_type, a, b, c]) = hdr else {
                    return;
                };
                let len = u32::from_be_bytes([0, a, b, c]);
                hs.in_msg = true;
                hs.msg_type = msg_type;
                hs.msg_left = len as usize;
                hs.record_version = self.record_version;
                hs.collect = matches!(
                    msg_type,
                    HS_CLIENT_HELLO | HS_SERVER_HELLO | HS_DRAFT_HELLO_RETRY
                );
                if hs.collect && u64::from(len) > self.max_bytes {
                    hs.broken = true;
                    out.push(Event::Malformed(Malformed::HandshakeTooLong {
                        declared: len,
                    }));
                    return;
                }
                hs.buf.clear();
                if hs.collect {
                    // Room for the whole hello at once when it is of a usual
                    // size; a larger declared length is not trusted.
                    hs.buf.reserve_exact(hs.msg_left.min(4096));
                }
                if hs.msg_left == 0 {
                    self.finish_message(false, out);
                }
                continue;
            }
            let (part, rest) = body.split_at(hs.msg_left.min(body.len()));
            if hs.collect {
                hs.buf.extend_from_slice(part);
            }
            hs.msg_left -= part.len();
            body = rest;
            if hs.msg_left == 0 {
                self.finish_message(false, out);
            }
        }
    }

    /// A buffered message is complete (or `cut` short by a capture gap).
    fn finish_message(&mut self, cut: bool, out: &mut Vec<Event>) {
        let hs = &mut self.hs;
        hs.in_msg = false;
        if !hs.collect {
            return;
        }
        hs.collect = false;
        let body = hs.buf.as_slice();
        let event = match (hs.msg_type, cut) {
            (HS_CLIENT_HELLO, false) => hello::parse_client_hello(body, hs.record_version)
                .map(|h| Event::ClientHello(Box::new(h))),
            (HS_CLIENT_HELLO, true) => {
                hello::parse_client_hello_lax(body, hs.record_version).map(|mut h| {
                    h.partial = true;
                    Event::ClientHello(Box::new(h))
                })
            }
            (HS_SERVER_HELLO, false) => {
                hello::parse_server_hello(body).map(|h| Event::ServerHello(Box::new(h)))
            }
            (HS_SERVER_HELLO, true) => hello::parse_server_hello_lax(body).map(|mut h| {
                h.partial = true;
                Event::ServerHello(Box::new(h))
            }),
            (_, _) => hello::parse_draft_hello_retry(body).map(|h| Event::ServerHello(Box::new(h))),
        };
        out.push(event.unwrap_or(Event::Malformed(Malformed::BadHello)));
        hs.buf.clear();
        if hs.buf.capacity() > 4096 {
            hs.buf = Vec::new();
        }
    }

    fn records_gap(&mut self, mut n: u64, out: &mut Vec<Event>) {
        while n > 0 {
            if self.body_left == 0 {
                // The gap covers (part of) a record header.
                self.stop(Stop::LostSync, out);
                return;
            }
            let k = (self.body_left as u64).min(n) as usize;
            self.body_left -= k;
            n -= k as u64;
            if self.record_type == CT_HANDSHAKE && self.handshake_is_clear() {
                self.handshake_gap(k, out);
            }
            self.alert.clear();
        }
    }

    fn handshake_gap(&mut self, mut k: usize, out: &mut Vec<Event>) {
        if !self.hs.in_msg {
            // The next handshake header is (partly) lost.
            self.hs.broken = true;
            return;
        }
        let lost = k.min(self.hs.msg_left);
        self.hs.msg_left -= lost;
        k -= lost;
        self.finish_message(true, out);
        if self.hs.msg_left > 0 {
            // Skip the rest of the cut message.
            self.hs.in_msg = true;
            self.hs.collect = false;
        } else if k > 0 {
            self.hs.broken = true;
        }
    }

    fn sslv2(&mut self, data: &[u8], out: &mut Vec<Event>) {
        self.window.extend_from_slice(data);
        loop {
            let Some((hdr_len, body_len)) = sslv2_header(&self.window) else {
                return;
            };
            let Some(body) = self.window.get(hdr_len..hdr_len + body_len) else {
                return;
            };
            let msg_type = body.first().copied();
            let event =
                match msg_type {
                    Some(SSL2_CLIENT_HELLO) => hello::parse_sslv2_client_hello(body)
                        .map(|h| Event::ClientHello(Box::new(h))),
                    Some(SSL2_SERVER_HELLO) => hello::parse_sslv2_server_hello(body)
                        .map(|h| Event::ServerHello(Box::new(h))),
                    Some(SSL2_CLIENT_MASTER_KEY) => {
                        hello::parse_sslv2_client_master_key(body).map(Event::Sslv2CipherChosen)
                    }
                    _ => None,
                };
            let upgrade = match &event {
                Some(Event::ClientHello(h)) => h.legacy_version >= Version::SSL3,
                _ => false,
            };
            let continues = matches!(event, Some(Event::ClientHello(_)));
            out.push(event.unwrap_or(Event::Malformed(Malformed::BadHello)));
            if !continues {
                self.stop(Stop::Sslv2Done, out);
                return;
            }
            let rest = self.window.split_off(hdr_len + body_len);
            self.window.clear();
            self.sslv2_seen = true;
            if upgrade {
                // An SSLv2-format hello offering SSL 3.0 or TLS: the rest is
                // TLS records, or SSL 2.0 if the server only speaks that.
                self.state = State::Start;
                self.feed(&rest, out);
                return;
            }
            self.window = rest;
        }
    }
}

/// A fixed-size header filled across pushes: a record header, a handshake
/// message header, an alert, the first bytes of a stream.
#[derive(Debug, Clone, Copy)]
struct Partial<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Partial<N> {
    fn default() -> Self {
        Partial {
            bytes: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Partial<N> {
    /// Takes from `data` what is still missing; returns the header once
    /// whole (and starts over), and the rest of `data`.
    fn fill<'a>(&mut self, data: &'a [u8]) -> (Option<[u8; N]>, &'a [u8]) {
        let (now, rest) = data.split_at(N.saturating_sub(self.len).min(data.len()));
        if let Some(dst) = self.bytes.get_mut(self.len..self.len + now.len()) {
            dst.copy_from_slice(now);
        }
        self.len += now.len();
        if self.len < N {
            return (None, rest);
        }
        self.len = 0;
        (Some(self.bytes), rest)
    }

    /// Holds the first `N - 1` bytes of `data` (short of a whole header).
    fn set(&mut self, data: &[u8]) {
        self.len = 0;
        let keep = data.len().min(N.saturating_sub(1));
        let _ = self.fill(data.get(..keep).unwrap_or_default());
    }

    /// The bytes held, emptying it.
    fn take(&mut self) -> Vec<u8> {
        let held = self.bytes.get(..self.len).unwrap_or_default().to_vec();
        self.len = 0;
        held
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// `a` followed by the first bytes of `b`, in `buf`, as far as it holds.
fn copy_joined<'b>(buf: &'b mut [u8], a: &[u8], b: &[u8]) -> &'b [u8] {
    let mut n = 0;
    for &byte in a.iter().chain(b) {
        let Some(slot) = buf.get_mut(n) else {
            break;
        };
        *slot = byte;
        n += 1;
    }
    buf.get(..n).unwrap_or_default()
}

/// A plausible TLS record header: a known content type, version 3.x
/// (SSL 3.0 to TLS 1.3), a length no larger than [`MAX_RECORD`].
fn is_record_header(b: &[u8]) -> bool {
    let [ct, major, minor, l0, l1, ..] = *b else {
        return false;
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    (CT_CHANGE_CIPHER_SPEC..=CT_HEARTBEAT).contains(&ct)
        && major == 3
        && minor <= 4
        && len <= MAX_RECORD
}

/// Offset of the first record in `buf` that opens a TLS handshake with a
/// hello, or is a cleartext alert. Needs six bytes at the match.
fn find_tls_start(buf: &[u8]) -> Option<usize> {
    memchr2_iter(CT_HANDSHAKE, CT_ALERT, buf).find(|&i| {
        let Some(&[ct, major, minor, l0, l1, first]) = buf.get(i..i + 6) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if major != 3 || minor > 4 {
            return false;
        }
        match ct {
            CT_HANDSHAKE => {
                (4..=MAX_RECORD).contains(&len)
                    && matches!(first, HS_CLIENT_HELLO | HS_SERVER_HELLO)
            }
            _ => len == 2 && matches!(first, 1 | 2),
        }
    })
}

/// (header length, body length) of the SSL 2.0 record at the start of `b`.
fn sslv2_header(b: &[u8]) -> Option<(usize, usize)> {
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    if b0 & 0x80 != 0 {
        Some((2, (usize::from(b0 & 0x7f) << 8) | usize::from(b1)))
    } else {
        b.get(2)?;
        Some((3, (usize::from(b0 & 0x3f) << 8) | usize::from(b1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut s = Scanner::new(1 << 16);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        out
    }

    #[test]
    fn plaintext_preamble_then_alert_is_found() {
        let events = scan_all(&[
            b"220 2.0.0 Ready to start TLS\r\n",
            &[0x15, 3, 1, 0, 2, 2, 70],
        ]);
        assert_eq!(
            events,
            vec![Event::Alert {
                level: 2,
                description: 70
            }]
        );
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
            vec![Event::ApplicationData, Event::Stopped(Stop::ByteCap)]
        );
        assert!(s.is_stopped());
    }

    #[test]
    fn garbage_where_a_record_must_be_stops() {
        let events = scan_all(&[&[0x17, 3, 3, 0, 1, 0], b"GET / HTTP/1.1"]);
        assert_eq!(
            events,
            vec![Event::ApplicationData, Event::Stopped(Stop::BadRecord)]
        );
    }
}
