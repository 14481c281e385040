//! tlssniff-gen: writes large, realistic captures for benchmarks,
//! reproducibly (same arguments, same bytes).
//!
//! The handshakes are real: every TCP connection of the given template
//! captures (by default the Ethernet/IPv4 fixtures) is replayed with new
//! client addresses and ports, new initial sequence numbers and new
//! timestamps. Between the handshake and the close, the server sends bulk
//! application data in MTU-sized segments (TLS application_data records)
//! which the client acknowledges, so that handshake packets are a small
//! share of the capture. Clients follow a heavy-tailed mix (one client makes
//! a third of all connections), some 4-tuples are reused after a close, and
//! many connections are open at once, their packets interleaved.
//!
//! ```text
//! tlssniff-gen --size-mb 1000 -o bulk.pcap              # ~1 GB, ~4 % handshake packets
//! tlssniff-gen --handshake-only --connections 200000 -o hs.pcap
//! tlssniff-gen --format pcapng --size-mb 100 -o bulk.pcapng
//! tlssniff-gen --flood half-open --connections 1000000 -o flood.pcap
//! ```
//!
//! `--flood` makes a flood of handshakes that never complete, each from a
//! client address of its own: `half-open` replays each template up to its
//! first client segment with payload (the ClientHello), cut to half its
//! length, then goes silent; `hellos` replays it up to the server's first
//! answer (whole ClientHellos that are never answered).

use std::collections::{BTreeMap, BinaryHeap};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use etherparse::{Ipv4Header, NetSlice, SlicedPacket, TcpHeader, TransportSlice};
use tlssniff::capture::LinkType;
use tlssniff::capture::file::CaptureFile;

#[derive(Parser)]
#[command(
    name = "tlssniff-gen",
    about = "Write large realistic TLS captures for benchmarks"
)]
struct Args {
    /// Output capture file.
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// pcap or pcapng.
    #[arg(long, default_value = "pcap")]
    format: String,
    /// Stop once the output reaches this size (MB); 0: use --connections.
    #[arg(long, default_value_t = 0)]
    size_mb: u64,
    /// Number of connections (when --size-mb is 0).
    #[arg(long, default_value_t = 10_000)]
    connections: u64,
    /// No bulk data: handshakes only (parsing dominates).
    #[arg(long)]
    handshake_only: bool,
    /// A flood of unanswered handshakes, one client address each.
    #[arg(long, value_enum, conflicts_with = "handshake_only")]
    flood: Option<Flood>,
    /// Mean bulk packets (data and ACKs) per connection (heavy-tailed).
    #[arg(long, default_value_t = 440)]
    bulk_segments: u64,
    /// Connections open at the same time.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Template captures (Ethernet, IPv4).
    #[arg(long = "template", value_name = "FILE")]
    templates: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Flood {
    /// SYN, then half a ClientHello, then nothing.
    HalfOpen,
    /// SYN, then a whole ClientHello that is never answered.
    Hellos,
}

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One packet of a template connection.
#[derive(Clone)]
struct TemplatePacket {
    /// Microseconds after the connection's first packet.
    offset_us: u64,
    from_client: bool,
    frame: Vec<u8>,
}

struct Template {
    packets: Vec<TemplatePacket>,
    /// Index of the first packet with FIN or RST: bulk data goes before it.
    close_at: usize,
    /// Whether the handshake completed (bulk data only then).
    established: bool,
    /// Index of the first client packet with payload (the ClientHello).
    first_client_payload: Option<usize>,
    /// Index of the first server packet with payload (its answer).
    first_server_payload: Option<usize>,
}

fn tcp_of(frame: &[u8]) -> Option<(Ipv4Header, TcpHeader, usize)> {
    let p = SlicedPacket::from_ethernet(frame).ok()?;
    let (Some(NetSlice::Ipv4(v4)), Some(TransportSlice::Tcp(t))) = (&p.net, &p.transport) else {
        return None;
    };
    Some((v4.header().to_header(), t.to_header(), t.payload().len()))
}

type FourTuple = ([u8; 4], u16, [u8; 4], u16);

/// Splits template captures into their TCP connections that start with a SYN.
fn load_templates(paths: &[PathBuf]) -> Vec<Template> {
    let mut out = Vec::new();
    for path in paths {
        let Ok(mut f) = CaptureFile::open(path) else {
            eprintln!("tlssniff-gen: cannot read template {}", path.display());
            continue;
        };
        // 4-tuple -> (order of first packet, packets).
        let mut flows: BTreeMap<FourTuple, (u64, Vec<TemplatePacket>)> = BTreeMap::new();
        let mut order = 0u64;
        while let Ok(Some(pkt)) = f.next_packet() {
            if pkt.link_type != LinkType::ETHERNET || pkt.cut_bytes() > 0 {
                continue;
            }
            let Some((ip, tcp, _)) = tcp_of(pkt.data) else {
                continue;
            };
            let a = (ip.source, tcp.source_port);
            let b = (ip.destination, tcp.destination_port);
            let key = if a <= b {
                (a.0, a.1, b.0, b.1)
            } else {
                (b.0, b.1, a.0, a.1)
            };
            let ts_us = pkt.ts.0 / 1000;
            let entry = flows.entry(key).or_insert_with(|| {
                order += 1;
                (order, Vec::new())
            });
            entry.1.push(TemplatePacket {
                offset_us: ts_us,
                from_client: false,
                frame: pkt.data.to_vec(),
            });
        }
        let mut conns: Vec<_> = flows.into_values().collect();
        conns.sort_by_key(|c| c.0);
        for (_, mut packets) in conns {
            let Some((ip, tcp, _)) = packets.first().and_then(|p| tcp_of(&p.frame)) else {
                continue;
            };
            if !tcp.syn || tcp.ack {
                continue;
            }
            let client = (ip.source, tcp.source_port);
            let start = packets[0].offset_us;
            for p in &mut packets {
                p.offset_us -= start;
                if let Some((ip, tcp, _)) = tcp_of(&p.frame) {
                    p.from_client = (ip.source, tcp.source_port) == client;
                }
            }
            let close_at = packets
                .iter()
                .position(|p| tcp_of(&p.frame).is_some_and(|(_, t, _)| t.fin || t.rst))
                .unwrap_or(packets.len());
            // Established: the server sent more than a few small packets.
            let server_bytes: usize = packets
                .iter()
                .filter(|p| !p.from_client)
                .filter_map(|p| tcp_of(&p.frame).map(|(_, _, n)| n))
                .sum();
            let first_payload = |from_client: bool| {
                packets.iter().position(|p| {
                    p.from_client == from_client && tcp_of(&p.frame).is_some_and(|(_, _, n)| n > 0)
                })
            };
            out.push(Template {
                first_client_payload: first_payload(true),
                first_server_payload: first_payload(false),
                close_at,
                established: server_bytes > 200,
                packets,
            });
        }
    }
    out
}

/// A connection being generated: its packets, made lazily in time order.
struct Conn {
    template: usize,
    client_ip: [u8; 4],
    client_port: u16,
    /// Capture time of the first packet (µs).
    start_us: u64,
    client_isn_delta: u32,
    server_isn_delta: u32,
    bulk: u64,
    /// Next template packet, or bulk segment.
    next_template: usize,
    bulk_sent: u64,
    /// Bytes of bulk data inserted so far (shifts later sequence numbers).
    bulk_bytes: u32,
    /// Time of the next packet (µs).
    next_us: u64,
    bulk_phase_us: u64,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Due(std::cmp::Reverse<(u64, u64)>);

const MSS: usize = 1448;

struct Writer {
    out: BufWriter<std::fs::File>,
    pcapng: bool,
    written: u64,
    packets: u64,
}

impl Writer {
    fn header(&mut self) -> std::io::Result<()> {
        if self.pcapng {
            let mut shb = Vec::new();
            shb.extend(0x1a2b_3c4du32.to_le_bytes());
            shb.extend(1u16.to_le_bytes());
            shb.extend(0u16.to_le_bytes());
            shb.extend((-1i64).to_le_bytes());
            self.block(0x0a0d_0d0a, &shb)?;
            let mut idb = Vec::new();
            idb.extend(1u16.to_le_bytes());
            idb.extend(0u16.to_le_bytes());
            idb.extend(0u32.to_le_bytes());
            self.block(1, &idb)
        } else {
            let mut h = Vec::new();
            h.extend(0xa1b2_c3d4u32.to_le_bytes());
            h.extend(2u16.to_le_bytes());
            h.extend(4u16.to_le_bytes());
            h.extend(0u64.to_le_bytes());
            h.extend(262_144u32.to_le_bytes());
            h.extend(1u32.to_le_bytes());
            self.written += h.len() as u64;
            self.out.write_all(&h)
        }
    }

    fn block(&mut self, kind: u32, body: &[u8]) -> std::io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&len.to_le_bytes())?;
        self.written += u64::from(len);
        Ok(())
    }

    fn packet(&mut self, ts_us: u64, frame: &[u8]) -> std::io::Result<()> {
        self.packets += 1;
        let len = frame.len() as u32;
        if self.pcapng {
            let mut body = Vec::with_capacity(20 + frame.len());
            body.extend(0u32.to_le_bytes());
            body.extend(((ts_us >> 32) as u32).to_le_bytes());
            body.extend((ts_us as u32).to_le_bytes());
            body.extend(len.to_le_bytes());
            body.extend(len.to_le_bytes());
            body.extend(frame);
            self.block(6, &body)
        } else {
            self.out
                .write_all(&((ts_us / 1_000_000) as u32).to_le_bytes())?;
            self.out
                .write_all(&((ts_us % 1_000_000) as u32).to_le_bytes())?;
            self.out.write_all(&len.to_le_bytes())?;
            self.out.write_all(&len.to_le_bytes())?;
            self.out.write_all(frame)?;
            self.written += 16 + u64::from(len);
            Ok(())
        }
    }
}

/// Rewrites a template frame for connection `c`.
/// With `half`, only the first half of the payload is kept.
fn rewrite(c: &Conn, p: &TemplatePacket, after_bulk: bool, half: bool) -> Option<Vec<u8>> {
    let (mut ip, mut tcp, len) = tcp_of(&p.frame)?;
    let payload_start = 14 + ip.header_len() + tcp.header_len();
    let payload = if half {
        p.frame.get(payload_start..payload_start + len / 2)?
    } else {
        p.frame.get(payload_start..)?
    };
    let shift = if after_bulk { c.bulk_bytes } else { 0 };
    if p.from_client {
        ip.source = c.client_ip;
        tcp.source_port = c.client_port;
        tcp.sequence_number = tcp.sequence_number.wrapping_add(c.client_isn_delta);
        if tcp.ack {
            tcp.acknowledgment_number = tcp
                .acknowledgment_number
                .wrapping_add(c.server_isn_delta)
                .wrapping_add(shift);
        }
    } else {
        ip.destination = c.client_ip;
        tcp.destination_port = c.client_port;
        tcp.sequence_number = tcp
            .sequence_number
            .wrapping_add(c.server_isn_delta)
            .wrapping_add(shift);
        if tcp.ack {
            tcp.acknowledgment_number = tcp.acknowledgment_number.wrapping_add(c.client_isn_delta);
        }
    }
    frame(p.frame.get(..14)?, ip, tcp, payload)
}

fn frame(eth: &[u8], mut ip: Ipv4Header, tcp: TcpHeader, payload: &[u8]) -> Option<Vec<u8>> {
    ip.set_payload_len(tcp.header_len() + payload.len()).ok()?;
    ip.header_checksum = ip.calc_header_checksum();
    let mut out = Vec::with_capacity(14 + 60 + payload.len());
    out.extend_from_slice(eth);
    ip.write(&mut out).ok()?;
    tcp.write(&mut out).ok()?;
    out.extend_from_slice(payload);
    Some(out)
}

/// The bulk segment `k` of connection `c`: server data (even k) or client ACK.
fn bulk_frame(t: &Template, c: &Conn, data: bool, payload: &[u8]) -> Option<Vec<u8>> {
    // Base the bulk packets on the last server and client packets before the close.
    let last = |from_client| {
        t.packets
            .get(..t.close_at)?
            .iter()
            .rev()
            .find(|p| p.from_client == from_client)
    };
    let server = last(false)?;
    let client = last(true)?;
    let (_, s_tcp, s_len) = tcp_of(&server.frame)?;
    let (_, c_tcp, c_len) = tcp_of(&client.frame)?;
    let server_next = s_tcp
        .sequence_number
        .wrapping_add(s_len as u32)
        .wrapping_add(c.server_isn_delta)
        .wrapping_add(c.bulk_bytes);
    let client_next = c_tcp
        .sequence_number
        .wrapping_add(c_len as u32)
        .wrapping_add(c.client_isn_delta);
    if data {
        let (mut ip, mut tcp, _) = tcp_of(&server.frame)?;
        ip.destination = c.client_ip;
        tcp.destination_port = c.client_port;
        tcp.sequence_number = server_next.wrapping_sub(payload.len() as u32);
        tcp.acknowledgment_number = client_next;
        tcp.ack = true;
        tcp.psh = false;
        frame(server.frame.get(..14)?, ip, tcp, payload)
    } else {
        let (mut ip, mut tcp, _) = tcp_of(&client.frame)?;
        ip.source = c.client_ip;
        tcp.source_port = c.client_port;
        tcp.sequence_number = client_next;
        tcp.acknowledgment_number = server_next;
        tcp.ack = true;
        tcp.psh = false;
        frame(client.frame.get(..14)?, ip, tcp, &[])
    }
}

fn run(args: Args) -> std::io::Result<()> {
    let mut templates = args.templates.clone();
    if templates.is_empty() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for name in [
            "tls10.pcap",
            "tls11.pcap",
            "tls12.pcap",
            "tls13.pcap",
            "tls13-hrr.pcap",
            "3des.pcap",
            "ssl30.pcap",
            "min-tls12-reject.pcap",
            "resumption-tls12.pcap",
            "resumption-tls13-psk.pcap",
            "ch-two-segments.pcap",
            "ch-multi-record.pcap",
            "handshake-failure.pcap",
            "fallback-scsv-inappropriate.pcap",
            "multi-client.pcap",
        ] {
            templates.push(dir.join(name));
        }
    }
    let mut templates = load_templates(&templates);
    match args.flood {
        Some(Flood::HalfOpen) => templates.retain(|t| t.first_client_payload.is_some()),
        Some(Flood::Hellos) => templates.retain(|t| {
            t.first_client_payload
                .zip(t.first_server_payload)
                .is_some_and(|(c, s)| c < s)
        }),
        None => {}
    }
    if templates.is_empty() {
        return Err(std::io::Error::other("no usable template connection"));
    }
    eprintln!("tlssniff-gen: {} template connections", templates.len());
    let mut rng = Rng(args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, std::fs::File::create(&args.output)?),
        pcapng: args.format == "pcapng",
        written: 0,
        packets: 0,
    };
    w.header()?;
    let target_bytes = args.size_mb * 1_000_000;
    let mut started = 0u64;
    let mut clock_us: u64 = 1_795_000_000 * 1_000_000;
    let mut active: Vec<Option<Conn>> = Vec::new();
    let mut queue: BinaryHeap<Due> = BinaryHeap::new();
    // Recently closed 4-tuples, for reuse.
    let mut closed: Vec<([u8; 4], u16)> = Vec::new();
    let mut next_port: BTreeMap<[u8; 4], u16> = BTreeMap::new();
    let payload = vec![0x17u8; MSS];
    let done = |started: u64, written: u64| {
        if target_bytes > 0 {
            written >= target_bytes
        } else {
            started >= args.connections
        }
    };
    loop {
        // Keep `concurrency` connections open.
        while queue.len() < args.concurrency && !done(started, w.written) {
            let t = rng.below(templates.len() as u64) as usize;
            // One client makes a third of the connections; the rest follow a
            // long tail over 4096 addresses.
            let client_id: u32 = if rng.below(3) == 0 {
                1
            } else {
                2 + (rng.unit().powi(3) * 4094.0) as u32
            };
            let client_ip = if args.flood.is_some() {
                // A flood: a new address for every connection.
                let n = started.to_be_bytes();
                [10, 80u8.saturating_add(n[5]), n[6], n[7]]
            } else {
                [10, 77, (client_id >> 8) as u8, client_id as u8]
            };
            let reuse = args.flood.is_none() && rng.below(50) == 0 && !closed.is_empty();
            let (client_ip, client_port) = if reuse {
                closed.swap_remove(rng.below(closed.len() as u64) as usize)
            } else {
                let p = next_port.entry(client_ip).or_insert(20_000);
                *p = if *p >= 65_000 { 20_000 } else { *p + 1 };
                (client_ip, *p)
            };
            let bulk = if args.handshake_only || args.flood.is_some() || !templates[t].established {
                0
            } else {
                // Pareto(alpha 1.5) with the requested mean.
                let x = (1.0 - rng.unit()).max(1e-9).powf(-1.0 / 1.5);
                ((x / 3.0) * args.bulk_segments as f64).min(200_000.0) as u64
            };
            clock_us += 1 + rng.below(400);
            let id = active.len();
            active.push(Some(Conn {
                template: t,
                client_ip,
                client_port,
                start_us: clock_us,
                client_isn_delta: rng.next() as u32,
                server_isn_delta: rng.next() as u32,
                bulk: bulk * 2,
                next_template: 0,
                bulk_sent: 0,
                bulk_bytes: 0,
                next_us: clock_us,
                bulk_phase_us: 0,
            }));
            queue.push(Due(std::cmp::Reverse((clock_us, id as u64))));
            started += 1;
        }
        let Some(Due(std::cmp::Reverse((ts, id)))) = queue.pop() else {
            break;
        };
        clock_us = clock_us.max(ts);
        let Some(Some(c)) = active.get_mut(id as usize) else {
            continue;
        };
        let t = &templates[c.template];
        let in_bulk = c.next_template == t.close_at && c.bulk_sent < c.bulk;
        if in_bulk {
            // 5 data segments per 9 ACKs: a mean packet near 570 bytes.
            let data = c.bulk_sent % 14 < 5;
            if data {
                c.bulk_bytes = c.bulk_bytes.wrapping_add(MSS as u32);
            }
            if let Some(f) = bulk_frame(t, c, data, &payload) {
                w.packet(ts, &f)?;
            }
            c.bulk_sent += 1;
            c.bulk_phase_us += 20 + rng.below(60);
        } else if let Some(p) = t.packets.get(c.next_template) {
            let after = c.next_template >= t.close_at;
            let i = Some(c.next_template);
            let cut = args.flood == Some(Flood::HalfOpen) && t.first_client_payload == i;
            // A flood's connection goes silent after its (cut) hello.
            let answer = args.flood == Some(Flood::Hellos) && t.first_server_payload == i;
            if !answer {
                if let Some(f) = rewrite(c, p, after, cut) {
                    w.packet(ts, &f)?;
                }
            }
            c.next_template = if cut || answer {
                t.packets.len()
            } else {
                c.next_template + 1
            };
        }
        match t.packets.get(c.next_template) {
            Some(p) if !(c.next_template == t.close_at && c.bulk_sent < c.bulk) => {
                c.next_us = (c.start_us + p.offset_us + c.bulk_phase_us).max(ts);
                queue.push(Due(std::cmp::Reverse((c.next_us, id))));
            }
            Some(_) => {
                c.next_us = ts + 20 + rng.below(60);
                queue.push(Due(std::cmp::Reverse((c.next_us, id))));
            }
            None if args.flood.is_some() => active[id as usize] = None,
            None => {
                closed.push((c.client_ip, c.client_port));
                if closed.len() > 4096 {
                    closed.swap_remove(0);
                }
                active[id as usize] = None;
            }
        }
    }
    w.out.flush()?;
    eprintln!(
        "tlssniff-gen: {} connections, {} packets, {:.1} MB, mean packet {} bytes -> {}",
        started,
        w.packets,
        w.written as f64 / 1e6,
        w.written / w.packets.max(1),
        args.output.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tlssniff-gen: {e}");
            ExitCode::from(2)
        }
    }
}
