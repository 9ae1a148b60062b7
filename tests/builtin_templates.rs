//! The built-ins oam renders natively (`webservice`, `statefulset`, `worker`, `hpa`) give what
//! their templates give: every case of the golden suites, every bundled example, and every
//! Application KubeVela's docs show (when `../shared` is beside the checkout) rendered both
//! ways — natively, and with `RenderOptions::builtin_templates` — must be byte-identical, and
//! so must the diagnostics of whatever does not render. `src/render/native.rs` has the
//! parameter-by-parameter comparison; this one covers whole apps, with traits and patches.

mod oracle;

use std::path::Path;

use oam::{Format, Loader, RenderOptions};
use oracle::{corpus, listed, root, yaml_blocks};

/// What one loader renders, both ways: the YAML stream, or the diagnostics.
fn both_ways(loader: &Loader) -> [String; 2] {
    [false, true].map(|templates| {
        let options = RenderOptions::default().builtin_templates(templates);
        match loader.load().and_then(|p| p.check()?.render(&options)) {
            Ok(rendered) => rendered.to_stream(Format::Yaml),
            Err(diagnostics) => format!("{diagnostics:?}"),
        }
    })
}

fn assert_same(name: &str, loader: &Loader) {
    let [native, templates] = both_ways(loader);
    assert!(
        native == templates,
        "{name}: native renderers and templates differ:\n{}",
        similar::TextDiff::from_lines(&templates, &native).unified_diff()
    );
}

/// Does the text use a type with a native renderer? (Counts the cases that test something.)
fn uses_native_type(text: &str) -> bool {
    ["webservice", "statefulset", "worker", "hpa"]
        .iter()
        .any(|name| text.contains(&format!("type: {name}")))
}

#[test]
fn golden_cases_and_examples_render_the_same_both_ways() {
    let mut covered = 0;
    for suite in ["testdata/render", "testdata/render-dir", "examples"] {
        for dir in listed(&root().join(suite), &|p: &Path| p.is_dir()) {
            let loader = Loader::new().base_dir(&dir).path(".");
            assert_same(&dir.display().to_string(), &loader);
            covered += usize::from(folder_text(&dir).is_some_and(|t| uses_native_type(&t)));
        }
    }
    for file in listed(&root().join("testdata/kubevela-parity"), &|_| true) {
        let text = std::fs::read_to_string(&file).expect("a parity case");
        let loader = Loader::new().source(file.display().to_string(), text.clone());
        assert_same(&file.display().to_string(), &loader);
        covered += usize::from(uses_native_type(&text));
    }
    assert!(covered >= 20, "only {covered} cases use a native type");
}

/// Every YAML file of a folder, together (`None` if it has none).
fn folder_text(dir: &Path) -> Option<String> {
    let text: String = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    (!text.is_empty()).then_some(text)
}

#[test]
fn kubevela_doc_examples_render_the_same_both_ways() {
    let Some(corpus) = corpus("native against templates on KubeVela's examples") else {
        return;
    };
    let docs = corpus.join("references/docgen/def-doc");
    let mut covered = 0;
    for kind in ["component", "trait"] {
        for file in listed(&docs.join(kind), &|p: &Path| {
            p.to_string_lossy().ends_with(".eg.md")
        }) {
            let text = std::fs::read_to_string(&file).expect("an example");
            for (index, block) in yaml_blocks(&text).into_iter().enumerate() {
                if !block.contains("kind: Application") {
                    continue;
                }
                let name = format!("{}#{index}", file.display());
                covered += usize::from(uses_native_type(&block));
                assert_same(&name, &Loader::new().source(name.clone(), block));
            }
        }
    }
    assert!(covered >= 20, "only {covered} examples use a native type");
}
