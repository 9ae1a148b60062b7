//! The common case of YAML read straight from the parser's events.
//!
//! Nearly every input file is plain Kubernetes YAML: mappings, lists and scalars, without
//! anchors, aliases, tags, merge keys or directives. serde-saphyr reads such a file through
//! its Serde layer (events into values, spans as maps of their own, duplicate and merge
//! bookkeeping), which cost more than the parsing itself. Here the parser under serde-saphyr
//! (granit-parser, which it re-exports) is read directly, and the result goes through the same
//! `Converter` as serde-saphyr's. Anything outside that plain subset — a syntax error, a
//! budget nearly reached, a scalar whose type is not certain — returns `None`, and the file is
//! read again by serde-saphyr, whose result and diagnostics then stand. The two readers agree
//! on everything this one accepts: tests read every YAML file of the project, the fuzz corpus,
//! the shared corpus and every short number-like scalar both ways and compare the nodes, spans
//! and diagnostics, and fuzz builds compare them on every input.

use serde_saphyr::granit_parser::{Event, Marker, Options, Parser, ScalarStyle, Span};

use super::Budgets;
use super::yaml::{Converter, Node, Scalar};

/// A collection whose end has not been read yet.
enum Open {
    List {
        start: u32,
        items: Vec<Node>,
    },
    Map {
        start: u32,
        entries: Vec<(Node, Node)>,
        /// The key read, waiting for its value.
        key: Option<Node>,
    },
}

/// The documents of `converter`'s text, or `None` (and no diagnostics added) when serde-saphyr
/// must read it.
pub(super) fn read(converter: &mut Converter<'_>, budgets: &Budgets) -> Option<Vec<Node>> {
    let reported = converter.diags.len();
    let documents = read_plain(converter, budgets);
    if documents.is_none() {
        converter.diags.truncate(reported);
    }
    documents
}

/// serde-saphyr's budgets, met well before it would meet them (a file near a limit is left to
/// serde-saphyr, which reports it), and the parser's own limits as serde-saphyr sets them, so
/// that the parser refuses nothing serde-saphyr would accept and accepts nothing it would
/// refuse.
struct Limits {
    events: usize,
    scalar_bytes: usize,
    nodes: usize,
    documents: usize,
    depth: usize,
    parser: Options,
}

impl Limits {
    fn of(budgets: &Budgets) -> Limits {
        let defaults = serde_saphyr::Budget::default();
        let mut parser = Options::default();
        parser.simple_key_max_lookahead = defaults.simple_key_max_lookahead;
        parser.flow_nesting_limit = budgets.max_depth;
        parser.block_nesting_limit = parser
            .block_nesting_limit
            .max(budgets.max_depth.saturating_add(1));
        parser.emit_comments = false;
        Limits {
            events: budgets.max_events() / 2,
            scalar_bytes: defaults.max_total_scalar_bytes / 2,
            nodes: budgets.max_nodes / 2,
            documents: budgets.max_documents / 2,
            depth: budgets.max_depth.saturating_sub(2),
            parser,
        }
    }
}

fn read_plain(converter: &mut Converter<'_>, budgets: &Budgets) -> Option<Vec<Node>> {
    let limits = Limits::of(budgets);
    let mut documents = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let (mut events, mut nodes, mut scalar_bytes, mut document_count) = (0, 0, 0, 0);
    for item in Parser::new_from_str_with_options(converter.text, limits.parser.clone()) {
        let (event, span) = item.ok()?;
        events += 1;
        if events > limits.events {
            return None;
        }
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(_, version) => {
                document_count += 1;
                if version.is_some() || document_count > limits.documents {
                    return None;
                }
                continue;
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                nodes += 1;
                let awaits_key = matches!(open.last(), Some(Open::Map { key: None, .. }));
                if anchor != 0 || tag.is_some() || awaits_key || open.len() >= limits.depth {
                    return None; // an anchor, a tag, a collection as a key, or deep
                }
                let start = start_of(converter, &span);
                open.push(if matches!(event, Event::MappingStart(..)) {
                    Open::Map {
                        start,
                        entries: Vec::new(),
                        key: None,
                    }
                } else {
                    Open::List {
                        start,
                        items: Vec::new(),
                    }
                });
                continue;
            }
            Event::SequenceEnd => match open.pop()? {
                Open::List { start, items } => converter.list_node(start, items),
                Open::Map { .. } => return None,
            },
            Event::MappingEnd => match open.pop()? {
                Open::Map {
                    start,
                    entries,
                    key: None,
                } => converter.map_node(start, entries),
                _ => return None,
            },
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                scalar_bytes += text.len();
                if anchor != 0 || tag.is_some() || scalar_bytes > limits.scalar_bytes {
                    return None;
                }
                let is_key = matches!(open.last(), Some(Open::Map { key: None, .. }));
                scalar(converter, text.into_owned(), style, &span, is_key)?
            }
            _ => return None, // aliases, and whatever else the parser may report
        };
        if nodes > limits.nodes {
            return None;
        }
        match open.last_mut() {
            // A document of a single scalar, or an empty one: serde-saphyr decides.
            None if !matches!(
                node.value,
                super::NodeValue::Map(_) | super::NodeValue::List(_)
            ) =>
            {
                return None;
            }
            None => documents.push(node),
            Some(Open::List { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(key) => entries.push((key, node)),
                None => *key = Some(node),
            },
        }
    }
    open.is_empty().then_some(documents)
}

/// A scalar's node, or `None` for a merge key (`<<`) or a scalar whose type is not certain.
fn scalar(
    converter: &mut Converter<'_>,
    text: String,
    style: ScalarStyle,
    span: &Span,
    is_key: bool,
) -> Option<Node> {
    if is_key && text == "<<" {
        return None;
    }
    let scalar = resolve(text, style)?;
    let start = start_of(converter, span);
    let span = converter.span(start, byte_len(&span.start, &span.end));
    Some(if is_key {
        converter.as_key(|converter| converter.scalar_node(scalar, span))
    } else {
        converter.scalar_node(scalar, span)
    })
}

fn start_of(converter: &Converter<'_>, span: &Span) -> u32 {
    let start = &span.start;
    converter.offset(
        start.byte_offset().map(|b| b as u64),
        start.line() as u64,
        start.col() as u64 + 1,
    )
}

fn byte_len(start: &Marker, end: &Marker) -> u64 {
    match (start.byte_offset(), end.byte_offset()) {
        (Some(start), Some(end)) => end.saturating_sub(start) as u64,
        _ => 0,
    }
}

/// Whether `text` is one of `words` (of at most five letters), ignoring ASCII case: a call per
/// scalar of every input.
#[inline]
fn is_one_of(text: &str, words: &[&str]) -> bool {
    if text.len() > 5 {
        return false;
    }
    for word in words {
        if word.eq_ignore_ascii_case(text) {
            return true;
        }
    }
    false
}

/// What an untagged scalar is, as serde-saphyr reads it for a value of any type (YAML 1.1
/// booleans, YAML 1.2 numbers, legacy octal), or `None` when that is not certain here.
fn resolve(text: String, style: ScalarStyle) -> Option<Scalar> {
    if style != ScalarStyle::Plain {
        return Some(Scalar::String(text));
    }
    let bytes = text.as_bytes();
    let padded = |b: Option<&u8>| b.is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if padded(bytes.first()) || padded(bytes.last()) {
        return None;
    }
    if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Some(Scalar::Null);
    }
    if is_one_of(&text, &["true", "yes", "y", "on"]) {
        return Some(Scalar::Bool(true));
    }
    if is_one_of(&text, &["false", "no", "n", "off"]) {
        return Some(Scalar::Bool(false));
    }
    // Only a sign, a dot or a digit can begin a number (`inf` and `nan` stay text).
    if !matches!(bytes[0], b'0'..=b'9' | b'-' | b'+' | b'.') {
        return Some(Scalar::String(text));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.as_str()),
    };
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let canonical = |s: &str| decimal(s) && (s == "0" || !s.starts_with('0'));
    if canonical(digits) && digits.len() <= 18 && !(negative && digits == "0") {
        let magnitude: i64 = digits.parse().ok()?;
        return Some(if negative {
            Scalar::Int(-magnitude)
        } else {
            Scalar::UInt(magnitude.unsigned_abs())
        });
    }
    if let Some((whole, fraction)) = digits.split_once('.') {
        if canonical(whole) && decimal(fraction) && digits.len() <= 24 {
            let value: f64 = text.parse().ok()?;
            return value.is_finite().then_some(Scalar::Float(value));
        }
    }
    // Text a number can never hold is a string: a character no number has (`500m`, `128Mi`,
    // `--port`), two dots (`1.19.0`), or a sign inside that does not follow an exponent's `e`
    // (`2024-01-01`). Anything else that might be a number (hexadecimal, octal, exponents,
    // underscores, `.inf`) is left to serde-saphyr.
    let inner_sign = bytes
        .windows(2)
        .any(|w| matches!(w[1], b'+' | b'-') && !matches!(w[0], b'e' | b'E'));
    if text.matches('.').nth(1).is_some() || inner_sign {
        return Some(Scalar::String(text));
    }
    let numeric = |b: u8| {
        b.is_ascii_hexdigit()
            || matches!(
                b.to_ascii_lowercase(),
                b'x' | b'o' | b'_' | b'+' | b'-' | b'.' | b'i' | b'n' | b't' | b'y'
            )
    };
    if bytes.iter().all(|&b| numeric(b)) {
        None
    } else {
        Some(Scalar::String(text))
    }
}

/// Panics unless serde-saphyr reads `text` as `nodes`, with the same diagnostics.
#[cfg(fuzzing)]
pub(super) fn assert_same_as_serde_saphyr(
    file: super::FileId,
    text: &str,
    budgets: &Budgets,
    nodes: &[Node],
) {
    let mut ours = crate::diag::Diagnostics::default();
    let mut converter = Converter::new(file, text, &mut ours);
    let again = read(&mut converter, budgets);
    let mut theirs = crate::diag::Diagnostics::default();
    let expected =
        super::yaml::read_with_serde_saphyr(&mut Converter::new(file, text, &mut theirs), budgets);
    assert_eq!(again.as_deref(), Some(nodes));
    assert_eq!(nodes, expected.as_slice(), "{text:?}");
    assert_eq!(ours.into_sorted(), theirs.into_sorted(), "{text:?}");
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::yaml::{Converter, Node, read_with_serde_saphyr};
    use super::read;
    use crate::diag::{Diagnostic, Diagnostics};
    use crate::load::{Budgets, FileId};

    /// What one reader made of a text: its documents and its sorted diagnostics.
    type Reading = (Vec<Node>, Vec<Diagnostic>);

    /// `text` read from the parser's events (`None` when that reader declined it) and by
    /// serde-saphyr.
    fn both(text: &str) -> (Option<Reading>, Reading) {
        let budgets = Budgets::default();
        let mut diags = Diagnostics::default();
        let mut converter = Converter::new(FileId(0), text, &mut diags);
        let events = read(&mut converter, &budgets);
        let declined_cleanly = events.is_some() || diags.len() == 0;
        assert!(declined_cleanly, "declined, but left diagnostics: {text:?}");
        let events = events.map(|nodes| (nodes, diags.into_sorted()));
        let mut diags = Diagnostics::default();
        let nodes =
            read_with_serde_saphyr(&mut Converter::new(FileId(0), text, &mut diags), &budgets);
        (events, (nodes, diags.into_sorted()))
    }

    /// Whether the events reader took `text`; panics if it read it otherwise than serde-saphyr.
    fn agree(text: &str, what: &dyn std::fmt::Display) -> bool {
        let (events, serde_saphyr) = both(text);
        let Some(events) = events else {
            return false;
        };
        assert!(
            events == serde_saphyr,
            "the readers differ on {what}:\n{text}"
        );
        true
    }

    /// `f` on a thread with a large stack: serde-saphyr's recursion through the fuzzers'
    /// deepest inputs needs more than a test thread's in a debug build.
    fn on_a_large_stack(f: impl FnOnce() + Send) {
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new().stack_size(crate::STACK_SIZE);
            let joined = thread.spawn_scoped(scope, f).expect("a thread").join();
            if let Err(panic) = joined {
                std::panic::resume_unwind(panic);
            }
        });
    }

    /// Every file below `dirs` (which may be absent), as (path, text) where it is UTF-8.
    fn files_below(dirs: &[PathBuf]) -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        for dir in dirs {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                if !entry.file_type().is_file() {
                    continue;
                }
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    files.push((entry.path().to_path_buf(), text));
                }
            }
        }
        files
    }

    /// The project's own inputs (tests, goldens, examples, built-ins) and the fuzzers' corpus,
    /// thousands of hostile inputs: wherever the events reader answers, it answers as
    /// serde-saphyr does; and it answers for most of the project's inputs.
    #[test]
    fn the_readers_agree_on_the_projects_inputs_and_the_fuzz_corpus() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let inputs = files_below(&[
            root.join("testdata"),
            root.join("golden"),
            root.join("examples"),
            root.join("src/model/builtins"),
        ]);
        let yaml: Vec<&(PathBuf, String)> = inputs
            .iter()
            .filter(|(path, _)| {
                path.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            })
            .collect();
        let taken = yaml
            .iter()
            .filter(|(path, text)| agree(text, &path.display()))
            .count();
        assert!(
            taken * 10 >= yaml.len() * 9,
            "the events reader took {taken} of {} YAML files",
            yaml.len()
        );
        let fuzzed = files_below(&[
            root.join("fuzz/corpus/load"),
            root.join("fuzz/corpus/pipeline"),
        ]);
        on_a_large_stack(|| {
            for (path, text) in &fuzzed {
                agree(text, &path.display());
            }
        });
    }

    /// The upstream files (KubeVela, Crossplane, rudr and others, unchanged).
    #[test]
    #[ignore = "needs ../shared/corpus beside the checkout (CI has it; scripts/test.sh runs these when it is there)"]
    fn the_readers_agree_on_the_upstream_corpus() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        assert!(corpus.is_dir(), "{} is absent", corpus.display());
        let files = files_below(&[corpus]);
        let taken = files
            .iter()
            .filter(|(path, _)| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter(|(path, text)| agree(text, &path.display()))
            .count();
        assert!(taken > 0, "the events reader took no upstream file");
    }

    /// Every plain scalar of up to two characters of those that make numbers, booleans and
    /// null, and of three of the most telling ones, as a value, a list item, a key and in flow
    /// style.
    #[test]
    fn the_readers_agree_on_every_short_scalar() {
        let strings = |alphabet: &[u8], length: usize| {
            let mut all: Vec<String> = vec![String::new()];
            let mut last = all.clone();
            for _ in 0..length {
                last = last
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |&c| format!("{s}{}", c as char)))
                    .collect();
                all.extend(last.iter().cloned());
            }
            all
        };
        let mut scalars = strings(b"0123456789.-+_eExXoObBaAfFiInNtTyYlL:~ m", 2);
        scalars.extend(strings(b"019.-+_eExo:~ ", 3));
        let mut taken = 0;
        for scalar in &scalars {
            for text in [
                format!("k: {scalar}\n"),
                format!("- {scalar}\n"),
                format!("{scalar}: v\n"),
                format!("{{k: [{scalar}]}}\n"),
            ] {
                taken += usize::from(agree(&text, &format!("{scalar:?}")));
            }
        }
        assert!(
            taken > scalars.len(),
            "the events reader took {taken} texts"
        );
    }

    /// Line endings, byte-order marks, markers, comments, multi-line and non-ASCII scalars:
    /// where the events reader takes them, it reads them as serde-saphyr does.
    #[test]
    fn the_readers_agree_on_layout_and_text() {
        let texts = [
            "a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\n",
            "\u{feff}a: 1\n",
            "---\na: 1\n...\n---\nb: 2\n...\n",
            "# head\na: 1 # trailing\n# between\nb: [1, 2] # end\n",
            "a: plain\n  continued\n\n  after a blank\nb: x\n",
            "a: >-\n  folded\n  text\n\n  kept\nb: |+\n  kept\n\n",
            "a: \"é\\u00e9\\x41 😀\\n\"\nb: 'it''s'\nc: ünïcödé\n",
            "a:\n- 1\n- - 2\n  - {x: [3, {y: z}]}\n",
            "\ta: 1\n",
            "a: 1\n  b: 2\n",
            "- a: 1\n  b: 2\n- c\n",
            "? a\n: 1\n? b\n",
            "a: 'x'\n'a': 2\n\"a\": 3\n",
            "k: -\nl: - x\n",
        ];
        let taken: Vec<bool> = texts
            .iter()
            .map(|text| agree(text, &text.escape_debug()))
            .collect();
        // All but the two that are not YAML (`b` indented under a scalar; `- x` as a value).
        assert_eq!(
            taken.iter().filter(|&&t| t).count(),
            texts.len() - 2,
            "{taken:?}"
        );
    }

    /// What the events reader leaves to serde-saphyr, and what it takes.
    #[test]
    fn only_plain_yaml_is_read_from_events() {
        let declined = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: 0x1F\n",
            "a: +1\n",
            "a: 1e3\n",
            "a: 0755\n",
            "a: .inf\n",
            "a: [1, 2\n",
            "just a scalar\n",
            "---\n---\na: 1\n",
            "? [a, b]\n: c\n",
            "a: 99999999999999999999999\n",
        ];
        for text in declined {
            assert!(both(text).0.is_none(), "{text:?} was read from events");
        }
        let taken = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n",
            "a: yes\nb: 0.5\nc: -3\nd: 500m\ne: 128Mi\nf: 1.19.0\ng: 2024-01-01\nh: ~\ni:\n",
            "a: 1\na: 2\n",
            "args: [--port, '80', \"x\\ty\"]\nblock: |\n  line\n  line\n",
            "- a\n---\n- b\n",
            "{\"json\": [1, 2.5, true, null, \"s\"]}\n",
        ];
        for text in taken {
            assert!(
                agree(text, &text.escape_debug()),
                "{text:?} was not read from events"
            );
        }
    }
}
