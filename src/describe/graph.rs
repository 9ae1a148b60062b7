//! `oam graph`: each app's component dependency DAG as Graphviz DOT or Mermaid. Nodes are
//! components with their workload type; edges carry the names of the data outputs passed.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::check::{Checked, CheckedApp};

/// How `oam graph` draws the dependency graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
}

/// (from, to) → output names, in input order (`dependsOn` for an edge that passes no value).
fn wires<'a>(app: &'a CheckedApp<'_>) -> BTreeMap<(usize, usize), Vec<&'a str>> {
    let mut wires: BTreeMap<(usize, usize), Vec<&str>> = BTreeMap::new();
    for edge in &app.dependencies.edges {
        wires
            .entry((edge.from, edge.to))
            .or_default()
            .push(edge.output.as_deref().unwrap_or("dependsOn"));
    }
    wires
}

/// (component name, workload type) of each entry, in input order.
fn nodes<'a>(app: &'a CheckedApp<'_>) -> Vec<(&'a str, &'a str)> {
    (0..app.app.components.len())
        .filter_map(|i| {
            let bound = app.bound(i)?;
            Some((
                bound.component.name.value.as_str(),
                bound.workload_type.as_str(),
            ))
        })
        .collect()
}

pub(crate) fn graph(checked: &Checked<'_>, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => dot(checked),
        GraphFormat::Mermaid => mermaid(checked),
    }
}

/// A DOT string: quotes and backslashes escaped, line breaks as `\n`.
fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn dot(checked: &Checked<'_>) -> String {
    let mut out = String::from("digraph oam {\n  rankdir=LR;\n  node [shape=box];\n");
    for app in &checked.apps {
        let name = &app.app.name.value;
        let _ = writeln!(out, "  subgraph {} {{", quoted(&format!("cluster_{name}")));
        let _ = writeln!(out, "    label={};", quoted(name));
        for (component, workload_type) in nodes(app) {
            let _ = writeln!(
                out,
                "    {} [label={}];",
                quoted(&format!("{name}/{component}")),
                quoted(&format!("{component}\n({workload_type})"))
            );
        }
        out.push_str("  }\n");
        for ((from, to), outputs) in wires(app) {
            let (Some(from), Some(to)) = (app.bound(from), app.bound(to)) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                quoted(&format!("{name}/{}", from.component.name.value)),
                quoted(&format!("{name}/{}", to.component.name.value)),
                quoted(&outputs.join(", "))
            );
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid(checked: &Checked<'_>) -> String {
    let mut out = String::from("flowchart LR\n");
    for (a, app) in checked.apps.iter().enumerate() {
        let id = |entry: usize| format!("a{a}c{entry}");
        let _ = writeln!(out, "  subgraph a{a}[\"{}\"]", escape(&app.app.name.value));
        for (entry, (component, workload_type)) in nodes(app).into_iter().enumerate() {
            let _ = writeln!(
                out,
                "    {}[\"{}<br/>({})\"]",
                id(entry),
                escape(component),
                escape(workload_type)
            );
        }
        out.push_str("  end\n");
        for ((from, to), outputs) in wires(app) {
            let _ = writeln!(
                out,
                "  {} -->|\"{}\"| {}",
                id(from),
                escape(&outputs.join(", ")),
                id(to)
            );
        }
    }
    out
}

/// Mermaid labels are quoted; a quote inside one is written as an entity.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
}
