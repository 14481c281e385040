//! Readiness for a policy: which clients break, which are held back by a
//! server, which are ready — the administrator's answer before a minimum
//! TLS version is enforced.
//!
//! A [`Policy`] is a minimum version and cipher classes it denies (the
//! default, TLS 1.2 and no 3DES nor another weak suite — RC4, NULL, EXPORT,
//! anonymous, DES — is what Microsoft Entra enforces). Each
//! connection is put in one [`Class`] by what its ClientHello offered and
//! what was negotiated: the client cannot meet the policy (it offered no
//! version at or above the minimum, or only denied suites), the server held
//! it back (the client offered a policy-meeting handshake and the server
//! chose a lower version or a denied suite), it meets the policy, or there
//! is no ClientHello to judge. A client's and a server's [`Verdict`] follow
//! from the counts of their connections' classes.

use std::fmt::Write as _;

use super::record::{ConnectionRecord, Outcome, Role};
use crate::tls::alert;
use crate::tls::cipher::{CipherSuite, Classes};
use crate::tls::suites;
use crate::tls::version::Version;

/// What a policy requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub min_version: Version,
    /// Cipher classes (`tls::suites` bits) a connection may not use.
    pub deny: Classes,
}

/// The weak classes: 3DES, RC4, NULL, EXPORT, anonymous, DES.
pub const WEAK: Classes = Classes(
    suites::THREE_DES
        | suites::RC4
        | suites::NULL_CIPHER
        | suites::EXPORT
        | suites::ANONYMOUS
        | suites::DES,
);

impl Default for Policy {
    /// TLS 1.2 and no 3DES nor another weak suite: what Microsoft Entra ID
    /// enforces (and what no current TLS 1.2 server offers anyway).
    fn default() -> Policy {
        Policy {
            min_version: Version::TLS12,
            deny: WEAK,
        }
    }
}

impl Policy {
    /// A named preset (see `Preset`).
    pub fn preset(p: Preset) -> Policy {
        match p {
            Preset::Entra => Policy::default(),
            // Both settings name a version and nothing else.
            Preset::AzureStorage | Preset::AzureSql => Policy {
                min_version: Version::TLS12,
                deny: Classes(0),
            },
        }
    }

    /// The default policy with another minimum version.
    pub fn with_min(min_version: Version) -> Policy {
        Policy {
            min_version,
            ..Policy::default()
        }
    }

    fn allows_suite(&self, c: CipherSuite) -> bool {
        c.classes().0 & self.deny.0 == 0
    }

    /// `TLS ≥ 1.2, no 3DES or other weak suites`.
    pub fn describe(&self) -> String {
        let min = self.min_version.to_string();
        let mut s = match min.strip_prefix("TLS ") {
            Some(number) => format!("TLS ≥ {number}"),
            None => format!("≥ {min}"),
        };
        let mut rest = self.deny;
        if rest.0 & WEAK.0 == WEAK.0 {
            s.push_str(", no 3DES or other weak suites");
            rest = Classes(rest.0 & !WEAK.0);
        }
        for label in rest.labels() {
            let _ = write!(s, ", no {label}");
        }
        s
    }

    /// The denied classes' names.
    pub fn denied(&self) -> Vec<&'static str> {
        self.deny.labels().collect()
    }
}

/// The services whose setting a policy can mirror.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// Microsoft Entra ID: TLS 1.2 or later, no 3DES (TLS 1.0/1.1 and 3DES
    /// retired), and so no other weak suite.
    Entra,
    /// Azure Storage `minimumTlsVersion: TLS1_2`: the version only.
    AzureStorage,
    /// Azure SQL Database / Managed Instance "Minimal TLS Version" 1.2: the
    /// version only.
    AzureSql,
}

/// A cipher class a policy can deny (`--deny-cipher`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DenyClass {
    #[value(name = "3des")]
    TripleDes,
    Rc4,
    Null,
    Export,
    Anon,
    Des,
    Cbc,
    /// All of 3des, rc4, null, export, anon, des.
    Weak,
}

impl DenyClass {
    pub fn classes(self) -> Classes {
        Classes(match self {
            DenyClass::TripleDes => suites::THREE_DES,
            DenyClass::Rc4 => suites::RC4,
            DenyClass::Null => suites::NULL_CIPHER,
            DenyClass::Export => suites::EXPORT,
            DenyClass::Anon => suites::ANONYMOUS,
            DenyClass::Des => suites::DES,
            DenyClass::Cbc => suites::CBC,
            DenyClass::Weak => WEAK.0,
        })
    }
}

/// Where one connection stands against a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// It offered a policy-meeting handshake and (if anything was
    /// negotiated) got one.
    Meets,
    /// The client offered no version at or above the minimum, or only
    /// denied suites: it breaks when the policy is enforced.
    ClientCannot,
    /// The client offered a policy-meeting handshake; the server chose a
    /// lower version or a denied suite.
    HeldBack,
    /// No ClientHello to judge (the capture joined late).
    Unknown,
}

impl Class {
    pub fn of(rec: &ConnectionRecord, policy: &Policy) -> Class {
        let Some(ch) = rec.client_hello.as_deref() else {
            return Class::Unknown;
        };
        let version_ok = |v: Version| v.is_known() && v >= policy.min_version;
        let suite_offered = ch
            .cipher_suites
            .iter()
            .any(|&c| !c.is_grease() && !c.classes().scsv() && policy.allows_suite(c));
        if !version_ok(ch.max_version()) || !suite_offered {
            return Class::ClientCannot;
        }
        let negotiated_ok = rec.version().is_none_or(version_ok)
            && rec.cipher.is_none_or(|c| policy.allows_suite(c));
        if negotiated_ok {
            Class::Meets
        } else {
            Class::HeldBack
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Meets => "meets",
            Class::ClientCannot => "client_cannot",
            Class::HeldBack => "held_back",
            Class::Unknown => "unknown",
        }
    }
}

/// A server refused this connection for its version or suites: a
/// protocol_version, handshake_failure or insufficient_security alert.
pub fn refused_by_server(rec: &ConnectionRecord) -> bool {
    rec.outcome == Outcome::Rejected
        && rec.decisive_alert().is_some_and(|a| {
            a.from == Role::Server
                && matches!(
                    a.description,
                    alert::PROTOCOL_VERSION
                        | alert::HANDSHAKE_FAILURE
                        | alert::INSUFFICIENT_SECURITY
                )
        })
}

/// A client's or a server's connections by class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub meets: u64,
    pub client_cannot: u64,
    pub held_back: u64,
    pub unknown: u64,
    /// Server side: connections negotiated below the policy.
    pub negotiated_below: u64,
    /// Server side: offers below the policy that it refused.
    pub refused_below: u64,
}

impl Tally {
    pub fn add(&mut self, class: Class, rec: &ConnectionRecord) {
        match class {
            Class::Meets => self.meets += 1,
            Class::ClientCannot => self.client_cannot += 1,
            Class::HeldBack => self.held_back += 1,
            Class::Unknown => self.unknown += 1,
        }
        let negotiated = rec.version().is_some();
        if matches!(class, Class::ClientCannot | Class::HeldBack) && negotiated {
            self.negotiated_below += 1;
        }
        if class == Class::ClientCannot && refused_by_server(rec) {
            self.refused_below += 1;
        }
    }

    /// The verdict on a client with these connections.
    pub fn client_verdict(&self) -> Verdict {
        let can = self.meets + self.held_back;
        match (self.client_cannot > 0, can > 0) {
            (true, false) => Verdict::WillBreak,
            (true, true) => Verdict::Mixed,
            (false, _) if self.held_back > 0 => Verdict::HeldBack,
            (false, true) => Verdict::Ready,
            (false, false) => Verdict::Unknown,
        }
    }

    /// The verdict on a server with these connections.
    pub fn server_verdict(&self) -> Verdict {
        if self.held_back > 0 && self.meets == 0 {
            Verdict::LegacyOnly
        } else if self.negotiated_below > 0 {
            Verdict::AcceptsLegacy
        } else if self.refused_below > 0 {
            Verdict::Enforces
        } else if self.meets > 0 {
            Verdict::Ready
        } else {
            Verdict::Unknown
        }
    }
}

/// A client's or a server's readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Client: no connection offered a policy-meeting handshake.
    WillBreak,
    /// Client: some connections offered one, some did not (two
    /// applications or two TLS stacks on one host).
    Mixed,
    /// Client: it offered policy-meeting handshakes, some server chose
    /// lower.
    HeldBack,
    /// Server: clients offered the policy, it never negotiated it.
    LegacyOnly,
    /// Server: negotiated below the policy with someone.
    AcceptsLegacy,
    /// Server: refused offers below the policy, negotiated nothing below.
    Enforces,
    /// Every connection meets the policy.
    Ready,
    /// Nothing to judge by.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WillBreak => "will_break",
            Verdict::Mixed => "mixed",
            Verdict::HeldBack => "held_back",
            Verdict::LegacyOnly => "legacy_only",
            Verdict::AcceptsLegacy => "accepts_legacy",
            Verdict::Enforces => "enforces",
            Verdict::Ready => "ready",
            Verdict::Unknown => "unknown",
        }
    }

    /// `will break`, `held back by server`, ...
    pub fn label(self) -> &'static str {
        match self {
            Verdict::WillBreak => "will break",
            Verdict::Mixed => "mixed",
            Verdict::HeldBack => "held back by server",
            Verdict::LegacyOnly => "legacy only",
            Verdict::AcceptsLegacy => "accepts legacy",
            Verdict::Enforces => "enforces",
            Verdict::Ready => "ready",
            Verdict::Unknown => "unknown",
        }
    }

    /// The label for `n` servers (`2 accept legacy`).
    pub fn label_for(self, n: u64) -> &'static str {
        match (self, n) {
            (Verdict::AcceptsLegacy, 1) | (Verdict::Enforces, 1) => self.label(),
            (Verdict::AcceptsLegacy, _) => "accept legacy",
            (Verdict::Enforces, _) => "enforce",
            _ => self.label(),
        }
    }

    pub const CLIENT: [Verdict; 5] = [
        Verdict::WillBreak,
        Verdict::Mixed,
        Verdict::HeldBack,
        Verdict::Ready,
        Verdict::Unknown,
    ];
    pub const SERVER: [Verdict; 5] = [
        Verdict::LegacyOnly,
        Verdict::AcceptsLegacy,
        Verdict::Enforces,
        Verdict::Ready,
        Verdict::Unknown,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(meets: u64, client_cannot: u64, held_back: u64) -> Tally {
        Tally {
            meets,
            client_cannot,
            held_back,
            ..Tally::default()
        }
    }

    #[test]
    fn client_verdicts() {
        assert_eq!(tally(0, 3, 0).client_verdict(), Verdict::WillBreak);
        assert_eq!(tally(1, 3, 0).client_verdict(), Verdict::Mixed);
        assert_eq!(tally(0, 1, 2).client_verdict(), Verdict::Mixed);
        assert_eq!(tally(4, 0, 1).client_verdict(), Verdict::HeldBack);
        assert_eq!(tally(4, 0, 0).client_verdict(), Verdict::Ready);
        assert_eq!(tally(0, 0, 0).client_verdict(), Verdict::Unknown);
    }

    #[test]
    fn the_default_policy_reads_as_entras() {
        assert_eq!(
            Policy::default().describe(),
            "TLS ≥ 1.2, no 3DES or other weak suites"
        );
        assert_eq!(
            Policy::with_min(Version::TLS13).describe(),
            "TLS ≥ 1.3, no 3DES or other weak suites"
        );
        assert_eq!(
            Policy::default().denied(),
            ["3DES", "RC4", "NULL", "EXPORT", "ANON", "DES"]
        );
    }
}
