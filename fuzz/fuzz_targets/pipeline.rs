//! Structured apps through the whole pipeline: a small generator writes Applications (v1beta1),
//! ApplicationConfigurations (v1alpha1, v1alpha2) and definitions with templates, mostly valid,
//! with values drawn from pools that include the edge cases (empty, huge, wrong-typed, hostile
//! names). Rendering must succeed or fail with diagnostics, never panic, and a success must be
//! byte-identical when run again.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

mod common;

use common::pick;

#[derive(Arbitrary, Debug)]
struct Input {
    components: Vec<ComponentSpec>,
    definition: Option<DefinitionSpec>,
    dialect: u8,
    policy: Option<(u8, ValueSpec)>,
    env: bool,
    /// Hand-written YAML documents from a pool of hostile shapes, added to the stream.
    raw: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct ComponentSpec {
    name: u8,
    kind: u8,
    properties: Vec<(u8, ValueSpec)>,
    traits: Vec<(u8, Vec<(u8, ValueSpec)>)>,
    depends_on: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct DefinitionSpec {
    template: Vec<u8>,
    schema: Vec<(u8, u8)>,
}

#[derive(Arbitrary, Debug)]
enum ValueSpec {
    Pool(u8),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<u8>),
    Map(Vec<(u8, u8)>),
    /// A list of maps: ports, env, metrics.
    Maps(Vec<Vec<(u8, u8)>>),
}

const NAMES: &[&str] = &[
    "web",
    "db",
    "api",
    "../x",
    "A_B",
    "",
    "a-very-long-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-x",
    "web",
    "x.y",
    "ns/evil",
];
const TYPES: &[&str] = &[
    "webservice",
    "worker",
    "statefulset",
    "task",
    "cron-task",
    "k8s-objects",
    "custom",
    "missing",
    "raw",
];
const TRAITS: &[&str] = &[
    "scaler",
    "hpa",
    "cpuscaler",
    "gateway",
    "ingress",
    "expose",
    "labels",
    "annotations",
    "env",
    "sidecar",
    "init-container",
    "storage",
    "resource",
    "service-account",
    "custom",
    "nope",
];
const KEYS: &[&str] = &[
    "image",
    "replicas",
    "ports",
    "port",
    "cmd",
    "env",
    "cpu",
    "memory",
    "http",
    "domain",
    "name",
    "objects",
    "schedule",
    "volumeMounts",
    "labels",
    "min",
    "max",
    "count",
    "pvc",
    "containerName",
    "unset",
    "appMountPath",
    "initMountPath",
    "privileges",
    "create",
    "type",
    "value",
    // The pod family's and hpa's parameters, which native renderers write (`check_native`).
    "containerPort",
    "protocol",
    "expose",
    "nodePort",
    "exposeType",
    "addRevisionLabel",
    "annotations",
    "imagePullSecrets",
    "imagePullPolicy",
    "limit",
    "livenessProbe",
    "hostAliases",
    "mem",
    "podCustomMetrics",
    "args",
];
const POOL: &[&str] = &[
    "nginx",
    "0",
    "-1",
    "true",
    "null",
    "*/5 * * * *",
    "{{ x }}",
    "[fromVariable(x)]",
    "💥",
    "a\nb",
    "1e400",
    "99999999999999999999999",
    "\u{1b}[2J",
    "\u{202e}",
    "yes",
    "0755",
];
const TEMPLATES: &[&str] = &[
    "apiVersion: v1\nkind: ConfigMap\ndata: {a: {{ parameter | tojson }}}\n",
    "{% for i in range(100000000) %}{{ i }}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ parameter.name | default('x') | tojson }}}\n",
    "patch: {spec: {replicas: 3}}\n",
    "- not an object\n",
    "{{ fail('no') }}",
    "{% import \"oam/pod.j2\" as pod %}apiVersion: apps/v1\nkind: Deployment\nspec:\n  template: {{ pod.template(parameter, context) }}\n",
    "{{ undefined_thing.x }}",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: {{ parameter | tojson(indent=1000000000) }}}\n",
    "{% set ns = namespace(v={}) %}{% for i in range(40) %}{% set ns.v = {\"l\": ns.v, \"r\": ns.v} %}{% endfor %}{{ ns.v | to_yaml }}",
    "{% include \"ComponentDefinition/webservice\" %}",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: {{ parameter | to_yaml | tojson }}}\n",
    // A trait reading the workload it shares (a view) every way: whole, by path, by iteration.
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ctx}\ndata: {w: {{ context.workload | tojson | tojson }}, n: {{ context.workload.metadata.name | default('x') | tojson }}, k: {{ context | list | join(',') | tojson }}, i: {{ context.workload | items | list | length }}}\n",
];

const RAW: &[&str] = &[
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flags, labels: {Y: a, N: b, true: c, On: d}}\ndata: {n: \"1\", y: \"2\", on: \"3\", yes: \"4\"}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata: {version: 1.10, port: 8080, on: yes}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, name: dup2}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\\e]0;t\\a\\u202Eb\"}\n",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {mode: 0755, big: 1e3, time: 1:30, n: 1_000}\n",
    "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: in-list}}]\n",
    "a: &a [x, *a]\n",
    "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"json\"}, \"data\": {\"k\": \"\\u0000\"}}\n",
    "? [complex, key]\n: value\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tabs\n\tdata: x\n",
];

fn value(spec: &ValueSpec) -> Value {
    match spec {
        ValueSpec::Pool(i) => json!(pick(POOL, *i)),
        ValueSpec::Int(n) => json!(n),
        ValueSpec::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ValueSpec::Text(s) => json!(s.chars().take(64).collect::<String>()),
        ValueSpec::List(items) => json!(
            items
                .iter()
                .take(4)
                .map(|i| pick(POOL, *i))
                .collect::<Vec<_>>()
        ),
        ValueSpec::Map(entries) => map(entries),
        ValueSpec::Maps(items) => Value::Array(items.iter().take(4).map(|m| map(m)).collect()),
    }
}

/// Values of a map's fields: a text of the pool for an even pick, else a typed value of the
/// kinds the built-ins' fields take (port numbers, flags, protocols, exposure types).
fn map(entries: &[(u8, u8)]) -> Value {
    let typed = [
        json!(80),
        json!(8080),
        json!(true),
        json!(false),
        json!("UDP"),
        json!("TCP"),
        json!("NodePort"),
        json!(30080),
        json!({}),
        json!([]),
        json!(1.5),
        json!("port-x"),
        json!("Utilization"),
        json!("AverageValue"),
    ];
    let mut map = serde_json::Map::new();
    for (k, v) in entries.iter().take(6) {
        let value = if v % 2 == 0 {
            json!(pick(POOL, v / 2))
        } else {
            typed[usize::from(v / 2) % typed.len()].clone()
        };
        map.insert(pick(KEYS, *k).to_owned(), value);
    }
    Value::Object(map)
}

fn properties(entries: &[(u8, ValueSpec)]) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in entries.iter().take(6) {
        map.insert(pick(KEYS, *k).to_owned(), value(v));
    }
    Value::Object(map)
}

fn documents(input: &Input) -> Vec<Value> {
    let mut docs = Vec::new();
    if let Some(definition) = &input.definition {
        let template: String = definition
            .template
            .iter()
            .take(4)
            .map(|i| pick(TEMPLATES, *i))
            .collect::<Vec<_>>()
            .join("---\n");
        let mut schema = serde_json::Map::new();
        for (k, t) in definition.schema.iter().take(4) {
            schema.insert(
                pick(KEYS, *k).to_owned(),
                json!({"type": pick(&["string", "integer", "object", "array", "bogus"], *t)}),
            );
        }
        for kind in ["ComponentDefinition", "TraitDefinition"] {
            docs.push(json!({
                "apiVersion": "core.oam.dev/v1beta1",
                "kind": kind,
                "metadata": {"name": "custom"},
                "spec": {"schematic": {"jinja": {
                    "parameters": {"type": "object", "properties": schema, "additionalProperties": true},
                    "template": template,
                }}},
            }));
        }
    }
    let components: Vec<&ComponentSpec> = input.components.iter().take(6).collect();
    match input.dialect % 3 {
        0 => {
            let entries: Vec<Value> = components.iter().map(|c| {
                let traits: Vec<Value> = c.traits.iter().take(4).map(|(t, p)| json!({"type": pick(TRAITS, *t), "properties": properties(p)})).collect();
                let depends: Vec<&str> = c.depends_on.iter().take(3).map(|d| pick(NAMES, *d)).collect();
                json!({"name": pick(NAMES, c.name), "type": pick(TYPES, c.kind), "properties": properties(&c.properties), "traits": traits, "dependsOn": depends})
            }).collect();
            let mut spec = json!({"components": entries});
            if let Some((kind, patch)) = &input.policy {
                spec["policies"] = json!([
                    {"name": "prod", "type": pick(&["override", "topology", "garbage-collect", "weird"], *kind), "properties": {"components": [{"properties": value(patch)}], "namespace": "prod"}},
                ]);
            }
            docs.push(json!({"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": {"name": "app"}, "spec": spec}));
        }
        1 => {
            for c in &components {
                docs.push(json!({
                    "apiVersion": "core.oam.dev/v1alpha1", "kind": "ComponentSchematic",
                    "metadata": {"name": pick(NAMES, c.name)},
                    "spec": {
                        "workloadType": pick(&["core.oam.dev/v1alpha1.Server", "core.oam.dev/v1alpha1.Worker", "core.oam.dev/v1alpha1.SingletonTask", "example.com/v1.Thing", "nonsense"], c.kind),
                        "parameters": [{"name": "p", "type": pick(&["string", "number", "boolean"], c.kind), "default": value(c.properties.first().map_or(&ValueSpec::Pool(0), |p| &p.1))}],
                        "containers": [{"name": "c", "image": "nginx", "env": [{"name": "E", "fromParam": "p"}], "ports": if c.kind % 2 == 0 { json!([{"name": "http", "containerPort": 80}]) } else { json!([]) }}],
                    },
                }));
            }
            let entries: Vec<Value> = components.iter().map(|c| {
                let traits: Vec<Value> = c.traits.iter().take(3).map(|(t, p)| json!({"name": pick(&["manual-scaler", "auto-scaler", "ingress", "volume-mounter", "nope"], *t), "properties": properties(p)})).collect();
                json!({"componentName": pick(NAMES, c.name), "instanceName": pick(NAMES, c.name.wrapping_add(1)), "parameterValues": [{"name": "p", "value": "[fromVariable(v)]"}], "traits": traits})
            }).collect();
            docs.push(json!({"apiVersion": "core.oam.dev/v1alpha1", "kind": "ApplicationConfiguration", "metadata": {"name": "app"}, "spec": {"variables": [{"name": "v", "value": 1}], "components": entries}}));
        }
        _ => {
            for c in &components {
                docs.push(json!({
                    "apiVersion": "core.oam.dev/v1alpha2", "kind": "Component",
                    "metadata": {"name": pick(NAMES, c.name)},
                    "spec": {"workload": {"apiVersion": "core.oam.dev/v1alpha2", "kind": "ContainerizedWorkload", "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                             "parameters": [{"name": "image", "fieldPaths": [pick(&["spec.containers[0].image", "spec..x", "spec.containers[99999999].image", "metadata.name"], c.kind)]}]},
                }));
            }
            let entries: Vec<Value> = components.iter().map(|c| json!({
                "componentName": pick(NAMES, c.name),
                "parameterValues": [{"name": "image", "value": value(c.properties.first().map_or(&ValueSpec::Pool(0), |p| &p.1))}],
                "traits": c.traits.iter().take(2).map(|(t, p)| json!({"trait": {"apiVersion": "core.oam.dev/v1alpha2", "kind": "ManualScalerTrait", "spec": {"replicaCount": value(p.first().map_or(&ValueSpec::Int(i64::from(*t)), |x| &x.1))}}})).collect::<Vec<_>>(),
                "dataOutputs": [{"name": pick(NAMES, c.name), "fieldPath": "spec.replicas"}],
                "dataInputs": c.depends_on.iter().take(2).map(|d| json!({"valueFrom": {"dataOutputName": pick(NAMES, *d)}, "toFieldPaths": ["metadata.annotations.x"]})).collect::<Vec<_>>(),
            })).collect();
            docs.push(json!({"apiVersion": "core.oam.dev/v1alpha2", "kind": "ApplicationConfiguration", "metadata": {"name": "app"}, "spec": {"components": entries}}));
        }
    }
    docs
}

fuzz_target!(|input: Input| {
    let mut text: String = documents(&input)
        .iter()
        .map(|d| format!("---\n{d}\n"))
        .collect();
    for raw in input.raw.iter().take(3) {
        text.push_str("---\n");
        text.push_str(pick(RAW, *raw));
    }
    let mut args = vec!["render", "-"];
    if input.env {
        args.extend(["--env", "prod"]);
    }
    let (code, out) = common::run(&args, text.as_bytes());
    assert!(code <= 1, "exit code {code}");
    // Determinism is checked on a quarter of the inputs (chosen by the input, so a finding
    // reproduces): a second render halves the speed, and the test suite checks it on every case.
    if code == 0 && text.len() % 4 == 0 {
        assert_eq!(
            common::run(&args, text.as_bytes()).1,
            out,
            "output differs between two runs"
        );
    }
    if code == 0 && !input.env {
        check_tree(&text);
    }
    check_native(&text, input.env);
});

/// The built-ins oam renders natively give what their templates give, whatever the input:
/// the same output, or the same diagnostics.
fn check_native(text: &str, env: bool) {
    let mut loader = oam::Loader::new().source("app.yaml", text);
    if env {
        loader = loader.environment("prod");
    }
    let [native, templates] = [false, true].map(|templates| {
        let options = oam::RenderOptions::default().builtin_templates(templates);
        match loader.load().and_then(|p| p.check()?.render(&options)) {
            Ok(rendered) => rendered.to_stream(oam::Format::Yaml),
            Err(diagnostics) => format!("{diagnostics:?}"),
        }
    });
    assert!(
        native == templates,
        "native renderers and templates differ:\n{native}\n---- templates:\n{templates}"
    );
}

/// The tree of `-o`, laid out by the library: a file per object, every path safe on any file
/// system (ASCII, short parts, no dot files, unique ignoring case), on one thread and on two.
fn check_tree(text: &str) {
    let tree = |threads: usize| {
        let threads = std::num::NonZeroUsize::new(threads).expect("positive");
        let project = oam::Loader::new()
            .threads(threads)
            .source("app.yaml", text)
            .load()
            .expect("the CLI loaded it");
        let rendered = project
            .render(&oam::RenderOptions::default())
            .expect("the CLI rendered it");
        (rendered.objects().len(), rendered.to_files(true))
    };
    let (objects, files) = tree(1);
    assert_eq!(
        tree(2).1,
        files,
        "the tree differs between one thread and two"
    );
    let object_files = files
        .keys()
        .filter(|path| !path.ends_with("kustomization.yaml"))
        .count();
    assert_eq!(
        object_files,
        objects,
        "a file per object: {:?}",
        files.keys()
    );
    let mut folded = std::collections::HashSet::new();
    for path in files.keys() {
        assert!(path.is_ascii(), "{path:?}");
        for part in path.split('/') {
            assert!(!part.is_empty() && part.len() <= 120, "{path:?}");
            assert!(!part.starts_with('.'), "{path:?}");
        }
        assert!(
            folded.insert(path.to_lowercase()),
            "{path:?} is not unique ignoring case"
        );
    }
}
