//! Component revisions as content hashes: `<component>-<10 hex>` of the canonical spec. The
//! runtime counted `-v<N>` in the cluster; a stateless renderer cannot know N, and GitOps wants
//! a name that changes exactly when the spec does (DESIGN.md decisions).

use std::io::Write;

use serde_json::Value;

use super::Component;
use crate::load::{Node, NodeValue};

impl Component {
    /// The revision name: the stored one for a ControllerRevision, else the content hash.
    pub(crate) fn revision(&self) -> String {
        if let Some(stored) = &self.stored_revision {
            return stored.clone();
        }
        // The hash's first ten hex digits: its top 40 bits.
        format!("{}-{:010x}", self.name.value, self.spec_hash >> 24)
    }
}

/// The hash a revision name is made of: of the canonical JSON of the component's spec. Taken
/// when the component is lowered, so the spec itself is not kept for it; the canonical text
/// is hashed as it is written, never held.
pub(crate) fn spec_hash(spec: &Value) -> u64 {
    hash_of(&Part::Value(spec))
}

/// `spec_hash` of a KubeVela component, `{"type": ..., "properties": ...}`, read from its
/// nodes: making the value only to hash it cost as much as hashing.
pub(crate) fn kubevela_spec_hash(type_name: &str, properties: Option<&Node>) -> u64 {
    let type_name = Value::String(type_name.to_owned());
    let empty = Value::Object(serde_json::Map::new());
    let properties = properties.map_or(Part::Value(&empty), Part::Node);
    hash_of(&Part::Map(vec![
        ("properties", properties),
        ("type", Part::Value(&type_name)),
    ]))
}

fn hash_of(spec: &Part<'_>) -> u64 {
    let mut hasher = Fnv1a64(FNV1A64_OFFSET);
    // Writing into the hasher cannot fail.
    let _ = write_canonical(spec, &mut hasher);
    hasher.0
}

/// What canonical JSON is written of: a value, a node (as its value reads: of repeated keys,
/// the last), or a map put together for the purpose.
enum Part<'a> {
    Value(&'a Value),
    Node(&'a Node),
    Map(Vec<(&'a str, Part<'a>)>),
}

/// JSON with object keys sorted, so that key order in the file does not change the hash.
fn write_canonical<W: Write>(part: &Part<'_>, out: &mut W) -> serde_json::Result<()> {
    let entries: Vec<(&str, Part<'_>)> = match part {
        Part::Value(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.as_str(), Part::Value(v)))
            .collect(),
        // Reversed: of equal keys, the stable sort of `write_map` keeps the last.
        Part::Node(Node {
            value: NodeValue::Map(entries),
            ..
        }) => entries
            .iter()
            .rev()
            .map(|(k, v)| (&*k.text, Part::Node(v)))
            .collect(),
        Part::Map(entries) => {
            return write_map(entries.iter().map(|(k, v)| (*k, v)).collect(), out);
        }
        Part::Value(Value::Array(items)) => {
            return write_list(items.iter().map(Part::Value), out);
        }
        Part::Node(Node {
            value: NodeValue::List(items),
            ..
        }) => return write_list(items.iter().map(Part::Node), out),
        Part::Value(scalar) => return serde_json::to_writer(out, scalar),
        Part::Node(scalar) => return serde_json::to_writer(out, &scalar.to_value()),
    };
    write_map(entries.iter().map(|(k, v)| (*k, v)).collect(), out)
}

/// A map's entries sorted by key, the first of equal keys kept.
fn write_map<W: Write>(mut entries: Vec<(&str, &Part<'_>)>, out: &mut W) -> serde_json::Result<()> {
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.dedup_by(|later, first| later.0 == first.0);
    out.write_all(b"{").map_err(serde_json::Error::io)?;
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(serde_json::Error::io)?;
        }
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":").map_err(serde_json::Error::io)?;
        write_canonical(item, out)?;
    }
    out.write_all(b"}").map_err(serde_json::Error::io)
}

fn write_list<'a, W: Write>(
    items: impl Iterator<Item = Part<'a>>,
    out: &mut W,
) -> serde_json::Result<()> {
    out.write_all(b"[").map_err(serde_json::Error::io)?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(serde_json::Error::io)?;
        }
        write_canonical(&item, out)?;
    }
    out.write_all(b"]").map_err(serde_json::Error::io)
}

/// FNV-1a, 32 bit, as the runtime names ConfigMaps of config files.
pub(crate) fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

const FNV1A64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bit, fed as a writer: small, portable, and stable across platforms and releases.
struct Fnv1a64(u64);

impl Write for Fnv1a64 {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = bytes.iter().fold(self.0, |hash, b| {
            (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Part, kubevela_spec_hash, spec_hash, write_canonical};

    fn canonical(text: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        write_canonical(&Part::Value(&value), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_form_ignores_key_order() {
        let a = canonical(r#"{"b":1,"a":{"y":[1,2],"x":null}}"#);
        assert_eq!(a, canonical(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#));
        assert_eq!(a, r#"{"a":{"x":null,"y":[1,2]},"b":1}"#);
    }

    #[test]
    fn canonical_form_is_compact_json_with_escapes() {
        assert_eq!(
            canonical(r#"{"z\"q":"line\nbreak \u0001 é","a":[1.5,-2,1e300,true,false,{}]}"#),
            r#"{"a":[1.5,-2,1e+300,true,false,{}],"z\"q":"line\nbreak \u0001 é"}"#
        );
    }

    #[test]
    fn the_hash_is_fnv1a_64_of_the_canonical_text() {
        // Revision names in committed output depend on these values staying as they are
        // (computed apart from this code, from the FNV-1a definition).
        assert_eq!(spec_hash(&serde_json::json!("a")), 0xd427_2417_d7c7_7eea);
        assert_eq!(spec_hash(&serde_json::json!({})), 0x08f4_4b07_b590_1a25);
    }

    /// A KubeVela component's hash read from its nodes is the hash of the value they make:
    /// nested maps and lists, every kind of scalar, text to escape, and a repeated key.
    #[test]
    fn a_hash_from_nodes_is_the_hash_of_their_value() {
        let text = "image: \"a\\\"b\"\nports: [{port: 80, expose: true}, {port: 8.5}]\nenv: [{name: A, value: null}]\nlabels: {z: \"1\", a: é}\nn: -3\n";
        let mut diags = crate::diag::Diagnostics::default();
        let nodes = crate::load::parse_yaml(
            crate::load::FileId(0),
            text,
            &crate::load::Budgets::default(),
            &mut diags,
        );
        let properties = &nodes[0];
        assert!(diags.into_sorted().is_empty());
        let spec = serde_json::json!({"type": "webservice", "properties": properties.to_value()});
        assert_eq!(
            kubevela_spec_hash("webservice", Some(properties)),
            spec_hash(&spec)
        );
        // The loader keeps the first of repeated keys; a node made with both reads as the
        // value does, the last.
        let mut repeated = properties.clone();
        if let crate::load::NodeValue::Map(entries) = &mut repeated.value {
            let first = entries[0].clone();
            let mut grown = std::mem::take(entries).into_vec();
            grown.push((first.0, properties.get("n").cloned().expect("n")));
            *entries = grown.into_boxed_slice();
        }
        let spec = serde_json::json!({"type": "webservice", "properties": repeated.to_value()});
        assert_eq!(spec["properties"]["image"], -3);
        assert_eq!(
            kubevela_spec_hash("webservice", Some(&repeated)),
            spec_hash(&spec)
        );
        let empty = serde_json::json!({"type": "worker", "properties": {}});
        assert_eq!(kubevela_spec_hash("worker", None), spec_hash(&empty));
    }
}
