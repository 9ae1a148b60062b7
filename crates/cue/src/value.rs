//! Scalar values and constraints, and their meet (unification) as the CUE spec defines it.
//! Structs and lists live in the evaluator's vertices; this is everything else: concrete
//! scalars, basic types, bounds, and disjunctions of those with defaults.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::decimal::Decimal;
use crate::error::Error;

/// Kinds of values, as bits, so a basic type is a set of kinds.
pub(crate) mod kind {
    pub(crate) const NULL: u8 = 1;
    pub(crate) const BOOL: u8 = 2;
    pub(crate) const INT: u8 = 4;
    pub(crate) const FLOAT: u8 = 8;
    pub(crate) const STRING: u8 = 16;
    pub(crate) const BYTES: u8 = 32;
    pub(crate) const STRUCT: u8 = 64;
    pub(crate) const LIST: u8 = 128;
    pub(crate) const NUMBER: u8 = INT | FLOAT;
    pub(crate) const ALL: u8 = 255;
}

/// A scalar value or constraint.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    /// `_`: any value.
    Top,
    /// A contradiction or an incomplete value.
    Bottom(Box<Error>),
    Null,
    Bool(bool),
    Int(i64),
    Float(Arc<Decimal>),
    Str(Arc<str>),
    Bytes(Arc<[u8]>),
    /// A basic type (a set of kinds) narrowed by bounds: `int`, `>=0`, `=~"^a"`, `string & !=""`.
    Constraint(u8, Vec<Bound>),
    /// Alternatives, each marked when it is a default (`*`).
    Disj(Vec<(Val, bool)>),
}

/// A regular expression as written, and compiled the way Go's RE2 reads it.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) regex: regex::Regex,
    pub(crate) text: Box<str>,
    /// The states of its automaton: a search costs up to this much work for each byte of
    /// text it reads (the slowest of the regex crate's engines steps every live state a byte).
    pub(crate) states: usize,
}

impl Pattern {
    /// Compiles `text` within the size limits. Go reads `\d`, `\w`, `\s` and `\b` as ASCII
    /// classes where Rust's regex reads them as Unicode (`é` is a `\w` to Rust and not to
    /// CUE): they are rewritten to their ASCII forms first.
    pub(crate) fn new(
        text: &str,
        size_limit: usize,
        dfa_limit: usize,
    ) -> Result<Pattern, regex::Error> {
        let regex = regex::RegexBuilder::new(&ascii_perl_classes(text))
            .size_limit(size_limit)
            .dfa_size_limit(dfa_limit)
            .build()?;
        // The same pattern within the same limit compiles for the regex crate too; should it
        // not, the largest automaton the limit allows is the bound.
        let states = regex_automata::nfa::thompson::Compiler::new()
            .configure(
                regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(size_limit)),
            )
            .build(&ascii_perl_classes(text))
            .map_or(size_limit, |nfa| nfa.states().len());
        Ok(Pattern {
            regex,
            text: Box::from(text),
            states,
        })
    }
}

/// A pattern with the Perl classes `\d`, `\w`, `\s` (and negations) and the word boundaries
/// `\b`, `\B` made ASCII, as RE2 defines them, inside and outside bracketed classes.
fn ascii_perl_classes(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains('\\') {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class) {
                    ('d', false) => "[0-9]",
                    ('d', true) => "0-9",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('w', true) => "0-9A-Za-z_",
                    ('s', false) => "[\\t\\n\\f\\r ]",
                    ('s', true) => "\\t\\n\\f\\r ",
                    // Inside a class a negation is a class of its own (Rust unites nested ones).
                    ('D', _) => "[^0-9]",
                    ('W', _) => "[^0-9A-Za-z_]",
                    ('S', _) => "[^\\t\\n\\f\\r ]",
                    ('b', false) => "(?-u:\\b)",
                    ('B', false) => "(?-u:\\B)",
                    _ => {
                        out.push('\\');
                        out.push(next);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // `[^]...]` and `[]...]`: a `]` first is a member, not the end.
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            // `[:alpha:]` inside a class is copied whole; any other `[` is a member.
            '[' if chars.peek() == Some(&':') => {
                out.push('[');
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(ch),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A bound on a value.
#[derive(Clone, Debug)]
pub(crate) enum Bound {
    Less(Val),
    LessEq(Val),
    Greater(Val),
    GreaterEq(Val),
    NotEq(Val),
    Match(Arc<Pattern>),
    NotMatch(Arc<Pattern>),
    /// `strings.MinRunes(n)`, `strings.MaxRunes(n)`: a string of at least, at most n
    /// characters.
    MinRunes(usize),
    MaxRunes(usize),
    /// `list.MinItems(n)`, `list.MaxItems(n)`, `list.UniqueItems()`: checked against the list
    /// the value is (a list is a vertex, so the evaluator checks these where it checks lists).
    MinItems(usize),
    MaxItems(usize),
    UniqueItems,
}

impl Val {
    pub(crate) fn str(text: &str) -> Val {
        Val::Str(Arc::from(text))
    }

    pub(crate) fn error(message: impl Into<String>) -> Val {
        Val::Bottom(Box::new(Error::bare(message)))
    }

    pub(crate) fn kind_bits(&self) -> u8 {
        match self {
            Val::Top | Val::Bottom(_) => kind::ALL,
            Val::Null => kind::NULL,
            Val::Bool(_) => kind::BOOL,
            Val::Int(_) => kind::INT,
            Val::Float(_) => kind::FLOAT,
            Val::Str(_) => kind::STRING,
            Val::Bytes(_) => kind::BYTES,
            Val::Constraint(kinds, _) => *kinds,
            Val::Disj(alts) => alts.iter().fold(0, |k, (v, _)| k | v.kind_bits()),
        }
    }

    pub(crate) fn is_concrete(&self) -> bool {
        matches!(
            self,
            Val::Null | Val::Bool(_) | Val::Int(_) | Val::Float(_) | Val::Str(_) | Val::Bytes(_)
        )
    }

    /// The value an operator uses: the default of a disjunction, if it has exactly one.
    pub(crate) fn resolve_default(self) -> Val {
        match self {
            Val::Disj(alts) => {
                let defaults: Vec<&Val> = alts.iter().filter(|(_, d)| *d).map(|(v, _)| v).collect();
                match defaults.as_slice() {
                    [one] => (*one).clone(),
                    _ if alts.len() == 1 => alts[0].0.clone(),
                    _ => Val::Disj(alts),
                }
            }
            other => other,
        }
    }

    /// The meet of two values.
    pub(crate) fn unify(self, other: Val) -> Val {
        match (self, other) {
            (Val::Top, v) | (v, Val::Top) => v,
            (b @ Val::Bottom(_), _) | (_, b @ Val::Bottom(_)) => b,
            (Val::Disj(a), Val::Disj(b)) => {
                let has_a = a.iter().any(|(_, d)| *d);
                let has_b = b.iter().any(|(_, d)| *d);
                let mut out = Vec::new();
                for (x, dx) in &a {
                    for (y, dy) in &b {
                        out.push((
                            x.clone().unify(y.clone()),
                            (*dx || !has_a) && (*dy || !has_b),
                        ));
                    }
                }
                disjunction(out)
            }
            (Val::Disj(alts), v) | (v, Val::Disj(alts)) => {
                let shown = Val::Disj(alts.clone());
                let out = alts
                    .into_iter()
                    .map(|(a, d)| (a.unify(v.clone()), d))
                    .collect();
                match disjunction(out) {
                    Val::Bottom(_) => Val::error(format!("{v} matches no alternative of {shown}")),
                    met => met,
                }
            }
            (Val::Constraint(ka, ba), Val::Constraint(kb, bb)) => {
                let kinds = ka & kb;
                if kinds == 0 {
                    return conflict(&Val::Constraint(ka, ba), &Val::Constraint(kb, bb));
                }
                if ba.len() + bb.len() > MAX_BOUNDS {
                    return Val::error(format!("more than {MAX_BOUNDS} bounds on one value"));
                }
                let mut bounds = ba;
                bounds.extend(bb);
                Val::Constraint(kinds, bounds)
            }
            (Val::Constraint(kinds, bounds), v) | (v, Val::Constraint(kinds, bounds)) => {
                if kinds & v.kind_bits() == 0 {
                    return conflict(&Val::Constraint(kinds, bounds), &v);
                }
                for bound in &bounds {
                    if let Err(e) = bound.check(&v) {
                        return Val::Bottom(Box::new(e));
                    }
                }
                v
            }
            (a, b) => {
                if a.equals(&b) {
                    a
                } else {
                    conflict(&a, &b)
                }
            }
        }
    }

    /// The regular-expression work `self.unify(other)` may do, in bytes read times the states
    /// of the pattern reading them (see [`Pattern::states`]): a string meeting `=~` or `!~`
    /// bounds, over every pair of alternatives.
    pub(crate) fn search_work(&self, other: &Val) -> u64 {
        match (self, other) {
            (Val::Disj(alternatives), other) => alternatives
                .iter()
                .fold(0, |sum, (a, _)| sum.saturating_add(a.search_work(other))),
            (one, Val::Disj(alternatives)) => alternatives
                .iter()
                .fold(0, |sum, (b, _)| sum.saturating_add(one.search_work(b))),
            (Val::Constraint(_, bounds), Val::Str(text))
            | (Val::Str(text), Val::Constraint(_, bounds)) => {
                bounds.iter().fold(0, |sum, bound| match bound {
                    Bound::Match(re) | Bound::NotMatch(re) => {
                        sum.saturating_add(search_work(re, text.len()))
                    }
                    _ => sum,
                })
            }
            _ => 0,
        }
    }

    /// How many alternatives a value has: a disjunction's, else one.
    pub(crate) fn alternatives(&self) -> u64 {
        match self {
            Val::Disj(alternatives) => alternatives.len() as u64,
            _ => 1,
        }
    }

    /// Equality of concrete scalars (`==`); ints and floats of one value are equal.
    pub(crate) fn equals(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            // `2.50` and `2.5` are equal.
            (Val::Float(a), Val::Float(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Bytes(a), Val::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

/// Alternatives one disjunction of scalars may keep: unifying two disjunctions multiplies
/// theirs (the evaluator charges a step per pair), and a 1.5 KB file of disjunctions of bounds
/// built millions (1.6 s under a budget of 200,000 steps). Real templates list a few dozen.
const MAX_ALTERNATIVES: usize = 1024;

/// A concrete scalar as a hash key, equal exactly when [`Val::equals`] is (NaN, equal to
/// nothing, has none).
#[derive(PartialEq, Eq, Hash)]
enum ScalarKey {
    Null,
    Bool(bool),
    Int(i64),
    Float(bool, Vec<u8>, i64),
    Str(Arc<str>),
    Bytes(Arc<[u8]>),
}

impl ScalarKey {
    fn of(v: &Val) -> Option<ScalarKey> {
        Some(match v {
            Val::Null => ScalarKey::Null,
            Val::Bool(b) => ScalarKey::Bool(*b),
            Val::Int(i) => ScalarKey::Int(*i),
            Val::Float(x) => {
                let (negative, digits, exponent) = x.key();
                ScalarKey::Float(negative, digits, exponent)
            }
            Val::Str(s) => ScalarKey::Str(s.clone()),
            Val::Bytes(b) => ScalarKey::Bytes(b.clone()),
            _ => return None,
        })
    }
}

/// Bounds on one value (`int & >0 & <65536` has two): each unification copies them.
const MAX_BOUNDS: usize = 64;

fn too_many_alternatives() -> Val {
    Val::error(format!(
        "a disjunction of more than {MAX_ALTERNATIVES} alternatives"
    ))
}

/// Drops failed alternatives and equal duplicates; one survivor is the value itself.
pub(crate) fn disjunction(alts: Vec<(Val, bool)>) -> Val {
    /// Up to this many alternatives, duplicates are found by a scan; past it, by a hash map.
    const SCANNED: usize = 16;
    let mut first_error = None;
    let mut kept: Vec<(Val, bool)> = Vec::new();
    // Where each concrete alternative kept is, once there are more than `SCANNED`.
    let mut index: HashMap<ScalarKey, usize> = HashMap::new();
    for (v, d) in alts {
        if let Val::Bottom(e) = v {
            first_error.get_or_insert(e);
            continue;
        }
        // A nested disjunction's alternatives join this one.
        let parts = match v {
            Val::Disj(inner) => inner,
            v => vec![(v, d)],
        };
        for (v, inner_default) in parts {
            let d = d && inner_default;
            // Only concrete alternatives can be duplicates.
            let key = ScalarKey::of(&v);
            let duplicate = match &key {
                None => None,
                Some(_) if kept.len() <= SCANNED => kept
                    .iter()
                    .position(|(k, _)| k.is_concrete() && k.equals(&v)),
                Some(key) => {
                    if index.is_empty() {
                        for (at, (k, _)) in kept.iter().enumerate() {
                            if let Some(k) = ScalarKey::of(k) {
                                index.entry(k).or_insert(at);
                            }
                        }
                    }
                    index.get(key).copied()
                }
            };
            if let Some(at) = duplicate {
                kept[at].1 |= d;
            } else if kept.len() == MAX_ALTERNATIVES {
                return too_many_alternatives();
            } else {
                if let Some(key) = key.filter(|_| !index.is_empty()) {
                    index.insert(key, kept.len());
                }
                kept.push((v, d));
            }
        }
    }
    match kept.len() {
        0 => Val::Bottom(first_error.unwrap_or_else(|| Box::new(Error::bare("empty disjunction")))),
        1 => kept.pop().map_or(Val::Top, |(v, _)| v),
        _ => Val::Disj(kept),
    }
}

/// The most work a search of `bytes` bytes with `pattern` does (see [`Val::search_work`]).
pub(crate) fn search_work(pattern: &Pattern, bytes: usize) -> u64 {
    (bytes as u64).saturating_mul(pattern.states as u64)
}

fn conflict(a: &Val, b: &Val) -> Val {
    Val::error(format!("conflicting values {a} and {b}"))
}

impl Bound {
    fn check(&self, v: &Val) -> Result<(), Error> {
        let ok = match self {
            Bound::Less(b) => compare(v, b).is_some_and(std::cmp::Ordering::is_lt),
            Bound::LessEq(b) => compare(v, b).is_some_and(std::cmp::Ordering::is_le),
            Bound::Greater(b) => compare(v, b).is_some_and(std::cmp::Ordering::is_gt),
            Bound::GreaterEq(b) => compare(v, b).is_some_and(std::cmp::Ordering::is_ge),
            Bound::NotEq(b) => !v.equals(b),
            Bound::Match(re) => matches!(v, Val::Str(s) if re.regex.is_match(s)),
            Bound::NotMatch(re) => matches!(v, Val::Str(s) if !re.regex.is_match(s)),
            Bound::MinRunes(n) => matches!(v, Val::Str(s) if s.chars().count() >= *n),
            Bound::MaxRunes(n) => matches!(v, Val::Str(s) if s.chars().count() <= *n),
            // A scalar is never the list these describe.
            Bound::MinItems(_) | Bound::MaxItems(_) | Bound::UniqueItems => false,
        };
        if ok {
            Ok(())
        } else if self.is_validator() {
            Err(Error::bare(format!(
                "invalid value {v} (does not satisfy {self})"
            )))
        } else {
            Err(Error::bare(format!(
                "invalid value {v} (out of bound {self})"
            )))
        }
    }

    /// A function of the standard library used as a constraint (`strings.MaxRunes(63)`).
    fn is_validator(&self) -> bool {
        matches!(
            self,
            Bound::MinRunes(_)
                | Bound::MaxRunes(_)
                | Bound::MinItems(_)
                | Bound::MaxItems(_)
                | Bound::UniqueItems
        )
    }

    /// A bound on a list's elements rather than on a scalar.
    pub(crate) fn is_list_bound(&self) -> bool {
        matches!(
            self,
            Bound::MinItems(_) | Bound::MaxItems(_) | Bound::UniqueItems
        )
    }
}

/// The order of two numbers or two strings.
pub(crate) fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Int(x), Val::Float(y)) => Some(Decimal::from_i64(*x).cmp(y)),
        (Val::Float(x), Val::Int(y)) => Some((**x).cmp(&Decimal::from_i64(*y))),
        (Val::Float(x), Val::Float(y)) => Some(x.cmp(y)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bytes(x), Val::Bytes(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Top => f.write_str("_"),
            Val::Bottom(_) => f.write_str("_|_"),
            Val::Null => f.write_str("null"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Float(x) => write!(f, "{x}"),
            Val::Str(s) => write!(f, "{:?}", &**s),
            Val::Bytes(b) => write!(f, "'{}'", String::from_utf8_lossy(b)),
            Val::Constraint(kinds, bounds) => {
                let mut parts: Vec<String> = Vec::new();
                if bounds.is_empty() || *kinds != kind::ALL {
                    parts.push(kind_name(*kinds));
                }
                parts.extend(bounds.iter().map(ToString::to_string));
                f.write_str(&parts.join(" & "))
            }
            Val::Disj(alts) => {
                let parts: Vec<String> = alts
                    .iter()
                    .map(|(v, d)| if *d { format!("*{v}") } else { v.to_string() })
                    .collect();
                f.write_str(&parts.join(" | "))
            }
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Less(v) => write!(f, "<{v}"),
            Bound::LessEq(v) => write!(f, "<={v}"),
            Bound::Greater(v) => write!(f, ">{v}"),
            Bound::GreaterEq(v) => write!(f, ">={v}"),
            Bound::NotEq(v) => write!(f, "!={v}"),
            Bound::Match(re) => write!(f, "=~{:?}", re.text),
            Bound::NotMatch(re) => write!(f, "!~{:?}", re.text),
            Bound::MinRunes(n) => write!(f, "strings.MinRunes({n})"),
            Bound::MaxRunes(n) => write!(f, "strings.MaxRunes({n})"),
            Bound::MinItems(n) => write!(f, "list.MinItems({n})"),
            Bound::MaxItems(n) => write!(f, "list.MaxItems({n})"),
            Bound::UniqueItems => f.write_str("list.UniqueItems()"),
        }
    }
}

/// The name of a set of kinds, as CUE writes basic types.
pub(crate) fn kind_name(kinds: u8) -> String {
    let names = [
        (kind::NUMBER, "number"),
        (kind::NULL, "null"),
        (kind::BOOL, "bool"),
        (kind::INT, "int"),
        (kind::FLOAT, "float"),
        (kind::STRING, "string"),
        (kind::BYTES, "bytes"),
        (kind::STRUCT, "struct"),
        (kind::LIST, "list"),
    ];
    if kinds == kind::ALL {
        return "_".to_owned();
    }
    let mut rest = kinds;
    let mut parts = Vec::new();
    for (bits, name) in names {
        if rest & bits == bits {
            parts.push(name);
            rest &= !bits;
        }
    }
    parts.join("|")
}
