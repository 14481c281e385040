#!/usr/bin/env python3
"""ClickHouse views (contrib/clickhouse/) against tlssniff's own summary.

Loads `tlssniff --format jsonl` of every fixture, and of a generated
four-sensor set, into a real ClickHouse engine (chDB, the in-process
ClickHouse: `pip install chdb`), and checks that every view equals
`tlssniff --format summary-json` of the same input: the version mixes,
outcomes, per-client and per-server rows with their readiness verdicts,
the verdict counts, the legacy list and the failures.

The four-sensor set is four `tlssniff-gen` captures (different seeds, so
the same client addresses turn up at several sensors), each run with its
own `--sensor`; their records together must give the verdicts of one
tlssniff run over all four captures.

Usage: python3 tests/clickhouse_check.py [target/release/tlssniff]
       python3 tests/clickhouse_check.py BIN --show CAPTURE...   (print the views)
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

from chdb import session

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SQL = [os.path.join(ROOT, "contrib", "clickhouse", f) for f in ("schema.sql", "views.sql")]

checks = 0
failures = []


def check(what, got, want):
    global checks
    checks += 1
    if got != want:
        failures.append(f"{what}: views {got!r} != summary {want!r}")


def statements(path):
    text = re.sub(r"--[^\n]*", "", open(path).read())
    # Statements end with ";" at the end of a line (strings may hold one).
    return [s for s in re.split(r";[ \t]*(?:\n|$)", text) if s.strip()]


def rows(sess, query):
    out = sess.query(query, "JSONEachRow").bytes().decode()
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def iso(ts):
    """ClickHouse's DateTime64 text as tlssniff writes timestamps."""
    return None if ts is None else ts.replace(" ", "T") + "Z"


def mix(pairs):
    """{version: n} without the NULL version, and the NULL count."""
    named = {v: n for v, n in pairs if v is not None}
    return named, sum(n for v, n in pairs if v is None)


def readiness(row):
    """A clients or servers view row's verdict and counts, as summary-json has them."""
    counts = {k: int(row[k]) for k in ("meets", "client_cannot", "held_back", "unknown")}
    return {"verdict": row["verdict"], **counts}


def run(binary, args):
    out = subprocess.run([binary] + args, capture_output=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"tlssniff {args}: {out.stderr.decode(errors='replace')}")
    return out.stdout


def compare(sess, name, summary):
    """Every view of the loaded records against `summary` (summary-json)."""
    q = lambda sql: rows(sess, sql)  # noqa: E731
    t = summary["totals"]["unlisted"]
    if any(t.values()):
        failures.append(f"{name}: summary lists were capped ({t}); not comparable")
        return
    versions, not_negotiated = mix(
        [(r["version"], int(r["connections"])) for r in q("SELECT * FROM tlssniff.version_mix")]
    )
    check(f"{name} version_mix", versions, summary["versions"])
    check(f"{name} not negotiated", not_negotiated, summary["not_negotiated"])
    offered, _ = mix(
        [(r["max_offered"], int(r["connections"])) for r in q("SELECT * FROM tlssniff.max_offered_mix")]
    )
    check(f"{name} max_offered_mix", offered, summary["max_offered"])
    outcomes = {r["outcome"]: int(r["connections"]) for r in q("SELECT * FROM tlssniff.outcomes")}
    check(f"{name} outcomes", outcomes, {k: v for k, v in summary["outcomes"].items() if v})
    rd = summary["readiness"]
    by_class = {r["readiness"]: int(r["connections"]) for r in q("SELECT * FROM tlssniff.readiness_connections")}
    check(f"{name} readiness connections", by_class, {k: v for k, v in rd["connections"].items() if v})
    by_verdict = {r["verdict"]: int(r["clients"]) for r in q("SELECT * FROM tlssniff.readiness_clients")}
    check(f"{name} readiness clients", by_verdict, {k: v for k, v in rd["clients"].items() if v})
    by_verdict = {r["verdict"]: int(r["servers"]) for r in q("SELECT * FROM tlssniff.readiness_servers")}
    check(f"{name} readiness servers", by_verdict, {k: v for k, v in rd["servers"].items() if v})

    # Clients.
    cv = defaultdict(list)
    for r in q("SELECT * FROM tlssniff.client_versions"):
        cv[r["client_ip"]].append((r["version"], int(r["connections"])))
    co = defaultdict(list)
    for r in q("SELECT * FROM tlssniff.client_max_offered"):
        co[r["client_ip"]].append((r["max_offered"], int(r["connections"])))
    clients = {r["client_ip"]: r for r in q("SELECT * FROM tlssniff.clients")}
    check(f"{name} clients", sorted(clients), sorted(c["ip"] for c in summary["clients"]))
    for c in summary["clients"]:
        r = clients.get(c["ip"])
        if r is None:
            continue
        versions, nn = mix(cv[c["ip"]])
        got = {
            "connections": int(r["connections"]),
            "versions": versions,
            "not_negotiated": nn,
            "max_offered": mix(co[c["ip"]])[0],
            "offers_3des": int(r["offers_3des"]),
            "uses_3des": int(r["uses_3des"]),
            "legacy": int(r["legacy"]),
            "failed": int(r["failed"]),
            "fallback_scsv": int(r["fallback_scsv"]),
            "first_seen": iso(r["first_seen"]),
            "last_seen": iso(r["last_seen"]),
            "readiness": readiness(r),
        }
        want = {k: c[k] for k in got}
        check(f"{name} client {c['ip']}", got, want)

    # Servers.
    sv = defaultdict(list)
    for r in q("SELECT * FROM tlssniff.server_versions"):
        sv[(r["server_ip"], int(r["server_port"]))].append((r["version"], int(r["connections"])))
    servers = {(r["server_ip"], int(r["server_port"])): r for r in q("SELECT * FROM tlssniff.servers")}
    check(
        f"{name} servers",
        sorted(servers),
        sorted((s["ip"], s["port"]) for s in summary["servers"]),
    )
    for s in summary["servers"]:
        key = (s["ip"], s["port"])
        r = servers.get(key)
        if r is None:
            continue
        versions, nn = mix(sv[key])
        got = {
            "connections": int(r["connections"]),
            "versions": versions,
            "not_negotiated": nn,
            "uses_3des": int(r["uses_3des"]),
            "failed": int(r["failed"]),
            "first_seen": iso(r["first_seen"]),
            "last_seen": iso(r["last_seen"]),
            "readiness": readiness(r),
        }
        check(f"{name} server {key}", got, {k: s[k] for k in got})

    # The legacy list.
    got = Counter()
    for r in q("SELECT * FROM tlssniff.legacy"):
        key = (r["client_ip"], r["server_ip"], int(r["server_port"]), r["sni"], r["version"],
               r["max_offered"], r["cipher"], r["server_supports"])
        got[key] = (int(r["connections"]), iso(r["first_seen"]), iso(r["last_seen"]))
    want = Counter()
    for u in summary["legacy"]:
        key = (u["client"], u["server"]["ip"], u["server"]["port"], u["sni"], u["version"],
               u["max_offered"], u["cipher"], u["server_supports"])
        want[key] = (u["connections"], u["first_seen"], u["last_seen"])
    check(f"{name} legacy", dict(got), dict(want))

    # Failures, with the summary's reasons.
    got = {}
    for r in q("SELECT * FROM tlssniff.failures"):
        key = (r["client_ip"], r["server_ip"], int(r["server_port"]), r["sni"], r["outcome"],
               r["max_offered"], r["reason"])
        got[key] = (int(r["connections"]), iso(r["first_seen"]), iso(r["last_seen"]))
    want = {}
    for f in summary["failures"]:
        key = (f["client"], f["server"]["ip"], f["server"]["port"], f["sni"], f["outcome"],
               f["max_offered"], f["reason"])
        want[key] = (f["connections"], f["first_seen"], f["last_seen"])
    check(f"{name} failures", got, want)


def load(sess, jsonl):
    sess.query("TRUNCATE TABLE tlssniff.connections")
    if jsonl.strip():
        sess.query(
            "INSERT INTO tlssniff.connections SETTINGS input_format_skip_unknown_fields = 1 "
            "FORMAT JSONEachRow\n" + jsonl.decode()
        )


SHOWN = [
    "SELECT * FROM tlssniff.version_mix ORDER BY connections DESC",
    "SELECT * FROM tlssniff.readiness_clients ORDER BY clients DESC",
    "SELECT client_ip, connections, legacy, failed, client_cannot, held_back, verdict, sensors\n"
    "FROM tlssniff.clients ORDER BY connections DESC",
    "SELECT server_ip, server_port, connections, negotiated_below, refused_below, verdict\n"
    "FROM tlssniff.servers ORDER BY connections DESC",
    "SELECT client_ip, server_ip, sni, version, max_offered, cipher, connections\n"
    "FROM tlssniff.legacy ORDER BY connections DESC",
    "SELECT client_ip, server_ip, outcome, connections, reason\n"
    "FROM tlssniff.failures ORDER BY connections DESC, client_ip",
]


def show(sess, binary, captures):
    """Loads the captures' records and prints the views, as an operator would."""
    load(sess, b"".join(
        run(binary, ["--format", "jsonl", "--sensor", os.path.basename(c).split(".")[0], c])
        for c in captures
    ))
    for query in SHOWN:
        fmt = "Vertical" if "tlssniff.failures" in query else "PrettyCompactMonoBlock"
        print(query + ";")
        print(sess.query(query, fmt).bytes().decode())


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/tlssniff")
    gen = os.path.join(os.path.dirname(binary), "tlssniff-gen")
    sess = session.Session()
    for path in SQL:
        for stmt in statements(path):
            sess.query(stmt)
    if len(sys.argv) > 3 and sys.argv[2] == "--show":
        show(sess, binary, sys.argv[3:])
        return

    fixtures = sorted(
        os.path.join(ROOT, "fixtures", f)
        for f in os.listdir(os.path.join(ROOT, "fixtures"))
        if f.endswith((".pcap", ".pcapng", ".saz"))
    )
    for f in fixtures:
        name = os.path.basename(f)
        load(sess, run(binary, ["--format", "jsonl", "--sensor", "fixtures", f]))
        compare(sess, name, json.loads(run(binary, ["--format", "summary-json", f])))

    with tempfile.TemporaryDirectory() as tmp:
        captures = []
        for seed in range(1, 5):
            cap = os.path.join(tmp, f"sensor{seed}.pcap")
            subprocess.run(
                [gen, "--handshake-only", "--connections", "600", "--seed", str(seed), "-o", cap],
                check=True, capture_output=True,
            )
            captures.append(cap)
        records = b"".join(
            run(binary, ["--format", "jsonl", "--sensor", f"sensor-{i}", cap])
            for i, cap in enumerate(captures, 1)
        )
        load(sess, records)
        shared = rows(sess, "SELECT count() AS n FROM tlssniff.clients WHERE length(sensors) > 1")
        multi = int(shared[0]["n"])
        check("four sensors: clients seen at more than one sensor", multi > 0, True)
        judged = rows(
            sess,
            "SELECT count() AS n FROM tlssniff.clients WHERE length(sensors) > 1 "
            "AND verdict != 'ready'",
        )
        compare(sess, "four sensors", json.loads(run(binary, ["--format", "summary-json"] + captures)))
        sensors = rows(sess, "SELECT sensor, count() AS n FROM tlssniff.connections GROUP BY sensor ORDER BY sensor")
        print(
            f"four sensors: {sum(int(s['n']) for s in sensors)} records from "
            f"{len(sensors)} sensors; {multi} clients seen at two or more sensors "
            f"({int(judged[0]['n'])} of them not ready)"
        )

    print(f"clickhouse_check: {len(fixtures)} fixtures and the four-sensor set, "
          f"{checks} checks, {len(failures)} failed")
    for f in failures[:40]:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
