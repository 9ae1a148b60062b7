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
    open_lists: HashMap<Vec<String>, Option<Value>>,
}

/// A `// +name=value` comment line split as KubeVela splits it, both sides trimmed.
fn tag_parts(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.strip_prefix('+')?.split_once('=')?;
    Some((name.trim(), value.trim()))
}

/// A `// +name=value` comment line as KubeVela reads it (`name`, `value`); a value of several
/// words is no tag.
pub(super) fn tag(line: &str) -> Option<(&str, &str)> {
    tag_parts(line).filter(|(_, value)| value.split_whitespace().count() == 1)
}

/// The strategies KubeVela knows.
const STRATEGIES: [&str; 4] = ["retainKeys", "replace", "jsonMergePatch", "jsonPatch"];

/// Why KubeVela would ignore, without a word, a `// +patchKey` or `// +patchStrategy` line:
/// a name spelt in another case, an empty value or one of several words, a strategy spelt in
/// another case. (what, the fix); `None` for a good tag or a line that is no patch tag.
pub(super) fn ignored_tag(line: &str) -> Option<(String, String)> {
    let (name, value) = tag_parts(line)?;
    let known = ["patchKey", "patchStrategy"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(name))?;
    if name != known {
        return Some((
            format!("`+{name}` is no tag KubeVela reads: tag names are case-sensitive"),
            format!("write `+{known}={value}`"),
        ));
    }
    let words = value.split_whitespace().count();
    if words != 1 {
        return Some((
            format!(
                "KubeVela reads `+{name}` only with a value of one word, and this one has {words}"
            ),
            format!("write one value: `+{name}=<value>` (several keys as `a,b`)"),
        ));
    }
    // A strategy in another case is a slip; other words (`merge` from Kubernetes' own
    // markers, `open` in KubeVela's command trait) are not meant for KubeVela, which ignores
    // them, and are left alone.
    let known = STRATEGIES
        .into_iter()
        .find(|known| *known != value && known.eq_ignore_ascii_case(value))
        .filter(|_| name == "patchStrategy")?;
    Some((
        format!(
            "`{value}` is no patch strategy KubeVela knows (they are case-sensitive), so the field is unified as if untagged"
        ),
        format!("write `+patchStrategy={known}`"),
    ))
}

/// Whether a `+patchStrategy` applies to a trait's `patch` as a whole (KubeVela reads these
/// on `patch` itself and nowhere else).
pub(super) fn is_whole_patch_strategy(strategy: &str) -> bool {
    matches!(strategy, "jsonMergePatch" | "jsonPatch")
}

/// Applies a CUE trait's `patch` to `target` as KubeVela does: a JSON merge patch or JSON
/// patch when `patch` is tagged so, else unified ([`unify`]); an error names the conflict.
pub(super) fn apply(
    target: &mut Value,
    patch: &Value,
    info: &cue::PatchInfo,
) -> Result<(), String> {
    let strategy = info
        .tags
        .iter()
        .filter(|(path, _)| path.is_empty())
        .flat_map(|(_, lines)| lines.iter().filter_map(|line| tag(line)))
        .filter(|(name, _)| *name == "patchStrategy")
        .map(|(_, value)| value)
        .next_back();
    match strategy {
        Some("jsonMergePatch") => {
            merge(target, patch, &[]);
            Ok(())
        }
        Some("jsonPatch") => json_patch(target, patch.get("operations").unwrap_or(&Value::Null)),
        _ => unify(target, patch, info),
    }
}

/// Unifies a CUE patch into `target` with KubeVela's strategies by tag (`+patchKey`,
/// `+patchStrategy=retainKeys` or `replace`), as KubeVela unifies `patch` and `patchOutputs`.
pub(super) fn unify(
    target: &mut Value,
    patch: &Value,
    info: &cue::PatchInfo,
) -> Result<(), String> {
    let mut tags: TagMap = HashMap::new();
    for (path, lines) in &info.tags {
        let entry = tags.entry(path.clone()).or_default();
        for (name, value) in lines.iter().filter_map(|line| tag(line)) {
            entry.insert(name.to_owned(), value.to_owned());
        }
    }
    let rules = Rules {
        tags,
        open_lists: info.open_lists.iter().cloned().collect(),
    };
    unify_at(target, patch, &mut Vec::new(), &HashMap::new(), &rules)
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

/// Unifies a list. With a `+patchKey` the patch's items are first lined up with the
/// workload's ([`line_up`]); otherwise, or when the key does not apply, item meets item by index.
fn unify_list(
    existing: &mut Vec<Value>,
    items: &[Value],
    key: Option<&str>,
    retain: bool,
    at: &mut Vec<String>,
    inherited: &HashMap<String, String>,
    rules: &Rules,
) -> Result<(), String> {
    let lined_up = key
        .map(|key| line_up(existing, items, key, retain))
        .transpose()?
        .flatten();
    let order = if let Some(order) = lined_up {
        order
    } else {
        match rules.open_lists.get(at.as_slice()) {
            // An open list (`[...T]`, `[a, ...T]`) unifies T with every element past its own.
            Some(Some(element)) => {
                for (index, slot) in existing.iter_mut().enumerate().skip(items.len()) {
                    at.push(index.to_string());
                    let result = unify_at(slot, element, at, inherited, rules);
                    at.pop();
                    result?;
                }
            }
            None if items.len() < existing.len() => {
                return Err(format!(
                    "the patch's list has {} items where the workload's has {} at {} (KubeVela refuses this too: without a `+patchKey` its items meet the workload's one by one)",
                    items.len(),
                    existing.len(),
                    shown(at)
                ));
            }
            _ => {}
        }
        (0..items.len()).map(Some).collect()
    };
    for (index, entry) in order.into_iter().enumerate() {
        let Some(item) = entry else {
            // A place held for a workload item the patch leaves alone; past the end of the
            // list (several keys), KubeVela's empty struct becomes an item of its own.
            if index >= existing.len() {
                existing.push(Value::Object(serde_json::Map::new()));
            }
            continue;
        };
        at.push(item.to_string());
        let result = match existing.get_mut(index) {
            Some(slot) => unify_at(slot, &items[item], at, inherited, rules),
            None => {
                existing.push(items[item].clone());
                Ok(())
            }
        };
        at.pop();
        result?;
    }
    Ok(())
}

/// Most fields one `+patchKey` may name (`a,b,c`): each is a pass over both lists.
const MAX_PATCH_KEYS: usize = 16;

/// Lines the patch's items up with the workload's by `+patchKey` as KubeVela's
/// `listMergeProcess` (kubevela/workflow `pkg/cue/model/sets`) does, so that unifying by index
/// merges items of the same key: for each key of the comma-separated list, every workload item
/// that has the key holds a place — the patch's item of the same value, or none (the item stays
/// as it is; with `retain` a matched workload item is emptied, so the patch's replaces it) — and
/// the patch's items left unmatched follow, in their order. Patch items without any key are
/// dropped. `None` when the key does not apply (a key no patch item has, or whose value is not a
/// scalar): the lists then meet by index, as in KubeVela, workload items already emptied
/// included.
fn line_up(
    existing: &mut [Value],
    items: &[Value],
    key: &str,
    retain: bool,
) -> Result<Option<Vec<Option<usize>>>, String> {
    fn look_up<'v>(item: &'v Value, path: &[&str]) -> Option<&'v Value> {
        path.iter().try_fold(item, |value, step| match value {
            Value::Object(map) => map.get(*step),
            Value::Array(list) => step.parse::<usize>().ok().and_then(|i| list.get(i)),
            _ => None,
        })
    }
    // A key's value as KubeVela compares it (the literal's text); `None` when not a scalar.
    fn id(value: &Value) -> Option<String> {
        (!value.is_object() && !value.is_array()).then(|| value.to_string())
    }
    let keys: Vec<&str> = key.split(',').collect();
    if keys.len() > MAX_PATCH_KEYS {
        return Err(format!(
            "`+patchKey={key}` names {} fields; at most {MAX_PATCH_KEYS} are read",
            keys.len()
        ));
    }
    let mut order = Vec::new();
    let mut unmatched: HashMap<(&str, String), usize> = HashMap::new();
    for key in &keys {
        let path: Vec<&str> = key.split('.').collect();
        let mut found = false;
        for (index, item) in items.iter().enumerate() {
            let Some(value) = look_up(item, &path) else {
                continue;
            };
            found = true;
            let Some(id) = id(value) else {
                return Ok(None);
            };
            // Of two patch items with one value, the later one is kept.
            unmatched.insert((key, id), index);
        }
        if !found {
            if items.is_empty() {
                continue;
            }
            return Ok(None);
        }
        for slot in existing.iter_mut() {
            let Some(value) = look_up(slot, &path) else {
                continue;
            };
            let Some(id) = id(value) else {
                return Ok(None);
            };
            match unmatched.remove(&(*key, id)) {
                Some(index) => {
                    if retain {
                        *slot = Value::Object(serde_json::Map::new());
                    }
                    order.push(Some(index));
                }
                None => order.push(None),
            }
        }
    }
    let left: std::collections::HashSet<usize> = unmatched.into_values().collect();
    order.extend((0..items.len()).filter(|i| left.contains(i)).map(Some));
    Ok(Some(order))
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

    use super::{apply, merge, unify};

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
                Some(json!({"lifecycle": {"x": 1}})),
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

    fn keyed(path: &[&str], key: &str) -> cue::PatchInfo {
        tags(&[tag(path, &format!("+patchKey={key}"))])
    }

    // The rules of KubeVela's `listMergeProcess`, case by case (its own tests in
    // kubevela/workflow `pkg/cue/model/sets` cover the same ground).
    #[test]
    fn keyed_items_line_up_as_kubevela_lines_them_up() {
        let list = |names: &[&str]| json!({"l": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
        // Matched items merge in the workload's order; new ones follow in the patch's.
        let mut workload = list(&["a", "b"]);
        unify(
            &mut workload,
            &list(&["d", "c", "a"]),
            &keyed(&["l"], "name"),
        )
        .unwrap();
        assert_eq!(workload, list(&["a", "b", "d", "c"]));
        // A patch item without the key is dropped when another has it…
        let patch = json!({"l": [{"other": "x"}, {"name": "a", "v": 1}]});
        unify(&mut workload, &patch, &keyed(&["l"], "name")).unwrap();
        assert_eq!(workload["l"][0], json!({"name": "a", "v": 1}));
        assert_eq!(workload["l"].as_array().map(Vec::len), Some(4));
        // …and when none has it, the lists meet by index; `...` keeps the workload's rest.
        let mut workload = list(&["a", "b"]);
        let info = cue::PatchInfo {
            open_lists: vec![(vec!["l".to_owned()], None)],
            ..keyed(&["l"], "name")
        };
        unify(&mut workload, &json!({"l": [{"other": "x"}]}), &info).unwrap();
        assert_eq!(
            workload,
            json!({"l": [{"name": "a", "other": "x"}, {"name": "b"}]})
        );
        // Two patch items of one key: the later one is kept.
        let mut workload = list(&["a"]);
        let patch = json!({"l": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]});
        unify(&mut workload, &patch, &keyed(&["l"], "name")).unwrap();
        assert_eq!(workload, json!({"l": [{"name": "a", "v": 2}]}));
        // A key deeper in the item.
        let mut workload = json!({"l": [{"ref": {"name": "x"}}]});
        let patch = json!({"l": [{"ref": {"name": "y"}}, {"ref": {"name": "x"}, "v": 1}]});
        unify(&mut workload, &patch, &keyed(&["l"], "ref.name")).unwrap();
        assert_eq!(
            workload,
            json!({"l": [{"ref": {"name": "x"}, "v": 1}, {"ref": {"name": "y"}}]})
        );
    }

    #[test]
    fn several_patch_keys_line_up_items_of_each_kind() {
        let mut workload = json!({"envFrom": [
            {"secretRef": {"name": "db"}}, {"configMapRef": {"name": "db"}}
        ]});
        let patch = json!({"envFrom": [
            {"configMapRef": {"name": "cache"}}, {"secretRef": {"name": "db", "optional": true}}
        ]});
        let key = "secretRef.name,configMapRef.name";
        unify(&mut workload, &patch, &keyed(&["envFrom"], key)).unwrap();
        assert_eq!(
            workload,
            json!({"envFrom": [
                {"secretRef": {"name": "db", "optional": true}},
                {"configMapRef": {"name": "db"}},
                {"configMapRef": {"name": "cache"}}
            ]})
        );
        // KubeVela holds a place per key for an item that has both, so it is written twice.
        let mut workload = json!({"c": [{"name": "a", "image": "x"}]});
        let patch = json!({"c": [{"name": "a", "image": "x", "v": 1}]});
        unify(&mut workload, &patch, &keyed(&["c"], "name,image")).unwrap();
        let item = json!({"name": "a", "image": "x", "v": 1});
        assert_eq!(workload, json!({"c": [item.clone(), item]}));
        let many = vec!["k"; 17].join(",");
        let error = unify(&mut workload, &patch, &keyed(&["c"], &many)).unwrap_err();
        assert!(error.contains("at most 16"), "{error}");
    }

    #[test]
    fn retain_keys_replaces_keyed_items_and_fields() {
        let mut workload = json!({"volumes": [
            {"name": "scratch", "emptyDir": {}}, {"name": "data", "cinder": {"volumeID": "v"}}
        ]});
        let patch = json!({"volumes": [{"name": "data", "configMap": {"name": "conf"}}]});
        let info = tags(&[
            tag(&["volumes"], "+patchKey=name"),
            tag(&["volumes"], "+patchStrategy=retainKeys"),
        ]);
        unify(&mut workload, &patch, &info).unwrap();
        assert_eq!(
            workload["volumes"],
            json!([{"name": "scratch", "emptyDir": {}}, {"name": "data", "configMap": {"name": "conf"}}])
        );
        let mut workload =
            json!({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}});
        let patch = json!({"strategy": {"type": "Recreate"}});
        let info = tags(&[tag(&["strategy", "type"], "+patchStrategy=retainKeys")]);
        unify(&mut workload, &patch, &info).unwrap();
        assert_eq!(
            workload,
            json!({"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}})
        );
        let info = tags(&[tag(&["strategy"], "+patchStrategy=retainKeys")]);
        unify(&mut workload, &patch, &info).unwrap();
        assert_eq!(workload, json!({"strategy": {"type": "Recreate"}}));
    }

    // KubeVela reads the JSON patch strategies on a trait's `patch` alone: `patchOutputs`
    // (and any field below `patch`) is unified whatever its tag says.
    #[test]
    fn only_the_whole_patch_may_be_a_json_merge_patch() {
        let info = tags(&[tag(&[], "+patchStrategy=jsonMergePatch")]);
        let mut workload = json!({"a": 1, "b": 2});
        apply(&mut workload, &json!({"a": 3, "b": null}), &info).unwrap();
        assert_eq!(workload, json!({"a": 3}));
        let mut workload = json!({"a": 1, "b": 2});
        let error = unify(&mut workload, &json!({"a": 3}), &info).unwrap_err();
        assert!(error.contains("conflicting values"), "{error}");
    }

    #[test]
    fn tags_kubevela_would_ignore_are_named() {
        for line in [
            "+patchstrategy=retainKeys",
            "+PatchKey=name",
            "+patchKey=",
            "+patchKey=name image",
            "+patchStrategy=retainkeys",
            "+patchStrategy=JSONPatch",
        ] {
            assert!(super::ignored_tag(line).is_some(), "{line}");
        }
        for line in [
            "+patchKey=name",
            "+patchKey=secretRef.name,configMapRef.name",
            "+patchStrategy=jsonPatch",
            "+usage=The image",
            "+patchKeys",
            "+patchStrategy=merge",
            "+patchStrategy=open",
        ] {
            assert_eq!(super::ignored_tag(line), None, "{line}");
        }
        let (_, fix) = super::ignored_tag("+patchStrategy=retainkeys").unwrap_or_default();
        assert_eq!(fix, "write `+patchStrategy=retainKeys`");
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
        apply(
            &mut workload,
            &operations,
            &tags(&[tag(&[], "+patchStrategy=jsonPatch")]),
        )
        .unwrap();
        assert_eq!(
            workload,
            json!({"args": ["c", "d"], "metadata": {"labels": {"y": "2"}}})
        );
        apply(
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
