//! tlssniff: a passive TLS version analyzer.
//!
//! ```text
//!  capture ─Packet─> decode ─Segment─> flow ─bytes─> encap ─TLS bytes─> tls ─Event─> analysis ──> report
//!  (pcap, pcapng,    (link, IP, TCP;   (FlowTable,   (where TLS is:    (record layer,  (tcp: TCP     (model →
//!   gz/zst, stdin,    skips counted)    Reassembler)  first byte, or    handshake       lifecycle;    table, jsonl,
//!   libpcap)                                          after a preamble) messages,      handshake:    csv, summary-
//!                                                                       hellos)        TLS state     json, ecs)
//!                                                                                      machine →
//!                                                                                      record; order,
//!                                                                                      fallback,
//!                                                                                      aggregate)
//! ```
//!
//! Module map, in dependency order (a module depends only on those before
//! it): [`time`] capture time and [`text`] names from the wire; [`capture`]
//! packet sources; [`decode`] link/IP/TCP; [`flow`] flow keys, the bounded
//! flow table, reassembly; [`tls`] versions, cipher suites, the record
//! layer, handshake-message reassembly, hello parsing — pure parsers;
//! [`encap`] where the TLS stream is inside a TCP stream (it uses the record
//! shapes of `tls`; in the data flow it sits between `flow` and `tls`);
//! [`analysis`] the TCP side of a connection, the TLS handshake state
//! machine (which knows nothing of TCP, so datagram transports can feed it),
//! the connection record and its failure reasons, output order, fallback
//! retries, the summary; [`report`] the typed report model and the output
//! formats, each escaping what it prints; [`config`] a validated run
//! configuration; [`pipeline`] wires the stages to threads; [`cli`] turns
//! arguments into a [`config::Config`]; [`error`] what stops a run.

pub mod analysis;
// The stages that read bytes chosen by strangers may not panic on them:
// no unwrap, no expect, no slice indexing (tests excepted).
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod capture;
pub mod cli;
pub mod config;
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod datagram;
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod decode;
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod encap;
pub mod error;
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod flow;
pub mod pipeline;
pub mod report;
pub mod text;
pub mod time;
#[cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
pub mod tls;
