//! Why a handshake failed, in words that say what the evidence shows.
//!
//! An alert names a symptom; the diagnosis needs the rest of the
//! connection. A server's `protocol_version` alert does not say which side
//! is too old: what the client offered does. A client that offered only
//! TLS 1.3 to a server that stops at TLS 1.2 asked for *more* than the
//! server supports; a client offering at most TLS 1.0 is below the server's
//! minimum; a client offering TLS 1.0 to TLS 1.3 to a server that refuses
//! them all has no version in common with it. What the server is seen
//! negotiating with other clients ([`ServerSeen`], known to the summary, not
//! to a single record) settles that last case. Likewise a
//! `handshake_failure` is "only legacy suites offered" when the ClientHello
//! says so, and a connection that ends after the ServerHello without an
//! alert says who closed it and after which message.

use std::fmt;

use super::record::{ConnectionRecord, End, Outcome, Role, Stage};
use crate::tls::alert;
use crate::tls::cipher::Classes;
use crate::tls::hello::ClientHello;
use crate::tls::version::Version;

/// The versions a client offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionOffer {
    /// The lowest entry of supported_versions; `None` without the
    /// extension (the client then offers legacy_version and, implicitly,
    /// what lies below it).
    pub lowest: Option<Version>,
    /// The highest version offered.
    pub highest: Version,
}

impl VersionOffer {
    pub fn of(ch: &ClientHello) -> VersionOffer {
        let lowest = ch
            .supported_versions
            .as_ref()
            .and_then(|v| v.iter().copied().filter(|v| v.is_known()).min());
        VersionOffer {
            lowest,
            highest: ch.max_version(),
        }
    }

    /// `only TLS 1.3`, `TLS 1.0 to TLS 1.3`, `at most TLS 1.0`.
    fn range(self) -> String {
        match self.lowest {
            Some(lo) if lo == self.highest => format!("only {lo}"),
            Some(lo) => format!("{lo} to {}", self.highest),
            None => format!("at most {}", self.highest),
        }
    }
}

/// What a server refusing every offered version means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionVerdict {
    /// The client's versions are all below what the server accepts.
    BelowMinimum,
    /// The client's versions are all above what the server supports.
    AboveMaximum,
    /// Neither is known: the two have no version in common.
    NoneInCommon,
}

/// The versions a server negotiated with the other clients of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSeen {
    pub lowest: Version,
    pub highest: Version,
}

impl ServerSeen {
    fn range(self) -> String {
        if self.lowest == self.highest {
            self.lowest.to_string()
        } else {
            format!("{} to {}", self.lowest, self.highest)
        }
    }
}

fn verdict(offer: VersionOffer, seen: Option<ServerSeen>) -> VersionVerdict {
    let Some(lowest) = offer.lowest else {
        // Without supported_versions the server picks the highest version
        // it supports up to legacy_version (RFC 5246 appendix E.1): refusing
        // means that version is below its minimum.
        return VersionVerdict::BelowMinimum;
    };
    if lowest > Version::TLS12 {
        return VersionVerdict::AboveMaximum;
    }
    if offer.highest < Version::TLS12 {
        return VersionVerdict::BelowMinimum;
    }
    match seen {
        Some(s) if s.highest < lowest => VersionVerdict::AboveMaximum,
        Some(s) if s.lowest > offer.highest => VersionVerdict::BelowMinimum,
        _ => VersionVerdict::NoneInCommon,
    }
}

/// What the rest of the connection says about an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertContext {
    None,
    /// A server's protocol_version: what the client offered.
    Versions(VersionOffer),
    /// A server's handshake_failure or insufficient_security to a client
    /// that offered only legacy suites (their classes).
    LegacySuitesOnly(Classes),
    /// A client's protocol_version after the server chose this version.
    ServerChose(Version),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Incomplete {
    CutBySnaplen,
    NoClientHello,
    /// SQL Server: the PRELOGIN exchange, then no TLS handshake (the client
    /// gave up, or the capture ended).
    NoHandshakeAfterPrelogin,
    Evicted,
    /// A direction could no longer be read before the handshake completed.
    Unreadable,
    /// The capture ended (or the flow went idle) after this step.
    Unfinished(Stage),
    /// Fiddler's session describes no ServerHello although the server sent
    /// bytes into the tunnel (an alert leaves no text in Fiddler).
    NoServerHelloLogged,
    /// DTLS: the server asked for a cookie (HelloVerifyRequest) and no
    /// ClientHello answered it.
    CookieNotReturned,
    Other,
}

/// Why a handshake failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureReason {
    /// A fatal cleartext alert.
    Alert {
        from: Role,
        description: u8,
        context: AlertContext,
    },
    /// A reset before the ServerHello.
    Reset {
        by: Option<Role>,
    },
    /// Closed or reset after the ServerHello, before the handshake
    /// completed, without a cleartext fatal alert before it.
    Aborted {
        by: Option<Role>,
        reset: bool,
        stage: Stage,
        /// The side that closed sent an encrypted alert first.
        encrypted_alert: bool,
    },
    NoResponse,
    Incomplete(Incomplete),
}

/// Client alerts that refuse the server's certificate (RFC 8446 §6.2).
fn is_certificate_alert(description: u8) -> bool {
    matches!(description, 42..=46 | 48)
}

impl FailureReason {
    /// The reason a record failed, `None` if it did not.
    pub fn of(rec: &ConnectionRecord) -> Option<FailureReason> {
        Some(match rec.outcome {
            // No TLS to fail: the SQL Server section reports these.
            Outcome::Established
            | Outcome::Unencrypted
            | Outcome::OneSided
            | Outcome::NotLogged
            | Outcome::Intercepted => return None,
            Outcome::Rejected => {
                let a = rec.decisive_alert()?;
                let ch = rec.client_hello.as_deref();
                let context = match (a.from, a.description) {
                    (Role::Server, alert::PROTOCOL_VERSION) => {
                        ch.map(|ch| AlertContext::Versions(VersionOffer::of(ch)))
                    }
                    (Role::Server, alert::HANDSHAKE_FAILURE | alert::INSUFFICIENT_SECURITY) => ch
                        .and_then(ClientHello::legacy_suites_only)
                        .map(AlertContext::LegacySuitesOnly),
                    (Role::Client, alert::PROTOCOL_VERSION) => {
                        rec.version().map(AlertContext::ServerChose)
                    }
                    _ => None,
                };
                FailureReason::Alert {
                    from: a.from,
                    description: a.description,
                    context: context.unwrap_or(AlertContext::None),
                }
            }
            Outcome::Reset => FailureReason::Reset { by: rec.reset_by },
            Outcome::Aborted => FailureReason::Aborted {
                by: rec.closed_by,
                reset: rec.closed_with_reset,
                stage: rec.stage,
                encrypted_alert: rec.encrypted_alert_by.is_some()
                    && rec.encrypted_alert_by == rec.closed_by,
            },
            Outcome::NoResponse => FailureReason::NoResponse,
            Outcome::Incomplete => FailureReason::Incomplete(if rec.cut_by_snaplen {
                Incomplete::CutBySnaplen
            } else if rec.client_hello.is_none() && rec.server_hello.is_none() && rec.tds.is_some()
            {
                Incomplete::NoHandshakeAfterPrelogin
            } else if rec.client_hello.is_none() {
                Incomplete::NoClientHello
            } else if rec.fiddler.is_some() && rec.server_hello.is_none() {
                Incomplete::NoServerHelloLogged
            } else if rec.server_hello.is_none()
                && rec.client_hellos < 2
                && rec.dtls.as_ref().is_some_and(|d| d.hello_verify_request)
            {
                Incomplete::CookieNotReturned
            } else if rec.end == End::Evicted {
                Incomplete::Evicted
            } else if rec.unreadable {
                Incomplete::Unreadable
            } else if rec.server_hello.is_some() {
                Incomplete::Unfinished(rec.stage)
            } else {
                Incomplete::Other
            }),
        })
    }

    /// The reason in words; `seen` (what the server negotiates with other
    /// clients) sharpens a version refusal.
    pub fn describe(&self, seen: Option<ServerSeen>) -> String {
        match *self {
            FailureReason::Alert {
                from,
                description,
                context,
            } => {
                let why = alert_words(from, description, context, seen);
                format!(
                    "{why} ({} alert {})",
                    from.as_str(),
                    alert::description_label(description)
                )
            }
            FailureReason::Reset { by } => match by {
                Some(r) => format!("reset by the {} before ServerHello", r.as_str()),
                None => "reset before ServerHello".into(),
            },
            FailureReason::Aborted {
                by,
                reset,
                stage,
                encrypted_alert,
            } => {
                let who = by.map_or("one side", Role::as_str);
                let what = if encrypted_alert {
                    format!(
                        "aborted: the {who} sent an encrypted alert after {} and closed the connection",
                        stage.phrase()
                    )
                } else if reset {
                    format!("aborted: reset by the {who} after {}", stage.phrase())
                } else {
                    format!(
                        "aborted: the {who} closed the connection after {}, without an alert",
                        stage.phrase()
                    )
                };
                if by == Some(Role::Client) && stage.after_server_certificate() {
                    format!("{what} (maybe it does not trust the server's certificate)")
                } else {
                    what
                }
            }
            FailureReason::NoResponse => "no response to ClientHello".into(),
            FailureReason::Incomplete(why) => match why {
                Incomplete::CutBySnaplen => {
                    "incomplete: handshake cut by the capture's snaplen".into()
                }
                Incomplete::NoClientHello => {
                    "incomplete: capture began after the ClientHello".into()
                }
                Incomplete::NoHandshakeAfterPrelogin => {
                    "incomplete: a SQL Server PRELOGIN exchange, then no TLS handshake".into()
                }
                Incomplete::Evicted => "incomplete: flow evicted (flow table full)".into(),
                Incomplete::Unreadable => "incomplete: the handshake could not be followed to \
                    its end (records lost from the capture, or past --max-handshake-bytes)"
                    .into(),
                Incomplete::Unfinished(stage) => format!(
                    "incomplete: the capture or --idle-timeout ended the flow after {}",
                    stage.phrase()
                ),
                Incomplete::NoServerHelloLogged => "incomplete: the server answered, but Fiddler \
                    described no ServerHello (a server alert leaves no text in Fiddler: often a \
                    refused version or cipher)"
                    .into(),
                Incomplete::CookieNotReturned => "incomplete: the server asked for a cookie \
                    (DTLS HelloVerifyRequest) and the client repeated its ClientHello without it"
                    .into(),
                Incomplete::Other => "incomplete".into(),
            },
        }
    }
}

fn alert_words(
    from: Role,
    description: u8,
    context: AlertContext,
    seen: Option<ServerSeen>,
) -> String {
    let seen_with_others = |s: Option<ServerSeen>| {
        s.map_or_else(String::new, |s| {
            format!("; the server negotiates {} with other clients", s.range())
        })
    };
    match (from, description, context) {
        (Role::Server, alert::PROTOCOL_VERSION, AlertContext::Versions(offer)) => {
            let what = match verdict(offer, seen) {
                VersionVerdict::BelowMinimum => "rejected: below the server's minimum TLS version",
                VersionVerdict::AboveMaximum => {
                    "rejected: the client asked for more than the server supports"
                }
                VersionVerdict::NoneInCommon => "rejected: no TLS version in common",
            };
            let who = if what.contains("the client") {
                "it"
            } else {
                "the client"
            };
            format!(
                "{what} — {who} offered {}{}",
                offer.range(),
                seen_with_others(seen)
            )
        }
        (Role::Server, alert::PROTOCOL_VERSION, _) => {
            "rejected: the server refused the client's TLS version".into()
        }
        (Role::Server, alert::INAPPROPRIATE_FALLBACK, _) => "rejected: fallback refused \
            (TLS_FALLBACK_SCSV, the server supports a higher version)"
            .into(),
        (Role::Server, alert::HANDSHAKE_FAILURE, AlertContext::LegacySuitesOnly(c)) => format!(
            "rejected: no cipher suite in common — the client offered only legacy suites ({})",
            c.labels().collect::<Vec<_>>().join(", ")
        ),
        (Role::Server, alert::HANDSHAKE_FAILURE, _) => {
            "rejected: no cipher suite or parameters in common".into()
        }
        (Role::Server, alert::INSUFFICIENT_SECURITY, AlertContext::LegacySuitesOnly(c)) => {
            format!(
                "rejected: the client offered only legacy suites ({}), too weak for the server",
                c.labels().collect::<Vec<_>>().join(", ")
            )
        }
        (Role::Server, alert::INSUFFICIENT_SECURITY, _) => {
            "rejected: the client's cipher suites are too weak for the server".into()
        }
        (Role::Server, _, _) => "rejected by the server".into(),
        (Role::Client, alert::PROTOCOL_VERSION, AlertContext::ServerChose(v)) => {
            format!(
                "rejected by the client: the server chose {v}, which the client does not accept"
            )
        }
        (Role::Client, alert::PROTOCOL_VERSION, _) => {
            "rejected by the client: it does not accept the server's version".into()
        }
        (Role::Client, d, _) if is_certificate_alert(d) => {
            "rejected by the client: it does not accept the server's certificate".into()
        }
        (Role::Client, _, _) => "rejected by the client".into(),
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(lowest: Option<Version>, highest: Version) -> VersionOffer {
        VersionOffer { lowest, highest }
    }

    #[test]
    fn a_protocol_version_alert_is_explained_by_the_offer() {
        use Version as V;
        let only13 = offer(Some(V::TLS13), V::TLS13);
        assert_eq!(verdict(only13, None), VersionVerdict::AboveMaximum);
        let legacy = offer(None, V::TLS10);
        assert_eq!(verdict(legacy, None), VersionVerdict::BelowMinimum);
        let range = offer(Some(V::TLS12), V::TLS13);
        assert_eq!(verdict(range, None), VersionVerdict::NoneInCommon);
        // What the server does with others settles the middle case.
        let seen = |lo, hi| {
            Some(ServerSeen {
                lowest: lo,
                highest: hi,
            })
        };
        assert_eq!(
            verdict(range, seen(V::TLS10, V::TLS11)),
            VersionVerdict::AboveMaximum
        );
        let old = offer(Some(V::TLS10), V::TLS12);
        assert_eq!(
            verdict(old, seen(V::TLS13, V::TLS13)),
            VersionVerdict::BelowMinimum
        );
        assert_eq!(
            verdict(old, seen(V::TLS12, V::TLS13)),
            VersionVerdict::NoneInCommon
        );
    }
}
