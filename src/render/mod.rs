//! Stage 4, render: checked apps in, Kubernetes objects out.
//! Per app and component: parameters written at their field paths, the workload named,
//! namespaced and labelled, traits named and pointed at their workload, core kinds expanded
//! (ContainerizedWorkload → Deployment/Service/ConfigMap, ManualScalerTrait → replicas), scopes
//! filled with workload references. Components render in dependency order, so data outputs are
//! passed to the components that take them. No I/O; nothing here knows the input dialect.

mod budget;
mod containerized;
mod cue;
mod data;
mod json_view;
mod labels;
mod names;
mod native;
mod patch;
mod template;
mod traits;
mod watchdog;
mod workload;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::check::{Checked, CheckedApp, CheckedScope};
use crate::diag::{Diagnostics, Span};
use crate::load::{FileId, Sources};
use crate::model::{Model, field, metadata_field};
use budget::Meter;

pub(crate) use template::{TemplateLimits, Templates};
pub use watchdog::{Watchdog, WatchdogLimits};

/// Where a rendered object belongs and where it came from. The app's name and the file list
/// are shared by every object of an app or component.
#[derive(Clone, Debug)]
pub(crate) struct Placement {
    /// The app it belongs to (`None`: passed through, or shared by apps).
    pub(crate) app: Option<Arc<str>>,
    /// Where a problem with this object is reported.
    pub(crate) span: Span,
    /// Passed through from the inputs: Kubernetes' looser per-kind name rules apply.
    pub(crate) passthrough: bool,
    /// The component's depth in its app's dependency graph; scopes and pass-through objects
    /// come after every component.
    pub(crate) depth: usize,
    /// The files the object was made from (app, component, definitions), for output headers.
    pub(crate) sources: Arc<[FileId]>,
}

/// A rendered object, finished: written as YAML as soon as it is rendered (by the worker that
/// rendered it), so that a run holds the output's text rather than a tree of values per object
/// (about nine times larger). The value itself is kept only when asked for
/// ([`RenderOptions::keep_values`]). A run holds every object to the end, so it is kept small:
/// its identity is one string.
#[derive(Clone, Debug)]
pub(crate) struct Object(Box<ObjectData>);

/// What an [`Object`] holds, boxed: the run gathers every app's objects into one list at the
/// end, and moving a pointer there instead of the whole object spares as many fresh pages as
/// the list is long (7.4 MB at 10,000 apps, at the run's peak).
#[derive(Clone, Debug)]
pub(crate) struct ObjectData {
    /// The YAML document, without its `---` separator.
    pub(crate) yaml: String,
    pub(crate) value: Option<Value>,
    /// The object as an item of the JSON stream, written when it was rendered if asked
    /// ([`RenderOptions::prepare_json`]).
    pub(crate) json: Option<Box<str>>,
    /// `apiVersion`, `kind`, `metadata.namespace` and `metadata.name`, one after the other;
    /// `ends` says where each but the last ends.
    identity: Box<str>,
    ends: [u32; 3],
    pub(crate) placement: Placement,
}

impl Object {
    pub(crate) fn new(mut value: Value, placement: Placement, keep: Keep) -> Object {
        crate::yaml_writer::order_top_keys(&mut value);
        let top = |key: &str| field(&value, key);
        let mut identity = String::new();
        let mut ends = [0; 3];
        for (index, field) in [
            top("apiVersion"),
            top("kind"),
            metadata_field(&value, "namespace"),
            metadata_field(&value, "name"),
        ]
        .into_iter()
        .enumerate()
        {
            identity.push_str(field.and_then(Value::as_str).unwrap_or(""));
            if let Some(end) = ends.get_mut(index) {
                *end = identity.len() as u32;
            }
        }
        let yaml = yaml_text(&value);
        let json = (keep == Keep::Json).then(|| json_item(&value));
        Object(Box::new(ObjectData {
            yaml,
            value: (keep == Keep::Value).then_some(value),
            json,
            identity: identity.into_boxed_str(),
            ends,
            placement,
        }))
    }
}

/// An object's YAML, allocated once at its length (see [`in_scratch`]).
fn yaml_text(value: &Value) -> String {
    in_scratch(|text| {
        crate::yaml_writer::write_yaml(text, value);
        text.as_str().to_owned()
    })
}

/// An object's item of the JSON stream, allocated once at its length (see [`in_scratch`]).
fn json_item(value: &Value) -> Box<str> {
    in_scratch(|text| {
        let mut item = std::mem::take(text).into_bytes();
        crate::json_writer::list_item(value, &mut item);
        *text = String::from_utf8(item).unwrap_or_default();
        Box::from(text.as_str())
    })
}

/// `write` into the thread's text buffer, emptied, which returns the copy it keeps. An
/// object's texts are kept to the end of the run: written into a text of their own, they grew
/// (and moved) a step at a time, and kept growth's spare room, which shrinking did not give
/// back (mimalloc keeps a block shrunk by less than half); 10,000 apps peaked 4-8 % higher.
fn in_scratch<T>(write: impl FnOnce(&mut String) -> T) -> T {
    /// A buffer grown past this by one large object is not kept for the next.
    const KEPT: usize = 1 << 20;
    thread_local! {
        static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
    }
    let mut scratch = SCRATCH.take();
    scratch.clear();
    let copy = write(&mut scratch);
    if scratch.capacity() <= KEPT {
        SCRATCH.set(scratch);
    }
    copy
}

impl std::ops::Deref for Object {
    type Target = ObjectData;

    fn deref(&self) -> &ObjectData {
        &self.0
    }
}

impl std::ops::DerefMut for Object {
    fn deref_mut(&mut self) -> &mut ObjectData {
        &mut self.0
    }
}

impl ObjectData {
    /// Part `index` of the identity.
    fn part(&self, index: usize) -> &str {
        let start = if index == 0 {
            0
        } else {
            self.ends[index - 1] as usize
        };
        let end = self
            .ends
            .get(index)
            .map_or(self.identity.len(), |&e| e as usize);
        &self.identity[start..end]
    }

    /// `apiVersion`, or "" when absent.
    pub(crate) fn api_version(&self) -> &str {
        self.part(0)
    }

    /// The API group: `apiVersion` before its `/` ("" for the core group).
    pub(crate) fn group(&self) -> &str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `kind`, or "" when absent.
    pub(crate) fn kind(&self) -> &str {
        self.part(1)
    }

    /// `metadata.namespace`, or "" when absent.
    pub(crate) fn namespace(&self) -> &str {
        self.part(2)
    }

    /// `metadata.name`, or "" when absent.
    pub(crate) fn name(&self) -> &str {
        self.part(3)
    }

    /// The object as a value: the one kept, or read back from its YAML.
    pub(crate) fn value(&self) -> std::borrow::Cow<'_, Value> {
        match &self.value {
            Some(value) => std::borrow::Cow::Borrowed(value),
            None => {
                std::borrow::Cow::Owned(serde_saphyr::from_str(&self.yaml).unwrap_or(Value::Null))
            }
        }
    }

    pub(crate) fn app(&self) -> Option<&str> {
        self.placement.app.as_deref()
    }
}

/// What a rendered object keeps beside its YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    Nothing,
    Value,
    /// Its item of the JSON stream.
    Json,
}

/// How apps are rendered (the CLI's `render` and `diff` flags).
#[derive(Clone, Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // independent switches, each set by its own builder method
pub struct RenderOptions {
    pub(crate) namespace: Option<String>,
    pub(crate) skip_raw: bool,
    /// `--app` chose some apps: only what belongs to them renders (no pass-through objects, no
    /// scope that holds none of their components).
    pub(crate) selected_apps: bool,
    /// Annotate each component's objects with `argocd.argoproj.io/sync-wave: "<depth>"`.
    pub(crate) sync_waves: bool,
    pub(crate) template_limits: TemplateLimits,
    /// Render the built-ins with native renderers through their templates instead.
    pub(crate) builtin_templates: bool,
    /// Keep every object as a value beside its YAML (the default of the API; the CLI keeps
    /// only the text).
    pub(crate) drop_values: bool,
    /// Without values, write each object's item of the JSON stream as it is rendered.
    pub(crate) prepare_json: bool,
    /// Template uses note themselves here while they render, for a watchdog's report.
    pub(crate) in_flight: Option<Arc<watchdog::InFlight>>,
}

impl RenderOptions {
    /// The namespace of apps that set none (`-n`; default: none, so objects carry none).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Leave out the plain Kubernetes objects passed through from the inputs (`--skip-raw`).
    #[must_use]
    pub fn skip_raw(mut self, skip: bool) -> Self {
        self.skip_raw = skip;
        self
    }

    /// Keep each object as a `serde_json::Value` beside its YAML (default: yes). Without, a
    /// render holds only the output's text, about a ninth of the memory, and
    /// [`crate::Object::value`] reads an object back from its YAML when asked.
    #[must_use]
    pub fn keep_values(mut self, keep: bool) -> Self {
        self.drop_values = !keep;
        self
    }

    /// Write each object's JSON as it is rendered, by the worker that renders it, when values
    /// are not kept (see [`RenderOptions::keep_values`]): [`crate::Rendered::write_stream`] in
    /// [`crate::Format::Json`] (the CLI's `--format json`) then needs neither values nor their
    /// YAML read back (default: no; the text costs about 1.7 times the YAML's memory).
    #[must_use]
    pub fn prepare_json(mut self, prepare: bool) -> Self {
        self.prepare_json = prepare;
        self
    }

    /// What each rendered object keeps beside its YAML.
    pub(crate) fn keep(&self) -> Keep {
        match (self.drop_values, self.prepare_json) {
            (false, _) => Keep::Value,
            (true, true) => Keep::Json,
            (true, false) => Keep::Nothing,
        }
    }

    /// Render the built-in types that oam also renders natively (`webservice`, `statefulset`,
    /// `worker`, `hpa`) through their templates, as `oam describe` shows them (default: no).
    /// The output is the same either way — tests and the fuzzer render every case both ways —
    /// so this is for checking that, or for a bug report if it ever differs.
    #[must_use]
    pub fn builtin_templates(mut self, templates: bool) -> Self {
        self.builtin_templates = templates;
        self
    }

    /// Note the template uses in flight for `watch`: its report names them, and it reads the
    /// CPU time of one that runs long (default: the render is not watched; the command line
    /// gives each render its watchdog).
    #[must_use]
    pub fn watched_by(mut self, watch: &Watchdog) -> Self {
        self.in_flight = Some(Arc::clone(&watch.in_flight));
        self
    }

    /// Annotate objects with Argo CD sync waves: a component's depth in the dependency graph
    /// (`--sync-waves`).
    #[must_use]
    pub fn sync_waves(mut self, waves: bool) -> Self {
        self.sync_waves = waves;
        self
    }
}

/// `{apiVersion, kind, name}` of an object, as traits and scopes refer to workloads.
pub(crate) fn reference_to(object: &Value) -> Value {
    let mut reference = Map::new();
    for key in ["apiVersion", "kind"] {
        reference.insert(
            key.to_owned(),
            field(object, key).cloned().unwrap_or(Value::Null),
        );
    }
    reference.insert(
        "name".to_owned(),
        metadata_field(object, "name")
            .cloned()
            .unwrap_or(Value::Null),
    );
    Value::Object(reference)
}

/// Renders the apps of a checked model: the staged pipeline (`check`, then `render`).
pub(crate) fn render(
    checked: &Checked<'_>,
    options: &RenderOptions,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Vec<Object> {
    let run = Run {
        model: checked.model,
        scopes: &checked.scopes,
        options,
    };
    let mut none = Diagnostics::default();
    render_apps(
        &run,
        checked.apps.iter().collect(),
        // Rendering takes each component's values; the checked apps stay as they are.
        |app, _, render| render(&mut app.clone()),
        sources,
        &mut none,
        diags,
    )
}

/// What a render needs besides its apps.
pub(crate) struct Run<'a, 'm> {
    pub(crate) model: &'m Model,
    /// The scope objects, checked.
    pub(crate) scopes: &'a [CheckedScope<'m>],
    pub(crate) options: &'a RenderOptions,
}

/// Renders `apps` on every core, then the scopes and the pass-through objects. A worker gets
/// each app's checked form from `checked`: the staged pipeline hands over the one `check` made;
/// the one-pass pipeline takes the app itself, checks it right there (its findings into the
/// worker's `checks`) and drops both as soon as the app is rendered, so a run holds the output
/// and no more than one app per worker. `checked` calls its last argument with the checked app
/// when it is to be rendered (not when its check found errors); rendering moves each
/// component's workload and trait objects out of it.
pub(crate) fn render_apps<A: Send>(
    run: &Run<'_, '_>,
    apps: Vec<A>,
    checked: impl Fn(A, &mut Diagnostics, &mut dyn FnMut(&mut CheckedApp<'_>)) + Sync,
    sources: &mut Sources,
    checks: &mut Diagnostics,
    diags: &mut Diagnostics,
) -> Vec<Object> {
    let options = run.options;
    let templates = Templates::compile(run.model, options, sources, diags);
    // Apps render independently, on every core; each worker has its own diagnostics and a
    // fork of the sources (a broken template output becomes a file of its own), merged back in
    // app order so that nothing depends on the thread count.
    sources.freeze();
    let forked: &Sources = sources;
    let prefix = budget::Prefix::default();
    let apps: Vec<(usize, A)> = apps.into_iter().enumerate().collect();
    let rendered = crate::parallel::map_owned(apps, crate::parallel::threads(), |(index, app)| {
        let mut own_sources = forked.fork();
        let mut own_checks = Diagnostics::default();
        let mut own_diags = Diagnostics::default();
        let mut out = AppOutput::default();
        checked(app, &mut own_checks, &mut |app| {
            // Once apps before it spent a budget no app starts (`budget` says why the report
            // is the same on any machine).
            if !prefix.passed() {
                out = render_app(app, options, &templates, &mut own_sources, &mut own_diags);
            }
        });
        let spent = out.spent.as_ref().map(|(_, _, spent)| *spent);
        prefix.finished(index, spent.unwrap_or_default(), templates.run_limits());
        (out, own_sources, own_checks, own_diags)
    });
    let limits = templates.run_limits();
    let (total, passed_at) = prefix.into_sums();
    // The app the sum passed a budget with: from it on, what apps found depends on the thread
    // count, and is dropped.
    let over = passed_at.map(|(first, with_it)| {
        let named = rendered[first].0.spent.as_ref();
        let app = named.map(|(name, span, _)| (name.as_ref(), *span));
        (first, budget::over_budget(app, with_it, limits))
    });
    // Sized once: a growing vector of every object would hold two copies at each doubling.
    let count: usize = rendered.iter().map(|(out, ..)| out.objects.len()).sum();
    let mut objects = Vec::with_capacity(count + run.scopes.len() + run.model.raw.len());
    // (scope index, app, workload reference), in app order.
    let mut scope_members: Vec<(usize, String, Value)> = Vec::new();
    for (index, (out, own_sources, own_checks, mut own_diags)) in rendered.into_iter().enumerate() {
        checks.extend(own_checks);
        own_diags.move_files(&sources.adopt(own_sources));
        if over.as_ref().is_some_and(|(first, _)| index >= *first) {
            continue;
        }
        diags.extend(own_diags);
        objects.extend(out.objects);
        scope_members.extend(out.scope_members);
    }
    if let Some((_, diagnostic)) = over {
        diags.push(diagnostic);
        return Vec::new();
    }
    let meter = Meter::default();
    objects.extend(render_scopes(
        run.scopes,
        &scope_members,
        options,
        &templates,
        &meter,
        sources,
        diags,
    ));
    let total = total.add(meter.spent());
    if budget::passes(total, limits) {
        diags.push(budget::over_budget(None, total, limits));
        return Vec::new();
    }
    if !options.skip_raw && !options.selected_apps {
        objects.extend(run.model.raw.iter().map(|raw| {
            let placement = Placement {
                app: None,
                span: raw.span,
                passthrough: true,
                depth: usize::MAX,
                sources: Arc::from([raw.span.file]),
            };
            Object::new(raw.object.clone(), placement, options.keep())
        }));
    }
    names::check(&objects, diags);
    objects
}

/// One app's objects (in dependency order) and the scopes its components joined (by their
/// index in the model: the app's own data is gone by the time scopes render).
#[derive(Default)]
struct AppOutput {
    objects: Vec<Object>,
    scope_members: Vec<(usize, String, Value)>,
    /// The app's name, where it is named and what it spent of the run's budgets; `None` when
    /// it did not render.
    spent: Option<(Arc<str>, Span, budget::Spent)>,
}

fn render_app(
    checked_app: &mut crate::check::CheckedApp<'_>,
    options: &RenderOptions,
    templates: &Templates,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> AppOutput {
    let mut taken = take_objects(checked_app);
    let checked_app = &*checked_app;
    let mut objects = Vec::new();
    let mut scope_members = Vec::new();
    let app = checked_app.app;
    let app_name: Arc<str> = Arc::from(app.name.value.as_str());
    let meter = Meter::default();
    let namespace = app.namespace.clone().or_else(|| options.namespace.clone());
    let dependencies = &checked_app.dependencies;
    let dependencies_of = dependencies.dependencies(app.components.len());
    // Output name → its value in the producer's rendered workload (None: run time only).
    let mut outputs: HashMap<&str, Option<Value>> = HashMap::new();
    for &index in &dependencies.order {
        // Past a budget, the app renders nothing more (its report is the budget's).
        if meter.over(templates.run_limits()) {
            break;
        }
        let Some(position) = checked_app.position(index) else {
            continue;
        };
        let bound = &checked_app.components[position];
        let own = std::mem::take(&mut taken[position]);
        let context = workload::Context {
            app,
            bound,
            namespace: namespace.as_deref(),
            templates,
            meter: &meter,
        };
        let inputs = data::inputs(
            checked_app,
            bound,
            &bound.entry.data_inputs,
            &outputs,
            diags,
        );
        let trait_inputs: Vec<_> = bound
            .traits
            .iter()
            .map(|t| data::inputs(checked_app, bound, &t.binding.data_inputs, &outputs, diags))
            .collect();
        let Some(mut rendered) =
            workload::render_component(&context, own, &inputs, &trait_inputs, sources, diags)
        else {
            continue;
        };
        data::record_outputs(
            &bound.entry.data_outputs,
            &rendered.objects[0],
            &mut outputs,
        );
        for (bound_trait, object) in bound.traits.iter().zip(&rendered.trait_objects) {
            if let Some(object) = object {
                data::record_outputs(&bound_trait.binding.data_outputs, object, &mut outputs);
            }
        }
        let depends_on: Vec<&str> = dependencies_of
            .get(index)
            .into_iter()
            .flatten()
            .filter_map(|&i| app.components.get(i))
            .map(|e| e.name().value.as_str())
            .collect();
        let depth = dependencies.depth.get(index).copied().unwrap_or(0);
        for object in &mut rendered.objects {
            data::annotate(object, &depends_on, options.sync_waves.then_some(depth));
        }
        for scope in &bound.scopes {
            scope_members.push((
                scope.index,
                app.name.value.clone(),
                rendered.primary_reference.clone(),
            ));
        }
        let placement = Placement {
            app: Some(Arc::clone(&app_name)),
            span: bound.entry.span,
            passthrough: false,
            depth,
            sources: bound.source_files().into(),
        };
        write_objects(
            rendered.objects,
            &placement,
            options.keep(),
            templates,
            &meter,
            &mut objects,
        );
    }
    AppOutput {
        objects,
        scope_members,
        spent: Some((app_name, app.name.span, meter.spent())),
    }
}

/// The objects each component starts from, moved out to its render rather than copied.
fn take_objects(checked_app: &mut CheckedApp<'_>) -> Vec<workload::Taken> {
    checked_app
        .components
        .iter_mut()
        .map(|bound| workload::Taken {
            workload: std::mem::take(&mut bound.workload),
            traits: bound
                .traits
                .iter_mut()
                .map(|t| std::mem::take(&mut t.object))
                .collect(),
        })
        .collect()
}

/// Each of `values` as an object at `placement`, into `objects`, until the app passes a budget
/// (its report is then the budget's).
fn write_objects(
    values: Vec<Value>,
    placement: &Placement,
    keep: Keep,
    templates: &Templates,
    meter: &Meter,
    objects: &mut Vec<Object>,
) {
    for value in values {
        let object = Object::new(value, placement.clone(), keep);
        if !templates.write(meter, object.yaml.len()) {
            break;
        }
        objects.push(object);
    }
}

/// Every scope object (or what its definition's template makes of it), with the workloads of
/// its members at the definition's `workloadRefsPath`. A scope that only one app uses belongs
/// to that app.
fn render_scopes(
    scopes: &[CheckedScope<'_>],
    members: &[(usize, String, Value)],
    options: &RenderOptions,
    templates: &Templates,
    meter: &Meter,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Vec<Object> {
    let mut out = Vec::new();
    for checked_scope in scopes {
        let scope = checked_scope.scope;
        let mine: Vec<&(usize, String, Value)> = members
            .iter()
            .filter(|(index, _, _)| *index == checked_scope.index)
            .collect();
        if options.selected_apps && mine.is_empty() {
            continue;
        }
        let mut apps: Vec<&str> = mine.iter().map(|(_, a, _)| a.as_str()).collect();
        apps.dedup();
        let app = match apps.as_slice() {
            [only] => Some((*only).to_owned()),
            _ => None,
        };
        let references: Vec<Value> = mine.iter().map(|(_, _, r)| r.clone()).collect();
        let mut objects = match checked_scope.definition.filter(|d| d.renders()) {
            Some(definition) => {
                let parameter = template::parameters_of(checked_scope.object.get("spec").cloned());
                let site = template::Use {
                    definition,
                    parameter: &parameter,
                    source: scope.spec_node.as_ref(),
                    context: template::UseContext::Value(json!({
                        "appName": app,
                        "name": scope.name.value,
                        "workloads": references,
                    })),
                    workload: None,
                    used_by: template::UsedBy::Scope(&scope.name.value),
                };
                let Some(output) = templates.render(&site, false, meter, sources, diags) else {
                    continue;
                };
                output.objects
            }
            None => vec![checked_scope.object.clone()],
        };
        // A template places the references itself (`context.workloads`); a plain scope object
        // gets them at its definition's path.
        let path = checked_scope
            .definition
            .filter(|d| !d.renders())
            .and_then(|d| d.workload_refs_path.as_ref());
        if let (Some(path), Some(first)) = (path, objects.first_mut()) {
            workload::append_references(first, path, references.into_iter(), diags);
        }
        for mut object in objects {
            if workload::name_of(&object).is_none() {
                workload::set_metadata(
                    &mut object,
                    "name",
                    Value::String(scope.name.value.clone()),
                );
            }
            labels::label_scope(&mut object, app.as_deref());
            let placement = Placement {
                app: app.as_deref().map(Arc::from),
                span: scope.name.span,
                passthrough: false,
                depth: usize::MAX,
                sources: checked_scope
                    .definition
                    .map_or_else(Vec::new, |d| vec![d.name.span.file])
                    .into_iter()
                    .chain([scope.name.span.file])
                    .collect(),
            };
            out.push(Object::new(object, placement, options.keep()));
        }
    }
    out
}
