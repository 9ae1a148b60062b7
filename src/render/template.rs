//! Definition templates (`spec.schematic.jinja.template`): minijinja, sandboxed — no loader, so
//! no file access; no environment or network functions; a fuel limit per use. A template renders
//! YAML documents: Kubernetes objects, and for a trait `patch:` documents merged into the
//! workload. Errors point into the template's line in the definition file; broken output is
//! shown as a file of its own, so the author sees what the template produced.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;
use std::ops::Range;
use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Kwargs;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::load::{self, Budgets, FileId, NodeValue, Origin, Sources};
use crate::model::{Definition, KubeTemplate, Model, Template, fieldpath};

use super::budget::{self, Meter, Spent};
use super::watchdog::{InFlight, Rendering};

/// Nesting of macro calls and blocks; deep recursion would exhaust the stack first.
const RECURSION_LIMIT: usize = 64;

/// The built-in macro library templates may import: (name, source).
const POD_MACROS: (&str, &str) = ("oam/pod.j2", include_str!("../model/builtins/pod.j2"));

/// Deepest indentation `tojson` may be asked for: each level repeats it, so a huge one is a
/// memory bomb (`tojson(indent=1000000000)`).
const MAX_JSON_INDENT: usize = 16;

/// Every template of the model, compiled once.
pub(crate) struct Templates {
    env: Environment<'static>,
    /// The limits of one use, for CUE templates (minijinja has its own copy).
    limits: TemplateLimits,
    output_bytes: usize,
    /// The run's budgets (`super::budget`): what its templates render and spend, and the YAML
    /// of its objects (what a run writes is not bounded by what its templates render: an app's
    /// labels and annotations fill every object of the app, and 718 KB of input made 1.3 GB).
    run: budget::Limits,
    /// Built-ins that have one take their native renderer (`super::native`).
    native: bool,
    /// Where uses note themselves while they render, when a watchdog looks on.
    in_flight: Option<Arc<InFlight>>,
}

/// What one use of a template may cost (`--max-template-fuel`, `--max-template-output`): far
/// above real templates; a runaway loop stops in well under a second.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TemplateLimits {
    /// minijinja instructions.
    pub(crate) fuel: u64,
    /// One use's output, and any value a filter serialises.
    pub(crate) output_bytes: usize,
    /// Every use of a run together, and apart, the YAML of every object.
    pub(crate) run_bytes: usize,
    /// The fuel of every use of a run together; by default some per byte of input.
    pub(crate) run_fuel: Option<u64>,
    /// Nesting of input (`--max-depth`), which a use's output and a CUE evaluation follow.
    pub(crate) max_depth: usize,
}

impl Default for TemplateLimits {
    fn default() -> Self {
        TemplateLimits {
            fuel: 2_000_000,
            output_bytes: 4 * 1024 * 1024,
            run_bytes: 1024 * 1024 * 1024,
            run_fuel: None,
            max_depth: Budgets::default().max_depth,
        }
    }
}

/// Collects a template's output, refusing to grow past the budget.
struct Bounded {
    text: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + bytes.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("the template output budget is spent"));
        }
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The text of what a template wrote: valid UTF-8 is taken as it is, without a copy (minijinja
/// writes only strings; the lossy reading is for safety's sake).
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// What one use of a template produced.
#[derive(Default)]
pub(super) struct Output {
    pub(super) objects: Vec<Value>,
    /// The names a CUE template gave its `outputs`, one per object (`None` for `output` and
    /// for other templates, whose objects have no names).
    pub(super) names: Vec<Option<String>>,
    /// `patch:` documents, in order (traits only).
    pub(super) patches: Vec<Value>,
    /// A CUE trait's `patch`, unified into the workload as KubeVela does.
    pub(super) cue_patch: Option<super::cue::CuePatch>,
    /// A CUE trait's `patchOutputs`: patches of the component's named outputs.
    pub(super) cue_patch_outputs: Option<super::cue::CuePatch>,
}

/// One use of a template: which definition, with what, for whom.
pub(super) struct Use<'a> {
    pub(super) definition: &'a Definition,
    pub(super) parameter: &'a Value,
    /// The parameters as written in the app, for the spans of errors about them.
    pub(super) source: Option<&'a crate::load::Node>,
    pub(super) context: UseContext<'a>,
    /// A trait's workload as rendered so far (`context.workload`, KubeVela's `context.output`):
    /// shared, not copied, and converted for a template only as far as it reads it.
    pub(super) workload: Option<Arc<Value>>,
    /// Names the use in messages and in the name of a broken output: `component \`web\``.
    pub(super) used_by: UsedBy<'a>,
}

/// Who a template is used for, written out only when a message needs it: most uses never do.
#[derive(Clone, Copy, Debug)]
pub(super) enum UsedBy<'a> {
    Component(&'a str),
    Trait { kind: &'a str, component: &'a str },
    Scope(&'a str),
}

impl std::fmt::Display for UsedBy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsedBy::Component(name) => write!(f, "component `{name}`"),
            UsedBy::Trait { kind, component } => {
                write!(f, "trait `{kind}` of component `{component}`")
            }
            UsedBy::Scope(name) => write!(f, "scope `{name}`"),
        }
    }
}

/// What a template sees as `context`.
pub(super) enum UseContext<'a> {
    /// A component's workload or one of its traits: who it renders for, and for a trait the
    /// component's named outputs. Made into a value only for a template that reads it.
    Component {
        app_name: &'a str,
        component_name: &'a str,
        namespace: Option<&'a str>,
        revision: &'a str,
        /// The workload's name.
        name: &'a str,
        outputs: Option<Value>,
        /// The app's labels and annotations (a CUE template's `context.appLabels` and
        /// `context.appAnnotations`).
        app_labels: &'a [(String, String)],
        app_annotations: &'a [(String, String)],
    },
    /// Any other use (a scope): the value itself.
    Value(Value),
}

impl UseContext<'_> {
    /// The context's fields as a template sees them, in order, `outputs` last (borrowed, not
    /// copied: they may be whole objects); none when the context is not a map.
    pub(super) fn entries(&self) -> Vec<(&str, Cow<'_, Value>)> {
        match self {
            UseContext::Component {
                app_name,
                component_name,
                namespace,
                revision,
                name,
                outputs,
                ..
            } => {
                let text = |text: &str| Cow::Owned(Value::from(text));
                let mut entries = vec![
                    ("appName", text(app_name)),
                    ("componentName", text(component_name)),
                    (
                        "namespace",
                        Cow::Owned(namespace.map_or(Value::Null, Value::from)),
                    ),
                    ("revision", text(revision)),
                    ("name", text(name)),
                ];
                entries.extend(outputs.iter().map(|o| ("outputs", Cow::Borrowed(o))));
                entries
            }
            UseContext::Value(Value::Object(fields)) => fields
                .iter()
                .map(|(key, value)| (key.as_str(), Cow::Borrowed(value)))
                .collect(),
            UseContext::Value(_) => Vec::new(),
        }
    }
}

/// What a template gets as `parameter`: the object's `spec` (validated, defaults filled in),
/// taken or copied out by the caller as it owns the object or not.
pub(super) fn parameters_of(spec: Option<Value>) -> Value {
    spec.unwrap_or_else(|| Value::Object(serde_json::Map::new()))
}

fn key(definition: &Definition) -> String {
    format!("{}/{}", definition.kind.as_str(), definition.name.value)
}

impl Templates {
    pub(crate) fn compile(
        model: &Model,
        options: &super::RenderOptions,
        sources: &Sources,
        diags: &mut Diagnostics,
    ) -> Templates {
        let limits = options.template_limits;
        let mut env = Environment::new();
        // YAML is whitespace-sensitive: a `{% if %}` line must not leave a blank or indented line.
        if let Ok(syntax) = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        // Errors name the undefined expression (`parameter.replica`) in every build: minijinja
        // keeps that only in debug mode, which it otherwise turns off in release builds.
        env.set_debug(true);
        env.set_fuel(Some(limits.fuel));
        env.set_recursion_limit(RECURSION_LIMIT);
        // Filters that serialise a value do so into a bounded buffer: a value built of shared
        // parts (`{"a": x, "b": x}`, doubled in a loop) expands exponentially when written out.
        let bytes = limits.output_bytes;
        env.add_filter("to_yaml", move |v: &minijinja::Value| to_yaml(v, bytes));
        env.add_filter("to_json", move |v: &minijinja::Value| to_json(v, bytes));
        env.add_filter(
            "tojson",
            move |v: &minijinja::Value, indent: Option<minijinja::Value>, kwargs: Kwargs| {
                tojson(v, indent, &kwargs, bytes)
            },
        );
        env.add_filter("pprint", move |v: &minijinja::Value| pprint(v, bytes));
        env.add_filter("b64encode", b64encode);
        env.add_filter("sha256", sha256);
        env.add_filter("quote", quote);
        env.add_function("fail", fail);
        // The built-in templates (and the shared macros, `{% import "oam/pod.j2" as pod %}`)
        // compile when a run first uses them: tests compile each, and most runs use few. The
        // loader reads only these texts, never a file.
        let mut builtin: HashMap<String, String> = HashMap::new();
        builtin.insert(POD_MACROS.0.to_owned(), POD_MACROS.1.to_owned());
        for definition in &model.definitions {
            let Some(template) = &definition.template else {
                continue;
            };
            if definition.origin == Origin::Builtin {
                builtin.insert(key(definition), template.source.clone());
            } else if let Err(e) = env.add_template_owned(key(definition), template.source.clone())
            {
                diags.push(template_error(definition, template, &e, sources));
            }
        }
        env.set_loader(move |name| Ok(builtin.get(name).cloned()));
        Templates {
            env,
            limits,
            output_bytes: limits.output_bytes,
            run: budget::Limits::of(limits.run_bytes, limits.run_fuel, sources.text_bytes()),
            native: !options.builtin_templates,
            in_flight: options.in_flight.clone(),
        }
    }

    /// Notes a use of `template` as in flight until the guard is dropped, when watched.
    fn note<'a>(
        &'a self,
        definition: &Definition,
        template: &Template,
        site: &Use<'_>,
        sources: &Sources,
    ) -> Option<Rendering<'a>> {
        let in_flight = self.in_flight.as_deref()?;
        Some(in_flight.start(definition, first_line(template), site.used_by, sources))
    }

    /// The run's budgets.
    pub(crate) fn run_limits(&self) -> budget::Limits {
        self.run
    }

    /// Counts `bytes` of an object's YAML; false once the app has passed a budget.
    pub(crate) fn write(&self, meter: &Meter, bytes: usize) -> bool {
        let written = Spent {
            written: bytes as u64,
            ..Spent::default()
        };
        meter.charge(written, self.run)
    }

    /// Counts what one use rendered and spent; false once the app has passed a budget. Each
    /// byte rendered is a unit of fuel too: reading a template's output back and patching it
    /// in costs per byte about what an instruction does, and a template's instructions need
    /// not grow with its output (a trait that rewrites the workload's whole environment).
    fn charge(&self, meter: &Meter, rendered: usize, fuel: u64) -> bool {
        let rendered = rendered as u64;
        let spent = Spent {
            rendered,
            fuel: fuel.saturating_add(rendered),
            ..Spent::default()
        };
        meter.charge(spent, self.run)
    }

    /// A built-in rendered natively, when its template would have rendered the same within the
    /// limits of a use: its text is at most about six times the size `json_size` counts
    /// (`\u003c` for `<`), and its fuel as `native` bounds it. Counted against the run's budget
    /// as a CUE template's objects are. `None`: the template renders it.
    fn native_render(&self, site: &Use<'_>, meter: &Meter) -> Option<Output> {
        if !self.native {
            return None;
        }
        let rendered = super::native::render(site)?;
        let rendered_bytes: usize = rendered.objects.iter().map(json_size).sum();
        if rendered.fuel > self.limits.fuel || rendered_bytes.saturating_mul(8) > self.output_bytes
        {
            return None;
        }
        Some(Output {
            objects: rendered.objects,
            ..Output::default()
        })
        .filter(|_| self.charge(meter, rendered_bytes, rendered.fuel))
    }

    /// Renders a definition's template. `None` if it fails (diagnostics say why), or if the
    /// template did not compile (reported once, by `compile`).
    pub(super) fn render(
        &self,
        site: &Use<'_>,
        allow_patch: bool,
        meter: &Meter,
        sources: &mut Sources,
        diags: &mut Diagnostics,
    ) -> Option<Output> {
        let definition = site.definition;
        if let Some(kube) = &definition.kube {
            return kube_object(kube, site.parameter, diags).map(|object| Output {
                objects: vec![object],
                ..Output::default()
            });
        }
        // Past a budget, an app renders nothing more (the report is the budget's).
        if meter.over(self.run) {
            return None;
        }
        if let Some(output) = self.native_render(site, meter) {
            return Some(output);
        }
        if let Some(template) = &definition.cue {
            let _rendering = self.note(definition, &template.text, site, sources);
            let (output, fuel) =
                super::cue::render(site, template, allow_patch, self.limits, sources, diags);
            // What a CUE template rendered counts like any text; a failed use, what it spent.
            let rendered_bytes = output.iter().flat_map(|o| &o.objects).map(json_size).sum();
            let within = self.charge(meter, rendered_bytes, fuel);
            return output.filter(|_| within);
        }
        let template = definition.template.as_ref()?;
        let compiled = match self.env.get_template(&key(definition)) {
            Ok(compiled) => compiled,
            // A user template that does not compile was reported by `compile`.
            Err(e) if definition.origin == Origin::Builtin => {
                diags.push(template_error(definition, template, &e, sources));
                return None;
            }
            Err(_) => return None,
        };
        let context = minijinja::context! {
            parameter => minijinja::Value::from(minijinja::value::Serde(site.parameter)),
            context => template_context(site),
        };
        let mut out = Bounded {
            text: Vec::new(),
            limit: self.output_bytes,
            exceeded: false,
        };
        let rendering = self.note(definition, template, site, sources);
        let rendered = compiled.render_captured_to(context, &mut out);
        drop(rendering);
        // A use that failed is charged its whole fuel: minijinja does not say what it spent.
        let fuel = rendered.as_ref().map_or(self.limits.fuel, |captured| {
            captured.state().fuel_levels().map_or(0, |(spent, _)| spent)
        });
        if let Err(e) = rendered {
            self.charge(meter, 0, fuel);
            let d = if out.exceeded {
                Diagnostic::new(
                    Code::TemplateOutput,
                    first_line(template),
                    format!(
                        "the template of {} `{}` rendered more than {} bytes",
                        definition.kind.as_str(),
                        definition.name.value,
                        self.output_bytes
                    ),
                )
                .with_help("a loop that renders too much? raise --max-template-output if the output is meant to be this large")
            } else {
                template_error(definition, template, &e, sources)
            };
            diags.push(d.with_label_text(format!("while rendering {}", site.used_by)));
            return None;
        }
        if !self.charge(meter, out.text.len(), fuel) {
            return None;
        }
        let text = into_text(out.text);
        self.read_rendered(text, site, template, allow_patch, sources, diags)
    }

    /// A use's rendered text as objects (and patches); where it is not that, the text becomes a
    /// source of its own, so that the diagnostics show the author what the template produced.
    fn read_rendered(
        &self,
        text: String,
        site: &Use<'_>,
        template: &Template,
        allow_patch: bool,
        sources: &mut Sources,
        diags: &mut Diagnostics,
    ) -> Option<Output> {
        let definition = site.definition;
        if let Some(output) = read_json_output(&text, allow_patch) {
            return Some(output);
        }
        // Within the input's depth: what a template copies from its parameters is as deep.
        let budgets = &Budgets {
            max_depth: self.limits.max_depth,
            ..Budgets::default()
        };
        if let Some(output) = load::read_block_yaml(&text, budgets)
            .and_then(|documents| classify(documents, allow_patch))
        {
            return Some(output);
        }
        let mut scratch = Diagnostics::default();
        if let Some(output) =
            read_output(FileId(u32::MAX), &text, allow_patch, budgets, &mut scratch)
        {
            return Some(output);
        }
        let name = format!(
            "<output of {} `{}` for {}>",
            definition.kind.as_str(),
            definition.name.value,
            site.used_by
        );
        let file = sources.add(name, text, false);
        let mut problems = Diagnostics::default();
        read_output(
            file,
            &sources.get(file).text,
            allow_patch,
            budgets,
            &mut problems,
        );
        for problem in problems.into_sorted() {
            let mut d = Diagnostic::new(
                Code::TemplateOutput,
                problem.primary.map_or(template.span, |l| l.span),
                format!(
                    "the template of {} `{}` rendered {}",
                    definition.kind.as_str(),
                    definition.name.value,
                    problem.message
                ),
            )
            .with_label(first_line(template), "rendered by this template");
            if let Some(help) = problem.help {
                d = d.with_help(help);
            }
            diags.push(d);
        }
        None
    }
}

/// What a template sees as `context`: the use's fields, then `workload` (a view of the shared
/// value), then `outputs`, in the order the fields were always listed in.
fn template_context(site: &Use<'_>) -> minijinja::Value {
    if let UseContext::Value(value) = &site.context
        && !value.is_object()
    {
        return minijinja::Value::from(minijinja::value::Serde(value));
    }
    let fields = site.context.entries();
    let convert = |(key, value): &(&str, Cow<'_, Value>)| {
        (
            minijinja::Value::from(*key),
            minijinja::Value::from(minijinja::value::Serde(value.as_ref())),
        )
    };
    let workload = site.workload.iter().map(|workload| {
        (
            minijinja::Value::from("workload"),
            super::json_view::JsonView::value(workload),
        )
    });
    minijinja::Value::from_pairs(
        fields
            .iter()
            .filter(|(key, _)| *key != "outputs")
            .map(convert)
            .chain(workload)
            .chain(
                fields
                    .iter()
                    .find(|(key, _)| *key == "outputs")
                    .map(convert),
            ),
    )
}

/// A `schematic.kube` object with each given parameter written at its field paths (missing
/// maps are created, as KubeVela's `fieldpath.Pave` does). Values were checked against the
/// schema the parameter list stands for.
fn kube_object(kube: &KubeTemplate, parameter: &Value, diags: &mut Diagnostics) -> Option<Value> {
    let mut object = kube.object.clone();
    let mut ok = true;
    for declared in &kube.parameters {
        let Some(value) = parameter.get(&declared.name.value) else {
            continue;
        };
        for path in &declared.field_paths {
            let Ok(segments) = fieldpath::parse(&path.value) else {
                diags.push(fieldpath::invalid(path, "fieldPaths"));
                ok = false;
                continue;
            };
            if let Err(reason) = fieldpath::set(&mut object, &segments, value.clone()) {
                diags.push(
                    Diagnostic::new(Code::FieldPathNotSettable, path.span, format!("cannot write parameter `{}` at `{}`: {reason}", declared.name.value, path.value))
                        .with_help("point the fieldPath into maps and existing list items of the kube template"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(object)
}

/// The fast path for templates that write each document as JSON (`{{ object | tojson }}`, as
/// the built-in library does): JSON parses an order of magnitude faster than span-keeping YAML,
/// and means the same. `None` when any document is not JSON, or not what a template may
/// render; the YAML path then reads (and reports) it.
fn read_json_output(text: &str, allow_patch: bool) -> Option<Output> {
    let mut documents = text.split("\n---\n").map(str::trim);
    let first = documents.next()?;
    let first = first.strip_prefix("---").map_or(first, str::trim_start);
    let mut values = Vec::new();
    for document in std::iter::once(first).chain(documents) {
        if document.is_empty() {
            continue;
        }
        if !document.starts_with('{') {
            return None;
        }
        values.push(serde_json::from_str::<Value>(document).ok()?);
    }
    classify(values, allow_patch)
}

/// The documents a fast path read, as objects and patches; `None` for a document that is not
/// what a template may render, which the YAML path then reports.
fn classify(documents: Vec<Value>, allow_patch: bool) -> Option<Output> {
    let mut output = Output::default();
    for document in documents {
        let Value::Object(mut object) = document else {
            return None;
        };
        if object.len() == 1 && object.contains_key("patch") {
            if !allow_patch {
                return None;
            }
            output.patches.push(object.remove("patch")?);
            continue;
        }
        let typed = ["apiVersion", "kind"].iter().all(|k| {
            object
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
        if !typed {
            return None;
        }
        output.objects.push(Value::Object(object));
    }
    Some(output)
}

/// Splits rendered text into objects and patches; `None` (and diagnostics) if it is not that.
fn read_output(
    file: FileId,
    text: &str,
    allow_patch: bool,
    budgets: &Budgets,
    diags: &mut Diagnostics,
) -> Option<Output> {
    let nodes = load::parse_yaml(file, text, budgets, diags);
    if diags.has_errors() {
        return None; // a YAML error: its message reads "invalid YAML: …"
    }
    let mut output = Output::default();
    for node in nodes {
        let NodeValue::Map(entries) = &node.value else {
            diags.push(
                Diagnostic::new(Code::TemplateOutput, node.span, format!("{}, not an object", node.type_name()))
                    .with_help("each document a template renders is a Kubernetes object (or, for a trait, `patch:`)"),
            );
            continue;
        };
        let is_patch = entries.len() == 1 && &*entries[0].0.text == "patch";
        if is_patch {
            if allow_patch {
                output.patches.push(entries[0].1.to_value());
            } else {
                diags.push(
                    Diagnostic::new(Code::TemplateOutput, entries[0].0.span, "a `patch:` document outside a trait")
                        .with_help("only a TraitDefinition's template may patch the workload; render the object itself instead"),
                );
            }
            continue;
        }
        let typed = ["apiVersion", "kind"].iter().all(|k| {
            node.get(k)
                .and_then(|n| n.as_str())
                .is_some_and(|s| !s.is_empty())
        });
        if !typed {
            diags.push(
                Diagnostic::new(Code::TemplateOutput, node.span, "an object without apiVersion or kind")
                    .with_help("give every rendered object `apiVersion` and `kind`; a trait's workload patch is a document with the single key `patch`"),
            );
            continue;
        }
        output.objects.push(node.to_value());
    }
    (!diags.has_errors()).then_some(output)
}

fn template_error(
    definition: &Definition,
    template: &Template,
    error: &minijinja::Error,
    sources: &Sources,
) -> Diagnostic {
    let range = error
        .range()
        .or_else(|| error.line().map(|line| line_range(&template.source, line)));
    let span = range.map_or(template.span, |r| span_in_file(template, sources, &r));
    let detail = error.detail().map_or_else(
        || error.kind().to_string(),
        |d| format!("{}: {d}", error.kind()),
    );
    let help = match error.kind() {
        ErrorKind::SyntaxError => "fix the template syntax (minijinja, Jinja2's syntax)",
        ErrorKind::UndefinedError => {
            "a name is not defined: check its spelling against the schema; test optional parameters with `{% if parameter.x is defined %}`"
        }
        ErrorKind::OutOfFuel => {
            "the template ran longer than oam allows for one use: look for a loop that does not end"
        }
        _ => {
            "templates see `parameter` and `context`; filters: to_yaml, to_json, b64encode, sha256, quote, indent"
        }
    };
    Diagnostic::new(
        Code::TemplateError,
        span,
        format!(
            "template of {} `{}`: {detail}",
            definition.kind.as_str(),
            definition.name.value
        ),
    )
    .with_help(help)
}

/// The template's first line in the file: enough to find it, short enough to read.
fn first_line(template: &Template) -> Span {
    let length = template.source.find('\n').unwrap_or(template.source.len());
    let span = template.span;
    Span::new(
        span.file,
        span.start,
        (span.start + length as u32).min(span.end),
    )
}

/// The byte range of 1-based `line` in `text`.
fn line_range(text: &str, line: usize) -> Range<usize> {
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    start..end
}

/// Maps a byte range of the template text to the definition file. A `|` block keeps the
/// template's lines, indented; a quoted or plain scalar does not, so it maps to the whole string.
pub(super) fn span_in_file(template: &Template, sources: &Sources, range: &Range<usize>) -> Span {
    let whole = template.span;
    let source = &template.source;
    if range.start > source.len() {
        return whole;
    }
    let line = source[..range.start].matches('\n').count();
    let column = range.start - source[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let text = &sources.get(whole.file).text;
    let start = whole.start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].bytes().all(|b| b == b' ') {
        return whole;
    }
    let indent = start - line_start;
    let mut offset = start;
    for _ in 0..line {
        let Some(newline) = text[offset..].find('\n') else {
            return whole;
        };
        offset += newline + 1;
        let spaces = text[offset..]
            .bytes()
            .take(indent)
            .take_while(|b| *b == b' ')
            .count();
        offset += spaces;
    }
    if offset > whole.end as usize {
        return whole;
    }
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let begin = (offset + column).min(line_end);
    let end = (begin + range.len()).min(line_end);
    Span::new(whole.file, begin as u32, end as u32)
}

/// About the bytes a value takes written out: its text, and a few bytes a node.
fn json_size(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len() + 4,
        Value::Array(items) => items.iter().map(json_size).sum::<usize>() + 4,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
                + 4
        }
        _ => 8,
    }
}

fn to_yaml(value: &minijinja::Value, limit: usize) -> Result<String, minijinja::Error> {
    let value = to_serde(value, limit)?;
    Ok(crate::yaml_writer::to_yaml(&value).trim_end().to_owned())
}

fn to_json(value: &minijinja::Value, limit: usize) -> Result<String, minijinja::Error> {
    let value = to_serde(value, limit)?;
    Ok(value.to_string())
}

/// minijinja's `tojson` (the same escapes of `<`, `>`, `&` and `'`, a safe string), with its
/// indentation and size bounded.
fn tojson(
    value: &minijinja::Value,
    indent: Option<minijinja::Value>,
    kwargs: &Kwargs,
    limit: usize,
) -> Result<minijinja::Value, minijinja::Error> {
    // As minijinja's filter: `indent` given once, by position or by name, and no other keyword.
    // Read with `peek`, as `get` records every read in a set of its own, which cost more than
    // the rest of a small value's `tojson`.
    let by_name = |key: &str| key == "indent" && indent.is_none();
    if let Some(key) = kwargs.args().find(|key| !by_name(key)) {
        return Err(minijinja::Error::new(
            ErrorKind::TooManyArguments,
            format!("unknown keyword argument '{key}'"),
        ));
    }
    let indent = match indent {
        Some(indent) => Some(indent),
        None => kwargs.peek::<Option<minijinja::Value>>("indent")?,
    };
    let Some(indent) = indent else {
        // The usual case, written once: as minijinja writes it, within the bound.
        let text = serialized_as(value, limit, SpacedHtmlSafe)?;
        return Ok(minijinja::Value::from_safe_string(into_text(text)));
    };
    if let Some(width) = indent.as_usize() {
        if width > MAX_JSON_INDENT {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson indent of {width} is more than {MAX_JSON_INDENT}"),
            ));
        }
    }
    serialized(value, limit)?;
    minijinja::filters::tojson(value, None, Kwargs::from_iter([("indent", indent)]))
}

/// The text minijinja's `tojson` writes without indentation: `", "` after each item and
/// `": "` after each key, and `<`, `>`, `&` and `'` escaped in strings (safe in HTML). Floats and
/// the other escapes are serde_json's, which minijinja's writer matches.
struct SpacedHtmlSafe;

impl serde_json::ser::Formatter for SpacedHtmlSafe {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.begin_array_value(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, byte) in fragment.bytes().enumerate() {
            let escape: &[u8] = match byte {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                b'\'' => b"\\u0027",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..at])?;
            writer.write_all(escape)?;
            start = at + 1;
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// A readable dump of a value (indented JSON), bounded like every serialisation.
fn pprint(value: &minijinja::Value, limit: usize) -> Result<String, minijinja::Error> {
    let text = serialized(value, limit)?;
    let value: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
    Ok(serde_json::to_string_pretty(&value).unwrap_or_default())
}

fn to_serde(value: &minijinja::Value, limit: usize) -> Result<Value, minijinja::Error> {
    let text = serialized(value, limit)?;
    serde_json::from_slice(&text)
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// The value as compact JSON, refused as soon as it grows past `limit` bytes.
fn serialized(value: &minijinja::Value, limit: usize) -> Result<Vec<u8>, minijinja::Error> {
    serialized_as(value, limit, serde_json::ser::CompactFormatter)
}

/// The value as JSON in `format`, refused as soon as it grows past `limit` bytes: a value built
/// of shared parts (`{"a": x, "b": x}`, doubled in a loop) is exponentially larger written out.
fn serialized_as(
    value: &minijinja::Value,
    limit: usize,
    format: impl serde_json::ser::Formatter,
) -> Result<Vec<u8>, minijinja::Error> {
    let mut out = Bounded {
        text: Vec::new(),
        limit,
        exceeded: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, format);
    match serde::Serialize::serialize(value, &mut serializer) {
        Ok(()) => Ok(out.text),
        Err(_) if out.exceeded => Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the value is larger than {limit} bytes when written out (--max-template-output)"
            ),
        )),
        Err(e) => Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            e.to_string(),
        )),
    }
}

/// A double-quoted YAML (and JSON) string of the value: safe for any text in any position.
fn quote(value: &minijinja::Value) -> String {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    Value::String(text).to_string()
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Standard base64 with padding, as Kubernetes Secret `data` expects.
fn b64encode(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `{{ fail("why") }}`: a template refuses its parameters with a message of its own.
fn fail(message: String) -> Result<String, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
}

#[cfg(test)]
mod tests {
    use minijinja::value::{Kwargs, Value};

    use super::{b64encode, line_range, sha256, tojson};

    /// oam's one-pass `tojson` writes what minijinja's own writes, for every kind of value.
    #[test]
    fn tojson_writes_what_minijinja_writes() {
        let json = serde_json::json!({
            "s": "plain <b>&'quoted'\"\\ \n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} é \u{2028} 😀",
            "n": [0, -1, 18_446_744_073_709_551_615_u64, 1.5, 1e16, 1.5e-7, 0.1, -0.0, 1e300],
            "b": [true, false, null],
            "empty": {"l": [], "m": {}},
            "deep": [[[{"k": [1, {"x": "y"}]}]]],
        });
        let values = [
            Value::from(minijinja::value::Serde(&json)),
            Value::from(f64::NAN),
            Value::from(f64::INFINITY),
            Value::from(u128::MAX),
            Value::from(i128::MIN),
            Value::from_bytes(vec![0, 1, 255]),
            Value::UNDEFINED,
            Value::from(()),
            Value::from_safe_string("<safe>".to_owned()),
            Value::from_pairs([(Value::from(1), "one"), (Value::from(true), "yes")]),
            Value::from_pairs([(Value::from(2.5), "float key")]),
            Value::from(vec![Value::from("a"), Value::from(vec![Value::from(1)])]),
            (0..3).collect::<Value>(),
        ];
        let none = || std::iter::empty::<(&str, Value)>().collect::<Kwargs>();
        for value in values {
            let ours = tojson(&value, None, &none(), 1 << 20).map(|v| v.to_string());
            let theirs = minijinja::filters::tojson(&value, None, none()).map(|v| v.to_string());
            assert_eq!(ours.ok(), theirs.ok(), "{value:?}");
        }
        // The indentation, by position or by name, and keywords it does not know.
        let value = Value::from(minijinja::value::Serde(&json));
        let kwargs = |pairs: &[(&str, Value)]| pairs.iter().cloned().collect::<Kwargs>();
        let calls = [
            (None, vec![("indent", Value::from(2))]),
            (None, vec![("indent", Value::from(true))]),
            (None, vec![("indent", Value::from(false))]),
            (Some(Value::from(4)), vec![]),
            (Some(Value::from(2)), vec![("indent", Value::from(2))]),
            (None, vec![("width", Value::from(2))]),
            (
                None,
                vec![("indent", Value::from(2)), ("sort", Value::from(true))],
            ),
        ];
        for (indent, pairs) in calls {
            let ours = tojson(&value, indent.clone(), &kwargs(&pairs), 1 << 20);
            let theirs = minijinja::filters::tojson(&value, indent.clone(), kwargs(&pairs));
            assert_eq!(
                ours.map(|v| v.to_string()).map_err(|e| e.to_string()),
                theirs.map(|v| v.to_string()).map_err(|e| e.to_string()),
                "{indent:?} {pairs:?}"
            );
        }
        // A value too large to write is refused, not written.
        let big = Value::from(vec![Value::from("x".repeat(100)); 100]);
        assert!(tojson(&big, None, &none(), 1000).is_err());
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, encoded) in vectors {
            assert_eq!(b64encode(text), encoded, "{text}");
        }
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn line_ranges_are_one_based() {
        let text = "a: 1\nb: {{ x }}\nc";
        assert_eq!(&text[line_range(text, 2)], "b: {{ x }}");
        assert_eq!(&text[line_range(text, 3)], "c");
    }
}

#[cfg(test)]
mod builtin_tests {
    use super::{Templates, key};
    use crate::diag::Diagnostics;
    use crate::load::Origin;

    /// Built-in templates compile when a run first uses one (`Templates::compile` skips them):
    /// this compiles every one, so a broken built-in fails here and never in a user's run.
    #[test]
    fn every_builtin_template_compiles() {
        let (model, sources) = crate::model::builtin_model();
        let mut diags = Diagnostics::default();
        let options = crate::RenderOptions::default();
        let templates = Templates::compile(&model, &options, &sources, &mut diags);
        let builtins: Vec<_> = model
            .definitions
            .iter()
            .filter(|d| d.origin == Origin::Builtin && d.template.is_some())
            .collect();
        assert!(builtins.len() > 20, "{}", builtins.len());
        for definition in builtins {
            if let Err(e) = templates.env.get_template(&key(definition)) {
                panic!("{}: {e:#}", key(definition));
            }
        }
        assert!(templates.env.get_template(super::POD_MACROS.0).is_ok());
        assert!(diags.into_sorted().is_empty());
    }
}
