//! The library's surface: the pipeline as three calls whose results can be inspected.
//! [`Loader`] (what to read, and the limits) → [`Project`] (loaded and lowered: apps,
//! definitions) → [`Checked`] (every reference resolved: the dependency graph) → [`Rendered`]
//! (Kubernetes objects, and the emitters: a stream, a directory for Git, a comparison).
//!
//! Each step returns `Err(Diagnostics)` when it found errors, and carries on its success the
//! warnings found so far; diagnostics accumulate from step to step. Nothing here prints, reads
//! the environment or keeps global state: the CLI (`cli`) is a client of this module.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use serde_json::Value;

use crate::diag::export::{Diagnostics, Label};
use crate::diag::{self, Code, Diagnostic, did_you_mean, printable};
use crate::load::{self, Sources};
use crate::model::{self, Model};
use crate::parallel::{with_stack_for, with_threads};
use crate::render::{self, RenderOptions, TemplateLimits};
use crate::{check, describe, emit};

pub use crate::describe::{DefinitionsFormat, ExplainFormat, GraphFormat};
pub use crate::emit::Format;

/// Limits that keep hostile input from exhausting time and memory; checked before the work
/// they bound is done. The defaults are far above any real app (and are the CLI's).
#[derive(Clone, Debug, Default)]
pub struct Budgets {
    load: load::Budgets,
    templates: TemplateLimits,
}

impl Budgets {
    /// Largest input file, in bytes (default 16 MiB).
    #[must_use]
    pub fn max_file_bytes(mut self, bytes: usize) -> Self {
        self.load.max_file_bytes = bytes;
        self
    }

    /// Most bytes of input in one load, all files together (default 2 GiB).
    #[must_use]
    pub fn max_input_bytes(mut self, bytes: usize) -> Self {
        self.load.max_input_bytes = bytes;
        self
    }

    /// Most YAML documents in one file (default 10,000).
    #[must_use]
    pub fn max_documents(mut self, documents: usize) -> Self {
        self.load.max_documents = documents;
        self
    }

    /// The most [`Budgets::max_depth`] can be raised to.
    pub const MAX_DEPTH: usize = 1_000;

    /// Deepest nesting of lists and mappings (default 64, at most [`Budgets::MAX_DEPTH`]: a
    /// larger value is taken as that). Each level is a level of recursion in the YAML reader,
    /// JSON Schema and the templates; a call whose thread has too little stack for it does its
    /// work on a stack of [`STACK_SIZE`](crate::STACK_SIZE), so any thread may call.
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.load.max_depth = depth.min(Self::MAX_DEPTH);
        self.templates.max_depth = self.load.max_depth;
        self
    }

    /// Most YAML values (scalars, lists and mappings) in one file (default 2,000,000).
    #[must_use]
    pub fn max_nodes(mut self, nodes: usize) -> Self {
        self.load.max_nodes = nodes;
        self
    }

    /// Most events YAML aliases may replay in one file (default 100,000).
    #[must_use]
    pub fn max_alias_events(mut self, events: usize) -> Self {
        self.load.max_alias_events = events;
        self
    }

    /// Most instructions one use of a definition's template may run (default 2,000,000).
    #[must_use]
    pub fn max_template_fuel(mut self, fuel: u64) -> Self {
        self.templates.fuel = fuel;
        self
    }

    /// Largest text one use of a template may render, in bytes (default 4 MiB).
    #[must_use]
    pub fn max_template_output(mut self, bytes: usize) -> Self {
        self.templates.output_bytes = bytes;
        self
    }

    /// Most bytes all uses of templates may render in one render, together; and, counted
    /// apart, most bytes of YAML its objects may come to (default 1 GiB each).
    #[must_use]
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.templates.run_bytes = bytes;
        self
    }

    /// Most fuel all uses of templates may spend in one render, together, where four CUE
    /// evaluation steps are one and each byte a template renders is one too (`None`, the
    /// default: 200 per byte of input, at least 50,000,000). A use's own limit is
    /// [`Budgets::max_template_fuel`]; a use that fails is counted at that limit, since what it
    /// spent is not known.
    #[must_use]
    pub fn max_run_fuel(mut self, fuel: Option<u64>) -> Self {
        self.templates.run_fuel = fuel;
        self
    }
}

/// What to read and how: files and folders on disk, texts in memory, definitions, limits.
///
/// ```
/// let project = oam::Loader::new()
///     .source("app.yaml", "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: shop}\nspec:\n  components: [{name: web, type: webservice, properties: {image: nginx}}]\n")
///     .load()?;
/// assert_eq!(project.apps()[0].name, "shop");
/// # Ok::<(), oam::Diagnostics>(())
/// ```
#[derive(Clone, Debug)]
pub struct Loader {
    inputs: load::Inputs,
    base_dir: PathBuf,
    environment: Option<String>,
    apps: Vec<String>,
    strict: bool,
    threads: Option<NonZeroUsize>,
    templates: TemplateLimits,
}

impl Default for Loader {
    fn default() -> Self {
        Loader::new()
    }
}

impl Loader {
    /// Nothing to read yet; KubeVela's and OAM's built-in definitions come along.
    pub fn new() -> Loader {
        Loader {
            inputs: load::Inputs {
                builtins: true,
                ..load::Inputs::default()
            },
            base_dir: PathBuf::new(),
            environment: None,
            apps: Vec::new(),
            strict: false,
            threads: None,
            templates: TemplateLimits::default(),
        }
    }

    /// Relative paths (inputs, definition folders, output directories) are read from here and
    /// shown relative to it (default: the process's working directory).
    #[must_use]
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// A file or a folder (read recursively: `*.yaml`, `*.yml`, `*.json`) with apps, components,
    /// definitions or plain objects; `-` is standard input (see [`Loader::load_with_stdin`]).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.inputs.paths.push(path.into());
        self
    }

    /// A YAML or JSON text in memory, shown in diagnostics and output headers as `name`.
    #[must_use]
    pub fn source(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.inputs.memory.push((name.into(), text.into()));
        self
    }

    /// A folder of definitions (`-d`): read like a path, but its plain objects and apps are
    /// not rendered.
    #[must_use]
    pub fn definitions_dir(mut self, dir: impl Into<String>) -> Self {
        self.inputs.definition_dirs.push(dir.into());
        self
    }

    /// A text of definitions in memory, treated like a file of a [`Loader::definitions_dir`].
    #[must_use]
    pub fn definitions_source(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.inputs
            .memory_definitions
            .push((name.into(), text.into()));
        self
    }

    /// Whether the built-in definitions are loaded (default: yes).
    #[must_use]
    pub fn builtins(mut self, builtins: bool) -> Self {
        self.inputs.builtins = builtins;
        self
    }

    /// Limits on the input and on template evaluation.
    #[must_use]
    pub fn budgets(mut self, budgets: Budgets) -> Self {
        self.inputs.budgets = budgets.load;
        self.templates = budgets.templates;
        self
    }

    /// Render Applications as deployed to this environment (`--env`).
    #[must_use]
    pub fn environment(mut self, name: impl Into<String>) -> Self {
        self.environment = Some(name.into());
        self
    }

    /// Keep only this app (repeatable; default: every app). Naming an app that is not among the
    /// inputs is an error (`oam::E016`).
    #[must_use]
    pub fn app(mut self, name: impl Into<String>) -> Self {
        self.apps.push(name.into());
        self
    }

    /// Treat every warning as an error (`--strict`).
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Worker threads for parsing, rendering and writing (default: the available cores). The
    /// output is the same whatever the count.
    #[must_use]
    pub fn threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Reads and lowers everything. Standard input is never read: a `-` path reads nothing.
    ///
    /// # Errors
    /// Every problem found, when one is an error: files that cannot be read or parsed, objects
    /// that are malformed.
    pub fn load(&self) -> Result<Project, Diagnostics> {
        self.load_with_stdin(&mut std::io::empty())
    }

    /// Like [`Loader::load`], with `stdin` read for a `-` path (within the budgets).
    ///
    /// # Errors
    /// As [`Loader::load`].
    pub fn load_with_stdin(&self, stdin: &mut dyn Read) -> Result<Project, Diagnostics> {
        call(self.threads, self.templates.max_depth, || {
            self.load_inner(stdin)
        })
    }

    fn load_inner(&self, stdin: &mut dyn Read) -> Result<Project, Diagnostics> {
        let mut sources = Sources::default();
        let mut found = diag::Diagnostics::default();
        // Each file is lowered on the worker that parsed it; what lowering finds is reported
        // only when loading found no error (as if the stages ran one after the other).
        let environment = self.environment.as_deref();
        let mut parts = load::load(
            &self.base_dir,
            &self.inputs,
            stdin,
            &mut sources,
            &mut found,
            |documents| model::lower_part(documents, environment),
        );
        sources.freeze();
        let stop = |found, sources: &Sources| stop(found, self.strict, sources);
        let mut found = stop(found, &sources)?;
        for part in &mut parts {
            found.extend(std::mem::take(&mut part.found));
        }
        let mut model = model::assemble(parts, environment, &mut found);
        let mut found = stop(found, &sources)?;
        if !self.apps.is_empty() && model.input_documents > 0 {
            select_apps(&mut model, &self.apps, &mut found);
            found = stop(found, &sources)?;
        }
        let mut shown: Vec<String> = self.inputs.paths.clone();
        shown.extend(self.inputs.memory.iter().map(|(name, _)| name.clone()));
        Ok(Project {
            sources,
            model,
            found,
            strict: self.strict,
            threads: self.threads,
            templates: self.templates,
            selected_apps: !self.apps.is_empty(),
            inputs_shown: shown.join(", "),
            base_dir: self.base_dir.clone(),
        })
    }
}

/// Keeps the apps named; a name that is no app is `oam::E016`.
fn select_apps(model: &mut Model, wanted: &[String], found: &mut diag::Diagnostics) {
    let names: Vec<&str> = model.apps.iter().map(|a| a.name.value.as_str()).collect();
    for name in wanted.iter().filter(|w| !names.contains(&w.as_str())) {
        let hint = did_you_mean(name, names.iter().copied())
            .map(|close| format!(" (did you mean `{close}`?)"))
            .unwrap_or_default();
        found.push(
            Diagnostic::unlocated(Code::UnknownApp, format!("no app named `{}`{hint}", printable(name)))
                .with_help(format!("--app takes the name of an Application or ApplicationConfiguration among the inputs: {}", names.join(", "))),
        );
    }
    if !found.has_errors() {
        model.apps.retain(|a| wanted.contains(&a.name.value));
    }
}

/// The inputs, loaded and lowered into one model of every dialect: apps, components and
/// definitions that can be listed, explained and checked.
#[derive(Debug)]
pub struct Project {
    sources: Sources,
    model: Model,
    found: diag::Diagnostics,
    strict: bool,
    threads: Option<NonZeroUsize>,
    templates: TemplateLimits,
    selected_apps: bool,
    /// The inputs as the user named them, for "the inputs (…) hold no objects".
    inputs_shown: String,
    base_dir: PathBuf,
}

/// An app among the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppInfo {
    /// `Application` or `ApplicationConfiguration`.
    pub kind: &'static str,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, if the app sets one.
    pub namespace: Option<String>,
    /// The file it was read from.
    pub file: String,
    /// Its components' names, in the order written.
    pub components: Vec<String>,
}

/// A definition loaded: a component or workload type, a trait or a scope.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DefinitionInfo {
    /// `ComponentDefinition`, `WorkloadDefinition`, `TraitDefinition` or `ScopeDefinition`.
    pub kind: &'static str,
    /// The name apps use.
    pub name: String,
    /// A short name accepted wherever the name is.
    pub alias: Option<String>,
    /// What it is for, from the `definition.oam.dev/description` annotation.
    pub description: Option<String>,
    /// Workload types a trait applies to (empty: any).
    pub applies_to: Vec<String>,
    /// Traits a trait cannot be bound beside.
    pub conflicts_with: Vec<String>,
    /// `built-in`, or the file it was read from.
    pub source: String,
    /// The JSON Schema of its parameters, if it declares one.
    pub parameters: Option<Value>,
}

impl Project {
    /// The warnings found while loading (errors stop the load).
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics::new(self.found.clone(), self.sources.fork())
    }

    /// The apps, in input order.
    pub fn apps(&self) -> Vec<AppInfo> {
        self.model
            .apps
            .iter()
            .map(|app| AppInfo {
                kind: app.kind,
                name: app.name.value.clone(),
                namespace: app.namespace.clone(),
                file: self.sources.get(app.name.span.file).name.clone(),
                components: app
                    .components
                    .iter()
                    .map(|c| c.name().value.clone())
                    .collect(),
            })
            .collect()
    }

    /// Every definition loaded (built-ins, definition folders and inputs), by kind and name.
    pub fn definitions(&self) -> Vec<DefinitionInfo> {
        describe::sorted(&self.model)
            .into_iter()
            .map(|d| DefinitionInfo {
                kind: d.kind.as_str(),
                name: d.name.value.clone(),
                alias: d.alias.clone(),
                description: d.description.clone(),
                applies_to: d.applies_to.iter().map(|t| t.value.clone()).collect(),
                conflicts_with: d.conflicts_with.iter().map(|t| t.value.clone()).collect(),
                source: describe::source_of(d, &self.sources),
                parameters: d.schema.as_ref().map(|s| s.value.clone()),
            })
            .collect()
    }

    /// The definitions as `oam defs` shows them: a table (descriptions cut to `width` columns
    /// when given), JSON or YAML.
    pub fn describe_definitions(&self, format: DefinitionsFormat, width: Option<usize>) -> String {
        with_stack_for(self.templates.max_depth, || {
            describe::defs(&self.model, &self.sources, format, width)
        })
    }

    /// The definitions by name, kind and description, as `oam explain` with no name shows.
    pub fn list_definitions(&self) -> String {
        describe::list_names(&self.model)
    }

    /// One definition's parameters and an example of its use, as `oam explain NAME` shows.
    ///
    /// # Errors
    /// `oam::E028` when no definition has that name or alias.
    pub fn explain(&self, name: &str, format: ExplainFormat) -> Result<String, Diagnostics> {
        let explained = with_stack_for(self.templates.max_depth, || {
            describe::explain(&self.model, &self.sources, name, format)
        });
        if let Some(text) = explained {
            return Ok(text);
        }
        let names = self.model.definitions.iter().map(|d| d.name.value.as_str());
        let hint = did_you_mean(name, names)
            .map(|close| format!(" (did you mean `{close}`?)"))
            .unwrap_or_default();
        let mut found = self.found.clone();
        found.push(
            Diagnostic::unlocated(
                Code::UnknownDefinition,
                format!("no definition named `{}`{hint}", printable(name)),
            )
            .with_help("`oam explain` with no name lists them; add definition files with -d"),
        );
        Err(Diagnostics::new(found, self.sources.fork()))
    }

    /// Resolves every reference and applies the model's rules (appliesTo, conflictsWith, the
    /// dependency graph, parameters against their schemas).
    ///
    /// # Errors
    /// Every problem found, when one is an error; `oam::E008` when the inputs hold no objects.
    pub fn check(&self) -> Result<Checked<'_>, Diagnostics> {
        let mut found = self.found_with_input()?;
        let checked = with_stack_for(self.templates.max_depth, || {
            check::check(&self.model, &mut found)
        });
        let found = self.stop(found, &self.sources)?;
        Ok(Checked {
            project: self,
            checked,
            found,
        })
    }

    /// Checks and renders in one pass, app by app, taking the project: the objects and
    /// diagnostics of [`Project::check`] then [`Checked::render`], but each app is dropped once
    /// it is rendered and held in its checked form only while it renders, so memory holds the
    /// output rather than the apps (the CLI's way). Use the two steps to inspect the checked
    /// project.
    ///
    /// # Errors
    /// What [`Project::check`] finds when it finds an error; else what [`Checked::render`]
    /// finds.
    pub fn render(self, options: &RenderOptions) -> Result<Rendered, Diagnostics> {
        let (threads, depth) = (self.threads, self.templates.max_depth);
        call(threads, depth, move || self.render_apps(options))
    }

    fn render_apps(mut self, options: &RenderOptions) -> Result<Rendered, Diagnostics> {
        let mut found = self.found_with_input()?;
        // The apps leave the model: each is dropped by the worker that renders it.
        let apps = std::mem::take(&mut self.model.apps);
        let app_order = apps.iter().map(|a| a.name.value.clone()).collect();
        // `prepare` checks the names of the model's apps, which are no longer there.
        check::check_names(&apps, &mut found);
        let context = check::prepare(&self.model, &mut found);
        let scopes = check::check_scopes(&context, &mut found);
        let options = self.render_options(options);
        let run = render::Run {
            model: &self.model,
            scopes: &scopes,
            options: &options,
        };
        let mut sources = self.sources.fork();
        let mut rendering = diag::Diagnostics::default();
        let each_app = |app: model::App,
                        checks: &mut diag::Diagnostics,
                        render: &mut dyn FnMut(&mut check::CheckedApp<'_>)| {
            let errors = checks.error_count();
            let mut checked = check::check_app(&context, &app, checks);
            if checks.error_count() == errors {
                render(&mut checked);
            }
        };
        let objects = render::render_apps(
            &run,
            apps,
            each_app,
            &mut sources,
            &mut found,
            &mut rendering,
        );
        sources.freeze();
        // An error of the check stops the run before rendering, as in two steps.
        let mut found = self.stop(found, &sources)?;
        found.extend(rendering);
        let found = self.stop(found, &sources)?;
        Ok(self.rendered(objects, app_order, sources, found))
    }

    /// What this project's loader said about rendering, with `options`.
    fn render_options(&self, options: &RenderOptions) -> RenderOptions {
        RenderOptions {
            template_limits: self.templates,
            selected_apps: self.selected_apps,
            ..options.clone()
        }
    }

    /// The objects in output order, and what the run found.
    fn rendered(
        &self,
        mut objects: Vec<render::Object>,
        app_order: Vec<String>,
        sources: Sources,
        found: diag::Diagnostics,
    ) -> Rendered {
        emit::sort(&mut objects, &app_order);
        Rendered {
            objects,
            app_order,
            sources,
            found,
            threads: self.threads,
            max_depth: self.templates.max_depth,
            base_dir: self.base_dir.clone(),
        }
    }

    /// What loading found, or `oam::E008` when the inputs hold no objects at all.
    fn found_with_input(&self) -> Result<diag::Diagnostics, Diagnostics> {
        let mut found = self.found.clone();
        if self.model.input_documents == 0 {
            found.push(
                Diagnostic::unlocated(Code::NoInput, format!("the inputs ({}) hold no objects", printable(&self.inputs_shown)))
                    .with_help("pass the files or directories with your apps; an empty file or a directory without *.yaml, *.yml or *.json renders nothing"),
            );
            return Err(Diagnostics::new(found, self.sources.fork()));
        }
        Ok(found)
    }

    /// What a step found, or all of it as the error when there is an error.
    fn stop(
        &self,
        found: diag::Diagnostics,
        sources: &Sources,
    ) -> Result<diag::Diagnostics, Diagnostics> {
        stop(found, self.strict, sources)
    }
}

/// A public call's work: on the caller's threads, and on a stack with room for input nested
/// `depth` levels.
fn call<R>(threads: Option<NonZeroUsize>, depth: usize, work: impl FnOnce() -> R) -> R {
    with_threads(threads, || with_stack_for(depth, work))
}

/// `found`, or every diagnostic as the error when one is an error (warnings too, `strict`):
/// where each step of the pipeline ends.
fn stop(
    mut found: diag::Diagnostics,
    strict: bool,
    sources: &Sources,
) -> Result<diag::Diagnostics, Diagnostics> {
    if strict {
        found.promote_warnings();
    }
    if found.has_errors() {
        return Err(Diagnostics::new(found, sources.fork()));
    }
    Ok(found)
}

/// An edge of an app's dependency graph: `to` renders after `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dependency {
    /// The app.
    pub app: String,
    /// The component depended on.
    pub from: String,
    /// The component that depends on it.
    pub to: String,
    /// The data output `to` takes from `from`; `None` for a `dependsOn`.
    pub output: Option<String>,
}

/// A project whose references all resolve: its dependency graph can be shown, and it renders.
pub struct Checked<'p> {
    project: &'p Project,
    checked: check::Checked<'p>,
    found: diag::Diagnostics,
}

impl Checked<'_> {
    /// The warnings found so far.
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics::new(self.found.clone(), self.project.sources.fork())
    }

    /// Every edge of every app's dependency graph, app by app in input order.
    pub fn dependencies(&self) -> Vec<Dependency> {
        let mut edges = Vec::new();
        for app in &self.checked.apps {
            let name = |index: usize| {
                app.app
                    .components
                    .get(index)
                    .map_or_else(String::new, |c| c.name().value.clone())
            };
            for edge in &app.dependencies.edges {
                edges.push(Dependency {
                    app: app.app.name.value.clone(),
                    from: name(edge.from),
                    to: name(edge.to),
                    output: edge.output.clone(),
                });
            }
        }
        edges
    }

    /// Each app's component dependency graph, as `oam graph` prints it.
    pub fn graph(&self, format: GraphFormat) -> String {
        describe::graph(&self.checked, format)
    }

    /// Renders every app into Kubernetes objects, in oam's deterministic output order.
    ///
    /// # Errors
    /// Every problem found, when one is an error (a template that fails, a budget exceeded,
    /// two objects with one name).
    pub fn render(&self, options: &RenderOptions) -> Result<Rendered, Diagnostics> {
        let project = self.project;
        call(project.threads, project.templates.max_depth, || {
            let options = project.render_options(options);
            let mut sources = project.sources.fork();
            let mut found = self.found.clone();
            let objects = render::render(&self.checked, &options, &mut sources, &mut found);
            sources.freeze();
            let found = project.stop(found, &sources)?;
            let app_order = self
                .checked
                .apps
                .iter()
                .map(|a| a.app.name.value.clone())
                .collect();
            Ok(project.rendered(objects, app_order, sources, found))
        })
    }
}

/// Rendered Kubernetes objects, in output order, and the emitters that write them.
#[derive(Debug)]
pub struct Rendered {
    objects: Vec<render::Object>,
    app_order: Vec<String>,
    sources: Sources,
    found: diag::Diagnostics,
    threads: Option<NonZeroUsize>,
    /// The project's `--max-depth`: reading an object back from its YAML recurses as deep.
    max_depth: usize,
    base_dir: PathBuf,
}

/// One rendered object, and where it came from.
#[derive(Clone, Copy, Debug)]
pub struct Object<'r> {
    object: &'r render::Object,
    sources: &'r Sources,
    max_depth: usize,
}

impl<'r> Object<'r> {
    /// The object as a value: borrowed when the render kept values (the default), else read
    /// back from its YAML (see [`RenderOptions::keep_values`]).
    pub fn value(&self) -> Cow<'r, Value> {
        with_stack_for(self.max_depth, || self.object.value())
    }

    /// The object as oam writes it: one YAML document, without the `---` separator.
    pub fn yaml(&self) -> &'r str {
        &self.object.yaml
    }

    /// `kind`.
    pub fn kind(&self) -> &'r str {
        self.object.kind()
    }

    /// `metadata.name`.
    pub fn name(&self) -> &'r str {
        self.object.name()
    }

    /// `metadata.namespace`, when set.
    pub fn namespace(&self) -> Option<&'r str> {
        Some(self.object.namespace()).filter(|n| !n.is_empty())
    }

    /// The app it belongs to; `None` for objects passed through from the inputs and scopes
    /// shared by apps.
    pub fn app(&self) -> Option<&'r str> {
        self.object.app()
    }

    /// Where a problem with the object is reported: the app entry, component or object in the
    /// input that it was rendered from.
    pub fn origin(&self) -> Label {
        crate::diag::export::place(self.object.placement.span, self.sources)
    }

    /// The files it was made from: the app, the component, the definitions used.
    pub fn source_files(&self) -> Vec<&'r str> {
        let sources = self.sources;
        self.object
            .placement
            .sources
            .iter()
            .map(|&file| sources.get(file).name.as_str())
            .collect()
    }
}

/// How [`Rendered::write_dir`] writes.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    force: bool,
    headers: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            force: false,
            headers: true,
        }
    }
}

impl WriteOptions {
    /// Write into a non-empty directory that oam did not write before, replacing files in the
    /// way (`--force`; default: refuse, `oam::E052`).
    #[must_use]
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Open each object's file with a comment naming its source files (default: yes).
    #[must_use]
    pub fn headers(mut self, headers: bool) -> Self {
        self.headers = headers;
        self
    }
}

/// How two rendered trees differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// Unified diffs, file by file in path order; empty when the trees are the same.
    pub diff: String,
    /// How many files were added, removed or changed.
    pub changed_files: usize,
}

impl Rendered {
    /// The objects, in output order.
    pub fn objects(&self) -> impl ExactSizeIterator<Item = Object<'_>> {
        self.objects.iter().map(|object| Object {
            object,
            sources: &self.sources,
            max_depth: self.max_depth,
        })
    }

    /// The objects themselves, in output order (without copying them when the render kept
    /// values).
    pub fn into_values(self) -> Vec<Value> {
        with_stack_for(self.max_depth, || {
            self.objects
                .into_iter()
                .map(|mut o| match o.value.take() {
                    Some(value) => value,
                    None => o.value().into_owned(),
                })
                .collect()
        })
    }

    /// The warnings found so far.
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics::new(self.found.clone(), self.sources.fork())
    }

    /// Every object as one stream: `---`-separated YAML documents, or a JSON `v1` `List`.
    pub fn to_stream(&self, format: Format) -> String {
        let mut text = Vec::new();
        // Writing into a Vec cannot fail, and the writers write UTF-8 only.
        let _ = self.write_stream(format, &mut text);
        String::from_utf8(text).unwrap_or_default()
    }

    /// Writes the stream of [`Rendered::to_stream`] into `out`, object by object (wrap an
    /// unbuffered writer in a `BufWriter`).
    ///
    /// # Errors
    /// What `out` fails with (a closed pipe, a full disk).
    pub fn write_stream(
        &self,
        format: Format,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        call(self.threads, self.max_depth, || {
            emit::stream(&self.objects, format, out)
        })
    }

    /// The tree [`Rendered::write_dir`] writes, relative path → content: `<app>/<kind>-<name>.yaml`
    /// and a `kustomization.yaml` per folder.
    pub fn to_files(&self, headers: bool) -> BTreeMap<String, String> {
        self.tree(headers)
            .into_iter()
            .map(|(path, text)| (path, text.joined()))
            .collect()
    }

    /// The tree, its files borrowing the objects' text.
    fn tree(&self, headers: bool) -> emit::Tree<'_> {
        emit::layout(
            &self.objects,
            &self.app_order,
            headers.then_some(&self.sources),
        )
    }

    /// Writes the tree into `dir` (relative to the loader's base directory), whole or not at
    /// all: files the user put there are never overwritten, and a run that is killed leaves
    /// the old tree or the new one. A file oam wrote there before and would write unchanged is
    /// kept (the same file, linked into the new tree) on Linux and macOS.
    ///
    /// # Errors
    /// The warnings so far and the reason nothing was written (a file in the way, a directory
    /// that cannot be written).
    pub fn write_dir(&self, dir: &str, options: WriteOptions) -> Result<Diagnostics, Diagnostics> {
        let mut found = self.found.clone();
        let written = with_threads(self.threads, || {
            let files = self.tree(options.headers);
            emit::write_dir(
                &self.base_dir.join(dir),
                dir,
                &files,
                emit::DirOptions {
                    force: options.force,
                },
            )
        });
        let failed = written.is_err();
        match written {
            Ok(warnings) => warnings.into_iter().for_each(|w| found.push(w)),
            Err(error) => found.push(error),
        }
        let diagnostics = Diagnostics::new(found, self.sources.fork());
        if failed {
            Err(diagnostics)
        } else {
            Ok(diagnostics)
        }
    }

    /// Compares with the tree written into `dir` before (`render --check`). The diagnostics
    /// hold the warnings so far and, when the tree is out of date, `oam::E053`.
    pub fn check_dir(&self, dir: &str, headers: bool) -> (Drift, Diagnostics) {
        let drift = with_threads(self.threads, || {
            emit::compare_with_dir(
                &self.base_dir.join(dir),
                &self.tree(headers),
                (dir.trim_end_matches('/'), "rendered"),
            )
        });
        let drift = Drift {
            diff: drift.diff,
            changed_files: drift.files,
        };
        let mut found = self.found.clone();
        if drift.changed_files > 0 {
            found.push(
                Diagnostic::unlocated(
                    Code::OutputDrift,
                    format!("`{}` is out of date: {}", printable(dir), drift.summary()),
                )
                .with_help(format!("review the diff; if it is intended, run `oam render` with `-o {}` and commit the result", printable(dir))),
            );
        }
        (drift, Diagnostics::new(found, self.sources.fork()))
    }

    /// How `other` differs from this rendering, file by file as [`Rendered::to_files`] lays
    /// them out (without headers); `labels` name the two sides in the diff.
    pub fn compare(&self, other: &Rendered, labels: (&str, &str)) -> Drift {
        let drift = with_threads(self.threads, || {
            emit::compare(&self.tree(false), &other.tree(false), labels)
        });
        Drift {
            diff: drift.diff,
            changed_files: drift.files,
        }
    }
}

impl Drift {
    /// "1 file changed", "3 files changed".
    pub fn summary(&self) -> String {
        match self.changed_files {
            1 => "1 file changed".to_owned(),
            n => format!("{n} files changed"),
        }
    }
}
