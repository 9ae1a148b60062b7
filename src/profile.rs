//! Stage timings for the benchmarks (`benches/pipeline.rs`): the CLI's own pipeline, timed
//! stage by stage, and the floor it is measured against: parsing every input document with the
//! same YAML library and writing it back out, nothing else. Not a stable API.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::load::{self, Inputs, Sources};
use crate::{check, diag, emit, model, render};

/// How long each stage took, and what came out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stages {
    pub load: Duration,
    pub model: Duration,
    pub check: Duration,
    pub render: Duration,
    pub emit: Duration,
    pub objects: usize,
    pub output_bytes: usize,
    pub errors: usize,
}

impl Stages {
    pub fn total(&self) -> Duration {
        self.load + self.model + self.check + self.render + self.emit
    }
}

/// Renders `paths` (relative to `cwd`) with the built-in definitions, as `oam render` does,
/// and times each stage.
pub fn stages(cwd: &Path, paths: &[String]) -> Stages {
    let inputs = Inputs {
        paths: paths.to_vec(),
        builtins: true,
        ..Inputs::default()
    };
    let mut sources = Sources::default();
    let mut diags = diag::Diagnostics::default();
    let mut out = Stages::default();
    let started = Instant::now();
    let documents = load::load(
        cwd,
        &inputs,
        &mut std::io::empty(),
        &mut sources,
        &mut diags,
    );
    out.load = started.elapsed();
    let started = Instant::now();
    let model = model::lower(&documents, None, &mut diags);
    out.model = started.elapsed();
    let started = Instant::now();
    let checked = check::check(&model, &mut diags);
    out.check = started.elapsed();
    let started = Instant::now();
    let mut objects = render::render(
        &checked,
        &render::RenderOptions::default(),
        &mut sources,
        &mut diags,
    );
    out.render = started.elapsed();
    let started = Instant::now();
    let app_order: Vec<String> = model.apps.iter().map(|a| a.name.value.clone()).collect();
    emit::sort(&mut objects, &app_order);
    let text = emit::stream(&objects, emit::Format::Yaml);
    out.emit = started.elapsed();
    out.objects = objects.len();
    out.output_bytes = text.len();
    out.errors = diags.error_count();
    out
}

/// The floor: every document of `texts` parsed with serde-saphyr and written back as YAML with
/// oam's writer. Returns the bytes written.
pub fn parse_and_reemit(texts: &[String]) -> usize {
    let mut written = 0;
    for text in texts {
        let documents: Vec<serde_json::Value> =
            serde_saphyr::from_str_multiple(text).unwrap_or_default();
        for document in &documents {
            written += crate::yaml_writer::to_yaml(document).len() + 4;
        }
    }
    written
}
