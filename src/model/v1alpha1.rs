//! Lowering OAM v1alpha1 (`core.oam.dev/v1alpha1`, the rudr dialect) into the same model as the
//! later dialects. A ComponentSchematic is a Component whose `fromParam` references become
//! parameter field paths; its core workload types are built-in WorkloadDefinitions whose kinds
//! render natively (render/containerized.rs); a `Trait` is a TraitDefinition whose `properties`
//! is its JSON Schema. An app entry becomes its own copy of the component, named after its
//! `instanceName`, as rudr named everything it rendered (oam-spec.md §5).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::definition::{metadata_and_spec, metadata_name};
use super::fields::Fields;
use super::schematic::{self, Declared, declared_schema};
use super::{
    AppComponent, Component, ComponentRef, Crd, Definition, DefinitionKind, GroupKind, Model,
    PARAMETER_TYPES, Parameter, ParameterValue, ScopeKind, ScopeObject, ScopeRef, Text,
    TraitBinding, parameter_type_accepts,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::{Document, Key, Node, NodeValue};

const DESCRIPTION_ANNOTATION: &str = "description";
/// rudr's core workload types; any other `GROUP/VERSION.KIND` is an extended type.
const CORE_TYPES: &[&str] = &[
    "Server",
    "SingletonServer",
    "Worker",
    "SingletonWorker",
    "Task",
    "SingletonTask",
];

/// What lowering leaves for after every document is read: the v1alpha1 components (an extended
/// type is known only then) and the app entries to give their own copy of a component.
#[derive(Default)]
pub(super) struct Pending {
    components: Vec<usize>,
    instances: Vec<Instance>,
}

struct Instance {
    app: usize,
    entry: usize,
    name: Text,
}

impl Pending {
    /// Takes over what the next file's part left pending; its indices move past the apps and
    /// components before it.
    pub(super) fn append(&mut self, other: Pending, apps_before: usize, components_before: usize) {
        self.components
            .extend(other.components.into_iter().map(|c| c + components_before));
        self.instances
            .extend(other.instances.into_iter().map(|i| Instance {
                app: i.app + apps_before,
                ..i
            }));
    }
}

pub(super) fn lower(
    document: &Document,
    model: &mut Model,
    pending: &mut Pending,
    diags: &mut Diagnostics,
) {
    let Some(mut root) = Fields::of(&document.root, "", diags) else {
        return;
    };
    root.string("apiVersion", diags);
    root.string("kind", diags);
    let kind_span = document
        .root
        .get("kind")
        .map_or(document.span(), |n| n.span);
    match document.kind.as_str() {
        "ComponentSchematic" => {
            let Some(component) = lower_schematic(&mut root, diags) else {
                return;
            };
            pending.components.push(model.components.len());
            model.components.push(component);
        }
        "ApplicationConfiguration" => {
            if !lower_app(&mut root, model, pending, diags) {
                return;
            }
        }
        "Trait" => {
            let Some(definition) = lower_trait_definition(document, &mut root, diags) else {
                return;
            };
            model.definitions.push(definition);
        }
        "WorkloadType" => {
            if !lower_workload_type(document, &mut root, model, diags) {
                return;
            }
        }
        "ApplicationScope" => {
            let Some(definition) = lower_scope_definition(document, &mut root, diags) else {
                return;
            };
            model.definitions.push(definition);
        }
        "HealthScope" => {
            let Some(name) = metadata_name(&mut root, diags) else {
                return;
            };
            model.scopes.push(ScopeObject {
                group_kind: GroupKind::of(&document.api_version, "HealthScope"),
                name,
                object: document.root.to_value(),
                spec_node: document.root.get("spec").cloned(),
            });
            return;
        }
        "ComponentInstance" => {
            diags.push(
                Diagnostic::new(
                    Code::NotRendered,
                    kind_span,
                    "a ComponentInstance is rudr's record of what it deployed; oam leaves it out",
                )
                .with_help(
                    "drop it from the inputs: oam renders from the ApplicationConfiguration",
                ),
            );
            return;
        }
        kind => {
            diags.push(
                Diagnostic::new(Code::UnknownOamKind, kind_span, format!("`{}` has no kind `{kind}` that oam renders", document.api_version))
                    .with_help("v1alpha1 kinds are ComponentSchematic, ApplicationConfiguration, Trait, WorkloadType, ApplicationScope and HealthScope"),
            );
            return;
        }
    }
    root.value("status");
    root.finish(diags);
}

/// `GROUP/VERSION.KIND` (`core.oam.dev/v1alpha1.Server`) as (apiVersion, kind).
fn split_type(text: &str) -> Option<(&str, &str)> {
    let (api_version, kind) = text.rsplit_once('.')?;
    (api_version.contains('/') && !kind.is_empty()).then_some((api_version, kind))
}

fn lower_schematic(root: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<Component> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let workload_type = spec.required_string("workloadType", diags);
    let mut parameters = spec.list_of("parameters", diags, lower_parameter);
    let mut out = Map::new();
    let mut references: Vec<(Text, String)> = Vec::new();
    let containers = spec.list("containers", diags);
    let mut lowered = Vec::new();
    for (i, container) in containers.iter().enumerate() {
        lowered.push(lower_container(container, i, &mut references));
    }
    if !lowered.is_empty() {
        out.insert("containers".to_owned(), Value::Array(lowered));
    }
    for key in ["osType", "arch"] {
        if let Some(value) = spec.string(key, diags) {
            out.insert(key.to_owned(), Value::String(value.value));
        }
    }
    let mut settings = Map::new();
    for setting in spec.list("workloadSettings", diags) {
        let Some(mut fields) = Fields::of(setting, "spec.workloadSettings[]", diags) else {
            continue;
        };
        let Some(name) = fields.required_string("name", diags) else {
            continue;
        };
        let value = fields.value("value").unwrap_or(Value::Null);
        if let Some(from) = fields.string("fromParam", diags) {
            let path = format!("spec.workloadSettings[\"{}\"]", name.value);
            references.push((from, path));
        }
        for key in ["type", "description"] {
            fields.string(key, diags);
        }
        fields.bool("required", diags);
        fields.finish(diags);
        settings.insert(name.value, value);
    }
    if !settings.is_empty() {
        out.insert("workloadSettings".to_owned(), Value::Object(settings));
    }
    spec.finish(diags);
    let parameter_at = super::first_of_each(&parameters, |p| p.name.value.as_str());
    let mut field_paths: Vec<Vec<Text>> = vec![Vec::new(); parameters.len()];
    for (from, path) in references {
        match parameter_at.get(from.value.as_str()) {
            Some(&i) => field_paths[i].push(Text {
                value: path,
                span: from.span,
            }),
            None => {
                let declared = parameters.iter().map(|p| p.name.value.as_str());
                let d = Diagnostic::new(
                    Code::UndeclaredParameter,
                    from.span,
                    format!(
                        "`fromParam` names no parameter `{}` of ComponentSchematic `{}`",
                        from.value, metadata.name.value
                    ),
                );
                diags.push(
                    d.with_suggestion(&from.value, declared, "not declared")
                        .with_help("declare it under `spec.parameters` (name, type, default), or fix the name"),
                );
            }
        }
    }
    for (parameter, paths) in parameters.iter_mut().zip(field_paths) {
        parameter.field_paths.extend(paths);
    }
    let workload_type = workload_type?;
    let workload_node = root_spec_node(root);
    let spec_value = json!({ "workloadType": workload_type.value, "spec": out });
    Some(Component {
        name: metadata.name,
        labels: metadata.labels,
        annotations: metadata.annotations,
        workload_value: Some(json!({ "spec": out })),
        workload_span: workload_type.span,
        workload_node,
        workload_type: Some(workload_type),
        parameters,
        spec_hash: super::revision::spec_hash(&spec_value),
        stored_revision: None,
    })
}

/// The schematic's `spec` as written, for the spans of schema violations.
fn root_spec_node(root: &Fields<'_>) -> Node {
    let node = root.node_ref();
    let spec = node.get("spec").cloned().unwrap_or_else(|| node.clone());
    Node {
        span: spec.span,
        value: NodeValue::Map(Box::new([(
            Key {
                text: "spec".into(),
                span: spec.span,
            },
            spec,
        )])),
    }
}

/// A container as written, minus its `fromParam` references (recorded as field paths), with
/// rudr's bare memory numbers made explicit: `"128"` is `128Mi`.
fn lower_container(node: &Node, index: usize, references: &mut Vec<(Text, String)>) -> Value {
    let mut container = node.to_value();
    for list in ["env", "config"] {
        let Some(items) = node.get(list).and_then(|l| match &l.value {
            NodeValue::List(items) => Some(items),
            _ => None,
        }) else {
            continue;
        };
        for (j, item) in items.iter().enumerate() {
            let Some(from) = item.get("fromParam") else {
                continue;
            };
            if let Some(name) = from.as_str() {
                references.push((
                    Text {
                        value: name.to_owned(),
                        span: from.span,
                    },
                    format!("spec.containers[{index}].{list}[{j}].value"),
                ));
            }
            if let Some(entry) = container
                .get_mut(list)
                .and_then(|l| l.get_mut(j))
                .and_then(Value::as_object_mut)
            {
                entry.shift_remove("fromParam");
            }
        }
    }
    if let Some(memory) = container.pointer_mut("/resources/memory/required") {
        let bare = match &*memory {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Some(s.clone())
            }
            _ => None,
        };
        if let Some(number) = bare {
            *memory = Value::String(format!("{number}Mi"));
        }
    }
    container
}

/// `spec.parameters[]`: `{name, description, type, required, default}`.
fn lower_parameter(node: &Node, diags: &mut Diagnostics) -> Option<Parameter> {
    let mut fields = Fields::of(node, "spec.parameters[]", diags)?;
    let name = fields.required_string("name", diags);
    let kind = fields.string("type", diags);
    let required = fields.bool("required", diags).unwrap_or(false);
    let default = fields.node("default");
    fields.string("description", diags);
    fields.finish(diags);
    let name = name?;
    if let Some(kind) = &kind {
        if !PARAMETER_TYPES.contains(&kind.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::WrongType,
                    kind.span,
                    format!("`{}` is not a parameter type", kind.value),
                )
                .with_suggestion(&kind.value, PARAMETER_TYPES.iter().copied(), "unknown type")
                .with_help(format!("use one of {}", PARAMETER_TYPES.join(", "))),
            );
        } else if let Some(d) =
            default.filter(|d| !parameter_type_accepts(&kind.value, &d.to_value()))
        {
            diags.push(
                Diagnostic::new(
                    Code::ParameterInvalid,
                    d.span,
                    format!(
                        "the default of parameter `{}` is {}, not a {}",
                        name.value,
                        d.type_name(),
                        kind.value
                    ),
                )
                .with_label(kind.span, "type declared here")
                .with_help(format!(
                    "give `{}` a default of type {}, or change its type",
                    name.value, kind.value
                )),
            );
        }
    }
    let default = default.map(|d| ParameterValue {
        name: Text {
            value: name.value.clone(),
            span: d.span,
        },
        value: d.to_value(),
    });
    Some(Parameter {
        name,
        field_paths: Vec::new(),
        required,
        kind,
        default,
    })
}

fn lower_app(
    root: &mut Fields<'_>,
    model: &mut Model,
    pending: &mut Pending,
    diags: &mut Diagnostics,
) -> bool {
    let Some((metadata, mut spec)) = metadata_and_spec(root, diags) else {
        return false;
    };
    let variables = Variables::new(spec.list_of("variables", diags, |node, diags| {
        let mut fields = Fields::of(node, "spec.variables[]", diags)?;
        let name = fields.required_string("name", diags);
        let value = fields.node("value").cloned();
        fields.finish(diags);
        Some((name?, value?))
    }));
    for scope in spec.list("scopes", diags) {
        if let Some(scope) = lower_scope_instance(scope, &variables, diags) {
            model.scopes.push(scope);
        }
    }
    let entries = spec.list("components", diags);
    let app = model.apps.len();
    let mut components = Vec::new();
    for node in entries {
        let Some((entry, instance)) = lower_entry(node, &variables, diags) else {
            continue;
        };
        pending.instances.push(Instance {
            app,
            entry: components.len(),
            name: instance,
        });
        components.push(entry);
    }
    spec.finish(diags);
    model
        .apps
        .push(metadata.into_app("ApplicationConfiguration", components));
    true
}

/// An ApplicationConfiguration's variables, found by name (the first of a name) in a step.
struct Variables {
    declared: Vec<(Text, Node)>,
    by_name: HashMap<String, usize>,
}

impl Variables {
    fn new(declared: Vec<(Text, Node)>) -> Variables {
        let mut by_name = HashMap::with_capacity(declared.len());
        for (i, (name, _)) in declared.iter().enumerate() {
            by_name.entry(name.value.clone()).or_insert(i);
        }
        Variables { declared, by_name }
    }

    fn get(&self, name: &str) -> Option<&Node> {
        self.by_name.get(name).map(|&i| &self.declared[i].1)
    }
}

/// `[fromVariable(NAME)]`, the whole string, is replaced by the variable's value.
fn substitute(node: &Node, variables: &Variables, diags: &mut Diagnostics) -> Node {
    match &node.value {
        NodeValue::String(text) => {
            let Some(name) = text
                .strip_prefix("[fromVariable(")
                .and_then(|rest| rest.strip_suffix(")]"))
            else {
                return node.clone();
            };
            if let Some(value) = variables.get(name) {
                return value.clone();
            }
            let d = Diagnostic::new(
                Code::UnknownVariable,
                node.span,
                format!("no variable `{name}` in this ApplicationConfiguration"),
            );
            diags.push(
                d.with_suggestion(
                    name,
                    variables.declared.iter().map(|(n, _)| n.value.as_str()),
                    "spec.variables declares none of that name",
                )
                .with_help(
                    "declare it under `spec.variables` (`- name: …, value: …`), or fix the name",
                ),
            );
            node.clone()
        }
        NodeValue::List(items) => Node {
            span: node.span,
            value: NodeValue::List(
                items
                    .iter()
                    .map(|i| substitute(i, variables, diags))
                    .collect(),
            ),
        },
        NodeValue::Map(entries) => Node {
            span: node.span,
            value: NodeValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), substitute(v, variables, diags)))
                    .collect(),
            ),
        },
        _ => node.clone(),
    }
}

fn lower_entry(
    node: &Node,
    variables: &Variables,
    diags: &mut Diagnostics,
) -> Option<(AppComponent, Text)> {
    let mut fields = Fields::of(node, "spec.components[]", diags)?;
    let component = fields.required_string("componentName", diags);
    let instance = fields.required_string("instanceName", diags);
    let parameter_values = fields.list_of("parameterValues", diags, |node, diags| {
        let node = substitute(node, variables, diags);
        let mut fields = Fields::of(&node, "parameterValues[]", diags)?;
        let name = fields.required_string("name", diags);
        let value = fields.node("value").map(Node::to_value);
        fields.finish(diags);
        Some(ParameterValue {
            name: name?,
            value: value.unwrap_or(Value::Null),
        })
    });
    let traits = fields.list_of("traits", diags, |node, diags| {
        lower_trait(&substitute(node, variables, diags), diags)
    });
    let scopes = fields
        .strings("applicationScopes", diags)
        .into_iter()
        .map(|name| ScopeRef {
            kind: ScopeKind::Any,
            span: name.span,
            name,
        })
        .collect();
    fields.finish(diags);
    let instance = instance?;
    Some((
        AppComponent {
            component: ComponentRef::Name(component?),
            span: instance.span,
            parameter_values,
            traits,
            scopes,
            data_outputs: Vec::new(),
            data_inputs: Vec::new(),
            depends_on: Vec::new(),
        },
        instance,
    ))
}

/// `traits[]: {name, properties}`; rudr also read `parameterValues` (a mapping, or a list of
/// `{name, value}`).
fn lower_trait(node: &Node, diags: &mut Diagnostics) -> Option<TraitBinding> {
    let mut fields = Fields::of(node, "traits[]", diags)?;
    let name = fields.required_string("name", diags);
    let properties = fields.node("properties").cloned();
    let values = fields.node("parameterValues").cloned();
    fields.finish(diags);
    let name = name?;
    let parameters = match (properties, values) {
        (Some(properties), _) => Some(properties),
        (None, Some(values)) => Some(as_mapping(values)),
        (None, None) => None,
    };
    Some(TraitBinding {
        object_value: None,
        span: name.span,
        parameters_node: parameters,
        named: Some(name),
        data_outputs: Vec::new(),
        data_inputs: Vec::new(),
    })
}

/// A list of `{name, value}` as the mapping it stands for; anything else as it is.
fn as_mapping(node: Node) -> Node {
    let NodeValue::List(items) = &node.value else {
        return node;
    };
    let entries: Option<Vec<(Key, Node)>> = items
        .iter()
        .map(|item| {
            let name = item.get("name")?;
            Some((
                Key {
                    text: name.as_str()?.into(),
                    span: name.span,
                },
                item.get("value")?.clone(),
            ))
        })
        .collect();
    match entries {
        Some(entries) => Node {
            span: node.span,
            value: NodeValue::Map(entries.into_boxed_slice()),
        },
        None => node,
    }
}

/// `spec.scopes[]: {name, type, properties}`: a scope instance, as an object of its type.
fn lower_scope_instance(
    node: &Node,
    variables: &Variables,
    diags: &mut Diagnostics,
) -> Option<ScopeObject> {
    let node = substitute(node, variables, diags);
    let mut fields = Fields::of(&node, "spec.scopes[]", diags)?;
    let name = fields.required_string("name", diags);
    let type_name = fields.required_string("type", diags);
    let properties = fields.node("properties").cloned().map(as_mapping);
    fields.finish(diags);
    let (name, type_name) = (name?, type_name?);
    let Some((api_version, kind)) = split_type(&type_name.value) else {
        diags.push(not_a_type(&type_name));
        return None;
    };
    let spec = properties.map_or_else(|| Value::Object(Map::new()), |p| p.to_value());
    Some(ScopeObject {
        group_kind: GroupKind::of(api_version, kind),
        object: json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name.value},
            "spec": spec,
        }),
        name,
        spec_node: None,
    })
}

fn not_a_type(text: &Text) -> Diagnostic {
    Diagnostic::new(
        Code::WrongType,
        text.span,
        format!(
            "`{}` is not a type of the form GROUP/VERSION.KIND",
            text.value
        ),
    )
    .with_help("write the type as rudr does: `core.oam.dev/v1alpha1.HealthScope`")
}

fn description(annotations: &[(String, String)]) -> Option<String> {
    annotations
        .iter()
        .find(|(k, _)| k == DESCRIPTION_ANNOTATION || k == "definition.oam.dev/description")
        .map(|(_, v)| v.clone())
}

fn new_definition(
    document: &Document,
    kind: DefinitionKind,
    name: Text,
    annotations: &[(String, String)],
) -> Definition {
    Definition {
        kind,
        name,
        alias: None,
        crd_name: None,
        crd_version: None,
        labels: Vec::new(),
        applies_to: Vec::new(),
        conflicts_with: Vec::new(),
        workload_ref_path: None,
        workload_refs_path: None,
        allow_component_overlap: true,
        revision_enabled: false,
        description: description(annotations),
        schema: None,
        template: None,
        kube: None,
        cue: None,
        merge_keys: Vec::new(),
        origin: document.origin,
    }
}

/// `Trait`: appliesTo, conflictsWith, and `properties`, the JSON Schema of its properties
/// (YAML, or a string of JSON). A Trait without a template named like a core trait stands for
/// that core trait (model/mod.rs keeps the built-in's template).
fn lower_trait_definition(
    document: &Document,
    root: &mut Fields<'_>,
    diags: &mut Diagnostics,
) -> Option<Definition> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let schematic = schematic::lower(&mut spec, &metadata.name.value, diags);
    let mut definition = new_definition(
        document,
        DefinitionKind::Trait,
        metadata.name,
        &metadata.annotations,
    );
    definition.applies_to = spec.strings("appliesTo", diags);
    definition.conflicts_with = spec.strings("conflictsWith", diags);
    definition.schema = spec
        .node("properties")
        .and_then(|node| schematic::schema(node, "spec.properties", diags))
        .or(schematic.schema);
    definition.template = schematic.template;
    definition.kube = schematic.kube;
    definition.cue = schematic.cue;
    definition.merge_keys = schematic.merge_keys;
    spec.finish(diags);
    Some(definition)
}

/// `WorkloadType`: a kind (`group`, `version`, `names`) and the schema of its `workloadSettings`;
/// with our `schematic` extension it renders through a template.
fn lower_workload_type(
    document: &Document,
    root: &mut Fields<'_>,
    model: &mut Model,
    diags: &mut Diagnostics,
) -> bool {
    let Some((metadata, mut spec)) = metadata_and_spec(root, diags) else {
        return false;
    };
    let group = spec.required_string("group", diags);
    let version = spec.required_string("version", diags);
    let names = spec.object("names", diags).map(|mut names| {
        let kind = names.required_string("kind", diags);
        let plural = names.string("plural", diags);
        names.string("singular", diags);
        names.finish(diags);
        (kind, plural)
    });
    let settings = spec.list_of("workloadSettings", diags, |node, diags| {
        let mut fields = Fields::of(node, "spec.workloadSettings[]", diags)?;
        let name = fields.required_string("name", diags);
        let kind = fields.string("type", diags);
        let required = fields.bool("required", diags).unwrap_or(false);
        let description = fields.string("description", diags);
        let default = fields.value("default");
        fields.finish(diags);
        Some((name?, kind, required, description, default))
    });
    let schematic = schematic::lower(&mut spec, &metadata.name.value, diags);
    if names.is_none() {
        diags.push(spec.missing("names"));
    }
    spec.finish(diags);
    let (Some(group), Some(version), Some((Some(kind), plural))) = (group, version, names) else {
        return false;
    };
    let group_kind = GroupKind::of(&format!("{}/{}", group.value, version.value), &kind.value);
    let crd_name = format!(
        "{}.{}",
        plural.map_or_else(|| kind.value.to_ascii_lowercase() + "s", |p| p.value),
        group.value
    );
    let declared: Vec<Declared<'_>> = settings
        .iter()
        .map(|(name, kind, required, description, default)| Declared {
            name: &name.value,
            kind: kind.as_ref().map(|k| k.value.as_str()),
            required: *required,
            description: description.as_ref().map(|d| d.value.as_str()),
            default: default.as_ref(),
        })
        .collect();
    let settings_schema = declared_schema(&declared, kind.span);
    // Named after its kind (a valid label value), found by rudr's `GROUP/VERSION.KIND`.
    let mut definition = new_definition(
        document,
        DefinitionKind::Workload,
        Text {
            value: crd_name.clone(),
            span: metadata.name.span,
        },
        &metadata.annotations,
    );
    definition.alias = Some(format!("{}/{}.{}", group.value, version.value, kind.value));
    definition.crd_version = Some(version.value.clone());
    definition.schema = schematic.schema.or_else(|| {
        Some(super::Schema {
            value: json!({
                "type": "object",
                "properties": {
                    "workloadSettings": settings_schema.value,
                    "containers": {"type": "array", "items": {"type": "object"}},
                    "osType": {"type": "string"},
                    "arch": {"type": "string"},
                },
            }),
            span: settings_schema.span,
            node: None,
        })
    });
    definition.template = schematic.template;
    definition.kube = schematic.kube;
    definition.cue = schematic.cue;
    definition.merge_keys = schematic.merge_keys;
    model.crds.push(Crd {
        name: crd_name,
        group_kind,
        version: version.value,
    });
    model.definitions.push(definition);
    true
}

/// `ApplicationScope`: a ScopeDefinition for the kind its `type` names, with the schema of its
/// parameters.
fn lower_scope_definition(
    document: &Document,
    root: &mut Fields<'_>,
    diags: &mut Diagnostics,
) -> Option<Definition> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let type_name = spec.required_string("type", diags);
    let overlap = spec.bool("allowComponentOverlap", diags);
    let parameters = spec.list_of("parameters", diags, |node, diags| {
        let mut fields = Fields::of(node, "spec.parameters[]", diags)?;
        let name = fields.required_string("name", diags);
        let kind = fields.string("type", diags);
        // rudr's chart writes `required: Y`/`N` as well as booleans.
        let required = match fields.node("required").map(|n| &n.value) {
            Some(NodeValue::Bool(b)) => *b,
            Some(NodeValue::String(s)) => matches!(&**s, "Y" | "y" | "yes" | "true"),
            _ => false,
        };
        let description = fields.string("description", diags);
        fields.finish(diags);
        Some((name?, kind, required, description))
    });
    spec.finish(diags);
    let type_name = type_name?;
    let Some((api_version, kind)) = split_type(&type_name.value) else {
        diags.push(not_a_type(&type_name));
        return None;
    };
    let declared: Vec<Declared<'_>> = parameters
        .iter()
        .map(|(name, kind, required, description)| Declared {
            name: &name.value,
            kind: kind.as_ref().map(|k| k.value.as_str()),
            required: *required,
            description: description.as_ref().map(|d| d.value.as_str()),
            default: None,
        })
        .collect();
    let schema = declared_schema(&declared, type_name.span);
    let mut definition = new_definition(
        document,
        DefinitionKind::Scope,
        metadata.name,
        &metadata.annotations,
    );
    definition.crd_name = Some(Text {
        value: super::crd_name_of(&GroupKind::of(api_version, kind), &[]),
        span: type_name.span,
    });
    definition.allow_component_overlap = overlap.unwrap_or(true);
    definition.schema = Some(schema);
    Some(definition)
}

/// After every document: an extended workload type that no definition describes becomes the
/// object rudr made of it (its kind, with the `spec` workload setting as spec); each app entry
/// gets its own copy of its component, named after its instance, and values for parameters the
/// component does not declare are dropped with a warning, as rudr ignored them.
pub(super) fn finish(model: &mut Model, pending: Pending, diags: &mut Diagnostics) {
    for index in pending.components {
        let component = &model.components[index];
        let Some(type_name) = &component.workload_type else {
            continue;
        };
        let known = model
            .definitions
            .iter()
            .any(|d| d.kind.serves(DefinitionKind::Workload) && d.is_named(&type_name.value));
        let Some((api_version, kind)) = split_type(&type_name.value) else {
            continue;
        };
        if known || CORE_TYPES.contains(&kind) && api_version.starts_with("core.oam.dev/") {
            continue;
        }
        let spec = component
            .workload()
            .pointer("/spec/workloadSettings/spec")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let workload = json!({"apiVersion": api_version, "kind": kind, "spec": spec});
        let component = &mut model.components[index];
        component.workload_value = Some(workload);
        component.workload_type = None;
        // rudr substituted no parameter into an extended type's spec.
        for parameter in &mut component.parameters {
            parameter.field_paths.clear();
        }
    }
    for instance in pending.instances {
        let Some(entry) = model
            .apps
            .get_mut(instance.app)
            .and_then(|app| app.components.get_mut(instance.entry))
        else {
            continue;
        };
        let ComponentRef::Name(name) = &entry.component else {
            continue;
        };
        let Some(&index) = model.component_index.get(&name.value) else {
            continue; // check reports the unknown component, with the names it knows
        };
        let component = &model.components[index];
        let declared_names: HashSet<&str> = component
            .parameters
            .iter()
            .map(|p| p.name.value.as_str())
            .collect();
        entry.parameter_values.retain(|value| {
            let declared = declared_names.contains(value.name.value.as_str());
            if !declared {
                diags.push(
                    Diagnostic::new(
                        Code::IgnoredParameterValue,
                        value.name.span,
                        format!(
                            "ComponentSchematic `{}` declares no parameter `{}`; the value is ignored, as rudr ignored it",
                            component.name.value, value.name.value
                        ),
                    )
                    .with_help("remove the value, or declare the parameter in the ComponentSchematic"),
                );
            }
            declared
        });
        let mut copy = component.clone();
        copy.name = instance.name;
        entry.component = ComponentRef::Inline(Box::new(copy));
    }
}

#[cfg(test)]
mod tests {
    use super::split_type;

    #[test]
    fn types_split_at_the_last_dot() {
        assert_eq!(
            split_type("core.oam.dev/v1alpha1.Server"),
            Some(("core.oam.dev/v1alpha1", "Server"))
        );
        assert_eq!(
            split_type("openfaas.com/v1alpha2.Function"),
            Some(("openfaas.com/v1alpha2", "Function"))
        );
        assert_eq!(split_type("Server"), None);
        assert_eq!(split_type("core.oam.dev.Server"), None);
    }
}
