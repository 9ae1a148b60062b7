//! Writing YAML that YAML 1.1 readers (kubectl, PyYAML) and 1.2 readers read back to the same
//! values: any string that could be read as something else (`on`, `yes`, `0755`, `1e3`, `~`) is
//! quoted; keys keep their order, with apiVersion, kind, metadata and spec first. Used by `emit`
//! for output and by `render` for the templates' `to_yaml` filter.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::diag::is_unsafe_char;

const FIRST_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

/// A value as one YAML document (no `---` separator), written as oam writes its output: block
/// style, `apiVersion`, `kind`, `metadata` and `spec` first, and every string that YAML 1.1 or 1.2
/// would read as something else (`on`, `0755`, `1e3`) quoted.
///
/// ```
/// let object = serde_json::json!({"kind": "ConfigMap", "apiVersion": "v1", "data": {"debug": "on"}});
/// assert_eq!(oam::to_yaml(&object), "apiVersion: v1\nkind: ConfigMap\ndata:\n  debug: \"on\"\n");
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(&mut out, value);
    out
}

/// [`to_yaml`], appended to `out`.
pub(crate) fn write_yaml(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, true, false),
        Value::Array(items) if !items.is_empty() => write_list(out, items, 0),
        scalar => {
            write_scalar(out, scalar, 0);
            out.push('\n');
        }
    }
}

/// Where a top-level key goes: `apiVersion`, `kind`, `metadata`, `spec`, then the rest.
fn rank(key: &str) -> usize {
    FIRST_KEYS
        .iter()
        .position(|f| *f == key)
        .unwrap_or(FIRST_KEYS.len())
}

/// Moves an object's `apiVersion`, `kind`, `metadata` and `spec` to the front, as the YAML is
/// written, so the object as a value and as text list its fields in one order.
pub(crate) fn order_top_keys(value: &mut Value) {
    let Value::Object(map) = value else {
        return;
    };
    if map.keys().is_sorted_by_key(|k| rank(k)) {
        return;
    }
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    entries.sort_by_key(|(k, _)| rank(k));
    map.extend(entries);
}

/// `indent` spaces.
fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

/// A non-empty map, a line an entry at `indent` (`apiVersion`, `kind`, `metadata`, `spec` first
/// when `top`). A list item's first key shares the line with its dash: `dashed` leaves that
/// line's indentation to the caller.
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, top: bool, dashed: bool) {
    if top && !map.keys().is_sorted_by_key(|k| rank(k)) {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by_key(|(k, _)| rank(k));
        write_entries(out, entries.into_iter(), indent, dashed);
    } else {
        write_entries(out, map.iter(), indent, dashed);
    }
}

fn write_entries<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    indent: usize,
    dashed: bool,
) {
    for (index, (key, child)) in entries.enumerate() {
        if index > 0 || !dashed {
            pad(out, indent);
        }
        if is_plain(key) {
            out.push_str(key);
        } else {
            write_quoted(out, key);
        }
        out.push(':');
        write_child(out, child, indent);
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_map(out, map, indent + 2, false, true);
            }
            other => write_child(out, other, indent),
        }
    }
}

fn write_child(out: &mut String, child: &Value, indent: usize) {
    match child {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2, false, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, indent + 2);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(float) => write_float(out, float),
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => write_string(out, s, indent),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A float as kubectl and `vela dry-run` write it (Go: JSON, read back by go-yaml and written
/// again): a whole number within 64 bits as an integer (`3`, not `3.0`, which an integer field
/// of the API refuses), any other as Go's `strconv.FormatFloat(x, 'g', -1, 64)` (`0.25`,
/// `1.5e-07`, `1.2345675e+06`).
fn write_float(out: &mut String, float: f64) {
    if let Some(whole) = cue::go_whole_number(float) {
        let _ = write!(out, "{whole}");
        return;
    }
    // The shortest digits that read back to the same float, and the decimal exponent of the
    // first: Rust's `{:e}` and Go's shortest formatting agree on both.
    let scientific = format!("{:e}", float.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if float < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    } else if exponent < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            exponent.unsigned_abs() as usize - 1,
        ));
        out.push_str(&digits);
    } else {
        // 0 <= exponent < 6 and the float is not whole: the point falls inside the digits.
        let point = exponent.unsigned_abs() as usize + 1;
        out.push_str(&digits[..point.min(digits.len())]);
        out.extend(std::iter::repeat_n('0', point.saturating_sub(digits.len())));
        out.push('.');
        out.push_str(&digits[point.min(digits.len())..]);
    }
}

fn write_string(out: &mut String, s: &str, indent: usize) {
    if is_plain(s) {
        out.push_str(s);
    } else if !write_literal_block(out, s, indent) {
        write_quoted(out, s);
    }
}

/// `s` double-quoted: a JSON string is a valid YAML double-quoted scalar. JSON escapes only C0
/// controls; the rest a reader or terminal may act on (DEL, C1, the line separators YAML 1.1
/// breaks lines at, bidi controls) is escaped too.
fn write_quoted(out: &mut String, s: &str) {
    // Serialising a string cannot fail.
    let quoted = serde_json::to_string(s).unwrap_or_default();
    if !quoted.chars().any(is_unsafe_char) {
        out.push_str(&quoted);
        return;
    }
    for c in quoted.chars() {
        if is_unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

/// Writes multi-line text as a `|` or `|-` literal block, when the block keeps it exactly;
/// false (and nothing written) otherwise.
fn write_literal_block(out: &mut String, s: &str, indent: usize) -> bool {
    let body = s.strip_suffix('\n');
    let (text, chomp) = match body {
        Some(b) if !b.ends_with('\n') => (b, ""),
        Some(_) => return false,
        None => (s, "-"),
    };
    let clean = text.contains('\n')
        // A block's indentation is its first non-empty line's: that line may not start
        // with a space of its own.
        && !text.trim_start_matches('\n').starts_with([' ', '\t'])
        && text.lines().all(|l| {
            !l.ends_with([' ', '\t']) && l.chars().all(|c| c == '\t' || !is_unsafe_char(c))
        })
        && !text.contains('\r');
    if !clean {
        return false;
    }
    out.push('|');
    out.push_str(chomp);
    for line in text.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    true
}

/// The bytes a plain scalar may hold, as a table: `is_plain` runs for every key and string
/// written.
const PLAIN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        #[allow(clippy::cast_possible_truncation)] // below 256
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'.'
                    | b'_'
                    | b'/'
                    | b':'
                    | b'='
                    | b'@'
                    | b'+'
                    | b','
                    | b'-'
                    | b'$'
                    | b'('
                    | b')'
                    | b'%'
            );
        byte += 1;
    }
    table
};

/// Can `s` stand unquoted and still read back as this string under YAML 1.1 and 1.2?
fn is_plain(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "nan", "inf",
    ];
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let safe_start = first.is_ascii_alphabetic()
        || first == b'/'
        || (first == b'-'
            && bytes
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'-'));
    if !safe_start || bytes.len() <= 5 && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    // One pass: every byte of the safe set, and no `: `, ` #` or two spaces in a row.
    let mut previous = 0u8;
    for &b in bytes {
        let allowed = PLAIN_BYTES[usize::from(b)];
        let breaks = match b {
            b' ' => previous == b':' || previous == b' ',
            b'#' => previous == b' ',
            _ => false,
        };
        if !allowed || breaks {
            return false;
        }
        previous = b;
    }
    !matches!(previous, b' ' | b':')
}

#[cfg(test)]
mod tests {
    use super::{is_plain, to_yaml};
    use serde_json::json;

    #[test]
    fn unsafe_characters_are_escaped() {
        let text =
            to_yaml(&json!({"k": "a\u{1b}[2J\u{2028}b\u{202e}\u{85}", "l": "x\ny\u{2028}\n"}));
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::diag::is_unsafe_char(c)),
            "{text}"
        );
        assert!(text.contains("\\u2028"), "{text}");
    }

    #[test]
    fn plain_bytes_are_the_safe_set() {
        for b in 0..=255u8 {
            let safe = b.is_ascii_alphanumeric() || b" ._/:=@+,-$()%".contains(&b);
            assert_eq!(super::PLAIN_BYTES[usize::from(b)], safe, "byte {b}");
        }
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "on", "yes", "Y", "0755", "1e3", "~", "", "null", "1.0", "-1", "a: b", "#x", "*a",
            "a #b", " a",
        ] {
            assert!(!is_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "nginx:1.19",
            "app.oam.dev/name",
            "--coolflag",
            "hello world",
            "wordpress",
        ] {
            assert!(is_plain(s), "{s:?} can be plain");
        }
    }

    /// Strings YAML readers are known to misread, as pieces of random strings.
    const PIECES: &[&str] = &[
        "",
        " ",
        "a",
        "on",
        "No",
        "0755",
        "1e3",
        "-",
        "--x",
        "a: b",
        "#",
        "x #y",
        "é",
        "\n",
        "\t",
        "  ",
        "null",
        "~",
        "[",
        "{",
        "}",
        "*a",
        "&a",
        "!t",
        "%",
        "@",
        "`",
        "'",
        "\"",
        ":",
        "-1",
        "0x1f",
        ".5",
        "1_000",
        "1:30",
        "\u{2028}",
        "\u{85}",
        "\r",
        "|",
        ">",
        "=",
        "?",
        ",",
        "\\",
        "\u{1b}",
        "\u{feff}",
        "y",
        "2026-11-28",
        "+1",
        ".inf",
        "NaN",
    ];

    /// A random value: `next(n)` draws below `n`.
    fn random_value(next: &mut dyn FnMut(u32) -> u32, depth: usize) -> serde_json::Value {
        let text = |next: &mut dyn FnMut(u32) -> u32| -> String {
            (0..next(4))
                .map(|_| PIECES[next(PIECES.len() as u32) as usize])
                .collect()
        };
        match next(if depth > 3 { 4 } else { 6 }) {
            0 => json!(text(next)),
            1 => json!(i64::from(next(2_000_000)) - 1_000_000),
            2 if next(2) == 0 => json!(f64::from(next(1000)) / 8.0 - 60.0),
            2 => {
                let scale = 10f64.powi(i32::try_from(next(60)).unwrap_or(0) - 30);
                json!((f64::from(next(100_000)) - 50_000.0) / 7.0 * scale)
            }
            3 => {
                [json!(null), json!(true), json!(false), json!(u64::MAX)][next(4) as usize].clone()
            }
            4 => (0..next(4))
                .map(|_| random_value(next, depth + 1))
                .collect(),
            _ => serde_json::Value::Object(
                (0..next(4))
                    .map(|_| (text(next), random_value(next, depth + 1)))
                    .collect(),
            ),
        }
    }

    /// Random values read back from the text as exactly the value written (serde-saphyr, YAML
    /// 1.2; the quoting covers 1.1 too), and as the same JSON.
    #[test]
    fn random_values_read_back_as_written() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: u32| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            u32::try_from(state % u64::from(bound)).unwrap_or(0)
        };
        for _ in 0..3000 {
            let written = random_value(&mut next, 0);
            let text = to_yaml(&written);
            let read: serde_json::Value = serde_saphyr::from_str(&text)
                .unwrap_or_else(|e| panic!("{written:?} wrote unreadable YAML:\n{text}\n{e}"));
            // The JSON stream, written from a value read back, is the one written from the value.
            let (mut from_read, mut from_written) = (Vec::new(), Vec::new());
            crate::json_writer::list_item(&read, &mut from_read);
            crate::json_writer::list_item(&written, &mut from_written);
            assert_eq!(from_read, from_written, "{text}");
            assert_eq!(read, whole_floats_as_integers(written), "{text}");
        }
    }

    /// What reading the YAML gives: a whole float is written as the integer.
    fn whole_floats_as_integers(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Number(n) if n.is_f64() => match n.as_f64() {
                #[allow(clippy::cast_possible_truncation)]
                Some(f) if f.fract() == 0.0 && f.abs() < 9e18 => json!(f as i64),
                _ => Value::Number(n),
            },
            Value::Array(items) => items.into_iter().map(whole_floats_as_integers).collect(),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, whole_floats_as_integers(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    // A literal block takes its indentation from its first line with text; one that starts
    // with spaces after blank lines was read back without them.
    #[test]
    fn text_indented_after_blank_lines_is_not_a_literal_block() {
        for text in ["\n  indented\nx", "\n\n\tx\ny"] {
            let written = json!({"data": text});
            let read: serde_json::Value =
                serde_saphyr::from_str(&to_yaml(&written)).expect("valid YAML");
            assert_eq!(read, written);
        }
    }

    // Go's `strconv.FormatFloat(x, 'g', -1, 64)`, which kubectl and `vela dry-run` write (after
    // JSON, where a whole float is an integer).
    #[test]
    fn floats_are_written_as_go_writes_them() {
        let cases = [
            (3.0, "3"),
            (-0.0, "0"),
            (-42.0, "-42"),
            (0.3, "0.3"),
            (2.5, "2.5"),
            (-0.5, "-0.5"),
            (0.0001, "0.0001"),
            (0.000_012_5, "1.25e-05"),
            (1.5e-7, "1.5e-07"),
            (123_456.5, "123456.5"),
            (1_234_567.5, "1.2345675e+06"),
            (1e15, "1000000000000000"),
            (18_446_744_073_709_549_568.0, "18446744073709549568"),
            (1e20, "1e+20"),
            (-1e20, "-1e+20"),
            (1e300, "1e+300"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (float, text) in cases {
            assert_eq!(to_yaml(&json!(float)), format!("{text}\n"), "{float:?}");
        }
    }

    #[test]
    fn list_items_share_the_dash_line_at_any_depth() {
        let value = json!({"a": [[{"b": 1, "c": [{"d": "x\ny"}]}], {}, []]});
        let expected = "a:\n  -\n    - b: 1\n      c:\n        - d: |-\n            x\n            y\n  - {}\n  - []\n";
        assert_eq!(to_yaml(&value), expected);
        // Deeper than the writer's run of spaces: indentation stays exact.
        let mut deep = json!("leaf");
        for _ in 0..40 {
            deep = json!({ "k": deep });
        }
        let text = to_yaml(&deep);
        assert!(
            text.ends_with(&format!("{}k: leaf\n", " ".repeat(78))),
            "{text}"
        );
    }

    #[test]
    fn writes_kubernetes_shaped_yaml() {
        let value = json!({
            "spec": {"containers": [{"name": "a", "args": ["x", "on"], "env": []}]},
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web", "labels": {}},
            "data": {"f": "line one\nline two\n", "g": 3}
        });
        let expected = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {}\nspec:\n  containers:\n    - name: a\n      args:\n        - x\n        - \"on\"\n      env: []\ndata:\n  f: |\n    line one\n    line two\n  g: 3\n";
        assert_eq!(to_yaml(&value), expected);
    }
}
