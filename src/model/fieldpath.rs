//! Field paths as the runtime writes them (crossplane `fieldpath`): `spec.containers[0].image`,
//! `metadata.labels["app.kubernetes.io/name"]`, and the unquoted `metadata.labels[state]`.
//! Setting creates missing objects and lists, and pads lists with null up to the index.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::Text;
use crate::diag::{Code, Diagnostic};

/// Lists are padded with null up to an index; a hostile index must not allocate gigabytes.
const MAX_INDEX: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Field(String),
    Index(usize),
}

/// Parses a path, or says what is wrong with it.
pub(crate) fn parse(path: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = path;
    if rest.is_empty() {
        return Err("the path is empty".to_owned());
    }
    let mut expect_field = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after
                .find(']')
                .ok_or_else(|| format!("`[` without `]` in `{path}`"))?;
            let inner = &after[..close];
            let segment =
                if let Some(quoted) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    Segment::Field(quoted.to_owned())
                } else if let Ok(index) = inner.parse::<usize>() {
                    Segment::Index(index)
                } else if !inner.is_empty() && !inner.contains(['"', '[']) {
                    Segment::Field(inner.to_owned())
                } else {
                    return Err(format!(
                        "`[{inner}]` is neither an index nor a key in `{path}`"
                    ));
                };
            segments.push(segment);
            rest = &after[close + 1..];
            expect_field = false;
        } else if let Some(after) = rest.strip_prefix('.') {
            if expect_field {
                return Err(format!("an empty field name in `{path}`"));
            }
            rest = after;
            expect_field = true;
        } else {
            if !expect_field {
                return Err(format!("a `.` is missing before `{rest}` in `{path}`"));
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            segments.push(Segment::Field(rest[..end].to_owned()));
            rest = &rest[end..];
            expect_field = false;
        }
    }
    if expect_field {
        return Err(format!("`{path}` ends with `.`"));
    }
    Ok(segments)
}

/// The diagnostic for a malformed path written in `field` (`fieldPaths`, `workloadRefPath`…).
pub(crate) fn invalid(path: &Text, field: &str) -> Diagnostic {
    let reason = parse(&path.value).err().unwrap_or_default();
    Diagnostic::new(
        Code::InvalidFieldPath,
        path.span,
        format!("invalid field path in {field}: {reason}"),
    )
    .with_help("write paths like `spec.containers[0].image` or `metadata.labels[\"app\"]`")
}

/// The value at `path` in `target`, if there is one.
pub(crate) fn get<'v>(target: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter()
        .try_fold(target, |value, segment| match segment {
            Segment::Field(field) => value.get(field),
            Segment::Index(index) => value.get(*index),
        })
}

/// Writes `value` at `path` in `target`. Errors name the segment that is in the way.
pub(crate) fn set(target: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let mut current = target;
    let mut walked = String::new();
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next_is_index = matches!(path.get(i + 1), Some(Segment::Index(_)));
        let empty = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        match segment {
            Segment::Field(name) => {
                if current.is_null() {
                    *current = Value::Object(Map::new());
                }
                let Value::Object(map) = current else {
                    return Err(format!("`{}` is not an object", display(&walked)));
                };
                if last {
                    map.insert(name.clone(), value);
                    return Ok(());
                }
                current = map.entry(name.clone()).or_insert_with(empty);
            }
            Segment::Index(index) => {
                if current.is_null() {
                    *current = Value::Array(Vec::new());
                }
                let Value::Array(items) = current else {
                    return Err(format!("`{}` is not a list", display(&walked)));
                };
                if *index > MAX_INDEX {
                    return Err(format!("index {index} is larger than {MAX_INDEX}"));
                }
                if items.len() <= *index {
                    items.resize(index + 1, Value::Null);
                }
                if last {
                    items[*index] = value;
                    return Ok(());
                }
                if items[*index].is_null() {
                    items[*index] = empty();
                }
                current = &mut items[*index];
            }
        }
        push_segment(&mut walked, segment);
    }
    Ok(())
}

fn push_segment(walked: &mut String, segment: &Segment) {
    match segment {
        Segment::Field(name) if name.contains(['.', '[', ']']) => {
            let _ = write!(walked, "[\"{name}\"]");
        }
        Segment::Field(name) => {
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(name);
        }
        Segment::Index(index) => {
            let _ = write!(walked, "[{index}]");
        }
    }
}

fn display(walked: &str) -> &str {
    if walked.is_empty() {
        "the object"
    } else {
        walked
    }
}

#[cfg(test)]
mod tests {
    use super::{Segment, parse, set};
    use serde_json::json;

    #[test]
    fn parses_the_runtime_forms() {
        assert_eq!(
            parse("spec.containers[0].image").unwrap(),
            vec![
                Segment::Field("spec".into()),
                Segment::Field("containers".into()),
                Segment::Index(0),
                Segment::Field("image".into())
            ]
        );
        assert_eq!(
            parse(r#"metadata.labels["a.b/c"]"#).unwrap()[2],
            Segment::Field("a.b/c".into())
        );
        assert_eq!(
            parse("metadata.labels[state]").unwrap()[2],
            Segment::Field("state".into())
        );
        for bad in ["", "a..b", "a.", ".a", "a[0", "a[0]b", "a[\"x]"] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn sets_create_and_pad() {
        let mut v = json!({"metadata": {"name": "x"}});
        set(
            &mut v,
            &parse("spec.containers[1].image").unwrap(),
            json!("nginx"),
        )
        .unwrap();
        assert_eq!(v["spec"]["containers"], json!([null, {"image": "nginx"}]));
        let err = set(&mut v, &parse("metadata[0]").unwrap(), json!(1)).unwrap_err();
        assert_eq!(err, "`metadata` is not a list");
        let err = set(&mut v, &parse("metadata.name.first").unwrap(), json!(1)).unwrap_err();
        assert_eq!(err, "`metadata.name` is not an object");
    }
}
