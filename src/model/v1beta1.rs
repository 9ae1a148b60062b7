//! Lowering OAM v1beta1 (`core.oam.dev/v1beta1`, KubeVela's dialect): an `Application` holds its
//! components inline (`{name, type, properties, traits}`) and may carry `override` policies that
//! differ per environment. One environment is applied here, so nothing later sees policies: the
//! app is lowered as that environment's deploy step would deploy it.

use std::collections::{HashMap, HashSet};

use super::definition::{self, Metadata, metadata_and_spec};
use super::fields::{Fields, wrong_type};
use super::{
    App, AppComponent, Component, ComponentRef, DataInput, DataOutput, InputTarget, Model,
    ScopeKind, ScopeRef, Text, TraitBinding,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::{Document, Key, Node, NodeValue};

/// Kinds that only a running KubeVela acts on; they change no rendered object.
const RUNTIME_KINDS: &[&str] = &[
    "WorkflowStepDefinition",
    "PolicyDefinition",
    "ResourceTracker",
    "ApplicationRevision",
    "DefinitionRevision",
];

/// Policy types that act at deploy time (garbage collection, ownership, health) and leave the
/// manifests alone.
const RUNTIME_POLICIES: &[&str] = &[
    "apply-once",
    "garbage-collect",
    "read-only",
    "take-over",
    "resource-update",
    "shared-resource",
    "replication",
    "health",
    "debug",
];

pub(super) fn lower(
    document: &Document,
    environment: Option<&str>,
    model: &mut Model,
    diags: &mut Diagnostics,
) {
    let Some(mut root) = Fields::of(&document.root, "", diags) else {
        return;
    };
    root.string("apiVersion", diags);
    root.string("kind", diags);
    let kind = document.kind.as_str();
    if kind == "Application" {
        let Some(app) = lower_application(&mut root, environment, model, diags) else {
            return;
        };
        model.apps.push(app);
    } else if let Some(definition_kind) = definition::kind_of(kind) {
        if !definition::lower(document, definition_kind, &mut root, model, diags) {
            return;
        }
    } else if RUNTIME_KINDS.contains(&kind) {
        let span = document
            .root
            .get("kind")
            .map_or(document.span(), |n| n.span);
        diags.push(
            Diagnostic::new(
                Code::NotRendered,
                span,
                format!("a {kind} acts only inside a running KubeVela; oam leaves it out"),
            )
            .with_help("drop it from the inputs, or keep it: it changes no rendered object"),
        );
        return;
    } else {
        let span = document
            .root
            .get("kind")
            .map_or(document.span(), |n| n.span);
        diags.push(
            Diagnostic::new(Code::UnknownOamKind, span, format!("`{}` has no kind `{kind}` that oam renders", document.api_version))
                .with_help("v1beta1 kinds are Application, ComponentDefinition, TraitDefinition, WorkloadDefinition and ScopeDefinition"),
        );
        return;
    }
    root.value("status");
    root.finish(diags);
}

/// A component entry as written, kept as nodes so that overrides merge with spans intact.
struct Entry<'n> {
    node: &'n Node,
    name: Text,
    type_name: Text,
    properties: Option<Node>,
    traits: Vec<TraitEntry>,
    scopes: Vec<ScopeRef>,
    data_outputs: Vec<DataOutput>,
    data_inputs: Vec<DataInput>,
    depends_on: Vec<Text>,
}

#[derive(Clone)]
struct TraitEntry {
    type_name: Text,
    properties: Option<Node>,
}

fn lower_application(
    root: &mut Fields<'_>,
    environment: Option<&str>,
    model: &mut Model,
    diags: &mut Diagnostics,
) -> Option<App> {
    let (metadata, mut spec) = metadata_and_spec(root, diags)?;
    let entries = spec.list_of("components", diags, lower_entry);
    let policies = spec.list_of("policies", diags, lower_policy);
    let steps = spec
        .object("workflow", diags)
        .map(|mut workflow| {
            let steps = deploy_steps(workflow.list("steps", diags), diags);
            workflow.value("mode");
            workflow.string("ref", diags);
            workflow.finish(diags);
            steps
        })
        .unwrap_or_default();
    spec.string("externalRevision", diags);
    spec.finish(diags);

    let mut namespace = metadata.namespace;
    let mut entries = entries;
    if let Some(wanted) = environment {
        let environments = environments(&policies, steps);
        if let Some(chosen) = choose(&environments, &policies, wanted) {
            model.environment_seen = true;
            // The first policy of each name, as a search in declaration order would find it.
            let by_name = super::first_of_each(&policies, |p| p.name.value.as_str());
            for name in &chosen {
                let Some(policy) = by_name.get(name.value.as_str()).map(|&at| &policies[at]) else {
                    diags.push(unknown_policy(name, &policies));
                    continue;
                };
                match &policy.effect {
                    Effect::Override(rules) => apply_override(&mut entries, rules),
                    Effect::Topology {
                        namespace: Some(ns),
                    } => namespace = Some(ns.clone()),
                    Effect::Topology { namespace: None } | Effect::None => {}
                }
            }
        } else if !environments.is_empty() {
            model.environment_seen = true; // reported here, not again for the whole run
            let names = environments.iter().map(|e| e.name.as_str());
            let listed = environments
                .iter()
                .map(|e| format!("`{}`", e.name))
                .collect::<Vec<_>>()
                .join(", ");
            diags.push(
                Diagnostic::new(
                    Code::UnknownEnvironment,
                    metadata.name.span,
                    format!("Application `{}` has no environment `{wanted}`", metadata.name.value),
                )
                .with_suggestion(wanted, names, "it declares none of that name")
                .with_help(format!("its environments are {listed} (the `deploy` steps of its workflow, or KubeVela's default for its policies)")),
            );
        }
    }
    let components = entries.into_iter().map(into_app_component).collect();
    Some(
        Metadata {
            namespace,
            ..metadata
        }
        .into_app("Application", components),
    )
}

fn lower_entry<'n>(node: &'n Node, diags: &mut Diagnostics) -> Option<Entry<'n>> {
    let mut fields = Fields::of(node, "spec.components[]", diags)?;
    let name = fields.required_string("name", diags);
    let type_name = fields.required_string("type", diags);
    let properties = fields.mapping("properties", diags).cloned();
    let traits = fields.list_of("traits", diags, lower_trait_entry);
    let scopes = fields
        .mapping("scopes", diags)
        .map(lower_scopes)
        .unwrap_or_default();
    let data_outputs = fields.list_of("outputs", diags, lower_output);
    let data_inputs = fields.list_of("inputs", diags, lower_input);
    let depends_on = fields.strings("dependsOn", diags);
    fields.string("externalRevision", diags);
    fields.finish(diags);
    Some(Entry {
        node,
        name: name?,
        type_name: type_name?,
        properties,
        traits,
        scopes,
        data_outputs,
        data_inputs,
        depends_on,
    })
}

fn lower_trait_entry(node: &Node, diags: &mut Diagnostics) -> Option<TraitEntry> {
    let mut fields = Fields::of(node, "traits[]", diags)?;
    let type_name = fields.required_string("type", diags);
    let properties = fields.mapping("properties", diags).cloned();
    fields.finish(diags);
    Some(TraitEntry {
        type_name: type_name?,
        properties,
    })
}

/// `scopes: {<ScopeDefinition name>: <scope name>}`.
fn lower_scopes(node: &Node) -> Vec<ScopeRef> {
    let NodeValue::Map(entries) = &node.value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(key, value)| {
            Some(ScopeRef {
                kind: ScopeKind::Definition(Text {
                    value: str::to_owned(&key.text),
                    span: key.span,
                }),
                name: Text {
                    value: value.as_str()?.to_owned(),
                    span: value.span,
                },
                span: value.span,
            })
        })
        .collect()
}

/// `outputs[]: {name, valueFrom}`; `valueFrom` reads the rendered workload (`output.<path>`).
/// Anything else (`outputs.<name>.…`, expressions) names what only the runtime has.
fn lower_output(node: &Node, diags: &mut Diagnostics) -> Option<DataOutput> {
    let mut fields = Fields::of(node, "outputs[]", diags)?;
    let name = fields.required_string("name", diags);
    let value_from = fields.required_string("valueFrom", diags);
    fields.finish(diags);
    let value_from = value_from?;
    let path = value_from
        .value
        .strip_prefix("output.")
        .unwrap_or(&value_from.value)
        .to_owned();
    Some(DataOutput {
        name: name?,
        field_path: Some(Text {
            value: path,
            span: value_from.span,
        }),
    })
}

/// `inputs[]: {from, parameterKey}`: the value becomes a property before the template renders.
fn lower_input(node: &Node, diags: &mut Diagnostics) -> Option<DataInput> {
    let mut fields = Fields::of(node, "inputs[]", diags)?;
    let from = fields.required_string("from", diags);
    let key = fields.string("parameterKey", diags);
    fields.finish(diags);
    Some(DataInput {
        from: from?,
        to_field_paths: key.into_iter().collect(),
        into: InputTarget::Parameters,
    })
}

fn into_app_component(mut entry: Entry<'_>) -> AppComponent {
    let spec_hash =
        super::revision::kubevela_spec_hash(&entry.type_name.value, entry.properties.as_ref());
    // The workload the model knows: `type` plus its parameters under `spec`, as the v1alpha2
    // `type:` shorthand writes it; its value is its node's.
    let mut workload_entries = Vec::new();
    if let Some(properties) = entry.properties.take() {
        workload_entries.push((
            Key {
                text: "spec".into(),
                span: properties.span,
            },
            properties,
        ));
    }
    let component = Component {
        name: entry.name.clone(),
        labels: Vec::new(),
        annotations: Vec::new(),
        workload_value: None,
        workload_span: entry.type_name.span,
        workload_node: Node {
            span: entry.node.span,
            value: NodeValue::Map(workload_entries.into_boxed_slice()),
        },
        workload_type: Some(entry.type_name),
        parameters: Vec::new(),
        spec_hash,
        stored_revision: None,
    };
    let traits = entry
        .traits
        .into_iter()
        .map(|t| TraitBinding {
            object_value: None,
            span: t.type_name.span,
            parameters_node: t.properties,
            named: Some(t.type_name),
            data_outputs: Vec::new(),
            data_inputs: Vec::new(),
        })
        .collect();
    AppComponent {
        component: ComponentRef::Inline(Box::new(component)),
        span: entry.name.span,
        parameter_values: Vec::new(),
        traits,
        scopes: entry.scopes,
        data_outputs: entry.data_outputs,
        data_inputs: entry.data_inputs,
        depends_on: entry.depends_on,
    }
}

struct Policy {
    name: Text,
    type_name: Text,
    effect: Effect,
}

enum Effect {
    Override(Override),
    /// Clusters do not exist offline; a topology's namespace still places the objects.
    Topology {
        namespace: Option<String>,
    },
    None,
}

/// An `override` policy: property and trait changes per component, and which components stay.
struct Override {
    rules: Vec<Rule>,
    selector: Option<Vec<Text>>,
}

struct Rule {
    name: Option<Text>,
    type_name: Option<Text>,
    properties: Option<Node>,
    traits: Vec<TraitRule>,
}

struct TraitRule {
    entry: TraitEntry,
    disable: bool,
}

fn lower_policy(node: &Node, diags: &mut Diagnostics) -> Option<Policy> {
    let mut fields = Fields::of(node, "spec.policies[]", diags)?;
    let name = fields.required_string("name", diags);
    let type_name = fields.required_string("type", diags);
    let properties = fields.node("properties");
    fields.finish(diags);
    let (name, type_name) = (name?, type_name?);
    let effect = match type_name.value.as_str() {
        "override" => Effect::Override(lower_override(properties, diags)?),
        "topology" => {
            let mut namespace = None;
            if let Some(mut topology) =
                properties.and_then(|p| Fields::of(p, "topology.properties", diags))
            {
                namespace = topology.string("namespace", diags).map(|n| n.value);
                topology.strings("clusters", diags);
                topology.value("clusterLabelSelector");
                topology.value("clusterSelector");
                topology.bool("allowEmpty", diags);
                topology.finish(diags);
            }
            Effect::Topology { namespace }
        }
        kind if RUNTIME_POLICIES.contains(&kind) => Effect::None,
        kind => {
            diags.push(
                Diagnostic::new(Code::NotRendered, type_name.span, format!("policy `{}` of type `{kind}` is not applied: oam applies override and topology policies", name.value))
                    .with_suggestion(kind, ["override", "topology"], "not a policy type oam applies")
                    .with_help("the objects render without it; if it changes manifests, express the change as an override policy"),
            );
            Effect::None
        }
    };
    Some(Policy {
        name,
        type_name,
        effect,
    })
}

fn lower_override(properties: Option<&Node>, diags: &mut Diagnostics) -> Option<Override> {
    let Some(properties) = properties else {
        return Some(Override {
            rules: Vec::new(),
            selector: None,
        });
    };
    let mut fields = Fields::of(properties, "override.properties", diags)?;
    let rules = fields.list_of("components", diags, |node, diags| {
        let mut fields = Fields::of(node, "override.properties.components[]", diags)?;
        let name = fields.string("name", diags);
        let type_name = fields.string("type", diags);
        let properties = fields.mapping("properties", diags).cloned();
        let traits = fields.list_of("traits", diags, |node, diags| {
            let mut fields = Fields::of(node, "override traits[]", diags)?;
            let type_name = fields.required_string("type", diags);
            let properties = fields.mapping("properties", diags).cloned();
            let disable = fields.bool("disable", diags).unwrap_or(false);
            fields.finish(diags);
            Some(TraitRule {
                entry: TraitEntry {
                    type_name: type_name?,
                    properties,
                },
                disable,
            })
        });
        fields.finish(diags);
        Some(Rule {
            name,
            type_name,
            properties,
            traits,
        })
    });
    let selector = fields
        .node("selector")
        .is_some()
        .then(|| fields.strings("selector", diags));
    fields.finish(diags);
    Some(Override { rules, selector })
}

/// A place an Application deploys to: a `deploy` step and the policies it applies.
struct Environment {
    name: String,
    policies: Vec<Text>,
}

/// The `deploy` steps of a workflow, `step-group`s included.
fn deploy_steps(steps: &[Node], diags: &mut Diagnostics) -> Vec<Environment> {
    let mut out = Vec::new();
    for step in steps {
        let Some(mut fields) = Fields::of(step, "workflow.steps[]", diags) else {
            continue;
        };
        let name = fields.string("name", diags);
        let type_name = fields.string("type", diags);
        let sub_steps = fields.list("subSteps", diags);
        let properties = fields.node("properties");
        // The rest of a step steers the run (ordering, timeouts, conditions, data).
        for key in [
            "dependsOn",
            "inputs",
            "outputs",
            "if",
            "timeout",
            "meta",
            "mode",
        ] {
            fields.node(key);
        }
        fields.finish(diags);
        match type_name.as_ref().map(|t| t.value.as_str()) {
            Some("deploy") => {
                let policies = properties
                    .and_then(|p| p.get("policies"))
                    .map(|p| match &p.value {
                        NodeValue::List(items) => items
                            .iter()
                            .filter_map(|i| {
                                Some(Text {
                                    value: i.as_str()?.to_owned(),
                                    span: i.span,
                                })
                            })
                            .collect(),
                        _ => {
                            diags.push(wrong_type(
                                p,
                                "deploy properties.policies",
                                "a list of policy names",
                            ));
                            Vec::new()
                        }
                    })
                    .unwrap_or_default();
                if let Some(name) = name {
                    out.push(Environment {
                        name: name.value,
                        policies,
                    });
                }
            }
            Some("step-group") => out.extend(deploy_steps(sub_steps, diags)),
            _ => {}
        }
    }
    out
}

/// The Application's environments: its deploy steps, or, without any, what KubeVela's default
/// workflow makes of its policies (a `deploy-<topology>` per topology policy, each with every
/// override policy; with no topology, one `deploy` with every override).
fn environments(policies: &[Policy], steps: Vec<Environment>) -> Vec<Environment> {
    if !steps.is_empty() {
        return steps;
    }
    let of_type = |kind: &str| -> Vec<Text> {
        policies
            .iter()
            .filter(|p| p.type_name.value == kind)
            .map(|p| p.name.clone())
            .collect()
    };
    let (topologies, overrides) = (of_type("topology"), of_type("override"));
    if topologies.is_empty() {
        if overrides.is_empty() {
            return Vec::new();
        }
        return vec![Environment {
            name: "deploy".to_owned(),
            policies: overrides,
        }];
    }
    topologies
        .into_iter()
        .map(|topology| Environment {
            name: format!("deploy-{}", topology.value),
            policies: std::iter::once(topology)
                .chain(overrides.iter().cloned())
                .collect(),
        })
        .collect()
}

/// The policies of environment `wanted`: a deploy step of that name; else the environment that
/// applies the topology policy of that name; else the override policy of that name alone.
fn choose(environments: &[Environment], policies: &[Policy], wanted: &str) -> Option<Vec<Text>> {
    if let Some(environment) = environments.iter().find(|e| e.name == wanted) {
        return Some(environment.policies.clone());
    }
    let is_topology = |name: &Text| {
        name.value == wanted
            && policies
                .iter()
                .any(|p| p.name.value == wanted && p.type_name.value == "topology")
    };
    if let Some(environment) = environments
        .iter()
        .find(|e| e.policies.iter().any(is_topology))
    {
        return Some(environment.policies.clone());
    }
    policies
        .iter()
        .find(|p| p.name.value == wanted && matches!(p.effect, Effect::Override(_)))
        .map(|p| vec![p.name.clone()])
}

fn unknown_policy(name: &Text, policies: &[Policy]) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownPolicy,
        name.span,
        format!("no policy named `{}` in this Application", name.value),
    )
    .with_suggestion(
        &name.value,
        policies.iter().map(|p| p.name.value.as_str()),
        "spec.policies declares none of that name",
    )
    .with_help("declare the policy under spec.policies, or fix the name in the deploy step")
}

/// Applies an override policy: matching components get their properties merged (maps deep,
/// lists replaced, as KubeVela's mergo) and their traits merged, added or disabled.
fn apply_override(entries: &mut Vec<Entry<'_>>, policy: &Override) {
    // Rules that name one component exactly are found by that name; the others (a pattern, or
    // no name) are weighed for every component. Thousands of rules, one per component, are
    // then not weighed for every component.
    let mut exact: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut every = Vec::new();
    for (i, rule) in policy.rules.iter().enumerate() {
        match rule.name.as_ref().filter(|n| !n.value.contains('*')) {
            Some(name) => exact.entry(name.value.as_str()).or_default().push(i),
            None => every.push(i),
        }
    }
    for entry in entries.iter_mut() {
        let mut weighed: Vec<usize> = exact
            .get(entry.name.value.as_str())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .chain(&every)
            .copied()
            .collect();
        weighed.sort_unstable();
        for rule in weighed.into_iter().map(|i| &policy.rules[i]) {
            let name_matches = rule
                .name
                .as_ref()
                .is_none_or(|n| wildcard_match(&n.value, &entry.name.value));
            let type_matches = rule
                .type_name
                .as_ref()
                .is_none_or(|t| t.value == entry.type_name.value);
            if !(name_matches && type_matches) {
                continue;
            }
            if let Some(patch) = &rule.properties {
                entry.properties = Some(merge(entry.properties.take(), patch));
            }
            for trait_rule in &rule.traits {
                let type_name = &trait_rule.entry.type_name.value;
                let existing = entry
                    .traits
                    .iter()
                    .position(|t| &t.type_name.value == type_name);
                match (existing, trait_rule.disable) {
                    (Some(i), true) => {
                        entry.traits.remove(i);
                    }
                    (Some(i), false) => {
                        if let Some(patch) = &trait_rule.entry.properties {
                            let t = &mut entry.traits[i];
                            t.properties = Some(merge(t.properties.take(), patch));
                        }
                    }
                    (None, false) => entry.traits.push(trait_rule.entry.clone()),
                    (None, true) => {}
                }
            }
        }
    }
    if let Some(selector) = &policy.selector {
        let selected: HashSet<&str> = selector.iter().map(|s| s.value.as_str()).collect();
        entries.retain(|e| selected.contains(e.name.value.as_str()));
    }
}

/// KubeVela's component-name patterns: `*` matches any run of characters.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// `patch` merged over `base`: mappings key by key, anything else replaced; a null in the patch
/// leaves the base value (mergo skips empty values).
fn merge(base: Option<Node>, patch: &Node) -> Node {
    let Some(mut base) = base else {
        return patch.clone();
    };
    match (&mut base.value, &patch.value) {
        (NodeValue::Map(entries), NodeValue::Map(changes)) => {
            let mut merged = std::mem::take(entries).into_vec();
            // Where each key is: a patch of many keys is not a search of the base per key.
            let mut at: HashMap<String, usize> = merged
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (str::to_owned(&k.text), i))
                .rev()
                .collect();
            for (key, value) in changes {
                if value.value == NodeValue::Null {
                    continue;
                }
                match at.get(&*key.text) {
                    Some(&i) => {
                        let existing = &mut merged[i].1;
                        *existing = merge(Some(existing.clone()), value);
                    }
                    None => {
                        at.insert(str::to_owned(&key.text), merged.len());
                        merged.push((key.clone(), value.clone()));
                    }
                }
            }
            *entries = merged.into_boxed_slice();
            base
        }
        (_, NodeValue::Null) => base,
        _ => patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards_match_like_kubevela() {
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("web-*", "web-front"));
        assert!(!wildcard_match("web-*", "api-front"));
        assert!(wildcard_match("*-db", "orders-db"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(wildcard_match("exact", "exact"));
        assert!(!wildcard_match("exact", "exactly"));
    }
}
