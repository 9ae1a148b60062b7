//! Component revisions as content hashes: `<component>-<10 hex>` of the canonical spec. The
//! runtime counted `-v<N>` in the cluster; a stateless renderer cannot know N, and GitOps wants
//! a name that changes exactly when the spec does (DESIGN.md decisions).

use serde_json::Value;

use super::Component;

impl Component {
    /// The revision name: the stored one for a ControllerRevision, else the content hash.
    pub(crate) fn revision(&self) -> String {
        if let Some(stored) = &self.stored_revision {
            return stored.clone();
        }
        format!(
            "{}-{}",
            self.name.value,
            &format!("{:016x}", self.spec_hash)[..10]
        )
    }
}

/// The hash a revision name is made of: of the canonical JSON of the component's spec. Taken
/// when the component is lowered, so the spec itself is not kept for it.
pub(crate) fn spec_hash(spec: &Value) -> u64 {
    let mut canonical = String::new();
    write_canonical(spec, &mut canonical);
    fnv1a64(canonical.as_bytes())
}

/// JSON with object keys sorted, so that key order in the file does not change the hash.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// FNV-1a, 32 bit, as the runtime names ConfigMaps of config files.
pub(crate) fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a, 64 bit: small, portable, and stable across platforms and releases.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{fnv1a64, write_canonical};

    #[test]
    fn canonical_form_ignores_key_order() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":null}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
        let (mut x, mut y) = (String::new(), String::new());
        write_canonical(&a, &mut x);
        write_canonical(&b, &mut y);
        assert_eq!(x, y);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
