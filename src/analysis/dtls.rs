//! One DTLS connection over UDP: records read per datagram, handshake
//! fragments put back together per direction ([`crate::datagram::dtls`]),
//! and the messages fed to the same [`Handshake`] as TCP's.
//!
//! The client is the side whose ClientHello comes first. A
//! HelloVerifyRequest makes the client send its ClientHello again with a
//! cookie: one connection, two hellos (`client_hellos: 2`). Epoch-0
//! records are in clear (hellos, the server's Certificate and key exchange
//! in DTLS ≤ 1.2, alerts, ChangeCipherSpec); a handshake record of a later
//! epoch is the encrypted Finished, and DTLS 1.3's ciphertext records
//! (unified header) count as encrypted data — so completion follows the
//! same rules as TLS's. Certificates are not read from DTLS yet.

use super::handshake::{Ending, Handshake};
use super::record::{ConnectionRecord, End, Outcome, TunnelSeen};
use crate::datagram::dtls::{
    ALERT, APPLICATION_DATA, CERTIFICATE, CHANGE_CIPHER_SPEC, HANDSHAKE, HELLO_VERIFY_REQUEST,
    Reassembly, client_hello_as_tls, fragments, records,
};
use crate::decode::tunnel::Tunnel;
use crate::flow::{FlowKey, Side};
use crate::time::Timestamp;
use crate::tls::certificate::{ChainReader, LeafCache};
use crate::tls::event::Event;
use crate::tls::hello::{parse_client_hello, parse_server_hello};
use crate::tls::version::Version;

/// What the record says about DTLS besides TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DtlsInfo {
    /// The record-layer version of the first ClientHello.
    pub record_version: Option<Version>,
    pub hello_verify_request: bool,
    /// Handshake messages put together from several fragments.
    pub reassembled: u16,
    /// Fragments seen again (retransmitted flights).
    pub repeated: u16,
    /// Fragments refused (past the message's length, over the bound).
    pub refused: u16,
    /// Datagrams with a record that did not parse.
    pub broken_datagrams: u16,
}

#[derive(Debug)]
pub struct DtlsTracker {
    handshake: Handshake,
    info: DtlsInfo,
    dirs: [Reassembly; 2],
    max_bytes: usize,
    packets: Option<(u64, u64)>,
    tunnel: TunnelSeen,
}

/// What one datagram changed.
#[derive(Clone, Copy, Debug, Default)]
pub struct DtlsStep {
    pub opened: Option<u64>,
    pub done: bool,
}

impl DtlsTracker {
    pub fn new(max_handshake_bytes: usize) -> DtlsTracker {
        DtlsTracker {
            handshake: Handshake::default(),
            info: DtlsInfo::default(),
            dirs: [Reassembly::default(), Reassembly::default()],
            max_bytes: max_handshake_bytes,
            packets: None,
            tunnel: TunnelSeen::default(),
        }
    }

    pub fn order(&self) -> Option<u64> {
        self.handshake.order()
    }

    pub fn on_datagram(
        &mut self,
        data: &[u8],
        tunnel: Option<&Tunnel>,
        side: Side,
        ts: Timestamp,
        index: u64,
    ) -> DtlsStep {
        let had_order = self.handshake.order().is_some();
        super::record::widen_span(&mut self.packets, index);
        self.tunnel.note(side, tunnel);
        for rec in records(data) {
            let Ok(rec) = rec else {
                self.info.broken_datagrams = self.info.broken_datagrams.saturating_add(1);
                break;
            };
            let apply = |h: &mut Handshake, e: Event| h.apply(e, side, ts, index);
            match (rec.kind, rec.epoch) {
                (HANDSHAKE, 0) => {
                    for f in fragments(rec.body) {
                        let Ok(f) = f else {
                            self.info.broken_datagrams =
                                self.info.broken_datagrams.saturating_add(1);
                            break;
                        };
                        let Some((kind, body)) = self.dirs[side.index()].push(&f, self.max_bytes)
                        else {
                            continue;
                        };
                        match kind {
                            1 => {
                                if let Some(ch) = client_hello_as_tls(&body).and_then(|(tls, _)| {
                                    parse_client_hello(&tls, rec.version.unwrap_or_default())
                                }) {
                                    self.info.record_version.get_or_insert(ch.record_version);
                                    apply(&mut self.handshake, Event::ClientHello(Box::new(ch)));
                                }
                            }
                            2 => {
                                if let Some(sh) = parse_server_hello(&body) {
                                    apply(&mut self.handshake, Event::ServerHello(Box::new(sh)));
                                }
                            }
                            HELLO_VERIFY_REQUEST => self.info.hello_verify_request = true,
                            CERTIFICATE => {
                                apply(&mut self.handshake, Event::Handshake(CERTIFICATE));
                                // A whole message: the same reader TCP's
                                // streamed chains go through.
                                let mut chain = ChainReader::new(self.max_bytes);
                                chain.push(&body);
                                let chain = Box::new(chain.finish(false));
                                apply(&mut self.handshake, Event::Certificate(chain));
                            }
                            other => apply(&mut self.handshake, Event::Handshake(other)),
                        }
                    }
                }
                (HANDSHAKE, _) => apply(&mut self.handshake, Event::EncryptedHandshake),
                (CHANGE_CIPHER_SPEC, _) => apply(&mut self.handshake, Event::ChangeCipherSpec),
                (ALERT, 0) => {
                    if let [level, description, ..] = *rec.body {
                        apply(&mut self.handshake, Event::Alert { level, description });
                    }
                }
                (ALERT, _) => apply(&mut self.handshake, Event::EncryptedAlert),
                (APPLICATION_DATA, _) => {
                    let len = u16::try_from(rec.body.len()).unwrap_or(u16::MAX);
                    apply(&mut self.handshake, Event::ApplicationData { len });
                }
                _ => {}
            }
        }
        let opened = if had_order {
            None
        } else {
            self.handshake.order()
        };
        DtlsStep {
            opened,
            done: self.handshake.is_settled(),
        }
    }

    pub fn finish(
        self,
        key: &FlowKey,
        end: End,
        certs: &mut LeafCache,
    ) -> Option<ConnectionRecord> {
        let mut info = self.info;
        for d in &self.dirs {
            info.reassembled = info.reassembled.saturating_add(d.reassembled);
            info.repeated = info.repeated.saturating_add(d.repeated);
            info.refused = info.refused.saturating_add(d.refused);
        }
        let client = self.handshake.client_side().unwrap_or(Side::Lo);
        let mut rec = self.handshake.finish(
            Ending::datagram([key.lo(), key.hi()], end, info.refused > 0),
            certs,
        )?;
        // The server answered, with a HelloVerifyRequest: not "no response"
        // even when no ClientHello returned its cookie.
        if rec.outcome == Outcome::NoResponse && info.hello_verify_request && rec.client_hellos < 2
        {
            rec.outcome = Outcome::Incomplete;
        }
        rec.packets = self.packets;
        rec.tunnel = self.tunnel.for_client(client);
        rec.dtls = Some(info);
        Some(rec)
    }
}
