//! Generated malformed input: each line of `testdata/mutations/cases.txt` changes one field of
//! a valid base file (sets it to a wrong type, deletes it, renames its key, adds a clashing
//! item), and the result is rendered on its own. A mutation must end in exit 1 with coded
//! diagnostics that each point at a span, or be marked `valid` and render (exit 0); no panic.
//! `golden/mutations.txt` keeps each case's exit code and its diagnostics' codes and positions,
//! `golden/mutations/<case>.yaml` the rendering of each valid one.

use std::fmt::Write as _;
use std::fs;

use serde_json::Value;

use super::{Report, root, run_case, scratch, strings};
use crate::diag::Diagnostics;
use crate::load::{Budgets, FileId, parse_yaml};

/// The documents of a YAML text, as values.
fn documents_of(text: &str) -> Vec<Value> {
    let mut diags = Diagnostics::default();
    let nodes = parse_yaml(FileId(0), text, &Budgets::default(), &mut diags);
    assert!(!diags.has_errors(), "not YAML: {text}");
    nodes.iter().map(crate::load::Node::to_value).collect()
}

/// A YAML value written in a case line (flow YAML, or a plain scalar).
fn value_of(text: &str) -> Value {
    documents_of(&format!("v: {text}\n"))[0]["v"].take()
}

/// The parent of the place `pointer` names, and the last step.
fn parent<'a>(document: &'a mut Value, pointer: &str) -> (&'a mut Value, String) {
    let (path, last) = pointer.rsplit_once('/').expect("a pointer starts with /");
    let parent = document
        .pointer_mut(path)
        .unwrap_or_else(|| panic!("no `{path}` in the base file"));
    (parent, last.to_owned())
}

fn mutate(document: &mut Value, op: &str, pointer: &str, argument: &str) {
    let (parent, last) = parent(document, pointer);
    match (op, parent) {
        ("set", Value::Object(map)) => {
            map.insert(last, value_of(argument));
        }
        ("set", Value::Array(items)) => {
            items[last.parse::<usize>().expect("an index")] = value_of(argument);
        }
        ("delete", Value::Object(map)) => {
            map.shift_remove(&last).expect("the field exists");
        }
        ("delete", Value::Array(items)) => {
            items.remove(last.parse::<usize>().expect("an index"));
        }
        ("rename", Value::Object(map)) => {
            assert!(map.contains_key(&last), "no key `{last}`");
            *map = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| {
                    if k == last {
                        (argument.to_owned(), v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
        }
        ("append", parent) => {
            let items = parent
                .get_mut(&last)
                .and_then(Value::as_array_mut)
                .expect("a list");
            items.push(value_of(argument));
        }
        (op, _) => panic!("`{op}` does not apply at `{pointer}`"),
    }
}

/// `E013 app.yaml:8:13` for each diagnostic of a rendered report, in order.
fn positions(stderr: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if let Some(code) = line.strip_prefix("oam::") {
            found.push(code.trim().to_owned());
        } else if let Some(at) = line.trim_start().strip_prefix("╭─[") {
            if let Some(last) = found.last_mut() {
                if !last.contains(' ') {
                    let _ = write!(last, " {}", at.trim_end_matches(']'));
                }
            }
        }
    }
    found
}

#[test]
fn mutated_inputs_fail_clearly() {
    let dir = root().join("testdata/mutations");
    let cases = fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    let work = scratch("mutations");
    let mut golden = String::new();
    let mut report = Report::default();
    let mut problems = Vec::new();
    let mut count = 0;
    for line in cases
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (line, valid) = match line.trim_end().strip_suffix("valid") {
            Some(rest) => (rest.trim_end(), true),
            None => (line.trim_end(), false),
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (name, file, op, target) = (fields[0], fields[1], fields[2], fields[3]);
        // The value is the rest of the line after the target (flow YAML may hold spaces).
        let argument = line[line.find(target).expect("target") + target.len()..].trim();
        let (index, pointer) = target.split_once(':').map_or((0, target), |(i, p)| {
            (i.parse().expect("a document index"), p)
        });
        let base = fs::read_to_string(dir.join(file)).expect("base file");
        let mut documents = documents_of(&base);
        mutate(&mut documents[index], op, pointer, argument);
        let text = documents.iter().fold(String::new(), |mut text, d| {
            text.push_str("---\n");
            text.push_str(&crate::yaml_writer::to_yaml(d));
            text
        });
        fs::write(work.join("app.yaml"), text).expect("write the case");
        let outcome = run_case(&work, &strings(&["render", "app.yaml"]));
        let found = positions(&outcome.stderr);
        let _ = writeln!(
            golden,
            "{name}: exit {}: {}",
            outcome.code,
            found.join(", ")
        );
        count += 1;
        let errors_unlocated = found.iter().any(|f| f.starts_with('E') && !f.contains(' '));
        match (valid, outcome.code) {
            // A valid mutation keeps its rendering as golden, for review.
            (true, 0) => report.compare(
                &root().join(format!("golden/mutations/{name}.yaml")),
                &outcome.stdout,
            ),
            (false, 1) if !found.is_empty() && !errors_unlocated => {}
            _ => problems.push(format!(
                "{name}: exit {} ({}):\n{}",
                outcome.code,
                if valid {
                    "marked valid"
                } else {
                    "must fail with located diagnostics"
                },
                outcome.stderr
            )),
        }
    }
    assert!(count >= 80, "{count} cases");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    report.compare(&root().join("golden/mutations.txt"), &golden);
    report.finish("mutations");
}
