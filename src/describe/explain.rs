//! `oam explain NAME`: a definition's parameters as a table (nested objects flattened with dotted
//! names, list items as `[]`), and a minimal example of its use; `--format markdown` for docs.

use std::fmt::Write;

use serde_json::{Map, Value, json};

use super::{cell, source_of, table, values};
use crate::load::Sources;
use crate::model::{Definition, DefinitionKind, Model};

/// How `oam explain` shows a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum ExplainFormat {
    /// A parameter table and an example, for a terminal.
    Text,
    /// The same as Markdown, for documentation sites.
    Markdown,
}

/// One row of the parameter table.
struct Row {
    name: String,
    kind: String,
    required: bool,
    default: Option<String>,
    description: String,
}

/// `oam explain` without a name: every definition, by kind, like `kubectl explain`'s resources.
pub(crate) fn list_names(model: &Model) -> String {
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "KIND".to_owned(),
        "DESCRIPTION".to_owned(),
    ]];
    let definitions = super::sorted(model);
    for d in definitions {
        rows.push(vec![
            d.name.value.clone(),
            d.kind.as_str().to_owned(),
            d.description.clone().unwrap_or_default(),
        ]);
    }
    table(&rows)
}

/// The definitions named `name` (or aliased so), explained; `None` if there is none.
pub(crate) fn explain(
    model: &Model,
    sources: &Sources,
    name: &str,
    format: ExplainFormat,
) -> Option<String> {
    let found: Vec<&Definition> = model
        .definitions
        .iter()
        .filter(|d| d.is_named(name))
        .collect();
    if found.is_empty() {
        return None;
    }
    let pages: Vec<String> = found
        .iter()
        .map(|d| match format {
            ExplainFormat::Text => text_page(d, sources),
            ExplainFormat::Markdown => markdown_page(d),
        })
        .collect();
    Some(pages.join("\n"))
}

fn text_page(d: &Definition, sources: &Sources) -> String {
    let mut header = vec![
        vec!["NAME:".to_owned(), d.name.value.clone()],
        vec!["KIND:".to_owned(), d.kind.as_str().to_owned()],
    ];
    if let Some(alias) = &d.alias {
        header.push(vec!["ALIAS:".to_owned(), alias.clone()]);
    }
    if let Some(description) = &d.description {
        header.push(vec!["DESCRIPTION:".to_owned(), description.clone()]);
    }
    if let Some(crd) = &d.crd_name {
        header.push(vec!["DEFINITION:".to_owned(), crd.value.clone()]);
    }
    if d.kind == DefinitionKind::Trait {
        header.push(vec!["APPLIES-TO:".to_owned(), cell(&values(&d.applies_to))]);
        header.push(vec![
            "CONFLICTS-WITH:".to_owned(),
            cell(&values(&d.conflicts_with)),
        ]);
    }
    header.push(vec!["SOURCE:".to_owned(), source_of(d, sources)]);
    let mut out = table(&header);
    out.push_str("\nPARAMETERS\n");
    match parameter_forms(d) {
        Some(forms) if forms.iter().any(|rows| !rows.is_empty()) => {
            let count = forms.len();
            for (index, rows) in forms.into_iter().enumerate() {
                form_heading(&mut out, index, count, |n| format!("FORM {n} OF {count}"));
                let mut cells = vec![
                    ["NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"]
                        .map(str::to_owned)
                        .to_vec(),
                ];
                for row in rows {
                    cells.push(vec![
                        row.name,
                        row.kind,
                        if row.required { "yes" } else { "no" }.to_owned(),
                        row.default.unwrap_or_else(|| "-".to_owned()),
                        row.description,
                    ]);
                }
                out.push_str(&table(&cells));
            }
        }
        Some(_) => out.push_str("(none)\n"),
        None => out.push_str("(no schema: the object's spec is passed through as written)\n"),
    }
    out.push_str("\nEXAMPLE\n");
    out.push_str(&example(d));
    out
}

fn markdown_page(d: &Definition) -> String {
    let mut out = format!("# {}\n\n", d.name.value);
    if let Some(description) = &d.description {
        let _ = write!(out, "{description}\n\n");
    }
    let _ = writeln!(out, "- Kind: {}", d.kind.as_str());
    if let Some(alias) = &d.alias {
        let _ = writeln!(out, "- Alias: `{alias}`");
    }
    if d.kind == DefinitionKind::Trait {
        let code = |list: Vec<String>| {
            if list.is_empty() {
                "any".to_owned()
            } else {
                list.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(out, "- Applies to: {}", code(values(&d.applies_to)));
        if !d.conflicts_with.is_empty() {
            let _ = writeln!(out, "- Conflicts with: {}", code(values(&d.conflicts_with)));
        }
    }
    out.push_str("\n## Parameters\n\n");
    match parameter_forms(d) {
        Some(forms) if forms.iter().any(|rows| !rows.is_empty()) => {
            let count = forms.len();
            if count > 1 {
                let _ = writeln!(out, "One of {count} forms.\n");
            }
            // A `|` in a cell would end it.
            let cell = |text: &str| text.replace('|', "\\|");
            for (index, rows) in forms.into_iter().enumerate() {
                form_heading(&mut out, index, count, |n| format!("Form {n}:\n"));
                out.push_str("| Name | Type | Required | Default | Description |\n");
                out.push_str("|---|---|---|---|---|\n");
                for row in rows {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} |",
                        cell(&row.name),
                        cell(&row.kind),
                        if row.required { "yes" } else { "no" },
                        row.default
                            .map_or_else(String::new, |d| format!("`{}`", cell(&d))),
                        cell(&row.description),
                    );
                }
            }
        }
        Some(_) => out.push_str("None.\n"),
        None => out.push_str("No schema: the object's spec is passed through as written.\n"),
    }
    out.push_str("\n## Example\n\n```yaml\n");
    out.push_str(&example(d));
    out.push_str("```\n");
    out
}

/// When the parameters take several forms, the heading of form `index` (`heading` of its
/// number), apart from the table before it.
fn form_heading(out: &mut String, index: usize, count: usize, heading: impl Fn(usize) -> String) {
    if count > 1 {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&heading(index + 1));
        out.push('\n');
    }
}

/// The rows of each form the parameters take (a schema's `oneOf`, else the schema itself);
/// `None` without a schema.
fn parameter_forms(d: &Definition) -> Option<Vec<Vec<Row>>> {
    let schema = super::parameter_schema(d)?;
    Some(forms(&schema).into_iter().map(rows).collect())
}

/// The alternatives of a schema's `oneOf`, or the schema itself.
fn forms(schema: &Value) -> Vec<&Value> {
    match schema.get("oneOf").and_then(Value::as_array) {
        Some(alternatives) => alternatives.iter().collect(),
        None => vec![schema],
    }
}

/// The schema's properties, depth first, in the order written; a map (no properties, any key)
/// is one row for all its keys.
fn rows(schema: &Value) -> Vec<Row> {
    let mut out = Vec::new();
    collect_rows(schema, "", &mut out);
    if out.is_empty() {
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            out.push(Row {
                name: "<any name>".to_owned(),
                kind: type_of(values),
                required: false,
                default: None,
                description: "Any number of entries, each named as you choose".to_owned(),
            });
        }
    }
    out
}

fn collect_rows(schema: &Value, prefix: &str, out: &mut Vec<Row>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (key, property) in properties {
        let name = format!("{prefix}{key}");
        out.push(Row {
            name: name.clone(),
            kind: type_of(property),
            required: required.contains(&key.as_str()),
            default: property.get("default").map(Value::to_string),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        });
        collect_rows(property, &format!("{name}."), out);
        if let Some(items) = property.get("items") {
            collect_rows(items, &format!("{name}[]."), out);
        }
    }
}

/// `string`, `[]object`, `map[string]string`, `string (a|b)`; a CUE parameter's type as CUE
/// writes it.
fn type_of(schema: &Value) -> String {
    if let Some(Value::String(cue)) = schema.get("x-cue-type") {
        return cue.clone();
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("|"),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "any".to_owned(),
    };
    let shown = match base.as_str() {
        "array" => format!(
            "[]{}",
            schema
                .get("items")
                .map_or_else(|| "any".to_owned(), type_of)
        ),
        "object" => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) if schema.get("properties").is_none() => {
                format!("map[string]{}", type_of(values))
            }
            _ => base,
        },
        _ => base,
    };
    match schema.get("enum").and_then(Value::as_array) {
        Some(options) => format!(
            "{shown} ({})",
            options
                .iter()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join("|")
        ),
        None => shown,
    }
}

/// A value for each required property: the default, the first example or enum value, else a
/// placeholder of the right type.
fn sample(schema: &Value, name: &str) -> Value {
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    for key in ["examples", "enum"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|o| o.first())
        {
            return first.clone();
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => schema.get("minimum").cloned().unwrap_or_else(|| json!(1)),
        Some("boolean") => json!(true),
        Some("array") => {
            let item = schema
                .get("items")
                .map_or_else(|| json!(format!("<{name}>")), |i| sample(i, name));
            json!([item])
        }
        Some("object") | None if schema.get("properties").is_some() => required_sample(schema),
        // A map: one entry shows its shape.
        Some("object") => match schema.get("additionalProperties").filter(|a| a.is_object()) {
            Some(value) => json!({ "<key>": sample(value, name) }),
            None => json!({}),
        },
        _ => json!(format!("<{name}>")),
    }
}

fn required_sample(schema: &Value) -> Value {
    let mut out = Map::new();
    let required = schema.get("required").and_then(Value::as_array);
    if let (Some(properties), Some(required)) = (
        schema.get("properties").and_then(Value::as_object),
        required,
    ) {
        for (key, property) in properties {
            if required.iter().any(|r| r.as_str() == Some(key.as_str())) {
                out.insert(key.clone(), sample(property, key));
            }
        }
    }
    Value::Object(out)
}

/// A minimal use of the definition, in the v1alpha2 form it is used in.
fn example(d: &Definition) -> String {
    // The first form, when the parameters take several.
    let parameters =
        super::parameter_schema(d).map_or_else(|| json!({}), |s| required_sample(forms(&s)[0]));
    let name = &d.name.value;
    let (comment, value) = match d.kind {
        DefinitionKind::Workload => (
            "A Component whose workload is of this type",
            json!({
                "apiVersion": "core.oam.dev/v1alpha2",
                "kind": "Component",
                "metadata": {"name": "my-component"},
                "spec": {"workload": {"type": name, "spec": parameters}},
            }),
        ),
        DefinitionKind::Component => (
            "An Application with a component of this type",
            json!({
                "apiVersion": "core.oam.dev/v1beta1",
                "kind": "Application",
                "metadata": {"name": "my-app"},
                "spec": {"components": [{"name": "my-component", "type": name, "properties": parameters}]},
            }),
        ),
        DefinitionKind::Trait => (
            "Under spec.components[].traits of an Application (v1beta1)",
            json!([{"type": name, "properties": parameters}]),
        ),
        DefinitionKind::Scope => (
            "The scope object's spec; reference it from spec.components[].scopes[].scopeRef",
            json!({"spec": parameters}),
        ),
    };
    format!("# {comment}\n{}", crate::yaml_writer::to_yaml(&value))
}

#[cfg(test)]
mod tests {
    use crate::{ExplainFormat, Loader};

    fn explained(name: &str) -> String {
        let project = Loader::new().load().expect("the built-ins load");
        project
            .explain(name, ExplainFormat::Text)
            .expect("a built-in")
    }

    /// The page of a CUE definition of ours, `NAME.cue`, with no built-ins.
    fn explained_cue(name: &str, text: &str) -> String {
        let project = Loader::new()
            .builtins(false)
            .definitions_source(format!("{name}.cue"), text)
            .load()
            .expect("the definition loads");
        project
            .explain(name, ExplainFormat::Text)
            .expect("a definition")
    }

    #[test]
    fn parameters_of_several_forms_are_shown_form_by_form() {
        let page = explained("container-image");
        let first = page.find("FORM 1 OF 2").expect("the first form");
        let second = page.find("FORM 2 OF 2").expect("the second form");
        let image = page.find("\nimage ").expect("the first form's image");
        let nested = page
            .find("containers[].image")
            .expect("the second form's image");
        assert!(first < image && image < second && second < nested, "{page}");
        // The example uses the first form, with what it requires.
        assert!(page.contains("image: \"<image>\""), "{page}");
    }

    #[test]
    fn a_map_of_parameters_is_one_row() {
        let page = explained("labels");
        assert!(page.contains("<any name>  string|null"), "{page}");
        assert!(!page.contains("(none)"), "{page}");
        // A CUE definition's `parameter: [string]: T` (KubeVela's labels and annotations).
        let cue = "\"tags\": {\n\ttype: \"trait\"\n}\ntemplate: {\n\tpatch: metadata: labels: parameter\n\tparameter: [string]: string | null\n}\n";
        let page = explained_cue("tags", cue);
        assert!(page.contains("<any name>  string | null"), "{page}");
        assert!(!page.contains("(none)"), "{page}");
        // `parameter: {...}` takes any fields; `close({})` none.
        let page = explained("json-merge-patch");
        assert!(page.contains("<any name>  _"), "{page}");
        let closed = "\"nothing\": {\n\ttype: \"trait\"\n}\ntemplate: {\n\tparameter: close({})\n\toutputs: x: {apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: \"x\"}\n}\n";
        let page = explained_cue("nothing", closed);
        assert!(page.contains("(none)"), "{page}");
    }
}
