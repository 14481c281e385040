//! tlssniff: a passive TLS version analyzer.
//!
//! ```text
//!  capture ──Packet──> decode ──Segment──> flow ──bytes──> tls ──Event──> analysis ──> report
//!  (pcap, pcapng,      (link, IP,          (FlowTable,     (Scanner:      (Tracker →        (table, jsonl,
//!   gz/zst, stdin)      TCP; skips          Reassembler)    records,       ConnectionRecord; csv, summary-json)
//!                       counted)                            hellos,        Reorder; Summary)
//!                                                           alerts)
//! ```
//!
//! Module map, in pipeline order (a module depends only on those before it):
//! [`time`] capture time; [`capture`] packet sources; [`decode`] link/IP/TCP;
//! [`flow`] flow keys, the bounded flow table, reassembly; [`tls`] versions,
//! cipher suites, the record scanner, hello parsing; [`analysis`] per
//! connection tracking, output order, the summary; [`report`] the output
//! formats; [`pipeline`] wires them; [`cli`] turns arguments into a
//! [`pipeline::Config`].

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
