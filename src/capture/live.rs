//! Live capture from network interfaces with libpcap (cargo feature `live`).
//!
//! One or more interfaces (`any` included), a BPF filter, snapshot length,
//! promiscuous mode, kernel buffer size, as tcpdump takes them. The handles
//! are non-blocking and we wait on their descriptors ourselves (poll), at
//! most [`TICK_MS`] at a time, so that the caller can look at its stop flag
//! and timers even when nothing arrives (libpcap's own read timeout does not
//! fire in immediate mode on Linux). A packet is copied out of libpcap's
//! buffer (live rates are far below what the copy costs). libpcap's counters — received,
//! dropped by the kernel, dropped by the interface — are reported as they
//! are.

use std::time::Duration as WallDuration;

use super::{InterfaceStats, LinkType, Packet};
use crate::time::Timestamp;

/// The longest a read waits before giving the caller its turn.
pub const TICK_MS: u16 = 100;

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
    scratch: Vec<u8>,
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
            let mut inactive = pcap::Capture::from_device(name.as_str())
                .map_err(fail)?
                .promisc(opts.promisc)
                .snaplen(opts.snaplen)
                .immediate_mode(true)
                .timeout(i32::from(TICK_MS));
            if let Some(size) = opts.buffer_size {
                inactive = inactive.buffer_size(size);
            }
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
        Ok(LiveCapture {
            handles,
            next: 0,
            scratch: Vec::new(),
        })
    }

    /// The next packet from any interface, or `None` when none arrived for a
    /// tick (so the caller can look at its flags).
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, String> {
        let n = self.handles.len();
        let mut found = None;
        for _ in 0..n.max(1) {
            let i = self.next % n.max(1);
            self.next = self.next.wrapping_add(1);
            let Some(h) = self.handles.get_mut(i) else {
                return Ok(None);
            };
            match h.cap.next_packet() {
                Ok(p) => {
                    let ts = Timestamp::from_parts(
                        p.header.ts.tv_sec.max(0) as u64,
                        (p.header.ts.tv_usec.max(0) as u64) * 1000,
                    );
                    self.scratch.clear();
                    self.scratch.extend_from_slice(p.data);
                    found = Some((ts, h.link_type, p.header.len));
                    break;
                }
                Err(pcap::Error::TimeoutExpired) => {}
                Err(e) => return Err(format!("{}: {e}", h.name)),
            }
        }
        match found {
            Some((ts, link_type, orig_len)) => Ok(Some(Packet {
                ts,
                link_type,
                data: &self.scratch,
                orig_len,
                owner: None,
                packet_id: None,
            })),
            None => {
                self.wait();
                Ok(None)
            }
        }
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
