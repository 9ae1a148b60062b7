//! A trait's patch merged into its workload: JSON merge patch (RFC 7396) — objects merge, `null`
//! removes a key, anything else replaces — except lists that the definition gives a merge key
//! (`spec.template.spec.containers: name`): their items merge with the item of the same key, and
//! new items are appended.
//!
//! A CUE trait's patch is unified instead, as KubeVela's `StrategyUnify` does (kubevela/workflow
//! `pkg/cue/model/sets`): a value the workload has must equal the patch's, lists unify item by
//! item, and comment tags on the patch's fields change that: `+patchKey=name` matches list
//! items by a field (inherited by the fields below), `+patchStrategy=replace` replaces a list,
//! `+patchStrategy=retainKeys` replaces a field (or a keyed item), and on `patch` itself
//! `+patchStrategy=jsonMergePatch` (RFC 7396) or `jsonPatch` (RFC 6902 `operations`).

use std::collections::HashMap;

use serde_json::Value;

/// Merges `patch` into `target`. `merge_keys` pairs list paths (`a.b`, items as `a.b[]`) with
/// the field that identifies an item.
pub(super) fn merge(target: &mut Value, patch: &Value, merge_keys: &[(String, String)]) {
    merge_at(target, patch, &mut String::new(), merge_keys);
}

fn merge_at(target: &mut Value, patch: &Value, at: &mut String, merge_keys: &[(String, String)]) {
    match patch {
        Value::Object(entries) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            let Value::Object(map) = target else {
                return;
            };
            for (key, value) in entries {
                if value.is_null() {
                    map.shift_remove(key);
                    continue;
                }
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(key);
                let slot = map.entry(key.clone()).or_insert(Value::Null);
                merge_at(slot, value, at, merge_keys);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            let key = merge_keys
                .iter()
                .find(|(list, _)| list == at)
                .map(|(_, key)| key.as_str());
            match (key, target.as_array_mut()) {
                (Some(key), Some(existing)) => {
                    let len = at.len();
                    at.push_str("[]");
                    for item in items {
                        let id = item.get(key).filter(|id| !id.is_null());
                        match id.and_then(|id| existing.iter_mut().find(|e| e.get(key) == Some(id)))
                        {
                            Some(slot) => merge_at(slot, item, at, merge_keys),
                            None => {
                                let mut fresh = Value::Null;
                                merge_at(&mut fresh, item, at, merge_keys);
                                existing.push(fresh);
                            }
                        }
                    }
                    at.truncate(len);
                }
                _ => {
                    // A replaced list still drops nulls inside its objects, as RFC 7396 does.
                    *target = Value::Array(
                        items
                            .iter()
                            .map(|item| {
                                let mut fresh = Value::Null;
                                merge_at(&mut fresh, item, &mut String::new(), &[]);
                                fresh
                            })
                            .collect(),
                    );
                }
            }
        }
        scalar => *target = scalar.clone(),
    }
}

/// Tags of a CUE patch's fields by path (list items by index).
type TagMap = HashMap<Vec<String>, HashMap<String, String>>;

/// What the patch says beyond its value: tags, and the element of each open list.
struct Rules {
    tags: TagMap,
    open_lists: HashMap<Vec<String>, Value>,
}

/// Applies a CUE trait's `patch` to `target` as KubeVela does; an error names the conflict.
pub(super) fn unify(
    target: &mut Value,
    patch: &Value,
    info: &cue::PatchInfo,
) -> Result<(), String> {
    let tag_lines = &info.tags;
    let mut tags: TagMap = HashMap::new();
    for (path, lines) in tag_lines {
        let entry = tags.entry(path.clone()).or_default();
        for line in lines {
            // `+name=value`; a value of several words is no tag (as KubeVela reads them).
            if let Some((name, value)) = line.trim_start_matches('+').split_once('=') {
                let value = value.trim();
                if !value.is_empty() && value.split_whitespace().count() == 1 {
                    entry.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
    }
    let root = tags.get(&Vec::new()).cloned().unwrap_or_default();
    let rules = Rules {
        tags,
        open_lists: info.open_lists.iter().cloned().collect(),
    };
    match root.get("patchStrategy").map(String::as_str) {
        Some("jsonMergePatch") => {
            merge(target, patch, &[]);
            Ok(())
        }
        Some("jsonPatch") => json_patch(target, patch.get("operations").unwrap_or(&Value::Null)),
        _ => unify_at(target, patch, &mut Vec::new(), &HashMap::new(), &rules),
    }
}

fn unify_at(
    target: &mut Value,
    patch: &Value,
    at: &mut Vec<String>,
    inherited: &HashMap<String, String>,
    rules: &Rules,
) -> Result<(), String> {
    let Value::Object(entries) = patch else {
        return if target == patch {
            Ok(())
        } else {
            Err(format!(
                "conflicting values {target} (the workload) and {patch} (the patch) at {}",
                shown(at)
            ))
        };
    };
    let Value::Object(map) = target else {
        return Err(format!(
            "the patch writes an object where the workload has {target} at {}",
            shown(at)
        ));
    };
    for (key, value) in entries {
        at.push(key.clone());
        let own = rules.tags.get(at.as_slice()).cloned().unwrap_or_default();
        let mut below = inherited.clone();
        below.extend(own.clone());
        let strategy = own.get("patchStrategy").map(String::as_str);
        let result = match (map.get_mut(key), value) {
            (None, _) => {
                map.insert(key.clone(), value.clone());
                Ok(())
            }
            (Some(slot), _) if strategy == Some("retainKeys") && !value.is_array() => {
                *slot = value.clone();
                Ok(())
            }
            (Some(Value::Array(existing)), Value::Array(items)) => {
                if strategy == Some("replace") {
                    existing.clone_from(items);
                    Ok(())
                } else {
                    let key = below.get("patchKey").cloned();
                    unify_list(
                        existing,
                        items,
                        key.as_deref(),
                        strategy == Some("retainKeys"),
                        at,
                        &below,
                        rules,
                    )
                }
            }
            (Some(slot), _) => unify_at(slot, value, at, &below, rules),
        };
        at.pop();
        result?;
    }
    Ok(())
}

/// Unifies a list: items matched by `key` when the patch's items have it (others dropped, new
/// ones appended), otherwise item by item.
fn unify_list(
    existing: &mut Vec<Value>,
    items: &[Value],
    key: Option<&str>,
    retain: bool,
    at: &mut Vec<String>,
    inherited: &HashMap<String, String>,
    rules: &Rules,
) -> Result<(), String> {
    let id_of = |item: &Value, key: &str| -> Option<Value> {
        key.split('.')
            .try_fold(item, |v, k| v.get(k))
            .filter(|v| !v.is_object() && !v.is_array())
            .cloned()
    };
    // A keyed list the patch leaves empty changes nothing (KubeVela opens it).
    if key.is_some() && items.is_empty() {
        return Ok(());
    }
    let keyed = key.filter(|k| items.iter().any(|item| id_of(item, k).is_some()));
    let Some(key) = keyed else {
        // An open list (`[...T]`, `[a, ...T]`) unifies T with every element past its own.
        if let Some(element) = rules.open_lists.get(at.as_slice()) {
            for (index, slot) in existing.iter_mut().enumerate().skip(items.len()) {
                at.push(index.to_string());
                let result = unify_at(slot, element, at, inherited, rules);
                at.pop();
                result?;
            }
        } else if items.len() < existing.len() {
            return Err(format!(
                "the patch's list has {} items where the workload's has {} at {} (KubeVela refuses this too: without a `+patchKey` its items meet the workload's one by one)",
                items.len(),
                existing.len(),
                shown(at)
            ));
        }
        for (index, item) in items.iter().enumerate() {
            at.push(index.to_string());
            let result = match existing.get_mut(index) {
                Some(slot) => unify_at(slot, item, at, inherited, rules),
                None => {
                    existing.push(item.clone());
                    Ok(())
                }
            };
            at.pop();
            result?;
        }
        return Ok(());
    };
    let mut used = vec![false; items.len()];
    for slot in existing.iter_mut() {
        let Some(id) = id_of(slot, key) else { continue };
        let Some(index) = items
            .iter()
            .enumerate()
            .position(|(i, item)| !used[i] && id_of(item, key) == Some(id.clone()))
        else {
            continue;
        };
        used[index] = true;
        at.push(index.to_string());
        let result = if retain {
            *slot = items[index].clone();
            Ok(())
        } else {
            unify_at(slot, &items[index], at, inherited, rules)
        };
        at.pop();
        result?;
    }
    for (index, item) in items.iter().enumerate() {
        if !used[index] && id_of(item, key).is_some() {
            existing.push(item.clone());
        }
    }
    Ok(())
}

/// RFC 6902 operations (`add`, `remove`, `replace`, `move`, `copy`, `test`) applied in order.
fn json_patch(target: &mut Value, operations: &Value) -> Result<(), String> {
    let Value::Array(operations) = operations else {
        return Err("a jsonPatch patch needs `operations`, a list".to_owned());
    };
    for operation in operations {
        let op = operation
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let pointer = operation
            .get("path")
            .and_then(Value::as_str)
            .ok_or("a jsonPatch operation needs a `path`")?;
        let value = operation.get("value");
        match op {
            "add" | "replace" | "test" => {
                let value = value
                    .ok_or_else(|| format!("jsonPatch `{op}` needs a `value`"))?
                    .clone();
                match op {
                    "test" => {
                        if target.pointer(pointer) != Some(&value) {
                            return Err(format!("jsonPatch test failed at {pointer}"));
                        }
                    }
                    "replace" => {
                        let slot = target
                            .pointer_mut(pointer)
                            .ok_or_else(|| format!("jsonPatch replace: nothing at {pointer}"))?;
                        *slot = value;
                    }
                    _ => add(target, pointer, value)?,
                }
            }
            "remove" => {
                remove(target, pointer)?;
            }
            "move" | "copy" => {
                let from = operation
                    .get("from")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("jsonPatch `{op}` needs `from`"))?;
                let value = if op == "move" {
                    remove(target, from)?
                } else {
                    target
                        .pointer(from)
                        .cloned()
                        .ok_or_else(|| format!("jsonPatch copy: nothing at {from}"))?
                };
                add(target, pointer, value)?;
            }
            other => return Err(format!("unknown jsonPatch operation `{other}`")),
        }
    }
    Ok(())
}

/// The parent of a JSON pointer and its last token, unescaped.
fn split_pointer(pointer: &str) -> Result<(&str, String), String> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("invalid JSON pointer `{pointer}`"))?;
    Ok((parent, last.replace("~1", "/").replace("~0", "~")))
}

fn add(target: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(pointer)?;
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let index = if last == "-" {
                items.len()
            } else {
                last.parse::<usize>()
                    .map_err(|_| format!("invalid index in `{pointer}`"))?
            };
            if index > items.len() {
                return Err(format!("index out of range in `{pointer}`"));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err(format!("jsonPatch add: no object or list at `{parent}`")),
    }
}

fn remove(target: &mut Value, pointer: &str) -> Result<Value, String> {
    let (parent, last) = split_pointer(pointer)?;
    let removed = match target.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&last),
        Some(Value::Array(items)) => last
            .parse::<usize>()
            .ok()
            .filter(|i| *i < items.len())
            .map(|i| items.remove(i)),
        _ => None,
    };
    removed.ok_or_else(|| format!("jsonPatch remove: nothing at `{pointer}`"))
}

fn shown(path: &[String]) -> String {
    if path.is_empty() {
        "the top".to_owned()
    } else {
        path.join(".")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{merge, unify};

    fn tag(path: &[&str], line: &str) -> (Vec<String>, Vec<String>) {
        (
            path.iter().map(|s| (*s).to_owned()).collect(),
            vec![line.to_owned()],
        )
    }

    fn tags(tags: &[(Vec<String>, Vec<String>)]) -> cue::PatchInfo {
        cue::PatchInfo {
            tags: tags.to_vec(),
            open_lists: Vec::new(),
        }
    }

    #[test]
    fn an_open_list_patches_every_element() {
        let mut workload = json!({"containers": [{"name": "a"}, {"name": "b"}]});
        let info = cue::PatchInfo {
            tags: Vec::new(),
            open_lists: vec![(
                vec!["containers".to_owned()],
                json!({"lifecycle": {"x": 1}}),
            )],
        };
        unify(&mut workload, &json!({"containers": []}), &info).unwrap();
        assert_eq!(
            workload,
            json!({"containers": [{"name": "a", "lifecycle": {"x": 1}}, {"name": "b", "lifecycle": {"x": 1}}]})
        );
    }

    #[test]
    fn cue_patches_unify_values_and_match_keyed_items() {
        let mut workload = json!({"spec": {"replicas": 1, "containers": [
            {"name": "app", "image": "app:1"}, {"name": "side", "image": "s:1"}
        ]}});
        let patch = json!({"spec": {"replicas": 1, "containers": [
            {"name": "side", "env": [{"name": "A", "value": "1"}]}, {"name": "new", "image": "n:1"}
        ]}});
        unify(
            &mut workload,
            &patch,
            &tags(&[tag(&["spec", "containers"], "+patchKey=name")]),
        )
        .unwrap();
        assert_eq!(
            workload["spec"]["containers"],
            json!([
                {"name": "app", "image": "app:1"},
                {"name": "side", "image": "s:1", "env": [{"name": "A", "value": "1"}]},
                {"name": "new", "image": "n:1"}
            ])
        );
        let conflict = unify(&mut workload, &json!({"spec": {"replicas": 3}}), &tags(&[]));
        assert!(conflict.unwrap_err().contains("spec.replicas"));
        unify(
            &mut workload,
            &json!({"spec": {"replicas": 3}}),
            &tags(&[tag(&["spec", "replicas"], "+patchStrategy=retainKeys")]),
        )
        .unwrap();
        assert_eq!(workload["spec"]["replicas"], 3);
    }

    #[test]
    fn cue_patches_replace_lists_and_run_json_patches() {
        let mut workload = json!({"args": ["a", "b"], "metadata": {"labels": {"x": "1"}}});
        unify(
            &mut workload,
            &json!({"args": ["c"]}),
            &tags(&[tag(&["args"], "+patchStrategy=replace")]),
        )
        .unwrap();
        assert_eq!(workload["args"], json!(["c"]));
        let operations = json!({"operations": [
            {"op": "add", "path": "/metadata/labels/y", "value": "2"},
            {"op": "remove", "path": "/metadata/labels/x"},
            {"op": "add", "path": "/args/-", "value": "d"}
        ]});
        unify(
            &mut workload,
            &operations,
            &tags(&[tag(&[], "+patchStrategy=jsonPatch")]),
        )
        .unwrap();
        assert_eq!(
            workload,
            json!({"args": ["c", "d"], "metadata": {"labels": {"y": "2"}}})
        );
        unify(
            &mut workload,
            &json!({"metadata": {"labels": {"y": null}}}),
            &tags(&[tag(&[], "+patchStrategy=jsonMergePatch")]),
        )
        .unwrap();
        assert_eq!(workload["metadata"]["labels"], json!({}));
    }

    #[test]
    fn objects_merge_null_removes_lists_replace() {
        let mut target = json!({"spec": {"replicas": 1, "paused": true, "args": ["a", "b"]}});
        merge(
            &mut target,
            &json!({"spec": {"replicas": 3, "paused": null, "args": ["c"]}}),
            &[],
        );
        assert_eq!(target, json!({"spec": {"replicas": 3, "args": ["c"]}}));
    }

    #[test]
    fn merge_keys_merge_items_by_key_and_append_new_ones() {
        let mut target = json!({"containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]}
        ]});
        let keys = [
            ("containers".to_owned(), "name".to_owned()),
            ("containers[].env".to_owned(), "name".to_owned()),
        ];
        merge(
            &mut target,
            &json!({"containers": [
                {"name": "app", "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
                {"name": "sidecar", "image": "proxy:1"}
            ]}),
            &keys,
        );
        assert_eq!(
            target,
            json!({"containers": [
                {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
                {"name": "sidecar", "image": "proxy:1"}
            ]})
        );
    }
}
