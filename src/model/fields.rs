//! Reading typed fields out of span-carrying nodes. Unlike serde, every wrong type and every
//! unknown field of an object is reported (not only the first), each at its own span, and an
//! unknown field gets a "did you mean" from the fields the lowering asked for.

use serde_json::Value;

use super::Text;
use crate::diag::{Code, Diagnostic, Diagnostics, Span, did_you_mean};
use crate::load::{Key, Node, NodeValue};

/// The fields of one mapping node, read one by one; `finish` reports the ones nobody asked for.
pub(crate) struct Fields<'n> {
    node: &'n Node,
    entries: &'n [(Key, Node)],
    asked: Vec<&'static str>,
    /// Where the object is, for "missing field" messages: `spec.components[0]`.
    what: String,
}

impl<'n> Fields<'n> {
    /// The fields of `node`, or a wrong-type diagnostic if it is not a mapping.
    pub(crate) fn of(
        node: &'n Node,
        what: impl Into<String>,
        diags: &mut Diagnostics,
    ) -> Option<Fields<'n>> {
        let what = what.into();
        match &node.value {
            NodeValue::Map(entries) => Some(Fields {
                node,
                entries,
                asked: Vec::new(),
                what,
            }),
            NodeValue::Null => Some(Fields {
                node,
                entries: &[],
                asked: Vec::new(),
                what,
            }),
            _ => {
                diags.push(wrong_type(node, &what, "a mapping"));
                None
            }
        }
    }

    /// The object as written.
    pub(crate) fn node_ref(&self) -> &'n Node {
        self.node
    }

    /// The whole object, spans dropped.
    pub(crate) fn to_value(&self) -> Value {
        self.node.to_value()
    }

    /// The span of the first key, a compact place to point at for the object as a whole.
    pub(crate) fn head(&self) -> Span {
        self.entries.first().map_or(self.node.span, |(k, _)| k.span)
    }

    /// Any node under `key`; null counts as absent.
    pub(crate) fn node(&mut self, key: &'static str) -> Option<&'n Node> {
        self.asked.push(key);
        self.entries
            .iter()
            .find(|(k, _)| &*k.text == key)
            .map(|(_, v)| v)
            .filter(|v| v.value != NodeValue::Null)
    }

    /// The span of `key` itself, for "remove this field" labels.
    pub(crate) fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| &*k.text == key)
            .map(|(k, _)| k.span)
    }

    /// An optional string.
    pub(crate) fn string(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Text> {
        let node = self.node(key)?;
        if let NodeValue::String(s) = &node.value {
            Some(Text {
                value: str::to_owned(s),
                span: node.span,
            })
        } else {
            diags.push(wrong_type(node, &self.path(key), "a string"));
            None
        }
    }

    /// A string that must be there.
    pub(crate) fn required_string(
        &mut self,
        key: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<Text> {
        if self.node(key).is_none() {
            diags.push(self.missing(key));
            return None;
        }
        self.string(key, diags)
    }

    pub(crate) fn bool(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<bool> {
        let node = self.node(key)?;
        if let NodeValue::Bool(b) = &node.value {
            Some(*b)
        } else {
            diags.push(wrong_type(
                node,
                &self.path(key),
                "a boolean (true or false)",
            ));
            None
        }
    }

    /// A nested mapping.
    pub(crate) fn object(
        &mut self,
        key: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<Fields<'n>> {
        let node = self.node(key)?;
        Fields::of(node, self.path(key), diags)
    }

    /// A nested mapping as written, for values kept with their spans (properties).
    pub(crate) fn mapping(
        &mut self,
        key: &'static str,
        diags: &mut Diagnostics,
    ) -> Option<&'n Node> {
        let node = self.node(key)?;
        if let NodeValue::Map(_) = node.value {
            Some(node)
        } else {
            diags.push(wrong_type(node, &self.path(key), "a mapping"));
            None
        }
    }

    /// The items of a list; absent or null is empty.
    pub(crate) fn list(&mut self, key: &'static str, diags: &mut Diagnostics) -> &'n [Node] {
        let Some(node) = self.node(key) else {
            return &[];
        };
        if let NodeValue::List(items) = &node.value {
            items
        } else {
            diags.push(wrong_type(node, &self.path(key), "a list"));
            &[]
        }
    }

    /// A list whose items `lower` reads; items it refuses (and reports) are left out.
    pub(crate) fn list_of<T>(
        &mut self,
        key: &'static str,
        diags: &mut Diagnostics,
        lower: impl Fn(&'n Node, &mut Diagnostics) -> Option<T>,
    ) -> Vec<T> {
        self.list(key, diags)
            .iter()
            .filter_map(|item| lower(item, diags))
            .collect()
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, key: &'static str, diags: &mut Diagnostics) -> Vec<Text> {
        let mut out = Vec::new();
        for item in self.list(key, diags) {
            match &item.value {
                NodeValue::String(s) => out.push(Text {
                    value: str::to_owned(s),
                    span: item.span,
                }),
                _ => {
                    let path = self.path(key);
                    diags.push(wrong_type(item, &format!("an item of {path}"), "a string"));
                }
            }
        }
        out
    }

    /// A mapping of strings to strings (labels, annotations).
    pub(crate) fn string_map(
        &mut self,
        key: &'static str,
        diags: &mut Diagnostics,
    ) -> Vec<(String, String)> {
        let Some(map) = self.node(key) else {
            return Vec::new();
        };
        let NodeValue::Map(entries) = &map.value else {
            diags.push(wrong_type(map, &self.path(key), "a mapping of strings"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            match &v.value {
                NodeValue::String(s) => out.push((str::to_owned(&k.text), str::to_owned(s))),
                _ => diags.push(
                    wrong_type(v, &format!("{}.{}", self.path(key), k.text), "a string").with_help(
                        "label and annotation values are strings: quote numbers and booleans",
                    ),
                ),
            }
        }
        out
    }

    /// Any value under `key`, spans dropped.
    pub(crate) fn value(&mut self, key: &'static str) -> Option<Value> {
        self.node(key).map(Node::to_value)
    }

    pub(crate) fn path(&self, key: &str) -> String {
        if self.what.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.what)
        }
    }

    pub(crate) fn missing(&self, key: &str) -> Diagnostic {
        Diagnostic::new(
            Code::MissingField,
            self.head(),
            format!("`{}` is required", self.path(key)),
        )
        .with_label_text(format!("this object has no `{key}`"))
        .with_help(format!(
            "add `{key}` to {}",
            if self.what.is_empty() {
                "the object"
            } else {
                &self.what
            }
        ))
    }

    /// Reports every field that was never asked for, with the closest known name.
    pub(crate) fn finish(self, diags: &mut Diagnostics) {
        for (key, _) in self.entries {
            if self.asked.contains(&&*key.text) {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                Code::UnknownField,
                key.span,
                format!("unknown field `{}`", self.path(&key.text)),
            );
            diagnostic = match did_you_mean(&key.text, self.asked.iter().copied()) {
                Some(known) => diagnostic
                    .with_label_text(format!("did you mean `{known}`?"))
                    .with_help(format!(
                        "rename it to `{known}`; oam ignores fields it does not know"
                    )),
                None => diagnostic.with_help(format!(
                    "oam ignores this field; the known fields here are: {}",
                    self.asked.join(", ")
                )),
            };
            diags.push(diagnostic);
        }
    }
}

/// "`spec.replicas` must be a number, found a string".
pub(crate) fn wrong_type(node: &Node, what: &str, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::WrongType,
        node.span,
        format!("`{what}` must be {expected}"),
    )
    .with_label_text(format!("found {}", node.type_name()))
}
