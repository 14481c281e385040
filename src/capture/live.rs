//! Live capture from network interfaces with libpcap (cargo feature `live`).
//!
//! One or more interfaces (`any` included), a BPF filter, snapshot length,
//! promiscuous mode, kernel buffer size, as tcpdump takes them.
//!
//! Packets arrive as tcpdump gets them by default: not one wake-up per
//! packet (libpcap's immediate mode), but a block of the kernel's ring at a
//! time (TPACKET_V3), handed over when it is full or [`TICK_MS`] after its
//! first packet — so a quiet link's handshake still arrives within a tenth
//! of a second, and a busy one costs one wake-up per block. The handles are
//! non-blocking and we wait on their descriptors ourselves (poll), at most
//! [`TICK_MS`] at a time, so that the caller can look at its stop flag and
//! timers even when nothing arrives. A packet is handed to the caller where
//! it lies in the ring, never copied here. libpcap's counters — received,
//! dropped by the kernel, dropped by the interface — are reported as they
//! are.

use std::time::Duration as WallDuration;

use super::{InterfaceStats, LinkType, Packet};
use crate::time::Timestamp;

/// The longest a read waits before giving the caller its turn, and the
/// kernel's block timeout: a partly filled block is handed over this long
/// after its first packet.
pub const TICK_MS: u16 = 100;

/// The kernel buffer when `-B` does not say: 32 MiB, where tcpdump takes
/// libpcap's 2 MiB. At a million packets a second of a few hundred bytes
/// each, 2 MiB is a few milliseconds of traffic — one scheduling hiccup of
/// the capture thread on a busy host; 32 MiB rides out about a tenth of a
/// second at that rate. The kernel sets the whole ring aside when the
/// capture opens (measured: 43 MiB resident with the default, 13 MiB with
/// `-B 2048`, 536 MiB with `-B 524288`), so a larger default would cost
/// every sensor its memory whether or not its link needs it.
pub const DEFAULT_BUFFER: i32 = 32 << 20;

/// Packets read from one interface before the next gets its turn.
const BURST: usize = 1024;

/// How to open the interfaces.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub interfaces: Vec<String>,
    /// A BPF filter (tcpdump syntax).
    pub filter: String,
    pub snaplen: i32,
    pub promisc: bool,
    /// Kernel buffer size in bytes (`-B` takes KiB, as tcpdump).
    pub buffer_size: Option<i32>,
}

struct Handle {
    name: String,
    link_type: LinkType,
    cap: pcap::Capture<pcap::Active>,
}

/// Open interfaces being read.
pub struct LiveCapture {
    handles: Vec<Handle>,
    next: usize,
}

/// The interfaces libpcap can open: (name, description).
pub fn list() -> Result<Vec<(String, Option<String>)>, String> {
    let devices = pcap::Device::list().map_err(|e| e.to_string())?;
    Ok(devices.into_iter().map(|d| (d.name, d.desc)).collect())
}

impl LiveCapture {
    /// Opens every interface with the options; the first failure is
    /// returned as `interface: reason`.
    pub fn open(opts: &LiveOptions) -> Result<LiveCapture, String> {
        let mut handles = Vec::new();
        for name in &opts.interfaces {
            let fail = |e: pcap::Error| format!("{name}: {e}");
            let inactive = pcap::Capture::from_device(name.as_str())
                .map_err(fail)?
                .promisc(opts.promisc)
                .snaplen(opts.snaplen)
                .timeout(i32::from(TICK_MS))
                .buffer_size(opts.buffer_size.unwrap_or(DEFAULT_BUFFER));
            let mut cap = inactive.open().map_err(fail)?;
            if !opts.filter.is_empty() {
                cap.filter(&opts.filter, true).map_err(fail)?;
            }
            cap = cap.setnonblock().map_err(fail)?;
            let link_type = LinkType(cap.get_datalink().0 as u32);
            handles.push(Handle {
                name: name.clone(),
                link_type,
                cap,
            });
        }
        Ok(LiveCapture { handles, next: 0 })
    }

    /// Hands the packets waiting on the interfaces to `each`, up to
    /// [`BURST`] from one interface before the next gets its turn, until
    /// `each` says stop (`false`) or none is waiting. Returns how many it
    /// handed over; none means it waited (at most a tick) for packets to
    /// arrive, so that the caller can look at its flags.
    pub fn read(&mut self, mut each: impl FnMut(&Packet<'_>) -> bool) -> Result<u64, String> {
        let n = self.handles.len();
        let mut total = 0u64;
        for _ in 0..n {
            let i = self.next % n;
            self.next = self.next.wrapping_add(1);
            let Some(h) = self.handles.get_mut(i) else {
                break;
            };
            for _ in 0..BURST {
                match h.cap.next_packet() {
                    Ok(p) => {
                        total += 1;
                        let pkt = Packet {
                            ts: Timestamp::from_parts(
                                p.header.ts.tv_sec.max(0) as u64,
                                (p.header.ts.tv_usec.max(0) as u64) * 1000,
                            ),
                            link_type: h.link_type,
                            data: p.data,
                            orig_len: p.header.len,
                            owner: None,
                            packet_id: None,
                        };
                        if !each(&pkt) {
                            return Ok(total);
                        }
                    }
                    Err(pcap::Error::TimeoutExpired) => break,
                    Err(e) => return Err(format!("{}: {e}", h.name)),
                }
            }
        }
        if total == 0 {
            self.wait();
        }
        Ok(total)
    }

    /// Waits until a handle is readable, or a tick.
    fn wait(&self) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let mut fds: Vec<PollFd<'_>> = self
            .handles
            .iter()
            .map(|h| PollFd::new(h.cap.as_fd(), PollFlags::POLLIN))
            .collect();
        let tick = PollTimeout::from(TICK_MS);
        if poll(&mut fds, tick).is_err() {
            // Interrupted (a signal): the caller looks at its flags.
            std::thread::sleep(WallDuration::from_millis(1));
        }
    }

    /// libpcap's counters, per interface.
    pub fn stats(&mut self) -> Vec<InterfaceStats> {
        self.handles
            .iter_mut()
            .map(|h| {
                let s = h.cap.stats().unwrap_or(pcap::Stat {
                    received: 0,
                    dropped: 0,
                    if_dropped: 0,
                });
                InterfaceStats {
                    name: h.name.clone(),
                    link_type: Some(h.link_type),
                    received: u64::from(s.received),
                    dropped: u64::from(s.dropped),
                    if_dropped: u64::from(s.if_dropped),
                }
            })
            .collect()
    }
}

/// Gives up root for `user` for good: supplementary groups, then group,
/// then user (real, effective and saved), as tcpdump's `-Z` does; then
/// checks that root cannot be regained.
pub fn drop_privileges(user: &str) -> Result<(), String> {
    use nix::unistd::{Uid, User, setgid, setgroups, setuid};
    let u = User::from_name(user)
        .map_err(|e| format!("-Z {user}: {e}"))?
        .ok_or_else(|| format!("-Z {user}: no such user"))?;
    setgroups(&[u.gid]).map_err(|e| format!("-Z {user}: setgroups: {e}"))?;
    setgid(u.gid).map_err(|e| format!("-Z {user}: setgid: {e}"))?;
    setuid(u.uid).map_err(|e| format!("-Z {user}: setuid: {e}"))?;
    if !u.uid.is_root() && (setuid(Uid::from_raw(0)).is_ok() || Uid::effective().is_root()) {
        return Err(format!("-Z {user}: root could be regained; stopping"));
    }
    Ok(())
}
