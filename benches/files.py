#!/usr/bin/env python3
"""File throughput, side by side: the floor probe, one thread and two threads
on the same capture, each read with `read()` (the default; two threads are
then two parallel readers, each reading the file itself), through the
memory map (`--mmap`; two parallel readers walking the map) and, for the
threads, as a stream (`--no-mmap`; a capture thread and two workers), run
in turn (floor, floor+lookup, 1 thread, 2 threads, floor, ...) so that a
slow moment of the machine hits every variant alike. Prints the median of
each, then the two figures issue 16 asks for: one thread's time over the
floor probe's, and two threads' speed-up over one; and beside them the
time of the floor probe that also looks each packet's flow up in the flow
table (`bench --floor=lookup`), the least a connection tracker does per
packet. Issue 16 states its floor as a walk of the memory-mapped file, so
the default one-thread run is also given over the mapped floor.

    cargo build --release
    target/release/tlssniff-gen --size-mb 1000 -o /tmp/bulk.pcap
    target/release/tlssniff-gen --handshake-only --connections 30000 -o /tmp/hs30k.pcap
    benches/files.py /tmp/bulk.pcap /tmp/hs30k.pcap --runs 9

The times are the ones `tlssniff bench` prints (the run itself, without
process start-up); the file is read once first so every run reads it from
the page cache.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

TIME = re.compile(r"^(?:floor|stats): \d+ packets in ([0-9.]+) s", re.M)


FLAGS = {"read": [], "mmap": ["--mmap"], "stream": ["--no-mmap"]}


def variants(read_modes):
    for mode in read_modes:
        extra = FLAGS[mode]
        # A stream is read like a file by the probes and by one thread.
        if mode != "stream":
            yield ("floor", mode), ["--floor", *extra]
            yield ("floor+lookup", mode), ["--floor=lookup", *extra]
            yield ("1 thread", mode), ["--threads", "1", *extra]
        yield ("2 threads", mode), ["--threads", "2", *extra]


def seconds(binary, args, capture):
    out = subprocess.run(
        [binary, "bench", *args, capture],
        check=True,
        capture_output=True,
        text=True,
    )
    m = TIME.search(out.stdout + out.stderr)
    if not m:
        sys.exit(f"no time in the output of {binary} bench {' '.join(args)}")
    return float(m.group(1))


def measure(binary, capture, runs, read_modes):
    with open(capture, "rb") as f:
        while f.read(1 << 24):
            pass
    times = {}
    for _ in range(runs):
        for key, args in variants(read_modes):
            times.setdefault(key, []).append(seconds(binary, args, capture))
    return {k: statistics.median(v) for k, v in times.items()}, times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("captures", nargs="+")
    ap.add_argument("--bin", default="target/release/tlssniff")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument(
        "--read-modes",
        nargs="+",
        default=["read", "mmap", "stream"],
        choices=["read", "mmap", "stream"],
        help="how the file is read: read() (the default), mapped, a stream",
    )
    a = ap.parse_args()
    print(f"{a.bin}, {a.runs} runs of each, in turn; medians; {os.cpu_count()} cores")
    for capture in a.captures:
        med, _ = measure(a.bin, capture, a.runs, a.read_modes)
        print(f"\n{capture}")
        print(f"  {'':<22}{'seconds':>9}{'min':>9}{'max':>9}")
        for key, t in _.items():
            print(f"  {key[0] + ' (' + key[1] + ')':<22}{med[key]:>9.3f}{min(t):>9.3f}{max(t):>9.3f}")
        for mode in a.read_modes:
            if mode == "stream":
                if ("1 thread", "read") in med:
                    one = med[("1 thread", "read")]
                    print(f"  stream: 2 threads speed-up over 1 (read): {one / med[('2 threads', mode)]:.2f}x")
                continue
            floor = med[("floor", mode)]
            lookup = med[("floor+lookup", mode)]
            one = med[("1 thread", mode)]
            two = med[("2 threads", mode)]
            print(
                f"  {mode}: 1 thread / floor {one / floor:.2f}x "
                f"(floor+lookup / floor {lookup / floor:.2f}x); "
                f"2 threads speed-up over 1: {one / two:.2f}x"
            )
        if ("1 thread", "read") in med and ("floor", "mmap") in med:
            print(
                f"  1 thread (read) / floor (mmap), the floor as issue 16 states it: "
                f"{med[('1 thread', 'read')] / med[('floor', 'mmap')]:.2f}x"
            )


if __name__ == "__main__":
    main()
