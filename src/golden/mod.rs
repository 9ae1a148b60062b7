//! End-to-end golden tests. Each folder `testdata/<suite>/<case>/` is run in-process through
//! `run` with the case folder as working directory, and its output compared with `golden/`:
//!
//! - `render`: stdout → `golden/render/<case>.yaml` (stderr, if any → `<case>.stderr`); exit 0.
//! - `bad`: stderr → `golden/bad/<case>.stderr`; exit 1, nothing on stdout.
//! - `render-dir`: the tree written by `-o` → `golden/render-dir/<case>/`; exit 0.
//! - `examples/<name>/` → `golden/examples/<name>.yaml`.
//! - `cli`: any command (`args` required); exit code, stdout and stderr → `golden/cli/<case>.out`.
//!
//! A case may hold `args`: the command line, one argument a line (default `render .`);
//! `{out}` stands for the output directory of `render-dir` cases.
//! Re-bless every golden file (and drop orphans) with `OAM_BLESS=1 cargo test`, then read the diff.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::Env;

mod docs;
mod hostile;
mod mutations;
mod output;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn blessing() -> bool {
    std::env::var_os("OAM_BLESS").is_some_and(|v| v == "1")
}

struct Outcome {
    code: u8,
    stdout: String,
    stderr: String,
}

fn run_case(dir: &Path, args: &[String]) -> Outcome {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut stdin: &[u8] = b"";
    let mut env = Env::new(dir.to_path_buf(), &mut stdin, &mut stdout, &mut stderr);
    let code = crate::run(
        std::iter::once("oam".to_owned()).chain(args.iter().cloned()),
        &mut env,
    );
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).replace("\r\n", "\n");
    Outcome {
        code,
        stdout: text(stdout),
        stderr: text(stderr),
    }
}

fn case_args(dir: &Path, out: Option<&Path>) -> Vec<String> {
    let text = fs::read_to_string(dir.join("args")).unwrap_or_else(|_| "render\n.\n".to_owned());
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match out {
            Some(out) => l.replace("{out}", &out.to_string_lossy()),
            None => l.to_owned(),
        })
        .collect()
}

fn cases(suite_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = fs::read_dir(suite_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    cases
}

/// Collects mismatches of one suite, so a run reports all of them at once.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    expected_files: Vec<PathBuf>,
}

impl Report {
    fn compare(&mut self, golden: &Path, actual: &str) {
        self.expected_files.push(golden.to_path_buf());
        if blessing() {
            if let Some(parent) = golden.parent() {
                fs::create_dir_all(parent).expect("create golden folder");
            }
            fs::write(golden, actual).expect("write golden file");
            return;
        }
        let expected = fs::read_to_string(golden)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        if expected != actual {
            let diff = TextDiff::from_lines(&expected, actual)
                .unified_diff()
                .header("golden", "actual")
                .to_string();
            self.failures
                .push(format!("{} differs:\n{diff}", golden.display()));
        }
    }

    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// With OAM_BLESS=1, removes golden files of cases that no longer exist.
    fn prune(&self, golden_dir: &Path) {
        if !blessing() {
            return;
        }
        for entry in walkdir::WalkDir::new(golden_dir)
            .contents_first(true)
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            let kept = self
                .expected_files
                .iter()
                .any(|f| f == path || f.starts_with(path));
            if !kept {
                let _ = if entry.file_type().is_dir() {
                    fs::remove_dir(path)
                } else {
                    fs::remove_file(path)
                };
            }
        }
    }

    fn finish(self, suite: &str) {
        assert!(
            self.failures.is_empty(),
            "{suite}: {} mismatches (bless with OAM_BLESS=1 cargo test)\n\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn stream_suite(suite: &str, cases_dir: &Path, golden_dir: &Path, expect_code: u8) {
    let mut report = Report::default();
    for (name, dir) in cases(cases_dir) {
        let outcome = run_case(&dir, &case_args(&dir, None));
        if outcome.code != expect_code {
            report.fail(format!(
                "{suite}/{name}: exit {} (expected {expect_code})\n{}",
                outcome.code, outcome.stderr
            ));
        }
        if expect_code == 1 {
            if !outcome.stdout.is_empty() {
                report.fail(format!("{suite}/{name}: wrote to stdout on failure"));
            }
            report.compare(&golden_dir.join(format!("{name}.stderr")), &outcome.stderr);
        } else {
            report.compare(&golden_dir.join(format!("{name}.yaml")), &outcome.stdout);
            if !outcome.stderr.is_empty() {
                report.compare(&golden_dir.join(format!("{name}.stderr")), &outcome.stderr);
            }
        }
    }
    report.prune(golden_dir);
    report.finish(suite);
}

#[test]
fn render_cases() {
    stream_suite(
        "render",
        &root().join("testdata/render"),
        &root().join("golden/render"),
        0,
    );
}

#[test]
fn bad_input_cases() {
    stream_suite(
        "bad",
        &root().join("testdata/bad"),
        &root().join("golden/bad"),
        1,
    );
}

#[test]
fn examples() {
    stream_suite(
        "examples",
        &root().join("examples"),
        &root().join("golden/examples"),
        0,
    );
}

#[test]
fn cli_cases() {
    let golden_dir = root().join("golden/cli");
    let mut report = Report::default();
    for (name, dir) in cases(&root().join("testdata/cli")) {
        let outcome = run_case(&dir, &case_args(&dir, None));
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            outcome.code, outcome.stdout, outcome.stderr
        );
        report.compare(&golden_dir.join(format!("{name}.out")), &text);
    }
    report.prune(&golden_dir);
    report.finish("cli");
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e
                .path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .to_string_lossy()
                .replace('\\', "/");
            (relative, fs::read_to_string(e.path()).unwrap_or_default())
        })
        .collect()
}

#[test]
fn render_dir_cases() {
    let golden_root = root().join("golden/render-dir");
    let mut report = Report::default();
    for (name, dir) in cases(&root().join("testdata/render-dir")) {
        let out = std::env::temp_dir().join(format!("oam-golden-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        let outcome = run_case(&dir, &case_args(&dir, Some(&out)));
        if outcome.code != 0 {
            report.fail(format!(
                "render-dir/{name}: exit {}\n{}",
                outcome.code, outcome.stderr
            ));
            continue;
        }
        let golden = golden_root.join(&name);
        let actual = read_tree(&out);
        if blessing() {
            let _ = fs::remove_dir_all(&golden);
        }
        for (file, content) in &actual {
            report.compare(&golden.join(file), content);
        }
        if !blessing() {
            for file in read_tree(&golden)
                .keys()
                .filter(|f| !actual.contains_key(*f))
            {
                report.fail(format!("render-dir/{name}: {file} was not written"));
            }
        }
        let _ = fs::remove_dir_all(&out);
    }
    report.prune(&golden_root);
    report.finish("render-dir");
}

/// Renders the same inputs twice: byte-identical output.
/// The upstream corpus (`../shared/corpus`, beside the checkout in CI; a plain clone does not
/// have it, and then this says so): the lines of `file` under `testdata/`, each a set of inputs,
/// `{root}` standing for this checkout.
/// The corpus tests are `#[ignore]`d, so `cargo test` shows them as ignored on a clone without
/// `../shared/corpus`; `scripts/test.sh` runs them (`--ignored`) where it is present, as on CI.
fn corpus_sets(file: &str) -> (PathBuf, Vec<Vec<String>>) {
    let corpus = root().join("../shared/corpus");
    assert!(
        corpus.is_dir(),
        "{} is absent: run these tests where it exists",
        corpus.display()
    );
    let text = fs::read_to_string(root().join("testdata").join(file)).expect("a corpus set list");
    let root = root().to_string_lossy().into_owned();
    let sets = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split_whitespace()
                .map(|w| w.replace("{root}", &root))
                .collect()
        })
        .collect();
    (corpus, sets)
}

/// The upstream examples of every dialect render.
#[test]
#[ignore = "needs ../shared/corpus beside the checkout (CI has it; scripts/test.sh runs these when it is there)"]
fn upstream_examples_render() {
    let (corpus, sets) = corpus_sets("corpus-sets.txt");
    for set in sets {
        let args: Vec<String> = std::iter::once("render".to_owned())
            .chain(set.clone())
            .collect();
        let outcome = run_case(&corpus, &args);
        assert_eq!(outcome.code, 0, "{set:?}\n{}", outcome.stderr);
        assert!(outcome.stdout.contains("kind:"), "{set:?} rendered nothing");
    }
}

/// Upstream inputs oam cannot render (CUE, Helm, unknown types) are refused with the named
/// diagnostic and no output, never skipped.
#[test]
#[ignore = "needs ../shared/corpus beside the checkout (CI has it; scripts/test.sh runs these when it is there)"]
fn upstream_examples_refused() {
    let (corpus, sets) = corpus_sets("corpus-refused.txt");
    for set in sets {
        let (code, inputs) = set.split_first().expect("a code, then inputs");
        let args: Vec<String> = std::iter::once("render".to_owned())
            .chain(inputs.iter().cloned())
            .collect();
        let outcome = run_case(&corpus, &args);
        assert_eq!(outcome.code, 1, "{set:?}\n{}", outcome.stderr);
        assert!(outcome.stdout.is_empty(), "{set:?} wrote output");
        assert!(
            outcome.stderr.contains(code.as_str()),
            "{set:?}: no {code}\n{}",
            outcome.stderr
        );
    }
}

/// Metadata KubeVela writes that oam does not, by decision (docs/decisions.md): the app
/// revision (KubeVela's `-vN` counter, which needs the cluster's history; oam labels
/// `app.oam.dev/revision` with a content hash instead) and the namespace label (the object's
/// `metadata.namespace` says it). Empty `annotations: {}` are no content.
const KUBEVELA_ONLY_LABELS: &[&str] = &[
    "app.oam.dev/appRevision",
    "app.oam.dev/namespace",
    "app.oam.dev/revision",
];

/// An object without the metadata only one of KubeVela and oam writes.
fn comparable(mut object: serde_json::Value) -> serde_json::Value {
    if let Some(metadata) = object
        .get_mut("metadata")
        .and_then(serde_json::Value::as_object_mut)
    {
        if let Some(labels) = metadata
            .get_mut("labels")
            .and_then(serde_json::Value::as_object_mut)
        {
            for label in KUBEVELA_ONLY_LABELS {
                labels.shift_remove(*label);
            }
        }
        if metadata
            .get("annotations")
            .is_some_and(|a| a.as_object().is_some_and(serde_json::Map::is_empty))
        {
            metadata.shift_remove("annotations");
        }
    }
    object
}

/// The objects of a YAML stream (KubeVela's dry-run output, or a dry-run test's expectation
/// with `ComponentOutput` and `ComponentOutputsAndTraits`), keyed by kind and name.
fn objects_of(text: &str) -> BTreeMap<String, serde_json::Value> {
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(text).expect("a YAML stream");
    let mut objects = Vec::new();
    for document in documents {
        if document.get("kind").is_some() {
            objects.push(document);
        } else if let Some(output) = document.get("ComponentOutput") {
            objects.push(output.clone());
            objects.extend(
                document["ComponentOutputsAndTraits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
    }
    objects
        .into_iter()
        .map(|o| {
            let key = format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            );
            (key, comparable(o))
        })
        .collect()
}

/// KubeVela's own expectations of a dry run (its e2e plugin test, its dry-run unit test): the
/// same inputs render to the same objects, but for `KUBEVELA_ONLY_LABELS`. Their definitions
/// are CUE.
#[test]
#[ignore = "needs ../shared/corpus beside the checkout (CI has it; scripts/test.sh runs these when it is there)"]
fn upstream_dry_runs_match_kubevela() {
    let (corpus, sets) = corpus_sets("corpus-dry-runs.txt");
    for set in sets {
        let (expected, inputs) = set.split_first().expect("an expectation, then inputs");
        let args: Vec<String> = std::iter::once("render".to_owned())
            .chain(inputs.iter().cloned())
            .collect();
        let outcome = run_case(&corpus, &args);
        assert_eq!(outcome.code, 0, "{set:?}\n{}", outcome.stderr);
        let theirs =
            objects_of(&fs::read_to_string(corpus.join(expected)).expect("the expectation"));
        let ours = objects_of(&outcome.stdout);
        // Field order is no content: maps compare as maps.
        assert!(
            ours == theirs,
            "{set:?}: oam's objects differ from KubeVela's\noam: {}\nKubeVela: {}",
            serde_json::to_string_pretty(&ours).unwrap_or_default(),
            serde_json::to_string_pretty(&theirs).unwrap_or_default()
        );
    }
}

/// `docs/builtins.md` is `oam explain NAME --format markdown` of every built-in definition, as
/// a platform team would publish it; this keeps the page in step with the library.
#[test]
fn builtin_reference_is_current() {
    let empty = std::env::temp_dir().join(format!("oam-builtins-{}", std::process::id()));
    fs::create_dir_all(&empty).expect("create an empty folder");
    let args = |list: &[&str]| -> Vec<String> { list.iter().map(|s| (*s).to_owned()).collect() };
    let defs = run_case(&empty, &args(&["defs", "--format", "json"]));
    let listed: serde_json::Value = serde_json::from_str(&defs.stdout).expect("defs -o json");
    let mut page = String::from(
        "# Built-in definitions\n\nEvery definition oam knows without `-d`, as `oam explain NAME --format markdown` \
         prints it (this page is generated: `OAM_BLESS=1 cargo test builtin_reference`). A user \
         definition of the same name replaces a built-in one. `webservice`, `statefulset`, \
         `worker` and `hpa` are rendered by oam natively, with the output of their templates \
         (tests render every case both ways; `RenderOptions::builtin_templates` renders \
         through the templates).\n\n",
    );
    // The parity section is measured by tests/kubevela_parity.rs, which rewrites it in place.
    let current = fs::read_to_string(root().join("docs/builtins.md")).unwrap_or_default();
    page.push_str(parity_section(&current).unwrap_or(
        "<!-- KubeVela parity: tests/kubevela_parity.rs -->\n\
         (not measured yet: `OAM_BLESS=1 cargo test --test kubevela_parity`)\n\
         <!-- end of KubeVela parity -->",
    ));
    page.push('\n');
    for definition in listed.as_array().into_iter().flatten() {
        let name = definition["name"].as_str().unwrap_or_default();
        let explained = run_case(&empty, &args(&["explain", name, "--format", "markdown"]));
        assert_eq!(explained.code, 0, "{name}: {}", explained.stderr);
        page.push('\n');
        // Headings one level down (the page has one title); code blocks as they are.
        let mut in_code = false;
        for line in explained.stdout.lines() {
            in_code ^= line.starts_with("```");
            if line.starts_with('#') && !in_code {
                page.push('#');
            }
            page.push_str(line);
            page.push('\n');
        }
    }
    let _ = fs::remove_dir_all(&empty);
    let mut report = Report::default();
    report.compare(&root().join("docs/builtins.md"), &page);
    report.finish("builtin reference");
}

/// The section of docs/builtins.md that tests/kubevela_parity.rs writes, markers included.
fn parity_section(page: &str) -> Option<&str> {
    const END: &str = "<!-- end of KubeVela parity -->";
    let start = page.find("<!-- KubeVela parity: ")?;
    let end = page[start..].find(END)? + start + END.len();
    Some(&page[start..end])
}

/// A test's own empty folder under the system's temporary folder, removed when the test ends,
/// whether it passes or fails (a test that forgot to remove its folder left one per run).
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("oam-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch folder");
    Scratch(dir)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The same inputs render byte-identically every time (no hash-map order, clock or address
/// reaches the output): every example 20 times, every render case twice.
#[test]
fn rendering_is_repeatable() {
    let suites = [("examples", 20), ("testdata/render", 2)];
    for (suite, runs) in suites {
        for (_, dir) in cases(&root().join(suite)) {
            let args = case_args(&dir, None);
            let first = run_case(&dir, &args).stdout;
            for _ in 1..runs {
                assert_eq!(run_case(&dir, &args).stdout, first, "{}", dir.display());
            }
        }
    }
}

/// The thread count never changes the output or the diagnostics: every example, render case
/// and bad case with one worker and with two, byte for byte.
#[test]
fn output_is_the_same_with_one_thread_or_two() {
    for suite in ["examples", "testdata/render", "testdata/bad"] {
        for (_, dir) in cases(&root().join(suite)) {
            let args = case_args(&dir, None);
            let with = |threads: usize| {
                crate::parallel::pin(Some(threads));
                let outcome = run_case(&dir, &args);
                crate::parallel::pin(None);
                (outcome.code, outcome.stdout, outcome.stderr)
            };
            assert_eq!(with(1), with(2), "{}", dir.display());
        }
    }
}
