//! Data passing between components, offline: a data output's value is read from the producer's
//! rendered workload (or, declared on a trait, the trait's object) and written at the
//! consumer's `toFieldPaths` (in its workload, or its trait's object). A value that exists only at
//! run time (`status.*`, or absent) is never guessed: the consumer still comes after the
//! producer, and a warning names what the runtime will have to fill in.

use std::collections::HashMap;

use serde_json::Value;

use super::labels;
use crate::check::{Bound, CheckedApp, find_output};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{DataInput, DataOutput, InputTarget, Text, fieldpath};

const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
const DEPENDS_ON: &str = "app.oam.dev/depends-on";

/// The values of data inputs of `bound` (its workload's or one trait's), with the paths to
/// write them at. Producers rendered before (dependency order), so every known output is in
/// `outputs`.
pub(super) fn inputs<'m>(
    checked_app: &CheckedApp<'m>,
    bound: &Bound<'m>,
    data_inputs: &'m [DataInput],
    outputs: &HashMap<&str, Option<Value>>,
    diags: &mut Diagnostics,
) -> Vec<(Value, &'m [Text], InputTarget)> {
    let mut values = Vec::new();
    for input in data_inputs {
        let name = input.from.value.as_str();
        if let Some(Some(value)) = outputs.get(name) {
            values.push((value.clone(), input.to_field_paths.as_slice(), input.into));
            continue;
        }
        if input.to_field_paths.is_empty() {
            continue; // an ordering-only input: nothing to write
        }
        let Some((producer, output)) = find_output(checked_app.app, name) else {
            continue; // reported by check
        };
        let producer = checked_app.app.components[producer].name();
        let what = output.field_path.as_ref().map_or_else(
            || "declares no fieldPath".to_owned(),
            |p| format!("reads `{}`, which exists only at run time", p.value),
        );
        diags.push(
            Diagnostic::new(Code::RuntimeValue, input.from.span, format!("data output `{name}` of component `{}` {what}; it is not written into `{}`", producer.value, bound.component.name.value))
                .with_label(output.name.span, "declared here")
                .with_help("the consumer is still ordered after the producer (sync waves, app.oam.dev/depends-on); set the value by hand, or point fieldPath at a field of the rendered object (`--strict` makes this an error)"),
        );
    }
    values
}

/// Reads data outputs from the rendered object they are declared on into `outputs`.
pub(super) fn record_outputs<'m>(
    data_outputs: &'m [DataOutput],
    object: &Value,
    outputs: &mut HashMap<&'m str, Option<Value>>,
) {
    for output in data_outputs {
        let value = output
            .field_path
            .as_ref()
            .and_then(|path| fieldpath::parse(&path.value).ok())
            .filter(|segments| {
                segments.first() != Some(&fieldpath::Segment::Field("status".to_owned()))
            })
            .and_then(|segments| fieldpath::get(object, &segments).cloned())
            .filter(|v| !v.is_null());
        outputs.insert(output.name.value.as_str(), value);
    }
}

/// Records the ordering on an object of a component: the components it depends on, and with
/// `--sync-waves` its wave.
pub(super) fn annotate(object: &mut Value, depends_on: &[&str], wave: Option<usize>) {
    if depends_on.is_empty() && wave.is_none() {
        return;
    }
    if let Some(annotations) = labels::metadata_map(object, "annotations") {
        if !depends_on.is_empty() {
            annotations.insert(DEPENDS_ON.to_owned(), Value::String(depends_on.join(",")));
        }
        if let Some(wave) = wave {
            annotations.insert(SYNC_WAVE.to_owned(), Value::String(wave.to_string()));
        }
    }
}
