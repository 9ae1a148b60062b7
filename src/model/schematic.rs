//! `spec.schematic` of a definition, the same in every dialect: a JSON Schema for the parameters
//! and a minijinja template that turns them into Kubernetes objects. KubeVela's CUE and Helm
//! schematics are refused with a diagnostic, never skipped.

use serde_json::Value;

use super::fields::{Fields, wrong_type};
use super::{Schema, Template};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::load::{Node, NodeValue};

/// What a definition's schematic declares.
#[derive(Default)]
pub(super) struct Schematic {
    pub(super) schema: Option<Schema>,
    pub(super) template: Option<Template>,
    pub(super) merge_keys: Vec<(String, String)>,
}

/// Reads `spec.schematic`; `definition` names the definition in messages.
pub(super) fn lower(spec: &mut Fields<'_>, definition: &str, diags: &mut Diagnostics) -> Schematic {
    let mut out = Schematic::default();
    let Some(mut schematic) = spec.object("schematic", diags) else {
        return out;
    };
    for engine in ["cue", "helm", "kube"] {
        if let Some(span) = schematic.key_span(engine) {
            schematic.node(engine);
            diags.push(unsupported(engine, span, definition));
        }
    }
    if let Some(mut jinja) = schematic.object("jinja", diags) {
        out.template = jinja
            .node("template")
            .and_then(|node| template(node, diags));
        out.schema = jinja
            .node("parameters")
            .and_then(|node| schema(node, diags));
        out.merge_keys = jinja.string_map("mergeKeys", diags);
        jinja.finish(diags);
    }
    schematic.finish(diags);
    out
}

fn unsupported(engine: &str, span: Span, definition: &str) -> Diagnostic {
    let what = match engine {
        "cue" => "CUE templates are",
        "helm" => "Helm charts are",
        _ => "`schematic.kube` is",
    };
    Diagnostic::new(
        Code::UnsupportedSchematic,
        span,
        format!("{what} not supported: definition `{definition}` cannot be rendered"),
    )
    .with_help("rewrite the template as `schematic.jinja` (a minijinja template with a JSON Schema for its parameters); docs/definitions.md shows how")
}

fn template(node: &Node, diags: &mut Diagnostics) -> Option<Template> {
    match &node.value {
        NodeValue::String(source) => Some(Template {
            source: source.clone(),
            span: node.span,
        }),
        _ => {
            diags.push(wrong_type(
                node,
                "spec.schematic.jinja.template",
                "a string (use a `|` block)",
            ));
            None
        }
    }
}

/// A JSON Schema written as YAML, or as a string of JSON.
fn schema(node: &Node, diags: &mut Diagnostics) -> Option<Schema> {
    let value = match &node.value {
        NodeValue::Map(_) => {
            return Some(Schema {
                value: node.to_value(),
                span: node.span,
                node: Some(node.clone()),
            });
        }
        NodeValue::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => value,
            Ok(_) => {
                diags.push(invalid_schema(node.span, "the JSON is not an object"));
                return None;
            }
            Err(e) => {
                diags.push(invalid_schema(
                    node.span,
                    &format!("the JSON does not parse: {e}"),
                ));
                return None;
            }
        },
        _ => {
            diags.push(wrong_type(
                node,
                "spec.schematic.jinja.parameters",
                "a JSON Schema (a mapping, or a string of JSON)",
            ));
            return None;
        }
    };
    Some(Schema {
        value,
        span: node.span,
        node: None,
    })
}

pub(crate) fn invalid_schema(span: Span, reason: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SchemaInvalid,
        span,
        format!("the parameter schema is not a valid JSON Schema: {reason}"),
    )
    .with_help("write a JSON Schema (draft 7 or 2020-12) object: `type: object` with `properties`")
}
