//! The common case of YAML read straight from the parser's events.
//!
//! Nearly every input file is plain Kubernetes YAML: mappings, lists and scalars, at most with
//! anchors, aliases and merge keys, without tags or directives. serde-saphyr reads such a file
//! through its Serde layer (events into values, spans as maps of their own, duplicate and merge
//! bookkeeping), which cost more than the parsing itself. Here the parser under serde-saphyr
//! (granit-parser, which it re-exports) is read directly, and the result goes through the same
//! `Converter` as serde-saphyr's. Anything outside that subset — a syntax error, a budget nearly
//! reached, a scalar whose type is not certain, a merge whose keys are not plain text — returns
//! `None`, and the file is read again by serde-saphyr, whose result and diagnostics then stand.
//! The two readers agree on everything this one accepts: tests read every YAML file of the
//! project, the fuzz corpus, the shared corpus and every short number-like scalar both ways and
//! compare the nodes, spans and diagnostics, and fuzz builds compare them on every input.
//!
//! An alias is read as serde-saphyr reads it: the anchored node's events again (an anchor keeps
//! them, aliases within it already replayed), each node of the copy standing where the alias
//! stands, its keys keeping the text they are written with. A merge key (`<<`) adds the entries
//! of the mappings it names after the mapping's own, each key only once, the first one kept.

use std::borrow::Cow;
use std::rc::Rc;

use serde_saphyr::granit_parser::{Event, Marker, Options, Parser, ScalarStyle};

use super::Budgets;
use super::yaml::{Converter, Node, NodeValue, Scalar};
use crate::diag::Span;

/// A collection whose end has not been read yet.
/// `at` is where its start is read (the alias, for a copy): the place serde-saphyr gives every
/// node of a mapping merged from it.
enum Open {
    List {
        at: Span,
        items: Vec<Node>,
        /// Where each item starts, for a list of mappings to merge.
        places: Option<Vec<Span>>,
    },
    Map {
        at: Span,
        entries: Vec<(Node, Node)>,
        key: Option<Key>,
        /// The mappings its merge keys name, in order, each with its place.
        merged: Vec<(Node, Span)>,
        /// Diagnostics and keys that are not plain text when it opened: a mapping with merge
        /// keys is read here only when neither grew within it.
        diags_before: usize,
        odd_keys_before: usize,
    },
}

/// The key of a mapping entry, read and waiting for its value.
enum Key {
    Node(Node),
    /// `<<`: the value is merged.
    Merge,
}

/// A node's event as the reader takes it, from the parser or replayed for an alias.
#[derive(Clone)]
enum Step<'t> {
    MapStart,
    ListStart,
    MapEnd,
    ListEnd,
    /// A scalar and where it is written: a key keeps that text however it is reached.
    Scalar {
        text: Cow<'t, str>,
        style: ScalarStyle,
        written: Span,
    },
}

/// The events of an anchored node, kept for its aliases.
struct Anchor<'t> {
    steps: Rc<[Step<'t>]>,
    /// How many aliases deep its events were replayed (1 for none).
    depth: usize,
}

/// An anchored collection whose events are being kept.
struct Recording<'t> {
    anchor: usize,
    /// The number of open collections with it open.
    open: usize,
    steps: Vec<Step<'t>>,
    depth: usize,
}

/// The documents of `converter`'s text, or `None` (and no diagnostics added) when serde-saphyr
/// must read it.
pub(super) fn read(converter: &mut Converter<'_>, budgets: &Budgets) -> Option<Vec<Node>> {
    let reported = converter.diags.len();
    let documents = read_events(converter, budgets);
    if documents.is_none() {
        converter.diags.truncate(reported);
    }
    documents
}

/// serde-saphyr's budgets, met well before it would meet them (a file near a limit is left to
/// serde-saphyr, which reports it), and the parser's own limits as serde-saphyr sets them, so
/// that the parser refuses nothing serde-saphyr would accept and accepts nothing it would
/// refuse. Replayed events count as read, which only declines sooner.
struct Limits {
    events: usize,
    scalar_bytes: usize,
    nodes: usize,
    documents: usize,
    depth: usize,
    aliases: usize,
    anchors: usize,
    replayed: usize,
    recorded: usize,
    merge_keys: usize,
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
            aliases: defaults.max_aliases / 2,
            anchors: defaults.max_anchors / 2,
            replayed: budgets.max_alias_events / 2,
            recorded: defaults
                .max_recorded_anchor_events
                .min(defaults.max_recorded_anchor_bytes)
                / 2,
            merge_keys: defaults.max_merge_keys / 2,
            parser,
        }
    }
}

/// How deep aliases may replay aliases (serde-saphyr allows 64).
const MAX_ALIAS_DEPTH: usize = 16;
/// serde-saphyr refuses a file (or document) of at least 100 aliases and more than ten per
/// anchor; this reader declines at half of both.
const RATIO_MIN_ALIASES: usize = 50;
const RATIO_PER_ANCHOR: usize = 5;

/// How many of a kind were read, in the file and in its current document.
#[derive(Default)]
struct Tally {
    file: usize,
    document: usize,
}

impl Tally {
    fn one_more(&mut self) {
        self.file += 1;
        self.document += 1;
    }
}

struct Reader<'c, 'a> {
    converter: &'c mut Converter<'a>,
    limits: Limits,
    open: Vec<Open>,
    documents: Vec<Node>,
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    document_count: usize,
    aliases: Tally,
    anchors: Tally,
    replayed: usize,
    recorded: usize,
    merge_keys: usize,
    odd_keys: usize,
    /// By the parser's anchor id; `None` while its node is open, or after its document.
    kept: Vec<Option<Anchor<'a>>>,
    recording: Vec<Recording<'a>>,
}

fn read_events(converter: &mut Converter<'_>, budgets: &Budgets) -> Option<Vec<Node>> {
    let limits = Limits::of(budgets);
    let parser = Parser::new_from_str_with_options(converter.text, limits.parser.clone());
    let mut reader = Reader {
        converter,
        limits,
        open: Vec::new(),
        documents: Vec::new(),
        events: 0,
        nodes: 0,
        scalar_bytes: 0,
        document_count: 0,
        aliases: Tally::default(),
        anchors: Tally::default(),
        replayed: 0,
        recorded: 0,
        merge_keys: 0,
        odd_keys: 0,
        kept: Vec::new(),
        recording: Vec::new(),
    };
    for item in parser {
        let (event, span) = item.ok()?;
        let place = |converter: &Converter<'_>| {
            converter.span(
                start_of(converter, &span.start),
                byte_len(&span.start, &span.end),
            )
        };
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => reader.count_event()?,
            Event::DocumentStart(_, version) => {
                reader.count_event()?;
                reader.document_count += 1;
                if version.is_some() || reader.document_count > reader.limits.documents {
                    return None;
                }
                reader.kept.clear();
                reader.aliases.document = 0;
                reader.anchors.document = 0;
            }
            Event::MappingStart(_, anchor, None) => {
                let at = place(reader.converter);
                reader.start(at, true, anchor)?;
            }
            Event::SequenceStart(_, anchor, None) => {
                let at = place(reader.converter);
                reader.start(at, false, anchor)?;
            }
            Event::MappingEnd => reader.end(true)?,
            Event::SequenceEnd => reader.end(false)?,
            Event::Scalar(text, style, anchor, None) => {
                let written = place(reader.converter);
                reader.scalar(text, style, written, anchor, None)?;
            }
            Event::Alias(anchor) => {
                let at = place(reader.converter);
                reader.replay(anchor, at)?;
            }
            _ => return None, // tags, and whatever else the parser may report
        }
    }
    reader.open.is_empty().then_some(reader.documents)
}

impl<'a> Reader<'_, 'a> {
    #[inline]
    fn count_event(&mut self) -> Option<()> {
        self.events += 1;
        (self.events <= self.limits.events).then_some(())
    }

    /// A node's event counted against the limits (`bytes` of scalar text), and kept for the
    /// anchors being recorded (`step` is made only then).
    #[inline]
    fn count(&mut self, node: bool, bytes: usize, step: impl FnOnce() -> Step<'a>) -> Option<()> {
        self.count_event()?;
        self.nodes += usize::from(node);
        self.scalar_bytes += bytes;
        if self.scalar_bytes > self.limits.scalar_bytes || self.nodes > self.limits.nodes {
            return None;
        }
        if !self.recording.is_empty() {
            self.recorded += self.recording.len() * bytes.max(1);
            if self.recorded > self.limits.recorded {
                return None;
            }
            let step = step();
            for recording in &mut self.recording {
                recording.steps.push(step.clone());
            }
        }
        Some(())
    }

    /// An anchor defined: counted, and unknown to aliases until its node is read whole.
    fn define(&mut self, anchor: usize) -> Option<()> {
        self.anchors.one_more();
        if self.anchors.file > self.limits.anchors {
            return None;
        }
        if self.kept.len() <= anchor {
            self.kept.resize_with(anchor + 1, || None);
        }
        self.kept[anchor] = None;
        Some(())
    }

    /// A mapping or list opening at `at` (the alias, for a copy), `anchor` if it has one.
    #[inline]
    fn start(&mut self, at: Span, map: bool, anchor: usize) -> Option<()> {
        let step = || if map { Step::MapStart } else { Step::ListStart };
        self.count(true, 0, step)?;
        let (awaits_key, merges) = match self.open.last() {
            Some(Open::Map { key: None, .. }) => (true, false),
            Some(Open::Map {
                key: Some(Key::Merge),
                ..
            }) => (false, true),
            _ => (false, false),
        };
        if awaits_key || self.open.len() >= self.limits.depth {
            return None; // a collection as a key, or deep
        }
        self.open.push(if map {
            Open::Map {
                at,
                entries: Vec::new(),
                key: None,
                merged: Vec::new(),
                diags_before: self.converter.diags.len(),
                odd_keys_before: self.odd_keys,
            }
        } else {
            Open::List {
                at,
                items: Vec::new(),
                places: merges.then(Vec::new),
            }
        });
        if anchor != 0 {
            self.define(anchor)?;
            self.recording.push(Recording {
                anchor,
                open: self.open.len(),
                steps: vec![step()],
                depth: 1,
            });
        }
        Some(())
    }

    /// The end of the open mapping (`map`) or list.
    #[inline]
    fn end(&mut self, map: bool) -> Option<()> {
        let step = || if map { Step::MapEnd } else { Step::ListEnd };
        self.count(false, 0, step)?;
        let (node, at, places) = match self.open.pop()? {
            Open::List { at, items, places } if !map => {
                (self.converter.list_node(at.start, items), at, places)
            }
            Open::Map {
                at,
                mut entries,
                key: None,
                merged,
                diags_before,
                odd_keys_before,
            } if map => {
                if !merged.is_empty() {
                    let quiet = self.converter.diags.len() == diags_before
                        && self.odd_keys == odd_keys_before;
                    if !quiet {
                        return None;
                    }
                    merge(self.converter, &mut entries, merged)?;
                }
                (self.converter.map_node(at.start, entries), at, None)
            }
            _ => return None,
        };
        if let Some(recording) = self.recording.last() {
            if recording.open == self.open.len() + 1 {
                let recording = self.recording.pop()?;
                self.kept[recording.anchor] = Some(Anchor {
                    steps: Rc::from(recording.steps),
                    depth: recording.depth,
                });
            }
        }
        self.place(node, at, places)
    }

    /// A scalar written at `written`, standing at the alias for a copy, `anchor` if it has one.
    #[inline]
    fn scalar(
        &mut self,
        text: Cow<'a, str>,
        style: ScalarStyle,
        written: Span,
        anchor: usize,
        alias: Option<Span>,
    ) -> Option<()> {
        let step = || Step::Scalar {
            text: text.clone(),
            style,
            written,
        };
        self.count(true, text.len(), step)?;
        let is_key = matches!(self.open.last(), Some(Open::Map { key: None, .. }));
        let merge_key = is_key && style == ScalarStyle::Plain && text == "<<";
        if anchor != 0 {
            if merge_key {
                return None; // an alias would stand for a merge key
            }
            self.define(anchor)?;
            self.kept[anchor] = Some(Anchor {
                steps: Rc::from([step()]),
                depth: 1,
            });
        }
        if merge_key {
            return self.merge_key();
        }
        let at = alias.unwrap_or(written);
        let node = scalar(self.converter, text.into_owned(), style, at, is_key)?;
        if !is_key {
            return self.place(node, at, None);
        }
        // Most keys are read as text, which needs nothing more.
        let read_as_text = matches!(node.value, NodeValue::String(_));
        if style != ScalarStyle::Plain || !read_as_text {
            self.odd_keys += 1;
        }
        let node = if read_as_text {
            node
        } else {
            self.converter.key(node, written)
        };
        self.place(node, at, None)
    }

    /// The node of anchor `anchor` again, for an alias standing at `at`.
    fn replay(&mut self, anchor: usize, at: Span) -> Option<()> {
        self.aliases.one_more();
        let too_many = |aliases: usize, anchors: usize| {
            aliases >= RATIO_MIN_ALIASES && aliases > RATIO_PER_ANCHOR * anchors
        };
        if self.aliases.file > self.limits.aliases
            || too_many(self.aliases.file, self.anchors.file)
            || too_many(self.aliases.document, self.anchors.document)
        {
            return None;
        }
        let kept = self.kept.get(anchor)?.as_ref()?;
        let (steps, depth) = (Rc::clone(&kept.steps), kept.depth + 1);
        self.replayed += steps.len();
        if depth > MAX_ALIAS_DEPTH || self.replayed > self.limits.replayed {
            return None;
        }
        for recording in &mut self.recording {
            recording.depth = recording.depth.max(depth);
        }
        for step in steps.iter() {
            match step {
                Step::MapStart => self.start(at, true, 0),
                Step::ListStart => self.start(at, false, 0),
                Step::MapEnd => self.end(true),
                Step::ListEnd => self.end(false),
                Step::Scalar {
                    text,
                    style,
                    written,
                } => self.scalar(text.clone(), *style, *written, 0, Some(at)),
            }?;
        }
        Some(())
    }

    /// A `<<` key: its value is merged into the mapping.
    fn merge_key(&mut self) -> Option<()> {
        self.merge_keys += 1;
        if self.merge_keys > self.limits.merge_keys {
            return None;
        }
        match self.open.last_mut() {
            Some(Open::Map { key, .. }) => *key = Some(Key::Merge),
            _ => return None,
        }
        Some(())
    }

    /// A finished node into the collection it belongs to, or as a document: `at` is its place
    /// (as in `Open`) and `places` its items' (for a list to merge).
    #[inline]
    fn place(&mut self, node: Node, at: Span, places: Option<Vec<Span>>) -> Option<()> {
        match self.open.last_mut() {
            // A document of a single scalar, or an empty one: serde-saphyr decides.
            None if !matches!(node.value, NodeValue::Map(_) | NodeValue::List(_)) => {
                return None;
            }
            None => self.documents.push(node),
            Some(Open::List { items, places, .. }) => {
                items.push(node);
                if let Some(places) = places {
                    places.push(at);
                }
            }
            Some(Open::Map {
                entries,
                key,
                merged,
                ..
            }) => match key.take() {
                Some(Key::Node(key)) => entries.push((key, node)),
                Some(Key::Merge) => match node.value {
                    NodeValue::Map(_) => merged.push((node, at)),
                    NodeValue::List(items) if !items.is_empty() => {
                        merged.extend(items.into_iter().zip(places?));
                    }
                    _ => return None, // serde-saphyr refuses it
                },
                None => *key = Some(Key::Node(node)),
            },
        }
        Some(())
    }
}

/// The entries of merged mappings after a mapping's own, as serde-saphyr adds them: in the
/// order of the merge keys (a list's mappings in its order), a key only where no entry has it
/// yet, every node of an entry standing where its mapping starts. `None` for a value that is
/// not a non-empty mapping (serde-saphyr refuses some of those; this reader declines all).
fn merge(
    converter: &Converter<'_>,
    entries: &mut Vec<(Node, Node)>,
    merged: Vec<(Node, Span)>,
) -> Option<()> {
    let key_text = |node: &Node| match &node.value {
        NodeValue::String(text) => Some(text.clone()),
        _ => None,
    };
    let mut seen = entries
        .iter()
        .map(|(key, _)| key_text(key))
        .collect::<Option<std::collections::HashSet<Box<str>>>>()?;
    for (source, at) in merged {
        let NodeValue::Map(source) = source.value else {
            return None;
        };
        if source.is_empty() {
            return None;
        }
        for (key, mut value) in source {
            if seen.insert(key.text.clone()) {
                place_at(converter, &mut value, at);
                let key = Node {
                    span: at,
                    value: NodeValue::String(key.text),
                };
                entries.push((key, value));
            }
        }
    }
    Some(())
}

/// `node` and everything in it standing at `at`, as serde-saphyr places the nodes it replays:
/// a scalar at `at`, a collection from its start to its last item's end.
fn place_at(converter: &Converter<'_>, node: &mut Node, at: Span) {
    let end = match &mut node.value {
        NodeValue::List(items) => {
            for item in items.iter_mut() {
                place_at(converter, item, at);
            }
            items.last().map(|item| item.span.end)
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                key.span = at;
                place_at(converter, value, at);
            }
            entries.last().map(|(_, value)| value.span.end)
        }
        _ => {
            node.span = at;
            return;
        }
    };
    node.span = converter.collection_span(at.start, end);
}

/// A scalar's node, or `None` for a scalar whose type is not certain.
fn scalar(
    converter: &mut Converter<'_>,
    text: String,
    style: ScalarStyle,
    span: Span,
    is_key: bool,
) -> Option<Node> {
    let scalar = resolve(text, style)?;
    Some(if is_key {
        converter.as_key(|converter| converter.scalar_node(scalar, span))
    } else {
        converter.scalar_node(scalar, span)
    })
}

fn start_of(converter: &Converter<'_>, start: &Marker) -> u32 {
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
pub(super) fn resolve(text: String, style: ScalarStyle) -> Option<Scalar> {
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

    use super::super::block;
    use super::super::yaml::{Converter, Node, NodeValue, read_with_serde_saphyr};
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

    /// Whether the events reader took `text`; panics if it read it otherwise than serde-saphyr,
    /// or if the block reader took it and read it otherwise than the YAML reader.
    fn agree(text: &str, what: &dyn std::fmt::Display) -> bool {
        block_took(text);
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

    /// Whether the block reader (`super::super::block`) took `text`; panics if it read it
    /// otherwise than the YAML reader, or took what that refuses.
    fn block_took(text: &str) -> bool {
        let budgets = Budgets::default();
        let documents = block::documents(text, &budgets);
        if let Some(documents) = &documents {
            block::assert_same_as_the_yaml_reader(text, &budgets, documents);
        }
        documents.is_some()
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
        // The block reader takes the project's files written as templates write (119 of 278).
        let block = yaml.iter().filter(|(_, text)| block_took(text)).count();
        assert!(
            block * 3 >= yaml.len(),
            "the block reader took {block} files"
        );
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
    fn what_the_events_reader_declines_and_takes() {
        let alias_chain = (1..=20).fold("a0: &a0 1\n".to_owned(), |text, i| {
            format!("{text}a{i}: &a{i} [*a{}]\n", i - 1)
        });
        let many_aliases = format!("a: &x 1\nl: [{}]\n", vec!["*x"; 60].join(", "));
        let declined = [
            "a: !!str 1\n",
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
            // Merges this reader leaves: keys that are not plain text, a value that is not a
            // mapping, something reported inside, an anchored merge key, an empty mapping.
            "b: &b {y: 1}\nc: {<<: *b}\n",
            "b: &b {'a': 1}\nc: {<<: *b, a: 2}\n",
            "c: {<<: 1}\n",
            "c: {<<: [1]}\n",
            "c: {<<: {a: yes}}\n",
            "c: {&m <<: {b: 1}}\n",
            "c: {<<: {}}\n",
            "a: &x [*x]\n",
            alias_chain.as_str(),
            many_aliases.as_str(),
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
            "a: &x 1\nb: *x\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n",
        ];
        for text in taken {
            assert!(
                agree(text, &text.escape_debug()),
                "{text:?} was not read from events"
            );
        }
    }

    /// Anchors, aliases and merge keys, where serde-saphyr's placing of copies is particular:
    /// every node of a copy stands at the alias (a collection from its start), every node of a
    /// merged entry where its mapping starts, and merged entries follow the mapping's own.
    #[test]
    fn the_readers_agree_on_anchors_aliases_and_merges() {
        let texts = [
            "a: &x {b: 1, c: [2, on]}\nd: *x\n",
            "a: &x 1\nb: *x\nc: &y yes\ne: *y\n",
            "a: &x [1, &y {q: 1}]\nb: *y\nc: *x\n",
            "&k a: 1\n*k : 2\n",
            "a: &x\n  - 1\nb: *x\n",
            "a: &x\nb: *x\n",
            "- &x a\n- *x\n",
            "a: &x 1\na2: &x 2\nb: *x\n",
            "a: &x 1\nb: &y [*x, 2]\nc: *y\n",
            "a: &x {b: {c: 1}}\nd: [*x, *x]\n",
            "p: &p\n  a: 1\n  d: []\n  e: {}\nh: [*p]\n",
            "base: &b {x: 1, z: 2}\nc: {<<: *b, z: 3, w: 4}\n",
            "base: &b {x: 1, z: 2}\nc:\n  z: 3\n  <<: *b\n  w: 4\n",
            "b1: &b1 {x: 1, yy: 2}\nb2: &b2 {yy: 5, w: 6}\nc: {<<: [*b1, *b2], z: 4}\n",
            "a: &x {b: 1}\nc: {<<: *x, b: 2, b: 3}\n",
            "a: &x {b: 1}\nc:\n  <<: *x\n  <<: {b: 2, c: 3}\n",
            "a: &x {b: 1}\nc: &c\n  <<: *x\nd: *c\n",
            "p: &p {a: 1}\nq: &q {<<: *p, b: 2}\nr: {<<: *q}\n",
            "c:\n  <<:\n    tt: 1\n    dd: [2, []]\n  x: 3\n",
            "c:\n  <<: [{t: 1}, {d: 2}]\n  x: 3\n",
            "c:\n  <<:\n    - tt: 1\n    - dd: 2\n  x: 3\n",
            "c: {<<: &b  {t: 1}}\nd: *b\n",
            "p: &p\n  - q: 1\nh: {<<: *p, x: 2}\n",
            "a: &x {b: 1}\nc: {'<<': *x}\n",
        ];
        let taken = texts
            .iter()
            .filter(|text| agree(text, &text.escape_debug()))
            .count();
        assert_eq!(taken, texts.len(), "the events reader declined some");
    }

    /// A key reached through an alias keeps the text it is written with, as any key does:
    /// `on` stays `on` (serde-saphyr reads it as a boolean, and its text was taken from where
    /// the alias stands, so two such keys collided as `true`).
    #[test]
    fn keys_reached_through_an_alias_keep_their_text() {
        let text = "a: &x {on: 1, y: 2, 1: 3}\nd: *x\n";
        for (nodes, diags) in [both(text).0.expect("read from events"), both(text).1] {
            let NodeValue::Map(document) = &nodes[0].value else {
                panic!("a mapping");
            };
            for (_, copy) in document {
                let NodeValue::Map(entries) = &copy.value else {
                    panic!("a mapping");
                };
                let keys: Vec<&str> = entries.iter().map(|(k, _)| &*k.text).collect();
                assert_eq!(keys, ["on", "y", "1"]);
            }
            assert!(diags.is_empty(), "{diags:?}");
        }
    }

    /// The built-in definitions, read in every run, are read from events.
    #[test]
    fn the_built_ins_are_read_from_events() {
        for (name, text) in crate::load::BUILTINS {
            assert!(agree(text, name), "{name} was not read from events");
        }
    }
}
