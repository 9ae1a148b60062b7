//! The command line, a client of the library's public API and nothing else: it turns arguments
//! into a [`Loader`], calls the pipeline's steps, and prints their text and diagnostics
//! (`tests` keeps it to the public surface).

mod args;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::{
    DiagnosticFormat, Diagnostics, Format, Loader, Project, RenderOptions, Rendered, Watchdog,
    WatchdogLimits, WriteOptions,
};
use args::{
    Cli, Command, CompletionsArgs, DefinitionArgs, DefsArgs, DiffArgs, ExplainArgs, GraphArgs,
    InputArgs, RenderArgs,
};

/// Where a run reads and writes: injectable, so tests run the CLI in-process.
pub struct Env<'a> {
    /// Relative paths are resolved against this directory, and shown relative to it.
    pub cwd: PathBuf,
    /// Read for the input `-`.
    pub stdin: &'a mut dyn Read,
    /// Rendered output and listings.
    pub stdout: &'a mut dyn Write,
    /// Diagnostics.
    pub stderr: &'a mut dyn Write,
    /// Colour diagnostics (a terminal without `NO_COLOR`).
    pub colour: bool,
    /// Columns of the terminal standard output is, when it is one: wide tables fit in it.
    pub width: Option<usize>,
    /// `OAM_THREADS`, as set in the environment: worker threads.
    pub threads: Option<OsString>,
    /// Watch the process's memory against `--max-memory` and, past it, write the diagnostic to
    /// the standard error's descriptor and exit the process with code 1 ([`crate::Watchdog`]):
    /// for a process that is the run, as the `oam` binary's is.
    pub watchdog: bool,
    /// The process exits when the run returns, as the `oam` binary's does: `render` then
    /// leaves its objects and inputs for the system to take back with the process, instead of
    /// freeing them an allocation at a time on one core (about 3 % of a render of 10,000 apps;
    /// docs/performance.md). Leave it off in a process that goes on.
    pub exits_after_run: bool,
}

impl<'a> Env<'a> {
    /// A run inside another program: plain text, no terminal width, the default threads, no
    /// watchdog (it would exit the program), everything freed when the run returns. Set the
    /// other fields to change that.
    pub fn new(
        cwd: PathBuf,
        stdin: &'a mut dyn Read,
        stdout: &'a mut dyn Write,
        stderr: &'a mut dyn Write,
    ) -> Self {
        Env {
            cwd,
            stdin,
            stdout,
            stderr,
            colour: false,
            width: None,
            threads: None,
            watchdog: false,
            exits_after_run: false,
        }
    }
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
    let threads = match threads(env.threads.as_ref()) {
        Ok(threads) => threads,
        Err(problem) => {
            let _ = writeln!(env.stderr, "error: {problem}");
            return 2;
        }
    };
    let watch = match cli.command.budgets().filter(|_| env.watchdog) {
        Some(budgets) => match watchdog(budgets, cli.diagnostics, env.colour) {
            Ok(watch) => watch,
            Err(problem) => {
                let _ = writeln!(env.stderr, "error: {problem}");
                return 2;
            }
        },
        None => None,
    };
    let mut out = Out {
        env,
        format: cli.diagnostics,
        threads,
        watch,
    };
    match cli.command {
        Command::Render(args) => render_command(&args, &mut out),
        Command::Check(args) => {
            let options = out.watched(RenderOptions::default().keep_values(false));
            let result = out
                .load(&args, &[])
                .and_then(|project| project.render(&options));
            out.finish(result.map(|r| r.diagnostics()))
        }
        Command::Defs(args) => defs_command(&args, &mut out),
        Command::Explain(args) => explain_command(&args, &mut out),
        Command::Graph(args) => graph_command(&args, &mut out),
        Command::Diff(args) => diff_command(&args, &mut out),
        Command::Completions(args) => completions_command(&args, out.env),
    }
}

/// `--max-memory` when none is given: in step with `--max-output-bytes`' 1 GiB, since a run
/// peaks at 2.6-4 times its output (100,000 apps at about 750 MiB).
const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// `--max-template-time` when none is given: a use that spends its whole fuel takes about 2 s.
const DEFAULT_MAX_TEMPLATE_SECONDS: u64 = 30;

/// Starts the run's watchdog. A limit that cannot be watched here is refused when given, never
/// ignored.
fn watchdog(
    budgets: &args::BudgetArgs,
    format: DiagnosticFormat,
    colour: bool,
) -> Result<Option<Watchdog>, String> {
    let limits = WatchdogLimits {
        memory: budgets.max_memory.unwrap_or(DEFAULT_MAX_MEMORY),
        template_time: Duration::from_secs(
            budgets
                .max_template_time
                .unwrap_or(DEFAULT_MAX_TEMPLATE_SECONDS),
        ),
    };
    let watch = Watchdog::start(limits, move |found| {
        // The run's thread holds standard error's lock and may never let it go.
        write_unlocked(found.report(format, colour).as_bytes());
        std::process::exit(1);
    });
    let given = budgets.max_memory.is_some() || budgets.max_template_time.is_some();
    match (watch, given) {
        (None, true) => Err(
            "--max-memory and --max-template-time cannot be watched on this \
                             system (they are on Linux); leave them out"
                .into(),
        ),
        (watch, _) => Ok(watch),
    }
}

/// Writes to standard error's descriptor, without its lock.
#[cfg(target_os = "linux")]
fn write_unlocked(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match rustix::io::retry_on_intr(|| rustix::io::write(rustix::stdio::stderr(), bytes)) {
            Ok(written) if written > 0 => bytes = &bytes[written..],
            _ => return,
        }
    }
}

/// Elsewhere the watchdog does not start.
#[cfg(not(target_os = "linux"))]
fn write_unlocked(_: &[u8]) {}

/// `OAM_THREADS`: a positive number, or unset. A setting that is not honoured is refused,
/// never ignored.
fn threads(value: Option<&OsString>) -> Result<Option<NonZeroUsize>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.to_str().and_then(|v| v.parse::<NonZeroUsize>().ok()) {
        Some(threads) => Ok(Some(threads)),
        None => Err(format!(
            "OAM_THREADS must be a positive number of threads, not `{}`",
            crate::printable(&value.to_string_lossy())
        )),
    }
}

/// A run's environment and how it reports.
struct Out<'e, 'a> {
    env: &'e mut Env<'a>,
    format: DiagnosticFormat,
    threads: Option<NonZeroUsize>,
    /// The run's watchdog (`--max-memory`, `--max-template-time`), stopped when the run ends.
    watch: Option<Watchdog>,
}

impl Out<'_, '_> {
    /// `options`, with the renders' template uses named in the watchdog's report.
    fn watched(&self, options: RenderOptions) -> RenderOptions {
        match &self.watch {
            Some(watch) => options.watched_by(watch),
            None => options,
        }
    }

    fn loader(&self, paths: &[String], sources: &DefinitionArgs) -> Loader {
        let mut loader = Loader::new()
            .base_dir(&self.env.cwd)
            .builtins(!sources.no_builtins)
            .budgets(sources.budgets.budgets());
        if let Some(threads) = self.threads {
            loader = loader.threads(threads);
        }
        for path in paths {
            loader = loader.path(path);
        }
        for dir in &sources.definitions {
            loader = loader.definitions_dir(dir);
        }
        loader
    }

    /// Loads the inputs of a command that renders, keeping the `apps` named.
    fn load(&mut self, args: &InputArgs, apps: &[String]) -> Result<Project, Diagnostics> {
        let mut loader = self
            .loader(&args.paths, &args.sources)
            .strict(args.run.strict);
        if let Some(environment) = &args.run.environment {
            loader = loader.environment(environment);
        }
        for app in apps {
            loader = loader.app(app);
        }
        loader.load_with_stdin(self.env.stdin)
    }

    fn print(&mut self, text: &str) {
        // A closed pipe (`oam render | head`) is not an error of the input.
        let _ = self.env.stdout.write_all(text.as_bytes());
    }

    /// Prints the diagnostics; the exit code says whether there were errors.
    fn finish(&mut self, diagnostics: Result<Diagnostics, Diagnostics>) -> u8 {
        let diagnostics = diagnostics.unwrap_or_else(|errors| errors);
        self.report(&diagnostics);
        u8::from(diagnostics.has_errors())
    }

    fn report(&mut self, diagnostics: &Diagnostics) {
        // A SARIF log is written even when empty: code scanning then clears old findings.
        if !diagnostics.is_empty() || self.format == DiagnosticFormat::Sarif {
            let mut stderr = std::io::BufWriter::new(&mut *self.env.stderr);
            let _ = diagnostics
                .write_report(self.format, self.env.colour, &mut stderr)
                .and_then(|()| stderr.flush());
        }
    }
}

fn graph_command(args: &GraphArgs, out: &mut Out<'_, '_>) -> u8 {
    let result = out.load(&args.input, &args.apps).and_then(|project| {
        let checked = project.check()?;
        out.print(&checked.graph(args.format));
        Ok(checked.diagnostics())
    });
    out.finish(result)
}

fn defs_command(args: &DefsArgs, out: &mut Out<'_, '_>) -> u8 {
    if args.old_format.is_some() {
        let _ = writeln!(
            out.env.stderr,
            "warning: `oam defs -o FORMAT` is now `oam defs --format FORMAT` (`-o` names an output directory elsewhere)"
        );
    }
    let format = args.old_format.unwrap_or(args.format);
    let width = (!args.wide).then_some(out.env.width).flatten();
    let loader = out.loader(&args.paths, &args.sources);
    let result = loader.load_with_stdin(out.env.stdin).map(|project| {
        out.print(&project.describe_definitions(format, width));
        project.diagnostics()
    });
    out.finish(result)
}

fn explain_command(args: &ExplainArgs, out: &mut Out<'_, '_>) -> u8 {
    let loader = out.loader(&args.paths, &args.sources);
    let result = loader.load_with_stdin(out.env.stdin).and_then(|project| {
        let text = match &args.name {
            None => project.list_definitions(),
            Some(name) => project.explain(name, args.format)?,
        };
        out.print(&text);
        Ok(project.diagnostics())
    });
    out.finish(result)
}

fn render_command(args: &RenderArgs, out: &mut Out<'_, '_>) -> u8 {
    let flags = &args.flags;
    // Every output is written from the objects' text, JSON's written as they are rendered:
    // values kept to the end would take about nine times the memory.
    let to_stdout = args.output.is_none() && args.check.is_none();
    let options = out.watched(
        flags
            .options()
            .keep_values(false)
            .prepare_json(to_stdout && args.format == Format::Json),
    );
    let rendered = out
        .load(&args.input, &flags.apps)
        .and_then(|project| project.render(&options));
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(errors) => return out.finish(Err(errors)),
    };
    let result = match (&args.output, &args.check) {
        (Some(dir), _) => {
            let options = WriteOptions::default()
                .force(args.force)
                .headers(!args.no_header);
            rendered.write_dir(dir, options)
        }
        (None, Some(dir)) => {
            let (drift, diagnostics) = rendered.check_dir(dir, !args.no_header);
            out.print(&drift.diff);
            Ok(diagnostics)
        }
        (None, None) => {
            // A closed pipe (`oam render | head`) is not an error of the input.
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, &mut *out.env.stdout);
            let _ = rendered.write_stream(args.format, &mut stdout);
            Ok(rendered.diagnostics())
        }
    };
    let code = out.finish(result);
    if out.env.exits_after_run {
        std::mem::forget(rendered);
    }
    code
}

/// Renders two input trees with the same flags and prints the difference (no headers: the
/// file names in them differ by design).
fn diff_command(args: &DiffArgs, out: &mut Out<'_, '_>) -> u8 {
    let mut trees: Vec<Option<Rendered>> = Vec::new();
    let mut all: Option<Diagnostics> = None;
    for path in [&args.old, &args.new] {
        let input = InputArgs {
            paths: vec![path.clone()],
            sources: args.sources.clone(),
            run: args.run.clone(),
        };
        let options = out.watched(args.flags.options().keep_values(false));
        let rendered = out
            .load(&input, &args.flags.apps)
            .and_then(|project| project.render(&options));
        let diagnostics = match &rendered {
            Ok(rendered) => rendered.diagnostics(),
            Err(errors) => errors.clone(),
        };
        match &mut all {
            Some(all) => all.append(diagnostics),
            None => all = Some(diagnostics),
        }
        trees.push(rendered.ok());
    }
    let code = all.map_or(0, |all| out.finish(Ok(all)));
    let [Some(old), Some(new)] = &trees[..] else {
        return code.max(1);
    };
    let labels = (
        args.old.trim_end_matches('/'),
        args.new.trim_end_matches('/'),
    );
    let drift = old.compare(new, labels);
    out.print(&drift.diff);
    if drift.changed_files > 0 {
        let _ = writeln!(
            out.env.stderr,
            "`{}` and `{}` render differently: {}",
            crate::printable(&args.old),
            crate::printable(&args.new),
            drift.summary(),
        );
        return code.max(1);
    }
    code
}

fn completions_command(args: &CompletionsArgs, env: &mut Env<'_>) -> u8 {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(args.shell, &mut command, "oam", env.stdout);
    0
}
