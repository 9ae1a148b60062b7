//! `oam` compiles Open Application Model applications into plain Kubernetes manifests, offline.
//!
//! ```
//! let app = r#"apiVersion: core.oam.dev/v1beta1
//! kind: Application
//! metadata: {name: shop}
//! spec:
//!   components:
//!     - {name: web, type: webservice, properties: {image: "nginx:1.27", ports: [{port: 80, expose: true}]}}
//! "#;
//! let project = oam::Loader::new().source("shop.yaml", app).load()?;
//! let rendered = project.check()?.render(&oam::RenderOptions::default())?;
//! let kinds: Vec<&str> = rendered.objects().map(|o| o.kind()).collect();
//! assert_eq!(kinds, ["Service", "Deployment"]); // in the order `kubectl apply` wants
//! # Ok::<(), oam::Diagnostics>(())
//! ```
//!
//! # The library
//! The pipeline is three calls, each returning a value that can be inspected, or every
//! diagnostic found so far as the error:
//! - [`Loader`] says what to read (paths, texts in memory, definition folders), with
//!   [`Budgets`] against hostile input; [`Loader::load`] gives a [`Project`]: its apps and
//!   definitions, which `oam defs` and `oam explain` show.
//! - [`Project::check`] resolves every reference and applies the rules: a [`Checked`] project,
//!   whose dependency graph `oam graph` draws.
//! - [`Checked::render`] gives the [`Rendered`] objects, and the emitters: a YAML or JSON
//!   stream, the files of a directory for Git, writing that directory, comparing with it.
//!
//! Problems are [`Diagnostics`]: data ([`Diagnostic`], with codes, files, byte ranges, lines and
//! columns) that is also written for people (miette reports), tools (JSON lines), code scanning
//! (SARIF 2.1.0) and GitHub Actions. The library never prints, panics on input, or reads the
//! environment; [`run`] is the command line, written against this API alone, and
//! [`Watchdog`] the backstop it starts against work that no budget counts ahead. The
//! calling thread takes part in the work, and each level of an input's nesting is a level of
//! recursion: a call whose thread has too little stack for the depth its budgets allow does
//! its work on a stack of [`STACK_SIZE`] instead, so any thread may call.
//!
//! # Inside
//! The pipeline, one module a stage; data flows one way:
//! 1. `load`: discover files, parse YAML with spans and budgets, classify documents.
//! 2. `model`: lower each dialect into one internal model.
//! 3. `check`: resolve references; appliesTo, conflictsWith and the other rules.
//! 4. `render`: parameters, names, labels, traits, core kinds → Kubernetes objects.
//! 5. `emit`: deterministic order; a YAML/JSON stream or a directory for Git.
//!
//! `diag` holds the one diagnostic type every stage reports with; `describe` shows the model to
//! people; `project` is the public surface over the stages, and `cli` its client.
#![warn(missing_docs)]

mod check;
mod cli;
mod describe;
mod diag;
mod emit;
mod json_writer;
mod load;
mod model;
mod parallel;
mod project;
mod render;
mod yaml_writer;

#[cfg(test)]
mod golden;

// The public surface, all of it: everything else is private. `tests/api.rs` and the examples
// use each item, so a change here is a change a reviewer sees.
pub use cli::{Env, run};
pub use diag::Severity;
pub use diag::export::{Diagnostic, DiagnosticFormat, Diagnostics, Label};
pub use diag::printable;
pub use project::{
    AppInfo, Budgets, Checked, DefinitionInfo, DefinitionsFormat, Dependency, Drift, ExplainFormat,
    Format, GraphFormat, Loader, Object, Project, Rendered, WriteOptions,
};
pub use render::{RenderOptions, Watchdog, WatchdogLimits};
pub use yaml_writer::to_yaml;

/// The stack, in bytes, of the threads oam starts, and of the stack a call moves its work to
/// when its thread has too little for [`Budgets::max_depth`]. Input nested 1,000 levels deep,
/// the most that budget allows, needed 4.8 MiB in a release build and 39 MiB in a debug
/// build; at the default depth, 880 KiB and 2.5 MiB, more than the 2 MiB of a thread Rust
/// starts in a debug build (docs/reliability.md). Untouched, a stack costs address space, not
/// memory.
pub const STACK_SIZE: usize = 256 << 20;
