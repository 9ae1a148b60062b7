//! JSON text as CUE's `encoding/json` reads and writes it, and the tree that both text
//! readers (JSON and YAML) build. CUE reads such text as a struct literal of its own: a number
//! keeps the digits it was written with (`1.50`, `1E+3`), a key given twice is unified with
//! itself, and a float is written back with those digits.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::decimal::Decimal;
use crate::eval::{Encoders, JsonNode};
use crate::value::Val;

/// Deepest nesting read, so that a document of brackets cannot exhaust the stack of whatever
/// walks the value later (serde_json's own limit).
pub(super) const MAX_DEPTH: usize = 128;

/// A value read from text, before it joins the evaluation.
#[derive(Clone)]
pub(super) enum Parsed {
    Scalar(Val),
    List(Vec<Parsed>),
    Map(IndexMap<Arc<str>, Parsed>),
}

impl Parsed {
    /// Puts `value` under `key`; a key given twice is unified with its first value, in the
    /// first one's place.
    pub(super) fn insert(
        entries: &mut IndexMap<Arc<str>, Parsed>,
        key: Arc<str>,
        value: Parsed,
    ) -> Result<(), String> {
        match entries.get_mut(&key) {
            Some(existing) => existing.unify(value, &key),
            None => {
                entries.insert(key, value);
                Ok(())
            }
        }
    }

    /// CUE's unification of two data values: maps key by key, lists of one length item by
    /// item, equal scalars.
    fn unify(&mut self, value: Parsed, key: &str) -> Result<(), String> {
        match (self, value) {
            (Parsed::Map(into), Parsed::Map(from)) => {
                for (name, value) in from {
                    Parsed::insert(into, name, value)?;
                }
                Ok(())
            }
            (Parsed::List(into), Parsed::List(from)) if into.len() == from.len() => {
                for (item, value) in into.iter_mut().zip(from) {
                    item.unify(value, key)?;
                }
                Ok(())
            }
            (Parsed::Scalar(a), Parsed::Scalar(b)) if a.equals(&b) => Ok(()),
            (existing, value) => Err(format!(
                "conflicting values {value} and {existing} for the key {key:?}"
            )),
        }
    }

    /// How many collections deep it nests (a scalar: none).
    pub(super) fn depth(&self) -> usize {
        match self {
            Parsed::Scalar(_) => 0,
            Parsed::List(items) => 1 + items.iter().map(Parsed::depth).max().unwrap_or(0),
            Parsed::Map(entries) => 1 + entries.values().map(Parsed::depth).max().unwrap_or(0),
        }
    }

    /// The values in it, itself included.
    pub(super) fn count(&self) -> usize {
        match self {
            Parsed::Scalar(_) => 1,
            Parsed::List(items) => 1 + items.iter().map(Parsed::count).sum::<usize>(),
            Parsed::Map(entries) => 1 + entries.values().map(Parsed::count).sum::<usize>(),
        }
    }

    pub(super) fn into_node(self) -> Arc<JsonNode> {
        Arc::new(match self {
            Parsed::Scalar(val) => JsonNode::Scalar(val),
            Parsed::List(items) => {
                JsonNode::Array(items.into_iter().map(Parsed::into_node).collect())
            }
            Parsed::Map(entries) => JsonNode::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, value.into_node()))
                    .collect(),
            ),
        })
    }
}

/// Compact, for error messages.
impl fmt::Display for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Parsed::Scalar(val) => write!(f, "{val}"),
            Parsed::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    write!(f, "{}{item}", if i == 0 { "" } else { "," })?;
                }
                f.write_str("]")
            }
            Parsed::Map(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    write!(f, "{}{key:?}:{value}", if i == 0 { "" } else { "," })?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A float written in decimal (`1.50`, `-0.0`, `1e3`, `.5`) as CUE reads the literal: its
/// digits kept, a minus sign applied as CUE applies one (`-0.0` is `0.0`). `None` beyond
/// what the evaluator's decimals hold.
pub(super) fn float(text: &str) -> Option<Val> {
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let decimal = Decimal::parse(magnitude)?;
    Some(Val::Float(Arc::new(if negative {
        decimal.neg()
    } else {
        decimal
    })))
}

/// An integer as the evaluator holds one: within 64 bits.
pub(super) fn int(value: i128, text: &str) -> Result<Val, String> {
    i64::try_from(value)
        .map(Val::Int)
        .map_err(|_| format!("the integer {text} does not fit in 64 bits"))
}

/// One JSON value with nothing but white space around it, as Go's decoder reads JSON; why
/// not, with the line and column.
pub(super) fn read(text: &[u8]) -> Result<Parsed, String> {
    read_as(text, true)
}

/// Whether the text is JSON, as Go's `json.Valid` says: of the right syntax, whatever its
/// values (an unpaired surrogate, a key given twice with two values, a huge number).
pub(super) fn valid(text: &[u8]) -> bool {
    read_as(text, false).is_ok()
}

fn read_as(text: &[u8], strict: bool) -> Result<Parsed, String> {
    let mut reader = Reader {
        text,
        at: 0,
        strict,
    };
    let value = reader
        .value(0)
        .and_then(|value| {
            reader.space();
            if reader.at < text.len() {
                Err("text after the value".to_owned())
            } else {
                Ok(value)
            }
        })
        .map_err(|why| {
            let before = &text[..reader.at.min(text.len())];
            let lines = || before.split(|&b| b == b'\n');
            let (line, column) = (
                lines().count(),
                lines().next_back().map_or(0, <[u8]>::len) + 1,
            );
            format!("{why} at line {line} column {column}")
        })?;
    Ok(value)
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    /// Values are made of what is read; otherwise only the syntax is checked.
    strict: bool,
}

impl<'a> Reader<'a> {
    fn space(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Steps over `byte` after white space, or says what was expected.
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        self.space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }

    /// The elements of an object or array after its opening bracket, each read by `element`,
    /// separated by commas, through the `close` bracket.
    fn elements(
        &mut self,
        close: u8,
        mut element: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.space();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            element(self)?;
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b) if b == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(format!("expected `,` or `{}`", char::from(close))),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Parsed, String> {
        self.space();
        match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => Err("the value nests too deeply".to_owned()),
            Some(b'{') => {
                self.at += 1;
                let mut entries = IndexMap::new();
                self.elements(b'}', |reader| {
                    reader.expect(b'"', "a key in quotes")?;
                    let key = reader.string()?;
                    reader.expect(b':', "`:` after a key")?;
                    let value = reader.value(depth + 1)?;
                    if reader.strict {
                        Parsed::insert(&mut entries, Arc::from(key), value)?;
                    }
                    Ok(())
                })?;
                Ok(Parsed::Map(entries))
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.elements(b']', |reader| {
                    items.push(reader.value(depth + 1)?);
                    Ok(())
                })?;
                Ok(Parsed::List(items))
            }
            Some(b'"') => {
                self.at += 1;
                Ok(Parsed::Scalar(Val::str(&self.string()?)))
            }
            Some(b'-' | b'0'..=b'9') => {
                let number = self.number()?;
                Ok(Parsed::Scalar(if self.strict {
                    number.value()?
                } else {
                    Val::Null
                }))
            }
            _ => {
                for (word, val) in [
                    ("true", Val::Bool(true)),
                    ("false", Val::Bool(false)),
                    ("null", Val::Null),
                ] {
                    if self.text[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return Ok(Parsed::Scalar(val));
                    }
                }
                Err("expected a value".to_owned())
            }
        }
    }

    /// A string's text after its opening quote, through its closing one.
    fn string(&mut self) -> Result<String, String> {
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            let run = std::str::from_utf8(&self.text[start..self.at])
                .map_err(|_| "invalid UTF-8 in a string".to_owned())?;
            out.push_str(run);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.peek().ok_or("an unfinished escape")?;
                    self.at += 1;
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err("an invalid escape".to_owned()),
                    });
                }
                Some(_) => return Err("a control character in a string".to_owned()),
                None => return Err("an unterminated string".to_owned()),
            }
        }
    }

    /// The character of `\uXXXX` (after the `u`), a surrogate pair taking two; an unpaired
    /// surrogate is refused, as CUE refuses it.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) && self.text[self.at..].starts_with(b"\\u")
        {
            self.at += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else {
                second
            }
        } else {
            first
        };
        match char::from_u32(code) {
            Some(ch) => Ok(ch),
            None if self.strict => Err("an unpaired surrogate".to_owned()),
            None => Ok(char::REPLACEMENT_CHARACTER),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("expected four hex digits after \\u")?;
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|e| e.to_string())
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Number<'a>, String> {
        let start = self.at;
        let digits = |reader: &mut Self| {
            let from = reader.at;
            while reader.peek().is_some_and(|b| b.is_ascii_digit()) {
                reader.at += 1;
            }
            reader.at - from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let whole = self.at;
        let count = digits(self);
        if count == 0 || (count > 1 && self.text[whole] == b'0') {
            return Err("an invalid number".to_owned());
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            is_float = true;
            if digits(self) == 0 {
                return Err("an invalid number".to_owned());
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            is_float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err("an invalid number".to_owned());
            }
        }
        Ok(Number {
            // Only ASCII digits and signs were stepped over.
            text: std::str::from_utf8(&self.text[start..self.at]).unwrap_or_default(),
            is_float,
        })
    }
}

/// A number's text as read.
struct Number<'a> {
    text: &'a str,
    is_float: bool,
}

impl Number<'_> {
    /// An integer without a fraction or exponent, else a float with its digits.
    fn value(&self) -> Result<Val, String> {
        let text = self.text;
        if self.is_float {
            float(text).ok_or_else(|| format!("the number {text} is out of range"))
        } else {
            int(text.parse::<i128>().unwrap_or(i128::MAX), text)
        }
    }
}

/// `node` as CUE's `json.Marshal` writes it (Go's encoding/json): compact, a float with the
/// digits CUE holds, bytes in base64, strings escaped as Go escapes them.
pub(super) fn write(node: &JsonNode, encoders: Encoders, out: &mut String) {
    match node {
        JsonNode::Scalar(val) => match val {
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Val::Float(x) => {
                let _ = write!(out, "{x}");
            }
            Val::Str(s) => write_string(s, encoders, out),
            Val::Bytes(b) => write_string(&super::encoding::base64(b), encoders, out),
            // Exports hold nothing else: null stands for it.
            _ => out.push_str("null"),
        },
        JsonNode::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, encoders, out);
            }
            out.push(']');
        }
        JsonNode::Object(fields) => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, encoders, out);
                out.push(':');
                write(value, encoders, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder writes it: U+2028 and U+2029 escaped (always), control
/// characters as `\u00XX` but for those of short form; for the CUE KubeVela builds with
/// (v0.6 and later) without HTML escaping, and `\b` and `\f` short as Go writes them since
/// 1.22; for CUE v0.4, `<`, `>` and `&` escaped and `\b`, `\f` as `\u0008`, `\u000c`.
fn write_string(s: &str, encoders: Encoders, out: &mut String) {
    let v04 = encoders == Encoders::CueV04;
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' if !v04 => out.push_str("\\b"),
            '\u{c}' if !v04 => out.push_str("\\f"),
            '<' | '>' | '&' if !v04 => out.push(ch),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\u{0}'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(ch));
            }
            _ => out.push(ch),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Random, string_of};

    // CUE's own expectation since v0.6 (pkg/encoding/json/testdata/gen.txtar at v0.14.1, the
    // CUE KubeVela builds with): `marshal: t2: {a: #"\ " & < >"#}` is `{"a":"\\ \" & < >"}`.
    // The CUE v0.4 of the tests' oracle escapes the three, as `Encoders::CueV04` does (the
    // spec cases hold that).
    #[test]
    fn html_characters_are_written_as_they_are() {
        assert_eq!(
            string_of("encoding/json", r##"json.Marshal({a: #"\ " & < >"#})"##),
            r#"{"a":"\\ \" & < >"}"#
        );
    }

    #[test]
    fn control_characters_are_escaped_as_go_escapes_them() {
        assert_eq!(
            string_of(
                "encoding/json",
                r#"json.Marshal("\b\f\n\r\t\u0001\u001f\u007f\u2028\u2029é")"#
            ),
            "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\\u2028\\u2029é\""
        );
    }

    // The reader against serde_json on generated JSON and on mutations of it: the same texts
    // are JSON, and where the text was generated whole the values agree (numbers within f64's
    // precision).
    #[test]
    fn reads_json_as_serde_json_does() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        let (mut mutated_valid, mut mutated_invalid) = (0, 0);
        for round in 0..4000 {
            let whole = round % 2 == 0;
            let mut text = String::new();
            text.push_str(random.json_space());
            random.json_value(0, &mut text);
            text.push_str(random.json_space());
            if !whole {
                // A surrogate a mutation leaves unpaired is an error of meaning to serde_json
                // and syntax to Go's json.Valid: mutate texts without them.
                text = text.replace("\\ud83d\\ude00", "\\u00e9");
                // Replace, insert or delete one byte (kept at a character boundary).
                let at = random.below(text.len() as u64 + 1) as usize;
                let at = (at..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                let byte = random.pick(&[
                    "", ",", "]", "}", "\"", ":", "0", "-", ".", "e", "\\", " ", "x",
                ]);
                let end = (at + 1..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(text.len());
                if random.below(2) == 0 {
                    text.replace_range(at..end, byte);
                } else {
                    text.insert_str(at, byte);
                }
            }
            let serde_valid = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            assert_eq!(super::valid(text.as_bytes()), serde_valid, "{text:?}");
            mutated_valid += usize::from(!whole && serde_valid);
            mutated_invalid += usize::from(!whole && !serde_valid);
            if whole {
                let ours = super::read(text.as_bytes()).map(|parsed| as_json(&parsed));
                let theirs = serde_json::from_str::<serde_json::Value>(&text);
                match (ours, theirs) {
                    (Ok(ours), Ok(theirs)) => assert!(same(&ours, &theirs), "{text:?}"),
                    (ours, theirs) => panic!("{text:?}: {ours:?} and {theirs:?}"),
                }
            }
        }
        // The mutations reach both answers.
        assert!(
            mutated_valid > 100 && mutated_invalid > 100,
            "{mutated_valid} {mutated_invalid}"
        );
    }

    /// Equal, numbers within a few units in the last place (serde_json's float reading is not
    /// always correctly rounded; `-0` is the int 0 to CUE).
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && same(v, w))
            }
            _ => a == b,
        }
    }

    fn as_json(parsed: &super::Parsed) -> serde_json::Value {
        use crate::value::Val;
        match parsed {
            super::Parsed::Scalar(Val::Int(i)) => serde_json::Value::from(*i),
            super::Parsed::Scalar(Val::Float(x)) => {
                serde_json::Value::from(x.to_f64().unwrap_or(f64::NAN))
            }
            super::Parsed::Scalar(val) => crate::eval::to_json(val).unwrap_or_default(),
            super::Parsed::List(items) => items.iter().map(as_json).collect(),
            super::Parsed::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.to_string(), as_json(v)))
                .collect(),
        }
    }
}
