//! Finding the definition of an object offline (oam-spec.md §7.1): the runtime's type label
//! first (`workload.oam.dev/type`, `trait.oam.dev/type`), then the object's `<plural>.<group>`
//! matched against definition names and their `definitionRef.name`.

use serde_json::Value;

use crate::model::{Definition, DefinitionKind, GroupKind, Model, crd_name_of, metadata_field};

pub(crate) struct Definitions<'m> {
    model: &'m Model,
}

/// The label that names an object's definition.
pub(crate) fn type_label(kind: DefinitionKind) -> &'static str {
    match kind {
        DefinitionKind::Workload | DefinitionKind::Component => "workload.oam.dev/type",
        DefinitionKind::Trait => "trait.oam.dev/type",
        DefinitionKind::Scope => "scope.oam.dev/type",
    }
}

impl<'m> Definitions<'m> {
    pub(crate) fn new(model: &'m Model) -> Definitions<'m> {
        Definitions { model }
    }

    /// By name or alias.
    pub(crate) fn named(&self, kind: DefinitionKind, name: &str) -> Option<&'m Definition> {
        self.model
            .definitions
            .iter()
            .find(|d| d.kind.serves(kind) && d.is_named(name))
    }

    pub(crate) fn names(&self, kind: DefinitionKind) -> impl Iterator<Item = &'m str> {
        self.model
            .definitions
            .iter()
            .filter(move |d| d.kind.serves(kind))
            .map(|d| d.name.value.as_str())
    }

    /// The CRD-style name of an object's kind: `deployments.apps`.
    pub(crate) fn crd_name(&self, object: &Value) -> String {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        crd_name_of(&GroupKind::of(api_version, kind), &self.model.crds)
    }

    /// The definition of an object: by its type label, else by its CRD-style name (a component
    /// type is never found that way: it names a way to render, not a kind).
    pub(crate) fn of_object(&self, kind: DefinitionKind, object: &Value) -> Option<&'m Definition> {
        let label = metadata_field(object, "labels")
            .and_then(|l| l.get(type_label(kind)))
            .and_then(Value::as_str);
        if let Some(definition) = label.and_then(|name| self.named(kind, name)) {
            return Some(definition);
        }
        object.get("kind")?;
        let crd = self.crd_name(object);
        let by_name = self
            .model
            .definitions
            .iter()
            .find(|d| d.kind == kind && d.name.value == crd);
        by_name.or_else(|| {
            self.model
                .definitions
                .iter()
                .find(|d| d.kind == kind && d.crd_name.as_ref().is_some_and(|c| c.value == crd))
        })
    }

    /// The CRD name a definition describes; its own name when it has no `definitionRef`.
    pub(crate) fn crd_of(definition: &Definition) -> &str {
        definition
            .crd_name
            .as_ref()
            .map_or(&definition.name.value, |c| &c.value)
    }
}

/// The API group of a CRD name: the text after the first dot (`deployments.apps` → `apps`).
pub(crate) fn group_of(crd_name: &str) -> &str {
    crd_name.split_once('.').map_or("", |(_, g)| g)
}
