//! SQL Server connections: the TDS facts of both directions, what followed
//! the login, and the SQL Server symptom a failed connection shows.
//!
//! The framing (`encap::tds`) reads each direction's PRELOGIN option list and
//! its first cleartext message; the [`LoginWatch`] follows, after the TLS
//! handshake (or without one), who sent what until the login was answered
//! and the client went on — or the server closed. That is what tells an
//! Azure SQL Managed Instance that accepts a TLS 1.0 handshake and then
//! ends the connection after the LOGIN7 (its *Minimal TLS Version* at work:
//! login error 18456 state 171) from a login that worked. [`Symptom`] names
//! such patterns in the words a database administrator searches for.

use super::record::{ConnectionRecord, Outcome, Role, Stage};
use crate::encap::tds::{Clear, Desync, Facts, Negotiated, Prelogin, TdsVersion};
use crate::tls::alert;
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// The ALPN protocol of TDS 8.0 ("strict" encryption).
pub const ALPN_TDS8: &[u8] = b"tds/8.0";

/// How the login went, as far as the wire shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AfterLogin {
    /// The server answered and the client went on: the login worked (or
    /// the client tried something else on the same connection).
    Continued,
    /// The server closed (FIN) or reset the connection after the client's
    /// login, having answered it first or not.
    ClosedByServer { answered: bool, reset: bool },
    /// The client closed after its login, having had an answer or not.
    ClosedByClient { answered: bool },
}

impl AfterLogin {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterLogin::Continued => "continued",
            AfterLogin::ClosedByServer { .. } => "closed_by_server",
            AfterLogin::ClosedByClient { .. } => "closed_by_client",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Watch {
    /// No login yet.
    #[default]
    Waiting,
    /// The client sent its login (a LOGIN7 in clear, or its first data
    /// after the TLS handshake).
    Sent,
    /// The server answered it.
    Answered,
    Over(AfterLogin),
}

/// Follows a TDS connection from the login to its answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoginWatch {
    state: Watch,
}

impl LoginWatch {
    /// Data from one side after the TLS handshake completed, or a cleartext
    /// TDS message after PRELOGIN.
    pub fn data(&mut self, from_client: bool) {
        self.state = match (self.state, from_client) {
            (Watch::Waiting, true) => Watch::Sent,
            (Watch::Sent, false) => Watch::Answered,
            (Watch::Answered, true) => Watch::Over(AfterLogin::Continued),
            (s, _) => s,
        };
    }

    /// One side closed (FIN) or reset the connection.
    pub fn closed(&mut self, by_client: bool, reset: bool) {
        let answered = self.state == Watch::Answered;
        if matches!(self.state, Watch::Sent | Watch::Answered) {
            self.state = Watch::Over(if by_client {
                AfterLogin::ClosedByClient { answered }
            } else {
                AfterLogin::ClosedByServer { answered, reset }
            });
        }
    }

    /// Nothing more to learn.
    pub fn is_over(&self) -> bool {
        matches!(self.state, Watch::Over(_))
    }

    /// The client sent its login.
    pub fn login_sent(&self) -> bool {
        self.state != Watch::Waiting
    }

    pub fn result(&self) -> Option<AfterLogin> {
        match self.state {
            Watch::Over(a) => Some(a),
            _ => None,
        }
    }
}

/// How the LOGIN7 travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    /// In clear: user name and password readable on the wire.
    Clear,
    /// Inside TLS.
    Encrypted,
}

impl Login {
    pub fn as_str(self) -> &'static str {
        match self {
            Login::Clear => "clear",
            Login::Encrypted => "encrypted",
        }
    }
}

/// The TDS facts of one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TdsInfo {
    /// TDS 8.0: TLS first on the stream, ALPN `tds/8.0`.
    pub strict: bool,
    pub client: Option<Prelogin>,
    pub server: Option<Prelogin>,
    /// The TLS handshake travelled inside PRELOGIN packets.
    pub tls_in_tds: bool,
    pub login: Option<Login>,
    /// The TDS version the cleartext LOGIN7 asked for, or the cleartext
    /// LOGINACK granted.
    pub tds_version: Option<TdsVersion>,
    /// A cleartext ERROR answering the login: number and state.
    pub login_error: Option<(u32, u8)>,
    pub after_login: Option<AfterLogin>,
    pub desync: Option<Desync>,
}

impl TdsInfo {
    /// Puts together the framing facts of the client's and the server's
    /// direction and the login watch.
    pub fn of(client: Option<&Facts>, server: Option<&Facts>, watch: &LoginWatch) -> TdsInfo {
        let mut info = TdsInfo {
            client: client.map(|f| f.prelogin),
            server: server.map(|f| f.prelogin),
            tls_in_tds: [client, server].iter().flatten().any(|f| f.tls_packets > 0),
            after_login: watch.result(),
            desync: client
                .and_then(|f| f.desync)
                .or(server.and_then(|f| f.desync)),
            ..TdsInfo::default()
        };
        match client.and_then(|f| f.clear) {
            Some(Clear::Login { tds_version }) => {
                info.login = Some(Login::Clear);
                info.tds_version = tds_version;
            }
            _ if watch.login_sent() => info.login = Some(Login::Encrypted),
            _ => {}
        }
        match server.and_then(|f| f.clear) {
            Some(Clear::LoginAck { tds_version }) => {
                info.tds_version.get_or_insert(tds_version);
            }
            Some(Clear::LoginError { number, state }) => info.login_error = Some((number, state)),
            _ => {}
        }
        info
    }

    /// What the two ENCRYPTION options amount to.
    pub fn encryption(&self) -> Option<Negotiated> {
        if self.strict {
            return Some(Negotiated::Full);
        }
        match (self.client?.encryption, self.server?.encryption) {
            (Some(c), Some(s)) => Some(Negotiated::of(c, s)),
            _ => None,
        }
    }
}

/// A SQL Server symptom a connection shows, named as a database
/// administrator would search for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symptom {
    /// The server refused the client's TLS version inside TDS: the client
    /// is below the server's Minimal TLS Version.
    BelowMinimalTlsVersion { offered: Version },
    /// A legacy TLS session, the login, then the connection ended without
    /// the client going on: what an Azure SQL Managed Instance with a
    /// higher Minimal TLS Version does (it answers the login with error
    /// 18456 state 171, or closes).
    ClosedAfterLegacyLogin { version: Version },
    /// A reset after a TLS_DHE key exchange: the DHE leading-zero problem.
    ResetAfterDhe { cipher: CipherSuite },
    /// The login went in clear (no TLS at all).
    CleartextLogin,
    /// One side requires encryption the other does not support.
    EncryptionRefused,
    /// A cleartext login error.
    LoginFailed { number: u32, state: u8 },
}

impl Symptom {
    /// The symptom of a TDS connection, if it shows one.
    pub fn of(rec: &ConnectionRecord) -> Option<Symptom> {
        let tds = rec.tds.as_deref()?;
        let offered = rec.max_offered();
        let version = rec.version();
        if rec.outcome == Outcome::Rejected {
            if let (Some(a), Some(offered)) = (rec.decisive_alert(), offered) {
                if a.from == Role::Server
                    && a.description == alert::PROTOCOL_VERSION
                    && offered.is_known()
                    && offered < Version::TLS12
                {
                    return Some(Symptom::BelowMinimalTlsVersion { offered });
                }
            }
        }
        let ended = matches!(
            tds.after_login,
            Some(AfterLogin::ClosedByServer { .. } | AfterLogin::ClosedByClient { answered: true })
        );
        if let (Some(v), true) = (version, ended) {
            if v.is_known() && v < Version::TLS12 {
                return Some(Symptom::ClosedAfterLegacyLogin { version: v });
            }
        }
        if let Some(cipher) = rec.cipher {
            let dhe = cipher.name().is_some_and(|n| n.starts_with("TLS_DHE_"));
            let after_kx = rec.stage >= Stage::ClientKeyExchange && rec.stage < Stage::Complete;
            if dhe && rec.outcome == Outcome::Aborted && rec.closed_with_reset && after_kx {
                return Some(Symptom::ResetAfterDhe { cipher });
            }
        }
        if let Some((number, state)) = tds.login_error {
            return Some(Symptom::LoginFailed { number, state });
        }
        match tds.encryption() {
            Some(Negotiated::Refused) if rec.client_hello.is_none() => {
                Some(Symptom::EncryptionRefused)
            }
            _ if tds.login == Some(Login::Clear) => Some(Symptom::CleartextLogin),
            _ => None,
        }
    }

    /// A stable name for scripts.
    pub fn key(self) -> &'static str {
        match self {
            Symptom::BelowMinimalTlsVersion { .. } => "below_minimal_tls_version",
            Symptom::ClosedAfterLegacyLogin { .. } => "closed_after_legacy_login",
            Symptom::ResetAfterDhe { .. } => "reset_after_dhe",
            Symptom::CleartextLogin => "cleartext_login",
            Symptom::EncryptionRefused => "encryption_refused",
            Symptom::LoginFailed { .. } => "login_failed",
        }
    }

    /// What it means, and what to do.
    pub fn describe(self) -> String {
        match self {
            Symptom::BelowMinimalTlsVersion { offered } => format!(
                "client offered at most {offered}, below the server's Minimal TLS Version \
                 (Azure SQL reports this as login error 18456 state 171, or 47072): \
                 enable TLS 1.2 in the client's driver or OS"
            ),
            Symptom::ClosedAfterLegacyLogin { version } => format!(
                "{version} session, then the connection ended right after the login \
                 (what Azure SQL Managed Instance does below its Minimal TLS Version: \
                 login error 18456 state 171): enable TLS 1.2 in the client"
            ),
            Symptom::ResetAfterDhe { cipher } => format!(
                "reset after the {cipher} key exchange: the TLS_DHE leading-zero problem \
                 (\"An existing connection was forcibly closed by the remote host\"); \
                 patch both Windows ends or move TLS_DHE suites below ECDHE"
            ),
            Symptom::CleartextLogin => {
                "login in clear: encryption off or not supported, the password readable \
                 on the wire: set Encrypt=yes (or strict) in the client"
                    .into()
            }
            Symptom::EncryptionRefused => {
                "one side requires encryption the other does not support: the connection \
                 ended before the login"
                    .into()
            }
            Symptom::LoginFailed { number, state } => {
                format!("login failed: error {number} state {state}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_answered_then_closed_by_the_server() {
        let mut w = LoginWatch::default();
        w.data(false); // NewSessionTicket before the login: not an answer
        w.data(true);
        w.data(true);
        w.data(false);
        assert!(!w.is_over());
        w.closed(false, false);
        assert_eq!(
            w.result(),
            Some(AfterLogin::ClosedByServer {
                answered: true,
                reset: false
            })
        );
    }

    #[test]
    fn a_login_that_worked_goes_on() {
        let mut w = LoginWatch::default();
        for from_client in [true, false, true] {
            w.data(from_client);
        }
        assert_eq!(w.result(), Some(AfterLogin::Continued));
        w.closed(false, true);
        assert_eq!(w.result(), Some(AfterLogin::Continued));
    }

    #[test]
    fn a_close_before_the_login_says_nothing_about_it() {
        let mut w = LoginWatch::default();
        w.closed(false, false);
        assert_eq!((w.result(), w.login_sent()), (None, false));
    }
}
