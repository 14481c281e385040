//! ClientHello and ServerHello facts.
//!
//! Complete hellos are parsed with tls-parser (RFC 5246 §7.4.1, RFC 8446
//! §4.1.2–4.1.4), extension contents with tls-parser's per-extension parsers.
//! When tls-parser rejects a hello, or the capture cut it short (snaplen), a
//! lax reader takes what the bytes still say — versions, the cipher suites
//! that are present, the extensions that are whole — and marks the result
//! `partial`. SSL 2.0 CLIENT-HELLO / SERVER-HELLO / CLIENT-MASTER-KEY
//! (draft-hickman-netscape-ssl-00) are parsed here too; tls-parser has no
//! SSL 2.0 support.
//!
//! GREASE values (RFC 8701) are dropped from versions and cipher suites.

use tls_parser::{
    TlsExtension, parse_tls_client_hello_extension, parse_tls_server_hello_extension,
};

use super::cipher::{CipherSuite, Classes, TLS_FALLBACK_SCSV};
use super::reader::Reader;
use super::version::{Version, max_known};
use crate::text::WireText;

/// Longest SNI we keep, in bytes (a DNS name has at most 253).
pub const MAX_SNI: usize = 1024;
/// Most ALPN protocol names we keep.
pub const MAX_ALPN: usize = 16;

/// RFC 8446 §4.1.3: the ServerHello.random of a HelloRetryRequest.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a server
/// that supports higher versions negotiates TLS 1.2 (`01`) or below (`00`).
const DOWNGRADE_PREFIX: &[u8; 7] = b"DOWNGRD";

const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_ALPN: u16 = 16;

/// A session id (at most 32 bytes), kept to recognise resumption.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionId {
    len: u8,
    bytes: [u8; 32],
}

impl SessionId {
    pub fn new(id: &[u8]) -> SessionId {
        let mut s = SessionId::default();
        let n = id.len().min(32);
        if let (Some(dst), Some(src)) = (s.bytes.get_mut(..n), id.get(..n)) {
            dst.copy_from_slice(src);
        }
        s.len = n as u8;
        s
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// Version in the record header that carried the hello (`SSL 2.0` for an
    /// SSLv2-format hello).
    pub record_version: Version,
    /// `legacy_version` (`client_version`); for an SSLv2-format hello, the
    /// version field of CLIENT-HELLO.
    pub legacy_version: Version,
    /// The supported_versions extension in order, GREASE removed; `None`
    /// without the extension.
    pub supported_versions: Option<Vec<Version>>,
    /// Offered cipher suites in order, GREASE removed, SCSVs kept.
    pub cipher_suites: Vec<CipherSuite>,
    pub sni: Option<WireText>,
    pub alpn: Option<Vec<WireText>>,
    pub session_id: SessionId,
    pub sslv2_format: bool,
    /// GREASE values were present (versions, suites or extensions).
    pub grease: bool,
    /// A pre_shared_key extension was offered (TLS 1.3 resumption attempt).
    pub offers_psk: bool,
    /// The hello could not be read whole (cut by the snaplen, or malformed);
    /// the fields hold what could be read.
    pub partial: bool,
    /// Some offered suite is 3DES (computed once, at parse time).
    any_3des: bool,
    /// Extension types in the order offered, GREASE removed (at most
    /// `MAX_LISTED`; `lists_cut` says when there were more).
    pub extensions: Vec<u16>,
    /// supported_groups (elliptic_curves), GREASE removed.
    pub supported_groups: Vec<u16>,
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms, GREASE removed.
    pub signature_algorithms: Vec<u16>,
    /// A list above was longer than `MAX_LISTED`: no fingerprint.
    pub lists_cut: bool,
}

/// Most entries kept per fingerprint list (extension types, groups, point
/// formats, signature algorithms). Real hellos have under 30 of each.
pub const MAX_LISTED: usize = 256;

/// Appends `v` to a bounded list, marking `cut` once it is full.
fn list_push<T>(list: &mut Vec<T>, v: T, cut: &mut bool) {
    if list.len() < MAX_LISTED {
        list.push(v);
    } else {
        *cut = true;
    }
}

/// The u16 entries of a `u16 length, u16...` extension body.
fn u16_list(raw: &[u8]) -> impl Iterator<Item = u16> + '_ {
    let body = raw.get(4..).unwrap_or_default();
    let mut r = Reader::new(body);
    let len = usize::from(r.u16().unwrap_or(0));
    let mut items = r.sub(len).unwrap_or_else(|| Reader::new(&[]));
    std::iter::from_fn(move || items.u16())
}

impl ClientHello {
    /// The highest version offered: the highest supported_versions entry
    /// (GREASE removed), else legacy_version.
    pub fn max_version(&self) -> Version {
        self.supported_versions
            .as_deref()
            .and_then(|v| max_known(v.iter().copied()))
            .unwrap_or(self.legacy_version)
    }

    pub fn fallback_scsv(&self) -> bool {
        self.cipher_suites.contains(&TLS_FALLBACK_SCSV)
    }

    pub fn offers_3des(&self) -> bool {
        self.any_3des
    }

    pub(super) fn offer(&mut self, suite: CipherSuite) {
        if suite.is_grease() {
            self.grease = true;
        } else {
            self.any_3des |= suite.classes().triple_des();
            self.cipher_suites.push(suite);
        }
    }

    /// When every suite offered (signalling values aside) is a legacy one —
    /// 3DES, RC4, DES, NULL, EXPORT or anonymous — the classes they are in;
    /// `None` when any modern suite is offered, or none at all.
    pub fn legacy_suites_only(&self) -> Option<Classes> {
        let mut weak = Classes::default();
        let mut any = false;
        for c in self.cipher_suites.iter().map(|s| s.classes()) {
            if c.scsv() {
                continue;
            }
            if !c.weak() {
                return None;
            }
            any = true;
            weak = Classes(weak.0 | c.weak_part().0);
        }
        any.then_some(weak)
    }

    /// Does this hello offer `v` (in supported_versions, or up to
    /// legacy_version when there is no such extension)?
    pub fn offers(&self, v: Version) -> bool {
        match &self.supported_versions {
            Some(list) => list.contains(&v),
            None => v <= self.legacy_version && v.is_known(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: Version,
    /// The supported_versions extension (TLS 1.3), overriding legacy_version.
    pub selected_version: Option<Version>,
    /// `None` for an SSL 2.0 SERVER-HELLO (the client picks the cipher in
    /// CLIENT-MASTER-KEY).
    pub cipher: Option<CipherSuite>,
    pub session_id: SessionId,
    /// This is a HelloRetryRequest, not the final ServerHello.
    pub retry: bool,
    /// pre_shared_key accepted (TLS 1.3 resumption).
    pub psk: bool,
    /// RFC 8446 §4.1.3 downgrade sentinel: the server said it supports at
    /// least this version (TLS 1.3 for `DOWNGRD\x01`, TLS 1.2 for `\x00`).
    pub downgrade_sentinel: Option<Version>,
    /// Extension types in the order sent (at most `MAX_LISTED`).
    pub extensions: Vec<u16>,
    /// The protocol the server chose by ALPN (RFC 7301 §3.1: exactly one
    /// name). TLS 1.3 sends it encrypted, so it is seen up to TLS 1.2.
    pub alpn: Option<WireText>,
    pub sslv2: bool,
    /// SSL 2.0 SERVER-HELLO session-id-hit (resumption).
    pub sslv2_session_hit: bool,
    pub partial: bool,
}

impl ServerHello {
    /// The negotiated version: supported_versions if present, else
    /// legacy_version.
    pub fn version(&self) -> Version {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Parses a ClientHello handshake body (after the 4-byte handshake header).
/// Falls back to the lax reader when tls-parser rejects it.
pub fn parse_client_hello(body: &[u8], record_version: Version) -> Option<ClientHello> {
    let Ok((_, ch)) = tls_parser::parse_tls_handshake_client_hello(body) else {
        return parse_client_hello_lax(body, record_version);
    };
    let mut hello = ClientHello {
        record_version,
        legacy_version: Version(ch.version.0),
        session_id: SessionId::new(ch.session_id.unwrap_or_default()),
        ..ClientHello::default()
    };
    add_suites(&mut hello, ch.ciphers.iter().map(|c| c.0));
    if let Some(ext) = ch.ext {
        hello.partial |= !client_extensions(&mut hello, ext);
    }
    Some(hello)
}

/// Reads as much of a ClientHello body as is there. `None` if not even the
/// version is.
pub fn parse_client_hello_lax(body: &[u8], record_version: Version) -> Option<ClientHello> {
    let mut r = Reader::new(body);
    let mut hello = ClientHello {
        record_version,
        legacy_version: Version(r.u16()?),
        partial: true,
        ..ClientHello::default()
    };
    let complete = (|| {
        r.take(32)?;
        let sid_len = usize::from(r.u8()?);
        let sid = r.take_up_to(sid_len);
        hello.session_id = SessionId::new(sid);
        let suites_len = usize::from(r.u16()?);
        let suites = r.take_up_to(suites_len);
        add_suites(
            &mut hello,
            suites
                .chunks_exact(2)
                .filter_map(|p| p.try_into().ok().map(u16::from_be_bytes)),
        );
        if suites.len() < suites_len || suites_len % 2 != 0 {
            return None;
        }
        let comp_len = usize::from(r.u8()?);
        r.take(comp_len)?;
        if r.is_empty() {
            return Some(());
        }
        let ext_len = usize::from(r.u16()?);
        let ext = r.take_up_to(ext_len);
        let whole = client_extensions(&mut hello, ext);
        (whole && ext.len() == ext_len).then_some(())
    })()
    .is_some();
    // A lax parse of a whole, well-formed hello is not partial.
    hello.partial = !complete;
    Some(hello)
}

fn add_suites(hello: &mut ClientHello, ids: impl Iterator<Item = u16>) {
    hello.cipher_suites.reserve(ids.size_hint().0);
    for id in ids {
        hello.offer(CipherSuite::tls(id));
    }
}

/// Applies the extensions in `ext` (the extensions block, without its length)
/// to `hello`. Returns false if the block did not parse to its end.
fn client_extensions(hello: &mut ClientHello, ext: &[u8]) -> bool {
    each_extension(ext, |ext_type, raw| {
        if Version(ext_type).is_grease() {
            hello.grease = true;
            return;
        }
        list_push(&mut hello.extensions, ext_type, &mut hello.lists_cut);
        match ext_type {
            EXT_SUPPORTED_GROUPS => {
                for g in u16_list(raw).filter(|g| !Version(*g).is_grease()) {
                    list_push(&mut hello.supported_groups, g, &mut hello.lists_cut);
                }
            }
            EXT_SIGNATURE_ALGORITHMS => {
                for a in u16_list(raw).filter(|a| !Version(*a).is_grease()) {
                    list_push(&mut hello.signature_algorithms, a, &mut hello.lists_cut);
                }
            }
            EXT_EC_POINT_FORMATS => {
                let body = raw.get(4..).unwrap_or_default();
                let mut r = Reader::new(body);
                let len = usize::from(r.u8().unwrap_or(0));
                for &f in r.take_up_to(len) {
                    list_push(&mut hello.ec_point_formats, f, &mut hello.lists_cut);
                }
            }
            _ => {}
        }
        if ext_type == EXT_PRE_SHARED_KEY {
            hello.offers_psk = true;
        }
        let Ok((_, parsed)) = parse_tls_client_hello_extension(raw) else {
            return;
        };
        match parsed {
            TlsExtension::SNI(names) => {
                if let Some((_, name)) = names.iter().find(|(t, _)| t.0 == 0) {
                    let name = name.get(..MAX_SNI).unwrap_or(name);
                    hello.sni = Some(WireText::new(name));
                }
            }
            TlsExtension::ALPN(protocols) => {
                hello.alpn = Some(
                    protocols
                        .iter()
                        .take(MAX_ALPN)
                        .map(|p| WireText::new(p))
                        .collect(),
                );
            }
            TlsExtension::SupportedVersions(versions) if ext_type == EXT_SUPPORTED_VERSIONS => {
                let mut list = Vec::with_capacity(versions.len());
                for v in versions {
                    let v = Version(v.0);
                    if v.is_grease() {
                        hello.grease = true;
                    } else {
                        list.push(v);
                    }
                }
                hello.supported_versions = Some(list);
            }
            _ => {}
        }
    })
}

/// Calls `f(type, raw)` for each whole extension, `raw` being the extension
/// with its 4-byte header (what tls-parser's extension parsers take).
/// Returns false if the block has trailing bytes that are not a whole
/// extension.
fn each_extension(block: &[u8], mut f: impl FnMut(u16, &[u8])) -> bool {
    let mut r = Reader::new(block);
    while !r.is_empty() {
        let mut peek = r;
        let (Some(ext_type), Some(len)) = (peek.u16(), peek.u16()) else {
            return false;
        };
        let Some(raw) = r.take(4 + usize::from(len)) else {
            return false;
        };
        f(ext_type, raw);
    }
    true
}

/// Parses a ServerHello handshake body. Also recognises a HelloRetryRequest
/// (by its random) and pre-standard TLS 1.3 draft formats.
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHello> {
    let Ok((_, sh)) = tls_parser::parse_tls_handshake_server_hello(body) else {
        return parse_server_hello_lax(body);
    };
    if sh.ext.is_none() && sh.version.0 < 0x0301 {
        // tls-parser leaves an SSL 3.0 ServerHello's extensions unread
        // (renegotiation_info and others are sent); the lax reader reads
        // them, and says the hello is whole when it is.
        return parse_server_hello_lax(body);
    }
    let mut hello = ServerHello {
        legacy_version: Version(sh.version.0),
        cipher: Some(CipherSuite::tls(sh.cipher.0)),
        session_id: SessionId::new(sh.session_id.unwrap_or_default()),
        ..ServerHello::default()
    };
    random_signals(&mut hello, sh.random);
    if let Some(ext) = sh.ext {
        hello.partial |= !server_extensions(&mut hello, ext);
    }
    Some(hello)
}

/// Reads as much of a ServerHello body as is there.
pub fn parse_server_hello_lax(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    let version = Version(r.u16()?);
    let mut hello = ServerHello {
        legacy_version: version,
        partial: true,
        ..ServerHello::default()
    };
    // TLS 1.3 drafts up to -21 sent ServerHello without session id and
    // compression method.
    let old_draft = (0x7f00..=0x7f15).contains(&version.0);
    let complete = (|| {
        let random = r.take(32)?;
        random_signals(&mut hello, random);
        if !old_draft {
            let sid_len = usize::from(r.u8()?);
            hello.session_id = SessionId::new(r.take(sid_len)?);
        }
        hello.cipher = Some(CipherSuite::tls(r.u16()?));
        if !old_draft {
            r.u8()?;
        }
        if r.is_empty() {
            return Some(());
        }
        let ext_len = usize::from(r.u16()?);
        let ext = r.take_up_to(ext_len);
        let whole = server_extensions(&mut hello, ext);
        (whole && ext.len() == ext_len).then_some(())
    })()
    .is_some();
    hello.partial = !complete;
    Some(hello)
}

/// A draft-era HelloRetryRequest (handshake type 6): version, then (from
/// draft 19 on) a cipher suite, then extensions. Only the version is kept.
pub fn parse_draft_hello_retry(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    Some(ServerHello {
        legacy_version: Version(r.u16()?),
        retry: true,
        ..ServerHello::default()
    })
}

/// The HelloRetryRequest and downgrade signals in ServerHello.random.
pub(super) fn random_signals(hello: &mut ServerHello, random: &[u8]) {
    if random == HRR_RANDOM {
        hello.retry = true;
    } else if let Some(tail) = random.get(24..32) {
        if tail.starts_with(DOWNGRADE_PREFIX) {
            hello.downgrade_sentinel = match tail.get(7) {
                Some(1) => Some(Version::TLS13),
                Some(0) => Some(Version::TLS12),
                _ => None,
            };
        }
    }
}

fn server_extensions(hello: &mut ServerHello, ext: &[u8]) -> bool {
    each_extension(ext, |ext_type, raw| {
        if hello.extensions.len() < MAX_LISTED {
            hello.extensions.push(ext_type);
        } else {
            hello.partial = true;
        }
        if ext_type == EXT_PRE_SHARED_KEY {
            hello.psk = true;
        }
        if ext_type == EXT_ALPN {
            // Type and length, the list's length, then one length-prefixed
            // name.
            let mut r = Reader::new(raw.get(4..).unwrap_or_default());
            let _list_len = r.u16();
            let len = usize::from(r.u8().unwrap_or(0));
            let name = r.take_up_to(len);
            if !name.is_empty() {
                hello.alpn = Some(WireText::new(name));
            }
            return;
        }
        if ext_type != EXT_SUPPORTED_VERSIONS {
            return;
        }
        if let Ok((_, TlsExtension::SupportedVersions(v))) = parse_tls_server_hello_extension(raw) {
            if let [only] = v.as_slice() {
                hello.selected_version = Some(Version(only.0));
            }
        }
    })
}

/// SSL 2.0 CLIENT-HELLO (message type 1), given the record body.
pub fn parse_sslv2_client_hello(body: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(body);
    if r.u8()? != 1 {
        return None;
    }
    let version = Version(r.u16()?);
    let specs_len = usize::from(r.u16()?);
    let sid_len = usize::from(r.u16()?);
    let challenge_len = usize::from(r.u16()?);
    let mut hello = ClientHello {
        record_version: Version::SSL2,
        legacy_version: version,
        sslv2_format: true,
        ..ClientHello::default()
    };
    let specs = r.take_up_to(specs_len);
    for s in specs.chunks_exact(3) {
        if let [a, b, c] = *s {
            hello.offer(CipherSuite::ssl2(u32::from_be_bytes([0, a, b, c])));
        }
    }
    let sid = r.take_up_to(sid_len);
    hello.session_id = SessionId::new(sid);
    let challenge = r.take_up_to(challenge_len);
    hello.partial = specs.len() < specs_len
        || specs_len % 3 != 0
        || sid.len() < sid_len
        || challenge.len() < challenge_len;
    Some(hello)
}

/// SSL 2.0 SERVER-HELLO (message type 4), given the record body.
pub fn parse_sslv2_server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    if r.u8()? != 4 {
        return None;
    }
    let session_hit = r.u8()? != 0;
    r.u8()?; // certificate type
    let version = Version(r.u16()?);
    Some(ServerHello {
        legacy_version: version,
        sslv2: true,
        sslv2_session_hit: session_hit,
        ..ServerHello::default()
    })
}

/// The server's certificate in an SSL 2.0 SERVER-HELLO, when it sent one
/// of type X.509 (draft-hickman-netscape-ssl-00: CERTIFICATE-TYPE 1; the
/// certificate follows the three length fields).
pub fn sslv2_server_certificate(body: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(body);
    if r.u8()? != 4 {
        return None;
    }
    r.u8()?; // session-id-hit
    if r.u8()? != 1 {
        return None;
    }
    r.u16()?; // server version
    let cert_len = usize::from(r.u16()?);
    r.u16()?; // cipher specs length
    r.u16()?; // connection id length
    Some(r.take(cert_len)?).filter(|c| !c.is_empty())
}

/// The cipher chosen in an SSL 2.0 CLIENT-MASTER-KEY (message type 2).
pub fn parse_sslv2_client_master_key(body: &[u8]) -> Option<CipherSuite> {
    let mut r = Reader::new(body);
    if r.u8()? != 2 {
        return None;
    }
    let [a, b, c] = r.array()?;
    Some(CipherSuite::ssl2(u32::from_be_bytes([0, a, b, c])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello body assembled field by field (RFC 8446 §4.1.2).
    fn client_hello_body(suites: &[u16], extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend([7u8; 32]);
        b.push(0);
        b.extend(((suites.len() * 2) as u16).to_be_bytes());
        for s in suites {
            b.extend(s.to_be_bytes());
        }
        b.extend([1, 0]);
        let mut ext = Vec::new();
        for (t, data) in extensions {
            ext.extend(t.to_be_bytes());
            ext.extend((data.len() as u16).to_be_bytes());
            ext.extend(data);
        }
        b.extend((ext.len() as u16).to_be_bytes());
        b.extend(ext);
        b
    }

    fn supported_versions(v: &[u16]) -> (u16, Vec<u8>) {
        let mut d = vec![(v.len() * 2) as u8];
        for x in v {
            d.extend(x.to_be_bytes());
        }
        (43, d)
    }

    #[test]
    fn legacy_version_is_not_the_max_version_of_a_tls13_client() {
        let body = client_hello_body(
            &[0x1301, 0x5a5a, 0xc02f],
            &[supported_versions(&[0x2a2a, 0x0304, 0x0303])],
        );
        let ch = parse_client_hello(&body, Version::TLS10).unwrap();
        assert_eq!(ch.legacy_version, Version::TLS12);
        assert_eq!(ch.record_version, Version::TLS10);
        assert_eq!(ch.max_version(), Version::TLS13);
        assert_eq!(
            ch.supported_versions,
            Some(vec![Version::TLS13, Version::TLS12])
        );
        assert_eq!(
            ch.cipher_suites,
            vec![CipherSuite::tls(0x1301), CipherSuite::tls(0xc02f)]
        );
        assert!(ch.grease);
        assert!(!ch.partial);
    }

    #[test]
    fn lax_parse_agrees_on_a_whole_hello_and_survives_every_cut() {
        let body = client_hello_body(
            &[0x000a, 0x5600],
            &[
                (0, b"\x00\x0e\x00\x00\x0bexample.com".to_vec()),
                supported_versions(&[0x0301]),
            ],
        );
        let strict = parse_client_hello(&body, Version::TLS10).unwrap();
        let lax = parse_client_hello_lax(&body, Version::TLS10).unwrap();
        assert_eq!(strict, lax);
        assert_eq!(strict.sni, Some(WireText::from("example.com")));
        assert!(strict.fallback_scsv());
        assert!(strict.offers_3des());
        // Where the extensions block starts, a cut hello is
        // indistinguishable from one without extensions (SSL 3.0 era); the
        // scanner knows the message length and marks such cuts itself.
        let ext_start = 2 + 32 + 1 + 2 + 4 + 2;
        for cut in 0..body.len() {
            let part = parse_client_hello_lax(&body[..cut], Version::TLS10);
            if cut >= 2 && cut != ext_start {
                assert!(part.unwrap().partial, "cut at {cut}");
            }
        }
    }

    #[test]
    fn hello_retry_request_is_recognised_by_its_random() {
        let mut body = vec![0x03, 0x03];
        body.extend(HRR_RANDOM);
        body.extend([0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let sh = parse_server_hello(&body).unwrap();
        assert!(sh.retry);
        assert_eq!(sh.version(), Version::TLS13);
    }

    #[test]
    fn an_sslv2_server_hello_carries_its_certificate() {
        // SERVER-HELLO: type 4, no session hit, X.509, SSL 2.0, the
        // certificate (3 bytes), one cipher spec, a 16-byte connection id.
        let mut body = vec![4, 0, 1, 0, 2, 0, 3, 0, 3, 0, 16, 0x30, 1, 0];
        body.extend([1, 0, 0x80]);
        body.extend([9u8; 16]);
        assert_eq!(sslv2_server_certificate(&body), Some(&[0x30, 1, 0][..]));
        assert!(parse_sslv2_server_hello(&body).is_some());
        // Not X.509, or cut inside the certificate: none.
        let mut other = body.clone();
        other[2] = 2;
        assert_eq!(sslv2_server_certificate(&other), None);
        assert_eq!(sslv2_server_certificate(&body[..12]), None);
    }

    #[test]
    fn downgrade_sentinel() {
        let mut body = vec![0x03, 0x03];
        body.extend([1u8; 24]);
        body.extend(b"DOWNGRD\x01");
        body.extend([0, 0x00, 0x2f, 0]);
        let sh = parse_server_hello(&body).unwrap();
        assert_eq!(sh.downgrade_sentinel, Some(Version::TLS13));
        assert_eq!(sh.version(), Version::TLS12);
    }
}
