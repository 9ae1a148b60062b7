//! The labels every rendered object carries (the runtime's `pkg/oam/labels.go`). OAM labels
//! overwrite same-named labels; the app's own labels and annotations fill only missing keys;
//! `kubectl.kubernetes.io/last-applied-configuration` is dropped (DESIGN.md decisions).

use serde_json::{Map, Value};

use super::workload::{Context, set_metadata};
use crate::check::type_label;
use crate::model::{DefinitionKind, GroupKind};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Clone, Copy)]
pub(super) enum Resource<'a> {
    Workload(&'a str),
    Trait(&'a str),
    /// An object a CUE trait outputs under a name (`outputs: service: {...}`): KubeVela labels
    /// it `trait.oam.dev/resource: service`.
    TraitOutput(&'a str, &'a str),
    /// An object a component type renders besides its workload (a webservice's Service):
    /// KubeVela labels it a trait of type `AuxiliaryWorkload`, with the output's name when the
    /// template names it.
    Auxiliary(Option<&'a str>),
}

/// Puts an object of the app in its namespace and gives it the OAM labels.
pub(super) fn place(object: &mut Value, context: &Context<'_, '_>, resource: Resource<'_>) {
    if let Some(namespace) = context
        .namespace
        .filter(|_| !GroupKind::of_object(object).is_cluster_scoped())
    {
        set_metadata(object, "namespace", Value::String(namespace.to_owned()));
    }
    let (resource_type, key, type_name, output) = match resource {
        Resource::Workload(t) => ("WORKLOAD", type_label(DefinitionKind::Workload), t, None),
        Resource::Trait(t) => ("TRAIT", type_label(DefinitionKind::Trait), t, None),
        Resource::TraitOutput(t, name) => {
            ("TRAIT", type_label(DefinitionKind::Trait), t, Some(name))
        }
        Resource::Auxiliary(name) => (
            "TRAIT",
            type_label(DefinitionKind::Trait),
            "AuxiliaryWorkload",
            name,
        ),
    };
    let oam = [
        ("app.oam.dev/name", context.app.name.value.as_str()),
        (
            "app.oam.dev/component",
            context.bound.component.name.value.as_str(),
        ),
        ("app.oam.dev/revision", context.bound.revision.as_str()),
        ("app.oam.dev/resourceType", resource_type),
        (key, type_name),
    ];
    if let Some(labels) = metadata_map(object, "labels") {
        for (k, v) in oam {
            labels.insert(k.to_owned(), Value::String(v.to_owned()));
        }
        if let Some(name) = output {
            labels.insert(
                "trait.oam.dev/resource".to_owned(),
                Value::String(name.to_owned()),
            );
        }
        for (k, v) in &context.app.labels {
            labels
                .entry(k.clone())
                .or_insert_with(|| Value::String(v.clone()));
        }
    }
    let inherited: Vec<&(String, String)> = context
        .app
        .annotations
        .iter()
        .filter(|(k, _)| k != LAST_APPLIED)
        .collect();
    if !inherited.is_empty() {
        if let Some(annotations) = metadata_map(object, "annotations") {
            for (k, v) in inherited {
                annotations
                    .entry(k.clone())
                    .or_insert_with(|| Value::String(v.clone()));
            }
        }
    }
    drop_last_applied(object);
}

/// A scope is labelled with its app when only one app uses it.
pub(super) fn label_scope(object: &mut Value, app: Option<&str>) {
    if let Some(labels) = metadata_map(object, "labels") {
        if let Some(app) = app {
            labels.insert("app.oam.dev/name".to_owned(), Value::String(app.to_owned()));
        }
        labels.insert(
            "app.oam.dev/resourceType".to_owned(),
            Value::String("SCOPE".to_owned()),
        );
    }
    drop_last_applied(object);
}

fn drop_last_applied(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.shift_remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.shift_remove("annotations");
        }
    }
}

/// `metadata.<field>` as a mutable map, created when missing.
pub(super) fn metadata_map<'v>(
    object: &'v mut Value,
    field: &str,
) -> Option<&'v mut Map<String, Value>> {
    let metadata = object
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let map = metadata
        .as_object_mut()?
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if map.is_null() {
        *map = Value::Object(Map::new());
    }
    map.as_object_mut()
}
