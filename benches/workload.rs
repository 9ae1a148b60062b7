//! The benchmark's input: N apps of one shape in each OAM dialect, and the equivalent Kustomize
//! tree. Per app: a web component (image, port, env, resources, replicas, an autoscaler, a
//! parameter) and a database it depends on — four objects (two Deployments, a Service, a
//! HorizontalPodAutoscaler), plus shared definitions.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// The dialects the generator writes.
pub(crate) const DIALECTS: &[&str] = &["v1beta1", "v1alpha2", "v1alpha1"];

/// Writes `n` apps of `dialect` under `dir` (created, replaced if present), `per_file` apps to a
/// file: GitOps repositories keep one app a file (`1`); some keep many.
pub(crate) fn write_apps(dir: &Path, dialect: &str, n: usize, per_file: usize) -> io::Result<()> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir.join("apps"))?;
    fs::write(dir.join("definitions.yaml"), definitions(dialect))?;
    let per_file = per_file.max(1);
    for first in (0..n).step_by(per_file) {
        let mut text = String::new();
        for i in first..(first + per_file).min(n) {
            text.push_str(&app(dialect, i));
        }
        fs::write(dir.join(format!("apps/apps-{first:06}.yaml")), text)?;
    }
    Ok(())
}

fn definitions(dialect: &str) -> String {
    match dialect {
        // A platform's own trait beside the built-in library.
        "v1beta1" => "apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata:
  name: team
  annotations: {definition.oam.dev/description: \"Labels the workload with its owning team\"}
spec:
  schematic:
    jinja:
      parameters: {type: object, required: [name], properties: {name: {type: string}}}
      template: |
        patch:
          metadata:
            labels: {team: {{ parameter.name | tojson }}}
"
        .to_owned(),
        // An autoscaler trait the runtime does not ship.
        "v1alpha2" => "apiVersion: core.oam.dev/v1alpha2
kind: TraitDefinition
metadata:
  name: hpa
spec:
  appliesToWorkloads: [deployments.apps, containerizedworkloads.core.oam.dev]
  schematic:
    jinja:
      parameters:
        type: object
        properties:
          min: {type: integer, default: 1}
          max: {type: integer, default: 10}
          cpu: {type: integer, default: 80}
      template: |
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        spec:
          scaleTargetRef: {apiVersion: {{ context.workload.apiVersion | tojson }}, kind: {{ context.workload.kind | tojson }}, name: {{ context.workload.metadata.name | tojson }}}
          minReplicas: {{ parameter.min }}
          maxReplicas: {{ parameter.max }}
          metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: {{ parameter.cpu }}}}}]
"
        .to_owned(),
        _ => "apiVersion: core.oam.dev/v1alpha1
kind: Trait
metadata:
  name: auto-scaler
spec:
  appliesTo: [core.oam.dev/v1alpha1.Server, core.oam.dev/v1alpha1.Worker]
  properties: '{\"type\": \"object\", \"properties\": {\"minimum\": {\"type\": \"integer\"}, \"maximum\": {\"type\": \"integer\"}, \"cpu\": {\"type\": \"integer\"}}}'
"
        .to_owned(),
    }
}

fn app(dialect: &str, i: usize) -> String {
    let replicas = 2 + i % 3;
    match dialect {
        "v1beta1" => application(i, replicas),
        "v1alpha2" => application_configuration(i, replicas),
        _ => rudr_application_configuration(i, replicas),
    }
}

fn application(i: usize, replicas: usize) -> String {
    format!(
        "---
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop-{i}
spec:
  components:
    - name: shop-{i}-db
      type: worker
      properties:
        image: postgres:16
        memory: 512Mi
    - name: shop-{i}-web
      type: webservice
      dependsOn: [shop-{i}-db]
      properties:
        image: example/web:{i}
        ports: [{{port: 80, containerPort: 8080, expose: true}}]
        env: [{{name: DB_HOST, value: shop-{i}-db}}, {{name: SHOP, value: shop-{i}}}]
        cpu: 250m
        memory: 256Mi
      traits:
        - type: hpa
          properties: {{min: {replicas}, max: 10, cpu: {{value: 80}}}}
        - type: team
          properties: {{name: team-{team}}}
",
        team = i % 7
    )
}

fn application_configuration(i: usize, replicas: usize) -> String {
    format!(
        "---
apiVersion: core.oam.dev/v1alpha2
kind: Component
metadata:
  name: shop-{i}-db
spec:
  workload:
    apiVersion: apps/v1
    kind: Deployment
    spec:
      selector: {{matchLabels: {{app: shop-{i}-db}}}}
      template:
        metadata: {{labels: {{app: shop-{i}-db}}}}
        spec:
          containers: [{{name: db, image: 'postgres:16', resources: {{requests: {{memory: 512Mi}}}}}}]
---
apiVersion: core.oam.dev/v1alpha2
kind: Component
metadata:
  name: shop-{i}-web
spec:
  workload:
    apiVersion: core.oam.dev/v1alpha2
    kind: ContainerizedWorkload
    spec:
      containers:
        - name: web
          image: example/web
          ports: [{{name: http, containerPort: 8080}}]
          env: [{{name: DB_HOST, value: shop-{i}-db}}]
          resources: {{cpu: {{required: 250m}}, memory: {{required: 256Mi}}}}
  parameters:
    - name: image
      fieldPaths: ['spec.containers[0].image']
---
apiVersion: core.oam.dev/v1alpha2
kind: ApplicationConfiguration
metadata:
  name: shop-{i}
spec:
  components:
    - componentName: shop-{i}-db
      dataOutputs: [{{name: shop-{i}-db-ready}}]
    - componentName: shop-{i}-web
      parameterValues: [{{name: image, value: 'example/web:{i}'}}]
      dataInputs: [{{valueFrom: {{dataOutputName: shop-{i}-db-ready}}}}]
      traits:
        - trait: {{apiVersion: core.oam.dev/v1alpha2, kind: ManualScalerTrait, spec: {{replicaCount: {replicas}}}}}
        - trait: {{name: hpa, properties: {{min: {replicas}, max: 10}}}}
"
    )
}

fn rudr_application_configuration(i: usize, replicas: usize) -> String {
    format!(
        "---
apiVersion: core.oam.dev/v1alpha1
kind: ComponentSchematic
metadata:
  name: shop-{i}-db
spec:
  workloadType: core.oam.dev/v1alpha1.SingletonWorker
  containers:
    - name: db
      image: postgres:16
      resources: {{memory: {{required: '512'}}}}
---
apiVersion: core.oam.dev/v1alpha1
kind: ComponentSchematic
metadata:
  name: shop-{i}-web
spec:
  workloadType: core.oam.dev/v1alpha1.Server
  parameters:
    - {{name: image, type: string, default: example/web}}
  containers:
    - name: web
      image: example/web
      env: [{{name: IMAGE, fromParam: image}}, {{name: DB_HOST, value: shop-{i}-db}}]
      ports: [{{name: http, containerPort: 8080}}]
      resources: {{cpu: {{required: 0.25}}, memory: {{required: '256'}}}}
---
apiVersion: core.oam.dev/v1alpha1
kind: ApplicationConfiguration
metadata:
  name: shop-{i}
spec:
  components:
    - componentName: shop-{i}-db
      instanceName: shop-{i}-db
    - componentName: shop-{i}-web
      instanceName: shop-{i}-web
      parameterValues: [{{name: image, value: 'example/web:{i}'}}]
      traits:
        - name: auto-scaler
          properties: {{minimum: {replicas}, maximum: 10, cpu: 80}}
"
    )
}

/// The Kustomize equivalent of `n` v1beta1 apps: one base (the four objects) and an overlay
/// per app (a name prefix, the image, the replicas and an env var), all listed by a root
/// kustomization.
pub(crate) fn write_kustomize(dir: &Path, n: usize) -> io::Result<()> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir.join("base"))?;
    fs::write(
        dir.join("base/kustomization.yaml"),
        "resources: [db.yaml, web.yaml, service.yaml, hpa.yaml]\n",
    )?;
    fs::write(
        dir.join("base/db.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\nspec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: db, image: 'postgres:16', resources: {requests: {memory: 512Mi}, limits: {memory: 512Mi}}}]\n",
    )?;
    fs::write(
        dir.join("base/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: example/web\n          ports: [{containerPort: 8080, name: port-8080, protocol: TCP}]\n          env: [{name: DB_HOST, value: db}, {name: SHOP, value: base}]\n          resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 250m, memory: 256Mi}}\n",
    )?;
    fs::write(
        dir.join("base/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080, name: port-8080, protocol: TCP}]\n  type: ClusterIP\n",
    )?;
    fs::write(
        dir.join("base/hpa.yaml"),
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 10\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]\n",
    )?;
    let mut root = String::from("resources:\n");
    for i in 0..n {
        let overlay = dir.join(format!("apps/shop-{i}"));
        fs::create_dir_all(&overlay)?;
        let replicas = 2 + i % 3;
        fs::write(
            overlay.join("kustomization.yaml"),
            format!(
                "resources: [../../base]\nnamePrefix: shop-{i}-\nlabels: [{{pairs: {{app.oam.dev/name: shop-{i}, team: team-{team}}}}}]\nimages: [{{name: example/web, newTag: '{i}'}}]\npatches:\n  - target: {{kind: HorizontalPodAutoscaler, name: web}}\n    patch: |\n      - {{op: replace, path: /spec/minReplicas, value: {replicas}}}\n  - target: {{kind: Deployment, name: web}}\n    patch: |\n      - {{op: replace, path: /spec/template/spec/containers/0/env/1/value, value: shop-{i}}}\n",
                team = i % 7
            ),
        )?;
        let _ = writeln!(root, "  - apps/shop-{i}");
    }
    fs::write(dir.join("kustomization.yaml"), root)
}

/// One Application of `n` components, each depending on the 50 before it: one app as large as
/// its dependency graph can get.
pub(crate) fn write_dependent_components(file: &Path, n: usize) -> io::Result<()> {
    let mut text = String::from(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: large}\nspec:\n  components:\n",
    );
    for i in 0..n {
        let depends_on: Vec<String> = (i.saturating_sub(50)..i).map(|j| format!("c{j}")).collect();
        let _ = writeln!(
            text,
            "    - {{name: c{i}, type: worker, properties: {{image: busybox}}, dependsOn: [{}]}}",
            depends_on.join(", ")
        );
    }
    fs::write(file, text)
}

/// One file of `n` Applications, each with a trait no definition declares: a run that reports
/// `n` errors, all pointing into the one file.
pub(crate) fn write_failing_apps(file: &Path, n: usize) -> io::Result<()> {
    let mut text = String::new();
    for i in 0..n {
        let _ = write!(
            text,
            "---\napiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: a{i}}}\nspec:\n  components:\n    - {{name: c, type: worker, properties: {{image: busybox}}, traits: [{{type: undeclared}}]}}\n"
        );
    }
    fs::write(file, text)
}

/// One Application whose `n` components, each of a type no definition declares, are written on
/// one line: `n` errors, each shown with a window of that line.
pub(crate) fn write_one_line_errors(file: &Path, n: usize) -> io::Result<()> {
    let mut text = String::from(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: long-line}\nspec: {components: [",
    );
    for i in 0..n {
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{comma}{{name: c{i}, type: undeclared-{i}}}");
    }
    text.push_str("]}\n");
    fs::write(file, text)
}
