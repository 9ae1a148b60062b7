//! The dependency DAG of one app: an edge from a component to each component that takes one of
//! its data outputs. Outputs are unique per app, every input names one, and the graph has no
//! cycle (the runtime deadlocked on one silently). Components are ordered by depth: a component
//! comes after everything it depends on.

use std::collections::{BTreeSet, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::model::{App, DataOutput};

/// One wire of the graph: `to` takes output `output` of `from` (indices of app entries), or
/// (no output) names `from` in its `dependsOn`.
#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) output: Option<String>,
    /// What makes the edge: the input's `from`, or the `dependsOn` item.
    pub(crate) span: Span,
}

/// The app's dependency graph, checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dependencies {
    /// Entry indices, each after every entry it depends on; ties keep the input order.
    pub(crate) order: Vec<usize>,
    /// Per entry: the longest chain of dependencies below it (0: depends on nothing).
    pub(crate) depth: Vec<usize>,
    pub(crate) edges: Vec<Edge>,
}

impl Dependencies {
    /// The entries each entry depends on, in input order, without repeats.
    pub(crate) fn dependencies(&self, entries: usize) -> Vec<Vec<usize>> {
        let mut dependencies = vec![Vec::new(); entries];
        for (from, to) in distinct(&self.edges) {
            if let Some(list) = dependencies.get_mut(to) {
                list.push(from);
            }
        }
        dependencies
    }
}

/// Where an output is declared: (entry index, the output).
pub(crate) fn find_output<'a>(app: &'a App, name: &str) -> Option<(usize, &'a DataOutput)> {
    app.components.iter().enumerate().find_map(|(i, entry)| {
        entry
            .all_outputs()
            .find(|o| o.name.value == name)
            .map(|o| (i, o))
    })
}

pub(super) fn check(app: &App, diags: &mut Diagnostics) -> Dependencies {
    // Every lookup below is by name, once per input or `dependsOn` item: an app of thousands
    // of components and dependencies is checked in time linear in them.
    let mut seen: Vec<&DataOutput> = Vec::new();
    let mut producers: HashMap<&str, (usize, &DataOutput)> = HashMap::new();
    let outputs = app
        .components
        .iter()
        .enumerate()
        .flat_map(|(index, entry)| entry.all_outputs().map(move |output| (index, output)));
    for (index, output) in outputs {
        if let Some((_, first)) = producers.get(output.name.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateDataOutput,
                    output.name.span,
                    format!(
                        "a second data output named `{}` in app `{}`",
                        output.name.value, app.name.value
                    ),
                )
                .with_label(first.name.span, "first declared here")
                .with_help(
                    "data output names are unique per app: rename one, and the inputs that take it",
                ),
            );
        } else {
            seen.push(output);
            producers.insert(&output.name.value, (index, output));
        }
    }
    let edges = edges(app, &seen, &producers, diags);
    let distinct = distinct(&edges);
    let count = app.components.len();
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(count, distinct.len());
    let nodes: Vec<NodeIndex> = (0..count).map(|i| graph.add_node(i)).collect();
    for &(from, to) in &distinct {
        graph.add_edge(nodes[from], nodes[to], ());
    }
    let mut cyclic = false;
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
        if scc.len() > 1 || self_loop {
            cyclic = true;
            diags.push(cycle(
                app,
                &scc.iter().map(|n| graph[*n]).collect::<Vec<_>>(),
                &edges,
            ));
        }
    }
    if cyclic {
        return Dependencies {
            edges,
            ..Dependencies::default()
        };
    }
    // Kahn's algorithm, always taking the earliest ready entry: deterministic, input order kept.
    let mut waiting: Vec<usize> = vec![0; count];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in &distinct {
        waiting[to] += 1;
        dependents[from].push(to);
    }
    let mut ready: BTreeSet<usize> = (0..count).filter(|i| waiting[*i] == 0).collect();
    let mut order = Vec::with_capacity(count);
    let mut depth = vec![0; count];
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &to in &dependents[next] {
            depth[to] = depth[to].max(depth[next] + 1);
            waiting[to] -= 1;
            if waiting[to] == 0 {
                ready.insert(to);
            }
        }
    }
    Dependencies {
        order,
        depth,
        edges,
    }
}

/// The edges of the graph: one per data input (to the output it names) and per `dependsOn`
/// entry; names that resolve to nothing are reported.
fn edges(
    app: &App,
    outputs: &[&DataOutput],
    producers: &HashMap<&str, (usize, &DataOutput)>,
    diags: &mut Diagnostics,
) -> Vec<Edge> {
    // The first component of each name, as a search in input order finds it.
    let mut components: HashMap<&str, usize> = HashMap::new();
    for (index, entry) in app.components.iter().enumerate() {
        components.entry(&entry.name().value).or_insert(index);
    }
    let mut edges = Vec::new();
    for (to, entry) in app.components.iter().enumerate() {
        for input in entry.all_inputs() {
            let Some(&(from, _)) = producers.get(input.from.value.as_str()) else {
                let names = outputs.iter().map(|o| o.name.value.as_str());
                let d = Diagnostic::new(
                    Code::UnknownDataOutput,
                    input.from.span,
                    format!(
                        "no data output named `{}` in app `{}`",
                        input.from.value, app.name.value
                    ),
                );
                let d = d.with_suggestion(&input.from.value, names, "no component declares it");
                diags.push(d.with_help("declare it under `dataOutputs` of the component that produces the value, or fix the name"));
                continue;
            };
            edges.push(Edge {
                from,
                to,
                output: Some(input.from.value.clone()),
                span: input.from.span,
            });
        }
        for name in &entry.depends_on {
            let Some(&from) = components.get(name.value.as_str()) else {
                let names = app.components.iter().map(|c| c.name().value.as_str());
                let d = Diagnostic::new(
                    Code::UnknownComponent,
                    name.span,
                    format!(
                        "`dependsOn` names no component `{}` of app `{}`",
                        name.value, app.name.value
                    ),
                );
                diags.push(
                    d.with_suggestion(&name.value, names, "the app has no component of that name")
                        .with_help("name a component of the same Application, or drop the entry"),
                );
                continue;
            };
            edges.push(Edge {
                from,
                to,
                output: None,
                span: name.span,
            });
        }
    }
    edges
}

/// Distinct (from, to) pairs: two outputs passed between the same components are one ordering.
fn distinct(edges: &[Edge]) -> BTreeSet<(usize, usize)> {
    edges.iter().map(|e| (e.from, e.to)).collect()
}

fn cycle(app: &App, members: &[usize], edges: &[Edge]) -> Diagnostic {
    let mut members = members.to_vec();
    members.sort_unstable();
    let names: Vec<&str> = members
        .iter()
        .map(|i| app.components[*i].name().value.as_str())
        .collect();
    let reasons: Vec<Span> = edges
        .iter()
        .filter(|e| members.binary_search(&e.from).is_ok() && members.binary_search(&e.to).is_ok())
        .map(|e| e.span)
        .collect();
    let first = app.components[members[0]].name();
    let mut d = Diagnostic::new(
        Code::DependencyCycle,
        reasons.first().copied().unwrap_or(first.span),
        format!(
            "components {} of app `{}` depend on each other in a cycle",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            app.name.value
        ),
    )
    .with_label_text("depends on a component within the cycle");
    for span in reasons.iter().skip(1) {
        d = d.with_label(*span, "depends on a component within the cycle");
    }
    d.with_help("no order renders these: break the cycle by removing one data input or dependsOn entry, or by passing the value by hand")
}
