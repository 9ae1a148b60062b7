//! Definitions whose template is CUE, evaluated by oam's own CUE evaluator (crates/cue) the way
//! KubeVela evaluates them (`pkg/cue/definition/template.go`): the template unified with
//! `parameter: <properties>` and `context: {...}`, then `output` and `outputs` are the objects
//! and, for a trait, `patch` is applied to the workload (`patch::apply`). Every failure is a
//! diagnostic at the CUE that caused it, in the definition file.

use serde_json::{Value, json};

use super::patch;
use super::template::{Output, TemplateLimits, Use, UseContext, span_in_file};
use crate::check::span_at;
use crate::diag::{Code, Diagnostic, Diagnostics, Span, printable};
use crate::load::Sources;
use crate::model::{CueTemplate, Definition};

/// The Kubernetes version templates see as `context.clusterVersion` (they pick API versions
/// by its `minor`): offline there is no cluster to ask, so oam renders for this one.
pub(crate) const CLUSTER_VERSION: (u32, u32) = (1, 29);

/// Conflicts in the parameters reported per use: enough to fix several at once.
const MAX_REPORTED: usize = 20;

/// What a CUE use costs of the run's fuel (`--max-run-fuel`): its steps, four to a unit as
/// for one use's limit, and this much per value it created. Values are what an evaluation's
/// time and memory go to when it builds many: a comprehension of 200,000 values took 0.35 s
/// in 600,000 steps, where KubeVela's `webservice` creates about 130 in 540.
const FUEL_PER_VALUE: u64 = 8;

/// A trait's `patch`, with the `// +patchKey=` and `// +patchStrategy=` tags of its fields and
/// the elements of its open lists.
pub(super) struct CuePatch {
    pub(super) value: Value,
    pub(super) info: cue::PatchInfo,
}

/// KubeVela's `context` for a use: the component's name and the app. (For a trait, `output`
/// and `outputs`, the workload as rendered so far, are added after it: see `render`.)
fn kubevela_context(site: &Use<'_>) -> Value {
    let ours = site.context.entries();
    let field = |key: &str| {
        ours.iter()
            .find(|(k, _)| *k == key)
            .map_or(&Value::Null, |(_, value)| value.as_ref())
    };
    let app = field("appName").as_str().unwrap_or_default();
    let (major, minor) = CLUSTER_VERSION;
    let mut context = json!({
        "name": field("componentName"),
        "appName": app,
        "namespace": field("namespace").as_str().unwrap_or("default"),
        "appRevision": format!("{app}-v1"),
        "appRevisionNum": 1,
        "revision": field("revision"),
        "components": [],
        "clusterVersion": {
            "major": major,
            "minor": minor,
            "gitVersion": format!("v{major}.{minor}.0"),
            "platform": "linux/amd64",
        },
    });
    // What KubeVela's context also holds: the app's labels and annotations (keys sorted, as
    // Go writes a map), the two annotations it reads, and the cluster, `local` when nothing
    // places the app elsewhere (clusters do not exist offline).
    if let UseContext::Component {
        app_labels,
        app_annotations,
        ..
    } = &site.context
    {
        let map = |pairs: &[(String, String)]| {
            let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
            sorted.sort();
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            )
        };
        let annotation = |key: &str| {
            app_annotations
                .iter()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.as_str())
        };
        context["appLabels"] = map(app_labels);
        context["appAnnotations"] = map(app_annotations);
        context["workflowName"] = Value::from(annotation("app.oam.dev/workflowName"));
        context["publishVersion"] = Value::from(annotation("app.oam.dev/publishVersion"));
        context["replicaKey"] = Value::from("");
        context["cluster"] = Value::from("local");
    }
    context
}

/// Evaluates a CUE template for one use: its output, `None` (and diagnostics) if it fails, and
/// the fuel it spent either way (`FUEL_PER_VALUE`).
pub(super) fn render(
    site: &Use<'_>,
    template: &CueTemplate,
    allow_patch: bool,
    limits: TemplateLimits,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> (Option<Output>, u64) {
    let file = match &template.parsed {
        Ok(file) => file,
        Err(error) => {
            diags.push(diagnostic(site, template, error, sources));
            return (None, 0);
        }
    };
    // Nesting past the default depth of input is nesting the evaluation must follow too.
    let deeper = limits
        .max_depth
        .saturating_sub(TemplateLimits::default().max_depth);
    let budget = cue::Budget {
        steps: limits.fuel.saturating_mul(4),
        depth: cue::Budget::default().depth + deeper,
        ..cue::Budget::default()
    };
    let mut run = Run {
        site,
        template,
        sources,
        evaluation: cue::Evaluation::new(budget),
    };
    run.evaluation.add_file(file);
    run.evaluation
        .add_json(&run.at("parameter"), &cue::as_go_writes_it(site.parameter));
    run.evaluation
        .add_json(&["context"], &kubevela_context(site));
    // The workload so far, read where it is rather than copied into the context first: a
    // component of many traits copied its growing workload twice more per trait.
    if let Some(workload) = &site.workload {
        run.evaluation.add_json(&["context", "output"], workload);
        let entries = site.context.entries();
        let outputs = entries.iter().find(|(k, _)| *k == "outputs");
        match outputs {
            Some((_, outputs)) => run.evaluation.add_json(&["context", "outputs"], outputs),
            None => run.evaluation.add_json(&["context", "outputs"], &json!({})),
        }
    }
    let output = run.outputs(allow_patch, diags);
    let values = run.evaluation.values() as u64;
    let fuel = run
        .evaluation
        .steps()
        .div_ceil(4)
        .saturating_add(values.saturating_mul(FUEL_PER_VALUE));
    (output, fuel)
}

impl Run<'_, '_> {
    /// The template's objects and patches, once the values are in.
    fn outputs(&mut self, allow_patch: bool, diags: &mut Diagnostics) -> Option<Output> {
        let before = diags.error_count();
        let mark = diags.len();
        // A parameter that breaks the template's schema is the error to show: what the outputs
        // then fail on follows from it.
        if !self.parameters_fit(diags) {
            return None;
        }
        let mut output = Output::default();
        self.objects(&mut output, diags);
        if allow_patch {
            self.patch(&mut output, diags);
        }
        self.reported_errors(diags);
        if diags.error_count() > before {
            self.name_unset_parameters(mark, diags);
            return None;
        }
        // A component renders its workload. A trait may render nothing: KubeVela reads `output`,
        // `outputs` and `patch` where they exist, and traits that only carry parameters for other
        // tools (the catalog's `backstage`) are common.
        if output.objects.is_empty() && !allow_patch {
            diags.push(shape(
                self.site,
                self.template,
                Code::CueEvaluation,
                "the template has no `output` or `outputs`",
            ));
            return None;
        }
        Some(output)
    }
}

/// One evaluation of a template, and what its diagnostics need.
struct Run<'a, 'u> {
    site: &'a Use<'u>,
    template: &'a CueTemplate,
    sources: &'a Sources,
    evaluation: cue::Evaluation,
}

impl<'a> Run<'a, '_> {
    /// The path of one of the template's fields.
    fn at(&self, field: &'static str) -> Vec<&'a str> {
        let template: &'a CueTemplate = self.template;
        let mut path: Vec<&str> = template.prefix.iter().map(String::as_str).collect();
        path.push(field);
        path
    }

    fn fail(&self, error: &cue::Error) -> Diagnostic {
        diagnostic(self.site, self.template, error, self.sources)
    }

    /// False (and a diagnostic for each conflict) if the parameters break the schema.
    fn parameters_fit(&mut self, diags: &mut Diagnostics) -> bool {
        let conflicts = self
            .evaluation
            .conflicts(&self.at("parameter"), MAX_REPORTED)
            .unwrap_or_default();
        for error in &conflicts {
            let unknown = error.message.strip_prefix("field not allowed: ");
            match unknown.and_then(|field| self.unknown_property(error, field)) {
                Some(d) => diags.push(d),
                None => diags.push(self.fail(error)),
            }
        }
        conflicts.is_empty()
    }

    /// A property a closed `parameter` does not declare, said as oam says it of any definition
    /// (`oam::E064`, with the closest declared name).
    fn unknown_property(&mut self, error: &cue::Error, field: &str) -> Option<Diagnostic> {
        let parameter = self.at("parameter").join(".");
        let below = error
            .path
            .strip_prefix(parameter.as_str())?
            .trim_start_matches('.');
        let mut path = self.at("parameter");
        path.extend(below.split('.').filter(|s| !s.is_empty()));
        let declared: Vec<String> = self
            .evaluation
            .describe(&path)
            .into_iter()
            .map(|f| f.name)
            .filter(|name| name != field)
            .collect();
        let shown = if below.is_empty() {
            field.to_owned()
        } else {
            format!("{below}.{field}")
        };
        let pointer = format!(
            "/{}",
            shown
                .replace('~', "~0")
                .replace('/', "~1")
                .replace('.', "/")
        );
        let span = self
            .site
            .source
            .map_or(self.template.text.span, |source| span_at(source, &pointer));
        let definition = self.site.definition;
        Some(
            Diagnostic::new(
                Code::UnknownProperty,
                span,
                format!(
                    "{} `{}` has no parameter `{shown}`",
                    definition.kind.as_str(),
                    definition.name.value
                ),
            )
            .with_suggestion(
                field,
                declared.iter().map(String::as_str),
                "not a parameter of this definition",
            )
            .with_help(format!(
                "`oam explain {}` lists the parameters",
                definition.name.value
            )),
        )
    }

    /// `output`, then each of `outputs` with its name.
    fn objects(&mut self, output: &mut Output, diags: &mut Diagnostics) {
        if self.evaluation.has(&self.at("output")) {
            match self.evaluation.export(&self.at("output")) {
                Ok(object) => {
                    output.objects.push(object);
                    output.names.push(None);
                }
                Err(error) => diags.push(self.fail(&error)),
            }
        }
        if self.evaluation.has(&self.at("outputs")) {
            match self.evaluation.export(&self.at("outputs")) {
                Ok(Value::Object(outputs)) => {
                    for (name, object) in outputs {
                        output.objects.push(object);
                        output.names.push(Some(name));
                    }
                }
                Ok(_) => diags.push(shape(
                    self.site,
                    self.template,
                    Code::CueEvaluation,
                    "`outputs` is not a struct of objects",
                )),
                Err(error) => diags.push(self.fail(&error)),
            }
        }
    }

    /// A trait's `patch` and `patchOutputs`, with their tags.
    fn patch(&mut self, output: &mut Output, diags: &mut Diagnostics) {
        output.cue_patch = self.patch_at("patch", diags);
        output.cue_patch_outputs = self.patch_at("patchOutputs", diags);
        let warnings = self
            .template
            .patch_tag_warnings
            .get_or_init(|| self.patch_tag_problems());
        for warning in warnings {
            diags.push(warning.clone());
        }
    }

    /// Patch tags KubeVela would ignore without a word (a misspelt tag, an unknown strategy),
    /// and a JSON (merge) patch strategy tagged anywhere but on `patch` itself, which means
    /// nothing to KubeVela (it then unifies the patch): most often that tag sits above
    /// `patch: a: b:`, whose comments CUE gives to the innermost field. They are the
    /// definition's, so found once (`CueTemplate::patch_tag_warnings`).
    fn patch_tag_problems(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let Ok(file) = &self.template.parsed else {
            return diags;
        };
        let whole = self.at("patch");
        let outputs = self.at("patchOutputs");
        for field in file.tagged_fields() {
            let at = file_span(self.template, field.span, self.sources);
            // Where KubeVela reads patch tags (Kubernetes' own `+patchStrategy=merge` markers
            // are copied into schemas elsewhere).
            let in_patch = [&whole, &outputs].iter().any(|root| {
                field.path.len() >= root.len()
                    && field.path.iter().zip(root.iter()).all(|(a, b)| a == b)
            });
            let ignored = field
                .tags
                .iter()
                .filter_map(|line| patch::ignored_tag(line));
            for (what, fix) in ignored.filter(|_| in_patch) {
                diags.push(
                    Diagnostic::new(Code::PatchTagIgnored, at, printable(&what))
                        .with_help(printable(&fix)),
                );
            }
            if field
                .path
                .iter()
                .map(String::as_str)
                .eq(whole.iter().copied())
            {
                continue;
            }
            let Some(strategy) = field
                .tags
                .iter()
                .filter_map(|line| patch::tag(line))
                .find(|(name, value)| {
                    *name == "patchStrategy" && patch::is_whole_patch_strategy(value)
                })
                .map(|(_, value)| value)
            else {
                continue;
            };
            let shown = field.path[self.template.prefix.len().min(field.path.len())..].join(".");
            diags.push(
                Diagnostic::new(
                    Code::PatchStrategyOutOfPlace,
                    at,
                    format!(
                        "`+patchStrategy={strategy}` tags `{}`, not `patch`: KubeVela reads that strategy on `patch` alone, so this patch is unified with the workload",
                        printable(&shown)
                    ),
                )
                .with_help("for a JSON merge patch (or JSON patch) of the whole `patch`, write it with braces under the tag (`patch: {spec: ...}`): CUE gives the comments above `patch: spec: ...` to its innermost field; otherwise remove the tag"),
            );
        }
        diags
    }

    fn patch_at(&mut self, field: &'static str, diags: &mut Diagnostics) -> Option<CuePatch> {
        if !self.evaluation.has(&self.at(field)) {
            return None;
        }
        let value = self.evaluation.export(&self.at(field));
        let info = self.evaluation.patch_info(&self.at(field));
        match (value, info) {
            (Ok(value), Ok(info)) => Some(CuePatch { value, info }),
            (Err(error), _) | (_, Err(error)) => {
                diags.push(self.fail(&error));
                None
            }
        }
    }

    /// `errs` the template reports.
    fn reported_errors(&mut self, diags: &mut Diagnostics) {
        if !self.evaluation.has(&self.at("errs")) {
            return;
        }
        match self.evaluation.export(&self.at("errs")) {
            Ok(Value::Array(errors)) => {
                for error in errors {
                    let text = error
                        .as_str()
                        .map_or_else(|| error.to_string(), str::to_owned);
                    diags.push(shape(
                        self.site,
                        self.template,
                        Code::CueEvaluation,
                        &format!("the template reports: {}", printable(&text)),
                    ));
                }
            }
            Ok(_) => {}
            Err(error) => diags.push(self.fail(&error)),
        }
    }

    /// When parameters nobody gave left the outputs incomplete, those parameters replace the
    /// diagnostics since `mark`: they are what the user can fix.
    fn name_unset_parameters(&mut self, mark: usize, diags: &mut Diagnostics) {
        let unset = self.evaluation.unset(&self.at("parameter"), MAX_REPORTED);
        if unset.is_empty() {
            return;
        }
        diags.truncate(mark);
        let parameter = self.at("parameter").join(".");
        for error in &unset {
            let name = error
                .path
                .strip_prefix(parameter.as_str())
                .unwrap_or(&error.path);
            let mut missing = error.clone();
            missing.message = format!(
                "the parameter `{}` is required and not given",
                name.trim_start_matches('.')
            );
            missing.path = String::new();
            let mut d = self.fail(&missing);
            if let Some(source) = self.site.source {
                d = d.with_label(source.span, "not among these properties");
            }
            diags.push(d);
        }
    }
}

/// Where a CUE span is in the definition file.
fn file_span(template: &CueTemplate, span: cue::Span, sources: &Sources) -> Span {
    let whole = template.text.span;
    if template.whole_file {
        return Span::new(whole.file, span.start, span.end);
    }
    span_in_file(
        &template.text,
        sources,
        &(span.start as usize..span.end as usize),
    )
}

/// An evaluation error as a diagnostic: at the CUE it comes from, naming the field.
fn diagnostic(
    site: &Use<'_>,
    template: &CueTemplate,
    error: &cue::Error,
    sources: &Sources,
) -> Diagnostic {
    let definition: &Definition = site.definition;
    let mut spans = error.spans.iter().map(|s| file_span(template, *s, sources));
    let primary = spans.next().unwrap_or(template.text.span);
    let (code, help) = match error.kind {
        cue::ErrorKind::Syntax => (Code::CueSyntax, "fix the CUE syntax of the template"),
        cue::ErrorKind::Unsupported => (
            Code::UnsupportedSchematic,
            "oam's CUE evaluator does not implement this (docs/definitions.md lists what it does); rewrite that part of the template",
        ),
        cue::ErrorKind::Incomplete => (
            Code::CueEvaluation,
            "a value the output needs is not set: give the parameter in the component's properties, or a default in the template (`*value | type`)",
        ),
        cue::ErrorKind::Budget => (
            Code::CueEvaluation,
            "the evaluation passed a budget oam sets for one use (steps: 4 × --max-template-fuel; nesting: 400, plus what --max-depth adds past 64; values and built text: fixed): look for a structural cycle, a comprehension that grows without end, hundreds of different regular expressions, or searches of long text",
        ),
        cue::ErrorKind::Function => (
            Code::CueEvaluation,
            "a standard-library function of the template refused what it was given, as the message says: fix that value (a property, or the template)",
        ),
        cue::ErrorKind::Conflict => (
            Code::CueEvaluation,
            "the parameters or context conflict with the template's constraints: `oam explain` lists the parameters",
        ),
    };
    let at = if error.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", printable(&error.path))
    };
    let what = if error.kind == cue::ErrorKind::Syntax {
        "does not parse".to_owned()
    } else {
        format!("fails for {}", site.used_by)
    };
    let mut d = Diagnostic::new(
        code,
        primary,
        format!(
            "the CUE template of {} `{}` {what}: {at}{}",
            definition.kind.as_str(),
            definition.name.value,
            printable(&error.message)
        ),
    )
    .with_help(help);
    for span in spans {
        d = d.with_label(span, "and here");
    }
    // An error in a parameter is the user's value as much as the template's constraint.
    let mut parameter_path = template.prefix.clone();
    parameter_path.push("parameter".to_owned());
    let parameter_path = parameter_path.join(".");
    if let (Some(rest), Some(source), false) = (
        error.path.strip_prefix(parameter_path.as_str()),
        site.source,
        error.is_incomplete(),
    ) {
        let pointer = rest.replace('~', "~0").replace('/', "~1").replace('.', "/");
        d = d.with_label(span_at(source, &pointer), "the value given");
    }
    d
}

fn shape(site: &Use<'_>, template: &CueTemplate, code: Code, problem: &str) -> Diagnostic {
    Diagnostic::new(
        code,
        template.text.span,
        format!(
            "the CUE template of {} `{}` for {}: {problem}",
            site.definition.kind.as_str(),
            site.definition.name.value,
            site.used_by
        ),
    )
    .with_help("a component template sets `output` (and `outputs`); a trait sets `outputs` and may set `patch`")
}
