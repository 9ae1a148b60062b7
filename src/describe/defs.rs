//! `oam defs`: every definition loaded, like `kubectl get`: a table, or JSON/YAML for tools.

use serde_json::{Value, json};

use super::{cell, source_of, table_within, values};
use crate::load::{Origin, Sources};
use crate::model::{Definition, Model};

/// How `oam defs` lists the definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum DefinitionsFormat {
    /// Aligned columns, for people.
    Table,
    /// A JSON array of objects, one per definition.
    Json,
    /// The same data as YAML.
    Yaml,
}

/// The definitions as a table (its descriptions cut to `width` columns, when given), JSON or
/// YAML.
pub(crate) fn defs(
    model: &Model,
    sources: &Sources,
    format: DefinitionsFormat,
    width: Option<usize>,
) -> String {
    let definitions = super::sorted(model);
    match format {
        DefinitionsFormat::Table => {
            let mut rows = vec![
                [
                    "NAME",
                    "KIND",
                    "DEFINITION",
                    "APPLIES-TO",
                    "CONFLICTS-WITH",
                    "SOURCE",
                    "DESCRIPTION",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for d in &definitions {
                rows.push(vec![
                    match &d.alias {
                        Some(alias) => format!("{} ({alias})", d.name.value),
                        None => d.name.value.clone(),
                    },
                    d.kind.as_str().trim_end_matches("Definition").to_owned(),
                    d.crd_name
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |c| c.value.clone()),
                    cell(&values(&d.applies_to)),
                    cell(&values(&d.conflicts_with)),
                    source_of(d, sources),
                    d.description.clone().unwrap_or_default(),
                ]);
            }
            table_within(&rows, width)
        }
        DefinitionsFormat::Json | DefinitionsFormat::Yaml => {
            let items: Vec<Value> = definitions.iter().map(|d| as_data(d, sources)).collect();
            let list = Value::Array(items);
            if format == DefinitionsFormat::Json {
                let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
                text.push('\n');
                text
            } else {
                crate::yaml_writer::to_yaml(&list)
            }
        }
    }
}

fn as_data(d: &Definition, sources: &Sources) -> Value {
    json!({
        "name": d.name.value,
        "kind": d.kind.as_str(),
        "alias": d.alias,
        "definition": d.crd_name.as_ref().map(|c| &c.value),
        "appliesTo": values(&d.applies_to),
        "conflictsWith": values(&d.conflicts_with),
        "description": d.description,
        "builtin": d.origin == Origin::Builtin,
        "source": source_of(d, sources),
        "templated": d.renders(),
        "parameters": super::parameter_schema(d),
    })
}
