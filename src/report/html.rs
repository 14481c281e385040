//! `--format html`: one self-contained page for people who will not read
//! a terminal (a change board, a service owner, a ticket).
//!
//! The page is the table report's sections ([`table::blocks`]: the same
//! rows, numbers and notes, never a second computation) with a chart
//! beside each table ([`chart`], drawn from the same [`Model`]). Markup
//! comes from maud, which escapes every value it is given, so a name from
//! the wire is text in the page and never markup. Nothing is fetched: the
//! style and the script are inline, and the Content-Security-Policy allows
//! exactly those two (by hash) and nothing else — no other script, style,
//! image, font, frame or connection. The script only sorts and filters the
//! tables; with scripts off the page is the same, unsorted.

use std::io::{self, Write};

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Report;
use super::chart::{self, Mark, Row};
use super::model::{Mix, Model};
use super::table::{self, Block};
use crate::analysis::certificate::Finding;
use crate::analysis::readiness::Verdict;
use crate::tls::version::Version;

pub struct Html<W: Write> {
    out: W,
    top: usize,
}

impl<W: Write> Html<W> {
    pub fn new(out: W, top: usize) -> Self {
        Html { out, top }
    }
}

impl<W: Write> Report for Html<W> {
    fn finish(&mut self, model: &Model<'_>) -> io::Result<()> {
        self.out.write_all(page(model, self.top).as_bytes())?;
        self.out.flush()
    }
}

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Rows in a chart of "top" clients, servers or fingerprints.
const CHART_ROWS: usize = 10;

/// `'sha256-…'` of an inline style or script, for the CSP.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of the page: its own inline style and
/// script, nothing else.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// The whole page.
pub fn page(m: &Model<'_>, top: usize) -> String {
    let blocks = table::blocks(m, top);
    let first = blocks
        .iter()
        .position(|b| matches!(b, Block::Heading { .. }))
        .unwrap_or(blocks.len());
    let (overview, rest) = blocks.split_at(first);
    let sections = split_sections(rest);
    let title = match m.capture.files.as_slice() {
        [one] => format!("TLS report: {}", one.name),
        [] => "TLS report: live capture".to_string(),
        many => format!("TLS report: {} captures", many.len()),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "tlssniff " (env!("CARGO_PKG_VERSION")) };
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    @for b in overview { (block(b)) }
                }
                @if m.connections > 0 { (verdict(m)) }
                @if !sections.is_empty() {
                    nav.toc aria-label="Sections" {
                        ol { @for (key, title, _) in &sections {
                            li { a href={ "#" (key) } { (title) } }
                        } }
                    }
                }
                main {
                    @for (key, title, body) in &sections {
                        section id=(key) {
                            h2 { (title) }
                            @let charts = charts(key, m);
                            div class=(if charts.is_empty() { "pair single" } else { "pair" }) {
                                @if !charts.is_empty() {
                                    div.charts { @for c in &charts { (c) } }
                                }
                                div.data { @for b in body.iter() { (block(b)) } }
                            }
                        }
                    }
                }
                footer {
                    "Made by tlssniff " (env!("CARGO_PKG_VERSION"))
                    " from the capture alone; this file loads nothing from the network."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

type Section<'b> = (&'b str, &'b str, &'b [Block]);

/// The blocks after the first heading, as (key, title, body) per section.
fn split_sections(blocks: &[Block]) -> Vec<Section<'_>> {
    let mut out: Vec<Section<'_>> = Vec::new();
    let mut i = 0;
    while let Some(Block::Heading { key, title }) = blocks.get(i) {
        let end = blocks
            .iter()
            .skip(i + 1)
            .position(|b| matches!(b, Block::Heading { .. }))
            .map_or(blocks.len(), |p| i + 1 + p);
        out.push((key, title, blocks.get(i + 1..end).unwrap_or(&[])));
        i = end;
    }
    out
}

fn block(b: &Block) -> Markup {
    match b {
        Block::Heading { title, .. } => html! { h3 { (title) } },
        Block::Line(text) => html! { p.line { (text) } },
        Block::Grid { header, rows } => {
            // The text table's bar column: the chart beside it draws that.
            let shown: Vec<usize> = (0..header.len())
                .filter(|i| header.get(*i).is_some_and(|h| !h.0.is_empty()))
                .collect();
            let num = |i: usize| header.get(i).is_some_and(|h| h.1);
            html! {
                div.scroll {
                    table.grid {
                        thead { tr { @for i in &shown {
                            th scope="col" class=[num(*i).then_some("num")] {
                                (header.get(*i).map_or("", |h| h.0.as_str()))
                            }
                        } } }
                        tbody { @for r in rows { tr { @for i in &shown {
                            @let (tone, text) = r.get(*i).map_or((table::Tone::Plain, ""), |c| (c.0, c.1.as_str()));
                            @let class = [if num(*i) { "num" } else { "" }, tone.class()].join(" ");
                            td class=[Some(class.trim()).filter(|c| !c.is_empty())] { (text) }
                        } } } }
                    }
                }
            }
        }
    }
}

/// The policy's verdict first, in large numbers.
fn verdict(m: &Model<'_>) -> Markup {
    let r = &m.readiness;
    let card = |v: Verdict, what: &str| {
        let n = r.clients_with(v);
        html! {
            div class={ "card r-" (v.as_str()) } {
                span.n data-value=(n) data-src=(json!(["readiness", "clients", v.as_str()]).to_string()) { (n) }
                span.what { (what) }
            }
        }
    };
    html! {
        section.verdict id="verdict" aria-label="Verdict" {
            p.policy { "Policy: " strong { (r.policy) } }
            div.cards {
                (card(Verdict::WillBreak, "clients will break"))
                (card(Verdict::HeldBack, "clients held back by a server"))
                (card(Verdict::Mixed, "clients mixed"))
                (card(Verdict::Ready, "clients ready"))
                @if r.clients_with(Verdict::Unknown) > 0 {
                    (card(Verdict::Unknown, "clients unknown (no ClientHello)"))
                }
            }
            p.servers {
                span data-value=(r.will_break_connections) data-src=(json!(["readiness", "will_break_connections"]).to_string()) {
                    (r.will_break_connections)
                }
                " connections would fail under the policy. Servers: "
                @for (i, v) in Verdict::SERVER.iter().filter(|v| r.servers_with(**v) > 0).enumerate() {
                    @if i > 0 { ", " }
                    @let n = r.servers_with(*v);
                    span data-value=(n) data-src=(json!(["readiness", "servers", v.as_str()]).to_string()) { (n) }
                    " " (v.label_for(n))
                }
                "."
            }
        }
    }
}

/// The CSS class of a version's colour: `v-tls10`, `v-none`.
fn version_class(v: Option<Version>) -> String {
    match v {
        None => "v-none".into(),
        Some(v) => {
            let name: String = v
                .to_string()
                .to_ascii_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let legacy = if v.is_legacy() { " legacy" } else { "" };
            format!("v-{name}{legacy}")
        }
    }
}

/// One plain bar.
fn bar(label: impl Into<String>, value: f64, class: impl Into<String>, src: Value) -> Row {
    let label = label.into();
    Row {
        marks: vec![Mark {
            series: label.clone(),
            value,
            class: class.into(),
            src,
        }],
        label,
    }
}

/// A row split by negotiated version; `base` is the row's place in
/// summary-json (its `versions` map is indexed by version).
fn by_version(label: String, mix: &Mix, base: &Value) -> Row {
    let marks = mix
        .0
        .iter()
        .filter_map(|(v, n)| {
            let v = (*v)?;
            let mut src = base.as_array().cloned().unwrap_or_default();
            src.extend([json!("versions"), json!(v.to_string())]);
            Some(Mark {
                series: v.to_string(),
                value: *n as f64,
                class: version_class(Some(v)),
                src: Value::Array(src),
            })
        })
        .collect();
    Row { label, marks }
}

/// Rows of servers (`field`: `servers` or `sql_servers` in summary-json)
/// split by negotiated version, the first [`CHART_ROWS`].
fn endpoint_rows<'m>(
    field: &str,
    servers: impl Iterator<Item = (crate::decode::Endpoint, &'m Mix)>,
) -> Vec<Row> {
    servers
        .take(CHART_ROWS)
        .map(|(ep, mix)| {
            let at = json!([field, {"ip": ep.ip.to_string(), "port": ep.port}]);
            by_version(ep.to_string(), mix, &at)
        })
        .collect()
}

/// Counts summed by key, keys in first-seen order (a chart's rows from
/// several model rows).
fn tally<K: PartialEq>(items: impl Iterator<Item = (K, u64)>) -> Vec<(K, u64)> {
    let mut out: Vec<(K, u64)> = Vec::new();
    for (key, n) in items {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, total)) => *total += n,
            None => out.push((key, n)),
        }
    }
    out
}

fn legacy_of(mix: &Mix) -> u64 {
    mix.0
        .iter()
        .filter(|(v, _)| v.is_some_and(Version::is_legacy))
        .map(|(_, n)| n)
        .sum()
}

/// The charts of a section, in the order shown.
fn charts(key: &str, m: &Model<'_>) -> Vec<Markup> {
    match key {
        "readiness" => {
            let r = &m.readiness;
            // Bars per verdict, from readiness.clients or readiness.servers.
            let by_verdict = |verdicts: &[Verdict], field: &str, n: &dyn Fn(Verdict) -> u64| {
                verdicts
                    .iter()
                    .map(|v| {
                        bar(
                            v.label(),
                            n(*v) as f64,
                            format!("r-{}", v.as_str()),
                            json!(["readiness", field, v.as_str()]),
                        )
                    })
                    .collect::<Vec<Row>>()
            };
            let clients = by_verdict(&Verdict::CLIENT, "clients", &|v| r.clients_with(v));
            let servers = by_verdict(&Verdict::SERVER, "servers", &|v| r.servers_with(v));
            vec![
                chart::bars(
                    "chart-clients-readiness",
                    "Clients by readiness",
                    "clients",
                    &clients,
                ),
                chart::bars(
                    "chart-servers-readiness",
                    "Servers by readiness",
                    "servers",
                    &servers,
                ),
            ]
        }
        "versions" => {
            let mix = |mix: &Mix, field: &str, none: Option<u64>| {
                let mut rows: Vec<Row> = mix
                    .0
                    .iter()
                    .filter_map(|(v, n)| {
                        let v = (*v)?;
                        Some(bar(
                            v.to_string(),
                            *n as f64,
                            version_class(Some(v)),
                            json!([field, v.to_string()]),
                        ))
                    })
                    .collect();
                if let Some(n) = none.filter(|n| *n > 0) {
                    rows.push(bar("(none)", n as f64, "v-none", json!(["not_negotiated"])));
                }
                rows
            };
            vec![
                chart::bars(
                    "chart-versions",
                    "Negotiated versions",
                    "connections",
                    &mix(&m.versions, "versions", Some(m.not_negotiated)),
                ),
                chart::bars(
                    "chart-max-offered",
                    "Highest version offered",
                    "connections",
                    &mix(&m.max_offered, "max_offered", None),
                ),
            ]
        }
        "clients" => {
            let mut picked: Vec<_> = m.clients.iter().filter(|c| c.legacy > 0).collect();
            let legacy = !picked.is_empty();
            if legacy {
                picked.sort_by(|a, b| {
                    b.legacy
                        .cmp(&a.legacy)
                        .then(b.connections.cmp(&a.connections))
                });
            } else {
                picked = m.clients.iter().collect();
            }
            let rows: Vec<Row> = picked
                .iter()
                .take(CHART_ROWS)
                .map(|c| {
                    let ip = c.ip.to_string();
                    by_version(ip.clone(), &c.versions, &json!(["clients", {"ip": ip}]))
                })
                .collect();
            let caption = if legacy {
                "Clients with most legacy connections, by negotiated version"
            } else {
                "Busiest clients, by negotiated version"
            };
            vec![chart::bars("chart-clients", caption, "connections", &rows)]
        }
        "servers" => {
            let mut picked: Vec<_> = m
                .servers
                .iter()
                .filter(|s| legacy_of(&s.versions) > 0)
                .collect();
            let legacy = !picked.is_empty();
            if legacy {
                picked.sort_by_key(|s| std::cmp::Reverse(legacy_of(&s.versions)));
            } else {
                picked = m.servers.iter().collect();
            }
            let rows = endpoint_rows("servers", picked.iter().map(|s| (s.endpoint, &s.versions)));
            let caption = if legacy {
                "Servers with most legacy connections, by negotiated version"
            } else {
                "Busiest servers, by negotiated version"
            };
            vec![chart::bars("chart-servers", caption, "connections", &rows)]
        }
        "software" => {
            let rows: Vec<Row> = m
                .fingerprints
                .iter()
                .take(CHART_ROWS)
                .map(|f| {
                    let label = f.label.clone().unwrap_or_else(|| f.ja4.clone());
                    bar(
                        label,
                        f.connections as f64,
                        format!("r-{}", f.verdict.as_str()),
                        json!(["fingerprints", {"ja4": f.ja4, "ja3": f.ja3}, "connections"]),
                    )
                })
                .collect();
            vec![chart::bars(
                "chart-fingerprints",
                "Connections per client fingerprint (colour: its readiness)",
                "connections",
                &rows,
            )]
        }
        "applications" => {
            let rows: Vec<Row> = m
                .applications
                .iter()
                .take(CHART_ROWS)
                .map(|a| {
                    let name = serde_json::to_value(a.name).unwrap_or(Value::Null);
                    let label = super::escape::terminal_bytes(a.name.as_bytes());
                    by_version(label, &a.versions, &json!(["applications", {"name": name}]))
                })
                .collect();
            vec![chart::bars(
                "chart-applications",
                "Connections per application, by negotiated version",
                "connections",
                &rows,
            )]
        }
        "certificates" => {
            let rows: Vec<Row> = Finding::ALL
                .iter()
                .map(|f| {
                    bar(
                        f.label(),
                        m.certificates.findings.get(f.key()) as f64,
                        "finding",
                        json!(["certificates", "findings", f.key()]),
                    )
                })
                .collect();
            vec![chart::bars(
                "chart-certificate-findings",
                "Connections per certificate finding",
                "connections",
                &rows,
            )]
        }
        "sql" => {
            let rows = endpoint_rows(
                "sql_servers",
                m.sql_servers.iter().map(|s| (s.endpoint, &s.versions)),
            );
            vec![chart::bars(
                "chart-sql",
                "SQL Server connections by negotiated version",
                "connections",
                &rows,
            )]
        }
        "ciphers" => {
            let classes = tally(
                m.ciphers
                    .iter()
                    .flat_map(|c| c.classes.iter().map(|class| (*class, c.connections))),
            );
            let rows: Vec<Row> = classes
                .iter()
                .map(|(class, n)| {
                    let css: String = class
                        .to_ascii_lowercase()
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect();
                    bar(
                        *class,
                        *n as f64,
                        format!("c-{css}"),
                        json!(["ciphers", {"classes": class}, "connections"]),
                    )
                })
                .collect();
            vec![chart::bars(
                "chart-cipher-classes",
                "Connections per cipher class",
                "connections",
                &rows,
            )]
        }
        "legacy" => {
            let mut versions = tally(m.legacy.iter().map(|r| (r.version, r.connections)));
            versions.sort_by_key(|v| v.0);
            let rows: Vec<Row> = versions
                .iter()
                .map(|(v, n)| {
                    let name = v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
                    bar(
                        name.clone(),
                        *n as f64,
                        version_class(*v),
                        json!(["legacy", {"version": v.map(|v| v.to_string())}, "connections"]),
                    )
                })
                .collect();
            vec![chart::bars(
                "chart-legacy",
                "Legacy connections listed, by version",
                "connections",
                &rows,
            )]
        }
        "failures" => {
            let mut reasons = tally(m.failures.iter().map(|f| {
                let text = f.reason.to_string();
                let head = text.split(" — ").next().unwrap_or("").to_string();
                (head, f.connections)
            }));
            reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
            let rows: Vec<Row> = reasons
                .iter()
                .enumerate()
                .map(|(i, (reason, n))| {
                    bar(
                        reason.clone(),
                        *n as f64,
                        format!("f-{}", i % 6),
                        json!(["failures", {"reason^": reason}, "connections"]),
                    )
                })
                .collect();
            vec![chart::bars(
                "chart-failures",
                "Failed handshakes by reason",
                "connections",
                &rows,
            )]
        }
        "policy" => match &m.policy {
            Some(p) => {
                let rows = [
                    bar(
                        "the client cannot",
                        p.client_cannot as f64,
                        "r-will_break",
                        json!(["policy", "client_cannot"]),
                    ),
                    bar(
                        "the server chose lower",
                        p.server_chose_lower as f64,
                        "r-held_back",
                        json!(["policy", "server_chose_lower"]),
                    ),
                ];
                vec![chart::bars(
                    "chart-policy",
                    "Connections below the minimum",
                    "connections",
                    &rows,
                )]
            }
            None => Vec::new(),
        },
        "buckets" => match &m.buckets {
            Some(b) => {
                let width = b.width_secs.max(1);
                // Time of day to the second for narrow buckets, else date
                // and minute (UTC).
                let label = |secs: u64| {
                    let t = crate::time::format_unix_secs(secs as i64);
                    let part = if width < 60 {
                        t.get(11..19)
                    } else {
                        t.get(5..16)
                    };
                    part.unwrap_or("").replace('T', " ")
                };
                let first = b.series.first().map_or(0, |r| r.start.secs());
                let last = b.series.last().map_or(0, |r| r.start.secs());
                // Empty buckets between the first and the last are drawn
                // (as gaps) when there are not too many of them.
                let gaps = (last - first) / width < 500;
                let mut rows: Vec<Row> = Vec::new();
                let mut next = first;
                for r in &b.series {
                    let at = r.start.secs();
                    while gaps && next < at {
                        rows.push(Row {
                            label: label(next),
                            marks: Vec::new(),
                        });
                        next += width;
                    }
                    let start =
                        serde_json::to_value(super::model::Shown(r.start)).unwrap_or(Value::Null);
                    rows.push(by_version(
                        label(at),
                        &r.versions,
                        &json!(["buckets", "series", {"start": start}]),
                    ));
                    next = at + width;
                }
                vec![chart::columns(
                    "chart-buckets",
                    "Connections over time, by negotiated version",
                    "connections",
                    &rows,
                )]
            }
            None => Vec::new(),
        },
        "latency" => {
            let rows: Vec<Row> = m
                .latency_ms
                .0
                .iter()
                .flat_map(|l| {
                    let v = l.version.to_string();
                    [("p50", l.p50), ("p90", l.p90), ("p99", l.p99)].map(|(q, micros)| {
                        bar(
                            format!("{v} {q}"),
                            micros as f64 / 1_000.0,
                            version_class(Some(l.version)),
                            json!(["latency_ms", v, q]),
                        )
                    })
                })
                .collect();
            vec![chart::bars(
                "chart-latency",
                "Handshake latency by version (ms)",
                "ms",
                &rows,
            )]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let csp = content_security_policy();
        let hash = |t: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(t.as_bytes()))
        };
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains(&format!("style-src 'sha256-{}';", hash(STYLE))));
        assert!(csp.contains(&format!("script-src 'sha256-{}';", hash(SCRIPT))));
        assert!(!csp.contains("unsafe"));
    }

    #[test]
    fn versions_have_a_colour_class_and_legacy_is_marked() {
        assert_eq!(version_class(Some(Version::TLS13)), "v-tls13");
        assert_eq!(version_class(Some(Version::TLS10)), "v-tls10 legacy");
        assert_eq!(version_class(None), "v-none");
        assert_eq!(version_class(Some(Version(0x7f1c))), "v-0x7f1c");
    }

    #[test]
    fn sections_split_at_headings() {
        let h = |k: &str| Block::Heading {
            key: k.into(),
            title: k.to_uppercase(),
        };
        let blocks = [h("a"), Block::Line("x".into()), h("b")];
        let s = split_sections(&blocks);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].0, s[0].2.len()), ("a", 1));
        assert_eq!((s[1].1, s[1].2.len()), ("B", 0));
    }
}
