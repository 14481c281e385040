//! Output safety: ClientHellos whose SNI and ALPN hold terminal escape
//! sequences, every C0 and C1 control, DEL, bidi overrides and isolates,
//! invisible characters, bytes that are not UTF-8, and spreadsheet
//! formulas — made here from a real fixture hello — run through every
//! output format. The test reads the bytes that come out.

use serde_json::Value;

use crate::util::{
    alpn_extension, client_hello_message, conversation, fixture_hellos, pcap_bytes,
    replace_extensions, sni_extension, stderr, tempdir, tls_records, tlssniff,
};

/// The hostile names: (SNI bytes, ALPN names).
fn hostile_names() -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    let wrap = |mid: &[u8]| {
        let mut n = b"a".to_vec();
        n.extend(mid);
        n.extend(b"z.example.test");
        n
    };
    // Every C0 control and DEL, as raw bytes.
    for b in (0x00..=0x1fu8).chain([0x7f]) {
        names.push(wrap(&[b]));
    }
    // Every C1 control, as raw bytes (not UTF-8) and as UTF-8 (U+0080..).
    for b in 0x80..=0x9fu8 {
        names.push(wrap(&[b]));
        names.push(wrap(&[0xc2, b]));
    }
    // Bidi embeddings/overrides, isolates, and other invisible characters.
    for c in (0x202a..=0x202eu32).chain(0x2066..=0x2069).chain([
        0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x061c, 0xfeff, 0xe0041,
    ]) {
        let mut buf = [0u8; 4];
        let s = char::from_u32(c).unwrap().encode_utf8(&mut buf);
        names.push(wrap(s.as_bytes()));
    }
    // Invalid UTF-8: a lone continuation, an overlong slash, a cut sequence,
    // 0xff, a surrogate.
    for bad in [
        &b"\x80"[..],
        b"\xc0\xaf",
        b"\xe2\x80",
        b"\xff\xfe",
        b"\xed\xa0\x80",
    ] {
        names.push(wrap(bad));
    }
    // Whole attacks: clear the screen, retitle the window, rewrite a line.
    names.push(b"\x1b[2J\x1b[Hportal.example.test".to_vec());
    names.push(b"evil\x1b]0;owned\x07.example.test".to_vec());
    names.push(b"fine.example.test\r\n  10.0.0.1  TLS 1.3".to_vec());
    names.push("txt.\u{202e}tset.elpmaxe".as_bytes().to_vec());
    // Spreadsheet formulas.
    for f in [
        &b"=HYPERLINK(\"http://x\",\"y\")"[..],
        b"+1+cmd|' /C calc'!A0",
        b"-2+3",
        b"@SUM(1+1)*cmd|' /C calc'!A0",
        b"\t=1",
        b"\r=1",
    ] {
        names.push(f.to_vec());
    }
    // Markup: HTML, Markdown links, emphasis, code, table cells.
    for m in [
        &b"<script>alert(1)</script>.example.test"[..],
        b"\"><img src=x onerror=alert(1)>",
        b"[click](javascript:alert(1))",
        b"**bold**_em_~~del~~`code`",
        b"a|b|c.example.test",
        b"# heading",
        b"&lt;entity&#x3c;.example.test",
        b"back\\slash\\|.example.test",
    ] {
        names.push(m.to_vec());
    }
    // A long name, to be cut in the table.
    names.push(format!("{}.example.test", "x".repeat(300)).into_bytes());
    names
}

/// A capture with one unanswered connection per name, each to a server
/// port of its own (so every name is listed in the table), SNI and ALPN
/// both set to the name.
fn hostile_capture(dir: &std::path::Path) -> (std::path::PathBuf, Vec<Vec<u8>>) {
    let (body, _) = fixture_hellos("tls12.pcap");
    let names = hostile_names();
    let mut recs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        // An ALPN name holds at most 255 bytes.
        let alpn: &[u8] = if name.len() <= 255 { name } else { b"long" };
        let hello = replace_extensions(
            &body,
            &[sni_extension(name), alpn_extension(&[b"h2", alpn])],
        );
        recs.extend(conversation(
            ([10, 66, 2, 2], 40_000 + i as u16),
            ([10, 66, 2, 1], 1_000 + i as u16),
            (1000, 5000),
            1_795_000_000 + i as u32,
            &[(true, tls_records(22, &client_hello_message(&hello)))],
        ));
    }
    let path = dir.join("hostile-names.pcap");
    std::fs::write(&path, pcap_bytes(1, &recs)).unwrap();
    (path, names)
}

fn run(args: &[&str], path: &std::path::Path) -> Vec<u8> {
    let mut all = args.to_vec();
    all.push(path.to_str().unwrap());
    let out = tlssniff(&all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    out.stdout
}

/// Characters that must never reach a terminal raw.
fn unsafe_char(c: char) -> bool {
    let u = c as u32;
    (c.is_control() && c != '\n')
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
        || [
            0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x061c, 0xfeff, 0xe0041,
        ]
        .contains(&u)
}

fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    if let Some((at, c)) = text.char_indices().find(|(_, c)| unsafe_char(*c)) {
        panic!(
            "{what}: U+{:04X} at byte {at}: {:?}",
            c as u32,
            &text[at.saturating_sub(40)..(at + 40).min(text.len())]
        );
    }
}

#[test]
fn the_table_never_prints_a_control_character_from_the_wire() {
    let dir = tempdir("hostile-names-table");
    let (path, names) = hostile_capture(&dir);
    let out = run(&["--color", "never", "--top", "0"], &path);
    assert_terminal_safe("table", &out);
    let text = String::from_utf8(out).unwrap();
    // Every connection is in the report, and the escapes are readable.
    assert!(
        text.contains(&format!("TLS connections: {}", names.len())),
        "{text}"
    );
    for shown in [
        "a\\x1bz.example.test",
        "a\\x00z.example.test",
        "a\\x7fz.example.test",
        "a\\x9bz.example.test",
        "a\\u{9b}z.example.test",
        "a\\u{202e}z.example.test",
        "a\\u{2066}z.example.test",
        "a\\xff\\xfez.example.test",
        "\\x1b[2J\\x1b[Hportal.example.test",
        "evil\\x1b]0;owned\\x07.example.test",
        "fine.example.test\\x0d\\x0a  10.0.0.1  TLS 1.3",
    ] {
        assert!(text.contains(shown), "{shown:?} not shown in\n{text}");
    }
    // The long name is cut to the documented width, with an ellipsis.
    let long = format!("{}…", "x".repeat(63));
    assert!(text.contains(&long), "{text}");
    assert!(!text.contains(&"x".repeat(64)));
}

#[test]
fn json_keeps_names_exact_but_terminal_safe() {
    let dir = tempdir("hostile-names-json");
    let (path, names) = hostile_capture(&dir);
    let out = run(&["--format", "jsonl"], &path);
    assert_terminal_safe("jsonl", &out);
    let records: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), names.len());
    for (rec, name) in records.iter().zip(&names) {
        let ch = &rec["client_hello"];
        match std::str::from_utf8(name) {
            // Exactly the name, every character.
            Ok(s) => {
                assert_eq!(ch["sni"], s, "{rec}");
                if name.len() <= 255 {
                    assert_eq!(ch["alpn"][1], s, "{rec}");
                }
                assert!(ch.get("sni_hex").is_none(), "{rec}");
            }
            // Not UTF-8: the text with U+FFFD, and the bytes in hex.
            Err(_) => {
                assert_eq!(ch["sni"], String::from_utf8_lossy(name).as_ref(), "{rec}");
                let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(ch["sni_hex"], hex, "{rec}");
                assert_eq!(ch["alpn_hex"][1], hex, "{rec}");
            }
        }
    }
    let summary = run(&["--format", "summary-json"], &path);
    assert_terminal_safe("summary-json", &summary);
    let v: Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(v["connections"], names.len());
}

#[test]
fn no_csv_cell_starts_a_formula_unless_asked() {
    let dir = tempdir("hostile-names-csv");
    let (path, names) = hostile_capture(&dir);
    let cells = |raw: bool| -> Vec<csv::StringRecord> {
        let args: &[&str] = if raw {
            &["--format", "csv", "--raw-csv"]
        } else {
            &["--format", "csv"]
        };
        let out = run(args, &path);
        let mut rd = csv::Reader::from_reader(out.as_slice());
        assert_eq!(rd.headers().unwrap().get(5), Some("sni"));
        rd.records().map(|r| r.unwrap()).collect()
    };
    let guarded = cells(false);
    assert_eq!(guarded.len(), names.len());
    for row in &guarded {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?} in {row:?}"
            );
        }
    }
    // The guard is a leading quote and nothing else: RFC 4180 quoting keeps
    // commas, quotes and line breaks inside their cell.
    let raw = cells(true);
    for ((g, r), name) in guarded.iter().zip(&raw).zip(&names) {
        let lossy = String::from_utf8_lossy(name);
        assert_eq!(&r[5], lossy.as_ref());
        if lossy.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert_eq!(&g[5], format!("'{lossy}"));
        } else {
            assert_eq!(&g[5], &r[5]);
        }
    }
}

#[test]
fn markdown_shows_wire_names_as_text_never_as_markup() {
    let dir = tempdir("hostile-names-markdown");
    let (path, names) = hostile_capture(&dir);
    let out = run(&["--format", "markdown", "--top", "0"], &path);
    assert_terminal_safe("markdown", &out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(&format!("TLS connections: {}", names.len())));
    // Rendered as GitHub renders it (tables, strikethrough): no element but
    // the ones the report itself makes.
    let opts =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&text, opts));
    for tag in [
        "<script", "<img", "<a ", "<em>", "<strong>", "<del>", "<code>", "<ol", "<ul",
    ] {
        assert!(!html.contains(tag), "{tag} in\n{html}");
    }
    let h1 = html.matches("<h1>").count();
    assert_eq!(h1, 1, "only the report's title is a level-1 heading");
    // The names are there, as text.
    for shown in [
        "&lt;script&gt;alert(1)&lt;/script&gt;.example.test",
        "\"&gt;&lt;img src=x onerror=alert(1)&gt;",
        "[click](javascript:alert(1))",
        "**bold**_em_~~del~~`code`",
        "a|b|c.example.test",
        "&amp;lt;entity&amp;#x3c;.example.test",
    ] {
        assert!(html.contains(shown), "{shown:?} not in\n{html}");
    }
    // Every table row has its header's cells: no name split a cell.
    for table in html.split("<table>").skip(1) {
        let table = table.split("</table>").next().unwrap();
        let head = table.split("</thead>").next().unwrap();
        let columns = head.matches("</th>").count();
        assert!(columns > 0);
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("</td>").count(), columns, "{row}");
        }
    }
}

/// The elements `--format html` writes; any other tag in the page would
/// have come from the wire.
const HTML_TAGS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "p",
    "section",
    "div",
    "span",
    "strong",
    "nav",
    "ol",
    "ul",
    "li",
    "a",
    "main",
    "figure",
    "figcaption",
    "svg",
    "g",
    "text",
    "rect",
    "line",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "footer",
    "script",
];

/// The tags of `html` (`<name attr="...">`), each with its name and the
/// names of its attributes. Values are quoted and escaped by the report,
/// so a tag ends at the first `>`; the contents of `<style>` and
/// `<script>` are skipped.
fn html_tags(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("an unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('/') || tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        // Attribute names: after a space, up to `=` (values are quoted).
        let mut attrs = Vec::new();
        let mut in_value = false;
        let mut current = String::new();
        for c in tag[name.len()..].chars() {
            match (in_value, c) {
                (false, '"') | (true, '"') => in_value = !in_value,
                (false, '=') => attrs.push(std::mem::take(&mut current).trim().to_string()),
                (false, ' ') => current.clear(),
                (false, c) => current.push(c),
                (true, _) => {}
            }
        }
        // The report's own style and script are raw text up to their end tag.
        if name == "style" || name == "script" {
            let end = rest
                .find(&format!("</{name}>"))
                .expect("an unclosed raw-text element");
            rest = &rest[end..];
        }
        out.push((name, attrs));
    }
    out
}

#[test]
fn html_shows_wire_names_as_text_never_as_markup_or_script() {
    let dir = tempdir("hostile-names-html");
    let (path, names) = hostile_capture(&dir);
    let page = dir.join("report.html");
    run(
        &[
            "--format",
            "html",
            "--top",
            "0",
            "-o",
            page.to_str().unwrap(),
        ],
        &path,
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!("TLS connections: {}", names.len())));
    // No control character from the wire (they are shown escaped).
    assert_terminal_safe("html", html.as_bytes());
    let tags = html_tags(&html);
    for (name, attrs) in &tags {
        assert!(HTML_TAGS.contains(&name.as_str()), "<{name}> in the page");
        for a in attrs {
            assert!(!a.starts_with("on"), "{a} on <{name}>");
            assert!(
                !matches!(a.as_str(), "src" | "srcdoc" | "style" | "formaction"),
                "{a} on <{name}>"
            );
        }
    }
    assert_eq!(tags.iter().filter(|t| t.0 == "script").count(), 1);
    // Every link stays in the page.
    for href in html.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "{}", &href[..40.min(href.len())]);
    }
    // The policy: inline style and script by hash, nothing else.
    let csp = tlssniff::report::html::content_security_policy();
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
    )));
    // The names are there, as text.
    for shown in [
        "&lt;script&gt;alert(1)&lt;/script&gt;.example.test",
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "[click](javascript:alert(1))",
        "&amp;lt;entity&amp;#x3c;.example.test",
    ] {
        assert!(html.contains(shown), "{shown:?} not in the page");
    }
}
