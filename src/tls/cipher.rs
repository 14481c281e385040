//! Cipher suites as an open newtype over the IANA registry ([`super::suites`]).
//!
//! TLS suites are 16-bit values. SSL 2.0 cipher specs are 24-bit; a spec
//! `0x00XXYY` is the TLS suite `0xXXYY` (RFC 6101 appendix E), any other is
//! kept as its 24-bit value, so one `u32` holds both unambiguously.

use std::fmt;
use std::sync::OnceLock;

use super::suites;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CipherSuite(pub u32);

/// RFC 7507: a client retrying with a lower version than it supports.
pub const TLS_FALLBACK_SCSV: CipherSuite = CipherSuite(0x5600);

impl CipherSuite {
    pub fn tls(id: u16) -> CipherSuite {
        CipherSuite(u32::from(id))
    }

    /// An SSL 2.0 CIPHER-KIND.
    pub fn ssl2(spec: u32) -> CipherSuite {
        CipherSuite(spec & 0x00ff_ffff)
    }

    pub fn is_ssl2_only(self) -> bool {
        self.0 > 0xffff
    }

    /// RFC 8701 GREASE values (`0x?A?A`, both bytes equal).
    pub fn is_grease(self) -> bool {
        self.0 <= 0xffff && self.0 & 0x0f0f == 0x0a0a && self.0 >> 8 == self.0 & 0xff
    }

    fn entry(self) -> Option<(&'static str, u16)> {
        match u16::try_from(self.0) {
            Ok(id) => suites::lookup(id),
            Err(_) => suites::lookup_ssl2(self.0),
        }
    }

    /// The IANA name (`SSL2_...` for SSL 2.0 specs), if assigned.
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|(name, _)| name)
    }

    pub fn classes(self) -> Classes {
        match u16::try_from(self.0) {
            // Looked up per offered suite of every hello: a direct table.
            Ok(id) => Classes(class_table().get(usize::from(id)).copied().unwrap_or(0)),
            Err(_) => Classes(suites::lookup_ssl2(self.0).map_or(0, |(_, bits)| bits)),
        }
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.pad(name),
            None if self.is_ssl2_only() => f.pad(&format!("0x{:06x}", self.0)),
            None => f.pad(&format!("0x{:04x}", self.0)),
        }
    }
}

/// As JSON: the IANA name, or hex for unassigned values.
impl serde::Serialize for CipherSuite {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(name) => s.serialize_str(name),
            None => s.collect_str(self),
        }
    }
}

/// Class bits for every 16-bit suite value, built once from [`suites::SUITES`].
fn class_table() -> &'static [u16] {
    static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u16; 1 << 16].into_boxed_slice();
        for &(id, _, bits) in suites::SUITES {
            if let Some(slot) = t.get_mut(usize::from(id)) {
                *slot = bits;
            }
        }
        t
    })
}

/// The class bits of [`suites`]: 3DES, RC4, NULL, EXPORT, anonymous, CBC,
/// AEAD, SCSV, DES.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Classes(pub u16);

impl Classes {
    pub fn triple_des(self) -> bool {
        self.0 & suites::THREE_DES != 0
    }

    /// Weak by today's standards: 3DES, RC4, NULL, EXPORT, anonymous or DES.
    pub fn weak(self) -> bool {
        self.weak_part().0 != 0
    }

    /// Only the weak classes of these.
    pub fn weak_part(self) -> Classes {
        Classes(
            self.0
                & (suites::THREE_DES
                    | suites::RC4
                    | suites::NULL_CIPHER
                    | suites::EXPORT
                    | suites::ANONYMOUS
                    | suites::DES),
        )
    }

    /// A signalling value (TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
    /// TLS_FALLBACK_SCSV), not a cipher suite.
    pub fn scsv(self) -> bool {
        self.0 & suites::SCSV != 0
    }

    /// Labels of the set bits, in a fixed order.
    pub fn labels(self) -> impl Iterator<Item = &'static str> {
        suites::CLASS_NAMES
            .iter()
            .filter(move |(bit, _)| self.0 & bit != 0 && *bit != suites::NULL_WITH_NULL)
            .map(|&(_, label)| label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unknown_and_grease() {
        assert_eq!(
            CipherSuite::tls(0x000a).to_string(),
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        );
        assert!(CipherSuite::tls(0x000a).classes().triple_des());
        assert_eq!(CipherSuite::tls(0x1234).to_string(), "0x1234");
        assert!(CipherSuite::tls(0xdada).is_grease());
        assert!(!CipherSuite::tls(0x0a0b).is_grease());
        assert_eq!(TLS_FALLBACK_SCSV.to_string(), "TLS_FALLBACK_SCSV");
    }

    #[test]
    fn ssl2_specs() {
        let ede3 = CipherSuite::ssl2(0x0700c0);
        assert_eq!(ede3.to_string(), "SSL2_DES_192_EDE3_CBC_WITH_MD5");
        assert!(ede3.classes().triple_des());
        // A 0x00XXYY spec is the TLS suite XXYY.
        assert_eq!(CipherSuite::ssl2(0x00000a), CipherSuite::tls(0x000a));
        assert_eq!(CipherSuite::ssl2(0x7f0000).to_string(), "0x7f0000");
    }

    /// Every suite tls-parser knows is in our table under the same name,
    /// unless IANA does not assign it (tls-parser lists the reserved
    /// EXPORT1024 range 0x0060..=0x0066).
    #[test]
    fn agrees_with_tls_parser_registry() {
        let mut checked = 0;
        for id in 0..=u16::MAX {
            let Some(theirs) = tls_parser::TlsCipherSuite::from_id(id) else {
                continue;
            };
            if (0x0060..=0x0066).contains(&id) {
                assert_eq!(CipherSuite::tls(id).name(), None);
                continue;
            }
            assert_eq!(CipherSuite::tls(id).name(), Some(theirs.name), "0x{id:04x}");
            let three_des = theirs.enc == tls_parser::TlsCipherEnc::TripleDes;
            assert_eq!(
                CipherSuite::tls(id).classes().triple_des(),
                three_des,
                "0x{id:04x}"
            );
            checked += 1;
        }
        assert!(checked > 300, "{checked}");
    }
}
