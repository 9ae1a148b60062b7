//! Finding the definition of an object offline (oam-spec.md §7.1): the runtime's type label
//! first (`workload.oam.dev/type`, `trait.oam.dev/type`), then the object's `<plural>.<group>`
//! matched against definition names and their `definitionRef.name`.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::{Definition, DefinitionKind, GroupKind, Model, crd_name_of, metadata_field};

/// The model's definitions, found by name in a step: a platform of thousands of definitions
/// and apps of thousands of uses are not a search of every definition per use.
pub(crate) struct Definitions<'m> {
    model: &'m Model,
    /// Definitions by name and by alias, and by the CRD they describe, each list in the
    /// model's order (the first that fits wins, as a search in that order would find).
    by_name: HashMap<&'m str, Vec<usize>>,
    by_crd: HashMap<&'m str, Vec<usize>>,
    /// The model's scope objects by name, in the model's order.
    scopes_by_name: HashMap<&'m str, Vec<usize>>,
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
        let (mut by_name, mut by_crd) = (HashMap::new(), HashMap::new());
        for (i, definition) in model.definitions.iter().enumerate() {
            let name = definition.name.value.as_str();
            by_name.entry(name).or_insert_with(Vec::new).push(i);
            if let Some(alias) = definition.alias.as_deref().filter(|&a| a != name) {
                by_name.entry(alias).or_insert_with(Vec::new).push(i);
            }
            if let Some(crd) = &definition.crd_name {
                by_crd
                    .entry(crd.value.as_str())
                    .or_insert_with(Vec::new)
                    .push(i);
            }
        }
        let mut scopes_by_name = HashMap::new();
        for (i, scope) in model.scopes.iter().enumerate() {
            scopes_by_name
                .entry(scope.name.value.as_str())
                .or_insert_with(Vec::new)
                .push(i);
        }
        Definitions {
            model,
            by_name,
            by_crd,
            scopes_by_name,
        }
    }

    /// The definitions listed under `key` of `index`, in the model's order.
    fn listed<'a>(
        &'a self,
        index: &'a HashMap<&'m str, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = &'m Definition> + 'a {
        let definitions = &self.model.definitions;
        index
            .get(key)
            .into_iter()
            .flatten()
            .map(move |&i| &definitions[i])
    }

    /// By name or alias.
    pub(crate) fn named(&self, kind: DefinitionKind, name: &str) -> Option<&'m Definition> {
        self.listed(&self.by_name, name)
            .find(|d| d.kind.serves(kind) && d.is_named(name))
    }

    /// The places in the model's scopes of those named `name`, in the model's order.
    pub(crate) fn scopes_named(&self, name: &str) -> &[usize] {
        self.scopes_by_name.get(name).map_or(&[], Vec::as_slice)
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
            .listed(&self.by_name, &crd)
            .find(|d| d.kind == kind && d.name.value == crd);
        by_name.or_else(|| self.listed(&self.by_crd, &crd).find(|d| d.kind == kind))
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
