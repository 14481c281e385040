//! Protocol versions, as an open newtype: unknown values, drafts and GREASE
//! survive and print as hex (`0x7f1c`).
//!
//! Which version field means what (DESIGN.md, RFC 8446 §4.1.2, §4.2.1): the
//! record-layer version is never the protocol version; ClientHello's
//! `legacy_version` is frozen at TLS 1.2 by TLS 1.3 clients, which list what
//! they offer in `supported_versions`; ServerHello's `supported_versions`
//! (one value) overrides its `legacy_version`.

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Version(pub u16);

impl Version {
    pub const SSL2: Version = Version(0x0002);
    pub const SSL3: Version = Version(0x0300);
    pub const TLS10: Version = Version(0x0301);
    pub const TLS11: Version = Version(0x0302);
    pub const TLS12: Version = Version(0x0303);
    pub const TLS13: Version = Version(0x0304);
    /// DTLS versions count down (RFC 6347 §4.1: 1's complement of the TLS
    /// version they follow): DTLS 1.0 is TLS 1.1's, 1.2 is TLS 1.2's, 1.3
    /// TLS 1.3's (RFC 9147).
    pub const DTLS10: Version = Version(0xfeff);
    pub const DTLS12: Version = Version(0xfefd);
    pub const DTLS13: Version = Version(0xfefc);
    /// OpenSSL's DTLS before RFC 4347 (0.9.8 and earlier).
    pub const DTLS_OPENSSL_PRE: Version = Version(0x0100);
    /// Where per-client and per-server tables count every version without
    /// a name (drafts, GREASE, garbage), so that a hostile peer cannot make
    /// a row grow with each value. 0xffff itself is no version.
    pub const OTHER: Version = Version(0xffff);

    /// RFC 8701 GREASE: `0x?A?A` with both bytes equal.
    pub fn is_grease(self) -> bool {
        self.0 & 0x0f0f == 0x0a0a && self.0 >> 8 == self.0 & 0xff
    }

    /// A pre-standard TLS 1.3 version: IETF drafts (0x7fNN), Facebook's
    /// drafts (0xfbNN) and Google's experiments (0x7eNN).
    pub fn is_tls13_draft(self) -> bool {
        matches!(self.0 >> 8, 0x7e | 0x7f | 0xfb)
    }

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Version::SSL2 => "SSL 2.0",
            Version::SSL3 => "SSL 3.0",
            Version::TLS10 => "TLS 1.0",
            Version::TLS11 => "TLS 1.1",
            Version::TLS12 => "TLS 1.2",
            Version::TLS13 => "TLS 1.3",
            Version::DTLS10 => "DTLS 1.0",
            Version::DTLS12 => "DTLS 1.2",
            Version::DTLS13 => "DTLS 1.3",
            Version::DTLS_OPENSSL_PRE => "DTLS 0x0100",
            Version::OTHER => "other",
            _ => return None,
        })
    }

    /// This version, or [`Version::OTHER`] when it has no name.
    pub fn folded(self) -> Version {
        if self.name().is_some() {
            self
        } else {
            Version::OTHER
        }
    }

    /// Position in the order of protocol strength: SSL 2.0 < SSL 3.0 <
    /// TLS 1.0 < 1.1 < 1.2 < TLS 1.3 drafts < TLS 1.3 < later 0x03NN.
    /// Values that are no version at all (GREASE, garbage) rank lowest.
    fn rank(self) -> u32 {
        match self.0 {
            // DTLS ranks with the TLS version it is built on; OpenSSL's
            // pre-RFC DTLS with TLS 1.0 (legacy either way).
            0x0100 => 3,
            0xfeff => 4,
            0xfefd => 5,
            0xfefc => 11,
            0x0002 => 1,
            0x0300..=0x0303 => 2 + u32::from(self.0 & 0xff),
            _ if self.is_tls13_draft() => 6,
            0x0304..=0x03ff => 7 + u32::from(self.0 & 0xff),
            _ => 0,
        }
    }

    /// Below TLS 1.2, the versions being switched off: SSL 2.0 and 3.0,
    /// TLS 1.0 and 1.1.
    pub fn is_legacy(self) -> bool {
        (1..Version::TLS12.rank()).contains(&self.rank())
    }

    /// A real protocol version (not GREASE or an unknown value).
    pub fn is_known(self) -> bool {
        self.rank() > 0
    }

    /// Parses `1.2`, `TLS1.2`, `tls 1.2`, `ssl3`, `SSL 3.0`, `0x0303`.
    pub fn parse(s: &str) -> Option<Version> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(hex) = t.strip_prefix("0x") {
            return u16::from_str_radix(hex, 16).ok().map(Version);
        }
        let (ssl, num) = if let Some(n) = t.strip_prefix("tls") {
            (false, n.strip_prefix('v').unwrap_or(n))
        } else if let Some(n) = t.strip_prefix("ssl") {
            (true, n.strip_prefix('v').unwrap_or(n))
        } else {
            (false, t.as_str())
        };
        Some(match (ssl, num) {
            (true, "2" | "2.0") => Version::SSL2,
            (true, "3" | "3.0") => Version::SSL3,
            (false, "1" | "1.0" | "10") => Version::TLS10,
            (false, "1.1" | "11") => Version::TLS11,
            (false, "1.2" | "12") => Version::TLS12,
            (false, "1.3" | "13") => Version::TLS13,
            _ => return None,
        })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank()).then(self.0.cmp(&other.0))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.pad(n),
            None => f.pad(&format!("0x{:04x}", self.0)),
        }
    }
}

/// As JSON: the name (`"TLS 1.2"`), or hex for values without one.
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(name) => s.serialize_str(name),
            None => s.collect_str(self),
        }
    }
}

/// The highest real version in `versions`, GREASE and unknown values ignored.
pub fn max_known(versions: impl IntoIterator<Item = Version>) -> Option<Version> {
    versions.into_iter().filter(|v| v.is_known()).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_is_never_the_max_version() {
        let offered = [
            Version(0x7a7a),
            Version::TLS13,
            Version::TLS12,
            Version(0xfafa),
        ];
        assert!(Version(0x7a7a).is_grease());
        assert!(!Version(0x0a1a).is_grease());
        assert_eq!(max_known(offered), Some(Version::TLS13));
        assert_eq!(max_known([Version(0x1a1a)]), None);
    }

    #[test]
    fn drafts_rank_between_tls12_and_tls13() {
        assert!(Version(0x7f10) > Version::TLS12);
        assert!(Version(0x7f10) < Version::TLS13);
        assert!(Version(0xfb1a) < Version::TLS13);
        assert!(Version::SSL2 < Version::SSL3);
        assert!(Version::SSL3 < Version::TLS10);
        assert!(Version(0x0305) > Version::TLS13);
    }

    #[test]
    fn names_and_hex() {
        assert_eq!(Version::TLS11.to_string(), "TLS 1.1");
        assert_eq!(Version(0x7f1c).to_string(), "0x7f1c");
        assert_eq!(Version::parse("1.2"), Some(Version::TLS12));
        assert_eq!(Version::parse("TLS1.0"), Some(Version::TLS10));
        assert_eq!(Version::parse("ssl3"), Some(Version::SSL3));
        assert_eq!(Version::parse("0x0302"), Some(Version::TLS11));
        assert_eq!(Version::parse("1.4"), None);
    }

    #[test]
    fn dtls_versions_rank_with_the_tls_they_follow() {
        assert!(Version::DTLS10.is_legacy() && Version::DTLS_OPENSSL_PRE.is_legacy());
        assert!(!Version::DTLS12.is_legacy() && !Version::DTLS13.is_legacy());
        assert!(Version::DTLS12 >= Version::TLS12 && Version::DTLS10 < Version::TLS12);
        assert!(Version::DTLS13 > Version::DTLS12 && Version::DTLS13 >= Version::TLS13);
        assert_eq!(Version::DTLS10.to_string(), "DTLS 1.0");
        assert_eq!(Version::DTLS_OPENSSL_PRE.to_string(), "DTLS 0x0100");
        assert_eq!(
            max_known([Version::DTLS12, Version::DTLS13]),
            Some(Version::DTLS13)
        );
    }

    #[test]
    fn legacy_means_below_tls12() {
        for v in [Version::SSL2, Version::SSL3, Version::TLS10, Version::TLS11] {
            assert!(v.is_legacy(), "{v}");
        }
        for v in [
            Version::TLS12,
            Version::TLS13,
            Version(0x7f10),
            Version(0x1234),
        ] {
            assert!(!v.is_legacy(), "{v}");
        }
    }
}
