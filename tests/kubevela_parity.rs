//! KubeVela parity of the built-in library: every Application KubeVela's docs show for a
//! component type or trait (`references/docgen/def-doc/{component,trait}/*.eg.md` in the
//! corpus), and cases of ours (`testdata/kubevela-parity`), rendered twice by oam — with its
//! built-in definitions, and with KubeVela's own CUE definitions
//! (`vela-templates/definitions/internal`, passed with `-d`) — and compared object by object,
//! field by field, traits and patches included.
//!
//! The second render is KubeVela's: its templates evaluated by oam's CUE evaluator, which
//! `tests/cue_differential.rs` proves identical to real CUE on these very templates and
//! parameters, and patched by KubeVela's patch rules, which KubeVela's own dry-run expectations
//! check (`golden::upstream_dry_runs_match_kubevela`). Nothing is left out of the comparison:
//! names, namespaces, labels and annotations are assembled by the same code on both sides.
//!
//! The results are a section of docs/builtins.md; this test fails when it is not the one measured
//! (`OAM_BLESS=1` rewrites it), so every change in parity is reviewed. Needs `../shared/corpus`
//! (CI has it beside the checkout); without it, the test says so and passes.

mod oracle;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use oracle::{corpus, listed, root, yaml_blocks};

use oam::{Loader, RenderOptions};
use serde_json::Value;

/// One Application and what each side made of it: objects by kind and name, or the codes of
/// the diagnostics that refused it.
struct Case {
    id: String,
    /// The definition the example documents (`webservice`, `gateway`, or `ours`).
    subject: String,
    ours: Result<BTreeMap<String, Value>, String>,
    theirs: Result<BTreeMap<String, Value>, String>,
}

#[test]
fn kubevela_parity_table_is_current() {
    let Some(corpus) = corpus("KubeVela parity") else {
        return;
    };
    let definitions = corpus.join("vela-templates/definitions/internal");
    let mut cases = Vec::new();
    let mut invalid = Vec::new();
    for (subject, file) in example_files(&corpus) {
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
        for (index, block) in blocks.into_iter().enumerate() {
            let id = format!("{name}#{index}");
            if let Err(error) = serde_saphyr::from_multiple::<Value>(&block) {
                let first = error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                invalid.push((
                    subject.clone(),
                    format!("{id}: the example is not valid YAML ({first})"),
                ));
                continue;
            }
            if !block.contains("kind: Application") {
                continue;
            }
            cases.push(Case {
                id: id.clone(),
                subject: subject.clone(),
                ours: render(&id, &block, &[]),
                theirs: render(
                    &id,
                    &block,
                    &[&definitions.join("component"), &definitions.join("trait")],
                ),
            });
        }
    }
    check_table(&tabulate(&cases, &invalid));
}

/// KubeVela's examples for each component type and trait, then cases of ours:
/// (the definition documented, the file).
fn example_files(corpus: &Path) -> Vec<(String, PathBuf)> {
    let docs = corpus.join("references/docgen/def-doc");
    let mut files = Vec::new();
    for kind in ["component", "trait"] {
        for file in listed(&docs.join(kind), &|p| {
            p.to_string_lossy().ends_with(".eg.md")
        }) {
            let subject = file
                .file_name()
                .map(|n| n.to_string_lossy().trim_end_matches(".eg.md").to_owned())
                .unwrap_or_default();
            files.push((subject, file));
        }
    }
    for file in listed(&root().join("testdata/kubevela-parity"), &|_| true) {
        files.push(("(cases of ours)".to_owned(), file));
    }
    files
}

/// The objects oam renders for an example, by kind and name, with these definition folders
/// (none: the built-ins).
fn render(id: &str, text: &str, definitions: &[&Path]) -> Result<BTreeMap<String, Value>, String> {
    let mut loader = Loader::new().source(id.to_owned(), text.to_owned());
    for dir in definitions {
        loader = loader.definitions_dir(dir.to_string_lossy().into_owned());
    }
    let rendered = loader
        .load()
        .and_then(|p| p.check()?.render(&RenderOptions::default()))
        .map_err(|diagnostics| {
            let mut codes: Vec<&str> = diagnostics.to_vec().iter().map(|d| d.code).collect();
            codes.dedup();
            codes.join(", ")
        })?;
    Ok(rendered
        .objects()
        .map(|o| {
            let value = o.value().into_owned();
            (
                format!(
                    "{}/{}",
                    value["kind"].as_str().unwrap_or("?"),
                    value["metadata"]["name"].as_str().unwrap_or("?")
                ),
                value,
            )
        })
        .collect())
}

/// The parity table, a row per definition documented, and a line per case not identical.
fn tabulate(cases: &[Case], invalid: &[(String, String)]) -> String {
    // subject → [cases, identical, differing, refused by oam only, refused by KubeVela's
    // templates only, refused by both, example not YAML]
    let mut table: BTreeMap<String, [usize; 7]> = BTreeMap::new();
    let mut details = Vec::new();
    for (subject, line) in invalid {
        let row = table.entry(subject.clone()).or_default();
        row[0] += 1;
        row[6] += 1;
        details.push(line.clone());
    }
    for case in cases {
        let row = table.entry(case.subject.clone()).or_default();
        row[0] += 1;
        match (&case.ours, &case.theirs) {
            (Ok(ours), Ok(theirs)) => match first_difference(theirs, ours) {
                None => row[1] += 1,
                Some(at) => {
                    row[2] += 1;
                    details.push(format!("{}: differs at {at}", case.id));
                }
            },
            (Err(codes), Ok(_)) => {
                row[3] += 1;
                details.push(format!(
                    "{}: oam's built-ins refuse it ({codes}); KubeVela's templates render it",
                    case.id
                ));
            }
            (Ok(_), Err(codes)) => {
                row[4] += 1;
                details.push(format!(
                    "{}: KubeVela's templates refuse it ({codes}); oam's built-ins render it",
                    case.id
                ));
            }
            (Err(ours), Err(theirs)) => {
                row[5] += 1;
                details.push(format!(
                    "{}: both refuse it (built-ins: {ours}; KubeVela's templates: {theirs})",
                    case.id
                ));
            }
        }
    }
    let mut text = String::from(
        "| documents | cases | identical | differing | refused by oam only | refused by KubeVela's templates only | refused by both | example not YAML |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut totals = [0usize; 7];
    for (name, row) in &table {
        let _ = writeln!(
            text,
            "| {name} | {} |",
            row.map(|n| n.to_string()).join(" | ")
        );
        for (total, n) in totals.iter_mut().zip(row) {
            *total += n;
        }
    }
    let _ = writeln!(
        text,
        "| **all** | {} |",
        totals.map(|n| format!("**{n}**")).join(" | ")
    );
    text.push('\n');
    for line in &details {
        let _ = writeln!(text, "- {line}");
    }
    text
}

/// The first difference between KubeVela's objects and oam's: an object only one side has, or
/// the first field that differs.
fn first_difference(
    theirs: &BTreeMap<String, Value>,
    ours: &BTreeMap<String, Value>,
) -> Option<String> {
    for key in theirs.keys().chain(ours.keys()) {
        match (theirs.get(key), ours.get(key)) {
            (Some(t), Some(o)) => {
                if let Some(at) =
                    oracle::first_difference(t, o, &format!("/{key}"), ("KubeVela", "oam"))
                {
                    return Some(at);
                }
            }
            (Some(_), None) => return Some(format!("{key}: only KubeVela's templates render it")),
            (None, Some(_)) => return Some(format!("{key}: only oam's built-ins render it")),
            (None, None) => {}
        }
    }
    None
}

/// The parity section of docs/builtins.md must be the one measured. The rest of the page is
/// the built-in reference that `golden::builtin_reference_is_current` generates; it keeps this
/// section, between the same markers, as this test wrote it.
fn check_table(table: &str) {
    const START: &str = "<!-- KubeVela parity: tests/kubevela_parity.rs -->";
    const END: &str = "<!-- end of KubeVela parity -->";
    let section = format!(
        "{START}\n## KubeVela parity\n\n\
         Every Application KubeVela's docs show for a component type or trait, and cases of ours \
         (`testdata/kubevela-parity`), rendered by oam with these built-in definitions and with \
         KubeVela's own CUE definitions, compared object by object, field by field, traits and \
         patches included. Every evaluation of KubeVela's templates in these cases is also made \
         by real CUE and compared with oam's CUE evaluator in \
         [cue-conformance.md](cue-conformance.md). The built-ins take parameters of the types \
         KubeVela's templates take (`cpu: 0.5` is refused by both: quote it); where those \
         templates write an object the API server refuses (an exec probe with no command), the \
         built-ins refuse the input instead, and each such case's file says why. Measured by \
         `tests/kubevela_parity.rs` (`OAM_BLESS=1 cargo test --test kubevela_parity` rewrites \
         this section).\n\n{table}{END}"
    );
    let path = root().join("docs/builtins.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(start), Some(end)) = (current.find(START), current.find(END)) else {
        panic!(
            "docs/builtins.md has no parity section: generate the page first (OAM_BLESS=1 cargo test builtin_reference)"
        );
    };
    let page = format!(
        "{}{section}{}",
        &current[..start],
        &current[end + END.len()..]
    );
    oracle::check_page("docs/builtins.md", &page, table);
}
