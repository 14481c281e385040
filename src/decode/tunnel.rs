//! Tunnel headers: what a sensor on an overlay or a mirror port sees
//! around the traffic. Each parser reads one encapsulation header and says
//! what follows it ([`Inner`]); [`super`] walks the layers, to at most
//! [`MAX_DEPTH`] encapsulations, and keeps the outermost one for the
//! record ([`Tunnel`]).
//!
//! - VXLAN (RFC 7348, UDP 4789) and VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe,
//!   UDP 4790), GENEVE (RFC 8926, UDP 6081, options skipped by length);
//! - GRE (RFC 2784/2890: checksum, key and sequence fields by their bits)
//!   carrying IP, Ethernet (transparent Ethernet bridging, 0x6558), MPLS,
//!   or ERSPAN type II (0x88be) and type III (0x22eb, with its optional
//!   platform sub-header); ERSPAN type I (0x88be without the sequence bit)
//!   has no header of its own;
//! - MPLS label stacks (RFC 3032) to the bottom of stack, then IPv4, IPv6,
//!   or an Ethernet pseudowire (RFC 4448, with or without its control word);
//! - CAPWAP data channel (RFC 5415 §4.3, UDP 5247): 802.3 frames, or native
//!   802.11 when the T bit says so and the wireless binding is IEEE 802.11;
//!   fragments are counted, not reassembled;
//! - IP in IP (RFC 2003, 4in4, 6in4, 4in6, 6in6) and GTP-U are read by
//!   [`super`] itself.
//!
//! Not read, and counted under [`TunnelSkip`]: GRE version 1 (PPTP),
//! payloads these headers name but that carry no IP for us (NSH, ...), and
//! anything nested deeper than [`MAX_DEPTH`].

use std::fmt;
use std::net::IpAddr;

/// Most encapsulations decoded around one packet (a VXLAN overlay seen
/// through an ERSPAN mirror over MPLS is three).
pub const MAX_DEPTH: u8 = 4;

pub const VXLAN_PORT: u16 = 4789;
pub const VXLAN_GPE_PORT: u16 = 4790;
pub const GENEVE_PORT: u16 = 6081;
pub const CAPWAP_DATA_PORT: u16 = 5247;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_TEB: u16 = 0x6558;
pub const ETHERTYPE_MPLS: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const ETHERTYPE_ERSPAN_2: u16 = 0x88be;
const ETHERTYPE_ERSPAN_3: u16 = 0x22eb;

/// Which encapsulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TunnelKind {
    Vxlan,
    VxlanGpe,
    Geneve,
    /// GRE carrying IP (or MPLS).
    Gre,
    /// GRE carrying Ethernet (transparent Ethernet bridging: gretap).
    GreEthernet,
    Erspan1,
    Erspan2,
    Erspan3,
    Mpls,
    Capwap,
    /// IP in IP, named by the outer and inner versions.
    Ip4in4,
    Ip6in4,
    Ip4in6,
    Ip6in6,
    GtpU,
    /// PPTP's enhanced GRE (version 1) carrying PPP (RFC 2637 §4.1).
    Pptp,
}

impl TunnelKind {
    pub const ALL: [TunnelKind; 16] = [
        TunnelKind::Vxlan,
        TunnelKind::VxlanGpe,
        TunnelKind::Geneve,
        TunnelKind::Gre,
        TunnelKind::GreEthernet,
        TunnelKind::Erspan1,
        TunnelKind::Erspan2,
        TunnelKind::Erspan3,
        TunnelKind::Mpls,
        TunnelKind::Capwap,
        TunnelKind::Ip4in4,
        TunnelKind::Ip6in4,
        TunnelKind::Ip4in6,
        TunnelKind::Ip6in6,
        TunnelKind::GtpU,
        TunnelKind::Pptp,
    ];

    /// The name in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::VxlanGpe => "vxlan-gpe",
            TunnelKind::Geneve => "geneve",
            TunnelKind::Gre => "gre",
            TunnelKind::GreEthernet => "gretap",
            TunnelKind::Erspan1 => "erspan1",
            TunnelKind::Erspan2 => "erspan2",
            TunnelKind::Erspan3 => "erspan3",
            TunnelKind::Mpls => "mpls",
            TunnelKind::Capwap => "capwap",
            TunnelKind::Ip4in4 => "4in4",
            TunnelKind::Ip6in4 => "6in4",
            TunnelKind::Ip4in6 => "4in6",
            TunnelKind::Ip6in6 => "6in6",
            TunnelKind::GtpU => "gtp-u",
            TunnelKind::Pptp => "pptp",
        }
    }

    /// What its `id` is.
    pub fn id_name(self) -> &'static str {
        match self {
            TunnelKind::Vxlan | TunnelKind::VxlanGpe | TunnelKind::Geneve => "VNI",
            TunnelKind::Gre | TunnelKind::GreEthernet => "key",
            TunnelKind::Erspan1 | TunnelKind::Erspan2 | TunnelKind::Erspan3 => "session",
            TunnelKind::Mpls => "label",
            TunnelKind::GtpU => "TEID",
            TunnelKind::Pptp => "call id",
            _ => "id",
        }
    }
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outermost tunnel a connection was seen in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tunnel {
    pub kind: TunnelKind,
    /// The outer source and destination addresses (none for MPLS, which
    /// has no IP underlay), as the packet carried them.
    pub outer: Option<(IpAddr, IpAddr)>,
    /// The VNI, GRE key, ERSPAN session, top MPLS label or GTP TEID.
    pub id: Option<u32>,
    /// Encapsulations around the packet (1: this one alone).
    pub depth: u8,
}

impl Tunnel {
    /// The same tunnel seen from the other direction.
    pub fn reversed(self) -> Tunnel {
        Tunnel {
            outer: self.outer.map(|(a, b)| (b, a)),
            ..self
        }
    }
}

/// Why an encapsulated packet was not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TunnelSkip {
    /// The header is shorter than it says.
    Truncated,
    /// A fragment of the tunnel's own fragmentation (CAPWAP).
    Fragmented,
    /// A version or payload type that carries no IP for us.
    Unsupported,
    /// More than [`MAX_DEPTH`] encapsulations.
    TooDeep,
}

impl TunnelSkip {
    pub fn describe(self) -> &'static str {
        match self {
            TunnelSkip::Truncated => "truncated header",
            TunnelSkip::Fragmented => "fragment",
            TunnelSkip::Unsupported => "payload not decoded",
            TunnelSkip::TooDeep => "nested too deep",
        }
    }
}

/// What follows a tunnel header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner<'a> {
    Ethernet(&'a [u8]),
    /// IPv4 or IPv6, by its first nibble.
    Ip(&'a [u8]),
    /// An IEEE 802.11 frame; `true`: its two frame-control bytes come
    /// swapped (Cisco controllers' CAPWAP).
    Wlan(&'a [u8], bool),
    /// An MPLS label stack.
    Mpls(&'a [u8]),
}

type Parsed<'a> = Result<(Option<u32>, Inner<'a>), TunnelSkip>;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be24(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at + 3)?;
    Some(u32::from_be_bytes([0, *b.first()?, *b.get(1)?, *b.get(2)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn rest(d: &[u8], at: usize) -> Result<&[u8], TunnelSkip> {
    d.get(at..).ok_or(TunnelSkip::Truncated)
}

/// The payload an EtherType-like protocol field names.
fn by_ether_type(proto: u16, payload: &[u8]) -> Result<Inner<'_>, TunnelSkip> {
    match proto {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(Inner::Ip(payload)),
        ETHERTYPE_TEB => Ok(Inner::Ethernet(payload)),
        ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST => Ok(Inner::Mpls(payload)),
        _ => Err(TunnelSkip::Unsupported),
    }
}

/// The tunnel a UDP datagram between these ports carries, if any: the
/// destination port first (both VTEPs send to the well-known port; the
/// source port is a flow hash).
pub fn udp_kind(src: u16, dst: u16) -> Option<TunnelKind> {
    let by = |p| match p {
        VXLAN_PORT => Some(TunnelKind::Vxlan),
        VXLAN_GPE_PORT => Some(TunnelKind::VxlanGpe),
        GENEVE_PORT => Some(TunnelKind::Geneve),
        CAPWAP_DATA_PORT => Some(TunnelKind::Capwap),
        _ => None,
    };
    by(dst).or_else(|| by(src))
}

/// A UDP tunnel's header: (id, what follows).
pub fn udp(kind: TunnelKind, d: &[u8]) -> Parsed<'_> {
    match kind {
        TunnelKind::Vxlan => vxlan(d),
        TunnelKind::VxlanGpe => vxlan_gpe(d),
        TunnelKind::Geneve => geneve(d),
        _ => capwap(d).map(|inner| (None, inner)),
    }
}

/// VXLAN (RFC 7348 §5): flags (I bit 0x08: the VNI is valid), 24-bit VNI,
/// then an Ethernet frame.
fn vxlan(d: &[u8]) -> Parsed<'_> {
    let flags = *d.first().ok_or(TunnelSkip::Truncated)?;
    let vni = be24(d, 4).ok_or(TunnelSkip::Truncated)?;
    let id = (flags & 0x08 != 0).then_some(vni);
    Ok((id, Inner::Ethernet(rest(d, 8)?)))
}

/// VXLAN-GPE: the P bit (0x04) says a next-protocol field (byte 3) is
/// there: 1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS; without it, Ethernet.
fn vxlan_gpe(d: &[u8]) -> Parsed<'_> {
    let flags = *d.first().ok_or(TunnelSkip::Truncated)?;
    let next = *d.get(3).ok_or(TunnelSkip::Truncated)?;
    let vni = be24(d, 4).ok_or(TunnelSkip::Truncated)?;
    let payload = rest(d, 8)?;
    let inner = match (flags & 0x04 != 0, next) {
        (false, _) | (true, 3) => Inner::Ethernet(payload),
        (true, 1 | 2) => Inner::Ip(payload),
        (true, 5) => Inner::Mpls(payload),
        _ => return Err(TunnelSkip::Unsupported),
    };
    Ok(((flags & 0x08 != 0).then_some(vni), inner))
}

/// GENEVE (RFC 8926 §3.4): version 0, options length in 4-byte words,
/// protocol type (EtherType), 24-bit VNI.
fn geneve(d: &[u8]) -> Parsed<'_> {
    let b0 = *d.first().ok_or(TunnelSkip::Truncated)?;
    if b0 >> 6 != 0 {
        return Err(TunnelSkip::Unsupported);
    }
    let opt_len = usize::from(b0 & 0x3f) * 4;
    let proto = be16(d, 2).ok_or(TunnelSkip::Truncated)?;
    let vni = be24(d, 4).ok_or(TunnelSkip::Truncated)?;
    let payload = rest(d, 8 + opt_len)?;
    Ok((Some(vni), by_ether_type(proto, payload)?))
}

/// CAPWAP data (RFC 5415 §4.1, §4.3): a preamble (version 0, type 0), then
/// HLEN (header length in 4-byte words), RID, WBID, and the T (native
/// frame), F (fragment) bits.
fn capwap(d: &[u8]) -> Result<Inner<'_>, TunnelSkip> {
    let preamble = *d.first().ok_or(TunnelSkip::Truncated)?;
    if preamble != 0 {
        // Type 1 is a DTLS-protected channel: encrypted.
        return Err(TunnelSkip::Unsupported);
    }
    let word = be32(d, 0).ok_or(TunnelSkip::Truncated)?;
    let hlen = ((word >> 19) & 0x1f) as usize * 4;
    let wbid = (word >> 9) & 0x1f;
    let native = word & (1 << 8) != 0;
    let fragment = word & (1 << 7) != 0;
    if fragment {
        return Err(TunnelSkip::Fragmented);
    }
    let payload = rest(d, hlen.max(8))?;
    match (native, wbid) {
        (false, _) => Ok(Inner::Ethernet(payload)),
        // 802.11's protocol version (the low two bits of the first
        // frame-control byte) is 0 in every frame. Cisco controllers send
        // the frame control byte-swapped (Wireshark's CAPWAP "Swap Frame
        // Control" preference): a first byte with a version and a second
        // without says so. (A swapped frame whose flags byte is a valid
        // first byte reads as management, which is skipped either way.)
        (true, 1) => {
            let swapped = matches!(payload.get(..2), Some([a, b]) if a & 3 != 0 && b & 3 == 0);
            Ok(Inner::Wlan(payload, swapped))
        }
        _ => Err(TunnelSkip::Unsupported),
    }
}

/// GRE (RFC 2784, RFC 2890): (kind, key or ERSPAN session, what follows).
pub fn gre(d: &[u8]) -> Result<(TunnelKind, Option<u32>, Inner<'_>), TunnelSkip> {
    let flags = be16(d, 0).ok_or(TunnelSkip::Truncated)?;
    let proto = be16(d, 2).ok_or(TunnelSkip::Truncated)?;
    match flags & 0x0007 {
        0 => {}
        1 => return pptp(d, flags, proto),
        _ => return Err(TunnelSkip::Unsupported),
    }
    let (checksum, key_bit, seq) = (
        flags & 0x8000 != 0,
        flags & 0x2000 != 0,
        flags & 0x1000 != 0,
    );
    let mut at = 4;
    if checksum {
        at += 4;
    }
    let key = if key_bit {
        let k = be32(d, at).ok_or(TunnelSkip::Truncated)?;
        at += 4;
        Some(k)
    } else {
        None
    };
    if seq {
        at += 4;
    }
    let payload = rest(d, at)?;
    match proto {
        ETHERTYPE_ERSPAN_2 if !seq => Ok((TunnelKind::Erspan1, None, Inner::Ethernet(payload))),
        ETHERTYPE_ERSPAN_2 => {
            // Version (4 bits, 1), VLAN, COS, En, T, session id (10 bits),
            // reserved, index: 8 bytes.
            let session = u32::from(be16(payload, 2).ok_or(TunnelSkip::Truncated)? & 0x03ff);
            Ok((
                TunnelKind::Erspan2,
                Some(session),
                Inner::Ethernet(rest(payload, 8)?),
            ))
        }
        ETHERTYPE_ERSPAN_3 => {
            // 12 bytes; frame type 0 is Ethernet, 2 IP; the O bit adds an
            // 8-byte platform-specific sub-header.
            let session = u32::from(be16(payload, 2).ok_or(TunnelSkip::Truncated)? & 0x03ff);
            let tail = be16(payload, 10).ok_or(TunnelSkip::Truncated)?;
            let frame_type = (tail >> 10) & 0x1f;
            let len = if tail & 1 != 0 { 20 } else { 12 };
            let inner = rest(payload, len)?;
            let inner = match frame_type {
                0 => Inner::Ethernet(inner),
                2 => Inner::Ip(inner),
                _ => return Err(TunnelSkip::Unsupported),
            };
            Ok((TunnelKind::Erspan3, Some(session), inner))
        }
        ETHERTYPE_TEB => Ok((TunnelKind::GreEthernet, key, Inner::Ethernet(payload))),
        _ => Ok((TunnelKind::Gre, key, by_ether_type(proto, payload)?)),
    }
}

/// PPTP's enhanced GRE (RFC 2637 §4.1): version 1, protocol 0x880b, the
/// key bit always set (payload length, call id), an optional sequence
/// number and acknowledgement; then a PPP frame (RFC 1661 §2), its address
/// and control bytes and a protocol byte possibly compressed away
/// (RFC 1661 §6.5, §6.6). IPv4 (0x0021) and IPv6 (0x0057) are read;
/// anything else — LCP, and MPPE's encrypted frames (0x00fd), which most
/// PPTP links carry — is not.
fn pptp(
    d: &[u8],
    flags: u16,
    proto: u16,
) -> Result<(TunnelKind, Option<u32>, Inner<'_>), TunnelSkip> {
    if proto != 0x880b || flags & 0x2000 == 0 {
        return Err(TunnelSkip::Unsupported);
    }
    let call_id = u32::from(be16(d, 6).ok_or(TunnelSkip::Truncated)?);
    let mut at = 8;
    if flags & 0x1000 != 0 {
        at += 4;
    }
    if flags & 0x0080 != 0 {
        at += 4;
    }
    let mut ppp = rest(d, at)?;
    if ppp.starts_with(&[0xff, 0x03]) {
        ppp = rest(ppp, 2)?;
    }
    let first = *ppp.first().ok_or(TunnelSkip::Unsupported)?;
    let (protocol, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        (be16(ppp, 0).ok_or(TunnelSkip::Truncated)?, 2)
    };
    match protocol {
        0x0021 | 0x0057 => Ok((TunnelKind::Pptp, Some(call_id), Inner::Ip(rest(ppp, len)?))),
        _ => Err(TunnelSkip::Unsupported),
    }
}

/// An MPLS label stack (RFC 3032 §2.1): 4-byte entries to the one with the
/// bottom-of-stack bit; (top label, what follows). RFC 3032 carries no type
/// for the payload: IPv4 and IPv6 by their version nibble, an Ethernet
/// pseudowire with its control word (first nibble 0, RFC 4448 §3) or
/// without it.
pub fn mpls(d: &[u8]) -> Parsed<'_> {
    let mut at = 0;
    let top = be32(d, 0).ok_or(TunnelSkip::Truncated)? >> 12;
    loop {
        let entry = be32(d, at).ok_or(TunnelSkip::Truncated)?;
        at += 4;
        if entry & 0x100 != 0 {
            break;
        }
        if at >= 4 * 16 {
            // Sixteen labels and no bottom: not a label stack.
            return Err(TunnelSkip::Unsupported);
        }
    }
    let payload = rest(d, at)?;
    let inner = match payload.first().map(|b| b >> 4) {
        Some(4 | 6) => Inner::Ip(payload),
        Some(0) => Inner::Ethernet(rest(payload, 4)?),
        Some(_) => Inner::Ethernet(payload),
        None => return Err(TunnelSkip::Truncated),
    };
    Ok((Some(top), inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_fields_are_skipped_by_their_bits() {
        // Checksum + key + sequence, transparent Ethernet bridging.
        let mut d = vec![
            0xb0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0x16, 0x44, 0, 0, 0, 9,
        ];
        d.extend([0xee; 14]);
        let (kind, key, inner) = gre(&d).unwrap();
        assert_eq!((kind, key), (TunnelKind::GreEthernet, Some(0x1644)));
        assert_eq!(inner, Inner::Ethernet(&[0xee; 14]));
        // Version 1 (PPTP) whose sequence and ack fields are missing.
        assert_eq!(
            gre(&[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0]),
            Err(TunnelSkip::Truncated)
        );
        assert_eq!(gre(&[0x20, 0, 0x08, 0, 0, 0]), Err(TunnelSkip::Truncated));
    }

    #[test]
    fn mpls_stacks_end_at_the_bottom_bit() {
        // Labels 6001 and 6002 (bottom), then IPv4.
        let d = [0x01, 0x77, 0x10, 0x40, 0x01, 0x77, 0x21, 0x40, 0x45, 0];
        assert_eq!(mpls(&d), Ok((Some(6001), Inner::Ip(&[0x45, 0]))));
        assert_eq!(mpls(&[0; 64]), Err(TunnelSkip::Unsupported));
        assert_eq!(mpls(&[0, 0, 1]), Err(TunnelSkip::Truncated));
    }

    #[test]
    fn pptp_reads_ip_in_ppp_and_not_what_mppe_encrypts() {
        // K and S set, call id 0x0102, sequence; PPP with the protocol byte
        // compressed (0x21: IPv4) and address/control left out.
        let v4 = [
            0x30, 0x01, 0x88, 0x0b, 0, 1, 0x01, 0x02, 0, 0, 0, 9, 0x21, 0x45,
        ];
        assert_eq!(
            gre(&v4),
            Ok((TunnelKind::Pptp, Some(0x0102), Inner::Ip(&[0x45])))
        );
        let mppe = [
            0x30, 0x01, 0x88, 0x0b, 0, 1, 0x01, 0x02, 0, 0, 0, 9, 0xff, 0x03, 0x00, 0xfd,
        ];
        assert_eq!(gre(&mppe), Err(TunnelSkip::Unsupported));
        // Without the key bit it is no PPTP.
        assert_eq!(
            gre(&[0x10, 0x01, 0x88, 0x0b, 0, 0, 0, 0]),
            Err(TunnelSkip::Unsupported)
        );
    }

    #[test]
    fn capwap_fragments_and_dtls_are_not_read() {
        // HLEN 2 words, WBID 1, T set: native 802.11.
        let native = [0x00, 0x10, 0x03, 0x00, 0, 0, 0, 0, 0x08, 0x01];
        assert_eq!(capwap(&native), Ok(Inner::Wlan(&[0x08, 0x01], false)));
        // A Cisco controller's byte-swapped frame control (ToDS data).
        let cisco = [0x00, 0x10, 0x03, 0x00, 0, 0, 0, 0, 0x01, 0x08];
        assert_eq!(capwap(&cisco), Ok(Inner::Wlan(&[0x01, 0x08], true)));
        let fragment = [0x00, 0x10, 0x03, 0x80, 0, 0, 0, 0, 0x08];
        assert_eq!(capwap(&fragment), Err(TunnelSkip::Fragmented));
        assert_eq!(capwap(&[0x01, 0, 0, 0]), Err(TunnelSkip::Unsupported));
    }
}
