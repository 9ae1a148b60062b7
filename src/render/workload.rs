//! Instantiating one component of an app: parameters, the workload's name and namespace, its
//! traits, and the expansion of core workload kinds. Follows the runtime's `render.go`.

use serde_json::{Map, Value};

use super::{containerized, fieldpath, labels, reference_to, traits};
use crate::check::Bound;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{App, Text};

pub(super) struct Context<'a, 'm> {
    pub(super) app: &'m App,
    pub(super) bound: &'a Bound<'m>,
    pub(super) namespace: Option<&'a str>,
}

pub(super) struct RenderedComponent {
    /// The workload's objects first, then the traits'.
    pub(super) objects: Vec<Value>,
    /// The object traits and scopes refer to: the workload, or what it expanded into.
    pub(super) primary_reference: Value,
}

pub(super) fn render_component(
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<RenderedComponent> {
    let bound = context.bound;
    let mut workload = bound.workload.clone();
    let mut ok = true;
    for (parameter, value) in &bound.parameters {
        for path in &parameter.field_paths {
            ok &= write_at(&mut workload, path, value.value.clone(), &value.name, diags);
        }
    }
    if !ok {
        return None;
    }
    // The runtime's SetWorkloadInstanceName: a set name is kept; a revisionEnabled trait names
    // the workload after the revision; otherwise the component's name.
    if workload
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        let name = if bound.revision_enabled() {
            bound.revision.clone()
        } else {
            bound.component.name.value.clone()
        };
        set_metadata(&mut workload, "name", Value::String(name));
    }
    labels::place(
        &mut workload,
        context,
        labels::Resource::Workload(&bound.workload_type),
    );

    let mut trait_objects = traits::render(context);
    let mut objects = match containerized::expand(&workload) {
        Some(expanded) => expanded,
        None => vec![workload],
    };
    if let Some(replicas) = trait_objects.replicas.take() {
        if let Some(spec) = objects[0]
            .as_object_mut()
            .map(|o| o.entry("spec").or_insert_with(|| Value::Object(Map::new())))
        {
            if let Some(spec) = spec.as_object_mut() {
                spec.shift_insert(0, "replicas".to_owned(), replicas);
            }
        }
    }
    let primary_reference = reference_to(&objects[0]);
    for (object, path) in &mut trait_objects.with_reference {
        let Ok(segments) = fieldpath::parse(&path.value) else {
            diags.push(invalid_path(path, "workloadRefPath"));
            continue;
        };
        if let Err(reason) = fieldpath::set(object, &segments, primary_reference.clone()) {
            diags.push(
                Diagnostic::new(
                    Code::FieldPathNotSettable,
                    path.span,
                    format!(
                        "cannot write the workload reference at `{}`: {reason}",
                        path.value
                    ),
                )
                .with_help(
                    "fix the TraitDefinition's workloadRefPath, or the trait object in its way",
                ),
            );
        }
    }
    objects.extend(trait_objects.with_reference.into_iter().map(|(o, _)| o));
    objects.extend(trait_objects.plain);
    Some(RenderedComponent {
        objects,
        primary_reference,
    })
}

/// Writes a parameter value at one field path; false (and a diagnostic) if it cannot.
fn write_at(
    workload: &mut Value,
    path: &Text,
    value: Value,
    given_at: &Text,
    diags: &mut Diagnostics,
) -> bool {
    let Ok(segments) = fieldpath::parse(&path.value) else {
        diags.push(invalid_path(path, "fieldPaths"));
        return false;
    };
    match fieldpath::set(workload, &segments, value) {
        Ok(()) => true,
        Err(reason) => {
            diags.push(
                Diagnostic::new(Code::FieldPathNotSettable, given_at.span, format!("cannot set parameter `{}` at `{}`: {reason}", given_at.value, path.value))
                    .with_label(path.span, "field path declared here")
                    .with_help("fix the Component's fieldPaths so they lead into objects and lists of the workload"),
            );
            false
        }
    }
}

fn invalid_path(path: &Text, field: &str) -> Diagnostic {
    let reason = fieldpath::parse(&path.value).err().unwrap_or_default();
    Diagnostic::new(
        Code::InvalidFieldPath,
        path.span,
        format!("invalid field path in {field}: {reason}"),
    )
    .with_help("write paths like `spec.containers[0].image` or `metadata.labels[\"app\"]`")
}

pub(super) fn set_metadata(object: &mut Value, key: &str, value: Value) {
    if let Some(object) = object.as_object_mut() {
        let metadata = object
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.insert(key.to_owned(), value);
        }
    }
}

/// Appends references not yet listed to the list at `path` (the runtime's scope `applyScope`).
pub(super) fn append_references(
    object: &mut Value,
    path: &Text,
    references: impl Iterator<Item = Value>,
    diags: &mut Diagnostics,
) {
    let Ok(segments) = fieldpath::parse(&path.value) else {
        diags.push(invalid_path(path, "workloadRefsPath"));
        return;
    };
    let mut current = object.clone();
    let mut list = segments
        .iter()
        .try_fold(&mut current, |v, s| match s {
            fieldpath::Segment::Field(f) => v.get_mut(f),
            fieldpath::Segment::Index(i) => v.get_mut(*i),
        })
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    for reference in references {
        if !list.contains(&reference) {
            list.push(reference);
        }
    }
    if let Err(reason) = fieldpath::set(object, &segments, Value::Array(list)) {
        diags.push(
            Diagnostic::new(
                Code::FieldPathNotSettable,
                path.span,
                format!(
                    "cannot write workload references at `{}`: {reason}",
                    path.value
                ),
            )
            .with_help("fix the ScopeDefinition's workloadRefsPath"),
        );
    }
}
