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
pub mod capture;
pub mod cli;
pub mod decode;
pub mod error;
pub mod flow;
pub mod pipeline;
pub mod report;
pub mod time;
pub mod tls;
