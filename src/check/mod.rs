//! Stage 3, check: the model in, every app's bindings resolved out.
//! Resolves each reference (components, revisions, definitions, scopes, parameters) and applies
//! the spec's rules (appliesTo, conflictsWith, one trait type per component, scope overlap).
//! Every error of every app is collected; `render` never starts on a model with errors.

mod applies_to;
mod conflicts;
mod definitions;
mod dependencies;
mod names;
mod parameters;
mod resolve;

pub(crate) use definitions::type_label;
pub(crate) use dependencies::{Dependencies, find_output};
pub(crate) use names::{
    check_apps as check_names, dns1123_label, dns1123_subdomain, path_segment, shorten,
};
pub(crate) use parameters::span_at;
#[cfg(test)]
pub(crate) use parameters::{Schemas, Use as ParameterUse};

use serde_json::Value;

use crate::diag::Diagnostics;
use crate::load::FileId;
use crate::model::{
    App, AppComponent, Component, Definition, DefinitionKind, Model, Parameter, ParameterValue,
    ScopeObject, ScopeRef, TraitBinding,
};

/// A model whose references all resolve.
pub(crate) struct Checked<'m> {
    pub(crate) model: &'m Model,
    pub(crate) apps: Vec<CheckedApp<'m>>,
    /// Every scope object of the inputs, in input order.
    pub(crate) scopes: Vec<CheckedScope<'m>>,
}

/// A scope object with its definition; its `spec` validated, defaults filled in.
pub(crate) struct CheckedScope<'m> {
    pub(crate) scope: &'m ScopeObject,
    /// Its place in the model's scopes (`BoundScope::index`).
    pub(crate) index: usize,
    pub(crate) definition: Option<&'m Definition>,
    pub(crate) object: Value,
}

#[derive(Clone)]
pub(crate) struct CheckedApp<'m> {
    pub(crate) app: &'m App,
    pub(crate) components: Vec<Bound<'m>>,
    /// The entry of the app each bound component is, in increasing order.
    entries: Vec<usize>,
    pub(crate) dependencies: Dependencies,
}

impl<'m> CheckedApp<'m> {
    /// The bound component of entry `index` of the app.
    pub(crate) fn bound(&self, index: usize) -> Option<&Bound<'m>> {
        self.components.get(self.position(index)?)
    }

    /// Where in `components` the bound component of entry `index` is.
    pub(crate) fn position(&self, index: usize) -> Option<usize> {
        self.entries.binary_search(&index).ok()
    }
}

/// A component of an app with everything it needs to render.
#[derive(Clone)]
pub(crate) struct Bound<'m> {
    pub(crate) entry: &'m AppComponent,
    pub(crate) component: &'m Component,
    pub(crate) revision: String,
    /// The workload object, `type:` shorthand resolved to apiVersion/kind.
    pub(crate) workload: Value,
    /// The workload's definition name (or CRD-style name without one), for labels and rules.
    pub(crate) workload_type: String,
    pub(crate) workload_definition: Option<&'m Definition>,
    pub(crate) parameters: Vec<(&'m Parameter, &'m ParameterValue)>,
    pub(crate) traits: Vec<BoundTrait<'m>>,
    pub(crate) scopes: Vec<BoundScope<'m>>,
}

impl Bound<'_> {
    /// The files this component is made from: the app, the Component, the definitions used.
    pub(crate) fn source_files(&self) -> Vec<FileId> {
        let mut files = vec![self.entry.span.file, self.component.name.span.file];
        let definitions = self
            .workload_definition
            .into_iter()
            .chain(self.traits.iter().filter_map(|t| t.definition));
        for definition in definitions {
            files.push(definition.name.span.file);
        }
        let mut seen = Vec::new();
        files.retain(|f| {
            let new = !seen.contains(f);
            seen.push(*f);
            new
        });
        files
    }

    /// A bound `revisionEnabled` trait names the workload after the revision.
    pub(crate) fn revision_enabled(&self) -> bool {
        self.traits
            .iter()
            .any(|t| t.definition.is_some_and(|d| d.revision_enabled))
    }
}

#[derive(Clone)]
pub(crate) struct BoundTrait<'m> {
    pub(crate) binding: &'m TraitBinding,
    /// The trait object, shorthand resolved to apiVersion/kind.
    pub(crate) object: Value,
    pub(crate) type_name: String,
    pub(crate) definition: Option<&'m Definition>,
}

#[derive(Clone)]
pub(crate) struct BoundScope<'m> {
    pub(crate) scope: &'m ScopeObject,
    /// The scope's place in the model's scopes, which outlives any one app.
    pub(crate) index: usize,
    pub(crate) reference: &'m ScopeRef,
    pub(crate) definition: Option<&'m Definition>,
}

/// What checking any one app needs: the definitions by name and their parameter schemas.
pub(crate) struct Context<'m> {
    model: &'m Model,
    definitions: definitions::Definitions<'m>,
    schemas: parameters::Schemas<'m>,
}

/// The checks of the whole model (names, definitions' schemas), and the context that checking
/// each app needs.
pub(crate) fn prepare<'m>(model: &'m Model, diags: &mut Diagnostics) -> Context<'m> {
    let definitions = definitions::Definitions::new(model);
    let schemas = parameters::Schemas::compile(model, diags);
    names::check_apps(&model.apps, diags);
    names::check_components(model, diags);
    Context {
        model,
        definitions,
        schemas,
    }
}

/// Every app checked, then every scope: the model whose references all resolve.
pub(crate) fn check<'m>(model: &'m Model, diags: &mut Diagnostics) -> Checked<'m> {
    let context = prepare(model, diags);
    let apps = model
        .apps
        .iter()
        .map(|app| check_app(&context, app, diags))
        .collect();
    let scopes = check_scopes(&context, diags);
    Checked {
        model,
        apps,
        scopes,
    }
}

/// One app's bindings resolved and its rules applied; a component that does not resolve is
/// left out (its diagnostics say why).
pub(crate) fn check_app<'m>(
    context: &Context<'m>,
    app: &'m App,
    diags: &mut Diagnostics,
) -> CheckedApp<'m> {
    let scope = resolve::Scope {
        model: context.model,
        definitions: &context.definitions,
        schemas: &context.schemas,
    };
    let mut components = Vec::new();
    let mut entries = Vec::new();
    for (index, entry) in app.components.iter().enumerate() {
        if let Some(bound) = resolve::resolve(app, entry, &scope, diags) {
            applies_to::check(&bound, &context.definitions, app.is_kubevela(), diags);
            conflicts::check(&bound, &context.definitions, diags);
            components.push(bound);
            entries.push(index);
        }
    }
    resolve::check_scope_overlap(&components, diags);
    let dependencies = dependencies::check(app, diags);
    CheckedApp {
        app,
        components,
        entries,
        dependencies,
    }
}

/// Every scope object of the inputs, its `spec` validated against its definition.
pub(crate) fn check_scopes<'m>(
    context: &Context<'m>,
    diags: &mut Diagnostics,
) -> Vec<CheckedScope<'m>> {
    context
        .model
        .scopes
        .iter()
        .enumerate()
        .filter_map(|(index, scope)| {
            let definition = context
                .definitions
                .of_object(DefinitionKind::Scope, &scope.object);
            let mut object = scope.object.clone();
            if let Some(definition) = definition {
                let site = parameters::Use {
                    definition,
                    source: scope.spec_node.as_ref(),
                    fallback: scope.name.span,
                };
                if !context.schemas.apply_to_spec(&site, &mut object, diags) {
                    return None;
                }
            }
            Some(CheckedScope {
                scope,
                index,
                definition,
                object,
            })
        })
        .collect()
}
