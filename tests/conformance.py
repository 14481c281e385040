#!/usr/bin/env python3
"""Corpus conformance check: compare `tlssniff --format jsonl` with tshark ground truth.

For every capture that has a truth file (see the corpus README for the truth
format), run tlssniff, match its connections to the truth connections by the
unordered TCP 4-tuple, compare field by field, print a matrix (captures x
fields, cells `matched/compared`) and the mismatches, and gate against a
baseline of matched counts (exit 1 when a count drops). A run that checked
nothing (no corpus, no truth files) exits 1 unless --allow-empty says that is
expected. The binary is the release (else debug) build under $CARGO_TARGET_DIR
or target/, or --bin PATH.

    python3 tests/conformance.py [--corpus DIR] [--bin PATH] [--captures DIR --truth DIR]
                                 [--baseline FILE] [--write-baseline] [--allow-empty] [-v]

Standard library only (Python 3.11).
"""

import argparse
import os
import ipaddress
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = REPO / "tests" / "conformance-baseline.json"
TIMEOUT_S = 60
MISMATCHES_SHOWN = 5  # per field per capture without -v

VERSION_CODES = {"SSL 2.0": 0x0002, "SSL 3.0": 0x0300, "TLS 1.0": 0x0301,
                 "TLS 1.1": 0x0302, "TLS 1.2": 0x0303, "TLS 1.3": 0x0304}
LEVELS = {"warning": 1, "fatal": 2}
# truth outcome -> the tlssniff outcomes that agree with it. tshark's outcome is
# coarser than ours: "negotiated" is a ServerHello without a fatal cleartext alert,
# which tlssniff splits into established (the handshake completed), aborted (closed
# or reset before it completed) and incomplete (the capture does not show the end);
# "alert" is any fatal cleartext alert, also one that only answers the other side's
# close after the ServerHello (tlssniff: aborted).
# A capture with one direction only (nothing from the server, not even an ACK)
# is one_sided in tlssniff: tshark calls it reset or no_server_hello.
OUTCOMES = {"negotiated": {"established", "aborted", "incomplete"},
            "alert": {"rejected", "aborted"}, "reset": {"reset", "one_sided"},
            "no_server_hello": {"no_response", "incomplete", "one_sided"}}
SUITE_LINE = re.compile(r'\(\s*0x([0-9A-Fa-f]+)\s*,\s*"([A-Za-z0-9_]+)"')


def load_suite_codes(path):
    """Map cipher suite / SSL 2.0 spec names to their numeric codes, read from suites.rs."""
    codes = {}
    for line in path.read_text().splitlines():
        m = SUITE_LINE.search(line)
        if m:
            codes[m.group(2)] = int(m.group(1), 16)
    return codes


def hexcode(value):
    """Parse a `0x...` string to int; None stays None."""
    return None if value is None else int(value, 16)


def fmt_code(code):
    """An int code as lowercase hex (`0x%04x`, `0x%06x` above 0xffff); anything else as is."""
    if not isinstance(code, int) or isinstance(code, bool):
        return code
    return f"0x{code:06x}" if code > 0xFFFF else f"0x{code:04x}"


def is_grease(code):
    """RFC 8701 GREASE value: 0x?A?A with both bytes equal."""
    return code <= 0xFFFF and (code >> 8) == (code & 0xFF) and (code & 0x0F) == 0x0A


class Ours:
    """Turns tlssniff's names into the truth's codes."""

    def __init__(self, suite_codes):
        self.suite_codes = suite_codes

    @staticmethod
    def version(name):
        """Version name (`TLS 1.2`, `0x7f10`) -> code; None stays None."""
        if name is None or name in VERSION_CODES:
            return VERSION_CODES.get(name)
        return int(name, 16) if name.startswith("0x") else name  # unknown names as themselves

    def suite(self, name):
        """Suite name or `0x...` -> code (SSL 2.0 specs as 3-byte codes; 0x00XXYY == 0xXXYY)."""
        if name is None:
            return None
        if name.startswith("0x"):
            return int(name, 16)
        return self.suite_codes.get(name, name)  # unknown names compare as themselves


def endpoint(ep):
    """(normalised ip, port) of a `{ip, port}` object."""
    return (str(ipaddress.ip_address(ep["ip"])), int(ep["port"]))


def conn_key(conn):
    """Unordered 4-tuple key of a truth or tlssniff connection."""
    return frozenset([endpoint(conn["client"]), endpoint(conn["server"])])


def describe(conn):
    """`client -> server` for messages."""
    (cip, cport), (sip, sport) = endpoint(conn["client"]), endpoint(conn["server"])
    return f"{cip}:{cport} -> {sip}:{sport}"


def max_offered_code(t):
    """Code of the truth's max_offered_version (tshark's name; drafts looked up in the offer)."""
    name = t["max_offered_version"]
    if name is None or name in VERSION_CODES:
        return VERSION_CODES.get(name)
    if name.startswith("0x"):
        return int(name, 16)
    if t["supported_versions"] and name in t["offered_versions"]:
        return hexcode(t["supported_versions"][t["offered_versions"].index(name)])
    m = re.search(r"draft (\d+)", name)  # not in the offer: tshark's naming scheme
    return ((0xFB00 if "Facebook" in name else 0x7F00) + int(m.group(1))) if m else name


def field_values(t, o, conv):
    """{field: (truth value, our value)} for one matched connection pair, comparable with ==."""
    ch = o.get("client_hello") or {}
    svs = ch.get("supported_versions")
    tciphers = [c for c in map(hexcode, t["offered_ciphers"]) if not is_grease(c)]
    talerts = [(a["from"], a["level"], a["description"]) for a in t["alerts"]]
    oalerts = [(a["from"], LEVELS.get(a["level"], a["level"]), a.get("code")) for a in o["alerts"]]
    return {
        "roles": ((endpoint(t["client"]), endpoint(t["server"])),
                  (endpoint(o["client"]), endpoint(o["server"]))),
        "record_version": (hexcode(t["client_hello_record_version"]), conv.version(ch.get("record_version"))),
        "legacy_version": (hexcode(t["client_hello_legacy_version"]), conv.version(ch.get("legacy_version"))),
        "supported_versions": (None if t["supported_versions"] is None else list(map(hexcode, t["supported_versions"])),
                               None if svs is None else list(map(conv.version, svs))),
        "max_offered": (max_offered_code(t), conv.version(ch.get("max_version"))),
        "offered_ciphers": (tciphers, [conv.suite(s) for s in ch.get("cipher_suites") or []]),
        "sni": (t["sni"], ch.get("sni")),
        "fallback_scsv": (t["fallback_scsv"], ch.get("fallback_scsv")),
        "sslv2_format": (t["client_hello_format"] == "sslv2", ch.get("sslv2_format")),
        "offers_3des": (t["offers_3des"], o.get("offers_3des")),
        "hello_retry_request": (t["hello_retry_request"], o.get("hello_retry_request")),
        "client_hellos": (t["client_hellos"], o.get("client_hellos")),
        "negotiated_version": (hexcode(t["negotiated_version_code"]), conv.version(o.get("version"))),
        "cipher": (hexcode(t["cipher"]), conv.suite(o.get("cipher"))),
        "cipher_name": (t["cipher_name"], o.get("cipher")),
        "uses_3des": (bool(t["is_3des"]), o.get("uses_3des")),  # truth null (no ServerHello) = no 3DES
        "resumed": (t["resumed"], o.get("resumed")),
        "alerts": (talerts, oalerts),
        "outcome": (t["outcome"], o.get("outcome")),
    }


FIELDS = ["roles", "record_version", "legacy_version", "supported_versions", "max_offered",
          "offered_ciphers", "sni", "fallback_scsv", "sslv2_format", "offers_3des",
          "hello_retry_request", "client_hellos", "negotiated_version", "cipher", "cipher_name",
          "uses_3des", "resumed", "alerts", "outcome"]
SHORT = {"roles": "roles", "record_version": "recv", "legacy_version": "legv",
         "supported_versions": "supv", "max_offered": "maxv", "offered_ciphers": "ciphs",
         "sni": "sni", "fallback_scsv": "fbscsv", "sslv2_format": "v2fmt", "offers_3des": "off3d",
         "hello_retry_request": "hrr", "client_hellos": "nch", "negotiated_version": "negv",
         "cipher": "ciph", "cipher_name": "cname", "uses_3des": "use3d", "resumed": "resum",
         "alerts": "alerts", "outcome": "outc"}


def agrees(field, truth, ours):
    """Whether a truth value and our value agree for a field."""
    if field == "outcome":
        return ours in OUTCOMES.get(truth, {truth})
    return truth == ours


def show(field, value):
    """A value as printed in the mismatch list (codes back to hex)."""
    if field in ("record_version", "legacy_version", "max_offered", "negotiated_version", "cipher"):
        return fmt_code(value) if value is not None else "null"
    if field in ("supported_versions", "offered_ciphers") and value is not None:
        return "[" + ", ".join(str(fmt_code(v)) for v in value) + "]"
    if field == "roles":
        return "client %s:%s, server %s:%s" % (*value[0], *value[1])
    return json.dumps(value)


def run_tlssniff(binary, capture):
    """Run tlssniff on a capture; return (connections, error message or None)."""
    try:
        proc = subprocess.run([str(binary), "-q", "--format", "jsonl", str(capture)],
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {TIMEOUT_S} s"
    except OSError as err:
        return [], f"cannot run {binary}: {err}"
    if proc.returncode != 0:
        return [], f"exit status {proc.returncode}: {proc.stderr.strip()[-500:]}"
    try:
        records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        # A TDS connection without any TLS (a cleartext SQL Server login) is a
        # record of its own, with nothing for tshark's TLS truth to compare.
        # QUIC records are checked against the UDP truth (tests/udp_check.py):
        # this truth is TCP's.
        return [r for r in records if r.get("outcome") != "unencrypted"
                and r.get("transport", "tcp") == "tcp"], None
    except json.JSONDecodeError as err:
        return [], f"invalid jsonl output: {err}"


def compare_capture(truth_conns, ours, conv):
    """Match and compare one capture: counts, per-field [matched, compared] and mismatch list."""
    by_key = defaultdict(list)
    for o in ours:
        by_key[conn_key(o)].append(o)
    counts = {"truth": len(truth_conns), "matched": 0, "missing": 0, "extra": 0}
    splits = defaultdict(int)
    fields = {f: [0, 0] for f in FIELDS}
    mismatches, missing = [], []
    for t in truth_conns:
        candidates = by_key.get(conn_key(t))
        if not candidates:
            counts["missing"] += 1
            missing.append(describe(t))
            continue
        o = candidates.pop(0)
        counts["matched"] += 1
        splits[(t["outcome"], o.get("outcome"))] += 1
        for field, (tv, ov) in field_values(t, o, conv).items():
            fields[field][1] += 1
            if agrees(field, tv, ov):
                fields[field][0] += 1
            else:
                mismatches.append((describe(t), field, show(field, tv), show(field, ov)))
    extra = [describe(o) for rest in by_key.values() for o in rest]
    counts["extra"] = len(extra)
    counts["splits"] = dict(splits)
    return counts, fields, mismatches, missing, extra


def find_runs(captures_dir, truth_dir):
    """(capture path, truth path or None) for every capture file, sorted by name."""
    runs = []
    for cap in sorted(captures_dir.iterdir()):
        if cap.is_file() and re.search(r"\.pcap(ng)?(\.gz|\.zst)?$", cap.name):
            stem = re.sub(r"\.pcap(ng)?(\.gz|\.zst)?$", "", cap.name)
            truth = truth_dir / f"{stem}.json"
            runs.append((cap, truth if truth.is_file() else None))
    return runs


def print_matrix(results):
    """Print the captures x fields matrix with a totals row."""
    cols = ["conns", "miss", "extra"] + [SHORT[f] for f in FIELDS]
    width = max(len(r["name"]) for r in results) + 2
    print("legend: " + ", ".join(f"{SHORT[f]}={f}" for f in FIELDS))
    print("conns = truth connections matched/in truth; '*' = tshark could only partly read a ClientHello")
    print("".ljust(width) + " ".join(c.rjust(7) for c in cols))
    totals = {"matched": 0, "truth": 0, "missing": 0, "extra": 0, "fields": {f: [0, 0] for f in FIELDS}}
    for r in results:
        if r["error"]:
            print(r["name"].ljust(width) + f"ERROR: {r['error']}")
            continue
        c = r["counts"]
        cells = [f"{c['matched']}/{c['truth']}", str(c["missing"]), str(c["extra"])]
        cells += [f"{m}/{n}" if n else "-" for m, n in (r["fields"][f] for f in FIELDS)]
        label = r["name"] + ("*" if r["partial"] else "")
        print(label.ljust(width) + " ".join(x.rjust(7) for x in cells))
        for key in ("matched", "truth", "missing", "extra"):
            totals[key] += c[key]
        for f in FIELDS:
            totals["fields"][f][0] += r["fields"][f][0]
            totals["fields"][f][1] += r["fields"][f][1]
    cells = [f"{totals['matched']}/{totals['truth']}", str(totals["missing"]), str(totals["extra"])]
    cells += [f"{m}/{n}" for m, n in (totals["fields"][f] for f in FIELDS)]
    print("TOTAL".ljust(width) + " ".join(x.rjust(7) for x in cells))
    return totals


def print_details(results, verbose):
    """Print the mismatches and notes per capture."""
    for r in results:
        if r["error"]:
            continue
        lines = []
        if r["partial"]:
            lines.append("  note: tshark itself could only partly read a ClientHello here (truth "
                         "`partial`); its offer fields are what tshark could read")
        if r["counts"]["matched"] == 0:
            lines.append(f"  note: no connection matched (truth {r['counts']['truth']}, "
                         f"tlssniff reported {len(r['extra'])})")
        lines += [f"  missing (in truth, not reported): {m}" for m in r["missing"]]
        lines += [f"  extra (reported, not in truth): {e}" for e in r["extra"]]
        shown = defaultdict(int)
        for conn, field, tv, ov in r["mismatches"]:
            shown[field] += 1
            if verbose or shown[field] <= MISMATCHES_SHOWN:
                lines.append(f"  {field}: {conn}: truth {tv} / tlssniff {ov}")
        hidden = sum(max(0, n - MISMATCHES_SHOWN) for n in shown.values())
        if hidden and not verbose:
            lines.append(f"  ... {hidden} more mismatches (use -v)")
        if lines:
            print(f"\n{r['name']}:")
            print("\n".join(lines))


def baseline_counts(r):
    """The counts of one capture kept in the baseline (all matched counts, plus `extra`)."""
    return {"connections": r["counts"]["matched"], "extra": r["counts"]["extra"],
            **{f: r["fields"][f][0] for f in FIELDS}}


def check_baseline(results, baseline_path):
    """Regressions against the baseline file (list of messages)."""
    if not baseline_path or not baseline_path.is_file():
        print(f"\nno baseline ({baseline_path or 'use --baseline FILE'}): regression gate skipped")
        return []
    baseline = json.loads(baseline_path.read_text())["captures"]
    current = {r["name"]: r for r in results}
    problems = []
    for name, base in sorted(baseline.items()):
        r = current.get(name)
        if r is None:
            problems.append(f"{name}: in the baseline but not in this run")
            continue
        if r["error"]:
            continue  # reported as an error already
        now = baseline_counts(r)
        for key, was in base.items():
            if key == "extra" and now["extra"] > was:
                problems.append(f"{name}: extra connections {now['extra']} > baseline {was}")
            elif key != "extra" and now.get(key, 0) < was:
                problems.append(f"{name}: {key} {now.get(key, 0)} < baseline {was}")
    return problems


def write_baseline(results, path):
    """Write the matched counts of this run as the new baseline."""
    data = {"comment": "matched counts per capture per field; tests/conformance.py fails if one drops "
                       "or `extra` (connections not in the truth) rises; rewrite with --write-baseline",
            "captures": {r["name"]: baseline_counts(r) for r in results if not r["error"]}}
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"\nbaseline written to {path}")


def parse_args():
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    p.add_argument("--bin", type=Path, default=None,
                   help="the tlssniff binary (default: release, else debug build under "
                   "$CARGO_TARGET_DIR or target/)")
    p.add_argument("--allow-empty", action="store_true",
                   help="exit 0 even when no capture was checked (e.g. no corpus on this machine)")
    p.add_argument("--captures", type=Path, help="captures folder (default CORPUS/captures)")
    p.add_argument("--truth", type=Path, help="truth folder (default CORPUS/truth, or CAPTURES/truth)")
    p.add_argument("--baseline", type=Path, help=f"default {DEFAULT_BASELINE.relative_to(REPO)} "
                   "(only for the default corpus)")
    p.add_argument("--write-baseline", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = p.parse_args()
    if args.bin is None:
        target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
        if not target.is_absolute():
            target = REPO / target
        found = [b for b in (target / "release" / "tlssniff", target / "debug" / "tlssniff")
                 if b.exists()]
        if not found:
            p.error(f"no tlssniff binary under {target} (build it with `cargo build --release`, "
                    "set CARGO_TARGET_DIR, or pass --bin PATH)")
        args.bin = found[0]
    if args.captures is None:
        args.captures = args.corpus / "captures"
        args.truth = args.truth or args.corpus / "truth"
        args.baseline = args.baseline or DEFAULT_BASELINE
    args.truth = args.truth or args.captures / "truth"
    return args


def main():
    """Run every capture, print the report, apply the baseline gate; return the exit status."""
    args = parse_args()
    if not args.captures.is_dir():
        print(f"note: no captures at {args.captures}: nothing checked")
        return 0 if args.allow_empty else 1
    conv = Ours(load_suite_codes(REPO / "src" / "tls" / "suites.rs"))
    results, skipped = [], []
    for cap, truth_path in find_runs(args.captures, args.truth):
        truth = json.loads(truth_path.read_text()) if truth_path else {}
        if "connections" not in truth:  # no truth, or UDP truth (`udp_connections`)
            skipped.append((cap.name, "UDP: QUIC/DTLS, out of scope" if "udp_connections" in truth
                            or cap.name.startswith("udp-") else "no truth file"))
            continue
        ours, error = run_tlssniff(args.bin, cap)
        r = {"name": cap.name, "error": error,
             "partial": any(t.get("partial") for t in truth["connections"])}
        if not error:
            (r["counts"], r["fields"], r["mismatches"],
             r["missing"], r["extra"]) = compare_capture(truth["connections"], ours, conv)
        results.append(r)
    if not results:
        print(f"note: no capture with a truth file under {args.captures}: nothing checked")
        return 0 if args.allow_empty else 1
    print(f"tlssniff: {args.bin}\ncaptures: {args.captures}\n")
    totals = print_matrix(results)
    for name, reason in skipped:
        print(f"{name}: not analysed ({reason})")
    print_details(results, args.verbose)
    splits = defaultdict(int)
    for r in results:
        for k, n in (r.get("counts") or {}).get("splits", {}).items():
            splits[k] += n
    for truth_outcome in sorted({t for t, _ in splits}):
        ours = ", ".join(f"{o} {n}" for (t, o), n in sorted(splits.items()) if t == truth_outcome)
        print(f"outcomes: tshark {truth_outcome} -> tlssniff {ours}")
    fully = sum(1 for f in FIELDS if totals["fields"][f][0] == totals["fields"][f][1])
    print(f"\ntotals: {totals['matched']}/{totals['truth']} truth connections matched, "
          f"{totals['missing']} missing, {totals['extra']} extra; "
          f"{fully}/{len(FIELDS)} fields fully matching")
    errors = [f"{r['name']}: {r['error']}" for r in results if r["error"]]
    if args.write_baseline:
        write_baseline(results, args.baseline or DEFAULT_BASELINE)
        problems = []
    else:
        problems = check_baseline(results, args.baseline)
    for msg in errors:
        print(f"ERROR {msg}")
    for msg in problems:
        print(f"REGRESSION {msg}")
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
