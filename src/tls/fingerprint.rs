//! TLS fingerprints of a hello: JA3 and JA3S (Salesforce's definition, as
//! Wireshark computes it), and FoxIO's JA4 client fingerprint (`ja4` and
//! its raw form `ja4_r`, the BSD-3-Clause part of the JA4 suite; the
//! JA4+ family is not implemented).
//!
//! Every list is GREASE-free (the hello parsers drop GREASE). A hello that
//! could not be read whole, an SSL 2.0-format hello, or one whose lists
//! passed `hello::MAX_LISTED` has no fingerprint (`None`): a wrong hash is
//! worse than none.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::hello::{ClientHello, ServerHello};
use super::version::Version;

/// JA3: the string and its MD5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ja3 {
    pub string: String,
    pub hash: String,
}

/// `items` in decimal, joined by `-` (no formatting machinery: this runs
/// for every connection).
fn decimal_list<T: itoa::Integer + Copy>(items: &[T], out: &mut String) {
    let mut buf = itoa::Buffer::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.push_str(buf.format(*item));
    }
}

/// The low four bits as a lowercase hex digit.
fn nibble(v: u32) -> char {
    char::from_digit(v & 0xf, 16).unwrap_or('0')
}

/// `items` as four hex digits each, joined by `,`.
fn hex_list(items: impl IntoIterator<Item = u16>, out: &mut String) {
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for shift in [12, 8, 4, 0] {
            out.push(nibble(u32::from(v >> shift)));
        }
    }
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(nibble(u32::from(b >> 4)));
        s.push(nibble(u32::from(*b)));
    }
    s
}

fn readable(ch: &ClientHello) -> bool {
    !ch.partial && !ch.sslv2_format && !ch.lists_cut
}

/// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`
/// in decimal, values joined by `-`.
pub fn ja3(ch: &ClientHello) -> Option<Ja3> {
    if !readable(ch) {
        return None;
    }
    let mut string = String::with_capacity(256);
    let suites: Vec<u32> = ch.cipher_suites.iter().map(|c| c.0).collect();
    string.push_str(itoa::Buffer::new().format(ch.legacy_version.0));
    string.push(',');
    decimal_list(&suites, &mut string);
    string.push(',');
    decimal_list(&ch.extensions, &mut string);
    string.push(',');
    decimal_list(&ch.supported_groups, &mut string);
    string.push(',');
    decimal_list(&ch.ec_point_formats, &mut string);
    let hash = md5_hex(&string);
    Some(Ja3 { string, hash })
}

/// `SSLVersion,Cipher,Extensions` of the ServerHello, in decimal.
pub fn ja3s(sh: &ServerHello) -> Option<Ja3> {
    if sh.partial || sh.sslv2 {
        return None;
    }
    let mut string = String::with_capacity(64);
    let mut buf = itoa::Buffer::new();
    string.push_str(buf.format(sh.legacy_version.0));
    string.push(',');
    string.push_str(buf.format(sh.cipher.map_or(0, |c| c.0)));
    string.push(',');
    decimal_list(&sh.extensions, &mut string);
    let hash = md5_hex(&string);
    Some(Ja3 { string, hash })
}

/// Every fingerprint of one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fingerprints {
    pub ja3: Option<Ja3>,
    pub ja3s: Option<Ja3>,
    pub ja4: Option<Ja4>,
}

impl Fingerprints {
    /// The fingerprints of a connection's hellos, over `transport`.
    pub fn of(ch: Option<&ClientHello>, sh: Option<&ServerHello>, transport: char) -> Self {
        Fingerprints {
            ja3: ch.and_then(ja3),
            ja3s: sh.and_then(ja3s),
            ja4: ch.and_then(|ch| ja4(ch, transport)),
        }
    }
}

/// JA4: `ja4` (`a_b_c`) and `ja4_r` (the raw lists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ja4 {
    pub ja4: String,
    pub raw: String,
}

/// JA4's two-character version: the highest supported_versions entry,
/// else legacy_version.
fn ja4_version(v: Version) -> &'static str {
    match v {
        Version::TLS13 => "13",
        Version::TLS12 => "12",
        Version::TLS11 => "11",
        Version::TLS10 => "10",
        Version::SSL3 => "s3",
        Version::SSL2 => "s2",
        v if v.0 == 0xfeff => "d1",
        v if v.0 == 0xfefd => "d2",
        v if v.0 == 0xfefc => "d3",
        _ => "00",
    }
}

/// The first 12 hex digits of SHA-256, or twelve zeros for nothing.
fn sha12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// JA4 of a ClientHello sent over `transport` (`t` TCP, `q` QUIC, `d`
/// DTLS).
pub fn ja4(ch: &ClientHello, transport: char) -> Option<Ja4> {
    if !readable(ch) {
        return None;
    }
    let version = ch
        .supported_versions
        .as_deref()
        .and_then(|v| v.iter().copied().filter(|v| v.is_known()).max())
        .unwrap_or(ch.legacy_version);
    let sni = if ch.sni.is_some() { 'd' } else { 'i' };
    let ciphers: Vec<u16> = ch
        .cipher_suites
        .iter()
        .filter_map(|c| u16::try_from(c.0).ok())
        .collect();
    let alpn = ch
        .alpn
        .as_deref()
        .and_then(|a| a.first())
        .map(|p| p.as_bytes())
        .and_then(|p| Some((*p.first()?, *p.last()?)));
    let alpn = match alpn {
        None => "00".to_string(),
        Some((first, last)) if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() => {
            format!("{}{}", first as char, last as char)
        }
        // Not alphanumeric: the first hex digit of the first byte and the
        // last hex digit of the last byte.
        Some((first, last)) => format!("{:x}{:x}", first >> 4, last & 0x0f),
    };
    let a = format!(
        "{transport}{}{sni}{:02}{:02}{alpn}",
        ja4_version(version),
        ciphers.len().min(99),
        ch.extensions.len().min(99),
    );
    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let mut cipher_list = String::with_capacity(5 * sorted_ciphers.len());
    hex_list(sorted_ciphers.iter().copied(), &mut cipher_list);
    // Extensions sorted, SNI (0x0000) and ALPN (0x0010) left out; then the
    // signature algorithms in their order.
    let mut exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| *e != 0x0000 && *e != 0x0010)
        .collect();
    exts.sort_unstable();
    let mut c_input = String::with_capacity(5 * (exts.len() + ch.signature_algorithms.len()) + 1);
    hex_list(exts.iter().copied(), &mut c_input);
    if !ch.signature_algorithms.is_empty() {
        c_input.push('_');
        hex_list(ch.signature_algorithms.iter().copied(), &mut c_input);
    }
    let ja4 = format!("{a}_{}_{}", sha12(&cipher_list), sha12(&c_input));
    let raw = format!("{a}_{cipher_list}_{c_input}");
    Some(Ja4 { ja4, raw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::WireText;
    use crate::tls::cipher::CipherSuite;

    fn hello() -> ClientHello {
        let mut h = ClientHello::default();
        h.legacy_version = Version::TLS12;
        h.supported_versions = Some(vec![Version::TLS13, Version::TLS12]);
        h.cipher_suites = vec![CipherSuite(0x1302), CipherSuite(0x1301)];
        h.sni = Some(WireText::new(b"example.com"));
        h.alpn = Some(vec![WireText::new(b"h2")]);
        h.extensions = vec![0x0000, 0x0010, 0x002b, 0x000d];
        h.signature_algorithms = vec![0x0403, 0x0804];
        h
    }

    #[test]
    fn ja4_parts_follow_the_spec() {
        let j = ja4(&hello(), 't').unwrap();
        // 2 ciphers, 4 extensions (SNI and ALPN counted), ALPN h2
        assert!(j.ja4.starts_with("t13d0204h2_"), "{}", j.ja4);
        // ciphers sorted; SNI and ALPN left out of the extensions, which are
        // sorted; signature algorithms in their order
        assert_eq!(j.raw, "t13d0204h2_1301,1302_000d,002b_0403,0804");
        assert_eq!(j.ja4.len(), "t13d0204h2_".len() + 12 + 1 + 12);
    }

    #[test]
    fn ja4_without_sni_alpn_or_ciphers() {
        let mut h = hello();
        h.sni = None;
        h.alpn = Some(vec![WireText::new(b"\x01x\xff")]);
        h.cipher_suites.clear();
        let j = ja4(&h, 'q').unwrap();
        // no SNI: i; an ALPN value not alphanumeric at its ends: the first
        // and last hex digits of its bytes
        assert!(j.ja4.starts_with("q13i00040f_000000000000_"), "{}", j.ja4);
    }

    #[test]
    fn no_fingerprint_of_a_hello_not_read_whole() {
        let mut h = hello();
        h.partial = true;
        assert_eq!((ja3(&h), ja4(&h, 't')), (None, None));
        let mut h = hello();
        h.sslv2_format = true;
        assert_eq!(ja3(&h), None);
        let mut h = hello();
        h.lists_cut = true;
        assert_eq!(ja4(&h, 't'), None);
    }

    #[test]
    fn ja3_is_decimal_and_md5() {
        let j = ja3(&hello()).unwrap();
        assert_eq!(j.string, "771,4866-4865,0-16-43-13,,");
        assert_eq!(j.hash.len(), 32);
    }
}
