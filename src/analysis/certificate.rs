//! What is wrong with a server's certificate, judged at capture time: the
//! leaf's facts ([`crate::tls::certificate::Leaf`]) and the connection's
//! time and SNI in, [`Findings`] out.
//!
//! - validity: expired or not yet valid at the ClientHello's capture time,
//!   or expiring within [`EXPIRY_WARNING_DAYS`] of it;
//! - self-signed (subject equals issuer);
//! - a signature hashed with MD2, MD5 or SHA-1 (NIST SP 800-52r2 §3.5.1,
//!   CA/Browser Forum BR 7.1.3);
//! - a small key: RSA or DSA below 2048 bits, EC below 256 (SP 800-52r2
//!   §3.1, SP 800-57 part 1 table 2);
//! - the SNI not matched by the certificate's names, by the rules of RFC
//!   6125 §6.4 (RFC 9525 §6.3): the subjectAltName DNS names when there are
//!   any, else the subject CN; ASCII case-insensitive; a wildcard only as
//!   the whole left-most label, matching exactly one label, and never for a
//!   pattern with fewer than two labels after it (`*.com`). A connection
//!   without SNI is not judged on names.
//!
//! Nothing is validated against trust anchors: tlssniff sees the chain,
//! not the client's trust store, so "untrusted issuer" is not a finding.

use crate::text::WireText;
use crate::time::Timestamp;
use crate::tls::certificate::{KeyType, Leaf, SignatureHash};

/// A certificate expiring within this many days of the capture is flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// One thing wrong with a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Finding {
    Expired,
    NotYetValid,
    ExpiresSoon,
    SelfSigned,
    WeakSignature,
    WeakKey,
    NameMismatch,
}

impl Finding {
    pub const ALL: [Finding; 7] = [
        Finding::Expired,
        Finding::NotYetValid,
        Finding::ExpiresSoon,
        Finding::SelfSigned,
        Finding::WeakSignature,
        Finding::WeakKey,
        Finding::NameMismatch,
    ];

    /// The machine name (jsonl, csv, summary-json).
    pub fn key(self) -> &'static str {
        match self {
            Finding::Expired => "expired",
            Finding::NotYetValid => "not_yet_valid",
            Finding::ExpiresSoon => "expires_soon",
            Finding::SelfSigned => "self_signed",
            Finding::WeakSignature => "weak_signature",
            Finding::WeakKey => "weak_key",
            Finding::NameMismatch => "name_mismatch",
        }
    }

    /// In words, for the table.
    pub fn label(self) -> &'static str {
        match self {
            Finding::Expired => "expired",
            Finding::NotYetValid => "not yet valid",
            Finding::ExpiresSoon => "expires within 30 days",
            Finding::SelfSigned => "self-signed",
            Finding::WeakSignature => "MD5/SHA-1 signature",
            Finding::WeakKey => "small key",
            Finding::NameMismatch => "name does not match SNI",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Finding`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Findings(u8);

impl Findings {
    pub fn insert(&mut self, f: Finding) {
        self.0 |= f.bit();
    }

    pub fn contains(self, f: Finding) -> bool {
        self.0 & f.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: Findings) -> Findings {
        Findings(self.0 | other.0)
    }

    /// The findings, in [`Finding::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Finding> {
        Finding::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// The machine names, in order.
    pub fn keys(self) -> Vec<&'static str> {
        self.iter().map(Finding::key).collect()
    }
}

/// What is wrong with `leaf`, on a connection at capture time `at` that
/// asked for `sni`.
pub fn judge(leaf: &Leaf, at: Timestamp, sni: Option<&WireText>) -> Findings {
    let mut f = Findings::default();
    let now = i64::try_from(at.secs()).unwrap_or(i64::MAX);
    if now > leaf.not_after {
        f.insert(Finding::Expired);
    } else if now < leaf.not_before {
        f.insert(Finding::NotYetValid);
    } else if leaf.not_after - now <= EXPIRY_WARNING_DAYS * 86_400 {
        f.insert(Finding::ExpiresSoon);
    }
    if leaf.self_signed {
        f.insert(Finding::SelfSigned);
    }
    if leaf.signature_hash != SignatureHash::Other {
        f.insert(Finding::WeakSignature);
    }
    let small = match (leaf.key_type, leaf.key_bits) {
        (KeyType::Rsa | KeyType::RsaPss | KeyType::Dsa, Some(bits)) => bits < 2048,
        (KeyType::Ec, Some(bits)) => bits < 256,
        _ => false,
    };
    if small {
        f.insert(Finding::WeakKey);
    }
    if let Some(host) = sni
        && names_match(leaf, host.as_bytes()) == Some(false)
    {
        f.insert(Finding::NameMismatch);
    }
    f
}

/// Does the certificate name `host`? `None` when it cannot be told: no
/// name at all, or the SAN list was cut and nothing kept matched.
pub fn names_match(leaf: &Leaf, host: &[u8]) -> Option<bool> {
    if !leaf.san_dns.is_empty() {
        if leaf
            .san_dns
            .iter()
            .any(|p| name_matches(p.as_bytes(), host))
        {
            return Some(true);
        }
        return if leaf.san_cut { None } else { Some(false) };
    }
    leaf.subject_cn
        .as_ref()
        .map(|cn| name_matches(cn.as_bytes(), host))
}

/// One presented name (`pattern`, possibly `*.example.com`) against the
/// reference name `host`, per RFC 6125 §6.4.3 as narrowed by RFC 9525.
pub fn name_matches(pattern: &[u8], host: &[u8]) -> bool {
    let pattern = pattern.strip_suffix(b".").unwrap_or(pattern);
    let host = host.strip_suffix(b".").unwrap_or(host);
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let Some(rest) = pattern.strip_prefix(b"*.") else {
        return pattern.eq_ignore_ascii_case(host);
    };
    // `*.com` would name a whole top-level domain; a second `*` is never
    // a wildcard.
    if !rest.contains(&b'.') || rest.contains(&b'*') {
        return false;
    }
    let Some(dot) = host.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (first, tail) = host.split_at(dot);
    !first.is_empty() && tail.get(1..).is_some_and(|t| t.eq_ignore_ascii_case(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 days after `not_before`.
    const NOT_AFTER: i64 = 1_000_000 + 100 * 86_400;

    fn leaf(san: &[&str], cn: Option<&str>) -> Leaf {
        Leaf {
            subject: WireText::from("CN=x"),
            issuer: WireText::from("CN=ca"),
            subject_cn: cn.map(WireText::from),
            issuer_cn: None,
            san_dns: san.iter().map(|s| WireText::from(*s)).collect(),
            san_cut: false,
            serial: "01".into(),
            not_before: 1_000_000,
            not_after: NOT_AFTER,
            signature_algorithm: "sha256WithRSAEncryption".into(),
            signature_oid: "1.2.840.113549.1.1.11".into(),
            signature_hash: SignatureHash::Other,
            key_type: KeyType::Rsa,
            key_bits: Some(2048),
            key_curve: None,
            sha256: String::new(),
            self_signed: false,
        }
    }

    #[test]
    fn wildcards_cover_exactly_one_left_most_label() {
        assert!(name_matches(b"*.wild.test", b"a.wild.test"));
        assert!(name_matches(b"*.WILD.test", b"A.wild.TEST."));
        assert!(!name_matches(b"*.wild.test", b"a.b.wild.test"));
        assert!(!name_matches(b"*.wild.test", b"wild.test"));
        assert!(!name_matches(b"*.wild.test", b".wild.test"));
        assert!(!name_matches(b"*.com", b"example.com"));
        assert!(!name_matches(b"a*.wild.test", b"ab.wild.test"));
        assert!(!name_matches(b"*.*.test", b"a.b.test"));
        assert!(name_matches(b"exact.test", b"EXACT.test"));
        assert!(!name_matches(b"", b""));
    }

    #[test]
    fn the_subject_cn_counts_only_without_san_names() {
        let with_san = leaf(&["a.test"], Some("b.test"));
        assert_eq!(names_match(&with_san, b"b.test"), Some(false));
        assert_eq!(names_match(&with_san, b"a.test"), Some(true));
        let cn_only = leaf(&[], Some("b.test"));
        assert_eq!(names_match(&cn_only, b"b.test"), Some(true));
        assert_eq!(names_match(&leaf(&[], None), b"b.test"), None);
        let mut cut = leaf(&["a.test"], None);
        cut.san_cut = true;
        assert_eq!(names_match(&cut, b"z.test"), None);
    }

    #[test]
    fn validity_is_judged_at_capture_time() {
        let l = leaf(&["a.test"], None);
        let at = |s: i64| Timestamp::from_parts(s as u64, 0);
        assert_eq!(judge(&l, at(NOT_AFTER + 1), None).keys(), ["expired"]);
        // The last second of validity is still valid, and expires soon.
        assert_eq!(judge(&l, at(NOT_AFTER), None).keys(), ["expires_soon"]);
        assert_eq!(judge(&l, at(999_999), None).keys(), ["not_yet_valid"]);
        let warn = EXPIRY_WARNING_DAYS * 86_400;
        assert!(judge(&l, at(NOT_AFTER - warn - 1), None).is_empty());
        assert_eq!(
            judge(&l, at(NOT_AFTER - warn), None).keys(),
            ["expires_soon"]
        );
    }

    #[test]
    fn weak_keys_signatures_and_names() {
        let mut l = leaf(&["a.test"], None);
        l.key_bits = Some(1024);
        l.signature_hash = SignatureHash::Sha1;
        l.self_signed = true;
        let f = judge(
            &l,
            Timestamp::from_parts(1_000_000, 0),
            Some(&"b.test".into()),
        );
        assert_eq!(
            f.keys(),
            ["self_signed", "weak_signature", "weak_key", "name_mismatch"]
        );
        l.key_type = KeyType::Ec;
        l.key_bits = Some(256);
        let f = judge(
            &l,
            Timestamp::from_parts(1_000_000, 0),
            Some(&"a.test".into()),
        );
        assert!(!f.contains(Finding::WeakKey) && !f.contains(Finding::NameMismatch));
    }
}
