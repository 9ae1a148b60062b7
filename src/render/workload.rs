//! Instantiating one component of an app: the workload's name and namespace, its template or
//! the expansion of a core kind, then its traits. Follows the runtime's `render.go`.

use serde_json::{Map, Value};

use super::budget::Meter;
use super::template::{self, Templates};
use super::{containerized, labels, reference_to, traits};
use crate::check::Bound;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::Sources;
use crate::model::{App, InputTarget, Text, field, fieldpath, metadata_field};

pub(super) struct Context<'a, 'm> {
    pub(super) app: &'m App,
    pub(super) bound: &'a Bound<'m>,
    pub(super) namespace: Option<&'a str>,
    pub(super) templates: &'a Templates,
    /// What the app has spent of the run's budgets.
    pub(super) meter: &'a Meter,
}

impl Context<'_, '_> {
    /// The `context` a template sees: who it renders for (`name`: the workload's), and for a
    /// trait the component's named outputs.
    pub(super) fn template_context<'s>(
        &'s self,
        name: &'s str,
        outputs: Option<Value>,
    ) -> template::UseContext<'s> {
        template::UseContext::Component {
            app_name: &self.app.name.value,
            component_name: &self.bound.component.name.value,
            namespace: self.namespace,
            revision: &self.bound.revision,
            name,
            outputs,
            app_labels: &self.app.labels,
            app_annotations: &self.app.annotations,
        }
    }
}

/// What a component's render starts from, moved out of its bound form: the workload and each
/// trait's object.
#[derive(Default)]
pub(super) struct Taken {
    pub(super) workload: Value,
    pub(super) traits: Vec<Value>,
}

pub(super) struct RenderedComponent {
    /// The workload's objects first, then the traits'.
    pub(super) objects: Vec<Value>,
    /// The object traits and scopes refer to: the workload, or what it expanded into.
    pub(super) primary_reference: Value,
    /// Per bound trait: its first object, if the trait declares data outputs.
    pub(super) trait_objects: Vec<Option<Value>>,
}

/// Data input values, the paths to write them at, and what the paths are relative to.
pub(super) type Inputs<'m> = [(Value, &'m [Text], InputTarget)];

/// Names a template's unnamed objects after the component and labels them: the first as the
/// workload, the rest as KubeVela labels a component's other outputs (auxiliary workloads).
fn name_and_label(
    objects: &mut [Value],
    names: &[Option<String>],
    name: &str,
    context: &Context<'_, '_>,
) {
    let workload_type = &context.bound.workload_type;
    for (index, object) in objects.iter_mut().enumerate() {
        if name_of(object).is_none() {
            set_metadata(object, "name", Value::String(name.to_owned()));
        }
        let resource = if index == 0 || !context.app.is_kubevela() {
            labels::Resource::Workload(workload_type)
        } else {
            labels::Resource::Auxiliary(names.get(index).and_then(Option::as_deref))
        };
        labels::place(object, context, resource);
    }
}

/// Renders a component; `inputs` go into its workload, `trait_inputs[i]` into its i-th trait.
pub(super) fn render_component(
    context: &Context<'_, '_>,
    own: Taken,
    inputs: &Inputs<'_>,
    trait_inputs: &[Vec<(Value, &[Text], InputTarget)>],
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<RenderedComponent> {
    let bound = context.bound;
    let mut workload = own.workload;
    if !write_inputs(&mut workload, inputs, InputTarget::Parameters, diags) {
        return None;
    }
    // The runtime's SetWorkloadInstanceName: a set name is kept; a revisionEnabled trait names
    // the workload after the revision; otherwise the component's name.
    let name = match name_of(&workload) {
        Some(name) => name.to_owned(),
        None if bound.revision_enabled() => bound.revision.clone(),
        None => bound.component.name.value.clone(),
    };
    // A CUE template's names for its objects (`outputs: service: ...`), which traits see.
    let mut names: Vec<Option<String>> = Vec::new();
    let mut objects = match bound.workload_definition.filter(|d| d.renders()) {
        Some(definition) => {
            // The workload gives its metadata to the first object; its spec is the parameters.
            let parameter = template::parameters_of(workload.get_mut("spec").map(Value::take));
            let site = template::Use {
                definition,
                parameter: &parameter,
                source: bound.component.workload_node.get("spec"),
                context: context.template_context(&name, None),
                workload: None,
                used_by: template::UsedBy::Component(&bound.component.name.value),
            };
            let output = context
                .templates
                .render(&site, false, context.meter, sources, diags)?;
            if output.objects.is_empty() {
                diags.push(
                    Diagnostic::new(Code::TemplateOutput, bound.entry.span, format!("the template of WorkloadDefinition `{}` rendered no object", definition.name.value))
                        .with_help("a workload template renders at least one object; the first is the workload traits refer to"),
                );
                return None;
            }
            names = output.names;
            let mut objects = output.objects;
            // What the Component and the `type:` shorthand put on the workload goes on the first object.
            inherit_metadata(&mut objects[0], &workload);
            name_and_label(&mut objects, &names, &name, context);
            objects
        }
        None => {
            set_metadata(&mut workload, "name", Value::String(name));
            labels::place(
                &mut workload,
                context,
                labels::Resource::Workload(&bound.workload_type),
            );
            match containerized::expand(&workload) {
                None => vec![workload],
                Some(Ok(objects)) => objects,
                Some(Err(reason)) => {
                    diags.push(
                        Diagnostic::new(Code::WorkloadInvalid, bound.component.workload_span, format!("Component `{}`: {reason}", bound.component.name.value))
                            .with_help("a Worker or SingletonWorker has no Service; its containers declare no ports (as in rudr)"),
                    );
                    return None;
                }
            }
        }
    };

    // Data inputs land in the workload before its traits see it.
    if !write_inputs(&mut objects[0], inputs, InputTarget::Object, diags) {
        return None;
    }
    let trait_objects = traits::render(
        context,
        &mut objects,
        &names,
        own.traits,
        trait_inputs,
        sources,
        diags,
    )?;
    let primary_reference = reference_to(&objects[0]);
    for (mut object, path) in trait_objects.with_reference {
        let Ok(segments) = fieldpath::parse(&path.value) else {
            diags.push(fieldpath::invalid(path, "workloadRefPath"));
            continue;
        };
        if let Err(reason) = fieldpath::set(&mut object, &segments, primary_reference.clone()) {
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
        objects.push(object);
    }
    objects.extend(trait_objects.plain);
    keep_last_of_each(&mut objects);
    Some(RenderedComponent {
        objects,
        primary_reference,
        trait_objects: trait_objects.declaring_outputs,
    })
}

/// A component's object that a later one of the same identity replaces, as KubeVela applies
/// them in order (a webservice's Service and a gateway's Service of the same name: the
/// gateway's is what the cluster gets). The last object of an identity takes the place of its
/// first.
fn keep_last_of_each(objects: &mut Vec<Value>) {
    fn identity(o: &Value) -> [&str; 4] {
        fn text(v: Option<&Value>) -> &str {
            v.and_then(Value::as_str).unwrap_or_default()
        }
        let api_version = text(field(o, "apiVersion"));
        [
            api_version.rsplit_once('/').map_or("", |(group, _)| group),
            text(field(o, "kind")),
            text(metadata_field(o, "namespace")),
            text(metadata_field(o, "name")),
        ]
    }
    let ids: Vec<[&str; 4]> = objects.iter().map(identity).collect();
    // Where each kept object comes from, in the order of first places; few objects a component.
    let sources: Vec<usize> = (0..ids.len())
        .filter(|&i| !ids[..i].contains(&ids[i]))
        .map(|i| ids.iter().rposition(|id| *id == ids[i]).unwrap_or(i))
        .collect();
    if sources.len() == objects.len() {
        return;
    }
    let mut slots: Vec<Option<Value>> = std::mem::take(objects).into_iter().map(Some).collect();
    *objects = sources.iter().filter_map(|&s| slots[s].take()).collect();
}

/// Writes the data input values meant for `target` into `object` (a rendered object, or one
/// whose `spec` holds a template's parameters); false (and diagnostics) if a path cannot be set.
pub(super) fn write_inputs(
    object: &mut Value,
    inputs: &Inputs<'_>,
    target: InputTarget,
    diags: &mut Diagnostics,
) -> bool {
    let mut written = true;
    for (value, paths, into) in inputs {
        if *into != target {
            continue;
        }
        let destination = match target {
            InputTarget::Object => &mut *object,
            InputTarget::Parameters => {
                let Some(map) = object.as_object_mut() else {
                    return false;
                };
                map.entry("spec")
                    .or_insert_with(|| Value::Object(Map::new()))
            }
        };
        for path in *paths {
            written &= write_input(destination, path, value, diags);
        }
    }
    written
}

fn write_input(object: &mut Value, path: &Text, value: &Value, diags: &mut Diagnostics) -> bool {
    let Ok(segments) = fieldpath::parse(&path.value) else {
        diags.push(fieldpath::invalid(path, "toFieldPaths"));
        return false;
    };
    match fieldpath::set(object, &segments, value.clone()) {
        Ok(()) => true,
        Err(reason) => {
            diags.push(
                Diagnostic::new(
                    Code::FieldPathNotSettable,
                    path.span,
                    format!("cannot write the data input at `{}`: {reason}", path.value),
                )
                .with_help("point toFieldPaths into objects and lists of the rendered workload"),
            );
            false
        }
    }
}

/// `metadata.name`, if set and not empty.
pub(super) fn name_of(object: &Value) -> Option<&str> {
    metadata_field(object, "name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
}

/// Labels and annotations of `from` fill the keys `object` does not set.
fn inherit_metadata(object: &mut Value, from: &Value) {
    for key in ["labels", "annotations"] {
        let Some(entries) = metadata_field(from, key).and_then(Value::as_object) else {
            continue;
        };
        if let Some(target) = labels::metadata_map(object, key) {
            for (k, v) in entries {
                target.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

pub(super) fn set_metadata(object: &mut Value, key: &str, value: Value) {
    if let Some(object) = object.as_object_mut() {
        let metadata = object
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(metadata) = metadata.as_object_mut() {
            // name and namespace lead, as people write them.
            let position = match key {
                "name" => Some(0),
                "namespace" => Some(usize::from(metadata.contains_key("name"))),
                _ => None,
            };
            match position {
                Some(index) if !metadata.contains_key(key) => {
                    metadata.shift_insert(index, key.to_owned(), value);
                }
                _ => {
                    metadata.insert(key.to_owned(), value);
                }
            }
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
        diags.push(fieldpath::invalid(path, "workloadRefsPath"));
        return;
    };
    let mut list = fieldpath::get(object, &segments)
        .and_then(Value::as_array)
        .cloned()
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::keep_last_of_each;

    fn object(kind: &str, name: &str, namespace: Option<&str>, mark: u32) -> Value {
        let mut metadata = json!({"name": name});
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        json!({"apiVersion": "v1", "kind": kind, "metadata": metadata, "mark": mark})
    }

    fn marks(objects: &[Value]) -> Vec<u64> {
        objects.iter().filter_map(|o| o["mark"].as_u64()).collect()
    }

    #[test]
    fn the_last_object_of_an_identity_takes_the_place_of_the_first() {
        let mut objects = vec![
            object("Service", "web", None, 1),
            object("Deployment", "web", None, 2),
            object("Service", "web", None, 3),
            object("Service", "web", Some("other"), 4),
            object("Service", "web", None, 5),
            object("ConfigMap", "web", None, 6),
        ];
        keep_last_of_each(&mut objects);
        // Three Services of one identity: the cluster ends with the last applied, 5.
        assert_eq!(marks(&objects), [5, 2, 4, 6]);
    }

    #[test]
    fn the_group_not_the_version_makes_the_identity() {
        let mut objects = vec![
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "a"}, "mark": 1}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "a"}, "mark": 2}),
            json!({"kind": "HorizontalPodAutoscaler", "metadata": {"name": "a"}, "mark": 3}),
        ];
        keep_last_of_each(&mut objects);
        assert_eq!(marks(&objects), [2, 3]);
    }
}
