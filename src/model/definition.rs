//! Definitions and object metadata, the same in every dialect from v1alpha2 on: Workload, Trait,
//! Scope and (v1beta1) Component definitions share one shape, with a few fields per kind.

use super::fields::Fields;
use super::{App, AppComponent, Definition, DefinitionKind, GroupKind, Model, Text, crd_name_of};
use crate::diag::Diagnostics;
use crate::load::Document;

const ALIAS_ANNOTATION: &str = "definition.oam.dev/alias";
const DESCRIPTION_ANNOTATION: &str = "definition.oam.dev/description";

/// `metadata.name`, required. Other metadata fields are Kubernetes' business, so not checked.
pub(super) fn metadata_name(root: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<Text> {
    let Some(mut metadata) = root.object("metadata", diags) else {
        diags.push(root.missing("metadata"));
        return None;
    };
    metadata.required_string("name", diags)
}

pub(super) struct Metadata {
    pub(super) name: Text,
    pub(super) namespace: Option<String>,
    pub(super) labels: Vec<(String, String)>,
    pub(super) annotations: Vec<(String, String)>,
}

impl Metadata {
    /// The app these are the metadata of; `kind` as the user wrote it, for messages.
    pub(super) fn into_app(self, kind: &'static str, components: Vec<AppComponent>) -> App {
        App {
            kind,
            name: self.name,
            namespace: self.namespace,
            labels: self.labels,
            annotations: self.annotations,
            components,
        }
    }
}

fn metadata(root: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<Metadata> {
    let Some(mut metadata) = root.object("metadata", diags) else {
        diags.push(root.missing("metadata"));
        return None;
    };
    let name = metadata.required_string("name", diags)?;
    Some(Metadata {
        name,
        namespace: metadata.string("namespace", diags).map(|t| t.value),
        labels: metadata.string_map("labels", diags),
        annotations: metadata.string_map("annotations", diags),
    })
}

/// `metadata` (with a name) and `spec`, both required: the head of every OAM object.
pub(super) fn metadata_and_spec<'n>(
    root: &mut Fields<'n>,
    diags: &mut Diagnostics,
) -> Option<(Metadata, Fields<'n>)> {
    let metadata = metadata(root, diags)?;
    let Some(spec) = root.object("spec", diags) else {
        diags.push(root.missing("spec"));
        return None;
    };
    Some((metadata, spec))
}

/// The definition kind a document's `kind` names.
pub(super) fn kind_of(kind: &str) -> Option<DefinitionKind> {
    match kind {
        "WorkloadDefinition" => Some(DefinitionKind::Workload),
        "TraitDefinition" => Some(DefinitionKind::Trait),
        "ScopeDefinition" => Some(DefinitionKind::Scope),
        "ComponentDefinition" => Some(DefinitionKind::Component),
        _ => None,
    }
}

/// Lowers a definition into the model; false if it is too broken to keep.
pub(super) fn lower(
    document: &Document,
    kind: DefinitionKind,
    root: &mut Fields<'_>,
    model: &mut Model,
    diags: &mut Diagnostics,
) -> bool {
    let Some((metadata, mut spec)) = metadata_and_spec(root, diags) else {
        return false;
    };
    let (crd_name, crd_version) = match spec.object("definitionRef", diags) {
        Some(mut reference) => {
            let name = reference
                .string("name", diags)
                .filter(|n| !n.value.is_empty());
            let version = reference.string("version", diags).map(|v| v.value);
            reference.finish(diags);
            (name, version)
        }
        None => (None, None),
    };
    let schematic = super::schematic::lower(&mut spec, &metadata.name.value, diags);
    let alias = annotation(&metadata.annotations, ALIAS_ANNOTATION)
        .or_else(|| spec.string("alias", diags).map(|a| a.value));
    let mut definition = Definition {
        kind,
        alias,
        description: annotation(&metadata.annotations, DESCRIPTION_ANNOTATION),
        schema: schematic.schema,
        template: schematic.template,
        kube: schematic.kube,
        cue: schematic.cue,
        merge_keys: schematic.merge_keys,
        name: metadata.name,
        crd_name,
        crd_version,
        labels: metadata.labels,
        applies_to: Vec::new(),
        conflicts_with: Vec::new(),
        workload_ref_path: None,
        workload_refs_path: None,
        allow_component_overlap: true,
        revision_enabled: false,
        origin: document.origin,
    };
    // Read, never used offline: health and status are run-time matters, `version` picks a
    // revision of the definition in a cluster.
    spec.value("status");
    spec.string("version", diags);
    match kind {
        DefinitionKind::Workload => {
            spec.list("childResourceKinds", diags);
            spec.string("revisionLabel", diags);
            spec.string("podSpecPath", diags);
        }
        DefinitionKind::Component => {
            if definition.crd_name.is_none() {
                definition.crd_name = component_workload(&mut spec, diags);
            }
            spec.list("childResourceKinds", diags);
            spec.string("revisionLabel", diags);
            spec.string("podSpecPath", diags);
        }
        DefinitionKind::Trait => {
            definition.applies_to = spec.strings("appliesToWorkloads", diags);
            definition.conflicts_with = spec.strings("conflictsWith", diags);
            definition.workload_ref_path = spec
                .string("workloadRefPath", diags)
                .filter(|p| !p.value.is_empty());
            definition.revision_enabled = spec.bool("revisionEnabled", diags).unwrap_or(false);
            for flag in [
                "podDisruptive",
                "manageWorkload",
                "skipRevisionAffect",
                "controlPlaneOnly",
            ] {
                spec.bool(flag, diags);
            }
            spec.string("stage", diags);
        }
        DefinitionKind::Scope => {
            definition.workload_refs_path = spec
                .string("workloadRefsPath", diags)
                .filter(|p| !p.value.is_empty());
            definition.allow_component_overlap =
                spec.bool("allowComponentOverlap", diags).unwrap_or(true);
        }
    }
    spec.finish(diags);
    model.definitions.push(definition);
    true
}

/// A ComponentDefinition's `spec.workload`: the kind it renders (`definition: {apiVersion,
/// kind}`) or a WorkloadDefinition name (`type`), as the CRD name traits' appliesTo match.
fn component_workload(spec: &mut Fields<'_>, diags: &mut Diagnostics) -> Option<Text> {
    let mut workload = spec.object("workload", diags)?;
    let by_type = workload.string("type", diags);
    let by_kind = workload.object("definition", diags).and_then(|mut d| {
        let api_version = d.string("apiVersion", diags);
        let kind = d.string("kind", diags);
        d.finish(diags);
        let (api_version, kind) = (api_version?, kind?);
        Some(Text {
            value: crd_name_of(&GroupKind::of(&api_version.value, &kind.value), &[]),
            span: kind.span,
        })
    });
    workload.finish(diags);
    by_type
        .filter(|t| t.value != "autodetects.core.oam.dev")
        .or(by_kind)
}

fn annotation(annotations: &[(String, String)], key: &str) -> Option<String> {
    annotations
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}
