//! The certificate chain of a Certificate handshake message (RFC 5246
//! §7.4.2, SSL 3.0 the same): read as it streams by, the leaf kept and
//! parsed with `x509-parser`, the rest counted.
//!
//! ```text
//! opaque ASN.1Cert<1..2^24-1>;
//! struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
//! ```
//!
//! Only the first certificate (the sender's own, RFC 5246 §7.4.2) is
//! buffered, up to a cap; every other entry is skipped by its length and
//! only counted, so a 300 KB chain costs one leaf of memory. The reader
//! gives the leaf's DER ([`Chain`]); a [`LeafCache`] turns it into owned
//! facts ([`Leaf`]: names, serial, validity, signature algorithm, public
//! key, SHA-256 of the DER, whether it is self-signed), parsing each
//! distinct certificate once — a server shows the same one to every
//! client. Nothing here judges them: findings at capture time (expired,
//! weak, a name that does not match the SNI) are `analysis::certificate`'s,
//! because they need the capture's clock and the client's SNI.
//!
//! TLS 1.3 Certificate messages (RFC 8446 §4.4.2) are always encrypted, so
//! their format is not read here. No signature is verified: the chain is
//! described, not validated.

use std::fmt::Write as _;
use std::sync::Arc;

use hashlink::LruCache;

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::X509Name;

use super::reader::Partial;
use crate::text::WireText;

/// SAN DNS names kept per leaf; a leaf with more is marked `san_cut`.
pub const MAX_SAN_NAMES: usize = 1024;

/// What one Certificate message showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// Certificates in the message (all entries seen, the leaf included).
    pub chain_length: u32,
    /// The message did not arrive whole (a capture gap, or the connection
    /// ended first): `chain_length` counts only the entries that did.
    pub partial: bool,
    /// The leaf's facts, or why it could not be read.
    pub leaf: Result<Arc<Leaf>, Unreadable>,
}

/// A Certificate message as read off the wire: its leaf's DER, not yet
/// parsed (see [`LeafCache::read`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub chain_length: u32,
    pub partial: bool,
    pub leaf: Result<Vec<u8>, Unreadable>,
}

/// Why a Certificate message's leaf could not be read. Each is counted and
/// reported; none is an error of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unreadable {
    /// The message declared more bytes than `--max-certificate-bytes`: it
    /// was skipped, not read.
    TooLong,
    /// The leaf is larger than the per-message buffer
    /// (`--max-handshake-bytes`).
    LeafTooLarge,
    /// The certificate list is empty (the server sent no certificate).
    Empty,
    /// The lengths inside the message do not add up.
    BadFraming,
    /// A capture gap, or the end of the connection, cut the leaf.
    Cut,
    /// The leaf is not a DER X.509 certificate `x509-parser` can read.
    BadDer,
}

impl Unreadable {
    pub const ALL: [Unreadable; 6] = [
        Unreadable::TooLong,
        Unreadable::LeafTooLarge,
        Unreadable::Empty,
        Unreadable::BadFraming,
        Unreadable::Cut,
        Unreadable::BadDer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unreadable::TooLong => "too_long",
            Unreadable::LeafTooLarge => "leaf_too_large",
            Unreadable::Empty => "empty",
            Unreadable::BadFraming => "bad_framing",
            Unreadable::Cut => "cut",
            Unreadable::BadDer => "bad_der",
        }
    }

    /// In words, for warnings.
    pub fn describe(self) -> &'static str {
        match self {
            Unreadable::TooLong => "Certificate message longer than --max-certificate-bytes",
            Unreadable::LeafTooLarge => "leaf certificate larger than --max-handshake-bytes",
            Unreadable::Empty => "empty certificate list",
            Unreadable::BadFraming => "certificate lengths that do not add up",
            Unreadable::Cut => "leaf certificate cut by the capture",
            Unreadable::BadDer => "leaf certificate that is not valid DER X.509",
        }
    }
}

/// The public key's algorithm (SubjectPublicKeyInfo, RFC 5280 §4.1.2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyType {
    Rsa,
    /// RSASSA-PSS keys (RFC 4055).
    RsaPss,
    Ec,
    Dsa,
    Ed25519,
    Ed448,
    Other,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::RsaPss => "RSA-PSS",
            KeyType::Ec => "EC",
            KeyType::Dsa => "DSA",
            KeyType::Ed25519 => "Ed25519",
            KeyType::Ed448 => "Ed448",
            KeyType::Other => "other",
        }
    }
}

/// The hash inside the signature algorithm, as far as the findings care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureHash {
    Md2,
    Md5,
    Sha1,
    /// SHA-2 or better, EdDSA, or an algorithm not known here.
    Other,
}

/// The facts of a leaf certificate. Every name is [`WireText`]: a server
/// chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The subject and issuer distinguished names, RFC 4514-like
    /// (`CN=example.com, O=Example`), as `x509-parser` prints them.
    pub subject: WireText,
    pub issuer: WireText,
    /// The first commonName of each.
    pub subject_cn: Option<WireText>,
    pub issuer_cn: Option<WireText>,
    /// subjectAltName dNSName entries, in order (at most
    /// [`MAX_SAN_NAMES`]).
    pub san_dns: Vec<WireText>,
    /// More dNSName entries than were kept.
    pub san_cut: bool,
    /// The serial number's bytes in hex, leading zero bytes removed.
    pub serial: String,
    /// Validity, in seconds since 1970 (UTC).
    pub not_before: i64,
    pub not_after: i64,
    /// The signature algorithm's name (`sha256WithRSAEncryption`), or its
    /// OID when the name is not known.
    pub signature_algorithm: String,
    pub signature_oid: String,
    pub signature_hash: SignatureHash,
    pub key_type: KeyType,
    /// Key size in bits (RSA: modulus; EC: the named curve's size; DSA:
    /// the prime p); `None` when it cannot be told.
    pub key_bits: Option<u32>,
    /// EC: the named curve (`prime256v1`), or its OID.
    pub key_curve: Option<String>,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub sha256: String,
    /// Subject equals issuer (byte for byte), and the authority and subject
    /// key identifiers agree where both are present.
    pub self_signed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The 3-byte length of the certificate list.
    ListLength,
    /// The 3-byte length of the next entry.
    EntryLength,
    /// Inside an entry: the leaf (buffered) or a later one (skipped).
    Entry,
    /// Bytes after the list, or after the framing broke: ignored.
    Done,
}

/// Streams one Certificate message body; [`ChainReader::finish`] gives
/// what it showed.
#[derive(Debug)]
pub struct ChainReader {
    step: Step,
    len: Partial<3>,
    /// Bytes of the certificate list not yet read.
    list_left: usize,
    entry_left: usize,
    entries: u32,
    leaf: Vec<u8>,
    max_leaf: usize,
    /// The leaf is over `max_leaf` (it is then skipped, not buffered).
    error: Option<Unreadable>,
    broken: bool,
}

impl ChainReader {
    /// A reader that buffers a leaf of at most `max_leaf` bytes.
    pub fn new(max_leaf: usize) -> ChainReader {
        ChainReader {
            step: Step::ListLength,
            len: Partial::default(),
            list_left: 0,
            entry_left: 0,
            entries: 0,
            leaf: Vec::new(),
            max_leaf,
            error: None,
            broken: false,
        }
    }

    /// Bytes buffered (for memory accounting).
    pub fn buffered(&self) -> usize {
        self.leaf.capacity()
    }

    /// The next bytes of the message body.
    pub fn push(&mut self, mut body: &[u8]) {
        while !body.is_empty() {
            match self.step {
                Step::ListLength | Step::EntryLength => {
                    let (len, rest) = self.len.fill(body);
                    body = rest;
                    let Some([a, b, c]) = len else {
                        return;
                    };
                    let n = u32::from_be_bytes([0, a, b, c]) as usize;
                    if self.step == Step::ListLength {
                        self.list_left = n;
                        self.step = Step::EntryLength;
                        if n == 0 {
                            self.step = Step::Done;
                        }
                        continue;
                    }
                    // The entry's length field is part of the list.
                    self.list_left = self.list_left.saturating_sub(3);
                    if n == 0 || n > self.list_left {
                        self.fail();
                        continue;
                    }
                    self.entry_left = n;
                    self.entries = self.entries.saturating_add(1);
                    if self.entries == 1 {
                        if n > self.max_leaf {
                            self.error = Some(Unreadable::LeafTooLarge);
                        } else {
                            self.leaf.reserve_exact(n.min(8192));
                        }
                    }
                    self.step = Step::Entry;
                }
                Step::Entry => {
                    let (part, rest) = body.split_at(self.entry_left.min(body.len()));
                    body = rest;
                    if self.entries == 1 && self.error.is_none() {
                        self.leaf.extend_from_slice(part);
                    }
                    self.entry_left -= part.len();
                    self.list_left -= part.len();
                    if self.entry_left == 0 {
                        self.step = if self.list_left == 0 {
                            Step::Done
                        } else {
                            Step::EntryLength
                        };
                    }
                }
                Step::Done => return,
            }
        }
    }

    /// The lengths broke: what follows is not read. A leaf already whole
    /// is still good.
    fn fail(&mut self) {
        self.step = Step::Done;
        self.broken = true;
    }

    /// The message ended, or was `cut` by a capture gap.
    pub fn finish(self, cut: bool) -> Chain {
        let leaf_whole = self.entries > 1 || (self.entries == 1 && self.step != Step::Entry);
        // A message that ends before its list does is cut or mis-framed.
        let short = if cut {
            Unreadable::Cut
        } else {
            Unreadable::BadFraming
        };
        let leaf = match self.error {
            Some(e) => Err(e),
            None if self.entries == 0 && !self.broken && self.step == Step::Done => {
                Err(Unreadable::Empty)
            }
            None if self.entries == 0 && self.broken => Err(Unreadable::BadFraming),
            None if !leaf_whole => Err(short),
            None => Ok(self.leaf),
        };
        Chain {
            chain_length: self.entries,
            partial: cut,
            leaf,
        }
    }
}

/// A Certificate message that was not read because it declared more bytes
/// than allowed.
pub fn too_long() -> Chain {
    Chain {
        chain_length: 0,
        partial: true,
        leaf: Err(Unreadable::TooLong),
    }
}

/// Most certificates a [`LeafCache`] remembers, and the most DER bytes.
const CACHE_ENTRIES: usize = 256;
const CACHE_BYTES: usize = 1 << 20;

/// Parsed leaves by their DER, the most recently used kept: a certificate
/// seen again costs a hash of its bytes, not a parse. Bounded in entries
/// and bytes. The same DER always gives the same [`Leaf`], so a hit or a
/// miss changes nothing in the output.
pub struct LeafCache {
    map: LruCache<Vec<u8>, Result<Arc<Leaf>, Unreadable>>,
    bytes: usize,
    /// Parses done (misses), for tests and statistics.
    pub parsed: u64,
}

impl Default for LeafCache {
    fn default() -> Self {
        LeafCache {
            map: LruCache::new_unbounded(),
            bytes: 0,
            parsed: 0,
        }
    }
}

impl LeafCache {
    /// The facts of a chain read off the wire.
    pub fn read(&mut self, chain: Chain) -> Certificate {
        let leaf = match chain.leaf {
            Err(e) => Err(e),
            Ok(der) => self.leaf(der),
        };
        Certificate {
            chain_length: chain.chain_length,
            partial: chain.partial,
            leaf,
        }
    }

    fn leaf(&mut self, der: Vec<u8>) -> Result<Arc<Leaf>, Unreadable> {
        if let Some(hit) = self.map.get(&der) {
            return hit.clone();
        }
        self.parsed += 1;
        let leaf = parse_leaf(&der).map(Arc::new);
        if der.len() <= CACHE_BYTES {
            self.bytes += der.len();
            self.map.insert(der, leaf.clone());
            while self.map.len() > CACHE_ENTRIES || self.bytes > CACHE_BYTES {
                match self.map.remove_lru() {
                    Some((k, _)) => self.bytes -= k.len(),
                    None => break,
                }
            }
        }
        leaf
    }
}

/// The facts of one DER certificate.
pub fn parse_leaf(der: &[u8]) -> Result<Leaf, Unreadable> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|_| Unreadable::BadDer)?;
    let registry = x509_parser::objects::oid_registry();
    let (san_dns, san_cut) = san_names(&cert);
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let signature_algorithm =
        x509_parser::objects::oid2sn(&cert.signature_algorithm.algorithm, registry)
            .map(str::to_owned)
            .unwrap_or_else(|_| sig_oid.clone());
    let spki = cert.public_key();
    let key_oid = spki.algorithm.algorithm.to_id_string();
    let key_type = match key_oid.as_str() {
        "1.2.840.113549.1.1.1" => KeyType::Rsa,
        "1.2.840.113549.1.1.10" => KeyType::RsaPss,
        "1.2.840.10045.2.1" => KeyType::Ec,
        "1.2.840.10040.4.1" => KeyType::Dsa,
        "1.3.101.112" => KeyType::Ed25519,
        "1.3.101.113" => KeyType::Ed448,
        _ => KeyType::Other,
    };
    let key_curve = match key_type {
        KeyType::Ec => spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|oid| {
                x509_parser::objects::oid2sn(&oid, registry)
                    .map(str::to_owned)
                    .unwrap_or_else(|_| oid.to_id_string())
            }),
        _ => None,
    };
    let key_bits = match key_type {
        KeyType::Rsa | KeyType::RsaPss => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => bit_length(rsa.modulus),
            _ => None,
        },
        KeyType::Ec => key_curve.as_deref().and_then(curve_bits),
        KeyType::Dsa => dsa_bits(&spki.algorithm),
        KeyType::Ed25519 => Some(256),
        KeyType::Ed448 => Some(456),
        KeyType::Other => None,
    };
    Ok(Leaf {
        subject: name_text(cert.subject()),
        issuer: name_text(cert.issuer()),
        subject_cn: first_cn(cert.subject()),
        issuer_cn: first_cn(cert.issuer()),
        san_dns,
        san_cut,
        serial: serial_hex(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        signature_hash: signature_hash(&sig_oid),
        signature_algorithm,
        signature_oid: sig_oid,
        key_type,
        key_bits,
        key_curve,
        sha256: hex(&Sha256::digest(der)),
        self_signed: self_signed(&cert),
    })
}

fn name_text(name: &X509Name<'_>) -> WireText {
    match name.to_string_with_registry(x509_parser::objects::oid_registry()) {
        Ok(s) => WireText::from(s.as_str()),
        // Attributes it cannot print: the DER, as hex, is still data.
        Err(_) => WireText::from(hex(name.as_raw()).as_str()),
    }
}

fn first_cn(name: &X509Name<'_>) -> Option<WireText> {
    name.iter_common_name()
        .next()
        .map(|attr| match attr.as_str() {
            Ok(s) => WireText::from(s),
            Err(_) => WireText::new(attr.attr_value().data),
        })
}

fn san_names(cert: &X509Certificate<'_>) -> (Vec<WireText>, bool) {
    let mut names = Vec::new();
    let mut cut = false;
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(dns) = name {
                if names.len() == MAX_SAN_NAMES {
                    cut = true;
                    break;
                }
                names.push(WireText::from(*dns));
            }
        }
    }
    (names, cut)
}

/// Self-issued (RFC 5280 §3.2 calls a self-issued certificate with a key
/// that verifies it self-signed; the signature is not checked here).
fn self_signed(cert: &X509Certificate<'_>) -> bool {
    use x509_parser::extensions::ParsedExtension;
    if cert.subject().as_raw() != cert.issuer().as_raw() {
        return false;
    }
    let mut aki = None;
    let mut ski = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            ParsedExtension::SubjectKeyIdentifier(s) => ski = Some(s.0),
            _ => {}
        }
    }
    match (aki, ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

fn signature_hash(oid: &str) -> SignatureHash {
    match oid {
        // md2WithRSAEncryption
        "1.2.840.113549.1.1.2" => SignatureHash::Md2,
        // md5WithRSAEncryption
        "1.2.840.113549.1.1.4" => SignatureHash::Md5,
        // sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1, and the
        // old OIW sha1WithRSASignature
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29" => {
            SignatureHash::Sha1
        }
        _ => SignatureHash::Other,
    }
}

/// Bits of a big-endian unsigned integer, leading zeros not counted.
fn bit_length(n: &[u8]) -> Option<u32> {
    let start = n.iter().position(|&b| b != 0)?;
    let first = *n.get(start)?;
    let bytes = u32::try_from(n.len() - start).ok()?;
    Some(bytes.saturating_sub(1).saturating_mul(8) + (8 - first.leading_zeros()))
}

/// The size of the named curves TLS uses (RFC 8422, RFC 5639).
fn curve_bits(curve: &str) -> Option<u32> {
    Some(match curve {
        "prime192v1" | "secp192r1" => 192,
        "secp224r1" => 224,
        "prime256v1" | "secp256r1" | "secp256k1" | "brainpoolP256r1" => 256,
        "secp384r1" | "brainpoolP384r1" => 384,
        "secp521r1" => 521,
        "brainpoolP512r1" => 512,
        "1.2.840.10045.3.1.1" => 192,
        "1.3.132.0.33" => 224,
        "1.2.840.10045.3.1.7" | "1.3.132.0.10" | "1.3.36.3.3.2.8.1.1.7" => 256,
        "1.3.132.0.34" | "1.3.36.3.3.2.8.1.1.11" => 384,
        "1.3.132.0.35" => 521,
        "1.3.36.3.3.2.8.1.1.13" => 512,
        _ => return None,
    })
}

/// DSA: the size of p, from the Dss-Parms (RFC 3279 §2.3.2).
fn dsa_bits(alg: &x509_parser::x509::AlgorithmIdentifier<'_>) -> Option<u32> {
    let params = alg.parameters.as_ref()?;
    let (_, p) = x509_parser::der_parser::der::parse_der_integer(params.data).ok()?;
    bit_length(p.as_slice().ok()?)
}

fn serial_hex(raw: &[u8]) -> String {
    let start = raw
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    hex(raw.get(start..).unwrap_or_default())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(entries: &[&[u8]]) -> Vec<u8> {
        let list: usize = entries.iter().map(|e| e.len() + 3).sum();
        let mut m = (list as u32).to_be_bytes()[1..].to_vec();
        for e in entries {
            m.extend_from_slice(&(e.len() as u32).to_be_bytes()[1..]);
            m.extend_from_slice(e);
        }
        m
    }

    #[test]
    fn only_the_leaf_is_kept_and_every_entry_counted_in_any_split() {
        let big = vec![7u8; 5000];
        let m = message(&[b"leaf", &big, b"ca"]);
        for cut in 0..m.len() {
            let mut r = ChainReader::new(100);
            r.push(&m[..cut]);
            r.push(&m[cut..]);
            assert_eq!(r.leaf, b"leaf", "cut at {cut}");
            assert!(r.buffered() < 5000);
            let c = LeafCache::default().read(r.finish(false));
            assert_eq!(c.chain_length, 3);
            // "leaf" is no certificate.
            assert_eq!(c.leaf, Err(Unreadable::BadDer));
        }
    }

    #[test]
    fn a_leaf_over_the_cap_is_not_buffered() {
        let m = message(&[&[1u8; 300], b"ca"]);
        let mut r = ChainReader::new(100);
        r.push(&m);
        assert_eq!(r.buffered(), 0);
        let c = r.finish(false);
        assert_eq!((c.chain_length, c.leaf), (2, Err(Unreadable::LeafTooLarge)));
    }

    #[test]
    fn lengths_that_do_not_add_up_and_empty_lists() {
        // An entry longer than the list.
        let mut r = ChainReader::new(100);
        r.push(&[0, 0, 5, 0, 0, 9, 1, 2]);
        assert_eq!(r.finish(false).leaf, Err(Unreadable::BadFraming));
        let mut r = ChainReader::new(100);
        r.push(&[0, 0, 0]);
        assert_eq!(r.finish(false).leaf, Err(Unreadable::Empty));
        // Cut inside the leaf.
        let mut r = ChainReader::new(100);
        r.push(&[0, 0, 9, 0, 0, 6, 1, 2]);
        let c = r.finish(true);
        assert_eq!((c.leaf, c.partial), (Err(Unreadable::Cut), true));
    }

    /// A DER TLV (X.690 §8.1: definite lengths, long form above 127).
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        let n = body.len();
        if n < 128 {
            v.push(n as u8);
        } else {
            let len = (n as u32).to_be_bytes();
            let skip = len.iter().take_while(|b| **b == 0).count();
            v.push(0x80 | (4 - skip) as u8);
            v.extend_from_slice(&len[skip..]);
        }
        v.extend_from_slice(body);
        v
    }

    fn oid(arcs: &[u8]) -> Vec<u8> {
        tlv(0x06, arcs)
    }

    /// `CN=<cn>`.
    fn name(cn: &str) -> Vec<u8> {
        let atv = [oid(&[0x55, 4, 3]), tlv(0x0c, cn.as_bytes())].concat();
        tlv(0x30, &tlv(0x31, &tlv(0x30, &atv)))
    }

    /// A structurally valid certificate (its signature is not a real one:
    /// nothing here verifies signatures) with `sans` SAN DNS names and an
    /// RSA key whose modulus has `modulus_bits` bits.
    fn certificate(sans: usize, modulus_bits: usize, issuer: &str) -> Vec<u8> {
        // sha256WithRSAEncryption, rsaEncryption
        let sha256_rsa = tlv(
            0x30,
            &[oid(&[42, 134, 72, 134, 247, 13, 1, 1, 11]), vec![5, 0]].concat(),
        );
        let rsa = tlv(
            0x30,
            &[oid(&[42, 134, 72, 134, 247, 13, 1, 1, 1]), vec![5, 0]].concat(),
        );
        let mut modulus = vec![0u8];
        modulus.push(0x80);
        modulus.resize(modulus_bits / 8 + 1, 0x55);
        let key = tlv(0x30, &[tlv(0x02, &modulus), tlv(0x02, &[1, 0, 1])].concat());
        let mut bits = vec![0u8];
        bits.extend_from_slice(&key);
        let spki = tlv(0x30, &[rsa, tlv(0x03, &bits)].concat());
        let validity = tlv(
            0x30,
            &[tlv(0x17, b"260101000000Z"), tlv(0x17, b"270101000000Z")].concat(),
        );
        let names: Vec<u8> = (0..sans)
            .flat_map(|i| tlv(0x82, format!("n{i}.test").as_bytes()))
            .collect();
        let san = tlv(
            0x30,
            &[oid(&[0x55, 29, 17]), tlv(0x04, &tlv(0x30, &names))].concat(),
        );
        let extensions = tlv(0xa3, &tlv(0x30, &san));
        let tbs = tlv(
            0x30,
            &[
                tlv(0xa0, &tlv(0x02, &[2])),
                tlv(0x02, &[0x10, 0x01]),
                sha256_rsa.clone(),
                name(issuer),
                validity,
                name("leaf.test"),
                spki,
                extensions,
            ]
            .concat(),
        );
        tlv(0x30, &[tbs, sha256_rsa, tlv(0x03, &[0, 1, 2, 3])].concat())
    }

    #[test]
    fn a_built_certificate_reads_back() {
        let der = certificate(2, 1024, "ca.test");
        let leaf = parse_leaf(&der).expect("a valid certificate");
        assert_eq!(leaf.subject_cn, Some(WireText::from("leaf.test")));
        assert_eq!(leaf.issuer_cn, Some(WireText::from("ca.test")));
        assert_eq!(
            leaf.san_dns,
            [WireText::from("n0.test"), WireText::from("n1.test")]
        );
        assert_eq!((leaf.key_type, leaf.key_bits), (KeyType::Rsa, Some(1024)));
        assert_eq!(leaf.serial, "1001");
        assert_eq!(leaf.signature_algorithm, "sha256WithRSAEncryption");
        assert!(!leaf.self_signed);
        assert!(
            parse_leaf(&certificate(0, 2048, "leaf.test"))
                .unwrap()
                .self_signed
        );
    }

    /// Hostile certificates: 10,000 SAN names, a chain of 100,000 entries,
    /// a length field claiming 4 GiB, every cut of a real structure. Each
    /// is read in bounded memory, without a panic, with a reason.
    #[test]
    fn hostile_certificates_are_bounded() {
        let many = certificate(10_000, 2048, "ca.test");
        assert!(many.len() > 64 * 1024);
        let leaf = parse_leaf(&many).expect("10,000 names is still a certificate");
        assert_eq!(leaf.san_dns.len(), MAX_SAN_NAMES);
        assert!(leaf.san_cut);
        // Through the reader with the default leaf cap: too large to keep.
        let m = message(&[&many]);
        let mut r = ChainReader::new(64 * 1024);
        r.push(&m);
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.finish(false).leaf, Err(Unreadable::LeafTooLarge));

        let tiny = [0x30u8];
        let deep: Vec<&[u8]> = vec![&tiny; 100_000];
        let m = message(&deep);
        let mut r = ChainReader::new(64 * 1024);
        for piece in m.chunks(1500) {
            r.push(piece);
        }
        assert!(r.buffered() < 64);
        let c = LeafCache::default().read(r.finish(false));
        assert_eq!((c.chain_length, c.leaf), (100_000, Err(Unreadable::BadDer)));

        let mut absurd = vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff];
        absurd.extend_from_slice(&certificate(1, 2048, "ca.test"));
        assert_eq!(parse_leaf(&absurd), Err(Unreadable::BadDer));
        let good = certificate(3, 2048, "ca.test");
        for cut in 0..good.len() {
            assert_eq!(
                parse_leaf(&good[..cut]),
                Err(Unreadable::BadDer),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn the_cache_parses_each_certificate_once_and_stays_bounded() {
        let mut cache = LeafCache::default();
        let chain = |der: &[u8]| Chain {
            chain_length: 1,
            partial: false,
            leaf: Ok(der.to_vec()),
        };
        let a = certificate(1, 2048, "ca.test");
        let first = cache.read(chain(&a));
        for _ in 0..10 {
            assert_eq!(cache.read(chain(&a)), first);
        }
        assert_eq!(cache.parsed, 1);
        for i in 0..2 * CACHE_ENTRIES {
            let _ = cache.read(chain(&certificate(1, 2048, &format!("ca{i}.test"))));
        }
        assert!(cache.map.len() <= CACHE_ENTRIES && cache.bytes <= CACHE_BYTES);
        // Evicted long ago: parsed again, to the same facts.
        assert_eq!(cache.read(chain(&a)), first);
        assert_eq!(cache.parsed, 2 + 2 * CACHE_ENTRIES as u64);
    }

    #[test]
    fn bit_lengths_ignore_leading_zeros() {
        assert_eq!(bit_length(&[0, 0x80, 0]), Some(16));
        assert_eq!(bit_length(&[0x01, 0xff]), Some(9));
        assert_eq!(bit_length(&[0, 0]), None);
        assert_eq!(serial_hex(&[0, 0x10, 0x01]), "1001");
        assert_eq!(serial_hex(&[0]), "00");
    }
}
