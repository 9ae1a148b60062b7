//! oam embedded in another program: an Application and the platform's own definition, both in
//! memory (a webhook's request, a test fixture), rendered with the public API only, no file
//! system. Run it with `cargo run --example embed`; `cargo test` runs its test.

use oam::{Diagnostics, Loader, RenderOptions};

/// A component type of the platform team: a Deployment from a minijinja template.
const DEFINITION: &str = r"
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata:
  name: worker
  annotations:
    definition.oam.dev/description: A queue worker
spec:
  schematic:
    jinja:
      parameters:
        type: object
        required: [image]
        properties:
          image: {type: string}
          replicas: {type: integer, minimum: 0, default: 1}
      template: |
        apiVersion: apps/v1
        kind: Deployment
        spec:
          replicas: {{ parameter.replicas }}
          selector:
            matchLabels: {app: {{ context.name }}}
          template:
            metadata:
              labels: {app: {{ context.name }}}
            spec:
              containers:
                - name: main
                  image: {{ parameter.image | quote }}
";

const APP: &str = r"
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: billing
  namespace: payments
spec:
  components:
    - name: invoices
      type: worker
      properties:
        image: registry.example.com/invoices:1.4.2
        replicas: 3
";

/// Loads, checks and renders the two texts; returns each object as `Kind/name` and the YAML.
fn render() -> Result<(Vec<String>, String), Diagnostics> {
    let project = Loader::new()
        .builtins(false)
        .definitions_source("platform/worker.yaml", DEFINITION)
        .source("apps/billing.yaml", APP)
        .load()?;
    let rendered = project.check()?.render(&RenderOptions::default())?;
    let names = rendered
        .objects()
        .map(|o| {
            format!(
                "{}/{} from {}",
                o.kind(),
                o.name(),
                o.source_files().join(", ")
            )
        })
        .collect();
    Ok((names, rendered.to_stream(oam::Format::Yaml)))
}

fn main() -> std::process::ExitCode {
    match render() {
        Ok((names, yaml)) => {
            for name in names {
                eprintln!("{name}");
            }
            print!("{yaml}");
            std::process::ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            // The same report the CLI prints; `diagnostics.to_vec()` has them as data.
            eprint!("{diagnostics}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_the_worker_from_memory() {
        let (names, yaml) = super::render().expect("renders");
        assert_eq!(
            names,
            ["Deployment/invoices from apps/billing.yaml, platform/worker.yaml"]
        );
        assert!(yaml.contains("replicas: 3"), "{yaml}");
        assert!(yaml.contains("namespace: payments"), "{yaml}");
        assert!(
            yaml.contains("image: registry.example.com/invoices:1.4.2"),
            "{yaml}"
        );
    }
}
