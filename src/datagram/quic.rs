//! QUIC Initial packets: the long header, the Initial keys every observer
//! can derive, header protection, AEAD decryption and the frames inside —
//! enough to take the TLS handshake out of CRYPTO frames.
//!
//! Follows RFC 9000 §17.2 (long header), §19 (frames), RFC 9001 §5 (Initial
//! secrets, header protection, AES-128-GCM), RFC 9369 §3 (QUIC version 2:
//! its own salt, labels and packet type numbers) and the drafts' salts
//! (draft-23 to -28, draft-29 to -32). Only Initial packets are decrypted:
//! Handshake and 1-RTT keys come from the TLS key exchange, which an
//! observer does not have; their packets are only counted (a server
//! Handshake packet says the server answered). Cryptography is RustCrypto's
//! (`aes-gcm`, `aes`, `hkdf`, `sha2`): pure Rust like the rest of the
//! crate, so the default build needs no C compiler or system library.
//!
//! Pure: bytes in, facts out; no input makes it panic.

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::AeadInPlace;
use hkdf::Hkdf;
use sha2::Sha256;

use crate::tls::reader::Reader;

/// A QUIC version, as an open newtype (unknown values print as hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuicVersion(pub u32);

impl QuicVersion {
    pub const NEGOTIATION: QuicVersion = QuicVersion(0);
    pub const V1: QuicVersion = QuicVersion(1);
    pub const V2: QuicVersion = QuicVersion(0x6b33_43cf);

    /// The name in every format: `1`, `2`, `draft-29`, else hex.
    pub fn name(self) -> String {
        match self.0 {
            1 => "1".into(),
            0x6b33_43cf => "2".into(),
            v if v >> 8 == 0x00ff_0000 => format!("draft-{}", v & 0xff),
            v => format!("0x{v:08x}"),
        }
    }

    /// The Initial salt and HKDF labels, when tlssniff knows the version.
    fn keys(self) -> Option<(&'static [u8; 20], &'static str)> {
        Some(match self.0 {
            1 => (&SALT_V1, "quic"),
            0x6b33_43cf => (&SALT_V2, "quicv2"),
            // Drafts 33 and 34 already use version 1's salt.
            0xff00_0021..=0xff00_0022 => (&SALT_V1, "quic"),
            0xff00_001d..=0xff00_0020 => (&SALT_DRAFT_29, "quic"),
            0xff00_0017..=0xff00_001c => (&SALT_DRAFT_23, "quic"),
            _ => return None,
        })
    }

    pub fn is_known(self) -> bool {
        self.keys().is_some()
    }

    /// The long-header packet type, by the version's numbering (RFC 9369
    /// §3.2 renumbers them).
    pub fn packet_type(self, bits: u8) -> PacketType {
        let bits = bits & 3;
        if self == QuicVersion::V2 {
            match bits {
                0 => PacketType::Retry,
                1 => PacketType::Initial,
                2 => PacketType::ZeroRtt,
                _ => PacketType::Handshake,
            }
        } else {
            match bits {
                0 => PacketType::Initial,
                1 => PacketType::ZeroRtt,
                2 => PacketType::Handshake,
                _ => PacketType::Retry,
            }
        }
    }
}

/// RFC 9001 §5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 §5.2 (drafts 29 to 32).
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 §5.2 (drafts 23 to 28).
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

/// Why a datagram's QUIC packet was not read (counted, never guessed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuicSkip {
    /// Shorter than its header or its length field says.
    Truncated,
    /// A version whose Initial keys tlssniff does not know.
    UnknownVersion,
    /// The AEAD tag did not verify (damaged, or not QUIC after all).
    DecryptFailed,
    /// A frame that an Initial packet may not carry, or a broken one.
    BadFrame,
}

impl QuicSkip {
    pub fn describe(self) -> &'static str {
        match self {
            QuicSkip::Truncated => "truncated packet",
            QuicSkip::UnknownVersion => "version without known Initial keys",
            QuicSkip::DecryptFailed => "Initial that does not decrypt",
            QuicSkip::BadFrame => "Initial with a malformed frame",
        }
    }
}

/// A long-header packet's fields (RFC 9000 §17.2), up to its protected
/// packet number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongHeader<'a> {
    pub version: QuicVersion,
    pub kind: PacketType,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// Initial: the token (non-empty after a Retry).
    pub token: &'a [u8],
    /// Retry: the packet after the connection ids (token and tag).
    /// Version Negotiation: the supported versions.
    pub rest: &'a [u8],
    /// Offset of the (protected) packet number in the packet.
    pub pn_offset: usize,
    /// The whole packet (this one, in a datagram of coalesced packets).
    pub packet: &'a [u8],
}

/// RFC 9000 §16: a variable-length integer.
pub fn varint(r: &mut Reader<'_>) -> Option<u64> {
    let first = r.u8()?;
    let mut v = u64::from(first & 0x3f);
    for _ in 0..(1usize << (first >> 6)) - 1 {
        v = v << 8 | u64::from(r.u8()?);
    }
    Some(v)
}

/// Parses the long-header packet at the start of `d`; also returns the
/// bytes after it (the next coalesced packet). Version Negotiation (version
/// 0) and Retry packets span the whole datagram.
pub fn long_header(d: &[u8]) -> Result<(LongHeader<'_>, &[u8]), QuicSkip> {
    let mut r = Reader::new(d);
    let first = r.u8().ok_or(QuicSkip::Truncated)?;
    let version = QuicVersion(r.u32().ok_or(QuicSkip::Truncated)?);
    let dcid_len = usize::from(r.u8().ok_or(QuicSkip::Truncated)?);
    let dcid = r.take(dcid_len).ok_or(QuicSkip::Truncated)?;
    let scid_len = usize::from(r.u8().ok_or(QuicSkip::Truncated)?);
    let scid = r.take(scid_len).ok_or(QuicSkip::Truncated)?;
    let whole = |rest: &'static [u8], kind| {
        let at = d.len() - r.remaining();
        Ok((
            LongHeader {
                version,
                kind,
                dcid,
                scid,
                token: &[],
                rest: d.get(at..).unwrap_or_default(),
                pn_offset: at,
                packet: d,
            },
            rest,
        ))
    };
    if version == QuicVersion::NEGOTIATION {
        return whole(&[], PacketType::Retry);
    }
    if dcid_len > 20 || scid_len > 20 {
        return Err(QuicSkip::Truncated);
    }
    let kind = version.packet_type(first >> 4);
    if kind == PacketType::Retry {
        return whole(&[], PacketType::Retry);
    }
    let token = if kind == PacketType::Initial {
        let n = varint(&mut r).ok_or(QuicSkip::Truncated)?;
        r.take(usize::try_from(n).map_err(|_| QuicSkip::Truncated)?)
            .ok_or(QuicSkip::Truncated)?
    } else {
        &[]
    };
    let length = varint(&mut r).ok_or(QuicSkip::Truncated)?;
    let pn_offset = d.len() - r.remaining();
    let end = usize::try_from(length)
        .ok()
        .and_then(|l| pn_offset.checked_add(l))
        .filter(|e| *e <= d.len())
        .ok_or(QuicSkip::Truncated)?;
    let packet = d.get(..end).ok_or(QuicSkip::Truncated)?;
    Ok((
        LongHeader {
            version,
            kind,
            dcid,
            scid,
            token,
            rest: &[],
            pn_offset,
            packet,
        },
        d.get(end..).unwrap_or_default(),
    ))
}

/// One direction's Initial keys.
#[derive(Clone)]
pub struct InitialKeys {
    aead: Aes128Gcm,
    iv: [u8; 12],
    hp: aes::Aes128,
}

/// RFC 8446 §7.1 HKDF-Expand-Label with an empty context.
fn expand_label(hk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend((out.len() as u16).to_be_bytes());
    info.push(u8::try_from(full.len()).ok()?);
    info.extend(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).ok()
}

/// RFC 9001 §5.2 (RFC 9369 §3.3): key, iv and header-protection key.
fn material(
    version: QuicVersion,
    dcid: &[u8],
    client: bool,
) -> Option<([u8; 16], [u8; 12], [u8; 16])> {
    let (salt, prefix) = version.keys()?;
    let (_, initial) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let mut secret = [0u8; 32];
    expand_label(
        &initial,
        if client { "client in" } else { "server in" },
        &mut secret,
    )?;
    let side = Hkdf::<Sha256>::from_prk(&secret).ok()?;
    let (mut key, mut iv, mut hp) = ([0u8; 16], [0u8; 12], [0u8; 16]);
    expand_label(&side, &format!("{prefix} key"), &mut key)?;
    expand_label(&side, &format!("{prefix} iv"), &mut iv)?;
    expand_label(&side, &format!("{prefix} hp"), &mut hp)?;
    Some((key, iv, hp))
}

impl InitialKeys {
    /// The keys of the client's (`client`) or the server's Initial packets,
    /// from the destination connection id of the client's first Initial
    /// (after a Retry, the Retry's source connection id).
    pub fn derive(version: QuicVersion, client_dcid: &[u8], client: bool) -> Option<InitialKeys> {
        let (key, iv, hp) = material(version, client_dcid, client)?;
        Some(InitialKeys {
            aead: Aes128Gcm::new_from_slice(&key).ok()?,
            iv,
            hp: aes::Aes128::new_from_slice(&hp).ok()?,
        })
    }

    /// Removes header protection and decrypts an Initial packet (RFC 9001
    /// §5.4, §5.3): its packet number (truncated, as sent) and plaintext.
    pub fn open(&self, h: &LongHeader<'_>) -> Result<(u64, Vec<u8>), QuicSkip> {
        let p = h.packet;
        let sample_at = h.pn_offset + 4;
        let sample = p
            .get(sample_at..sample_at + 16)
            .ok_or(QuicSkip::Truncated)?;
        let mut block = GenericArray::clone_from_slice(sample);
        self.hp.encrypt_block(&mut block);
        let mask: [u8; 16] = block.into();
        let [m0, pn_mask @ ..] = mask;
        let first = p.first().ok_or(QuicSkip::Truncated)? ^ (m0 & 0x0f);
        let pn_len = usize::from(first & 3) + 1;
        let mut header = p
            .get(..h.pn_offset + pn_len)
            .ok_or(QuicSkip::Truncated)?
            .to_vec();
        if let Some(b) = header.first_mut() {
            *b = first;
        }
        let mut pn = 0u64;
        for (i, m) in pn_mask.iter().take(pn_len).enumerate() {
            let at = h.pn_offset + i;
            let b = header.get(at).ok_or(QuicSkip::Truncated)? ^ m;
            if let Some(slot) = header.get_mut(at) {
                *slot = b;
            }
            pn = pn << 8 | u64::from(b);
        }
        let body = p.get(h.pn_offset + pn_len..).ok_or(QuicSkip::Truncated)?;
        let tag_at = body.len().checked_sub(16).ok_or(QuicSkip::Truncated)?;
        let (ciphertext, tag) = body.split_at(tag_at);
        let mut nonce = self.iv;
        for (n, b) in nonce.iter_mut().rev().zip(pn.to_be_bytes().iter().rev()) {
            *n ^= b;
        }
        let mut plain = ciphertext.to_vec();
        self.aead
            .decrypt_in_place_detached(
                GenericArray::from_slice(&nonce),
                &header,
                &mut plain,
                GenericArray::from_slice(tag),
            )
            .map_err(|_| QuicSkip::DecryptFailed)?;
        Ok((pn, plain))
    }
}

/// What an Initial packet's frames said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitialFrames<'a> {
    /// CRYPTO frames: (stream offset, data).
    pub crypto: Vec<(u64, &'a [u8])>,
    /// CONNECTION_CLOSE: the error code (0x0100 + TLS alert for a TLS
    /// error, RFC 9001 §4.8).
    pub close: Option<u64>,
}

/// The frames of a decrypted Initial (RFC 9000 §19; §17.2.2: only
/// PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE may appear).
pub fn initial_frames(plain: &[u8]) -> Result<InitialFrames<'_>, QuicSkip> {
    let mut r = Reader::new(plain);
    let mut out = InitialFrames::default();
    while !r.is_empty() {
        let kind = varint(&mut r).ok_or(QuicSkip::BadFrame)?;
        match kind {
            0x00 | 0x01 => {}
            0x02 | 0x03 => {
                // Largest, delay, range count, first range, then ranges.
                let mut next = || varint(&mut r).ok_or(QuicSkip::BadFrame);
                next()?;
                next()?;
                let ranges = next()?;
                next()?;
                for _ in 0..ranges.min(1 << 16) {
                    next()?;
                    next()?;
                }
                if kind == 0x03 {
                    for _ in 0..3 {
                        next()?;
                    }
                }
            }
            0x06 => {
                let offset = varint(&mut r).ok_or(QuicSkip::BadFrame)?;
                let len = varint(&mut r).ok_or(QuicSkip::BadFrame)?;
                let data = usize::try_from(len)
                    .ok()
                    .and_then(|l| r.take(l))
                    .ok_or(QuicSkip::BadFrame)?;
                out.crypto.push((offset, data));
            }
            0x1c | 0x1d => {
                let code = varint(&mut r).ok_or(QuicSkip::BadFrame)?;
                if kind == 0x1c {
                    varint(&mut r).ok_or(QuicSkip::BadFrame)?;
                }
                let len = varint(&mut r).ok_or(QuicSkip::BadFrame)?;
                usize::try_from(len)
                    .ok()
                    .and_then(|l| r.take(l))
                    .ok_or(QuicSkip::BadFrame)?;
                out.close = Some(code);
            }
            _ => return Err(QuicSkip::BadFrame),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 Appendix A.1 and RFC 9369 Appendix A.1: the keys for the
    /// client's DCID 0x8394c8f03e515708.
    #[test]
    fn initial_keys_match_the_rfc_vectors() {
        let dcid = hex("8394c8f03e515708");
        for (version, client, key, iv, hp) in [
            (
                QuicVersion::V1,
                true,
                "1f369613dd76d5467730efcbe3b1a22d",
                "fa044b2f42a3fd3b46fb255c",
                "9f50449e04a0e810283a1e9933adedd2",
            ),
            (
                QuicVersion::V1,
                false,
                "cf3a5331653c364c88f0f379b6067e37",
                "0ac1493ca1905853b0bba03e",
                "c206b8d9b9f0f37644430b490eeaa314",
            ),
            (
                QuicVersion::V2,
                true,
                "8b1a0bc121284290a29e0971b5cd045d",
                "91f73e2351d8fa91660e909f",
                "45b95e15235d6f45a6b19cbcb0294ba9",
            ),
            (
                QuicVersion::V2,
                false,
                "82db637861d55e1d011f19ea71d5d2a7",
                "dd13c276499c0249d3310652",
                "edf6d05c83121201b436e16877593c3a",
            ),
        ] {
            let (k, i, h) = material(version, &dcid, client).unwrap();
            assert_eq!(
                (k.to_vec(), i.to_vec(), h.to_vec()),
                (hex(key), hex(iv), hex(hp)),
                "{} client={client}",
                version.name()
            );
        }
    }

    #[test]
    fn drafts_33_and_34_share_version_1s_initial_keys() {
        let dcid = hex("8394c8f03e515708");
        for draft in [0xff00_0021, 0xff00_0022] {
            assert_eq!(
                material(QuicVersion(draft), &dcid, true),
                material(QuicVersion::V1, &dcid, true)
            );
        }
        assert_ne!(
            material(QuicVersion(0xff00_0020), &dcid, true),
            material(QuicVersion::V1, &dcid, true),
            "draft-32 has draft-29's salt"
        );
        assert!(!QuicVersion(0xff00_0023).is_known());
    }

    #[test]
    fn varints_of_every_length() {
        for (bytes, v) in [
            (&[0x25][..], 37u64),
            (&[0x7b, 0xbd], 15_293),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
        ] {
            assert_eq!(varint(&mut Reader::new(bytes)), Some(v));
        }
        assert_eq!(varint(&mut Reader::new(&[0x9d, 0x7f])), None);
    }

    #[test]
    fn version_names_and_packet_types() {
        assert_eq!(QuicVersion(0xff00_001d).name(), "draft-29");
        assert_eq!(QuicVersion::V2.name(), "2");
        assert_eq!(QuicVersion(0x1a2a_3a4a).name(), "0x1a2a3a4a");
        assert!(!QuicVersion(0x1a2a_3a4a).is_known());
        assert_eq!(QuicVersion::V1.packet_type(0xc), PacketType::Initial);
        assert_eq!(QuicVersion::V2.packet_type(0xd), PacketType::Initial);
        assert_eq!(QuicVersion::V2.packet_type(0xc), PacketType::Retry);
    }
}
