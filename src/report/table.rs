//! `--format table` (the default): the summary for people.
//!
//! Sections, in order: capture overview, negotiated versions, clients (the
//! per-client version mix), servers, negotiated ciphers, legacy use (every
//! client below TLS 1.2 or using 3DES, with its servers), failed handshakes
//! with their reason, the `--min-version` policy check, handshake latency,
//! warnings. Colour only on a terminal and never with NO_COLOR.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{Mix, Model, ServerRow, UsageRow};
use super::{Report, escape};
use crate::analysis::certificate::Finding;
use crate::analysis::fallback::RetryOutcome;
use crate::analysis::readiness::Verdict;
use crate::analysis::record::Outcome;
use crate::text::WireText;
use crate::time::Timestamp;
use crate::tls::version::Version;

pub struct Table<W: Write> {
    out: W,
    color: bool,
    /// `--format markdown`: the same sections as GitHub-flavoured Markdown.
    markdown: bool,
    /// `--format html`: the sections as [`Block`]s for the HTML report.
    html: bool,
    /// Columns to fit (the terminal's); None: as wide as needed.
    width: Option<usize>,
    /// Rows per long section; 0 shows all.
    top: usize,
}

impl<W: Write> Table<W> {
    pub fn new(out: W, color: bool, top: usize) -> Self {
        Table {
            out,
            color,
            markdown: false,
            html: false,
            width: None,
            top,
        }
    }

    /// Fits the table to `width` columns: wide text columns shortened with
    /// `…`, other lines wrapped.
    pub fn fit(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// `--format markdown`: headings, GFM tables, every text escaped.
    pub fn markdown(out: W, top: usize) -> Self {
        Table {
            out,
            color: false,
            markdown: true,
            html: false,
            width: None,
            top,
        }
    }
}

/// One piece of the report, for renderers that lay it out themselves
/// (the HTML report): the same sections, in the same order, as the table.
#[derive(Debug, PartialEq)]
pub enum Block {
    /// A section heading: a stable key (`clients`, `legacy`, ...) and its
    /// title.
    Heading { key: String, title: String },
    /// A grid: column names (and whether numeric, right-aligned), rows.
    Grid {
        header: Vec<(String, bool)>,
        rows: Vec<Vec<(Tone, String)>>,
    },
    /// A line of text (a note, a total, a warning).
    Line(String),
}

/// The report's sections as blocks: what `--format table` would print,
/// unpainted and unshortened. Every text is terminal-escaped (no control
/// characters) and still needs escaping for its destination.
pub fn blocks(model: &Model<'_>, top: usize) -> Vec<Block> {
    let t = Table {
        out: io::sink(),
        color: false,
        markdown: false,
        html: true,
        width: None,
        top,
    };
    parse_blocks(&t.render(model))
}

/// Separates the fields of a marked line in [`Table::html`] mode.
const FIELD: char = '\u{1f}';

fn parse_blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(HEADING_LINE) {
            let (key, title) = rest.split_once(FIELD).unwrap_or(("", rest));
            out.push(Block::Heading {
                key: key.to_string(),
                title: title.to_string(),
            });
        } else if let Some(rest) = line.strip_prefix(GRID_LINE) {
            if let Some(head) = rest.strip_prefix('H') {
                let header = head
                    .split(FIELD)
                    .map(|c| (c.get(1..).unwrap_or("").to_string(), c.starts_with('r')))
                    .collect();
                out.push(Block::Grid {
                    header,
                    rows: Vec::new(),
                });
            } else if let (Some(row), Some(Block::Grid { rows, .. })) =
                (rest.strip_prefix('R'), out.last_mut())
            {
                rows.push(
                    row.split(FIELD)
                        .map(|c| {
                            let tone = Tone::from_mark(c.chars().next().unwrap_or('0'));
                            (tone, c.get(1..).unwrap_or("").to_string())
                        })
                        .collect(),
                );
            }
        } else if !line.trim().is_empty() {
            out.push(Block::Line(line.trim().to_string()));
        }
    }
    out
}

/// In Markdown mode, marks the lines [`Grid::render`] wrote (already
/// Markdown) and the headings, for [`to_markdown`]. Never in a cell: cells
/// are terminal-escaped, and this is a control character.
const GRID_LINE: char = '\u{1}';
const HEADING_LINE: char = '\u{2}';

/// How a cell or line is painted: a colour on a terminal, a class in HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Warn,
    Bad,
    Dim,
    Bold,
}

impl Tone {
    const ALL: [Tone; 6] = [
        Tone::Plain,
        Tone::Good,
        Tone::Warn,
        Tone::Bad,
        Tone::Dim,
        Tone::Bold,
    ];

    /// The one-character mark of a tone in [`Table::html`] mode.
    fn mark(self) -> char {
        match self {
            Tone::Plain => '0',
            Tone::Good => '1',
            Tone::Warn => '2',
            Tone::Bad => '3',
            Tone::Dim => '4',
            Tone::Bold => '5',
        }
    }

    fn from_mark(c: char) -> Tone {
        Tone::ALL
            .into_iter()
            .find(|t| t.mark() == c)
            .unwrap_or(Tone::Plain)
    }

    /// The CSS class of the tone (empty for plain).
    pub fn class(self) -> &'static str {
        match self {
            Tone::Plain => "",
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Dim => "dim",
            Tone::Bold => "bold",
        }
    }
}

struct Paint {
    color: bool,
    markdown: bool,
    html: bool,
    width: Option<usize>,
    /// A grid was shortened to fit `width`.
    shortened: std::cell::Cell<bool>,
}

impl Paint {
    fn paint(&self, tone: Tone, s: &str) -> String {
        if !self.color || tone == Tone::Plain {
            return s.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Dim => "2",
            Tone::Bold => "1",
            Tone::Plain => "0",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    }
}

/// A cell: its text, made safe for the terminal, and its tone.
struct Cell(String, Tone);

impl Cell {
    fn new(text: impl AsRef<str>, tone: Tone) -> Cell {
        Cell(escape::terminal(text.as_ref()), tone)
    }

    /// A name from the wire (`-` when absent), escaped and cut to
    /// [`WIRE_WIDTH`] columns.
    fn wire(text: Option<&WireText>) -> Cell {
        Cell(text.map_or_else(|| "-".into(), wire_text), Tone::Plain)
    }
}

impl<T: AsRef<str>> From<T> for Cell {
    fn from(s: T) -> Cell {
        Cell::new(s, Tone::Plain)
    }
}

/// Columns a name from the wire (an SNI, an ALPN protocol) may take in a
/// table cell; longer ones are cut with `…`.
pub const WIRE_WIDTH: usize = 64;

fn wire_text(t: &WireText) -> String {
    escape::cut(&escape::terminal_bytes(t.as_bytes()), WIRE_WIDTH)
}

/// Column-aligned rows; numeric columns right-aligned.
struct Grid {
    header: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<Cell>>,
}

impl Grid {
    fn new(header: &[(&'static str, bool)]) -> Grid {
        Grid {
            header: header.iter().map(|h| h.0).collect(),
            right: header.iter().map(|h| h.1).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn render(&self, p: &Paint, out: &mut String) {
        if p.markdown {
            self.render_markdown(out);
            return;
        }
        if p.html {
            self.render_marked(out);
            return;
        }
        let width = escape::width;
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, c) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(width(&c.0));
                }
            }
        }
        let natural = widths.clone();
        // How far each column may shrink: the first and address columns
        // not at all, numbers to their widest number (the header is cut),
        // text to MIN_COLUMN.
        let floors: Vec<usize> = (0..widths.len())
            .map(|i| {
                let data = self
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| width(&c.0))
                    .max()
                    .unwrap_or(0);
                let natural = natural.get(i).copied().unwrap_or(0);
                let address = self
                    .header
                    .get(i)
                    .is_some_and(|h| h.contains("CLIENT") || h.contains("SERVER"));
                if i == 0 || address {
                    natural
                } else if self.right.get(i).copied().unwrap_or(false) {
                    data.max(3)
                } else {
                    natural.min(MIN_COLUMN)
                }
            })
            .collect();
        let keep = match p.width {
            Some(max) => self.shrink(&mut widths, &floors, max),
            None => vec![true; widths.len()],
        };
        if keep.iter().any(|k| !k) || widths != natural {
            p.shortened.set(true);
        }
        let kept = |i: usize| keep.get(i).copied().unwrap_or(true);
        let line = |all: &[(String, Tone)], out: &mut String| {
            let mut s = String::new();
            if p.width.is_some() {
                s.push(GRID_LINE);
            }
            s.push_str("  ");
            let cells: Vec<(usize, &(String, Tone))> =
                all.iter().enumerate().filter(|(i, _)| kept(*i)).collect();
            for (n, &(i, (text, tone))) in cells.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                let cut;
                let text = if width(text) > w {
                    cut = escape::cut(text, w);
                    &cut
                } else {
                    text
                };
                let pad = " ".repeat(w.saturating_sub(width(text)));
                let last = n + 1 == cells.len();
                let painted = p.paint(*tone, text);
                if self.right.get(i).copied().unwrap_or(false) {
                    s.push_str(&pad);
                    s.push_str(&painted);
                } else {
                    s.push_str(&painted);
                    if !last {
                        s.push_str(&pad);
                    }
                }
                if !last {
                    s.push_str("  ");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        let header: Vec<(String, Tone)> = self
            .header
            .iter()
            .map(|h| (h.to_string(), Tone::Dim))
            .collect();
        line(&header, out);
        for row in &self.rows {
            let cells: Vec<(String, Tone)> = row.iter().map(|c| (c.0.clone(), c.1)).collect();
            line(&cells, out);
        }
    }
}

/// Text columns are not shortened below this many columns.
const MIN_COLUMN: usize = 8;

/// Columns left out, in this order, when shortening is not enough.
const LOW_VALUE: &[&str] = &[
    "FIRST SEEN",
    "LAST SEEN",
    "WHEN",
    "SIGNATURE",
    "ISSUER",
    "KEY",
    "LABEL",
    "JA3",
    "EXPIRES",
    "MAX OFFERED",
    "SNI",
];

impl Grid {
    /// Fits the columns to `max`: first the widest columns are shortened,
    /// each to its floor, then low-value columns ([`LOW_VALUE`], in that
    /// order) are left out. Which columns are kept.
    fn shrink(&self, widths: &mut [usize], floors: &[usize], max: usize) -> Vec<bool> {
        let mut keep = vec![true; widths.len()];
        let total = |w: &[usize], keep: &[bool]| {
            let shown: Vec<usize> = w
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(w, _)| *w)
                .collect();
            2 + shown.iter().sum::<usize>() + 2 * shown.len().saturating_sub(1)
        };
        while total(widths, &keep) > max {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|(i, w)| **w > floors.get(*i).copied().unwrap_or(usize::MAX))
                .max_by_key(|(i, w)| (**w, std::cmp::Reverse(*i)))
                .map(|(i, _)| i);
            let Some(i) = widest else { break };
            if let Some(w) = widths.get_mut(i) {
                *w -= 1;
            }
        }
        for name in LOW_VALUE {
            if total(widths, &keep) <= max {
                break;
            }
            if let Some(i) = self.header.iter().position(|h| h == name) {
                if let Some(k) = keep.get_mut(i) {
                    *k = false;
                }
            }
        }
        keep
    }

    /// A GFM table: a header row, an alignment row, the rows; every cell
    /// escaped ([`escape::markdown`]).
    fn render_markdown(&self, out: &mut String) {
        let row = |cells: &mut dyn Iterator<Item = String>, out: &mut String| {
            out.push(GRID_LINE);
            out.push('|');
            for c in cells {
                let _ = write!(out, " {} |", escape::markdown(&c));
            }
            out.push('\n');
        };
        // An empty grid line starts a table: each grid is a table of its own.
        out.push(GRID_LINE);
        out.push('\n');
        row(&mut self.header.iter().map(|h| h.to_string()), out);
        out.push(GRID_LINE);
        out.push('|');
        for right in &self.right {
            out.push_str(if *right { " ---: |" } else { " --- |" });
        }
        out.push('\n');
        for r in &self.rows {
            row(&mut r.iter().map(|c| c.0.clone()), out);
        }
    }
}

impl Grid {
    /// The grid as marked lines for [`parse_blocks`]: a header line (each
    /// column `r` or `l` and its name) and a line per row (each cell its
    /// tone's mark and its text), fields apart by [`FIELD`].
    fn render_marked(&self, out: &mut String) {
        out.push(GRID_LINE);
        out.push('H');
        for (i, (h, right)) in self.header.iter().zip(&self.right).enumerate() {
            if i > 0 {
                out.push(FIELD);
            }
            out.push(if *right { 'r' } else { 'l' });
            out.push_str(h);
        }
        out.push('\n');
        for r in &self.rows {
            out.push(GRID_LINE);
            out.push('R');
            for (i, c) in r.iter().enumerate() {
                if i > 0 {
                    out.push(FIELD);
                }
                out.push(c.1.mark());
                out.push_str(&c.0);
            }
            out.push('\n');
        }
    }
}

/// The text fitted to `max` columns: grid lines (already shortened) as
/// they are, other lines wrapped at spaces, continuing indented.
fn fit_lines(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if let Some(row) = line.strip_prefix(GRID_LINE) {
            out.push_str(row);
            out.push('\n');
            continue;
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let lead = format!("{indent}    ");
        let mut current = indent.to_string();
        let mut empty = true;
        for word in body.split(' ') {
            if !empty && escape::width(&current) + 1 + escape::width(word) > max {
                out.push_str(current.trim_end());
                out.push('\n');
                current.clone_from(&lead);
                empty = true;
            }
            if !empty {
                current.push(' ');
            }
            current.push_str(word);
            empty = false;
        }
        out.push_str(current.trim_end());
        out.push('\n');
    }
    out
}

/// The text of a Markdown-mode render as Markdown: headings as `##`, grid
/// lines as they are (blank lines around each table), every other line
/// escaped ([`escape::markdown_line`]) and ended with a hard line break so
/// the lines stay apart.
fn to_markdown(text: &str) -> String {
    let mut out = String::from("# tlssniff report\n\n");
    let mut in_grid = false;
    for line in text.lines() {
        if let Some(row) = line.strip_prefix(GRID_LINE) {
            if row.is_empty() {
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
            } else {
                out.push_str(row);
                out.push('\n');
            }
            in_grid = true;
            continue;
        }
        if in_grid {
            out.push('\n');
            in_grid = false;
        }
        if let Some(title) = line.strip_prefix(HEADING_LINE) {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            let _ = writeln!(out, "## {}\n", escape::markdown(title));
        } else if line.trim().is_empty() {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
        } else {
            let _ = writeln!(out, "{}  ", escape::markdown_line(line.trim()));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A server's certificate in a cell: its findings, `ok`, or `-` when no
/// certificate was seen in clear (TLS 1.3 encrypts it).
fn certificate_cell(s: &ServerRow<'_>) -> Cell {
    let labels: Vec<&str> = s.findings.iter().map(|f| f.label()).collect();
    match (s.certificates_seen, labels.is_empty()) {
        (0, _) => Cell::new("-", Tone::Plain),
        (_, true) => Cell::new("ok", Tone::Good),
        (_, false) => Cell::new(labels.join(", "), Tone::Bad),
    }
}

fn version_tone(v: Option<Version>) -> Tone {
    match v {
        Some(v) if v.is_legacy() => Tone::Bad,
        Some(v) if v >= Version::TLS13 => Tone::Good,
        Some(_) => Tone::Plain,
        None => Tone::Dim,
    }
}

fn version_label(v: Option<Version>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// `TLS 1.3×18, TLS 1.2×2` (highest first; `-` for not negotiated).
fn mix_text(m: &Mix) -> String {
    let mut s = String::new();
    for (i, (v, n)) in m.0.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}×{n}", version_label(*v));
    }
    s
}

/// `tcp×55, quic×4`: a row's connections by transport.
fn transports_text(t: &crate::analysis::aggregate::Transports) -> String {
    let parts: Vec<String> = t.iter().map(|(name, n)| format!("{name}×{n}")).collect();
    parts.join(", ")
}

fn mix_tone(m: &Mix) -> Tone {
    if m.0.iter().filter_map(|(v, _)| *v).any(|v| v.is_legacy()) {
        Tone::Bad
    } else {
        Tone::Plain
    }
}

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{:.1}%", n as f64 * 100.0 / total as f64)
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn span(a: Timestamp, b: Timestamp) -> String {
    let s = b.since(a).0 / 1_000_000_000;
    if s >= 3600 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {}s", s / 60, s % 60)
    } else {
        format!("{:.3}s", b.since(a).0 as f64 / 1e9)
    }
}

/// `2026-11-21 23:01:42`
fn usage_header() -> Grid {
    Grid::new(&[
        ("CLIENT", false),
        ("SERVER", false),
        ("SNI", false),
        ("NEGOTIATED", false),
        ("MAX OFFERED", false),
        ("CIPHER", false),
        ("CONNS", true),
        ("LAST SEEN", false),
    ])
}

/// One legacy or policy row; `client` replaces the client's address (the
/// roll-up's fold mark) when not empty.
fn usage_row(g: &mut Grid, r: &UsageRow<'_>, client: &str) {
    let cipher_tone = if r.cipher.is_some_and(|c| c.classes().weak()) {
        Tone::Bad
    } else {
        Tone::Plain
    };
    g.row(vec![
        if client.is_empty() {
            r.client.to_string().into()
        } else {
            Cell::new(client, Tone::Dim)
        },
        r.server.to_string().into(),
        Cell::wire(r.sni),
        Cell::new(version_label(r.version), version_tone(r.version)),
        Cell::new(version_label(r.max_offered), version_tone(r.max_offered)),
        Cell::new(
            r.cipher.map_or_else(|| "-".into(), |c| c.to_string()),
            cipher_tone,
        ),
        r.connections.to_string().into(),
        when(r.last_seen).into(),
    ]);
}

/// The rows whose server sent the downgrade sentinel, a line each.
fn sentinel_lines(rows: &[&UsageRow<'_>], p: &Paint, o: &mut String) {
    for r in rows {
        if let (Some(can), Some(offered)) = (r.server_supports, r.max_offered) {
            let _ = writeln!(
                o,
                "  {} {} → {}: the server supports {can} (its downgrade sentinel); the client \
                 offered at most {offered}",
                p.paint(Tone::Warn, "*"),
                r.client,
                r.server
            );
        }
    }
}

/// `1h`, `15m`, `1d`, `90s`.
fn width_label(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn when(t: Timestamp) -> String {
    let s = t.to_string();
    s.get(..19).unwrap_or(&s).replace('T', " ")
}

/// An empty section.
fn none(o: &mut String, p: &Paint) {
    let _ = writeln!(o, "  {}", p.paint(Tone::Good, "none"));
}

struct Limited {
    shown: usize,
    total: usize,
}

impl Limited {
    fn note(&self, out: &mut String, what: &str) {
        if self.shown < self.total {
            let _ = writeln!(
                out,
                "  … and {} more {what} (--top 0 shows all; --format summary-json lists them)",
                self.total - self.shown
            );
        }
    }
}

impl<W: Write> Table<W> {
    fn limit(&self, total: usize) -> Limited {
        Limited {
            shown: if self.top == 0 {
                total
            } else {
                total.min(self.top)
            },
            total,
        }
    }

    fn render(&self, m: &Model<'_>) -> String {
        let p = Paint {
            color: self.color,
            markdown: self.markdown,
            html: self.html,
            width: self.width,
            shortened: std::cell::Cell::new(false),
        };
        let c = &m.capture;
        let mut o = String::new();
        let h = |o: &mut String, key: &str, title: &str| {
            if p.html {
                let _ = writeln!(o, "\n{HEADING_LINE}{key}{FIELD}{title}");
            } else if p.markdown {
                let _ = writeln!(o, "\n{HEADING_LINE}{title}");
            } else {
                let _ = writeln!(o, "\n{}", p.paint(Tone::Bold, title));
            }
        };

        // Overview.
        let files = c.captures_read();
        let unreadable = c.files.len() - files;
        let source = if c.interfaces.is_empty() {
            let s = if files == 1 { "" } else { "s" };
            match unreadable {
                0 => format!("{files} file{s}"),
                n => format!("{files} file{s} ({n} more could not be read)"),
            }
        } else {
            let names: Vec<&str> = c.interfaces.iter().map(|i| i.name).collect();
            format!("live capture on {}", names.join(", "))
        };
        let _ = write!(
            o,
            "{} {source}, {} packets ({})",
            p.paint(Tone::Bold, "tlssniff:"),
            c.packets,
            bytes(c.bytes)
        );
        if let Some(sess) = &c.sessions {
            let _ = write!(
                o,
                ", {} Fiddler sessions ({} CONNECT tunnels)",
                sess.sessions, sess.connect_tunnels
            );
        }
        if let (Some(a), Some(b)) = (c.first_ts, c.last_ts) {
            let _ = write!(o, ", {} → {} UTC ({})", when(a), when(b), span(a, b));
        }
        o.push('\n');
        if m.show_sensor {
            let _ = writeln!(o, "Sensor: {}", escape::terminal(m.sensor));
        }
        if c.joined_files > 0 {
            let _ = writeln!(
                o,
                "Joined: {} of the files continue the one before them and were read as one \
                 capture (handshakes across a file boundary are one connection)",
                c.joined_files
            );
        }
        for note in c.file_notes {
            let _ = writeln!(o, "Files: {}", escape::terminal(note));
        }
        let _ = write!(o, "TLS connections: {}", m.connections);
        let parts: Vec<String> = m
            .outcomes_seen()
            .map(|(oc, n)| format!("{} {n}", oc.replace('_', " ")))
            .collect();
        if !parts.is_empty() {
            let _ = write!(o, " ({})", parts.join(", "));
        }
        o.push('\n');
        let (quic, dtls) = m.transports_udp();
        if quic + dtls > 0 {
            let _ = write!(
                o,
                "Transports: tcp {}, quic {quic}, dtls {dtls}",
                m.connections - quic - dtls
            );
            if !c.quic_unread.is_empty() {
                let parts: Vec<String> = c
                    .quic_unread
                    .0
                    .iter()
                    .map(|(why, n)| format!("{why}: {n}"))
                    .collect();
                let _ = write!(o, " (QUIC packets not read: {})", parts.join(", "));
            }
            let other = crate::decode::Skip::UdpOther.to_string();
            if let Some((_, n)) = c.skipped.0.iter().find(|(why, _)| *why == other) {
                let _ = write!(o, "; UDP packets neither QUIC nor DTLS: {n}");
            }
            o.push('\n');
        }
        if !m.totals.tunnels.0.is_empty() {
            let parts: Vec<String> = m
                .totals
                .tunnels
                .0
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(o, "Tunnelled connections: {}", parts.join(", "));
        }
        for i in &c.interfaces {
            let _ = writeln!(
                o,
                "Interface {}: {} packets received, {} dropped by the kernel, {} by the interface",
                i.name, i.received, i.dropped_by_kernel, i.dropped_by_interface
            );
        }
        let skipped = c.skipped_total();
        if skipped > 0 {
            let reasons: Vec<String> = c
                .skipped
                .0
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect();
            let _ = writeln!(o, "Skipped packets: {skipped} ({})", reasons.join(", "));
        }

        if m.connections == 0 {
            let _ = writeln!(o, "\nNo TLS handshake found.");
        } else {
            self.readiness(&mut o, &p, m, &h);
            self.versions(&mut o, &p, m, &h);
            self.clients(&mut o, &p, m, &h);
            self.servers(&mut o, &p, m, &h);
            self.software(&mut o, &p, m, &h);
            self.applications(&mut o, &p, m, &h);
            self.certificates(&mut o, &p, m, &h);
            self.sql_servers(&mut o, &p, m, &h);
            self.ciphers(&mut o, &p, m, &h);
            self.legacy(&mut o, &p, m, &h);
            self.failures(&mut o, &p, m, &h);
            self.fallbacks(&mut o, &p, m, &h);
            self.policy(&mut o, &p, m, &h);
            self.buckets(&mut o, &p, m, &h);
            self.latency(&mut o, &p, m, &h);
        }
        if !m.warnings.is_empty() {
            h(&mut o, "warnings", "Warnings");
            for w in m.warnings {
                let _ = writeln!(o, "  {} {}", p.paint(Tone::Warn, "!"), escape::terminal(w));
            }
        }
        if p.shortened.get() {
            let _ = writeln!(
                o,
                "\n{}",
                p.paint(
                    Tone::Dim,
                    "(some columns shortened or left out to fit the terminal; --wide shows them all)"
                )
            );
        }
        match (self.markdown, self.width) {
            (true, _) => to_markdown(&o),
            (false, Some(w)) => fit_lines(&o, w),
            (false, None) => o,
        }
    }

    /// The verdicts first: who breaks, who is held back, who is ready.
    fn readiness(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        let r = &m.readiness;
        h(o, "readiness", &format!("Readiness for {}", r.policy));
        let n = |v: Verdict| r.clients_with(v);
        let plural =
            |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        let break_n = n(Verdict::WillBreak);
        let mut parts = vec![p.paint(
            if break_n > 0 { Tone::Bad } else { Tone::Good },
            &format!(
                "{break_n} {} will break ({} {})",
                plural(break_n, "client", "clients"),
                r.will_break_connections,
                plural(r.will_break_connections, "connection", "connections")
            ),
        )];
        let held = n(Verdict::HeldBack);
        if held > 0 {
            parts.push(p.paint(
                Tone::Warn,
                &format!(
                    "{held} held back by {} {}",
                    r.holding_back,
                    plural(r.holding_back, "server", "servers")
                ),
            ));
        }
        for (v, tone) in [(Verdict::Mixed, Tone::Warn), (Verdict::Ready, Tone::Good)] {
            parts.push(p.paint(tone, &format!("{} {}", n(v), v.label())));
        }
        if n(Verdict::Unknown) > 0 {
            parts.push(format!(
                "{} unknown (no ClientHello seen)",
                n(Verdict::Unknown)
            ));
        }
        let _ = writeln!(o, "  Clients: {}", parts.join(" · "));
        let servers: Vec<String> = Verdict::SERVER
            .iter()
            .filter(|v| r.servers_with(**v) > 0)
            .map(|v| format!("{} {}", r.servers_with(*v), v.label_for(r.servers_with(*v))))
            .collect();
        let mut servers = servers.join(" · ");
        if r.servers_with_certificate_findings > 0 {
            let which: Vec<String> = Finding::ALL
                .iter()
                .filter_map(|f| {
                    let n = r.certificate_findings.get(f.key());
                    (n > 0).then(|| format!("{} {n}", f.label()))
                })
                .collect();
            let _ = write!(
                servers,
                " · {}",
                p.paint(
                    Tone::Warn,
                    &format!(
                        "{} with certificate findings ({})",
                        r.servers_with_certificate_findings,
                        which.join(", ")
                    )
                )
            );
        }
        let _ = writeln!(o, "  Servers: {servers}");
        let listed = |v: Verdict| m.clients.iter().filter(move |c| c.verdict == v);
        let total = |v: Verdict| listed(v).count();
        if total(Verdict::WillBreak) > 0 {
            let lim = self.limit(total(Verdict::WillBreak));
            let mut g = Grid::new(&[
                ("WILL BREAK", false),
                ("CONNS", true),
                ("MAX OFFERED", false),
                ("LAST SEEN", false),
            ]);
            for c in listed(Verdict::WillBreak).take(lim.shown) {
                g.row(vec![
                    Cell::new(c.ip.to_string(), Tone::Bad),
                    c.connections.to_string().into(),
                    Cell::new(mix_text(&c.max_offered), mix_tone(&c.max_offered)),
                    when(c.last_seen).into(),
                ]);
            }
            g.render(p, o);
            lim.note(o, "clients that will break");
        }
        if total(Verdict::HeldBack) > 0 {
            let lim = self.limit(total(Verdict::HeldBack));
            let mut g = Grid::new(&[
                ("HELD BACK", false),
                ("CONNS", true),
                ("HELD", true),
                ("BY SERVER", false),
            ]);
            for c in listed(Verdict::HeldBack).take(lim.shown) {
                let by: Vec<String> = c
                    .held_back_by
                    .iter()
                    .take(3)
                    .map(|(ep, n)| format!("{ep}×{n}"))
                    .collect();
                g.row(vec![
                    Cell::new(c.ip.to_string(), Tone::Warn),
                    c.connections.to_string().into(),
                    c.readiness.held_back.to_string().into(),
                    by.join(", ").into(),
                ]);
            }
            g.render(p, o);
            lim.note(o, "held-back clients");
        }
        if total(Verdict::Mixed) > 0 {
            let lim = self.limit(total(Verdict::Mixed));
            let mut g = Grid::new(&[
                ("MIXED", false),
                ("CONNS", true),
                ("CANNOT", true),
                ("MEET OR HELD BACK", true),
            ]);
            for c in listed(Verdict::Mixed).take(lim.shown) {
                g.row(vec![
                    Cell::new(c.ip.to_string(), Tone::Warn),
                    c.connections.to_string().into(),
                    Cell::new(c.readiness.client_cannot.to_string(), Tone::Bad),
                    (c.readiness.meets + c.readiness.held_back)
                        .to_string()
                        .into(),
                ]);
            }
            g.render(p, o);
            lim.note(o, "mixed clients");
        }
        let blockers: Vec<&ServerRow<'_>> = m
            .servers
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::LegacyOnly | Verdict::AcceptsLegacy))
            .collect();
        if !blockers.is_empty() {
            let lim = self.limit(blockers.len());
            let certs = blockers
                .iter()
                .take(lim.shown)
                .any(|s| !s.findings.is_empty());
            let mut columns = vec![
                ("SERVER BELOW POLICY", false),
                ("VERDICT", false),
                ("CONNS", true),
                ("HELD BACK", true),
                ("NEGOTIATED", false),
            ];
            if certs {
                columns.push(("CERTIFICATE", false));
            }
            let mut g = Grid::new(&columns);
            for s in blockers.iter().take(lim.shown) {
                let tone = if s.verdict == Verdict::LegacyOnly {
                    Tone::Bad
                } else {
                    Tone::Warn
                };
                let mut row = vec![
                    Cell::new(s.endpoint.to_string(), tone),
                    Cell::new(s.verdict.label(), tone),
                    s.connections.to_string().into(),
                    s.readiness.held_back.to_string().into(),
                    Cell::new(mix_text(&s.versions), mix_tone(&s.versions)),
                ];
                if certs {
                    row.push(certificate_cell(s));
                }
                g.row(row);
            }
            g.render(p, o);
            lim.note(o, "servers below the policy");
        }
    }

    fn versions(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(o, "versions", "Negotiated versions");
        let mut g = Grid::new(&[
            ("VERSION", false),
            ("CONNS", true),
            ("SHARE", true),
            ("", false),
        ]);
        for &(v, n) in &m.versions.0 {
            let bar = "█".repeat(((n * 30).div_ceil(m.connections.max(1))) as usize);
            let note = match v {
                Some(v) if v.is_legacy() => "legacy",
                None => "no ServerHello",
                _ => "",
            };
            let label = v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
            g.row(vec![
                Cell::new(label, version_tone(v)),
                n.to_string().into(),
                pct(n, m.connections).into(),
                Cell::new(format!("{bar} {note}").trim_end(), version_tone(v)),
            ]);
        }
        g.render(p, o);
    }

    fn clients(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(
            o,
            "clients",
            "Clients (versions negotiated, and the highest each connection offered)",
        );
        let lim = self.limit(m.clients.len());
        // A transport column when any connection came over UDP.
        let udp = m.transports_udp() != (0, 0);
        let mut columns = vec![("CLIENT", false), ("CONNS", true)];
        if udp {
            columns.push(("VIA", false));
        }
        columns.extend([
            ("NEGOTIATED", false),
            ("MAX OFFERED", false),
            ("3DES", true),
            ("FAILED", true),
        ]);
        let mut g = Grid::new(&columns);
        for c in m.clients.iter().take(lim.shown) {
            let mut row: Vec<Cell> =
                vec![c.ip.to_string().into(), c.connections.to_string().into()];
            if udp {
                row.push(transports_text(&c.transports).into());
            }
            row.extend([
                Cell::new(mix_text(&c.versions), mix_tone(&c.versions)),
                Cell::new(mix_text(&c.max_offered), mix_tone(&c.max_offered)),
                Cell::new(
                    c.uses_3des.to_string(),
                    if c.uses_3des > 0 {
                        Tone::Bad
                    } else {
                        Tone::Plain
                    },
                ),
                Cell::new(
                    c.failed.to_string(),
                    if c.failed > 0 {
                        Tone::Warn
                    } else {
                        Tone::Plain
                    },
                ),
            ]);
            g.row(row);
        }
        g.render(p, o);
        lim.note(o, "clients");
    }

    fn servers(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(o, "servers", "Servers");
        let lim = self.limit(m.servers.len());
        // A column for certificate findings when any server has them.
        let certs = m
            .servers
            .iter()
            .take(lim.shown)
            .any(|s| !s.certificate_findings.is_empty());
        let udp = m.transports_udp() != (0, 0);
        let mut columns = vec![("SERVER", false), ("CONNS", true)];
        if udp {
            columns.push(("VIA", false));
        }
        columns.extend([("NEGOTIATED", false), ("FAILED", true), ("SNI", false)]);
        if certs {
            columns.push(("CERTIFICATE", false));
        }
        let mut g = Grid::new(&columns);
        for s in m.servers.iter().take(lim.shown) {
            let mut sni = s
                .snis
                .iter()
                .take(3)
                .map(|t| wire_text(t))
                .collect::<Vec<_>>()
                .join(", ");
            let more = s.snis.len().saturating_sub(3);
            if more > 0 {
                let _ = write!(sni, " +{more}");
            }
            let mut row: Vec<Cell> = vec![
                s.endpoint.to_string().into(),
                s.connections.to_string().into(),
            ];
            if udp {
                row.push(transports_text(&s.transports).into());
            }
            row.extend([
                Cell::new(mix_text(&s.versions), mix_tone(&s.versions)),
                Cell::new(
                    s.failed.to_string(),
                    if s.failed > 0 {
                        Tone::Warn
                    } else {
                        Tone::Plain
                    },
                ),
                Cell(sni, Tone::Plain),
            ]);
            if certs {
                row.push(certificate_cell(s));
            }
            g.row(row);
        }
        g.render(p, o);
        lim.note(o, "servers");
    }

    /// Client software: connections by JA4 fingerprint, so one legacy
    /// application on many hosts is one row.
    fn software(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        if m.fingerprints.is_empty() {
            return;
        }
        h(
            o,
            "software",
            "Client software (TLS fingerprints: JA4, JA3 beside it)",
        );
        let lim = self.limit(m.fingerprints.len());
        let mut g = Grid::new(&[
            ("JA4", false),
            ("JA3", false),
            ("CLIENTS", true),
            ("CONNS", true),
            ("MAX OFFERED", false),
            ("VERDICT", false),
            ("LABEL", false),
        ]);
        for f in m.fingerprints.iter().take(lim.shown) {
            let tone = match f.verdict {
                Verdict::WillBreak => Tone::Bad,
                Verdict::Mixed | Verdict::HeldBack => Tone::Warn,
                _ => Tone::Plain,
            };
            let ja3 = f.ja3.as_deref().unwrap_or("-");
            g.row(vec![
                f.ja4.as_str().into(),
                if f.ja3_varies {
                    format!("{ja3} (+ others)").into()
                } else {
                    ja3.into()
                },
                f.clients.to_string().into(),
                f.connections.to_string().into(),
                Cell::new(mix_text(&f.max_offered), mix_tone(&f.max_offered)),
                Cell::new(f.verdict.label(), tone),
                Cell::new(f.label.as_deref().unwrap_or(""), Tone::Plain),
            ]);
        }
        g.render(p, o);
        lim.note(o, "fingerprints");
    }

    /// Client applications by name (Fiddler's process names): which
    /// program still offers what.
    fn applications(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        if m.applications.is_empty() {
            return;
        }
        h(
            o,
            "applications",
            "Client applications (process names from Fiddler sessions)",
        );
        let lim = self.limit(m.applications.len());
        let mut g = Grid::new(&[
            ("APPLICATION", false),
            ("CLIENTS", true),
            ("CONNS", true),
            ("NEGOTIATED", false),
            ("MAX OFFERED", false),
            ("VERDICT", false),
        ]);
        for a in m.applications.iter().take(lim.shown) {
            let tone = match a.verdict {
                Verdict::WillBreak => Tone::Bad,
                Verdict::Mixed | Verdict::HeldBack => Tone::Warn,
                _ => Tone::Plain,
            };
            g.row(vec![
                Cell::wire(Some(a.name)),
                a.clients.to_string().into(),
                a.connections.to_string().into(),
                Cell::new(mix_text(&a.versions), mix_tone(&a.versions)),
                Cell::new(mix_text(&a.max_offered), mix_tone(&a.max_offered)),
                Cell::new(a.verdict.label(), tone),
            ]);
        }
        g.render(p, o);
        lim.note(o, "applications");
    }

    /// Server certificates seen in clear: one row per server and leaf, those
    /// with findings first.
    fn certificates(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        let c = &m.certificates;
        if c.certificates.is_empty() && c.unreadable.0.is_empty() {
            return;
        }
        h(
            o,
            "certificates",
            "Certificates (servers' certificates in clear, TLS 1.2 and below)",
        );
        let with_findings = c
            .certificates
            .iter()
            .filter(|r| !r.findings.0.is_empty())
            .count();
        let _ = write!(
            o,
            "  {} distinct per server, {with_findings} with findings; {} connections showed one",
            c.certificates.len(),
            c.connections
        );
        let unreadable: u64 = c.unreadable.0.iter().map(|(_, n)| n).sum();
        if unreadable > 0 {
            let why: Vec<String> = c
                .unreadable
                .0
                .iter()
                .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
                .collect();
            let _ = write!(o, ", {unreadable} could not be read ({})", why.join(", "));
        }
        o.push('\n');
        if c.certificates.is_empty() {
            return;
        }
        let lim = self.limit(c.certificates.len());
        let mut g = Grid::new(&[
            ("SERVER", false),
            ("SUBJECT", false),
            ("ISSUER", false),
            ("EXPIRES", false),
            ("KEY", false),
            ("SIGNATURE", false),
            ("CONNS", true),
            ("FINDINGS", false),
        ]);
        let shown = &c.certificates[..lim.shown];
        for r in shown {
            let has = |k: &str| r.findings.get(k) > 0;
            let tone = |bad: bool| if bad { Tone::Bad } else { Tone::Plain };
            let expires = r.not_after.get(..10).unwrap_or(&r.not_after);
            let expiry_tone = if has("expired") || has("not_yet_valid") {
                Tone::Bad
            } else if has("expires_soon") {
                Tone::Warn
            } else {
                Tone::Plain
            };
            let findings: Vec<&str> = Finding::ALL
                .iter()
                .filter(|f| has(f.key()))
                .map(|f| f.label())
                .collect();
            g.row(vec![
                r.server.to_string().into(),
                Cell::wire(r.subject_cn.or(Some(r.subject))),
                Cell::wire(r.issuer_cn.or(Some(r.issuer))),
                Cell::new(expires, expiry_tone),
                Cell::new(r.key(), tone(has("weak_key"))),
                Cell::new(r.signature_algorithm, tone(has("weak_signature"))),
                r.connections.to_string().into(),
                if findings.is_empty() {
                    Cell::new("-", Tone::Good)
                } else {
                    Cell::new(findings.join(", "), Tone::Bad)
                },
            ]);
        }
        g.render(p, o);
        lim.note(o, "certificates");
        for r in shown {
            if r.mismatched_snis.is_empty() {
                continue;
            }
            let names: Vec<String> = r
                .mismatched_snis
                .iter()
                .map(|(sni, n)| format!("{} ({n})", wire_text(sni)))
                .collect();
            let _ = writeln!(
                o,
                "  {} {}: SNI not matched by its names: {}",
                r.server,
                wire_text(r.subject_cn.unwrap_or(r.subject)),
                names.join(", ")
            );
        }
    }

    fn sql_servers(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        if m.sql_servers.is_empty() {
            return;
        }
        h(o, "sql", "SQL Server (TDS)");
        let lim = self.limit(m.sql_servers.len());
        let count =
            |n: u64, tone: Tone| Cell::new(n.to_string(), if n > 0 { tone } else { Tone::Plain });
        let mut g = Grid::new(&[
            ("SQL SERVER", false),
            ("CONNS", true),
            ("NEGOTIATED", false),
            ("BELOW TLS 1.2", true),
            ("CLIENTS BELOW", true),
            ("CLEAR LOGIN", true),
            ("LOGIN-ONLY TLS", true),
            ("TDS 8.0", true),
        ]);
        let shown = &m.sql_servers[..lim.shown];
        for s in shown {
            let clients = s.clients_below_tls12.len() as u64 + s.more_clients_below_tls12;
            g.row(vec![
                s.endpoint.to_string().into(),
                s.connections.to_string().into(),
                Cell::new(mix_text(&s.versions), mix_tone(&s.versions)),
                count(s.below_tls12, Tone::Bad),
                count(clients, Tone::Bad),
                count(s.cleartext_logins, Tone::Bad),
                count(s.login_only_encryption, Tone::Warn),
                s.strict.to_string().into(),
            ]);
        }
        g.render(p, o);
        lim.note(o, "SQL Servers");
        for s in shown {
            for sym in &s.symptoms {
                let _ = writeln!(
                    o,
                    "  {} {} {}× {}",
                    p.paint(Tone::Warn, "!"),
                    s.endpoint,
                    sym.connections,
                    escape::terminal(&sym.reason)
                );
            }
            if s.more_symptoms > 0 {
                let _ = writeln!(
                    o,
                    "  {} {} {}× more, of kinds beyond those listed (summary-json has the list)",
                    p.paint(Tone::Warn, "!"),
                    s.endpoint,
                    s.more_symptoms
                );
            }
        }
    }

    fn ciphers(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(o, "ciphers", "Negotiated cipher suites");
        let mut g = Grid::new(&[("CIPHER SUITE", false), ("CONNS", true), ("CLASS", false)]);
        for c in &m.ciphers {
            let tone = if c.suite.classes().weak() {
                Tone::Bad
            } else {
                Tone::Plain
            };
            g.row(vec![
                Cell::new(c.suite.to_string(), tone),
                c.connections.to_string().into(),
                Cell::new(c.classes.join(" "), tone),
            ]);
        }
        g.render(p, o);
        let _ = writeln!(
            o,
            "  offered 3DES: {} connection(s); negotiated 3DES: {}",
            m.offers_3des, m.uses_3des
        );
    }

    fn usage_grid(&self, rows: &[UsageRow<'_>], p: &Paint, o: &mut String) {
        let mut g = usage_header();
        for r in rows {
            usage_row(&mut g, r, "");
        }
        g.render(p, o);
        sentinel_lines(&rows.iter().collect::<Vec<_>>(), p, o);
    }

    fn legacy(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(
            o,
            "legacy",
            "Legacy: connections below TLS 1.2 or with a weak suite (3DES, RC4, NULL, EXPORT, \
             anonymous, DES), most connections first",
        );
        if m.legacy.is_empty() {
            return none(o, p);
        }
        // One roll-up row per client, its rows folded underneath: clients by
        // their legacy connections, then address.
        // (The list can hold --max-rows rows: group through a map.)
        let mut by_client: std::collections::BTreeMap<std::net::IpAddr, (u64, Vec<&UsageRow<'_>>)> =
            std::collections::BTreeMap::new();
        for r in &m.legacy {
            let c = by_client.entry(r.client).or_default();
            c.0 += r.connections;
            c.1.push(r);
        }
        let mut clients: Vec<(std::net::IpAddr, u64, Vec<&UsageRow<'_>>)> = by_client
            .into_iter()
            .map(|(ip, (n, rows))| (ip, n, rows))
            .collect();
        clients.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let lim = self.limit(clients.len());
        let per_client = if self.top == 0 { usize::MAX } else { 3 };
        let mut g = usage_header();
        let mut sentinels = Vec::new();
        for (ip, conns, rows) in clients.iter().take(lim.shown) {
            let servers: std::collections::BTreeSet<_> = rows.iter().map(|r| r.server).collect();
            g.row(vec![
                Cell::new(ip.to_string(), Tone::Bold),
                match servers.len() {
                    1 => "1 server".into(),
                    n => format!("{n} servers").into(),
                },
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                Cell::new(conns.to_string(), Tone::Bold),
                rows.iter()
                    .map(|r| r.last_seen)
                    .max()
                    .map_or_else(String::new, when)
                    .into(),
            ]);
            for r in rows.iter().take(per_client) {
                usage_row(&mut g, r, "  └");
                sentinels.push(*r);
            }
            if rows.len() > per_client {
                g.row(vec![
                    Cell::new(format!("  … +{} more", rows.len() - per_client), Tone::Dim),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                ]);
            }
        }
        g.render(p, o);
        sentinel_lines(&sentinels, p, o);
        lim.note(o, "clients");
    }

    fn failures(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(o, "failures", "Failed handshakes");
        if m.failures.is_empty() {
            return none(o, p);
        }
        let mut g = Grid::new(&[
            ("CLIENT", false),
            ("SERVER", false),
            ("SNI", false),
            ("OFFERED", false),
            ("CONNS", true),
            ("REASON", false),
        ]);
        let lim = self.limit(m.failures.len());
        for f in m.failures.iter().take(lim.shown) {
            let tone = match f.outcome {
                Outcome::Rejected | Outcome::Reset | Outcome::Aborted => Tone::Bad,
                _ => Tone::Warn,
            };
            g.row(vec![
                f.client.to_string().into(),
                f.server.to_string().into(),
                Cell::wire(f.sni),
                Cell::new(version_label(f.max_offered), version_tone(f.max_offered)),
                f.connections.to_string().into(),
                Cell::new(f.reason.to_string(), tone),
            ]);
        }
        g.render(p, o);
        lim.note(o, "rows");
    }

    fn fallbacks(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        h(
            o,
            "fallbacks",
            "Fallback retries (a failed handshake retried with a lower version)",
        );
        if m.fallbacks.is_empty() {
            return none(o, p);
        }
        let mut g = Grid::new(&[
            ("CLIENT", false),
            ("SERVER", false),
            ("SNI", false),
            ("FAILED ATTEMPT", false),
            ("RETRY", false),
            ("SCSV", false),
            ("RESULT", false),
            ("WHEN", false),
        ]);
        // Per client (in address order), each client's retries in time order.
        let mut rows: Vec<&crate::analysis::fallback::Fallback> =
            m.fallbacks.iter().map(|f| f.retry).collect();
        rows.sort_by(|a, b| {
            a.client
                .cmp(&b.client)
                .then(a.ts.cmp(&b.ts))
                .then(a.order.cmp(&b.order))
        });
        let lim = self.limit(rows.len());
        for f in rows.into_iter().take(lim.shown) {
            let attempt = match (f.from_version, f.failure) {
                (Some(v), Some(why)) => format!("{v}, {}", why.label()),
                _ => "-".into(),
            };
            let (result, tone) = match f.outcome {
                RetryOutcome::Accepted => (
                    format!("accepted: {}", version_label(f.version)),
                    version_tone(f.version),
                ),
                RetryOutcome::Rejected => (
                    format!(
                        "rejected: {}",
                        f.alert
                            .map_or_else(|| "-".into(), crate::tls::alert::description_label)
                    ),
                    Tone::Bad,
                ),
                RetryOutcome::Failed => ("failed".into(), Tone::Warn),
            };
            g.row(vec![
                f.client.to_string().into(),
                f.server.to_string().into(),
                Cell::wire(f.sni.as_ref()),
                attempt.into(),
                Cell::new(version_label(f.to_version), version_tone(f.to_version)),
                if f.scsv { "yes" } else { "no" }.into(),
                Cell::new(result, tone),
                when(f.ts).into(),
            ]);
        }
        g.render(p, o);
        lim.note(o, "retries");
    }

    fn policy(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        let Some(policy) = &m.policy else { return };
        let min = policy.min_version;
        h(o, "policy", &format!("Policy check: minimum {min}"));
        if policy.violations.is_empty() {
            let _ = writeln!(
                o,
                "  {}",
                p.paint(
                    Tone::Good,
                    &format!("no connection in this capture would be rejected by a {min} minimum")
                )
            );
            return;
        }
        let _ = writeln!(
            o,
            "  {}",
            p.paint(
                Tone::Bad,
                &format!(
                    "{} connection(s) from {} client(s) would be rejected:",
                    policy.connections_below, policy.clients_below
                )
            )
        );
        let _ = writeln!(
            o,
            "  {} because the client offers nothing at or above {min}; {} because the server \
             chose lower than the client offered",
            policy.client_cannot, policy.server_chose_lower
        );
        let lim = self.limit(policy.violations.len());
        self.usage_grid(&policy.violations[..lim.shown], p, o);
        lim.note(o, "rows");
    }

    /// `--bucket`: a line per bucket of capture time, for legacy traffic.
    fn buckets(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        let Some(b) = &m.buckets else { return };
        h(
            o,
            "buckets",
            &format!(
                "Legacy over time ({} buckets, capture time UTC)",
                width_label(b.width_secs)
            ),
        );
        let lim = self.limit(b.series.len());
        let mut g = Grid::new(&[
            ("FROM", false),
            ("CONNS", true),
            ("LEGACY", true),
            ("SHARE", true),
            ("BELOW POLICY", true),
            ("CLIENTS", true),
            ("FAILED", true),
            ("", false),
        ]);
        // The latest buckets when not all fit: what changed lately matters.
        let skip = b.series.len() - lim.shown;
        for r in b.series.iter().skip(skip) {
            let share = if r.connections > 0 {
                r.legacy as f64 / r.connections as f64
            } else {
                0.0
            };
            let tone = if r.legacy > 0 { Tone::Warn } else { Tone::Good };
            g.row(vec![
                when(r.start).into(),
                r.connections.to_string().into(),
                Cell::new(r.legacy.to_string(), tone),
                pct(r.legacy, r.connections).into(),
                r.below_policy.to_string().into(),
                r.clients_below_policy.to_string().into(),
                r.failed.to_string().into(),
                Cell::new("█".repeat((share * 20.0).round() as usize), tone),
            ]);
        }
        g.render(p, o);
        if skip > 0 {
            let _ = writeln!(
                o,
                "  … {skip} earlier buckets (--top 0 shows all; --format summary-json lists them)"
            );
        }
        if b.unlisted_connections > 0 {
            let _ = writeln!(
                o,
                "  {} connections fell in buckets beyond --max-rows and are in no bucket",
                b.unlisted_connections
            );
        }
    }

    fn latency(
        &self,
        o: &mut String,
        p: &Paint,
        m: &Model<'_>,
        h: &dyn Fn(&mut String, &str, &str),
    ) {
        if m.latency_ms.0.is_empty() {
            return;
        }
        h(
            o,
            "latency",
            "Handshake latency, ClientHello → ServerHello (ms)",
        );
        let mut g = Grid::new(&[
            ("VERSION", false),
            ("COUNT", true),
            ("p50", true),
            ("p90", true),
            ("p99", true),
            ("max", true),
        ]);
        let ms = |micros: u64| format!("{:.3}", micros as f64 / 1000.0);
        for r in &m.latency_ms.0 {
            g.row(vec![
                r.version.to_string().into(),
                r.count.to_string().into(),
                ms(r.p50).into(),
                ms(r.p90).into(),
                ms(r.p99).into(),
                ms(r.max).into(),
            ]);
        }
        g.render(p, o);
    }
}

/// The table of `model`, as text (the live `--interval` summary uses it).
pub fn render_text(model: &Model<'_>, color: bool, top: usize, width: Option<usize>) -> String {
    Table::new(io::sink(), color, top).fit(width).render(model)
}

impl<W: Write> Report for Table<W> {
    fn finish(&mut self, model: &Model<'_>) -> io::Result<()> {
        let text = self.render(model);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}
