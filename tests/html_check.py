#!/usr/bin/env python3
"""The HTML report in a real browser: headless Chromium, scripts on and off.

For each capture (the demo, a generated ~300-client capture, a SQL Server
(TDS) fixture, a Fiddler archive, and the demo with its SNI values replaced by script-like text of the same length), write
`--format html` and `--format summary-json --bucket auto` (the HTML report's
default buckets), load the page in `chromium --headless --dump-dom` with
scripts enabled and disabled, and check:

- every chart is drawn: each figure has its SVG marks (bars, segments),
  except figures whose numbers in summary-json are all zero;
- every number a chart or the verdict shows (`data-value`) equals the number
  at its `data-src` path in summary-json, and the tables' client, server and
  version counts equal summary-json's;
- no console message (a CSP violation, a script error) with scripts on;
- the script ran with scripts on (the table headers are sortable) and the
  page is complete with scripts off (the same charts and numbers);
- nothing executable came from the wire: exactly one script (the report's
  own, whose hash the CSP names), no event-handler attribute, no element
  outside the report's own set, no `src`, no link that leaves the page; the
  hostile names are in the page as text;
- a screenshot renders (PNG written) and the page prints (to PDF);
- on a SQL Server capture and a Fiddler archive, the SQL Server and the
  applications charts are there too.

    python3 tests/html_check.py target/release/tlssniff [--keep DIR] [--extra CAPTURE]...

Exit 1 on any failure. Standard library only (Python 3.11); needs
`chromium` (Debian's package) on PATH.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Tags the report itself writes. Anything else in the DOM came from somewhere
# it should not have.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3",
    "p", "section", "div", "span", "strong", "nav", "ol", "ul", "li", "a", "main",
    "figure", "figcaption", "svg", "g", "text", "rect", "line", "table", "thead",
    "tbody", "tr", "th", "td", "footer", "script", "input",
}
VOID = {"meta", "input", "br", "img", "link", "hr", "source", "area", "base", "col", "embed", "wbr"}

# The demo's names, each replaced by a hostile text of the same length (so the
# records stay valid), cut or padded with "x".
HOSTILE = {
    "legacy-erp.fixtures.test": "<script>alert(1)</script>",
    "portal.fixtures.test": '"><img src onerror=1>',
    "intranet.fixtures.test": "<svg/onload=alert(1)>",
    "api.fixtures.test": "javascript:alert(1)",
    "files.fixtures.test": "&lt;b&gt;&#60;i&gt;",
}

# Charts every report with connections has.
ALWAYS = {"chart-clients-readiness", "chart-servers-readiness", "chart-versions",
          "chart-max-offered", "chart-clients", "chart-servers", "chart-buckets",
          "chart-cipher-classes"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []  # Node or str

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, pred):
        return [n for n in self.walk() if pred(n)]

    def classes(self):
        return self.attrs.get("class", "").split()


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html):
    t = Tree()
    t.feed(html)
    return t.root


class Check:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"  FAIL {what}")
        return cond


def resolve(doc, path):
    """The number at `path` in summary-json (see src/report/chart.rs)."""
    nodes = [doc]
    for key in path:
        nxt = []
        for n in nodes:
            if isinstance(key, dict):
                for el in n if isinstance(n, list) else []:
                    if all(match(el, k, v) for k, v in key.items()):
                        nxt.append(el)
            elif isinstance(n, dict) and key in n:
                nxt.append(n[key])
            elif isinstance(n, list) and isinstance(key, int) and key < len(n):
                nxt.append(n[key])
        nodes = nxt
    nums = [n for n in nodes if isinstance(n, (int, float)) and not isinstance(n, bool)]
    return sum(nums) if nums else (0 if nodes == [] else None)


def match(el, k, v):
    if k.endswith("^"):
        return str(el.get(k[:-1], "")).split(" — ")[0] == v
    f = el.get(k)
    if isinstance(f, list):
        return v in f
    return f == v


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe
    (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-separated JSON), so
    that a page can be read with scripts disabled (the DOM and the screenshot
    are taken by the protocol, not by a script in the page)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="html-check-profile-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The child's fd 3 reads our commands, fd 4 writes its answers.
        def fds():
            # Copies first: a pipe end may already be fd 3 or 4 (and
            # close-on-exec); dup2 onto 3 and 4 makes them inherited.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", f"--user-data-dir={self.profile}",
             "--remote-debugging-pipe", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--window-size=1280,2000", "--hide-scrollbars", "about:blank"],
            preexec_fn=fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        for i, m in enumerate(self.events):
            if m.get("method") == method and m.get("sessionId") == session:
                del self.events[i]
                return m
        while True:
            m = self._read()
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def load(self, url, scripts):
        """The page's DOM after load, its console and log messages, and a
        PNG screenshot."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.events.clear()
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=s)
        self.send("Emulation.setScriptExecutionDisabled", {"value": not scripts}, session=s)
        self.send("Page.navigate", {"url": url}, session=s)
        self.wait_event("Page.loadEventFired", s)
        doc = self.send("DOM.getDocument", {"depth": -1}, session=s)
        dom = self.send("DOM.getOuterHTML", {"nodeId": doc["root"]["nodeId"]}, session=s)["outerHTML"]
        shot = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"}, session=s)["data"])
        self.pdf = base64.b64decode(self.send("Page.printToPDF", {}, session=s)["data"])
        messages = [m for m in self.events if m.get("sessionId") == s and m.get("method") in
                    ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")]
        self.send("Target.closeTarget", {"targetId": target})
        return dom, messages, shot

    def close(self):
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, timeout=600)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{binary} {args}: exit {p.returncode}: {p.stderr.decode()[:500]}")
    return p.stdout


def endpoint(ep):
    ip = ep["ip"]
    return f"[{ip}]:{ep['port']}" if ":" in ip else f"{ip}:{ep['port']}"


def table_rows(section, first_header):
    """Rows of the section's tables whose first column is `first_header`, as
    dicts of header -> cell text."""
    out = []
    for t in section.find(lambda n: n.tag == "table"):
        heads = [th.text().strip() for th in t.find(lambda n: n.tag == "th")]
        if not heads or heads[0] != first_header:
            continue
        for tr in t.find(lambda n: n.tag == "tr"):
            cells = [td.text().strip() for td in tr.children if isinstance(td, Node) and td.tag == "td"]
            if cells:
                out.append(dict(zip(heads, cells)))
    return out


def check_page(c, name, html_text, dom, summary, scripts, csp_script_hash, hostile):
    root = parse(dom)
    prefix = f"{name} (scripts {'on' if scripts else 'off'})"

    # Safety: only the report's own markup.
    tags = {n.tag for n in root.walk()} - {"#root"}
    c.ok(tags <= ALLOWED_TAGS, f"{prefix}: unexpected elements {sorted(tags - ALLOWED_TAGS)}")
    scripts_found = root.find(lambda n: n.tag == "script")
    c.ok(len(scripts_found) == 1, f"{prefix}: {len(scripts_found)} script elements")
    for s in scripts_found:
        digest = base64.b64encode(hashlib.sha256(s.text().encode()).digest()).decode()
        c.ok(f"'sha256-{digest}'" == csp_script_hash, f"{prefix}: the script is not the one the CSP allows")
    for n in root.walk():
        for k, v in n.attrs.items():
            v = v or ""
            c.ok(not k.startswith("on"), f"{prefix}: event handler {k}={v!r} on <{n.tag}>")
            c.ok(k not in ("src", "srcdoc", "style", "formaction", "xlink:href"), f"{prefix}: attribute {k} on <{n.tag}>")
            if k == "href":
                c.ok(v.startswith("#"), f"{prefix}: a link leaves the page: {v!r}")
    metas = root.find(lambda n: n.tag == "meta" and n.attrs.get("http-equiv") == "Content-Security-Policy")
    c.ok(len(metas) == 1 and "default-src 'none'" in metas[0].attrs.get("content", ""),
         f"{prefix}: no CSP meta with default-src 'none'")
    text = root.text()
    for h in hostile:
        c.ok(h in text, f"{prefix}: hostile name {h!r} not shown as text")

    # Every number a chart or the verdict shows equals summary-json's.
    marked = root.find(lambda n: "data-src" in n.attrs)
    c.ok(len(marked) > 10, f"{prefix}: only {len(marked)} numbers with a data-src")
    bad = []
    for n in marked:
        want = resolve(summary, json.loads(n.attrs["data-src"]))
        got = float(n.attrs.get("data-value", "nan"))
        if want is None or abs(float(want) - got) > 1e-9:
            bad.append((n.attrs["data-src"], got, want))
    c.ok(not bad, f"{prefix}: {len(bad)} numbers differ from summary-json, e.g. {bad[:3]}")
    # The verdict cards show their number as text too.
    for n in root.find(lambda n: "n" in n.classes() and n.tag == "span"):
        c.ok(n.text().strip() == n.attrs.get("data-value"), f"{prefix}: card text {n.text()!r}")

    # Every chart is drawn.
    figures = {f.attrs.get("data-chart"): f for f in root.find(lambda n: n.tag == "figure")}
    if summary["connections"] > 0:
        missing = ALWAYS - set(figures)
        c.ok(not missing, f"{prefix}: charts missing: {sorted(missing)}")
    if summary.get("failures"):
        c.ok("chart-failures" in figures, f"{prefix}: no failure chart")
    for fid, f in figures.items():
        marks = f.find(lambda n: n.tag == "rect" and "mark" in n.classes())
        if marks:
            svg = f.find(lambda n: n.tag == "svg")
            c.ok(bool(svg), f"{prefix}: {fid} has marks but no svg")
            titled = [m for m in marks if any(isinstance(ch, Node) and ch.tag == "title" for ch in m.children)]
            c.ok(len(titled) == len(marks), f"{prefix}: {fid}: marks without a title")
        else:
            # Allowed only when every number it would draw is zero.
            empty = f.find(lambda n: "empty" in n.classes())
            c.ok(bool(empty), f"{prefix}: {fid} has no marks and does not say it is empty")
            # Its numbers: every data-src under it (none) — so check the model.
            if fid in ("chart-versions", "chart-clients", "chart-servers", "chart-buckets"):
                c.ok(summary["connections"] == 0, f"{prefix}: {fid} empty with connections")
    # Bars per chart: as many as summary-json has numbers for.
    def marks_of(fid):
        f = figures.get(fid)
        return None if f is None else len(f.find(lambda n: n.tag == "rect" and "mark" in n.classes()))
    if summary["connections"] > 0:
        want = {
            "chart-versions": len(summary["versions"]) + (1 if summary["not_negotiated"] else 0),
            "chart-max-offered": len(summary["max_offered"]),
            "chart-clients-readiness": len(summary["readiness"]["clients"]),
            "chart-servers-readiness": len(summary["readiness"]["servers"]),
            "chart-cipher-classes": len({c for r in summary["ciphers"] for c in r["classes"]}),
            "chart-buckets": sum(1 for b in summary["buckets"]["series"]
                                 for n in b["versions"].values() if n > 0),
        }
        if summary.get("sql_servers"):
            want["chart-sql"] = sum(1 for r in summary["sql_servers"][:10]
                                    for n in r["versions"].values() if n > 0)
        if summary["latency_ms"]:
            want["chart-latency"] = 3 * len(summary["latency_ms"])
        if summary.get("applications"):
            want["chart-applications"] = sum(1 for r in summary["applications"][:10]
                                             for n in r["versions"].values() if n > 0)
        if summary["certificates"]["certificates"]:
            want["chart-certificate-findings"] = len(summary["certificates"]["findings"])
        if summary.get("fingerprints"):
            want["chart-fingerprints"] = min(10, len(summary["fingerprints"]))
        for fid, n in want.items():
            c.ok(marks_of(fid) == n, f"{prefix}: {fid} has {marks_of(fid)} marks, summary-json {n}")

    # Stacked charts: one segment per nonzero version of each row.
    for fid, key in (("chart-clients", "clients"), ("chart-servers", "servers")):
        f = figures.get(fid)
        if f is None:
            continue
        for row in f.find(lambda n: n.tag == "g" and "row" in n.classes()):
            segs = row.find(lambda n: n.tag == "rect" and "mark" in n.classes())
            if not segs:
                continue
            src = json.loads(segs[0].attrs["data-src"])
            sel = src[1]
            rows = [r for r in summary[key] if all(match(r, k, v) for k, v in sel.items())]
            if c.ok(len(rows) == 1, f"{prefix}: {fid} row {sel} not in summary-json"):
                want = sum(1 for n in rows[0]["versions"].values() if n > 0)
                c.ok(len(segs) == want, f"{prefix}: {fid} row {sel}: {len(segs)} segments, {want} versions")

    # The tables' numbers.
    sections = {s.attrs.get("id"): s for s in root.find(lambda n: n.tag == "section")}
    m = re.search(r"TLS connections: (\d+)", text)
    c.ok(m is not None and int(m.group(1)) == summary["connections"], f"{prefix}: TLS connections line")
    if summary["connections"] > 0:
        clients = {r["ip"]: r for r in summary["clients"]}
        rows = table_rows(sections.get("clients", Node("x", [], None)), "CLIENT")
        c.ok(len(rows) == min(20, len(clients)), f"{prefix}: {len(rows)} client rows")
        for r in rows:
            j = clients.get(r["CLIENT"])
            c.ok(j is not None and str(j["connections"]) == r["CONNS"]
                 and str(j["failed"]) == r["FAILED"], f"{prefix}: client row {r}")
        servers = {endpoint(s): s for s in summary["servers"]}
        rows = table_rows(sections.get("servers", Node("x", [], None)), "SERVER")
        c.ok(len(rows) == min(20, len(servers)), f"{prefix}: {len(rows)} server rows")
        for r in rows:
            j = servers.get(r["SERVER"])
            c.ok(j is not None and str(j["connections"]) == r["CONNS"], f"{prefix}: server row {r}")
        rows = table_rows(sections.get("versions", Node("x", [], None)), "VERSION")
        for r in rows:
            want = summary["not_negotiated"] if r["VERSION"] == "(none)" else summary["versions"].get(r["VERSION"])
            c.ok(str(want) == r["CONNS"], f"{prefix}: version row {r}")
        c.ok(sum(int(r["CONNS"]) for r in rows) == summary["connections"], f"{prefix}: version rows sum")

    # The script ran (scripts on) or not (off).
    sortable = root.find(lambda n: n.tag == "th" and "aria-sort" in n.attrs)
    if scripts:
        c.ok(len(sortable) > 0, f"{prefix}: the script did not run (no sortable headers)")
    else:
        c.ok(len(sortable) == 0, f"{prefix}: headers sortable with scripts off")
    return root


def hostile_capture(src, dst):
    data = Path(src).read_bytes()
    shown = []
    for name, payload in HOSTILE.items():
        n = len(name)
        fitted = (payload + "x" * n)[:n]
        assert name.encode() in data, name
        data = data.replace(name.encode(), fitted.encode())
        shown.append(fitted)
    Path(dst).write_bytes(data)
    return shown


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--keep", help="keep the pages and screenshots in this directory")
    ap.add_argument("--extra", action="append", default=[], metavar="CAPTURE",
                    help="also check the report of this capture (e.g. the 1 GB generator capture)")
    a = ap.parse_args()
    if shutil.which("chromium") is None:
        print("html_check: chromium is not installed (apt-get install chromium)")
        return 1
    binary = str(Path(a.binary).resolve())
    gen = str(Path(binary).with_name("tlssniff-gen"))
    work = Path(a.keep or tempfile.mkdtemp(prefix="html-check-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = [("demo", REPO / "fixtures" / "demo.pcapng", [])]
    generated = work / "gen300.pcap"
    subprocess.run([gen, "--handshake-only", "--connections", "550", "-o", str(generated)],
                   check=True, capture_output=True)
    cases.append(("generated", generated, []))
    cases.append(("sql", REPO / "fixtures" / "tds-tls-versions.pcap", []))
    cases.append(("fiddler", REPO / "fixtures" / "fiddler-legacy.saz", []))
    hostile_path = work / "hostile.pcapng"
    shown = hostile_capture(REPO / "fixtures" / "demo.pcapng", hostile_path)
    cases.append(("hostile", hostile_path, shown))

    for extra in a.extra:
        cases.append((Path(extra).stem, Path(extra), []))

    c = Check()
    browser = Browser()
    for name, cap, hostile in cases:
        page = work / f"{name}.html"
        run(binary, ["--format", "html", "-o", str(page), str(cap)])
        summary = json.loads(run(binary, ["--format", "summary-json", "--bucket", "auto", str(cap)]))
        html_text = page.read_text()
        csp = re.search(r'script-src (\'sha256-[^\']+\')', html_text)
        c.ok(csp is not None, f"{name}: no script hash in the CSP")
        csp_hash = csp.group(1) if csp else ""
        url = page.resolve().as_uri()
        print(f"{name}: {cap.name}, {summary['connections']} connections, "
              f"{len(summary['clients'])} clients, {len(html_text)} bytes of HTML")
        dom, messages, shot_on = browser.load(url, scripts=True)
        c.ok(not messages, f"{name}: console messages: {messages[:3]}")
        root = check_page(c, name, html_text, dom, summary, True, csp_hash, hostile)
        figures = root.find(lambda n: n.tag == "figure")
        marks = root.find(lambda n: n.tag == "rect" and "mark" in n.classes())
        print(f"  scripts on: {len(figures)} charts, {len(marks)} marks")
        dom_off, messages, shot = browser.load(url, scripts=False)
        c.ok(not messages, f"{name}: console messages with scripts off: {messages[:3]}")
        root_off = check_page(c, name, html_text, dom_off, summary, False, csp_hash, hostile)
        marks_off = root_off.find(lambda n: n.tag == "rect" and "mark" in n.classes())
        c.ok(len(marks_off) == len(marks), f"{name}: {len(marks_off)} marks with scripts off, {len(marks)} on")
        (work / f"{name}.png").write_bytes(shot)
        pdf = browser.pdf
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        c.ok(pdf.startswith(b"%PDF") and pages >= 2, f"{name}: printed to {pages} PDF pages")
        (work / f"{name}.pdf").write_bytes(pdf)
        c.ok(shot.startswith(b"\x89PNG") and len(shot) > 20_000, f"{name}: no screenshot")
    browser.close()
    print(f"html_check: {c.passed} checks passed, {len(c.failures)} failed")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
