//! Lowering OAM v1alpha2 (`core.oam.dev/v1alpha2`, the crossplane oam-kubernetes-runtime dialect).
//! Field sets follow the runtime's Go types (`apis/core/v1alpha2/core_types.go`), plus KubeVela's
//! `conflictsWith` on TraitDefinition.

use serde_json::Value;

use super::definition::{self, metadata_and_spec, metadata_name};
use super::fields::Fields;
use super::{
    App, AppComponent, Component, ComponentRef, DataInput, DataOutput, GroupKind, InputTarget,
    Model, Parameter, ParameterValue, ScopeKind, ScopeObject, ScopeRef, Text, TraitBinding,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::{Document, Node, NodeValue};

/// Scope kinds whose objects come with the inputs (the runtime expects them to pre-exist).
const SCOPE_KINDS: &[&str] = &["HealthScope"];

pub(super) fn lower(document: &Document, model: &mut Model, diags: &mut Diagnostics) {
    let Some(mut root) = Fields::of(&document.root, "", diags) else {
        return;
    };
    root.string("apiVersion", diags);
    root.string("kind", diags);
    match document.kind.as_str() {
        "Component" => match lower_component(&mut root, diags) {
            Some(component) => model.components.push(component),
            None => return,
        },
        "ApplicationConfiguration" => match lower_app(&mut root, diags) {
            Some(app) => model.apps.push(app),
            None => return,
        },
        "WorkloadDefinition" | "TraitDefinition" | "ScopeDefinition" => {
            let Some(kind) = definition::kind_of(&document.kind) else {
                return;
            };
            if !definition::lower(document, kind, &mut root, model, diags) {
                return;
            }
        }
        kind if SCOPE_KINDS.contains(&kind) => {
            let Some(name) = metadata_name(&mut root, diags) else {
                return;
            };
            let group_kind = GroupKind::of(&document.api_version, kind);
            model.scopes.push(ScopeObject {
                group_kind,
                name,
                object: document.root.to_value(),
                spec_node: document.root.get("spec").cloned(),
            });
            return;
        }
        kind => {
            let span = document
                .root
                .get("kind")
                .map_or(document.span(), |n| n.span);
            let help = if ["ContainerizedWorkload", "ManualScalerTrait"].contains(&kind) {
                format!(
                    "a {kind} is rendered as part of an app: put it in a Component's `spec.workload` or an ApplicationConfiguration trait"
                )
            } else {
                "v1alpha2 kinds are Component, ApplicationConfiguration, WorkloadDefinition, TraitDefinition, ScopeDefinition and HealthScope".to_owned()
            };
            diags.push(
                Diagnostic::new(
                    Code::UnknownOamKind,
                    span,
                    format!(
                        "`{}` has no kind `{kind}` that oam renders",
                        document.api_version
                    ),
                )
                .with_help(help),
            );
            return;
        }
    }
    root.value("status"); // cluster state: read, never used
    root.finish(diags);
}

fn lower_component(root: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<Component> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let spec_value = spec.to_value();
    let parameters = spec.list_of("parameters", diags, lower_parameter);
    spec.value("helm"); // KubeVela's Helm-release components are not rendered by oam
    let workload = spec.node("workload");
    spec.finish(diags);
    let Some(workload) = workload else {
        diags.push(Diagnostic::new(Code::MissingField, metadata.name.span, "`spec.workload` is required")
            .with_label_text("this Component has no workload")
            .with_help("add `spec.workload`: a Kubernetes object with apiVersion and kind, or `type: <WorkloadDefinition>`"));
        return None;
    };
    let NodeValue::Map(_) = &workload.value else {
        diags.push(super::fields::wrong_type(
            workload,
            "spec.workload",
            "a mapping (a Kubernetes object)",
        ));
        return None;
    };
    let workload_type = workload.get("type").and_then(|t| {
        let text = t.as_str().map(|s| Text {
            value: s.to_owned(),
            span: t.span,
        });
        if text.is_none() {
            diags.push(super::fields::wrong_type(
                t,
                "spec.workload.type",
                "a string (a WorkloadDefinition name)",
            ));
        }
        text
    });
    let mut object = workload.to_value();
    if let Some(map) = object.as_object_mut() {
        map.shift_remove("type");
    }
    Some(Component {
        name: metadata.name,
        labels: metadata.labels,
        annotations: metadata.annotations,
        workload_value: Some(object),
        workload_span: workload.span,
        workload_node: workload.clone(),
        workload_type,
        parameters,
        spec_hash: super::revision::spec_hash(&spec_value),
        stored_revision: None,
    })
}

fn lower_parameter(node: &Node, diags: &mut Diagnostics) -> Option<Parameter> {
    let mut fields = Fields::of(node, "spec.parameters[]", diags)?;
    let name = fields.required_string("name", diags);
    let field_paths = fields.strings("fieldPaths", diags);
    let required = fields.bool("required", diags).unwrap_or(false);
    fields.string("description", diags);
    fields.string("type", diags); // the spec's examples write it; the runtime ignores it
    fields.finish(diags);
    Some(Parameter {
        name: name?,
        field_paths,
        required,
        kind: None,
        default: None,
    })
}

fn lower_app(root: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<App> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let components = spec.list_of("components", diags, lower_app_component);
    spec.finish(diags);
    Some(metadata.into_app("ApplicationConfiguration", components))
}

fn lower_app_component(node: &Node, diags: &mut Diagnostics) -> Option<AppComponent> {
    let mut fields = Fields::of(node, "spec.components[]", diags)?;
    let component_name = fields.string("componentName", diags);
    let revision_name = fields.string("revisionName", diags);
    let component = match (component_name, revision_name) {
        (Some(name), None) => ComponentRef::Name(name),
        (None, Some(revision)) => ComponentRef::Revision(revision),
        (Some(name), Some(revision)) => {
            diags.push(
                Diagnostic::new(Code::ComponentRefShape, revision.span, format!(
                    "componentName `{}` and revisionName `{}` are mutually exclusive", name.value, revision.value
                ))
                .with_label(name.span, "componentName given here")
                .with_help("keep `componentName` to follow the latest spec, or `revisionName` to pin one revision"),
            );
            return None;
        }
        (None, None)
            if fields.key_span("componentName").is_some()
                || fields.key_span("revisionName").is_some() =>
        {
            return None; // the wrong type is reported already
        }
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    Code::ComponentRefShape,
                    fields.head(),
                    "this component entry names no component",
                )
                .with_help(
                    "add `componentName: <Component name>` (or `revisionName` to pin a revision)",
                ),
            );
            return None;
        }
    };
    let parameter_values = fields.list_of("parameterValues", diags, lower_parameter_value);
    let traits = fields.list_of("traits", diags, lower_trait);
    let scopes = fields.list_of("scopes", diags, lower_scope_ref);
    let data_outputs = fields.list_of("dataOutputs", diags, lower_data_output);
    let data_inputs = fields.list_of("dataInputs", diags, lower_data_input);
    fields.finish(diags);
    Some(AppComponent {
        component,
        span: node.span,
        parameter_values,
        traits,
        scopes,
        data_outputs,
        data_inputs,
        depends_on: Vec::new(),
    })
}

fn lower_data_output(node: &Node, diags: &mut Diagnostics) -> Option<DataOutput> {
    let mut fields = Fields::of(node, "dataOutputs[]", diags)?;
    let name = fields.required_string("name", diags);
    let field_path = fields.string("fieldPath", diags);
    // Readiness gates and the store are run-time matters; the edge carries the ordering.
    fields.list("conditions", diags);
    fields.value("outputStore");
    fields.finish(diags);
    Some(DataOutput {
        name: name?,
        field_path,
    })
}

fn lower_data_input(node: &Node, diags: &mut Diagnostics) -> Option<DataInput> {
    let mut fields = Fields::of(node, "dataInputs[]", diags)?;
    let from = match fields.object("valueFrom", diags) {
        Some(mut value_from) => {
            let name = value_from.required_string("dataOutputName", diags);
            value_from.finish(diags);
            name
        }
        None => {
            diags.push(fields.missing("valueFrom"));
            None
        }
    };
    let to_field_paths = fields.strings("toFieldPaths", diags);
    fields.strings("strategyMergeKeys", diags);
    fields.list("conditions", diags);
    fields.value("inputStore");
    fields.finish(diags);
    Some(DataInput {
        from: from?,
        to_field_paths,
        into: InputTarget::Object,
    })
}

fn lower_parameter_value(node: &Node, diags: &mut Diagnostics) -> Option<ParameterValue> {
    let mut fields = Fields::of(node, "parameterValues[]", diags)?;
    let name = fields.required_string("name", diags);
    let value = match fields.node("value") {
        Some(
            v @ Node {
                value: NodeValue::String(_) | NodeValue::Number(_) | NodeValue::Bool(_),
                ..
            },
        ) => v.to_value(),
        Some(v) => {
            diags.push(super::fields::wrong_type(
                v,
                "parameterValues[].value",
                "a string or a number",
            ));
            return None;
        }
        None => {
            diags.push(fields.missing("value"));
            return None;
        }
    };
    fields.finish(diags);
    Some(ParameterValue { name: name?, value })
}

fn lower_trait(node: &Node, diags: &mut Diagnostics) -> Option<TraitBinding> {
    let mut fields = Fields::of(node, "traits[]", diags)?;
    let trait_node = fields.node("trait");
    let data_outputs = fields.list_of("dataOutputs", diags, lower_data_output);
    let data_inputs = fields.list_of("dataInputs", diags, lower_data_input);
    fields.finish(diags);
    let Some(trait_node) = trait_node else {
        diags.push(fields_missing(node, "trait"));
        return None;
    };
    let NodeValue::Map(_) = &trait_node.value else {
        diags.push(super::fields::wrong_type(
            trait_node,
            "traits[].trait",
            "a mapping (a Kubernetes object)",
        ));
        return None;
    };
    // The runtime's mutating webhook shorthand: {name: <TraitDefinition>, properties: {…}}.
    let is_shorthand = trait_node.get("apiVersion").is_none() && trait_node.get("kind").is_none();
    let named = match (is_shorthand, trait_node.get("name")) {
        (true, Some(n)) => {
            if let Some(s) = n.as_str() {
                Some(Text {
                    value: s.to_owned(),
                    span: n.span,
                })
            } else {
                diags.push(super::fields::wrong_type(
                    n,
                    "traits[].trait.name",
                    "a string (a TraitDefinition name)",
                ));
                return None;
            }
        }
        _ => None,
    };
    let parameters_node = if named.is_some() {
        trait_node.get("properties")
    } else {
        trait_node.get("spec")
    }
    .cloned();
    let object = match &named {
        Some(_) => {
            let mut object = serde_json::Map::new();
            if let Some(metadata) = trait_node.get("metadata") {
                object.insert("metadata".to_owned(), metadata.to_value());
            }
            if let Some(properties) = trait_node.get("properties") {
                object.insert("spec".to_owned(), properties.to_value());
            }
            Value::Object(object)
        }
        None => trait_node.to_value(),
    };
    // Point at what names the trait (its kind, or the shorthand's name), not the whole object.
    let span = trait_node
        .get("kind")
        .or_else(|| trait_node.get("name"))
        .map_or(trait_node.span, |n| n.span);
    Some(TraitBinding {
        object_value: Some(object),
        span,
        parameters_node,
        named,
        data_outputs,
        data_inputs,
    })
}

fn fields_missing(node: &Node, key: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingField,
        node.span,
        format!("`{key}` is required here"),
    )
    .with_help(format!("add `{key}:` to this entry"))
}

fn lower_scope_ref(node: &Node, diags: &mut Diagnostics) -> Option<ScopeRef> {
    let mut fields = Fields::of(node, "scopes[]", diags)?;
    let Some(mut scope_ref) = fields.object("scopeRef", diags) else {
        diags.push(fields.missing("scopeRef"));
        return None;
    };
    let api_version = scope_ref.required_string("apiVersion", diags);
    let kind = scope_ref.required_string("kind", diags);
    let name = scope_ref.required_string("name", diags);
    scope_ref.finish(diags);
    fields.finish(diags);
    Some(ScopeRef {
        kind: ScopeKind::Object {
            api_version: api_version?.value,
            kind: kind?.value,
        },
        name: name?,
        span: node.span,
    })
}

/// A Component kept as an `apps/v1` ControllerRevision (as the runtime stores revisions): the
/// pinned spec a `revisionName` refers to.
pub(super) fn lower_controller_revision(
    document: &Document,
    diags: &mut Diagnostics,
) -> Option<Component> {
    let data = document.root.get("data")?;
    let is_component = data.get("apiVersion").and_then(Node::as_str)
        == Some("core.oam.dev/v1alpha2")
        && data.get("kind").and_then(Node::as_str) == Some("Component");
    if !is_component {
        return None;
    }
    let revision = document
        .root
        .get("metadata")?
        .get("name")?
        .as_str()?
        .to_owned();
    let mut fields = Fields::of(data, "data", diags)?;
    fields.string("apiVersion", diags);
    fields.string("kind", diags);
    let mut component = lower_component(&mut fields, diags)?;
    component.stored_revision = Some(revision);
    Some(component)
}
