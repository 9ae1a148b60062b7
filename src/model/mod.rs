//! Stage 2, model: documents in, one internal model out.
//! Each dialect's kinds are read with spans and *lowered* into the same types (definitions,
//! components, apps, scope objects, pass-through objects). Nothing after this stage knows which
//! dialect a thing came from. No references are resolved here; that is `check`.

mod cue_definition;
mod definition;
pub(crate) mod fieldpath;
mod fields;
mod kinds;
mod revision;
mod schematic;
mod v1alpha1;
mod v1alpha2;
mod v1beta1;

pub(crate) use kinds::{
    GroupKind, crd_name_of, field, lookup, lookup_mut, metadata_field, type_of_crd_name,
};
pub(crate) use revision::fnv1a32;
pub(crate) use schematic::invalid_schema;

use std::collections::HashMap;

use serde_json::Value;

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::load::{Document, Node, Origin};

/// A string from the input and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    pub(crate) value: String,
    pub(crate) span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum DefinitionKind {
    Workload,
    Trait,
    Scope,
    /// KubeVela's component type: a workload type that always renders through its schematic.
    Component,
}

impl DefinitionKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Workload => "WorkloadDefinition",
            DefinitionKind::Trait => "TraitDefinition",
            DefinitionKind::Scope => "ScopeDefinition",
            DefinitionKind::Component => "ComponentDefinition",
        }
    }

    /// Can a definition of this kind stand where one of `wanted` is asked for? A component
    /// type is a workload type.
    pub(crate) fn serves(self, wanted: DefinitionKind) -> bool {
        self == wanted || (self, wanted) == (DefinitionKind::Component, DefinitionKind::Workload)
    }
}

/// A platform capability: a workload type, a trait or a scope.
#[derive(Clone, Debug)]
pub(crate) struct Definition {
    pub(crate) kind: DefinitionKind,
    pub(crate) name: Text,
    /// The short name (`definition.oam.dev/alias` annotation), accepted wherever a name is.
    pub(crate) alias: Option<String>,
    /// `spec.definitionRef.name`: the CRD of the kind this definition describes.
    pub(crate) crd_name: Option<Text>,
    pub(crate) crd_version: Option<String>,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) applies_to: Vec<Text>,
    pub(crate) conflicts_with: Vec<Text>,
    pub(crate) workload_ref_path: Option<Text>,
    pub(crate) workload_refs_path: Option<Text>,
    pub(crate) allow_component_overlap: bool,
    pub(crate) revision_enabled: bool,
    /// `definition.oam.dev/description`, shown by `oam defs` and `oam explain`.
    pub(crate) description: Option<String>,
    /// The JSON Schema of the parameters (the object's `spec`, or `properties`).
    pub(crate) schema: Option<Schema>,
    /// Turns the parameters into Kubernetes objects (and, for a trait, a workload patch).
    pub(crate) template: Option<Template>,
    /// `schematic.kube`: one object, the parameters written at field paths.
    pub(crate) kube: Option<KubeTemplate>,
    /// `schematic.cue` (or a `vela def` file): KubeVela's CUE template.
    pub(crate) cue: Option<CueTemplate>,
    /// List fields a trait's patch merges by key instead of replacing: (`spec.template.spec.containers`, `name`).
    pub(crate) merge_keys: Vec<(String, String)>,
    pub(crate) origin: Origin,
}

/// A parameter schema and where it is written.
#[derive(Clone, Debug)]
pub(crate) struct Schema {
    pub(crate) value: Value,
    pub(crate) span: Span,
    /// The schema as written, when written as YAML: a violation points at its rule.
    pub(crate) node: Option<Node>,
}

/// A minijinja template and the span of its text in the definition file.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(crate) source: String,
    pub(crate) span: Span,
}

/// A CUE template, as KubeVela evaluates it: `parameter` and `context` unified with it, then
/// `output`, `outputs` and (traits) `patch` read.
#[derive(Clone, Debug)]
pub(crate) struct CueTemplate {
    /// The parsed text, or why it does not parse (reported when the definition is used: an
    /// unused definition never fails a render).
    pub(crate) parsed: Result<std::sync::Arc<cue::File>, cue::Error>,
    /// Where the template's fields are: `template` in a `vela def` file, the top of a
    /// schematic's text.
    pub(crate) prefix: Vec<String>,
    /// The text and its span in the definition file: spans of the evaluation map through it.
    pub(crate) text: Template,
    /// The text is the whole file (a `vela def` file): offsets map one to one.
    pub(crate) whole_file: bool,
    /// What its patch tags warn of, found by `render` on its first use as a trait (they are
    /// the definition's, whatever the use).
    pub(crate) patch_tag_warnings: std::sync::OnceLock<Vec<crate::diag::Diagnostic>>,
}

/// KubeVela's `schematic.kube`: an object, and where each parameter's value goes.
#[derive(Clone, Debug)]
pub(crate) struct KubeTemplate {
    pub(crate) object: Value,
    pub(crate) parameters: Vec<KubeParameter>,
}

#[derive(Clone, Debug)]
pub(crate) struct KubeParameter {
    pub(crate) name: Text,
    /// `string`, `number` or `boolean`; none accepts any scalar.
    pub(crate) kind: Option<String>,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    pub(crate) field_paths: Vec<Text>,
}

impl Definition {
    /// Is `name` this definition's name or alias?
    pub(crate) fn is_named(&self, name: &str) -> bool {
        self.name.value == name || self.alias.as_deref() == Some(name)
    }

    /// Does the definition make its own objects (a template), rather than describe a kind?
    pub(crate) fn renders(&self) -> bool {
        self.template.is_some() || self.kube.is_some() || self.cue.is_some()
    }
}

/// A declared component parameter and the fields it writes.
#[derive(Clone, Debug)]
pub(crate) struct Parameter {
    pub(crate) name: Text,
    pub(crate) field_paths: Vec<Text>,
    pub(crate) required: bool,
    /// The declared type a value must have (v1alpha1: string, number, boolean, null, …).
    pub(crate) kind: Option<Text>,
    /// The value when the app gives none (v1alpha1), as a value of the parameter's name.
    pub(crate) default: Option<ParameterValue>,
}

/// The parameter types a v1alpha1 ComponentSchematic may declare.
pub(crate) const PARAMETER_TYPES: &[&str] = &[
    "string", "number", "double", "float", "integer", "boolean", "null", "object", "array",
];

/// Whether `value` is of the declared parameter type `kind` (one of `PARAMETER_TYPES`).
pub(crate) fn parameter_type_accepts(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "number" | "double" | "float" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    }
}

/// What to run: a workload object plus the parameters an operator may set.
#[derive(Clone, Debug)]
pub(crate) struct Component {
    pub(crate) name: Text,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
    /// The workload, when it is not simply `workload_node` as a value (see `workload()`).
    pub(crate) workload_value: Option<Value>,
    pub(crate) workload_span: Span,
    /// The workload as written, for the spans of schema violations.
    pub(crate) workload_node: Node,
    /// The `type: NAME` shorthand naming a WorkloadDefinition instead of apiVersion/kind.
    pub(crate) workload_type: Option<Text>,
    pub(crate) parameters: Vec<Parameter>,
    /// The hash of the canonical spec, in the revision name (`revision::spec_hash`).
    pub(crate) spec_hash: u64,
    /// Set when the component was stored as a ControllerRevision: its fixed revision name.
    pub(crate) stored_revision: Option<String>,
}

impl Component {
    /// The workload as a value. A KubeVela component's is its node's value, so it is read from
    /// the node when asked rather than kept twice (10,000 apps hold one copy fewer).
    pub(crate) fn workload(&self) -> std::borrow::Cow<'_, Value> {
        match &self.workload_value {
            Some(value) => std::borrow::Cow::Borrowed(value),
            None => std::borrow::Cow::Owned(self.workload_node.to_value()),
        }
    }
}

impl TraitBinding {
    /// The trait object. A KubeVela trait's is `{spec: <its properties>}`, read from the node
    /// when asked rather than kept twice.
    pub(crate) fn object(&self) -> std::borrow::Cow<'_, Value> {
        match &self.object_value {
            Some(value) => std::borrow::Cow::Borrowed(value),
            None => {
                let spec = self
                    .parameters_node
                    .as_ref()
                    .map_or_else(|| Value::Object(serde_json::Map::new()), Node::to_value);
                std::borrow::Cow::Owned(Value::Object(serde_json::Map::from_iter([(
                    "spec".to_owned(),
                    spec,
                )])))
            }
        }
    }
}

/// How an app entry names its component.
#[derive(Clone, Debug)]
pub(crate) enum ComponentRef {
    Name(Text),
    Revision(Text),
    /// Written inside the app (a v1beta1 Application's components).
    Inline(Box<Component>),
}

#[derive(Clone, Debug)]
pub(crate) struct ParameterValue {
    pub(crate) name: Text,
    pub(crate) value: Value,
}

/// A trait bound to a component: an object, or the `{name, properties}` shorthand.
#[derive(Clone, Debug)]
pub(crate) struct TraitBinding {
    /// The trait object, when it is not simply `{spec: <parameters_node>}` (see `object()`).
    pub(crate) object_value: Option<Value>,
    pub(crate) span: Span,
    /// The parameters as written (`spec`, or the shorthand's `properties`), for spans.
    pub(crate) parameters_node: Option<Node>,
    /// The shorthand's definition name; the object's apiVersion/kind come from that definition.
    pub(crate) named: Option<Text>,
    /// Read from / written to the trait's (first) object.
    pub(crate) data_outputs: Vec<DataOutput>,
    pub(crate) data_inputs: Vec<DataInput>,
}

#[derive(Clone, Debug)]
pub(crate) struct ScopeRef {
    pub(crate) kind: ScopeKind,
    pub(crate) name: Text,
    pub(crate) span: Span,
}

/// What kind of scope a reference names.
#[derive(Clone, Debug)]
pub(crate) enum ScopeKind {
    Object {
        api_version: String,
        kind: String,
    },
    /// A ScopeDefinition name (v1beta1 `scopes: {<definition>: <name>}`).
    Definition(Text),
    /// A scope instance of any kind, by name (v1alpha1 `applicationScopes`).
    Any,
}

/// A value a component offers to others: the field at `field_path` of its rendered workload.
#[derive(Clone, Debug)]
pub(crate) struct DataOutput {
    pub(crate) name: Text,
    /// None: the output only orders (the runtime's condition-only outputs).
    pub(crate) field_path: Option<Text>,
}

/// A value a component takes from another's output, written at `to_field_paths`.
#[derive(Clone, Debug)]
pub(crate) struct DataInput {
    pub(crate) from: Text,
    pub(crate) to_field_paths: Vec<Text>,
    /// Where the paths point: into the rendered object, or (v1beta1 `parameterKey`) into the
    /// parameters before the template renders.
    pub(crate) into: InputTarget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InputTarget {
    Object,
    Parameters,
}

/// One component of an app, with the traits and scopes the operator bound to it.
#[derive(Clone, Debug)]
pub(crate) struct AppComponent {
    pub(crate) component: ComponentRef,
    pub(crate) span: Span,
    pub(crate) parameter_values: Vec<ParameterValue>,
    pub(crate) traits: Vec<TraitBinding>,
    pub(crate) scopes: Vec<ScopeRef>,
    pub(crate) data_outputs: Vec<DataOutput>,
    pub(crate) data_inputs: Vec<DataInput>,
    /// Components this one comes after, by name (v1beta1 `dependsOn`).
    pub(crate) depends_on: Vec<Text>,
}

impl AppComponent {
    /// Every data output of the entry: its workload's, then its traits'.
    pub(crate) fn all_outputs(&self) -> impl Iterator<Item = &DataOutput> {
        self.data_outputs
            .iter()
            .chain(self.traits.iter().flat_map(|t| &t.data_outputs))
    }

    /// Every data input of the entry: its workload's, then its traits'.
    pub(crate) fn all_inputs(&self) -> impl Iterator<Item = &DataInput> {
        self.data_inputs
            .iter()
            .chain(self.traits.iter().flat_map(|t| &t.data_inputs))
    }

    /// The component's name as the entry gives it (a pinned revision names its component too).
    pub(crate) fn name(&self) -> &Text {
        match &self.component {
            ComponentRef::Name(t) | ComponentRef::Revision(t) => t,
            ComponentRef::Inline(component) => &component.name,
        }
    }
}

/// An application: components bound to traits and scopes (an ApplicationConfiguration).
#[derive(Clone, Debug)]
pub(crate) struct App {
    /// The kind the user wrote (`Application`, `ApplicationConfiguration`), for messages.
    pub(crate) kind: &'static str,
    pub(crate) name: Text,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
    pub(crate) components: Vec<AppComponent>,
}

impl App {
    /// A KubeVela Application (v1beta1), whose rules are KubeVela's where they differ from the
    /// spec's.
    pub(crate) fn is_kubevela(&self) -> bool {
        self.kind == "Application"
    }
}

/// A scope object from the inputs (a HealthScope, say), filled with workload refs at render.
#[derive(Clone, Debug)]
pub(crate) struct ScopeObject {
    pub(crate) group_kind: GroupKind,
    pub(crate) name: Text,
    pub(crate) object: Value,
    /// The scope's `spec` as written, for spans.
    pub(crate) spec_node: Option<Node>,
}

/// A CustomResourceDefinition: how a kind's plural and versions are found offline.
#[derive(Clone, Debug)]
pub(crate) struct Crd {
    pub(crate) name: String,
    pub(crate) group_kind: GroupKind,
    pub(crate) version: String,
}

/// A plain Kubernetes object among the inputs, passed through unchanged.
#[derive(Clone, Debug)]
pub(crate) struct RawObject {
    pub(crate) object: Value,
    pub(crate) span: Span,
}

#[derive(Debug, Default)]
pub(crate) struct Model {
    pub(crate) definitions: Vec<Definition>,
    pub(crate) components: Vec<Component>,
    pub(crate) apps: Vec<App>,
    pub(crate) scopes: Vec<ScopeObject>,
    pub(crate) crds: Vec<Crd>,
    pub(crate) raw: Vec<RawObject>,
    /// Some Application declared the environment asked for (`--env`), or was reported for
    /// lacking it.
    pub(crate) environment_seen: bool,
    /// How many documents came from the inputs (not from `-d` or the built-ins).
    pub(crate) input_documents: usize,
    /// Current (not stored-revision) components by name, the first of a name.
    component_index: HashMap<String, usize>,
}

impl Model {
    /// The current Component of this name (apps name thousands; a scan would be quadratic).
    pub(crate) fn component(&self, name: &str) -> Option<&Component> {
        self.component_index
            .get(name)
            .map(|&index| &self.components[index])
    }

    fn index_components(&mut self) {
        self.component_index.clear();
        for (index, component) in self.components.iter().enumerate() {
            if component.stored_revision.is_none() {
                self.component_index
                    .entry(component.name.value.clone())
                    .or_insert(index);
            }
        }
    }
}

/// The documents of one file, lowered: a piece of the model, joined with the others in file
/// order by `assemble`. Files lower independently, each on the worker that parsed it.
#[derive(Default)]
pub(crate) struct Part {
    model: Model,
    v1alpha1_pending: v1alpha1::Pending,
    /// What lowering the file found (reported only when loading found no error, as if the
    /// stages ran one after the other).
    pub(crate) found: Diagnostics,
}

/// Lowers the documents of one file; each is dropped once lowered. `environment` picks which
/// of an Application's environments (its policies) to render.
pub(crate) fn lower_part(documents: Vec<Document>, environment: Option<&str>) -> Part {
    let mut part = Part::default();
    let model = &mut part.model;
    let diags = &mut part.found;
    for document in documents {
        let document = &document;
        if document.origin == Origin::Input {
            model.input_documents += 1;
        }
        if let Some(file) = &document.cue {
            cue_definition::lower(document, file, model, diags);
            continue;
        }
        match document.oam_version() {
            Some("v1alpha1") => {
                v1alpha1::lower(document, model, &mut part.v1alpha1_pending, diags);
            }
            Some("v1alpha2") => v1alpha2::lower(document, model, diags),
            Some("v1beta1") => v1beta1::lower(document, environment, model, diags),
            _ if document.origin == Origin::Input && !is_metadata_only(document) => {
                lower_kubernetes(document, model, diags);
            }
            _ => lower_kubernetes_definitions_only(document, model, diags),
        }
    }
    part
}

/// The model of every file's part, in file order, with the rules that span files: a user
/// definition replaces a built-in one of the same kind and name, v1alpha1 components meet
/// their instances, names are unique.
pub(crate) fn assemble(
    parts: Vec<Part>,
    environment: Option<&str>,
    diags: &mut Diagnostics,
) -> Model {
    let mut model = Model::default();
    // Sized once, as every later step holds these lists: grown by doubling, each would be
    // copied into fresh memory about as many times as it doubles.
    let total = |count: fn(&Model) -> usize| parts.iter().map(|p| count(&p.model)).sum::<usize>();
    model.definitions.reserve(total(|m| m.definitions.len()));
    model.components.reserve(total(|m| m.components.len()));
    model.apps.reserve(total(|m| m.apps.len()));
    model.raw.reserve(total(|m| m.raw.len()));
    let mut v1alpha1_pending = v1alpha1::Pending::default();
    for part in parts {
        let mut part_model = part.model;
        v1alpha1_pending.append(
            part.v1alpha1_pending,
            model.apps.len(),
            model.components.len(),
        );
        model.definitions.append(&mut part_model.definitions);
        model.components.append(&mut part_model.components);
        model.apps.append(&mut part_model.apps);
        model.scopes.append(&mut part_model.scopes);
        model.crds.append(&mut part_model.crds);
        model.raw.append(&mut part_model.raw);
        model.environment_seen |= part_model.environment_seen;
        model.input_documents += part_model.input_documents;
    }
    if let Some(wanted) = environment.filter(|_| !model.environment_seen) {
        diags.push(
            Diagnostic::unlocated(Code::UnknownEnvironment, format!("no Application among the inputs declares environment `{wanted}`"))
                .with_help("environments are the `deploy` steps of an Application's workflow (or its topology and override policies); check the name, or drop --env"),
        );
    }
    drop_replaced_builtins(&mut model);
    model.index_components();
    v1alpha1::finish(&mut model, v1alpha1_pending, diags);
    promote_scope_objects(&mut model);
    check_duplicates(&model, diags);
    model
}

/// An object of a kind some ScopeDefinition describes is a scope, not a pass-through object.
fn promote_scope_objects(model: &mut Model) {
    let scope_crds: Vec<&str> = model
        .definitions
        .iter()
        .filter(|d| d.kind == DefinitionKind::Scope)
        .map(|d| {
            d.crd_name
                .as_ref()
                .map_or(d.name.value.as_str(), |c| c.value.as_str())
        })
        .collect();
    let (scopes, raw): (Vec<RawObject>, Vec<RawObject>) =
        std::mem::take(&mut model.raw).into_iter().partition(|raw| {
            let group_kind = GroupKind::of_object(&raw.object);
            scope_crds.contains(&crd_name_of(&group_kind, &model.crds).as_str())
        });
    model.raw = raw;
    for scope in scopes {
        let name = kinds::metadata_field(&scope.object, "name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        model.scopes.push(ScopeObject {
            group_kind: GroupKind::of_object(&scope.object),
            name: Text {
                value: name,
                span: scope.span,
            },
            object: scope.object,
            spec_node: None,
        });
    }
}

/// CRDs teach plurals and versions; nothing else from a definitions directory is rendered.
fn lower_kubernetes_definitions_only(
    document: &Document,
    model: &mut Model,
    diags: &mut Diagnostics,
) {
    if document.kind == "CustomResourceDefinition" {
        kinds::lower_crd(document, model, diags);
    }
}

/// Definitions-only kinds (CRDs, RBAC for the runtime) are read, not rendered.
fn is_metadata_only(document: &Document) -> bool {
    document.kind == "CustomResourceDefinition"
}

fn lower_kubernetes(document: &Document, model: &mut Model, diags: &mut Diagnostics) {
    if document.api_version == "apps/v1" && document.kind == "ControllerRevision" {
        if let Some(component) = v1alpha2::lower_controller_revision(document, diags) {
            model.components.push(component);
            return;
        }
    }
    let name = document.root.get("metadata").and_then(|m| m.get("name"));
    let span = name.map_or_else(
        || {
            document
                .root
                .get("kind")
                .map_or(document.span(), |k| k.span)
        },
        |n| n.span,
    );
    model.raw.push(RawObject {
        object: document.root.to_value(),
        span,
    });
}

/// A user definition replaces the built-in of its kind and name; one without a schematic (an
/// upstream file registering a core CRD) keeps the built-in's schema and template.
fn drop_replaced_builtins(model: &mut Model) {
    let (builtins, mut definitions): (Vec<Definition>, Vec<Definition>) =
        std::mem::take(&mut model.definitions)
            .into_iter()
            .partition(|d| d.origin == Origin::Builtin);
    let mut kept = Vec::new();
    for builtin in builtins {
        // A workload type replaces a component type of its name, and the other way round.
        let replacements = definitions.iter_mut().filter(|d| {
            (d.kind.serves(builtin.kind) || builtin.kind.serves(d.kind))
                && d.name.value == builtin.name.value
        });
        let mut replaced = false;
        for user in replacements {
            replaced = true;
            // A user definition without a template (an upstream file registering a core kind,
            // a v1alpha1 Trait) keeps the built-in's template; its own schema, if any, applies.
            if user.kind == builtin.kind && !user.renders() {
                if user.schema.is_none() {
                    user.schema.clone_from(&builtin.schema);
                }
                user.template.clone_from(&builtin.template);
                user.kube.clone_from(&builtin.kube);
                user.cue.clone_from(&builtin.cue);
                user.merge_keys.clone_from(&builtin.merge_keys);
            }
        }
        if !replaced {
            kept.push(builtin);
        }
    }
    kept.append(&mut definitions);
    model.definitions = kept;
}

fn check_duplicates(model: &Model, diags: &mut Diagnostics) {
    let definitions = model.definitions.iter().map(|d| (d.kind.as_str(), &d.name));
    // A stored revision shares its component's name by design.
    let components = model
        .components
        .iter()
        .filter(|c| c.stored_revision.is_none())
        .map(|c| ("Component", &c.name));
    let apps = model.apps.iter().map(|a| (a.kind, &a.name));
    // Keyed by (kind, name); only looked up, so no map order reaches the output.
    let mut seen: HashMap<(&str, &str), &Text> = HashMap::new();
    for (kind, name) in definitions.chain(components).chain(apps) {
        if let Some(first) = seen.get(&(kind, name.value.as_str())) {
            diags.push(
                Diagnostic::new(Code::DuplicateName, name.span, format!("a second {kind} named `{}`", name.value))
                    .with_label(first.span, "first defined here")
                    .with_help("names are unique per kind: rename one, or drop one of the files from the inputs"),
            );
        } else {
            seen.insert((kind, name.value.as_str()), name);
        }
    }
}

/// Where the first item of each name is in `items`, as a search in their order would find it:
/// a list searched by name once per use becomes a map built once.
pub(crate) fn first_of_each<'a, T>(
    items: &'a [T],
    name: impl Fn(&'a T) -> &'a str,
) -> HashMap<&'a str, usize> {
    let mut at = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        at.entry(name(item)).or_insert(i);
    }
    at
}

/// The model of the built-in definitions alone, and their sources, for tests of the built-ins.
#[cfg(test)]
pub(crate) fn builtin_model() -> (Model, crate::load::Sources) {
    let (mut sources, mut diags) = (crate::load::Sources::default(), Diagnostics::default());
    let inputs = crate::load::Inputs {
        builtins: true,
        ..crate::load::Inputs::default()
    };
    let parts = crate::load::load(
        std::path::Path::new("."),
        &inputs,
        &mut std::io::empty(),
        &mut sources,
        &mut diags,
        |documents| {
            let mut part = lower_part(documents, None);
            assert!(
                std::mem::take(&mut part.found).into_sorted().is_empty(),
                "the built-ins lower cleanly"
            );
            part
        },
    );
    let model = assemble(parts, None, &mut diags);
    assert!(
        diags.into_sorted().is_empty(),
        "the built-ins lower cleanly"
    );
    (model, sources)
}
