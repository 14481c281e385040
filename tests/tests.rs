//! tlssniff's integration tests: one binary, one module per concern.
//!
//! - `certificates`: server certificates on real handshakes — facts and
//!   findings at capture time, the Certificates section, a chain longer
//!   than the byte cap, hostile names inside a certificate.
//! - `dtls`: DTLS on real OpenSSL traffic (HelloVerifyRequest, fragments
//!   over a small MTU, DTLS 1.0's verdict) and hostile variants.
//! - `ecs`: `--format ecs` documents of every fixture against ECS's own
//!   field definitions (names, types, lists, allowed values), and against
//!   the jsonl records of the same connections.
//! - `evidence`: `-w`/`--write-legacy` write the listed handshakes' packets;
//!   read again, the file gives the same records, for every `--threads`.
//! - `explanations`: every outcome and failure reason on real connections
//!   (and captures derived from them), in jsonl, csv, table and summary-json.
//! - `failures`: a reader that leaves ends the run quietly (status 0); a
//!   panic in any thread is a one-line internal error (status 3).
//! - `fiddler`: Fiddler session archives made from real handshakes: the
//!   text gives what the packets give, decryption kept apart, hostile and
//!   broken archives.
//! - `fingerprints`: the "Client software" view — connections grouped by
//!   JA4 with their clients and verdict, named from a --fingerprints file.
//! - `fixtures`: every fixture capture's jsonl output equals its committed
//!   expectation (checked once against tshark; see fixtures/README.md);
//!   `TLSSNIFF_BLESS=1 cargo test` rewrites the expectations.
//! - `traps`: the domain traps of STYLE.md, on real fixture traffic.
//! - `resegment`: reassembly under random segment splits, reorders,
//!   duplicates and overlaps, against the unsplit capture as the oracle.
//! - `rotation`: a capture split into files that continue each other
//!   (editcap -c) reads as the whole; overlapping files are not joined.
//! - `bad_input`: missing, unreadable, non-capture, empty, truncated and
//!   corrupt inputs: a clear message, the right exit status, nothing lost.
//! - `hostile`: captures made here to attack the parser: lying lengths,
//!   10,000 extensions, a 64 KiB SNI, a 16 MiB handshake, endless flows,
//!   forged retransmissions, sequence wraparound, bit flips, and a flood of
//!   a million half-open flows (bounded memory, evictions reported).
//! - `output_safety`: hostile SNI and ALPN names (terminal escapes, C0/C1
//!   controls, bidi overrides, bytes that are not UTF-8, spreadsheet
//!   formulas) through every format; what comes out is read byte by byte.
//! - `pipeline`: byte-identical output for every `--threads`, fallback
//!   retries.
//! - `quic`: QUIC Initial decryption on real aioquic traffic (v1, v2, a
//!   Retry, a ClientHello across two Initials), damaged packets refused.
//! - `readiness`: the verdicts (will break, mixed, held back, enforces)
//!   on the fixtures, against an oracle computed from their jsonl.
//! - `snapshots`: insta snapshots of the table and summary-json of every
//!   fixture (reviewed by eye; `tests/snapshots/`).
//! - `streams`: a capture fed slowly through standard input: each record
//!   arrives while the pipe is still open, before the next connection.
//! - `tds`: SQL Server's TLS inside TDS on the TDS fixtures: versions,
//!   split hellos, alerts in later packets, cleartext logins, TDS 8.0,
//!   dynamic ports, the SQL Server symptoms, hostile TDS headers.
//! - `live` (feature `live`, as root): real libpcap on a veth with real
//!   OpenSSL handshakes, SIGINT, `-c`, `-Z`.
//! - `tunnels`: TLS inside VXLAN, GENEVE, GRE, gretap, ERSPAN II/III and
//!   MPLS on real tunnel traffic; nesting to the depth limit and past it.
//! - `windows`: pktmon's copies of each packet folded by packet id, native
//!   802.11 and radiotap frames, made from real fixture packets.
//! - `cli`: formats, `-o`, `-r`, standard input, `--min-version`'s exit
//!   status, and the packet accounting invariant.

mod bad_input;
mod certificates;
mod cli;
mod dtls;
mod ecs;
mod evidence;
mod explanations;
mod failures;
mod fiddler;
mod fingerprints;
mod fixtures;
mod hostile;
#[cfg(feature = "live")]
mod live;
mod output_safety;
mod pipeline;
mod quic;
mod readiness;
mod resegment;
mod rotation;
mod snapshots;
mod streams;
mod tds;
mod traps;
mod tunnels;
mod util;
mod windows;
