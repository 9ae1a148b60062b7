//! Trait objects: named, namespaced and labelled like their workload. A templated trait renders
//! its objects and may patch the workload (ManualScalerTrait's built-in template sets replicas,
//! as its controller would).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::template;
use super::workload::{Context, name_of, set_metadata, write_inputs};
use super::{labels, patch};
use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::load::Sources;
use crate::model::{Definition, InputTarget, Text};

pub(super) struct TraitObjects<'m> {
    /// Traits whose definition asks for a workload reference, with the path to write it at.
    pub(super) with_reference: Vec<(Value, &'m Text)>,
    pub(super) plain: Vec<Value>,
    /// Per bound trait: its first object, if the trait declares data outputs.
    pub(super) declaring_outputs: Vec<Option<Value>>,
}

/// The names a component's trait objects have taken, for the default name of the next.
#[derive(Default)]
struct TraitNames {
    taken: HashSet<String>,
    /// Per default name, the suffix to try next: every one before it is taken, so a component
    /// of many traits of one short name finds each name in a step, not a search of all.
    next_suffix: HashMap<String, usize>,
}

impl TraitNames {
    /// The runtime's GenTraitName without its unportable hash: `<component>-<type>`, then
    /// `-2`, `-3`, ... while taken.
    fn default_name(&mut self, component: &str, type_name: &str) -> String {
        let short = type_name
            .split('.')
            .next()
            .unwrap_or("trait")
            .to_ascii_lowercase();
        let base = format!("{component}-{short}");
        if !self.taken.contains(&base) {
            return base;
        }
        let n = self.next_suffix.entry(base.clone()).or_insert(2);
        loop {
            let name = format!("{base}-{n}");
            if !self.taken.contains(&name) {
                return name;
            }
            *n += 1;
        }
    }

    fn take(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }
}

/// Renders the component's traits in order; each sees the component's objects (the workload
/// first; `component_names` are a CUE template's names for them) as the traits before it left them.
pub(super) fn render<'m>(
    context: &Context<'_, 'm>,
    component: &mut [Value],
    component_names: &[Option<String>],
    trait_objects: Vec<Value>,
    inputs: &[Vec<(Value, &[Text], InputTarget)>],
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<TraitObjects<'m>> {
    let bound = context.bound;
    let mut out = TraitObjects {
        with_reference: Vec::new(),
        plain: Vec::new(),
        declaring_outputs: Vec::new(),
    };
    let mut names_taken = TraitNames::default();
    let mut ok = true;
    for (index, (bound_trait, mut object)) in bound.traits.iter().zip(trait_objects).enumerate() {
        let default_name =
            names_taken.default_name(&bound.component.name.value, &bound_trait.type_name);
        let trait_inputs = inputs.get(index).map_or(&[][..], Vec::as_slice);
        let mut names = Vec::new();
        let mut objects = match bound_trait.definition.filter(|d| d.renders()) {
            Some(definition) => {
                ok &= write_inputs(&mut object, trait_inputs, InputTarget::Parameters, diags);
                let parameter = template::parameters_of(object.get_mut("spec").map(Value::take));
                let outputs = named_outputs(component, component_names);
                // The template shares the workload while it runs; it comes back unchanged.
                let workload = Arc::new(std::mem::take(&mut component[0]));
                let mut site = template::Use {
                    definition,
                    parameter: &parameter,
                    source: bound_trait.binding.parameters_node.as_ref(),
                    context: context.template_context(&default_name, Some(outputs)),
                    workload: Some(Arc::clone(&workload)),
                    used_by: template::UsedBy::Trait {
                        kind: &bound_trait.type_name,
                        component: &bound.component.name.value,
                    },
                };
                let rendered = context
                    .templates
                    .render(&site, true, context.meter, sources, diags);
                site.workload = None;
                component[0] = Arc::try_unwrap(workload).unwrap_or_else(|shared| (*shared).clone());
                let Some(output) = rendered else {
                    ok = false;
                    continue;
                };
                if let Err(d) = apply_patches(
                    component,
                    component_names,
                    definition,
                    &output,
                    site.used_by,
                ) {
                    diags.push(*d);
                    ok = false;
                    continue;
                }
                names = output.names;
                output.objects
            }
            None => vec![object],
        };
        if let Some(first) = objects.first_mut() {
            ok &= write_inputs(first, trait_inputs, InputTarget::Object, diags);
        }
        let declares_outputs = !bound_trait.binding.data_outputs.is_empty();
        let mut first_object = None;
        // A template refers to the workload itself (`context.workload`); a plain trait object
        // gets the reference at its definition's path.
        let reference_path = bound_trait
            .definition
            .filter(|d| !d.renders())
            .and_then(|d| d.workload_ref_path.as_ref());
        for (i, mut object) in objects.into_iter().enumerate() {
            if name_of(&object).is_none() {
                set_metadata(&mut object, "name", Value::String(default_name.clone()));
            }
            names_taken.take(name_of(&object).unwrap_or_default());
            let resource = match names.get(i).and_then(Option::as_deref) {
                Some(output) => labels::Resource::TraitOutput(&bound_trait.type_name, output),
                None => labels::Resource::Trait(&bound_trait.type_name),
            };
            labels::place(&mut object, context, resource);
            if i == 0 && declares_outputs {
                first_object = Some(object.clone());
            }
            match reference_path.filter(|_| i == 0) {
                Some(path) => out.with_reference.push((object, path)),
                None => out.plain.push(object),
            }
        }
        out.declaring_outputs.push(first_object);
    }
    ok.then_some(out)
}

/// A trait template's patches of the component: minijinja's merged into the workload, CUE's
/// `patch` unified into it and `patchOutputs` into the outputs they name.
fn apply_patches(
    component: &mut [Value],
    names: &[Option<String>],
    definition: &Definition,
    output: &template::Output,
    used_by: template::UsedBy<'_>,
) -> Result<(), Box<Diagnostic>> {
    for p in &output.patches {
        patch::merge(&mut component[0], p, &definition.merge_keys);
    }
    if let Some(cue_patch) = &output.cue_patch {
        patch::apply(&mut component[0], &cue_patch.value, &cue_patch.info)
            .map_err(|conflict| Box::new(cue_patch_conflict(definition, used_by, &conflict)))?;
    }
    if let Some(patches) = &output.cue_patch_outputs {
        patch_outputs(component, names, patches)
            .map_err(|conflict| Box::new(cue_patch_conflict(definition, used_by, &conflict)))?;
    }
    Ok(())
}

/// The component's objects a CUE template named, by name (a trait's `context.outputs`).
fn named_outputs(component: &[Value], names: &[Option<String>]) -> Value {
    let mut outputs = serde_json::Map::new();
    for (object, name) in component.iter().zip(names) {
        if let Some(name) = name {
            outputs.insert(name.clone(), object.clone());
        }
    }
    Value::Object(outputs)
}

/// A CUE trait's `patchOutputs`: each entry unified into the component's output of that name.
fn patch_outputs(
    component: &mut [Value],
    names: &[Option<String>],
    patches: &super::cue::CuePatch,
) -> Result<(), String> {
    let Value::Object(entries) = &patches.value else {
        return Err("`patchOutputs` is not a struct of patches by output name".to_owned());
    };
    for (name, patch) in entries {
        let Some(index) = names
            .iter()
            .position(|n| n.as_deref() == Some(name.as_str()))
        else {
            return Err(format!(
                "`patchOutputs.{name}` names no output of the component (it has {})",
                names
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let below = |path: &Vec<String>| match path.split_first() {
            Some((first, rest)) if first == name => Some(rest.to_vec()),
            _ => None,
        };
        let info = cue::PatchInfo {
            tags: patches
                .info
                .tags
                .iter()
                .filter_map(|(path, lines)| Some((below(path)?, lines.clone())))
                .collect(),
            open_lists: patches
                .info
                .open_lists
                .iter()
                .filter_map(|(path, element)| Some((below(path)?, element.clone())))
                .collect(),
        };
        patch::unify(&mut component[index], patch, &info)?;
    }
    Ok(())
}

/// A CUE trait's patch that does not unify with the workload (KubeVela refuses it too).
fn cue_patch_conflict(
    definition: &Definition,
    used_by: template::UsedBy<'_>,
    conflict: &str,
) -> Diagnostic {
    let span = definition
        .cue
        .as_ref()
        .map_or(definition.name.span, |c| c.text.span);
    Diagnostic::new(
        Code::CueEvaluation,
        span,
        format!(
            "the patch of {used_by} does not fit the workload: {}",
            printable(conflict)
        ),
    )
    .with_help("the workload already sets that field: give the patch field `// +patchStrategy=retainKeys` (or the list `// +patchKey=<field>`), as KubeVela's patch tags do")
}
