//! `spec.schematic` of a definition, the same in every dialect: a JSON Schema for the parameters
//! and a minijinja template that turns them into Kubernetes objects (`jinja`), or one object with
//! parameters written at field paths (KubeVela's `kube`). KubeVela's CUE and Helm schematics are
//! refused with a diagnostic, never skipped.

use serde_json::Value;

use super::fields::{Fields, wrong_type};
use super::{CueTemplate, KubeParameter, KubeTemplate, Schema, Template};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::load::{Node, NodeValue};

/// What a definition's schematic declares.
#[derive(Default)]
pub(super) struct Schematic {
    pub(super) schema: Option<Schema>,
    pub(super) template: Option<Template>,
    pub(super) kube: Option<KubeTemplate>,
    pub(super) cue: Option<CueTemplate>,
    pub(super) merge_keys: Vec<(String, String)>,
}

/// Reads `spec.schematic`; `definition` names the definition in messages.
pub(super) fn lower(spec: &mut Fields<'_>, definition: &str, diags: &mut Diagnostics) -> Schematic {
    let mut out = Schematic::default();
    // KubeVela's first definitions kept a CUE template in the free-form `extension`.
    if let Some(extension) = spec.node("extension") {
        if let Some(template) = extension.get("template").filter(|t| t.as_str().is_some()) {
            out.cue = cue_template(template);
        }
    }
    let Some(mut schematic) = spec.object("schematic", diags) else {
        return out;
    };
    if let Some(mut cue) = schematic.object("cue", diags) {
        match cue.node("template") {
            Some(template) if template.as_str().is_some() => out.cue = cue_template(template),
            Some(template) => diags.push(wrong_type(
                template,
                "spec.schematic.cue.template",
                "a string of CUE (use a `|` block)",
            )),
            None => diags.push(cue.missing("template")),
        }
        cue.finish(diags);
    }
    for engine in ["helm", "terraform"] {
        if let Some(span) = schematic.key_span(engine) {
            schematic.node(engine);
            diags.push(unsupported(engine, span, definition));
        }
    }
    if let Some(mut kube) = schematic.object("kube", diags) {
        let object = kube.node("template");
        let parameters = kube.list_of("parameters", diags, kube_parameter);
        if object.is_none() {
            diags.push(kube.missing("template"));
        }
        kube.finish(diags);
        match object {
            Some(object) if matches!(object.value, NodeValue::Map(_)) => {
                let declared: Vec<Declared<'_>> = parameters
                    .iter()
                    .map(|p| Declared {
                        name: &p.name.value,
                        kind: p.kind.as_deref(),
                        required: p.required,
                        description: p.description.as_deref(),
                        default: None,
                    })
                    .collect();
                out.schema = Some(declared_schema(&declared, object.span));
                out.kube = Some(KubeTemplate {
                    object: object.to_value(),
                    parameters,
                });
            }
            Some(object) => diags.push(wrong_type(
                object,
                "spec.schematic.kube.template",
                "a Kubernetes object",
            )),
            None => {}
        }
    }
    if let Some(mut jinja) = schematic.object("jinja", diags) {
        out.template = jinja
            .node("template")
            .and_then(|node| template(node, diags));
        out.schema = jinja
            .node("parameters")
            .and_then(|node| schema(node, "spec.schematic.jinja.parameters", diags));
        out.merge_keys = jinja.string_map("mergeKeys", diags);
        jinja.finish(diags);
    }
    schematic.finish(diags);
    out
}

/// A CUE template written as a YAML string, parsed once here (the parse error, if any, is
/// reported when the definition is used).
fn cue_template(node: &Node) -> Option<CueTemplate> {
    let source = node.as_str()?.to_owned();
    Some(CueTemplate {
        parsed: cue::parse(&source, 0),
        prefix: Vec::new(),
        text: Template {
            source,
            span: node.span,
        },
        whole_file: false,
        patch_tag_warnings: std::sync::OnceLock::new(),
    })
}

fn unsupported(engine: &str, span: Span, definition: &str) -> Diagnostic {
    let what = match engine {
        "helm" => "Helm charts are",
        _ => "Terraform modules are",
    };
    Diagnostic::new(
        Code::UnsupportedSchematic,
        span,
        format!("{what} not supported: definition `{definition}` cannot be rendered"),
    )
    .with_help("rewrite it as `schematic.cue` (KubeVela's CUE), `schematic.jinja` (a minijinja template with a JSON Schema for its parameters) or `schematic.kube` (one object with parameters at field paths); docs/definitions.md shows how")
}

fn template(node: &Node, diags: &mut Diagnostics) -> Option<Template> {
    match &node.value {
        NodeValue::String(source) => Some(Template {
            source: source.to_string(),
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

/// A JSON Schema written as YAML, or as a string of JSON; `what` names the field in messages.
pub(super) fn schema(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<Schema> {
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
                what,
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

/// One `schematic.kube` parameter: `{name, type, required, fieldPaths, description}`.
fn kube_parameter(node: &Node, diags: &mut Diagnostics) -> Option<KubeParameter> {
    let mut fields = Fields::of(node, "spec.schematic.kube.parameters[]", diags)?;
    let name = fields.required_string("name", diags);
    let kind = fields.string("type", diags);
    let required = fields.bool("required", diags).unwrap_or(false);
    let description = fields.string("description", diags).map(|d| d.value);
    let field_paths = fields.strings("fieldPaths", diags);
    fields.finish(diags);
    let name = name?;
    if field_paths.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::MissingField,
                name.span,
                format!("kube parameter `{}` has no fieldPaths", name.value),
            )
            .with_help("list where the value goes: `fieldPaths: [\"spec.replicas\"]`"),
        );
        return None;
    }
    let kind = match kind {
        Some(t) if ["string", "number", "boolean"].contains(&t.value.as_str()) => Some(t.value),
        Some(t) => {
            diags.push(
                Diagnostic::new(
                    Code::WrongType,
                    t.span,
                    format!("kube parameter type `{}` is not one of string, number, boolean", t.value),
                )
                .with_help("a kube parameter is a scalar; write objects and lists with a `jinja` schematic"),
            );
            None
        }
        None => None,
    };
    Some(KubeParameter {
        name,
        kind,
        required,
        description,
        field_paths,
    })
}

/// A parameter declared by name and scalar type (a kube schematic's, a v1alpha1 WorkloadType's
/// settings, an ApplicationScope's parameters).
pub(super) struct Declared<'a> {
    pub(super) name: &'a str,
    /// `string`, `number`, `integer`, `boolean`, …; v1alpha1's `double` is a number.
    pub(super) kind: Option<&'a str>,
    pub(super) required: bool,
    pub(super) description: Option<&'a str>,
    pub(super) default: Option<&'a Value>,
}

/// The JSON Schema a list of declared parameters stands for, so values are checked (and
/// explained) like any other definition's: the types, `required`, no other properties.
pub(super) fn declared_schema(parameters: &[Declared<'_>], span: Span) -> Schema {
    let mut properties = serde_json::Map::new();
    for parameter in parameters {
        let mut property = serde_json::Map::new();
        let kind = match parameter.kind {
            Some("double" | "float") => Some("number"),
            other => other,
        };
        if let Some(kind) = kind {
            property.insert("type".to_owned(), Value::String(kind.to_owned()));
        }
        if let Some(description) = parameter.description {
            property.insert(
                "description".to_owned(),
                Value::String(description.to_owned()),
            );
        }
        if let Some(default) = parameter.default {
            property.insert("default".to_owned(), default.clone());
        }
        properties.insert(parameter.name.to_owned(), Value::Object(property));
    }
    let required: Vec<Value> = parameters
        .iter()
        .filter(|p| p.required)
        .map(|p| Value::String(p.name.to_owned()))
        .collect();
    Schema {
        value: serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        }),
        span,
        node: None,
    }
}
