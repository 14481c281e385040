#!/usr/bin/env python3
"""What writing the HTML report adds to a run's wall time.

Runs `tlssniff --format table -o /dev/null CAPTURE` and
`tlssniff --format html -o OUT.html CAPTURE` alternately (RUNS times each,
after one warm-up of each, so both see the same page cache and machine
state), and prints the medians and their ratio. `--format html` includes
what it implies (`--bucket auto`).

    python3 benches/html_overhead.py target/release/tlssniff /tmp/bulk.pcap [RUNS]

The 1 GB capture: `tlssniff-gen --size-mb 1000 -o /tmp/bulk.pcap`.
"""
import statistics
import subprocess
import sys
import tempfile
import time


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    binary, capture = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    out = tempfile.NamedTemporaryFile(suffix=".html", delete=False).name
    table = [binary, "--format", "table", "-o", "/dev/null", capture]
    html = [binary, "--format", "html", "-o", out, capture]
    wall(table), wall(html)
    t, h = [], []
    for _ in range(runs):
        t.append(wall(table))
        h.append(wall(html))
    mt, mh = statistics.median(t), statistics.median(h)
    print(f"table: median {mt * 1000:.1f} ms (min {min(t) * 1000:.1f}, max {max(t) * 1000:.1f})")
    print(f"html:  median {mh * 1000:.1f} ms (min {min(h) * 1000:.1f}, max {max(h) * 1000:.1f})")
    print(f"html / table: {mh / mt:.3f} ({(mh / mt - 1) * 100:+.1f} %), {runs} runs each, alternating")


if __name__ == "__main__":
    main()
