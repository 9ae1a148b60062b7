//! ContainerizedWorkload → Deployment (+ Service, + ConfigMaps), as the runtime's controller
//! translates it (oam-spec.md §3.12), with the deliberate deviations of docs/decisions.md:
//! the selector uses the workload name (no UID offline), the Service exposes every declared
//! port, config files mount with `subPath` at their exact path, volumes get an `emptyDir`.
//! rudr's core workload types (v1alpha1 `Server`, `Worker`, `Task` and their singletons) share
//! the container format and are expanded here too, each into its controller (oam-spec.md §5.2).

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::model::{fnv1a32, metadata_field};

/// The pod label that ties the Deployment, its pods and the Service together.
const SELECTOR_LABEL: &str = "containerizedworkload.oam.crossplane.io";

/// What a core workload kind becomes: its controller, and whether ports are allowed and get a
/// Service.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// ContainerizedWorkload and Server: a Deployment and a Service for its ports.
    Server,
    SingletonServer,
    Worker,
    SingletonWorker,
    Task,
    SingletonTask,
}

impl Shape {
    fn of(kind: &str) -> Option<Shape> {
        Some(match kind {
            "ContainerizedWorkload" | "Server" => Shape::Server,
            "SingletonServer" => Shape::SingletonServer,
            "Worker" => Shape::Worker,
            "SingletonWorker" => Shape::SingletonWorker,
            "Task" => Shape::Task,
            "SingletonTask" => Shape::SingletonTask,
            _ => return None,
        })
    }

    fn serves(self) -> bool {
        matches!(self, Shape::Server | Shape::SingletonServer)
    }

    fn controller(self) -> &'static str {
        match self {
            Shape::Server | Shape::Worker => "Deployment",
            Shape::SingletonServer | Shape::SingletonWorker => "StatefulSet",
            Shape::Task | Shape::SingletonTask => "Job",
        }
    }
}

/// The objects a core workload becomes, its controller first; `None` for other kinds, an error
/// message for a workload its type does not allow (a Worker with a port).
pub(super) fn expand(workload: &Value) -> Option<Result<Vec<Value>, String>> {
    let is_oam = workload
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("core.oam.dev/"));
    let kind = workload.get("kind").and_then(Value::as_str).unwrap_or("");
    let shape = Shape::of(kind).filter(|_| is_oam)?;
    let name = metadata_field(workload, "name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), json!(name));
    for key in ["namespace", "labels", "annotations"] {
        if let Some(value) = metadata_field(workload, key) {
            metadata.insert(key.to_owned(), value.clone());
        }
    }
    let spec = workload.get("spec").cloned().unwrap_or_else(|| json!({}));
    let mut pod = Pod::default();
    let mut config_maps = Vec::new();
    let empty = Vec::new();
    let containers = spec
        .get("containers")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut ports = ByName::default();
    for container in containers {
        let translated = translate_container(
            container,
            &name,
            &metadata,
            &mut pod,
            &mut config_maps,
            &mut ports,
        );
        pod.containers.push(translated);
    }
    let mut node_selector = Map::new();
    if let Some(os) = spec.get("osType") {
        node_selector.insert("kubernetes.io/os".to_owned(), os.clone());
    }
    if let Some(arch) = spec.get("arch") {
        node_selector.insert("kubernetes.io/arch".to_owned(), arch.clone());
    }

    let mut pod_labels = metadata.get("labels").cloned().unwrap_or_else(|| json!({}));
    if let Some(labels) = pod_labels.as_object_mut() {
        labels.insert(SELECTOR_LABEL.to_owned(), json!(name));
    }
    let mut pod_spec = Map::new();
    pod_spec.insert("containers".to_owned(), Value::Array(pod.containers));
    if !node_selector.is_empty() {
        pod_spec.insert("nodeSelector".to_owned(), Value::Object(node_selector));
    }
    if !pod.image_pull_secrets.items.is_empty() {
        pod_spec.insert(
            "imagePullSecrets".to_owned(),
            Value::Array(pod.image_pull_secrets.items),
        );
    }
    if !pod.volumes.items.is_empty() {
        pod_spec.insert("volumes".to_owned(), Value::Array(pod.volumes.items));
    }
    let ports = ports.items;
    if !shape.serves() {
        if let Some(port) = ports.first() {
            return Some(Err(format!(
                "a {kind} takes no traffic, but it declares port `{}`; make it a Server (or a SingletonServer), or drop the port",
                port["name"].as_str().unwrap_or_default()
            )));
        }
    }
    let template = json!({"metadata": {"labels": pod_labels}, "spec": pod_spec});
    let controller = controller(shape, &name, &metadata, template);
    let mut objects = vec![controller];
    if !ports.is_empty() {
        objects.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": {"type": "ClusterIP", "selector": {SELECTOR_LABEL: name}, "ports": ports},
        }));
    }
    objects.extend(config_maps);
    Some(Ok(objects))
}

/// The Deployment, StatefulSet or Job that runs the pods of a core workload.
fn controller(shape: Shape, name: &str, metadata: &Map<String, Value>, template: Value) -> Value {
    let spec = match shape {
        Shape::Task | Shape::SingletonTask => {
            let mut template = template;
            template["spec"]["restartPolicy"] = json!("Never");
            let mut spec = json!({"backoffLimit": 4, "template": template});
            if shape == Shape::SingletonTask {
                spec["parallelism"] = json!(1);
            }
            spec
        }
        Shape::SingletonServer | Shape::SingletonWorker => json!({
            "serviceName": name,
            "selector": {"matchLabels": {SELECTOR_LABEL: name}},
            "template": template,
        }),
        Shape::Server | Shape::Worker => json!({
            "selector": {"matchLabels": {SELECTOR_LABEL: name}},
            "template": template,
        }),
    };
    let api_version = if shape.controller() == "Job" {
        "batch/v1"
    } else {
        "apps/v1"
    };
    json!({
        "apiVersion": api_version,
        "kind": shape.controller(),
        "metadata": metadata,
        "spec": spec,
    })
}

#[derive(Default)]
struct Pod {
    containers: Vec<Value>,
    volumes: ByName,
    image_pull_secrets: ByName,
}

/// Items of which the first of each `name` is kept, in the order they came; a name is found in
/// a step, so that a workload of thousands of ports or volumes is not searched per item.
#[derive(Default)]
struct ByName {
    items: Vec<Value>,
    names: HashSet<Option<String>>,
}

impl ByName {
    fn add(&mut self, item: Value) {
        if self.names.insert(item.get("name").map(Value::to_string)) {
            self.items.push(item);
        }
    }
}

fn translate_container(
    container: &Value,
    workload_name: &str,
    metadata: &Map<String, Value>,
    pod: &mut Pod,
    config_maps: &mut Vec<Value>,
    service_ports: &mut ByName,
) -> Value {
    let container_name = container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("container");
    let mut out = Map::new();
    for key in ["name", "image"] {
        if let Some(value) = container.get(key) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    // The Go type says `command`; the spec's text says `cmd`. Both are accepted.
    if let Some(command) = container.get("command").or_else(|| container.get("cmd")) {
        out.insert("command".to_owned(), command.clone());
    }
    if let Some(args) = container.get("args") {
        out.insert("args".to_owned(), args.clone());
    }
    let ports = translate_ports(container, service_ports);
    if !ports.is_empty() {
        out.insert("ports".to_owned(), Value::Array(ports));
    }
    let env: Vec<Value> = array(container, "env")
        .iter()
        .filter_map(translate_env)
        .collect();
    if !env.is_empty() {
        out.insert("env".to_owned(), Value::Array(env));
    }
    let mut mounts = Vec::new();
    if let Some(resources) = container.get("resources") {
        let mut requests = Map::new();
        for key in ["cpu", "memory"] {
            if let Some(required) = resources.pointer(&format!("/{key}/required")) {
                requests.insert(key.to_owned(), quantity(required));
            }
        }
        if !requests.is_empty() {
            out.insert("resources".to_owned(), json!({"requests": requests}));
        }
        for volume in array(resources, "volumes") {
            let Some(volume_name) = volume.get("name") else {
                continue;
            };
            let mut mount = json!({"name": volume_name, "mountPath": volume.get("mountPath").cloned().unwrap_or(Value::Null)});
            if volume.get("accessMode").and_then(Value::as_str) == Some("RO") {
                mount["readOnly"] = json!(true);
            }
            mounts.push(mount);
            let mut empty_dir = json!({});
            if let Some(size) = volume.pointer("/disk/required") {
                empty_dir["sizeLimit"] = quantity(size);
            }
            pod.volumes
                .add(json!({"name": volume_name, "emptyDir": empty_dir}));
        }
    }
    for config in array(container, "config") {
        let Some(path) = config.get("path").and_then(Value::as_str) else {
            continue;
        };
        let file_name = path.rsplit('/').next().unwrap_or(path);
        if let Some(value) = config.get("value") {
            let config_map_name = format!(
                "{workload_name}-{container_name}-{}",
                fnv1a32(path.as_bytes())
            );
            let mut cm_metadata = metadata.clone();
            cm_metadata.insert("name".to_owned(), json!(config_map_name));
            config_maps.push(json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": cm_metadata,
                "data": {file_name: value.as_str().map_or_else(|| value.to_string(), str::to_owned)},
            }));
            pod.volumes
                .add(json!({"name": config_map_name, "configMap": {"name": config_map_name}}));
            mounts.push(json!({"name": config_map_name, "mountPath": path, "subPath": file_name}));
        } else if let Some(secret) = config.get("fromSecret") {
            let (Some(secret_name), Some(key)) = (secret.get("name"), secret.get("key")) else {
                continue;
            };
            pod.volumes
                .add(json!({"name": secret_name, "secret": {"secretName": secret_name}}));
            mounts.push(json!({"name": secret_name, "mountPath": path, "subPath": key}));
        }
    }
    if !mounts.is_empty() {
        out.insert("volumeMounts".to_owned(), Value::Array(mounts));
    }
    for probe in ["livenessProbe", "readinessProbe"] {
        if let Some(value) = container.get(probe) {
            out.insert(probe.to_owned(), value.clone());
        }
    }
    if let Some(secret) = container.get("imagePullSecret") {
        pod.image_pull_secrets.add(json!({"name": secret}));
    }
    Value::Object(out)
}

/// Container ports (protocol TCP unless given), and the Service ports that expose them.
fn translate_ports(container: &Value, service_ports: &mut ByName) -> Vec<Value> {
    array(container, "ports")
        .iter()
        .map(|p| {
            let protocol = p.get("protocol").cloned().unwrap_or_else(|| json!("TCP"));
            let number = p.get("containerPort").cloned().unwrap_or(Value::Null);
            let port_name = p.get("name").and_then(Value::as_str).map_or_else(|| format!("port-{}", service_ports.items.len() + 1), str::to_owned);
            let port = json!({"name": port_name, "containerPort": number, "protocol": protocol});
            let service_port = json!({"name": port_name, "port": number, "targetPort": number, "protocol": protocol});
            service_ports.add(service_port);
            port
        })
        .collect()
}

/// `value` wins over `fromSecret`; an entry with neither is dropped (the runtime's rule).
fn translate_env(env: &Value) -> Option<Value> {
    let name = env.get("name")?;
    if let Some(value) = env.get("value") {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        return Some(json!({"name": name, "value": text}));
    }
    let secret = env.get("fromSecret")?;
    Some(
        json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret.get("name")?, "key": secret.get("key")?}}}),
    )
}

/// Quantities are strings in Kubernetes; a bare number is written as one.
fn quantity(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}
