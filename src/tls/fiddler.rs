//! Hello facts from Fiddler's own text: what Fiddler Classic writes into a
//! session archive (`.saz`) for each HTTPS CONNECT tunnel — its description
//! of the client's ClientHello (request side) and of the server's
//! ServerHello (response side, HTTPS decryption off), or of its own
//! upstream connection (decryption on).
//!
//! Fiddler cannot export packets, so this text is all a Fiddler user has.
//! It is read for what it says, and its known quirks are corrected, not
//! copied:
//! - `Version:` is the legacy version field: a TLS 1.3 client or server
//!   shows `3.3 (TLS/1.2)`. The offered versions come from the client's
//!   supported_versions; the server's TLS 1.3 is inferred from its
//!   supported_versions extension (RFC 8446 §4.2.1: a server sends it only
//!   to select TLS 1.3) or, without it, from a TLS 1.3 cipher suite.
//! - Fiddler's supported_versions printer stops one entry early: the
//!   client's list lacks its *last* entry ([`FiddlerClientHello::versions_cut`]),
//!   and the server's single entry always prints empty.
//! - Cipher suites are read from their hex codes (`[C02F]`), never from
//!   Fiddler's names (it names codes below 0x1F by their SSL 3.0 names).
//! - Line ends are mixed (LF and CRLF), tabs separate fields.
//!
//! Extension *names* are kept as printed; their codes are not guessed
//! (two codes print as `key_share`), so no fingerprint is computed from
//! this text. Pure: text in, facts out; no input makes it panic.

use super::cipher::CipherSuite;
use super::hello::{ClientHello, ServerHello, SessionId};
use super::version::Version;
use crate::text::WireText;

/// Longest text read per hello description (real ones are under 8 KiB;
/// the archive reader bounds entries the same way).
pub const MAX_TEXT: usize = 256 << 10;
/// Most extension names kept per hello.
const MAX_EXTENSIONS: usize = 64;
/// Most cipher suites read per hello (a ClientHello holds at most 32767).
const MAX_SUITES: usize = 4096;

const CLIENT_MARK: &str = "-compatible ClientHello handshake was found";
const SERVER_MARK: &str = "-compatible ServerHello handshake was found";

/// A ClientHello as Fiddler described it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FiddlerClientHello {
    pub hello: ClientHello,
    /// The supported_versions list as printed lacks its last entry (always
    /// so in Fiddler's printer: the list is known to be longer by one).
    pub versions_cut: bool,
    /// Extension names in the order printed (GREASE ones left out).
    pub extensions: Vec<WireText>,
}

/// How the negotiated version of a ServerHello description was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionFrom {
    /// The `Version:` line (no TLS 1.3 signal).
    VersionLine,
    /// TLS 1.3: the server sent supported_versions (its value prints empty).
    SupportedVersions,
    /// TLS 1.3: a TLS 1.3 cipher suite was chosen, without supported_versions.
    CipherSuite,
}

impl VersionFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionFrom::VersionLine => "version_line",
            VersionFrom::SupportedVersions => "supported_versions",
            VersionFrom::CipherSuite => "cipher_suite",
        }
    }
}

/// A ServerHello as Fiddler described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiddlerServerHello {
    pub hello: ServerHello,
    pub version_from: VersionFrom,
}

/// Fiddler's own upstream connection to the server (HTTPS decryption on),
/// as .NET reported it to Fiddler: not the client's handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upstream {
    /// `Secure Protocol:` (`Tls12`) as a version, when it names one.
    pub version: Option<Version>,
    pub protocol: Option<WireText>,
    /// `Cipher:` (`Aes256 256bits`): .NET's algorithm, not a suite.
    pub cipher: Option<WireText>,
    pub hash: Option<WireText>,
    pub key_exchange: Option<WireText>,
    /// The server certificate's subject, issuer and SHA-1 thumbprint.
    pub certificate_subject: Option<WireText>,
    pub certificate_issuer: Option<WireText>,
    pub certificate_thumbprint: Option<WireText>,
}

/// The lines of `text` from the one after the line containing `mark`.
fn after_mark<'a>(text: &'a str, mark: &str) -> Option<impl Iterator<Item = &'a str>> {
    let at = text.find(mark)?;
    let rest = text.get(at..)?;
    let mut lines = rest.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    lines.next();
    Some(lines)
}

/// `3.3 (TLS/1.2)` → 0x0303; `2.0` → SSL 2.0.
fn version_line(value: &str) -> Option<Version> {
    let num = value.split_whitespace().next()?;
    let (major, minor) = num.split_once('.')?;
    let (major, minor) = (major.parse::<u8>().ok()?, minor.parse::<u8>().ok()?);
    Some(if (major, minor) == (2, 0) {
        Version::SSL2
    } else {
        Version(u16::from(major) << 8 | u16::from(minor))
    })
}

/// Space-separated hex bytes (`B2 33 BE ...`); `empty` or nothing is none.
fn hex_bytes(value: &str) -> Vec<u8> {
    value
        .split_whitespace()
        .take(64)
        .map_while(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

/// The hex number after `[` (`[0x1d]`, `[C02F]`, `[0x1D)`): Fiddler prints
/// codes in brackets, with or without `0x`.
fn bracket_hex(item: &str) -> Option<u32> {
    let inner = item.rsplit_once('[')?.1;
    let inner = inner.strip_prefix("0x").unwrap_or(inner);
    let end = inner
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(inner.len());
    u32::from_str_radix(inner.get(..end)?, 16).ok()
}

/// One `supported_versions` entry: `Tls1.3`, `Ssl3.0`, or `NAME [0x....]`.
fn printed_version(item: &str) -> Option<Version> {
    Some(match item.trim() {
        "Ssl3.0" => Version::SSL3,
        "Tls1.0" => Version::TLS10,
        "Tls1.1" => Version::TLS11,
        "Tls1.2" => Version::TLS12,
        "Tls1.3" => Version::TLS13,
        other => Version(u16::try_from(bracket_hex(other)?).ok()?),
    })
}

/// A `\tname\tvalue` line: the name and the value (tabs trimmed).
fn field(line: &str) -> (&str, &str) {
    let line = line.trim_start_matches('\t');
    match line.split_once('\t') {
        Some((name, value)) => (name.trim(), value.trim_matches(|c| c == '\t' || c == ' ')),
        None => (line.trim(), ""),
    }
}

/// Parses the ClientHello description in a CONNECT request's text. `None`
/// when the text holds none (not a tunnel, or Fiddler saw no hello).
pub fn client_hello(text: &str) -> Option<FiddlerClientHello> {
    let text = text.get(..text.len().min(MAX_TEXT)).unwrap_or(text);
    let sslv2 = text.contains(&format!("SSLv2{CLIENT_MARK}"));
    let mut lines = after_mark(text, CLIENT_MARK)?.peekable();
    let mut out = FiddlerClientHello::default();
    out.hello.sslv2_format = sslv2;
    if sslv2 {
        out.hello.record_version = Version::SSL2;
    }
    let mut version_seen = false;
    while let Some(line) = lines.next() {
        if let Some(v) = line.strip_prefix("Version:") {
            out.hello.legacy_version = version_line(v.trim())?;
            version_seen = true;
        } else if let Some(v) = line.strip_prefix("SessionID:") {
            out.hello.session_id = SessionId::new(&hex_bytes(v));
        } else if line.starts_with("Extensions:") {
            while let Some(ext) = lines.next_if(|l| l.starts_with('\t')) {
                client_extension(&mut out, field(ext));
            }
        } else if line.starts_with("Ciphers:") {
            let mut n = 0;
            while let Some(c) = lines.next_if(|l| l.starts_with('\t')) {
                let Some(code) = bracket_hex(c.get(..c.find(']').map_or(0, |e| e + 1))?) else {
                    continue;
                };
                n += 1;
                if n > MAX_SUITES {
                    out.hello.partial = true;
                    continue;
                }
                // Fiddler prints SSL 2.0 CIPHER-SPECs (3 bytes) the same way;
                // those below 0x10000 are TLS suites in SSL 2.0 dress.
                let suite = match u16::try_from(code) {
                    Ok(tls) => CipherSuite::tls(tls),
                    Err(_) => CipherSuite::ssl2(code),
                };
                out.hello.offer(suite);
            }
        } else if line.starts_with("Compression:") {
            break;
        }
    }
    version_seen.then_some(out)
}

fn client_extension(out: &mut FiddlerClientHello, (name, value): (&str, &str)) {
    let h = &mut out.hello;
    if name.starts_with("grease") {
        h.grease = true;
        return;
    }
    if name == "none" && value.is_empty() {
        return;
    }
    if out.extensions.len() < MAX_EXTENSIONS {
        out.extensions.push(WireText::new(name.as_bytes()));
    }
    match name {
        "server_name" => {
            // Several names print joined by "; ": the first is the SNI.
            let first = value.split("; ").next().unwrap_or(value);
            let first = first.get(..super::hello::MAX_SNI).unwrap_or(first);
            // One server_name extension is allowed (RFC 6066 §3); a text
            // with more keeps the first.
            if !first.is_empty() && h.sni.is_none() {
                h.sni = Some(WireText::new(first.as_bytes()));
            }
        }
        "supported_versions" => {
            let mut list = Vec::new();
            for item in value.split(',').filter(|s| !s.trim().is_empty()) {
                match printed_version(item) {
                    Some(v) if v.is_grease() => h.grease = true,
                    Some(v) => list.push(v),
                    None => {}
                }
            }
            h.supported_versions = Some(list);
            out.versions_cut = true;
        }
        "ALPN" => {
            h.alpn = Some(
                value
                    .split(", ")
                    .filter(|p| !p.is_empty())
                    .take(super::hello::MAX_ALPN)
                    .map(|p| WireText::new(p.as_bytes()))
                    .collect(),
            );
        }
        "supported_groups" | "elliptic_curves" => {
            for g in value.split(',').filter_map(bracket_hex) {
                if let Ok(g) = u16::try_from(g)
                    && !Version(g).is_grease()
                    && h.supported_groups.len() < super::hello::MAX_LISTED
                {
                    h.supported_groups.push(g);
                }
            }
        }
        "ec_point_formats" => {
            for f in value.split(',').filter_map(bracket_hex) {
                if let Ok(f) = u8::try_from(f)
                    && h.ec_point_formats.len() < super::hello::MAX_LISTED
                {
                    h.ec_point_formats.push(f);
                }
            }
        }
        "pre_shared_key" => h.offers_psk = true,
        _ => {}
    }
}

/// Parses the ServerHello description in a CONNECT response's text
/// (HTTPS decryption off). `None` when the text holds none.
pub fn server_hello(text: &str) -> Option<FiddlerServerHello> {
    let text = text.get(..text.len().min(MAX_TEXT)).unwrap_or(text);
    let sslv2 = text.contains(&format!("SSLv2{SERVER_MARK}"));
    let mut lines = after_mark(text, SERVER_MARK)?.peekable();
    let mut h = ServerHello {
        sslv2,
        ..ServerHello::default()
    };
    let mut version_seen = false;
    let mut supported_versions = false;
    while let Some(line) = lines.next() {
        // `Name:` then tabs or spaces, then the value.
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match name {
            "Version" => {
                h.legacy_version = version_line(value)?;
                version_seen = true;
            }
            "SessionID" => h.session_id = SessionId::new(&hex_bytes(value)),
            "Random" => super::hello::random_signals(&mut h, &hex_bytes(value)),
            "Cipher" => {
                h.cipher = bracket_hex(value)
                    .and_then(|c| u16::try_from(c).ok())
                    .map(CipherSuite::tls);
            }
            "Extensions" => {
                while let Some(ext) = lines.next_if(|l| l.starts_with('\t')) {
                    match field(ext).0 {
                        "supported_versions" => supported_versions = true,
                        "pre_shared_key" => h.psk = true,
                        _ => {}
                    }
                }
                break;
            }
            _ => {}
        }
    }
    if !version_seen {
        return None;
    }
    let tls13_suite = h.cipher.is_some_and(|c| c.0 >> 8 == 0x13);
    let version_from = if supported_versions && h.legacy_version == Version::TLS12 {
        VersionFrom::SupportedVersions
    } else if tls13_suite && h.legacy_version == Version::TLS12 {
        VersionFrom::CipherSuite
    } else {
        VersionFrom::VersionLine
    };
    if version_from != VersionFrom::VersionLine {
        h.selected_version = Some(Version::TLS13);
    }
    Some(FiddlerServerHello {
        hello: h,
        version_from,
    })
}

/// `Tls12` → TLS 1.2 (.NET's SslProtocols names).
pub fn dotnet_protocol(name: &str) -> Option<Version> {
    Some(match name {
        "Ssl2" => Version::SSL2,
        "Ssl3" => Version::SSL3,
        "Tls" | "Tls10" => Version::TLS10,
        "Tls11" => Version::TLS11,
        "Tls12" => Version::TLS12,
        "Tls13" => Version::TLS13,
        _ => return None,
    })
}

/// Fiddler's upstream TLS parameters in a CONNECT response's text (HTTPS
/// decryption on). `None` when the text holds none.
pub fn upstream(text: &str) -> Option<Upstream> {
    let text = text.get(..text.len().min(MAX_TEXT)).unwrap_or(text);
    let mut up = Upstream::default();
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .peekable();
    let wire = |s: &str| (!s.is_empty()).then(|| WireText::new(s.as_bytes()));
    let mut seen = false;
    while let Some(line) = lines.next() {
        if let Some(v) = line.strip_prefix("Secure Protocol:") {
            let v = v.trim();
            up.version = dotnet_protocol(v);
            up.protocol = wire(v);
            seen = true;
        } else if let Some(v) = line.strip_prefix("Cipher:").filter(|_| seen) {
            up.cipher = wire(v.trim());
        } else if let Some(v) = line.strip_prefix("Hash Algorithm:").filter(|_| seen) {
            up.hash = wire(v.trim());
        } else if let Some(v) = line.strip_prefix("Key Exchange:").filter(|_| seen) {
            up.key_exchange = wire(v.trim());
        } else if seen && line.starts_with('[') {
            // `[Subject]` then an indented value line.
            let value = lines.next_if(|l| l.starts_with(' ')).map(str::trim);
            let slot = match line.trim() {
                "[Subject]" => &mut up.certificate_subject,
                "[Issuer]" => &mut up.certificate_issuer,
                "[Thumbprint]" => &mut up.certificate_thumbprint,
                _ => continue,
            };
            *slot = value.and_then(wire);
        }
    }
    seen.then_some(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_version_lines_and_codes_in_brackets() {
        assert_eq!(version_line("3.3 (TLS/1.2)"), Some(Version::TLS12));
        assert_eq!(version_line("3.0 (SSLv3)"), Some(Version::SSL3));
        assert_eq!(version_line("2.0"), Some(Version::SSL2));
        assert_eq!(version_line("x"), None);
        assert_eq!(bracket_hex("x25519 [0x1d]"), Some(0x1d));
        assert_eq!(bracket_hex("unknown [0x1D)"), Some(0x1d));
        assert_eq!(bracket_hex("[C02F]"), Some(0xc02f));
        assert_eq!(bracket_hex("no code"), None);
        assert_eq!(printed_version("grease [0xdada]"), Some(Version(0xdada)));
        assert_eq!(printed_version(" Tls1.1"), Some(Version::TLS11));
        assert_eq!(
            printed_version("Tls1.3_draft23 [0x7f17]"),
            Some(Version(0x7f17))
        );
    }

    #[test]
    fn an_sslv2_compatible_hello_keeps_its_three_byte_specs_apart() {
        // Fiddler prints SSL 2.0 CIPHER-SPECs with `X4`: six digits when
        // the spec is SSL 2.0-only, four when it is a TLS suite.
        let text = "CONNECT old:443 HTTP/1.0\r\n\r\nA SSLv2-compatible ClientHello handshake \
                    was found. Fiddler extracted the parameters below.\n\nVersion: 3.1 \
                    (TLS/1.0)\nRandom: 00 01\nSessionID: empty\nExtensions: \n\tnone\n\
                    Ciphers: \n\t[010080]\tSSL2_RC4_128_WITH_MD5\r\n\t[000A]\t\
                    SSL_RSA_WITH_3DES_EDE_SHA\r\n\nCompression: \n";
        let ch = client_hello(text).unwrap();
        assert!(ch.hello.sslv2_format);
        assert_eq!(ch.hello.record_version, Version::SSL2);
        assert_eq!(ch.hello.legacy_version, Version::TLS10);
        assert_eq!(
            ch.hello.cipher_suites,
            [CipherSuite::ssl2(0x01_0080), CipherSuite::tls(0x000a)]
        );
        assert!(ch.hello.offers_3des());
        assert!(ch.extensions.is_empty(), "`none` is no extension");
        assert!(ch.hello.session_id.is_empty());
    }

    #[test]
    fn nothing_is_read_from_text_without_a_description() {
        assert!(client_hello("CONNECT a:443 HTTP/1.1\r\n\r\n").is_none());
        assert!(server_hello("HTTP/1.1 200 Connection Established\r\n\r\n").is_none());
        assert!(upstream("HTTP/1.1 200 OK\r\n").is_none());
        // A marker without a version line is no hello.
        assert!(client_hello(&format!("A SSLv3{CLIENT_MARK}.\n\nRandom: 00\n")).is_none());
    }
}
