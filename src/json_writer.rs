//! Writing an object as an item of the JSON `v1` `List` that `--format json` prints: the text
//! serde_json's pretty printer writes for the whole list, one item at a time, so that the
//! list is never one value. Used by `emit` for the stream and by `render` for objects whose
//! JSON is written as they are rendered.

use std::borrow::Cow;

use serde_json::Value;

/// The list's text up to its first item.
pub(crate) const LIST_HEAD: &[u8] =
    b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [";

/// The list's text after its last item; an empty list closes its brackets at once.
pub(crate) fn list_tail(empty: bool) -> &'static [u8] {
    if empty { b"]\n}\n" } else { b"\n  ]\n}\n" }
}

/// `value` as an item of the list: the `,` that separates it from the item before (the first
/// item is written without it), a line break, and the value four spaces in. Numbers as the
/// YAML writer writes them: a whole float is an integer, as in Go.
pub(crate) fn list_item(value: &Value, out: &mut Vec<u8>) {
    let value: Cow<'_, Value> = cue::as_go_writes_it(value);
    let mut item = Vec::new();
    // Writing a `Value` into memory cannot fail.
    let _ = serde_json::to_writer_pretty(&mut item, &*value);
    out.extend_from_slice(b",\n    ");
    // A line break in the text is one between tokens (strings escape theirs): each indents.
    for line in item.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line);
        if line.ends_with(b"\n") {
            out.extend_from_slice(b"    ");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{LIST_HEAD, list_item, list_tail};

    /// Items written one at a time make the text the pretty printer writes for the whole list.
    #[test]
    fn items_written_alone_make_the_whole_list() {
        let items = [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "line\nbreak", "b": []}}),
            json!({"kind": "X", "spec": {"n": 2.0, "f": 1.5, "list": [1, {"deep": [{}]}], "e": {}}}),
            json!([]),
            json!("text"),
        ];
        for count in 0..=items.len() {
            let mut text = LIST_HEAD.to_vec();
            let mut written = Vec::new();
            for item in &items[..count] {
                list_item(item, &mut written);
            }
            text.extend_from_slice(written.get(1..).unwrap_or_default());
            text.extend_from_slice(list_tail(count == 0));
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items[..count]
                .iter()
                .map(|i| cue::as_go_writes_it(i).into_owned())
                .collect::<Vec<_>>()});
            let expected = serde_json::to_string_pretty(&list).expect("a value") + "\n";
            assert_eq!(String::from_utf8_lossy(&text), expected);
        }
    }
}
