//! Trait objects: named, namespaced and labelled like their workload. ManualScalerTrait is
//! applied, not emitted: it sets the workload's replicas, as its controller would.

use serde_json::Value;

use super::labels;
use super::workload::{Context, set_metadata};
use crate::model::Text;

pub(super) struct TraitObjects<'m> {
    /// Traits whose definition asks for a workload reference, with the path to write it at.
    pub(super) with_reference: Vec<(Value, &'m Text)>,
    pub(super) plain: Vec<Value>,
    /// `spec.replicaCount` of a ManualScalerTrait.
    pub(super) replicas: Option<Value>,
}

pub(super) fn render<'m>(context: &Context<'_, 'm>) -> TraitObjects<'m> {
    let bound = context.bound;
    let mut out = TraitObjects {
        with_reference: Vec::new(),
        plain: Vec::new(),
        replicas: None,
    };
    let mut used_names: Vec<String> = Vec::new();
    for bound_trait in &bound.traits {
        let mut object = bound_trait.object.clone();
        if is_manual_scaler(&object) {
            out.replicas = object.pointer("/spec/replicaCount").cloned();
            continue;
        }
        let name = if let Some(name) = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            name.to_owned()
        } else {
            // The runtime's GenTraitName without its unportable hash: `<component>-<type>`.
            let short = bound_trait
                .type_name
                .split('.')
                .next()
                .unwrap_or("trait")
                .to_ascii_lowercase();
            let base = format!("{}-{short}", bound.component.name.value);
            let mut name = base.clone();
            let mut n = 2;
            while used_names.contains(&name) {
                name = format!("{base}-{n}");
                n += 1;
            }
            set_metadata(&mut object, "name", Value::String(name.clone()));
            name
        };
        used_names.push(name);
        labels::place(
            &mut object,
            context,
            labels::Resource::Trait(&bound_trait.type_name),
        );
        match bound_trait
            .definition
            .and_then(|d| d.workload_ref_path.as_ref())
        {
            Some(path) => out.with_reference.push((object, path)),
            None => out.plain.push(object),
        }
    }
    out
}

fn is_manual_scaler(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("ManualScalerTrait")
        && object
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("core.oam.dev/"))
}
