#!/usr/bin/env python3
"""Live capture: `tlssniff -i` against `tcpdump -i` on the same replay.

What it measures
    tcpreplay sends one capture file over a veth pair, from a network
    namespace, while either tcpdump or tlssniff captures on the host end. For
    every rate (tcpreplay --mbps, or `top` for --topspeed) and every run the
    two tools take turns on the same replay (tcpdump, tlssniff, tcpdump, ...),
    and for each capture the script records:

    * the replay: packets tcpreplay sent ("Actual") and the packets/s it
      achieved ("Rated");
    * libpcap's counters as the tool prints them at the end: received (on
      Linux this includes the packets the kernel then dropped), dropped by the
      kernel, dropped by the interface;
    * TLS connections found: for tlssniff the lines of its jsonl report; for
      tcpdump, once per rate, a separate run (row `tcpdump-file`) writes the
      packets to a file in /dev/shm that `tlssniff --format jsonl` analyses
      offline, which says which connections tcpdump received. tlssniff's
      connections are compared with that set (missed vs tcpdump) and with the
      offline analysis of the replay file itself (missed vs the truth);
    * CPU seconds of the capturing process (user + system, all threads: the
      child's rusage from os.wait4), and CPU seconds per million packets
      received.

    The table shows medians over the runs; one line per rate then gives
    tlssniff's CPU per packet divided by tcpdump's and the difference of their
    kernel drops in % of the packets sent. --json writes every raw figure.

How to run it
    sudo benches/live_compare.py [--bin PATH] [--capture FILE]
        [--rates 1000 2000 top] [--runs 3] [--tools tcpdump tlssniff]
        [--tlssniff-args '--threads 1 -B 8192'] [--json OUT]

    --bin defaults to target/release/tlssniff, which must be built with the
    `live` feature (cargo build --release --features live); its --version
    says "live capture: built in". Without --capture a ~200 MB capture is
    generated once with tlssniff-gen (found next to --bin) in a temporary
    directory. Needs root, iproute2, tcpdump, tcpreplay and ethtool
    (apt-get install tcpdump tcpreplay ethtool). The default run (3 rates x
    3 runs x 2 tools) takes a few minutes.

Safety
    The replayed addresses (10.66.0.0/16, 10.77.0.0/16 and fd66::/16 from
    tlssniff-gen) get unreachable guard routes (metric 4000) before any
    traffic, so they can never leave through the default route; the host end
    of the veth pair must own the route to the namespace's address before
    anything is sent. The namespace, the veth pair, the temporary files and
    every process the script started (by PID, nothing else) are removed on
    exit, also after Ctrl-C, SIGTERM or an error. The guard routes stay (as
    benches/live.sh leaves them): other runs may rely on them.
"""

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NS = "tsl-cmp"
HOST_IF = "tslc0"
NS_IF = "tslc1"
# 10.66.251.0/30, not benches/live.sh's 10.66.250.0/30: both may run at once.
HOST_ADDR = "10.66.251.1/30"
NS_ADDR = "10.66.251.2/30"
NS_IP = NS_ADDR.split("/")[0]
GUARD_ROUTES_V4 = ["10.66.0.0/16", "10.77.0.0/16"]
GUARD_ROUTE_V6 = "fd66::/16"
SNAPLEN = 262144
READY_TIMEOUT = 20.0  # seconds for a capturer to say it is capturing
STOP_TIMEOUT = 60.0  # seconds for a capturer to exit after SIGINT
SETTLE = 1.0  # seconds between the end of the replay and SIGINT


class BenchError(Exception):
    """A step failed; the message says which and why."""


# ---------------------------------------------------------------- processes

# Every process this script started and has not reaped yet, by PID.
STARTED = {}


def spawn(cmd, **kw):
    """Start cmd in its own session (a Ctrl-C on the terminal reaches only
    this script, which then stops the children itself) and remember it."""
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    STARTED[proc.pid] = proc
    return proc


def reap(proc, timeout=None):
    """Wait for proc with os.wait4; return (exit code, rusage), or None if
    it is still running after timeout seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        flags = 0 if deadline is None else os.WNOHANG
        pid, status, usage = os.wait4(proc.pid, flags)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            STARTED.pop(proc.pid, None)
            return proc.returncode, usage
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def stop(proc, timeout=STOP_TIMEOUT):
    """SIGINT, then SIGKILL after timeout; return (exit code, rusage,
    killed); rusage is None if it had already been reaped."""
    if proc.pid not in STARTED:
        return proc.returncode, None, False
    os.kill(proc.pid, signal.SIGINT)
    got = reap(proc, timeout)
    if got is not None:
        return got[0], got[1], False
    os.kill(proc.pid, signal.SIGKILL)
    code, usage = reap(proc)
    return code, usage, True


def stop_all_started():
    """Stop what is left of the processes this script started (by PID)."""
    for proc in list(STARTED.values()):
        try:
            stop(proc, timeout=5)
        except (ProcessLookupError, ChildProcessError):
            STARTED.pop(proc.pid, None)


def run(cmd, check=True, **kw):
    """Run cmd to completion (output captured as text)."""
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise BenchError("%s failed (exit %d): %s" % (
            shlex.join(cmd), res.returncode, (res.stderr or res.stdout).strip()))
    return res


def raise_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ------------------------------------------------------------------- network

def setup_network():
    """Guard routes, then namespace NS with NS_IF, paired with HOST_IF.

    The IPv6 guard goes in whether or not the replay has IPv6 (a host
    without IPv6 has nothing to guard): another capture may, and the guard
    must never depend on reading the capture right."""
    for net in GUARD_ROUTES_V4:
        run(["ip", "route", "replace", "unreachable", net, "metric", "4000"])
    res = run(["ip", "-6", "route", "replace", "unreachable", GUARD_ROUTE_V6,
               "metric", "4000"], check=False)
    if res.returncode != 0 and os.path.exists("/proc/net/if_inet6"):
        raise BenchError("cannot add the IPv6 guard route: " + res.stderr.strip())
    teardown_network()
    run(["ip", "netns", "add", NS])
    run(["ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF])
    run(["ip", "link", "set", NS_IF, "netns", NS])
    # No IPv6 on the pair itself: no router solicitations or MLD reports in
    # the counts (a replay's IPv6 frames are still captured).
    disable_ipv6(HOST_IF)
    run(["ip", "netns", "exec", NS, "sh", "-c",
         "echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6" % NS_IF], check=False)
    run(["ip", "addr", "add", HOST_ADDR, "dev", HOST_IF])
    run(["ip", "link", "set", HOST_IF, "up"])
    run(["ip", "netns", "exec", NS, "ip", "addr", "add", NS_ADDR, "dev", NS_IF])
    run(["ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up"])
    offloads = ["tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"]
    run(["ethtool", "-K", HOST_IF] + offloads, check=False)
    run(["ip", "netns", "exec", NS, "ethtool", "-K", NS_IF] + offloads, check=False)
    route = run(["ip", "route", "get", NS_IP]).stdout
    if not re.search(r"\bdev %s\b" % re.escape(HOST_IF), route):
        raise BenchError("%s does not go through %s: %s" % (NS_IP, HOST_IF, route.strip()))
    # The replayed frames are addressed to other MACs: the host's stack
    # drops them (not for this host; no forwarding); libpcap still sees them.


def disable_ipv6(iface):
    path = Path("/proc/sys/net/ipv6/conf") / iface / "disable_ipv6"
    if path.exists():
        path.write_text("1\n")


def teardown_network():
    """Remove our namespace and veth pair (only ours: fixed names)."""
    run(["ip", "netns", "del", NS], check=False)
    run(["ip", "link", "del", HOST_IF], check=False)


def if_counter(name):
    return int((Path("/sys/class/net") / HOST_IF / "statistics" / name).read_text())


# -------------------------------------------------------------------- replay

def replay_cmd(capture, rate):
    speed = ["--topspeed"] if rate == "top" else ["--mbps", rate]
    # --preload-pcap: the file is read into memory before the clock starts,
    # so disk reads do not shape the rate.
    return ["ip", "netns", "exec", NS, "tcpreplay", "-i", NS_IF, "--preload-pcap"] \
        + speed + [str(capture)]


def parse_tcpreplay(out):
    """Packets sent and the achieved rate from tcpreplay's summary."""
    actual = re.search(r"Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds", out)
    rated = re.search(r"Rated: ([\d.]+) Bps, ([\d.]+) Mbps, ([\d.]+) pps", out)
    if not actual or not rated:
        raise BenchError("cannot read tcpreplay's summary:\n" + out)

    def counter(label):
        m = re.search(re.escape(label) + r":\s+(\d+)", out)
        return int(m.group(1)) if m else None

    return {
        "sent": int(actual.group(1)),
        "bytes": int(actual.group(2)),
        "seconds": float(actual.group(3)),
        "mbps": float(rated.group(2)),
        "pps": float(rated.group(3)),
        "failed": counter("Failed packets"),
        "retried_enobufs": counter("Retried packets (ENOBUFS)"),
        "retried_eagain": counter("Retried packets (EAGAIN)"),
    }


def replay(capture, rate):
    proc = spawn(replay_cmd(capture, rate), stdout=subprocess.PIPE,
                 stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    proc.stdout.close()
    code, _ = reap(proc)
    if code != 0:
        raise BenchError("tcpreplay failed (exit %d):\n%s" % (code, out))
    return parse_tcpreplay(out)


# ----------------------------------------------------------------- capturers

def tcpdump_cmd(dest):
    # -Z root: no privilege drop (it would not change the figures, and the
    # tcpdump user could not write into our private /dev/shm directory).
    return ["tcpdump", "-i", HOST_IF, "-n", "-s", str(SNAPLEN), "-Z", "root", "-w", str(dest)]


def tlssniff_cmd(binary, extra, out):
    return [str(binary), "-i", HOST_IF, "-q", "--format", "jsonl", "-o", str(out)] + extra


def parse_tcpdump_stats(err):
    def count(what):
        m = re.search(r"(\d+) packets? %s" % what, err)
        return int(m.group(1)) if m else None

    stats = {
        "captured": count("captured"),
        "received": count("received by filter"),
        "kernel_drops": count("dropped by kernel"),
        # tcpdump prints this line only when the count is not 0.
        "if_drops": count("dropped by interface") or 0,
    }
    if stats["received"] is None or stats["kernel_drops"] is None:
        raise BenchError("cannot read tcpdump's counters:\n" + err)
    return stats


def parse_tlssniff_stats(err):
    m = re.search(r"tlssniff: (\S+): (\d+) packets received, (\d+) dropped by the kernel, "
                  r"(\d+) by the interface", err)
    if not m:
        raise BenchError("cannot read tlssniff's counters:\n" + err)
    received, kernel, ifd = int(m.group(2)), int(m.group(3)), int(m.group(4))
    return {"received": received, "kernel_drops": kernel, "if_drops": ifd,
            "captured": received - kernel}


def wait_ready(proc, err_path, marker):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if marker in err_path.read_text(errors="replace"):
            return
        if reap(proc, 0) is not None:
            raise BenchError("%s exited (%s) before capturing:\n%s" % (
                proc.args[0], proc.returncode, err_path.read_text(errors="replace")))
        time.sleep(0.02)
    raise BenchError("%s did not say %r within %.0f s:\n%s" % (
        proc.args[0], marker, READY_TIMEOUT, err_path.read_text(errors="replace")))


def capture_once(cmd, marker, err_path, capture, rate):
    """Start a capturer, replay once, stop it; return the raw figures."""
    rx0, drop0 = if_counter("rx_packets"), if_counter("rx_dropped")
    with open(err_path, "w") as err:
        started = time.monotonic()
        proc = spawn(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_ready(proc, err_path, marker)
        rep = replay(capture, rate)
        time.sleep(SETTLE)
    finally:
        code, usage, killed = stop(proc)
    wall = time.monotonic() - started
    if killed:
        print("warning: %s did not stop within %.0f s of SIGINT; killed" % (cmd[0], STOP_TIMEOUT),
              file=sys.stderr)
    return {
        "replay": rep,
        "exit_code": code,
        "killed": killed,
        "wall_seconds": round(wall, 3),
        "cpu_user": usage.ru_utime,
        "cpu_sys": usage.ru_stime,
        "cpu": usage.ru_utime + usage.ru_stime,
        "host_if_rx_packets": if_counter("rx_packets") - rx0,
        "host_if_rx_dropped": if_counter("rx_dropped") - drop0,
        "stderr": err_path.read_text(errors="replace"),
    }


# --------------------------------------------------------------- connections

def connection_key(row):
    c, s = row["client"], row["server"]
    return (c["ip"], c["port"], s["ip"], s["port"])


def read_connections(jsonl_text):
    """Multiset of (client ip, client port, server ip, server port)."""
    return collections.Counter(connection_key(json.loads(line))
                               for line in jsonl_text.splitlines() if line.strip())


def offline_connections(binary, path):
    return read_connections(run([str(binary), "--format", "jsonl", str(path)]).stdout)


def missed(reference, found):
    """Connections of reference that found lacks."""
    return sum((reference - found).values())


# -------------------------------------------------------------- one run each

def run_tcpdump(work, capture, rate):
    rec = capture_once(tcpdump_cmd("/dev/null"), "listening on", work / "tcpdump.err",
                       capture, rate)
    rec.update(parse_tcpdump_stats(rec["stderr"]))
    rec["connections"] = None
    return rec


def run_tcpdump_file(work, shm, capture, rate, binary, truth):
    """tcpdump writing to /dev/shm, analysed offline: which connections it
    received. Returns the record and the connection set."""
    dump = shm / "tcpdump-file.pcap"
    rec = capture_once(tcpdump_cmd(dump), "listening on", work / "tcpdump-file.err",
                       capture, rate)
    rec.update(parse_tcpdump_stats(rec["stderr"]))
    conns = offline_connections(binary, dump)
    dump.unlink()
    rec["connections"] = sum(conns.values())
    rec["missed_vs_truth"] = missed(truth, conns)
    return rec, conns


def run_tlssniff(work, capture, rate, binary, extra, truth, tcpdump_set):
    out = work / "tlssniff.jsonl"
    rec = capture_once(tlssniff_cmd(binary, extra, out), "capturing on", work / "tlssniff.err",
                       capture, rate)
    rec.update(parse_tlssniff_stats(rec["stderr"]))
    conns = read_connections(out.read_text()) if out.exists() else collections.Counter()
    out.unlink(missing_ok=True)
    rec["connections"] = sum(conns.values())
    rec["missed_vs_truth"] = missed(truth, conns)
    if tcpdump_set is not None:
        rec["missed_vs_tcpdump_file"] = missed(tcpdump_set, conns)
        rec["extra_vs_tcpdump_file"] = missed(conns, tcpdump_set)
    return rec


def add_derived(rec):
    sent = rec["replay"]["sent"]
    rec["kernel_drops_pct"] = 100.0 * rec["kernel_drops"] / sent if sent else None
    rec["cpu_per_mpkt_received"] = (rec["cpu"] / rec["received"] * 1e6
                                    if rec["received"] else None)
    rec["cpu_per_mpkt_captured"] = (rec["cpu"] / rec["captured"] * 1e6
                                    if rec.get("captured") else None)
    return rec


# --------------------------------------------------------------------- table

COUNT, FIXED2 = "count", "%.2f"
COLUMNS = [
    # header, width, format, value of a record (medians are taken over the runs)
    ("replay_pps", 10, COUNT, lambda r: r["replay"]["pps"]),
    ("sent", 8, COUNT, lambda r: r["replay"]["sent"]),
    ("received", 8, COUNT, lambda r: r["received"]),
    ("k_drop", 7, COUNT, lambda r: r["kernel_drops"]),
    ("k_drop%", 7, FIXED2, lambda r: r["kernel_drops_pct"]),
    ("if_drop", 7, COUNT, lambda r: r["if_drops"]),
    ("conns", 6, COUNT, lambda r: r["connections"]),
    ("miss_td", 7, COUNT, lambda r: r.get("missed_vs_tcpdump_file")),
    ("miss_all", 8, COUNT, lambda r: r.get("missed_vs_truth")),
    ("cpu_s", 6, FIXED2, lambda r: r["cpu"]),
    ("cpu/Mrx", 7, FIXED2, lambda r: r["cpu_per_mpkt_received"]),
]


def median_of(records, get):
    values = [get(r) for r in records]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, width, form):
    if value is None:
        text = "-"
    elif form == COUNT:
        # A median of an even number of runs may end in .5.
        text = "%.0f" % value if float(value).is_integer() or value >= 1000 else "%.1f" % value
    else:
        text = form % value
    return text.rjust(width)


def table_row(rate, tool, records):
    cells = [rate.rjust(6), tool.ljust(12), str(len(records)).rjust(4)]
    cells += [fmt(median_of(records, get), width, form) for _, width, form, get in COLUMNS]
    return " ".join(cells)


def table_header():
    head = ["rate".rjust(6), "tool".ljust(12), "runs".rjust(4)]
    head += [name.rjust(width) for name, width, _, _ in COLUMNS]
    return " ".join(head)


def comparison_line(rate, groups):
    td, ts = groups.get("tcpdump"), groups.get("tlssniff")
    if not td or not ts:
        return None

    def med(records, key):
        return median_of(records, lambda r: r[key])

    a, b = med(ts, "cpu_per_mpkt_received"), med(td, "cpu_per_mpkt_received")
    cpu = "CPU/Mpkt tlssniff / tcpdump = %s" % ("%.2fx" % (a / b) if a and b else "-")
    a, b = med(ts, "cpu_per_mpkt_captured"), med(td, "cpu_per_mpkt_captured")
    if a and b:
        cpu += " (per packet captured: %.2fx)" % (a / b)
    a, b = med(ts, "kernel_drops_pct"), med(td, "kernel_drops_pct")
    drops = "kernel drops tlssniff - tcpdump = %+.2f %% of sent" % (a - b)
    return "%6s: %s; %s" % (rate, cpu, drops)


def by_tool(results, rate):
    """The records of one rate, by tool, in the order they ran."""
    groups = {}
    for rec in results:
        if rec["rate"] == rate:
            groups.setdefault(rec["tool"], []).append(rec)
    return groups


def print_table(rates, results):
    print(table_header())
    for rate in rates:
        for tool, records in by_tool(results, rate).items():
            print(table_row(rate, tool, records))
    print()
    for rate in rates:
        line = comparison_line(rate, by_tool(results, rate))
        if line:
            print(line)
    print()
    short = [r for r in results if replay_fell_short(r)]
    if short:
        print(textwrap.fill(
            "note: in %d runs the replay fell more than %d %% short of the rate asked (a busy "
            "machine, or the capturer taking the sender's CPU): %s" % (
                len(short), SHORTFALL_PCT, ", ".join(
                    "%s %s run %d at %.0f Mbps" % (r["rate"], r["tool"], r["run"],
                                                   r["replay"]["mbps"]) for r in short)),
            width=100))
    print(textwrap.fill(LEGEND, width=100))


SHORTFALL_PCT = 5


def replay_fell_short(rec):
    if rec["rate"] == "top":
        return False
    return rec["replay"]["mbps"] < float(rec["rate"]) * (1 - SHORTFALL_PCT / 100)


LEGEND = (
    "Medians over the runs. replay_pps, sent: tcpreplay's Rated pps and Actual packets; "
    "received, k_drop, if_drop: libpcap's counters as the tool prints them (received includes "
    "the packets the kernel dropped); conns: TLS connections found (tcpdump-file: one run per "
    "rate writing to /dev/shm, analysed offline); miss_td: tcpdump-file's connections that "
    "tlssniff did not find; miss_all: connections of the replay file (offline) not found; "
    "cpu_s: user+system CPU seconds of the capturing process (all threads, start to exit); "
    "cpu/Mrx: cpu_s per million packets received.")


# ---------------------------------------------------------------------- main

def first_line(cmd):
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        return "?"
    lines = (res.stdout + res.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def tool_versions(binary):
    res = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True)
    tcpdump = [l for l in (res.stdout + res.stderr).splitlines() if l.startswith(("tcpdump", "libpcap"))]
    return {
        "tcpdump": " / ".join(tcpdump) or "?",
        "tcpreplay": first_line(["tcpreplay", "--version"]),
        "tlssniff": first_line([str(binary), "--version"]),
    }


def has_ipv6(capture):
    res = run(["tcpdump", "-r", str(capture), "-n", "-c", "1", "ip6"], check=False)
    return bool(res.stdout.strip())


def describe_capture(binary, capture):
    summary = json.loads(run([str(binary), "--format", "summary-json", str(capture)]).stdout)
    truth = offline_connections(binary, capture)
    if sum(truth.values()) != summary["connections"]:
        print("warning: jsonl has %d connections, summary-json %d" % (
            sum(truth.values()), summary["connections"]), file=sys.stderr)
    return {
        "path": str(capture),
        "packets": summary["capture"]["packets"],
        "bytes": summary["capture"]["bytes"],
        "connections": summary["connections"],
        "ipv6": has_ipv6(capture),
    }, truth


def check_prerequisites(binary):
    if os.geteuid() != 0:
        raise BenchError("needs root (namespaces, raw capture): sudo %s" % sys.argv[0])
    for tool in ("ip", "tcpdump", "tcpreplay", "ethtool"):
        if not shutil.which(tool):
            raise BenchError("%s not found (apt-get install -y tcpreplay tcpdump ethtool)" % tool)
    if not binary.is_file():
        raise BenchError("%s not found: cargo build --release --features live, or --bin" % binary)
    version = first_line([str(binary), "--version"])
    if "live capture: built in" not in version:
        raise BenchError("%s has no live capture (%s): build with --features live" % (
            binary, version))


def parse_args():
    p = argparse.ArgumentParser(
        description="Compare `tlssniff -i` with `tcpdump -i` on the same tcpreplay replay "
                    "over a veth pair: drops, connections found, CPU per packet.")
    p.add_argument("--bin", type=Path, default=REPO / "target/release/tlssniff",
                   help="tlssniff built with the live feature (default: %(default)s)")
    p.add_argument("--capture", type=Path,
                   help="capture to replay (default: a 200 MB one from tlssniff-gen next to --bin)")
    p.add_argument("--rates", nargs="+", default=["1000", "2000", "top"],
                   help="tcpreplay --mbps values, or `top` for --topspeed (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="runs per rate and tool (default: 3)")
    p.add_argument("--tools", nargs="+", default=["tcpdump", "tlssniff"],
                   choices=["tcpdump", "tlssniff"], help="tools to run, in turn (default: both)")
    p.add_argument("--tlssniff-args", action="append", default=[], metavar="ARGS",
                   help="more arguments for tlssniff, one shell-quoted string, e.g. "
                        "--tlssniff-args '--threads 1' (a single word starting with - needs "
                        "--tlssniff-args=-B8192); may be repeated")
    p.add_argument("--json", type=Path, metavar="OUT", help="write every raw per-run figure here")
    args = p.parse_args()
    for rate in args.rates:
        if rate != "top":
            try:
                if float(rate) <= 0:
                    raise ValueError
            except ValueError:
                p.error("rate %r: a positive --mbps value or `top`" % rate)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    args.extra = [w for s in args.tlssniff_args for w in shlex.split(s)]
    return args


def benchmark(args, work, shm, capture, truth):
    """All runs; returns the list of per-run records."""
    results = []
    total = len(args.rates) * (args.runs * len(args.tools) + ("tlssniff" in args.tools))
    done = 0

    def progress(rec):
        nonlocal done
        done += 1
        print("  [%d/%d] rate %s %s run %s: sent %d at %.0f Mbps, received %d, kernel drops %d, "
              "cpu %.2f s" % (done, total, rec["rate"], rec["tool"], rec["run"],
                              rec["replay"]["sent"], rec["replay"]["mbps"], rec["received"],
                              rec["kernel_drops"], rec["cpu"]), file=sys.stderr)

    for rate in args.rates:
        tcpdump_set = None
        if "tlssniff" in args.tools:
            rec, tcpdump_set = run_tcpdump_file(work, shm, capture, rate, args.bin, truth)
            rec.update(rate=rate, tool="tcpdump-file", run=1)
            results.append(add_derived(rec))
            progress(rec)
        for n in range(1, args.runs + 1):
            for tool in args.tools:
                if tool == "tcpdump":
                    rec = run_tcpdump(work, capture, rate)
                else:
                    rec = run_tlssniff(work, capture, rate, args.bin, args.extra, truth,
                                       tcpdump_set)
                rec.update(rate=rate, tool=tool, run=n)
                results.append(add_derived(rec))
                progress(rec)
                failed = rec["replay"]["failed"]
                if failed:
                    print("warning: tcpreplay could not send %d packets" % failed,
                          file=sys.stderr)
    return results


def main():
    args = parse_args()
    args.bin = args.bin.resolve()
    check_prerequisites(args.bin)
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored
    # (a background job of a non-interactive shell); SIGTERM and SIGHUP exit.
    # Either way the finally below cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, raise_on_signal)
    work = Path(tempfile.mkdtemp(prefix="live_compare."))
    shm = Path(tempfile.mkdtemp(prefix="live_compare.", dir="/dev/shm"))
    try:
        if args.capture:
            capture = args.capture.resolve()
        else:
            gen = args.bin.parent / "tlssniff-gen"
            if not gen.is_file():
                raise BenchError("%s not found: give --capture or build tlssniff-gen" % gen)
            capture = shm / "replay.pcap"
            print("generating a 200 MB capture with %s ..." % gen, file=sys.stderr)
            run([str(gen), "--size-mb", "200", "-o", str(capture)])
        cap, truth = describe_capture(args.bin, capture)
        versions = tool_versions(args.bin)
        setup_network()
        cores = len(os.sched_getaffinity(0))
        machine = {"nproc": cores, "cpu_count": os.cpu_count(), "kernel": os.uname().release,
                   "loadavg_start": os.getloadavg()}

        print("live_compare: tlssniff -i vs tcpdump -i on veth %s (tcpreplay from netns %s)"
              % (HOST_IF, NS))
        print("machine: %d cores (nproc), kernel %s, load average at start %.2f %.2f %.2f"
              % ((cores, machine["kernel"]) + tuple(machine["loadavg_start"])))
        print("tcpdump: %s; tcpreplay: %s" % (versions["tcpdump"], versions["tcpreplay"]))
        print("tlssniff: %s (%s)%s" % (versions["tlssniff"], args.bin,
                                       "; args: " + shlex.join(args.extra) if args.extra else ""))
        print("capture: %s (%d packets, %.1f MB, %d TLS connections%s)"
              % (cap["path"], cap["packets"], cap["bytes"] / 1e6, cap["connections"],
                 ", has IPv6" if cap["ipv6"] else ""))
        print("rates: %s; %d runs per rate and tool, tools alternating: %s"
              % (" ".join(args.rates), args.runs, " ".join(args.tools)))
        sys.stdout.flush()

        results = benchmark(args, work, shm, capture, truth)
        machine["loadavg_end"] = os.getloadavg()
        print()
        print_table(args.rates, results)
        print("load average at end: %.2f %.2f %.2f" % machine["loadavg_end"])
        if args.json:
            args.json.write_text(json.dumps({
                "machine": machine, "versions": versions, "capture": cap,
                "rates": args.rates, "runs": args.runs, "tools": args.tools,
                "tlssniff_args": args.extra, "results": results}, indent=2) + "\n")
            print("raw figures: %s" % args.json)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        stop_all_started()
        teardown_network()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print("live_compare: %s" % e, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("live_compare: interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
