//! Views of the model for people: `oam defs` (the definitions loaded, as a table or data),
//! `oam explain` (one definition's parameters and an example of its use) and `oam graph` (the
//! component dependency DAG). In: the lowered or checked model; out: text. Nothing here renders
//! or writes files.

mod defs;
mod explain;
mod graph;

pub use defs::DefinitionsFormat;
pub(crate) use defs::defs;
pub use explain::ExplainFormat;
pub(crate) use explain::{explain, list_names};
pub use graph::GraphFormat;
pub(crate) use graph::graph;

use serde_json::{Value, json};

use crate::load::{Origin, Sources};
use crate::model::{Definition, Model, Text};

/// A definition's parameters as a JSON Schema, for people: the schema it declares, or for a CUE
/// template its `parameter` block as declared (each property's CUE type in `x-cue-type`, its
/// `+usage=` comment as the description). CUE definitions are validated by CUE itself; this
/// schema only describes them.
pub(crate) fn parameter_schema(definition: &Definition) -> Option<Value> {
    if let Some(schema) = &definition.schema {
        return Some(schema.value.clone());
    }
    let template = definition.cue.as_ref()?;
    let file = template.parsed.as_ref().ok()?;
    let mut evaluation = cue::Evaluation::new(cue::Budget::default());
    evaluation.add_file(file);
    let mut path: Vec<&str> = template.prefix.iter().map(String::as_str).collect();
    path.push("parameter");
    let forms = evaluation.describe_forms(&path);
    Some(match forms.as_slice() {
        // `parameter: [string]: T`: a map, any number of entries.
        [fields] if fields.is_empty() => match evaluation.describe_map(&path).or_else(|| {
            // `parameter: {...}`: any fields (json-merge-patch's are the patch itself).
            evaluation
                .is_open_and_empty(&path)
                .then(|| ("string".to_owned(), "_".to_owned()))
        }) {
            Some((label, element)) => json!({
                "type": "object",
                "additionalProperties": kind_schema(&element),
                "x-cue-type": format!("{{[{label}]: {element}}}"),
            }),
            None => object_schema(fields),
        },
        [fields] => object_schema(fields),
        _ => json!({"oneOf": forms.iter().map(|fields| object_schema(fields)).collect::<Vec<_>>()}),
    })
}

fn object_schema(fields: &[cue::FieldDoc]) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for field in fields {
        let mut property = field_schema(field);
        if let Some(usage) = field.tags.iter().find_map(|t| t.strip_prefix("+usage=")) {
            property["description"] = Value::String(usage.to_owned());
        }
        if let Some(default) = &field.default {
            property["default"] = default.clone();
        } else if !field.optional && field.fields.is_empty() {
            required.push(Value::String(field.name.clone()));
        }
        properties.insert(field.name.clone(), property);
    }
    json!({"type": "object", "properties": properties, "required": required})
}

fn field_schema(field: &cue::FieldDoc) -> Value {
    let mut schema = if !field.fields.is_empty() {
        object_schema(&field.fields)
    } else if !field.items.is_empty() {
        json!({"type": "array", "items": object_schema(&field.items)})
    } else {
        return kind_schema(&field.kind);
    };
    schema["x-cue-type"] = Value::String(field.kind.clone());
    schema
}

/// The schema of a value known only by its CUE type (`string`, `*80 | int`, `[...string]`).
fn kind_schema(kind: &str) -> Value {
    let basic = match kind {
        "string" => "string",
        "int" => "integer",
        "number" | "float" => "number",
        "bool" => "boolean",
        _ if kind.starts_with('[') => "array",
        _ => "any",
    };
    json!({"type": basic, "x-cue-type": kind})
}

fn values(list: &[Text]) -> Vec<String> {
    list.iter().map(|t| t.value.clone()).collect()
}

/// Every definition, by kind and name: the order every view lists them in.
pub(crate) fn sorted(model: &Model) -> Vec<&Definition> {
    let mut definitions: Vec<&Definition> = model.definitions.iter().collect();
    definitions.sort_by(|a, b| (a.kind, &a.name.value).cmp(&(b.kind, &b.name.value)));
    definitions
}

/// Where a definition comes from, as shown to users: `built-in` or its file.
pub(crate) fn source_of(definition: &Definition, sources: &Sources) -> String {
    if definition.origin == Origin::Builtin {
        "built-in".to_owned()
    } else {
        sources.get(definition.name.span.file).name.clone()
    }
}

/// Lays out rows as columns two spaces apart; the last column is not padded.
fn table(rows: &[Vec<String>]) -> String {
    table_within(rows, None)
}

/// A table whose lines fit in `width` columns, when given: the last column (a description) is
/// cut short with `…`; the others are never cut.
fn table_within(rows: &[Vec<String>], width: Option<usize>) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == columns {
                let used = line.chars().count();
                match width {
                    Some(width) if used + cell.chars().count() > width => {
                        let room = width.saturating_sub(used + 1).max(10);
                        line.extend(cell.chars().take(room));
                        line.push('…');
                    }
                    _ => line.push_str(cell),
                }
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A list for a table cell: `a, b`, or `-` when empty.
fn cell(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tables_fit_the_width_by_cutting_the_last_column() {
        let rows = vec![
            vec!["NAME".to_owned(), "DESCRIPTION".to_owned()],
            vec!["web".to_owned(), "a long description ".repeat(10)],
        ];
        let text = super::table_within(&rows, Some(40));
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(text.contains('…'));
        assert_eq!(super::table_within(&rows, None), super::table(&rows));
    }
}
