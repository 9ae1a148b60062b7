//! Resolving one app component: its Component (by name or pinned revision), the workload's
//! definition, parameter values against declared parameters, traits and scopes.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::definitions::Definitions;
use super::parameters::{Schemas, Use};
use super::{Bound, BoundScope, BoundTrait};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::{Node, NodeValue};
use crate::model::{
    App, AppComponent, Component, ComponentRef, DefinitionKind, GroupKind, Model, Parameter,
    ParameterValue, ScopeKind, Text, crd_name_of, fieldpath, first_of_each, metadata_field,
    type_of_crd_name,
};

/// What resolving needs besides the app: the model, its definitions and compiled schemas.
pub(super) struct Scope<'a, 'm> {
    pub(super) model: &'m Model,
    pub(super) definitions: &'a Definitions<'m>,
    pub(super) schemas: &'a Schemas<'m>,
}

pub(super) fn resolve<'m>(
    app: &'m App,
    entry: &'m AppComponent,
    scope: &Scope<'_, 'm>,
    diags: &mut Diagnostics,
) -> Option<Bound<'m>> {
    let Scope {
        model,
        definitions,
        schemas,
    } = *scope;
    let (component, revision) = find_component(entry, model, diags)?;
    let (mut workload, workload_definition) =
        resolve_workload(component, model, definitions, diags)?;
    let workload_type = workload_definition
        .map_or_else(|| definitions.crd_name(&workload), |d| d.name.value.clone());
    let parameters = resolve_parameters(app, entry, component, diags);
    if !apply_parameters(&mut workload, &parameters, diags) {
        return None;
    }
    // Traits and scopes are resolved even when the workload is invalid, to report all errors.
    let workload_valid = workload_definition.is_none_or(|definition| {
        let site = Use {
            definition,
            source: component.workload_node.get("spec"),
            fallback: component.workload_span,
        };
        schemas.apply_to_spec(&site, &mut workload, diags)
    });
    let traits = resolve_traits(entry, scope, app.is_kubevela(), diags);
    let scopes = resolve_scopes(entry, model, definitions, diags);
    if !workload_valid {
        return None;
    }
    let bound = Bound {
        entry,
        component,
        revision,
        workload,
        workload_type,
        workload_definition,
        parameters,
        traits,
        scopes,
    };
    check_named_revision_workload(&bound, diags);
    Some(bound)
}

fn find_component<'m>(
    entry: &'m AppComponent,
    model: &'m Model,
    diags: &mut Diagnostics,
) -> Option<(&'m Component, String)> {
    let current = || {
        model
            .components
            .iter()
            .filter(|c| c.stored_revision.is_none())
    };
    match &entry.component {
        ComponentRef::Inline(component) => Some((component, component.revision())),
        ComponentRef::Name(name) => {
            let Some(component) = model.component(&name.value) else {
                let mut d = Diagnostic::new(
                    Code::UnknownComponent,
                    name.span,
                    format!("no Component named `{}`", name.value),
                );
                d = d.with_suggestion(
                    &name.value,
                    current().map(|c| c.name.value.as_str()),
                    "not among the inputs",
                );
                diags.push(d.with_help("add the Component's file to the inputs, or fix the name"));
                return None;
            };
            Some((component, component.revision()))
        }
        ComponentRef::Revision(revision) => {
            // A revision is `<component>-<hash>` (or a stored name): only a component whose name
            // prefixes it is hashed, not every component for every reference.
            let named = |c: &&Component| {
                c.stored_revision.as_deref() == Some(revision.value.as_str())
                    || revision
                        .value
                        .strip_prefix(c.name.value.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            };
            if let Some(c) = model
                .components
                .iter()
                .filter(named)
                .find(|c| c.revision() == revision.value)
            {
                return Some((c, revision.value.clone()));
            }
            let owner = current().find(|c| {
                revision
                    .value
                    .strip_prefix(c.name.value.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            });
            let help = match owner {
                Some(c) => format!(
                    "oam names revisions by content: the current revision of `{}` is `{}`; pin that, use `componentName`, or keep the old spec as an apps/v1 ControllerRevision named `{}`",
                    c.name.value,
                    c.revision(),
                    revision.value
                ),
                None => "use `componentName`, or add the pinned spec as an apps/v1 ControllerRevision with that name".to_owned(),
            };
            diags.push(
                Diagnostic::new(
                    Code::RevisionMismatch,
                    revision.span,
                    format!("no component revision named `{}`", revision.value),
                )
                .with_help(help),
            );
            None
        }
    }
}

/// The workload object and its definition; the `type:` shorthand takes apiVersion and kind from
/// the definition's CRD (the runtime's mutating webhook).
fn resolve_workload<'m>(
    component: &'m Component,
    model: &'m Model,
    definitions: &Definitions<'m>,
    diags: &mut Diagnostics,
) -> Option<(Value, Option<&'m crate::model::Definition>)> {
    let mut workload = component.workload().into_owned();
    check_container_ports(component, diags);
    let Some(type_name) = &component.workload_type else {
        if workload.get("apiVersion").is_none() || workload.get("kind").is_none() {
            diags.push(
                Diagnostic::new(Code::MissingField, component.workload_span, format!("the workload of Component `{}` has no apiVersion or kind", component.name.value))
                    .with_help("give the workload `apiVersion` and `kind`, or `type: <WorkloadDefinition name>`"),
            );
            return None;
        }
        let definition = definitions.of_object(DefinitionKind::Workload, &workload);
        return Some((workload, definition));
    };
    let Some(definition) = definitions.named(DefinitionKind::Workload, &type_name.value) else {
        diags.push(unknown_definition(
            DefinitionKind::Workload,
            type_name,
            definitions,
        ));
        return None;
    };
    let object = workload.as_object_mut()?;
    // A templated definition makes its own objects; only a plain one needs its CRD's type.
    if !definition.renders() {
        let (api_version, kind) = type_of_definition(definition, model, type_name, diags)?;
        object.insert("apiVersion".to_owned(), Value::String(api_version));
        object.insert("kind".to_owned(), Value::String(kind));
    }
    // The webhook also labels the workload with its type and copies the Component's metadata.
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(metadata) = metadata.as_object_mut() {
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            for (k, v) in &component.labels {
                labels
                    .entry(k.clone())
                    .or_insert_with(|| Value::String(v.clone()));
            }
            labels.insert(
                super::type_label(DefinitionKind::Workload).to_owned(),
                Value::String(definition.name.value.clone()),
            );
        }
        if !component.annotations.is_empty() {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(annotations) = annotations.as_object_mut() {
                for (k, v) in &component.annotations {
                    annotations
                        .entry(k.clone())
                        .or_insert_with(|| Value::String(v.clone()));
                }
            }
        }
    }
    Some((workload, Some(definition)))
}

/// The apiVersion and kind a definition's `definitionRef` names.
fn type_of_definition(
    definition: &crate::model::Definition,
    model: &Model,
    used_at: &Text,
    diags: &mut Diagnostics,
) -> Option<(String, String)> {
    let crd = Definitions::crd_of(definition);
    let Some((api_version, kind)) = type_of_crd_name(crd, &model.crds) else {
        diags.push(
            Diagnostic::new(Code::UnresolvableType, used_at.span, format!("cannot tell the apiVersion and kind of `{crd}`"))
                .with_label(definition.name.span, format!("{} `{}` refers to `{crd}`", definition.kind.as_str(), definition.name.value))
                .with_help(format!("add the CustomResourceDefinition `{crd}` to the inputs (or a -d directory), or write the object with apiVersion and kind")),
        );
        return None;
    };
    let api_version = match &definition.crd_version {
        Some(version) => format!("{}/{version}", GroupKind::of(&api_version, &kind).group),
        None => api_version,
    };
    Some((api_version.trim_start_matches('/').to_owned(), kind))
}

fn unknown_definition(
    kind: DefinitionKind,
    name: &Text,
    definitions: &Definitions<'_>,
) -> Diagnostic {
    // A workload type may be a WorkloadDefinition or a ComponentDefinition.
    let what = match kind {
        DefinitionKind::Workload => "WorkloadDefinition or ComponentDefinition",
        _ => kind.as_str(),
    };
    let d = Diagnostic::new(
        Code::UnknownDefinition,
        name.span,
        format!("no {what} named `{}`", name.value),
    );
    let d = d.with_suggestion(
        &name.value,
        definitions.names(kind),
        "not among the inputs or the built-ins",
    );
    if let Some(why) = NEEDS_A_CLUSTER
        .iter()
        .find(|(type_name, _)| *type_name == name.value)
        .map(|(_, why)| why)
    {
        return d.with_help(format!(
            "KubeVela's `{}` {why}, so oam, which renders offline, has no such built-in; render what it would deploy with a type that writes the objects (k8s-objects), or leave this component to KubeVela",
            name.value
        ));
    }
    if let Some(why) = RETIRED
        .iter()
        .find(|(type_name, _)| *type_name == name.value)
        .map(|(_, why)| why)
    {
        return d.with_help(format!("KubeVela's `{}` {why}", name.value));
    }
    d.with_help(format!(
        "add the {what} to the inputs or pass its directory with -d; `oam defs` lists the known ones"
    ))
}

/// KubeVela built-ins oam does not carry because what they write no longer exists, and what
/// replaces each.
const RETIRED: &[(&str, &str)] = &[(
    "pure-ingress",
    "is deprecated and writes a networking.k8s.io/v1beta1 Ingress, which Kubernetes removed in 1.22; use `gateway`, which writes a networking.k8s.io/v1 Ingress (and a Service for the ports)",
)];

/// KubeVela built-ins that read or install into a running cluster, and why each does.
const NEEDS_A_CLUSTER: &[(&str, &str)] = &[
    ("ref-objects", "reads existing objects from the cluster"),
    (
        "helmchart",
        "installs a Helm chart through FluxCD in the cluster",
    ),
    ("service-binding", "reads Secrets from the cluster"),
    (
        "kustomize",
        "builds from a repository through FluxCD in the cluster",
    ),
    (
        "kustomize-patch",
        "patches a FluxCD Kustomization in the cluster",
    ),
    (
        "kustomize-json-patch",
        "patches a FluxCD Kustomization in the cluster",
    ),
    (
        "kustomize-strategy-merge",
        "patches a FluxCD Kustomization in the cluster",
    ),
];

fn resolve_parameters<'m>(
    app: &App,
    entry: &'m AppComponent,
    component: &'m Component,
    diags: &mut Diagnostics,
) -> Vec<(
    &'m crate::model::Parameter,
    &'m crate::model::ParameterValue,
)> {
    let mut resolved = Vec::new();
    // The first parameter of each name, and the names given values: thousands of parameters
    // are not a search of all per value.
    let declared = first_of_each(&component.parameters, |p| p.name.value.as_str());
    let given_names: HashSet<&str> = entry
        .parameter_values
        .iter()
        .map(|v| v.name.value.as_str())
        .collect();
    for value in &entry.parameter_values {
        if let Some(&at) = declared.get(value.name.value.as_str()) {
            resolved.push((&component.parameters[at], value));
        } else {
            let declared = component.parameters.iter().map(|p| p.name.value.as_str());
            let d = Diagnostic::new(
                Code::UndeclaredParameter,
                value.name.span,
                format!(
                    "Component `{}` declares no parameter `{}`",
                    component.name.value, value.name.value
                ),
            );
            let d = d.with_suggestion(&value.name.value, declared, "not declared");
            let names: Vec<&str> = component
                .parameters
                .iter()
                .map(|p| p.name.value.as_str())
                .collect();
            let help = if names.is_empty() {
                "the Component declares no parameters; remove this value or declare it in `spec.parameters`".to_owned()
            } else {
                format!("declared parameters: {}", names.join(", "))
            };
            diags.push(
                d.with_label(component.name.span, "Component defined here")
                    .with_help(help),
            );
        }
    }
    for parameter in &component.parameters {
        let given = given_names.contains(parameter.name.value.as_str());
        if let (false, Some(default)) = (given, &parameter.default) {
            resolved.push((parameter, default));
            continue;
        }
        if parameter.required && !given {
            diags.push(
                Diagnostic::new(
                    Code::MissingParameter,
                    component_ref_span(entry),
                    format!(
                        "required parameter `{}` of Component `{}` has no value in app `{}`",
                        parameter.name.value, component.name.value, app.name.value
                    ),
                )
                .with_label(parameter.name.span, "declared required here")
                .with_help(format!(
                    "add `- name: {}` with a `value` to this component's parameterValues",
                    parameter.name.value
                )),
            );
        }
    }
    resolved.retain(|(parameter, value)| {
        let Some(kind) = &parameter.kind else {
            return true;
        };
        let fits = crate::model::parameter_type_accepts(&kind.value, &value.value);
        if !fits {
            diags.push(
                Diagnostic::new(
                    Code::ParameterInvalid,
                    value.name.span,
                    format!(
                        "parameter `{}` of Component `{}` takes a {}, not {}",
                        parameter.name.value,
                        component.name.value,
                        kind.value,
                        json_type(&value.value)
                    ),
                )
                .with_label(kind.span, "type declared here")
                .with_help(format!(
                    "give `{}` a {} value (quote a number to make it a string)",
                    parameter.name.value, kind.value
                )),
            );
        }
        fits
    });
    resolved
}

/// A ContainerizedWorkload's `containerPort` must be a number: the Deployment and Service it
/// becomes would be refused by the API server.
fn check_container_ports(component: &Component, diags: &mut Diagnostics) {
    let node = &component.workload_node;
    let is_containerized = node.get("kind").and_then(Node::as_str) == Some("ContainerizedWorkload");
    let Some(NodeValue::List(containers)) = node
        .get("spec")
        .and_then(|s| s.get("containers"))
        .map(|c| &c.value)
        .filter(|_| is_containerized)
    else {
        return;
    };
    for container in containers {
        let Some(NodeValue::List(ports)) = container.get("ports").map(|p| &p.value) else {
            continue;
        };
        for port in ports.iter().filter_map(|p| p.get("containerPort")) {
            if !matches!(port.value, NodeValue::Number(_)) {
                diags.push(
                    Diagnostic::new(Code::WrongType, port.span, format!("`containerPort` must be a port number, found {}", port.type_name()))
                        .with_help("write the port as a number, e.g. `containerPort: 8080`; `name` holds its name"),
                );
            }
        }
    }
}

/// What a JSON value is, for "takes a string, not a number" messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn component_ref_span(entry: &AppComponent) -> crate::diag::Span {
    entry.name().span
}

/// Writes each parameter value at its field paths; false (and diagnostics) if one cannot be.
fn apply_parameters(
    workload: &mut Value,
    parameters: &[(&Parameter, &ParameterValue)],
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for (parameter, value) in parameters {
        for path in &parameter.field_paths {
            let Ok(segments) = fieldpath::parse(&path.value) else {
                diags.push(fieldpath::invalid(path, "fieldPaths"));
                ok = false;
                continue;
            };
            if let Err(reason) = fieldpath::set(workload, &segments, value.value.clone()) {
                diags.push(
                    Diagnostic::new(Code::FieldPathNotSettable, value.name.span, format!("cannot set parameter `{}` at `{}`: {reason}", value.name.value, path.value))
                        .with_label(path.span, "field path declared here")
                        .with_help("fix the Component's fieldPaths so they lead into objects and lists of the workload"),
                );
                ok = false;
            }
        }
    }
    ok
}

fn resolve_traits<'m>(
    entry: &'m AppComponent,
    scope: &Scope<'_, 'm>,
    kubevela: bool,
    diags: &mut Diagnostics,
) -> Vec<BoundTrait<'m>> {
    let Scope {
        model,
        definitions,
        schemas,
    } = *scope;
    let mut traits = Vec::new();
    // Where the first trait of each type is among `traits`.
    let mut bound_types: HashMap<String, usize> = HashMap::new();
    for binding in &entry.traits {
        let mut object = binding.object().into_owned();
        let definition = if let Some(name) = &binding.named {
            let Some(definition) = definitions.named(DefinitionKind::Trait, &name.value) else {
                diags.push(unknown_definition(DefinitionKind::Trait, name, definitions));
                continue;
            };
            let mut typed = Map::new();
            // A templated definition makes its own objects; only a plain one needs its CRD's type.
            if !definition.renders() {
                let Some((api_version, kind)) = type_of_definition(definition, model, name, diags)
                else {
                    continue;
                };
                typed.insert("apiVersion".to_owned(), Value::String(api_version));
                typed.insert("kind".to_owned(), Value::String(kind));
            }
            let mut metadata = object
                .get("metadata")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            if let Some(m) = metadata.as_object_mut() {
                let labels = m
                    .entry("labels")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert(
                        super::type_label(DefinitionKind::Trait).to_owned(),
                        Value::String(definition.name.value.clone()),
                    );
                }
            }
            typed.insert("metadata".to_owned(), metadata);
            if let Some(spec) = object.get("spec") {
                typed.insert("spec".to_owned(), spec.clone());
            }
            object = Value::Object(typed);
            Some(definition)
        } else {
            if object.get("apiVersion").is_none() || object.get("kind").is_none() {
                diags.push(
                    Diagnostic::new(Code::MissingField, binding.span, "this trait has no apiVersion or kind")
                        .with_help("write the trait as a Kubernetes object with apiVersion and kind, or as `name: <TraitDefinition>` with `properties`"),
                );
                continue;
            }
            let definition = definitions.of_object(DefinitionKind::Trait, &object);
            if definition.is_none() {
                diags.push(
                    Diagnostic::new(Code::TraitWithoutDefinition, binding.span, format!("trait `{}` has no TraitDefinition", definitions.crd_name(&object)))
                        .with_help("it renders as given, but appliesTo, conflict and workloadRef checks are skipped; add a TraitDefinition to enable them"),
                );
            }
            definition
        };
        let type_name =
            definition.map_or_else(|| definitions.crd_name(&object), |d| d.name.value.clone());
        // The spec binds one trait of a type; KubeVela's Applications may bind several (two
        // gateways, two env traits), each rendered in order.
        if let Some(&first) = bound_types.get(type_name.as_str()).filter(|_| !kubevela) {
            let first: &BoundTrait<'_> = &traits[first];
            diags.push(
                Diagnostic::new(
                    Code::DuplicateTrait,
                    binding.span,
                    format!("trait type `{type_name}` is bound twice to this component"),
                )
                .with_label(first.binding.span, "first bound here")
                .with_help(
                    "a component takes one trait of each type (OAM spec): merge the two into one",
                ),
            );
            continue;
        }
        if let Some(definition) = definition {
            let site = Use {
                definition,
                source: binding.parameters_node.as_ref(),
                fallback: binding.span,
            };
            if !schemas.apply_to_spec(&site, &mut object, diags) {
                continue;
            }
        }
        bound_types.entry(type_name.clone()).or_insert(traits.len());
        traits.push(BoundTrait {
            binding,
            object,
            type_name,
            definition,
        });
    }
    traits
}

fn resolve_scopes<'m>(
    entry: &'m AppComponent,
    model: &'m Model,
    definitions: &Definitions<'m>,
    diags: &mut Diagnostics,
) -> Vec<BoundScope<'m>> {
    let mut scopes = Vec::new();
    for scope_ref in &entry.scopes {
        // The scope objects a reference may mean: of one kind, or of a definition's CRD.
        let (kind, wanted) = match &scope_ref.kind {
            ScopeKind::Object { api_version, kind } => {
                (kind.as_str(), Err(Some(GroupKind::of(api_version, kind))))
            }
            ScopeKind::Any => ("scope", Err(None)),
            ScopeKind::Definition(name) => {
                let Some(definition) = definitions.named(DefinitionKind::Scope, &name.value) else {
                    diags.push(unknown_definition(DefinitionKind::Scope, name, definitions));
                    continue;
                };
                (name.value.as_str(), Ok(Definitions::crd_of(definition)))
            }
        };
        let is_of_kind = |group_kind: &GroupKind| match &wanted {
            Err(Some(wanted)) => group_kind == wanted,
            Err(None) => true,
            Ok(crd) => crd_name_of(group_kind, &model.crds) == *crd,
        };
        let Some((index, scope)) = definitions
            .scopes_named(&scope_ref.name.value)
            .iter()
            .map(|&i| (i, &model.scopes[i]))
            .find(|(_, s)| is_of_kind(&s.group_kind))
        else {
            diags.push(
                Diagnostic::new(Code::UnknownScope, scope_ref.name.span, format!("no {kind} named `{}`", scope_ref.name.value))
                    .with_help(format!("add the {kind} object to the inputs; oam renders it with the workload references filled in")),
            );
            continue;
        };
        let definition = definitions.of_object(DefinitionKind::Scope, &scope.object);
        scopes.push(BoundScope {
            scope,
            index,
            reference: scope_ref,
            definition,
        });
    }
    scopes
}

/// A `revisionEnabled` trait names the workload after the revision, so the workload must not
/// name itself (the runtime's validating webhook).
fn check_named_revision_workload(bound: &Bound<'_>, diags: &mut Diagnostics) {
    let Some(revision_trait) = bound
        .traits
        .iter()
        .find(|t| t.definition.is_some_and(|d| d.revision_enabled))
    else {
        return;
    };
    let fixed_name = metadata_field(&bound.workload, "name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let by_parameter = bound
        .parameters
        .iter()
        .find(|(p, _)| {
            p.field_paths
                .iter()
                .any(|f| f.value.contains("metadata.name"))
        })
        .map(|(_, v)| v.name.span);
    let Some(span) = by_parameter.or(fixed_name
        .is_some()
        .then_some(bound.component.workload_span))
    else {
        return;
    };
    diags.push(
        Diagnostic::new(Code::NamedRevisionWorkload, span, format!("the workload of Component `{}` sets its own name, but trait `{}` is revisionEnabled", bound.component.name.value, revision_trait.type_name))
            .with_label(revision_trait.binding.span, "names the workload after the component revision")
            .with_help("remove `metadata.name` from the workload (and any parameter that sets it), so each revision gets its own workload"),
    );
}

/// `allowComponentOverlap: false`: a component may sit in only one scope of that kind.
pub(super) fn check_scope_overlap(components: &[Bound<'_>], diags: &mut Diagnostics) {
    for bound in components {
        for (i, scope) in bound.scopes.iter().enumerate() {
            let Some(definition) = scope.definition.filter(|d| !d.allow_component_overlap) else {
                continue;
            };
            if let Some(other) = bound.scopes[..i]
                .iter()
                .find(|o| o.scope.group_kind == scope.scope.group_kind)
            {
                diags.push(
                    Diagnostic::new(
                        Code::ScopeOverlap,
                        scope.reference.span,
                        format!(
                            "Component `{}` is in two {} scopes, `{}` and `{}`",
                            bound.component.name.value,
                            scope.scope.group_kind.kind,
                            other.scope.name.value,
                            scope.scope.name.value
                        ),
                    )
                    .with_label(definition.name.span, "allowComponentOverlap is false here")
                    .with_help("keep the component in one scope of this kind"),
                );
            }
        }
    }
}
