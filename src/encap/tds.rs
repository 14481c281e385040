//! SQL Server's TDS 7.x framing: the TLS handshake inside PRELOGIN packets
//! (MS-TDS 2.2.3.1 packet header, 2.2.6.5 PRELOGIN).
//!
//! A TDS 7.x client opens with a PRELOGIN message (packet type 0x12): an
//! option list with its driver version and whether it wants encryption. The
//! server answers with its own option list in a tabular-result packet (type
//! 0x04). If they agree on TLS, both sides carry their TLS handshake as the
//! raw payload of further PRELOGIN packets — TLS records and TDS packets
//! split independently of each other and of TCP segments — and once the
//! handshake is over TLS records run bare on the stream. Without encryption
//! the LOGIN7 (type 0x10) follows the option lists in clear; with encryption
//! for the login only, TDS runs in clear again after the encrypted LOGIN7.
//!
//! [`Framing`] is one direction of that: TDS packets in, the TLS bytes they
//! carry out to a [`Sink`], and on the way the TDS facts ([`Facts`]): the
//! option list, how many packets carried TLS, the first cleartext message
//! after PRELOGIN (a LOGIN7 and its TDS version, or the server's answer to
//! one: LOGINACK or ERROR). It reads no TDS after that first cleartext
//! message, and it parses nothing of TLS. TDS 8.0 ("strict", ALPN
//! `tds/8.0`) puts TLS first on the stream, where the step before this one
//! finds it as plain TLS.
//!
//! Bytes that cannot be TDS where a packet header must be, or a capture gap
//! across a header, end the framing with a [`Desync`]: counted and shown,
//! never guessed across.

use crate::flow::reassembly::Sink;
use crate::tls::reader::{Partial, Reader};

/// TDS packet types (MS-TDS 2.2.3.1.1).
pub const SQL_BATCH: u8 = 0x01;
pub const TABULAR_RESULT: u8 = 0x04;
pub const LOGIN7: u8 = 0x10;
pub const PRELOGIN: u8 = 0x12;

/// Packet status bit: the last packet of a message.
const END_OF_MESSAGE: u8 = 0x01;
const HEADER_LEN: usize = 8;
/// The longest first packet taken for an option list. Real ones are under
/// 100 bytes (an instance name and a nonce make them longest); a first
/// packet declaring more is not a PRELOGIN.
pub const MAX_OPTIONS_PACKET: usize = 1024;
/// Bytes of the first cleartext message kept to read what it says.
const CLEAR_KEPT: usize = 256;

/// One side's PRELOGIN ENCRYPTION option (MS-TDS 2.2.6.5, B_FENCRYPTION):
/// an open newtype, as `tls::version::Version` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encryption(pub u8);

impl Encryption {
    pub const OFF: Encryption = Encryption(0x00);
    pub const ON: Encryption = Encryption(0x01);
    pub const NOT_SUP: Encryption = Encryption(0x02);
    pub const REQ: Encryption = Encryption(0x03);
    /// ENCRYPT_CLIENT_CERT is a flag on top of the value (TDS 7.4).
    const CLIENT_CERT: u8 = 0x80;

    /// The value without the client-certificate flag.
    fn base(self) -> Encryption {
        Encryption(self.0 & !Encryption::CLIENT_CERT)
    }

    /// The name MS-TDS gives the value (`ENCRYPT_` dropped), or hex.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        let base = match self.base() {
            Encryption::OFF => "off",
            Encryption::ON => "on",
            Encryption::NOT_SUP => "not_sup",
            Encryption::REQ => "req",
            _ => return format!("0x{:02x}", self.0).into(),
        };
        if self.0 & Encryption::CLIENT_CERT != 0 {
            format!("{base}+client_cert").into()
        } else {
            base.into()
        }
    }
}

/// What a client's and a server's ENCRYPTION options amount to (the table
/// in MS-TDS 2.2.6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Negotiated {
    /// TLS for the whole connection.
    Full,
    /// TLS for the LOGIN7 only; queries and results in clear.
    LoginOnly,
    /// No TLS: the login, password included, in clear.
    None,
    /// One side needs encryption the other does not support: the
    /// connection ends before the login.
    Refused,
}

impl Negotiated {
    pub fn of(client: Encryption, server: Encryption) -> Negotiated {
        let (c, s) = (client.base(), server.base());
        let wants = |e: Encryption| e == Encryption::ON || e == Encryption::REQ;
        if c == Encryption::NOT_SUP || s == Encryption::NOT_SUP {
            if wants(c) || wants(s) {
                Negotiated::Refused
            } else {
                Negotiated::None
            }
        } else if c == Encryption::OFF && s == Encryption::OFF {
            Negotiated::LoginOnly
        } else {
            Negotiated::Full
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Negotiated::Full => "full",
            Negotiated::LoginOnly => "login_only",
            Negotiated::None => "none",
            Negotiated::Refused => "refused",
        }
    }
}

/// A sender's PRELOGIN VERSION option: for a client its driver's version,
/// for a server SQL Server's (major.minor.build, then the sub-build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductVersion(pub [u8; 6]);

impl std::fmt::Display for ProductVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [major, minor, b1, b2, s1, s2] = self.0;
        let build = u16::from_be_bytes([b1, b2]);
        let sub = u16::from_be_bytes([s1, s2]);
        write!(f, "{major}.{minor}.{build}.{sub}")
    }
}

/// A TDS protocol version as LOGIN7 and LOGINACK carry it (MS-TDS
/// 2.2.6.4: 0x74000004 is 7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TdsVersion(pub u32);

impl std::fmt::Display for TdsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.0 {
            0x7000_0000 => "7.0",
            0x7100_0000 | 0x7100_0001 => "7.1",
            0x7209_0002 => "7.2",
            0x730A_0003 => "7.3A",
            0x730B_0003 => "7.3B",
            0x7400_0004 => "7.4",
            0x0800_0000 => "8.0",
            v => return write!(f, "0x{v:08x}"),
        };
        f.write_str(name)
    }
}

/// The options of one PRELOGIN option list that tlssniff reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prelogin {
    pub version: Option<ProductVersion>,
    pub encryption: Option<Encryption>,
    /// FEDAUTHREQUIRED: the client will log in with Entra ID (Azure AD).
    pub fed_auth_required: Option<bool>,
    pub mars: Option<bool>,
}

impl Prelogin {
    /// Parses a PRELOGIN option list: entries (token, big-endian offset and
    /// length into the list) up to the 0xFF terminator, VERSION first, each
    /// pointing inside the list. Anything else is not an option list.
    pub fn parse(payload: &[u8]) -> Option<Prelogin> {
        let mut r = Reader::new(payload);
        let mut p = Prelogin::default();
        let mut first = true;
        loop {
            let token = r.u8()?;
            if token == 0xff {
                break;
            }
            let offset = usize::from(r.u16()?);
            let len = usize::from(r.u16()?);
            let data = payload.get(offset..offset.checked_add(len)?)?;
            if first && token != 0x00 {
                return None;
            }
            first = false;
            match (token, data) {
                (0x00, &[a, b, c, d, e, f, ..]) => {
                    p.version = Some(ProductVersion([a, b, c, d, e, f]))
                }
                (0x00, _) => return None,
                (0x01, &[e, ..]) => p.encryption = Some(Encryption(e)),
                (0x04, &[m, ..]) => p.mars = Some(m != 0),
                (0x06, &[f, ..]) => p.fed_auth_required = Some(f != 0),
                _ => {}
            }
        }
        (!first).then_some(p)
    }
}

/// The first cleartext message after PRELOGIN, and what it said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clear {
    /// A LOGIN7 — the login, user name and (obfuscated) password, in clear —
    /// with the TDS version it asks for.
    Login { tds_version: Option<TdsVersion> },
    /// The server's answer to a login: LOGINACK, with the TDS version it
    /// grants.
    LoginAck { tds_version: TdsVersion },
    /// The server's answer to a login: an ERROR token (18456: login failed;
    /// its state says why).
    LoginError { number: u32, state: u8 },
    /// Another TDS message, of this packet type.
    Other(u8),
}

/// Why the framing stopped reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Desync {
    /// Bytes that are not a TDS packet header where one must be.
    BadHeader,
    /// A capture gap swallowed a packet header.
    Gap,
}

impl Desync {
    pub fn as_str(self) -> &'static str {
        match self {
            Desync::BadHeader => "bad_tds_header",
            Desync::Gap => "gap_in_tds_header",
        }
    }
}

/// What one direction's TDS framing showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The option list was a client's PRELOGIN (else a server's answer).
    pub sent_by_client: bool,
    pub prelogin: Prelogin,
    /// PRELOGIN packets after the option list (they carry TLS), saturating.
    pub tls_packets: u16,
    /// TLS went on bare after the PRELOGIN packets.
    pub bare_tls: bool,
    pub clear: Option<Clear>,
    pub desync: Option<Desync>,
}

#[derive(Debug)]
enum Phase {
    /// The first packet, the option list, taken whole.
    Options(Vec<u8>),
    /// Packets after the option list.
    Packets,
    /// The first cleartext message: its first bytes, kept to read.
    Clear(Vec<u8>),
    /// TLS runs bare: everything passes.
    Bare,
    /// Nothing more is read.
    Done,
}

/// What a push decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Tds,
    /// The first packet is not a PRELOGIN option list after all: the bytes
    /// taken so far, for the next search.
    NotTds(Vec<u8>),
}

/// One direction of a TDS 7.x connection.
#[derive(Debug)]
pub struct Framing {
    phase: Phase,
    header: Partial<8>,
    /// Payload bytes still to come in the current packet, and its type.
    left: usize,
    packet_type: u8,
    last_packet: bool,
    facts: Facts,
}

/// Could these first bytes of a direction open a PRELOGIN exchange: a
/// client's PRELOGIN (0x12) or a server's answer (0x04), one whole message
/// of an option list's size?
pub fn is_prelogin_start(head: &[u8; 6]) -> bool {
    let [ty, status, hi, lo, ..] = *head;
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    (ty == PRELOGIN || ty == TABULAR_RESULT)
        && status == END_OF_MESSAGE
        && (HEADER_LEN + 6..=MAX_OPTIONS_PACKET).contains(&len)
}

impl Framing {
    /// Starts on a direction whose first bytes passed [`is_prelogin_start`].
    pub fn new() -> Framing {
        Framing {
            phase: Phase::Options(Vec::new()),
            header: Partial::default(),
            left: 0,
            packet_type: 0,
            last_packet: false,
            facts: Facts::default(),
        }
    }

    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The option list was read: this is TDS.
    pub fn is_tds(&self) -> bool {
        !matches!(self.phase, Phase::Options(_))
    }

    /// Nothing more will be read.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The next in-order bytes of the direction.
    pub fn push(&mut self, mut data: &[u8], sink: &mut impl Sink) -> Verdict {
        loop {
            match &mut self.phase {
                Phase::Bare => {
                    sink.data(data);
                    return Verdict::Tds;
                }
                Phase::Done => return Verdict::Tds,
                Phase::Options(packet) => {
                    let want = match declared_len(packet) {
                        None => HEADER_LEN,
                        Some(len) if (HEADER_LEN..=MAX_OPTIONS_PACKET).contains(&len) => len,
                        Some(_) => return self.not_tds(data),
                    };
                    let n = want.saturating_sub(packet.len()).min(data.len());
                    let (now, rest) = data.split_at(n);
                    packet.extend_from_slice(now);
                    data = rest;
                    if packet.len() < want {
                        return Verdict::Tds;
                    }
                    if want > HEADER_LEN {
                        match packet.get(HEADER_LEN..).and_then(Prelogin::parse) {
                            Some(p) => {
                                self.facts.prelogin = p;
                                self.facts.sent_by_client = packet.first() == Some(&PRELOGIN);
                                self.phase = Phase::Packets;
                            }
                            None => return self.not_tds(data),
                        }
                    }
                }
                Phase::Packets | Phase::Clear(_) if self.left > 0 => {
                    let n = self.left.min(data.len());
                    let (now, rest) = data.split_at(n);
                    self.left -= n;
                    data = rest;
                    match &mut self.phase {
                        Phase::Clear(kept) => {
                            let room = CLEAR_KEPT.saturating_sub(kept.len());
                            kept.extend_from_slice(now.get(..room.min(now.len())).unwrap_or(now));
                            if self.left == 0 && self.last_packet || kept.len() >= CLEAR_KEPT {
                                self.end_clear();
                            }
                        }
                        _ => sink.data(now),
                    }
                }
                Phase::Clear(_) => {
                    // The message goes on in another packet: what was kept
                    // is what is read.
                    self.end_clear();
                }
                Phase::Packets => {
                    let Some(&first) = data.first() else {
                        return Verdict::Tds;
                    };
                    if self.header.is_empty() && (0x14..=0x17).contains(&first) {
                        // A TLS record where a packet header would be: the
                        // handshake is over and TLS runs bare.
                        self.facts.bare_tls = true;
                        self.phase = Phase::Bare;
                        continue;
                    }
                    let (header, rest) = self.header.fill(data);
                    data = rest;
                    let Some(header) = header else {
                        return Verdict::Tds;
                    };
                    self.start_packet(header);
                }
            }
            if data.is_empty() {
                return Verdict::Tds;
            }
        }
    }

    /// `n` bytes of the direction that the capture did not keep.
    pub fn gap(&mut self, n: u32, sink: &mut impl Sink) {
        let n = n as usize;
        match self.phase {
            Phase::Bare => sink.gap(n as u32),
            Phase::Packets if n <= self.left && self.header.is_empty() => {
                self.left -= n;
                sink.gap(n as u32);
            }
            Phase::Clear(_) => self.end_clear(),
            Phase::Done => {}
            Phase::Options(_) | Phase::Packets => self.desync(Desync::Gap),
        }
    }

    /// Gives back what the first packet took, with `rest`.
    fn not_tds(&mut self, rest: &[u8]) -> Verdict {
        let mut taken = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Options(packet) => packet,
            _ => Vec::new(),
        };
        taken.extend_from_slice(rest);
        Verdict::NotTds(taken)
    }

    fn start_packet(&mut self, header: [u8; 8]) {
        let [ty, status, hi, lo, ..] = header;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        // MS-TDS 2.2.3.1.2: status bits above 0x10 are not defined.
        if len < HEADER_LEN || status & !0x1f != 0 || !is_packet_type(ty) {
            self.desync(Desync::BadHeader);
            return;
        }
        self.left = len - HEADER_LEN;
        self.packet_type = ty;
        self.last_packet = status & END_OF_MESSAGE != 0;
        if ty == PRELOGIN {
            self.facts.tls_packets = self.facts.tls_packets.saturating_add(1);
        } else {
            self.phase = Phase::Clear(Vec::new());
            if self.left == 0 {
                self.end_clear();
            }
        }
    }

    fn end_clear(&mut self) {
        if let Phase::Clear(kept) = &self.phase {
            self.facts.clear = Some(read_clear(self.packet_type, kept));
        }
        self.phase = Phase::Done;
    }

    fn desync(&mut self, why: Desync) {
        self.facts.desync.get_or_insert(why);
        self.phase = Phase::Done;
    }
}

impl Default for Framing {
    fn default() -> Self {
        Framing::new()
    }
}

/// The packet length a header declares, once the header is there.
fn declared_len(packet: &[u8]) -> Option<usize> {
    match packet {
        [_, _, hi, lo, _, _, _, _, ..] => Some(usize::from(u16::from_be_bytes([*hi, *lo]))),
        _ => None,
    }
}

/// A packet type MS-TDS defines (2.2.3.1.1).
fn is_packet_type(ty: u8) -> bool {
    matches!(
        ty,
        0x01..=0x04 | 0x06 | 0x07 | 0x0e | 0x0f | 0x10 | 0x11 | 0x12
    )
}

/// What the first bytes of a cleartext message say.
fn read_clear(packet_type: u8, kept: &[u8]) -> Clear {
    match packet_type {
        // LOGIN7 (MS-TDS 2.2.6.4): Length, then TDSVersion, little-endian.
        LOGIN7 => Clear::Login {
            tds_version: kept
                .get(4..8)
                .and_then(|b| b.try_into().ok())
                .map(|b| TdsVersion(u32::from_le_bytes(b))),
        },
        TABULAR_RESULT => read_login_answer(kept).unwrap_or(Clear::Other(packet_type)),
        other => Clear::Other(other),
    }
}

/// The LOGINACK or ERROR among the first tokens of a login answer. The
/// tokens before them in a login answer (ENVCHANGE, INFO) carry a 16-bit
/// little-endian length (MS-TDS 2.2.7); the walk stops at any other.
fn read_login_answer(tokens: &[u8]) -> Option<Clear> {
    const ERROR: u8 = 0xaa;
    const INFO: u8 = 0xab;
    const LOGINACK: u8 = 0xad;
    const ENVCHANGE: u8 = 0xe3;
    let mut r = Reader::new(tokens);
    loop {
        let token = r.u8()?;
        if !matches!(token, ERROR | INFO | LOGINACK | ENVCHANGE) {
            return None;
        }
        let len = usize::from(u16::from_le_bytes(r.array()?));
        let body = r.take_up_to(len);
        match (token, body) {
            (ERROR, &[a, b, c, d, state, ..]) => {
                return Some(Clear::LoginError {
                    number: u32::from_le_bytes([a, b, c, d]),
                    state,
                });
            }
            // LOGINACK: Interface, then TDSVersion big-endian (2.2.7.14).
            (LOGINACK, &[_, a, b, c, d, ..]) => {
                return Some(Clear::LoginAck {
                    tds_version: TdsVersion(u32::from_be_bytes([a, b, c, d])),
                });
            }
            _ if body.len() < len => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encap::tests::Collect;

    /// A TDS packet: header (type, status, length, SPID 0, id, window 0)
    /// and payload.
    fn packet(ty: u8, last: bool, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() + 8) as u16;
        let mut p = vec![ty, u8::from(last)];
        p.extend(len.to_be_bytes());
        p.extend([0, 0, 1, 0]);
        p.extend(payload);
        p
    }

    /// A PRELOGIN option list: VERSION, ENCRYPTION, MARS.
    fn options(encryption: u8) -> Vec<u8> {
        let mut list = vec![
            0x00, 0, 16, 0, 6, 0x01, 0, 22, 0, 1, 0x04, 0, 23, 0, 1, 0xff,
        ];
        list.extend([9, 0, 0, 0, 0, 0, encryption, 0]);
        list
    }

    fn run(stream: &[u8], piece: usize) -> (Collect, Facts) {
        let mut f = Framing::new();
        let mut out = Collect::default();
        for chunk in stream.chunks(piece) {
            assert_eq!(f.push(chunk, &mut out), Verdict::Tds);
        }
        (out, *f.facts())
    }

    #[test]
    fn tls_split_over_packets_comes_out_whole_in_pieces_of_any_size() {
        let tls: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
        let mut stream = packet(PRELOGIN, true, &options(1));
        stream.extend(packet(PRELOGIN, false, &tls[..100]));
        stream.extend(packet(PRELOGIN, false, &tls[100..101]));
        stream.extend(packet(PRELOGIN, true, &tls[101..]));
        // then TLS runs bare
        stream.extend([0x17, 3, 3, 0, 1, 0xee]);
        let mut expected = tls.clone();
        expected.extend([0x17, 3, 3, 0, 1, 0xee]);
        for piece in 1..stream.len() {
            let (out, facts) = run(&stream, piece);
            assert_eq!(out.bytes, expected, "pieces of {piece}");
            assert_eq!(facts.prelogin.encryption, Some(Encryption::ON));
            assert_eq!(facts.prelogin.version.unwrap().to_string(), "9.0.0.0");
            assert_eq!((facts.tls_packets, facts.bare_tls), (3, true));
        }
    }

    #[test]
    fn a_cleartext_login_is_read_and_ends_the_framing() {
        let mut login = vec![0u8; 40];
        login[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
        let mut stream = packet(PRELOGIN, true, &options(2));
        stream.extend(packet(LOGIN7, true, &login));
        stream.extend(packet(SQL_BATCH, true, b"select 1"));
        for piece in [1, 7, 1000] {
            let (out, facts) = run(&stream, piece);
            assert!(out.bytes.is_empty());
            assert_eq!(
                facts.clear,
                Some(Clear::Login {
                    tds_version: Some(TdsVersion(0x7400_0004))
                })
            );
            assert_eq!(facts.prelogin.encryption, Some(Encryption::NOT_SUP));
        }
    }

    #[test]
    fn a_login_error_answer_is_read() {
        // ERROR token: length, number 18456, state 1, class 14, then text.
        let mut err = vec![0xaa, 12, 0];
        err.extend(18456u32.to_le_bytes());
        err.extend([1, 14, 0, 0, 0, 0, 0, 0]);
        err.extend([0xfd, 2, 0, 0, 0]);
        let mut stream = packet(TABULAR_RESULT, true, &options(2));
        stream.extend(packet(TABULAR_RESULT, true, &err));
        let (_, facts) = run(&stream, 3);
        assert_eq!(
            facts.clear,
            Some(Clear::LoginError {
                number: 18456,
                state: 1
            })
        );
    }

    #[test]
    fn a_bad_header_mid_handshake_is_a_desync() {
        let mut stream = packet(PRELOGIN, true, &options(1));
        stream.extend(packet(PRELOGIN, false, &[0x16, 3, 1]));
        stream.extend([0x99, 1, 0, 9, 0, 0, 0, 0, 0]);
        stream.extend(packet(PRELOGIN, true, &[0, 5]));
        let (out, facts) = run(&stream, 5);
        assert_eq!(out.bytes, [0x16, 3, 1]);
        assert_eq!(facts.desync, Some(Desync::BadHeader));
    }

    #[test]
    fn lengths_below_the_header_are_a_desync() {
        for len in [0u16, 7] {
            let mut stream = packet(PRELOGIN, true, &options(1));
            stream.extend([PRELOGIN, 1]);
            stream.extend(len.to_be_bytes());
            stream.extend([0, 0, 0, 0, 0x16, 3, 3]);
            let (out, facts) = run(&stream, 4);
            assert!(out.bytes.is_empty(), "length {len}");
            assert_eq!(facts.desync, Some(Desync::BadHeader), "length {len}");
        }
    }

    #[test]
    fn a_first_packet_that_is_no_option_list_is_given_back() {
        let mut stream = packet(PRELOGIN, true, b"not an option list");
        stream.extend(b"and more");
        let mut f = Framing::new();
        let mut out = Collect::default();
        let (a, b) = stream.split_at(10);
        assert_eq!(f.push(a, &mut out), Verdict::Tds);
        assert_eq!(f.push(b, &mut out), Verdict::NotTds(stream.clone()));
    }

    #[test]
    fn gaps_inside_a_packet_pass_and_across_a_header_desync() {
        let mut f = Framing::new();
        let mut out = Collect::default();
        f.push(&packet(PRELOGIN, true, &options(1)), &mut out);
        let p = packet(PRELOGIN, true, &[0x16; 20]);
        f.push(&p[..12], &mut out);
        f.gap(10, &mut out);
        f.push(&p[22..], &mut out);
        assert_eq!((out.bytes.len(), out.gaps), (10, 10));
        assert_eq!(f.facts().desync, None);
        f.push(&[PRELOGIN, 1], &mut out);
        f.gap(3, &mut out);
        assert_eq!(f.facts().desync, Some(Desync::Gap));
    }

    #[test]
    fn the_encryption_table_of_ms_tds() {
        use Encryption as E;
        use Negotiated as N;
        for (c, s, n) in [
            (E::OFF, E::OFF, N::LoginOnly),
            (E::OFF, E::ON, N::Full),
            (E::OFF, E::NOT_SUP, N::None),
            (E::OFF, E::REQ, N::Full),
            (E::ON, E::OFF, N::Full),
            (E::ON, E::NOT_SUP, N::Refused),
            (E::NOT_SUP, E::OFF, N::None),
            (E::NOT_SUP, E::NOT_SUP, N::None),
            (E::NOT_SUP, E::REQ, N::Refused),
            (Encryption(0x81), E::OFF, N::Full),
        ] {
            assert_eq!(Negotiated::of(c, s), n, "{c:?} {s:?}");
        }
        assert_eq!(Encryption(0x81).name(), "on+client_cert");
        assert_eq!(Encryption(0x42).name(), "0x42");
    }
}
