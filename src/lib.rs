//! `oam` compiles Open Application Model applications into plain Kubernetes manifests, offline.
//!
//! The pipeline, one module a stage; data flows one way:
//! 1. [`load`]: discover files, parse YAML with spans and budgets, classify documents.
//! 2. [`model`]: lower each dialect into one internal model.
//! 3. [`check`]: resolve references; appliesTo, conflictsWith and the other rules.
//! 4. [`render`]: parameters, names, labels, traits, core kinds → Kubernetes objects.
//! 5. [`emit`]: deterministic order; a YAML/JSON stream or a directory for Git.
//!
//! [`diag`] holds the one diagnostic type every stage reports with; [`describe`] shows the model
//! to people (`oam defs`, `oam explain`).
//!
#![allow(rustdoc::private_intra_doc_links)] // the stage links are for readers of the private docs
//! The library API is unstable: it exists for the CLI and for tests ([`run`]).

mod check;
mod cli;
mod describe;
mod diag;
mod emit;
mod load;
mod model;
mod parallel;
#[doc(hidden)]
pub mod profile;
mod render;
mod yaml_writer;

#[cfg(test)]
mod golden;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

use clap::Parser;

use cli::{
    Cli, Command, CompletionsArgs, DefinitionArgs, DefsArgs, DiffArgs, ExplainArgs, GraphArgs,
    InputArgs, RenderArgs,
};
use diag::{Code, Diagnostic};
use diag::{Diagnostics, ReportStyle};
use emit::DirOptions;
use load::{Budgets, Inputs, Sources};
use render::RenderOptions;

pub use emit::Format;

/// Where a run reads and writes: injectable, so tests run the CLI in-process.
pub struct Env<'a> {
    /// Relative paths are resolved against this directory, and shown relative to it.
    pub cwd: PathBuf,
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// Colour diagnostics (a terminal without `NO_COLOR`).
    pub colour: bool,
    /// Columns of the terminal standard output is, when it is one: wide tables fit in it.
    pub width: Option<usize>,
}

/// Runs the command line. Returns the exit code: 0 success, 1 invalid input, 2 bad usage.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, env: &mut Env<'_>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let text = if env.colour {
                error.render().ansi().to_string()
            } else {
                error.render().to_string()
            };
            let usage = error.use_stderr();
            let out = if usage {
                &mut *env.stderr
            } else {
                &mut *env.stdout
            };
            let _ = write!(out, "{text}");
            return if usage { 2 } else { 0 };
        }
    };
    if let Some(problem) = parallel::invalid_setting() {
        let _ = writeln!(env.stderr, "error: {problem}");
        return 2;
    }
    match cli.command {
        Command::Render(args) => render_command(&args, env),
        Command::Check(args) => {
            let mut session = Session::default();
            session.compile(&args, env, &[], &RenderOptions::default());
            session.finish(env)
        }
        Command::Defs(args) => defs_command(&args, env),
        Command::Explain(args) => explain_command(&args, env),
        Command::Graph(args) => graph_command(&args, env),
        Command::Diff(args) => diff_command(&args, env),
        Command::Completions(args) => completions_command(&args, env),
    }
}

fn graph_command(args: &GraphArgs, env: &mut Env<'_>) -> u8 {
    let mut session = Session::default();
    let Some(model) = session.model(&args.input, env, &args.apps) else {
        return session.finish(env);
    };
    let checked = check::check(&model, &mut session.diags);
    if !session.stop(args.input.run.strict) {
        let text = describe::graph(&checked, args.format);
        let _ = env.stdout.write_all(text.as_bytes());
    }
    session.finish(env)
}

fn defs_command(args: &DefsArgs, env: &mut Env<'_>) -> u8 {
    let mut session = Session::default();
    if args.old_format.is_some() {
        let _ = writeln!(
            env.stderr,
            "warning: `oam defs -o FORMAT` is now `oam defs --format FORMAT` (`-o` names an output directory elsewhere)"
        );
    }
    let format = args.old_format.unwrap_or(args.format);
    if let Some(model) = session.definitions(&args.paths, &args.sources, env) {
        let width = (!args.wide).then_some(env.width).flatten();
        let text = describe::defs(&model, &session.sources, format, width);
        let _ = env.stdout.write_all(text.as_bytes());
    }
    session.finish(env)
}

fn explain_command(args: &ExplainArgs, env: &mut Env<'_>) -> u8 {
    let mut session = Session::default();
    let Some(model) = session.definitions(&args.paths, &args.sources, env) else {
        return session.finish(env);
    };
    let text = match &args.name {
        None => describe::list_names(&model),
        Some(name) => {
            if let Some(text) = describe::explain(&model, &session.sources, name, args.format) {
                text
            } else {
                let names = model.definitions.iter().map(|d| d.name.value.as_str());
                let hint = diag::did_you_mean(name, names)
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                session.diags.push(
                    diag::Diagnostic::unlocated(
                        diag::Code::UnknownDefinition,
                        format!("no definition named `{name}`{hint}"),
                    )
                    .with_help(
                        "`oam explain` with no name lists them; add definition files with -d",
                    ),
                );
                return session.finish(env);
            }
        }
    };
    let _ = env.stdout.write_all(text.as_bytes());
    session.finish(env)
}

fn render_command(args: &RenderArgs, env: &mut Env<'_>) -> u8 {
    let mut session = Session::default();
    let flags = &args.flags;
    let Some(compiled) = session.compile(&args.input, env, &flags.apps, &flags.options()) else {
        return session.finish(env);
    };
    let header = (!args.no_header).then_some(&session.sources);
    match (&args.output, &args.check) {
        (Some(dir), _) => {
            let files = emit::layout(&compiled.objects, &compiled.app_order, header);
            let target = env.cwd.join(dir);
            match emit::write_dir(&target, dir, &files, DirOptions { force: args.force }) {
                Ok(warnings) => warnings.into_iter().for_each(|w| session.diags.push(w)),
                Err(diagnostic) => session.diags.push(diagnostic),
            }
        }
        (None, Some(dir)) => {
            let files = emit::layout(&compiled.objects, &compiled.app_order, header);
            let written = emit::read_written(&env.cwd.join(dir));
            let drift = emit::compare(&written, &files, (dir.trim_end_matches('/'), "rendered"));
            let _ = env.stdout.write_all(drift.diff.as_bytes());
            if drift.files > 0 {
                session.diags.push(
                    diag::Diagnostic::unlocated(
                        diag::Code::OutputDrift,
                        format!("`{dir}` is out of date: {} changed", count_files(drift.files)),
                    )
                    .with_help(format!("review the diff; if it is intended, run `oam render` with `-o {dir}` and commit the result")),
                );
            }
        }
        (None, None) => {
            // A closed pipe (`oam render | head`) is not an error of the input.
            let _ = env
                .stdout
                .write_all(emit::stream(&compiled.objects, args.format).as_bytes());
        }
    }
    session.finish(env)
}

/// Renders two input trees with the same flags and prints the difference (no headers: the
/// file names in them differ by design).
fn diff_command(args: &DiffArgs, env: &mut Env<'_>) -> u8 {
    let mut trees = Vec::new();
    let mut code = 0;
    for path in [&args.old, &args.new] {
        let input = InputArgs {
            paths: vec![path.clone()],
            sources: args.sources.clone(),
            run: args.run.clone(),
        };
        let mut session = Session::default();
        let compiled = session.compile(&input, env, &args.flags.apps, &args.flags.options());
        trees.push(compiled.map(|c| emit::layout(&c.objects, &c.app_order, None)));
        code = code.max(session.finish(env));
    }
    let (Some(Some(old)), Some(Some(new))) = (trees.first(), trees.get(1)) else {
        return code.max(1);
    };
    let labels = (
        args.old.trim_end_matches('/'),
        args.new.trim_end_matches('/'),
    );
    let drift = emit::compare(old, new, labels);
    let _ = env.stdout.write_all(drift.diff.as_bytes());
    if drift.files > 0 {
        let _ = writeln!(
            env.stderr,
            "`{}` and `{}` render differently: {} changed",
            args.old,
            args.new,
            count_files(drift.files)
        );
        code = code.max(1);
    }
    code
}

/// "1 file", "2 files".
fn count_files(count: usize) -> String {
    if count == 1 {
        "1 file".to_owned()
    } else {
        format!("{count} files")
    }
}

fn completions_command(args: &CompletionsArgs, env: &mut Env<'_>) -> u8 {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(args.shell, &mut command, "oam", env.stdout);
    0
}

fn inputs(paths: &[String], args: &DefinitionArgs) -> Inputs {
    let budgets = &args.budgets;
    Inputs {
        paths: paths.to_vec(),
        definition_dirs: args.definitions.clone(),
        builtins: !args.no_builtins,
        budgets: Budgets {
            max_file_bytes: budgets.max_file_bytes,
            max_input_bytes: budgets.max_input_bytes,
            max_documents: budgets.max_documents,
            max_depth: budgets.max_depth,
            max_alias_events: budgets.max_alias_events,
            ..Budgets::default()
        },
    }
}

/// Rendered objects in output order.
struct Compiled {
    app_order: Vec<String>,
    objects: Vec<render::Object>,
}

/// One run's sources and diagnostics.
#[derive(Default)]
struct Session {
    sources: Sources,
    diags: Diagnostics,
}

impl Session {
    /// Load → model → check → render, stopping after the first stage with errors.
    fn compile(
        &mut self,
        args: &InputArgs,
        env: &mut Env<'_>,
        apps: &[String],
        options: &RenderOptions,
    ) -> Option<Compiled> {
        let model = self.model(args, env, apps)?;
        let checked = check::check(&model, &mut self.diags);
        if self.stop(args.run.strict) {
            return None;
        }
        let options = RenderOptions {
            template_limits: args.sources.budgets.template_limits(),
            selected_apps: !apps.is_empty(),
            ..options.clone()
        };
        let mut objects = render::render(&checked, &options, &mut self.sources, &mut self.diags);
        if self.stop(args.run.strict) {
            return None;
        }
        let app_order: Vec<String> = model.apps.iter().map(|a| a.name.value.clone()).collect();
        emit::sort(&mut objects, &app_order);
        Some(Compiled { app_order, objects })
    }

    /// Load → model of the inputs, keeping only the `apps` named (all when none is).
    fn model(
        &mut self,
        args: &InputArgs,
        env: &mut Env<'_>,
        apps: &[String],
    ) -> Option<model::Model> {
        let inputs = inputs(&args.paths, &args.sources);
        let mut model = self.lower(
            &inputs,
            args.run.environment.as_deref(),
            env,
            args.run.strict,
        )?;
        if model.input_documents == 0 {
            self.diags.push(
                Diagnostic::unlocated(Code::NoInput, format!("the inputs ({}) hold no objects", args.paths.join(", ")))
                    .with_help("pass the files or directories with your apps; an empty file or a directory without *.yaml, *.yml or *.json renders nothing"),
            );
            return None;
        }
        if !apps.is_empty() {
            let names: Vec<&str> = model.apps.iter().map(|a| a.name.value.as_str()).collect();
            for wanted in apps.iter().filter(|w| !names.contains(&w.as_str())) {
                let hint = diag::did_you_mean(wanted, names.iter().copied())
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                self.diags.push(
                    Diagnostic::unlocated(Code::UnknownApp, format!("no app named `{}`{hint}", diag::printable(wanted)))
                        .with_help(format!("--app takes the name of an Application or ApplicationConfiguration among the inputs: {}", names.join(", "))),
                );
            }
            if self.diags.has_errors() {
                return None;
            }
            model.apps.retain(|a| apps.contains(&a.name.value));
        }
        Some(model)
    }

    /// Load → model, for the commands that only show definitions.
    fn definitions(
        &mut self,
        paths: &[String],
        args: &DefinitionArgs,
        env: &mut Env<'_>,
    ) -> Option<model::Model> {
        self.lower(&inputs(paths, args), None, env, false)
    }

    /// Load → model, stopping after the first stage with errors.
    fn lower(
        &mut self,
        inputs: &Inputs,
        environment: Option<&str>,
        env: &mut Env<'_>,
        strict: bool,
    ) -> Option<model::Model> {
        let documents = load::load(
            &env.cwd,
            inputs,
            env.stdin,
            &mut self.sources,
            &mut self.diags,
        );
        if self.stop(strict) {
            return None;
        }
        let model = model::lower(&documents, environment, &mut self.diags);
        if self.stop(strict) {
            return None;
        }
        Some(model)
    }

    fn stop(&mut self, strict: bool) -> bool {
        if strict {
            self.diags.promote_warnings();
        }
        self.diags.has_errors()
    }

    /// Prints the diagnostics; the exit code says whether there were errors.
    fn finish(self, env: &mut Env<'_>) -> u8 {
        let failed = self.diags.has_errors();
        let style = if env.colour {
            ReportStyle::Colour
        } else {
            ReportStyle::Plain
        };
        let text = diag::render_all(&self.diags.into_sorted(), &self.sources, style);
        let _ = env.stderr.write_all(text.as_bytes());
        u8::from(failed)
    }
}
