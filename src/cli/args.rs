//! The command line: clap types, and how they become the library's options.

use clap::{Args, Parser, Subcommand};

use crate::{
    Budgets, DefinitionsFormat, DiagnosticFormat, ExplainFormat, Format, GraphFormat, RenderOptions,
};

impl RenderFlags {
    pub(crate) fn options(&self) -> RenderOptions {
        let options = RenderOptions::default()
            .skip_raw(self.skip_raw)
            .sync_waves(self.sync_waves);
        match &self.namespace {
            Some(namespace) => options.namespace(namespace),
            None => options,
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "oam",
    version,
    about = "Compile OAM applications into plain Kubernetes manifests, offline"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// How diagnostics are written on stderr, for people or for tools and CI
    #[arg(long, value_enum, global = true, value_name = "FORMAT", default_value_t = DiagnosticFormat::Human)]
    pub(crate) diagnostics: DiagnosticFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Render apps to Kubernetes objects: a YAML stream on stdout, or a directory with -o
    Render(RenderArgs),
    /// Load, check and render the inputs in memory; print every diagnostic, write nothing
    Check(InputArgs),
    /// List the definitions loaded (built-ins, -d directories and PATHs)
    Defs(DefsArgs),
    /// Explain a definition: its parameters and an example; without NAME, list the names
    Explain(ExplainArgs),
    /// Print the component dependency graph of each app (Graphviz DOT or Mermaid)
    Graph(GraphArgs),
    /// Render two input trees and print how their output differs; exit 1 if it does
    Diff(DiffArgs),
    /// Print shell completions: oam completions bash > /etc/bash_completion.d/oam
    Completions(CompletionsArgs),
}

impl Command {
    /// The budgets of a command that reads input.
    pub(crate) fn budgets(&self) -> Option<&BudgetArgs> {
        let sources = match self {
            Command::Render(args) => &args.input.sources,
            Command::Check(args) => &args.sources,
            Command::Defs(args) => &args.sources,
            Command::Explain(args) => &args.sources,
            Command::Graph(args) => &args.input.sources,
            Command::Diff(args) => &args.sources,
            Command::Completions(_) => return None,
        };
        Some(&sources.budgets)
    }
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Only these apps (repeatable)
    #[arg(long = "app", value_name = "NAME")]
    pub(crate) apps: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub(crate) format: GraphFormat,
}

/// Where definitions come from, for the commands that only read them.
#[derive(Clone, Debug, Args)]
pub(crate) struct DefinitionArgs {
    /// A directory of definitions to add (repeatable)
    #[arg(short = 'd', long = "definitions", value_name = "DIR")]
    pub(crate) definitions: Vec<String>,
    /// Leave out the built-in definitions
    #[arg(long)]
    pub(crate) no_builtins: bool,
    #[command(flatten)]
    pub(crate) budgets: BudgetArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DefsArgs {
    /// Files or directories to read definitions from, besides -d (default: none)
    pub(crate) paths: Vec<String>,
    #[command(flatten)]
    pub(crate) sources: DefinitionArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = DefinitionsFormat::Table)]
    pub(crate) format: DefinitionsFormat,
    /// The old spelling of --format (`-o` means an output directory elsewhere)
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        hide = true,
        conflicts_with = "format"
    )]
    pub(crate) old_format: Option<DefinitionsFormat>,
    /// Full descriptions in the table, however wide
    #[arg(long)]
    pub(crate) wide: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The definition's name or alias
    pub(crate) name: Option<String>,
    /// Files or directories to read definitions from, besides -d (default: none)
    pub(crate) paths: Vec<String>,
    #[command(flatten)]
    pub(crate) sources: DefinitionArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub(crate) format: ExplainFormat,
}

#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Files or directories to read (recursively: *.yaml, *.yml, *.json), or - for stdin
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<String>,
    #[command(flatten)]
    pub(crate) sources: DefinitionArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// How a run treats the Applications and its warnings (render, check, graph, diff).
#[derive(Clone, Debug, Args)]
pub(crate) struct RunArgs {
    /// Render Applications as deployed to this environment: a workflow `deploy` step (or a
    /// topology or override policy) whose policies apply; without it, components render as written
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) environment: Option<String>,
    /// Treat warnings as errors (for CI)
    #[arg(long)]
    pub(crate) strict: bool,
}

/// Limits against hostile input; the defaults are far above real apps.
#[derive(Clone, Debug, Args)]
pub(crate) struct BudgetArgs {
    /// Largest input file, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub(crate) max_file_bytes: usize,
    /// Most bytes of input in one run, all files together
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub(crate) max_input_bytes: usize,
    /// Most YAML documents in one file
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub(crate) max_documents: usize,
    /// Deepest nesting of lists and mappings (at most 1000)
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(..=crate::Budgets::MAX_DEPTH as u64))]
    pub(crate) max_depth: usize,
    /// Most YAML values (scalars, lists and mappings) in one file
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub(crate) max_nodes: usize,
    /// Most events that YAML aliases may replay in one file
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub(crate) max_alias_events: usize,
    /// Most instructions one use of a definition's template may run
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub(crate) max_template_fuel: u64,
    /// Largest text one use of a definition's template may render, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub(crate) max_template_output: usize,
    /// Most bytes all uses of templates may render in one run, together; and most bytes of
    /// YAML the objects of a run may come to
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub(crate) max_output_bytes: usize,
    /// Most fuel all uses of templates may spend in one run, together (four CUE evaluation
    /// steps are one) [default: 200 per byte of input, at least 50,000,000]
    #[arg(long, value_name = "N")]
    pub(crate) max_run_fuel: Option<u64>,
    /// Most memory the oam process may hold, in bytes: past it the run stops with oam::E056
    /// (a backstop, watched on Linux) [default: 4 GiB]
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_memory: Option<u64>,
    /// Most CPU seconds one use of a template may spend after its first: past it the run stops
    /// with oam::E057 (a backstop for work fuel does not count, watched on Linux) [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub(crate) max_template_time: Option<u64>,
}

impl BudgetArgs {
    pub(crate) fn budgets(&self) -> Budgets {
        Budgets::default()
            .max_file_bytes(self.max_file_bytes)
            .max_input_bytes(self.max_input_bytes)
            .max_documents(self.max_documents)
            .max_depth(self.max_depth)
            .max_nodes(self.max_nodes)
            .max_alias_events(self.max_alias_events)
            .max_template_fuel(self.max_template_fuel)
            .max_template_output(self.max_template_output)
            .max_output_bytes(self.max_output_bytes)
            .max_run_fuel(self.max_run_fuel)
    }
}

#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
    /// Write one file per object into this directory (with kustomization.yaml files)
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        conflicts_with = "check"
    )]
    pub(crate) output: Option<String>,
    /// Write into a non-empty directory that oam did not write before
    #[arg(long, requires = "output")]
    pub(crate) force: bool,
    /// Compare with a directory written by -o before: print a diff per file, exit 1 on drift
    #[arg(long, value_name = "DIR")]
    pub(crate) check: Option<String>,
    /// Output format of the stream (not with -o: a directory for Git is always YAML files)
    #[arg(long, value_enum, default_value_t = Format::Yaml, conflicts_with = "output")]
    pub(crate) format: Format,
    /// Leave out the comment naming the source files at the top of each file of -o/--check
    #[arg(long)]
    pub(crate) no_header: bool,
}

/// How apps are rendered, the same for `render` and `diff`.
#[derive(Clone, Debug, Args)]
pub(crate) struct RenderFlags {
    /// Render only these apps (repeatable)
    #[arg(long = "app", value_name = "NAME")]
    pub(crate) apps: Vec<String>,
    /// Namespace for apps that set none
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub(crate) namespace: Option<String>,
    /// Leave out plain Kubernetes objects that are passed through from the inputs
    #[arg(long)]
    pub(crate) skip_raw: bool,
    /// Annotate objects with Argo CD sync waves: a component's depth in the dependency graph
    #[arg(long)]
    pub(crate) sync_waves: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The input tree before (e.g. a checkout of main)
    pub(crate) old: String,
    /// The input tree after (e.g. the pull request's checkout)
    pub(crate) new: String,
    #[command(flatten)]
    pub(crate) sources: DefinitionArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}
