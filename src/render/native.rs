//! The built-in pod family (`webservice`, `statefulset`, `worker`) and the `hpa` trait,
//! rendered in Rust.
//!
//! Their templates (src/model/builtins) stay what defines them: `oam describe` shows them, the
//! CUE oracle proves them against KubeVela's, and a user's definition of the same name replaces
//! them. But running a template engine over every component and reading its JSON text back was
//! 43 % of the instructions of a render of ordinary apps, so each function here writes the
//! value its template writes, key for key and in the same order. A renderer handles the
//! parameter shapes it knows; for any other (a port that is not an integer, a volume type
//! that is not text, a field the template would fail on) it returns `None` and the template renders, so the template
//! alone decides every unusual case and every error. Tests render each case both ways
//! (`RenderOptions::builtin_templates`), and so does the pipeline fuzz target.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::template::{Use, UseContext};
use crate::load::Origin;
use crate::model::{DefinitionKind, field, lookup, metadata_field};

type Object = Map<String, Value>;

/// The fuel a template uses at most, before and per item of a list it loops over, measured
/// with minijinja's own count (a test renders the worst shape through the template within
/// this much fuel).
const BASE_FUEL: u64 = 1_000;
const FUEL_PER_ITEM: u64 = 200;

/// What a native renderer made.
pub(super) struct Rendered {
    pub(super) objects: Vec<Value>,
    /// The fuel the template would have used at most: the render is the template's only when
    /// the template would not have run out.
    pub(super) fuel: u64,
}

/// Renders `site` natively when its definition is a built-in this module knows and its
/// parameters have a shape the renderer handles; `None` otherwise.
pub(super) fn render(site: &Use<'_>) -> Option<Rendered> {
    let definition = site.definition;
    if definition.origin != Origin::Builtin {
        return None;
    }
    let parameter = site.parameter.as_object()?;
    let UseContext::Component {
        app_name,
        name,
        revision,
        ..
    } = &site.context
    else {
        return None;
    };
    let context = Names {
        app: app_name,
        name,
        revision,
    };
    let mut items = 0;
    let objects = match (definition.kind, definition.name.value.as_str()) {
        (DefinitionKind::Component, "webservice") => exposed(
            "Deployment",
            "webserviceExpose",
            parameter,
            &context,
            &mut items,
        )?,
        (DefinitionKind::Component, "statefulset") => exposed(
            "StatefulSet",
            "statefulsetsExpose",
            parameter,
            &context,
            &mut items,
        )?,
        (DefinitionKind::Component, "worker") => {
            let template = pod_template(parameter, labels(parameter)?, &context, &mut items)?;
            vec![workload("Deployment", template, &context)]
        }
        (DefinitionKind::Trait, "hpa") => {
            vec![hpa(parameter, site.workload.as_deref()?, &mut items)?]
        }
        _ => return None,
    };
    Some(Rendered {
        objects,
        fuel: BASE_FUEL + FUEL_PER_ITEM * items,
    })
}

/// Jinja's truth: undefined, none, false, zero and empty are false.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
    }
}

/// `map[key]` when it is true (what `{% if p.key %}...{{ p.key }}` writes).
fn given<'a>(map: &'a Object, key: &str) -> Option<&'a Value> {
    lookup(map, key).filter(|value| truthy(Some(value)))
}

/// Jinja's `a or b`: `a` when it is true, else `b` (`None`: undefined).
fn or<'a>(a: Option<&'a Value>, b: Option<&'a Value>) -> Option<&'a Value> {
    if truthy(a) { a } else { b }
}

/// How `{{ value }}` prints a string or an integer; `None` for what this module leaves to the
/// template (a float prints as minijinja formats it).
fn printed(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// A list the template loops over: `None` for a true value that is not a list (a loop over a
/// string or a map means something else), an empty list for a false one.
fn list_of(value: Option<&Value>) -> Option<&[Value]> {
    match value {
        Some(Value::Array(items)) => Some(items),
        value if truthy(value) => None,
        _ => Some(&[]),
    }
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

/// The names of the component a use renders for: (app, workload, revision).
struct Names<'a> {
    app: &'a str,
    name: &'a str,
    revision: &'a str,
}

impl Names<'_> {
    fn name(&self) -> Value {
        Value::from(self.name)
    }
}

/// `pod.j2`'s `port_name`: the port's name, else `port-<n>` with the protocol when not TCP.
fn port_name(port: &Object) -> Option<String> {
    if let Some(name) = given(port, "name") {
        return printed(name);
    }
    let number = printed(or(lookup(port, "containerPort"), lookup(port, "port"))?)?;
    let protocol = lookup(port, "protocol");
    if truthy(protocol) {
        let protocol = protocol?.as_str()?;
        if protocol != "TCP" {
            return Some(format!("port-{number}-{}", protocol.to_lowercase()));
        }
    }
    Some(format!("port-{number}"))
}

/// The `ports` parameter's items, each a map (what the template's loops read fields of).
fn ports(parameter: &Object) -> Option<Vec<&Object>> {
    let ports = list_of(lookup(parameter, "ports"))?;
    ports.iter().map(Value::as_object).collect()
}

/// The kinds of `volumeMounts`, in the order the template reads them.
const MOUNT_KINDS: [&str; 5] = ["pvc", "configMap", "secret", "emptyDir", "hostPath"];

/// The pod's volumes, each a map with its kind: `volumeMounts` by kind, else the legacy
/// `volumes` list, whose `type` says the kind (`emptyDir` without one); and whether they came
/// from the legacy list, whose mounts have no `subPath`.
fn volume_entries(parameter: &Object) -> Option<(Vec<(&str, &Object)>, bool)> {
    let mut entries = Vec::new();
    if let Some(mounts) = given(parameter, "volumeMounts") {
        let mounts = mounts.as_object()?;
        for kind in MOUNT_KINDS {
            for volume in list_of(lookup(mounts, kind))? {
                entries.push((kind, volume.as_object()?));
            }
        }
        return Some((entries, false));
    }
    for volume in list_of(lookup(parameter, "volumes"))? {
        let volume = volume.as_object()?;
        let kind = match given(volume, "type") {
            Some(kind) => kind.as_str()?,
            None => "emptyDir",
        };
        entries.push((kind, volume));
    }
    Some((entries, true))
}

/// `pod.j2`'s `volumes`: a volume for each name mounted (the first of a name), by its kind.
fn volumes(entries: &[(&str, &Object)]) -> Option<Value> {
    // A set, not the template's list: its fuel is charged only after the render, so the work
    // before must stay linear in the parameters, however many volumes they list.
    let mut names: HashSet<&str> = HashSet::new();
    let mut volumes = Vec::new();
    for (kind, volume) in entries {
        // `not in` compares as minijinja does; for text that is what `==` says here.
        let name = lookup(volume, "name")?.as_str()?;
        if !names.insert(name) {
            continue;
        }
        let field = |key: &str| lookup(volume, key).cloned();
        let (key, source) = match *kind {
            "pvc" => (
                "persistentVolumeClaim",
                object([("claimName", field("claimName")?)]),
            ),
            "configMap" | "secret" => {
                // The parameter's field, and the key the volume source writes it under.
                let (from, to) = if *kind == "secret" {
                    ("secretName", "secretName")
                } else {
                    ("cmName", "name")
                };
                let mut source = Object::new();
                source.insert("defaultMode".into(), field("defaultMode")?);
                source.insert(to.into(), field(from)?);
                if let Some(items) = given(volume, "items") {
                    source.insert("items".into(), items.clone());
                }
                (*kind, Value::Object(source))
            }
            "hostPath" => ("hostPath", object([("path", field("path")?)])),
            _ => {
                let medium = given(volume, "medium").cloned();
                let medium = medium.unwrap_or_else(|| Value::from(""));
                ("emptyDir", object([("medium", medium)]))
            }
        };
        volumes.push(object([("name", Value::from(name)), (key, source)]));
    }
    Some(Value::Array(volumes))
}

/// `pod.j2`'s `container`: the main container.
fn container(
    parameter: &Object,
    name: Value,
    volumes: &(Vec<(&str, &Object)>, bool),
    items: &mut u64,
) -> Option<Value> {
    let p = parameter;
    let mut container = Object::new();
    container.insert("name".into(), name);
    container.insert("image".into(), lookup(p, "image")?.clone());
    for (from, to) in [
        ("imagePullPolicy", "imagePullPolicy"),
        ("cmd", "command"),
        ("args", "args"),
    ] {
        if let Some(value) = given(p, from) {
            container.insert(to.into(), value.clone());
        }
    }
    if truthy(lookup(p, "ports")) {
        let mut written = Vec::new();
        let ports = ports(p)?;
        // Three loops over the ports: the container's, `selectattr` and the Service's.
        *items += 3 * ports.len() as u64;
        for port in ports {
            let protocol = given(port, "protocol")
                .cloned()
                .unwrap_or_else(|| Value::from("TCP"));
            written.push(object([
                (
                    "containerPort",
                    or(lookup(port, "containerPort"), lookup(port, "port"))?.clone(),
                ),
                ("protocol", protocol),
                ("name", Value::String(port_name(port)?)),
            ]));
        }
        container.insert("ports".into(), Value::Array(written));
    } else if let Some(port) = given(p, "port") {
        let port = object([("containerPort", port.clone())]);
        container.insert("ports".into(), Value::Array(vec![port]));
    }
    if let Some(env) = given(p, "env") {
        container.insert("env".into(), env.clone());
    }
    let (cpu, memory) = (lookup(p, "cpu"), lookup(p, "memory"));
    if cpu.is_some() || memory.is_some() {
        let limit = match lookup(p, "limit") {
            Some(Value::Object(limit)) => Some(limit),
            limit if truthy(limit) => return None,
            _ => None,
        };
        let mut requests = Object::new();
        let mut limits = Object::new();
        for (key, request) in [("cpu", cpu), ("memory", memory)] {
            if let Some(request) = request {
                requests.insert(key.into(), request.clone());
                let limit = or(limit.and_then(|l| lookup(l, key)), Some(request));
                limits.insert(key.into(), limit?.clone());
            }
        }
        container.insert(
            "resources".into(),
            object([
                ("requests", Value::Object(requests)),
                ("limits", Value::Object(limits)),
            ]),
        );
    }
    let (entries, legacy) = volumes;
    if !entries.is_empty() {
        let mut mounts = Vec::new();
        for (_, volume) in entries {
            let mut mount = Object::new();
            mount.insert("name".into(), lookup(volume, "name")?.clone());
            mount.insert("mountPath".into(), lookup(volume, "mountPath")?.clone());
            if let Some(sub_path) = given(volume, "subPath").filter(|_| !*legacy) {
                mount.insert("subPath".into(), sub_path.clone());
            }
            mounts.push(Value::Object(mount));
        }
        container.insert("volumeMounts".into(), Value::Array(mounts));
    }
    for probe in ["livenessProbe", "readinessProbe"] {
        if let Some(value) = given(p, probe) {
            container.insert(probe.into(), value.clone());
        }
    }
    Some(Value::Object(container))
}

/// `pod.j2`'s `template`: the pod's labels (`labels` are the parameter's as the caller made
/// them), annotations and spec.
fn pod_template(
    parameter: &Object,
    mut labels: Object,
    context: &Names<'_>,
    items: &mut u64,
) -> Option<Value> {
    let p = parameter;
    labels.insert("app.oam.dev/name".into(), Value::from(context.app));
    labels.insert("app.oam.dev/component".into(), context.name());
    let mut metadata = Object::new();
    metadata.insert("labels".into(), Value::Object(labels));
    if let Some(annotations) = given(p, "annotations") {
        metadata.insert("annotations".into(), annotations.clone());
    }
    let mut spec = Object::new();
    let mounted = volume_entries(p)?;
    let container = container(p, context.name(), &mounted, items)?;
    spec.insert("containers".into(), Value::Array(vec![container]));
    if let Some(aliases) = given(p, "hostAliases") {
        spec.insert("hostAliases".into(), aliases.clone());
    }
    let secrets = list_of(lookup(p, "imagePullSecrets"))?;
    if !secrets.is_empty() {
        *items += secrets.len() as u64;
        let secrets = secrets
            .iter()
            .map(|secret| object([("name", secret.clone())]))
            .collect();
        spec.insert("imagePullSecrets".into(), Value::Array(secrets));
    }
    if truthy(lookup(p, "volumeMounts")) || truthy(lookup(p, "volumes")) {
        let (entries, _) = &mounted;
        // The kinds' loops, then the mounts', the volumes' gathering and their writing.
        *items += 5 + 3 * entries.len() as u64;
        spec.insert("volumes".into(), volumes(entries)?);
    }
    Some(object([
        ("metadata", Value::Object(metadata)),
        ("spec", Value::Object(spec)),
    ]))
}

/// The parameter's pod labels: `dict(p.labels or {})`.
fn labels(parameter: &Object) -> Option<Object> {
    match lookup(parameter, "labels") {
        Some(Value::Object(labels)) => Some(labels.clone()),
        labels if truthy(labels) => None,
        _ => Some(Object::new()),
    }
}

/// The `metadata` of an object a built-in renders besides the workload: its name, labelled
/// with KubeVela's name for the output.
fn resource_metadata(name: Value, resource: &str) -> Value {
    object([
        ("name", name),
        (
            "labels",
            object([("trait.oam.dev/resource", Value::from(resource))]),
        ),
    ])
}

/// A workload of `kind` selecting its component's pods.
fn workload(kind: &str, template: Value, context: &Names<'_>) -> Value {
    let selector = object([(
        "matchLabels",
        object([("app.oam.dev/component", context.name())]),
    )]);
    object([
        ("apiVersion", Value::from("apps/v1")),
        ("kind", Value::from(kind)),
        (
            "spec",
            object([("selector", selector), ("template", template)]),
        ),
    ])
}

/// `pod.j2`'s `exposed`: the workload, then a Service for the ports with `expose: true`,
/// labelled with KubeVela's name for that output.
fn exposed(
    kind: &str,
    output: &str,
    parameter: &Object,
    context: &Names<'_>,
    items: &mut u64,
) -> Option<Vec<Value>> {
    let p = parameter;
    let mut pod_labels = labels(p)?;
    if truthy(lookup(p, "addRevisionLabel")) {
        pod_labels.insert("app.oam.dev/revision".into(), Value::from(context.revision));
    }
    let template = pod_template(p, pod_labels, context, items)?;
    let mut objects = vec![workload(kind, template, context)];
    let exposed: Vec<&Object> = if truthy(lookup(p, "ports")) {
        ports(p)?
            .into_iter()
            .filter(|port| truthy(lookup(port, "expose")))
            .collect()
    } else {
        Vec::new()
    };
    if exposed.is_empty() {
        return Some(objects);
    }
    let node_ports = lookup(p, "exposeType").and_then(Value::as_str) == Some("NodePort");
    let mut service_ports = Vec::new();
    for port in exposed {
        let mut entry = Object::new();
        entry.insert("port".into(), lookup(port, "port")?.clone());
        let target = or(lookup(port, "containerPort"), lookup(port, "port"))?;
        entry.insert("targetPort".into(), target.clone());
        entry.insert("name".into(), Value::String(port_name(port)?));
        if let Some(node_port) = given(port, "nodePort").filter(|_| node_ports) {
            entry.insert("nodePort".into(), node_port.clone());
        }
        entry.insert("protocol".into(), lookup(port, "protocol")?.clone());
        service_ports.push(Value::Object(entry));
    }
    let name = context.name();
    objects.push(object([
        ("apiVersion", Value::from("v1")),
        ("kind", Value::from("Service")),
        ("metadata", resource_metadata(name.clone(), output)),
        (
            "spec",
            object([
                ("selector", object([("app.oam.dev/component", name)])),
                ("ports", Value::Array(service_ports)),
                ("type", lookup(p, "exposeType")?.clone()),
            ]),
        ),
    ]));
    Some(objects)
}

/// The `hpa` trait: an autoscaling/v2 HorizontalPodAutoscaler of the workload.
fn hpa(parameter: &Object, workload: &Value, items: &mut u64) -> Option<Value> {
    let p = parameter;
    let name = metadata_field(workload, "name")?;
    // `{{ parameter.min }}` prints the number: an integer reads back as itself.
    let replicas = |key: &str| lookup(p, key).filter(|n| n.is_i64() || n.is_u64()).cloned();
    let target = |metric: &Value| -> Option<Value> {
        let value = field(metric, "value")?.clone();
        Some(
            if field(metric, "type").and_then(Value::as_str) == Some("Utilization") {
                object([
                    ("type", Value::from("Utilization")),
                    ("averageUtilization", value),
                ])
            } else {
                object([
                    ("type", Value::from("AverageValue")),
                    ("averageValue", value),
                ])
            },
        )
    };
    let resource = |name: &str, metric: &Value| -> Option<Value> {
        Some(object([
            ("type", Value::from("Resource")),
            (
                "resource",
                object([("name", Value::from(name)), ("target", target(metric)?)]),
            ),
        ]))
    };
    let mut metrics = vec![resource(
        "cpu",
        lookup(p, "cpu").filter(|m| m.is_object())?,
    )?];
    if truthy(lookup(p, "mem")) {
        metrics.push(resource(
            "memory",
            lookup(p, "mem").filter(|m| m.is_object())?,
        )?);
    }
    let custom = list_of(lookup(p, "podCustomMetrics"))?;
    *items += custom.len() as u64;
    for metric in custom {
        let metric = metric.as_object()?;
        let target = object([
            ("type", Value::from("AverageValue")),
            ("averageValue", lookup(metric, "value")?.clone()),
        ]);
        metrics.push(object([
            ("type", Value::from("Pods")),
            (
                "pods",
                object([
                    (
                        "metric",
                        object([("name", lookup(metric, "name")?.clone())]),
                    ),
                    ("target", target),
                ]),
            ),
        ]));
    }
    let scale_target = object([
        ("apiVersion", lookup(p, "targetAPIVersion")?.clone()),
        ("kind", lookup(p, "targetKind")?.clone()),
        ("name", name.clone()),
    ]);
    Some(object([
        ("apiVersion", Value::from("autoscaling/v2")),
        ("kind", Value::from("HorizontalPodAutoscaler")),
        ("metadata", resource_metadata(name.clone(), "hpa")),
        (
            "spec",
            object([
                ("scaleTargetRef", scale_target),
                ("minReplicas", replicas("min")?),
                ("maxReplicas", replicas("max")?),
                ("metrics", Value::Array(metrics)),
            ]),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::template::{TemplateLimits, Templates, Use, UseContext, UsedBy};
    use crate::check::{ParameterUse, Schemas};
    use crate::diag::{Diagnostics, Span};
    use crate::load::{FileId, Sources};
    use crate::model::{Definition, DefinitionKind, Model};

    /// The built-in library, its schemas, and its templates without native renderers.
    struct Library {
        model: Model,
        sources: Sources,
    }

    impl Library {
        fn new() -> Library {
            let (model, sources) = crate::model::builtin_model();
            Library { model, sources }
        }

        fn definition(&self, kind: DefinitionKind, name: &str) -> &Definition {
            let found = self
                .model
                .definitions
                .iter()
                .find(|d| d.kind == kind && d.name.value == name);
            found.expect("a built-in")
        }

        /// `parameter` without the fields `definition` does not declare (the pod family's
        /// types declare different subsets of the same parameters).
        fn declared(&self, kind: DefinitionKind, name: &str, mut parameter: Value) -> Value {
            let schema = self
                .definition(kind, name)
                .schema
                .as_ref()
                .expect("a schema");
            if let Some(fields) = parameter.as_object_mut() {
                fields.retain(|field, _| schema.value["properties"].get(field).is_some());
            }
            parameter
        }

        /// Each parameter set the schema accepts, with its defaults filled in, rendered natively
        /// and by the template: they must agree whenever the native renderer renders. Returns
        /// how many were valid and how many rendered natively.
        fn compare(
            &mut self,
            kind: DefinitionKind,
            name: &str,
            cases: impl Iterator<Item = Value>,
            workload: Option<&Value>,
            limits: TemplateLimits,
        ) -> (usize, usize) {
            let mut diags = Diagnostics::default();
            let schemas = Schemas::compile(&self.model, &mut diags);
            let options = crate::RenderOptions {
                template_limits: limits,
                ..crate::RenderOptions::default()
            }
            .builtin_templates(true);
            let templates = Templates::compile(&self.model, &options, &self.sources, &mut diags);
            let definition = self.definition(kind, name);
            let (mut valid, mut native) = (0, 0);
            for mut parameter in cases {
                if !fill(
                    &schemas,
                    definition,
                    &mut parameter,
                    &mut Diagnostics::default(),
                ) {
                    continue;
                }
                valid += 1;
                let site = use_of(definition, &parameter, workload);
                let Some(rendered) = super::render(&site) else {
                    continue;
                };
                native += 1;
                let mut sources = Sources::default();
                let by_template = templates
                    .render(
                        &site,
                        kind == DefinitionKind::Trait,
                        &crate::render::budget::Meter::default(),
                        &mut sources,
                        &mut Diagnostics::default(),
                    )
                    .unwrap_or_else(|| panic!("{name}: the template failed on {parameter:#}"));
                // As text: maps compare equal whatever the order of their keys.
                assert_eq!(
                    Value::Array(rendered.objects).to_string(),
                    Value::Array(by_template.objects).to_string(),
                    "{name} rendered natively (left) and by its template (right), parameters {parameter:#}"
                );
            }
            (valid, native)
        }
    }

    /// Validates `parameter` against the definition's schema, filling in its defaults.
    fn fill(
        schemas: &Schemas<'_>,
        definition: &Definition,
        parameter: &mut Value,
        diags: &mut Diagnostics,
    ) -> bool {
        let at = ParameterUse {
            definition,
            source: None,
            fallback: Span::new(FileId(0), 0, 0),
        };
        schemas.apply(&at, parameter, diags)
    }

    /// A use of `definition` for component `web` of app `shop`.
    fn use_of<'a>(
        definition: &'a Definition,
        parameter: &'a Value,
        workload: Option<&Value>,
    ) -> Use<'a> {
        Use {
            definition,
            parameter,
            source: None,
            context: shop_web(),
            workload: workload.map(|w| std::sync::Arc::new(w.clone())),
            used_by: UsedBy::Component("web"),
        }
    }

    /// The context of the uses: component `web` of app `shop`.
    fn shop_web() -> UseContext<'static> {
        UseContext::Component {
            app_name: "shop",
            component_name: "web",
            namespace: None,
            revision: "web-v3",
            name: "web",
            outputs: None,
            app_labels: &[],
            app_annotations: &[],
        }
    }

    /// A deterministic choice of one option per field, many times over: `count` parameter
    /// sets drawn from `fields` (a field's `None` leaves it out).
    fn draws(fields: &[(&'static str, Vec<Option<Value>>)], count: usize) -> Vec<Value> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..count)
            .map(|_| {
                let mut parameter = serde_json::Map::new();
                for (field, options) in fields {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let pick = usize::try_from(state >> 33).unwrap_or(0) % options.len();
                    if let Some(value) = &options[pick] {
                        parameter.insert((*field).to_owned(), value.clone());
                    }
                }
                Value::Object(parameter)
            })
            .collect()
    }

    fn options(values: Vec<Value>) -> Vec<Option<Value>> {
        std::iter::once(None)
            .chain(values.into_iter().map(Some))
            .collect()
    }

    /// The pod family's parameters, each with the shapes that change what is written: empty
    /// values, overridden labels, named and unnamed ports of every protocol, the deprecated
    /// `port`, limits apart from requests, and text the JSON writer escapes.
    fn pod_fields(volumes: bool) -> Vec<(&'static str, Vec<Option<Value>>)> {
        let mut fields = vec![
            (
                "image",
                vec![Some(json!("nginx:1.27")), Some(json!("<reg>/a&b:'1'"))],
            ),
            (
                "imagePullPolicy",
                options(vec![json!("Always"), json!("IfNotPresent")]),
            ),
            (
                "labels",
                options(vec![
                    json!({}),
                    json!({"tier": "web"}),
                    json!({"app.oam.dev/component": "x", "z": "1"}),
                ]),
            ),
            (
                "annotations",
                options(vec![json!({}), json!({"note": "<b>"})]),
            ),
            ("addRevisionLabel", options(vec![json!(true), json!(false)])),
            (
                "ports",
                options(vec![
                    json!([]),
                    json!([{"port": 80}]),
                    json!([{"port": 80, "containerPort": 8080, "expose": true}]),
                    json!([{"port": 53, "protocol": "UDP", "expose": true}, {"port": 54, "protocol": "SCTP", "name": "s"}]),
                    json!([{"port": 443, "expose": true, "nodePort": 30443, "name": "https"}, {"port": 8443, "containerPort": 9443, "protocol": "TCP", "expose": false}]),
                ]),
            ),
            (
                "exposeType",
                options(vec![json!("NodePort"), json!("LoadBalancer")]),
            ),
            ("port", options(vec![json!(8080)])),
            ("cmd", options(vec![json!([]), json!(["/bin/run", "--x"])])),
            ("args", options(vec![json!([]), json!(["a"])])),
            (
                "env",
                options(vec![
                    json!([]),
                    json!([{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
                ]),
            ),
            ("cpu", options(vec![json!("250m"), json!("2")])),
            ("memory", options(vec![json!("256Mi")])),
            (
                "limit",
                options(vec![
                    json!({}),
                    json!({"cpu": "1"}),
                    json!({"memory": "1Gi", "cpu": "4"}),
                ]),
            ),
            (
                "livenessProbe",
                options(vec![json!({"httpGet": {"path": "/", "port": 80}})]),
            ),
            (
                "readinessProbe",
                options(vec![json!({"tcpSocket": {"port": 80}, "periodSeconds": 5})]),
            ),
            (
                "imagePullSecrets",
                options(vec![json!([]), json!(["a", "b"])]),
            ),
            (
                "hostAliases",
                options(vec![json!([{"ip": "10.0.0.1", "hostnames": ["db"]}])]),
            ),
        ];
        if volumes {
            fields.push((
                "volumeMounts",
                options(vec![
                    json!({}),
                    json!({"emptyDir": [{"name": "tmp", "mountPath": "/tmp"}]}),
                    json!({"pvc": [{"name": "data", "mountPath": "/data", "claimName": "c", "subPath": "s"}],
                        "configMap": [{"name": "cfg", "mountPath": "/cfg", "cmName": "app", "items": [{"key": "a", "path": "b"}]},
                            {"name": "cfg", "mountPath": "/again", "cmName": "other"}],
                        "secret": [{"name": "sec", "mountPath": "/sec", "secretName": "s", "defaultMode": 256}],
                        "emptyDir": [{"name": "mem", "mountPath": "/m", "medium": "Memory"}],
                        "hostPath": [{"name": "host", "mountPath": "/h", "path": "/var/log"}]}),
                    json!({"configMap": []}),
                ]),
            ));
            fields.push((
                "volumes",
                options(vec![
                    json!([]),
                    json!([{"name": "v", "mountPath": "/v"}, {"name": "w", "mountPath": "/w", "type": "pvc", "claimName": "c"},
                        {"name": "x", "mountPath": "/x", "type": "configMap", "cmName": "m"}, {"name": "v", "mountPath": "/v2", "type": "secret", "secretName": "s"}]),
                ]),
            ));
        }
        fields
    }

    /// Each pod type renders `count` drawn parameter sets that `keep` accepts (without the
    /// fields the type does not declare) natively, as its template does: every valid one, and
    /// more than `least` of them.
    fn pod_family_agrees(volumes: bool, count: usize, keep: fn(&Value) -> bool, least: usize) {
        let mut library = Library::new();
        for name in ["webservice", "statefulset", "worker"] {
            let cases: Vec<Value> = draws(&pod_fields(volumes), count)
                .into_iter()
                .filter(keep)
                .map(|p| library.declared(DefinitionKind::Component, name, p))
                .collect();
            let (valid, native) = library.compare(
                DefinitionKind::Component,
                name,
                cases.into_iter(),
                None,
                TemplateLimits::default(),
            );
            assert!(
                valid > least,
                "{name}: only {valid} of the drawn parameter sets were valid"
            );
            assert_eq!(
                native, valid,
                "{name}: some valid parameter sets fell back to the template"
            );
        }
    }

    #[test]
    fn the_pod_family_renders_as_its_templates_do() {
        pod_family_agrees(false, 600, |_| true, 300);
    }

    /// Volumes by kind and the legacy list: a name mounted twice is one volume, `subPath`
    /// only by kind, a config map's items, an empty kind.
    #[test]
    fn volumes_render_as_their_templates_do() {
        pod_family_agrees(
            true,
            400,
            |p| p.get("volumeMounts").is_some() || p.get("volumes").is_some(),
            100,
        );
    }

    #[test]
    fn hpa_renders_as_its_template_does() {
        let fields = [
            ("min", options(vec![json!(1), json!(3)])),
            ("max", options(vec![json!(10)])),
            ("targetAPIVersion", options(vec![json!("apps/v1")])),
            ("targetKind", options(vec![json!("StatefulSet")])),
            (
                "cpu",
                options(vec![
                    json!({}),
                    json!({"value": 80}),
                    json!({"type": "AverageValue", "value": 2}),
                ]),
            ),
            (
                "mem",
                options(vec![
                    json!({}),
                    json!({"type": "Utilization", "value": 70}),
                    json!({"type": "AverageValue", "value": 1_073_741_824}),
                ]),
            ),
            (
                "podCustomMetrics",
                options(vec![
                    json!([]),
                    json!([{"name": "qps", "value": "100"}, {"name": "<lag>", "value": "5"}]),
                ]),
            ),
        ];
        let workload =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        let mut library = Library::new();
        let cases = draws(&fields, 300).into_iter();
        let (valid, native) = library.compare(
            DefinitionKind::Trait,
            "hpa",
            cases,
            Some(&workload),
            TemplateLimits::default(),
        );
        assert!(valid > 100);
        assert_eq!(native, valid);
    }

    /// The fuel a native render declares is enough for its template: the worst shapes (every
    /// list the templates loop over long, every port exposed and named) render through the
    /// template with exactly that much fuel.
    #[test]
    fn the_declared_fuel_suffices_for_the_template() {
        let mut library = Library::new();
        for count in [0, 1, 64] {
            let ports: Vec<Value> = (0..count)
                .map(|i| json!({"port": 1000 + i, "containerPort": 2000 + i, "expose": true, "nodePort": 30000 + i, "protocol": "UDP"}))
                .collect();
            let secrets: Vec<Value> = (0..count).map(|i| json!(format!("s{i}"))).collect();
            let pod = json!({"image": "x", "ports": ports, "exposeType": "NodePort", "imagePullSecrets": secrets,
                "labels": {"a": "b"}, "annotations": {"c": "d"}, "addRevisionLabel": true, "cpu": "1", "memory": "1Gi",
                "limit": {"cpu": "2"}, "env": [{"name": "A", "value": "1"}], "cmd": ["x"], "args": ["y"],
                "livenessProbe": {"exec": {"command": ["true"]}}, "readinessProbe": {"exec": {"command": ["true"]}},
                "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}], "imagePullPolicy": "Always",
                "volumeMounts": {
                    "pvc": (0..count).map(|i| json!({"name": format!("p{i}"), "mountPath": format!("/p{i}"), "claimName": "c", "subPath": "s"})).collect::<Vec<_>>(),
                    "configMap": (0..count).map(|i| json!({"name": format!("c{i}"), "mountPath": format!("/c{i}"), "cmName": "m", "items": [{"key": "k", "path": "p"}]})).collect::<Vec<_>>(),
                    "secret": (0..count).map(|i| json!({"name": format!("s{i}"), "mountPath": format!("/s{i}"), "secretName": "s"})).collect::<Vec<_>>(),
                    "emptyDir": (0..count).map(|i| json!({"name": format!("p{i}"), "mountPath": format!("/e{i}")})).collect::<Vec<_>>(),
                    "hostPath": (0..count).map(|i| json!({"name": format!("h{i}"), "mountPath": format!("/h{i}"), "path": "/x"})).collect::<Vec<_>>()}});
            let hpa = json!({"min": 1, "max": 5, "mem": {"value": 60},
                "podCustomMetrics": (0..count).map(|i| json!({"name": format!("m{i}"), "value": "1"})).collect::<Vec<_>>()});
            let workload = json!({"metadata": {"name": "web"}});
            let cases: [(DefinitionKind, &str, &Value, Option<&Value>); 4] = [
                (DefinitionKind::Component, "webservice", &pod, None),
                (DefinitionKind::Component, "statefulset", &pod, None),
                (DefinitionKind::Component, "worker", &pod, None),
                (DefinitionKind::Trait, "hpa", &hpa, Some(&workload)),
            ];
            for (kind, name, parameter, workload) in cases {
                let parameter = &library.declared(kind, name, parameter.clone());
                let mut filled = parameter.clone();
                let definition = library.definition(kind, name);
                let site_fuel = {
                    let mut diags = Diagnostics::default();
                    let schemas = Schemas::compile(&library.model, &mut diags);
                    assert!(
                        fill(&schemas, definition, &mut filled, &mut diags),
                        "{name}: {diags:?}"
                    );
                    let site = use_of(definition, &filled, workload);
                    super::render(&site).expect("rendered natively").fuel
                };
                let limits = TemplateLimits {
                    fuel: site_fuel,
                    ..TemplateLimits::default()
                };
                let (valid, native) = library.compare(
                    kind,
                    name,
                    std::iter::once(parameter.clone()),
                    workload,
                    limits,
                );
                assert_eq!((valid, native), (1, 1), "{name} with {count} items");
            }
        }
    }
}
