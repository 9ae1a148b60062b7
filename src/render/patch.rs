//! A trait's patch merged into its workload: JSON merge patch (RFC 7396) — objects merge, `null`
//! removes a key, anything else replaces — except lists that the definition gives a merge key
//! (`spec.template.spec.containers: name`): their items merge with the item of the same key, and
//! new items are appended.

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge;

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
