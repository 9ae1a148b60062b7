//! The YAML most templates render — block mappings and lists whose scalars each fit on their
//! line, plain, quoted or in a one-line flow collection — read straight to values.
//!
//! A template's output is read once per use, so every object a minijinja template renders
//! passes here; the YAML reader (`super::yaml::parse`) spends about 2,000 instructions an event
//! keeping spans that only a diagnostic would need, and a template's output that reads well
//! needs none. Anything outside that shape is left to the YAML reader (`None`): text outside
//! printable ASCII (tabs, CRs, UTF-8), comments, anchors, aliases, tags, block scalars, a
//! scalar over two lines, directives and document ends, duplicate or merge keys, keys that are
//! not text, escapes JSON does not have, nesting past the YAML reader's own limits, keys of over 256 bytes. Plain
//! scalars are typed by the YAML reader's own rule (`events::resolve`), and builds with debug
//! assertions (the tests) and fuzz builds read every accepted text with the YAML reader too and
//! panic on any difference.

use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::ScalarStyle;

use super::Budgets;
use super::events::resolve;
use super::yaml::Scalar;

/// The documents of `text`, if it is all of the shape above.
pub(crate) fn read_block_yaml(text: &str, budgets: &Budgets) -> Option<Vec<Value>> {
    let documents = documents(text, budgets);
    #[cfg(any(debug_assertions, fuzzing))]
    if let Some(documents) = &documents {
        assert_same_as_the_yaml_reader(text, budgets, documents);
    }
    documents
}

/// [`read_block_yaml`] without the check.
pub(super) fn documents(text: &str, budgets: &Budgets) -> Option<Vec<Value>> {
    // Within the YAML reader's own limits (its events reader's: half of serde-saphyr's), and
    // a quarter of the budgets, so that what is read here that reader would read too.
    if text.len() > serde_saphyr::Budget::default().max_total_scalar_bytes / 2 {
        return None;
    }
    let mut documents: Vec<Vec<Line<'_>>> = vec![Vec::new()];
    let mut separators = 0;
    for raw in text.split('\n') {
        if !raw.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return None;
        }
        let line = raw.trim_end_matches(' ');
        let content = line.trim_start_matches(' ');
        if content.is_empty() {
            continue;
        }
        // Document markers: only lines that start with `-` or `.` need a look.
        if matches!(line.as_bytes()[0], b'-' | b'.') {
            if line == "---" {
                separators += 1;
                documents.push(Vec::new());
                continue;
            }
            if line.starts_with("---") || line.starts_with("...") {
                return None;
            }
        }
        if content.starts_with('#') {
            return None;
        }
        let indent = line.len() - content.len();
        documents.last_mut()?.push(Line { indent, content });
    }
    // `---` may open the first document; every other document has content.
    if separators > 0 && documents[0].is_empty() {
        documents.remove(0);
    }
    if documents.iter().any(Vec::is_empty) || documents.len() > budgets.max_documents / 4 {
        return None;
    }
    let mut reader = Reader {
        lines: &[],
        at: 0,
        open: 0,
        nodes: 0,
        max_open: budgets.max_depth.saturating_sub(2),
        max_nodes: budgets.max_nodes / 4,
    };
    let mut values = Vec::with_capacity(documents.len());
    for lines in &documents {
        reader.lines = lines;
        reader.at = 0;
        if lines[0].indent != 0 {
            return None;
        }
        values.push(reader.block(0)?);
        if reader.at != lines.len() {
            return None;
        }
    }
    Some(values)
}

/// A line with content: its indentation and the rest, trailing spaces cut.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    content: &'a str,
}

struct Reader<'a> {
    lines: &'a [Line<'a>],
    /// The line being read.
    at: usize,
    /// Collections open, and the most allowed (the YAML reader's own limits).
    open: usize,
    max_open: usize,
    nodes: usize,
    max_nodes: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    /// One more node; `None` past the limits.
    fn node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= self.max_nodes).then_some(())
    }

    fn enter(&mut self) -> Option<()> {
        if self.open >= self.max_open {
            return None;
        }
        self.open += 1;
        self.node()
    }

    /// The collection that starts the line being read, at `column`.
    fn block(&mut self, column: usize) -> Option<Value> {
        let content = self.peek()?.content;
        if is_dash(content) {
            self.list(column)
        } else {
            self.map(column, key(content)?)
        }
    }

    /// A block mapping at `column` whose first key, read from the line being read, is `first`
    /// (its text and what follows its colon).
    fn map(&mut self, column: usize, first: (String, &'a str)) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        let (mut key, mut after) = first;
        loop {
            self.node()?;
            let value = self.value_of(column, after)?;
            if map.insert(key, value).is_some() {
                return None; // the YAML reader reports it
            }
            match self.peek() {
                Some(line) if line.indent == column && !is_dash(line.content) => {
                    (key, after) = self::key(line.content)?;
                }
                Some(line) if line.indent >= column => return None,
                _ => break,
            }
        }
        self.open -= 1;
        Some(Value::Object(map))
    }

    /// A block list whose dashes stand at `column`, the first on the line being read.
    fn list(&mut self, column: usize) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let content = self.peek()?.content;
            let after = content.get(1..)?;
            let item = after.trim_start_matches(' ');
            let item_column = column + content.len() - item.len();
            let value = if item.is_empty() {
                self.at += 1;
                self.nested(column)?
            } else if is_dash(item) {
                return None; // a list in a list on one line
            } else if let Some(first) = key(item) {
                self.map(item_column, first)?
            } else {
                let value = scalar_line(item, self)?;
                self.at += 1;
                value
            };
            items.push(value);
            match self.peek() {
                Some(line) if line.indent == column && is_dash(line.content) => {}
                Some(line) if line.indent > column => return None,
                _ => break,
            }
        }
        self.open -= 1;
        Some(Value::Array(items))
    }

    /// What follows `key:` (`after`, spaces cut) in a mapping at `column`: a scalar on the
    /// line, or a collection on the lines below (a list may stand at the key's own column).
    fn value_of(&mut self, column: usize, after: &'a str) -> Option<Value> {
        if !after.is_empty() {
            let value = scalar_line(after, self)?;
            self.at += 1;
            return Some(value);
        }
        self.at += 1;
        match self.peek() {
            Some(line) if line.indent == column && is_dash(line.content) => self.list(column),
            _ => self.nested(column),
        }
    }

    /// The collection on the lines below a line at `column`, or null if there is none.
    fn nested(&mut self, column: usize) -> Option<Value> {
        match self.peek() {
            Some(line) if line.indent > column => self.block(line.indent),
            _ => {
                self.node()?;
                Some(Value::Null)
            }
        }
    }
}

/// Whether a line's content is a list item: a dash alone or before a space.
fn is_dash(content: &str) -> bool {
    let bytes = content.as_bytes();
    bytes.first() == Some(&b'-') && bytes.get(1).is_none_or(|b| *b == b' ')
}

/// `key: rest` or `key:`: the key's text and the rest, spaces cut; `None` if `content` is not
/// a key of plain text or in quotes.
fn key(content: &str) -> Option<(String, &str)> {
    let (text, after) = if content.starts_with(['"', '\'']) {
        let (text, after) = quoted(content)?;
        (text, after.strip_prefix(':')?)
    } else {
        let (text, after) = match colon_space(content) {
            Some(colon) => (&content[..colon], &content[colon + 1..]),
            None => (content.strip_suffix(':')?, ""),
        };
        (plain_key(text)?, after)
    };
    if !(after.is_empty() || after.starts_with(' ')) || is_long_key(content, after) {
        return None;
    }
    Some((text, after.trim_start_matches(' ')))
}

/// A plain key's text, if YAML reads it as text and not as a merge key (the YAML reader keeps
/// the text of a key that reads as a number or boolean, which this reader leaves to it).
fn plain_key(text: &str) -> Option<String> {
    if !is_plain(text) || text == "<<" {
        return None;
    }
    match resolve(text.to_owned(), ScalarStyle::Plain)? {
        Scalar::String(text) => Some(text),
        _ => None,
    }
}

/// Whether the key that starts `content` and ends before `after` is longer than this reader
/// takes: YAML refuses an implicit key of over 1,024 characters.
fn is_long_key(content: &str, after: &str) -> bool {
    content.len() - after.len() > 256
}

/// A scalar or flow collection that is all of the rest of its line.
fn scalar_line(content: &str, reader: &mut Reader<'_>) -> Option<Value> {
    if content.starts_with(['[', '{', '"', '\'']) {
        let (value, after) = flow(content, reader)?;
        return after.trim_start_matches(' ').is_empty().then_some(value);
    }
    if content
        .bytes()
        .any(|b| matches!(b, b'[' | b']' | b'{' | b'}'))
    {
        return None;
    }
    plain(content, reader)
}

/// A plain scalar, typed as the YAML reader types it.
fn plain(text: &str, reader: &mut Reader<'_>) -> Option<Value> {
    if !is_plain(text) {
        return None;
    }
    reader.node()?;
    Some(match resolve(text.to_owned(), ScalarStyle::Plain)? {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Number(i.into()),
        Scalar::UInt(u) => Value::Number(u.into()),
        Scalar::Float(f) => Value::Number(Number::from_f64(f)?),
        Scalar::String(s) => Value::String(s),
    })
}

/// Text that reads as one plain scalar in a block or a flow: no indicator first (a dash only
/// before something else than a space, and not as a document marker), no comment, and no `: `
/// or `:` at the end.
fn is_plain(text: &str) -> bool {
    let Some(&first) = text.as_bytes().first() else {
        return false;
    };
    let starts_well = match first {
        b'-' => text.len() > 1 && !text.starts_with("- ") && !text.starts_with("---"),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' => false,
        _ => true,
    };
    starts_well
        && !text.ends_with([':', ' '])
        && colon_space(text).is_none()
        && !text.as_bytes().contains(&b'#')
}

/// Where `: ` first stands in `text`.
fn colon_space(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| b == b':') {
        let colon = from + at;
        if bytes.get(colon + 1) == Some(&b' ') {
            return Some(colon);
        }
        from = colon + 1;
    }
    None
}

/// A flow node at the start of `text`, and what follows it.
fn flow<'t>(text: &'t str, reader: &mut Reader<'_>) -> Option<(Value, &'t str)> {
    let text = text.trim_start_matches(' ');
    if let Some(rest) = text.strip_prefix('{') {
        return flow_map(rest, reader);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return flow_list(rest, reader);
    }
    if text.starts_with(['"', '\'']) {
        reader.node()?;
        let (text, after) = quoted(text)?;
        return Some((Value::String(text), after));
    }
    let end = text.find([',', ']', '}']).unwrap_or(text.len());
    let (scalar, after) = text.split_at(end);
    let scalar = scalar.trim_end_matches(' ');
    if scalar.contains([':', '[', '{']) {
        return None;
    }
    Some((plain(scalar, reader)?, after))
}

/// The entries of a flow mapping after its `{`, and what follows its `}`.
fn flow_map<'t>(text: &'t str, reader: &mut Reader<'_>) -> Option<(Value, &'t str)> {
    let mut map = Map::new();
    let after = flow_entries(text, '}', reader, |rest, reader| {
        let (key, after) = if rest.starts_with(['"', '\'']) {
            let (key, after) = quoted(rest)?;
            (key, after.trim_start_matches(' ').strip_prefix(':')?)
        } else {
            let colon = colon_space(rest)?;
            let (key, after) = (&rest[..colon], &rest[colon + 2..]);
            if key.contains([',', '[', ']', '{', '}', ':']) {
                return None;
            }
            (plain_key(key)?, after)
        };
        if is_long_key(rest, after) {
            return None;
        }
        reader.node()?;
        let (value, after) = flow(after, reader)?;
        map.insert(key, value).is_none().then_some(after)
    })?;
    Some((Value::Object(map), after))
}

/// The items of a flow list after its `[`, and what follows its `]`.
fn flow_list<'t>(text: &'t str, reader: &mut Reader<'_>) -> Option<(Value, &'t str)> {
    let mut items = Vec::new();
    let after = flow_entries(text, ']', reader, |rest, reader| {
        let (value, after) = flow(rest, reader)?;
        items.push(value);
        Some(after)
    })?;
    Some((Value::Array(items), after))
}

/// The entries of a flow collection after its opening bracket, each read by `entry` (which
/// returns what follows it), and what follows `close`.
fn flow_entries<'t, 'r>(
    text: &'t str,
    close: char,
    reader: &mut Reader<'r>,
    mut entry: impl FnMut(&'t str, &mut Reader<'r>) -> Option<&'t str>,
) -> Option<&'t str> {
    reader.enter()?;
    let mut rest = text.trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix(close) {
        reader.open -= 1;
        return Some(after);
    }
    loop {
        let after = entry(rest, reader)?.trim_start_matches(' ');
        if let Some(after) = after.strip_prefix(close) {
            reader.open -= 1;
            return Some(after);
        }
        rest = after.strip_prefix(',')?.trim_start_matches(' ');
        if rest.starts_with(close) {
            return None; // a trailing comma
        }
    }
}

/// A quoted scalar at the start of `text` (which starts with its quote), and what follows it;
/// `None` if it does not end on the line or has an escape JSON does not have.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut chars = text.char_indices();
    let (_, quote) = chars.next()?;
    let mut out = String::new();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            ('\'', '\'') => {
                if text[at + 1..].starts_with('\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    return Some((out, &text[at + 1..]));
                }
            }
            ('"', '"') => return Some((out, &text[at + 1..])),
            ('"', '\\') => {
                let (_, escape) = chars.next()?;
                out.push(match escape {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let digits = text.get(at + 2..at + 6)?;
                        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        let code = u32::from_str_radix(digits, 16).ok()?;
                        chars.nth(3)?;
                        char::from_u32(code)? // `None` for half of a surrogate pair
                    }
                    _ => return None,
                });
            }
            _ => out.push(c),
        }
    }
    None
}

/// Panics unless the YAML reader reads `text` as `documents`, without an error.
#[cfg(any(test, debug_assertions, fuzzing))]
pub(super) fn assert_same_as_the_yaml_reader(text: &str, budgets: &Budgets, documents: &[Value]) {
    let mut diags = crate::diag::Diagnostics::default();
    let nodes = super::yaml::read_nodes(super::FileId(u32::MAX), text, budgets, &mut diags);
    assert!(
        !diags.has_errors(),
        "the block reader took what the YAML reader refuses: {text:?}"
    );
    let theirs: Vec<String> = nodes.iter().map(|n| n.to_value().to_string()).collect();
    let ours: Vec<String> = documents.iter().map(Value::to_string).collect();
    assert_eq!(ours, theirs, "the block reader read {text:?} differently");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `text` read by the block reader, checked against the YAML reader.
    fn read(text: &str) -> Option<Vec<Value>> {
        let budgets = Budgets::default();
        let documents = documents(text, &budgets)?;
        assert_same_as_the_yaml_reader(text, &budgets, &documents);
        Some(documents)
    }

    #[test]
    fn reads_what_templates_write() {
        let text = "\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, \"team\": 'it''s', tier: \"a\\u003cb\"}

spec:
  replicas: 3
  paused: no
  ratio: -1.5
  empty:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
        args: [--port=80, \"-v\", 3, [], {}]
        env:
          - name: A
            value: \"1\"
          -
            name: B
      tolerations:
      - ~
---
patch: {\"metadata\":{\"labels\":{\"a\":\"b\"}}}
";
        let expected = vec![
            json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"app": "web", "team": "it's", "tier": "a<b"}},
                "spec": {
                    "replicas": 3,
                    "paused": false,
                    "ratio": -1.5,
                    "empty": null,
                    "template": {"spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx:1.25",
                            "args": ["--port=80", "-v", 3, [], {}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B"}],
                        }],
                        "tolerations": [null],
                    }},
                },
            }),
            json!({"patch": {"metadata": {"labels": {"a": "b"}}}}),
        ];
        assert_eq!(read(text), Some(expected));
    }

    /// Corners of what the reader takes, each read as the YAML reader reads it.
    #[test]
    fn reads_the_corners_of_its_shape_as_the_yaml_reader_does() {
        let texts = [
            "a: {\"k\" : 1, 'l': 'm', o: \"\"}\n",
            "a: it's\nb: x-y\nc: --\nd: a\"b\ne: b:c\nf: =\ng: <<\n",
            "-key: 1\na:b: 2\n\"<<\": 3\n'on': 4\n",
            "a: [ ]\nb: { }\nc: [{}, [[]], {d: [e]}]\n",
            "a: \"\\u00e9\\/\\t\\\"\\\\\"\nb: '\\n'\n",
            "a: ~\nb: Null\nc: yes\nd: 0.5\ne: -7\nf: 7.0\ng: 1.2.3\nh: 2024-01-01\n",
            "a:\n  - b\n  -\n  - - c\n",
            "- a\n- b: 1\n  c:\n  - d\n",
        ];
        let mut taken = 0;
        for text in texts {
            taken += usize::from(read(text).is_some());
        }
        // All but the list in a list on one line (`- - c`), which is left to the YAML reader. (So
        // are a plain key YAML reads as a boolean, `n`, and a plain scalar whose type the YAML
        // reader's rule leaves to serde-saphyr, `-a` or `007`.)
        assert_eq!(taken, texts.len() - 1);
    }

    /// What the reader leaves to the YAML reader: each text is YAML (or a YAML error) that
    /// the block shape does not cover.
    #[test]
    fn leaves_the_rest_to_the_yaml_reader() {
        let texts = [
            "a: 1 # a comment\n",
            "# a comment\na: 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >-\n  text\n",
            "a: plain\n  continued\n",
            "a:\n  plain on its own line\n",
            "a:\t1\n",
            "a: 1\r\n",
            "a: é\n",
            "a: 1\na: 2\n",
            "a: {x: 1, x: 2}\n",
            "<<: {a: 1}\n",
            "? a\n: 1\n",
            "a: - b\n",
            "- - a\n",
            "a: [1, 2,]\n",
            "a: [1,\n  2]\n",
            "1: a\n",
            "on: a\n",
            "a: \"\\x41\"\n",
            "a: \"\\ud800\"\n",
            "a: \"multi\n  line\"\n",
            "\"a\" : 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "--- a: 1\n",
            "a: 1\n...\n",
            "a: 1\n---\n---\nb: 2\n",
            "  a: 1\n",
            "a: 1\n  b: 2\n",
            "plain\n",
            "a: {b: c:d}\n",
            "a: b: c\n",
            &format!("{}: 1\n", "k".repeat(1100)),
            &format!("a: {{{}: 1}}\n", "k".repeat(1100)),
            "",
        ];
        for text in texts {
            assert_eq!(read(text), None, "{text:?}");
        }
    }

    /// Nesting stops where the YAML reader's own limit would hand the text on.
    #[test]
    fn nesting_stops_within_the_yaml_readers_limits() {
        let budgets = Budgets {
            max_depth: 8,
            ..Budgets::default()
        };
        let nested = |levels: usize| {
            let mut text = String::new();
            for level in 0..levels {
                text.push_str(&"  ".repeat(level));
                text.push_str("k:\n");
            }
            text
        };
        let deepest = nested(6);
        let read = documents(&deepest, &budgets).expect("six levels");
        assert_same_as_the_yaml_reader(&deepest, &budgets, &read);
        assert!(documents(&nested(7), &budgets).is_none());
        assert!(documents("a: [[[[[[1]]]]]]\n", &budgets).is_none());
    }
}
