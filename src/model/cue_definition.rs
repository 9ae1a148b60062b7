//! A definition in KubeVela's `vela def` format: a `.cue` file with a header
//! `name: {type: "component" | "trait" | "workload", attributes: {...}, description,
//! annotations, labels}` and a `template: {...}`. The header is evaluated and read as the
//! YAML form would be (`attributes` are the `spec`, as `vela def apply` writes them); the
//! template stays CUE, evaluated when the definition is used.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::fields::Fields;
use super::{CueTemplate, Model, Template, definition};
use crate::diag::{Code, Diagnostic, Diagnostics, Span, printable};
use crate::load::{Document, Key, Node, NodeValue};

/// The header's evaluation: a header is a few dozen fields; this bounds a hostile one.
const HEADER_BUDGET: cue::Budget = cue::Budget {
    steps: 200_000,
    vertices: 100_000,
    depth: 100,
    forks: 64,
    bytes: 1 << 20,
};

pub(super) fn lower(
    document: &Document,
    file: &Arc<cue::File>,
    model: &mut Model,
    diags: &mut Diagnostics,
) {
    let whole = document.span();
    let first_line = {
        let text_len = whole.end - whole.start;
        Span::new(whole.file, whole.start, whole.start + text_len.min(1))
    };
    let fields = file.fields();
    let template = fields.iter().find(|(name, _)| name == "template");
    let headers: Vec<&(String, cue::Span)> = fields
        .iter()
        .filter(|(name, _)| name != "template")
        .collect();
    let (Some(_), [(name, label)]) = (template, headers.as_slice()) else {
        diags.push(skipped(
            first_line,
            "it is not a definition in the `vela def` format (one header field and a `template`)",
        ));
        return;
    };
    let at = Span::new(whole.file, label.start, label.end);
    let (kind, object) = match definition_object(file, name) {
        Ok(found) => found,
        Err(why) => {
            diags.push(skipped(at, &why));
            return;
        }
    };
    let root = node_of(&object, at);
    let synthesized = Document {
        root: Arc::new(root),
        api_version: "core.oam.dev/v1beta1".to_owned(),
        kind: kind.to_owned(),
        origin: document.origin,
        cue: None,
    };
    let Some(mut fields) = Fields::of(&synthesized.root, "", diags) else {
        return;
    };
    fields.string("apiVersion", diags);
    fields.string("kind", diags);
    let Some(kind) = definition::kind_of(kind) else {
        return;
    };
    if !definition::lower(&synthesized, kind, &mut fields, model, diags) {
        return;
    }
    if let Some(definition) = model.definitions.last_mut() {
        definition.cue = Some(CueTemplate {
            parsed: Ok(file.clone()),
            prefix: vec!["template".to_owned()],
            // Spans map one to one; a problem of the whole template points at the header.
            text: Template {
                source: String::new(),
                span: at,
            },
            whole_file: true,
            patch_tag_warnings: std::sync::OnceLock::new(),
        });
    }
}

/// The definition the header describes, as the object `vela def apply` would write (without
/// its template): its kind and the object. An error says why the file is no definition.
fn definition_object(file: &Arc<cue::File>, name: &str) -> Result<(&'static str, Value), String> {
    let mut evaluation = cue::Evaluation::new(HEADER_BUDGET);
    evaluation.add_file(file);
    let header = match evaluation.export(&[name]) {
        Ok(header @ Value::Object(_)) => header,
        Ok(_) => return Err("its header is not a struct".to_owned()),
        Err(error) => {
            return Err(format!(
                "its header does not evaluate: {}",
                printable(&error.to_string())
            ));
        }
    };
    let kind = match header.get("type").and_then(Value::as_str) {
        Some("component") => "ComponentDefinition",
        Some("trait") => "TraitDefinition",
        Some("workload") => "WorkloadDefinition",
        Some(other) => {
            return Err(format!(
                "its type `{}` is not one oam renders (component, trait, workload)",
                printable(other)
            ));
        }
        None => return Err("its header has no `type`".to_owned()),
    };
    let mut annotations = header
        .get("annotations")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let (Some(description), Some(map)) = (header.get("description"), annotations.as_object_mut())
    {
        map.insert(
            "definition.oam.dev/description".to_owned(),
            description.clone(),
        );
    }
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), Value::String(name.to_owned()));
    metadata.insert("annotations".to_owned(), annotations);
    if let Some(labels) = header.get("labels") {
        metadata.insert("labels".to_owned(), labels.clone());
    }
    let object = json!({
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": kind,
        "metadata": metadata,
        "spec": header.get("attributes").cloned().unwrap_or_else(|| json!({})),
    });
    Ok((kind, object))
}

fn skipped(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(Code::CueFileSkipped, span, format!("this CUE file is skipped: {why}"))
        .with_help("a definition file holds `name: {type: \"component\", attributes: {...}}` and `template: {...}`, as `vela def init` writes it; move other CUE files out of the input paths")
}

/// A JSON value as a node tree, every node at `span` (the header's label).
fn node_of(value: &Value, span: Span) -> Node {
    let value = match value {
        Value::Null => NodeValue::Null,
        Value::Bool(b) => NodeValue::Bool(*b),
        Value::Number(n) => NodeValue::Number(n.clone()),
        Value::String(s) => NodeValue::String(s.as_str().into()),
        Value::Array(items) => NodeValue::List(items.iter().map(|i| node_of(i, span)).collect()),
        Value::Object(map) => NodeValue::Map(
            map.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            text: k.as_str().into(),
                            span,
                        },
                        node_of(v, span),
                    )
                })
                .collect(),
        ),
    };
    Node { span, value }
}
