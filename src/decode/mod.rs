//! Packet decoding: link layer → IP → TCP segment.
//!
//! Supported link types: Ethernet (with up to three 802.1Q/802.1ad tags, and
//! PPPoE sessions), Linux cooked capture SLL and SLL2 (captures on "any"),
//! raw IPv4/IPv6 (LINKTYPE_RAW and the BSD numbers 12 and 14,
//! LINKTYPE_IPV4/IPV6), BSD NULL and OpenBSD LOOP, and IEEE 802.11 data
//! frames, bare (105: what pktmon logs at the Wi-Fi components) or behind a
//! radiotap header (127), when they are not encrypted and carry LLC/SNAP.
//! IP: IPv4, IPv6 with extension headers. Tunnels ([`tunnel`]): VXLAN,
//! VXLAN-GPE, GENEVE, GRE (with Ethernet, ERSPAN II/III, MPLS), MPLS,
//! CAPWAP data, IP in IP (4in4, 6in4, 4in6, 6in6) and GTP-U, nested to
//! [`tunnel::MAX_DEPTH`]. The innermost TCP segment is what we return, with
//! the outermost tunnel it was found in.
//!
//! Not supported, and counted under a named [`Skip`] reason instead: other
//! link types, non-IP frames, non-TCP protocols, IP fragments (TLS handshakes
//! are not fragmented at the IP layer in practice; reassembling them is not
//! worth the memory it would cost under attack), other tunnels.
//!
//! Decoding is pure: no I/O, no state, no clock, no checksum validation
//! (offloading makes checksums wrong in most captures). IP and TCP parsing is
//! etherparse's lax slicer, which reads as far as the bytes allow and says
//! which layer stopped it.

use std::fmt;
use std::net::IpAddr;

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::capture::LinkType;

pub mod tunnel;
use tunnel::{Inner, Tunnel, TunnelKind, TunnelSkip};

/// An IP address and TCP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// The TCP flags tlssniff looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags(u8);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x01);
    pub const SYN: TcpFlags = TcpFlags(0x02);
    pub const RST: TcpFlags = TcpFlags(0x04);
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// Not a TCP flag: the segment is a UDP datagram for the datagram path
    /// (QUIC, DTLS). TCP's own 0x80 (CWR) is never kept.
    pub const DATAGRAM: TcpFlags = TcpFlags(0x80);

    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | other.0)
    }

    pub fn of(fin: bool, syn: bool, rst: bool, ack: bool) -> TcpFlags {
        let bit = |set: bool, flag: TcpFlags| if set { flag.0 } else { 0 };
        TcpFlags(
            bit(fin, Self::FIN) | bit(syn, Self::SYN) | bit(rst, Self::RST) | bit(ack, Self::ACK),
        )
    }
}

/// A decoded TCP segment, borrowing the packet's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    /// The captured part of the TCP payload.
    pub payload: &'a [u8],
    /// Payload bytes that the capture's snapshot length cut off.
    pub cut: u32,
}

/// Why a packet carries no TCP segment for us. Small and `Copy`: counted,
/// never an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// A link type we do not decode.
    UnknownLinkType(u32),
    /// The frame is shorter than its link-layer header.
    TruncatedLink,
    /// Not IPv4 or IPv6; carries the EtherType (or SLL protocol).
    NotIp(u16),
    /// IP, but not TCP; carries the IP protocol number.
    NotTcp(u8),
    /// UDP that is neither QUIC (a long header, or a short one on a QUIC
    /// flow being followed) nor DTLS, nor a tunnel we open.
    UdpOther,
    /// An IP fragment.
    IpFragment,
    /// The IP header is malformed.
    BadIp,
    /// The TCP header is malformed.
    BadTcp,
    /// The snapshot length cut the frame before the end of the TCP header.
    TruncatedBySnaplen,
    /// An 802.11 frame that carries no IP for us.
    Wlan(WlanSkip),
    /// A copy of a packet already read: the same pcapng packet id (pktmon
    /// logs a packet once per component it crosses).
    Duplicate,
    /// A tunnel whose header, or payload, could not be decoded.
    Tunnel(TunnelKind, TunnelSkip),
    /// Not matched by the filter expression given for capture files.
    Filtered,
}

/// Why an 802.11 frame was not decoded further.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WlanSkip {
    /// A management or control frame.
    NotData,
    /// A data frame without a body (Null, QoS Null: power management).
    NoBody,
    /// Protected: the body is encrypted (WPA2/WPA3 on the air).
    Protected,
    /// The body does not start with an LLC/SNAP header.
    NoSnap,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Skip::UnknownLinkType(n) => write!(f, "unknown link type {n}"),
            Skip::TruncatedLink => write!(f, "truncated link-layer header"),
            Skip::NotIp(et) => match ether_type_name(et) {
                Some(name) => write!(f, "not IP ({name})"),
                None => write!(f, "not IP (ethertype 0x{et:04x})"),
            },
            Skip::NotTcp(p) => match ip_protocol_name(p) {
                Some(name) => write!(f, "not TCP ({name})"),
                None => write!(f, "not TCP (IP protocol {p})"),
            },
            Skip::UdpOther => write!(f, "UDP (not QUIC or DTLS)"),
            Skip::IpFragment => write!(f, "IP fragment"),
            Skip::BadIp => write!(f, "malformed IP header"),
            Skip::BadTcp => write!(f, "malformed TCP header"),
            Skip::TruncatedBySnaplen => write!(f, "truncated by snaplen before the TCP payload"),
            Skip::Duplicate => write!(f, "copy of an earlier packet (same packet id)"),
            Skip::Tunnel(kind, why) => write!(f, "{kind} tunnel: {}", why.describe()),
            Skip::Filtered => write!(f, "not matched by the filter"),
            Skip::Wlan(WlanSkip::NotData) => write!(f, "802.11 management or control frame"),
            Skip::Wlan(WlanSkip::NoBody) => write!(f, "802.11 null data frame"),
            Skip::Wlan(WlanSkip::Protected) => write!(f, "802.11 encrypted frame"),
            Skip::Wlan(WlanSkip::NoSnap) => write!(f, "802.11 frame without LLC/SNAP"),
        }
    }
}

fn ether_type_name(et: u16) -> Option<&'static str> {
    Some(match et {
        0x0806 => "ARP",
        0x8035 => "RARP",
        0x88cc => "LLDP",
        0x888e => "EAPOL",
        0x8863 => "PPPoE discovery",
        0x8864 => "PPPoE session, non-IP",
        0x88e5 => "MACsec",
        0x9000 => "loopback",
        0x0000..=0x05dc => "802.3 length field / LLC",
        _ => return None,
    })
}

fn ip_protocol_name(p: u8) -> Option<&'static str> {
    Some(match p {
        1 => "ICMP",
        2 => "IGMP",
        17 => "UDP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => return None,
    })
}

const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const GTP_U_PORT: u16 = 2152;

/// Decodes one captured frame. `cut` is the number of bytes the capture's
/// snapshot length removed from the end of the frame.
pub fn decode(link_type: LinkType, data: &[u8], cut: u32) -> Result<Segment<'_>, Skip> {
    decode_in(link_type, data, cut, &mut None)
}

/// [`decode`], and the outermost tunnel the segment came in, put in
/// `tunnel` (left as it is when there is none). The tunnel is kept out of
/// [`Segment`], which stays small: most segments are in none.
pub fn decode_in<'a>(
    link_type: LinkType,
    data: &'a [u8],
    cut: u32,
    tunnel: &mut Option<Tunnel>,
) -> Result<Segment<'a>, Skip> {
    if let Some(seg) = fast_path(link_type, data) {
        return Ok(seg);
    }
    let mut ctx = Ctx::default();
    let seg = link(link_type, data, cut, &mut ctx)?;
    if let Some(t) = ctx.tunnel {
        *tunnel = Some(Tunnel {
            depth: ctx.depth,
            ..t
        });
    }
    Ok(seg)
}

/// The encapsulations walked so far.
#[derive(Default)]
struct Ctx {
    depth: u8,
    /// The outermost.
    tunnel: Option<Tunnel>,
}

impl Ctx {
    /// One more encapsulation, `kind`, between these outer addresses.
    fn enter(
        &mut self,
        kind: TunnelKind,
        outer: Option<(IpAddr, IpAddr)>,
        id: Option<u32>,
    ) -> Result<(), Skip> {
        if self.depth >= tunnel::MAX_DEPTH {
            return Err(Skip::Tunnel(kind, TunnelSkip::TooDeep));
        }
        self.depth += 1;
        self.tunnel.get_or_insert(Tunnel {
            kind,
            outer,
            id,
            depth: 1,
        });
        Ok(())
    }
}

/// What a tunnel header said follows it.
fn inner<'a>(inner: Inner<'a>, cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    match inner {
        Inner::Ethernet(d) => ethernet(d, cut, ctx),
        Inner::Ip(d) => ip(d, cut, ctx),
        Inner::Wlan(d, swapped) => wlan(d, cut, ctx, swapped),
        Inner::Mpls(d) => mpls(d, cut, ctx),
    }
}

fn ethernet<'a>(data: &'a [u8], cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    let pkt = LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::TruncatedLink)?;
    link_payload(pkt, cut, ctx)
}

/// An MPLS label stack, over Ethernet (no outer IP addresses) or inside
/// another tunnel.
fn mpls<'a>(data: &'a [u8], cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    let (label, next) = tunnel::mpls(data).map_err(|e| Skip::Tunnel(TunnelKind::Mpls, e))?;
    ctx.enter(TunnelKind::Mpls, None, label)?;
    inner(next, cut, ctx)
}

fn link<'a>(
    link_type: LinkType,
    data: &'a [u8],
    cut: u32,
    ctx: &mut Ctx,
) -> Result<Segment<'a>, Skip> {
    match link_type {
        LinkType::ETHERNET => ethernet(data, cut, ctx),
        LinkType::LINUX_SLL => {
            // RFC-less but stable: 16-byte header, protocol (EtherType) last.
            let proto = be16(data, 14).ok_or(Skip::TruncatedLink)?;
            let rest = data.get(16..).ok_or(Skip::TruncatedLink)?;
            ether_type(proto, rest, cut, ctx)
        }
        LinkType::LINUX_SLL2 => {
            // 20-byte header, protocol (EtherType) first.
            let proto = be16(data, 0).ok_or(Skip::TruncatedLink)?;
            let rest = data.get(20..).ok_or(Skip::TruncatedLink)?;
            ether_type(proto, rest, cut, ctx)
        }
        LinkType::NULL | LinkType::LOOP => {
            let family: [u8; 4] = data
                .get(..4)
                .and_then(|f| f.try_into().ok())
                .ok_or(Skip::TruncatedLink)?;
            let rest = data.get(4..).unwrap_or_default();
            // NULL's family is in the capturing host's byte order; accept both.
            let be = u32::from_be_bytes(family);
            let le = u32::from_le_bytes(family);
            let fam = if link_type == LinkType::LOOP || be < 256 {
                be
            } else {
                le
            };
            match fam {
                // AF_INET everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD.
                2 | 24 | 28 | 30 => ip(rest, cut, ctx),
                other => Err(Skip::NotIp(other as u16)),
            }
        }
        LinkType::RAW
        | LinkType::RAW_BSD_12
        | LinkType::RAW_BSD_14
        | LinkType::IPV4
        | LinkType::IPV6 => ip(data, cut, ctx),
        LinkType::IEEE802_11 => wlan(data, cut, ctx, false),
        LinkType::IEEE802_11_RADIOTAP => {
            // Radiotap: version, pad, little-endian length of the whole
            // radio header (radiotap.org); the 802.11 frame follows.
            let len = match data.get(2..4) {
                Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
                _ => return Err(Skip::TruncatedLink),
            };
            wlan(data.get(len..).ok_or(Skip::TruncatedLink)?, cut, ctx, false)
        }
        other => Err(Skip::UnknownLinkType(other.0)),
    }
}

/// An IEEE 802.11 MAC frame (IEEE 802.11-2020 §9.2): data frames only, the
/// header's length from its frame control (a fourth address when both DS
/// bits are set, QoS control for QoS subtypes, HT control when the +HTC
/// (order) bit is set on a QoS frame), then an LLC/SNAP header (RFC 1042,
/// or 802.1H) whose EtherType says what follows.
fn wlan<'a>(data: &'a [u8], cut: u32, ctx: &mut Ctx, swapped: bool) -> Result<Segment<'a>, Skip> {
    let [mut fc0, mut fc1] = *data.get(..2).ok_or(Skip::TruncatedLink)? else {
        return Err(Skip::TruncatedLink);
    };
    if swapped {
        std::mem::swap(&mut fc0, &mut fc1);
    }
    let (kind, subtype) = ((fc0 >> 2) & 3, fc0 >> 4);
    if kind != 2 {
        return Err(Skip::Wlan(WlanSkip::NotData));
    }
    // Subtypes with bit 2 set (Null, CF-Ack/Poll variants without data)
    // carry no body.
    if subtype & 0b0100 != 0 {
        return Err(Skip::Wlan(WlanSkip::NoBody));
    }
    let protected = fc1 & 0x40 != 0;
    let qos = subtype & 0b1000 != 0;
    let mut len = 24;
    if fc1 & 0x03 == 0x03 {
        len += 6;
    }
    if qos {
        len += 2;
        if fc1 & 0x80 != 0 {
            len += 4;
        }
    }
    let body = data.get(len..).ok_or(Skip::TruncatedLink)?;
    let snap = |b: &[u8]| {
        matches!(
            b.get(..6),
            Some([0xaa, 0xaa, 0x03, 0, 0, 0] | [0xaa, 0xaa, 0x03, 0, 0, 0xf8])
        )
    };
    // A frame marked protected that a NIC already decrypted (Windows
    // drivers and pktmon log them so) has a clear body, with or without its
    // 8-byte CCMP/GCMP header (Ext IV bit set) left in front.
    let body = match (snap(body), protected) {
        (true, _) => body,
        (false, true) => match body.get(3) {
            Some(key_id) if key_id & 0x20 != 0 && snap(body.get(8..).unwrap_or_default()) => {
                body.get(8..).unwrap_or_default()
            }
            _ => return Err(Skip::Wlan(WlanSkip::Protected)),
        },
        (false, false) if body.len() < 8 => return Err(Skip::TruncatedLink),
        (false, false) => return Err(Skip::Wlan(WlanSkip::NoSnap)),
    };
    let proto = be16(body, 6).ok_or(Skip::TruncatedLink)?;
    ether_type(proto, body.get(8..).unwrap_or_default(), cut, ctx)
}

/// The common case, with etherparse's header slices alone: Ethernet (up to
/// three 802.1Q/802.1ad tags), Linux SLL/SLL2 or raw IP, then IPv4 / IPv6
/// without extension headers, whole (not cut, not fragmented), carrying
/// TCP. Anything else — or anything odd about these — is left to the lax
/// slicer, which says what went wrong.
fn fast_path(link_type: LinkType, data: &[u8]) -> Option<Segment<'_>> {
    use etherparse::{Ipv4HeaderSlice, Ipv6HeaderSlice, TcpHeaderSlice};
    let at = plain_ip(link_type, data)?;
    let ip = data.get(at..)?;
    let (src, dst, ip_payload) = match ip.first()? >> 4 {
        4 => {
            let h = Ipv4HeaderSlice::from_slice(ip).ok()?;
            if h.protocol() != IpNumber::TCP || h.is_fragmenting_payload() {
                return None;
            }
            let payload = ip.get(h.slice().len()..usize::from(h.total_len()))?;
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                payload,
            )
        }
        6 => {
            let h = Ipv6HeaderSlice::from_slice(ip).ok()?;
            if h.next_header() != IpNumber::TCP {
                return None;
            }
            let payload = ip.get(40..40 + usize::from(h.payload_length()))?;
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                payload,
            )
        }
        _ => return None,
    };
    let tcp = TcpHeaderSlice::from_slice(ip_payload).ok()?;
    Some(Segment {
        src: Endpoint {
            ip: src,
            port: tcp.source_port(),
        },
        dst: Endpoint {
            ip: dst,
            port: tcp.destination_port(),
        },
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags::of(tcp.fin(), tcp.syn(), tcp.rst(), tcp.ack()),
        payload: ip_payload.get(tcp.slice().len()..)?,
        cut: 0,
    })
}

/// Where the IP header of a common frame starts: Ethernet (up to three
/// 802.1Q/802.1ad tags), Linux SLL/SLL2 or raw IP, carrying IPv4 or IPv6.
#[inline]
fn plain_ip(link_type: LinkType, data: &[u8]) -> Option<usize> {
    let (ether_type, at) = match link_type {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut et = be16(data, at)?;
            for _ in 0..3 {
                if !matches!(et, 0x8100 | 0x88a8) {
                    break;
                }
                at += 4;
                et = be16(data, at)?;
            }
            (et, at + 2)
        }
        LinkType::LINUX_SLL => (be16(data, 14)?, 16),
        LinkType::LINUX_SLL2 => (be16(data, 0)?, 20),
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => (0x0800, 0),
        _ => return None,
    };
    matches!(ether_type, 0x0800 | 0x86dd).then_some(at)
}

/// The addresses of a common frame that carries TCP straight over IP (see
/// `plain_ip`; IPv6 without extension headers), read from the header
/// without checking the rest: when [`decode`] finds a segment in such a
/// frame, these are its addresses (TCP opens no tunnel), and when it finds
/// none they do not matter. The capture thread picks a frame's worker with
/// them; anything else it decodes.
#[inline]
pub fn tcp_ip_pair(link_type: LinkType, data: &[u8]) -> Option<(IpAddr, IpAddr)> {
    let ip = data.get(plain_ip(link_type, data)?..)?;
    let addr4 = |at: usize| -> Option<IpAddr> {
        let b: [u8; 4] = ip.get(at..at + 4)?.try_into().ok()?;
        Some(IpAddr::from(b))
    };
    let addr6 = |at: usize| -> Option<IpAddr> {
        let b: [u8; 16] = ip.get(at..at + 16)?.try_into().ok()?;
        Some(IpAddr::from(b))
    };
    match ip.first()? >> 4 {
        4 if *ip.get(9)? == 6 => Some((addr4(12)?, addr4(16)?)),
        6 if *ip.get(6)? == 6 => Some((addr6(8)?, addr6(24)?)),
        _ => None,
    }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn ether_type<'a>(
    proto: u16,
    payload: &'a [u8],
    cut: u32,
    ctx: &mut Ctx,
) -> Result<Segment<'a>, Skip> {
    match proto {
        ETHERTYPE_PPPOE_SESSION => pppoe(payload, cut, ctx),
        tunnel::ETHERTYPE_MPLS | tunnel::ETHERTYPE_MPLS_MULTICAST => mpls(payload, cut, ctx),
        _ => link_payload(
            LaxSlicedPacket::from_ether_type(EtherType(proto), payload),
            cut,
            ctx,
        ),
    }
}

/// After the link layer (and any VLAN tags) etherparse has sliced.
fn link_payload<'a>(
    pkt: LaxSlicedPacket<'a>,
    cut: u32,
    ctx: &mut Ctx,
) -> Result<Segment<'a>, Skip> {
    if pkt.net.is_none() {
        return match pkt.ether_payload() {
            Some(p) if p.ether_type.0 == ETHERTYPE_PPPOE_SESSION => pppoe(p.payload, cut, ctx),
            Some(p)
                if matches!(
                    p.ether_type.0,
                    tunnel::ETHERTYPE_MPLS | tunnel::ETHERTYPE_MPLS_MULTICAST
                ) =>
            {
                mpls(p.payload, cut, ctx)
            }
            Some(p) if p.ether_type == EtherType::IPV4 || p.ether_type == EtherType::IPV6 => {
                Err(if cut > 0 {
                    Skip::TruncatedBySnaplen
                } else {
                    Skip::BadIp
                })
            }
            Some(p) => Err(Skip::NotIp(p.ether_type.0)),
            None => Err(Skip::TruncatedLink),
        };
    }
    transport(pkt, cut, ctx)
}

/// PPPoE session header (RFC 2516 §4) + PPP protocol field. The session
/// header's length bounds the PPP frame: what follows it in the Ethernet
/// frame is padding, even when the IP header claims more (a real capture,
/// `26-qinq-pppoe.pcap`, has such an ACK, whose six padding bytes would
/// otherwise be read as TCP payload).
fn pppoe<'a>(data: &'a [u8], cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    let len = usize::from(be16(data, 4).ok_or(Skip::TruncatedLink)?);
    let proto = be16(data, 6).ok_or(Skip::TruncatedLink)?;
    let frame = data.get(..6 + len).unwrap_or(data);
    let rest = frame.get(8..).unwrap_or_default();
    match proto {
        0x0021 | 0x0057 => ip(rest, cut, ctx),
        _ => Err(Skip::NotIp(ETHERTYPE_PPPOE_SESSION)),
    }
}

fn ip<'a>(data: &'a [u8], cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    match LaxSlicedPacket::from_ip(data) {
        Ok(pkt) => transport(pkt, cut, ctx),
        Err(_) if cut > 0 && data.len() < 60 => Err(Skip::TruncatedBySnaplen),
        Err(_) => Err(Skip::BadIp),
    }
}

/// From the IP layer down: TCP, or a tunnel (IP in IP, GRE, a UDP
/// tunnel, GTP-U) and what it carries.
fn transport<'a>(pkt: LaxSlicedPacket<'a>, cut: u32, ctx: &mut Ctx) -> Result<Segment<'a>, Skip> {
    let (src_ip, dst_ip, payload) = match &pkt.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                v4.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                v6.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Err(Skip::NotIp(0x0806)),
        None => return Err(Skip::BadIp),
    };
    if payload.fragmented {
        return Err(Skip::IpFragment);
    }
    // Only a frame cut by the snapshot length loses payload bytes; an IP
    // length that merely lies (incomplete without a cut) is taken as is.
    let cut = if payload.incomplete { cut } else { 0 };
    match &pkt.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let flags = TcpFlags::of(tcp.fin(), tcp.syn(), tcp.rst(), tcp.ack());
            Ok(Segment {
                src: Endpoint {
                    ip: src_ip,
                    port: tcp.source_port(),
                },
                dst: Endpoint {
                    ip: dst_ip,
                    port: tcp.destination_port(),
                },
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags,
                payload: tcp.payload(),
                cut,
            })
        }
        Some(TransportSlice::Udp(udp)) => {
            let (sport, dport) = (udp.source_port(), udp.destination_port());
            let outer = Some((src_ip, dst_ip));
            if dport == GTP_U_PORT || sport == GTP_U_PORT {
                let teid = udp.payload().get(4..8).and_then(|t| t.try_into().ok());
                return match gtp_u_payload(udp.payload()) {
                    Some(payload) => {
                        ctx.enter(TunnelKind::GtpU, outer, teid.map(u32::from_be_bytes))?;
                        ip(payload, cut, ctx)
                    }
                    None => Err(Skip::UdpOther),
                };
            }
            // CAPWAP's DTLS channels are datagrams, not a tunnel to open.
            let capwap = capwap_dtls(sport, dport, udp.payload());
            let Some(kind) = tunnel::udp_kind(sport, dport).filter(|_| capwap.is_none()) else {
                let data = capwap.unwrap_or(udp.payload());
                if is_quic_long(data) || is_short_or_dtls(data) {
                    return Ok(Segment {
                        src: Endpoint {
                            ip: src_ip,
                            port: sport,
                        },
                        dst: Endpoint {
                            ip: dst_ip,
                            port: dport,
                        },
                        seq: 0,
                        ack: 0,
                        flags: TcpFlags::DATAGRAM,
                        payload: data,
                        cut,
                    });
                }
                return Err(Skip::UdpOther);
            };
            let (id, next) = tunnel::udp(kind, udp.payload()).map_err(|e| Skip::Tunnel(kind, e))?;
            ctx.enter(kind, outer, id)?;
            inner(next, cut, ctx)
        }
        _ => {
            let proto = payload.ip_number;
            if proto == IpNumber::TCP {
                return Err(if payload.incomplete && cut > 0 {
                    Skip::TruncatedBySnaplen
                } else {
                    Skip::BadTcp
                });
            }
            let outer = Some((src_ip, dst_ip));
            if proto == IpNumber::IPV4 || proto == IpNumber::IPV6 {
                let kind = match (src_ip.is_ipv4(), proto == IpNumber::IPV4) {
                    (true, true) => TunnelKind::Ip4in4,
                    (true, false) => TunnelKind::Ip6in4,
                    (false, true) => TunnelKind::Ip4in6,
                    (false, false) => TunnelKind::Ip6in6,
                };
                ctx.enter(kind, outer, None)?;
                return ip(payload.payload, cut, ctx);
            }
            if proto == IpNumber::GRE {
                let (kind, id, next) =
                    tunnel::gre(payload.payload).map_err(|e| Skip::Tunnel(TunnelKind::Gre, e))?;
                ctx.enter(kind, outer, id)?;
                return inner(next, cut, ctx);
            }
            Err(Skip::NotTcp(proto.0))
        }
    }
}

/// A QUIC long-header packet of a version whose Initials tlssniff can read,
/// or a Version Negotiation (RFC 9000 §17.2: the high bit set; the fixed
/// bit may be 0 when the peers grease it, RFC 9287). The version decides:
/// random UDP — DNS ids, games — almost never carries one of the few
/// known versions there.
fn is_quic_long(d: &[u8]) -> bool {
    let Some(&first) = d.first() else {
        return false;
    };
    let Some(version) = d
        .get(1..5)
        .and_then(|v| v.try_into().ok())
        .map(u32::from_be_bytes)
    else {
        return false;
    };
    first & 0x80 != 0 && (version == 0 || crate::datagram::quic::QuicVersion(version).is_known())
}

/// CAPWAP's DTLS channels (RFC 5415 §4.1, §4.2: control on UDP 5246, data
/// on 5247 when encrypted): a 4-byte header of preamble type 1, then DTLS
/// records. The records, if this is one.
fn capwap_dtls(sport: u16, dport: u16, data: &[u8]) -> Option<&[u8]> {
    let capwap = |p: u16| p == 5246 || p == tunnel::CAPWAP_DATA_PORT;
    if !(capwap(sport) || capwap(dport)) || data.first() != Some(&0x01) {
        return None;
    }
    let records = data.get(4..)?;
    crate::datagram::dtls::looks_like_dtls(records).then_some(records)
}

/// Could be a QUIC short-header (1-RTT) packet, or DTLS: the high bit
/// clear (the fixed bit may be greased too, RFC 9287). Only the worker can
/// tell — it is QUIC if its flow is one being followed, DTLS if it looks like
/// a record; anything else is counted as [`Skip::UdpOther`] there.
pub fn is_short_or_dtls(d: &[u8]) -> bool {
    d.first().is_some_and(|b| b & 0x80 == 0)
}

/// The T-PDU inside a GTPv1-U G-PDU message (3GPP TS 29.281 §5), if this is
/// one.
fn gtp_u_payload(data: &[u8]) -> Option<&[u8]> {
    let flags = *data.first()?;
    let msg_type = *data.get(1)?;
    // Version 1, protocol type GTP, message type 255 (G-PDU).
    if flags >> 5 != 1 || flags & 0x10 == 0 || msg_type != 0xff {
        return None;
    }
    let mut at = 8;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number and next-extension-header type.
        at = 12;
        let mut next_ext = *data.get(11)?;
        while next_ext != 0 {
            // Extension header length is in units of 4 bytes, its last byte
            // is the next type.
            let units = usize::from(*data.get(at)?);
            if units == 0 {
                return None;
            }
            at += units * 4;
            next_ext = *data.get(at - 1)?;
        }
    }
    data.get(at..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_link_type_is_a_named_skip() {
        assert_eq!(
            decode(LinkType(147), &[0; 64], 0).unwrap_err(),
            Skip::UnknownLinkType(147)
        );
        assert_eq!(
            Skip::UnknownLinkType(147).to_string(),
            "unknown link type 147"
        );
    }

    #[test]
    fn short_frames_never_panic() {
        for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276] {
            for len in 0..80 {
                let data = vec![0x45; len];
                let _ = decode(LinkType(lt), &data, 0);
                let _ = decode(LinkType(lt), &data, 100);
            }
        }
    }

    /// The fast path and the lax slicer agree on every fixture packet.
    #[test]
    fn fast_path_agrees_with_the_lax_slicer() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut fast = 0;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let Ok(mut f) = crate::capture::file::CaptureFile::open(&entry.path()) else {
                continue;
            };
            while let Ok(Some(p)) = f.next_packet() {
                let Some(seg) = fast_path(p.link_type, p.data) else {
                    continue;
                };
                fast += 1;
                let lax = link(p.link_type, p.data, 0, &mut Ctx::default()).unwrap();
                assert_eq!(
                    (seg.src, seg.dst, seg.seq, seg.ack, seg.flags, seg.payload),
                    (lax.src, lax.dst, lax.seq, lax.ack, lax.flags, lax.payload)
                );
            }
        }
        assert!(fast > 500, "{fast}");
    }

    proptest::proptest! {
        /// Any bytes under any link type: a segment inside the frame, or a
        /// reason — never a panic.
        #[test]
        fn arbitrary_frames_never_panic(
            lt in proptest::sample::select(vec![0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9]),
            data in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..200),
            cut in 0u32..300,
        ) {
            if let Ok(seg) = decode(LinkType(lt), &data, cut) {
                let start = data.as_ptr() as usize;
                let p = seg.payload.as_ptr() as usize;
                proptest::prop_assert!(seg.payload.is_empty() || (p >= start && p + seg.payload.len() <= start + data.len()));
            }
        }
    }

    #[test]
    fn gtp_without_g_pdu_is_not_unwrapped() {
        assert_eq!(gtp_u_payload(&[0x32, 0x01, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(
            gtp_u_payload(&[0x30, 0xff, 0, 4, 0, 0, 0, 1, 9]),
            Some(&[9u8][..])
        );
    }
}
