//! Component revisions as content hashes: `<component>-<10 hex>` of the canonical spec. The
//! runtime counted `-v<N>` in the cluster; a stateless renderer cannot know N, and GitOps wants
//! a name that changes exactly when the spec does (DESIGN.md decisions).

use std::io::Write;

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
/// when the component is lowered, so the spec itself is not kept for it; the canonical text
/// is hashed as it is written, never held.
pub(crate) fn spec_hash(spec: &Value) -> u64 {
    let mut hasher = Fnv1a64(FNV1A64_OFFSET);
    // Writing into the hasher cannot fail.
    let _ = write_canonical(spec, &mut hasher);
    hasher.0
}

/// JSON with object keys sorted, so that key order in the file does not change the hash.
fn write_canonical<W: Write>(value: &Value, out: &mut W) -> serde_json::Result<()> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
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
        Value::Array(items) => {
            out.write_all(b"[").map_err(serde_json::Error::io)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",").map_err(serde_json::Error::io)?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]").map_err(serde_json::Error::io)
        }
        scalar => serde_json::to_writer(out, scalar),
    }
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
    use super::{spec_hash, write_canonical};

    fn canonical(text: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        write_canonical(&value, &mut out).unwrap();
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
}
