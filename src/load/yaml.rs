//! YAML (and JSON, a subset) into span-carrying nodes, with budgets against hostile input.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{DuplicateKeyPolicy, Location, Options, Spanned};

use super::source::offset_of;
use super::{Budgets, FileId};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};

/// A YAML node and where it stands in its file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) span: Span,
    pub(crate) value: NodeValue,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeValue {
    Null,
    Bool(bool),
    Number(Number),
    // Boxed rather than `String` and `Vec`: a node is read, never grown, and without a
    // capacity a mapping entry takes 72 bytes instead of 88 (the model of 10,000 apps holds
    // about half a million).
    String(Box<str>),
    List(Box<[Node]>),
    Map(Box<[(Key, Node)]>),
}

/// A mapping key; Kubernetes keys are strings, so other scalars are kept as their text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Key {
    pub(crate) text: Box<str>,
    pub(crate) span: Span,
}

impl Node {
    /// The value without spans, as rendering works on it.
    pub(crate) fn to_value(&self) -> Value {
        // `str::to_owned`, not `to_string`: a boxed str's `to_string` goes through the
        // formatter, growing its string a piece at a time.
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(str::to_owned(s)),
            NodeValue::List(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (str::to_owned(&k.text), v.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    /// The entry `key` of a mapping node.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| &*k.text == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// What the node is, for "expected a string, found a list" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::List(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }
}

/// Parses every document of one file. Empty documents are skipped. A syntax error or a breached
/// budget is one diagnostic for the file, and no documents.
pub(crate) fn parse(
    file: FileId,
    text: &str,
    budgets: &Budgets,
    diags: &mut Diagnostics,
) -> Vec<Node> {
    let nodes = read_nodes(file, text, budgets, diags);
    // Fuzzing holds the block reader to this one on every text it takes.
    #[cfg(fuzzing)]
    if let Some(documents) = super::block::documents(text, budgets) {
        super::block::assert_same_as_the_yaml_reader(text, budgets, &documents);
    }
    nodes
}

/// [`parse`]: from the parser's events, or by serde-saphyr where they do not settle it.
pub(super) fn read_nodes(
    file: FileId,
    text: &str,
    budgets: &Budgets,
    diags: &mut Diagnostics,
) -> Vec<Node> {
    let mut converter = Converter::new(file, text, diags);
    match super::events::read(&mut converter, budgets) {
        Some(nodes) => {
            // Fuzzing compares the two readers on every input the events reader takes.
            #[cfg(fuzzing)]
            super::events::assert_same_as_serde_saphyr(file, text, budgets, &nodes);
            nodes
        }
        None => read_with_serde_saphyr(&mut converter, budgets),
    }
}

/// Any YAML, read by serde-saphyr: what the parser's events alone do not settle.
pub(super) fn read_with_serde_saphyr(
    converter: &mut Converter<'_>,
    budgets: &Budgets,
) -> Vec<Node> {
    let (file, text) = (converter.file, converter.text);
    let mut options = Options::default();
    options.with_snippet = false;
    // Duplicates are found after keys are read as text, and reported at both spans.
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    options.legacy_octal_numbers = true; // as kubectl's YAML 1.1 reader: 0755 is octal
    options.alias_limits.max_total_replayed_events = budgets.max_alias_events;
    if let Some(budget) = options.budget.as_mut() {
        budget.max_depth = budgets.max_depth;
        budget.flow_nesting_limit = budgets.max_depth;
        budget.max_documents = budgets.max_documents;
        budget.max_nodes = budgets.max_nodes;
        budget.max_events = budgets.max_events();
    }
    match serde_saphyr::from_multiple_with_options::<Spanned<RawNode>>(text, options) {
        Ok(raw) => raw.into_iter().map(|doc| converter.convert(doc)).collect(),
        Err(error) => {
            converter
                .diags
                .push(super::syntax::diagnostic(file, text, &error, budgets));
            Vec::new()
        }
    }
}

/// Turns what the YAML reader found (serde-saphyr's values, or the parser's events in
/// `events.rs`) into nodes: byte spans, duplicate keys, keys as text, and W007.
pub(super) struct Converter<'a> {
    file: FileId,
    pub(super) text: &'a str,
    pub(super) diags: &'a mut Diagnostics,
    /// How deep in mapping keys the conversion is (keys are not checked for W007).
    keys: usize,
}

impl<'a> Converter<'a> {
    pub(super) fn new(file: FileId, text: &'a str, diags: &'a mut Diagnostics) -> Converter<'a> {
        Converter {
            file,
            text,
            diags,
            keys: 0,
        }
    }

    /// The byte offset of a position: the reader's byte offset where it has one, else found
    /// from the line and the column (1-based, in characters).
    pub(super) fn offset(&self, byte: Option<u64>, line: u64, column: u64) -> u32 {
        match byte {
            Some(offset) if offset <= self.text.len() as u64 => offset as u32,
            _ => offset_of(self.text, line, column) as u32,
        }
    }

    /// The span of `len` bytes from `start`, within the text.
    pub(super) fn span(&self, start: u32, len: u64) -> Span {
        let end = (u64::from(start) + len).min(self.text.len() as u64) as u32;
        Span::new(self.file, start, end)
    }

    fn start(&self, location: &Location) -> u32 {
        self.offset(
            location.span().byte_offset(),
            location.line(),
            location.column(),
        )
    }

    fn convert(&mut self, raw: Spanned<RawNode>) -> Node {
        let location = raw.referenced;
        match raw.value {
            RawNode::Scalar(value) => {
                let span = self.span(
                    self.start(&location),
                    location.span().byte_len().unwrap_or(0),
                );
                self.scalar_node(value, span)
            }
            RawNode::List(items) => {
                let items: Vec<Node> = items.into_iter().map(|i| self.convert(i)).collect();
                self.list_node(self.start(&location), items)
            }
            RawNode::Map(entries) => {
                let entries: Vec<(Node, Node)> = entries
                    .into_iter()
                    .map(|(key, value)| (self.convert_key(key), self.convert(value)))
                    .collect();
                self.map_node(self.start(&location), entries)
            }
        }
    }

    /// A scalar read as `value` at `span`.
    pub(super) fn scalar_node(&mut self, value: Scalar, span: Span) -> Node {
        let value = self.scalar(value, span);
        self.check_versions(span, &value);
        Node { span, value }
    }

    /// A list starting at `start`, of its converted items.
    pub(super) fn list_node(&self, start: u32, items: Vec<Node>) -> Node {
        let span = self.collection_span(start, items.last().map(|n| n.span.end));
        Node {
            span,
            value: NodeValue::List(items.into_boxed_slice()),
        }
    }

    /// A mapping starting at `start`, of its converted keys and values: keys become text and
    /// a key that appears twice is reported and its second entry dropped.
    pub(super) fn map_node(&mut self, start: u32, entries: Vec<(Node, Node)>) -> Node {
        let mut out: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
        let mut seen: HashMap<Box<str>, Span> = HashMap::new();
        for (key, value) in entries {
            // Scalar keys are text already (`key`): only a collection is left.
            let NodeValue::String(text) = key.value else {
                self.diags.push(
                    Diagnostic::new(Code::WrongType, key.span, "a mapping key must be a scalar")
                        .with_help("Kubernetes objects have string keys; quote the key"),
                );
                continue;
            };
            let first = if out.len() < 16 {
                out.iter()
                    .find(|(k, _)| k.text == text)
                    .map(|(k, _)| k.span)
            } else {
                if seen.is_empty() {
                    seen.extend(out.iter().map(|(k, _)| (k.text.clone(), k.span)));
                }
                seen.insert(text.clone(), key.span)
            };
            if let Some(first) = first {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        key.span,
                        format!("the key `{text}` appears twice in this mapping"),
                    )
                    .with_label_text("second here")
                    .with_label(first, "first here")
                    .with_help(
                        "remove one of the two; a YAML reader would silently keep only one value",
                    ),
                );
                continue;
            }
            out.push((
                Key {
                    text,
                    span: key.span,
                },
                value,
            ));
        }
        let end = out.last().map(|(_, v)| v.span.end);
        let span = self.collection_span(start, end);
        Node {
            span,
            value: NodeValue::Map(out.into_boxed_slice()),
        }
    }

    fn convert_key(&mut self, raw: Spanned<RawNode>) -> Node {
        let defined = &raw.defined;
        let written = self.span(self.start(defined), defined.span().byte_len().unwrap_or(0));
        let node = self.as_key(|converter| converter.convert(raw));
        self.key(node, written)
    }

    /// `convert` run on a mapping key: a key is converted like a value, except that a plain
    /// scalar is never flagged as ambiguous: keys stay text whatever they look like.
    pub(super) fn as_key(&mut self, convert: impl FnOnce(&mut Self) -> Node) -> Node {
        self.keys += 1;
        let node = convert(self);
        self.keys -= 1;
        node
    }

    /// A mapping key as text. A key YAML read as a boolean, number or null keeps the text it
    /// is written with where that is plain (`on` stays `on`, `0755` stays `0755`), so no two
    /// keys collapse into one; `written` is where it is written, which for a key reached
    /// through an alias is not where the node stands (the alias).
    #[inline]
    pub(super) fn key(&self, mut node: Node, written: Span) -> Node {
        let read = match &node.value {
            NodeValue::Number(n) => n.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            NodeValue::Null => "null".to_owned(),
            _ => return node,
        };
        node.value = NodeValue::String(self.key_text(written, &read));
        node
    }

    fn key_text(&self, span: Span, read: &str) -> Box<str> {
        let source = self.text[span.start as usize..span.end as usize].trim();
        match source.chars().next() {
            Some(c) if !matches!(c, '!' | '&' | '*' | '"' | '\'') => source.into(),
            _ => read.into(),
        }
    }

    /// W007 for a plain value that YAML 1.1 and YAML 1.2 read differently.
    fn check_versions(&mut self, span: Span, read: &NodeValue) {
        let source = &self.text[span.start as usize..span.end as usize];
        // Every scalar passes here: only booleans, numbers and digit-led strings (`1:30`) can
        // be read differently, so most strings leave at once.
        let may_differ = match read {
            NodeValue::Bool(_) | NodeValue::Number(_) => true,
            NodeValue::String(_) => {
                source.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
            }
            _ => false,
        };
        if self.keys > 0 || !may_differ {
            return;
        }
        let Some((in_1_1, in_1_2)) = versions_disagree(source) else {
            return;
        };
        let as_read = match read {
            NodeValue::Bool(b) => format!("the boolean {b}"),
            NodeValue::Number(n) => format!("the number {n}"),
            _ => format!("the string \"{source}\""),
        };
        let help = match read {
            NodeValue::Bool(b) => {
                format!(
                    "write `{b}` if a boolean is meant, or quote it (`\"{source}\"`) for the text"
                )
            }
            NodeValue::Number(n) => {
                format!(
                    "write `{n}` if the number is meant, or quote it (`\"{source}\"`) for the text"
                )
            }
            _ => format!(
                "quote it (`\"{source}\"`) to keep the text, or write the number in decimal"
            ),
        };
        self.diags.push(
            Diagnostic::new(
                Code::AmbiguousScalar,
                span,
                format!("`{source}` is {in_1_1} in YAML 1.1 but {in_1_2} in YAML 1.2"),
            )
            .with_label_text(format!("oam reads it as {as_read}"))
            .with_help(help),
        );
    }

    pub(super) fn collection_span(&self, start: u32, last_end: Option<u32>) -> Span {
        let end = last_end.unwrap_or(start + 1).min(self.text.len() as u32);
        Span::new(self.file, start, end)
    }

    fn scalar(&mut self, value: Scalar, span: Span) -> NodeValue {
        match value {
            Scalar::Null => NodeValue::Null,
            Scalar::Bool(b) => NodeValue::Bool(b),
            Scalar::Int(i) => NodeValue::Number(i.into()),
            Scalar::UInt(u) => NodeValue::Number(u.into()),
            Scalar::String(s) => NodeValue::String(s.into_boxed_str()),
            Scalar::Float(f) => {
                let source = &self.text[span.start as usize..span.end as usize];
                let integer_literal = source
                    .trim_start_matches(['-', '+'])
                    .bytes()
                    .all(|b| b.is_ascii_digit());
                match Number::from_f64(f) {
                    Some(n) if !integer_literal || source.is_empty() => NodeValue::Number(n),
                    _ => {
                        self.diags.push(
                            Diagnostic::new(Code::WrongType, span, "this number cannot be represented exactly")
                                .with_help("Kubernetes integers are 64-bit; quote the value if it is meant as a string"),
                        );
                        NodeValue::Null
                    }
                }
            }
        }
    }
}

/// How YAML 1.1 and YAML 1.2 (core schema) read a plain scalar, when they differ.
fn versions_disagree(source: &str) -> Option<(&'static str, &'static str)> {
    const BOOLEAN_1_1: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    if BOOLEAN_1_1.contains(&source) {
        return Some(("a boolean", "a string"));
    }
    let unsigned = source.strip_prefix(['-', '+']).unwrap_or(source);
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let first_digit = unsigned.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if !first_digit {
        return None;
    }
    if unsigned.len() > 1 && unsigned.starts_with('0') && digits(&unsigned[1..], 8) {
        return Some(("an octal number", "a decimal number"));
    }
    if let Some(binary) = unsigned.strip_prefix("0b") {
        return digits(&binary.replace('_', ""), 2).then_some(("a number", "a string"));
    }
    if let Some(octal) = unsigned.strip_prefix("0o") {
        return digits(octal, 8).then_some(("a string", "a number"));
    }
    if let Some((mantissa, exponent)) = unsigned.split_once(['e', 'E']) {
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        return (digits(mantissa, 10) && digits(exponent, 10)).then_some(("a string", "a number"));
    }
    let numeric = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
            && s.chars().filter(|&c| c == '.').count() <= 1
    };
    if unsigned.contains('_') && numeric(unsigned) {
        return Some(("a number", "a string"));
    }
    let mut parts = unsigned.split(':');
    let head = parts.next().unwrap_or_default();
    let sexagesimal = unsigned.contains(':')
        && digits(&head.replace('_', ""), 10)
        && parts.all(|p| {
            let whole = p.split('.').next().unwrap_or_default();
            whole.len() <= 2 && digits(whole, 10) && numeric(p)
        });
    sexagesimal.then_some(("a number (base 60)", "a string"))
}

/// What serde-saphyr hands us, before spans become byte ranges.
enum RawNode {
    Scalar(Scalar),
    List(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

pub(super) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::UInt(v)))
    }
    fn visit_i128<E>(self, _: i128) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Float(f64::NAN)))
    }
    fn visit_u128<E>(self, _: u128) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Float(f64::NAN)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Scalar(Scalar::String(v)))
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<RawNode, E> {
        String::from_utf8(v.to_vec())
            .map(|s| RawNode::Scalar(Scalar::String(s)))
            .map_err(|_| E::custom("binary data is not valid UTF-8"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::{NodeValue, parse};
    use crate::diag::Diagnostics;
    use crate::load::{Budgets, FileId};

    fn parse_ok(text: &str) -> Vec<super::Node> {
        let mut diags = Diagnostics::default();
        let docs = parse(FileId(0), text, &Budgets::default(), &mut diags);
        assert!(diags.into_sorted().is_empty());
        docs
    }

    /// The model holds every input's nodes until its app renders (half a million mapping
    /// entries for 10,000 apps), so their size is the model's.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_mapping_entry_takes_72_bytes() {
        assert_eq!(size_of::<super::Node>(), 40);
        assert_eq!(size_of::<(super::Key, super::Node)>(), 72);
    }

    #[test]
    fn spans_are_byte_ranges_of_the_source() {
        let text = "a: héllo\nb:\n  - x\n---\nc: 1\n";
        let docs = parse_ok(text);
        assert_eq!(docs.len(), 2);
        let a = docs[0].get("a").unwrap();
        assert_eq!(&text[a.span.start as usize..a.span.end as usize], "héllo");
        let NodeValue::Map(entries) = &docs[1].value else {
            panic!("not a map")
        };
        assert_eq!(
            &text[entries[0].0.span.start as usize..entries[0].0.span.end as usize],
            "c"
        );
    }

    #[test]
    fn syntax_errors_and_budgets_are_diagnostics() {
        let mut diags = Diagnostics::default();
        assert!(
            parse(
                FileId(0),
                "a: [1, 2\nb: 3\n",
                &Budgets::default(),
                &mut diags
            )
            .is_empty()
        );
        assert!(diags.has_errors());
        let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let mut diags = Diagnostics::default();
        assert!(parse(FileId(0), &deep, &Budgets::default(), &mut diags).is_empty());
        assert!(diags.has_errors());
    }

    /// Each budget the YAML reader stops at is named with its value, and the help names the
    /// flag that raises it.
    #[test]
    fn a_budget_names_its_limit_and_flag() {
        let cases = [
            (
                format!("x: [{}]\n", "1, ".repeat(30)),
                Budgets {
                    max_nodes: 20,
                    ..Budgets::default()
                },
                "more than 20 YAML values",
                "--max-nodes",
            ),
            (
                "a: 1\n---\nb: 2\n---\nc: 3\n".to_owned(),
                Budgets {
                    max_documents: 2,
                    ..Budgets::default()
                },
                "more than 2 YAML documents",
                "--max-documents",
            ),
            (
                format!("x: {}1{}\n", "[".repeat(10), "]".repeat(10)),
                Budgets {
                    max_depth: 5,
                    ..Budgets::default()
                },
                "nested more than 5 levels deep",
                "--max-depth",
            ),
            (
                "a: &a [1, 2, 3, 4]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n".to_owned(),
                Budgets {
                    max_alias_events: 30,
                    ..Budgets::default()
                },
                "replay more than 30 events",
                "--max-alias-events",
            ),
        ];
        for (text, budgets, message, flag) in cases {
            let mut diags = Diagnostics::default();
            parse(FileId(0), &text, &budgets, &mut diags);
            let found = diags.into_sorted();
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].code, crate::diag::Code::InputBudget);
            assert!(found[0].message.contains(message), "{}", found[0].message);
            let help = found[0].help.as_deref().unwrap_or_default();
            assert!(help.contains(flag), "{help}");
        }
    }

    #[test]
    fn keys_stay_as_written_and_equal_keys_are_refused() {
        let text = "data: {n: \"1\", y: \"2\", on: \"3\", yes: \"4\", 0755: x, ~: z}\n";
        let docs = parse_ok(text);
        let data = docs[0].get("data").unwrap().to_value();
        let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["n", "y", "on", "yes", "0755", "~"]);
        let mut diags = Diagnostics::default();
        parse(
            FileId(0),
            "a: 1\n\"a\": 2\n",
            &Budgets::default(),
            &mut diags,
        );
        let found = diags.into_sorted();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, crate::diag::Code::DuplicateKey);
        assert_eq!(found[0].secondary.len(), 1);
    }

    #[test]
    fn plain_values_read_differently_by_yaml_1_1_and_1_2_warn() {
        let text = "a: yes\nb: \"yes\"\nc: 0755\nd: 1e3\ne: 1_000\nf: 1:30\ng: true\nh: 10\ni: 0.5\nj: 0\n";
        let mut diags = Diagnostics::default();
        parse(FileId(0), text, &Budgets::default(), &mut diags);
        let flagged: Vec<&str> = diags
            .into_sorted()
            .iter()
            .map(|d| {
                let span = d.primary.as_ref().unwrap().span;
                &text[span.start as usize..span.end as usize]
            })
            .collect();
        assert_eq!(flagged, ["yes", "0755", "1e3", "1_000", "1:30"]);
    }

    #[test]
    fn huge_integers_are_refused_not_rounded() {
        let mut diags = Diagnostics::default();
        parse(
            FileId(0),
            "n: 99999999999999999999999\n",
            &Budgets::default(),
            &mut diags,
        );
        assert!(diags.has_errors());
    }
}
