//! Stage 5, emit: rendered objects in, bytes out: a YAML stream, a JSON `List`, or a directory
//! for Git. Output is deterministic (one ordering rule, in `order`). Only this stage and `load`
//! touch the file system, and a directory is written whole or not at all.

mod compare;
mod dir;
mod layout;
mod order;

pub(crate) use compare::{compare, read_written};
pub(crate) use dir::{DirOptions, MARKER, write_dir};
#[cfg(test)]
pub(crate) use dir::{FAULT, Fault};
pub(crate) use layout::layout;
pub(crate) use order::sort;

use serde_json::{Value, json};

use crate::render::Object;

/// How the objects are written as one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// YAML documents, separated by ---
    #[default]
    Yaml,
    /// A JSON v1 List holding every object
    Json,
}

/// The whole output as one stream: `---`-separated YAML documents, or a `v1` `List` in JSON.
pub(crate) fn stream(objects: &[Object], format: Format) -> String {
    match format {
        Format::Yaml => {
            // Written on every core, a slice of objects each, joined in order.
            let chunk = objects
                .len()
                .div_ceil(crate::parallel::threads() * 4)
                .max(1);
            let slices: Vec<&[Object]> = objects.chunks(chunk).collect();
            let parts = crate::parallel::map(&slices, crate::parallel::threads(), |slice| {
                slice.iter().fold(String::new(), |mut text, o| {
                    text.push_str("---\n");
                    text.push_str(&crate::yaml_writer::to_yaml(&o.value));
                    text
                })
            });
            parts.concat()
        }
        Format::Json => {
            let items: Vec<&Value> = objects.iter().map(|o| &o.value).collect();
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}
